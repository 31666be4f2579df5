//! The command line, as clap parses it. Nothing here does any work: [`crate::config`]
//! turns it into a validated configuration once, and nothing after that reads argv.

use clap::{Args, Parser, Subcommand, ValueEnum};

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

#[derive(Debug, Subcommand)]
pub(crate) enum XrayCommand {
    /// Create the X-Ray group (or bring it in line with the options)
    ///
    /// Example: cruddur-obs xray create-group --region ca-central-1
    CreateGroup(GroupArgs),
    /// Create the X-Ray sampling rule from the bundled JSON or an awscli input file
    ///
    /// Example: cruddur-obs xray create-sampling-rule --cli-input-json file://aws/json/xray.json
    CreateSamplingRule(RuleArgs),
    /// Compare the group and the sampling rule in AWS with what they should be
    ///
    /// Exit 0 when both are in sync, 3 when something would change.
    Status {
        #[command(flatten)]
        group: GroupArgs,
        #[command(flatten)]
        rule: RuleArgs,
    },
    /// Delete the group and the sampling rule (already absent is fine)
    ///
    /// The built-in Default rule and group are never deleted.
    Delete {
        /// Name of the group to delete
        #[arg(long = "name", value_name = "NAME", default_value = crate::xray::DEFAULT_GROUP)]
        group_name: String,
        /// Name of the sampling rule to delete [default: the bundled rule's name]
        #[arg(long, value_name = "NAME")]
        rule_name: Option<String>,
    },
}

#[derive(Debug, Args, Clone)]
pub(crate) struct GroupArgs {
    /// Name of the group
    #[arg(long, value_name = "NAME", default_value = crate::xray::DEFAULT_GROUP)]
    pub name: String,
    /// Which traces belong to the group
    #[arg(long, value_name = "EXPR", default_value = crate::xray::DEFAULT_FILTER)]
    pub filter_expression: String,
    /// Enable X-Ray Insights on the group
    #[arg(long)]
    pub insights: bool,
    /// Tag the group (repeatable)
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
}

