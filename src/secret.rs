//! Secrets (API keys, tokens) that must never be printed, logged or written in full.
//! [`Secret`] has no `Display`, and its `Debug` shows only the masked form.

use std::fmt;

/// A secret value. Only [`Secret::expose`] gives the value, for the one header it goes in.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A short form that identifies the secret without revealing it.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.masked())
    }
}

/// Masks a secret: a known non-secret prefix (such as Honeycomb's `hcaik_`) and
/// the last 4 characters, nothing else. Short values are masked entirely.
pub(crate) fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < 16 {
        return "****".into();
    }
    let prefix: String = match value.find('_') {
        Some(i) if i <= 6 && value.starts_with("hc") => value[..=i].to_string(),
        _ => String::new(),
    };
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{prefix}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_the_prefix_and_the_last_four() {
        let key = format!("hcaik_{}", "a1".repeat(29));
        assert_eq!(mask(&key), "hcaik_…a1a1");
        assert_eq!(mask("0123456789abcdef0123456789abcdef"), "…cdef");
        assert_eq!(mask("short"), "****");
        let s = Secret::new(key.clone());
        assert!(!format!("{s:?}").contains(&key));
    }
}
