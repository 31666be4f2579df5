//! A stateful Honeycomb stand-in for the board: boards, queries and query
//! annotations as the documented requests and replies have them, keyed by the
//! keys below; shared by the board module's unit tests and the CLI tests
//! (`#[path]`-included by both).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// 22 alphanumerics: a configuration key.
pub(crate) const CONFIG: &str = "AbCdEfGhIjKlMnOpQrStUv";
pub(crate) const NO_BOARDS: &str = "NoBoardsKey0123456789x";
/// The dataset the queries run on.
pub(crate) const DATASET: &str = "backend-flask";
pub(crate) const INGEST: &str = "hcaik_01hxyzabcdefghijklmnopqrstuvwxyz0123456789abcdefghijkl";

#[derive(Default)]
pub(crate) struct State {
    pub(crate) next: u32,
    pub(crate) boards: BTreeMap<String, Value>,
    pub(crate) annotations: BTreeMap<String, Value>,
    pub(crate) queries: BTreeMap<String, Value>,
    /// (method, path prefix) → (status, body): an injected failure.
    pub(crate) faults: Vec<(String, String, u16, Value, Option<&'static str>)>,
}

impl State {
    fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{}", self.next)
    }
}

#[derive(Clone, Default)]
pub(crate) struct Honeycomb(pub(crate) Arc<Mutex<State>>);

pub(crate) fn error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"error": message}))
}

impl Respond for Honeycomb {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.0.lock().unwrap();
        let key = request
            .headers
            .get("x-honeycomb-team")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let method = request.method.as_str().to_string();
        let path = request.url.path().to_string();
        for (m, prefix, status, body, retry_after) in &state.faults {
            if *m == method && path.starts_with(prefix.as_str()) {
                let mut t = ResponseTemplate::new(*status).set_body_json(body.clone());
                if let Some(s) = retry_after {
                    t = t.insert_header("Retry-After", *s);
                }
                return t;
            }
        }
        let access = match key.as_str() {
            CONFIG => json!({"type": "configuration", "api_key_access": {
                "events": false, "markers": true, "triggers": true, "boards": true,
                "queries": true, "columns": true, "create_datasets": false}}),
            NO_BOARDS => json!({"type": "configuration", "api_key_access": {
                "boards": false, "queries": true, "columns": true}}),
            INGEST => {
                json!({"type": "ingest", "api_key_access": {"events": true, "createDatasets": true}})
            }
            _ => return error(401, "unknown API key - check your credentials"),
        };
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match (method.as_str(), segments.as_slice()) {
            ("GET", ["1", "auth"]) => {
                let mut a = access;
                a["id"] = json!("kid");
                a["team"] = json!({"name": "Cruddur", "slug": "cruddur"});
                a["environment"] = json!({"name": "Dev", "slug": "dev"});
                ResponseTemplate::new(200).set_body_json(a)
            }
            _ if access["type"] == "ingest" => {
                error(401, "this endpoint needs a configuration key")
            }
            ("GET", ["1", "boards"]) => ResponseTemplate::new(200)
                .set_body_json(Value::Array(state.boards.values().cloned().collect())),
            ("POST", ["1", "boards"]) => {
                if body["type"] != "flexible" {
                    return error(422, "classic boards are no longer supported");
                }
                let id = state.id("b");
                let mut board = body;
                board["id"] = json!(id);
                board["links"] = json!({"board_url": format!("https://ui.honeycomb.io/cruddur/environments/dev/board/{id}")});
                state.boards.insert(id, board.clone());
                ResponseTemplate::new(201).set_body_json(board)
            }
            ("PUT", ["1", "boards", id]) => {
                let Some(old) = state.boards.get(*id).cloned() else {
                    return error(404, "Board not found");
                };
                let mut board = body;
                board["links"] = old["links"].clone();
                state.boards.insert(id.to_string(), board.clone());
                ResponseTemplate::new(200).set_body_json(board)
            }
            ("DELETE", ["1", "boards", id]) => match state.boards.remove(*id) {
                Some(_) => ResponseTemplate::new(204),
                None => error(404, "Board not found"),
            },
            (_, ["1", "query_annotations" | "queries", ds, ..]) if *ds != DATASET => {
                error(404, "Dataset not found")
            }
            ("GET", ["1", "query_annotations", _]) => {
                assert_eq!(request.url.query(), Some("include_board_annotations=true"));
                ResponseTemplate::new(200)
                    .set_body_json(Value::Array(state.annotations.values().cloned().collect()))
            }
            ("POST", ["1", "query_annotations", _]) => {
                let name = body["name"].as_str().unwrap_or_default();
                if name.is_empty() || name.chars().count() > 80 {
                    return error(422, "name must be 1-80 characters");
                }
                if body["description"]
                    .as_str()
                    .unwrap_or_default()
                    .chars()
                    .count()
                    > 280
                {
                    return error(422, "description too long");
                }
                if !state
                    .queries
                    .contains_key(body["query_id"].as_str().unwrap_or_default())
                {
                    return error(422, "query not found");
                }
                let id = state.id("a");
                let mut a = body;
                a["id"] = json!(id);
                a["source"] = json!("query");
                state.annotations.insert(id, a.clone());
                ResponseTemplate::new(201).set_body_json(a)
            }
            ("PUT", ["1", "query_annotations", _, id]) => {
                if !state.annotations.contains_key(*id) {
                    return error(404, "Query Annotation not found");
                }
                let mut a = body;
                a["id"] = json!(id);
                state.annotations.insert(id.to_string(), a.clone());
                ResponseTemplate::new(200).set_body_json(a)
            }
            ("DELETE", ["1", "query_annotations", _, id]) => match state.annotations.remove(*id) {
                Some(_) => ResponseTemplate::new(204),
                None => error(404, "Query Annotation not found"),
            },
            ("POST", ["1", "queries", _]) => {
                let id = state.id("q");
                // Honeycomb fills in defaults: the comparison must not mind them.
                let mut q = body;
                q["id"] = json!(id);
                if q.get("filter_combination").is_none() {
                    q["filter_combination"] = json!("AND");
                }
                q["havings"] = json!([]);
                state.queries.insert(id, q.clone());
                ResponseTemplate::new(200).set_body_json(q)
            }
            ("GET", ["1", "queries", _, id]) => match state.queries.get(*id) {
                Some(q) => ResponseTemplate::new(200).set_body_json(q.clone()),
                None => error(404, "Query not found"),
            },
            _ => error(404, "not found"),
        }
    }
}

pub(crate) async fn honeycomb() -> (MockServer, Honeycomb) {
    let server = MockServer::start().await;
    let fake = Honeycomb::default();
    Mock::given(any())
        .respond_with(fake.clone())
        .mount(&server)
        .await;
    (server, fake)
}

/// The writes (POST/PUT/DELETE) the server received, as `METHOD path` + body.
pub(crate) async fn writes(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .map(|r| {
            json!({
                "request": format!("{} {}", r.method, r.url.path()),
                "body": serde_json::from_slice::<Value>(&r.body).unwrap_or(Value::Null),
            })
        })
        .collect()
}

pub(crate) fn assert_clean(text: &str, key: &str) {
    let chars: Vec<char> = key.chars().collect();
    for w in chars.windows(8) {
        let piece: String = w.iter().collect();
        assert!(!text.contains(&piece), "{piece:?} of the key in {text:?}");
    }
}
