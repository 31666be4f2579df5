//! `init`, `plan`, `status` and `destroy`: the whole week-2 setup. They only
//! compose the per-system planners and edges (X-Ray, CloudWatch Logs, Honeycomb,
//! the compose and Gitpod files): read everything concurrently, show one plan,
//! ask once, apply concurrently. A part that fails is reported and does not stop
//! the others; running again converges.

use std::fmt;

use futures_util::future::{join_all, try_join_all};
use serde::Serialize;

use crate::aws::{Aws, AwsError};
use crate::config::{Config, SetupMode, SetupSettings};
use crate::error::{exit, Error};
use crate::files::{FileReport, PlannedFile};
use crate::honeycomb::api::HoneycombApi;
use crate::honeycomb::KeyReport;
use crate::logs::api::LogsApi;
use crate::logs::LogGroupSpec;
use crate::parts::Part;
use crate::plan::{Outcome, Planned as _, Step};
use crate::resource::{self, Planned, Target};
use crate::secret::Secret;
use crate::xray::api::XrayApi;
use crate::{compose, ui, workspace, xray};

/// A part that failed, and what to do about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    pub part: String,
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip)]
    pub exit_code: u8,
}

impl Failure {
    fn new(part: &str, error: Error) -> Failure {
        Failure {
            part: part.to_string(),
            error: error.to_string(),
            help: error.help(),
            exit_code: error.exit_code(),
        }
    }
}

/// One status check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    /// Passes, but deserves attention (shown as `!`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub warning: bool,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Check {
    fn new(name: &str, ok: bool, detail: impl Into<String>, hint: Option<&str>) -> Check {
        Check {
            name: name.to_string(),
            ok,
            warning: false,
            detail: detail.into(),
            hint: (!ok).then(|| hint.map(str::to_string)).flatten(),
        }
    }

    fn warn(name: &str, detail: impl Into<String>) -> Check {
        Check {
            warning: true,
            ..Check::new(name, true, detail, None)
        }
    }
}

/// The result of `init`, `plan`, `status` or `destroy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetupReport {
    pub command: &'static str,
    /// The dev environment the files are written for, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dev_environment: Option<crate::devenv::Detected>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub honeycomb: Option<KeyReport>,
    pub cloud: Vec<Outcome>,
    pub files: Vec<FileReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    pub failures: Vec<Failure>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub next_steps: Vec<String>,
    /// The board part (with a configuration key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub board: Option<crate::honeycomb::board::BoardReport>,
    /// The Rollbar token check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollbar: Option<crate::rollbar::TokenReport>,
    /// What `destroy` removed of the board part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub board_removed: Option<crate::honeycomb::board::DestroyReport>,
}

impl SetupReport {
    fn pending(&self) -> bool {
        self.cloud.iter().any(|o| o.status.is_pending())
            || self.files.iter().any(FileReport::is_pending)
            || self
                .board
                .as_ref()
                .is_some_and(|b| !b.applied && b.plan.writes() > 0)
    }

    /// The exit code: failures first (credentials 4, input 2, else 1), then work left (3).
    fn exit_code(&self) -> u8 {
        let codes: Vec<u8> = self.failures.iter().map(|f| f.exit_code).collect();
        if codes.contains(&exit::AUTH) {
            exit::AUTH
        } else if codes.contains(&exit::BAD_INPUT) {
            exit::BAD_INPUT
        } else if !codes.is_empty() {
            exit::FAILURE
        } else if !self.checks.is_empty() {
            if self.checks.iter().all(|c| c.ok) {
                exit::OK
            } else {
                exit::FAILURE
            }
        } else if self.pending() {
            exit::PENDING
        } else {
            exit::OK
        }
    }
}

