//! Honeycomb: is this API key valid, in which region, for which team and
//! environment, and can it send traces? And does a span sent with it arrive?
//!
//! This file is pure: key shapes, endpoints, parsing `/1/auth` and `/2/auth`
//! answers leniently, the verdict, the OTLP/HTTP JSON body and the trace link.
//! [`api`] does the HTTP.

pub(crate) mod api;
pub(crate) mod board;

use std::collections::BTreeMap;
use std::fmt;

use reqwest::Url;
use serde::Serialize;
use serde_json::{json, Value};

pub(crate) use crate::http::join;
use crate::http::{is_loopback, Service};
use crate::secret::Secret;

/// Honeycomb, as its transport errors name it ([`api`] and [`board`] alike).
pub(crate) static SERVICE: Service = Service {
    name: "Honeycomb",
    secret: "key",
    endpoint: "--api-endpoint",
    endpoint_long: "--api-endpoint / HONEYCOMB_API_ENDPOINT",
    status_page: "https://status.honeycomb.io",
    redirect_note: "Honeycomb's API does not redirect, and the key would go along",
};

/// The two Honeycomb regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Region {
    Us,
    Eu,
}

impl Region {
    pub(crate) fn default_api(self) -> &'static str {
        match self {
            Region::Us => "https://api.honeycomb.io",
            Region::Eu => "https://api.eu1.honeycomb.io",
        }
    }

    pub(crate) fn ui(self) -> &'static str {
        match self {
            Region::Us => "https://ui.honeycomb.io",
            Region::Eu => "https://ui.eu1.honeycomb.io",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Region::Us => "US",
            Region::Eu => "EU",
        }
    }
}

/// What the key looks like. A hint only: `/1/auth` decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum KeyKind {
    Classic,
    ClassicIngest,
    Ingest,
    Configuration,
    Management,
    Unknown,
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyKind::Classic => "Classic key",
            KeyKind::ClassicIngest => "Classic ingest key",
            KeyKind::Ingest => "ingest key",
            KeyKind::Configuration => "configuration key",
            KeyKind::Management => "management key",
            KeyKind::Unknown => "key of unknown shape",
        })
    }
}

fn is_lower_alnum(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// `hc` + one letter + `kind` + `_` + a body; returns the body.
fn hc_body<'a>(key: &'a str, kind: &str) -> Option<&'a str> {
    let rest = key.strip_prefix("hc")?;
    let mut chars = rest.chars();
    chars.next().filter(|c| c.is_ascii_lowercase())?;
    chars.as_str().strip_prefix(kind)?.strip_prefix('_')
}

/// Detects the key kind from its shape: 32 hex digits (classic), `hc?ic_`/`hc?ik_`
/// and 58 characters (classic ingest, ingest), `hc?mk_…:secret` (management),
/// `hc?lk_` or 22 alphanumerics (configuration).
pub(crate) fn key_kind(key: &str) -> KeyKind {
    if key.len() == 32
        && key
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    {
        return KeyKind::Classic;
    }
    let body58 = |kind| hc_body(key, kind).is_some_and(|b| b.len() == 58 && is_lower_alnum(b));
    if body58("ic") {
        return KeyKind::ClassicIngest;
    }
    if body58("ik") {
        return KeyKind::Ingest;
    }
    if let Some((id, secret)) = key.split_once(':') {
        if hc_body(id, "mk").is_some_and(|b| b.len() == 26 && is_lower_alnum(b))
            && secret.len() == 32
        {
            return KeyKind::Management;
        }
    }
    if hc_body(key, "lk").is_some()
        || (key.len() == 22 && key.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return KeyKind::Configuration;
    }
    KeyKind::Unknown
}

/// Where each region's API is (overridable for tests and proxies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoints {
    pub us: Url,
    pub eu: Url,
}

