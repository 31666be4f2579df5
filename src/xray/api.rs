//! The X-Ray edge: every SDK call the tool makes, translated to and from the
//! module's own types. Reads are paginated; errors become [`AwsError`].

use std::collections::{BTreeMap, HashMap};

use aws_sdk_xray::types::{InsightsConfiguration, SamplingRuleUpdate};
use aws_sdk_xray::Client;

use super::{GroupSpec, ObservedGroup, ObservedRule, RuleSpec, SamplingRateBoost, SamplingRule};
use crate::aws::{Aws, AwsError};

/// A connected X-Ray client, with a label for messages.
#[derive(Clone)]
pub(crate) struct XrayApi {
    client: Client,
    target: String,
    aws: Aws,
}

impl XrayApi {
    pub(crate) fn new(aws: &Aws) -> XrayApi {
        XrayApi {
            client: Client::new(&aws.sdk),
            target: aws.endpoint_label("X-Ray"),
            aws: aws.clone(),
        }
    }

    /// The page guard of one listing (see [`crate::aws::Pages`]).
    fn pages(&self, op: &'static str) -> crate::aws::Pages {
        crate::aws::Pages::new(&self.aws, op, self.target.clone())
    }

    fn err<E, R>(&self, op: &'static str, e: aws_sdk_xray::error::SdkError<E, R>) -> AwsError
    where
        E: aws_sdk_xray::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + 'static,
    {
        AwsError::from_sdk(op, self.target.clone(), e)
    }

    /// Finds a group by name (GetGroups, all pages); reads its tags when `with_tags`.
    pub(crate) async fn find_group(
        &self,
        name: &str,
        with_tags: bool,
    ) -> Result<Option<ObservedGroup>, AwsError> {
        // The SDK's paginator, stopped as soon as the name is found.
        let mut pages = self.client.get_groups().into_paginator().send();
        let mut guard = self.pages("GetGroups");
        while let Some(page) = guard.next(pages.next()).await? {
            if let Some(g) = page.groups().iter().find(|g| g.group_name() == Some(name)) {
                let mut group = ObservedGroup {
                    name: name.to_string(),
                    arn: g.group_arn().unwrap_or_default().to_string(),
                    filter_expression: g.filter_expression().map(str::to_string),
                    insights: g
                        .insights_configuration()
                        .and_then(|c| c.insights_enabled())
                        .unwrap_or(false),
                    tags: None,
                };
                if with_tags {
                    group.tags = Some(self.tags(&group.arn).await?);
                }
                return Ok(Some(group));
            }
        }
        Ok(None)
    }

    /// Finds a sampling rule by name (GetSamplingRules, all pages); reads its tags when `with_tags`.
    pub(crate) async fn find_rule(
        &self,
        name: &str,
        with_tags: bool,
    ) -> Result<Option<ObservedRule>, AwsError> {
        // The SDK's paginator, stopped as soon as the name is found.
        let mut pages = self.client.get_sampling_rules().into_paginator().send();
        let mut guard = self.pages("GetSamplingRules");
        while let Some(page) = guard.next(pages.next()).await? {
            let found = page
                .sampling_rule_records()
                .iter()
                .filter_map(|r| r.sampling_rule())
                .find(|r| r.rule_name() == Some(name));
            if let Some(rule) = found {
                let arn = rule.rule_arn().unwrap_or_default().to_string();
                let tags = if with_tags {
                    Some(self.tags(&arn).await?)
                } else {
                    None
                };
                return Ok(Some(ObservedRule {
                    arn,
                    rule: from_sdk_rule(rule),
                    tags,
                }));
            }
        }
        Ok(None)
    }

    /// All tags of a resource (ListTagsForResource, all pages).
    pub(crate) async fn tags(&self, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
        let mut tags = BTreeMap::new();
        let mut pages = self
            .client
            .list_tags_for_resource()
            .resource_arn(arn)
            .into_paginator()
            .send();
        let mut guard = self.pages("ListTagsForResource");
        while let Some(page) = guard.next(pages.next()).await? {
            for tag in page.tags() {
                tags.insert(tag.key().to_string(), tag.value().to_string());
            }
        }
        Ok(tags)
    }

    /// CreateGroup; returns the new group's ARN.
    pub(crate) async fn create_group(&self, spec: &GroupSpec) -> Result<String, AwsError> {
        let out = self
            .client
            .create_group()
            .group_name(&spec.name)
            .filter_expression(&spec.filter_expression)
            .set_insights_configuration(spec.insights.map(insights))
            .set_tags(sdk_tags(&spec.tags))
            .send()
            .await
            .map_err(|e| self.err("CreateGroup", e))?;
        Ok(out
            .group()
            .and_then(|g| g.group_arn())
            .unwrap_or_default()
            .to_string())
    }

    /// UpdateGroup: sets the filter expression (and Insights when the spec cares).
    pub(crate) async fn update_group(&self, spec: &GroupSpec) -> Result<(), AwsError> {
        self.client
            .update_group()
            .group_name(&spec.name)
            .filter_expression(&spec.filter_expression)
            .set_insights_configuration(spec.insights.map(insights))
            .send()
            .await
            .map_err(|e| self.err("UpdateGroup", e))?;
        Ok(())
    }

    pub(crate) async fn delete_group(&self, name: &str) -> Result<(), AwsError> {
        self.client
            .delete_group()
            .group_name(name)
            .send()
            .await
            .map_err(|e| self.err("DeleteGroup", e))?;
        Ok(())
    }

    /// CreateSamplingRule; returns the new rule's ARN.
    pub(crate) async fn create_rule(&self, spec: &RuleSpec) -> Result<String, AwsError> {
        let out = self
            .client
            .create_sampling_rule()
            .sampling_rule(to_sdk_rule(&spec.rule))
            .set_tags(sdk_tags(&spec.tags))
            .send()
            .await
            .map_err(|e| self.err("CreateSamplingRule", e))?;
        Ok(out
            .sampling_rule_record()
            .and_then(|r| r.sampling_rule())
            .and_then(|r| r.rule_arn())
            .unwrap_or_default()
            .to_string())
    }

    /// UpdateSamplingRule with every field of the desired rule.
    pub(crate) async fn update_rule(&self, spec: &RuleSpec) -> Result<(), AwsError> {
        let r = &spec.rule;
        let update = SamplingRuleUpdate::builder()
            .rule_name(&spec.name)
            .resource_arn(&r.resource_arn)
            .priority(r.priority as i32)
            .fixed_rate(r.fixed_rate)
            .reservoir_size(r.reservoir_size as i32)
            .service_name(&r.service_name)
            .service_type(&r.service_type)
            .host(&r.host)
            .http_method(&r.http_method)
            .url_path(&r.url_path)
            .set_attributes(Some(
                r.attributes.clone().into_iter().collect::<HashMap<_, _>>(),
            ))
            .set_sampling_rate_boost(r.sampling_rate_boost.as_ref().map(sdk_boost))
            .build();
        self.client
            .update_sampling_rule()
            .sampling_rule_update(update)
            .send()
            .await
            .map_err(|e| self.err("UpdateSamplingRule", e))?;
        Ok(())
    }

    pub(crate) async fn delete_rule(&self, name: &str) -> Result<(), AwsError> {
        self.client
            .delete_sampling_rule()
            .rule_name(name)
            .send()
            .await
            .map_err(|e| self.err("DeleteSamplingRule", e))?;
        Ok(())
    }

    /// TagResource with the given tags (adds or overwrites; never removes).
    pub(crate) async fn tag(
        &self,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), AwsError> {
        self.client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(sdk_tags(tags))
            .send()
            .await
            .map_err(|e| self.err("TagResource", e))?;
        Ok(())
    }
}

fn insights(enabled: bool) -> InsightsConfiguration {
    InsightsConfiguration::builder()
        .insights_enabled(enabled)
        .build()
}

// The SDK builders fail only on a missing required field, and every one is set.
#[allow(clippy::expect_used)]
fn sdk_tags(tags: &BTreeMap<String, String>) -> Option<Vec<aws_sdk_xray::types::Tag>> {
    if tags.is_empty() {
        return None;
    }
    Some(
        tags.iter()
            .map(|(k, v)| {
                aws_sdk_xray::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .expect("key and value are set")
            })
            .collect(),
    )
}

fn sdk_boost(b: &SamplingRateBoost) -> aws_sdk_xray::types::SamplingRateBoost {
    aws_sdk_xray::types::SamplingRateBoost::builder()
        .max_rate(b.max_rate)
        .cooldown_window_minutes(b.cooldown_window_minutes as i32)
        .build()
}

#[allow(clippy::expect_used)]
fn to_sdk_rule(r: &SamplingRule) -> aws_sdk_xray::types::SamplingRule {
    aws_sdk_xray::types::SamplingRule::builder()
        .set_rule_name(r.rule_name.clone())
        .resource_arn(&r.resource_arn)
        .priority(r.priority as i32)
        .fixed_rate(r.fixed_rate)
        .reservoir_size(r.reservoir_size as i32)
        .service_name(&r.service_name)
        .service_type(&r.service_type)
        .host(&r.host)
        .http_method(&r.http_method)
        .url_path(&r.url_path)
        .version(r.version as i32)
        .set_attributes(if r.attributes.is_empty() {
            None
        } else {
            Some(r.attributes.clone().into_iter().collect())
        })
        .set_sampling_rate_boost(r.sampling_rate_boost.as_ref().map(sdk_boost))
        .build()
        .expect("all required fields are set")
}

fn from_sdk_rule(r: &aws_sdk_xray::types::SamplingRule) -> SamplingRule {
    SamplingRule {
        rule_name: r.rule_name().map(str::to_string),
        rule_arn: None,
        resource_arn: r.resource_arn().to_string(),
        priority: r.priority().into(),
        fixed_rate: r.fixed_rate(),
        reservoir_size: r.reservoir_size().into(),
        service_name: r.service_name().to_string(),
        service_type: r.service_type().to_string(),
        host: r.host().to_string(),
        http_method: r.http_method().to_string(),
        url_path: r.url_path().to_string(),
        version: r.version().into(),
        attributes: r
            .attributes()
            .map(|a| a.clone().into_iter().collect())
            .unwrap_or_default(),
        sampling_rate_boost: r.sampling_rate_boost().map(|b| SamplingRateBoost {
            max_rate: b.max_rate(),
            cooldown_window_minutes: b.cooldown_window_minutes().into(),
        }),
    }
}
