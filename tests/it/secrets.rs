//! The Honeycomb key follows no redirect and no proxy, and
//! replies are bounded. Each asserts who received the key and what was printed.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::harness::{snapshot_all, Ran, Test};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "hcaik_01j9zzzzzzzzzzzzzzzzzzzzzzq8t3m4k5n6p7r8s9t0v1w2x3y4z5a6b7";

/// Neither the key nor a long piece of it in anything the run printed.
fn assert_no_key(ran: &Ran) {
    let all = ran.all_output();
    assert!(!all.contains(KEY), "the key leaked: {all}");
    assert!(!all.contains(&KEY[8..40]), "part of the key leaked: {all}");
}

/// A run with the key in HONEYCOMB_API_KEY and Honeycomb at `endpoint`.
fn with_key(endpoint: &str) -> Test {
    Test::new()
        .env("HONEYCOMB_API_KEY", KEY)
        .env("HONEYCOMB_API_ENDPOINT", endpoint)
}

/// A TCP server recording every request head it gets, answering 502; stops with the test.
fn recorder() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            stream.set_read_timeout(Some(Duration::from_secs(2))).ok();
            let mut buf = [0u8; 8192];
            let n = stream.read(&mut buf).unwrap_or(0);
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            let _ = stream.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        }
    });
    (url, seen)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_is_not_followed_and_the_key_reaches_nobody_else() {
    let (elsewhere, seen) = recorder();
    let mut runs = Vec::new();
    for status in [302, 307] {
        let stub = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/1/auth"))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("location", format!("{elsewhere}/1/auth")),
            )
            .mount(&stub)
            .await;
        let ran = with_key(&stub.uri())
            .args(["honeycomb", "check", "--honeycomb-region", "us"])
            .status(1)
            .stdout("")
            .run_for_snapshot()
            // The error names where it pointed.
            .redact(&elsewhere, "[ELSEWHERE]");
        assert_no_key(&ran);
        runs.push(ran);
    }
    snapshot_all("secrets_redirect_not_followed", &runs);
    assert!(
        seen.lock().unwrap().is_empty(),
        "the redirect target was asked: {:?}",
        seen.lock().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_to_loopback_never_goes_through_a_proxy() {
    let (proxy, seen) = recorder();
    let stub = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/1/auth"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "id": "k", "type": "ingest", "api_key_access": {"events": true},
            "environment": {"name": "d", "slug": "d"}, "team": {"name": "t", "slug": "t"}})))
        .mount(&stub)
        .await;
    let ran = with_key(&stub.uri())
        .env("HTTP_PROXY", &proxy)
        .env("http_proxy", &proxy)
        .env("ALL_PROXY", &proxy)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .args(["honeycomb", "check", "--honeycomb-region", "us"])
        .snapshot("secrets_loopback_not_through_a_proxy");
    assert_no_key(&ran);
    assert!(
        seen.lock().unwrap().iter().all(|r| !r.contains(KEY)),
        "the proxy saw the key"
    );
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn an_endless_or_huge_answer_is_cut_and_called_unexpected() {
    // A server that answers 200 and then streams forever.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n");
                let chunk = format!("{:x}\r\n{}\r\n", 65536, " ".repeat(65536));
                let started = Instant::now();
                while started.elapsed() < Duration::from_secs(20) {
                    if stream.write_all(chunk.as_bytes()).is_err() {
                        break;
                    }
                }
            });
        }
    });
    let started = Instant::now();
    let ran = with_key(&url)
        .args(["honeycomb", "check", "--honeycomb-region", "us"])
        .args(["--timeout", "10"])
        .status(1)
        .stdout("")
        .snapshot("secrets_endless_answer_cut");
    assert_no_key(&ran);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
}

