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

/// A Rollbar access token with the read scope.
const TOKEN: &str = "fedcba9876543210fedcba9876543210";
/// A Rollbar access token that may only post client items.
const CLIENT_TOKEN: &str = "c11e47c11e47c11e47c11e47c11e47aa";
/// A Honeycomb configuration key (for the board).
const CONFIG_KEY: &str = "hcxck_01j9zzzzzzzzzzzzzzzzzzzzzzq8t3m4k5n6p7r8s9t0v1w2x3y4z5c0f9";
/// The board's key in the environment: with it, the setup commands do the board too.
const BOARD_KEY: &[(&str, &str)] = &[("HONEYCOMB_CONFIG_KEY", CONFIG_KEY)];

/// Where a case of [`every_command_and_outcome_prints_exactly_one_json_document`] runs.
#[derive(Debug, Clone, Copy)]
enum Dir {
    /// The course's week-1 compose file; what one case does, the next one sees.
    Week1,
    /// Files that do not parse: the compose file, `.gitpod.yml`,
    /// `devcontainer.json`, `rule.json` (a sampling rule out of bounds).
    Broken,
    /// The sample app's backend-flask (no compose file).
    App,
    /// A backend-flask whose app.py is not Python.
    BrokenApp,
    /// The sample backend and a week-1 React app (`frontend-react-js`).
    Frontend,
    /// A React app whose package.json is not JSON.
    BrokenFrontend,
    /// Nothing at all.
    Empty,
}

/// What the services a case talks to answer.
#[derive(Debug, Clone, Copy)]
enum World {
    /// The X-Ray emulator, moto (CloudWatch Logs, STS), the Honeycomb stub (which
    /// knows `KEY` and `READ_ONLY_KEY`) and a Rollbar stand-in (`TOKEN` may read,
    /// `CLIENT_TOKEN` may only post client items; items are accepted).
    Up,
    /// Every endpoint a closed port: a network error.
    Down,
    /// Every service refuses the credentials: AWS with
    /// UnrecognizedClientException, Honeycomb and Rollbar with 401.
    Refusing,
    /// No AWS credentials, no Honeycomb key, no Rollbar token.
    NoCredentials,
    /// As `Up`, but CloudWatch Logs takes events and never shows them.
    Invisible,
}

/// One row: the command, where and against what it runs, the Honeycomb key, the
/// exit code, and the field its report must have (at the top on exit 0, under
/// `report` otherwise), or `None` when the failure came before anything was read.
struct Case {
    args: &'static [&'static str],
    dir: Dir,
    world: World,
    key: &'static str,
    code: i32,
    report: Option<&'static str>,
    /// More environment for this case only.
    env: &'static [(&'static str, &'static str)],
}

const fn case(
    args: &'static [&'static str],
    dir: Dir,
    world: World,
    key: &'static str,
    code: i32,
    report: Option<&'static str>,
) -> Case {
    Case {
        args,
        dir,
        world,
        key,
        code,
        report,
        env: &[],
    }
}

impl Case {
    /// The case with more environment.
    const fn env(self, env: &'static [(&'static str, &'static str)]) -> Case {
        Case { env, ..self }
    }
}

/// A case with the good key in the week-1 directory.
const fn up(args: &'static [&'static str], code: i32, report: Option<&'static str>) -> Case {
    case(args, Dir::Week1, World::Up, KEY, code, report)
}

/// A case in the week-1 directory in another world.
const fn world(
    args: &'static [&'static str],
    world: World,
    code: i32,
    report: Option<&'static str>,
) -> Case {
    case(args, Dir::Week1, world, KEY, code, report)
}

/// A case in another directory, with every service up.
const fn in_dir(
    args: &'static [&'static str],
    dir: Dir,
    code: i32,
    report: Option<&'static str>,
) -> Case {
    case(args, dir, World::Up, KEY, code, report)
}

