//! `cruddur-obs`: set up observability for the Cruddur app (AWS Cloud Project
//! Bootcamp, week 2) in one safe, repeatable run.
//!
//! Shape: [`cli`] parses, [`config`] validates once into [`parts::Parts`] and
//! settings, [`run`] dispatches one command. One module per external system —
//! [`xray`], [`logs`], [`honeycomb`] (and its [`honeycomb::board`]), [`rollbar`] —
//! and per file kind — [`compose`], [`gitpod`], [`devcontainer`], [`app`]
//! (requirements.txt, app.py), [`collector`] — each with a pure planner and a
//! small I/O edge: [`http`] for every SaaS call, [`files`] for disk, [`yaml`] for
//! the strict YAML parse. Cloud objects share one plan/apply path,
//! [`resource`]. [`setup`] (init/plan/status/destroy: one read, pure plan and
//! checks, one report) and [`verify`] only compose them; [`export`] and [`iam`] are
//! pure renderings of the same specs. [`ui`] is the one place that prints (and
//! masks secrets); [`error`] maps every failure to an exit code in one place.
//!
//! Everything is crate-private; [`testing`] names what the integration tests
//! drive below the command line.

#![allow(rustdoc::private_intra_doc_links)] // the crate docs describe its private modules

mod app;
mod aws;
mod aws_http;
mod cause;
mod cli;
mod collector;
mod compose;
mod config;
mod devcontainer;
mod devenv;
mod error;
mod export;
mod files;
mod gitpod;
mod honeycomb;
mod http;
mod iam;
mod logs;
mod parts;
mod plan;
mod resource;
mod rollbar;
mod run;
mod secret;
mod setup;
mod ui;
mod verify;
mod wizard;
mod workspace;
mod xray;
mod yaml;

/// What the integration tests (`tests/it`) drive below the command line: the pure
/// planners, the SaaS clients and the cloud objects' plan/apply path. Everything
/// else is crate-private; this is not a stable API.
#[doc(hidden)]
pub mod testing {
    pub mod aws {
        pub use crate::aws::Aws;
    }
    pub mod collector {
        pub use crate::collector::{config, validate, ADOT_VERSION, CONFIG_FILE, IMAGE};
    }
    pub mod compose {
        pub use crate::compose::desired::desired_env;
        pub use crate::compose::edit::plan;
        pub use crate::compose::services::parse_strict;
        pub use crate::compose::{ComposeSpec, Via};
    }
    pub mod devcontainer {
        pub use crate::devcontainer::{check, parse, plan, DevcontainerError, PORTS};
    }
    pub mod devenv {
        pub use crate::devenv::DevEnv;
    }
    pub mod files {
        pub use crate::files::write_checked;
    }
    pub mod gitpod {
        pub use crate::gitpod::{plan, PORTS};
    }
    pub mod honeycomb {
        pub use crate::honeycomb::Region;
        pub mod board {
            pub use crate::honeycomb::board::{
                desired, destroy, ensure, plan, BoardApi, BoardError, BoardOutcome, BoardReport,
                QueryAction, MARKER,
            };
        }
    }
    pub mod http {
        pub use crate::http::{HttpClient, TransportError};
    }
    pub mod logs {
        pub use crate::logs::group_specs;
        pub mod api {
            pub use crate::logs::api::LogsApi;
        }
    }
    pub mod parts {
        pub use crate::parts::{Part, Parts};
    }
    pub mod plan {
        pub use crate::plan::{Status, Step};
    }
    pub mod resource {
        pub use crate::resource::{apply, plan, Target};
    }
    pub mod rollbar {
        pub use crate::rollbar::{check, send_test_item, RollbarError};
    }
    pub mod secret {
        pub use crate::secret::Secret;
    }
    pub mod xray {
        pub use crate::xray::BUNDLED_RULE;
    }
}

use std::process::ExitCode;

use clap::Parser;

/// The whole program: parse argv, run, return the exit code.
pub fn main() -> ExitCode {
    match cli::Cli::try_parse() {
        Ok(cli) => run::run(cli),
        Err(e) => argument_error(e),
    }
}

/// A command line clap refused (or `--help`, `--version`). Under `--output json`
/// an error is also one JSON document on stdout, as every other error is.
fn argument_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let informational = matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if informational || !json_asked(std::env::args_os().skip(1)) {
        e.exit()
    }
    let rendered = e.render().to_string();
    let message = rendered
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string();
    let help = rendered
        .lines()
        .find_map(|l| l.trim().strip_prefix("tip: "))
        .map(str::to_string)
        .unwrap_or_else(|| "run with --help for the arguments".into());
    let code = error::exit::BAD_INPUT;
    ui::out_json(serde_json::json!({"error": message, "help": help, "exit_code": code}));
    ui::err(rendered.trim_end());
    ExitCode::from(code)
}

/// Whether the raw arguments ask for `--output json` (before they are parsed:
/// for the document an argument error still owes).
fn json_asked(args: impl Iterator<Item = std::ffi::OsString>) -> bool {
    let args: Vec<String> = args.map(|a| a.to_string_lossy().into_owned()).collect();
    args.iter().enumerate().any(|(i, a)| {
        a == "--output=json" || (a == "--output" && args.get(i + 1).is_some_and(|n| n == "json"))
    })
}
