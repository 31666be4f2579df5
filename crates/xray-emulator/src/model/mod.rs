//! The emulator's per-region state and the operations on it. Pure: a request body
//! in, a response body or a modeled error out.

mod error;
mod filter;
mod groups;
mod pagination;
mod rules;
mod sampling_targets;
mod segments;
mod tags;
mod telemetry;
#[cfg(test)]
mod test_support;
mod traces;
mod validation;

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

pub use self::error::ApiError;
use self::error::Res;
use self::groups::Group;
use self::pagination::{page, with_token};
use self::rules::Rule;
use self::segments::Stored;
use self::tags::{tag_list, TAG_LIMIT};
use self::telemetry::telemetry_records;

/// The account id in every ARN the emulator makes.
pub const ACCOUNT_ID: &str = "123456789012";
const DEFAULT: &str = "Default";

/// Everything the emulator holds for one region.
#[derive(Debug, Clone)]
pub struct RegionState {
    region: String,
    groups: Vec<Group>,
    rules: Vec<Rule>,
    tags: HashMap<String, BTreeMap<String, String>>,
    counter: u64,
    /// Segment documents received by PutTraceSegments, in the order received.
    segments: Vec<Stored>,
}

fn now() -> f64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_millis() as f64) / 1000.0
}

impl RegionState {
    /// A fresh region: the `Default` group and the `Default` rule (priority 10000).
    pub fn new(region: &str) -> RegionState {
        let default_group = Group {
            name: DEFAULT.into(),
            arn: format!("arn:aws:xray:{region}:{ACCOUNT_ID}:group/Default"),
            filter: None,
            insights: false,
            notifications: false,
        };
        let mut rule = Map::new();
        for (k, v) in [
            ("RuleName", json!(DEFAULT)),
            (
                "RuleARN",
                json!(format!(
                    "arn:aws:xray:{region}:{ACCOUNT_ID}:sampling-rule/Default"
                )),
            ),
            ("ResourceARN", json!("*")),
            ("Priority", json!(10000)),
            ("FixedRate", json!(0.05)),
            ("ReservoirSize", json!(1)),
            ("ServiceName", json!("*")),
            ("ServiceType", json!("*")),
            ("Host", json!("*")),
            ("HTTPMethod", json!("*")),
            ("URLPath", json!("*")),
            ("Version", json!(1)),
            ("Attributes", json!({})),
        ] {
            rule.insert(k.into(), v);
        }
        RegionState {
            region: region.to_string(),
            groups: vec![default_group],
            rules: vec![Rule {
                body: rule,
                created: 0.0,
                modified: 0.0,
            }],
            tags: HashMap::new(),
            counter: 0,
            segments: Vec::new(),
        }
    }

