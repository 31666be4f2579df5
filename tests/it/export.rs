//! `export cloudformation | terraform` write the objects `init` creates,
//! with the same properties (one source of truth), linted by cfn-lint, parsed as HCL.

use crate::common::{tool, Moto};
use crate::harness::{snapshot_all, Test};
use serde_json::Value;
use xray_emulator::Emulator;

fn cfn_lint(path: &std::path::Path) {
    let lint = tool("CRUDDUR_OBS_CFN_LINT", "cfn-lint");
    let out = std::process::Command::new(&lint)
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} ({e}): run scripts/test.sh", lint.display()));
    assert!(
        out.status.success(),
        "cfn-lint: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "needs scripts/test.sh: moto_server"]
fn the_template_holds_exactly_what_init_creates() {
    let emu = Emulator::start().unwrap();
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let options = [
        "--log-group",
        "cruddur",
        "--log-group",
        "cruddur-worker",
        "--retention-days",
        "14",
    ];
    // Runs in the same dir, against the emulator and moto.
    let test = || {
        Test::in_dir(dir.path())
            .env("AWS_ENDPOINT_URL_XRAY", emu.url())
            .env("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", &moto.url)
            .env("AWS_ENDPOINT_URL_STS", &moto.url)
    };
    let exported = test()
        .fixture("compose/bootcamp-week1.yml", "docker-compose.yml")
        .args(["export", "cloudformation", "--out", "cfn.yaml", "--yes"])
        .args(options)
        .unchanged("docker-compose.yml")
        .run_for_snapshot();
    let template = std::fs::read_to_string(dir.path().join("cfn.yaml")).unwrap();
    cfn_lint(&dir.path().join("cfn.yaml"));
    let doc: Value = serde_saphyr::from_str(&template).unwrap();

    test()
        .args(["init", "--yes", "--without", "honeycomb"])
        .args(options)
        .snapshot("export_the_template_holds_exactly_what_init_creates");

    // X-Ray: the group and the rule as the emulator holds them.
    let resources = doc["Resources"].as_object().unwrap();
    let of_type = |t: &str| -> Vec<&Value> {
        resources
            .values()
            .filter(|r| r["Type"] == t)
            .map(|r| &r["Properties"])
            .collect()
    };
    let group = emu.with_region("us-east-1", |s| {
        s.dispatch("GetGroup", &serde_json::json!({"GroupName": "Cruddur"}), 10)
            .unwrap()
    });
    let cfn_group = of_type("AWS::XRay::Group")[0];
    assert_eq!(cfn_group["GroupName"], group["Group"]["GroupName"]);
    let filter = cfn_group["FilterExpression"]
        .get("Fn::Sub")
        .cloned()
        .unwrap_or(cfn_group["FilterExpression"].clone());
    assert_eq!(
        filter
            .as_str()
            .unwrap()
            .replace("${ServiceName}", "backend-flask"),
        group["Group"]["FilterExpression"].as_str().unwrap()
    );
    let rules = emu.with_region("us-east-1", |s| {
        s.dispatch("GetSamplingRules", &serde_json::json!({}), 100)
            .unwrap()
    });
    let rule = rules["SamplingRuleRecords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["SamplingRule"])
        .find(|r| r["RuleName"] == "Cruddur")
        .unwrap();
    let cfn_rule = &of_type("AWS::XRay::SamplingRule")[0]["SamplingRule"];
    for field in [
        "RuleName",
        "ResourceARN",
        "Priority",
        "ReservoirSize",
        "ServiceType",
        "Host",
        "HTTPMethod",
        "URLPath",
        "Version",
    ] {
        assert_eq!(cfn_rule[field], rule[field], "{field}");
    }
    assert_eq!(cfn_rule["FixedRate"].as_f64(), rule["FixedRate"].as_f64());

    // Logs: each group with the retention moto holds.
    let logs = crate::common::aws_ok(&moto.url, &["logs", "describe-log-groups"]);
    let cfn_logs = of_type("AWS::Logs::LogGroup");
    assert_eq!(cfn_logs.len(), 2);
    for g in logs["logGroups"].as_array().unwrap() {
        let cfn = cfn_logs
            .iter()
            .find(|c| c["LogGroupName"] == g["logGroupName"])
            .unwrap_or_else(|| panic!("{g} is not in the template"));
        let days = match &cfn["RetentionInDays"] {
            Value::Object(r) => doc["Parameters"][r["Ref"].as_str().unwrap()]["Default"].clone(),
            v => v.clone(),
        };
        assert_eq!(days.as_i64(), g["retentionInDays"].as_i64(), "{g}");
    }

    // Now that they exist, the import file names them by their identifiers.
    let with_import = test()
        .args(["export", "cloudformation", "--out", "cfn.yaml"])
        .args(["--import-file", "import.json", "--yes"])
        .args(options)
        .run_for_snapshot();
    snapshot_all(
        "export_cloudformation_to_files_then_with_import_file",
        [&exported, &with_import],
    );
    let imports: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("import.json")).unwrap())
            .unwrap();
    let ids: Vec<String> = imports
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i["ResourceIdentifier"]
                .as_object()
                .unwrap()
                .values()
                .next()
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        ids.contains(&group["Group"]["GroupARN"].as_str().unwrap().to_string()),
        "{ids:?}"
    );
    assert!(ids.contains(&"cruddur-worker".to_string()), "{ids:?}");
    assert_eq!(ids.len(), 4, "{ids:?}");
}

