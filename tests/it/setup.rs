//! The whole week-2 setup end to end on a copy of the bootcamp week-1 repo, against
//! the X-Ray emulator, a moto server (CloudWatch Logs and STS) and a Honeycomb stub.

use std::path::Path;

use crate::common::{aws_ok, repo, Moto};
use crate::harness::{snapshot_all, Ran, Test};
use serde_json::{json, Value};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};
use xray_emulator::Emulator;

const KEY: &str = "hcaik_01j9zzzzzzzzzzzzzzzzzzzzzzq8t3m4k5n6p7r8s9t0v1w2x3y4z5a6b7";

struct Parts {
    emu: Emulator,
    moto: Moto,
    honeycomb: MockServer,
    repo: tempfile::TempDir,
}

async fn honeycomb_ok(server: &MockServer) {
    Mock::given(path("/1/auth"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "type": "ingest",
            "api_key_access": {"events": true, "createDatasets": true},
            "environment": {"name": "bootcamp", "slug": "bootcamp"},
            "team": {"name": "Cruddur", "slug": "cruddur"}
        })))
        .mount(server)
        .await;
}

async fn start() -> Parts {
    let repo_dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo().join("examples/cruddur-like/docker-compose.yml"),
        repo_dir.path().join("docker-compose.yml"),
    )
    .unwrap();
    for sub in ["backend-flask", "frontend-react-js"] {
        std::fs::create_dir(repo_dir.path().join(sub)).unwrap();
    }
    Parts {
        emu: Emulator::start().unwrap(),
        moto: Moto::start(),
        honeycomb: MockServer::start().await,
        repo: repo_dir,
    }
}

/// A run in the repo copy, pointed at the parts, in ca-central-1, with the
/// Honeycomb key in the environment; nothing else of this machine's environment
/// that the compose file names (so `status` says the same everywhere).
fn obs(p: &Parts) -> Test {
    Test::in_dir(p.repo.path())
        .env_remove("ROLLBAR_ACCESS_TOKEN")
        .env_remove("GITPOD_WORKSPACE_CLUSTER_HOST")
        .env_remove("CODESPACES")
        .env_remove("CODESPACE_NAME")
        .env("AWS_REGION", "ca-central-1")
        .env("AWS_ENDPOINT_URL_XRAY", p.emu.url())
        .env("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", &p.moto.url)
        .env("AWS_ENDPOINT_URL_STS", &p.moto.url)
        .env("HONEYCOMB_API_KEY", KEY)
        .env("HONEYCOMB_API_ENDPOINT", p.honeycomb.uri())
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_default()
}

/// Neither the key nor a long piece of it in anything the run printed.
fn assert_no_key(ran: &Ran) {
    let all = ran.all_output();
    assert!(!all.contains(KEY), "the key leaked: {all}");
    assert!(!all.contains(&KEY[8..40]), "part of the key leaked: {all}");
}

