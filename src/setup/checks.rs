//! The checks `status` prints: pure functions of what [`super::read`] read.

use super::read::StatusInputs;
use super::*;

/// The checks `status` prints: pure, over what was read.
pub(super) fn checks(s: &SetupSettings, r: &Reading, inputs: &StatusInputs) -> Vec<Check> {
    let mut checks = Vec::new();
    let rerun = Some("run `cruddur-obs init`");
    match (&r.aws, &inputs.identity) {
        _ if !(s.parts.aws()) => {}
        (Some(aws), Some(Ok(account))) => checks.push(Check::new(
            "AWS credentials",
            true,
            format!("account {account} in {}", aws.region),
            None,
        )),
        (Some(_), Some(Err((error, help)))) => checks.push(Check::new(
            "AWS credentials",
            false,
            error.clone(),
            help.as_deref(),
        )),
        _ => checks.push(Check::new(
            "AWS credentials",
            false,
            "no AWS configuration",
            Some("pass --region or set AWS_REGION, and set credentials"),
        )),
    }
    for failure in &r.failures {
        checks.push(Check::new(
            &failure.part,
            false,
            failure.error.clone(),
            failure.help.as_deref(),
        ));
    }
    for p in &r.xray {
        let o = p.unapplied(false);
        checks.push(Check::new(
            &format!("{} {}", o.kind, o.name),
            p.step == Step::InSync,
            status_detail(&o),
            rerun,
        ));
    }
    for p in &r.logs {
        let o = p.unapplied(false);
        checks.push(Check::new(
            &format!("{} {}", o.kind, o.name),
            p.step == Step::InSync,
            status_detail(&o),
            rerun,
        ));
    }
    if let Some(hc) = &r.honeycomb {
        checks.push(Check::new(
            "Honeycomb key",
            hc.can_send_traces,
            format!(
                "{} in {}, can send traces: {}",
                hc.key,
                hc.region.label(),
                if hc.can_send_traces { "yes" } else { "no" }
            ),
            Some("create an ingest key with Send Events"),
        ));
    }
    if s.parts.has(Part::Rollbar) {
        match (&r.rollbar, &s.rollbar) {
            (Some(t), _) => checks.push(Check::new(
                "Rollbar token",
                true,
                format!(
                    "{} valid, can post server items: {}",
                    t.token,
                    match t.can_post_server_items {
                        Some(true) => "yes",
                        _ => "not verifiable without sending",
                    }
                ),
                None,
            )),
            // A failed check is among the failures, listed above.
            (None, Some(_)) => {}
            (None, None) => checks.push(Check::warn(
                "Rollbar token",
                "ROLLBAR_ACCESS_TOKEN is not set here: not checked (the app reads it from the environment docker compose passes)",
            )),
        }
    }
    if let Some((_, b)) = &r.board {
        let writes = b.plan.writes();
        checks.push(Check::new(
            &format!("Honeycomb board {}", b.plan.board),
            writes == 0,
            if writes == 0 {
                "in sync".to_string()
            } else {
                format!("{writes} changes pending")
            },
            Some("run `cruddur-obs honeycomb board` (or init with HONEYCOMB_CONFIG_KEY)"),
        ));
    }
    for f in &r.files {
        let rep = &f.report;
        let complete = rep.changes.is_empty() && rep.conflicts.is_empty();
        let detail = if complete {
            "all entries present".to_string()
        } else {
            let mut missing: Vec<String> = rep.changes.clone();
            missing.extend(rep.conflicts.iter().map(ToString::to_string));
            format!("missing or different: {}", missing.join(", "))
        };
        checks.push(Check::new(&rep.file, complete, detail, rerun));
        for note in &rep.notes {
            checks.push(Check::new(
                &rep.file,
                false,
                note.clone(),
                Some("fix it by hand"),
            ));
        }
    }
    if let Some(compose) = r.files.iter().find(|f| f.path == s.compose.file) {
        let text = compose.old.as_deref().unwrap_or_default();
        checks.extend(tracing_checks(s, r, text, inputs));
        checks.extend(app_region_check(s, r, text, inputs));
        let env = s.compose.dev_env.env;
        let values = compose::parse_strict(text, "")
            .map(|v| v.to_string())
            .unwrap_or_default();
        match crate::devenv::foreign_urls(env, &values) {
            Some(problem) => checks.push(Check::new(
                "dev environment URLs",
                false,
                problem,
                Some("rewrite FRONTEND_URL/BACKEND_URL/AWS_XRAY_URL for this environment, or pass --dev-env"),
            )),
            None => checks.push(Check::new(
                "dev environment",
                true,
                format!("{} ({})", env.label(), s.compose.dev_env.reason),
                None,
            )),
        }
    }
    checks.extend(frontend_checks(s, r, inputs));
    {
        if let Some(compose) = r.files.iter().find(|f| f.path == s.compose.file) {
            for mistake in compose::mistakes(compose.old.as_deref().unwrap_or_default()) {
                checks.push(Check::new(
                    &compose.report.file,
                    false,
                    mistake,
                    Some("fix it by hand"),
                ));
            }
        }
    }
    checks
}

