//! Guards on every path, each test probing one: a `.env` that is a FIFO, literal
//! secrets in `.gitpod.yml` and `devcontainer.json`, an AWS endpoint that never
//! stops answering or paginating, a proxy between us and a loopback endpoint, a
//! secret inside a JSON value — each asserting what the user sees (and what the
//! servers got).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{snapshot_all, Ran, Test};

/// How the hostile AWS double answers.
#[derive(Clone, Copy)]
enum Mode {
    /// 200, then a body that never ends.
    Endless,
    /// Every page of every list with a fresh next token.
    EndlessPages,
    /// Records the request head and answers 502 (a proxy that must not be used).
    Recorder,
}

/// A raw HTTP server on loopback answering like a hostile AWS endpoint; counts
/// the requests it got and the bytes it sent, and records request heads.
struct Hostile {
    url: String,
    requests: Arc<AtomicUsize>,
    sent: Arc<AtomicU64>,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Hostile {
    fn start(mode: Mode) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let sent = Arc::new(AtomicU64::new(0));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let (r, s, h) = (requests.clone(), sent.clone(), heads.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, s, h) = (r.clone(), s.clone(), h.clone());
                std::thread::spawn(move || serve(stream, mode, &r, &s, &h));
            }
        });
        Hostile {
            url,
            requests,
            sent,
            heads,
        }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

/// Reads one request (head and body); `None` when the connection closed.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        head.push_str(&line);
        if line == "\r\n" || line == "\n" {
            break;
        }
    }
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(head)
}

