//! The HTTP edge shared by the hosted services' modules ([`crate::honeycomb::api`],
//! [`crate::honeycomb::board`], [`crate::rollbar`]).
//!
//! Rules:
//! - redirects are never followed (`redirect::Policy::none()`): a 3xx is reported,
//!   naming its `Location` (masked: Rollbar's redirects can carry `?access_token=`);
//! - reply bodies are read with `chunk()` and cut off at [`BODY_LIMIT`];
//! - plain `http://` only to a loopback host, and then through a client built with
//!   `.no_proxy()` (a proxy must never see the secret); `https://` otherwise;
//! - the secret goes into its one header, marked sensitive, and nowhere else;
//! - GET/PUT/DELETE are tried again on lost connections and 5xx; a POST only when
//!   the connection was never made (it could otherwise arrive twice). A 429 is
//!   waited out when it asks for at most [`MAX_RATE_LIMIT_WAIT`] and the wait ends
//!   before the operation's timeout.
//!
//! [`Reply`] holds the raw body and stays inside the crate: whatever is shown from
//! it goes through [`scrub`] first.
//!
//! Whatever goes wrong on the way is a [`TransportError`], one type for every
//! service, naming the [`Service`] it was talking to in its messages and help.

use std::net::IpAddr;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};

use crate::cause::innermost_cause;
use crate::secret::Secret;

/// The most of a reply body we read.
pub(crate) const BODY_LIMIT: usize = 256 * 1024;

/// The longest wait a 429 may ask for before we give up instead.
pub(crate) const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(10);

/// The HTTP client: one for https (system proxies apply), one without any proxy
/// for plain http to loopback.
#[derive(Clone, Debug)]
pub(crate) struct HttpClient {
    proxied: reqwest::Client,
    direct: reqwest::Client,
    request_timeout: Duration,
    operation_timeout: Duration,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot set up the HTTP client: {0}")]
pub(crate) struct ClientInitError(String);

impl HttpClient {
    /// `request_timeout` bounds each request; `operation_timeout` bounds a whole
    /// operation (every request and retry of one `check`, `ensure`, …).
    pub(crate) fn new(
        request_timeout: Duration,
        operation_timeout: Duration,
    ) -> Result<HttpClient, ClientInitError> {
        let builder = || {
            reqwest::Client::builder()
                .timeout(request_timeout)
                .connect_timeout(request_timeout.min(Duration::from_secs(5)))
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("cruddur-obs/", env!("CARGO_PKG_VERSION")))
        };
        let proxied = builder()
            .build()
            .map_err(|e| ClientInitError(innermost_cause(&e)))?;
        let direct = builder()
            .no_proxy()
            .build()
            .map_err(|e| ClientInitError(innermost_cause(&e)))?;
        Ok(HttpClient {
            proxied,
            direct,
            request_timeout,
            operation_timeout,
        })
    }

    pub(crate) fn operation_timeout(&self) -> Duration {
        self.operation_timeout
    }

    /// The client for a request that carries no secret (`verify --app`'s request
    /// to the app): without proxy to loopback, with the system's proxies otherwise.
    pub(crate) fn without_secret(&self, url: &Url) -> &reqwest::Client {
        if is_loopback(url) {
            &self.direct
        } else {
            &self.proxied
        }
    }

    /// Picks the client for `url`: https → the normal one; http to loopback → the
    /// one without proxy; anything else is refused before a byte is sent.
    fn client_for(
        &self,
        service: &'static Service,
        url: &Url,
    ) -> Result<&reqwest::Client, TransportError> {
        match url.scheme() {
            "https" => Ok(&self.proxied),
            "http" if is_loopback(url) => Ok(&self.direct),
            _ => Err(TransportError::Insecure {
                service,
                url: url.to_string(),
            }),
        }
    }

