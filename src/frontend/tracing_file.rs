//! `src/tracing.js` (`src/tracing.ts` in a TypeScript app): the module from
//! `templates/`, and what a tracing setup written by hand looks like.
//!
//! A hand setup (a `WebTracerProvider` made anywhere the entry point runs) is
//! kept and reported: a second provider would double every span. Browser code
//! is public — everything in it reaches every visitor — so a Honeycomb key in it
//! is a leaked key: a literal key, or a `x-honeycomb-team` header from a
//! `REACT_APP_*` variable (which the build inlines), is named, masked, with the
//! advice to rotate it.

use crate::honeycomb::{key_kind, KeyKind};
use crate::secret::mask;

/// The module for a JavaScript app, compiled into the binary.
pub(crate) const TEMPLATE_JS: &str = include_str!("../../templates/tracing.js");
/// The same for a TypeScript app (typed parameters, nothing else differs).
pub(crate) const TEMPLATE_TS: &str = include_str!("../../templates/tracing.ts");

/// The template for the app.
pub(crate) fn template(typescript: bool) -> &'static str {
    if typescript {
        TEMPLATE_TS
    } else {
        TEMPLATE_JS
    }
}

/// What sets tracing up by hand, as code says it.
const SETUP_CALLS: [&str; 3] = [
    "WebTracerProvider(",
    "registerInstrumentations(",
    "HoneycombWebSDK(",
];

/// The 1-based line of the first tracing setup in `text` (outside comments), if
/// any: `new WebTracerProvider(`, `registerInstrumentations(`, Honeycomb's
/// `new HoneycombWebSDK(`.
pub(crate) fn setup_line(text: &str) -> Option<(usize, &'static str)> {
    code_only(text).lines().enumerate().find_map(|(i, code)| {
        SETUP_CALLS
            .iter()
            .find(|call| code.contains(*call))
            .map(|call| (i + 1, *call))
    })
}

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

