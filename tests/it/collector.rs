//! `--via collector`: the ADOT collector service and its config instead of the X-Ray
//! daemon, for both Honeycomb regions; switching back and forth; a user's own config
//! kept; and the whole `init` on the bootcamp files.

use crate::common::{assert_compose_config_ok, repo, workdir, Moto};
use crate::harness::Test;
use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};
use xray_emulator::Emulator;

/// `compose write` with the region the compose tests write for.
const COMPOSE: [&str; 4] = ["compose", "write", "--region", "ca-central-1"];
/// The collector's config file, beside the compose file.
const CONFIG_FILE: &str = "otel-collector-config.yaml";

fn week1() -> String {
    std::fs::read_to_string(repo().join("examples/cruddur-like/docker-compose.yml")).unwrap()
}

#[test]
#[ignore = "needs scripts/test.sh: docker-compose"]
fn the_collector_service_and_config_for_both_honeycomb_regions() {
    for region in ["us", "eu"] {
        let (dir, _) = workdir(&week1());
        let via = ["--via", "collector", "--honeycomb-region", region];
        // A dry run writes nothing.
        Test::in_dir(dir.path())
            .args(COMPOSE)
            .args(via)
            .arg("--dry-run")
            .status(3)
            .unchanged("docker-compose.yml")
            .absent(CONFIG_FILE)
            .snapshot(&format!("collector_dry_run_{region}"));

        let ran = Test::in_dir(dir.path())
            .args(COMPOSE)
            .args(via)
            .arg("--yes")
            .stdout_any()
            .stderr_any()
            .run();
        let config = ran.read(CONFIG_FILE);
        insta::assert_snapshot!(format!("collector-config-{region}"), config);
        assert_compose_config_ok(dir.path());
        let text = ran.read("docker-compose.yml");
        assert!(!text.contains("xray-daemon:"), "{text}");
        assert!(
            text.contains("image: \"public.ecr.aws/aws-observability/aws-otel-collector:v"),
            "{text}"
        );
        assert!(
            !text.contains("x-honeycomb-team"),
            "no Honeycomb key in the app's environment"
        );

        // In sync, and the config checked without a problem (a problem is a
        // warning on stderr, as for a user's own config below).
        Test::in_dir(dir.path())
            .args(COMPOSE)
            .args(via)
            .stdout("docker-compose.yml: in sync\notel-collector-config.yaml: in sync\n")
            .stderr("")
            .unchanged("docker-compose.yml")
            .unchanged(CONFIG_FILE)
            .run();
    }
}

#[test]
#[ignore = "needs scripts/test.sh: docker-compose"]
fn switching_from_the_daemon_to_the_collector_and_back_is_a_clean_edit() {
    let (dir, _) = workdir(&week1());
    let compose = || Test::in_dir(dir.path()).args(COMPOSE);
    let with_daemon = compose()
        .arg("--yes")
        .snapshot("collector_switching_from_the_daemon_to_the_collector_and_back_is_a_clean_edit")
        .read("docker-compose.yml");

    // A switch, not a conflict.
    compose()
        .args(["--via", "collector", "--dry-run"])
        .status(3)
        .unchanged("docker-compose.yml")
        .snapshot("collector_switch_to_collector");
    compose().args(["--via", "collector", "--yes"]).snapshot(
        "collector_switching_from_the_daemon_to_the_collector_and_back_is_a_clean_edit_2",
    );
    assert_compose_config_ok(dir.path());

    compose()
        .args(["--via", "daemon", "--dry-run"])
        .status(3)
        .unchanged("docker-compose.yml")
        .snapshot("collector_switch_back_to_daemon");
    let ran = compose().args(["--via", "daemon", "--yes"]).snapshot(
        "collector_switching_from_the_daemon_to_the_collector_and_back_is_a_clean_edit_3",
    );
    assert_compose_config_ok(dir.path());
    let back: serde_json::Value = serde_saphyr::from_str(&ran.read("docker-compose.yml")).unwrap();
    let first: serde_json::Value = serde_saphyr::from_str(&with_daemon).unwrap();
    assert_eq!(
        back, first,
        "back to the daemon means what the daemon setup meant"
    );
    compose()
        .args(["--via", "daemon"])
        .unchanged("docker-compose.yml")
        .snapshot("collector_back_on_the_daemon_in_sync");
}

#[test]
fn a_users_own_collector_config_is_kept_and_checked() {
    let (dir, _) = workdir(&week1());
    let own = "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: localhost:4318\nexporters:\n  debug: {}\nservice:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [debug, nowhere]\n";
    // A kept conflict leaves work (exit 3); the config is not overwritten.
    Test::in_dir(dir.path())
        .write(CONFIG_FILE, own)
        .args(COMPOSE)
        .args(["--via", "collector", "--yes"])
        .status(3)
        .unchanged(CONFIG_FILE)
        .keep_ports()
        .snapshot("collector_own_config_kept_and_checked");

    let forced = Test::in_dir(dir.path())
        .args(COMPOSE)
        .args(["--via", "collector", "--yes", "--force"])
        .snapshot("collector_a_users_own_collector_config_is_kept_and_checked");
    // Replaced by ours: the same file a fresh setup writes.
    insta::assert_snapshot!("collector-config-us", forced.read(CONFIG_FILE));
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
        Test::in_dir(dir.path())
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
            // Status reads the token from this environment.
            .env_remove("ROLLBAR_ACCESS_TOKEN")
            .args(args.iter().copied())
    };
    let ran =
        obs(&["init", "--yes", "--via", "collector"]).snapshot("collector_init_via_collector");
    assert_compose_config_ok(dir.path());
    let files = (ran.read("docker-compose.yml"), ran.read(CONFIG_FILE));

    // Again: nothing to change.
    obs(&["init", "--yes", "--via", "collector"])
        .file("docker-compose.yml", &files.0)
        .file(CONFIG_FILE, &files.1)
        .snapshot("collector_init_via_collector_then_again_then_back_to_the_daemon");
    obs(&["plan", "--via", "collector"])
        .snapshot("collector_init_via_collector_then_again_then_back_to_the_daemon_2");

    obs(&["status", "--via", "collector"]).snapshot("collector_init_status_via_collector");

    obs(&["plan", "--via", "daemon"])
        .status(3)
        .snapshot("collector_init_plan_back_to_daemon");
    obs(&["init", "--yes"])
        .snapshot("collector_init_via_collector_then_again_then_back_to_the_daemon_3");
    // The switch back leaves the collector's config on disk; status says so.
    obs(&["status"]).snapshot("collector_init_status_back_on_the_daemon");
    std::fs::remove_file(dir.path().join(CONFIG_FILE)).unwrap();
    obs(&["status"]).snapshot("collector_init_status_config_removed");
}
