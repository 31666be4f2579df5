//! Secrets (API keys, tokens) that must never be printed, logged or written in full.
//! [`Secret`] has no `Display`, and its `Debug` shows only the masked form.
//! Also the random ids ([`random_hex`]) the SaaS and verify modules make.

use std::fmt;

mod scrub;
pub(crate) use scrub::{register_public, register_secret, sanitize, scrub, scrub_value};

/// A secret value. Only [`Secret::expose`] gives the value, for the one header it goes in.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A secret, registered at once so that no output shows it (see [`crate::scrub`]).
    pub fn new(value: impl Into<String>) -> Secret {
        let value = value.into();
        register_secret(&value);
        Secret(value)
    }

    /// A value that travels with secrets (a region beside the keys for `gp env`)
    /// but is not one: not registered, so output shows it.
    pub(crate) fn shown(value: impl Into<String>) -> Secret {
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

/// A random id of `bytes` bytes, as lowercase hex (OTLP trace and span ids, X-Ray
/// ids, Rollbar item uuids).
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // Without a random source no id can be made; every OS we run on has one.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut buf).expect("the OS has a random source");
    buf.iter().map(|b| format!("{b:02x}")).collect()
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

/// The literal secrets in a file's text, whatever its format (YAML, JSON,
/// `.env`, shell lines in a task, Python): the value of every assignment whose
/// name says secret (`NAME=value`, `NAME: value`, `"NAME": "value"`,
/// `gp env NAME=value`, `config["NAME"] = "value"`) that is not a `${VAR}`
/// reference, and the credentials in URLs (`scheme://user:password@`, and the
/// key of a Sentry-style DSN `https://key@host`). Found once, when the file is
/// read, so that nothing shows them.
pub(crate) fn literal_secrets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        url_credentials(line, &mut out);
        assignments(line, &mut out);
    }
    out
}

/// The words of a name (`ROLLBAR_ACCESS_TOKEN`, `apiKey`, `x-honeycomb-team`),
/// lowercase.
fn name_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if matches!(c, '_' | '-' | '.') {
            words.push(std::mem::take(&mut current));
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    words.push(current);
    words.retain(|w| !w.is_empty());
    words
}

/// Whether a variable or key name says its value is a secret.
pub(crate) fn is_secret_name(name: &str) -> bool {
    const SECRET: &[&str] = &[
        "key",
        "apikey",
        "secret",
        "token",
        "password",
        "passwd",
        "pwd",
        "pass",
        "passphrase",
        "dsn",
        "credential",
        "credentials",
        "auth",
        "authorization",
    ];
    // Where a secret is kept, not the secret: a path, a name, a flag; or what
    // went wrong with one (`KeyError: ...` in a comment is prose).
    const NOT_THE_VALUE: &[&str] = &[
        "file",
        "path",
        "dir",
        "name",
        "region",
        "enabled",
        "type",
        "length",
        "url",
        "error",
        "exception",
    ];
    let words = name_words(name);
    if name.to_ascii_lowercase().ends_with("honeycomb-team") {
        return true;
    }
    match words.last() {
        Some(last) if NOT_THE_VALUE.contains(&last.as_str()) => false,
        _ => words.iter().any(|w| SECRET.contains(&w.as_str())),
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// `NAME=value` / `NAME: value` / `"NAME": "value"` with a secret name.
fn assignments(line: &str, out: &mut Vec<String>) {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i] as char;
        if !is_name_char(c) || (i > 0 && is_name_char(bytes[i - 1] as char)) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_name_char(bytes[i] as char) {
            i += 1;
        }
        let name = &line[start..i];
        if !is_secret_name(name) {
            continue;
        }
        if let Some(value) = assigned_value(&line[i..]) {
            // `credentials: set AWS_ACCESS_KEY_ID and` in a message is prose: an
            // unquoted value of several words is a secret only after a name
            // written as a variable (`MY_TOKEN: two words`), not a plain word.
            let plain_word = name.chars().all(|c| c.is_ascii_lowercase());
            let unquoted = !value.is_empty()
                && !line[i..].contains(&format!("\"{value}"))
                && !line[i..].contains(&format!("'{value}"));
            if plain_word && unquoted && value.contains(char::is_whitespace) {
                continue;
            }
            // `token = CognitoJwtToken(`, `key = os.getenv(`: code, a call, not a value.
            if unquoted && value.contains('(') {
                continue;
            }
            push_value(value, out);
        }
    }
}

