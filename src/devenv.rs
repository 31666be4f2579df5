//! Which dev environment a repository uses — Gitpod, GitHub Codespaces, both or
//! neither — and what follows from it: the host pattern in `AWS_XRAY_URL` (X-Ray's
//! dynamic naming) and which of `.gitpod.yml` / `devcontainer.json` is written.
//! Pure: the caller says which files exist and what the environment says.

use serde::Serialize;

/// A dev environment, detected or given with `--dev-env`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum DevEnv {
    Gitpod,
    Codespaces,
    Both,
    None,
}

impl DevEnv {
    pub(crate) fn gitpod(self) -> bool {
        matches!(self, DevEnv::Gitpod | DevEnv::Both)
    }

    pub(crate) fn codespaces(self) -> bool {
        matches!(self, DevEnv::Codespaces | DevEnv::Both)
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            DevEnv::Gitpod => "Gitpod",
            DevEnv::Codespaces => "GitHub Codespaces",
            DevEnv::Both => "Gitpod and GitHub Codespaces",
            DevEnv::None => "none (local)",
        }
    }

    /// `AWS_XRAY_URL`: the backend's public host as the environment names it
    /// (`4567-<workspace>.<cluster>` on Gitpod, `<codespace>-4567.<domain>` on
    /// Codespaces); for both or none, a pattern that matches any host with 4567.
    pub(crate) fn xray_url(self) -> &'static str {
        match self {
            DevEnv::Gitpod => "*4567-${GITPOD_WORKSPACE_ID}.${GITPOD_WORKSPACE_CLUSTER_HOST}*",
            DevEnv::Codespaces => {
                "*${CODESPACE_NAME}-4567.${GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN}*"
            }
            DevEnv::Both | DevEnv::None => "*4567*",
        }
    }
}

impl DevEnv {
    /// The frontend's origin (port 3000) as a browser reaches it here, and whether
    /// it is this very workspace's (read from `var`, this shell's variables) or an
    /// example of the environment's shape (outside it).
    pub(crate) fn frontend_origins(
        self,
        var: impl Fn(&str) -> Option<String>,
    ) -> Vec<(String, bool)> {
        let both = |a: &str, b: &str| var(a).zip(var(b));
        let mut out = Vec::new();
        if self.gitpod() {
            out.push(
                match both("GITPOD_WORKSPACE_ID", "GITPOD_WORKSPACE_CLUSTER_HOST") {
                    Some((id, host)) => (format!("https://3000-{id}.{host}"), true),
                    None => (
                        "https://3000-example-workspace.ws-us99.gitpod.io".into(),
                        false,
                    ),
                },
            );
        }
        if self.codespaces() {
            out.push(
                match both("CODESPACE_NAME", "GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN") {
                    Some((name, domain)) => (format!("https://{name}-3000.{domain}"), true),
                    None => (
                        "https://example-codespace-3000.app.github.dev".into(),
                        false,
                    ),
                },
            );
        }
        if self == DevEnv::None {
            out.push(("http://localhost:3000".into(), true));
        }
        out
    }
}

/// What detection found, and why (shown in the plan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Detected {
    pub env: DevEnv,
    pub reason: String,
}

/// What detection looks at.
#[derive(Debug, Clone, Default)]
pub(crate) struct Signals {
    pub gitpod_file: bool,
    pub devcontainer_file: bool,
    /// The compose file's text (its URLs are a hint).
    pub compose_text: Option<String>,
    /// `GITPOD_WORKSPACE_ID` is set (running inside Gitpod).
    pub in_gitpod: bool,
    /// `CODESPACES=true` (running inside a codespace).
    pub in_codespaces: bool,
}

/// Files first (`.gitpod.yml`, `devcontainer.json`), then the compose file's URLs,
/// then where we run; the course's Gitpod when nothing says otherwise.
pub(crate) fn detect(s: &Signals) -> Detected {
    let found = |env, reason: &str| Detected {
        env,
        reason: reason.to_string(),
    };
    match (s.gitpod_file, s.devcontainer_file) {
        (true, true) => return found(DevEnv::Both, ".gitpod.yml and devcontainer.json"),
        (true, false) => return found(DevEnv::Gitpod, ".gitpod.yml"),
        (false, true) => return found(DevEnv::Codespaces, "devcontainer.json"),
        (false, false) => {}
    }
    let text = s.compose_text.as_deref().unwrap_or_default();
    match (
        text.contains("CODESPACE_NAME"),
        text.contains("GITPOD_WORKSPACE"),
    ) {
        (true, true) => return found(DevEnv::Both, "the compose file's URLs"),
        (true, false) => return found(DevEnv::Codespaces, "the compose file's URLs"),
        (false, true) => return found(DevEnv::Gitpod, "the compose file's URLs"),
        (false, false) => {}
    }
    if s.in_codespaces {
        return found(DevEnv::Codespaces, "running in a codespace");
    }
    if s.in_gitpod {
        return found(DevEnv::Gitpod, "running in a Gitpod workspace");
    }
    found(DevEnv::Gitpod, "nothing else found: the course's Gitpod")
}

/// A URL of the other environment in the compose text, if any (for `status`).
pub(crate) fn foreign_urls(env: DevEnv, compose_text: &str) -> Option<&'static str> {
    match env {
        DevEnv::Codespaces if compose_text.contains("GITPOD_WORKSPACE") => {
            Some("Gitpod URLs (GITPOD_WORKSPACE_ID) in a Codespaces repository")
        }
        DevEnv::Gitpod if compose_text.contains("CODESPACE_NAME") => {
            Some("Codespaces URLs (CODESPACE_NAME) in a Gitpod repository")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_then_urls_then_where_we_run() {
        let mut s = Signals::default();
        assert_eq!(detect(&s).env, DevEnv::Gitpod);
        s.in_codespaces = true;
        assert_eq!(detect(&s).env, DevEnv::Codespaces);
        s.compose_text = Some("BACKEND_URL: https://4567-${GITPOD_WORKSPACE_ID}.x".into());
        assert_eq!(detect(&s).env, DevEnv::Gitpod);
        s.devcontainer_file = true;
        assert_eq!(detect(&s).env, DevEnv::Codespaces);
        s.gitpod_file = true;
        assert_eq!(detect(&s).env, DevEnv::Both);
    }

    #[test]
    fn the_xray_pattern_matches_the_environment_hosts() {
        let matches = |pattern: &str, host: &str| {
            let inner = pattern.trim_matches('*');
            host.contains(inner)
        };
        assert!(matches(
            DevEnv::Both.xray_url(),
            "4567-abc.ws-us99.gitpod.io"
        ));
        assert!(matches(
            DevEnv::Both.xray_url(),
            "fluffy-4567.app.github.dev"
        ));
        assert!(DevEnv::Codespaces
            .xray_url()
            .contains("${CODESPACE_NAME}-4567."));
        assert_eq!(
            foreign_urls(DevEnv::Codespaces, "x ${GITPOD_WORKSPACE_ID}"),
            Some("Gitpod URLs (GITPOD_WORKSPACE_ID) in a Codespaces repository")
        );
        assert_eq!(foreign_urls(DevEnv::Gitpod, "plain"), None);
    }
}
