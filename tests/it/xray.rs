//! The real binary against the X-Ray emulator: create, converge, drift, dry run,
//! bad input, faults, and the errors a user sees.

use std::time::{Duration, Instant};

use crate::common::{cruddur, stderr, stdout};
use serde_json::{json, Value};
use xray_emulator::{Emulator, Fault, FaultKind, Options};

fn rules(emu: &Emulator, region: &str) -> Vec<Value> {
    emu.with_region(region, |s| {
        s.dispatch("GetSamplingRules", &json!({}), 100).unwrap()["SamplingRuleRecords"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["SamplingRule"].clone())
            .collect()
    })
}

fn rule_named(emu: &Emulator, region: &str, name: &str) -> Option<Value> {
    rules(emu, region)
        .into_iter()
        .find(|r| r["RuleName"] == name)
}

fn group_named(emu: &Emulator, region: &str, name: &str) -> Option<Value> {
    emu.with_region(region, |s| {
        s.dispatch("GetGroup", &json!({"GroupName": name}), 100)
            .ok()
            .map(|g| g["Group"].clone())
    })
}

fn write_rule(dir: &tempfile::TempDir, field: &str, value: Value) -> String {
    let mut doc: Value = serde_json::from_str(cruddur_obs::testing::xray::BUNDLED_RULE).unwrap();
    if value.is_null() {
        doc["SamplingRule"].as_object_mut().unwrap().remove(field);
    } else {
        doc["SamplingRule"][field] = value;
    }
    let path = dir.path().join(format!("{field}.json"));
    std::fs::write(&path, doc.to_string()).unwrap();
    path.display().to_string()
}

