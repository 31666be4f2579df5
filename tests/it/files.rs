//! `compose write` and `gitpod write` on a corpus of real-world file shapes: diffs
//! snapshotted with insta, every written compose file checked by
//! `docker-compose config -q`, every written .gitpod.yml by Gitpod's JSON schema,
//! second runs no-ops, refusals leave the bytes untouched.

use std::path::Path;

use crate::common::{assert_compose_config_ok, repo, stderr, tool, workdir};
use crate::harness::{snapshot_all, Ran, Test};
use serde_json::Value;

const KEY: &str = "hcaik_01j9zzzzzzzzzzzzzzzzzzzzzzq8t3m4k5n6p7r8s9t0v1w2x3y4z5a6b7";

fn fixture(path: &str) -> String {
    std::fs::read_to_string(repo().join("tests/fixtures").join(path)).unwrap()
}

/// `compose write --region ca-central-1` in `dir`, with a Honeycomb key in the
/// environment (which must never be written).
fn compose_write(dir: &Path) -> Test {
    Test::in_dir(dir).env("HONEYCOMB_API_KEY", KEY).args([
        "compose",
        "write",
        "--region",
        "ca-central-1",
    ])
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

/// What [`cycle`] ran: the dry run and the second run.
struct Cycle {
    /// Where they ran (kept until their transcripts are taken).
    _dir: tempfile::TempDir,
    dry: Ran,
    again: Ran,
}

impl Cycle {
    /// The dry run and the second run as one snapshot.
    fn snapshot(&self, name: &str) {
        snapshot_all(name, [&self.dry, &self.again]);
    }
}

/// Runs the whole cycle on one compose text: a dry run that writes nothing, a
/// write that `docker-compose config` accepts (exit 3 if it kept conflicts), and
/// a second run that changes nothing.
fn cycle(name: &str, text: &str) -> Cycle {
    let (dir, file) = workdir(text);
    // (The files' own ports, like localhost:3000, are shown.)
    let dry = compose_write(dir.path())
        .arg("--dry-run")
        .status(3)
        .unchanged("docker-compose.yml")
        .stdout_any()
        .run()
        .keep_ports();

    let out = compose_write(dir.path())
        .arg("--yes")
        .status_in(&[0, 3])
        .stdout_any()
        .stderr_any()
        .run();
    let conflicts = out.stdout.contains("conflict:");
    assert_eq!(
        out.code(),
        if conflicts { 3 } else { 0 },
        "{name}\n{}",
        out.transcript()
    );
    let written = std::fs::read_to_string(&file).unwrap();
    assert_ne!(written, text, "{name}");
    assert_compose_config_ok(dir.path());
    assert!(!written.contains(KEY), "{name}: a secret was written");

    // Kept conflicts are the headline, not "in sync"; the snapshot shows which.
    let again = compose_write(dir.path())
        .status(if conflicts { 3 } else { 0 })
        .unchanged("docker-compose.yml")
        .stdout_any()
        .run()
        .keep_ports();
    Cycle {
        _dir: dir,
        dry,
        again,
    }
}

#[test]
#[ignore = "needs scripts/test.sh: docker-compose"]
fn the_bootcamp_week1_file_gets_the_week2_entries() {
    let text = fixture("compose/bootcamp-week1.yml");
    cycle("bootcamp-week1", &text).snapshot("files_bootcamp_week1");

    let (dir, _file) = workdir(&text);
    let ours = parse(
        &compose_write(dir.path())
            .arg("--yes")
            .snapshot("files_the_bootcamp_week1_file_gets_the_week2_entries")
            .read("docker-compose.yml"),
    );
    let reference = parse(&fixture("compose/week2-by-hand.yml"));
    let env = |doc: &Value, svc: &str| doc["services"][svc]["environment"].clone();
    assert_eq!(
        env(&ours, "backend-flask")
            .as_object()
            .unwrap()
            .keys()
            // Ours adds the log group lib/observability.py reads.
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
        cycle(name, &text).snapshot(&format!("files_{}", name.replace('-', "_")));
        if !["conflict", "flow-env"].contains(&name) {
            let (dir, _file) = workdir(&text);
            let written = compose_write(dir.path())
                .arg("--yes")
                .stdout_any()
                .stderr_any()
                .run()
                .read("docker-compose.yml");
            assert_only_adds_lines(&text, &written);
        }
    }
}

#[test]
#[ignore = "needs scripts/test.sh: docker-compose"]
fn crlf_and_a_missing_final_newline_survive() {
    // (No snapshots here: they would not show the line endings.)
    let crlf = fixture("compose/comments.yml").replace('\n', "\r\n");
    let dry = cycle("crlf", &crlf).dry;
    assert!(
        dry.stdout
            .contains("\n+      OTEL_SERVICE_NAME: \"backend-flask\"\r\n"),
        "{}",
        dry.transcript()
    );
    let (dir, _file) = workdir(&crlf);
    let written = compose_write(dir.path())
        .arg("--yes")
        .snapshot("files_crlf_and_a_missing_final_newline_survive")
        .read("docker-compose.yml");
    assert_eq!(
        written.matches('\n').count(),
        written.matches("\r\n").count(),
        "every line ends in CRLF: {written:?}"
    );

    let bare = fixture("compose/list-env.yml").trim_end().to_string();
    cycle("no-final-newline", &bare);
    let (dir, _file) = workdir(&bare);
    let written = compose_write(dir.path())
        .args(["--yes", "--without", "xray"])
        .snapshot("files_crlf_and_a_missing_final_newline_survive_2")
        .read("docker-compose.yml");
    assert_only_adds_lines(&bare, &written);
    assert!(
        !written.ends_with('\n'),
        "still no final newline: {written:?}"
    );

    let bom = format!("\u{feff}{}", fixture("compose/no-env.yml"));
    let (dir, _file) = workdir(&bom);
    let written = compose_write(dir.path())
        .arg("--yes")
        .snapshot("files_crlf_and_a_missing_final_newline_survive_3")
        .read("docker-compose.yml");
    assert!(written.starts_with('\u{feff}'), "the BOM is kept");
}

#[test]
fn force_replaces_conflicts_and_without_leaves_parts_out() {
    let (dir, _file) = workdir(&fixture("compose/conflict.yml"));
    let dry = compose_write(dir.path())
        .args(["--dry-run", "--force"])
        .status(3)
        .unchanged("docker-compose.yml")
        .run_for_snapshot();
    let out = compose_write(dir.path())
        .args(["--yes", "--force"])
        .run_for_snapshot();
    // The conflict would be replaced, then is; the existing daemon's command is
    // reported, never rewritten.
    snapshot_all("files_force_replaces_conflicts", [&dry, &out]);
    let doc = parse(&out.read("docker-compose.yml"));
    assert_eq!(
        doc["services"]["backend-flask"]["environment"]["OTEL_SERVICE_NAME"],
        "backend-flask"
    );
    assert_eq!(
        doc["services"]["xray-daemon"]["command"][0],
        "xray -o -b xray-daemon:2000"
    );

    let (dir, _file) = workdir(&fixture("compose/no-env.yml"));
    let ran = compose_write(dir.path())
        .args(["--yes", "--without", "xray", "--without", "rollbar"])
        .snapshot("files_force_replaces_conflicts_and_without_leaves_parts_out");
    let doc = parse(&ran.read("docker-compose.yml"));
    let env = doc["services"]["backend-flask"]["environment"]
        .as_object()
        .unwrap();
    assert!(env.contains_key("OTEL_SERVICE_NAME"));
    assert!(!env.contains_key("AWS_XRAY_URL") && !env.contains_key("ROLLBAR_ACCESS_TOKEN"));
    assert!(doc["services"].get("xray-daemon").is_none());
}

#[test]
fn unsafe_files_are_refused_and_left_byte_for_byte() {
    let mut runs = Vec::new();
    for name in [
        "tabs",
        "duplicate-keys",
        "invalid",
        "alias-env",
        "shared-anchor-env",
        "merged-env",
        "missing-service",
    ] {
        let (dir, _file) = workdir(&fixture(&format!("refuse/{name}.yml")));
        runs.push(
            compose_write(dir.path())
                .arg("--yes")
                .status(2)
                .stdout("")
                .unchanged("docker-compose.yml")
                .run_for_snapshot(),
        );
        let entries = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(entries, 3, "{name}: no temp file left");
    }
    let (dir, _) = workdir("services: {}\n");
    runs.push(
        compose_write(dir.path())
            .write("docker-compose.yml", [0xff, 0xfe, 0x00])
            .arg("--yes")
            .status(2)
            .stdout("")
            .unchanged("docker-compose.yml")
            .run_for_snapshot(),
    );
    // Each names what is wrong (and where) and helps.
    snapshot_all("files_unsafe_files_refused", &runs);
}

#[test]
fn writing_needs_agreement_and_a_region() {
    let (dir, _file) = workdir(&fixture("compose/no-env.yml"));
    // The diff is shown first.
    let asked = compose_write(dir.path())
        .status(5)
        .stdout("")
        .unchanged("docker-compose.yml")
        .run_for_snapshot();
    let no_region = Test::in_dir(dir.path())
        .env_remove("AWS_REGION")
        .args(["compose", "write", "--yes"])
        .status(2)
        .stdout("")
        .unchanged("docker-compose.yml")
        .run_for_snapshot();
    let no_file = Test::in_dir(dir.path())
        .args(["compose", "write", "--file", "nope.yml"])
        .status(2)
        .stdout("")
        .absent("nope.yml")
        .run_for_snapshot();
    snapshot_all(
        "files_writing_needs_agreement_and_a_region",
        [&asked, &no_region, &no_file],
    );
}

/// `gitpod write` in `dir`, with a Honeycomb key and a region in the
/// environment (the next steps name them; the key is never shown in full).
fn gitpod_write(dir: &Path) -> Test {
    Test::in_dir(dir)
        .env("HONEYCOMB_API_KEY", KEY)
        .env("AWS_DEFAULT_REGION", "ca-central-1")
        // The next steps name it when it is not set here.
        .env_remove("ROLLBAR_ACCESS_TOKEN")
        .args(["gitpod", "write"])
}

/// Neither the key nor the AWS secret in anything the run printed.
fn assert_no_secret(ran: &Ran) {
    for secret in [KEY, crate::common::SECRET_KEY] {
        assert!(
            !ran.all_output().contains(secret),
            "a secret was shown\n{}",
            ran.transcript()
        );
    }
}

/// Gitpod's JSON schema (`../shared/schemas/gitpod.schema.json`) must accept the
/// file; skipped, with a line saying so, when `../shared` is not there.
fn assert_gitpod_schema_ok(file: &Path) {
    let Some(schema) = crate::common::shared("schemas/gitpod.schema.json") else {
        return;
    };
    let script = "import json,sys,yaml,jsonschema\n\
                  schema=json.load(open(sys.argv[1]))\n\
                  doc=yaml.safe_load(open(sys.argv[2]))\n\
                  jsonschema.validate(doc, schema)\n";
    let out = std::process::Command::new(tool("CRUDDUR_OBS_PYTHON", "python3"))
        .args(["-c", script])
        .arg(schema)
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
        let dry = gitpod_write(dir.path()).arg("--dry-run").status(3);
        let dry = match &original {
            Some(_) => dry.unchanged(".gitpod.yml"),
            None => dry.absent(".gitpod.yml"),
        }
        .run_for_snapshot();

        // The private port 3000 of udp-and-private is a kept conflict (exit 3).
        let kept = label == "udp-and-private";
        let out = gitpod_write(dir.path())
            .arg("--yes")
            .status(if kept { 3 } else { 0 })
            .run_for_snapshot();
        let written = out.read(".gitpod.yml");
        assert!(!written.contains(KEY), "{label}: a secret was written");
        assert_gitpod_schema_ok(&file);
        if let Some(text) = &original {
            assert_only_adds_lines(text, &written);
        }
        assert_no_secret(&out);

        // Then in sync, or its conflicts kept: nothing changes.
        let again = gitpod_write(dir.path())
            .status(if kept { 3 } else { 0 })
            .unchanged(".gitpod.yml")
            .run_for_snapshot();
        snapshot_all(
            &format!("files_gitpod_{}", label.replace('-', "_")),
            [&dry, &out, &again],
        );
    }
}

