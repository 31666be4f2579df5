//! A local emulator of the AWS X-Ray control plane (groups, sampling rules, tags) and
//! of the data-plane calls `cruddur-obs verify` makes, for tests, the demo and the
//! benchmarks: moto and LocalStack's free edition do not implement these operations.
//!
//! It follows the AWS service model (`xray-2016-04-12`, restJson1): `POST /CreateGroup`,
//! `/GetGroup`, `/Groups`, `/UpdateGroup`, `/DeleteGroup`, `/CreateSamplingRule`,
//! `/GetSamplingRules`, `/UpdateSamplingRule`, `/DeleteSamplingRule`, `/TagResource`,
//! `/UntagResource`, `/ListTagsForResource`; the data plane `/TraceSegments`
//! (PutTraceSegments), `/TraceSummaries` (GetTraceSummaries), `/Traces`
//! (BatchGetTraces), `/SamplingTargets` (GetSamplingTargets), `/TelemetryRecords`
//! (PutTelemetryRecords), with segment documents checked as X-Ray does and stored per
//! region; errors as `x-amzn-ErrorType` with the
//! modeled status codes; the model's constraints; the built-in `Default` group and
//! rule (priority 10000); pagination with `NextToken`. State is kept per region,
//! taken from the SigV4 credential scope. awscli is run against it in the tests.
//!
//! It records every request it served and can be told to inject faults.
//! Admin endpoints (for the process form): `GET /_emulator/requests`,
//! `POST /_emulator/reset`, `POST /_emulator/faults` (a [`Fault`] as JSON).

mod model;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub use model::{ApiError, RegionState, ACCOUNT_ID};

/// The operations the emulator serves, by request path, and whether each one is
/// mutating: changes the X-Ray configuration (groups, rules, tags). The data-plane
/// writes (trace segments, telemetry) are not counted as mutating.
const OPERATIONS: &[(&str, &str, bool)] = &[
    ("/CreateGroup", "CreateGroup", true),
    ("/GetGroup", "GetGroup", false),
    ("/Groups", "GetGroups", false),
    ("/UpdateGroup", "UpdateGroup", true),
    ("/DeleteGroup", "DeleteGroup", true),
    ("/CreateSamplingRule", "CreateSamplingRule", true),
    ("/GetSamplingRules", "GetSamplingRules", false),
    ("/UpdateSamplingRule", "UpdateSamplingRule", true),
    ("/DeleteSamplingRule", "DeleteSamplingRule", true),
    ("/TagResource", "TagResource", true),
    ("/UntagResource", "UntagResource", true),
    ("/ListTagsForResource", "ListTagsForResource", false),
    ("/TraceSegments", "PutTraceSegments", false),
    ("/TraceSummaries", "GetTraceSummaries", false),
    ("/Traces", "BatchGetTraces", false),
    ("/SamplingTargets", "GetSamplingTargets", false),
    ("/TelemetryRecords", "PutTelemetryRecords", false),
];

/// One request the emulator served.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Recorded {
    pub operation: String,
    pub region: String,
    pub mutating: bool,
    pub body: Value,
    /// The HTTP status it answered with.
    pub status: u16,
}

/// What a fault does to a request.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// 429 ThrottledException.
    Throttle,
    /// 500 with no modeled error.
    ServerError,
    /// Never answer (until the emulator stops).
    Hang,
    /// 403 UnrecognizedClientException, as AWS answers unknown credentials.
    RejectAuth,
    /// Another client does the same request just before this one (a creation race).
    Race,
    /// Drop the connection without an answer (a connection reset).
    Reset,
    /// 403 AccessDeniedException, as AWS answers an IAM denial; the message names the
    /// action: `User: arn:aws:iam::123456789012:user/test is not authorized to perform:
    /// xray:<Operation> because no identity-based policy allows the xray:<Operation> action`.
    AccessDenied,
}

