//! `frontend write`'s settings: the React app's directory (given, the course's
//! `frontend-react-js`, else the compose service that builds a React app) and
//! what finds the backend whose CORS it checks.

use std::path::{Path, PathBuf};

use crate::cli::FrontendArgs;
use crate::error::Error;
use crate::frontend::{FrontendError, DEFAULT_DIR};
use crate::project::locate::{locate, probe_services, repo_root};
use crate::settings::FrontendSettings;

pub(crate) fn frontend_settings(
    a: &FrontendArgs,
    notes: &mut Vec<String>,
) -> Result<FrontendSettings, Error> {
    let located = locate(a.file.as_deref(), a.service.as_deref());
    let dir = match &a.dir {
        Some(dir) => dir.clone(),
        None => find_frontend(located.file.as_deref(), notes)?,
    };
    Ok(FrontendSettings {
        dir,
        backend_dir: a.backend_dir.clone(),
        compose_file: located.file.clone(),
        service: located.service.as_ref().ok().map(|s| s.name().to_string()),
        force: a.force,
    })
}

/// `frontend write` within `init`/`plan`/`status`: `None` when no React app is
/// found (the part is then simply not there, as the backend's code without
/// its directory).
pub(crate) fn frontend_for_setup(
    compose_file: &Path,
    service: &str,
    force: bool,
) -> Option<FrontendSettings> {
    let mut notes = Vec::new();
    let dir = find_frontend(Some(compose_file), &mut notes).ok()?;
    Some(FrontendSettings {
        dir,
        backend_dir: None,
        compose_file: Some(compose_file.to_path_buf()),
        service: Some(service.to_string()),
        force,
    })
}

/// Whether this repository has a React frontend (found as `frontend write`
/// finds it, from the compose file docker compose would use): `gitpod write`
/// and `devcontainer write` then open the collector's port 4318 too.
pub(crate) fn frontend_present() -> bool {
    let located = locate(None, None);
    find_frontend(located.file.as_deref(), &mut Vec::new()).is_ok()
}

/// `frontend-react-js` when it holds a package.json; else the one service of
/// the compose file whose build context holds a React app's package.json.
fn find_frontend(compose_file: Option<&Path>, notes: &mut Vec<String>) -> Result<PathBuf, Error> {
    let default = PathBuf::from(DEFAULT_DIR);
    if default.join("package.json").is_file() {
        return Ok(default);
    }
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    if let Some(file) = compose_file {
        let base = repo_root(file);
        for service in probe_services(file).unwrap_or_default() {
            let Some(context) = service.context else {
                continue;
            };
            let dir: PathBuf = base
                .join(&context)
                .components()
                .filter(|c| !matches!(c, std::path::Component::CurDir))
                .collect();
            if is_react_app(&dir) {
                found.push((service.name, dir));
            }
        }
    }
    match found.len() {
        1 => {
            let (service, dir) = found.remove(0);
            notes.push(format!(
                "no ./{DEFAULT_DIR}: using {}, the build context of service {service} (a React app)",
                dir.display()
            ));
            Ok(dir)
        }
        0 => Err(FrontendError::NoFrontend {
            looked: match compose_file {
                Some(f) => format!(
                    "./{DEFAULT_DIR}/package.json, nor a service in {} that builds a React app",
                    f.display()
                ),
                None => format!("./{DEFAULT_DIR}/package.json, and no compose file"),
            },
        }
        .into()),
        _ => Err(FrontendError::SeveralFrontends {
            services: found.into_iter().map(|(s, _)| s).collect(),
        }
        .into()),
    }
}

/// A directory whose package.json depends on React.
fn is_react_app(dir: &Path) -> bool {
    crate::files::read(&dir.join("package.json"))
        .ok()
        .flatten()
        .is_some_and(|text| text.contains("\"react\"") || text.contains("\"react-scripts\""))
}
