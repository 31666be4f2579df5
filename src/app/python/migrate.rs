//! `--migrate`: the hand setup the course wrote in `app.py`, removed line by
//! line so that `init_observability(app)` does it instead.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::Ranged;

use crate::parts::Part;

use super::*;

/// What `--migrate` does to `app.py`: the hand setup the course wrote there,
/// removed line by line so that `init_observability(app)` does it instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Migration {
    pub new_text: String,
    /// The statements removed: first and last 1-based line, and the first line's text.
    pub removed: Vec<(usize, usize, String)>,
}

/// Why `--migrate` leaves `app.py` as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MigrateError {
    #[error("line {line}: `{name}` is set up here and still used on line {used}")]
    StillUsed {
        line: usize,
        name: String,
        used: usize,
    },
    #[error("line {line}: this statement shares its line with another")]
    SharedLine { line: usize },
}

/// Plans `--migrate` on `app.py` for the `parts` the module will now set up:
/// module-level statements that set those parts up by hand (the setup calls
/// and their companions: `TracerProvider()`, `add_span_processor`,
/// `RequestsInstrumentor().instrument()`, `xray_recorder.configure`, the
/// handler's `addHandler`, `got_request_exception.connect`) and functions
/// hooked on `before_first_request`/`before_request` whose body is such setup.
/// Everything else stays byte for byte, imports included.
pub(crate) fn migrate(text: &str, parts: &[Part]) -> Result<Migration, MigrateError> {
    let m = Module::parse("app.py".into(), text.to_string());
    let bom = if text.starts_with('\u{feff}') {
        "\u{feff}"
    } else {
        ""
    };
    let wanted = |c: &ast::ExprCall| setup_part(c).is_some_and(|p| parts.contains(&p));

    // 1. Candidates: whole statements.
    let mut remove: Vec<&Stmt> = Vec::new();
    let mut names: Vec<(String, usize)> = Vec::new();
    let mut blocks: Vec<(&Stmt, &[Stmt])> = Vec::new();
    fn visit<'a>(
        stmts: &'a [Stmt],
        m: &Module,
        wanted: &dyn Fn(&ast::ExprCall) -> bool,
        remove: &mut Vec<&'a Stmt>,
        names: &mut Vec<(String, usize)>,
        blocks: &mut Vec<(&'a Stmt, &'a [Stmt])>,
    ) {
        for s in stmts {
            match s {
                Stmt::Expr(e) if any_call(&e.value, wanted) => remove.push(s),
                Stmt::Assign(a) if a.targets.len() == 1 && any_call(&a.value, wanted) => {
                    if let Expr::Name(n) = &a.targets[0] {
                        names.push((n.id.to_string(), m.line(s.start())));
                        remove.push(s);
                    }
                }
                Stmt::FunctionDef(f)
                    if f.decorator_list.iter().any(|d| is_hook(&d.expression))
                        && f.body.iter().any(|b| stmt_calls(b, wanted))
                        && f.body.iter().all(|b| {
                            stmt_calls(b, wanted)
                                || matches!(b, Stmt::Expr(e) if matches!(&*e.value, Expr::StringLiteral(_)))
                                || matches!(b, Stmt::Assign(_))
                        }) =>
                {
                    remove.push(s)
                }
                Stmt::With(w) => {
                    blocks.push((s, &w.body));
                    visit(&w.body, m, wanted, remove, names, blocks);
                }
                _ => {}
            }
        }
    }
    visit(
        &m.ast.body,
        &m,
        &wanted,
        &mut remove,
        &mut names,
        &mut blocks,
    );
    // 2. Statements that only use what is removed (`LOGGER.addHandler(cw_handler)`).
    let uses = |s: &Stmt, name: &str| {
        let mut v = Loads::default();
        v.visit_stmt(s);
        v.names.iter().any(|n| n == name)
    };
    let mut changed = true;
    while changed {
        changed = false;
        for_each_module_level(&m.ast.body, &mut |s| {
            let is_expr = matches!(s, Stmt::Expr(_));
            if is_expr
                && !remove.iter().any(|r| std::ptr::eq(*r, s))
                && names.iter().any(|(n, _)| uses(s, n))
            {
                remove.push(s);
                changed = true;
            }
        });
    }
    // 3. What is removed must not be used by what stays.
    let mut kept_uses: Option<MigrateError> = None;
    for_each_module_level(&m.ast.body, &mut |s| {
        if kept_uses.is_some() || remove.iter().any(|r| std::ptr::eq(*r, s)) {
            return;
        }
        if matches!(s, Stmt::With(_) | Stmt::If(_) | Stmt::Try(_)) {
            return; // their bodies are visited on their own
        }
        for (name, line) in &names {
            if uses(s, name) {
                kept_uses = Some(MigrateError::StillUsed {
                    line: *line,
                    name: name.clone(),
                    used: m.line(s.start()),
                });
            }
        }
    });
    if let Some(e) = kept_uses {
        return Err(e);
    }
    // A `with` whose whole body goes, goes too.
    for (block, body) in &blocks {
        if body
            .iter()
            .all(|b| remove.iter().any(|r| std::ptr::eq(*r, b)))
        {
            remove.push(block);
        }
    }
    // 4. Remove whole lines.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for s in &remove {
        let start = match s {
            Stmt::FunctionDef(f) => f.decorator_list.first().map_or(s.start(), |d| d.start()),
            _ => s.start(),
        };
        let (first, last) = (m.line(start), m.line(s.end()));
        let line_start = m.line_starts[first - 1];
        let line_end = m.line_starts.get(last).copied().unwrap_or(m.text.len());
        let before = &m.text[line_start..start.to_usize()];
        let after = m.text[s.end().to_usize()..line_end].trim_start_matches([' ', '\t']);
        let after_ok = after.is_empty() || after.starts_with(['\r', '\n', '#']);
        if !before.trim().is_empty() || !after_ok {
            return Err(MigrateError::SharedLine { line: first });
        }
        spans.push((first, last));
    }
    spans.sort();
    spans.dedup();
    // Nested and adjacent spans (a `with` and its body, a block of setup) merge.
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (a, b) in spans {
        match merged.last_mut() {
            Some(last) if a <= last.1 + 1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let lines: Vec<&str> = m.text.split_inclusive('\n').collect();
    let mut out = String::from(bom);
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        if !merged.iter().any(|&(a, b)| a <= n && n <= b) {
            out.push_str(line);
        }
    }
    let removed = merged
        .iter()
        .map(|&(a, b)| (a, b, lines[a - 1].trim_end().to_string()))
        .collect();
    Ok(Migration {
        new_text: out,
        removed,
    })
}

