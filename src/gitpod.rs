//! .gitpod.yml: the ports the app needs, opened publicly, with the same safety
//! rules as the compose file (strict parse, lossless edit, verification).
//!
//! Gitpod forwards only HTTP ports: the X-Ray daemon's UDP 2000 is never added, and
//! an entry for it is reported as doing nothing. Secrets are never written here;
//! they belong in `gp env`.

use std::str::FromStr;

use serde::Serialize;
use serde_json::{json, Value};
use yaml_edit::{Document, MappingBuilder};

use crate::plan::FieldDiff;

/// A port the app needs: number, onOpen (if any), what it is.
pub(crate) const PORTS: &[(u16, Option<&str>, &str)] = &[
    (3000, Some("open-browser"), "frontend-react-js"),
    (4567, None, "backend-flask"),
];
const UDP_DAEMON_PORT: u16 = 2000;

/// The collector's OTLP/HTTP port, opened for the browser's spans.
pub(crate) const COLLECTOR_PORT: (u16, Option<&str>, &str) =
    (4318, None, "otel-collector (the browser's spans)");

/// The variables the app reads from `gp env`, and whether each is a secret.
pub(crate) const GP_ENV: &[(&str, bool)] = &[
    ("HONEYCOMB_API_KEY", true),
    ("AWS_ACCESS_KEY_ID", true),
    ("AWS_SECRET_ACCESS_KEY", true),
    ("AWS_DEFAULT_REGION", false),
    ("ROLLBAR_ACCESS_TOKEN", true),
];

/// The variables `gp env` (no arguments) lists as saved for this repository: it
/// prints `NAME=VALUE` lines, with `"` escaped as `\"`.
pub(crate) fn parse_gp_env(listing: &str) -> std::collections::BTreeMap<String, String> {
    listing
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| (name.trim().to_string(), value.replace("\\\"", "\"")))
        .collect()
}

/// The names in `wanted` whose value is not saved with exactly that value.
pub(crate) fn unsaved<'a>(
    wanted: &'a [(String, Option<crate::secret::Secret>)],
    saved: &std::collections::BTreeMap<String, String>,
) -> Vec<(&'a str, &'a crate::secret::Secret)> {
    wanted
        .iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| (name.as_str(), v)))
        .filter(|(name, value)| saved.get(*name).map(String::as_str) != Some(value.expose()))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct GitpodPlan {
    #[serde(skip)]
    pub new_text: String,
    pub added: Vec<u16>,
    /// Existing entries for our ports that are not public (kept unless `forced`).
    pub conflicts: Vec<FieldDiff>,
    /// Whether the conflicting entries were made public (`--force`).
    pub forced: bool,
    pub notes: Vec<String>,
}

/// Whether a `port:` value (a number, or a "3000-3999" range) covers `port`.
fn covers(value: &Value, port: u16) -> bool {
    match value {
        Value::Number(n) => n.as_u64() == Some(u64::from(port)),
        Value::String(s) => match s.split_once('-') {
            Some((lo, hi)) => match (lo.trim().parse::<u16>(), hi.trim().parse::<u16>()) {
                (Ok(lo), Ok(hi)) => (lo..=hi).contains(&port),
                _ => false,
            },
            None => s.trim().parse::<u16>().ok() == Some(port),
        },
        _ => false,
    }
}

fn entry_json(port: u16, on_open: Option<&str>) -> Value {
    let mut entry = json!({"port": port});
    if let Some(o) = on_open {
        entry["onOpen"] = json!(o);
    }
    entry["visibility"] = json!("public");
    entry
}

fn entry_text(port: u16, on_open: Option<&str>, nl: &str) -> String {
    let mut text = format!("  - port: {port}{nl}");
    if let Some(o) = on_open {
        text.push_str(&format!("    onOpen: {o}{nl}"));
    }
    text.push_str(&format!("    visibility: public{nl}"));
    text
}

