//! `verify --app`: one request to the running backend, carrying a trace id
//! chosen here, then that very request looked for in each backend, concurrently,
//! until `--wait` runs out:
//!
//! - X-Ray: `BatchGetTraces` for the id in X-Ray's form (`1-xxxxxxxx-…`): the
//!   segments the daemon forwarded;
//! - CloudWatch Logs: `FilterLogEvents` on the app's group for the request line
//!   `lib/observability.py` writes (`GET /path 200 12.3ms trace_id=<32 hex>`);
//! - Honeycomb: with a configuration key, the Datasets API's `last_written_at` of
//!   the dataset named after `OTEL_SERVICE_NAME` (the Query Data API is
//!   Enterprise-only); without one, the trace's link.
//!
//! The request carries a W3C `traceparent` and an `X-Amzn-Trace-Id`, both
//! sampled, so the OpenTelemetry and X-Ray tracers continue our trace instead of
//! sampling it away. A part that does not arrive is diagnosed from the app's
//! environment as the compose file gives it ([`super::diagnose`]).

use std::fmt;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;

use super::diagnose::{dataset_slug, AppEnv, Mistake};
use super::run::AppSide;
use super::{aws_failure, failed, PartResult, Verdict, VerifyReport};
use crate::aws::{Aws, AwsError, CallFailure};
use crate::error::Error;
use crate::honeycomb::api::HoneycombApi;
use crate::http::HttpClient;
use crate::parts::Part;
use crate::secret::random_hex;
use crate::settings::{AppProbe, Config, HoneycombSettings, VerifySettings};
use crate::ui::Done;

/// The port the course's backend listens on.
const APP_PORT: u16 = 4567;

/// One trace in both formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TraceIds {
    /// 32 hex digits; the first 8 are the epoch seconds, as X-Ray requires.
    pub hex: String,
    /// The parent span id the request claims (16 hex digits).
    pub parent: String,
}

impl TraceIds {
    pub(crate) fn new(epoch_secs: u64) -> TraceIds {
        TraceIds {
            hex: format!("{:08x}{}", epoch_secs & 0xffff_ffff, random_hex(12)),
            parent: random_hex(8),
        }
    }

    /// The W3C header, sampled.
    pub(crate) fn traceparent(&self) -> String {
        format!("00-{}-{}-01", self.hex, self.parent)
    }

    /// X-Ray's form of the same id.
    pub(crate) fn xray(&self) -> String {
        format!("1-{}-{}", &self.hex[..8], &self.hex[8..])
    }

    /// The `X-Amzn-Trace-Id` header, sampled.
    pub(crate) fn amzn_trace_id(&self) -> String {
        format!("Root={};Parent={};Sampled=1", self.xray(), self.parent)
    }
}

/// The request followed, and what the app answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Request {
    pub url: String,
    pub status: u16,
    pub millis: u64,
    pub trace_id: String,
    pub xray_trace_id: String,
    /// What the answer says about the app, when it is not a success.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "GET {} answered {} in {} ms (trace {})",
            self.url, self.status, self.millis, self.trace_id
        )?;
        if let Some(note) = &self.note {
            write!(f, "\n    note: {note}")?;
        }
        Ok(())
    }
}

/// What an answer's status says, for the report (`location`: a redirect's target).
fn answer_note(
    status: u16,
    location: Option<&str>,
    route: &str,
    service: &str,
    rollbar_on: bool,
) -> Option<String> {
    match status {
        200..=299 | 304 => None,
        300..=399 => Some(format!(
            "the URL redirects{} (not followed): a private Gitpod or Codespaces port sends to a login page; make the port public, or run this inside the workspace with http://127.0.0.1:4567",
            location.map(|l| format!(" to {l}")).unwrap_or_default()
        )),
        404 => Some(format!(
            "the app has no route {route}: pass --route with one it serves"
        )),
        500..=599 => Some(format!(
            "the app failed on this request: its own output says why (docker compose logs {service}){}",
            if rollbar_on {
                ""
            } else {
                "; with Rollbar on, the error would be an item there"
            }
        )),
        _ => None,
    }
}

