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

use ruff_python_ast::token::TokenKind;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextSize};

use crate::parts::Part;

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

/// A parsed file.
struct Module {
    rel: String,
    text: String,
    ast: ast::ModModule,
    comments: Vec<ruff_text_size::TextRange>,
    line_starts: Vec<usize>,
    problem: Option<SyntaxProblem>,
}

impl Module {
    fn parse(rel: String, text: String) -> Module {
        let body = text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
        let parsed = ruff_python_parser::parse_unchecked_source(&body, ast::PySourceType::Python);
        let mut line_starts = vec![0];
        line_starts.extend(body.match_indices('\n').map(|(i, _)| i + 1));
        let comments = parsed
            .tokens()
            .iter()
            .filter(|t| t.kind() == TokenKind::Comment)
            .map(Ranged::range)
            .collect();
        let unclosed = parsed
            .errors()
            .first()
            .and_then(|e| unclosed_bracket(parsed.tokens(), e.location.start()));
        let mut m = Module {
            rel,
            text: body,
            ast: ast::ModModule {
                node_index: Default::default(),
                range: Default::default(),
                body: Default::default(),
            },
            comments,
            line_starts,
            problem: None,
        };
        m.problem = parsed.errors().first().map(|e| match unclosed {
            // Where the parser gave up is often lines below: name the bracket.
            Some((at, bracket)) if e.error.to_string().starts_with("Expected `") => SyntaxProblem {
                line: m.line(at),
                message: format!("`{bracket}` is never closed"),
            },
            _ => SyntaxProblem {
                line: m.line(e.location.start()),
                message: e.error.to_string(),
            },
        });
        m.ast = parsed.into_syntax();
        if m.problem.is_none() {
            m.problem = repeated_keyword(&m);
        }
        m
    }

    fn line(&self, at: TextSize) -> usize {
        let at = at.to_usize();
        self.line_starts.partition_point(|&s| s <= at)
    }

    /// This module's dotted package (`lib` for `lib/xray.py`, `lib` for
    /// `lib/__init__.py`, `` for `app.py`).
    fn package(&self) -> Vec<String> {
        let mut parts: Vec<String> = self.rel.split('/').map(str::to_string).collect();
        parts.pop();
        parts
    }

    /// The module-level function `name` (also one defined inside a `with`,
    /// `if` or `try` block at module level).
    fn function(&self, name: &str) -> Option<&ast::StmtFunctionDef> {
        fn find<'a>(stmts: &'a [Stmt], name: &str) -> Option<&'a ast::StmtFunctionDef> {
            let mut hit = None;
            for s in stmts {
                let found = match s {
                    Stmt::FunctionDef(f) if f.name.as_str() == name => Some(f),
                    Stmt::With(w) => find(&w.body, name),
                    Stmt::If(i) => find(&i.body, name)
                        .or_else(|| i.elif_else_clauses.iter().find_map(|c| find(&c.body, name))),
                    Stmt::Try(t) => find(&t.body, name).or_else(|| find(&t.orelse, name)),
                    _ => None,
                };
                // The last definition wins, as in Python.
                if found.is_some() {
                    hit = found;
                }
            }
            hit
        }
        find(&self.ast.body, name)
    }

    /// The `__init__` of the module-level class `name`.
    fn constructor(&self, name: &str) -> Option<&ast::StmtFunctionDef> {
        self.ast.body.iter().find_map(|s| match s {
            Stmt::ClassDef(c) if c.name.as_str() == name => c.body.iter().find_map(|s| match s {
                Stmt::FunctionDef(f) if f.name.as_str() == "__init__" => Some(f),
                _ => None,
            }),
            _ => None,
        })
    }

    /// What module-level imports bind each name to, as absolute dotted paths
    /// (`lib.xray` for `import lib.xray as x`; `lib.xray.init_xray` for
    /// `from lib.xray import init_xray`; `lib` for `import lib.xray`).
    fn bindings(&self) -> HashMap<String, String> {
        let mut out = HashMap::new();
        let mut visit = |s: &Stmt| match s {
            Stmt::Import(i) => {
                for a in &i.names {
                    match &a.asname {
                        Some(as_) => out.insert(as_.to_string(), a.name.to_string()),
                        None => {
                            let first = a.name.split('.').next().unwrap_or_default().to_string();
                            out.insert(first.clone(), first)
                        }
                    };
                }
            }
            Stmt::ImportFrom(i) => {
                let Some(base) = self.absolute(i) else { return };
                for a in &i.names {
                    if a.name.as_str() == "*" {
                        continue;
                    }
                    let bound = a.asname.as_ref().unwrap_or(&a.name).to_string();
                    out.insert(bound, join(&base, a.name.as_str()));
                }
            }
            _ => {}
        };
        for_each_module_level(&self.ast.body, &mut visit);
        out
    }

    /// The absolute dotted module of a `from ... import` (`None` when a
    /// relative import climbs above the backend directory).
    fn absolute(&self, i: &ast::StmtImportFrom) -> Option<String> {
        let module = i.module.as_ref().map(|m| m.to_string()).unwrap_or_default();
        if i.level == 0 {
            return Some(module);
        }
        let mut package = self.package();
        for _ in 1..i.level {
            package.pop()?;
        }
        let mut base = package.join(".");
        if !module.is_empty() {
            base = join(&base, &module);
        }
        Some(base)
    }
}

fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}.{b}")
    }
}

/// Calls `f` on every statement that runs at module level, in blocks included
/// (not in function or class bodies).
fn for_each_module_level<'a>(stmts: &'a [Stmt], f: &mut dyn FnMut(&'a Stmt)) {
    for s in stmts {
        f(s);
        match s {
            Stmt::With(w) => for_each_module_level(&w.body, f),
            Stmt::If(i) => {
                for_each_module_level(&i.body, f);
                for c in &i.elif_else_clauses {
                    for_each_module_level(&c.body, f);
                }
            }
            Stmt::Try(t) => {
                for_each_module_level(&t.body, f);
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    for_each_module_level(&h.body, f);
                }
                for_each_module_level(&t.orelse, f);
                for_each_module_level(&t.finalbody, f);
            }
            _ => {}
        }
    }
}

/// The innermost bracket still open at `at`, with where it opens.
fn unclosed_bracket(
    tokens: &ruff_python_ast::token::Tokens,
    at: TextSize,
) -> Option<(TextSize, char)> {
    let mut open: Vec<(TextSize, char)> = Vec::new();
    for t in tokens.iter().take_while(|t| t.start() < at) {
        match t.kind() {
            TokenKind::Lpar => open.push((t.start(), '(')),
            TokenKind::Lsqb => open.push((t.start(), '[')),
            TokenKind::Lbrace => open.push((t.start(), '{')),
            TokenKind::Rpar | TokenKind::Rsqb | TokenKind::Rbrace => {
                open.pop();
            }
            _ => {}
        }
    }
    open.pop()
}

/// Python's "keyword argument repeated", which the parser leaves to the compiler.
fn repeated_keyword(m: &Module) -> Option<SyntaxProblem> {
    struct V<'m> {
        m: &'m Module,
        hit: Option<SyntaxProblem>,
    }
    impl<'a> Visitor<'a> for V<'_> {
        fn visit_expr(&mut self, e: &'a Expr) {
            if let Expr::Call(c) = e {
                let mut seen = HashSet::new();
                for k in &c.arguments.keywords {
                    if let Some(arg) = &k.arg {
                        if !seen.insert(arg.as_str()) && self.hit.is_none() {
                            self.hit = Some(SyntaxProblem {
                                line: self.m.line(k.start()),
                                message: format!("keyword argument repeated: {arg}"),
                            });
                        }
                    }
                }
            }
            visitor::walk_expr(self, e);
        }
    }
    let mut v = V { m, hit: None };
    v.visit_body(&m.ast.body);
    v.hit
}

#[derive(Clone)]
struct Ctx {
    module: Rc<Module>,
    /// Set when this code never runs.
    dead: Option<Dead>,
    /// Where `app.py` leaves for another file on the way here.
    via: Option<(usize, String)>,
    depth: usize,
    /// The parameters of the function being walked that the call (or their
    /// default) sets to a false literal: `if xray_active:` never runs for
    /// `Telemetry(app, xray_active=False)`.
    off: Rc<HashSet<String>>,
}