/// Literal secrets already in docker-compose.yml never reach any output: not the
/// diff, not the conflict lines, not status's lines, not JSON, nor any 8-character
/// piece of them.
#[test]
fn literal_secrets_in_the_compose_file_are_never_printed() {
    const HC: &str = "hcaik_01literalliteralliteralliteralliteralliteralliteralzz99";
    const AWS: &str = "wJalrXUtnFEMIK7MDENGbPxRfiCYLITERALKEY99";
    const RB: &str = "0badc0ffee0badc0ffee0badc0ffee99";
    let text = std::fs::read_to_string(crate::common::repo().join("tests/fixtures/compose/bootcamp-week1.yml"))
        .unwrap()
        .replace(
            "      BACKEND_URL:",
            &format!(
                "      OTEL_EXPORTER_OTLP_HEADERS: \"x-honeycomb-team={HC}\"\n      AWS_SECRET_ACCESS_KEY: \"{AWS}\"\n      ROLLBAR_ACCESS_TOKEN: \"{RB}\"\n      BACKEND_URL:"
            ),
        );
    assert!(text.contains(HC), "the fixture changed: {text}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("docker-compose.yml"), &text).unwrap();
    let without = [
        "--without",
        "xray",
        "--without",
        "logs",
        "--without",
        "honeycomb",
    ];
    let runs: Vec<Vec<&str>> = vec![
        vec!["plan"],
        vec!["status"],
        vec!["compose", "write", "--dry-run"],
        vec!["compose", "write", "--dry-run", "--force"],
        vec!["init", "--dry-run"],
        vec!["init"],
    ];
    // (The exit status each command has on this file.)
    let codes = [3, 1, 3, 3, 3, 5];
    let mut plain = Vec::new();
    for (args, code) in runs.into_iter().zip(codes) {
        for json in [false, true] {
            for verbose in [&[][..], &["-v"][..], &["-vv"][..]] {
                let mut test = Test::in_dir(dir.path())
                    .args(args.iter().copied())
                    .args(verbose.iter().copied());
                if args[0] != "compose" {
                    test = test.args(without);
                }
                if json {
                    test = test.args(["--output", "json"]);
                }
                let ran = test
                    .status(code)
                    .unchanged("docker-compose.yml")
                    .stdout_any()
                    .stderr_any()
                    .run();
                let all = ran.all_output();
                for secret in [HC, AWS, RB] {
                    let chars: Vec<char> = secret.chars().collect();
                    for piece in chars.windows(8) {
                        let piece: String = piece.iter().collect();
                        assert!(
                            !all.contains(&piece),
                            "{args:?} json={json} {verbose:?}: {piece:?} of a secret shown:\n{all}"
                        );
                    }
                }
                if !json && verbose.is_empty() {
                    plain.push(ran);
                }
            }
        }
    }
    // What each command says instead, `status` naming the literal key
    // ("holds the Honeycomb key itself; use x-honeycomb-team=${HONEYCOMB_API_KEY}").
    snapshot_all("secrets_literal_secrets_in_compose_masked", &plain);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("docker-compose.yml")).unwrap(),
        text
    );
}

/// `--timeout` bounds the whole operation, waits included; the help after a long
/// Retry-After says how long, not "wait a minute".
#[tokio::test(flavor = "multi_thread")]
async fn timeout_bounds_rate_limit_waits_and_the_help_says_how_long() {
    let mut runs = Vec::new();
    for after in ["10", "100000"] {
        let stub = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/1/auth"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", after))
            .mount(&stub)
            .await;
        let started = Instant::now();
        let ran = with_key(&stub.uri())
            .args(["--timeout", "3", "honeycomb", "check"])
            .args(["--honeycomb-region", "us"])
            .status(1)
            .stdout("")
            .run_for_snapshot();
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "Retry-After {after}: took {:?}",
            started.elapsed()
        );
        assert_no_key(&ran);
        runs.push(ran);
    }
    // After Retry-After 100000 the help says "about 28 h", not "wait a minute".
    snapshot_all("secrets_rate_limit_waits_bounded_by_timeout", &runs);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_to_another_loopback_address_is_not_followed_either() {
    let listener = TcpListener::bind("127.0.0.2:0");
    let Ok(listener) = listener else {
        panic!("127.0.0.2 is not available on this machine");
    };
    let other = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(0usize));
    let count = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            *count.lock().unwrap() += 1;
            drop(stream);
        }
    });
    let stub = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/traces"))
        .respond_with(
            ResponseTemplate::new(307).insert_header("location", format!("{other}/v1/traces")),
        )
        .mount(&stub)
        .await;
    Mock::given(method("GET"))
        .and(path("/1/auth"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "id": "k", "type": "ingest", "api_key_access": {"events": true},
            "environment": {"name": "d", "slug": "d"}, "team": {"name": "t", "slug": "t"}})))
        .mount(&stub)
        .await;
    let ran = with_key(&stub.uri())
        .args(["honeycomb", "send-test-span", "--honeycomb-region", "us"])
        .status(1)
        .run_for_snapshot()
        // The error names where it pointed (127.0.0.2's port is not redacted).
        .redact(&other, "[OTHER]")
        .snapshot("secrets_redirect_to_another_loopback_not_followed");
    assert_no_key(&ran);
    assert_eq!(*seen.lock().unwrap(), 0, "the span and key went to {other}");
}

