//! Plans `frontend write`: reads the React app's files and the backend's
//! `app.py`, runs the pure planners of [`crate::frontend`], and describes each
//! edit as a [`PlannedFile`]: `package.json`, `src/tracing.js` (or `.ts`), the
//! entry point, and the backend's `app.py` (CORS).
//!
//! A tracing setup written by hand (in the entry point, a module it imports, or
//! a `src/tracing.*` that is not ours) is left as it is: no second setup, no
//! packages, no import — and a Honeycomb key found in it is named, masked.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::files::{self, FileReport, FileStatus, PlannedFile};
use crate::frontend::hand::{find as find_hand, Off, TRACING_FILES};
use crate::frontend::js::local_imports;
use crate::frontend::keys::leaks;
use crate::frontend::{
    cors, index_js, is_typescript, package_json, tracing_file, tracing_path, FrontendError,
    COLLECTOR_URL_VAR, ENTRY_POINTS, PACKAGES,
};
use crate::settings::FrontendSettings;

/// What `frontend write` plans: its files, in the order they are shown, and
/// the headers the frontend's own requests send (the backend's CORS must allow
/// them too, also when `app write` plans the same file).
pub(crate) struct FrontendPlan {
    pub files: Vec<PlannedFile>,
    pub sent: Vec<cors::Sent>,
}

/// The files `frontend write` plans, in the order they are shown.
pub(crate) fn frontend_files(s: &FrontendSettings) -> Result<Vec<PlannedFile>, Error> {
    frontend_plan(s).map(|p| p.files)
}

