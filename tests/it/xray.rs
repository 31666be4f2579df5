//! The real binary against the X-Ray emulator: create, converge, drift, dry run,
//! bad input, faults, and the errors a user sees.

use std::time::{Duration, Instant};

use crate::common::bundled_rule;
use crate::harness::{snapshot_all, Test};
use serde_json::{json, Value};
use xray_emulator::{Emulator, Fault, FaultKind, Options};

/// A run against the emulator.
fn on(emu: &Emulator) -> Test {
    Test::new().endpoint(&emu.url())
}

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
    let mut doc: Value = serde_json::from_str(&bundled_rule()).unwrap();
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
    on(&emu)
        .args(["xray", "create-group"])
        .stdout("X-Ray group Cruddur: created\n")
        .stderr("")
        .run();
    on(&emu)
        .args(["xray", "create-sampling-rule"])
        .stdout("X-Ray sampling rule Cruddur: created\n")
        .stderr("")
        .run();

    let group = group_named(&emu, "us-east-1", "Cruddur").expect("group exists");
    assert_eq!(group["FilterExpression"], "service(\"backend-flask\")");
    let rule = rule_named(&emu, "us-east-1", "Cruddur").expect("rule exists");
    assert_eq!(rule["ServiceName"], "backend-flask");
    assert_eq!(rule["Priority"], 9000);
    assert_eq!(rule["FixedRate"], 0.1);
    assert_eq!(emu.mutating_requests().len(), 2);

    on(&emu)
        .args(["xray", "create-group"])
        .stdout("X-Ray group Cruddur: in sync\n")
        .run();
    on(&emu)
        .args(["xray", "create-sampling-rule"])
        .stdout("X-Ray sampling rule Cruddur: in sync\n")
        .run();
    on(&emu)
        .args(["xray", "status"])
        .stdout("X-Ray group Cruddur: in sync\nX-Ray sampling rule Cruddur: in sync\n")
        .run();
    assert_eq!(
        emu.mutating_requests().len(),
        2,
        "converged runs must not write"
    );
}

#[test]
fn drift_is_shown_needs_agreement_and_is_fixed_with_yes() {
    let emu = Emulator::start().unwrap();
    let mut drifted: Value = serde_json::from_str(&bundled_rule()).unwrap();
    drifted["SamplingRule"]["FixedRate"] = json!(0.5);
    drifted["SamplingRule"]["Host"] = json!("example.com");
    emu.with_region("us-east-1", |s| {
        s.dispatch("CreateSamplingRule", &drifted, 10)
    })
    .unwrap();

    // No terminal and no --yes: show the difference, change nothing, exit 5.
    let asked = on(&emu)
        .args(["xray", "create-sampling-rule"])
        .status(5)
        .run_for_snapshot();
    assert!(emu.mutating_requests().is_empty());

    // Dry run: the same difference on stdout, exit 3, nothing written.
    let dry = on(&emu)
        .args(["xray", "create-sampling-rule", "--dry-run"])
        .status(3)
        .run_for_snapshot();
    assert!(emu.mutating_requests().is_empty());

    let updated = on(&emu)
        .args(["xray", "create-sampling-rule", "--yes"])
        .run_for_snapshot();
    snapshot_all("xray_sampling_rule_drift", [&asked, &dry, &updated]);
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
    on(&emu)
        .args(["xray", "create-group", "--tag", "project=cruddur", "--yes"])
        .snapshot("xray_group_filter_and_tags_updated");
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
    let doc = on(&emu)
        .args(["xray", "create-group", "--dry-run", "--output", "json"])
        .status(3)
        .stdout_any()
        .run()
        .json();
    assert_eq!(doc["error"], "dry run: nothing was changed");
    assert_eq!(doc["exit_code"], 3);
    let report = &doc["report"];
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["region"], "us-east-1");
    assert_eq!(report["outcomes"][0]["kind"], "xray-group");
    assert_eq!(report["outcomes"][0]["status"], "would-create");
    assert!(emu.mutating_requests().is_empty());
    assert!(group_named(&emu, "us-east-1", "Cruddur").is_none());
}