#[test]
#[ignore = "needs scripts/test.sh: cfn-lint"]
fn export_is_deterministic_lints_clean_and_refuses_what_init_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let combos: Vec<Vec<&str>> = vec![
        vec![],
        vec!["--insights"],
        vec!["--without", "xray"],
        vec!["--without", "logs"],
        vec!["--iam-policy"],
        vec![
            "--class",
            "INFREQUENT_ACCESS",
            "--kms-key-id",
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ],
        vec![
            "--log-group",
            "a",
            "--log-group",
            "b/c",
            "--retention-days",
            "3653",
            "--iam-policy",
            "--insights",
        ],
    ];
    for (i, combo) in combos.iter().enumerate() {
        let run = || {
            Test::new()
                .args(["export", "cloudformation"])
                .args(combo.iter().copied())
                .stderr("")
                .stdout_any()
                .run()
        };
        let (a, b) = (run(), run());
        assert_eq!(a.stdout, b.stdout, "{combo:?}: not deterministic");
        let path = dir.path().join(format!("t{i}.yaml"));
        std::fs::write(&path, &a.stdout).unwrap();
        cfn_lint(&path);
        let tf = Test::new()
            .args(["export", "terraform"])
            .args(combo.iter().copied())
            .stderr("")
            .stdout_any()
            .run();
        let body: hcl::Body =
            hcl::from_str(&tf.stdout).unwrap_or_else(|e| panic!("{combo:?}: {e}"));
        assert!(
            body.blocks().any(|b| b.identifier() == "resource"),
            "{combo:?}"
        );
    }
    // Invalid options are refused exactly as for init, before anything is written.
    let mut refusals = Vec::new();
    for bad in [
        vec!["--retention-days", "8"],
        vec!["--log-group", "aws/x"],
        vec!["--cli-input-json", "file:///nonexistent.json"],
    ] {
        let export = Test::in_dir(dir.path())
            .args(["export", "cloudformation", "--out", "never.yaml"])
            .args(bad.iter().copied())
            .status(2)
            .stdout("")
            .absent("never.yaml")
            .run_for_snapshot();
        let init = Test::in_dir(dir.path())
            .args(["init", "--dry-run"])
            .args(bad.iter().copied())
            .status(2)
            .run_for_snapshot();
        assert_eq!(
            export.stderr.lines().next(),
            init.stderr.lines().next(),
            "{bad:?}"
        );
        refusals.extend([export, init]);
    }
    snapshot_all("export_refuses_what_init_refuses", &refusals);
}
