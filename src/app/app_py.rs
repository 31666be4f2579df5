//! The `app.py` editor: add `from lib.observability import init_observability`
//! and `init_observability(app)` right after the module-level
//! `app = Flask(__name__)`, and find what the file already does by hand.
//!
//! The file is read with a small Python scanner: comments and the contents of
//! string literals (including `"""`/`'''` blocks) are blanked out, brackets and
//! `\` continuations are followed, so only real code at module level counts.

use super::AppError;
use crate::files::line_ending as detect_eol;

/// The two lines `cruddur-obs` adds.
pub(crate) const IMPORT_LINE: &str = "from lib.observability import init_observability";
pub(crate) const CALL_LINE: &str = "init_observability(app)";

/// The planned `app.py`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppPyPlan {
    /// The whole new text; equal to the input when nothing is inserted.
    pub new_text: String,
    /// Whether a line (the import, the call or both) was inserted.
    pub inserted: bool,
    /// `init_observability(app)` is already called at module level.
    pub ours_present: bool,
    /// The import was added above the file's other imports ([`ImportAt::First`]).
    pub import_first: bool,
    /// `file:line: ...` messages for the user (our lines in an odd order).
    pub notes: Vec<String>,
}

/// Where the import goes when it is added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ImportAt {
    /// With the call, right after `app = Flask(...)`.
    AfterApp,
    /// Above the file's first import (the call still after the app): the module
    /// patches database and AWS clients when imported, before app.py's own
    /// modules connect.
    First,
}

/// Plan `app.py`, the import going with the call. Errors when the module-level
/// `app = Flask(...)` is missing, assigned more than once, or never closed — and
/// only when a line has to be inserted: a file already wired is left alone
/// whatever it looks like.
#[cfg(test)]
pub(crate) fn plan_app_py(text: &str, file: &str) -> Result<AppPyPlan, AppError> {
    plan_app_py_at(text, file, ImportAt::AfterApp)
}

/// The first module-level `import`/`from` statement (not `from __future__`).
fn first_import(scan: &Scan) -> Option<usize> {
    scan.module_statements()
        .into_iter()
        .find_map(|(first, last)| {
            let code = scan.statement_code(first, last);
            let mut c = Cur::new(&code);
            let is_import = c.word(b"import")
                || (c.word(b"from") && {
                    c.ws();
                    !c.word(b"__future__")
                });
            is_import.then_some(first)
        })
}

/// [`plan_app_py`] with the import placed as `at` says.
pub(crate) fn plan_app_py_at(text: &str, file: &str, at: ImportAt) -> Result<AppPyPlan, AppError> {
    let (bom, body) = split_bom(text);
    let scan = Scan::new(body);
    let w = Wiring::of(&scan);

    let mut notes = Vec::new();
    if w.calls.len() > 1 {
        let lines: Vec<usize> = w.calls.iter().map(|&(a, _)| a + 1).collect();
        notes.push(format!(
            "{file}: `{CALL_LINE}` is called on lines {}; once is enough",
            super::join_lines(&lines)
        ));
    }

    let mut plan = AppPyPlan {
        new_text: text.to_owned(),
        inserted: false,
        ours_present: !w.calls.is_empty(),
        import_first: false,
        notes,
    };

    if let (ImportAt::First, Some(&(import, _))) = (at, w.imports.first()) {
        if first_import(&scan).is_some_and(|other| other < import) {
            plan.notes.push(format!(
                "{file}:{}: move `{IMPORT_LINE}` above the other imports: database and AWS clients made when they are imported are traced only when it comes first",
                import + 1
            ));
        }
    }
    match (w.imports.first(), w.calls.first()) {
        (Some(&(import, _)), Some(&(call, _))) => {
            if import > call {
                plan.notes.push(format!(
                    "{file}:{}: `{CALL_LINE}` comes before its import on line {}",
                    call + 1,
                    import + 1
                ));
            }
            if let Some(&(assign, _)) = w.assigns.first() {
                if w.assigns.len() == 1 && call < assign {
                    plan.notes.push(format!(
                        "{file}:{}: `{CALL_LINE}` runs before `app` is created on line {}",
                        call + 1,
                        assign + 1
                    ));
                }
            }
        }
        (None, Some(&(call, _))) => {
            // The call is there: put the import right before it.
            let new_body = insert_before(&scan, call, &[IMPORT_LINE]);
            plan.new_text = format!("{bom}{new_body}");
            plan.inserted = true;
        }
        (import, None) => {
            let (assign, end) = the_assignment(&w, file)?;
            let mut after = (assign, end);
            let mut lines = vec![CALL_LINE];
            // With `ImportAt::First`, the line the import goes above.
            let mut above = None;
            match import {
                // The call must follow both the app and the import.
                Some(&stmt) if stmt.1 > end => after = stmt,
                Some(_) => {}
                None => match (at, first_import(&scan)) {
                    (ImportAt::First, Some(first)) if first < assign => above = Some(first),
                    _ => lines.insert(0, IMPORT_LINE),
                },
            }
            if after.1 + 1 == scan.lines.len() && scan.open_at_eof {
                return Err(AppError::UnclosedStatement {
                    file: file.to_owned(),
                    line: after.0 + 1,
                });
            }
            let mut new_body = insert_after(&scan, after.1, &lines);
            if let Some(first) = above {
                // The lines above `first` are as they were: it is still line `first`.
                new_body = insert_before(&Scan::new(&new_body), first, &[IMPORT_LINE]);
                plan.import_first = true;
            }
            plan.new_text = format!("{bom}{new_body}");
            plan.inserted = true;
        }
    }
    Ok(plan)
}

