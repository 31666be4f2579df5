//! Killing the process while it writes a file leaves the old file or the new one,
//! never a mix (the write is a temp file in the same directory, then a rename), and
//! the next write clears the temp files that killed runs left.

use crate::common::isolated;

/// A compose file big enough that writing it takes a while (1,000 services).
fn big_compose() -> String {
    let mut text = String::from("services:\n  backend-flask:\n    build: ./backend-flask\n");
    for i in 0..1000 {
        text.push_str(&format!(
            "  svc-{i}:  # service {i}\n    image: \"nginx:{}\"\n    environment:\n      N: \"{i}\"\n",
            i % 7
        ));
    }
    text
}

/// A `compose write` in `dir` that runs to its end.
fn write(dir: &std::path::Path) -> std::process::Output {
    isolated("cruddur-obs")
        .current_dir(dir)
        .args(["compose", "write", "--yes", "--region", "us-east-1"])
        .output()
        .unwrap()
}

#[test]
fn a_kill_mid_write_leaves_the_old_file_or_the_new_one() {
    let old = big_compose();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("docker-compose.yml");

    // The new file, from a run that finishes.
    std::fs::write(&file, &old).unwrap();
    let started = std::time::Instant::now();
    let out = write(dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::common::stderr(&out)
    );
    let took = started.elapsed();
    let new = std::fs::read_to_string(&file).unwrap();
    assert_ne!(new, old);

    let (mut saw_old, mut saw_new) = (0, 0);
    for i in 0..40u64 {
        std::fs::write(&file, &old).unwrap();
        let mut child = crate::common::isolated_std("cruddur-obs")
            .current_dir(dir.path())
            .args(["compose", "write", "--yes", "--region", "us-east-1"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Spread the kills over the whole run and as long again after it, so that
        // some land after the rename even when a later run is slower.
        let at = took.mul_f64(2.0 * i as f64 / 40.0);
        std::thread::sleep(at);
        let _ = child.kill();
        let _ = child.wait();
        let now = std::fs::read_to_string(&file).unwrap();
        if now == old {
            saw_old += 1;
        } else if now == new {
            saw_new += 1;
        } else {
            panic!("after a kill at {at:?} the file is neither old nor new");
        }
    }
    assert!(
        saw_old > 0 && saw_new > 0,
        "kills before and after the rename: {saw_old} old, {saw_new} new"
    );

    // A kill between creating the temp file and the rename leaves the temp file
    // (rare above; one is planted here, named as a run with a pid that no longer
    // exists names it); the next write removes every one of them.
    std::fs::write(
        dir.path().join(".cruddur-obs-99999999-Xk3mQp.tmp"),
        &old[..100],
    )
    .unwrap();
    std::fs::write(&file, &old).unwrap();
    let out = write(dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::common::stderr(&out)
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["docker-compose.yml"], "temp files left");
}
