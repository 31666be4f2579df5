//! One way to run the binary in a test, in the style of just's test builder:
//! arguments, environment, stdin and files in; the exit status, stdout, stderr
//! and files expected out. Strict by default: a run expects exit 0, and stdout
//! and stderr EMPTY unless the test says what they hold ([`Test::stdout`],
//! [`Test::stderr`]) or that it checks them another way ([`Test::stdout_any`],
//! [`Test::stderr_any`], for a JSON document or a parsed file); every run
//! compares both.
//!
//! Three ways to end a run:
//! - [`Test::run`] checks every expectation and returns what happened, for the
//!   assertions that are the test's own;
//! - [`Test::snapshot`] checks the status and files and compares the whole
//!   transcript (command, exit status, stdout, stderr; the run's directory and
//!   loopback ports redacted) with an insta snapshot: both streams completely,
//!   so nothing is checked twice;
//! - [`Test::run_for_snapshot`], for a transcript that is compared later (one of
//!   several in [`snapshot_all`], or with a redaction only known after the run,
//!   [`Ran::redact`]): the [`Ran`] it returns must end in [`Ran::snapshot`] or
//!   [`snapshot_all`], or the test fails.
//!
//! ```ignore
//! Test::new()
//!     .fixture("compose/bootcamp-week1.yml", "docker-compose.yml")
//!     .args(["compose", "write", "--region", "ca-central-1", "--dry-run"])
//!     .status(3)
//!     .unchanged("docker-compose.yml")
//!     .snapshot("compose_write_dry_run");
//! ```
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::panic::Location;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::common::{isolated, repo};

/// What a file should hold after the run.
enum FileExpectation {
    Exactly(String),
    /// Byte for byte what it held before the run.
    Unchanged,
    Absent,
}

/// Where a run happens: a temp dir of its own, or a directory the caller keeps.
enum Dir {
    Temp(tempfile::TempDir),
    Given(PathBuf),
}

impl Dir {
    fn path(&self) -> &Path {
        match self {
            Dir::Temp(dir) => dir.path(),
            Dir::Given(dir) => dir,
        }
    }
}

/// What a stream (stdout or stderr) should hold.
#[derive(Clone)]
enum Expect {
    /// What the test did not say: empty for [`Test::run`]; for a snapshot, what
    /// the snapshot holds.
    Default,
    /// Exactly this.
    Exactly(String),
    /// Anything: the test checks it another way.
    Any,
}

/// A run of `cruddur-obs` being described.
#[must_use = "a Test does nothing until .run() or .snapshot()"]
pub struct Test {
    dir: Dir,
    /// The working directory, relative to `dir`.
    cwd: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    env_remove: Vec<String>,
    stdin: Option<String>,
    timeout: Duration,
    /// The exit statuses allowed (one, unless [`Test::status_in`]).
    status: Vec<i32>,
    stdout: Expect,
    stderr: Expect,
    files: Vec<(PathBuf, FileExpectation)>,
    /// For the transcript: see [`Ran::redact`] and [`Ran::keep_ports`].
    redactions: Vec<(String, String)>,
    keep_ports: bool,
}

impl Test {
    /// A run in a fresh temp dir, with the AWS environment replaced by test
    /// settings (see [`isolated`]); expects exit 0 and nothing on stdout or
    /// stderr unless told otherwise.
    pub fn new() -> Test {
        Test::with_dir(Dir::Temp(tempfile::tempdir().unwrap()))
    }

    /// Like [`Test::new`], but in `dir`, an existing directory the caller keeps
    /// (for several runs on the same files, or runs in parallel on them).
    /// `write`, `fixture`, `current_dir` and the file expectations are relative
    /// to it, and the transcript shows it as `[DIR]`.
    pub fn in_dir(dir: &Path) -> Test {
        Test::with_dir(Dir::Given(dir.to_path_buf()))
    }

    fn with_dir(dir: Dir) -> Test {
        Test {
            dir,
            cwd: PathBuf::new(),
            args: Vec::new(),
            env: Vec::new(),
            env_remove: Vec::new(),
            stdin: None,
            timeout: Duration::from_secs(60),
            status: vec![0],
            stdout: Expect::Default,
            stderr: Expect::Default,
            files: Vec::new(),
            redactions: Vec::new(),
            keep_ports: false,
        }
    }

