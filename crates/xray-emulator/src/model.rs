//! The emulator's per-region state and the operations on it. Pure: a request body
//! in, a response body or a modeled error out.

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

/// The account id in every ARN the emulator makes.
pub const ACCOUNT_ID: &str = "123456789012";
/// Sampling rules per region, not counting `Default` (the AWS quota).
const RULE_LIMIT: usize = 25;
/// Tags per resource (the AWS quota).
const TAG_LIMIT: usize = 50;
const DEFAULT: &str = "Default";

/// A modeled error: HTTP status, `x-amzn-ErrorType` code, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "InvalidRequestException", message)
    }

    fn serialization(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "SerializationException", message)
    }
}

type Res<T> = Result<T, ApiError>;

#[derive(Debug, Clone)]
struct Group {
    name: String,
    arn: String,
    filter: Option<String>,
    insights: bool,
    notifications: bool,
}

impl Group {
    fn to_json(&self) -> Value {
        let mut g = Map::new();
        g.insert("GroupName".into(), json!(self.name));
        g.insert("GroupARN".into(), json!(self.arn));
        if let Some(f) = &self.filter {
            g.insert("FilterExpression".into(), json!(f));
        }
        g.insert(
            "InsightsConfiguration".into(),
            json!({"InsightsEnabled": self.insights, "NotificationsEnabled": self.notifications}),
        );
        Value::Object(g)
    }
}

#[derive(Debug, Clone)]
struct Rule {
    /// The SamplingRule object as returned (RuleName, RuleARN, ... in model order).
    body: Map<String, Value>,
    created: f64,
    modified: f64,
}

impl Rule {
    fn name(&self) -> &str {
        self.body["RuleName"].as_str().unwrap_or_default()
    }
    fn arn(&self) -> &str {
        self.body["RuleARN"].as_str().unwrap_or_default()
    }
    fn priority(&self) -> i64 {
        self.body["Priority"].as_i64().unwrap_or_default()
    }
    fn record(&self) -> Value {
        json!({"SamplingRule": self.body, "CreatedAt": self.created, "ModifiedAt": self.modified})
    }
}

/// Everything the emulator holds for one region.
#[derive(Debug, Clone)]
pub struct RegionState {
    region: String,
    groups: Vec<Group>,
    rules: Vec<Rule>,
    tags: HashMap<String, BTreeMap<String, String>>,
    counter: u64,
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

fn now() -> f64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_millis() as f64) / 1000.0
}

fn constraint(field: &str, value: &Value, rule: &str) -> ApiError {
    ApiError::invalid(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {rule}"
    ))
}

fn object<'a>(v: &'a Value, field: &str) -> Res<Option<&'a Map<String, Value>>> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(ApiError::serialization(format!(
            "{field} must be an object"
        ))),
    }
}

fn string(v: &Value, field: &str, min: usize, max: usize) -> Res<Option<String>> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let n = s.chars().count();
            if n < min {
                Err(constraint(
                    field,
                    &json!(s),
                    &format!("Member must have length greater than or equal to {min}"),
                ))
            } else if n > max {
                Err(constraint(
                    field,
                    &json!(s),
                    &format!("Member must have length less than or equal to {max}"),
                ))
            } else {
                Ok(Some(s.clone()))
            }
        }
        Some(_) => Err(ApiError::serialization(format!("{field} must be a string"))),
    }
}

fn integer(v: &Value, field: &str, min: i64, max: i64) -> Res<Option<i64>> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(n) if n.is_i64() => {
            let i = n.as_i64().unwrap_or_default();
            if i < min {
                Err(constraint(
                    field,
                    n,
                    &format!("Member must have value greater than or equal to {min}"),
                ))
            } else if i > max {
                Err(constraint(
                    field,
                    n,
                    &format!("Member must have value less than or equal to {max}"),
                ))
            } else {
                Ok(Some(i))
            }
        }
        Some(_) => Err(ApiError::serialization(format!(
            "{field} must be an integer"
        ))),
    }
}

fn double(v: &Value, field: &str, min: f64, max: f64) -> Res<Option<f64>> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            let x = n.as_f64().unwrap_or_default();
            if x < min {
                Err(constraint(
                    field,
                    &json!(x),
                    &format!("Member must have value greater than or equal to {min}"),
                ))
            } else if x > max {
                Err(constraint(
                    field,
                    &json!(x),
                    &format!("Member must have value less than or equal to {max}"),
                ))
            } else {
                Ok(Some(x))
            }
        }
        Some(_) => Err(ApiError::serialization(format!("{field} must be a number"))),
    }
}

fn boolean(v: &Value, field: &str) -> Res<Option<bool>> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::serialization(format!(
            "{field} must be a boolean"
        ))),
    }
}

fn required<T>(value: Option<T>, field: &str) -> Res<T> {
    value.ok_or_else(|| ApiError::invalid(format!("{field} is required")))
}

fn tag_list(v: &Value, field: &str) -> Res<Vec<(String, String)>> {
    let list = match v.get(field) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(ApiError::serialization(format!("{field} must be a list"))),
    };
    if list.len() > 200 {
        return Err(constraint(
            field,
            &json!(list.len()),
            "Member must have length less than or equal to 200",
        ));
    }
    list.iter()
        .map(|t| {
            let key = required(string(t, "Key", 1, 128)?, "Tag.Key")?;
            let value = required(string(t, "Value", 0, 256)?, "Tag.Value")?;
            if key.starts_with("aws:") {
                return Err(ApiError::invalid(
                    "Tag keys starting with aws: are reserved",
                ));
            }
            Ok((key, value))
        })
        .collect()
}

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

