//! `frontend write` on React apps written here in the shapes students have
//! (tests/fixtures/frontends): the course's week-1 app beside the sample backend,
//! one traced by hand with the Honeycomb key pasted in, a TypeScript one, and a
//! React 17 `ReactDOM.render` one with CRLF line endings.

use crate::common::repo;
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

/// The sample app (examples/cruddur-like) with `fixture` as frontend-react-js.
fn app_with(fixture: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples/cruddur-like"), dir.path());
    copy_dir(
        &repo().join("tests/fixtures/frontends").join(fixture),
        &dir.path().join("frontend-react-js"),
    );
    dir
}

fn template(name: &str) -> String {
    std::fs::read_to_string(repo().join("templates").join(name)).unwrap()
}

const KEY: &str = "hcaik_01pastedpastedpastedpastedpastedpastedpastedpastedq7w3x9z2";

#[test]
fn week1_gets_browser_tracing_then_a_second_run_changes_nothing() {
    let dir = app_with("week1");
    let index_before =
        std::fs::read_to_string(dir.path().join("frontend-react-js/src/index.js")).unwrap();
    let ran = Test::in_dir(dir.path())
        .args(["frontend", "write", "--yes"])
        .file("frontend-react-js/src/tracing.js", &template("tracing.js"))
        .file(
            "frontend-react-js/src/index.js",
            &format!("import './tracing';\n{index_before}"),
        )
        .keep_ports()
        .snapshot("frontend_write_week1");
    let package: serde_json::Value =
        serde_json::from_str(&ran.read("frontend-react-js/package.json")).unwrap();
    assert_eq!(
        package["dependencies"]["@opentelemetry/sdk-trace-web"],
        "2.12.0"
    );
    assert_eq!(package["dependencies"]["react"], "^18.2.0");
    let app_py = ran.read("backend-flask/app.py");
    assert!(app_py.contains(
        "  allow_headers=[\"content-type\", \"if-modified-since\", \"traceparent\", \"tracestate\"],\n  methods="
    ));

    Test::in_dir(dir.path())
        .args(["frontend", "write", "--dry-run"])
        .unchanged("frontend-react-js/package.json")
        .unchanged("frontend-react-js/src/tracing.js")
        .unchanged("frontend-react-js/src/index.js")
        .unchanged("backend-flask/app.py")
        .keep_ports()
        .snapshot("frontend_write_week1_again_in_sync");
}

#[test]
fn dry_run_writes_nothing_and_json_is_one_document() {
    let dir = app_with("week1");
    let ran = Test::in_dir(dir.path())
        .args(["frontend", "write", "--dry-run", "--output", "json"])
        .status(3)
        .stdout_any()
        .stderr_any()
        .unchanged("frontend-react-js/package.json")
        .unchanged("frontend-react-js/src/index.js")
        .unchanged("backend-flask/app.py")
        .absent("frontend-react-js/src/tracing.js")
        .run();
    let doc = ran.json();
    assert_eq!(doc["exit_code"], 3);
    assert_eq!(doc["error"], "dry run: no file was written");
    let files = doc["report"]["files"].as_array().unwrap();
    let names: Vec<&str> = files.iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "frontend-react-js/package.json",
            "frontend-react-js/src/tracing.js",
            "frontend-react-js/src/index.js",
            "backend-flask/app.py"
        ]
    );
    for f in files {
        assert_eq!(f["status"], "would-change", "{f}");
        assert!(f["diff"].as_str().unwrap().starts_with("--- a/"), "{f}");
    }
    assert_eq!(
        files[0]["next_steps"][0],
        "cd frontend-react-js && npm install"
    );
    let step = files[1]["next_steps"][0].as_str().unwrap();
    assert!(
        step.starts_with("set REACT_APP_OTEL_COLLECTOR_URL in the frontend service's environment"),
        "{step}"
    );

    // Once the compose file sets the collector's URL, that step is not said.
    let compose = std::fs::read_to_string(dir.path().join("docker-compose.yml")).unwrap();
    let with_url = compose.replace(
        "      REACT_APP_BACKEND_URL:",
        "      REACT_APP_OTEL_COLLECTOR_URL: \"https://4318-${GITPOD_WORKSPACE_ID}.${GITPOD_WORKSPACE_CLUSTER_HOST}\"\n      REACT_APP_BACKEND_URL:",
    );
    assert_ne!(with_url, compose);
    let ran = Test::in_dir(dir.path())
        .write("docker-compose.yml", &with_url)
        .args(["frontend", "write", "--dry-run", "--output", "json"])
        .status(3)
        .stdout_any()
        .stderr_any()
        .run();
    assert!(ran.json()["report"]["files"][1].get("next_steps").is_none());
}