    /// Sends one request (with the retries described in the module docs) and
    /// reads the body, capped. 429, 5xx and 3xx come back as [`TransportError`]s
    /// naming `service`.
    pub(crate) async fn send(
        &self,
        service: &'static Service,
        method: Method,
        url: Url,
        auth: (&'static str, &Secret),
        json_body: Option<String>,
    ) -> Result<Reply, TransportError> {
        self.send_with_headers(service, method, url, auth, HeaderMap::new(), json_body)
            .await
    }

    /// [`HttpClient::send`] with more (non-secret) headers.
    pub(crate) async fn send_with_headers(
        &self,
        service: &'static Service,
        method: Method,
        url: Url,
        auth: (&'static str, &Secret),
        mut headers: HeaderMap,
        json_body: Option<String>,
    ) -> Result<Reply, TransportError> {
        let client = self.client_for(service, &url)?;
        let mut value = HeaderValue::from_str(auth.1.expose())
            .map_err(|_| TransportError::BadSecret { service })?;
        value.set_sensitive(true);
        headers.insert(HeaderName::from_static(auth.0), value);
        if json_body.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        let idempotent = method != Method::POST && method != Method::PATCH;
        let secret = auth.1;
        let deadline = std::time::Instant::now() + self.operation_timeout;
        let attempt = || async {
            let mut request = client
                .request(method.clone(), url.clone())
                .headers(headers.clone());
            if let Some(body) = &json_body {
                request = request.body(body.clone());
            }
            let mut response = request
                .send()
                .await
                .map_err(|e| self.transport(service, &url, idempotent, e))?;
            let status = response.status();
            if status == StatusCode::TOO_MANY_REQUESTS {
                let after = retry_after(response.headers());
                return Err(Attempt {
                    failure: TransportError::RateLimited {
                        service,
                        url: url.to_string(),
                        retry_after: after.map(|d| d.as_secs()),
                    },
                    // Waited out only when the wait ends before the operation's
                    // time is up: otherwise the answer is the rate limit, not a timeout.
                    retry: after.is_none_or(|d| {
                        d <= MAX_RATE_LIMIT_WAIT && std::time::Instant::now() + d < deadline
                    }),
                    after,
                });
            }
            if status.is_server_error() {
                return Err(Attempt {
                    failure: TransportError::Server {
                        service,
                        url: url.to_string(),
                        status: status.as_u16(),
                        retried: idempotent,
                    },
                    retry: idempotent,
                    after: None,
                });
            }
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(LOCATION)
                    .map(|v| scrub(&String::from_utf8_lossy(v.as_bytes()), secret))
                    .unwrap_or_else(|| "(no Location header)".into());
                return Err(Attempt {
                    failure: TransportError::Redirect {
                        service,
                        url: url.to_string(),
                        status: status.as_u16(),
                        location,
                    },
                    retry: false,
                    after: None,
                });
            }
            let body = read_capped(service, &mut response, &url)
                .await
                .map_err(|f| match f {
                    TransportError::Lost { url, cause, .. } => Attempt {
                        failure: TransportError::Lost {
                            service,
                            url,
                            cause,
                            retried: idempotent,
                        },
                        retry: idempotent,
                        after: None,
                    },
                    other => Attempt {
                        failure: other,
                        retry: false,
                        after: None,
                    },
                })?;
            Ok(Reply { status, body })
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
            .notify(|a: &Attempt, wait| tracing::debug!("retrying in {wait:?}: {:?}", a.failure))
            .await
            .map_err(|a| a.failure)
    }

    fn transport(
        &self,
        service: &'static Service,
        url: &Url,
        idempotent: bool,
        e: reqwest::Error,
    ) -> Attempt {
        if e.is_timeout() {
            Attempt {
                failure: TransportError::Timeout {
                    service,
                    url: url.to_string(),
                    secs: self.request_timeout.as_secs_f64(),
                },
                retry: false,
                after: None,
            }
        } else if e.is_connect() {
            // Never connected: nothing was sent, so even a POST may be tried again.
            Attempt {
                failure: TransportError::Connect {
                    service,
                    url: url.to_string(),
                    cause: innermost_cause(&e),
                },
                retry: true,
                after: None,
            }
        } else {
            Attempt {
                failure: TransportError::Lost {
                    service,
                    url: url.to_string(),
                    cause: innermost_cause(&e),
                    retried: idempotent,
                },
                retry: idempotent,
                after: None,
            }
        }
    }
}

/// One attempt's failure: what it was, whether to try again, and when.
#[derive(Debug)]
struct Attempt {
    failure: TransportError,
    retry: bool,
    after: Option<Duration>,
}

/// A reply with a non-3xx/429/5xx status. The body is raw: scrub before showing.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: String,
}

impl Reply {
    /// This reply as an answer `service` does not give: its status and its body,
    /// scrubbed of `secret` and shortened.
    pub(crate) fn unexpected(
        &self,
        service: &'static Service,
        url: &Url,
        secret: &Secret,
    ) -> TransportError {
        TransportError::Unexpected {
            service,
            url: url.to_string(),
            status: Some(self.status.as_u16()),
            detail: if self.body.trim().is_empty() {
                "an empty reply".into()
            } else {
                scrub_short(&self.body, secret, 300)
            },
        }
    }
}

/// The service at the other end, as its errors name it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Service {
    /// "Honeycomb", "Rollbar".
    pub name: &'static str,
    /// What its secret is called: "key", "token".
    pub secret: &'static str,
    /// How the user points us elsewhere, short ("--api-endpoint").
    pub endpoint: &'static str,
    /// The same with its environment variable ("--api-endpoint / HONEYCOMB_API_ENDPOINT").
    pub endpoint_long: &'static str,
    /// Where the service reports its own outages.
    pub status_page: &'static str,
    /// Why a redirect is not followed.
    pub redirect_note: &'static str,
}