fn serve(
    stream: TcpStream,
    mode: Mode,
    requests: &AtomicUsize,
    sent: &AtomicU64,
    heads: &Mutex<Vec<String>>,
) {
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let started = Instant::now();
    while let Some(head) = read_request(&mut reader) {
        let n = requests.fetch_add(1, Ordering::SeqCst);
        heads.lock().unwrap().push(head);
        match mode {
            Mode::Recorder => {
                let _ = writer.write_all(
                    b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
                return;
            }
            Mode::Endless => {
                let open = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{\"Groups\": [";
                if writer.write_all(open).is_err() {
                    return;
                }
                let chunk = vec![b' '; 64 * 1024];
                while started.elapsed() < Duration::from_secs(60) {
                    if writer.write_all(&chunk).is_err() {
                        return;
                    }
                    sent.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                }
                return;
            }
            Mode::EndlessPages => {
                let body = format!(
                    "{{\"Groups\":[],\"SamplingRuleRecords\":[],\"logGroups\":[],\"Tags\":[],\"NextToken\":\"page-{n}\",\"nextToken\":\"page-{n}\"}}"
                );
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                if writer.write_all(reply.as_bytes()).is_err() {
                    return;
                }
                sent.fetch_add(reply.len() as u64, Ordering::SeqCst);
            }
        }
    }
}

/// A compose file whose app takes the AWS credentials from the shell or `.env`.
const COMPOSE: &str = "services:\n  backend-flask:\n    build: ./backend-flask\n    environment:\n      AWS_ACCESS_KEY_ID: \"${AWS_ACCESS_KEY_ID}\"\n      AWS_SECRET_ACCESS_KEY: \"${AWS_SECRET_ACCESS_KEY}\"\n      AWS_DEFAULT_REGION: \"${AWS_DEFAULT_REGION}\"\n";

fn mkfifo(path: &std::path::Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// `verify` of X-Ray only, against a closed port, with a short timeout.
fn verify_xray_only(dir: &std::path::Path) -> Test {
    Test::in_dir(dir)
        .args(["--endpoint-url", "http://127.0.0.1:9", "--timeout", "2"])
        .args(["verify", "--wait", "1"])
        .args(["--without", "logs", "--without", "honeycomb"])
        .args(["--without", "rollbar"])
        .env("AWS_MAX_ATTEMPTS", "1")
        .timeout(30)
        .status(1)
}

#[test]
#[cfg(unix)]
fn verify_reads_dotenv_through_the_file_guard() {
    // A FIFO: read without the guard, verify hung forever.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("docker-compose.yml"), COMPOSE).unwrap();
    mkfifo(&dir.path().join(".env"));
    let started = Instant::now();
    verify_xray_only(dir.path()).snapshot("hardening_verify_reads_dotenv_through_the_file_guard");
    assert!(started.elapsed() < Duration::from_secs(15));
    // Larger than the cap: refused, not read whole.
    std::fs::remove_file(dir.path().join(".env")).unwrap();
    let mut big = std::fs::File::create(dir.path().join(".env")).unwrap();
    for _ in 0..(5 * 1024) {
        big.write_all(&[b'#'; 1024]).unwrap();
    }
    drop(big);
    verify_xray_only(dir.path()).snapshot("hardening_verify_reads_dotenv_through_the_file_guard_2");
    // A link to /dev/zero: a device, refused at once (it used to take 23.8 GB).
    std::fs::remove_file(dir.path().join(".env")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join(".env")).unwrap();
    let started = Instant::now();
    verify_xray_only(dir.path()).snapshot("hardening_verify_reads_dotenv_through_the_file_guard_3");
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[test]
fn verify_still_takes_the_app_credentials_from_dotenv() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("docker-compose.yml"), COMPOSE).unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "AWS_ACCESS_KEY_ID=AKIDFROMDOTENV000000\nAWS_SECRET_ACCESS_KEY=dotenvsecretdotenvsecretdotenvsecret42\nAWS_DEFAULT_REGION=eu-west-3\n",
    )
    .unwrap();
    let ran = verify_xray_only(dir.path())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_REGION")
        .snapshot("hardening_verify_still_takes_the_app_credentials_from_dotenv");
    assert!(
        ran.stdout
            .starts_with("AWS: eu-west-3, credentials from backend-flask's environment"),
        "{}",
        ran.transcript()
    );
    assert!(!ran.all_output().contains("dotenvsecret"));
}

// --- Literal secrets in the dev-environment files (item 2) and credentials
// --- the scanner did not know (Low).

const GITPOD_TOKEN: &str = "3f8a1c2e9b7d4f6a0e5c8b1d2a9f7e3c";
const GITPOD_KEY: &str = "hcaik_01gitpodgitpodgitpodgitpodgitpodgitpodgitpodgitpodzz77";
const TASK_ENV: &str = "t4sk-env-t0ken-Vq8Zr2Lp";
const INDEX_TOKEN: &str = "pypiT0kenQ7wE9rT2yU";
const DB_PASSWORD: &str = "Sup3rS3cretDbPw";
const REMOTE_TOKEN: &str = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b";
const DSN_KEY: &str = "0123456789abcdef0123456789abcdef";

fn gitpod_with_secrets() -> String {
    format!(
        "tasks:\n  - name: secrets\n    env:\n      MY_SERVICE_TOKEN: {TASK_ENV}\n    command: |\n      gp env ROLLBAR_ACCESS_TOKEN={GITPOD_TOKEN}\n      gp env HONEYCOMB_API_KEY=\"{GITPOD_KEY}\"\n      pip install --index-url https://student:{INDEX_TOKEN}@pypi.example.com/simple -r requirements.txt\n      export DATABASE_URL=postgresql://cruddur:{DB_PASSWORD}@db:5432/cruddur\n"
    )
}

fn devcontainer_with_secrets() -> String {
    format!(
        "{{\n  \"name\": \"cruddur\",\n  \"remoteEnv\": {{\n    \"ROLLBAR_ACCESS_TOKEN\": \"{REMOTE_TOKEN}\",\n    \"SENTRY_DSN\": \"https://{DSN_KEY}@o12345.ingest.sentry.io/67890\"\n  }}\n}}\n"
    )
}

/// Nothing of the secrets, nor an 8-character piece of them, in the output.
fn assert_none_of(ran: &Ran, secrets: &[&str]) {
    let all = ran.all_output();
    for secret in secrets {
        assert!(
            !all.contains(secret),
            "{secret} leaked\n{}",
            ran.transcript()
        );
        let chars: Vec<char> = secret.chars().collect();
        for piece in chars.windows(8) {
            let piece: String = piece.iter().collect();
            assert!(
                !all.contains(&piece),
                "{piece} (of {secret}) leaked\n{}",
                ran.transcript()
            );
        }
    }
}

const ALL_DEV_SECRETS: &[&str] = &[
    GITPOD_TOKEN,
    GITPOD_KEY,
    TASK_ENV,
    INDEX_TOKEN,
    DB_PASSWORD,
    REMOTE_TOKEN,
    DSN_KEY,
];

#[test]
fn literal_secrets_in_gitpod_and_devcontainer_files_are_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let repo = |t: Test| {
        t.write("docker-compose.yml", COMPOSE)
            .write(".gitpod.yml", gitpod_with_secrets())
            .write(
                ".devcontainer/devcontainer.json",
                devcontainer_with_secrets(),
            )
    };
    let mut runs = Vec::new();
    for json in [false, true] {
        let out: &[&str] = if json { &["--output", "json"] } else { &[] };
        let gitpod = repo(Test::in_dir(dir.path()))
            .args(["gitpod", "write", "--dry-run"])
            .args(out.iter().copied())
            .status(3)
            .unchanged(".gitpod.yml")
            .stdout_any()
            .run();
        // The diff does show the lines around the new ports (the secrets' lines).
        assert!(
            gitpod.all_output().contains("gp env ROLLBAR_ACCESS_TOKEN="),
            "{}",
            gitpod.transcript()
        );
        runs.push(gitpod);
        let devcontainer = repo(Test::in_dir(dir.path()))
            .args(["devcontainer", "write", "--dry-run"])
            .args(out.iter().copied())
            .status(3)
            .unchanged(".devcontainer/devcontainer.json")
            .stdout_any()
            .run();
        assert!(
            devcontainer.all_output().contains("SENTRY_DSN"),
            "{}",
            devcontainer.transcript()
        );
        runs.push(devcontainer);
        let plan = repo(Test::in_dir(dir.path()))
            .args(["plan", "--dev-env", "both", "--without", "xray"])
            .args(["--without", "logs", "--without", "honeycomb"])
            .args(out.iter().copied())
            .status(3)
            .stdout_any()
            .run();
        runs.push(plan);
        let init = repo(Test::in_dir(dir.path()))
            .args([
                "init",
                "--dry-run",
                "--dev-env",
                "both",
                "--without",
                "xray",
            ])
            .args(["--without", "logs", "--without", "honeycomb"])
            .args(out.iter().copied())
            .status(3)
            .stdout_any()
            .run();
        runs.push(init);
    }
    for ran in &runs {
        assert_none_of(ran, ALL_DEV_SECRETS);
        if ran.command.contains(&"json".to_string()) {
            ran.json();
        }
    }
}

