//! Messages: route selection, `returnResponse`, handler errors and the
//! integration timeout, text only, the size limits.

use std::time::Duration;

use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

use super::*;

fn text_frame(len: usize, opcode: Data, last: bool) -> Message {
    Message::Frame(Frame::message(vec![b'a'; len], OpCode::Data(opcode), last))
}

#[tokio::test]
async fn routes_by_the_expression_with_dotted_paths() {
    let mut api = api(&[
        ("say", "say", true),
        ("7", "seven", true),
        ("$default", "echo", true),
    ]);
    api.route_selection_expression = "$request.body.meta.action".into();
    let server = Server::start(api, limits()).await;
    server.fake.play("say", Play::ok(json!({"body": "said"})));
    server
        .fake
        .play("seven", Play::ok(json!({"body": "seven"})));
    let mut client = server.connect().await;
    for (message, reply) in [
        (r#"{"meta": {"action": "say"}}"#, "said"),
        (r#"{"meta": {"action": 7}}"#, "seven"),
        ("not json", "not json"),
        (r#"{"action": "say"}"#, r#"{"action": "say"}"#),
        (
            r#"{"meta": {"action": "nope"}}"#,
            r#"{"meta": {"action": "nope"}}"#,
        ),
        (
            r#"{"meta": {"action": "$connect"}}"#,
            r#"{"meta": {"action": "$connect"}}"#,
        ),
    ] {
        send_text(&mut client, message).await;
        assert_eq!(next_text(&mut client).await, reply, "for {message}");
    }
    let keys: Vec<String> = server
        .logs
        .lock()
        .unwrap()
        .iter()
        .skip(1)
        .map(|l| l.route_key.clone())
        .collect();
    assert_eq!(
        keys,
        ["say", "7", "$default", "$default", "$default", "$default"]
    );
    let event = &server.fake.events("say")[0];
    assert_eq!(event["requestContext"]["routeKey"], "say");
    server.shutdown().await;
}

#[tokio::test]
async fn without_default_an_unrouted_message_gets_forbidden() {
    let server = Server::start(api(&[("say", "say", true)]), limits()).await;
    let mut client = server.connect().await;
    send_text(&mut client, r#"{"action": "other"}"#).await;
    let answer = next_json(&mut client).await;
    assert_eq!(answer["message"], "Forbidden");
    assert_eq!(answer.as_object().unwrap().len(), 3, "{answer}");
    assert_eq!(answer["connectionId"].as_str().unwrap().len(), 12);
    assert_eq!(answer["requestId"].as_str().unwrap().len(), 16);
    assert!(server.fake.events("say").is_empty());
    let log = server.logs.lock().unwrap().last().cloned().unwrap();
    assert_eq!((log.route_key.as_str(), log.status), ("$default", 403));
    server.shutdown().await;
}

#[tokio::test]
async fn return_response_sends_the_body_and_one_way_routes_nothing() {
    let api = api(&[
        ("str", "str", true),
        ("obj", "obj", true),
        ("oneway", "oneway", false),
    ]);
    let server = Server::start(api, limits()).await;
    server
        .fake
        .play("str", Play::ok(json!({"statusCode": 200, "body": "hello"})));
    server.fake.play(
        "obj",
        Play::ok(json!({"statusCode": 200, "body": {"a": [1, 2]}})),
    );
    server.fake.play(
        "oneway",
        Play::ok(json!({"statusCode": 200, "body": "secret"})),
    );
    let mut client = server.connect().await;
    send_text(&mut client, r#"{"action": "oneway"}"#).await;
    server.fake.wait("oneway", 1).await;
    send_text(&mut client, r#"{"action": "str"}"#).await;
    assert_eq!(
        next_text(&mut client).await,
        "hello",
        "the one-way route sent nothing"
    );
    send_text(&mut client, r#"{"action": "obj"}"#).await;
    assert_eq!(next_text(&mut client).await, r#"{"a":[1,2]}"#);
    server.shutdown().await;
}

#[tokio::test]
async fn handler_errors_give_internal_server_error() {
    let server = Server::start(chat_api(), limits()).await;
    let mut client = server.connect().await;
    let id = server.connection_id(1).await;
    for error in [
        InvokeError::Handler {
            error_type: "TypeError".into(),
            message: "x is undefined".into(),
        },
        InvokeError::Timeout(Duration::from_secs(3)),
        InvokeError::Crashed("exit 1".into()),
    ] {
        server.fake.play("echo", Play::fail(error));
        send_text(&mut client, "hi").await;
        let answer = next_json(&mut client).await;
        assert_eq!(answer["message"], "Internal server error");
        assert_eq!(answer["connectionId"], id.as_str());
        assert!(answer["requestId"].is_string());
    }
    let statuses: Vec<u16> = server
        .logs
        .lock()
        .unwrap()
        .iter()
        .skip(1)
        .map(|l| l.status)
        .collect();
    assert_eq!(statuses, [500, 500, 500]);
    server.shutdown().await;
}

#[tokio::test]
async fn the_integration_timeout_gives_endpoint_request_timed_out() {
    let mut limits = limits();
    limits.integration_timeout = Duration::from_millis(300);
    let server = Server::start(chat_api(), limits).await;
    let mut client = server.connect().await;
    server
        .fake
        .play("echo", Play::echo().after(Duration::from_secs(3)));
    let started = Instant::now();
    send_text(&mut client, "slow").await;
    let answer = next_json(&mut client).await;
    assert_eq!(answer["message"], "Endpoint request timed out");
    assert_eq!(
        answer["connectionId"],
        server.connection_id(1).await.as_str()
    );
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(2));
    assert_eq!(server.logs.lock().unwrap().last().unwrap().status, 504);
    server.shutdown().await;
}

#[tokio::test]
async fn a_binary_frame_closes_with_1003() {
    let server = Server::start(chat_api(), limits()).await;
    let mut client = server.connect().await;
    client.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    assert_eq!(next_close(&mut client).await.0, 1003);
    let gone = server.fake.wait("disconnect", 1).await;
    assert_eq!(gone[0]["requestContext"]["disconnectStatusCode"], 1003);
    assert!(server.fake.events("echo").is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn frames_up_to_32kb_and_messages_up_to_128kb_pass() {
    let server = Server::start(chat_api(), limits()).await;
    let mut client = server.connect().await;
    client
        .send(text_frame(32 * 1024, Data::Text, true))
        .await
        .unwrap();
    assert_eq!(next_text(&mut client).await.len(), 32 * 1024);
    client
        .send(text_frame(32 * 1024, Data::Text, false))
        .await
        .unwrap();
    for last in [false, false, true] {
        client
            .send(text_frame(32 * 1024, Data::Continue, last))
            .await
            .unwrap();
    }
    assert_eq!(next_text(&mut client).await.len(), 128 * 1024);
    server.shutdown().await;
}

#[tokio::test]
async fn a_frame_over_32kb_closes_with_1009() {
    let server = Server::start(chat_api(), limits()).await;
    let mut client = server.connect().await;
    client
        .send(text_frame(32 * 1024 + 1, Data::Text, true))
        .await
        .unwrap();
    assert_eq!(next_close(&mut client).await.0, 1009);
    let gone = server.fake.wait("disconnect", 1).await;
    assert_eq!(gone[0]["requestContext"]["disconnectStatusCode"], 1009);
    server.shutdown().await;
}

#[tokio::test]
async fn a_message_over_128kb_closes_with_1009() {
    let server = Server::start(chat_api(), limits()).await;
    let mut client = server.connect().await;
    client
        .send(text_frame(32 * 1024, Data::Text, false))
        .await
        .unwrap();
    for last in [false, false, false, true] {
        let len = if last { 1 } else { 32 * 1024 };
        client
            .send(text_frame(len, Data::Continue, last))
            .await
            .unwrap();
    }
    assert_eq!(next_close(&mut client).await.0, 1009);
    server.fake.wait("disconnect", 1).await;
    assert!(server.fake.events("echo").is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn set_api_applies_to_new_messages_and_keeps_connections() {
    let server = Server::start(chat_api(), limits()).await;
    let mut client = server.connect().await;
    send_text(&mut client, "one").await;
    assert_eq!(next_text(&mut client).await, "one");
    let mut reloaded = chat_api();
    reloaded.routes.get_mut("$default").unwrap().function = "other".into();
    server
        .fake
        .play("other", Play::ok(json!({"body": "new code"})));
    server.gateway.set_api(reloaded);
    send_text(&mut client, "two").await;
    assert_eq!(next_text(&mut client).await, "new code");
    assert_eq!(server.gateway.connection_count(), 1);
    server.shutdown().await;
}
