//! GetSamplingTargets: the statistics documents a client reports, checked, and the
//! target it gets for each known rule.

use serde_json::{json, Value};

use super::error::{ApiError, Res};
use super::validation::{constraint, integer, list, required, string, timestamp};
use super::RegionState;

/// Statistics documents per GetSamplingTargets request (the model's list max).
const STATISTICS_LIMIT: usize = 25;
/// How long a reservoir quota from GetSamplingTargets lasts, in seconds.
const QUOTA_TTL: f64 = 300.0;
/// Seconds a client waits before asking for sampling targets again.
const TARGET_INTERVAL: i64 = 10;

impl RegionState {
    /// GetSamplingTargets: `SamplingStatisticsDocuments` (required, at most 25, each
    /// with `RuleName` 1–32 chars, `ClientID` of 24 chars, `Timestamp`, `RequestCount`
    /// and `SampledCount` ≥ 0, optional `BorrowCount` ≥ 0) and the optional
    /// `SamplingBoostStatisticsDocuments` (checked likewise). A target per existing
    /// rule reported (its FixedRate, its ReservoirSize as the quota, valid five
    /// minutes from `now`, interval 10 s); statistics of unknown rules come back in
    /// `UnprocessedStatistics` / `UnprocessedBoostStatistics`.
    pub(super) fn sampling_targets(&self, body: &Value, now: f64) -> Res<Value> {
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
    use crate::model::now;
    use crate::model::test_support::*;

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
}