/// boto3 in the app (watchtower's log calls) reads `AWS_DEFAULT_REGION`: it must
/// be the region that was set up. It is resolved as `docker compose up` in this
/// shell would resolve it: from the environment, then from `.env` beside the
/// compose file.
fn app_region_check(
    s: &SetupSettings,
    r: &Reading,
    compose_text: &str,
    inputs: &StatusInputs,
) -> Option<Check> {
    const KEY: &str = "AWS_DEFAULT_REGION";
    let aws = r.aws.as_ref()?;
    if !(s.parts.aws()) {
        return None;
    }
    let raw = compose::service_env(compose_text, &s.compose.service, KEY)?
        .unwrap_or_else(|| format!("${{{KEY}}}"));
    let dotenv_path = &inputs.dotenv_path;
    let resolved = compose::interpolate(&raw, |name| {
        inputs
            .shell
            .get(name)
            .map(|v| (v.clone(), "this shell".to_string()))
            .or_else(|| {
                inputs
                    .dotenv
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| (v.clone(), dotenv_path.display().to_string()))
            })
    });
    let name = format!("{} {KEY}", s.compose.service);
    let hint = format!("export {KEY}={0} (on Gitpod: gp env {KEY}={0})", aws.region);
    let origin = if resolved.sources.is_empty() {
        format!("written in {}", s.compose.file.display())
    } else {
        format!("from {}", resolved.sources.join(" and "))
    };
    Some(if resolved.value.is_empty() {
        Check::new(
            &name,
            false,
            format!(
                "{raw} is not set in this shell or in {}: docker compose would pass it empty and boto3 would have no region",
                dotenv_path.display()
            ),
            Some(&hint),
        )
    } else if resolved.value == aws.region {
        Check::new(
            &name,
            true,
            format!("{} ({origin}), the region set up", resolved.value),
            None,
        )
    } else {
        Check::new(
            &name,
            false,
            format!(
                "{} ({origin}), but the region set up is {}",
                resolved.value, aws.region
            ),
            Some(&hint),
        )
    })
}

/// The browser's half: the frontend's packages installed as package.json pins
/// them, the collector's CORS letting the frontend's page post spans, and the
/// backend's CORS letting the traced requests through. (Keys in the frontend's
/// code are among its files' notes.)
fn frontend_checks(s: &SetupSettings, r: &Reading, inputs: &StatusInputs) -> Vec<Check> {
    use crate::collector::{browser_cors, BrowserCors};
    use crate::frontend::{cors, package_json, PACKAGES, TRACE_HEADERS};
    let mut checks = Vec::new();
    let Some(frontend) = &s.frontend else {
        return checks;
    };
    let package = r
        .files
        .iter()
        .find(|f| f.path == frontend.dir.join("package.json"));
    if let (Some(package), Some(lock)) = (package, &inputs.frontend_lock) {
        let stale =
            package_json::stale_in_lock(package.old.as_deref().unwrap_or_default(), lock, PACKAGES);
        if !stale.is_empty() {
            checks.push(Check::new(
                "frontend packages",
                false,
                format!(
                    "package-lock.json is older than package.json ({}{}): the build would not have them",
                    stale.iter().take(2).cloned().collect::<Vec<_>>().join("; "),
                    match stale.len() {
                        0..=2 => String::new(),
                        n => format!("; and {} more", n - 2),
                    }
                ),
                Some(&format!(
                    "cd {} && npm install, then commit package-lock.json",
                    frontend.dir.display()
                )),
            ));
        } else if package.report.changes.is_empty() {
            checks.push(Check::new(
                "frontend packages",
                true,
                "package-lock.json holds the pinned OpenTelemetry packages",
                None,
            ));
        }
    }
    if let Ok(Some(text)) = &inputs.collector {
        let var = |name: &str| inputs.shell.get(name).cloned();
        for (origin, own) in s.compose.dev_env.env.frontend_origins(var) {
            let seen = if own {
                origin.clone()
            } else {
                format!("{origin} (an example of its shape)")
            };
            let (ok, detail) = match browser_cors(text, &origin) {
                BrowserCors::Allows => (true, format!("lets the frontend at {seen} send spans")),
                BrowserCors::Refuses(allowed) => (
                    false,
                    format!(
                        "refuses the frontend at {seen}: allowed_origins is [{}]",
                        allowed.join(", ")
                    ),
                ),
                BrowserCors::Missing => (
                    false,
                    "has no receivers.otlp.protocols.http.cors: the browser may not send it spans"
                        .to_string(),
                ),
            };
            checks.push(Check::new(
                "collector CORS",
                ok,
                detail,
                Some(&format!(
                    "add the frontend's origin to receivers.otlp.protocols.http.cors.allowed_origins in {}, or run `cruddur-obs init --force`",
                    inputs.collector_path.display()
                )),
            ));
        }
    }
    // The backend's file with the CORS call (app.py, or the module it imports).
    let cors_file = r.files.iter().find_map(|f| {
        let old = f.old.as_deref()?;
        if f.path.extension().is_none_or(|e| e != "py") {
            return None;
        }
        let plan = cors::plan_cors(old, &f.report.file, &r.frontend_sent);
        (plan.calls > 0).then_some((f, plan))
    });
    if let Some((file, plan)) = cors_file {
        // A call that cannot be edited safely is among the file's notes.
        if plan.notes.is_empty() || !plan.changes.is_empty() {
            let mut headers: Vec<&str> = TRACE_HEADERS.to_vec();
            for s in &r.frontend_sent {
                if !headers.contains(&s.name.as_str()) {
                    headers.push(&s.name);
                }
            }
            let headers = cors::and_list(&headers);
            checks.push(Check::new(
                "backend CORS",
                plan.changes.is_empty(),
                if plan.changes.is_empty() {
                    format!("{} allows {headers}", file.report.file)
                } else {
                    format!(
                        "{} does not allow all of {headers}: the browser's requests that send them fail their preflight",
                        file.report.file
                    )
                },
                Some("run `cruddur-obs frontend write`"),
            ));
        }
    }
    checks
}

