//! `app write` on backends in the shapes real students' code takes at each
//! point of the course (tests/fixtures/backends, each file says its shape):
//! no part is instrumented twice, no part that runs by hand is skipped, code
//! that never runs does not count, and every note is true. Each run only adds
//! to files, and a second run changes nothing.

use crate::common::repo;
use crate::harness::{Ran, Test};

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The fixture copied to `backend/` of a new project directory.
fn backend(shape: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &repo().join("tests/fixtures/backends").join(shape),
        &dir.path().join("backend"),
    );
    dir
}

/// Every line of `old` is still in `new`, in order (lines only added).
#[track_caller]
fn only_added(old: &str, new: &str) {
    let mut rest = new.lines();
    for line in old.lines() {
        assert!(
            rest.any(|l| l == line),
            "line {line:?} lost:\n--- old\n{old}\n--- new\n{new}"
        );
    }
}

/// `app write --yes` on the shape; then a second run that must change nothing.
fn write(shape: &str) -> (tempfile::TempDir, Ran) {
    let dir = backend(shape);
    let before_app = std::fs::read_to_string(dir.path().join("backend/app.py")).unwrap();
    let before_req = std::fs::read_to_string(dir.path().join("backend/requirements.txt")).unwrap();
    let ran = Test::in_dir(dir.path())
        .args(["app", "write", "--dir", "backend", "--yes"])
        .status(0)
        .run_for_snapshot();
    only_added(&before_app, &ran.read("backend/app.py"));
    only_added(&before_req, &ran.read("backend/requirements.txt"));
    Test::in_dir(dir.path())
        .args(["app", "write", "--dir", "backend", "--dry-run"])
        .unchanged("backend/app.py")
        .unchanged("backend/requirements.txt")
        .unchanged("backend/lib/observability.py")
        .status(0)
        .stdout_any()
        .run();
    (dir, ran)
}

fn call_line(ran: &Ran) -> String {
    ran.read("backend/app.py")
        .lines()
        .find(|l| l.starts_with("init_observability("))
        .unwrap_or("(none)")
        .to_string()
}

#[test]
fn the_course_refactor_into_lib_is_not_instrumented_twice() {
    let (_dir, ran) = write("week6-refactor");
    // X-Ray, Honeycomb and Rollbar run by hand from lib/; CloudWatch does not
    // (its handler is commented out and init_cloudwatch is never called).
    assert_eq!(
        call_line(&ran),
        "init_observability(app, skip=(\"honeycomb\", \"xray\", \"rollbar\",))"
    );
    let req = ran.read("backend/requirements.txt");
    assert!(!req.contains("aws-xray-sdk>="), "{req}");
    ran.snapshot("backends_week6_refactor");
}

#[test]
fn a_class_that_sets_everything_up_counts_with_the_switches_its_caller_passes() {
    let (_dir, ran) = write("telemetry-class");
    // X-Ray is switched off by `xray_active=False`: not by hand, so the module
    // does it (and says why); the other three run in Telemetry.__init__.
    assert_eq!(
        call_line(&ran),
        "init_observability(app, skip=(\"honeycomb\", \"cloudwatch-logs\", \"rollbar\",))"
    );
    let out = ran.all_output();
    assert!(!out.contains("which nothing calls"), "{out}");
    // The handler sets a retention: no "kept forever" note.
    assert!(!out.contains("kept forever"), "{out}");
    ran.snapshot("backends_telemetry_class");
}

#[test]
fn flask_instrumentor_without_a_tracer_provider_is_not_honeycomb() {
    let (_dir, ran) = write("instrumentor-only");
    assert_eq!(call_line(&ran), "init_observability(app)");
    ran.snapshot("backends_instrumentor_only");
}

#[test]
fn a_rollbar_setup_nobody_calls_is_not_trusted() {
    let (_dir, ran) = write("rollbar-never-called");
    assert_eq!(call_line(&ran), "init_observability(app)");
    ran.snapshot("backends_rollbar_never_called");
}

