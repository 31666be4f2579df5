//! Which compose file and which service, when the command line does not say:
//! the file as docker compose itself looks for it, the Flask service by name
//! (`backend-flask`) or by the `app.py` in its build context.
//!
//! Pure: the caller probes the file system (which names exist, the services of
//! the file, whether each build context holds `app.py`) and [`choose`] decides.

/// The names docker compose looks for in the current directory, in its order:
/// the first that exists wins.
pub(crate) const FILE_NAMES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// The course's name for the Flask service.
pub(crate) const DEFAULT_SERVICE: &str = "backend-flask";

/// The backend directory used when there is no compose file at all.
pub(crate) const DEFAULT_BACKEND_DIR: &str = "backend-flask";

/// One service of the compose file, as the caller found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServiceInfo {
    pub name: String,
    /// Its `build:` context, as written (resolved `${VAR}`s), if it has one.
    pub context: Option<String>,
    /// Whether that context directory holds an `app.py`.
    pub holds_app_py: bool,
}

/// The compose file docker compose would use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileChoice {
    pub name: &'static str,
    /// The other names that exist too, ignored as docker compose ignores them.
    pub ignored: Vec<&'static str>,
}

impl FileChoice {
    /// A note for the user when other candidates were ignored.
    pub(crate) fn note(&self) -> Option<String> {
        (!self.ignored.is_empty()).then(|| {
            format!(
                "using {}; {} also here, ignored (docker compose uses the first of {})",
                self.name,
                join_and(&self.ignored),
                FILE_NAMES.join(", ")
            )
        })
    }
}

/// The Flask service, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ServiceChoice {
    /// Given with `--service` (and present in the file, when its services are known).
    Given(String),
    /// `backend-flask`: present in the file, or the file's services are unknown.
    Default,
    /// The one service whose build context holds `app.py`.
    ByAppPy { name: String, context: String },
}

impl ServiceChoice {
    pub(crate) fn name(&self) -> &str {
        match self {
            ServiceChoice::Given(name) | ServiceChoice::ByAppPy { name, .. } => name,
            ServiceChoice::Default => DEFAULT_SERVICE,
        }
    }

    /// A note for the user when the service was found, not named.
    pub(crate) fn note(&self) -> Option<String> {
        match self {
            ServiceChoice::ByAppPy { name, context } => Some(format!(
                "using service {name}: its build context {context} holds app.py"
            )),
            _ => None,
        }
    }
}

/// What was found: the compose file (`None`: none of the names exists) and the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Choice {
    pub file: Option<FileChoice>,
    pub service: ServiceChoice,
}

/// Why no choice could be made. The caller names the file in the messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DiscoverError {
    #[error("no compose file here: looked for {}", FILE_NAMES.join(", "))]
    NoFile,
    #[error(
        "service {service:?} does not exist in {file}; its services are: {}",
        list(existing)
    )]
    NoSuchService {
        file: String,
        service: String,
        existing: Vec<String>,
    },
    #[error("{file} has no service {DEFAULT_SERVICE:?} and no service whose build context holds app.py; its services are: {}", list(existing))]
    NoCandidate {
        file: String,
        existing: Vec<String>,
        /// The one service named like a backend (`backend`, `api`, `*flask*`), if any.
        by_name: Option<String>,
    },
    #[error("{file} has no service {DEFAULT_SERVICE:?} and several whose build context holds app.py: {}", candidates.iter().map(|(n, c)| format!("{n} ({c})")).collect::<Vec<_>>().join(", "))]
    SeveralCandidates {
        file: String,
        /// Name and build context of each.
        candidates: Vec<(String, String)>,
    },
}

