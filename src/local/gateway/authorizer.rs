//! The authorizer of `$connect`, run before the `$connect` route.
//!
//! A Lambda REQUEST authorizer: every identity source must be present
//! (header names in any case, query string names exact; an empty value
//! counts as missing), else 401 without invoking it; then it is invoked
//! with the REQUEST event and its policy decides: allowed continues (its
//! `principalId` and `context` become `requestContext.authorizer` for the
//! whole connection), a deny is 403, `Unauthorized` (thrown or returned)
//! 401, any other failure or a malformed answer 500.
//!
//! `iam`: a SigV4 signature for `execute-api` (see `sigv4`), else 403.

use std::time::{Instant, SystemTime};

use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::events::{self, ConnCtx, Handshake, Request};
use super::policy::{Answer, Decision};
use super::sigv4::{self, SigError};
use super::{Api, Authorizer, Failure, Shared, management};
use crate::local::invoke::InvokeError;

/// The handshake as the authorizer sees it.
pub struct Incoming<'a> {
    pub headers: &'a HeaderMap,
    pub uri: &'a Uri,
    /// The query string's pairs, decoded.
    pub query: &'a [(String, String)],
    pub handshake: &'a Handshake,
}

/// What an authorizer granted, for the connection's events.
#[derive(Debug, Default)]
pub struct Granted {
    /// `requestContext.authorizer`.
    pub authorizer: Option<Map<String, Value>>,
    /// `requestContext.identity.accessKey`.
    pub access_key: Option<String>,
}

/// A refused handshake.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    /// `x-amzn-ErrorType`.
    kind: &'static str,
    /// The body's `message`.
    message: &'static str,
    /// For the event log.
    why: String,
}

impl Refusal {
    fn unauthorized(why: String) -> Self {
        Refusal {
            status: StatusCode::UNAUTHORIZED,
            kind: "UnauthorizedException",
            message: "Unauthorized",
            why,
        }
    }

    fn forbidden(message: &'static str, why: String) -> Self {
        Refusal {
            status: StatusCode::FORBIDDEN,
            kind: "AccessDeniedException",
            message,
            why,
        }
    }

    fn internal(why: String) -> Self {
        Refusal {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            kind: "AuthorizerConfigurationException",
            message: "Internal server error",
            why,
        }
    }
}

/// Runs the API's authorizer, if any. A refusal is logged (as `$connect`,
/// with its status) and answered here.
pub async fn authorize(
    shared: &Shared,
    api: &Api,
    ctx: &ConnCtx,
    req: &Request,
    incoming: &Incoming<'_>,
) -> Result<Granted, Response> {
    let started = Instant::now();
    let outcome = match &api.authorizer {
        None => Ok(Granted::default()),
        Some(Authorizer::Iam) => iam(shared, api, incoming),
        Some(Authorizer::Lambda {
            function,
            identity_sources,
            ..
        }) => lambda(shared, api, ctx, req, incoming, function, identity_sources).await,
    };
    outcome.map_err(|refusal| {
        let status = refusal.status.as_u16();
        let why = Some(refusal.why);
        shared.emit(&ctx.id, "$connect", req.time, started, status, why);
        management::error(refusal.status, refusal.kind, refusal.message)
    })
}

fn iam(shared: &Shared, api: &Api, incoming: &Incoming<'_>) -> Result<Granted, Refusal> {
    let credentials = shared.credentials();
    let checked = sigv4::check(
        incoming.headers,
        incoming.uri,
        &api.region,
        credentials.as_ref(),
        SystemTime::now(),
    );
    match checked {
        Ok(access_key) => Ok(Granted {
            authorizer: None,
            access_key: Some(access_key),
        }),
        Err(SigError::Missing) => Err(Refusal {
            status: StatusCode::FORBIDDEN,
            kind: "MissingAuthenticationTokenException",
            message: "Missing Authentication Token",
            why: "iam: the handshake is not signed".into(),
        }),
        Err(SigError::Invalid(why)) => Err(Refusal {
            status: StatusCode::FORBIDDEN,
            kind: "InvalidSignatureException",
            message: "Forbidden",
            why: format!("iam: {why}"),
        }),
    }
}

async fn lambda(
    shared: &Shared,
    api: &Api,
    ctx: &ConnCtx,
    req: &Request,
    incoming: &Incoming<'_>,
    function: &str,
    sources: &[String],
) -> Result<Granted, Refusal> {
    if let Some(missing) = sources.iter().find(|s| !present(s, incoming)) {
        let why = format!("authorizer: the identity source `{missing}` is missing");
        return Err(Refusal::unauthorized(why));
    }
    let arn = method_arn(api);
    let event = request_event(api, ctx, req, incoming.handshake, &arn);
    let answer = match shared.invoke(function, event).await {
        Ok(Value::String(text)) if text == "Unauthorized" => {
            return Err(Refusal::unauthorized("authorizer: Unauthorized".into()));
        }
        Ok(answer) => answer,
        Err(Failure::Handler(InvokeError::Handler { message, .. }))
            if message == "Unauthorized" =>
        {
            return Err(Refusal::unauthorized("authorizer: Unauthorized".into()));
        }
        Err(failure) => {
            let why = format!("authorizer failed: {}", failure.text());
            return Err(Refusal::internal(why));
        }
    };
    let answer = Answer::parse(&answer)
        .map_err(|why| Refusal::internal(format!("authorizer answer malformed: {why}")))?;
    match answer.decide(&arn) {
        Decision::Allow => Ok(Granted {
            authorizer: Some(answer.authorizer),
            access_key: None,
        }),
        Decision::ExplicitDeny => Err(Refusal::forbidden(
            "User is not authorized to access this resource with an explicit deny",
            format!("authorizer: the policy denies {arn}"),
        )),
        Decision::ImplicitDeny => Err(Refusal::forbidden(
            "User is not authorized to access this resource",
            format!("authorizer: the policy does not allow {arn}"),
        )),
    }
}

/// Whether an identity source has a non-empty value in the handshake.
fn present(source: &str, incoming: &Incoming<'_>) -> bool {
    if let Some(name) = source.strip_prefix("route.request.header.") {
        incoming
            .headers
            .get_all(name.to_ascii_lowercase().as_str())
            .iter()
            .any(|v| !v.as_bytes().trim_ascii().is_empty())
    } else if let Some(name) = source.strip_prefix("route.request.querystring.") {
        incoming
            .query
            .iter()
            .any(|(k, v)| k == name && !v.is_empty())
    } else {
        false
    }
}

/// `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/$connect`.
pub fn method_arn(api: &Api) -> String {
    format!(
        "arn:aws:execute-api:{}:{}:{}/{}/$connect",
        api.region, api.account_id, api.api_id, api.stage
    )
}

/// The REQUEST event: the CONNECT event's headers, query string and
/// `requestContext`, with `type`, `methodArn` and `stageVariables`.
fn request_event(
    api: &Api,
    ctx: &ConnCtx,
    req: &Request,
    handshake: &Handshake,
    arn: &str,
) -> Value {
    let mut event = match events::connect(api, ctx, req, handshake) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    event.remove("isBase64Encoded");
    event.insert("type".into(), json!("REQUEST"));
    event.insert("methodArn".into(), json!(arn));
    event.entry("stageVariables").or_insert_with(|| json!({}));
    Value::Object(event)
}
