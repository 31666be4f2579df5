//! The repository's files as `cruddur-obs` edits them: read the compose file and
//! `.gitpod.yml`, plan the edit (pure planners in [`crate::compose`] and
//! [`crate::gitpod`]), and describe it as a [`PlannedFile`].

use crate::collector;
use crate::compose::{self, ComposeSpec};
use crate::config::{ComposeSettings, GitpodSettings};
use crate::error::Error;
use crate::files::{self, FileReport, FileStatus, PlannedFile};
use crate::gitpod;

/// Plans `compose write` for `settings`, with the daemon's `region`.
pub fn compose_file(settings: &ComposeSettings, region: &str) -> Result<PlannedFile, Error> {
    let label = settings.file.display().to_string();
    let text = files::read(&settings.file)?.ok_or_else(|| Error::MissingFile {
        what: "compose file",
        path: settings.file.clone(),
    })?;
    let spec = ComposeSpec {
        service: settings.service.clone(),
        parts: settings.parts,
        region: region.to_string(),
        honeycomb_region: settings.honeycomb_region,
        force: settings.force,
        via: settings.via,
    };
    let plan = compose::plan(&text, &label, &spec)?;
    let env = |k: &str| format!("{}.environment.{k}", spec.service);
    let mut changes: Vec<String> = plan.added.iter().map(|k| format!("+ {}", env(k))).collect();
    changes.extend(
        plan.replaced
            .iter()
            .map(|d| format!("~ {d} (switching to --via {})", via_name(spec.via))),
    );
    changes.extend(plan.removed.iter().map(|k| format!("- {}", env(k))));
    changes.extend(plan.added_service.map(|s| format!("+ service {s}")));
    changes.extend(plan.removed_service.map(|s| format!("- service {s}")));
    let notes = plan.service_notes.clone();
    Ok(PlannedFile {
        path: settings.file.clone(),
        old: Some(text),
        new: plan.new_text,
        report: FileReport {
            file: label,
            status: FileStatus::InSync,
            changes,
            conflicts: plan.conflicts,
            forced: plan.forced,
            notes,
            diff: None,
            next_steps: Vec::new(),
        },
    })
}

/// Plans the collector config next to the compose file (`--via collector` only).
/// A different file of the user's is kept (and checked) unless `--force`.
pub fn collector_file(
    settings: &ComposeSettings,
    region: &str,
) -> Result<Option<PlannedFile>, Error> {
    if settings.via != compose::Via::Collector {
        return Ok(None);
    }
    let path = settings
        .file
        .parent()
        .map(|p| p.join(collector::CONFIG_FILE))
        .unwrap_or_else(|| collector::CONFIG_FILE.into());
    let label = path.display().to_string();
    let desired = collector::config(region, settings.honeycomb_region);
    let problems = collector::validate(&desired);
    if let Some(p) = problems.first() {
        return Err(Error::Usage(format!(
            "the collector config cruddur-obs would write is invalid: {p}"
        )));
    }
    let old = files::read(&path)?;
    let mut report = FileReport {
        file: label.clone(),
        status: FileStatus::InSync,
        changes: Vec::new(),
        conflicts: Vec::new(),
        forced: settings.force,
        notes: Vec::new(),
        diff: None,
        next_steps: Vec::new(),
    };
    let new = match &old {
        None => {
            report
                .changes
                .push(format!("+ collector config for {region}"));
            desired
        }
        Some(text) if *text == desired => desired,
        Some(text) => {
            report.conflicts.push(crate::plan::FieldDiff::new(
                &label,
                Some("your own version".into()),
                Some(format!("cruddur-obs's for {region}")),
            ));
            report.notes.extend(
                collector::validate(text)
                    .iter()
                    .map(|p| format!("{label}: {p}")),
            );
            if settings.force {
                desired
            } else {
                text.clone()
            }
        }
    };
    Ok(Some(PlannedFile {
        path,
        old,
        new,
        report,
    }))
}

/// Plans `gitpod write`; the `gp env` lines (values masked) are its next steps.
pub fn gitpod_file(settings: &GitpodSettings) -> Result<PlannedFile, Error> {
    let label = settings.file.display().to_string();
    let text = files::read(&settings.file)?;
    let plan = gitpod::plan(text.as_deref(), &label, settings.force)?;
    let next_steps = settings
        .env
        .iter()
        .map(|(name, value)| {
            let secret = gitpod::GP_ENV.iter().any(|(n, s)| n == name && *s);
            let shown = match value {
                None => "<value>".to_string(),
                Some(v) if secret => v.masked(),
                Some(v) => v.expose().to_string(),
            };
            format!("gp env {name}={shown}")
        })
        .collect();
    Ok(PlannedFile {
        path: settings.file.clone(),
        old: text,
        new: plan.new_text,
        report: FileReport {
            file: label,
            status: FileStatus::InSync,
            changes: plan
                .added
                .iter()
                .map(|p| format!("+ port {p} (public)"))
                .collect(),
            conflicts: plan.conflicts,
            forced: plan.forced,
            notes: plan.notes,
            diff: None,
            next_steps,
        },
    })
}

fn via_name(via: compose::Via) -> &'static str {
    match via {
        compose::Via::Daemon => "daemon",
        compose::Via::Collector => "collector",
    }
}
