//! The Lambda Runtime API of one worker, as AWS's runtime interface
//! emulator serves it: `next` long-polls until the pool hands the worker an
//! event; `response` and `error` settle it; `init/error` marks the worker
//! dead. Each worker gets its own listener (AWS_LAMBDA_RUNTIME_API is a bare
//! `host:port`), so a request needs no routing to tell workers apart.
//!
//! Invariants: at most one invocation is in flight per worker; an answer
//! for any other request id is refused (400 `InvalidRequestID`), as is a
//! `next` while one is in flight (403 `InvalidStateTransition`).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Lambda's limit on a synchronous response (and so on what we read).
pub(crate) const MAX_PAYLOAD: usize = 6_291_556;

/// An event for a worker, and where its answer goes.
pub(crate) struct Job {
    pub event: Vec<u8>,
    pub timeout: Duration,
    /// Told when the worker takes the event: the invocation's deadline.
    pub delivered: oneshot::Sender<Instant>,
    pub reply: oneshot::Sender<Outcome>,
}

/// What the worker answered.
#[derive(Debug)]
pub(crate) enum Outcome {
    Response(Value),
    Error { error_type: String, message: String },
}

struct InFlight {
    id: String,
    reply: oneshot::Sender<Outcome>,
}

struct Api {
    jobs: tokio::sync::Mutex<mpsc::Receiver<Job>>,
    in_flight: Mutex<Option<InFlight>>,
    function_arn: String,
    /// Set (once) to why the worker can serve no more; `init/error` sets it.
    death: watch::Sender<Option<String>>,
}

/// A worker's Runtime API, served until dropped.
pub(crate) struct Server {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds 127.0.0.1:0 and serves the Runtime API for one worker.
pub(crate) async fn serve(
    jobs: mpsc::Receiver<Job>,
    function_arn: String,
    death: watch::Sender<Option<String>>,
) -> std::io::Result<Server> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let api = Arc::new(Api {
        jobs: tokio::sync::Mutex::new(jobs),
        in_flight: Mutex::new(None),
        function_arn,
        death,
    });
    let router = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(api);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(Server { addr, task })
}

async fn next(State(api): State<Arc<Api>>) -> Response {
    if lock(&api.in_flight).is_some() {
        return refuse(
            StatusCode::FORBIDDEN,
            "InvalidStateTransition",
            "an invocation is in flight: answer it before asking for the next",
        );
    }
    let mut jobs = api.jobs.lock().await;
    loop {
        let Some(job) = jobs.recv().await else {
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                "stopping",
            );
        };
        let deadline = Instant::now() + job.timeout;
        let deadline_ms = epoch_ms() + job.timeout.as_millis() as u64;
        if job.delivered.send(deadline).is_err() {
            continue; // the caller gave up before the worker took it
        }
        let id = request_id();
        *lock(&api.in_flight) = Some(InFlight {
            id: id.clone(),
            reply: job.reply,
        });
        let mut headers = HeaderMap::new();
        let mut set = |name: &'static str, value: String| {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(name, v);
            }
        };
        set("lambda-runtime-aws-request-id", id);
        set("lambda-runtime-deadline-ms", deadline_ms.to_string());
        set(
            "lambda-runtime-invoked-function-arn",
            api.function_arn.clone(),
        );
        set("lambda-runtime-trace-id", trace_id());
        set(header::CONTENT_TYPE.as_str(), "application/json".to_owned());
        return (StatusCode::OK, headers, job.event).into_response();
    }
}

async fn response(State(api): State<Arc<Api>>, Path(id): Path<String>, body: Body) -> Response {
    let Some(in_flight) = take(&api, &id) else {
        return invalid_request_id();
    };
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PAYLOAD).await else {
        let _ = in_flight.reply.send(Outcome::Error {
            error_type: "Function.ResponseSizeTooLarge".to_owned(),
            message: format!(
                "Response payload size exceeded maximum allowed payload size ({MAX_PAYLOAD} bytes)."
            ),
        });
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            &format!("Exceeded maximum allowed payload size ({MAX_PAYLOAD} bytes)."),
        );
    };
    let _ = in_flight.reply.send(Outcome::Response(payload(&bytes)));
    accepted()
}

async fn error(
    State(api): State<Arc<Api>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(in_flight) = take(&api, &id) else {
        return invalid_request_id();
    };
    let bytes = axum::body::to_bytes(body, MAX_PAYLOAD)
        .await
        .unwrap_or_default();
    let (error_type, message) = error_of(&headers, &bytes);
    let _ = in_flight.reply.send(Outcome::Error {
        error_type,
        message,
    });
    accepted()
}

async fn init_error(State(api): State<Arc<Api>>, headers: HeaderMap, body: Bytes) -> Response {
    let (error_type, message) = error_of(&headers, &body);
    api.death.send_if_modified(|death| {
        let first = death.is_none();
        if first {
            *death = Some(format!("{error_type}: {message}"));
        }
        first
    });
    accepted()
}

/// The in-flight invocation, if `id` is its request id.
fn take(api: &Api, id: &str) -> Option<InFlight> {
    let mut slot = lock(&api.in_flight);
    match slot.as_ref() {
        Some(in_flight) if in_flight.id == id => slot.take(),
        _ => None,
    }
}

/// A response body as JSON; a runtime may answer with anything, so what is
/// not JSON becomes a string, and nothing at all `null`.
fn payload(bytes: &[u8]) -> Value {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// `errorType` and `errorMessage` from an error body (the header
/// `Lambda-Runtime-Function-Error-Type` when the body has no type).
pub(crate) fn error_of(headers: &HeaderMap, body: &[u8]) -> (String, String) {
    let parsed: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let text = |key: &str| parsed.get(key).and_then(Value::as_str).map(str::to_owned);
    let header_type = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let error_type = text("errorType")
        .or(header_type)
        .unwrap_or_else(|| "Unhandled".to_owned());
    let message =
        text("errorMessage").unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    (error_type, message)
}

fn accepted() -> Response {
    (StatusCode::ACCEPTED, axum::Json(json!({"status": "OK"}))).into_response()
}

fn invalid_request_id() -> Response {
    refuse(
        StatusCode::BAD_REQUEST,
        "InvalidRequestID",
        "Invalid request ID",
    )
}

fn refuse(status: StatusCode, error_type: &str, message: &str) -> Response {
    let body = json!({"errorMessage": message, "errorType": error_type});
    (status, axum::Json(body)).into_response()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// 64 random bits (std's hasher keys are random per process and vary per
/// `RandomState`; the counter makes consecutive values differ regardless).
fn random_u64() -> u64 {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNT.fetch_add(1, Ordering::Relaxed));
    hasher.write_u64(epoch_ms());
    hasher.finish()
}

/// A version-4 UUID, as Lambda's request ids are.
pub(crate) fn request_id() -> String {
    let (a, b) = (random_u64(), random_u64());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

/// An X-Ray trace header, not sampled.
fn trace_id() -> String {
    format!(
        "Root=1-{:08x}-{:024x};Parent={:016x};Sampled=0",
        epoch_ms() / 1000,
        (u128::from(random_u64()) << 32 | u128::from(random_u64() as u32)) & ((1 << 96) - 1),
        random_u64()
    )
}
