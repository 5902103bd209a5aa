//! The events handlers receive, field for field.

use serde_json::json;

use super::*;
use crate::local::gateway::events::select_route;

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    names.sort();
    names
}

const CONTEXT: [&str; 13] = [
    "routeKey",
    "eventType",
    "extendedRequestId",
    "requestTime",
    "messageDirection",
    "stage",
    "connectedAt",
    "requestTimeEpoch",
    "identity",
    "requestId",
    "domainName",
    "connectionId",
    "apiId",
];

/// Checks what every event's requestContext holds.
fn check_context(server: &Server, event: &Value, route_key: &str, event_type: &str) {
    let context = &event["requestContext"];
    assert_eq!(context["routeKey"], route_key);
    assert_eq!(context["eventType"], event_type);
    assert_eq!(context["messageDirection"], "IN");
    assert_eq!(context["stage"], "dev");
    assert_eq!(context["apiId"], "abc123defg");
    assert_eq!(context["domainName"], server.addr.to_string());
    assert_eq!(context["requestId"], context["extendedRequestId"]);
    assert_eq!(context["requestId"].as_str().unwrap().len(), 16);
    let id = context["connectionId"].as_str().unwrap();
    assert!(id.len() == 12 && id.ends_with('='), "{id}");
    assert_eq!(context["identity"]["sourceIp"], "127.0.0.1");
    let time = context["requestTime"].as_str().unwrap();
    // 01/Dec/2026:19:04:16 +0000
    assert_eq!(time.len(), 26, "{time}");
    assert_eq!(
        (&time[2..3], &time[6..7], &time[11..12], &time[20..]),
        ("/", "/", ":", " +0000")
    );
    let epoch = context["requestTimeEpoch"].as_u64().unwrap();
    let connected = context["connectedAt"].as_u64().unwrap();
    assert!(epoch >= connected && epoch > 1_700_000_000_000);
    assert_eq!(event["isBase64Encoded"], false);
}

#[tokio::test]
async fn connect_event_field_by_field() {
    let server = Server::start(chat_api(), limits()).await;
    let extra = "User-Agent: TestAgent/1.0\r\nX-Custom-Header: one\r\nX-Custom-Header: two\r\n";
    let path = "/dev?token=abc&tag=a&tag=b%20c";
    let (_stream, status, _) = raw_handshake(server.addr, path, extra).await;
    assert_eq!(status, 101);
    let event = server.fake.wait("connect", 1).await.remove(0);
    let top = sorted(&[
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "requestContext",
        "isBase64Encoded",
    ]);
    assert_eq!(keys(&event), top);
    assert_eq!(keys(&event["requestContext"]), sorted(&CONTEXT));
    check_context(&server, &event, "$connect", "CONNECT");
    assert_eq!(
        event["requestContext"]["identity"]["userAgent"],
        "TestAgent/1.0"
    );
    let headers = &event["headers"];
    assert_eq!(headers["Host"], server.addr.to_string());
    assert_eq!(headers["Sec-WebSocket-Key"], "dGhlIHNhbXBsZSBub25jZQ==");
    assert_eq!(headers["Sec-WebSocket-Version"], "13");
    assert_eq!(headers["X-Custom-Header"], "two");
    assert_eq!(
        event["multiValueHeaders"]["X-Custom-Header"],
        json!(["one", "two"])
    );
    assert_eq!(
        event["multiValueHeaders"]["Host"],
        json!([server.addr.to_string()])
    );
    assert_eq!(keys(headers), keys(&event["multiValueHeaders"]));
    assert_eq!(
        event["queryStringParameters"],
        json!({"token": "abc", "tag": "b c"})
    );
    let multi = json!({"token": ["abc"], "tag": ["a", "b c"]});
    assert_eq!(event["multiValueQueryStringParameters"], multi);
    server.shutdown().await;
}

#[tokio::test]
async fn connect_event_without_query_string_but_with_stage_variables() {
    let mut api = chat_api();
    api.stage_variables
        .insert("table".into(), "chat-dev".into());
    let server = Server::start(api, limits()).await;
    let _client = tokio_tungstenite::connect_async(server.ws("/"))
        .await
        .unwrap()
        .0;
    let event = server.fake.wait("connect", 1).await.remove(0);
    let top = sorted(&[
        "headers",
        "multiValueHeaders",
        "requestContext",
        "isBase64Encoded",
        "stageVariables",
    ]);
    assert_eq!(keys(&event), top);
    assert_eq!(event["stageVariables"], json!({"table": "chat-dev"}));
    server.shutdown().await;
}

#[tokio::test]
async fn message_and_disconnect_events_field_by_field() {
    let server = Server::start(chat_api(), limits()).await;
    let mut client = server.connect().await;
    send_text(&mut client, "{\"action\": \"x\", \"n\": 1}").await;
    next_text(&mut client).await;
    client.close(None).await.unwrap();
    let connect = server.fake.wait("connect", 1).await.remove(0);
    let message = server.fake.wait("echo", 1).await.remove(0);
    let disconnect = server.fake.wait("disconnect", 1).await.remove(0);

    assert_eq!(
        keys(&message),
        sorted(&["requestContext", "body", "isBase64Encoded"])
    );
    let mut context = CONTEXT.to_vec();
    context.push("messageId");
    assert_eq!(keys(&message["requestContext"]), sorted(&context));
    check_context(&server, &message, "$default", "MESSAGE");
    assert_eq!(message["body"], "{\"action\": \"x\", \"n\": 1}");
    assert_eq!(
        message["requestContext"]["messageId"]
            .as_str()
            .unwrap()
            .len(),
        16
    );

    let top = sorted(&[
        "headers",
        "multiValueHeaders",
        "requestContext",
        "isBase64Encoded",
    ]);
    assert_eq!(keys(&disconnect), top);
    let mut context = CONTEXT.to_vec();
    context.extend(["disconnectStatusCode", "disconnectReason"]);
    assert_eq!(keys(&disconnect["requestContext"]), sorted(&context));
    check_context(&server, &disconnect, "$disconnect", "DISCONNECT");
    assert_eq!(disconnect["headers"]["Host"], server.addr.to_string());

    for field in ["connectionId", "connectedAt", "domainName"] {
        let first = &connect["requestContext"][field];
        assert_eq!(&message["requestContext"][field], first, "{field}");
        assert_eq!(&disconnect["requestContext"][field], first, "{field}");
    }
    let ids = [&connect, &message, &disconnect].map(|e| e["requestContext"]["requestId"].clone());
    assert!(ids[0] != ids[1] && ids[1] != ids[2]);
    server.shutdown().await;
}

#[test]
fn route_selection_reads_both_expression_forms() {
    let mut api = api(&[("go", "go", false), ("$default", "d", false)]);
    assert_eq!(select_route(&api, r#"{"action": "go"}"#), "go");
    assert_eq!(select_route(&api, r#"{"action": null}"#), "$default");
    assert_eq!(select_route(&api, r#"["go"]"#), "$default");
    api.route_selection_expression = "${request.body.a.b}".into();
    assert_eq!(select_route(&api, r#"{"a": {"b": "go"}}"#), "go");
    api.route_selection_expression = "$request.header.x".into();
    assert_eq!(select_route(&api, r#"{"a": {"b": "go"}}"#), "$default");
}