fn log_group(p: &Parts, name: &str) -> Option<Value> {
    let out = aws_ok(
        &p.moto.url,
        &["logs", "describe-log-groups", "--region", "ca-central-1"],
    );
    out["logGroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["logGroupName"] == name)
        .cloned()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs scripts/test.sh: moto_server"]
async fn init_sets_everything_up_once_and_destroy_removes_only_ours() {
    let p = start().await;
    honeycomb_ok(&p.honeycomb).await;

    // Nothing happens without agreement when there is no terminal: the plan is
    // printed, exit 5.
    let asked = obs(&p)
        .args(["init"])
        .status(5)
        .unchanged("docker-compose.yml")
        .absent(".gitpod.yml")
        .run_for_snapshot();
    assert!(p.emu.mutating_requests().is_empty());
    // --dry-run is a plan: exit 3, nothing written anywhere.
    let dry = obs(&p)
        .args(["init", "--yes", "--dry-run"])
        .status(3)
        .unchanged("docker-compose.yml")
        .absent(".gitpod.yml")
        .run_for_snapshot();
    assert!(p.emu.mutating_requests().is_empty());
    assert!(p.moto.mutating_operations().is_empty());
    snapshot_all("setup_init_asks_first_and_dry_run", [&asked, &dry]);
    assert_no_key(&asked);
    assert_no_key(&dry);

    let ran = obs(&p)
        .args(["init", "--yes"])
        .snapshot("setup_init_creates_everything");
    assert_no_key(&ran);
    insta::assert_snapshot!("init-compose", read(p.repo.path(), "docker-compose.yml"));
    insta::assert_snapshot!("init-gitpod", read(p.repo.path(), ".gitpod.yml"));
    let group = p.emu.with_region("ca-central-1", |s| {
        s.dispatch("GetGroup", &json!({"GroupName": "Cruddur"}), 10)
            .unwrap()
    });
    let arn = group["Group"]["GroupARN"].as_str().unwrap().to_string();
    let tags = p.emu.with_region("ca-central-1", |s| {
        s.dispatch("ListTagsForResource", &json!({"ResourceARN": arn}), 10)
            .unwrap()
    });
    assert!(tags["Tags"]
        .as_array()
        .unwrap()
        .contains(&json!({"Key": "managed-by", "Value": "cruddur-obs"})));
    assert_eq!(log_group(&p, "cruddur").unwrap()["retentionInDays"], 7);

    // Converged: no write anywhere.
    let writes = (
        p.emu.mutating_requests().len(),
        p.moto.mutating_operations().len(),
    );
    let again = obs(&p)
        .args(["init", "--yes"])
        .unchanged("docker-compose.yml")
        .unchanged(".gitpod.yml")
        .run_for_snapshot();
    let plan = obs(&p)
        .args(["plan"])
        .unchanged("docker-compose.yml")
        .unchanged(".gitpod.yml")
        .run_for_snapshot();
    snapshot_all("setup_init_again_and_plan_in_sync", [&again, &plan]);
    assert_eq!(
        (
            p.emu.mutating_requests().len(),
            p.moto.mutating_operations().len()
        ),
        writes
    );
    let files = (
        read(p.repo.path(), "docker-compose.yml"),
        read(p.repo.path(), ".gitpod.yml"),
    );

    // boto3 in the app reads AWS_DEFAULT_REGION, which the compose file passes on
    // from the shell or from .env: unset, it fails, with the line to fix it (one ✗).
    let unset = obs(&p).args(["status"]).status(1).run_for_snapshot();
    // A .env with another region is named as the source of the mismatch.
    let from_dotenv = obs(&p)
        .write(".env", "# local settings\nAWS_DEFAULT_REGION=us-west-2\n")
        .args(["status"])
        .status(1)
        .run_for_snapshot();
    // The shell wins over .env, as with docker compose; now everything is ✓.
    let from_shell = obs(&p)
        .env("AWS_DEFAULT_REGION", "ca-central-1")
        .args(["status"])
        .run_for_snapshot();
    snapshot_all(
        "setup_status_app_region_unset_from_dotenv_from_shell",
        [&unset, &from_dotenv, &from_shell],
    );
    assert_eq!(unset.stdout.matches('✗').count(), 1, "{}", unset.stdout);
    assert!(!from_shell.stdout.contains('✗'), "{}", from_shell.stdout);
    for ran in [&unset, &from_dotenv, &from_shell] {
        assert_no_key(ran);
    }

    // A log group someone else made is never destroyed.
    aws_ok(
        &p.moto.url,
        &[
            "logs",
            "create-log-group",
            "--log-group-name",
            "other",
            "--region",
            "ca-central-1",
        ],
    );
    obs(&p)
        .args(["destroy", "--yes"])
        .args(["--log-group", "cruddur", "--log-group", "other"])
        .unchanged("docker-compose.yml")
        .unchanged(".gitpod.yml")
        .snapshot("setup_destroy_leaves_others_alone");
    assert!(log_group(&p, "cruddur").is_none());
    assert!(log_group(&p, "other").is_some());
    let rules = p.emu.with_region("ca-central-1", |s| {
        s.dispatch("GetSamplingRules", &json!({}), 10).unwrap()
    });
    assert_eq!(
        rules["SamplingRuleRecords"].as_array().unwrap().len(),
        1,
        "only Default is left"
    );
    assert_eq!(
        read(p.repo.path(), "docker-compose.yml"),
        files.0,
        "destroy leaves files alone"
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs scripts/test.sh: moto_server"]
async fn a_failing_part_does_not_stop_the_others_and_a_rerun_finishes() {
    let p = start().await;
    Mock::given(path("/1/auth"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&p.honeycomb)
        .await;
    let ran = obs(&p)
        .args(["init", "--yes"])
        .status(1)
        .snapshot("setup_init_honeycomb_failing");
    assert_no_key(&ran);

    p.honeycomb.reset().await;
    honeycomb_ok(&p.honeycomb).await;
    let writes = p.emu.mutating_requests().len();
    let ran = obs(&p)
        .args(["init", "--yes", "--output", "json"])
        .stdout_any()
        .run();
    let doc = ran.json();
    assert_eq!(doc["honeycomb"]["can_send_traces"], true);
    assert!(doc["failures"].as_array().unwrap().is_empty());
    assert!(doc["cloud"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["status"] == "in-sync"));
    assert_eq!(p.emu.mutating_requests().len(), writes);
    assert_no_key(&ran);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs scripts/test.sh: moto_server"]
async fn faults_mid_run_are_retried_or_reported_and_a_rerun_converges() {
    use xray_emulator::{Fault, FaultKind};
    let p = start().await;
    honeycomb_ok(&p.honeycomb).await;
    p.emu
        .inject(Fault::new(FaultKind::Throttle, 2).on("GetGroups"));
    p.emu
        .inject(Fault::new(FaultKind::Reset, 1).on("CreateGroup"));
    p.emu
        .inject(Fault::new(FaultKind::Hang, 2).on("CreateSamplingRule"));
    // The SDK waits a jittered backoff of up to 1 s, then up to 2 s, between
    // throttled attempts, so the two throttles on GetGroups can take 3 s. With
    // --timeout 5 each attempt may take 2.5 s: the two hanging CreateSamplingRule
    // attempts alone use up the 5 s, so that step always fails and the reads
    // always get through.
    let faulted = obs(&p)
        .args(["init", "--yes", "--timeout", "5"])
        .status(1)
        .run_for_snapshot();
    // The compose file is whole and valid YAML (the rerun below also parses it
    // strictly: a broken file would be exit 2 there).
    serde_saphyr::from_str::<Value>(&read(p.repo.path(), "docker-compose.yml")).unwrap();

    let rerun = obs(&p)
        .args(["init", "--yes", "--timeout", "5"])
        .run_for_snapshot();
    let plan = obs(&p).args(["plan"]).run_for_snapshot();
    snapshot_all(
        "setup_init_faults_then_rerun_converges",
        [&faulted, &rerun, &plan],
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs scripts/test.sh: moto_server"]
async fn init_with_a_react_frontend_edits_app_py_once_for_both_apps() {
    let p = start().await;
    honeycomb_ok(&p.honeycomb).await;
    copy_tree(
        &repo().join("examples/cruddur-like/backend-flask"),
        &p.repo.path().join("backend-flask"),
    );
    copy_tree(
        &repo().join("tests/fixtures/frontends/week1"),
        &p.repo.path().join("frontend-react-js"),
    );
    let package = read(p.repo.path(), "frontend-react-js/package.json");
    // --without frontend: the frontend is not touched, app.py's CORS neither.
    obs(&p)
        .args(["init", "--yes", "--without", "frontend"])
        .stdout_any()
        .stderr_any()
        .unchanged("frontend-react-js/package.json")
        .unchanged("frontend-react-js/src/index.js")
        .run();
    assert_eq!(
        read(p.repo.path(), "frontend-react-js/package.json"),
        package
    );
    assert!(!read(p.repo.path(), "backend-flask/app.py").contains("traceparent"));
    // With the part: both apps' edits, app.py in one diff.
    obs(&p)
        .args(["init", "--yes"])
        .stderr_any()
        .snapshot("setup_init_with_the_frontend");
    // With the daemon, the collector comes too, for the browser's spans only.
    let compose: serde_json::Value =
        serde_saphyr::from_str(&read(p.repo.path(), "docker-compose.yml")).unwrap();
    assert!(
        compose["services"]["xray-daemon"].is_object(),
        "{compose:#}"
    );
    assert_eq!(
        compose["services"]["otel-collector"]["ports"],
        serde_json::json!(["4318:4318"]),
        "{compose:#}"
    );
    let config = crate::common::compose_config(p.repo.path());
    assert!(
        config.status.success(),
        "{}",
        String::from_utf8_lossy(&config.stderr)
    );
    let app_py = read(p.repo.path(), "backend-flask/app.py");
    assert!(app_py.contains("init_observability(app)"), "{app_py}");
    assert!(
        app_py.contains(
            r#"allow_headers=["content-type", "if-modified-since", "traceparent", "tracestate"]"#
        ),
        "{app_py}"
    );
    assert!(
        read(p.repo.path(), "frontend-react-js/src/index.js").starts_with("import './tracing';")
    );
    assert!(!read(p.repo.path(), "frontend-react-js/src/tracing.js").is_empty());
    // A second run: nothing left to do anywhere.
    obs(&p).args(["plan"]).status(0).stdout_any().run();
    // And status says both sides of the browser's CORS are right.
    let status = obs(&p)
        .env("AWS_DEFAULT_REGION", "ca-central-1")
        .args(["status"])
        .status(0)
        .stderr_any()
        .stdout_any()
        .run();
    for line in [
        "✓ collector CORS: lets the frontend at https://3000-example-workspace.ws-us99.gitpod.io (an example of its shape) send spans",
        "✓ backend CORS: backend-flask/app.py allows traceparent and tracestate",
    ] {
        assert!(status.stdout.contains(line), "{line}\n{}", status.stdout);
    }
    // With the collector, the browser's port: published by the collector and
    // public in Gitpod.
    obs(&p)
        .args(["init", "--yes", "--via", "collector"])
        .stdout_any()
        .stderr_any()
        .run();
    let gitpod: serde_json::Value =
        serde_saphyr::from_str(&read(p.repo.path(), ".gitpod.yml")).unwrap();
    let port = gitpod["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["port"] == 4318)
        .unwrap_or_else(|| panic!("no 4318 in {gitpod:#}"));
    assert_eq!(port["visibility"], "public", "{gitpod:#}");
    let compose: serde_json::Value =
        serde_saphyr::from_str(&read(p.repo.path(), "docker-compose.yml")).unwrap();
    assert_eq!(
        compose["services"]["otel-collector"]["ports"],
        serde_json::json!(["4318:4318"]),
        "{compose:#}"
    );
    // docker compose reads the file as written (the daemon and the collector side by side
    // before, the collector alone now).
    let config = crate::common::compose_config(p.repo.path());
    assert!(
        config.status.success(),
        "{}",
        String::from_utf8_lossy(&config.stderr)
    );
    // The frontend is told where the collector is (Gitpod's URL of 4318).
    assert_eq!(
        compose["services"]["frontend-react-js"]["environment"]["REACT_APP_OTEL_COLLECTOR_URL"],
        "https://4318-${GITPOD_WORKSPACE_ID}.${GITPOD_WORKSPACE_CLUSTER_HOST}",
        "{compose:#}"
    );
    obs(&p)
        .args(["plan", "--via", "collector"])
        .status(0)
        .stdout_any()
        .run();
}