/// Every leaf command of the CLI (as `--help` lists them), for the bad-arguments
/// cases, and to check that the table names each one.
const COMMANDS: &[&[&str]] = &[
    &["init"],
    &["plan"],
    &["status"],
    &["destroy"],
    &["verify"],
    &["xray", "create-group"],
    &["xray", "create-sampling-rule"],
    &["xray", "status"],
    &["xray", "delete"],
    &["logs", "create-group"],
    &["logs", "status"],
    &["logs", "delete"],
    &["honeycomb", "check"],
    &["honeycomb", "board"],
    &["honeycomb", "send-test-span"],
    &["rollbar", "check"],
    &["rollbar", "send-test-item"],
    &["compose", "write"],
    &["gitpod", "write"],
    &["devcontainer", "write"],
    &["app", "write"],
    &["frontend", "write"],
    &["export", "cloudformation"],
    &["export", "terraform"],
    &["iam", "policy"],
    &["completions"],
];

use Dir::{App, Broken, BrokenApp, BrokenFrontend, Empty, Frontend};
use World::{Down, Invisible, NoCredentials, Refusing};

/// The cases, in order: the week-1 directory's state carries over from one
/// to the next (created, then in sync, then asked about, then destroyed).
const CASES: &[Case] = &[
    // Honeycomb: a key that may not send, a good one, an unknown one, a malformed one.
    up(&["honeycomb", "check"], 0, Some("can_send_traces")),
    case(
        &["honeycomb", "check"],
        Dir::Week1,
        World::Up,
        READ_ONLY_KEY,
        4,
        Some("can_send_traces"),
    ),
    case(
        &["honeycomb", "check"],
        Dir::Week1,
        World::Up,
        "hcaik_wrong",
        4,
        None,
    ),
    case(
        &["honeycomb", "check"],
        Dir::Week1,
        World::Up,
        "bad key",
        2,
        None,
    ),
    world(&["honeycomb", "check"], Down, 1, None),
    world(&["honeycomb", "check"], Refusing, 4, None),
    world(&["honeycomb", "check"], NoCredentials, 2, None),
    up(&["honeycomb", "send-test-span"], 0, Some("trace_id")),
    up(
        &["honeycomb", "send-test-span", "--dry-run"],
        3,
        Some("can_send_traces"),
    ),
    case(
        &["honeycomb", "send-test-span"],
        Dir::Week1,
        World::Up,
        READ_ONLY_KEY,
        4,
        Some("can_send_traces"),
    ),
    case(
        &["honeycomb", "send-test-span"],
        Dir::Week1,
        World::Up,
        "hcaik_wrong",
        4,
        None,
    ),
    world(&["honeycomb", "send-test-span"], Down, 1, None),
    world(&["honeycomb", "send-test-span"], NoCredentials, 2, None),
    world(&["honeycomb", "board"], Down, 1, None).env(BOARD_KEY),
    world(&["honeycomb", "board"], Refusing, 4, None).env(BOARD_KEY),
    world(&["honeycomb", "board"], NoCredentials, 2, None),
    // Rollbar: a token that may not post server items, refused, unreachable, none.
    up(&["rollbar", "check"], 0, Some("scopes")),
    up(&["rollbar", "check"], 4, Some("scopes")).env(&[("ROLLBAR_ACCESS_TOKEN", CLIENT_TOKEN)]),
    world(&["rollbar", "check"], Down, 1, None),
    world(&["rollbar", "check"], Refusing, 4, None),
    world(&["rollbar", "check"], NoCredentials, 2, None),
    up(
        &["rollbar", "send-test-item", "--dry-run"],
        3,
        Some("scopes"),
    ),
    up(&["rollbar", "send-test-item"], 0, Some("link")),
    world(&["rollbar", "send-test-item"], Down, 1, None),
    world(&["rollbar", "send-test-item"], Refusing, 4, None),
    world(&["rollbar", "send-test-item"], NoCredentials, 2, None),
    // X-Ray.
    up(&["xray", "create-group", "--dry-run"], 3, Some("outcomes")),
    up(&["xray", "create-group"], 0, Some("outcomes")),
    up(&["xray", "create-group"], 0, Some("outcomes")),
    up(
        &[
            "xray",
            "create-group",
            "--filter-expression",
            "service(\"other\")",
        ],
        5,
        Some("outcomes"),
    ),
    up(&["xray", "create-group", "--name", "Default"], 2, None),
    world(&["xray", "create-group"], Down, 1, None),
    world(&["xray", "create-group"], Refusing, 4, None),
    world(&["xray", "create-group"], NoCredentials, 4, None),
    up(&["xray", "status"], 3, Some("outcomes")),
    world(&["xray", "status"], Down, 1, None),
    world(&["xray", "status"], Refusing, 4, None),
    world(&["xray", "status"], NoCredentials, 4, None),
    up(
        &["xray", "create-sampling-rule", "--dry-run"],
        3,
        Some("outcomes"),
    ),
    in_dir(
        &[
            "xray",
            "create-sampling-rule",
            "--cli-input-json",
            "file://rule.json",
        ],
        Broken,
        2,
        None,
    ),
    up(
        &[
            "xray",
            "create-sampling-rule",
            "--cli-input-json",
            "file://missing.json",
        ],
        2,
        None,
    ),
    world(&["xray", "create-sampling-rule"], Down, 1, None),
    world(&["xray", "create-sampling-rule"], Refusing, 4, None),
    up(&["xray", "delete"], 5, Some("outcomes")),
    world(&["xray", "delete", "--yes"], Down, 1, None),
    world(&["xray", "delete", "--yes"], Refusing, 4, None),
    world(&["xray", "delete", "--yes"], NoCredentials, 4, None),
    // CloudWatch Logs.
    up(&["logs", "create-group", "--dry-run"], 3, Some("outcomes")),
    up(&["logs", "create-group"], 0, Some("outcomes")),
    up(&["logs", "create-group", "--retention-days", "8"], 2, None),
    up(&["logs", "create-group", "aws/reserved"], 2, None),
    up(
        &["logs", "create-group", "--retention-days", "14"],
        5,
        Some("outcomes"),
    ),
    up(
        &["logs", "create-group", "--class", "INFREQUENT_ACCESS"],
        3,
        Some("outcomes"),
    ),
    world(&["logs", "create-group"], Down, 1, None),
    world(&["logs", "create-group"], Refusing, 4, None),
    world(&["logs", "create-group"], NoCredentials, 4, None),
    up(
        &["logs", "status", "--retention-days", "14"],
        3,
        Some("outcomes"),
    ),
    world(&["logs", "status"], Down, 1, None),
    world(&["logs", "status"], Refusing, 4, None),
    up(&["logs", "delete"], 5, Some("outcomes")),
    world(&["logs", "delete", "--yes"], Down, 1, None),
    world(&["logs", "delete", "--yes"], Refusing, 4, None),
    // Files.
    up(&["compose", "write", "--dry-run"], 3, Some("files")),
    up(&["compose", "write"], 5, Some("files")),
    in_dir(&["compose", "write"], Broken, 2, None),
    in_dir(&["compose", "write"], Empty, 2, None),
    up(&["gitpod", "write", "--dry-run"], 3, Some("files")),
    in_dir(&["gitpod", "write"], Empty, 5, Some("files")),
    in_dir(&["gitpod", "write"], Broken, 2, None),
    in_dir(
        &["devcontainer", "write", "--dry-run"],
        Empty,
        3,
        Some("files"),
    ),
    in_dir(&["devcontainer", "write"], Empty, 5, Some("files")),
    in_dir(&["devcontainer", "write"], Broken, 2, None),
    in_dir(&["app", "write", "--dry-run"], App, 3, Some("files")),
    in_dir(&["app", "write"], App, 5, Some("files")),
    in_dir(&["app", "write"], BrokenApp, 2, None),
    in_dir(&["app", "write"], Empty, 2, None),
    in_dir(
        &["frontend", "write", "--dry-run"],
        Frontend,
        3,
        Some("files"),
    ),
    in_dir(&["frontend", "write"], Frontend, 5, Some("files")),
    in_dir(&["frontend", "write"], BrokenFrontend, 2, None),
    in_dir(&["frontend", "write"], Empty, 2, None),
    // Exports and the policy.
    up(
        &["export", "cloudformation", "--out", "cfn.yaml"],
        5,
        Some("files"),
    ),
    up(
        &["export", "cloudformation", "--import-file", "import.json"],
        5,
        Some("template"),
    ),
    in_dir(
        &[
            "export",
            "cloudformation",
            "--cli-input-json",
            "file://rule.json",
        ],
        Broken,
        2,
        None,
    ),
    world(
        &["export", "cloudformation", "--import-file", "import.json"],
        Down,
        1,
        None,
    ),
    world(
        &["export", "cloudformation", "--import-file", "import.json"],
        Refusing,
        4,
        None,
    ),
    world(
        &["export", "cloudformation", "--import-file", "import.json"],
        NoCredentials,
        4,
        None,
    ),
    up(&["export", "terraform", "--retention-days", "8"], 2, None),
    world(&["export", "terraform", "--import"], Down, 1, None),
    world(&["export", "terraform", "--import"], Refusing, 4, None),
    up(&["iam", "policy", "--log-group", "aws/reserved"], 2, None),
    up(&["completions", "no-such-shell"], 2, None),
    // The whole setup.
    up(&["plan"], 3, Some("files")),
    in_dir(&["plan"], Broken, 2, Some("failures")),
    world(&["plan"], Down, 1, Some("failures")),
    world(&["plan"], Refusing, 4, Some("failures")),
    up(&["init"], 5, Some("files")),
    up(&["init", "--yes"], 0, Some("files")),
    up(&["init", "--yes"], 0, Some("files")),
    in_dir(&["init", "--yes"], Broken, 2, Some("failures")),
    world(&["init", "--yes"], Down, 1, Some("failures")),
    world(&["init", "--yes"], Refusing, 4, Some("failures")),
    world(&["init", "--yes"], NoCredentials, 4, Some("failures")),
    up(&["status"], 0, Some("checks")),
    up(&["status", "--retention-days", "14"], 1, Some("checks")),
    world(&["status"], Down, 1, Some("checks")),
    world(&["status"], Refusing, 1, Some("checks")),
    in_dir(&["status"], Broken, 1, Some("failures")),
    world(&["verify", "--wait", "1"], Down, 1, Some("parts")),
    in_dir(&["verify", "--service", "backend-flask"], Broken, 2, None),
    // `--app` with nothing answering: an error before anything was read.
    up(
        &["verify", "--app", "http://127.0.0.1:9", "--wait", "0"],
        1,
        None,
    ),
    up(&["verify", "--app", "--route", "no-slash"], 2, None),
    world(&["verify", "--wait", "1"], Refusing, 4, Some("parts")),
    world(
        &[
            "verify",
            "--wait",
            "1",
            "--without",
            "xray",
            "--without",
            "honeycomb",
            "--without",
            "rollbar",
        ],
        Invisible,
        3,
        Some("parts"),
    ),
    up(&["destroy"], 5, Some("cloud")),
    up(&["destroy", "--dry-run"], 3, Some("cloud")),
    world(&["destroy", "--yes"], Down, 1, Some("failures")),
    world(&["destroy", "--yes"], Refusing, 4, Some("failures")),
    world(&["destroy", "--yes"], NoCredentials, 4, Some("failures")),
    up(&["destroy", "--yes"], 0, Some("cloud")),
];