    /// The directory the run happens in (the temp dir, or the one given to
    /// [`Test::in_dir`]).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Test {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Test
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, name: &str, value: impl Into<String>) -> Test {
        self.env.push((name.to_string(), value.into()));
        self
    }

    /// Removes `name` from the environment the run inherits (the isolation's
    /// and this process's); applied before every [`Test::env`], so it does not
    /// undo one.
    pub fn env_remove(mut self, name: &str) -> Test {
        self.env_remove.push(name.to_string());
        self
    }

    /// `--endpoint-url` for every AWS service (the emulator, moto).
    pub fn endpoint(self, url: &str) -> Test {
        self.args(["--endpoint-url", url])
    }

    pub fn stdin(mut self, text: &str) -> Test {
        self.stdin = Some(text.to_string());
        self
    }

    pub fn timeout(mut self, secs: u64) -> Test {
        self.timeout = Duration::from_secs(secs);
        self
    }

    /// Runs in `dir` below the temp dir (created).
    pub fn current_dir(mut self, dir: &str) -> Test {
        std::fs::create_dir_all(self.dir.path().join(dir)).unwrap();
        self.cwd = dir.into();
        self
    }

    /// Writes `path` (below the temp dir) before the run.
    pub fn write(self, path: &str, contents: impl AsRef<[u8]>) -> Test {
        let full = self.dir.path().join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(full, contents).unwrap();
        self
    }

    /// Copies `tests/fixtures/<fixture>` to `path` before the run.
    pub fn fixture(self, fixture: &str, path: &str) -> Test {
        let text = std::fs::read(repo().join("tests/fixtures").join(fixture)).unwrap();
        self.write(path, text)
    }

    pub fn status(mut self, code: i32) -> Test {
        self.status = vec![code];
        self
    }

    /// The exit status must be one of `codes`: for a race with more than one
    /// right outcome, where the test then checks which one it got.
    #[track_caller]
    pub fn status_in(mut self, codes: &[i32]) -> Test {
        assert!(!codes.is_empty(), "no exit status allowed");
        self.status = codes.to_vec();
        self
    }

    /// Stdout must be exactly this (without it: empty).
    pub fn stdout(mut self, text: &str) -> Test {
        self.stdout = Expect::Exactly(text.to_string());
        self
    }

    /// Stderr must be exactly this (without it: empty).
    pub fn stderr(mut self, text: &str) -> Test {
        self.stderr = Expect::Exactly(text.to_string());
        self
    }

    /// Stdout may hold anything: the test checks it otherwise (`Ran::json`, a
    /// parsed document, or an absence the test asserts).
    pub fn stdout_any(mut self) -> Test {
        self.stdout = Expect::Any;
        self
    }

    /// Stderr may hold anything: the test checks it otherwise.
    pub fn stderr_any(mut self) -> Test {
        self.stderr = Expect::Any;
        self
    }

    /// [`Ran::redact`], known before the run.
    #[track_caller]
    pub fn redact(mut self, text: &str, placeholder: &str) -> Test {
        assert!(!text.is_empty(), "redacting an empty text");
        self.redactions
            .push((text.to_string(), placeholder.to_string()));
        self
    }

    /// [`Ran::keep_ports`], before the run.
    pub fn keep_ports(mut self) -> Test {
        self.keep_ports = true;
        self
    }

    /// After the run `path` must hold exactly `contents`.
    pub fn file(mut self, path: &str, contents: &str) -> Test {
        self.files
            .push((path.into(), FileExpectation::Exactly(contents.to_string())));
        self
    }

    /// After the run `path` must hold the bytes it held before.
    pub fn unchanged(mut self, path: &str) -> Test {
        self.files.push((path.into(), FileExpectation::Unchanged));
        self
    }

    /// After the run `path` must not exist.
    pub fn absent(mut self, path: &str) -> Test {
        self.files.push((path.into(), FileExpectation::Absent));
        self
    }

    /// Runs the binary and checks every expectation: the exit status, stdout and
    /// stderr (empty unless the test said otherwise), and the files.
    #[track_caller]
    pub fn run(self) -> Ran {
        self.execute(None)
    }

    /// Runs the binary, checks the exit status and the files, and compares the
    /// whole transcript (stdout and stderr completely) with the insta snapshot
    /// `snapshots/transcripts/<name>.snap`. A stdout or stderr the test set
    /// explicitly is checked too; the empty default is not (the snapshot is).
    #[track_caller]
    pub fn snapshot(self, name: &str) -> Ran {
        self.run_for_snapshot().snapshot(name)
    }

    /// Runs the binary and checks the exit status, the files and any stdout or
    /// stderr the test set explicitly; the rest of the output is left to a
    /// transcript snapshot taken later ([`Ran::snapshot`], [`snapshot_all`]),
    /// which the returned [`Ran`] must end in, or the test fails.
    #[track_caller]
    pub fn run_for_snapshot(self) -> Ran {
        self.execute(Some(Location::caller()))
    }

    /// Runs the binary and checks the expectations; `snapshot_due` (where
    /// [`Test::run_for_snapshot`] was called) leaves the output the test did
    /// not set to a snapshot.
    #[track_caller]
    fn execute(self, snapshot_due: Option<&'static Location<'static>>) -> Ran {
        let before: BTreeMap<PathBuf, Option<Vec<u8>>> = self
            .files
            .iter()
            .map(|(p, _)| (p.clone(), std::fs::read(self.dir.path().join(p)).ok()))
            .collect();
        let mut cmd = isolated("cruddur-obs");
        cmd.current_dir(self.dir.path().join(&self.cwd))
            .args(&self.args)
            .timeout(self.timeout);
        for name in &self.env_remove {
            cmd.env_remove(name);
        }
        for (name, value) in &self.env {
            cmd.env(name, value);
        }
        if let Some(text) = &self.stdin {
            cmd.write_stdin(text.as_bytes());
        }
        let output = cmd.output().unwrap();
        let ran = Ran {
            command: self.args.clone(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            output,
            dir: self.dir,
            redactions: self.redactions,
            keep_ports: self.keep_ports,
            snapshot_due: snapshot_due.map(|at| (at, AtomicBool::new(false))),
        };
        if let [status] = self.status[..] {
            assert!(
                ran.code() == status,
                "exit status of `cruddur-obs {}`: expected {status}, got {}\n{}",
                ran.command.join(" "),
                ran.code(),
                ran.transcript()
            );
        } else {
            assert!(
                self.status.contains(&ran.code()),
                "exit status of `cruddur-obs {}` not one of {:?}\n{}",
                ran.command.join(" "),
                self.status,
                ran.transcript()
            );
        }
        for (stream, expected, got) in [
            ("stdout", &self.stdout, &ran.stdout),
            ("stderr", &self.stderr, &ran.stderr),
        ] {
            let expected = match expected {
                Expect::Any => continue,
                Expect::Default if snapshot_due.is_some() => continue,
                Expect::Default => "",
                Expect::Exactly(text) => text.as_str(),
            };
            assert!(
                got == expected,
                "{stream} of `cruddur-obs {}` is not what the test expects \
                 (.{stream}(..) to set it, .{stream}_any() if the test checks it otherwise)\n\
                 --- expected {stream}\n{expected}--- got\n{}",
                ran.command.join(" "),
                ran.transcript()
            );
        }
        for (path, expectation) in &self.files {
            let now = std::fs::read(ran.dir.path().join(path)).ok();
            match expectation {
                FileExpectation::Exactly(text) => assert_eq!(
                    now.as_deref().map(String::from_utf8_lossy).as_deref(),
                    Some(text.as_str()),
                    "{}",
                    path.display()
                ),
                FileExpectation::Unchanged => assert!(
                    before[path].is_some() && now == before[path],
                    "{} changed\n{}",
                    path.display(),
                    ran.transcript()
                ),
                FileExpectation::Absent => {
                    assert!(now.is_none(), "{} exists", path.display());
                }
            }
        }
        ran
    }
}

