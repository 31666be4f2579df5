//! The request headers the frontend's own `fetch` calls send: a browser asks
//! the backend's CORS preflight about each one that is not CORS-safelisted
//! (`Authorization: Bearer ...` from the Cognito weeks on), so the backend's
//! `allow_headers` must name them beside the trace headers — rewriting the
//! course's string as a list of its two names only would refuse them.
//!
//! Found in the text of the scripts the entry point runs that call `fetch(`
//! (other than with a literal URL of another site): the keys of a
//! `headers: {...}` (or `headers = {...}`, `new Headers({...})`) object, and the
//! first argument of `headers.set(...)`/`.append(...)`. Comments are not code.

use super::cors::Sent;
use super::js::code_only;

/// Headers a browser sends without asking (CORS-safelisted names, whatever
/// their value), and the one that only ever goes to Honeycomb.
const NOT_ASKED: [&str; 4] = [
    "accept",
    "accept-language",
    "content-language",
    "x-honeycomb-team",
];

/// The headers `scripts` (`(path, text)`) send with `fetch`, first place first.
pub(crate) fn sent_headers(scripts: &[(String, String)]) -> Vec<Sent> {
    let mut out: Vec<Sent> = Vec::new();
    for (rel, text) in scripts {
        let code = code_only(text);
        if !calls_the_backend(&code) {
            continue;
        }
        let line_at = |at: usize| code[..at].matches('\n').count() + 1;
        let elsewhere = external_calls(&code);
        for (name, at) in header_names(&code) {
            // Inside a fetch of another site's literal URL: not the backend's.
            if elsewhere
                .iter()
                .any(|(start, end)| (*start..*end).contains(&at))
            {
                continue;
            }
            let line = line_at(at);
            let name = name.to_ascii_lowercase();
            let token = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if token && !NOT_ASKED.contains(&name.as_str()) && !out.iter().any(|s| s.name == name) {
                out.push(Sent {
                    name,
                    at: format!("{rel}:{line}"),
                });
            }
        }
    }
    out
}

/// Whether the `fetch(` at `at` goes to another site: its URL is a literal
/// absolute URL (`fetch("https://api.giphy.com/...")`), not the backend's 4567.
fn is_external(code: &str, at: usize) -> bool {
    let arg = code[at + "fetch(".len()..].trim_start();
    let literal = arg
        .strip_prefix(['\'', '"', '`'])
        .map(|rest| rest.split(['\'', '"', '`', '$']).next().unwrap_or_default());
    literal.is_some_and(|url| url.starts_with("http") && !url.contains(":4567"))
}

/// Whether `code` has a `fetch(` that may go to the backend.
fn calls_the_backend(code: &str) -> bool {
    code.match_indices("fetch(")
        .any(|(at, _)| !is_external(code, at))
}

/// The byte ranges of the `fetch(...)` calls to another site (to the matching
/// parenthesis).
fn external_calls(code: &str) -> Vec<(usize, usize)> {
    code.match_indices("fetch(")
        .filter(|(at, _)| is_external(code, *at))
        .map(|(at, _)| {
            let mut depth = 0usize;
            let mut end = code.len();
            for (i, c) in code[at + "fetch".len()..].char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            end = at + "fetch".len() + i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            (at, end)
        })
        .collect()
}

/// `(name, byte offset)` of every header named in `code` (comments blanked).
fn header_names(code: &str) -> Vec<(String, usize)> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    // `headers: {`, `headers = {`, `Headers({`: the object's keys.
    for (at, _) in code.match_indices("eaders") {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        if !matches!(before, Some(b'h' | b'H')) {
            continue;
        }
        let rest = code[at + "eaders".len()..].trim_start();
        let rest = rest
            .strip_prefix(':')
            .or_else(|| rest.strip_prefix('='))
            .or_else(|| rest.strip_prefix('('))
            .map(str::trim_start);
        let Some(object) = rest.and_then(|r| r.strip_prefix('{')) else {
            continue;
        };
        let start = code.len() - object.len();
        out.extend(
            object_keys(object)
                .into_iter()
                .map(|(key, offset)| (key, start + offset)),
        );
    }
    // `headers.set('Name', ...)` / `.append('Name', ...)`, on a name that says
    // headers or on a `new Headers()`.
    let made: Vec<&str> = code
        .match_indices("= new Headers(")
        .filter_map(|(at, _)| {
            code[..at]
                .trim_end()
                .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
                .next()
        })
        .collect();
    for call in [".set(", ".append("] {
        for (at, _) in code.match_indices(call) {
            let receiver = code[..at]
                .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
                .next()
                .unwrap_or_default();
            if !(receiver.to_ascii_lowercase().contains("headers") || made.contains(&receiver)) {
                continue;
            }
            let rest = code[at + call.len()..].trim_start();
            if let Some(quote) = rest
                .chars()
                .next()
                .filter(|c| matches!(c, '\'' | '"' | '`'))
            {
                if let Some(end) = rest[1..].find(quote) {
                    out.push((rest[1..1 + end].to_string(), at));
                }
            }
        }
    }
    out
}

