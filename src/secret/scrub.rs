//! What output must never show: the secrets of this run (registered as they are
//! read: keys, tokens, the AWS secret, literal secrets found in files), masked
//! wherever they appear, and terminal control characters. Everything printed or
//! logged passes through [`scrub`] and [`sanitize`].

/// Scrubs every string of a JSON value in place (see [`scrub`]).
pub(crate) fn scrub_value(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            let clean = sanitize(&scrub(s)).into_owned();
            *s = clean;
        }
        Value::Array(items) => items.iter_mut().for_each(scrub_value),
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (k, mut v) in entries {
                scrub_value(&mut v);
                map.insert(sanitize(&scrub(&k)).into_owned(), v);
            }
        }
        _ => {}
    }
}

/// Values that are never secrets, whatever their name says: common words and
/// placeholders (`POSTGRES_PASSWORD: password` must not mask the word
/// everywhere), and the app's own names.
const NOT_SECRETS: &[&str] = &[
    "password",
    "passw0rd",
    "password1",
    "password123",
    "changeme",
    "change-me",
    "changeit",
    "secret",
    "secretkey",
    "secret-key",
    "example",
    "default",
    "undefined",
    "placeholder",
    "localhost",
    "development",
    "production",
    "postgres",
    "postgresql",
    "cruddur",
    "backend-flask",
    "frontend-react-js",
    "xray-daemon",
    "otel-collector",
    "dynamodb-local",
];

/// The secrets of this run (keys, tokens, the AWS secret, literal secrets found
/// in files) and the names that are not secrets (compose services): nothing
/// this program shows contains a secret or any 8-character piece of one.
/// Registered as soon as they are known.
#[derive(Default)]
struct Registry {
    secrets: Vec<String>,
    known: std::collections::HashSet<String>,
    public: std::collections::HashSet<String>,
    /// Built from the above on first use after a change.
    matcher: Option<std::sync::Arc<Matcher>>,
}

/// What [`scrub`] looks for: every secret whole (Aho-Corasick, leftmost
/// longest), and every 8-character piece of one (hashed, looked up per window),
/// so masking is linear in the text whatever the number of secrets.
struct Matcher {
    whole: Option<aho_corasick::AhoCorasick>,
    masked: Vec<String>,
    pieces: std::collections::HashSet<u64>,
}

/// The most bytes of secrets matched whole (see [`Registry::matcher`]).
const MAX_WHOLE_BYTES: usize = 512 * 1024;

static REGISTRY: std::sync::LazyLock<std::sync::Mutex<Registry>> =
    std::sync::LazyLock::new(Default::default);

/// Adds a secret to those masked in every output (shorter than 8: ignored).
pub(crate) fn register_secret(value: &str) {
    let value = value.trim();
    if value.chars().count() < 8 {
        return;
    }
    if let Ok(mut r) = REGISTRY.lock() {
        if r.known.insert(value.to_string()) {
            r.secrets.push(value.to_string());
            r.matcher = None;
        }
    }
}

/// Adds a name of the app's own (a compose service): never masked, even when a
/// secret-named entry holds it as its value.
pub(crate) fn register_public(name: &str) {
    if let Ok(mut r) = REGISTRY.lock() {
        if r.public.insert(name.trim().to_lowercase()) {
            r.matcher = None;
        }
    }
}

fn piece_hash(piece: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    piece.hash(&mut h);
    h.finish()
}

/// The 8-character windows of `text`, with their byte ranges.
fn windows(text: &str) -> impl Iterator<Item = (usize, usize, &str)> {
    let mut bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    bounds.push(text.len());
    let n = bounds.len();
    (0..n.saturating_sub(8)).map(move |i| {
        let (a, b) = (bounds[i], bounds[i + 8]);
        (a, b, &text[a..b])
    })
}

impl Registry {
    fn matcher(&mut self) -> std::sync::Arc<Matcher> {
        if let Some(m) = &self.matcher {
            return m.clone();
        }
        let not_secret: Vec<String> = NOT_SECRETS
            .iter()
            .map(|s| s.to_string())
            .chain(self.public.iter().cloned())
            .collect();
        let public_pieces: std::collections::HashSet<u64> = not_secret
            .iter()
            .flat_map(|w| {
                windows(w)
                    .map(|(_, _, p)| piece_hash(p))
                    .collect::<Vec<_>>()
            })
            .collect();
        let usable: Vec<&String> = self
            .secrets
            .iter()
            .filter(|s| {
                let lower = s.to_lowercase();
                !not_secret.contains(&lower) && s.chars().any(char::is_alphanumeric)
            })
            .collect();
        let masked: Vec<String> = usable.iter().map(|s| super::mask(s)).collect();
        let mut pieces = std::collections::HashSet::new();
        for (secret, masked) in usable.iter().zip(&masked) {
            for (_, _, piece) in windows(secret) {
                // Pieces of the masked form itself are fine (the prefix and last 4),
                // and so are pieces of blanks and of names that are not secrets.
                if piece.trim().is_empty()
                    || masked.contains(piece)
                    || public_pieces.contains(&piece_hash(piece))
                {
                    continue;
                }
                pieces.insert(piece_hash(piece));
            }
        }
        // Past a few hundred KiB of secrets the automaton would cost more
        // memory than the masking is worth: the pieces alone mask them (as ****).
        let total: usize = usable.iter().map(|s| s.len()).sum();
        let whole = (total <= MAX_WHOLE_BYTES)
            .then(|| {
                aho_corasick::AhoCorasick::builder()
                    .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                    // The compact automaton: thousands of long secrets stay small.
                    .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                    .build(&usable)
                    .ok()
            })
            .flatten();
        let m = std::sync::Arc::new(Matcher {
            whole,
            masked,
            pieces,
        });
        self.matcher = Some(m.clone());
        m
    }
}

