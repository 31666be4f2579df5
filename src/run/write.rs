//! Commands that write files: `compose write`, `gitpod write`, `devcontainer write`,
//! `app write` — plan, show the diff, ask, write checked; and the `gp`/`gh`
//! subprocesses they run after agreement.

use super::*;

pub(super) async fn compose_write(
    config: &Config,
    settings: &ComposeSettings,
) -> Result<Done, Error> {
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
        let mut planned = vec![project::compose_file(settings, &region)?];
        planned.extend(project::collector_file(settings, &region)?);
        Ok(planned)
    })
}

pub(super) async fn gitpod_write(
    config: &Config,
    settings: &GitpodSettings,
) -> Result<Done, Error> {
    let done = plan_and_write(config, || Ok(vec![project::gitpod_file(settings)?]))?;
    // Only inside a Gitpod workspace: another program may be called `gp`.
    let gp = which("gp").filter(|_| std::env::var_os("GITPOD_WORKSPACE_ID").is_some());
    match gp {
        Some(gp) => {
            let saved = match save_gp_env(config, settings, &gp) {
                Ok(code) => code,
                Err(e) => return Err(done.then_failed(e)),
            };
            Ok(then(
                done,
                saved,
                "gp env",
                "the variables were not saved with gp env",
            ))
        }
        None => Ok(done),
    }
}

