//! The one place the whole setup reads from: the cloud (X-Ray, CloudWatch Logs,
//! STS), Honeycomb, Rollbar, the files, `.env` and this shell, all concurrently.
//! Failures are collected per part, not returned.

use super::*;
use crate::http::{ClientInitError, HttpClient};

/// Everything read and planned, before anything is applied.
pub(super) struct Reading {
    /// The Rollbar token check (a token was given and Rollbar is chosen).
    pub(super) rollbar: Option<crate::rollbar::TokenReport>,
    /// The board part's plan (read with a dry run), and its API.
    pub(super) board: Option<(
        crate::honeycomb::board::BoardApi,
        crate::honeycomb::board::BoardReport,
    )>,
    pub(super) aws: Option<Aws>,
    pub(super) honeycomb: Option<KeyReport>,
    pub(super) xray: Vec<Planned<xray::ops::Object>>,
    pub(super) logs: Vec<Planned<LogGroupSpec>>,
    pub(super) files: Vec<PlannedFile>,
    /// The headers the frontend's own requests send (its CORS needs).
    pub(super) frontend_sent: Vec<crate::frontend::cors::Sent>,
    pub(super) failures: Vec<Failure>,
}

/// Reads every part concurrently. Failures are collected, not returned.
pub(super) async fn read_all(
    config: &Config,
    s: &SetupSettings,
    mode: SetupMode,
    key: Option<Secret>,
    http: &Http,
) -> Reading {
    let mut failures = Vec::new();
    let destroying = mode == SetupMode::Destroy;
    // `destroy` removes only what carries our managed-by tag.
    fn target<R>(spec: R, destroying: bool) -> Target<R> {
        if destroying {
            Target::absent_if_ours(spec)
        } else {
            Target::present(spec)
        }
    }
    // Only the parts chosen are loaded: no AWS configuration without an AWS part.
    let aws = if s.parts.aws() {
        match Aws::load(&config.aws).await {
            Ok(aws) => Some(aws),
            Err(e) => {
                failures.push(Failure::new("AWS", e.into()));
                None
            }
        }
    } else {
        None
    };
    let xray_api = aws.as_ref().map(XrayApi::new);
    let logs_api = aws.as_ref().map(LogsApi::new);

    let honeycomb = async {
        match (&key, s.parts.has(Part::Honeycomb) && !destroying) {
            (Some(key), true) => Some(match client(http) {
                Ok(http) => HoneycombApi::new(http.clone())
                    .check(key, s.honeycomb.region, &s.honeycomb.endpoints)
                    .await
                    .map_err(Error::from),
                Err(e) => Err(e),
            }),
            _ => None,
        }
    };
    let xray = async {
        let api = xray_api.as_ref().filter(|_| s.parts.has(Part::Xray))?;
        let objects = [
            xray::ops::Object::Group(s.group.clone()),
            xray::ops::Object::Rule(Box::new(s.rule.clone())),
        ];
        Some(try_join_all(objects.map(|o| resource::plan(api, target(o, destroying)))).await)
    };
    let logs = async {
        let api = logs_api.as_ref().filter(|_| s.parts.has(Part::Logs))?;
        let targets = s.log_groups.iter().cloned().map(|g| target(g, destroying));
        Some(try_join_all(targets.map(|t| resource::plan(api, t))).await)
    };
    let (honeycomb, xray, logs) = config
        .ui
        .spin("reading Honeycomb, X-Ray and CloudWatch Logs", async {
            tokio::join!(honeycomb, xray, logs)
        })
        .await;

    let honeycomb = match honeycomb {
        Some(Ok(report)) => Some(report),
        Some(Err(e)) => {
            failures.push(Failure::new("Honeycomb", e));
            None
        }
        None => None,
    };
    let xray = match xray {
        Some(Ok(planned)) => planned,
        Some(Err(e)) => {
            failures.push(Failure::new("X-Ray", e.into()));
            Vec::new()
        }
        None => Vec::new(),
    };
    let logs = match logs {
        Some(Ok(planned)) => planned,
        Some(Err(e)) => {
            failures.push(Failure::new("CloudWatch Logs", e.into()));
            Vec::new()
        }
        None => Vec::new(),
    };

    let mut files = Vec::new();
    let mut frontend_sent = Vec::new();
    if !destroying {
        let mut compose_settings = s.compose.clone();
        if let Some(hc) = &honeycomb {
            compose_settings.honeycomb_region = hc.region;
        }
        let region = aws.as_ref().map(|a| a.region.clone());
        let compose_label = compose_settings.file.display().to_string();
        // No --file and none of the names docker compose looks for (the wizard
        // may have named one since): missing, with the names looked for.
        let none_found = compose_settings.none_found && !compose_settings.file.exists();
        match region {
            _ if none_found => failures.push(Failure::new(
                "compose file",
                crate::compose::discover::DiscoverError::NoFile.into(),
            )),
            Some(region) => {
                match project::compose_file(&compose_settings, &region) {
                    Ok(f) => files.push(f),
                    Err(e) => failures.push(Failure::new(&compose_label, e)),
                }
                match project::collector_file(&compose_settings, &region) {
                    Ok(f) => files.extend(f),
                    Err(e) => failures.push(Failure::new(crate::collector::CONFIG_FILE, e)),
                }
            }
            None if s.parts.has(Part::Xray) => {}
            None => match project::compose_file(&compose_settings, "") {
                Ok(f) => files.push(f),
                Err(e) => failures.push(Failure::new(&compose_label, e)),
            },
        }
        let env = s.compose.dev_env.env;
        if env.gitpod() {
            match project::gitpod_file(&s.gitpod) {
                Ok(f) => files.push(f),
                Err(e) => failures.push(Failure::new(".gitpod.yml", e)),
            }
        }
        if env.codespaces() {
            let path = crate::config::devcontainer_path(&s.compose.file);
            match project::devcontainer_file(&path, s.parts, s.gitpod.collector_port) {
                Ok(f) => files.push(f),
                Err(e) => failures.push(Failure::new("devcontainer.json", e)),
            }
        }
        if s.parts.has(Part::App) {
            // A repository without the backend's code here (only the compose
            // file) has nothing to instrument: that is not a failure.
            match project::app_files(&s.app) {
                Ok(f) => files.extend(f),
                Err(Error::MissingFile { .. }) => {}
                Err(Error::Usage(m)) if m.contains("no build: context") => {}
                Err(e) => failures.push(Failure::new("app", e)),
            }
        }
        if let Some(frontend) = &s.frontend {
            match project::frontend::frontend_plan(frontend) {
                Ok(plan) => {
                    frontend_sent.clone_from(&plan.sent);
                    project::frontend::merge_into(&mut files, plan);
                }
                Err(Error::MissingFile { .. }) => {}
                Err(e) => failures.push(Failure::new("frontend", e)),
            }
        }
        // With the collector, the compose file tells the frontend where it is.
        if let (Some(frontend), true) = (&s.frontend, s.gitpod.collector_port) {
            let set = files
                .iter_mut()
                .find(|f| f.path == s.compose.file)
                .is_some_and(|compose| {
                    project::frontend::add_collector_url(compose, frontend, s.compose.dev_env.env)
                });
            if set {
                project::frontend::drop_collector_step(&mut files);
            }
        }
    }
    let board = match &s.board {
        Some(b) => match read_board(b, http).await {
            Ok(found) => Some(found),
            Err(e) => {
                failures.push(Failure::new("Honeycomb board", e));
                None
            }
        },
        None => None,
    };
    let rollbar = match (&s.rollbar, destroying) {
        (Some(r), false) => match check_rollbar(r, http).await {
            Ok(report) => Some(report),
            Err(e) => {
                failures.push(Failure::new("Rollbar", e));
                None
            }
        },
        _ => None,
    };
    Reading {
        rollbar,
        board,
        aws,
        honeycomb,
        xray,
        logs,
        files,
        frontend_sent,
        failures,
    }
}

