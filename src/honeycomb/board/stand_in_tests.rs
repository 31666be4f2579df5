//! The board against a stateful Honeycomb stand-in that follows the documented
//! requests and replies (see the module docs).

use std::fmt::Debug;
use std::time::Duration;

use super::plan::QueryAction;
use super::{self as board, desired, BoardApi, BoardError, BoardOutcome, MARKER};
use crate::http::{HttpClient, TransportError};
use crate::secret::Secret;
use reqwest::Url;
use serde::Serialize;
use serde_json::{json, Value};
use wiremock::MockServer;

#[path = "../../../tests/support/honeycomb_board_stand_in.rs"]
mod stand_in;
use stand_in::*;

fn api(server: &MockServer, key: &str) -> BoardApi {
    BoardApi::new(
        HttpClient::new(Duration::from_secs(5), Duration::from_secs(30)).unwrap(),
        Url::parse(&server.uri()).unwrap(),
        Secret::new(key),
    )
}

fn assert_shown_clean<T: Serialize + Debug + std::fmt::Display>(r: &T, key: &str) {
    assert_clean(&format!("{r}"), key);
    assert_clean(&format!("{r:?}"), key);
    assert_clean(&serde_json::to_string(r).unwrap(), key);
}

fn assert_error_clean(e: &BoardError, key: &str) {
    assert_clean(&e.to_string(), key);
    assert_clean(&format!("{e:?}"), key);
    assert_clean(&e.help().unwrap_or_default(), key);
}

