//! Why devcontainer.json cannot be edited: a file that does not parse, holds a key
//! twice or has the wrong shape, or an edit that fails its own check; with help.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DevcontainerError {
    #[error("{file} is not valid JSONC: {message} (line {line}, column {column})")]
    Parse {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: key {key:?} appears twice (line {line}, column {column}; first on line {first_line})")]
    DuplicateKey {
        file: String,
        line: usize,
        column: usize,
        key: String,
        first_line: usize,
    },
    #[error("{file}: the top level is {found}, not an object (line {line}, column {column})")]
    NotAnObject {
        file: String,
        line: usize,
        column: usize,
        found: &'static str,
    },
    #[error("{file}: `{key}` is {found}, expected {expected} (line {line}, column {column})")]
    WrongType {
        file: String,
        key: String,
        line: usize,
        column: usize,
        expected: &'static str,
        found: &'static str,
    },
    #[error("{file}: the edit would change more than the intended keys ({message}); nothing was written")]
    Verify { file: String, message: String },
}

impl DevcontainerError {
    /// Whether the file itself is at fault (as opposed to a bug in the edit).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, DevcontainerError::Verify { .. })
    }

    pub fn help(&self) -> Option<String> {
        Some(match self {
            DevcontainerError::Parse { .. } => {
                "fix the file (VS Code's editor underlines the same problem) and run again".into()
            }
            DevcontainerError::DuplicateKey { key, .. } => {
                format!("keep one of the {key:?} keys: tools disagree on which one wins")
            }
            DevcontainerError::NotAnObject { found, .. } => {
                if *found == "empty" {
                    "write `{}` in it, or delete it to have it created".into()
                } else {
                    "a devcontainer.json is one JSON object: `{ \"name\": ... }`".into()
                }
            }
            DevcontainerError::WrongType { key, expected, .. } => format!(
                "make `{key}` {expected} as the dev container spec says (https://containers.dev/implementors/json_reference/), or add the ports by hand"
            ),
            DevcontainerError::Verify { .. } => {
                "please report this with the file; add the ports by hand meanwhile".into()
            }
        })
    }
}
