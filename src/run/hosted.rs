//! The hosted services, Honeycomb and Rollbar: key checks, the test span, the board.

use super::*;
use crate::verify::run::send_span;

/// The key from the settings, else asked for on a terminal.
fn honeycomb_key(config: &Config, settings: &HoneycombSettings) -> Result<Secret, Error> {
    match &settings.key {
        Some(key) => Ok(key.clone()),
        None => config
            .ui
            .ask_secret("Honeycomb API key")?
            .ok_or_else(|| honeycomb::InputError::NoKey.into()),
    }
}

pub(super) async fn honeycomb_check(
    config: &Config,
    settings: &HoneycombSettings,
) -> Result<Done, Error> {
    let key = honeycomb_key(config, settings)?;
    let api = HoneycombApi::new(http_client(settings.timeout)?);
    let report = config
        .ui
        .spin(
            "checking the Honeycomb API key",
            api.check(&key, settings.region, &settings.endpoints),
        )
        .await?;
    if report.can_send_traces {
        Ok(Done::new(&report, exit::OK))
    } else {
        let e = HoneycombError::CannotSend {
            key: report.key.clone(),
        };
        Err(Error::partial(&report, e.into()))
    }
}

pub(super) async fn honeycomb_send_test_span(
    config: &Config,
    settings: &HoneycombSettings,
    service: &str,
    dataset: Option<&str>,
) -> Result<Done, Error> {
    let key = honeycomb_key(config, settings)?;
    let api = HoneycombApi::new(http_client(settings.timeout)?);
    let report = config
        .ui
        .spin(
            "checking the Honeycomb API key",
            api.check(&key, settings.region, &settings.endpoints),
        )
        .await?;
    if !report.can_send_traces {
        let e = HoneycombError::CannotSend {
            key: report.key.clone(),
        };
        return Err(Error::partial(&report, e.into()));
    }
    if config.ui.dry_run {
        let reason = "dry run: the key can send traces; no span was sent";
        config.ui.say(reason);
        return Ok(Done::pending(&report, reason, None));
    }
    let sent = config
        .ui
        .spin(
            "sending a test span",
            send_span(&api, settings, &key, report, service, dataset),
        )
        .await?;
    Ok(Done::new(&sent, exit::OK))
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
        None => config.ui.ask_secret(prompt)?.ok_or_else(missing),
    }
}

pub(super) async fn rollbar_check(
    config: &Config,
    s: &crate::config::RollbarSettings,
) -> Result<Done, Error> {
    let token = secret_or_ask(config, &s.token, "Rollbar access token", || {
        Error::Usage("no Rollbar access token: pass --access-token or set ROLLBAR_ACCESS_TOKEN (Rollbar: Project settings → Project Access Tokens)".into())
    })?;
    let client = http_client(s.timeout)?;
    let report = config
        .ui
        .spin(
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
    Ok(Done::new(&report, exit::OK))
}

pub(super) async fn honeycomb_board(
    config: &Config,
    s: &crate::config::BoardSettings,
) -> Result<Done, Error> {
    use crate::honeycomb::board;
    let key = secret_or_ask(config, &s.key, "Honeycomb configuration key", || {
        Error::Usage("no Honeycomb configuration key: pass --config-key or set HONEYCOMB_CONFIG_KEY (Honeycomb: Team settings → API keys → Configuration)".into())
    })?;
    let api = board::BoardApi::new(http_client(s.timeout)?, s.base.clone(), key);
    let desired = board::desired(&s.name, &s.dataset);
    if s.destroy {
        if config.ui.dry_run {
            let report = config
                .ui
                .spin("reading the board", board::ensure(&api, &desired, true))
                .await?;
            return Ok(Done::pending(
                &report,
                "dry run: the board was not removed",
                None,
            ));
        }
        if !config.ui.agree(
            &format!("removing the board {}", s.name),
            &format!("Remove the board {} and its saved queries?", s.name),
        )? {
            return Ok(Done::pending(
                &"",
                "the board was not removed (not agreed)",
                None,
            ));
        }
        let report = config
            .ui
            .spin("removing the board", board::destroy(&api, &desired))
            .await?;
        return Ok(Done::new(&report, exit::OK));
    }
    // Read and plan first; write only after agreement (creating is agreed by
    // running the command; changing a board someone may have edited is asked).
    let preview = config
        .ui
        .spin("reading Honeycomb", board::ensure(&api, &desired, true))
        .await?;
    let writes = preview.plan.writes();
    if writes == 0 {
        return Ok(Done::new(&preview, exit::OK));
    }
    if config.ui.dry_run {
        return Ok(Done::pending(
            &preview,
            "dry run: the board was not written",
            Some("run it again without --dry-run to write it"),
        ));
    }
    if matches!(preview.plan.outcome, board::BoardOutcome::Update { .. }) {
        config.ui.say(&preview.to_string());
        let agreed = config
            .ui
            .agree(
                &format!("updating the board {}", s.name),
                "Apply these changes to the board?",
            )
            .map_err(|e| Error::with_json_report(&preview, e))?;
        if !agreed {
            return Ok(Done::pending(
                &preview,
                "the board was not changed (not agreed)",
                None,
            ));
        }
    }
    let report = config
        .ui
        .spin("writing the board", board::ensure(&api, &desired, false))
        .await?;
    Ok(Done::new(&report, exit::OK))
}
