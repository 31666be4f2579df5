//! The lossless edit: the planned new text, with comments, quoting, key order,
//! CRLF and a missing final newline kept.

use super::*;

/// A note when a tracing service's `AWS_REGION` is not the desired one.
pub(super) fn region_note(
    actual: &Value,
    desired: &Value,
    why: &str,
    vars: &std::collections::BTreeMap<String, String>,
) -> Option<String> {
    let env = env_entries(actual.get("environment").unwrap_or(&Value::Null));
    let region = env
        .iter()
        .find(|(k, _)| k == "AWS_REGION")
        .and_then(|(_, v)| v.clone());
    let want = desired["environment"]["AWS_REGION"]
        .as_str()
        .unwrap_or_default();
    // `${AWS_DEFAULT_REGION}`: what docker compose would make of it here.
    let resolved = region
        .as_deref()
        .filter(|r| r.contains('$'))
        .map(|r| interpolate(r, |name| vars.get(name).map(|v| (v.clone(), String::new()))).value);
    // No region to compare with (no AWS part chosen): nothing to say.
    if want.is_empty() || region.as_deref() == Some(want) || resolved.as_deref() == Some(want) {
        return None;
    }
    Some(match (region, resolved) {
        (Some(raw), Some(value)) if value.is_empty() => {
            format!("environment AWS_REGION is {raw}, unset here, not {want} ({why})")
        }
        (Some(raw), Some(value)) => {
            format!("environment AWS_REGION is {raw}, {value} here, not {want} ({why})")
        }
        (region, _) => format!(
            "environment AWS_REGION is {}, not {want} ({why})",
            region.unwrap_or_else(|| "unset".into())
        ),
    })
}

/// The result of planning an edit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ComposePlan {
    /// The edited text (equal to the input when nothing is to change).
    #[serde(skip)]
    pub new_text: String,
    /// Environment entries added.
    pub added: Vec<String>,
    /// Entries the other `--via` mode wrote, switched to this mode's values.
    pub replaced: Vec<FieldDiff>,
    /// Entries only the other `--via` mode uses, removed.
    pub removed: Vec<String>,
    /// Entries with another value: replaced with `--force`, else kept.
    pub conflicts: Vec<FieldDiff>,
    pub forced: bool,
    /// The tracing service added (`xray-daemon` or `otel-collector`).
    pub added_service: Option<&'static str>,
    /// The collector added beside the daemon for the browser's spans.
    pub added_browser_collector: Option<&'static str>,
    /// The other mode's service, removed (only when it is exactly ours).
    pub removed_service: Option<&'static str>,
    /// What differs in an existing tracing service (left alone).
    pub service_notes: Vec<String>,
}

/// Whether `have` means what `want` means: the same URL but for a final `/`, or
/// the region asked for written literally where we write `${AWS_DEFAULT_REGION}`.
fn equivalent(key: &str, have: &str, want: &str, spec: &ComposeSpec) -> bool {
    if have == want {
        return true;
    }
    match key {
        "OTEL_EXPORTER_OTLP_ENDPOINT" | "AWS_XRAY_URL" => {
            have.trim_end_matches('/') == want.trim_end_matches('/')
        }
        "AWS_DEFAULT_REGION" => {
            want == "${AWS_DEFAULT_REGION}" && !spec.region.is_empty() && have == spec.region
        }
        _ => false,
    }
}

