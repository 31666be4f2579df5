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
    /// Segment documents received by PutTraceSegments, in the order received.
    segments: Vec<Stored>,
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

// ---------------------------------------------------------------------------
// The data plane: PutTraceSegments, GetTraceSummaries, BatchGetTraces,
// GetSamplingTargets, PutTelemetryRecords.

/// The largest segment document X-Ray takes (the quota: 64 kB).
const SEGMENT_DOCUMENT_LIMIT: usize = 64 * 1024;
/// The longest time range GetTraceSummaries takes, in seconds.
const SUMMARY_RANGE_LIMIT: f64 = 24.0 * 3600.0;
/// Trace IDs per BatchGetTraces request.
const BATCH_TRACE_LIMIT: usize = 5;
/// Statistics documents per GetSamplingTargets request (the model's list max).
const STATISTICS_LIMIT: usize = 25;
/// How long a reservoir quota from GetSamplingTargets lasts, in seconds.
const QUOTA_TTL: f64 = 300.0;
/// Seconds a client waits before asking for sampling targets again.
const TARGET_INTERVAL: i64 = 10;

/// One segment (or independent subsegment) document X-Ray accepted.
#[derive(Debug, Clone)]
struct Stored {
    trace_id: String,
    id: String,
    /// Set for segments called from a traced parent and for independent subsegments.
    parent_id: Option<String>,
    /// An independent subsegment (`"type": "subsegment"`), not a segment.
    subsegment: bool,
    name: String,
    /// The segment's `origin` (`AWS::EC2::Instance`, ...), its service type.
    origin: Option<String>,
    start: f64,
    /// None while in progress.
    end: Option<f64>,
    /// The document as parsed.
    doc: Value,
    /// The document as sent.
    document: String,
    /// When the emulator received it (epoch seconds).
    received: f64,
}

/// Why a segment document was refused: an `UnprocessedTraceSegment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// The document's `id`, when it has a string one.
    pub id: Option<String>,
    pub code: &'static str,
}

impl Refusal {
    fn to_json(&self) -> Value {
        let mut u = Map::new();
        if let Some(id) = &self.id {
            u.insert("Id".into(), json!(id));
        }
        u.insert("ErrorCode".into(), json!(self.code));
        u.insert(
            "Message".into(),
            json!(format!("Invalid segment. ErrorCode: {}", self.code)),
        );
        Value::Object(u)
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `1-<8 hex digits>-<24 hex digits>`.
pub(crate) fn valid_trace_id(s: &str) -> bool {
    let mut parts = s.split('-');
    parts.next() == Some("1")
        && parts.next().is_some_and(|t| is_hex(t, 8))
        && parts.next().is_some_and(|r| is_hex(r, 24))
        && parts.next().is_none()
}

/// A segment name: 1 to 200 of Unicode letters, numbers, whitespace and `_ . : / % & # = + \ - @`.
pub(crate) fn valid_segment_name(s: &str) -> bool {
    let n = s.chars().count();
    (1..=200).contains(&n)
        && s.chars()
            .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/%&#=+\\-@".contains(c))
}

fn number(e: &Map<String, Value>, field: &str) -> Option<f64> {
    e.get(field)
        .and_then(Value::as_f64)
        .filter(|x| x.is_finite())
}

/// Checks the fields every segment and subsegment has: `name`, `id`, `start_time`,
/// and `end_time` (not before `start_time`) or `in_progress: true`; then, recursively,
/// the embedded `subsegments`. Segments take the stricter name rule.
fn check_entity(e: &Map<String, Value>, segment: bool) -> Result<(), &'static str> {
    let name_ok = match e.get("name").and_then(Value::as_str) {
        Some(name) if segment => valid_segment_name(name),
        Some(name) => (1..=250).contains(&name.chars().count()),
        None => false,
    };
    if !name_ok {
        return Err("InvalidName");
    }
    if !e
        .get("id")
        .and_then(Value::as_str)
        .is_some_and(|id| is_hex(id, 16))
    {
        return Err("InvalidSegmentId");
    }
    let Some(start) = number(e, "start_time").filter(|x| *x >= 0.0) else {
        return Err("InvalidStartTime");
    };
    let in_progress = match e.get("in_progress") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("InvalidInProgress"),
    };
    match e.get("end_time") {
        None | Some(Value::Null) if in_progress => {}
        None | Some(Value::Null) => return Err("MissingEndTime"),
        Some(_) => {
            if !number(e, "end_time").is_some_and(|end| end >= start) {
                return Err("InvalidEndTime");
            }
        }
    }
    if let Some(p) = e.get("parent_id") {
        if !p.as_str().is_some_and(|p| is_hex(p, 16)) {
            return Err("InvalidParentId");
        }
    }
    match e.get("subsegments") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(subs)) => subs.iter().try_for_each(|s| match s {
            Value::Object(s) => check_entity(s, false).map_err(|_| "InvalidSubsegment"),
            _ => Err("InvalidSubsegment"),
        }),
        Some(_) => Err("InvalidSubsegment"),
    }
}

/// Checks a top-level document: a segment, or an independent subsegment
/// (`"type": "subsegment"` with `trace_id` and `parent_id`).
fn check_document(e: &Map<String, Value>) -> Result<(), &'static str> {
    let subsegment = match e.get("type") {
        None | Some(Value::Null) => false,
        Some(t) if t == "subsegment" => true,
        Some(_) => return Err("InvalidType"),
    };
    check_entity(e, !subsegment)?;
    if !e
        .get("trace_id")
        .and_then(Value::as_str)
        .is_some_and(valid_trace_id)
    {
        return Err("InvalidTraceId");
    }
    if subsegment && e.get("parent_id").is_none() {
        return Err("InvalidParentId");
    }
    Ok(())
}

fn stored(e: &Map<String, Value>, document: &str, received: f64) -> Stored {
    let text = |field: &str| e.get(field).and_then(Value::as_str).map(str::to_string);
    Stored {
        trace_id: text("trace_id").unwrap_or_default(),
        id: text("id").unwrap_or_default(),
        parent_id: text("parent_id"),
        subsegment: e.get("type").is_some_and(|t| t == "subsegment"),
        name: text("name").unwrap_or_default(),
        origin: text("origin"),
        start: number(e, "start_time").unwrap_or_default(),
        end: number(e, "end_time").filter(|_| e.get("in_progress") != Some(&Value::Bool(true))),
        doc: Value::Object(e.clone()),
        document: document.to_string(),
        received,
    }
}