/// What a run did.
pub struct Ran {
    pub command: Vec<String>,
    pub output: Output,
    pub stdout: String,
    pub stderr: String,
    dir: Dir,
    /// More (text, placeholder) pairs for the transcript; see [`Ran::redact`].
    redactions: Vec<(String, String)>,
    /// Loopback ports shown as they are; see [`Ran::keep_ports`].
    keep_ports: bool,
    /// For a run from [`Test::run_for_snapshot`]: where it was called, and
    /// whether its transcript was compared since.
    snapshot_due: Option<(&'static Location<'static>, AtomicBool)>,
}

impl Drop for Ran {
    fn drop(&mut self) {
        if let Some((at, done)) = &self.snapshot_due {
            if !done.load(Ordering::Relaxed) && !std::thread::panicking() {
                panic!(
                    "the run of `cruddur-obs {}` at {at} was never snapshotted: \
                     its output is unchecked (end it in .snapshot(..) or snapshot_all, or use .run())",
                    self.command.join(" ")
                );
            }
        }
    }
}

impl Ran {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    /// The directory the run happened in.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A file the run left, as text.
    #[track_caller]
    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(path))
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Stdout, which must be exactly one JSON document.
    #[track_caller]
    pub fn json(&self) -> Value {
        let mut docs = serde_json::Deserializer::from_str(&self.stdout).into_iter::<Value>();
        let first = match docs.next() {
            None => panic!("no JSON on stdout\n{}", self.transcript()),
            Some(Err(e)) => panic!("stdout is not JSON ({e})\n{}", self.transcript()),
            Some(Ok(doc)) => doc,
        };
        assert!(
            docs.next().is_none(),
            "more than one JSON document\n{}",
            self.transcript()
        );
        first
    }

    /// Stdout and stderr together, for checks over everything the run printed.
    pub fn all_output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// In the transcript (and so the snapshot) `text` is shown as `placeholder`:
    /// for what differs from run to run, like a random trace id. Applied before
    /// the directory and port redactions, in the order given.
    #[track_caller]
    pub fn redact(mut self, text: &str, placeholder: &str) -> Ran {
        assert!(!text.is_empty(), "redacting an empty text");
        self.redactions
            .push((text.to_string(), placeholder.to_string()));
        self
    }

    /// In the transcript loopback ports are shown as they are, not as `[PORT]`:
    /// for a run that talked to no server of the test's and prints fixed ports
    /// of its own (a compose file's `http://localhost:3000`), which the
    /// snapshot should check.
    pub fn keep_ports(mut self) -> Ran {
        self.keep_ports = true;
        self
    }

    /// The whole run as a user saw it: the command, the exit status, stdout and
    /// stderr; the run's directory is `[DIR]`, loopback ports are `[PORT]` (unless
    /// [`Ran::keep_ports`]), and whatever [`Ran::redact`] named is its
    /// placeholder.
    pub fn transcript(&self) -> String {
        let mut text = format!(
            "$ cruddur-obs {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
            self.command.join(" "),
            self.code(),
            self.stdout,
            self.stderr
        );
        for (from, to) in &self.redactions {
            text = text.replace(from, to);
        }
        if self.keep_ports {
            redact_dir(&text, self.dir.path())
        } else {
            redact(&text, self.dir.path())
        }
    }

    /// Asserts the transcript against the insta snapshot `snapshots/transcripts/<name>.snap`.
    #[track_caller]
    pub fn snapshot(self, name: &str) -> Ran {
        assert_transcript(name, self.transcript());
        self.snapshotted();
        self
    }

    /// The transcript was compared: the output is checked.
    fn snapshotted(&self) {
        if let Some((_, done)) = &self.snapshot_due {
            done.store(true, Ordering::Relaxed);
        }
    }
}