/// The app's URL: `--app URL`, else the port the compose file publishes for the
/// service's 4567, else 4567 on this machine; the route appended to its path.
fn request_url(probe: &AppProbe, compose_text: &str, service: &str) -> reqwest::Url {
    let base = probe.url.clone().unwrap_or_else(|| {
        let port =
            crate::compose::published_port(compose_text, service, APP_PORT).unwrap_or(APP_PORT);
        #[allow(clippy::expect_used)]
        reqwest::Url::parse(&format!("http://127.0.0.1:{port}")).expect("a valid URL")
    });
    let (path, query) = match probe.route.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (probe.route.as_str(), None),
    };
    let mut url = base.clone();
    url.set_path(&format!("{}{path}", base.path().trim_end_matches('/')));
    url.set_query(query);
    url
}

/// Calls `look` until it finds something or `wait` runs out: 0.5 s between looks
/// at first, half as long again each time, at most 5 s. An error ends it at once.
async fn poll<T, E, F, Fut>(wait: Duration, mut look: F) -> Result<Option<T>, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    let deadline = Instant::now() + wait;
    let mut pause = Duration::from_millis(500);
    loop {
        if let Some(found) = look().await? {
            return Ok(Some(found));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(pause.min(deadline - now)).await;
        pause = (pause * 3 / 2).min(Duration::from_secs(5));
    }
}

/// The app's environment for the diagnoses.
fn app_env(side: &AppSide, s: &VerifySettings) -> AppEnv {
    let vars = super::diagnose::KEYS
        .iter()
        .filter_map(|k| side.env(&s.service, k).map(|v| (k.to_string(), v)))
        .collect();
    let services = crate::compose::service_names(&side.compose_text);
    let daemon = services
        .iter()
        .find(|name| {
            name.contains("xray")
                || crate::compose::service_image(&side.compose_text, name)
                    .is_some_and(|i| i.contains("xray-daemon"))
        })
        .map(|name| {
            let region = side
                .env(name, "AWS_REGION")
                .or_else(|| side.env(name, "AWS_DEFAULT_REGION"));
            (name.clone(), region)
        });
    let app_py = crate::project::backend_dir(&s.compose_file, &s.service)
        .ok()
        .map(|dir| dir.join("app.py"));
    let text = app_py
        .as_ref()
        .and_then(|path| crate::files::read(path).ok().flatten());
    let skipped = text
        .as_deref()
        .map(super::diagnose::skipped_parts)
        .unwrap_or_default();
    let app_py_unread = text.is_none().then(|| match &app_py {
        Some(path) if !path.exists() => format!("{} does not exist", path.display()),
        Some(path) => format!("{} could not be read", path.display()),
        None => format!("no backend directory for {} in the compose file", s.service),
    });
    AppEnv {
        service: s.service.clone(),
        file: s.compose_file.display().to_string(),
        vars,
        services,
        daemon,
        skipped,
        app_py_unread,
    }
}

