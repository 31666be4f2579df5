//! The operations: [`ensure`] (auth → observe → plan → apply), [`apply`] and
//! [`destroy`], and what they report.

use std::fmt;

use serde::Serialize;

use super::api::BoardApi;
use super::desired::{DesiredBoard, PanelIds};
use super::plan::{plan, BoardOutcome, BoardPlan, ObservedBoard, ObservedState, QueryAction};
use super::BoardError;

/// What a run did (or, with `dry_run`, would do).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct BoardReport {
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
pub(crate) async fn ensure(
    api: &BoardApi,
    desired: &DesiredBoard,
    dry_run: bool,
) -> Result<BoardReport, BoardError> {
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
    tokio::time::timeout(api.operation_timeout(), work)
        .await
        .unwrap_or_else(|_| Err(api.timed_out()))
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
pub(crate) struct DestroyReport {
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
pub(crate) async fn destroy(
    api: &BoardApi,
    desired: &DesiredBoard,
) -> Result<DestroyReport, BoardError> {
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
    tokio::time::timeout(api.operation_timeout(), work)
        .await
        .unwrap_or_else(|_| Err(api.timed_out()))
}
