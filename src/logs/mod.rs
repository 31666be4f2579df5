//! CloudWatch Logs: the app's log groups, created up front with a retention and tags.
//!
//! watchtower creates the bootcamp's `cruddur` group lazily, with no retention: it is
//! kept, and billed, forever. This file is pure: it validates the desired groups
//! (CloudWatch accepts far less than moto does) and compares them with what AWS has.
//! [`api`] does the I/O, [`ops`] reads, plans and applies.

pub(crate) mod api;
pub(crate) mod ops;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::plan::{split_tag_flags, tag_diffs, FieldDiff, Step};

/// The group watchtower logs to in the bootcamp.
pub(crate) const DEFAULT_GROUP: &str = "cruddur";
/// A week: enough to debug, cheap to keep.
pub(crate) const DEFAULT_RETENTION_DAYS: i32 = 7;
/// The retention values CloudWatch Logs accepts.
pub(crate) const RETENTION_DAYS: &[i32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];
/// Tags every group we create carries, so `destroy` knows what is ours.
pub(crate) const DEFAULT_TAGS: &[(&str, &str)] =
    &[("project", "cruddur"), ("managed-by", "cruddur-obs")];
const MAX_TAGS: usize = 50;

/// Errors of the logs module (all about our input; AWS errors are [`crate::aws::AwsError`]).
#[derive(Debug, Clone, thiserror::Error)]
pub enum LogsError {
    #[error("invalid log group name {:?}: {reason}", crate::plan::clip(name))]
    Name { name: String, reason: String },
    #[error(
        "--retention-days {value} is not a retention CloudWatch Logs accepts; nearest: {nearest}"
    )]
    Retention { value: i64, nearest: String },
    #[error("invalid --tag {0:?}: expected KEY=VALUE")]
    TagSyntax(String),
    #[error("invalid tag {:?}: {reason}", crate::plan::clip(key))]
    Tag { key: String, reason: String },
    #[error("too many tags: {count}, and a log group takes at most {MAX_TAGS} (cruddur-obs adds {})", DEFAULT_TAGS.len())]
    TooManyTags { count: usize },
}

impl LogsError {
    pub fn help(&self) -> Option<String> {
        Some(match self {
            LogsError::Name { .. } => {
                "names are 1 to 512 of A-Z a-z 0-9 . - _ / # and may not start with aws/".into()
            }
            LogsError::Retention { .. } => format!(
                "allowed: {}",
                RETENTION_DAYS
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            LogsError::TagSyntax(_) => "write tags as --tag team=web".into(),
            LogsError::TooManyTags { .. } => format!(
                "pass at most {} --tag flags",
                MAX_TAGS - DEFAULT_TAGS.len()
            ),
            LogsError::Tag { .. } => {
                "keys are 1 to 128 and values 0 to 256 of letters, digits, spaces and _ . : / = + - @; keys may not start with aws:"
                    .into()
            }
        })
    }
}

/// The log group class, fixed at creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LogClass {
    Standard,
    InfrequentAccess,
}

impl LogClass {
    pub fn as_str(self) -> &'static str {
        match self {
            LogClass::Standard => "STANDARD",
            LogClass::InfrequentAccess => "INFREQUENT_ACCESS",
        }
    }
}

/// A desired log group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogGroupSpec {
    pub name: String,
    pub retention_days: i32,
    /// `None`: whatever class it has is fine.
    pub class: Option<LogClass>,
    /// `None`: whatever key it has is fine.
    pub kms_key_id: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// A log group as CloudWatch Logs reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObservedLogGroup {
    pub name: String,
    /// The ARN without the trailing `:*` (what TagResource takes).
    pub arn: String,
    pub retention_days: Option<i32>,
    pub class: Option<String>,
    pub kms_key_id: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
}

