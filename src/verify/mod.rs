//! `verify`: proves that every backend takes data, with the credentials and region
//! the app will use (the compose file's `${VAR}` references resolved as `docker
//! compose` resolves them: this shell, then `.env`). One test record per part:
//!
//! - X-Ray: `PutTraceSegments` (one segment for the service, a fresh trace id),
//!   read back with `GetTraceSummaries` (the group's filter) and `BatchGetTraces`,
//!   polling until `--wait` runs out ("written, not yet visible" then); also
//!   `GetSamplingRules` and `GetSamplingTargets`, which the daemon calls.
//! - CloudWatch Logs: `PutLogEvents` into the stream `cruddur-obs-verify` of the
//!   app's log group (the stream is created if needed, never the group), read
//!   back with `GetLogEvents`.
//! - Honeycomb: the test span of `honeycomb send-test-span`.
//! - Rollbar: the test item of `rollbar send-test-item`.
//!
//! Parts run concurrently and independently: one failing does not stop the others.
//! An `AccessDenied` names the IAM action and carries the policy of `iam policy`.

use std::fmt;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{json, Value};

use crate::aws::{Aws, AwsError, CallFailure};
use crate::error::{exit, Error};

pub(crate) mod app;
mod diagnose;
pub(crate) mod run;

/// The stream `verify` writes its test event to.
pub(crate) const LOG_STREAM: &str = "cruddur-obs-verify";

/// How one part came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Verdict {
    Passed,
    /// Written and accepted, but not readable back within `--wait`.
    NotYetVisible,
    Failed,
    /// Denied by IAM: the policy is attached.
    Denied,
    /// Chosen, but its key or token is not set.
    NotConfigured,
    /// Not looked for, and why is said (`verify --app` without the key that reads
    /// Honeycomb back, or Rollbar without an error route); does not change the exit code.
    Skipped,
}

/// One part's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct PartResult {
    pub part: &'static str,
    pub outcome: Verdict,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The least-privilege policy, when IAM denied an action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<Value>,
}

impl PartResult {
    pub(crate) fn new(
        part: &'static str,
        outcome: Verdict,
        detail: impl Into<String>,
    ) -> PartResult {
        PartResult {
            part,
            outcome,
            detail: detail.into(),
            link: None,
            hint: None,
            policy: None,
        }
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> PartResult {
        self.hint = Some(hint.into());
        self
    }
}

/// The result of `verify`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct VerifyReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Where the AWS credentials came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<String>,
    /// `verify --app`: the request followed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<app::Request>,
    pub parts: Vec<PartResult>,
}

impl VerifyReport {
    /// 0 only when every chosen part passed; denied 4; not yet visible 3; else 1.
    pub(crate) fn exit_code(&self) -> u8 {
        let has = |o: Verdict| self.parts.iter().any(|p| p.outcome == o);
        if has(Verdict::Denied) {
            exit::AUTH
        } else if has(Verdict::Failed) || has(Verdict::NotConfigured) {
            exit::FAILURE
        } else if has(Verdict::NotYetVisible) {
            exit::PENDING
        } else {
            exit::OK
        }
    }
}

impl VerifyReport {
    /// The report and its exit code; `failed` is the one-line reason when a part failed.
    pub(crate) fn done(&self, failed: &str) -> crate::ui::Done {
        use crate::ui::Done;
        match self.exit_code() {
            exit::OK => Done::new(self, exit::OK),
            exit::PENDING => Done::new(self, exit::OK).with_code(
                exit::PENDING,
                "not every record is visible yet",
                Some("run it again with a longer --wait"),
            ),
            code => Done::new(self, exit::OK).with_code(code, failed, None),
        }
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines = Vec::new();
        if let (Some(region), Some(creds)) = (&self.region, &self.credentials) {
            lines.push(format!("AWS: {region}, credentials from {creds}"));
        }
        if let Some(request) = &self.request {
            lines.push(request.to_string());
        }
        for p in &self.parts {
            let mark = match p.outcome {
                Verdict::Passed => "✓",
                Verdict::NotYetVisible => "…",
                Verdict::Skipped => "-",
                _ => "✗",
            };
            lines.push(format!("{mark} {}: {}", p.part, p.detail));
            if let Some(link) = &p.link {
                lines.push(format!("    {link}"));
            }
            if let Some(hint) = &p.hint {
                lines.push(format!("    hint: {hint}"));
            }
            if let Some(policy) = &p.policy {
                lines.push(
                    "    the policy the app's credentials need (cruddur-obs iam policy):".into(),
                );
                let text = serde_json::to_string_pretty(policy).unwrap_or_default();
                lines.extend(text.lines().map(|l| format!("    {l}")));
            }
        }
        write!(f, "{}", lines.join("\n"))
    }
}

