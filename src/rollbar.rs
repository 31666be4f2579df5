//! Rollbar: is this project access token valid, what may it do, and
//! does a test item sent with it arrive?
//!
//! # How `check` learns the scopes without creating an item
//!
//! One request: `GET {base}/api/1/items/` with the token in `X-Rollbar-Access-Token`.
//!
//! - "List all items … `GET /api/1/items/` … Requires read scope."
//!   (<https://rollbar.com/docs/api/items/>, "Items" API reference). So **200** ⇒ the
//!   token is valid and has `read`. A read token's other scopes are not revealed by
//!   any documented read-only call, so `can_post_server_items` is then `None`
//!   ("valid; post scope not verifiable without sending": `send-test-item` proves it).
//! - **403** ⇒ valid token without `read`. Rollbar's 403 message names the scope
//!   required *and the scopes the token has*: `insufficient privileges: read scope is
//!   required but the access token only has post_server_item, post_client_item.`
//!   (the same form is quoted for `post_server_item` in
//!   <https://github.com/Mixbook/rollbar.dart/issues/5>). We parse "only has …"; if it
//!   lists scopes, `can_post_server_items` is `Some(contains post_server_item)`, else
//!   `None`. A new project's default tokens are post-only
//!   (<https://docs.rollbar.com/docs/access-tokens>: "New projects are created with four
//!   tokens, one with each scope"), so this is the common case.
//! - **401** ⇒ invalid, unknown or disabled token ([`RollbarError::Rejected`]); the
//!   reply may echo the token (`access token not found: <TOKEN>`) and is scrubbed.
//!
//! Scope meanings (`post_server_item`: POST to `/item/` and `/deploy/`;
//! `post_client_item`: POST `/item/` for client platforms only; `read`: all GETs;
//! `write`: PATCH/DELETE) and the header come from
//! <https://docs.rollbar.com/reference/getting-started-1> ("Authentication",
//! "Project Access Tokens"). `/api/1/status/ping` needs no token and proves nothing
//! about one, so `check` does not call it. 429 handling follows
//! <https://docs.rollbar.com/docs/rate-limits>.
//!
//! `send_test_item` posts to `POST /api/1/item/` (<https://rollbar.com/docs/api/items_post/>:
//! `data.environment` and `data.body` with exactly one of `trace`, `trace_chain`,
//! `message`, `crash_report`; reply `{"err": 0, "result": {"id": null, "uuid": …}}`);
//! the occurrence link is `https://rollbar.com/occurrence/uuid/?uuid=<uuid>`, the form
//! Rollbar's own notifiers log (rollbar.js, rollbar-php `getOccurrenceUrl`).

use std::fmt;

use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde_json::{json, Value};

use crate::http::{join, scrub_short, HttpClient, Reply, Service, TransportError};
use crate::secret::Secret;

const HEADER: &str = "x-rollbar-access-token";

/// Rollbar, as its transport errors name it.
pub(crate) static SERVICE: Service = Service {
    name: "Rollbar",
    secret: "token",
    endpoint: "the endpoint (ROLLBAR_ENDPOINT)",
    endpoint_long: "the endpoint (ROLLBAR_ENDPOINT)",
    status_page: "https://status.rollbar.com",
    redirect_note: "the token would go along",
};

/// Rollbar failures, each with what the user can do about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum RollbarError {
    #[error("Rollbar rejected the access token {token} (401): {message}")]
    Rejected { token: String, message: String },
    #[error("the access token {token} lacks the `{scope}` scope (403){}", if has.is_empty() { String::new() } else { format!("; it has {}", has.join(", ")) })]
    LacksScope {
        token: String,
        scope: String,
        has: Vec<String>,
    },
    /// Trouble on the way (see [`crate::http`]).
    #[error(transparent)]
    Transport(#[from] TransportError),
}

impl RollbarError {
    /// Rejected or lacking a scope: exit 4. The rest is trouble on the way.
    pub(crate) fn is_auth(&self) -> bool {
        match self {
            RollbarError::Rejected { .. } | RollbarError::LacksScope { .. } => true,
            RollbarError::Transport(e) => e.is_auth(),
        }
    }

    /// Plain http off loopback: exit 2.
    pub(crate) fn is_bad_input(&self) -> bool {
        matches!(self, RollbarError::Transport(e) if e.is_bad_input())
    }

    pub(crate) fn help(&self) -> Option<String> {
        Some(match self {
            RollbarError::Rejected { .. } => "check ROLLBAR_ACCESS_TOKEN for typos, and that the token is a project access token that is enabled (Rollbar: Project → Settings → Project Access Tokens)".into(),
            RollbarError::LacksScope { scope, .. } if scope == "read" => "this is normal for a post-only token; run `cruddur-obs rollbar send-test-item` to prove it can post".into(),
            RollbarError::LacksScope { scope, .. } => format!("use a token with the `{scope}` scope (the backend needs `post_server_item`), or add the scope under Project → Settings → Project Access Tokens"),
            RollbarError::Transport(e) => return e.help(),
        })
    }
}

