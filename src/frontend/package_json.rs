//! `package.json`: the packages added to `"dependencies"`, as text inserted into
//! the file — nothing of it removed or moved.
//!
//! Rules:
//! - The file must be strict JSON (what npm reads) with an object at the top;
//!   `"dependencies"`, when there, an object. A UTF-8 byte order mark is kept.
//! - A package already in `dependencies`, `devDependencies`, `peerDependencies`
//!   or `optionalDependencies` is kept at its version (reported; a note when its
//!   version is not ours: the family installs together only at matching versions).
//! - The others go into `"dependencies"`: in alphabetical place when its names are
//!   sorted (as npm keeps them, so `npm install` rewrites nothing), else at its
//!   start (whole lines added, nothing else touched).
//!   Each entry is written with the file's indentation, `": "` spacing and line
//!   ending; a one-line object stays one line. No `"dependencies"`: one is added
//!   as the top object's last key.
//! - The result is parsed again: it must be the original value plus exactly the
//!   new entries, and hold every character of the original, in order (but the
//!   whitespace inside an empty `{}`, which the entries replace).
//!
//! jsonc-parser gives the byte ranges (its CST would re-indent new entries with
//! its own default and trim blank lines, see `devcontainer/layout.rs`); the
//! insertion itself is a few lines of text here.

use jsonc_parser::ast::{self, ObjectPropName};
use jsonc_parser::{parse_to_ast, CollectOptions, ParseOptions};
use serde_json::Value;

use super::{kind, FrontendError};
use crate::files::line_ending;

/// The dependency sections that count as "already there".
const SECTIONS: [&str; 4] = [
    "dependencies",
    "devDependencies",
    "peerDependencies",
    "optionalDependencies",
];

const BOM: char = '\u{feff}';

/// The planned edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PackagePlan {
    pub new_text: String,
    /// `name@version`, in the order given.
    pub added: Vec<String>,
    /// Packages already there: name, the version written, and the section.
    pub kept: Vec<(String, String, &'static str)>,
    /// Packages there at a version that does not admit the family's (the
    /// tracing module needs the family's API): name, written, wanted. Kept (a
    /// conflict) unless `force`, which writes the family's version instead.
    pub outdated: Vec<(String, String, String)>,
    pub notes: Vec<String>,
}

/// Whether the version range `spec` (as npm reads it) admits the exact version
/// `want`: the same, `^` of the same major (minor and patch not above), `~` of
/// the same minor, `*`, `latest`, `x`. Anything else (an older major, a tag, a
/// URL) does not.
pub(crate) fn admits(spec: &str, want: &str) -> bool {
    let spec = spec.trim();
    let parse = |v: &str| -> Option<(u64, u64, u64)> {
        let mut it = v.split('.').map(|p| p.parse::<u64>().ok());
        Some((it.next()??, it.next()??, it.next()??))
    };
    let Some(w) = parse(want) else {
        return spec == want;
    };
    if matches!(spec, "*" | "latest" | "x" | "") {
        return true;
    }
    if let Some(rest) = spec.strip_prefix('^') {
        return parse(rest)
            .is_some_and(|r| r.0 == w.0 && (r.0 > 0 || r.1 == w.1) && (r.1, r.2) <= (w.1, w.2));
    }
    if let Some(rest) = spec.strip_prefix('~') {
        return parse(rest).is_some_and(|r| (r.0, r.1) == (w.0, w.1) && r.2 <= w.2);
    }
    parse(spec.trim_start_matches('=')).is_some_and(|r| r == w)
}

/// The packages of `wanted` that package.json lists at an exact version which
/// `package-lock.json` (`lock`) does not hold: `npm install` has not run since
/// they were added or changed. One line each: `name: package.json 2.12.0,
/// package-lock.json 1.0.0` (or `not in package-lock.json`). Files that are not
/// JSON give nothing here (their own checks say so).
pub(crate) fn stale_in_lock(package: &str, lock: &str, wanted: &[(&str, &str)]) -> Vec<String> {
    let parse = |t: &str| serde_json::from_str::<Value>(t.trim_start_matches(BOM)).ok();
    let (Some(package), Some(lock)) = (parse(package), parse(lock)) else {
        return Vec::new();
    };
    let exact =
        |v: &str| v.split('.').count() == 3 && v.split('.').all(|p| p.parse::<u32>().is_ok());
    wanted
        .iter()
        .filter_map(|(name, _)| {
            let spec = SECTIONS
                .iter()
                .find_map(|section| package[section][name].as_str())?;
            if !exact(spec) {
                return None;
            }
            // lockfileVersion 2 and 3: "packages"; version 1: "dependencies".
            let locked = lock["packages"][format!("node_modules/{name}")]["version"]
                .as_str()
                .or_else(|| lock["dependencies"][name]["version"].as_str());
            match locked {
                Some(v) if v == spec => None,
                Some(v) => Some(format!(
                    "{name}: package.json {spec}, package-lock.json {v}"
                )),
                None => Some(format!("{name}: not in package-lock.json")),
            }
        })
        .collect()
}