/// The value assigned right after a name, if `rest` starts with an assignment.
fn assigned_value(rest: &str) -> Option<&str> {
    // A quoted key's closing quote, a subscript's `]`, then spaces.
    let rest = rest.strip_prefix(['"', '\'']).unwrap_or(rest);
    let rest = rest.strip_prefix(']').unwrap_or(rest).trim_start();
    let (sep, after) = match rest.chars().next()? {
        '=' if !rest.starts_with("==") => ('=', &rest[1..]),
        ':' if !rest.starts_with("::") && !rest.starts_with("://") => (':', &rest[1..]),
        _ => return None,
    };
    let after = after.trim_start();
    let value = match after.chars().next()? {
        q @ ('"' | '\'') => {
            let body = &after[1..];
            let mut end = body.len();
            let mut escaped = false;
            for (at, c) in body.char_indices() {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    end = at;
                    break;
                }
            }
            &body[..end]
        }
        _ if sep == ':' => {
            let v = after.split(" #").next().unwrap_or(after).trim();
            v.trim_end_matches(',').trim()
        }
        _ => {
            let end = after
                .find(|c: char| {
                    c.is_whitespace() || matches!(c, ';' | '&' | '|' | ')' | ',' | '"' | '\'')
                })
                .unwrap_or(after.len());
            &after[..end]
        }
    };
    Some(value)
}

/// `SCREAMING_SNAKE_CASE`: how code names a constant (keys have lowercase
/// letters, or no underscore between capitals).
fn is_constant_name(v: &str) -> bool {
    let mut parts = v.split('_');
    v.contains('_')
        && parts.all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        })
        && v.starts_with(|c: char| c.is_ascii_uppercase())
}

/// Keeps a found value unless it is not a value at all (a reference, a
/// placeholder, a block or flow start, a YAML constant).
fn push_value(value: &str, out: &mut Vec<String>) {
    let v = value.trim();
    let not_a_value = v.is_empty()
        || v.starts_with('$')
        // A build-time variable named in code (`process.env.REACT_APP_…`), not its value.
        || v.starts_with("process.env.")
        || v.starts_with("import.meta.env.")
        // A constant's name (`"x-honeycomb-team": HONEYCOMB_API_KEY`), not its value.
        || is_constant_name(
            v.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()
                .unwrap_or_default(),
        )
        || v.contains("${")
        || (v.starts_with('<') && v.contains('>'))
        || v.starts_with("{{")
        || v.starts_with(['[', '{', '|', '>', '&', '*', '%'])
        || matches!(v, "null" | "true" | "false" | "~");
    if not_a_value {
        return;
    }
    // A URL with credentials: its credentials are the secret (found by
    // `url_credentials`), not the host and path around them.
    let mut creds = Vec::new();
    url_credentials(v, &mut creds);
    if !creds.is_empty() {
        return;
    }
    out.push(v.to_string());
    if v.contains('\\') {
        out.push(v.replace("\\\"", "\"").replace("\\\\", "\\"));
    }
}

/// The end of a URL's authority (`user:pass@host:port`).
fn authority_end(s: &str) -> usize {
    s.find(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '`' | ')' | ','
            )
    })
    .unwrap_or(s.len())
}

/// The credentials in URLs: `scheme://user:password@` gives the password; a
/// DSN's `scheme://key@` gives the key.
fn url_credentials(line: &str, out: &mut Vec<String>) {
    for (at, _) in line.match_indices("://") {
        let rest = &line[at + 3..];
        let authority = &rest[..authority_end(rest)];
        let Some((userinfo, _host)) = authority.rsplit_once('@') else {
            continue;
        };
        match userinfo.split_once(':') {
            Some((_user, password)) => push_value(password, out),
            None => push_value(userinfo, out),
        }
    }
}