/// The keys at the top level of an object literal whose text starts just after
/// its `{`, with each key's byte offset in `object`.
fn object_keys(object: &str) -> Vec<(String, usize)> {
    let mut keys = Vec::new();
    let mut depth = 0usize;
    let mut expect_key = true;
    let mut chars = object.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' | '[' | '(' => {
                depth += 1;
                expect_key = false;
            }
            '}' | ']' | ')' if depth == 0 => break,
            '}' | ']' | ')' => depth -= 1,
            ',' if depth == 0 => expect_key = true,
            '\'' | '"' | '`' => {
                let mut text = String::new();
                let mut closed = false;
                for (_, d) in chars.by_ref() {
                    if d == c {
                        closed = true;
                        break;
                    }
                    text.push(d);
                }
                if depth == 0 && expect_key && closed && followed_by_colon(&mut chars) {
                    keys.push((text, i));
                }
                expect_key = false;
            }
            c if depth == 0 && expect_key && (c.is_ascii_alphabetic() || c == '_') => {
                let mut text = String::from(c);
                while let Some(&(_, d)) = chars.peek() {
                    if d.is_ascii_alphanumeric() || d == '_' {
                        text.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if followed_by_colon(&mut chars) {
                    keys.push((text, i));
                }
                expect_key = false;
            }
            c if c.is_whitespace() => {}
            _ => expect_key = false,
        }
    }
    keys
}

/// Whether the next non-space character is `:` (consumed).
fn followed_by_colon(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) -> bool {
    while let Some(&(_, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else {
            break;
        }
    }
    if chars.peek().is_some_and(|&(_, c)| c == ':') {
        chars.next();
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(text: &str) -> Vec<(String, String)> {
        sent_headers(&[("src/pages/HomeFeedPage.js".into(), text.into())])
            .into_iter()
            .map(|s| (s.name, s.at))
            .collect()
    }

    #[test]
    fn the_cognito_weeks_authorization_header_is_found_where_it_is_sent() {
        let page = "const loadData = async () => {\n  const res = await fetch(backend_url, {\n    headers: {\n      Authorization: `Bearer ${localStorage.getItem(\"access_token\")}`\n    },\n    method: \"GET\"\n  });\n};\n";
        assert_eq!(
            sent(page),
            [("authorization".into(), "src/pages/HomeFeedPage.js:4".into())]
        );
    }

    #[test]
    fn quoted_keys_set_and_append_and_what_is_not_asked() {
        let text = "fetch(url, { method: 'POST', headers: {'Accept': 'application/json', \"Content-Type\": 'application/json', 'X-Request-Id': id(), ...extra} });\nconst headers = new Headers();\nheaders.set('If-None-Match', tag);\nmyHeaders.append(\"X-Custom\", 1);\nparams.set('q', 1);\n";
        let names: Vec<String> = sent(text).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            ["content-type", "x-request-id", "if-none-match", "x-custom"]
        );
    }

    #[test]
    fn without_fetch_or_in_comments_nothing_is_sent() {
        assert!(
            sent("const exporter = new OTLPTraceExporter({ headers: { 'x-api': k } });\n")
                .is_empty()
        );
        assert!(sent(
            "fetch(url);\n// headers: { Authorization: token }\n/* headers: {Foo: 1} */\n"
        )
        .is_empty());
        // The exporter's own header to Honeycomb is not the backend's business.
        assert!(sent("fetch(u, { headers: { 'x-honeycomb-team': k } });\n").is_empty());
    }
}