#[test]
fn commented_out_xray_is_said_with_how_to_keep_it_off() {
    let (dir, ran) = write("xray-commented");
    assert_eq!(
        call_line(&ran),
        "init_observability(app, skip=(\"honeycomb\",))"
    );
    ran.snapshot("backends_xray_commented");
    // Kept off: no X-Ray note and no X-Ray in the call.
    let dir2 = backend("xray-commented");
    let off = Test::in_dir(dir2.path())
        .args([
            "app",
            "write",
            "--dir",
            "backend",
            "--without",
            "xray",
            "--yes",
        ])
        .status(0)
        .snapshot("backends_commented_out_xray_is_said_with_how_to_keep_it_off");
    assert!(
        !off.all_output().contains("--without xray"),
        "{}",
        off.all_output()
    );
    drop(dir);
}

#[test]
fn a_cloudwatch_handler_added_by_an_imported_module_counts() {
    let (_dir, ran) = write("cloudwatch-in-utils");
    assert_eq!(
        call_line(&ran),
        "init_observability(app, skip=(\"cloudwatch-logs\",))"
    );
    ran.snapshot("backends_cloudwatch_in_utils");
}

#[test]
fn an_app_py_python_cannot_parse_is_refused_untouched() {
    let dir = backend("syntax-error");
    Test::in_dir(dir.path())
        .args(["app", "write", "--dir", "backend", "--yes"])
        .status(2)
        .stdout("")
        .unchanged("backend/app.py")
        .unchanged("backend/requirements.txt")
        .absent("backend/lib/observability.py")
        .snapshot("backends_syntax_error");
}

#[test]
fn when_every_part_is_by_hand_nothing_is_written() {
    let dir = backend("all-by-hand");
    Test::in_dir(dir.path())
        .args(["app", "write", "--dir", "backend", "--yes"])
        .status(0)
        .unchanged("backend/app.py")
        .unchanged("backend/requirements.txt")
        .absent("backend/lib/observability.py")
        .snapshot("backends_all_by_hand");
}

#[test]
fn flask_2_2_pinned_before_first_request_is_not_called_a_crash() {
    let (_dir, ran) = write("flask22-pinned");
    // The hook runs (on the first request): Rollbar is by hand.
    assert_eq!(
        call_line(&ran),
        "init_observability(app, skip=(\"rollbar\",))"
    );
    ran.snapshot("backends_flask22_pinned");
}

#[test]
fn migrate_moves_the_week2_hand_setup_into_the_module() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &repo().join("examples/cruddur-like/backend-flask"),
        &dir.path().join("backend"),
    );
    let week2 = std::fs::read_to_string(repo().join("tests/fixtures/app/week2-app.py")).unwrap();
    std::fs::write(dir.path().join("backend/app.py"), &week2).unwrap();
    // Without --migrate: additive, the hand parts left out and the crash named.
    Test::in_dir(dir.path())
        .args(["app", "write", "--dir", "backend", "--dry-run"])
        .unchanged("backend/app.py")
        .status(3)
        .snapshot("backends_migrate_moves_the_week2_hand_setup_into_the_module");
    // With it: the hand setup goes (shown in the diff), the rest stays.
    let ran = Test::in_dir(dir.path())
        .args(["app", "write", "--dir", "backend", "--migrate", "--yes"])
        .status(0)
        .snapshot("backends_week2_migrate");
    let after = ran.read("backend/app.py");
    assert!(!after.contains("\n@app.before_first_request"), "{after}");
    assert!(after.contains("\ninit_observability(app)\n"), "{after}");
    // Only removed lines, no edited ones: every line of the result was in the input
    // (but the two added).
    for line in after.lines() {
        assert!(
            week2.lines().any(|l| l == line)
                || line == "from lib.observability import init_observability"
                || line == "init_observability(app)",
            "new line {line:?}"
        );
    }
    // A second run, with or without --migrate, changes nothing.
    for extra in [&[][..], &["--migrate"][..]] {
        Test::in_dir(dir.path())
            .args(["app", "write", "--dir", "backend", "--dry-run"])
            .args(extra.iter().copied())
            .unchanged("backend/app.py")
            .unchanged("backend/requirements.txt")
            .status(0)
            .stdout("backend/requirements.txt: in sync\nbackend/lib/observability.py: in sync\nbackend/app.py: in sync\n    note: backend/app.py:43: `XRayMiddleware(...)` is commented out: lib/observability.py switches AWS X-Ray on (pass `--without xray` to keep it off)\n").run();
    }
}
