//! `verify`: each backend proven to accept data, concurrently, with the app's
//! own credentials and region.

use crate::aws::Aws;
use crate::error::Error;
use crate::honeycomb::api::{HoneycombApi, HoneycombError};
use crate::honeycomb::{self, SpanReport};
use crate::parts::Part;
use crate::secret::Secret;
use crate::settings::{Config, HoneycombSettings};
use crate::ui::Done;

/// What `verify` and `verify --app` read first: the app's environment as the
/// compose file gives it, and the AWS settings made of it.
pub(crate) struct AppSide {
    pub compose_text: String,
    pub dotenv: Vec<(String, String)>,
    pub aws: Option<Result<Aws, crate::aws::AwsError>>,
    pub region: Option<String>,
    /// Where the AWS credentials came from, in words.
    pub source: String,
    pub log_group: String,
    /// The least-privilege policy, shown when IAM denies a call.
    pub policy: serde_json::Value,
}

impl AppSide {
    /// A variable as the app's container gets it (see [`crate::verify::app_env`]).
    pub(crate) fn env(&self, service: &str, key: &str) -> Option<String> {
        crate::verify::app_env(&self.compose_text, &self.dotenv, service, key)
    }
}

async fn prepare(config: &Config, s: &crate::config::VerifySettings) -> Result<AppSide, Error> {
    let compose_text = crate::files::read(&s.compose_file)?.ok_or_else(|| Error::MissingFile {
        what: "compose file",
        path: s.compose_file.clone(),
    })?;
    // A file that does not parse gives the app nothing: say so rather than verify
    // with credentials from elsewhere.
    crate::compose::parse_strict(&compose_text, &s.compose_file.display().to_string())?;
    let dotenv_path = match s.compose_file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(".env"),
        _ => ".env".into(),
    };
    let dotenv = crate::files::read_dotenv_or_warn(&dotenv_path);
    let app = |key: &str| crate::verify::app_env(&compose_text, &dotenv, &s.service, key);
    let mut aws_settings = config.aws.clone();
    let mut source = "the standard AWS chain (the compose file passes none)".to_string();
    if let (Some(id), Some(secret)) = (app("AWS_ACCESS_KEY_ID"), app("AWS_SECRET_ACCESS_KEY")) {
        crate::secret::register_secret(&secret);
        aws_settings.credentials = Some(crate::aws::StaticCredentials {
            access_key_id: id,
            secret_access_key: Secret::new(secret),
            session_token: app("AWS_SESSION_TOKEN").map(Secret::new),
        });
        source = format!(
            "{}'s environment in {}",
            s.service,
            s.compose_file.display()
        );
    }
    if let Some(region) = app("AWS_DEFAULT_REGION").or_else(|| app("AWS_REGION")) {
        aws_settings.region = Some(region);
    }
    let log_group = s
        .log_group
        .clone()
        .or_else(|| app("CLOUDWATCH_LOG_GROUP"))
        .unwrap_or_else(|| crate::logs::DEFAULT_GROUP.to_string());
    let aws = if s.parts.aws() {
        Some(Aws::load(&aws_settings).await)
    } else {
        None
    };
    let region = aws
        .as_ref()
        .and_then(|a| a.as_ref().ok())
        .map(|a| a.region.clone());
    let policy = crate::iam::app_policy(
        s.parts.has(Part::Xray),
        if s.parts.has(Part::Logs) {
            std::slice::from_ref(&log_group)
        } else {
            &[]
        },
        region.as_deref(),
        None,
    );
    Ok(AppSide {
        compose_text,
        dotenv,
        aws,
        region,
        source,
        log_group,
        policy,
    })
}

