//! What `init`, `plan`, `status` and `destroy` report: one type, rendered as
//! text here and as JSON by serde.

use super::*;

/// A part that failed, and what to do about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Failure {
    pub part: String,
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip)]
    pub exit_code: u8,
}

impl Failure {
    pub(super) fn new(part: &str, error: Error) -> Failure {
        Failure {
            part: part.to_string(),
            error: error.to_string(),
            help: error.help(),
            exit_code: error.exit_code(),
        }
    }
}

/// One status check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Check {
    pub name: String,
    pub ok: bool,
    /// Passes, but deserves attention (shown as `!`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub warning: bool,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Check {
    pub(super) fn new(
        name: &str,
        ok: bool,
        detail: impl Into<String>,
        hint: Option<&str>,
    ) -> Check {
        Check {
            name: name.to_string(),
            ok,
            warning: false,
            detail: detail.into(),
            hint: (!ok).then(|| hint.map(str::to_string)).flatten(),
        }
    }

    pub(super) fn warn(name: &str, detail: impl Into<String>) -> Check {
        Check {
            warning: true,
            ..Check::new(name, true, detail, None)
        }
    }
}

/// The result of `init`, `plan`, `status` or `destroy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct SetupReport {
    pub command: &'static str,
    /// The dev environment the files are written for, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dev_environment: Option<crate::devenv::Detected>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub honeycomb: Option<KeyReport>,
    pub cloud: Vec<Outcome>,
    pub files: Vec<FileReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    pub failures: Vec<Failure>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub next_steps: Vec<String>,
    /// The board part (with a configuration key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub board: Option<crate::honeycomb::board::BoardReport>,
    /// The Rollbar token check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollbar: Option<crate::rollbar::TokenReport>,
    /// What `destroy` removed of the board part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub board_removed: Option<crate::honeycomb::board::DestroyReport>,
}

impl SetupReport {
    pub(super) fn pending(&self) -> bool {
        self.cloud.iter().any(|o| o.status.is_pending())
            || self.files.iter().any(FileReport::is_pending)
            || self
                .board
                .as_ref()
                .is_some_and(|b| !b.applied && b.plan.writes() > 0)
    }

    /// The exit code: failures first (credentials 4, input 2, else 1), then work left (3).
    pub(super) fn exit_code(&self) -> u8 {
        let codes: Vec<u8> = self.failures.iter().map(|f| f.exit_code).collect();
        if codes.contains(&exit::AUTH) {
            exit::AUTH
        } else if codes.contains(&exit::BAD_INPUT) {
            exit::BAD_INPUT
        } else if !codes.is_empty() {
            exit::FAILURE
        } else if !self.checks.is_empty() {
            if self.checks.iter().all(|c| c.ok) {
                exit::OK
            } else {
                exit::FAILURE
            }
        } else if self.pending() {
            exit::PENDING
        } else {
            exit::OK
        }
    }
}

impl fmt::Display for SetupReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines: Vec<String> = Vec::new();
        if !self.checks.is_empty() {
            for c in &self.checks {
                let mark = match (c.ok, c.warning) {
                    (true, false) => "✓",
                    (true, true) => "!",
                    (false, _) => "✗",
                };
                lines.push(format!("{mark} {}: {}", c.name, c.detail));
                if let Some(hint) = &c.hint {
                    lines.push(format!("    hint: {hint}"));
                }
            }
        } else {
            if let Some(d) = &self.dev_environment {
                lines.push(format!("dev environment: {} ({})", d.env.label(), d.reason));
            }
            if let Some(hc) = &self.honeycomb {
                let env = hc
                    .environment
                    .as_ref()
                    .map_or_else(|| "Classic".to_string(), |e| e.slug.clone());
                lines.push(format!(
                    "Honeycomb: {} accepted in {} (team {}, environment {}), can send traces: {}",
                    hc.key,
                    hc.region.label(),
                    hc.team.slug,
                    env,
                    if hc.can_send_traces { "yes" } else { "no" }
                ));
            }
            lines.extend(self.cloud.iter().map(ToString::to_string));
            lines.extend(self.files.iter().map(|r| {
                let mut r = r.clone();
                r.next_steps.clear();
                r.to_string()
            }));
            if let Some(b) = &self.board {
                lines.push(b.to_string());
            }
            if let Some(r) = &self.rollbar {
                lines.push(format!(
                    "Rollbar: token {} valid, can post server items: {}",
                    r.token,
                    match r.can_post_server_items {
                        Some(true) => "yes",
                        Some(false) => "no",
                        None => "not verifiable without sending (rollbar send-test-item proves it)",
                    }
                ));
            }
            if let Some(b) = &self.board_removed {
                lines.push(b.to_string());
            }
        }
        for failure in &self.failures {
            lines.push(format!("failed: {}: {}", failure.part, failure.error));
            if let Some(help) = &failure.help {
                lines.push(format!("    help: {help}"));
            }
        }
        if !self.next_steps.is_empty() {
            lines.push("next steps:".into());
            lines.extend(self.next_steps.iter().map(|s| format!("    {s}")));
        }
        write!(f, "{}", lines.join("\n"))
    }
}

pub(super) fn status_detail(o: &Outcome) -> String {
    let mut text = o.to_string();
    if let Some((first, _)) = text.split_once('\n') {
        let changes: Vec<String> = o.changes.iter().map(ToString::to_string).collect();
        text = format!("{first}: {}", changes.join(", "));
    }
    text.split_once(": ")
        .map_or(text.clone(), |(_, rest)| rest.to_string())
}