impl Ctx {
    /// The context one hop further (a call or an import at `at` in this module).
    fn hop(&self, module: Rc<Module>, at: TextSize, what: impl FnOnce() -> String) -> Ctx {
        let via = match &self.via {
            Some(v) => Some(v.clone()),
            None if self.module.rel == "app.py" && module.rel != "app.py" => {
                Some((self.module.line(at), what()))
            }
            None => None,
        };
        Ctx {
            module,
            dead: self.dead.clone(),
            via,
            depth: self.depth + 1,
            off: Rc::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Status {
    Live(Option<(usize, String)>),
    Dead(Dead),
}

struct Walker<'r> {
    read: &'r dyn Fn(&str) -> Option<String>,
    modules: HashMap<String, Option<Rc<Module>>>,
    /// Modules whose body ran, in order.
    executed: Vec<String>,
    /// Functions already walked: (module, function, runs).
    walked: HashSet<(String, String, bool)>,
    /// Every setup call met: (file, offset) → marker and status.
    status: BTreeMap<(String, TextSize), (Marker, usize, Status)>,
    risks: std::collections::BTreeSet<RiskAt>,
}

impl Walker<'_> {
    fn module(&mut self, rel: &str) -> Option<Rc<Module>> {
        if let Some(m) = self.modules.get(rel) {
            return m.clone();
        }
        let m = (self.read)(rel).map(|text| Rc::new(Module::parse(rel.to_string(), text)));
        self.modules.insert(rel.to_string(), m.clone());
        m
    }

    /// The local file of a dotted module, if there is one.
    fn resolve(&mut self, dotted: &str) -> Option<Rc<Module>> {
        if dotted.is_empty() {
            return None;
        }
        let path = dotted.replace('.', "/");
        self.module(&format!("{path}.py"))
            .or_else(|| self.module(&format!("{path}/__init__.py")))
    }

    /// Runs an import of `dotted` (every package on the way, then the module).
    fn import(&mut self, dotted: &str, at: TextSize, ctx: &Ctx) {
        if ctx.dead.is_some() || ctx.depth >= MAX_DEPTH {
            return;
        }
        let parts: Vec<&str> = dotted.split('.').collect();
        for n in 1..=parts.len() {
            let prefix = parts[..n].join(".");
            if let Some(m) = self.resolve(&prefix) {
                if self.executed.contains(&m.rel) {
                    continue;
                }
                self.executed.push(m.rel.clone());
                let inner = ctx.hop(m.clone(), at, || format!("import {dotted}"));
                self.stmts(&m.ast.body, &inner);
            }
        }
    }

    fn stmts(&mut self, stmts: &[Stmt], ctx: &Ctx) {
        for s in stmts {
            self.stmt(s, ctx);
        }
    }

    fn stmt(&mut self, s: &Stmt, ctx: &Ctx) {
        match s {
            Stmt::FunctionDef(f) => {
                for d in &f.decorator_list {
                    self.exprs(&d.expression, ctx);
                    self.first_request_hook(&d.expression, ctx);
                    if is_hook(&d.expression) {
                        self.function_body(ctx.module.clone(), f, (s.start(), None), ctx);
                    }
                }
            }
            Stmt::ClassDef(c) => {
                for s in &c.body {
                    if !matches!(s, Stmt::FunctionDef(_)) {
                        self.stmt(s, ctx);
                    }
                }
            }
            Stmt::If(i) => {
                self.exprs(&i.test, ctx);
                let never = |test: &Expr, ctx: &Ctx| -> Ctx {
                    let mut c = ctx.clone();
                    let off = matches!(test, Expr::Name(n) if ctx.off.contains(n.id.as_str()));
                    if c.dead.is_none() && (is_falsy(test) || off) {
                        c.dead = Some(Dead::NeverTrue {
                            line: ctx.module.line(test.start()),
                        });
                    }
                    c
                };
                self.stmts(&i.body, &never(&i.test, ctx));
                for c in &i.elif_else_clauses {
                    match &c.test {
                        Some(t) => {
                            self.exprs(t, ctx);
                            self.stmts(&c.body, &never(t, ctx));
                        }
                        None => self.stmts(&c.body, ctx),
                    }
                }
            }
            Stmt::With(w) => {
                for item in &w.items {
                    self.exprs(&item.context_expr, ctx);
                }
                self.stmts(&w.body, ctx);
            }
            Stmt::Try(t) => {
                self.stmts(&t.body, ctx);
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    self.stmts(&h.body, ctx);
                }
                self.stmts(&t.orelse, ctx);
                self.stmts(&t.finalbody, ctx);
            }
            Stmt::For(f) => {
                self.exprs(&f.iter, ctx);
                self.stmts(&f.body, ctx);
                self.stmts(&f.orelse, ctx);
            }
            Stmt::While(w) => {
                self.exprs(&w.test, ctx);
                self.stmts(&w.body, ctx);
                self.stmts(&w.orelse, ctx);
            }
            Stmt::Match(m) => {
                self.exprs(&m.subject, ctx);
                for c in &m.cases {
                    self.stmts(&c.body, ctx);
                }
            }
            Stmt::Import(i) => {
                for a in &i.names {
                    self.import(a.name.as_str(), s.start(), ctx);
                }
            }
            Stmt::ImportFrom(i) => {
                let Some(base) = ctx.module.absolute(i) else {
                    return;
                };
                self.import(&base, s.start(), ctx);
                for a in &i.names {
                    // `from lib import xray`: the submodule runs too.
                    if a.name.as_str() != "*" && !base.is_empty() {
                        let sub = join(&base, a.name.as_str());
                        if self.resolve(&sub).is_some() {
                            self.import(&sub, s.start(), ctx);
                        }
                    } else if base.is_empty() {
                        self.import(a.name.as_str(), s.start(), ctx);
                    }
                }
            }
            other => self.exprs_of_stmt(other, ctx),
        }
    }

