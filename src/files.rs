//! Files people care about: show a unified diff first, write only when the bytes
//! change, and write atomically (a temp file in the same directory, then a rename,
//! permissions kept), so a failed or killed run leaves the old file or the new one.
//!
//! Reads take regular files only (links followed), at most [`MAX_READ`] bytes, and
//! never block on a FIFO. A write replaces the file only if it still holds the
//! bytes the plan was made from, under an advisory lock on its directory, so two
//! runs serialise and an outside edit is never overwritten from stale bytes. A
//! symbolic link is kept and its target edited; owner, group and mode are kept;
//! a read-only file is refused unless `--force`.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::plan::FieldDiff;

/// Where a file stands after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum FileStatus {
    Written,
    InSync,
    WouldChange,
    Declined,
}

/// What happened to one file: the changes, the conflicts left alone, notes, the diff.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct FileReport {
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
    pub(crate) fn is_pending(&self) -> bool {
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
            // Nothing to write, but not in sync: what differs was kept.
            FileStatus::InSync if !self.forced && !self.conflicts.is_empty() => "conflicts kept",
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
pub(crate) enum FileError {
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
    #[error("{} is {kind}, not a regular file", path.display())]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("{} is larger than {} MiB", path.display(), MAX_READ / (1024 * 1024))]
    TooLarge { path: PathBuf },
    #[error("{} changed while cruddur-obs was working on it: nothing written", path.display())]
    Changed { path: PathBuf },
    #[error("{} is read-only: not written", path.display())]
    ReadOnly { path: PathBuf },
    #[error("{} leads through a link outside the project (to {}): not written", path.display(), target.display())]
    OutsideProject { path: PathBuf, target: PathBuf },
}

impl FileError {
    /// Whether the input is at fault (exit 2), rather than the file system (exit 1).
    pub(crate) fn is_bad_input(&self) -> bool {
        matches!(
            self,
            FileError::NotText { .. }
                | FileError::NotRegular { .. }
                | FileError::TooLarge { .. }
                | FileError::OutsideProject { .. }
        )
    }

    pub(crate) fn help(&self) -> Option<String> {
        match self {
            FileError::Changed { .. } => {
                Some("run again: the plan will be made from the new file".into())
            }
            FileError::ReadOnly { .. } => {
                Some("make it writable (chmod u+w), or pass --force to replace it anyway".into())
            }
            FileError::NotRegular { .. } => Some("pass the path of a regular file".into()),
            FileError::OutsideProject { .. } => Some(
                "check the link is meant to point there; pass --force to write through it anyway"
                    .into(),
            ),
            FileError::TooLarge { .. } => {
                Some("is it the right file? the files cruddur-obs edits are small".into())
            }
            _ => None,
        }
    }
}

/// The result of a file command: one report per file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct FilesReport {
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
pub(crate) struct PlannedFile {
    pub path: PathBuf,
    /// The bytes the plan was made from (`None`: the file did not exist). The
    /// file is replaced only if it still holds them.
    pub old: Option<String>,
    pub new: String,
    pub report: FileReport,
    /// Replace the file even if it is read-only (`--force`).
    pub force: bool,
}

impl PlannedFile {
    /// A file whose whole content we generate (an exported template): read what
    /// is there now, and plan to replace it with `new`.
    pub(crate) fn generated(
        path: &Path,
        new: String,
        what: &str,
    ) -> Result<PlannedFile, FileError> {
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
            force: false,
        })
    }

    /// Whether the bytes would change.
    pub(crate) fn changes(&self) -> bool {
        self.old.as_deref() != Some(self.new.as_str())
    }

    pub(crate) fn diff(&self) -> String {
        unified_diff(
            &self.path,
            self.old.as_deref().unwrap_or_default(),
            &self.new,
        )
    }

    /// The report when nothing is written: in sync, or would change (with the diff).
    pub(crate) fn unapplied(mut self, declined: bool) -> FileReport {
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

    /// Writes the new text (atomically, only if the bytes change, and only if
    /// the file still holds the bytes the plan was made from).
    pub(crate) fn apply(mut self) -> Result<FileReport, FileError> {
        if self.changes() {
            write_checked(&self.path, self.old.as_deref(), &self.new, self.force)?;
            self.report.status = FileStatus::Written;
            self.report.diff = Some(self.diff());
        }
        Ok(self.report)
    }
}

