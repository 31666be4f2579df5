//! `honeycomb check` and `honeycomb send-test-span` against local stub servers
//! (wiremock) standing in for Honeycomb's US and EU APIs. Every test also checks
//! that the key never appears in anything the tool printed.

use std::time::{Duration, Instant};

use crate::harness::{Ran, Test};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const INGEST_KEY: &str = "hcaik_01j9zzzzzzzzzzzzzzzzzzzzzzq8t3m4k5n6p7r8s9t0v1w2x3y4z5a6b7";
const CLASSIC_KEY: &str = "0123456789abcdef0123456789abcdef";
const CONFIG_KEY: &str = "AbCdEfGhIjKlMnOpQrStUv";

fn auth_body(kind: &str, env: (&str, &str), events: bool) -> Value {
    json!({
        "id": "kid", "type": kind,
        "api_key_access": {"events": events, "markers": true, "triggers": false, "boards": false,
            "queries": false, "columns": false, "createDatasets": true, "slos": false,
            "recipients": false, "privateBoards": false, "someFuturePermission": true},
        "environment": {"name": env.0, "slug": env.1},
        "team": {"name": "Cruddur Bootcamp", "slug": "cruddur-bootcamp"}
    })
}

/// A run with `key` in HONEYCOMB_API_KEY and both regions pointed at stubs.
fn with_key(key: &str, us: &MockServer, eu: &MockServer) -> Test {
    Test::new()
        .env("HONEYCOMB_API_KEY", key)
        .env("HONEYCOMB_API_ENDPOINT", us.uri())
        .env("HONEYCOMB_API_ENDPOINT_EU", eu.uri())
}

fn assert_no_secret(ran: &Ran, secret: &str) {
    let all = ran.all_output();
    assert!(!all.contains(secret), "the key leaked: {all}");
    // Nor a long piece of it.
    let middle = &secret[secret.len() / 4..secret.len() * 3 / 4];
    assert!(!all.contains(middle), "part of the key leaked: {all}");
}