/// What went wrong on the way to a service, the same for every service: each
/// service's error carries it as its one `Transport` variant. Every field is safe
/// to show (no secret; bodies are scrubbed before they get here).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum TransportError {
    #[error("no answer from {url} within {secs}s")]
    Timeout {
        service: &'static Service,
        url: String,
        secs: f64,
    },
    /// Never connected (DNS, refused, TLS): nothing was sent.
    #[error("cannot connect to {url}: {cause}")]
    Connect {
        service: &'static Service,
        url: String,
        cause: String,
    },
    #[error("the connection to {url} was lost{}: {cause}", if *retried { " on every try" } else { "" })]
    Lost {
        service: &'static Service,
        url: String,
        cause: String,
        /// Whether it was tried again (a request that changes nothing). When not
        /// (a POST), it may have arrived.
        retried: bool,
    },
    #[error("{url} is rate limiting (429){}", retry_after.map(|s| format!(", retry after {s}s")).unwrap_or_default())]
    RateLimited {
        service: &'static Service,
        url: String,
        retry_after: Option<u64>,
    },
    #[error("{url} answered {status}{}", if *retried { " after retries" } else { "" })]
    Server {
        service: &'static Service,
        url: String,
        status: u16,
        /// Whether it was tried again (a request that changes nothing).
        retried: bool,
    },
    #[error("unexpected answer from {url}: HTTP {status} redirecting to {}: not followed ({})", location.chars().take(200).collect::<String>(), service.redirect_note)]
    Redirect {
        service: &'static Service,
        url: String,
        status: u16,
        /// Scrubbed of the secret.
        location: String,
    },
    #[error("unexpected answer from {url}: the answer is larger than {} KiB", BODY_LIMIT / 1024)]
    TooLarge {
        service: &'static Service,
        url: String,
    },
    /// An answer that is not what the service gives (not JSON, an unknown status).
    #[error("unexpected answer from {url}{}: {detail}", status.map(|s| format!(" ({s})")).unwrap_or_default())]
    Unexpected {
        service: &'static Service,
        url: String,
        status: Option<u16>,
        /// Scrubbed of the secret.
        detail: String,
    },
    #[error("refusing to send the {} {} over plain http to {url}", service.name, service.secret)]
    Insecure {
        service: &'static Service,
        url: String,
    },
    #[error("the {} {} contains characters that cannot be sent in a header", service.name, service.secret)]
    BadSecret { service: &'static Service },
}

