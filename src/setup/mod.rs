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
use crate::plan::{Outcome, Step};
use crate::resource::{self, Planned, Target};
use crate::secret::Secret;
use crate::ui::{Done, Output};
use crate::xray::api::XrayApi;
use crate::{compose, project, xray};

mod checks;
mod read;
mod report;

use checks::checks;
use read::{board_is_ours, honeycomb_key, read_all, read_status_inputs, Reading};
pub(crate) use report::*;

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
pub(crate) async fn run(
    config: &Config,
    s: &SetupSettings,
    mode: SetupMode,
) -> Result<Done, Error> {
    let mut early = Vec::new();
    // The run's one HTTP client; a part that needs it fails when it cannot be made.
    let http = crate::http::HttpClient::new(s.honeycomb.timeout, s.honeycomb.timeout);
    let key = match honeycomb_key(config, s, mode, &http).await {
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
    let mut reading = read_all(config, s, mode, key, &http).await;
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
        let inputs = read_status_inputs(s, &reading).await;
        report.checks = checks(s, &reading, &inputs);
        report.failures.clear();
        return Ok(finished(&report, mode, config.ui.dry_run));
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
        .map(|f| {
            let mut r = f.unapplied(false);
            if config.ui.output == Output::Text {
                r.diff = r.diff.map(|d| config.ui.diff_text(&d));
            }
            r
        })
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
        return Ok(finished(&report, mode, config.ui.dry_run));
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
            Output::Text => format!("{command} (the plan above)"),
            Output::Json => format!("{command} (the plan in \"report\")"),
        };
        return Err(Error::partial(&plan, Error::NeedsConfirmation { what }));
    }
    config.ui.say(&plan.to_string());
    let agreed = config.ui.agree(command, "Apply this plan?")?;
    if !agreed {
        report.cloud = cloud(false);
        report.files = reading
            .files
            .into_iter()
            .map(|f| f.unapplied(true))
            .collect();
        return Ok(Done::pending(
            &report,
            "nothing was applied (not agreed)",
            None,
        ));
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
    let (xray_results, logs_results, file_results, board_result) = config
        .ui
        .spin("applying the plan", async {
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
                if config.ui.output == Output::Text {
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
    Ok(finished(&report, mode, false))
}

/// The report with its exit code and, when that is not 0, why.
fn finished(report: &SetupReport, mode: SetupMode, dry_run: bool) -> Done {
    let code = report.exit_code();
    let done = Done::new(report, exit::OK);
    match code {
        exit::OK => done,
        exit::PENDING if mode == SetupMode::Status => {
            done.with_code(code, "not in sync: see the checks in the report", None)
        }
        exit::PENDING if mode == SetupMode::Plan || dry_run => done.with_code(
            code,
            "changes pending: nothing was changed",
            Some("run `cruddur-obs init` (without --dry-run) to make them"),
        ),
        exit::PENDING => done.with_code(code, "not everything was done: see the report", None),
        _ => done.with_code(
            code,
            "some parts failed: see \"failures\" in the report",
            None,
        ),
    }
}
