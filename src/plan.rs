//! The vocabulary shared by every module's planner and by the report: what a
//! resource needs ([`Step`]), the fields that differ ([`FieldDiff`]), and what
//! happened to it ([`Outcome`]).

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// One field whose value in the cloud differs from the desired one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldDiff {
    pub field: String,
    pub actual: Option<String>,
    pub desired: Option<String>,
}

impl FieldDiff {
    pub fn new(field: &str, actual: Option<String>, desired: Option<String>) -> FieldDiff {
        FieldDiff {
            field: field.to_string(),
            actual,
            desired,
        }
    }
}

impl fmt::Display for FieldDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
        write!(
            f,
            "{}: {} -> {}",
            self.field,
            show(&self.actual),
            show(&self.desired)
        )
    }
}

/// Desired tags missing or different on a resource. Extra tags are left alone:
/// someone else may have put them there.
pub(crate) fn tag_diffs(
    desired: &BTreeMap<String, String>,
    actual: Option<&BTreeMap<String, String>>,
) -> Vec<FieldDiff> {
    let empty = BTreeMap::new();
    let actual = actual.unwrap_or(&empty);
    desired
        .iter()
        .filter(|(k, v)| actual.get(*k) != Some(*v))
        .map(|(k, v)| {
            FieldDiff::new(
                &format!("Tags.{k}"),
                actual.get(k).cloned(),
                Some(v.clone()),
            )
        })
        .collect()
}

/// Splits `--tag KEY=VALUE` flags; the error is the first flag without a key.
pub(crate) fn split_tag_flags(flags: &[String]) -> Result<Vec<(String, String)>, String> {
    flags
        .iter()
        .map(|flag| match flag.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(clip(flag)),
        })
        .collect()
}

/// How many characters of a value an error message echoes.
pub(crate) const CLIP_CHARS: usize = 80;

/// `value` as an error message echoes it: its first [`CLIP_CHARS`] characters,
/// then `…` if there were more (a 10 MB name is not a 10 MB error line).
pub(crate) fn clip(value: &str) -> String {
    match value.char_indices().nth(CLIP_CHARS) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_string(),
    }
}

/// What a resource needs to reach the desired state.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Step {
    Create,
    InSync,
    Update {
        changes: Vec<FieldDiff>,
    },
    /// Differences we cannot fix (e.g. a property fixed at creation): reported only.
    Conflict {
        changes: Vec<FieldDiff>,
    },
    Delete,
    Absent,
    /// Present, but not created by cruddur-obs: never deleted by `destroy`.
    Foreign,
}

impl Step {
    /// `InSync` when nothing differs, else `Update`.
    pub fn from_changes(changes: Vec<FieldDiff>) -> Step {
        if changes.is_empty() {
            Step::InSync
        } else {
            Step::Update { changes }
        }
    }

    /// Whether the user must agree before this step is applied.
    pub fn needs_agreement(&self) -> bool {
        matches!(self, Step::Update { .. } | Step::Delete)
    }

    pub fn is_pending(&self) -> bool {
        !matches!(self, Step::InSync | Step::Absent | Step::Foreign)
    }

    pub fn changes(&self) -> &[FieldDiff] {
        match self {
            Step::Update { changes } | Step::Conflict { changes } => changes,
            _ => &[],
        }
    }

    /// The status this step reports when it is not applied.
    pub fn unapplied(&self, dry_run: bool) -> Status {
        match (self, dry_run) {
            (Step::Create, true) => Status::WouldCreate,
            (Step::Update { .. }, true) => Status::WouldUpdate,
            (Step::Delete, true) => Status::WouldDelete,
            (Step::Create, false) => Status::Missing,
            (Step::Update { .. }, false) => Status::Drifted,
            (Step::Delete, false) => Status::Present,
            (Step::Conflict { .. }, _) => Status::Conflict,
            (Step::InSync, _) => Status::InSync,
            (Step::Absent, _) => Status::Absent,
            (Step::Foreign, _) => Status::Foreign,
        }
    }
}

/// What a resource is, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    XrayGroup,
    XraySamplingRule,
    LogGroup,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::XrayGroup => "X-Ray group",
            Kind::XraySamplingRule => "X-Ray sampling rule",
            Kind::LogGroup => "CloudWatch log group",
        })
    }
}

/// Where a resource stands after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Created,
    Updated,
    Deleted,
    InSync,
    Absent,
    /// Present (a delete was not agreed to).
    Present,
    Missing,
    Drifted,
    /// Differs in a way the tool cannot change.
    Conflict,
    /// Not created by cruddur-obs, so left alone.
    Foreign,
    WouldCreate,
    WouldUpdate,
    WouldDelete,
}

impl Status {
    /// Whether this status leaves work to do (exit code 3).
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            Status::Missing
                | Status::Drifted
                | Status::Conflict
                | Status::Present
                | Status::WouldCreate
                | Status::WouldUpdate
                | Status::WouldDelete
        )
    }

    fn label(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Updated => "updated",
            Status::Deleted => "deleted",
            Status::InSync => "in sync",
            Status::Absent => "absent",
            Status::Foreign => "left alone (not created by cruddur-obs)",
            Status::Present => "present (not deleted)",
            Status::Missing => "missing",
            Status::Drifted => "drifted",
            Status::Conflict => "conflict (cannot be changed in place)",
            Status::WouldCreate => "would be created",
            Status::WouldUpdate => "would be updated",
            Status::WouldDelete => "would be deleted",
        }
    }
}

/// What happened to one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub kind: Kind,
    pub name: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldDiff>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.kind, self.name, self.status.label())?;
        if let Some(note) = &self.note {
            write!(f, " ({note})")?;
        }
        for change in &self.changes {
            write!(f, "\n    {change}")?;
        }
        Ok(())
    }
}

/// The result of a command: every resource's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Report {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub dry_run: bool,
    pub outcomes: Vec<Outcome>,
}

impl Report {
    pub(crate) fn is_pending(&self) -> bool {
        self.outcomes.iter().any(|o| o.status.is_pending())
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, outcome) in self.outcomes.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{outcome}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn long_values_are_cut_at_80_characters() {
        assert_eq!(clip("short"), "short");
        assert_eq!(clip(&"é".repeat(80)), "é".repeat(80));
        assert_eq!(clip(&"é".repeat(81)), format!("{}…", "é".repeat(80)));
    }
}