    /// The calls in a simple statement, in order.
    fn exprs_of_stmt(&mut self, s: &Stmt, ctx: &Ctx) {
        let mut c = Calls::default();
        c.visit_stmt(s);
        for call in c.found {
            self.call(call, ctx);
        }
    }

    fn exprs(&mut self, e: &Expr, ctx: &Ctx) {
        let mut c = Calls::default();
        c.visit_expr(e);
        for call in c.found {
            self.call(call, ctx);
        }
    }

    fn risk(&mut self, ctx: &Ctx, at: TextSize, risk: Risk) {
        if ctx.dead.is_none() {
            self.risks.insert(RiskAt {
                file: ctx.module.rel.clone(),
                line: ctx.module.line(at),
                risk,
            });
        }
    }

    fn first_request_hook(&mut self, e: &Expr, ctx: &Ctx) {
        let e = match e {
            Expr::Call(c) => &*c.func,
            other => other,
        };
        if matches!(e, Expr::Attribute(a) if a.attr.as_str() == "before_first_request") {
            self.risk(ctx, e.start(), Risk::BeforeFirstRequest);
        }
    }

    fn call(&mut self, call: &ast::ExprCall, ctx: &Ctx) {
        if let Some(marker) = Marker::of_call(&call.func) {
            if marker == Marker::CloudWatchLogHandler {
                let kw = |name: &str| {
                    call.arguments
                        .keywords
                        .iter()
                        .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == name))
                };
                if let Some(k) = kw("log_group") {
                    self.risk(ctx, k.start(), Risk::LogGroupKeyword);
                }
                if !kw("create_log_group").is_some_and(|k| is_falsy(&k.value))
                    && kw("log_group_retention_days").is_none()
                {
                    self.risk(ctx, call.start(), Risk::CreatesLogGroup);
                }
            }
            let key = (ctx.module.rel.clone(), call.start());
            let status = match &ctx.dead {
                None => Status::Live(ctx.via.clone()),
                Some(d) => Status::Dead(d.clone()),
            };
            let line = ctx.module.line(call.start());
            match self.status.get(&key) {
                Some((_, _, Status::Live(_))) => {}
                _ => {
                    self.status.insert(key, (marker, line, status));
                }
            }
            return;
        }
        // `app.before_first_request(setup)`: the function runs.
        if is_hook(&call.func) {
            self.first_request_hook(&call.func, ctx);
            if let Some(Expr::Name(n)) = call.arguments.args.first() {
                self.call_name(&[n.id.to_string()], call, ctx);
            }
            return;
        }
        if let Some(path) = dotted(&call.func) {
            self.call_name(&path, call, ctx);
        }
    }

    /// Follows a call of `a.b.f(...)` / `f(...)` into a local function.
    fn call_name(&mut self, path: &[String], call: &ast::ExprCall, ctx: &Ctx) {
        if ctx.depth >= MAX_DEPTH {
            return;
        }
        let module = ctx.module.clone();
        if path.len() == 1 {
            if let Some(f) = module.function(&path[0]) {
                self.function_body(module.clone(), f, (call.start(), Some(call)), ctx);
                return;
            }
            if let Some(init) = module.constructor(&path[0]) {
                self.method_body(module.clone(), init, call, ctx);
                return;
            }
        }
        let bindings = module.bindings();
        let Some(bound) = bindings.get(&path[0]) else {
            return;
        };
        let mut full: Vec<String> = bound.split('.').map(str::to_string).collect();
        full.extend(path[1..].iter().cloned());
        let Some((name, module_path)) = full.split_last() else {
            return;
        };
        let Some(target) = self.resolve(&module_path.join(".")) else {
            return;
        };
        if let Some(f) = target.function(name) {
            self.function_body(target.clone(), f, (call.start(), Some(call)), ctx);
        } else if let Some(init) = target.constructor(name) {
            self.method_body(target.clone(), init, call, ctx);
        }
    }

    /// A class's `__init__`, run by `Class(...)`: the call's arguments start
    /// after `self`.
    fn method_body(
        &mut self,
        module: Rc<Module>,
        init: &ast::StmtFunctionDef,
        call: &ast::ExprCall,
        ctx: &Ctx,
    ) {
        let key = (
            module.rel.clone(),
            init.name.to_string(),
            ctx.dead.is_none(),
        );
        if !self.walked.insert(key) {
            return;
        }
        let name = init.name.to_string();
        let mut inner = ctx.hop(module, call.start(), || format!("{name}(...)"));
        inner.off = Rc::new(false_parameters(init, call, 1));
        self.stmts(&init.body, &inner);
    }

    /// A function's body, run from `at` (by `call`, when it is a call).
    fn function_body(
        &mut self,
        module: Rc<Module>,
        f: &ast::StmtFunctionDef,
        (at, call): (TextSize, Option<&ast::ExprCall>),
        ctx: &Ctx,
    ) {
        let key = (module.rel.clone(), f.name.to_string(), ctx.dead.is_none());
        if !self.walked.insert(key) {
            return;
        }
        let name = f.name.to_string();
        let mut inner = ctx.hop(module, at, || format!("{name}(...)"));
        if let Some(call) = call {
            inner.off = Rc::new(false_parameters(f, call, 0));
        }
        self.stmts(&f.body, &inner);
    }

    fn finish(mut self) -> Detection {
        let mut d = Detection::default();
        // Setup calls in functions no running code reaches.
        let modules: Vec<Rc<Module>> = self
            .executed
            .iter()
            .filter_map(|rel| self.modules.get(rel).cloned().flatten())
            .collect();
        for m in &modules {
            let mut v = Unreached {
                m,
                stack: Vec::new(),
                found: Vec::new(),
            };
            v.visit_body(&m.ast.body);
            for (at, marker, function, def_line) in v.found {
                let key = (m.rel.clone(), at);
                self.status.entry(key).or_insert((
                    marker,
                    m.line(at),
                    Status::Dead(Dead::NeverCalled { function, def_line }),
                ));
            }
            for range in &m.comments {
                let text = &m.text[range.start().to_usize()..range.end().to_usize()];
                for marker in Marker::ALL {
                    if text.contains(marker.call()) {
                        d.dead.push((
                            Found {
                                marker,
                                file: m.rel.clone(),
                                line: m.line(range.start()),
                                via: None,
                            },
                            Dead::Commented,
                        ));
                    }
                }
            }
            if let Some(p) = &m.problem {
                d.syntax.push((m.rel.clone(), p.clone()));
            }
        }
        for ((file, _), (marker, line, status)) in self.status {
            match status {
                Status::Live(via) => d.live.push(Found {
                    marker,
                    file,
                    line,
                    via,
                }),
                Status::Dead(dead) => d.dead.push((
                    Found {
                        marker,
                        file,
                        line,
                        via: None,
                    },
                    dead,
                )),
            }
        }
        d.dead
            .sort_by(|a, b| (&a.0.file, a.0.line).cmp(&(&b.0.file, b.0.line)));
        d.risks = self.risks.into_iter().collect();
        d.followed = self
            .executed
            .into_iter()
            .filter(|r| r != "app.py")
            .collect();
        d
    }
}

