//! The devcontainer.json edit: the course's file, edge cases, refusals; the
//! result checked against the dev container schema.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::{parse, plan, DevcontainerError, PORTS};
use serde_json::{json, Value};

const COURSE: &str =
    include_str!("../../tests/fixtures/devcontainer/week2-codespaces.devcontainer.json");

/// A file or folder of the project's `shared/` folder beside this checkout (the
/// JSON schemas, which are not ours to keep in the repository); `None`, with a
/// line on stderr saying what is skipped, when it is not there.
#[allow(clippy::print_stderr)]
fn shared(rel: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel);
    if path.exists() {
        return Some(path);
    }
    eprintln!("skipped: ../shared/{rel} is not beside this checkout");
    None
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/devcontainer")
        .join(name)
}

/// The image Codespaces uses when devcontainer.json names none.
const CODESPACES_DEFAULT_IMAGE: &str = "mcr.microsoft.com/devcontainers/universal:2";

/// The errors of the dev container schema (draft 2019-09) for a value, checked with
/// Python's jsonschema (`CRUDDUR_OBS_PYTHON`, else `python3`); empty when valid.
/// The schema is read from `../shared/schemas/` (it is not ours to keep in the
/// repository): `None`, and the check skipped with a line saying so, without it.
fn schema_errors(value: &Value) -> Option<String> {
    let schema = shared("schemas/devcontainer.base.schema.json")?;
    let python = std::env::var("CRUDDUR_OBS_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = Command::new(&python)
        .arg(fixture("validate_schema.py"))
        .arg(schema)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(value.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let errors = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        out.status.success(),
        errors.is_empty(),
        "validator: {errors}"
    );
    Some(errors)
}

/// The schema must accept the file's value. The schema requires a container source
/// (image, build, Dockerfile or compose file) that Codespaces does not (it then uses
/// its default image), and the course's file has none: it gets Codespaces' default
/// image first, as Codespaces does.
fn assert_schema_valid(text: &str) {
    let mut value = parse(text, "devcontainer.json").unwrap();
    let sources = ["image", "build", "dockerFile", "dockerComposeFile"];
    if !sources.iter().any(|k| value.get(k).is_some()) {
        value["image"] = json!(CODESPACES_DEFAULT_IMAGE);
    }
    if let Some(errors) = schema_errors(&value) {
        assert!(errors.is_empty(), "schema validation failed: {errors}");
    }
}

#[test]
#[ignore = "needs scripts/test.sh: python3"]
fn the_schema_check_catches_bad_ports() {
    let bad = json!({"image": "x", "forwardPorts": ["3000"]});
    let Some(errors) = schema_errors(&bad) else {
        return;
    };
    assert!(errors.contains("forwardPorts"), "{errors}");
    let bad = json!({"image": "x", "portsAttributes": {"3000": {"onAutoForward": "open"}}});
    assert!(schema_errors(&bad).unwrap().contains("portsAttributes"));
    assert_schema_valid("{\"image\": \"x\", \"forwardPorts\": [\"db:5432\"]}");
}

/// Plans, checks the result is the input plus the additions, and that a second run
/// changes nothing. Returns the new text.
fn plan_ok(text: &str) -> String {
    let p = plan(Some(text), "devcontainer.json").unwrap();
    let again = plan(Some(&p.new_text), "devcontainer.json").unwrap();
    assert!(again.changes.is_empty(), "second run: {:?}", again.changes);
    assert_eq!(again.new_text, p.new_text);
    p.new_text
}

fn ours() -> Value {
    json!({
        "3000": {"label": "frontend", "onAutoForward": "openBrowser"},
        "4567": {"label": "backend"}
    })
}

#[test]
#[ignore = "needs scripts/test.sh: python3"]
fn the_course_file_gets_both_ports_and_keeps_comments_and_tabs() {
    let p = plan(Some(COURSE), "devcontainer.json").unwrap();
    insta::assert_snapshot!("course_week2_codespaces", p.new_text);
    assert_eq!(p.changes.len(), 5);
    for line in COURSE.lines() {
        if line.trim_start().starts_with("//") {
            assert!(p.new_text.contains(line), "comment lost: {line}");
        }
    }
    for line in p.new_text.lines() {
        let indent = &line[..line.len() - line.trim_start().len()];
        assert!(indent.chars().all(|c| c == '\t'), "not a tab: {line:?}");
    }
    // The original text is kept whole: it is the result minus the inserted lines.
    assert!(p
        .new_text
        .starts_with(&COURSE[..COURSE.find("\t// Ports to forward").unwrap() - 2]));
    assert!(p
        .new_text
        .ends_with(&COURSE[COURSE.find("\t// Ports to forward").unwrap()..]));
    let mut expected = parse(COURSE, "d").unwrap();
    expected["forwardPorts"] = json!([3000, 4567]);
    expected["portsAttributes"] = ours();
    assert_eq!(parse(&p.new_text, "d").unwrap(), expected);
    assert_schema_valid(COURSE);
    assert_schema_valid(&p.new_text);
    assert_eq!(plan_ok(COURSE), p.new_text);
}

#[test]
#[ignore = "needs scripts/test.sh: python3"]
fn a_missing_file_is_created_schema_valid() {
    let p = plan(None, ".devcontainer/devcontainer.json").unwrap();
    insta::assert_snapshot!("created", p.new_text);
    assert_schema_valid(&p.new_text);
    plan_ok(&p.new_text);
}

#[test]
fn block_comments_between_keys_are_kept() {
    let text = "{\n  /* the name */ \"name\": \"x\", /* between */\n  /* before image */\n  \"image\": \"i\" /* after */\n}\n";
    let out = plan_ok(text);
    for c in [
        "/* the name */",
        "/* between */",
        "/* before image */",
        "/* after */",
    ] {
        assert!(out.contains(c), "{c} lost");
    }
    assert!(out.starts_with("{\n  /* the name */ \"name\": \"x\", /* between */\n  /* before image */\n  \"image\": \"i\", /* after */\n  \"forwardPorts\": [3000, 4567],\n"));
    assert!(out.ends_with("  }\n}\n"));
}

#[test]
fn trailing_commas_in_the_object_and_in_forward_ports_are_kept() {
    let text = "{\n\t\"name\": \"x\",\n\t\"forwardPorts\": [\n\t\t8080,\n\t],\n}\n";
    let out = plan_ok(text);
    assert_eq!(
        out,
        "{\n\t\"name\": \"x\",\n\t\"forwardPorts\": [\n\t\t8080,\n\t\t3000,\n\t\t4567,\n\t],\n\t\"portsAttributes\": {\n\t\t\"3000\": {\n\t\t\t\"label\": \"frontend\",\n\t\t\t\"onAutoForward\": \"openBrowser\",\n\t\t},\n\t\t\"4567\": {\n\t\t\t\"label\": \"backend\",\n\t\t},\n\t},\n}\n"
    );
    // One line: the comma stays, now between items (no trailing comma on one line).
    let out = plan_ok("{\"forwardPorts\": [8080,],}");
    assert!(
        out.contains("\"forwardPorts\": [8080, 3000, 4567],"),
        "{out}"
    );
}

#[test]
fn crlf_line_endings_are_kept() {
    let text = "{\r\n  // c\r\n  \"name\": \"x\"\r\n}\r\n";
    let out = plan_ok(text);
    assert!(
        !out.replace("\r\n", "").contains('\n'),
        "a bare LF: {out:?}"
    );
    assert!(out
        .starts_with("{\r\n  // c\r\n  \"name\": \"x\",\r\n  \"forwardPorts\": [3000, 4567],\r\n"));
    assert!(out.ends_with("\r\n}\r\n"));
}

#[test]
fn a_missing_final_newline_stays_missing() {
    let out = plan_ok("{\n\t\"name\": \"x\"\n}");
    assert!(out.ends_with("\n\t}\n}"), "{out:?}");
    let out = plan_ok("{\n\t\"name\": \"x\"\n}\n");
    assert!(out.ends_with("\n\t}\n}\n"));
}

#[test]
fn an_empty_object_gets_a_tab_indented_body() {
    for (text, end) in [
        ("{}", "}"),
        ("{}\n", "}\n"),
        ("{ }", "}"),
        ("// c\n{}\n", "}\n"),
    ] {
        let out = plan_ok(text);
        assert!(out.ends_with(end), "{out:?}");
        assert!(
            out.contains(
                "\n\t\"forwardPorts\": [3000, 4567],\n\t\"portsAttributes\": {\n\t\t\"3000\": {\n"
            ),
            "{out:?}"
        );
        assert_eq!(
            parse(&out, "d").unwrap(),
            json!({"forwardPorts": [3000, 4567], "portsAttributes": ours()})
        );
    }
    assert!(plan_ok("// c\n{}\n").starts_with("// c\n{\n"));
}

#[test]
fn other_forwarded_ports_and_string_ports_are_kept() {
    let text = "{\n  \"forwardPorts\": [8080, \"db:5432\"]\n}\n";
    let out = plan_ok(text);
    assert!(out.contains("\"forwardPorts\": [8080, \"db:5432\", 3000, 4567]"));
    let p = plan(Some("{\"forwardPorts\": [\"localhost:3000\", 4567]}"), "d").unwrap();
    assert!(
        !p.changes.iter().any(|c| c.starts_with("+ forwardPorts")),
        "{:?}",
        p.changes
    );
    assert!(p.notes.iter().any(|n| n.contains("\"localhost:3000\"")));
    let p = plan(Some("{\"forwardPorts\": [\"3000\"]}"), "d").unwrap();
    assert_eq!(p.changes[0], "+ forwardPorts 4567");
}

#[test]
fn an_existing_4567_entry_is_kept_and_completed() {
    let text = "{\n    \"portsAttributes\": {\n        \"4567\": {\n            \"onAutoForward\": \"silent\"\n        }\n    }\n}\n";
    let p = plan(Some(text), "d").unwrap();
    assert!(p
        .changes
        .contains(&"+ portsAttributes.4567.label \"backend\"".to_string()));
    let out = plan_ok(text);
    assert!(out.contains("        \"4567\": {\n            \"onAutoForward\": \"silent\",\n            \"label\": \"backend\"\n        },\n        \"3000\": {\n"), "{out}");
    // A label the user wrote is never changed.
    let p = plan(
        Some("{\"portsAttributes\": {\"4567\": {\"label\": \"api\"}}}"),
        "d",
    )
    .unwrap();
    assert!(!p.changes.iter().any(|c| c.contains("portsAttributes.4567")));
    assert_eq!(
        parse(&p.new_text, "d").unwrap()["portsAttributes"]["4567"],
        json!({"label": "api"})
    );
    assert!(plan(Some(&p.new_text), "d").unwrap().changes.is_empty());
}

#[test]
fn indentation_follows_the_file() {
    for unit in ["  ", "    ", "\t"] {
        let text = format!("{{\n{unit}\"name\": \"x\",\n{unit}\"features\": {{\n{unit}{unit}\"a\": {{}}\n{unit}}}\n}}\n");
        let out = plan_ok(&text);
        assert!(out.starts_with(&text[..text.len() - 4]));
        for line in out.lines() {
            let indent = &line[..line.len() - line.trim_start().len()];
            assert_eq!(
                indent,
                unit.repeat(indent.len() / unit.len()),
                "{unit:?}: {line:?}"
            );
        }
        assert!(
            out.contains(&format!("\n{unit}{unit}{unit}\"label\": \"frontend\",\n")),
            "{out}"
        );
    }
}

#[test]
fn blank_lines_inside_edited_containers_are_kept() {
    let text = "{\n\n\t\"forwardPorts\": [\n\n\t\t8080\n\n\t]\n\n}\n";
    let out = plan_ok(text);
    assert_eq!(
        out,
        "{\n\n\t\"forwardPorts\": [\n\n\t\t8080,\n\t\t3000,\n\t\t4567\n\n\t],\n\t\"portsAttributes\": {\n\t\t\"3000\": {\n\t\t\t\"label\": \"frontend\",\n\t\t\t\"onAutoForward\": \"openBrowser\"\n\t\t},\n\t\t\"4567\": {\n\t\t\t\"label\": \"backend\"\n\t\t}\n\t}\n\n}\n"
    );
}

#[test]
fn a_byte_order_mark_is_kept() {
    let out = plan_ok("\u{feff}{\n\t\"name\": \"x\"\n}\n");
    assert!(out.starts_with("\u{feff}{\n\t\"name\": \"x\",\n"));
}

#[test]
fn the_ports_are_the_apps() {
    assert_eq!(PORTS.iter().map(|p| p.0).collect::<Vec<_>>(), [3000, 4567]);
}

// ---------------------------------------------------------------------------
// Refusals

fn refused(text: &str) -> DevcontainerError {
    let e = plan(Some(text), "devcontainer.json").unwrap_err();
    assert!(e.help().is_some());
    e
}

#[test]
fn invalid_jsonc_is_refused_with_its_position() {
    // jsonc-parser points just after the value that lacks its comma.
    let e = refused("{\n\t\"name\": \"x\"\n\t\"image\": \"y\"\n}\n");
    assert!(
        matches!(
            &e,
            DevcontainerError::Parse {
                line: 2,
                column: 13,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("Expected comma (line 2, column 13)"),
        "{e}"
    );
    let e = refused("{\n  'name': 1\n}");
    assert!(
        matches!(
            e,
            DevcontainerError::Parse {
                line: 2,
                column: 3,
                ..
            }
        ),
        "{e:?}"
    );
    let e = refused("{\n  \"a\": 1 /* open");
    assert!(
        matches!(e, DevcontainerError::Parse { line: 2, .. }),
        "{e:?}"
    );
    let e = refused("{\"a\": 1e999}");
    assert!(
        matches!(
            e,
            DevcontainerError::Parse {
                line: 1,
                column: 7,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn duplicate_keys_are_refused_top_level_and_nested() {
    let e = refused("{\n\t\"name\": \"a\",\n\t// again\n\t\"name\": \"b\"\n}\n");
    assert_eq!(
        e,
        DevcontainerError::DuplicateKey {
            file: "devcontainer.json".into(),
            line: 4,
            column: 2,
            key: "name".into(),
            first_line: 2,
        }
    );
    let e = refused(
        "{\r\n  \"customizations\": {\"vscode\": {\"settings\": {}, \"settings\": {}}}\r\n}",
    );
    assert!(
        matches!(&e, DevcontainerError::DuplicateKey { line: 2, column: 49, key, .. } if key == "settings"),
        "{e:?}"
    );
    // Inside an array too; and keys equal once unescaped.
    let e = refused("{\"mounts\": [{\"a\": 1, \"a\": 2}]}");
    assert!(
        matches!(e, DevcontainerError::DuplicateKey { column: 22, .. }),
        "{e:?}"
    );
    let e = refused("{\"a\": 1, \"\\u0061\": 2}");
    assert!(
        matches!(e, DevcontainerError::DuplicateKey { column: 10, .. }),
        "{e:?}"
    );
}

#[test]
fn a_top_level_that_is_not_an_object_is_refused() {
    let e = refused("// c\n[\n  {\"forwardPorts\": [3000]}\n]\n");
    assert!(
        matches!(
            e,
            DevcontainerError::NotAnObject {
                line: 2,
                column: 1,
                found: "an array",
                ..
            }
        ),
        "{e:?}"
    );
    let e = refused("  \"x\"");
    assert!(matches!(
        e,
        DevcontainerError::NotAnObject {
            column: 3,
            found: "a string",
            ..
        }
    ));
    let e = refused("// only a comment\n");
    assert!(matches!(
        e,
        DevcontainerError::NotAnObject { found: "empty", .. }
    ));
}

#[test]
fn wrong_types_are_refused_with_the_values_position() {
    let e = refused("{\n\t\"name\": \"x\",\n\t\"forwardPorts\": \"3000\"\n}\n");
    assert_eq!(
        e,
        DevcontainerError::WrongType {
            file: "devcontainer.json".into(),
            key: "forwardPorts".into(),
            line: 3,
            column: 18,
            expected: "an array",
            found: "a string",
        }
    );
    let e = refused("{\"portsAttributes\": [3000]}");
    assert!(
        matches!(
            e,
            DevcontainerError::WrongType {
                column: 21,
                expected: "an object",
                ..
            }
        ),
        "{e:?}"
    );
    let e = refused("{\"portsAttributes\": {\n  \"3000\": \"frontend\"}}");
    assert!(
        matches!(&e, DevcontainerError::WrongType { key, line: 2, column: 11, .. } if key == "portsAttributes.3000"),
        "{e:?}"
    );
}
