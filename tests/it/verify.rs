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

/// A stand-in app answering `route`, recording the requests it gets.
async fn app_answering(route: &str, status: u16) -> MockServer {
    let app = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(ResponseTemplate::new(status).set_body_json(json!([])))
        .mount(&app)
        .await;
    app
}

/// The trace id the app got, checked to be one trace in both headers.
async fn followed_trace(app: &MockServer) -> String {
    let got = app.received_requests().await.unwrap();
    assert_eq!(got.len(), 1, "one request: {got:?}");
    let header = |name: &str| {
        got[0]
            .headers
            .get(name)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    };
    let traceparent = header("traceparent");
    let fields: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(fields.len(), 4, "{traceparent}");
    assert_eq!(
        (fields[0], fields[3]),
        ("00", "01"),
        "sampled: {traceparent}"
    );
    let (hex, parent) = (fields[1], fields[2]);
    assert_eq!((hex.len(), parent.len()), (32, 16), "{traceparent}");
    assert_eq!(
        header("x-amzn-trace-id"),
        format!(
            "Root=1-{}-{};Parent={parent};Sampled=1",
            &hex[..8],
            &hex[8..]
        ),
        "X-Ray's header carries the same trace, sampled"
    );
    hex.to_string()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs scripts/test.sh: moto_server"]
async fn verify_app_sends_one_sampled_trace_and_says_what_did_not_arrive() {
    // The setup was made without Honeycomb: the app has no OTLP endpoint, which is
    // said at once; X-Ray and the log group are right but the stand-in app sends
    // nothing, so they are "not yet visible" (exit 3 would be theirs; 1 wins).
    let w = World::start().await;
    let app = app_answering("/api/activities/home", 200).await;
    let ran = w
        .test()
        .args(["verify", "--app", &app.uri(), "--wait", "1"])
        .status(1)
        .run_for_snapshot();
    let hex = followed_trace(&app).await;
    let took = ran.all_output();
    let took = took
        .split_once(" answered 200 in ")
        .and_then(|(_, rest)| rest.split_once(" ms"))
        .map(|(ms, _)| format!(" answered 200 in {ms} ms"))
        .unwrap();
    let ran = ran
        .redact(&took, " answered 200 in [N] ms")
        .redact(&format!("1-{}-{}", &hex[..8], &hex[8..]), "[XRAY_TRACE_ID]")
        .redact(&hex, "[TRACE_ID]")
        .snapshot("verify_app_nothing_arrived");
    assert_no_secrets(&ran);
    // Nothing was written by verify itself: the app's own data is looked for.
    let ops: Vec<String> = w.emu.requests().into_iter().map(|r| r.operation).collect();
    assert!(!ops.contains(&"PutTraceSegments".to_string()), "{ops:?}");
    assert!(ops.contains(&"BatchGetTraces".to_string()), "{ops:?}");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs scripts/test.sh: moto_server"]
async fn verify_app_explains_a_failing_answer_and_reports_it_in_json() {
    let w = World::start().await;
    let app = app_answering("/api/activities/home", 500).await;
    let ran = w
        .test()
        .args([
            "verify",
            "--app",
            &app.uri(),
            "--wait",
            "0",
            "--output",
            "json",
        ])
        .args(["--without", "honeycomb", "--without", "rollbar"])
        .status(3)
        .stdout_any()
        .run();
    let hex = followed_trace(&app).await;
    let doc = ran.json();
    assert_eq!(doc["exit_code"], 3, "{doc:#}");
    assert_eq!(doc["report"]["request"]["status"], 500, "{doc:#}");
    assert_eq!(
        doc["report"]["request"]["trace_id"],
        hex.as_str(),
        "{doc:#}"
    );
    assert_eq!(
        doc["report"]["request"]["note"],
        "the app failed on this request: its own output says why (docker compose logs backend-flask); with Rollbar on, the error would be an item there"
    );
    let outcomes: Vec<&str> = doc["report"]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["not-yet-visible", "not-yet-visible"], "{doc:#}");
    assert_no_secrets(&ran);
}

#[test]
fn verify_app_with_nothing_listening_fails_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo().join("tests/fixtures/compose/bootcamp-week1.yml"),
        dir.path().join("docker-compose.yml"),
    )
    .unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    Test::in_dir(dir.path())
        .args(["verify", "--app", &format!("127.0.0.1:{port}")])
        .args([
            "--without",
            "xray",
            "--without",
            "logs",
            "--without",
            "honeycomb",
        ])
        .status(1)
        .snapshot("verify_app_nothing_listening");
    Test::in_dir(dir.path())
        .args(["verify", "--app", "--route", "api/activities/home"])
        .status(2)
        .snapshot("verify_app_route_without_slash");
}
