//! `cruddur-obs export`: the cloud side of the setup (X-Ray group and sampling rule,
//! CloudWatch Logs log groups, optionally an IAM policy) as a CloudFormation template
//! (YAML) and as Terraform configuration (HCL), for teams that manage AWS with those tools.
//!
//! Everything here is pure: no I/O, no printing, and the same input always gives the same
//! bytes (no timestamps; maps are ordered).
//!
//! Property and argument names were checked against the CloudFormation resource schemas
//! shipped with cfn-lint 1.58 (`AWS::XRay::Group`, `AWS::XRay::SamplingRule`,
//! `AWS::Logs::LogGroup`, `AWS::IAM::ManagedPolicy`) and the hashicorp/aws provider
//! documentation (`aws_xray_group`, `aws_xray_sampling_rule`, `aws_cloudwatch_log_group`).
//!
//! Notes on choices:
//! - The YAML uses the long forms `Fn::Sub` / `Fn::GetAtt` / `Ref` instead of the `!Sub`
//!   short tags, so any YAML parser can read the template back.
//! - `RuleName` goes inside the `SamplingRule` property: the top-level `RuleName` of
//!   `AWS::XRay::SamplingRule` is deprecated in the resource schema.
//! - `SamplingRateBoost` is exported to CloudFormation (the schema has it), but not to
//!   Terraform: `aws_xray_sampling_rule` in the hashicorp/aws provider has no such argument,
//!   so the HCL carries a comment instead.
//! - Every CloudFormation resource has `DeletionPolicy: Retain` and
//!   `UpdateReplacePolicy: Retain`: resource import requires a `DeletionPolicy` on each
//!   imported resource, and cfn-lint (W3011) wants both together.

use std::collections::{BTreeMap, BTreeSet};

use crate::logs::LogGroupSpec;
use crate::xray::{GroupSpec, RuleSpec};

mod cloudformation;
#[cfg(test)]
mod fixtures;
mod terraform;

pub(crate) use cloudformation::{check_cloudformation, cloudformation, cloudformation_import};
pub(crate) use terraform::terraform;

/// The stack name used in the deploy instructions.
pub(crate) const STACK_NAME: &str = "cruddur-observability";
/// The template file name used in the deploy instructions.
pub(crate) const TEMPLATE_FILE: &str = "cruddur-obs.cfn.yaml";
/// The retention values CloudWatch Logs accepts (the `RetentionInDays` enum of the schema).
pub(crate) const RETENTION_DAYS: &[i32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

const GROUP_ID: &str = "CruddurGroup";
const RULE_ID: &str = "CruddurSamplingRule";
const POLICY_ID: &str = "CruddurObsPolicy";
const PARAM_SERVICE: &str = "ServiceName";
const PARAM_RETENTION: &str = "RetentionInDays";
const TF_GROUP: &str = "cruddur";
const TF_RULE: &str = "cruddur";
const TF_POLICY: &str = "cruddur_obs";
const TF_VAR_SERVICE: &str = "service_name";
const TF_VAR_RETENTION: &str = "retention_in_days";
/// Longest log-group-derived part of a logical id (CloudFormation allows 255 in all).
const MAX_ID_PART: usize = 200;

/// What to export.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExportInput {
    pub group: Option<GroupSpec>,
    pub rule: Option<RuleSpec>,
    pub log_groups: Vec<LogGroupSpec>,
    /// An IAM policy document, exported as `AWS::IAM::ManagedPolicy` / `aws_iam_policy`.
    pub iam_policy: Option<serde_json::Value>,
    /// The traced service, e.g. `backend-flask`; becomes a parameter / variable.
    pub service_name: String,
    /// The template's file, as the deploy commands in its header name it
    /// (`--out`, else [`TEMPLATE_FILE`]).
    pub template_file: String,
}

/// Objects that already exist in the account (to adopt instead of creating).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ExistingIds {
    pub group_arn: Option<String>,
    pub rule_arn: Option<String>,
    /// Log group names.
    pub log_groups: Vec<String>,
}

/// The `--capabilities` value `aws cloudformation deploy` needs for this input, if any.
/// The managed policy has no fixed name, so `CAPABILITY_IAM` is enough.
pub(crate) fn required_capability(input: &ExportInput) -> Option<&'static str> {
    input.iam_policy.as_ref().map(|_| "CAPABILITY_IAM")
}