fn page<T: Clone>(items: &[T], body: &Value, page_size: usize) -> Res<(Vec<T>, Option<String>)> {
    let start = match body.get("NextToken").and_then(Value::as_str) {
        None => 0,
        Some(token) => token
            .strip_prefix("page-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| ApiError::invalid("Invalid NextToken"))?,
    };
    let end = (start + page_size.max(1)).min(items.len());
    let next = (end < items.len()).then(|| format!("page-{end}"));
    Ok((items[start..end].to_vec(), next))
}

fn with_token(mut v: Value, next: Option<String>) -> Value {
    if let Some(token) = next {
        v["NextToken"] = json!(token);
    }
    v
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

    fn find_group(&self, body: &Value) -> Res<usize> {
        let name = string(body, "GroupName", 1, 32)?;
        let arn = string(body, "GroupARN", 1, 400)?;
        if name.is_none() && arn.is_none() {
            return Err(ApiError::invalid("GroupName or GroupARN is required"));
        }
        self.groups
            .iter()
            .position(|g| Some(&g.name) == name.as_ref() || Some(&g.arn) == arn.as_ref())
            .ok_or_else(|| ApiError::invalid("Group not found"))
    }

    fn find_rule(&self, body: &Value) -> Res<usize> {
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

    /// The ARN of an existing, taggable resource named by `ResourceARN`.
    fn taggable(&self, body: &Value) -> Res<String> {
        let arn = required(string(body, "ResourceARN", 1, 1011)?, "ResourceARN")?;
        let exists = self
            .groups
            .iter()
            .any(|g| g.arn == arn && g.name != DEFAULT)
            || self
                .rules
                .iter()
                .any(|r| r.arn() == arn && r.name() != DEFAULT);
        if exists {
            Ok(arn)
        } else {
            Err(ApiError::new(
                404,
                "ResourceNotFoundException",
                format!("Resource {arn} not found"),
            ))
        }
    }

    fn insights(body: &Value, group: &mut Group) -> Res<()> {
        let Some(_) = object(body, "InsightsConfiguration")? else {
            return Ok(());
        };
        let c = &body["InsightsConfiguration"];
        if let Some(on) = boolean(c, "InsightsEnabled")? {
            group.insights = on;
        }
        if let Some(on) = boolean(c, "NotificationsEnabled")? {
            group.notifications = on;
        }
        if group.notifications && !group.insights {
            return Err(ApiError::invalid(
                "Notifications can only be enabled on groups with Insights enabled",
            ));
        }
        Ok(())
    }

    fn create_group(&mut self, body: &Value) -> Res<Value> {
        let name = required(string(body, "GroupName", 1, 32)?, "GroupName")?;
        if name == DEFAULT {
            return Err(ApiError::invalid("Default is a reserved group name"));
        }
        if self.groups.iter().any(|g| g.name == name) {
            return Err(ApiError::invalid(format!("Group {name} already exists")));
        }
        let tags = tag_list(body, "Tags")?;
        let id = self.next_id();
        let mut group = Group {
            arn: format!(
                "arn:aws:xray:{}:{ACCOUNT_ID}:group/{name}/{id}",
                self.region
            ),
            name,
            filter: string(body, "FilterExpression", 0, usize::MAX)?,
            insights: false,
            notifications: false,
        };
        RegionState::insights(body, &mut group)?;
        if !tags.is_empty() {
            self.tags
                .insert(group.arn.clone(), tags.into_iter().collect());
        }
        let out = json!({"Group": group.to_json()});
        self.groups.push(group);
        Ok(out)
    }

    fn update_group(&mut self, body: &Value) -> Res<Value> {
        let i = self.find_group(body)?;
        let mut group = self.groups[i].clone();
        if let Some(filter) = string(body, "FilterExpression", 0, usize::MAX)? {
            if group.name == DEFAULT {
                return Err(ApiError::invalid(
                    "The filter expression of the Default group cannot be changed",
                ));
            }
            group.filter = Some(filter);
        }
        RegionState::insights(body, &mut group)?;
        let out = json!({"Group": group.to_json()});
        self.groups[i] = group;
        Ok(out)
    }

    fn create_rule(&mut self, body: &Value) -> Res<Value> {
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

    fn update_rule(&mut self, body: &Value) -> Res<Value> {
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

    fn rule(name: &str) -> Value {
        json!({"SamplingRule": {
            "RuleName": name, "ResourceARN": "*", "Priority": 9000, "FixedRate": 0.1,
            "ReservoirSize": 5, "ServiceName": "backend-flask", "ServiceType": "*",
            "Host": "*", "HTTPMethod": "*", "URLPath": "*", "Version": 1
        }})
    }

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

    #[test]
    fn pagination_walks_every_item_once() {
        let mut s = RegionState::new("us-east-1");
        for i in 0..7 {
            s.dispatch("CreateGroup", &json!({"GroupName": format!("g{i}")}), 3)
                .unwrap();
        }
        let mut names = Vec::new();
        let mut body = json!({});
        loop {
            let page = s.dispatch("GetGroups", &body, 3).unwrap();
            for g in page["Groups"].as_array().unwrap() {
                names.push(g["GroupName"].as_str().unwrap().to_string());
            }
            match page.get("NextToken") {
                Some(t) => body = json!({"NextToken": t}),
                None => break,
            }
        }
        assert_eq!(names, ["Default", "g0", "g1", "g2", "g3", "g4", "g5", "g6"]);
    }

    #[test]
    fn tags_on_unknown_resources_are_not_found() {
        let mut s = RegionState::new("us-east-1");
        let err = s
            .dispatch("ListTagsForResource", &json!({"ResourceARN": "arn:x"}), 10)
            .unwrap_err();
        assert_eq!((err.status, err.code), (404, "ResourceNotFoundException"));
    }
}