/// Parses and checks one `TraceSegmentDocuments` entry as X-Ray does: a JSON object
/// (a segment or an independent subsegment) or an array of independent subsegments,
/// at most 64 kB. What it holds, ready to store, or why it is refused.
fn parse_document(document: &str, received: f64) -> Result<Vec<Stored>, Refusal> {
    let value: Value = serde_json::from_str(document).map_err(|_| Refusal {
        id: None,
        code: "InvalidJson",
    })?;
    let id_of = |e: &Map<String, Value>| e.get("id").and_then(Value::as_str).map(str::to_string);
    let entities: Vec<&Map<String, Value>> = match &value {
        Value::Object(e) => vec![e],
        Value::Array(list) if !list.is_empty() => list
            .iter()
            .map(Value::as_object)
            .collect::<Option<Vec<_>>>()
            .ok_or(Refusal {
                id: None,
                code: "InvalidJson",
            })?,
        _ => {
            return Err(Refusal {
                id: None,
                code: "InvalidJson",
            })
        }
    };
    if document.len() > SEGMENT_DOCUMENT_LIMIT {
        return Err(Refusal {
            id: entities.first().and_then(|e| id_of(e)),
            code: "SegmentTooLarge",
        });
    }
    let array = value.is_array();
    let mut out = Vec::new();
    for e in entities {
        check_document(e)
            .and_then(|()| {
                if array && e.get("type").is_none_or(|t| t != "subsegment") {
                    Err("InvalidType")
                } else {
                    Ok(())
                }
            })
            .map_err(|code| Refusal { id: id_of(e), code })?;
        let text = if array {
            Value::Object(e.clone()).to_string()
        } else {
            document.to_string()
        };
        out.push(stored(e, &text, received));
    }
    Ok(out)
}

/// Whether `e` or any subsegment under it has `flag` set (`error`, `fault`, `throttle`).
fn flagged(e: &Value, flag: &str) -> bool {
    e.get(flag) == Some(&Value::Bool(true))
        || e.get("subsegments")
            .and_then(Value::as_array)
            .is_some_and(|subs| subs.iter().any(|s| flagged(s, flag)))
}

/// Puts `sub` into the `subsegments` of the entity with id `parent` under `e`.
fn attach(e: &mut Value, parent: &str, sub: &Value) -> bool {
    if e.get("id").and_then(Value::as_str) == Some(parent) {
        if let Value::Object(map) = e {
            let subs = map
                .entry("subsegments")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = subs {
                let mut sub = sub.clone();
                if let Value::Object(s) = &mut sub {
                    for field in ["trace_id", "parent_id", "type"] {
                        s.remove(field);
                    }
                }
                list.push(sub);
                return true;
            }
        }
        return false;
    }
    match e.get_mut("subsegments") {
        Some(Value::Array(list)) => list.iter_mut().any(|s| attach(s, parent, sub)),
        _ => false,
    }
}

/// A filter expression the emulator understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Filter {
    /// `service("NAME")`, `service(id(name: "NAME"))`, `service(id(name: "NAME", type: "TYPE"))`:
    /// traces through that service.
    Service { name: String, kind: Option<String> },
}

struct FilterParser<'a> {
    rest: &'a str,
}

impl FilterParser<'_> {
    fn ws(&mut self) {
        self.rest = self.rest.trim_start();
    }
    fn eat(&mut self, token: &str) -> Option<()> {
        self.ws();
        self.rest = self.rest.strip_prefix(token)?;
        Some(())
    }
    fn string(&mut self) -> Option<String> {
        self.eat("\"")?;
        let mut out = String::new();
        let mut chars = self.rest.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.rest = &self.rest[i + 1..];
                    return Some(out);
                }
                '\\' => out.push(chars.next()?.1),
                c => out.push(c),
            }
        }
        None
    }
    fn service(&mut self) -> Option<Filter> {
        self.eat("service")?;
        self.eat("(")?;
        self.ws();
        let filter = if self.rest.starts_with('"') {
            Filter::Service {
                name: self.string()?,
                kind: None,
            }
        } else {
            self.eat("id")?;
            self.eat("(")?;
            let (mut name, mut kind) = (None, None);
            loop {
                self.ws();
                let key = if self.rest.starts_with("name") {
                    "name"
                } else if self.rest.starts_with("type") {
                    "type"
                } else {
                    return None;
                };
                self.eat(key)?;
                self.eat(":")?;
                let value = self.string()?;
                let slot = if key == "name" { &mut name } else { &mut kind };
                if slot.replace(value).is_some() {
                    return None;
                }
                if self.eat(",").is_none() {
                    break;
                }
            }
            self.eat(")")?;
            Filter::Service { name: name?, kind }
        };
        self.eat(")")?;
        self.ws();
        self.rest.is_empty().then_some(filter)
    }
}

/// Parses a `FilterExpression`: None for an empty one (every trace), else a
/// [`Filter`]; other X-Ray expressions are InvalidRequestException here.
pub(crate) fn parse_filter(expression: &str) -> Res<Option<Filter>> {
    if expression.trim().is_empty() {
        return Ok(None);
    }
    FilterParser { rest: expression }
        .service()
        .map(Some)
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "FilterExpression '{expression}' is unsupported in this emulator: it takes \
                 service(\"NAME\") and service(id(name: \"NAME\"[, type: \"TYPE\"]))"
            ))
        })
}

/// A number of epoch seconds (how restJson sends a timestamp).
fn timestamp(v: &Value, field: &str) -> Res<Option<f64>> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(_) => Err(ApiError::serialization(format!(
            "{field} must be a timestamp (epoch seconds)"
        ))),
    }
}

fn one_of(v: &Value, field: &str, values: &[&str]) -> Res<Option<String>> {
    let Some(s) = string(v, field, 0, usize::MAX)? else {
        return Ok(None);
    };
    if values.contains(&s.as_str()) {
        Ok(Some(s))
    } else {
        Err(constraint(
            field,
            &json!(s),
            &format!(
                "Member must satisfy enum value set: [{}]",
                values.join(", ")
            ),
        ))
    }
}

fn list<'a>(v: &'a Value, field: &str) -> Res<Option<&'a Vec<Value>>> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(list)) => Ok(Some(list)),
        Some(_) => Err(ApiError::serialization(format!("{field} must be a list"))),
    }
}

/// The segments of one trace, for its summary and its BatchGetTraces entry.
struct TraceView<'a> {
    id: &'a str,
    segments: Vec<&'a Stored>,
}

