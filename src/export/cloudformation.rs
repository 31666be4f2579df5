//! The CloudFormation template (YAML) and the resource import file (JSON).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{json, Map, Value};
use serde_saphyr::{FlowSeq, SpaceAfter};

use super::*;

/// Checks the input before [`cloudformation`]. Refuses what CloudFormation would not take as a literal: a sampling rule
/// attribute whose key is an intrinsic function (`Fn::ImportValue`, `Ref`, …) —
/// as the only key of a mapping, CloudFormation would evaluate it.
pub(crate) fn check_cloudformation(input: &ExportInput) -> Result<(), String> {
    let Some(spec) = &input.rule else {
        return Ok(());
    };
    for key in spec.rule.attributes.keys() {
        if key == "Ref" || key == "Condition" || key.starts_with("Fn::") {
            return Err(format!(
                "the sampling rule attribute {:?} is a CloudFormation function name: the template would evaluate it instead of keeping it as text; rename the attribute",
                crate::plan::clip(key)
            ));
        }
    }
    Ok(())
}

/// The CloudFormation template (YAML): the header comment, then the template written by
/// serde-saphyr, a blank line between sections and between their entries.
pub(crate) fn cloudformation(input: &ExportInput) -> String {
    let plan = Plan::new(input);
    let parameters = cfn_parameters(&plan);
    let outputs = cfn_outputs(&plan);
    let template = Template {
        format_version: "2010-09-09",
        description: SpaceAfter(
            "Cruddur observability: AWS X-Ray group and sampling rule, CloudWatch Logs log groups (exported by cruddur-obs)",
        ),
        parameters: Spaced(Section(parameters), true),
        resources: Spaced(Section(cfn_resources(&plan)), !outputs.is_empty()),
        outputs: Section(outputs),
    };
    let mut out = String::new();
    header_comment(&mut out, input, !template.parameters.0.is_empty());
    out.push('\n');
    out.push_str(&to_yaml(&template));
    out
}

/// `value` as block-style YAML. Serializing these plain structs, strings, numbers and
/// string-keyed maps does not fail; should it, the JSON form (also YAML, and a valid
/// template) is written instead.
fn to_yaml<T: Serialize>(value: &T) -> String {
    let options = serde_saphyr::ser_options! {
        // Long descriptions and filter expressions stay one quoted line each.
        prefer_block_scalars: false,
        // Sequence items indented under their key, as in the CloudFormation docs.
        compact_list_indent: false,
    };
    serde_saphyr::to_string_with_options(value, options)
        .or_else(|_| serde_json::to_string_pretty(value).map(|json| json + "\n"))
        .unwrap_or_default()
}

#[derive(Serialize)]
struct Template {
    #[serde(rename = "AWSTemplateFormatVersion")]
    format_version: &'static str,
    #[serde(rename = "Description")]
    description: SpaceAfter<&'static str>,
    #[serde(rename = "Parameters", skip_serializing_if = "Spaced::is_empty")]
    parameters: Spaced<Section<Parameter>>,
    #[serde(rename = "Resources")]
    resources: Spaced<Section<Resource>>,
    #[serde(rename = "Outputs", skip_serializing_if = "Section::is_empty")]
    outputs: Section<Output>,
}

/// Named entries in order, a blank line between them.
struct Section<T>(Vec<(String, T)>);

impl<T> Section<T> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T: Serialize> Serialize for Section<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let last = self.0.len().saturating_sub(1);
        s.collect_map(
            self.0
                .iter()
                .enumerate()
                .map(|(i, (k, v))| (k, Spaced(v, i < last))),
        )
    }
}

/// A value with a blank line after it when the flag is set.
struct Spaced<T>(T, bool);

