//! Through the CLI: whatever bytes the compose file holds, `compose write`
//! never panics, never writes a file it refuses, and writes only a valid one.
//! (The editors' properties on generated documents are unit tests of the compose
//! module.)

use proptest::prelude::*;

/// Through the CLI: a file that cannot be edited is never written.
#[test]
fn the_cli_never_writes_what_it_refuses() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = prop::collection::vec(any::<u8>(), 0..200);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("docker-compose.yml");
    let mut refused = 0;
    for _ in 0..24 {
        let bytes = strategy.new_tree(&mut runner).unwrap().current();
        std::fs::write(&file, &bytes).unwrap();
        let out = crate::common::isolated("cruddur-obs")
            .current_dir(dir.path())
            .args(["compose", "write", "--yes", "--region", "us-east-1"])
            .output()
            .unwrap();
        assert!(out.status.code().is_some(), "no crash");
        assert_ne!(
            out.status.code(),
            Some(101),
            "no panic: {}",
            crate::common::stderr(&out)
        );
        if out.status.code() == Some(0) {
            // Accepted: either left as it was (nothing to do) or written as a
            // valid compose file holding our entries.
            let now = std::fs::read(&file).unwrap();
            if now != bytes {
                let text = String::from_utf8(now).expect("written as UTF-8");
                let doc: serde_json::Value =
                    serde_saphyr::from_str(&text).expect("a written file parses");
                assert!(
                    doc["services"]["backend-flask"]["environment"]
                        .to_string()
                        .contains("OTEL_SERVICE_NAME"),
                    "{text}"
                );
            }
        } else {
            refused += 1;
            assert_eq!(
                std::fs::read(&file).unwrap(),
                bytes,
                "a refused file was written"
            );
        }
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temp file left");
    }
    // Random bytes are mostly not compose files: the refusal path was exercised.
    assert!(refused > 0, "no case was refused: the test checked nothing");
}
