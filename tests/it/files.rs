//! `compose write` and `gitpod write` on a corpus of real-world file shapes: diffs
//! snapshotted with insta, every written compose file checked by
//! `docker-compose config -q`, every written .gitpod.yml by Gitpod's JSON schema,
//! second runs no-ops, refusals leave the bytes untouched.

use std::path::Path;
use std::process::Output;

use crate::common::{assert_compose_config_ok, isolated, repo, stderr, stdout, tool, workdir};
use serde_json::Value;

const KEY: &str = "hcaik_01j9zzzzzzzzzzzzzzzzzzzzzzq8t3m4k5n6p7r8s9t0v1w2x3y4z5a6b7";

fn fixture(path: &str) -> String {
    std::fs::read_to_string(repo().join("tests/fixtures").join(path)).unwrap()
}

fn compose(dir: &Path, args: &[&str]) -> Output {
    isolated("cruddur-obs")
        .current_dir(dir)
        .env("HONEYCOMB_API_KEY", KEY)
        .args(["compose", "write", "--region", "ca-central-1"])
        .args(args)
        .output()
        .unwrap()
}

/// Every line of `old` is still there, in order: the edit only added lines.
fn assert_only_adds_lines(old: &str, new: &str) {
    let diff = similar::TextDiff::from_lines(old, new);
    let removed: Vec<String> = diff
        .iter_all_changes()
        .filter(|c| c.tag() == similar::ChangeTag::Delete)
        .map(|c| c.to_string())
        .collect();
    assert!(
        removed.is_empty(),
        "lines were removed or changed: {removed:?}"
    );
}

fn parse(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap()
}

/// Runs the whole cycle on one compose text and returns the dry-run output.
fn cycle(name: &str, text: &str) -> String {
    let (dir, file) = workdir(text);
    let dry = compose(dir.path(), &["--dry-run"]);
    assert_eq!(dry.status.code(), Some(3), "{name}: {}", stderr(&dry));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        text,
        "{name}: dry run wrote"
    );

    let out = compose(dir.path(), &["--yes"]);
    let conflicts = stdout(&out).contains("conflict:");
    assert_eq!(
        out.status.code(),
        Some(if conflicts { 3 } else { 0 }),
        "{name}: {}",
        stderr(&out)
    );
    let written = std::fs::read_to_string(&file).unwrap();
    assert_ne!(written, text, "{name}");
    assert_compose_config_ok(dir.path());
    assert!(!written.contains(KEY), "{name}: a secret was written");

    let again = compose(dir.path(), &[]);
    // Kept conflicts are the headline (issue 13), not "in sync".
    let headline = if conflicts {
        "docker-compose.yml: conflicts kept"
    } else {
        "docker-compose.yml: in sync"
    };
    assert!(
        stdout(&again).starts_with(headline),
        "{name}: {}",
        stdout(&again)
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        written,
        "{name}: second run changed the file"
    );
    stdout(&dry)
}

#[test]
#[ignore = "needs scripts/test.sh: docker-compose"]
fn the_bootcamp_week1_file_gets_the_week2_entries() {
    let text = fixture("compose/bootcamp-week1.yml");
    insta::assert_snapshot!("bootcamp-week1", cycle("bootcamp-week1", &text));

    let (dir, file) = workdir(&text);
    compose(dir.path(), &["--yes"]);
    let ours = parse(&std::fs::read_to_string(file).unwrap());
    let reference = parse(&fixture("reference-week2-compose.yml"));
    let env = |doc: &Value, svc: &str| doc["services"][svc]["environment"].clone();
    assert_eq!(
        env(&ours, "backend-flask")
            .as_object()
            .unwrap()
            .keys()
            // Ours adds the log group lib/observability.py reads (issue 14).
            .filter(|k| *k != "CLOUDWATCH_LOG_GROUP")
            .collect::<Vec<_>>(),
        env(&reference, "backend-flask")
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        "the same entries, in the same order, plus CLOUDWATCH_LOG_GROUP"
    );
    assert_eq!(
        env(&ours, "backend-flask")["CLOUDWATCH_LOG_GROUP"],
        "cruddur"
    );
    for (key, value) in env(&reference, "backend-flask").as_object().unwrap() {
        assert_eq!(&env(&ours, "backend-flask")[key], value, "{key}");
    }
    let daemon = &ours["services"]["xray-daemon"];
    let theirs = &reference["services"]["xray-daemon"];
    assert_eq!(daemon["image"], theirs["image"]);
    assert_eq!(daemon["ports"], serde_json::json!(["2000:2000/udp"]));
    // The fix: flags as separate arguments, region where the group and rule are.
    assert_eq!(daemon["command"], serde_json::json!(["-o"]));
    assert_eq!(daemon["environment"]["AWS_REGION"], "ca-central-1");
    assert_eq!(ours["networks"], reference["networks"]);
}