/// A fault applied to the next `times` requests (of `operation`, when given).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    #[serde(default)]
    pub operation: Option<String>,
    #[serde(default = "one")]
    pub times: usize,
}

fn one() -> usize {
    1
}

impl Fault {
    pub fn new(kind: FaultKind, times: usize) -> Fault {
        Fault {
            kind,
            operation: None,
            times,
        }
    }

    pub fn on(mut self, operation: &str) -> Fault {
        self.operation = Some(operation.to_string());
        self
    }
}

/// Emulator settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Items per page of GetGroups / GetSamplingRules / ListTagsForResource /
    /// GetTraceSummaries / BatchGetTraces.
    pub page_size: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { page_size: 10 }
    }
}

#[derive(Debug, Default)]
struct Inner {
    regions: HashMap<String, RegionState>,
    requests: Vec<Recorded>,
    faults: VecDeque<Fault>,
}

/// The emulator's state, shared by the server and its handle.
#[derive(Debug, Default)]
pub struct Shared {
    inner: Mutex<Inner>,
    options: Options,
}

impl Shared {
    pub fn new(options: Options) -> Arc<Shared> {
        Arc::new(Shared {
            inner: Mutex::default(),
            options,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    pub fn inject(&self, fault: Fault) {
        self.lock().faults.push_back(fault);
    }

    pub fn reset(&self) {
        *self.lock() = Inner::default();
    }

    fn take_fault(&self, operation: &str) -> Option<FaultKind> {
        let mut inner = self.lock();
        let index = inner
            .faults
            .iter()
            .position(|f| f.times > 0 && f.operation.as_deref().is_none_or(|op| op == operation))?;
        let fault = &mut inner.faults[index];
        fault.times -= 1;
        let kind = fault.kind;
        if fault.times == 0 {
            inner.faults.remove(index);
        }
        Some(kind)
    }
}

/// The emulator's HTTP routes over `shared`.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_emulator/requests", get(admin_requests))
        .route("/_emulator/reset", post(admin_reset))
        .route("/_emulator/faults", post(admin_fault))
        .fallback(handle)
        .with_state(shared)
}

async fn admin_requests(State(shared): State<Arc<Shared>>) -> Json<Vec<Recorded>> {
    Json(shared.requests())
}

async fn admin_reset(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.reset();
    StatusCode::NO_CONTENT
}

async fn admin_fault(State(shared): State<Arc<Shared>>, Json(fault): Json<Fault>) -> StatusCode {
    shared.inject(fault);
    StatusCode::NO_CONTENT
}

/// The SigV4 credential scope's region and access key: `Credential=AKID/DATE/REGION/xray/aws4_request`.
fn credential_scope(headers: &HeaderMap) -> Option<(String, String)> {
    let auth = headers.get("authorization")?.to_str().ok()?;
    let credential = auth.split("Credential=").nth(1)?.split(',').next()?;
    let mut parts = credential.split('/');
    let key = parts.next()?.to_string();
    let region = parts.nth(1)?.to_string();
    Some((key, region))
}

fn error_response(e: ApiError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        [
            ("x-amzn-ErrorType", e.code.to_string()),
            ("content-type", "application/json".to_string()),
        ],
        json!({ "Message": e.message }).to_string(),
    )
        .into_response()
}

/// The error AWS answers when IAM denies `operation` to the caller.
fn access_denied(operation: &str) -> ApiError {
    ApiError::new(
        403,
        "AccessDeniedException",
        format!(
            "User: arn:aws:iam::{ACCOUNT_ID}:user/test is not authorized to perform: \
             xray:{operation} because no identity-based policy allows the xray:{operation} action"
        ),
    )
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(&(_, operation, mutating)) =
        OPERATIONS.iter().find(|(path, _, _)| *path == uri.path())
    else {
        return error_response(ApiError::new(
            404,
            "UnknownOperationException",
            format!("no operation at {}", uri.path()),
        ));
    };
    if method != Method::POST {
        return error_response(ApiError::new(
            405,
            "UnknownOperationException",
            format!("{operation} takes POST"),
        ));
    }
    let Some((_key, region)) = credential_scope(&headers) else {
        return error_response(ApiError::new(
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ));
    };
    let parsed: Result<Value, _> = if body.is_empty() {
        Ok(json!({}))
    } else {
        serde_json::from_slice(&body)
    };
    let fault = shared.take_fault(operation);
    if fault == Some(FaultKind::Hang) {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    if fault == Some(FaultKind::Reset) {
        shared.lock().requests.push(Recorded {
            operation: operation.to_string(),
            region,
            mutating,
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            status: 0,
        });
        // Unwinding out of the handler makes hyper drop the connection unanswered;
        // resume_unwind skips the panic hook, so nothing is printed.
        std::panic::resume_unwind(Box::new("connection reset by the emulator"));
    }
    let result = match (parsed, fault) {
        (_, Some(FaultKind::Throttle)) => {
            Err(ApiError::new(429, "ThrottledException", "Rate exceeded"))
        }
        (_, Some(FaultKind::ServerError)) => {
            Err(ApiError::new(500, "InternalFailure", "internal failure"))
        }
        (_, Some(FaultKind::RejectAuth)) => Err(ApiError::new(
            403,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )),
        (_, Some(FaultKind::AccessDenied)) => Err(access_denied(operation)),
        (Err(e), _) => Err(ApiError::new(400, "SerializationException", e.to_string())),
        (Ok(v), _) if !v.is_object() => Err(ApiError::new(
            400,
            "SerializationException",
            "the request body must be a JSON object",
        )),
        (Ok(v), _) => {
            let mut inner = shared.lock();
            let state = inner
                .regions
                .entry(region.clone())
                .or_insert_with(|| RegionState::new(&region));
            if fault == Some(FaultKind::Race) {
                let _ = state.dispatch(operation, &v, shared.options.page_size);
            }
            state.dispatch(operation, &v, shared.options.page_size)
        }
    };
    let status = result.as_ref().map_or_else(|e| e.status, |_| 200);
    shared.lock().requests.push(Recorded {
        operation: operation.to_string(),
        region,
        mutating,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        status,
    });
    match result {
        Ok(v) => (StatusCode::OK, Json(v)).into_response(),
        Err(e) => error_response(e),
    }
}

/// Serves the emulator on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(shared))
        .with_graceful_shutdown(shutdown)
        .await
}

/// An emulator running in-process on a free loopback port, on its own thread.
/// Stops when dropped.
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Emulator {
    pub fn start() -> std::io::Result<Emulator> {
        Emulator::start_with(Options::default())
    }

    pub fn start_with(options: Options) -> std::io::Result<Emulator> {
        let shared = Shared::new(options);
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server_shared = shared.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) else {
                    return;
                };
                // Not a graceful shutdown: a handler told to hang must not keep us alive.
                tokio::select! {
                    _ = axum::serve(listener, router(server_shared)) => {}
                    _ = stopped => {}
                }
            });
            // Drop the runtime here, cancelling handlers that still hang.
            runtime.shutdown_background();
        });
        Ok(Emulator {
            addr,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The endpoint URL to give to the SDK or awscli.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request served so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests()
    }

    /// The mutating requests served so far.
    pub fn mutating_requests(&self) -> Vec<Recorded> {
        self.requests().into_iter().filter(|r| r.mutating).collect()
    }

    pub fn inject(&self, fault: Fault) {
        self.shared.inject(fault);
    }

    /// Runs `f` on the state of `region` (to seed or inspect it directly).
    pub fn with_region<T>(&self, region: &str, f: impl FnOnce(&mut RegionState) -> T) -> T {
        let mut inner = self.shared.lock();
        let state = inner
            .regions
            .entry(region.to_string())
            .or_insert_with(|| RegionState::new(region));
        f(state)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
