//! The data plane checked by a client nobody here wrote: awscli (botocore's own
//! reading of the X-Ray service model) drives PutTraceSegments, GetTraceSummaries,
//! BatchGetTraces, GetSamplingTargets and PutTelemetryRecords against the emulator,
//! and must parse every answer, errors included.
//!
//! awscli is `$CRUDDUR_OBS_AWSCLI` (set by scripts/test.sh), else the workspace's `.venv/bin/aws`.
#![allow(
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use xray_emulator::{Emulator, Fault, FaultKind};

const REGION: &str = "us-east-1";

fn awscli() -> PathBuf {
    let path = std::env::var_os("CRUDDUR_OBS_AWSCLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/aws"));
    assert!(
        path.exists(),
        "awscli not found at {}: install it (scripts/test.sh puts it in .venv) \
         or set CRUDDUR_OBS_AWSCLI to its path",
        path.display()
    );
    path
}

/// awscli, isolated from this machine's AWS setup, pointed at one emulator.
struct Aws {
    bin: PathBuf,
    /// A directory of its own with the AWS config and credentials files.
    config: PathBuf,
    endpoint: String,
    /// awscli v2 (exit 254 for a service error, 252 for a bad parameter); v1 exits 255 for both.
    v2: bool,
}

impl Aws {
    fn new(emu: &Emulator) -> Aws {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let config = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "awscli-data-plane-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&config).unwrap();
        for file in ["config", "credentials"] {
            std::fs::write(config.join(file), "").unwrap();
        }
        // For the service's own checks: botocore's checks off.
        std::fs::write(
            config.join("unchecked"),
            "[default]\nparameter_validation = false\n",
        )
        .unwrap();
        let bin = awscli();
        let version = Command::new(&bin).arg("--version").output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&version.stdout),
            String::from_utf8_lossy(&version.stderr)
        );
        assert!(text.starts_with("aws-cli/"), "{}: {text}", bin.display());
        Aws {
            bin,
            config,
            endpoint: emu.url(),
            v2: !text.starts_with("aws-cli/1."),
        }
    }

    /// The exit code of a service error (254), or of a parameter botocore refuses (252).
    fn exit_code(&self, service_error: bool) -> i32 {
        match (self.v2, service_error) {
            (false, _) => 255,
            (true, true) => 254,
            (true, false) => 252,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_with("config", args)
    }

    /// Runs `args` with `config` (a file in its directory) as the AWS config file.
    fn run_with(&self, config: &str, args: &[&str]) -> Output {
        let mut cmd = Command::new(&self.bin);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("AWS_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("AWS_ACCESS_KEY_ID", "AKIDXRAYEMULATORTEST")
            .env("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", self.config.join(config))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.config.join("credentials"),
            )
            .env("AWS_PAGER", "")
            .args([
                "--endpoint-url",
                &self.endpoint,
                "--region",
                REGION,
                "--output",
                "json",
            ])
            .args(args)
            .output()
            .unwrap()
    }

    /// Runs `args`, which must succeed; the JSON it printed (Null for nothing).
    fn ok(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "aws {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        }
    }

    /// Runs `args`, which must fail as a service error (exit 254 with awscli v2, 255
    /// with v1); its stderr.
    fn fails(&self, args: &[&str]) -> String {
        self.fails_with("config", args)
    }

    /// [`Aws::fails`] with `config` as the AWS config file.
    fn fails_with(&self, config: &str, args: &[&str]) -> String {
        let out = self.run_with(config, args);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(
            out.status.code(),
            Some(self.exit_code(true)),
            "aws {args:?}: {stderr}"
        );
        stderr
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn trace_id(n: u32) -> String {
    format!("1-{:08x}-{:024x}", now(), n)
}

fn segment(trace: &str, id: &str, name: &str) -> String {
    let start = now() as f64 - 1.0;
    json!({"trace_id": trace, "id": id, "name": name, "start_time": start, "end_time": start + 0.25})
        .to_string()
}

#[test]
#[ignore = "needs scripts/test.sh: aws"]
fn segments_put_by_awscli_are_found_by_service_and_read_back() {
    let emu = Emulator::start().unwrap();
    let aws = Aws::new(&emu);
    let (ours, theirs) = (trace_id(1), trace_id(2));
    let backend = segment(&ours, "70de5b6f19ff9a0a", "backend-flask");
    let frontend = segment(&theirs, "70de5b6f19ff9a0b", "frontend-react-js");
    let bad = json!({"trace_id": ours, "id": "70de5b6f19ff9a0c", "name": "backend-flask", "start_time": 5})
        .to_string();
    let out = aws.ok(&[
        "xray",
        "put-trace-segments",
        "--trace-segment-documents",
        &backend,
        &frontend,
        &bad,
        "{not json",
    ]);
    assert_eq!(
        out["UnprocessedTraceSegments"],
        json!([
            {"Id": "70de5b6f19ff9a0c", "ErrorCode": "MissingEndTime",
             "Message": "Invalid segment. ErrorCode: MissingEndTime"},
            {"ErrorCode": "InvalidJson", "Message": "Invalid segment. ErrorCode: InvalidJson"}
        ])
    );

    let (start, end) = ((now() - 600).to_string(), (now() + 60).to_string());
    for filter in [
        "service(\"backend-flask\")",
        "service(id(name: \"backend-flask\"))",
    ] {
        let found = aws.ok(&[
            "xray",
            "get-trace-summaries",
            "--start-time",
            &start,
            "--end-time",
            &end,
            "--filter-expression",
            filter,
        ]);
        let summaries = found["TraceSummaries"].as_array().unwrap();
        assert_eq!(summaries.len(), 1, "{filter}: {found:#}");
        assert_eq!(summaries[0]["Id"], json!(ours));
        assert_eq!(summaries[0]["Duration"], 0.25);
        assert_eq!(summaries[0]["HasFault"], false);
        assert_eq!(
            summaries[0]["ServiceIds"],
            json!([{"Name": "backend-flask", "Names": ["backend-flask"]}])
        );
        assert_eq!(found["TracesProcessedCount"], 2);
        assert!(found.get("ApproximateTime").is_some(), "{found:#}");
    }
    // No filter: both traces (awscli follows NextToken over pages of one... or ten).
    let all = aws.ok(&[
        "xray",
        "get-trace-summaries",
        "--start-time",
        &start,
        "--end-time",
        &end,
    ]);
    assert_eq!(all["TraceSummaries"].as_array().unwrap().len(), 2);

    let missing = trace_id(3);
    let got = aws.ok(&["xray", "batch-get-traces", "--trace-ids", &ours, &missing]);
    assert_eq!(got["UnprocessedTraceIds"], json!([missing]));
    let trace = &got["Traces"][0];
    assert_eq!(trace["Id"], json!(ours));
    assert_eq!(trace["LimitExceeded"], false);
    assert_eq!(
        trace["Segments"],
        json!([{"Id": "70de5b6f19ff9a0a", "Document": backend}])
    );

    let ops: Vec<String> = emu.requests().into_iter().map(|r| r.operation).collect();
    for op in ["PutTraceSegments", "GetTraceSummaries", "BatchGetTraces"] {
        assert!(ops.contains(&op.to_string()), "{op}: {ops:?}");
    }
    assert!(
        emu.mutating_requests().is_empty(),
        "data-plane calls are not mutating"
    );
}

#[test]
#[ignore = "needs scripts/test.sh: aws"]
fn awscli_pages_through_trace_summaries() {
    let emu = Emulator::start_with(xray_emulator::Options { page_size: 2 }).unwrap();
    let aws = Aws::new(&emu);
    let docs: Vec<String> = (0..5)
        .map(|i| {
            segment(
                &trace_id(10 + i),
                &format!("{:016x}", i + 1),
                "backend-flask",
            )
        })
        .collect();
    let mut args = vec!["xray", "put-trace-segments", "--trace-segment-documents"];
    args.extend(docs.iter().map(String::as_str));
    assert_eq!(aws.ok(&args)["UnprocessedTraceSegments"], json!([]));
    let (start, end) = ((now() - 600).to_string(), (now() + 60).to_string());
    let all = aws.ok(&[
        "xray",
        "get-trace-summaries",
        "--start-time",
        &start,
        "--end-time",
        &end,
        "--filter-expression",
        "service(\"backend-flask\")",
    ]);
    assert_eq!(all["TraceSummaries"].as_array().unwrap().len(), 5);
    let pages = emu
        .requests()
        .iter()
        .filter(|r| r.operation == "GetTraceSummaries")
        .count();
    assert_eq!(pages, 3, "awscli followed NextToken");
}

#[test]
#[ignore = "needs scripts/test.sh: aws"]
fn sampling_targets_and_telemetry() {
    let emu = Emulator::start().unwrap();
    let aws = Aws::new(&emu);
    let stats = |rule: &str| {
        json!({"RuleName": rule, "ClientID": "0123456789abcdef01234567",
               "Timestamp": now(), "RequestCount": 10, "SampledCount": 1, "BorrowCount": 0})
    };
    let docs = json!([stats("Default"), stats("Nobody")]).to_string();
    let out = aws.ok(&[
        "xray",
        "get-sampling-targets",
        "--sampling-statistics-documents",
        &docs,
    ]);
    let target = &out["SamplingTargetDocuments"][0];
    assert_eq!(target["RuleName"], "Default");
    assert_eq!(target["FixedRate"], 0.05);
    assert_eq!(target["ReservoirQuota"], 1);
    assert_eq!(target["Interval"], 10);
    assert!(target.get("ReservoirQuotaTTL").is_some(), "{out:#}");
    assert!(out.get("LastRuleModification").is_some(), "{out:#}");
    assert_eq!(out["UnprocessedStatistics"][0]["RuleName"], "Nobody");

    let mut missing = stats("Default");
    missing.as_object_mut().unwrap().remove("ClientID");
    let docs = json!([missing]).to_string();
    // botocore checks required members itself; a short ClientID only the service sees.
    let out = aws.run(&[
        "xray",
        "get-sampling-targets",
        "--sampling-statistics-documents",
        &docs,
    ]);
    assert_eq!(
        out.status.code(),
        Some(aws.exit_code(false)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // What botocore does not check, the emulator does.
    let mut short = stats("Default");
    short["ClientID"] = json!("short");
    let err = aws.fails_with(
        "unchecked",
        &[
            "xray",
            "get-sampling-targets",
            "--sampling-statistics-documents",
            &json!([short]).to_string(),
        ],
    );
    assert!(err.contains("(InvalidRequestException)"), "{err}");

    let records = json!([{"Timestamp": now(), "SegmentsReceivedCount": 1,
        "BackendConnectionErrors": {"TimeoutCount": 0}}])
    .to_string();
    aws.ok(&[
        "xray",
        "put-telemetry-records",
        "--telemetry-records",
        &records,
        "--hostname",
        "backend-flask",
    ]);
}

#[test]
#[ignore = "needs scripts/test.sh: aws"]
fn request_errors_are_what_awscli_expects() {
    let emu = Emulator::start().unwrap();
    let aws = Aws::new(&emu);
    let err = aws.fails(&[
        "xray",
        "get-trace-summaries",
        "--start-time",
        "0",
        "--end-time",
        "90000",
    ]);
    assert!(
        err.contains("An error occurred (InvalidRequestException) when calling the GetTraceSummaries operation"),
        "{err}"
    );
    let err = aws.fails(&[
        "xray",
        "get-trace-summaries",
        "--start-time",
        "0",
        "--end-time",
        "60",
        "--filter-expression",
        "annotation.account = \"1\"",
    ]);
    assert!(err.contains("unsupported in this emulator"), "{err}");
    let ids = ["a", "b", "c", "d", "e", "f"];
    let mut args = vec!["xray", "batch-get-traces", "--trace-ids"];
    args.extend(ids);
    let err = aws.fails(&args);
    assert!(err.contains("(InvalidRequestException)"), "{err}");
}

#[test]
#[ignore = "needs scripts/test.sh: aws"]
fn an_access_denied_fault_names_the_action() {
    let emu = Emulator::start().unwrap();
    let aws = Aws::new(&emu);
    emu.inject(Fault::new(FaultKind::AccessDenied, 1).on("PutTraceSegments"));
    let doc = segment(&trace_id(1), "70de5b6f19ff9a0a", "backend-flask");
    // Other operations are not affected.
    aws.ok(&["xray", "get-sampling-rules"]);
    let err = aws.fails(&[
        "xray",
        "put-trace-segments",
        "--trace-segment-documents",
        &doc,
    ]);
    assert!(
        err.contains(
            "An error occurred (AccessDeniedException) when calling the PutTraceSegments operation: \
             User: arn:aws:iam::123456789012:user/test is not authorized to perform: xray:PutTraceSegments"
        ),
        "{err}"
    );
    let denied = emu.requests().pop().unwrap();
    assert_eq!(
        (denied.operation.as_str(), denied.status),
        ("PutTraceSegments", 403)
    );
    // Used up: the next call goes through.
    assert_eq!(
        aws.ok(&[
            "xray",
            "put-trace-segments",
            "--trace-segment-documents",
            &doc
        ]),
        json!({"UnprocessedTraceSegments": []})
    );
    // The admin endpoint's JSON name.
    let fault: Fault =
        serde_json::from_str(r#"{"kind": "access-denied", "operation": "GetTraceSummaries"}"#)
            .unwrap();
    assert_eq!(
        fault,
        Fault::new(FaultKind::AccessDenied, 1).on("GetTraceSummaries")
    );
}