/// What `check` learned about a token. Never holds the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct TokenReport {
    /// The masked token.
    pub token: String,
    /// Always true in an `Ok` (an invalid token is [`RollbarError::Rejected`]);
    /// kept for the JSON output.
    pub valid: bool,
    /// Scopes known to be granted (from a 200 on a read, or from the 403 message).
    pub scopes: Vec<String>,
    /// `None` when it cannot be told without sending an item.
    pub can_post_server_items: Option<bool>,
    /// The project id, when the items list showed one.
    pub project: Option<String>,
    pub endpoint: String,
}

impl fmt::Display for TokenReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "token:          {} (valid)", self.token)?;
        if let Some(p) = &self.project {
            writeln!(f, "project:        {p}")?;
        }
        writeln!(
            f,
            "scopes:         {}",
            if self.scopes.is_empty() {
                "unknown".to_string()
            } else {
                self.scopes.join(", ")
            }
        )?;
        write!(
            f,
            "can post server items: {}",
            match self.can_post_server_items {
                Some(true) => "yes",
                Some(false) => "no (the backend needs post_server_item)",
                None => "valid; post scope not verifiable without sending (run `cruddur-obs rollbar send-test-item`)",
            }
        )
    }
}

/// A test item that Rollbar accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ItemReport {
    pub uuid: String,
    pub link: String,
    pub environment: String,
    pub endpoint: String,
}

impl fmt::Display for ItemReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Rollbar accepted the test item (environment {}).",
            self.environment
        )?;
        write!(f, "see it at {}", self.link)
    }
}

/// Tells a valid token from an invalid one and what scopes it has, without
/// creating anything (see the module docs for the request and why).
pub(crate) async fn check(
    client: &HttpClient,
    base: &Url,
    token: &Secret,
) -> Result<TokenReport, RollbarError> {
    let url = join(base, "api/1/items/");
    let secs = client.operation_timeout().as_secs_f64();
    let work = async {
        let reply = client
            .send(&SERVICE, Method::GET, url.clone(), (HEADER, token), None)
            .await?;
        match reply.status {
            StatusCode::OK => {
                let body = json_body(&reply, &url, token)?;
                if body.get("err").and_then(Value::as_i64).unwrap_or(0) != 0 {
                    return Err(unexpected(&url, &reply, token));
                }
                let project = body["result"]["items"]
                    .as_array()
                    .and_then(|items| items.first())
                    .and_then(|item| item.get("project_id"))
                    .and_then(|id| match id {
                        Value::Number(n) => Some(n.to_string()),
                        Value::String(s) => Some(s.clone()),
                        _ => None,
                    });
                Ok(TokenReport {
                    token: token.masked(),
                    valid: true,
                    scopes: vec!["read".into()],
                    can_post_server_items: None,
                    project,
                    endpoint: base.to_string(),
                })
            }
            StatusCode::FORBIDDEN => {
                let message = message_of(&reply.body);
                let (_, has) = parse_privileges(&message);
                let has: Vec<String> = has.into_iter().filter(|s| s != "read").collect();
                let can_post = if has.is_empty() {
                    None
                } else {
                    Some(has.iter().any(|s| s == "post_server_item"))
                };
                Ok(TokenReport {
                    token: token.masked(),
                    valid: true,
                    scopes: has,
                    can_post_server_items: can_post,
                    project: None,
                    endpoint: base.to_string(),
                })
            }
            StatusCode::UNAUTHORIZED => Err(rejected(&reply, token)),
            _ => Err(unexpected(&url, &reply, token)),
        }
    };
    tokio::time::timeout(client.operation_timeout(), work)
        .await
        .unwrap_or_else(|_| {
            Err(TransportError::Timeout {
                service: &SERVICE,
                url: url.to_string(),
                secs,
            }
            .into())
        })
}

