//! The local API Gateway of `wsdeploy dev` (the contract's dev.md, "The
//! WebSocket endpoint", "Events" and "@connections"): one axum server
//! that accepts WebSocket connections at `/<stage>` and `/`, runs
//! `$connect`, routes each text message by the route selection expression,
//! runs `$disconnect` once per connection, and answers `@connections`
//! (`POST`, `GET`, `DELETE` at `/<stage>/@connections/{id}` and
//! `/@connections/{id}`).
//!
//! Handlers are reached only through [`Invoke`]; what happened is reported
//! through the `on_event` callback, one [`EventLog`] per event (printing is
//! the caller's). The server binds nothing itself: it serves the listener
//! it is given.
//!
//! - `connect`: the handshake and `$connect`;
//! - `authorizer`: the authorizer of `$connect` (Lambda REQUEST or IAM),
//!   with `policy` (the Lambda authorizer's answer) and `sigv4` (IAM);
//! - `connection`: one open connection (frames, routing, closes,
//!   `$disconnect`);
//! - `management`: `@connections`;
//! - `events`: the events handlers receive;
//! - `registry`: the open connections, by id;
//! - `clock`: API Gateway's time formats and ids;
//! - `tap`: the listener that keeps header names as the client wrote them.

mod authorizer;
pub mod clock;
mod connect;
mod connection;
mod events;
mod management;
mod policy;
mod registry;
mod sigv4;
mod tap;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

use crate::local::invoke::{Invoke, InvokeError};
use registry::Registry;

/// API Gateway's frame and message limits.
pub const MAX_FRAME: usize = 32 * 1024;
pub const MAX_MESSAGE: usize = 128 * 1024;

/// A route of the API: the function behind it and whether its answer goes
/// back to the sender (`returnResponse`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The function's short name, as in the config.
    pub function: String,
    pub return_response: bool,
}

/// What the gateway needs from the config, as plain values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    pub stage: String,
    pub region: String,
    /// `requestContext.apiId`: stable per app and stage.
    pub api_id: String,
    pub account_id: String,
    /// `$request.body.<path>` (`${request.body.<path>}` is read too).
    pub route_selection_expression: String,
    /// By route key: `$connect`, `$disconnect`, `$default`, custom keys.
    pub routes: BTreeMap<String, Route>,
    /// `stageVariables` in the events (left out when empty).
    pub stage_variables: BTreeMap<String, String>,
    /// What authorizes `$connect`, when something does.
    pub authorizer: Option<Authorizer>,
}

/// The authorizer of `$connect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorizer {
    /// A Lambda REQUEST authorizer.
    Lambda {
        /// The authorizer's name (for messages).
        name: String,
        /// The function's short name, as in the config.
        function: String,
        /// `route.request.header.<Name>` (any case) and
        /// `route.request.querystring.<name>` (exact): all must be present.
        identity_sources: Vec<String>,
    },
    /// A SigV4 signature for `execute-api`, verified against the gateway's
    /// [`Credentials`] when it has some.
    Iam,
}

/// The AWS credentials IAM signatures are verified against.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl Credentials {
    /// From environment-style pairs (`AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`), when both are there and not empty.
    pub fn from_pairs(pairs: &[(String, String)]) -> Option<Credentials> {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, v)| k == name && !v.is_empty())
                .map(|(_, v)| v.clone())
        };
        Some(Credentials {
            access_key_id: get("AWS_ACCESS_KEY_ID")?,
            secret_access_key: get("AWS_SECRET_ACCESS_KEY")?,
        })
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"****")
            .finish()
    }
}

/// Time limits; the defaults are API Gateway's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A connection with no frame from its client for this long closes
    /// (1001). AWS: 10 minutes.
    pub idle: Duration,
    /// A connection closes (1001) at this age. AWS: 2 hours.
    pub max_age: Duration,
    /// An invocation still running after this gets "Endpoint request timed
    /// out" (a `$connect` one: 504). AWS: 29 seconds.
    pub integration_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            idle: Duration::from_secs(10 * 60),
            max_age: Duration::from_secs(2 * 60 * 60),
            integration_timeout: Duration::from_secs(29),
        }
    }
}

/// One event the gateway handled, for the caller to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLog {
    /// When the event arrived.
    pub time: SystemTime,
    pub connection_id: String,
    /// `$connect`, `$disconnect`, `$default` or a custom key.
    pub route_key: String,
    /// HTTP-like: 200 (or the `$connect` handler's status); 403 no route
    /// for a message; 500 a handler error; 502 a failed `$connect`; 504
    /// the integration timeout.
    pub status: u16,
    /// From arrival to the answer.
    pub duration: Duration,
    /// Why it failed, when it did (the handler's error).
    pub error: Option<String>,
}

/// Called once per event.
pub type OnEvent = Arc<dyn Fn(EventLog) + Send + Sync>;

/// The local API Gateway.
pub struct Gateway {
    shared: Arc<Shared>,
}