/// Errors of our input about Honeycomb.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum InputError {
    #[error("no Honeycomb API key")]
    NoKey,
    #[error("{} is not a valid URL: {reason}", crate::plan::clip(url))]
    BadUrl { url: String, reason: String },
    #[error("refusing to send the Honeycomb API key over plain http to {url}")]
    Insecure { url: String },
    #[error("the Honeycomb API key has {what} at position {position}: keys are letters, digits and _ only")]
    BadKeyText { what: &'static str, position: usize },
}

impl InputError {
    pub(crate) fn help(&self) -> Option<String> {
        Some(match self {
            InputError::NoKey => "pass --api-key or set HONEYCOMB_API_KEY (Honeycomb: Environment settings → API keys)".into(),
            InputError::BadUrl { .. } => "give a URL like https://api.honeycomb.io".into(),
            InputError::Insecure { .. } => "use https, or http only to a loopback address (127.0.0.1, ::1, localhost)".into(),
            InputError::BadKeyText { .. } => "copy the key again from Honeycomb (Environment settings → API keys), without quotes or line breaks".into(),
        })
    }
}

/// Checks that a key can go into an HTTP header as it is (no control characters,
/// spaces or quotes): a key with a pasted line break is bad input, said plainly.
/// The position is 1-based; the key itself is never shown.
pub(crate) fn check_key_text(key: &str) -> Result<Secret, InputError> {
    for (i, c) in key.chars().enumerate() {
        let what = if c.is_control() {
            "a control character"
        } else if c.is_whitespace() {
            "a space"
        } else if !c.is_ascii() {
            "a non-ASCII character"
        } else if !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':')) {
            "a punctuation character"
        } else {
            continue;
        };
        return Err(InputError::BadKeyText {
            what,
            position: i + 1,
        });
    }
    crate::secret::register_secret(key);
    Ok(Secret::new(key))
}

/// Parses an API endpoint override; `http://` only for loopback hosts.
pub(crate) fn parse_endpoint(url: &str) -> Result<Url, InputError> {
    let parsed = Url::parse(url).map_err(|e| InputError::BadUrl {
        url: url.to_string(),
        reason: e.to_string(),
    })?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) => Ok(parsed),
        "http" => Err(InputError::Insecure {
            url: url.to_string(),
        }),
        other => Err(InputError::BadUrl {
            url: url.to_string(),
            reason: format!("scheme {other} is not http or https"),
        }),
    }
}

/// The endpoints: defaults, or `api` for both regions, or `api_eu` for EU.
pub(crate) fn endpoints(api: Option<&str>, api_eu: Option<&str>) -> Result<Endpoints, InputError> {
    let us = match api {
        Some(url) => parse_endpoint(url)?,
        #[allow(clippy::expect_used)] // a constant that parses
        None => Url::parse(Region::Us.default_api()).expect("valid default"),
    };
    let eu = match (api_eu, api) {
        (Some(url), _) => parse_endpoint(url)?,
        // One override serves both regions: never fall back to the real EU host.
        (None, Some(_)) => us.clone(),
        #[allow(clippy::expect_used)] // a constant that parses
        (None, None) => Url::parse(Region::Eu.default_api()).expect("valid default"),
    };
    Ok(Endpoints { us, eu })
}