/// The daemon's end of support, and the collector's config and region.
fn tracing_checks(
    s: &SetupSettings,
    r: &Reading,
    compose_text: &str,
    inputs: &StatusInputs,
) -> Vec<Check> {
    use crate::collector;
    let mut checks = Vec::new();
    let doc = crate::yaml::parse_strict(compose_text).unwrap_or_default();
    let services = &doc["services"];
    if services.get(compose::DAEMON_SERVICE).is_some() {
        checks.push(Check::warn(
            "X-Ray daemon",
            format!(
                "in use; AWS put it in maintenance mode, and its support ends on {}: `cruddur-obs init --via collector` switches to OpenTelemetry",
                collector::DAEMON_END_OF_SUPPORT
            ),
        ));
    }
    let label = inputs.collector_path.display().to_string();
    if services.get(collector::SERVICE).is_none()
        && s.compose.via == compose::Via::Daemon
        && !matches!(inputs.collector, Ok(None))
    {
        checks.push(Check::warn(
            &label,
            format!(
                "not used: no {} service mounts it; delete it if you went back to the daemon for good",
                collector::SERVICE
            ),
        ));
    }
    if services.get(collector::SERVICE).is_some() || s.compose.via == compose::Via::Collector {
        match &inputs.collector {
            Ok(Some(text)) => {
                let problems = collector::validate(text);
                let detail = if problems.is_empty() {
                    "valid for ADOT ".to_string() + collector::ADOT_VERSION
                } else {
                    problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                checks.push(Check::new(
                    &label,
                    problems.is_empty(),
                    detail,
                    Some("fix the lines named, or run `cruddur-obs init --via collector --force`"),
                ));
                if let (Some(region), Some(aws)) = (collector::exporter_region(text), &r.aws) {
                    if !region.starts_with("${") {
                        checks.push(Check::new(
                            "collector region",
                            region == aws.region,
                            format!(
                                "the awsxray exporter sends to {region}; the X-Ray group is in {}",
                                aws.region
                            ),
                            Some("use the same region for both"),
                        ));
                    }
                }
            }
            Ok(None) => checks.push(Check::new(
                &label,
                false,
                "missing",
                Some("run `cruddur-obs init --via collector`"),
            )),
            Err(e) => checks.push(Check::new(&label, false, e.clone(), None)),
        }
    }
    checks
}

#[cfg(test)]
mod tests {
    //! The checks are a pure function of the settings, the reading and the
    //! status inputs: no environment variable, file or network is read here.
    use super::*;
    use clap::Parser as _;

    const COMPOSE: &str = "services:\n  backend-flask:\n    environment:\n      AWS_DEFAULT_REGION: \"${AWS_DEFAULT_REGION}\"\n";

    fn settings() -> SetupSettings {
        let cli = crate::cli::Cli::parse_from([
            "cruddur-obs",
            "status",
            "--file",
            "repo/docker-compose.yml",
        ]);
        match Config::from_cli(cli, false).map(|c| c.action) {
            Ok(crate::config::Action::Setup(_, s)) => *s,
            other => panic!("not a setup action: {other:?}"),
        }
    }

    fn reading(region: &str) -> Reading {
        let sdk = aws_config::SdkConfig::builder()
            .region(aws_config::Region::new(region.to_string()))
            .build();
        let report = FileReport {
            file: "repo/docker-compose.yml".into(),
            status: crate::files::FileStatus::InSync,
            changes: Vec::new(),
            conflicts: Vec::new(),
            forced: false,
            notes: Vec::new(),
            diff: None,
            next_steps: Vec::new(),
        };
        Reading {
            rollbar: None,
            board: None,
            aws: Some(Aws {
                sdk,
                region: region.into(),
            }),
            honeycomb: None,
            xray: Vec::new(),
            logs: Vec::new(),
            files: vec![PlannedFile {
                path: "repo/docker-compose.yml".into(),
                old: Some(COMPOSE.into()),
                new: COMPOSE.into(),
                report,
                force: false,
            }],
            frontend_sent: Vec::new(),
            failures: Vec::new(),
        }
    }

    fn inputs(shell: &[(&str, &str)], dotenv: &[(&str, &str)]) -> StatusInputs {
        let pairs = |p: &[(&str, &str)]| -> Vec<(String, String)> {
            p.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        StatusInputs {
            identity: Some(Ok("123456789012".into())),
            dotenv_path: "repo/.env".into(),
            dotenv: pairs(dotenv),
            shell: pairs(shell).into_iter().collect(),
            collector_path: "repo/otel-collector-config.yaml".into(),
            collector: Ok(None),
            frontend_lock: None,
        }
    }

    fn named<'a>(checks: &'a [Check], name: &str) -> &'a Check {
        checks
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no check {name:?} in {checks:#?}"))
    }

    #[test]
    fn the_apps_region_is_resolved_from_the_inputs_not_from_this_process() {
        let s = settings();
        let r = reading("ca-central-1");
        let key = "backend-flask AWS_DEFAULT_REGION";

        let wrong = checks(&s, &r, &inputs(&[("AWS_DEFAULT_REGION", "us-east-1")], &[]));
        let c = named(&wrong, key);
        assert!(!c.ok);
        assert_eq!(
            c.detail,
            "us-east-1 (from this shell), but the region set up is ca-central-1"
        );
        assert_eq!(
            c.hint.as_deref(),
            Some("export AWS_DEFAULT_REGION=ca-central-1 (on Gitpod: gp env AWS_DEFAULT_REGION=ca-central-1)")
        );

        let from_dotenv = checks(
            &s,
            &r,
            &inputs(&[], &[("AWS_DEFAULT_REGION", "ca-central-1")]),
        );
        let c = named(&from_dotenv, key);
        assert!(c.ok, "{c:?}");
        assert_eq!(c.detail, "ca-central-1 (from repo/.env), the region set up");

        let unset = checks(&s, &r, &inputs(&[], &[]));
        assert!(named(&unset, key)
            .detail
            .contains("is not set in this shell or in repo/.env"));
        // The same inputs, the same checks.
        assert_eq!(unset, checks(&s, &r, &inputs(&[], &[])));
    }

    #[test]
    fn credentials_and_the_collector_come_from_the_inputs() {
        let s = settings();
        let r = reading("ca-central-1");
        let mut i = inputs(&[], &[]);
        let ok = checks(&s, &r, &i);
        let c = named(&ok, "AWS credentials");
        assert!(c.ok);
        assert_eq!(c.detail, "account 123456789012 in ca-central-1");
        assert!(
            !ok.iter()
                .any(|c| c.name == "repo/otel-collector-config.yaml"),
            "no collector config, none used: no check"
        );

        i.identity = Some(Err((
            "the security token is invalid".into(),
            Some("check the keys".into()),
        )));
        i.collector = Ok(Some("receivers: {}\n".into()));
        let bad = checks(&s, &r, &i);
        let c = named(&bad, "AWS credentials");
        assert!(!c.ok);
        assert_eq!(c.detail, "the security token is invalid");
        assert_eq!(c.hint.as_deref(), Some("check the keys"));
        let stale = named(&bad, "repo/otel-collector-config.yaml");
        assert!(
            stale.warning && stale.detail.starts_with("not used"),
            "{stale:?}"
        );
    }
}