#[derive(Debug, Args, Clone)]
pub(crate) struct RuleArgs {
    /// The rule, in the format of `aws xray create-sampling-rule --cli-input-json`
    /// ({"SamplingRule": {...}, "Tags": [...]}); a file:// prefix is accepted
    /// [default: the bundled rule for service backend-flask]
    #[arg(long, value_name = "FILE")]
    pub cli_input_json: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum LogsCommand {
    /// Create the log groups with a retention and tags (or bring them in line)
    ///
    /// New CloudWatch log groups never expire, and are billed forever: this sets a
    /// retention right away. Example: cruddur-obs logs create-group cruddur --retention-days 14
    CreateGroup(LogGroupArgs),
    /// Compare the log groups in CloudWatch with what they should be
    ///
    /// Exit 0 when all are in sync, 3 when something would change.
    Status(LogGroupArgs),
    /// Delete the log groups and their logs (asks first; already absent is fine)
    Delete {
        /// Log group names [default: cruddur]
        #[arg(value_name = "NAME")]
        names: Vec<String>,
    },
}

#[derive(Debug, Args, Clone)]
pub(crate) struct LogGroupArgs {
    /// Log group names [default: cruddur]
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Days to keep log events (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
    #[arg(long, value_name = "DAYS", default_value_t = crate::logs::DEFAULT_RETENTION_DAYS.into())]
    pub retention_days: i64,
    /// Log group class (fixed at creation) [default: STANDARD for new groups; any for existing]
    #[arg(long, value_enum, value_name = "CLASS")]
    pub class: Option<LogClassArg>,
    /// KMS key to encrypt the logs with
    #[arg(long, value_name = "ARN")]
    pub kms_key_id: Option<String>,
    /// Tag the groups, besides project=cruddur and managed-by=cruddur-obs (repeatable)
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum HoneycombCommand {
    /// Check an API key: valid? which region, team, environment? can it send traces?
    ///
    /// Tries US, then EU, unless --honeycomb-region us|eu is given. Exit 0 when the key is valid
    /// and can send traces, 4 when it is rejected or cannot send.
    /// Example: HONEYCOMB_API_KEY=... cruddur-obs honeycomb check
    Check(HoneycombArgs),
    /// The course's saved queries and a Cruddur board (needs a configuration key)
    ///
    /// Creates (or brings in line, after asking) four queries — latency heatmap and
    /// P95 by route, P95 by app.user_id, errors by route, recent traces — each
    /// saved with a name, and one flexible board holding them. A board of that name
    /// that cruddur-obs did not make is left alone. A second run writes nothing.
    /// Example: HONEYCOMB_CONFIG_KEY=... cruddur-obs honeycomb board --dry-run
    Board(BoardArgs),
    /// Send one test span over OTLP/HTTP and print a link to it in the Honeycomb UI
    ///
    /// Example: cruddur-obs honeycomb send-test-span --service backend-flask
    SendTestSpan {
        #[command(flatten)]
        key: HoneycombArgs,
        /// service.name of the span (the dataset it lands in)
        #[arg(long, value_name = "NAME", default_value = "backend-flask")]
        service: String,
        /// Dataset for Honeycomb Classic keys [default: the service name]
        #[arg(long, value_name = "NAME")]
        dataset: Option<String>,
    },
}

#[derive(Debug, Args, Clone)]
pub(crate) struct HoneycombArgs {
    /// The Honeycomb API key [default: HONEYCOMB_API_KEY, else asked for on a terminal]
    #[arg(
        long,
        value_name = "KEY",
        env = "HONEYCOMB_API_KEY",
        hide_env_values = true
    )]
    pub api_key: Option<String>,
    /// Honeycomb region, us or eu [default: try US, then EU] (the global --region is the AWS region)
    #[arg(long, value_enum, value_name = "REGION")]
    pub honeycomb_region: Option<HoneycombRegionArg>,
    /// Honeycomb API base URL, for both regions (a proxy, or a local stub)
    #[arg(long, value_name = "URL", env = "HONEYCOMB_API_ENDPOINT")]
    pub api_endpoint: Option<String>,
    /// Honeycomb API base URL for the EU region only
    #[arg(long, value_name = "URL", env = "HONEYCOMB_API_ENDPOINT_EU")]
    pub api_endpoint_eu: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ComposeCommand {
    /// Add the OTEL/X-Ray/AWS/Rollbar entries and the xray-daemon service
    ///
    /// Shows a diff and writes only on agreement; comments, quoting, order, CRLF
    /// and everything else not edited stay byte for byte. A second run changes nothing.
    /// Example: cruddur-obs compose write --region ca-central-1 --dry-run
    Write(ComposeArgs),
}

#[derive(Debug, Args, Clone)]
pub(crate) struct ComposeArgs {
    /// The compose file
    /// [default: compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml, as docker compose looks]
    #[arg(long, value_name = "PATH")]
    pub file: Option<std::path::PathBuf>,
    /// The Flask service to instrument
    /// [default: backend-flask, else the service whose build context holds app.py]
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// Leave a part out (repeatable)
    #[arg(long, value_name = "PART", value_parser = instrumented_part())]
    pub without: Vec<PartArg>,
    /// Replace entries that exist with another value (default: report and keep them)
    #[arg(long)]
    pub force: bool,
    /// Honeycomb region for OTEL_EXPORTER_OTLP_ENDPOINT
    #[arg(long, value_enum, value_name = "REGION", default_value = "us")]
    pub honeycomb_region: HoneycombRegionArg,
    /// How traces leave: the X-Ray daemon (the course's way) or one OpenTelemetry Collector
    #[arg(long, value_enum, value_name = "HOW", default_value = "daemon")]
    pub via: ViaArg,
    /// The dev environment whose URLs AWS_XRAY_URL matches [default: detected from
    /// .gitpod.yml / devcontainer.json, the compose file's URLs, where it runs]
    #[arg(long, value_enum, value_name = "ENV")]
    pub dev_env: Option<DevEnvArg>,
    /// The app's CloudWatch log group (CLOUDWATCH_LOG_GROUP, read by lib/observability.py)
    #[arg(long, value_name = "NAME", default_value = crate::logs::DEFAULT_GROUP)]
    pub log_group: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum GitpodCommand {
    /// Add ports 3000 (frontend, opens the browser) and 4567 (backend), both public
    ///
    /// Never writes secrets: prints the `gp env NAME=...` commands to run instead
    /// (values masked). Inside a Gitpod workspace, saves the ones not saved yet
    /// with `gp env`, after asking.
    /// Example: cruddur-obs gitpod write --dry-run
    Write {
        /// The Gitpod file (created when missing)
        #[arg(long, value_name = "PATH", default_value = ".gitpod.yml")]
        file: std::path::PathBuf,
        /// Make ports 3000 and 4567 public where their entry says otherwise
        /// (default: report and keep them)
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Args, Clone)]
pub(crate) struct SetupArgs {
    /// The compose file
    /// [default: compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml, as docker compose looks]
    #[arg(long, value_name = "PATH")]
    pub file: Option<std::path::PathBuf>,
    /// The Flask service to instrument
    /// [default: backend-flask, else the service whose build context holds app.py]
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// The Gitpod file
    #[arg(long, value_name = "PATH", default_value = ".gitpod.yml")]
    pub gitpod_file: std::path::PathBuf,
    /// The dev environment: which of .gitpod.yml and devcontainer.json are written,
    /// and whose URLs AWS_XRAY_URL matches [default: detected]
    #[arg(long, value_enum, value_name = "ENV")]
    pub dev_env: Option<DevEnvArg>,
    /// Leave a part out (repeatable)
    #[arg(long, value_enum, value_name = "PART")]
    pub without: Vec<PartArg>,
    /// Days to keep the app's logs
    #[arg(long, value_name = "DAYS", default_value_t = crate::logs::DEFAULT_RETENTION_DAYS.into())]
    pub retention_days: i64,
    /// Log group names (repeatable) [default: cruddur]
    #[arg(long = "log-group", value_name = "NAME")]
    pub log_groups: Vec<String>,
    /// The sampling rule, in awscli's --cli-input-json format [default: the bundled rule]
    #[arg(long, value_name = "FILE")]
    pub cli_input_json: Option<String>,
    /// Replace compose entries that exist with another value, a collector config of
    /// your own, and make the app's Gitpod ports public
    #[arg(long)]
    pub force: bool,
    /// How traces leave: the X-Ray daemon (the course's way; support ends 2027-02-25)
    /// or one OpenTelemetry Collector exporting to X-Ray and Honeycomb
    #[arg(long, value_enum, value_name = "HOW", default_value = "daemon")]
    pub via: ViaArg,
    #[command(flatten)]
    pub honeycomb: HoneycombArgs,
    /// A Honeycomb configuration key: adds the `board` part (the course's saved
    /// queries and a Cruddur board) [default: HONEYCOMB_CONFIG_KEY; without it the
    /// board part is off]
    #[arg(
        long,
        value_name = "KEY",
        env = "HONEYCOMB_CONFIG_KEY",
        hide_env_values = true
    )]
    pub config_key: Option<String>,
    /// The Rollbar access token to check (never written anywhere)
    /// [default: ROLLBAR_ACCESS_TOKEN; without it Rollbar is not checked]
    #[arg(
        long,
        value_name = "TOKEN",
        env = "ROLLBAR_ACCESS_TOKEN",
        hide_env_values = true
    )]
    pub rollbar_access_token: Option<String>,
    /// Rollbar API base URL, with or without /api/1 (a local stand-in)
    #[arg(long, value_name = "URL", env = "ROLLBAR_ENDPOINT")]
    pub rollbar_endpoint: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ExportCommand {
    /// A CloudFormation template of the X-Ray group, the sampling rule and the log
    /// groups (the same objects, with the same properties, as init creates)
    ///
    /// Deterministic: the same options give the same bytes. Deploy it with
    /// `aws cloudformation deploy`; --import-file writes what CloudFormation needs
    /// to adopt objects cruddur-obs already created (reads the account).
    /// Example: cruddur-obs export cloudformation --out cruddur-obs.cfn.yaml
    Cloudformation {
        #[command(flatten)]
        what: ExportArgs,
        /// Also write the resources-to-import JSON for
        /// `aws cloudformation create-change-set --change-set-type IMPORT`,
        /// with the identifiers read from the account
        #[arg(long, value_name = "FILE")]
        import_file: Option<std::path::PathBuf>,
    },
    /// The same objects as Terraform (HCL) for the AWS provider
    ///
    /// With --import, reads the account and adds `import` blocks for the objects
    /// that exist already. Example: cruddur-obs export terraform --out cruddur-obs.tf
    Terraform {
        #[command(flatten)]
        what: ExportArgs,
        /// Read the account and add `import` blocks for the objects that exist
        #[arg(long)]
        import: bool,
    },
}

