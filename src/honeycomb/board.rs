//! `cruddur-obs honeycomb board` (issue 17): the course's saved queries and one
//! flexible board holding them, through Honeycomb's documented API, idempotently.
//!
//! Pure part: [`desired`] (what the board should be), [`plan`] (what to do, given
//! what [`BoardApi::observe`] saw). Edge: [`BoardApi`] (reads and writes), [`ensure`]
//! (auth → observe → plan → apply), [`apply`], [`destroy`].
//!
//! API facts (checked against <https://docs.honeycomb.io/api/> and its OpenAPI
//! description, and the client in `honeycombio/terraform-provider-honeycombio`):
//! - `GET /1/auth` → `type` (`ingest`|`configuration`), `api_key_access` {…`boards`,
//!   `queries`, `columns`…} (names vary in spelling: compared case- and `_`-blind).
//! - `POST /1/queries/{dataset}` (spec → `{id, …}`; "DOES NOT run the query"),
//!   `GET /1/queries/{dataset}/{id}`. Queries are immutable and cannot be listed or
//!   deleted, so "changing" one is: create a new query, point the annotation at it.
//! - `GET /1/query_annotations/{dataset}?include_board_annotations=true`,
//!   `POST /1/query_annotations/{dataset}` `{name ≤ 80, description ≤ 280, query_id}`,
//!   `PUT`/`DELETE /1/query_annotations/{dataset}/{id}`.
//! - `GET /1/boards`, `POST /1/boards`, `PUT /1/boards/{id}` (replaces the whole
//!   board), `DELETE /1/boards/{id}`; `type: "flexible"`, panels `query` / `text`.
//! - Both lists are plain JSON arrays in the v1 API: no pagination is documented
//!   (cursor pagination exists only in the JSON:API `/2/` endpoints), so none is done.
//! - Errors: `{"error": …}` or RFC 7807 `{"status", "title", "error", "type_detail"}`;
//!   401 bad key, 403 lacking permission, 404 unknown dataset/object, 400/422 invalid,
//!   429 rate limited.
//!
//! The "recent traces" panel: a Query Specification is always an aggregation (no
//! calculations ⇒ `COUNT`) and `orders` may only name breakdowns or calculations, so
//! raw rows "ordered by timestamp" cannot be expressed directly. We use the
//! documented calculated field `EVENT_TIMESTAMP()`
//! (<https://docs.honeycomb.io/reference/calculated-field-formula/time>) inside the
//! spec (`calculated_fields`), break down by `trace.trace_id`, `name`, `duration_ms`
//! for root spans and order by `MAX(started_at)` descending, shown as a table.

use std::collections::BTreeMap;
use std::fmt;

use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde_json::{json, Value};

use crate::http::{join, scrub_short, Failure, HttpClient, Reply};
use crate::secret::Secret;

/// In the board description (and our annotations' descriptions): how cruddur-obs
/// recognises what it made. A board with our name but without it is left alone.
pub const MARKER: &str = "[managed by cruddur-obs]";

const TEAM_HEADER: &str = "x-honeycomb-team";

// ---------------------------------------------------------------------------
// Errors

/// Failures of `honeycomb board`, each with what the user can do about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BoardError {
    #[error("the key {key} is an ingest key: boards and queries need a configuration key")]
    NeedsConfigurationKey { key: String },
    #[error("the key {key} lacks {}", missing.join(" and "))]
    MissingPermissions { key: String, missing: Vec<String> },
    #[error("Honeycomb rejected the key {key} (401 Unauthorized)")]
    Rejected { key: String },
    #[error("Honeycomb refused to {what} with the key {key} (403): {message}")]
    Forbidden {
        key: String,
        what: String,
        message: String,
    },
    #[error("{what} does not exist (404 from {url})")]
    NotFound { what: String, url: String },
    #[error("Honeycomb refused to {what} ({status}): {message}")]
    Invalid {
        what: String,
        status: u16,
        message: String,
    },
    #[error("{url} is rate limiting (429){}", retry_after.map(|s| format!(", retry after {s}s")).unwrap_or_default())]
    RateLimited {
        url: String,
        retry_after: Option<u64>,
    },
    #[error("unexpected answer from {url}{}: {detail}", status.map(|s| format!(" ({s})")).unwrap_or_default())]
    Unexpected {
        url: String,
        status: Option<u16>,
        /// Scrubbed of the key.
        detail: String,
    },
    #[error("cannot reach {url}: {cause}")]
    Network {
        url: String,
        cause: String,
        /// A POST was cut off mid-way: it may have been applied.
        maybe_applied: bool,
    },
    #[error("no answer from {url} within {secs}s")]
    Timeout { url: String, secs: f64 },
    #[error("refusing to send the Honeycomb key over plain http to {url}")]
    Insecure { url: String },
}