async fn servers() -> (MockServer, MockServer) {
    (MockServer::start().await, MockServer::start().await)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_valid_ingest_key_reports_team_environment_and_permissions() {
    let (us, eu) = servers().await;
    Mock::given(method("GET"))
        .and(path("/1/auth"))
        .and(header("x-honeycomb-team", INGEST_KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(auth_body(
            "ingest",
            ("bootcamp", "bootcamp"),
            true,
        )))
        .expect(2)
        .mount(&us)
        .await;
    // Key, team, environment, key type, every permission (unknown ones too).
    let ran = with_key(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check"])
        .snapshot("honeycomb_check_ingest_key_in_us");
    assert_no_secret(&ran, INGEST_KEY);
    assert!(eu.received_requests().await.unwrap().is_empty());

    // (Debug logs on stderr: not snapshotted.)
    let ran = with_key(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check", "--output", "json", "-vvv"])
        .stdout_any()
        .run();
    let doc = ran.json();
    assert_eq!(doc["region"], "us");
    assert_eq!(doc["key_shape"], "ingest");
    assert_eq!(doc["can_send_traces"], true);
    assert_eq!(doc["permissions"]["createDatasets"], true);
    assert_eq!(doc["environment"]["slug"], "bootcamp");
    assert_no_secret(&ran, INGEST_KEY);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_from_the_eu_is_found_there() {
    let (us, eu) = servers().await;
    Mock::given(path("/1/auth"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": "unknown API key - check your credentials"})),
        )
        .expect(1)
        .mount(&us)
        .await;
    Mock::given(path("/1/auth"))
        .and(header("x-honeycomb-team", INGEST_KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(auth_body(
            "ingest",
            ("prod", "prod"),
            true,
        )))
        .expect(2)
        .mount(&eu)
        .await;
    let ran = with_key(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check"])
        .snapshot("honeycomb_check_key_accepted_in_eu");
    assert_no_secret(&ran, INGEST_KEY);

    // --honeycomb-region eu skips the guess.
    with_key(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check", "--honeycomb-region", "eu"])
        .snapshot("honeycomb_a_key_from_the_eu_is_found_there");
    assert_eq!(
        us.received_requests().await.unwrap().len(),
        1,
        "US asked only the first time"
    );
    // The global --region is the AWS region; Honeycomb's own
    // flag takes only us or eu.
    with_key(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check", "--honeycomb-region", "us-east-1"])
        .status(2)
        .stdout("")
        .snapshot("honeycomb_region_flag_takes_us_or_eu");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_rejected_in_both_regions_exits_4() {
    let (us, eu) = servers().await;
    for server in [&us, &eu] {
        Mock::given(path("/1/auth"))
            .respond_with(
                ResponseTemplate::new(401).set_body_json(json!({"error": "unknown API key"})),
            )
            .mount(server)
            .await;
    }
    let ran = with_key(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check"])
        .status(4)
        .snapshot("honeycomb_check_key_rejected_in_us_and_eu");
    assert_no_secret(&ran, INGEST_KEY);
}

#[tokio::test(flavor = "multi_thread")]
async fn forbidden_and_cannot_send_exit_4() {
    let (us, eu) = servers().await;
    Mock::given(path("/1/auth"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": "key disabled"})))
        .mount(&us)
        .await;
    let forbidden = with_key(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check"])
        .status(4)
        .snapshot("honeycomb_check_forbidden");
    assert_no_secret(&forbidden, INGEST_KEY);

    let (us, eu) = servers().await;
    Mock::given(path("/1/auth"))
        .respond_with(ResponseTemplate::new(200).set_body_json(auth_body(
            "configuration",
            ("bootcamp", "bootcamp"),
            false,
        )))
        .mount(&us)
        .await;
    let ran = with_key(CONFIG_KEY, &us, &eu)
        .args(["honeycomb", "check"])
        .status(4)
        .snapshot("honeycomb_check_configuration_key_cannot_send");
    assert_no_secret(&ran, CONFIG_KEY);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_classic_key_is_reported_as_classic() {
    let (us, eu) = servers().await;
    Mock::given(path("/1/auth"))
        .respond_with(ResponseTemplate::new(200).set_body_json(auth_body("ingest", ("", ""), true)))
        .mount(&us)
        .await;
    let ran = with_key(CLASSIC_KEY, &us, &eu)
        .args(["honeycomb", "check"])
        .snapshot("honeycomb_check_classic_key");
    assert_no_secret(&ran, CLASSIC_KEY);
}

#[tokio::test(flavor = "multi_thread")]
async fn management_keys_use_the_v2_endpoint_with_a_bearer_token() {
    let (us, eu) = servers().await;
    let key = format!(
        "hcxmk_{}:{}",
        "a1b2c3d4e5".repeat(2) + "a1b2c3",
        "s".repeat(28) + "9z8y"
    );
    Mock::given(path("/2/auth"))
        .and(header("authorization", format!("Bearer {key}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": {"id": "hcxmk_x", "type": "api-keys",
                     "attributes": {"name": "ci", "key_type": "management", "scopes": ["api-keys:read"]}},
            "included": [{"type": "teams", "id": "t", "attributes": {"name": "Cruddur Bootcamp", "slug": "cruddur-bootcamp"}}]
        })))
        .expect(1)
        .mount(&us)
        .await;
    // Management keys cannot send: exit 4.
    let ran = with_key(&key, &us, &eu)
        .args(["honeycomb", "check"])
        .status(4)
        .snapshot("honeycomb_check_management_key");
    assert_no_secret(&ran, &key);
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_are_waited_out_and_then_reported() {
    let (us, eu) = servers().await;
    Mock::given(path("/1/auth"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("RateLimit", "limit=100, remaining=0, reset=1"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&us)
        .await;
    Mock::given(path("/1/auth"))
        .respond_with(ResponseTemplate::new(200).set_body_json(auth_body(
            "ingest",
            ("b", "b"),
            true,
        )))
        .with_priority(2)
        .mount(&us)
        .await;
    let started = Instant::now();
    with_key(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check"])
        .snapshot("honeycomb_check_rate_limit_waited_out");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the reset time was honoured"
    );
    assert_eq!(us.received_requests().await.unwrap().len(), 2);

    let (us, eu) = servers().await;
    Mock::given(path("/1/auth"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .mount(&us)
        .await;
    with_key(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check"])
        .status(1)
        .snapshot("honeycomb_check_rate_limited");
    assert_eq!(
        us.received_requests().await.unwrap().len(),
        3,
        "one try and two retries"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_are_retried_then_reported() {
    let (us, eu) = servers().await;
    Mock::given(path("/1/auth"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&us)
        .await;
    with_key(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check"])
        .status(1)
        .snapshot("honeycomb_check_server_error");
    assert_eq!(us.received_requests().await.unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_server_times_out_and_a_closed_port_is_a_connect_error() {
    let (us, eu) = servers().await;
    Mock::given(path("/1/auth"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(60)))
        .mount(&us)
        .await;
    let started = Instant::now();
    with_key(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check", "--timeout", "1"])
        .status(1)
        .snapshot("honeycomb_check_timeout");
    assert!(started.elapsed() < Duration::from_secs(10));

    // (Port 1 is no server of the test's: shown.)
    let ran = Test::new()
        .env("HONEYCOMB_API_KEY", INGEST_KEY)
        .args(["honeycomb", "check", "--api-endpoint", "http://127.0.0.1:1"])
        .status(1)
        .keep_ports()
        .snapshot("honeycomb_check_connection_refused");
    assert_no_secret(&ran, INGEST_KEY);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_key_and_insecure_endpoints_are_bad_input_and_send_nothing() {
    let (us, eu) = servers().await;
    Test::new()
        .env("HONEYCOMB_API_ENDPOINT", us.uri())
        .env("HONEYCOMB_API_ENDPOINT_EU", eu.uri())
        .args(["honeycomb", "check"])
        .status(2)
        .stdout("")
        .stderr("error: no Honeycomb API key\nhelp: pass --api-key or set HONEYCOMB_API_KEY (Honeycomb: Environment settings → API keys)\n")
        .run();
    let ran = Test::new()
        .args(["honeycomb", "check", "--api-key", INGEST_KEY])
        .args(["--api-endpoint", "http://api.example.com"])
        .status(2)
        .stdout("")
        .run_for_snapshot();
    assert_no_secret(&ran, INGEST_KEY);
    // The key is on the command line: the transcript hides it.
    ran.redact(INGEST_KEY, "[KEY]")
        .snapshot("honeycomb_check_refuses_plain_http");
    assert!(us.received_requests().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn send_test_span_posts_otlp_json_and_links_to_the_trace() {
    let (us, eu) = servers().await;
    Mock::given(path("/1/auth"))
        .respond_with(ResponseTemplate::new(200).set_body_json(auth_body(
            "ingest",
            ("bootcamp", "bootcamp"),
            true,
        )))
        .mount(&us)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/traces"))
        .and(header("x-honeycomb-team", INGEST_KEY))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&us)
        .await;
    let dry = with_key(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "send-test-span", "--dry-run"])
        .status(3)
        .snapshot("honeycomb_send_test_span_dry_run");
    assert_no_secret(&dry, INGEST_KEY);
    assert!(us
        .received_requests()
        .await
        .unwrap()
        .iter()
        .all(|r| r.url.path() != "/v1/traces"));
    let out = with_key(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "send-test-span", "--service", "backend-flask"])
        .run_for_snapshot();
    let requests = us.received_requests().await.unwrap();
    let post: &Request = requests
        .iter()
        .find(|r| r.url.path() == "/v1/traces")
        .unwrap();
    assert!(
        post.headers.get("x-honeycomb-dataset").is_none(),
        "only Classic keys send a dataset"
    );
    let body: Value = serde_json::from_slice(&post.body).unwrap();
    let rs = &body["resourceSpans"][0];
    assert_eq!(
        rs["resource"]["attributes"][0],
        json!({"key": "service.name", "value": {"stringValue": "backend-flask"}})
    );
    let span = &rs["scopeSpans"][0]["spans"][0];
    let trace_id = span["traceId"].as_str().unwrap();
    assert_eq!(trace_id.len(), 32);
    assert!(trace_id.chars().all(|c| c.is_ascii_hexdigit()));
    let start: u128 = span["startTimeUnixNano"].as_str().unwrap().parse().unwrap();
    let end: u128 = span["endTimeUnixNano"].as_str().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    assert!(
        start < end && now - end < 60_000_000_000,
        "timestamps are now"
    );
    assert_no_secret(&out, INGEST_KEY);
    // The id and the link name the trace that was sent (any other id would
    // show in the snapshot).
    out.redact(trace_id, "[TRACE_ID]")
        .snapshot("honeycomb_send_test_span_links_to_the_trace");
}

#[tokio::test(flavor = "multi_thread")]
async fn send_test_span_with_a_classic_key_names_the_dataset_and_reports_refusals() {
    let (us, eu) = servers().await;
    Mock::given(path("/1/auth"))
        .respond_with(ResponseTemplate::new(200).set_body_json(auth_body("ingest", ("", ""), true)))
        .mount(&us)
        .await;
    Mock::given(path("/v1/traces"))
        .and(header("x-honeycomb-dataset", "cruddur-backend"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "unknown API key"})))
        .expect(1)
        .mount(&us)
        .await;
    let ran = with_key(CLASSIC_KEY, &us, &eu)
        .args(["honeycomb", "send-test-span"])
        .args(["--dataset", "cruddur-backend"])
        .status(4)
        .snapshot("honeycomb_send_test_span_classic_key_refused");
    assert_no_secret(&ran, CLASSIC_KEY);
}

/// A TCP proxy in front of `upstream` that resets (RST) the first `resets`
/// connections whose request line contains `target`, after reading the request
/// head, and forwards every other connection. Returns its URL and the count of
/// connections it reset.
async fn resetting_proxy(
    upstream: &MockServer,
    target: &'static str,
    resets: usize,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let upstream = *upstream.address();
    let left = Arc::new(AtomicUsize::new(resets));
    let done = Arc::new(AtomicUsize::new(0));
    let counter = done.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let (left, done) = (left.clone(), done.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let line_end = head.iter().position(|&b| b == b'\r').unwrap_or(0);
                let line = String::from_utf8_lossy(&head[..line_end]).into_owned();
                if line.contains(target)
                    && left
                        .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
                        .is_ok()
                {
                    done.fetch_add(1, SeqCst);
                    conn.set_zero_linger().unwrap();
                    return; // dropped with SO_LINGER 0: the client sees a reset
                }
                let mut up = tokio::net::TcpStream::connect(upstream).await.unwrap();
                up.write_all(&head).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut conn, &mut up).await;
            });
        }
    });
    (url, counter)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reset_connection_is_retried_for_a_check_and_reported_for_a_send() {
    use std::sync::atomic::Ordering::SeqCst;
    let us = MockServer::start().await;
    Mock::given(path("/1/auth"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(auth_body("ingest", ("bootcamp", "bootcamp"), true))
                // A new connection for each request, so the proxy sees each one.
                .insert_header("connection", "close"),
        )
        .mount(&us)
        .await;
    Mock::given(path("/v1/traces"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&us)
        .await;
    let honeycomb = |url: &str, command: &str| {
        Test::new()
            .env("HONEYCOMB_API_KEY", INGEST_KEY)
            .args(["honeycomb", command])
            .args(["--api-endpoint", url, "--honeycomb-region", "us"])
    };
    let auth_requests = || async {
        us.received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.url.path() == "/1/auth")
            .count()
    };

    // One reset: a GET changes nothing, so it is tried again and succeeds.
    let (url, resets) = resetting_proxy(&us, "/1/auth", 1).await;
    honeycomb(&url, "check")
        .snapshot("honeycomb_a_reset_connection_is_retried_for_a_check_and_reported_for_a_send");
    assert_eq!(resets.load(SeqCst), 1);
    assert_eq!(auth_requests().await, 1);

    // Resets on every try: three tries, then one line saying so.
    let (url, resets) = resetting_proxy(&us, "/1/auth", usize::MAX).await;
    let lost = honeycomb(&url, "check")
        .status(1)
        .stdout("")
        .snapshot("honeycomb_check_connection_lost_on_every_try");
    assert_eq!(resets.load(SeqCst), 3);
    assert_eq!(auth_requests().await, 1, "none got through");
    assert_no_secret(&lost, INGEST_KEY);

    // A reset POST is not sent again (the span could arrive twice): reported.
    let (url, resets) = resetting_proxy(&us, "/v1/traces", usize::MAX).await;
    let ran = honeycomb(&url, "send-test-span")
        .status(1)
        .stdout("")
        .snapshot("honeycomb_send_test_span_connection_lost");
    assert_eq!(resets.load(SeqCst), 1);
    assert_no_secret(&ran, INGEST_KEY);
}