/// `verify`: every chosen part at once, with the app's credentials and region.
pub(crate) async fn run(config: &Config, s: &crate::config::VerifySettings) -> Result<Done, Error> {
    use crate::verify::{self, VerifyReport};
    let side = prepare(config, s).await?;
    if let Some(probe) = &s.app {
        return crate::verify::app::run(config, s, probe, side).await;
    }
    let AppSide {
        aws,
        region,
        source,
        log_group,
        policy,
        ..
    } = side;
    let xray = async {
        match (&aws, s.parts.has(Part::Xray)) {
            (Some(Ok(aws)), true) => {
                Some(verify::xray(aws, &s.service, &s.filter, s.wait, &policy).await)
            }
            (Some(Err(e)), true) => Some(verify::failed("X-Ray", &Error::Aws(e.clone()))),
            _ => None,
        }
    };
    let logs = async {
        match (&aws, s.parts.has(Part::Logs)) {
            (Some(Ok(aws)), true) => Some(verify::logs(aws, &log_group, s.wait, &policy).await),
            (Some(Err(e)), true) => Some(verify::failed("CloudWatch Logs", &Error::Aws(e.clone()))),
            _ => None,
        }
    };
    // One HTTP client for Honeycomb and Rollbar (both bounded by --timeout).
    let http = s
        .honeycomb
        .as_ref()
        .map(|h| h.timeout)
        .or(s.rollbar.as_ref().map(|r| r.timeout))
        .map(|t| crate::http::HttpClient::new(t, t));
    let honeycomb = async {
        let settings = s.honeycomb.as_ref()?;
        let Some(key) = &settings.key else {
            return Some(verify::not_configured("Honeycomb", "HONEYCOMB_API_KEY"));
        };
        let api = match http.as_ref()? {
            Ok(client) => HoneycombApi::new(client.clone()),
            Err(e) => return Some(verify::failed("Honeycomb", &e.clone().into())),
        };
        let sent = async {
            let report = api.check(key, settings.region, &settings.endpoints).await?;
            if !report.can_send_traces {
                return Err(Error::from(HoneycombError::CannotSend { key: report.key }));
            }
            send_span(&api, settings, key, report, &s.service, None).await
        };
        Some(match sent.await {
            Ok(span) => crate::verify::PartResult {
                part: "Honeycomb",
                outcome: crate::verify::Verdict::Passed,
                detail: format!(
                    "test span accepted (trace {}, {} {})",
                    span.trace_id,
                    span.region.label(),
                    span.key
                ),
                link: Some(span.link),
                hint: None,
                policy: None,
            },
            Err(e) => verify::failed("Honeycomb", &e),
        })
    };
    let rollbar = async {
        let settings = s.rollbar.as_ref()?;
        let Some(token) = &settings.token else {
            return Some(verify::not_configured("Rollbar", "ROLLBAR_ACCESS_TOKEN"));
        };
        let client = match http.as_ref()? {
            Ok(client) => client,
            Err(e) => return Some(verify::failed("Rollbar", &e.clone().into())),
        };
        Some(
            match crate::rollbar::send_test_item(
                client,
                &settings.base,
                token,
                &s.rollbar_environment,
            )
            .await
            {
                Ok(item) => crate::verify::PartResult {
                    part: "Rollbar",
                    outcome: crate::verify::Verdict::Passed,
                    detail: format!("test item accepted ({})", item.uuid),
                    link: Some(item.link),
                    hint: None,
                    policy: None,
                },
                Err(e) => verify::failed("Rollbar", &e.into()),
            },
        )
    };
    let (x, l, h, r) = config
        .ui
        .spin(
            "verifying X-Ray, CloudWatch Logs, Honeycomb and Rollbar",
            async { tokio::join!(xray, logs, honeycomb, rollbar) },
        )
        .await;
    let report = VerifyReport {
        credentials: s.parts.aws().then_some(source),
        region,
        request: None,
        parts: [x, l, h, r].into_iter().flatten().collect(),
    };
    Ok(report.done("not every backend accepted the test data: see the report"))
}

/// Sends one test span with a key already checked (`report`); returns its link.
pub(crate) async fn send_span(
    api: &HoneycombApi,
    settings: &HoneycombSettings,
    key: &Secret,
    report: honeycomb::KeyReport,
    service: &str,
    dataset: Option<&str>,
) -> Result<SpanReport, Error> {
    let base = match report.region {
        honeycomb::Region::Us => &settings.endpoints.us,
        honeycomb::Region::Eu => &settings.endpoints.eu,
    };
    let dataset = dataset.unwrap_or(service);
    let trace_id = crate::secret::random_hex(16);
    let end = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let body = honeycomb::test_span(
        service,
        &trace_id,
        &crate::secret::random_hex(8),
        end - 50_000_000,
        end,
    );
    api.send_traces(base, key, report.classic().then_some(dataset), &body)
        .await?;
    Ok(SpanReport {
        link: honeycomb::trace_link(&report, dataset, &trace_id),
        key: report.key,
        region: report.region,
        endpoint: base.to_string(),
        service: service.to_string(),
        trace_id,
    })
}