/// Plans the edit of `.gitpod.yml` (`None`: the file does not exist yet). With
/// `force`, an entry for one of our ports that is not public is made public; an
/// entry for a range of ports is never changed (that would open them all).
#[cfg(test)]
pub(crate) fn plan(text: Option<&str>, file: &str, force: bool) -> Result<GitpodPlan, GitpodError> {
    plan_ports(text, file, force, PORTS)
}

/// [`plan`] for these ports (ours, and the collector's with a React frontend).
pub(crate) fn plan_ports(
    text: Option<&str>,
    file: &str,
    force: bool,
    wanted: &[(u16, Option<&str>, &str)],
) -> Result<GitpodPlan, GitpodError> {
    plan_edit(text, file, force, wanted)
}

/// Parses strictly (see [`crate::yaml`]); errors name the Gitpod file.
fn parse_strict(text: &str, file: &str) -> Result<Value, GitpodError> {
    crate::yaml::parse_strict(text).map_err(|e| {
        if e.too_complex {
            GitpodError::TooComplex {
                file: file.to_string(),
            }
        } else {
            GitpodError::Parse {
                file: file.to_string(),
                message: e.message,
            }
        }
    })
}

/// Errors about `.gitpod.yml`, with help that fits it (not the compose file's).
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum GitpodError {
    #[error("{file} is not valid YAML: {message}")]
    Parse { file: String, message: String },
    #[error("{file} is too large or too complex to read safely (more YAML nodes, depth or aliases than a Gitpod file has)")]
    TooComplex { file: String },
    #[error("{file}: the top level is not a mapping")]
    NotMapping { file: String },
    #[error("{file}: `ports:` is not a list")]
    PortsNotList { file: String },
    #[error("{file}: {message}")]
    Unsafe { file: String, message: String },
    #[error(
        "{file}: the edit would change more than the intended keys ({detail}); nothing was written"
    )]
    Verify { file: String, detail: String },
}

impl GitpodError {
    pub(crate) fn is_bad_input(&self) -> bool {
        !matches!(self, GitpodError::Verify { .. })
    }

    pub(crate) fn help(&self) -> Option<String> {
        Some(match self {
            GitpodError::Parse { .. } => {
                "fix the line named (Gitpod would refuse the file too) and run again".into()
            }
            GitpodError::TooComplex { .. } => {
                "is it the right file? the .gitpod.yml files cruddur-obs edits are small".into()
            }
            GitpodError::NotMapping { .. } => {
                "a Gitpod file is a mapping of keys like `tasks:` and `ports:`; fix it and run again".into()
            }
            GitpodError::PortsNotList { .. } => {
                "`ports:` must be a list of entries like `- port: 4567`; fix it or add the ports by hand (see `cruddur-obs gitpod write --help`)".into()
            }
            GitpodError::Unsafe { .. } => {
                "fix what is named, or add the ports by hand (see `cruddur-obs gitpod write --help`)".into()
            }
            GitpodError::Verify { .. } => {
                "please report this with the file; add the ports by hand meanwhile".into()
            }
        })
    }
}

/// Whether the text's last line belongs to a block scalar (`|` or `>`, any
/// chomping): a line break after it would change the scalar's value.
pub(crate) fn ends_in_block_scalar(text: &str) -> bool {
    // The column a block scalar's lines must be indented beyond.
    let mut open: Option<usize> = None;
    let mut last_in_block = false;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let indent = line.len() - line.trim_start_matches(' ').len();
        let body = line.trim();
        if let Some(col) = open {
            if body.is_empty() || indent > col {
                last_in_block = true;
                continue;
            }
        }
        last_in_block = false;
        open = block_opener(indent, body);
    }
    last_in_block
}

