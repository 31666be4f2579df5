//! `check` and `send_test_item` against a Rollbar stand-in that answers as the
//! documented API does (see the module docs), and against servers that misbehave.

use std::fmt::Debug;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::http::{HttpClient, TransportError};
use crate::rollbar::{self, RollbarError};
use crate::secret::Secret;
use reqwest::Url;
use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[path = "../tests/support/rollbar_stand_in.rs"]
mod stand_in;
use stand_in::*;

/// A token the stand-in does not know.
const INVALID: &str = "deadbeefdeadbeefdeadbeefdeadbeef";

fn client() -> HttpClient {
    HttpClient::new(Duration::from_secs(5), Duration::from_secs(20)).unwrap()
}

fn assert_result_clean<T: Serialize + Debug + std::fmt::Display>(r: &T, token: &str) {
    assert_clean(&format!("{r}"), token);
    assert_clean(&format!("{r:?}"), token);
    assert_clean(&serde_json::to_string(r).unwrap(), token);
}

fn assert_error_clean(e: &RollbarError, token: &str) {
    assert_clean(&e.to_string(), token);
    assert_clean(&format!("{e:?}"), token);
    assert_clean(&e.help().unwrap_or_default(), token);
}

#[tokio::test]
async fn a_read_and_post_token_is_valid_with_read() {
    let (server, base) = rollbar().await;
    let report = rollbar::check(&client(), &base, &Secret::new(READ_POST))
        .await
        .unwrap();
    assert!(report.valid);
    assert_eq!(report.scopes, vec!["read"]);
    assert_eq!(report.can_post_server_items, None);
    assert_eq!(report.project.as_deref(), Some("42"));
    assert!(report
        .to_string()
        .contains("not verifiable without sending"));
    assert_result_clean(&report, READ_POST);
    // One GET, nothing posted.
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method.as_str(), "GET");
    assert!(requests[0].url.query().is_none(), "no token in the URL");
}

#[tokio::test]
async fn a_post_only_token_is_valid_and_its_scopes_come_from_the_403() {
    let (server, base) = rollbar().await;
    let report = rollbar::check(&client(), &base, &Secret::new(POST_ONLY))
        .await
        .unwrap();
    assert!(report.valid);
    assert_eq!(report.scopes, vec!["post_server_item", "post_client_item"]);
    assert_eq!(report.can_post_server_items, Some(true));
    assert_result_clean(&report, POST_ONLY);
    assert!(server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .all(|r| r.method.as_str() == "GET"));
}

#[tokio::test]
async fn a_client_only_token_cannot_post_server_items() {
    let (_server, base) = rollbar().await;
    let report = rollbar::check(&client(), &base, &Secret::new(CLIENT_ONLY))
        .await
        .unwrap();
    assert_eq!(report.can_post_server_items, Some(false));
    assert!(report
        .to_string()
        .contains("no (the backend needs post_server_item)"));
}

#[tokio::test]
async fn an_invalid_token_is_rejected_and_its_echo_is_masked() {
    let (_server, base) = rollbar().await;
    let e = rollbar::check(&client(), &base, &Secret::new(INVALID))
        .await
        .unwrap_err();
    assert!(matches!(e, RollbarError::Rejected { .. }), "{e:?}");
    assert!(e.is_auth());
    assert!(
        e.to_string().contains("access token not found: …beef"),
        "{e}"
    );
    assert_error_clean(&e, INVALID);
}