/// The names under "Commands:" in a `--help` (without `help`).
fn commands_in_help(args: &[&str]) -> Vec<String> {
    let ran = Test::new().args(args.iter().copied()).stdout_any().run();
    ran.stdout
        .lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// The table of [`every_command_and_outcome_prints_exactly_one_json_document`]
/// knows every command `--help` lists: a new command needs its rows.
#[test]
fn the_json_table_names_every_command_of_the_help() {
    let mut listed = Vec::new();
    for top in commands_in_help(&["--help"]) {
        let sub = commands_in_help(&[top.as_str(), "--help"]);
        if sub.is_empty() {
            listed.push(vec![top]);
        } else {
            listed.extend(sub.into_iter().map(|s| vec![top.clone(), s]));
        }
    }
    let known: Vec<Vec<String>> = COMMANDS
        .iter()
        .map(|c| c.iter().map(|s| s.to_string()).collect())
        .collect();
    assert_eq!(listed, known);
}

/// A change that needs agreement, refused for want of a terminal: the text output
/// says so on stderr only (the plan was shown there), while the JSON document
/// carries the plan as its `report`.
#[test]
fn a_refused_confirmation_keeps_stdout_empty_in_text_and_the_plan_in_json() {
    let emu = Emulator::start().unwrap();
    Test::new()
        .endpoint(&emu.url())
        .args(["xray", "create-group"])
        .stdout_any()
        .run();
    let text = Test::new()
        .endpoint(&emu.url())
        .args(["xray", "delete"])
        .status(5)
        .run_for_snapshot();
    let json = Test::new()
        .endpoint(&emu.url())
        .args(["xray", "delete", "--output", "json"])
        .status(5)
        .run_for_snapshot();
    let doc = json.json();
    assert_eq!(
        doc["report"]["outcomes"][0]["status"], "would-delete",
        "{doc:#}"
    );
    crate::harness::snapshot_all(
        "shape_a_refused_confirmation_in_text_and_json",
        [&text, &json],
    );
    assert!(emu
        .mutating_requests()
        .iter()
        .all(|r| r.operation == "CreateGroup"));
}

/// A loopback port nothing listens on.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

/// A server that refuses every credential: AWS's UnrecognizedClientException for
/// the AWS APIs, a 401 for Honeycomb (`/1/…`, `/2/…`) and Rollbar (`/api/1/…`).
async fn refusing() -> MockServer {
    use wiremock::matchers::path_regex;
    let server = MockServer::start().await;
    Mock::given(path_regex("^/[12]/"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": "unknown API key - check your credentials"})),
        )
        .mount(&server)
        .await;
    Mock::given(path_regex("^/api/1/"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"err": 1, "message": "invalid access token"})),
        )
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-amzn-ErrorType", "UnrecognizedClientException")
                .set_body_json(json!({
                    "__type": "UnrecognizedClientException",
                    "message": "The security token included in the request is invalid."
                })),
        )
        .mount(&server)
        .await;
    server
}

