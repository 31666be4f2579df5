//! Shared test support: the binary under test, isolated from this machine's AWS
//! setup, and helpers to read what it printed.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// Fake credentials: the emulator accepts any signed request.
pub const ACCESS_KEY: &str = "AKIDCRUDDUROBSTEST00";
pub const SECRET_KEY: &str = "Zq8vT3kLm0PxR7sW2yNc5bHd9fJg4aEu6oVi1Qty";

/// Every variable of the surrounding environment the CLI reads, so none leaks
/// into a test: AWS's, the Honeycomb and Rollbar keys, tokens and endpoints, and
/// the dev environment's (a test run inside Gitpod or a codespace must behave as
/// anywhere else, and never reach a real service with the developer's token).
fn aws_vars() -> Vec<String> {
    const PREFIXES: &[&str] = &["AWS_", "HONEYCOMB_", "ROLLBAR_", "GITPOD_", "CODESPACE"];
    std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter(|k| PREFIXES.iter().any(|p| k.starts_with(p)))
        .collect()
}

/// A directory with no AWS config or credentials files in it.
pub fn empty_aws_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-aws-config");
    std::fs::create_dir_all(&dir).unwrap();
    for file in ["config", "credentials"] {
        std::fs::write(dir.join(file), "").unwrap();
    }
    dir
}

/// A command for `bin`, with the AWS environment replaced by test settings:
/// fake credentials, region us-east-1, no IMDS, no config files.
pub fn isolated(bin: &str) -> Command {
    Command::from_std(isolated_std(bin))
}

/// [`isolated`] as a plain `std::process::Command` (for a run to spawn and kill).
pub fn isolated_std(bin: &str) -> std::process::Command {
    isolated_program(assert_cmd::cargo::cargo_bin(bin))
}

/// Any program (a shell that runs the binary, awscli) in the one isolated
/// environment every test run gets: this machine's AWS, Honeycomb, Rollbar and
/// dev-environment variables removed, [`isolated_settings`] set.
pub fn isolated_program(program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    let mut cmd = std::process::Command::new(program);
    for var in aws_vars() {
        cmd.env_remove(var);
    }
    // Inside a Gitpod workspace `gitpod write` saves variables with the real gp:
    // never from a test.
    cmd.env_remove("GITPOD_WORKSPACE_ID");
    cmd.envs(isolated_settings());
    cmd
}

/// The settings of the isolated environment: fake credentials, region
/// us-east-1, no IMDS, empty config files, no colour.
pub fn isolated_settings() -> Vec<(&'static str, String)> {
    let dir = empty_aws_dir();
    vec![
        ("AWS_CONFIG_FILE", dir.join("config").display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("credentials").display().to_string(),
        ),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.into()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.into()),
        ("AWS_REGION", "us-east-1".into()),
        ("NO_COLOR", "1".into()),
    ]
}

/// The isolated environment as a shell prefix, `env -i NAME='value' ...`, for a
/// run a shell starts (on a terminal, in tmux): nothing of this machine's
/// environment but PATH, with HOME at `home`, an xterm, [`isolated_settings`]
/// and then `extra` (which win over the settings).
pub fn isolated_env_prefix(home: &Path, extra: &[(&str, String)]) -> String {
    let mut vars = vec![
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("HOME", home.display().to_string()),
        ("TERM", "xterm-256color".to_string()),
    ];
    vars.extend(isolated_settings());
    vars.extend(extra.iter().cloned());
    let assignments: Vec<String> = vars
        .iter()
        .map(|(name, value)| {
            assert!(!value.contains('\''), "{name}: a quote in {value:?}");
            format!("{name}='{value}'")
        })
        .collect();
    format!("env -i {}", assignments.join(" "))
}

/// `cruddur-obs` pointed at `endpoint`.
pub fn cruddur(endpoint: &str) -> Command {
    let mut cmd = isolated("cruddur-obs");
    cmd.args(["--endpoint-url", endpoint]);
    cmd
}

