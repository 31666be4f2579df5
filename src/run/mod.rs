//! One `execute` per command: parse → validate ([`crate::config`]) → dispatch to
//! the command's module here, which plans, asks once, applies and hands one
//! report to [`crate::ui`]. The exit code and any error are rendered in one place.

use std::future::Future;
use std::io::IsTerminal;
use std::process::ExitCode;

use clap::CommandFactory;
use futures_util::future::{join_all, try_join_all};

use crate::aws::{Aws, AwsError};
use crate::cli::Cli;
use crate::config::{Action, ComposeSettings, Config, GitpodSettings, HoneycombSettings};
use crate::error::{self, exit, Error};
use crate::files::{FileError, FileReport, FileStatus, FilesReport, PlannedFile};
use crate::honeycomb::api::{HoneycombApi, HoneycombError};
use crate::honeycomb::SpanReport;
use crate::logs::api::LogsApi;
use crate::parts::Part;
use crate::plan::{Outcome, Planned, Report};
use crate::secret::Secret;
use crate::ui;
use crate::workspace;
use crate::xray::api::XrayApi;
use crate::{honeycomb, logs, xray};

mod cloud;
mod export_run;
mod saas;
mod verify_run;
mod write;

use cloud::{logs_run, xray_run};
use export_run::export;
use saas::{
    honeycomb_board, honeycomb_check, honeycomb_send_test_span, http_client, rollbar_check,
    secret_or_ask,
};
use verify_run::verify;
use write::{compose_write, gitpod_write, make_port_public, plan_and_write, which};

/// Runs the parsed command line and returns the process exit code.
pub(crate) fn run(cli: Cli) -> ExitCode {
    let verbose = cli.global.verbose;
    let output = cli.global.output;
    init_logging(verbose);
    // Secrets the SDK reads by itself: never shown either.
    for name in ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
        if let Ok(value) = std::env::var(name) {
            ui::register_secret(&value);
        }
    }
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let result = Config::from_cli(cli, interactive).and_then(|config| {
        for note in &config.notes {
            ui::note(note);
        }
        execute(&config)
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => error::report(&e, verbose, output),
    }
}

fn init_logging(verbose: u8) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let (others, ours) = match verbose {
        0 => (LevelFilter::ERROR, LevelFilter::WARN),
        1 => (LevelFilter::WARN, LevelFilter::WARN),
        2 => (LevelFilter::INFO, LevelFilter::DEBUG),
        _ => (LevelFilter::DEBUG, LevelFilter::DEBUG),
    };
    let filter = Targets::new()
        .with_default(others)
        .with_target("cruddur_obs", ours);
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_ansi(color)
        .with_writer(std::io::stderr)
        .without_time()
        .finish()
        .with(filter)
        .try_init();
}

