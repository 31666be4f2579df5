//! What a run is asked to do, validated: the settings of each command
//! ([`crate::config`] makes them from the command line and the environment).

use std::time::Duration;

use crate::aws::AwsSettings;
use crate::honeycomb::{Endpoints, Region};
use crate::logs::LogGroupSpec;
use crate::parts::Parts;
use crate::secret::Secret;
use crate::ui::Ui;
use crate::xray::{GroupSpec, RuleSpec};

/// What to do, validated.
#[derive(Debug, Clone)]
pub(crate) enum Action {
    XrayCreateGroup(GroupSpec),
    XrayCreateRule(RuleSpec),
    XrayStatus(GroupSpec, RuleSpec),
    XrayDelete {
        group: String,
        rule: String,
    },
    LogsCreate(Vec<LogGroupSpec>),
    LogsStatus(Vec<LogGroupSpec>),
    LogsDelete(Vec<String>),
    Setup(SetupMode, Box<SetupSettings>),
    ComposeWrite(ComposeSettings),
    GitpodWrite(GitpodSettings),
    HoneycombCheck(HoneycombSettings),
    HoneycombSendTestSpan {
        settings: HoneycombSettings,
        service: String,
        dataset: Option<String>,
    },
    Export(Box<ExportSettings>),
    AppWrite(AppSettings),
    FrontendWrite(FrontendSettings),
    /// The file, and the codespace we run in (`CODESPACES=true`, `CODESPACE_NAME`).
    /// The devcontainer.json, the codespace (inside one), and whether a React
    /// frontend's collector port 4318 is forwarded too.
    DevcontainerWrite(std::path::PathBuf, Option<String>, bool),
    RollbarCheck(RollbarSettings),
    RollbarSendTestItem(RollbarSettings, String),
    HoneycombBoard(BoardSettings),
    Verify(Box<VerifySettings>),
    IamPolicy {
        xray: bool,
        log_groups: Vec<String>,
        account: Option<String>,
    },
    Completions(clap_complete::Shell),
}

/// What `verify` proves, with which keys.
#[derive(Debug, Clone)]
pub(crate) struct VerifySettings {
    pub compose_file: std::path::PathBuf,
    pub service: String,
    /// The parts to prove (Honeycomb and Rollbar also carry their settings below).
    pub parts: Parts,
    pub log_group: Option<String>,
    pub filter: String,
    pub wait: Duration,
    /// `None`: Honeycomb left out.
    pub honeycomb: Option<HoneycombSettings>,
    /// `None`: Rollbar left out; `Some` with no token: not configured.
    pub rollbar: Option<RollbarSettings>,
    pub rollbar_environment: String,
    /// `Some`: follow one request of the running app (`--app`) instead of test records.
    pub app: Option<AppProbe>,
}

/// `verify --app`: where the running app is, what to request, and the key that
/// reads Honeycomb's datasets back.
#[derive(Debug, Clone)]
pub(crate) struct AppProbe {
    /// `None`: the compose file's published port for the service.
    pub url: Option<reqwest::Url>,
    pub route: String,
    pub config_key: Option<Secret>,
}

/// How to reach Rollbar, and with which token.
#[derive(Debug, Clone)]
pub(crate) struct RollbarSettings {
    /// `None`: ask on a terminal (or fail with a hint).
    pub token: Option<Secret>,
    /// The API base (`https://api.rollbar.com/`).
    pub base: reqwest::Url,
    pub timeout: Duration,
}

/// What `honeycomb board` makes, with which key, where.
#[derive(Debug, Clone)]
pub(crate) struct BoardSettings {
    pub key: Option<Secret>,
    pub name: String,
    pub dataset: String,
    pub destroy: bool,
    pub base: reqwest::Url,
    pub timeout: Duration,
}

impl Action {
    /// Whether the action reads the AWS settings (region, endpoints).
    pub(crate) fn uses_aws(&self) -> bool {
        !matches!(
            self,
            Action::HoneycombCheck(_)
                | Action::HoneycombSendTestSpan { .. }
                | Action::GitpodWrite(_)
                | Action::AppWrite(_)
                | Action::FrontendWrite(_)
                | Action::DevcontainerWrite(..)
                | Action::RollbarCheck(_)
                | Action::RollbarSendTestItem(..)
                | Action::HoneycombBoard(_)
                | Action::IamPolicy { .. }
                | Action::Completions(_)
        )
    }
}

