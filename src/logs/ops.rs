//! Log groups as [`Resource`]s: reads and writes go through [`LogsApi`], the
//! decision is the pure planner in [`super`]; plan, apply and the creation race
//! are [`crate::resource`]'s.

use super::api::LogsApi;
use super::{plan_log_group, LogGroupSpec, ObservedLogGroup};
use crate::aws::{AwsError, CallFailure};
use crate::plan::{FieldDiff, Kind, Step};
use crate::resource::{Created, Resource, Tags};

impl LogGroupSpec {
    /// The group named `name`, for deletion (only the name is read).
    pub fn named(name: &str) -> LogGroupSpec {
        LogGroupSpec {
            name: name.to_string(),
            retention_days: 0,
            class: None,
            kms_key_id: None,
            tags: Tags::new(),
        }
    }
}

impl Resource for LogGroupSpec {
    type Api = LogsApi;
    type Observed = ObservedLogGroup;

    fn kind(&self) -> Kind {
        Kind::LogGroup
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn tags(&self) -> &Tags {
        &self.tags
    }

    async fn find(
        &self,
        api: &LogsApi,
        with_tags: bool,
    ) -> Result<Option<ObservedLogGroup>, AwsError> {
        api.find(&self.name, with_tags).await
    }

    fn arn(observed: &ObservedLogGroup) -> &str {
        &observed.arn
    }

    fn observed_tags(observed: &ObservedLogGroup) -> Option<&Tags> {
        observed.tags.as_ref()
    }

    fn plan(&self, observed: Option<&ObservedLogGroup>) -> Step {
        plan_log_group(self, observed)
    }

    /// CreateLogGroup (with tags) then PutRetentionPolicy: new groups never
    /// expire until the second call.
    async fn create(&self, api: &LogsApi) -> Result<Created, AwsError> {
        api.create(self).await?;
        api.put_retention(&self.name, self.retention_days).await?;
        Ok(Created {
            arn: None,
            note: Some(format!("retention {} days", self.retention_days)),
        })
    }

    async fn update(&self, api: &LogsApi, changes: &[FieldDiff]) -> Result<(), AwsError> {
        if changes.iter().any(|c| c.field == "RetentionInDays") {
            api.put_retention(&self.name, self.retention_days).await?;
        }
        Ok(())
    }

    async fn tag(api: &LogsApi, arn: &str, tags: &Tags) -> Result<(), AwsError> {
        api.tag(arn, tags).await
    }

    async fn delete(&self, api: &LogsApi) -> Result<(), AwsError> {
        api.delete(&self.name).await
    }

    fn lost_race(e: &AwsError) -> bool {
        matches!(e.failure(), Some(CallFailure::Service { code }) if code == "ResourceAlreadyExistsException")
    }
}
