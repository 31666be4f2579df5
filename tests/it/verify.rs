//! Issue 15: `verify` against real parts at once — the X-Ray emulator (data plane),
//! moto (CloudWatch Logs), a Honeycomb stub and a Rollbar stand-in — with the
//! credentials and region the compose file gives the app. Each part failing alone
//! (denied, wrong region, missing group, timeout) is reported with its line, exit
//! code and policy hint while the others still run; no secret is ever printed.

use std::process::Output;

use crate::common::{isolated, repo, stderr, stdout, Moto, SECRET_KEY};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use xray_emulator::{Emulator, Fault, FaultKind};

const KEY: &str = "hcaik_01j9zzzzzzzzzzzzzzzzzzzzzzq8t3m4k5n6p7r8s9t0v1w2x3y4z5a6b7";
const TOKEN: &str = "fedcba9876543210fedcba9876543210";

struct World {
    emu: Emulator,
    moto: Moto,
    honeycomb: MockServer,
    rollbar: MockServer,
    dir: tempfile::TempDir,
}

impl World {
    async fn start() -> World {
        let emu = Emulator::start().unwrap();
        let moto = Moto::start();
        let honeycomb = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/1/auth"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": "k", "type": "ingest", "api_key_access": {"events": true, "createDatasets": true},
                "environment": {"name": "dev", "slug": "dev"}, "team": {"name": "T", "slug": "t"}})))
            .mount(&honeycomb)
            .await;
        Mock::given(method("POST"))
            .and(path("/v1/traces"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
            .mount(&honeycomb)
            .await;
        let rollbar = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/api/1/item/"))
            .respond_with(|r: &wiremock::Request| {
                let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
                ResponseTemplate::new(200).set_body_json(
                    json!({"err": 0, "result": {"id": null, "uuid": body["data"]["uuid"]}}),
                )
            })
            .mount(&rollbar)
            .await;
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            repo().join("tests/fixtures/compose/bootcamp-week1.yml"),
            dir.path().join("docker-compose.yml"),
        )
        .unwrap();
        let world = World {
            emu,
            moto,
            honeycomb,
            rollbar,
            dir,
        };
        // The setup verify checks: group, rule and log group in us-east-1, compose entries.
        let out = world
            .cmd()
            .args([
                "init",
                "--yes",
                "--without",
                "honeycomb",
                "--without",
                "app",
                "--without",
                "rollbar",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        world
    }

    fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = isolated("cruddur-obs");
        cmd.current_dir(self.dir.path())
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL_XRAY", self.emu.url())
            .env("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", &self.moto.url)
            .env("AWS_ENDPOINT_URL_STS", &self.moto.url)
            .env("HONEYCOMB_API_KEY", KEY)
            .env("HONEYCOMB_API_ENDPOINT", self.honeycomb.uri())
            .env("ROLLBAR_ACCESS_TOKEN", TOKEN)
            .env("ROLLBAR_ENDPOINT", format!("{}/api/1", self.rollbar.uri()));
        cmd
    }

    fn verify(&self, args: &[&str]) -> Output {
        self.cmd()
            .args(["verify", "--wait", "5"])
            .args(args)
            .output()
            .unwrap()
    }
}

fn assert_no_secrets(out: &Output) {
    let all = format!("{}{}", stdout(out), stderr(out));
    for secret in [KEY, TOKEN, SECRET_KEY] {
        assert!(!all.contains(secret), "a secret leaked: {all}");
        assert!(
            !all.contains(&secret[4..16]),
            "a piece of a secret leaked: {all}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs scripts/test.sh: moto_server"]
async fn every_part_takes_data_and_reads_it_back() {
    let w = World::start().await;
    let out = w.verify(&[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    for line in [
        "✓ X-Ray: segment for backend-flask written and read back",
        "✓ CloudWatch Logs: event written to cruddur/cruddur-obs-verify and read back",
        "✓ Honeycomb: test span accepted",
        "✓ Rollbar: test item accepted",
    ] {
        assert!(text.contains(line), "{line:?} missing:\n{text}");
    }
    assert!(
        text.contains("credentials from backend-flask's environment in docker-compose.yml"),
        "{text}"
    );
    assert!(text.contains("#xray:traces/1-"), "{text}");
    assert_no_secrets(&out);
    // The daemon's calls were made, and the data is in the emulator.
    let ops: Vec<String> = w.emu.requests().into_iter().map(|r| r.operation).collect();
    for op in [
        "PutTraceSegments",
        "GetSamplingRules",
        "GetSamplingTargets",
        "GetTraceSummaries",
        "BatchGetTraces",
    ] {
        assert!(ops.contains(&op.to_string()), "{op} not called: {ops:?}");
    }
    // --output json: one document with a result per part.
    let out = w.verify(&["--output", "json", "--without", "rollbar"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["parts"].as_array().unwrap().len(), 3, "{doc:#}");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs scripts/test.sh: moto_server"]
async fn a_denied_part_names_the_action_and_prints_the_policy_while_the_others_run() {
    let w = World::start().await;
    w.emu
        .inject(Fault::new(FaultKind::AccessDenied, 100).on("PutTraceSegments"));
    let out = w.verify(&[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(4), "{text}");
    assert!(
        text.contains("✗ X-Ray: denied: the credentials may not call xray:PutTraceSegments"),
        "{text}"
    );
    assert!(
        text.contains("\"xray:PutTraceSegments\""),
        "the policy: {text}"
    );
    assert!(
        text.contains("arn:aws:logs:us-east-1:*:log-group:cruddur"),
        "{text}"
    );
    assert!(text.contains("✓ CloudWatch Logs"), "{text}");
    assert!(text.contains("✓ Honeycomb"), "{text}");
    assert!(text.contains("✓ Rollbar"), "{text}");
    assert_no_secrets(&out);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs scripts/test.sh: moto_server"]
async fn a_wrong_region_and_a_missing_log_group_are_said_plainly() {
    let w = World::start().await;
    let out = w
        .cmd()
        .env("AWS_DEFAULT_REGION", "eu-west-1")
        .args([
            "verify",
            "--wait",
            "2",
            "--without",
            "honeycomb",
            "--without",
            "rollbar",
        ])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("✗ X-Ray: no X-Ray group with filter service(\"backend-flask\") in eu-west-1 (the app's region)"), "{text}");
    assert!(
        text.contains("✗ CloudWatch Logs: the log group cruddur does not exist in eu-west-1"),
        "{text}"
    );
    assert!(
        text.contains("cruddur-obs logs create-group cruddur"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs scripts/test.sh: moto_server"]
async fn a_hanging_service_is_a_timeout_for_its_part_only() {
    let w = World::start().await;
    w.emu
        .inject(Fault::new(FaultKind::Hang, 100).on("PutTraceSegments"));
    let started = std::time::Instant::now();
    let out = w
        .cmd()
        .env("AWS_MAX_ATTEMPTS", "1")
        .args(["--timeout", "2", "verify", "--wait", "2"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("✗ X-Ray: PutTraceSegments"), "{text}");
    assert!(text.contains("✓ CloudWatch Logs"), "{text}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}
