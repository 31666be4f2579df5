//! A Rollbar stand-in that answers as the documented API does (see the module
//! docs of `rollbar`) for the tokens below; shared by the `rollbar` module's unit
//! tests and the CLI tests (`#[path]`-included by both).

use reqwest::Url;
use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub(crate) const READ_POST: &str = "0123456789abcdef0123456789abcdef";
pub(crate) const POST_ONLY: &str = "fedcba9876543210fedcba9876543210";
pub(crate) const CLIENT_ONLY: &str = "c1c1c1c1c1c1c1c1c2c2c2c2c2c2c2c2";
pub(crate) const READ_ONLY: &str = "a0a0a0a0b1b1b1b1c2c2c2c2d3d3d3d3";

/// Fails if `text` holds the token or any 8-character piece of it.
pub(crate) fn assert_clean(text: &str, token: &str) {
    let chars: Vec<char> = token.chars().collect();
    for w in chars.windows(8) {
        let piece: String = w.iter().collect();
        assert!(!text.contains(&piece), "{piece:?} of the token in {text:?}");
    }
}

pub(crate) fn err(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"err": 1, "message": message}))
}

/// Answers like Rollbar for the tokens above.
pub(crate) struct Rollbar;

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

pub(crate) async fn rollbar() -> (MockServer, Url) {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(Rollbar)
        .mount(&server)
        .await;
    let base = Url::parse(&server.uri()).unwrap();
    (server, base)
}