/// `verify --app`.
pub(crate) async fn run(
    config: &Config,
    s: &VerifySettings,
    probe: &AppProbe,
    side: AppSide,
) -> Result<Done, Error> {
    let env = app_env(&side, s);
    let http = HttpClient::new(config.aws.timeout, config.aws.timeout)?;
    let url = request_url(probe, &side.compose_text, &s.service);
    let started = SystemTime::now();
    let epoch = started.duration_since(UNIX_EPOCH).unwrap_or_default();
    let ids = TraceIds::new(epoch.as_secs());
    let clock = Instant::now();
    let answer = http
        .without_secret(&url)
        .get(url.clone())
        .header("traceparent", ids.traceparent())
        .header("x-amzn-trace-id", ids.amzn_trace_id())
        .send()
        .await
        .map_err(|e| Error::AppUnreachable {
            url: url.to_string(),
            cause: if e.is_timeout() {
                format!("no answer within {}s", config.aws.timeout.as_secs_f64())
            } else {
                crate::cause::innermost_cause(&e)
            },
        })?;
    let status = answer.status().as_u16();
    let location = answer
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .map(|l| l.chars().take(200).collect::<String>());
    let request = Request {
        url: url.to_string(),
        status,
        millis: clock.elapsed().as_millis() as u64,
        trace_id: ids.hex.clone(),
        xray_trace_id: ids.xray(),
        note: answer_note(
            status,
            location.as_deref(),
            &probe.route,
            &s.service,
            env.vars.contains_key("ROLLBAR_ACCESS_TOKEN"),
        ),
    };
    drop(answer);

    let waiting = Mutex::new(Vec::<&'static str>::new());
    let progress = config.ui.progress(&format!(
        "following trace {} (up to {}s)",
        ids.hex,
        s.wait.as_secs()
    ));
    let arrived = |part: &'static str| {
        if let Ok(mut done) = waiting.lock() {
            done.push(part);
            progress.set(format!(
                "following trace {} (up to {}s): {} done",
                ids.hex,
                s.wait.as_secs(),
                done.join(", ")
            ));
        }
    };
    let aws = side.aws.as_ref();
    let xray = async {
        let r = match aws {
            Some(Ok(aws)) if s.parts.has(Part::Xray) => {
                Some(xray(aws, &ids, s.wait, &env, &side.policy).await)
            }
            Some(Err(e)) if s.parts.has(Part::Xray) => {
                Some(failed("X-Ray", &Error::Aws(e.clone())))
            }
            _ => None,
        };
        if r.is_some() {
            arrived("X-Ray");
        }
        r
    };
    let logs = async {
        let r = match aws {
            Some(Ok(aws)) if s.parts.has(Part::Logs) => Some(
                logs(
                    aws,
                    &side.log_group,
                    &ids,
                    epoch,
                    s.wait,
                    &env,
                    &side.policy,
                )
                .await,
            ),
            Some(Err(e)) if s.parts.has(Part::Logs) => {
                Some(failed("CloudWatch Logs", &Error::Aws(e.clone())))
            }
            _ => None,
        };
        if r.is_some() {
            arrived("CloudWatch Logs");
        }
        r
    };
    let honeycomb = async {
        let r = match &s.honeycomb {
            Some(settings) => {
                Some(honeycomb(&http, settings, probe, &ids, epoch, s.wait, &env).await)
            }
            None => None,
        };
        if r.is_some() {
            arrived("Honeycomb");
        }
        r
    };
    let (x, l, h) = tokio::join!(xray, logs, honeycomb);
    drop(progress);
    let rollbar = s.rollbar.as_ref().map(|_| {
        PartResult::new(
            "Rollbar",
            Verdict::Skipped,
            "not followed: --app follows traces and log lines; verify without --app proves that Rollbar takes items",
        )
    });
    let report = VerifyReport {
        credentials: s.parts.aws().then(|| side.source.clone()),
        region: side.region.clone(),
        request: Some(request),
        parts: [x, l, h, rollbar].into_iter().flatten().collect(),
    };
    Ok(report.done("the app's request did not reach every backend: see the report"))
}

/// What one X-Ray segment document says.
fn segment_line(document: &str) -> Option<String> {
    let doc: Value = serde_json::from_str(document).ok()?;
    let name = doc["name"].as_str()?;
    let millis = match (doc["start_time"].as_f64(), doc["end_time"].as_f64()) {
        (Some(start), Some(end)) if end >= start => format!(", {:.0} ms", (end - start) * 1000.0),
        _ => String::new(),
    };
    let status = doc["http"]["response"]["status"]
        .as_u64()
        .map(|s| format!(", {s}"))
        .unwrap_or_default();
    Some(format!("{name}{millis}{status}"))
}

fn not_arrived(
    part: &'static str,
    mistake: Option<Mistake>,
    missing: String,
    hint: String,
) -> PartResult {
    match mistake {
        Some(m) => {
            PartResult::new(part, Verdict::Failed, format!("{missing}: {}", m.what)).hint(m.fix)
        }
        None => PartResult::new(part, Verdict::NotYetVisible, missing).hint(hint),
    }
}

