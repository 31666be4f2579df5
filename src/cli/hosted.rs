//! The arguments of the commands for the hosted services and the round trip:
//! `honeycomb`, `rollbar`, `verify`.

use clap::{Args, Subcommand};

use super::*;

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
    /// Follow one request of the running app instead of sending test records: it
    /// carries a trace id chosen here, then is looked for in each backend
    /// [default URL: the service's published port in the compose file, else http://127.0.0.1:4567]
    #[arg(long, value_name = "URL", num_args = 0..=1, default_missing_value = "")]
    pub app: Option<String>,
    /// The route --app requests
    #[arg(long, value_name = "PATH", default_value = "/api/activities/home")]
    pub route: String,
    /// A Honeycomb configuration key: --app reads the dataset's last write with it
    /// (the Datasets API); without one, --app prints the trace's link
    #[arg(
        long,
        value_name = "KEY",
        env = "HONEYCOMB_CONFIG_KEY",
        hide_env_values = true
    )]
    pub config_key: Option<String>,
}