fn split_bom(text: &str) -> (&str, &str) {
    match text.strip_prefix('\u{feff}') {
        Some(body) => ("\u{feff}", body),
        None => ("", text),
    }
}

fn the_assignment(w: &Wiring, file: &str) -> Result<(usize, usize), AppError> {
    match w.assigns.as_slice() {
        [] => Err(AppError::NoAppAssignment {
            file: file.to_owned(),
        }),
        [one] => Ok(*one),
        many => Err(AppError::AmbiguousAppAssignment {
            file: file.to_owned(),
            lines: many.iter().map(|&(a, _)| a + 1).collect(),
        }),
    }
}

/// `new` inserted after line `idx` (0-based), each with the file's line ending;
/// the end-of-file state (final newline or not) is kept.
fn insert_after(scan: &Scan, idx: usize, new: &[&str]) -> String {
    let body = scan.body;
    let line = &scan.lines[idx];
    let mut out =
        String::with_capacity(body.len() + new.iter().map(|l| l.len() + 2).sum::<usize>());
    if line.next > line.end {
        let eol = &body[line.end..line.next];
        out.push_str(&body[..line.next]);
        for l in new {
            out.push_str(l);
            out.push_str(eol);
        }
        out.push_str(&body[line.next..]);
    } else {
        // The last line, without a final newline: keep it that way.
        let eol = detect_eol(body);
        out.push_str(body);
        for l in new {
            out.push_str(eol);
            out.push_str(l);
        }
    }
    out
}

/// `new` inserted before line `idx` (0-based), each with the file's line ending.
fn insert_before(scan: &Scan, idx: usize, new: &[&str]) -> String {
    let body = scan.body;
    let line = &scan.lines[idx];
    let eol = if line.next > line.end {
        &body[line.end..line.next]
    } else {
        detect_eol(body)
    };
    let mut out =
        String::with_capacity(body.len() + new.iter().map(|l| l.len() + 2).sum::<usize>());
    out.push_str(&body[..line.start]);
    for l in new {
        out.push_str(l);
        out.push_str(eol);
    }
    out.push_str(&body[line.start..]);
    out
}

// ---- what the file holds ---------------------------------------------------------

/// Module-level statements of interest, as `(first line, last line)` 0-based.
pub(crate) struct Wiring {
    assigns: Vec<(usize, usize)>,
    imports: Vec<(usize, usize)>,
    calls: Vec<(usize, usize)>,
}

impl Wiring {
    fn of(scan: &Scan) -> Wiring {
        let mut w = Wiring {
            assigns: Vec::new(),
            imports: Vec::new(),
            calls: Vec::new(),
        };
        for (first, last) in scan.module_statements() {
            let code = scan.statement_code(first, last);
            if is_app_assignment(&code) {
                w.assigns.push((first, last));
            } else if is_our_import(&code) {
                w.imports.push((first, last));
            } else if is_our_call(&code) {
                w.calls.push((first, last));
            }
        }
        w
    }
}

