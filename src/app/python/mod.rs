//! What the backend already sets up by hand, found by reading its Python the way
//! the interpreter runs it at import: `app.py`'s module-level code, the local
//! modules it imports (their bodies run at import), and the local functions that
//! code calls, a few hops deep. A setup call counts only when it runs: one in a
//! function nobody calls, under `if False:` or in a comment is reported as such.
//!
//! Pure: files are read through the `read` function the caller passes (paths
//! relative to the backend directory, `/`-separated). The parser is ruff's.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};

use crate::parts::Part;

mod migrate;
mod module;
mod walk;

pub(crate) use migrate::migrate;
use module::*;
use walk::*;

/// How many calls or imports away from `app.py` a setup call is still found.
const MAX_DEPTH: usize = 3;

/// A call that sets a part up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Marker {
    FlaskInstrumentor,
    SetTracerProvider,
    XRayMiddleware,
    RollbarInit,
    CloudWatchLogHandler,
}

impl Marker {
    const ALL: [Marker; 5] = [
        Marker::FlaskInstrumentor,
        Marker::SetTracerProvider,
        Marker::XRayMiddleware,
        Marker::RollbarInit,
        Marker::CloudWatchLogHandler,
    ];

    pub(crate) fn part(self) -> Part {
        match self {
            Marker::FlaskInstrumentor | Marker::SetTracerProvider => Part::Honeycomb,
            Marker::XRayMiddleware => Part::Xray,
            Marker::RollbarInit => Part::Rollbar,
            Marker::CloudWatchLogHandler => Part::Logs,
        }
    }

    /// The call as it is written, for messages and to find it in comments.
    pub(crate) fn call(self) -> &'static str {
        match self {
            Marker::FlaskInstrumentor => "FlaskInstrumentor(",
            Marker::SetTracerProvider => "set_tracer_provider(",
            Marker::XRayMiddleware => "XRayMiddleware(",
            Marker::RollbarInit => "rollbar.init(",
            Marker::CloudWatchLogHandler => "CloudWatchLogHandler(",
        }
    }

    fn of_call(func: &Expr) -> Option<Marker> {
        match func {
            Expr::Name(n) => match n.id.as_str() {
                "FlaskInstrumentor" => Some(Marker::FlaskInstrumentor),
                "set_tracer_provider" => Some(Marker::SetTracerProvider),
                "XRayMiddleware" => Some(Marker::XRayMiddleware),
                "CloudWatchLogHandler" => Some(Marker::CloudWatchLogHandler),
                _ => None,
            },
            Expr::Attribute(a) => match a.attr.as_str() {
                "FlaskInstrumentor" => Some(Marker::FlaskInstrumentor),
                "set_tracer_provider" => Some(Marker::SetTracerProvider),
                "XRayMiddleware" => Some(Marker::XRayMiddleware),
                "CloudWatchLogHandler" => Some(Marker::CloudWatchLogHandler),
                "init" if matches!(&*a.value, Expr::Name(n) if n.id.as_str() == "rollbar") => {
                    Some(Marker::RollbarInit)
                }
                _ => None,
            },
            _ => None,
        }
    }
}

/// One setup call, where it is written (1-based line, path relative to the
/// backend directory).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Found {
    pub marker: Marker,
    pub file: String,
    pub line: usize,
    /// How `app.py` reaches it when it is in another file: the line of
    /// `app.py` and what is written there (`init_xray(...)`, `import lib.x`).
    pub via: Option<(usize, String)>,
}

/// Why a setup call that is written never runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Dead {
    /// In a function nothing that runs at import calls.
    NeverCalled { function: String, def_line: usize },
    /// Under a condition that is always false (`if False:`); its line.
    NeverTrue { line: usize },
    /// In a comment.
    Commented,
}

/// A place Python cannot parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxProblem {
    pub line: usize,
    pub message: String,
}

/// Hand code that runs but costs something, worth a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Risk {
    /// `@app.before_first_request` / `app.before_first_request(f)`: removed in
    /// Flask 2.3 (an AttributeError at import there).
    BeforeFirstRequest,
    /// `CloudWatchLogHandler(log_group=...)`: watchtower 3 still takes it,
    /// with a DeprecationWarning (the name is `log_group_name`).
    LogGroupKeyword,
    /// `CloudWatchLogHandler(...)` without `create_log_group=False`: the handler
    /// creates the group itself, with no retention.
    CreatesLogGroup,
}

/// A risk, where it is written (1-based line).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct RiskAt {
    pub file: String,
    pub line: usize,
    pub risk: Risk,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Detection {
    /// Hand code that runs and is worth a note, in file and line order.
    pub risks: Vec<RiskAt>,
    /// Setup calls that run, in file and line order.
    pub live: Vec<Found>,
    /// Setup calls that are written but never run.
    pub dead: Vec<(Found, Dead)>,
    /// Files that do not parse, with their first problem (`app.py` first).
    pub syntax: Vec<(String, SyntaxProblem)>,
    /// The local modules that run when `app.py` is imported.
    pub followed: Vec<String>,
}

/// Finds the setup calls that run when `app.py` (`app_text`) is imported.
/// `read("lib/xray.py")` returns a local file's text, `None` when it does not exist.
pub(crate) fn detect(app_text: &str, read: &dyn Fn(&str) -> Option<String>) -> Detection {
    let mut w = Walker {
        read,
        modules: HashMap::new(),
        executed: Vec::new(),
        walked: HashSet::new(),
        status: BTreeMap::new(),
        risks: std::collections::BTreeSet::new(),
    };
    let app = Rc::new(Module::parse("app.py".into(), app_text.to_string()));
    w.modules.insert("app.py".into(), Some(app.clone()));
    w.executed.push("app.py".into());
    let ctx = Ctx {
        module: app.clone(),
        dead: None,
        via: None,
        depth: 0,
        off: Rc::default(),
    };
    w.stmts(&app.ast.body, &ctx);
    w.finish()
}

pub(super) fn is_falsy(e: &Expr) -> bool {
    match e {
        Expr::BooleanLiteral(b) => !b.value,
        Expr::NoneLiteral(_) => true,
        Expr::NumberLiteral(n) => matches!(&n.value, ast::Number::Int(i) if i.as_u8() == Some(0)),
        _ => false,
    }
}

/// `a.b.f` → `["a", "b", "f"]`.
pub(super) fn dotted(e: &Expr) -> Option<Vec<String>> {
    match e {
        Expr::Name(n) => Some(vec![n.id.to_string()]),
        Expr::Attribute(a) => {
            let mut v = dotted(&a.value)?;
            v.push(a.attr.to_string());
            Some(v)
        }
        _ => None,
    }
}

/// The calls of an expression or simple statement, outside lambdas and
/// nested definitions, in evaluation order (arguments before the call).
#[derive(Default)]
pub(super) struct Calls<'a> {
    found: Vec<&'a ast::ExprCall>,
}

impl<'a> Visitor<'a> for Calls<'a> {
    fn visit_stmt(&mut self, s: &'a Stmt) {
        if !matches!(s, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
            visitor::walk_stmt(self, s);
        }
    }
    fn visit_expr(&mut self, e: &'a Expr) {
        match e {
            Expr::Lambda(_) => {}
            Expr::Call(c) => {
                visitor::walk_expr(self, e);
                self.found.push(c);
            }
            _ => visitor::walk_expr(self, e),
        }
    }
}

#[cfg(test)]
mod tests;
