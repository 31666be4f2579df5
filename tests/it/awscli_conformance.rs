//! The X-Ray emulator checked by a client nobody here wrote: awscli (botocore's own
//! service model) must succeed against it and parse every response, and a rule made
//! by `cruddur-obs` must read back identical to one made by awscli from the same JSON.
//!
//! awscli comes from the test setup (`scripts/test.sh` installs it into `.venv`).

use std::process::Output;

use crate::common::{aws_in, bundled_rule, repo, stderr, stdout};
use crate::harness::Test;
use serde_json::{json, Value};
use xray_emulator::Emulator;

struct Aws<'a> {
    emu: &'a Emulator,
    region: &'a str,
}

impl Aws<'_> {
    fn run(&self, args: &[&str]) -> Output {
        let mut all = vec!["xray"];
        all.extend_from_slice(args);
        aws_in(&self.emu.url(), self.region, &all)
    }

    /// Runs a command that must succeed and returns its parsed JSON output.
    fn ok(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "aws xray {args:?} failed: {}",
            stderr(&out)
        );
        let text = stdout(&out);
        if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
        }
    }
}

fn without_arn_and_times(record: &Value) -> Value {
    let mut rule = record["SamplingRule"].clone();
    rule.as_object_mut().unwrap().remove("RuleARN");
    rule
}

