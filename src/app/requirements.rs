//! The `requirements.txt` editor: append the wanted packages that are not listed
//! yet, touching nothing else.
//!
//! Names are read by a small hand-written extractor (PEP 508's name grammar,
//! pip's line joining and comment rules, `#egg=` fragments) rather than
//! `pep508_rs`: that crate parses whole specifiers and rejects pip's
//! non-PEP-508 lines (`-r`, `-e`, `--hash`), and pulls about 75 crates (`url`
//! with the ICU stack, `regex`, `serde`, `pep440_rs`) for what is a name lookup.

use std::collections::HashSet;

use super::AppError;

use crate::parts::{Part, Parts};

/// The packages each part needs: `(part, name, version spec)`. Edit here.
pub(crate) const PACKAGES: &[(Part, &str, &str)] = &[
    // Lower bounds installed together by the end-to-end test (scripts/app_e2e):
    // sdk 1.45.0 conflicts with instrumentation 0.66b1, hence 1.45.1.
    (Part::Honeycomb, "opentelemetry-api", ">=1.45.1"),
    (Part::Honeycomb, "opentelemetry-sdk", ">=1.45.1"),
    (
        Part::Honeycomb,
        "opentelemetry-exporter-otlp-proto-http",
        ">=1.45.1",
    ),
    (
        Part::Honeycomb,
        "opentelemetry-instrumentation-flask",
        ">=0.66b1",
    ),
    (
        Part::Honeycomb,
        "opentelemetry-instrumentation-requests",
        ">=0.66b1",
    ),
    (Part::Xray, "aws-xray-sdk", ">=2.15.0"),
    (Part::Logs, "watchtower", ">=3.4.0"),
    // AWS_ENDPOINT_URL_CLOUDWATCH_LOGS is read from botocore 1.31 (boto3 1.28) on.
    (Part::Logs, "boto3", ">=1.28.0"),
    (Part::Rollbar, "rollbar", ">=1.5.0"),
    (Part::Rollbar, "blinker", ">=1.9.0"),
];

/// The libraries the module traces when a backend uses them:
/// `(the name listed in requirements.txt, the OpenTelemetry instrumentation)`.
/// The X-Ray SDK patches them itself; the module turns both on when imported.
pub(crate) const LIBRARIES: &[(&str, &str)] = &[
    ("psycopg", "opentelemetry-instrumentation-psycopg"),
    ("psycopg-binary", "opentelemetry-instrumentation-psycopg"),
    ("psycopg-pool", "opentelemetry-instrumentation-psycopg"),
    ("psycopg2", "opentelemetry-instrumentation-psycopg2"),
    ("psycopg2-binary", "opentelemetry-instrumentation-psycopg2"),
    ("boto3", "opentelemetry-instrumentation-botocore"),
    ("botocore", "opentelemetry-instrumentation-botocore"),
];

/// The version of the instrumentations, the one of the Flask instrumentation
/// (they are released together; installed together by scripts/app_e2e).
const INSTRUMENTATION_SPEC: &str = ">=0.66b1";

/// What `text` (a requirements.txt) lists of [`LIBRARIES`]: the instrumentations
/// to add, `(name, spec)`, each once, in table order.
/// A line this editor wrote (`boto3>=1.28.0` for watchtower) is not the app's own use.
pub(crate) fn libraries(text: &str) -> Vec<(&'static str, &'static str)> {
    let ours: Vec<String> = PACKAGES
        .iter()
        .map(|(_, name, spec)| format!("{name}{spec}"))
        .collect();
    let listed: HashSet<String> = parse(text)
        .into_iter()
        .filter_map(|e| match e.kind {
            Kind::Requirement(name) if !ours.iter().any(|o| o == strip_comment(&e.text).trim()) => {
                Some(name)
            }
            _ => None,
        })
        .collect();
    let mut out: Vec<(&'static str, &'static str)> = Vec::new();
    for &(library, instrumentation) in LIBRARIES {
        if listed.contains(library) && !out.iter().any(|(n, _)| *n == instrumentation) {
            out.push((instrumentation, INSTRUMENTATION_SPEC));
        }
    }
    out
}

