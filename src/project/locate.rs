//! Where the project's files are when the command line does not say: the
//! compose file and the Flask service as docker compose finds them, the
//! backend directory, the dev container file, the dev environment, and the
//! values `gp env` needs from our environment.

use std::path::{Path, PathBuf};

use crate::compose::discover::{self, DiscoverError, ServiceChoice, ServiceInfo};
use crate::parts::Parts;
use crate::secret::Secret;

/// The compose file and the Flask service: as given, else as docker compose
/// finds the file and [`discover::choose_service`] the service.
#[derive(Debug, Clone)]
pub(crate) struct Located {
    /// `None`: `--file` not given, and none of [`discover::FILE_NAMES`] exists.
    pub(crate) file: Option<PathBuf>,
    /// The note naming the file used and the ones ignored, if several exist.
    pub(crate) file_note: Option<String>,
    pub(crate) service: Result<ServiceChoice, DiscoverError>,
}

impl Located {
    /// The notes for what was found rather than given.
    pub(crate) fn notes(&self, service: &ServiceChoice) -> Vec<String> {
        self.file_note
            .iter()
            .cloned()
            .chain(service.note())
            .collect()
    }

    /// The service found, else (where a failure to find it is not an error
    /// here) the one given, else `backend-flask`.
    pub(crate) fn service_or(&self, given: Option<&str>) -> ServiceChoice {
        self.service.clone().unwrap_or_else(|_| {
            given.map_or(ServiceChoice::Default, |s| {
                ServiceChoice::Given(s.to_string())
            })
        })
    }
}

/// Probes the current directory and the compose file for [`discover`].
pub(crate) fn locate(file: Option<&Path>, service: Option<&str>) -> Located {
    if let Some(file) = file {
        let services = probe_services(file);
        return Located {
            file: Some(file.to_path_buf()),
            file_note: None,
            service: discover::choose_service(
                &file.display().to_string(),
                service,
                services.as_deref(),
            ),
        };
    }
    let present = discover::FILE_NAMES.map(|name| Path::new(name).exists());
    let chosen = discover::choose_file(present).ok();
    let services = chosen
        .as_ref()
        .and_then(|f| probe_services(Path::new(f.name)));
    Located {
        file: chosen.as_ref().map(|f| PathBuf::from(f.name)),
        file_note: chosen.as_ref().and_then(discover::FileChoice::note),
        service: discover::choose(present, service, services.as_deref()).map(|c| c.service),
    }
}

/// The services of a compose file with their `build:` contexts, and whether
/// each context holds `app.py`. `None` when the file cannot be read or parsed
/// or has no `services:` mapping: the planner reports that, as before.
pub(crate) fn probe_services(file: &Path) -> Option<Vec<ServiceInfo>> {
    let text = crate::files::read(file).ok().flatten()?;
    let doc = crate::compose::parse_strict(&text, "").ok()?;
    let services = doc.get("services")?.as_object()?;
    let base = repo_root(file);
    Some(
        services
            .iter()
            .map(|(name, body)| {
                let context = crate::compose::build_context(body, base);
                let holds_app_py = context
                    .as_ref()
                    .is_some_and(|c| base.join(c).join("app.py").is_file());
                ServiceInfo {
                    name: name.clone(),
                    context,
                    holds_app_py,
                }
            })
            .collect(),
    )
}

/// `./backend-flask`, when it holds `app.py`: the backend without a compose file.
pub(crate) fn backend_without_compose() -> Option<PathBuf> {
    let dir = PathBuf::from(discover::DEFAULT_BACKEND_DIR);
    dir.join("app.py").is_file().then_some(dir)
}

/// The note for [`backend_without_compose`].
pub(crate) fn backend_note(dir: &Path) -> String {
    format!(
        "no compose file here (looked for {}): using ./{}, which holds app.py",
        discover::FILE_NAMES.join(", "),
        dir.display()
    )
}

/// The compose file's path when there is none: the course's name, for the
/// paths beside it (all in the current directory).
pub(crate) fn placeholder_file() -> PathBuf {
    PathBuf::from(discover::FILE_NAMES[3])
}

/// The values `gp env` needs for the chosen parts, from our environment.
pub(crate) fn gp_env_values(parts: Parts) -> Vec<(String, Option<Secret>)> {
    crate::gitpod::GP_ENV
        .iter()
        .filter(|(name, _)| parts.wants_env(name))
        .map(|(name, secret)| {
            let value = std::env::var(name).ok().filter(|v| !v.is_empty());
            let value = match secret {
                true => value.map(Secret::new),
                false => value.map(Secret::shown),
            };
            (name.to_string(), value)
        })
        .collect()
}

/// The directory the repository's files are in: the compose file's.
pub(crate) fn repo_root(compose_file: &Path) -> &Path {
    compose_file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The devcontainer.json of the repository (`.devcontainer.json` if that is the
/// one there, else `.devcontainer/devcontainer.json`).
/// Beside a compose file in the current directory, the path has no `./` (as
/// `devcontainer write` names it).
pub(crate) fn devcontainer_path(compose_file: &Path) -> std::path::PathBuf {
    let beside = |rel: &Path| match compose_file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(rel),
        _ => rel.to_path_buf(),
    };
    let flat = beside(Path::new(".devcontainer.json"));
    if flat.exists() {
        flat
    } else {
        beside(Path::new(".devcontainer/devcontainer.json"))
    }
}

/// `--dev-env`, else what the repository and the environment say.
pub(crate) fn dev_env(
    compose_file: &Path,
    given: Option<crate::devenv::DevEnv>,
) -> crate::devenv::Detected {
    use crate::devenv::{detect, Detected, Signals};
    if let Some(env) = given {
        return Detected {
            env,
            reason: "--dev-env".into(),
        };
    }
    let root = repo_root(compose_file);
    detect(&Signals {
        gitpod_file: root.join(".gitpod.yml").exists(),
        devcontainer_file: devcontainer_path(compose_file).exists(),
        // Values only: the course's files keep the other environment's URLs in comments.
        // Read like every input (regular files only, capped): a FIFO never blocks.
        compose_text: crate::files::read(compose_file)
            .ok()
            .flatten()
            .and_then(|t| crate::compose::parse_strict(&t, "").ok())
            .map(|v| v.to_string()),
        in_gitpod: std::env::var_os("GITPOD_WORKSPACE_ID").is_some(),
        in_codespaces: std::env::var("CODESPACES").is_ok_and(|v| v == "true"),
    })
}
