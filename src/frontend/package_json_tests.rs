use super::*;
use crate::frontend::PACKAGES;

const WEEK1: &str = include_str!("../../tests/fixtures/frontends/week1/package.json");
const HAND: &str = include_str!("../../tests/fixtures/frontends/hand-tracing/package.json");
const RENDER: &str = include_str!("../../tests/fixtures/frontends/render/package.json");

fn plan(text: &str) -> PackagePlan {
    plan_package_json(text, "frontend-react-js/package.json", PACKAGES, false).unwrap()
}

/// The lines of `new` that are not in `old`, in order (`old`'s lines must all
/// be in `new`, in order: only lines are gained — and a comma, by the entry
/// that was last before entries were added after it).
fn gained_lines(old: &str, new: &str) -> Vec<String> {
    let mut gained = Vec::new();
    let mut old_lines = old.split_inclusive('\n').peekable();
    for line in new.split_inclusive('\n') {
        let same = |o: &&str| *o == line || format!("{},", o.trim_end()) == line.trim_end();
        if old_lines.peek().is_some_and(same) {
            old_lines.next();
        } else {
            gained.push(line.to_string());
        }
    }
    assert!(
        old_lines.next().is_none(),
        "a line of the original is gone:\n{new}"
    );
    gained
}

#[test]
fn week1_gets_the_family_in_alphabetical_place_and_only_gains_lines() {
    let p = plan(WEEK1);
    assert_eq!(p.added.len(), PACKAGES.len());
    assert!(p.kept.is_empty() && p.notes.is_empty());
    let gained = gained_lines(WEEK1, &p.new_text);
    let expected: Vec<String> = PACKAGES
        .iter()
        .map(|(n, v)| format!("    \"{n}\": \"{v}\",\n"))
        .collect();
    assert_eq!(gained, expected);
    // Before @testing-library, as npm sorts them: npm install rewrites nothing.
    let deps = p
        .new_text
        .find("\"dependencies\": {\n    \"@opentelemetry/api\": \"1.9.1\",");
    assert!(deps.is_some(), "{}", p.new_text);
    let again = plan(&p.new_text);
    assert_eq!(again.new_text, p.new_text);
    assert!(again.added.is_empty());
    assert_eq!(again.kept.len(), PACKAGES.len());
}

#[test]
fn crlf_tabs_bom_and_no_final_newline_are_kept() {
    let text = format!(
        "\u{feff}{}",
        WEEK1.replace("  ", "\t").replace('\n', "\r\n").trim_end()
    );
    let p = plan(&text);
    assert!(p.new_text.starts_with('\u{feff}'));
    assert!(p.new_text.ends_with('}'));
    assert!(!p.new_text.replace("\r\n", "").contains('\n'));
    assert!(p
        .new_text
        .contains("\r\n\t\t\"@opentelemetry/sdk-trace-web\": \"2.12.0\",\r\n\t\t\"@opentelemetry/semantic-conventions\": \"1.45.0\",\r\n\t\t\"@testing-library/jest-dom\""));
}

#[test]
fn packages_already_there_are_kept_and_their_versions_named() {
    let p = plan(HAND);
    assert_eq!(
        p.added,
        [
            "@opentelemetry/instrumentation-document-load@0.68.0",
            "@opentelemetry/instrumentation-fetch@0.223.0"
        ]
    );
    assert_eq!(p.kept.len(), 8);
    assert_eq!(
        p.kept[0],
        (
            "@opentelemetry/api".to_string(),
            "^1.4.1".to_string(),
            "dependencies"
        )
    );
    // ^1.4.1 and ^1.13.0 admit 1.9.1 and 1.45.0: kept, named.
    assert_eq!(p.notes.len(), 2, "{:?}", p.notes);
    assert!(
        p.notes[0].contains("@opentelemetry/api is kept at \"^1.4.1\" (dependencies)"),
        "{}",
        p.notes[0]
    );
    // The 1.x SDK and 0.39 exporter do not admit the family's: outdated.
    let names: Vec<&str> = p.outdated.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "@opentelemetry/context-zone",
            "@opentelemetry/exporter-trace-otlp-http",
            "@opentelemetry/instrumentation",
            "@opentelemetry/resources",
            "@opentelemetry/sdk-trace-base",
            "@opentelemetry/sdk-trace-web"
        ]
    );
    assert!(!p
        .new_text
        .contains("2.12.0\",\n    \"@opentelemetry/sdk-trace-base"));
    // Between instrumentation and resources: alphabetical.
    assert!(p.new_text.contains(
        "\"@opentelemetry/instrumentation\": \"^0.39.1\",\n    \"@opentelemetry/instrumentation-document-load\": \"0.68.0\",\n    \"@opentelemetry/instrumentation-fetch\": \"0.223.0\",\n    \"@opentelemetry/resources\""
    ));
}

