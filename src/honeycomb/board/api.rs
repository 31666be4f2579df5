//! The API edge: [`BoardApi`] reads and writes Honeycomb's boards, queries and
//! query annotations through the shared [`HttpClient`]; [`KeyAccess`] is what
//! `/1/auth` says the key may do.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde_json::{json, Value};

use super::desired::DesiredBoard;
use super::plan::{ObservedAnnotation, ObservedBoard, ObservedState};
use super::BoardError;
use crate::honeycomb::SERVICE;
use crate::http::{join, scrub_short, HttpClient, Reply, TransportError};
use crate::secret::Secret;

const TEAM_HEADER: &str = "x-honeycomb-team";

/// What `/1/auth` says about the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct KeyAccess {
    pub key: String,
    pub key_type: String,
    pub permissions: BTreeMap<String, bool>,
    pub team: String,
    pub environment: String,
}

fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

impl KeyAccess {
    pub(crate) fn from_auth(key: &Secret, body: &Value) -> KeyAccess {
        let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
        KeyAccess {
            key: key.masked(),
            key_type: s(&body["type"]),
            permissions: body
                .get("api_key_access")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_bool().unwrap_or(false)))
                        .collect()
                })
                .unwrap_or_default(),
            team: s(&body["team"]["slug"]),
            environment: s(&body["environment"]["slug"]),
        }
    }

    /// Whether a permission is granted, by name compared case- and `_`-blind.
    pub(crate) fn granted(&self, name: &str) -> bool {
        let want = normalise(name);
        self.permissions
            .iter()
            .any(|(k, v)| *v && normalise(k) == want)
    }

    /// Refuses an ingest key, and names what is missing for queries and boards.
    pub(crate) fn require_board_access(&self) -> Result<(), BoardError> {
        if normalise(&self.key_type) == "ingest" {
            return Err(BoardError::NeedsConfigurationKey {
                key: self.key.clone(),
            });
        }
        let mut missing = Vec::new();
        if !(self.granted("queries") || self.granted("columns")) {
            missing.push("\"Manage Queries and Columns\" (queries)".to_string());
        }
        if !self.granted("boards") {
            missing.push("\"Manage Public Boards\" (boards)".to_string());
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(BoardError::MissingPermissions {
                key: self.key.clone(),
                missing,
            })
        }
    }
}

/// Honeycomb's boards/queries API for one key at one base (US or EU, given by the caller).
#[derive(Debug, Clone)]
pub(crate) struct BoardApi {
    http: HttpClient,
    base: Url,
    key: Secret,
}

impl BoardApi {
    pub(crate) fn new(http: HttpClient, base: Url, key: Secret) -> BoardApi {
        BoardApi { http, base, key }
    }

    /// Bounds a whole operation ([`super::ensure`], [`super::destroy`]).
    pub(crate) fn operation_timeout(&self) -> std::time::Duration {
        self.http.operation_timeout()
    }

    /// The operation did not end within [`BoardApi::operation_timeout`].
    pub(crate) fn timed_out(&self) -> BoardError {
        TransportError::Timeout {
            service: &SERVICE,
            url: self.base.to_string(),
            secs: self.operation_timeout().as_secs_f64(),
        }
        .into()
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        what: &str,
    ) -> Result<Value, BoardError> {
        let url = join(&self.base, path);
        self.call_url(method, url, body, what).await
    }

    async fn call_url(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        what: &str,
    ) -> Result<Value, BoardError> {
        let reply = self
            .http
            .send(
                &SERVICE,
                method,
                url.clone(),
                (TEAM_HEADER, &self.key),
                body.map(Value::to_string),
            )
            .await?;
        if reply.status.is_success() {
            if reply.body.trim().is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_str(&reply.body).map_err(|_| {
                TransportError::Unexpected {
                    service: &SERVICE,
                    url: url.to_string(),
                    status: Some(reply.status.as_u16()),
                    detail: format!(
                        "the body is not JSON: {}",
                        scrub_short(&reply.body, &self.key, 200)
                    ),
                }
                .into()
            });
        }
        Err(self.status_error(&url, &reply, what))
    }