/// A variable as the app's container gets it: the compose file's entry, with its
/// `${VAR}` references resolved from this shell, then `dotenv` (the variables of
/// `.env` beside the file, read once by the caller through the file guard).
/// `None` when the service has no such entry.
pub(crate) fn app_env(
    compose_text: &str,
    dotenv: &[(String, String)],
    service: &str,
    key: &str,
) -> Option<String> {
    let raw = crate::compose::service_env(compose_text, service, key)??;
    let resolved = crate::compose::interpolate(&raw, |name| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .map(|v| (v, "this shell".to_string()))
            .or_else(|| {
                dotenv
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| (v.clone(), ".env".to_string()))
            })
    });
    Some(resolved.value).filter(|v| !v.is_empty())
}

pub(crate) fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// The IAM action of an SDK operation (`xray:PutTraceSegments`).
fn action(service: &str, operation: &str) -> String {
    format!("{service}:{operation}")
}

/// A failed AWS call as a part result: denied (with the action and the policy),
/// or failed with the call's own help.
pub(crate) fn aws_failure(
    part: &'static str,
    service: &str,
    e: AwsError,
    policy: &Value,
) -> PartResult {
    let denied = matches!(e.failure(), Some(CallFailure::AccessDenied { .. }));
    let help = e.help();
    if denied {
        let named = crate::iam::denied_action(&e.to_string());
        let op = match &e {
            AwsError::Call(c) => c.operation,
            _ => "",
        };
        let act = named.unwrap_or_else(|| action(service, op));
        let mut r = PartResult::new(part, Verdict::Denied, format!("denied: the credentials may not call {act}"))
            .hint(format!("grant {act} (the policy below is all the app needs): aws iam put-user-policy --user-name <the app's IAM user> --policy-name cruddur-obs --policy-document file://policy.json"));
        r.policy = Some(policy.clone());
        return r;
    }
    let r = PartResult::new(part, Verdict::Failed, e.to_string());
    match help {
        Some(h) => r.hint(h),
        None => r,
    }
}

