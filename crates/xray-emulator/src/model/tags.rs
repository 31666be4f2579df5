//! Tags: the `Tags` list a request carries, the per-resource limit, and which
//! resources can be tagged.

use serde_json::{json, Value};

use super::error::{ApiError, Res};
use super::validation::{constraint, required, string};
use super::{RegionState, DEFAULT};

/// Tags per resource (the AWS quota).
pub(super) const TAG_LIMIT: usize = 50;

pub(super) fn tag_list(v: &Value, field: &str) -> Res<Vec<(String, String)>> {
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

impl RegionState {
    /// The ARN of an existing, taggable resource named by `ResourceARN`.
    pub(super) fn taggable(&self, body: &Value) -> Res<String> {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tags_on_unknown_resources_are_not_found() {
        let mut s = RegionState::new("us-east-1");
        let err = s
            .dispatch("ListTagsForResource", &json!({"ResourceARN": "arn:x"}), 10)
            .unwrap_err();
        assert_eq!((err.status, err.code), (404, "ResourceNotFoundException"));
    }
}