pub fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The sampling rule the binary bundles (the bootcamp's `aws/json/xray.json`).
pub fn bundled_rule() -> String {
    std::fs::read_to_string(repo().join("templates/xray-sampling-rule.json")).unwrap()
}

/// The repository root (fixtures and templates live there).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file or folder of the project's `shared/` folder beside this checkout
/// (`../shared/`: the real students' files and the JSON schemas, which are not ours
/// to keep in the repository). `None`, with a line on stderr saying what is
/// skipped, when it is not there (a clone on its own).
#[track_caller]
pub fn shared(rel: &str) -> Option<PathBuf> {
    let path = repo().join("../shared").join(rel);
    if path.exists() {
        return Some(path);
    }
    let at = std::panic::Location::caller();
    eprintln!(
        "skipped ({}:{}): ../shared/{rel} is not beside this checkout",
        at.file(),
        at.line()
    );
    None
}

/// A program from the test tools: `$VAR`, else the repo's `.venv/bin/NAME`, else PATH.
pub fn tool(var: &str, name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(var) {
        return PathBuf::from(path);
    }
    let venv = repo().join(".venv/bin").join(name);
    if venv.exists() {
        return venv;
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join(name))
                .find(|p| p.exists())
        })
        .unwrap_or_else(|| {
            panic!(
                "{name} is needed for this test: run scripts/test.sh, which installs it into .venv"
            )
        })
}

/// A real moto server (CloudWatch Logs) on a free loopback port, recording every
/// request it serves; stopped when dropped.
pub struct Moto {
    child: std::process::Child,
    pub url: String,
    recording: PathBuf,
    _dir: tempfile::TempDir,
}

impl Moto {
    pub fn start() -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let recording = dir.path().join("recording.jsonl");
        let child = std::process::Command::new(tool("CRUDDUR_OBS_MOTO_SERVER", "moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_ENABLE_RECORDING", "1")
            .env("MOTO_RECORDER_FILEPATH", &recording)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
            recording,
            _dir: dir,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "moto_server did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        moto
    }

    /// The AWS operations moto served so far (from its own request recorder).
    pub fn operations(&self) -> Vec<String> {
        let text = std::fs::read_to_string(&self.recording).unwrap_or_default();
        text.lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter_map(|r| {
                r["headers"]["X-Amz-Target"]
                    .as_str()
                    .and_then(|t| t.split('.').nth(1))
                    .map(str::to_string)
            })
            .collect()
    }

    /// The operations that change something.
    pub fn mutating_operations(&self) -> Vec<String> {
        self.operations()
            .into_iter()
            .filter(|op| {
                !(op.starts_with("Describe") || op.starts_with("List") || op.starts_with("Get"))
            })
            .collect()
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// awscli with the same isolation as our binary, pointed at `endpoint` (us-east-1).
pub fn aws(endpoint: &str, args: &[&str]) -> std::process::Output {
    aws_in(endpoint, "us-east-1", args)
}

/// awscli with the same isolation as our binary, pointed at `endpoint` in `region`.
pub fn aws_in(endpoint: &str, region: &str, args: &[&str]) -> std::process::Output {
    isolated_program(tool("CRUDDUR_OBS_AWSCLI", "aws"))
        .env("AWS_DEFAULT_REGION", region)
        .env("AWS_REGION", region)
        .env("AWS_PAGER", "")
        .args(["--endpoint-url", endpoint, "--output", "json"])
        .args(args)
        .output()
        .unwrap()
}

/// awscli that must succeed; its JSON output.
pub fn aws_ok(endpoint: &str, args: &[&str]) -> serde_json::Value {
    let out = aws(endpoint, args);
    assert!(out.status.success(), "aws {args:?}: {}", stderr(&out));
    let text = stdout(&out);
    if text.trim().is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    }
}

/// A repo-like temp dir: the compose file and the build dirs it names.
pub fn workdir(compose: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["backend-flask", "frontend-react-js"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
    }
    let file = dir.path().join("docker-compose.yml");
    std::fs::write(&file, compose).unwrap();
    (dir, file)
}

/// `docker-compose config -q` (v1) on `dir`'s docker-compose.yml, with the
/// variables the written entries name set.
pub fn compose_config(dir: &Path) -> std::process::Output {
    std::process::Command::new(tool("CRUDDUR_OBS_DOCKER_COMPOSE", "docker-compose"))
        .current_dir(dir)
        .args(["-f", "docker-compose.yml", "config", "-q"])
        .envs(
            [
                "GITPOD_WORKSPACE_ID",
                "GITPOD_WORKSPACE_CLUSTER_HOST",
                "HONEYCOMB_API_KEY",
                "AWS_DEFAULT_REGION",
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "ROLLBAR_ACCESS_TOKEN",
            ]
            .map(|k| (k, "x")),
        )
        .output()
        .unwrap()
}

/// docker-compose (v1) must accept the file as it is.
pub fn assert_compose_config_ok(dir: &Path) {
    let out = compose_config(dir);
    assert!(
        out.status.success(),
        "docker-compose config -q refused the file: {}",
        stderr(&out)
    );
}
