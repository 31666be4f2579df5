//! The one integration-test binary: the real `cruddur-obs` binary against real
//! parts (the X-Ray emulator, moto, docker-compose, awscli, tmux, local stubs).
//! Suites that need the tools `scripts/test.sh` installs say so and fail with
//! that hint when they are missing; plain `cargo test` runs the rest.
#![allow(
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod common;
mod harness;
mod harness_selftest;

mod app;
mod awscli_conformance;
mod backends;
mod collector;
mod corpus;
mod devcontainer;
mod devenv;
mod discovery;
mod export;
mod file_safety;
mod files;
mod frontend;
mod frontend_browser;
mod hardening;
mod honeycomb;
mod honeycomb_board;
mod kill;
mod logs;
mod properties;
mod rollbar;
mod secrets;
mod setup;
mod shape;
mod verify;

mod wizard;
mod xray;