/// X-Ray: write one segment, read it back, and call what the daemon calls.
pub(crate) async fn xray(
    aws: &Aws,
    service: &str,
    filter: &str,
    wait: Duration,
    policy: &Value,
) -> PartResult {
    use aws_sdk_xray::primitives::DateTime;
    use aws_sdk_xray::types::SamplingStatisticsDocument;
    let client = aws_sdk_xray::Client::new(&aws.sdk);
    let target = aws.endpoint_label("X-Ray");
    // The group must be in the app's region: a daemon in another region sends
    // the app's traces where no group (and no sampling rule) is.
    let groups = async {
        let mut pages = client.get_groups().into_paginator().send();
        let mut guard = crate::aws::Pages::new(aws, "GetGroups", target.clone());
        let mut all = Vec::new();
        while let Some(page) = guard.next(pages.next()).await? {
            all.push(page);
        }
        Ok::<_, AwsError>(all)
    }
    .await;
    match groups {
        Err(e) => return aws_failure("X-Ray", "xray", e, policy),
        Ok(pages) => {
            let found = pages
                .iter()
                .flat_map(|p| p.groups())
                .any(|g| g.filter_expression() == Some(filter));
            if !found {
                return PartResult::new(
                    "X-Ray",
                    Verdict::Failed,
                    format!("no X-Ray group with filter {filter} in {} (the app's region)", aws.region),
                )
                .hint(format!(
                    "the app sends to {0}: create the group there (cruddur-obs init --region {0}) or give the app the group's region in AWS_DEFAULT_REGION",
                    aws.region
                ));
            }
        }
    }
    let now = now_secs();
    let trace_id = format!("1-{:08x}-{}", now as u64, crate::secret::random_hex(12));
    let segment = json!({
        "name": service,
        "id": crate::secret::random_hex(8),
        "trace_id": trace_id,
        "start_time": now - 0.05,
        "end_time": now,
        "http": {"request": {"method": "GET", "url": "/cruddur-obs/verify"}},
        "annotations": {"cruddur_obs_verify": true},
    });
    let put = client
        .put_trace_segments()
        .trace_segment_documents(segment.to_string())
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("PutTraceSegments", target.clone(), e));
    match put {
        Err(e) => return aws_failure("X-Ray", "xray", e, policy),
        Ok(out) => {
            if let Some(bad) = out.unprocessed_trace_segments().first() {
                return PartResult::new(
                    "X-Ray",
                    Verdict::Failed,
                    format!(
                        "X-Ray refused the test segment: {} {}",
                        bad.error_code().unwrap_or_default(),
                        bad.message().unwrap_or_default()
                    ),
                );
            }
        }
    }
    // What the daemon calls for the app's sampling.
    if let Err(e) = client
        .get_sampling_rules()
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("GetSamplingRules", target.clone(), e))
    {
        return aws_failure("X-Ray", "xray", e, policy);
    }
    let statistics = SamplingStatisticsDocument::builder()
        .rule_name("Default")
        .client_id(crate::secret::random_hex(12))
        .timestamp(DateTime::from_secs(now as i64))
        .request_count(1)
        .sampled_count(1)
        .borrow_count(0)
        .build();
    let statistics = match statistics {
        Ok(s) => s,
        Err(e) => return PartResult::new("X-Ray", Verdict::Failed, e.to_string()),
    };
    if let Err(e) = client
        .get_sampling_targets()
        .sampling_statistics_documents(statistics)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("GetSamplingTargets", target.clone(), e))
    {
        return aws_failure("X-Ray", "xray", e, policy);
    }
    let link = format!(
        "https://{0}.console.aws.amazon.com/cloudwatch/home?region={0}#xray:traces/{trace_id}",
        aws.region
    );
    // Read it back: summaries with the group's filter, then the trace itself.
    let deadline = Instant::now() + wait;
    loop {
        let summaries = client
            .get_trace_summaries()
            .start_time(DateTime::from_secs(now as i64 - 300))
            .end_time(DateTime::from_secs(now as i64 + 60))
            .filter_expression(filter)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetTraceSummaries", target.clone(), e));
        let found = match summaries {
            Err(e) => return aws_failure("X-Ray", "xray", e, policy),
            Ok(out) => out
                .trace_summaries()
                .iter()
                .any(|s| s.id() == Some(trace_id.as_str())),
        };
        if found {
            let traces = client
                .batch_get_traces()
                .trace_ids(&trace_id)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("BatchGetTraces", target.clone(), e));
            match traces {
                Err(e) => return aws_failure("X-Ray", "xray", e, policy),
                Ok(out)
                    if out
                        .traces()
                        .iter()
                        .any(|t| t.id() == Some(trace_id.as_str())) =>
                {
                    let mut r = PartResult::new(
                        "X-Ray",
                        Verdict::Passed,
                        format!("segment for {service} written and read back (trace {trace_id}, filter {filter}); sampling rules and targets readable"),
                    );
                    r.link = Some(link);
                    return r;
                }
                Ok(_) => {}
            }
        }
        if Instant::now() >= deadline {
            let mut r = PartResult::new(
                "X-Ray",
                Verdict::NotYetVisible,
                format!("segment accepted (trace {trace_id}), not yet visible with filter {filter} after {}s", wait.as_secs()),
            )
            .hint("X-Ray indexes traces within about a minute: run verify again, or open the link");
            r.link = Some(link);
            return r;
        }
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
}

