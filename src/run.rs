//! One `execute` per command: load AWS config, read and plan every target
//! concurrently, show what needs agreement, ask once, apply concurrently, report.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::CommandFactory;
use futures_util::future::{join_all, try_join_all};

use crate::aws::Aws;
use crate::cli::Cli;
use crate::config::{Action, Config};
use crate::error::{self, exit, Error};
use crate::plan::Report;
use crate::ui;
use crate::xray::api::XrayApi;
use crate::xray::ops::{self, Planned, Target};

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let verbose = cli.global.verbose;
    let output = cli.global.output;
    init_logging(verbose);
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let result = Config::from_cli(cli, interactive).and_then(|config| execute(&config));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => error::report(&e, verbose, output),
    }
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "error,cruddur_obs=warn",
        1 => "warn",
        2 => "info,cruddur_obs=debug",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::new(level);
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}

/// Executes a validated configuration; returns the exit code.
pub fn execute(config: &Config) -> Result<u8, Error> {
    let (targets, change) = match &config.action {
        Action::Completions(shell) => {
            let mut cmd = Cli::command();
            clap_complete::generate(*shell, &mut cmd, "cruddur-obs", &mut std::io::stdout());
            return Ok(exit::OK);
        }
        Action::XrayCreateGroup(spec) => (vec![Target::Group(spec.clone())], true),
        Action::XrayCreateRule(spec) => (vec![Target::Rule(Box::new(spec.clone()))], true),
        Action::XrayStatus(group, rule) => (
            vec![
                Target::Group(group.clone()),
                Target::Rule(Box::new(rule.clone())),
            ],
            false,
        ),
        Action::XrayDelete { group, rule } => (
            vec![
                Target::GroupGone(group.clone()),
                Target::RuleGone(rule.clone()),
            ],
            true,
        ),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    runtime.block_on(execute_xray(config, targets, change))
}

/// Reads and plans `targets`; applies them when `change` (and not `--dry-run`).
async fn execute_xray(config: &Config, targets: Vec<Target>, change: bool) -> Result<u8, Error> {
    let aws = Aws::load(&config.aws).await?;
    let api = XrayApi::new(&aws);
    let planned = ui::spin(
        &format!("reading X-Ray in {}", aws.region),
        try_join_all(targets.into_iter().map(|t| ops::plan(&api, t))),
    )
    .await?;

    let outcomes = if !change || config.ui.dry_run {
        planned
            .iter()
            .map(|p| p.unapplied(config.ui.dry_run))
            .collect()
    } else {
        let agreed = ask_for_changes(config, &planned)?;
        let results = ui::spin(
            "applying changes",
            join_all(planned.into_iter().map(|p| {
                let api = &api;
                let yes = config.ui.yes;
                async move {
                    if p.step.needs_agreement() && !agreed {
                        Ok(p.unapplied(false))
                    } else {
                        ops::apply(api, p, yes).await
                    }
                }
            })),
        )
        .await;
        let mut outcomes = Vec::new();
        let mut first_error = None;
        for result in results {
            match result {
                Ok(outcome) => outcomes.push(outcome),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_error {
            if !outcomes.is_empty() {
                ui::emit(
                    &config.ui,
                    &Report {
                        region: Some(aws.region.clone()),
                        dry_run: false,
                        outcomes,
                    },
                );
            }
            return Err(e.into());
        }
        outcomes
    };

    let report = Report {
        region: Some(aws.region.clone()),
        dry_run: config.ui.dry_run,
        outcomes,
    };
    ui::emit(&config.ui, &report);
    Ok(if report.is_pending() {
        exit::PENDING
    } else {
        exit::OK
    })
}

/// Shows every update and deletion on stderr and asks once. True when there is
/// nothing to ask about.
fn ask_for_changes(config: &Config, planned: &[Planned]) -> Result<bool, Error> {
    let asking: Vec<&Planned> = planned
        .iter()
        .filter(|p| p.step.needs_agreement())
        .collect();
    if asking.is_empty() {
        return Ok(true);
    }
    for p in &asking {
        eprintln!("{}", p.unapplied(true));
    }
    let what = if asking.len() == 1 {
        format!(
            "changing {} {}",
            asking[0].target.kind(),
            asking[0].target.name()
        )
    } else {
        format!("these {} changes", asking.len())
    };
    ui::agree(&config.ui, &what, "Apply these changes?")
}