#[test]
fn a_hand_setup_with_a_pasted_key_is_kept_and_the_key_only_shown_masked() {
    let dir = app_with("hand-tracing");
    let ran = Test::in_dir(dir.path())
        .args(["frontend", "write", "--yes"])
        .unchanged("frontend-react-js/package.json")
        .unchanged("frontend-react-js/src/tracing.js")
        .unchanged("frontend-react-js/src/index.js")
        .keep_ports()
        .snapshot("frontend_write_hand_tracing_key_masked");
    assert!(!ran.all_output().contains(KEY));
    assert!(!ran.all_output().contains(&KEY[..20]));
    assert!(ran.stdout.contains("(hcaik_…x9z2)"));
    // The backend's CORS is still made to allow the header the hand setup sends.
    assert!(ran
        .read("backend-flask/app.py")
        .contains("\"traceparent\", \"tracestate\"]"));

    // --force: cruddur-obs's module replaces the hand file (the key is still named).
    let ran = Test::in_dir(dir.path())
        .args(["frontend", "write", "--yes", "--force"])
        .file("frontend-react-js/src/tracing.js", &template("tracing.js"))
        .unchanged("frontend-react-js/src/index.js")
        .stdout_any()
        .stderr_any()
        .run();
    assert!(!ran.all_output().contains(KEY));
    assert!(
        ran.stdout
            .contains("frontend-react-js/src/tracing.js: written"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("rotate it in Honeycomb"),
        "{}",
        ran.stdout
    );
    assert!(ran
        .stdout
        .contains("+ @opentelemetry/instrumentation-fetch@0.223.0"));
    // The 1.x SDK the hand setup had does not have the API the module uses:
    // --force writes the family's versions over it (others stay as written).
    assert!(ran
        .stdout
        .contains("~ @opentelemetry/sdk-trace-web \"^1.13.0\" → \"2.12.0\""));
    let package: serde_json::Value =
        serde_json::from_str(&ran.read("frontend-react-js/package.json")).unwrap();
    assert_eq!(
        package["dependencies"]["@opentelemetry/sdk-trace-web"],
        "2.12.0"
    );
    assert_eq!(package["dependencies"]["@opentelemetry/api"], "^1.4.1");
}

#[test]
fn a_typescript_app_gets_tracing_ts_and_no_backend_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &repo().join("tests/fixtures/frontends/typescript"),
        &dir.path().join("web"),
    );
    let ran = Test::in_dir(dir.path())
        .args(["frontend", "write", "--dir", "web", "--yes"])
        .file("web/src/tracing.ts", &template("tracing.ts"))
        .absent("web/src/tracing.js")
        .keep_ports()
        .snapshot("frontend_write_typescript");
    assert!(ran
        .read("web/src/index.tsx")
        .starts_with("import \"./tracing\";\nimport React from \"react\";\n"));
}

