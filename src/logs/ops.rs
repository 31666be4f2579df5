//! Read, plan and apply for each log group. Nothing here prompts: the caller
//! decides what is agreed.

use super::api::LogsApi;
use super::{plan_log_group, LogGroupSpec};
use crate::aws::{AwsError, CallFailure};
use crate::plan::{Kind, Outcome, Status, Step};

/// What the tool is asked to make true of one log group.
#[derive(Debug, Clone)]
pub enum Target {
    Present(LogGroupSpec),
    Gone(String),
}

impl Target {
    fn name(&self) -> &str {
        match self {
            Target::Present(spec) => &spec.name,
            Target::Gone(name) => name,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Planned {
    pub target: Target,
    pub step: Step,
    pub arn: Option<String>,
}

impl crate::plan::Planned for Planned {
    fn step(&self) -> &Step {
        &self.step
    }

    fn unapplied(&self, dry_run: bool) -> Outcome {
        self.outcome(self.step.unapplied(dry_run), None)
    }
}

impl Planned {
    fn outcome(&self, status: Status, note: Option<String>) -> Outcome {
        Outcome {
            kind: Kind::LogGroup,
            name: self.target.name().to_string(),
            status,
            arn: self.arn.clone().filter(|a| !a.is_empty()),
            changes: self.step.changes().to_vec(),
            note,
        }
    }
}

/// Reads the group and decides what it needs.
pub async fn plan(api: &LogsApi, target: Target) -> Result<Planned, AwsError> {
    let (step, arn) = match &target {
        Target::Present(spec) => {
            let observed = api.find(&spec.name, !spec.tags.is_empty()).await?;
            (
                plan_log_group(spec, observed.as_ref()),
                observed.map(|g| g.arn),
            )
        }
        Target::Gone(name) => match api.find(name, false).await? {
            Some(g) => (Step::Delete, Some(g.arn)),
            None => (Step::Absent, None),
        },
    };
    Ok(Planned { target, step, arn })
}

/// Applies a planned step. A create is CreateLogGroup (with tags) then
/// PutRetentionPolicy: new groups never expire until the second call.
/// `may_update`: whether an update found only after losing a creation race may be
/// applied without asking again.
pub async fn apply(api: &LogsApi, planned: Planned, may_update: bool) -> Result<Outcome, AwsError> {
    match (&planned.target, &planned.step) {
        (Target::Present(spec), Step::Create) => match api.create(spec).await {
            Ok(()) => {
                api.put_retention(&spec.name, spec.retention_days).await?;
                let mut outcome = planned.outcome(Status::Created, None);
                outcome.note = Some(format!("retention {} days", spec.retention_days));
                Ok(outcome)
            }
            Err(e) if already_exists(&e) => {
                let again = plan(api, planned.target.clone()).await?;
                let note = Some("created meanwhile by someone else".to_string());
                match &again.step {
                    Step::InSync => Ok(again.outcome(Status::InSync, note)),
                    Step::Update { .. } if may_update => {
                        let mut outcome = Box::pin(apply(api, again, false)).await?;
                        outcome.note = note;
                        Ok(outcome)
                    }
                    _ => Ok(again.outcome(again.step.unapplied(false), note)),
                }
            }
            Err(e) => Err(e),
        },
        (Target::Present(spec), Step::Update { changes }) => {
            if changes.iter().any(|c| c.field == "RetentionInDays") {
                api.put_retention(&spec.name, spec.retention_days).await?;
            }
            if changes.iter().any(|c| c.field.starts_with("Tags.")) {
                api.tag(planned.arn.as_deref().unwrap_or_default(), &spec.tags)
                    .await?;
            }
            Ok(planned.outcome(Status::Updated, None))
        }
        (Target::Gone(name), Step::Delete) => {
            api.delete(name).await?;
            Ok(planned.outcome(Status::Deleted, None))
        }
        (_, step) => Ok(planned.outcome(step.unapplied(false), None)),
    }
}

fn already_exists(e: &AwsError) -> bool {
    matches!(e.failure(), Some(CallFailure::Service { code }) if code == "ResourceAlreadyExistsException")
}