/// If `body` (at column `indent`) ends with a block scalar indicator, the column
/// its content must be indented beyond.
fn block_opener(indent: usize, body: &str) -> Option<usize> {
    let code = match body.find(" #") {
        Some(i) => &body[..i],
        None => body,
    }
    .trim_end();
    let indicator = code.trim_end_matches(|c: char| c.is_ascii_digit() || c == '+' || c == '-');
    let head = indicator
        .strip_suffix('|')
        .or_else(|| indicator.strip_suffix('>'))?
        .trim_end();
    // Past the `- ` of sequence items: the column of what follows them.
    let mut col = indent;
    let mut dash = indent;
    let mut rest = body;
    while let Some(r) = rest.strip_prefix('-').filter(|r| r.starts_with(' ')) {
        dash = col;
        let trimmed = r.trim_start();
        col += rest.len() - trimmed.len();
        rest = trimmed;
    }
    if head.ends_with(':') {
        // `key: |`: beyond the key's column.
        Some(col)
    } else if head.is_empty() || head.chars().all(|c| c == '-' || c == ' ') {
        // `- |`: beyond the item's dash.
        Some(dash)
    } else {
        None
    }
}

/// Where the last top-level key starts (before the comment lines just above it,
/// unless they head the file): every line before it ends with a line break.
fn last_top_level_key(text: &str) -> Option<usize> {
    let mut starts = vec![0];
    starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    starts.retain(|&i| i < text.len());
    let is_key = |rest: &str| {
        let line = rest.split('\n').next().unwrap_or(rest);
        let line = line.strip_suffix('\r').unwrap_or(line);
        !line.trim().is_empty()
            && !line.starts_with([' ', '\t', '#', '-', '\r', ']', '}', ',', '%', '.'])
            && line.contains(':')
    };
    let mut at = starts.iter().rposition(|&i| is_key(&text[i..]))?;
    // The comments just above the key stay with it, unless they head the file.
    let mut first = at;
    while first > 0 && text[starts[first - 1]..].starts_with('#') {
        first -= 1;
    }
    if first > 0 {
        at = first;
    }
    Some(starts[at])
}

