//! Traces: the stored segments grouped by trace, their summaries (GetTraceSummaries)
//! and whole traces (BatchGetTraces).

use serde_json::{json, Map, Value};

use super::error::{ApiError, Res};
use super::filter::{parse_filter, Filter};
use super::pagination::{page, with_token};
use super::segments::Stored;
use super::validation::{
    boolean, constraint, double, list, object, one_of, required, string, timestamp,
};
use super::RegionState;

/// The longest time range GetTraceSummaries takes, in seconds.
const SUMMARY_RANGE_LIMIT: f64 = 24.0 * 3600.0;
/// Trace IDs per BatchGetTraces request.
const BATCH_TRACE_LIMIT: usize = 5;

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

    /// GetTraceSummaries: `StartTime` and `EndTime` (required epoch seconds, EndTime
    /// not before StartTime, at most 24 hours apart), `TimeRangeType` (`TraceId`: the
    /// trace's earliest segment start, the default; `Event`: when a segment was last
    /// received; `Service`: a segment's end), `Sampling`/`SamplingStrategy` (checked,
    /// then ignored), `FilterExpression` (see [`parse_filter`]), `NextToken`. Most
    /// recent traces first, `page_size` a page.
    pub(super) fn trace_summaries(&self, body: &Value, page_size: usize) -> Res<Value> {
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
    pub(super) fn batch_get_traces(&self, body: &Value, page_size: usize) -> Res<Value> {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_support::*;

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
}