// --- The scrubber works on values, not on serialised text (item 6), and does
// --- not mask words or the app's own names (Low).

#[test]
fn a_secret_of_spaces_or_quotes_keeps_json_one_document_and_is_masked() {
    const QUOTED: &str = "ab\"cdefgh0123456789XYZ";
    const SPACES: &str = "pw        pw";
    let compose = format!(
        "services:\n  backend-flask:\n    build: ./backend-flask\n    environment:\n      ROLLBAR_ACCESS_TOKEN: 'ab\"cdefgh0123456789XYZ'\n      DB_PASSWORD: \"{SPACES}\"\n      FRONTEND_URL: \"*\"\n"
    );
    assert!(compose.contains(QUOTED));
    let ran = Test::new()
        .write("docker-compose.yml", &compose)
        .args(["compose", "write", "--dry-run", "--region", "us-east-1"])
        .args(["--output", "json"])
        .status(3)
        .stdout_any()
        .run();
    let doc = ran.json();
    let text = doc.to_string();
    // Neither the raw nor the JSON-escaped form, nor a piece of it.
    for form in [QUOTED, "ab\\\"cdefgh0123456789XYZ", "0123456789XYZ", SPACES] {
        assert!(!text.contains(form), "{form} leaked\n{doc:#}");
        assert!(!ran.stderr.contains(form), "{form} leaked\n{}", ran.stderr);
    }
    // The indentation is still spaces, and the document was pretty-printed.
    assert!(ran.stdout.starts_with("{\n  \""), "{}", ran.stdout);
}

#[test]
fn common_words_and_the_apps_own_names_are_not_masked() {
    let compose = "services:\n  backend-flask:\n    build: ./backend-flask\n    environment:\n      FLASK_SECRET_KEY: backend-flask\n      POSTGRES_PASSWORD: password\n      FRONTEND_URL: \"*\"\n";
    let ran = Test::new()
        .write("docker-compose.yml", compose)
        .args(["compose", "write", "--dry-run", "--region", "us-east-1"])
        .status(3)
        .snapshot("hardening_common_words_and_the_apps_own_names_are_not_masked");
    // The transcript shows the app's names and the values unmasked; no mask in it.
    assert!(!ran.all_output().contains('…'), "{}", ran.transcript());
}

// --- AWS replies capped, pagination bounded, loopback never proxied (3, 4, 5).

fn aws_run(endpoint: &str, args: &[&str]) -> Test {
    Test::new()
        .write("docker-compose.yml", COMPOSE)
        .args(["--endpoint-url", endpoint, "--timeout", "3"])
        .args(args.iter().copied())
        .env("AWS_MAX_ATTEMPTS", "1")
        .timeout(60)
}

