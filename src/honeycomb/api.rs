//! The Honeycomb edge: `GET /1/auth` (or `/2/auth`), `POST /v1/traces`, with
//! retries on 5xx and connection errors, and on 429 after the time the server
//! asks for. The key travels in a header marked sensitive and nowhere else.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use serde_json::Value;

use super::{join, key_kind, report_v1, report_v2, Endpoints, KeyKind, KeyReport, Region};
use crate::secret::Secret;

/// The longest wait a 429 may ask for before we give up instead.
const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(10);

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
    #[error("{url} answered {status} after retries")]
    Server { url: String, status: u16 },
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

/// A wait in words: "45 s", "12 min", "about 28 h".
fn human_wait(secs: u64) -> String {
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", secs.div_ceil(60)),
        _ => format!("about {} h", secs.div_ceil(3600)),
    }
}

/// One attempt's failure: what it was, whether to try again, and when.
#[derive(Debug)]
struct Attempt {
    error: HoneycombError,
    retry: bool,
    after: Option<Duration>,
}

#[derive(Clone)]
pub(crate) struct HoneycombApi {
    /// For https: follows no redirect (the key header would go with it).
    client: reqwest::Client,
    /// For plain http, which is allowed to loopback only: a direct connection,
    /// never through a proxy (the key would cross the network in clear text).
    direct: reqwest::Client,
    timeout: Duration,
}

/// The largest answer read from Honeycomb's API (its replies are a few KB).
pub(crate) const BODY_LIMIT: usize = 256 * 1024;