/// https → http: a TLS stand-in (a test CA made with openssl, trusted through
/// SSL_CERT_FILE) redirects to plain http; nothing follows, nothing is sent there.
#[test]
#[ignore = "needs scripts/test.sh: python3"]
fn a_redirect_from_https_to_http_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sh = |script: &str| {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(d)
            .output()
            .expect("sh");
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=cruddur-obs test CA' -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign'");
    sh("openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj '/CN=localhost'");
    sh("printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext && openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile ext");
    let (plain, seen) = recorder();
    std::fs::write(
        d.join("srv.py"),
        format!(
            r#"import http.server, ssl
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(302)
        self.send_header("Location", "{plain}/1/auth")
        self.send_header("content-length", "0")
        self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain("srv.pem", "srv.key")
s.socket = ctx.wrap_socket(s.socket, server_side=True)
print(s.server_address[1], flush=True)
s.serve_forever()
"#
        ),
    )
    .unwrap();
    let python = crate::common::tool("CRUDDUR_OBS_PYTHON", "python3");
    let mut server = std::process::Command::new(python)
        .arg("srv.py")
        .current_dir(d)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let port = line.trim().to_string();
    let ran = with_key(&format!("https://localhost:{port}"))
        .env("SSL_CERT_FILE", d.join("ca.pem").display().to_string())
        .args(["honeycomb", "check", "--honeycomb-region", "us"])
        .status(1)
        .stdout("")
        .run_for_snapshot();
    let _ = server.kill();
    let _ = server.wait();
    // "redirecting to [PLAIN]/1/auth: not followed"
    let ran = ran
        .redact(&plain, "[PLAIN]")
        .snapshot("secrets_redirect_from_https_to_http_not_followed");
    assert!(
        seen.lock().unwrap().is_empty(),
        "plain http got: {:?}",
        seen.lock().unwrap()
    );
    assert_no_key(&ran);
}

/// `verify --app` reads the app's environment (literal keys included) and uses a
/// configuration key: no piece of any of them in any output, at any verbosity.
#[tokio::test(flavor = "multi_thread")]
async fn verify_app_never_prints_the_apps_secrets() {
    const HC: &str = "hcaik_01verifyappverifyappverifyappverifyappverifyappzz77";
    const CONFIG: &str = "hcxck_01configkeyconfigkeyconfigkeyconfigkeyconfigkey88";
    const AWS: &str = "wJalrXUtnFEMIK7MDENGbPxRfiCYVERIFYAPP77";
    let app = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .mount(&app)
        .await;
    // The endpoint with /v1/traces (a mistake named at once) and without (the
    // configuration key is then sent, to a dead endpoint).
    for (endpoint, said) in [
        ("https://api.honeycomb.io/v1/traces", "/v1/traces/v1/traces"),
        (
            "https://api.honeycomb.io",
            "cannot connect to http://127.0.0.1:9/1/auth",
        ),
    ] {
        let text = std::fs::read_to_string(crate::common::repo().join("tests/fixtures/compose/bootcamp-week1.yml"))
        .unwrap()
        .replace(
            "      BACKEND_URL:",
            &format!(
                "      OTEL_EXPORTER_OTLP_ENDPOINT: \"{endpoint}\"\n      OTEL_EXPORTER_OTLP_HEADERS: \"x-honeycomb-team={HC}\"\n      AWS_ACCESS_KEY_ID: \"AKIAVERIFYAPP\"\n      AWS_SECRET_ACCESS_KEY: \"{AWS}\"\n      AWS_DEFAULT_REGION: \"us-east-1\"\n      BACKEND_URL:"
            ),
        );
        assert!(text.contains(AWS), "the fixture changed: {text}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("docker-compose.yml"), &text).unwrap();
        for json in [false, true] {
            for verbose in ["-v", "-vvv"] {
                let mut test = Test::in_dir(dir.path())
                    .args(["verify", "--app", &app.uri(), "--wait", "0", verbose])
                    .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
                    .env("AWS_MAX_ATTEMPTS", "1")
                    .env("HONEYCOMB_API_KEY", HC)
                    .env("HONEYCOMB_CONFIG_KEY", CONFIG)
                    .env("HONEYCOMB_API_ENDPOINT", "http://127.0.0.1:9");
                if json {
                    test = test.args(["--output", "json"]);
                }
                let ran = test.status(1).stdout_any().stderr_any().run();
                let all = ran.all_output();
                assert!(all.contains(said), "{all}");
                for secret in [HC, CONFIG, AWS] {
                    let chars: Vec<char> = secret.chars().collect();
                    for piece in chars.windows(8) {
                        let piece: String = piece.iter().collect();
                        assert!(
                            !all.contains(&piece),
                            "json={json} {verbose}: {piece:?} of a secret shown:\n{all}"
                        );
                    }
                }
            }
        }
    }
}
