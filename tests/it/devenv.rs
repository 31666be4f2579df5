//! The dev environment is detected (or given), shown in the plan, and
//! decides AWS_XRAY_URL and which of .gitpod.yml / devcontainer.json is written;
//! `status` flags the other environment's URLs; inside a codespace `gh` makes the
//! backend port public after agreement (a stand-in gh records its arguments).

use crate::common::repo;
use crate::harness::Test;

fn codespaces_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    // The build contexts docker-compose config checks.
    for context in ["backend-flask", "frontend-react-js"] {
        std::fs::create_dir_all(dir.path().join(context)).unwrap();
    }
    let fixtures = repo().join("tests/fixtures/devcontainer");
    std::fs::copy(
        fixtures.join("week2-codespaces.docker-compose.yml"),
        dir.path().join("docker-compose.yml"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join(".devcontainer")).unwrap();
    std::fs::copy(
        fixtures.join("week2-codespaces.devcontainer.json"),
        dir.path().join(".devcontainer/devcontainer.json"),
    )
    .unwrap();
    // Writable whatever the checkout's modes (a read-only file is refused).
    #[cfg(unix)]
    for f in ["docker-compose.yml", ".devcontainer/devcontainer.json"] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path().join(f), std::fs::Permissions::from_mode(0o644))
            .unwrap();
    }
    dir
}

/// `init` for the files only: no AWS or Honeycomb part.
const FILES_ONLY: [&str; 8] = [
    "init",
    "--yes",
    "--without",
    "xray",
    "--without",
    "logs",
    "--without",
    "honeycomb",
];

#[test]
#[ignore = "needs scripts/test.sh: docker-compose"]
fn a_codespaces_repo_gets_codespaces_urls_and_no_gitpod_file() {
    let dir = codespaces_repo();
    let ran = Test::in_dir(dir.path())
        .args(["compose", "write", "--yes"])
        .snapshot("devenv_a_codespaces_repo_gets_codespaces_urls_and_no_gitpod_file");
    let compose = ran.read("docker-compose.yml");
    assert!(
        compose.contains("AWS_XRAY_URL: \"*${CODESPACE_NAME}-4567.${GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN}*\""),
        "{compose}"
    );
    crate::common::assert_compose_config_ok(dir.path());

    // The Codespaces environment, its secrets for the chosen parts only.
    let dir = codespaces_repo();
    let ran = Test::in_dir(dir.path())
        .env_remove("CODESPACES")
        .args(FILES_ONLY)
        .absent(".gitpod.yml")
        .snapshot("devenv_codespaces_init");
    let dc = ran.read(".devcontainer/devcontainer.json");
    assert!(dc.contains("\"forwardPorts\": [3000, 4567]"), "{dc}");
    // A second run changes nothing.
    Test::in_dir(dir.path())
        .env_remove("CODESPACES")
        .args(FILES_ONLY)
        .arg("--dry-run")
        .unchanged("docker-compose.yml")
        .unchanged(".devcontainer/devcontainer.json")
        .absent(".gitpod.yml")
        .snapshot("devenv_a_codespaces_repo_gets_codespaces_urls_and_no_gitpod_file_2");
}

#[test]
fn both_environments_get_a_pattern_for_both_and_both_files() {
    let dir = codespaces_repo();
    Test::in_dir(dir.path())
        .write(".gitpod.yml", "tasks:\n  - init: echo hi\n")
        .env_remove("CODESPACES")
        .args(FILES_ONLY)
        .snapshot("devenv_both_environments_init");
    let ran = Test::in_dir(dir.path())
        .args(["compose", "write", "--yes"])
        .snapshot("devenv_both_environments_get_a_pattern_for_both_and_both_files_2");
    let compose = ran.read("docker-compose.yml");
    assert!(compose.contains("AWS_XRAY_URL: \"*4567*\""), "{compose}");
    let gitpod = ran.read(".gitpod.yml");
    assert!(gitpod.contains("4567"), "{gitpod}");
    // --dev-env overrides: Gitpod only.
    let dir = codespaces_repo();
    let ran = Test::in_dir(dir.path())
        .env_remove("CODESPACES")
        .args(FILES_ONLY)
        .args(["--dev-env", "gitpod"])
        .snapshot("devenv_both_environments_get_a_pattern_for_both_and_both_files");
    assert!(ran.path().join(".gitpod.yml").exists());
    Test::in_dir(dir.path())
        // Its check reads the token from this environment.
        .env_remove("ROLLBAR_ACCESS_TOKEN")
        .args(["status", "--without", "xray", "--without", "logs"])
        .args(["--without", "honeycomb", "--dev-env", "gitpod"])
        .status(1)
        .snapshot("devenv_status_codespaces_urls_in_a_gitpod_repo");
}

#[test]
fn inside_a_codespace_gh_makes_the_port_public_after_agreement() {
    let dir = codespaces_repo();
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("gh.log");
    let gh = bin.path().join("gh");
    std::fs::write(
        &gh,
        format!("#!/bin/sh\necho \"$@\" >> '{}'\n", log.display()),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let devcontainer_write = || {
        Test::in_dir(dir.path())
            .env("PATH", &path)
            .env("CODESPACES", "true")
            .env("CODESPACE_NAME", "fluffy-space-4242")
            .args(["devcontainer", "write"])
    };
    // Without agreement and without a terminal: nothing runs, exit 5.
    let refused = devcontainer_write().status(5).run_for_snapshot();
    assert!(!log.exists(), "gh ran without agreement");
    let dry = devcontainer_write()
        .arg("--dry-run")
        .status(3)
        .run_for_snapshot();
    assert!(!log.exists());
    crate::harness::snapshot_all("devenv_gh_without_agreement_and_dry_run", [&refused, &dry]);
    devcontainer_write()
        .arg("--yes")
        .snapshot("devenv_inside_a_codespace_gh_makes_the_port_public_after_agreement");
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "codespace ports visibility 4567:public -c fluffy-space-4242\n"
    );
}