impl fmt::Display for SetupReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines: Vec<String> = Vec::new();
        if !self.checks.is_empty() {
            for c in &self.checks {
                let mark = match (c.ok, c.warning) {
                    (true, false) => "✓",
                    (true, true) => "!",
                    (false, _) => "✗",
                };
                lines.push(format!("{mark} {}: {}", c.name, c.detail));
                if let Some(hint) = &c.hint {
                    lines.push(format!("    hint: {hint}"));
                }
            }
        } else {
            if let Some(d) = &self.dev_environment {
                lines.push(format!("dev environment: {} ({})", d.env.label(), d.reason));
            }
            if let Some(hc) = &self.honeycomb {
                let env = hc
                    .environment
                    .as_ref()
                    .map_or_else(|| "Classic".to_string(), |e| e.slug.clone());
                lines.push(format!(
                    "Honeycomb: {} accepted in {} (team {}, environment {}), can send traces: {}",
                    hc.key,
                    hc.region.label(),
                    hc.team.slug,
                    env,
                    if hc.can_send_traces { "yes" } else { "no" }
                ));
            }
            lines.extend(self.cloud.iter().map(ToString::to_string));
            lines.extend(self.files.iter().map(|r| {
                let mut r = r.clone();
                r.next_steps.clear();
                r.to_string()
            }));
            if let Some(b) = &self.board {
                lines.push(b.to_string());
            }
            if let Some(r) = &self.rollbar {
                lines.push(format!(
                    "Rollbar: token {} valid, can post server items: {}",
                    r.token,
                    match r.can_post_server_items {
                        Some(true) => "yes",
                        Some(false) => "no",
                        None => "not verifiable without sending (rollbar send-test-item proves it)",
                    }
                ));
            }
            if let Some(b) = &self.board_removed {
                lines.push(b.to_string());
            }
        }
        for failure in &self.failures {
            lines.push(format!("failed: {}: {}", failure.part, failure.error));
            if let Some(help) = &failure.help {
                lines.push(format!("    help: {help}"));
            }
        }
        if !self.next_steps.is_empty() {
            lines.push("next steps:".into());
            lines.extend(self.next_steps.iter().map(|s| format!("    {s}")));
        }
        write!(f, "{}", lines.join("\n"))
    }
}

/// Everything read and planned, before anything is applied.
struct Reading {
    /// The Rollbar token check (a token was given and Rollbar is chosen).
    rollbar: Option<crate::rollbar::TokenReport>,
    /// The board part's plan (read with a dry run), and its API.
    board: Option<(
        crate::honeycomb::board::BoardApi,
        crate::honeycomb::board::BoardReport,
    )>,
    aws: Option<Aws>,
    honeycomb: Option<KeyReport>,
    xray: Vec<Planned<xray::ops::Object>>,
    logs: Vec<Planned<LogGroupSpec>>,
    files: Vec<PlannedFile>,
    failures: Vec<Failure>,
}