/// `verify` of the AWS parts only.
const VERIFY_AWS: [&str; 7] = [
    "verify",
    "--wait",
    "1",
    "--without",
    "honeycomb",
    "--without",
    "rollbar",
];

#[test]
fn an_endless_aws_reply_is_cut_off_at_the_cap() {
    let mut runs = Vec::new();
    for args in [
        &["xray", "status"][..],
        &["logs", "status"][..],
        &VERIFY_AWS[..],
    ] {
        let server = Hostile::start(Mode::Endless);
        let started = Instant::now();
        // Groups and rules are read concurrently: either read can fail first.
        let ran = aws_run(&server.url, args)
            .status(1)
            .redact("GetGroups on", "<GetGroups or GetSamplingRules> on")
            .redact("GetSamplingRules on", "<GetGroups or GetSamplingRules> on")
            .run_for_snapshot();
        let took = started.elapsed();
        assert!(took < Duration::from_secs(10), "{args:?} took {took:?}");
        assert!(
            server.sent() < 64 * 1024 * 1024,
            "{args:?}: {} bytes were read",
            server.sent()
        );
        runs.push(ran);
    }
    snapshot_all(
        "hardening_an_endless_aws_reply_is_cut_off_at_the_cap",
        &runs,
    );
}

#[test]
fn endless_pagination_stops_at_a_page_limit_within_the_timeout() {
    for args in [
        &["xray", "status"][..],
        &["logs", "status"][..],
        &VERIFY_AWS[..],
    ] {
        let server = Hostile::start(Mode::EndlessPages);
        let started = Instant::now();
        let ran = aws_run(&server.url, args)
            .status(1)
            .stdout_any()
            .stderr_any()
            .run();
        let took = started.elapsed();
        assert!(took < Duration::from_secs(8), "{args:?} took {took:?}");
        assert!(
            server.requests() <= 2 * 100 + 10,
            "{args:?}: {} requests",
            server.requests()
        );
        assert!(
            ran.all_output()
                .contains("pages, each with a next token: stopped")
                || ran.all_output().contains("no answer in time"),
            "{}",
            ran.transcript()
        );
    }
}

#[test]
fn a_slow_endless_pagination_ends_at_the_timeout() {
    // Pages that come slowly enough never reach the page limit: the deadline
    // ends it.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let c = c.clone();
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                while read_request(&mut reader).is_some() {
                    let n = c.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(200));
                    let body = format!(
                        "{{\"Groups\":[],\"SamplingRuleRecords\":[],\"NextToken\":\"p{n}\"}}"
                    );
                    let reply = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}", body.len());
                    if writer.write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    let started = Instant::now();
    aws_run(&url, &["xray", "status"])
        .status(1)
        .snapshot("hardening_a_slow_endless_pagination_ends_at_the_timeout");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(7), "took {took:?}");
}

#[test]
fn aws_calls_to_loopback_never_go_through_a_proxy_and_remote_ones_do() {
    let proxy = Hostile::start(Mode::Recorder);
    let emu = xray_emulator::Emulator::start().unwrap();
    let proxied = |t: Test| {
        t.env("HTTP_PROXY", &proxy.url)
            .env("http_proxy", &proxy.url)
            .env("HTTPS_PROXY", &proxy.url)
            .env("ALL_PROXY", &proxy.url)
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
    };
    let ran = proxied(aws_run(&emu.url(), &["xray", "status"]))
        .status_in(&[0, 1, 3])
        .snapshot("hardening_aws_calls_to_loopback_never_go_through_a_proxy_and_remote_ones_do");
    assert!(
        proxy.heads().is_empty(),
        "the proxy saw: {:?}\n{}",
        proxy.heads(),
        ran.transcript()
    );
    assert!(
        !emu.requests().is_empty(),
        "the emulator was not asked\n{}",
        ran.transcript()
    );
    // A remote endpoint follows the proxy settings, as awscli does.
    // Groups and rules are read concurrently: either read can fail first.
    let _ = proxied(aws_run("http://xray.example.invalid", &["xray", "status"]))
        .status(1)
        .redact("GetGroups on", "<GetGroups or GetSamplingRules> on")
        .redact("GetSamplingRules on", "<GetGroups or GetSamplingRules> on")
        .snapshot("hardening_aws_calls_to_loopback_never_go_through_a_proxy_and_remote_ones_do_2");
    let heads = proxy.heads();
    assert!(
        heads.iter().any(|h| h.contains("xray.example.invalid")),
        "{heads:?}"
    );
}

