//! `devcontainer write` on the course's file: written with its comments and
//! tabs, then in sync; a file of the wrong shape refused untouched. (The edit
//! itself, its edge cases and the schema check are unit tests of the module.)

use crate::harness::{snapshot_all, Test};

const COURSE: &str = include_str!("../fixtures/devcontainer/week2-codespaces.devcontainer.json");

/// The command: the course's file written once (comments and tabs kept), a
/// second run in sync, a refused file untouched with exit 2.
#[test]
fn devcontainer_write_command_on_the_course_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(".devcontainer/devcontainer.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, COURSE).unwrap();
    let run = |args: &[&str], code: i32| {
        Test::in_dir(dir.path())
            .args(["devcontainer", "write"])
            .args(args.iter().copied())
            .status(code)
            .run_for_snapshot()
    };
    let written_run = run(&["--yes"], 0);
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.starts_with(COURSE.split("\n\t}").next().unwrap()));
    for line in COURSE.lines().filter(|l| l.trim_start().starts_with("//")) {
        assert!(written.contains(line), "comment lost: {line}");
    }
    // (What is added is the module's plan, checked against the schema there.)
    let again = run(&["--dry-run"], 0);

    let bad = "{\n\t\"forwardPorts\": \"3000\"\n}\n";
    std::fs::write(&file, bad).unwrap();
    let refused = run(&["--yes"], 2);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), bad);
    snapshot_all(
        "devcontainer_write_command_on_the_course_file",
        [&written_run, &again, &refused],
    );
}