#[test]
#[ignore = "needs scripts/test.sh: python3"]
fn gitpod_force_makes_a_private_app_port_public() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(".gitpod.yml");
    std::fs::write(&file, fixture("gitpod/udp-and-private.yml")).unwrap();

    // Without --force the private port is kept, and the run says so and how.
    let kept = gitpod_write(dir.path())
        .arg("--yes")
        .status(3)
        .run_for_snapshot();
    let kept_text = kept.read(".gitpod.yml");

    let dry = gitpod_write(dir.path())
        .args(["--force", "--dry-run"])
        .status(3)
        .unchanged(".gitpod.yml")
        .run_for_snapshot();

    let out = gitpod_write(dir.path())
        .args(["--force", "--yes"])
        .run_for_snapshot();
    assert_gitpod_schema_ok(&file);
    let written = out.read(".gitpod.yml");
    assert_only_adds_lines(&kept_text, &written);
    assert_eq!(
        parse(&written)["ports"][0],
        serde_json::json!({"port": 3000, "onOpen": "open-browser", "visibility": "public"})
    );
    let again = gitpod_write(dir.path())
        .arg("--force")
        .unchanged(".gitpod.yml")
        .run_for_snapshot();
    snapshot_all("files_gitpod_force", [&kept, &dry, &out, &again]);
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

