//! Arguments are turned into a validated [`Config`] once; nothing after this reads
//! argv or our own environment variables. Input files named on the command line are
//! read and validated here, so bad input fails before any network call.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::aws::AwsSettings;
use crate::cli::{
    AppArgs, Cli, Command, ComposeArgs, ComposeCommand, DevEnvArg, GitpodCommand, HoneycombArgs,
    HoneycombCommand, HoneycombRegionArg, LogClassArg, LogGroupArgs, LogsCommand, OutputFormat,
    PartArg, RuleArgs, SetupArgs, ViaArg, XrayCommand,
};
use crate::compose::discover::{self, DiscoverError, ServiceChoice, ServiceInfo};
use crate::error::Error;
use crate::honeycomb::{self, Endpoints, Region};
use crate::logs::{self, LogGroupSpec};
use crate::parts::{Part, Parts};
use crate::secret::Secret;
use crate::ui::{Output, Ui};
use crate::xray::{self, GroupSpec, RuleSpec};

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
        })
        .collect()
}

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
    /// The file, and the codespace we run in (`CODESPACES=true`, `CODESPACE_NAME`).
    DevcontainerWrite(std::path::PathBuf, Option<String>),
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
    fn uses_aws(&self) -> bool {
        !matches!(
            self,
            Action::HoneycombCheck(_)
                | Action::HoneycombSendTestSpan { .. }
                | Action::GitpodWrite(_)
                | Action::AppWrite(_)
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
}

/// What `gitpod write` writes, and the values `gp env` needs (from our environment).
#[derive(Debug, Clone)]
pub(crate) struct GitpodSettings {
    pub file: std::path::PathBuf,
    /// Make our ports public where an entry says otherwise.
    pub force: bool,
    pub env: Vec<(String, Option<Secret>)>,
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
                Action::DevcontainerWrite(file, codespace)
            }
            Command::App(crate::cli::AppCommand::Write(a)) => {
                Action::AppWrite(app_settings(&a, &mut notes)?)
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

/// The compose file and the Flask service: as given, else as docker compose
/// finds the file and [`discover::choose_service`] the service.
#[derive(Debug, Clone)]
struct Located {
    /// `None`: `--file` not given, and none of [`discover::FILE_NAMES`] exists.
    file: Option<PathBuf>,
    /// The note naming the file used and the ones ignored, if several exist.
    file_note: Option<String>,
    service: Result<ServiceChoice, DiscoverError>,
}

impl Located {
    /// The notes for what was found rather than given.
    fn notes(&self, service: &ServiceChoice) -> Vec<String> {
        self.file_note
            .iter()
            .cloned()
            .chain(service.note())
            .collect()
    }

    /// The service found, else (where a failure to find it is not an error
    /// here) the one given, else `backend-flask`.
    fn service_or(&self, given: Option<&str>) -> ServiceChoice {
        self.service.clone().unwrap_or_else(|_| {
            given.map_or(ServiceChoice::Default, |s| {
                ServiceChoice::Given(s.to_string())
            })
        })
    }
}

/// Probes the current directory and the compose file for [`discover`].
fn locate(file: Option<&Path>, service: Option<&str>) -> Located {
    if let Some(file) = file {
        let services = probe_services(file);
        return Located {
            file: Some(file.to_path_buf()),
            file_note: None,
            service: discover::choose_service(
                &file.display().to_string(),
                service,
                services.as_deref(),
            ),
        };
    }
    let present = discover::FILE_NAMES.map(|name| Path::new(name).exists());
    let chosen = discover::choose_file(present).ok();
    let services = chosen
        .as_ref()
        .and_then(|f| probe_services(Path::new(f.name)));
    Located {
        file: chosen.as_ref().map(|f| PathBuf::from(f.name)),
        file_note: chosen.as_ref().and_then(discover::FileChoice::note),
        service: discover::choose(present, service, services.as_deref()).map(|c| c.service),
    }
}

/// The services of a compose file with their `build:` contexts, and whether
/// each context holds `app.py`. `None` when the file cannot be read or parsed
/// or has no `services:` mapping: the planner reports that, as before.
fn probe_services(file: &Path) -> Option<Vec<ServiceInfo>> {
    let text = crate::files::read(file).ok().flatten()?;
    let doc = crate::compose::parse_strict(&text, "").ok()?;
    let services = doc.get("services")?.as_object()?;
    let base = repo_root(file);
    Some(
        services
            .iter()
            .map(|(name, body)| {
                let context = crate::compose::build_context(body, base);
                let holds_app_py = context
                    .as_ref()
                    .is_some_and(|c| base.join(c).join("app.py").is_file());
                ServiceInfo {
                    name: name.clone(),
                    context,
                    holds_app_py,
                }
            })
            .collect(),
    )
}

/// `./backend-flask`, when it holds `app.py`: the backend without a compose file.
fn backend_without_compose() -> Option<PathBuf> {
    let dir = PathBuf::from(discover::DEFAULT_BACKEND_DIR);
    dir.join("app.py").is_file().then_some(dir)
}

/// The note for [`backend_without_compose`].
fn backend_note(dir: &Path) -> String {
    format!(
        "no compose file here (looked for {}): using ./{}, which holds app.py",
        discover::FILE_NAMES.join(", "),
        dir.display()
    )
}

/// What `app write` instruments: `--dir`, else the service's build context in
/// the compose file, else `./backend-flask` when there is no compose file.
fn app_settings(a: &AppArgs, notes: &mut Vec<String>) -> Result<AppSettings, Error> {
    let parts = Parts::without(&off(&a.without));
    if let Some(dir) = &a.dir {
        // The compose file is not read: the directory is given.
        return Ok(AppSettings {
            compose_file: a.file.clone().unwrap_or_else(placeholder_file),
            service: a
                .service
                .clone()
                .unwrap_or_else(|| discover::DEFAULT_SERVICE.into()),
            dir: Some(dir.clone()),
            parts,
            force: a.force,
            migrate: a.migrate,
        });
    }
    let found = locate(a.file.as_deref(), a.service.as_deref());
    let Some(file) = found.file.clone() else {
        let dir = backend_without_compose().ok_or(DiscoverError::NoFile)?;
        notes.push(backend_note(&dir));
        return Ok(AppSettings {
            compose_file: placeholder_file(),
            service: found.service_or(a.service.as_deref()).name().to_string(),
            dir: Some(dir),
            parts,
            force: a.force,
            migrate: a.migrate,
        });
    };
    let service = found.service.clone()?;
    notes.extend(found.notes(&service));
    Ok(AppSettings {
        compose_file: file,
        service: service.name().to_string(),
        dir: None,
        parts,
        force: a.force,
        migrate: a.migrate,
    })
}

/// The compose file's path when there is none: the course's name, for the
/// paths beside it (all in the current directory).
fn placeholder_file() -> PathBuf {
    PathBuf::from(discover::FILE_NAMES[3])
}

/// The values `gp env` needs for the chosen parts, from our environment.
fn gp_env_values(parts: Parts) -> Vec<(String, Option<Secret>)> {
    crate::gitpod::GP_ENV
        .iter()
        .filter(|(name, _)| parts.wants_env(name))
        .map(|(name, secret)| {
            let value = std::env::var(name).ok().filter(|v| !v.is_empty());
            let value = match secret {
                true => value.map(Secret::new),
                false => value.map(Secret::shown),
            };
            (name.to_string(), value)
        })
        .collect()
}

/// `lenient`: a service that cannot be found is not an error here (init's
/// wizard asks for it; destroy reads no file): the one given, else backend-flask.
fn setup_settings(
    a: &SetupArgs,
    timeout: f64,
    lenient: bool,
    notes: &mut Vec<String>,
) -> Result<SetupSettings, Error> {
    let parts = Parts::without(&off(&a.without));
    let found = locate(a.file.as_deref(), a.service.as_deref());
    let service = if lenient {
        found.service_or(a.service.as_deref())
    } else {
        found.service.clone()?
    };
    let service_name = service.name().to_string();
    // Without a compose file, the parts that need one fail as a missing file
    // does; the app's code is still found in ./backend-flask.
    let (file, app_dir) = match found.file.clone() {
        Some(file) => {
            notes.extend(found.notes(&service));
            (file, None)
        }
        None => {
            let dir = backend_without_compose();
            notes.extend(dir.as_deref().map(backend_note));
            (placeholder_file(), dir)
        }
    };
    let none_found = found.file.is_none();
    let CloudSpecs {
        group,
        rule,
        log_groups,
    } = cloud_specs(
        false,
        a.cli_input_json.as_deref(),
        &a.log_groups,
        a.retention_days,
        None,
        None,
    )?;
    Ok(SetupSettings {
        parts,
        compose: ComposeSettings {
            file: file.clone(),
            none_found,
            service: service_name.clone(),
            parts,
            force: a.force,
            honeycomb_region: a
                .honeycomb
                .honeycomb_region
                .map_or(Region::Us, Region::from),
            via: a.via.into(),
            dev_env: dev_env(&file, a.dev_env.map(Into::into)),
            log_group: parts
                .has(Part::Logs)
                .then(|| log_groups.first().map(|g| g.name.clone()))
                .flatten(),
        },
        gitpod: GitpodSettings {
            file: a.gitpod_file.clone(),
            force: a.force,
            env: gp_env_values(parts),
        },
        group,
        rule,
        log_groups,
        honeycomb: honeycomb_settings(&a.honeycomb, timeout)?,
        app: AppSettings {
            compose_file: file,
            service: service_name.clone(),
            dir: app_dir,
            parts: Parts::without(&off(&a.without)),
            force: a.force,
            migrate: false,
        },
        board: board_for_setup(a, &service_name, timeout)?,
        rollbar: if parts.has(Part::Rollbar) && a.rollbar_access_token.is_some() {
            Some(rollbar_settings(
                &crate::cli::RollbarArgs {
                    access_token: a.rollbar_access_token.clone(),
                    api_endpoint: a.rollbar_endpoint.clone(),
                },
                timeout,
            )?)
        } else {
            None
        },
    })
}

/// The board part of init/plan/status/destroy: on only with a configuration key.
fn board_for_setup(
    a: &SetupArgs,
    service: &str,
    timeout: f64,
) -> Result<Option<BoardSettings>, Error> {
    let Some(key) = a
        .config_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(honeycomb::check_key_text)
        .transpose()?
    else {
        return Ok(None);
    };
    let endpoints = honeycomb::endpoints(
        a.honeycomb.api_endpoint.as_deref(),
        a.honeycomb.api_endpoint_eu.as_deref(),
    )?;
    Ok(Some(BoardSettings {
        key: Some(key),
        name: "Cruddur".into(),
        dataset: service.to_string(),
        destroy: false,
        base: match a
            .honeycomb
            .honeycomb_region
            .map_or(Region::Us, Region::from)
        {
            Region::Us => endpoints.us,
            Region::Eu => endpoints.eu,
        },
        timeout: Duration::from_secs_f64(timeout),
    }))
}

/// Rollbar's API base: `https://api.rollbar.com/` unless overridden; an override
/// with `/api/1` (as the app's ROLLBAR_ENDPOINT is written) means the same base.
fn rollbar_settings(a: &crate::cli::RollbarArgs, timeout: f64) -> Result<RollbarSettings, Error> {
    let raw = a
        .api_endpoint
        .as_deref()
        .unwrap_or("https://api.rollbar.com/");
    let mut base = honeycomb::parse_endpoint(raw).map_err(|e| match e {
        honeycomb::InputError::Insecure { url } => Error::Usage(format!(
            "refusing to send the Rollbar token over plain http to {url}: use https, or http only to a loopback address"
        )),
        other => other.into(),
    })?;
    let path = base.path().trim_end_matches('/').to_string();
    let path = path.strip_suffix("/api/1").unwrap_or(&path).to_string();
    base.set_path(&format!("{path}/"));
    let token = a
        .access_token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            honeycomb::check_key_text(t)
                .map_err(|_| Error::Usage("the Rollbar access token has a character that cannot be part of it (a space, quote or line break?)".into()))
        })
        .transpose()?;
    Ok(RollbarSettings {
        token,
        base,
        timeout: Duration::from_secs_f64(timeout),
    })
}

