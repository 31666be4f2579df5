//! The `init` wizard on a real terminal: tmux runs it, `send-keys` answers, and
//! `capture-pane` reads the screen.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{repo, tool, Moto};
use serde_json::json;
use wiremock::matchers::{header, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use xray_emulator::Emulator;

const KEY: &str = "hcaik_01j9zzzzzzzzzzzzzzzzzzzzzzq8t3m4k5n6p7r8s9t0v1w2x3y4z5a6b7";

pub(crate) struct Tmux {
    pub(crate) session: String,
}

impl Tmux {
    pub(crate) fn run(args: &[&str]) -> String {
        let out = Command::new(tool("CRUDDUR_OBS_TMUX", "tmux"))
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub(crate) fn screen(&self) -> String {
        Tmux::run(&[
            "capture-pane",
            "-p",
            "-J",
            "-S",
            "-200",
            "-t",
            &self.session,
        ])
    }

    /// Waits until the screen shows `text`.
    pub(crate) fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "never saw {text:?}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub(crate) fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.session.as_str()];
        args.extend_from_slice(keys);
        Tmux::run(&args);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        Tmux::run(&["kill-session", "-t", &self.session]);
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs scripts/test.sh: tmux"]
async fn the_wizard_asks_checks_the_key_and_applies_one_plan() {
    let emu = Emulator::start().unwrap();
    let moto = Moto::start();
    let honeycomb = MockServer::start().await;
    Mock::given(path("/1/auth"))
        .and(header("x-honeycomb-team", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "type": "ingest", "api_key_access": {"events": true, "createDatasets": true},
            "environment": {"name": "bootcamp", "slug": "bootcamp"},
            "team": {"name": "Cruddur", "slug": "cruddur"}
        })))
        .mount(&honeycomb)
        .await;
    Mock::given(path("/1/auth"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&honeycomb)
        .await;

    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo().join("examples/cruddur-like/docker-compose.yml"),
        dir.path().join("docker-compose.yml"),
    )
    .unwrap();
    let bin = assert_cmd::cargo::cargo_bin("cruddur-obs");
    let env = crate::common::isolated_env_prefix(
        dir.path(),
        &[
            ("AWS_REGION", "eu-west-1".into()),
            ("AWS_ENDPOINT_URL_XRAY", emu.url()),
            ("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", moto.url.clone()),
            ("AWS_ENDPOINT_URL_STS", moto.url.clone()),
            ("HONEYCOMB_API_ENDPOINT", honeycomb.uri()),
        ],
    );
    let script = format!(
        "cd '{}' && {env} '{}' init; echo EXIT=$?; sleep 60",
        dir.path().display(),
        bin.display()
    );
    let tmux = Tmux {
        session: format!("cruddur-obs-wizard-{}", std::process::id()),
    };
    Tmux::run(&[
        "new-session",
        "-d",
        "-s",
        &tmux.session,
        "-x",
        "220",
        "-y",
        "60",
        &script,
    ]);

    tmux.wait_for("Compose file");
    tmux.keys(&["Enter"]);
    tmux.wait_for("The Flask service to instrument");
    tmux.keys(&["Enter"]);
    tmux.wait_for("AWS region");
    assert!(
        tmux.screen().contains("eu-west-1"),
        "the configured region is the default"
    );
    tmux.keys(&["Enter"]);
    tmux.wait_for("Parts to set up");
    // Leave Rollbar out: down three times, toggle, accept.
    tmux.keys(&["Down", "Down", "Down", "Space", "Enter"]);
    tmux.wait_for("How traces leave the app");
    tmux.keys(&["Enter"]); // the daemon, as in the course
    tmux.wait_for("Keep the app's logs for");
    tmux.keys(&["Down", "Enter"]); // 14 days
    tmux.wait_for("Honeycomb API key");
    tmux.keys(&["wrong-key-wrong-key-wrong", "Enter"]);
    tmux.wait_for("try again");
    tmux.keys(&[KEY, "Enter"]);
    let screen = tmux.wait_for("Apply this plan?");
    assert!(
        screen.contains("X-Ray group Cruddur: would be created"),
        "{screen}"
    );
    assert!(!screen.contains(KEY), "the key was echoed:\n{screen}");
    tmux.keys(&["y"]);
    let screen = tmux.wait_for("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(
        screen.contains("CloudWatch log group cruddur: created (retention 14 days)"),
        "{screen}"
    );
    assert!(!screen.contains(KEY), "the key was printed:\n{screen}");

    let compose = std::fs::read_to_string(dir.path().join("docker-compose.yml")).unwrap();
    assert!(compose.contains("AWS_REGION: \"eu-west-1\""), "{compose}");
    assert!(
        !compose.contains("ROLLBAR_ACCESS_TOKEN"),
        "Rollbar was left out: {compose}"
    );
    assert!(dir.path().join(".gitpod.yml").exists());
    assert_eq!(emu.mutating_requests().len(), 2);
}
