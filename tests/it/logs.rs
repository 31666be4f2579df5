//! The real binary against a real moto server (CloudWatch Logs): state is read back
//! with awscli, and moto's own request recorder shows which calls were made.

use std::time::{Duration, Instant};

use crate::common::{aws_ok, cruddur, stderr, stdout, Moto};
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

#[test]
#[ignore = "needs scripts/test.sh: moto_server"]
fn creates_cruddur_with_retention_and_tags_then_converges_with_no_writes() {
    let moto = Moto::start();
    let out = cruddur(&moto.url)
        .args(["logs", "create-group"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "CloudWatch log group cruddur: created (retention 7 days)\n"
    );
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

    let out = cruddur(&moto.url)
        .args(["logs", "create-group"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "CloudWatch log group cruddur: in sync\n");
    let out = cruddur(&moto.url)
        .args(["logs", "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
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

    let out = cruddur(&moto.url)
        .args(["logs", "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stdout(&out),
        "CloudWatch log group cruddur: drifted\n    RetentionInDays: 30 -> 7\n"
    );

    let out = cruddur(&moto.url)
        .args(["logs", "create-group"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "no terminal, no --yes");
    assert!(stderr(&out).contains("RetentionInDays: 30 -> 7"));
    assert_eq!(moto.mutating_operations().len(), before);

    let out = cruddur(&moto.url)
        .args(["logs", "create-group", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
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
    let out = cruddur(&moto.url)
        .args([
            "logs",
            "create-group",
            "--yes",
            "--retention-days",
            "14",
            "--tag",
            "team=web",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("RetentionInDays: never expire -> 14"),
        "{text}"
    );
    assert!(text.contains("Tags.team: (none) -> web"), "{text}");
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
    let out = cruddur(&moto.url)
        .args([
            "logs",
            "create-group",
            "cruddur",
            "/cruddur/backend-flask",
            "/cruddur/frontend",
            "--output",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
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
    let cases: [(&[&str], &str); 5] = [
        (&["cruddur", "--retention-days", "8"], "error: --retention-days 8 is not a retention CloudWatch Logs accepts; nearest: 7 or 14"),
        (&["aws/lambda/x"], "error: invalid log group name \"aws/lambda/x\": names starting with aws/ are reserved"),
        (&["has space"], "error: invalid log group name \"has space\": ' ' is not allowed"),
        (&["cruddur", "--tag", "aws:x=1"], "error: invalid tag \"aws:x\": keys starting with aws: are reserved"),
        (&["cruddur", "--tag", "novalue"], "error: invalid --tag \"novalue\": expected KEY=VALUE"),
    ];
    for (args, expected) in cases {
        let out = cruddur(&moto.url)
            .args(["logs", "create-group"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.starts_with(expected), "{args:?}: {err}");
        assert!(err.contains("\nhelp: "), "{err}");
    }
    let long = "a".repeat(513);
    let out = cruddur(&moto.url)
        .args(["logs", "create-group", &long])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(moto.operations().is_empty(), "{:?}", moto.operations());
}

#[test]
#[ignore = "needs scripts/test.sh: moto_server"]
fn dry_run_and_delete() {
    let moto = Moto::start();
    let out = cruddur(&moto.url)
        .args(["logs", "create-group", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stdout(&out),
        "CloudWatch log group cruddur: would be created\n"
    );
    assert!(moto.mutating_operations().is_empty());

    cruddur(&moto.url)
        .args(["logs", "create-group"])
        .assert()
        .success();
    let out = cruddur(&moto.url)
        .args(["logs", "delete"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "deleting asks first");
    assert!(describe(&moto, "cruddur").is_some());
    let out = cruddur(&moto.url)
        .args(["logs", "delete", "--yes"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "CloudWatch log group cruddur: deleted\n");
    assert!(describe(&moto, "cruddur").is_none());
    let out = cruddur(&moto.url)
        .args(["logs", "delete"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "CloudWatch log group cruddur: absent\n");
}

#[test]
#[ignore = "needs scripts/test.sh: moto_server"]
fn a_stopped_moto_is_a_clear_error_within_seconds() {
    let mut moto = Moto::start();
    moto.stop();
    let started = Instant::now();
    let out = cruddur(&moto.url)
        .args(["logs", "create-group"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "error: DescribeLogGroups on CloudWatch Logs at {} failed: cannot connect",
            moto.url
        )),
        "{err}"
    );
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
