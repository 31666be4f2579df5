//! `cruddur-obs`: set up observability for the Cruddur app (AWS Cloud Project
//! Bootcamp, week 2) in one safe, repeatable run.
//!
//! Shape: [`cli`] parses, [`config`] validates once, [`run`] executes one command.
//! One module per external system — [`xray`], [`logs`], [`honeycomb`] (and its
//! [`honeycomb::board`]), [`rollbar`] — and per file kind — [`compose`], [`gitpod`],
//! [`devcontainer`], [`app`] (requirements.txt, app.py), [`collector`] — each with a
//! pure planner and a small I/O edge ([`http`] for the SaaS APIs, [`files`] for
//! disk). [`setup`] (init/plan/status/destroy) and [`verify`] only compose them;
//! [`export`] and [`iam`] are pure renderings of the same specs. [`ui`] is the one
//! place that prints (and masks secrets); [`error`] maps every failure to an exit
//! code in one place.

pub mod app;
pub mod aws;
pub mod cause;
pub mod cli;
pub mod collector;
pub mod compose;
pub mod config;
pub mod devcontainer;
pub mod devenv;
pub mod error;
pub mod export;
pub mod files;
pub mod gitpod;
pub mod honeycomb;
pub mod http;
pub mod iam;
pub mod logs;
pub mod parts;
pub mod plan;
pub mod resource;
pub mod rollbar;
pub mod run;
pub mod secret;
pub mod setup;
pub mod ui;
pub mod verify;
pub mod wizard;
pub mod workspace;
pub mod xray;

use std::process::ExitCode;

use clap::Parser;

/// The whole program: parse argv, run, return the exit code.
pub fn main() -> ExitCode {
    run::run(cli::Cli::parse())
}
