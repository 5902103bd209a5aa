//! Every way a connection ends runs `$disconnect` once, with the right
//! `disconnectStatusCode` and `disconnectReason`.

use std::time::Duration;

use serde_json::json;

use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::*;

/// (disconnectStatusCode, disconnectReason) of a DISCONNECT event.
fn code_reason(event: &Value) -> (u64, String) {
    let context = &event["requestContext"];
    let code = context["disconnectStatusCode"].as_u64().unwrap();
    (
        code,
        context["disconnectReason"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn the_client_close_code_and_reason_reach_disconnect() {
    let server = Server::start(chat_api(), limits()).await;
    let mut client = server.connect().await;
    let frame = CloseFrame {
        code: CloseCode::from(4001),
        reason: "bye now".into(),
    };
    client.close(Some(frame)).await.unwrap();
    // The server answers the close handshake.
    assert_eq!(next_close(&mut client).await.0, 4001);
    let events = server.fake.wait("disconnect", 1).await;
    assert_eq!(code_reason(&events[0]), (4001, "bye now".into()));
    server.wait_count(0).await;
    let fake = server.fake.clone();
    server.shutdown().await;
    assert_eq!(fake.events("disconnect").len(), 1, "not again at shutdown");
}

#[tokio::test]
async fn a_close_frame_without_code_is_1005() {
    let server = Server::start(chat_api(), limits()).await;
    let mut client = server.connect().await;
    client.close(None).await.unwrap();
    let events = server.fake.wait("disconnect", 1).await;
    assert_eq!(
        code_reason(&events[0]),
        (1005, "Client-side close frame status not set".into())
    );
    server.shutdown().await;
}

#[tokio::test]
async fn network_loss_is_1006() {
    let server = Server::start(chat_api(), limits()).await;
    let client = server.connect().await;
    drop(client);
    let events = server.fake.wait("disconnect", 1).await;
    assert_eq!(code_reason(&events[0]).0, 1006);
    server.wait_count(0).await;
    server.shutdown().await;
}

#[tokio::test]
async fn idle_connections_close_with_1001() {
    let mut limits = limits();
    limits.idle = Duration::from_millis(700);
    let server = Server::start(chat_api(), limits).await;
    let mut client = server.connect().await;
    // Messages keep it open past the idle timeout.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        send_text(&mut client, "still here").await;
        assert_eq!(next_text(&mut client).await, "still here");
    }
    let started = Instant::now();
    assert_eq!(next_close(&mut client).await, (1001, "Going away".into()));
    assert!(started.elapsed() >= Duration::from_millis(600));
    let events = server.fake.wait("disconnect", 1).await;
    assert_eq!(code_reason(&events[0]), (1001, "Going away".into()));
    server.shutdown().await;
}

#[tokio::test]
async fn connections_close_at_their_maximum_age() {
    let mut limits = limits();
    limits.max_age = Duration::from_millis(500);
    let server = Server::start(chat_api(), limits).await;
    let started = Instant::now();
    let mut client = server.connect().await;
    for _ in 0..2 {
        send_text(&mut client, "busy").await;
        assert_eq!(next_text(&mut client).await, "busy");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(next_close(&mut client).await.0, 1001);
    assert!(started.elapsed() >= Duration::from_millis(500));
    server.fake.wait("disconnect", 1).await;
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_every_connection_with_1001_after_disconnect() {
    let server = Server::start(chat_api(), limits()).await;
    server.fake.play(
        "disconnect",
        Play::ok(json!({})).after(Duration::from_millis(200)),
    );
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(server.connect().await);
    }
    server.wait_count(3).await;
    let fake = server.fake.clone();
    let gateway = server.gateway.clone();
    let reading = tokio::spawn(async move {
        let mut codes = Vec::new();
        for client in &mut clients {
            codes.push(next_close(client).await.0);
        }
        codes
    });
    server.shutdown().await;
    // `serve` returned only once every $disconnect had run.
    assert_eq!(fake.events("disconnect").len(), 3);
    assert_eq!(gateway.connection_count(), 0);
    for event in fake.events("disconnect") {
        assert_eq!(code_reason(&event), (1001, "Going away".into()));
    }
    assert_eq!(reading.await.unwrap(), [1001, 1001, 1001]);
}

#[tokio::test]
async fn two_hundred_connections_dropped_at_once() {
    let server = Server::start(chat_api(), limits()).await;
    let opening = (0..200).map(|_| server.connect());
    let clients = futures_util::future::join_all(opening).await;
    server.wait_count(200).await;
    drop(clients);
    server.fake.wait("disconnect", 200).await;
    server.wait_count(0).await;
    let mut ids: Vec<String> = server
        .fake
        .events("disconnect")
        .iter()
        .map(|e| {
            e["requestContext"]["connectionId"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 200, "one $disconnect per connection");
    server.shutdown().await;
}

#[tokio::test]
async fn a_malformed_frame_closes_that_connection_only() {
    let server = Server::start(chat_api(), limits()).await;
    let mut good = server.connect().await;
    let (mut raw, status, _) = raw_handshake(server.addr, "/dev", "").await;
    assert_eq!(status, 101);
    server.wait_count(2).await;
    raw.write_all(b"GARBAGE\r\n\r\nnot a websocket frame")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), raw.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the server dropped the broken connection");
    let events = server.fake.wait("disconnect", 1).await;
    assert_eq!(code_reason(&events[0]).0, 1002);
    server.wait_count(1).await;
    send_text(&mut good, "fine").await;
    assert_eq!(next_text(&mut good).await, "fine");
    server.shutdown().await;
}