/// CloudWatch Logs: one event into `cruddur-obs-verify`, read back.
pub(crate) async fn logs(aws: &Aws, group: &str, wait: Duration, policy: &Value) -> PartResult {
    use aws_sdk_cloudwatchlogs::types::InputLogEvent;
    let client = aws_sdk_cloudwatchlogs::Client::new(&aws.sdk);
    let target = aws.endpoint_label("CloudWatch Logs");
    let created = client
        .create_log_stream()
        .log_group_name(group)
        .log_stream_name(LOG_STREAM)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("CreateLogStream", target.clone(), e));
    if let Err(e) = created {
        let code = match e.failure() {
            Some(CallFailure::Service { code }) => code.clone(),
            _ => String::new(),
        };
        match code.as_str() {
            "ResourceAlreadyExistsException" => {}
            "ResourceNotFoundException" => {
                return PartResult::new(
                    "CloudWatch Logs",
                    Verdict::Failed,
                    format!("the log group {group} does not exist in {}", aws.region),
                )
                .hint(format!(
                    "cruddur-obs logs create-group {group} (the app never creates it)"
                ));
            }
            _ => return aws_failure("CloudWatch Logs", "logs", e, policy),
        }
    }
    let message = format!("cruddur-obs verify {}", crate::secret::random_hex(8));
    let event = InputLogEvent::builder()
        .timestamp((now_secs() * 1000.0) as i64)
        .message(&message)
        .build();
    let event = match event {
        Ok(e) => e,
        Err(e) => return PartResult::new("CloudWatch Logs", Verdict::Failed, e.to_string()),
    };
    if let Err(e) = client
        .put_log_events()
        .log_group_name(group)
        .log_stream_name(LOG_STREAM)
        .log_events(event)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("PutLogEvents", target.clone(), e))
    {
        return aws_failure("CloudWatch Logs", "logs", e, policy);
    }
    let link = format!(
        "https://{0}.console.aws.amazon.com/cloudwatch/home?region={0}#logsV2:log-groups/log-group/{1}/log-events/{LOG_STREAM}",
        aws.region,
        group.replace('/', "$252F")
    );
    let deadline = Instant::now() + wait;
    loop {
        let read = client
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(LOG_STREAM)
            .start_from_head(false)
            .limit(50)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetLogEvents", target.clone(), e));
        match read {
            Err(e) => return aws_failure("CloudWatch Logs", "logs", e, policy),
            Ok(out)
                if out
                    .events()
                    .iter()
                    .any(|e| e.message() == Some(message.as_str())) =>
            {
                let mut r = PartResult::new(
                    "CloudWatch Logs",
                    Verdict::Passed,
                    format!("event written to {group}/{LOG_STREAM} and read back"),
                );
                r.link = Some(link);
                return r;
            }
            Ok(_) => {}
        }
        if Instant::now() >= deadline {
            let mut r = PartResult::new(
                "CloudWatch Logs",
                Verdict::NotYetVisible,
                format!(
                    "event accepted by {group}, not yet readable after {}s",
                    wait.as_secs()
                ),
            );
            r.link = Some(link);
            return r;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A part that could not run, from an error.
pub(crate) fn failed(part: &'static str, e: &Error) -> PartResult {
    let outcome = if e.exit_code() == exit::AUTH {
        Verdict::Denied
    } else {
        Verdict::Failed
    };
    let r = PartResult::new(part, outcome, e.to_string());
    match e.help() {
        Some(h) => r.hint(h),
        None => r,
    }
}

/// A chosen part without its key or token.
pub(crate) fn not_configured(part: &'static str, what: &str) -> PartResult {
    PartResult::new(
        part,
        Verdict::NotConfigured,
        format!("{what} is not set: not verified"),
    )
    .hint(format!(
        "set {what}, or pass --without {}",
        part.to_ascii_lowercase().replace(' ', "-")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exit_code_is_the_worst_part() {
        let report = |outcomes: &[Verdict]| VerifyReport {
            region: None,
            credentials: None,
            request: None,
            parts: outcomes
                .iter()
                .map(|o| PartResult::new("X", *o, ""))
                .collect(),
        };
        assert_eq!(report(&[Verdict::Passed, Verdict::Passed]).exit_code(), 0);
        assert_eq!(
            report(&[Verdict::Passed, Verdict::NotYetVisible]).exit_code(),
            3
        );
        assert_eq!(
            report(&[Verdict::Failed, Verdict::NotYetVisible]).exit_code(),
            1
        );
        assert_eq!(report(&[Verdict::Failed, Verdict::Denied]).exit_code(), 4);
        assert_eq!(report(&[Verdict::NotConfigured]).exit_code(), 1);
    }
}
