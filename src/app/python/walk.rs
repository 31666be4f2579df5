//! The walk that runs the code as the interpreter would at import: module
//! bodies, the local functions and constructors they call, hooks Flask runs;
//! setup calls it meets are live, those it never reaches are dead.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextSize};

use super::*;

#[derive(Clone)]
pub(super) struct Ctx {
    pub(super) module: Rc<Module>,
    /// Set when this code never runs.
    pub(super) dead: Option<Dead>,
    /// Where `app.py` leaves for another file on the way here.
    pub(super) via: Option<(usize, String)>,
    pub(super) depth: usize,
    /// The parameters of the function being walked that the call (or their
    /// default) sets to a false literal: `if xray_active:` never runs for
    /// `Telemetry(app, xray_active=False)`.
    pub(super) off: Rc<HashSet<String>>,
}

impl Ctx {
    /// The context one hop further (a call or an import at `at` in this module).
    pub(super) fn hop(
        &self,
        module: Rc<Module>,
        at: TextSize,
        what: impl FnOnce() -> String,
    ) -> Ctx {
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
pub(super) enum Status {
    Live(Option<(usize, String)>),
    Dead(Dead),
}

pub(super) struct Walker<'r> {
    pub(super) read: &'r dyn Fn(&str) -> Option<String>,
    pub(super) modules: HashMap<String, Option<Rc<Module>>>,
    /// Modules whose body ran, in order.
    pub(super) executed: Vec<String>,
    /// Functions already walked: (module, function, runs).
    pub(super) walked: HashSet<(String, String, bool)>,
    /// Every setup call met: (file, offset) → marker and status.
    pub(super) status: BTreeMap<(String, TextSize), (Marker, usize, Status)>,
    pub(super) risks: std::collections::BTreeSet<RiskAt>,
}

impl Walker<'_> {
    pub(super) fn module(&mut self, rel: &str) -> Option<Rc<Module>> {
        if let Some(m) = self.modules.get(rel) {
            return m.clone();
        }
        let m = (self.read)(rel).map(|text| Rc::new(Module::parse(rel.to_string(), text)));
        self.modules.insert(rel.to_string(), m.clone());
        m
    }

    /// The local file of a dotted module, if there is one.
    pub(super) fn resolve(&mut self, dotted: &str) -> Option<Rc<Module>> {
        if dotted.is_empty() {
            return None;
        }
        let path = dotted.replace('.', "/");
        self.module(&format!("{path}.py"))
            .or_else(|| self.module(&format!("{path}/__init__.py")))
    }

    /// Runs an import of `dotted` (every package on the way, then the module).
    pub(super) fn import(&mut self, dotted: &str, at: TextSize, ctx: &Ctx) {
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

    pub(super) fn stmts(&mut self, stmts: &[Stmt], ctx: &Ctx) {
        for s in stmts {
            self.stmt(s, ctx);
        }
    }

    pub(super) fn stmt(&mut self, s: &Stmt, ctx: &Ctx) {
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
    pub(super) fn exprs_of_stmt(&mut self, s: &Stmt, ctx: &Ctx) {
        let mut c = Calls::default();
        c.visit_stmt(s);
        for call in c.found {
            self.call(call, ctx);
        }
    }

    pub(super) fn exprs(&mut self, e: &Expr, ctx: &Ctx) {
        let mut c = Calls::default();
        c.visit_expr(e);
        for call in c.found {
            self.call(call, ctx);
        }
    }

    pub(super) fn risk(&mut self, ctx: &Ctx, at: TextSize, risk: Risk) {
        if ctx.dead.is_none() {
            self.risks.insert(RiskAt {
                file: ctx.module.rel.clone(),
                line: ctx.module.line(at),
                risk,
            });
        }
    }

    pub(super) fn first_request_hook(&mut self, e: &Expr, ctx: &Ctx) {
        let e = match e {
            Expr::Call(c) => &*c.func,
            other => other,
        };
        if matches!(e, Expr::Attribute(a) if a.attr.as_str() == "before_first_request") {
            self.risk(ctx, e.start(), Risk::BeforeFirstRequest);
        }
    }

    pub(super) fn call(&mut self, call: &ast::ExprCall, ctx: &Ctx) {
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
    pub(super) fn call_name(&mut self, path: &[String], call: &ast::ExprCall, ctx: &Ctx) {
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
    pub(super) fn method_body(
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
    pub(super) fn function_body(
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

    pub(super) fn finish(mut self) -> Detection {
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
pub(super) fn is_hook(e: &Expr) -> bool {
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
pub(super) fn false_parameters(
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

/// Every setup call inside a function, with the outermost function's name and line.
pub(super) struct Unreached<'m> {
    pub(super) m: &'m Module,
    pub(super) stack: Vec<(String, usize)>,
    pub(super) found: Vec<(TextSize, Marker, String, usize)>,
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
