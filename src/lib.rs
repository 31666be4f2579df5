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
mod frontend;
mod gitpod;
mod honeycomb;
mod http;
mod iam;
mod logs;
mod parts;
mod plan;
mod project;
mod resource;
mod rollbar;
mod run;
mod secret;
mod settings;
mod setup;
mod ui;
mod verify;
mod wizard;
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
    pub mod devcontainer {
        pub use crate::devcontainer::parse;
    }
    pub mod logs {
        pub use crate::logs::group_specs;
        pub mod api {
            pub use crate::logs::api::LogsApi;
        }
    }
    pub mod plan {
        pub use crate::plan::{Status, Step};
    }
    pub mod resource {
        pub use crate::resource::{apply, plan, Target};
    }
}

/// The whole program: parse argv, run, return the exit code.
pub fn main() -> std::process::ExitCode {
    run::main()
}
