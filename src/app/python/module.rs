//! One parsed Python file: its syntax tree, comments, line numbers, what its
//! imports bind, and the syntax problems worth naming.

use std::collections::{HashMap, HashSet};

use ruff_python_ast::token::TokenKind;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextSize};

use super::*;

/// A parsed file.
pub(super) struct Module {
    pub(super) rel: String,
    pub(super) text: String,
    pub(super) ast: ast::ModModule,
    pub(super) comments: Vec<ruff_text_size::TextRange>,
    pub(super) line_starts: Vec<usize>,
    pub(super) problem: Option<SyntaxProblem>,
}

impl Module {
    pub(super) fn parse(rel: String, text: String) -> Module {
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

    pub(super) fn line(&self, at: TextSize) -> usize {
        let at = at.to_usize();
        self.line_starts.partition_point(|&s| s <= at)
    }

    /// This module's dotted package (`lib` for `lib/xray.py`, `lib` for
    /// `lib/__init__.py`, `` for `app.py`).
    pub(super) fn package(&self) -> Vec<String> {
        let mut parts: Vec<String> = self.rel.split('/').map(str::to_string).collect();
        parts.pop();
        parts
    }

    /// The module-level function `name` (also one defined inside a `with`,
    /// `if` or `try` block at module level).
    pub(super) fn function(&self, name: &str) -> Option<&ast::StmtFunctionDef> {
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
    pub(super) fn constructor(&self, name: &str) -> Option<&ast::StmtFunctionDef> {
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
    pub(super) fn bindings(&self) -> HashMap<String, String> {
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
    pub(super) fn absolute(&self, i: &ast::StmtImportFrom) -> Option<String> {
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

pub(super) fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}.{b}")
    }
}

/// Calls `f` on every statement that runs at module level, in blocks included
/// (not in function or class bodies).
pub(super) fn for_each_module_level<'a>(stmts: &'a [Stmt], f: &mut dyn FnMut(&'a Stmt)) {
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
pub(super) fn unclosed_bracket(
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
pub(super) fn repeated_keyword(m: &Module) -> Option<SyntaxProblem> {
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
