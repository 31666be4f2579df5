//! Each command's arguments turned into its settings: defaults filled in,
//! input files read and checked.

use std::path::Path;
use std::time::Duration;

use crate::cli::{
    AppArgs, ComposeArgs, HoneycombArgs, LogGroupArgs, LogsCommand, RuleArgs, SetupArgs,
    XrayCommand,
};
use crate::compose::discover::{self, DiscoverError};
use crate::error::Error;
use crate::honeycomb::{self, Region};
use crate::logs::{self, LogGroupSpec};
use crate::parts::{Part, Parts};
use crate::xray::{self, RuleSpec};

use super::off;
use crate::project::locate::*;
use crate::settings::*;

/// What `app write` instruments: `--dir`, else the service's build context in
/// the compose file, else `./backend-flask` when there is no compose file.
pub(crate) fn app_settings(a: &AppArgs, notes: &mut Vec<String>) -> Result<AppSettings, Error> {
    let parts = Parts::without(&off(&a.without));
    if let Some(dir) = &a.dir {
        // The compose file is not read: the directory is given.
        return Ok(AppSettings {
            compose_file: a.file.clone().unwrap_or_else(placeholder_file),
            service: a
                .service
                .clone()
                .unwrap_or_else(|| discover::DEFAULT_SERVICE.into()),
            dir: Some(dir.clone()),
            parts,
            force: a.force,
            migrate: a.migrate,
        });
    }
    let found = locate(a.file.as_deref(), a.service.as_deref());
    let Some(file) = found.file.clone() else {
        let dir = backend_without_compose().ok_or(DiscoverError::NoFile)?;
        notes.push(backend_note(&dir));
        return Ok(AppSettings {
            compose_file: placeholder_file(),
            service: found.service_or(a.service.as_deref()).name().to_string(),
            dir: Some(dir),
            parts,
            force: a.force,
            migrate: a.migrate,
        });
    };
    let service = found.service.clone()?;
    notes.extend(found.notes(&service));
    Ok(AppSettings {
        compose_file: file,
        service: service.name().to_string(),
        dir: None,
        parts,
        force: a.force,
        migrate: a.migrate,
    })
}

/// `lenient`: a service that cannot be found is not an error here (init's
/// wizard asks for it; destroy reads no file): the one given, else backend-flask.
pub(crate) fn setup_settings(
    a: &SetupArgs,
    timeout: f64,
    lenient: bool,
    notes: &mut Vec<String>,
) -> Result<SetupSettings, Error> {
    let parts = Parts::without(&off(&a.without));
    let found = locate(a.file.as_deref(), a.service.as_deref());
    let service = if lenient {
        found.service_or(a.service.as_deref())
    } else {
        found.service.clone()?
    };
    let service_name = service.name().to_string();
    // Without a compose file, the parts that need one fail as a missing file
    // does; the app's code is still found in ./backend-flask.
    let (file, app_dir) = match found.file.clone() {
        Some(file) => {
            notes.extend(found.notes(&service));
            (file, None)
        }
        None => {
            let dir = backend_without_compose();
            notes.extend(dir.as_deref().map(backend_note));
            (placeholder_file(), dir)
        }
    };
    let none_found = found.file.is_none();
    let CloudSpecs {
        group,
        rule,
        log_groups,
    } = cloud_specs(
        false,
        a.cli_input_json.as_deref(),
        &a.log_groups,
        a.retention_days,
        None,
        None,
    )?;
    let frontend = parts
        .has(Part::Frontend)
        .then(|| super::frontend::frontend_for_setup(&file, &service_name, a.force))
        .flatten();
    Ok(SetupSettings {
        parts,
        compose: ComposeSettings {
            file: file.clone(),
            none_found,
            service: service_name.clone(),
            parts,
            force: a.force,
            honeycomb_region: a
                .honeycomb
                .honeycomb_region
                .map_or(Region::Us, Region::from),
            via: a.via.into(),
            dev_env: dev_env(&file, a.dev_env.map(Into::into)),
            log_group: parts
                .has(Part::Logs)
                .then(|| log_groups.first().map(|g| g.name.clone()))
                .flatten(),
            browser: frontend.is_some(),
        },
        gitpod: GitpodSettings {
            file: a.gitpod_file.clone(),
            force: a.force,
            env: gp_env_values(parts),
            collector_port: frontend.is_some(),
        },
        group,
        rule,
        log_groups,
        honeycomb: honeycomb_settings(&a.honeycomb, timeout)?,
        app: AppSettings {
            compose_file: file.clone(),
            service: service_name.clone(),
            dir: app_dir,
            parts: Parts::without(&off(&a.without)),
            force: a.force,
            migrate: false,
        },
        frontend,
        board: board_for_setup(a, &service_name, timeout)?,
        rollbar: if parts.has(Part::Rollbar) && a.rollbar_access_token.is_some() {
            Some(rollbar_settings(
                &crate::cli::RollbarArgs {
                    access_token: a.rollbar_access_token.clone(),
                    api_endpoint: a.rollbar_endpoint.clone(),
                },
                timeout,
            )?)
        } else {
            None
        },
    })
}