// --- Low items.

#[test]
fn argument_errors_under_output_json_are_one_json_document() {
    let ran = Test::new()
        .args(["--output", "json", "xray", "status", "--no-such-flag"])
        .status(2)
        .stdout_any().stderr("error: unexpected argument '--no-such-flag' found\n\nUsage: cruddur-obs xray status [OPTIONS]\n\nFor more information, try '--help'.\n").run();
    let doc = ran.json();
    assert_eq!(doc["exit_code"], 2, "{doc:#}");
    assert!(
        doc["error"].as_str().unwrap().contains("--no-such-flag"),
        "{doc:#}"
    );
    let ran = Test::new()
        .args(["xray", "status", "--no-such-flag", "--output=json"])
        .status(2)
        .stdout_any().stderr("error: unexpected argument '--no-such-flag' found\n\nUsage: cruddur-obs xray status [OPTIONS]\n\nFor more information, try '--help'.\n").run();
    assert_eq!(ran.json()["exit_code"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn control_characters_from_a_server_are_not_printed_raw() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let stub = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/1/auth"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "id": "k", "type": "ingest", "api_key_access": {"events": true},
            "environment": {"name": "dev\u{1b}[2J\u{1b}]0;owned\u{7}", "slug": "d"},
            "team": {"name": "T\u{1b}]52;c;ZWNobyBoaQ==\u{7}eam\u{9b}31m", "slug": "t"}})))
        .mount(&stub)
        .await;
    let ran = Test::new()
        .env(
            "HONEYCOMB_API_KEY",
            "hcaik_01j9zzzzzzzzzzzzzzzzzzzzzzq8t3m4k5n6p7r8s9t0v1w2x3y4z5a6b7",
        )
        .env("HONEYCOMB_API_ENDPOINT", stub.uri())
        .args(["honeycomb", "check", "--honeycomb-region", "us"])
        .snapshot("hardening_control_characters_from_a_server_are_not_printed_raw");
    for c in ['\u{1b}', '\u{7}', '\u{9b}'] {
        assert!(
            !ran.all_output().contains(c),
            "{c:?} printed raw: {:?}",
            ran.all_output()
        );
    }
}

#[test]
fn iam_policy_account_must_be_twelve_digits() {
    let refused: Vec<Ran> = ["12345", "1234567890123", "12345678901a", "*"]
        .into_iter()
        .map(|bad| {
            Test::new()
                .args(["iam", "policy", "--account", bad])
                .status(2)
                .stdout("")
                .run_for_snapshot()
        })
        .collect();
    snapshot_all("hardening_iam_policy_account_refused", &refused);
    Test::new()
        .args(["iam", "policy", "--account", "123456789012"])
        .snapshot("hardening_iam_policy_account_must_be_twelve_digits");
}

#[test]
fn a_huge_timeout_is_not_echoed_in_full() {
    let ran = Test::new()
        .args(["--timeout", "1e300", "xray", "status"])
        .status(2)
        .snapshot("hardening_a_huge_timeout_is_not_echoed_in_full");
    assert!(ran.stderr.len() < 300, "{}", ran.stderr);
}

#[test]
fn a_sampling_rule_attribute_cannot_become_a_cloudformation_intrinsic() {
    let rule = serde_json::json!({"SamplingRule": {
        "RuleName": "Cruddur", "ResourceARN": "*", "Priority": 9000, "FixedRate": 0.1,
        "ReservoirSize": 5, "ServiceName": "backend-flask", "ServiceType": "*", "Host": "*",
        "HTTPMethod": "*", "URLPath": "*", "Version": 1,
        "Attributes": {"Fn::ImportValue": "Other-Stack-Export"}}});
    let ran = Test::new()
        .write("rule.json", rule.to_string())
        .args([
            "export",
            "cloudformation",
            "--cli-input-json",
            "file://rule.json",
        ])
        .status(2)
        .snapshot("hardening_a_sampling_rule_attribute_cannot_become_a_cloudformation_intrinsic");
    assert!(
        !ran.stdout.contains("Fn::ImportValue"),
        "{}",
        ran.transcript()
    );
}

