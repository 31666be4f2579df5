//! Mistakes `status` names in a compose file, and the literal secrets it holds
//! (masked in all output).

use super::*;

/// Known mistakes in a compose file, for `status`: an OTLP endpoint with
/// `/v1/traces` (the SDK appends it), and secrets written as values instead of
/// `${VAR}` references. The values themselves are never repeated.
pub(crate) fn mistakes(text: &str) -> Vec<String> {
    let Ok(doc) = crate::yaml::parse_strict(text) else {
        return Vec::new();
    };
    super::services::register_names(&doc);
    let Some(services) = doc.get("services").and_then(Value::as_object) else {
        return Vec::new();
    };
    let secret_name = crate::secret::is_secret_name;
    let mut out = Vec::new();
    for (name, service) in services {
        for (key, value) in env_entries(service.get("environment").unwrap_or(&Value::Null)) {
            let Some(value) = value.filter(|v| !v.is_empty()) else {
                continue;
            };
            if key == "OTEL_EXPORTER_OTLP_ENDPOINT"
                && value.trim_end_matches('/').ends_with("/v1/traces")
            {
                out.push(format!(
                    "{name}: OTEL_EXPORTER_OTLP_ENDPOINT ends in /v1/traces; the SDK appends that itself"
                ));
            }
            let literal = !value.contains('$');
            if key == "OTEL_EXPORTER_OTLP_HEADERS" && value.contains("x-honeycomb-team=") && literal
            {
                out.push(format!(
                    "{name}: OTEL_EXPORTER_OTLP_HEADERS holds the Honeycomb key itself; use x-honeycomb-team=${{HONEYCOMB_API_KEY}}"
                ));
            } else if secret_name(&key) && literal {
                out.push(format!(
                    "{name}: {key} is written as a value; use \"${{{key}}}\""
                ));
            }
        }
    }
    out
}

/// The secrets written as values in a compose file (a Honeycomb key inside
/// `OTEL_EXPORTER_OTLP_HEADERS`, any `*KEY*`/`*SECRET*`/`*TOKEN*`/`*PASSWORD*`
/// entry that is not a `${VAR}` reference), so that nothing shows them.
pub(crate) fn literal_secrets(text: &str) -> Vec<String> {
    let Ok(doc) = crate::yaml::parse_strict(text) else {
        return Vec::new();
    };
    super::services::register_names(&doc);
    let Some(services) = doc.get("services").and_then(Value::as_object) else {
        return Vec::new();
    };
    let secret_name = crate::secret::is_secret_name;
    let mut out = Vec::new();
    for service in services.values() {
        for (key, value) in env_entries(service.get("environment").unwrap_or(&Value::Null)) {
            let Some(value) = value.filter(|v| !v.contains('$')) else {
                continue;
            };
            if key == "OTEL_EXPORTER_OTLP_HEADERS" {
                for pair in value.split(',') {
                    if let Some((_, v)) = pair.split_once('=') {
                        out.push(v.trim().to_string());
                    }
                }
            } else if secret_name(&key) {
                out.push(value.trim().to_string());
            }
        }
    }
    out.retain(|v| v.chars().count() >= 8);
    out
}
