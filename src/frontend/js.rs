//! JavaScript as text, enough for what `frontend write` looks for: comments
//! blanked out, string literals, a module's relative imports, and the named
//! function a line is in (and whether anything calls it). No parser: the files
//! are the course's and its students' create-react-app code.

/// The named function whose body holds line `line` (1-based) of `text`, if
/// any: `function NAME(...) {`, `const NAME = (...) => {`, `const NAME =
/// function (...) {` (also `export`ed, `async`), with the body's `{` ending the
/// declaration's line; the innermost one.
pub(crate) fn enclosing_function(text: &str, line: usize) -> Option<String> {
    let code = code_only(text);
    let lines: Vec<&str> = code.lines().collect();
    let mut found: Option<(usize, String)> = None;
    for (i, decl) in lines.iter().enumerate().take(line) {
        let Some(name) = declared_function(decl) else {
            continue;
        };
        // The body: from this line's last `{` to its match.
        let mut depth = 0i64;
        let mut end = None;
        'scan: for (j, l) in lines.iter().enumerate().skip(i) {
            let l = if j == i {
                &l[l.rfind('{').unwrap_or(0)..]
            } else {
                l
            };
            for c in l.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(j + 1);
                            break 'scan;
                        }
                    }
                    _ => {}
                }
            }
        }
        if end.is_some_and(|end| i + 1 < line && line <= end) {
            found = Some((i, name));
        }
    }
    found.map(|(_, name)| name)
}

/// `NAME` when `line` declares a function whose body opens at its end.
fn declared_function(line: &str) -> Option<String> {
    let t = line.trim();
    if !t.ends_with('{') {
        return None;
    }
    let t = t.strip_prefix("export ").unwrap_or(t);
    let t = t.strip_prefix("default ").unwrap_or(t);
    let t = t.strip_prefix("async ").unwrap_or(t);
    let ident = |s: &str| -> Option<String> {
        let name: String = s
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '$')
            .collect();
        (!name.is_empty()).then_some(name)
    };
    if let Some(rest) = t.strip_prefix("function") {
        return ident(rest.trim_start_matches('*').trim_start());
    }
    let rest = ["const ", "let ", "var "]
        .iter()
        .find_map(|k| t.strip_prefix(k))?;
    let name = ident(rest)?;
    let value = rest[name.len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let value = value.strip_prefix("async").map_or(value, str::trim_start);
    (value.starts_with("function") || value.contains("=>")).then_some(name)
}

/// Whether `name` is used in `code` (comments blanked) other than where it is
/// declared, imported or exported: a call, a JSX tag, a callback passed on.
pub(crate) fn is_used(name: &str, code: &str) -> bool {
    code.lines().any(|line| {
        let t = line.trim_start();
        if t.starts_with("import ")
            || t.starts_with("export {")
            || declared_function(line).as_deref() == Some(name)
            || (t.starts_with("function ") || t.starts_with("export function "))
                && t.contains(&format!("function {name}("))
        {
            return false;
        }
        line.match_indices(name).any(|(at, _)| {
            let before = line[..at].chars().next_back();
            let after = line[at + name.len()..].chars().next();
            let word = |c: Option<char>| {
                c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
            };
            !word(before) && !word(after)
        })
    })
}

/// The other names `name`, exported by the module whose file stem is `stem`,
/// is imported under in `code`: `import { name as other }`, and for a default
/// export (`default_export`) the default binding of `import other from
/// './stem'`.
pub(crate) fn import_aliases(
    name: &str,
    stem: &str,
    default_export: bool,
    code: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    for line in code.lines() {
        let t = line.trim();
        let Some(rest) = t.strip_prefix("import ") else {
            continue;
        };
        let Some((bindings, from)) = rest.rsplit_once(" from ") else {
            continue;
        };
        let spec = string_literals(from).into_iter().next().unwrap_or_default();
        let file = spec.rsplit('/').next().unwrap_or_default();
        let file = file.split('.').next().unwrap_or_default();
        if !spec.starts_with('.') || (file != stem && !(file == "index" && stem == "index")) {
            continue;
        }
        let (default, named) = match bindings.split_once('{') {
            Some((d, n)) => (
                d.trim().trim_end_matches(','),
                n.split('}').next().unwrap_or(""),
            ),
            None => (bindings.trim(), ""),
        };
        if default_export && !default.is_empty() && !default.starts_with('*') {
            out.push(default.trim().to_string());
        }
        for item in named.split(',') {
            if let Some((from, to)) = item.split_once(" as ") {
                if from.trim() == name {
                    out.push(to.trim().to_string());
                }
            }
        }
    }
    out
}

