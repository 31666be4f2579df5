//! Properties of the compose and Gitpod editors on generated documents: valid files
//! with comments in every form the editor meets are edited so that the result parses,
//! nothing it was not asked to change changes, comments and line endings survive, and
//! a second run is a no-op. Arbitrary input never panics.

use super::{ComposeSpec, Via};
use crate::honeycomb::Region;
use crate::parts::Parts;
use proptest::prelude::*;
use serde_json::Value;

#[derive(Debug, Clone)]
enum Env {
    None,
    Empty,
    Map(Vec<(String, String)>),
    List(Vec<(String, String)>),
    Flow(Vec<(String, String)>),
}

#[derive(Debug, Clone)]
struct Service {
    name: String,
    image: bool,
    env: Env,
    comment: bool,
}

#[derive(Debug, Clone)]
struct Doc {
    unit: usize,
    crlf: bool,
    final_newline: bool,
    header_comment: bool,
    services: Vec<Service>,
}

fn entries() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::btree_map("[A-Z][A-Z_]{0,7}", "[a-z0-9./:-]{0,12}", 0..4)
        .prop_map(|m| m.into_iter().collect())
}

fn env() -> impl Strategy<Value = Env> {
    prop_oneof![
        Just(Env::None),
        Just(Env::Empty),
        entries().prop_map(Env::Map),
        entries().prop_map(Env::List),
        entries().prop_map(Env::Flow),
    ]
}

fn service(name: String) -> impl Strategy<Value = Service> {
    (any::<bool>(), env(), any::<bool>()).prop_map(move |(image, env, comment)| Service {
        name: name.clone(),
        image,
        env,
        comment,
    })
}

fn doc() -> impl Strategy<Value = Doc> {
    let others = prop::sample::subsequence(vec!["web", "db", "worker", "cache"], 0..4);
    (
        prop_oneof![Just(2usize), Just(4usize)],
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        others,
        0usize..5,
    )
        .prop_flat_map(|(unit, crlf, final_newline, header_comment, others, at)| {
            let mut names: Vec<String> = others.iter().map(|s| s.to_string()).collect();
            names.insert(at.min(names.len()), "backend-flask".to_string());
            let services: Vec<_> = names.into_iter().map(service).collect();
            (Just((unit, crlf, final_newline, header_comment)), services)
        })
        .prop_map(
            |((unit, crlf, final_newline, header_comment), services)| Doc {
                unit,
                crlf,
                final_newline,
                header_comment,
                services,
            },
        )
}

fn render(d: &Doc) -> String {
    let i1 = " ".repeat(d.unit);
    let i2 = " ".repeat(d.unit * 2);
    let i3 = " ".repeat(d.unit * 3);
    let mut lines = Vec::new();
    if d.header_comment {
        lines.push("# generated compose file".to_string());
    }
    lines.push("services:".to_string());
    for s in &d.services {
        lines.push(format!(
            "{i1}{}:{}",
            s.name,
            if s.comment { "  # a service" } else { "" }
        ));
        if s.comment {
            lines.push(format!("{i2}# about {}", s.name));
        }
        lines.push(format!("{i2}build: ./{}", s.name));
        if s.image {
            lines.push(format!("{i2}image: \"{}:latest\"", s.name));
        }
        match &s.env {
            Env::None => {}
            Env::Empty => lines.push(format!("{i2}environment:")),
            Env::Map(e) => {
                lines.push(format!("{i2}environment:"));
                for (k, v) in e {
                    lines.push(format!("{i3}{k}: \"{v}\""));
                }
            }
            Env::List(e) => {
                lines.push(format!("{i2}environment:"));
                for (k, v) in e {
                    lines.push(format!("{i3}- \"{k}={v}\""));
                }
            }
            Env::Flow(e) => {
                let items: Vec<String> = e.iter().map(|(k, v)| format!("{k}: \"{v}\"")).collect();
                lines.push(format!("{i2}environment: {{{}}}", items.join(", ")));
            }
        }
    }
    let nl = if d.crlf { "\r\n" } else { "\n" };
    let mut text = lines.join(nl);
    if d.final_newline {
        text.push_str(nl);
    }
    text
}

fn spec() -> ComposeSpec {
    spec_via(Via::Daemon)
}

fn spec_via(via: Via) -> ComposeSpec {
    ComposeSpec {
        service: "backend-flask".into(),
        parts: Parts::ALL,
        region: "ca-central-1".into(),
        honeycomb_region: Region::Us,
        force: false,
        via,
        log_group: Some("cruddur".into()),
        xray_url: crate::devenv::DevEnv::Gitpod.xray_url().into(),
        variables: Default::default(),
        browser: false,
    }
}

/// A `.gitpod.yml` port entry: number, visibility, onOpen, name, a comment.
#[derive(Debug, Clone)]
struct Port {
    port: u16,
    visibility: Option<&'static str>,
    on_open: bool,
    name: bool,
    comment: bool,
}

#[derive(Debug, Clone)]
struct GitpodDoc {
    /// Indent of the `- ` items under `ports:` (0 is common in Gitpod files).
    item_indent: usize,
    crlf: bool,
    final_newline: bool,
    tasks_first: bool,
    ports: Vec<Port>,
}

