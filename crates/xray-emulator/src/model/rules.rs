//! Sampling rules: CreateSamplingRule and UpdateSamplingRule (the other rule
//! operations are in `RegionState::dispatch`), a rule's record and its constraints.

use serde_json::{json, Map, Value};

use super::error::{ApiError, Res};
use super::tags::tag_list;
use super::validation::{constraint, double, integer, object, required, string};
use super::{now, RegionState, ACCOUNT_ID, DEFAULT};

/// Sampling rules per region, not counting `Default` (the AWS quota).
const RULE_LIMIT: usize = 25;

#[derive(Debug, Clone)]
pub(super) struct Rule {
    /// The SamplingRule object as returned (RuleName, RuleARN, ... in model order).
    pub(super) body: Map<String, Value>,
    pub(super) created: f64,
    pub(super) modified: f64,
}

impl Rule {
    pub(super) fn name(&self) -> &str {
        self.body["RuleName"].as_str().unwrap_or_default()
    }
    pub(super) fn arn(&self) -> &str {
        self.body["RuleARN"].as_str().unwrap_or_default()
    }
    pub(super) fn priority(&self) -> i64 {
        self.body["Priority"].as_i64().unwrap_or_default()
    }
    pub(super) fn record(&self) -> Value {
        json!({"SamplingRule": self.body, "CreatedAt": self.created, "ModifiedAt": self.modified})
    }
}

/// How each string field of a sampling rule is bounded: (name, min, max).
const RULE_STRINGS: &[(&str, usize, usize)] = &[
    ("ResourceARN", 0, 500),
    ("ServiceName", 0, 64),
    ("ServiceType", 0, 64),
    ("Host", 0, 64),
    ("HTTPMethod", 0, 10),
    ("URLPath", 0, 128),
];

fn attributes(v: &Value) -> Res<Option<Map<String, Value>>> {
    let Some(map) = object(v, "Attributes")? else {
        return Ok(None);
    };
    if map.len() > 5 {
        return Err(constraint(
            "Attributes",
            &json!(map.len()),
            "Member must have length less than or equal to 5",
        ));
    }
    for (key, value) in map {
        let n = key.chars().count();
        if !(1..=32).contains(&n) {
            return Err(constraint(
                "Attributes.key",
                &json!(key),
                "Member must have length between 1 and 32",
            ));
        }
        match value.as_str().map(|s| s.chars().count()) {
            Some(1..=32) => {}
            Some(_) => {
                return Err(constraint(
                    "Attributes.value",
                    value,
                    "Member must have length between 1 and 32",
                ))
            }
            None => return Err(ApiError::serialization("Attributes values must be strings")),
        }
    }
    Ok(Some(map.clone()))
}

fn boost(v: &Value) -> Res<Option<Value>> {
    let Some(_) = object(v, "SamplingRateBoost")? else {
        return Ok(None);
    };
    let b = &v["SamplingRateBoost"];
    let max_rate = required(double(b, "MaxRate", 0.0, 1.0)?, "SamplingRateBoost.MaxRate")?;
    let cooldown = required(
        integer(b, "CooldownWindowMinutes", 0, i64::from(i32::MAX))?,
        "SamplingRateBoost.CooldownWindowMinutes",
    )?;
    Ok(Some(
        json!({"MaxRate": max_rate, "CooldownWindowMinutes": cooldown}),
    ))
}

impl RegionState {
    pub(super) fn find_rule(&self, body: &Value) -> Res<usize> {
        let name = string(body, "RuleName", 1, 32)?;
        let arn = string(body, "RuleARN", 1, 1011)?;
        if name.is_none() && arn.is_none() {
            return Err(ApiError::invalid("RuleName or RuleARN is required"));
        }
        self.rules
            .iter()
            .position(|r| Some(r.name()) == name.as_deref() || Some(r.arn()) == arn.as_deref())
            .ok_or_else(|| ApiError::invalid("Sampling rule does not exist"))
    }