/// An OpenTelemetry package pinned below the instrumentations' version: adding
/// `instrumentation>=0.66b1` beside it would make the file uninstallable, so the
/// caller adds none and says so. `(line, the requirement as written)`.
pub(crate) fn old_opentelemetry_pin(text: &str) -> Option<(usize, String)> {
    parse(text).into_iter().find_map(|e| {
        let Kind::Requirement(name) = &e.kind else {
            return None;
        };
        let min = if name.starts_with("opentelemetry-instrumentation") {
            INSTRUMENTATION_SPEC.trim_start_matches(">=")
        } else if matches!(name.as_str(), "opentelemetry-api" | "opentelemetry-sdk") {
            "1.45.1"
        } else {
            return None;
        };
        excludes_from(spec_of_listed(&e.text), min)
            .then(|| (e.line, strip_comment(&e.text).trim().to_string()))
    })
}

/// `(name, spec)` of the packages of `parts`, in table order, each name once.
pub(crate) fn packages(parts: Parts) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str)> = Vec::new();
    for &(part, name, spec) in PACKAGES {
        if parts.has(part) && !out.iter().any(|(n, _)| *n == name) {
            out.push((name, spec));
        }
    }
    out
}

/// The planned `requirements.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequirementsPlan {
    /// The whole new text; equal to the input when nothing is added.
    pub new_text: String,
    /// The lines appended, e.g. `opentelemetry-api>=1.45`.
    pub added: Vec<String>,
    /// Wanted packages already listed: `(wanted name, the line as written)` —
    /// the logical line (continuations joined) without its line ending and
    /// trailing spaces. Kept as is, whatever its version spec.
    pub present: Vec<(String, String)>,
    /// Things the command should tell the user (includes not followed, hashes).
    pub notes: Vec<String>,
}

/// PEP 503 normalisation: lower case, each run of `-`, `_`, `.` becomes `-`.
pub(crate) fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

/// Plan `requirements.txt`: `text` is `None` when the file is missing (it is
/// then created). Each wanted package not listed yet goes on its own line at the
/// end; everything already there is kept byte for byte.
pub(crate) fn plan_requirements(
    text: Option<&str>,
    file: &str,
    wanted: &[(&str, &str)],
) -> Result<RequirementsPlan, AppError> {
    let text = text.unwrap_or("");
    let entries = parse(text);

    let mut notes = Vec::new();
    for entry in &entries {
        if let Kind::Include(target) = &entry.kind {
            notes.push(format!(
                "{file}:{}: `{}` is not followed; a package listed only in {target} is added here again",
                entry.line, entry.text
            ));
        }
    }
    let hashes = entries.iter().find(|e| {
        let body = strip_comment(&e.text);
        body.contains("--hash") || body.contains("--require-hashes")
    });
    if let Some(entry) = hashes {
        notes.push(format!(
            "{file}:{}: this file pins hashes; pip refuses the added lines without them, so add \
             them to the file it is generated from (e.g. requirements.in) and regenerate it",
            entry.line
        ));
    }

    let mut added = Vec::new();
    let mut present = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for &(name, spec) in wanted {
        if name_len(name) != Some(name.len()) {
            return Err(AppError::InvalidPackageName {
                file: file.to_owned(),
                name: name.to_owned(),
            });
        }
        let norm = normalize_name(name);
        if !seen.insert(norm.clone()) {
            continue;
        }
        let listed = entries
            .iter()
            .find(|e| matches!(&e.kind, Kind::Requirement(n) if *n == norm));
        match listed {
            Some(entry) => {
                if let Some(min) = spec.strip_prefix(">=") {
                    if excludes_from(spec_of_listed(&entry.text), min) {
                        notes.push(format!(
                            "{file}:{}: `{}` keeps {name} below {min}, the oldest lib/observability.py \
                             works with; change it to `{name}{spec}`",
                            entry.line,
                            strip_comment(&entry.text).trim()
                        ));
                    }
                }
                present.push((name.to_owned(), entry.text.clone()));
            }
            None => added.push(format!("{name}{spec}")),
        }
    }

    let new_text = if added.is_empty() {
        text.to_owned()
    } else {
        append_lines(text, &added)
    };
    Ok(RequirementsPlan {
        new_text,
        added,
        present,
        notes,
    })
}

/// The version clauses of a listed requirement: `==2.2.3`, `>=1,<2` (extras,
/// markers, comments and URLs left out; empty when there is none).
fn spec_of_listed(text: &str) -> &str {
    let line = strip_comment(text).trim();
    let Some(len) = name_len(line) else {
        return "";
    };
    let mut rest = line[len..].trim_start();
    if rest.starts_with('[') {
        rest = rest.find(']').map_or("", |i| &rest[i + 1..]);
    }
    if rest.trim_start().starts_with('@') {
        return "";
    }
    let end = rest.find(';').unwrap_or(rest.len());
    rest[..end]
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .trim()
}