    fn status_error(&self, url: &Url, reply: &Reply, what: &str) -> BoardError {
        let message = scrub_short(&error_message(&reply.body), &self.key, 300);
        match reply.status {
            StatusCode::UNAUTHORIZED => BoardError::Rejected {
                key: self.key.masked(),
            },
            StatusCode::FORBIDDEN => BoardError::Forbidden {
                key: self.key.masked(),
                what: what.to_string(),
                message,
            },
            StatusCode::NOT_FOUND => BoardError::NotFound {
                what: what.to_string(),
                url: url.to_string(),
            },
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => BoardError::Invalid {
                what: what.to_string(),
                status: reply.status.as_u16(),
                message,
            },
            other => TransportError::Unexpected {
                service: &SERVICE,
                url: url.to_string(),
                status: Some(other.as_u16()),
                detail: message,
            }
            .into(),
        }
    }

    fn dataset_path(prefix: &str, dataset: &str, id: Option<&str>) -> String {
        let mut path = format!("{prefix}/{}", encode_segment(dataset));
        if let Some(id) = id {
            path.push('/');
            path.push_str(&encode_segment(id));
        }
        path
    }

    // -- reads

    pub(crate) async fn auth(&self) -> Result<KeyAccess, BoardError> {
        let body = self
            .call(Method::GET, "1/auth", None, "check the key")
            .await?;
        Ok(KeyAccess::from_auth(&self.key, &body))
    }

    pub(crate) async fn list_boards(&self) -> Result<Vec<ObservedBoard>, BoardError> {
        let body = self
            .call(Method::GET, "1/boards", None, "list boards")
            .await?;
        Ok(array(&body)
            .iter()
            .filter_map(ObservedBoard::from_json)
            .collect())
    }

    pub(crate) async fn list_annotations(
        &self,
        dataset: &str,
    ) -> Result<Vec<ObservedAnnotation>, BoardError> {
        let mut url = join(
            &self.base,
            &Self::dataset_path("1/query_annotations", dataset, None),
        );
        url.query_pairs_mut()
            .append_pair("include_board_annotations", "true");
        let body = self
            .call_url(Method::GET, url, None, &format!("dataset {dataset}"))
            .await?;
        Ok(array(&body)
            .iter()
            .filter_map(ObservedAnnotation::from_json)
            .collect())
    }

