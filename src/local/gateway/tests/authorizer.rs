//! The Lambda authorizer of `$connect`: identity sources (401 without
//! invoking it), the REQUEST event, the policy (allow with wildcards, deny
//! 403), `Unauthorized` 401, failures and malformed answers 500, and
//! `requestContext.authorizer` on every later event of the connection.

use serde_json::json;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderName;

use super::*;
use crate::local::gateway::Authorizer;

/// `chat_api()` with a Lambda authorizer (function `auth`) reading `sources`.
fn lambda_api(sources: &[&str]) -> Api {
    let mut api = chat_api();
    api.authorizer = Some(Authorizer::Lambda {
        name: "chat-dev-authorizer".into(),
        function: "auth".into(),
        identity_sources: sources.iter().map(|s| s.to_string()).collect(),
    });
    api
}

/// An authorizer's answer: `effect` on `resource`, with `context`.
fn policy(effect: &str, resource: Value, context: Value) -> Value {
    json!({
        "principalId": "user-7",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        "context": context,
    })
}

/// Connects to `/dev<query>` with `headers`: the client, or the refused
/// handshake's status.
pub async fn connect_with(
    server: &Server,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<Client, u16> {
    let mut request = server.ws(path).into_client_request().unwrap();
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
        request.headers_mut().insert(name, value.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((client, _)) => Ok(client),
        Err(WsError::Http(response)) => Err(response.status().as_u16()),
        Err(other) => panic!("unexpected error {other}"),
    }
}

/// The (route key, status) of every logged event.
fn statuses(server: &Server) -> Vec<(String, u16)> {
    let logs = server.logs.lock().unwrap();
    logs.iter()
        .map(|l| (l.route_key.clone(), l.status))
        .collect()
}

fn connect_log(status: u16) -> (String, u16) {
    ("$connect".to_string(), status)
}

#[tokio::test]
async fn a_missing_identity_source_is_401_without_invoking_the_authorizer() {
    let sources = [
        "route.request.header.Auth",
        "route.request.querystring.token",
    ];
    let server = Server::start(lambda_api(&sources), limits()).await;
    server
        .fake
        .play("auth", Play::ok(policy("Allow", json!("*"), json!({}))));
    let auth = [("Auth", "secret")];
    assert_eq!(connect_with(&server, "/dev", &auth).await.err(), Some(401));
    let empty = [("Auth", "")];
    assert_eq!(
        connect_with(&server, "/dev?token=t", &empty).await.err(),
        Some(401)
    );
    // Query string names are exact.
    let wrong_case = connect_with(&server, "/dev?Token=t", &auth).await;
    assert_eq!(wrong_case.err(), Some(401));
    assert!(server.fake.events("auth").is_empty());
    assert!(server.fake.events("connect").is_empty());
    assert_eq!(statuses(&server), vec![connect_log(401); 3]);
    let error = server.logs.lock().unwrap()[0].error.clone().unwrap();
    assert!(error.contains("route.request.querystring.token"), "{error}");
    let _client = connect_with(&server, "/dev?token=t", &auth).await.unwrap();
    assert_eq!(server.fake.events("auth").len(), 1);
    server.fake.wait("connect", 1).await;
    server.shutdown().await;
}

#[tokio::test]
async fn header_sources_match_in_any_case_and_the_request_event_is_aws_s() {
    let mut api = lambda_api(&["route.request.header.auth"]);
    api.stage_variables.insert("table".into(), "chat".into());
    let server = Server::start(api, limits()).await;
    server
        .fake
        .play("auth", Play::ok(policy("Allow", json!("*"), json!({}))));
    let (_stream, status, _) =
        raw_handshake(server.addr, "/dev?room=a&room=b", "AUTH: x\r\n").await;
    assert_eq!(status, 101);
    let event = server.fake.wait("auth", 1).await.remove(0);
    let connect = server.fake.wait("connect", 1).await.remove(0);
    assert_eq!(event["type"], "REQUEST");
    assert_eq!(
        event["methodArn"],
        "arn:aws:execute-api:eu-west-1:123456789012:abc123defg/dev/$connect"
    );
    assert_eq!(event["headers"]["AUTH"], "x");
    assert_eq!(event["multiValueHeaders"]["AUTH"], json!(["x"]));
    assert_eq!(event["queryStringParameters"], json!({"room": "b"}));
    assert_eq!(
        event["multiValueQueryStringParameters"],
        json!({"room": ["a", "b"]})
    );
    assert_eq!(event["stageVariables"], json!({"table": "chat"}));
    assert!(event.get("isBase64Encoded").is_none());
    // The CONNECT event's requestContext (the same request), before any
    // authorizer output.
    let mut context = connect["requestContext"].clone();
    context.as_object_mut().unwrap().remove("authorizer");
    assert_eq!(event["requestContext"], context);
    assert_eq!(event["requestContext"]["eventType"], "CONNECT");
    server.shutdown().await;
}

#[tokio::test]
async fn an_allow_reaches_connect_messages_and_disconnect_as_request_context_authorizer() {
    let server = Server::start(lambda_api(&["route.request.header.Auth"]), limits()).await;
    let resource = json!([
        "arn:aws:s3:::nothing",
        "arn:aws:execute-api:eu-west-?:*:abc123defg/*"
    ]);
    let context = json!({"user": "ada", "level": 3, "admin": false});
    server
        .fake
        .play("auth", Play::ok(policy("Allow", resource, context)));
    let mut client = connect_with(&server, "/dev", &[("auth", "t")])
        .await
        .unwrap();
    send_text(&mut client, "hello").await;
    assert_eq!(next_text(&mut client).await, "hello");
    client.close(None).await.unwrap();
    let expected = json!({"principalId": "user-7", "user": "ada", "level": 3, "admin": false});
    let connect = server.fake.wait("connect", 1).await;
    let message = server.fake.wait("echo", 1).await;
    let disconnect = server.fake.wait("disconnect", 1).await;
    for event in [&connect[0], &message[0], &disconnect[0]] {
        assert_eq!(event["requestContext"]["authorizer"], expected, "{event:#}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_deny_is_403() {
    let server = Server::start(lambda_api(&["route.request.header.Auth"]), limits()).await;
    let auth = [("Auth", "t")];
    server
        .fake
        .play("auth", Play::ok(policy("Deny", json!("*"), json!({}))));
    assert_eq!(connect_with(&server, "/dev", &auth).await.err(), Some(403));
    // An Allow elsewhere is no Allow here.
    let elsewhere = json!("arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod/*");
    server
        .fake
        .play("auth", Play::ok(policy("Allow", elsewhere, json!({}))));
    assert_eq!(connect_with(&server, "/dev", &auth).await.err(), Some(403));
    assert!(server.fake.events("connect").is_empty());
    assert_eq!(statuses(&server), vec![connect_log(403); 2]);
    server.shutdown().await;
}

#[tokio::test]
async fn unauthorized_thrown_or_returned_is_401() {
    let server = Server::start(lambda_api(&["route.request.header.Auth"]), limits()).await;
    let auth = [("Auth", "t")];
    let thrown = InvokeError::Handler {
        error_type: "Error".into(),
        message: "Unauthorized".into(),
    };
    server.fake.play("auth", Play::fail(thrown));
    assert_eq!(connect_with(&server, "/dev", &auth).await.err(), Some(401));
    server.fake.play("auth", Play::ok(json!("Unauthorized")));
    assert_eq!(connect_with(&server, "/dev", &auth).await.err(), Some(401));
    assert_eq!(server.fake.events("auth").len(), 2);
    assert!(server.fake.events("connect").is_empty());
    assert_eq!(statuses(&server), vec![connect_log(401); 2]);
    server.shutdown().await;
}

#[tokio::test]
async fn other_errors_and_malformed_answers_are_500() {
    let server = Server::start(lambda_api(&["route.request.header.Auth"]), limits()).await;
    let auth = [("Auth", "t")];
    let other = InvokeError::Handler {
        error_type: "Error".into(),
        message: "unauthorized, sort of".into(),
    };
    let failures = [
        Play::fail(other),
        Play::fail(InvokeError::Timeout(Duration::from_secs(3))),
        Play::fail(InvokeError::Crashed("exit 1".into())),
    ];
    let nested = policy("Allow", json!("*"), json!({"user": {"name": "ada"}}));
    let malformed = [
        Play::ok(json!({"statusCode": 200})),
        Play::ok(
            json!({"principalId": "u", "policyDocument": {"Statement": [{"Effect": "Allow"}]}}),
        ),
        Play::ok(nested),
    ];
    for play in failures.into_iter().chain(malformed) {
        server.fake.play("auth", play);
        assert_eq!(connect_with(&server, "/dev", &auth).await.err(), Some(500));
    }
    assert!(server.fake.events("connect").is_empty());
    assert_eq!(statuses(&server), vec![connect_log(500); 6]);
    let logs = server.logs.lock().unwrap().clone();
    assert!(
        logs[0]
            .error
            .as_deref()
            .unwrap()
            .contains("unauthorized, sort of")
    );
    assert!(logs[3].error.as_deref().unwrap().contains("malformed"));
    server.shutdown().await;
}
