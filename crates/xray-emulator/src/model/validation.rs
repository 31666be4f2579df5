//! Reading request fields against the service model's constraints: each reader
//! answers the field's value, nothing when it is absent, or the modeled
//! validation or serialization error.

use serde_json::{json, Map, Value};

use super::error::{ApiError, Res};

pub(super) fn constraint(field: &str, value: &Value, rule: &str) -> ApiError {
    ApiError::invalid(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {rule}"
    ))
}

pub(super) fn object<'a>(v: &'a Value, field: &str) -> Res<Option<&'a Map<String, Value>>> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(ApiError::serialization(format!(
            "{field} must be an object"
        ))),
    }
}

pub(super) fn string(v: &Value, field: &str, min: usize, max: usize) -> Res<Option<String>> {
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

pub(super) fn integer(v: &Value, field: &str, min: i64, max: i64) -> Res<Option<i64>> {
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

pub(super) fn double(v: &Value, field: &str, min: f64, max: f64) -> Res<Option<f64>> {
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

pub(super) fn boolean(v: &Value, field: &str) -> Res<Option<bool>> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::serialization(format!(
            "{field} must be a boolean"
        ))),
    }
}

pub(super) fn required<T>(value: Option<T>, field: &str) -> Res<T> {
    value.ok_or_else(|| ApiError::invalid(format!("{field} is required")))
}

/// A number of epoch seconds (how restJson sends a timestamp).
pub(super) fn timestamp(v: &Value, field: &str) -> Res<Option<f64>> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(_) => Err(ApiError::serialization(format!(
            "{field} must be a timestamp (epoch seconds)"
        ))),
    }
}

pub(super) fn one_of(v: &Value, field: &str, values: &[&str]) -> Res<Option<String>> {
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

pub(super) fn list<'a>(v: &'a Value, field: &str) -> Res<Option<&'a Vec<Value>>> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(list)) => Ok(Some(list)),
        Some(_) => Err(ApiError::serialization(format!("{field} must be a list"))),
    }
}
