//! Issue 28 end to end, in a real headless Chromium: one trace from the browser to
//! Flask, the Honeycomb key never in the browser (scripts/frontend_e2e.py).
//!
//! The sample app (examples/cruddur-like) with the week-1 React frontend
//! (tests/fixtures/frontends/week1: create-react-app, `createRoot`, the home page
//! fetching `${REACT_APP_BACKEND_URL}/api/activities/home`, here with the
//! `Authorization` header of the Cognito weeks) is written by
//! `app write --yes`, `frontend write --yes` and `compose write --via collector`,
//! then built with its own toolchain (`npm install`, `react-scripts build`; the
//! install and the build are kept under target/tmp/frontend-e2e while their inputs
//! are the same) and opened in Chromium against the backend and a stand-in for the
//! collector's OTLP/HTTP receiver that answers CORS with the written config's rules.

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

#[test]
#[ignore = "needs scripts/test.sh: chromium, node"]
fn the_page_in_chromium_is_one_trace_with_flask_and_the_key_stays_out_of_the_bundle() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples/cruddur-like"), dir.path());
    copy_dir(
        &repo().join("tests/fixtures/frontends/week1"),
        &dir.path().join("frontend-react-js"),
    );
    // The home page as from the Cognito weeks on: it sends its own Authorization
    // header, which the backend's allow_headers must name too.
    let page = dir
        .path()
        .join("frontend-react-js/src/pages/HomeFeedPage.js");
    let text = std::fs::read_to_string(&page).unwrap();
    let with_token = text.replace(
        "const res = await fetch(backend_url, { method: 'GET' });",
        "const res = await fetch(backend_url, {\n          headers: {\n            Authorization: `Bearer ${localStorage.getItem(\"access_token\")}`\n          },\n          method: 'GET'\n        });",
    );
    assert_ne!(with_token, text);
    std::fs::write(&page, with_token).unwrap();
    Test::in_dir(dir.path())
        .args(["app", "write", "--yes"])
        .status(0)
        // (app write's transcript on this backend: tests/it/app.rs)
        .stdout_any()
        .stderr_any()
        .run();
    Test::in_dir(dir.path())
        .args(["frontend", "write", "--yes"])
        .keep_ports()
        .snapshot("frontend_browser_write_after_app_write");
    Test::in_dir(dir.path())
        .args([
            "compose",
            "write",
            "--yes",
            "--via",
            "collector",
            "--region",
            "us-east-1",
        ])
        .status(0)
        // (compose write's own transcripts are in tests/it/files.rs)
        .stdout_any()
        .stderr_any()
        .run();

    // The CORS rules of the collector config as written: the stand-in answers by them.
    let config = std::fs::read_to_string(dir.path().join("otel-collector-config.yaml")).unwrap();
    let doc: serde_json::Value = serde_saphyr::from_str(&config).unwrap();
    let cors = &doc["receivers"]["otlp"]["protocols"]["http"]["cors"];
    assert!(cors.is_object(), "no CORS in the written config:\n{config}");
    let cors_json = dir.path().join("collector-cors.json");
    std::fs::write(&cors_json, cors.to_string()).unwrap();

    let cache = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("frontend-e2e");
    let python = tool("CRUDDUR_OBS_PYTHON", "python3");
    let chromium = tool("CRUDDUR_OBS_CHROMIUM", "chromium");
    let run = std::process::Command::new(&python)
        .arg(repo().join("scripts/frontend_e2e.py"))
        .arg("--frontend")
        .arg(dir.path().join("frontend-react-js"))
        .arg("--backend")
        .arg(dir.path().join("backend-flask"))
        .arg("--cors")
        .arg(&cors_json)
        .arg("--venv")
        .arg(cache.join("venv"))
        .arg("--cache")
        .arg(&cache)
        .arg("--chromium")
        .arg(&chromium)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} ({e}): run scripts/test.sh", python.display()));
    let said = format!(
        "{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(run.status.success(), "{said}");
    for expected in [
        "ok: bundle: build/static/js holds the tracing module",
        "ok: bundle: the Honeycomb key of the build's environment is not in build/static/js/*.js",
        "ok: bundle: no x-honeycomb-team header in build/static/js/*.js",
        "ok: page: the home feed shows the ",
        "ok: page: no console error, exception or failed request (CORS included)",
        "ok: collector: the browser's spans arrived, service.name frontend-react-js",
        "ok: collector: a documentLoad span from the browser",
        "ok: collector: one fetch span for GET ",
        "ok: collector: Flask's span for /api/activities/home, service.name backend-flask",
        "ok: trace: Flask's span has the browser fetch span's trace id ",
        "ok: trace: Flask's span is the child of the browser's fetch span",
        "ok: collector: its CORS (from the written config) let the page's origin http://localhost:3000 post",
        "ok: control: app.py with the backend's allow_headers edit left out",
        "ok: control: app.py with the page's own Authorization header left out of allow_headers",
        " 0 failed",
    ] {
        assert!(said.contains(expected), "{expected:?} missing:\n{said}");
    }
    // Both controls: the course's string, and the list without the page's header.
    for expected in [
        "ok: control: the page shows no feed",
        "ok: control: Chromium refused the backend by CORS",
        "ok: control: only the preflight reached Flask, never the GET",
        "ok: control: no Flask span for GET /api/activities/home",
    ] {
        assert_eq!(
            said.matches(expected).count(),
            2,
            "{expected:?} twice:\n{said}"
        );
    }
}
