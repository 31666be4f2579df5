//! The `rollbar` commands and the Rollbar part of `init`, `status` and `plan`
//! against a Rollbar stand-in that answers as the documented API does. (`check`
//! and `send_test_item` themselves, and misbehaving servers, are unit tests of the
//! `rollbar` module, with the same stand-in.)

use crate::harness::{snapshot_all, Ran, Test};
use serde_json::Value;

#[path = "../support/rollbar_stand_in.rs"]
mod stand_in;
use stand_in::*;

/// The commands: `rollbar check` exit codes per token kind, `send-test-item`'s link,
/// one JSON document, and the token in no output.
#[tokio::test(flavor = "multi_thread")]
async fn the_rollbar_commands_exit_codes_and_output() {
    let (server, _) = rollbar().await;
    let run = |args: &[&str], token: &str| {
        crate::common::isolated("cruddur-obs")
            .env("ROLLBAR_ACCESS_TOKEN", token)
            // As the app's ROLLBAR_ENDPOINT is written: with /api/1.
            .env("ROLLBAR_ENDPOINT", format!("{}/api/1", server.uri()))
            .args(["rollbar"])
            .args(args)
            .output()
            .unwrap()
    };
    // The check's whole output for each kind of token: valid and able to post,
    // valid with read (post not verifiable), client-only, rejected.
    let checks: Vec<Ran> = [
        (POST_ONLY, 0),
        (READ_POST, 0),
        (CLIENT_ONLY, 4),
        ("wrongtoken0123456789abcdef", 4),
    ]
    .into_iter()
    .map(|(token, code)| {
        let ran = Test::new()
            .env("ROLLBAR_ACCESS_TOKEN", token)
            .env("ROLLBAR_ENDPOINT", format!("{}/api/1", server.uri()))
            .args(["rollbar", "check"])
            .status(code)
            .run_for_snapshot();
        assert_clean(&ran.all_output(), token);
        ran
    })
    .collect();
    snapshot_all("rollbar_check_each_kind_of_token", &checks);
    let out = run(&["send-test-item", "--output", "json"], POST_ONLY);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::common::stderr(&out)
    );
    let doc: Value = serde_json::from_str(&crate::common::stdout(&out)).unwrap();
    assert!(
        doc["link"]
            .as_str()
            .unwrap()
            .starts_with("https://rollbar.com/occurrence/uuid/?uuid="),
        "{doc}"
    );
    assert_clean(&crate::common::stdout(&out), POST_ONLY);
    let out = run(&["send-test-item"], READ_ONLY);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        crate::common::stderr(&out)
    );
}

/// `init` checks the token when Rollbar is chosen; `status` has a Rollbar line.
#[tokio::test(flavor = "multi_thread")]
async fn init_and_status_check_the_rollbar_token() {
    let (server, _) = rollbar().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        crate::common::repo().join("tests/fixtures/compose/bootcamp-week1.yml"),
        dir.path().join("docker-compose.yml"),
    )
    .unwrap();
    let run = |args: &[&str], token: &str, code: i32| {
        Test::in_dir(dir.path())
            .env("ROLLBAR_ACCESS_TOKEN", token)
            .env("ROLLBAR_ENDPOINT", server.uri())
            .args(args.iter().copied())
            .args(["--without", "xray", "--without", "logs"])
            .args(["--without", "honeycomb"])
            .status(code)
            .run_for_snapshot()
    };
    let init = run(&["init", "--yes"], POST_ONLY, 0);
    let status = run(&["status"], POST_ONLY, 0);
    let plan = run(&["plan"], CLIENT_ONLY, 4);
    for (ran, token) in [
        (&init, POST_ONLY),
        (&status, POST_ONLY),
        (&plan, CLIENT_ONLY),
    ] {
        assert_clean(&ran.all_output(), token);
    }
    snapshot_all(
        "rollbar_init_status_and_plan_check_the_token",
        [&init, &status, &plan],
    );
}