/// The board part of init/plan/status/destroy: on only with a configuration key.
pub(crate) fn board_for_setup(
    a: &SetupArgs,
    service: &str,
    timeout: f64,
) -> Result<Option<BoardSettings>, Error> {
    let Some(key) = a
        .config_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(honeycomb::check_key_text)
        .transpose()?
    else {
        return Ok(None);
    };
    let endpoints = honeycomb::endpoints(
        a.honeycomb.api_endpoint.as_deref(),
        a.honeycomb.api_endpoint_eu.as_deref(),
    )?;
    Ok(Some(BoardSettings {
        key: Some(key),
        name: "Cruddur".into(),
        dataset: service.to_string(),
        destroy: false,
        base: match a
            .honeycomb
            .honeycomb_region
            .map_or(Region::Us, Region::from)
        {
            Region::Us => endpoints.us,
            Region::Eu => endpoints.eu,
        },
        timeout: Duration::from_secs_f64(timeout),
    }))
}

/// Rollbar's API base: `https://api.rollbar.com/` unless overridden; an override
/// with `/api/1` (as the app's ROLLBAR_ENDPOINT is written) means the same base.
pub(crate) fn rollbar_settings(
    a: &crate::cli::RollbarArgs,
    timeout: f64,
) -> Result<RollbarSettings, Error> {
    let raw = a
        .api_endpoint
        .as_deref()
        .unwrap_or("https://api.rollbar.com/");
    let mut base = honeycomb::parse_endpoint(raw).map_err(|e| match e {
        honeycomb::InputError::Insecure { url } => Error::Usage(format!(
            "refusing to send the Rollbar token over plain http to {url}: use https, or http only to a loopback address"
        )),
        other => other.into(),
    })?;
    let path = base.path().trim_end_matches('/').to_string();
    let path = path.strip_suffix("/api/1").unwrap_or(&path).to_string();
    base.set_path(&format!("{path}/"));
    let token = a
        .access_token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            honeycomb::check_key_text(t)
                .map_err(|_| Error::Usage("the Rollbar access token has a character that cannot be part of it (a space, quote or line break?)".into()))
        })
        .transpose()?;
    Ok(RollbarSettings {
        token,
        base,
        timeout: Duration::from_secs_f64(timeout),
    })
}

pub(crate) fn cloud_specs(
    insights: bool,
    cli_input_json: Option<&str>,
    log_groups: &[String],
    retention_days: i64,
    class: Option<logs::LogClass>,
    kms_key_id: Option<String>,
) -> Result<CloudSpecs, Error> {
    let ours: Vec<String> = logs::DEFAULT_TAGS
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let group = xray::group_spec(xray::DEFAULT_GROUP, xray::DEFAULT_FILTER, insights, &ours)?;
    let mut rule = load_rule(&RuleArgs {
        cli_input_json: cli_input_json.map(str::to_string),
    })?;
    for (k, v) in logs::DEFAULT_TAGS {
        rule.tags.insert(k.to_string(), v.to_string());
    }
    let log_groups = logs::group_specs(log_groups, retention_days, class, kms_key_id, &[])?;
    Ok(CloudSpecs {
        group,
        rule,
        log_groups,
    })
}

