//! X-Ray's objects as [`Resource`]s: reads and writes go through [`XrayApi`], the
//! decision is the pure planner in [`super`]; plan, apply and the creation race
//! are [`crate::resource`]'s.

use super::api::XrayApi;
use super::{plan_group, plan_rule, GroupSpec, ObservedGroup, ObservedRule, RuleSpec};
use crate::aws::{AwsError, CallFailure};
use crate::plan::{FieldDiff, Kind, Step};
use crate::resource::{Created, Resource, Tags};

/// An X-Ray object: one type for groups and sampling rules, so one command can
/// plan, ask about and apply both together.
#[derive(Debug, Clone)]
pub(crate) enum Object {
    Group(GroupSpec),
    Rule(Box<RuleSpec>),
}

/// An X-Ray object as X-Ray reports it.
#[derive(Debug, Clone)]
pub(crate) enum Observed {
    Group(ObservedGroup),
    Rule(Box<ObservedRule>),
}

impl Object {
    /// The group named `name`, for deletion (only the name is read).
    pub(crate) fn group_named(name: &str) -> Object {
        Object::Group(GroupSpec {
            name: name.to_string(),
            filter_expression: String::new(),
            insights: None,
            tags: Tags::new(),
        })
    }

    /// The sampling rule named `name`, for deletion (only the name is read).
    pub(crate) fn rule_named(name: &str) -> Object {
        Object::Rule(Box::new(RuleSpec {
            name: name.to_string(),
            rule: super::SamplingRule::default(),
            tags: Tags::new(),
            source: String::new(),
        }))
    }
}

impl Resource for Object {
    type Api = XrayApi;
    type Observed = Observed;

    fn kind(&self) -> Kind {
        match self {
            Object::Group(_) => Kind::XrayGroup,
            Object::Rule(_) => Kind::XraySamplingRule,
        }
    }

    fn name(&self) -> &str {
        match self {
            Object::Group(s) => &s.name,
            Object::Rule(s) => &s.name,
        }
    }

    fn tags(&self) -> &Tags {
        match self {
            Object::Group(s) => &s.tags,
            Object::Rule(s) => &s.tags,
        }
    }

    async fn find(&self, api: &XrayApi, with_tags: bool) -> Result<Option<Observed>, AwsError> {
        Ok(match self {
            Object::Group(s) => api
                .find_group(&s.name, with_tags)
                .await?
                .map(Observed::Group),
            Object::Rule(s) => api
                .find_rule(&s.name, with_tags)
                .await?
                .map(|r| Observed::Rule(Box::new(r))),
        })
    }

    fn arn(observed: &Observed) -> &str {
        match observed {
            Observed::Group(g) => &g.arn,
            Observed::Rule(r) => &r.arn,
        }
    }

    fn observed_tags(observed: &Observed) -> Option<&Tags> {
        match observed {
            Observed::Group(g) => g.tags.as_ref(),
            Observed::Rule(r) => r.tags.as_ref(),
        }
    }

    fn plan(&self, observed: Option<&Observed>) -> Step {
        match (self, observed) {
            (Object::Group(s), None) => plan_group(s, None),
            (Object::Rule(s), None) => plan_rule(s, None),
            (Object::Group(s), Some(Observed::Group(g))) => plan_group(s, Some(g)),
            (Object::Rule(s), Some(Observed::Rule(r))) => plan_rule(s, Some(r)),
            // `find` answers with the spec's own kind.
            (_, Some(_)) => Step::Create,
        }
    }

    async fn create(&self, api: &XrayApi) -> Result<Created, AwsError> {
        let arn = match self {
            Object::Group(s) => api.create_group(s).await?,
            Object::Rule(s) => api.create_rule(s).await?,
        };
        Ok(Created {
            arn: Some(arn),
            note: None,
        })
    }

    async fn update(&self, api: &XrayApi, _changes: &[FieldDiff]) -> Result<(), AwsError> {
        match self {
            Object::Group(s) => api.update_group(s).await,
            Object::Rule(s) => api.update_rule(s).await,
        }
    }

    async fn tag(api: &XrayApi, arn: &str, tags: &Tags) -> Result<(), AwsError> {
        api.tag(arn, tags).await
    }

    async fn delete(&self, api: &XrayApi) -> Result<(), AwsError> {
        match self {
            Object::Group(s) => api.delete_group(&s.name).await,
            Object::Rule(s) => api.delete_rule(&s.name).await,
        }
    }

    /// X-Ray has no "already exists" error: a create that lost a race answers
    /// InvalidRequestException. Anything else is a real failure.
    fn lost_race(e: &AwsError) -> bool {
        matches!(e.failure(), Some(CallFailure::Service { code }) if code == "InvalidRequestException")
    }
}
