//! Inputs shared by the export tests, and readers of the outputs (YAML, HCL).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{ExportInput, TEMPLATE_FILE};
use crate::logs::{LogClass, LogGroupSpec};
use crate::xray::{GroupSpec, RuleSpec, SamplingRateBoost, SamplingRule};

pub(super) fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(super) fn default_tags() -> BTreeMap<String, String> {
    tags(&[("project", "cruddur"), ("managed-by", "cruddur-obs")])
}

pub(super) fn default_rule() -> SamplingRule {
    SamplingRule {
        rule_name: Some("Cruddur".into()),
        rule_arn: None,
        resource_arn: "*".into(),
        priority: 9000,
        fixed_rate: 0.1,
        reservoir_size: 5,
        service_name: "backend-flask".into(),
        service_type: "*".into(),
        host: "*".into(),
        http_method: "*".into(),
        url_path: "*".into(),
        version: 1,
        attributes: BTreeMap::new(),
        sampling_rate_boost: None,
    }
}

pub(super) fn log_group(name: &str, days: i32) -> LogGroupSpec {
    LogGroupSpec {
        name: name.into(),
        retention_days: days,
        class: None,
        kms_key_id: None,
        tags: default_tags(),
    }
}

pub(super) fn default_input() -> ExportInput {
    ExportInput {
        group: Some(GroupSpec {
            name: "Cruddur".into(),
            filter_expression: "service(\"backend-flask\")".into(),
            insights: None,
            tags: default_tags(),
        }),
        rule: Some(RuleSpec {
            name: "Cruddur".into(),
            rule: default_rule(),
            tags: default_tags(),
            source: "bundled rule".into(),
        }),
        log_groups: vec![log_group("cruddur", 7)],
        iam_policy: None,
        service_name: "backend-flask".into(),
        template_file: TEMPLATE_FILE.into(),
    }
}

pub(super) fn policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "XRayWrite",
                "Effect": "Allow",
                "Action": [
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets"
                ],
                "Resource": "*"
            },
            {
                "Sid": "LogsWrite",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "arn:aws:logs:*:*:log-group:cruddur:*"
            }
        ]
    })
}

pub(super) const KMS: &str =
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

pub(super) fn custom_rule_input() -> ExportInput {
    let mut input = default_input();
    let mut rule = default_rule();
    rule.rule_name = None;
    rule.service_name = "worker".into();
    rule.http_method = "GET".into();
    rule.url_path = "/api/*".into();
    rule.fixed_rate = 1.0;
    rule.attributes = tags(&[("tenant", "a: b"), ("x-y", "*")]);
    rule.sampling_rate_boost = Some(SamplingRateBoost {
        max_rate: 0.5,
        cooldown_window_minutes: 10,
    });
    input.rule = Some(RuleSpec {
        name: "CruddurApi".into(),
        rule,
        tags: tags(&[("managed-by", "someone-else"), ("team", "#ops: on-call")]),
        source: "rule.json".into(),
    });
    input
}

pub(super) fn many_log_groups_input() -> ExportInput {
    let mut input = default_input();
    input.log_groups = vec![
        log_group("cruddur", 14),
        LogGroupSpec {
            class: Some(LogClass::InfrequentAccess),
            kms_key_id: Some(KMS.into()),
            ..log_group("/cruddur/backend-flask", 14)
        },
        LogGroupSpec {
            class: Some(LogClass::Standard),
            ..log_group("cruddur_backend.flask", 30)
        },
        log_group("cruddur-backend-flask", 3653),
        log_group("Cruddur", 14),
        log_group("cruddur", 1), // duplicate name: dropped
    ];
    input
}

