//! The command line, as clap parses it. Nothing here does any work: [`crate::config`]
//! turns it into a validated configuration once, and nothing after that reads argv.

use clap::{Args, Parser, Subcommand, ValueEnum};

mod cloud;
mod files;
mod frontend;
mod hosted;

pub(crate) use cloud::*;
pub(crate) use files::*;
pub(crate) use frontend::*;
pub(crate) use hosted::*;

/// Set up observability for the Cruddur app (AWS Cloud Project Bootcamp, week 2) in
/// one run: the Honeycomb key, the AWS X-Ray group and sampling rule, the CloudWatch
/// log groups, docker-compose.yml, .gitpod.yml / devcontainer.json and the Flask
/// backend's code, safely and repeatably — then prove that data arrives (verify).
///
/// Every command reads before it writes: a second run changes nothing. Standard AWS
/// settings (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_XRAY,
/// AWS_MAX_ATTEMPTS, ...) work as they do for awscli.
#[derive(Debug, Parser)]
#[command(name = "cruddur-obs", version, propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options accepted by every command.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// AWS region [default: AWS_REGION, else the profile's region]
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// AWS profile from ~/.aws/config [default: AWS_PROFILE, else "default"]
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (e.g. a local emulator)
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// How results are printed on stdout
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Agree to every change without asking
    #[arg(long, short = 'y', global = true)]
    pub yes: bool,
    /// Show what would change and change nothing (exit 3 if something would)
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Say more on stderr (-v: details of errors, -vv: debug logs)
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Give up on a network operation after this many seconds, retries and waits
    /// included (each AWS call, the Honeycomb key check, a test span or item)
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 30.0)]
    pub timeout: f64,
}

/// How traces leave the app's machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ViaArg {
    /// The AWS X-Ray daemon (as in the course; in maintenance mode, support ends 2027-02-25)
    Daemon,
    /// One ADOT OpenTelemetry Collector exporting to X-Ray and Honeycomb
    Collector,
}

/// The two Honeycomb regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum HoneycombRegionArg {
    Us,
    Eu,
}

/// A CloudWatch Logs log group class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum LogClassArg {
    Standard,
    InfrequentAccess,
}

/// A dev environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DevEnvArg {
    Gitpod,
    Codespaces,
    Both,
    None,
}

/// `--without` of the file commands: the parts the app's code instruments.
fn instrumented_part() -> impl clap::builder::TypedValueParser<Value = PartArg> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(["honeycomb", "xray", "logs", "rollbar"])
        .try_map(|s: String| <PartArg as ValueEnum>::from_str(&s, false))
}

/// A part of the setup, as `--without` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PartArg {
    Honeycomb,
    Xray,
    Logs,
    Rollbar,
    /// The Flask backend's code (`app write`)
    App,
    /// The React frontend's code (`frontend write`)
    Frontend,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Set everything up: Honeycomb key check, X-Ray group and rule, log groups,
    /// compose, Gitpod/Codespaces and app files (a board with HONEYCOMB_CONFIG_KEY),
    /// with one plan and one question
    ///
    /// On a terminal it asks for what it needs; every answer also has a flag or an
    /// environment variable, and --yes runs without any question.
    /// Example: cruddur-obs init --region ca-central-1 --yes
    Init(SetupArgs),
    /// Show every change init would make (cloud and files); change nothing
    ///
    /// Exit 0 when there is nothing to do, 3 when changes are pending (a CI gate).
    Plan(SetupArgs),
    /// Check that everything is in place and healthy, one line per check
    ///
    /// Exit 0 when every check passes, 1 otherwise.
    Status(SetupArgs),
    /// Remove what init created in AWS (asks first); files are left as they are
    ///
    /// Only resources tagged managed-by=cruddur-obs are removed; never the Default rule.
    Destroy(SetupArgs),
    /// Prove every backend takes data: one test record into X-Ray, CloudWatch Logs,
    /// Honeycomb and Rollbar, read back, with the app's own credentials and region
    ///
    /// The credentials and region are the compose file's AWS_* entries resolved as
    /// docker compose would (this shell, then .env). One line per part with a link;
    /// exit 0 only when every chosen part passed (3: written but not yet visible,
    /// 4: denied by IAM — the policy the app needs is printed).
    /// Example: cruddur-obs verify --without rollbar
    Verify(VerifyArgs),
    /// AWS X-Ray: the trace group and the sampling rule
    #[command(subcommand)]
    Xray(XrayCommand),
    /// CloudWatch Logs: the app's log groups, with a retention and tags
    #[command(subcommand)]
    Logs(LogsCommand),
    /// Honeycomb: check an API key, prove ingest with a test span, the course's board
    #[command(subcommand)]
    Honeycomb(HoneycombCommand),
    /// Rollbar: check an access token's scopes, prove it with a test item
    #[command(subcommand)]
    Rollbar(RollbarCommand),
    /// The compose file (compose.yaml, docker-compose.yml, ...): the app's
    /// observability entries and the xray-daemon service
    #[command(subcommand)]
    Compose(ComposeCommand),
    /// .gitpod.yml: open the app's ports publicly; print the `gp env` lines it needs
    #[command(subcommand)]
    Gitpod(GitpodCommand),
    /// GitHub Codespaces: forward the app's ports in .devcontainer/devcontainer.json
    #[command(subcommand)]
    Devcontainer(DevcontainerCommand),
    /// The Flask backend: requirements.txt, lib/observability.py and one call in app.py
    #[command(subcommand)]
    App(AppCommand),
    /// The React frontend: browser tracing (package.json, src/tracing.js, one
    /// import) and the backend's CORS for the trace headers
    #[command(subcommand)]
    Frontend(FrontendCommand),
    /// Write the cloud side as infrastructure as code (CloudFormation or Terraform)
    #[command(subcommand)]
    Export(ExportCommand),
    /// IAM: the least-privilege policy the app, the daemon and watchtower need
    #[command(subcommand)]
    Iam(IamCommand),
    /// Print a shell completion script
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
}
