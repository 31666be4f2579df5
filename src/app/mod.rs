//! Pure editors and checks behind `cruddur-obs app write`: the packages added to
//! `requirements.txt`, the two lines added to `app.py`, and the status checks.
//!
//! Nothing here reads or writes files or prints: every function takes the text of
//! a file (and its name, for messages) and returns the planned text and what it
//! found. Line numbers are 1-based.
//!
//! Contract with the command:
//! 1. `detect` reads `app.py` and the local modules it runs at import (a real
//!    Python parser): the parts set up by hand there (`by_hand`) are left out of
//!    the call (`skip=(...)`) and of `requirements.txt` — a second
//!    instrumentation doubles every span, segment, log line or error report, and
//!    two X-Ray middlewares send nothing at all. `hand_notes` says what was found
//!    where, what is written but never runs, and what costs something.
//! 2. `plan_app_py` inserts the two lines (when anything is left to set up).
//! 3. `plan_requirements` with `packages(&parts_wanted_minus_skipped)`.

mod app_py;
mod python;
mod requirements;

use crate::parts::{Part, Parts};
pub(crate) use app_py::{plan_app_py_at, ImportAt, CALL_LINE, IMPORT_LINE};
pub(crate) use python::{detect, migrate, Detection};
pub(crate) use requirements::{libraries, old_opentelemetry_pin, packages, plan_requirements};

use python::{Dead, Marker, Risk};

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
    /// `--migrate` cannot remove the hand setup safely.
    #[error("{file}: cannot migrate: {message}; nothing was written")]
    Migrate { file: String, message: String },
    /// Python cannot parse `app.py`: nothing is written into it.
    #[error("{file}:{line}: Python cannot parse this file ({message}); nothing was written")]
    Syntax {
        file: String,
        line: usize,
        message: String,
    },
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
            AppError::Migrate { .. } => {
                "remove that setup by hand, or run without --migrate (the module then leaves \
                 those parts to the hand code)"
                    .into()
            }
            AppError::Syntax { .. } => {
                "fix that line (`python -m py_compile app.py` shows the same), then run again".into()
            }
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
        Part::Frontend => "frontend",
    }
}

/// The parts whose setup runs by hand (within `wanted`).
pub(crate) fn by_hand(d: &Detection, wanted: Parts) -> Parts {
    d.live
        .iter()
        .filter(|f| counts(f.marker))
        .map(|f| f.marker.part())
        .collect::<Parts>()
        .within(wanted)
}

/// Whether a live call sets its part up: `FlaskInstrumentor` alone makes spans
/// for a tracer provider nobody set, so they go nowhere; Honeycomb is set up by
/// `set_tracer_provider`.
fn counts(marker: Marker) -> bool {
    marker != Marker::FlaskInstrumentor
}

/// Where things are, for notes: `at(rel, line)` gives `backend-flask/lib/x.py:4`
/// (with `app.py`'s lines as they are after the insertion).
pub(crate) type At<'a> = &'a dyn Fn(&str, usize) -> String;

