//! One shape for every command: under `--output json` every exit prints one JSON
//! document (the plan or what was done travels in it with the error); commands that
//! need no AWS ask for no region; a closed stdout ends quietly; the `gp env` steps
//! follow the chosen parts — and the one-document rule over commands × outcomes.

use std::process::{Output, Stdio};

use crate::common::{isolated, repo, stderr, stdout, Moto};
use crate::harness::Test;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use xray_emulator::{Emulator, Fault, FaultKind};

const WEEK1: &str = "compose/bootcamp-week1.yml";
const KEY: &str = "hcaik_01j9zzzzzzzzzzzzzzzzzzzzzzq8t3m4k5n6p7r8s9t0v1w2x3y4z5a6b7";
/// A key Honeycomb knows that may not send events.
const READ_ONLY_KEY: &str = "hcaik_01j9yyyyyyyyyyyyyyyyyyyyyyq8t3m4k5n6p7r8s9t0v1w2x3y4z5r0k9";

/// A temp dir holding the course's week-1 compose file.
fn week1() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo().join("tests/fixtures/compose/bootcamp-week1.yml"),
        dir.path().join("docker-compose.yml"),
    )
    .unwrap();
    dir
}

/// Stdout parses as exactly one JSON document; returns it.
fn one_json(out: &Output) -> Value {
    let text = stdout(out);
    let mut docs = serde_json::Deserializer::from_str(&text).into_iter::<Value>();
    let first = docs
        .next()
        .unwrap_or_else(|| panic!("no JSON on stdout; stderr: {}", stderr(out)))
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {text}"));
    assert!(docs.next().is_none(), "more than one JSON document: {text}");
    first
}

fn auth_ok() -> Value {
    json!({"id": "kid", "type": "ingest",
        "api_key_access": {"events": true, "createDatasets": true},
        "environment": {"name": "dev", "slug": "dev"},
        "team": {"name": "T", "slug": "t"}})
}

#[test]
fn init_json_without_a_terminal_or_yes_prints_the_plan_in_one_json_document() {
    let ran = Test::new()
        .fixture(WEEK1, "docker-compose.yml")
        .args(["init", "--output", "json"])
        .args([
            "--without",
            "xray",
            "--without",
            "logs",
            "--without",
            "honeycomb",
        ])
        .status(5)
        .unchanged("docker-compose.yml")
        .absent(".gitpod.yml")
        .stdout_any().stderr("error: init (the plan in \"report\") needs confirmation, but there is no terminal to ask on\nhelp: run it on a terminal to be asked, or pass --yes to agree in advance (--dry-run shows what would change)\n").run();
    let doc = ran.json();
    assert_eq!(doc["exit_code"], 5);
    assert_eq!(doc["report"]["command"], "init");
    assert_eq!(doc["report"]["files"][0]["status"], "would-change");
    insta::assert_snapshot!(
        "init_needs_confirmation_error",
        format!("{}\n{}", doc["error"], doc["help"])
    );
}