    pub(super) fn create_rule(&mut self, body: &Value) -> Res<Value> {
        if object(body, "SamplingRule")?.is_none() {
            return Err(ApiError::invalid("SamplingRule is required"));
        }
        let r = &body["SamplingRule"];
        let name = required(string(r, "RuleName", 1, 32)?, "SamplingRule.RuleName")?;
        if name == DEFAULT {
            return Err(ApiError::invalid("Default is a reserved rule name"));
        }
        let mut rule = Map::new();
        rule.insert("RuleName".into(), json!(name));
        rule.insert(
            "RuleARN".into(),
            json!(format!(
                "arn:aws:xray:{}:{ACCOUNT_ID}:sampling-rule/{name}",
                self.region
            )),
        );
        let resource = required(
            string(r, "ResourceARN", 0, 500)?,
            "SamplingRule.ResourceARN",
        )?;
        rule.insert("ResourceARN".into(), json!(resource));
        let priority = required(integer(r, "Priority", 1, 9999)?, "SamplingRule.Priority")?;
        rule.insert("Priority".into(), json!(priority));
        let rate = required(double(r, "FixedRate", 0.0, 1.0)?, "SamplingRule.FixedRate")?;
        rule.insert("FixedRate".into(), json!(rate));
        let reservoir = required(
            integer(r, "ReservoirSize", 0, i64::from(i32::MAX))?,
            "SamplingRule.ReservoirSize",
        )?;
        rule.insert("ReservoirSize".into(), json!(reservoir));
        for &(field, min, max) in &RULE_STRINGS[1..] {
            let value = required(
                string(r, field, min, max)?,
                &format!("SamplingRule.{field}"),
            )?;
            rule.insert(field.into(), json!(value));
        }
        let version = required(integer(r, "Version", 1, 1)?, "SamplingRule.Version")?;
        rule.insert("Version".into(), json!(version));
        rule.insert(
            "Attributes".into(),
            Value::Object(attributes(r)?.unwrap_or_default()),
        );
        if let Some(b) = boost(r)? {
            rule.insert("SamplingRateBoost".into(), b);
        }
        let tags = tag_list(body, "Tags")?;
        if self.rules.iter().any(|x| x.name() == name) {
            return Err(ApiError::invalid(format!(
                "A sampling rule named {name} already exists"
            )));
        }
        if self.rules.iter().filter(|x| x.name() != DEFAULT).count() >= RULE_LIMIT {
            return Err(ApiError::new(
                400,
                "RuleLimitExceededException",
                format!("You have reached the maximum of {RULE_LIMIT} sampling rules"),
            ));
        }
        let t = now();
        let rule = Rule {
            body: rule,
            created: t,
            modified: t,
        };
        if !tags.is_empty() {
            self.tags
                .insert(rule.arn().to_string(), tags.into_iter().collect());
        }
        let out = json!({"SamplingRuleRecord": rule.record()});
        self.rules.push(rule);
        Ok(out)
    }

    pub(super) fn update_rule(&mut self, body: &Value) -> Res<Value> {
        if object(body, "SamplingRuleUpdate")?.is_none() {
            return Err(ApiError::invalid("SamplingRuleUpdate is required"));
        }
        let u = &body["SamplingRuleUpdate"];
        let i = self.find_rule(u)?;
        let mut rule = self.rules[i].clone();
        let is_default = rule.name() == DEFAULT;
        let mut set = |field: &str, value: Value| -> Res<()> {
            if is_default && !matches!(field, "FixedRate" | "ReservoirSize") {
                return Err(ApiError::invalid(format!(
                    "Only FixedRate and ReservoirSize of the Default rule can be changed, not {field}"
                )));
            }
            rule.body.insert(field.into(), value);
            Ok(())
        };
        if let Some(p) = integer(u, "Priority", 1, 9999)? {
            set("Priority", json!(p))?;
        }
        if let Some(x) = double(u, "FixedRate", 0.0, 1.0)? {
            set("FixedRate", json!(x))?;
        }
        if let Some(n) = integer(u, "ReservoirSize", 0, i64::from(i32::MAX))? {
            set("ReservoirSize", json!(n))?;
        }
        for &(field, min, max) in RULE_STRINGS {
            if let Some(s) = string(u, field, min, max)? {
                set(field, json!(s))?;
            }
        }
        if let Some(a) = attributes(u)? {
            set("Attributes", Value::Object(a))?;
        }
        if let Some(b) = boost(u)? {
            set("SamplingRateBoost", b)?;
        }
        rule.modified = now();
        let out = json!({"SamplingRuleRecord": rule.record()});
        self.rules[i] = rule;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_support::*;

    #[test]
    fn duplicates_and_limits() {
        let mut s = RegionState::new("eu-west-1");
        s.dispatch("CreateSamplingRule", &rule("A"), 10).unwrap();
        let err = s
            .dispatch("CreateSamplingRule", &rule("A"), 10)
            .unwrap_err();
        assert_eq!(err.code, "InvalidRequestException");
        for i in 1..RULE_LIMIT {
            s.dispatch("CreateSamplingRule", &rule(&format!("R{i}")), 10)
                .unwrap();
        }
        let err = s
            .dispatch("CreateSamplingRule", &rule("Z"), 10)
            .unwrap_err();
        assert_eq!(err.code, "RuleLimitExceededException");
    }
}