#[test]
fn react_dom_render_with_crlf_gets_the_import_in_its_style() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &repo().join("tests/fixtures/frontends/render"),
        &dir.path().join("frontend-react-js"),
    );
    let index =
        std::fs::read_to_string(repo().join("tests/fixtures/frontends/render/src/index.js"))
            .unwrap()
            .replace('\n', "\r\n");
    let expected = index.replace(
        "'use strict'\r\n\r\nimport React",
        "'use strict'\r\n\r\nimport './tracing'\r\nimport React",
    );
    assert_ne!(expected, index);
    let ran = Test::new()
        .write("frontend-react-js/src/index.js", &index)
        .fixture(
            "frontends/render/package.json",
            "frontend-react-js/package.json",
        )
        .args(["frontend", "write", "--yes"])
        .file("frontend-react-js/src/index.js", &expected)
        .stdout_any()
        .stderr_any()
        .run();
    assert!(ran.stderr.starts_with("warning: found no backend app.py (pass --backend-dir): its CORS must allow the headers traceparent and tracestate\n"));
    assert!(
        ran.stdout.contains("+ import './tracing' (line 6)"),
        "{}",
        ran.stdout
    );
}

#[test]
fn without_a_frontend_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples/cruddur-like"), dir.path());
    Test::in_dir(dir.path())
        .args(["frontend", "write", "--yes"])
        .status(2)
        .unchanged("backend-flask/app.py")
        .snapshot("frontend_write_no_frontend");
    // A frontend without an entry point: named, nothing written.
    Test::in_dir(dir.path())
        .fixture(
            "frontends/week1/package.json",
            "frontend-react-js/package.json",
        )
        .args(["frontend", "write", "--yes"])
        .status(2)
        .unchanged("frontend-react-js/package.json")
        .unchanged("backend-flask/app.py")
        .snapshot("frontend_write_no_entry_point");
}