/// `@app.before_first_request`, `@app.before_request` (also called, and as
/// `app.before_request(f)`): Flask runs the function for the requests.
fn is_hook(e: &Expr) -> bool {
    let e = match e {
        Expr::Call(c) => &*c.func,
        other => other,
    };
    matches!(e, Expr::Attribute(a) if matches!(
        a.attr.as_str(),
        "before_first_request" | "before_request" | "before_app_first_request" | "before_app_request"
    ))
}

/// The parameters of `f` that `call` (or, when it does not set them, their
/// default) sets to a false literal. `skip`: leading parameters the call does
/// not pass (`self`). Positional arguments after a `*args` are not matched.
fn false_parameters(
    f: &ast::StmtFunctionDef,
    call: &ast::ExprCall,
    skip: usize,
) -> HashSet<String> {
    let p = &f.parameters;
    let keyword = |name: &str| {
        call.arguments
            .keywords
            .iter()
            .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == name))
            .map(|k| &k.value)
    };
    let starred = call
        .arguments
        .args
        .iter()
        .position(|a| matches!(a, Expr::Starred(_)))
        .unwrap_or(call.arguments.args.len());
    let positional = p.posonlyargs.iter().chain(p.args.iter()).skip(skip);
    let mut out = HashSet::new();
    for (i, param) in positional.enumerate() {
        let name = param.parameter.name.as_str();
        let given = keyword(name).or_else(|| call.arguments.args[..starred].get(i));
        if given.or(param.default.as_deref()).is_some_and(is_falsy) {
            out.insert(name.to_string());
        }
    }
    for param in &p.kwonlyargs {
        let name = param.parameter.name.as_str();
        if keyword(name)
            .or(param.default.as_deref())
            .is_some_and(is_falsy)
        {
            out.insert(name.to_string());
        }
    }
    out
}

