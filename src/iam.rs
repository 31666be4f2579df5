//! The least-privilege IAM policy the app needs at run time: the X-Ray daemon (or
//! collector) and the X-Ray SDK send segments and read sampling rules; watchtower
//! writes log events into the log groups that cruddur-obs created (never creates
//! them). Pure: the same inputs give the same document.

use serde_json::{json, Value};

/// X-Ray actions the daemon and the SDK call. X-Ray supports no resource-level
/// permissions for them, so their resource is `*`.
pub(crate) const XRAY_ACTIONS: &[&str] = &[
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
];

/// CloudWatch Logs actions watchtower calls, scoped to the app's log groups.
pub(crate) const LOGS_ACTIONS: &[&str] = &[
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "logs:DescribeLogStreams",
];

/// The policy for the chosen parts. `region`/`account` narrow the log group ARNs
/// (`*` when unknown).
pub(crate) fn app_policy(
    xray: bool,
    log_groups: &[String],
    region: Option<&str>,
    account: Option<&str>,
) -> Value {
    let mut statements = Vec::new();
    if xray {
        statements.push(json!({
            "Sid": "XRayWriteTraces",
            "Effect": "Allow",
            "Action": XRAY_ACTIONS,
            "Resource": "*",
        }));
    }
    if !log_groups.is_empty() {
        let region = region.unwrap_or("*");
        let account = account.unwrap_or("*");
        let resources: Vec<String> = log_groups
            .iter()
            .flat_map(|name| {
                let group = format!("arn:aws:logs:{region}:{account}:log-group:{name}");
                [group.clone(), format!("{group}:log-stream:*")]
            })
            .collect();
        statements.push(json!({
            "Sid": "CloudWatchLogsWriteAppLogs",
            "Effect": "Allow",
            "Action": LOGS_ACTIONS,
            "Resource": resources,
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// Which of our actions an `AccessDenied` message names, if any (AWS messages say
/// `... is not authorized to perform: logs:PutLogEvents on resource: ...`).
pub(crate) fn denied_action(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("perform: ")?;
    let action: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == ':')
        .collect();
    (!action.is_empty()).then_some(action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_groups_are_scoped_and_xray_is_star() {
        let p = app_policy(
            true,
            &["cruddur".into()],
            Some("ca-central-1"),
            Some("123456789012"),
        );
        assert_eq!(p["Statement"][0]["Resource"], "*");
        assert_eq!(
            p["Statement"][1]["Resource"],
            json!([
                "arn:aws:logs:ca-central-1:123456789012:log-group:cruddur",
                "arn:aws:logs:ca-central-1:123456789012:log-group:cruddur:log-stream:*"
            ])
        );
        let only_logs = app_policy(false, &["a".into()], None, None);
        assert_eq!(only_logs["Statement"].as_array().unwrap().len(), 1);
        assert_eq!(
            only_logs["Statement"][0]["Resource"][0],
            "arn:aws:logs:*:*:log-group:a"
        );
    }

    #[test]
    fn the_denied_action_is_read_from_aws_messages() {
        let m = "User: arn:aws:iam::1:user/x is not authorized to perform: logs:PutLogEvents on resource: arn";
        assert_eq!(denied_action(m).as_deref(), Some("logs:PutLogEvents"));
        assert_eq!(denied_action("nothing here"), None);
    }
}
