//! The backend's flask-cors call, made to allow the trace headers the browser
//! now sends (`traceparent`, `tracestate`): otherwise the preflight fails and
//! every traced `fetch` to the backend is refused.
//!
//! flask-cors reads a *string* `allow_headers` as ONE regular expression: the
//! course's `allow_headers="content-type,if-modified-since"` matches no header
//! at all. So:
//! - a string of plain header names → rewritten (that argument only) as a list
//!   of those names, split on commas and trimmed, plus the trace headers:
//!   `allow_headers=["content-type", "if-modified-since", "traceparent", "tracestate"]`;
//! - a list or tuple of strings → the missing trace headers appended after its
//!   last item, in its quotes;
//! - `"*"` (or a list holding it), or no `allow_headers` at all (flask-cors then
//!   allows every header) → nothing to do;
//! - anything else (a variable, a call, an f-string, a pattern) → a note with the
//!   exact fix, and no edit.
//!
//! Every `CORS(...)` call of the file is looked at, with `allow_headers` as a
//! keyword or inside a `resources={...: {"allow_headers": ...}}` dict. Found
//! with ruff's Python parser; the edits are byte ranges of the original text.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;

use super::{line_of, TRACE_HEADERS};

/// The planned edit of the backend's app.py.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CorsPlan {
    pub new_text: String,
    /// `~ allow_headers="a,b" → ["a", "b", "traceparent", "tracestate"] (line N)`.
    pub changes: Vec<String>,
    pub notes: Vec<String>,
    /// How many `CORS(...)` calls there are.
    pub calls: usize,
}

/// A header the frontend's own `fetch` calls send that a preflight asks for
/// (`authorization`, ...), and where it is sent (`src/pages/HomeFeedPage.js:34`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sent {
    /// Lowercase.
    pub name: String,
    pub at: String,
}

/// Plans the edit of `text`, the backend's `file`: `allow_headers` must allow
/// the trace headers and the headers in `sent`.
pub(crate) fn plan_cors(text: &str, file: &str, sent: &[Sent]) -> CorsPlan {
    let mut wanted: Vec<&str> = TRACE_HEADERS.to_vec();
    for s in sent {
        if !wanted.iter().any(|w| w.eq_ignore_ascii_case(&s.name)) {
            wanted.push(&s.name);
        }
    }
    let why = |added: &[&str]| -> String {
        let sent: Vec<String> = sent
            .iter()
            .filter(|s| added.iter().any(|a| a.eq_ignore_ascii_case(&s.name)))
            .map(|s| format!("{}: sent by {}", s.name, s.at))
            .collect();
        if sent.is_empty() {
            String::new()
        } else {
            format!("; {}", sent.join(", "))
        }
    };
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    let unchanged = |notes: Vec<String>, calls| CorsPlan {
        new_text: text.to_string(),
        changes: Vec::new(),
        notes,
        calls,
    };
    let parsed = match ruff_python_parser::parse_module(body) {
        Ok(parsed) => parsed,
        Err(e) => {
            let line = line_of(body, e.location.start().to_usize());
            return unchanged(
                vec![format!(
                    "{file}:{line}: Python cannot parse this file ({}): its CORS call is not \
                     checked; allow_headers must allow {}",
                    e.error,
                    quoted_list(&wanted, '"')
                )],
                0,
            );
        }
    };
    let mut finder = Finder::default();
    finder.visit_body(&parsed.syntax().body);
    if finder.calls.is_empty() {
        return unchanged(
            vec![format!(
                "{file}: no CORS(...) call: if the backend's CORS is set up elsewhere, it must \
                 allow the headers {} from the frontend",
                and_list(&wanted)
            )],
            0,
        );
    }
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut changes = Vec::new();
    let mut notes = Vec::new();
    for value in &finder.allow_headers {
        let range = value.range();
        let (start, end) = (range.start().to_usize(), range.end().to_usize());
        let written = &body[start..end];
        let line = line_of(body, start);
        match plan_value(value, body, &wanted) {
            Plan::Fine => {}
            Plan::Replace(new, added) => {
                // Not a note: the change's own reason (a list of names is
                // what flask-cors matches header by header).
                changes.push(format!(
                    "~ allow_headers={written} → {new} (line {line}; flask-cors reads a string \
                     as one regular expression, which matches none of these headers{})",
                    why(&added)
                ));
                edits.push((start, end, new));
            }
            Plan::Insert { at, text, added } => {
                changes.push(format!(
                    "+ allow_headers {} (line {line}{})",
                    quoted_list(&added, quote_at(at, body)),
                    why(&added)
                ));
                edits.push((at, at, text));
            }
            Plan::ByHand => notes.push(format!(
                "{file}:{line}: allow_headers={written} cannot be edited safely: make sure it \
                 allows {} too (e.g. allow_headers=[\"content-type\", {}]), or the browser's \
                 traced requests to the backend fail CORS",
                and_list(&wanted),
                quoted_list(&wanted, '"')
            )),
        }
    }
    let mut new_body = body.to_string();
    edits.sort_by_key(|(start, _, _)| std::cmp::Reverse(*start));
    for (start, end, text) in edits {
        new_body.replace_range(start..end, &text);
    }
    CorsPlan {
        new_text: format!("{bom}{new_body}"),
        changes,
        notes,
        calls: finder.calls.len(),
    }
}