impl TraceView<'_> {
    fn start(&self) -> f64 {
        self.segments
            .iter()
            .map(|s| s.start)
            .fold(f64::INFINITY, f64::min)
    }

    /// From the earliest start to the latest end of a completed segment.
    fn duration(&self) -> f64 {
        let end = self
            .segments
            .iter()
            .filter_map(|s| s.end)
            .fold(f64::NEG_INFINITY, f64::max);
        if end.is_finite() {
            ((end - self.start()) * 1000.0).round() / 1000.0
        } else {
            0.0
        }
    }

    /// The segment with no parent that started first (else the first segment).
    fn root(&self) -> Option<&Stored> {
        let first = |a: &&&Stored, b: &&&Stored| a.start.total_cmp(&b.start);
        self.segments
            .iter()
            .filter(|s| !s.subsegment && s.parent_id.is_none())
            .min_by(first)
            .or_else(|| self.segments.iter().filter(|s| !s.subsegment).min_by(first))
            .copied()
    }

    fn service_id(s: &Stored) -> Value {
        let mut id = Map::new();
        id.insert("Name".into(), json!(s.name));
        id.insert("Names".into(), json!([s.name]));
        if let Some(origin) = &s.origin {
            id.insert("Type".into(), json!(origin));
        }
        Value::Object(id)
    }

    /// One entry per distinct (name, type) among the trace's segments.
    fn service_ids(&self) -> Vec<Value> {
        let mut ids: Vec<Value> = Vec::new();
        let mut segments: Vec<&Stored> = self
            .segments
            .iter()
            .filter(|s| !s.subsegment)
            .copied()
            .collect();
        segments.sort_by(|a, b| a.start.total_cmp(&b.start));
        for s in segments {
            let id = TraceView::service_id(s);
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }

    fn matches(&self, filter: Option<&Filter>) -> bool {
        match filter {
            None => true,
            Some(Filter::Service { name, kind }) => self.segments.iter().any(|s| {
                !s.subsegment
                    && &s.name == name
                    && kind.as_ref().is_none_or(|k| s.origin.as_ref() == Some(k))
            }),
        }
    }

    fn summary(&self) -> Value {
        let root = self.root();
        let root_flag = |flag: &str| root.is_some_and(|r| flagged(&r.doc, flag));
        let mut t = Map::new();
        t.insert("Id".into(), json!(self.id));
        t.insert("StartTime".into(), json!(self.start()));
        t.insert("Duration".into(), json!(self.duration()));
        if let Some((start, end)) = root.and_then(|r| r.end.map(|e| (r.start, e))) {
            t.insert(
                "ResponseTime".into(),
                json!(((end - start) * 1000.0).round() / 1000.0),
            );
        }
        t.insert("HasFault".into(), json!(root_flag("fault")));
        t.insert("HasError".into(), json!(root_flag("error")));
        t.insert(
            "HasThrottle".into(),
            json!(self.segments.iter().any(|s| flagged(&s.doc, "throttle"))),
        );
        t.insert(
            "IsPartial".into(),
            json!(self.segments.iter().any(|s| s.end.is_none())),
        );
        if let Some(http) = root.and_then(|r| r.doc.get("http")) {
            let request = &http["request"];
            let mut h = Map::new();
            for (key, value) in [
                ("HttpURL", request.get("url")),
                ("HttpStatus", http["response"].get("status")),
                ("HttpMethod", request.get("method")),
                ("UserAgent", request.get("user_agent")),
                ("ClientIp", request.get("client_ip")),
            ] {
                if let Some(v) = value.filter(|v| v.is_string() || v.is_i64()) {
                    h.insert(key.into(), v.clone());
                }
            }
            t.insert("Http".into(), Value::Object(h));
        }
        let mut annotations: Map<String, Value> = Map::new();
        let mut users: Vec<Value> = Vec::new();
        for s in self.segments.iter().filter(|s| !s.subsegment) {
            let service = json!([TraceView::service_id(s)]);
            if let Some(Value::Object(notes)) = s.doc.get("annotations") {
                for (key, value) in notes {
                    let typed = match value {
                        Value::String(v) => json!({"StringValue": v}),
                        Value::Number(n) => json!({"NumberValue": n.as_f64()}),
                        Value::Bool(b) => json!({"BooleanValue": b}),
                        _ => continue,
                    };
                    if let Value::Array(values) = annotations
                        .entry(key.clone())
                        .or_insert_with(|| Value::Array(Vec::new()))
                    {
                        values.push(json!({"AnnotationValue": typed, "ServiceIds": service}));
                    }
                }
            }
            if let Some(user) = s.doc.get("user").and_then(Value::as_str) {
                users.push(json!({"UserName": user, "ServiceIds": service}));
            }
        }
        t.insert("Annotations".into(), Value::Object(annotations));
        t.insert("Users".into(), json!(users));
        t.insert("ServiceIds".into(), json!(self.service_ids()));
        for empty in [
            "ResourceARNs",
            "InstanceIds",
            "AvailabilityZones",
            "FaultRootCauses",
            "ErrorRootCauses",
            "ResponseTimeRootCauses",
        ] {
            t.insert(empty.into(), json!([]));
        }
        if let Some(r) = root {
            t.insert("EntryPoint".into(), TraceView::service_id(r));
        }
        t.insert("Revision".into(), json!(self.segments.len()));
        Value::Object(t)
    }

    /// The `Trace` of BatchGetTraces: segments in start order, each independent
    /// subsegment put under its parent when the parent was received.
    fn trace(&self) -> Value {
        let mut segments: Vec<&Stored> = self.segments.clone();
        segments.sort_by(|a, b| a.start.total_cmp(&b.start));
        let mut docs: Vec<(String, Value, Option<String>)> = segments
            .iter()
            .filter(|s| !s.subsegment)
            .map(|s| (s.id.clone(), s.doc.clone(), Some(s.document.clone())))
            .collect();
        for sub in segments.iter().filter(|s| s.subsegment) {
            let parent = sub.parent_id.as_deref().unwrap_or_default();
            let placed = docs.iter_mut().any(|(_, doc, text)| {
                let done = attach(doc, parent, &sub.doc);
                if done {
                    *text = None;
                }
                done
            });
            if !placed {
                docs.push((sub.id.clone(), sub.doc.clone(), Some(sub.document.clone())));
            }
        }
        let list: Vec<Value> = docs
            .into_iter()
            .map(|(id, doc, text)| {
                json!({"Id": id, "Document": text.unwrap_or_else(|| doc.to_string())})
            })
            .collect();
        json!({"Id": self.id, "Duration": self.duration(), "LimitExceeded": false, "Segments": list})
    }
}

