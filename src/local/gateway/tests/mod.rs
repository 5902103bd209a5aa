//! Tests of the local gateway, in process: a server on 127.0.0.1:0, real
//! WebSocket clients (tokio-tungstenite, or raw TCP where a client must
//! misbehave), raw HTTP for `@connections`, and `FakeInvoke` playing the
//! handlers (it records every event and answers per function).

mod authorizer;
mod closes;
mod connect;
mod events;
mod iam;
mod management;
mod messages;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::{Api, EventLog, Gateway, Limits, Route};
use crate::local::invoke::{BoxFuture, Invoke, InvokeError};

pub type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Answer = Arc<dyn Fn(&Value) -> Result<Value, InvokeError> + Send + Sync>;

/// How a fake function answers: after `delay`, `answer(event)`.
#[derive(Clone)]
pub struct Play {
    delay: Duration,
    answer: Answer,
}

impl Play {
    pub fn ok(value: Value) -> Self {
        Play {
            delay: Duration::ZERO,
            answer: Arc::new(move |_| Ok(value.clone())),
        }
    }
    pub fn fail(error: InvokeError) -> Self {
        Play {
            delay: Duration::ZERO,
            answer: Arc::new(move |_| Err(error.clone())),
        }
    }
    /// `{"statusCode": 200, "body": <the event's body>}`.
    pub fn echo() -> Self {
        Play {
            delay: Duration::ZERO,
            answer: Arc::new(|event| Ok(json!({"statusCode": 200, "body": event["body"]}))),
        }
    }
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// Handlers played in the test: records (function, event) and answers by
/// function (200 when nothing was set).
#[derive(Default)]
pub struct FakeInvoke {
    calls: Mutex<Vec<(String, Value)>>,
    plays: Mutex<HashMap<String, Play>>,
}

impl FakeInvoke {
    pub fn play(&self, function: &str, play: Play) {
        self.plays
            .lock()
            .unwrap()
            .insert(function.to_string(), play);
    }

    /// The events `function` received so far.
    pub fn events(&self, function: &str) -> Vec<Value> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .filter(|(f, _)| f == function)
            .map(|(_, e)| e.clone())
            .collect()
    }

    /// Waits (up to 5 s) until `function` received `n` events.
    pub async fn wait(&self, function: &str, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let events = self.events(function);
            if events.len() >= n || Instant::now() > deadline {
                assert_eq!(events.len(), n, "events of {function}: {events:#?}");
                return events;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Invoke for FakeInvoke {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        event: Value,
    ) -> BoxFuture<'a, Result<Value, InvokeError>> {
        Box::pin(async move {
            self.calls
                .lock()
                .unwrap()
                .push((function.to_string(), event.clone()));
            let play = self.plays.lock().unwrap().get(function).cloned();
            let play = play.unwrap_or_else(|| Play::ok(json!({"statusCode": 200})));
            tokio::time::sleep(play.delay).await;
            (play.answer)(&event)
        })
    }
}

/// An API with `routes`: (route key, function, returnResponse).
pub fn api(routes: &[(&str, &str, bool)]) -> Api {
    Api {
        stage: "dev".into(),
        region: "eu-west-1".into(),
        api_id: "abc123defg".into(),
        account_id: "123456789012".into(),
        route_selection_expression: "$request.body.action".into(),
        routes: routes
            .iter()
            .map(|(key, function, ret)| {
                let route = Route {
                    function: function.to_string(),
                    return_response: *ret,
                };
                (key.to_string(), route)
            })
            .collect(),
        stage_variables: BTreeMap::new(),
        authorizer: None,
    }
}

/// The usual handlers: `$connect`, `$disconnect`, `$default` (echo back).
pub fn chat_api() -> Api {
    api(&[
        ("$connect", "connect", false),
        ("$disconnect", "disconnect", false),
        ("$default", "echo", true),
    ])
}

pub fn limits() -> Limits {
    Limits {
        idle: Duration::from_secs(60),
        max_age: Duration::from_secs(60),
        integration_timeout: Duration::from_secs(5),
    }
}

/// A gateway served on 127.0.0.1:0.
pub struct Server {
    pub addr: SocketAddr,
    pub gateway: Arc<Gateway>,
    pub fake: Arc<FakeInvoke>,
    pub logs: Arc<Mutex<Vec<EventLog>>>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    pub async fn start(api: Api, limits: Limits) -> Server {
        let fake = Arc::new(FakeInvoke::default());
        fake.play("echo", Play::echo());
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let on_event = Arc::new(move |log: EventLog| sink.lock().unwrap().push(log));
        let gateway = Arc::new(Gateway::new(api, limits, fake.clone(), on_event));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = gateway.clone();
        let task = tokio::spawn(async move {
            serving
                .serve(listener, async { stopped.await.unwrap_or(()) })
                .await
        });
        Server {
            addr,
            gateway,
            fake,
            logs,
            stop: Some(stop),
            task,
        }
    }

    pub fn ws(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    pub async fn connect(&self) -> Client {
        tokio_tungstenite::connect_async(self.ws("/dev"))
            .await
            .unwrap()
            .0
    }

    /// The connection id of the `n`th (from 1) `$connect` event.
    pub async fn connection_id(&self, n: usize) -> String {
        let events = self.fake.wait("connect", n).await;
        events[n - 1]["requestContext"]["connectionId"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Triggers shutdown and waits for `serve` to return.
    pub async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        let served = tokio::time::timeout(Duration::from_secs(10), &mut self.task).await;
        served.expect("serve returns").unwrap().unwrap();
    }

    /// Waits (up to 5 s) until `connection_count()` is `n`.
    pub async fn wait_count(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.gateway.connection_count() != n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(self.gateway.connection_count(), n);
    }
}

/// The next text frame (within 5 s).
pub async fn next_text(client: &mut Client) -> String {
    match tokio::time::timeout(Duration::from_secs(5), client.next()).await {
        Ok(Some(Ok(Message::Text(text)))) => text.to_string(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

/// The next text frame, as JSON.
pub async fn next_json(client: &mut Client) -> Value {
    serde_json::from_str(&next_text(client).await).unwrap()
}

/// The close frame's (code, reason) the server sends next (within 5 s).
pub async fn next_close(client: &mut Client) -> (u16, String) {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), client.next()).await {
            Ok(Some(Ok(Message::Close(Some(frame))))) => {
                return (u16::from(frame.code), frame.reason.to_string());
            }
            Ok(Some(Ok(Message::Text(_)))) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

pub async fn send_text(client: &mut Client, text: &str) {
    client.send(Message::text(text)).await.unwrap();
}

/// An HTTP/1.1 answer: status, headers (lowercase names), body.
#[derive(Debug)]
pub struct HttpAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

fn parse_head(head: &str) -> (u16, Vec<(String, String)>) {
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers)
}

/// One raw HTTP request (`Connection: close`), its whole answer.
pub async fn http(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> HttpAnswer {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let (status, headers) = parse_head(head);
    HttpAnswer {
        status,
        headers,
        body: body.to_string(),
    }
}

/// A WebSocket handshake over raw TCP with `extra` header lines; the
/// stream and the answer's status and headers.
pub async fn raw_handshake(
    addr: SocketAddr,
    path: &str,
    extra: &str,
) -> (TcpStream, u16, Vec<(String, String)>) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        assert_eq!(
            stream.read(&mut byte).await.unwrap(),
            1,
            "answer ended early"
        );
        head.push(byte[0]);
    }
    let (status, headers) = parse_head(&String::from_utf8_lossy(&head));
    (stream, status, headers)
}