/// `app = Flask(`, `app = flask.Flask(`, `app: Flask = Flask(`.
fn is_app_assignment(code: &[u8]) -> bool {
    let mut c = Cur::new(code);
    if !c.word(b"app") {
        return false;
    }
    c.ws();
    if c.eat(b":") {
        while c.peek().is_some_and(|b| b != b'=') {
            c.i += 1;
        }
    }
    if !c.eat(b"=") || c.peek() == Some(b'=') {
        return false;
    }
    c.ws();
    if c.word(b"flask") {
        c.ws();
        if !c.eat(b".") {
            return false;
        }
        c.ws();
    }
    if !c.word(b"Flask") {
        return false;
    }
    c.ws();
    c.eat(b"(")
}

/// `from lib.observability import ... init_observability ...`.
fn is_our_import(code: &[u8]) -> bool {
    let mut c = Cur::new(code);
    if !c.word(b"from") {
        return false;
    }
    c.ws();
    if !c.word(b"lib") {
        return false;
    }
    c.ws();
    if !c.eat(b".") {
        return false;
    }
    c.ws();
    if !c.word(b"observability") {
        return false;
    }
    c.ws();
    if !c.word(b"import") {
        return false;
    }
    find_word(&code[c.i..], b"init_observability")
        .next()
        .is_some()
}

/// `init_observability(app)` / `init_observability(app, ...)`.
fn is_our_call(code: &[u8]) -> bool {
    let mut c = Cur::new(code);
    if !c.word(b"init_observability") {
        return false;
    }
    c.ws();
    if !c.eat(b"(") {
        return false;
    }
    c.ws();
    if !c.word(b"app") {
        return false;
    }
    c.ws();
    c.eat(b")") || c.eat(b",")
}

// ---- byte helpers ------------------------------------------------------------------

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// `word` at `at` is a whole identifier.
fn boundary(m: &[u8], at: usize, len: usize) -> bool {
    (at == 0 || !is_ident(m[at - 1])) && m.get(at + len).is_none_or(|&b| !is_ident(b))
}

/// Offsets of `word` as a whole identifier.
fn find_word<'a>(m: &'a [u8], word: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    (0..m.len().saturating_sub(word.len() - 1))
        .filter(move |&i| m[i..].starts_with(word) && boundary(m, i, word.len()))
}

struct Cur<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Cur<'a> {
    fn new(s: &'a [u8]) -> Self {
        Cur { s, i: 0 }
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    /// Spaces and tabs.
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    fn eat(&mut self, lit: &[u8]) -> bool {
        let ok = self.s.get(self.i..).is_some_and(|r| r.starts_with(lit));
        if ok {
            self.i += lit.len();
        }
        ok
    }
    fn word(&mut self, w: &[u8]) -> bool {
        let ok = self.s.get(self.i..).is_some_and(|r| r.starts_with(w))
            && boundary(self.s, self.i, w.len());
        if ok {
            self.i += w.len();
        }
        ok
    }
}

// ---- the scanner -------------------------------------------------------------------

