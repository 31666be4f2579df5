//! The entry point (`src/index.js`, `.jsx`, `.tsx`, `.ts`): one line,
//! `import './tracing';`, as its first import, so that tracing is set up before
//! any other module runs (`fetch` is patched before the app's modules use it).
//!
//! Rules:
//! - Already imported (`import './tracing'`, with or without an extension or a
//!   semicolon, either quote, or `require('./tracing')`) → nothing.
//! - The line goes before the first statement: after a `#!` line, leading
//!   comments (a licence or doc header, `/* ... */` over several lines), blank
//!   lines and a `'use strict'` directive; but before a comment that is about
//!   the next line (`// eslint-disable-next-line`, `// @ts-...`).
//! - It is written the way the file writes its imports: the quote of the first
//!   import, a semicolon only if that import has one, `require('./tracing');` in
//!   a file with `require` and no `import`; the file's line ending.
//! - Both React 18's `createRoot` and the older `ReactDOM.render` are entry
//!   points; a file with neither gets a note (it may not be the entry).

use crate::files::line_ending;

/// The module the line imports (resolved by the bundler to `.js` or `.ts`).
pub(crate) const MODULE: &str = "./tracing";

/// The planned edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IndexPlan {
    pub new_text: String,
    /// The line added (without its line ending), and its 1-based line number.
    pub inserted: Option<(String, usize)>,
    pub notes: Vec<String>,
}

/// Plans the import in `text`, the entry point `file`.
pub(crate) fn plan_index(text: &str, file: &str) -> IndexPlan {
    let mut notes = Vec::new();
    if !text.contains("createRoot(") && !text.contains("render(") {
        notes.push(format!(
            "{file}: neither `createRoot(` nor `render(` is in it: is it the app's entry point? \
             `import './tracing';` must be the first import of the module that starts the app"
        ));
    }
    if imports_tracing(text) {
        return IndexPlan {
            new_text: text.to_string(),
            inserted: None,
            notes,
        };
    }
    let eol = line_ending(text);
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    let lines: Vec<&str> = body.split_inclusive('\n').collect();
    let at = insertion_line(&lines);
    let line = import_line(body);
    let mut new_text = String::with_capacity(text.len() + line.len() + 2);
    new_text.push_str(bom);
    for (i, l) in lines.iter().enumerate() {
        if i == at {
            new_text.push_str(&line);
            new_text.push_str(eol);
        }
        new_text.push_str(l);
    }
    if at >= lines.len() {
        if !body.is_empty() && !new_text.ends_with('\n') {
            new_text.push_str(eol);
        }
        new_text.push_str(&line);
        new_text.push_str(eol);
    }
    IndexPlan {
        new_text,
        inserted: Some((line, at + 1)),
        notes,
    }
}

/// The line to add, in the file's style.
fn import_line(text: &str) -> String {
    let is_import =
        |l: &str| l.starts_with("import ") || l.starts_with("import'") || l.starts_with("import\"");
    let first_import = text.lines().map(str::trim).find(|l| is_import(l));
    let common_js = first_import.is_none() && text.contains("require(");
    let first_require = text.lines().map(str::trim).find(|l| l.contains("require("));
    let (quote, semicolon) = match first_import.or(first_require.filter(|_| common_js)) {
        Some(l) => {
            let quote = if l.contains('"') && !l.contains('\'') {
                '"'
            } else {
                '\''
            };
            (
                quote,
                l.trim_end_matches(|c: char| c.is_whitespace())
                    .ends_with(';'),
            )
        }
        None => ('\'', true),
    };
    let semi = if semicolon { ";" } else { "" };
    if common_js {
        format!("require({quote}{MODULE}{quote}){semi}")
    } else {
        format!("import {quote}{MODULE}{quote}{semi}")
    }
}

