//! docker-compose.yml: the app's observability entries and the `xray-daemon`
//! service, written like a formatter writes source.
//!
//! Pure: text in, text out. The file is parsed strictly first (serde-saphyr: no
//! tabs, no duplicate keys), edited losslessly (yaml-edit: comments, quoting, key
//! order, CRLF and a missing final newline survive), and the result is parsed
//! again and compared with the original plus exactly the intended changes; any
//! other difference and nothing is written.

use std::str::FromStr;

use serde::Serialize;

use crate::parts::{Part, Parts};
use serde_json::{Map, Value};
use yaml_edit::{Document, Mapping, MappingBuilder, ScalarValue};

use crate::collector;
use crate::honeycomb::Region as HoneycombRegion;
use crate::plan::FieldDiff;

/// The X-Ray daemon's service name, as the app's `AWS_XRAY_DAEMON_ADDRESS` expects.
pub const DAEMON_SERVICE: &str = "xray-daemon";
pub const DAEMON_IMAGE: &str = "amazon/aws-xray-daemon";
/// The image's ENTRYPOINT is `/xray -t 0.0.0.0:2000 -b 0.0.0.0:2000`; `command:`
/// only adds flags. `-o` is local mode (no EC2 metadata). The bootcamp's
/// `"xray -o -b xray-daemon:2000"` reaches the daemon as one argument.
pub const DAEMON_COMMAND: &[&str] = &["-o"];
pub const DAEMON_PORT: &str = "2000:2000/udp";

/// What `compose write` should make true.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeSpec {
    pub service: String,
    pub parts: Parts,
    /// The AWS region of the X-Ray group and rule (the daemon's `AWS_REGION`).
    pub region: String,
    pub honeycomb_region: HoneycombRegion,
    /// Replace entries that have another value (otherwise: reported, kept).
    pub force: bool,
    /// X-Ray daemon (the course's way) or one OpenTelemetry Collector.
    pub via: Via,
    /// The app's CloudWatch log group (`CLOUDWATCH_LOG_GROUP`), when logs are set up.
    pub log_group: Option<String>,
    /// `AWS_XRAY_URL`: the backend's host pattern for the dev environment.
    pub xray_url: String,
    /// Variables as `docker compose up` would substitute them here (this shell,
    /// then `.env`), to read `${VAR}` values as they will be.
    pub variables: std::collections::BTreeMap<String, String>,
}

/// How traces leave the app's machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// The AWS X-Ray daemon (as in the course; in maintenance mode, support ends 2027-02-25)
    Daemon,
    /// One ADOT OpenTelemetry Collector exporting to X-Ray and Honeycomb
    Collector,
}

/// Input we refuse to edit. The file stays untouched.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ComposeError {
    #[error("{file} is not valid YAML: {message}")]
    Parse { file: String, message: String },
    #[error("{file} has no `services:` mapping")]
    NoServices { file: String },
    #[error("{file} has no service {service:?}; it has: {existing}")]
    NoService {
        file: String,
        service: String,
        existing: String,
        /// The one service that looks like the Flask app, if any.
        candidate: Option<String>,
    },
    #[error("{file}: {message}")]
    Unsafe { file: String, message: String },
    #[error("{file} is not a valid compose file: {message}")]
    Invalid { file: String, message: String },
    #[error("{file} is empty")]
    Empty { file: String },
    #[error(
        "{file}: the edit would change more than the intended keys ({detail}); nothing was written"
    )]
    Verify { file: String, detail: String },
}

impl ComposeError {
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, ComposeError::Verify { .. })
    }

    pub fn help(&self) -> Option<String> {
        Some(match self {
            ComposeError::Parse { .. } => {
                "fix the file (docker compose config shows the same problem) and run again".into()
            }
            ComposeError::NoServices { .. } => "is this a docker compose file? pass --file".into(),
            ComposeError::Invalid { .. } => {
                "fix the file (docker compose config shows the same problem) and run again".into()
            }
            ComposeError::Empty { .. } => {
                "is this the right file? pass --file, or write its services: first".into()
            }
            ComposeError::NoService {
                candidate: Some(c), ..
            } => format!("pass --service {c} (it looks like the Flask backend), or another of the names above"),
            ComposeError::NoService { .. } => "pass --service with one of the names above".into(),
            ComposeError::Unsafe { .. } => {
                "add the entries by hand, or give the service its own environment: block".into()
            }
            ComposeError::Verify { .. } => {
                "please report this with the file; add the entries by hand meanwhile".into()
            }
        })
    }
}

/// The entries the app's service needs, in the bootcamp's order. Secrets are
/// `${VAR}` references only.
pub fn desired_env(spec: &ComposeSpec) -> Vec<(String, String)> {
    env_for(spec, spec.via)
}

