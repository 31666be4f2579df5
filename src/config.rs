//! Arguments are turned into a validated [`Config`] once; nothing after this reads
//! argv or our own environment variables. Input files named on the command line are
//! read and validated here, so bad input fails before any network call.

use std::path::Path;
use std::time::Duration;

use crate::aws::AwsSettings;
use crate::cli::{Cli, Command, LogGroupArgs, LogsCommand, OutputFormat, RuleArgs, XrayCommand};
use crate::error::Error;
use crate::logs::{self, LogGroupSpec};
use crate::xray::{self, GroupSpec, RuleSpec};

/// How the run talks to the user.
#[derive(Debug, Clone)]
pub struct Ui {
    pub output: OutputFormat,
    pub yes: bool,
    pub dry_run: bool,
    pub verbose: u8,
    /// Whether we may prompt (stdin and stderr are terminals).
    pub interactive: bool,
}

/// What to do, validated.
#[derive(Debug, Clone)]
pub enum Action {
    XrayCreateGroup(GroupSpec),
    XrayCreateRule(RuleSpec),
    XrayStatus(GroupSpec, RuleSpec),
    XrayDelete { group: String, rule: String },
    LogsCreate(Vec<LogGroupSpec>),
    LogsStatus(Vec<LogGroupSpec>),
    LogsDelete(Vec<String>),
    Completions(clap_complete::Shell),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub ui: Ui,
    pub aws: AwsSettings,
    pub action: Action,
}

impl Config {
    pub fn from_cli(cli: Cli, interactive: bool) -> Result<Config, Error> {
        let g = cli.global;
        if !(g.timeout.is_finite() && g.timeout > 0.0) {
            return Err(Error::Usage(format!(
                "--timeout must be a positive number of seconds, not {}",
                g.timeout
            )));
        }
        let ui = Ui {
            output: g.output,
            yes: g.yes,
            dry_run: g.dry_run,
            verbose: g.verbose,
            interactive,
        };
        let aws = AwsSettings {
            region: g.region,
            profile: g.profile,
            endpoint_url: g.endpoint_url,
            timeout: Duration::from_secs_f64(g.timeout),
        };
        let action = match cli.command {
            Command::Xray(XrayCommand::CreateGroup(a)) => Action::XrayCreateGroup(
                xray::group_spec(&a.name, &a.filter_expression, a.insights, &a.tags)?,
            ),
            Command::Xray(XrayCommand::CreateSamplingRule(r)) => {
                Action::XrayCreateRule(load_rule(&r)?)
            }
            Command::Xray(XrayCommand::Status { group, rule }) => Action::XrayStatus(
                xray::group_spec(
                    &group.name,
                    &group.filter_expression,
                    group.insights,
                    &group.tags,
                )?,
                load_rule(&rule)?,
            ),
            Command::Xray(XrayCommand::Delete {
                group_name,
                rule_name,
            }) => {
                let rule = rule_name.unwrap_or_else(|| xray::bundled_rule().name);
                if group_name == xray::RESERVED_NAME {
                    return Err(xray::XrayError::Reserved("group").into());
                }
                if rule == xray::RESERVED_NAME {
                    return Err(xray::XrayError::Reserved("sampling rule").into());
                }
                Action::XrayDelete {
                    group: group_name,
                    rule,
                }
            }
            Command::Logs(LogsCommand::CreateGroup(a)) => Action::LogsCreate(log_specs(&a)?),
            Command::Logs(LogsCommand::Status(a)) => Action::LogsStatus(log_specs(&a)?),
            Command::Logs(LogsCommand::Delete { names }) => {
                Action::LogsDelete(logs::names_or_default(&names)?)
            }
            Command::Completions { shell } => Action::Completions(shell),
        };
        Ok(Config { ui, aws, action })
    }
}

/// The bundled rule, or the `--cli-input-json` file (awscli's `file://` prefix accepted).
fn load_rule(args: &RuleArgs) -> Result<RuleSpec, Error> {
    let Some(arg) = &args.cli_input_json else {
        return Ok(xray::bundled_rule());
    };
    let path = Path::new(arg.strip_prefix("file://").unwrap_or(arg));
    let text = std::fs::read_to_string(path).map_err(|source| Error::ReadFile {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(xray::parse_rule(&text, &path.display().to_string())?)
}

fn log_specs(a: &LogGroupArgs) -> Result<Vec<LogGroupSpec>, Error> {
    Ok(logs::group_specs(
        &a.names,
        a.retention_days,
        a.class,
        a.kms_key_id.clone(),
        &a.tags,
    )?)
}
