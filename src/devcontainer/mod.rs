//! `.devcontainer/devcontainer.json` (GitHub Codespaces): forward the app's ports
//! (3000 the frontend, 4567 the backend) and label them, editing the JSONC file
//! losslessly. Pure: no I/O, no printing.
//!
//! Rules:
//! - Strict parse first (comments and trailing commas are allowed, as in VS Code;
//!   nothing looser). Duplicate keys anywhere are refused, with line and column.
//! - `forwardPorts` gets 3000 and 4567 unless already there. A port counts as present
//!   when an item is that number, a string equal to it (`"3000"`), or a string
//!   ending in `:PORT` (`"localhost:3000"`, `"app:3000"`). Other items are kept.
//! - `portsAttributes` gets `"3000": {"label": "frontend", "onAutoForward":
//!   "openBrowser"}` and `"4567": {"label": "backend"}`. Only the exact key
//!   (`"3000"`) is an entry for the port (ranges and patterns are left alone). In an
//!   existing entry, missing keys are added; existing values are never changed.
//! - New keys are appended at the end of the top-level object (or of the existing
//!   `forwardPorts` / `portsAttributes` / entry), through `jsonc-parser`'s CST.
//! - Nothing of the original text is removed, with one exception. The CST trims the
//!   blank lines at the inner start and end of a container it inserts into: they are
//!   put back where they were. The exception: a one-line object that gets a key is
//!   made multi-line by the CST, and the spaces inside its braces go (`{ "a": 1 }`
//!   becomes `{` / `"a": 1,` / ... / `}`). A one-line array stays one line (`[8080,]`
//!   becomes `[8080, 3000, 4567]`: its comma is kept, now between items).
//! - The inserted text's indentation follows the file (its first property's
//!   indentation, else the first indented line, else a tab, as the dev container
//!   templates use); its line endings follow the file's first line break; trailing
//!   commas are used in the new text if the file uses them (multi-line only).
//! - The result is parsed again and must equal the original value plus exactly the
//!   additions, keep every comment as written and in order, and keep every character
//!   of the original but spaces and tabs, in order; otherwise `Verify`. Planning the
//!   output again gives no changes and the same bytes.
//! - A UTF-8 byte order mark is kept. A number serde_json cannot hold (`1e999`) is a
//!   `Parse` error.
//!
//! Port visibility (public/private) is not part of the dev container spec; see
//! [`visibility_hint`].

mod additions;
mod cst_edit;
mod error;
mod layout;
mod strict_parse;

use serde_json::Value;

use self::additions::additions;
use self::cst_edit::edit_cst;
pub(crate) use self::error::DevcontainerError;
use self::layout::{
    indent_unit, is_subsequence, reindent_inserted, restore_trimmed, CST_DEFAULT_INDENT,
};
use self::strict_parse::{parse_strict, top_object};