#[test]
#[ignore = "needs scripts/test.sh: docker-compose"]
fn each_fixture_is_edited_minimally_validly_and_once() {
    for name in [
        "list-env",
        "four-space",
        "comments",
        "anchors-merge",
        "flow-env",
        "empty-env",
        "no-env",
        "conflict",
    ] {
        let text = fixture(&format!("compose/{name}.yml"));
        insta::assert_snapshot!(name, cycle(name, &text));
        if !["conflict", "flow-env"].contains(&name) {
            let (dir, file) = workdir(&text);
            compose(dir.path(), &["--yes"]);
            assert_only_adds_lines(&text, &std::fs::read_to_string(file).unwrap());
        }
    }
}

#[test]
#[ignore = "needs scripts/test.sh: docker-compose"]
fn crlf_and_a_missing_final_newline_survive() {
    let crlf = fixture("compose/comments.yml").replace('\n', "\r\n");
    let out = cycle("crlf", &crlf);
    assert!(out.contains("+      OTEL_SERVICE_NAME"));
    let (dir, file) = workdir(&crlf);
    compose(dir.path(), &["--yes"]);
    let written = std::fs::read_to_string(file).unwrap();
    assert_eq!(
        written.matches('\n').count(),
        written.matches("\r\n").count(),
        "every line ends in CRLF: {written:?}"
    );

    let bare = fixture("compose/list-env.yml").trim_end().to_string();
    cycle("no-final-newline", &bare);
    let (dir, file) = workdir(&bare);
    compose(dir.path(), &["--yes", "--without", "xray"]);
    let written = std::fs::read_to_string(file).unwrap();
    assert_only_adds_lines(&bare, &written);
    assert!(
        !written.ends_with('\n'),
        "still no final newline: {written:?}"
    );

    let bom = format!("\u{feff}{}", fixture("compose/no-env.yml"));
    let (dir, file) = workdir(&bom);
    compose(dir.path(), &["--yes"]);
    assert!(
        std::fs::read_to_string(file)
            .unwrap()
            .starts_with('\u{feff}'),
        "the BOM is kept"
    );
}

