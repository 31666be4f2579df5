//! The CloudWatch Logs edge: every SDK call the tool makes, translated to and from
//! the module's own types.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_cloudwatchlogs::types::LogGroupClass;
use aws_sdk_cloudwatchlogs::Client;

use super::{LogGroupSpec, ObservedLogGroup};
use crate::aws::{Aws, AwsError};

#[derive(Clone)]
pub struct LogsApi {
    client: Client,
    target: String,
    aws: Aws,
}

impl LogsApi {
    pub fn new(aws: &Aws) -> LogsApi {
        LogsApi {
            client: Client::new(&aws.sdk),
            target: aws.endpoint_label("CloudWatch Logs"),
            aws: aws.clone(),
        }
    }

    fn err<E, R>(
        &self,
        op: &'static str,
        e: aws_sdk_cloudwatchlogs::error::SdkError<E, R>,
    ) -> AwsError
    where
        E: aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata
            + std::error::Error
            + Send
            + Sync
            + 'static,
        R: std::fmt::Debug + 'static,
    {
        AwsError::from_sdk(op, self.target.clone(), e)
    }

    /// Finds a group by exact name (DescribeLogGroups with the name as prefix, all
    /// pages); reads its tags when `with_tags`.
    pub async fn find(
        &self,
        name: &str,
        with_tags: bool,
    ) -> Result<Option<ObservedLogGroup>, AwsError> {
        // The SDK's paginator, stopped as soon as the name is found.
        let mut pages = self
            .client
            .describe_log_groups()
            .log_group_name_prefix(name)
            .into_paginator()
            .send();
        let mut guard = crate::aws::Pages::new(&self.aws, "DescribeLogGroups", self.target.clone());
        while let Some(page) = guard.next(pages.next()).await? {
            if let Some(g) = page
                .log_groups()
                .iter()
                .find(|g| g.log_group_name() == Some(name))
            {
                let arn = g
                    .log_group_arn()
                    .map(str::to_string)
                    .or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_string()))
                    .unwrap_or_default();
                let tags = if with_tags {
                    Some(self.tags(&arn).await?)
                } else {
                    None
                };
                return Ok(Some(ObservedLogGroup {
                    name: name.to_string(),
                    arn,
                    retention_days: g.retention_in_days(),
                    class: g.log_group_class().map(|c| c.as_str().to_string()),
                    kms_key_id: g.kms_key_id().map(str::to_string),
                    tags,
                }));
            }
        }
        Ok(None)
    }

    pub async fn tags(&self, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
        let out = self
            .client
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|e| self.err("ListTagsForResource", e))?;
        Ok(out
            .tags()
            .map(|t| t.clone().into_iter().collect())
            .unwrap_or_default())
    }

    /// CreateLogGroup with class, key and tags (the retention is a second call).
    pub async fn create(&self, spec: &LogGroupSpec) -> Result<(), AwsError> {
        self.client
            .create_log_group()
            .log_group_name(&spec.name)
            .set_log_group_class(spec.class.map(|c| LogGroupClass::from(c.as_str())))
            .set_kms_key_id(spec.kms_key_id.clone())
            .set_tags(hash(&spec.tags))
            .send()
            .await
            .map_err(|e| self.err("CreateLogGroup", e))?;
        Ok(())
    }

    pub async fn put_retention(&self, name: &str, days: i32) -> Result<(), AwsError> {
        self.client
            .put_retention_policy()
            .log_group_name(name)
            .retention_in_days(days)
            .send()
            .await
            .map_err(|e| self.err("PutRetentionPolicy", e))?;
        Ok(())
    }

    /// TagResource on the group ARN (without `:*`): adds or overwrites, never removes.
    pub async fn tag(&self, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), AwsError> {
        self.client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(hash(tags))
            .send()
            .await
            .map_err(|e| self.err("TagResource", e))?;
        Ok(())
    }

    pub async fn delete(&self, name: &str) -> Result<(), AwsError> {
        self.client
            .delete_log_group()
            .log_group_name(name)
            .send()
            .await
            .map_err(|e| self.err("DeleteLogGroup", e))?;
        Ok(())
    }
}

fn hash(tags: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    (!tags.is_empty()).then(|| tags.clone().into_iter().collect())
}
