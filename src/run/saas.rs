//! Honeycomb and Rollbar: key checks, the test span, the board.

use super::*;

/// The key from the settings, else asked for on a terminal.
fn honeycomb_key(config: &Config, settings: &HoneycombSettings) -> Result<Secret, Error> {
    match &settings.key {
        Some(key) => Ok(key.clone()),
        None => ui::ask_secret(&config.ui, "Honeycomb API key")?
            .ok_or_else(|| honeycomb::InputError::NoKey.into()),
    }
}

pub(super) async fn honeycomb_check(
    config: &Config,
    settings: &HoneycombSettings,
) -> Result<u8, Error> {
    let key = honeycomb_key(config, settings)?;
    let api = HoneycombApi::new(http_client(settings.timeout)?);
    let report = ui::spin(
        "checking the Honeycomb API key",
        api.check(&key, settings.region, &settings.endpoints),
    )
    .await?;
    ui::emit(&config.ui, &report);
    if report.can_send_traces {
        Ok(exit::OK)
    } else {
        let e = HoneycombError::CannotSend { key: report.key };
        ui::err(&format!("error: {e}"));
        if let Some(help) = e.help() {
            ui::err(&format!("help: {help}"));
        }
        Ok(exit::AUTH)
    }
}

pub(super) async fn honeycomb_send_test_span(
    config: &Config,
    settings: &HoneycombSettings,
    service: &str,
    dataset: Option<&str>,
) -> Result<u8, Error> {
    let key = honeycomb_key(config, settings)?;
    let api = HoneycombApi::new(http_client(settings.timeout)?);
    let report = ui::spin(
        "checking the Honeycomb API key",
        api.check(&key, settings.region, &settings.endpoints),
    )
    .await?;
    if !report.can_send_traces {
        return Err(HoneycombError::CannotSend { key: report.key }.into());
    }
    if config.ui.dry_run {
        crate::ui::err("dry run: the key can send traces; no span was sent");
        ui::emit(&config.ui, &report);
        return Ok(exit::PENDING);
    }
    let sent = ui::spin(
        "sending a test span",
        send_span(&api, settings, &key, report, service, dataset),
    )
    .await?;
    ui::emit(&config.ui, &sent);
    Ok(exit::OK)
}

/// Sends one test span with a key already checked (`report`); returns its link.
pub(crate) async fn send_span(
    api: &HoneycombApi,
    settings: &HoneycombSettings,
    key: &Secret,
    report: honeycomb::KeyReport,
    service: &str,
    dataset: Option<&str>,
) -> Result<SpanReport, Error> {
    let base = match report.region {
        honeycomb::Region::Us => &settings.endpoints.us,
        honeycomb::Region::Eu => &settings.endpoints.eu,
    };
    let dataset = dataset.unwrap_or(service);
    let trace_id = crate::secret::random_hex(16);
    let end = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let body = honeycomb::test_span(
        service,
        &trace_id,
        &crate::secret::random_hex(8),
        end - 50_000_000,
        end,
    );
    api.send_traces(base, key, report.classic().then_some(dataset), &body)
        .await?;
    Ok(SpanReport {
        link: honeycomb::trace_link(&report, dataset, &trace_id),
        key: report.key,
        region: report.region,
        endpoint: base.to_string(),
        service: service.to_string(),
        trace_id,
    })
}

/// The run's one HTTP client (every request and operation bounded by `timeout`).
pub(super) fn http_client(timeout: std::time::Duration) -> Result<crate::http::HttpClient, Error> {
    Ok(crate::http::HttpClient::new(timeout, timeout)?)
}

/// A secret from the settings, else asked for (hidden) on a terminal.
pub(super) fn secret_or_ask(
    config: &Config,
    given: &Option<Secret>,
    prompt: &str,
    missing: impl FnOnce() -> Error,
) -> Result<Secret, Error> {
    match given {
        Some(s) => Ok(s.clone()),
        None => ui::ask_secret(&config.ui, prompt)?.ok_or_else(missing),
    }
}

pub(super) async fn rollbar_check(
    config: &Config,
    s: &crate::config::RollbarSettings,
) -> Result<u8, Error> {
    let token = secret_or_ask(config, &s.token, "Rollbar access token", || {
        Error::Usage("no Rollbar access token: pass --access-token or set ROLLBAR_ACCESS_TOKEN (Rollbar: Project settings → Project Access Tokens)".into())
    })?;
    let client = http_client(s.timeout)?;
    let report = ui::spin(
        "checking the Rollbar token",
        crate::rollbar::check(&client, &s.base, &token),
    )
    .await?;
    if report.can_post_server_items == Some(false) {
        let e = crate::rollbar::RollbarError::LacksScope {
            token: report.token.clone(),
            scope: "post_server_item".into(),
            has: report.scopes.clone(),
        };
        return Err(Error::partial(&report, e.into()));
    }
    ui::emit(&config.ui, &report);
    Ok(exit::OK)
}

pub(super) async fn honeycomb_board(
    config: &Config,
    s: &crate::config::BoardSettings,
) -> Result<u8, Error> {
    use crate::honeycomb::board;
    let key = secret_or_ask(config, &s.key, "Honeycomb configuration key", || {
        Error::Usage("no Honeycomb configuration key: pass --config-key or set HONEYCOMB_CONFIG_KEY (Honeycomb: Team settings → API keys → Configuration)".into())
    })?;
    let api = board::BoardApi::new(http_client(s.timeout)?, s.base.clone(), key);
    let desired = board::desired(&s.name, &s.dataset);
    if s.destroy {
        if config.ui.dry_run {
            let report = ui::spin("reading the board", board::ensure(&api, &desired, true)).await?;
            ui::emit(&config.ui, &report);
            return Ok(exit::PENDING);
        }
        if !ui::agree(
            &config.ui,
            &format!("removing the board {}", s.name),
            &format!("Remove the board {} and its saved queries?", s.name),
        )? {
            return Ok(exit::PENDING);
        }
        let report = ui::spin("removing the board", board::destroy(&api, &desired)).await?;
        ui::emit(&config.ui, &report);
        return Ok(exit::OK);
    }
    // Read and plan first; write only after agreement (creating is agreed by
    // running the command; changing a board someone may have edited is asked).
    let preview = ui::spin("reading Honeycomb", board::ensure(&api, &desired, true)).await?;
    let writes = preview.plan.writes();
    if config.ui.dry_run || writes == 0 {
        ui::emit(&config.ui, &preview);
        return Ok(if writes == 0 { exit::OK } else { exit::PENDING });
    }
    if matches!(preview.plan.outcome, board::BoardOutcome::Update { .. }) {
        ui::err(&preview.to_string());
        if !ui::agree(
            &config.ui,
            &format!("updating the board {}", s.name),
            "Apply these changes to the board?",
        )? {
            ui::emit(&config.ui, &preview);
            return Ok(exit::PENDING);
        }
    }
    let report = ui::spin("writing the board", board::ensure(&api, &desired, false)).await?;
    ui::emit(&config.ui, &report);
    Ok(exit::OK)
}
