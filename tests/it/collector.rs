//! `--via collector`: the ADOT collector service and its config instead of the X-Ray
//! daemon, for both Honeycomb regions; switching back and forth; a user's own config
//! kept; and the whole `init` on the bootcamp files.

use std::path::Path;
use std::process::Output;

use crate::common::{assert_compose_config_ok, isolated, repo, stderr, stdout, workdir, Moto};
use cruddur_obs::testing::collector;
use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};
use xray_emulator::Emulator;

fn week1() -> String {
    std::fs::read_to_string(repo().join("examples/cruddur-week1/docker-compose.yml")).unwrap()
}

fn compose(dir: &Path, args: &[&str]) -> Output {
    isolated("cruddur-obs")
        .current_dir(dir)
        .args(["compose", "write", "--region", "ca-central-1"])
        .args(args)
        .output()
        .unwrap()
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

#[test]
#[ignore = "needs scripts/test.sh: docker-compose"]
fn the_collector_service_and_config_for_both_honeycomb_regions() {
    for region in ["us", "eu"] {
        let (dir, _) = workdir(&week1());
        let dry = compose(
            dir.path(),
            &[
                "--via",
                "collector",
                "--honeycomb-region",
                region,
                "--dry-run",
            ],
        );
        assert_eq!(dry.status.code(), Some(3), "{}", stderr(&dry));
        insta::assert_snapshot!(format!("collector-dry-run-{region}"), stdout(&dry));
        assert!(
            !dir.path().join(collector::CONFIG_FILE).exists(),
            "a dry run writes nothing"
        );

        let out = compose(
            dir.path(),
            &["--via", "collector", "--honeycomb-region", region, "--yes"],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let config = read(dir.path(), collector::CONFIG_FILE);
        insta::assert_snapshot!(format!("collector-config-{region}"), config);
        assert_eq!(
            collector::validate(&config),
            vec![],
            "the written config validates"
        );
        assert_compose_config_ok(dir.path());
        let text = read(dir.path(), "docker-compose.yml");
        assert!(!text.contains("xray-daemon:"), "{text}");
        assert!(text.contains(&format!("{}:{}", collector::IMAGE, collector::ADOT_VERSION)));
        assert!(
            !text.contains("x-honeycomb-team"),
            "no Honeycomb key in the app's environment"
        );

        let again = compose(
            dir.path(),
            &["--via", "collector", "--honeycomb-region", region],
        );
        assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
        assert!(stdout(&again).contains("docker-compose.yml: in sync"));
        assert!(stdout(&again).contains("otel-collector-config.yaml: in sync"));
    }
}

#[test]
#[ignore = "needs scripts/test.sh: docker-compose"]
fn switching_from_the_daemon_to_the_collector_and_back_is_a_clean_edit() {
    let (dir, _) = workdir(&week1());
    compose(dir.path(), &["--yes"]);
    let with_daemon = read(dir.path(), "docker-compose.yml");

    let out = compose(dir.path(), &["--via", "collector", "--dry-run"]);
    assert_eq!(out.status.code(), Some(3));
    insta::assert_snapshot!("switch-to-collector", stdout(&out));
    assert!(
        !stdout(&out).contains("conflict"),
        "a switch is not a conflict"
    );
    compose(dir.path(), &["--via", "collector", "--yes"]);
    assert_compose_config_ok(dir.path());

    let out = compose(dir.path(), &["--via", "daemon", "--dry-run"]);
    assert_eq!(out.status.code(), Some(3));
    insta::assert_snapshot!("switch-back-to-daemon", stdout(&out));
    let out = compose(dir.path(), &["--via", "daemon", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_compose_config_ok(dir.path());
    let back: serde_json::Value =
        serde_saphyr::from_str(&read(dir.path(), "docker-compose.yml")).unwrap();
    let first: serde_json::Value = serde_saphyr::from_str(&with_daemon).unwrap();
    assert_eq!(
        back, first,
        "back to the daemon means what the daemon setup meant"
    );
    let again = compose(dir.path(), &["--via", "daemon"]);
    assert!(
        stdout(&again).starts_with("docker-compose.yml: in sync"),
        "{}",
        stdout(&again)
    );
}

#[test]
fn a_users_own_collector_config_is_kept_and_checked() {
    let (dir, _) = workdir(&week1());
    let own = "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: localhost:4318\nexporters:\n  debug: {}\nservice:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [debug, nowhere]\n";
    std::fs::write(dir.path().join(collector::CONFIG_FILE), own).unwrap();
    let out = compose(dir.path(), &["--via", "collector", "--yes"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "a kept conflict leaves work: {}",
        stdout(&out)
    );
    let text = stdout(&out);
    assert!(text.contains("conflict: otel-collector-config.yaml: your own version -> cruddur-obs's for ca-central-1 (kept; --force replaces it)"), "{text}");
    assert!(text.contains("note: otel-collector-config.yaml: line 5: receiver otlp http listens on localhost:4318"), "{text}");
    assert!(text.contains("note: otel-collector-config.yaml: line 12: pipeline traces: exporters \"nowhere\" is not defined"), "{text}");
    assert_eq!(
        read(dir.path(), collector::CONFIG_FILE),
        own,
        "not overwritten"
    );

    let out = compose(dir.path(), &["--via", "collector", "--yes", "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(
        read(dir.path(), collector::CONFIG_FILE),
        collector::config("ca-central-1", cruddur_obs::testing::honeycomb::Region::Us)
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs scripts/test.sh: moto_server"]
async fn init_via_collector_then_again_then_back_to_the_daemon() {
    let emu = Emulator::start().unwrap();
    let moto = Moto::start();
    let honeycomb = MockServer::start().await;
    Mock::given(path("/1/auth"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "type": "ingest", "api_key_access": {"events": true, "createDatasets": true},
            "environment": {"name": "bootcamp", "slug": "bootcamp"},
            "team": {"name": "Cruddur", "slug": "cruddur"}
        })))
        .mount(&honeycomb)
        .await;
    let (dir, _) = workdir(&week1());
    let obs = |args: &[&str]| {
        isolated("cruddur-obs")
            .current_dir(dir.path())
            .env("AWS_REGION", "eu-west-1")
            // What `gp env AWS_DEFAULT_REGION=...` gives the app; status checks it.
            .env("AWS_DEFAULT_REGION", "eu-west-1")
            .env("AWS_ENDPOINT_URL_XRAY", emu.url())
            .env("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", &moto.url)
            .env("AWS_ENDPOINT_URL_STS", &moto.url)
            .env(
                "HONEYCOMB_API_KEY",
                "hcaik_01j9zzzzzzzzzzzzzzzzzzzzzzq8t3m4k5n6p7r8s9t0v1w2x3y4z5a6b7",
            )
            .env("HONEYCOMB_API_ENDPOINT", honeycomb.uri())
            .args(args)
            .output()
            .unwrap()
    };
    let out = obs(&["init", "--yes", "--via", "collector"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("otel-collector-config.yaml: written"),
        "{}",
        stdout(&out)
    );
    assert_compose_config_ok(dir.path());
    let files = (
        read(dir.path(), "docker-compose.yml"),
        read(dir.path(), collector::CONFIG_FILE),
    );

    let out = obs(&["init", "--yes", "--via", "collector"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        (
            read(dir.path(), "docker-compose.yml"),
            read(dir.path(), collector::CONFIG_FILE)
        ),
        files
    );
    let out = obs(&["plan", "--via", "collector"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    let out = obs(&["status", "--via", "collector"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("✓ otel-collector-config.yaml: valid for ADOT v0.50.0"),
        "{text}"
    );
    assert!(text.contains("✓ collector region: the awsxray exporter sends to eu-west-1; the X-Ray group is in eu-west-1"), "{text}");

    let out = obs(&["plan", "--via", "daemon"]);
    assert_eq!(out.status.code(), Some(3));
    insta::assert_snapshot!("init-switch-to-daemon", stdout(&out));
    let out = obs(&["init", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = obs(&["status"]);
    let text = stdout(&out);
    assert!(text.contains("! X-Ray daemon: in use; AWS put it in maintenance mode, and its support ends on 2027-02-25"), "{text}");
    // The switch back leaves the collector's config on disk; status says so.
    assert!(text.contains("! otel-collector-config.yaml: not used: no otel-collector service mounts it; delete it if you went back to the daemon for good"), "{text}");
    assert_eq!(out.status.code(), Some(0), "{text}");
    std::fs::remove_file(dir.path().join(collector::CONFIG_FILE)).unwrap();
    let out = obs(&["status"]);
    assert!(
        !stdout(&out).contains("otel-collector-config.yaml"),
        "{}",
        stdout(&out)
    );
}