/// PutTelemetryRecords: `TelemetryRecords` (each with a `Timestamp`; the counts
/// integers), `EC2InstanceId` ≤ 20, `Hostname` ≤ 255, `ResourceARN` ≤ 500 chars.
/// Nothing is kept.
fn telemetry_records(body: &Value) -> Res<Value> {
    let records = required(list(body, "TelemetryRecords")?, "TelemetryRecords")?;
    for r in records {
        if !r.is_object() {
            return Err(ApiError::serialization(
                "TelemetryRecords members must be objects",
            ));
        }
        required(timestamp(r, "Timestamp")?, "TelemetryRecord.Timestamp")?;
        for field in [
            "SegmentsReceivedCount",
            "SegmentsSentCount",
            "SegmentsSpilloverCount",
            "SegmentsRejectedCount",
        ] {
            integer(r, field, i64::from(i32::MIN), i64::from(i32::MAX))?;
        }
        if let Some(errors) = object(r, "BackendConnectionErrors")? {
            let errors = Value::Object(errors.clone());
            for field in [
                "TimeoutCount",
                "ConnectionRefusedCount",
                "HTTPCode4XXCount",
                "HTTPCode5XXCount",
                "UnknownHostCount",
                "OtherCount",
            ] {
                integer(&errors, field, i64::from(i32::MIN), i64::from(i32::MAX))?;
            }
        }
    }
    string(body, "EC2InstanceId", 0, 20)?;
    string(body, "Hostname", 0, 255)?;
    string(body, "ResourceARN", 0, 500)?;
    Ok(json!({}))
}

impl RegionState {
    /// The documents stored for `trace_id`, as sent, in the order received.
    pub fn trace_documents(&self, trace_id: &str) -> Vec<String> {
        self.segments
            .iter()
            .filter(|s| s.trace_id == trace_id)
            .map(|s| s.document.clone())
            .collect()
    }