/// A port and the attributes it gets in `portsAttributes`.
pub(crate) type Port = (u16, &'static [(&'static str, &'static str)]);

/// The collector's OTLP/HTTP port, forwarded for the browser's spans.
pub(crate) const COLLECTOR_PORT: Port = (4318, &[("label", "otel-collector (browser spans)")]);

/// The ports the app needs, and the attributes each gets in `portsAttributes`.
pub(crate) const PORTS: &[Port] = &[
    (
        3000,
        &[("label", "frontend"), ("onAutoForward", "openBrowser")],
    ),
    (4567, &[("label", "backend")]),
];

/// What to tell the user about port visibility, which devcontainer.json cannot
/// set: the backend's port, and the collector's when it is forwarded.
pub(crate) fn visibility_hint(ports: &[Port]) -> String {
    let collector = ports.iter().any(|(p, _)| *p == COLLECTOR_PORT.0);
    format!(
        "port visibility is not part of devcontainer.json: make the {} reachable from the \
         browser with `gh codespace ports visibility 4567:public{} -c $CODESPACE_NAME` (or in \
         the Ports tab: Port Visibility > Public)",
        if collector {
            "backend and the collector"
        } else {
            "backend"
        },
        if collector { " 4318:public" } else { "" }
    )
}

const BOM: char = '\u{feff}';

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DevcontainerPlan {
    /// The file's new text (the original, unchanged, when `changes` is empty).
    pub new_text: String,
    /// One line per addition: `+ forwardPorts 3000`,
    /// `+ portsAttributes.3000.label "frontend"`.
    pub changes: Vec<String>,
    pub notes: Vec<String>,
}

/// Plans the edit of devcontainer.json (`None`: the file does not exist yet, and a
/// minimal one is created). On any error nothing is produced.
#[cfg(test)]
pub(crate) fn plan(text: Option<&str>, file: &str) -> Result<DevcontainerPlan, DevcontainerError> {
    plan_ports(text, file, PORTS)
}

/// [`plan`] for these ports (ours, and the collector's with a React frontend).
pub(crate) fn plan_ports(
    text: Option<&str>,
    file: &str,
    ports: &[Port],
) -> Result<DevcontainerPlan, DevcontainerError> {
    let (bom, base) = match text {
        Some(t) => match t.strip_prefix(BOM) {
            Some(rest) => (true, rest),
            None => (false, t),
        },
        None => (false, "{}\n"),
    };
    let before = parse_strict(base, file)?;
    let top = top_object(&before, base, file)?;
    let additions = additions(top, &before, base, file, ports)?;
    let mut notes = additions.notes.clone();
    if text.is_none() {
        notes.insert(0, format!("{file} does not exist: it will be created"));
    }
    if additions.is_empty() {
        return Ok(DevcontainerPlan {
            new_text: text.unwrap_or_default().to_string(),
            changes: Vec::new(),
            notes,
        });
    }
    notes.push(visibility_hint(ports));

    let verify = |message: &str| DevcontainerError::Verify {
        file: file.into(),
        message: message.into(),
    };
    let (edited, cst_indent) = edit_cst(base, &additions)
        .ok_or_else(|| verify("the JSONC editor did not find the keys the parser found"))?;
    let edited_parsed = parse_strict(&edited, file)
        .map_err(|e| verify(&format!("the edited text does not parse: {e}")))?;
    let restored = restore_trimmed(base, &before, &edited, &edited_parsed, &additions);
    let unit = indent_unit(cst_indent.as_deref(), base);
    let body = if cst_indent.is_none() && unit != CST_DEFAULT_INDENT {
        reindent_inserted(base, &restored, CST_DEFAULT_INDENT, &unit)
    } else {
        restored
    };

    let after = parse_strict(&body, file)
        .map_err(|e| verify(&format!("the result does not parse: {e}")))?;
    if after.value != Some(additions.expected(top)) {
        return Err(verify(
            "the parsed result is not the original plus the ports and their attributes",
        ));
    }
    if after.comments != before.comments {
        return Err(verify("the comments would not all be kept as they are"));
    }
    if !is_subsequence(base, &body) {
        return Err(verify("the result does not keep all of the original text"));
    }
    let mut new_text = String::with_capacity(body.len() + 3);
    if bom {
        new_text.push(BOM);
    }
    new_text.push_str(&body);
    Ok(DevcontainerPlan {
        new_text,
        changes: additions.changes(),
        notes,
    })
}

/// Parses devcontainer.json strictly (comments and trailing commas allowed, duplicate
/// keys refused) to its value (`Value::Null` for a file with no value).
pub fn parse(text: &str, file: &str) -> Result<Value, DevcontainerError> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    Ok(parse_strict(text, file)?.value.unwrap_or(Value::Null))
}

