//! Files people care about: show a unified diff first, write only when the bytes
//! change, and write atomically (a temp file in the same directory, then a rename,
//! permissions kept), so a failed or killed run leaves the old file or the new one.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::plan::FieldDiff;

/// Where a file stands after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileStatus {
    Written,
    InSync,
    WouldChange,
    Declined,
}

/// What happened to one file: the changes, the conflicts left alone, notes, the diff.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileReport {
    pub file: String,
    pub status: FileStatus,
    /// `+ added`, `~ replaced`, `- removed`.
    pub changes: Vec<String>,
    pub conflicts: Vec<FieldDiff>,
    /// Whether conflicting entries were replaced (`--force`).
    pub forced: bool,
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// What the user still has to do (e.g. `gp env` commands, values masked).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub next_steps: Vec<String>,
}

impl FileReport {
    /// Work left: a change not written, or a conflict kept.
    pub fn is_pending(&self) -> bool {
        matches!(self.status, FileStatus::WouldChange | FileStatus::Declined)
            || (!self.forced && !self.conflicts.is_empty())
    }
}

impl fmt::Display for FileReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if matches!(self.status, FileStatus::WouldChange | FileStatus::Declined) {
            if let Some(diff) = &self.diff {
                write!(f, "{diff}")?;
            }
        }
        let status = match self.status {
            FileStatus::Written => "written",
            FileStatus::InSync => "in sync",
            FileStatus::WouldChange => "would change",
            FileStatus::Declined => "not written (declined)",
        };
        write!(f, "{}: {status}", self.file)?;
        for change in &self.changes {
            write!(f, "\n    {change}")?;
        }
        for c in &self.conflicts {
            let what = match (self.forced, self.status) {
                (false, _) => "kept; --force replaces it",
                (true, FileStatus::WouldChange) => "would be replaced",
                (true, FileStatus::Declined) => "kept: not written",
                (true, _) => "replaced",
            };
            write!(f, "\n    conflict: {c} ({what})")?;
        }
        for note in &self.notes {
            write!(f, "\n    note: {note}")?;
        }
        for step in &self.next_steps {
            write!(f, "\n    next: {step}")?;
        }
        Ok(())
    }
}

/// Errors of the file edge.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not UTF-8 text", path.display())]
    NotText { path: PathBuf },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The result of a file command: one report per file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilesReport {
    pub files: Vec<FileReport>,
}

impl fmt::Display for FilesReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: Vec<String> = self.files.iter().map(ToString::to_string).collect();
        write!(f, "{}", shown.join("\n"))
    }
}

/// A planned edit of one file: the text before and after, and the report so far.
#[derive(Debug, Clone)]
pub struct PlannedFile {
    pub path: PathBuf,
    pub old: Option<String>,
    pub new: String,
    pub report: FileReport,
}

impl PlannedFile {
    /// A file whose whole content we generate (an exported template): read what
    /// is there now, and plan to replace it with `new`.
    pub fn generated(path: &Path, new: String, what: &str) -> Result<PlannedFile, FileError> {
        let old = read(path)?;
        let change = match &old {
            None => format!("+ {what}"),
            Some(_) => format!("~ {what}"),
        };
        let changes = if old.as_deref() == Some(new.as_str()) {
            Vec::new()
        } else {
            vec![change]
        };
        Ok(PlannedFile {
            path: path.to_path_buf(),
            report: FileReport {
                file: path.display().to_string(),
                status: FileStatus::InSync,
                changes,
                conflicts: Vec::new(),
                forced: false,
                notes: Vec::new(),
                diff: None,
                next_steps: Vec::new(),
            },
            old,
            new,
        })
    }

    /// Whether the bytes would change.
    pub fn changes(&self) -> bool {
        self.old.as_deref() != Some(self.new.as_str())
    }

    pub fn diff(&self) -> String {
        unified_diff(
            &self.path,
            self.old.as_deref().unwrap_or_default(),
            &self.new,
        )
    }

    /// The report when nothing is written: in sync, or would change (with the diff).
    pub fn unapplied(mut self, declined: bool) -> FileReport {
        if self.changes() {
            self.report.status = if declined {
                FileStatus::Declined
            } else {
                FileStatus::WouldChange
            };
            self.report.diff = Some(self.diff());
        }
        self.report
    }

    /// Writes the new text (atomically, only if the bytes change).
    pub fn apply(mut self) -> Result<FileReport, FileError> {
        if self.changes() {
            write_atomic(&self.path, &self.new)?;
            self.report.status = FileStatus::Written;
            self.report.diff = Some(self.diff());
        }
        Ok(self.report)
    }
}

/// The file's text, or `None` when it does not exist.
pub fn read(path: &Path) -> Result<Option<String>, FileError> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| FileError::NotText {
                path: path.to_path_buf(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(FileError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// A unified diff of `old` → `new`, labelled with `path`.
pub fn unified_diff(path: &Path, old: &str, new: &str) -> String {
    let name = path.display().to_string();
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

/// How our temp files start: `.cruddur-obs-<pid>-<random>.tmp`.
const TEMP_PREFIX: &str = ".cruddur-obs-";

/// Replaces `path` with `contents` atomically, keeping its permissions: a temp file
/// in the same directory, then a rename. A killed run can leave its temp file
/// behind (never a half-written target); the next write removes such leftovers.
pub fn write_atomic(path: &Path, contents: &str) -> Result<(), FileError> {
    let err = |source| FileError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // A new file in a new directory (lib/observability.py): make the directory.
    if !dir.exists() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    remove_leftover_temps(dir);
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(err)?;
    tmp.write_all(contents.as_bytes()).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    if let Ok(meta) = std::fs::metadata(path) {
        std::fs::set_permissions(tmp.path(), meta.permissions()).map_err(err)?;
    }
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// Removes the temp files of runs that are gone: ours by name, and no process
/// with their pid exists. Only where `/proc` tells which processes exist.
fn remove_leftover_temps(dir: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(TEMP_PREFIX))
            .and_then(|n| n.strip_suffix(".tmp"))
            .and_then(|n| n.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            tracing::debug!(
                "removing {} left by a run that was stopped",
                name.to_string_lossy()
            );
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn writes_atomically_and_keeps_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.yml");
        std::fs::write(&path, "old\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, "new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temp file left behind");
    }

    #[test]
    fn temp_files_of_stopped_runs_are_removed_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.yml");
        // A pid above the kernel's maximum (4194304) never runs.
        let stopped = dir.path().join(".cruddur-obs-99999999-abc123.tmp");
        let running = dir
            .path()
            .join(format!(".cruddur-obs-{}-def456.tmp", std::process::id()));
        let not_ours = dir.path().join(".cruddur-obs-notes.tmp");
        for f in [&stopped, &running, &not_ours] {
            std::fs::write(f, "partial").unwrap();
        }
        write_atomic(&path, "new\n").unwrap();
        assert!(!stopped.exists(), "a stopped run's temp file is removed");
        assert!(running.exists(), "a running process's temp file is kept");
        assert!(not_ours.exists(), "a file not named like ours is kept");
    }

    #[test]
    fn diffs_are_unified() {
        let d = unified_diff(Path::new("x.yml"), "a\nb\n", "a\nc\n");
        assert_eq!(d, "--- a/x.yml\n+++ b/x.yml\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n");
    }
}