#[derive(Debug, Args, Clone)]
pub(crate) struct ExportArgs {
    /// Leave a part out (repeatable): xray or logs
    #[arg(long, value_enum, value_name = "PART")]
    pub without: Vec<PartArg>,
    /// Days to keep the app's logs
    #[arg(long, value_name = "DAYS", default_value_t = crate::logs::DEFAULT_RETENTION_DAYS.into())]
    pub retention_days: i64,
    /// Log group names (repeatable) [default: cruddur]
    #[arg(long = "log-group", value_name = "NAME")]
    pub log_groups: Vec<String>,
    /// Log group class [default: STANDARD]
    #[arg(long, value_enum, value_name = "CLASS")]
    pub class: Option<LogClassArg>,
    /// KMS key to encrypt the logs with
    #[arg(long, value_name = "ARN")]
    pub kms_key_id: Option<String>,
    /// The sampling rule, in awscli's --cli-input-json format [default: the bundled rule]
    #[arg(long, value_name = "FILE")]
    pub cli_input_json: Option<String>,
    /// Enable X-Ray Insights on the group
    #[arg(long)]
    pub insights: bool,
    /// Add a managed IAM policy with the write permissions the app needs
    #[arg(long)]
    pub iam_policy: bool,
    /// Write to this file instead of stdout (atomically; a diff is shown first
    /// when it exists)
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum IamCommand {
    /// Print the policy (JSON) the app's credentials need: X-Ray segments and
    /// sampling, and log events in the app's log groups (never creating groups)
    ///
    /// Example: cruddur-obs iam policy > policy.json &&
    /// aws iam put-user-policy --user-name cruddur --policy-name cruddur-obs --policy-document file://policy.json
    Policy {
        /// Log group names (repeatable) [default: cruddur]
        #[arg(long = "log-group", value_name = "NAME")]
        log_groups: Vec<String>,
        /// Leave a part out (repeatable): xray or logs
        #[arg(long, value_enum, value_name = "PART")]
        without: Vec<PartArg>,
        /// Narrow the log group ARNs to this account [default: any]
        #[arg(long, value_name = "ID")]
        account: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AppCommand {
    /// Instrument the Flask backend: the packages in requirements.txt, the module
    /// lib/observability.py (OpenTelemetry, X-Ray, CloudWatch Logs, Rollbar, each
    /// on only when its variables are set) and two lines after `app = Flask(...)`
    ///
    /// Shows a diff and writes only on agreement; everything else stays byte for
    /// byte. Parts set up by hand (in app.py or a local module it runs, such as
    /// lib/xray.py) are left out; --migrate moves app.py's own hand setup to the module.
    /// Example: cruddur-obs app write --dry-run
    Write(AppArgs),
}

#[derive(Debug, Args, Clone)]
pub(crate) struct AppArgs {
    /// The compose file (the backend directory is the service's build: context)
    /// [default: compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml, as docker compose looks]
    #[arg(long, value_name = "PATH")]
    pub file: Option<std::path::PathBuf>,
    /// The Flask service to instrument
    /// [default: backend-flask, else the service whose build context holds app.py]
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// The backend directory (holding app.py) [default: the service's build: context]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<std::path::PathBuf>,
    /// Leave a part out (repeatable)
    #[arg(long, value_enum, value_name = "PART")]
    pub without: Vec<PartArg>,
    /// Replace a lib/observability.py edited by hand with this version's
    #[arg(long)]
    pub force: bool,
    /// Remove app.py's own hand setup (the course's OpenTelemetry, X-Ray and
    /// watchtower lines, the before_first_request Rollbar hook) so that the module
    /// does it; shown in the diff. Imports and everything else stay
    #[arg(long)]
    pub migrate: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DevcontainerCommand {
    /// Forward ports 3000 (frontend, opens the browser) and 4567 (backend) with labels
    ///
    /// devcontainer.json is JSONC: comments, trailing commas, tabs and everything not
    /// edited stay byte for byte. Port visibility is not part of the file: run
    /// `gh codespace ports visibility 4567:public -c "$CODESPACE_NAME"` (printed).
    /// Secrets are never written: set them with `gh secret set NAME --app codespaces`.
    /// Example: cruddur-obs devcontainer write --dry-run
    Write {
        /// The dev container file (created when missing)
        #[arg(
            long,
            value_name = "PATH",
            default_value = ".devcontainer/devcontainer.json"
        )]
        file: std::path::PathBuf,
    },
}

#[derive(Debug, Args, Clone)]
pub(crate) struct BoardArgs {
    /// A Honeycomb configuration key with "Manage Queries and Columns" and "Manage
    /// Public Boards" [default: HONEYCOMB_CONFIG_KEY, else asked for on a terminal]
    #[arg(
        long,
        value_name = "KEY",
        env = "HONEYCOMB_CONFIG_KEY",
        hide_env_values = true
    )]
    pub config_key: Option<String>,
    /// The board's name
    #[arg(long, value_name = "NAME", default_value = "Cruddur")]
    pub name: String,
    /// The dataset the queries run on (the service name)
    #[arg(long, value_name = "NAME", default_value = "backend-flask")]
    pub dataset: String,
    /// Remove the board and the saved queries cruddur-obs made (asks first)
    #[arg(long)]
    pub destroy: bool,
    /// Honeycomb region, us or eu
    #[arg(long, value_enum, value_name = "REGION", default_value = "us")]
    pub honeycomb_region: HoneycombRegionArg,
    /// Honeycomb API base URL (a proxy, or a local stub)
    #[arg(long, value_name = "URL", env = "HONEYCOMB_API_ENDPOINT")]
    pub api_endpoint: Option<String>,
    /// Honeycomb API base URL for the EU region only
    #[arg(long, value_name = "URL", env = "HONEYCOMB_API_ENDPOINT_EU")]
    pub api_endpoint_eu: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RollbarCommand {
    /// Check an access token: valid? which scopes? can the backend post with it?
    ///
    /// One GET that creates nothing: Rollbar answers a token without the read
    /// scope with 403 naming the scopes it has. Exit 0 when valid and able to post
    /// server items, 4 when rejected or lacking post_server_item, 1 on network trouble.
    /// Example: ROLLBAR_ACCESS_TOKEN=... cruddur-obs rollbar check
    Check(RollbarArgs),
    /// Post one test item (level info) and print its link
    ///
    /// Example: cruddur-obs rollbar send-test-item
    SendTestItem {
        #[command(flatten)]
        token: RollbarArgs,
        /// The item's environment
        #[arg(
            long,
            value_name = "NAME",
            env = "ROLLBAR_ENVIRONMENT",
            default_value = "development"
        )]
        environment: String,
    },
}

