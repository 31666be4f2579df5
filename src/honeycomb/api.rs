//! The Honeycomb edge: `GET /1/auth` (or `/2/auth`), `POST /v1/traces`, through
//! the shared [`HttpClient`] (its rules on redirects, proxies, retries, 429 waits
//! and body size apply). The key travels in a header marked sensitive and
//! nowhere else.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;

use super::{join, key_kind, report_v1, report_v2, Endpoints, KeyKind, KeyReport, Region, SERVICE};
use crate::http::{HttpClient, Reply, TransportError};
use crate::secret::Secret;

/// Honeycomb failures, each with what the user can do about it.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum HoneycombError {
    /// Trouble on the way (see [`crate::http`]).
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("Honeycomb rejected the {key} in {regions} (401 Unauthorized)")]
    Rejected { key: String, regions: String },
    #[error("Honeycomb refused the {key} (403 Forbidden): {message}")]
    Forbidden { key: String, message: String },
    #[error("the {key} cannot send traces: it lacks the `events` permission")]
    CannotSend { key: String },
    #[error("Honeycomb refused the test span ({status}): {message}")]
    SpanRefused { status: u16, message: String },
}

impl HoneycombError {
    /// Rejected or unable to send: exit 4. The rest is trouble on the way: exit 1.
    pub(crate) fn is_auth(&self) -> bool {
        match self {
            HoneycombError::Transport(e) => e.is_auth(),
            HoneycombError::Rejected { .. }
            | HoneycombError::Forbidden { .. }
            | HoneycombError::CannotSend { .. }
            | HoneycombError::SpanRefused {
                status: 401 | 403, ..
            } => true,
            HoneycombError::SpanRefused { .. } => false,
        }
    }

    /// Plain http off loopback: exit 2.
    pub(crate) fn is_bad_input(&self) -> bool {
        matches!(self, HoneycombError::Transport(e) if e.is_bad_input())
    }

    pub(crate) fn help(&self) -> Option<String> {
        Some(match self {
            HoneycombError::Transport(e) => return e.help(),
            HoneycombError::Rejected { .. } => "check the key for typos and that it is from the right team; copy it again from Environment settings → API keys".into(),
            HoneycombError::Forbidden { .. } => "the key may be disabled: check it under Environment settings → API keys".into(),
            HoneycombError::CannotSend { .. } => "create an ingest key (or give this key the Send Events permission) under Environment settings → API keys".into(),
            HoneycombError::SpanRefused { .. } => "run `cruddur-obs honeycomb check` to see what the key may do".into(),
        })
    }
}

/// Honeycomb's `/1/auth` and `/v1/traces`, through the run's one [`HttpClient`].
#[derive(Clone)]
pub(crate) struct HoneycombApi {
    http: HttpClient,
}

impl HoneycombApi {
    pub(crate) fn new(http: HttpClient) -> HoneycombApi {
        HoneycombApi { http }
    }

    /// Bounds a whole operation: every try and every wait between.
    fn timeout(&self) -> Duration {
        self.http.operation_timeout()
    }

    fn timed_out(&self, url: String) -> HoneycombError {
        TransportError::Timeout {
            service: &SERVICE,
            url,
            secs: self.timeout().as_secs_f64(),
        }
        .into()
    }

