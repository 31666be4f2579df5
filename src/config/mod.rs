//! Arguments are turned into a validated [`Config`] once; nothing after this reads
//! argv or our own environment variables. Input files named on the command line are
//! read and validated here, so bad input fails before any network call.

use std::time::Duration;

use crate::aws::AwsSettings;
use crate::cli::{
    Cli, Command, ComposeCommand, DevEnvArg, GitpodCommand, HoneycombArgs, HoneycombCommand,
    HoneycombRegionArg, LogClassArg, OutputFormat, PartArg, SetupArgs, ViaArg,
};
use crate::compose::discover::DiscoverError;
use crate::error::Error;
use crate::honeycomb::{self, Region};
use crate::logs::{self};
use crate::parts::{Part, Parts};
use crate::ui::{Output, Ui};

mod build;
mod frontend;
pub(crate) use crate::project::locate::devcontainer_path;
use crate::project::locate::*;
pub(crate) use crate::settings::*;
use build::*;

/// The longest `--timeout` (an hour): beyond it is a typo, not a wait.
pub(crate) const MAX_TIMEOUT_SECS: f64 = 3600.0;

impl From<ViaArg> for crate::compose::Via {
    fn from(v: ViaArg) -> Self {
        match v {
            ViaArg::Daemon => Self::Daemon,
            ViaArg::Collector => Self::Collector,
        }
    }
}

impl From<HoneycombRegionArg> for Region {
    fn from(r: HoneycombRegionArg) -> Self {
        match r {
            HoneycombRegionArg::Us => Region::Us,
            HoneycombRegionArg::Eu => Region::Eu,
        }
    }
}

impl From<LogClassArg> for logs::LogClass {
    fn from(c: LogClassArg) -> Self {
        match c {
            LogClassArg::Standard => Self::Standard,
            LogClassArg::InfrequentAccess => Self::InfrequentAccess,
        }
    }
}

impl From<DevEnvArg> for crate::devenv::DevEnv {
    fn from(d: DevEnvArg) -> Self {
        match d {
            DevEnvArg::Gitpod => Self::Gitpod,
            DevEnvArg::Codespaces => Self::Codespaces,
            DevEnvArg::Both => Self::Both,
            DevEnvArg::None => Self::None,
        }
    }
}

/// `--output`, for the renderer.
pub(crate) fn output(format: OutputFormat) -> Output {
    match format {
        OutputFormat::Text => Output::Text,
        OutputFormat::Json => Output::Json,
    }
}

/// The parts `--without` names.
fn off(without: &[PartArg]) -> Vec<Part> {
    without
        .iter()
        .map(|p| match p {
            PartArg::Honeycomb => Part::Honeycomb,
            PartArg::Xray => Part::Xray,
            PartArg::Logs => Part::Logs,
            PartArg::Rollbar => Part::Rollbar,
            PartArg::App => Part::App,
            PartArg::Frontend => Part::Frontend,
        })
        .collect()
}

