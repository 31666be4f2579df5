//! Why the app's request did not reach a backend, read from the app's
//! environment as the compose file gives it. Pure: each function names one
//! definite mistake (what is wrong, and the fix), or nothing when the settings
//! look right and the cause lies outside what can be read.

use std::collections::BTreeMap;

/// The variables `lib/observability.py` reads.
pub(crate) const KEYS: [&str; 13] = [
    "AWS_XRAY_DAEMON_ADDRESS",
    "AWS_XRAY_SDK_ENABLED",
    "AWS_XRAY_URL",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_SERVICE_NAME",
    "OTEL_SDK_DISABLED",
    "CLOUDWATCH_LOG_GROUP",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "ROLLBAR_ACCESS_TOKEN",
];

/// The app's side as the compose file describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AppEnv {
    /// The app's service.
    pub service: String,
    /// The compose file, as shown to the user.
    pub file: String,
    /// The variables of [`KEYS`] the service has, resolved (empty ones left out).
    pub vars: BTreeMap<String, String>,
    /// Every service of the compose file.
    pub services: Vec<String>,
    /// The X-Ray daemon's service (by image or name) and the region it sends to.
    pub daemon: Option<(String, Option<String>)>,
    /// The parts app.py leaves out of `init_observability(app, skip=(...))`
    /// (set up by hand), as the module names them.
    pub skipped: Vec<String>,
    /// Why app.py could not be read, when it could not.
    pub app_py_unread: Option<String>,
}

/// The names in app.py's `init_observability(app, skip=("xray", ...))`.
pub(crate) fn skipped_parts(app_py: &str) -> Vec<String> {
    let Some(at) = app_py.find("init_observability(app, skip=(") else {
        return Vec::new();
    };
    let rest = &app_py[at + "init_observability(app, skip=(".len()..];
    let inside = rest.split(')').next().unwrap_or_default();
    inside
        .split(',')
        .map(|name| name.trim().trim_matches(['"', '\'']).to_string())
        .filter(|name| !name.is_empty())
        .collect()
}

/// A definite mistake: what is wrong, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mistake {
    pub what: String,
    pub fix: String,
}

fn mistake(what: String, fix: String) -> Option<Mistake> {
    Some(Mistake { what, fix })
}

