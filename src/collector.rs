//! The OpenTelemetry Collector path: one ADOT collector service instead of the X-Ray
//! daemon (in maintenance mode since 2026-02-25, end of support 2027-02-25).
//!
//! Pure: the collector config from `templates/`, and a validator for it, since no
//! collector binary can run here and ADOT has no `validate` command: every pipeline
//! reference defined, every component known to the pinned image, receivers bound to
//! 0.0.0.0, environment references in `${env:NAME}` form. Problems name their line.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::honeycomb::Region;

/// The pinned ADOT release (each is supported until the next minor: never `latest`).
pub(crate) const ADOT_VERSION: &str = "v0.50.0";
pub(crate) const IMAGE: &str = "public.ecr.aws/aws-observability/aws-otel-collector";
pub(crate) const SERVICE: &str = "otel-collector";
/// The config file, next to the compose file, and where the image reads it.
pub(crate) const CONFIG_FILE: &str = "otel-collector-config.yaml";
pub(crate) const CONFIG_IN_CONTAINER: &str = "/etc/otel-collector-config.yaml";
const TEMPLATE: &str = include_str!("../templates/otel-collector-config.yaml");
/// When the X-Ray daemon's support ends.
pub(crate) const DAEMON_END_OF_SUPPORT: &str = "2027-02-25";

/// Component types the pinned image knows (ADOT v0.50.0 distribution), by kind.
/// Upstream 0.144 renamed `otlp`/`otlphttp` exporters to `otlp_grpc`/`otlp_http`;
/// v0.48+ still accepts the old names with a warning.
const RECEIVERS: &[&str] = &[
    "otlp",
    "awsxray",
    "awsecscontainermetrics",
    "prometheus",
    "statsd",
    "zipkin",
    "jaeger",
    "filelog",
    "hostmetrics",
    "k8s_cluster",
    "kafka",
];
const PROCESSORS: &[&str] = &[
    "batch",
    "memory_limiter",
    "resourcedetection",
    "resource",
    "attributes",
    "filter",
    "probabilistic_sampler",
    "tail_sampling",
    "span",
    "transform",
    "k8sattributes",
    "metricstransform",
    "groupbytrace",
    "cumulativetodelta",
    "deltatorate",
];
const EXPORTERS: &[&str] = &[
    "awsxray",
    "awsemf",
    "otlp_grpc",
    "otlp_http",
    "otlp",
    "otlphttp",
    "debug",
    "prometheusremotewrite",
    "awscloudwatchlogs",
    "loadbalancing",
    "kafka",
    "file",
];
const EXTENSIONS: &[&str] = &[
    "health_check",
    "pprof",
    "zpages",
    "sigv4auth",
    "ecs_observer",
    "file_storage",
];

/// The collector config for `region`, exporting to Honeycomb in `honeycomb`.
pub(crate) fn config(region: &str, honeycomb: Region) -> String {
    TEMPLATE
        .replace("{{ADOT_VERSION}}", ADOT_VERSION)
        .replace("{{REGION}}", region)
        .replace("{{HONEYCOMB_REGION}}", honeycomb.label())
        .replace("{{HONEYCOMB_API}}", honeycomb.default_api())
}

/// One problem in a collector config, with its 1-based line (0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            f.write_str(&self.message)
        }
    }
}

/// The first line (1-based) at or after `from` that contains `needle`.
fn line_of(text: &str, needle: &str, from: usize) -> usize {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, l)| !l.trim_start().starts_with('#') && l.contains(needle))
        .map_or(0, |(i, _)| i + 1)
}

fn kind_of(id: &str) -> &str {
    id.split('/').next().unwrap_or(id)
}