#[test]
fn a_hand_file_nothing_imports_is_named_as_off_and_keys_anywhere_under_src_are_named() {
    let dir = app_with("hand-tracing");
    let index = dir.path().join("frontend-react-js/src/index.js");
    let text = std::fs::read_to_string(&index).unwrap();
    // The import commented out (as students leave it when the page broke), and a
    // Honeycomb SDK setup in a component file nobody imports, reading its key
    // from a build-time variable.
    std::fs::write(
        &index,
        text.replace("import './tracing';", "// import './tracing';"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("frontend-react-js/src/components")).unwrap();
    std::fs::write(
        dir.path().join("frontend-react-js/src/components/Honeycomb.js"),
        "import { HoneycombWebSDK } from '@honeycombio/opentelemetry-web';\n\nexport const sdk = new HoneycombWebSDK({\n  apiKey: process.env.REACT_APP_HONEYCOMB_API_KEY,\n  serviceName: 'frontend-react-js',\n});\n",
    )
    .unwrap();
    let ran = Test::in_dir(dir.path())
        .args(["frontend", "write", "--yes"])
        .status(3)
        .unchanged("frontend-react-js/package.json")
        .unchanged("frontend-react-js/src/tracing.js")
        .unchanged("frontend-react-js/src/index.js")
        .keep_ports()
        .snapshot("frontend_write_hand_file_not_imported");
    assert!(!ran.all_output().contains(&KEY[..20]));
    // status fails on it, as on any file left to do.
    Test::in_dir(dir.path())
        .args(["frontend", "write", "--dry-run"])
        .status(3)
        .stdout_any()
        .stderr_any()
        .run();

    // --force: cruddur-obs's module replaces it, and is imported.
    let forced = tempfile::tempdir().unwrap();
    copy_dir(dir.path(), forced.path());
    let ran = Test::in_dir(forced.path())
        .args(["frontend", "write", "--yes", "--force"])
        .file("frontend-react-js/src/tracing.js", &template("tracing.js"))
        .stdout_any()
        .stderr_any()
        .run();
    assert!(ran
        .read("frontend-react-js/src/index.js")
        .starts_with("import './tracing';\n"));

    // Imported again, through App.js this time (two levels down): running.
    std::fs::write(&index, text.replace("import './tracing';\n", "")).unwrap();
    let app = dir.path().join("frontend-react-js/src/App.js");
    let app_text = std::fs::read_to_string(&app).unwrap();
    std::fs::write(&app, format!("import './tracing';\n{app_text}")).unwrap();
    let ran = Test::in_dir(dir.path())
        .args(["frontend", "write", "--dry-run"])
        .status_in(&[0, 3])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(
        ran.stdout
            .contains("src/tracing.js:15: browser tracing is set up by hand"),
        "{}",
        ran.stdout
    );
}

#[test]
fn gitpod_and_devcontainer_write_open_the_collector_port_beside_a_react_app() {
    let dir = app_with("week1");
    let ran = Test::in_dir(dir.path())
        .args(["gitpod", "write", "--yes"])
        .stdout_any()
        .stderr_any()
        .run();
    let gitpod: serde_json::Value = serde_saphyr::from_str(&ran.read(".gitpod.yml")).unwrap();
    let public: Vec<i64> = gitpod["ports"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["visibility"] == "public")
        .filter_map(|p| p["port"].as_i64())
        .collect();
    assert!(
        public.contains(&4567) && public.contains(&4318),
        "{gitpod:#}"
    );
    let ran = Test::in_dir(dir.path())
        .args(["devcontainer", "write", "--yes"])
        .env_remove("CODESPACES")
        .stdout_any()
        .stderr_any()
        .run();
    let devcontainer: serde_json::Value =
        serde_json::from_str(&ran.read(".devcontainer/devcontainer.json")).unwrap();
    assert_eq!(
        devcontainer["forwardPorts"],
        serde_json::json!([3000, 4567, 4318])
    );
    assert!(
        ran.stdout
            .contains("gh codespace ports visibility 4567:public 4318:public"),
        "{}",
        ran.stdout
    );

    // Without a React app: the backend's port only.
    let bare = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples/cruddur-like"), bare.path());
    let ran = Test::in_dir(bare.path())
        .args(["gitpod", "write", "--yes"])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(!ran.read(".gitpod.yml").contains("4318"));
}

/// `status` on the browser's half, with no cloud part: the lockfile against
/// package.json, the collector's CORS against the frontend's origin, the
/// backend's CORS against the trace headers.
#[test]
fn status_checks_the_lockfile_and_both_cors_sides() {
    let dir = app_with("week1");
    let status = |dir: &std::path::Path| {
        Test::in_dir(dir)
            .args([
                "status",
                "--via",
                "collector",
                "--without",
                "xray",
                "--without",
                "logs",
                "--without",
                "honeycomb",
                "--without",
                "rollbar",
            ])
            .env_remove("GITPOD_WORKSPACE_ID")
            .env_remove("GITPOD_WORKSPACE_CLUSTER_HOST")
            .env_remove("CODESPACES")
            .env_remove("CODESPACE_NAME")
            .status(1)
            .stderr_any()
            .stdout_any()
            .run()
            .stdout
            .clone()
    };
    let before = status(dir.path());
    assert!(
        before.contains("✗ backend CORS: backend-flask/app.py does not allow all of traceparent and tracestate: the browser's requests that send them fail their preflight"),
        "{before}"
    );
    for args in [
        &["frontend", "write", "--yes"][..],
        &[
            "compose",
            "write",
            "--via",
            "collector",
            "--yes",
            "--region",
            "ca-central-1",
        ],
    ] {
        Test::in_dir(dir.path())
            .args(args.iter().copied())
            .stdout_any()
            .stderr_any()
            .run();
    }
    // A lockfile from before the packages were added.
    std::fs::write(
        dir.path().join("frontend-react-js/package-lock.json"),
        r#"{"name": "frontend", "lockfileVersion": 3, "packages": {"node_modules/@opentelemetry/api": {"version": "1.4.1"}}}"#,
    )
    .unwrap();
    let after = status(dir.path());
    for line in [
        "✓ backend CORS: backend-flask/app.py allows traceparent and tracestate",
        "✓ collector CORS: lets the frontend at https://3000-example-workspace.ws-us99.gitpod.io (an example of its shape) send spans",
        "✗ frontend packages: package-lock.json is older than package.json (@opentelemetry/api: package.json 1.9.1, package-lock.json 1.4.1; @opentelemetry/context-zone: not in package-lock.json; and 8 more): the build would not have them",
        "    hint: cd frontend-react-js && npm install, then commit package-lock.json",
    ] {
        assert!(after.contains(line), "{line}\n{after}");
    }
    // The collector allowing only a local page: Gitpod's frontend is refused.
    let config = dir.path().join("otel-collector-config.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("            - https://3000-*.gitpod.io\n", ""),
    )
    .unwrap();
    let refused = status(dir.path());
    assert!(
        refused.contains("✗ collector CORS: refuses the frontend at https://3000-example-workspace.ws-us99.gitpod.io (an example of its shape): allowed_origins is [https://*-3000.app.github.dev, http://localhost:3000]"),
        "{refused}"
    );
}

/// From week 3 the home page sends `Authorization: Bearer ...`, and the course
/// later moved CORS into `lib/cors.py`: the list written must hold the header
/// the page sends, in the module that makes the call.
#[test]
fn the_pages_authorization_header_is_allowed_where_cors_is_set_up() {
    let dir = app_with("week1");
    let backend = dir.path().join("backend-flask");
    std::fs::remove_dir_all(&backend).unwrap();
    copy_dir(
        &repo().join("tests/fixtures/backends/week6-refactor"),
        &backend,
    );
    std::fs::write(
        backend.join("lib/cors.py"),
        "import os\n\nfrom flask_cors import CORS\n\n\ndef init_cors(app):\n    origins = [os.getenv(\"FRONTEND_URL\"), os.getenv(\"BACKEND_URL\")]\n    CORS(\n        app,\n        resources={r\"/api/*\": {\"origins\": origins}},\n        allow_headers=\"content-type,if-modified-since\",\n        methods=\"OPTIONS,GET,HEAD,POST\",\n    )\n",
    )
    .unwrap();
    let page = dir
        .path()
        .join("frontend-react-js/src/pages/HomeFeedPage.js");
    let text = std::fs::read_to_string(&page).unwrap();
    std::fs::write(
        &page,
        text.replace(
            "const res = await fetch(backend_url, { method: 'GET' });",
            "const res = await fetch(backend_url, {\n          headers: {\n            Authorization: `Bearer ${localStorage.getItem(\"access_token\")}`\n          },\n          method: 'GET'\n        });",
        ),
    )
    .unwrap();
    let ran = Test::in_dir(dir.path())
        .args(["frontend", "write", "--yes"])
        .unchanged("backend-flask/app.py")
        .unchanged("frontend-react-js/src/pages/HomeFeedPage.js")
        .keep_ports()
        .run_for_snapshot();
    let cors = ran.read("backend-flask/lib/cors.py");
    assert!(
        cors.contains("allow_headers=[\"content-type\", \"if-modified-since\", \"traceparent\", \"tracestate\", \"authorization\"],"),
        "{cors}"
    );
    let ran = ran.snapshot("frontend_write_authorization_in_lib_cors");
    assert!(!ran.stdout.contains("no CORS(...) call"), "{}", ran.stdout);
    Test::in_dir(dir.path())
        .args(["frontend", "write", "--dry-run"])
        .status(0)
        .unchanged("backend-flask/lib/cors.py")
        .stdout_any()
        .stderr_any()
        .run();

    // The module imported by name (`from lib import cors`, `cors.init_cors(app)`).
    let by_name = tempfile::tempdir().unwrap();
    copy_dir(dir.path(), by_name.path());
    let app_py = by_name.path().join("backend-flask/app.py");
    let text = std::fs::read_to_string(&app_py).unwrap();
    let edited = text
        .replace("from lib.cors import init_cors", "from lib import cors")
        .replace("init_cors(app)", "cors.init_cors(app)");
    assert_ne!(edited, text);
    std::fs::write(&app_py, edited).unwrap();
    let cors_py = by_name.path().join("backend-flask/lib/cors.py");
    let text = std::fs::read_to_string(&cors_py).unwrap();
    std::fs::write(&cors_py, text.replace(", \"authorization\"]", "]")).unwrap();
    let ran = Test::in_dir(by_name.path())
        .args(["frontend", "write", "--dry-run"])
        .status(3)
        .stdout_any()
        .stderr_any()
        .run();
    assert!(
        ran.stdout.contains(
            "backend-flask/lib/cors.py: would change\n    + allow_headers \"authorization\""
        ),
        "{}",
        ran.stdout
    );
}

/// A setup inside a function is running only when something calls it.
#[test]
fn a_setup_in_a_function_nothing_calls_is_named_as_off() {
    let dir = app_with("week1");
    let src = dir.path().join("frontend-react-js/src");
    std::fs::write(
        src.join("instrumentation.js"),
        "import { WebTracerProvider } from '@opentelemetry/sdk-trace-web';\n\nexport const initInstrumentation = () => {\n  const provider = new WebTracerProvider({});\n  provider.register();\n};\n",
    )
    .unwrap();
    let index = std::fs::read_to_string(src.join("index.js")).unwrap();
    let with_call = |call: &str| {
        std::fs::write(
            src.join("index.js"),
            format!("import {{ initInstrumentation }} from './instrumentation';\n{call}\n{index}"),
        )
        .unwrap();
    };
    with_call("//initInstrumentation();");
    let ran = Test::in_dir(dir.path())
        .args(["frontend", "write", "--dry-run"])
        .status(3)
        .stdout_any()
        .stderr_any()
        .run();
    assert!(
        ran.stdout.contains("frontend-react-js/src/instrumentation.js:4: sets browser tracing up by hand (`WebTracerProvider(...)`) in initInstrumentation(), but nothing frontend-react-js/src/index.js runs calls initInstrumentation, so the browser sends no spans"),
        "{}",
        ran.stdout
    );
    with_call("initInstrumentation();");
    let ran = Test::in_dir(dir.path())
        .args(["frontend", "write", "--dry-run"])
        .status(3)
        .stdout_any()
        .stderr_any()
        .run();
    assert!(
        ran.stdout.contains(
            "frontend-react-js/src/instrumentation.js:4: browser tracing is set up by hand"
        ),
        "{}",
        ran.stdout
    );
    assert!(
        !ran.stdout.contains("+ import './tracing';"),
        "{}",
        ran.stdout
    );
}

/// Packages left from an earlier try, at versions older than the module needs:
/// kept as a conflict (the page would build and send nothing), --force writes
/// the family's.
#[test]
fn an_older_sdk_already_listed_is_a_conflict_that_force_resolves() {
    let dir = app_with("week1");
    let package = dir.path().join("frontend-react-js/package.json");
    let text = std::fs::read_to_string(&package).unwrap();
    std::fs::write(
        &package,
        text.replace(
            "    \"react\": \"^18.2.0\",",
            "    \"@opentelemetry/sdk-trace-web\": \"^1.9.1\",\n    \"react\": \"^18.2.0\",",
        ),
    )
    .unwrap();
    let ran = Test::in_dir(dir.path())
        .args(["frontend", "write", "--yes"])
        .status(3)
        .stdout_any()
        .stderr_any()
        .run();
    for line in [
        "conflict: @opentelemetry/sdk-trace-web: ^1.9.1 -> 2.12.0 (kept; --force replaces it)",
        "the tracing module needs the family's versions — with the ones kept, the page builds and sends no span: run again with --force to write them, or `npm install @opentelemetry/sdk-trace-web@2.12.0`",
    ] {
        assert!(ran.stdout.contains(line), "{line}\n{}", ran.stdout);
    }
    let ran = Test::in_dir(dir.path())
        .args(["frontend", "write", "--yes", "--force"])
        .status(0)
        .stdout_any()
        .stderr_any()
        .run();
    let package: serde_json::Value =
        serde_json::from_str(&ran.read("frontend-react-js/package.json")).unwrap();
    assert_eq!(
        package["dependencies"]["@opentelemetry/sdk-trace-web"],
        "2.12.0"
    );
    Test::in_dir(dir.path())
        .args(["frontend", "write", "--dry-run"])
        .status(0)
        .stdout_any()
        .stderr_any()
        .run();
}
