//! One `execute` per command: load AWS config, read and plan every target
//! concurrently, show what needs agreement, ask once, apply concurrently, report.

use std::future::Future;
use std::io::IsTerminal;
use std::process::ExitCode;

use clap::CommandFactory;
use futures_util::future::{join_all, try_join_all};

use crate::aws::{Aws, AwsError};
use crate::cli::Cli;
use crate::config::{Action, ComposeSettings, Config, GitpodSettings, HoneycombSettings};
use crate::error::{self, exit, Error};
use crate::files::{FileError, FileReport, FileStatus, FilesReport, PlannedFile};
use crate::honeycomb::api::{HoneycombApi, HoneycombError};
use crate::honeycomb::SpanReport;
use crate::logs::api::LogsApi;
use crate::parts::Part;
use crate::plan::{Outcome, Planned, Report};
use crate::secret::Secret;
use crate::ui;
use crate::workspace;
use crate::xray::api::XrayApi;
use crate::{honeycomb, logs, xray};

/// Runs the parsed command line and returns the process exit code.
pub(crate) fn run(cli: Cli) -> ExitCode {
    let verbose = cli.global.verbose;
    let output = cli.global.output;
    init_logging(verbose);
    // Secrets the SDK reads by itself: never shown either.
    for name in ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
        if let Ok(value) = std::env::var(name) {
            ui::register_secret(&value);
        }
    }
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let result = Config::from_cli(cli, interactive).and_then(|config| execute(&config));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => error::report(&e, verbose, output),
    }
}

fn init_logging(verbose: u8) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let (others, ours) = match verbose {
        0 => (LevelFilter::ERROR, LevelFilter::WARN),
        1 => (LevelFilter::WARN, LevelFilter::WARN),
        2 => (LevelFilter::INFO, LevelFilter::DEBUG),
        _ => (LevelFilter::DEBUG, LevelFilter::DEBUG),
    };
    let filter = Targets::new()
        .with_default(others)
        .with_target("cruddur_obs", ours);
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_ansi(color)
        .with_writer(std::io::stderr)
        .without_time()
        .finish()
        .with(filter)
        .try_init();
}