/// Which regions to try, in order: the one asked for, else US then EU (once each endpoint).
pub(crate) fn regions_to_try(region: Option<Region>, endpoints: &Endpoints) -> Vec<Region> {
    match region {
        Some(r) => vec![r],
        None if endpoints.us == endpoints.eu => vec![Region::Us],
        None => vec![Region::Us, Region::Eu],
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Named {
    pub name: String,
    pub slug: String,
}

/// What Honeycomb said about a key, and our verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct KeyReport {
    /// The key's kind (from its shape) and masked form; never the key.
    pub key: String,
    pub key_shape: KeyKind,
    pub region: Region,
    pub endpoint: String,
    pub team: Named,
    /// `None` for Honeycomb Classic.
    pub environment: Option<Named>,
    pub key_type: String,
    pub permissions: BTreeMap<String, bool>,
    pub can_send_traces: bool,
    pub can_create_datasets: bool,
    pub warnings: Vec<String>,
}

impl KeyReport {
    pub(crate) fn classic(&self) -> bool {
        self.environment.is_none()
    }
}

impl fmt::Display for KeyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "key:            {} (accepted in {})",
            self.key,
            self.region.label()
        )?;
        writeln!(f, "team:           {} ({})", self.team.name, self.team.slug)?;
        match &self.environment {
            Some(env) => writeln!(f, "environment:    {} ({})", env.name, env.slug)?,
            None => writeln!(f, "environment:    Classic")?,
        }
        writeln!(f, "key type:       {}", self.key_type)?;
        let perms: Vec<String> = self
            .permissions
            .iter()
            .map(|(k, v)| format!("{k} {}", if *v { "✓" } else { "✗" }))
            .collect();
        writeln!(f, "permissions:    {}", perms.join(", "))?;
        write!(
            f,
            "can send traces: {}",
            if self.can_send_traces { "yes" } else { "no" }
        )?;
        for w in &self.warnings {
            write!(f, "\nwarning: {w}")?;
        }
        Ok(())
    }
}

fn named(v: &Value) -> Named {
    let s = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Named {
        name: s("name"),
        slug: s("slug"),
    }
}

/// Builds the report from a `/1/auth` answer (parsed leniently: unknown
/// permissions are kept, missing ones count as not granted).
pub(crate) fn report_v1(key: &Secret, region: Region, endpoint: &Url, body: &Value) -> KeyReport {
    let reply: AuthV1 = serde_json::from_value(body.clone()).unwrap_or_default();
    let permissions: BTreeMap<String, bool> = reply
        .api_key_access
        .iter()
        .map(|(k, v)| (k.clone(), v.as_bool().unwrap_or(false)))
        .collect();
    let environment = reply
        .environment
        .map(NamedReply::into_named)
        .filter(|e| !(e.name.is_empty() && e.slug.is_empty()));
    verdict(
        key,
        region,
        endpoint,
        reply.team.into_named(),
        environment,
        reply.kind.unwrap_or_else(|| "unknown".into()),
        permissions,
    )
}

/// Honeycomb's `/1/auth` answer. Lenient: every field may be missing, and the
/// permission set may grow (unknown ones are kept, non-booleans are "no").
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct AuthV1 {
    #[serde(rename = "type")]
    kind: Option<String>,
    api_key_access: BTreeMap<String, Value>,
    environment: Option<NamedReply>,
    team: NamedReply,
}

/// A team or environment in a reply.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct NamedReply {
    name: Option<String>,
    slug: Option<String>,
}

impl NamedReply {
    fn into_named(self) -> Named {
        Named {
            name: self.name.unwrap_or_default(),
            slug: self.slug.unwrap_or_default(),
        }
    }
}

/// Builds the report from a `/2/auth` answer (management keys, JSON:API shaped).
pub(crate) fn report_v2(key: &Secret, region: Region, endpoint: &Url, body: &Value) -> KeyReport {
    let attributes = &body["data"]["attributes"];
    let permissions = attributes
        .get("scopes")
        .and_then(Value::as_array)
        .map(|scopes| {
            scopes
                .iter()
                .filter_map(Value::as_str)
                .map(|s| (s.to_string(), true))
                .collect()
        })
        .unwrap_or_default();
    let team = body
        .get("included")
        .and_then(Value::as_array)
        .and_then(|items| items.iter().find(|i| i["type"] == "teams"))
        .map(|t| named(&t["attributes"]))
        .unwrap_or(Named {
            name: String::new(),
            slug: String::new(),
        });
    let key_type = attributes
        .get("key_type")
        .and_then(Value::as_str)
        .unwrap_or("management")
        .to_string();
    let mut report = verdict(key, region, endpoint, team, None, key_type, permissions);
    report.warnings.insert(
        0,
        "management keys manage keys and environments; they cannot send data".into(),
    );
    report
}