#[test]
fn xray_delete_with_a_failing_call_prints_what_was_done_in_one_json_document() {
    let emu = Emulator::start().unwrap();
    Test::new()
        .endpoint(&emu.url())
        .args(["xray", "create-sampling-rule"])
        .stdout_any()
        .run();
    emu.inject(Fault::new(FaultKind::ServerError, 100).on("DeleteSamplingRule"));
    let doc = Test::new()
        .endpoint(&emu.url())
        .env("AWS_MAX_ATTEMPTS", "1")
        .args(["xray", "delete", "--yes", "--output", "json"])
        .status(1)
        .stdout_any()
        .stderr_any()
        .run()
        .json();
    assert_eq!(doc["exit_code"], 1);
    assert!(doc["error"]
        .as_str()
        .unwrap()
        .contains("DeleteSamplingRule"));
    // What did happen before the error travels in the same document.
    let outcomes = doc["report"]["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 1, "{doc:#}");
    assert_eq!(outcomes[0]["kind"], "xray-group");
}

#[test]
fn init_without_aws_parts_needs_no_aws_region() {
    let ran = Test::new()
        .fixture(WEEK1, "docker-compose.yml")
        .env_remove("AWS_REGION")
        .args(["init", "--yes", "--without", "xray", "--without", "logs"])
        .args(["--without", "honeycomb"])
        .snapshot("init_without_aws_parts_needs_no_region");
    assert!(ran
        .read("docker-compose.yml")
        .contains("ROLLBAR_ACCESS_TOKEN: \"${ROLLBAR_ACCESS_TOKEN}\""));
}

#[test]
#[ignore = "needs scripts/test.sh: tmux"]
fn destroy_on_a_terminal_does_not_ask_for_a_honeycomb_key() {
    let emu = Emulator::start().unwrap();
    let moto = Moto::start();
    let dir = week1();
    let bin = assert_cmd::cargo::cargo_bin("cruddur-obs");
    let env = crate::common::isolated_env_prefix(
        dir.path(),
        &[
            ("AWS_ENDPOINT_URL_XRAY", emu.url()),
            ("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", moto.url.clone()),
        ],
    );
    let script = format!(
        "cd '{}' && {env} '{}' destroy; echo EXIT=$?; sleep 60",
        dir.path().display(),
        bin.display()
    );
    let tmux = crate::wizard::Tmux {
        session: format!("cruddur-obs-destroy-{}", std::process::id()),
    };
    crate::wizard::Tmux::run(&[
        "new-session",
        "-d",
        "-s",
        &tmux.session,
        "-x",
        "200",
        "-y",
        "50",
        &script,
    ]);
    let screen = tmux.wait_for("EXIT=");
    assert!(!screen.contains("Honeycomb"), "{screen}");
    assert!(screen.contains("EXIT=0"), "{screen}");
}

#[test]
fn gitpod_errors_carry_gitpod_help() {
    for (name, text) in [
        ("ports_not_a_list", "ports: 3000\n"),
        ("not_yaml", "ports: [\n"),
        ("duplicate_keys", "tasks: []\ntasks: []\n"),
    ] {
        Test::new()
            .write(".gitpod.yml", text)
            .args(["gitpod", "write", "--yes"])
            .status(2)
            .stdout("")
            .unchanged(".gitpod.yml")
            .snapshot(&format!("gitpod_refuses_{name}"));
    }
}

#[test]
fn a_closed_stdout_ends_quietly() {
    for args in [&["completions", "bash"][..], &["--help"][..]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = crate::common::isolated_std("cruddur-obs")
            .args(args)
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    }
}

#[test]
fn gp_env_steps_follow_the_chosen_parts() {
    let ran = Test::new()
        .fixture(WEEK1, "docker-compose.yml")
        .args([
            "init",
            "--dry-run",
            "--without",
            "xray",
            "--without",
            "logs",
        ])
        .args(["--without", "honeycomb"])
        .status(3)
        .unchanged("docker-compose.yml")
        .snapshot("shape_gp_env_steps_follow_the_chosen_parts");
    let steps: Vec<&str> = ran
        .stdout
        .lines()
        .filter(|l| l.contains("gp env"))
        .map(str::trim)
        .collect();
    assert_eq!(
        steps,
        ["gp env ROLLBAR_ACCESS_TOKEN=<value>"],
        "{}",
        ran.transcript()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_global_region_is_not_a_honeycomb_region() {
    let stub = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/1/auth"))
        .respond_with(ResponseTemplate::new(200).set_body_json(auth_ok()))
        .mount(&stub)
        .await;
    Test::new()
        .env("HONEYCOMB_API_KEY", KEY)
        .env("HONEYCOMB_API_ENDPOINT", stub.uri())
        .args(["--region", "ca-central-1", "honeycomb", "check"])
        .snapshot("global_region_with_honeycomb_check");
}

#[test]
fn a_key_with_a_control_character_is_bad_input() {
    Test::new()
        .env("HONEYCOMB_API_KEY", "hcaik_01j9zzzz\u{7}zzzzzzzzzzzzz")
        .env("HONEYCOMB_API_ENDPOINT", "http://127.0.0.1:9")
        .args(["honeycomb", "check"])
        .status(2)
        .stdout("")
        .snapshot("control_character_in_key");
}

/// Every command and outcome: under `--output json` stdout holds exactly one JSON
/// document, with the documented fields (`error`/`help`/`exit_code` on failure).
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs scripts/test.sh: moto_server"]
async fn every_command_and_outcome_prints_exactly_one_json_document() {
    let emu = Emulator::start().unwrap();
    let moto = Moto::start();
    let stub = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/1/auth"))
        .and(wiremock::matchers::header("x-honeycomb-team", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(auth_ok()))
        .mount(&stub)
        .await;
    let mut read_only = auth_ok();
    read_only["api_key_access"]["events"] = json!(false);
    Mock::given(method("GET"))
        .and(path("/1/auth"))
        .and(wiremock::matchers::header(
            "x-honeycomb-team",
            READ_ONLY_KEY,
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(read_only))
        .mount(&stub)
        .await;
    Mock::given(method("GET"))
        .and(path("/1/auth"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "unknown API key"})))
        .mount(&stub)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/traces"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&stub)
        .await;
    let dir = week1();
    let bad = tempfile::tempdir().unwrap();
    std::fs::write(bad.path().join("docker-compose.yml"), "services: [\n").unwrap();
    std::fs::write(bad.path().join(".gitpod.yml"), "ports: 3000\n").unwrap();

    // (args, where, key, expected exit code, field the report must have: at the
    // top on exit 0, under "report" otherwise; "error" when there is no report)
    let cases: Vec<(Vec<&str>, &std::path::Path, &str, i32, &str)> = vec![
        (
            vec!["honeycomb", "check"],
            dir.path(),
            READ_ONLY_KEY,
            4,
            "can_send_traces",
        ),
        (
            vec!["honeycomb", "check"],
            dir.path(),
            KEY,
            0,
            "can_send_traces",
        ),
        (
            vec!["honeycomb", "check"],
            dir.path(),
            "hcaik_wrong",
            4,
            "error",
        ),
        (
            vec!["honeycomb", "check"],
            dir.path(),
            "bad key",
            2,
            "error",
        ),
        (
            vec!["honeycomb", "send-test-span"],
            dir.path(),
            KEY,
            0,
            "trace_id",
        ),
        (
            vec!["honeycomb", "send-test-span", "--dry-run"],
            dir.path(),
            KEY,
            3,
            "can_send_traces",
        ),
        (
            vec!["xray", "create-group", "--dry-run"],
            dir.path(),
            KEY,
            3,
            "outcomes",
        ),
        (vec!["xray", "create-group"], dir.path(), KEY, 0, "outcomes"),
        (vec!["xray", "create-group"], dir.path(), KEY, 0, "outcomes"),
        (vec!["xray", "status"], dir.path(), KEY, 3, "outcomes"),
        (
            vec!["xray", "create-group", "--name", "Default"],
            dir.path(),
            KEY,
            2,
            "error",
        ),
        (vec!["xray", "delete"], dir.path(), KEY, 5, "error"),
        (
            vec!["logs", "create-group", "--dry-run"],
            dir.path(),
            KEY,
            3,
            "outcomes",
        ),
        (vec!["logs", "create-group"], dir.path(), KEY, 0, "outcomes"),
        (
            vec!["logs", "create-group", "--retention-days", "8"],
            dir.path(),
            KEY,
            2,
            "error",
        ),
        (
            vec!["compose", "write", "--dry-run"],
            dir.path(),
            KEY,
            3,
            "files",
        ),
        (vec!["compose", "write"], dir.path(), KEY, 5, "error"),
        (vec!["compose", "write"], bad.path(), KEY, 2, "error"),
        (
            vec!["gitpod", "write", "--dry-run"],
            dir.path(),
            KEY,
            3,
            "files",
        ),
        (vec!["gitpod", "write"], bad.path(), KEY, 2, "error"),
        (vec!["plan"], dir.path(), KEY, 3, "files"),
        (vec!["init"], dir.path(), KEY, 5, "error"),
        (vec!["init", "--yes"], dir.path(), KEY, 0, "files"),
        (vec!["init", "--yes"], dir.path(), KEY, 0, "files"),
        (vec!["init", "--yes"], bad.path(), KEY, 2, "failures"),
        (vec!["status"], dir.path(), KEY, 1, "checks"),
        (vec!["destroy", "--dry-run"], dir.path(), KEY, 3, "cloud"),
        (vec!["destroy", "--yes"], dir.path(), KEY, 0, "cloud"),
    ];
    for (args, cwd, key, code, field) in cases {
        // Also with -vvv (every crate's debug logs): neither the key nor the AWS secret in any output.
        let loud = isolated("cruddur-obs")
            .current_dir(cwd)
            .env("HONEYCOMB_API_KEY", key)
            .env("HONEYCOMB_API_ENDPOINT", stub.uri())
            .env("AWS_ENDPOINT_URL_XRAY", emu.url())
            .env("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", &moto.url)
            .env("AWS_ENDPOINT_URL_STS", &moto.url)
            .args(&args)
            .args(["--output", "json", "-vvv", "--dry-run"])
            .output()
            .unwrap();
        let all = format!("{}{}", stdout(&loud), stderr(&loud));
        for secret in [KEY, crate::common::SECRET_KEY] {
            assert!(
                !all.contains(&secret[..20]),
                "{args:?} -vvv: a secret leaked:\n{all}"
            );
        }
        let out = isolated("cruddur-obs")
            .current_dir(cwd)
            .env("HONEYCOMB_API_KEY", key)
            .env("HONEYCOMB_API_ENDPOINT", stub.uri())
            .env("AWS_ENDPOINT_URL_XRAY", emu.url())
            .env("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", &moto.url)
            .env("AWS_ENDPOINT_URL_STS", &moto.url)
            .args(&args)
            .args(["--output", "json"])
            .output()
            .unwrap();
        let doc = one_json(&out);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {doc:#}\n{}",
            stderr(&out)
        );
        if code == 0 {
            assert!(doc.get(field).is_some(), "{args:?}: no {field}: {doc:#}");
            assert!(doc.get("error").is_none(), "{args:?}: {doc:#}");
        } else {
            assert_eq!(doc["exit_code"], code, "{args:?}: {doc:#}");
            assert!(doc["error"].is_string(), "{args:?}: no error: {doc:#}");
            assert!(doc.get("help").is_some(), "{args:?}: no help: {doc:#}");
            if field != "error" {
                assert!(
                    doc["report"].get(field).is_some(),
                    "{args:?}: no report.{field}: {doc:#}"
                );
            }
        }
        assert!(!stdout(&out).contains(KEY), "{args:?}: the key leaked");
    }
}