#[test]
fn creates_the_group_and_the_rule_then_a_second_run_changes_nothing() {
    let emu = Emulator::start().unwrap();
    let out = cruddur(&emu.url())
        .args(["xray", "create-group"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "X-Ray group Cruddur: created\n");
    let out = cruddur(&emu.url())
        .args(["xray", "create-sampling-rule"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "X-Ray sampling rule Cruddur: created\n");

    let group = group_named(&emu, "us-east-1", "Cruddur").expect("group exists");
    assert_eq!(group["FilterExpression"], "service(\"backend-flask\")");
    let rule = rule_named(&emu, "us-east-1", "Cruddur").expect("rule exists");
    assert_eq!(rule["ServiceName"], "backend-flask");
    assert_eq!(rule["Priority"], 9000);
    assert_eq!(rule["FixedRate"], 0.1);
    assert_eq!(emu.mutating_requests().len(), 2);

    for sub in ["create-group", "create-sampling-rule"] {
        let out = cruddur(&emu.url()).args(["xray", sub]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stdout(&out).ends_with(": in sync\n"), "{}", stdout(&out));
    }
    let status = cruddur(&emu.url())
        .args(["xray", "status"])
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(0));
    assert_eq!(
        stdout(&status),
        "X-Ray group Cruddur: in sync\nX-Ray sampling rule Cruddur: in sync\n"
    );
    assert_eq!(
        emu.mutating_requests().len(),
        2,
        "converged runs must not write"
    );
}

#[test]
fn drift_is_shown_needs_agreement_and_is_fixed_with_yes() {
    let emu = Emulator::start().unwrap();
    let mut drifted: Value =
        serde_json::from_str(cruddur_obs::testing::xray::BUNDLED_RULE).unwrap();
    drifted["SamplingRule"]["FixedRate"] = json!(0.5);
    drifted["SamplingRule"]["Host"] = json!("example.com");
    emu.with_region("us-east-1", |s| {
        s.dispatch("CreateSamplingRule", &drifted, 10)
    })
    .unwrap();

    // No terminal and no --yes: show the difference, change nothing, exit 5.
    let out = cruddur(&emu.url())
        .args(["xray", "create-sampling-rule"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let err = stderr(&out);
    assert!(err.contains("FixedRate: 0.5 -> 0.1"), "{err}");
    assert!(err.contains("Host: example.com -> *"), "{err}");
    assert!(err.contains("help: run it on a terminal"), "{err}");
    assert!(emu.mutating_requests().is_empty());

    // Dry run: the same difference on stdout, exit 3, nothing written.
    let out = cruddur(&emu.url())
        .args(["xray", "create-sampling-rule", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(stdout(&out).contains("would be updated\n    FixedRate: 0.5 -> 0.1"));
    assert!(emu.mutating_requests().is_empty());

    let out = cruddur(&emu.url())
        .args(["xray", "create-sampling-rule", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("X-Ray sampling rule Cruddur: updated"));
    let rule = rule_named(&emu, "us-east-1", "Cruddur").unwrap();
    assert_eq!(
        (rule["FixedRate"].clone(), rule["Host"].clone()),
        (json!(0.1), json!("*"))
    );
    let ops: Vec<String> = emu
        .mutating_requests()
        .into_iter()
        .map(|r| r.operation)
        .collect();
    assert_eq!(ops, ["UpdateSamplingRule"]);
}

#[test]
fn group_filter_and_tags_converge() {
    let emu = Emulator::start().unwrap();
    emu.with_region("us-east-1", |s| {
        s.dispatch(
            "CreateGroup",
            &json!({"GroupName": "Cruddur", "FilterExpression": "service(\"old\")",
                    "Tags": [{"Key": "owner", "Value": "someone"}]}),
            10,
        )
    })
    .unwrap();
    let out = cruddur(&emu.url())
        .args(["xray", "create-group", "--tag", "project=cruddur", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("FilterExpression: service(\"old\") -> service(\"backend-flask\")"),
        "{text}"
    );
    assert!(text.contains("Tags.project: (none) -> cruddur"), "{text}");
    let group = group_named(&emu, "us-east-1", "Cruddur").unwrap();
    assert_eq!(group["FilterExpression"], "service(\"backend-flask\")");
    let arn = group["GroupARN"].as_str().unwrap().to_string();
    let tags = emu.with_region("us-east-1", |s| {
        s.dispatch("ListTagsForResource", &json!({"ResourceARN": arn}), 10)
            .unwrap()
    });
    // Our tag added, someone else's kept.
    assert_eq!(
        tags["Tags"],
        json!([{"Key": "owner", "Value": "someone"}, {"Key": "project", "Value": "cruddur"}])
    );
}

#[test]
fn dry_run_on_a_fresh_account_reports_pending_work_and_writes_nothing() {
    let emu = Emulator::start().unwrap();
    let out = cruddur(&emu.url())
        .args(["xray", "create-group", "--dry-run", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["dry_run"], true);
    assert_eq!(doc["region"], "us-east-1");
    assert_eq!(doc["outcomes"][0]["kind"], "xray-group");
    assert_eq!(doc["outcomes"][0]["status"], "would-create");
    assert!(emu.mutating_requests().is_empty());
    assert!(group_named(&emu, "us-east-1", "Cruddur").is_none());
}

#[test]
fn invalid_rule_files_are_rejected_before_any_request() {
    let emu = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(String, &str)> = vec![
        (
            {
                let p = dir.path().join("bad.json");
                std::fs::write(&p, "{ not json").unwrap();
                p.display().to_string()
            },
            "is not a valid sampling rule file: key must be a string at line 1 column 3",
        ),
        (write_rule(&dir, "Priority", json!(0)), "SamplingRule.Priority = 0 is out of bounds: must be 1 to 9999"),
        (write_rule(&dir, "FixedRate", json!(1.5)), "SamplingRule.FixedRate = 1.5 is out of bounds: must be 0 to 1"),
        (
            write_rule(&dir, "RuleName", json!("R".repeat(40))),
            "SamplingRule.RuleName = \"RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR\" is out of bounds: 40 characters, 1 to 32 allowed",
        ),
        (write_rule(&dir, "URLPath", Value::Null), "missing field `URLPath`"),
    ];
    for (path, expected) in cases {
        let arg = format!("file://{path}");
        let out = cruddur(&emu.url())
            .args(["xray", "create-sampling-rule", "--cli-input-json", &arg])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{path}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.lines().next().unwrap().contains(expected), "{err}");
        assert!(err.contains("\nhelp: "), "{err}");
    }
    let out = cruddur(&emu.url())
        .args([
            "xray",
            "create-sampling-rule",
            "--cli-input-json",
            "/no/such/file.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("error: cannot read /no/such/file.json: No such file"));
    assert!(
        emu.requests().is_empty(),
        "nothing may be sent for bad input"
    );
}

#[test]
fn an_awscli_input_file_is_accepted_with_file_prefix_and_tags() {
    let emu = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("xray.json");
    std::fs::write(
        &path,
        r#"{"SamplingRule": {"RuleName": "Other", "ResourceARN": "*", "Priority": 100,
            "FixedRate": 1, "ReservoirSize": 0, "ServiceName": "*", "ServiceType": "*",
            "Host": "*", "HTTPMethod": "GET", "URLPath": "/api/*", "Version": 1,
            "Attributes": {"team": "web"}},
            "Tags": [{"Key": "project", "Value": "cruddur"}]}"#,
    )
    .unwrap();
    let arg = format!("file://{}", path.display());
    let out = cruddur(&emu.url())
        .args(["xray", "create-sampling-rule", "--cli-input-json", &arg])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rule = rule_named(&emu, "us-east-1", "Other").unwrap();
    assert_eq!(rule["Attributes"], json!({"team": "web"}));
    assert_eq!(rule["URLPath"], "/api/*");
    // The second run reads the tags too and finds nothing to do.
    let out = cruddur(&emu.url())
        .args(["xray", "create-sampling-rule", "--cli-input-json", &arg])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "X-Ray sampling rule Other: in sync\n");
    assert_eq!(emu.mutating_requests().len(), 1);
}

#[test]
fn throttling_is_retried_and_the_run_succeeds() {
    let emu = Emulator::start().unwrap();
    emu.inject(Fault::new(FaultKind::Throttle, 2).on("GetGroups"));
    let out = cruddur(&emu.url())
        .args(["xray", "create-group"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let statuses: Vec<(String, u16)> = emu
        .requests()
        .into_iter()
        .map(|r| (r.operation, r.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("GetGroups".to_string(), 429),
            ("GetGroups".to_string(), 429),
            ("GetGroups".to_string(), 200),
            ("CreateGroup".to_string(), 200)
        ]
    );
}

#[test]
fn throttling_that_never_ends_is_reported() {
    let emu = Emulator::start().unwrap();
    emu.inject(Fault::new(FaultKind::Throttle, 100));
    let out = cruddur(&emu.url())
        .env("AWS_MAX_ATTEMPTS", "2")
        .args(["xray", "create-group"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: GetGroups on X-Ray at http://127.0.0.1:"),
        "{err}"
    );
    assert!(err.contains("ThrottledException: Rate exceeded"), "{err}");
    assert!(err.contains("help: AWS kept throttling"), "{err}");
    assert_eq!(emu.requests().len(), 2, "AWS_MAX_ATTEMPTS is honoured");
}

#[test]
fn server_errors_are_retried() {
    let emu = Emulator::start().unwrap();
    emu.inject(Fault::new(FaultKind::ServerError, 1).on("CreateSamplingRule"));
    let out = cruddur(&emu.url())
        .args(["xray", "create-sampling-rule"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(rule_named(&emu, "us-east-1", "Cruddur").is_some());
}

#[test]
fn a_hanging_server_fails_within_the_timeout() {
    let emu = Emulator::start().unwrap();
    emu.inject(Fault::new(FaultKind::Hang, 10));
    let started = Instant::now();
    let out = cruddur(&emu.url())
        .args(["xray", "create-group", "--timeout", "2"])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("failed: no answer in time"), "{err}");
    assert!(err.contains("help: check the network"), "{err}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn connection_refused_is_one_clear_line() {
    let out = cruddur("http://127.0.0.1:1")
        .args(["xray", "create-group"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0]
            .starts_with("error: GetGroups on X-Ray at http://127.0.0.1:1 failed: cannot connect"),
        "{err}"
    );
    assert!(lines[0].contains("Connection refused"), "{err}");
    assert!(lines[1].starts_with("help: check --endpoint-url"), "{err}");
}

#[test]
fn missing_credentials_and_rejected_credentials_exit_4() {
    let emu = Emulator::start().unwrap();
    let out = cruddur(&emu.url())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(["xray", "create-group"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = stderr(&out);
    assert!(err.contains("failed: no AWS credentials found"), "{err}");
    assert!(err.contains("help: set AWS_ACCESS_KEY_ID"), "{err}");
    assert_eq!(err.lines().count(), 2, "no debug dump without -v: {err}");
    assert!(emu.requests().is_empty());

    emu.inject(Fault::new(FaultKind::RejectAuth, 5));
    let out = cruddur(&emu.url())
        .args(["xray", "create-group", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["exit_code"], 4);
    assert!(doc["error"]
        .as_str()
        .unwrap()
        .contains("UnrecognizedClientException"));
    assert!(!stderr(&out).contains(crate::common::SECRET_KEY));
}

#[test]
fn missing_region_is_bad_input_with_a_hint() {
    let emu = Emulator::start().unwrap();
    let out = cruddur(&emu.url())
        .env_remove("AWS_REGION")
        .args(["xray", "create-group"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: no AWS region is configured\nhelp: pass --region or set AWS_REGION (or a region in your AWS profile)\n"
    );
    assert!(emu.requests().is_empty());
}

#[test]
fn region_flag_and_the_sdk_service_endpoint_variable_are_honoured() {
    let emu = Emulator::start().unwrap();
    let out = crate::common::isolated("cruddur-obs")
        .env("AWS_ENDPOINT_URL_XRAY", emu.url())
        .args(["xray", "create-group", "--region", "ca-central-1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(group_named(&emu, "ca-central-1", "Cruddur").is_some());
    assert!(group_named(&emu, "us-east-1", "Cruddur").is_none());
}

#[test]
fn a_creation_race_converges() {
    let emu = Emulator::start().unwrap();
    emu.inject(Fault::new(FaultKind::Race, 1).on("CreateGroup"));
    emu.inject(Fault::new(FaultKind::Race, 1).on("CreateSamplingRule"));
    for sub in ["create-group", "create-sampling-rule"] {
        let out = cruddur(&emu.url()).args(["xray", sub]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(
            stdout(&out).ends_with("in sync (created meanwhile by someone else)\n"),
            "{}",
            stdout(&out)
        );
    }
}

#[test]
fn pagination_finds_resources_on_later_pages() {
    let emu = Emulator::start_with(Options { page_size: 2 }).unwrap();
    emu.with_region("us-east-1", |s| {
        for i in 0..5 {
            s.dispatch("CreateGroup", &json!({"GroupName": format!("g{i}")}), 2)
                .unwrap();
        }
        s.dispatch(
            "CreateGroup",
            &json!({"GroupName": "Cruddur", "FilterExpression": "service(\"backend-flask\")"}),
            2,
        )
        .unwrap();
    });
    let out = cruddur(&emu.url())
        .args(["xray", "create-group"])
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out),
        "X-Ray group Cruddur: in sync\n",
        "{}",
        stderr(&out)
    );
    let pages = emu
        .requests()
        .iter()
        .filter(|r| r.operation == "GetGroups")
        .count();
    assert_eq!(pages, 4);
}

#[test]
fn delete_removes_ours_and_tolerates_absence_but_never_touches_default() {
    let emu = Emulator::start().unwrap();
    for sub in ["create-group", "create-sampling-rule"] {
        cruddur(&emu.url()).args(["xray", sub]).assert().success();
    }
    let out = cruddur(&emu.url())
        .args(["xray", "delete"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "deletion asks first");
    let out = cruddur(&emu.url())
        .args(["xray", "delete", "--yes"])
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out),
        "X-Ray group Cruddur: deleted\nX-Ray sampling rule Cruddur: deleted\n"
    );
    assert!(group_named(&emu, "us-east-1", "Cruddur").is_none());
    assert!(rule_named(&emu, "us-east-1", "Cruddur").is_none());
    assert!(rule_named(&emu, "us-east-1", "Default").is_some());

    let out = cruddur(&emu.url())
        .args(["xray", "delete"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        "X-Ray group Cruddur: absent\nX-Ray sampling rule Cruddur: absent\n"
    );

    let before = emu.requests().len();
    for args in [["--rule-name", "Default"], ["--name", "Default"]] {
        let out = cruddur(&emu.url())
            .args(["xray", "delete", "--yes"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("\"Default\" is X-Ray's built-in"));
    }
    assert_eq!(emu.requests().len(), before);
}

#[test]
fn help_documents_every_xray_command() {
    let out = cruddur("http://unused")
        .args(["xray", "--help"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for sub in ["create-group", "create-sampling-rule", "status", "delete"] {
        assert!(text.contains(sub), "{text}");
        let help = cruddur("http://unused")
            .args(["xray", sub, "--help"])
            .output()
            .unwrap();
        assert_eq!(help.status.code(), Some(0), "{sub}: {}", stderr(&help));
        assert!(
            stdout(&help).contains("Usage: cruddur-obs xray"),
            "{sub}: {}",
            stdout(&help)
        );
    }
    for sub in ["create-group", "create-sampling-rule"] {
        let help = cruddur("http://unused")
            .args(["xray", sub, "--help"])
            .output()
            .unwrap();
        assert!(
            stdout(&help).contains("Example: cruddur-obs xray"),
            "{sub}: {}",
            stdout(&help)
        );
    }
}

#[test]
fn a_connection_reset_is_retried() {
    let emu = Emulator::start().unwrap();
    emu.inject(Fault::new(FaultKind::Reset, 1).on("CreateGroup"));
    let out = cruddur(&emu.url())
        .args(["xray", "create-group"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let creates: Vec<u16> = emu
        .requests()
        .into_iter()
        .filter(|r| r.operation == "CreateGroup")
        .map(|r| r.status)
        .collect();
    assert_eq!(creates, [0, 200], "reset (no answer), then created");
}
