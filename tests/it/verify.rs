//! `verify` against real parts at once — the X-Ray emulator (data plane),
//! moto (CloudWatch Logs), a Honeycomb stub and a Rollbar stand-in — with the
//! credentials and region the compose file gives the app. Each part failing alone
//! (denied, wrong region, missing group, timeout) is reported with its line, exit
//! code and policy hint while the others still run; no secret is ever printed.

use crate::common::{repo, Moto, SECRET_KEY};
use crate::harness::{Ran, Test};
use serde_json::{json, Value};
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
        world
            .test()
            .args(["init", "--yes"])
            .args(["--without", "honeycomb", "--without", "app"])
            .args(["--without", "rollbar"])
            .stdout_any()
            .stderr_any()
            .run();
        world
    }

    /// A run in the repo copy with the app's region, every service pointed at
    /// its stand-in and the Honeycomb key and Rollbar token in the environment.
    fn test(&self) -> Test {
        Test::in_dir(self.dir.path())
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL_XRAY", self.emu.url())
            .env("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", &self.moto.url)
            .env("AWS_ENDPOINT_URL_STS", &self.moto.url)
            .env("HONEYCOMB_API_KEY", KEY)
            .env("HONEYCOMB_API_ENDPOINT", self.honeycomb.uri())
            .env("ROLLBAR_ACCESS_TOKEN", TOKEN)
            .env("ROLLBAR_ENDPOINT", format!("{}/api/1", self.rollbar.uri()))
    }

    /// `ran` with the ids the parts were sent shown as placeholders: the X-Ray
    /// trace id the emulator got, the Honeycomb trace id and the Rollbar item's
    /// uuid the stubs got (so the snapshot also checks that the ids printed are
    /// those of the data sent).
    async fn redact_ids(&self, mut ran: Ran) -> Ran {
        for r in self.emu.requests() {
            if r.operation != "PutTraceSegments" {
                continue;
            }
            for doc in r.body["TraceSegmentDocuments"].as_array().unwrap() {
                let doc: Value = serde_json::from_str(doc.as_str().unwrap()).unwrap();
                let id = doc["trace_id"].as_str().unwrap();
                assert!(id.starts_with("1-"), "not an X-Ray trace id: {id}");
                ran = ran.redact(id, "[XRAY_TRACE_ID]");
            }
        }
        for r in self.honeycomb.received_requests().await.unwrap() {
            if r.url.path() != "/v1/traces" {
                continue;
            }
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            let id = &body["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"];
            ran = ran.redact(id.as_str().unwrap(), "[HONEYCOMB_TRACE_ID]");
        }
        for r in self.rollbar.received_requests().await.unwrap() {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            ran = ran.redact(body["data"]["uuid"].as_str().unwrap(), "[ROLLBAR_UUID]");
        }
        ran
    }

    /// `verify --wait 5`.
    fn verify(&self) -> Test {
        self.test().args(["verify", "--wait", "5"])
    }
}

fn assert_no_secrets(ran: &Ran) {
    let all = ran.all_output();
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
    let ran = w.verify().run_for_snapshot();
    let ran = w.redact_ids(ran).await.snapshot("verify_every_part_ok");
    assert_no_secrets(&ran);
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
    let ran = w
        .verify()
        .args(["--output", "json", "--without", "rollbar"])
        .stdout_any()
        .run();
    let doc = ran.json();
    assert_eq!(doc["parts"].as_array().unwrap().len(), 3, "{doc:#}");
    assert_no_secrets(&ran);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs scripts/test.sh: moto_server"]
async fn a_denied_part_names_the_action_and_prints_the_policy_while_the_others_run() {
    let w = World::start().await;
    w.emu
        .inject(Fault::new(FaultKind::AccessDenied, 100).on("PutTraceSegments"));
    let ran = w.verify().status(4).run_for_snapshot();
    let ran = w
        .redact_ids(ran)
        .await
        .snapshot("verify_xray_denied_with_the_policy");
    assert_no_secrets(&ran);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs scripts/test.sh: moto_server"]
async fn a_wrong_region_and_a_missing_log_group_are_said_plainly() {
    let w = World::start().await;
    let ran = w
        .test()
        .env("AWS_DEFAULT_REGION", "eu-west-1")
        .args(["verify", "--wait", "2"])
        .args(["--without", "honeycomb", "--without", "rollbar"])
        .status(1)
        .snapshot("verify_wrong_region_no_group_no_log_group");
    assert_no_secrets(&ran);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs scripts/test.sh: moto_server"]
async fn a_hanging_service_is_a_timeout_for_its_part_only() {
    let w = World::start().await;
    w.emu
        .inject(Fault::new(FaultKind::Hang, 100).on("PutTraceSegments"));
    let started = std::time::Instant::now();
    let ran = w
        .test()
        .env("AWS_MAX_ATTEMPTS", "1")
        .args(["--timeout", "2", "verify", "--wait", "2"])
        .status(1)
        .run_for_snapshot();
    let ran = w
        .redact_ids(ran)
        .await
        .snapshot("verify_xray_hanging_times_out");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_no_secrets(&ran);
}