/// What the other `--via` mode writes, to recognise it when switching.
fn other_mode_env(spec: &ComposeSpec) -> Vec<(String, String)> {
    let other = match spec.via {
        Via::Daemon => Via::Collector,
        Via::Collector => Via::Daemon,
    };
    let mut env = env_for(spec, other);
    // Either Honeycomb region's endpoint is ours.
    for region in [HoneycombRegion::Us, HoneycombRegion::Eu] {
        env.push((
            "OTEL_EXPORTER_OTLP_ENDPOINT".into(),
            region.default_api().to_string(),
        ));
    }
    env
}

fn env_for(spec: &ComposeSpec, via: Via) -> Vec<(String, String)> {
    let mut env: Vec<(&str, String)> = Vec::new();
    let collector = via == Via::Collector;
    if spec.parts.has(Part::Honeycomb) || collector {
        env.push(("OTEL_SERVICE_NAME", spec.service.clone()));
    }
    if collector {
        env.push((
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://{}:4318", collector::SERVICE),
        ));
        env.push(("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf".into()));
        env.push(("OTEL_PROPAGATORS", "tracecontext,baggage,xray".into()));
    } else if spec.parts.has(Part::Honeycomb) {
        env.push((
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            spec.honeycomb_region.default_api().to_string(),
        ));
        env.push((
            "OTEL_EXPORTER_OTLP_HEADERS",
            "x-honeycomb-team=${HONEYCOMB_API_KEY}".into(),
        ));
    }
    if spec.parts.has(Part::Xray) {
        env.push(("AWS_XRAY_URL", spec.xray_url.clone()));
        let target = if collector {
            collector::SERVICE
        } else {
            DAEMON_SERVICE
        };
        env.push(("AWS_XRAY_DAEMON_ADDRESS", format!("{target}:2000")));
    }
    env.push(("AWS_DEFAULT_REGION", "${AWS_DEFAULT_REGION}".into()));
    env.push(("AWS_ACCESS_KEY_ID", "${AWS_ACCESS_KEY_ID}".into()));
    env.push(("AWS_SECRET_ACCESS_KEY", "${AWS_SECRET_ACCESS_KEY}".into()));
    if let Some(group) = &spec.log_group {
        // lib/observability.py logs to this group; it is the one created with a retention.
        env.push(("CLOUDWATCH_LOG_GROUP", group.clone()));
    }
    if spec.parts.has(Part::Rollbar) {
        env.push(("ROLLBAR_ACCESS_TOKEN", "${ROLLBAR_ACCESS_TOKEN}".into()));
    }
    env.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// The `otel-collector` service, as JSON (for comparison).
pub fn desired_collector_service(spec: &ComposeSpec) -> Value {
    serde_json::json!({
        "image": format!("{}:{}", collector::IMAGE, collector::ADOT_VERSION),
        "command": [format!("--config={}", collector::CONFIG_IN_CONTAINER)],
        "volumes": [format!("./{}:{}:ro", collector::CONFIG_FILE, collector::CONFIG_IN_CONTAINER)],
        "environment": {
            "AWS_REGION": spec.region,
            "AWS_ACCESS_KEY_ID": "${AWS_ACCESS_KEY_ID}",
            "AWS_SECRET_ACCESS_KEY": "${AWS_SECRET_ACCESS_KEY}",
            "HONEYCOMB_API_KEY": "${HONEYCOMB_API_KEY}",
        },
    })
}

fn collector_builder(spec: &ComposeSpec) -> Document {
    let q = |s: &str| ScalarValue::double_quoted(s);
    MappingBuilder::new()
        .pair(
            "image",
            q(&format!("{}:{}", collector::IMAGE, collector::ADOT_VERSION)),
        )
        .sequence("command", |s| {
            s.item(q(&format!("--config={}", collector::CONFIG_IN_CONTAINER)))
        })
        .sequence("volumes", |s| {
            s.item(q(&format!(
                "./{}:{}:ro",
                collector::CONFIG_FILE,
                collector::CONFIG_IN_CONTAINER
            )))
        })
        .mapping("environment", |m| {
            m.pair("AWS_REGION", q(&spec.region))
                .pair("AWS_ACCESS_KEY_ID", q("${AWS_ACCESS_KEY_ID}"))
                .pair("AWS_SECRET_ACCESS_KEY", q("${AWS_SECRET_ACCESS_KEY}"))
                .pair("HONEYCOMB_API_KEY", q("${HONEYCOMB_API_KEY}"))
        })
        .build_document()
}

/// How an existing collector service differs from ours (reported, never changed).
fn collector_differences(
    actual: &Value,
    desired: &Value,
    vars: &std::collections::BTreeMap<String, String>,
) -> Vec<String> {
    let mut notes = Vec::new();
    let image = actual
        .get("image")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if image.ends_with(":latest") || !image.contains(':') {
        notes.push(format!(
            "image {image:?} is not pinned: use {}",
            desired["image"]
        ));
    }
    notes.extend(region_note(
        actual,
        desired,
        "ADOT v0.48+ needs it, and it must be the X-Ray group's region",
        vars,
    ));
    notes
}

/// A note when a tracing service's `AWS_REGION` is not the desired one.
fn region_note(
    actual: &Value,
    desired: &Value,
    why: &str,
    vars: &std::collections::BTreeMap<String, String>,
) -> Option<String> {
    let env = env_entries(actual.get("environment").unwrap_or(&Value::Null));
    let region = env
        .iter()
        .find(|(k, _)| k == "AWS_REGION")
        .and_then(|(_, v)| v.clone());
    let want = desired["environment"]["AWS_REGION"]
        .as_str()
        .unwrap_or_default();
    // `${AWS_DEFAULT_REGION}`: what docker compose would make of it here.
    let resolved = region
        .as_deref()
        .filter(|r| r.contains('$'))
        .map(|r| interpolate(r, |name| vars.get(name).map(|v| (v.clone(), String::new()))).value);
    if region.as_deref() == Some(want) || resolved.as_deref() == Some(want) {
        return None;
    }
    Some(match (region, resolved) {
        (Some(raw), Some(value)) if value.is_empty() => {
            format!("environment AWS_REGION is {raw}, unset here, not {want} ({why})")
        }
        (Some(raw), Some(value)) => {
            format!("environment AWS_REGION is {raw}, {value} here, not {want} ({why})")
        }
        (region, _) => format!(
            "environment AWS_REGION is {}, not {want} ({why})",
            region.unwrap_or_else(|| "unset".into())
        ),
    })
}

/// The `xray-daemon` service, as JSON (for comparison) .
pub fn desired_daemon(spec: &ComposeSpec) -> Value {
    serde_json::json!({
        "image": DAEMON_IMAGE,
        "environment": {
            "AWS_ACCESS_KEY_ID": "${AWS_ACCESS_KEY_ID}",
            "AWS_SECRET_ACCESS_KEY": "${AWS_SECRET_ACCESS_KEY}",
            "AWS_REGION": spec.region,
        },
        "command": DAEMON_COMMAND,
        "ports": [DAEMON_PORT],
    })
}

/// The result of planning an edit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComposePlan {
    /// The edited text (equal to the input when nothing is to change).
    #[serde(skip)]
    pub new_text: String,
    /// Environment entries added.
    pub added: Vec<String>,
    /// Entries the other `--via` mode wrote, switched to this mode's values.
    pub replaced: Vec<FieldDiff>,
    /// Entries only the other `--via` mode uses, removed.
    pub removed: Vec<String>,
    /// Entries with another value: replaced with `--force`, else kept.
    pub conflicts: Vec<FieldDiff>,
    pub forced: bool,
    /// The tracing service added (`xray-daemon` or `otel-collector`).
    pub added_service: Option<&'static str>,
    /// The other mode's service, removed (only when it is exactly ours).
    pub removed_service: Option<&'static str>,
    /// What differs in an existing tracing service (left alone).
    pub service_notes: Vec<String>,
}

