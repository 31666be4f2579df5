//! The repository's files as `cruddur-obs` edits them: read the compose file and
//! `.gitpod.yml`, plan the edit (pure planners in [`crate::compose`] and
//! [`crate::gitpod`]), and describe it as a [`PlannedFile`].

use crate::collector;
use crate::compose::{self, ComposeSpec};
use crate::error::Error;
use crate::files::{self, FileReport, FileStatus, PlannedFile};
use crate::gitpod;
use crate::settings::{ComposeSettings, GitpodSettings};

pub(crate) mod frontend;
pub(crate) mod locate;

/// Plans `compose write` for `settings`, with the daemon's `region`.
pub(crate) fn compose_file(settings: &ComposeSettings, region: &str) -> Result<PlannedFile, Error> {
    let label = settings.file.display().to_string();
    let text = files::read(&settings.file)?.ok_or_else(|| Error::MissingFile {
        what: "compose file",
        path: settings.file.clone(),
    })?;
    for secret in compose::literal_secrets(&text) {
        crate::secret::register_secret(&secret);
    }
    let spec = ComposeSpec {
        service: settings.service.clone(),
        parts: settings.parts,
        region: region.to_string(),
        honeycomb_region: settings.honeycomb_region,
        force: settings.force,
        via: settings.via,
        log_group: settings.log_group.clone(),
        xray_url: settings.dev_env.env.xray_url().to_string(),
        variables: compose_variables(&settings.file),
        browser: settings.browser,
    };
    let plan = compose::plan(&text, &label, &spec).map_err(|e| match e {
        // No service of that name: one whose build directory holds a Flask app?
        compose::ComposeError::NoService {
            file,
            service,
            existing,
            candidate: None,
        } => {
            let base = settings
                .file
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let found = compose::flask_candidates(&text, base);
            compose::ComposeError::NoService {
                file,
                service,
                existing,
                candidate: (found.len() == 1).then(|| found[0].clone()),
            }
        }
        other => other,
    })?;
    let env = |k: &str| format!("{}.environment.{k}", spec.service);
    let mut changes: Vec<String> = plan.added.iter().map(|k| format!("+ {}", env(k))).collect();
    changes.extend(
        plan.replaced
            .iter()
            .map(|d| format!("~ {d} (switching to --via {})", via_name(spec.via))),
    );
    changes.extend(plan.removed.iter().map(|k| format!("- {}", env(k))));
    changes.extend(plan.added_service.map(|s| format!("+ service {s}")));
    changes.extend(
        plan.added_browser_collector
            .map(|s| format!("+ service {s} (for the browser's spans)")),
    );
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
        force: settings.force,
    })
}

/// The variables `docker compose up` would substitute in this shell: the
/// environment's (non-empty), then those of `.env` beside the compose file.
fn compose_variables(compose_file: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    let dotenv_path = compose_file
        .parent()
        .map(|p| p.join(".env"))
        .unwrap_or_else(|| ".env".into());
    let mut vars: std::collections::BTreeMap<String, String> =
        files::read_dotenv_or_warn(&dotenv_path)
            .into_iter()
            .collect();
    vars.extend(std::env::vars().filter(|(_, v)| !v.is_empty()));
    vars
}

/// Plans the collector config next to the compose file (`--via collector` only).
/// A different file of the user's is kept (and checked) unless `--force`.
pub(crate) fn collector_file(
    settings: &ComposeSettings,
    region: &str,
) -> Result<Option<PlannedFile>, Error> {
    if settings.via != compose::Via::Collector && !settings.browser {
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
        force: settings.force,
    }))
}

/// Plans `gitpod write`; the `gp env` lines (values masked) are its next steps.
pub(crate) fn gitpod_file(settings: &GitpodSettings) -> Result<PlannedFile, Error> {
    let label = settings.file.display().to_string();
    let text = files::read(&settings.file)?;
    let mut ports = gitpod::PORTS.to_vec();
    if settings.collector_port {
        ports.push(gitpod::COLLECTOR_PORT);
    }
    let plan = gitpod::plan_ports(text.as_deref(), &label, settings.force, &ports)?;
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
        force: settings.force,
    })
}