/// Plans the edit of a compose file's text.
pub(crate) fn plan(
    text: &str,
    file: &str,
    spec: &ComposeSpec,
) -> Result<ComposePlan, ComposeError> {
    if text.trim_start_matches('\u{feff}').trim().is_empty() {
        return Err(ComposeError::Empty { file: file.into() });
    }
    let before = parse_strict(text, file)?;
    if before.is_null() {
        // Only comments.
        return Err(ComposeError::Empty { file: file.into() });
    }
    let services = before
        .get("services")
        .and_then(Value::as_object)
        .ok_or_else(|| ComposeError::NoServices { file: file.into() })?;
    check_services(services).map_err(|message| ComposeError::Invalid {
        file: file.into(),
        message,
    })?;
    let Some(service) = services.get(&spec.service) else {
        return Err(ComposeError::NoService {
            file: file.into(),
            service: spec.service.clone(),
            existing: services.keys().cloned().collect::<Vec<_>>().join(", "),
            candidate: backend_by_name(services),
        });
    };
    let unsafe_edit = |message: String| ComposeError::Unsafe {
        file: file.into(),
        message,
    };
    if !service.is_object() && !service.is_null() {
        return Err(unsafe_edit(format!(
            "service {:?} is not a mapping",
            spec.service
        )));
    }

    let doc = Document::from_str(text).map_err(|e| ComposeError::Parse {
        file: file.into(),
        message: e.to_string(),
    })?;
    let cst_services = doc
        .get_mapping("services")
        .ok_or_else(|| unsafe_edit("`services:` is not a mapping the editor can follow".into()))?;
    let cst_service = cst_services.get_mapping(&spec.service).ok_or_else(|| {
        unsafe_edit(format!(
            "service {:?} is not a mapping the editor can follow",
            spec.service
        ))
    })?;
    let env_value = service.get("environment").cloned().unwrap_or(Value::Null);
    let env_in_source = cst_service.contains_key("environment");
    if !env_in_source && !env_value.is_null() {
        return Err(unsafe_edit(format!(
            "the environment of {:?} comes from a `<<:` merge; adding entries here would replace the merged ones",
            spec.service
        )));
    }
    if let Some(value) = entry_value_text(&cst_service, "environment") {
        if value.starts_with('*') {
            return Err(unsafe_edit(format!(
                "the environment of {:?} is an alias ({}); editing it would change every service that uses it",
                spec.service,
                value.split_whitespace().next().unwrap_or_default()
            )));
        }
        if let Some(anchor) = value.strip_prefix('&') {
            let name: String = anchor.chars().take_while(|c| !c.is_whitespace()).collect();
            if text.contains(&format!("*{name}")) {
                return Err(unsafe_edit(format!(
                    "the environment of {:?} is the anchor &{name}, which other parts of the file share",
                    spec.service
                )));
            }
        }
    }
    if !matches!(env_value, Value::Object(_) | Value::Array(_) | Value::Null) {
        return Err(unsafe_edit(format!(
            "the environment of {:?} is neither a mapping nor a list",
            spec.service
        )));
    }

    // The other mode's service: `None` absent, `Some(true)` exactly the one
    // cruddur-obs writes, `Some(false)` the user's own.
    let (other_name, other_is_ours) = match spec.via {
        Via::Daemon => (
            collector::SERVICE,
            services
                .get(collector::SERVICE)
                .map(|c| c == &desired_collector_service(spec)),
        ),
        Via::Collector => (
            DAEMON_SERVICE,
            services
                .get(DAEMON_SERVICE)
                .map(|d| d == &desired_daemon(spec)),
        ),
    };

    // Decide, entry by entry. Values the other `--via` mode writes are ours to
    // replace (a switch), unless they point at a service of the user's own;
    // anything else that differs is the user's (a conflict).
    let existing = env_entries(&env_value);
    let ours_elsewhere = other_mode_env(spec);
    let mut kept_for_theirs = false;
    let mut added = Vec::new();
    let mut replaced = Vec::new();
    let mut conflicts = Vec::new();
    let mut to_set: Vec<(String, String)> = Vec::new();
    for (key, want) in desired_env(spec) {
        match existing.iter().find(|(k, _)| *k == key) {
            None => {
                added.push(key.clone());
                to_set.push((key, want));
            }
            Some((_, Some(have))) if equivalent(&key, have, &want, spec) => {}
            Some((_, have)) => {
                let diff = FieldDiff::new(
                    &format!("{}.environment.{key}", spec.service),
                    have.clone(),
                    Some(want.clone()),
                );
                let other_mode = ours_elsewhere
                    .iter()
                    .any(|(k, v)| *k == key && have.as_deref() == Some(v.as_str()));
                kept_for_theirs |= other_mode && other_is_ours == Some(false);
                if other_mode && other_is_ours != Some(false) {
                    replaced.push(diff);
                    to_set.push((key, want));
                } else {
                    conflicts.push(diff);
                    if spec.force {
                        to_set.push((key, want));
                    }
                }
            }
        }
    }
    let wanted: Vec<String> = desired_env(spec).into_iter().map(|(k, _)| k).collect();
    // Removed only in a switch away from the other mode's service as we wrote it.
    let to_remove: Vec<String> = ours_elsewhere
        .iter()
        .filter(|(k, v)| {
            other_is_ours == Some(true)
                && !wanted.contains(k)
                && existing
                    .iter()
                    .any(|(ek, ev)| ek == k && ev.as_deref() == Some(v.as_str()))
        })
        .map(|(k, _)| k.clone())
        .collect();

    // The tracing service: ours for this mode, and the other mode's one when it is ours.
    let (name, desired_service) = match spec.via {
        Via::Daemon => (DAEMON_SERVICE, desired_daemon(spec)),
        Via::Collector => (collector::SERVICE, desired_collector_service(spec)),
    };
    let mut service_notes = Vec::new();
    let wants_service = spec.parts.has(Part::Xray) || spec.via == Via::Collector;
    let added_service = (wants_service && !services.contains_key(name)).then_some(name);
    if wants_service && added_service.is_none() {
        service_notes = match spec.via {
            Via::Daemon => daemon_differences(&services[name], &desired_service, &spec.variables),
            Via::Collector => {
                collector_differences(&services[name], &desired_service, &spec.variables)
            }
        }
        .into_iter()
        .map(|n| format!("{name}: {n} (left as it is)"))
        .collect();
    }
    // Beside the daemon, the collector stays (and comes) for the browser's spans.
    let browser_collector = spec.browser && spec.via == Via::Daemon;
    let removed_service = (other_is_ours == Some(true)
        && !(browser_collector && other_name == collector::SERVICE))
        .then_some(other_name);
    let added_browser_collector = (browser_collector && !services.contains_key(collector::SERVICE))
        .then_some(collector::SERVICE);
    if browser_collector && added_browser_collector.is_none() && other_is_ours != Some(true) {
        service_notes.extend(
            collector_differences(
                &services[collector::SERVICE],
                &desired_collector_service(spec),
                &spec.variables,
            )
            .into_iter()
            .map(|n| format!("{}: {n} (left as it is)", collector::SERVICE)),
        );
    }
    if kept_for_theirs {
        service_notes.push(format!(
            "{other_name} is not the service cruddur-obs writes: the entries pointing at it are yours, kept (--force replaces them)"
        ));
    }

    // Edit.
    let mut expected = before.clone();
    if !to_set.is_empty() || !to_remove.is_empty() {
        edit_env(&cst_service, &env_value, &to_set, &to_remove);
        let env = &mut expected["services"][&spec.service]["environment"];
        apply_expected(env, &to_set, &to_remove);
    }
    if let Some(gone) = removed_service {
        cst_services.remove(gone);
        if let Some(m) = expected["services"].as_object_mut() {
            m.remove(gone);
        }
    }
    if let Some(name) = added_service {
        let builder = match spec.via {
            Via::Daemon => daemon_builder(spec),
            Via::Collector => collector_builder(spec),
        };
        cst_services.set(
            name,
            builder.as_mapping().ok_or_else(|| ComposeError::Verify {
                file: file.to_string(),
                detail: "the YAML editor built no mapping".into(),
            })?,
        );
        expected["services"][name] = desired_service;
    }
    if let Some(name) = added_browser_collector {
        cst_services.set(
            name,
            collector_builder(spec)
                .as_mapping()
                .ok_or_else(|| ComposeError::Verify {
                    file: file.to_string(),
                    detail: "the YAML editor built no mapping".into(),
                })?,
        );
        expected["services"][name] = desired_collector_service(spec);
    }
    let changed = !to_set.is_empty()
        || !to_remove.is_empty()
        || added_service.is_some()
        || added_browser_collector.is_some()
        || removed_service.is_some();
    let new_text = if changed {
        [added_service, added_browser_collector]
            .into_iter()
            .flatten()
            .fold(doc.to_string(), |text, name| match_indent(&text, name))
    } else {
        text.to_string()
    };

    // Verify: the new text parses strictly and means exactly the intended change.
    let after = parse_strict(&new_text, file).map_err(|e| ComposeError::Verify {
        file: file.into(),
        detail: format!("the result does not parse: {e}"),
    })?;
    if after != expected {
        return Err(ComposeError::Verify {
            file: file.into(),
            detail: first_difference(&expected, &after),
        });
    }
    Ok(ComposePlan {
        new_text,
        added,
        replaced,
        removed: to_remove,
        conflicts,
        forced: spec.force,
        added_service,
        added_browser_collector,
        removed_service,
        service_notes,
    })
}