/// Executes a validated configuration; returns the exit code.
pub(crate) fn execute(config: &Config) -> Result<u8, Error> {
    if let Action::Completions(shell) = &config.action {
        let mut cmd = Cli::command();
        let mut script = Vec::new();
        clap_complete::generate(*shell, &mut cmd, "cruddur-obs", &mut script);
        ui::out_bytes(&script);
        return Ok(exit::OK);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    runtime.block_on(execute_async(config))
}

async fn execute_async(config: &Config) -> Result<u8, Error> {
    use crate::resource::Target;
    use xray::ops::Object as X;
    match &config.action {
        Action::Setup(crate::config::SetupMode::Init, settings)
            if config.ui.interactive && !config.ui.yes =>
        {
            let mut aws = config.aws.clone();
            let settings = crate::wizard::ask((**settings).clone(), &mut aws).await?;
            let config = Config {
                aws,
                ..config.clone()
            };
            crate::setup::run(&config, &settings, crate::config::SetupMode::Init).await
        }
        Action::Setup(mode, settings) => crate::setup::run(config, settings, *mode).await,
        Action::ComposeWrite(settings) => compose_write(config, settings).await,
        Action::GitpodWrite(settings) => gitpod_write(config, settings).await,
        Action::HoneycombCheck(settings) => honeycomb_check(config, settings).await,
        Action::HoneycombSendTestSpan {
            settings,
            service,
            dataset,
        } => honeycomb_send_test_span(config, settings, service, dataset.as_deref()).await,
        Action::XrayCreateGroup(spec) => {
            xray_run(config, vec![Target::present(X::Group(spec.clone()))], true).await
        }
        Action::XrayCreateRule(spec) => {
            let targets = vec![Target::present(X::Rule(Box::new(spec.clone())))];
            xray_run(config, targets, true).await
        }
        Action::XrayStatus(group, rule) => {
            let targets = vec![
                Target::present(X::Group(group.clone())),
                Target::present(X::Rule(Box::new(rule.clone()))),
            ];
            xray_run(config, targets, false).await
        }
        Action::XrayDelete { group, rule } => {
            let targets = vec![
                Target::absent(X::group_named(group)),
                Target::absent(X::rule_named(rule)),
            ];
            xray_run(config, targets, true).await
        }
        Action::LogsCreate(specs) => {
            logs_run(
                config,
                specs.iter().cloned().map(Target::present).collect(),
                true,
            )
            .await
        }
        Action::LogsStatus(specs) => {
            logs_run(
                config,
                specs.iter().cloned().map(Target::present).collect(),
                false,
            )
            .await
        }
        Action::LogsDelete(names) => {
            let targets = names
                .iter()
                .map(|n| Target::absent(logs::LogGroupSpec::named(n)))
                .collect();
            logs_run(config, targets, true).await
        }
        Action::Export(settings) => export(config, settings).await,
        Action::RollbarCheck(s) => rollbar_check(config, s).await,
        Action::RollbarSendTestItem(s, environment) => {
            let token = secret_or_ask(config, &s.token, "Rollbar access token", || {
                Error::Usage("no Rollbar access token: pass --access-token or set ROLLBAR_ACCESS_TOKEN (Rollbar: Project settings → Project Access Tokens)".into())
            })?;
            let client = http_client(s.timeout)?;
            if config.ui.dry_run {
                let report = ui::spin(
                    "checking the Rollbar token",
                    crate::rollbar::check(&client, &s.base, &token),
                )
                .await?;
                crate::ui::err("dry run: the token is valid; no item was sent");
                ui::emit(&config.ui, &report);
                return Ok(exit::PENDING);
            }
            let report = ui::spin(
                "sending a test item to Rollbar",
                crate::rollbar::send_test_item(&client, &s.base, &token, environment),
            )
            .await?;
            ui::emit(&config.ui, &report);
            Ok(exit::OK)
        }
        Action::HoneycombBoard(s) => honeycomb_board(config, s).await,
        Action::Verify(s) => verify(config, s).await,
        Action::DevcontainerWrite(file, codespace) => {
            let code = plan_and_write(config, || {
                Ok(vec![workspace::devcontainer_file(
                    file,
                    crate::parts::Parts::ALL,
                )?])
            })?;
            // Inside a codespace, with gh: make the backend port public, after asking.
            match (codespace, which("gh")) {
                (Some(name), Some(gh)) => {
                    let made = make_port_public(config, &gh, name)?;
                    Ok(if made == exit::FAILURE {
                        made
                    } else {
                        code.max(made)
                    })
                }
                _ => Ok(code),
            }
        }
        Action::AppWrite(settings) => plan_and_write(config, || workspace::app_files(settings)),
        Action::IamPolicy {
            xray,
            log_groups,
            account,
        } => {
            let policy = crate::iam::app_policy(*xray, log_groups, None, account.as_deref());
            ui::out(&format!("{policy:#}"));
            Ok(exit::OK)
        }
        // Printed before the runtime starts.
        Action::Completions(_) => Ok(exit::OK),
    }
}

async fn compose_write(config: &Config, settings: &ComposeSettings) -> Result<u8, Error> {
    let region = if settings.parts.has(Part::Xray) {
        let region = crate::aws::configured_region(&config.aws)
            .await
            .ok_or(AwsError::NoRegion)?;
        crate::aws::check_region(&region)?;
        region
    } else {
        String::new()
    };
    plan_and_write(config, || {
        let mut planned = vec![workspace::compose_file(settings, &region)?];
        planned.extend(workspace::collector_file(settings, &region)?);
        Ok(planned)
    })
}

async fn gitpod_write(config: &Config, settings: &GitpodSettings) -> Result<u8, Error> {
    let code = plan_and_write(config, || Ok(vec![workspace::gitpod_file(settings)?]))?;
    // Only inside a Gitpod workspace: another program may be called `gp`.
    let gp = which("gp").filter(|_| std::env::var_os("GITPOD_WORKSPACE_ID").is_some());
    match gp {
        Some(gp) => {
            let saved = save_gp_env(config, settings, &gp)?;
            // A failure outranks work left.
            Ok(if saved == exit::FAILURE {
                saved
            } else {
                code.max(saved)
            })
        }
        None => Ok(code),
    }
}

/// Saves the app's variables with `gp env` for the next workspaces, after asking:
/// only those not saved already with the same value. Values never reach our
/// output: gp's own output is captured, and masked if shown.
fn save_gp_env(
    config: &Config,
    settings: &GitpodSettings,
    gp: &std::path::Path,
) -> Result<u8, Error> {
    let gp_run = |args: &[String]| {
        std::process::Command::new(gp)
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
    };
    let listing = gp_run(&["env".to_string()])
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let saved = crate::gitpod::parse_gp_env(&listing);
    let todo = crate::gitpod::unsaved(&settings.env, &saved);
    if todo.is_empty() {
        return Ok(exit::OK);
    }
    let names = todo.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    if config.ui.dry_run {
        crate::ui::err(&format!("would save {names} with gp env"));
        return Ok(exit::PENDING);
    }
    let what = format!("saving {names} with gp env");
    if !ui::agree(
        &config.ui,
        &what,
        &format!("Save {names} with gp env for the next workspaces?"),
    )? {
        return Ok(exit::PENDING);
    }
    let mut code = exit::OK;
    for (name, value) in todo {
        match gp_run(&["env".to_string(), format!("{name}={}", value.expose())]) {
            Ok(out) if out.status.success() => crate::ui::err(&format!("saved {name} with gp env")),
            Ok(out) => {
                let said =
                    String::from_utf8_lossy(&out.stderr).replace(value.expose(), &value.masked());
                let said = said.lines().next().unwrap_or_default().to_string();
                ui::err(&format!("warning: gp env {name}=… failed: {said}\nhelp: run `gp env {name}=<value>` yourself"));
                code = exit::FAILURE;
            }
            Err(e) => {
                crate::ui::err(&format!(
                    "warning: cannot run {}: {e}\nhelp: run `gp env {name}=<value>` yourself",
                    gp.display()
                ));
                code = exit::FAILURE;
            }
        }
    }
    Ok(code)
}

/// Plans with `plan`, then [`write_files`]. A file that changed while the user
/// was deciding is never written from the old bytes: on a terminal (without
/// `--yes`) the plan is made again from the new file and asked again; otherwise
/// the run ends with [`FileError::Changed`].
fn plan_and_write(
    config: &Config,
    plan: impl Fn() -> Result<Vec<PlannedFile>, Error>,
) -> Result<u8, Error> {
    let mut again = 0;
    loop {
        match write_files(config, plan()?) {
            Err(Error::File(FileError::Changed { path }))
                if config.ui.interactive && !config.ui.yes && again < 3 =>
            {
                again += 1;
                crate::ui::err(&format!(
                    "{} changed while you were deciding: planning again from the new file",
                    path.display()
                ));
            }
            other => return other,
        }
    }
}

/// Shows the diffs, asks once, and writes the files whose bytes change.
fn write_files(config: &Config, planned: Vec<PlannedFile>) -> Result<u8, Error> {
    let changing: Vec<&PlannedFile> = planned.iter().filter(|p| p.changes()).collect();
    let agreed = if changing.is_empty() || config.ui.dry_run {
        false
    } else {
        for p in &changing {
            ui::err(p.diff().trim_end_matches('\n'));
        }
        let names: Vec<String> = changing
            .iter()
            .map(|p| p.path.display().to_string())
            .collect();
        let names = names.join(" and ");
        ui::agree(
            &config.ui,
            &format!("writing {names}"),
            &format!("Write {names}?"),
        )?
    };
    let mut reports = Vec::new();
    for p in planned {
        let report = match (p.changes(), config.ui.dry_run, agreed) {
            (false, _, _) | (true, true, _) => p.unapplied(false),
            (true, false, true) => p.apply()?,
            (true, false, false) => p.unapplied(true),
        };
        reports.push(report);
    }
    let pending = reports.iter().any(FileReport::is_pending);
    let shown = FilesReport {
        files: reports
            .into_iter()
            .map(|mut r| {
                if config.ui.output == crate::cli::OutputFormat::Text
                    && r.status != FileStatus::WouldChange
                {
                    r.diff = None;
                }
                r
            })
            .collect(),
    };
    ui::emit(&config.ui, &shown);
    Ok(if pending { exit::PENDING } else { exit::OK })
}

/// The key from the settings, else asked for on a terminal.
fn honeycomb_key(config: &Config, settings: &HoneycombSettings) -> Result<Secret, Error> {
    match &settings.key {
        Some(key) => Ok(key.clone()),
        None => ui::ask_secret(&config.ui, "Honeycomb API key")?
            .ok_or_else(|| honeycomb::InputError::NoKey.into()),
    }
}

async fn honeycomb_check(config: &Config, settings: &HoneycombSettings) -> Result<u8, Error> {
    let key = honeycomb_key(config, settings)?;
    let api = HoneycombApi::new(settings.timeout);
    let report = ui::spin(
        "checking the Honeycomb API key",
        api.check(&key, settings.region, &settings.endpoints),
    )
    .await?;
    ui::emit(&config.ui, &report);
    if report.can_send_traces {
        Ok(exit::OK)
    } else {
        let e = HoneycombError::CannotSend { key: report.key };
        ui::err(&format!("error: {e}"));
        if let Some(help) = e.help() {
            ui::err(&format!("help: {help}"));
        }
        Ok(exit::AUTH)
    }
}

async fn honeycomb_send_test_span(
    config: &Config,
    settings: &HoneycombSettings,
    service: &str,
    dataset: Option<&str>,
) -> Result<u8, Error> {
    let key = honeycomb_key(config, settings)?;
    let api = HoneycombApi::new(settings.timeout);
    let report = ui::spin(
        "checking the Honeycomb API key",
        api.check(&key, settings.region, &settings.endpoints),
    )
    .await?;
    if !report.can_send_traces {
        return Err(HoneycombError::CannotSend { key: report.key }.into());
    }
    if config.ui.dry_run {
        crate::ui::err("dry run: the key can send traces; no span was sent");
        ui::emit(&config.ui, &report);
        return Ok(exit::PENDING);
    }
    let sent = ui::spin(
        "sending a test span",
        send_span(&api, settings, &key, report, service, dataset),
    )
    .await?;
    ui::emit(&config.ui, &sent);
    Ok(exit::OK)
}

/// Sends one test span with a key already checked (`report`); returns its link.
pub(crate) async fn send_span(
    api: &HoneycombApi,
    settings: &HoneycombSettings,
    key: &Secret,
    report: honeycomb::KeyReport,
    service: &str,
    dataset: Option<&str>,
) -> Result<SpanReport, Error> {
    let base = match report.region {
        honeycomb::Region::Us => &settings.endpoints.us,
        honeycomb::Region::Eu => &settings.endpoints.eu,
    };
    let dataset = dataset.unwrap_or(service);
    let trace_id = honeycomb::random_hex(16);
    let end = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let body = honeycomb::test_span(
        service,
        &trace_id,
        &honeycomb::random_hex(8),
        end - 50_000_000,
        end,
    );
    api.send_traces(base, key, report.classic().then_some(dataset), &body)
        .await?;
    Ok(SpanReport {
        link: honeycomb::trace_link(&report, dataset, &trace_id),
        key: report.key,
        region: report.region,
        endpoint: base.to_string(),
        service: service.to_string(),
        trace_id,
    })
}

async fn xray_run(
    config: &Config,
    targets: Vec<crate::resource::Target<xray::ops::Object>>,
    change: bool,
) -> Result<u8, Error> {
    let aws = Aws::load(&config.aws).await?;
    let api = XrayApi::new(&aws);
    converge(
        config,
        &aws,
        targets,
        change,
        "X-Ray",
        |t| crate::resource::plan(&api, t),
        |p| crate::resource::apply(&api, p, config.ui.yes),
    )
    .await
}

async fn logs_run(
    config: &Config,
    targets: Vec<crate::resource::Target<logs::LogGroupSpec>>,
    change: bool,
) -> Result<u8, Error> {
    let aws = Aws::load(&config.aws).await?;
    let api = LogsApi::new(&aws);
    converge(
        config,
        &aws,
        targets,
        change,
        "CloudWatch Logs",
        |t| crate::resource::plan(&api, t),
        |p| crate::resource::apply(&api, p, config.ui.yes),
    )
    .await
}

/// Plans every target concurrently; then, when `change` and not `--dry-run`, asks
/// once for the updates and deletions and applies everything concurrently. Prints
/// the report; returns 3 when work is left, 0 otherwise.
async fn converge<T, P, PF, PFut, AF, AFut>(
    config: &Config,
    aws: &Aws,
    targets: Vec<T>,
    change: bool,
    service: &str,
    plan: PF,
    apply: AF,
) -> Result<u8, Error>
where
    P: Planned,
    PF: Fn(T) -> PFut,
    PFut: Future<Output = Result<P, AwsError>>,
    AF: Fn(P) -> AFut,
    AFut: Future<Output = Result<Outcome, AwsError>>,
{
    let planned = ui::spin(
        &format!("reading {service} in {}", aws.region),
        try_join_all(targets.into_iter().map(plan)),
    )
    .await?;
    let report = |outcomes| Report {
        region: Some(aws.region.clone()),
        dry_run: config.ui.dry_run,
        outcomes,
    };

    if !change || config.ui.dry_run {
        let outcomes = planned
            .iter()
            .map(|p| p.unapplied(config.ui.dry_run))
            .collect();
        return Ok(finish(config, &report(outcomes)));
    }

    let agreed = ask_for_changes(config, &planned)?;
    let results = ui::spin(
        &format!("applying changes to {service}"),
        join_all(planned.into_iter().map(|p| {
            let skip = p.step().needs_agreement() && !agreed;
            let apply = &apply;
            async move {
                if skip {
                    Ok(p.unapplied(false))
                } else {
                    apply(p).await
                }
            }
        })),
    )
    .await;
    let mut outcomes = Vec::new();
    let mut first_error = None;
    for result in results {
        match result {
            Ok(outcome) => outcomes.push(outcome),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        // Report what did happen before the error.
        Some(e) if outcomes.is_empty() => Err(e.into()),
        Some(e) => Err(Error::partial(&report(outcomes), e.into())),
        None => Ok(finish(config, &report(outcomes))),
    }
}

fn finish(config: &Config, report: &Report) -> u8 {
    ui::emit(&config.ui, report);
    if report.is_pending() {
        exit::PENDING
    } else {
        exit::OK
    }
}

/// Shows every update and deletion on stderr and asks once. True when there is
/// nothing to ask about.
fn ask_for_changes<P: Planned>(config: &Config, planned: &[P]) -> Result<bool, Error> {
    let asking: Vec<Outcome> = planned
        .iter()
        .filter(|p| p.step().needs_agreement())
        .map(|p| p.unapplied(true))
        .collect();
    if asking.is_empty() {
        return Ok(true);
    }
    for outcome in &asking {
        ui::err(&outcome.to_string());
    }
    let what = match asking.as_slice() {
        [one] => format!("changing {} {}", one.kind, one.name),
        many => format!("these {} changes", many.len()),
    };
    ui::agree(&config.ui, &what, "Apply these changes?")
}

/// `verify`: every chosen part at once, with the app's credentials and region.
async fn verify(config: &Config, s: &crate::config::VerifySettings) -> Result<u8, Error> {
    use crate::verify::{self, VerifyReport};
    let text = crate::files::read(&s.compose_file)?.ok_or_else(|| Error::MissingFile {
        what: "compose file",
        path: s.compose_file.clone(),
    })?;
    let app = |key: &str| verify::app_env(&s.compose_file, &text, &s.service, key);
    let mut aws_settings = config.aws.clone();
    let mut source = "the standard AWS chain (the compose file passes none)".to_string();
    if let (Some(id), Some(secret)) = (app("AWS_ACCESS_KEY_ID"), app("AWS_SECRET_ACCESS_KEY")) {
        ui::register_secret(&secret);
        aws_settings.credentials = Some(crate::aws::StaticCredentials {
            access_key_id: id,
            secret_access_key: Secret::new(secret),
            session_token: app("AWS_SESSION_TOKEN").map(Secret::new),
        });
        source = format!(
            "{}'s environment in {}",
            s.service,
            s.compose_file.display()
        );
    }
    if let Some(region) = app("AWS_DEFAULT_REGION") {
        aws_settings.region = Some(region);
    }
    let log_group = s
        .log_group
        .clone()
        .or_else(|| app("CLOUDWATCH_LOG_GROUP"))
        .unwrap_or_else(|| crate::logs::DEFAULT_GROUP.to_string());
    let aws = if s.parts.aws() {
        Some(Aws::load(&aws_settings).await)
    } else {
        None
    };
    let region = aws
        .as_ref()
        .and_then(|a| a.as_ref().ok())
        .map(|a| a.region.clone());
    let policy = crate::iam::app_policy(
        s.parts.has(Part::Xray),
        if s.parts.has(Part::Logs) {
            std::slice::from_ref(&log_group)
        } else {
            &[]
        },
        region.as_deref(),
        None,
    );
    let xray = async {
        match (&aws, s.parts.has(Part::Xray)) {
            (Some(Ok(aws)), true) => {
                Some(verify::xray(aws, &s.service, &s.filter, s.wait, &policy).await)
            }
            (Some(Err(e)), true) => Some(verify::failed("X-Ray", &Error::Aws(e.clone()))),
            _ => None,
        }
    };
    let logs = async {
        match (&aws, s.parts.has(Part::Logs)) {
            (Some(Ok(aws)), true) => Some(verify::logs(aws, &log_group, s.wait, &policy).await),
            (Some(Err(e)), true) => Some(verify::failed("CloudWatch Logs", &Error::Aws(e.clone()))),
            _ => None,
        }
    };
    let honeycomb = async {
        let settings = s.honeycomb.as_ref()?;
        let Some(key) = &settings.key else {
            return Some(verify::not_configured("Honeycomb", "HONEYCOMB_API_KEY"));
        };
        let api = HoneycombApi::new(settings.timeout);
        let sent = async {
            let report = api.check(key, settings.region, &settings.endpoints).await?;
            if !report.can_send_traces {
                return Err(Error::from(HoneycombError::CannotSend { key: report.key }));
            }
            send_span(&api, settings, key, report, &s.service, None).await
        };
        Some(match sent.await {
            Ok(span) => crate::verify::PartResult {
                part: "Honeycomb",
                outcome: crate::verify::Outcome::Passed,
                detail: format!(
                    "test span accepted (trace {}, {} {})",
                    span.trace_id,
                    span.region.label(),
                    span.key
                ),
                link: Some(span.link),
                hint: None,
                policy: None,
            },
            Err(e) => verify::failed("Honeycomb", &e),
        })
    };
    let rollbar = async {
        let settings = s.rollbar.as_ref()?;
        let Some(token) = &settings.token else {
            return Some(verify::not_configured("Rollbar", "ROLLBAR_ACCESS_TOKEN"));
        };
        let client = match http_client(settings.timeout) {
            Ok(c) => c,
            Err(e) => return Some(verify::failed("Rollbar", &e)),
        };
        Some(
            match crate::rollbar::send_test_item(
                &client,
                &settings.base,
                token,
                &s.rollbar_environment,
            )
            .await
            {
                Ok(item) => crate::verify::PartResult {
                    part: "Rollbar",
                    outcome: crate::verify::Outcome::Passed,
                    detail: format!("test item accepted ({})", item.uuid),
                    link: Some(item.link),
                    hint: None,
                    policy: None,
                },
                Err(e) => verify::failed("Rollbar", &e.into()),
            },
        )
    };
    let (x, l, h, r) = ui::spin(
        "verifying X-Ray, CloudWatch Logs, Honeycomb and Rollbar",
        async { tokio::join!(xray, logs, honeycomb, rollbar) },
    )
    .await;
    let report = VerifyReport {
        credentials: s.parts.aws().then_some(source),
        region,
        parts: [x, l, h, r].into_iter().flatten().collect(),
    };
    ui::emit(&config.ui, &report);
    Ok(report.exit_code())
}

fn http_client(timeout: std::time::Duration) -> Result<crate::http::HttpClient, Error> {
    crate::http::HttpClient::new(timeout, timeout).map_err(|e| Error::Http(e.to_string()))
}

/// A secret from the settings, else asked for (hidden) on a terminal.
fn secret_or_ask(
    config: &Config,
    given: &Option<Secret>,
    prompt: &str,
    missing: impl FnOnce() -> Error,
) -> Result<Secret, Error> {
    match given {
        Some(s) => Ok(s.clone()),
        None => ui::ask_secret(&config.ui, prompt)?.ok_or_else(missing),
    }
}

async fn rollbar_check(config: &Config, s: &crate::config::RollbarSettings) -> Result<u8, Error> {
    let token = secret_or_ask(config, &s.token, "Rollbar access token", || {
        Error::Usage("no Rollbar access token: pass --access-token or set ROLLBAR_ACCESS_TOKEN (Rollbar: Project settings → Project Access Tokens)".into())
    })?;
    let client = http_client(s.timeout)?;
    let report = ui::spin(
        "checking the Rollbar token",
        crate::rollbar::check(&client, &s.base, &token),
    )
    .await?;
    if report.can_post_server_items == Some(false) {
        let e = crate::rollbar::RollbarError::LacksScope {
            token: report.token.clone(),
            scope: "post_server_item".into(),
            has: report.scopes.clone(),
        };
        return Err(Error::partial(&report, e.into()));
    }
    ui::emit(&config.ui, &report);
    Ok(exit::OK)
}

async fn honeycomb_board(config: &Config, s: &crate::config::BoardSettings) -> Result<u8, Error> {
    use crate::honeycomb::board;
    let key = secret_or_ask(config, &s.key, "Honeycomb configuration key", || {
        Error::Usage("no Honeycomb configuration key: pass --config-key or set HONEYCOMB_CONFIG_KEY (Honeycomb: Team settings → API keys → Configuration)".into())
    })?;
    let api = board::BoardApi::new(http_client(s.timeout)?, s.base.clone(), key);
    let desired = board::desired(&s.name, &s.dataset);
    if s.destroy {
        if config.ui.dry_run {
            let report = ui::spin("reading the board", board::ensure(&api, &desired, true)).await?;
            ui::emit(&config.ui, &report);
            return Ok(exit::PENDING);
        }
        if !ui::agree(
            &config.ui,
            &format!("removing the board {}", s.name),
            &format!("Remove the board {} and its saved queries?", s.name),
        )? {
            return Ok(exit::PENDING);
        }
        let report = ui::spin("removing the board", board::destroy(&api, &desired)).await?;
        ui::emit(&config.ui, &report);
        return Ok(exit::OK);
    }
    // Read and plan first; write only after agreement (creating is agreed by
    // running the command; changing a board someone may have edited is asked).
    let preview = ui::spin("reading Honeycomb", board::ensure(&api, &desired, true)).await?;
    let writes = preview.plan.writes();
    if config.ui.dry_run || writes == 0 {
        ui::emit(&config.ui, &preview);
        return Ok(if writes == 0 { exit::OK } else { exit::PENDING });
    }
    if matches!(preview.plan.outcome, board::BoardOutcome::Update { .. }) {
        ui::err(&preview.to_string());
        if !ui::agree(
            &config.ui,
            &format!("updating the board {}", s.name),
            "Apply these changes to the board?",
        )? {
            ui::emit(&config.ui, &preview);
            return Ok(exit::PENDING);
        }
    }
    let report = ui::spin("writing the board", board::ensure(&api, &desired, false)).await?;
    ui::emit(&config.ui, &report);
    Ok(exit::OK)
}

/// The template on stdout (`--out` absent) or into files, with the import file;
/// with an import requested, the identifiers of existing objects are read first.
async fn export(config: &Config, s: &crate::config::ExportSettings) -> Result<u8, Error> {
    use crate::config::ExportFormat;
    use crate::export::{self, ExistingIds};
    let existing = if s.import {
        read_existing(config, &s.input).await?
    } else {
        ExistingIds::default()
    };
    let template = match s.format {
        ExportFormat::Cloudformation => export::cloudformation(&s.input),
        ExportFormat::Terraform => export::terraform(&s.input, &existing),
    };
    let mut planned = Vec::new();
    if let Some(path) = &s.out {
        let what = match s.format {
            ExportFormat::Cloudformation => "CloudFormation template",
            ExportFormat::Terraform => "Terraform configuration",
        };
        planned.push(PlannedFile::generated(path, template.clone(), what)?);
    }
    if let Some(path) = &s.import_file {
        let text = export::cloudformation_import(&s.input, &existing);
        planned.push(PlannedFile::generated(path, text, "resources to import")?);
    }
    if s.out.is_none() {
        // The template is the result: a file report would corrupt it on stdout.
        let code = if planned.is_empty() {
            exit::OK
        } else {
            let quiet = Config {
                ui: crate::config::Ui {
                    output: crate::cli::OutputFormat::Text,
                    ..config.ui.clone()
                },
                ..config.clone()
            };
            write_files_reporting_to_stderr(&quiet, planned)?
        };
        match config.ui.output {
            crate::cli::OutputFormat::Text => ui::out(template.trim_end_matches('\n')),
            crate::cli::OutputFormat::Json => ui::out(&format!(
                "{:#}",
                serde_json::json!({"format": format!("{:?}", s.format).to_lowercase(), "template": template})
            )),
        }
        return Ok(code);
    }
    write_files(config, planned)
}

/// The identifiers of the objects that exist already (for import).
async fn read_existing(
    config: &Config,
    input: &crate::export::ExportInput,
) -> Result<crate::export::ExistingIds, Error> {
    let aws = Aws::load(&config.aws).await?;
    let xray_api = XrayApi::new(&aws);
    let logs_api = LogsApi::new(&aws);
    let group = async {
        match &input.group {
            Some(g) => xray_api
                .find_group(&g.name, false)
                .await
                .map(|o| o.map(|g| g.arn)),
            None => Ok(None),
        }
    };
    let rule = async {
        match &input.rule {
            Some(r) => xray_api
                .find_rule(&r.name, false)
                .await
                .map(|o| o.map(|r| r.arn)),
            None => Ok(None),
        }
    };
    let groups = try_join_all(input.log_groups.iter().map(|g| async {
        logs_api
            .find(&g.name, false)
            .await
            .map(|o| o.map(|found| found.name))
    }));
    let (group_arn, rule_arn, log_groups) = ui::spin(
        &format!("reading the existing objects in {}", aws.region),
        async { tokio::try_join!(group, rule, groups) },
    )
    .await?;
    Ok(crate::export::ExistingIds {
        group_arn,
        rule_arn,
        log_groups: log_groups.into_iter().flatten().collect(),
    })
}

/// Like [`write_files`], with the report on stderr (stdout holds the result).
fn write_files_reporting_to_stderr(
    config: &Config,
    planned: Vec<PlannedFile>,
) -> Result<u8, Error> {
    let changing: Vec<&PlannedFile> = planned.iter().filter(|p| p.changes()).collect();
    if changing.is_empty() || config.ui.dry_run {
        for p in &changing {
            ui::err(p.diff().trim_end_matches('\n'));
        }
        return Ok(if changing.is_empty() {
            exit::OK
        } else {
            exit::PENDING
        });
    }
    let names: Vec<String> = changing
        .iter()
        .map(|p| p.path.display().to_string())
        .collect();
    let names = names.join(" and ");
    if !ui::agree(
        &config.ui,
        &format!("writing {names}"),
        &format!("Write {names}?"),
    )? {
        return Ok(exit::PENDING);
    }
    for p in planned {
        let report = p.apply()?;
        ui::err(&report.to_string());
    }
    Ok(exit::OK)
}

/// `gh codespace ports visibility 4567:public -c NAME`, after agreement; gh's
/// output is shown only as its first line.
fn make_port_public(config: &Config, gh: &std::path::Path, codespace: &str) -> Result<u8, Error> {
    let args = [
        "codespace",
        "ports",
        "visibility",
        "4567:public",
        "-c",
        codespace,
    ];
    let shown = format!("gh {}", args.join(" "));
    if config.ui.dry_run {
        crate::ui::err(&format!("would run: {shown}"));
        return Ok(exit::PENDING);
    }
    if !ui::agree(
        &config.ui,
        &format!("running {shown}"),
        "Make the backend's port 4567 public in this codespace (gh)?",
    )? {
        return Ok(exit::PENDING);
    }
    match std::process::Command::new(gh)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
    {
        Ok(out) if out.status.success() => {
            crate::ui::err(&format!("port 4567 is public in {codespace}"));
            Ok(exit::OK)
        }
        Ok(out) => {
            let said = String::from_utf8_lossy(&out.stderr);
            crate::ui::err(&format!(
                "warning: {shown} failed: {}\nhelp: run it yourself, or set the port's visibility in the Ports tab",
                said.lines().next().unwrap_or_default()
            ));
            Ok(exit::FAILURE)
        }
        Err(e) => {
            crate::ui::err(&format!("warning: cannot run {}: {e}", gh.display()));
            Ok(exit::FAILURE)
        }
    }
}

/// The path of `program` on PATH, if any.
/// (The `which` crate: executable files only, PATH as the shell reads it.)
fn which(program: &str) -> Option<std::path::PathBuf> {
    which::which(program).ok()
}