fn via_name(via: compose::Via) -> &'static str {
    match via {
        compose::Via::Daemon => "daemon",
        compose::Via::Collector => "collector",
    }
}

/// Plans `app write`: `requirements.txt`, `lib/observability.py` and `app.py` in
/// the backend directory (`--dir`, else the service's `build:` context).
pub(crate) fn app_files(s: &crate::settings::AppSettings) -> Result<Vec<PlannedFile>, Error> {
    use crate::app;
    let dir = match &s.dir {
        Some(dir) => dir.clone(),
        None => backend_dir(&s.compose_file, &s.service)?,
    };
    if !dir.is_dir() {
        return Err(Error::MissingFile {
            what: "backend directory",
            path: dir,
        });
    }
    let app_path = dir.join("app.py");
    let app_label = app_path.display().to_string();
    let app_text = files::read(&app_path)?.ok_or_else(|| Error::MissingFile {
        what: "app.py",
        path: app_path.clone(),
    })?;
    let req_path = dir.join("requirements.txt");
    let req_label = req_path.display().to_string();
    let req_text = files::read(&req_path)?;

    // What app.py and the local modules it runs at import set up by hand.
    // Our own module is not hand setup: it is not followed.
    let read_local = |rel: &str| {
        (rel != app::MODULE_PATH)
            .then(|| files::read(&dir.join(rel)).ok().flatten())
            .flatten()
    };
    let found = app::detect(&app_text, &read_local);
    if let Some((_, p)) = found.syntax.iter().find(|(file, _)| file == "app.py") {
        return Err(app::AppError::Syntax {
            file: app_label,
            line: p.line,
            message: p.message.clone(),
        }
        .into());
    }
    // `--migrate`: app.py's own hand setup goes; the module does it instead.
    let (base, found, migrated) = if s.migrate {
        let wanted: Vec<crate::parts::Part> = s.parts.iter().collect();
        let m = app::migrate(&app_text, &wanted).map_err(|e| app::AppError::Migrate {
            file: app_label.clone(),
            message: e.to_string(),
        })?;
        let found = app::detect(&m.new_text, &read_local);
        (m.new_text, found, m.removed)
    } else {
        (app_text.clone(), found, Vec::new())
    };
    // Parts set up by hand: neither installed nor switched on twice.
    let skip = app::by_hand(&found, s.parts);
    let parts = s.parts.minus(skip);
    let left = parts.within(crate::parts::Parts::of(&crate::parts::Part::INSTRUMENTED));
    // Every part asked for is set up by hand: nothing to add anywhere.
    let all_by_hand = left.is_empty() && !skip.is_empty();
    let (app_new, mut app_notes, inserted, import_first) = if all_by_hand {
        (base.clone(), Vec::new(), false, false)
    } else {
        // A backend that uses a database driver or boto3 gets the import first:
        // the module patches them when imported, before app.py's modules connect.
        // (A part set up by hand is traced too: the instrumentors feed its tracer
        // provider, the X-Ray SDK's patch its recorder.)
        let traced = [crate::parts::Part::Honeycomb, crate::parts::Part::Xray]
            .iter()
            .any(|p| left.has(*p) || skip.has(*p));
        let at = if traced && !app::libraries(req_text.as_deref().unwrap_or("")).is_empty() {
            app::ImportAt::First
        } else {
            app::ImportAt::AfterApp
        };
        let plan = app::plan_app_py_at(&base, &app_label, at)?;
        let mut new = plan.new_text;
        if plan.inserted && !skip.is_empty() {
            new = replace_call_line(&new, &app::call_line(skip));
        }
        (new, plan.notes, plan.inserted, plan.import_first)
    };
    let shift = inserted_lines(&base, &app_new);
    let at = |rel: &str, line: usize| {
        if rel == "app.py" {
            format!("{app_label}:{}", shift(line))
        } else {
            format!("{}:{line}", dir.join(rel).display())
        }
    };
    app_notes.extend(app::hand_notes(
        &found,
        s.parts,
        &at,
        (&req_label, req_text.as_deref()),
    ));
    if all_by_hand {
        let names: Vec<&str> = skip.iter().map(app::part_label).collect();
        app_notes.push(format!(
            "{app_label}: every part asked for is already set up by hand ({}): nothing to write",
            names.join(", ")
        ));
    }
    let mut app_changes: Vec<String> = migrated
        .iter()
        .map(|(first, last, text)| {
            let lines = if first == last {
                format!("line {first}")
            } else {
                format!("lines {first}-{last}")
            };
            format!("- {lines}: `{}` (the module does this now)", text.trim())
        })
        .collect();
    if import_first {
        let libraries: Vec<&str> = app::libraries(req_text.as_deref().unwrap_or(""))
            .iter()
            .map(|(name, _)| name.trim_start_matches("opentelemetry-instrumentation-"))
            .collect();
        app_changes.push(format!(
            "+ {} above the other imports (it traces {} when imported, before they connect)",
            app::IMPORT_LINE,
            libraries.join(" and ")
        ));
    }
    if inserted {
        app_changes.push(format!(
            "+ {} after `app = Flask(...)`",
            app::call_line(skip)
        ));
    }

    let mut wanted = app::packages(left);
    let req_now = req_text.as_deref().unwrap_or("");
    let mut pin_note = None;
    let honeycomb = crate::parts::Part::Honeycomb;
    let libraries = app::libraries(req_now);
    if (left.has(honeycomb) || skip.has(honeycomb)) && !libraries.is_empty() {
        match app::old_opentelemetry_pin(req_now) {
            None => wanted.extend(libraries),
            Some((line, pin)) => {
                let names: Vec<&str> = libraries.iter().map(|(n, _)| *n).collect();
                pin_note = Some(format!(
                    "{req_label}:{line}: `{pin}` is older than {} needs: not added, so queries and AWS calls are not spans; add the release of each that matches this pin",
                    names.join(" and ")
                ));
            }
        }
    }
    let mut req_plan = app::plan_requirements(req_text.as_deref(), &req_label, &wanted)?;
    req_plan.notes.extend(pin_note);

    let module_path = dir.join(app::MODULE_PATH);
    let module_label = module_path.display().to_string();
    let module_text = files::read(&module_path)?;
    let mut module_conflicts = Vec::new();
    let module_new = match &module_text {
        // Nothing left to set up: the module is neither added nor updated.
        None if all_by_hand => None,
        Some(old) if all_by_hand => Some(old.clone()),
        Some(old) if old != app::MODULE && !s.force => {
            module_conflicts.push(crate::plan::FieldDiff::new(
                app::MODULE_PATH,
                Some("edited by hand".into()),
                Some("this version's module".into()),
            ));
            Some(old.clone())
        }
        _ => Some(app::MODULE.to_string()),
    };
    let module_changes = match (&module_text, &module_new) {
        (None, _) => vec![format!("+ {}", app::MODULE_PATH)],
        (Some(old), Some(new)) if old != new => vec![format!("~ {}", app::MODULE_PATH)],
        _ => Vec::new(),
    };
    let report = |file: String, changes: Vec<String>, conflicts, notes: Vec<String>| FileReport {
        file,
        status: FileStatus::InSync,
        changes,
        conflicts,
        forced: s.force,
        notes,
        diff: None,
        next_steps: Vec::new(),
    };
    let mut planned = vec![
        PlannedFile {
            path: req_path,
            report: report(
                req_label,
                req_plan.added.iter().map(|a| format!("+ {a}")).collect(),
                Vec::new(),
                req_plan.notes.clone(),
            ),
            old: req_text,
            new: req_plan.new_text,
            force: s.force,
        },
        PlannedFile {
            path: app_path,
            report: report(app_label, app_changes, Vec::new(), app_notes),
            old: Some(app_text),
            new: app_new,
            force: s.force,
        },
    ];
    if let Some(module_new) = module_new {
        planned.insert(
            1,
            PlannedFile {
                path: module_path,
                report: report(module_label, module_changes, module_conflicts, Vec::new()),
                old: module_text,
                new: module_new,
                force: s.force,
            },
        );
    }
    Ok(planned)
}