/// The cloud objects of the whole setup: the one source of truth for what `init`
/// creates and what `export` writes.
pub(crate) struct CloudSpecs {
    pub group: GroupSpec,
    pub rule: RuleSpec,
    pub log_groups: Vec<LogGroupSpec>,
}

fn cloud_specs(
    insights: bool,
    cli_input_json: Option<&str>,
    log_groups: &[String],
    retention_days: i64,
    class: Option<logs::LogClass>,
    kms_key_id: Option<String>,
) -> Result<CloudSpecs, Error> {
    let ours: Vec<String> = logs::DEFAULT_TAGS
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let group = xray::group_spec(xray::DEFAULT_GROUP, xray::DEFAULT_FILTER, insights, &ours)?;
    let mut rule = load_rule(&RuleArgs {
        cli_input_json: cli_input_json.map(str::to_string),
    })?;
    for (k, v) in logs::DEFAULT_TAGS {
        rule.tags.insert(k.to_string(), v.to_string());
    }
    let log_groups = logs::group_specs(log_groups, retention_days, class, kms_key_id, &[])?;
    Ok(CloudSpecs {
        group,
        rule,
        log_groups,
    })
}

fn export_settings(command: crate::cli::ExportCommand) -> Result<ExportSettings, Error> {
    use crate::cli::ExportCommand;
    let (format, a, import, import_file) = match command {
        ExportCommand::Cloudformation { what, import_file } => (
            ExportFormat::Cloudformation,
            what,
            import_file.is_some(),
            import_file,
        ),
        ExportCommand::Terraform { what, import } => (ExportFormat::Terraform, what, import, None),
    };
    let parts = Parts::without(&off(&a.without));
    let (xray_on, logs_on) = (parts.has(Part::Xray), parts.has(Part::Logs));
    if !(xray_on || logs_on) {
        return Err(Error::Usage(
            "nothing to export: both xray and logs are left out".into(),
        ));
    }
    let specs = cloud_specs(
        a.insights,
        a.cli_input_json.as_deref(),
        &a.log_groups,
        a.retention_days,
        a.class.map(Into::into),
        a.kms_key_id.clone(),
    )?;
    let log_groups = if logs_on {
        specs.log_groups
    } else {
        Vec::new()
    };
    let names: Vec<String> = log_groups.iter().map(|g| g.name.clone()).collect();
    let iam_policy = a
        .iam_policy
        .then(|| crate::iam::app_policy(xray_on, &names, None, None));
    Ok(ExportSettings {
        format,
        input: crate::export::ExportInput {
            service_name: specs.rule.rule.service_name.clone(),
            group: xray_on.then_some(specs.group),
            rule: xray_on.then_some(specs.rule),
            log_groups,
            iam_policy,
            template_file: a.out.as_ref().map_or_else(
                || crate::export::TEMPLATE_FILE.to_string(),
                |p| p.display().to_string(),
            ),
        },
        out: a.out,
        import,
        import_file,
    })
}