/// Whether `text` is one of our templates (any version's: it says it was
/// written by cruddur-obs on its first line).
pub(crate) fn is_ours(text: &str) -> bool {
    text.lines()
        .next()
        .is_some_and(|l| l.contains("(written by cruddur-obs"))
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

/// A Honeycomb key the browser would receive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Leak {
    /// A key written in the file: line, and the key's masked form.
    Literal { line: usize, masked: String },
    /// A Honeycomb key read from a variable the build inlines (the header's
    /// value, the SDK's `apiKey`, or any `REACT_APP_*HONEYCOMB*KEY*`).
    Inlined { line: usize, variable: String },
    /// The key's place (the header, the SDK's `apiKey`) set from code: whatever
    /// key it holds is sent from, and so is in, the browser.
    Sent { line: usize, what: &'static str },
}

impl Leak {
    /// The note for it, naming `file`.
    pub(crate) fn note(&self, file: &str, bundled: bool) -> String {
        // A module nothing imports is not built into the bundle, but it is in
        // the repository, and in the bundle as soon as something imports it.
        let shipped = if bundled {
            "in the JavaScript every visitor downloads"
        } else {
            "in the repository (and in every visitor's JavaScript once imported)"
        };
        match self {
            Leak::Literal { line, masked } => format!(
                "{file}:{line}: a Honeycomb API key is written here ({masked}): it is \
                 {shipped} — rotate it in Honeycomb (Environment settings → API keys), remove it \
                 from this file and from git's history, and let the collector hold the key \
                 (`cruddur-obs compose write --via collector`)"
            ),
            Leak::Inlined { line, variable } if bundled => format!(
                "{file}:{line}: a Honeycomb key is read from {variable}, whose value the build \
                 copies into the JavaScript every visitor downloads — rotate that key in \
                 Honeycomb, unset {variable}, and let the collector hold the key \
                 (`cruddur-obs compose write --via collector`)"
            ),
            Leak::Sent { line, what } => format!(
                "{file}:{line}: {what} is set in browser code: the Honeycomb key it carries is \
                 {shipped} — rotate that key in Honeycomb if it was, send the spans to the \
                 collector instead (it holds the key: `cruddur-obs compose write --via \
                 collector`) and remove the key from the frontend"
            ),
            Leak::Inlined { line, variable } => format!(
                "{file}:{line}: a Honeycomb key is read from {variable}, whose value the build \
                 copies into every visitor's JavaScript once this module is imported — unset \
                 {variable} and let the collector hold the key \
                 (`cruddur-obs compose write --via collector`)"
            ),
        }
    }
}

/// The Honeycomb keys `text` gives away: string literals shaped like a key,
/// and whatever the `x-honeycomb-team` header is set from. Each literal is
/// registered as a secret at once, so that no output shows it.
pub(crate) fn leaks(text: &str) -> Vec<Leak> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let stripped = code_only(text);
    let code: Vec<&str> = stripped.lines().collect();
    // `apiKey` counts in a file about Honeycomb (its SDK, or its endpoint).
    let honeycomb = text.to_ascii_lowercase().contains("honeycomb");
    for (i, line) in lines.iter().enumerate() {
        let number = i + 1;
        for literal in string_literals(line) {
            if looks_like_ingest_key(literal) {
                crate::secret::register_secret(literal);
                out.push(Leak::Literal {
                    line: number,
                    masked: mask(literal),
                });
            }
        }
        let lower = line.to_ascii_lowercase();
        // The key's places: the header, and Honeycomb's own SDK's `apiKey`.
        let Some((at, marker)) = std::iter::once("x-honeycomb-team")
            .chain(honeycomb.then_some("apikey"))
            .find_map(|m| lower.find(m).map(|at| (at, m)))
        else {
            if let Some(var) = honeycomb_variable(code.get(i).copied().unwrap_or_default()) {
                out.push(Leak::Inlined {
                    line: number,
                    variable: var.to_string(),
                });
            }
            continue;
        };
        // The value: the rest of this line, or the next line when it is empty.
        // Past the name's closing quote and the separator (`:`, `=` or the
        // `,` of `headers.set(...)`), not into the value's opening quote.
        let after = &line[at + marker.len()..];
        let after = after
            .strip_prefix(['\'', '"', '`'])
            .unwrap_or(after)
            .trim_start();
        let separated = after.starts_with([':', '=', ',']);
        let after = after.strip_prefix([':', '=', ',']).unwrap_or(after);
        let mut rest = after.trim_start();
        let mut value_line = number;
        if rest.trim().is_empty() {
            rest = lines.get(i + 1).copied().unwrap_or_default();
            value_line = number + 1;
        }
        if let Some(var) = inlined_variable(rest)
            .or_else(|| honeycomb_variable(code.get(i).copied().unwrap_or_default()))
        {
            out.push(Leak::Inlined {
                line: value_line,
                variable: var.to_string(),
            });
            continue;
        }
        let already = out
            .iter()
            .any(|l| matches!(l, Leak::Literal { line, .. } if *line == value_line));
        let rest = rest.trim_start();
        let quoted = rest.starts_with(['\'', '"', '`']);
        if let Some(literal) = string_literals(rest).into_iter().next().filter(|_| quoted) {
            let placeholder = literal.is_empty()
                || literal.starts_with('<')
                || literal.starts_with("${")
                || literal.to_ascii_uppercase().contains("YOUR");
            if !already && !placeholder {
                crate::secret::register_secret(literal);
                out.push(Leak::Literal {
                    line: value_line,
                    masked: mask(literal),
                });
            }
        } else if separated
            && rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$')
            && code
                .get(i)
                .is_some_and(|c| c.to_ascii_lowercase().contains(marker))
        {
            let token_end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '-'))
                .unwrap_or(rest.len());
            let token = &rest[..token_end];
            let closes = rest[token_end..].starts_with(['\'', '"', '`']);
            if closes && token.len() >= 16 {
                // `"x-honeycomb-team=KEY"`: the exporter-headers string form.
                crate::secret::register_secret(token);
                out.push(Leak::Literal {
                    line: value_line,
                    masked: mask(token),
                });
            } else if let Some((line, literal)) = assigned_literal(&lines, token) {
                // `const KEY = "...";` then `"x-honeycomb-team": KEY`.
                crate::secret::register_secret(literal);
                out.push(Leak::Literal {
                    line,
                    masked: mask(literal),
                });
            } else {
                // From a variable or a call: whatever it holds is sent from the browser.
                out.push(Leak::Sent {
                    line: value_line,
                    what: if marker == "apikey" {
                        "HoneycombWebSDK's apiKey"
                    } else {
                        "the x-honeycomb-team header"
                    },
                });
            }
        }
    }
    out.dedup();
    out
}