/// Maps a line (1-based) of `old` to its line in `new`, where `new` is `old`
/// with lines inserted (what `plan_app_py` does, at one or two places).
fn inserted_lines(old: &str, new: &str) -> impl Fn(usize) -> usize {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut map: Vec<usize> = (0..=old.split_inclusive('\n').count()).collect();
    for op in diff.ops() {
        if let similar::DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = *op
        {
            for i in 0..len {
                map[old_index + i + 1] = new_index + i + 1;
            }
        }
    }
    move |line| map.get(line).copied().unwrap_or(line)
}

/// Replaces the inserted `init_observability(app)` line (ours, just added).
fn replace_call_line(text: &str, call: &str) -> String {
    let mut out = String::with_capacity(text.len() + call.len());
    let mut done = false;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\r', '\n']);
        if !done && body == crate::app::CALL_LINE {
            out.push_str(call);
            out.push_str(&line[body.len()..]);
            done = true;
        } else {
            out.push_str(line);
        }
    }
    out
}

/// The service's `build:` context (short form or `context:`), relative to the
/// compose file's directory.
pub(crate) fn backend_dir(
    compose_file: &std::path::Path,
    service: &str,
) -> Result<std::path::PathBuf, Error> {
    let label = compose_file.display().to_string();
    let text = files::read(compose_file)?.ok_or_else(|| Error::MissingFile {
        what: "compose file",
        path: compose_file.to_path_buf(),
    })?;
    let doc = compose::parse_strict(&text, &label)?;
    let base = compose_file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if let Some(services) = doc.get("services").and_then(|s| s.as_object()) {
        if !services.contains_key(service) {
            return Err(compose::discover::DiscoverError::NoSuchService {
                file: label,
                service: service.to_string(),
                existing: services.keys().cloned().collect(),
            }
            .into());
        }
    }
    let context = compose::build_context(&doc["services"][service], base).ok_or_else(|| {
        Error::Usage(format!(
            "{label}: service {service} has no build: context to find its app.py in; pass --dir"
        ))
    })?;
    let lexical_out = std::path::Path::new(&context).is_absolute()
        || std::path::Path::new(&context)
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir));
    if lexical_out {
        tracing::warn!(
            "{service} builds from {context}, outside the project: its files there are the ones planned"
        );
    }
    // `./backend-flask` under `.`: keep the path as a person would write it.
    Ok(base
        .join(context)
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect())
}

