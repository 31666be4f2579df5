//! What the file lacks: the ports to add to `forwardPorts` and the entries and keys
//! to add to `portsAttributes`, with the value the file must have afterwards.

use serde_json::{Map, Value};

use super::strict_parse::{kind, line_column, Parsed};
use super::{forwards, DevcontainerError, Port};

#[derive(Debug, Clone)]
pub(super) enum EntryEdit {
    /// No entry for the port: a new one with these keys.
    New(u16, Vec<(&'static str, &'static str)>),
    /// An entry exists: these keys are added to it.
    AddKeys(u16, Vec<(&'static str, &'static str)>),
}

#[derive(Debug, Clone)]
pub(super) struct Additions {
    pub(super) ports: Vec<u16>,
    pub(super) has_forward_ports: bool,
    pub(super) has_ports_attributes: bool,
    pub(super) entries: Vec<EntryEdit>,
    pub(super) notes: Vec<String>,
}

impl Additions {
    pub(super) fn is_empty(&self) -> bool {
        self.ports.is_empty() && self.entries.is_empty()
    }

    pub(super) fn changes(&self) -> Vec<String> {
        let mut changes: Vec<String> = self
            .ports
            .iter()
            .map(|p| format!("+ forwardPorts {p}"))
            .collect();
        for edit in &self.entries {
            let (EntryEdit::New(port, keys) | EntryEdit::AddKeys(port, keys)) = edit;
            for (k, v) in keys {
                changes.push(format!("+ portsAttributes.{port}.{k} {}", Value::from(*v)));
            }
        }
        changes
    }

    /// The value the file must have after the edit.
    pub(super) fn expected(&self, top: &Map<String, Value>) -> Value {
        let mut out = top.clone();
        if !self.ports.is_empty() {
            let list = out
                .entry("forwardPorts")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = list {
                items.extend(self.ports.iter().map(|&p| Value::from(p)));
            }
        }
        if !self.entries.is_empty() {
            let attrs = out
                .entry("portsAttributes")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(attrs) = attrs {
                for edit in &self.entries {
                    let (EntryEdit::New(port, keys) | EntryEdit::AddKeys(port, keys)) = edit;
                    let entry = attrs
                        .entry(port.to_string())
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(entry) = entry {
                        for (k, v) in keys {
                            entry.insert((*k).to_string(), Value::from(*v));
                        }
                    }
                }
            }
        }
        Value::Object(out)
    }
}

pub(super) fn additions(
    top: &Map<String, Value>,
    parsed: &Parsed,
    text: &str,
    file: &str,
    wanted_ports: &[Port],
) -> Result<Additions, DevcontainerError> {
    let wrong = |path: &[&str], expected: &'static str, found: &Value| {
        let key: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        let start = parsed.ranges.get(&key).map_or(0, |r| r.start);
        let (line, column) = line_column(text, start);
        DevcontainerError::WrongType {
            file: file.into(),
            key: path.join("."),
            line,
            column,
            expected,
            found: kind(found),
        }
    };
    let forward = match top.get("forwardPorts") {
        None => None,
        Some(Value::Array(items)) => Some(items),
        Some(other) => return Err(wrong(&["forwardPorts"], "an array", other)),
    };
    let attrs = match top.get("portsAttributes") {
        None => None,
        Some(Value::Object(map)) => Some(map),
        Some(other) => return Err(wrong(&["portsAttributes"], "an object", other)),
    };

    let mut notes = Vec::new();
    let mut ports = Vec::new();
    let mut entries = Vec::new();
    for &(port, wanted) in wanted_ports {
        let found = forward
            .into_iter()
            .flatten()
            .find(|item| forwards(item, port));
        match found {
            None => ports.push(port),
            Some(Value::String(s)) if s != &port.to_string() => {
                notes.push(format!("port {port} is already forwarded as {s:?}"));
            }
            Some(_) => {}
        }
        let key = port.to_string();
        match attrs.and_then(|a| a.get(&key)) {
            None => entries.push(EntryEdit::New(port, wanted.to_vec())),
            Some(Value::Object(entry)) => {
                let missing: Vec<_> = wanted
                    .iter()
                    .filter(|(k, _)| !entry.contains_key(*k))
                    .copied()
                    .collect();
                for (k, v) in wanted {
                    if let Some(current) = entry.get(*k) {
                        if current != &Value::from(*v) {
                            notes.push(format!(
                                "portsAttributes.{port}.{k} is {current}: kept (cruddur-obs would write {})",
                                Value::from(*v)
                            ));
                        }
                    }
                }
                if !missing.is_empty() {
                    entries.push(EntryEdit::AddKeys(port, missing));
                }
            }
            Some(other) => {
                return Err(wrong(&["portsAttributes", &key], "an object", other));
            }
        }
    }
    Ok(Additions {
        ports,
        has_forward_ports: forward.is_some(),
        has_ports_attributes: attrs.is_some(),
        entries,
        notes,
    })
}
