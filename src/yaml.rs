//! The YAML layer the two YAML files share (`docker-compose.yml`, `.gitpod.yml`):
//! the strict parse — no tabs, no duplicate keys, errors with line and column in
//! the user's terms, never the parser's internals. Each file kind wraps
//! [`YamlError`] in an error type of its own, with help that fits that file.

use serde_json::Value;

/// Text that is not YAML the strict parser accepts; the message names the line
/// and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct YamlError {
    pub(crate) message: String,
    /// Over the parser's budget (nodes, depth, aliases): too large or too
    /// complex to read safely, not necessarily invalid.
    pub(crate) too_complex: bool,
}

/// Parses strictly: YAML errors, tabs and duplicate keys are refused.
pub(crate) fn parse_strict(text: &str) -> Result<Value, YamlError> {
    serde_saphyr::from_str::<Value>(text).map_err(|e| {
        let raw = e.to_string();
        YamlError {
            too_complex: raw.contains("budget breached"),
            message: user_message(&raw),
        }
    })
}

/// The parser's message in the user's terms: its first line, without advice
/// about the parser's own options ("set DuplicateKeyPolicy in Options").
fn user_message(raw: &str) -> String {
    let first = raw
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ");
    let mut message = first.to_string();
    for internal in ["DuplicateKeyPolicy", "Options", "serde", "saphyr"] {
        if let Some(i) = message.find(internal) {
            // Cut the clause that names the library's internals.
            let cut = message[..i].rfind([';', '(', ',']).unwrap_or(i);
            message.truncate(cut);
        }
    }
    let message = message
        .trim_end_matches([' ', ';', ',', '(', ':'])
        .to_string();
    if message.is_empty() {
        first.to_string()
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_place_and_not_the_parser() {
        let dup = parse_strict("tasks: []\ntasks: []\n").unwrap_err().message;
        assert_eq!(dup, "line 2 column 1: duplicate mapping key: tasks");
        assert!(
            !parse_strict("tasks: []\ntasks: []\n")
                .unwrap_err()
                .too_complex
        );
        let tab = parse_strict("a:\n\tb: 1\n").unwrap_err().message;
        assert!(tab.starts_with("line 2"), "{tab}");
        for internal in ["DuplicateKeyPolicy", "Options", "serde", "saphyr"] {
            assert!(!dup.contains(internal) && !tab.contains(internal));
        }
        assert_eq!(
            parse_strict("a: [1, 2]\n").ok(),
            Some(serde_json::json!({"a": [1, 2]}))
        );
    }

    #[test]
    fn a_message_that_is_all_internals_is_kept_whole() {
        assert_eq!(user_message("error: Options"), "Options");
        assert_eq!(
            user_message("line 3 column 2: bad; set DuplicateKeyPolicy in Options\nmore"),
            "line 3 column 2: bad"
        );
    }
}
