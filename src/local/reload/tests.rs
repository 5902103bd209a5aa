//! Reload in process: a project written into a temp dir, `serve::start` on
//! 127.0.0.1:0 with `watch` on it, real Node.js workers and a real
//! WebSocket client that stays connected while files change.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::{ConfigSource, Note, Reloader, watch};
use crate::local::runtime::Pool;
use crate::local::serve::{self, Options};

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

const CONFIG: &str = "app: reload
region: us-east-1
defaults:
  function:
    runtime: nodejs22.x
    timeout: 10
    build:
      bundle: false
routes:
  echo:
    function: src/echo.handler
    returnResponse: true
";

/// A handler that tells its version, how many calls its module has seen
/// (a new worker starts at 1) and, when asked, sleeps first.
fn echo(version: u32) -> String {
    format!(
        "let calls = 0;
export const handler = async (event) => {{
  const body = JSON.parse(event.body);
  if (body.sleep) await new Promise((r) => setTimeout(r, body.sleep));
  calls += 1;
  return {{ statusCode: 200, body: JSON.stringify({{ v: {version}, calls, tag: body.tag ?? null, greeting: process.env.GREETING ?? null }}) }};
}};
"
    )
}

/// A served project, watched; stops when dropped.
struct App {
    dir: PathBuf,
    url: String,
    pool: Pool,
    notes: Arc<Mutex<Vec<String>>>,
    _reloader: Reloader,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl App {
    /// Serves `files` (and symbolic `links` to existing files).
    async fn start(name: &str, files: &[(&str, &str)], links: &[(&str, &Path)]) -> App {
        let dir =
            std::env::temp_dir().join(format!("wsdeploy-reload-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            write(&dir.join(path), text);
        }
        for (path, target) in links {
            let link = dir.join(path);
            std::fs::create_dir_all(link.parent().unwrap()).unwrap();
            std::os::unix::fs::symlink(target, link).unwrap();
        }
        let source = ConfigSource {
            file: dir.join("wsdeploy.yml"),
            ..ConfigSource::default()
        };
        let loaded = source.load().unwrap();
        let config = loaded
            .config
            .unwrap_or_else(|| panic!("{:?}", loaded.diagnostics.items));
        let opts = Options {
            host: "127.0.0.1".to_owned(),
            port: 0,
            endpoint_url: None,
            idle_timeout: Duration::from_secs(600),
            max_connection: Duration::from_secs(7200),
            credentials: Vec::new(),
            real_credentials: false,
        };
        let server = serve::start(&config, &opts, Arc::new(|_| {}), Arc::new(|_, _, _| {}))
            .await
            .unwrap();
        let notes: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = notes.clone();
        let reloader = watch(
            &server,
            source,
            Arc::new(move |note| sink.lock().unwrap().push(describe(&note))),
        )
        .unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (url, pool) = (server.url(&config.stage), server.pool.clone());
        tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        App {
            dir,
            url,
            pool,
            notes,
            _reloader: reloader,
            _stop: stop,
        }
    }

    fn write(&self, path: &str, text: &str) {
        write(&self.dir.join(path), text);
    }

    /// Waits for a note containing `text` (after `seen` notes), and
    /// returns how many notes there are then.
    async fn note(&self, text: &str, seen: usize) -> usize {
        let start = Instant::now();
        loop {
            {
                let notes = self.notes.lock().unwrap();
                if notes.iter().skip(seen).any(|n| n.contains(text)) {
                    return notes.len();
                }
                assert!(
                    start.elapsed() < Duration::from_secs(20),
                    "no note `{text}`: {notes:?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn notes(&self) -> Vec<String> {
        self.notes.lock().unwrap().clone()
    }

    async fn client(&self) -> Client {
        tokio_tungstenite::connect_async(&self.url).await.unwrap().0
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn describe(note: &Note) -> String {
    match note {
        Note::Reloaded { function, .. } => format!("reloaded {function}"),
        Note::ConfigReloaded { .. } => "config reloaded".to_owned(),
        Note::BuildFailed { error, .. } => format!("build failed: {error}"),
        Note::ConfigInvalid(loaded) => format!("config invalid: {:?}", loaded.diagnostics.items),
        Note::Failed(e) => format!("failed: {e}"),
    }
}

async fn send(client: &mut Client, body: Value) {
    client
        .send(Message::Text(body.to_string().into()))
        .await
        .unwrap();
}

async fn receive(client: &mut Client) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(15), client.next())
            .await
            .expect("an answer")
            .unwrap()
            .unwrap();
        if let Message::Text(text) = frame {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

async fn ask(client: &mut Client, body: Value) -> Value {
    send(client, body).await;
    receive(client).await
}

fn plain_app() -> [(&'static str, String); 2] {
    [
        ("wsdeploy.yml", CONFIG.to_owned()),
        ("src/echo.mjs", echo(1)),
    ]
}

async fn start_plain(name: &str) -> App {
    let files = plain_app();
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    App::start(name, &files, &[]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_change_is_served_on_the_next_message_without_reconnecting() {
    let app = start_plain("change").await;
    let mut client = app.client().await;
    assert_eq!(ask(&mut client, json!({"action": "echo"})).await["v"], 1);
    app.write("src/echo.mjs", &echo(2));
    app.note("reloaded echo", 0).await;
    assert_eq!(ask(&mut client, json!({"action": "echo"})).await["v"], 2);
    // The generation before stays (invocations in flight may run it);
    // older ones go.
    app.write("src/echo.mjs", &echo(3));
    app.note("reloaded echo", 1).await;
    assert_eq!(ask(&mut client, json!({"action": "echo"})).await["v"], 3);
    let generations = std::fs::read_dir(app.dir.join(".wsdeploy/dev/reload-dev-echo"))
        .unwrap()
        .count();
    assert_eq!(generations, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_in_flight_finishes_on_the_old_code() {
    let app = start_plain("inflight").await;
    let mut client = app.client().await;
    send(
        &mut client,
        json!({"action": "echo", "sleep": 2000, "tag": "slow"}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.write("src/echo.mjs", &echo(2));
    app.note("reloaded echo", 0).await;
    let fast = ask(&mut client, json!({"action": "echo", "tag": "fast"})).await;
    assert_eq!(
        (fast["v"].as_u64(), fast["tag"].as_str()),
        (Some(2), Some("fast"))
    );
    let slow = receive(&mut client).await;
    assert_eq!(
        (slow["v"].as_u64(), slow["tag"].as_str()),
        (Some(1), Some("slow"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_change_adding_a_route_serves_it() {
    let app = start_plain("route").await;
    let mut client = app.client().await;
    let before = ask(&mut client, json!({"action": "ping"})).await;
    assert_eq!(before["message"], "Forbidden");
    app.write(
        "src/ping.mjs",
        "export const handler = async () => ({ statusCode: 200, body: 'pong' });\n",
    );
    let seen = app.notes().len();
    app.write(
        "wsdeploy.yml",
        &format!("{CONFIG}  ping:\n    function: src/ping.handler\n    returnResponse: true\n"),
    );
    app.note("config reloaded", seen).await;
    send(&mut client, json!({"action": "ping"})).await;
    let answer = tokio::time::timeout(Duration::from_secs(15), client.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(answer, Message::Text("pong".into()));
    assert_eq!(ask(&mut client, json!({"action": "echo"})).await["v"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_change_to_a_functions_environment_replaces_its_workers() {
    let app = start_plain("environment").await;
    let mut client = app.client().await;
    assert_eq!(
        ask(&mut client, json!({"action": "echo"})).await["greeting"],
        Value::Null
    );
    app.write(
        "wsdeploy.yml",
        &CONFIG.replace(
            "    timeout: 10\n",
            "    timeout: 10\n    environment:\n      GREETING: hi\n",
        ),
    );
    app.note("config reloaded", 0).await;
    assert!(
        app.notes().contains(&"reloaded echo".to_owned()),
        "{:?}",
        app.notes()
    );
    let answer = ask(&mut client, json!({"action": "echo"})).await;
    assert_eq!(
        (answer["greeting"].as_str(), answer["calls"].as_u64()),
        (Some("hi"), Some(1))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_config_keeps_the_old_routes() {
    let app = start_plain("invalid").await;
    let mut client = app.client().await;
    app.write(
        "wsdeploy.yml",
        &CONFIG.replace("src/echo.handler", "src/missing.handler"),
    );
    app.note("config invalid", 0).await;
    let answer = ask(&mut client, json!({"action": "echo"})).await;
    assert_eq!(answer["v"], 1, "{:?}", app.notes());
    app.write("wsdeploy.yml", "app: [unclosed\n");
    app.note("config invalid", 1).await;
    assert_eq!(ask(&mut client, json!({"action": "echo"})).await["v"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_that_changes_nothing_keeps_the_workers() {
    let app = start_plain("noop").await;
    let mut client = app.client().await;
    assert_eq!(
        ask(&mut client, json!({"action": "echo"})).await["calls"],
        1
    );
    app.write("src/echo.mjs", &echo(1));
    // Long enough for the debounce and a rebuild.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(app.notes(), Vec::<String>::new());
    assert_eq!(app.pool.workers()["echo"], (0, 1));
    // The same worker: its module counted the first call.
    assert_eq!(
        ask(&mut client, json!({"action": "echo"})).await["calls"],
        2
    );
}

/// TypeScript, bundled with the esbuild of the repository's node_modules
/// (linked into the project, where `Esbuild::find` looks).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_error_keeps_the_old_code() {
    let esbuild = crate::build::node::Esbuild::find(Path::new(env!("CARGO_MANIFEST_DIR")))
        .expect("npm ci")
        .path;
    let config = CONFIG.replace("    build:\n      bundle: false\n", "");
    let ts = |v: u32| {
        format!(
            "export const handler = async (event: {{ body: string }}) => ({{ statusCode: 200, body: JSON.stringify({{ v: {v} }}) }});\n"
        )
    };
    let app = App::start(
        "tserror",
        &[("wsdeploy.yml", config.as_str()), ("src/echo.ts", &ts(1))],
        &[("node_modules/@esbuild/linux-x64/bin/esbuild", &esbuild)],
    )
    .await;
    let mut client = app.client().await;
    assert_eq!(ask(&mut client, json!({"action": "echo"})).await["v"], 1);
    app.write(
        "src/echo.ts",
        "export const handler = async () => ({ statusCode: ;\n",
    );
    app.note("build failed", 0).await;
    let notes = app.notes();
    assert!(
        notes.iter().any(|n| n.contains("src/echo.ts:1:")),
        "file:line:column in {notes:?}"
    );
    assert_eq!(ask(&mut client, json!({"action": "echo"})).await["v"], 1);
    app.write("src/echo.ts", &ts(2));
    app.note("reloaded echo", notes.len()).await;
    assert_eq!(ask(&mut client, json!({"action": "echo"})).await["v"], 2);
}