fn plan_edit(
    text: Option<&str>,
    file: &str,
    force: bool,
    wanted: &[(u16, Option<&str>, &str)],
) -> Result<GitpodPlan, GitpodError> {
    let text = text.unwrap_or_default();
    let before = parse_strict(text, file)?;
    let unsafe_edit = |message: &str| GitpodError::Unsafe {
        file: file.into(),
        message: message.into(),
    };
    if !(before.is_object() || before.is_null()) {
        return Err(GitpodError::NotMapping { file: file.into() });
    }
    let ports = before.get("ports").cloned().unwrap_or(Value::Null);
    let existing: Vec<Value> = match &ports {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        _ => return Err(GitpodError::PortsNotList { file: file.into() }),
    };

    let mut notes = Vec::new();
    let mut conflicts = Vec::new();
    if existing
        .iter()
        .any(|e| covers(e.get("port").unwrap_or(&Value::Null), UDP_DAEMON_PORT))
    {
        notes.push(format!(
            "port {UDP_DAEMON_PORT} (the X-Ray daemon's UDP port) does nothing here: Gitpod forwards only HTTP ports"
        ));
    }
    let mut missing = Vec::new();
    // Indexes of entries to make public (with --force).
    let mut to_publish = Vec::new();
    for &(port, on_open, what) in wanted {
        match existing
            .iter()
            .position(|e| covers(e.get("port").unwrap_or(&Value::Null), port))
        {
            None => missing.push((port, on_open)),
            Some(i) => {
                let entry = &existing[i];
                let visibility = entry.get("visibility").and_then(Value::as_str);
                if visibility == Some("public") {
                    continue;
                }
                let shown = visibility.unwrap_or("private (default)");
                if is_exactly(entry.get("port").unwrap_or(&Value::Null), port) {
                    conflicts.push(FieldDiff::new(
                        &format!("ports[{port}].visibility"),
                        Some(shown.to_string()),
                        Some(format!(
                            "public (the {what} must be reachable from the browser)"
                        )),
                    ));
                    if force {
                        to_publish.push(i);
                    }
                } else {
                    notes.push(format!(
                        "port {port} (the {what}) is in the range {} with visibility {shown}; it must be public: give it an entry of its own",
                        value_text(entry.get("port").unwrap_or(&Value::Null))
                    ));
                }
            }
        }
    }
    let forced = force && !conflicts.is_empty();
    if missing.is_empty() && to_publish.is_empty() {
        return Ok(GitpodPlan {
            new_text: text.to_string(),
            added: Vec::new(),
            conflicts,
            forced,
            notes,
        });
    }

    let nl = crate::files::line_ending(text);
    let new_text = match &ports {
        Value::Array(_) => {
            let doc = Document::from_str(text).map_err(|e| GitpodError::Parse {
                file: file.into(),
                message: e.to_string(),
            })?;
            let seq = doc
                .as_mapping()
                .and_then(|m| m.get_sequence("ports"))
                .ok_or_else(|| unsafe_edit("`ports:` is not a list the editor can follow"))?;
            for &i in &to_publish {
                match seq.get(i) {
                    Some(yaml_edit::YamlNode::Mapping(entry)) => {
                        entry.set("visibility", "public");
                    }
                    _ => return Err(unsafe_edit("a `ports:` entry is not a mapping")),
                }
            }
            for &(port, on_open) in &missing {
                let mut entry = MappingBuilder::new().pair("port", i64::from(port));
                if let Some(o) = on_open {
                    entry = entry.pair("onOpen", o);
                }
                let entry = entry.pair("visibility", "public").build_document();
                seq.push(entry.as_mapping().ok_or_else(|| GitpodError::Verify {
                    file: file.to_string(),
                    detail: "the YAML editor built no mapping".into(),
                })?);
            }
            doc.to_string()
        }
        // No `ports:` yet: a block at the end of the file, keeping its ending.
        _ => {
            if before.get("ports").is_some() {
                return Err(unsafe_edit(
                    "`ports:` is empty; write `ports: []` or remove it",
                ));
            }
            let mut block = format!("ports:{nl}");
            for &(port, on_open) in &missing {
                block.push_str(&entry_text(port, on_open, nl));
            }
            if text.is_empty() || text.ends_with('\n') {
                format!("{text}{block}")
            } else if ends_in_block_scalar(text) {
                // Ending the last line would add a line break to the scalar's
                // value: the block goes before the last top-level key instead,
                // where no unterminated line precedes it.
                let at = last_top_level_key(text).ok_or_else(|| {
                    unsafe_edit("the file ends inside a block scalar without a final line break, and has no top-level key to put `ports:` before; add a final line break")
                })?;
                format!("{}{block}{}", &text[..at], &text[at..])
            } else {
                // No final line break before, none after.
                let block = block.strip_suffix(nl).unwrap_or(&block);
                format!("{text}{nl}{block}")
            }
        }
    };

    let mut expected = if before.is_null() {
        json!({})
    } else {
        before.clone()
    };
    let mut list = existing;
    for &i in &to_publish {
        list[i]["visibility"] = json!("public");
    }
    list.extend(missing.iter().map(|&(p, o)| entry_json(p, o)));
    expected["ports"] = Value::Array(list);
    let after = parse_strict(&new_text, file).map_err(|e| GitpodError::Verify {
        file: file.into(),
        detail: format!("the result does not parse: {e}"),
    })?;
    if after != expected {
        return Err(GitpodError::Verify {
            file: file.into(),
            detail: "the parsed result is not the original plus the new or public ports".into(),
        });
    }
    // The parser reads a block scalar ending the file without a line break as if
    // it had one; YAML (and Gitpod) do not: that last line must stay last.
    if !text.ends_with('\n') && ends_in_block_scalar(text) {
        let last = text.rsplit('\n').next().unwrap_or(text);
        if !(new_text.ends_with(last) && new_text[..new_text.len() - last.len()].ends_with('\n')) {
            return Err(GitpodError::Unsafe {
                file: file.into(),
                message: "the file ends inside a block scalar without a final line break, and the edit would add one to its value; add a final line break (or the ports by hand)".into(),
            });
        }
    }
    Ok(GitpodPlan {
        new_text,
        added: missing.iter().map(|(p, _)| *p).collect(),
        conflicts,
        forced,
        notes,
    })
}

/// Whether a `port:` value names `port` alone (a number, or a string of one).
fn is_exactly(value: &Value, port: u16) -> bool {
    match value {
        Value::Number(n) => n.as_u64() == Some(u64::from(port)),
        Value::String(s) => s.trim().parse::<u16>().ok() == Some(port),
        _ => false,
    }
}