#[test]
fn invalid_rule_files_are_rejected_before_any_request() {
    let emu = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{ not json").unwrap();
    let paths = [
        bad.display().to_string(),
        write_rule(&dir, "Priority", json!(0)),
        write_rule(&dir, "FixedRate", json!(1.5)),
        write_rule(&dir, "RuleName", json!("R".repeat(40))),
        write_rule(&dir, "URLPath", Value::Null),
    ];
    let mut runs = Vec::new();
    for path in paths {
        runs.push(
            Test::in_dir(dir.path())
                .endpoint(&emu.url())
                .args(["xray", "create-sampling-rule", "--cli-input-json"])
                .arg(format!("file://{path}"))
                .status(2)
                .stdout("")
                .run_for_snapshot(),
        );
    }
    runs.push(
        on(&emu)
            .args(["xray", "create-sampling-rule", "--cli-input-json"])
            .arg("/no/such/file.json")
            .status(2)
            .stdout("")
            .run_for_snapshot(),
    );
    // Each names the file, the field and the bounds, with help.
    snapshot_all("xray_invalid_rule_files_refused", &runs);
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
    on(&emu)
        .args(["xray", "create-sampling-rule", "--cli-input-json", &arg])
        .stdout("X-Ray sampling rule Other: created\n")
        .run();
    let rule = rule_named(&emu, "us-east-1", "Other").unwrap();
    assert_eq!(rule["Attributes"], json!({"team": "web"}));
    assert_eq!(rule["URLPath"], "/api/*");
    // The second run reads the tags too and finds nothing to do.
    on(&emu)
        .args(["xray", "create-sampling-rule", "--cli-input-json", &arg])
        .stdout("X-Ray sampling rule Other: in sync\n")
        .run();
    assert_eq!(emu.mutating_requests().len(), 1);
}

#[test]
fn throttling_is_retried_and_the_run_succeeds() {
    let emu = Emulator::start().unwrap();
    emu.inject(Fault::new(FaultKind::Throttle, 2).on("GetGroups"));
    on(&emu)
        .args(["xray", "create-group"])
        .stdout("X-Ray group Cruddur: created\n")
        .run();
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
    on(&emu)
        .env("AWS_MAX_ATTEMPTS", "2")
        .args(["xray", "create-group"])
        .status(1)
        .stdout("")
        .snapshot("xray_throttled_to_the_end");
    assert_eq!(emu.requests().len(), 2, "AWS_MAX_ATTEMPTS is honoured");
}

#[test]
fn server_errors_are_retried() {
    let emu = Emulator::start().unwrap();
    emu.inject(Fault::new(FaultKind::ServerError, 1).on("CreateSamplingRule"));
    on(&emu)
        .args(["xray", "create-sampling-rule"])
        .snapshot("xray_server_errors_are_retried");
    assert!(rule_named(&emu, "us-east-1", "Cruddur").is_some());
}

#[test]
fn a_hanging_server_fails_within_the_timeout() {
    let emu = Emulator::start().unwrap();
    emu.inject(Fault::new(FaultKind::Hang, 10));
    let started = Instant::now();
    on(&emu)
        .args(["xray", "create-group", "--timeout", "2"])
        .timeout(30)
        .status(1)
        .stdout("")
        .snapshot("xray_no_answer_in_time");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn connection_refused_is_one_clear_line() {
    // An error line and a help line; port 1 is shown.
    Test::new()
        .endpoint("http://127.0.0.1:1")
        .args(["xray", "create-group"])
        .status(1)
        .stdout("")
        .keep_ports()
        .snapshot("xray_connection_refused");
}

#[test]
fn missing_credentials_and_rejected_credentials_exit_4() {
    let emu = Emulator::start().unwrap();
    // Two lines: no debug dump without -v.
    on(&emu)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(["xray", "create-group"])
        .status(4)
        .stdout("")
        .snapshot("xray_no_credentials");
    assert!(emu.requests().is_empty());

    emu.inject(Fault::new(FaultKind::RejectAuth, 5));
    let ran = on(&emu)
        .args(["xray", "create-group", "--output", "json"])
        .status(4)
        .stdout_any()
        .stderr_any()
        .run();
    let doc = ran.json();
    assert_eq!(doc["exit_code"], 4);
    assert!(doc["error"]
        .as_str()
        .unwrap()
        .contains("UnrecognizedClientException"));
    assert!(!ran.all_output().contains(crate::common::SECRET_KEY));
}

#[test]
fn missing_region_is_bad_input_with_a_hint() {
    let emu = Emulator::start().unwrap();
    on(&emu)
        .env_remove("AWS_REGION")
        .args(["xray", "create-group"])
        .status(2)
        .stdout("")
        .stderr("error: no AWS region is configured\nhelp: pass --region or set AWS_REGION (or a region in your AWS profile)\n")
        .run();
    assert!(emu.requests().is_empty());
}

#[test]
fn region_flag_and_the_sdk_service_endpoint_variable_are_honoured() {
    let emu = Emulator::start().unwrap();
    Test::new()
        .env("AWS_ENDPOINT_URL_XRAY", emu.url())
        .args(["xray", "create-group", "--region", "ca-central-1"])
        .stdout("X-Ray group Cruddur: created\n")
        .run();
    assert!(group_named(&emu, "ca-central-1", "Cruddur").is_some());
    assert!(group_named(&emu, "us-east-1", "Cruddur").is_none());
}

#[test]
fn a_creation_race_converges() {
    let emu = Emulator::start().unwrap();
    emu.inject(Fault::new(FaultKind::Race, 1).on("CreateGroup"));
    emu.inject(Fault::new(FaultKind::Race, 1).on("CreateSamplingRule"));
    on(&emu)
        .args(["xray", "create-group"])
        .stdout("X-Ray group Cruddur: in sync (created meanwhile by someone else)\n")
        .run();
    on(&emu)
        .args(["xray", "create-sampling-rule"])
        .stdout("X-Ray sampling rule Cruddur: in sync (created meanwhile by someone else)\n")
        .run();
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
    on(&emu)
        .args(["xray", "create-group"])
        .stdout("X-Ray group Cruddur: in sync\n")
        .run();
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
    on(&emu)
        .args(["xray", "create-group"])
        .snapshot("xray_delete_removes_ours_and_tolerates_absence_but_never_touches_default");
    on(&emu)
        .args(["xray", "create-sampling-rule"])
        .snapshot("xray_delete_removes_ours_and_tolerates_absence_but_never_touches_default_2");
    // Deletion asks first.
    on(&emu)
        .args(["xray", "delete"])
        .status(5)
        .snapshot("xray_delete_asks_first");
    on(&emu)
        .args(["xray", "delete", "--yes"])
        .stdout("X-Ray group Cruddur: deleted\nX-Ray sampling rule Cruddur: deleted\n")
        .snapshot("xray_delete_removes_ours_and_tolerates_absence_but_never_touches_default_3");
    assert!(group_named(&emu, "us-east-1", "Cruddur").is_none());
    assert!(rule_named(&emu, "us-east-1", "Cruddur").is_none());
    assert!(rule_named(&emu, "us-east-1", "Default").is_some());

    on(&emu)
        .args(["xray", "delete"])
        .stdout("X-Ray group Cruddur: absent\nX-Ray sampling rule Cruddur: absent\n")
        .run();

    let before = emu.requests().len();
    let refused: Vec<_> = [["--rule-name", "Default"], ["--name", "Default"]]
        .into_iter()
        .map(|args| {
            on(&emu)
                .args(["xray", "delete", "--yes"])
                .args(args)
                .status(2)
                .stdout("")
                .run_for_snapshot()
        })
        .collect();
    snapshot_all("xray_delete_refuses_default", &refused);
    assert_eq!(emu.requests().len(), before);
}

#[test]
fn help_documents_every_xray_command() {
    // Every command, with its usage; the two that create, with an example.
    // (Help is wrapped to COLUMNS: a fixed width, whatever the terminal.)
    let help = |args: &[&str]| {
        Test::new()
            .env("COLUMNS", "100")
            .args(args.iter().copied())
            .arg("--help")
            .stderr("")
            .run_for_snapshot()
    };
    let mut runs = vec![help(&["xray"])];
    for sub in ["create-group", "create-sampling-rule", "status", "delete"] {
        runs.push(help(&["xray", sub]));
    }
    snapshot_all("xray_help", &runs);
}

#[test]
fn a_connection_reset_is_retried() {
    let emu = Emulator::start().unwrap();
    emu.inject(Fault::new(FaultKind::Reset, 1).on("CreateGroup"));
    on(&emu)
        .args(["xray", "create-group"])
        .stdout("X-Ray group Cruddur: created\n")
        .run();
    let creates: Vec<u16> = emu
        .requests()
        .into_iter()
        .filter(|r| r.operation == "CreateGroup")
        .map(|r| r.status)
        .collect();
    assert_eq!(creates, [0, 200], "reset (no answer), then created");
}