/// CloudWatch Logs that takes a log stream and events and never shows them.
async fn invisible_logs() -> MockServer {
    use wiremock::matchers::header;
    let server = MockServer::start().await;
    for (target, body) in [
        ("Logs_20140328.CreateLogStream", json!({})),
        (
            "Logs_20140328.PutLogEvents",
            json!({"nextSequenceToken": "1"}),
        ),
        ("Logs_20140328.GetLogEvents", json!({"events": []})),
    ] {
        Mock::given(header("x-amz-target", target))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    server
}

/// The Rollbar stand-in: `TOKEN` may read (one item of project 1),
/// `CLIENT_TOKEN` may only post client items (so `check` is exit 4), and items
/// are accepted.
async fn rollbar() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/1/items/"))
        .and(wiremock::matchers::header("x-rollbar-access-token", TOKEN))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"err": 0, "result": {"items": [{"project_id": 1}]}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/1/items/"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"err": 1,
            "message": "insufficient privileges: read scope is required but the access token only has post_client_item."})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/1/item/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"err": 0, "result": {"id": null, "uuid": "0123456789abcdef0123456789abcdef"}}),
        ))
        .mount(&server)
        .await;
    server
}

/// The directories of [`Dir`].
struct Dirs {
    week1: tempfile::TempDir,
    broken: tempfile::TempDir,
    app: tempfile::TempDir,
    broken_app: tempfile::TempDir,
    frontend: tempfile::TempDir,
    broken_frontend: tempfile::TempDir,
    empty: tempfile::TempDir,
}