/// A `port:` value as written (`3000`, `3000-3999`).
fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_has_its_own_kind_and_gitpod_help() {
        let cases = [
            (
                "- a\n",
                ".gitpod.yml: the top level is not a mapping",
                "a Gitpod file is a mapping",
            ),
            (
                "ports: 3000\n",
                ".gitpod.yml: `ports:` is not a list",
                "`ports:` must be a list",
            ),
            (
                "ports:\n",
                ".gitpod.yml: `ports:` is empty; write `ports: []` or remove it",
                "fix what is named",
            ),
            (
                "a: [\n",
                ".gitpod.yml is not valid YAML: line 1 column 4",
                "Gitpod would refuse",
            ),
        ];
        for (text, said, help) in cases {
            let e = plan(Some(text), ".gitpod.yml", false).unwrap_err();
            assert!(e.to_string().starts_with(said), "{text:?}: {e}");
            assert!(
                e.help().unwrap_or_default().contains(help),
                "{text:?}: {:?}",
                e.help()
            );
            assert!(e.is_bad_input());
            assert!(!format!("{e} {:?}", e.help()).contains("compose"), "{e}");
        }
    }

    #[test]
    fn saved_gp_env_values_are_not_saved_again() {
        use crate::secret::Secret;
        let saved = parse_gp_env(
            "HONEYCOMB_API_KEY=hcaik_x\nNOTE=say \\\"hi\\\"\nAWS_DEFAULT_REGION=us-east-1\n",
        );
        assert_eq!(saved["NOTE"], "say \"hi\"");
        let wanted = vec![
            (
                "HONEYCOMB_API_KEY".to_string(),
                Some(Secret::new("hcaik_x")),
            ),
            (
                "AWS_DEFAULT_REGION".to_string(),
                Some(Secret::new("ca-central-1")),
            ),
            ("ROLLBAR_ACCESS_TOKEN".to_string(), None),
            ("AWS_ACCESS_KEY_ID".to_string(), Some(Secret::new("AKIA"))),
        ];
        let names: Vec<&str> = unsaved(&wanted, &saved).iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID"]);
    }

    #[test]
    fn ranges_and_strings_cover_ports() {
        assert!(is_exactly(&json!("3000"), 3000) && is_exactly(&json!(3000), 3000));
        assert!(!is_exactly(&json!("3000-3001"), 3000));
        assert!(covers(&json!(3000), 3000));
        assert!(covers(&json!("3000"), 3000));
        assert!(covers(&json!("3000-3999"), 3000));
        assert!(!covers(&json!("4000-4999"), 3000));
    }

    #[test]
    fn a_new_file_gets_both_ports_and_a_second_run_nothing() {
        let first = plan(None, ".gitpod.yml", false).unwrap();
        assert_eq!(first.added, [3000, 4567]);
        assert_eq!(
            first.new_text,
            "ports:\n  - port: 3000\n    onOpen: open-browser\n    visibility: public\n  - port: 4567\n    visibility: public\n"
        );
        let second = plan(Some(&first.new_text), ".gitpod.yml", false).unwrap();
        assert!(second.added.is_empty());
        assert_eq!(second.new_text, first.new_text);
    }

    #[test]
    fn existing_ports_are_kept_and_reported() {
        let text = "ports:\n  - port: 3000-3999\n    visibility: private\n  - port: 2000\n";
        for force in [false, true] {
            let p = plan(Some(text), "g", force).unwrap();
            assert_eq!(p.added, [4567]);
            assert!(p.conflicts.is_empty(), "a range is never changed");
            assert!(!p.forced);
            assert!(p.notes[0].contains("Gitpod forwards only HTTP ports"));
            assert_eq!(
                p.notes[1],
                "port 3000 (the frontend-react-js) is in the range 3000-3999 with visibility private; it must be public: give it an entry of its own"
            );
            assert!(p.new_text.starts_with(text));
        }
    }

    #[test]
    fn force_makes_our_private_ports_public_and_keeps_the_rest() {
        let text = "ports:\n  - port: 3000 # the frontend\n    onOpen: open-browser\n  - port: 4567\n    visibility: private\n    name: api\n";
        let kept = plan(Some(text), "g", false).unwrap();
        assert_eq!(kept.conflicts.len(), 2);
        assert!(!kept.forced);
        assert_eq!(kept.new_text, text);

        let forced = plan(Some(text), "g", true).unwrap();
        assert!(forced.forced);
        assert_eq!(forced.conflicts.len(), 2);
        assert!(forced.added.is_empty());
        let after: Value = serde_saphyr::from_str(&forced.new_text).unwrap();
        assert_eq!(
            after,
            json!({"ports": [
                {"port": 3000, "onOpen": "open-browser", "visibility": "public"},
                {"port": 4567, "visibility": "public", "name": "api"}
            ]})
        );
        assert!(forced.new_text.contains("# the frontend"));
        let again = plan(Some(&forced.new_text), "g", true).unwrap();
        assert!(again.conflicts.is_empty() && !again.forced);
        assert_eq!(again.new_text, forced.new_text);
    }
}