/// The option combinations the cfn-lint and round-trip tests go through.
pub(super) fn combos() -> Vec<(&'static str, ExportInput)> {
    let mut insights_on = default_input();
    if let Some(g) = insights_on.group.as_mut() {
        g.insights = Some(true);
    }
    let mut insights_off = default_input();
    if let Some(g) = insights_off.group.as_mut() {
        g.insights = Some(false);
        g.filter_expression =
            "service(\"backend-flask\") AND annotation.env = \"${stage}\" AND http.url CONTAINS \"#a: b\"".into();
    }
    let mut no_rule = default_input();
    no_rule.rule = None;
    let mut with_policy = default_input();
    with_policy.iam_policy = Some(policy());
    let mut no_params = default_input();
    no_params.rule = None;
    no_params.log_groups.clear();
    if let Some(g) = no_params.group.as_mut() {
        g.filter_expression = "responsetime > 5".into();
    }
    let mut everything = many_log_groups_input();
    everything.iam_policy = Some(policy());
    everything.rule = custom_rule_input().rule;
    vec![
        ("defaults", default_input()),
        ("insights-on", insights_on),
        ("insights-off-odd-filter", insights_off),
        ("no-rule", no_rule),
        ("log-groups", many_log_groups_input()),
        ("iam-policy", with_policy),
        ("custom-rule", custom_rule_input()),
        ("no-parameters", no_params),
        ("everything", everything),
    ]
}

pub(super) fn cfn_tags_of(v: &Value) -> BTreeMap<String, String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["Key"].as_str().unwrap().to_string(),
                t["Value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

pub(super) fn parse_yaml(text: &str) -> Value {
    match serde_saphyr::from_str::<Value>(text) {
        Ok(v) => v,
        Err(e) => panic!("template does not parse as YAML: {e}\n{text}"),
    }
}

fn contains(args: hcl::eval::FuncArgs) -> Result<hcl::Value, String> {
    let list = args[0].as_array().ok_or("contains: not a list")?;
    Ok(hcl::Value::Bool(list.contains(&args[1])))
}

fn jsonencode(args: hcl::eval::FuncArgs) -> Result<hcl::Value, String> {
    serde_json::to_string(&args[0])
        .map(hcl::Value::String)
        .map_err(|e| e.to_string())
}

/// Evaluates the configuration with hcl-rs: variables at their defaults, `contains` and
/// `jsonencode` as in Terraform, resource addresses as their own text.
pub(super) fn tf_eval(text: &str) -> Value {
    use hcl::eval::{Context, FuncDef, ParamType};
    let body = hcl::parse(text).unwrap_or_else(|e| panic!("HCL does not parse: {e}\n{text}"));
    let mut ctx = Context::new();
    let mut vars = hcl::Map::new();
    let mut addresses: BTreeMap<String, hcl::Map<String, hcl::Value>> = BTreeMap::new();
    for block in body.blocks() {
        let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
        match (block.identifier(), labels.as_slice()) {
            ("variable", [name]) => {
                let default = block
                    .body()
                    .attributes()
                    .find(|a| a.key() == "default")
                    .map(|a| hcl::Value::from(a.expr().clone()))
                    .unwrap_or(hcl::Value::Null);
                vars.insert(name.to_string(), default);
            }
            ("resource", [kind, label]) => {
                addresses
                    .entry(kind.to_string())
                    .or_default()
                    .insert(label.to_string(), format!("{kind}.{label}").into());
            }
            _ => {}
        }
    }
    ctx.declare_var("var", hcl::Value::Object(vars));
    // Type constraints (`type = string`) read as plain names.
    ctx.declare_var("string", "string");
    ctx.declare_var("number", "number");
    for (kind, labels) in addresses {
        ctx.declare_var(kind, hcl::Value::Object(labels));
    }
    ctx.declare_func(
        "contains",
        FuncDef::builder()
            .param(ParamType::array_of(ParamType::Any))
            .param(ParamType::Any)
            .build(contains),
    );
    ctx.declare_func(
        "jsonencode",
        FuncDef::builder().param(ParamType::Any).build(jsonencode),
    );
    hcl::eval::from_str(text, &ctx).unwrap_or_else(|e| panic!("HCL does not evaluate: {e}\n{text}"))
}

pub(super) fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Null => vec![],
        other => vec![other.clone()],
    }
}
