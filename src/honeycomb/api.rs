//! The Honeycomb edge: `GET /1/auth` (or `/2/auth`), `POST /v1/traces`, through
//! the shared [`HttpClient`] (its rules on redirects, proxies, retries, 429 waits
//! and body size apply). The key travels in a header marked sensitive and
//! nowhere else.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;

use super::{join, key_kind, report_v1, report_v2, Endpoints, KeyKind, KeyReport, Region};
use crate::http::{Failure, HttpClient};
use crate::secret::Secret;

/// Honeycomb failures, each with what the user can do about it.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum HoneycombError {
    #[error("no answer from {url} within {secs}s")]
    Timeout { url: String, secs: f64 },
    #[error("cannot connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("the connection to {url} was lost{}: {reason}", if *retried { " on every try" } else { "" })]
    Lost {
        url: String,
        reason: String,
        /// Whether it was tried again (a request that changes nothing).
        retried: bool,
    },
    #[error("{url} is rate limiting (429){}", retry_after.map(|s| format!(", retry after {s}s")).unwrap_or_default())]
    RateLimited {
        url: String,
        retry_after: Option<u64>,
    },
    #[error("{url} answered {status}{}", if *retried { " after retries" } else { "" })]
    Server {
        url: String,
        status: u16,
        retried: bool,
    },
    #[error("unexpected answer from {url}: {reason}")]
    Unexpected { url: String, reason: String },
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
        matches!(
            self,
            HoneycombError::Rejected { .. }
                | HoneycombError::Forbidden { .. }
                | HoneycombError::CannotSend { .. }
                | HoneycombError::SpanRefused {
                    status: 401 | 403,
                    ..
                }
        )
    }

    pub(crate) fn help(&self) -> Option<String> {
        Some(match self {
            HoneycombError::Timeout { .. } => "check the network or --api-endpoint, or raise --timeout".into(),
            HoneycombError::Connect { .. } => "check the network, DNS and --api-endpoint / HONEYCOMB_API_ENDPOINT".into(),
            HoneycombError::Lost { retried: true, .. } => "something on the way (a proxy, VPN or firewall) cuts the connections: check the network and run again".into(),
            HoneycombError::Lost { retried: false, .. } => "it may or may not have arrived (a send is not repeated on its own): check the network and run again".into(),
            HoneycombError::RateLimited {
                retry_after: Some(s),
                ..
            } => format!("Honeycomb asks to wait {}: run again after that", human_wait(*s)),
            HoneycombError::RateLimited { .. } => "wait a minute and run again".into(),
            HoneycombError::Server { .. } => "Honeycomb seems to have trouble: see https://status.honeycomb.io and run again later".into(),
            HoneycombError::Unexpected { .. } => "is --api-endpoint really Honeycomb? run again with -v".into(),
            HoneycombError::Rejected { .. } => "check the key for typos and that it is from the right team; copy it again from Environment settings → API keys".into(),
            HoneycombError::Forbidden { .. } => "the key may be disabled: check it under Environment settings → API keys".into(),
            HoneycombError::CannotSend { .. } => "create an ingest key (or give this key the Send Events permission) under Environment settings → API keys".into(),
            HoneycombError::SpanRefused { .. } => "run `cruddur-obs honeycomb check` to see what the key may do".into(),
        })
    }
}

impl HoneycombError {
    /// A failure on the way (see [`crate::http`]), in Honeycomb's terms.
    fn from_failure(f: Failure) -> HoneycombError {
        match f {
            Failure::Timeout { url, secs } => HoneycombError::Timeout { url, secs },
            Failure::Connect { url, cause } => HoneycombError::Connect { url, reason: cause },
            Failure::Lost {
                url,
                cause,
                retried,
            } => HoneycombError::Lost {
                url,
                reason: cause,
                retried,
            },
            Failure::RateLimited { url, retry_after } => {
                HoneycombError::RateLimited { url, retry_after }
            }
            Failure::Server {
                url,
                status,
                retried,
            } => HoneycombError::Server {
                url,
                status,
                retried,
            },
            Failure::Redirect {
                url,
                status,
                location,
            } => HoneycombError::Unexpected {
                url,
                reason: format!(
                    "HTTP {status} redirecting to {}: not followed (Honeycomb's API does not redirect, and the key would go along)",
                    location.chars().take(200).collect::<String>()
                ),
            },
            Failure::TooLarge { url } => HoneycombError::Unexpected {
                url,
                reason: format!(
                    "the answer is larger than {} KiB",
                    crate::http::BODY_LIMIT / 1024
                ),
            },
            Failure::Insecure { url } => HoneycombError::Unexpected {
                url,
                reason: "plain http goes to a loopback address only (the key would cross the network in clear text)".into(),
            },
            Failure::BadSecret => HoneycombError::Unexpected {
                url: String::new(),
                reason: "the key contains characters that cannot be sent in a header".into(),
            },
        }
    }
}

/// A wait in words: "45 s", "12 min", "about 28 h".
fn human_wait(secs: u64) -> String {
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", secs.div_ceil(60)),
        _ => format!("about {} h", secs.div_ceil(3600)),
    }
}

#[derive(Clone)]
pub(crate) struct HoneycombApi {
    http: HttpClient,
    timeout: Duration,
}

impl HoneycombApi {
    pub(crate) fn new(timeout: Duration) -> HoneycombApi {
        #[allow(clippy::expect_used)]
        let http = HttpClient::new(timeout, timeout).expect("the TLS backend initialises");
        HoneycombApi { http, timeout }
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
        self.http
            .send_with_headers(method, url, auth, headers, body)
            .await
            .map(|reply| (reply.status, reply.body))
            .map_err(HoneycombError::from_failure)
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
        let secs = self.timeout.as_secs_f64();
        tokio::time::timeout(self.timeout, self.check_within(key, region, endpoints))
            .await
            .unwrap_or(Err(HoneycombError::Timeout { url, secs }))
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
                        serde_json::from_str(&text).map_err(|e| HoneycombError::Unexpected {
                            url: url.to_string(),
                            reason: format!("the body is not JSON: {e}"),
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
                other => {
                    return Err(HoneycombError::Unexpected {
                        url: url.to_string(),
                        reason: format!("status {other}"),
                    })
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
        let secs = self.timeout.as_secs_f64();
        tokio::time::timeout(
            self.timeout,
            self.send_traces_within(base, key, dataset, body),
        )
        .await
        .unwrap_or(Err(HoneycombError::Timeout { url, secs }))
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
            let value = HeaderValue::from_str(dataset).map_err(|_| HoneycombError::Unexpected {
                url: url.to_string(),
                reason: format!("dataset name {dataset:?} cannot be sent as a header"),
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
        let e = HoneycombError::from_failure(Failure::Redirect {
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
        let get = HoneycombError::from_failure(Failure::Server {
            url: url.clone(),
            status: 500,
            retried: true,
        });
        assert_eq!(get.to_string(), format!("{url} answered 500 after retries"));
        let post = HoneycombError::from_failure(Failure::Server {
            url: url.clone(),
            status: 500,
            retried: false,
        });
        assert_eq!(post.to_string(), format!("{url} answered 500"));
        assert!(!post.is_auth() && post.help().is_some());
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
