//! Honeycomb keys in browser code. Browser code is public — everything in it
//! reaches every visitor, and the repository is public too — so a key in it is
//! a leaked key: a literal key (on the `x-honeycomb-team` line, as
//! `HoneycombWebSDK`'s `apiKey`, through a constant, in the exporter-headers
//! string form), a key read from a `REACT_APP_*` variable (which the build
//! inlines), or the header set from code at all. Each is named, masked, with the
//! advice to rotate it.

use super::js::{code_only, string_literals};
use crate::honeycomb::{key_kind, KeyKind};
use crate::secret::mask;

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
                "{file}:{line}: {what} is set in browser code, so the Honeycomb key it carries \
                 is {shipped} — rotate that key in Honeycomb, send the spans to the collector \
                 instead (it holds the key: `cruddur-obs compose write --via collector`) and \
                 remove the key from the frontend"
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
        // Code only: a commented-out header sends nothing; and only the
        // variables the build copies in (`REACT_APP_*`, `VITE_*`): any other
        // is undefined in the browser.
        let in_code = code
            .get(i)
            .is_some_and(|c| c.to_ascii_lowercase().contains(marker));
        if let Some(var) = inlined_variable(rest)
            .filter(|v| in_code && build_inlines(v))
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
            // Keys are 22+ letters and digits: `***REMOVED***`, `<YOUR_KEY>`,
            // `${HONEYCOMB_API_KEY}` are not.
            if !already && !is_placeholder(literal) {
                crate::secret::register_secret(literal);
                out.push(Leak::Literal {
                    line: value_line,
                    masked: mask(literal),
                });
            }
        } else if inlined_variable(rest).is_some() {
            // A variable the build does not copy in: undefined in the browser.
        } else if rest.starts_with("${") && line[..at].matches('`').count() % 2 == 0 {
            // `"x-honeycomb-team=${HONEYCOMB_API_KEY}"` in a plain string: a
            // placeholder, no key (in a template literal it would be one).
        } else if separated
            && rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$')
            && in_code
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
            } else if let Some((line, value)) = assigned_value(&lines, token) {
                // `const KEY = ...;` then `"x-honeycomb-team": KEY`: what KEY is.
                match string_literals(value).into_iter().next() {
                    Some(literal) if value.starts_with(['\'', '"', '`']) => {
                        if !is_placeholder(literal) {
                            crate::secret::register_secret(literal);
                            out.push(Leak::Literal {
                                line,
                                masked: mask(literal),
                            });
                        }
                    }
                    _ => {
                        // A variable: the build copies in only its own kinds.
                        if let Some(var) = inlined_variable(value).filter(|v| build_inlines(v)) {
                            out.push(Leak::Inlined {
                                line,
                                variable: var.to_string(),
                            });
                        } else if inlined_variable(value).is_none() {
                            out.push(Leak::Sent {
                                line: value_line,
                                what: sent_what(marker),
                            });
                        }
                    }
                }
            } else {
                // From a variable or a call: whatever it holds is sent from the browser.
                out.push(Leak::Sent {
                    line: value_line,
                    what: sent_what(marker),
                });
            }
        }
    }
    out.dedup();
    out
}

/// Where the key sits, for [`Leak::Sent`].
fn sent_what(marker: &str) -> &'static str {
    if marker == "apikey" {
        "HoneycombWebSDK's apiKey"
    } else {
        "the x-honeycomb-team header"
    }
}

/// A literal that cannot be a key: keys are 16+ letters and digits, and not
/// `<YOUR_KEY>`, `${VAR}` or `***REMOVED***`.
fn is_placeholder(literal: &str) -> bool {
    literal.chars().filter(char::is_ascii_alphanumeric).count() < 16
        || literal.starts_with('<')
        || literal.contains("${")
        || literal.to_ascii_uppercase().contains("YOUR")
}

/// The line (1-based) and the text `name` is set to in `lines` (`const NAME =
/// ...`, `NAME: ...`), if it is set there.
fn assigned_value<'t>(lines: &[&'t str], name: &str) -> Option<(usize, &'t str)> {
    lines.iter().enumerate().find_map(|(i, line)| {
        let at = line.find(name)?;
        let before = line[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            return None;
        }
        let rest = line[at + name.len()..].trim_start();
        let rest = rest.strip_prefix(['=', ':'])?.trim_start();
        (!rest.starts_with('=') && !rest.is_empty()).then_some((i + 1, rest))
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

/// Whether a create-react-app (`REACT_APP_*`) or Vite (`VITE_*`) build copies
/// the variable's value into the bundle.
fn build_inlines(variable: &str) -> bool {
    variable.starts_with("REACT_APP_") || variable.starts_with("VITE_")
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
                (build_inlines(name) && upper.contains("HONEYCOMB") && upper.contains("KEY"))
                    .then_some(name)
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::tracing_file::{is_ours, setup_line};

    const HAND: &str = include_str!("../../tests/fixtures/frontends/hand-tracing/src/tracing.js");
    const KEY: &str = "hcaik_01pastedpastedpastedpastedpastedpastedpastedpastedq7w3x9z2";

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
        // Placeholders and what the build does not copy in are not keys.
        assert!(leaks("apiKey: '***REMOVED***', // honeycomb\n").is_empty());
        assert!(leaks("headers: \"x-honeycomb-team=${HONEYCOMB_API_KEY}\",\n").is_empty());
        assert!(
            leaks("//   \"x-honeycomb-team\": process.env.REACT_APP_HONEYCOMB_API_KEY,\n")
                .is_empty()
        );
        assert!(
            leaks("  \"x-honeycomb-team\": process.env.HONEYCOMB_API_KEY_FRONTEND,\n").is_empty()
        );
        assert_eq!(
            leaks("headers: `x-honeycomb-team=${key}`,\n"),
            [Leak::Sent {
                line: 1,
                what: "the x-honeycomb-team header"
            }]
        );
        // Through a constant: a placeholder, or a variable the build does not copy in.
        assert!(
            leaks("const K = '***REMOVED***';\nconst h = { 'x-honeycomb-team': K };\n").is_empty()
        );
        assert!(leaks(
            "const K = process.env.HONEYCOMB_API_KEY;\nconst h = { 'x-honeycomb-team': K };\n"
        )
        .is_empty());
        assert_eq!(
            leaks("const K = process.env.REACT_APP_HC;\nconst h = { 'x-honeycomb-team': K };\n"),
            [Leak::Inlined {
                line: 1,
                variable: "REACT_APP_HC".into()
            }]
        );
        // Words about the header, in a comment or a message, are not a header.
        assert!(leaks("// 'x-honeycomb-team': honeycombKey\n").is_empty());
        assert!(leaks("console.log('no x-honeycomb-team here');\n").is_empty());
    }
}