/// The line (1-based) and the string `name` is set to in `lines` (`const NAME =
/// "..."`, `NAME: '...'`), when it is one and not a placeholder.
fn assigned_literal<'t>(lines: &[&'t str], name: &str) -> Option<(usize, &'t str)> {
    lines.iter().enumerate().find_map(|(i, line)| {
        let at = line.find(name)?;
        let before = line[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            return None;
        }
        let rest = line[at + name.len()..].trim_start();
        let rest = rest.strip_prefix(['=', ':'])?.trim_start();
        if !rest.starts_with(['\'', '"', '`']) {
            return None;
        }
        let literal = string_literals(rest).into_iter().next()?;
        let placeholder = literal.len() < 16
            || literal.starts_with('<')
            || literal.contains("${")
            || literal.to_ascii_uppercase().contains("YOUR");
        (!placeholder).then_some((i + 1, literal))
    })
}

/// A literal a Honeycomb key of the kinds that send data: a classic key (32 hex
/// digits) or an ingest key (`hcaik_…`, `hcxik_…`). (A 22-character configuration
/// key's shape is too common to tell without the header.)
fn looks_like_ingest_key(literal: &str) -> bool {
    matches!(
        key_kind(literal),
        KeyKind::Classic | KeyKind::Ingest | KeyKind::ClassicIngest
    )
}

/// `NAME` of a `process.env.NAME` / `import.meta.env.NAME` at the start of `text`
/// (after quotes, a colon or spaces).
fn inlined_variable(text: &str) -> Option<&str> {
    let text = text.trim_start();
    // A template literal around it: `${process.env.X}`.
    let text = text.strip_prefix("`${").unwrap_or(text);
    let rest = text
        .strip_prefix("process.env.")
        .or_else(|| text.strip_prefix("import.meta.env."))?;
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    Some(&rest[..end]).filter(|n| !n.is_empty())
}

/// A `REACT_APP_…` (or `VITE_…`) variable named for a Honeycomb key, read in
/// `code` (a line without comments): the build copies its value into the bundle.
fn honeycomb_variable(code: &str) -> Option<&str> {
    ["process.env.", "import.meta.env."]
        .iter()
        .find_map(|prefix| {
            code.match_indices(prefix).find_map(|(at, _)| {
                let name = inlined_variable(&code[at..])?;
                let upper = name.to_ascii_uppercase();
                (upper.contains("HONEYCOMB") && upper.contains("KEY")).then_some(name)
            })
        })
}