/// The version spec of `name` in a requirements file, with its 1-based line
/// (`None` when the package is not listed; an empty spec when unpinned).
pub(crate) fn listed_spec(text: &str, name: &str) -> Option<(usize, String, String)> {
    let norm = normalize_name(name);
    parse(text)
        .into_iter()
        .find(|e| matches!(&e.kind, Kind::Requirement(n) if *n == norm))
        .map(|e| {
            (
                e.line,
                strip_comment(&e.text).trim().to_string(),
                spec_of_listed(&e.text).to_string(),
            )
        })
}

/// Whether `spec` (PEP 440 clauses, comma separated) allows no version at or
/// above `min`: an exact pin below it, or an upper bound at or below it.
/// Release numbers only (`0.66b1` reads as 0.66).
pub(crate) fn excludes_from(spec: &str, min: &str) -> bool {
    let min = release(min);
    spec.split(',').any(|clause| {
        let clause = clause.trim();
        let (op, v) = match clause.find(|c: char| c.is_ascii_digit()) {
            Some(i) => (clause[..i].trim(), clause[i..].trim()),
            None => return false,
        };
        let wildcard = v.ends_with(".*");
        let v = release(v.trim_end_matches(".*"));
        match op {
            "==" | "===" if wildcard => cmp_release(&v, &min[..v.len().min(min.len())]).is_lt(),
            "==" | "===" => cmp_release(&v, &min).is_lt(),
            "<" => cmp_release(&v, &min).is_le(),
            "<=" => cmp_release(&v, &min).is_lt(),
            "~=" if v.len() >= 2 => {
                let mut upper = v[..v.len() - 1].to_vec();
                if let Some(last) = upper.last_mut() {
                    *last += 1;
                }
                cmp_release(&upper, &min).is_le()
            }
            _ => false,
        }
    })
}

/// `1.26.80` → `[1, 26, 80]`; stops at the first part that is not all digits
/// (keeping its leading digits: `66b1` → 66).
fn release(v: &str) -> Vec<u64> {
    let mut out = Vec::new();
    for part in v.split('.') {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        let Ok(n) = digits.parse() else { break };
        out.push(n);
        if digits.len() != part.len() {
            break;
        }
    }
    out
}

fn cmp_release(a: &[u64], b: &[u64]) -> std::cmp::Ordering {
    let n = a.len().max(b.len());
    let at = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    (0..n)
        .map(|i| at(a, i).cmp(&at(b, i)))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// Append `lines` keeping the file's line ending and its final-newline state.
fn append_lines(text: &str, lines: &[String]) -> String {
    let eol = crate::files::line_ending(text);
    let no_final_newline = !text.is_empty() && !text.ends_with('\n');
    let mut out =
        String::with_capacity(text.len() + lines.iter().map(|l| l.len() + 2).sum::<usize>() + 2);
    out.push_str(text);
    if no_final_newline {
        out.push_str(eol);
    }
    if ends_in_continuation(text) {
        // The last line ends in `\`: a blank line ends the continuation (as pip
        // reads it, the file meant the same) so the added lines stay separate.
        out.push_str(eol);
    }
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push_str(eol);
        }
        out.push_str(line);
    }
    if !no_final_newline {
        out.push_str(eol);
    }
    out
}

fn ends_in_continuation(text: &str) -> bool {
    text.split_inclusive('\n')
        .next_back()
        .is_some_and(|line| is_continued(content(line)))
}

/// A physical line without its line ending.
fn content(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

/// pip: a line ending in `\` continues on the next, unless it is a comment line.
fn is_continued(content: &str) -> bool {
    content.ends_with('\\') && !content.trim_start().starts_with('#')
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Blank,
    /// A requirement (or `-e`/URL with `#egg=`): its normalised name.
    Requirement(String),
    /// `-r file` / `-c file`: the file named.
    Include(String),
    /// Any other option or line pip takes (paths, URLs without `#egg=`, flags).
    Other,
}

#[derive(Debug, Clone)]
struct Entry {
    /// 1-based line of the first physical line.
    line: usize,
    /// The logical line as written, trailing whitespace trimmed.
    text: String,
    kind: Kind,
}

/// Logical lines of a requirements file, the way pip joins and strips them.
fn parse(text: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut joined = String::new();
    let mut first_line = 0;
    let mut continuing = false;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let c = content(line);
        if !continuing {
            first_line = i + 1;
            joined.clear();
        }
        if is_continued(c) {
            joined.push_str(&c[..c.len() - 1]);
            continuing = true;
        } else {
            joined.push_str(c);
            continuing = false;
            out.push(entry(first_line, &joined));
        }
    }
    if continuing {
        out.push(entry(first_line, &joined));
    }
    out
}

