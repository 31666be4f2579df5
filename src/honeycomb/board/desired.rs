//! What the board should be (pure): the course's saved queries and the one
//! flexible board holding them.

use serde::Serialize;
use serde_json::{json, Value};

use super::MARKER;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum QueryStyle {
    Graph,
    Table,
    Combo,
}

impl QueryStyle {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            QueryStyle::Graph => "graph",
            QueryStyle::Table => "table",
            QueryStyle::Combo => "combo",
        }
    }
}

/// A panel's place on the 12-column grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Position {
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
pub(crate) struct DesiredQuery {
    /// A stable short id (`latency`, `users`, `errors`, `recent-traces`).
    pub key: &'static str,
    pub annotation_name: String,
    pub annotation_description: String,
    pub spec: Value,
    pub style: QueryStyle,
    pub position: Position,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct DesiredBoard {
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
pub(crate) struct PanelIds {
    pub query_id: String,
    pub annotation_id: String,
}

impl DesiredBoard {
    /// The board body for `POST /1/boards` / `PUT /1/boards/{id}`; `ids[i]` are
    /// the ids of `queries[i]`.
    pub(crate) fn body(&self, ids: &[PanelIds]) -> Value {
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
pub(crate) fn desired(name: &str, dataset: &str) -> DesiredBoard {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
