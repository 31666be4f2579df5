//! The `init` wizard: on a terminal, without `--yes`, a few questions before the
//! plan. Every question has a flag or an environment variable (its answer is the
//! default shown), so scripts never need it.

use dialoguer::console::Term;
use dialoguer::{Input, MultiSelect, Select};

use crate::aws::{configured_region, AwsSettings};
use crate::compose;
use crate::config::SetupSettings;
use crate::error::Error;
use crate::files;
use crate::logs::{self, RETENTION_DAYS};
use crate::parts::Part;
use crate::ui::Ui;

fn prompt_error(e: dialoguer::Error) -> Error {
    Error::Prompt(e.to_string())
}

/// Asks for the compose file, the service, the region, the parts and the log
/// retention; returns the settings with the answers.
pub(crate) async fn ask(
    ui: &Ui,
    mut s: SetupSettings,
    aws: &mut AwsSettings,
) -> Result<SetupSettings, Error> {
    let term = Term::stderr();
    ui.say(
        "cruddur-obs init: Honeycomb, X-Ray, CloudWatch Logs and your compose/Gitpod files, in one plan.",
    );

    // The compose file and its services.
    let services = loop {
        let file: String = Input::new()
            .with_prompt("Compose file")
            .default(s.compose.file.display().to_string())
            .interact_text_on(&term)
            .map_err(prompt_error)?;
        s.compose.file = file.into();
        match files::read(&s.compose.file) {
            Ok(Some(text)) => {
                match compose::parse_strict(&text, &s.compose.file.display().to_string()) {
                    Ok(doc) => {
                        let names: Vec<String> = doc
                            .get("services")
                            .and_then(|v| v.as_object())
                            .map(|m| m.keys().cloned().collect())
                            .unwrap_or_default();
                        if !names.is_empty() {
                            break names;
                        }
                        ui.say(&format!("{} has no services", s.compose.file.display()));
                    }
                    Err(e) => ui.say(&format!("{e}")),
                }
            }
            Ok(None) => ui.say(&format!("no file at {}", s.compose.file.display())),
            Err(e) => ui.say(&format!("{e}")),
        }
    };
    let default = services
        .iter()
        .position(|n| *n == s.compose.service)
        .unwrap_or(0);
    let chosen = Select::new()
        .with_prompt("The Flask service to instrument")
        .items(&services)
        .default(default)
        .interact_on(&term)
        .map_err(prompt_error)?;
    s.compose.service = services[chosen].clone();
    // The app's code follows the answers: the chosen service's build context.
    s.app.compose_file = s.compose.file.clone();
    s.app.service = s.compose.service.clone();
    s.app.dir = None;

    // The AWS region: from the configuration, else asked.
    let region = configured_region(aws)
        .await
        .unwrap_or_else(|| "us-east-1".into());
    let region: String = Input::new()
        .with_prompt("AWS region (X-Ray group, sampling rule, log groups and the daemon)")
        .default(region)
        .interact_text_on(&term)
        .map_err(prompt_error)?;
    aws.region = Some(region.trim().to_string());

    // The parts.
    let labels = [
        "Honeycomb",
        "AWS X-Ray",
        "CloudWatch Logs",
        "Rollbar",
        "The app's code (requirements.txt, lib/observability.py, app.py)",
    ];
    let defaults = Part::ALL.map(|p| s.parts.has(p));
    let picked = MultiSelect::new()
        .with_prompt("Parts to set up (space toggles, enter accepts)")
        .items(&labels)
        .defaults(&defaults)
        .interact_on(&term)
        .map_err(prompt_error)?;
    s.parts = picked
        .iter()
        .filter_map(|&i| Part::ALL.get(i).copied())
        .collect();
    s.compose.parts = s.parts;
    s.app.parts = s.parts;
    if !s.parts.has(Part::Logs) {
        s.compose.log_group = None;
    }

    if s.parts.has(Part::Xray) || s.parts.has(Part::Honeycomb) {
        let items = [
            "X-Ray daemon: the course's way (AWS support ends 2027-02-25)",
            "OpenTelemetry Collector (ADOT): one service exporting to X-Ray and Honeycomb; AWS's recommended way forward",
        ];
        let default = usize::from(s.compose.via == compose::Via::Collector);
        let chosen = Select::new()
            .with_prompt("How traces leave the app")
            .items(&items)
            .default(default)
            .interact_on(&term)
            .map_err(prompt_error)?;
        s.compose.via = if chosen == 1 {
            compose::Via::Collector
        } else {
            compose::Via::Daemon
        };
    }

    if s.parts.has(Part::Logs) {
        let current = s
            .log_groups
            .first()
            .map_or(logs::DEFAULT_RETENTION_DAYS, |g| g.retention_days);
        let items: Vec<String> = RETENTION_DAYS.iter().map(|d| format!("{d} days")).collect();
        let default = RETENTION_DAYS
            .iter()
            .position(|d| *d == current)
            .unwrap_or(3);
        let chosen = Select::new()
            .with_prompt("Keep the app's logs for")
            .items(&items)
            .default(default)
            .interact_on(&term)
            .map_err(prompt_error)?;
        for group in &mut s.log_groups {
            group.retention_days = RETENTION_DAYS[chosen];
        }
    }
    Ok(s)
}