async fn xray(
    aws: &Aws,
    ids: &TraceIds,
    wait: Duration,
    env: &AppEnv,
    policy: &Value,
) -> PartResult {
    let client = aws_sdk_xray::Client::new(&aws.sdk);
    let target = aws.endpoint_label("X-Ray");
    let id = ids.xray();
    let found = poll(wait, || async {
        let out = client
            .batch_get_traces()
            .trace_ids(&id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("BatchGetTraces", target.clone(), e))?;
        let segments: Vec<String> = out
            .traces()
            .iter()
            .filter(|t| t.id() == Some(id.as_str()))
            .flat_map(|t| t.segments())
            .filter_map(|seg| seg.document())
            .filter_map(segment_line)
            .collect();
        Ok::<_, AwsError>(Some(segments).filter(|s| !s.is_empty()))
    })
    .await;
    match found {
        Err(e) => aws_failure("X-Ray", "xray", e, policy),
        Ok(Some(segments)) => {
            let mut r = PartResult::new(
                "X-Ray",
                Verdict::Passed,
                format!(
                    "the request's trace {id} arrived: {} ({})",
                    if segments.len() == 1 { "segment" } else { "segments" },
                    segments.join("; ")
                ),
            );
            r.link = Some(format!(
                "https://{0}.console.aws.amazon.com/cloudwatch/home?region={0}#xray:traces/{id}",
                aws.region
            ));
            r
        }
        Ok(None) => not_arrived(
            "X-Ray",
            env.xray_mistake(),
            format!("trace {id} not in X-Ray in {} after {}s", aws.region, wait.as_secs()),
            format!(
                "X-Ray shows a trace within about a minute: run it again with a longer --wait; if it never comes, read the daemon's output (docker compose logs {})",
                env.daemon.as_ref().map_or("xray-daemon", |(n, _)| n.as_str())
            ),
        ),
    }
}

async fn logs(
    aws: &Aws,
    group: &str,
    ids: &TraceIds,
    sent: Duration,
    wait: Duration,
    env: &AppEnv,
    policy: &Value,
) -> PartResult {
    if env.skipped.iter().any(|p| p == "cloudwatch-logs") {
        return PartResult::new(
            "CloudWatch Logs",
            Verdict::Skipped,
            format!("not looked for: app.py ships its logs by hand (init_observability(app, skip=(... \"cloudwatch-logs\" ...))), so no line carries the request's trace id; look in {group} around the request's time"),
        );
    }
    let client = aws_sdk_cloudwatchlogs::Client::new(&aws.sdk);
    let target = aws.endpoint_label("CloudWatch Logs");
    let since = sent.as_millis() as i64 - 60_000;
    let found = poll(wait, || async {
        let mut token: Option<String> = None;
        for _ in 0..crate::aws::MAX_PAGES {
            let out = client
                .filter_log_events()
                .log_group_name(group)
                .filter_pattern(format!("\"{}\"", ids.hex))
                .start_time(since)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("FilterLogEvents", target.clone(), e))?;
            if let Some(line) = out
                .events()
                .iter()
                .filter_map(|e| e.message())
                .find(|m| m.contains(&ids.hex))
            {
                return Ok(Some(line.trim().chars().take(200).collect::<String>()));
            }
            match out.next_token() {
                Some(next) => token = Some(next.to_string()),
                None => break,
            }
        }
        Ok::<_, AwsError>(None)
    })
    .await;
    match found {
        Err(e) if matches!(e.failure(), Some(CallFailure::Service { code }) if code == "ResourceNotFoundException") => {
            PartResult::new(
                "CloudWatch Logs",
                Verdict::Failed,
                format!("the log group {group} does not exist in {}", aws.region),
            )
            .hint(format!("cruddur-obs logs create-group {group} (the app never creates it)"))
        }
        Err(e) => aws_failure("CloudWatch Logs", "logs", e, policy),
        Ok(Some(line)) => {
            let mut r = PartResult::new(
                "CloudWatch Logs",
                Verdict::Passed,
                format!("the request's line arrived in {group}: {line}"),
            );
            r.link = Some(format!(
                "https://{0}.console.aws.amazon.com/cloudwatch/home?region={0}#logsV2:log-groups/log-group/{1}",
                aws.region,
                group.replace('/', "$252F")
            ));
            r
        }
        Ok(None) => not_arrived(
            "CloudWatch Logs",
            env.logs_mistake(group),
            format!("no line with trace_id={} in {group} after {}s", ids.hex, wait.as_secs()),
            match &env.app_py_unread {
                None => "watchtower sends every few seconds: run it again with a longer --wait; if it never comes, read the app's output for a cruddur-obs warning".into(),
                Some(why) => format!("watchtower sends every few seconds: run it again with a longer --wait; app.py was not read ({why}), so it is unknown whether the app ships its logs by hand (then no line carries the trace id)"),
            },
        ),
    }
}