/// Sends one `info` message item to `environment` and returns its occurrence link.
/// Not repeated when the connection is lost after sending (it could arrive twice).
pub(crate) async fn send_test_item(
    client: &HttpClient,
    base: &Url,
    token: &Secret,
    environment: &str,
) -> Result<ItemReport, RollbarError> {
    let url = join(base, "api/1/item/");
    let uuid = {
        // A version-4 UUID from 16 random bytes (no extra crate for it).
        let hex = crate::secret::random_hex(16);
        let variant =
            ["8", "9", "a", "b"][usize::from_str_radix(&hex[16..17], 16).unwrap_or(0) % 4];
        format!(
            "{}-{}-4{}-{}{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            variant,
            &hex[17..20],
            &hex[20..32]
        )
    };
    let body = test_item(environment, &uuid, unix_now());
    let secs = client.operation_timeout().as_secs_f64();
    let work = async {
        let reply = client
            .send(
                &SERVICE,
                Method::POST,
                url.clone(),
                (HEADER, token),
                Some(body.to_string()),
            )
            .await?;
        match reply.status {
            s if s.is_success() => {
                let answer = json_body(&reply, &url, token)?;
                if answer.get("err").and_then(Value::as_i64) != Some(0) {
                    return Err(unexpected(&url, &reply, token));
                }
                let uuid = answer["result"]["uuid"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or(uuid.clone());
                Ok(ItemReport {
                    link: occurrence_link(&uuid),
                    uuid,
                    environment: environment.to_string(),
                    endpoint: base.to_string(),
                })
            }
            StatusCode::UNAUTHORIZED => Err(rejected(&reply, token)),
            StatusCode::FORBIDDEN => {
                let message = message_of(&reply.body);
                let (scope, has) = parse_privileges(&message);
                Err(RollbarError::LacksScope {
                    token: token.masked(),
                    scope: scope.unwrap_or_else(|| "post_server_item".into()),
                    has,
                })
            }
            _ => Err(unexpected(&url, &reply, token)),
        }
    };
    tokio::time::timeout(client.operation_timeout(), work)
        .await
        .unwrap_or_else(|_| {
            Err(TransportError::Timeout {
                service: &SERVICE,
                url: url.to_string(),
                secs,
            }
            .into())
        })
}

/// The occurrence page of an item by its uuid.
pub(crate) fn occurrence_link(uuid: &str) -> String {
    format!("https://rollbar.com/occurrence/uuid/?uuid={uuid}")
}

/// The item body (pure; the token travels only in the header).
pub(crate) fn test_item(environment: &str, uuid: &str, timestamp: u64) -> Value {
    json!({
        "data": {
            "environment": environment,
            "level": "info",
            "timestamp": timestamp,
            "platform": std::env::consts::OS,
            "language": "rust",
            "title": "cruddur-obs test item",
            "body": {
                "message": {
                    "body": "cruddur-obs test item: sent by `cruddur-obs rollbar send-test-item` to prove this token can post items. Safe to resolve."
                }
            },
            "notifier": {"name": "cruddur-obs", "version": env!("CARGO_PKG_VERSION")},
            "uuid": uuid,
        }
    })
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The `message` of a Rollbar error body (`{"err": 1, "message": …}`), else the body.
fn message_of(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| body.to_string())
}

/// From `insufficient privileges: read scope is required but the access token only
/// has post_server_item, post_client_item.`: the scope required, and the scopes the
/// token has (empty when the message does not say).
pub(crate) fn parse_privileges(message: &str) -> (Option<String>, Vec<String>) {
    let is_scope = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    let required = message.find(" scope is required").and_then(|end| {
        message[..end]
            .rsplit([' ', ':'])
            .next()
            .map(str::trim)
            .filter(|s| is_scope(s))
            .map(str::to_string)
    });
    let has = message
        .find("only has")
        .map(|i| &message[i + "only has".len()..])
        .map(|rest| {
            rest.split([',', ' '])
                .map(|s| s.trim().trim_end_matches('.'))
                .filter(|s| *s != "and" && is_scope(s))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    (required, has)
}

fn json_body(reply: &Reply, url: &Url, token: &Secret) -> Result<Value, RollbarError> {
    serde_json::from_str(&reply.body).map_err(|_| unexpected(url, reply, token))
}

fn unexpected(url: &Url, reply: &Reply, token: &Secret) -> RollbarError {
    reply.unexpected(&SERVICE, url, token).into()
}

fn rejected(reply: &Reply, token: &Secret) -> RollbarError {
    RollbarError::Rejected {
        token: token.masked(),
        message: scrub_short(&message_of(&reply.body), token, 200),
    }
}

#[cfg(test)]
#[path = "rollbar_stand_in_tests.rs"]
mod stand_in_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privileges_are_read_from_the_403_message() {
        let (req, has) = parse_privileges("insufficient privileges: read scope is required but the access token only has post_server_item, post_client_item.");
        assert_eq!(req.as_deref(), Some("read"));
        assert_eq!(has, vec!["post_server_item", "post_client_item"]);
        let (req, has) = parse_privileges("insufficient privileges: post_server_item scope is required but the access token only has post_client_item.");
        assert_eq!(req.as_deref(), Some("post_server_item"));
        assert_eq!(has, vec!["post_client_item"]);
        let (req, has) = parse_privileges("access denied");
        assert_eq!(req, None);
        assert!(has.is_empty());
    }

    #[test]
    fn the_item_has_what_rollbar_requires() {
        let item = test_item("development", "u-1", 1);
        assert_eq!(item["data"]["environment"], "development");
        assert!(item["data"]["body"]["message"]["body"].is_string());
        assert_eq!(item["data"]["body"].as_object().map(|o| o.len()), Some(1));
        assert!(item.get("access_token").is_none());
        assert_eq!(
            occurrence_link("abc"),
            "https://rollbar.com/occurrence/uuid/?uuid=abc"
        );
    }
}
