//! The repository's files as `cruddur-obs` edits them: read the compose file and
//! `.gitpod.yml`, plan the edit (pure planners in [`crate::compose`] and
//! [`crate::gitpod`]), and describe it as a [`PlannedFile`].

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
    };
    let plan = compose::plan(&text, &label, &spec)?;
    let mut changes: Vec<String> = plan
        .added
        .iter()
        .map(|k| format!("{}.environment.{k}", spec.service))
        .collect();
    if plan.daemon_added {
        changes.push(format!("service {}", compose::DAEMON_SERVICE));
    }
    let notes = plan
        .daemon_notes
        .iter()
        .map(|n| format!("{}: {n} (left as it is)", compose::DAEMON_SERVICE))
        .collect();
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
            force_available: true,
            notes,
            diff: None,
            next_steps: Vec::new(),
        },
    })
}

/// Plans `gitpod write`; the `gp env` lines (values masked) are its next steps.
pub fn gitpod_file(settings: &GitpodSettings) -> Result<PlannedFile, Error> {
    let label = settings.file.display().to_string();
    let text = files::read(&settings.file)?;
    let plan = gitpod::plan(text.as_deref(), &label)?;
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
                .map(|p| format!("port {p} (public)"))
                .collect(),
            conflicts: plan.conflicts,
            forced: false,
            force_available: false,
            notes: plan.notes,
            diff: None,
            next_steps,
        },
    })
}
