//! What Honeycomb holds ([`ObservedState`]) and what to do about it ([`plan`]),
//! both pure.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::desired::{DesiredBoard, DesiredQuery, Position};
use super::MARKER;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ObservedBoard {
    pub id: String,
    pub name: String,
    pub description: String,
    pub board_type: String,
    pub panels: Vec<Value>,
    pub url: Option<String>,
}

impl ObservedBoard {
    /// Parses one element of `GET /1/boards` leniently; `None` without an id.
    pub(crate) fn from_json(v: &Value) -> Option<ObservedBoard> {
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

    pub(crate) fn is_ours(&self) -> bool {
        self.description.contains(MARKER)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ObservedAnnotation {
    pub id: String,
    pub name: String,
    pub description: String,
    pub query_id: String,
}

impl ObservedAnnotation {
    pub(crate) fn from_json(v: &Value) -> Option<ObservedAnnotation> {
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

    pub(crate) fn is_ours(&self) -> bool {
        self.description.contains(MARKER)
    }
}

/// What Honeycomb holds: all boards, the dataset's annotations, and the specs of
/// the queries our annotations point at (by query id; a missing one was not found).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub(crate) struct ObservedState {
    pub boards: Vec<ObservedBoard>,
    pub annotations: Vec<ObservedAnnotation>,
    pub queries: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub(crate) enum QueryAction {
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
pub(crate) struct QueryPlan {
    pub key: String,
    pub name: String,
    #[serde(flatten)]
    pub action: QueryAction,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub(crate) enum BoardOutcome {
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
pub(crate) struct BoardPlan {
    pub board: String,
    pub dataset: String,
    #[serde(flatten)]
    pub outcome: BoardOutcome,
    pub queries: Vec<QueryPlan>,
}

impl BoardPlan {
    /// How many write requests applying this plan makes.
    pub(crate) fn writes(&self) -> usize {
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
pub(crate) fn plan(desired: &DesiredBoard, observed: &ObservedState) -> BoardPlan {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

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
}