/// Plans `devcontainer write`: the app's forwarded ports and their labels; the
/// next steps are the `gh` commands for port visibility and secrets.
pub(crate) fn devcontainer_file(
    path: &std::path::Path,
    parts: crate::parts::Parts,
    collector_port: bool,
) -> Result<PlannedFile, Error> {
    let label = path.display().to_string();
    let text = files::read(path)?;
    let mut ports = crate::devcontainer::PORTS.to_vec();
    if collector_port {
        ports.push(crate::devcontainer::COLLECTOR_PORT);
    }
    let plan = crate::devcontainer::plan_ports(text.as_deref(), &label, &ports)?;
    let public = if collector_port {
        "4567:public 4318:public"
    } else {
        "4567:public"
    };
    let mut next_steps = vec![format!(
        "gh codespace ports visibility {public} -c \"$CODESPACE_NAME\""
    )];
    next_steps.extend(
        [
            "HONEYCOMB_API_KEY",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_DEFAULT_REGION",
            "ROLLBAR_ACCESS_TOKEN",
        ]
        .iter()
        .filter(|name| parts.wants_env(name))
        .map(|name| format!("gh secret set {name} --app codespaces")),
    );
    Ok(PlannedFile {
        path: path.to_path_buf(),
        old: text,
        new: plan.new_text,
        report: FileReport {
            file: label,
            status: FileStatus::InSync,
            changes: plan.changes,
            conflicts: Vec::new(),
            forced: false,
            notes: plan.notes,
            diff: None,
            next_steps,
        },
        force: false,
    })
}