/// [`gitpod_write`] inside a Gitpod workspace, with `bin` (a [`fake_gp`]) first on PATH.
fn gitpod_in_workspace(dir: &Path, bin: &Path) -> Test {
    gitpod_write(dir)
        .env("PATH", path_with(bin))
        .env("GITPOD_WORKSPACE_ID", "cruddur-ws-1")
}

#[test]
fn gp_env_saves_what_is_not_saved_after_asking_and_never_shows_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_gp(dir.path(), false);
    let calls = || std::fs::read_to_string(dir.path().join("gp-store.calls")).unwrap_or_default();

    // No terminal, no --yes: nothing is saved (nor written).
    let asked = gitpod_in_workspace(dir.path(), &bin)
        .status(5)
        .absent(".gitpod.yml")
        .run_for_snapshot();
    assert_eq!(calls(), "");
    // --dry-run: says what it would save.
    let dry = gitpod_in_workspace(dir.path(), &bin)
        .arg("--dry-run")
        .status(3)
        .absent(".gitpod.yml")
        .run_for_snapshot();
    assert_eq!(calls(), "");

    let saved = gitpod_in_workspace(dir.path(), &bin)
        .arg("--yes")
        .run_for_snapshot();
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
    let in_sync = gitpod_in_workspace(dir.path(), &bin).run_for_snapshot();
    assert_eq!(calls().lines().count(), 4);

    // A changed value is saved again, and only that one.
    let changed = gitpod_in_workspace(dir.path(), &bin)
        .env("AWS_DEFAULT_REGION", "eu-west-1")
        .arg("--yes")
        .run_for_snapshot();
    assert_eq!(calls().lines().last(), Some("set AWS_DEFAULT_REGION"));
    assert_eq!(calls().lines().count(), 5);

    let runs = [&asked, &dry, &saved, &in_sync, &changed];
    for ran in runs {
        assert_no_secret(ran);
    }
    snapshot_all("files_gp_env_saves_after_asking", runs);
}

#[test]
fn a_failing_gp_env_is_reported_masked_and_outside_a_workspace_gp_is_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_gp(dir.path(), true);
    // The file part is still done.
    let ran = gitpod_in_workspace(dir.path(), &bin)
        .arg("--yes")
        .status(1)
        .snapshot("files_gp_env_fails_masked");
    assert_no_secret(&ran);
    assert!(ran.path().join(".gitpod.yml").exists());

    // Outside Gitpod a program called gp is someone else's: never run.
    let other = tempfile::tempdir().unwrap();
    let bin = fake_gp(other.path(), false);
    gitpod_write(other.path())
        .env("PATH", path_with(&bin))
        .arg("--yes")
        .snapshot(
            "files_a_failing_gp_env_is_reported_masked_and_outside_a_workspace_gp_is_not_run",
        );
    assert!(!other.path().join("gp-store.calls").exists());
}
