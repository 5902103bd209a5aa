//! The handshake: both paths, `$connect`'s status, failures, the
//! subprotocol.

use std::time::Duration;

use serde_json::json;
use tokio_tungstenite::tungstenite::Error as WsError;

use super::*;

/// The status a refused handshake got.
async fn refused(server: &Server, path: &str) -> u16 {
    match tokio_tungstenite::connect_async(server.ws(path)).await {
        Err(WsError::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("the handshake was accepted"),
    }
}

#[tokio::test]
async fn both_paths_connect_without_a_connect_route() {
    let server = Server::start(api(&[("$default", "echo", true)]), limits()).await;
    let mut staged = tokio_tungstenite::connect_async(server.ws("/dev"))
        .await
        .unwrap()
        .0;
    let mut root = tokio_tungstenite::connect_async(server.ws("/"))
        .await
        .unwrap()
        .0;
    server.wait_count(2).await;
    send_text(&mut staged, "a").await;
    send_text(&mut root, "b").await;
    assert_eq!(next_text(&mut staged).await, "a");
    assert_eq!(next_text(&mut root).await, "b");
    assert_eq!(refused(&server, "/prod").await, 403, "another stage");
    assert!(server.fake.events("connect").is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn connect_status_accepts_or_refuses() {
    let server = Server::start(chat_api(), limits()).await;
    server
        .fake
        .play("connect", Play::ok(json!({"statusCode": 204})));
    let _accepted = server.connect().await;
    server.fake.play(
        "connect",
        Play::ok(json!({"statusCode": 401, "body": "no"})),
    );
    assert_eq!(refused(&server, "/dev").await, 401);
    server
        .fake
        .play("connect", Play::ok(json!({"statusCode": 302})));
    assert_eq!(refused(&server, "/").await, 302);
    server.fake.wait("connect", 3).await;
    assert_eq!(server.gateway.connection_count(), 1);
    // A refused connection has no $disconnect: only the accepted one.
    let logs = server.logs.clone();
    server.shutdown().await;
    let logs = logs.lock().unwrap();
    let keys: Vec<(&str, u16)> = logs
        .iter()
        .map(|l| (l.route_key.as_str(), l.status))
        .collect();
    assert_eq!(
        keys,
        [
            ("$connect", 204),
            ("$connect", 401),
            ("$connect", 302),
            ("$disconnect", 200)
        ]
    );
}

#[tokio::test]
async fn connect_failures_are_502_and_the_integration_timeout_504() {
    let mut limits = limits();
    limits.integration_timeout = Duration::from_millis(300);
    let server = Server::start(chat_api(), limits).await;
    let crash = InvokeError::Handler {
        error_type: "Error".into(),
        message: "boom".into(),
    };
    server.fake.play("connect", Play::fail(crash));
    assert_eq!(refused(&server, "/dev").await, 502);
    server.fake.play(
        "connect",
        Play::fail(InvokeError::Timeout(Duration::from_secs(3))),
    );
    assert_eq!(refused(&server, "/dev").await, 502);
    let slow = Play::ok(json!({"statusCode": 200})).after(Duration::from_secs(2));
    server.fake.play("connect", slow);
    let started = Instant::now();
    assert_eq!(refused(&server, "/dev").await, 504);
    assert!(started.elapsed() < Duration::from_millis(1500));
    let logs = server.logs.lock().unwrap().clone();
    let statuses: Vec<u16> = logs.iter().map(|l| l.status).collect();
    assert_eq!(statuses, [502, 502, 504]);
    assert!(logs[0].error.as_deref().unwrap().contains("boom"));
    assert_eq!(server.gateway.connection_count(), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn the_subprotocol_is_selected_only_when_the_handler_returns_it() {
    let server = Server::start(chat_api(), limits()).await;
    let asks = "Sec-WebSocket-Protocol: chat, json\r\n";
    let (_s, status, headers) = raw_handshake(server.addr, "/dev", asks).await;
    assert_eq!(status, 101);
    assert!(
        !headers.iter().any(|(n, _)| n == "sec-websocket-protocol"),
        "{headers:?}"
    );
    let answer = json!({"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "json"}});
    server.fake.play("connect", Play::ok(answer));
    let (_s, status, headers) = raw_handshake(server.addr, "/dev", asks).await;
    assert_eq!(status, 101);
    let selected: Vec<_> = headers
        .iter()
        .filter(|(n, _)| n == "sec-websocket-protocol")
        .collect();
    assert_eq!(
        selected,
        [&("sec-websocket-protocol".to_string(), "json".to_string())]
    );
    // A protocol the client did not ask for is not sent.
    let answer = json!({"statusCode": 200, "headers": {"sec-websocket-protocol": "xml"}});
    server.fake.play("connect", Play::ok(answer));
    let (_s, status, headers) = raw_handshake(server.addr, "/dev", asks).await;
    assert_eq!(status, 101);
    assert!(!headers.iter().any(|(n, _)| n == "sec-websocket-protocol"));
    server.shutdown().await;
}

#[tokio::test]
async fn a_plain_get_is_not_an_upgrade() {
    let server = Server::start(chat_api(), limits()).await;
    let answer = http(server.addr, "GET", "/dev", b"").await;
    assert!(answer.status >= 400, "{answer:?}");
    let answer = http(server.addr, "GET", "/nope/deeper/path", b"").await;
    assert_eq!(answer.status, 403);
    assert_eq!(answer.json(), json!({"message": "Forbidden"}));
    assert!(server.fake.events("connect").is_empty());
    server.shutdown().await;
}
