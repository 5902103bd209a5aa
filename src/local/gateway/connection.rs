//! One open connection: its frames (text only; binary closes with 1003,
//! over the size limits 1009, a broken frame 1002), each message routed
//! and answered, the idle and maximum-age timeouts, closes asked for by
//! `@connections` or shutdown, and `$disconnect` once at the end.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::events::{self, ConnCtx, Request};
use super::registry::{Conn, Outbound};
use super::{Failure, LiveGuard, Shared};

/// How long a close handshake may take before the socket is dropped.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// How a connection ended: the `disconnectStatusCode` and
/// `disconnectReason`, and who closed it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct End {
    code: u16,
    reason: String,
    side: Side,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// The client sent a close frame (answered by the socket itself).
    Client,
    /// The gateway closes with `code`.
    Server,
    /// The network went away: no close handshake.
    Lost,
}

impl End {
    fn server(code: u16, reason: &str) -> Self {
        End {
            code,
            reason: reason.to_string(),
            side: Side::Server,
        }
    }

    fn going_away() -> Self {
        End::server(1001, "Going away")
    }

    fn lost() -> Self {
        End {
            code: 1006,
            reason: "Connection lost".to_string(),
            side: Side::Lost,
        }
    }

    fn client(frame: Option<CloseFrame>) -> Self {
        let (code, reason) = match frame {
            Some(frame) => (frame.code, frame.reason.to_string()),
            None => (1005, "Client-side close frame status not set".to_string()),
        };
        End {
            code,
            reason,
            side: Side::Client,
        }
    }

    /// A read error, by what tungstenite says it was.
    fn from_error(error: &axum::Error) -> Self {
        let text = error.to_string();
        if text.contains("Space limit exceeded") {
            End::server(1009, "Message too big")
        } else if text.contains("without closing handshake") || text.starts_with("IO error") {
            End::lost()
        } else {
            End::server(1002, "Protocol error")
        }
    }
}

/// Serves one accepted connection to its end, `$disconnect` included.
pub async fn run(mut socket: WebSocket, shared: Arc<Shared>, ctx: Arc<ConnCtx>, guard: LiveGuard) {
    let (tx, rx) = mpsc::unbounded_channel();
    let conn = Arc::new(Conn::new(ctx.clone(), tx));
    shared.registry.insert(conn.clone());
    let end = pump(&mut socket, &shared, &conn, rx).await;
    conn.mark_closing();
    close(&mut socket, &end).await;
    drop(socket);
    disconnect(&shared, &ctx, &end).await;
    shared.registry.remove(&ctx.id);
    drop(guard);
}

/// Moves frames both ways until something ends the connection.
async fn pump(
    socket: &mut WebSocket,
    shared: &Arc<Shared>,
    conn: &Arc<Conn>,
    mut rx: mpsc::UnboundedReceiver<Outbound>,
) -> End {
    let mut closing = shared.closing.subscribe();
    let limits = shared.limits;
    let max_age = tokio::time::sleep(limits.max_age);
    tokio::pin!(max_age);
    let mut idle_until = tokio::time::Instant::now() + limits.idle;
    loop {
        tokio::select! {
            () = shutdown(&mut closing) => return End::going_away(),
            out = rx.recv() => match out {
                Some(Outbound::Text { text, ack }) => {
                    let sent = socket.send(Message::Text(text.into())).await.is_ok();
                    if let Some(ack) = ack {
                        let _ = ack.send(sent);
                    }
                    if !sent {
                        return End::lost();
                    }
                }
                Some(Outbound::Close { code, reason }) => return End::server(code, &reason),
                None => return End::going_away(),
            },
            _ = &mut max_age => return End::going_away(),
            _ = tokio::time::sleep_until(idle_until) => return End::going_away(),
            frame = socket.recv() => {
                let message = match frame {
                    None => return End::lost(),
                    Some(Err(error)) => return End::from_error(&error),
                    Some(Ok(message)) => message,
                };
                idle_until = tokio::time::Instant::now() + limits.idle;
                conn.touch();
                match message {
                    Message::Text(text) => {
                        let body = text.as_str().to_string();
                        tokio::spawn(on_message(shared.clone(), conn.clone(), body));
                    }
                    Message::Binary(_) => {
                        return End::server(1003, "Binary frames are not supported");
                    }
                    Message::Close(frame) => return End::client(frame),
                    Message::Ping(_) | Message::Pong(_) => {}
                }
            }
        }
    }
}