#[test]
fn dev_dependencies_count_and_exact_matches_say_nothing() {
    let text = "{\n  \"dependencies\": {\n    \"react\": \"^18.2.0\"\n  },\n  \"devDependencies\": {\n    \"@opentelemetry/api\": \"1.9.1\"\n  }\n}\n";
    let p = plan(text);
    assert_eq!(
        p.kept,
        [(
            "@opentelemetry/api".to_string(),
            "1.9.1".to_string(),
            "devDependencies"
        )]
    );
    assert!(p.notes.is_empty());
    assert_eq!(p.added.len(), PACKAGES.len() - 1);
}

#[test]
fn a_one_line_object_stays_one_line() {
    let p = plan(RENDER);
    let changed: Vec<&str> = p.new_text.lines().filter(|l| !RENDER.contains(l)).collect();
    assert_eq!(p.new_text.lines().count(), RENDER.lines().count());
    assert_eq!(changed.len(), 1, "{}", p.new_text);
    assert!(changed[0].starts_with(
        "  \"dependencies\": {\"@opentelemetry/api\": \"1.9.1\", \"@opentelemetry/context-zone\": \"2.12.0\", "
    ));
    assert!(changed[0].ends_with("\"@opentelemetry/semantic-conventions\": \"1.45.0\", \"react\": \"^17.0.2\", \"react-dom\": \"^17.0.2\", \"react-scripts\": \"4.0.3\"}"));
}

#[test]
fn unsorted_dependencies_get_the_packages_at_their_start_and_sorted_ones_maybe_at_the_end() {
    let text = "{\n  \"dependencies\": {\n    \"react\": \"^18\",\n    \"axios\": \"^1\"\n  }\n}\n";
    let p = plan_package_json(text, "package.json", &PACKAGES[..2], false).unwrap();
    assert_eq!(
        p.new_text,
        "{\n  \"dependencies\": {\n    \"@opentelemetry/api\": \"1.9.1\",\n    \"@opentelemetry/context-zone\": \"2.12.0\",\n    \"react\": \"^18\",\n    \"axios\": \"^1\"\n  }\n}\n"
    );
    let text = "{\n  \"dependencies\": {\n    \"@angular/core\": \"^17\"\n  }\n}\n";
    let p = plan_package_json(text, "package.json", &PACKAGES[..2], false).unwrap();
    assert_eq!(
        p.new_text,
        "{\n  \"dependencies\": {\n    \"@angular/core\": \"^17\",\n    \"@opentelemetry/api\": \"1.9.1\",\n    \"@opentelemetry/context-zone\": \"2.12.0\"\n  }\n}\n"
    );
}

#[test]
fn empty_or_missing_dependencies_and_compact_spacing() {
    let wanted = &PACKAGES[..2];
    let p = plan_package_json(
        "{\n  \"name\": \"x\",\n  \"dependencies\": {}\n}\n",
        "p",
        wanted,
        false,
    )
    .unwrap();
    assert_eq!(
        p.new_text,
        "{\n  \"name\": \"x\",\n  \"dependencies\": {\n    \"@opentelemetry/api\": \"1.9.1\",\n    \"@opentelemetry/context-zone\": \"2.12.0\"\n  }\n}\n"
    );
    let p = plan_package_json("{\n    \"name\": \"x\"\n}", "p", wanted, false).unwrap();
    assert_eq!(
        p.new_text,
        "{\n    \"name\": \"x\",\n    \"dependencies\": {\n        \"@opentelemetry/api\": \"1.9.1\",\n        \"@opentelemetry/context-zone\": \"2.12.0\"\n    }\n}"
    );
    let p = plan_package_json("{\"name\":\"x\"}", "p", &wanted[..1], false).unwrap();
    assert_eq!(
        p.new_text,
        "{\"name\":\"x\", \"dependencies\":{ \"@opentelemetry/api\":\"1.9.1\" }}"
    );
    let p = plan_package_json("{}", "p", &wanted[..1], false).unwrap();
    assert_eq!(
        p.new_text,
        "{ \"dependencies\": { \"@opentelemetry/api\": \"1.9.1\" } }"
    );
    let p = plan_package_json("{\n}\n", "p", &wanted[..1], false).unwrap();
    assert_eq!(
        p.new_text,
        "{\n  \"dependencies\": {\n    \"@opentelemetry/api\": \"1.9.1\"\n  }\n}\n"
    );
}