/// Checks a log group name: 1–512 of `[.\-_/#A-Za-z0-9]`, not starting with `aws/`.
pub(crate) fn validate_name(name: &str) -> Result<(), LogsError> {
    let err = |reason: &str| LogsError::Name {
        name: name.to_string(),
        reason: reason.to_string(),
    };
    if name.is_empty() || name.len() > 512 {
        return Err(err(&format!("{} characters, 1 to 512 allowed", name.len())));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || ".-_/#".contains(*c)))
    {
        return Err(err(&format!("{c:?} is not allowed")));
    }
    if name.starts_with("aws/") {
        return Err(err(
            "names starting with aws/ are reserved for AWS services",
        ));
    }
    Ok(())
}

/// Checks a retention against the values CloudWatch Logs accepts, naming the nearest.
pub(crate) fn validate_retention(days: i64) -> Result<i32, LogsError> {
    if let Some(&d) = RETENTION_DAYS.iter().find(|&&d| i64::from(d) == days) {
        return Ok(d);
    }
    let below = RETENTION_DAYS.iter().rev().find(|&&d| i64::from(d) < days);
    let above = RETENTION_DAYS.iter().find(|&&d| i64::from(d) > days);
    let nearest = match (below, above) {
        (Some(b), Some(a)) => format!("{b} or {a}"),
        (Some(b), None) => b.to_string(),
        (None, Some(a)) => a.to_string(),
        (None, None) => String::new(),
    };
    Err(LogsError::Retention {
        value: days,
        nearest,
    })
}

fn tag_chars_ok(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c))
}

/// The default tags plus `--tag` flags (flags win), checked against AWS's limits.
pub(crate) fn tags_from_flags(flags: &[String]) -> Result<BTreeMap<String, String>, LogsError> {
    let mut tags: BTreeMap<String, String> = DEFAULT_TAGS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tags.extend(split_tag_flags(flags).map_err(LogsError::TagSyntax)?);
    if tags.len() > MAX_TAGS {
        return Err(LogsError::TooManyTags { count: tags.len() });
    }
    for (key, value) in &tags {
        let reason = if key.chars().count() > 128 {
            Some("the key is longer than 128 characters")
        } else if value.chars().count() > 256 {
            Some("the value is longer than 256 characters")
        } else if key.starts_with("aws:") {
            Some("keys starting with aws: are reserved")
        } else if !tag_chars_ok(key) || !tag_chars_ok(value) {
            Some("only letters, digits, spaces and _ . : / = + - @ are allowed")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(LogsError::Tag {
                key: key.clone(),
                reason: reason.into(),
            });
        }
    }
    Ok(tags)
}

/// Builds and validates the desired groups (default: `cruddur`).
pub fn group_specs(
    names: &[String],
    retention_days: i64,
    class: Option<LogClass>,
    kms_key_id: Option<String>,
    tag_flags: &[String],
) -> Result<Vec<LogGroupSpec>, LogsError> {
    let retention_days = validate_retention(retention_days)?;
    let tags = tags_from_flags(tag_flags)?;
    let names = names_or_default(names)?;
    Ok(names
        .into_iter()
        .map(|name| LogGroupSpec {
            name,
            retention_days,
            class,
            kms_key_id: kms_key_id.clone(),
            tags: tags.clone(),
        })
        .collect())
}

/// Validated, de-duplicated names; `cruddur` when none are given.
pub(crate) fn names_or_default(names: &[String]) -> Result<Vec<String>, LogsError> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        validate_name(name)?;
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    if out.is_empty() {
        out.push(DEFAULT_GROUP.to_string());
    }
    Ok(out)
}