fn verdict(
    key: &Secret,
    region: Region,
    endpoint: &Url,
    team: Named,
    environment: Option<Named>,
    key_type: String,
    permissions: BTreeMap<String, bool>,
) -> KeyReport {
    let shape = key_kind(key.expose());
    let granted = |p: &str| permissions.get(p).copied().unwrap_or(false);
    let can_send_traces = granted("events");
    let can_create_datasets = granted("createDatasets");
    let mut warnings = Vec::new();
    if !can_send_traces {
        warnings.push("the key lacks the `events` permission: it cannot send traces".into());
    } else if !can_create_datasets {
        warnings.push("the key lacks `createDatasets`: traces for a new service.name (a new dataset) will be refused".into());
    }
    if environment.is_none() && shape != KeyKind::Management {
        warnings.push(
            "Classic key: spans need the x-honeycomb-dataset header (send-test-span sets it)"
                .into(),
        );
    }
    KeyReport {
        key: format!("{shape} {}", key.masked()),
        key_shape: shape,
        region,
        endpoint: endpoint.to_string(),
        team,
        environment,
        key_type,
        permissions,
        can_send_traces,
        can_create_datasets,
        warnings,
    }
}

/// One OTLP/HTTP JSON span for `service`.
pub(crate) fn test_span(
    service: &str,
    trace_id: &str,
    span_id: &str,
    start_ns: u128,
    end_ns: u128,
) -> Value {
    json!({
        "resourceSpans": [{
            "resource": {"attributes": [
                {"key": "service.name", "value": {"stringValue": service}},
                {"key": "telemetry.sdk.name", "value": {"stringValue": "cruddur-obs"}}
            ]},
            "scopeSpans": [{
                "scope": {"name": "cruddur-obs", "version": env!("CARGO_PKG_VERSION")},
                "spans": [{
                    "traceId": trace_id,
                    "spanId": span_id,
                    "name": "cruddur-obs test span",
                    "kind": 1,
                    "startTimeUnixNano": start_ns.to_string(),
                    "endTimeUnixNano": end_ns.to_string(),
                    "attributes": [{"key": "cruddur_obs.test", "value": {"boolValue": true}}],
                    "status": {"code": 1}
                }]
            }]
        }]
    })
}

/// Where to see the trace in the Honeycomb UI.
pub(crate) fn trace_link(report: &KeyReport, dataset: &str, trace_id: &str) -> String {
    let ui = report.region.ui();
    match &report.environment {
        Some(env) => format!(
            "{ui}/{}/environments/{}/trace?trace_id={trace_id}",
            report.team.slug, env.slug
        ),
        None => format!(
            "{ui}/{}/datasets/{dataset}/trace?trace_id={trace_id}",
            report.team.slug
        ),
    }
}

/// The result of `send-test-span`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct SpanReport {
    pub key: String,
    pub region: Region,
    pub endpoint: String,
    pub service: String,
    pub trace_id: String,
    pub link: String,
}