fn is_falsy(e: &Expr) -> bool {
    match e {
        Expr::BooleanLiteral(b) => !b.value,
        Expr::NoneLiteral(_) => true,
        Expr::NumberLiteral(n) => matches!(&n.value, ast::Number::Int(i) if i.as_u8() == Some(0)),
        _ => false,
    }
}

/// `a.b.f` → `["a", "b", "f"]`.
fn dotted(e: &Expr) -> Option<Vec<String>> {
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
struct Calls<'a> {
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

/// Every setup call inside a function, with the outermost function's name and line.
struct Unreached<'m> {
    m: &'m Module,
    stack: Vec<(String, usize)>,
    found: Vec<(TextSize, Marker, String, usize)>,
}

impl<'a> Visitor<'a> for Unreached<'_> {
    fn visit_stmt(&mut self, s: &'a Stmt) {
        if let Stmt::FunctionDef(f) = s {
            self.stack
                .push((f.name.to_string(), self.m.line(f.start())));
            visitor::walk_stmt(self, s);
            self.stack.pop();
        } else {
            visitor::walk_stmt(self, s);
        }
    }
    fn visit_expr(&mut self, e: &'a Expr) {
        if let Expr::Call(c) = e {
            if let (Some(marker), Some((name, line))) =
                (Marker::of_call(&c.func), self.stack.first())
            {
                self.found.push((c.start(), marker, name.clone(), *line));
            }
        }
        visitor::walk_expr(self, e);
    }
}

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

#[cfg(test)]
#[path = "python_tests.rs"]
mod tests;
