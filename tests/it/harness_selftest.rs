//! The harness checks what it is told, and by default more: a run whose stdout
//! or stderr the test did not set expects them empty.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use crate::harness::{redact, redact_dir, snapshot_all, Test};

/// A command that writes to stderr only: `compose write` with no compose file.
fn no_compose_file() -> Test {
    Test::new()
        .args(["compose", "write", "--region", "ca-central-1"])
        .status(2)
}

const NO_COMPOSE_FILE: &str = "error: no compose file here: looked for compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml\nhelp: run it in the repository root, or pass --file PATH\n";

/// The message of the panic `f` ends in (it must panic).
fn panic_message(what: &str, f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err(what);
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| (*s).to_string()))
        .unwrap_or_default()
}

#[test]
fn an_unexpected_stderr_line_fails_the_test() {
    let message = panic_message("stderr nobody expected must fail the run", || {
        no_compose_file().run();
    });
    // The failure says which stream, and shows what the run printed.
    assert!(
        message.starts_with("stderr of `cruddur-obs compose write"),
        "{message}"
    );
    assert!(message.contains("error: no compose file here"), "{message}");

    // .stderr_any() accepts it (the test checks stderr otherwise)...
    let ran = no_compose_file().stderr_any().run();
    assert!(ran.stderr.starts_with("error: no compose file here"));
    // ...as does the exact text.
    no_compose_file().stderr(NO_COMPOSE_FILE).run();
    // A wrong text fails.
    panic_message("a wrong stderr must fail", || {
        no_compose_file().stderr("error: something else\n").run();
    });
}

#[test]
fn an_unexpected_stdout_fails_the_test() {
    let message = panic_message("stdout nobody expected must fail the run", || {
        Test::new().args(["--version"]).run();
    });
    assert!(
        message.starts_with("stdout of `cruddur-obs --version`"),
        "{message}"
    );
    Test::new().args(["--version"]).stdout_any().run();
    Test::new()
        .args(["--version"])
        .stdout(&format!("cruddur-obs {}\n", env!("CARGO_PKG_VERSION")))
        .run();
}

#[test]
fn a_snapshot_checks_both_streams_once() {
    // The transcript holds stderr: no .stderr_any() needed, and the snapshot
    // fails if stderr changes.
    no_compose_file().snapshot("harness_selftest_stderr_in_the_transcript");
    // A stream the test did set is checked as well.
    panic_message(
        "an explicit stdout is checked on a snapshot run too",
        || {
            no_compose_file()
                .stdout("something\n")
                .snapshot("harness_selftest_stderr_in_the_transcript");
        },
    );
}

#[test]
fn a_run_left_for_a_snapshot_must_be_snapshotted() {
    let message = panic_message("a run whose output nobody checked must fail", || {
        drop(no_compose_file().run_for_snapshot());
    });
    assert!(message.contains("was never snapshotted"), "{message}");
    // Snapshotted later (with a redaction known only after the run): fine.
    let ran = no_compose_file().run_for_snapshot();
    let region = ran.command[3].clone();
    snapshot_all(
        "harness_selftest_stderr_in_the_transcript_redacted",
        [&ran.redact(&region, "[REGION]")],
    );
}

#[test]
fn the_harness_checks_what_it_is_told() {
    // A run that does what it is told passes every expectation...
    Test::new()
        .write("docker-compose.yml", "services: {}\n")
        .args(["compose", "write", "--region", "ca-central-1"])
        .status(2)
        .stderr("error: docker-compose.yml has no service \"backend-flask\" and no service whose build context holds app.py; its services are: none\nhelp: pass --service NAME with the Flask backend's service\n")
        .unchanged("docker-compose.yml")
        .absent(".gitpod.yml")
        .run();
    // ...and a wrong expectation fails the test.
    let version = || Test::new().args(["--version"]).stdout_any();
    panic_message("a wrong exit status must fail", || {
        version().status(1).run();
    });
    version().status_in(&[1, 0]).run();
    panic_message("an exit status not in the list must fail", || {
        version().status_in(&[1, 2]).run();
    });
    panic_message("a wrong stdout must fail", || {
        Test::new().args(["--version"]).stdout("no\n").run();
    });
    panic_message("a file expected absent must fail if it is there", || {
        version().write("x", "").absent("x").run();
    });
}

#[test]
fn runs_in_a_given_dir_share_its_files_and_redact_it() {
    let dir = tempfile::tempdir().unwrap();
    Test::in_dir(dir.path())
        .write("docker-compose.yml", "services: {}\n")
        .args(["compose", "write", "--region", "ca-central-1"])
        .status(2)
        .stderr_any()
        .run();
    // The file the first run was given is there for the second, and stays.
    let ran = Test::in_dir(dir.path())
        .args(["compose", "write", "--region", "ca-central-1"])
        .status(2)
        .unchanged("docker-compose.yml")
        .redact("ca-central-1", "[REGION]")
        .snapshot("harness_selftest_given_dir");
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
    panic_message("unchanged() on a missing file must fail, not pass", || {
        Test::new()
            .args(["--version"])
            .stdout_any()
            .unchanged("no-such-file.yml")
            .run();
    });
}