#[test]
fn invalid_files_are_refused_with_the_place() {
    let e =
        plan_package_json("{\n  \"a\": 1,\n}\n", "fe/package.json", PACKAGES, false).unwrap_err();
    assert!(matches!(&e, FrontendError::Json { line: 3, .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("fe/package.json:3:1: not valid JSON (trailing comma"),
        "{e}"
    );
    let e = plan_package_json("[]", "p", PACKAGES, false).unwrap_err();
    assert_eq!(
        e.to_string(),
        "p: the file is an array, not an object; nothing was written"
    );
    let e = plan_package_json("{\"dependencies\": []}", "p", PACKAGES, false).unwrap_err();
    assert_eq!(
        e.to_string(),
        "p: dependencies is an array, not an object; nothing was written"
    );
    // Comments: npm cannot read them either.
    assert!(plan_package_json("{ // c\n}", "p", PACKAGES, false).is_err());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z][a-z0-9-]{0,12}",
            "@[a-z]{1,6}/[a-z][a-z0-9-]{0,10}",
            Just("@opentelemetry/api".to_string()),
            Just("@opentelemetry/resources".to_string()),
        ]
    }

    /// A package.json in npm's layout, with a given indentation and line ending.
    fn package_json() -> impl Strategy<Value = (String, bool)> {
        (
            prop::collection::btree_map(name(), "\\^?[0-9]{1,2}\\.[0-9]\\.[0-9]", 0..8),
            prop_oneof![Just("  "), Just("    "), Just("\t")],
            prop_oneof![Just("\n"), Just("\r\n")],
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(deps, unit, eol, sorted, with_deps, final_newline)| {
                let mut entries: Vec<String> = deps
                    .iter()
                    .map(|(n, v)| format!("{unit}{unit}\"{n}\": \"{v}\""))
                    .collect();
                if !sorted {
                    entries.reverse();
                }
                let mut text = format!("{{{eol}{unit}\"name\": \"app\",{eol}{unit}\"private\": true");
                if with_deps {
                    let body = if entries.is_empty() {
                        "{}".to_string()
                    } else {
                        format!("{{{eol}{}{eol}{unit}}}", entries.join(&format!(",{eol}")))
                    };
                    text.push_str(&format!(",{eol}{unit}\"dependencies\": {body}"));
                }
                text.push_str(&format!(",{eol}{unit}\"scripts\": {{{eol}{unit}{unit}\"build\": \"react-scripts build\"{eol}{unit}}}{eol}}}"));
                if final_newline {
                    text.push_str(eol);
                }
                (text, with_deps && !deps.is_empty())
            })
    }

    proptest! {
        #[test]
        fn output_parses_gains_only_the_entries_and_a_second_plan_changes_nothing(
            (text, has_entries) in package_json()
        ) {
            let p = plan_package_json(&text, "package.json", PACKAGES, false).unwrap();
            let after: Value = serde_json::from_str(&p.new_text).unwrap();
            let deps = after["dependencies"].as_object().unwrap();
            for (name, version) in PACKAGES {
                prop_assert!(deps.contains_key(*name), "{name} missing");
                if p.added.iter().any(|a| a == &format!("{name}@{version}")) {
                    prop_assert_eq!(deps[*name].as_str(), Some(*version));
                }
            }
            prop_assert_eq!(p.added.len() + p.kept.len(), PACKAGES.len());
            if has_entries {
                // Inserted into an existing multi-line object: whole lines only.
                let gained = gained_lines(&text, &p.new_text);
                prop_assert_eq!(gained.len(), p.added.len());
            }
            let eol = line_ending(&text);
            prop_assert_eq!(
                p.new_text.matches('\n').count(),
                p.new_text.matches(eol).count(),
                "one kind of line ending"
            );
            prop_assert_eq!(p.new_text.ends_with('\n'), text.ends_with('\n'));
            let again = plan_package_json(&p.new_text, "package.json", PACKAGES, false).unwrap();
            prop_assert_eq!(again.new_text, p.new_text);
        }
    }
}

