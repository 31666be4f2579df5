//! Which compose file and which service, when `--file` and `--service` are not
//! given: the file as docker compose looks for it (compose.yaml, compose.yml,
//! docker-compose.yaml, docker-compose.yml), the service `backend-flask`, else the
//! one whose build context holds app.py; `./backend-flask` without a compose file.

use crate::harness::{Ran, Test};

const COMPOSE: &str = "services:\n  backend-flask:\n    build: ./backend-flask\n  frontend-react-js:\n    build: ./frontend-react-js\n";

const RENAMED: &str = "services:\n  frontend:\n    build: ./frontend-react-js\n  backend:\n    build: ./backend-flask\n  db:\n    image: postgres:13-alpine\n";

const APP_PY: &str = "from flask import Flask\n\napp = Flask(__name__)\n\n@app.route(\"/api/health\")\ndef health():\n    return {\"ok\": True}\n";

/// `compose write` in the dry run: the diff, nothing written.
fn compose_dry_run(t: Test) -> Test {
    t.args(["compose", "write", "--region", "ca-central-1", "--dry-run"])
}

/// `plan` of the file parts only: no cloud, no key, no network.
fn plan_files_only(t: Test) -> Test {
    t.args([
        "plan",
        "--without",
        "xray",
        "--without",
        "logs",
        "--without",
        "honeycomb",
        "--without",
        "rollbar",
        "--dev-env",
        "none",
    ])
}

#[track_caller]
fn assert_lacks(ran: &Ran, unwanted: &str) {
    assert!(
        !ran.all_output().contains(unwanted),
        "{unwanted:?} shown\n{}",
        ran.transcript()
    );
}

#[test]
fn compose_yaml_alone_is_the_compose_file() {
    let ran = compose_dry_run(Test::new().write("compose.yaml", COMPOSE))
        .status(3)
        .unchanged("compose.yaml")
        .absent("docker-compose.yml")
        .snapshot("discovery_compose_yaml_alone_is_the_compose_file");
    assert_lacks(&ran, "note:");

    let ran = plan_files_only(Test::new().write("compose.yaml", COMPOSE))
        .status(3)
        .unchanged("compose.yaml")
        .snapshot("discovery_compose_yaml_alone_is_the_compose_file_2");
    assert_lacks(&ran, "docker-compose.yml");
}

#[test]
fn docker_compose_yaml_alone_is_written() {
    let ran = Test::new()
        .write("docker-compose.yaml", COMPOSE)
        .args(["compose", "write", "--region", "ca-central-1", "--yes"])
        .absent("docker-compose.yml")
        .snapshot("discovery_docker_compose_yaml_alone_is_written");
    let written = ran.read("docker-compose.yaml");
    assert!(written.contains("xray-daemon:"), "{written}");
    // A second run finds the same file, in sync.
    Test::in_dir(ran.path())
        .args(["compose", "write", "--region", "ca-central-1", "--dry-run"])
        .unchanged("docker-compose.yaml")
        .stdout("docker-compose.yaml: in sync\n")
        .run();
}

#[test]
fn with_two_files_the_first_in_compose_order_is_used_and_the_other_named() {
    let ran = Test::new()
        .write("compose.yaml", COMPOSE)
        .write("docker-compose.yml", COMPOSE)
        .args(["compose", "write", "--region", "ca-central-1", "--yes"])
        .unchanged("docker-compose.yml")
        .snapshot(
            "discovery_with_two_files_the_first_in_compose_order_is_used_and_the_other_named",
        );
    assert!(ran.read("compose.yaml").contains("xray-daemon:"));
    // --file is used as is: the other one, and no note.
    let ran = Test::in_dir(ran.path())
        .args(["compose", "write", "--region", "ca-central-1", "--dry-run"])
        .args(["--file", "docker-compose.yml"])
        .status(3)
        .unchanged("docker-compose.yml")
        .snapshot(
            "discovery_with_two_files_the_first_in_compose_order_is_used_and_the_other_named_2",
        );
    assert_lacks(&ran, "note:");
}

#[test]
fn without_a_compose_file_the_backend_is_backend_flask() {
    Test::new()
        .write("backend-flask/app.py", APP_PY)
        .args(["app", "write", "--dry-run"])
        .status(3)
        .unchanged("backend-flask/app.py")
        .absent("backend-flask/requirements.txt")
        .absent("backend-flask/lib/observability.py")
        .snapshot("discovery_without_a_compose_file_the_backend_is_backend_flask");

    // plan: the app's files are planned; the compose file is reported missing
    // with the names looked for.
    plan_files_only(Test::new().write("backend-flask/app.py", APP_PY))
        .status(2)
        .unchanged("backend-flask/app.py")
        .snapshot("discovery_without_a_compose_file_the_backend_is_backend_flask_2");
}

#[test]
fn without_a_compose_file_or_a_backend_the_four_names_are_named() {
    for args in [
        &["compose", "write", "--region", "ca-central-1", "--yes"][..],
        &["app", "write", "--yes"][..],
        &["verify", "--without", "rollbar"][..],
    ] {
        Test::new()
            .args(args.iter().copied())
            .status(2)
            .stdout("")
            .stderr("error: no compose file here: looked for compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml\nhelp: run it in the repository root, or pass --file PATH\n").run();
    }
    plan_files_only(Test::new())
        .status(2)
        .snapshot("discovery_without_a_compose_file_or_a_backend_the_four_names_are_named");
}

#[test]
fn a_service_named_otherwise_is_found_by_its_app_py() {
    compose_dry_run(
        Test::new()
            .write("compose.yaml", RENAMED)
            .write("backend-flask/app.py", APP_PY),
    )
    .status(3)
    .unchanged("compose.yaml")
    .snapshot("discovery_a_service_named_otherwise_is_found_by_its_app_py");

    Test::new()
        .write("compose.yaml", RENAMED)
        .write("backend-flask/app.py", APP_PY)
        .args(["app", "write", "--dry-run"])
        .status(3)
        .unchanged("backend-flask/app.py")
        .snapshot("discovery_a_service_named_otherwise_is_found_by_its_app_py_2");
}

#[test]
fn a_service_that_does_not_exist_is_named_with_the_services() {
    for args in [
        &["compose", "write", "--region", "ca-central-1", "--yes"][..],
        &["app", "write", "--yes"][..],
    ] {
        let ran = Test::new()
            .write("compose.yaml", RENAMED)
            .write("backend-flask/app.py", APP_PY)
            .args(args.iter().copied())
            .args(["--service", "nope"])
            .status(2)
            .stdout("")
            .unchanged("compose.yaml")
            .unchanged("backend-flask/app.py")
            .stderr("error: service \"nope\" does not exist in compose.yaml; its services are: frontend, backend, db\nhelp: pass --service NAME with one of the services above\n").run();
        assert_lacks(&ran, "no build: context");
    }
}

#[test]
fn several_services_with_an_app_py_are_listed() {
    let ran = compose_dry_run(
        Test::new()
            .write(
                "compose.yaml",
                "services:\n  api:\n    build: ./api\n  worker:\n    build:\n      context: ./worker\n",
            )
            .write("api/app.py", APP_PY)
            .write("worker/app.py", APP_PY),
    )
    .status(2)
    .stdout("")
    .unchanged("compose.yaml")
    .snapshot("discovery_several_services_with_an_app_py_are_listed");
    // --service picks one.
    compose_dry_run(Test::in_dir(ran.path()))
        .args(["--service", "worker"])
        .status(3)
        .snapshot("discovery_several_services_with_an_app_py_are_listed_2");
}
