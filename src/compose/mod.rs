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

pub(crate) mod browser;
pub(crate) mod desired;
pub(crate) mod discover;
pub(crate) mod edit;
mod lint;
pub(crate) mod services;
mod verify;

pub(crate) use desired::*;
pub(crate) use edit::*;
pub(crate) use lint::*;
pub(crate) use services::*;
pub(crate) use verify::*;

/// The X-Ray daemon's service name, as the app's `AWS_XRAY_DAEMON_ADDRESS` expects.
pub(crate) const DAEMON_SERVICE: &str = "xray-daemon";
pub(crate) const DAEMON_IMAGE: &str = "amazon/aws-xray-daemon";
/// The image's ENTRYPOINT is `/xray -t 0.0.0.0:2000 -b 0.0.0.0:2000`; `command:`
/// only adds flags. `-o` is local mode (no EC2 metadata). The bootcamp's
/// `"xray -o -b xray-daemon:2000"` reaches the daemon as one argument.
pub(crate) const DAEMON_COMMAND: &[&str] = &["-o"];
pub(crate) const DAEMON_PORT: &str = "2000:2000/udp";

/// What `compose write` should make true.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ComposeSpec {
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
    /// The collector also runs beside the daemon, for the browser's spans.
    pub browser: bool,
}

/// How traces leave the app's machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Via {
    /// The AWS X-Ray daemon (as in the course; in maintenance mode, support ends 2027-02-25)
    Daemon,
    /// One ADOT OpenTelemetry Collector exporting to X-Ray and Honeycomb
    Collector,
}

/// Input we refuse to edit. The file stays untouched.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum ComposeError {
    #[error("{file} is not valid YAML: {message}")]
    Parse { file: String, message: String },
    #[error("{file} is too large or too complex to read safely (more YAML nodes, depth or aliases than a compose file has)")]
    TooComplex { file: String },
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
    pub(crate) fn is_bad_input(&self) -> bool {
        !matches!(self, ComposeError::Verify { .. })
    }

    pub(crate) fn help(&self) -> Option<String> {
        Some(match self {
            ComposeError::Parse { .. } => {
                "fix the file (docker compose config shows the same problem) and run again".into()
            }
            ComposeError::TooComplex { .. } => {
                "is it the right file? pass --file; the compose files cruddur-obs edits are small".into()
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

#[cfg(test)]
mod properties_tests;

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
            browser: false,
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