    /// Runs one operation on this region.
    pub fn dispatch(&mut self, operation: &str, body: &Value, page_size: usize) -> Res<Value> {
        match operation {
            "CreateGroup" => self.create_group(body),
            "GetGroup" => {
                let i = self.find_group(body)?;
                Ok(json!({"Group": self.groups[i].to_json()}))
            }
            "GetGroups" => {
                let (groups, next) = page(&self.groups, body, page_size)?;
                let list: Vec<Value> = groups.iter().map(Group::to_json).collect();
                Ok(with_token(json!({"Groups": list}), next))
            }
            "UpdateGroup" => self.update_group(body),
            "DeleteGroup" => {
                let i = self.find_group(body)?;
                if self.groups[i].name == DEFAULT {
                    return Err(ApiError::invalid("The Default group cannot be deleted"));
                }
                let group = self.groups.remove(i);
                self.tags.remove(&group.arn);
                Ok(json!({}))
            }
            "CreateSamplingRule" => self.create_rule(body),
            "GetSamplingRules" => {
                let mut rules = self.rules.clone();
                rules.sort_by(|a, b| (a.priority(), a.name()).cmp(&(b.priority(), b.name())));
                let (rules, next) = page(&rules, body, page_size)?;
                let list: Vec<Value> = rules.iter().map(Rule::record).collect();
                Ok(with_token(json!({"SamplingRuleRecords": list}), next))
            }
            "UpdateSamplingRule" => self.update_rule(body),
            "DeleteSamplingRule" => {
                let i = self.find_rule(body)?;
                if self.rules[i].name() == DEFAULT {
                    return Err(ApiError::invalid(
                        "The Default sampling rule cannot be deleted",
                    ));
                }
                let rule = self.rules.remove(i);
                self.tags.remove(rule.arn());
                Ok(json!({"SamplingRuleRecord": rule.record()}))
            }
            "TagResource" => {
                let arn = self.taggable(body)?;
                let new = tag_list(body, "Tags")?;
                if body.get("Tags").is_none() {
                    return Err(ApiError::invalid("Tags is required"));
                }
                let tags = self.tags.entry(arn.clone()).or_default();
                let mut merged = tags.clone();
                merged.extend(new);
                if merged.len() > TAG_LIMIT {
                    return Err(ApiError::new(
                        400,
                        "TooManyTagsException",
                        format!("A resource can have at most {TAG_LIMIT} tags"),
                    ));
                }
                *tags = merged;
                Ok(json!({}))
            }
            "UntagResource" => {
                let arn = self.taggable(body)?;
                let keys = match body.get("TagKeys") {
                    Some(Value::Array(keys)) => keys,
                    _ => return Err(ApiError::invalid("TagKeys is required")),
                };
                let tags = self.tags.entry(arn).or_default();
                for key in keys {
                    if let Some(k) = key.as_str() {
                        tags.remove(k);
                    }
                }
                Ok(json!({}))
            }
            "ListTagsForResource" => {
                let arn = self.taggable(body)?;
                let tags: Vec<Value> = self
                    .tags
                    .get(&arn)
                    .map(|t| {
                        t.iter()
                            .map(|(k, v)| json!({"Key": k, "Value": v}))
                            .collect()
                    })
                    .unwrap_or_default();
                let (tags, next) = page(&tags, body, page_size)?;
                Ok(with_token(json!({"Tags": tags}), next))
            }
            "PutTraceSegments" => self.put_trace_segments(body, now()),
            "GetTraceSummaries" => self.trace_summaries(body, page_size),
            "BatchGetTraces" => self.batch_get_traces(body, page_size),
            "GetSamplingTargets" => self.sampling_targets(body, now()),
            "PutTelemetryRecords" => telemetry_records(body),
            other => Err(ApiError::new(
                404,
                "UnknownOperationException",
                other.to_string(),
            )),
        }
    }

    fn next_id(&mut self) -> String {
        self.counter += 1;
        format!(
            "{:08X}{:024X}",
            self.counter,
            self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_support::*;

    #[test]
    fn a_new_region_has_the_default_rule_and_group() {
        let mut s = RegionState::new("us-east-1");
        let rules = s.dispatch("GetSamplingRules", &json!({}), 10).unwrap();
        assert_eq!(
            rules["SamplingRuleRecords"][0]["SamplingRule"]["RuleName"],
            "Default"
        );
        assert_eq!(
            rules["SamplingRuleRecords"][0]["SamplingRule"]["Priority"],
            10000
        );
        let groups = s.dispatch("GetGroups", &json!({}), 10).unwrap();
        assert_eq!(groups["Groups"][0]["GroupName"], "Default");
        let err = s
            .dispatch("DeleteSamplingRule", &json!({"RuleName": "Default"}), 10)
            .unwrap_err();
        assert_eq!(err.code, "InvalidRequestException");
    }

    #[test]
    fn constraints_are_enforced() {
        let mut s = RegionState::new("us-east-1");
        let mut bad = rule("Cruddur");
        bad["SamplingRule"]["Priority"] = json!(0);
        let err = s.dispatch("CreateSamplingRule", &bad, 10).unwrap_err();
        assert!(err.message.contains("'Priority'"), "{err:?}");
        let mut bad = rule("Cruddur");
        bad["SamplingRule"]["FixedRate"] = json!(1.5);
        assert!(s.dispatch("CreateSamplingRule", &bad, 10).is_err());
        let mut bad = rule("Cruddur");
        bad["SamplingRule"].as_object_mut().unwrap().remove("Host");
        let err = s.dispatch("CreateSamplingRule", &bad, 10).unwrap_err();
        assert_eq!(err.message, "SamplingRule.Host is required");
        let long = "x".repeat(33);
        let err = s
            .dispatch("CreateGroup", &json!({"GroupName": long}), 10)
            .unwrap_err();
        assert_eq!(err.code, "InvalidRequestException");
    }
}