impl DiscoverError {
    pub(crate) fn help(&self) -> Option<String> {
        Some(match self {
            DiscoverError::NoFile => {
                "run it in the repository root, or pass --file PATH".into()
            }
            DiscoverError::NoSuchService { .. } => {
                "pass --service NAME with one of the services above".into()
            }
            DiscoverError::NoCandidate {
                by_name: Some(name),
                ..
            } => format!(
                "pass --service {name} (it looks like the Flask backend by its name), or --service NAME with another of the services above"
            ),
            DiscoverError::NoCandidate { by_name: None, .. } => {
                "pass --service NAME with the Flask backend's service".into()
            }
            DiscoverError::SeveralCandidates { .. } => {
                "pass --service NAME with the one to instrument".into()
            }
        })
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

fn join_and(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => format!("{one} is"),
        [init @ .., last] => format!("{} and {last} are", init.join(", ")),
    }
}

/// The compose file among [`FILE_NAMES`]: `present[i]` says whether `FILE_NAMES[i]`
/// exists. The first present wins; the others are named as ignored.
pub(crate) fn choose_file(present: [bool; 4]) -> Result<FileChoice, DiscoverError> {
    let mut found = FILE_NAMES
        .iter()
        .zip(present)
        .filter(|(_, here)| *here)
        .map(|(name, _)| *name);
    let name = found.next().ok_or(DiscoverError::NoFile)?;
    Ok(FileChoice {
        name,
        ignored: found.collect(),
    })
}

/// The Flask service of `file`. `services` is `None` when the file's services
/// are not known (unreadable, not YAML, no `services:`): the name is then taken
/// as given, or `backend-flask`, and the planner reports the file's problem.
pub(crate) fn choose_service(
    file: &str,
    given: Option<&str>,
    services: Option<&[ServiceInfo]>,
) -> Result<ServiceChoice, DiscoverError> {
    let names = || services.map(|s| s.iter().map(|s| s.name.clone()).collect::<Vec<_>>());
    if let Some(given) = given {
        return match services {
            Some(s) if !s.iter().any(|s| s.name == given) => Err(DiscoverError::NoSuchService {
                file: file.to_string(),
                service: given.to_string(),
                existing: names().unwrap_or_default(),
            }),
            _ => Ok(ServiceChoice::Given(given.to_string())),
        };
    }
    let Some(services) = services else {
        return Ok(ServiceChoice::Default);
    };
    if services.iter().any(|s| s.name == DEFAULT_SERVICE) {
        return Ok(ServiceChoice::Default);
    }
    let candidates: Vec<(String, String)> = services
        .iter()
        .filter(|s| s.holds_app_py)
        .filter_map(|s| Some((s.name.clone(), s.context.clone()?)))
        .collect();
    match candidates.as_slice() {
        [(name, context)] => Ok(ServiceChoice::ByAppPy {
            name: name.clone(),
            context: context.clone(),
        }),
        [] => Err(DiscoverError::NoCandidate {
            file: file.to_string(),
            existing: names().unwrap_or_default(),
            by_name: backend_by_name(services),
        }),
        _ => Err(DiscoverError::SeveralCandidates {
            file: file.to_string(),
            candidates,
        }),
    }
}

/// The one service named like a backend (`backend`, `api`, `*flask*`), if exactly one.
fn backend_by_name(services: &[ServiceInfo]) -> Option<String> {
    let looks = |n: &str| {
        let n = n.to_ascii_lowercase();
        n.contains("backend") || n.contains("flask") || n == "api"
    };
    match services
        .iter()
        .filter(|s| looks(&s.name))
        .collect::<Vec<_>>()
        .as_slice()
    {
        [one] => Some(one.name.clone()),
        _ => None,
    }
}

/// The whole choice when `--file` is not given: the file docker compose would
/// use (see [`choose_file`]), then the service in it (see [`choose_service`]);
/// `services` are those of the chosen file. With no compose file at all, the
/// service is the one given, else `backend-flask` (the caller decides whether a
/// missing file is an error: see [`DiscoverError::NoFile`]).
pub(crate) fn choose(
    present: [bool; 4],
    given_service: Option<&str>,
    services: Option<&[ServiceInfo]>,
) -> Result<Choice, DiscoverError> {
    let file = match choose_file(present) {
        Ok(file) => file,
        Err(DiscoverError::NoFile) => {
            return Ok(Choice {
                file: None,
                service: given_service.map_or(ServiceChoice::Default, |s| {
                    ServiceChoice::Given(s.to_string())
                }),
            })
        }
        Err(e) => return Err(e),
    };
    let service = choose_service(file.name, given_service, services)?;
    Ok(Choice {
        file: Some(file),
        service,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(name: &str, context: Option<&str>, app: bool) -> ServiceInfo {
        ServiceInfo {
            name: name.into(),
            context: context.map(str::to_string),
            holds_app_py: app,
        }
    }

    #[test]
    fn the_first_name_in_compose_order_wins() {
        assert_eq!(
            choose_file([false, false, false, true]).unwrap(),
            FileChoice {
                name: "docker-compose.yml",
                ignored: vec![]
            }
        );
        assert_eq!(
            choose_file([false, false, true, true]).unwrap().name,
            "docker-compose.yaml"
        );
        let both = choose_file([true, false, false, true]).unwrap();
        assert_eq!(both.name, "compose.yaml");
        assert_eq!(both.ignored, vec!["docker-compose.yml"]);
        let note = both.note().unwrap();
        assert!(
            note.contains("using compose.yaml") && note.contains("docker-compose.yml is also here"),
            "{note}"
        );
        let all = choose_file([true; 4]).unwrap();
        assert_eq!(all.ignored.len(), 3);
        assert!(all
            .note()
            .unwrap()
            .contains("compose.yml, docker-compose.yaml and docker-compose.yml are also here"));
        assert_eq!(
            choose_file([false, true, false, false]).unwrap().note(),
            None
        );
    }

    #[test]
    fn no_file_names_the_four_names() {
        let err = choose_file([false; 4]).unwrap_err();
        assert_eq!(err, DiscoverError::NoFile);
        let message = err.to_string();
        for name in FILE_NAMES {
            assert!(message.contains(name), "{message}");
        }
        assert!(!message.contains('\n'));
        assert!(err.help().unwrap().contains("--file PATH"));
    }

    #[test]
    fn a_given_service_is_used_as_is_when_it_exists() {
        let services = [svc("api", Some("./api"), true), svc("web", None, false)];
        assert_eq!(
            choose_service("f", Some("web"), Some(&services)).unwrap(),
            ServiceChoice::Given("web".into())
        );
        // Unknown services: taken on trust (the planner reports the file).
        assert_eq!(
            choose_service("f", Some("web"), None).unwrap(),
            ServiceChoice::Given("web".into())
        );
    }

    #[test]
    fn a_given_service_that_does_not_exist_lists_the_services() {
        let services = [svc("api", Some("./api"), true), svc("web", None, false)];
        let err = choose_service("compose.yaml", Some("nope"), Some(&services)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "service \"nope\" does not exist in compose.yaml; its services are: api, web"
        );
        assert!(err.help().unwrap().contains("--service NAME"));
    }

    #[test]
    fn backend_flask_first_then_the_app_py_context() {
        let with_default = [
            svc("api", Some("./api"), true),
            svc("backend-flask", Some("./backend-flask"), false),
        ];
        assert_eq!(
            choose_service("f", None, Some(&with_default)).unwrap(),
            ServiceChoice::Default
        );
        let renamed = [
            svc("frontend", Some("./frontend-react-js"), false),
            svc("backend", Some("./backend-flask"), true),
            svc("db", None, false),
        ];
        let chosen = choose_service("f", None, Some(&renamed)).unwrap();
        assert_eq!(chosen.name(), "backend");
        assert_eq!(
            chosen.note().unwrap(),
            "using service backend: its build context ./backend-flask holds app.py"
        );
        assert_eq!(ServiceChoice::Default.note(), None);
        assert_eq!(ServiceChoice::Default.name(), "backend-flask");
    }

    #[test]
    fn several_or_no_candidates_are_errors() {
        let several = [
            svc("a", Some("./a"), true),
            svc("b", Some("./b"), true),
            svc("c", None, false),
        ];
        let err = choose_service("f.yml", None, Some(&several)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "f.yml has no service \"backend-flask\" and several whose build context holds app.py: a (./a), b (./b)"
        );
        assert!(err.help().unwrap().contains("--service NAME"));
        let none = [svc("web", Some("./web"), false), svc("db", None, false)];
        let err = choose_service("f.yml", None, Some(&none)).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("backend-flask") && message.contains("app.py"),
            "{message}"
        );
        assert!(message.ends_with("its services are: web, db"), "{message}");
        assert_eq!(
            err.help().unwrap(),
            "pass --service NAME with the Flask backend's service"
        );
        // A service named like a backend, without an app.py: the hint names it.
        let named = [svc("api", None, false), svc("db", None, false)];
        let err = choose_service("f.yml", None, Some(&named)).unwrap_err();
        assert!(
            err.help().unwrap().starts_with("pass --service api "),
            "{err:?}"
        );
        let empty: [ServiceInfo; 0] = [];
        assert!(choose_service("f", None, Some(&empty))
            .unwrap_err()
            .to_string()
            .ends_with("its services are: none"));
        // Unknown services: backend-flask.
        assert_eq!(
            choose_service("f", None, None).unwrap(),
            ServiceChoice::Default
        );
    }

    #[test]
    fn choose_puts_the_two_together() {
        let services = [svc("backend", Some("./backend-flask"), true)];
        let choice = choose([false, false, true, false], None, Some(&services)).unwrap();
        assert_eq!(choice.file.unwrap().name, "docker-compose.yaml");
        assert_eq!(choice.service.name(), "backend");
        // No file: the service given, else backend-flask.
        let none = choose([false; 4], None, None).unwrap();
        assert_eq!(none.file, None);
        assert_eq!(none.service, ServiceChoice::Default);
        assert_eq!(
            choose([false; 4], Some("api"), None).unwrap().service,
            ServiceChoice::Given("api".into())
        );
        // Errors name the chosen file.
        let err = choose([true, false, false, false], Some("x"), Some(&services)).unwrap_err();
        assert!(err.to_string().contains("in compose.yaml"), "{err}");
    }
}
