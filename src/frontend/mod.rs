//! Pure planners behind `cruddur-obs frontend write`: browser tracing for the
//! React frontend (`frontend-react-js/`, a create-react-app app) and what the
//! rest of the app needs for it.
//!
//! Nothing here reads or writes files or prints: every function takes the text of
//! a file (and its name, for messages) and returns the planned text and what it
//! found. Line numbers are 1-based.
//!
//! - [`package_json`]: the OpenTelemetry browser packages ([`PACKAGES`], one
//!   family pinned together) added to `"dependencies"`, losslessly.
//! - [`tracing_file`]: `src/tracing.js` (`.ts` for a TypeScript app) from
//!   `templates/`, and what a hand-written tracing setup looks like; [`keys`]:
//!   whether browser code ships a Honeycomb key to every visitor; [`js`]: the
//!   JavaScript text helpers; [`hand`]: a setup written by hand, and whether
//!   it runs.
//! - [`index_js`]: `import './tracing';` as the entry point's first import.
//! - [`cors`]: the backend's `CORS(..., allow_headers=...)` made to allow the
//!   W3C trace headers the browser now sends to it, and [`headers`]: the ones
//!   the frontend's own `fetch` calls send (`Authorization`).

pub(crate) mod cors;
pub(crate) mod hand;
pub(crate) mod headers;
pub(crate) mod index_js;
pub(crate) mod js;
pub(crate) mod keys;
pub(crate) mod package_json;
pub(crate) mod tracing_file;

/// The frontend's directory in the course's layout.
pub(crate) const DEFAULT_DIR: &str = "frontend-react-js";

/// The variable the build reads the collector's base URL from (create-react-app
/// inlines `REACT_APP_*` at build time: a URL, never a secret).
pub(crate) const COLLECTOR_URL_VAR: &str = "REACT_APP_OTEL_COLLECTOR_URL";

/// The W3C trace-context headers the fetch instrumentation sends to the backend.
pub(crate) const TRACE_HEADERS: [&str; 2] = ["traceparent", "tracestate"];

/// The OpenTelemetry browser packages, at versions that install together
/// (checked with `npm view` and a clean `npm install`: 37 packages, no peer
/// conflict). `sdk-trace-web` 2.12.0 pins `core`/`sdk-trace-base` 2.12.0 exactly
/// and wants `@opentelemetry/api` below 1.10, and `instrumentation-document-load`
/// 0.68 is the last on the 2.x core: the family is pinned exactly, together.
pub(crate) const PACKAGES: &[(&str, &str)] = &[
    ("@opentelemetry/api", "1.9.1"),
    ("@opentelemetry/context-zone", "2.12.0"),
    ("@opentelemetry/exporter-trace-otlp-http", "0.223.0"),
    ("@opentelemetry/instrumentation", "0.223.0"),
    ("@opentelemetry/instrumentation-document-load", "0.68.0"),
    ("@opentelemetry/instrumentation-fetch", "0.223.0"),
    ("@opentelemetry/resources", "2.12.0"),
    ("@opentelemetry/sdk-trace-base", "2.12.0"),
    ("@opentelemetry/sdk-trace-web", "2.12.0"),
    ("@opentelemetry/semantic-conventions", "1.45.0"),
];

/// The entry points looked for, in order (create-react-app's names).
pub(crate) const ENTRY_POINTS: [&str; 4] = [
    "src/index.js",
    "src/index.jsx",
    "src/index.tsx",
    "src/index.ts",
];

/// Why a frontend file cannot be edited safely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FrontendError {
    #[error("{file}:{line}:{column}: not valid JSON ({message}); nothing was written")]
    Json {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: {what} is {found}, not an object; nothing was written")]
    NotAnObject {
        file: String,
        what: &'static str,
        found: &'static str,
    },
    /// The editor's own check failed: a bug, never written.
    #[error("{file}: cannot add the packages safely ({message}); nothing was written")]
    Verify { file: String, message: String },
    #[error("{dir}: found no entry point ({}); nothing was written", ENTRY_POINTS.join(", "))]
    NoEntryPoint { dir: String },
    #[error("found no React frontend: no {looked}")]
    NoFrontend { looked: String },
    #[error("several services build a React app ({}): which one is the frontend?", services.join(", "))]
    SeveralFrontends { services: Vec<String> },
}

impl FrontendError {
    pub(crate) fn help(&self) -> Option<String> {
        Some(match self {
            FrontendError::Json { .. } => {
                "fix the line named (npm cannot read the file either)".into()
            }
            FrontendError::NotAnObject { .. } => {
                "package.json must be an object with a \"dependencies\" object, as npm writes it"
                    .into()
            }
            FrontendError::Verify { .. } => {
                "add the packages by hand (`npm install` with the versions in the README), and \
                 please report this file's shape"
                    .into()
            }
            FrontendError::NoFrontend { .. } | FrontendError::SeveralFrontends { .. } => {
                "pass --dir with the React app's directory (the one holding package.json)".into()
            }
            FrontendError::NoEntryPoint { .. } => {
                "pass --dir with the React app's directory (the one holding package.json and \
                 src/index.js)"
                    .into()
            }
        })
    }
}

/// Whether the app is TypeScript: a `tsconfig.json`, or a `.tsx`/`.ts` entry.
pub(crate) fn is_typescript(has_tsconfig: bool, entry: &str) -> bool {
    has_tsconfig || entry.ends_with(".tsx") || entry.ends_with(".ts")
}

/// The tracing file for the app (relative to the frontend directory).
pub(crate) fn tracing_path(typescript: bool) -> &'static str {
    if typescript {
        "src/tracing.ts"
    } else {
        "src/tracing.js"
    }
}

/// The kind of a JSON value, for messages.
fn kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).unwrap_or(text).matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_family_is_pinned_exactly_and_sorted() {
        let names: Vec<&str> = PACKAGES.iter().map(|(n, _)| *n).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        for (name, version) in PACKAGES {
            assert!(name.starts_with("@opentelemetry/"), "{name}");
            assert!(
                version.split('.').count() == 3
                    && version.split('.').all(|p| p.parse::<u32>().is_ok()),
                "{name}: {version} is not an exact version"
            );
        }
    }

    #[test]
    fn typescript_is_told_by_tsconfig_or_the_entry() {
        assert!(!is_typescript(false, "src/index.js"));
        assert!(is_typescript(true, "src/index.js"));
        assert!(is_typescript(false, "src/index.tsx"));
        assert_eq!(tracing_path(true), "src/tracing.ts");
        assert_eq!(line_of("a\nb\nc", 2), 2);
    }
}
