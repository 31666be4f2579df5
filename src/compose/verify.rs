//! The check after every edit: the result, parsed again, must equal the original
//! plus exactly the intended changes; any other difference and nothing is written.

use super::*;

/// How an existing collector service differs from ours (reported, never changed).
pub(super) fn collector_differences(
    actual: &Value,
    desired: &Value,
    vars: &std::collections::BTreeMap<String, String>,
) -> Vec<String> {
    let mut notes = Vec::new();
    let image = actual
        .get("image")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if image.ends_with(":latest") || !image.contains(':') {
        notes.push(format!(
            "image {image:?} is not pinned: use {}",
            desired["image"]
        ));
    }
    notes.extend(region_note(
        actual,
        desired,
        "ADOT v0.48+ needs it, and it must be the X-Ray group's region",
        vars,
    ));
    let publishes_4318 = actual
        .get("ports")
        .and_then(Value::as_array)
        .is_some_and(|ports| {
            ports.iter().any(|p| match p {
                Value::Object(long) => {
                    long.get("target").and_then(as_text).as_deref() == Some("4318")
                }
                other => as_text(other).is_some_and(|t| {
                    t.split('/').next().unwrap_or_default().rsplit(':').next() == Some("4318")
                }),
            })
        });
    if !publishes_4318 {
        notes.push(format!(
            "port 4318 is not published: the browser cannot send its spans (add ports: [\"{}\"])",
            super::desired::BROWSER_PORT
        ));
    }
    notes
}

/// The same change on the parsed document, for verification.
pub(super) fn apply_expected(env: &mut Value, entries: &[(String, String)], remove: &[String]) {
    match env {
        Value::Array(items) => {
            let original = items.clone();
            let mut pushes = Vec::new();
            for (key, value) in entries {
                let line = Value::String(format!("{key}={value}"));
                match list_index(&original, key) {
                    Some(i) => items[i] = line,
                    None => pushes.push(line),
                }
            }
            let mut gone: Vec<usize> = remove
                .iter()
                .filter_map(|k| list_index(&original, k))
                .collect();
            gone.sort_unstable();
            for i in gone.into_iter().rev() {
                items.remove(i);
            }
            items.extend(pushes);
        }
        Value::Object(map) => {
            for key in remove {
                map.shift_remove(key);
            }
            for (key, value) in entries {
                map.insert(key.clone(), Value::String(value.clone()));
            }
        }
        other => {
            let mut map = Map::new();
            for (key, value) in entries {
                map.insert(key.clone(), Value::String(value.clone()));
            }
            *other = Value::Object(map);
        }
    }
}

/// How an existing daemon service differs from ours (reported, never changed).
pub(crate) fn daemon_differences(
    actual: &Value,
    desired: &Value,
    vars: &std::collections::BTreeMap<String, String>,
) -> Vec<String> {
    let mut notes = Vec::new();
    let mut image_note = None;
    if actual
        .get("image")
        .and_then(Value::as_str)
        .map(|i| i.split(':').next().unwrap_or(i))
        != Some(DAEMON_IMAGE)
        && actual
            .get("image")
            .and_then(Value::as_str)
            .is_none_or(|i| !i.contains("xray-daemon"))
    {
        image_note = Some(format!("image is {}, not {DAEMON_IMAGE}", actual["image"]));
    }
    let command: Vec<String> = match actual.get("command") {
        Some(Value::Array(items)) => items.iter().filter_map(as_text).collect(),
        Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        _ => Vec::new(),
    };
    if let Some(Value::Array(items)) = actual.get("command") {
        if let Some(joined) = items
            .iter()
            .filter_map(Value::as_str)
            .find(|s| s.contains(' '))
        {
            notes.push(format!(
                "command item {joined:?} reaches the daemon as one argument: use separate flags, e.g. [\"-o\"]"
            ));
        }
    }
    if notes.is_empty() && !command.iter().any(|c| c == "-o" || c == "--local-mode") {
        notes.push(
            "command lacks -o (local mode): outside EC2 the daemon waits for instance metadata"
                .into(),
        );
    }
    notes.extend(region_note(
        actual,
        desired,
        "the daemon must send to the region of the group and rule",
        vars,
    ));
    notes.extend(image_note);
    notes
}

pub(super) fn first_difference(expected: &Value, actual: &Value) -> String {
    fn walk(path: &str, e: &Value, a: &Value) -> Option<String> {
        match (e, a) {
            (Value::Object(em), Value::Object(am)) => {
                for (k, ev) in em {
                    let p = format!("{path}.{k}");
                    match am.get(k) {
                        Some(av) => {
                            if let Some(d) = walk(&p, ev, av) {
                                return Some(d);
                            }
                        }
                        None => return Some(format!("{p} is missing")),
                    }
                }
                am.keys()
                    .find(|k| !em.contains_key(*k))
                    .map(|k| format!("{path}.{k} appeared"))
            }
            _ if e == a => None,
            _ => Some(format!("{path} is {a}, expected {e}")),
        }
    }
    walk("", expected, actual).unwrap_or_else(|| "unknown difference".into())
}
