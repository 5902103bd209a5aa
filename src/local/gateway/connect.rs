//! The handshake: `ws://HOST:PORT/<stage>` and `ws://HOST:PORT/`, the
//! authorizer (see `authorizer`), the `$connect` route (2xx accepts, another status refuses the handshake
//! with it, a failure gives 502, the integration timeout 504), and the
//! subprotocol, selected only when the handler names it in `headers`.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::events::{self, ConnCtx, Handshake, Request};
use super::tap::Peer;
use super::{
    Api, Failure, LiveGuard, MAX_FRAME, MAX_MESSAGE, Shared, authorizer, clock, connection,
};

/// What the handshake handlers extract.
pub struct Incoming {
    peer: Peer,
    headers: HeaderMap,
    uri: Uri,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
}

/// `ws://HOST:PORT/`.
pub async fn at_root(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    headers: HeaderMap,
    uri: Uri,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    handshake(
        shared,
        Incoming {
            peer,
            headers,
            uri,
            ws,
        },
    )
    .await
}

/// `ws://HOST:PORT/<stage>`; another stage is 403, as in AWS.
pub async fn at_stage(
    State(shared): State<Arc<Shared>>,
    Path(stage): Path<String>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    headers: HeaderMap,
    uri: Uri,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if stage != shared.api().stage {
        return super::forbidden();
    }
    handshake(
        shared,
        Incoming {
            peer,
            headers,
            uri,
            ws,
        },
    )
    .await
}

fn text(value: &axum::http::HeaderValue) -> String {
    String::from_utf8_lossy(value.as_bytes()).into_owned()
}

async fn handshake(shared: Arc<Shared>, incoming: Incoming) -> Response {
    let ws = match incoming.ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let raw = incoming.peer.tap.take();
    let headers = &incoming.headers;
    let mut ctx = ConnCtx {
        id: clock::connection_id(),
        connected_at: SystemTime::now(),
        source_ip: incoming.peer.addr.ip().to_string(),
        user_agent: headers.get(header::USER_AGENT).map(text),
        domain: headers.get(header::HOST).map(text).unwrap_or_default(),
        authorizer: None,
        access_key: None,
    };
    let (event_headers, multi_value_headers) = events::header_maps(headers, &raw);
    let pairs = Query::<Vec<(String, String)>>::try_from_uri(&incoming.uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let handshake = Handshake {
        headers: event_headers,
        multi_value_headers,
        query: events::query_maps(&pairs),
    };
    let api = shared.api();
    let req = Request::now();
    let started = Instant::now();
    let seen = authorizer::Incoming {
        headers,
        uri: &incoming.uri,
        query: &pairs,
        handshake: &handshake,
    };
    match authorizer::authorize(&shared, &api, &ctx, &req, &seen).await {
        Err(refusal) => return refusal,
        Ok(granted) => {
            ctx.authorizer = granted.authorizer;
            ctx.access_key = granted.access_key;
        }
    }
    let ctx = Arc::new(ctx);
    match run_connect(&shared, &api, &ctx, &handshake, (req, started)).await {
        Err(refusal) => refusal,
        Ok(protocols) => {
            let guard = LiveGuard::new(&shared);
            ws.max_frame_size(MAX_FRAME)
                .max_message_size(MAX_MESSAGE)
                .protocols(protocols)
                .on_upgrade(move |socket| connection::run(socket, shared, ctx, guard))
        }
    }
}

/// Runs `$connect` when there is one (the same request the authorizer
/// saw, timed from its arrival): the subprotocols the handler selected,
/// or the response that refuses the handshake.
async fn run_connect(
    shared: &Shared,
    api: &Api,
    ctx: &ConnCtx,
    handshake: &Handshake,
    (req, started): (Request, Instant),
) -> Result<Vec<String>, Response> {
    let Some(route) = api.routes.get("$connect") else {
        shared.emit(&ctx.id, "$connect", req.time, started, 200, None);
        return Ok(Vec::new());
    };
    let event = events::connect(api, ctx, &req, handshake);
    let (status, error, outcome) = match shared.invoke(&route.function, event).await {
        Ok(answer) => match status_of(&answer) {
            Some(status) if status.is_success() => (status, None, Ok(protocols_of(&answer))),
            Some(status) => (status, None, Err(refusal(status, &answer))),
            None => {
                let why = format!("`$connect` answered an invalid statusCode: {answer}");
                (
                    StatusCode::BAD_GATEWAY,
                    Some(why),
                    Err(StatusCode::BAD_GATEWAY.into_response()),
                )
            }
        },
        Err(failure) => {
            let status = match failure {
                Failure::IntegrationTimeout => StatusCode::GATEWAY_TIMEOUT,
                Failure::Handler(_) => StatusCode::BAD_GATEWAY,
            };
            (status, Some(failure.text()), Err(status.into_response()))
        }
    };
    shared.emit(
        &ctx.id,
        "$connect",
        req.time,
        started,
        status.as_u16(),
        error,
    );
    outcome
}

/// The handler's `statusCode` (200 when it gave none); None when invalid.
fn status_of(answer: &Value) -> Option<StatusCode> {
    let code = match answer.get("statusCode") {
        None | Some(Value::Null) => return Some(StatusCode::OK),
        Some(Value::Number(n)) => n.as_u64()?,
        Some(Value::String(s)) => s.trim().parse().ok()?,
        Some(_) => return None,
    };
    StatusCode::from_u16(u16::try_from(code).ok()?).ok()
}

/// The subprotocols named by the handler's `Sec-WebSocket-Protocol`
/// header (any case).
fn protocols_of(answer: &Value) -> Vec<String> {
    let Some(Value::Object(headers)) = answer.get("headers") else {
        return Vec::new();
    };
    headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("sec-websocket-protocol"))
        .filter_map(|(_, value)| value.as_str())
        .flat_map(|value| value.split(','))
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// A refused handshake: the handler's status, and its `body` if any.
fn refusal(status: StatusCode, answer: &Value) -> Response {
    match answer.get("body") {
        Some(Value::String(body)) => (status, body.clone()).into_response(),
        Some(Value::Null) | None => status.into_response(),
        Some(other) => (status, other.to_string()).into_response(),
    }
}
