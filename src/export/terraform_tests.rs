use super::super::fixtures::*;
use super::*;
use crate::logs::LogClass;
use serde_json::{json, Value};

#[test]
fn default_configuration_snapshot() {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        let existing = ExistingIds {
            group_arn: Some("arn:aws:xray:us-east-1:123456789012:group/Cruddur/ABC".into()),
            rule_arn: Some("arn:aws:xray:us-east-1:123456789012:sampling-rule/Cruddur".into()),
            log_groups: vec!["cruddur".into()],
        };
        insta::assert_snapshot!("tf_default", terraform(&default_input(), &existing));
    });
}

#[test]
fn hcl_escaping() {
    assert_eq!(quoted_literal("${var.x}"), "$${var.x}");
    assert_eq!(quoted_literal("%{ if x }"), "%%{ if x }");
    assert_eq!(quoted_literal("$$ %% $x %x"), "$$ %% $x %x");
    assert_eq!(quoted_literal("$${x}"), "$$${x}");
    assert_eq!(quoted_literal("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    // And hcl-rs reads every one of them back as the original text, as a string value
    // and as a literal piece of a template.
    for s in [
        "${var.x}",
        "%{ if x }",
        "$${x}",
        "a\"b\\c\nd\te",
        "$",
        "%",
        "é ☃",
        "\u{1}",
    ] {
        let block = Block::builder("b").add_attribute(("x", s)).build();
        let text = format_block(&block, false);
        let v: Value = hcl::from_str(&text).unwrap_or_else(|e| panic!("{s:?}: {e}\n{text}"));
        assert_eq!(v["b"]["x"], s, "{s:?}");
        let text = format!("x = \"{}\"\n", quoted_literal(s));
        let v: Value = hcl::from_str(&text).unwrap_or_else(|e| panic!("{s:?}: {e}\n{text}"));
        assert_eq!(v["x"], s, "{s:?}");
    }
}

fn check_tf(name: &str, input: &ExportInput, existing: &ExistingIds) {
    let text = terraform(input, existing);
    let tf = tf_eval(&text);
    let res = &tf["resource"];
    let plan = Plan::new(input);
    if let Some(g) = &input.group {
        let r = &res["aws_xray_group"]["cruddur"];
        assert_eq!(r["group_name"], g.name.as_str(), "{name}");
        assert_eq!(
            r["filter_expression"],
            g.filter_expression.as_str(),
            "{name}"
        );
        match g.insights {
            Some(on) => assert_eq!(
                r["insights_configuration"],
                json!({"insights_enabled": on, "notifications_enabled": false}),
                "{name}"
            ),
            None => assert!(r.get("insights_configuration").is_none()),
        }
        assert_eq!(r["tags"], json!(export_tags(&g.tags, "terraform")));
    } else {
        assert!(res.get("aws_xray_group").is_none());
    }
    if let Some(spec) = &input.rule {
        let r = &res["aws_xray_sampling_rule"]["cruddur"];
        let s = &spec.rule;
        assert_eq!(r["rule_name"], spec.name.as_str());
        assert_eq!(r["priority"], s.priority);
        assert_eq!(r["reservoir_size"], s.reservoir_size);
        assert_eq!(r["fixed_rate"].as_f64(), Some(s.fixed_rate), "{name}");
        assert_eq!(r["url_path"], s.url_path.as_str());
        assert_eq!(r["host"], s.host.as_str());
        assert_eq!(r["http_method"], s.http_method.as_str());
        assert_eq!(r["service_type"], s.service_type.as_str());
        assert_eq!(r["service_name"], s.service_name.as_str());
        assert_eq!(r["resource_arn"], s.resource_arn.as_str());
        assert_eq!(r["version"], s.version);
        if s.attributes.is_empty() {
            assert!(r.get("attributes").is_none());
        } else {
            assert_eq!(r["attributes"], json!(s.attributes));
        }
        assert!(r.get("sampling_rate_boost").is_none());
        assert_eq!(r["tags"], json!(export_tags(&spec.tags, "terraform")));
    }
    let log_groups = res
        .get("aws_cloudwatch_log_group")
        .cloned()
        .unwrap_or(json!({}));
    assert_eq!(
        log_groups.as_object().unwrap().len(),
        plan.log_groups.len(),
        "{name}"
    );
    for lg in &plan.log_groups {
        let r = &log_groups[lg.tf_label.as_str()];
        assert_eq!(r["name"], lg.spec.name.as_str());
        assert_eq!(r["retention_in_days"], lg.spec.retention_days, "{name}");
        assert_eq!(
            r.get("log_group_class").and_then(Value::as_str),
            lg.spec.class.map(LogClass::as_str)
        );
        assert_eq!(
            r.get("kms_key_id").and_then(Value::as_str),
            lg.spec.kms_key_id.as_deref()
        );
        assert_eq!(r["tags"], json!(export_tags(&lg.spec.tags, "terraform")));
    }
    if let Some(policy) = &input.iam_policy {
        let doc: Value = serde_json::from_str(
            res["aws_iam_policy"]["cruddur_obs"]["policy"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(doc, *policy, "{name}");
    }
    // Validation conditions hold for the defaults.
    if let Some(v) = tf.get("variable").and_then(|v| v.get(TF_VAR_RETENTION)) {
        assert_eq!(v["validation"]["condition"], true, "{name}");
    }
    // Import blocks.
    let imports: Vec<(String, String)> = as_list(&tf["import"])
        .iter()
        .map(|i| {
            (
                i["to"].as_str().unwrap().to_string(),
                i["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut want = Vec::new();
    if let (Some(_), Some(arn)) = (&input.group, &existing.group_arn) {
        want.push(("aws_xray_group.cruddur".to_string(), arn.clone()));
    }
    if let (Some(spec), Some(_)) = (&input.rule, &existing.rule_arn) {
        want.push((
            "aws_xray_sampling_rule.cruddur".to_string(),
            spec.name.clone(),
        ));
    }
    for lg in &plan.log_groups {
        if existing.log_groups.contains(&lg.spec.name) {
            want.push((
                format!("aws_cloudwatch_log_group.{}", lg.tf_label),
                lg.spec.name.clone(),
            ));
        }
    }
    let mut got = imports.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want, "{name}");
}

#[test]
fn terraform_parses_back_to_the_input_specs() {
    for (name, input) in combos() {
        let all = ExistingIds {
            group_arn: Some("arn:aws:xray:us-east-1:123456789012:group/Cruddur/ABC".into()),
            rule_arn: Some("arn:aws:xray:us-east-1:123456789012:sampling-rule/Cruddur".into()),
            log_groups: input.log_groups.iter().map(|l| l.name.clone()).collect(),
        };
        check_tf(name, &input, &all);
        check_tf(name, &input, &ExistingIds::default());
        let some = ExistingIds {
            group_arn: None,
            rule_arn: Some("arn".into()),
            log_groups: vec!["cruddur".into(), "unknown".into()],
        };
        check_tf(name, &input, &some);
    }
}

#[test]
fn terraform_escapes_template_sequences_in_values() {
    let mut input = default_input();
    if let Some(g) = input.group.as_mut() {
        g.filter_expression = "service(\"backend-flask\") AND annotation.a = \"${x}%{y}\\\"".into();
        g.tags.insert("note".into(), "${not.a.reference}".into());
    }
    let text = terraform(&input, &ExistingIds::default());
    assert!(text.contains("$${x}%%{y}"), "{text}");
    assert!(text.contains("\\\"${var.service_name}\\\""), "{text}");
    check_tf("escapes", &input, &ExistingIds::default());
    let tf = tf_eval(&text);
    assert_eq!(
        tf["resource"]["aws_xray_group"]["cruddur"]["tags"]["note"],
        "${not.a.reference}"
    );
}

#[test]
fn terraform_notes_the_missing_sampling_rate_boost() {
    let text = terraform(&custom_rule_input(), &ExistingIds::default());
    assert!(text.contains(
        "# SamplingRateBoost (MaxRate 0.5, CooldownWindowMinutes 10) is not exported:\n"
    ));
}