#[cfg(test)]
mod ending_tests {
    use super::*;

    #[test]
    fn block_scalars_at_the_end_are_recognised() {
        for text in [
            "tasks:\n  - init: |\n      npm i\n      npm start",
            "tasks:\n  - init: |-\n      npm i",
            "tasks:\n  - init: >\n      npm i\n\n      more",
            "a: |+ # keep\n  x",
            "a:\n  - |\n    x",
            "a:\r\n  b: |2\r\n     x",
        ] {
            assert!(ends_in_block_scalar(text), "{text:?}");
        }
        for text in [
            "tasks:\n  - init: npm i",
            "a: |\n  x\nb: 1",
            "a: x|",
            "tasks:\n  - init: |\n      npm i\n    before: x",
            "",
        ] {
            assert!(!ends_in_block_scalar(text), "{text:?}");
        }
    }

    #[test]
    fn without_a_final_line_break_the_ending_and_the_last_scalar_are_kept() {
        let text = "# ws\ntasks:\n  - init: |\n      npm i\n      npm start";
        let plan = plan(Some(text), ".gitpod.yml", false).unwrap();
        assert!(
            plan.new_text.starts_with("# ws\nports:\n"),
            "{}",
            plan.new_text
        );
        assert!(plan
            .new_text
            .ends_with("visibility: public\ntasks:\n  - init: |\n      npm i\n      npm start"));
        let plain = "tasks:\n  - init: npm i";
        let plan = super::plan(Some(plain), ".gitpod.yml", false).unwrap();
        assert!(plan
            .new_text
            .starts_with("tasks:\n  - init: npm i\nports:\n"));
        assert!(
            plan.new_text.ends_with("visibility: public"),
            "{}",
            plan.new_text
        );
    }

    #[test]
    fn a_blank_line_inside_the_last_key_is_not_a_key() {
        // shape: a student's file: `vscode:` first, then `tasks:` whose items are
        // separated by blank lines; the last task's `init: |` ends the file
        // without a line break.
        let text = "vscode:\n  extensions:\n    - a.b\n\ntasks:\n  - name: aws\n    init: |\n      cd /w\n\n  - name: pg\n    init: |\n      sudo apt update\n      sudo apt install -y libpq-dev";
        let plan = plan(Some(text), ".gitpod.yml", false).unwrap();
        assert!(
            plan.new_text.contains("    - a.b\n\nports:\n"),
            "{}",
            plan.new_text
        );
        assert!(plan.new_text.ends_with("visibility: public\ntasks:\n  - name: aws\n    init: |\n      cd /w\n\n  - name: pg\n    init: |\n      sudo apt update\n      sudo apt install -y libpq-dev"));
        for at in [
            last_top_level_key("a: 1\n\n  \n"),
            last_top_level_key("a:\r\n\r\n  - x"),
        ] {
            assert_eq!(at, Some(0));
        }
    }
}