impl Dirs {
    fn new() -> Dirs {
        let broken = tempfile::tempdir().unwrap();
        for (file, text) in [
            ("docker-compose.yml", "services: [\n"),
            (".gitpod.yml", "ports: 3000\n"),
            (
                ".devcontainer/devcontainer.json",
                "{\"forwardPorts\": [3000,,]\n",
            ),
            (
                "rule.json",
                &crate::common::bundled_rule().replace("\"FixedRate\": 0.1", "\"FixedRate\": 1.5"),
            ),
        ] {
            let at = broken.path().join(file);
            std::fs::create_dir_all(at.parent().unwrap()).unwrap();
            std::fs::write(at, text).unwrap();
        }
        let app = tempfile::tempdir().unwrap();
        std::fs::create_dir(app.path().join("backend-flask")).unwrap();
        for file in ["app.py", "requirements.txt"] {
            std::fs::copy(
                repo()
                    .join("examples/cruddur-like/backend-flask")
                    .join(file),
                app.path().join("backend-flask").join(file),
            )
            .unwrap();
        }
        let broken_app = tempfile::tempdir().unwrap();
        std::fs::create_dir(broken_app.path().join("backend-flask")).unwrap();
        std::fs::write(
            broken_app.path().join("backend-flask/app.py"),
            "def app(:\n",
        )
        .unwrap();
        std::fs::write(
            broken_app.path().join("backend-flask/requirements.txt"),
            "flask\n",
        )
        .unwrap();
        let frontend = tempfile::tempdir().unwrap();
        let broken_frontend = tempfile::tempdir().unwrap();
        for (dir, package) in [
            (&frontend, None),
            (&broken_frontend, Some("{\"dependencies\": {,}\n")),
        ] {
            let fixture = repo().join("tests/fixtures/frontends/week1");
            for rel in ["package.json", "src/index.js", "public/index.html"] {
                let to = dir.path().join("frontend-react-js").join(rel);
                std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                std::fs::copy(fixture.join(rel), &to).unwrap();
            }
            if let Some(text) = package {
                std::fs::write(dir.path().join("frontend-react-js/package.json"), text).unwrap();
            }
        }
        Dirs {
            week1: week1(),
            broken,
            app,
            broken_app,
            frontend,
            broken_frontend,
            empty: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, dir: Dir) -> &std::path::Path {
        match dir {
            Dir::Week1 => self.week1.path(),
            Dir::Broken => self.broken.path(),
            Dir::App => self.app.path(),
            Dir::BrokenApp => self.broken_app.path(),
            Dir::Frontend => self.frontend.path(),
            Dir::BrokenFrontend => self.broken_frontend.path(),
            Dir::Empty => self.empty.path(),
        }
    }
}

/// Every command and outcome: under `--output json` stdout holds exactly one JSON
/// document — on exit 0 the report; otherwise `error`, `help`, `exit_code` and,
/// when something was read or done before the failure, `report` — and nothing
/// else; the exit code is the table's, and no secret shows at any `-v` level.
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
    let rollbar = rollbar().await;
    let refusing = refusing().await;
    let invisible = invisible_logs().await;
    let down = closed_port();
    let dirs = Dirs::new();