impl<T> Spaced<Section<T>> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T: Serialize> Serialize for Spaced<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.1 {
            SpaceAfter(&self.0).serialize(s)
        } else {
            self.0.serialize(s)
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Parameter {
    #[serde(rename = "Type")]
    kind: &'static str,
    description: &'static str,
    default: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_length: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_values: Option<FlowSeq<&'static [i32]>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Resource {
    #[serde(rename = "Type")]
    kind: &'static str,
    deletion_policy: &'static str,
    update_replace_policy: &'static str,
    properties: Value,
}

/// A resource that stays when the stack is deleted or the resource replaced.
fn retained(kind: &'static str, properties: Value) -> Resource {
    Resource {
        kind,
        deletion_policy: "Retain",
        update_replace_policy: "Retain",
        properties,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    description: &'static str,
    value: Value,
}

fn header_comment(out: &mut String, input: &ExportInput, has_params: bool) {
    let cap = required_capability(input);
    let mut lines: Vec<String> = vec![
        "Cruddur observability: AWS X-Ray and CloudWatch Logs, as set up by cruddur-obs.".into(),
        "Generated by `cruddur-obs export cloudformation`; the same settings give the same file."
            .into(),
        String::new(),
        "Deploy:".into(),
        "  aws cloudformation deploy \\".into(),
        format!("    --template-file {} \\", input.template_file),
    ];
    match cap {
        Some(cap) => {
            lines.push(format!("    --stack-name {STACK_NAME} \\"));
            lines.push(format!("    --capabilities {cap}"));
        }
        None => lines.push(format!("    --stack-name {STACK_NAME}")),
    }
    if has_params {
        lines.push(
            "Per environment, add --parameter-overrides Name=value for the Parameters below."
                .into(),
        );
    }
    lines.extend([
        String::new(),
        "Adopt the objects cruddur-obs already created (resource import) instead of".into(),
        "failing on \"already exists\":".into(),
        "  cruddur-obs export cloudformation --import-file import.json".into(),
        "  aws cloudformation create-change-set \\".into(),
        format!("    --stack-name {STACK_NAME} \\"),
        "    --change-set-name cruddur-obs-import \\".into(),
        "    --change-set-type IMPORT \\".into(),
        "    --resources-to-import file://import.json \\".into(),
    ]);
    match cap {
        Some(cap) => {
            lines.push(format!(
                "    --template-body file://{} \\",
                input.template_file
            ));
            lines.push(format!("    --capabilities {cap}"));
        }
        None => lines.push(format!(
            "    --template-body file://{}",
            input.template_file
        )),
    }
    lines.extend([
        "  aws cloudformation wait change-set-create-complete \\".into(),
        format!("    --stack-name {STACK_NAME} --change-set-name cruddur-obs-import"),
        "  aws cloudformation execute-change-set \\".into(),
        format!("    --stack-name {STACK_NAME} --change-set-name cruddur-obs-import"),
        "Then run the deploy command above: it applies the tags (managed-by=cloudformation)".into(),
        "and creates whatever the import did not cover.".into(),
        "CloudFormation imports only resources that have a DeletionPolicy, so every resource"
            .into(),
        "here has DeletionPolicy: Retain and UpdateReplacePolicy: Retain (deleting the stack"
            .into(),
        "leaves the objects in place). An IMPORT change set may only add the resources it".into(),
        "imports: if this template also has resources that do not exist yet (a new log group,"
            .into(),
        "the IAM policy), leave them out of the template for the import step.".into(),
    ]);
    for line in lines {
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            out.push_str("# ");
            out.push_str(&line);
            out.push('\n');
        }
    }
}

fn cfn_parameters(plan: &Plan) -> Vec<(String, Parameter)> {
    let mut params = Vec::new();
    if plan.uses_service_param() {
        params.push((
            PARAM_SERVICE.to_string(),
            Parameter {
                kind: "String",
                description: "The service name the application reports to X-Ray",
                default: json!(plan.input.service_name),
                min_length: Some(1),
                allowed_values: None,
            },
        ));
    }
    if let Some(days) = plan.retention_default {
        params.push((
            PARAM_RETENTION.to_string(),
            Parameter {
                kind: "Number",
                description: "How many days CloudWatch Logs keeps the log events",
                default: json!(days),
                min_length: None,
                allowed_values: Some(FlowSeq(RETENTION_DAYS)),
            },
        ));
    }
    params
}

fn cfn_tags(tags: &BTreeMap<String, String>) -> Value {
    export_tags(tags, "cloudformation")
        .into_iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect()
}

/// The filter expression as an `Fn::Sub` over `ServiceName` (literal `${` escaped as `${!`).
fn cfn_filter(plan: &Plan, filter: &str) -> Value {
    if !plan.service_in_filter {
        return json!(filter);
    }
    let quoted = quoted_service(&plan.input.service_name);
    let sub = filter
        .split(quoted.as_str())
        .map(|piece| piece.replace("${", "${!"))
        .collect::<Vec<_>>()
        .join(&format!("\"${{{PARAM_SERVICE}}}\""));
    json!({"Fn::Sub": sub})
}

fn cfn_resources(plan: &Plan) -> Vec<(String, Resource)> {
    let mut resources = Vec::new();
    if let Some(group) = &plan.input.group {
        let mut p = Map::new();
        p.insert("GroupName".into(), json!(group.name));
        p.insert(
            "FilterExpression".into(),
            cfn_filter(plan, &group.filter_expression),
        );
        if let Some(insights) = group.insights {
            p.insert(
                "InsightsConfiguration".into(),
                json!({"InsightsEnabled": insights, "NotificationsEnabled": false}),
            );
        }
        p.insert("Tags".into(), cfn_tags(&group.tags));
        resources.push((
            GROUP_ID.to_string(),
            retained("AWS::XRay::Group", Value::Object(p)),
        ));
    }
    if let Some(spec) = &plan.input.rule {
        let r = &spec.rule;
        let service = if plan.service_in_rule {
            json!({"Ref": PARAM_SERVICE})
        } else {
            json!(r.service_name)
        };
        let mut rule = Map::new();
        rule.insert("RuleName".into(), json!(spec.name));
        rule.insert("ResourceARN".into(), json!(r.resource_arn));
        rule.insert("Priority".into(), json!(r.priority));
        rule.insert("FixedRate".into(), json!(r.fixed_rate));
        rule.insert("ReservoirSize".into(), json!(r.reservoir_size));
        rule.insert("ServiceName".into(), service);
        rule.insert("ServiceType".into(), json!(r.service_type));
        rule.insert("Host".into(), json!(r.host));
        rule.insert("HTTPMethod".into(), json!(r.http_method));
        rule.insert("URLPath".into(), json!(r.url_path));
        rule.insert("Version".into(), json!(r.version));
        if !r.attributes.is_empty() {
            rule.insert("Attributes".into(), json!(r.attributes));
        }
        if let Some(boost) = &r.sampling_rate_boost {
            rule.insert(
                "SamplingRateBoost".into(),
                json!({
                    "MaxRate": boost.max_rate,
                    "CooldownWindowMinutes": boost.cooldown_window_minutes,
                }),
            );
        }
        let p = json!({"SamplingRule": rule, "Tags": cfn_tags(&spec.tags)});
        resources.push((RULE_ID.to_string(), retained("AWS::XRay::SamplingRule", p)));
    }
    for lg in &plan.log_groups {
        let s = lg.spec;
        let retention = if lg.retention_param {
            json!({"Ref": PARAM_RETENTION})
        } else {
            json!(s.retention_days)
        };
        let mut p = Map::new();
        p.insert("LogGroupName".into(), json!(s.name));
        p.insert("RetentionInDays".into(), retention);
        if let Some(class) = s.class {
            p.insert("LogGroupClass".into(), json!(class.as_str()));
        }
        if let Some(key) = &s.kms_key_id {
            p.insert("KmsKeyId".into(), json!(key));
        }
        p.insert("Tags".into(), cfn_tags(&s.tags));
        resources.push((
            lg.cfn_id.clone(),
            retained("AWS::Logs::LogGroup", Value::Object(p)),
        ));
    }
    if let Some(policy) = &plan.input.iam_policy {
        // AWS::IAM::ManagedPolicy takes no Tags. No ManagedPolicyName: CloudFormation names
        // it, so CAPABILITY_IAM (not CAPABILITY_NAMED_IAM) is enough.
        let p = json!({
            "Description": "Permissions for the Cruddur observability setup (exported by cruddur-obs)",
            "PolicyDocument": policy,
        });
        resources.push((
            POLICY_ID.to_string(),
            retained("AWS::IAM::ManagedPolicy", p),
        ));
    }
    resources
}

fn cfn_outputs(plan: &Plan) -> Vec<(String, Output)> {
    let output = |description, value| Output { description, value };
    let get_att = |id: &str, attr: &str| json!({"Fn::GetAtt": [id, attr]});
    let mut outputs = Vec::new();
    if plan.input.group.is_some() {
        outputs.push((
            "GroupArn".to_string(),
            output("ARN of the X-Ray group", get_att(GROUP_ID, "GroupARN")),
        ));
    }
    if plan.input.rule.is_some() {
        outputs.push((
            "SamplingRuleArn".to_string(),
            output(
                "ARN of the X-Ray sampling rule",
                get_att(RULE_ID, "RuleARN"),
            ),
        ));
    }
    for lg in &plan.log_groups {
        outputs.push((
            lg.cfn_output.clone(),
            output("Name of the log group", json!({"Ref": lg.cfn_id})),
        ));
    }
    if plan.input.iam_policy.is_some() {
        outputs.push((
            "PolicyArn".to_string(),
            output("ARN of the IAM managed policy", json!({"Ref": POLICY_ID})),
        ));
    }
    outputs
}

#[derive(Serialize)]
struct ResourceToImport {
    #[serde(rename = "ResourceType")]
    resource_type: &'static str,
    #[serde(rename = "LogicalResourceId")]
    logical_resource_id: String,
    #[serde(rename = "ResourceIdentifier")]
    resource_identifier: BTreeMap<&'static str, String>,
}

/// The `--resources-to-import` JSON for `aws cloudformation create-change-set
/// --change-set-type IMPORT`, matching the logical ids of [`cloudformation`].
///
/// Identifier properties are each type's `primaryIdentifier` in the resource schema:
/// `GroupARN` (`AWS::XRay::Group`), `RuleARN` (`AWS::XRay::SamplingRule`), `LogGroupName`
/// (`AWS::Logs::LogGroup`). Existing objects the template does not describe (no group or
/// rule in the input, a log group name not in `input.log_groups`) are left out, since
/// CloudFormation can only import resources that are in the template.
pub(crate) fn cloudformation_import(input: &ExportInput, existing: &ExistingIds) -> String {
    let plan = Plan::new(input);
    let mut list = Vec::new();
    let one = |key: &'static str, value: &str| BTreeMap::from([(key, value.to_string())]);
    if let (Some(_), Some(arn)) = (&input.group, &existing.group_arn) {
        list.push(ResourceToImport {
            resource_type: "AWS::XRay::Group",
            logical_resource_id: GROUP_ID.into(),
            resource_identifier: one("GroupARN", arn),
        });
    }
    if let (Some(_), Some(arn)) = (&input.rule, &existing.rule_arn) {
        list.push(ResourceToImport {
            resource_type: "AWS::XRay::SamplingRule",
            logical_resource_id: RULE_ID.into(),
            resource_identifier: one("RuleARN", arn),
        });
    }
    let mut seen = BTreeSet::new();
    for name in &existing.log_groups {
        if let Some(lg) = plan.log_group_by_name(name) {
            if seen.insert(name.as_str()) {
                list.push(ResourceToImport {
                    resource_type: "AWS::Logs::LogGroup",
                    logical_resource_id: lg.cfn_id.clone(),
                    resource_identifier: one("LogGroupName", name),
                });
            }
        }
    }
    // Serializing plain structs, strings and string maps cannot fail.
    let mut text = serde_json::to_string_pretty(&list).unwrap_or_else(|_| "[]".into());
    text.push('\n');
    text
}

#[cfg(test)]
#[path = "cloudformation_tests.rs"]
mod tests;
