//! Shared test support: the binary under test, isolated from this machine's AWS
//! setup, and helpers to read what it printed.
#![allow(dead_code)]

use std::path::PathBuf;

use assert_cmd::Command;

/// Fake credentials: the emulator accepts any signed request.
pub const ACCESS_KEY: &str = "AKIDCRUDDUROBSTEST00";
pub const SECRET_KEY: &str = "cruddur-obs-test-secret-key-do-not-print";

/// Every AWS_* variable of the surrounding environment, so none leaks into a test.
fn aws_vars() -> Vec<String> {
    std::env::vars()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("AWS_") || k == "HONEYCOMB_API_KEY")
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
    let mut cmd = Command::cargo_bin(bin).unwrap();
    for var in aws_vars() {
        cmd.env_remove(var);
    }
    let dir = empty_aws_dir();
    cmd.env("AWS_CONFIG_FILE", dir.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_REGION", "us-east-1")
        .env("NO_COLOR", "1");
    cmd
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

/// The repository root (fixtures and templates live there).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
