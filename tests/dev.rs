//! `wsdeploy dev` end to end: the binary serving fixtures/dev, real
//! WebSocket clients, real handlers in warm workers (TypeScript bundles,
//! Python), and the official AWS SDKs against `@connections`: boto3 and
//! the JavaScript SDK v3 must get `GoneException` for a closed
//! connection, the GET shape, and 413 over 128 KB.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A running `wsdeploy dev`: its URLs, and what it printed on stderr.
struct Dev {
    child: Child,
    url: String,
    endpoint: String,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Dev {
    fn start(config: &Path) -> Dev {
        Dev::start_with(config, &[])
    }

    fn start_with(config: &Path, extra: &[&str]) -> Dev {
        let esbuild = wsdeploy::build::node::Esbuild::find(&root())
            .expect("npm ci")
            .path;
        let mut child = Command::new(env!("CARGO_BIN_EXE_wsdeploy"))
            .args(["dev", "--port", "0", "-c"])
            .arg(config)
            .args(extra)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("ESBUILD_BINARY_PATH", esbuild)
            .envs(
                ["HOME", "PYENV_ROOT"]
                    .iter()
                    .filter_map(|k| std::env::var_os(k).map(|v| (k.to_string(), v))),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("wsdeploy dev starts");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let err = BufReader::new(child.stderr.take().unwrap());
        let lines = stderr.clone();
        std::thread::spawn(move || {
            for line in err.lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut read = || {
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            line.trim().to_owned()
        };
        let url = read();
        let endpoint = read();
        let url = url
            .strip_prefix("url: ")
            .unwrap_or_else(|| panic!("dev printed {url:?}; stderr: {:?}", stderr.lock().unwrap()))
            .to_owned();
        let endpoint = endpoint
            .strip_prefix("managementEndpoint: ")
            .unwrap()
            .to_owned();
        Dev {
            child,
            url,
            endpoint,
            stderr,
        }
    }

    fn stderr_has(&self, needle: &str) -> bool {
        self.stderr
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains(needle))
    }

    /// Waits up to 10 s for a line on stderr.
    async fn wait_stderr(&self, needle: &str) {
        for _ in 0..200 {
            if self.stderr_has(needle) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no {needle:?} on stderr: {:?}", self.stderr.lock().unwrap());
    }

    /// Ctrl-C: exits 0 once every `$disconnect` ran.
    fn interrupt(mut self) -> Vec<String> {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-INT", &pid]).status().unwrap();
        let status = self.child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{:?}", self.stderr.lock().unwrap());
        std::thread::sleep(Duration::from_millis(100));
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// A copy of fixtures/dev of the test's own (each `wsdeploy dev` unpacks
/// its functions under the project's `.wsdeploy/dev/`), under `target/` so
/// that the handlers find the repository's `node_modules` (the AWS SDK the
/// bundles leave external).
fn fixture() -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = root()
        .join("target/dev-tests")
        .join(format!("{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy(&root().join("fixtures/dev"), &dir);
    dir.join("wsdeploy.yml")
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_name() == ".wsdeploy" {
            continue;
        }
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn send(ws: &mut Socket, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

async fn recv(ws: &mut Socket) -> String {
    let next = tokio::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .expect("an answer within 10 s");
    match next {
        Some(Ok(Message::Text(t))) => t.to_string(),
        other => panic!("expected a text message, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn routes_two_way_answers_errors_python_and_the_sdk_through_connections() {
    let dev = Dev::start(&fixture());
    assert!(
        dev.url.starts_with("ws://127.0.0.1:") && dev.url.ends_with("/dev"),
        "{}",
        dev.url
    );
    let (mut ws, _) = connect_async(&dev.url).await.unwrap();
    send(&mut ws, r#"{"action":"echo","text":"hi there"}"#).await;
    assert_eq!(recv(&mut ws).await, "hi there");
    // The handler's error is Lambda's: the client gets API Gateway's answer.
    send(&mut ws, r#"{"action":"boom"}"#).await;
    let v: serde_json::Value = serde_json::from_str(&recv(&mut ws).await).unwrap();
    assert_eq!(v["message"], "Internal server error");
    assert!(
        v["connectionId"].is_string() && v["requestId"].is_string(),
        "{v}"
    );
    // $default answers through @connections with the JavaScript SDK v3.
    send(&mut ws, "not json").await;
    assert_eq!(recv(&mut ws).await, "default got: not json");
    // Python, with Lambda's context.
    send(&mut ws, r#"{"action":"py","name":"ann"}"#).await;
    let v: serde_json::Value = serde_json::from_str(&recv(&mut ws).await).unwrap();
    assert_eq!(v, serde_json::json!({"hello": "ann", "remaining": true}));
    // What a handler sees.
    send(&mut ws, r#"{"action":"whoami"}"#).await;
    let v: serde_json::Value = serde_json::from_str(&recv(&mut ws).await).unwrap();
    assert_eq!(v["greeting"], "hello");
    assert_eq!(v["managementEndpoint"], dev.endpoint);
    assert_eq!(v["functionName"], "devapp-dev-whoami");
    assert_eq!(v["sdkManagementEndpoint"], dev.endpoint);
    assert_eq!(v["awsEndpoint"], serde_json::Value::Null);
    assert_eq!(v["signs"], true, "dummy credentials when dev has none");
    let ctx = &v["requestContext"];
    assert_eq!(ctx["routeKey"], "whoami");
    assert_eq!(ctx["eventType"], "MESSAGE");
    assert_eq!(ctx["stage"], "dev");
    assert_eq!(
        format!("http://{}/dev", ctx["domainName"].as_str().unwrap()),
        dev.endpoint
    );
    // A handler's output is shown with its function's name; every event
    // has a line.
    dev.wait_stderr("whoami 200").await;
    ws.close(None).await.unwrap();
    dev.wait_stderr("disconnect ").await;
    assert!(
        dev.stderr_has("[disconnect] disconnect "),
        "{:?}",
        dev.stderr.lock().unwrap()
    );
    assert!(dev.stderr_has(" 1005 "), "{:?}", dev.stderr.lock().unwrap());
    // Ctrl-C with a connection open: it is closed with 1001 (going away)
    // and its $disconnect runs before dev exits 0.
    let (mut open, _) = connect_async(&dev.url).await.unwrap();
    send(&mut open, r#"{"action":"echo","text":"x"}"#).await;
    recv(&mut open).await;
    let stderr = dev.interrupt();
    assert!(
        stderr
            .iter()
            .any(|l| l.starts_with("[disconnect] disconnect ") && l.contains(" 1001 ")),
        "{stderr:?}"
    );
    let closed = tokio::time::timeout(Duration::from_secs(5), open.next())
        .await
        .unwrap();
    match closed {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1001),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_refuses_and_selects_the_subprotocol_only_when_the_handler_says() {
    let dev = Dev::start(&fixture());
    let refused = connect_async(format!("{}?deny=1", dev.url)).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 403),
        other => panic!("expected 403, got {other:?}"),
    }
    let mut req = dev.url.as_str().into_client_request().unwrap();
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", "other, chat".parse().unwrap());
    let (_, resp) = connect_async(req).await.unwrap();
    assert_eq!(
        resp.headers()
            .get("sec-websocket-protocol")
            .map(|v| v.to_str().unwrap()),
        Some("chat")
    );
    let mut req = dev.url.as_str().into_client_request().unwrap();
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", "other".parse().unwrap());
    // Nothing is echoed when the handler selects nothing (a client that
    // insists on a protocol then refuses the connection itself).
    match connect_async(req).await {
        Ok((_, resp)) => assert!(resp.headers().get("sec-websocket-protocol").is_none()),
        Err(e) => assert!(e.to_string().contains("SubProtocol"), "{e}"),
    }
    dev.interrupt();
}

/// Runs a script with the emulator's Python (it has boto3) or node.
fn run_script(program: &str, script: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .arg(script)
        .args(args)
        .current_dir(root())
        .env("AWS_ACCESS_KEY_ID", "dev")
        .env("AWS_SECRET_ACCESS_KEY", "dev")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{program} {script}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_and_the_javascript_sdk_get_aws_errors_from_connections() {
    let dev = Dev::start(&fixture());
    let (mut ws, _) = connect_async(&dev.url).await.unwrap();
    // Learn the connection id from the handler's view of the event.
    send(&mut ws, r#"{"action":"whoami"}"#).await;
    let v: serde_json::Value = serde_json::from_str(&recv(&mut ws).await).unwrap();
    let id = v["requestContext"]["connectionId"]
        .as_str()
        .unwrap()
        .to_owned();
    // And of one that has closed.
    let (mut gone, _) = connect_async(&dev.url).await.unwrap();
    send(&mut gone, r#"{"action":"whoami"}"#).await;
    let v: serde_json::Value = serde_json::from_str(&recv(&mut gone).await).unwrap();
    let closed = v["requestContext"]["connectionId"]
        .as_str()
        .unwrap()
        .to_owned();
    gone.close(None).await.unwrap();
    dev.wait_stderr(&format!("disconnect {closed}")).await;

    let python = root().join(".venv/bin/python");
    let python = python.to_str().unwrap();
    let js = root().join("tests/dev/connections.mjs");
    let py = root().join("tests/dev/connections.py");
    for (program, script) in [
        (python, py.to_str().unwrap()),
        ("node", js.to_str().unwrap()),
    ] {
        let out = run_script(program, script, &[&dev.endpoint, &id, &closed]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["post"], "ok", "{program}: {v}");
        assert_eq!(v["get"]["hasConnectedAt"], true, "{program}: {v}");
        assert_eq!(v["get"]["sourceIp"], "127.0.0.1", "{program}: {v}");
        assert_eq!(v["tooLarge"], 413, "{program}: {v}");
        assert_eq!(v["gone"], "GoneException", "{program}: {v}");
        // The POST reached the client.
        assert_eq!(recv(&mut ws).await, "from the sdk", "{program}");
    }
    dev.interrupt();
}

/// A thousand connections opened at once and dropped at once: every
/// `$disconnect` runs (1006, network loss) and the server still serves.
#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_connections_dropped_at_once_each_get_their_disconnect() {
    const N: usize = 1000;
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let open_files = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(usize::MAX);
    assert!(
        open_files > 2 * N + 200,
        "this test needs more open files than the limit of {open_files} (ulimit -n)"
    );
    let dev = Dev::start(&fixture());
    let sockets = futures_util::future::join_all(
        (0..N).map(|_| async { connect_async(&dev.url).await.map(|(ws, _)| ws) }),
    )
    .await;
    let sockets: Vec<Socket> = sockets.into_iter().map(Result::unwrap).collect();
    drop(sockets);
    let count = || {
        dev.stderr
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.starts_with("[disconnect] disconnect ") && l.contains(" 1006 "))
            .count()
    };
    for _ in 0..600 {
        if count() >= N {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        count(),
        N,
        "every dropped connection's $disconnect ran once"
    );
    let (mut ws, _) = connect_async(&dev.url).await.unwrap();
    send(&mut ws, r#"{"action":"echo","text":"still here"}"#).await;
    assert_eq!(recv(&mut ws).await, "still here");
    dev.interrupt();
}

#[test]
fn an_invalid_config_exits_1_with_the_diagnostics_of_validate() {
    let out = Command::new(env!("CARGO_BIN_EXE_wsdeploy"))
        .args(["dev", "--port", "0", "-c"])
        .arg(root().join("fixtures/invalid/bad-app-name.yml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad-app-name.yml:"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing served");
}

/// `--output json`: the URLs, then one JSON object per event and per line
/// a handler prints, on stdout. `--endpoint-url` reaches the handlers.
#[tokio::test(flavor = "multi_thread")]
async fn json_output_and_the_endpoint_url_for_handlers() {
    let esbuild = wsdeploy::build::node::Esbuild::find(&root())
        .expect("npm ci")
        .path;
    let mut child = Command::new(env!("CARGO_BIN_EXE_wsdeploy"))
        .args(["dev", "--port", "0", "--output", "json"])
        .args(["--endpoint-url", "http://127.0.0.1:4566", "-c"])
        .arg(fixture())
        .env("ESBUILD_BINARY_PATH", esbuild)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let first: serde_json::Value = serde_json::from_str(&line).unwrap();
    let url = first["url"].as_str().unwrap().to_owned();
    assert!(
        first["managementEndpoint"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    let (mut ws, _) = connect_async(&url).await.unwrap();
    send(&mut ws, r#"{"action":"whoami"}"#).await;
    let v: serde_json::Value = serde_json::from_str(&recv(&mut ws).await).unwrap();
    assert_eq!(v["awsEndpoint"], "http://127.0.0.1:4566");
    let mut events = Vec::new();
    while !events
        .iter()
        .any(|e: &serde_json::Value| e["event"] == "route" && e["routeKey"] == "whoami")
    {
        let mut l = String::new();
        assert!(out.read_line(&mut l).unwrap() > 0, "{events:?}");
        events.push(serde_json::from_str(&l).unwrap());
    }
    let whoami = events.iter().find(|e| e["routeKey"] == "whoami").unwrap();
    assert_eq!(whoami["status"], 200, "{whoami}");
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

/// `--idle-timeout` shortens API Gateway's 10 minutes: an idle connection
/// is closed with 1001 and its `$disconnect` runs.
#[tokio::test(flavor = "multi_thread")]
async fn the_idle_timeout_flag_closes_idle_connections() {
    let dev = Dev::start_with(&fixture(), &["--idle-timeout", "1"]);
    let (mut ws, _) = connect_async(&dev.url).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .expect("closed within 10 s");
    match closed {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1001),
        other => panic!("expected a close frame, got {other:?}"),
    }
    dev.wait_stderr(" 1001 ").await;
    dev.interrupt();
}