/// Plans adding `wanted` (name, exact version) to `text`, the file `file`.
pub(crate) fn plan_package_json(
    text: &str,
    file: &str,
    wanted: &[(&str, &str)],
    force: bool,
) -> Result<PackagePlan, FrontendError> {
    let (bom, body) = match text.strip_prefix(BOM) {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let before: Value = serde_json::from_str(body).map_err(|e| FrontendError::Json {
        file: file.into(),
        line: e.line(),
        column: e.column(),
        message: e
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .into(),
    })?;
    let top = before.as_object().ok_or(FrontendError::NotAnObject {
        file: file.into(),
        what: "the file",
        found: kind(&before),
    })?;
    for section in SECTIONS {
        match top.get(section) {
            None | Some(Value::Object(_)) => {}
            Some(other) => {
                return Err(FrontendError::NotAnObject {
                    file: file.into(),
                    what: section,
                    found: kind(other),
                })
            }
        }
    }
    let mut kept = Vec::new();
    let mut outdated = Vec::new();
    let mut notes = Vec::new();
    let mut missing = Vec::new();
    for &(name, version) in wanted {
        let found = SECTIONS.iter().find_map(|section| {
            top.get(*section)
                .and_then(|s| s.get(name))
                .map(|v| (*section, v))
        });
        match found {
            Some((section, written)) => {
                let written = written
                    .as_str()
                    .map_or_else(|| written.to_string(), str::to_string);
                if !admits(&written, version) {
                    outdated.push((name.to_string(), written.clone(), version.to_string()));
                } else if written != version {
                    notes.push(format!(
                        "{file}: {name} is kept at {written:?} ({section}), which admits \
                         the family's {version}"
                    ));
                }
                kept.push((name.to_string(), written, section));
            }
            None => missing.push((name, version)),
        }
    }
    let verify = |message: &str| FrontendError::Verify {
        file: file.into(),
        message: message.into(),
    };
    // --force: the outdated versions replaced (their string values only).
    let mut before = before;
    let replaced = if force && !outdated.is_empty() {
        let out = replace_versions(body, &outdated)
            .ok_or_else(|| verify("a version to replace is not a plain string"))?;
        for (name, _, version) in &outdated {
            for section in SECTIONS {
                if let Some(v) = before
                    .get_mut(section)
                    .and_then(|s| s.get_mut(name.as_str()))
                {
                    *v = Value::String(version.clone());
                }
            }
        }
        let after: Value = serde_json::from_str(&out)
            .map_err(|e| verify(&format!("the result does not parse: {e}")))?;
        if after != before {
            return Err(verify("replacing the versions changed something else"));
        }
        Some(out)
    } else {
        None
    };
    let body = replaced.as_deref().unwrap_or(body);
    if missing.is_empty() {
        let mut new_text = String::new();
        if bom && replaced.is_some() {
            new_text.push(BOM);
        }
        new_text.push_str(replaced.as_deref().unwrap_or(text));
        return Ok(PackagePlan {
            new_text,
            added: Vec::new(),
            kept,
            outdated,
            notes,
        });
    }
    let edited = insert(body, &missing)
        .ok_or_else(|| verify("the file's layout is not one the editor knows"))?;

    // The check: exactly the new entries, and every original character kept.
    let after: Value = serde_json::from_str(&edited)
        .map_err(|e| verify(&format!("the result does not parse: {e}")))?;
    let mut expected = before.clone();
    if let Some(top) = expected.as_object_mut() {
        let deps = top
            .entry("dependencies")
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if let Some(deps) = deps.as_object_mut() {
            for (name, version) in &missing {
                deps.insert((*name).to_string(), Value::String((*version).to_string()));
            }
        }
    }
    if after != expected {
        return Err(verify(
            "the result is not the original plus the new entries",
        ));
    }
    if !is_subsequence(body, &edited) {
        return Err(verify("the result does not keep all of the original text"));
    }
    let mut new_text = String::with_capacity(edited.len() + 3);
    if bom {
        new_text.push(BOM);
    }
    new_text.push_str(&edited);
    Ok(PackagePlan {
        new_text,
        added: missing.iter().map(|(n, v)| format!("{n}@{v}")).collect(),
        kept,
        outdated,
        notes,
    })
}

/// `body` with the string value of each `outdated` package (in any section)
/// replaced by the wanted version; `None` when one is not a plain string.
fn replace_versions(body: &str, outdated: &[(String, String, String)]) -> Option<String> {
    let parsed = parse_to_ast(body, &CollectOptions::default(), &ParseOptions::default()).ok()?;
    let ast::Value::Object(top) = parsed.value? else {
        return None;
    };
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for p in &top.properties {
        let section = match &p.name {
            ObjectPropName::String(s) => s.value.as_ref(),
            ObjectPropName::Word(w) => w.value,
        };
        let (true, ast::Value::Object(deps)) = (SECTIONS.contains(&section), &p.value) else {
            continue;
        };
        for dep in &deps.properties {
            let name = match &dep.name {
                ObjectPropName::String(s) => s.value.as_ref(),
                ObjectPropName::Word(w) => w.value,
            };
            let Some((_, _, version)) = outdated.iter().find(|(n, _, _)| n == name) else {
                continue;
            };
            let ast::Value::StringLit(lit) = &dep.value else {
                return None;
            };
            // Inside the quotes, whatever quote the file uses.
            edits.push((lit.range.start + 1, lit.range.end - 1, version.clone()));
        }
    }
    let mut out = body.to_string();
    edits.sort_by_key(|(start, _, _)| std::cmp::Reverse(*start));
    for (start, end, text) in edits {
        out.replace_range(start..end, &text);
    }
    Some(out)
}

/// One property: its name and byte range (name to end of value).
struct Prop<'a> {
    name: &'a str,
    start: usize,
    end: usize,
    /// Where its value starts (for the `": "` spacing).
    value_start: usize,
    name_end: usize,
}