/// [`frontend_files`], with the headers the frontend sends.
pub(crate) fn frontend_plan(s: &FrontendSettings) -> Result<FrontendPlan, Error> {
    let dir = &s.dir;
    if !dir.is_dir() {
        return Err(Error::MissingFile {
            what: "frontend directory",
            path: dir.clone(),
        });
    }
    let label = |rel: &str| dir.join(rel).display().to_string();
    let package_path = dir.join("package.json");
    let package_text = files::read(&package_path)?.ok_or_else(|| Error::MissingFile {
        what: "package.json",
        path: package_path.clone(),
    })?;
    let (entry_rel, entry_text) = ENTRY_POINTS
        .iter()
        .find_map(|rel| {
            files::read(&dir.join(rel))
                .transpose()
                .map(|text| text.map(|t| (*rel, t)))
        })
        .transpose()?
        .ok_or_else(|| FrontendError::NoEntryPoint {
            dir: dir.display().to_string(),
        })?;
    let typescript = is_typescript(dir.join("tsconfig.json").is_file(), entry_rel);
    let ours_rel = tracing_path(typescript);
    let ours_path = dir.join(ours_rel);
    let ours_text = files::read(&ours_path)?;

    // Hand setups: in the modules the entry point runs (its relative imports,
    // followed), or in a src/tracing.* nothing runs (ours is judged by content:
    // a hand file may take its name).
    let running = reachable(dir, entry_rel, &entry_text)?;
    let mut unimported = Vec::new();
    for rel in TRACING_FILES {
        if !running.iter().any(|(r, _)| r == rel) {
            if let Some(text) = files::read(&dir.join(rel))? {
                unimported.push((rel.to_string(), text));
            }
        }
    }
    let hand = find_hand(&running, &unimported);
    // Keys: in any script under src/, imported or not (the repository is public
    // too), and in whatever the entry point runs from elsewhere.
    let mut scanned = scripts_under(&dir.join("src"), "src");
    for (rel, text) in &running {
        if !scanned.iter().any(|(r, _)| r == rel) {
            scanned.push((rel.clone(), text.clone()));
        }
    }
    let leak_notes: Vec<String> = scanned
        .iter()
        .filter(|(_, text)| !tracing_file::is_ours(text))
        .flat_map(|(rel, text)| {
            let bundled = running.iter().any(|(r, _)| r == rel);
            leaks(text)
                .into_iter()
                .map(|l| l.note(&label(rel), bundled))
                .collect::<Vec<_>>()
        })
        .collect();
    // Only what the app runs sends requests (not a test, not a module nothing imports).
    let mut sent = crate::frontend::headers::sent_headers(&running);
    for s in &mut sent {
        s.at = label(&s.at);
    }
    // --force replaces a hand file at our path, and writes ours beside a setup
    // that does not run; a running setup elsewhere is never doubled.
    let hand = hand.filter(|h| !(s.force && (h.rel == ours_rel || h.off != Off::No)));

    let report = |file: String, changes: Vec<String>, notes: Vec<String>| FileReport {
        file,
        status: FileStatus::InSync,
        changes,
        conflicts: Vec::new(),
        forced: s.force,
        notes,
        diff: None,
        next_steps: Vec::new(),
    };
    let mut planned = Vec::new();
    match &hand {
        Some(h) if h.off != Off::No => {
            // Not running: work left (exit 3, a failing status), that --force does.
            let mut notes = vec![h.note(&label(&h.rel), &label(entry_rel), ours_rel)];
            notes.extend(leak_notes);
            let path = dir.join(&h.rel);
            let text = files::read(&path)?.unwrap_or_default();
            let mut file = unchanged(s, path, text, report(label(&h.rel), Vec::new(), notes));
            file.report.conflicts.push(crate::plan::FieldDiff::new(
                &h.rel,
                Some("a hand setup that does not run".into()),
                Some(format!("cruddur-obs's {ours_rel}, imported")),
            ));
            // --force writes ours at its path: a hand file there is replaced too.
            if h.rel != ours_rel
                && ours_text
                    .as_deref()
                    .is_some_and(|t| !tracing_file::is_ours(t))
            {
                file.report.conflicts.push(crate::plan::FieldDiff::new(
                    ours_rel,
                    Some("a hand file".into()),
                    Some("cruddur-obs's module".into()),
                ));
            }
            planned.push(file);
        }
        Some(h) => {
            let mut notes = vec![h.note(&label(&h.rel), &label(entry_rel), ours_rel)];
            notes.extend(leak_notes);
            let r = report(label("package.json"), Vec::new(), notes);
            planned.push(unchanged(s, package_path, package_text, r));
        }
        None => {
            let plan = package_json::plan_package_json(
                &package_text,
                &label("package.json"),
                PACKAGES,
                s.force,
            )?;
            let mut changes: Vec<String> = plan.added.iter().map(|a| format!("+ {a}")).collect();
            let mut conflicts = Vec::new();
            for (name, written, version) in &plan.outdated {
                if s.force {
                    changes.push(format!("~ {name} {written:?} → {version:?}"));
                }
                // The tracing module is written against the family's API: an
                // older version builds and sends nothing.
                conflicts.push(crate::plan::FieldDiff::new(
                    name,
                    Some(written.clone()),
                    Some(version.clone()),
                ));
            }
            let mut p = report(label("package.json"), changes, plan.notes);
            if !plan.outdated.is_empty() && !s.force {
                p.notes.push(format!(
                    "{}: the tracing module needs the family's versions — with the ones kept, \
                     the page builds and sends no span: run again with --force to write them, \
                     or `npm install {}`",
                    label("package.json"),
                    plan.outdated
                        .iter()
                        .map(|(n, _, v)| format!("{n}@{v}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
            }
            p.conflicts = conflicts;
            p.next_steps = npm_steps(dir, plan.new_text != package_text)?;
            planned.push(PlannedFile {
                path: package_path,
                report: p,
                old: Some(package_text),
                new: plan.new_text,
                force: s.force,
            });

            planned.push(our_module(
                s, ours_path, ours_rel, ours_text, typescript, leak_notes,
            )?);

            let plan = index_js::plan_index(&entry_text, &label(entry_rel));
            let changes = plan
                .inserted
                .iter()
                .map(|(line, n)| format!("+ {line} (line {n})"))
                .collect();
            planned.push(PlannedFile {
                path: dir.join(entry_rel),
                report: report(label(entry_rel), changes, plan.notes),
                old: Some(entry_text),
                new: plan.new_text,
                force: s.force,
            });
        }
    }
    planned.extend(backend_files(s, &report, &sent)?);
    Ok(FrontendPlan {
        files: planned,
        sent,
    })
}

/// A file planned as it is (the report says why).
fn unchanged(s: &FrontendSettings, path: PathBuf, text: String, report: FileReport) -> PlannedFile {
    PlannedFile {
        path,
        report,
        old: Some(text.clone()),
        new: text,
        force: s.force,
    }
}

/// Our tracing module at `rel` (`old`: what is there now): written when missing
/// or ours of another version; a hand-edited one is a conflict unless --force.
fn our_module(
    s: &FrontendSettings,
    path: PathBuf,
    rel: &str,
    old: Option<String>,
    typescript: bool,
    notes: Vec<String>,
) -> Result<PlannedFile, Error> {
    let template = tracing_file::template(typescript);
    let mut conflicts = Vec::new();
    let new = match &old {
        Some(old) if old != template && !s.force => {
            conflicts.push(crate::plan::FieldDiff::new(
                rel,
                Some("edited by hand".into()),
                Some("this version's module".into()),
            ));
            old.clone()
        }
        _ => template.to_string(),
    };
    let changes = match &old {
        None => vec![format!("+ {rel}")],
        Some(old) if *old != new => vec![format!("~ {rel}")],
        Some(_) => Vec::new(),
    };
    Ok(PlannedFile {
        report: FileReport {
            file: path.display().to_string(),
            status: FileStatus::InSync,
            changes,
            conflicts,
            forced: s.force,
            notes,
            diff: None,
            next_steps: collector_url_steps(s)?,
        },
        path,
        old,
        new,
        force: s.force,
    })
}

/// Where the browser's spans go: REACT_APP_OTEL_COLLECTOR_URL, when the compose
/// file does not set it yet (the frontend is not traced without it).
fn collector_url_steps(s: &FrontendSettings) -> Result<Vec<String>, Error> {
    let text = match &s.compose_file {
        Some(file) => files::read(file)?,
        None => None,
    };
    if text.is_some_and(|t| t.contains(COLLECTOR_URL_VAR)) {
        return Ok(Vec::new());
    }
    Ok(vec![format!(
        "set {COLLECTOR_URL_VAR} in the frontend service's environment to the collector's \
         public URL on port 4318 (Gitpod: \"https://4318-${{GITPOD_WORKSPACE_ID}}.${{GITPOD_WORKSPACE_CLUSTER_HOST}}\", \
         Codespaces: \"https://${{CODESPACE_NAME}}-4318.${{GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN}}\", \
         locally: \"http://localhost:4318\"), make port 4318 public, and run the collector \
         (`cruddur-obs compose write --via collector`); unset, tracing stays off"
    )])
}

/// What to run after the packages were added: npm is not run here.
fn npm_steps(dir: &Path, added: bool) -> Result<Vec<String>, Error> {
    let lock = files::read(&dir.join("package-lock.json"))?;
    let stale = lock.as_deref().is_some_and(|l| {
        PACKAGES
            .iter()
            .any(|(name, _)| !l.contains(&format!("{name}\"")))
    });
    if !added && !stale {
        return Ok(Vec::new());
    }
    let mut step = format!("cd {} && npm install", dir.display());
    if lock.is_some() {
        step.push_str(" (updates package-lock.json: commit it with package.json)");
    }
    Ok(vec![step])
}

/// With `--via collector`: the compose file's frontend service gets
/// `REACT_APP_OTEL_COLLECTOR_URL` (the collector's 4318 as the browser reaches it
/// in `env`), on top of the compose file's plan. Whether the service has it now.
pub(crate) fn add_collector_url(
    compose: &mut PlannedFile,
    s: &FrontendSettings,
    env: crate::devenv::DevEnv,
) -> bool {
    let Some(file) = &s.compose_file else {
        return false;
    };
    let base = crate::project::locate::repo_root(file);
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let service = crate::project::locate::probe_services(file)
        .unwrap_or_default()
        .into_iter()
        .find(|svc| {
            svc.context
                .as_ref()
                .is_some_and(|c| same(&base.join(c), &s.dir))
        })
        .map(|svc| svc.name);
    let Some(service) = service else {
        compose.report.notes.push(format!(
            "no service of {} builds {}: set {COLLECTOR_URL_VAR} for the frontend by hand",
            file.display(),
            s.dir.display()
        ));
        return false;
    };
    let plan = crate::compose::browser::plan_browser_env(
        &compose.new,
        &compose.report.file,
        &service,
        COLLECTOR_URL_VAR,
        crate::compose::browser::collector_url(env),
    );
    let set = plan.note.is_none();
    compose.new = plan.new_text;
    compose.report.changes.extend(plan.change);
    compose.report.notes.extend(plan.note);
    set
}

/// The frontend's next step about [`COLLECTOR_URL_VAR`], once the compose file sets it.
pub(crate) fn drop_collector_step(files: &mut [PlannedFile]) {
    for f in files {
        f.report
            .next_steps
            .retain(|step| !step.contains(COLLECTOR_URL_VAR));
    }
}

/// Adds the frontend's planned files to `files` (the setup's). When `app write`
/// also plans the backend's `app.py`, the CORS edit goes on top of its plan:
/// one file, one diff, both edits.
pub(crate) fn merge_into(files: &mut Vec<PlannedFile>, plan: FrontendPlan) {
    for p in plan.files {
        match files.iter_mut().find(|f| f.path == p.path) {
            // Nothing of the frontend's for it (its CORS lives in another module).
            Some(_) if p.report.changes.is_empty() && p.report.notes.is_empty() => {}
            Some(app_py) => {
                let plan = cors::plan_cors(&app_py.new, &p.report.file, &plan.sent);
                app_py.new = plan.new_text;
                app_py.report.changes.extend(plan.changes);
                app_py.report.notes.extend(plan.notes);
            }
            None => files.push(p),
        }
    }
}

/// The backend's file holding its `CORS(...)` call, made to allow the trace
/// headers and the frontend's own (`sent`): `app.py`, else the local module
/// app.py imports that makes the call (the course's `lib/cors.py`); app.py
/// with a note when there is none; nothing (and a warning) without a backend.
fn backend_files(
    s: &FrontendSettings,
    report: &dyn Fn(String, Vec<String>, Vec<String>) -> FileReport,
    sent: &[cors::Sent],
) -> Result<Vec<PlannedFile>, Error> {
    let dir: Option<PathBuf> = match (&s.backend_dir, &s.compose_file, &s.service) {
        (Some(dir), _, _) => Some(dir.clone()),
        (None, Some(file), Some(service)) => super::backend_dir(file, service).ok(),
        _ => None,
    }
    .or_else(crate::project::locate::backend_without_compose);
    let Some((dir, app_path)) = dir
        .map(|d| (d.clone(), d.join("app.py")))
        .filter(|(_, p)| p.is_file())
    else {
        tracing::warn!(
            "found no backend app.py (pass --backend-dir): its CORS must allow the headers {}",
            crate::frontend::TRACE_HEADERS.join(" and ")
        );
        return Ok(Vec::new());
    };
    let Some(text) = files::read(&app_path)? else {
        return Ok(Vec::new());
    };
    let planned = |path: PathBuf, text: String| {
        let label = path.display().to_string();
        let plan = cors::plan_cors(&text, &label, sent);
        let calls = plan.calls;
        let file = PlannedFile {
            path,
            report: report(label, plan.changes, plan.notes),
            old: Some(text),
            new: plan.new_text,
            force: s.force,
        };
        (file, calls)
    };
    let (app_py, calls) = planned(app_path, text.clone());
    if calls > 0 {
        return Ok(vec![app_py]);
    }
    let mut modules = Vec::new();
    for path in imported_modules(&dir, &text) {
        let Some(module) = files::read(&path)? else {
            continue;
        };
        if module.contains("CORS(") {
            let (file, calls) = planned(path, module);
            if calls > 0 {
                modules.push(file);
            }
        }
    }
    Ok(if modules.is_empty() {
        vec![app_py]
    } else {
        modules
    })
}

/// The backend's own modules `app_py` imports (`from lib.cors import init_cors`
/// → `lib/cors.py`), that exist under `dir`.
fn imported_modules(dir: &Path, app_py: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for line in app_py.lines() {
        let names: Vec<String> = if let Some(rest) = line.strip_prefix("from ") {
            // `from lib.cors import init_cors`: lib/cors.py; `from lib import
            // cors`: lib/cors.py too (a module imported by name).
            let mut words = rest.split_whitespace();
            let package = words.next().unwrap_or_default();
            let imported = rest.split_once(" import ").map_or("", |(_, i)| i);
            std::iter::once(package.to_string())
                .chain(
                    imported
                        .trim_matches(|c| c == '(' || c == ')')
                        .split(',')
                        .filter_map(|n| n.split_whitespace().next())
                        .filter(|n| *n != "*")
                        .map(|n| format!("{package}.{n}")),
                )
                .collect()
        } else if let Some(rest) = line.strip_prefix("import ") {
            rest.split(',')
                .filter_map(|n| n.split_whitespace().next())
                .map(str::to_string)
                .collect()
        } else {
            continue;
        };
        for name in &names {
            if name.starts_with('.') || name.is_empty() {
                continue;
            }
            let base = dir.join(name.replace('.', "/"));
            for path in [base.with_extension("py"), base.join("__init__.py")] {
                if path.is_file() && !out.contains(&path) {
                    out.push(path);
                }
            }
        }
    }
    out
}

/// The file a relative import in the module `from` (relative to `dir`) names
/// (`./App` → `src/App.js`, `./lib` → `src/lib/index.js`), if it exists in `dir`.
fn resolve(dir: &Path, from: &str, spec: &str) -> Option<String> {
    let base = Path::new(from).parent().unwrap_or(Path::new("")).join(spec);
    // Lexically: `..` takes a name off, `.` goes; never above `dir`.
    let mut parts: Vec<String> = Vec::new();
    for c in base.components() {
        match c {
            std::path::Component::Normal(n) => parts.push(n.to_string_lossy().into_owned()),
            std::path::Component::ParentDir => {
                parts.pop()?;
            }
            _ => {}
        }
    }
    let base = parts.join("/");
    let candidates = [
        "",
        ".js",
        ".jsx",
        ".ts",
        ".tsx",
        "/index.js",
        "/index.jsx",
        "/index.ts",
        "/index.tsx",
    ];
    candidates.iter().find_map(|ext| {
        let rel = format!("{base}{ext}");
        let is_script = ["js", "jsx", "ts", "tsx"]
            .iter()
            .any(|x| rel.ends_with(&format!(".{x}")));
        (is_script && dir.join(&rel).is_file()).then_some(rel)
    })
}

/// The most modules followed from the entry point, and scripts read under src/.
const MAX_MODULES: usize = 500;
/// Scripts bigger than this (a bundled vendor file) are not read for keys.
const MAX_SCRIPT_BYTES: u64 = 2 * 1024 * 1024;

/// The entry point and the modules it runs: its relative imports, followed
/// breadth-first (entry first), as `(path relative to dir, text)`.
fn reachable(
    dir: &Path,
    entry_rel: &str,
    entry_text: &str,
) -> Result<Vec<(String, String)>, Error> {
    let mut out = vec![(entry_rel.to_string(), entry_text.to_string())];
    let mut next = 0;
    while next < out.len() && out.len() < MAX_MODULES {
        let (from, text) = out[next].clone();
        next += 1;
        for spec in local_imports(&text) {
            let Some(rel) = resolve(dir, &from, &spec) else {
                continue;
            };
            if out.iter().any(|(r, _)| *r == rel) {
                continue;
            }
            if let Some(text) = files::read(&dir.join(&rel))? {
                out.push((rel, text));
            }
        }
    }
    Ok(out)
}

/// Every script (`.js`, `.jsx`, `.ts`, `.tsx`, `.mjs`, `.cjs`) under `root`,
/// sorted, as `(rel/..., text)` with `rel` naming `root`; `node_modules`, build
/// output, hidden directories, unreadable and oversized files are passed by.
fn scripts_under(root: &Path, rel: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), rel.to_string())];
    while let Some((dir, rel)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            let Ok(kind) = e.file_type() else { continue };
            let child = format!("{rel}/{name}");
            if kind.is_dir() {
                if !(name.starts_with('.')
                    || ["node_modules", "build", "dist"].contains(&name.as_str()))
                {
                    stack.push((e.path(), child));
                }
            } else if kind.is_file()
                && ["js", "jsx", "ts", "tsx", "mjs", "cjs"]
                    .iter()
                    .any(|x| name.ends_with(&format!(".{x}")))
                && e.metadata().is_ok_and(|m| m.len() <= MAX_SCRIPT_BYTES)
                && out.len() < MAX_MODULES * 4
            {
                if let Ok(Some(text)) = files::read(&e.path()) {
                    out.push((child, text));
                }
            }
        }
    }
    out.sort();
    out
}