impl BoardError {
    /// Key refused or lacking permissions: exit 4. The rest is trouble on the way.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            BoardError::NeedsConfigurationKey { .. }
                | BoardError::MissingPermissions { .. }
                | BoardError::Rejected { .. }
                | BoardError::Forbidden { .. }
        )
    }

    pub fn help(&self) -> Option<String> {
        Some(match self {
            BoardError::NeedsConfigurationKey { .. } => "create a configuration key with \"Manage Queries and Columns\" and \"Manage Public Boards\" (Environment settings → API keys → Configuration) and pass it as the key".into(),
            BoardError::MissingPermissions { .. } => "edit the key under Environment settings → API keys and tick \"Manage Queries and Columns\" and \"Manage Public Boards\"; nothing was changed".into(),
            BoardError::Rejected { .. } => "check the key for typos and the region (US api.honeycomb.io or EU api.eu1.honeycomb.io)".into(),
            BoardError::Forbidden { .. } => "the key lacks a permission for this: run `cruddur-obs honeycomb check` to see them".into(),
            BoardError::NotFound { .. } => "check --dataset (the service.name of the backend, e.g. backend-flask): a dataset exists once a span has arrived (`cruddur-obs honeycomb send-test-span`)".into(),
            BoardError::Invalid { .. } => "this is likely a cruddur-obs bug or a Honeycomb API change: run again with -v and report it".into(),
            BoardError::RateLimited { .. } => "wait a minute and run again".into(),
            BoardError::Unexpected { .. } => "is the API endpoint really Honeycomb? run again with -v".into(),
            BoardError::Network { maybe_applied: true, .. } => "the change may or may not have been made: run again (the run converges)".into(),
            BoardError::Network { .. } => "check the network, DNS and the API endpoint".into(),
            BoardError::Timeout { .. } => "check the network or the endpoint, or raise --timeout".into(),
            BoardError::Insecure { .. } => "use https, or http only to a loopback address (127.0.0.1, ::1, localhost)".into(),
        })
    }

    fn from_failure(f: Failure, post: bool, key: &Secret) -> BoardError {
        match f {
            Failure::Timeout { url, secs } => BoardError::Timeout { url, secs },
            Failure::Connect { url, cause } => BoardError::Network {
                url,
                cause,
                maybe_applied: false,
            },
            Failure::Lost { url, cause, .. } => BoardError::Network {
                url,
                cause,
                maybe_applied: post,
            },
            Failure::Insecure { url } => BoardError::Insecure { url },
            Failure::TooLarge { url } => BoardError::Unexpected {
                url,
                status: None,
                detail: format!(
                    "the reply is larger than {} KiB",
                    crate::http::BODY_LIMIT / 1024
                ),
            },
            Failure::Redirect {
                url,
                status,
                location,
            } => BoardError::Unexpected {
                url,
                status: Some(status),
                detail: format!("a redirect to {location} (not followed)"),
            },
            Failure::RateLimited { url, retry_after } => {
                BoardError::RateLimited { url, retry_after }
            }
            Failure::Server { url, status, .. } => BoardError::Unexpected {
                url,
                status: Some(status),
                detail: "Honeycomb has trouble (see https://status.honeycomb.io)".into(),
            },
            Failure::BadSecret => BoardError::Rejected { key: key.masked() },
        }
    }
}

// ---------------------------------------------------------------------------
// Desired state (pure)

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QueryStyle {
    Graph,
    Table,
    Combo,
}

impl QueryStyle {
    pub fn as_str(self) -> &'static str {
        match self {
            QueryStyle::Graph => "graph",
            QueryStyle::Table => "table",
            QueryStyle::Combo => "combo",
        }
    }
}

/// A panel's place on the 12-column grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    pub x_coordinate: u32,
    pub y_coordinate: u32,
    pub width: u32,
    pub height: u32,
}

impl Position {
    const fn at(x: u32, y: u32, width: u32, height: u32) -> Position {
        Position {
            x_coordinate: x,
            y_coordinate: y,
            width,
            height,
        }
    }

    fn to_json(self) -> Value {
        json!({
            "x_coordinate": self.x_coordinate,
            "y_coordinate": self.y_coordinate,
            "width": self.width,
            "height": self.height,
        })
    }
}

/// One saved query: its spec, its annotation (name + description) and its panel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesiredQuery {
    /// A stable short id (`latency`, `users`, `errors`, `recent-traces`).
    pub key: &'static str,
    pub annotation_name: String,
    pub annotation_description: String,
    pub spec: Value,
    pub style: QueryStyle,
    pub position: Position,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesiredBoard {
    pub name: String,
    /// Ends with [`MARKER`].
    pub description: String,
    pub dataset: String,
    pub queries: Vec<DesiredQuery>,
    /// The text panel's Markdown.
    pub text: String,
    pub text_position: Position,
}

/// The ids a query panel points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PanelIds {
    pub query_id: String,
    pub annotation_id: String,
}