enum Plan<'w> {
    Fine,
    /// The new list, and the names it adds.
    Replace(String, Vec<&'w str>),
    Insert {
        at: usize,
        text: String,
        added: Vec<&'w str>,
    },
    ByHand,
}

fn plan_value<'w>(value: &Expr, body: &str, wanted: &[&'w str]) -> Plan<'w> {
    let missing = |names: &[&str]| -> Vec<&'w str> {
        wanted
            .iter()
            .copied()
            .filter(|h| !names.iter().any(|n| n.eq_ignore_ascii_case(h)))
            .collect()
    };
    match value {
        Expr::StringLiteral(s) => {
            let pattern = s.value.to_str();
            if allows_all(pattern) {
                return Plan::Fine;
            }
            let names: Vec<&str> = pattern
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .collect();
            if !names.iter().all(|n| is_header_name(n)) {
                return Plan::ByHand;
            }
            let added = missing(&names);
            let mut all: Vec<&str> = names.clone();
            all.extend(added.iter().copied());
            Plan::Replace(
                format!("[{}]", quoted_list(&all, quote_of(s.range(), body))),
                added,
            )
        }
        Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. }) => {
            let mut names = Vec::new();
            for e in elts {
                match e {
                    Expr::StringLiteral(s) => names.push(s.value.to_str()),
                    _ => return Plan::ByHand,
                }
            }
            if names.iter().any(|n| allows_all(n)) {
                return Plan::Fine;
            }
            let added = missing(&names);
            if added.is_empty() {
                return Plan::Fine;
            }
            let (at, quote, lead) = match elts.last() {
                Some(last) => (
                    last.range().end().to_usize(),
                    quote_of(last.range(), body),
                    ", ",
                ),
                // `[]`/`()`: just inside the opening bracket.
                None => (value.range().start().to_usize() + 1, '"', ""),
            };
            Plan::Insert {
                at,
                text: format!("{lead}{}", quoted_list(&added, quote)),
                added,
            }
        }
        _ => Plan::ByHand,
    }
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn and_list(names: &[&str]) -> String {
    match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The quote of the string literal that ends at `at` (`"` when there is none).
fn quote_at(at: usize, body: &str) -> char {
    body[..at]
        .chars()
        .next_back()
        .filter(|c| *c == '"' || *c == '\'')
        .unwrap_or('"')
}

/// `*` or `.*`: flask-cors then allows every header.
fn allows_all(pattern: &str) -> bool {
    matches!(pattern.trim(), "*" | ".*")
}

/// A plain header name (no regular-expression characters).
fn is_header_name(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The quote a string literal is written with (after any `r`/`u` prefix).
fn quote_of(range: ruff_text_size::TextRange, body: &str) -> char {
    body[range.start().to_usize()..range.end().to_usize()]
        .chars()
        .find(|c| *c == '"' || *c == '\'')
        .unwrap_or('"')
}

fn quoted_list(names: &[&str], quote: char) -> String {
    let items: Vec<String> = names.iter().map(|n| format!("{quote}{n}{quote}")).collect();
    items.join(", ")
}

/// The `CORS(...)` calls and their `allow_headers` values.
#[derive(Default)]
struct Finder<'a> {
    calls: Vec<&'a ast::ExprCall>,
    allow_headers: Vec<&'a Expr>,
}

impl<'a> Visitor<'a> for Finder<'a> {
    fn visit_expr(&mut self, e: &'a Expr) {
        if let Expr::Call(call) = e {
            let is_cors = match &*call.func {
                Expr::Name(n) => n.id.as_str() == "CORS",
                Expr::Attribute(a) => a.attr.as_str() == "CORS",
                _ => false,
            };
            if is_cors {
                self.calls.push(call);
                for k in &call.arguments.keywords {
                    match k.arg.as_ref().map(|a| a.as_str()) {
                        Some("allow_headers") => self.allow_headers.push(&k.value),
                        _ => self.in_resources(&k.value),
                    }
                }
                for a in &call.arguments.args {
                    self.in_resources(a);
                }
                return;
            }
        }
        visitor::walk_expr(self, e);
    }
}

impl<'a> Finder<'a> {
    /// `"allow_headers": ...` entries of dicts within `e` (per-resource options).
    fn in_resources(&mut self, e: &'a Expr) {
        if let Expr::Dict(d) = e {
            for item in &d.items {
                match &item.key {
                    Some(Expr::StringLiteral(k)) if k.value.to_str() == "allow_headers" => {
                        self.allow_headers.push(&item.value);
                    }
                    _ => self.in_resources(&item.value),
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "cors_tests.rs"]
mod tests;