/// Executes a validated configuration; returns the exit code.
pub(crate) fn execute(config: &Config) -> Result<u8, Error> {
    if let Action::Completions(shell) = &config.action {
        let mut cmd = Cli::command();
        let mut script = Vec::new();
        clap_complete::generate(*shell, &mut cmd, "cruddur-obs", &mut script);
        ui::out_bytes(&script);
        return Ok(exit::OK);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    runtime.block_on(execute_async(config))
}

async fn execute_async(config: &Config) -> Result<u8, Error> {
    use crate::resource::Target;
    use xray::ops::Object as X;
    match &config.action {
        Action::Setup(crate::config::SetupMode::Init, settings)
            if config.ui.interactive && !config.ui.yes =>
        {
            let mut aws = config.aws.clone();
            let settings = crate::wizard::ask((**settings).clone(), &mut aws).await?;
            let config = Config {
                aws,
                ..config.clone()
            };
            crate::setup::run(&config, &settings, crate::config::SetupMode::Init).await
        }
        Action::Setup(mode, settings) => crate::setup::run(config, settings, *mode).await,
        Action::ComposeWrite(settings) => compose_write(config, settings).await,
        Action::GitpodWrite(settings) => gitpod_write(config, settings).await,
        Action::HoneycombCheck(settings) => honeycomb_check(config, settings).await,
        Action::HoneycombSendTestSpan {
            settings,
            service,
            dataset,
        } => honeycomb_send_test_span(config, settings, service, dataset.as_deref()).await,
        Action::XrayCreateGroup(spec) => {
            xray_run(config, vec![Target::present(X::Group(spec.clone()))], true).await
        }
        Action::XrayCreateRule(spec) => {
            let targets = vec![Target::present(X::Rule(Box::new(spec.clone())))];
            xray_run(config, targets, true).await
        }
        Action::XrayStatus(group, rule) => {
            let targets = vec![
                Target::present(X::Group(group.clone())),
                Target::present(X::Rule(Box::new(rule.clone()))),
            ];
            xray_run(config, targets, false).await
        }
        Action::XrayDelete { group, rule } => {
            let targets = vec![
                Target::absent(X::group_named(group)),
                Target::absent(X::rule_named(rule)),
            ];
            xray_run(config, targets, true).await
        }
        Action::LogsCreate(specs) => {
            logs_run(
                config,
                specs.iter().cloned().map(Target::present).collect(),
                true,
            )
            .await
        }
        Action::LogsStatus(specs) => {
            logs_run(
                config,
                specs.iter().cloned().map(Target::present).collect(),
                false,
            )
            .await
        }
        Action::LogsDelete(names) => {
            let targets = names
                .iter()
                .map(|n| Target::absent(logs::LogGroupSpec::named(n)))
                .collect();
            logs_run(config, targets, true).await
        }
        Action::Export(settings) => export(config, settings).await,
        Action::RollbarCheck(s) => rollbar_check(config, s).await,
        Action::RollbarSendTestItem(s, environment) => {
            let token = secret_or_ask(config, &s.token, "Rollbar access token", || {
                Error::Usage("no Rollbar access token: pass --access-token or set ROLLBAR_ACCESS_TOKEN (Rollbar: Project settings → Project Access Tokens)".into())
            })?;
            let client = http_client(s.timeout)?;
            if config.ui.dry_run {
                let report = ui::spin(
                    "checking the Rollbar token",
                    crate::rollbar::check(&client, &s.base, &token),
                )
                .await?;
                crate::ui::err("dry run: the token is valid; no item was sent");
                ui::emit(&config.ui, &report);
                return Ok(exit::PENDING);
            }
            let report = ui::spin(
                "sending a test item to Rollbar",
                crate::rollbar::send_test_item(&client, &s.base, &token, environment),
            )
            .await?;
            ui::emit(&config.ui, &report);
            Ok(exit::OK)
        }
        Action::HoneycombBoard(s) => honeycomb_board(config, s).await,
        Action::Verify(s) => verify(config, s).await,
        Action::DevcontainerWrite(file, codespace) => {
            let code = plan_and_write(config, || {
                Ok(vec![workspace::devcontainer_file(
                    file,
                    crate::parts::Parts::ALL,
                )?])
            })?;
            // Inside a codespace, with gh: make the backend port public, after asking.
            match (codespace, which("gh")) {
                (Some(name), Some(gh)) => {
                    let made = make_port_public(config, &gh, name)?;
                    Ok(if made == exit::FAILURE {
                        made
                    } else {
                        code.max(made)
                    })
                }
                _ => Ok(code),
            }
        }
        Action::AppWrite(settings) => plan_and_write(config, || workspace::app_files(settings)),
        Action::IamPolicy {
            xray,
            log_groups,
            account,
        } => {
            let policy = crate::iam::app_policy(*xray, log_groups, None, account.as_deref());
            ui::out_json(policy);
            Ok(exit::OK)
        }
        // Printed before the runtime starts.
        Action::Completions(_) => Ok(exit::OK),
    }
}