#[tokio::test]
async fn a_test_item_is_sent_with_the_token_in_the_header_only() {
    let (server, base) = rollbar().await;
    let report = rollbar::send_test_item(&client(), &base, &Secret::new(POST_ONLY), "development")
        .await
        .unwrap();
    assert_eq!(report.environment, "development");
    assert_eq!(
        report.link,
        format!("https://rollbar.com/occurrence/uuid/?uuid={}", report.uuid)
    );
    // A version-4 UUID: 8-4-4-4-12 hex digits, version nibble 4, variant 8/9/a/b.
    let parts: Vec<&str> = report.uuid.split('-').collect();
    assert_eq!(
        parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12],
        "{}",
        report.uuid
    );
    assert!(report
        .uuid
        .chars()
        .all(|c| c == '-' || c.is_ascii_hexdigit()));
    assert!(
        parts[2].starts_with('4') && "89ab".contains(&parts[3][..1]),
        "{}",
        report.uuid
    );
    assert_result_clean(&report, POST_ONLY);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let sent = String::from_utf8_lossy(&requests[0].body).to_string();
    assert!(!sent.contains(POST_ONLY), "the token is not in the body");
    let body: Value = serde_json::from_str(&sent).unwrap();
    assert_eq!(body["data"]["uuid"], report.uuid.as_str());
    assert_eq!(body["data"]["notifier"]["name"], "cruddur-obs");
    assert_eq!(
        requests[0].headers.get("content-type").unwrap(),
        "application/json"
    );
}

#[tokio::test]
async fn a_read_only_token_lacks_post_server_item() {
    let (_server, base) = rollbar().await;
    let e = rollbar::send_test_item(&client(), &base, &Secret::new(READ_ONLY), "development")
        .await
        .unwrap_err();
    match &e {
        RollbarError::LacksScope { scope, has, .. } => {
            assert_eq!(scope, "post_server_item");
            assert_eq!(has, &vec!["read".to_string()]);
        }
        other => panic!("{other:?}"),
    }
    assert!(e.is_auth());
    assert!(e.help().unwrap().contains("post_server_item"));
    assert_error_clean(&e, READ_ONLY);
}

#[tokio::test]
async fn an_invalid_token_cannot_send() {
    let (_server, base) = rollbar().await;
    let e = rollbar::send_test_item(&client(), &base, &Secret::new(INVALID), "development")
        .await
        .unwrap_err();
    assert!(matches!(e, RollbarError::Rejected { .. }));
    assert_error_clean(&e, INVALID);
}

#[tokio::test]
async fn a_long_rate_limit_is_reported_not_waited_out() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(err(429, "rate limit reached").insert_header("Retry-After", "60"))
        .mount(&server)
        .await;
    let base = Url::parse(&server.uri()).unwrap();
    let e = rollbar::check(&client(), &base, &Secret::new(READ_POST))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            RollbarError::Transport(TransportError::RateLimited {
                retry_after: Some(60),
                ..
            })
        ),
        "{e:?}"
    );
    assert!(!e.is_auth());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_short_rate_limit_is_waited_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(err(429, "slow down").insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(Rollbar)
        .mount(&server)
        .await;
    let base = Url::parse(&server.uri()).unwrap();
    let report = rollbar::check(&client(), &base, &Secret::new(READ_POST))
        .await
        .unwrap();
    assert_eq!(report.scopes, vec!["read"]);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_names_the_location() {
    let other = MockServer::start().await;
    Mock::given(any()).respond_with(Rollbar).mount(&other).await;
    let server = MockServer::start().await;
    // Rollbar's own redirects carry the token in the query (`item_by_counter`).
    let location = format!("{}/api/1/items/?access_token={READ_POST}", other.uri());
    Mock::given(path("/api/1/items/"))
        .respond_with(ResponseTemplate::new(301).insert_header("Location", location.as_str()))
        .mount(&server)
        .await;
    let base = Url::parse(&server.uri()).unwrap();
    let e = rollbar::check(&client(), &base, &Secret::new(READ_POST))
        .await
        .unwrap_err();
    match &e {
        RollbarError::Transport(TransportError::Redirect {
            status, location, ..
        }) => {
            assert_eq!(*status, 301);
            assert!(
                location.contains(&format!("{}/api/1/items/", other.uri())),
                "{location}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string()
            .contains("not followed (the token would go along)"),
        "{e}"
    );
    assert_error_clean(&e, READ_POST);
    assert!(other.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_oversized_body_is_cut_off() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(300 * 1024)))
        .mount(&server)
        .await;
    let base = Url::parse(&server.uri()).unwrap();
    let e = rollbar::check(&client(), &base, &Secret::new(READ_POST))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, RollbarError::Transport(TransportError::TooLarge { .. })),
        "{e:?}"
    );
    assert!(e.to_string().contains("larger than 256 KiB"), "{e:?}");
}