/// Whether a `forwardPorts` item forwards `port`: the number, `"PORT"`, or `"HOST:PORT"`.
pub(crate) fn forwards(item: &Value, port: u16) -> bool {
    let wanted = port.to_string();
    match item {
        Value::Number(n) => n.as_u64() == Some(u64::from(port)),
        Value::String(s) => {
            s == &wanted
                || s.rsplit_once(':')
                    .is_some_and(|(host, p)| !host.is_empty() && p == wanted)
        }
        _ => false,
    }
}
#[cfg(test)]
mod edit_tests;
#[cfg(test)]
mod properties_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn value(text: &str) -> Value {
        parse_strict(text, "t")
            .unwrap()
            .value
            .unwrap_or(Value::Null)
    }

    #[test]
    fn port_forms_that_count_as_forwarded() {
        assert!(forwards(&json!(3000), 3000));
        assert!(forwards(&json!("3000"), 3000));
        assert!(forwards(&json!("localhost:3000"), 3000));
        assert!(forwards(&json!("db:3000"), 3000));
        assert!(!forwards(&json!("db:5432"), 3000));
        assert!(!forwards(&json!("13000"), 3000));
        assert!(!forwards(&json!(":3000"), 3000));
        assert!(!forwards(&json!("3000-3999"), 3000));
        assert!(!forwards(&json!(3000.5), 3000));
    }

    #[test]
    fn a_missing_file_is_created_with_tabs() {
        let p = plan(None, ".devcontainer/devcontainer.json").unwrap();
        assert_eq!(
            p.new_text,
            "{\n\t\"forwardPorts\": [3000, 4567],\n\t\"portsAttributes\": {\n\t\t\"3000\": {\n\t\t\t\"label\": \"frontend\",\n\t\t\t\"onAutoForward\": \"openBrowser\"\n\t\t},\n\t\t\"4567\": {\n\t\t\t\"label\": \"backend\"\n\t\t}\n\t}\n}\n"
        );
        assert_eq!(
            p.changes,
            [
                "+ forwardPorts 3000",
                "+ forwardPorts 4567",
                "+ portsAttributes.3000.label \"frontend\"",
                "+ portsAttributes.3000.onAutoForward \"openBrowser\"",
                "+ portsAttributes.4567.label \"backend\"",
            ]
        );
        assert!(p.notes[0].contains("will be created"));
        let again = plan(Some(&p.new_text), "d").unwrap();
        assert!(again.changes.is_empty());
        assert_eq!(again.new_text, p.new_text);
    }

    #[test]
    fn expected_value_adds_only_what_is_missing() {
        let text = r#"{"forwardPorts": ["db:5432", "localhost:3000"], "portsAttributes": {"4567": {"label": "api"}}}"#;
        let p = plan(Some(text), "d").unwrap();
        assert_eq!(
            p.changes,
            [
                "+ forwardPorts 4567",
                "+ portsAttributes.3000.label \"frontend\"",
                "+ portsAttributes.3000.onAutoForward \"openBrowser\"",
            ]
        );
        assert!(p
            .notes
            .iter()
            .any(|n| n.contains("forwarded as \"localhost:3000\"")));
        assert!(p
            .notes
            .iter()
            .any(|n| n.contains("4567.label is \"api\": kept")));
        assert_eq!(
            value(&p.new_text),
            json!({
                "forwardPorts": ["db:5432", "localhost:3000", 4567],
                "portsAttributes": {
                    "4567": {"label": "api"},
                    "3000": {"label": "frontend", "onAutoForward": "openBrowser"}
                }
            })
        );
    }

    #[test]
    fn a_partly_set_up_file_gets_only_what_is_missing() {
        let p = plan(
            Some(r#"{"forwardPorts": [3000], "portsAttributes": {"3000": {"label": "web"}}}"#),
            "d",
        )
        .unwrap();
        assert_eq!(
            p.changes,
            [
                "+ forwardPorts 4567",
                "+ portsAttributes.3000.onAutoForward \"openBrowser\"",
                "+ portsAttributes.4567.label \"backend\"",
            ]
        );
        assert_eq!(
            value(&p.new_text)["portsAttributes"]["3000"]["label"],
            "web"
        );
        assert!(plan(Some(&p.new_text), "d").unwrap().changes.is_empty());
        let done = plan(None, "d").unwrap().new_text;
        assert!(plan(Some(&done), "d").unwrap().changes.is_empty());
        assert!(plan(Some("[]"), "d").is_err());
    }

    #[test]
    fn errors_have_help() {
        let e = plan(Some("{\"a\": 1, \"a\": 2}"), "d").unwrap_err();
        assert!(e.help().unwrap().contains("\"a\""));
        assert!(e.is_bad_input());
        let e = plan(Some(""), "d").unwrap_err();
        assert!(matches!(
            e,
            DevcontainerError::NotAnObject { found: "empty", .. }
        ));
        assert!(e.help().unwrap().contains("{}"));
    }
}