#[test]
fn yaml_over_the_node_budget_is_called_too_large_not_invalid() {
    let mut text = String::from("services:\n  backend-flask:\n    environment:\n");
    text.push_str("      X: [");
    for i in 0..300_000 {
        text.push_str(&format!("{i},"));
    }
    text.push_str("0]\n");
    assert!(text.len() < 4 * 1024 * 1024);
    let ran = Test::new()
        .write("docker-compose.yml", &text)
        .args(["compose", "write", "--dry-run", "--region", "us-east-1"])
        .status(2)
        .snapshot("hardening_yaml_over_the_node_budget_is_called_too_large_not_invalid");
    assert!(!ran.stderr.contains("not valid YAML"), "{}", ran.stderr);
}

#[test]
fn status_masking_stays_fast_with_many_secrets() {
    // 20,000 literal secrets in .env: each is masked, and in seconds.
    let mut dotenv = String::new();
    for i in 0..20_000 {
        dotenv.push_str(&format!(
            "SERVICE_{i}_TOKEN=tok{i:05}x9Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9LzXcVbNm\n"
        ));
    }
    let started = Instant::now();
    let ran = Test::new()
        .write("docker-compose.yml", COMPOSE)
        .write(".env", &dotenv)
        .args(["status", "--without", "xray", "--without", "logs"])
        .args([
            "--without",
            "honeycomb",
            "--without",
            "rollbar",
            "--output",
            "json",
        ])
        .status_in(&[0, 1, 3])
        .timeout(120)
        .stdout_any()
        .run();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    let _: Value = ran.json();
}

#[test]
#[cfg(unix)]
fn a_write_through_a_link_out_of_the_project_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("docker-compose.yml"), COMPOSE).unwrap();
    std::fs::write(outside.path().join("elsewhere.yml"), "tasks: []\n").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("elsewhere.yml"),
        dir.path().join(".gitpod.yml"),
    )
    .unwrap();
    Test::in_dir(dir.path())
        .args(["gitpod", "write", "--yes"])
        .status(2)
        .run_for_snapshot()
        .redact(&outside.path().display().to_string(), "[OUTSIDE]")
        .snapshot("hardening_a_write_through_a_link_out_of_the_project_is_refused");
    assert_eq!(
        std::fs::read_to_string(outside.path().join("elsewhere.yml")).unwrap(),
        "tasks: []\n"
    );
}

#[test]
fn a_build_context_with_a_default_is_interpolated() {
    let compose = "services:\n  backend-flask:\n    build: ${BACKEND_DIR:-./backend-flask}\n    environment:\n      FRONTEND_URL: \"*\"\n";
    let app = "from flask import Flask\n\napp = Flask(__name__)\n\n@app.route('/api/health')\ndef health():\n    return {'ok': True}\n";
    let ran = Test::new()
        .write("docker-compose.yml", compose)
        .write("backend-flask/app.py", app)
        .write("backend-flask/requirements.txt", "flask\n")
        .args(["app", "write", "--dry-run"])
        .status(3)
        .unchanged("backend-flask/app.py")
        .snapshot("hardening_a_build_context_with_a_default_is_interpolated");
    assert!(
        !ran.all_output().contains("${BACKEND_DIR"),
        "{}",
        ran.transcript()
    );
}

#[test]
fn a_build_context_outside_the_project_is_said() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("app.py"),
        "from flask import Flask\n\napp = Flask(__name__)\n",
    )
    .unwrap();
    std::fs::write(outside.path().join("requirements.txt"), "flask\n").unwrap();
    let compose = format!(
        "services:\n  backend-flask:\n    build: {}\n",
        outside.path().display()
    );
    let ran = Test::new()
        .write("docker-compose.yml", compose)
        .args(["app", "write", "--dry-run"])
        .status(3)
        .run_for_snapshot()
        .redact(&outside.path().display().to_string(), "[OUTSIDE]");
    ran.snapshot("hardening_a_build_context_outside_the_project_is_said");
}

#[test]
#[cfg(unix)]
fn the_aws_config_files_are_read_through_the_file_guard() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("config"));
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("credentials")).unwrap();
    let mut runs = Vec::new();
    for (var, file) in [
        ("AWS_CONFIG_FILE", "config"),
        ("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
    ] {
        let started = Instant::now();
        let ran = Test::new()
            .env(var, dir.path().join(file).display().to_string())
            .args(["--endpoint-url", "http://127.0.0.1:9", "--timeout", "2"])
            .args(["xray", "status"])
            .timeout(30)
            .status(2)
            .redact(&dir.path().display().to_string(), "[AWS_DIR]")
            .run_for_snapshot();
        assert!(started.elapsed() < Duration::from_secs(15));
        runs.push(ran);
    }
    snapshot_all(
        "hardening_the_aws_config_files_are_read_through_the_file_guard",
        &runs,
    );
}