/// The run's one HTTP client, or why it could not be made.
pub(super) type Http = Result<HttpClient, ClientInitError>;

fn client(http: &Http) -> Result<&HttpClient, Error> {
    http.as_ref().map_err(|e| e.clone().into())
}

/// The board part: what `honeycomb board --dry-run` would say.
async fn read_board(
    b: &crate::config::BoardSettings,
    http: &Http,
) -> Result<
    (
        crate::honeycomb::board::BoardApi,
        crate::honeycomb::board::BoardReport,
    ),
    Error,
> {
    use crate::honeycomb::board;
    let key = b.key.clone().ok_or(crate::honeycomb::InputError::NoKey)?;
    let api = board::BoardApi::new(client(http)?.clone(), b.base.clone(), key);
    let report = board::ensure(&api, &board::desired(&b.name, &b.dataset), true).await?;
    Ok((api, report))
}

/// The Rollbar token check; a token that cannot post server items fails.
async fn check_rollbar(
    r: &crate::config::RollbarSettings,
    http: &Http,
) -> Result<crate::rollbar::TokenReport, Error> {
    let http = client(http)?;
    let token = r
        .token
        .clone()
        .ok_or_else(|| Error::Usage("no Rollbar access token".into()))?;
    let report = crate::rollbar::check(http, &r.base, &token).await?;
    if report.can_post_server_items == Some(false) {
        return Err(crate::rollbar::RollbarError::LacksScope {
            token: report.token.clone(),
            scope: "post_server_item".into(),
            has: report.scopes.clone(),
        }
        .into());
    }
    Ok(report)
}

