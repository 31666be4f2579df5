//! Reading a compose file: the strict parse, the services and their
//! environments, `${VAR}` interpolation as docker compose does it, and the Flask
//! service when it is not named as expected.

use super::*;

/// Parses strictly (see [`crate::yaml`]); errors name the compose file.
/// The service names are the app's own: never masked as secrets.
pub(crate) fn parse_strict(text: &str, file: &str) -> Result<Value, ComposeError> {
    let doc = crate::yaml::parse_strict(text).map_err(|e| {
        if e.too_complex {
            ComposeError::TooComplex {
                file: file.to_string(),
            }
        } else {
            ComposeError::Parse {
                file: file.to_string(),
                message: e.message,
            }
        }
    })?;
    register_names(&doc);
    Ok(doc)
}

/// Registers the service names of a parsed compose file as not secret.
pub(crate) fn register_names(doc: &Value) {
    if let Some(services) = doc.get("services").and_then(Value::as_object) {
        for name in services.keys() {
            crate::secret::register_public(name);
        }
    }
}

/// The one service named like a backend (`backend`, `api`, `*flask*`), if exactly one.
pub(super) fn backend_by_name(services: &Map<String, Value>) -> Option<String> {
    let looks = |n: &str| {
        let n = n.to_ascii_lowercase();
        n.contains("backend") || n.contains("flask") || n == "api"
    };
    let found: Vec<&String> = services.keys().filter(|n| looks(n)).collect();
    match found.as_slice() {
        [one] => Some((*one).clone()),
        _ => None,
    }
}

/// A service's `build:` context (the short form or `context:`), with its
/// `${VAR}` / `${VAR:-default}` references resolved as docker compose does
/// (this shell, then `.env` in `base`, the compose file's directory).
pub(crate) fn build_context(service: &Value, base: &std::path::Path) -> Option<String> {
    let build = &service["build"];
    let raw = build.as_str().or_else(|| build["context"].as_str())?;
    if !raw.contains('$') {
        return Some(raw.to_string());
    }
    let dotenv = crate::files::read_dotenv_or_warn(&base.join(".env"));
    let resolved = interpolate(raw, |name| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .map(|v| (v, "this shell".to_string()))
            .or_else(|| {
                dotenv
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| (v.clone(), ".env".to_string()))
            })
    });
    Some(resolved.value).filter(|v| !v.is_empty())
}

/// The services whose `build:` context (relative to `base`) holds a Flask app
/// (`app.py` or `requirements.txt`): the candidates for `--service`.
pub(crate) fn flask_candidates(text: &str, base: &std::path::Path) -> Vec<String> {
    let Ok(doc) = crate::yaml::parse_strict(text) else {
        return Vec::new();
    };
    let Some(services) = doc.get("services").and_then(Value::as_object) else {
        return Vec::new();
    };
    services
        .iter()
        .filter(|(_, s)| {
            let Some(context) = build_context(s, base) else {
                return false;
            };
            let dir = base.join(context);
            ["app.py", "requirements.txt"]
                .iter()
                .any(|f| dir.join(f).is_file())
        })
        .map(|(n, _)| n.clone())
        .collect()
}

/// What compose itself refuses in `services:`: a service that is not a mapping,
/// an `environment:` that is neither a mapping of scalars nor a list of strings.
pub(super) fn check_services(services: &serde_json::Map<String, Value>) -> Result<(), String> {
    let name = |n: &str| format!("{:?}", crate::plan::clip(n));
    for (service, body) in services {
        let body = match body {
            Value::Object(body) => body,
            Value::Null => continue,
            other => {
                return Err(format!(
                    "service {} is {}, not a mapping",
                    name(service),
                    kind(other)
                ))
            }
        };
        match body.get("environment") {
            None | Some(Value::Null) => {}
            Some(Value::Object(env)) => {
                if let Some((key, v)) = env
                    .iter()
                    .find(|(_, v)| matches!(v, Value::Object(_) | Value::Array(_)))
                {
                    return Err(format!(
                        "services.{}.environment.{} is {}, not a scalar",
                        name(service),
                        name(key),
                        kind(v)
                    ));
                }
            }
            Some(Value::Array(items)) => {
                if let Some(v) = items.iter().find(|v| !v.is_string()) {
                    return Err(format!(
                        "services.{}.environment has an item that is {}, not a KEY=value string",
                        name(service),
                        kind(v)
                    ));
                }
            }
            Some(other) => {
                return Err(format!(
                    "services.{}.environment is {}, not a mapping or a list",
                    name(service),
                    kind(other)
                ))
            }
        }
    }
    Ok(())
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "empty",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// An environment value as compose sees it (numbers and booleans as text).
pub(super) fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// The environment of a service, as KEY → value, in either form.
pub(super) fn env_entries(env: &Value) -> Vec<(String, Option<String>)> {
    match env {
        Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), as_text(v))).collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|item| match item.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (item.to_string(), None),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The raw value of `key` in `service`'s `environment:`. `None` when the file,
