//! Issue 16: the dev environment is detected (or given), shown in the plan, and
//! decides AWS_XRAY_URL and which of .gitpod.yml / devcontainer.json is written;
//! `status` flags the other environment's URLs; inside a codespace `gh` makes the
//! backend port public after agreement (a stand-in gh records its arguments).

use crate::common::{isolated, repo, stderr, stdout};

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

fn init_files_only(dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    isolated("cruddur-obs")
        .current_dir(dir)
        .env_remove("CODESPACES")
        .args([
            "init",
            "--yes",
            "--without",
            "xray",
            "--without",
            "logs",
            "--without",
            "honeycomb",
        ])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
#[ignore = "needs scripts/test.sh: docker-compose"]
fn a_codespaces_repo_gets_codespaces_urls_and_no_gitpod_file() {
    let dir = codespaces_repo();
    let out = isolated("cruddur-obs")
        .current_dir(dir.path())
        .args(["compose", "write", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let compose = std::fs::read_to_string(dir.path().join("docker-compose.yml")).unwrap();
    assert!(
        compose.contains("AWS_XRAY_URL: \"*${CODESPACE_NAME}-4567.${GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN}*\""),
        "{compose}"
    );
    crate::common::assert_compose_config_ok(dir.path());

    let dir = codespaces_repo();
    let out = init_files_only(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("dev environment: GitHub Codespaces (devcontainer.json)"),
        "{text}"
    );
    assert!(!dir.path().join(".gitpod.yml").exists());
    let dc = std::fs::read_to_string(dir.path().join(".devcontainer/devcontainer.json")).unwrap();
    assert!(dc.contains("\"forwardPorts\": [3000, 4567]"), "{dc}");
    assert!(
        text.contains("gh secret set ROLLBAR_ACCESS_TOKEN --app codespaces"),
        "{text}"
    );
    assert!(
        !text.contains("gh secret set HONEYCOMB_API_KEY"),
        "only the chosen parts: {text}"
    );
    // A second run changes nothing.
    let again = init_files_only(dir.path(), &["--dry-run"]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
}

#[test]
fn both_environments_get_a_pattern_for_both_and_both_files() {
    let dir = codespaces_repo();
    std::fs::write(
        dir.path().join(".gitpod.yml"),
        "tasks:\n  - init: echo hi\n",
    )
    .unwrap();
    let out = init_files_only(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("dev environment: Gitpod and GitHub Codespaces"),
        "{}",
        stdout(&out)
    );
    let out = isolated("cruddur-obs")
        .current_dir(dir.path())
        .args(["compose", "write", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let compose = std::fs::read_to_string(dir.path().join("docker-compose.yml")).unwrap();
    assert!(compose.contains("AWS_XRAY_URL: \"*4567*\""), "{compose}");
    let gitpod = std::fs::read_to_string(dir.path().join(".gitpod.yml")).unwrap();
    assert!(gitpod.contains("4567"), "{gitpod}");
    // --dev-env overrides: Gitpod only.
    let dir = codespaces_repo();
    let out = init_files_only(dir.path(), &["--dev-env", "gitpod"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(dir.path().join(".gitpod.yml").exists());
    let status = isolated("cruddur-obs")
        .current_dir(dir.path())
        .args([
            "status",
            "--without",
            "xray",
            "--without",
            "logs",
            "--without",
            "honeycomb",
            "--dev-env",
            "gitpod",
        ])
        .output()
        .unwrap();
    let text = stdout(&status);
    assert!(
        text.contains(
            "✗ dev environment URLs: Codespaces URLs (CODESPACE_NAME) in a Gitpod repository"
        ),
        "{text}"
    );
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
    let run = |args: &[&str]| {
        isolated("cruddur-obs")
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("CODESPACES", "true")
            .env("CODESPACE_NAME", "fluffy-space-4242")
            .args(["devcontainer", "write"])
            .args(args)
            .output()
            .unwrap()
    };
    // Without agreement and without a terminal: nothing runs, exit 5.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(!log.exists(), "gh ran without agreement");
    let out = run(&["--dry-run"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out)
        .contains("would run: gh codespace ports visibility 4567:public -c fluffy-space-4242"));
    assert!(!log.exists());
    let out = run(&["--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "codespace ports visibility 4567:public -c fluffy-space-4242\n"
    );
}
