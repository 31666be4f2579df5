//! `app write` instruments the sample backend (examples/cruddur-like, in the shape of
//! Python SDKs prove it end to end (scripts/app_e2e/app_e2e.py): spans reach an
//! OTLP receiver with the Honeycomb header, segments a UDP X-Ray listener, log
//! events moto's CloudWatch Logs, an exception a Rollbar stand-in.

use crate::common::{repo, tool};
use crate::harness::Test;

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

fn week1() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples/cruddur-like"), dir.path());
    dir
}

#[test]
#[ignore = "needs scripts/test.sh: python3"]
fn app_write_on_week1_then_the_real_sdks_deliver_to_every_backend() {
    let dir = week1();
    Test::in_dir(dir.path())
        .args(["app", "write", "--yes"])
        // (No server of the test's: the fixed ports, like the daemon's 2000, are shown.)
        .keep_ports()
        .snapshot("app_write_week1");
    // A second run changes nothing: each of the three files is in sync.
    Test::in_dir(dir.path())
        .args(["app", "write", "--dry-run"])
        .unchanged("backend-flask/app.py")
        .unchanged("backend-flask/requirements.txt")
        .unchanged("backend-flask/lib/observability.py")
        .snapshot("app_write_week1_again_in_sync");

    // The course's week-6 refactor, written by app write: scenario F runs it.
    let week6 = tempfile::tempdir().unwrap();
    copy_dir(
        &repo().join("tests/fixtures/backends/week6-refactor"),
        &week6.path().join("backend-flask"),
    );
    Test::in_dir(week6.path())
        .args(["app", "write", "--dir", "backend-flask", "--yes"])
        .status(0)
        .snapshot("app_app_write_on_week1_then_the_real_sdks_deliver_to_every_backend");

    // The week-2 app.py (which fails on today's Flask), migrated: scenario G runs it.
    let week2 = tempfile::tempdir().unwrap();
    copy_dir(
        &repo().join("examples/cruddur-like/backend-flask"),
        &week2.path().join("backend-flask"),
    );
    std::fs::copy(
        repo().join("tests/fixtures/app/week2-app.py"),
        week2.path().join("backend-flask/app.py"),
    )
    .unwrap();
    Test::in_dir(week2.path())
        .args([
            "app",
            "write",
            "--dir",
            "backend-flask",
            "--migrate",
            "--yes",
        ])
        .status(0)
        .snapshot("app_app_write_on_week1_then_the_real_sdks_deliver_to_every_backend_2");

    // A week-4 backend (a psycopg pool and a boto3 client made at import): scenario I
    // runs it against PostgreSQL and moto's DynamoDB.
    let week4 = tempfile::tempdir().unwrap();
    copy_dir(
        &repo().join("tests/fixtures/backends/week4-db"),
        &week4.path().join("backend-flask"),
    );
    Test::in_dir(week4.path())
        .args(["app", "write", "--dir", "backend-flask", "--yes"])
        .status(0)
        .snapshot("app_write_week4_databases");

    // The compose entries the backend runs with (scenario H reads them back).
    Test::in_dir(dir.path())
        .args(["compose", "write", "--yes", "--region", "us-east-1"])
        .status(0)
        // (compose write's own transcripts are in tests/it/files.rs)
        .stdout_any()
        .stderr_any()
        .run();
    // X-Ray for scenario H: the daemon stand-in forwards segments to it.
    let xray = xray_emulator::Emulator::start().unwrap();

    let venv = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("app-e2e-venv");
    let python = tool("CRUDDUR_OBS_PYTHON", "python3");
    let moto = tool("CRUDDUR_OBS_MOTO_SERVER", "moto_server");
    let run = std::process::Command::new(&python)
        .arg(repo().join("scripts/app_e2e/app_e2e.py"))
        .arg("--backend")
        .arg(dir.path().join("backend-flask"))
        .arg("--venv")
        .arg(&venv)
        .arg("--moto-server")
        .arg(&moto)
        .arg("--week2-fixture")
        .arg(repo().join("tests/fixtures/app/week2-app.py"))
        .arg("--unit-tests")
        .arg(repo().join("scripts/app_e2e"))
        .arg("--week6-backend")
        .arg(week6.path().join("backend-flask"))
        .arg("--week2-migrated")
        .arg(week2.path().join("backend-flask"))
        .arg("--week4-backend")
        .arg(week4.path().join("backend-flask"))
        .arg("--week4-venv")
        .arg(venv.with_file_name("app-e2e-week4-venv"))
        .arg("--cruddur-obs")
        .arg(env!("CARGO_BIN_EXE_cruddur-obs"))
        .arg("--xray-endpoint")
        .arg(xray.url())
        .arg("--compose")
        .arg(dir.path().join("docker-compose.yml"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} ({e}): run scripts/test.sh", python.display()));
    let said = format!(
        "{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(run.status.success(), "{said}");
    for expected in [
        "service.name=backend-flask",
        "x-honeycomb-team",
        "X-Ray",
        "Rollbar",
        "before_first_request",
        "ok: F-written: exactly one X-Ray segment per request",
        "ok: F-control: without skip",
        "ok: G-migrated: exactly one X-Ray segment per request",
        "ok: G-migrated: exactly one Rollbar item for the error (environment development)",
        "ok: H: verify --app exits 0 when the request reached every backend",
        "ok: H: with the mistakes verify --app exits 1",
        "ok: H: broken X-Ray line",
        "ok: I: the SQL query is a child span in the request's trace",
        "ok: I: the SQL query is a subsegment of the request's X-Ray segment",
        "ok: I: the DynamoDB call is a child span in the request's trace",
        " 0 failed",
    ] {
        assert!(said.contains(expected), "{expected:?} missing:\n{said}");
    }
}

#[test]
fn app_write_refuses_an_app_py_without_the_assignment_and_touches_nothing() {
    let dir = week1();
    let app_py = "from flask import Flask\n\ndef create():\n    return Flask(__name__)\n";
    // The error names the line it looks for, `app = Flask(__name__)`.
    Test::in_dir(dir.path())
        .write("backend-flask/app.py", app_py)
        .args(["app", "write", "--yes"])
        .status(2)
        .stdout("")
        .file("backend-flask/app.py", app_py)
        .unchanged("backend-flask/requirements.txt")
        .absent("backend-flask/lib/observability.py")
        .snapshot("app_write_refuses_app_py_without_the_assignment");
}

#[test]
fn hand_instrumentation_is_reported_and_not_doubled() {
    let dir = week1();
    let backend = dir.path().join("backend-flask");
    let app_py = std::fs::read_to_string(backend.join("app.py")).unwrap().replace(
        "app = Flask(__name__)\n",
        "app = Flask(__name__)\nfrom aws_xray_sdk.ext.flask.middleware import XRayMiddleware\nXRayMiddleware(app, xray_recorder)\n",
    );
    std::fs::write(backend.join("app.py"), &app_py).unwrap();
    // Reported as instrumented by hand; X-Ray is skipped.
    Test::in_dir(dir.path())
        .args(["app", "write", "--yes"])
        .keep_ports()
        .snapshot("app_write_hand_instrumented_xray_skipped");
    let written = std::fs::read_to_string(backend.join("app.py")).unwrap();
    assert!(
        written.contains("init_observability(app, skip=(\"xray\",))"),
        "{written}"
    );
    let req = std::fs::read_to_string(backend.join("requirements.txt")).unwrap();
    assert!(!req.contains("aws-xray-sdk"), "{req}");
    assert!(req.contains("watchtower>="), "{req}");
}