pub(crate) fn export_settings(command: crate::cli::ExportCommand) -> Result<ExportSettings, Error> {
    use crate::cli::ExportCommand;
    let (format, a, import, import_file) = match command {
        ExportCommand::Cloudformation { what, import_file } => (
            ExportFormat::Cloudformation,
            what,
            import_file.is_some(),
            import_file,
        ),
        ExportCommand::Terraform { what, import } => (ExportFormat::Terraform, what, import, None),
    };
    let parts = Parts::without(&off(&a.without));
    let (xray_on, logs_on) = (parts.has(Part::Xray), parts.has(Part::Logs));
    if !(xray_on || logs_on) {
        return Err(Error::Usage(
            "nothing to export: both xray and logs are left out".into(),
        ));
    }
    let specs = cloud_specs(
        a.insights,
        a.cli_input_json.as_deref(),
        &a.log_groups,
        a.retention_days,
        a.class.map(Into::into),
        a.kms_key_id.clone(),
    )?;
    let log_groups = if logs_on {
        specs.log_groups
    } else {
        Vec::new()
    };
    let names: Vec<String> = log_groups.iter().map(|g| g.name.clone()).collect();
    let iam_policy = a
        .iam_policy
        .then(|| crate::iam::app_policy(xray_on, &names, None, None));
    Ok(ExportSettings {
        format,
        input: crate::export::ExportInput {
            service_name: specs.rule.rule.service_name.clone(),
            group: xray_on.then_some(specs.group),
            rule: xray_on.then_some(specs.rule),
            log_groups,
            iam_policy,
            template_file: a.out.as_ref().map_or_else(
                || crate::export::TEMPLATE_FILE.to_string(),
                |p| p.display().to_string(),
            ),
        },
        out: a.out,
        import,
        import_file,
    })
}

pub(crate) fn compose_settings(
    a: &ComposeArgs,
    notes: &mut Vec<String>,
) -> Result<ComposeSettings, Error> {
    logs::validate_name(&a.log_group)?;
    let found = locate(a.file.as_deref(), a.service.as_deref());
    let service = found.service.clone()?;
    let file = found.file.clone().ok_or(DiscoverError::NoFile)?;
    notes.extend(found.notes(&service));
    Ok(ComposeSettings {
        dev_env: dev_env(&file, a.dev_env.map(Into::into)),
        file,
        none_found: false,
        service: service.name().to_string(),
        parts: Parts::without(&off(&a.without)).minus(Parts::of(&[Part::App, Part::Frontend])),
        force: a.force,
        honeycomb_region: a.honeycomb_region.into(),
        via: a.via.into(),
        log_group: (!off(&a.without).contains(&Part::Logs)).then(|| a.log_group.clone()),
        browser: false,
    })
}

/// Honeycomb's region is `--honeycomb-region`; the global `--region` is AWS's only.
pub(crate) fn honeycomb_settings(
    a: &HoneycombArgs,
    timeout: f64,
) -> Result<HoneycombSettings, Error> {
    let region = a.honeycomb_region.map(Region::from);
    let key = a
        .api_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(honeycomb::check_key_text)
        .transpose()?;
    Ok(HoneycombSettings {
        key,
        region,
        endpoints: honeycomb::endpoints(a.api_endpoint.as_deref(), a.api_endpoint_eu.as_deref())?,
        timeout: Duration::from_secs_f64(timeout),
    })
}