    // The table names every command, with bad arguments for each.
    let mut cases: Vec<Case> = COMMANDS
        .iter()
        .map(|command| {
            let args: Vec<&'static str> =
                command.iter().copied().chain(["--no-such-flag"]).collect();
            up(Vec::leak(args), 2, None)
        })
        .collect();
    cases.extend(
        CASES
            .iter()
            .map(|c| case(c.args, c.dir, c.world, c.key, c.code, c.report).env(c.env)),
    );
    for command in COMMANDS {
        assert!(
            CASES
                .iter()
                .any(|c| c.args.starts_with(command) && c.code != 0),
            "{command:?}: no failing case beyond bad arguments"
        );
    }

    let mut wrong = Vec::new();
    for c in &cases {
        let run = |loud: bool| {
            let mut cmd = isolated("cruddur-obs");
            cmd.current_dir(dirs.path(c.dir))
                .env("HONEYCOMB_API_KEY", c.key)
                .env("ROLLBAR_ACCESS_TOKEN", TOKEN)
                .env("AWS_DEFAULT_REGION", "us-east-1")
                .timeout(std::time::Duration::from_secs(60));
            let (aws, logs, honeycomb, rollbar) = match c.world {
                World::Up | World::NoCredentials => {
                    (emu.url(), moto.url.clone(), stub.uri(), rollbar.uri())
                }
                World::Invisible => (emu.url(), invisible.uri(), stub.uri(), rollbar.uri()),
                World::Down => (down.clone(), down.clone(), down.clone(), down.clone()),
                World::Refusing => (
                    refusing.uri(),
                    refusing.uri(),
                    refusing.uri(),
                    refusing.uri(),
                ),
            };
            let sts = if matches!(c.world, World::Up | World::NoCredentials | World::Invisible) {
                moto.url.clone()
            } else {
                logs.clone()
            };
            cmd.env("AWS_ENDPOINT_URL_XRAY", aws)
                .env("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", logs)
                .env("AWS_ENDPOINT_URL_STS", sts)
                .env("HONEYCOMB_API_ENDPOINT", honeycomb)
                .env("ROLLBAR_ENDPOINT", format!("{rollbar}/api/1"));
            if !matches!(c.world, World::Up | World::Invisible) {
                cmd.env("AWS_MAX_ATTEMPTS", "1");
            }
            if matches!(c.world, World::NoCredentials) {
                for name in [
                    "AWS_ACCESS_KEY_ID",
                    "AWS_SECRET_ACCESS_KEY",
                    "HONEYCOMB_API_KEY",
                    "HONEYCOMB_CONFIG_KEY",
                    "ROLLBAR_ACCESS_TOKEN",
                ] {
                    cmd.env_remove(name);
                }
            }
            cmd.envs(c.env.iter().copied());
            cmd.args(c.args).args(["--output", "json"]);
            if loud {
                // Every crate's debug logs, changing nothing.
                cmd.args(["-vvv", "--dry-run"]);
            }
            cmd.output().unwrap()
        };
        let args = c.args;
        let loud = run(true);
        let all = format!("{}{}", stdout(&loud), stderr(&loud));
        for secret in [
            KEY,
            CONFIG_KEY,
            TOKEN,
            CLIENT_TOKEN,
            crate::common::SECRET_KEY,
        ] {
            assert!(
                !all.contains(&secret[..20]),
                "{args:?} -vvv: a secret leaked:\n{all}"
            );
        }
        let out = run(false);
        let doc = one_json(&out);
        let problems = shape_problems(c, out.status.code(), &doc);
        if !problems.is_empty() {
            wrong.push(format!(
                "{args:?} in {:?} ({:?}): {}\n{doc:#}\n{}",
                c.dir,
                c.world,
                problems.join("; "),
                stderr(&out)
            ));
        }
        for secret in [KEY, CONFIG_KEY, TOKEN, CLIENT_TOKEN] {
            assert!(!stdout(&out).contains(secret), "{args:?}: a secret leaked");
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases are not as the table says:\n\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n\n")
    );
}

/// How `doc`, printed with exit `code`, differs from what case `c` expects.
fn shape_problems(c: &Case, code: Option<i32>, doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if code != Some(c.code) {
        problems.push(format!("exit {code:?}, expected {}", c.code));
    }
    if c.code == 0 {
        let field = c.report.unwrap_or("error");
        if doc.get(field).is_none() {
            problems.push(format!("no {field}"));
        }
        if doc.get("error").is_some() {
            problems.push("an error on exit 0".into());
        }
        return problems;
    }
    let keys: Vec<&str> = doc
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let expected: &[&str] = match c.report {
        Some(_) => &["error", "help", "exit_code", "report"],
        None => &["error", "help", "exit_code"],
    };
    if keys != expected {
        problems.push(format!("keys {keys:?}, expected {expected:?}"));
    }
    if doc["exit_code"] != c.code {
        problems.push(format!("exit_code {}", doc["exit_code"]));
    }
    if !doc["error"].is_string() {
        problems.push("error is not a string".into());
    }
    if !(doc["help"].is_string() || doc["help"].is_null()) {
        problems.push("help is neither a string nor null".into());
    }
    if let Some(field) = c.report {
        if doc["report"].get(field).is_none() {
            problems.push(format!("no report.{field}"));
        }
    }
    problems
}