impl fmt::Display for SpanReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "sent a test span for service {} to Honeycomb {} ({})",
            self.service,
            self.region.label(),
            self.endpoint
        )?;
        writeln!(f, "trace id: {}", self.trace_id)?;
        write!(f, "see it at: {}", self.link)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key58(kind: &str) -> String {
        format!(
            "hcx{kind}_{}",
            "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijkl"
        )
    }

    #[test]
    fn key_shapes_are_recognised() {
        assert_eq!(key_kind(&"a1".repeat(16)), KeyKind::Classic);
        assert_eq!(key_kind(&key58("ic")), KeyKind::ClassicIngest);
        assert_eq!(key_kind(&key58("ik")), KeyKind::Ingest);
        assert_eq!(key_kind("AbCdEfGhIjKlMnOpQrStUv"), KeyKind::Configuration);
        let mgmt = format!("hcxmk_{}:{}", "a".repeat(26), "b".repeat(32));
        assert_eq!(key_kind(&mgmt), KeyKind::Management);
        assert_eq!(key_kind("nope"), KeyKind::Unknown);
        assert_eq!(key_kind(&key58("ik").to_uppercase()), KeyKind::Unknown);
    }

    #[test]
    fn plain_http_is_only_for_loopback() {
        assert!(parse_endpoint("http://127.0.0.1:9999").is_ok());
        assert!(parse_endpoint("http://[::1]:9999").is_ok());
        assert!(parse_endpoint("http://localhost:1").is_ok());
        assert!(matches!(
            parse_endpoint("http://example.com"),
            Err(InputError::Insecure { .. })
        ));
        assert!(matches!(
            parse_endpoint("http://10.0.0.1"),
            Err(InputError::Insecure { .. })
        ));
        assert!(parse_endpoint("https://proxy.example.com/honeycomb").is_ok());
        assert!(matches!(
            parse_endpoint("ftp://x"),
            Err(InputError::BadUrl { .. })
        ));
    }

    #[test]
    fn one_override_never_falls_back_to_the_real_eu_host() {
        let e = endpoints(Some("http://127.0.0.1:1"), None).unwrap();
        assert_eq!(e.eu, e.us);
        assert_eq!(regions_to_try(None, &e), [Region::Us]);
        let e = endpoints(None, None).unwrap();
        assert_eq!(regions_to_try(None, &e), [Region::Us, Region::Eu]);
        assert_eq!(regions_to_try(Some(Region::Eu), &e), [Region::Eu]);
    }

    #[test]
    fn join_keeps_a_proxy_prefix() {
        let base = Url::parse("https://proxy.example.com/hc/").unwrap();
        assert_eq!(
            join(&base, "/1/auth").as_str(),
            "https://proxy.example.com/hc/1/auth"
        );
        let base = Url::parse("https://api.honeycomb.io").unwrap();
        assert_eq!(
            join(&base, "v1/traces").as_str(),
            "https://api.honeycomb.io/v1/traces"
        );
    }

    #[test]
    fn verdicts_follow_the_permissions() {
        let key = Secret::new(key58("ik"));
        let url = Url::parse("https://api.honeycomb.io").unwrap();
        let body = json!({"id": "x", "type": "ingest",
            "api_key_access": {"events": true, "createDatasets": false, "somethingNew": true},
            "environment": {"name": "bootcamp", "slug": "bootcamp"},
            "team": {"name": "Team", "slug": "team"}});
        let r = report_v1(&key, Region::Us, &url, &body);
        assert!(r.can_send_traces);
        assert!(!r.can_create_datasets);
        assert!(r.permissions["somethingNew"]);
        assert!(r.warnings[0].contains("createDatasets"));
        assert!(!r.to_string().contains(key.expose()));

        let classic = json!({"type": "configuration", "api_key_access": {"events": false},
            "environment": {"name": "", "slug": ""}, "team": {"name": "T", "slug": "t"}});
        let r = report_v1(&key, Region::Eu, &url, &classic);
        assert!(r.classic());
        assert!(!r.can_send_traces);
        assert_eq!(
            trace_link(&r, "backend-flask", "abc"),
            "https://ui.eu1.honeycomb.io/t/datasets/backend-flask/trace?trace_id=abc"
        );
    }

    #[test]
    fn the_test_span_is_otlp_json() {
        let span = test_span(
            "backend-flask",
            &crate::secret::random_hex(16),
            &crate::secret::random_hex(8),
            1,
            2,
        );
        let s = &span["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
        assert_eq!(s["traceId"].as_str().unwrap().len(), 32);
        assert_eq!(s["spanId"].as_str().unwrap().len(), 16);
        assert_eq!(s["startTimeUnixNano"], "1");
        assert_eq!(
            span["resourceSpans"][0]["resource"]["attributes"][0]["value"]["stringValue"],
            "backend-flask"
        );
    }
}
