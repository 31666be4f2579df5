//! The real binary against a real moto server (CloudWatch Logs): state is read back
//! with awscli, and moto's own request recorder shows which calls were made.

use std::time::{Duration, Instant};

use crate::common::{aws_ok, Moto};
use crate::harness::{snapshot_all, Ran, Test};
use serde_json::{json, Value};

fn describe(moto: &Moto, name: &str) -> Option<Value> {
    let out = aws_ok(
        &moto.url,
        &[
            "logs",
            "describe-log-groups",
            "--log-group-name-prefix",
            name,
        ],
    );
    out["logGroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["logGroupName"] == name)
        .cloned()
}

fn tags(moto: &Moto, group: &Value) -> Value {
    let arn = group["logGroupArn"].as_str().unwrap();
    aws_ok(
        &moto.url,
        &["logs", "list-tags-for-resource", "--resource-arn", arn],
    )["tags"]
        .clone()
}

/// A run against moto.
fn on(moto: &Moto) -> Test {
    Test::new().endpoint(&moto.url)
}

#[test]
#[ignore = "needs scripts/test.sh: moto_server"]
fn creates_cruddur_with_retention_and_tags_then_converges_with_no_writes() {
    let moto = Moto::start();
    on(&moto)
        .args(["logs", "create-group"])
        .stdout("CloudWatch log group cruddur: created (retention 7 days)\n")
        .stderr("")
        .run();
    let group = describe(&moto, "cruddur").expect("the group exists in moto");
    assert_eq!(group["retentionInDays"], 7);
    assert_eq!(
        tags(&moto, &group),
        json!({"project": "cruddur", "managed-by": "cruddur-obs"})
    );
    assert_eq!(
        moto.mutating_operations(),
        ["CreateLogGroup", "PutRetentionPolicy"]
    );

    on(&moto)
        .args(["logs", "create-group"])
        .stdout("CloudWatch log group cruddur: in sync\n")
        .stderr("")
        .run();
    on(&moto)
        .args(["logs", "status"])
        .stdout("CloudWatch log group cruddur: in sync\n")
        .stderr("")
        .run();
    assert_eq!(
        moto.mutating_operations(),
        ["CreateLogGroup", "PutRetentionPolicy"],
        "a converged run makes no mutating call"
    );
}

#[test]
#[ignore = "needs scripts/test.sh: moto_server"]
fn retention_drift_is_shown_and_fixed_with_agreement() {
    let moto = Moto::start();
    aws_ok(
        &moto.url,
        &[
            "logs",
            "create-log-group",
            "--log-group-name",
            "cruddur",
            "--tags",
            "project=cruddur,managed-by=cruddur-obs",
        ],
    );
    aws_ok(
        &moto.url,
        &[
            "logs",
            "put-retention-policy",
            "--log-group-name",
            "cruddur",
            "--retention-in-days",
            "30",
        ],
    );
    let before = moto.mutating_operations().len();

    let status = on(&moto)
        .args(["logs", "status"])
        .status(3)
        .stdout("CloudWatch log group cruddur: drifted\n    RetentionInDays: 30 -> 7\n")
        .run();
    // No terminal, no --yes: the difference on stderr, nothing changed, exit 5.
    let asked = on(&moto)
        .args(["logs", "create-group"])
        .status(5)
        .run_for_snapshot();
    assert_eq!(moto.mutating_operations().len(), before);

    let fixed = on(&moto)
        .args(["logs", "create-group", "--yes"])
        .run_for_snapshot();
    snapshot_all("logs_retention_drift", [&status, &asked, &fixed]);
    assert_eq!(describe(&moto, "cruddur").unwrap()["retentionInDays"], 7);
    assert_eq!(moto.mutating_operations()[before..], ["PutRetentionPolicy"]);
}

#[test]
#[ignore = "needs scripts/test.sh: moto_server"]
fn a_group_watchtower_made_gets_retention_and_tags_and_keeps_its_own_tags() {
    let moto = Moto::start();
    // As watchtower leaves it: no retention, someone's tag.
    aws_ok(
        &moto.url,
        &[
            "logs",
            "create-log-group",
            "--log-group-name",
            "cruddur",
            "--tags",
            "owner=me",
        ],
    );
    on(&moto)
        .args(["logs", "create-group", "--yes", "--retention-days", "14"])
        .args(["--tag", "team=web"])
        .snapshot("logs_group_made_by_watchtower_updated");
    let group = describe(&moto, "cruddur").unwrap();
    assert_eq!(group["retentionInDays"], 14);
    assert_eq!(
        tags(&moto, &group),
        json!({"owner": "me", "project": "cruddur", "managed-by": "cruddur-obs", "team": "web"})
    );
}

#[test]
#[ignore = "needs scripts/test.sh: moto_server"]
fn several_groups_are_created_concurrently_and_reported_each() {
    let moto = Moto::start();
    let ran = on(&moto)
        .args(["logs", "create-group", "cruddur", "/cruddur/backend-flask"])
        .args(["/cruddur/frontend", "--output", "json"])
        .stdout_any()
        .run();
    let doc = ran.json();
    let names: Vec<&str> = doc["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            assert_eq!(o["status"], "created");
            assert_eq!(o["kind"], "log-group");
            o["name"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        names,
        ["cruddur", "/cruddur/backend-flask", "/cruddur/frontend"]
    );
    for name in names {
        assert_eq!(
            describe(&moto, name).unwrap()["retentionInDays"],
            7,
            "{name}"
        );
    }
}

#[test]
#[ignore = "needs scripts/test.sh: moto_server"]
fn invalid_names_and_retention_are_rejected_before_any_request() {
    let moto = Moto::start();
    let long = "a".repeat(513);
    let cases: [&[&str]; 6] = [
        &["cruddur", "--retention-days", "8"],
        &["aws/lambda/x"],
        &["has space"],
        &["cruddur", "--tag", "aws:x=1"],
        &["cruddur", "--tag", "novalue"],
        &[&long],
    ];
    let runs: Vec<Ran> = cases
        .into_iter()
        .map(|args| {
            on(&moto)
                .args(["logs", "create-group"])
                .args(args.iter().copied())
                .status(2)
                .stdout("")
                .run_for_snapshot()
                .redact(&long, "[513 × a]")
        })
        .collect();
    snapshot_all("logs_invalid_names_and_retention_refused", &runs);
    assert!(moto.operations().is_empty(), "{:?}", moto.operations());
}

#[test]
#[ignore = "needs scripts/test.sh: moto_server"]
fn dry_run_and_delete() {
    let moto = Moto::start();
    on(&moto)
        .args(["logs", "create-group", "--dry-run"])
        .status(3)
        .stdout("CloudWatch log group cruddur: would be created\n")
        .run();
    assert!(moto.mutating_operations().is_empty());

    on(&moto)
        .args(["logs", "create-group"])
        .snapshot("logs_dry_run_and_delete");
    // Deleting asks first: no terminal, no --yes, exit 5.
    on(&moto)
        .args(["logs", "delete"])
        .status(5)
        .snapshot("logs_delete_asks_first");
    assert!(describe(&moto, "cruddur").is_some());
    on(&moto)
        .args(["logs", "delete", "--yes"])
        .stdout("CloudWatch log group cruddur: deleted\n")
        .snapshot("logs_dry_run_and_delete_2");
    assert!(describe(&moto, "cruddur").is_none());
    on(&moto)
        .args(["logs", "delete"])
        .stdout("CloudWatch log group cruddur: absent\n")
        .run();
}

#[test]
#[ignore = "needs scripts/test.sh: moto_server"]
fn a_stopped_moto_is_a_clear_error_within_seconds() {
    let mut moto = Moto::start();
    moto.stop();
    let started = Instant::now();
    on(&moto)
        .args(["logs", "create-group"])
        .timeout(60)
        .status(1)
        .stdout("")
        .run_for_snapshot()
        // The error names the address asked: moto's.
        .redact(&moto.url, "[MOTO_URL]")
        .snapshot("logs_moto_stopped_cannot_connect");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

/// The library's AWS configuration pointed at moto, with fake credentials.
async fn aws_at(url: &str) -> cruddur_obs::testing::aws::Aws {
    use aws_sdk_cloudwatchlogs::config::{BehaviorVersion, Credentials, Region};
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new(
            crate::common::ACCESS_KEY,
            crate::common::SECRET_KEY,
            None,
            None,
            "test",
        ))
        .load()
        .await;
    cruddur_obs::testing::aws::Aws {
        sdk,
        region: "us-east-1".into(),
    }
}

/// Someone else (watchtower, on the app's first log line) creates the group
/// between our read and our create: the create's ResourceAlreadyExistsException
/// converges the group that is there instead of failing.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs scripts/test.sh: moto_server"]
async fn a_group_created_between_read_and_create_is_converged() {
    use cruddur_obs::testing::logs::api::LogsApi;
    use cruddur_obs::testing::plan::{Status, Step};
    use cruddur_obs::testing::resource::{apply, plan, Target};
    let moto = Moto::start();
    let api = LogsApi::new(&aws_at(&moto.url).await);
    let spec = cruddur_obs::testing::logs::group_specs(&["cruddur".into()], 7, None, None, &[])
        .unwrap()
        .remove(0);

    let planned = plan(&api, Target::present(spec.clone())).await.unwrap();
    assert_eq!(planned.step, Step::Create);
    aws_ok(
        &moto.url,
        &["logs", "create-log-group", "--log-group-name", "cruddur"],
    );
    let outcome = apply(&api, planned, true).await.unwrap();
    assert_eq!(outcome.status, Status::Updated);
    assert_eq!(
        outcome.note.as_deref(),
        Some("created meanwhile by someone else")
    );
    let group = describe(&moto, "cruddur").unwrap();
    assert_eq!(group["retentionInDays"], 7);
    assert_eq!(
        tags(&moto, &group),
        json!({"project": "cruddur", "managed-by": "cruddur-obs"})
    );

    // Not agreed to update (it was a create that was agreed): reported, not changed.
    let planned = plan(&api, Target::present(spec.clone())).await.unwrap();
    assert_eq!(planned.step, Step::InSync);
    let other = cruddur_obs::testing::logs::group_specs(&["other".into()], 7, None, None, &[])
        .unwrap()
        .remove(0);
    let planned = plan(&api, Target::present(other)).await.unwrap();
    aws_ok(
        &moto.url,
        &["logs", "create-log-group", "--log-group-name", "other"],
    );
    let outcome = apply(&api, planned, false).await.unwrap();
    assert_eq!(outcome.status, Status::Drifted);
    assert_eq!(
        outcome.note.as_deref(),
        Some("created meanwhile by someone else")
    );
    assert!(describe(&moto, "other").unwrap()["retentionInDays"].is_null());
}