/// `text` with the credentials of every URL in it masked: the password of
/// `scheme://user:password@` and a DSN's long key (`https://key@host`),
/// whatever their length (short ones are never registered as secrets).
pub(crate) fn mask_url_credentials(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("://") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (at, _) in text.match_indices("://") {
        if at < last {
            continue;
        }
        let start = at + 3;
        let rest = &text[start..];
        let authority = &rest[..authority_end(rest)];
        let Some((userinfo, _)) = authority.rsplit_once('@') else {
            continue;
        };
        let (from, to) = match userinfo.split_once(':') {
            Some((user, password)) if !password.is_empty() && password != "****" => {
                (start + user.len() + 1, start + userinfo.len())
            }
            None if userinfo.len() >= 16 && userinfo.chars().all(|c| c.is_ascii_alphanumeric()) => {
                (start, start + userinfo.len())
            }
            _ => continue,
        };
        out.push_str(&text[last..from]);
        out.push_str("****");
        last = to;
    }
    out.push_str(&text[last..]);
    std::borrow::Cow::Owned(out)
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

    #[test]
    fn literal_secrets_are_found_in_any_format() {
        let found = |text: &str| literal_secrets(text);
        // Code that calls something is not a literal.
        for code in [
            "cognito_jwt_token = CognitoJwtToken(",
            "  momento_auth_token = CredentialProvider.from_environment_variable(\"MOMENTO_AUTH_TOKEN\")",
            "rollbar_access_token = os.getenv('ROLLBAR_ACCESS_TOKEN')",
        ] {
            assert_eq!(found(code), Vec::<String>::new(), "{code}");
        }
        assert_eq!(found("api_key = 'abc(def)ghij'"), ["abc(def)ghij"]);
        // A build-time variable's name is not its value.
        assert_eq!(
            found("  'x-honeycomb-team': process.env.REACT_APP_HC_TEAM,"),
            Vec::<String>::new()
        );
        // Nor a constant's name.
        assert_eq!(
            found("  \"x-honeycomb-team\": HONEYCOMB_API_KEY },"),
            Vec::<String>::new()
        );
        assert_eq!(found("API_KEY=AB_CD_EF_12"), Vec::<String>::new());
        assert_eq!(found("api_key: hcaik_01abc"), ["hcaik_01abc"]);
        assert_eq!(
            found("      gp env ROLLBAR_ACCESS_TOKEN=abcdef0123456789 && echo ok"),
            ["abcdef0123456789"]
        );
        assert_eq!(
            found("  gp env HONEYCOMB_API_KEY=\"hcaik_0123456789\""),
            ["hcaik_0123456789"]
        );
        assert_eq!(
            found("    \"ROLLBAR_ACCESS_TOKEN\": \"0badc0ffee\","),
            ["0badc0ffee"]
        );
        assert_eq!(
            found("      MY_SERVICE_TOKEN: t0k3n value here # note"),
            ["t0k3n value here"]
        );
        assert_eq!(
            found("app.config['SECRET_KEY'] = 'flask-secret-1'"),
            ["flask-secret-1"]
        );
        assert_eq!(
            found("DB=postgresql://cruddur:Sup3rS3cret@db:5432/cruddur"),
            ["Sup3rS3cret"]
        );
        assert_eq!(
            found("--index-url https://user:tok3n@pypi.example.com/simple"),
            ["tok3n"]
        );
        assert_eq!(
            found("SENTRY_DSN=https://0123456789abcdef@o1.ingest.sentry.io/1"),
            ["0123456789abcdef"]
        );
        assert_eq!(found("\"TOKEN\": \"ab\\\"cd\""), ["ab\\\"cd", "ab\"cd"]);
        // References, placeholders, paths and other names are not secrets.
        for none in [
            "AWS_SECRET_ACCESS_KEY: \"${AWS_SECRET_ACCESS_KEY}\"",
            "gp env ROLLBAR_ACCESS_TOKEN=<value>",
            "AWS_SHARED_CREDENTIALS_FILE=/home/gitpod/.aws/credentials",
            "FRONTEND_URL: https://example.com",
            "if a == b: keyboard = 1",
            "remoteEnv: {",
            "x = y",
            "  # a body without \"message\" raises KeyError: the 500 the Rollbar part reports",
            "except TokenExpiredException: pass",
            "raise RuntimeError(\"no AWS credentials: set AWS_ACCESS_KEY_ID and \"",
            "(``x-honeycomb-team=<key>``). The resource reads OTEL_SERVICE_NAME",
        ] {
            assert!(found(none).is_empty(), "{none}: {:?}", found(none));
        }
    }

    #[test]
    fn url_credentials_are_masked_whatever_their_length() {
        assert_eq!(
            mask_url_credentials("postgresql://user:pass@db:5432/x and https://a.b/c"),
            "postgresql://user:****@db:5432/x and https://a.b/c"
        );
        assert_eq!(
            mask_url_credentials("https://0123456789abcdef0123@o1.ingest.sentry.io/1"),
            "https://****@o1.ingest.sentry.io/1"
        );
        assert_eq!(
            mask_url_credentials("ssh://git@github.com"),
            "ssh://git@github.com"
        );
    }

    #[test]
    fn our_own_module_holds_no_secret_but_a_constant_name() {
        // Every run that reads lib/observability.py registers what looks secret
        // in it: prose there once masked `_ACCESS_` in `status`'s Rollbar line.
        assert_eq!(literal_secrets(crate::app::MODULE), ["cruddur_obs"]);
    }
}
