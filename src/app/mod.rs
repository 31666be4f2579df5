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
mod python;
mod requirements;

use crate::parts::{Part, Parts};
pub(crate) use app_py::{crashers, parts_to_skip, plan_app_py, CALL_LINE};
pub(crate) use requirements::{packages, plan_requirements};

/// Why a file cannot be edited safely. Each carries the file name as given by
/// the caller and, where there is one, the 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AppError {
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

/// The module `app write` puts at `lib/observability.py`, compiled into the binary.
pub(crate) const MODULE: &str = include_str!("../../templates/observability.py");
/// Where the module goes, relative to the backend directory.
pub(crate) const MODULE_PATH: &str = "lib/observability.py";

impl AppError {
    pub(crate) fn help(&self) -> Option<String> {
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
pub(crate) fn call_line(skip: Parts) -> String {
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
pub(crate) fn module_name(part: Part) -> &'static str {
    match part {
        Part::Honeycomb => "honeycomb",
        Part::Xray => "xray",
        Part::Logs => "cloudwatch-logs",
        Part::Rollbar => "rollbar",
        Part::App => "app",
    }
}

/// The part as the app's code knows it.
pub(crate) fn part_label(part: Part) -> &'static str {
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