/// the service or the key is missing; `Some(None)` for a key with no value
/// (`- KEY` or `KEY:`), which docker compose takes from the shell.
pub(crate) fn service_env(text: &str, service: &str, key: &str) -> Option<Option<String>> {
    let doc = crate::yaml::parse_strict(text).ok()?;
    let env = doc.get("services")?.get(service)?.get("environment")?;
    env_entries(env)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// The service names of a compose file (empty when it does not parse).
pub(crate) fn service_names(text: &str) -> Vec<String> {
    crate::yaml::parse_strict(text)
        .ok()
        .and_then(|doc| {
            doc.get("services")?
                .as_object()
                .map(|m| m.keys().cloned().collect())
        })
        .unwrap_or_default()
}

/// A service's `image:`, if it names one.
pub(crate) fn service_image(text: &str, service: &str) -> Option<String> {
    let doc = crate::yaml::parse_strict(text).ok()?;
    doc.get("services")?
        .get(service)?
        .get("image")?
        .as_str()
        .map(str::to_string)
}

/// The host port `service` publishes for its `container` port: the short forms
/// `"4567:4567"`, `"127.0.0.1:4567:4567"`, `"4567:4567/tcp"` and the long form
/// `{target: 4567, published: 4567}`. `None` when it publishes none (or only
/// a range, which docker picks from).
pub(crate) fn published_port(text: &str, service: &str, container: u16) -> Option<u16> {
    let doc = crate::yaml::parse_strict(text).ok()?;
    let ports = doc
        .get("services")?
        .get(service)?
        .get("ports")?
        .as_array()?;
    ports.iter().find_map(|entry| match entry {
        Value::Object(long) => {
            let target = as_text(long.get("target")?)?;
            let published = as_text(long.get("published")?)?;
            (target.parse::<u16>().ok()? == container)
                .then(|| published.parse().ok())
                .flatten()
        }
        other => {
            let text = as_text(other)?;
            let text = text.split('/').next()?;
            let mut fields = text.rsplitn(3, ':');
            let target: u16 = fields.next()?.parse().ok()?;
            let host: u16 = fields.next()?.parse().ok()?;
            (target == container).then_some(host)
        }
    })
}

/// A compose value with its `${VAR}` references replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    pub value: String,
    /// Where the variables that had a value came from (`lookup`'s second part).
    pub sources: Vec<String>,
}

/// Replaces `$VAR`, `${VAR}` and `${VAR:-default}` as docker compose does:
/// `lookup` gives a variable's value and where it came from; an unset or empty
/// variable takes the default, else is empty. (Made for short values such as a
/// region: a `$` inside a looked-up value is not kept literally.)
pub(crate) fn interpolate(
    raw: &str,
    lookup: impl Fn(&str) -> Option<(String, String)>,
) -> Resolved {
    let mut sources = Vec::new();
    let first = shellexpand::env_with_context_no_errors(raw, |name: &str| {
        let (value, source) = lookup(name).filter(|(v, _)| !v.is_empty())?;
        if !sources.contains(&source) {
            sources.push(source);
        }
        Some(value)
    });
    // What is left is a variable with no value and no default: empty.
    let value = shellexpand::env_with_context_no_errors(&first, |_| Some("")).into_owned();
    Resolved { value, sources }
}

/// The value text of a mapping entry in the source (`key: VALUE`), for anchor checks.
pub(super) fn entry_value_text(mapping: &Mapping, key: &str) -> Option<String> {
    let entry = mapping.find_entry_by_key(key)?;
    let text = entry.to_string();
    let (_, value) = text.split_once(':')?;
    Some(value.trim_start().to_string())
}