/// The code ends in a `\` continuation with nothing to continue into.
fn ends_in_backslash(masked: &[u8]) -> bool {
    let mut end = masked.len();
    while end > 0 && matches!(masked[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    end > 0 && masked[end - 1] == b'\\'
}

struct Line {
    start: usize,
    /// End of the content (before `\r\n` / `\n`).
    end: usize,
    /// Start of the next line.
    next: usize,
    /// Starts a statement: not inside brackets, a string or after a `\`.
    logical_start: bool,
}

struct Scan<'a> {
    body: &'a str,
    /// `body` with comments and string contents replaced by spaces (quotes,
    /// line endings and code kept), byte for byte.
    masked: Vec<u8>,
    lines: Vec<Line>,
    /// An unclosed bracket, string or `\` continuation at the end of the file.
    open_at_eof: bool,
}

#[derive(Clone, Copy)]
enum State {
    Code,
    Str { quote: u8, triple: bool },
}

impl<'a> Scan<'a> {
    fn new(body: &'a str) -> Scan<'a> {
        let b = body.as_bytes();
        let mut m = b.to_vec();
        // (start offset, logical start)
        let mut starts: Vec<(usize, bool)> = vec![(0, true)];
        let mut depth = 0usize;
        let mut continued = false;
        let mut state = State::Code;
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            match state {
                State::Code => match c {
                    b'#' => {
                        while i < b.len() && b[i] != b'\n' {
                            if b[i] != b'\r' {
                                m[i] = b' ';
                            }
                            i += 1;
                        }
                        continue;
                    }
                    b'"' | b'\'' => {
                        let triple = b[i..].starts_with(&[c, c, c]);
                        state = State::Str { quote: c, triple };
                        i += if triple { 3 } else { 1 };
                        continue;
                    }
                    b'(' | b'[' | b'{' => depth += 1,
                    b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                    b'\\' => {
                        let rest = &b[i + 1..];
                        continued = rest.starts_with(b"\n") || rest.starts_with(b"\r\n");
                    }
                    b'\n' => {
                        starts.push((i + 1, depth == 0 && !continued));
                        continued = false;
                    }
                    _ => {}
                },
                State::Str { quote, triple } => {
                    if c == b'\\' {
                        m[i] = b' ';
                        let rest = &b[i + 1..];
                        if rest.starts_with(b"\r\n") {
                            starts.push((i + 3, false));
                            i += 3;
                        } else if rest.starts_with(b"\n") {
                            starts.push((i + 2, false));
                            i += 2;
                        } else {
                            if let Some(x) = m.get_mut(i + 1) {
                                *x = b' ';
                            }
                            i += 2;
                        }
                        continue;
                    }
                    if triple && b[i..].starts_with(&[quote, quote, quote]) {
                        state = State::Code;
                        i += 3;
                        continue;
                    }
                    if !triple && c == quote {
                        state = State::Code;
                        i += 1;
                        continue;
                    }
                    if c == b'\n' {
                        if triple {
                            starts.push((i + 1, false));
                        } else {
                            // An unterminated string ends at the line's end.
                            state = State::Code;
                            starts.push((i + 1, depth == 0));
                        }
                        i += 1;
                        continue;
                    }
                    if c != b'\r' {
                        m[i] = b' ';
                    }
                }
            }
            i += 1;
        }

        let mut lines = Vec::with_capacity(starts.len());
        for (k, &(start, logical_start)) in starts.iter().enumerate() {
            if start >= b.len() {
                break;
            }
            let next = starts.get(k + 1).map_or(b.len(), |&(s, _)| s);
            let mut end = next;
            if end > start && b[end - 1] == b'\n' {
                end -= 1;
                if end > start && b[end - 1] == b'\r' {
                    end -= 1;
                }
            }
            lines.push(Line {
                start,
                end,
                next,
                logical_start,
            });
        }
        let open_at_eof = depth > 0 || matches!(state, State::Str { .. }) || ends_in_backslash(&m);
        Scan {
            body,
            masked: m,
            lines,
            open_at_eof,
        }
    }

    /// `(first, last)` lines of each statement starting at column 0.
    fn module_statements(&self) -> Vec<(usize, usize)> {
        let n = self.lines.len();
        let mut out = Vec::new();
        for (k, line) in self.lines.iter().enumerate() {
            if !line.logical_start {
                continue;
            }
            let first = self.masked.get(line.start).copied();
            if first.is_none_or(|b| b.is_ascii_whitespace()) {
                continue;
            }
            let last = (k + 1..n)
                .find(|&j| self.lines[j].logical_start)
                .map_or(n - 1, |j| j - 1);
            out.push((k, last));
        }
        out
    }

    /// The masked code of a statement, line breaks and `\` as spaces.
    fn statement_code(&self, first: usize, last: usize) -> Vec<u8> {
        self.masked[self.lines[first].start..self.lines[last].end]
            .iter()
            .map(|&b| {
                if matches!(b, b'\r' | b'\n' | b'\\') {
                    b' '
                } else {
                    b
                }
            })
            .collect()
    }
}

#[cfg(test)]
#[path = "app_py_tests.rs"]
mod tests;