/// Validates a collector config; an empty list means it is fine.
pub(crate) fn validate(text: &str) -> Vec<Problem> {
    let doc: Value = match crate::yaml::parse_strict(text) {
        Ok(v) => v,
        Err(e) => {
            return vec![Problem {
                line: 0,
                message: e.message,
            }]
        }
    };
    let mut problems = Vec::new();
    let mut add = |line: usize, message: String| problems.push(Problem { line, message });

    let section = |name: &str| -> BTreeSet<String> {
        doc.get(name)
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let known = [
        ("receivers", RECEIVERS),
        ("processors", PROCESSORS),
        ("exporters", EXPORTERS),
        ("extensions", EXTENSIONS),
    ];
    for (kind, types) in known {
        let start = line_of(text, &format!("{kind}:"), 1);
        for id in section(kind) {
            if !types.contains(&kind_of(&id)) {
                add(
                    line_of(text, &format!("{id}:"), start),
                    format!("{kind}: {id:?} is not a component ADOT {ADOT_VERSION} knows"),
                );
            }
        }
    }

    // Every reference in the service section is defined.
    let service_line = line_of(text, "service:", 1);
    let service = doc.get("service").cloned().unwrap_or(Value::Null);
    let refs = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    for id in refs(&service["extensions"]) {
        if !section("extensions").contains(&id) {
            add(
                line_of(text, &id, service_line),
                format!("service.extensions: {id:?} is not defined"),
            );
        }
    }
    let pipelines = service.get("pipelines").and_then(Value::as_object);
    match pipelines {
        None => add(
            service_line,
            "service.pipelines: no pipeline is defined".into(),
        ),
        Some(pipelines) => {
            for (name, pipeline) in pipelines {
                let pipeline_line = line_of(text, &format!("{name}:"), service_line);
                for kind in ["receivers", "processors", "exporters"] {
                    let ids = refs(&pipeline[kind]);
                    if ids.is_empty() && kind != "processors" {
                        add(pipeline_line, format!("pipeline {name}: no {kind}"));
                    }
                    for id in ids {
                        if !section(kind).contains(&id) {
                            add(
                                line_of(text, &id, pipeline_line),
                                format!(
                                    "pipeline {name}: {kind} {id:?} is not defined under {kind}:"
                                ),
                            );
                        }
                    }
                }
            }
        }
    }

    // Receivers must bind 0.0.0.0: the default (localhost) is unreachable from other containers.
    let receivers_line = line_of(text, "receivers:", 1);
    let mut endpoints: Vec<(String, Option<String>)> = Vec::new();
    if let Some(otlp) = doc["receivers"].get("otlp") {
        for protocol in ["grpc", "http"] {
            if let Some(p) = otlp.get("protocols").and_then(|p| p.get(protocol)) {
                let ep = p
                    .get("endpoint")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                endpoints.push((format!("otlp {protocol}"), ep));
            }
        }
    }
    for (id, receiver) in doc["receivers"].as_object().into_iter().flatten() {
        if kind_of(id) == "awsxray" {
            let ep = receiver
                .get("endpoint")
                .and_then(Value::as_str)
                .map(str::to_string);
            endpoints.push((id.clone(), ep));
        }
    }
    for (what, endpoint) in endpoints {
        match endpoint {
            None => add(
                receivers_line,
                format!("receiver {what} has no endpoint: it would listen on localhost only; use 0.0.0.0:PORT"),
            ),
            Some(ep) if !ep.starts_with("0.0.0.0:") && !ep.starts_with("${") => add(
                line_of(text, &ep, receivers_line),
                format!("receiver {what} listens on {ep}: other containers cannot reach it; use 0.0.0.0"),
            ),
            Some(_) => {}
        }
    }

    // Environment references: ${env:NAME} or ${NAME}; a bare $NAME stopped working in 0.107.
    for (i, line) in text.lines().enumerate() {
        let code = line.split(" #").next().unwrap_or(line);
        let bytes = code.as_bytes();
        for (j, _) in code.match_indices('$') {
            let next = bytes.get(j + 1).copied();
            if next.is_some_and(|c| c.is_ascii_alphabetic() || c == b'_') {
                add(
                    i + 1,
                    format!("a bare ${} reference is not expanded (since collector 0.107): write ${{env:...}}", &code[j + 1..].split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next().unwrap_or_default()),
                );
            }
        }
    }
    problems
}

/// What the OTLP receiver's CORS says to a browser page at some origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BrowserCors {
    /// No `receivers.otlp.protocols.http.cors` (or no HTTP protocol): the
    /// browser's spans are refused.
    Missing,
    Allows,
    /// The origins the config allows, none of them the page's.
    Refuses(Vec<String>),
}

/// Whether the config's OTLP/HTTP receiver lets a page at `origin` post spans,
/// as the collector decides it (`confighttp` with rs/cors: an exact origin, `*`,
/// or one `*` standing for any run of characters).
pub(crate) fn browser_cors(text: &str, origin: &str) -> BrowserCors {
    let Ok(doc) = crate::yaml::parse_strict(text) else {
        return BrowserCors::Missing;
    };
    let origins: Vec<String> = match doc
        .get("receivers")
        .and_then(|r| r.as_object())
        .and_then(|r| r.iter().find(|(id, _)| kind_of(id) == "otlp"))
        .and_then(|(_, otlp)| otlp.pointer("/protocols/http/cors/allowed_origins"))
        .and_then(Value::as_array)
    {
        Some(list) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        None => return BrowserCors::Missing,
    };
    if origins.iter().any(|o| origin_matches(o, origin)) {
        BrowserCors::Allows
    } else {
        BrowserCors::Refuses(origins)
    }
}

/// rs/cors's origin match: case-insensitive; `*` alone allows every origin, one
/// `*` inside a pattern matches any characters (at least none).
fn origin_matches(pattern: &str, origin: &str) -> bool {
    let (pattern, origin) = (pattern.to_ascii_lowercase(), origin.to_ascii_lowercase());
    match pattern.split_once('*') {
        _ if pattern == "*" => true,
        Some((prefix, suffix)) => {
            origin.len() >= prefix.len() + suffix.len()
                && origin.starts_with(prefix)
                && origin.ends_with(suffix)
        }
        None => pattern == origin,
    }
}