/// The editor indents a new service by 2 per level; in a file indented by 4 (or
/// more), re-indent that block to the file's own width.
fn match_indent(text: &str, service: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let indent_of = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let Some(start) = lines.iter().position(|l| {
        l.trim_end() == format!("{}{service}:", " ".repeat(indent_of(l))) && indent_of(l) > 0
    }) else {
        return text.to_string();
    };
    let base = indent_of(lines[start]);
    // The file's unit: how far the services' keys sit from `services:` (column 0).
    let unit = base;
    if unit <= 2 {
        return text.to_string();
    }
    let mut out: String = lines[..=start].concat();
    let mut i = start + 1;
    while i < lines.len() {
        let line = lines[i];
        let n = indent_of(line);
        if line.trim().is_empty() || n <= base {
            break;
        }
        let level = (n - base) / 2;
        out.push_str(&" ".repeat(base + level * unit));
        out.push_str(line.trim_start_matches(' '));
        i += 1;
    }
    out.push_str(&lines[i..].concat());
    out
}

/// Where `key` is in a `KEY=value` list.
pub(super) fn list_index(items: &[Value], key: &str) -> Option<usize> {
    items.iter().position(|i| {
        i.as_str()
            .is_some_and(|s| s == key || s.starts_with(&format!("{key}=")))
    })
}

