//! PutTelemetryRecords: the records checked, then dropped.

use serde_json::{json, Value};

use super::error::{ApiError, Res};
use super::validation::{integer, list, object, required, string, timestamp};

/// PutTelemetryRecords: `TelemetryRecords` (each with a `Timestamp`; the counts
/// integers), `EC2InstanceId` ≤ 20, `Hostname` ≤ 255, `ResourceARN` ≤ 500 chars.
/// Nothing is kept.
pub(super) fn telemetry_records(body: &Value) -> Res<Value> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RegionState;

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