impl AppEnv {
    fn var(&self, key: &str) -> Option<&str> {
        self.vars
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The region the app's SDKs send to.
    pub(crate) fn region(&self) -> Option<&str> {
        self.var("AWS_DEFAULT_REGION")
            .or_else(|| self.var("AWS_REGION"))
    }

    /// The service name the app's spans and segments carry (the module's default).
    pub(crate) fn service_name(&self) -> &str {
        self.var("OTEL_SERVICE_NAME").unwrap_or("backend-flask")
    }

    /// X-Ray: where the app's segments go.
    pub(crate) fn xray_mistake(&self) -> Option<Mistake> {
        let service = &self.service;
        let daemon_name = self
            .daemon
            .as_ref()
            .map_or("xray-daemon", |(name, _)| name.as_str());
        if self
            .var("AWS_XRAY_SDK_ENABLED")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"))
        {
            return mistake(
                format!("AWS_XRAY_SDK_ENABLED is false for {service}: the X-Ray SDK sends nothing"),
                "remove AWS_XRAY_SDK_ENABLED (or set it to true)".into(),
            );
        }
        let Some(address) = self.var("AWS_XRAY_DAEMON_ADDRESS") else {
            if self.var("AWS_XRAY_URL").is_some() {
                return None;
            }
            return mistake(
                format!("{service} has no AWS_XRAY_DAEMON_ADDRESS in {}: lib/observability.py leaves X-Ray off", self.file),
                format!("give {service} AWS_XRAY_DAEMON_ADDRESS: \"{daemon_name}:2000\" (cruddur-obs compose write does)"),
            );
        };
        let (host, port) = match address.rsplit_once(':') {
            Some((host, port)) if port.parse::<u16>().is_ok() => (host, port),
            _ => {
                return mistake(
                    format!("AWS_XRAY_DAEMON_ADDRESS is {address:?}: the SDK needs host:port"),
                    format!("set it to \"{daemon_name}:2000\""),
                )
            }
        };
        let local = matches!(host, "127.0.0.1" | "localhost" | "0.0.0.0" | "::1");
        if local && self.daemon.is_some() {
            return mistake(
                format!("AWS_XRAY_DAEMON_ADDRESS is {address}: inside {service}'s container that is the container itself, not the daemon"),
                format!("set it to \"{daemon_name}:{port}\", the daemon's service"),
            );
        }
        let is_ip = host.parse::<std::net::IpAddr>().is_ok();
        if !local && !is_ip && !self.services.iter().any(|s| s == host) {
            let fix = match &self.daemon {
                Some((name, _)) => format!("set it to \"{name}:2000\", the daemon's service"),
                None => {
                    "add the daemon service (cruddur-obs compose write) and point the address at it"
                        .to_string()
                }
            };
            return mistake(
                format!(
                    "AWS_XRAY_DAEMON_ADDRESS is {address}, but {} has no service {host} (it has {})",
                    self.file,
                    self.services.join(", ")
                ),
                fix,
            );
        }
        if let (Some((name, Some(daemon_region))), Some(app_region)) = (&self.daemon, self.region())
        {
            if daemon_region != app_region {
                return mistake(
                    format!("the daemon ({name}) sends to {daemon_region}, but the app's region is {app_region}, where this looked"),
                    format!("give {name} AWS_REGION: \"{app_region}\" (the region of the group and rule)"),
                );
            }
        }
        None
    }

    /// CloudWatch Logs: whether the module ships the request line at all.
    pub(crate) fn logs_mistake(&self, group: &str) -> Option<Mistake> {
        let service = &self.service;
        if self.var("CLOUDWATCH_LOG_GROUP").is_none() {
            return mistake(
                format!("{service} has no CLOUDWATCH_LOG_GROUP in {}: lib/observability.py ships no logs", self.file),
                format!("give {service} CLOUDWATCH_LOG_GROUP: \"{group}\" (cruddur-obs compose write does)"),
            );
        }
        if self.region().is_none() {
            return mistake(
                format!(
                    "{service} has no AWS_DEFAULT_REGION in {}: watchtower cannot send",
                    self.file
                ),
                format!("give {service} AWS_DEFAULT_REGION: \"${{AWS_DEFAULT_REGION}}\""),
            );
        }
        None
    }

    /// Honeycomb: whether the exporter can reach it.
    pub(crate) fn honeycomb_mistake(&self) -> Option<Mistake> {
        let service = &self.service;
        if self
            .var("OTEL_SDK_DISABLED")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        {
            return mistake(
                format!("OTEL_SDK_DISABLED is true for {service}: no spans are made"),
                "remove OTEL_SDK_DISABLED".into(),
            );
        }
        let Some(endpoint) = self
            .var("OTEL_EXPORTER_OTLP_ENDPOINT")
            .or_else(|| self.var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
        else {
            return mistake(
                format!("{service} has no OTEL_EXPORTER_OTLP_ENDPOINT in {}: lib/observability.py leaves OpenTelemetry off", self.file),
                format!("give {service} OTEL_EXPORTER_OTLP_ENDPOINT: \"https://api.honeycomb.io\" (cruddur-obs compose write does)"),
            );
        };
        if self.var("OTEL_EXPORTER_OTLP_ENDPOINT").is_some() {
            let trimmed = endpoint.trim_end_matches('/');
            if let Some(base) = trimmed.strip_suffix("/v1/traces") {
                return mistake(
                    format!("OTEL_EXPORTER_OTLP_ENDPOINT is {endpoint}: the exporter appends /v1/traces itself, so the spans go to {trimmed}/v1/traces and are refused"),
                    format!("set OTEL_EXPORTER_OTLP_ENDPOINT to {base}"),
                );
            }
        }
        if endpoint.contains("honeycomb.io") {
            let headers = self
                .var("OTEL_EXPORTER_OTLP_HEADERS")
                .unwrap_or_default()
                .to_ascii_lowercase();
            let key = headers
                .split(',')
                .find_map(|h| h.trim().strip_prefix("x-honeycomb-team="));
            match key {
                None => {
                    return mistake(
                        format!("{service}'s OTEL_EXPORTER_OTLP_HEADERS has no x-honeycomb-team=<key>: Honeycomb refuses the spans"),
                        "set OTEL_EXPORTER_OTLP_HEADERS: \"x-honeycomb-team=${HONEYCOMB_API_KEY}\"".into(),
                    )
                }
                Some(k) if k.trim().is_empty() => {
                    return mistake(
                        format!("x-honeycomb-team in {service}'s OTEL_EXPORTER_OTLP_HEADERS is empty: its variable has no value where compose runs"),
                        "export HONEYCOMB_API_KEY (or put it in .env) before docker compose up".into(),
                    )
                }
                Some(_) => {}
            }
        }
        None
    }
}

/// Honeycomb's dataset slug for a service name: lower case, runs of anything
/// but letters and digits as one `-`.
pub(crate) fn dataset_slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> AppEnv {
        AppEnv {
            service: "backend-flask".into(),
            file: "docker-compose.yml".into(),
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            services: vec!["backend-flask".into(), "xray-daemon".into()],
            daemon: Some(("xray-daemon".into(), Some("us-east-1".into()))),
            skipped: Vec::new(),
            app_py_unread: None,
        }
    }

    #[test]
    fn the_parts_app_py_skips_are_read() {
        assert_eq!(
            skipped_parts("app = Flask(__name__)\ninit_observability(app, skip=(\"honeycomb\", 'cloudwatch-logs',))\n"),
            ["honeycomb", "cloudwatch-logs"]
        );
        assert!(skipped_parts("init_observability(app)\n").is_empty());
    }

    const GOOD: &[(&str, &str)] = &[
        ("AWS_XRAY_DAEMON_ADDRESS", "xray-daemon:2000"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://api.honeycomb.io"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "x-honeycomb-team=abc"),
        ("CLOUDWATCH_LOG_GROUP", "cruddur"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ];

    #[test]
    fn right_settings_name_no_mistake() {
        let e = env(GOOD);
        assert_eq!(e.xray_mistake(), None);
        assert_eq!(e.logs_mistake("cruddur"), None);
        assert_eq!(e.honeycomb_mistake(), None);
    }

    fn with(key: &'static str, value: &'static str) -> AppEnv {
        let mut vars: Vec<(&str, &str)> = GOOD.iter().copied().filter(|(k, _)| *k != key).collect();
        if !value.is_empty() {
            vars.push((key, value));
        }
        env(&vars)
    }

    #[test]
    fn a_daemon_address_that_is_no_service_is_named() {
        let m = with("AWS_XRAY_DAEMON_ADDRESS", "xray-deamon:2000")
            .xray_mistake()
            .unwrap();
        assert_eq!(m.what, "AWS_XRAY_DAEMON_ADDRESS is xray-deamon:2000, but docker-compose.yml has no service xray-deamon (it has backend-flask, xray-daemon)");
        assert_eq!(
            m.fix,
            "set it to \"xray-daemon:2000\", the daemon's service"
        );
        let m = with("AWS_XRAY_DAEMON_ADDRESS", "127.0.0.1:2000")
            .xray_mistake()
            .unwrap();
        assert!(m.what.contains("the container itself"), "{m:?}");
        let m = with("AWS_XRAY_DAEMON_ADDRESS", "xray-daemon")
            .xray_mistake()
            .unwrap();
        assert!(m.what.contains("host:port"), "{m:?}");
        let m = with("AWS_XRAY_DAEMON_ADDRESS", "").xray_mistake().unwrap();
        assert!(m.what.contains("leaves X-Ray off"), "{m:?}");
        // An IP is taken as it is (the app may run outside compose).
        assert_eq!(
            with("AWS_XRAY_DAEMON_ADDRESS", "172.17.0.1:2000").xray_mistake(),
            None
        );
    }

    #[test]
    fn a_disabled_xray_sdk_is_named() {
        let m = with("AWS_XRAY_SDK_ENABLED", "False")
            .xray_mistake()
            .unwrap();
        assert!(m.what.starts_with("AWS_XRAY_SDK_ENABLED is false"), "{m:?}");
        assert_eq!(with("AWS_XRAY_SDK_ENABLED", "true").xray_mistake(), None);
    }

    #[test]
    fn a_daemon_in_another_region_is_named() {
        let m = with("AWS_DEFAULT_REGION", "eu-west-1")
            .xray_mistake()
            .unwrap();
        assert_eq!(m.what, "the daemon (xray-daemon) sends to us-east-1, but the app's region is eu-west-1, where this looked");
    }

    #[test]
    fn an_endpoint_ending_in_v1_traces_is_named() {
        let m = with(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "https://api.honeycomb.io/v1/traces",
        )
        .honeycomb_mistake()
        .unwrap();
        assert_eq!(m.what, "OTEL_EXPORTER_OTLP_ENDPOINT is https://api.honeycomb.io/v1/traces: the exporter appends /v1/traces itself, so the spans go to https://api.honeycomb.io/v1/traces/v1/traces and are refused");
        assert_eq!(
            m.fix,
            "set OTEL_EXPORTER_OTLP_ENDPOINT to https://api.honeycomb.io"
        );
        let m = with("OTEL_EXPORTER_OTLP_HEADERS", "x-honeycomb-team=")
            .honeycomb_mistake()
            .unwrap();
        assert!(m.what.contains("is empty"), "{m:?}");
        let m = with("OTEL_EXPORTER_OTLP_HEADERS", "")
            .honeycomb_mistake()
            .unwrap();
        assert!(m.what.contains("has no x-honeycomb-team"), "{m:?}");
        let m = with("OTEL_EXPORTER_OTLP_ENDPOINT", "")
            .honeycomb_mistake()
            .unwrap();
        assert!(m.what.contains("leaves OpenTelemetry off"), "{m:?}");
    }

    #[test]
    fn a_missing_log_group_or_region_is_named() {
        let m = with("CLOUDWATCH_LOG_GROUP", "")
            .logs_mistake("cruddur")
            .unwrap();
        assert_eq!(m.what, "backend-flask has no CLOUDWATCH_LOG_GROUP in docker-compose.yml: lib/observability.py ships no logs");
        let m = with("AWS_DEFAULT_REGION", "")
            .logs_mistake("cruddur")
            .unwrap();
        assert!(m.what.contains("no AWS_DEFAULT_REGION"), "{m:?}");
    }

    #[test]
    fn dataset_slugs_are_honeycombs() {
        assert_eq!(dataset_slug("backend-flask"), "backend-flask");
        assert_eq!(dataset_slug("Backend Flask!"), "backend-flask");
        assert_eq!(dataset_slug("a__b"), "a-b");
    }
}