/// What every request and connection of the gateway shares.
struct Shared {
    api: RwLock<Arc<Api>>,
    limits: Limits,
    /// What IAM signatures are verified against (none: any well-formed
    /// signature is accepted).
    credentials: RwLock<Option<Credentials>>,
    invoker: Arc<dyn Invoke>,
    on_event: OnEvent,
    registry: Registry,
    /// True once shutdown began: every connection closes with 1001.
    closing: watch::Sender<bool>,
    /// Connections not finished yet (their `$disconnect` included).
    live: Live,
}

impl Shared {
    fn api(&self) -> Arc<Api> {
        self.api.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn credentials(&self) -> Option<Credentials> {
        self.credentials
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Reports one event to `on_event`.
    fn emit(
        &self,
        connection_id: &str,
        route_key: &str,
        time: SystemTime,
        started: Instant,
        status: u16,
        error: Option<String>,
    ) {
        (self.on_event)(EventLog {
            time,
            connection_id: connection_id.to_string(),
            route_key: route_key.to_string(),
            status,
            duration: started.elapsed(),
            error,
        });
    }

    /// Invokes `function` within the integration timeout.
    async fn invoke(
        &self,
        function: &str,
        event: serde_json::Value,
    ) -> Result<serde_json::Value, Failure> {
        let call = self.invoker.invoke(function, event);
        match tokio::time::timeout(self.limits.integration_timeout, call).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(error)) => Err(Failure::Handler(error)),
            Err(_) => Err(Failure::IntegrationTimeout),
        }
    }
}

/// Why an integration gave no answer.
#[derive(Debug)]
enum Failure {
    /// The function failed (or timed out by its own `timeout`).
    Handler(InvokeError),
    /// Still running at `Limits::integration_timeout`.
    IntegrationTimeout,
}

impl Failure {
    fn text(&self) -> String {
        match self {
            Failure::Handler(error) => error.to_string(),
            Failure::IntegrationTimeout => "integration timed out".to_string(),
        }
    }
}

/// Counts live connection tasks, so that shutdown can wait for them.
#[derive(Default)]
struct Live {
    count: AtomicUsize,
    idle: Notify,
}

/// Held by a connection from its accepted handshake to the end of its
/// `$disconnect`.
struct LiveGuard(Arc<Shared>);

impl LiveGuard {
    fn new(shared: &Arc<Shared>) -> Self {
        shared.live.count.fetch_add(1, Ordering::SeqCst);
        LiveGuard(shared.clone())
    }
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        if self.0.live.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.live.idle.notify_waiters();
        }
    }
}

impl Live {
    async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.count.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Gateway {
    pub fn new(api: Api, limits: Limits, invoker: Arc<dyn Invoke>, on_event: OnEvent) -> Self {
        let (closing, _) = watch::channel(false);
        Gateway {
            shared: Arc::new(Shared {
                api: RwLock::new(Arc::new(api)),
                limits,
                credentials: RwLock::new(None),
                invoker,
                on_event,
                registry: Registry::default(),
                closing,
                live: Live::default(),
            }),
        }
    }

    /// Reload: new connections and messages (and later `$disconnect`s) use
    /// `api`; open connections stay open.
    pub fn set_api(&self, api: Api) {
        *self.shared.api.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(api);
    }

    /// IAM signatures of later handshakes are verified against
    /// `credentials`; with none, any well-formed signature is accepted.
    pub fn with_credentials(self, credentials: Option<Credentials>) -> Self {
        self.set_credentials(credentials);
        self
    }

    /// See [`Gateway::with_credentials`].
    pub fn set_credentials(&self, credentials: Option<Credentials>) {
        *self
            .shared
            .credentials
            .write()
            .unwrap_or_else(|e| e.into_inner()) = credentials;
    }

    /// True when `$connect` is authorized by IAM but there are no
    /// credentials to verify signatures against (dev says so at start).
    pub fn iam_unverified(&self) -> bool {
        matches!(self.shared.api().authorizer, Some(Authorizer::Iam))
            && self.shared.credentials().is_none()
    }

    /// Open connections (until their `$disconnect` has run).
    pub fn connection_count(&self) -> usize {
        self.shared.registry.len()
    }

    /// Serves `listener` until `shutdown` resolves; then closes every
    /// connection with 1001, waits for each `$disconnect`, and returns.
    /// A gateway serves once: after shutdown, new connections are closed
    /// as soon as they open.
    pub async fn serve(
        &self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        let shared = self.shared.clone();
        let signal = async move {
            shutdown.await;
            shared.closing.send_replace(true);
        };
        let app = router(self.shared.clone()).into_make_service_with_connect_info::<tap::Peer>();
        axum::serve(tap::TapListener(listener), app)
            .with_graceful_shutdown(signal)
            .await?;
        self.shared.live.wait_idle().await;
        Ok(())
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(connect::at_root))
        .route("/{stage}", get(connect::at_stage))
        .route("/@connections/{id}", any(management::at_root))
        .route("/{stage}/@connections/{id}", any(management::at_stage))
        .fallback(|| async { forbidden() })
        .with_state(shared)
}

/// API Gateway's answer to a path it does not serve.
fn forbidden() -> Response {
    management::error(
        axum::http::StatusCode::FORBIDDEN,
        "ForbiddenException",
        "Forbidden",
    )
    .into_response()
}