/// The region the config's awsxray exporter sends to, if literal.
pub(crate) fn exporter_region(text: &str) -> Option<String> {
    let doc: Value = crate::yaml::parse_strict(text).ok()?;
    doc.get("exporters")?
        .as_object()?
        .iter()
        .find(|(id, _)| kind_of(id) == "awsxray")
        .and_then(|(_, e)| e.get("region"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_that_is_not_yaml_is_named_in_the_users_terms() {
        let problems = validate("receivers: {}\nreceivers: {}\n");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            problems[0].message,
            "line 2 column 1: duplicate mapping key: receivers"
        );
    }

    #[test]
    fn the_browser_cors_is_judged_as_the_collector_judges_it() {
        let ours = config("ca-central-1", Region::Us);
        for origin in [
            "https://3000-omenking-awsbootcampcru-2n1d6e0bd1f.ws-us94.gitpod.io",
            "https://fluffy-space-abc123-3000.app.github.dev",
            "http://localhost:3000",
            "HTTP://LOCALHOST:3000",
        ] {
            assert_eq!(browser_cors(&ours, origin), BrowserCors::Allows, "{origin}");
        }
        for origin in [
            "https://4567-x.ws-us94.gitpod.io",
            "http://localhost:3001",
            "https://3000-x.gitpod.example.com",
        ] {
            assert!(
                matches!(browser_cors(&ours, origin), BrowserCors::Refuses(o) if o.len() == 3),
                "{origin}"
            );
        }
        let without =
            "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 0.0.0.0:4318\n";
        assert_eq!(
            browser_cors(without, "http://localhost:3000"),
            BrowserCors::Missing
        );
        let any = "receivers:\n  otlp/browser:\n    protocols:\n      http:\n        cors:\n          allowed_origins: ['*']\n";
        assert_eq!(browser_cors(any, "http://x"), BrowserCors::Allows);
        assert!(!origin_matches("https://*.gitpod.io", "https://gitpod.io"));
    }

    #[test]
    fn the_written_config_validates_for_both_regions() {
        for region in [Region::Us, Region::Eu] {
            let text = config("ca-central-1", region);
            assert_eq!(validate(&text), vec![], "{text}");
            assert_eq!(exporter_region(&text).as_deref(), Some("ca-central-1"));
            assert!(text.contains(region.default_api()));
        }
    }

    #[test]
    fn broken_configs_are_reported_with_their_line() {
        let good = config("us-east-1", Region::Us);
        let cases = [
            (
                good.replace("exporters: [awsxray, otlp_http/honeycomb]", "exporters: [awsxray, otlp_http/nowhere]"),
                "pipeline traces: exporters \"otlp_http/nowhere\" is not defined under exporters:",
            ),
            (
                good.replace("endpoint: 0.0.0.0:4318", "endpoint: localhost:4318"),
                "receiver otlp http listens on localhost:4318: other containers cannot reach it; use 0.0.0.0",
            ),
            (
                good.replace("${env:HONEYCOMB_API_KEY}", "$HONEYCOMB_API_KEY"),
                "a bare $HONEYCOMB_API_KEY reference is not expanded (since collector 0.107): write ${env:...}",
            ),
            (
                good.replace("  batch: {}", "  batch: {}\n  magic: {}"),
                "processors: \"magic\" is not a component ADOT v0.50.0 knows",
            ),
        ];
        for (text, expected) in cases {
            let problems = validate(&text);
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert_eq!(problems[0].message, expected);
            let line = text.lines().nth(problems[0].line - 1).unwrap();
            let token = match expected {
                e if e.contains("nowhere") => "nowhere",
                e if e.contains("localhost") => "localhost",
                e if e.contains("bare") => "$HONEYCOMB",
                _ => "magic",
            };
            assert!(
                line.contains(token),
                "line {} is {line:?}",
                problems[0].line
            );
        }
    }

    #[test]
    fn the_collector_takes_the_browsers_spans_from_the_app_origins_and_holds_the_key() {
        let config = config("ca-central-1", crate::honeycomb::Region::Us);
        assert!(validate(&config).is_empty());
        let doc: serde_json::Value = serde_saphyr::from_str(&config).unwrap();
        let http = &doc["receivers"]["otlp"]["protocols"]["http"];
        assert_eq!(http["endpoint"], "0.0.0.0:4318");
        assert_eq!(
            http["cors"]["allowed_origins"],
            serde_json::json!([
                "https://3000-*.gitpod.io",
                "https://*-3000.app.github.dev",
                "http://localhost:3000"
            ])
        );
        assert_eq!(
            http["cors"]["allowed_headers"],
            serde_json::json!(["content-type"])
        );
        assert_eq!(
            doc["exporters"]["otlp_http/honeycomb"]["headers"]["x-honeycomb-team"],
            "${env:HONEYCOMB_API_KEY}"
        );
    }
}
