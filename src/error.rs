//! The one top-level error, and the one place where errors become exit codes.
//!
//! Every module has its own typed error carrying what failed and where; they all
//! convert into [`Error`]. [`Error::exit_code`] and [`Error::help`] are the only
//! places that decide what the user sees as an exit code and a `help:` line.

use std::path::PathBuf;

use crate::aws::AwsError;
use crate::compose::ComposeError;
use crate::files::FileError;
use crate::honeycomb::{self, api::HoneycombError};
use crate::logs::LogsError;
use crate::xray::XrayError;

/// Exit codes, documented in the README.
pub(crate) mod exit {
    /// Done, or already in sync.
    pub(crate) const OK: u8 = 0;
    /// Runtime failure: AWS, network, file system.
    pub(crate) const FAILURE: u8 = 1;
    /// Bad input: flags, input files.
    pub(crate) const BAD_INPUT: u8 = 2;
    /// Changes pending (`--dry-run`, `plan`, or a declined update).
    pub(crate) const PENDING: u8 = 3;
    /// Credentials or key rejected, or no credentials at all.
    pub(crate) const AUTH: u8 = 4;
    /// Confirmation needed, but there is no terminal and no `--yes`.
    pub(crate) const NEEDS_CONFIRMATION: u8 = 5;
}