impl TransportError {
    pub(crate) fn service(&self) -> &'static Service {
        match self {
            TransportError::Timeout { service, .. }
            | TransportError::Connect { service, .. }
            | TransportError::Lost { service, .. }
            | TransportError::RateLimited { service, .. }
            | TransportError::Server { service, .. }
            | TransportError::Redirect { service, .. }
            | TransportError::TooLarge { service, .. }
            | TransportError::Unexpected { service, .. }
            | TransportError::Insecure { service, .. }
            | TransportError::BadSecret { service } => service,
        }
    }

    /// A secret that cannot be sent: exit 4, like a rejected one.
    pub(crate) fn is_auth(&self) -> bool {
        matches!(self, TransportError::BadSecret { .. })
    }

    /// Plain http off loopback: exit 2. The rest is trouble on the way: exit 1.
    pub(crate) fn is_bad_input(&self) -> bool {
        matches!(self, TransportError::Insecure { .. })
    }

    pub(crate) fn help(&self) -> Option<String> {
        let s = self.service();
        Some(match self {
            TransportError::Timeout { .. } => format!("check the network or {}, or raise --timeout", s.endpoint),
            TransportError::Connect { .. } => format!("check the network, DNS and {}", s.endpoint_long),
            TransportError::Lost { retried: true, .. } => "something on the way (a proxy, VPN or firewall) cuts the connections: check the network and run again".into(),
            TransportError::Lost { retried: false, .. } => "it may or may not have arrived (a send is not repeated on its own): check the network and run again".into(),
            TransportError::RateLimited { retry_after: Some(secs), .. } => format!("{} asks to wait {}: run again after that", s.name, human_wait(*secs)),
            TransportError::RateLimited { .. } => "wait a minute and run again".into(),
            TransportError::Server { .. } => format!("{} seems to have trouble: see {} and run again later", s.name, s.status_page),
            TransportError::Redirect { .. } | TransportError::TooLarge { .. } | TransportError::Unexpected { .. } => format!("is {} really {}? run again with -v", s.endpoint, s.name),
            TransportError::Insecure { .. } => "use https, or http only to a loopback address (127.0.0.1, ::1, localhost)".into(),
            TransportError::BadSecret { .. } => format!("copy the {} again: it holds a line break or another character no {} {} has", s.secret, s.name, s.secret),
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

async fn read_capped(
    service: &'static Service,
    response: &mut reqwest::Response,
    url: &Url,
) -> Result<String, TransportError> {
    let too_large = || TransportError::TooLarge {
        service,
        url: url.to_string(),
    };
    if response
        .content_length()
        .is_some_and(|n| n > BODY_LIMIT as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > BODY_LIMIT {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                return Err(TransportError::Lost {
                    service,
                    url: url.to_string(),
                    cause: innermost_cause(&e),
                    retried: false,
                })
            }
        }
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// Joins `path` to a base URL that may itself have a path (a proxy prefix).
pub(crate) fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    url.set_path(&joined);
    url
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// Replaces, in `text`, every occurrence of the secret and of every substring of
/// it 8 characters or longer with the secret's masked form. (Every such substring
/// contains an 8-character window of the secret, so marking the windows' matches
/// and replacing each marked run covers them all.)
pub(crate) fn scrub(text: &str, secret: &Secret) -> String {
    let value = secret.expose();
    if value.is_empty() {
        return text.to_string();
    }
    let chars: Vec<(usize, char)> = value.char_indices().collect();
    let mut marked = vec![false; text.len()];
    let mut mark = |needle: &str| {
        for (start, m) in text.match_indices(needle) {
            marked[start..start + m.len()]
                .iter_mut()
                .for_each(|b| *b = true);
        }
    };
    if chars.len() < 8 {
        mark(value);
    } else {
        for i in 0..=chars.len() - 8 {
            let start = chars[i].0;
            let end = chars.get(i + 8).map_or(value.len(), |(b, _)| *b);
            mark(&value[start..end]);
        }
    }
    if !marked.contains(&true) {
        return text.to_string();
    }
    let masked = secret.masked();
    let mut out = String::with_capacity(text.len());
    let mut in_run = false;
    for (i, c) in text.char_indices() {
        if marked[i] {
            if !in_run {
                out.push_str(&masked);
                in_run = true;
            }
        } else {
            in_run = false;
            out.push(c);
        }
    }
    out
}

/// `text` scrubbed and cut to `max` characters (for one-line messages).
pub(crate) fn scrub_short(text: &str, secret: &Secret, max: usize) -> String {
    let clean = scrub(text.trim(), secret);
    let mut short: String = clean.chars().take(max).collect();
    if clean.chars().count() > max {
        short.push('…');
    }
    short
}

/// How long a 429 asks us to wait: `Retry-After` seconds, else `RateLimit-Reset`,
/// else `X-Rate-Limit-Remaining-Seconds` (Rollbar), else the `reset=` of a
/// `RateLimit` header (Honeycomb).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds = |v: &str| v.trim().parse::<u64>().ok();
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    header(RETRY_AFTER.as_str())
        .and_then(seconds)
        .or_else(|| header("ratelimit-reset").and_then(seconds))
        .or_else(|| header("x-rate-limit-remaining-seconds").and_then(seconds))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_replaces_the_secret_and_its_long_pieces() {
        let secret = Secret::new("abcdefghijklmnopqrstuvwxyz012345");
        let masked = secret.masked();
        assert_eq!(
            scrub("token abcdefghijklmnopqrstuvwxyz012345 not found", &secret),
            format!("token {masked} not found")
        );
        // A piece of 8+ characters anywhere is masked; 7 are not.
        assert_eq!(scrub("x mnopqrst y", &secret), format!("x {masked} y"));
        assert_eq!(scrub("x mnopqrs y", &secret), "x mnopqrs y");
        // Overlapping and adjacent pieces collapse into one mask.
        assert_eq!(
            scrub("abcdefghijklmnopqrstuvwxyz012345abcdefgh!", &secret),
            format!("{masked}!")
        );
        let short = Secret::new("tiny");
        assert_eq!(scrub("a tiny b", &short), "a **** b");
        // Multi-byte text around the secret survives.
        assert_eq!(scrub("é abcdefghij ü", &secret), format!("é {masked} ü"));
    }

    #[test]
    fn only_loopback_may_be_plain_http() {
        let c = HttpClient::new(Duration::from_secs(1), Duration::from_secs(2)).unwrap();
        assert!(c
            .client_for(
                &crate::rollbar::SERVICE,
                &Url::parse("http://127.0.0.1:9/").unwrap()
            )
            .is_ok());
        assert!(c
            .client_for(
                &crate::rollbar::SERVICE,
                &Url::parse("http://[::1]:9/").unwrap()
            )
            .is_ok());
        assert!(c
            .client_for(
                &crate::rollbar::SERVICE,
                &Url::parse("http://localhost/").unwrap()
            )
            .is_ok());
        assert!(c
            .client_for(
                &crate::rollbar::SERVICE,
                &Url::parse("https://api.rollbar.com/").unwrap()
            )
            .is_ok());
        assert!(matches!(
            c.client_for(
                &crate::rollbar::SERVICE,
                &Url::parse("http://api.rollbar.com/").unwrap()
            ),
            Err(TransportError::Insecure { .. })
        ));
        assert!(matches!(
            c.client_for(
                &crate::rollbar::SERVICE,
                &Url::parse("ftp://127.0.0.1/").unwrap()
            ),
            Err(TransportError::Insecure { .. })
        ));
    }

    #[test]
    fn one_mapping_names_each_service() {
        let server = |service| TransportError::Server {
            service,
            url: "https://x/y".into(),
            status: 503,
            retried: true,
        };
        let help = |e: TransportError| e.help().unwrap_or_default();
        assert!(help(server(&crate::rollbar::SERVICE)).contains("https://status.rollbar.com"));
        assert!(help(server(&crate::honeycomb::SERVICE)).contains("https://status.honeycomb.io"));
        let waited = TransportError::RateLimited {
            service: &crate::rollbar::SERVICE,
            url: "https://x/y".into(),
            retry_after: Some(300),
        };
        assert_eq!(
            help(waited),
            "Rollbar asks to wait 5 min: run again after that"
        );
        let insecure = TransportError::Insecure {
            service: &crate::rollbar::SERVICE,
            url: "http://api.rollbar.com/".into(),
        };
        assert!(insecure.is_bad_input() && !insecure.is_auth());
        assert_eq!(
            insecure.to_string(),
            "refusing to send the Rollbar token over plain http to http://api.rollbar.com/"
        );
        let bad = TransportError::BadSecret {
            service: &crate::honeycomb::SERVICE,
        };
        assert!(bad.is_auth() && !bad.is_bad_input());
    }

    #[test]
    fn rate_limit_headers_give_the_wait() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-rate-limit-remaining-seconds",
            HeaderValue::from_static("7"),
        );
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }
}

#[cfg(test)]
mod transport_tests {
    //! Against a raw loopback server: what a retried request says when it fails.
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    /// A server answering every request with `reply`, then closing; counts requests.
    fn server(reply: &'static [u8]) -> (Url, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let url = Url::parse(&format!(
            "http://{}/x",
            listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                seen.fetch_add(1, Ordering::SeqCst);
                let _ = stream.write_all(reply);
            }
        });
        (url, count)
    }

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(|rt| rt.block_on(f))
            .unwrap_or_else(|e| panic!("runtime: {e}"))
    }

    fn client(timeout_secs: u64) -> HttpClient {
        let t = Duration::from_secs(timeout_secs);
        HttpClient::new(t, t).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_body_cut_short_on_a_get_is_tried_again_and_says_so() {
        let (url, count) = server(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten b");
        let key = Secret::new("k");
        let get = run(client(5).send(
            &crate::rollbar::SERVICE,
            Method::GET,
            url.clone(),
            ("x-key", &key),
            None,
        ));
        assert!(
            matches!(get, Err(TransportError::Lost { retried: true, .. })),
            "{get:?}"
        );
        assert_eq!(
            count.load(Ordering::SeqCst),
            3,
            "a GET is tried three times"
        );
        let before = count.load(Ordering::SeqCst);
        let post = run(client(5).send(
            &crate::rollbar::SERVICE,
            Method::POST,
            url,
            ("x-key", &key),
            Some("{}".into()),
        ));
        assert!(
            matches!(post, Err(TransportError::Lost { retried: false, .. })),
            "{post:?}"
        );
        assert_eq!(
            count.load(Ordering::SeqCst) - before,
            1,
            "a POST is sent once"
        );
    }

    #[test]
    fn a_429_whose_wait_outlasts_the_timeout_is_the_rate_limit_at_once() {
        let (url, count) = server(
            b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 3\r\ncontent-length: 0\r\n\r\n",
        );
        let key = Secret::new("k");
        let started = std::time::Instant::now();
        let got = run(client(3).send(
            &crate::rollbar::SERVICE,
            Method::GET,
            url,
            ("x-key", &key),
            None,
        ));
        assert!(
            matches!(
                got,
                Err(TransportError::RateLimited {
                    retry_after: Some(3),
                    ..
                })
            ),
            "{got:?}"
        );
        assert_eq!(count.load(Ordering::SeqCst), 1, "not waited out");
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
