//! Generated devcontainer.json files: random comments (line and block, between keys,
//! after values, inside arrays), trailing commas, indentation (2, 4 spaces, tabs),
//! CRLF, blank lines, final newline or not, existing ports and attributes; some
//! made invalid on purpose.

use super::{parse, plan, DevcontainerError, PORTS};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

#[derive(Debug, Clone)]
enum Entry {
    Name,
    Customizations {
        multiline: bool,
    },
    ForwardPorts {
        items: Vec<usize>,
        multiline: bool,
        trailing: bool,
        comment: bool,
    },
    PortsAttributes {
        entries: Vec<(usize, Vec<usize>)>,
        multiline: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Breakage {
    None,
    DuplicateTop,
    DuplicateNested,
    ForwardPortsString,
    TopArray,
    UnterminatedComment,
}

#[derive(Debug, Clone)]
struct Doc {
    indent: &'static str,
    crlf: bool,
    final_newline: bool,
    trailing_comma: bool,
    entries: Vec<Entry>,
    /// Per gap (before each entry, and after the last): 0 none, 1 line comment,
    /// 2 block comment, 3 blank line.
    gaps: Vec<u8>,
    /// Per entry: 0 nothing, 1 `// c` after it, 2 `/* b */` after it.
    trailers: Vec<u8>,
    breakage: Breakage,
}

const PORT_ITEMS: &[&str] = &[
    "3000",
    "4567",
    "8080",
    "\"db:5432\"",
    "\"localhost:3000\"",
    "\"3000\"",
    "\"app:4567\"",
];
const ATTR_KEYS: &[&str] = &["3000", "4567", "8080", "40000-55000"];
const ATTRS: &[(&str, &str)] = &[
    ("label", "\"mine\""),
    ("onAutoForward", "\"silent\""),
    ("protocol", "\"https\""),
    ("label", "\"frontend\""),
];

fn entry() -> impl Strategy<Value = Entry> {
    prop_oneof![
        Just(Entry::Name),
        any::<bool>().prop_map(|multiline| Entry::Customizations { multiline }),
        (
            prop::collection::vec(0..PORT_ITEMS.len(), 0..4),
            any::<bool>(),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(
                |(items, multiline, trailing, comment)| Entry::ForwardPorts {
                    items,
                    multiline,
                    trailing,
                    comment
                }
            ),
        (
            prop::collection::vec(
                (
                    0..ATTR_KEYS.len(),
                    prop::collection::vec(0..ATTRS.len(), 0..3)
                ),
                0..3
            ),
            any::<bool>()
        )
            .prop_map(|(entries, multiline)| Entry::PortsAttributes { entries, multiline }),
    ]
}

fn breakage() -> impl Strategy<Value = Breakage> {
    prop_oneof![
        10 => Just(Breakage::None),
        1 => Just(Breakage::DuplicateTop),
        1 => Just(Breakage::DuplicateNested),
        1 => Just(Breakage::ForwardPortsString),
        1 => Just(Breakage::TopArray),
        1 => Just(Breakage::UnterminatedComment),
    ]
}

fn doc() -> impl Strategy<Value = Doc> {
    (
        prop_oneof![Just("  "), Just("    "), Just("\t")],
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(entry(), 0..5),
        prop::collection::vec(0u8..4, 6),
        prop::collection::vec(0u8..3, 5),
        breakage(),
    )
        .prop_map(
            |(indent, crlf, final_newline, trailing_comma, entries, gaps, trailers, breakage)| {
                // One entry of each kind: duplicates are a breakage of their own.
                let mut seen = Vec::new();
                let entries = entries
                    .into_iter()
                    .filter(|e| {
                        let k = std::mem::discriminant(e);
                        let fresh = !seen.contains(&k);
                        seen.push(k);
                        fresh
                    })
                    .collect();
                Doc {
                    indent,
                    crlf,
                    final_newline,
                    trailing_comma,
                    entries,
                    gaps,
                    trailers,
                    breakage,
                }
            },
        )
}

/// Renders the document; returns the text and every comment written.
fn render(d: &Doc) -> (String, Vec<String>) {
    let mut comments = Vec::new();
    let mut comment = |kind: u8| {
        let n = comments.len();
        let c = if kind == 1 {
            format!("// line comment {n}")
        } else {
            format!("/* block {n} */")
        };
        comments.push(c.clone());
        c
    };
    let i1 = d.indent;
    let i2 = d.indent.repeat(2);
    let i3 = d.indent.repeat(3);
    let mut lines: Vec<String> = vec!["{".into()];
    let mut entries = d.entries.clone();
    if d.breakage == Breakage::DuplicateTop {
        entries.push(Entry::Name);
        entries.insert(0, Entry::Name);
    }
    let n = entries.len();
    for (i, e) in entries.iter().enumerate() {
        match d.gaps.get(i).copied().unwrap_or(0) {
            0 => {}
            3 => lines.push(String::new()),
            k => lines.push(format!("{i1}{}", comment(k))),
        }
        let mut text = match e {
            Entry::Name => format!("{i1}\"name\": \"Cruddur\""),
            Entry::Customizations { multiline: false } => {
                format!("{i1}\"customizations\": {{\"vscode\": {{\"extensions\": [\"a.b\"]}}}}")
            }
            Entry::Customizations { multiline: true } => format!(
                "{i1}\"customizations\": {{\n{i2}\"vscode\": {{\n{i3}\"extensions\": [\"a.b\"]\n{i2}}}\n{i1}}}"
            ),
            Entry::ForwardPorts { items, multiline, trailing, comment: with_comment } => {
                let items: Vec<&str> = items.iter().map(|&k| PORT_ITEMS[k]).collect();
                if d.breakage == Breakage::ForwardPortsString {
                    format!("{i1}\"forwardPorts\": \"3000\"")
                } else if *multiline {
                    let mut t = format!("{i1}\"forwardPorts\": [");
                    if *with_comment {
                        t.push(' ');
                        t.push_str(&comment(2));
                    }
                    for (j, it) in items.iter().enumerate() {
                        let comma = if j + 1 < items.len() || *trailing { "," } else { "" };
                        t.push_str(&format!("\n{i2}{it}{comma}"));
                    }
                    t.push_str(&format!("\n{i1}]"));
                    t
                } else {
                    let comma = if *trailing && !items.is_empty() { "," } else { "" };
                    format!("{i1}\"forwardPorts\": [{}{comma}]", items.join(", "))
                }
            }
            Entry::PortsAttributes { entries, multiline } => {
                let mut keys_seen = Vec::new();
                let mut rendered = Vec::new();
                for (k, attrs) in entries {
                    if keys_seen.contains(k) {
                        continue;
                    }
                    keys_seen.push(*k);
                    let mut names = Vec::new();
                    let mut pairs = Vec::new();
                    for &a in attrs {
                        let (name, value) = ATTRS[a];
                        if !names.contains(&name) {
                            names.push(name);
                            pairs.push(format!("\"{name}\": {value}"));
                        }
                    }
                    if d.breakage == Breakage::DuplicateNested && rendered.is_empty() {
                        pairs.push("\"label\": \"a\"".into());
                        pairs.push("\"label\": \"b\"".into());
                    }
                    rendered.push((ATTR_KEYS[*k], pairs));
                }
                if d.breakage == Breakage::DuplicateNested && rendered.is_empty() {
                    rendered.push(("9", vec!["\"label\": \"a\"".into(), "\"label\": \"b\"".into()]));
                }
                if *multiline {
                    let mut t = format!("{i1}\"portsAttributes\": {{");
                    for (j, (key, pairs)) in rendered.iter().enumerate() {
                        t.push_str(&format!("\n{i2}\"{key}\": {{"));
                        for (m, p) in pairs.iter().enumerate() {
                            let comma = if m + 1 < pairs.len() { "," } else { "" };
                            t.push_str(&format!("\n{i3}{p}{comma}"));
                        }
                        let close = if pairs.is_empty() { "}" } else { "" };
                        if pairs.is_empty() {
                            t.push_str(close);
                        } else {
                            t.push_str(&format!("\n{i2}}}"));
                        }
                        if j + 1 < rendered.len() {
                            t.push(',');
                        }
                    }
                    if !rendered.is_empty() {
                        t.push_str(&format!("\n{i1}"));
                    }
                    t.push('}');
                    t
                } else {
                    let body: Vec<String> = rendered
                        .iter()
                        .map(|(key, pairs)| format!("\"{key}\": {{{}}}", pairs.join(", ")))
                        .collect();
                    format!("{i1}\"portsAttributes\": {{{}}}", body.join(", "))
                }
            }
        };
        if i + 1 < n || d.trailing_comma {
            text.push(',');
        }
        match d.trailers.get(i).copied().unwrap_or(0) {
            0 => {}
            k => {
                text.push(' ');
                text.push_str(&comment(k));
            }
        }
        lines.push(text);
    }
    match d.gaps.get(n).copied().unwrap_or(0) {
        0 => {}
        3 => lines.push(String::new()),
        k => lines.push(format!("{i1}{}", comment(k))),
    }
    lines.push("}".into());
    if d.breakage == Breakage::TopArray {
        lines.insert(0, "[".into());
        lines.push("]".into());
    }
    if d.breakage == Breakage::UnterminatedComment {
        lines.push("/* open".into());
    }
    let nl = if d.crlf { "\r\n" } else { "\n" };
    let mut text = lines.join("\n").replace('\n', nl);
    if d.final_newline {
        text.push_str(nl);
    }
    (text, comments)
}

/// The rule, written again: what the file must hold after the edit.
fn expected(input: &Value) -> Value {
    let mut top = input.as_object().cloned().unwrap_or_default();
    let present = |v: &Value, port: u16| match v {
        Value::Number(n) => n.as_u64() == Some(u64::from(port)),
        Value::String(s) => {
            *s == port.to_string() || s.ends_with(&format!(":{port}")) && !s.starts_with(':')
        }
        _ => false,
    };
    let list = top.entry("forwardPorts").or_insert_with(|| json!([]));
    let items = list.as_array_mut().unwrap();
    for &(port, _) in PORTS {
        if !items.iter().any(|v| present(v, port)) {
            items.push(json!(port));
        }
    }
    let attrs = top.entry("portsAttributes").or_insert_with(|| json!({}));
    for &(port, wanted) in PORTS {
        let entry = attrs
            .as_object_mut()
            .unwrap()
            .entry(port.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        for (k, v) in wanted {
            entry
                .as_object_mut()
                .unwrap()
                .entry(k.to_string())
                .or_insert_with(|| json!(v));
        }
    }
    Value::Object(top)
}

/// The byte offset of a 1-based line and column (in characters).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        start += text[start..].find('\n').unwrap() + 1;
    }
    start
        + text[start..]
            .chars()
            .take(column - 1)
            .map(char::len_utf8)
            .sum::<usize>()
}

fn no_spaces(text: &str) -> Vec<char> {
    text.chars().filter(|c| *c != ' ' && *c != '\t').collect()
}

fn is_subsequence(a: &[char], b: &[char]) -> bool {
    let mut it = b.iter();
    a.iter().all(|c| it.any(|d| d == c))
}

proptest! {
    // 512 cases a run unless PROPTEST_CASES says otherwise.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn edits_are_exact_lossless_and_idempotent(d in doc()) {
        let (text, comments) = render(&d);
        let result = plan(Some(&text), "devcontainer.json");
        match d.breakage {
            Breakage::None => {}
            Breakage::DuplicateNested if !d.entries.iter().any(|e| matches!(e, Entry::PortsAttributes { .. })) => {}
            Breakage::DuplicateTop | Breakage::DuplicateNested => {
                match result {
                    Err(DevcontainerError::DuplicateKey { line, column, ref key, first_line, .. }) => {
                        let at = offset_of(&text, line, column);
                        prop_assert!(text[at..].starts_with(&format!("\"{key}\"")), "{:?} at {line}:{column}", &text[at..]);
                        prop_assert!(first_line <= line);
                    }
                    other => prop_assert!(false, "{other:?}\n{text}"),
                }
                return Ok(());
            }
            Breakage::ForwardPortsString => {
                if d.entries.iter().any(|e| matches!(e, Entry::ForwardPorts { .. })) {
                    match result {
                        Err(DevcontainerError::WrongType { line, column, ref key, .. }) => {
                            prop_assert_eq!(key.as_str(), "forwardPorts");
                            let at = offset_of(&text, line, column);
                            prop_assert!(text[at..].starts_with("\"3000\""));
                        }
                        other => prop_assert!(false, "{other:?}\n{text}"),
                    }
                    return Ok(());
                }
            }
            Breakage::TopArray => {
                match result {
                    Err(DevcontainerError::NotAnObject { line: 1, column: 1, found: "an array", .. }) => {}
                    other => prop_assert!(false, "{other:?}\n{text}"),
                }
                return Ok(());
            }
            Breakage::UnterminatedComment => {
                prop_assert!(matches!(result, Err(DevcontainerError::Parse { .. })), "{result:?}");
                return Ok(());
            }
        }
        let p = match result {
            Ok(p) => p,
            Err(e) => {
                prop_assert!(false, "refused: {e}\n{text}");
                unreachable!()
            }
        };
        let input = parse(&text, "d").unwrap();
        let output = parse(&p.new_text, "d").unwrap();
        prop_assert_eq!(&output, &expected(&input), "\n{}", p.new_text);
        prop_assert_eq!(p.changes.is_empty(), p.new_text == text);
        // Nothing of the input is lost.
        for c in &comments {
            prop_assert!(p.new_text.contains(c.as_str()), "lost {c}\n{}", p.new_text);
        }
        prop_assert!(is_subsequence(&no_spaces(&text), &no_spaces(&p.new_text)), "\n{text}\n---\n{}", p.new_text);
        prop_assert!(p.new_text.matches('\n').count() >= text.matches('\n').count());
        // Line endings, final newline, indentation follow the input.
        if d.crlf && text.contains('\n') {
            prop_assert!(!p.new_text.replace("\r\n", "").contains('\n'), "{:?}", p.new_text);
        }
        prop_assert_eq!(p.new_text.ends_with('\n'), text.ends_with('\n'));
        // (A file with no indented line shows no indentation: a tab is used then.)
        let unit = if text.lines().any(|l| l.starts_with(d.indent) && !l.trim().is_empty()) { d.indent } else { "\t" };
        {
            for line in p.new_text.lines() {
                let indent = &line[..line.len() - line.trim_start_matches([' ', '\t']).len()];
                prop_assert!(indent.is_empty() || indent == unit.repeat(indent.len() / unit.len()), "{:?} in\n{}", line, p.new_text);
            }
        }
        // Idempotent.
        let again = plan(Some(&p.new_text), "d").unwrap();
        prop_assert!(again.changes.is_empty(), "{:?}", again.changes);
        prop_assert_eq!(again.new_text, p.new_text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "[{}\\[\\]\",: \\n\\r\\t/*a-z0-9\\\\]{0,60}") {
        if let Ok(p) = plan(Some(&text), "d") {
            let again = plan(Some(&p.new_text), "d").unwrap();
            prop_assert!(again.changes.is_empty());
        }
    }

    #[test]
    fn near_valid_text_never_panics(d in doc(), cut in 0usize..400, junk in "[{}\\[\\],\"/*\\n ]{0,3}") {
        let (text, _) = render(&d);
        let mut cut = cut.min(text.len());
        while !text.is_char_boundary(cut) { cut -= 1; }
        let broken = format!("{}{junk}{}", &text[..cut], &text[cut..]);
        if let Ok(p) = plan(Some(&broken), "d") {
            prop_assert_eq!(parse(&p.new_text, "d").unwrap(), expected(&parse(&broken, "d").unwrap()));
            let again = plan(Some(&p.new_text), "d").unwrap();
            prop_assert!(again.changes.is_empty());
            prop_assert_eq!(again.new_text, p.new_text);
        }
    }
}
