//! `cruddur-obs honeycomb board`: the course's saved queries and one
//! flexible board holding them, through Honeycomb's documented API, idempotently.
//!
//! Pure part: [`desired`] (what the board should be, `desired.rs`), [`plan`] (what
//! to do, given what [`BoardApi::observe`] saw, `plan.rs`). Edge: [`BoardApi`] (reads
//! and writes, `api.rs`), [`ensure`] (auth → observe → plan → apply), [`apply`],
//! [`destroy`] (`apply.rs`). Failures are [`BoardError`]s, here.
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

mod api;
mod apply;
mod desired;
mod plan;
#[cfg(test)]
mod stand_in_tests;

use crate::http::TransportError;

pub(crate) use api::BoardApi;
pub(crate) use apply::DestroyReport;
pub(crate) use apply::{destroy, ensure, BoardReport};
pub(crate) use desired::desired;
pub(crate) use plan::BoardOutcome;

/// In the board description (and our annotations' descriptions): how cruddur-obs
/// recognises what it made. A board with our name but without it is left alone.
pub(crate) const MARKER: &str = "[managed by cruddur-obs]";

/// Failures of `honeycomb board`, each with what the user can do about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum BoardError {
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
    /// Trouble on the way (see [`crate::http`]).
    #[error(transparent)]
    Transport(#[from] TransportError),
}

impl BoardError {
    /// Key refused or lacking permissions: exit 4. The rest is trouble on the way.
    pub(crate) fn is_auth(&self) -> bool {
        match self {
            BoardError::NeedsConfigurationKey { .. }
            | BoardError::MissingPermissions { .. }
            | BoardError::Rejected { .. }
            | BoardError::Forbidden { .. } => true,
            BoardError::NotFound { .. } | BoardError::Invalid { .. } => false,
            BoardError::Transport(e) => e.is_auth(),
        }
    }

    /// Plain http off loopback: exit 2.
    pub(crate) fn is_bad_input(&self) -> bool {
        matches!(self, BoardError::Transport(e) if e.is_bad_input())
    }

    pub(crate) fn help(&self) -> Option<String> {
        Some(match self {
            BoardError::NeedsConfigurationKey { .. } => "create a configuration key with \"Manage Queries and Columns\" and \"Manage Public Boards\" (Environment settings → API keys → Configuration) and pass it as the key".into(),
            BoardError::MissingPermissions { .. } => "edit the key under Environment settings → API keys and tick \"Manage Queries and Columns\" and \"Manage Public Boards\"; nothing was changed".into(),
            BoardError::Rejected { .. } => "check the key for typos and the region (US api.honeycomb.io or EU api.eu1.honeycomb.io)".into(),
            BoardError::Forbidden { .. } => "the key lacks a permission for this: run `cruddur-obs honeycomb check` to see them".into(),
            BoardError::NotFound { .. } => "check --dataset (the service.name of the backend, e.g. backend-flask): a dataset exists once a span has arrived (`cruddur-obs honeycomb send-test-span`)".into(),
            BoardError::Invalid { .. } => "this is likely a cruddur-obs bug or a Honeycomb API change: run again with -v and report it".into(),
            BoardError::Transport(e) => return e.help(),
        })
    }
}
