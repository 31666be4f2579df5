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
use crate::plan::{Outcome, Planned, Report};
use crate::secret::Secret;
use crate::ui;
use crate::workspace;
use crate::xray::api::XrayApi;
use crate::{honeycomb, logs, xray};

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let verbose = cli.global.verbose;
    let output = cli.global.output;
    init_logging(verbose);
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
pub fn execute(config: &Config) -> Result<u8, Error> {
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
    use logs::ops::Target as L;
    use xray::ops::Target as X;
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
        Action::XrayCreateGroup(spec) => xray_run(config, vec![X::Group(spec.clone())], true).await,
        Action::XrayCreateRule(spec) => {
            xray_run(config, vec![X::Rule(Box::new(spec.clone()))], true).await
        }
        Action::XrayStatus(group, rule) => {
            let targets = vec![X::Group(group.clone()), X::Rule(Box::new(rule.clone()))];
            xray_run(config, targets, false).await
        }
        Action::XrayDelete { group, rule } => {
            let targets = vec![X::GroupGone(group.clone()), X::RuleGone(rule.clone())];
            xray_run(config, targets, true).await
        }
        Action::LogsCreate(specs) => {
            logs_run(
                config,
                specs.iter().cloned().map(L::Present).collect(),
                true,
            )
            .await
        }
        Action::LogsStatus(specs) => {
            logs_run(
                config,
                specs.iter().cloned().map(L::Present).collect(),
                false,
            )
            .await
        }
        Action::LogsDelete(names) => {
            logs_run(config, names.iter().cloned().map(L::Gone).collect(), true).await
        }
        Action::Export(settings) => export(config, settings).await,
        Action::DevcontainerWrite(file) => {
            plan_and_write(config, || Ok(vec![workspace::devcontainer_file(file)?]))
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
    let region = if settings.parts.xray {
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
        eprintln!("would save {names} with gp env");
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
            Ok(out) if out.status.success() => eprintln!("saved {name} with gp env"),
            Ok(out) => {
                let said =
                    String::from_utf8_lossy(&out.stderr).replace(value.expose(), &value.masked());
                let said = said.lines().next().unwrap_or_default().to_string();
                eprintln!("warning: gp env {name}=… failed: {said}\nhelp: run `gp env {name}=<value>` yourself");
                code = exit::FAILURE;
            }
            Err(e) => {
                eprintln!(
                    "warning: cannot run {}: {e}\nhelp: run `gp env {name}=<value>` yourself",
                    gp.display()
                );
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
                eprintln!(
                    "{} changed while you were deciding: planning again from the new file",
                    path.display()
                );
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
            eprint!("{}", p.diff());
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
        eprintln!("error: {e}");
        if let Some(help) = e.help() {
            eprintln!("help: {help}");
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
        eprintln!("dry run: the key can send traces; no span was sent");
        ui::emit(&config.ui, &report);
        return Ok(exit::PENDING);
    }
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
    ui::spin(
        "sending a test span",
        api.send_traces(base, &key, report.classic().then_some(dataset), &body),
    )
    .await?;
    let sent = SpanReport {
        link: honeycomb::trace_link(&report, dataset, &trace_id),
        key: report.key,
        region: report.region,
        endpoint: base.to_string(),
        service: service.to_string(),
        trace_id,
    };
    ui::emit(&config.ui, &sent);
    Ok(exit::OK)
}

async fn xray_run(
    config: &Config,
    targets: Vec<xray::ops::Target>,
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
        |t| xray::ops::plan(&api, t),
        |p| xray::ops::apply(&api, p, config.ui.yes),
    )
    .await
}

async fn logs_run(
    config: &Config,
    targets: Vec<logs::ops::Target>,
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
        |t| logs::ops::plan(&api, t),
        |p| logs::ops::apply(&api, p, config.ui.yes),
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
        eprintln!("{outcome}");
    }
    let what = match asking.as_slice() {
        [one] => format!("changing {} {}", one.kind, one.name),
        many => format!("these {} changes", many.len()),
    };
    ui::agree(&config.ui, &what, "Apply these changes?")
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
            eprint!("{}", p.diff());
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
        eprintln!("{report}");
    }
    Ok(exit::OK)
}

/// The path of `program` on PATH, if any.
fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}
