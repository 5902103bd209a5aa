//! `@connections` at `/<stage>/@connections/{id}` and
//! `/@connections/{id}`: `POST` delivers its body as one text frame,
//! `GET` describes the connection, `DELETE` closes it. Errors carry their
//! type in `x-amzn-ErrorType` and a JSON `{"message": ...}` body, so that
//! the AWS SDKs raise `GoneException` as they do against AWS. Requests
//! need not be signed.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::sync::oneshot;

use super::registry::Outbound;
use super::{MAX_MESSAGE, Shared, clock};

/// How long a `POST` waits for its frame to be written.
const POST_WAIT: Duration = Duration::from_secs(10);

/// An error as the management API answers it.
pub fn error(status: StatusCode, kind: &'static str, message: &str) -> Response {
    let body = json!({ "message": message }).to_string();
    let headers = [
        (header::HeaderName::from_static("x-amzn-errortype"), kind),
        (header::CONTENT_TYPE, "application/json"),
    ];
    (status, headers, body).into_response()
}

fn gone(id: &str) -> Response {
    let message = format!("connection {id} is gone");
    error(StatusCode::GONE, "GoneException", &message)
}

/// `/@connections/{id}`.
pub async fn at_root(
    State(shared): State<Arc<Shared>>,
    method: Method,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    handle(&shared, method, &id, body).await
}

/// `/<stage>/@connections/{id}`; another stage is 403.
pub async fn at_stage(
    State(shared): State<Arc<Shared>>,
    method: Method,
    Path((stage, id)): Path<(String, String)>,
    body: Body,
) -> Response {
    if stage != shared.api().stage {
        return super::forbidden();
    }
    handle(&shared, method, &id, body).await
}

async fn handle(shared: &Shared, method: Method, id: &str, body: Body) -> Response {
    match method {
        Method::POST => post(shared, id, body).await,
        Method::GET => get(shared, id),
        Method::DELETE => delete(shared, id),
        _ => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "Method not allowed",
        ),
    }
}

async fn post(shared: &Shared, id: &str, body: Body) -> Response {
    let Ok(bytes) = axum::body::to_bytes(body, MAX_MESSAGE).await else {
        let message = format!("the message is over {MAX_MESSAGE} bytes");
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLargeException",
            &message,
        );
    };
    let Some(conn) = shared.registry.open(id) else {
        return gone(id);
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (ack, written) = oneshot::channel();
    if !conn.send(Outbound::Text {
        text,
        ack: Some(ack),
    }) {
        return gone(id);
    }
    match tokio::time::timeout(POST_WAIT, written).await {
        Ok(Ok(true)) => StatusCode::OK.into_response(),
        _ => gone(id),
    }
}

fn get(shared: &Shared, id: &str) -> Response {
    let Some(conn) = shared.registry.open(id) else {
        return gone(id);
    };
    let body = json!({
        "connectedAt": clock::iso8601(conn.ctx.connected_at),
        "lastActiveAt": clock::iso8601(conn.last_active()),
        "identity": {"sourceIp": conn.ctx.source_ip, "userAgent": conn.ctx.user_agent},
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

fn delete(shared: &Shared, id: &str) -> Response {
    let Some(conn) = shared.registry.open(id) else {
        return gone(id);
    };
    let close = Outbound::Close {
        code: 1000,
        reason: "Connection deleted".to_string(),
    };
    if conn.send(close) {
        conn.mark_closing();
        StatusCode::NO_CONTENT.into_response()
    } else {
        gone(id)
    }
}