impl DesiredBoard {
    /// The board body for `POST /1/boards` / `PUT /1/boards/{id}`; `ids[i]` are
    /// the ids of `queries[i]`.
    pub fn body(&self, ids: &[PanelIds]) -> Value {
        let mut panels: Vec<Value> = self
            .queries
            .iter()
            .zip(ids)
            .map(|(q, ids)| {
                json!({
                    "type": "query",
                    "query_panel": {
                        "query_id": ids.query_id,
                        "query_annotation_id": ids.annotation_id,
                        "query_style": q.style.as_str(),
                    },
                    "position": q.position.to_json(),
                })
            })
            .collect();
        panels.push(json!({
            "type": "text",
            "text_panel": {"content": self.text},
            "position": self.text_position.to_json(),
        }));
        json!({
            "name": self.name,
            "description": self.description,
            "type": "flexible",
            "layout_generation": "manual",
            "panels": panels,
        })
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The board cruddur-obs makes for `name` over `dataset` (the backend's service.name).
pub fn desired(name: &str, dataset: &str) -> DesiredBoard {
    let root = json!({"column": "trace.parent_id", "op": "does-not-exist"});
    let annotation = |title: &str, text: &str| {
        // The name is at most 80 characters; the description at most 280, marker included.
        let name = truncate(&format!("{name}: {title}"), 80);
        let room = 280 - MARKER.chars().count() - 1;
        (name, format!("{} {MARKER}", truncate(text, room)))
    };
    let query = |key, title: &str, text: &str, spec: Value, style, position| {
        let (annotation_name, annotation_description) = annotation(title, text);
        DesiredQuery {
            key,
            annotation_name,
            annotation_description,
            spec,
            style,
            position,
        }
    };
    let queries = vec![
        query(
            "latency",
            "request latency by route",
            &format!("Heatmap and P95 of duration_ms per http.route, root spans (one per request) of {dataset}, last 2 hours."),
            json!({
                "time_range": 7200,
                "breakdowns": ["http.route"],
                "calculations": [
                    {"op": "HEATMAP", "column": "duration_ms"},
                    {"op": "P95", "column": "duration_ms"}
                ],
                "filters": [root.clone()],
                "orders": [{"op": "P95", "column": "duration_ms", "order": "descending"}],
                "limit": 100
            }),
            QueryStyle::Graph,
            Position::at(0, 0, 8, 6),
        ),
        query(
            "users",
            "P95 latency by user",
            &format!("P95 of duration_ms per app.user_id (spans that carry a user) of {dataset}, last 2 hours."),
            json!({
                "time_range": 7200,
                "breakdowns": ["app.user_id"],
                "calculations": [{"op": "P95", "column": "duration_ms"}],
                "filters": [{"column": "app.user_id", "op": "exists"}],
                "orders": [{"op": "P95", "column": "duration_ms", "order": "descending"}],
                "limit": 100
            }),
            QueryStyle::Graph,
            Position::at(0, 6, 6, 6),
        ),
        query(
            "errors",
            "errors by route",
            &format!("Count of spans of {dataset} with http.status_code >= 500 or error = true, per http.route, last 2 hours."),
            json!({
                "time_range": 7200,
                "breakdowns": ["http.route"],
                "calculations": [{"op": "COUNT"}],
                "filters": [
                    {"column": "http.status_code", "op": ">=", "value": 500},
                    {"column": "error", "op": "=", "value": true}
                ],
                "filter_combination": "OR",
                "orders": [{"op": "COUNT", "order": "descending"}],
                "limit": 100
            }),
            QueryStyle::Combo,
            Position::at(6, 6, 6, 6),
        ),
        query(
            "recent-traces",
            "recent traces",
            &format!("The latest root spans of {dataset} (last hour): trace.trace_id, name, duration_ms, newest first (MAX of EVENT_TIMESTAMP()). Click a trace id to open its waterfall."),
            json!({
                "time_range": 3600,
                "calculated_fields": [{"name": "started_at", "expression": "EVENT_TIMESTAMP()"}],
                "breakdowns": ["trace.trace_id", "name", "duration_ms"],
                "calculations": [{"op": "MAX", "column": "started_at"}],
                "filters": [root],
                "orders": [{"op": "MAX", "column": "started_at", "order": "descending"}],
                "limit": 50
            }),
            QueryStyle::Table,
            Position::at(0, 12, 12, 6),
        ),
    ];
    let text = format!(
        "## {name}\n\n\
         Made by `cruddur-obs honeycomb board --name {name:?} --dataset {dataset}` \
         from the spans of **{dataset}** (AWS Cloud Project Bootcamp, week 2).\n\n\
         To change it, change cruddur-obs (or its flags) and run the command again: \
         it converges, and edits made here by hand are replaced. \
         `cruddur-obs honeycomb board --destroy` removes the board and its saved queries. \
         cruddur-obs recognises this board by `{MARKER}` in its description."
    );
    DesiredBoard {
        name: name.to_string(),
        description: format!(
            "{} {MARKER}",
            truncate(
                &format!("Latency, errors and recent traces of {dataset} (Cruddur)."),
                1024 - MARKER.chars().count() - 1
            )
        ),
        dataset: dataset.to_string(),
        queries,
        text,
        text_position: Position::at(8, 0, 4, 6),
    }
}

// ---------------------------------------------------------------------------
// Observed state

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObservedBoard {
    pub id: String,
    pub name: String,
    pub description: String,
    pub board_type: String,
    pub panels: Vec<Value>,
    pub url: Option<String>,
}

impl ObservedBoard {
    /// Parses one element of `GET /1/boards` leniently; `None` without an id.
    pub fn from_json(v: &Value) -> Option<ObservedBoard> {
        let s = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let id = v.get("id").and_then(Value::as_str)?.to_string();
        Some(ObservedBoard {
            id,
            name: s("name"),
            description: s("description"),
            board_type: s("type"),
            panels: v
                .get("panels")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            url: v["links"]["board_url"].as_str().map(str::to_string),
        })
    }

    pub fn is_ours(&self) -> bool {
        self.description.contains(MARKER)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObservedAnnotation {
    pub id: String,
    pub name: String,
    pub description: String,
    pub query_id: String,
}

impl ObservedAnnotation {
    pub fn from_json(v: &Value) -> Option<ObservedAnnotation> {
        let s = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Some(ObservedAnnotation {
            id: v.get("id").and_then(Value::as_str)?.to_string(),
            name: s("name"),
            description: s("description"),
            query_id: s("query_id"),
        })
    }

    pub fn is_ours(&self) -> bool {
        self.description.contains(MARKER)
    }
}

/// What Honeycomb holds: all boards, the dataset's annotations, and the specs of
/// the queries our annotations point at (by query id; a missing one was not found).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ObservedState {
    pub boards: Vec<ObservedBoard>,
    pub annotations: Vec<ObservedAnnotation>,
    pub queries: BTreeMap<String, Value>,
}

// ---------------------------------------------------------------------------
// The plan (pure)

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum QueryAction {
    /// New query and new annotation.
    Create,
    InSync {
        query_id: String,
        annotation_id: String,
    },
    /// New query (queries are immutable), then the annotation re-pointed at it.
    Replace {
        annotation_id: String,
        old_query_id: String,
        why: String,
    },
    /// Same query; the annotation's name/description are rewritten.
    Reannotate {
        annotation_id: String,
        query_id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryPlan {
    pub key: String,
    pub name: String,
    #[serde(flatten)]
    pub action: QueryAction,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum BoardOutcome {
    Create,
    InSync {
        board_id: String,
    },
    Update {
        board_id: String,
        changes: Vec<String>,
    },
    /// A board with this name without our marker: reported, left alone.
    Foreign {
        board_id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardPlan {
    pub board: String,
    pub dataset: String,
    #[serde(flatten)]
    pub outcome: BoardOutcome,
    pub queries: Vec<QueryPlan>,
}

impl BoardPlan {
    /// How many write requests applying this plan makes.
    pub fn writes(&self) -> usize {
        let queries: usize = self
            .queries
            .iter()
            .map(|q| match q.action {
                QueryAction::Create | QueryAction::Replace { .. } => 2,
                QueryAction::Reannotate { .. } => 1,
                QueryAction::InSync { .. } => 0,
            })
            .sum();
        let board = match self.outcome {
            BoardOutcome::Create | BoardOutcome::Update { .. } => 1,
            _ => 0,
        };
        queries + board
    }
}

impl fmt::Display for BoardPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            BoardOutcome::Create => writeln!(f, "board {:?}: create", self.board)?,
            BoardOutcome::InSync { board_id } => {
                writeln!(f, "board {:?} ({board_id}): in sync", self.board)?
            }
            BoardOutcome::Update { board_id, changes } => writeln!(
                f,
                "board {:?} ({board_id}): update ({})",
                self.board,
                changes.join("; ")
            )?,
            BoardOutcome::Foreign { board_id } => {
                return write!(
                    f,
                    "board {:?} ({board_id}) exists and was not made by cruddur-obs (no {MARKER} in its description): left alone",
                    self.board
                )
            }
        }
        let lines: Vec<String> = self
            .queries
            .iter()
            .map(|q| {
                let what = match &q.action {
                    QueryAction::Create => "create".to_string(),
                    QueryAction::InSync { .. } => "in sync".to_string(),
                    QueryAction::Replace { why, .. } => format!("new query ({why})"),
                    QueryAction::Reannotate { .. } => "rewrite name/description".to_string(),
                };
                format!("  query {:?}: {what}", q.name)
            })
            .collect();
        write!(f, "{}", lines.join("\n"))
    }
}

/// Decides what to do. Ours = same name and [`MARKER`] in the description.
pub fn plan(desired: &DesiredBoard, observed: &ObservedState) -> BoardPlan {
    let same_name: Vec<&ObservedBoard> = observed
        .boards
        .iter()
        .filter(|b| b.name == desired.name)
        .collect();
    let ours = same_name.iter().find(|b| b.is_ours()).copied();
    if ours.is_none() {
        if let Some(foreign) = same_name.first() {
            return BoardPlan {
                board: desired.name.clone(),
                dataset: desired.dataset.clone(),
                outcome: BoardOutcome::Foreign {
                    board_id: foreign.id.clone(),
                },
                queries: Vec::new(),
            };
        }
    }
    let queries: Vec<QueryPlan> = desired
        .queries
        .iter()
        .map(|q| QueryPlan {
            key: q.key.to_string(),
            name: q.annotation_name.clone(),
            action: query_action(q, observed),
        })
        .collect();
    let outcome = match ours {
        None => BoardOutcome::Create,
        Some(board) => {
            let changes = board_changes(desired, board, &queries);
            if changes.is_empty() {
                BoardOutcome::InSync {
                    board_id: board.id.clone(),
                }
            } else {
                BoardOutcome::Update {
                    board_id: board.id.clone(),
                    changes,
                }
            }
        }
    };
    BoardPlan {
        board: desired.name.clone(),
        dataset: desired.dataset.clone(),
        outcome,
        queries,
    }
}

fn query_action(q: &DesiredQuery, observed: &ObservedState) -> QueryAction {
    let Some(a) = observed
        .annotations
        .iter()
        .find(|a| a.is_ours() && a.name == q.annotation_name)
    else {
        return QueryAction::Create;
    };
    let replace = |why: String| QueryAction::Replace {
        annotation_id: a.id.clone(),
        old_query_id: a.query_id.clone(),
        why,
    };
    match observed.queries.get(&a.query_id) {
        None => replace("its query was not found".into()),
        Some(spec) => {
            let diff = spec_diff(&q.spec, spec);
            if !diff.is_empty() {
                replace(format!("differs in {}", diff.join(", ")))
            } else if a.description != q.annotation_description {
                QueryAction::Reannotate {
                    annotation_id: a.id.clone(),
                    query_id: a.query_id.clone(),
                }
            } else {
                QueryAction::InSync {
                    query_id: a.query_id.clone(),
                    annotation_id: a.id.clone(),
                }
            }
        }
    }
}

/// The top-level fields in which an observed query spec differs from the desired
/// one. Lenient: fields Honeycomb adds (`id`, empty lists, nulls, `filter_combination:
/// "AND"`) and numbers written differently (500 / 500.0) do not count.
pub(crate) fn spec_diff(desired: &Value, observed: &Value) -> Vec<String> {
    let (Some(d), Some(o)) = (desired.as_object(), observed.as_object()) else {
        return vec!["the whole spec".into()];
    };
    let mut diff = Vec::new();
    for (k, dv) in d {
        if !covers(dv, o.get(k).unwrap_or(&Value::Null)) {
            diff.push(k.clone());
        }
    }
    for (k, ov) in o {
        if d.contains_key(k) || k == "id" || is_empty(ov) {
            continue;
        }
        if k == "filter_combination" && ov == "AND" {
            continue;
        }
        diff.push(k.clone());
    }
    diff
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Bool(_) => false,
    }
}

fn covers(desired: &Value, observed: &Value) -> bool {
    match (desired, observed) {
        (Value::Object(d), Value::Object(o)) => {
            d.iter()
                .all(|(k, dv)| covers(dv, o.get(k).unwrap_or(&Value::Null)))
                && o.iter().all(|(k, ov)| d.contains_key(k) || is_empty(ov))
        }
        (Value::Array(d), Value::Array(o)) => {
            d.len() == o.len() && d.iter().zip(o).all(|(dv, ov)| covers(dv, ov))
        }
        (Value::Number(d), Value::Number(o)) => d.as_f64() == o.as_f64(),
        (d, o) => d == o,
    }
}

fn board_changes(
    desired: &DesiredBoard,
    board: &ObservedBoard,
    queries: &[QueryPlan],
) -> Vec<String> {
    let mut changes = Vec::new();
    if board.description != desired.description {
        changes.push("description".to_string());
    }
    if board.board_type != "flexible" {
        changes.push(format!("type {:?} → flexible", board.board_type));
    }
    let query_panels: Vec<&Value> = board
        .panels
        .iter()
        .filter(|p| p.get("query_panel").is_some_and(Value::is_object))
        .collect();
    for (q, qp) in desired.queries.iter().zip(queries) {
        let (query_id, annotation_id) = match &qp.action {
            QueryAction::InSync {
                query_id,
                annotation_id,
            }
            | QueryAction::Reannotate {
                query_id,
                annotation_id,
            } => (query_id, annotation_id),
            QueryAction::Create | QueryAction::Replace { .. } => {
                changes.push(format!("panel {}: new query", q.key));
                continue;
            }
        };
        let Some(panel) = query_panels
            .iter()
            .find(|p| p["query_panel"]["query_annotation_id"].as_str() == Some(annotation_id))
        else {
            changes.push(format!("panel {}: missing", q.key));
            continue;
        };
        if panel["query_panel"]["query_id"].as_str() != Some(query_id) {
            changes.push(format!("panel {}: query", q.key));
        }
        let style = panel["query_panel"]["query_style"]
            .as_str()
            .unwrap_or("graph");
        if style != q.style.as_str() {
            changes.push(format!(
                "panel {}: style {style} → {}",
                q.key,
                q.style.as_str()
            ));
        }
        if !same_position(&panel["position"], q.position) {
            changes.push(format!("panel {}: position", q.key));
        }
    }
    let text_panels: Vec<&Value> = board
        .panels
        .iter()
        .filter(|p| p.get("text_panel").is_some_and(Value::is_object))
        .collect();
    match text_panels.first() {
        None => changes.push("text panel: missing".into()),
        Some(p) => {
            if p["text_panel"]["content"].as_str() != Some(desired.text.as_str()) {
                changes.push("text panel: content".into());
            }
            if !same_position(&p["position"], desired.text_position) {
                changes.push("text panel: position".into());
            }
        }
    }
    let expected = desired.queries.len() + 1;
    if board.panels.len() > expected {
        changes.push(format!(
            "{} other panel(s) to remove",
            board.panels.len() - expected
        ));
    }
    changes
}

fn same_position(observed: &Value, p: Position) -> bool {
    let n = |k: &str| observed.get(k).and_then(Value::as_u64);
    n("x_coordinate") == Some(p.x_coordinate.into())
        && n("y_coordinate") == Some(p.y_coordinate.into())
        && n("width") == Some(p.width.into())
        && n("height") == Some(p.height.into())
}

// ---------------------------------------------------------------------------
// Key access

/// What `/1/auth` says about the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyAccess {
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
    pub fn from_auth(key: &Secret, body: &Value) -> KeyAccess {
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
    pub fn granted(&self, name: &str) -> bool {
        let want = normalise(name);
        self.permissions
            .iter()
            .any(|(k, v)| *v && normalise(k) == want)
    }

    /// Refuses an ingest key, and names what is missing for queries and boards.
    pub fn require_board_access(&self) -> Result<(), BoardError> {
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

// ---------------------------------------------------------------------------
// The API edge

/// Honeycomb's boards/queries API for one key at one base (US or EU, given by the caller).
#[derive(Debug, Clone)]
pub struct BoardApi {
    http: HttpClient,
    base: Url,
    key: Secret,
}

impl BoardApi {
    pub fn new(http: HttpClient, base: Url, key: Secret) -> BoardApi {
        BoardApi { http, base, key }
    }

    pub fn base(&self) -> &Url {
        &self.base
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
        let post = method == Method::POST;
        let reply = self
            .http
            .send(
                method,
                url.clone(),
                (TEAM_HEADER, &self.key),
                body.map(Value::to_string),
            )
            .await
            .map_err(|f| BoardError::from_failure(f, post, &self.key))?;
        if reply.status.is_success() {
            if reply.body.trim().is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_str(&reply.body).map_err(|_| BoardError::Unexpected {
                url: url.to_string(),
                status: Some(reply.status.as_u16()),
                detail: format!(
                    "the body is not JSON: {}",
                    scrub_short(&reply.body, &self.key, 200)
                ),
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
            other => BoardError::Unexpected {
                url: url.to_string(),
                status: Some(other.as_u16()),
                detail: message,
            },
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

    pub async fn auth(&self) -> Result<KeyAccess, BoardError> {
        let body = self
            .call(Method::GET, "1/auth", None, "check the key")
            .await?;
        Ok(KeyAccess::from_auth(&self.key, &body))
    }

    pub async fn list_boards(&self) -> Result<Vec<ObservedBoard>, BoardError> {
        let body = self
            .call(Method::GET, "1/boards", None, "list boards")
            .await?;
        Ok(array(&body)
            .iter()
            .filter_map(ObservedBoard::from_json)
            .collect())
    }

    pub async fn list_annotations(
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
    pub async fn get_query(&self, dataset: &str, id: &str) -> Result<Option<Value>, BoardError> {
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
    pub async fn observe(&self, desired: &DesiredBoard) -> Result<ObservedState, BoardError> {
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

    pub async fn create_query(&self, dataset: &str, spec: &Value) -> Result<String, BoardError> {
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

    pub async fn create_annotation(
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

    pub async fn update_annotation(
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

    pub async fn delete_annotation(&self, dataset: &str, id: &str) -> Result<(), BoardError> {
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
    pub async fn create_board(
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
    pub async fn update_board(
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

    pub async fn delete_board(&self, id: &str) -> Result<(), BoardError> {
        let path = format!("1/boards/{}", encode_segment(id));
        self.call(Method::DELETE, &path, None, &format!("delete board {id}"))
            .await
            .map(|_| ())
    }

    fn id_of(&self, body: &Value, path: &str) -> Result<String, BoardError> {
        body.get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| BoardError::Unexpected {
                url: join(&self.base, path).to_string(),
                status: None,
                detail: "the reply has no id".into(),
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

// ---------------------------------------------------------------------------
// Operations

/// What a run did (or, with `dry_run`, would do).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardReport {
    pub plan: BoardPlan,
    pub applied: bool,
    pub board_id: Option<String>,
    pub board_url: Option<String>,
    /// One line per write made, in order.
    pub done: Vec<String>,
}

impl fmt::Display for BoardReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.plan)?;
        if !self.applied && self.plan.writes() > 0 {
            write!(f, "\n(dry run: nothing changed)")?;
        }
        for line in &self.done {
            write!(f, "\n{line}")?;
        }
        if let Some(url) = &self.board_url {
            write!(f, "\nboard: {url}")?;
        }
        Ok(())
    }
}

/// Checks the key (before anything else: a missing permission is named before any
/// write), reads what exists, plans, and applies unless `dry_run`.
pub async fn ensure(
    api: &BoardApi,
    desired: &DesiredBoard,
    dry_run: bool,
) -> Result<BoardReport, BoardError> {
    let url = api.base.to_string();
    let secs = api.http.operation_timeout().as_secs_f64();
    let work = async {
        api.auth().await?.require_board_access()?;
        let observed = api.observe(desired).await?;
        let plan = plan(desired, &observed);
        if dry_run {
            let (board_id, board_url) = match &plan.outcome {
                BoardOutcome::InSync { board_id } | BoardOutcome::Update { board_id, .. } => (
                    Some(board_id.clone()),
                    observed
                        .boards
                        .iter()
                        .find(|b| &b.id == board_id)
                        .and_then(|b| b.url.clone()),
                ),
                _ => (None, None),
            };
            return Ok(BoardReport {
                plan,
                applied: false,
                board_id,
                board_url,
                done: Vec::new(),
            });
        }
        apply(api, desired, &plan, &observed).await
    };
    tokio::time::timeout(api.http.operation_timeout(), work)
        .await
        .unwrap_or(Err(BoardError::Timeout { url, secs }))
}

/// Carries out a plan made from `observed`. A foreign board is left alone.
pub(crate) async fn apply(
    api: &BoardApi,
    desired: &DesiredBoard,
    plan: &BoardPlan,
    observed: &ObservedState,
) -> Result<BoardReport, BoardError> {
    let mut done = Vec::new();
    if let BoardOutcome::Foreign { board_id } = &plan.outcome {
        return Ok(BoardReport {
            plan: plan.clone(),
            applied: false,
            board_id: Some(board_id.clone()),
            board_url: None,
            done,
        });
    }
    let dataset = &desired.dataset;
    let mut ids = Vec::new();
    for (q, qp) in desired.queries.iter().zip(&plan.queries) {
        let panel = match &qp.action {
            QueryAction::InSync {
                query_id,
                annotation_id,
            } => PanelIds {
                query_id: query_id.clone(),
                annotation_id: annotation_id.clone(),
            },
            QueryAction::Create => {
                let query_id = api.create_query(dataset, &q.spec).await?;
                let annotation_id = api
                    .create_annotation(
                        dataset,
                        &q.annotation_name,
                        &q.annotation_description,
                        &query_id,
                    )
                    .await?;
                done.push(format!(
                    "created query {query_id} and saved it as {:?} ({annotation_id})",
                    q.annotation_name
                ));
                PanelIds {
                    query_id,
                    annotation_id,
                }
            }
            QueryAction::Replace { annotation_id, .. } => {
                let query_id = api.create_query(dataset, &q.spec).await?;
                api.update_annotation(
                    dataset,
                    annotation_id,
                    &q.annotation_name,
                    &q.annotation_description,
                    &query_id,
                )
                .await?;
                done.push(format!(
                    "created query {query_id} and pointed {:?} at it",
                    q.annotation_name
                ));
                PanelIds {
                    query_id,
                    annotation_id: annotation_id.clone(),
                }
            }
            QueryAction::Reannotate {
                annotation_id,
                query_id,
            } => {
                api.update_annotation(
                    dataset,
                    annotation_id,
                    &q.annotation_name,
                    &q.annotation_description,
                    query_id,
                )
                .await?;
                done.push(format!(
                    "rewrote the description of {:?}",
                    q.annotation_name
                ));
                PanelIds {
                    query_id: query_id.clone(),
                    annotation_id: annotation_id.clone(),
                }
            }
        };
        ids.push(panel);
    }
    let body = desired.body(&ids);
    let (board_id, board_url) = match &plan.outcome {
        BoardOutcome::Create => {
            let (id, url) = api.create_board(&body).await?;
            done.push(format!("created board {:?} ({id})", desired.name));
            (Some(id), url)
        }
        BoardOutcome::Update { board_id, .. } => {
            let url = api.update_board(board_id, &body).await?;
            done.push(format!("updated board {:?} ({board_id})", desired.name));
            let url = url.or_else(|| {
                observed
                    .boards
                    .iter()
                    .find(|b| &b.id == board_id)
                    .and_then(|b| b.url.clone())
            });
            (Some(board_id.clone()), url)
        }
        BoardOutcome::InSync { board_id } => (
            Some(board_id.clone()),
            observed
                .boards
                .iter()
                .find(|b| &b.id == board_id)
                .and_then(|b| b.url.clone()),
        ),
        BoardOutcome::Foreign { .. } => (None, None),
    };
    Ok(BoardReport {
        plan: plan.clone(),
        applied: true,
        board_id,
        board_url,
        done,
    })
}

/// What `destroy` removed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DestroyReport {
    pub board_deleted: Option<String>,
    pub annotations_deleted: Vec<String>,
    /// A board with our name that is not ours (left alone).
    pub foreign_board: Option<String>,
    pub note: String,
}

impl fmt::Display for DestroyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.board_deleted {
            Some(id) => writeln!(f, "deleted board {id}")?,
            None => writeln!(f, "no board made by cruddur-obs found")?,
        }
        if let Some(id) = &self.foreign_board {
            writeln!(
                f,
                "left alone board {id} (same name, not made by cruddur-obs)"
            )?;
        }
        writeln!(
            f,
            "deleted {} saved quer{}",
            self.annotations_deleted.len(),
            if self.annotations_deleted.len() == 1 {
                "y"
            } else {
                "ies"
            }
        )?;
        write!(f, "{}", self.note)
    }
}

/// Removes our board (name + marker) and our annotations (marker + our names).
/// Queries themselves cannot be deleted through the API.
pub async fn destroy(api: &BoardApi, desired: &DesiredBoard) -> Result<DestroyReport, BoardError> {
    let url = api.base.to_string();
    let secs = api.http.operation_timeout().as_secs_f64();
    let work = async {
        api.auth().await?.require_board_access()?;
        let boards = api.list_boards().await?;
        let annotations = api.list_annotations(&desired.dataset).await?;
        let same_name: Vec<&ObservedBoard> =
            boards.iter().filter(|b| b.name == desired.name).collect();
        let ours = same_name.iter().find(|b| b.is_ours());
        let foreign_board = same_name
            .iter()
            .find(|b| !b.is_ours())
            .map(|b| b.id.clone());
        let mut board_deleted = None;
        if let Some(board) = ours {
            api.delete_board(&board.id).await?;
            board_deleted = Some(board.id.clone());
        }
        let mut annotations_deleted = Vec::new();
        for a in annotations
            .iter()
            .filter(|a| a.is_ours() && desired.queries.iter().any(|q| q.annotation_name == a.name))
        {
            api.delete_annotation(&desired.dataset, &a.id).await?;
            annotations_deleted.push(a.id.clone());
        }
        Ok(DestroyReport {
            board_deleted,
            annotations_deleted,
            foreign_board,
            note: "queries are immutable and cannot be deleted through the API; unreferenced ones are harmless".into(),
        })
    };
    tokio::time::timeout(api.http.operation_timeout(), work)
        .await
        .unwrap_or(Err(BoardError::Timeout { url, secs }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_compare_leniently() {
        let d = json!({"filters": [{"column": "a", "op": ">=", "value": 500}], "limit": 100});
        let o = json!({"id": "q1", "filters": [{"column": "a", "op": ">=", "value": 500.0, "extra": null}],
                       "limit": 100, "filter_combination": "AND", "havings": []});
        assert!(spec_diff(&d, &o).is_empty());
        let o2 = json!({"filters": [{"column": "a", "op": ">", "value": 500}], "limit": 100, "havings": [{"op": ">"}]});
        assert_eq!(spec_diff(&d, &o2), vec!["filters", "havings"]);
    }

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
    fn desired_fits_the_documented_limits() {
        let d = desired(&"x".repeat(200), "backend-flask");
        for q in &d.queries {
            assert!(q.annotation_name.chars().count() <= 80);
            assert!(q.annotation_description.chars().count() <= 280);
            assert!(q.annotation_description.ends_with(MARKER));
            assert!(q.position.width <= 12);
        }
        assert!(d.description.contains(MARKER));
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