/// `text` with every registered secret, and every 8-character piece of one,
/// replaced by its masked form, and the credentials of URLs masked.
pub(crate) fn scrub(text: &str) -> String {
    let Ok(matcher) = REGISTRY.lock().map(|mut r| r.matcher()) else {
        return super::mask_url_credentials(text).into_owned();
    };
    scrub_with(&matcher, text)
}

/// [`scrub`] with a given matcher.
fn scrub_with(matcher: &Matcher, text: &str) -> String {
    let text = super::mask_url_credentials(text);
    let mut out = String::with_capacity(text.len());
    let Some(whole) = &matcher.whole else {
        mask_pieces(&text, &matcher.pieces, &mut out);
        return out;
    };
    let mut last = 0;
    for m in whole.find_iter(text.as_ref()) {
        mask_pieces(&text[last..m.start()], &matcher.pieces, &mut out);
        out.push_str(&matcher.masked[m.pattern().as_usize()]);
        last = m.end();
    }
    mask_pieces(&text[last..], &matcher.pieces, &mut out);
    out
}

/// Appends `segment` with every run of 8-character pieces of secrets as `****`.
fn mask_pieces(segment: &str, pieces: &std::collections::HashSet<u64>, out: &mut String) {
    if pieces.is_empty() || segment.len() < 8 {
        out.push_str(segment);
        return;
    }
    let mut last = 0;
    let mut covered: Option<(usize, usize)> = None;
    for (a, b, piece) in windows(segment) {
        if !pieces.contains(&piece_hash(piece)) {
            continue;
        }
        covered = match covered {
            Some((start, end)) if a <= end => Some((start, end.max(b))),
            Some((start, end)) => {
                out.push_str(&segment[last..start]);
                out.push_str("****");
                last = end;
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    if let Some((start, end)) = covered {
        out.push_str(&segment[last..start]);
        out.push_str("****");
        last = end;
    }
    out.push_str(&segment[last..]);
}

/// `text` without terminal control sequences: every control character but
/// newline, tab and carriage return (ESC, BEL, the C1 set with CSI) is shown as
/// `�`, so a server's team name cannot clear the screen, set the title or
/// write the clipboard.
pub(crate) fn sanitize(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        (c.is_control() && !matches!(c, '\n' | '\t' | '\r')) || matches!(c, '\u{2028}' | '\u{2029}')
    };
    if text.chars().any(bad) {
        std::borrow::Cow::Owned(
            text.chars()
                .map(|c| if bad(c) { '\u{fffd}' } else { c })
                .collect(),
        )
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_whole_and_by_piece_and_names_are_not() {
        register_secret("Kq7vB2xN9mPzR4tW8yLc");
        register_secret("backend-flask");
        register_secret("        ");
        register_public("backend-flask");
        assert_eq!(scrub("key Kq7vB2xN9mPzR4tW8yLc end"), "key …8yLc end");
        assert_eq!(scrub("cut xN9mPzR4tW here"), "cut **** here");
        assert_eq!(scrub("service backend-flask"), "service backend-flask");
        assert_eq!(scrub("a        b"), "a        b");
    }

    #[test]
    fn many_secrets_are_masked_by_piece_past_the_whole_match_budget() {
        let many: Vec<String> = (0..3000)
            .map(|i| {
                format!(
                    "zz{i:05}Hq3Wm8Rt5Yp2Vn6Lb9Xc4Jd7Fg1Sk0Ae{}",
                    "Q".repeat(150)
                )
            })
            .collect();
        // A registry of its own: the global one is shared by the other tests.
        let mut registry = Registry {
            secrets: many.clone(),
            ..Registry::default()
        };
        let matcher = registry.matcher();
        assert!(matcher.whole.is_none(), "over the budget: pieces only");
        let text = format!("a {} b {}", many[17], &many[2999][..12]);
        let shown = scrub_with(&matcher, &text);
        assert!(!shown.contains(&many[17][..12]), "{shown}");
        assert!(!shown.contains("zz02999H"), "{shown}");
        assert!(shown.starts_with("a ****"), "{shown}");
    }

    #[test]
    fn json_values_are_scrubbed_not_their_serialised_form() {
        register_secret("ab\"cdefgh0123456789XYZ");
        let mut v = serde_json::json!({"diff": "TOKEN: 'ab\"cdefgh0123456789XYZ'", "n": 1});
        scrub_value(&mut v);
        assert_eq!(v["diff"], "TOKEN: '…9XYZ'");
        assert_eq!(v["n"], 1);
    }

    #[test]
    fn control_characters_are_replaced() {
        assert_eq!(
            sanitize("a\u{1b}[2Jb\u{7}\u{9b}c\n\td"),
            "a\u{fffd}[2Jb\u{fffd}\u{fffd}c\n\td"
        );
        assert!(matches!(sanitize("plain"), std::borrow::Cow::Borrowed(_)));
    }
}
