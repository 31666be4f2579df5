//! The `rollbar` commands and the Rollbar part of `init`, `status` and `plan`
//! against a Rollbar stand-in that answers as the documented API does. (`check`
//! and `send_test_item` themselves, and misbehaving servers, are unit tests of the
//! `rollbar` module, with the same stand-in.)

use crate::harness::{snapshot_all, Ran, Test};
use reqwest::Url;
use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const READ_POST: &str = "0123456789abcdef0123456789abcdef";
const POST_ONLY: &str = "fedcba9876543210fedcba9876543210";
const CLIENT_ONLY: &str = "c1c1c1c1c1c1c1c1c2c2c2c2c2c2c2c2";
const READ_ONLY: &str = "a0a0a0a0b1b1b1b1c2c2c2c2d3d3d3d3";

/// Fails if `text` holds the token or any 8-character piece of it.
fn assert_clean(text: &str, token: &str) {
    let chars: Vec<char> = token.chars().collect();
    for w in chars.windows(8) {
        let piece: String = w.iter().collect();
        assert!(!text.contains(&piece), "{piece:?} of the token in {text:?}");
    }
}

fn err(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"err": 1, "message": message}))
}

/// Answers like Rollbar for the tokens above.
struct Rollbar;

impl Respond for Rollbar {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let token = request
            .headers
            .get("x-rollbar-access-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let scopes: &[&str] = match token.as_str() {
            READ_POST => &["read", "post_server_item"],
            POST_ONLY => &["post_server_item", "post_client_item"],
            CLIENT_ONLY => &["post_client_item"],
            READ_ONLY => &["read"],
            "" => return err(401, "missing access token"),
            other => return err(401, &format!("access token not found: {other}")),
        };
        let lacks = |scope: &str| {
            err(
                403,
                &format!(
                    "insufficient privileges: {scope} scope is required but the access token only has {}.",
                    scopes.join(", ")
                ),
            )
        };
        match (request.method.as_str(), request.url.path()) {
            ("GET", "/api/1/items/") if scopes.contains(&"read") => ResponseTemplate::new(200)
                .set_body_json(json!({"err": 0, "result": {"page": 1, "total_count": 1, "items": [
                    {"id": 100001, "project_id": 42, "counter": 1, "environment": "development", "title": "boom"}
                ]}})),
            ("GET", _) => lacks("read"),
            ("POST", "/api/1/item/") if scopes.contains(&"post_server_item") => {
                let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                let data = &body["data"];
                let bodies = data["body"].as_object().map(|o| o.len()).unwrap_or(0);
                if data["environment"].as_str().is_none() || bodies != 1 {
                    return err(422, "Invalid format. data.body is required.");
                }
                ResponseTemplate::new(200).set_body_json(
                    json!({"err": 0, "result": {"id": null, "uuid": data["uuid"].clone()}}),
                )
            }
            ("POST", _) => lacks("post_server_item"),
            _ => err(404, "not found"),
        }
    }
}

async fn rollbar() -> (MockServer, Url) {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(Rollbar)
        .mount(&server)
        .await;
    let base = Url::parse(&server.uri()).unwrap();
    (server, base)
}

/// The commands: `rollbar check` exit codes per token kind, `send-test-item`'s link,
/// one JSON document, and the token in no output.

/// The commands: `rollbar check` exit codes per token kind, `send-test-item`'s link,
/// one JSON document, and the token in no output.
#[tokio::test(flavor = "multi_thread")]
async fn the_rollbar_commands_exit_codes_and_output() {
    let (server, _) = rollbar().await;
    let run = |args: &[&str], token: &str| {
        crate::common::isolated("cruddur-obs")
            .env("ROLLBAR_ACCESS_TOKEN", token)
            // As the app's ROLLBAR_ENDPOINT is written: with /api/1.
            .env("ROLLBAR_ENDPOINT", format!("{}/api/1", server.uri()))
            .args(["rollbar"])
            .args(args)
            .output()
            .unwrap()
    };
    // The check's whole output for each kind of token: valid and able to post,
    // valid with read (post not verifiable), client-only, rejected.
    let checks: Vec<Ran> = [
        (POST_ONLY, 0),
        (READ_POST, 0),
        (CLIENT_ONLY, 4),
        ("wrongtoken0123456789abcdef", 4),
    ]
    .into_iter()
    .map(|(token, code)| {
        let ran = Test::new()
            .env("ROLLBAR_ACCESS_TOKEN", token)
            .env("ROLLBAR_ENDPOINT", format!("{}/api/1", server.uri()))
            .args(["rollbar", "check"])
            .status(code)
            .run_for_snapshot();
        assert_clean(&ran.all_output(), token);
        ran
    })
    .collect();
    snapshot_all("rollbar_check_each_kind_of_token", &checks);
    let out = run(&["send-test-item", "--output", "json"], POST_ONLY);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::common::stderr(&out)
    );
    let doc: Value = serde_json::from_str(&crate::common::stdout(&out)).unwrap();
    assert!(
        doc["link"]
            .as_str()
            .unwrap()
            .starts_with("https://rollbar.com/occurrence/uuid/?uuid="),
        "{doc}"
    );
    assert_clean(&crate::common::stdout(&out), POST_ONLY);
    let out = run(&["send-test-item"], READ_ONLY);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        crate::common::stderr(&out)
    );
}

/// `init` checks the token when Rollbar is chosen; `status` has a Rollbar line.
#[tokio::test(flavor = "multi_thread")]
async fn init_and_status_check_the_rollbar_token() {
    let (server, _) = rollbar().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        crate::common::repo().join("tests/fixtures/compose/bootcamp-week1.yml"),
        dir.path().join("docker-compose.yml"),
    )
    .unwrap();
    let run = |args: &[&str], token: &str, code: i32| {
        Test::in_dir(dir.path())
            .env("ROLLBAR_ACCESS_TOKEN", token)
            .env("ROLLBAR_ENDPOINT", server.uri())
            .args(args.iter().copied())
            .args(["--without", "xray", "--without", "logs"])
            .args(["--without", "honeycomb"])
            .status(code)
            .run_for_snapshot()
    };
    let init = run(&["init", "--yes"], POST_ONLY, 0);
    let status = run(&["status"], POST_ONLY, 0);
    let plan = run(&["plan"], CLIENT_ONLY, 4);
    for (ran, token) in [
        (&init, POST_ONLY),
        (&status, POST_ONLY),
        (&plan, CLIENT_ONLY),
    ] {
        assert_clean(&ran.all_output(), token);
    }
    snapshot_all(
        "rollbar_init_status_and_plan_check_the_token",
        [&init, &status, &plan],
    );
}