/// `text` with its `//` and `/* */` comments blanked out (newlines kept, so
/// line numbers stay), strings and template literals kept as they are.
pub(crate) fn code_only(text: &str) -> String {
    #[derive(PartialEq)]
    enum In {
        Code,
        Str(char),
        Line,
        Block,
    }
    let mut out = String::with_capacity(text.len());
    let mut state = In::Code;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match state {
            In::Code => match (c, chars.peek()) {
                ('/', Some('/')) => {
                    state = In::Line;
                    out.push(' ');
                }
                ('/', Some('*')) => {
                    chars.next();
                    state = In::Block;
                    out.push_str("  ");
                }
                ('\'' | '"' | '`', _) => {
                    state = In::Str(c);
                    out.push(c);
                }
                _ => out.push(c),
            },
            In::Str(quote) => {
                out.push(c);
                if c == '\\' {
                    out.extend(chars.next());
                } else if c == quote || (c == '\n' && quote != '`') {
                    state = In::Code;
                }
            }
            In::Line => {
                if c == '\n' {
                    state = In::Code;
                    out.push('\n');
                } else {
                    out.push(' ');
                }
            }
            In::Block => {
                if c == '*' && chars.peek() == Some(&'/') {
                    chars.next();
                    state = In::Code;
                    out.push_str("  ");
                } else {
                    out.push(if c == '\n' { '\n' } else { ' ' });
                }
            }
        }
    }
    out
}

/// The relative modules `text` imports (`import x from './x'`, `import './x'`,
/// `require('./x')`), as written: where a hand setup may be.
pub(crate) fn local_imports(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in code_only(text).lines() {
        let code = line.trim();
        let from = if code.starts_with("import") {
            code.rfind(" from ")
                .map(|at| &code[at + " from ".len()..])
                .or_else(|| code.strip_prefix("import"))
        } else if let Some(at) = code.find("} from ") {
            // The last line of an import over several lines.
            Some(&code[at + "} from ".len()..])
        } else {
            code.find("require(")
                .map(|at| &code[at + "require(".len()..])
        };
        let Some(spec) = from.and_then(|f| string_literals(f.trim()).into_iter().next()) else {
            continue;
        };
        if spec.starts_with('.') && !out.iter().any(|o| o == spec) {
            out.push(spec.to_string());
        }
    }
    out
}

/// The contents of the `'...'`, `"..."` and `` `...` `` strings of one line
/// (no escapes inside: keys have none).
pub(crate) fn string_literals(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find(['\'', '"', '`']) {
        let quote = rest[start..].chars().next().unwrap_or('\'');
        let after = &rest[start + 1..];
        match after.find(quote) {
            Some(end) => {
                out.push(&after[..end]);
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::tracing_file::setup_line;

    #[test]
    fn comments_are_blanked_and_lines_kept() {
        let text = "a /* x\ny */ b // c\n'//' \"/*\" `\n//`\n";
        let code = code_only(text);
        assert_eq!(code.lines().count(), text.lines().count());
        assert_eq!(code, "a     \n     b     \n'//' \"/*\" `\n//`\n");
        assert_eq!(
            setup_line("/*\nnew WebTracerProvider()\n*/\nimport x from './x';\n"),
            None
        );
        assert!(local_imports("/* import './tracing'; */\n// import './b';\n").is_empty());
    }

    #[test]
    fn a_setup_inside_a_function_is_known_by_the_functions_name() {
        let text = "import { WebTracerProvider } from '@opentelemetry/sdk-trace-web';\n\nexport const initInstrumentation = () => {\n  const provider = new WebTracerProvider({});\n  provider.register();\n};\n";
        assert_eq!(
            enclosing_function(text, 4).as_deref(),
            Some("initInstrumentation")
        );
        assert_eq!(enclosing_function(text, 1), None);
        let component = "export default function TraceProvider({ children }) {\n  useEffect(() => {\n    new WebTracerProvider();\n  }, []);\n  return children;\n}\n";
        assert_eq!(
            enclosing_function(component, 3).as_deref(),
            Some("TraceProvider")
        );
        // Top level: no function.
        assert_eq!(
            enclosing_function("const p = new WebTracerProvider();\n", 1),
            None
        );
        // Used: a call, a JSX tag; not used: an import, a comment, the declaration.
        let index =
            "import { initInstrumentation } from './instrumentation';\n//initInstrumentation();\n";
        assert!(!is_used("initInstrumentation", &code_only(index)));
        assert!(!is_used("initInstrumentation", &code_only(text)));
        assert!(is_used("initInstrumentation", "initInstrumentation();\n"));
        assert!(is_used(
            "TraceProvider",
            "root.render(<TraceProvider><App /></TraceProvider>);\n"
        ));
        assert!(!is_used("TraceProvider", "const TraceProviderX = 1;\n"));
    }

    #[test]
    fn a_function_is_known_under_the_names_it_is_imported_as() {
        let code = "import { initInstrumentation as startTracing, other } from './instrumentation';\nimport setupTracing from './tracing.js';\nimport React from 'react';\n";
        assert_eq!(
            import_aliases("initInstrumentation", "instrumentation", false, code),
            ["startTracing"]
        );
        assert_eq!(
            import_aliases("setup", "tracing", true, code),
            ["setupTracing"]
        );
        assert!(import_aliases("setup", "tracing", false, code).is_empty());
        assert!(import_aliases("React", "react", true, code).is_empty());
    }

    #[test]
    fn local_imports_are_the_relative_ones() {
        let text = "import React from 'react';\nimport App from './App';\nimport \"./otel\";\n// import './old';\nconst x = require('../lib/x');\nimport { a,\n  b } from './ab';\n";
        assert_eq!(local_imports(text), ["./App", "./otel", "../lib/x", "./ab"]);
    }
}
