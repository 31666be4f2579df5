//! The real students' files in `../shared/corpus/` (compose, Gitpod and dev
//! container files as committed, secrets replaced): every one goes through the
//! command that edits it. Whatever the file, the run ends with a written file
//! that keeps everything the original said and that a second run leaves alone,
//! or with the file refused and left byte for byte as it was — never a crash,
//! never a half-written file. The corpus is not part of this repository: these
//! tests say they are skipped when `../shared` is not beside the checkout.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{isolated_std, shared, stderr, tool};

/// The files of one corpus folder with this extension, sorted.
fn corpus(folder: &str, ext: &str) -> Option<Vec<PathBuf>> {
    let dir = shared(folder)?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{folder} holds no .{ext} file");
    Some(files)
}

/// What one run did to one file.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
enum Outcome {
    /// Written (exit 0), or written with conflicts kept (exit 3).
    Written,
    /// Nothing needed.
    InSync,
    /// Refused (exit 2): bad input, the file untouched.
    Refused,
}

/// Runs `args` in `dir` on `rel` (a copy of `original`, made writable) and
/// checks the general promises: exit 0, 2 or 3 and no panic; refused means
/// untouched; written means a second run changes nothing.
fn run_once(dir: &Path, rel: &str, original: &[u8], args: &[&str]) -> Outcome {
    let file = dir.join(rel);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, original).unwrap();
    let run = |extra: &[&str]| {
        isolated_std("cruddur-obs")
            .current_dir(dir)
            .args(args)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&["--yes"]);
    let code = out.status.code();
    let after = std::fs::read(&file).unwrap();
    let err = stderr(&out);
    assert!(
        !err.contains("panicked"),
        "{rel}: cruddur-obs panicked:\n{err}"
    );
    match code {
        Some(2) => {
            assert_eq!(after, original, "{rel}: refused, yet changed:\n{err}");
            assert!(
                err.starts_with("error: "),
                "{rel}: no one-line reason:\n{err}"
            );
            Outcome::Refused
        }
        Some(0) | Some(3) => {
            let again = run(&["--yes"]);
            assert_eq!(
                std::fs::read(&file).unwrap(),
                after,
                "{rel}: a second run changed the file again:\n{}",
                stderr(&again)
            );
            if after == original {
                Outcome::InSync
            } else {
                Outcome::Written
            }
        }
        other => panic!("{rel}: exit {other:?}:\n{err}"),
    }
}

fn yaml(text: &[u8]) -> Value {
    serde_saphyr::from_slice(text).unwrap()
}

/// `written` keeps every value of `original`, except that `grown` mappings or
/// lists may have more entries (and `conflicts kept` values stay as they were).
fn keeps(original: &Value, written: &Value, path: &str, grown: &dyn Fn(&str) -> bool) {
    match (original, written) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let sub = format!("{path}/{k}");
                match b.get(k) {
                    Some(w) => keeps(v, w, &sub, grown),
                    None => panic!("{sub} is gone"),
                }
            }
            if !grown(path) {
                let extra: Vec<_> = b.keys().filter(|k| !a.contains_key(*k)).collect();
                assert!(extra.is_empty(), "{path} gained {extra:?}");
            }
        }
        (Value::Array(a), Value::Array(b)) if grown(path) => {
            for item in a {
                assert!(b.contains(item), "{path}: {item} is gone");
            }
        }
        _ => assert_eq!(original, written, "{path} changed"),
    }
}

/// A tally printed at the end, so the log says what the corpus exercised.
fn tally(what: &str, outcomes: &[Outcome]) {
    let count = |o: Outcome| outcomes.iter().filter(|&&x| x == o).count();
    eprintln!(
        "{what}: {} files: {} written, {} in sync, {} refused (untouched)",
        outcomes.len(),
        count(Outcome::Written),
        count(Outcome::InSync),
        count(Outcome::Refused)
    );
}

