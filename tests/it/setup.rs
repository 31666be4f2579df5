//! The whole week-2 setup end to end on a copy of the bootcamp week-1 repo, against
//! the X-Ray emulator, a moto server (CloudWatch Logs and STS) and a Honeycomb stub.

use std::path::Path;
use std::process::Output;

use crate::common::{aws_ok, isolated, repo, stderr, stdout, Moto};
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
        repo().join("examples/cruddur-week1/docker-compose.yml"),
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

fn obs(p: &Parts, args: &[&str]) -> Output {
    obs_with(p, &[], args)
}

/// `obs` with more environment variables set.
fn obs_with(p: &Parts, env: &[(&str, &str)], args: &[&str]) -> Output {
    isolated("cruddur-obs")
        .current_dir(p.repo.path())
        .env("AWS_REGION", "ca-central-1")
        .env("AWS_ENDPOINT_URL_XRAY", p.emu.url())
        .env("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", &p.moto.url)
        .env("AWS_ENDPOINT_URL_STS", &p.moto.url)
        .env("HONEYCOMB_API_KEY", KEY)
        .env("HONEYCOMB_API_ENDPOINT", p.honeycomb.uri())
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap()
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_default()
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

    // Nothing happens without agreement when there is no terminal.
    let out = obs(&p, &["init"]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("X-Ray group Cruddur: would be created"),
        "the plan is printed"
    );
    assert!(p.emu.mutating_requests().is_empty());
    assert!(!p.repo.path().join(".gitpod.yml").exists());
    let out = obs(&p, &["init", "--yes", "--dry-run"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "--dry-run is a plan: {}",
        stderr(&out)
    );
    assert!(p.emu.mutating_requests().is_empty());
    assert!(p.moto.mutating_operations().is_empty());
    assert!(!p.repo.path().join(".gitpod.yml").exists());

    let out = obs(&p, &["init", "--yes"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    for line in [
        "Honeycomb: ingest key hcaik_…a6b7 accepted in US (team cruddur, environment bootcamp), can send traces: yes",
        "X-Ray group Cruddur: created",
        "X-Ray sampling rule Cruddur: created",
        "CloudWatch log group cruddur: created (retention 7 days)",
        "docker-compose.yml: written",
        ".gitpod.yml: written",
        "    gp env HONEYCOMB_API_KEY=hcaik_…a6b7",
        "    Honeycomb: https://ui.honeycomb.io/cruddur/environments/bootcamp",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    assert!(!text.contains(KEY) && !stderr(&out).contains(KEY));
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
    let files = (
        read(p.repo.path(), "docker-compose.yml"),
        read(p.repo.path(), ".gitpod.yml"),
    );
    let out = obs(&p, &["init", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("X-Ray group Cruddur: in sync"));
    let out = obs(&p, &["plan"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(
        (
            p.emu.mutating_requests().len(),
            p.moto.mutating_operations().len()
        ),
        writes
    );
    assert_eq!(
        (
            read(p.repo.path(), "docker-compose.yml"),
            read(p.repo.path(), ".gitpod.yml")
        ),
        files
    );

    // boto3 in the app reads AWS_DEFAULT_REGION, which the compose file passes on
    // from the shell or from .env: unset, it fails, with the line to fix it.
    let out = obs(&p, &["status"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("✗ backend-flask AWS_DEFAULT_REGION: ${AWS_DEFAULT_REGION} is not set in this shell or in .env: docker compose would pass it empty and boto3 would have no region"),
        "{text}"
    );
    assert!(
        text.contains("hint: export AWS_DEFAULT_REGION=ca-central-1 (on Gitpod: gp env AWS_DEFAULT_REGION=ca-central-1)"),
        "{text}"
    );
    assert_eq!(text.matches('✗').count(), 1, "{text}");
    // A .env with another region is named as the source of the mismatch.
    std::fs::write(
        p.repo.path().join(".env"),
        "# local settings\nAWS_DEFAULT_REGION=us-west-2\n",
    )
    .unwrap();
    let out = obs(&p, &["status"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("✗ backend-flask AWS_DEFAULT_REGION: us-west-2 (from .env), but the region set up is ca-central-1"),
        "{}",
        stdout(&out)
    );
    // The shell wins over .env, as with docker compose; now everything is ✓.
    let out = obs_with(&p, &[("AWS_DEFAULT_REGION", "ca-central-1")], &["status"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "✓ backend-flask AWS_DEFAULT_REGION: ca-central-1 (from this shell), the region set up"
        ),
        "{text}"
    );
    assert!(
        text.contains("✓ AWS credentials: account 123456789012 in ca-central-1"),
        "{text}"
    );
    assert!(
        text.contains("✓ Honeycomb key: ingest key hcaik_…a6b7 in US, can send traces: yes"),
        "{text}"
    );
    assert!(!text.contains('✗'), "{text}");

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
    let out = obs(
        &p,
        &[
            "destroy",
            "--yes",
            "--log-group",
            "cruddur",
            "--log-group",
            "other",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("X-Ray group Cruddur: deleted"), "{text}");
    assert!(
        text.contains("X-Ray sampling rule Cruddur: deleted"),
        "{text}"
    );
    assert!(
        text.contains("CloudWatch log group cruddur: deleted"),
        "{text}"
    );
    assert!(
        text.contains("CloudWatch log group other: left alone (not created by cruddur-obs)"),
        "{text}"
    );
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
    let out = obs(&p, &["init", "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("failed: Honeycomb: "), "{text}");
    assert!(text.contains("answered 500 after retries"), "{text}");
    assert!(text.contains("X-Ray group Cruddur: created"), "{text}");
    assert!(
        text.contains("CloudWatch log group cruddur: created"),
        "{text}"
    );
    assert!(text.contains("docker-compose.yml: written"), "{text}");

    p.honeycomb.reset().await;
    honeycomb_ok(&p.honeycomb).await;
    let writes = p.emu.mutating_requests().len();
    let out = obs(&p, &["init", "--yes", "--output", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["honeycomb"]["can_send_traces"], true);
    assert!(doc["failures"].as_array().unwrap().is_empty());
    assert!(doc["cloud"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["status"] == "in-sync"));
    assert_eq!(p.emu.mutating_requests().len(), writes);
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
    let out = obs(&p, &["init", "--yes", "--timeout", "5"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    for line in [
        "X-Ray group Cruddur: created",
        "failed: X-Ray: CreateSamplingRule on X-Ray in ca-central-1 failed: no answer in time",
        "CloudWatch log group cruddur: created (retention 7 days)",
        "docker-compose.yml: written",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    // The files are whole and valid.
    cruddur_obs::testing::compose::parse_strict(&read(p.repo.path(), "docker-compose.yml"), "f")
        .unwrap();

    let out = obs(&p, &["init", "--yes", "--timeout", "5"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("X-Ray sampling rule Cruddur: created"),
        "{text}"
    );
    assert!(text.contains("X-Ray group Cruddur: in sync"), "{text}");
    assert!(text.contains("docker-compose.yml: in sync"), "{text}");
    let out = obs(&p, &["plan"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}