/// The notes `app write` prints about the hand code: each part set up by hand
/// (where, and how `app.py` reaches it), each wanted part whose hand setup never
/// runs (never called, never true, commented out) and will now be switched on,
/// the costs of code that runs (`before_first_request` against the Flask pin,
/// watchtower's deprecated `log_group=` and the group it creates with no
/// retention), and local modules Python cannot parse.
/// `requirements`: the file's label and text, for the Flask pin.
pub(crate) fn hand_notes(
    d: &Detection,
    wanted: Parts,
    at: At<'_>,
    requirements: (&str, Option<&str>),
) -> Vec<String> {
    let mut notes = Vec::new();
    let hand = by_hand(d, wanted);
    for part in hand.iter() {
        let Some(f) = d
            .live
            .iter()
            .find(|f| f.marker.part() == part && counts(f.marker))
        else {
            continue;
        };
        let via = match &f.via {
            Some((line, what)) => format!(", run by `{what}` at {}", at("app.py", *line)),
            None => String::new(),
        };
        notes.push(format!(
            "{}: {} is already set up by hand (`{}...)`{via}); left out rather than \
             instrumented twice",
            at(&f.file, f.line),
            part_label(part),
            f.marker.call()
        ));
    }
    let instrumentor = d
        .live
        .iter()
        .find(|f| f.marker == Marker::FlaskInstrumentor);
    if let (Some(f), false) = (instrumentor, hand.has(Part::Honeycomb)) {
        if wanted.has(Part::Honeycomb) {
            let via = match &f.via {
                Some((line, what)) => format!(" (by `{what}` at {})", at("app.py", *line)),
                None => String::new(),
            };
            notes.push(format!(
                "{}: `FlaskInstrumentor(...)` runs{via} but no tracer provider is set, so its \
                 spans go nowhere: lib/observability.py sets one up for Honeycomb (OpenTelemetry)",
                at(&f.file, f.line)
            ));
        }
    }
    for part in wanted.minus(hand).iter() {
        let Some((f, why)) = d.dead.iter().find(|(f, _)| f.marker.part() == part) else {
            continue;
        };
        let why = match why {
            Dead::NeverCalled { function, def_line } => format!(
                "is in `{function}()` ({}), which nothing calls",
                at(&f.file, *def_line)
            ),
            Dead::NeverTrue { line } => format!(
                "is under a condition that is never true ({})",
                at(&f.file, *line)
            ),
            Dead::Commented => "is commented out".to_string(),
        };
        notes.push(format!(
            "{}: `{}...)` {why}: lib/observability.py switches {} on \
             (pass `--without {}` to keep it off)",
            at(&f.file, f.line),
            f.marker.call(),
            part_label(part),
            cli_name(part)
        ));
    }
    for r in &d.risks {
        let place = at(&r.file, r.line);
        notes.push(match r.risk {
            Risk::BeforeFirstRequest => before_first_request(&place, requirements),
            Risk::LogGroupKeyword => format!(
                "{place}: `log_group=` is deprecated in watchtower 3 (a DeprecationWarning at \
                 start-up; the new name is `log_group_name=`)"
            ),
            Risk::CreatesLogGroup => format!(
                "{place}: this CloudWatchLogHandler creates its log group itself, with no \
                 retention: its logs are kept forever (pass `create_log_group=False` and create \
                 the group with `cruddur-obs logs create-group`)"
            ),
        });
    }
    for (file, p) in &d.syntax {
        if file != "app.py" {
            notes.push(format!(
                "{}: Python cannot parse this file ({}); the app fails when it imports it",
                at(file, p.line),
                p.message
            ));
        }
    }
    notes
}

/// `before_first_request` is gone from Flask 2.3 on: a crash only where the
/// requirements let pip install such a Flask.
fn before_first_request(place: &str, (label, text): (&str, Option<&str>)) -> String {
    let pin = text.and_then(|t| requirements::listed_spec(t, "flask"));
    match pin {
        Some((line, written, spec)) if requirements::excludes_from(&spec, "2.3") => format!(
            "{place}: `before_first_request` works with the Flask pinned at {label}:{line} \
             (`{written}`) but was removed in Flask 2.3: upgrading Flask stops the app at import \
             (AttributeError); set things up at start-up instead"
        ),
        _ => format!(
            "{place}: `before_first_request` was removed in Flask 2.3 and {label} allows a newer \
             Flask: the app stops at import with AttributeError (set things up at start-up \
             instead, as `init_observability(app)` does; `app write --migrate` moves the setup \
             it holds there)"
        ),
    }
}

/// The part's name for `--without`.
fn cli_name(part: Part) -> &'static str {
    match part {
        Part::Honeycomb => "honeycomb",
        Part::Xray => "xray",
        Part::Logs => "logs",
        Part::Rollbar => "rollbar",
        Part::App => "app",
        Part::Frontend => "frontend",
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
        Part::Frontend => "the frontend",
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
