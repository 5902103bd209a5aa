//! The events handlers receive, field for field as API Gateway sends them
//! (CONNECT, MESSAGE, DISCONNECT), the handshake's headers and query
//! string as event maps, and route selection.

use std::collections::HashMap;
use std::time::SystemTime;

use axum::http::HeaderMap;
use serde_json::{Map, Value, json};

use super::{Api, clock};

/// What every event of one connection repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnCtx {
    pub id: String,
    pub connected_at: SystemTime,
    pub source_ip: String,
    pub user_agent: Option<String>,
    /// `HOST:PORT` as the client reached the server.
    pub domain: String,
    /// `requestContext.authorizer`: what a Lambda authorizer returned
    /// (`principalId` and its `context`).
    pub authorizer: Option<Map<String, Value>>,
    /// `requestContext.identity.accessKey`: the key an IAM signature
    /// named.
    pub access_key: Option<String>,
}

/// One event's own identity: its requestId and arrival time.
#[derive(Debug, Clone)]
pub struct Request {
    pub id: String,
    pub time: SystemTime,
}

impl Request {
    pub fn now() -> Self {
        Request {
            id: clock::request_id(),
            time: SystemTime::now(),
        }
    }
}

/// The `requestContext` every event carries.
fn request_context(
    api: &Api,
    ctx: &ConnCtx,
    route_key: &str,
    event_type: &str,
    req: &Request,
) -> Map<String, Value> {
    let context = json!({
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": req.id,
        "requestTime": clock::request_time(req.time),
        "messageDirection": "IN",
        "stage": api.stage,
        "connectedAt": clock::epoch_millis(ctx.connected_at),
        "requestTimeEpoch": clock::epoch_millis(req.time),
        "identity": {"sourceIp": ctx.source_ip, "userAgent": ctx.user_agent},
        "requestId": req.id,
        "domainName": ctx.domain,
        "connectionId": ctx.id,
        "apiId": api.api_id,
    });
    let mut context = match context {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    if let (Some(key), Some(Value::Object(identity))) =
        (&ctx.access_key, context.get_mut("identity"))
    {
        identity.insert("accessKey".into(), Value::String(key.clone()));
    }
    if let Some(authorizer) = &ctx.authorizer {
        context.insert("authorizer".into(), Value::Object(authorizer.clone()));
    }
    context
}

/// The top level shared by every event: `requestContext`,
/// `isBase64Encoded`, and `stageVariables` when there are any.
fn event(api: &Api, context: Map<String, Value>) -> Map<String, Value> {
    let mut event = Map::new();
    event.insert("requestContext".into(), Value::Object(context));
    event.insert("isBase64Encoded".into(), Value::Bool(false));
    if !api.stage_variables.is_empty() {
        event.insert("stageVariables".into(), json!(api.stage_variables));
    }
    event
}

/// The handshake's headers and query string, as event maps.
#[derive(Debug, Clone, Default)]
pub struct Handshake {
    pub headers: Value,
    pub multi_value_headers: Value,
    /// (`queryStringParameters`, `multiValueQueryStringParameters`) when
    /// there is a query string.
    pub query: Option<(Value, Value)>,
}

/// The CONNECT event.
pub fn connect(api: &Api, ctx: &ConnCtx, req: &Request, handshake: &Handshake) -> Value {
    let context = request_context(api, ctx, "$connect", "CONNECT", req);
    let mut event = event(api, context);
    event.insert("headers".into(), handshake.headers.clone());
    event.insert(
        "multiValueHeaders".into(),
        handshake.multi_value_headers.clone(),
    );
    if let Some((single, multi)) = &handshake.query {
        event.insert("queryStringParameters".into(), single.clone());
        event.insert("multiValueQueryStringParameters".into(), multi.clone());
    }
    Value::Object(event)
}

/// A MESSAGE event for `route_key`.
pub fn message(api: &Api, ctx: &ConnCtx, route_key: &str, req: &Request, body: &str) -> Value {
    let mut context = request_context(api, ctx, route_key, "MESSAGE", req);
    context.insert("messageId".into(), Value::String(clock::request_id()));
    let mut event = event(api, context);
    event.insert("body".into(), Value::String(body.to_string()));
    Value::Object(event)
}

/// The DISCONNECT event, with the close's code and reason.
pub fn disconnect(api: &Api, ctx: &ConnCtx, req: &Request, code: u16, reason: &str) -> Value {
    let mut context = request_context(api, ctx, "$disconnect", "DISCONNECT", req);
    context.insert("disconnectStatusCode".into(), json!(code));
    context.insert("disconnectReason".into(), json!(reason));
    let mut event = event(api, context);
    // What API Gateway puts there: the host and its own empty headers.
    let headers = json!({
        "Host": ctx.domain, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": "",
    });
    let multi = json!({
        "Host": [ctx.domain], "x-api-key": [""], "X-Forwarded-For": [""], "x-restapi": [""],
    });
    event.insert("headers".into(), headers);
    event.insert("multiValueHeaders".into(), multi);
    Value::Object(event)
}

/// The names of the last request head in `raw`, lowercase → as written.
fn names_as_written(raw: &[u8]) -> HashMap<String, String> {
    let text = String::from_utf8_lossy(raw);
    let head = match text.rfind("\r\n\r\n") {
        Some(end) => {
            let start = text[..end].rfind("\r\n\r\n").map_or(0, |s| s + 4);
            &text[start..end]
        }
        None => "",
    };
    let mut names = HashMap::new();
    for line in head.split("\r\n").skip(1) {
        if let Some((name, _)) = line.split_once(':') {
            let name = name.trim();
            names
                .entry(name.to_ascii_lowercase())
                .or_insert_with(|| name.to_string());
        }
    }
    names
}

/// `headers` (the last value of each) and `multiValueHeaders`, named as
/// the client wrote them in `raw` (lowercase when unknown).
pub fn header_maps(headers: &HeaderMap, raw: &[u8]) -> (Value, Value) {
    let names = names_as_written(raw);
    let (mut single, mut multi) = (Map::new(), Map::new());
    for name in headers.keys() {
        let written = names
            .get(name.as_str())
            .map_or(name.as_str(), String::as_str);
        let values: Vec<Value> = headers
            .get_all(name)
            .iter()
            .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        if let Some(last) = values.last() {
            single.insert(written.to_string(), last.clone());
        }
        multi.insert(written.to_string(), Value::Array(values));
    }
    (Value::Object(single), Value::Object(multi))
}

/// `queryStringParameters` (the last value of each) and
/// `multiValueQueryStringParameters`, when the query has parameters.
pub fn query_maps(pairs: &[(String, String)]) -> Option<(Value, Value)> {
    if pairs.is_empty() {
        return None;
    }
    let (mut single, mut multi) = (Map::new(), Map::new());
    for (key, value) in pairs {
        single.insert(key.clone(), Value::String(value.clone()));
        let entry = multi
            .entry(key.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(values) = entry {
            values.push(Value::String(value.clone()));
        }
    }
    Some((Value::Object(single), Value::Object(multi)))
}

/// The route key a message selects: the value at the expression's path
/// (`$request.body.a.b`, or `${request.body.a.b}`), as text, when the body
/// is JSON, has it, and a route other than `$connect`/`$disconnect` has
/// that key; else `$default`.
pub fn select_route(api: &Api, body: &str) -> String {
    let default = "$default".to_string();
    let expression = api.route_selection_expression.trim();
    let path = expression
        .strip_prefix("${")
        .and_then(|e| e.strip_suffix('}'))
        .map(|e| format!("${e}"))
        .unwrap_or_else(|| expression.to_string());
    let Some(path) = path.strip_prefix("$request.body.") else {
        return default;
    };
    let Ok(mut value) = serde_json::from_str::<Value>(body) else {
        return default;
    };
    for key in path.split('.') {
        match value.get_mut(key) {
            Some(inner) => value = inner.take(),
            None => return default,
        }
    }
    let key = match value {
        Value::String(s) => s,
        Value::Null => return default,
        other => other.to_string(),
    };
    let reserved = key == "$connect" || key == "$disconnect";
    if !reserved && api.routes.contains_key(&key) {
        key
    } else {
        default
    }
}