/// Sets `entries` and removes `remove` in the source, keeping the form found.
/// In a list: replacements in place, then removals (last first), then additions.
pub(super) fn edit_env(
    service: &Mapping,
    env: &Value,
    entries: &[(String, String)],
    remove: &[String],
) {
    match (env, service.get_sequence("environment")) {
        (Value::Array(items), Some(seq)) => {
            let mut pushes = Vec::new();
            for (key, value) in entries {
                let line = ScalarValue::double_quoted(format!("{key}={value}"));
                match list_index(items, key) {
                    Some(i) => {
                        seq.set(i, line);
                    }
                    None => pushes.push(line),
                }
            }
            let mut gone: Vec<usize> = remove.iter().filter_map(|k| list_index(items, k)).collect();
            gone.sort_unstable();
            for i in gone.into_iter().rev() {
                seq.remove(i);
            }
            for line in pushes {
                seq.push(line);
            }
        }
        _ => match service.get_mapping("environment") {
            Some(map) => {
                for key in remove {
                    map.remove(key.as_str());
                }
                for (key, value) in entries {
                    map.set(key.as_str(), ScalarValue::double_quoted(value.as_str()));
                }
            }
            None => {
                let mut builder = MappingBuilder::new();
                for (key, value) in entries {
                    builder =
                        builder.pair(key.as_str(), ScalarValue::double_quoted(value.as_str()));
                }
                let doc = builder.build_document();
                // Always a mapping; if not, the re-parse check refuses the edit.
                if let Some(mapping) = doc.as_mapping() {
                    service.set("environment", mapping);
                }
            }
        },
    }
}
