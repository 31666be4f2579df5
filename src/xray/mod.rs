//! AWS X-Ray: the trace group and the sampling rule.
//!
//! This file is pure: it parses and validates the desired state (the awscli
//! `--cli-input-json` format, the group flags) and compares it with what AWS has,
//! producing a [`Step`]. [`api`] does the I/O through the SDK.

pub(crate) mod api;
pub(crate) mod ops;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::plan::{split_tag_flags, tag_diffs, FieldDiff, Step};

/// The group students create in week 2.
pub(crate) const DEFAULT_GROUP: &str = "Cruddur";
/// Which traces belong to the default group.
pub(crate) const DEFAULT_FILTER: &str = "service(\"backend-flask\")";
/// The bootcamp's `aws/json/xray.json`, compiled into the binary.
pub(crate) const BUNDLED_RULE: &str = include_str!("../../templates/xray-sampling-rule.json");
/// Name of the built-in rule and group, which can be neither created nor deleted.
pub(crate) const RESERVED_NAME: &str = "Default";

/// Errors of the X-Ray module (all about our input; AWS call errors are [`crate::aws::AwsError`]).
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum XrayError {
    #[error("{source_name} is not a valid sampling rule file: {message}")]
    RuleFile {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: {field} = {value} is out of bounds: {limit}")]
    Invalid {
        source_name: String,
        field: String,
        value: String,
        limit: String,
    },
    #[error("invalid --tag {0:?}: expected KEY=VALUE")]
    TagSyntax(String),
    #[error(
        "\"Default\" is X-Ray's built-in {0}; cruddur-obs never creates, changes or deletes it"
    )]
    Reserved(&'static str),
}

impl XrayError {
    pub(crate) fn is_bad_input(&self) -> bool {
        true
    }

    pub(crate) fn help(&self) -> Option<String> {
        match self {
            XrayError::RuleFile { .. } => Some(
                "the file must look like `aws xray create-sampling-rule --generate-cli-skeleton`: {\"SamplingRule\": {...}, \"Tags\": [...]}"
                    .into(),
            ),
            XrayError::Invalid { field, .. } => Some(format!("fix {field} in the rule file")),
            XrayError::TagSyntax(_) => Some("write tags as --tag project=cruddur".into()),
            XrayError::Reserved(_) => Some("pick another name".into()),
        }
    }
}

/// The desired X-Ray group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct GroupSpec {
    pub name: String,
    pub filter_expression: String,
    /// `Some(true)` when Insights must be on; `None` when we do not care.
    pub insights: Option<bool>,
    pub tags: BTreeMap<String, String>,
}

/// A group as X-Ray reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ObservedGroup {
    pub name: String,
    pub arn: String,
    pub filter_expression: Option<String>,
    pub insights: bool,
    /// Tags, when they were read (only when the spec asks for some).
    pub tags: Option<BTreeMap<String, String>>,
}

/// An X-Ray sampling rule, in the field names of the AWS API and of awscli's JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub(crate) struct SamplingRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_name: Option<String>,
    #[serde(rename = "RuleARN", default, skip_serializing_if = "Option::is_none")]
    pub rule_arn: Option<String>,
    #[serde(rename = "ResourceARN")]
    pub resource_arn: String,
    pub priority: i64,
    pub fixed_rate: f64,
    pub reservoir_size: i64,
    pub service_name: String,
    pub service_type: String,
    pub host: String,
    #[serde(rename = "HTTPMethod")]
    pub http_method: String,
    #[serde(rename = "URLPath")]
    pub url_path: String,
    pub version: i64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling_rate_boost: Option<SamplingRateBoost>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub(crate) struct SamplingRateBoost {
    pub max_rate: f64,
    pub cooldown_window_minutes: i64,
}

/// One tag in awscli's JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub(crate) struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct RuleFile {
    sampling_rule: SamplingRule,
    #[serde(default)]
    tags: Vec<Tag>,
}

/// The desired sampling rule: the rule, its name, and its tags.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct RuleSpec {
    pub name: String,
    pub rule: SamplingRule,
    pub tags: BTreeMap<String, String>,
    /// Where the rule came from ("bundled rule" or the file path), for messages.
    pub source: String,
}

/// A sampling rule as X-Ray reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ObservedRule {
    pub arn: String,
    pub rule: SamplingRule,
    pub tags: Option<BTreeMap<String, String>>,
}