#[test]
#[ignore = "needs scripts/test.sh: docker-compose"]
fn every_real_compose_file_is_written_whole_or_left_untouched() {
    let Some(files) = corpus("corpus/real/compose", "yml") else {
        return;
    };
    let mut outcomes = Vec::new();
    // The written files that docker-compose accepted before: it must accept them after.
    let mut to_check = Vec::new();
    for (n, path) in files.iter().enumerate() {
        let original = std::fs::read(path).unwrap();
        let dir = tempfile::tempdir().unwrap();
        for sub in ["backend-flask", "frontend-react-js"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let outcome = run_once(
            dir.path(),
            "docker-compose.yml",
            &original,
            &["compose", "write", "--region", "ca-central-1"],
        );
        if outcome == Outcome::Written {
            let written = std::fs::read(dir.path().join("docker-compose.yml")).unwrap();
            // Services gain environment entries and new services; nothing of the
            // original is lost or changed.
            let grown = |p: &str| {
                p == "/services"
                    || (p.starts_with("/services/") && p.matches('/').count() == 2)
                    || (p.starts_with("/services/") && p.ends_with("/environment"))
            };
            keeps(&yaml(&original), &yaml(&written), "", &grown);
            // docker-compose is slow to start (0.5 s): every fourth written file.
            if n % 4 == 0 {
                to_check.push((name, dir, original));
            }
        }
        outcomes.push(outcome);
    }
    tally("compose", &outcomes);
    assert!(outcomes.contains(&Outcome::Written));

    let config_ok = crate::common::compose_config;
    let checked = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for chunk in to_check.chunks(to_check.len().div_ceil(2).max(1)) {
            let (config_ok, checked) = (&config_ok, &checked);
            s.spawn(move || {
                for (name, dir, original) in chunk {
                    let written = std::fs::read(dir.path().join("docker-compose.yml")).unwrap();
                    std::fs::write(dir.path().join("docker-compose.yml"), original).unwrap();
                    if !config_ok(dir.path()).status.success() {
                        continue;
                    }
                    std::fs::write(dir.path().join("docker-compose.yml"), &written).unwrap();
                    let out = config_ok(dir.path());
                    assert!(
                        out.status.success(),
                        "{name}: docker-compose accepted the original, not ours: {}",
                        stderr(&out)
                    );
                    checked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
    });
    eprintln!(
        "compose: {} written files checked with docker-compose config",
        checked.into_inner()
    );
}

#[test]
#[ignore = "needs scripts/test.sh: python3"]
fn every_real_gitpod_file_is_written_whole_or_left_untouched() {
    let Some(files) = corpus("corpus/real/gitpod", "yml") else {
        return;
    };
    let mut outcomes = Vec::new();
    let mut written_files = Vec::new();
    let keep = tempfile::tempdir().unwrap();
    for (n, path) in files.iter().enumerate() {
        let original = std::fs::read(path).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let outcome = run_once(dir.path(), ".gitpod.yml", &original, &["gitpod", "write"]);
        if outcome == Outcome::Written {
            let written = std::fs::read(dir.path().join(".gitpod.yml")).unwrap();
            // Only `ports:` grows (or is added); everything else is as it was.
            let grown = |p: &str| p.is_empty() || p == "/ports";
            keeps(&yaml(&original), &yaml(&written), "", &grown);
            let copy = keep.path().join(format!("{n}.yml"));
            std::fs::write(&copy, &written).unwrap();
            std::fs::copy(path, keep.path().join(format!("{n}.orig.yml"))).unwrap();
            written_files.push(copy);
        }
        outcomes.push(outcome);
    }
    tally("gitpod", &outcomes);
    assert!(outcomes.contains(&Outcome::Written));

    // A second reader, PyYAML, agrees that only `ports:` changed (serde-saphyr
    // reads a block scalar ending the file without a line break as if it had
    // one; a careless append would change that scalar). And Gitpod's schema
    // accepts every file written whose original it accepted. One Python run.
    let schema = shared("schemas/gitpod.schema.json");
    let script = "import json,sys,yaml\n\
                  schema=json.load(open(sys.argv[1])) if sys.argv[1] else None\n\
                  if schema: import jsonschema\n\
                  def errors(doc):\n\
                  \x20   if not schema: return []\n\
                  \x20   return [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(doc)]\n\
                  bad=[]\n\
                  for f in sys.argv[2:]:\n\
                  \x20   new=yaml.safe_load(open(f)); old=yaml.safe_load(open(f[:-4]+'.orig.yml')) or {}\n\
                  \x20   new_rest={k:v for k,v in new.items() if k!='ports'}\n\
                  \x20   old_rest={k:v for k,v in old.items() if k!='ports'}\n\
                  \x20   if new_rest!=old_rest: bad.append('%s: more than ports: changed' % f)\n\
                  \x20   e=errors(new)\n\
                  \x20   if e and not errors(old): bad.append('%s: the schema accepted the original, not ours: %s' % (f, e[0]))\n\
                  print('\\n'.join(bad))\n\
                  sys.exit(1 if bad else 0)\n";
    let out = std::process::Command::new(tool("CRUDDUR_OBS_PYTHON", "python3"))
        .args(["-c", script])
        .arg(schema.unwrap_or_default())
        .args(&written_files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
}

#[test]
fn every_real_devcontainer_file_is_written_whole_or_left_untouched() {
    let Some(files) = corpus("corpus/devcontainer", "json") else {
        return;
    };
    let mut outcomes = Vec::new();
    for path in &files {
        let original = std::fs::read(path).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let rel = ".devcontainer/devcontainer.json";
        let outcome = run_once(dir.path(), rel, &original, &["devcontainer", "write"]);
        if outcome == Outcome::Written {
            let parse = |bytes: &[u8]| -> Value {
                cruddur_obs::testing::devcontainer::parse(&String::from_utf8_lossy(bytes), rel)
                    .unwrap()
            };
            let written = std::fs::read(dir.path().join(rel)).unwrap();
            // Ports are forwarded and labelled; nothing else changes.
            let grown =
                |p: &str| p.is_empty() || p == "/forwardPorts" || p.starts_with("/portsAttributes");
            keeps(&parse(&original), &parse(&written), "", &grown);
        }
        outcomes.push(outcome);
    }
    tally("devcontainer", &outcomes);
    assert!(outcomes.contains(&Outcome::Written));
}