fn props<'b>(object: &'b ast::Object<'_>) -> Vec<Prop<'b>> {
    object
        .properties
        .iter()
        .map(|p| {
            let (name, name_end) = match &p.name {
                ObjectPropName::String(s) => (s.value.as_ref(), s.range.end),
                ObjectPropName::Word(w) => (w.value, w.range.end),
            };
            Prop {
                name,
                start: p.range.start,
                end: p.range.end,
                value_start: value_start(&p.value),
                name_end,
            }
        })
        .collect()
}

fn value_start(value: &ast::Value) -> usize {
    match value {
        ast::Value::StringLit(v) => v.range.start,
        ast::Value::NumberLit(v) => v.range.start,
        ast::Value::BooleanLit(v) => v.range.start,
        ast::Value::NullKeyword(v) => v.range.start,
        ast::Value::Array(v) => v.range.start,
        ast::Value::Object(v) => v.range.start,
    }
}

/// The whitespace before `offset` on its line, when only whitespace is there.
fn indent_before(text: &str, offset: usize) -> Option<&str> {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let indent = &text[line_start..offset];
    indent
        .chars()
        .all(|c| c == ' ' || c == '\t')
        .then_some(indent)
        .filter(|_| line_start > 0)
}

/// The text with `missing` added; `None` for a layout not handled.
fn insert(body: &str, missing: &[(&str, &str)]) -> Option<String> {
    let eol = line_ending(body);
    let parsed = parse_to_ast(body, &CollectOptions::default(), &ParseOptions::default()).ok()?;
    let ast::Value::Object(top) = parsed.value? else {
        return None;
    };
    let top_props = props(&top);
    // The file's step of indentation: its first key's; two spaces (npm's) else.
    let unit = top_props
        .first()
        .and_then(|p| indent_before(body, p.start))
        .filter(|i| !i.is_empty())
        .unwrap_or("  ")
        .to_string();
    let colon = top_props
        .first()
        .map(|p| &body[p.name_end..p.value_start])
        .filter(|c| c.trim() == ":")
        .unwrap_or(": ")
        .to_string();
    let entry = |(name, version): &(&str, &str)| {
        let name = serde_json::to_string(name).unwrap_or_default();
        let version = serde_json::to_string(version).unwrap_or_default();
        format!("{name}{colon}{version}")
    };
    let deps_prop = top
        .properties
        .iter()
        .find(|p| matches!(&p.name, ObjectPropName::String(s) if s.value == "dependencies"));
    let mut out = body.to_string();
    match deps_prop {
        Some(prop) => {
            let ast::Value::Object(deps) = &prop.value else {
                return None;
            };
            let existing = props(deps);
            if existing.is_empty() {
                // `{}`: the entries one a line, one step in from the key.
                let outer = indent_before(body, prop.range.start);
                let new = match outer {
                    Some(outer) => {
                        let inner = format!("{outer}{unit}");
                        let lines: Vec<String> = missing
                            .iter()
                            .map(|m| format!("{inner}{}", entry(m)))
                            .collect();
                        format!("{{{eol}{}{eol}{outer}}}", lines.join(&format!(",{eol}")))
                    }
                    None => {
                        let items: Vec<String> = missing.iter().map(entry).collect();
                        format!("{{ {} }}", items.join(", "))
                    }
                };
                // Only whitespace is inside an empty object: it is replaced.
                out.replace_range(deps.range.start..deps.range.end, &new);
                return Some(out);
            }
            let first = &existing[0];
            let multiline = body[deps.range.start..first.start].contains('\n');
            let indent = if multiline {
                indent_before(body, first.start)?.to_string()
            } else {
                String::new()
            };
            let sep = if multiline {
                format!(",{eol}{indent}")
            } else {
                ", ".to_string()
            };
            let sorted = existing.windows(2).all(|w| w[0].name <= w[1].name);
            // (offset, text) insertions, applied from the end.
            let mut inserts: Vec<(usize, String)> = Vec::new();
            let mut tail = String::new();
            for m in missing {
                let before = if sorted {
                    existing.iter().find(|p| p.name > m.0)
                } else {
                    Some(first)
                };
                match before {
                    Some(p) => match inserts.iter_mut().find(|(at, _)| *at == p.start) {
                        Some((_, text)) => text.push_str(&format!("{}{sep}", entry(m))),
                        None => inserts.push((p.start, format!("{}{sep}", entry(m)))),
                    },
                    None => tail.push_str(&format!("{sep}{}", entry(m))),
                }
            }
            if !tail.is_empty() {
                inserts.push((existing.last()?.end, tail));
            }
            inserts.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
            for (at, text) in inserts {
                out.insert_str(at, &text);
            }
            Some(out)
        }
        None => {
            let last = top_props.last();
            let multiline = match last {
                Some(p) => body[top.range.start..p.start].contains('\n'),
                None => body[top.range.start..top.range.end].contains('\n'),
            };
            let value = if multiline {
                let lines: Vec<String> = missing
                    .iter()
                    .map(|m| format!("{unit}{unit}{}", entry(m)))
                    .collect();
                format!("{{{eol}{}{eol}{unit}}}", lines.join(&format!(",{eol}")))
            } else {
                let items: Vec<String> = missing.iter().map(entry).collect();
                format!("{{ {} }}", items.join(", "))
            };
            let key = format!("\"dependencies\"{colon}{value}");
            match last {
                Some(p) if multiline => out.insert_str(p.end, &format!(",{eol}{unit}{key}")),
                Some(p) => out.insert_str(p.end, &format!(", {key}")),
                None if multiline => {
                    out.replace_range(
                        top.range.start..top.range.end,
                        &format!("{{{eol}{unit}{key}{eol}}}"),
                    );
                }
                None => out.replace_range(top.range.start..top.range.end, &format!("{{ {key} }}")),
            }
            Some(out)
        }
    }
}

/// Whether every character of `old` is in `new`, in order — except the
/// whitespace inside an empty object, which the entries replace.
fn is_subsequence(old: &str, new: &str) -> bool {
    let mut rest = new.chars();
    old.chars()
        .filter(|c| !c.is_whitespace())
        .all(|c| rest.by_ref().any(|n| n == c))
}

#[cfg(test)]
#[path = "package_json_tests.rs"]
mod tests;