pub(crate) fn xray_action(command: XrayCommand) -> Result<Action, Error> {
    Ok(match command {
        XrayCommand::CreateGroup(a) => Action::XrayCreateGroup(xray::group_spec(
            &a.name,
            &a.filter_expression,
            a.insights,
            &a.tags,
        )?),
        XrayCommand::CreateSamplingRule(r) => Action::XrayCreateRule(load_rule(&r)?),
        XrayCommand::Status { group, rule } => Action::XrayStatus(
            xray::group_spec(
                &group.name,
                &group.filter_expression,
                group.insights,
                &group.tags,
            )?,
            load_rule(&rule)?,
        ),
        XrayCommand::Delete {
            group_name,
            rule_name,
        } => {
            let rule = rule_name.unwrap_or_else(|| xray::bundled_rule().name);
            if group_name == xray::RESERVED_NAME {
                return Err(xray::XrayError::Reserved("group").into());
            }
            if rule == xray::RESERVED_NAME {
                return Err(xray::XrayError::Reserved("sampling rule").into());
            }
            Action::XrayDelete {
                group: group_name,
                rule,
            }
        }
    })
}

pub(crate) fn logs_action(command: LogsCommand) -> Result<Action, Error> {
    Ok(match command {
        LogsCommand::CreateGroup(a) => Action::LogsCreate(log_specs(&a)?),
        LogsCommand::Status(a) => Action::LogsStatus(log_specs(&a)?),
        LogsCommand::Delete { names } => Action::LogsDelete(logs::names_or_default(&names)?),
    })
}

/// The bundled rule, or the `--cli-input-json` file (awscli's `file://` prefix accepted).
pub(crate) fn load_rule(args: &RuleArgs) -> Result<RuleSpec, Error> {
    let Some(arg) = &args.cli_input_json else {
        return Ok(xray::bundled_rule());
    };
    let path = Path::new(arg.strip_prefix("file://").unwrap_or(arg));
    if path.as_os_str().is_empty() {
        return Err(Error::Usage(format!(
            "--cli-input-json {arg:?} names no file: the path is empty"
        )));
    }
    let text = match crate::files::read(path) {
        Ok(Some(text)) => text,
        Ok(None) => {
            return Err(Error::ReadFile {
                path: path.to_path_buf(),
                // The system's own words ("No such file or directory").
                source: std::fs::metadata(path)
                    .err()
                    .unwrap_or_else(|| std::io::ErrorKind::NotFound.into()),
            });
        }
        Err(crate::files::FileError::Read { source, .. }) => {
            return Err(Error::ReadFile {
                path: path.to_path_buf(),
                source,
            })
        }
        Err(e) => return Err(e.into()),
    };
    Ok(xray::parse_rule(&text, &path.display().to_string())?)
}

pub(crate) fn log_specs(a: &LogGroupArgs) -> Result<Vec<LogGroupSpec>, Error> {
    Ok(logs::group_specs(
        &a.names,
        a.retention_days,
        a.class.map(Into::into),
        a.kms_key_id.clone(),
        &a.tags,
    )?)
}

/// `verify --app [URL]`: `None` without `--app`; an empty URL takes the compose
/// file's published port later. The route must be a path (`/api/...`).
pub(crate) fn app_probe(a: &crate::cli::VerifyArgs) -> Result<Option<AppProbe>, Error> {
    let Some(raw) = a.app.as_deref().map(str::trim) else {
        return Ok(None);
    };
    let url = if raw.is_empty() {
        None
    } else {
        let with_scheme = if raw.contains("://") {
            raw.to_string()
        } else {
            format!("http://{raw}")
        };
        let url = reqwest::Url::parse(&with_scheme)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                Error::Usage(format!(
                    "--app {raw:?} is not an http(s) URL (e.g. http://127.0.0.1:4567)"
                ))
            })?;
        Some(url)
    };
    if !a.route.starts_with('/') {
        return Err(Error::Usage(format!(
            "--route {:?} must start with / (e.g. /api/activities/home)",
            a.route
        )));
    }
    let config_key = a
        .config_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| {
            honeycomb::check_key_text(k).map_err(|_| {
                Error::Usage(
                    "the Honeycomb configuration key has a character that cannot be part of it (a space, quote or line break?)"
                        .into(),
                )
            })
        })
        .transpose()?;
    Ok(Some(AppProbe {
        url,
        route: a.route.clone(),
        config_key,
    }))
}