async fn honeycomb(
    http: &HttpClient,
    settings: &HoneycombSettings,
    probe: &AppProbe,
    ids: &TraceIds,
    sent: Duration,
    wait: Duration,
    env: &AppEnv,
) -> PartResult {
    if let Some(m) = env.honeycomb_mistake() {
        return PartResult::new("Honeycomb", Verdict::Failed, m.what).hint(m.fix);
    }
    let api = HoneycombApi::new(http.clone());
    let dataset = env.service_name().to_string();
    let slug = dataset_slug(&dataset);
    // The trace's link needs the team and environment of a key: either will do.
    let Some(key) = probe.config_key.as_ref().or(settings.key.as_ref()) else {
        return crate::verify::not_configured("Honeycomb", "HONEYCOMB_CONFIG_KEY");
    };
    let report = match api.check(key, settings.region, &settings.endpoints).await {
        Ok(report) => report,
        Err(e) => return failed("Honeycomb", &e.into()),
    };
    let link = crate::honeycomb::trace_link(&report, &dataset, &ids.hex);
    let Some(config_key) = &probe.config_key else {
        let mut r = PartResult::new(
            "Honeycomb",
            Verdict::Skipped,
            format!("not read back: the Datasets API needs a configuration key (--config-key or HONEYCOMB_CONFIG_KEY); the trace is at the link once {dataset}'s spans arrive"),
        );
        r.link = Some(link);
        return r;
    };
    let base = match report.region {
        crate::honeycomb::Region::Us => &settings.endpoints.us,
        crate::honeycomb::Region::Eu => &settings.endpoints.eu,
    };
    let since = sent.as_secs().saturating_sub(1);
    let last = std::cell::RefCell::new(None);
    let found = poll(wait, || {
        let last = &last;
        let api = &api;
        let slug = &slug;
        async move {
            let written = api.dataset_last_written(base, config_key, slug).await?;
            let secs = written.as_deref().and_then(|t| {
                aws_smithy_types::DateTime::from_str(
                    t,
                    aws_smithy_types::date_time::Format::DateTime,
                )
                .ok()
                .map(|d| d.secs())
            });
            *last.borrow_mut() = Some(written.clone());
            Ok::<_, crate::honeycomb::api::HoneycombError>(
                secs.filter(|s| *s >= since as i64).and(written),
            )
        }
    })
    .await;
    let mut r = match found {
        Err(e) => failed("Honeycomb", &e.into()),
        Ok(Some(at)) => PartResult::new(
            "Honeycomb",
            Verdict::Passed,
            format!("dataset {dataset} written at {at}, after the request (the Datasets API tells when, not which span: the link shows the trace)"),
        ),
        Ok(None) => {
            let missing = match last.into_inner().flatten() {
                None => format!("no dataset {slug} in {}: nothing of {dataset} has arrived there", report.region.label()),
                Some(at) if at.is_empty() => format!("dataset {slug} has never been written"),
                Some(at) => format!("dataset {slug} last written at {at}, before the request"),
            };
            PartResult::new("Honeycomb", Verdict::NotYetVisible, format!("{missing} (after {}s)", wait.as_secs()))
                .hint("spans leave in batches every few seconds: run it again with a longer --wait; if they never come, check that HONEYCOMB_API_KEY is a key of this environment")
        }
    };
    r.link = Some(link);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trace_in_both_formats() {
        let ids = TraceIds::new(0x6750_1234);
        assert_eq!(ids.hex.len(), 32);
        assert!(ids.hex.starts_with("67501234"));
        assert_eq!(ids.parent.len(), 16);
        assert_eq!(ids.xray(), format!("1-67501234-{}", &ids.hex[8..]));
        assert_eq!(
            ids.traceparent(),
            format!("00-{}-{}-01", ids.hex, ids.parent)
        );
        assert_eq!(
            ids.amzn_trace_id(),
            format!(
                "Root=1-67501234-{};Parent={};Sampled=1",
                &ids.hex[8..],
                ids.parent
            )
        );
    }

    fn probe(url: Option<&str>, route: &str) -> AppProbe {
        AppProbe {
            url: url.map(|u| reqwest::Url::parse(u).unwrap()),
            route: route.into(),
            config_key: None,
        }
    }

    #[test]
    fn the_url_comes_from_the_flag_else_the_published_port() {
        let compose = "services:\n  backend-flask:\n    ports:\n      - \"5000:4567\"\n";
        let url = request_url(
            &probe(None, "/api/activities/home"),
            compose,
            "backend-flask",
        );
        assert_eq!(url.as_str(), "http://127.0.0.1:5000/api/activities/home");
        let url = request_url(&probe(None, "/x?y=1"), "services: {}\n", "backend-flask");
        assert_eq!(url.as_str(), "http://127.0.0.1:4567/x?y=1");
        let url = request_url(
            &probe(Some("https://4567-ws.gitpod.io/prefix/"), "/api/a"),
            compose,
            "backend-flask",
        );
        assert_eq!(url.as_str(), "https://4567-ws.gitpod.io/prefix/api/a");
    }

    #[test]
    fn segments_are_described_by_name_duration_and_status() {
        let doc = r#"{"name":"backend-flask","start_time":1.0,"end_time":1.013,"http":{"response":{"status":200}}}"#;
        assert_eq!(segment_line(doc).unwrap(), "backend-flask, 13 ms, 200");
        assert_eq!(segment_line(r#"{"name":"x"}"#).unwrap(), "x");
        assert_eq!(segment_line("not json"), None);
    }

    #[test]
    fn a_failing_answer_is_explained() {
        assert_eq!(answer_note(200, None, "/a", "b", false), None);
        let n = answer_note(404, None, "/a", "b", false).unwrap();
        assert!(n.contains("no route /a"), "{n}");
        let n = answer_note(500, None, "/a", "backend-flask", false).unwrap();
        assert!(n.contains("docker compose logs backend-flask"), "{n}");
        assert!(n.contains("Rollbar"), "{n}");
        let n = answer_note(500, None, "/a", "b", true).unwrap();
        assert!(!n.contains("Rollbar"), "{n}");
        let n = answer_note(302, Some("https://gitpod.io/login"), "/a", "b", false).unwrap();
        assert!(
            n.starts_with("the URL redirects to https://gitpod.io/login (not followed)"),
            "{n}"
        );
    }

    #[tokio::test]
    async fn polling_stops_when_found_or_when_the_wait_ends() {
        let mut calls = 0;
        let found = poll(Duration::from_secs(5), || {
            calls += 1;
            let n = calls;
            async move { Ok::<_, ()>((n == 2).then_some(n)) }
        })
        .await;
        assert_eq!(found, Ok(Some(2)));
        let t = Instant::now();
        let none = poll(Duration::from_millis(300), || async {
            Ok::<Option<u8>, ()>(None)
        })
        .await;
        assert_eq!(none, Ok(None));
        assert!(t.elapsed() < Duration::from_secs(2));
        let err = poll(Duration::from_secs(5), || async {
            Err::<Option<u8>, _>("boom")
        })
        .await;
        assert_eq!(err, Err("boom"));
    }
}
