//! `xray …` and `logs …`: read and plan every object concurrently, ask once for
//! updates and deletions, apply concurrently (through [`crate::resource`]).

use super::*;
use crate::resource::{Planned, Resource, Target};

pub(super) async fn xray_run(
    config: &Config,
    targets: Vec<Target<xray::ops::Object>>,
    change: bool,
) -> Result<Done, Error> {
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

pub(super) async fn logs_run(
    config: &Config,
    targets: Vec<Target<logs::LogGroupSpec>>,
    change: bool,
) -> Result<Done, Error> {
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
async fn converge<R, PF, PFut, AF, AFut>(
    config: &Config,
    aws: &Aws,
    targets: Vec<Target<R>>,
    change: bool,
    service: &str,
    plan: PF,
    apply: AF,
) -> Result<Done, Error>
where
    R: Resource,
    PF: Fn(Target<R>) -> PFut,
    PFut: Future<Output = Result<Planned<R>, AwsError>>,
    AF: Fn(Planned<R>) -> AFut,
    AFut: Future<Output = Result<Outcome, AwsError>>,
{
    let planned = config
        .ui
        .spin(
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
        return Ok(finish(config, &report(outcomes), change));
    }

    let agreed = ask_for_changes(config, &planned).map_err(|e| {
        // The plan that was to be agreed to goes out with the error.
        let outcomes = planned.iter().map(|p| p.unapplied(true)).collect();
        Error::with_json_report(&report(outcomes), e)
    })?;
    let results = config
        .ui
        .spin(
            &format!("applying changes to {service}"),
            join_all(planned.into_iter().map(|p| {
                let skip = p.step.needs_agreement() && !agreed;
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
        None => Ok(finish(config, &report(outcomes), change)),
    }
}

fn finish(config: &Config, report: &Report, change: bool) -> Done {
    if !report.is_pending() {
        Done::new(report, exit::OK)
    } else if !change {
        Done::pending(report, "not in sync: see the report", None)
    } else if config.ui.dry_run {
        Done::pending(
            report,
            "dry run: nothing was changed",
            Some("run it again without --dry-run to make these changes"),
        )
    } else {
        Done::pending(report, "not everything asked for was done", None)
    }
}

/// Shows every update and deletion on stderr and asks once. True when there is
/// nothing to ask about.
fn ask_for_changes<R: Resource>(config: &Config, planned: &[Planned<R>]) -> Result<bool, Error> {
    let asking: Vec<Outcome> = planned
        .iter()
        .filter(|p| p.step.needs_agreement())
        .map(|p| p.unapplied(true))
        .collect();
    if asking.is_empty() {
        return Ok(true);
    }
    for outcome in &asking {
        config.ui.say(&outcome.to_string());
    }
    let what = match asking.as_slice() {
        [one] => format!("changing {} {}", one.kind, one.name),
        many => format!("applying these {} changes", many.len()),
    };
    config.ui.agree(&what, "Apply these changes?")
}