/// What `app write` instruments, where.
#[derive(Debug, Clone)]
pub(crate) struct AppSettings {
    pub compose_file: std::path::PathBuf,
    pub service: String,
    pub dir: Option<std::path::PathBuf>,
    pub parts: Parts,
    pub force: bool,
    /// Move app.py's own hand setup to the module (`app write --migrate`).
    pub migrate: bool,
}

/// What `frontend write` instruments, where.
#[derive(Debug, Clone)]
pub(crate) struct FrontendSettings {
    /// The React app's directory (holding package.json).
    pub dir: std::path::PathBuf,
    /// The backend directory, when given (`--backend-dir`).
    pub backend_dir: Option<std::path::PathBuf>,
    /// The compose file and the Flask service, to find the backend otherwise.
    pub compose_file: Option<std::path::PathBuf>,
    pub service: Option<String>,
    pub force: bool,
}

/// Which infrastructure-as-code dialect `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExportFormat {
    Cloudformation,
    Terraform,
}

/// What `export` writes, and where.
#[derive(Debug, Clone)]
pub(crate) struct ExportSettings {
    pub format: ExportFormat,
    pub input: crate::export::ExportInput,
    pub out: Option<std::path::PathBuf>,
    /// Read the account for existing objects (import file / import blocks).
    pub import: bool,
    pub import_file: Option<std::path::PathBuf>,
}

/// Which whole-setup command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetupMode {
    Init,
    Plan,
    Status,
    Destroy,
}

/// Everything `init`, `plan`, `status` and `destroy` work on.
#[derive(Debug, Clone)]
pub(crate) struct SetupSettings {
    pub parts: Parts,
    pub compose: ComposeSettings,
    pub gitpod: GitpodSettings,
    pub group: GroupSpec,
    pub rule: RuleSpec,
    pub log_groups: Vec<LogGroupSpec>,
    pub honeycomb: HoneycombSettings,
    /// `app write` as part of the whole setup (backend directory from compose).
    pub app: AppSettings,
    /// `frontend write` as part of the whole setup: `None` when the part is off
    /// or there is no React app to be found.
    pub frontend: Option<FrontendSettings>,
    /// The board part: only with a configuration key.
    pub board: Option<BoardSettings>,
    /// The Rollbar token check (with a token and the Rollbar part).
    pub rollbar: Option<RollbarSettings>,
}

/// What `compose write` writes where. The region is resolved at run time.
#[derive(Debug, Clone)]
pub(crate) struct ComposeSettings {
    /// The compose file: `--file`, else the one docker compose would use, else
    /// (see `none_found`) `docker-compose.yml`, for the paths beside it.
    pub file: std::path::PathBuf,
    /// `--file` was not given and none of the names docker compose looks for
    /// exists: the compose file is reported missing with the names looked for.
    pub none_found: bool,
    pub service: String,
    pub parts: Parts,
    pub force: bool,
    pub honeycomb_region: Region,
    pub via: crate::compose::Via,
    /// `CLOUDWATCH_LOG_GROUP` for the app, when logs are set up.
    pub log_group: Option<String>,
    /// The dev environment (detected, or `--dev-env`): `AWS_XRAY_URL` follows it.
    pub dev_env: crate::devenv::Detected,
    /// A React frontend traces in the browser: the collector runs (for its
    /// spans) even beside the X-Ray daemon.
    pub browser: bool,
}

/// What `gitpod write` writes, and the values `gp env` needs (from our environment).
#[derive(Debug, Clone)]
pub(crate) struct GitpodSettings {
    pub file: std::path::PathBuf,
    /// Make our ports public where an entry says otherwise.
    pub force: bool,
    pub env: Vec<(String, Option<Secret>)>,
    /// Open the collector's 4318 too: the browser sends its spans there (a
    /// React frontend, with `--via collector`).
    pub collector_port: bool,
}

/// How to reach Honeycomb, and with which key.
#[derive(Debug, Clone)]
pub(crate) struct HoneycombSettings {
    /// `None`: ask on a terminal (or fail with a hint).
    pub key: Option<Secret>,
    pub region: Option<Region>,
    pub endpoints: Endpoints,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub ui: Ui,
    pub aws: AwsSettings,
    pub action: Action,
    /// What was found rather than given (the compose file, the service, the
    /// backend directory), for the user to read before anything else.
    pub notes: Vec<String>,
}

/// The cloud objects of the whole setup: the one source of truth for what `init`
/// creates and what `export` writes.
pub(crate) struct CloudSpecs {
    pub group: GroupSpec,
    pub rule: RuleSpec,
    pub log_groups: Vec<LogGroupSpec>,
}