#[test]
fn a_lock_without_the_pinned_versions_is_stale() {
    let wanted = [
        ("@opentelemetry/api", "1.9.1"),
        ("@opentelemetry/sdk-trace-web", "2.12.0"),
    ];
    let package = r#"{"dependencies": {"@opentelemetry/api": "1.9.1", "@opentelemetry/sdk-trace-web": "2.12.0", "react": "^18.2.0"}}"#;
    let fresh = r#"{"lockfileVersion": 3, "packages": {"node_modules/@opentelemetry/api": {"version": "1.9.1"}, "node_modules/@opentelemetry/sdk-trace-web": {"version": "2.12.0"}}}"#;
    assert!(stale_in_lock(package, fresh, &wanted).is_empty());
    let old = r#"{"lockfileVersion": 3, "packages": {"node_modules/@opentelemetry/api": {"version": "1.4.1"}}}"#;
    assert_eq!(
        stale_in_lock(package, old, &wanted),
        [
            "@opentelemetry/api: package.json 1.9.1, package-lock.json 1.4.1",
            "@opentelemetry/sdk-trace-web: not in package-lock.json"
        ]
    );
    // lockfileVersion 1; a range in package.json is npm's to resolve; not JSON: nothing.
    let v1 =
        r#"{"lockfileVersion": 1, "dependencies": {"@opentelemetry/api": {"version": "1.9.1"}}}"#;
    let ranged = r#"{"dependencies": {"@opentelemetry/api": "1.9.1", "@opentelemetry/sdk-trace-web": "^2.0.0"}}"#;
    assert!(stale_in_lock(ranged, v1, &wanted).is_empty());
    assert!(stale_in_lock(package, "{", &wanted).is_empty());
}

#[test]
fn force_writes_the_familys_versions_over_outdated_ones_and_nothing_else() {
    let p = plan_package_json(HAND, "frontend-react-js/package.json", PACKAGES, true).unwrap();
    assert_eq!(p.outdated.len(), 6);
    let after: Value = serde_json::from_str(&p.new_text).unwrap();
    assert_eq!(
        after["dependencies"]["@opentelemetry/sdk-trace-web"],
        "2.12.0"
    );
    assert_eq!(
        after["dependencies"]["@opentelemetry/exporter-trace-otlp-http"],
        "0.223.0"
    );
    // Admitted ranges are kept as written.
    assert_eq!(after["dependencies"]["@opentelemetry/api"], "^1.4.1");
    // Line for line the same file but the versions and the two new entries.
    let changed: Vec<&str> = p
        .new_text
        .lines()
        .filter(|l| !HAND.lines().any(|o| o == *l))
        .collect();
    assert_eq!(changed.len(), 8, "{changed:?}");
    let again = plan_package_json(&p.new_text, "p", PACKAGES, true).unwrap();
    assert!(again.outdated.is_empty() && again.added.is_empty());
    assert_eq!(again.new_text, p.new_text);
}

#[test]
fn which_ranges_admit_the_familys_version() {
    for (spec, want, ok) in [
        ("2.12.0", "2.12.0", true),
        ("^2.0.0", "2.12.0", true),
        ("^2.13.0", "2.12.0", false),
        ("^1.9.1", "2.12.0", false),
        ("~2.12.0", "2.12.0", true),
        ("~2.11.0", "2.12.0", false),
        ("^0.39.1", "0.223.0", false),
        ("^0.223.0", "0.223.0", true),
        ("*", "1.9.1", true),
        ("latest", "1.9.1", true),
        ("1.9.0", "1.9.1", false),
        ("github:x/y", "1.9.1", false),
    ] {
        assert_eq!(admits(spec, want), ok, "{spec} {want}");
    }
}
