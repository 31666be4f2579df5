//! One way to run the binary in a test, in the style of just's test builder:
//! arguments, environment, stdin and files in; the exit status, stdout, stderr
//! and files expected out. `run` checks every expectation and returns what
//! happened, for the assertions that are the test's own; `transcript` is the
//! whole output with the run's directory and loopback ports redacted, for a
//! whole-output insta snapshot instead of a chain of `contains`.
//!
//! ```ignore
//! Test::new()
//!     .fixture("compose/bootcamp-week1.yml", "docker-compose.yml")
//!     .args(["compose", "write", "--region", "ca-central-1", "--dry-run"])
//!     .status(3)
//!     .unchanged("docker-compose.yml")
//!     .run()
//!     .snapshot("compose_write_dry_run");
//! ```
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
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

/// A run of `cruddur-obs` being described.
#[must_use = "a Test does nothing until .run()"]
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
    stdout: Option<String>,
    stderr: Option<String>,
    files: Vec<(PathBuf, FileExpectation)>,
}

impl Test {
    /// A run in a fresh temp dir, with the AWS environment replaced by test
    /// settings (see [`isolated`]); expects exit 0 unless told otherwise.
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
            stdout: None,
            stderr: None,
            files: Vec::new(),
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
    pub fn status_in(mut self, codes: &[i32]) -> Test {
        assert!(!codes.is_empty(), "no exit status allowed");
        self.status = codes.to_vec();
        self
    }

    /// Stdout must be exactly this.
    pub fn stdout(mut self, text: &str) -> Test {
        self.stdout = Some(text.to_string());
        self
    }

    /// Stderr must be exactly this.
    pub fn stderr(mut self, text: &str) -> Test {
        self.stderr = Some(text.to_string());
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

    /// Runs the binary and checks every expectation.
    pub fn run(self) -> Ran {
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
            redactions: Vec::new(),
            keep_ports: false,
        };
        if let [status] = self.status[..] {
            assert_eq!(
                ran.code(),
                status,
                "exit status of `cruddur-obs {}`\n{}",
                ran.command.join(" "),
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
        if let Some(expected) = &self.stdout {
            assert_eq!(&ran.stdout, expected, "stdout\n{}", ran.transcript());
        }
        if let Some(expected) = &self.stderr {
            assert_eq!(&ran.stderr, expected, "stderr\n{}", ran.transcript());
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
    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(path))
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Stdout, which must be exactly one JSON document.
    pub fn json(&self) -> Value {
        let mut docs = serde_json::Deserializer::from_str(&self.stdout).into_iter::<Value>();
        let first = docs
            .next()
            .unwrap_or_else(|| panic!("no JSON on stdout\n{}", self.transcript()))
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{}", self.transcript()));
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
    pub fn snapshot(self, name: &str) -> Ran {
        assert_transcript(name, self.transcript());
        self
    }
}

/// Asserts the transcripts of several runs (a table of cases), one after the
/// other with a blank line between, against the insta snapshot
/// `snapshots/transcripts/<name>.snap`.
pub fn snapshot_all<'a>(name: &str, runs: impl IntoIterator<Item = &'a Ran>) {
    let transcripts: Vec<String> = runs.into_iter().map(Ran::transcript).collect();
    assert!(!transcripts.is_empty(), "no runs to snapshot");
    assert_transcript(name, transcripts.join("\n"));
}

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

#[test]
fn the_harness_checks_what_it_is_told() {
    // A run that does what it is told passes every expectation...
    let ran = Test::new()
        .write("docker-compose.yml", "services: {}\n")
        .args(["compose", "write", "--region", "ca-central-1"])
        .status(2)
        .unchanged("docker-compose.yml")
        .absent(".gitpod.yml")
        .run();
    assert!(ran.stdout.is_empty(), "{}", ran.transcript());
    // ...and a wrong expectation fails the test.
    let wrong = std::panic::catch_unwind(|| {
        Test::new().args(["--version"]).status(1).run();
    });
    assert!(wrong.is_err(), "a wrong exit status must fail");
    Test::new().args(["--version"]).status_in(&[1, 0]).run();
    let wrong = std::panic::catch_unwind(|| {
        Test::new().args(["--version"]).status_in(&[1, 2]).run();
    });
    assert!(wrong.is_err(), "an exit status not in the list must fail");
    let wrong = std::panic::catch_unwind(|| {
        Test::new().args(["--version"]).stdout("no\n").run();
    });
    assert!(wrong.is_err(), "a wrong stdout must fail");
}

#[test]
fn runs_in_a_given_dir_share_its_files_and_redact_it() {
    let dir = tempfile::tempdir().unwrap();
    Test::in_dir(dir.path())
        .write("docker-compose.yml", "services: {}\n")
        .args(["compose", "write", "--region", "ca-central-1"])
        .status(2)
        .run();
    // The file the first run was given is there for the second, and stays.
    let ran = Test::in_dir(dir.path())
        .args(["compose", "write", "--region", "ca-central-1"])
        .status(2)
        .unchanged("docker-compose.yml")
        .run()
        .redact("ca-central-1", "[REGION]");
    assert_eq!(ran.path(), dir.path());
    assert_eq!(ran.read("docker-compose.yml"), "services: {}\n");
    let transcript = ran.transcript();
    assert!(transcript.starts_with("$ cruddur-obs compose write --region [REGION]\n"));
    assert!(!transcript.contains(&dir.path().display().to_string()));
    drop(ran);
    assert!(dir.path().exists(), "a given dir is the caller's to remove");
}

#[test]
fn redaction_hides_the_temp_dir_and_ports_only() {
    let dir = Path::new("/tmp/.tmpAbC123");
    assert_eq!(
        redact(
            "/tmp/.tmpAbC123/x.yml at http://127.0.0.1:45123/ and localhost: and :8080",
            dir
        ),
        "[DIR]/x.yml at http://127.0.0.1:[PORT]/ and localhost: and :8080"
    );
    assert_eq!(
        redact_dir("/tmp/.tmpAbC123/x.yml at http://127.0.0.1:45123/", dir),
        "[DIR]/x.yml at http://127.0.0.1:45123/"
    );
    assert_eq!(
        redact_dir("Connection refused (os error 111); (os error x)", dir),
        "Connection refused (os error [N]); (os error x)"
    );
}

#[test]
fn unchanged_needs_a_file_that_exists() {
    let typo = std::panic::catch_unwind(|| {
        Test::new()
            .args(["--version"])
            .unchanged("no-such-file.yml")
            .run();
    });
    assert!(
        typo.is_err(),
        "unchanged() on a missing file must fail, not pass"
    );
}