/// A server that answers every request with a chunked body that never ends.
async fn endless_server() -> (Url, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("{:x}\r\n{}\r\n", 8192, "y".repeat(8192));
                while socket.write_all(chunk.as_bytes()).await.is_ok() {}
            });
        }
    });
    (Url::parse(&format!("http://{addr}")).unwrap(), count)
}

#[tokio::test]
async fn an_endless_body_is_cut_off() {
    let (base, _) = endless_server().await;
    let started = Instant::now();
    let e = rollbar::check(&client(), &base, &Secret::new(READ_POST))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, RollbarError::Transport(TransportError::TooLarge { .. })),
        "{e:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A server that reads each request and closes the connection without answering.
async fn hang_up_server() -> (Url, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 8192];
            let _ = socket.read(&mut buf).await;
            drop(socket);
        }
    });
    (Url::parse(&format!("http://{addr}")).unwrap(), count)
}

#[tokio::test]
async fn a_post_cut_off_is_not_sent_again() {
    let (base, count) = hang_up_server().await;
    let e = rollbar::send_test_item(&client(), &base, &Secret::new(READ_POST), "development")
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            RollbarError::Transport(TransportError::Lost { retried: false, .. })
        ),
        "{e:?}"
    );
    assert!(e.help().unwrap().contains("may or may not have arrived"));
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_get_cut_off_is_tried_again() {
    let (base, count) = hang_up_server().await;
    let e = rollbar::check(&client(), &base, &Secret::new(READ_POST))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            RollbarError::Transport(TransportError::Lost { retried: true, .. })
        ),
        "{e:?}"
    );
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let base = Url::parse(&server.uri()).unwrap();
    let quick = HttpClient::new(Duration::from_millis(300), Duration::from_secs(5)).unwrap();
    let e = rollbar::check(&quick, &base, &Secret::new(READ_POST))
        .await
        .unwrap_err();
    assert!(
        matches!(e, RollbarError::Transport(TransportError::Timeout { .. })),
        "{e:?}"
    );
}

#[tokio::test]
async fn the_operation_has_an_overall_deadline() {
    let (base, _) = hang_up_server().await;
    // Each attempt fails fast, but the operation budget is smaller than the retries' waits.
    let tight = HttpClient::new(Duration::from_secs(5), Duration::from_millis(1)).unwrap();
    let e = rollbar::check(&tight, &base, &Secret::new(READ_POST))
        .await
        .unwrap_err();
    assert!(
        matches!(e, RollbarError::Transport(TransportError::Timeout { .. })),
        "{e:?}"
    );
}

#[tokio::test]
async fn plain_http_is_refused_off_loopback() {
    let base = Url::parse("http://api.rollbar.com").unwrap();
    let e = rollbar::check(&client(), &base, &Secret::new(READ_POST))
        .await
        .unwrap_err();
    assert!(
        matches!(e, RollbarError::Transport(TransportError::Insecure { .. })),
        "{e:?}"
    );
    assert!(e.is_bad_input());
    assert!(e.help().unwrap().contains("loopback"));
}

#[tokio::test]
async fn an_unexpected_status_shows_the_masked_body() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(418)
                .set_body_string(format!("teapot says {READ_POST} and {}", &READ_POST[4..14])),
        )
        .mount(&server)
        .await;
    let base = Url::parse(&server.uri()).unwrap();
    let e = rollbar::check(&client(), &base, &Secret::new(READ_POST))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            RollbarError::Transport(TransportError::Unexpected {
                status: Some(418),
                ..
            })
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("teapot says"));
    assert_error_clean(&e, READ_POST);
}