/// The most `read` takes: the files cruddur-obs reads are small.
pub(crate) const MAX_READ: u64 = 4 * 1024 * 1024;

/// The file's text, or `None` when it does not exist. Links are followed; only a
/// regular file of at most [`MAX_READ`] bytes is read (a FIFO never blocks).
/// The literal secrets in it (see [`crate::secret::literal_secrets`]) are
/// registered at once: nothing shows them afterwards.
pub(crate) fn read(path: &Path) -> Result<Option<String>, FileError> {
    match read_bytes(path)? {
        None => Ok(None),
        Some(bytes) => {
            let text = String::from_utf8(bytes).map_err(|_| FileError::NotText {
                path: path.to_path_buf(),
            })?;
            for secret in crate::secret::literal_secrets(&text) {
                crate::secret::register_secret(&secret);
            }
            Ok(Some(text))
        }
    }
}

/// The variables of a `.env` file, read as any input file is ([`read`]: a
/// regular file, capped, a FIFO never blocks); empty when there is none.
pub(crate) fn read_dotenv(path: &Path) -> Result<Vec<(String, String)>, FileError> {
    let text = read(path)?.unwrap_or_default();
    Ok(dotenvy::from_read_iter(text.as_bytes())
        .filter_map(Result::ok)
        .collect())
}

/// [`read_dotenv`] for commands that go on without it: a `.env` that cannot be
/// read is said on stderr (once per path) and taken as empty.
pub(crate) fn read_dotenv_or_warn(path: &Path) -> Vec<(String, String)> {
    read_dotenv(path).unwrap_or_else(|e| {
        static WARNED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());
        let first = WARNED.lock().map_or(true, |mut seen| {
            let new = !seen.iter().any(|p| p == path);
            if new {
                seen.push(path.to_path_buf());
            }
            new
        });
        if first {
            tracing::warn!("{e}: its variables are not used");
        }
        Vec::new()
    })
}

fn read_bytes(path: &Path) -> Result<Option<Vec<u8>>, FileError> {
    use std::io::Read;
    let err = |source| FileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(err(source)),
    };
    check_regular(path, &meta)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        // Swapped for a FIFO since the check above: the open must not block.
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(err(source)),
    };
    check_regular(path, &file.metadata().map_err(err)?)?;
    let mut bytes = Vec::new();
    file.take(MAX_READ + 1)
        .read_to_end(&mut bytes)
        .map_err(err)?;
    if bytes.len() as u64 > MAX_READ {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    Ok(Some(bytes))
}

/// Refuses anything but a regular file of at most [`MAX_READ`] bytes.
fn check_regular(path: &Path, meta: &std::fs::Metadata) -> Result<(), FileError> {
    let kind = file_kind(meta);
    if kind != "a regular file" {
        return Err(FileError::NotRegular {
            path: path.to_path_buf(),
            kind,
        });
    }
    if meta.len() > MAX_READ {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_file() {
        return "a regular file";
    }
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    "a special file"
}

/// The file a path names once symbolic links are followed (the last one may not
/// exist yet). A loop of links ends at the 40th.
pub(crate) fn resolve_links(path: &Path) -> PathBuf {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let Ok(target) = std::fs::read_link(&current) else {
                    break;
                };
                current = if target.is_absolute() {
                    target
                } else {
                    current.parent().map(|p| p.join(&target)).unwrap_or(target)
                };
            }
            _ => break,
        }
    }
    current
}

/// A unified diff of `old` → `new`, labelled with `path`.
/// The line ending every editor writes new lines with: that of the file's
/// first line; `\n` when it has none.
pub(crate) fn line_ending(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if text[..i].ends_with('\r') => "\r\n",
        _ => "\n",
    }
}