/// The part a hand setup call belongs to, companions included.
fn setup_part(c: &ast::ExprCall) -> Option<Part> {
    if let Some(marker) = Marker::of_call(&c.func) {
        return Some(marker.part());
    }
    let path = dotted(&c.func).unwrap_or_default();
    let last = match &*c.func {
        Expr::Attribute(a) => a.attr.as_str(),
        Expr::Name(n) => n.id.as_str(),
        _ => "",
    };
    match last {
        "TracerProvider" | "BatchSpanProcessor" | "SimpleSpanProcessor" | "add_span_processor" => {
            Some(Part::Honeycomb)
        }
        "instrument" => match &*c.func {
            Expr::Attribute(a) => match &*a.value {
                Expr::Call(inner) => dotted(&inner.func)
                    .and_then(|p| p.last().cloned())
                    .filter(|n| n == "RequestsInstrumentor")
                    .map(|_| Part::Honeycomb),
                _ => None,
            },
            _ => None,
        },
        "configure" if path.first().is_some_and(|f| f == "xray_recorder") => Some(Part::Xray),
        "connect" if path.first().is_some_and(|f| f == "got_request_exception") => {
            let mut v = Loads::default();
            for a in c.arguments.args.iter() {
                v.visit_expr(a);
            }
            v.names
                .iter()
                .any(|n| n == "rollbar")
                .then_some(Part::Rollbar)
        }
        _ => None,
    }
}

/// Whether a call anywhere in `e` satisfies `f`.
fn any_call(e: &Expr, f: &dyn Fn(&ast::ExprCall) -> bool) -> bool {
    let mut c = Calls::default();
    c.visit_expr(e);
    c.found.iter().any(|call| f(call))
}

fn stmt_calls(s: &Stmt, f: &dyn Fn(&ast::ExprCall) -> bool) -> bool {
    let mut c = Calls::default();
    c.visit_stmt(s);
    c.found.iter().any(|call| f(call))
}

/// The names a statement reads.
#[derive(Default)]
struct Loads {
    names: Vec<String>,
}

impl<'a> Visitor<'a> for Loads {
    fn visit_expr(&mut self, e: &'a Expr) {
        if let Expr::Name(n) = e {
            if matches!(n.ctx, ast::ExprContext::Load) {
                self.names.push(n.id.to_string());
            }
        }
        visitor::walk_expr(self, e);
    }
}
