//! The arguments of the commands that write the project's files: `compose`,
//! `gitpod`, `devcontainer`, `app`, and `init`/`plan`/`status`/`destroy`.

use clap::{Args, Subcommand};

use super::*;

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