    /// The traces with stored segments, in the order first received.
    fn traces(&self) -> Vec<TraceView<'_>> {
        let mut traces: Vec<TraceView<'_>> = Vec::new();
        for s in &self.segments {
            match traces.iter_mut().find(|t| t.id == s.trace_id) {
                Some(t) => t.segments.push(s),
                None => traces.push(TraceView {
                    id: &s.trace_id,
                    segments: vec![s],
                }),
            }
        }
        traces
    }

    /// PutTraceSegments: `TraceSegmentDocuments` (required, a list of strings). Each
    /// document is checked as X-Ray does (see [`parse_document`]); refused ones are
    /// answered in `UnprocessedTraceSegments`, the others stored with the time
    /// `received`. A document with the `id` of a stored one in the same trace replaces
    /// it (a complete segment overwrites the in-progress one).
    fn put_trace_segments(&mut self, body: &Value, received: f64) -> Res<Value> {
        let documents = required(
            list(body, "TraceSegmentDocuments")?,
            "TraceSegmentDocuments",
        )?;
        let mut texts = Vec::with_capacity(documents.len());
        for d in documents {
            texts.push(d.as_str().ok_or_else(|| {
                ApiError::serialization("TraceSegmentDocuments members must be strings")
            })?);
        }
        let mut unprocessed = Vec::new();
        for text in texts {
            match parse_document(text, received) {
                Ok(stored) => {
                    for s in stored {
                        self.segments
                            .retain(|old| !(old.trace_id == s.trace_id && old.id == s.id));
                        self.segments.push(s);
                    }
                }
                Err(refusal) => unprocessed.push(refusal.to_json()),
            }
        }
        Ok(json!({"UnprocessedTraceSegments": unprocessed}))
    }

    /// GetTraceSummaries: `StartTime` and `EndTime` (required epoch seconds, EndTime
    /// not before StartTime, at most 24 hours apart), `TimeRangeType` (`TraceId`: the
    /// trace's earliest segment start, the default; `Event`: when a segment was last
    /// received; `Service`: a segment's end), `Sampling`/`SamplingStrategy` (checked,
    /// then ignored), `FilterExpression` (see [`parse_filter`]), `NextToken`. Most
    /// recent traces first, `page_size` a page.
    fn trace_summaries(&self, body: &Value, page_size: usize) -> Res<Value> {
        let start = required(timestamp(body, "StartTime")?, "StartTime")?;
        let end = required(timestamp(body, "EndTime")?, "EndTime")?;
        if end < start {
            return Err(ApiError::invalid("EndTime must not be before StartTime"));
        }
        if end - start > SUMMARY_RANGE_LIMIT {
            return Err(ApiError::invalid(
                "The time range between StartTime and EndTime must be 24 hours or less",
            ));
        }
        let range = one_of(body, "TimeRangeType", &["TraceId", "Event", "Service"])?;
        boolean(body, "Sampling")?;
        if let Some(strategy) = object(body, "SamplingStrategy")? {
            let strategy = Value::Object(strategy.clone());
            one_of(&strategy, "Name", &["PartialScan", "FixedRate"])?;
            double(&strategy, "Value", f64::MIN, f64::MAX)?;
        }
        let filter = match string(body, "FilterExpression", 0, usize::MAX)? {
            Some(expression) => parse_filter(&expression)?,
            None => None,
        };
        let within = |t: f64| start <= t && t <= end;
        let in_range: Vec<TraceView<'_>> = self
            .traces()
            .into_iter()
            .filter(|t| match range.as_deref() {
                Some("Event") => within(
                    t.segments
                        .iter()
                        .map(|s| s.received)
                        .fold(f64::NEG_INFINITY, f64::max),
                ),
                Some("Service") => t.segments.iter().any(|s| s.end.is_some_and(within)),
                _ => within(t.start()),
            })
            .collect();
        let processed = in_range.len();
        let mut found: Vec<TraceView<'_>> = in_range
            .into_iter()
            .filter(|t| t.matches(filter.as_ref()))
            .collect();
        found.sort_by(|a, b| b.start().total_cmp(&a.start()).then(a.id.cmp(b.id)));
        let summaries: Vec<Value> = found.iter().map(TraceView::summary).collect();
        let (summaries, next) = page(&summaries, body, page_size)?;
        Ok(with_token(
            json!({
                "TraceSummaries": summaries,
                "ApproximateTime": end,
                "TracesProcessedCount": processed,
            }),
            next,
        ))
    }

    /// BatchGetTraces: `TraceIds` (required, 1 to 5 IDs of 1 to 35 chars), `NextToken`.
    /// Traces in the order asked, `page_size` a page; IDs with no stored segment are
    /// answered in `UnprocessedTraceIds`.
    fn batch_get_traces(&self, body: &Value, page_size: usize) -> Res<Value> {
        let ids = required(list(body, "TraceIds")?, "TraceIds")?;
        if ids.is_empty() || ids.len() > BATCH_TRACE_LIMIT {
            return Err(ApiError::invalid(format!(
                "TraceIds must hold between 1 and {BATCH_TRACE_LIMIT} trace IDs"
            )));
        }
        let mut wanted: Vec<String> = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let field = format!("traceIds.{}.member", i + 1);
            let id = id
                .as_str()
                .ok_or_else(|| ApiError::serialization("TraceIds members must be strings"))?;
            let n = id.chars().count();
            if !(1..=35).contains(&n) {
                return Err(constraint(
                    &field,
                    &json!(id),
                    "Member must have length between 1 and 35",
                ));
            }
            if !wanted.iter().any(|w| w == id) {
                wanted.push(id.to_string());
            }
        }
        let traces = self.traces();
        let mut found = Vec::new();
        let mut unprocessed = Vec::new();
        for id in &wanted {
            match traces.iter().find(|t| t.id == id) {
                Some(t) => found.push(t.trace()),
                None => unprocessed.push(json!(id)),
            }
        }
        let (found, next) = page(&found, body, page_size)?;
        Ok(with_token(
            json!({"Traces": found, "UnprocessedTraceIds": unprocessed}),
            next,
        ))
    }

    /// GetSamplingTargets: `SamplingStatisticsDocuments` (required, at most 25, each
    /// with `RuleName` 1–32 chars, `ClientID` of 24 chars, `Timestamp`, `RequestCount`
    /// and `SampledCount` ≥ 0, optional `BorrowCount` ≥ 0) and the optional
    /// `SamplingBoostStatisticsDocuments` (checked likewise). A target per existing
    /// rule reported (its FixedRate, its ReservoirSize as the quota, valid five
    /// minutes from `now`, interval 10 s); statistics of unknown rules come back in
    /// `UnprocessedStatistics` / `UnprocessedBoostStatistics`.
    fn sampling_targets(&self, body: &Value, now: f64) -> Res<Value> {
        let docs = required(
            list(body, "SamplingStatisticsDocuments")?,
            "SamplingStatisticsDocuments",
        )?;
        let boosts = list(body, "SamplingBoostStatisticsDocuments")?;
        for (field, docs) in [
            ("SamplingStatisticsDocuments", Some(docs)),
            ("SamplingBoostStatisticsDocuments", boosts),
        ] {
            if let Some(docs) = docs.filter(|d| d.len() > STATISTICS_LIMIT) {
                return Err(constraint(
                    field,
                    &json!(docs.len()),
                    &format!("Member must have length less than or equal to {STATISTICS_LIMIT}"),
                ));
            }
        }
        let count = |d: &Value, field: &str, name: &str| -> Res<i64> {
            required(
                integer(d, field, 0, i64::from(i32::MAX))?,
                &format!("{name}.{field}"),
            )
        };
        let mut targets: Vec<Value> = Vec::new();
        let mut unprocessed: Vec<Value> = Vec::new();
        for d in docs {
            const NAME: &str = "SamplingStatisticsDocument";
            if !d.is_object() {
                return Err(ApiError::serialization(format!("{NAME} must be an object")));
            }
            let rule_name = required(string(d, "RuleName", 1, 32)?, &format!("{NAME}.RuleName"))?;
            required(string(d, "ClientID", 24, 24)?, &format!("{NAME}.ClientID"))?;
            required(timestamp(d, "Timestamp")?, &format!("{NAME}.Timestamp"))?;
            count(d, "RequestCount", NAME)?;
            count(d, "SampledCount", NAME)?;
            integer(d, "BorrowCount", 0, i64::from(i32::MAX))?;
            match self.rules.iter().find(|r| r.name() == rule_name) {
                Some(rule) => {
                    if !targets.iter().any(|t| t["RuleName"] == rule_name.as_str()) {
                        targets.push(json!({
                            "RuleName": rule_name,
                            "FixedRate": rule.body["FixedRate"],
                            "ReservoirQuota": rule.body["ReservoirSize"],
                            "ReservoirQuotaTTL": now + QUOTA_TTL,
                            "Interval": TARGET_INTERVAL,
                        }));
                    }
                }
                None => unprocessed.push(json!({
                    "RuleName": rule_name,
                    "ErrorCode": "400",
                    "Message": format!("Sampling rule {rule_name} does not exist"),
                })),
            }
        }
        let mut unprocessed_boosts: Vec<Value> = Vec::new();
        for d in boosts.into_iter().flatten() {
            const NAME: &str = "SamplingBoostStatisticsDocument";
            if !d.is_object() {
                return Err(ApiError::serialization(format!("{NAME} must be an object")));
            }
            let rule_name = required(string(d, "RuleName", 1, 32)?, &format!("{NAME}.RuleName"))?;
            required(
                string(d, "ServiceName", 0, 64)?,
                &format!("{NAME}.ServiceName"),
            )?;
            required(timestamp(d, "Timestamp")?, &format!("{NAME}.Timestamp"))?;
            for field in ["AnomalyCount", "TotalCount", "SampledAnomalyCount"] {
                count(d, field, NAME)?;
            }
            if !self.rules.iter().any(|r| r.name() == rule_name) {
                unprocessed_boosts.push(json!({
                    "RuleName": rule_name,
                    "ErrorCode": "400",
                    "Message": format!("Sampling rule {rule_name} does not exist"),
                }));
            }
        }
        let last = self.rules.iter().map(|r| r.modified).fold(0.0, f64::max);
        let mut out = json!({
            "SamplingTargetDocuments": targets,
            "LastRuleModification": last,
            "UnprocessedStatistics": unprocessed,
        });
        if boosts.is_some() {
            out["UnprocessedBoostStatistics"] = json!(unprocessed_boosts);
        }
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

    /// A trace ID of now, numbered `n`.
    fn trace_id(n: u32) -> String {
        format!("1-{:08x}-{:024x}", now() as u64, n)
    }

    fn segment(trace: &str, id: &str, name: &str, start: f64, end: f64) -> Value {
        json!({"trace_id": trace, "id": id, "name": name, "start_time": start, "end_time": end})
    }

    fn put(s: &mut RegionState, docs: &[Value]) -> Value {
        let docs: Vec<String> = docs.iter().map(Value::to_string).collect();
        s.dispatch(
            "PutTraceSegments",
            &json!({"TraceSegmentDocuments": docs}),
            10,
        )
        .unwrap()
    }

    fn refusal(doc: &str) -> Refusal {
        parse_document(doc, 0.0).unwrap_err()
    }

    #[test]
    fn segment_documents_are_checked_field_by_field() {
        let t = trace_id(1);
        let good = segment(&t, "70de5b6f19ff9a0a", "backend-flask", 100.0, 100.5);
        assert_eq!(parse_document(&good.to_string(), 7.0).unwrap().len(), 1);
        let mut in_progress = good.clone();
        in_progress.as_object_mut().unwrap().remove("end_time");
        in_progress["in_progress"] = json!(true);
        assert!(parse_document(&in_progress.to_string(), 0.0).is_ok());
        // The documented name characters pass; others do not.
        let mut named = good.clone();
        named["name"] = json!("Ünïcode 9 _.:/%&#=+\\-@");
        assert!(parse_document(&named.to_string(), 0.0).is_ok());
        let cases: &[(&str, Value, &str)] = &[
            ("name", json!("bad!name"), "InvalidName"),
            ("name", json!("x".repeat(201)), "InvalidName"),
            ("name", json!(""), "InvalidName"),
            ("id", json!("70de5b6f19ff9a0"), "InvalidSegmentId"),
            ("id", json!("70de5b6f19ff9a0g"), "InvalidSegmentId"),
            (
                "trace_id",
                json!("1-581cf771-a006649127e371903a2de97"),
                "InvalidTraceId",
            ),
            (
                "trace_id",
                json!("2-581cf771-a006649127e371903a2de979"),
                "InvalidTraceId",
            ),
            (
                "trace_id",
                json!("581cf771a006649127e371903a2de979"),
                "InvalidTraceId",
            ),
            ("start_time", json!("100"), "InvalidStartTime"),
            ("end_time", json!(99.0), "InvalidEndTime"),
            ("end_time", json!("101"), "InvalidEndTime"),
            ("parent_id", json!("nope"), "InvalidParentId"),
            (
                "subsegments",
                json!([{"id": "53995c3f42cd8ad8", "name": "db"}]),
                "InvalidSubsegment",
            ),
        ];
        for (field, value, code) in cases {
            let mut doc = good.clone();
            doc[*field] = value.clone();
            let r = refusal(&doc.to_string());
            assert_eq!(r.code, *code, "{field} = {value}");
        }
        // A missing id is refused without an Id; a bad one is echoed.
        let mut no_id = good.clone();
        no_id.as_object_mut().unwrap().remove("id");
        assert_eq!(
            refusal(&no_id.to_string()),
            Refusal {
                id: None,
                code: "InvalidSegmentId"
            }
        );
        let mut no_end = good.clone();
        no_end.as_object_mut().unwrap().remove("end_time");
        assert_eq!(
            refusal(&no_end.to_string()),
            Refusal {
                id: Some("70de5b6f19ff9a0a".into()),
                code: "MissingEndTime"
            }
        );
        for bad in ["{not json", "[]", "42", "\"a\"", "[1]"] {
            assert_eq!(
                refusal(bad),
                Refusal {
                    id: None,
                    code: "InvalidJson"
                },
                "{bad}"
            );
        }
        let mut big = good.clone();
        big["metadata"] = json!({"x": "y".repeat(SEGMENT_DOCUMENT_LIMIT)});
        assert_eq!(refusal(&big.to_string()).code, "SegmentTooLarge");
        // Independent subsegments need their parent; arrays hold only subsegments.
        let mut sub = segment(&t, "53995c3f42cd8ad8", "api.example.com", 100.1, 100.2);
        sub["type"] = json!("subsegment");
        assert_eq!(refusal(&sub.to_string()).code, "InvalidParentId");
        sub["parent_id"] = json!("70de5b6f19ff9a0a");
        assert!(parse_document(&sub.to_string(), 0.0).is_ok());
        assert_eq!(
            parse_document(&json!([sub, sub]).to_string(), 0.0)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(refusal(&json!([sub, good]).to_string()).code, "InvalidType");
    }

    #[test]
    fn put_trace_segments_stores_the_good_and_answers_the_bad() {
        let mut s = RegionState::new("us-east-1");
        let t = trace_id(2);
        let mut open = segment(&t, "70de5b6f19ff9a0a", "backend-flask", 100.0, 0.0);
        open.as_object_mut().unwrap().remove("end_time");
        open["in_progress"] = json!(true);
        let bad = json!({"trace_id": t, "id": "0123456789abcdef", "name": "x", "start_time": 5});
        let out = put(&mut s, &[open, bad]);
        assert_eq!(
            out,
            json!({"UnprocessedTraceSegments": [{"Id": "0123456789abcdef",
                "ErrorCode": "MissingEndTime", "Message": "Invalid segment. ErrorCode: MissingEndTime"}]})
        );
        assert_eq!(s.trace_documents(&t).len(), 1);
        // The complete segment overwrites the in-progress one.
        let done = segment(&t, "70de5b6f19ff9a0a", "backend-flask", 100.0, 100.25);
        assert_eq!(
            put(&mut s, std::slice::from_ref(&done)),
            json!({"UnprocessedTraceSegments": []})
        );
        assert_eq!(s.trace_documents(&t), [done.to_string()]);
        // The request itself is checked.
        let err = s.dispatch("PutTraceSegments", &json!({}), 10).unwrap_err();
        assert_eq!(err.message, "TraceSegmentDocuments is required");
        let err = s
            .dispatch(
                "PutTraceSegments",
                &json!({"TraceSegmentDocuments": [{}]}),
                10,
            )
            .unwrap_err();
        assert_eq!(err.code, "SerializationException");
    }

    #[test]
    fn filters_parse_in_the_supported_forms_only() {
        let service = |name: &str, kind: Option<&str>| {
            Some(Filter::Service {
                name: name.into(),
                kind: kind.map(str::to_string),
            })
        };
        assert_eq!(
            parse_filter("service(\"backend-flask\")").unwrap(),
            service("backend-flask", None)
        );
        assert_eq!(
            parse_filter(" service( id( name : \"backend-flask\" ) ) ").unwrap(),
            service("backend-flask", None)
        );
        assert_eq!(
            parse_filter("service(id(name: \"a\\\"b\", type: \"AWS::EC2::Instance\"))").unwrap(),
            service("a\"b", Some("AWS::EC2::Instance"))
        );
        assert_eq!(parse_filter("  ").unwrap(), None);
        for bad in [
            "annotation.account = \"12345\"",
            "service(\"a\") AND service(\"b\")",
            "service(a)",
            "service(id(type: \"x\"))",
            "service(id(name: \"a\", name: \"b\"))",
            "service(\"a\"",
            "responsetime > 5",
        ] {
            let err = parse_filter(bad).unwrap_err();
            assert_eq!(err.code, "InvalidRequestException", "{bad}");
            assert!(
                err.message.contains("unsupported in this emulator"),
                "{bad}"
            );
        }
    }

    #[test]
    fn trace_summaries_filter_by_time_and_service() {
        let mut s = RegionState::new("us-east-1");
        let (a, b, c) = (trace_id(10), trace_id(11), trace_id(12));
        let mut root = segment(&a, "1000000000000001", "backend-flask", 1000.0, 1000.5);
        root["fault"] = json!(true);
        root["origin"] = json!("AWS::ECS::Container");
        root["http"] = json!({"request": {"method": "GET", "url": "http://x/api"}, "response": {"status": 500}});
        root["annotations"] = json!({"account": "12345"});
        root["subsegments"] = json!([{"id": "1000000000000002", "name": "db", "start_time": 1000.1,
            "end_time": 1000.2, "throttle": true}]);
        let down = json!({"trace_id": a, "id": "1000000000000003", "name": "users", "parent_id": "1000000000000002",
            "start_time": 1000.15, "end_time": 1001.0});
        put(&mut s, &[root, down]);
        put(
            &mut s,
            &[segment(
                &b,
                "2000000000000001",
                "frontend-react-js",
                2000.0,
                2000.1,
            )],
        );
        put(
            &mut s,
            &[segment(
                &c,
                "3000000000000001",
                "backend-flask",
                90000.0,
                90000.1,
            )],
        );
        let mut query = |filter: Option<&str>| {
            let mut body = json!({"StartTime": 900, "EndTime": 3000});
            if let Some(f) = filter {
                body["FilterExpression"] = json!(f);
            }
            s.dispatch("GetTraceSummaries", &body, 10).unwrap()
        };
        let all = query(None);
        assert_eq!(all["TracesProcessedCount"], 2);
        assert_eq!(all["ApproximateTime"], 3000.0);
        let ids: Vec<&Value> = all["TraceSummaries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| &t["Id"])
            .collect();
        assert_eq!(ids, [&json!(b), &json!(a)], "the most recent first");
        let found = query(Some("service(\"backend-flask\")"));
        assert_eq!(found["TracesProcessedCount"], 2);
        let list = found["TraceSummaries"].as_array().unwrap();
        assert_eq!(list.len(), 1);
        let t = &list[0];
        assert_eq!(t["Id"], json!(a));
        assert_eq!(t["StartTime"], 1000.0);
        assert_eq!(t["Duration"], 1.0);
        assert_eq!(t["ResponseTime"], 0.5);
        assert_eq!(
            (
                &t["HasFault"],
                &t["HasError"],
                &t["HasThrottle"],
                &t["IsPartial"]
            ),
            (&json!(true), &json!(false), &json!(true), &json!(false))
        );
        assert_eq!(
            t["Http"],
            json!({"HttpURL": "http://x/api", "HttpStatus": 500, "HttpMethod": "GET"})
        );
        assert_eq!(
            t["ServiceIds"],
            json!([
            {"Name": "backend-flask", "Names": ["backend-flask"], "Type": "AWS::ECS::Container"},
            {"Name": "users", "Names": ["users"]}])
        );
        assert_eq!(t["EntryPoint"]["Name"], "backend-flask");
        assert_eq!(
            t["Annotations"]["account"][0]["AnnotationValue"],
            json!({"StringValue": "12345"})
        );
        let by_id = query(Some(
            "service(id(name: \"backend-flask\", type: \"AWS::ECS::Container\"))",
        ));
        assert_eq!(by_id["TraceSummaries"].as_array().unwrap().len(), 1);
        let wrong_type = query(Some(
            "service(id(name: \"backend-flask\", type: \"AWS::EC2::Instance\"))",
        ));
        assert_eq!(wrong_type["TraceSummaries"], json!([]));
        assert_eq!(
            query(Some("service(\"nobody\")"))["TraceSummaries"],
            json!([])
        );
        // Service: by a segment's end time.
        let late = s
            .dispatch(
                "GetTraceSummaries",
                &json!({"StartTime": 1000.9, "EndTime": 1001.5, "TimeRangeType": "Service"}),
                10,
            )
            .unwrap();
        assert_eq!(late["TraceSummaries"][0]["Id"], json!(a));
    }

    #[test]
    fn trace_summaries_check_the_request() {
        let mut s = RegionState::new("us-east-1");
        let err = |s: &mut RegionState, body: Value| {
            s.dispatch("GetTraceSummaries", &body, 10).unwrap_err()
        };
        assert_eq!(
            err(&mut s, json!({"EndTime": 5})).message,
            "StartTime is required"
        );
        assert_eq!(
            err(&mut s, json!({"StartTime": 5})).message,
            "EndTime is required"
        );
        let e = err(&mut s, json!({"StartTime": 0, "EndTime": 86401}));
        assert_eq!(e.code, "InvalidRequestException");
        assert!(e.message.contains("24 hours"), "{e:?}");
        assert!(s
            .dispatch(
                "GetTraceSummaries",
                &json!({"StartTime": 0, "EndTime": 86400}),
                10
            )
            .is_ok());
        assert_eq!(
            err(&mut s, json!({"StartTime": 10, "EndTime": 5})).code,
            "InvalidRequestException"
        );
        assert_eq!(
            err(&mut s, json!({"StartTime": "x", "EndTime": 5})).code,
            "SerializationException"
        );
        let e = err(
            &mut s,
            json!({"StartTime": 0, "EndTime": 5, "TimeRangeType": "Whenever"}),
        );
        assert!(e.message.contains("enum"), "{e:?}");
        let e = err(
            &mut s,
            json!({"StartTime": 0, "EndTime": 5, "FilterExpression": "ok = true"}),
        );
        assert!(e.message.contains("unsupported in this emulator"), "{e:?}");
    }

    #[test]
    fn trace_summaries_and_traces_paginate() {
        let mut s = RegionState::new("us-east-1");
        let ids: Vec<String> = (0..7).map(|i| trace_id(100 + i)).collect();
        for (i, t) in ids.iter().enumerate() {
            let start = 500.0 + i as f64;
            put(
                &mut s,
                &[segment(
                    t,
                    &format!("{:016x}", i + 1),
                    "backend-flask",
                    start,
                    start + 0.1,
                )],
            );
        }
        let mut seen = Vec::new();
        let mut body = json!({"StartTime": 0, "EndTime": 1000, "FilterExpression": "service(\"backend-flask\")"});
        loop {
            let page = s.dispatch("GetTraceSummaries", &body, 3).unwrap();
            assert_eq!(page["TracesProcessedCount"], 7);
            for t in page["TraceSummaries"].as_array().unwrap() {
                seen.push(t["Id"].as_str().unwrap().to_string());
            }
            match page.get("NextToken") {
                Some(token) => body["NextToken"] = token.clone(),
                None => break,
            }
        }
        let mut expected = ids.clone();
        expected.reverse();
        assert_eq!(seen, expected);
        body["NextToken"] = json!("bogus");
        assert_eq!(
            s.dispatch("GetTraceSummaries", &body, 3).unwrap_err().code,
            "InvalidRequestException"
        );
        let first = s
            .dispatch("BatchGetTraces", &json!({"TraceIds": ids[..5]}), 2)
            .unwrap();
        assert_eq!(first["Traces"].as_array().unwrap().len(), 2);
        let second = s
            .dispatch(
                "BatchGetTraces",
                &json!({"TraceIds": ids[..5], "NextToken": first["NextToken"]}),
                2,
            )
            .unwrap();
        assert_eq!(second["Traces"][0]["Id"], json!(ids[2]));
    }

    #[test]
    fn batch_get_traces_answers_stored_traces_and_lists_the_rest() {
        let mut s = RegionState::new("us-east-1");
        let t = trace_id(20);
        let root = segment(&t, "1000000000000001", "backend-flask", 10.0, 10.5);
        let mut sub = segment(&t, "1000000000000002", "db", 10.1, 10.7);
        sub["type"] = json!("subsegment");
        sub["parent_id"] = json!("1000000000000001");
        let mut orphan = segment(&t, "1000000000000004", "queue", 10.2, 10.3);
        orphan["type"] = json!("subsegment");
        orphan["parent_id"] = json!("1000000000000009");
        put(&mut s, &[root.clone(), sub, orphan.clone()]);
        let missing = trace_id(21);
        let out = s
            .dispatch("BatchGetTraces", &json!({"TraceIds": [t, missing, t]}), 10)
            .unwrap();
        assert_eq!(out["UnprocessedTraceIds"], json!([missing]));
        let trace = &out["Traces"][0];
        assert_eq!(
            (&trace["Id"], &trace["Duration"], &trace["LimitExceeded"]),
            (&json!(t), &json!(0.7), &json!(false))
        );
        let segments = trace["Segments"].as_array().unwrap();
        assert_eq!(segments.len(), 2, "{segments:?}");
        assert_eq!(segments[0]["Id"], "1000000000000001");
        let merged: Value =
            serde_json::from_str(segments[0]["Document"].as_str().unwrap()).unwrap();
        assert_eq!(merged["subsegments"][0]["id"], "1000000000000002");
        assert!(merged["subsegments"][0].get("parent_id").is_none());
        assert_eq!(segments[1]["Document"], orphan.to_string());
        for bad in [
            json!({}),
            json!({"TraceIds": []}),
            json!({"TraceIds": ["a", "b", "c", "d", "e", "f"]}),
            json!({"TraceIds": ["x".repeat(36)]}),
        ] {
            let err = s.dispatch("BatchGetTraces", &bad, 10).unwrap_err();
            assert_eq!(err.code, "InvalidRequestException", "{bad}");
        }
    }

    #[test]
    fn sampling_targets_for_known_rules_and_unprocessed_for_the_rest() {
        let mut s = RegionState::new("us-east-1");
        s.dispatch("CreateSamplingRule", &rule("Cruddur"), 10)
            .unwrap();
        let stats = |name: &str| {
            json!({"RuleName": name, "ClientID": "0123456789abcdef01234567",
            "Timestamp": 1000, "RequestCount": 10, "SampledCount": 1, "BorrowCount": 0})
        };
        let out = s
            .dispatch("GetSamplingTargets", &json!({"SamplingStatisticsDocuments": [stats("Default"), stats("Cruddur"), stats("Gone")]}), 10)
            .unwrap();
        let targets = out["SamplingTargetDocuments"].as_array().unwrap();
        assert_eq!(targets.len(), 2);
        assert_eq!(targets[0]["RuleName"], "Default");
        assert_eq!(targets[0]["FixedRate"], 0.05);
        assert_eq!(targets[0]["ReservoirQuota"], 1);
        assert_eq!(targets[0]["Interval"], 10);
        assert!(targets[0]["ReservoirQuotaTTL"].as_f64().unwrap() > now());
        assert_eq!(targets[1]["ReservoirQuota"], 5);
        assert_eq!(out["UnprocessedStatistics"][0]["RuleName"], "Gone");
        assert!(out["LastRuleModification"].as_f64().unwrap() > 0.0);
        for (field, value) in [
            ("ClientID", json!("short")),
            ("RequestCount", json!(-1)),
            ("RuleName", json!("")),
        ] {
            let mut doc = stats("Default");
            doc[field] = value;
            let err = s
                .dispatch(
                    "GetSamplingTargets",
                    &json!({"SamplingStatisticsDocuments": [doc]}),
                    10,
                )
                .unwrap_err();
            assert_eq!(err.code, "InvalidRequestException", "{field}");
        }
        for field in [
            "RuleName",
            "ClientID",
            "Timestamp",
            "RequestCount",
            "SampledCount",
        ] {
            let mut doc = stats("Default");
            doc.as_object_mut().unwrap().remove(field);
            let err = s
                .dispatch(
                    "GetSamplingTargets",
                    &json!({"SamplingStatisticsDocuments": [doc]}),
                    10,
                )
                .unwrap_err();
            assert_eq!(
                err.message,
                format!("SamplingStatisticsDocument.{field} is required")
            );
        }
        let many: Vec<Value> = (0..26).map(|_| stats("Default")).collect();
        let err = s
            .dispatch(
                "GetSamplingTargets",
                &json!({"SamplingStatisticsDocuments": many}),
                10,
            )
            .unwrap_err();
        assert_eq!(err.code, "InvalidRequestException");
        assert!(s.dispatch("GetSamplingTargets", &json!({}), 10).is_err());
    }

    #[test]
    fn telemetry_records_are_checked_and_dropped() {
        let mut s = RegionState::new("us-east-1");
        let ok = json!({"TelemetryRecords": [{"Timestamp": 1000, "SegmentsReceivedCount": 1,
            "BackendConnectionErrors": {"TimeoutCount": 0}}], "Hostname": "h"});
        assert_eq!(
            s.dispatch("PutTelemetryRecords", &ok, 10).unwrap(),
            json!({})
        );
        let err = s
            .dispatch(
                "PutTelemetryRecords",
                &json!({"TelemetryRecords": [{}]}),
                10,
            )
            .unwrap_err();
        assert_eq!(err.message, "TelemetryRecord.Timestamp is required");
        assert!(s.dispatch("PutTelemetryRecords", &json!({}), 10).is_err());
        let long = json!({"TelemetryRecords": [], "EC2InstanceId": "i".repeat(21)});
        assert!(s.dispatch("PutTelemetryRecords", &long, 10).is_err());
    }
}