/// Everything that can end a run early.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Xray(#[from] XrayError),
    #[error(transparent)]
    Logs(#[from] LogsError),
    #[error(transparent)]
    Compose(#[from] ComposeError),
    /// No compose file or no Flask service found (see [`crate::compose::discover`]).
    #[error(transparent)]
    Discover(#[from] crate::compose::discover::DiscoverError),
    #[error(transparent)]
    Gitpod(#[from] crate::gitpod::GitpodError),
    #[error(transparent)]
    App(#[from] crate::app::AppError),
    #[error(transparent)]
    Frontend(#[from] crate::frontend::FrontendError),
    #[error(transparent)]
    Rollbar(#[from] crate::rollbar::RollbarError),
    #[error(transparent)]
    Board(#[from] crate::honeycomb::board::BoardError),
    #[error(transparent)]
    Http(#[from] crate::http::ClientInitError),
    #[error(transparent)]
    Devcontainer(#[from] crate::devcontainer::DevcontainerError),
    #[error(transparent)]
    File(#[from] FileError),
    #[error("no {what} at {}", path.display())]
    MissingFile { what: &'static str, path: PathBuf },
    #[error(transparent)]
    HoneycombInput(#[from] honeycomb::InputError),
    #[error(transparent)]
    Honeycomb(#[from] HoneycombError),
    #[error("cannot reach the app at {url}: {cause}")]
    AppUnreachable { url: String, cause: String },
    #[error("{what} needs confirmation, but there is no terminal to ask on")]
    NeedsConfirmation { what: String },
    #[error("cannot read {}: {source}", path.display())]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
    #[error("cannot ask for confirmation: {0}")]
    Prompt(String),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// An error after part of the work was done (or planned): the report of that
    /// part goes out with the error, as one document.
    #[error(transparent)]
    Partial(Box<Partial>),
}

/// What was done (or planned) before an error, rendered once, together with it.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub(crate) struct Partial {
    /// The report as text (printed on stdout before the error line).
    pub text: String,
    /// The same report as JSON (the `report` field of the error document).
    pub json: serde_json::Value,
    pub error: Error,
}

impl Error {
    /// `error`, carrying the report of what happened before it.
    pub(crate) fn partial<T: serde::Serialize + std::fmt::Display>(
        report: &T,
        error: Error,
    ) -> Error {
        Error::Partial(Box::new(Partial {
            text: report.to_string(),
            json: serde_json::to_value(report).unwrap_or(serde_json::Value::Null),
            error,
        }))
    }
}

impl Error {
    /// `error`, carrying `report` (what was read or planned before it) in the JSON
    /// document only: the text output already said it on stderr (the plan, the
    /// diffs), so nothing more goes to stdout.
    pub(crate) fn with_json_report<T: serde::Serialize>(report: &T, error: Error) -> Error {
        Error::Partial(Box::new(Partial {
            text: String::new(),
            json: serde_json::to_value(report).unwrap_or(serde_json::Value::Null),
            error,
        }))
    }

    /// The process exit code for this error (see [`exit`]).
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Error::Aws(e) => {
                if e.is_auth() {
                    exit::AUTH
                } else if e.is_bad_input() {
                    exit::BAD_INPUT
                } else {
                    exit::FAILURE
                }
            }
            Error::Xray(e) => {
                if e.is_bad_input() {
                    exit::BAD_INPUT
                } else {
                    exit::FAILURE
                }
            }
            Error::Logs(_)
            | Error::HoneycombInput(_)
            | Error::MissingFile { .. }
            | Error::Discover(_) => exit::BAD_INPUT,
            Error::Compose(e) if e.is_bad_input() => exit::BAD_INPUT,
            Error::Gitpod(e) if e.is_bad_input() => exit::BAD_INPUT,
            Error::Gitpod(_) => exit::FAILURE,
            Error::App(_) | Error::Frontend(_) => exit::BAD_INPUT,
            Error::Rollbar(e) if e.is_auth() => exit::AUTH,
            Error::Rollbar(e) if e.is_bad_input() => exit::BAD_INPUT,
            Error::Rollbar(_) | Error::Http(_) => exit::FAILURE,
            Error::Board(e) if e.is_auth() => exit::AUTH,
            Error::Board(e) if e.is_bad_input() => exit::BAD_INPUT,
            Error::Board(_) => exit::FAILURE,
            Error::Devcontainer(e) if e.is_bad_input() => exit::BAD_INPUT,
            Error::Devcontainer(_) => exit::FAILURE,
            Error::File(e) if e.is_bad_input() => exit::BAD_INPUT,
            Error::Compose(_) | Error::File(_) => exit::FAILURE,
            Error::Honeycomb(e) if e.is_auth() => exit::AUTH,
            Error::Honeycomb(e) if e.is_bad_input() => exit::BAD_INPUT,
            Error::Honeycomb(_) => exit::FAILURE,
            Error::NeedsConfirmation { .. } => exit::NEEDS_CONFIRMATION,
            Error::AppUnreachable { .. } => exit::FAILURE,
            Error::ReadFile { .. } | Error::Usage(_) => exit::BAD_INPUT,
            Error::Prompt(_) | Error::Runtime(_) => exit::FAILURE,
            Error::Partial(p) => p.error.exit_code(),
        }
    }

    /// A `help:` line, where the user can act on the error.
    pub(crate) fn help(&self) -> Option<String> {
        match self {
            Error::Aws(e) => e.help(),
            Error::Xray(e) => e.help(),
            Error::Logs(e) => e.help(),
            Error::HoneycombInput(e) => e.help(),
            Error::Compose(e) => e.help(),
            Error::Discover(e) => e.help(),
            Error::Gitpod(e) => e.help(),
            Error::App(e) => e.help(),
            Error::Frontend(e) => e.help(),
            Error::Rollbar(e) => e.help(),
            Error::Board(e) => e.help(),
            Error::Http(_) => None,
            Error::Devcontainer(e) => e.help(),
            Error::File(e) => e.help(),
            Error::MissingFile { .. } => Some("run it in the repository root, or pass --file".into()),
            Error::Honeycomb(e) => e.help(),
            Error::AppUnreachable { .. } => Some(
                "start the backend (docker compose up), or pass --app with the URL it answers on"
                    .into(),
            ),
            Error::NeedsConfirmation { .. } => Some(
                "run it on a terminal to be asked, or pass --yes to agree in advance (--dry-run shows what would change)"
                    .into(),
            ),
            Error::ReadFile { .. } => Some("check the path; awscli's file:// prefix is accepted".into()),
            Error::Usage(_) | Error::Prompt(_) | Error::Runtime(_) => None,
            Error::Partial(p) => p.error.help(),
        }
    }
}
