//! What the compose file should hold: the app service's environment entries
//! for each way traces leave (daemon or collector) and the service that carries them.

use super::*;

/// The entries the app's service needs, in the bootcamp's order. Secrets are
/// `${VAR}` references only.
pub(crate) fn desired_env(spec: &ComposeSpec) -> Vec<(String, String)> {
    env_for(spec, spec.via)
}

/// What the other `--via` mode writes, to recognise it when switching.
pub(super) fn other_mode_env(spec: &ComposeSpec) -> Vec<(String, String)> {
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

/// The collector's OTLP/HTTP port, published: the browser sends its spans there
/// (`frontend write`'s `REACT_APP_OTEL_COLLECTOR_URL`); the backend uses the
/// compose network.
pub(crate) const BROWSER_PORT: &str = "4318:4318";

/// The `otel-collector` service, as JSON (for comparison).
pub(crate) fn desired_collector_service(spec: &ComposeSpec) -> Value {
    serde_json::json!({
        "image": format!("{}:{}", collector::IMAGE, collector::ADOT_VERSION),
        "command": [format!("--config={}", collector::CONFIG_IN_CONTAINER)],
        "volumes": [format!("./{}:{}:ro", collector::CONFIG_FILE, collector::CONFIG_IN_CONTAINER)],
        "ports": [BROWSER_PORT],
        "environment": {
            "AWS_REGION": spec.region,
            "AWS_ACCESS_KEY_ID": "${AWS_ACCESS_KEY_ID}",
            "AWS_SECRET_ACCESS_KEY": "${AWS_SECRET_ACCESS_KEY}",
            "HONEYCOMB_API_KEY": "${HONEYCOMB_API_KEY}",
        },
    })
}

pub(super) fn collector_builder(spec: &ComposeSpec) -> Document {
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
        .sequence("ports", |s| s.item(q(BROWSER_PORT)))
        .mapping("environment", |m| {
            m.pair("AWS_REGION", q(&spec.region))
                .pair("AWS_ACCESS_KEY_ID", q("${AWS_ACCESS_KEY_ID}"))
                .pair("AWS_SECRET_ACCESS_KEY", q("${AWS_SECRET_ACCESS_KEY}"))
                .pair("HONEYCOMB_API_KEY", q("${HONEYCOMB_API_KEY}"))
        })
        .build_document()
}

/// The `xray-daemon` service, as JSON (for comparison) .
pub(crate) fn desired_daemon(spec: &ComposeSpec) -> Value {
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

pub(super) fn daemon_builder(spec: &ComposeSpec) -> Document {
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