/// Parses and validates an awscli `--cli-input-json` sampling rule document.
pub(crate) fn parse_rule(text: &str, source_name: &str) -> Result<RuleSpec, XrayError> {
    let file: RuleFile = serde_json::from_str(text).map_err(|e| XrayError::RuleFile {
        source_name: source_name.to_string(),
        message: e.to_string(),
    })?;
    let invalid = |field: &str, value: String, limit: &str| XrayError::Invalid {
        source_name: source_name.to_string(),
        field: format!("SamplingRule.{field}"),
        value,
        limit: limit.to_string(),
    };
    let rule = file.sampling_rule;
    let name = match &rule.rule_name {
        Some(name) => name.clone(),
        None => {
            return Err(XrayError::RuleFile {
                source_name: source_name.to_string(),
                message:
                    "SamplingRule.RuleName is missing (cruddur-obs finds the rule by its name)"
                        .into(),
            })
        }
    };
    check_len(&name, 1, 32).map_err(|l| invalid("RuleName", quoted(&name), &l))?;
    if name == RESERVED_NAME {
        return Err(XrayError::Reserved("sampling rule"));
    }
    for (field, value, max) in [
        ("ResourceARN", &rule.resource_arn, 500),
        ("ServiceName", &rule.service_name, 64),
        ("ServiceType", &rule.service_type, 64),
        ("Host", &rule.host, 64),
        ("HTTPMethod", &rule.http_method, 10),
        ("URLPath", &rule.url_path, 128),
    ] {
        check_len(value, 0, max).map_err(|l| invalid(field, quoted(value), &l))?;
    }
    if !(1..=9999).contains(&rule.priority) {
        return Err(invalid(
            "Priority",
            rule.priority.to_string(),
            "must be 1 to 9999 (10000 belongs to the Default rule)",
        ));
    }
    if !(0.0..=1.0).contains(&rule.fixed_rate) {
        return Err(invalid(
            "FixedRate",
            rule.fixed_rate.to_string(),
            "must be 0 to 1",
        ));
    }
    if !(0..=i64::from(i32::MAX)).contains(&rule.reservoir_size) {
        return Err(invalid(
            "ReservoirSize",
            rule.reservoir_size.to_string(),
            "must be 0 or more",
        ));
    }
    if rule.version != 1 {
        return Err(invalid("Version", rule.version.to_string(), "must be 1"));
    }
    if rule.attributes.len() > 5 {
        return Err(invalid(
            "Attributes",
            format!("{} entries", rule.attributes.len()),
            "at most 5 entries",
        ));
    }
    for (key, value) in &rule.attributes {
        check_len(key, 1, 32).map_err(|l| invalid("Attributes key", quoted(key), &l))?;
        check_len(value, 1, 32).map_err(|l| {
            invalid(
                &format!("Attributes.{}", crate::plan::clip(key)),
                quoted(value),
                &l,
            )
        })?;
    }
    if let Some(boost) = &rule.sampling_rate_boost {
        if !(0.0..=1.0).contains(&boost.max_rate) {
            return Err(invalid(
                "SamplingRateBoost.MaxRate",
                boost.max_rate.to_string(),
                "must be 0 to 1",
            ));
        }
        if boost.cooldown_window_minutes < 0 {
            return Err(invalid(
                "SamplingRateBoost.CooldownWindowMinutes",
                boost.cooldown_window_minutes.to_string(),
                "must be 0 or more",
            ));
        }
    }
    let tags = tags_from_list(&file.tags).map_err(|(field, value, limit)| XrayError::Invalid {
        source_name: source_name.to_string(),
        field,
        value,
        limit,
    })?;
    Ok(RuleSpec {
        name,
        rule,
        tags,
        source: source_name.to_string(),
    })
}

/// The bundled rule (the bootcamp's `aws/json/xray.json`).
// Compiled in and checked by a unit test: it always parses.
#[allow(clippy::expect_used)]
pub(crate) fn bundled_rule() -> RuleSpec {
    parse_rule(BUNDLED_RULE, "bundled rule").expect("the bundled rule is valid")
}

/// Checks tags against X-Ray's limits: at most 200, keys 1–128, values 0–256 characters.
fn tags_from_list(tags: &[Tag]) -> Result<BTreeMap<String, String>, (String, String, String)> {
    if tags.len() > 200 {
        return Err((
            "Tags".into(),
            format!("{} tags", tags.len()),
            "at most 200".into(),
        ));
    }
    let mut map = BTreeMap::new();
    for tag in tags {
        check_len(&tag.key, 1, 128).map_err(|l| ("Tags.Key".into(), quoted(&tag.key), l))?;
        check_len(&tag.value, 0, 256).map_err(|l| {
            (
                format!("Tags.{}", crate::plan::clip(&tag.key)),
                quoted(&tag.value),
                l,
            )
        })?;
        map.insert(tag.key.clone(), tag.value.clone());
    }
    Ok(map)
}