impl Config {
    pub(crate) fn from_cli(cli: Cli, interactive: bool) -> Result<Config, Error> {
        let g = cli.global;
        if !(g.timeout.is_finite() && g.timeout > 0.0) {
            return Err(Error::Usage(format!(
                "--timeout must be a positive number of seconds, not {}",
                crate::plan::clip(&g.timeout.to_string())
            )));
        }
        if g.timeout > MAX_TIMEOUT_SECS {
            return Err(Error::Usage(format!(
                "--timeout must be at most {MAX_TIMEOUT_SECS} seconds, not {}",
                if g.timeout < 1e9 {
                    g.timeout.to_string()
                } else {
                    format!("{:e}", g.timeout)
                }
            )));
        }
        let ui = Ui {
            output: output(g.output),
            verbose: g.verbose,
            yes: g.yes,
            dry_run: g.dry_run,
            interactive,
        };
        let hc = |a: &HoneycombArgs| honeycomb_settings(a, g.timeout);
        let mut notes = Vec::new();
        // init asks for the compose file and the service on a terminal: what it
        // cannot find is asked for there. destroy reads no file.
        let setup = |mode: SetupMode, a: &SetupArgs, notes: &mut Vec<String>| {
            let lenient =
                mode == SetupMode::Destroy || (mode == SetupMode::Init && interactive && !g.yes);
            setup_settings(a, g.timeout, lenient, notes).map(|s| Action::Setup(mode, Box::new(s)))
        };
        let action = match cli.command {
            Command::Honeycomb(HoneycombCommand::Check(a)) => Action::HoneycombCheck(hc(&a)?),
            Command::Honeycomb(HoneycombCommand::SendTestSpan {
                key,
                service,
                dataset,
            }) => Action::HoneycombSendTestSpan {
                settings: hc(&key)?,
                service,
                dataset,
            },
            Command::Init(a) => setup(SetupMode::Init, &a, &mut notes)?,
            Command::Plan(a) => setup(SetupMode::Plan, &a, &mut notes)?,
            Command::Status(a) => setup(SetupMode::Status, &a, &mut notes)?,
            Command::Destroy(a) => setup(SetupMode::Destroy, &a, &mut notes)?,
            Command::Compose(ComposeCommand::Write(a)) => {
                Action::ComposeWrite(compose_settings(&a, &mut notes)?)
            }
            Command::Gitpod(GitpodCommand::Write { file, force }) => {
                Action::GitpodWrite(GitpodSettings {
                    file,
                    force,
                    env: gp_env_values(Parts::ALL),
                    collector_port: frontend::frontend_present(),
                })
            }
            Command::Xray(x) => xray_action(x)?,
            Command::Logs(l) => logs_action(l)?,
            Command::Export(e) => Action::Export(Box::new(export_settings(e)?)),
            Command::Rollbar(crate::cli::RollbarCommand::Check(a)) => {
                Action::RollbarCheck(rollbar_settings(&a, g.timeout)?)
            }
            Command::Rollbar(crate::cli::RollbarCommand::SendTestItem { token, environment }) => {
                Action::RollbarSendTestItem(rollbar_settings(&token, g.timeout)?, environment)
            }
            Command::Verify(a) => {
                let on = |p: Part| !off(&a.without).contains(&p);
                if let Some(group) = &a.log_group {
                    logs::validate_name(group)?;
                }
                let found = locate(a.file.as_deref(), a.service.as_deref());
                let service = found.service.clone()?;
                let compose_file = found.file.clone().ok_or(DiscoverError::NoFile)?;
                notes.extend(found.notes(&service));
                Action::Verify(Box::new(VerifySettings {
                    compose_file,
                    service: service.name().to_string(),
                    parts: Parts::without(&off(&a.without)),
                    log_group: a.log_group.clone(),
                    filter: a.filter_expression.clone(),
                    wait: Duration::from_secs(a.wait),
                    honeycomb: if on(Part::Honeycomb) {
                        Some(honeycomb_settings(&a.honeycomb, g.timeout)?)
                    } else {
                        None
                    },
                    rollbar: if on(Part::Rollbar) {
                        Some(rollbar_settings(
                            &crate::cli::RollbarArgs {
                                access_token: a.rollbar_access_token.clone(),
                                api_endpoint: a.rollbar_endpoint.clone(),
                            },
                            g.timeout,
                        )?)
                    } else {
                        None
                    },
                    rollbar_environment: a.rollbar_environment.clone(),
                    app: app_probe(&a)?,
                }))
            }
            Command::Honeycomb(HoneycombCommand::Board(a)) => {
                let endpoints =
                    honeycomb::endpoints(a.api_endpoint.as_deref(), a.api_endpoint_eu.as_deref())?;
                Action::HoneycombBoard(BoardSettings {
                    key: a
                        .config_key
                        .as_deref()
                        .map(str::trim)
                        .filter(|k| !k.is_empty())
                        .map(honeycomb::check_key_text)
                        .transpose()?,
                    name: a.name,
                    dataset: a.dataset,
                    destroy: a.destroy,
                    base: match Region::from(a.honeycomb_region) {
                        Region::Us => endpoints.us,
                        Region::Eu => endpoints.eu,
                    },
                    timeout: Duration::from_secs_f64(g.timeout),
                })
            }
            Command::Devcontainer(crate::cli::DevcontainerCommand::Write { file }) => {
                let codespace = std::env::var("CODESPACE_NAME")
                    .ok()
                    .filter(|n| !n.is_empty())
                    .filter(|_| std::env::var("CODESPACES").is_ok_and(|v| v == "true"));
                Action::DevcontainerWrite(file, codespace, frontend::frontend_present())
            }
            Command::App(crate::cli::AppCommand::Write(a)) => {
                Action::AppWrite(app_settings(&a, &mut notes)?)
            }
            Command::Frontend(crate::cli::FrontendCommand::Write(a)) => {
                Action::FrontendWrite(frontend::frontend_settings(&a, &mut notes)?)
            }
            Command::Iam(crate::cli::IamCommand::Policy {
                log_groups,
                without,
                account,
            }) => Action::IamPolicy {
                xray: !off(&without).contains(&Part::Xray),
                log_groups: if off(&without).contains(&Part::Logs) {
                    Vec::new()
                } else {
                    logs::names_or_default(&log_groups)?
                },
                account: match account {
                    Some(id) if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) => {
                        return Err(Error::Usage(format!(
                            "--account must be an AWS account id (12 digits), not {:?}",
                            crate::plan::clip(&id)
                        )))
                    }
                    other => other,
                },
            },
            Command::Completions { shell } => Action::Completions(shell),
        };
        if action.uses_aws() {
            // Checked before anything is touched: the region is written into
            // files, and the SDK panics on an empty endpoint.
            if let Some(region) = &g.region {
                crate::aws::check_region(region)?;
            }
            if let Some(url) = &g.endpoint_url {
                crate::aws::check_endpoint("--endpoint-url", url)?;
            }
            for var in crate::aws::ENDPOINT_VARS {
                if let Some(value) = std::env::var_os(var) {
                    crate::aws::check_endpoint(var, &value.to_string_lossy())?;
                }
            }
        }
        let aws = AwsSettings {
            credentials: None,
            region: g.region,
            profile: g.profile,
            endpoint_url: g.endpoint_url,
            timeout: Duration::from_secs_f64(g.timeout),
        };
        Ok(Config {
            ui,
            aws,
            action,
            notes,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_part_named_on_the_command_line_is_that_part() {
        use crate::parts::Part;
        use clap::ValueEnum as _;
        // The name `--without` takes for each part.
        let named = |part: Part| match part {
            Part::Honeycomb => "honeycomb",
            Part::Xray => "xray",
            Part::Logs => "logs",
            Part::Rollbar => "rollbar",
            Part::App => "app",
            Part::Frontend => "frontend",
        };
        for arg in super::PartArg::value_variants() {
            let name = arg.to_possible_value().map(|v| v.get_name().to_string());
            let part = super::off(&[*arg])[0];
            assert_eq!(name.as_deref(), Some(named(part)));
        }
    }
}
