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
//! [`VISIBILITY_HINT`].

use std::collections::HashMap;

use jsonc_parser::ast::{self, ObjectPropName};
use jsonc_parser::common::Range;
use jsonc_parser::cst::{CstInputValue, CstRootNode};
use jsonc_parser::tokens::Token;
use jsonc_parser::{parse_to_ast, CollectOptions, CommentCollectionStrategy, ParseOptions};
use serde_json::{Map, Number, Value};
use similar::{capture_diff_slices, Algorithm, DiffOp};

/// The ports the app needs, and the attributes each gets in `portsAttributes`.
pub const PORTS: &[(u16, &[(&str, &str)])] = &[
    (
        3000,
        &[("label", "frontend"), ("onAutoForward", "openBrowser")],
    ),
    (4567, &[("label", "backend")]),
];

/// What to tell the user about port visibility, which devcontainer.json cannot set.
pub(crate) const VISIBILITY_HINT: &str = "port visibility is not part of devcontainer.json: \
     make the backend reachable from the browser with \
     `gh codespace ports visibility 4567:public -c $CODESPACE_NAME` \
     (or in the Ports tab: Port Visibility > Public)";

/// Indentation for a file that shows none (an empty or one-line object, a new file).
const DEFAULT_INDENT: &str = "\t";
/// What the CST indents with when it cannot tell the file's indentation.
const CST_DEFAULT_INDENT: &str = "  ";
const BOM: char = '\u{feff}';

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevcontainerPlan {
    /// The file's new text (the original, unchanged, when `changes` is empty).
    pub new_text: String,
    /// One line per addition: `+ forwardPorts 3000`,
    /// `+ portsAttributes.3000.label "frontend"`.
    pub changes: Vec<String>,
    pub notes: Vec<String>,
}

/// Where one of our ports stands in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortStatus {
    pub port: u16,
    /// Listed in `forwardPorts` (see the module docs for what counts).
    pub forwarded: bool,
    /// `portsAttributes.PORT.label`, if it is a string.
    pub label: Option<String>,
    /// Every attribute we would write is there (with any value).
    pub attributes_complete: bool,
}

/// What `status` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevcontainerStatus {
    pub exists: bool,
    pub ports: Vec<PortStatus>,
    /// `plan` would change nothing.
    pub in_sync: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DevcontainerError {
    #[error("{file} is not valid JSONC: {message} (line {line}, column {column})")]
    Parse {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: key {key:?} appears twice (line {line}, column {column}; first on line {first_line})")]
    DuplicateKey {
        file: String,
        line: usize,
        column: usize,
        key: String,
        first_line: usize,
    },
    #[error("{file}: the top level is {found}, not an object (line {line}, column {column})")]
    NotAnObject {
        file: String,
        line: usize,
        column: usize,
        found: &'static str,
    },
    #[error("{file}: `{key}` is {found}, expected {expected} (line {line}, column {column})")]
    WrongType {
        file: String,
        key: String,
        line: usize,
        column: usize,
        expected: &'static str,
        found: &'static str,
    },
    #[error("{file}: the edit would change more than the intended keys ({message}); nothing was written")]
    Verify { file: String, message: String },
}

impl DevcontainerError {
    /// Whether the file itself is at fault (as opposed to a bug in the edit).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, DevcontainerError::Verify { .. })
    }

    pub fn help(&self) -> Option<String> {
        Some(match self {
            DevcontainerError::Parse { .. } => {
                "fix the file (VS Code's editor underlines the same problem) and run again".into()
            }
            DevcontainerError::DuplicateKey { key, .. } => {
                format!("keep one of the {key:?} keys: tools disagree on which one wins")
            }
            DevcontainerError::NotAnObject { found, .. } => {
                if *found == "empty" {
                    "write `{}` in it, or delete it to have it created".into()
                } else {
                    "a devcontainer.json is one JSON object: `{ \"name\": ... }`".into()
                }
            }
            DevcontainerError::WrongType { key, expected, .. } => format!(
                "make `{key}` {expected} as the dev container spec says (https://containers.dev/implementors/json_reference/), or add the ports by hand"
            ),
            DevcontainerError::Verify { .. } => {
                "please report this with the file; add the ports by hand meanwhile".into()
            }
        })
    }
}

