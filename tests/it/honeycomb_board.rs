//! `honeycomb board` and the board part of `init`, `plan`, `status` and
//! `destroy` against a stateful Honeycomb stand-in (tests/support). (The board's
//! plan and API against the same stand-in are unit tests of the board module.)

use crate::harness::{snapshot_all, Test};

#[path = "../support/honeycomb_board_stand_in.rs"]
mod stand_in;
use stand_in::*;

/// The command: created from nothing, then a second run makes no write call; the
/// key never shows; an ingest key is exit 4 with "configuration key".
#[tokio::test(flavor = "multi_thread")]
async fn the_board_command_creates_then_converges() {
    let (server, _fake) = honeycomb().await;
    let run = |key: &str, args: &[&str], code: i32| {
        Test::new()
            .env("HONEYCOMB_CONFIG_KEY", key)
            .env("HONEYCOMB_API_ENDPOINT", server.uri())
            .args(["honeycomb", "board"])
            .args(args.iter().copied())
            .status(code)
            .run_for_snapshot()
    };
    let dry = run(CONFIG, &["--dry-run"], 3);
    assert!(writes(&server).await.is_empty());
    let created = run(CONFIG, &[], 0);
    let made = writes(&server).await.len();
    assert!(made >= 9, "{made} writes");
    let again = run(CONFIG, &[], 0);
    assert_eq!(writes(&server).await.len(), made, "a converged run wrote");
    let ingest = run(INGEST, &[], 4);
    let destroyed = run(CONFIG, &["--destroy", "--yes"], 0);
    assert!(writes(&server).await.iter().any(|w| w["request"]
        .as_str()
        .unwrap()
        .starts_with("DELETE /1/boards/")));
    let runs = [&dry, &created, &again, &ingest, &destroyed];
    for ran in runs {
        assert_clean(&ran.all_output(), CONFIG);
    }
    snapshot_all(
        "honeycomb_board_command_creates_converges_and_destroys",
        runs,
    );
}

/// The board part of init/plan/status/destroy: on with a configuration key only;
/// a second init writes nothing to Honeycomb; destroy removes the board.
#[tokio::test(flavor = "multi_thread")]
async fn the_board_part_of_init_plan_status_and_destroy() {
    let (server, _fake) = honeycomb().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        crate::common::repo().join("tests/fixtures/compose/bootcamp-week1.yml"),
        dir.path().join("docker-compose.yml"),
    )
    .unwrap();
    let run = |args: &[&str], key: Option<&str>, code: i32| {
        let mut test = Test::in_dir(dir.path())
            .env("HONEYCOMB_API_ENDPOINT", server.uri())
            .args(args.iter().copied())
            .args(["--without", "xray", "--without", "logs"])
            .args(["--without", "honeycomb"])
            .status(code);
        if let Some(key) = key {
            test = test.env("HONEYCOMB_CONFIG_KEY", key);
        }
        test.run_for_snapshot()
    };
    // Without a key the part is off: Honeycomb is not asked at all.
    let keyless = run(&["plan"], None, 3);
    assert!(server.received_requests().await.unwrap().is_empty());

    let plan = run(&["plan"], Some(CONFIG), 3);
    assert!(writes(&server).await.is_empty());
    let init = run(&["init", "--yes"], Some(CONFIG), 0);
    let made = writes(&server).await.len();
    assert!(made >= 9, "{made}");
    let again = run(&["init", "--yes"], Some(CONFIG), 0);
    assert_eq!(
        writes(&server).await.len(),
        made,
        "a converged init wrote to Honeycomb"
    );
    let status = run(&["status"], Some(CONFIG), 0);
    let destroy = run(&["destroy", "--yes"], Some(CONFIG), 0);
    assert!(writes(&server).await.iter().any(|w| w["request"]
        .as_str()
        .unwrap()
        .starts_with("DELETE /1/boards/")));
    let runs = [&keyless, &plan, &init, &again, &status, &destroy];
    for ran in runs {
        assert_clean(&ran.all_output(), CONFIG);
    }
    snapshot_all("honeycomb_board_part_of_init_plan_status_and_destroy", runs);
}