struct PlannedLogGroup<'a> {
    spec: &'a LogGroupSpec,
    cfn_id: String,
    cfn_output: String,
    tf_label: String,
    /// Whether `RetentionInDays` / `var.retention_in_days` stands for its retention.
    retention_param: bool,
}

struct Plan<'a> {
    input: &'a ExportInput,
    log_groups: Vec<PlannedLogGroup<'a>>,
    /// The service name is written as `"<service>"` in the group's filter expression.
    service_in_filter: bool,
    /// The rule's ServiceName is the service name.
    service_in_rule: bool,
    /// The default of the retention parameter, when one is emitted.
    retention_default: Option<i32>,
}

impl<'a> Plan<'a> {
    fn new(input: &'a ExportInput) -> Plan<'a> {
        // One resource per log group name: a second spec with the same name would only
        // make CloudFormation and Terraform fail.
        let mut seen = BTreeSet::new();
        let specs: Vec<&LogGroupSpec> = input
            .log_groups
            .iter()
            .filter(|s| seen.insert(s.name.as_str()))
            .collect();

        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        let mut used: BTreeSet<String> =
            [GROUP_ID, RULE_ID, POLICY_ID, PARAM_SERVICE, PARAM_RETENTION]
                .iter()
                .map(|s| s.to_string())
                .collect();
        let cfn_ids = unique_ids(&names, cfn_base, false, &mut used);
        let mut tf_used = BTreeSet::new();
        let tf_labels = unique_ids(&names, tf_base, true, &mut tf_used);
        // Output ids share the template's namespace; allocate them after all resources.
        let cfn_outputs: Vec<String> = cfn_ids
            .iter()
            .map(|id| take_unique(format!("{id}Name"), &mut used))
            .collect();

        let retention_default = specs
            .first()
            .map(|s| s.retention_days)
            .filter(|d| RETENTION_DAYS.contains(d));
        let log_groups = specs
            .into_iter()
            .zip(cfn_ids)
            .zip(cfn_outputs)
            .zip(tf_labels)
            .map(|(((spec, cfn_id), cfn_output), tf_label)| PlannedLogGroup {
                retention_param: Some(spec.retention_days) == retention_default,
                spec,
                cfn_id,
                cfn_output,
                tf_label,
            })
            .collect();

        let svc = input.service_name.as_str();
        let service_in_filter = !svc.is_empty()
            && input
                .group
                .as_ref()
                .is_some_and(|g| g.filter_expression.contains(&quoted_service(svc)));
        let service_in_rule = !svc.is_empty()
            && input
                .rule
                .as_ref()
                .is_some_and(|r| r.rule.service_name == svc);
        Plan {
            input,
            log_groups,
            service_in_filter,
            service_in_rule,
            retention_default,
        }
    }

    fn uses_service_param(&self) -> bool {
        self.service_in_filter || self.service_in_rule
    }

    fn log_group_by_name(&self, name: &str) -> Option<&PlannedLogGroup<'a>> {
        self.log_groups.iter().find(|lg| lg.spec.name == name)
    }
}

fn quoted_service(service: &str) -> String {
    format!("\"{service}\"")
}

/// `LogGroup` + the name in PascalCase with everything but ASCII letters and digits dropped.
fn cfn_base(name: &str) -> (String, bool) {
    let mut out = String::from("LogGroup");
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    truncate_id(out)
}

/// The name in lower snake case; prefixed when it would not start with a letter.
fn tf_base(name: &str) -> (String, bool) {
    let parts: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| p.to_ascii_lowercase())
        .collect();
    let mut out = parts.join("_");
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert_str(0, "log_group_");
        if out.ends_with('_') {
            out.pop();
        }
    }
    truncate_id(out)
}

fn truncate_id(mut id: String) -> (String, bool) {
    if id.len() > MAX_ID_PART {
        id.truncate(MAX_ID_PART); // ASCII only, so any index is a char boundary
        (id, true)
    } else {
        (id, false)
    }
}