/// Plans the edit of devcontainer.json (`None`: the file does not exist yet, and a
/// minimal one is created). On any error nothing is produced.
pub fn plan(text: Option<&str>, file: &str) -> Result<DevcontainerPlan, DevcontainerError> {
    let (bom, base) = match text {
        Some(t) => match t.strip_prefix(BOM) {
            Some(rest) => (true, rest),
            None => (false, t),
        },
        None => (false, "{}\n"),
    };
    let before = parse_strict(base, file)?;
    let top = top_object(&before, base, file)?;
    let additions = additions(top, &before, base, file)?;
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
    notes.push(VISIBILITY_HINT.to_string());

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

/// Where ports 3000 and 4567 stand (`None`: the file does not exist).
pub fn check(text: Option<&str>, file: &str) -> Result<DevcontainerStatus, DevcontainerError> {
    let empty = Map::new();
    let parsed;
    let top = match text {
        None => &empty,
        Some(t) => {
            let base = t.strip_prefix(BOM).unwrap_or(t);
            parsed = parse_strict(base, file)?;
            let top = top_object(&parsed, base, file)?;
            // Refuses what `plan` refuses.
            additions(top, &parsed, base, file)?;
            top
        }
    };
    let forward = top
        .get("forwardPorts")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let attrs = top.get("portsAttributes").and_then(Value::as_object);
    let ports: Vec<PortStatus> = PORTS
        .iter()
        .map(|&(port, wanted)| {
            let entry = attrs
                .and_then(|a| a.get(&port.to_string()))
                .and_then(Value::as_object);
            PortStatus {
                port,
                forwarded: forward.iter().any(|v| forwards(v, port)),
                label: entry
                    .and_then(|e| e.get("label"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                attributes_complete: entry
                    .is_some_and(|e| wanted.iter().all(|(k, _)| e.contains_key(*k))),
            }
        })
        .collect();
    let in_sync = text.is_some() && ports.iter().all(|p| p.forwarded && p.attributes_complete);
    Ok(DevcontainerStatus {
        exists: text.is_some(),
        ports,
        in_sync,
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

// ---------------------------------------------------------------------------
// Strict parse

fn parse_options() -> ParseOptions {
    ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// The parsed file.
struct Parsed {
    value: Option<Value>,
    /// Where the values reached by keys alone start and end (byte offsets), by path
    /// of keys, down to `portsAttributes.PORT.KEY`.
    ranges: HashMap<Vec<String>, Range>,
    /// Every comment, as written, in order.
    comments: Vec<String>,
}

fn parse_strict(text: &str, file: &str) -> Result<Parsed, DevcontainerError> {
    let result = parse_to_ast(
        text,
        &CollectOptions {
            comments: CommentCollectionStrategy::AsTokens,
            tokens: true,
        },
        &parse_options(),
    )
    .map_err(|e| DevcontainerError::Parse {
        file: file.into(),
        line: e.line_display(),
        column: e.column_display(),
        message: e.kind().to_string(),
    })?;
    let mut ranges = HashMap::new();
    let value = match &result.value {
        Some(v) => Some(convert(v, text, file, Some(&mut Vec::new()), &mut ranges)?),
        None => None,
    };
    let comments = result
        .tokens
        .iter()
        .flatten()
        .filter(|t| matches!(t.token, Token::CommentLine(_) | Token::CommentBlock(_)))
        .map(|t| {
            text.get(t.range.start..t.range.end)
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    Ok(Parsed {
        value,
        ranges,
        comments,
    })
}

/// Converts the AST to a value, refusing duplicate keys. Records where the values
/// reached by keys alone (`path`: `None` inside arrays) start, down to depth 3
/// (`portsAttributes.PORT.KEY`).
fn convert(
    value: &ast::Value,
    text: &str,
    file: &str,
    mut path: Option<&mut Vec<String>>,
    ranges: &mut HashMap<Vec<String>, Range>,
) -> Result<Value, DevcontainerError> {
    if let Some(path) = path.as_deref() {
        if path.len() <= 3 {
            ranges.insert(path.clone(), value_range(value));
        }
    }
    Ok(match value {
        ast::Value::StringLit(s) => Value::String(s.value.to_string()),
        ast::Value::NumberLit(n) => Value::Number(n.value.parse::<Number>().map_err(|_| {
            let (line, column) = line_column(text, n.range.start);
            DevcontainerError::Parse {
                file: file.into(),
                line,
                column,
                message: format!("the number {} is out of range", n.value),
            }
        })?),
        ast::Value::BooleanLit(b) => Value::Bool(b.value),
        ast::Value::NullKeyword(_) => Value::Null,
        ast::Value::Array(a) => {
            let mut items = Vec::with_capacity(a.elements.len());
            for element in &a.elements {
                items.push(convert(element, text, file, None, ranges)?);
            }
            Value::Array(items)
        }
        ast::Value::Object(o) => {
            let mut map = Map::new();
            let mut seen: HashMap<&str, usize> = HashMap::new();
            for prop in &o.properties {
                let (name, start) = match &prop.name {
                    ObjectPropName::String(s) => (s.value.as_ref(), s.range.start),
                    ObjectPropName::Word(w) => (w.value, w.range.start),
                };
                if let Some(&first) = seen.get(name) {
                    let (line, column) = line_column(text, start);
                    return Err(DevcontainerError::DuplicateKey {
                        file: file.into(),
                        line,
                        column,
                        key: name.to_string(),
                        first_line: line_column(text, first).0,
                    });
                }
                seen.insert(name, start);
                let item = match path.as_deref_mut() {
                    Some(path) => {
                        path.push(name.to_string());
                        let item = convert(&prop.value, text, file, Some(&mut *path), ranges);
                        path.pop();
                        item
                    }
                    None => convert(&prop.value, text, file, None, ranges),
                };
                map.insert(name.to_string(), item?);
            }
            Value::Object(map)
        }
    })
}

fn value_range(value: &ast::Value) -> Range {
    match value {
        ast::Value::StringLit(v) => v.range,
        ast::Value::NumberLit(v) => v.range,
        ast::Value::BooleanLit(v) => v.range,
        ast::Value::NullKeyword(v) => v.range,
        ast::Value::Array(v) => v.range,
        ast::Value::Object(v) => v.range,
    }
}

/// 1-based line and column (in characters) of a byte offset, counting line breaks
/// as jsonc-parser does (CRLF, LF, or a lone CR).
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let (mut line, mut column) = (1, 1);
    let bytes = text.as_bytes();
    for (i, c) in text.get(..offset).unwrap_or(text).char_indices() {
        if c == '\n' || (c == '\r' && bytes.get(i + 1) != Some(&b'\n')) {
            line += 1;
            column = 1;
        } else if c != '\r' {
            column += 1;
        }
    }
    (line, column)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn top_object<'a>(
    parsed: &'a Parsed,
    text: &str,
    file: &str,
) -> Result<&'a Map<String, Value>, DevcontainerError> {
    match &parsed.value {
        Some(Value::Object(map)) => Ok(map),
        other => {
            let start = parsed.ranges.get(&Vec::new()).map_or(0, |r| r.start);
            let (line, column) = line_column(text, start);
            Err(DevcontainerError::NotAnObject {
                file: file.into(),
                line,
                column,
                found: other.as_ref().map(kind).unwrap_or("empty"),
            })
        }
    }
}

// ---------------------------------------------------------------------------
// What to add

#[derive(Debug, Clone)]
enum EntryEdit {
    /// No entry for the port: a new one with these keys.
    New(u16, Vec<(&'static str, &'static str)>),
    /// An entry exists: these keys are added to it.
    AddKeys(u16, Vec<(&'static str, &'static str)>),
}

#[derive(Debug, Clone)]
struct Additions {
    ports: Vec<u16>,
    has_forward_ports: bool,
    has_ports_attributes: bool,
    entries: Vec<EntryEdit>,
    notes: Vec<String>,
}

impl Additions {
    fn is_empty(&self) -> bool {
        self.ports.is_empty() && self.entries.is_empty()
    }

    fn changes(&self) -> Vec<String> {
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
    fn expected(&self, top: &Map<String, Value>) -> Value {
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

fn additions(
    top: &Map<String, Value>,
    parsed: &Parsed,
    text: &str,
    file: &str,
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
    for &(port, wanted) in PORTS {
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

// ---------------------------------------------------------------------------
// The edit

fn string_object(keys: &[(&str, &str)]) -> CstInputValue {
    CstInputValue::Object(
        keys.iter()
            .map(|(k, v)| ((*k).to_string(), CstInputValue::String((*v).to_string())))
            .collect(),
    )
}

/// Applies the additions with jsonc-parser's CST. Returns the new text and the
/// indentation the CST could see in the file (`None`: it indented with its default).
fn edit_cst(text: &str, add: &Additions) -> Option<(String, Option<String>)> {
    // The root must outlive every node taken from it (the CST's parents are weak).
    let root = CstRootNode::parse(text, &parse_options()).ok()?;
    let cst_indent = root.single_indent_text().filter(|i| !i.is_empty());
    let top = root.object_value()?;
    if !add.ports.is_empty() {
        let numbers = || {
            add.ports
                .iter()
                .map(|p| CstInputValue::Number(p.to_string()))
        };
        if add.has_forward_ports {
            let list = top.array_value("forwardPorts")?;
            for n in numbers() {
                list.append(n);
            }
        } else {
            top.append("forwardPorts", CstInputValue::Array(numbers().collect()));
        }
    }
    if !add.entries.is_empty() {
        if add.has_ports_attributes {
            let attrs = top.object_value("portsAttributes")?;
            for edit in &add.entries {
                match edit {
                    EntryEdit::New(port, keys) => {
                        attrs.append(&port.to_string(), string_object(keys));
                    }
                    EntryEdit::AddKeys(port, keys) => {
                        let entry = attrs.object_value(&port.to_string())?;
                        for (k, v) in keys {
                            entry.append(k, CstInputValue::String((*v).to_string()));
                        }
                    }
                }
            }
        } else {
            let entries = add
                .entries
                .iter()
                .map(|edit| {
                    let (EntryEdit::New(port, keys) | EntryEdit::AddKeys(port, keys)) = edit;
                    (port.to_string(), string_object(keys))
                })
                .collect();
            top.append("portsAttributes", CstInputValue::Object(entries));
        }
    }
    Some((root.to_string(), cst_indent))
}

/// The file's indentation unit: what the CST saw, else the first indented line's
/// leading whitespace, else a tab.
fn indent_unit(cst_indent: Option<&str>, text: &str) -> String {
    if let Some(unit) = cst_indent {
        return unit.to_string();
    }
    text.split('\n')
        .map(|line| line.trim_end_matches('\r'))
        .find_map(|line| {
            let rest = line.trim_start_matches([' ', '\t']);
            let indent = &line[..line.len() - rest.len()];
            (!indent.is_empty() && !rest.is_empty()).then(|| indent.to_string())
        })
        .unwrap_or_else(|| DEFAULT_INDENT.to_string())
}

/// The paths of the existing containers the edit inserts into.
fn edited_containers(add: &Additions) -> Vec<Vec<String>> {
    let mut paths = vec![Vec::new()];
    if !add.ports.is_empty() && add.has_forward_ports {
        paths.push(vec!["forwardPorts".to_string()]);
    }
    if add.has_ports_attributes && !add.entries.is_empty() {
        paths.push(vec!["portsAttributes".to_string()]);
    }
    for edit in &add.entries {
        if let EntryEdit::AddKeys(port, _) = edit {
            paths.push(vec!["portsAttributes".to_string(), port.to_string()]);
        }
    }
    paths
}

/// What the CST removes from a container it inserts into: the blank lines after the
/// first line break inside the opening bracket (`lead`), and those before the line
/// of the closing bracket (`tail`), as text (mirrors jsonc-parser's
/// `trim_inner_start_and_end_blanklines`).
fn trimmed_blank_lines(inner: &str) -> (String, String) {
    #[derive(PartialEq)]
    enum Piece {
        Space,
        Newline,
        Other,
    }
    // (piece, start, end) over the inner text.
    let mut pieces = Vec::new();
    let bytes = inner.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let (piece, len) = match bytes[i] {
            b' ' | b'\t' => (
                Piece::Space,
                bytes[i..]
                    .iter()
                    .take_while(|b| **b == b' ' || **b == b'\t')
                    .count(),
            ),
            b'\n' => (Piece::Newline, 1),
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => (Piece::Newline, 2),
            _ => (Piece::Other, 1),
        };
        pieces.push((piece, i, i + len));
        i += len;
    }

    // From the front: spaces, a line break, then (spaces, line break)* are removed.
    let mut lead = String::new();
    let mut consumed = pieces.len();
    let mut idx = 0;
    while idx < pieces.len() && pieces[idx].0 == Piece::Space {
        idx += 1;
    }
    if idx < pieces.len() && pieces[idx].0 == Piece::Newline {
        idx += 1;
        let removed_from = pieces.get(idx).map_or(inner.len(), |p| p.1);
        let mut removed_to = removed_from;
        let mut j = idx;
        loop {
            let mut k = j;
            while k < pieces.len() && pieces[k].0 == Piece::Space {
                k += 1;
            }
            match pieces.get(k) {
                Some((Piece::Newline, _, end)) => {
                    removed_to = *end;
                    j = k + 1;
                }
                Some(_) => {
                    // The first piece that is not a blank line ends the front pass.
                    consumed = k + 1;
                    break;
                }
                None => break,
            }
        }
        lead = inner
            .get(removed_from..removed_to)
            .unwrap_or_default()
            .to_string();
    } else if idx < pieces.len() {
        consumed = idx + 1;
    }

    // From the back, over what the front pass left: the same, mirrored.
    let rest = &pieces[consumed.min(pieces.len())..];
    let mut tail = String::new();
    let mut idx = rest.len();
    while idx > 0 && rest[idx - 1].0 == Piece::Space {
        idx -= 1;
    }
    if idx > 0 && rest[idx - 1].0 == Piece::Newline {
        idx -= 1;
        let removed_to = rest[idx].1;
        let mut removed_from = removed_to;
        let mut j = idx;
        loop {
            let mut k = j;
            while k > 0 && rest[k - 1].0 == Piece::Space {
                k -= 1;
            }
            if k > 0 && rest[k - 1].0 == Piece::Newline {
                removed_from = rest[k - 1].1;
                j = k - 1;
            } else {
                break;
            }
        }
        tail = inner
            .get(removed_from..removed_to)
            .unwrap_or_default()
            .to_string();
    }
    (lead, tail)
}

/// Puts back the blank lines the CST removed from the containers it inserted into:
/// `lead` after the first line break inside the opening bracket, `tail` before the
/// line break that starts the closing bracket's line.
fn restore_trimmed(
    old: &str,
    before: &Parsed,
    edited: &str,
    after: &Parsed,
    add: &Additions,
) -> String {
    let mut inserts: Vec<(usize, String)> = Vec::new();
    for path in edited_containers(add) {
        let (Some(old_range), Some(new_range)) =
            (before.ranges.get(&path), after.ranges.get(&path))
        else {
            continue;
        };
        let (Some(old_inner), Some(new_inner)) = (
            old.get(old_range.start + 1..old_range.end.saturating_sub(1)),
            edited.get(new_range.start + 1..new_range.end.saturating_sub(1)),
        ) else {
            continue;
        };
        let (lead, tail) = trimmed_blank_lines(old_inner);
        let base = new_range.start + 1;
        if !lead.is_empty() {
            let spaces = new_inner.len() - new_inner.trim_start_matches([' ', '\t']).len();
            let after_spaces = &new_inner[spaces..];
            let newline = if after_spaces.starts_with("\r\n") {
                2
            } else if after_spaces.starts_with('\n') {
                1
            } else {
                0
            };
            if newline > 0 {
                inserts.push((base + spaces + newline, lead));
            }
        }
        if !tail.is_empty() {
            let without_indent = new_inner.trim_end_matches([' ', '\t']);
            let newline_start = if without_indent.ends_with("\r\n") {
                Some(without_indent.len() - 2)
            } else if without_indent.ends_with('\n') {
                Some(without_indent.len() - 1)
            } else {
                None
            };
            if let Some(at) = newline_start {
                inserts.push((base + at, tail));
            }
        }
    }
    inserts.sort_by_key(|insert| std::cmp::Reverse(insert.0));
    let mut out = edited.to_string();
    for (at, text) in inserts {
        if out.is_char_boundary(at) {
            out.insert_str(at, &text);
        }
    }
    out
}

/// Splits text for diffing: a line break with the indentation after it, a run of
/// spaces and tabs, or one other character.
fn diff_tokens(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = if rest.starts_with('\n') || rest.starts_with("\r\n") {
            let nl = if c == '\n' { 1 } else { 2 };
            nl + rest[nl..].len() - rest[nl..].trim_start_matches([' ', '\t']).len()
        } else if c == ' ' || c == '\t' {
            rest.len() - rest.trim_start_matches([' ', '\t']).len()
        } else {
            c.len_utf8()
        };
        tokens.push(&rest[..len]);
        rest = &rest[len..];
    }
    tokens
}

/// Re-indents the lines the edit inserted whose indentation is `from` repeated,
/// with `to` repeated as often. What was in `old` is never touched.
fn reindent_inserted(old: &str, new: &str, from: &str, to: &str) -> String {
    let old_tokens = diff_tokens(old);
    let new_tokens = diff_tokens(new);
    let mut inserted = vec![false; new_tokens.len()];
    for op in capture_diff_slices(Algorithm::Myers, &old_tokens, &new_tokens) {
        match op {
            DiffOp::Insert {
                new_index, new_len, ..
            }
            | DiffOp::Replace {
                new_index, new_len, ..
            } => inserted[new_index..new_index + new_len].fill(true),
            DiffOp::Equal { .. } | DiffOp::Delete { .. } => {}
        }
    }
    let mut out = String::with_capacity(new.len());
    for (i, token) in new_tokens.iter().enumerate() {
        let indent = token.trim_start_matches(['\r', '\n']);
        let newline = &token[..token.len() - indent.len()];
        let blank_line = new_tokens
            .get(i + 1)
            .is_none_or(|next| next.starts_with(['\r', '\n']));
        let depth = indent.len() / from.len();
        if inserted[i]
            && !newline.is_empty()
            && !indent.is_empty()
            && !blank_line
            && indent == from.repeat(depth)
        {
            out.push_str(newline);
            out.push_str(&to.repeat(depth));
        } else {
            out.push_str(token);
        }
    }
    out
}

/// Whether every character of `old` but spaces and tabs appears in `new`, in order
/// (spaces inside a one-line object that is made multi-line may go).
fn is_subsequence(old: &str, new: &str) -> bool {
    let mut new_chars = new.chars().filter(|c| *c != ' ' && *c != '\t');
    old.chars()
        .filter(|c| *c != ' ' && *c != '\t')
        .all(|c| new_chars.any(|n| n == c))
}

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
    fn line_and_column_count_characters_and_crlf() {
        let text = "{\r\n\t\"é\": 1,\r\n\t\"b\"";
        assert_eq!(line_column(text, 0), (1, 1));
        let b = text.find("\"b\"").unwrap();
        assert_eq!(line_column(text, b), (3, 2));
        let one = text.find('1').unwrap();
        assert_eq!(line_column(text, one), (2, 7));
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
    fn trimmed_blank_lines_mirror_the_cst() {
        assert_eq!(
            trimmed_blank_lines("\n\n\t\n\t\"a\": 1\n"),
            ("\n\t\n".to_string(), String::new())
        );
        assert_eq!(
            trimmed_blank_lines("\n\n\t\"a\": 1\n\t\n\n"),
            ("\n".to_string(), "\n\t\n".to_string())
        );
        assert_eq!(
            trimmed_blank_lines(" // c\n\n\t1\n"),
            (String::new(), String::new())
        );
        assert_eq!(
            trimmed_blank_lines("\r\n\r\n\t1\r\n\r\n"),
            ("\r\n".to_string(), "\r\n".to_string())
        );
        assert_eq!(
            trimmed_blank_lines("\n\n\n"),
            ("\n\n".to_string(), String::new())
        );
        assert_eq!(trimmed_blank_lines(""), (String::new(), String::new()));
    }

    #[test]
    fn reindent_touches_only_inserted_indentation() {
        let old = "{\n\"a\": {\n    \"b\": 1}}";
        let new = "{\n\"a\": {\n    \"b\": 1},\n  \"c\": [\n    2\n  ]}";
        assert_eq!(
            reindent_inserted(old, new, "  ", "\t"),
            "{\n\"a\": {\n    \"b\": 1},\n\t\"c\": [\n\t\t2\n\t]}"
        );
    }

    #[test]
    fn check_reports_ports() {
        let s = check(
            Some(r#"{"forwardPorts": [3000], "portsAttributes": {"3000": {"label": "web"}}}"#),
            "d",
        )
        .unwrap();
        assert!(s.exists && !s.in_sync);
        assert_eq!(
            s.ports[0],
            PortStatus {
                port: 3000,
                forwarded: true,
                label: Some("web".into()),
                attributes_complete: false
            }
        );
        assert!(!s.ports[1].forwarded && s.ports[1].label.is_none());
        let none = check(None, "d").unwrap();
        assert!(!none.exists && !none.in_sync);
        let done = plan(None, "d").unwrap().new_text;
        assert!(check(Some(&done), "d").unwrap().in_sync);
        assert!(check(Some("[]"), "d").is_err());
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
