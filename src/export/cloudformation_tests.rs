use super::super::fixtures::*;
use super::*;
use crate::logs::LogClass;
use crate::xray::SamplingRule;
use serde_json::{json, Value};

/// Replaces `Ref`/`Fn::Sub` over parameters by the parameters' defaults.
fn resolve(v: &Value, params: &Value) -> Value {
    match v {
        Value::Object(o) if o.len() == 1 && o.contains_key("Ref") => {
            let name = o["Ref"].as_str().unwrap();
            match params.get(name) {
                Some(p) => p["Default"].clone(),
                None => v.clone(),
            }
        }
        Value::Object(o) if o.len() == 1 && o.contains_key("Fn::Sub") => {
            let mut s = o["Fn::Sub"].as_str().unwrap().to_string();
            for (name, p) in params.as_object().unwrap() {
                let value = match &p["Default"] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                s = s.replace(&format!("${{{name}}}"), &value);
            }
            Value::String(s.replace("${!", "${"))
        }
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), resolve(v, params)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| resolve(v, params)).collect()),
        other => other.clone(),
    }
}

/// Parses the template back and checks every resource against the input specs.
fn check_cfn_round_trip(name: &str, input: &ExportInput) {
    let doc = parse_yaml(&cloudformation(input));
    assert_eq!(doc["AWSTemplateFormatVersion"], "2010-09-09", "{name}");
    let params = doc.get("Parameters").cloned().unwrap_or(json!({}));
    let resources = resolve(&doc["Resources"], &params);
    let plan = Plan::new(input);
    let mut expected_count = 0;

    if let Some(g) = &input.group {
        expected_count += 1;
        let r = &resources[GROUP_ID];
        assert_eq!(r["Type"], "AWS::XRay::Group");
        assert_eq!(r["DeletionPolicy"], "Retain");
        let p = &r["Properties"];
        assert_eq!(p["GroupName"], g.name.as_str(), "{name}");
        assert_eq!(
            p["FilterExpression"],
            g.filter_expression.as_str(),
            "{name}"
        );
        match g.insights {
            Some(on) => assert_eq!(
                p["InsightsConfiguration"],
                json!({"InsightsEnabled": on, "NotificationsEnabled": false})
            ),
            None => assert!(p.get("InsightsConfiguration").is_none()),
        }
        assert_eq!(
            cfn_tags_of(&p["Tags"]),
            export_tags(&g.tags, "cloudformation")
        );
    } else {
        assert!(resources.get(GROUP_ID).is_none());
    }

    if let Some(spec) = &input.rule {
        expected_count += 1;
        let r = &resources[RULE_ID];
        assert_eq!(r["Type"], "AWS::XRay::SamplingRule");
        let rule: SamplingRule = serde_json::from_value(r["Properties"]["SamplingRule"].clone())
            .unwrap_or_else(|e| panic!("{name}: SamplingRule does not read back: {e}"));
        let mut want = spec.rule.clone();
        want.rule_name = Some(spec.name.clone());
        want.rule_arn = None;
        assert_eq!(rule, want, "{name}");
        assert_eq!(
            cfn_tags_of(&r["Properties"]["Tags"]),
            export_tags(&spec.tags, "cloudformation")
        );
    } else {
        assert!(resources.get(RULE_ID).is_none());
    }

    for lg in &plan.log_groups {
        expected_count += 1;
        let r = &resources[lg.cfn_id.as_str()];
        assert_eq!(r["Type"], "AWS::Logs::LogGroup");
        assert_eq!(r["DeletionPolicy"], "Retain");
        assert_eq!(r["UpdateReplacePolicy"], "Retain");
        let p = &r["Properties"];
        assert_eq!(p["LogGroupName"], lg.spec.name.as_str());
        assert_eq!(p["RetentionInDays"], lg.spec.retention_days, "{name}");
        assert_eq!(
            p.get("LogGroupClass").and_then(Value::as_str),
            lg.spec.class.map(LogClass::as_str)
        );
        assert_eq!(
            p.get("KmsKeyId").and_then(Value::as_str),
            lg.spec.kms_key_id.as_deref()
        );
        assert_eq!(
            cfn_tags_of(&p["Tags"]),
            export_tags(&lg.spec.tags, "cloudformation")
        );
        assert_eq!(
            doc["Outputs"][lg.cfn_output.as_str()]["Value"],
            json!({"Ref": lg.cfn_id})
        );
    }

    if let Some(policy) = &input.iam_policy {
        expected_count += 1;
        assert_eq!(
            resources[POLICY_ID]["Properties"]["PolicyDocument"],
            *policy
        );
    }
    assert_eq!(
        resources.as_object().unwrap().len(),
        expected_count,
        "{name}"
    );
    for (id, r) in resources.as_object().unwrap() {
        assert_eq!(r["DeletionPolicy"], "Retain", "{name}: {id}");
        assert_eq!(r["UpdateReplacePolicy"], "Retain", "{name}: {id}");
    }
}

#[test]
fn cloudformation_parses_back_to_the_input_specs() {
    for (name, input) in combos() {
        check_cfn_round_trip(name, &input);
    }
}

#[test]
fn default_template_snapshot() {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::assert_snapshot!("cfn_default", cloudformation(&default_input()));
        let existing = ExistingIds {
            group_arn: Some("arn:aws:xray:us-east-1:123456789012:group/Cruddur/ABC".into()),
            rule_arn: Some("arn:aws:xray:us-east-1:123456789012:sampling-rule/Cruddur".into()),
            log_groups: vec!["cruddur".into()],
        };
        insta::assert_snapshot!(
            "cfn_import_default",
            cloudformation_import(&default_input(), &existing)
        );
    });
}

