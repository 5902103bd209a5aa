//! `@connections` over raw HTTP: POST, GET, DELETE on both paths, and the
//! errors the AWS SDKs map (`x-amzn-ErrorType` and a JSON message).

use std::time::Duration;

use serde_json::json;

use super::*;

fn assert_error(answer: &HttpAnswer, status: u16, kind: &str) {
    assert_eq!(answer.status, status, "{answer:?}");
    assert_eq!(answer.header("x-amzn-errortype"), Some(kind), "{answer:?}");
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let body = answer.json();
    assert!(body["message"].is_string(), "{body}");
    assert_eq!(body.as_object().unwrap().len(), 1);
}

#[tokio::test]
async fn post_delivers_one_text_frame_on_both_paths() {
    let server = Server::start(chat_api(), limits()).await;
    let mut client = server.connect().await;
    let id = server.connection_id(1).await;
    let answer = http(
        server.addr,
        "POST",
        &format!("/dev/@connections/{id}"),
        b"{\"hi\":1}",
    )
    .await;
    assert_eq!((answer.status, answer.body.as_str()), (200, ""));
    assert_eq!(next_text(&mut client).await, "{\"hi\":1}");
    let answer = http(
        server.addr,
        "POST",
        &format!("/@connections/{id}"),
        b"plain",
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(next_text(&mut client).await, "plain");
    let big = vec![b'x'; 128 * 1024];
    let answer = http(server.addr, "POST", &format!("/@connections/{id}"), &big).await;
    assert_eq!(answer.status, 200);
    assert_eq!(next_text(&mut client).await.len(), 128 * 1024);
    server.shutdown().await;
}

#[tokio::test]
async fn post_over_128kb_is_payload_too_large() {
    let server = Server::start(chat_api(), limits()).await;
    let _client = server.connect().await;
    let id = server.connection_id(1).await;
    let big = vec![b'x'; 128 * 1024 + 1];
    let answer = http(
        server.addr,
        "POST",
        &format!("/dev/@connections/{id}"),
        &big,
    )
    .await;
    assert_error(&answer, 413, "PayloadTooLargeException");
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_connections_are_gone() {
    let server = Server::start(chat_api(), limits()).await;
    for method in ["POST", "GET", "DELETE"] {
        for path in [
            "/dev/@connections/AAAAAAAAAAA=",
            "/@connections/AAAAAAAAAAA=",
        ] {
            let answer = http(server.addr, method, path, b"x").await;
            assert_error(&answer, 410, "GoneException");
        }
    }
    let answer = http(server.addr, "GET", "/prod/@connections/AAAAAAAAAAA=", b"").await;
    assert_eq!(answer.status, 403, "another stage");
    server.shutdown().await;
}

#[tokio::test]
async fn get_describes_the_connection() {
    let server = Server::start(chat_api(), limits()).await;
    let mut client = server.connect().await;
    let id = server.connection_id(1).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    send_text(&mut client, "activity").await;
    next_text(&mut client).await;
    let answer = http(server.addr, "GET", &format!("/dev/@connections/{id}"), b"").await;
    assert_eq!(answer.status, 200);
    let body = answer.json();
    let mut keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["connectedAt", "identity", "lastActiveAt"]);
    assert_eq!(body["identity"]["sourceIp"], "127.0.0.1");
    assert!(body["identity"].get("userAgent").is_some());
    let connected = body["connectedAt"].as_str().unwrap();
    let active = body["lastActiveAt"].as_str().unwrap();
    for stamp in [connected, active] {
        // 2026-12-01T19:04:16.123Z
        assert_eq!(stamp.len(), 24, "{stamp}");
        assert_eq!(
            (&stamp[4..5], &stamp[10..11], &stamp[19..20], &stamp[23..]),
            ("-", "T", ".", "Z")
        );
    }
    assert!(active > connected, "{active} after {connected}");
    server.shutdown().await;
}

#[tokio::test]
async fn delete_closes_and_runs_disconnect() {
    let server = Server::start(chat_api(), limits()).await;
    let mut client = server.connect().await;
    let id = server.connection_id(1).await;
    let answer = http(server.addr, "DELETE", &format!("/@connections/{id}"), b"").await;
    assert_eq!((answer.status, answer.body.as_str()), (204, ""));
    assert_eq!(next_close(&mut client).await.0, 1000);
    let events = server.fake.wait("disconnect", 1).await;
    assert_eq!(events[0]["requestContext"]["disconnectStatusCode"], 1000);
    assert_eq!(events[0]["requestContext"]["connectionId"], id.as_str());
    for method in ["POST", "GET", "DELETE"] {
        let answer = http(
            server.addr,
            method,
            &format!("/dev/@connections/{id}"),
            b"x",
        )
        .await;
        assert_error(&answer, 410, "GoneException");
    }
    server.wait_count(0).await;
    assert_eq!(server.fake.events("disconnect").len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn posting_while_connect_runs_is_gone() {
    let server = Server::start(chat_api(), limits()).await;
    server.fake.play(
        "connect",
        Play::ok(json!({"statusCode": 200})).after(Duration::from_millis(500)),
    );
    let connecting = tokio::spawn(tokio_tungstenite::connect_async(server.ws("/dev")));
    let id = server.connection_id(1).await;
    let answer = http(
        server.addr,
        "POST",
        &format!("/dev/@connections/{id}"),
        b"early",
    )
    .await;
    assert_error(&answer, 410, "GoneException");
    let mut client = connecting.await.unwrap().unwrap().0;
    server.wait_count(1).await;
    let answer = http(
        server.addr,
        "POST",
        &format!("/dev/@connections/{id}"),
        b"now",
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(next_text(&mut client).await, "now");
    server.shutdown().await;
}