/// `diff` with the added lines of each new file (a hunk `@@ -0,0 +1,N @@`)
/// replaced by one line saying how many there are.
pub(crate) fn brief_diff(diff: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in diff.split_inclusive('\n') {
        if let Some(count) = line
            .strip_prefix("@@ -0,0 +1,")
            .and_then(|rest| rest.split_once(' '))
            .map(|(n, _)| n)
        {
            out.push_str(&format!("(a new file of {count} lines: -v shows them)\n"));
            skipping = true;
            continue;
        }
        if skipping && line.starts_with('+') && !line.starts_with("+++ ") {
            continue;
        }
        skipping = false;
        out.push_str(line);
    }
    out
}

pub(crate) fn unified_diff(path: &Path, old: &str, new: &str) -> String {
    let name = path.display().to_string();
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

/// How our temp files start: `.cruddur-obs-<pid>-<random>.tmp`.
const TEMP_PREFIX: &str = ".cruddur-obs-";

/// Replaces `path` with `contents` atomically (see [`write_checked`]), whatever
/// it holds now.
#[cfg(test)]
fn write_atomic(path: &Path, contents: &str) -> Result<(), FileError> {
    write_file(path, None, contents, true)
}

/// Replaces `path` with `contents` atomically, if it still holds `expected`
/// (`None`: if it still does not exist); else [`FileError::Changed`]. An advisory
/// lock on the directory is held from the check to the rename, so two runs
/// serialise. A link is kept and its target replaced; the mode, owner and group
/// are kept (where the process may); a new file gets `0666` less the umask. A
/// read-only file is refused unless `force`.
pub(crate) fn write_checked(
    path: &Path,
    expected: Option<&str>,
    contents: &str,
    force: bool,
) -> Result<(), FileError> {
    write_file(path, Some(expected), contents, force)
}

fn write_file(
    path: &Path,
    expected: Option<Option<&str>>,
    contents: &str,
    force: bool,
) -> Result<(), FileError> {
    let target = resolve_links(path);
    if !force {
        check_inside_project(path, &target)?;
    }
    let err = |source| FileError::Write {
        path: target.clone(),
        source,
    };
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // A new file in a new directory (lib/observability.py): make the directory.
    if !dir.exists() {
        std::fs::create_dir_all(&dir).map_err(err)?;
    }
    let _lock = lock_dir(&dir);
    if let Some(expected) = expected {
        let now = read(&target)?;
        if now.as_deref() != expected {
            return Err(FileError::Changed {
                path: path.to_path_buf(),
            });
        }
    }
    let meta = match std::fs::metadata(&target) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => return Err(err(source)),
    };
    if let Some(meta) = &meta {
        check_regular(&target, meta)?;
        if meta.permissions().readonly() && !force {
            return Err(FileError::ReadOnly {
                path: path.to_path_buf(),
            });
        }
    }
    // Without the lock another run may be writing here: leave its temp file.
    if _lock.is_some() {
        remove_leftover_temps(&dir);
    }
    let prefix = TEMP_PREFIX;
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix).suffix(".tmp");
    #[cfg(unix)]
    if meta.is_none() {
        // The kernel takes the umask off, as for any new file.
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(&dir).map_err(err)?;
    tmp.write_all(contents.as_bytes()).map_err(err)?;
    if let Some(meta) = &meta {
        keep_owner(tmp.as_file(), meta);
        std::fs::set_permissions(tmp.path(), meta.permissions()).map_err(err)?;
    }
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(&target).map_err(|e| err(e.error))?;
    Ok(())
}

/// Refuses a write whose path lies in the project (the current directory) but
/// whose file really lies outside it, through a linked file or directory (a
/// `.gitpod.yml` or a `backend-flask/lib` linked elsewhere). A path given
/// outside the project (`--out ../x`) is the user's choice, not a link's.
fn check_inside_project(path: &Path, target: &Path) -> Result<(), FileError> {
    let Ok(cwd) = std::env::current_dir() else {
        return Ok(());
    };
    let Ok(root) = cwd.canonicalize() else {
        return Ok(());
    };
    let lexical = normalize(&cwd.join(path));
    if !lexical.starts_with(&cwd) && !lexical.starts_with(&root) {
        return Ok(());
    }
    // The real place: the target's existing directory, links resolved.
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut existing = cwd.join(dir);
    let mut rest = Vec::new();
    while !existing.exists() {
        match (
            existing.file_name().map(ToOwned::to_owned),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => return Ok(()),
        }
    }
    let Ok(mut real) = existing.canonicalize() else {
        return Ok(());
    };
    real.extend(rest.iter().rev());
    if real.starts_with(&root) {
        Ok(())
    } else {
        Err(FileError::OutsideProject {
            path: path.to_path_buf(),
            target: real.join(target.file_name().unwrap_or_default()),
        })
    }
}