#[test]
#[ignore = "needs scripts/test.sh: aws"]
fn awscli_drives_every_operation_and_reads_back_what_it_wrote() {
    let emu = Emulator::start().unwrap();
    let aws = Aws {
        emu: &emu,
        region: "us-east-1",
    };

    let created = aws.ok(&[
        "create-group",
        "--group-name",
        "Cruddur",
        "--filter-expression",
        "service(\"backend-flask\")",
        "--tags",
        "Key=project,Value=cruddur",
    ]);
    let arn = created["Group"]["GroupARN"].as_str().unwrap().to_string();
    assert!(arn.starts_with("arn:aws:xray:us-east-1:"), "{arn}");
    assert_eq!(
        created["Group"]["FilterExpression"],
        "service(\"backend-flask\")"
    );

    let got = aws.ok(&["get-group", "--group-name", "Cruddur"]);
    assert_eq!(got["Group"], created["Group"]);
    let got = aws.ok(&["get-group", "--group-arn", &arn]);
    assert_eq!(got["Group"]["GroupName"], "Cruddur");

    let groups = aws.ok(&["get-groups"]);
    let names: Vec<&str> = groups["Groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["GroupName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Default", "Cruddur"]);

    let updated = aws.ok(&[
        "update-group",
        "--group-name",
        "Cruddur",
        "--filter-expression",
        "service(\"frontend\")",
        "--insights-configuration",
        "InsightsEnabled=true",
    ]);
    assert_eq!(
        updated["Group"]["FilterExpression"],
        "service(\"frontend\")"
    );
    assert_eq!(
        updated["Group"]["InsightsConfiguration"]["InsightsEnabled"],
        true
    );
    let got = aws.ok(&["get-group", "--group-name", "Cruddur"]);
    assert_eq!(got["Group"], updated["Group"]);

    let tags = aws.ok(&["list-tags-for-resource", "--resource-arn", &arn]);
    assert_eq!(
        tags["Tags"],
        json!([{"Key": "project", "Value": "cruddur"}])
    );
    aws.ok(&[
        "tag-resource",
        "--resource-arn",
        &arn,
        "--tags",
        "Key=team,Value=web",
    ]);
    aws.ok(&[
        "untag-resource",
        "--resource-arn",
        &arn,
        "--tag-keys",
        "project",
    ]);
    let tags = aws.ok(&["list-tags-for-resource", "--resource-arn", &arn]);
    assert_eq!(tags["Tags"], json!([{"Key": "team", "Value": "web"}]));

    let file = format!(
        "file://{}",
        repo().join("templates/xray-sampling-rule.json").display()
    );
    let created = aws.ok(&["create-sampling-rule", "--cli-input-json", &file]);
    let written: Value = serde_json::from_str(&bundled_rule()).unwrap();
    let mut expected = written["SamplingRule"].clone();
    expected["Attributes"] = json!({});
    assert_eq!(
        without_arn_and_times(&created["SamplingRuleRecord"]),
        expected
    );
    assert!(created["SamplingRuleRecord"]["CreatedAt"].is_number());

    let rules = aws.ok(&["get-sampling-rules"]);
    let records = rules["SamplingRuleRecords"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(without_arn_and_times(&records[0]), expected);
    assert_eq!(records[1]["SamplingRule"]["RuleName"], "Default");
    assert_eq!(records[1]["SamplingRule"]["Priority"], 10000);

    let updated = aws.ok(&[
        "update-sampling-rule",
        "--sampling-rule-update",
        "RuleName=Cruddur,FixedRate=0.25,ReservoirSize=2",
    ]);
    assert_eq!(
        updated["SamplingRuleRecord"]["SamplingRule"]["FixedRate"],
        0.25
    );
    let rules = aws.ok(&["get-sampling-rules"]);
    assert_eq!(
        rules["SamplingRuleRecords"][0]["SamplingRule"]["ReservoirSize"],
        2
    );

    let deleted = aws.ok(&["delete-sampling-rule", "--rule-name", "Cruddur"]);
    assert_eq!(
        deleted["SamplingRuleRecord"]["SamplingRule"]["RuleName"],
        "Cruddur"
    );
    aws.ok(&["delete-group", "--group-name", "Cruddur"]);
    let groups = aws.ok(&["get-groups"]);
    assert_eq!(groups["Groups"].as_array().unwrap().len(), 1);
    let rules = aws.ok(&["get-sampling-rules"]);
    assert_eq!(rules["SamplingRuleRecords"].as_array().unwrap().len(), 1);
}

#[test]
#[ignore = "needs scripts/test.sh: aws"]
fn awscli_understands_the_emulator_errors() {
    let emu = Emulator::start().unwrap();
    let aws = Aws {
        emu: &emu,
        region: "us-east-1",
    };
    let cases: [(&[&str], &str); 4] = [
        (&["get-group", "--group-name", "Nope"], "(InvalidRequestException) when calling the GetGroup operation: Group not found"),
        (&["delete-sampling-rule", "--rule-name", "Default"], "(InvalidRequestException) when calling the DeleteSamplingRule operation: The Default sampling rule cannot be deleted"),
        (&["list-tags-for-resource", "--resource-arn", "arn:aws:xray:us-east-1:1:group/x"], "(ResourceNotFoundException) when calling the ListTagsForResource operation"),
        (&["create-group", "--group-name", "Default"], "(InvalidRequestException) when calling the CreateGroup operation: Default is a reserved group name"),
    ];
    for (args, expected) in cases {
        let out = aws.run(args);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
#[ignore = "needs scripts/test.sh: aws"]
fn rules_from_cruddur_obs_and_from_awscli_read_back_identical() {
    let emu = Emulator::start().unwrap();
    let file = format!(
        "file://{}",
        repo().join("templates/xray-sampling-rule.json").display()
    );

    Test::new()
        .endpoint(&emu.url())
        .args(["xray", "create-sampling-rule", "--region", "eu-west-1"])
        .args(["--cli-input-json", &file])
        .stdout("X-Ray sampling rule Cruddur: created\n")
        .stderr("")
        .run();
    Aws {
        emu: &emu,
        region: "eu-central-1",
    }
    .ok(&["create-sampling-rule", "--cli-input-json", &file]);

    let read = |region| {
        let rules = Aws { emu: &emu, region }.ok(&["get-sampling-rules"]);
        without_arn_and_times(&rules["SamplingRuleRecords"][0])
    };
    let ours = read("eu-west-1");
    assert_eq!(ours["RuleName"], "Cruddur");
    assert_eq!(ours, read("eu-central-1"));

    // And each tool sees the other's rule as in sync.
    Test::new()
        .endpoint(&emu.url())
        .args(["xray", "create-sampling-rule", "--region", "eu-central-1"])
        .stdout("X-Ray sampling rule Cruddur: in sync\n")
        .stderr("")
        .run();
    assert!(emu
        .mutating_requests()
        .iter()
        .all(|r| r.operation == "CreateSamplingRule"));
}