fn compose_settings(a: &ComposeArgs, notes: &mut Vec<String>) -> Result<ComposeSettings, Error> {
    logs::validate_name(&a.log_group)?;
    let found = locate(a.file.as_deref(), a.service.as_deref());
    let service = found.service.clone()?;
    let file = found.file.clone().ok_or(DiscoverError::NoFile)?;
    notes.extend(found.notes(&service));
    Ok(ComposeSettings {
        dev_env: dev_env(&file, a.dev_env.map(Into::into)),
        file,
        none_found: false,
        service: service.name().to_string(),
        parts: Parts::without(&off(&a.without)).minus(Parts::of(&[Part::App])),
        force: a.force,
        honeycomb_region: a.honeycomb_region.into(),
        via: a.via.into(),
        log_group: (!off(&a.without).contains(&Part::Logs)).then(|| a.log_group.clone()),
    })
}

/// The directory the repository's files are in: the compose file's.
pub(crate) fn repo_root(compose_file: &Path) -> &Path {
    compose_file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The devcontainer.json of the repository (`.devcontainer.json` if that is the
/// one there, else `.devcontainer/devcontainer.json`).
/// Beside a compose file in the current directory, the path has no `./` (as
/// `devcontainer write` names it).
pub(crate) fn devcontainer_path(compose_file: &Path) -> std::path::PathBuf {
    let beside = |rel: &Path| match compose_file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(rel),
        _ => rel.to_path_buf(),
    };
    let flat = beside(Path::new(".devcontainer.json"));
    if flat.exists() {
        flat
    } else {
        beside(Path::new(".devcontainer/devcontainer.json"))
    }
}

/// `--dev-env`, else what the repository and the environment say.
fn dev_env(compose_file: &Path, given: Option<crate::devenv::DevEnv>) -> crate::devenv::Detected {
    use crate::devenv::{detect, Detected, Signals};
    if let Some(env) = given {
        return Detected {
            env,
            reason: "--dev-env".into(),
        };
    }
    let root = repo_root(compose_file);
    detect(&Signals {
        gitpod_file: root.join(".gitpod.yml").exists(),
        devcontainer_file: devcontainer_path(compose_file).exists(),
        // Values only: the course's files keep the other environment's URLs in comments.
        // Read like every input (regular files only, capped): a FIFO never blocks.
        compose_text: crate::files::read(compose_file)
            .ok()
            .flatten()
            .and_then(|t| crate::compose::parse_strict(&t, "").ok())
            .map(|v| v.to_string()),
        in_gitpod: std::env::var_os("GITPOD_WORKSPACE_ID").is_some(),
        in_codespaces: std::env::var("CODESPACES").is_ok_and(|v| v == "true"),
    })
}

/// Honeycomb's region is `--honeycomb-region`; the global `--region` is AWS's only.
fn honeycomb_settings(a: &HoneycombArgs, timeout: f64) -> Result<HoneycombSettings, Error> {
    let region = a.honeycomb_region.map(Region::from);
    let key = a
        .api_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(honeycomb::check_key_text)
        .transpose()?;
    Ok(HoneycombSettings {
        key,
        region,
        endpoints: honeycomb::endpoints(a.api_endpoint.as_deref(), a.api_endpoint_eu.as_deref())?,
        timeout: Duration::from_secs_f64(timeout),
    })
}

fn xray_action(command: XrayCommand) -> Result<Action, Error> {
    Ok(match command {
        XrayCommand::CreateGroup(a) => Action::XrayCreateGroup(xray::group_spec(
            &a.name,
            &a.filter_expression,
            a.insights,
            &a.tags,
        )?),
        XrayCommand::CreateSamplingRule(r) => Action::XrayCreateRule(load_rule(&r)?),
        XrayCommand::Status { group, rule } => Action::XrayStatus(
            xray::group_spec(
                &group.name,
                &group.filter_expression,
                group.insights,
                &group.tags,
            )?,
            load_rule(&rule)?,
        ),
        XrayCommand::Delete {
            group_name,
            rule_name,
        } => {
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
    })
}

fn logs_action(command: LogsCommand) -> Result<Action, Error> {
    Ok(match command {
        LogsCommand::CreateGroup(a) => Action::LogsCreate(log_specs(&a)?),
        LogsCommand::Status(a) => Action::LogsStatus(log_specs(&a)?),
        LogsCommand::Delete { names } => Action::LogsDelete(logs::names_or_default(&names)?),
    })
}

/// The bundled rule, or the `--cli-input-json` file (awscli's `file://` prefix accepted).
fn load_rule(args: &RuleArgs) -> Result<RuleSpec, Error> {
    let Some(arg) = &args.cli_input_json else {
        return Ok(xray::bundled_rule());
    };
    let path = Path::new(arg.strip_prefix("file://").unwrap_or(arg));
    if path.as_os_str().is_empty() {
        return Err(Error::Usage(format!(
            "--cli-input-json {arg:?} names no file: the path is empty"
        )));
    }
    let text = match crate::files::read(path) {
        Ok(Some(text)) => text,
        Ok(None) => {
            return Err(Error::ReadFile {
                path: path.to_path_buf(),
                // The system's own words ("No such file or directory").
                source: std::fs::metadata(path)
                    .err()
                    .unwrap_or_else(|| std::io::ErrorKind::NotFound.into()),
            });
        }
        Err(crate::files::FileError::Read { source, .. }) => {
            return Err(Error::ReadFile {
                path: path.to_path_buf(),
                source,
            })
        }
        Err(e) => return Err(e.into()),
    };
    Ok(xray::parse_rule(&text, &path.display().to_string())?)
}

fn log_specs(a: &LogGroupArgs) -> Result<Vec<LogGroupSpec>, Error> {
    Ok(logs::group_specs(
        &a.names,
        a.retention_days,
        a.class.map(Into::into),
        a.kms_key_id.clone(),
        &a.tags,
    )?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_part_named_on_the_command_line_is_that_part() {
        use clap::ValueEnum as _;
        for arg in super::PartArg::value_variants() {
            let name = arg.to_possible_value().map(|v| v.get_name().to_string());
            let part = super::off(&[*arg])[0];
            assert_eq!(name.as_deref(), Some(part.name()));
        }
    }
}
