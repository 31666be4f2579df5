//! What the model's unit tests share: a sampling rule to create, and segment
//! documents to put.

use serde_json::{json, Value};

use super::{now, RegionState};

pub(super) fn rule(name: &str) -> Value {
    json!({"SamplingRule": {
        "RuleName": name, "ResourceARN": "*", "Priority": 9000, "FixedRate": 0.1,
        "ReservoirSize": 5, "ServiceName": "backend-flask", "ServiceType": "*",
        "Host": "*", "HTTPMethod": "*", "URLPath": "*", "Version": 1
    }})
}

/// A trace ID of now, numbered `n`.
pub(super) fn trace_id(n: u32) -> String {
    format!("1-{:08x}-{:024x}", now() as u64, n)
}

pub(super) fn segment(trace: &str, id: &str, name: &str, start: f64, end: f64) -> Value {
    json!({"trace_id": trace, "id": id, "name": name, "start_time": start, "end_time": end})
}

pub(super) fn put(s: &mut RegionState, docs: &[Value]) -> Value {
    let docs: Vec<String> = docs.iter().map(Value::to_string).collect();
    s.dispatch(
        "PutTraceSegments",
        &json!({"TraceSegmentDocuments": docs}),
        10,
    )
    .unwrap()
}
