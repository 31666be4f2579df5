//! Read, plan and apply for each X-Ray resource: reads go through [`XrayApi`],
//! the decision is the pure planner in [`super`], writes go back through the API.
//! Nothing here prompts: the caller decides what is agreed.

use super::api::XrayApi;
use super::{plan_group, plan_rule, GroupSpec, RuleSpec};
use crate::aws::{AwsError, CallFailure};
use crate::plan::{Kind, Outcome, Status, Step};

/// What the tool is asked to make true of one X-Ray resource.
#[derive(Debug, Clone)]
pub enum Target {
    Group(GroupSpec),
    Rule(Box<RuleSpec>),
    GroupGone(String),
    RuleGone(String),
}

impl Target {
    pub fn kind(&self) -> Kind {
        match self {
            Target::Group(_) | Target::GroupGone(_) => Kind::XrayGroup,
            Target::Rule(_) | Target::RuleGone(_) => Kind::XraySamplingRule,
        }
    }

    /// The tags the target should carry (none for deletions).
    pub fn tags(&self) -> Option<&std::collections::BTreeMap<String, String>> {
        match self {
            Target::Group(s) => Some(&s.tags),
            Target::Rule(s) => Some(&s.tags),
            Target::GroupGone(_) | Target::RuleGone(_) => None,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Target::Group(s) => &s.name,
            Target::Rule(s) => &s.name,
            Target::GroupGone(n) | Target::RuleGone(n) => n,
        }
    }
}

/// A target with the step it needs, as read from X-Ray.
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
            kind: self.target.kind(),
            name: self.target.name().to_string(),
            status,
            arn: self.arn.clone().filter(|a| !a.is_empty()),
            changes: self.step.changes().to_vec(),
            note,
        }
    }
}

/// Reads the resource and decides what it needs.
pub async fn plan(api: &XrayApi, target: Target) -> Result<Planned, AwsError> {
    let (step, arn) = match &target {
        Target::Group(spec) => {
            let observed = api.find_group(&spec.name, !spec.tags.is_empty()).await?;
            (plan_group(spec, observed.as_ref()), observed.map(|g| g.arn))
        }
        Target::Rule(spec) => {
            let observed = api.find_rule(&spec.name, !spec.tags.is_empty()).await?;
            (plan_rule(spec, observed.as_ref()), observed.map(|r| r.arn))
        }
        Target::GroupGone(name) => match api.find_group(name, false).await? {
            Some(g) => (Step::Delete, Some(g.arn)),
            None => (Step::Absent, None),
        },
        Target::RuleGone(name) => match api.find_rule(name, false).await? {
            Some(r) => (Step::Delete, Some(r.arn)),
            None => (Step::Absent, None),
        },
    };
    Ok(Planned { target, step, arn })
}

/// Applies a planned step. `may_update` says whether an update found only now
/// (after losing a creation race) may be applied without asking again.
pub async fn apply(api: &XrayApi, planned: Planned, may_update: bool) -> Result<Outcome, AwsError> {
    match (&planned.target, &planned.step) {
        (Target::Group(spec), Step::Create) => match api.create_group(spec).await {
            Ok(arn) => Ok(Planned {
                arn: Some(arn),
                ..planned
            }
            .outcome(Status::Created, None)),
            Err(e) if lost_race(&e) => converge_after_race(api, planned, e, may_update).await,
            Err(e) => Err(e),
        },
        (Target::Rule(spec), Step::Create) => match api.create_rule(spec).await {
            Ok(arn) => Ok(Planned {
                arn: Some(arn),
                ..planned
            }
            .outcome(Status::Created, None)),
            Err(e) if lost_race(&e) => converge_after_race(api, planned, e, may_update).await,
            Err(e) => Err(e),
        },
        (target, Step::Update { changes }) => {
            if changes.iter().any(|c| !c.field.starts_with("Tags.")) {
                match target {
                    Target::Group(spec) => api.update_group(spec).await?,
                    Target::Rule(spec) => api.update_rule(spec).await?,
                    Target::GroupGone(_) | Target::RuleGone(_) => {}
                }
            }
            if let Some(tags) = target
                .tags()
                .filter(|_| changes.iter().any(|c| c.field.starts_with("Tags.")))
            {
                api.tag(planned.arn.as_deref().unwrap_or_default(), tags)
                    .await?;
            }
            Ok(planned.outcome(Status::Updated, None))
        }
        (Target::GroupGone(name), Step::Delete) => {
            api.delete_group(name).await?;
            Ok(planned.outcome(Status::Deleted, None))
        }
        (Target::RuleGone(name), Step::Delete) => {
            api.delete_rule(name).await?;
            Ok(planned.outcome(Status::Deleted, None))
        }
        // In sync, absent, conflicting: nothing to apply.
        (_, step) => Ok(planned.outcome(step.unapplied(false), None)),
    }
}

/// X-Ray has no "already exists" error: a create that lost a race answers
/// InvalidRequestException. Anything else is a real failure.
fn lost_race(e: &AwsError) -> bool {
    matches!(e.failure(), Some(CallFailure::Service { code }) if code == "InvalidRequestException")
}

/// After a failed create, read again: if the resource now exists, converge on it;
/// if it still does not, the create failed for a real reason.
async fn converge_after_race(
    api: &XrayApi,
    planned: Planned,
    create_error: AwsError,
    may_update: bool,
) -> Result<Outcome, AwsError> {
    let again = plan(api, planned.target.clone()).await?;
    let note = Some("created meanwhile by someone else".to_string());
    match &again.step {
        Step::Create => Err(create_error),
        Step::InSync => Ok(again.outcome(Status::InSync, note)),
        Step::Update { .. } if may_update => {
            let mut outcome = Box::pin(apply(api, again, false)).await?;
            outcome.note = note;
            Ok(outcome)
        }
        _ => Ok(again.outcome(again.step.unapplied(false), note)),
    }
}