/// Stable, unique ids: the base id for the first name that has it (in input order, so
/// appending a log group never renames an existing one); for a later name with the same
/// base, or a truncated base, the base plus a hash of the name; a counter as the last resort.
fn unique_ids(
    names: &[&str],
    base: fn(&str) -> (String, bool),
    snake: bool,
    used: &mut BTreeSet<String>,
) -> Vec<String> {
    let mut bases_seen = BTreeSet::new();
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let (b, truncated) = base(name);
        let id = if truncated || !bases_seen.insert(b.clone()) {
            let h = fnv1a32(name);
            if snake {
                format!("{b}_{h:08x}")
            } else {
                format!("{b}{h:08X}")
            }
        } else {
            b
        };
        ids.push(take_unique(id, used));
    }
    ids
}

fn take_unique(id: String, used: &mut BTreeSet<String>) -> String {
    let mut candidate = id.clone();
    let mut n = 2u32;
    while used.contains(&candidate) {
        candidate = format!("{id}{n}");
        n += 1;
    }
    used.insert(candidate.clone());
    candidate
}

fn fnv1a32(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Tags for a tool-managed copy: `managed-by=cruddur-obs` (or no `managed-by`) becomes
/// `managed-by=<tool>`, and `project=cruddur` is added when there is no `project` tag.
fn export_tags(tags: &BTreeMap<String, String>, tool: &str) -> BTreeMap<String, String> {
    let mut out = tags.clone();
    match out.get("managed-by").map(String::as_str) {
        None | Some("cruddur-obs") => {
            out.insert("managed-by".into(), tool.into());
        }
        Some(_) => {}
    }
    out.entry("project".into())
        .or_insert_with(|| "cruddur".into());
    out
}

/// Decimal text without exponent, always with a fractional part (`1` → `1.0`).
fn float_text(f: f64) -> String {
    let s = format!("{f}");
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use serde_json::json;

    #[test]
    fn output_is_deterministic() {
        for (_, input) in combos() {
            let existing = ExistingIds {
                group_arn: Some("arn:aws:xray:us-east-1:123456789012:group/Cruddur/ABC".into()),
                rule_arn: Some("arn:aws:xray:us-east-1:123456789012:sampling-rule/Cruddur".into()),
                log_groups: input.log_groups.iter().map(|l| l.name.clone()).collect(),
            };
            let copy = input.clone();
            assert_eq!(cloudformation(&input), cloudformation(&copy));
            assert_eq!(
                cloudformation_import(&input, &existing),
                cloudformation_import(&copy, &existing.clone())
            );
            assert_eq!(
                terraform(&input, &existing),
                terraform(&copy, &existing.clone())
            );
        }
    }

    #[test]
    fn tags_say_who_manages_the_copy() {
        assert_eq!(
            export_tags(&default_tags(), "cloudformation"),
            tags(&[("managed-by", "cloudformation"), ("project", "cruddur")])
        );
        // Other tags are kept; an explicit other manager is kept; project is added.
        assert_eq!(
            export_tags(&tags(&[("managed-by", "ops"), ("team", "x")]), "terraform"),
            tags(&[("managed-by", "ops"), ("project", "cruddur"), ("team", "x")])
        );
        assert_eq!(
            export_tags(&tags(&[("project", "other")]), "terraform"),
            tags(&[("managed-by", "terraform"), ("project", "other")])
        );
        let doc = parse_yaml(&cloudformation(&default_input()));
        for id in [GROUP_ID, RULE_ID, "LogGroupCruddur"] {
            assert_eq!(
                cfn_tags_of(&doc["Resources"][id]["Properties"]["Tags"]),
                tags(&[("managed-by", "cloudformation"), ("project", "cruddur")]),
                "{id}"
            );
        }
        let tf = tf_eval(&terraform(&default_input(), &ExistingIds::default()));
        assert_eq!(
            tf["resource"]["aws_xray_group"]["cruddur"]["tags"],
            json!({"managed-by": "terraform", "project": "cruddur"})
        );
    }

    fn is_logical_id(id: &str) -> bool {
        !id.is_empty() && id.len() <= 255 && id.chars().all(|c| c.is_ascii_alphanumeric())
    }

    #[test]
    fn logical_ids_are_valid_unique_and_stable() {
        let long = "x".repeat(400);
        let names = [
            "cruddur",
            "Cruddur",
            "/cruddur/backend-flask",
            "cruddur_backend.flask",
            "cruddur-backend-flask",
            "2024/app",
            "#",
            "cruddur-name",
            long.as_str(),
        ];
        let mut input = default_input();
        input.log_groups = names.iter().map(|n| log_group(n, 7)).collect();
        let plan = Plan::new(&input);
        let mut all = BTreeSet::new();
        for id in [GROUP_ID, RULE_ID, POLICY_ID, PARAM_SERVICE, PARAM_RETENTION] {
            all.insert(id.to_string());
        }
        for lg in &plan.log_groups {
            assert!(is_logical_id(&lg.cfn_id), "{}", lg.cfn_id);
            assert!(is_logical_id(&lg.cfn_output), "{}", lg.cfn_output);
            assert!(all.insert(lg.cfn_id.clone()), "duplicate {}", lg.cfn_id);
            assert!(
                all.insert(lg.cfn_output.clone()),
                "duplicate {}",
                lg.cfn_output
            );
        }
        let labels: BTreeSet<&str> = plan
            .log_groups
            .iter()
            .map(|l| l.tf_label.as_str())
            .collect();
        assert_eq!(labels.len(), names.len());
        for l in &labels {
            assert!(l.starts_with(|c: char| c.is_ascii_alphabetic()), "{l}");
            assert!(
                l.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{l}"
            );
        }
        // A name that does not collide keeps the readable id.
        assert_eq!(plan.log_groups[7].cfn_id, "LogGroupCruddurName");
        // The first name keeps the readable id; later colliding names get a hash suffix.
        assert_eq!(plan.log_groups[0].cfn_id, "LogGroupCruddur");
        assert_eq!(plan.log_groups[2].cfn_id, "LogGroupCruddurBackendFlask");
        let later = plan.log_groups[3].cfn_id.clone();
        assert!(
            later.starts_with("LogGroupCruddurBackendFlask") && later.len() == 35,
            "{later}"
        );
        // Appending log groups never renames the existing ones.
        let before: Vec<String> = plan.log_groups.iter().map(|l| l.cfn_id.clone()).collect();
        input.log_groups.push(log_group("CRUDDUR", 7));
        input.log_groups.push(log_group("cruddur.backend.flask", 7));
        let after = Plan::new(&input);
        let after: Vec<String> = after.log_groups.iter().map(|l| l.cfn_id.clone()).collect();
        assert_eq!(after[..before.len()], before[..]);
        // The default names stay simple.
        let defaults = default_input();
        let plan = Plan::new(&defaults);
        assert_eq!(plan.log_groups[0].cfn_id, "LogGroupCruddur");
        assert_eq!(plan.log_groups[0].tf_label, "cruddur");
    }

    #[test]
    fn service_name_parameter_only_when_used() {
        let doc = parse_yaml(&cloudformation(&default_input()));
        assert_eq!(doc["Parameters"][PARAM_SERVICE]["Default"], "backend-flask");
        assert_eq!(
            doc["Resources"][GROUP_ID]["Properties"]["FilterExpression"],
            json!({"Fn::Sub": "service(\"${ServiceName}\")"})
        );
        assert_eq!(
            doc["Resources"][RULE_ID]["Properties"]["SamplingRule"]["ServiceName"],
            json!({"Ref": "ServiceName"})
        );
        assert_eq!(doc["Parameters"][PARAM_RETENTION]["Default"], 7);
        assert_eq!(
            doc["Parameters"][PARAM_RETENTION]["AllowedValues"],
            json!(RETENTION_DAYS)
        );

        let combos = combos();
        let no_params = &combos
            .iter()
            .find(|(n, _)| *n == "no-parameters")
            .unwrap()
            .1;
        let text = cloudformation(no_params);
        assert!(!text.contains("\nParameters:"), "{text}");
        let tf = terraform(no_params, &ExistingIds::default());
        assert!(!tf.contains("variable "), "{tf}");

        // A literal `${` in the filter survives Fn::Sub.
        let odd = &combos
            .iter()
            .find(|(n, _)| *n == "insights-off-odd-filter")
            .unwrap()
            .1;
        let doc = parse_yaml(&cloudformation(odd));
        let sub = doc["Resources"][GROUP_ID]["Properties"]["FilterExpression"]["Fn::Sub"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(sub.contains("\"${!stage}\""), "{sub}");
    }
}
