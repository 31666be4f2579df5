//! Pure editors and checks behind `cruddur-obs app write`: the packages added to
//! `requirements.txt`, the two lines added to `app.py`, and the status checks.
//!
//! Nothing here reads or writes files or prints: every function takes the text of
//! a file (and its name, for messages) and returns the planned text and what it
//! found. Line numbers are 1-based.
//!
//! Contract with the command:
//! 1. `plan_app_py` first. Its `existing` lists what `app.py` already instruments
//!    by hand; `parts_to_skip(&existing)` maps that to the parts the command leaves
//!    out (the issue: "do not add a second instrumentation of the same kind").
//!    Those packages are already installed for the hand-written code, so they are
//!    also left out of `requirements.txt`; the command reports them (the plan's
//!    `notes` carry the line of each).
//! 2. `plan_requirements` with `packages(&parts_wanted_minus_skipped)`.
//! 3. `status` for the read-only check.

mod app_py;
mod requirements;

use crate::parts::{Part, Parts};
pub use app_py::{
    crashers, parts_to_skip, plan_app_py, AppPyPlan, Crasher, CrasherKind, Instrumentation,
    CALL_LINE, IMPORT_LINE,
};
pub use requirements::{normalize_name, packages, plan_requirements, RequirementsPlan, PACKAGES};

/// Why a file cannot be edited safely. Each carries the file name as given by
/// the caller and, where there is one, the 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    #[error(
        "{file}: found no module-level `app = Flask(__name__)`; add \
         `from lib.observability import init_observability` and `init_observability(app)` \
         by hand right after the line that creates the Flask app"
    )]
    NoAppAssignment { file: String },
    #[error(
        "{file}: `app = Flask(...)` is assigned at module level on lines {}; add \
         `from lib.observability import init_observability` and `init_observability(app)` \
         by hand after the one that is used",
        join_lines(lines)
    )]
    AmbiguousAppAssignment { file: String, lines: Vec<usize> },
    /// The statement the lines go after runs into the end of the file (an open
    /// bracket, string or `\` continuation): Python cannot run the file either.
    #[error(
        "{file}:{line}: this statement is never closed (a bracket, string or `\\` is still \
         open at the end of the file)"
    )]
    UnclosedStatement { file: String, line: usize },
    #[error("{file}: `{name}` is not a valid package name (PEP 508)")]
    InvalidPackageName { file: String, name: String },
}

fn join_lines(lines: &[usize]) -> String {
    let shown: Vec<String> = lines.iter().map(ToString::to_string).collect();
    shown.join(", ")
}

/// Where `lib/observability.py` stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleState {
    Missing,
    /// The same text as the one `cruddur-obs` writes (line endings ignored).
    Current,
    EditedByHand,
}

/// The read-only check of the backend directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppStatus {
    pub module: ModuleState,
    /// `init_observability(app)` is called at module level and imported: the
    /// wiring is complete. `false` when `app.py` is missing.
    pub call_present: bool,
    /// Wanted package names (as in `wanted`) not listed in `requirements.txt`;
    /// all of them when the file is missing.
    pub missing_packages: Vec<String>,
    /// Kinds instrumented by hand in `app.py` while our call is also present.
    pub double: Vec<Instrumentation>,
    pub crashers: Vec<Crasher>,
}

/// Check the backend directory without changing it. `None` = file missing.
pub fn status(
    app_py: Option<&str>,
    module_text: Option<&str>,
    requirements: Option<&str>,
    expected_module: &str,
    wanted: &[(&str, &str)],
) -> AppStatus {
    let module = match module_text {
        None => ModuleState::Missing,
        Some(text) if same_text(text, expected_module) => ModuleState::Current,
        Some(_) => ModuleState::EditedByHand,
    };
    let (call_present, double, found_crashers) = match app_py {
        None => (false, Vec::new(), Vec::new()),
        Some(text) => {
            let wiring = app_py::wiring(text);
            let double = if wiring.wired() {
                wiring
                    .hand
                    .iter()
                    .map(|(kind, _)| *kind)
                    .filter(|kind| *kind != Instrumentation::OursPresent)
                    .collect()
            } else {
                Vec::new()
            };
            (wiring.wired(), double, crashers(text))
        }
    };
    AppStatus {
        module,
        call_present,
        missing_packages: requirements::missing(requirements, wanted),
        double,
        crashers: found_crashers,
    }
}

/// Equal once the BOM and line endings are set aside (git's autocrlf on Windows
/// must not make the module look hand-edited).
fn same_text(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    norm(a) == norm(b)
}

/// The module `app write` puts at `lib/observability.py`, compiled into the binary.
pub const MODULE: &str = include_str!("../../templates/observability.py");
/// Where the module goes, relative to the backend directory.
pub const MODULE_PATH: &str = "lib/observability.py";

impl AppError {
    pub fn help(&self) -> Option<String> {
        Some(match self {
            AppError::NoAppAssignment { .. } | AppError::AmbiguousAppAssignment { .. } => {
                "the other two files can still be written: add the two lines by hand, then run again".into()
            }
            AppError::UnclosedStatement { .. } => "fix the line named (python app.py shows the same problem)".into(),
            AppError::InvalidPackageName { .. } => "fix the line named in requirements.txt".into(),
        })
    }
}