fn entry(line: usize, joined: &str) -> Entry {
    // pip drops a UTF-8 BOM when it reads the file.
    let joined = joined.strip_prefix('\u{feff}').unwrap_or(joined);
    Entry {
        line,
        text: joined.trim_end().to_owned(),
        kind: classify(strip_comment(joined).trim()),
    }
}

/// pip's comment rule: `#` at the start of the line or after whitespace.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

fn classify(line: &str) -> Kind {
    if line.is_empty() {
        return Kind::Blank;
    }
    if line.starts_with('-') {
        return classify_option(line);
    }
    if let Some(len) = name_len(line) {
        let next = line[len..].chars().next();
        let ends_name = match next {
            None => true,
            Some(c) => {
                c.is_whitespace()
                    || matches!(c, '[' | '(' | '<' | '>' | '=' | '!' | '~' | ';' | '@' | ',')
            }
        };
        if ends_name {
            return Kind::Requirement(normalize_name(&line[..len]));
        }
    }
    match egg_name(line) {
        Some(name) => Kind::Requirement(name),
        None => Kind::Other,
    }
}

fn classify_option(line: &str) -> Kind {
    let (flag, value) = split_option(line);
    match flag {
        "-r" | "--requirement" | "-c" | "--constraint" => Kind::Include(value.to_owned()),
        "-e" | "--editable" => match egg_name(value) {
            Some(name) => Kind::Requirement(name),
            None => Kind::Other,
        },
        _ => Kind::Other,
    }
}

/// `-rfile`, `-r file`, `--requirement=file`, `--requirement file`.
fn split_option(line: &str) -> (&str, &str) {
    if let Some(rest) = line.strip_prefix("--") {
        let end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .map_or(line.len(), |i| i + 2);
        let value = line[end..].trim_start_matches('=').trim();
        (&line[..end], value)
    } else {
        let end = line.char_indices().nth(2).map_or(line.len(), |(i, _)| i);
        (&line[..end], line[end..].trim())
    }
}

/// The name in a `#egg=name` (or `&egg=name`) URL fragment.
fn egg_name(url: &str) -> Option<String> {
    let at = url.find("#egg=").or_else(|| url.find("&egg="))?;
    let value = &url[at + 5..];
    let len = name_len(value)?;
    Some(normalize_name(&value[..len]))
}