#[derive(Debug, Args, Clone)]
pub(crate) struct RollbarArgs {
    /// The Rollbar project access token [default: ROLLBAR_ACCESS_TOKEN, else asked for on a terminal]
    #[arg(
        long,
        value_name = "TOKEN",
        env = "ROLLBAR_ACCESS_TOKEN",
        hide_env_values = true
    )]
    pub access_token: Option<String>,
    /// Rollbar API base URL, with or without /api/1 (a local stand-in)
    #[arg(long, value_name = "URL", env = "ROLLBAR_ENDPOINT")]
    pub api_endpoint: Option<String>,
}

#[derive(Debug, Args, Clone)]
pub(crate) struct VerifyArgs {
    /// The compose file (the app's credentials and region come from it)
    /// [default: compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml, as docker compose looks]
    #[arg(long, value_name = "PATH")]
    pub file: Option<std::path::PathBuf>,
    /// The Flask service
    /// [default: backend-flask, else the service whose build context holds app.py]
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// Leave a part out (repeatable): honeycomb, xray, logs or rollbar
    #[arg(long, value_enum, value_name = "PART")]
    pub without: Vec<PartArg>,
    /// The app's log group [default: the compose file's CLOUDWATCH_LOG_GROUP, else cruddur]
    #[arg(long = "log-group", value_name = "NAME")]
    pub log_group: Option<String>,
    /// The X-Ray group whose filter must find the test segment
    #[arg(long, value_name = "EXPR", default_value = crate::xray::DEFAULT_FILTER)]
    pub filter_expression: String,
    /// How long to wait for the test records to be readable (at most 600)
    #[arg(long, value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=600))]
    pub wait: u64,
    #[command(flatten)]
    pub honeycomb: HoneycombArgs,
    /// The Rollbar access token [default: ROLLBAR_ACCESS_TOKEN]
    #[arg(
        long,
        value_name = "TOKEN",
        env = "ROLLBAR_ACCESS_TOKEN",
        hide_env_values = true
    )]
    pub rollbar_access_token: Option<String>,
    /// Rollbar API base URL, with or without /api/1 (a local stand-in)
    #[arg(long, value_name = "URL", env = "ROLLBAR_ENDPOINT")]
    pub rollbar_endpoint: Option<String>,
    /// The Rollbar item's environment
    #[arg(
        long,
        value_name = "NAME",
        env = "ROLLBAR_ENVIRONMENT",
        default_value = "development"
    )]
    pub rollbar_environment: String,
}