/// Reads every part concurrently. Failures are collected, not returned.
async fn read_all(
    config: &Config,
    s: &SetupSettings,
    mode: SetupMode,
    key: Option<Secret>,
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
            (Some(key), true) => {
                let api = HoneycombApi::new(s.honeycomb.timeout);
                Some(
                    api.check(key, s.honeycomb.region, &s.honeycomb.endpoints)
                        .await,
                )
            }
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
    let (honeycomb, xray, logs) = ui::spin("reading Honeycomb, X-Ray and CloudWatch Logs", async {
        tokio::join!(honeycomb, xray, logs)
    })
    .await;

    let honeycomb = match honeycomb {
        Some(Ok(report)) => Some(report),
        Some(Err(e)) => {
            failures.push(Failure::new("Honeycomb", e.into()));
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
    if !destroying {
        let mut compose_settings = s.compose.clone();
        if let Some(hc) = &honeycomb {
            compose_settings.honeycomb_region = hc.region;
        }
        let region = aws.as_ref().map(|a| a.region.clone());
        match region {
            Some(region) => {
                match workspace::compose_file(&compose_settings, &region) {
                    Ok(f) => files.push(f),
                    Err(e) => failures.push(Failure::new("docker-compose.yml", e)),
                }
                match workspace::collector_file(&compose_settings, &region) {
                    Ok(f) => files.extend(f),
                    Err(e) => failures.push(Failure::new(crate::collector::CONFIG_FILE, e)),
                }
            }
            None if s.parts.has(Part::Xray) => {}
            None => match workspace::compose_file(&compose_settings, "") {
                Ok(f) => files.push(f),
                Err(e) => failures.push(Failure::new("docker-compose.yml", e)),
            },
        }
        let env = s.compose.dev_env.env;
        if env.gitpod() {
            match workspace::gitpod_file(&s.gitpod) {
                Ok(f) => files.push(f),
                Err(e) => failures.push(Failure::new(".gitpod.yml", e)),
            }
        }
        if env.codespaces() {
            let path = crate::config::devcontainer_path(&s.compose.file);
            match workspace::devcontainer_file(&path, s.parts) {
                Ok(f) => files.push(f),
                Err(e) => failures.push(Failure::new("devcontainer.json", e)),
            }
        }
        if s.parts.has(Part::App) {
            // A repository without the backend's code here (only the compose
            // file) has nothing to instrument: that is not a failure.
            match workspace::app_files(&s.app) {
                Ok(f) => files.extend(f),
                Err(Error::MissingFile { .. }) => {}
                Err(Error::Usage(m)) if m.contains("no build: context") => {}
                Err(e) => failures.push(Failure::new("app", e)),
            }
        }
    }
    let board = match &s.board {
        Some(b) => match read_board(b).await {
            Ok(found) => Some(found),
            Err(e) => {
                failures.push(Failure::new("Honeycomb board", e));
                None
            }
        },
        None => None,
    };
    let rollbar = match (&s.rollbar, destroying) {
        (Some(r), false) => match check_rollbar(r).await {
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
        failures,
    }
}

/// The board part: what `honeycomb board --dry-run` would say.
async fn read_board(
    b: &crate::config::BoardSettings,
) -> Result<
    (
        crate::honeycomb::board::BoardApi,
        crate::honeycomb::board::BoardReport,
    ),
    Error,
> {
    use crate::honeycomb::board;
    let http = crate::http::HttpClient::new(b.timeout, b.timeout)
        .map_err(|e| Error::Http(e.to_string()))?;
    let key = b.key.clone().ok_or(crate::honeycomb::InputError::NoKey)?;
    let api = board::BoardApi::new(http, b.base.clone(), key);
    let report = board::ensure(&api, &board::desired(&b.name, &b.dataset), true).await?;
    Ok((api, report))
}

/// The Rollbar token check; a token that cannot post server items fails.
async fn check_rollbar(
    r: &crate::config::RollbarSettings,
) -> Result<crate::rollbar::TokenReport, Error> {
    let http = crate::http::HttpClient::new(r.timeout, r.timeout)
        .map_err(|e| Error::Http(e.to_string()))?;
    let token = r
        .token
        .clone()
        .ok_or_else(|| Error::Usage("no Rollbar access token".into()))?;
    let report = crate::rollbar::check(&http, &r.base, &token).await?;
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
fn board_is_ours(report: &crate::honeycomb::board::BoardReport) -> bool {
    use crate::honeycomb::board::BoardOutcome;
    matches!(
        report.plan.outcome,
        BoardOutcome::InSync { .. } | BoardOutcome::Update { .. }
    )
}

/// The Honeycomb key for init/plan/status: flag or env, else a hidden prompt
/// (asked again while Honeycomb rejects it).
async fn honeycomb_key(
    config: &Config,
    s: &SetupSettings,
    mode: SetupMode,
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
    let api = HoneycombApi::new(s.honeycomb.timeout);
    for _ in 0..3 {
        let Some(key) = ui::ask_secret(
            &config.ui,
            "Honeycomb API key (Environment settings → API keys)",
        )?
        else {
            return Ok(None);
        };
        let key = crate::honeycomb::check_key_text(key.expose())?;
        match api
            .check(&key, s.honeycomb.region, &s.honeycomb.endpoints)
            .await
        {
            Err(e) if e.is_auth() => crate::ui::err(&format!("{e}; try again")),
            _ => return Ok(Some(key)),
        }
    }
    Ok(None)
}

fn next_steps(report: &SetupReport, planned_files: &[FileReport]) -> Vec<String> {
    // boto3 in the app reads AWS_DEFAULT_REGION: it must be the region used here.
    let region_step = |step: &String| match &report.region {
        Some(region) if step == "gp env AWS_DEFAULT_REGION=<value>" => {
            format!("gp env AWS_DEFAULT_REGION={region}")
        }
        _ => step.clone(),
    };
    let mut steps: Vec<String> = planned_files
        .iter()
        .flat_map(|f| f.next_steps.iter().map(region_step))
        .collect();
    steps.push("docker compose up --build".into());
    if let Some(hc) = &report.honeycomb {
        let ui = hc.region.ui();
        steps.push(match &hc.environment {
            Some(env) => format!("Honeycomb: {ui}/{}/environments/{}", hc.team.slug, env.slug),
            None => format!("Honeycomb: {ui}/{}", hc.team.slug),
        });
    }
    if let Some(region) = &report.region {
        steps.push(format!(
            "X-Ray traces: https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#xray:traces/query"
        ));
    }
    steps
}

/// Runs `init`, `plan`, `status` or `destroy`; returns the exit code.
pub async fn run(config: &Config, s: &SetupSettings, mode: SetupMode) -> Result<u8, Error> {
    let mut early = Vec::new();
    let key = match honeycomb_key(config, s, mode).await {
        Ok(Some(key)) => Some(key),
        Ok(None) if s.parts.has(Part::Honeycomb) && mode != SetupMode::Destroy => {
            early.push(Failure::new(
                "Honeycomb",
                crate::honeycomb::InputError::NoKey.into(),
            ));
            None
        }
        Ok(None) => None,
        Err(e) => return Err(e),
    };
    let mut reading = read_all(config, s, mode, key).await;
    reading.failures.splice(0..0, early);
    let region = reading.aws.as_ref().map(|a| a.region.clone());
    let command = match mode {
        SetupMode::Init => "init",
        SetupMode::Plan => "plan",
        SetupMode::Status => "status",
        SetupMode::Destroy => "destroy",
    };
    let mut report = SetupReport {
        command,
        dev_environment: (mode != SetupMode::Destroy).then(|| s.compose.dev_env.clone()),
        region: region.clone(),
        honeycomb: reading.honeycomb.clone(),
        cloud: Vec::new(),
        files: Vec::new(),
        checks: Vec::new(),
        failures: reading.failures.clone(),
        next_steps: Vec::new(),
        board: (mode != SetupMode::Destroy)
            .then(|| reading.board.as_ref().map(|(_, r)| r.clone()))
            .flatten(),
        board_removed: None,
        rollbar: reading.rollbar.clone(),
    };
    if mode == SetupMode::Status {
        report.checks = checks(s, &reading).await;
        report.failures.clear();
        ui::emit(&config.ui, &report);
        return Ok(report.exit_code());
    }

    let cloud = |dry_run: bool| -> Vec<Outcome> {
        reading
            .xray
            .iter()
            .map(|p| p.unapplied(dry_run))
            .chain(reading.logs.iter().map(|p| p.unapplied(dry_run)))
            .collect()
    };
    let preview_cloud = cloud(true);
    let preview_files: Vec<FileReport> = reading
        .files
        .iter()
        .cloned()
        .map(|f| f.unapplied(false))
        .collect();
    let applicable = |step: &Step| step.is_pending() && !matches!(step, Step::Conflict { .. });
    let work = reading.xray.iter().any(|p| applicable(&p.step))
        || reading.logs.iter().any(|p| applicable(&p.step))
        || reading.files.iter().any(PlannedFile::changes)
        || reading.board.as_ref().is_some_and(|(_, b)| match mode {
            SetupMode::Destroy => board_is_ours(b),
            _ => b.plan.writes() > 0,
        });

    // `plan`, `--dry-run`, or nothing to do: report and stop.
    if mode == SetupMode::Plan || config.ui.dry_run || !work {
        report.cloud = preview_cloud;
        report.files = preview_files;
        if mode == SetupMode::Init {
            report.next_steps = next_steps(&report, &report.files.clone());
        }
        ui::emit(&config.ui, &report);
        return Ok(report.exit_code());
    }

    // One plan, one question.
    let plan = SetupReport {
        cloud: preview_cloud,
        files: preview_files.clone(),
        honeycomb: None,
        failures: Vec::new(),
        next_steps: Vec::new(),
        ..report.clone()
    };
    if !config.ui.yes && !config.ui.interactive {
        let what = match config.ui.output {
            crate::cli::OutputFormat::Text => format!("{command} (the plan above)"),
            crate::cli::OutputFormat::Json => format!("{command} (the plan in \"report\")"),
        };
        return Err(Error::partial(&plan, Error::NeedsConfirmation { what }));
    }
    ui::err(&plan.to_string());
    let agreed = ui::agree(&config.ui, command, "Apply this plan?")?;
    if !agreed {
        report.cloud = cloud(false);
        report.files = reading
            .files
            .into_iter()
            .map(|f| f.unapplied(true))
            .collect();
        ui::emit(&config.ui, &report);
        return Ok(exit::PENDING);
    }

    // Apply everything concurrently.
    let aws = reading.aws.clone();
    let xray_api = aws.as_ref().map(XrayApi::new);
    let logs_api = aws.as_ref().map(LogsApi::new);
    let xray_apply = async {
        match &xray_api {
            Some(api) => {
                join_all(
                    reading
                        .xray
                        .into_iter()
                        .map(|p| resource::apply(api, p, true)),
                )
                .await
            }
            None => Vec::new(),
        }
    };
    let logs_apply = async {
        match &logs_api {
            Some(api) => {
                join_all(
                    reading
                        .logs
                        .into_iter()
                        .map(|p| resource::apply(api, p, true)),
                )
                .await
            }
            None => Vec::new(),
        }
    };
    let files_apply = async {
        reading
            .files
            .into_iter()
            .map(PlannedFile::apply)
            .collect::<Vec<_>>()
    };
    let board_apply = async {
        use crate::honeycomb::board;
        let (api, found) = reading.board.as_ref()?;
        let desired = board::desired(&found.plan.board, &found.plan.dataset);
        Some(match mode {
            SetupMode::Destroy => board::destroy(api, &desired).await.map(Err),
            _ => board::ensure(api, &desired, false).await.map(Ok),
        })
    };
    let (xray_results, logs_results, file_results, board_result) =
        ui::spin("applying the plan", async {
            tokio::join!(xray_apply, logs_apply, files_apply, board_apply)
        })
        .await;
    match board_result {
        Some(Ok(Ok(made))) => report.board = Some(made),
        Some(Ok(Err(removed))) => report.board_removed = Some(removed),
        Some(Err(e)) => report
            .failures
            .push(Failure::new("Honeycomb board", e.into())),
        None => {}
    }
    for (part, results) in [("X-Ray", xray_results), ("CloudWatch Logs", logs_results)] {
        for result in results {
            match result {
                Ok(outcome) => report.cloud.push(outcome),
                Err(e) => report.failures.push(Failure::new(part, e.into())),
            }
        }
    }
    for result in file_results {
        match result {
            Ok(mut file) => {
                if config.ui.output == crate::cli::OutputFormat::Text {
                    file.diff = None;
                }
                report.files.push(file)
            }
            Err(e) => report.failures.push(Failure::new("files", e.into())),
        }
    }
    if mode == SetupMode::Init {
        report.next_steps = next_steps(&report, &preview_files);
    }
    ui::emit(&config.ui, &report);
    Ok(report.exit_code())
}

/// `status`: one check per thing that must be true.
async fn checks(s: &SetupSettings, r: &Reading) -> Vec<Check> {
    let mut checks = Vec::new();
    let rerun = Some("run `cruddur-obs init`");
    match &r.aws {
        _ if !(s.parts.aws()) => {}
        Some(aws) => {
            let sts = aws_sdk_sts::Client::new(&aws.sdk);
            match sts.get_caller_identity().send().await {
                Ok(id) => checks.push(Check::new(
                    "AWS credentials",
                    true,
                    format!("account {} in {}", id.account().unwrap_or("?"), aws.region),
                    None,
                )),
                Err(e) => {
                    let err = AwsError::from_sdk("GetCallerIdentity", aws.endpoint_label("STS"), e);
                    checks.push(Check::new(
                        "AWS credentials",
                        false,
                        err.to_string(),
                        err.help().as_deref(),
                    ));
                }
            }
        }
        None => checks.push(Check::new(
            "AWS credentials",
            false,
            "no AWS configuration",
            Some("pass --region or set AWS_REGION, and set credentials"),
        )),
    }
    for failure in &r.failures {
        checks.push(Check::new(
            &failure.part,
            false,
            failure.error.clone(),
            failure.help.as_deref(),
        ));
    }
    for p in &r.xray {
        let o = p.unapplied(false);
        checks.push(Check::new(
            &format!("{} {}", o.kind, o.name),
            p.step == Step::InSync,
            status_detail(&o),
            rerun,
        ));
    }
    for p in &r.logs {
        let o = p.unapplied(false);
        checks.push(Check::new(
            &format!("{} {}", o.kind, o.name),
            p.step == Step::InSync,
            status_detail(&o),
            rerun,
        ));
    }
    if let Some(hc) = &r.honeycomb {
        checks.push(Check::new(
            "Honeycomb key",
            hc.can_send_traces,
            format!(
                "{} in {}, can send traces: {}",
                hc.key,
                hc.region.label(),
                if hc.can_send_traces { "yes" } else { "no" }
            ),
            Some("create an ingest key with Send Events"),
        ));
    }
    if s.parts.has(Part::Rollbar) {
        match (&r.rollbar, &s.rollbar) {
            (Some(t), _) => checks.push(Check::new(
                "Rollbar token",
                true,
                format!(
                    "{} valid, can post server items: {}",
                    t.token,
                    match t.can_post_server_items {
                        Some(true) => "yes",
                        _ => "not verifiable without sending",
                    }
                ),
                None,
            )),
            // A failed check is among the failures, listed above.
            (None, Some(_)) => {}
            (None, None) => checks.push(Check::warn(
                "Rollbar token",
                "ROLLBAR_ACCESS_TOKEN is not set here: not checked (the app reads it from the environment docker compose passes)",
            )),
        }
    }
    if let Some((_, b)) = &r.board {
        let writes = b.plan.writes();
        checks.push(Check::new(
            &format!("Honeycomb board {}", b.plan.board),
            writes == 0,
            if writes == 0 {
                "in sync".to_string()
            } else {
                format!("{writes} changes pending")
            },
            Some("run `cruddur-obs honeycomb board` (or init with HONEYCOMB_CONFIG_KEY)"),
        ));
    }
    for f in &r.files {
        let rep = &f.report;
        let complete = rep.changes.is_empty() && rep.conflicts.is_empty();
        let detail = if complete {
            "all entries present".to_string()
        } else {
            let mut missing: Vec<String> = rep.changes.clone();
            missing.extend(rep.conflicts.iter().map(ToString::to_string));
            format!("missing or different: {}", missing.join(", "))
        };
        checks.push(Check::new(&rep.file, complete, detail, rerun));
        for note in &rep.notes {
            checks.push(Check::new(
                &rep.file,
                false,
                note.clone(),
                Some("fix it by hand"),
            ));
        }
    }
    if let Some(compose) = r.files.iter().find(|f| f.path == s.compose.file) {
        let text = compose.old.as_deref().unwrap_or_default();
        checks.extend(tracing_checks(s, r, text));
        checks.extend(app_region_check(s, r, text));
        let env = s.compose.dev_env.env;
        let values = compose::parse_strict(text, "")
            .map(|v| v.to_string())
            .unwrap_or_default();
        match crate::devenv::foreign_urls(env, &values) {
            Some(problem) => checks.push(Check::new(
                "dev environment URLs",
                false,
                problem,
                Some("rewrite FRONTEND_URL/BACKEND_URL/AWS_XRAY_URL for this environment, or pass --dev-env"),
            )),
            None => checks.push(Check::new(
                "dev environment",
                true,
                format!("{} ({})", env.label(), s.compose.dev_env.reason),
                None,
            )),
        }
    }
    {
        if let Some(compose) = r.files.iter().find(|f| f.path == s.compose.file) {
            for mistake in compose::mistakes(compose.old.as_deref().unwrap_or_default()) {
                checks.push(Check::new(
                    &compose.report.file,
                    false,
                    mistake,
                    Some("fix it by hand"),
                ));
            }
        }
    }
    checks
}

/// boto3 in the app (watchtower's log calls) reads `AWS_DEFAULT_REGION`: it must
/// be the region that was set up. It is resolved as `docker compose up` in this
/// shell would resolve it: from the environment, then from `.env` beside the
/// compose file.
fn app_region_check(s: &SetupSettings, r: &Reading, compose_text: &str) -> Option<Check> {
    const KEY: &str = "AWS_DEFAULT_REGION";
    let aws = r.aws.as_ref()?;
    if !(s.parts.aws()) {
        return None;
    }
    let raw = compose::service_env(compose_text, &s.compose.service, KEY)?
        .unwrap_or_else(|| format!("${{{KEY}}}"));
    let dotenv_path = s
        .compose
        .file
        .parent()
        .map(|p| p.join(".env"))
        .unwrap_or_else(|| ".env".into());
    // Read as any input file is (a regular file, capped): a FIFO never blocks.
    let dotenv_text = crate::files::read(&dotenv_path)
        .ok()
        .flatten()
        .unwrap_or_default();
    let dotenv: Vec<(String, String)> = dotenvy::from_read_iter(dotenv_text.as_bytes())
        .filter_map(Result::ok)
        .collect();
    let resolved = compose::interpolate(&raw, |name| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .map(|v| (v, "this shell".to_string()))
            .or_else(|| {
                dotenv
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| (v.clone(), dotenv_path.display().to_string()))
            })
    });
    let name = format!("{} {KEY}", s.compose.service);
    let hint = format!("export {KEY}={0} (on Gitpod: gp env {KEY}={0})", aws.region);
    let origin = if resolved.sources.is_empty() {
        format!("written in {}", s.compose.file.display())
    } else {
        format!("from {}", resolved.sources.join(" and "))
    };
    Some(if resolved.value.is_empty() {
        Check::new(
            &name,
            false,
            format!(
                "{raw} is not set in this shell or in {}: docker compose would pass it empty and boto3 would have no region",
                dotenv_path.display()
            ),
            Some(&hint),
        )
    } else if resolved.value == aws.region {
        Check::new(
            &name,
            true,
            format!("{} ({origin}), the region set up", resolved.value),
            None,
        )
    } else {
        Check::new(
            &name,
            false,
            format!(
                "{} ({origin}), but the region set up is {}",
                resolved.value, aws.region
            ),
            Some(&hint),
        )
    })
}

/// The daemon's end of support, and the collector's config and region.
fn tracing_checks(s: &SetupSettings, r: &Reading, compose_text: &str) -> Vec<Check> {
    use crate::collector;
    let mut checks = Vec::new();
    let doc: serde_json::Value = serde_saphyr::from_str(compose_text).unwrap_or_default();
    let services = &doc["services"];
    if services.get(compose::DAEMON_SERVICE).is_some() {
        checks.push(Check::warn(
            "X-Ray daemon",
            format!(
                "in use; AWS put it in maintenance mode, and its support ends on {}: `cruddur-obs init --via collector` switches to OpenTelemetry",
                collector::DAEMON_END_OF_SUPPORT
            ),
        ));
    }
    let path = s
        .compose
        .file
        .parent()
        .map(|p| p.join(collector::CONFIG_FILE))
        .unwrap_or_else(|| collector::CONFIG_FILE.into());
    let label = path.display().to_string();
    if services.get(collector::SERVICE).is_none()
        && s.compose.via == compose::Via::Daemon
        && path.exists()
    {
        checks.push(Check::warn(
            &label,
            format!(
                "not used: no {} service mounts it; delete it if you went back to the daemon for good",
                collector::SERVICE
            ),
        ));
    }
    if services.get(collector::SERVICE).is_some() || s.compose.via == compose::Via::Collector {
        match crate::files::read(&path) {
            Ok(Some(text)) => {
                let problems = collector::validate(&text);
                let detail = if problems.is_empty() {
                    "valid for ADOT ".to_string() + collector::ADOT_VERSION
                } else {
                    problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                checks.push(Check::new(
                    &label,
                    problems.is_empty(),
                    detail,
                    Some("fix the lines named, or run `cruddur-obs init --via collector --force`"),
                ));
                if let (Some(region), Some(aws)) = (collector::exporter_region(&text), &r.aws) {
                    if !region.starts_with("${") {
                        checks.push(Check::new(
                            "collector region",
                            region == aws.region,
                            format!(
                                "the awsxray exporter sends to {region}; the X-Ray group is in {}",
                                aws.region
                            ),
                            Some("use the same region for both"),
                        ));
                    }
                }
            }
            Ok(None) => checks.push(Check::new(
                &label,
                false,
                "missing",
                Some("run `cruddur-obs init --via collector`"),
            )),
            Err(e) => checks.push(Check::new(&label, false, e.to_string(), None)),
        }
    }
    checks
}

fn status_detail(o: &Outcome) -> String {
    let mut text = o.to_string();
    if let Some((first, _)) = text.split_once('\n') {
        let changes: Vec<String> = o.changes.iter().map(ToString::to_string).collect();
        text = format!("{first}: {}", changes.join(", "));
    }
    text.split_once(": ")
        .map_or(text.clone(), |(_, rest)| rest.to_string())
}