fn gitpod_doc() -> impl Strategy<Value = GitpodDoc> {
    let port = (
        prop::sample::select(vec![3000u16, 4567, 5432, 8080]),
        prop::sample::select(vec![None, Some("public"), Some("private")]),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(port, visibility, on_open, name, comment)| Port {
            port,
            visibility,
            on_open,
            name,
            comment,
        });
    (
        prop_oneof![Just(0usize), Just(2usize), Just(4usize)],
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(port, 1..5),
    )
        .prop_map(|(item_indent, crlf, final_newline, tasks_first, ports)| {
            // One entry per port, as Gitpod expects.
            let mut seen = std::collections::BTreeSet::new();
            let ports = ports.into_iter().filter(|p| seen.insert(p.port)).collect();
            GitpodDoc {
                item_indent,
                crlf,
                final_newline,
                tasks_first,
                ports,
            }
        })
}

fn render_gitpod(d: &GitpodDoc) -> String {
    let item = " ".repeat(d.item_indent);
    let field = " ".repeat(d.item_indent + 2);
    let tasks = [
        "tasks:".to_string(),
        "  - name: frontend # npm".into(),
        "    init: npm i".into(),
    ];
    let mut lines = vec!["# workspace settings".to_string()];
    if d.tasks_first {
        lines.extend(tasks.iter().cloned());
    }
    lines.push("ports:".into());
    for p in &d.ports {
        lines.push(format!(
            "{item}- port: {}{}",
            p.port,
            if p.comment { "  # keep me" } else { "" }
        ));
        if p.on_open {
            lines.push(format!("{field}onOpen: ignore"));
        }
        if p.name {
            lines.push(format!("{field}name: port {}", p.port));
        }
        if let Some(v) = p.visibility {
            lines.push(format!("{field}visibility: {v}"));
        }
    }
    if !d.tasks_first {
        lines.extend(tasks.iter().cloned());
    }
    let nl = if d.crlf { "\r\n" } else { "\n" };
    let mut text = lines.join(nl);
    if d.final_newline {
        text.push_str(nl);
    }
    text
}

fn parse(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("parses")
}