#[test]
fn header_says_how_to_deploy_and_adopt() {
    let plain = cloudformation(&default_input());
    assert!(plain.contains(
        "aws cloudformation deploy \\\n#     --template-file cruddur-obs.cfn.yaml \\\n#     --stack-name cruddur-observability\n"
    ));
    assert!(plain.contains("cruddur-obs export cloudformation --import-file import.json"));
    assert!(plain.contains("--change-set-type IMPORT"));
    assert!(plain.contains("--resources-to-import file://import.json"));
    assert!(!plain.contains("--capabilities"));
    let mut input = default_input();
    input.iam_policy = Some(policy());
    assert_eq!(required_capability(&input), Some("CAPABILITY_IAM"));
    assert!(cloudformation(&input).contains("--capabilities CAPABILITY_IAM\n"));
}

#[test]
fn yaml_strings_and_keys_read_back_unchanged() {
    // Whatever the text, as a value and as a key (IAM condition keys, sampling rule
    // attributes, tags), it reads back unchanged.
    for s in [
        "Cruddur",
        "AWS::XRay::Group",
        "/cruddur/x",
        "*",
        "yes",
        "Off",
        "null",
        "2010-09-09",
        "123",
        "a: b",
        "key:",
        "#x",
        "",
        "service(\"backend-flask\")",
        "tab\there\n\u{7f}",
        "- x",
        "{x}",
        "[1]",
        "&a",
        "!Ref x",
        "'q'",
        "\"",
        "\\",
        "é ☃",
        "\u{85}",
        "aws:SourceArn",
        "${x} %{y}",
    ] {
        let mut map = Map::new();
        map.insert(s.to_string(), json!(s));
        let doc = Value::Object(map);
        let text = to_yaml(&doc);
        assert_eq!(parse_yaml(&text), doc, "{s:?}\n{text}");
    }
    // YAML 1.1 readers (PyYAML in cfn-lint) take these for booleans, null, dates or
    // numbers unless they are quoted.
    for s in ["yes", "Off", "y", "null", "~", "2010-09-09", "123", "0.1"] {
        let text = to_yaml(&json!({"k": s}));
        assert_ne!(text, format!("k: {s}\n"), "{s:?} is not quoted");
    }
    for f in [1.0, 0.1, 1e-7] {
        let text = to_yaml(&json!({"k": f}));
        assert_eq!(parse_yaml(&text)["k"].as_f64(), Some(f), "{text}");
    }
}

#[test]
fn import_file_lists_existing_objects_with_schema_identifiers() {
    let input = many_log_groups_input();
    let existing = ExistingIds {
        group_arn: Some("arn:aws:xray:us-east-1:123456789012:group/Cruddur/ABC".into()),
        rule_arn: Some("arn:aws:xray:us-east-1:123456789012:sampling-rule/Cruddur".into()),
        log_groups: vec![
            "/cruddur/backend-flask".into(),
            "not-in-template".into(),
            "/cruddur/backend-flask".into(),
        ],
    };
    let v: Value = serde_json::from_str(&cloudformation_import(&input, &existing)).unwrap();
    let plan = Plan::new(&input);
    let lg = plan.log_group_by_name("/cruddur/backend-flask").unwrap();
    assert_eq!(
        v,
        json!([
            {"ResourceType": "AWS::XRay::Group", "LogicalResourceId": "CruddurGroup",
             "ResourceIdentifier": {"GroupARN": "arn:aws:xray:us-east-1:123456789012:group/Cruddur/ABC"}},
            {"ResourceType": "AWS::XRay::SamplingRule", "LogicalResourceId": "CruddurSamplingRule",
             "ResourceIdentifier": {"RuleARN": "arn:aws:xray:us-east-1:123456789012:sampling-rule/Cruddur"}},
            {"ResourceType": "AWS::Logs::LogGroup", "LogicalResourceId": lg.cfn_id,
             "ResourceIdentifier": {"LogGroupName": "/cruddur/backend-flask"}}
        ])
    );
    // Every logical id in the import file is a resource of the template.
    let doc = parse_yaml(&cloudformation(&input));
    for item in v.as_array().unwrap() {
        let id = item["LogicalResourceId"].as_str().unwrap();
        assert_eq!(doc["Resources"][id]["Type"], item["ResourceType"]);
    }
    // Nothing in the template: nothing to import.
    let mut none = input.clone();
    none.group = None;
    none.rule = None;
    none.log_groups.clear();
    assert_eq!(cloudformation_import(&none, &existing), "[]\n");
}

/// Runs cfn-lint (path in `CRUDDUR_OBS_CFN_LINT`) on the template of every combination;
/// any error or warning fails the test.
#[test]
#[ignore = "needs scripts/test.sh: cfn-lint"]
fn cfn_lint_accepts_every_combination() {
    let Some(cfn_lint) = std::env::var_os("CRUDDUR_OBS_CFN_LINT") else {
        panic!(
            "CRUDDUR_OBS_CFN_LINT is not set: point it at a cfn-lint executable \
             (python3 -m venv venv && venv/bin/pip install cfn-lint; \
             CRUDDUR_OBS_CFN_LINT=$PWD/venv/bin/cfn-lint cargo test)"
        );
    };
    let dir = std::env::temp_dir().join(format!("cruddur-obs-cfn-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for (name, input) in combos() {
        let path = dir.join(format!("{name}.cfn.yaml"));
        std::fs::write(&path, cloudformation(&input)).unwrap();
        files.push(path);
    }
    let out = std::process::Command::new(&cfn_lint)
        .arg("--")
        .args(&files)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", cfn_lint.to_string_lossy()));
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "cfn-lint failed ({}), templates kept in {}:\n{report}",
        out.status,
        dir.display()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