/// Whether the file imports (or requires) the tracing module already.
pub(crate) fn imports_tracing(text: &str) -> bool {
    code_lines(text.strip_prefix('\u{feff}').unwrap_or(text)).any(|l| {
        let l = l.trim();
        let specifier = if let Some(rest) = l.strip_prefix("import") {
            // `import './tracing'` — a side-effect import, no bindings.
            first_quoted(rest.trim_start()).filter(|_| rest.trim_start().starts_with(['\'', '"']))
        } else if let Some(at) = l.find("require(") {
            first_quoted(&l[at + "require(".len()..])
        } else {
            None
        };
        specifier.is_some_and(|s| {
            let s = [".js", ".jsx", ".ts", ".tsx"]
                .iter()
                .find_map(|ext| s.strip_suffix(ext))
                .unwrap_or(s);
            s.trim_end_matches("/index") == MODULE
        })
    })
}

/// The first `'...'` or `"..."` string at the start of `text`.
fn first_quoted(text: &str) -> Option<&str> {
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let rest = &text[1..];
    rest.find(quote).map(|end| &rest[..end])
}

/// The lines outside block comments, with line comments removed (roughly: a
/// `//` inside a string on an import line is rare enough).
fn code_lines(text: &str) -> impl Iterator<Item = String> + '_ {
    let mut in_block = false;
    text.lines().map(move |line| {
        let mut out = String::new();
        let mut rest = line;
        loop {
            if in_block {
                match rest.find("*/") {
                    Some(end) => {
                        in_block = false;
                        rest = &rest[end + 2..];
                    }
                    None => break,
                }
            } else {
                let block = rest.find("/*");
                let line_comment = rest.find("//");
                match (block, line_comment) {
                    (Some(b), Some(c)) if c < b => {
                        out.push_str(&rest[..c]);
                        break;
                    }
                    (Some(b), _) => {
                        out.push_str(&rest[..b]);
                        in_block = true;
                        rest = &rest[b + 2..];
                    }
                    (None, Some(c)) => {
                        out.push_str(&rest[..c]);
                        break;
                    }
                    (None, None) => {
                        out.push_str(rest);
                        break;
                    }
                }
            }
        }
        out
    })
}

/// The index of the line the import goes before (`lines.len()`: at the end).
fn insertion_line(lines: &[&str]) -> usize {
    let mut in_block = false;
    // The first line of the comments right above the current line.
    let mut comment_run: Option<usize> = None;
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim();
        if in_block {
            if line.contains("*/") {
                in_block = false;
            }
            continue;
        }
        if (i == 0 && line.starts_with("#!")) || line.is_empty() {
            comment_run = None;
            continue;
        }
        if line.starts_with("//") {
            if is_about_next_line(line) {
                comment_run.get_or_insert(i);
            } else {
                comment_run = None;
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("/*") {
            comment_run = None;
            match rest.find("*/") {
                None => in_block = true,
                // `/* a */ import x`: code after the comment is the first statement.
                Some(end) if !rest[end + 2..].trim().is_empty() => return i,
                Some(_) => {}
            }
            continue;
        }
        if is_directive(line) {
            comment_run = None;
            continue;
        }
        // The first statement: before the comments that are about it.
        return comment_run.unwrap_or(i);
    }
    lines.len()
}

/// A comment about the line after it, which must stay right above that line.
fn is_about_next_line(comment: &str) -> bool {
    let body = comment.trim_start_matches('/').trim();
    body.starts_with("eslint-disable-next-line")
        || body.starts_with("@ts-")
        || body.starts_with("prettier-ignore")
}

/// `'use strict'` or `"use strict"` (any directive prologue string), with or
/// without its semicolon.
fn is_directive(line: &str) -> bool {
    let body = line.trim_end_matches(';').trim();
    body.len() >= 2
        && ((body.starts_with('\'') && body.ends_with('\''))
            || (body.starts_with('"') && body.ends_with('"')))
        && !body[1..body.len() - 1].contains(['\'', '"'])
}

#[cfg(test)]
#[path = "index_js_tests.rs"]
mod tests;
