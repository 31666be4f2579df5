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
use crate::error::{exit, Error};
use crate::files::{FileError, FileReport, FileStatus, FilesReport, PlannedFile};
use crate::honeycomb::api::{HoneycombApi, HoneycombError};
use crate::logs::api::LogsApi;
use crate::parts::Part;
use crate::plan::{Outcome, Report};
use crate::project;
use crate::secret::Secret;
use crate::ui::{self, Done, Output, Ui};
use crate::xray::api::XrayApi;
use crate::{honeycomb, logs, xray};

mod cloud;
mod hosted;
mod templates;
mod write;

use cloud::{logs_run, xray_run};
use hosted::{
    honeycomb_board, honeycomb_check, honeycomb_send_test_span, http_client, rollbar_check,
    secret_or_ask,
};
use templates::export;
use write::{compose_write, gitpod_write, make_port_public, plan_and_write, which};

/// The whole program: parse argv, run, return the exit code.
pub(crate) fn main() -> ExitCode {
    use clap::Parser;
    match Cli::try_parse() {
        Ok(cli) => run(cli),
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
    let code = exit::BAD_INPUT;
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

/// Runs the parsed command line and returns the process exit code.
pub(crate) fn run(cli: Cli) -> ExitCode {
    let verbose = cli.global.verbose;
    let output = crate::config::output(cli.global.output);
    ui::init_logging(verbose);
    // Secrets the SDK reads by itself: never shown either.
    for name in ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
        if let Ok(value) = std::env::var(name) {
            crate::secret::register_secret(&value);
        }
    }
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let result = Config::from_cli(cli, interactive).and_then(|config| {
        for note in &config.notes {
            ui::note(note);
        }
        execute(&config).map(|done| (config.ui, done))
    });
    match result {
        Ok((shell, done)) => ui::render(&shell, done),
        Err(e) => ui::render_error(&e, verbose, output),
    }
}

/// Executes a validated configuration; returns the exit code.
pub(crate) fn execute(config: &Config) -> Result<Done, Error> {
    if let Action::Completions(shell) = &config.action {
        let mut cmd = Cli::command();
        let mut script = Vec::new();
        clap_complete::generate(*shell, &mut cmd, "cruddur-obs", &mut script);
        return Ok(Done::raw(
            String::from_utf8_lossy(&script).into_owned(),
            exit::OK,
        ));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    runtime.block_on(execute_async(config))
}

async fn execute_async(config: &Config) -> Result<Done, Error> {
    use crate::resource::Target;
    use xray::ops::Object as X;
    match &config.action {
        Action::Setup(crate::config::SetupMode::Init, settings)
            if config.ui.interactive && !config.ui.yes =>
        {
            let mut aws = config.aws.clone();
            let settings = crate::wizard::ask(&config.ui, (**settings).clone(), &mut aws).await?;
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
                let report = config
                    .ui
                    .spin(
                        "checking the Rollbar token",
                        crate::rollbar::check(&client, &s.base, &token),
                    )
                    .await?;
                return Ok(Done::pending(
                    &report,
                    "dry run: the token is valid; no item was sent",
                    None,
                ));
            }
            let report = config
                .ui
                .spin(
                    "sending a test item to Rollbar",
                    crate::rollbar::send_test_item(&client, &s.base, &token, environment),
                )
                .await?;
            Ok(Done::new(&report, exit::OK))
        }
        Action::HoneycombBoard(s) => honeycomb_board(config, s).await,
        Action::Verify(s) => crate::verify::run::run(config, s).await,
        Action::DevcontainerWrite(file, codespace, collector_port) => {
            let done = plan_and_write(config, || {
                Ok(vec![project::devcontainer_file(
                    file,
                    crate::parts::Parts::ALL,
                    *collector_port,
                )?])
            })?;
            // Inside a codespace, with gh: make the backend port public, after asking.
            match (codespace, which("gh")) {
                (Some(name), Some(gh)) => {
                    let made = match make_port_public(config, &gh, name, *collector_port) {
                        Ok(code) => code,
                        Err(e) => return Err(done.then_failed(e)),
                    };
                    Ok(write::then(
                        done,
                        made,
                        "gh",
                        "the port was not made public",
                    ))
                }
                _ => Ok(done),
            }
        }
        Action::AppWrite(settings) => plan_and_write(config, || project::app_files(settings)),
        Action::FrontendWrite(settings) => {
            plan_and_write(config, || project::frontend::frontend_files(settings))
        }
        Action::IamPolicy {
            xray,
            log_groups,
            account,
        } => {
            let policy = crate::iam::app_policy(*xray, log_groups, None, account.as_deref());
            let text = serde_json::to_string_pretty(&policy).unwrap_or_default();
            Ok(Done::raw(text, exit::OK))
        }
        // Printed before the runtime starts.
        Action::Completions(_) => Ok(Done::raw(String::new(), exit::OK)),
    }
}