proptest! {
    // 256 cases a run; PROPTEST_CASES=N for a longer search.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_compose_files_are_edited_safely(d in doc()) {
        let text = render(&d);
        let before = parse(&text);
        let plan = super::edit::plan(&text, "gen.yml", &spec()).expect("a valid file is edited");
        let after = parse(&plan.new_text);

        // Only backend-flask's environment and the daemon changed.
        for (name, svc) in before["services"].as_object().unwrap() {
            let new = &after["services"][name];
            for (key, value) in svc.as_object().into_iter().flatten() {
                if !(name == "backend-flask" && key == "environment") {
                    prop_assert_eq!(&new[key], value, "{}.{} changed", name, key);
                }
            }
        }
        let env = super::desired::desired_env(&spec());
        let written = &after["services"]["backend-flask"]["environment"];
        for (key, _) in &env {
            let present = match written {
                Value::Object(m) => m.contains_key(key),
                Value::Array(items) => items.iter().any(|i| i.as_str().is_some_and(|s| s.starts_with(&format!("{key}=")))),
                _ => false,
            };
            prop_assert!(present, "{} missing", key);
        }
        prop_assert!(after["services"]["xray-daemon"].is_object());

        // Comments and line endings survive; a second run is a no-op.
        for line in text.lines().filter(|l| l.trim_start().starts_with('#')) {
            prop_assert!(plan.new_text.contains(line.trim_end_matches('\r')), "lost comment {:?}", line);
        }
        if d.crlf {
            prop_assert_eq!(plan.new_text.matches('\n').count(), plan.new_text.matches("\r\n").count());
        }
        let again = super::edit::plan(&plan.new_text, "gen.yml", &spec()).expect("the result is editable");
        prop_assert_eq!(again.new_text, plan.new_text);
    }

    #[test]
    fn generated_gitpod_files_are_edited_safely(d in gitpod_doc(), force in any::<bool>()) {
        use crate::gitpod;
        let text = render_gitpod(&d);
        let before = parse(&text);
        let plan = gitpod::plan(Some(&text), "gen.yml", force).expect("a valid file is edited");
        let after = parse(&plan.new_text);

        // Every entry is kept, in order, with only our ports' visibility changed
        // (with --force); the missing ones are added at the end.
        prop_assert_eq!(&after["tasks"], &before["tasks"]);
        let old = before["ports"].as_array().unwrap();
        let new = after["ports"].as_array().unwrap();
        for (i, entry) in old.iter().enumerate() {
            let mut want = entry.clone();
            let ours = [3000, 4567].contains(&entry["port"].as_u64().unwrap());
            if force && ours {
                want["visibility"] = "public".into();
            }
            prop_assert_eq!(&new[i], &want);
        }
        for (port, _, _) in gitpod::PORTS {
            let entry = new.iter().find(|e| e["port"] == u64::from(*port));
            prop_assert!(entry.is_some(), "port {} missing", port);
        }
        prop_assert_eq!(new.len(), old.len() + plan.added.len());

        for line in text.lines().filter(|l| l.contains('#')) {
            prop_assert!(plan.new_text.contains(line.trim_end_matches('\r')), "lost comment line {:?}", line);
        }
        if d.crlf {
            prop_assert_eq!(plan.new_text.matches('\n').count(), plan.new_text.matches("\r\n").count());
        }
        let again = gitpod::plan(Some(&plan.new_text), "gen.yml", force).expect("the result is editable");
        prop_assert_eq!(&again.new_text, &plan.new_text);
        prop_assert!(again.added.is_empty());
        if force {
            prop_assert!(again.conflicts.is_empty());
        }
    }

    #[test]
    fn switching_between_daemon_and_collector_is_clean(d in doc()) {
        let text = render(&d);
        let collector = super::edit::plan(&text, "gen.yml", &spec_via(Via::Collector)).expect("collector");
        let doc = parse(&collector.new_text);
        prop_assert!(doc["services"]["otel-collector"].is_object());
        prop_assert!(doc["services"].get("xray-daemon").is_none());
        let again = super::edit::plan(&collector.new_text, "gen.yml", &spec_via(Via::Collector)).unwrap();
        prop_assert_eq!(&again.new_text, &collector.new_text);

        let daemon = super::edit::plan(&collector.new_text, "gen.yml", &spec()).expect("back to the daemon");
        prop_assert!(daemon.conflicts.is_empty(), "a switch is not a conflict: {:?}", daemon.conflicts);
        let doc = parse(&daemon.new_text);
        prop_assert!(doc["services"]["xray-daemon"].is_object());
        prop_assert!(doc["services"].get("otel-collector").is_none());
        let direct = parse(&super::edit::plan(&text, "gen.yml", &spec()).unwrap().new_text);
        // The order of a KEY=value list does not matter to compose.
        let normal = |mut v: Value| {
            if let Some(items) = v["services"]["backend-flask"]["environment"].as_array_mut() {
                items.sort_by_key(|i| i.to_string());
            }
            v
        };
        prop_assert_eq!(normal(doc), normal(direct), "collector then daemon means the same as daemon");
    }

    #[test]
    fn gitpod_files_ending_in_a_block_scalar_keep_their_ending_and_value(
        indicator in prop::sample::select(vec!["|", "|-", "|+", ">", ">-", "|2"]),
        body in prop::collection::vec("[a-z]{1,8}( [a-z]{1,8})?", 1..4),
        final_newline in any::<bool>(),
        crlf in any::<bool>(),
        with_ports in any::<bool>(),
        header in any::<bool>(),
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut lines = Vec::new();
        if header {
            lines.push("# workspace".to_string());
        }
        if with_ports {
            lines.extend(["ports:".to_string(), "  - port: 8080".into()]);
        }
        lines.extend(["tasks:".to_string(), "  - name: app".into(), format!("    init: {indicator}")]);
        lines.extend(body.iter().map(|l| format!("      {l}")));
        let mut text = lines.join(nl);
        if final_newline {
            text.push_str(nl);
        }
        let plan = crate::gitpod::plan(Some(&text), "gen.yml", false).expect("a valid file is edited");
        // Whole lines added, none changed: no line gains or loses its line break,
        // so no scalar's value changes (the parser cannot tell at the end).
        let diff = similar::TextDiff::from_lines(&text, &plan.new_text);
        let changed: Vec<String> = diff
            .iter_all_changes()
            .filter(|c| c.tag() == similar::ChangeTag::Delete)
            .map(|c| c.to_string())
            .collect();
        prop_assert!(changed.is_empty(), "lines changed: {:?}\n{}", changed, plan.new_text);
        prop_assert_eq!(plan.new_text.ends_with('\n'), final_newline, "the ending is kept");
        prop_assert!(plan.new_text.ends_with(lines.last().unwrap().as_str()) || final_newline);
        let before = parse(&text);
        let after = parse(&plan.new_text);
        prop_assert_eq!(&after["tasks"], &before["tasks"]);
        for (port, _, _) in crate::gitpod::PORTS {
            prop_assert!(after["ports"].as_array().unwrap().iter().any(|e| e["port"] == u64::from(*port)));
        }
        if crlf {
            prop_assert_eq!(plan.new_text.matches('\n').count(), plan.new_text.matches("\r\n").count());
        }
        let again = crate::gitpod::plan(Some(&plan.new_text), "gen.yml", false).expect("the result is editable");
        prop_assert_eq!(&again.new_text, &plan.new_text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let _ = super::edit::plan(&text, "any.yml", &spec());
        let _ = crate::gitpod::plan(Some(&text), "any.yml", true);
    }

    #[test]
    fn yaml_shaped_noise_never_panics(lines in prop::collection::vec("[ \\t]{0,6}[-a-z:{}\\[\\]\"'#&*<>|, ]{0,20}", 0..20)) {
        let text = lines.join("\n");
        let _ = super::edit::plan(&text, "noise.yml", &spec());
        let _ = crate::gitpod::plan(Some(&text), "noise.yml", true);
    }
}