/// Resolves once shutdown began (the watch's guard is not `Send`: it is
/// dropped here).
async fn shutdown(closing: &mut tokio::sync::watch::Receiver<bool>) {
    if closing.wait_for(|closing| *closing).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Completes the close handshake (within `CLOSE_WAIT`).
async fn close(socket: &mut WebSocket, end: &End) {
    if end.side == Side::Lost {
        return;
    }
    if end.side == Side::Server {
        let frame = CloseFrame {
            code: end.code,
            reason: end.reason.as_str().into(),
        };
        if socket.send(Message::Close(Some(frame))).await.is_err() {
            return;
        }
    }
    // Reading flushes the answer to a client's close and waits for the
    // client's answer to ours.
    let drain = async { while let Some(Ok(_)) = socket.recv().await {} };
    let _ = tokio::time::timeout(CLOSE_WAIT, drain).await;
}

/// Runs `$disconnect` (when there is one) with how the connection ended.
async fn disconnect(shared: &Shared, ctx: &ConnCtx, end: &End) {
    let api = shared.api();
    let req = Request::now();
    let started = Instant::now();
    let (status, error) = match api.routes.get("$disconnect") {
        None => (200, None),
        Some(route) => {
            let event = events::disconnect(&api, ctx, &req, end.code, &end.reason);
            match shared.invoke(&route.function, event).await {
                Ok(answer) => (status_of(&answer), None),
                Err(failure) => (failure_status(&failure), Some(failure.text())),
            }
        }
    };
    shared.emit(&ctx.id, "$disconnect", req.time, started, status, error);
}

/// Routes one text message, invokes its route, and answers the sender.
async fn on_message(shared: Arc<Shared>, conn: Arc<Conn>, body: String) {
    let api = shared.api();
    let req = Request::now();
    let started = Instant::now();
    let ctx = &conn.ctx;
    let key = events::select_route(&api, &body);
    let reply = |message: &str| {
        let error = json!({"message": message, "connectionId": ctx.id, "requestId": req.id});
        conn.send(Outbound::Text {
            text: error.to_string(),
            ack: None,
        });
    };
    let Some(route) = api.routes.get(&key) else {
        reply("Forbidden");
        shared.emit(&ctx.id, &key, req.time, started, 403, None);
        return;
    };
    let event = events::message(&api, ctx, &key, &req, &body);
    let (status, error) = match shared.invoke(&route.function, event).await {
        Ok(answer) => {
            if let Some(text) = response_body(&answer).filter(|_| route.return_response) {
                conn.send(Outbound::Text { text, ack: None });
            }
            (status_of(&answer), None)
        }
        Err(failure) => {
            reply(match failure {
                Failure::IntegrationTimeout => "Endpoint request timed out",
                Failure::Handler(_) => "Internal server error",
            });
            (failure_status(&failure), Some(failure.text()))
        }
    };
    shared.emit(&ctx.id, &key, req.time, started, status, error);
}

/// What a `returnResponse` route sends back: the handler's `body`, a
/// string as is, anything else as JSON.
fn response_body(answer: &Value) -> Option<String> {
    match answer.get("body")? {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

/// The handler's `statusCode` for the log, 200 when it gave none.
fn status_of(answer: &Value) -> u16 {
    answer
        .get("statusCode")
        .and_then(Value::as_u64)
        .and_then(|code| u16::try_from(code).ok())
        .unwrap_or(200)
}

fn failure_status(failure: &Failure) -> u16 {
    match failure {
        Failure::IntegrationTimeout => 504,
        Failure::Handler(_) => 500,
    }
}