/// Whether our board exists (for `destroy`).
pub(super) fn board_is_ours(report: &crate::honeycomb::board::BoardReport) -> bool {
    use crate::honeycomb::board::BoardOutcome;
    matches!(
        report.plan.outcome,
        BoardOutcome::InSync { .. } | BoardOutcome::Update { .. }
    )
}

/// The Honeycomb key for init/plan/status: flag or env, else a hidden prompt
/// (asked again while Honeycomb rejects it).
pub(super) async fn honeycomb_key(
    config: &Config,
    s: &SetupSettings,
    mode: SetupMode,
    http: &Http,
) -> Result<Option<Secret>, Error> {
    // `destroy` never uses the key: it removes only AWS resources.
    if !s.parts.has(Part::Honeycomb) || mode == SetupMode::Destroy {
        return Ok(None);
    }
    if let Some(key) = &s.honeycomb.key {
        return Ok(Some(key.clone()));
    }
    if config.ui.yes {
        return Ok(None);
    }
    let api = HoneycombApi::new(client(http)?.clone());
    for _ in 0..3 {
        let Some(key) = config
            .ui
            .ask_secret("Honeycomb API key (Environment settings → API keys)")?
        else {
            return Ok(None);
        };
        let key = crate::honeycomb::check_key_text(key.expose())?;
        match api
            .check(&key, s.honeycomb.region, &s.honeycomb.endpoints)
            .await
        {
            Err(e) if e.is_auth() => config.ui.say(&format!("{e}; try again")),
            _ => return Ok(Some(key)),
        }
    }
    Ok(None)
}

/// `status`: one check per thing that must be true.
/// What `status` looks at beyond the plan, read once from disk, this shell and
/// STS, so that [`checks()`] is a pure function of it and the [`Reading`].
pub(super) struct StatusInputs {
    /// GetCallerIdentity: the account, or the error and its help (with an AWS part).
    pub(super) identity: Option<Result<String, (String, Option<String>)>>,
    /// `.env` beside the compose file, and its variables.
    pub(super) dotenv_path: std::path::PathBuf,
    pub(super) dotenv: Vec<(String, String)>,
    /// This shell's non-empty variables (what `docker compose up` here would see first).
    pub(super) shell: std::collections::BTreeMap<String, String>,
    /// The collector config beside the compose file: its text (`None`: missing),
    /// or why it could not be read.
    pub(super) collector_path: std::path::PathBuf,
    pub(super) collector: Result<Option<String>, String>,
    /// The frontend's package-lock.json (with a frontend part), if readable.
    pub(super) frontend_lock: Option<String>,
}

pub(super) async fn read_status_inputs(s: &SetupSettings, r: &Reading) -> StatusInputs {
    let identity = match &r.aws {
        Some(aws) if s.parts.aws() => {
            let sts = aws_sdk_sts::Client::new(&aws.sdk);
            Some(match sts.get_caller_identity().send().await {
                Ok(id) => Ok(id.account().unwrap_or("?").to_string()),
                Err(e) => {
                    let err = AwsError::from_sdk("GetCallerIdentity", aws.endpoint_label("STS"), e);
                    Err((err.to_string(), err.help()))
                }
            })
        }
        _ => None,
    };
    let beside = |name: &str| {
        s.compose
            .file
            .parent()
            .map(|p| p.join(name))
            .unwrap_or_else(|| name.into())
    };
    let dotenv_path = beside(".env");
    let dotenv = crate::files::read_dotenv_or_warn(&dotenv_path)
        .into_iter()
        .collect();
    let shell = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let collector_path = beside(crate::collector::CONFIG_FILE);
    let collector = crate::files::read(&collector_path).map_err(|e| e.to_string());
    let frontend_lock = s.frontend.as_ref().and_then(|f| {
        crate::files::read(&f.dir.join("package-lock.json"))
            .ok()
            .flatten()
    });
    StatusInputs {
        identity,
        dotenv_path,
        dotenv,
        shell,
        collector_path,
        collector,
        frontend_lock,
    }
}