/// Parses strictly: YAML errors, tabs and duplicate keys are refused with line and column.
pub fn parse_strict(text: &str, file: &str) -> Result<Value, ComposeError> {
    serde_saphyr::from_str::<Value>(text).map_err(|e| ComposeError::Parse {
        file: file.to_string(),
        message: parse_message(&e.to_string()),
    })
}

/// The parser's message in the user's terms: its first line, without advice
/// about the parser's own options ("set DuplicateKeyPolicy in Options").
fn parse_message(raw: &str) -> String {
    let first = raw
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ");
    let mut message = first.to_string();
    for internal in ["DuplicateKeyPolicy", "Options", "serde", "saphyr"] {
        if let Some(i) = message.find(internal) {
            // Cut the clause that names the library's internals.
            let cut = message[..i].rfind([';', '(', ',']).unwrap_or(i);
            message.truncate(cut);
        }
    }
    let message = message
        .trim_end_matches([' ', ';', ',', '(', ':'])
        .to_string();
    if message.is_empty() {
        first.to_string()
    } else {
        message
    }
}

/// Whether `have` means what `want` means: the same URL but for a final `/`, or
/// the region asked for written literally where we write `${AWS_DEFAULT_REGION}`.
fn equivalent(key: &str, have: &str, want: &str, spec: &ComposeSpec) -> bool {
    if have == want {
        return true;
    }
    match key {
        "OTEL_EXPORTER_OTLP_ENDPOINT" | "AWS_XRAY_URL" => {
            have.trim_end_matches('/') == want.trim_end_matches('/')
        }
        "AWS_DEFAULT_REGION" => {
            want == "${AWS_DEFAULT_REGION}" && !spec.region.is_empty() && have == spec.region
        }
        _ => false,
    }
}