/// Asserts the transcripts of several runs (a table of cases), one after the
/// other with a blank line between, against the insta snapshot
/// `snapshots/transcripts/<name>.snap`.
#[track_caller]
pub fn snapshot_all<'a>(name: &str, runs: impl IntoIterator<Item = &'a Ran>) {
    let runs: Vec<&Ran> = runs.into_iter().collect();
    assert!(!runs.is_empty(), "no runs to snapshot");
    let transcripts: Vec<String> = runs.iter().map(|ran| ran.transcript()).collect();
    assert_transcript(name, transcripts.join("\n"));
    for ran in runs {
        ran.snapshotted();
    }
}

#[track_caller]
fn assert_transcript(name: &str, transcript: String) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path("snapshots/transcripts");
    settings.bind(|| insta::assert_snapshot!(name, transcript));
}

/// `text` with `dir` (as given and canonical) as `[DIR]` and every
/// `127.0.0.1:<port>` / `localhost:<port>` as `…:[PORT]`.
pub fn redact(text: &str, dir: &Path) -> String {
    let mut text = redact_dir(text, dir);
    for host in ["127.0.0.1:", "localhost:"] {
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(at) = rest.find(host) {
            let after = &rest[at + host.len()..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            out.push_str(&rest[..at + host.len()]);
            out.push_str(if digits > 0 { "[PORT]" } else { "" });
            rest = &after[digits..];
        }
        out.push_str(rest);
        text = out;
    }
    text
}

/// `text` with `dir` (as given and canonical) as `[DIR]`, and the operating
/// system's error numbers (`(os error 111)` on Linux is 61 on macOS) as `[N]`.
pub fn redact_dir(text: &str, dir: &Path) -> String {
    let mut text = text.to_string();
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    for d in [canonical, dir.to_path_buf()] {
        text = text.replace(&d.display().to_string(), "[DIR]");
    }
    let marker = "(os error ";
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find(marker) {
        let after = &rest[at + marker.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        out.push_str(&rest[..at + marker.len()]);
        out.push_str(if digits > 0 { "[N]" } else { "" });
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}