/// The contents of the `'...'`, `"..."` and `` `...` `` strings of one line
/// (no escapes inside: keys have none).
fn string_literals(line: &str) -> Vec<&str> {
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

    const HAND: &str = include_str!("../../tests/fixtures/frontends/hand-tracing/src/tracing.js");
    const KEY: &str = "hcaik_01pastedpastedpastedpastedpastedpastedpastedpastedq7w3x9z2";

    #[test]
    fn the_templates_are_ours_and_set_tracing_up_without_a_secret() {
        for t in [TEMPLATE_JS, TEMPLATE_TS] {
            assert!(is_ours(t));
            assert!(setup_line(t).is_some());
            assert!(leaks(t).is_empty());
            assert!(!t.contains("x-honeycomb-team"));
            assert!(!t.contains(":443"));
            for needle in [
                "resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'frontend-react-js' })",
                "spanProcessors: [",
                "new BatchSpanProcessor(new OTLPTraceExporter({ url: `${collectorUrl}/v1/traces` }))",
                "provider.register({ contextManager: new ZoneContextManager() });",
                "new DocumentLoadInstrumentation()",
                "propagateTraceHeaderCorsUrls: backendUrl ? [urlsUnder(backendUrl)] : []",
                "ignoreUrls: [urlsUnder(collectorUrl)]",
                "process.env.REACT_APP_OTEL_COLLECTOR_URL",
                "process.env.REACT_APP_BACKEND_URL",
                "if (collectorUrl) {",
            ] {
                assert!(t.contains(needle), "{needle}");
            }
            // Every package imported is one package.json gets.
            for line in t.lines().filter(|l| l.starts_with("import ")) {
                let from = line.split('\'').nth(1).unwrap_or_default();
                assert!(
                    crate::frontend::PACKAGES.iter().any(|(n, _)| *n == from),
                    "{from}"
                );
            }
        }
        assert_eq!(
            TEMPLATE_TS
                .replace(": string | undefined): string", ")")
                .replace("(base: string): RegExp", "(base)"),
            TEMPLATE_JS
        );
        assert_eq!(template(true), TEMPLATE_TS);
    }

    #[test]
    fn the_hand_setup_is_found_and_its_pasted_key_masked() {
        assert_eq!(setup_line(HAND), Some((15, "WebTracerProvider(")));
        assert!(!is_ours(HAND));
        let found = leaks(HAND);
        assert_eq!(
            found,
            [Leak::Literal {
                line: 12,
                masked: "hcaik_…x9z2".into()
            }]
        );
        let note = found[0].note("frontend-react-js/src/tracing.js", true);
        assert!(note.starts_with("frontend-react-js/src/tracing.js:12: a Honeycomb API key is written here (hcaik_…x9z2)"));
        assert!(!note.contains(KEY));
        assert!(note.contains("rotate"));
    }

    #[test]
    fn a_header_from_an_inlined_variable_or_any_literal_is_a_leak() {
        let text =
            "headers: {\n  'x-honeycomb-team': process.env.REACT_APP_HONEYCOMB_API_KEY,\n}\n";
        assert_eq!(
            leaks(text),
            [Leak::Inlined {
                line: 2,
                variable: "REACT_APP_HONEYCOMB_API_KEY".into()
            }]
        );
        let text = "headers: {\n  \"x-honeycomb-team\":\n    \"AbCdEfGhIjKlMnOpQrStUv\"\n}\n";
        assert_eq!(
            leaks(text),
            [Leak::Literal {
                line: 3,
                masked: "…StUv".into()
            }]
        );
        // A classic key anywhere; placeholders are not keys; one leak per line.
        let classic = "0123456789abcdef0123456789abcdef";
        assert_eq!(leaks(&format!("const k = '{classic}';")).len(), 1);
        assert!(leaks("'x-honeycomb-team': '<YOUR_API_KEY>'").is_empty());
        assert_eq!(leaks(&format!("'x-honeycomb-team': '{KEY}'")).len(), 1);
        // A 22-character key on the header's own line, in each way it is written.
        for line in [
            "    \"x-honeycomb-team\": \"QaW0plvcxAlujKe55btZsH\",",
            "  'x-honeycomb-team': 'QaW0plvcxAlujKe55btZsH'",
            "headers.set('x-honeycomb-team', 'QaW0plvcxAlujKe55btZsH');",
        ] {
            assert_eq!(
                leaks(line),
                [Leak::Literal {
                    line: 1,
                    masked: "…tZsH".into()
                }],
                "{line}"
            );
        }
        // A template literal around the variable.
        assert_eq!(
            leaks("  \"x-honeycomb-team\": `${process.env.REACT_APP_HONEYCOMB_API_KEY}`,"),
            [Leak::Inlined {
                line: 1,
                variable: "REACT_APP_HONEYCOMB_API_KEY".into()
            }]
        );
    }

    #[test]
    fn honeycombs_own_sdk_and_any_inlined_key_variable_are_leaks() {
        let sdk = "import { HoneycombWebSDK } from '@honeycombio/opentelemetry-web';\nconst sdk = new HoneycombWebSDK({\n  apiKey: process.env.REACT_APP_HONEYCOMB_API_KEY,\n  serviceName: 'frontend-react-js',\n});\n";
        assert_eq!(
            leaks(sdk),
            [Leak::Inlined {
                line: 3,
                variable: "REACT_APP_HONEYCOMB_API_KEY".into()
            }]
        );
        let pasted = sdk.replace(
            "process.env.REACT_APP_HONEYCOMB_API_KEY",
            "'QaW0plvcxAlujKe55btZsH'",
        );
        assert_eq!(
            leaks(&pasted),
            [Leak::Literal {
                line: 3,
                masked: "…tZsH".into()
            }]
        );
        // Read anywhere, under any name that says what it is.
        assert_eq!(
            leaks("const key = process.env.REACT_APP_HONEYCOMB_KEY;\n"),
            [Leak::Inlined {
                line: 1,
                variable: "REACT_APP_HONEYCOMB_KEY".into()
            }]
        );
        // Not a Honeycomb file: `apiKey` is someone else's; a comment is not code.
        assert!(leaks("firebase({ apiKey: 'QaW0plvcxAlujKe55btZsH' })\n").is_empty());
        assert!(leaks("// const k = process.env.REACT_APP_HONEYCOMB_API_KEY\n").is_empty());
        assert!(leaks("const url = process.env.REACT_APP_BACKEND_URL;\n").is_empty());
        // The header or apiKey from a variable or a call: sent from the browser.
        assert_eq!(
            leaks("headers: {\n  'x-honeycomb-team': honeycombKey,\n}\n"),
            [Leak::Sent {
                line: 2,
                what: "the x-honeycomb-team header"
            }]
        );
        assert_eq!(
            leaks("new HoneycombWebSDK({ apiKey: keyFor('web') })\n"),
            [Leak::Sent {
                line: 1,
                what: "HoneycombWebSDK's apiKey"
            }]
        );
        // Through a constant, or in the exporter-headers string form: the key itself.
        assert_eq!(
            leaks("const HONEYCOMB_API_KEY = \"QaW0plvcxAlujKe55btZsH\";\nconst h = { \"x-honeycomb-team\": HONEYCOMB_API_KEY };\n"),
            [Leak::Literal {
                line: 1,
                masked: "…tZsH".into()
            }]
        );
        assert_eq!(
            leaks("new OTLPTraceExporter({ headers: \"x-honeycomb-team=QaW0plvcxAlujKe55btZsH\" });\n"),
            [Leak::Literal {
                line: 1,
                masked: "…tZsH".into()
            }]
        );
        // Words about the header, in a comment or a message, are not a header.
        assert!(leaks("// 'x-honeycomb-team': honeycombKey\n").is_empty());
        assert!(leaks("console.log('no x-honeycomb-team here');\n").is_empty());
    }

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
    fn local_imports_are_the_relative_ones() {
        let text = "import React from 'react';\nimport App from './App';\nimport \"./otel\";\n// import './old';\nconst x = require('../lib/x');\nimport { a,\n  b } from './ab';\n";
        assert_eq!(local_imports(text), ["./App", "./otel", "../lib/x", "./ab"]);
    }

    #[test]
    fn setups_in_comments_do_not_count() {
        assert_eq!(
            setup_line("// new WebTracerProvider()\nconst a = 1;\n"),
            None
        );
        assert_eq!(
            setup_line("const sdk = new HoneycombWebSDK({});\n"),
            Some((1, "HoneycombWebSDK("))
        );
    }
}