/// The one service named like a backend (`backend`, `api`, `*flask*`), if exactly one.
fn backend_by_name(services: &Map<String, Value>) -> Option<String> {
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

/// The services whose `build:` context (relative to `base`) holds a Flask app
/// (`app.py` or `requirements.txt`): the candidates for `--service`.
pub fn flask_candidates(text: &str, base: &std::path::Path) -> Vec<String> {
    let Ok(doc) = serde_saphyr::from_str::<Value>(text) else {
        return Vec::new();
    };
    let Some(services) = doc.get("services").and_then(Value::as_object) else {
        return Vec::new();
    };
    services
        .iter()
        .filter(|(_, s)| {
            let build = &s["build"];
            let Some(context) = build.as_str().or_else(|| build["context"].as_str()) else {
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
fn check_services(services: &serde_json::Map<String, Value>) -> Result<(), String> {
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
fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// The environment of a service, as KEY → value, in either form.
fn env_entries(env: &Value) -> Vec<(String, Option<String>)> {
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
pub fn service_env(text: &str, service: &str, key: &str) -> Option<Option<String>> {
    let doc = serde_saphyr::from_str::<Value>(text).ok()?;
    let env = doc.get("services")?.get(service)?.get("environment")?;
    env_entries(env)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// A compose value with its `${VAR}` references replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub value: String,
    /// Where the variables that had a value came from (`lookup`'s second part).
    pub sources: Vec<String>,
}

/// Replaces `$VAR`, `${VAR}` and `${VAR:-default}` as docker compose does:
/// `lookup` gives a variable's value and where it came from; an unset or empty
/// variable takes the default, else is empty. (Made for short values such as a
/// region: a `$` inside a looked-up value is not kept literally.)
pub fn interpolate(raw: &str, lookup: impl Fn(&str) -> Option<(String, String)>) -> Resolved {
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
fn entry_value_text(mapping: &Mapping, key: &str) -> Option<String> {
    let entry = mapping.find_entry_by_key(key)?;
    let text = entry.to_string();
    let (_, value) = text.split_once(':')?;
    Some(value.trim_start().to_string())
}

/// Plans the edit of a compose file's text.
pub fn plan(text: &str, file: &str, spec: &ComposeSpec) -> Result<ComposePlan, ComposeError> {
    if text.trim_start_matches('\u{feff}').trim().is_empty() {
        return Err(ComposeError::Empty { file: file.into() });
    }
    let before = parse_strict(text, file)?;
    if before.is_null() {
        // Only comments.
        return Err(ComposeError::Empty { file: file.into() });
    }
    let services = before
        .get("services")
        .and_then(Value::as_object)
        .ok_or_else(|| ComposeError::NoServices { file: file.into() })?;
    check_services(services).map_err(|message| ComposeError::Invalid {
        file: file.into(),
        message,
    })?;
    let Some(service) = services.get(&spec.service) else {
        return Err(ComposeError::NoService {
            file: file.into(),
            service: spec.service.clone(),
            existing: services.keys().cloned().collect::<Vec<_>>().join(", "),
            candidate: backend_by_name(services),
        });
    };
    let unsafe_edit = |message: String| ComposeError::Unsafe {
        file: file.into(),
        message,
    };
    if !service.is_object() && !service.is_null() {
        return Err(unsafe_edit(format!(
            "service {:?} is not a mapping",
            spec.service
        )));
    }

    let doc = Document::from_str(text).map_err(|e| ComposeError::Parse {
        file: file.into(),
        message: e.to_string(),
    })?;
    let cst_services = doc
        .get_mapping("services")
        .ok_or_else(|| unsafe_edit("`services:` is not a mapping the editor can follow".into()))?;
    let cst_service = cst_services.get_mapping(&spec.service).ok_or_else(|| {
        unsafe_edit(format!(
            "service {:?} is not a mapping the editor can follow",
            spec.service
        ))
    })?;
    let env_value = service.get("environment").cloned().unwrap_or(Value::Null);
    let env_in_source = cst_service.contains_key("environment");
    if !env_in_source && !env_value.is_null() {
        return Err(unsafe_edit(format!(
            "the environment of {:?} comes from a `<<:` merge; adding entries here would replace the merged ones",
            spec.service
        )));
    }
    if let Some(value) = entry_value_text(&cst_service, "environment") {
        if value.starts_with('*') {
            return Err(unsafe_edit(format!(
                "the environment of {:?} is an alias ({}); editing it would change every service that uses it",
                spec.service,
                value.split_whitespace().next().unwrap_or_default()
            )));
        }
        if let Some(anchor) = value.strip_prefix('&') {
            let name: String = anchor.chars().take_while(|c| !c.is_whitespace()).collect();
            if text.contains(&format!("*{name}")) {
                return Err(unsafe_edit(format!(
                    "the environment of {:?} is the anchor &{name}, which other parts of the file share",
                    spec.service
                )));
            }
        }
    }
    if !matches!(env_value, Value::Object(_) | Value::Array(_) | Value::Null) {
        return Err(unsafe_edit(format!(
            "the environment of {:?} is neither a mapping nor a list",
            spec.service
        )));
    }

    // The other mode's service: `None` absent, `Some(true)` exactly the one
    // cruddur-obs writes, `Some(false)` the user's own.
    let (other_name, other_is_ours) = match spec.via {
        Via::Daemon => (
            collector::SERVICE,
            services
                .get(collector::SERVICE)
                .map(|c| c == &desired_collector_service(spec)),
        ),
        Via::Collector => (
            DAEMON_SERVICE,
            services
                .get(DAEMON_SERVICE)
                .map(|d| d == &desired_daemon(spec)),
        ),
    };

    // Decide, entry by entry. Values the other `--via` mode writes are ours to
    // replace (a switch), unless they point at a service of the user's own;
    // anything else that differs is the user's (a conflict).
    let existing = env_entries(&env_value);
    let ours_elsewhere = other_mode_env(spec);
    let mut kept_for_theirs = false;
    let mut added = Vec::new();
    let mut replaced = Vec::new();
    let mut conflicts = Vec::new();
    let mut to_set: Vec<(String, String)> = Vec::new();
    for (key, want) in desired_env(spec) {
        match existing.iter().find(|(k, _)| *k == key) {
            None => {
                added.push(key.clone());
                to_set.push((key, want));
            }
            Some((_, Some(have))) if equivalent(&key, have, &want, spec) => {}
            Some((_, have)) => {
                let diff = FieldDiff::new(
                    &format!("{}.environment.{key}", spec.service),
                    have.clone(),
                    Some(want.clone()),
                );
                let other_mode = ours_elsewhere
                    .iter()
                    .any(|(k, v)| *k == key && have.as_deref() == Some(v.as_str()));
                kept_for_theirs |= other_mode && other_is_ours == Some(false);
                if other_mode && other_is_ours != Some(false) {
                    replaced.push(diff);
                    to_set.push((key, want));
                } else {
                    conflicts.push(diff);
                    if spec.force {
                        to_set.push((key, want));
                    }
                }
            }
        }
    }
    let wanted: Vec<String> = desired_env(spec).into_iter().map(|(k, _)| k).collect();
    // Removed only in a switch away from the other mode's service as we wrote it.
    let to_remove: Vec<String> = ours_elsewhere
        .iter()
        .filter(|(k, v)| {
            other_is_ours == Some(true)
                && !wanted.contains(k)
                && existing
                    .iter()
                    .any(|(ek, ev)| ek == k && ev.as_deref() == Some(v.as_str()))
        })
        .map(|(k, _)| k.clone())
        .collect();

    // The tracing service: ours for this mode, and the other mode's one when it is ours.
    let (name, desired_service) = match spec.via {
        Via::Daemon => (DAEMON_SERVICE, desired_daemon(spec)),
        Via::Collector => (collector::SERVICE, desired_collector_service(spec)),
    };
    let mut service_notes = Vec::new();
    let wants_service = spec.parts.has(Part::Xray) || spec.via == Via::Collector;
    let added_service = (wants_service && !services.contains_key(name)).then_some(name);
    if wants_service && added_service.is_none() {
        service_notes = match spec.via {
            Via::Daemon => daemon_differences(&services[name], &desired_service, &spec.variables),
            Via::Collector => {
                collector_differences(&services[name], &desired_service, &spec.variables)
            }
        }
        .into_iter()
        .map(|n| format!("{name}: {n} (left as it is)"))
        .collect();
    }
    let removed_service = (other_is_ours == Some(true)).then_some(other_name);
    if kept_for_theirs {
        service_notes.push(format!(
            "{other_name} is not the service cruddur-obs writes: the entries pointing at it are yours, kept (--force replaces them)"
        ));
    }

    // Edit.
    let mut expected = before.clone();
    if !to_set.is_empty() || !to_remove.is_empty() {
        edit_env(&cst_service, &env_value, &to_set, &to_remove);
        let env = &mut expected["services"][&spec.service]["environment"];
        apply_expected(env, &to_set, &to_remove);
    }
    if let Some(gone) = removed_service {
        cst_services.remove(gone);
        if let Some(m) = expected["services"].as_object_mut() {
            m.remove(gone);
        }
    }
    if let Some(name) = added_service {
        let builder = match spec.via {
            Via::Daemon => daemon_builder(spec),
            Via::Collector => collector_builder(spec),
        };
        cst_services.set(
            name,
            builder.as_mapping().ok_or_else(|| ComposeError::Verify {
                file: file.to_string(),
                detail: "the YAML editor built no mapping".into(),
            })?,
        );
        expected["services"][name] = desired_service;
    }
    let changed = !to_set.is_empty()
        || !to_remove.is_empty()
        || added_service.is_some()
        || removed_service.is_some();
    let new_text = match (changed, added_service) {
        (false, _) => text.to_string(),
        (true, Some(name)) => match_indent(&doc.to_string(), name),
        (true, None) => doc.to_string(),
    };

    // Verify: the new text parses strictly and means exactly the intended change.
    let after = parse_strict(&new_text, file).map_err(|e| ComposeError::Verify {
        file: file.into(),
        detail: format!("the result does not parse: {e}"),
    })?;
    if after != expected {
        return Err(ComposeError::Verify {
            file: file.into(),
            detail: first_difference(&expected, &after),
        });
    }
    Ok(ComposePlan {
        new_text,
        added,
        replaced,
        removed: to_remove,
        conflicts,
        forced: spec.force,
        added_service,
        removed_service,
        service_notes,
    })
}

/// The editor indents a new service by 2 per level; in a file indented by 4 (or
/// more), re-indent that block to the file's own width.
fn match_indent(text: &str, service: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let indent_of = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let Some(start) = lines.iter().position(|l| {
        l.trim_end() == format!("{}{service}:", " ".repeat(indent_of(l))) && indent_of(l) > 0
    }) else {
        return text.to_string();
    };
    let base = indent_of(lines[start]);
    // The file's unit: how far the services' keys sit from `services:` (column 0).
    let unit = base;
    if unit <= 2 {
        return text.to_string();
    }
    let mut out: String = lines[..=start].concat();
    let mut i = start + 1;
    while i < lines.len() {
        let line = lines[i];
        let n = indent_of(line);
        if line.trim().is_empty() || n <= base {
            break;
        }
        let level = (n - base) / 2;
        out.push_str(&" ".repeat(base + level * unit));
        out.push_str(line.trim_start_matches(' '));
        i += 1;
    }
    out.push_str(&lines[i..].concat());
    out
}

/// Where `key` is in a `KEY=value` list.
fn list_index(items: &[Value], key: &str) -> Option<usize> {
    items.iter().position(|i| {
        i.as_str()
            .is_some_and(|s| s == key || s.starts_with(&format!("{key}=")))
    })
}

/// Sets `entries` and removes `remove` in the source, keeping the form found.
/// In a list: replacements in place, then removals (last first), then additions.
fn edit_env(service: &Mapping, env: &Value, entries: &[(String, String)], remove: &[String]) {
    match (env, service.get_sequence("environment")) {
        (Value::Array(items), Some(seq)) => {
            let mut pushes = Vec::new();
            for (key, value) in entries {
                let line = ScalarValue::double_quoted(format!("{key}={value}"));
                match list_index(items, key) {
                    Some(i) => {
                        seq.set(i, line);
                    }
                    None => pushes.push(line),
                }
            }
            let mut gone: Vec<usize> = remove.iter().filter_map(|k| list_index(items, k)).collect();
            gone.sort_unstable();
            for i in gone.into_iter().rev() {
                seq.remove(i);
            }
            for line in pushes {
                seq.push(line);
            }
        }
        _ => match service.get_mapping("environment") {
            Some(map) => {
                for key in remove {
                    map.remove(key.as_str());
                }
                for (key, value) in entries {
                    map.set(key.as_str(), ScalarValue::double_quoted(value.as_str()));
                }
            }
            None => {
                let mut builder = MappingBuilder::new();
                for (key, value) in entries {
                    builder =
                        builder.pair(key.as_str(), ScalarValue::double_quoted(value.as_str()));
                }
                let doc = builder.build_document();
                // Always a mapping; if not, the re-parse check refuses the edit.
                if let Some(mapping) = doc.as_mapping() {
                    service.set("environment", mapping);
                }
            }
        },
    }
}

/// The same change on the parsed document, for verification.
fn apply_expected(env: &mut Value, entries: &[(String, String)], remove: &[String]) {
    match env {
        Value::Array(items) => {
            let original = items.clone();
            let mut pushes = Vec::new();
            for (key, value) in entries {
                let line = Value::String(format!("{key}={value}"));
                match list_index(&original, key) {
                    Some(i) => items[i] = line,
                    None => pushes.push(line),
                }
            }
            let mut gone: Vec<usize> = remove
                .iter()
                .filter_map(|k| list_index(&original, k))
                .collect();
            gone.sort_unstable();
            for i in gone.into_iter().rev() {
                items.remove(i);
            }
            items.extend(pushes);
        }
        Value::Object(map) => {
            for key in remove {
                map.shift_remove(key);
            }
            for (key, value) in entries {
                map.insert(key.clone(), Value::String(value.clone()));
            }
        }
        other => {
            let mut map = Map::new();
            for (key, value) in entries {
                map.insert(key.clone(), Value::String(value.clone()));
            }
            *other = Value::Object(map);
        }
    }
}

fn daemon_builder(spec: &ComposeSpec) -> Document {
    MappingBuilder::new()
        .pair("image", ScalarValue::double_quoted(DAEMON_IMAGE))
        .mapping("environment", |m| {
            m.pair(
                "AWS_ACCESS_KEY_ID",
                ScalarValue::double_quoted("${AWS_ACCESS_KEY_ID}"),
            )
            .pair(
                "AWS_SECRET_ACCESS_KEY",
                ScalarValue::double_quoted("${AWS_SECRET_ACCESS_KEY}"),
            )
            .pair(
                "AWS_REGION",
                ScalarValue::double_quoted(spec.region.as_str()),
            )
        })
        .sequence("command", |s| {
            DAEMON_COMMAND
                .iter()
                .fold(s, |s, flag| s.item(ScalarValue::double_quoted(*flag)))
        })
        .sequence("ports", |s| s.item(ScalarValue::double_quoted(DAEMON_PORT)))
        .build_document()
}

/// How an existing daemon service differs from ours (reported, never changed).
pub fn daemon_differences(
    actual: &Value,
    desired: &Value,
    vars: &std::collections::BTreeMap<String, String>,
) -> Vec<String> {
    let mut notes = Vec::new();
    let mut image_note = None;
    if actual
        .get("image")
        .and_then(Value::as_str)
        .map(|i| i.split(':').next().unwrap_or(i))
        != Some(DAEMON_IMAGE)
        && actual
            .get("image")
            .and_then(Value::as_str)
            .is_none_or(|i| !i.contains("xray-daemon"))
    {
        image_note = Some(format!("image is {}, not {DAEMON_IMAGE}", actual["image"]));
    }
    let command: Vec<String> = match actual.get("command") {
        Some(Value::Array(items)) => items.iter().filter_map(as_text).collect(),
        Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        _ => Vec::new(),
    };
    if let Some(Value::Array(items)) = actual.get("command") {
        if let Some(joined) = items
            .iter()
            .filter_map(Value::as_str)
            .find(|s| s.contains(' '))
        {
            notes.push(format!(
                "command item {joined:?} reaches the daemon as one argument: use separate flags, e.g. [\"-o\"]"
            ));
        }
    }
    if notes.is_empty() && !command.iter().any(|c| c == "-o" || c == "--local-mode") {
        notes.push(
            "command lacks -o (local mode): outside EC2 the daemon waits for instance metadata"
                .into(),
        );
    }
    notes.extend(region_note(
        actual,
        desired,
        "the daemon must send to the region of the group and rule",
        vars,
    ));
    notes.extend(image_note);
    notes
}

/// Known mistakes in a compose file, for `status`: an OTLP endpoint with
/// `/v1/traces` (the SDK appends it), and secrets written as values instead of
/// `${VAR}` references. The values themselves are never repeated.
pub fn mistakes(text: &str) -> Vec<String> {
    let Ok(doc) = serde_saphyr::from_str::<Value>(text) else {
        return Vec::new();
    };
    let Some(services) = doc.get("services").and_then(Value::as_object) else {
        return Vec::new();
    };
    let secret_name = |k: &str| {
        let k = k.to_ascii_uppercase();
        ["KEY", "SECRET", "TOKEN", "PASSWORD"]
            .iter()
            .any(|w| k.contains(w))
    };
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
pub fn literal_secrets(text: &str) -> Vec<String> {
    let Ok(doc) = serde_saphyr::from_str::<Value>(text) else {
        return Vec::new();
    };
    let Some(services) = doc.get("services").and_then(Value::as_object) else {
        return Vec::new();
    };
    let secret_name = |k: &str| {
        let k = k.to_ascii_uppercase();
        ["KEY", "SECRET", "TOKEN", "PASSWORD"]
            .iter()
            .any(|w| k.contains(w))
    };
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

fn first_difference(expected: &Value, actual: &Value) -> String {
    fn walk(path: &str, e: &Value, a: &Value) -> Option<String> {
        match (e, a) {
            (Value::Object(em), Value::Object(am)) => {
                for (k, ev) in em {
                    let p = format!("{path}.{k}");
                    match am.get(k) {
                        Some(av) => {
                            if let Some(d) = walk(&p, ev, av) {
                                return Some(d);
                            }
                        }
                        None => return Some(format!("{p} is missing")),
                    }
                }
                am.keys()
                    .find(|k| !em.contains_key(*k))
                    .map(|k| format!("{path}.{k} appeared"))
            }
            _ if e == a => None,
            _ => Some(format!("{path} is {a}, expected {e}")),
        }
    }
    walk("", expected, actual).unwrap_or_else(|| "unknown difference".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<(String, String)> {
        match name {
            "REGION" => Some(("eu-west-1".into(), "shell".into())),
            "EMPTY" => Some((String::new(), "shell".into())),
            "FROM_FILE" => Some(("us-east-2".into(), ".env".into())),
            _ => None,
        }
    }

    #[test]
    fn interpolation_follows_docker_compose() {
        let cases = [
            ("ca-central-1", "ca-central-1", vec![]),
            ("${REGION}", "eu-west-1", vec!["shell"]),
            ("$REGION", "eu-west-1", vec!["shell"]),
            ("${UNSET}", "", vec![]),
            ("${UNSET:-ap-south-1}", "ap-south-1", vec![]),
            ("${EMPTY:-ap-south-1}", "ap-south-1", vec![]),
            ("${EMPTY}", "", vec![]),
            (
                "${FROM_FILE}/${REGION}",
                "us-east-2/eu-west-1",
                vec![".env", "shell"],
            ),
        ];
        for (raw, value, sources) in cases {
            let got = interpolate(raw, vars);
            assert_eq!(got.value, value, "{raw}");
            assert_eq!(got.sources, sources, "{raw}");
        }
    }

    #[test]
    fn a_service_env_value_in_either_form() {
        let mapping = "services:\n  app:\n    environment:\n      A: \"1\"\n      B:\n";
        assert_eq!(service_env(mapping, "app", "A"), Some(Some("1".into())));
        assert_eq!(service_env(mapping, "app", "B"), Some(None));
        assert_eq!(service_env(mapping, "app", "C"), None);
        assert_eq!(service_env(mapping, "other", "A"), None);
        let list = "services:\n  app:\n    environment:\n      - A=x=y\n      - B\n";
        assert_eq!(service_env(list, "app", "A"), Some(Some("x=y".into())));
        assert_eq!(service_env(list, "app", "B"), Some(None));
        assert_eq!(service_env("not: [yaml", "app", "A"), None);
    }

    fn spec() -> ComposeSpec {
        ComposeSpec {
            service: "backend-flask".into(),
            parts: Parts::ALL,
            region: "ca-central-1".into(),
            honeycomb_region: HoneycombRegion::Us,
            force: false,
            via: Via::Daemon,
            log_group: None,
            xray_url: crate::devenv::DevEnv::Gitpod.xray_url().into(),
            variables: Default::default(),
        }
    }

    #[test]
    fn entries_are_references_never_values() {
        for (key, value) in desired_env(&spec()) {
            if key.contains("KEY") || key.contains("TOKEN") || key.contains("SECRET") {
                assert!(value.starts_with("${"), "{key}={value}");
            }
        }
    }

    #[test]
    fn a_second_plan_changes_nothing() {
        let text = "services:\n  backend-flask:\n    build: .\n";
        let first = plan(text, "f", &spec()).unwrap();
        assert_eq!(first.added.len(), 9);
        assert_eq!(first.added_service, Some(DAEMON_SERVICE));
        let second = plan(&first.new_text, "f", &spec()).unwrap();
        assert_eq!(second.new_text, first.new_text);
        assert!(second.added.is_empty() && second.added_service.is_none());
        assert!(
            second.service_notes.is_empty(),
            "{:?}",
            second.service_notes
        );
    }

    #[test]
    fn literal_secrets_and_a_traces_path_are_mistakes() {
        let text = "services:\n  api:\n    environment:\n      HONEYCOMB_API_KEY: abc123\n      OTEL_EXPORTER_OTLP_ENDPOINT: https://api.honeycomb.io/v1/traces\n      AWS_SECRET_ACCESS_KEY: ${AWS_SECRET_ACCESS_KEY}\n";
        let found = mistakes(text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found.iter().all(|m| !m.contains("abc123")),
            "never repeat the value"
        );
    }

    #[test]
    fn the_bootcamp_daemon_mistakes_are_noted() {
        let daemon = serde_json::json!({"image": "amazon/aws-xray-daemon",
            "environment": {"AWS_REGION": "us-east-1"}, "command": ["xray -o -b xray-daemon:2000"]});
        let notes = daemon_differences(&daemon, &desired_daemon(&spec()), &Default::default());
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("one argument"));
        assert!(notes[1].contains("AWS_REGION is us-east-1, not ca-central-1"));
    }
}