/// Length of the PEP 508 name at the start of `s`:
/// `^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])`, case-insensitive.
fn name_len(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    if !bytes.first()?.is_ascii_alphanumeric() {
        return None;
    }
    let run = bytes
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')))
        .unwrap_or(bytes.len());
    let mut len = run;
    while !bytes[len - 1].is_ascii_alphanumeric() {
        len -= 1;
    }
    Some(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn wanted_all() -> Vec<(&'static str, &'static str)> {
        packages(Parts::ALL)
    }

    fn plan(text: Option<&str>) -> RequirementsPlan {
        plan_requirements(text, "requirements.txt", &wanted_all()).unwrap()
    }

    /// A unified diff with `\r` and the BOM made visible.
    fn diff(old: &str, new: &str) -> String {
        let d = similar::TextDiff::from_lines(old, new)
            .unified_diff()
            .context_radius(2)
            .header("a/requirements.txt", "b/requirements.txt")
            .to_string();
        d.replace('\r', "␍").replace('\u{feff}', "⟨BOM⟩")
    }

    /// Snapshot of the diff plus what was found; names carry a `req_` prefix and
    /// no module path, so the files survive a move into another crate.
    fn snap(name: &str, old: Option<&str>) {
        let p = plan(old);
        let mut shown = diff(old.unwrap_or(""), &p.new_text);
        shown.push_str("---\n");
        for (name, line) in &p.present {
            shown.push_str(&format!("present: {name} = {line:?}\n"));
        }
        for note in &p.notes {
            shown.push_str(&format!("note: {note}\n"));
        }
        // Idempotent.
        let again = plan(Some(&p.new_text));
        assert!(
            again.added.is_empty(),
            "{name}: second plan added {:?}",
            again.added
        );
        assert_eq!(
            again.new_text, p.new_text,
            "{name}: second plan changed the text"
        );
        insta::with_settings!({prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!(format!("req_{name}"), shown);
        });
    }

    #[test]
    fn table_is_sane() {
        for (_, name, spec) in PACKAGES {
            assert_eq!(name_len(name), Some(name.len()), "{name}");
            assert!(spec.starts_with(">="), "{spec}");
        }
        assert_eq!(
            libraries("flask\npsycopg[binary]==3.1\npsycopg-pool\nboto3 # AWS\n"),
            [
                ("opentelemetry-instrumentation-psycopg", ">=0.66b1"),
                ("opentelemetry-instrumentation-botocore", ">=0.66b1"),
            ]
        );
        assert_eq!(
            libraries("Psycopg2_Binary\n# boto3\n-r base.txt\n"),
            [("opentelemetry-instrumentation-psycopg2", ">=0.66b1")]
        );
        assert_eq!(libraries("flask\nrequests\n"), []);
        assert_eq!(
            old_opentelemetry_pin(
                "flask\nopentelemetry-api==1.19.0\nopentelemetry-instrumentation-flask==0.40b0\n"
            ),
            Some((2, "opentelemetry-api==1.19.0".to_string()))
        );
        assert_eq!(
            old_opentelemetry_pin(
                "opentelemetry-api\nopentelemetry-instrumentation-flask>=0.66b1\n"
            ),
            None
        );
        // The boto3 line written for watchtower is not the app's use of AWS.
        assert_eq!(libraries("flask\nboto3>=1.28.0\n"), []);
        assert_eq!(
            libraries("flask\nboto3==1.26.80\n"),
            [("opentelemetry-instrumentation-botocore", ">=0.66b1")]
        );
        assert_eq!(packages(Parts::NONE), []);
        assert_eq!(
            packages(Parts::of(&[Part::Rollbar, Part::Logs])),
            [
                ("watchtower", ">=3.4.0"),
                ("boto3", ">=1.28.0"),
                ("rollbar", ">=1.5.0"),
                ("blinker", ">=1.9.0")
            ]
        );
        assert_eq!(packages(Parts::ALL).len(), PACKAGES.len());
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalize_name("Flask_CORS"), "flask-cors");
        assert_eq!(normalize_name("OpenTelemetry.SDK"), "opentelemetry-sdk");
        assert_eq!(normalize_name("a-_.-b"), "a-b");
        assert_eq!(normalize_name("aws_xray__sdk"), "aws-xray-sdk");
    }

    #[test]
    fn name_extraction() {
        let req = |s: &str| match classify(strip_comment(s).trim()) {
            Kind::Requirement(n) => Some(n),
            _ => None,
        };
        assert_eq!(req("flask"), Some("flask".into()));
        assert_eq!(req("Flask_CORS==3.0"), Some("flask-cors".into()));
        assert_eq!(
            req("opentelemetry-sdk[foo]>=1"),
            Some("opentelemetry-sdk".into())
        );
        assert_eq!(
            req("rollbar ; python_version>\"3\""),
            Some("rollbar".into())
        );
        assert_eq!(req("flask  # web"), Some("flask".into()));
        assert_eq!(req("flask   "), Some("flask".into()));
        assert_eq!(req("requests (>=2)"), Some("requests".into()));
        assert_eq!(req("pkg @ https://x/pkg.whl"), Some("pkg".into()));
        assert_eq!(req("flask==2.2 --hash=sha256:ab"), Some("flask".into()));
        assert_eq!(
            req("git+https://github.com/x/y.git#egg=Watchtower"),
            Some("watchtower".into())
        );
        assert_eq!(
            req("https://x/y.zip#sha1=a&egg=rollbar"),
            Some("rollbar".into())
        );
        assert_eq!(
            req("-e git+https://x/y.git#egg=aws_xray_sdk"),
            Some("aws-xray-sdk".into())
        );
        assert_eq!(
            req("--editable=git+https://x/y.git#egg=blinker"),
            Some("blinker".into())
        );
        assert_eq!(req("-e ."), None);
        assert_eq!(req("./local/pkg"), None);
        assert_eq!(req("https://x/y.whl"), None);
        assert_eq!(req("--index-url https://pypi.org/simple"), None);
        assert_eq!(req("# flask"), None);
        assert_eq!(req("flask/sub"), None);
        assert_eq!(classify("-rbase.txt"), Kind::Include("base.txt".into()));
        assert_eq!(classify("-r base.txt"), Kind::Include("base.txt".into()));
        assert_eq!(
            classify("--requirement=base.txt"),
            Kind::Include("base.txt".into())
        );
        assert_eq!(
            classify("-c constraints.txt"),
            Kind::Include("constraints.txt".into())
        );
    }

    #[test]
    fn pins_below_our_minimum_are_named() {
        assert!(excludes_from("==1.26.80", "1.28.0"));
        assert!(!excludes_from("==1.28.0", "1.28.0"));
        assert!(!excludes_from("", "1.28.0"));
        assert!(!excludes_from(">=1.20", "1.28.0"));
        assert!(excludes_from(">=1.20,<1.28", "1.28.0"));
        assert!(excludes_from("<=1.27.9", "1.28.0"));
        assert!(excludes_from("~=1.27.0", "1.28.0"));
        assert!(!excludes_from("~=1.27", "1.28.0"));
        assert!(excludes_from("==1.27.*", "1.28.0"));
        assert!(!excludes_from("==1.28.*", "1.28.0"));
        assert!(excludes_from("==2.2.3", "2.3"));
        assert!(!excludes_from("==0.66b1", "0.66b1"));
        let p = plan_requirements(
            Some("flask\nboto3==1.26.80  # old\nwatchtower[extra] >=3.4 ; python_version>'3'\n"),
            "requirements.txt",
            &[("boto3", ">=1.28.0"), ("watchtower", ">=3.4.0")],
        )
        .unwrap();
        assert_eq!(
            p.notes,
            [
                "requirements.txt:2: `boto3==1.26.80` keeps boto3 below 1.28.0, the oldest \
              lib/observability.py works with; change it to `boto3>=1.28.0`"
            ]
        );
        assert_eq!(
            listed_spec("Flask==2.2.3\n", "flask"),
            Some((1, "Flask==2.2.3".into(), "==2.2.3".into()))
        );
        assert_eq!(listed_spec("flask\n", "Flask").unwrap().2, "");
    }

    #[test]
    fn invalid_wanted_name_is_an_error() {
        let err = plan_requirements(
            Some(""),
            "backend-flask/requirements.txt",
            &[("-bad", ">=1")],
        )
        .unwrap_err();
        assert_eq!(
            err,
            AppError::InvalidPackageName {
                file: "backend-flask/requirements.txt".into(),
                name: "-bad".into()
            }
        );
    }

    #[test]
    fn duplicate_wanted_names_are_added_once() {
        let p = plan_requirements(
            Some("flask\n"),
            "r",
            &[("rollbar", ">=1"), ("Rollbar", ">=2")],
        )
        .unwrap();
        assert_eq!(p.added, ["rollbar>=1"]);
        assert_eq!(p.new_text, "flask\nrollbar>=1\n");
    }

    #[test]
    fn final_newline_rules() {
        let w = [("rollbar", ">=1.5"), ("blinker", ">=1.9")];
        let p = |t: &str| plan_requirements(Some(t), "r", &w).unwrap().new_text;
        assert_eq!(
            p("flask\nflask-cors"),
            "flask\nflask-cors\nrollbar>=1.5\nblinker>=1.9"
        );
        assert_eq!(p("flask\n"), "flask\nrollbar>=1.5\nblinker>=1.9\n");
        assert_eq!(p(""), "rollbar>=1.5\nblinker>=1.9\n");
        assert_eq!(
            p("flask\r\nx"),
            "flask\r\nx\r\nrollbar>=1.5\r\nblinker>=1.9"
        );
        assert_eq!(
            plan_requirements(None, "r", &w).unwrap().new_text,
            "rollbar>=1.5\nblinker>=1.9\n"
        );
    }

    #[test]
    fn nothing_to_add_keeps_bytes() {
        let text = "\u{feff}Rollbar==0.16.3 \r\nblinker\r\n\r\n# end";
        let p = plan_requirements(
            Some(text),
            "r",
            &[("rollbar", ">=1.5"), ("blinker", ">=1.9")],
        )
        .unwrap();
        assert_eq!(p.new_text, text);
        assert!(p.added.is_empty());
        // pip drops the BOM, and so do we.
        assert_eq!(p.present.len(), 2);
    }

    #[test]
    fn bom_first_line() {
        let p = plan_requirements(Some("\u{feff}rollbar\n"), "r", &[("rollbar", ">=1.5")]).unwrap();
        assert!(p.added.is_empty());
        assert_eq!(p.present, [("rollbar".to_owned(), "rollbar".to_owned())]);
    }

    #[test]
    fn hash_pinned_file_gets_one_note() {
        let text = "flask==2.2.3 \\\n    --hash=sha256:aa\nrequests==2.31 --hash=sha256:bb\n";
        let p = plan_requirements(Some(text), "requirements.txt", &[("rollbar", ">=1.5")]).unwrap();
        assert_eq!(p.notes.len(), 1);
        assert!(p.notes[0].starts_with("requirements.txt:1: this file pins hashes"));
    }

    #[test]
    fn snap_course_week1() {
        // The week-1 backend-flask/requirements.txt of the bootcamp.
        snap("course_week1", Some("flask\nflask-cors\n"));
    }

    #[test]
    fn snap_comments_and_blank_lines() {
        snap(
            "comments",
            Some("# web\nflask  # the app\n\n# cross-origin\nflask-cors\n\n# end of list\n"),
        );
    }

    #[test]
    fn snap_crlf() {
        snap("crlf", Some("flask\r\nflask-cors\r\n"));
    }

    #[test]
    fn snap_no_final_newline() {
        snap("no_final_newline", Some("flask\nflask-cors"));
    }

    #[test]
    fn snap_crlf_no_final_newline() {
        snap("crlf_no_final_newline", Some("flask\r\nflask-cors"));
    }

    #[test]
    fn snap_extras_markers_specs() {
        snap(
            "extras_markers",
            Some(
                "flask==2.2.3\n\
                 opentelemetry-sdk[foo]>=1\n\
                 aws-xray-sdk ; python_version>\"3\"\n\
                 watchtower~=3.0   \n\
                 rollbar  # errors\n",
            ),
        );
    }

    #[test]
    fn snap_other_spellings() {
        snap(
            "other_spellings",
            Some("Flask\nFlask_CORS\nOpenTelemetry.SDK==1.16.0\nopentelemetry_API\nAWS-XRay-SDK\nBlinker\n"),
        );
    }

    #[test]
    fn snap_includes_and_options() {
        snap(
            "includes",
            Some(
                "--index-url https://pypi.org/simple\n\
                 -r base.txt\n\
                 -e .\n\
                 -e git+https://github.com/kislyuk/watchtower.git#egg=watchtower\n\
                 git+https://github.com/rollbar/pyrollbar.git#egg=rollbar\n\
                 flask\n",
            ),
        );
    }

    #[test]
    fn snap_continuation_lines() {
        snap(
            "continuation",
            Some(
                "flask==2.2.3 \\\n    --hash=sha256:aa\n\
                 # a comment ending in a backslash does not continue \\\n\
                 aws-xray-sdk\\\n>=2.0\n\
                 opentelemetry-api \\\n",
            ),
        );
    }

    #[test]
    fn snap_empty() {
        snap("empty", Some(""));
    }

    #[test]
    fn snap_missing() {
        snap("missing", None);
    }

    #[test]
    fn snap_all_present() {
        let full = plan(Some("flask\n")).new_text;
        snap("all_present", Some(&full));
    }

    // ---- property test -------------------------------------------------------

    /// One generated item: its physical lines, and the normalised name it lists.
    #[derive(Debug, Clone)]
    struct Item {
        lines: Vec<String>,
        name: Option<&'static str>,
    }

    const SPELLINGS: &[(&str, &str)] = &[
        ("flask", "flask"),
        ("Flask_CORS", "flask-cors"),
        ("OpenTelemetry.SDK", "opentelemetry-sdk"),
        ("opentelemetry_api", "opentelemetry-api"),
        (
            "opentelemetry-exporter-otlp-proto-http",
            "opentelemetry-exporter-otlp-proto-http",
        ),
        ("AWS_XRay_SDK", "aws-xray-sdk"),
        ("Watchtower", "watchtower"),
        ("rollbar", "rollbar"),
        ("blinker", "blinker"),
        ("requests", "requests"),
        ("psycopg", "psycopg"),
    ];

    const SUFFIXES: &[&str] = &[
        "",
        ">=1.0",
        "==2.2.3",
        "[extra]>=1",
        " ; python_version>'3.8'",
        "  # trailing comment",
        "   ",
        " @ https://example.com/x.whl",
    ];

    fn item() -> impl Strategy<Value = Item> {
        prop_oneof![
            Just(Item {
                lines: vec![String::new()],
                name: None
            }),
            "[ a-z#\\\\]{0,12}".prop_map(|s| Item {
                lines: vec![format!("#{s}")],
                name: None
            }),
            Just(Item {
                lines: vec!["-r base.txt".into()],
                name: None
            }),
            Just(Item {
                lines: vec!["--index-url https://pypi.org/simple".into()],
                name: None
            }),
            Just(Item {
                lines: vec!["-e .".into()],
                name: None
            }),
            (0..SPELLINGS.len(), 0..SUFFIXES.len()).prop_map(|(n, s)| Item {
                lines: vec![format!("{}{}", SPELLINGS[n].0, SUFFIXES[s])],
                name: Some(SPELLINGS[n].1),
            }),
            (0..SPELLINGS.len()).prop_map(|n| Item {
                lines: vec![format!("{} \\", SPELLINGS[n].0), "    >=1.0".into()],
                name: Some(SPELLINGS[n].1),
            }),
            (0..SPELLINGS.len()).prop_map(|n| Item {
                lines: vec![format!(
                    "git+https://example.com/x.git#egg={}",
                    SPELLINGS[n].0
                )],
                name: Some(SPELLINGS[n].1),
            }),
        ]
    }

    fn file() -> impl Strategy<Value = (String, HashSet<&'static str>, bool)> {
        (
            prop::collection::vec(item(), 0..12),
            any::<bool>(), // CRLF
            any::<bool>(), // final newline
            any::<bool>(), // dangling `\` at the end
        )
            .prop_map(|(items, crlf, final_nl, dangling)| {
                let eol = if crlf { "\r\n" } else { "\n" };
                let mut lines: Vec<String> = items.iter().flat_map(|i| i.lines.clone()).collect();
                let mut names: HashSet<&'static str> =
                    items.iter().filter_map(|i| i.name).collect();
                if dangling {
                    lines.push("rollbar \\".into());
                    names.insert("rollbar");
                }
                let mut text = lines.join(eol);
                if final_nl && !lines.is_empty() {
                    text.push_str(eol);
                }
                (text, names, dangling)
            })
    }

    proptest! {
        #[test]
        fn appends_only_and_is_idempotent((text, names, dangling) in file()) {
            let p = plan(Some(&text));
            let eol = crate::files::line_ending(&text);

            // Every input byte kept, in order, at the start.
            prop_assert!(p.new_text.starts_with(&text));

            // Exactly the wanted packages not listed were added.
            let expected: Vec<String> = wanted_all()
                .iter()
                .filter(|(n, _)| !names.contains(normalize_name(n).as_str()))
                .map(|(n, s)| format!("{n}{s}"))
                .collect();
            prop_assert_eq!(&p.added, &expected);
            prop_assert_eq!(p.added.len() + p.present.len(), wanted_all().len());

            // The tail holds only the added lines (and one blank line that ends a
            // dangling continuation), with the file's line ending.
            let tail = &p.new_text[text.len()..];
            if p.added.is_empty() {
                prop_assert_eq!(tail, "");
            } else {
                if eol == "\n" {
                    prop_assert!(!tail.contains('\r'));
                } else {
                    prop_assert_eq!(tail.matches('\n').count(), tail.matches("\r\n").count());
                }
                let tail_lines: Vec<&str> = tail.split(eol).collect();
                let non_empty: Vec<&str> = tail_lines.iter().copied().filter(|l| !l.is_empty()).collect();
                prop_assert_eq!(non_empty, p.added.iter().map(String::as_str).collect::<Vec<_>>());
                let blanks = tail_lines.iter().filter(|l| l.is_empty()).count();
                // Split artefacts: a leading "" when the input lacked a final
                // newline, a trailing "" when the output ends with one.
                let lead = usize::from(!text.is_empty() && !text.ends_with('\n'));
                let trail = usize::from(p.new_text.ends_with('\n'));
                prop_assert_eq!(blanks, lead + trail + usize::from(dangling));
                // The final-newline state is kept (an empty file gets one).
                prop_assert_eq!(p.new_text.ends_with('\n'), text.is_empty() || text.ends_with('\n'));
            }

            // Idempotent.
            let again = plan(Some(&p.new_text));
            prop_assert!(again.added.is_empty());
            prop_assert_eq!(again.new_text, p.new_text);
        }

        #[test]
        fn arbitrary_text_never_panics_and_only_appends(text in "[a-zA-Z0-9#_.= \\[\\]@;~<>!\\-\\\\\r\n\u{feff}é]{0,80}") {
            let p = plan(Some(&text));
            prop_assert!(p.new_text.starts_with(&text));
            let again = plan(Some(&p.new_text));
            prop_assert!(again.added.is_empty(), "{:?} -> {:?}", text, p.new_text);
            prop_assert_eq!(again.new_text, p.new_text);
        }
    }
}