/// `path` with `.` and `..` taken out lexically (links not followed).
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Gives the new file the old one's owner and group, as far as the process may
/// (an ordinary user can only pick one of their groups; else it stays theirs).
fn keep_owner(file: &std::fs::File, old: &std::fs::Metadata) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(now) = file.metadata() else { return };
        if (now.uid(), now.gid()) == (old.uid(), old.gid()) {
            return;
        }
        if std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid())).is_err() {
            let _ = std::os::unix::fs::fchown(file, None, Some(old.gid()));
        }
    }
    #[cfg(not(unix))]
    let _ = (file, old);
}

/// An exclusive advisory lock on `dir`, released when dropped; `None` where the
/// directory cannot be opened (then the write goes on unlocked).
fn lock_dir(dir: &Path) -> Option<std::fs::File> {
    #[cfg(unix)]
    {
        let file = std::fs::File::open(dir).ok()?;
        match file.lock() {
            Ok(()) => Some(file),
            Err(e) => {
                tracing::debug!("cannot lock {}: {e}", dir.display());
                None
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

/// Removes the temp files that stopped runs left. Called only while holding the
/// directory's lock: every write keeps that lock for as long as its temp file
/// exists, so any of our temp files seen then belongs to a run that was killed
/// (no process table needed; works the same in any PID namespace).
fn remove_leftover_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let ours = name
            .to_str()
            .is_some_and(|n| n.starts_with(TEMP_PREFIX) && n.ends_with(".tmp"));
        if ours && entry.file_type().is_ok_and(|t| t.is_file()) {
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
    fn a_file_changed_after_the_plan_is_not_overwritten() {
        // The plan is made, then the file changes before the write.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docker-compose.yml");
        std::fs::write(&path, "old\n").unwrap();
        std::fs::write(&path, "edited by hand\n").unwrap();
        let err = write_checked(&path, Some("old\n"), "new\n", false).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{} changed while cruddur-obs was working on it: nothing written",
                path.display()
            )
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "edited by hand\n");

        // Planned as absent, created meanwhile.
        let gitpod = dir.path().join(".gitpod.yml");
        std::fs::write(&gitpod, "tasks: []\n").unwrap();
        let err = write_checked(&gitpod, None, "ports: []\n", false).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{} changed while cruddur-obs was working on it: nothing written",
                gitpod.display()
            )
        );
        assert_eq!(std::fs::read_to_string(&gitpod).unwrap(), "tasks: []\n");
    }

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
        // Under the directory lock any temp file of ours is a stopped run's.
        let stopped = dir.path().join(".cruddur-obs-abc123.tmp");
        let old_style = dir.path().join(".cruddur-obs-4242-def456.tmp");
        let not_ours = dir.path().join(".cruddur-notes.tmp");
        let not_tmp = dir.path().join(".cruddur-obs-keep.yml");
        for f in [&stopped, &old_style, &not_ours, &not_tmp] {
            std::fs::write(f, "partial").unwrap();
        }
        write_atomic(&path, "new\n").unwrap();
        assert!(!stopped.exists(), "a stopped run's temp file is removed");
        assert!(
            !old_style.exists(),
            "an older version's temp file is removed"
        );
        assert!(not_ours.exists(), "a file not named like ours is kept");
        assert!(not_tmp.exists(), "a file not named like ours is kept");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left.len(), 3, "{left:?}");
    }

    #[test]
    fn diffs_are_unified() {
        let d = unified_diff(Path::new("x.yml"), "a\nb\n", "a\nc\n");
        assert_eq!(d, "--- a/x.yml\n+++ b/x.yml\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n");
    }
}