/// Parses `--tag KEY=VALUE` flags.
pub(crate) fn parse_tag_flags(flags: &[String]) -> Result<BTreeMap<String, String>, XrayError> {
    let tags: Vec<Tag> = split_tag_flags(flags)
        .map_err(XrayError::TagSyntax)?
        .into_iter()
        .map(|(key, value)| Tag { key, value })
        .collect();
    tags_from_list(&tags).map_err(|(field, value, limit)| XrayError::Invalid {
        source_name: "--tag".into(),
        field,
        value,
        limit,
    })
}

/// Builds and validates the desired group.
pub(crate) fn group_spec(
    name: &str,
    filter_expression: &str,
    insights: bool,
    tag_flags: &[String],
) -> Result<GroupSpec, XrayError> {
    check_len(name, 1, 32).map_err(|limit| XrayError::Invalid {
        source_name: "--name".into(),
        field: "GroupName".into(),
        value: quoted(name),
        limit,
    })?;
    if name == RESERVED_NAME {
        return Err(XrayError::Reserved("group"));
    }
    Ok(GroupSpec {
        name: name.to_string(),
        filter_expression: filter_expression.to_string(),
        insights: insights.then_some(true),
        tags: parse_tag_flags(tag_flags)?,
    })
}

/// Compares a group in X-Ray with the desired one.
pub(crate) fn plan_group(spec: &GroupSpec, observed: Option<&ObservedGroup>) -> Step {
    let Some(group) = observed else {
        return Step::Create;
    };
    let mut changes = Vec::new();
    if group.filter_expression.as_deref() != Some(spec.filter_expression.as_str()) {
        changes.push(FieldDiff::new(
            "FilterExpression",
            group.filter_expression.clone(),
            Some(spec.filter_expression.clone()),
        ));
    }
    if let Some(want) = spec.insights {
        if group.insights != want {
            changes.push(FieldDiff::new(
                "InsightsEnabled",
                Some(group.insights.to_string()),
                Some(want.to_string()),
            ));
        }
    }
    changes.extend(tag_diffs(&spec.tags, group.tags.as_ref()));
    Step::from_changes(changes)
}

/// Compares a sampling rule in X-Ray with the desired one.
pub(crate) fn plan_rule(spec: &RuleSpec, observed: Option<&ObservedRule>) -> Step {
    let Some(observed) = observed else {
        return Step::Create;
    };
    let (a, d) = (&observed.rule, &spec.rule);
    let mut changes = Vec::new();
    let mut field = |name: &str, actual: String, desired: String| {
        if actual != desired {
            changes.push(FieldDiff::new(name, Some(actual), Some(desired)));
        }
    };
    field(
        "ResourceARN",
        a.resource_arn.clone(),
        d.resource_arn.clone(),
    );
    field("Priority", a.priority.to_string(), d.priority.to_string());
    field(
        "FixedRate",
        a.fixed_rate.to_string(),
        d.fixed_rate.to_string(),
    );
    field(
        "ReservoirSize",
        a.reservoir_size.to_string(),
        d.reservoir_size.to_string(),
    );
    field(
        "ServiceName",
        a.service_name.clone(),
        d.service_name.clone(),
    );
    field(
        "ServiceType",
        a.service_type.clone(),
        d.service_type.clone(),
    );
    field("Host", a.host.clone(), d.host.clone());
    field("HTTPMethod", a.http_method.clone(), d.http_method.clone());
    field("URLPath", a.url_path.clone(), d.url_path.clone());
    field(
        "Attributes",
        format!("{:?}", a.attributes),
        format!("{:?}", d.attributes),
    );
    field(
        "SamplingRateBoost",
        format!("{:?}", a.sampling_rate_boost),
        format!("{:?}", d.sampling_rate_boost),
    );
    changes.extend(tag_diffs(&spec.tags, observed.tags.as_ref()));
    Step::from_changes(changes)
}

fn check_len(value: &str, min: usize, max: usize) -> Result<(), String> {
    let n = value.chars().count();
    if n < min || n > max {
        Err(if min == 0 {
            format!("{n} characters, at most {max} allowed")
        } else {
            format!("{n} characters, {min} to {max} allowed")
        })
    } else {
        Ok(())
    }
}