impl HoneycombApi {
    pub(crate) fn new(timeout: Duration) -> HoneycombApi {
        let builder = || {
            reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(timeout.min(Duration::from_secs(5)))
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("cruddur-obs/", env!("CARGO_PKG_VERSION")))
        };
        #[allow(clippy::expect_used)]
        let client = builder().build().expect("the TLS backend initialises");
        #[allow(clippy::expect_used)]
        let direct = builder()
            .no_proxy()
            .build()
            .expect("the TLS backend initialises");
        HoneycombApi {
            client,
            direct,
            timeout,
        }
    }

    /// Sends one request with retries; returns the status and the body text.
    async fn send(
        &self,
        method: reqwest::Method,
        url: Url,
        headers: HeaderMap,
        body: Option<String>,
    ) -> Result<(StatusCode, String), HoneycombError> {
        let attempt = || async {
            let client = if url.scheme() == "http" {
                &self.direct
            } else {
                &self.client
            };
            let mut request = client
                .request(method.clone(), url.clone())
                .headers(headers.clone());
            if let Some(body) = &body {
                request = request.body(body.clone());
            }
            let response = request
                .send()
                .await
                .map_err(|e| self.transport(&url, &method, e))?;
            let status = response.status();
            if status == StatusCode::TOO_MANY_REQUESTS {
                let after = retry_after(response.headers());
                return Err(Attempt {
                    error: HoneycombError::RateLimited {
                        url: url.to_string(),
                        retry_after: after.map(|d| d.as_secs()),
                    },
                    retry: after.is_none_or(|d| d <= MAX_RATE_LIMIT_WAIT),
                    after,
                });
            }
            if status.is_server_error() {
                return Err(Attempt {
                    error: HoneycombError::Server {
                        url: url.to_string(),
                        status: status.as_u16(),
                    },
                    retry: true,
                    after: None,
                });
            }
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("nowhere")
                    .chars()
                    .take(200)
                    .collect::<String>();
                return Err(Attempt {
                    error: HoneycombError::Unexpected {
                        url: url.to_string(),
                        reason: format!(
                            "HTTP {} redirecting to {location}: not followed (Honeycomb's API does not redirect, and the key would go along)",
                            status.as_u16()
                        ),
                    },
                    retry: false,
                    after: None,
                });
            }
            let mut response = response;
            let mut bytes: Vec<u8> = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| self.transport(&url, &method, e))?
            {
                if bytes.len() + chunk.len() > BODY_LIMIT {
                    return Err(Attempt {
                        error: HoneycombError::Unexpected {
                            url: url.to_string(),
                            reason: format!("the answer is larger than {} KiB", BODY_LIMIT / 1024),
                        },
                        retry: false,
                        after: None,
                    });
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
        };
        attempt
            .retry(
                ExponentialBuilder::default()
                    .with_min_delay(Duration::from_millis(200))
                    .with_max_delay(Duration::from_secs(2))
                    .with_max_times(2)
                    .with_jitter(),
            )
            .when(|a: &Attempt| a.retry)
            .adjust(|a: &Attempt, planned| planned.map(|d| a.after.unwrap_or(d)))
            .notify(|a: &Attempt, wait| tracing::debug!("retrying in {wait:?}: {}", a.error))
            .await
            .map_err(|a| a.error)
    }

    /// A failure on the way. A lost connection is tried again only for a GET: a
    /// repeated POST could send the span twice.
    fn transport(&self, url: &Url, method: &reqwest::Method, e: reqwest::Error) -> Attempt {
        if e.is_timeout() {
            Attempt {
                error: HoneycombError::Timeout {
                    url: url.to_string(),
                    secs: self.timeout.as_secs_f64(),
                },
                retry: false,
                after: None,
            }
        } else if e.is_connect() {
            Attempt {
                error: HoneycombError::Connect {
                    url: url.to_string(),
                    reason: crate::cause::innermost_cause(&e),
                },
                retry: true,
                after: None,
            }
        } else if e.is_request() || e.is_body() {
            let retry = method == reqwest::Method::GET;
            Attempt {
                error: HoneycombError::Lost {
                    url: url.to_string(),
                    reason: crate::cause::innermost_cause(&e),
                    retried: retry,
                },
                retry,
                after: None,
            }
        } else {
            Attempt {
                error: HoneycombError::Unexpected {
                    url: url.to_string(),
                    reason: crate::cause::innermost_cause(&e),
                },
                retry: false,
                after: None,
            }
        }
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
            let (url, headers) = if kind == KeyKind::Management {
                let mut h = HeaderMap::new();
                h.insert(
                    AUTHORIZATION,
                    sensitive(&format!("Bearer {}", key.expose()))?,
                );
                (join(base, "2/auth"), h)
            } else {
                (join(base, "1/auth"), team_header(key)?)
            };
            let (status, text) = self
                .send(reqwest::Method::GET, url.clone(), headers, None)
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
        let mut headers = team_header(key)?;
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(dataset) = dataset {
            let value = HeaderValue::from_str(dataset).map_err(|_| HoneycombError::Unexpected {
                url: url.to_string(),
                reason: format!("dataset name {dataset:?} cannot be sent as a header"),
            })?;
            headers.insert("x-honeycomb-dataset", value);
        }
        let (status, text) = self
            .send(reqwest::Method::POST, url, headers, Some(body.to_string()))
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

fn sensitive(value: &str) -> Result<HeaderValue, HoneycombError> {
    let mut v = HeaderValue::from_str(value).map_err(|_| HoneycombError::Unexpected {
        url: String::new(),
        reason: "the key contains characters that cannot be sent in a header".into(),
    })?;
    v.set_sensitive(true);
    Ok(v)
}

fn team_header(key: &Secret) -> Result<HeaderMap, HoneycombError> {
    let mut h = HeaderMap::new();
    h.insert("x-honeycomb-team", sensitive(key.expose())?);
    Ok(h)
}

/// How long a 429 asks us to wait: `Retry-After` seconds, else `RateLimit-Reset`,
/// else the `reset=` of a `RateLimit` header.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds = |v: &str| v.trim().parse::<u64>().ok();
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    header(RETRY_AFTER.as_str())
        .and_then(seconds)
        .or_else(|| header("ratelimit-reset").and_then(seconds))
        .or_else(|| {
            header("ratelimit").and_then(|v| {
                v.split([',', ';'])
                    .find_map(|part| {
                        part.trim()
                            .strip_prefix("reset=")
                            .or(part.trim().strip_prefix("t="))
                    })
                    .and_then(seconds)
            })
        })
        .map(Duration::from_secs)
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
    fn error_messages_come_from_the_body() {
        assert_eq!(
            error_message(r#"{"error":"unknown API key"}"#),
            "unknown API key"
        );
        assert_eq!(error_message("plain"), "plain");
    }
}