#[tokio::test]
async fn creates_the_queries_and_the_board_from_nothing() {
    let (server, fake) = honeycomb().await;
    let want = desired("Cruddur", DATASET);
    let report = board::ensure(&api(&server, CONFIG), &want, false)
        .await
        .unwrap();
    assert_eq!(report.plan.outcome, BoardOutcome::Create);
    assert!(report
        .plan
        .queries
        .iter()
        .all(|q| q.action == QueryAction::Create));
    assert_eq!(report.board_id.as_deref(), Some("b9"));
    assert_eq!(
        report.board_url.as_deref(),
        Some("https://ui.honeycomb.io/cruddur/environments/dev/board/b9")
    );
    assert_eq!(report.done.len(), 5);
    assert_shown_clean(&report, CONFIG);
    let sent = writes(&server).await;
    assert_eq!(sent.len(), 9, "4 queries, 4 annotations, 1 board");
    insta::assert_json_snapshot!("create_from_empty", sent);
    // Every request carried the key in its header and nowhere else.
    for r in server.received_requests().await.unwrap() {
        assert_eq!(r.headers.get("x-honeycomb-team").unwrap(), CONFIG);
        assert!(!r.url.as_str().contains(CONFIG));
        assert!(!String::from_utf8_lossy(&r.body).contains(CONFIG));
    }
    let state = fake.0.lock().unwrap();
    let board = &state.boards["b9"];
    assert!(board["description"].as_str().unwrap().contains(MARKER));
    assert_eq!(board["panels"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn a_converged_rerun_writes_nothing() {
    let (server, _fake) = honeycomb().await;
    let want = desired("Cruddur", DATASET);
    let api = api(&server, CONFIG);
    board::ensure(&api, &want, false).await.unwrap();
    let before = writes(&server).await.len();
    let again = board::ensure(&api, &want, false).await.unwrap();
    assert_eq!(writes(&server).await.len(), before, "no POST/PUT/DELETE");
    assert!(
        matches!(again.plan.outcome, BoardOutcome::InSync { .. }),
        "{:?}",
        again.plan
    );
    assert!(again
        .plan
        .queries
        .iter()
        .all(|q| matches!(q.action, QueryAction::InSync { .. })));
    assert_eq!(again.plan.writes(), 0);
    assert!(again.done.is_empty());
    assert!(again.board_url.is_some());
    assert!(again.to_string().contains("in sync"));
}

#[tokio::test]
async fn a_changed_query_gets_a_new_query_an_annotation_put_and_a_board_put() {
    let (server, fake) = honeycomb().await;
    let api = api(&server, CONFIG);
    board::ensure(&api, &desired("Cruddur", DATASET), false)
        .await
        .unwrap();
    let before = writes(&server).await.len();

    let mut want = desired("Cruddur", DATASET);
    want.queries[1].spec["time_range"] = json!(86400);
    let report = board::ensure(&api, &want, false).await.unwrap();

    let plan = &report.plan;
    assert!(
        matches!(&plan.queries[1].action, QueryAction::Replace { why, .. } if why.contains("time_range")),
        "{plan:?}"
    );
    assert!(plan
        .queries
        .iter()
        .enumerate()
        .all(|(i, q)| i == 1 || matches!(q.action, QueryAction::InSync { .. })));
    match &plan.outcome {
        BoardOutcome::Update { changes, .. } => {
            assert_eq!(changes, &vec!["panel users: new query".to_string()])
        }
        other => panic!("{other:?}"),
    }
    let sent: Vec<String> = writes(&server).await[before..]
        .iter()
        .map(|w| w["request"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        sent,
        vec![
            "POST /1/queries/backend-flask".to_string(),
            "PUT /1/query_annotations/backend-flask/a4".to_string(),
            "PUT /1/boards/b9".to_string(),
        ]
    );
    {
        let state = fake.0.lock().unwrap();
        assert_eq!(state.annotations["a4"]["query_id"], "q10");
        let panel = state.boards["b9"]["panels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["query_panel"]["query_annotation_id"] == "a4")
            .cloned()
            .unwrap();
        assert_eq!(panel["query_panel"]["query_id"], "q10");
    }
    // …and then it has converged again.
    let before = writes(&server).await.len();
    board::ensure(&api, &want, false).await.unwrap();
    assert_eq!(writes(&server).await.len(), before);
}

#[tokio::test]
async fn a_board_edited_by_hand_is_put_back() {
    let (server, fake) = honeycomb().await;
    let api = api(&server, CONFIG);
    let want = desired("Cruddur", DATASET);
    board::ensure(&api, &want, false).await.unwrap();
    {
        let mut state = fake.0.lock().unwrap();
        let board = state.boards.get_mut("b9").unwrap();
        board["panels"][0]["position"]["width"] = json!(3);
        board["panels"]
            .as_array_mut()
            .unwrap()
            .push(json!({"type": "text", "text_panel": {"content": "mine"}}));
    }
    let report = board::ensure(&api, &want, true).await.unwrap();
    match &report.plan.outcome {
        BoardOutcome::Update { changes, .. } => assert_eq!(
            changes,
            &vec![
                "panel latency: position".to_string(),
                "1 other panel(s) to remove".to_string()
            ]
        ),
        other => panic!("{other:?}"),
    }
    assert!(!report.applied);
    assert!(report.to_string().contains("dry run"));
}

#[tokio::test]
async fn a_dry_run_writes_nothing() {
    let (server, _fake) = honeycomb().await;
    let report = board::ensure(&api(&server, CONFIG), &desired("Cruddur", DATASET), true)
        .await
        .unwrap();
    assert_eq!(report.plan.outcome, BoardOutcome::Create);
    assert_eq!(report.plan.writes(), 9);
    assert!(writes(&server).await.is_empty());
}

#[tokio::test]
async fn a_foreign_board_with_the_name_is_left_alone() {
    let (server, fake) = honeycomb().await;
    let foreign = json!({"id": "mine1", "name": "Cruddur", "description": "my own board", "type": "flexible", "panels": []});
    fake.0
        .lock()
        .unwrap()
        .boards
        .insert("mine1".into(), foreign.clone());
    let report = board::ensure(&api(&server, CONFIG), &desired("Cruddur", DATASET), false)
        .await
        .unwrap();
    assert_eq!(
        report.plan.outcome,
        BoardOutcome::Foreign {
            board_id: "mine1".into()
        }
    );
    assert!(report.to_string().contains("left alone"));
    assert!(writes(&server).await.is_empty());
    assert_eq!(fake.0.lock().unwrap().boards["mine1"], foreign);
}

#[tokio::test]
async fn a_missing_permission_is_named_before_any_write() {
    let (server, _fake) = honeycomb().await;
    let e = board::ensure(
        &api(&server, NO_BOARDS),
        &desired("Cruddur", DATASET),
        false,
    )
    .await
    .unwrap_err();
    match &e {
        BoardError::MissingPermissions { missing, .. } => {
            assert_eq!(
                missing,
                &vec!["\"Manage Public Boards\" (boards)".to_string()]
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(e.is_auth());
    assert_error_clean(&e, NO_BOARDS);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].url.path(), "/1/auth");
}

#[tokio::test]
async fn an_ingest_key_is_refused() {
    let (server, _fake) = honeycomb().await;
    let e = board::ensure(&api(&server, INGEST), &desired("Cruddur", DATASET), false)
        .await
        .unwrap_err();
    assert!(
        matches!(e, BoardError::NeedsConfigurationKey { .. }),
        "{e:?}"
    );
    assert!(e.is_auth());
    assert!(e.to_string().contains("hcaik_…"));
    assert!(e.help().unwrap().contains("configuration key"));
    assert_error_clean(&e, INGEST);
    assert!(writes(&server).await.is_empty());
}

#[tokio::test]
async fn an_unknown_key_is_rejected() {
    let (server, _fake) = honeycomb().await;
    let e = board::ensure(
        &api(&server, "ZZZZZZZZZZZZZZZZZZZZZZ"),
        &desired("Cruddur", DATASET),
        false,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, BoardError::Rejected { .. }), "{e:?}");
    assert!(e.is_auth());
}

#[tokio::test]
async fn an_unknown_dataset_is_not_found() {
    let (server, _fake) = honeycomb().await;
    let e = board::ensure(&api(&server, CONFIG), &desired("Cruddur", "nope"), false)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, BoardError::NotFound { what, .. } if what == "dataset nope"),
        "{e:?}"
    );
    assert!(!e.is_auth());
    assert!(e.help().unwrap().contains("--dataset"));
    assert!(writes(&server).await.is_empty());
}

async fn with_fault(
    method: &str,
    prefix: &str,
    status: u16,
    body: Value,
    retry_after: Option<&'static str>,
) -> Result<board::BoardReport, BoardError> {
    let (server, fake) = honeycomb().await;
    fake.0
        .lock()
        .unwrap()
        .faults
        .push((method.into(), prefix.into(), status, body, retry_after));
    board::ensure(&api(&server, CONFIG), &desired("Cruddur", DATASET), false).await
}

#[tokio::test]
async fn statuses_are_mapped() {
    let e = with_fault(
        "GET",
        "/1/auth",
        401,
        json!({"error": "unknown API key"}),
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, BoardError::Rejected { .. }), "{e:?}");

    // A 403 that echoes the key: the key is masked in what is shown.
    let e = with_fault(
        "POST",
        "/1/queries",
        403,
        json!({"error": format!("key {CONFIG} may not create queries")}),
        None,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, BoardError::Forbidden { what, .. } if what.starts_with("create a query")),
        "{e:?}"
    );
    assert!(e.is_auth());
    assert!(e.to_string().contains("may not create queries"));
    assert_error_clean(&e, CONFIG);

    let e = with_fault(
        "GET",
        "/1/query_annotations",
        404,
        json!({"error": "Dataset not found"}),
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, BoardError::NotFound { .. }), "{e:?}");

    let e = with_fault(
        "POST",
        "/1/boards",
        422,
        json!({"status": 422, "title": "Validation Failed", "type_detail": [
            {"code": "invalid", "field": "panels[0].position.width", "description": "must be at most 12"}]}),
        None,
    )
    .await
    .unwrap_err();
    match &e {
        BoardError::Invalid {
            status, message, ..
        } => {
            assert_eq!(*status, 422);
            assert_eq!(
                message,
                "Validation Failed (panels[0].position.width: must be at most 12)"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!e.is_auth());

    let e = with_fault(
        "GET",
        "/1/boards",
        429,
        json!({"error": "rate limited"}),
        Some("60"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            e,
            BoardError::Transport(TransportError::RateLimited {
                retry_after: Some(60),
                ..
            })
        ),
        "{e:?}"
    );

    let e = with_fault("GET", "/1/boards", 302, json!({}), None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            BoardError::Transport(TransportError::Redirect { status: 302, .. })
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn destroy_removes_our_board_and_annotations_only() {
    let (server, fake) = honeycomb().await;
    let api = api(&server, CONFIG);
    let want = desired("Cruddur", DATASET);
    board::ensure(&api, &want, false).await.unwrap();
    {
        let mut state = fake.0.lock().unwrap();
        state.boards.insert(
            "mine1".into(),
            json!({"id": "mine1", "name": "Cruddur", "description": "hand made", "panels": []}),
        );
        state.annotations.insert(
            "other".into(),
            json!({"id": "other", "name": "Cruddur: request latency by route", "description": "someone else's", "query_id": "q1"}),
        );
    }
    let report = board::destroy(&api, &want).await.unwrap();
    assert_eq!(report.board_deleted.as_deref(), Some("b9"));
    assert_eq!(report.annotations_deleted.len(), 4);
    assert_eq!(report.foreign_board.as_deref(), Some("mine1"));
    assert_shown_clean(&report, CONFIG);
    let state = fake.0.lock().unwrap();
    assert!(state.boards.contains_key("mine1"));
    assert_eq!(state.boards.len(), 1);
    assert_eq!(state.annotations.keys().collect::<Vec<_>>(), vec!["other"]);
}

#[tokio::test]
async fn a_query_that_vanished_is_made_again() {
    let (server, fake) = honeycomb().await;
    let api = api(&server, CONFIG);
    let want = desired("Cruddur", DATASET);
    board::ensure(&api, &want, false).await.unwrap();
    fake.0.lock().unwrap().queries.remove("q7");
    let report = board::ensure(&api, &want, false).await.unwrap();
    assert!(
        matches!(&report.plan.queries[3].action, QueryAction::Replace { why, .. } if why.contains("not found")),
        "{:?}",
        report.plan
    );
}

#[test]
fn the_plan_is_pure_and_serialisable() {
    let want = desired("Cruddur", DATASET);
    let plan = super::plan::plan(&want, &Default::default());
    assert_eq!(plan.outcome, BoardOutcome::Create);
    insta::assert_json_snapshot!("plan_from_empty", plan);
    insta::assert_json_snapshot!("desired_board", want);
}
