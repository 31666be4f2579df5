//! `honeycomb check` and `honeycomb send-test-span` against local stub servers
//! (wiremock) standing in for Honeycomb's US and EU APIs. Every test also checks
//! that the key never appears in anything the tool printed.

use std::process::Output;
use std::time::{Duration, Instant};

use crate::common::{isolated, stderr, stdout};
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

/// The tool, with `key` in HONEYCOMB_API_KEY and both regions pointed at stubs.
fn obs(key: &str, us: &MockServer, eu: &MockServer) -> assert_cmd::Command {
    let mut cmd = isolated("cruddur-obs");
    cmd.env("HONEYCOMB_API_KEY", key)
        .env("HONEYCOMB_API_ENDPOINT", us.uri())
        .env("HONEYCOMB_API_ENDPOINT_EU", eu.uri());
    cmd
}

fn assert_no_secret(out: &Output, secret: &str) {
    let all = format!("{}{}", stdout(out), stderr(out));
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
    let out = obs(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("key:            ingest key hcaik_…a6b7 (accepted in US)\n"),
        "{text}"
    );
    assert!(
        text.contains("team:           Cruddur Bootcamp (cruddur-bootcamp)\n"),
        "{text}"
    );
    assert!(
        text.contains("environment:    bootcamp (bootcamp)\n"),
        "{text}"
    );
    assert!(text.contains("key type:       ingest\n"), "{text}");
    assert!(text.contains("events ✓"), "{text}");
    assert!(text.contains("someFuturePermission ✓"), "{text}");
    assert!(text.contains("can send traces: yes"), "{text}");
    assert_no_secret(&out, INGEST_KEY);
    assert!(eu.received_requests().await.unwrap().is_empty());

    let out = obs(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check", "--output", "json", "-vvv"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["region"], "us");
    assert_eq!(doc["key_shape"], "ingest");
    assert_eq!(doc["can_send_traces"], true);
    assert_eq!(doc["permissions"]["createDatasets"], true);
    assert_eq!(doc["environment"]["slug"], "bootcamp");
    assert_no_secret(&out, INGEST_KEY);
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
    let out = obs(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("(accepted in EU)"));
    assert_no_secret(&out, INGEST_KEY);

    // --honeycomb-region eu skips the guess.
    let out = obs(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check", "--honeycomb-region", "eu"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        us.received_requests().await.unwrap().len(),
        1,
        "US asked only the first time"
    );
    // The global --region is the AWS region (issue 11, defect 8); Honeycomb's own
    // flag takes only us or eu.
    let out = obs(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check", "--honeycomb-region", "us-east-1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("invalid value 'us-east-1'"),
        "{}",
        stderr(&out)
    );
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
    let out = obs(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: Honeycomb rejected the ingest key hcaik_…a6b7 in US and EU (401 Unauthorized)\nhelp: check the key for typos"),
        "{err}"
    );
    assert_no_secret(&out, INGEST_KEY);
}

#[tokio::test(flavor = "multi_thread")]
async fn forbidden_and_cannot_send_exit_4() {
    let (us, eu) = servers().await;
    Mock::given(path("/1/auth"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": "key disabled"})))
        .mount(&us)
        .await;
    let out = obs(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("(403 Forbidden): key disabled"),
        "{}",
        stderr(&out)
    );

    let (us, eu) = servers().await;
    Mock::given(path("/1/auth"))
        .respond_with(ResponseTemplate::new(200).set_body_json(auth_body(
            "configuration",
            ("bootcamp", "bootcamp"),
            false,
        )))
        .mount(&us)
        .await;
    let out = obs(CONFIG_KEY, &us, &eu)
        .args(["honeycomb", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stdout(&out).contains("can send traces: no"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("events ✗"));
    assert!(
        stderr(&out).starts_with("error: the configuration key …StUv cannot send traces"),
        "{}",
        stderr(&out)
    );
    assert_no_secret(&out, CONFIG_KEY);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_classic_key_is_reported_as_classic() {
    let (us, eu) = servers().await;
    Mock::given(path("/1/auth"))
        .respond_with(ResponseTemplate::new(200).set_body_json(auth_body("ingest", ("", ""), true)))
        .mount(&us)
        .await;
    let out = obs(CLASSIC_KEY, &us, &eu)
        .args(["honeycomb", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("key:            Classic key …cdef"));
    assert!(stdout(&out).contains("environment:    Classic\n"));
    assert!(
        stdout(&out).contains("warning: Classic key: spans need the x-honeycomb-dataset header")
    );
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
    let out = obs(&key, &us, &eu)
        .args(["honeycomb", "check"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "management keys cannot send: {}",
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.contains("team:           Cruddur Bootcamp (cruddur-bootcamp)"),
        "{text}"
    );
    assert!(text.contains("api-keys:read ✓"), "{text}");
    assert_no_secret(&out, &key);
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
    let out = obs(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
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
    let out = obs(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("/1/auth is rate limiting (429), retry after 1s"),
        "{}",
        stderr(&out)
    );
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
    let out = obs(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("/1/auth answered 500 after retries\nhelp: Honeycomb seems to have trouble"),
        "{}",
        stderr(&out)
    );
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
    let out = obs(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "check", "--timeout", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("/1/auth within 1s\nhelp: check the network"),
        "{}",
        stderr(&out)
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    let out = isolated("cruddur-obs")
        .env("HONEYCOMB_API_KEY", INGEST_KEY)
        .args(["honeycomb", "check", "--api-endpoint", "http://127.0.0.1:1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: cannot connect to http://127.0.0.1:1/1/auth: "),
        "{}",
        stderr(&out)
    );
    assert_no_secret(&out, INGEST_KEY);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_key_and_insecure_endpoints_are_bad_input_and_send_nothing() {
    let (us, eu) = servers().await;
    let out = obs(INGEST_KEY, &us, &eu)
        .env_remove("HONEYCOMB_API_KEY")
        .args(["honeycomb", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: no Honeycomb API key\nhelp: pass --api-key or set HONEYCOMB_API_KEY (Honeycomb: Environment settings → API keys)\n"
    );
    let out = isolated("cruddur-obs")
        .args([
            "honeycomb",
            "check",
            "--api-key",
            INGEST_KEY,
            "--api-endpoint",
            "http://api.example.com",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with(
        "error: refusing to send the Honeycomb API key over plain http to http://api.example.com"
    ));
    assert_no_secret(&out, INGEST_KEY);
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
    let dry = obs(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "send-test-span", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(dry.status.code(), Some(3), "{}", stderr(&dry));
    assert!(us
        .received_requests()
        .await
        .unwrap()
        .iter()
        .all(|r| r.url.path() != "/v1/traces"));
    let out = obs(INGEST_KEY, &us, &eu)
        .args(["honeycomb", "send-test-span", "--service", "backend-flask"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
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
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "see it at: https://ui.honeycomb.io/cruddur-bootcamp/environments/bootcamp/trace?trace_id={trace_id}"
        )),
        "{text}"
    );
    assert_no_secret(&out, INGEST_KEY);
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
    let out = obs(CLASSIC_KEY, &us, &eu)
        .args([
            "honeycomb",
            "send-test-span",
            "--dataset",
            "cruddur-backend",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).starts_with("error: Honeycomb refused the test span (401): unknown API key"),
        "{}",
        stderr(&out)
    );
    assert_no_secret(&out, CLASSIC_KEY);
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
    let run = |url: &str, args: &[&str]| {
        isolated("cruddur-obs")
            .env("HONEYCOMB_API_KEY", INGEST_KEY)
            .args(["honeycomb"])
            .args(args)
            .args(["--api-endpoint", url, "--region", "us"])
            .output()
            .unwrap()
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
    let out = run(&url, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(resets.load(SeqCst), 1);
    assert_eq!(auth_requests().await, 1);

    // Resets on every try: three tries, then one line saying so.
    let (url, resets) = resetting_proxy(&us, "/1/auth", usize::MAX).await;
    let out = run(&url, &["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "error: the connection to {url}/1/auth was lost on every try: "
        )),
        "{err}"
    );
    assert!(err.contains("help: something on the way"), "{err}");
    assert_eq!(resets.load(SeqCst), 3);
    assert_eq!(auth_requests().await, 1, "none got through");
    assert_no_secret(&out, INGEST_KEY);

    // A reset POST is not sent again (the span could arrive twice): reported.
    let (url, resets) = resetting_proxy(&us, "/v1/traces", usize::MAX).await;
    let out = run(&url, &["send-test-span"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "error: the connection to {url}/v1/traces was lost: "
        )),
        "{err}"
    );
    assert!(
        err.contains("help: it may or may not have arrived"),
        "{err}"
    );
    assert_eq!(resets.load(SeqCst), 1);
    assert_no_secret(&out, INGEST_KEY);
}