    /// Sends one request (retried as [`HttpClient`] does); returns the status and
    /// the body text. `auth` is the header and its whole value.
    async fn send(
        &self,
        method: Method,
        url: Url,
        auth: (&'static str, &Secret),
        headers: HeaderMap,
        body: Option<String>,
    ) -> Result<(StatusCode, String), HoneycombError> {
        let reply = self
            .http
            .send_with_headers(&SERVICE, method, url, auth, headers, body)
            .await?;
        Ok((reply.status, reply.body))
    }

    /// Checks the key: `region` if given, else US then EU (a 401 moves on to the
    /// next region). The first region that accepts it wins.
    pub(crate) async fn check(
        &self,
        key: &Secret,
        region: Option<Region>,
        endpoints: &Endpoints,
    ) -> Result<KeyReport, HoneycombError> {
        // --timeout bounds the whole check: every try and every wait between.
        let first = super::regions_to_try(region, endpoints)
            .first()
            .copied()
            .unwrap_or(Region::Us);
        let base = match first {
            Region::Us => &endpoints.us,
            Region::Eu => &endpoints.eu,
        };
        let url = join(base, "1/auth").to_string();
        tokio::time::timeout(self.timeout(), self.check_within(key, region, endpoints))
            .await
            .unwrap_or_else(|_| Err(self.timed_out(url)))
    }

    async fn check_within(
        &self,
        key: &Secret,
        region: Option<Region>,
        endpoints: &Endpoints,
    ) -> Result<KeyReport, HoneycombError> {
        let kind = key_kind(key.expose());
        let mut rejected = Vec::new();
        for region in super::regions_to_try(region, endpoints) {
            let base = match region {
                Region::Us => &endpoints.us,
                Region::Eu => &endpoints.eu,
            };
            let bearer;
            let (url, auth) = if kind == KeyKind::Management {
                bearer = Secret::new(format!("Bearer {}", key.expose()));
                (join(base, "2/auth"), ("authorization", &bearer))
            } else {
                (join(base, "1/auth"), ("x-honeycomb-team", key))
            };
            let (status, text) = self
                .send(Method::GET, url.clone(), auth, HeaderMap::new(), None)
                .await?;
            match status {
                StatusCode::OK => {
                    let body: Value =
                        serde_json::from_str(&text).map_err(|e| TransportError::Unexpected {
                            service: &SERVICE,
                            url: url.to_string(),
                            status: None,
                            detail: format!("the body is not JSON: {e}"),
                        })?;
                    return Ok(if kind == KeyKind::Management {
                        report_v2(key, region, base, &body)
                    } else {
                        report_v1(key, region, base, &body)
                    });
                }
                StatusCode::UNAUTHORIZED => rejected.push(region.label()),
                StatusCode::FORBIDDEN => {
                    return Err(HoneycombError::Forbidden {
                        key: format!("{kind} {}", key.masked()),
                        message: error_message(&text),
                    })
                }
                _ => {
                    let reply = Reply { status, body: text };
                    return Err(reply.unexpected(&SERVICE, &url, key).into());
                }
            }
        }
        Err(HoneycombError::Rejected {
            key: format!("{kind} {}", key.masked()),
            regions: rejected.join(" and "),
        })
    }

    /// Posts an OTLP/HTTP JSON body to `{base}/v1/traces`.
    pub(crate) async fn send_traces(
        &self,
        base: &Url,
        key: &Secret,
        dataset: Option<&str>,
        body: &Value,
    ) -> Result<(), HoneycombError> {
        let url = join(base, "v1/traces").to_string();
        tokio::time::timeout(
            self.timeout(),
            self.send_traces_within(base, key, dataset, body),
        )
        .await
        .unwrap_or_else(|_| Err(self.timed_out(url)))
    }

    async fn send_traces_within(
        &self,
        base: &Url,
        key: &Secret,
        dataset: Option<&str>,
        body: &Value,
    ) -> Result<(), HoneycombError> {
        let url = join(base, "v1/traces");
        let mut headers = HeaderMap::new();
        if let Some(dataset) = dataset {
            let value = HeaderValue::from_str(dataset).map_err(|_| TransportError::Unexpected {
                service: &SERVICE,
                url: url.to_string(),
                status: None,
                detail: format!("dataset name {dataset:?} cannot be sent as a header"),
            })?;
            headers.insert("x-honeycomb-dataset", value);
        }
        let (status, text) = self
            .send(
                Method::POST,
                url,
                ("x-honeycomb-team", key),
                headers,
                Some(body.to_string()),
            )
            .await?;
        if status.is_success() {
            Ok(())
        } else {
            Err(HoneycombError::SpanRefused {
                status: status.as_u16(),
                message: error_message(&text),
            })
        }
    }
}

impl HoneycombApi {
    /// `GET /1/datasets/{slug}` with a configuration key: when the dataset was last
    /// written (RFC 3339), `Ok(None)` when there is no such dataset yet.
    pub(crate) async fn dataset_last_written(
        &self,
        base: &Url,
        key: &Secret,
        slug: &str,
    ) -> Result<Option<String>, HoneycombError> {
        let url = join(base, &format!("1/datasets/{slug}"));
        let (status, text) = self
            .send(
                Method::GET,
                url.clone(),
                ("x-honeycomb-team", key),
                HeaderMap::new(),
                None,
            )
            .await?;
        match status {
            StatusCode::NOT_FOUND => Ok(None),
            StatusCode::UNAUTHORIZED => Err(HoneycombError::Rejected {
                key: key.masked(),
                regions: base.host_str().unwrap_or_default().to_string(),
            }),
            StatusCode::FORBIDDEN => Err(HoneycombError::Forbidden {
                key: key.masked(),
                message: error_message(&text),
            }),
            s if s.is_success() => {
                let body: Value =
                    serde_json::from_str(&text).map_err(|_| TransportError::Unexpected {
                        service: &SERVICE,
                        url: url.to_string(),
                        status: Some(s.as_u16()),
                        detail: "the body is not JSON".into(),
                    })?;
                Ok(Some(
                    body["last_written_at"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                ))
            }
            other => Err(TransportError::Unexpected {
                service: &SERVICE,
                url: url.to_string(),
                status: Some(other.as_u16()),
                detail: crate::http::scrub_short(&error_message(&text), key, 200),
            }
            .into()),
        }
    }
}

/// The `error` field of a Honeycomb error body, else the body itself (shortened).
fn error_message(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| text.chars().take(200).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_headers_give_the_wait() {
        use crate::http::retry_after;
        use reqwest::header::RETRY_AFTER;
        let mut h = HeaderMap::new();
        h.insert(
            "ratelimit",
            HeaderValue::from_static("limit=10, remaining=0, reset=3"),
        );
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("1"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(1)));
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn transport_failures_keep_honeycombs_words() {
        let url = "https://api.honeycomb.io/1/auth".to_string();
        let e = HoneycombError::from(TransportError::Redirect {
            service: &SERVICE,
            url: url.clone(),
            status: 302,
            location: "https://elsewhere.example/1/auth".into(),
        });
        assert_eq!(
            e.to_string(),
            "unexpected answer from https://api.honeycomb.io/1/auth: HTTP 302 redirecting to \
             https://elsewhere.example/1/auth: not followed (Honeycomb's API does not redirect, \
             and the key would go along)"
        );
        let server = |retried| {
            HoneycombError::from(TransportError::Server {
                service: &SERVICE,
                url: url.clone(),
                status: 500,
                retried,
            })
        };
        assert_eq!(
            server(true).to_string(),
            format!("{url} answered 500 after retries")
        );
        let post = server(false);
        assert_eq!(post.to_string(), format!("{url} answered 500"));
        assert!(!post.is_auth() && !post.is_bad_input());
        assert_eq!(
            post.help().as_deref(),
            Some("Honeycomb seems to have trouble: see https://status.honeycomb.io and run again later")
        );
        let insecure = HoneycombError::from(TransportError::Insecure {
            service: &SERVICE,
            url: "http://api.honeycomb.io/1/auth".into(),
        });
        assert!(insecure.is_bad_input());
        assert_eq!(
            insecure.to_string(),
            "refusing to send the Honeycomb key over plain http to http://api.honeycomb.io/1/auth"
        );
    }

    #[test]
    fn error_messages_come_from_the_body() {
        assert_eq!(
            error_message(r#"{"error":"unknown API key"}"#),
            "unknown API key"
        );
        assert_eq!(error_message("plain"), "plain");
    }
}