/// Compares a log group in CloudWatch with the desired one.
pub(crate) fn plan_log_group(spec: &LogGroupSpec, observed: Option<&ObservedLogGroup>) -> Step {
    let Some(group) = observed else {
        return Step::Create;
    };
    let mut fixed = Vec::new();
    if let Some(class) = spec.class {
        // CloudWatch reports no class for old groups: they are STANDARD.
        let actual = group.class.clone().unwrap_or_else(|| "STANDARD".into());
        if actual != class.as_str() {
            fixed.push(FieldDiff::new(
                "LogGroupClass",
                Some(actual),
                Some(class.as_str().into()),
            ));
        }
    }
    if spec.kms_key_id.is_some() && spec.kms_key_id != group.kms_key_id {
        fixed.push(FieldDiff::new(
            "KmsKeyId",
            group.kms_key_id.clone(),
            spec.kms_key_id.clone(),
        ));
    }
    if !fixed.is_empty() {
        return Step::Conflict { changes: fixed };
    }
    let mut changes = Vec::new();
    if group.retention_days != Some(spec.retention_days) {
        changes.push(FieldDiff::new(
            "RetentionInDays",
            Some(
                group
                    .retention_days
                    .map_or_else(|| "never expire".to_string(), |d| d.to_string()),
            ),
            Some(spec.retention_days.to_string()),
        ));
    }
    changes.extend(tag_diffs(&spec.tags, group.tags.as_ref()));
    Step::from_changes(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> LogGroupSpec {
        group_specs(&[], 7, None, None, &[]).unwrap().remove(0)
    }

    fn observed() -> ObservedLogGroup {
        ObservedLogGroup {
            name: "cruddur".into(),
            arn: "arn:aws:logs:us-east-1:1:log-group:cruddur".into(),
            retention_days: Some(7),
            class: Some("STANDARD".into()),
            kms_key_id: None,
            tags: Some(spec().tags),
        }
    }

    #[test]
    fn defaults_are_cruddur_a_week_and_our_tags() {
        let s = spec();
        assert_eq!(s.name, "cruddur");
        assert_eq!(s.retention_days, 7);
        assert_eq!(s.tags["project"], "cruddur");
        assert_eq!(s.tags["managed-by"], "cruddur-obs");
    }

    #[test]
    fn names_are_checked_like_cloudwatch_does() {
        assert!(validate_name("/cruddur/backend-flask#1").is_ok());
        for bad in ["", "aws/lambda/x", "has space", "ünï", &"a".repeat(513)] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        assert_eq!(
            validate_name("a b").unwrap_err().to_string(),
            "invalid log group name \"a b\": ' ' is not allowed"
        );
    }

    #[test]
    fn invalid_retention_names_the_nearest_valid_values() {
        assert_eq!(validate_retention(14).unwrap(), 14);
        let msg = |d| validate_retention(d).unwrap_err().to_string();
        assert!(msg(8).ends_with("nearest: 7 or 14"), "{}", msg(8));
        assert!(msg(0).ends_with("nearest: 1"), "{}", msg(0));
        assert!(msg(5000).ends_with("nearest: 3653"), "{}", msg(5000));
    }

    #[test]
    fn tags_are_limited() {
        assert!(tags_from_flags(&["aws:x=1".into()]).is_err());
        assert!(tags_from_flags(&["k=v!".into()]).is_err());
        assert!(tags_from_flags(&[format!("{}=v", "k".repeat(129))]).is_err());
        let many: Vec<String> = (0..49).map(|i| format!("k{i}=v")).collect();
        assert!(tags_from_flags(&many).is_err(), "49 + 2 defaults > 50");
        assert_eq!(
            tags_from_flags(&["project=other".into()]).unwrap()["project"],
            "other"
        );
    }

    #[test]
    fn plan_covers_create_sync_retention_tags_and_conflicts() {
        let s = spec();
        assert_eq!(plan_log_group(&s, None), Step::Create);
        assert_eq!(plan_log_group(&s, Some(&observed())), Step::InSync);

        let mut o = observed();
        o.retention_days = None;
        o.tags = Some(BTreeMap::new());
        let Step::Update { changes } = plan_log_group(&s, Some(&o)) else {
            panic!("expected an update")
        };
        let shown: Vec<String> = changes.iter().map(|c| c.to_string()).collect();
        assert_eq!(
            shown,
            [
                "RetentionInDays: never expire -> 7",
                "Tags.managed-by: (none) -> cruddur-obs",
                "Tags.project: (none) -> cruddur"
            ]
        );

        let mut s2 = s.clone();
        s2.class = Some(LogClass::InfrequentAccess);
        assert!(matches!(
            plan_log_group(&s2, Some(&observed())),
            Step::Conflict { .. }
        ));
        o = observed();
        o.class = None;
        s2.class = Some(LogClass::Standard);
        assert_eq!(plan_log_group(&s2, Some(&o)), Step::InSync);
    }
}