/// The files' report after a follow-up step (`gp env`, `gh`) that ended with
/// `code`: a failure outranks work left, work left outranks done.
pub(super) fn then(done: Done, code: u8, step: &str, left: &str) -> Done {
    match code {
        exit::FAILURE => done.with_code(
            exit::FAILURE,
            format!("{step} failed (see the warning above)"),
            None,
        ),
        exit::PENDING if done.code == exit::OK => done.with_code(exit::PENDING, left, None),
        _ => done,
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
        config.ui.say(&format!("would save {names} with gp env"));
        return Ok(exit::PENDING);
    }
    let what = format!("saving {names} with gp env");
    if !config.ui.agree(
        &what,
        &format!("Save {names} with gp env for the next workspaces?"),
    )? {
        return Ok(exit::PENDING);
    }
    let mut code = exit::OK;
    for (name, value) in todo {
        match gp_run(&["env".to_string(), format!("{name}={}", value.expose())]) {
            Ok(out) if out.status.success() => config.ui.say(&format!("saved {name} with gp env")),
            Ok(out) => {
                let said =
                    String::from_utf8_lossy(&out.stderr).replace(value.expose(), &value.masked());
                let said = said.lines().next().unwrap_or_default().to_string();
                config.ui.say(&format!("warning: gp env {name}=… failed: {said}\nhelp: run `gp env {name}=<value>` yourself"));
                code = exit::FAILURE;
            }
            Err(e) => {
                config.ui.warn(
                    &format!("cannot run {}: {e}", gp.display()),
                    Some(&format!("run `gp env {name}=<value>` yourself")),
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
pub(super) fn plan_and_write(
    config: &Config,
    plan: impl Fn() -> Result<Vec<PlannedFile>, Error>,
) -> Result<Done, Error> {
    let mut again = 0;
    loop {
        match write_files(config, plan()?) {
            Err(Error::File(FileError::Changed { path }))
                if config.ui.interactive && !config.ui.yes && again < 3 =>
            {
                again += 1;
                config.ui.say(&format!(
                    "{} changed while you were deciding: planning again from the new file",
                    path.display()
                ));
            }
            other => return other,
        }
    }
}

/// Shows the diffs, asks once, and writes the files whose bytes change.
pub(super) fn write_files(config: &Config, planned: Vec<PlannedFile>) -> Result<Done, Error> {
    let changing: Vec<&PlannedFile> = planned.iter().filter(|p| p.changes()).collect();
    let agreed = if changing.is_empty() || config.ui.dry_run {
        false
    } else {
        for p in &changing {
            config
                .ui
                .say(config.ui.diff_text(&p.diff()).trim_end_matches('\n'));
        }
        let names: Vec<String> = changing
            .iter()
            .map(|p| p.path.display().to_string())
            .collect();
        let names = names.join(" and ");
        let asked = config
            .ui
            .agree(&format!("writing {names}"), &format!("Write {names}?"));
        match asked {
            Ok(agreed) => agreed,
            Err(e) => {
                // The plan that was to be agreed to goes out with the error.
                let reports = planned.into_iter().map(|p| p.unapplied(false)).collect();
                return Err(Error::with_json_report(&files_report(config, reports), e));
            }
        }
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
    let shown = files_report(config, reports);
    Ok(match (pending, config.ui.dry_run) {
        (false, _) => Done::new(&shown, exit::OK),
        (true, true) => Done::pending(
            &shown,
            "dry run: no file was written",
            Some("run it again without --dry-run to write them"),
        ),
        (true, false) => Done::pending(&shown, "the files were not written (not agreed)", None),
    })
}

/// The files' report as shown: in text, a diff only for a file that would change
/// (a new file in one line unless `-v`); in JSON, every diff whole.
fn files_report(config: &Config, reports: Vec<FileReport>) -> FilesReport {
    FilesReport {
        files: reports
            .into_iter()
            .map(|mut r| {
                if config.ui.output == Output::Text {
                    r.diff = match r.status {
                        FileStatus::WouldChange => r.diff.map(|d| config.ui.diff_text(&d)),
                        _ => None,
                    };
                }
                r
            })
            .collect(),
    }
}

/// Like [`write_files`], with the report on stderr (stdout holds the result).
pub(super) fn write_files_reporting_to_stderr(
    config: &Config,
    planned: Vec<PlannedFile>,
) -> Result<u8, Error> {
    let changing: Vec<&PlannedFile> = planned.iter().filter(|p| p.changes()).collect();
    if changing.is_empty() || config.ui.dry_run {
        for p in &changing {
            config
                .ui
                .say(config.ui.diff_text(&p.diff()).trim_end_matches('\n'));
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
    if !config
        .ui
        .agree(&format!("writing {names}"), &format!("Write {names}?"))?
    {
        return Ok(exit::PENDING);
    }
    for p in planned {
        let report = p.apply()?;
        config.ui.say(&report.to_string());
    }
    Ok(exit::OK)
}

/// `gh codespace ports visibility 4567:public -c NAME`, after agreement; gh's
/// output is shown only as its first line.
pub(super) fn make_port_public(
    config: &Config,
    gh: &std::path::Path,
    codespace: &str,
    collector_port: bool,
) -> Result<u8, Error> {
    let mut args = vec!["codespace", "ports", "visibility", "4567:public"];
    if collector_port {
        args.push("4318:public");
    }
    args.extend(["-c", codespace]);
    let ports = if collector_port {
        "ports 4567 and 4318 are"
    } else {
        "port 4567 is"
    };
    let shown = format!("gh {}", args.join(" "));
    if config.ui.dry_run {
        config.ui.say(&format!("would run: {shown}"));
        return Ok(exit::PENDING);
    }
    if !config.ui.agree(
        &format!("running {shown}"),
        &format!(
            "Make the backend's port 4567{} public in this codespace (gh)?",
            if collector_port {
                " and the collector's 4318"
            } else {
                ""
            }
        ),
    )? {
        return Ok(exit::PENDING);
    }
    match std::process::Command::new(gh)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
    {
        Ok(out) if out.status.success() => {
            config.ui.say(&format!("{ports} public in {codespace}"));
            Ok(exit::OK)
        }
        Ok(out) => {
            let said = String::from_utf8_lossy(&out.stderr);
            config.ui.warn(
                &format!(
                    "{shown} failed: {}",
                    said.lines().next().unwrap_or_default()
                ),
                Some("run it yourself, or set the port's visibility in the Ports tab"),
            );
            Ok(exit::FAILURE)
        }
        Err(e) => {
            config
                .ui
                .warn(&format!("cannot run {}: {e}", gh.display()), None);
            Ok(exit::FAILURE)
        }
    }
}

/// The path of `program` on PATH, if any.
/// (The `which` crate: executable files only, PATH as the shell reads it.)
pub(super) fn which(program: &str) -> Option<std::path::PathBuf> {
    which::which(program).ok()
}