#[test]
fn force_replaces_conflicts_and_without_leaves_parts_out() {
    let (dir, file) = workdir(&fixture("compose/conflict.yml"));
    let out = compose(dir.path(), &["--dry-run", "--force"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("conflict: backend-flask.environment.OTEL_SERVICE_NAME: "),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("(would be replaced)"),
        "{}",
        stdout(&out)
    );
    let out = compose(dir.path(), &["--yes", "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("(replaced)"), "{}", stdout(&out));
    let doc = parse(&std::fs::read_to_string(&file).unwrap());
    assert_eq!(
        doc["services"]["backend-flask"]["environment"]["OTEL_SERVICE_NAME"],
        "backend-flask"
    );
    // The existing daemon is reported, never rewritten.
    assert_eq!(
        doc["services"]["xray-daemon"]["command"][0],
        "xray -o -b xray-daemon:2000"
    );
    assert!(stdout(&out).contains("note: xray-daemon: command item \"xray -o -b xray-daemon:2000\" reaches the daemon as one argument"));

    let (dir, file) = workdir(&fixture("compose/no-env.yml"));
    compose(
        dir.path(),
        &["--yes", "--without", "xray", "--without", "rollbar"],
    );
    let doc = parse(&std::fs::read_to_string(&file).unwrap());
    let env = doc["services"]["backend-flask"]["environment"]
        .as_object()
        .unwrap();
    assert!(env.contains_key("OTEL_SERVICE_NAME"));
    assert!(!env.contains_key("AWS_XRAY_URL") && !env.contains_key("ROLLBAR_ACCESS_TOKEN"));
    assert!(doc["services"].get("xray-daemon").is_none());
}

#[test]
fn unsafe_files_are_refused_and_left_byte_for_byte() {
    let cases = [
        ("tabs", "error: docker-compose.yml is not valid YAML: line 3 column 2: tabs disallowed"),
        ("duplicate-keys", "error: docker-compose.yml is not valid YAML: line 6 column 7: duplicate mapping key: A"),
        ("invalid", "error: docker-compose.yml is not valid YAML: line 3 column 12: unclosed bracket '['"),
        ("alias-env", "error: docker-compose.yml: the environment of \"backend-flask\" is an alias (*shared-env)"),
        ("shared-anchor-env", "error: docker-compose.yml: the environment of \"backend-flask\" is the anchor &env, which other parts of the file share"),
        ("merged-env", "error: docker-compose.yml: the environment of \"backend-flask\" comes from a `<<:` merge"),
        ("missing-service", "error: docker-compose.yml has no service \"backend-flask\"; it has: api, web"),
    ];
    for (name, expected) in cases {
        let text = fixture(&format!("refuse/{name}.yml"));
        let (dir, file) = workdir(&text);
        let out = compose(dir.path(), &["--yes"]);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(
            stderr(&out).starts_with(expected),
            "{name}: {}",
            stderr(&out)
        );
        assert!(stderr(&out).contains("\nhelp: "), "{name}");
        assert_eq!(
            std::fs::read(&file).unwrap(),
            text.as_bytes(),
            "{name}: the file changed"
        );
        let entries = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(entries, 3, "{name}: no temp file left");
    }
    let (dir, _) = workdir("services: {}\n");
    std::fs::write(dir.path().join("docker-compose.yml"), [0xff, 0xfe, 0x00]).unwrap();
    let out = compose(dir.path(), &["--yes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("error: docker-compose.yml is not UTF-8 text"));
}

#[test]
fn writing_needs_agreement_and_a_region() {
    let text = fixture("compose/no-env.yml");
    let (dir, file) = workdir(&text);
    let out = compose(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(5));
    assert!(
        stderr(&out).contains("+  xray-daemon:"),
        "the diff is shown first"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);

    let out = isolated("cruddur-obs")
        .current_dir(dir.path())
        .env_remove("AWS_REGION")
        .args(["compose", "write", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("error: no AWS region is configured"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);

    let out = isolated("cruddur-obs")
        .current_dir(dir.path())
        .args(["compose", "write", "--file", "nope.yml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("error: no compose file at nope.yml"));
}

fn gitpod(dir: &Path, args: &[&str]) -> Output {
    gitpod_with(dir, &[], args)
}

/// `gitpod write` with more (or other) environment variables.
fn gitpod_with(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    isolated("cruddur-obs")
        .current_dir(dir)
        .env("HONEYCOMB_API_KEY", KEY)
        .env("AWS_DEFAULT_REGION", "ca-central-1")
        .envs(env.iter().copied())
        .args(["gitpod", "write"])
        .args(args)
        .output()
        .unwrap()
}

/// Gitpod's JSON schema (tests/fixtures/gitpod.schema.json) must accept the file.
fn assert_gitpod_schema_ok(file: &Path) {
    let script = "import json,sys,yaml,jsonschema\n\
                  schema=json.load(open(sys.argv[1]))\n\
                  doc=yaml.safe_load(open(sys.argv[2]))\n\
                  jsonschema.validate(doc, schema)\n";
    let out = std::process::Command::new(tool("CRUDDUR_OBS_PYTHON", "python3"))
        .args(["-c", script])
        .arg(repo().join("tests/fixtures/gitpod.schema.json"))
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "schema validation failed: {}",
        stderr(&out)
    );
}

#[test]
#[ignore = "needs scripts/test.sh: python3"]
fn gitpod_ports_are_added_valid_and_secret_free() {
    for name in [None, Some("bootcamp"), Some("udp-and-private")] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".gitpod.yml");
        let original = name.map(|n| fixture(&format!("gitpod/{n}.yml")));
        if let Some(text) = &original {
            std::fs::write(&file, text).unwrap();
        }
        let label = name.unwrap_or("new");
        let out = gitpod(dir.path(), &["--dry-run"]);
        assert_eq!(out.status.code(), Some(3), "{label}: {}", stderr(&out));
        insta::assert_snapshot!(format!("gitpod-{label}"), stdout(&out));

        let out = gitpod(dir.path(), &["--yes"]);
        let written = std::fs::read_to_string(&file).unwrap();
        assert!(!written.contains(KEY), "{label}: a secret was written");
        assert_gitpod_schema_ok(&file);
        if let Some(text) = &original {
            assert_only_adds_lines(text, &written);
        }
        assert!(
            stdout(&out).contains("next: gp env HONEYCOMB_API_KEY=hcaik_…a6b7"),
            "{}",
            stdout(&out)
        );
        assert!(stdout(&out).contains("next: gp env AWS_DEFAULT_REGION=ca-central-1"));
        assert!(!stdout(&out).contains(KEY) && !stderr(&out).contains(KEY));

        let again = gitpod(dir.path(), &[]);
        let headline = if stdout(&again).contains("conflict:") {
            ".gitpod.yml: conflicts kept"
        } else {
            ".gitpod.yml: in sync"
        };
        assert!(
            stdout(&again).starts_with(headline),
            "{label}: {}",
            stdout(&again)
        );
        assert_eq!(std::fs::read_to_string(&file).unwrap(), written);
    }
}

#[test]
#[ignore = "needs scripts/test.sh: python3"]
fn gitpod_force_makes_a_private_app_port_public() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(".gitpod.yml");
    let original = fixture("gitpod/udp-and-private.yml");
    std::fs::write(&file, &original).unwrap();

    // Without --force the private port is kept, and the run says so and how.
    let out = gitpod(dir.path(), &["--yes"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stdout(&out).contains(
        "conflict: ports[3000].visibility: private (default) -> public (the frontend-react-js must be reachable from the browser) (kept; --force replaces it)"
    ));
    let kept = std::fs::read_to_string(&file).unwrap();

    let out = gitpod(dir.path(), &["--force", "--dry-run"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    insta::assert_snapshot!("gitpod-force", stdout(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), kept, "dry run");

    let out = gitpod(dir.path(), &["--force", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_gitpod_schema_ok(&file);
    let written = std::fs::read_to_string(&file).unwrap();
    assert_only_adds_lines(&kept, &written);
    assert_eq!(
        parse(&written)["ports"][0],
        serde_json::json!({"port": 3000, "onOpen": "open-browser", "visibility": "public"})
    );
    let again = gitpod(dir.path(), &["--force"]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    assert!(stdout(&again).starts_with(".gitpod.yml: in sync"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), written);
}

/// A stand-in for Gitpod's `gp` CLI (which needs a workspace): `gp env` lists the
/// saved `NAME=VALUE` lines of a store file, `gp env NAME=VALUE` saves one and
/// prints it, as the real one does; every call is logged by variable name.
/// `fail` makes saving fail with an error that repeats the value.
fn fake_gp(dir: &Path, fail: bool) -> std::path::PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = format!(
        r#"#!/bin/sh
store="{store}"
touch "$store"
[ "$1" = env ] || exit 2
shift
if [ $# -eq 0 ]; then cat "$store"; exit 0; fi
for kv in "$@"; do
  name="${{kv%%=*}}"
  echo "set $name" >> "$store.calls"
  if [ {fail} = 1 ]; then echo "failed to set $kv: 403 forbidden" >&2; exit 1; fi
  grep -v "^$name=" "$store" > "$store.new"; echo "$kv" >> "$store.new"; mv "$store.new" "$store"
  echo "$kv"
done
"#,
        store = dir.join("gp-store").display(),
        fail = u8::from(fail),
    );
    let gp = bin.join("gp");
    std::fs::write(&gp, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&gp, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

/// PATH with `bin` first.
fn path_with(bin: &Path) -> String {
    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap())
}

fn gitpod_in_workspace(dir: &Path, bin: &Path, args: &[&str]) -> Output {
    let path = path_with(bin);
    let env = [
        ("PATH", path.as_str()),
        ("GITPOD_WORKSPACE_ID", "cruddur-ws-1"),
    ];
    gitpod_with(dir, &env, args)
}

#[test]
fn gp_env_saves_what_is_not_saved_after_asking_and_never_shows_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_gp(dir.path(), false);
    let calls = || std::fs::read_to_string(dir.path().join("gp-store.calls")).unwrap_or_default();

    // No terminal, no --yes: nothing is saved (nor written).
    let out = gitpod_in_workspace(dir.path(), &bin, &[]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert_eq!(calls(), "");
    // --dry-run: says what it would save.
    let out = gitpod_in_workspace(dir.path(), &bin, &["--dry-run"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains(
            "would save HONEYCOMB_API_KEY, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION with gp env"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(calls(), "");

    let out = gitpod_in_workspace(dir.path(), &bin, &["--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("saved HONEYCOMB_API_KEY with gp env"));
    assert!(!stdout(&out).contains(KEY) && !stderr(&out).contains(KEY));
    assert!(!stderr(&out).contains(crate::common::SECRET_KEY));
    let store = std::fs::read_to_string(dir.path().join("gp-store")).unwrap();
    assert!(
        store.contains(&format!("HONEYCOMB_API_KEY={KEY}\n")),
        "{store}"
    );
    assert!(
        store.contains("AWS_DEFAULT_REGION=ca-central-1\n"),
        "{store}"
    );
    assert_eq!(
        calls(),
        "set HONEYCOMB_API_KEY\nset AWS_ACCESS_KEY_ID\nset AWS_SECRET_ACCESS_KEY\nset AWS_DEFAULT_REGION\n"
    );

    // Saved with the same values: nothing to ask, nothing called, even without --yes.
    let out = gitpod_in_workspace(dir.path(), &bin, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(calls().lines().count(), 4);

    // A changed value is saved again, and only that one.
    let path = path_with(&bin);
    let env = [
        ("PATH", path.as_str()),
        ("GITPOD_WORKSPACE_ID", "cruddur-ws-1"),
        ("AWS_DEFAULT_REGION", "eu-west-1"),
    ];
    let out = gitpod_with(dir.path(), &env, &["--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(calls().lines().last(), Some("set AWS_DEFAULT_REGION"));
    assert_eq!(calls().lines().count(), 5);
}

#[test]
fn a_failing_gp_env_is_reported_masked_and_outside_a_workspace_gp_is_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_gp(dir.path(), true);
    let out = gitpod_in_workspace(dir.path(), &bin, &["--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("warning: gp env HONEYCOMB_API_KEY=… failed: failed to set HONEYCOMB_API_KEY=hcaik_…a6b7: 403 forbidden\nhelp: run `gp env HONEYCOMB_API_KEY=<value>` yourself"),
        "{err}"
    );
    assert!(!err.contains(KEY) && !stdout(&out).contains(KEY));
    assert!(
        dir.path().join(".gitpod.yml").exists(),
        "the file part still done"
    );

    // Outside Gitpod a program called gp is someone else's: never run.
    let other = tempfile::tempdir().unwrap();
    let bin = fake_gp(other.path(), false);
    let out = gitpod_with(other.path(), &[("PATH", &path_with(&bin))], &["--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!other.path().join("gp-store.calls").exists());
}