/// The call line, with the parts app.py already instruments by hand left out.
pub fn call_line(skip: Parts) -> String {
    if skip.is_empty() {
        return CALL_LINE.to_string();
    }
    let names: Vec<String> = skip
        .iter()
        .map(|p| format!("{:?}", module_name(p)))
        .collect();
    format!("init_observability(app, skip=({},))", names.join(", "))
}

/// The part's name in the Python module's `skip` argument.
pub fn module_name(part: Part) -> &'static str {
    match part {
        Part::Honeycomb => "honeycomb",
        Part::Xray => "xray",
        Part::Logs => "cloudwatch-logs",
        Part::Rollbar => "rollbar",
        Part::App => "app",
    }
}

/// The part as the app's code knows it.
pub fn part_label(part: Part) -> &'static str {
    match part {
        Part::Honeycomb => "Honeycomb (OpenTelemetry)",
        Part::Xray => "AWS X-Ray",
        Part::Logs => "CloudWatch Logs (watchtower)",
        Part::Rollbar => "Rollbar",
        Part::App => "the app",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "from flask import Flask\n\napp = Flask(__name__)\n";
    const MODULE: &str = "def init_observability(app):\n    pass\n";

    fn wanted() -> Vec<(&'static str, &'static str)> {
        packages(Parts::of(&[Part::Honeycomb, Part::Rollbar]))
    }

    #[test]
    fn status_of_an_untouched_backend() {
        let s = status(
            Some(APP),
            None,
            Some("flask\nrollbar==0.16\n"),
            MODULE,
            &wanted(),
        );
        assert_eq!(s.module, ModuleState::Missing);
        assert!(!s.call_present);
        assert_eq!(
            s.missing_packages,
            [
                "opentelemetry-api",
                "opentelemetry-sdk",
                "opentelemetry-exporter-otlp-proto-http",
                "opentelemetry-instrumentation-flask",
                "opentelemetry-instrumentation-requests",
                "blinker"
            ]
        );
        assert!(s.double.is_empty());
        assert!(s.crashers.is_empty());
    }

    #[test]
    fn status_after_write_is_clean() {
        let app = plan_app_py(APP, "app.py").unwrap().new_text;
        let req = plan_requirements(None, "requirements.txt", &wanted())
            .unwrap()
            .new_text;
        let s = status(Some(&app), Some(MODULE), Some(&req), MODULE, &wanted());
        assert_eq!(
            s,
            AppStatus {
                module: ModuleState::Current,
                call_present: true,
                missing_packages: vec![],
                double: vec![],
                crashers: vec![],
            }
        );
    }

    #[test]
    fn module_with_crlf_is_current_and_edited_is_not() {
        let crlf = MODULE.replace('\n', "\r\n");
        let s = status(None, Some(&crlf), None, MODULE, &[]);
        assert_eq!(s.module, ModuleState::Current);
        let edited = format!("{MODULE}# mine\n");
        let s = status(None, Some(&edited), None, MODULE, &[]);
        assert_eq!(s.module, ModuleState::EditedByHand);
    }

    #[test]
    fn missing_files() {
        let s = status(None, None, None, MODULE, &[("rollbar", ">=1.5")]);
        assert!(!s.call_present);
        assert_eq!(s.missing_packages, ["rollbar"]);
        assert_eq!(s.module, ModuleState::Missing);
    }

    #[test]
    fn double_and_crashers() {
        let app = "\
from flask import Flask
from lib.observability import init_observability
app = Flask(__name__)
init_observability(app)
XRayMiddleware(app, xray_recorder)
FlaskInstrumentor().instrument_app(app)
@app.before_first_request
def init_rollbar():
    rollbar.init(token)
";
        let s = status(Some(app), Some(MODULE), None, MODULE, &[]);
        assert!(s.call_present);
        assert_eq!(
            s.double,
            [
                Instrumentation::Xray,
                Instrumentation::OpenTelemetry,
                Instrumentation::Rollbar
            ]
        );
        assert_eq!(s.crashers.len(), 1);
        assert_eq!(s.crashers[0].line, 7);
        assert_eq!(s.crashers[0].kind, CrasherKind::BeforeFirstRequest);
    }

    #[test]
    fn no_double_without_our_call() {
        let app = "app = Flask(__name__)\nXRayMiddleware(app, xray_recorder)\n";
        let s = status(Some(app), None, None, MODULE, &[]);
        assert!(!s.call_present);
        assert!(s.double.is_empty());
    }

    #[test]
    fn error_messages_name_file_and_lines() {
        let e = AppError::AmbiguousAppAssignment {
            file: "backend-flask/app.py".into(),
            lines: vec![3, 9],
        };
        assert!(e.to_string().starts_with(
            "backend-flask/app.py: `app = Flask(...)` is assigned at module level on lines 3, 9;"
        ));
        let e = AppError::UnclosedStatement {
            file: "app.py".into(),
            line: 4,
        };
        assert_eq!(
            e.to_string(),
            "app.py:4: this statement is never closed (a bracket, string or `\\` is still open at \
             the end of the file)"
        );
    }
}