fn quoted(value: &str) -> String {
    format!("{:?}", crate::plan::clip(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_json(field: &str, value: &str) -> String {
        let mut doc: serde_json::Value = serde_json::from_str(BUNDLED_RULE).unwrap();
        doc["SamplingRule"][field] = serde_json::from_str(value).unwrap();
        doc.to_string()
    }

    #[test]
    fn bundled_rule_matches_the_bootcamp_file() {
        let spec = bundled_rule();
        assert_eq!(spec.name, "Cruddur");
        assert_eq!(spec.rule.service_name, "backend-flask");
        assert_eq!(spec.rule.priority, 9000);
        assert_eq!(spec.rule.fixed_rate, 0.1);
    }

    #[test]
    fn out_of_bounds_values_name_field_value_and_limit() {
        let cases = [
            ("Priority", "0", "SamplingRule.Priority = 0 is out of bounds: must be 1 to 9999 (10000 belongs to the Default rule)"),
            ("FixedRate", "1.5", "SamplingRule.FixedRate = 1.5 is out of bounds: must be 0 to 1"),
            (
                "RuleName",
                "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
                "SamplingRule.RuleName = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" is out of bounds: 40 characters, 1 to 32 allowed",
            ),
            ("HTTPMethod", "\"GETGETGETGET\"", "SamplingRule.HTTPMethod = \"GETGETGETGET\" is out of bounds: 12 characters, at most 10 allowed"),
            ("Version", "2", "SamplingRule.Version = 2 is out of bounds: must be 1"),
        ];
        for (field, value, expected) in cases {
            let err = parse_rule(&rule_json(field, value), "x.json").unwrap_err();
            assert_eq!(err.to_string(), format!("x.json: {expected}"), "{field}");
        }
    }

    #[test]
    fn missing_and_unknown_fields_are_named() {
        let mut doc: serde_json::Value = serde_json::from_str(BUNDLED_RULE).unwrap();
        doc["SamplingRule"]
            .as_object_mut()
            .unwrap()
            .remove("Priority");
        let err = parse_rule(&doc.to_string(), "x.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing field `Priority`"), "{err}");
        let err = parse_rule(&rule_json("Prority", "1"), "x.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `Prority`"), "{err}");
        let err = parse_rule("not json", "x.json").unwrap_err().to_string();
        assert!(
            err.starts_with("x.json is not a valid sampling rule file: expected"),
            "{err}"
        );
    }

    #[test]
    fn the_default_rule_is_reserved() {
        let err = parse_rule(&rule_json("RuleName", "\"Default\""), "x.json").unwrap_err();
        assert!(matches!(err, XrayError::Reserved("sampling rule")));
        assert!(matches!(
            group_spec("Default", "x", false, &[]),
            Err(XrayError::Reserved("group"))
        ));
    }

    #[test]
    fn group_plan_covers_create_sync_and_drift() {
        let spec = group_spec("Cruddur", DEFAULT_FILTER, false, &["team=a".into()]).unwrap();
        assert_eq!(plan_group(&spec, None), Step::Create);
        let mut observed = ObservedGroup {
            name: "Cruddur".into(),
            arn: "arn".into(),
            filter_expression: Some(DEFAULT_FILTER.into()),
            insights: true,
            tags: Some([("team".to_string(), "a".to_string())].into()),
        };
        assert_eq!(plan_group(&spec, Some(&observed)), Step::InSync);
        observed.filter_expression = Some("service(\"x\")".into());
        observed.tags = Some(BTreeMap::new());
        let Step::Update { changes } = plan_group(&spec, Some(&observed)) else {
            panic!("expected an update");
        };
        let fields: Vec<_> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["FilterExpression", "Tags.team"]);
    }

    #[test]
    fn rule_plan_ignores_extra_tags_and_reports_changed_fields() {
        let spec = bundled_rule();
        let mut observed = ObservedRule {
            arn: "arn".into(),
            rule: spec.rule.clone(),
            tags: Some([("other".to_string(), "x".to_string())].into()),
        };
        assert_eq!(plan_rule(&spec, Some(&observed)), Step::InSync);
        observed.rule.fixed_rate = 0.5;
        assert_eq!(
            plan_rule(&spec, Some(&observed)),
            Step::Update {
                changes: vec![FieldDiff::new(
                    "FixedRate",
                    Some("0.5".into()),
                    Some("0.1".into())
                )]
            }
        );
    }

    #[test]
    fn tag_flags_need_a_key() {
        assert!(parse_tag_flags(&["=x".into()]).is_err());
        assert!(parse_tag_flags(&["novalue".into()]).is_err());
        assert_eq!(
            parse_tag_flags(&["a=b=c".into()]).unwrap(),
            [("a".to_string(), "b=c".to_string())].into()
        );
    }
}