    /// A query spec by id; `None` when Honeycomb does not know it.
    pub(crate) async fn get_query(
        &self,
        dataset: &str,
        id: &str,
    ) -> Result<Option<Value>, BoardError> {
        let path = Self::dataset_path("1/queries", dataset, Some(id));
        match self
            .call(Method::GET, &path, None, &format!("query {id}"))
            .await
        {
            Ok(v) => Ok(Some(v)),
            Err(BoardError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Boards, the dataset's annotations, and the specs of our annotations' queries.
    pub(crate) async fn observe(
        &self,
        desired: &DesiredBoard,
    ) -> Result<ObservedState, BoardError> {
        let boards = self.list_boards().await?;
        let annotations = self.list_annotations(&desired.dataset).await?;
        let mut queries = BTreeMap::new();
        for a in annotations.iter().filter(|a| {
            a.is_ours()
                && !a.query_id.is_empty()
                && desired.queries.iter().any(|q| q.annotation_name == a.name)
        }) {
            if let Some(spec) = self.get_query(&desired.dataset, &a.query_id).await? {
                queries.insert(a.query_id.clone(), spec);
            }
        }
        Ok(ObservedState {
            boards,
            annotations,
            queries,
        })
    }

    // -- writes

    pub(crate) async fn create_query(
        &self,
        dataset: &str,
        spec: &Value,
    ) -> Result<String, BoardError> {
        let path = Self::dataset_path("1/queries", dataset, None);
        let body = self
            .call(
                Method::POST,
                &path,
                Some(spec),
                &format!("create a query in dataset {dataset}"),
            )
            .await?;
        self.id_of(&body, &path)
    }

    pub(crate) async fn create_annotation(
        &self,
        dataset: &str,
        name: &str,
        description: &str,
        query_id: &str,
    ) -> Result<String, BoardError> {
        let path = Self::dataset_path("1/query_annotations", dataset, None);
        let request = json!({"name": name, "description": description, "query_id": query_id});
        let body = self
            .call(
                Method::POST,
                &path,
                Some(&request),
                &format!("create the query annotation {name:?}"),
            )
            .await?;
        self.id_of(&body, &path)
    }

    pub(crate) async fn update_annotation(
        &self,
        dataset: &str,
        id: &str,
        name: &str,
        description: &str,
        query_id: &str,
    ) -> Result<(), BoardError> {
        let path = Self::dataset_path("1/query_annotations", dataset, Some(id));
        let request = json!({"name": name, "description": description, "query_id": query_id});
        self.call(
            Method::PUT,
            &path,
            Some(&request),
            &format!("update the query annotation {name:?}"),
        )
        .await
        .map(|_| ())
    }

    pub(crate) async fn delete_annotation(
        &self,
        dataset: &str,
        id: &str,
    ) -> Result<(), BoardError> {
        let path = Self::dataset_path("1/query_annotations", dataset, Some(id));
        self.call(
            Method::DELETE,
            &path,
            None,
            &format!("delete the query annotation {id}"),
        )
        .await
        .map(|_| ())
    }

    /// Returns the new board's id and link.
    pub(crate) async fn create_board(
        &self,
        board: &Value,
    ) -> Result<(String, Option<String>), BoardError> {
        let body = self
            .call(Method::POST, "1/boards", Some(board), "create the board")
            .await?;
        let id = self.id_of(&body, "1/boards")?;
        Ok((id, body["links"]["board_url"].as_str().map(str::to_string)))
    }

    /// Replaces the whole board; returns its link when the reply has one.
    pub(crate) async fn update_board(
        &self,
        id: &str,
        board: &Value,
    ) -> Result<Option<String>, BoardError> {
        let path = format!("1/boards/{}", encode_segment(id));
        let mut board = board.clone();
        board["id"] = Value::String(id.to_string());
        let body = self
            .call(
                Method::PUT,
                &path,
                Some(&board),
                &format!("update board {id}"),
            )
            .await?;
        Ok(body["links"]["board_url"].as_str().map(str::to_string))
    }

    pub(crate) async fn delete_board(&self, id: &str) -> Result<(), BoardError> {
        let path = format!("1/boards/{}", encode_segment(id));
        self.call(Method::DELETE, &path, None, &format!("delete board {id}"))
            .await
            .map(|_| ())
    }

    fn id_of(&self, body: &Value, path: &str) -> Result<String, BoardError> {
        body.get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                TransportError::Unexpected {
                    service: &SERVICE,
                    url: join(&self.base, path).to_string(),
                    status: None,
                    detail: "the reply has no id".into(),
                }
                .into()
            })
    }
}

fn array(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

/// Percent-encodes one path segment (dataset slugs, ids).
fn encode_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The message of a Honeycomb error body: `error`, else `title`, plus any
/// `type_detail` descriptions; else the body itself.
fn error_message(text: &str) -> String {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return text.to_string();
    };
    let main = v
        .get("error")
        .or_else(|| v.get("title"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let details: Vec<String> = v
        .get("type_detail")
        .and_then(Value::as_array)
        .map(|ds| {
            ds.iter()
                .filter_map(|d| {
                    let field = d["field"].as_str().unwrap_or_default();
                    let desc = d["description"].as_str()?;
                    Some(if field.is_empty() {
                        desc.to_string()
                    } else {
                        format!("{field}: {desc}")
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    match (main, details.is_empty()) {
        (Some(m), true) => m,
        (Some(m), false) => format!("{m} ({})", details.join("; ")),
        (None, false) => details.join("; "),
        (None, true) => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_names_are_compared_leniently() {
        let key = Secret::new("0123456789abcdefghijkl");
        let access = KeyAccess::from_auth(
            &key,
            &json!({"type": "configuration", "api_key_access": {"Boards": true, "create_datasets": true, "queries": true}}),
        );
        assert!(access.granted("createDatasets"));
        assert!(access.require_board_access().is_ok());
        let ingest = KeyAccess::from_auth(
            &key,
            &json!({"type": "ingest", "api_key_access": {"events": true}}),
        );
        assert!(matches!(
            ingest.require_board_access(),
            Err(BoardError::NeedsConfigurationKey { .. })
        ));
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(encode_segment("backend-flask"), "backend-flask");
        assert_eq!(encode_segment("a b/c"), "a%20b%2Fc");
    }

    #[test]
    fn error_messages_come_from_the_body() {
        assert_eq!(
            error_message(r#"{"error":"unknown API key"}"#),
            "unknown API key"
        );
        assert_eq!(
            error_message(
                r#"{"status":422,"title":"Validation Failed","type_detail":[{"field":"name","description":"too long"}]}"#
            ),
            "Validation Failed (name: too long)"
        );
        assert_eq!(error_message("plain"), "plain");
    }
}
