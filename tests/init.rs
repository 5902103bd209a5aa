//! `wsdeploy init` and `wsdeploy completions`, through the binary.
//!
//! Each template is taken the whole way a new user goes: `init` into a new
//! directory, `validate`, `package` (a zip per function), `deploy` to the
//! emulator (then `diff --exit-code` finds nothing to do), and `wsdeploy
//! dev` answering a real WebSocket client on the echo route and on
//! `$default`. No `npm install` runs: the Node.js templates bundle with the
//! repository's esbuild (`ESBUILD_BINARY_PATH`). Then what `init` refuses
//! (files already there, a bad `--app`, an unknown template), and the
//! completion scripts, parsed by the shells that are installed.

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

use support::cli::{self, ok, text};
use support::{Emulator, unique_name};

/// The repository's esbuild (installed by `npm ci`), as a user's
/// `npm install` would give the new app.
fn esbuild() -> PathBuf {
    wsdeploy::build::node::Esbuild::find(Path::new(env!("CARGO_MANIFEST_DIR")))
        .expect("esbuild is installed in the repository: run `npm ci`")
        .path
}

/// `wsdeploy <args>` offline in `cwd`, with nothing of this machine's
/// environment but PATH (and what Python's shims need) and esbuild.
fn wsdeploy(cwd: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wsdeploy"));
    c.args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("ESBUILD_BINARY_PATH", esbuild())
        .envs(
            ["HOME", "PYENV_ROOT"]
                .iter()
                .filter_map(|k| std::env::var_os(k).map(|v| (k.to_string(), v))),
        )
        .stdin(Stdio::null());
    c
}

fn run(cwd: &Path, args: &[&str]) -> Output {
    wsdeploy(cwd, args).output().expect("wsdeploy runs")
}

/// An empty scratch directory of this test's own.
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wsdeploy-init-{}", unique_name(tag)));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every file under `dir`, relative, `/`-separated.
fn files_under(dir: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap();
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = BTreeSet::new();
    if dir.is_dir() {
        walk(dir, dir, &mut out);
    }
    out
}

/// A running `wsdeploy dev`: its URL, and what it printed on stderr.
struct Dev {
    child: Child,
    url: String,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Dev {
    fn start(dir: &Path) -> Dev {
        let mut child = wsdeploy(dir, &["dev", "--port", "0", "--no-reload"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("wsdeploy dev starts");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let lines = stderr.clone();
        let err = BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in err.lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        let url = first
            .trim()
            .strip_prefix("url: ")
            .unwrap_or_else(|| {
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "dev printed {first:?}; stderr: {:?}",
                    stderr.lock().unwrap()
                )
            })
            .to_owned();
        Dev { child, url, stderr }
    }

    /// Ctrl-C: exits 0 once every `$disconnect` ran; returns its stderr.
    fn interrupt(mut self) -> Vec<String> {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-INT", &pid]).status().unwrap();
        let status = self.child.wait().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let lines = self.stderr.lock().unwrap().clone();
        assert_eq!(status.code(), Some(0), "{lines:#?}");
        lines
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn recv(ws: &mut Socket, dev: &Dev) -> String {
    let next = tokio::time::timeout(Duration::from_secs(20), ws.next()).await;
    match next {
        Ok(Some(Ok(Message::Text(t)))) => t.to_string(),
        other => panic!(
            "expected a text message, got {other:?}; dev said {:#?}",
            dev.stderr.lock().unwrap()
        ),
    }
}

/// The files each template writes, as `init --output json` lists them.
fn expected_files(template: &str) -> BTreeSet<String> {
    let mut files: Vec<&str> = vec!["wsdeploy.yml", "wsdeploy.schema.json", ".gitignore"];
    match template {
        "node" => files.extend(["package.json", "src/connect.mjs", "src/disconnect.mjs"]),
        "typescript" => files.extend(["package.json", "tsconfig.json", "src/types.ts"]),
        _ => files.extend(["requirements.txt", "handlers/connect.py"]),
    }
    files.into_iter().map(str::to_owned).collect()
}

/// init → validate → package → deploy (and a diff with nothing to do) →
/// dev with a WebSocket client, for one template.
async fn the_whole_way(template: &str) {
    let root = scratch(template);
    let app = unique_name(&format!("init{}", &template[..2]));
    let dir = root.join("new-app");

    // init, into a directory that does not exist yet.
    let o = ok(run(
        &root,
        &[
            "init",
            "new-app",
            "--template",
            template,
            "--app",
            &app,
            "--output",
            "json",
        ],
    ));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_eq!(doc["app"], app.as_str());
    assert_eq!(doc["template"], template);
    let listed: BTreeSet<String> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        listed,
        files_under(&dir),
        "the files listed are the files written"
    );
    assert!(listed.is_superset(&expected_files(template)), "{listed:?}");
    let steps: Vec<&str> = doc["nextSteps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["command"].as_str().unwrap())
        .collect();
    assert_eq!(steps.first(), Some(&"cd new-app"), "{steps:?}");
    assert_eq!(
        steps.contains(&"npm install"),
        template != "python",
        "{steps:?}"
    );
    assert!(steps.contains(&"wsdeploy dev") && steps.contains(&"wsdeploy deploy"));
    let config = dir.join("wsdeploy.yml");
    let yml = std::fs::read_to_string(&config).unwrap();
    assert!(yml.starts_with("# yaml-language-server: $schema=./wsdeploy.schema.json\n"));
    let schema = ok(run(&root, &["schema"])).stdout;
    assert_eq!(
        std::fs::read(dir.join("wsdeploy.schema.json")).unwrap(),
        schema
    );

    // validate and package, offline.
    let o = ok(run(&dir, &["validate"]));
    let summary = String::from_utf8_lossy(&o.stdout);
    assert!(summary.contains("(4 routes, 4 functions)"), "{summary}");
    let out = root.join("package");
    let o = ok(run(
        &dir,
        &[
            "package",
            "--out",
            out.to_str().unwrap(),
            "--output",
            "json",
        ],
    ));
    let manifest: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let functions = manifest["functions"].as_array().unwrap();
    let names: BTreeSet<&str> = functions
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    let want: BTreeSet<String> = ["connect", "disconnect", "default", "echo"]
        .iter()
        .map(|f| format!("{app}-dev-{f}"))
        .collect();
    assert_eq!(names, want.iter().map(String::as_str).collect());
    for f in functions {
        let zip = out.join(f["zip"].as_str().unwrap());
        assert!(zip.is_file(), "{}", zip.display());
        assert!(!f["files"].as_array().unwrap().is_empty(), "{f}");
    }

    // deploy to the emulator; then nothing is left to do.
    let em = Emulator::shared();
    ok(cli::run(em, &config, &["deploy"]));
    let diff = cli::run(em, &config, &["diff", "--exit-code"]);
    assert_eq!(diff.status.code(), Some(0), "{}", text(&diff));
    ok(cli::run(em, &config, &["remove", "--yes"]));

    // dev, with a real WebSocket client.
    let dev = Dev::start(&dir);
    let (mut ws, _) = connect_async(&dev.url).await.expect("$connect accepts");
    let message = r#"{"action":"echo","message":"hello from a test"}"#;
    ws.send(Message::text(message)).await.unwrap();
    assert_eq!(recv(&mut ws, &dev).await, message);
    ws.send(Message::text("what can I do?")).await.unwrap();
    let help: serde_json::Value = serde_json::from_str(&recv(&mut ws, &dev).await).unwrap();
    assert_eq!(help["actions"], serde_json::json!(["echo"]), "{help}");
    ws.close(None).await.unwrap();
    while let Ok(Some(Ok(_))) = tokio::time::timeout(Duration::from_secs(5), ws.next()).await {}
    let said = dev.interrupt().join("\n");
    for route in ["$connect", "echo", "$default", "$disconnect"] {
        assert!(said.contains(route), "no {route} line: {said}");
    }
    assert!(
        said.contains("connected: "),
        "the handler's own line: {said}"
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_typescript_template_validates_packages_deploys_and_echoes_under_dev() {
    the_whole_way("typescript").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_node_template_validates_packages_deploys_and_echoes_under_dev() {
    the_whole_way("node").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_python_template_validates_packages_deploys_and_echoes_under_dev() {
    the_whole_way("python").await;
}

#[test]
fn init_names_every_file_in_the_way_and_writes_nothing() {
    let dir = scratch("taken");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    for f in ["wsdeploy.yml", "src/echo.ts", "notes.md"] {
        std::fs::write(dir.join(f), "mine\n").unwrap();
    }
    let before = files_under(&dir);
    let o = run(&dir, &["init"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("error: 2 of the files init writes already exist"),
        "{err}"
    );
    assert!(err.contains("wsdeploy.yml, src/echo.ts;"), "{err}");
    assert!(
        !err.contains("notes.md"),
        "a file not init's is no conflict: {err}"
    );
    assert!(err.contains("\n  hint: "), "{err}");
    assert_eq!(files_under(&dir), before, "nothing written");
    assert_eq!(
        std::fs::read_to_string(dir.join("wsdeploy.yml")).unwrap(),
        "mine\n"
    );

    let o = run(&dir, &["init", "--output", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "FilesExist", "{doc}");
    assert_eq!(files_under(&dir), before);
}

#[test]
fn init_here_names_the_app_after_the_directory_and_leaves_other_files_alone() {
    let dir = scratch("here").join("My Chat");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("README.md"), "mine\n").unwrap();
    let o = ok(run(&dir, &["init", "--template", "python"]));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        said.contains("Created app `my-chat` (python template)"),
        "{said}"
    );
    assert!(!said.contains("cd "), "already there: {said}");
    let yml = std::fs::read_to_string(dir.join("wsdeploy.yml")).unwrap();
    assert!(yml.contains("\napp: my-chat\n"), "{yml}");
    assert_eq!(
        std::fs::read_to_string(dir.join("README.md")).unwrap(),
        "mine\n"
    );
    ok(run(&dir, &["validate"]));
}

#[test]
fn init_makes_a_new_nested_directory() {
    let root = scratch("nested");
    let o = ok(run(&root, &["init", "a/b/chat-app", "--template", "node"]));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("cd a/b/chat-app"), "{said}");
    let dir = root.join("a/b/chat-app");
    assert!(files_under(&dir).is_superset(&expected_files("node")));
    let yml = std::fs::read_to_string(dir.join("wsdeploy.yml")).unwrap();
    assert!(yml.contains("\napp: chat-app\n"), "{yml}");
    ok(run(&dir, &["validate"]));
}

#[test]
fn an_invalid_app_name_is_refused_before_anything_is_made() {
    let root = scratch("badapp");
    let o = run(&root, &["init", "new", "--app", "My_App"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("error: `My_App` is not a valid app name"),
        "{err}"
    );
    assert!(
        err.contains("hint: ") && err.contains("`--app my-app`"),
        "{err}"
    );
    assert!(!root.join("new").exists(), "no directory made");
}

#[test]
fn an_unknown_template_is_a_usage_error() {
    let root = scratch("badtemplate");
    let o = run(&root, &["init", "new", "--template", "rust"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("invalid value 'rust' for '--template <TEMPLATE>'"),
        "{err}"
    );
    assert!(err.contains("node, typescript, python"), "{err}");
    assert!(!root.join("new").exists());
}

/// The shells' own syntax check of a script, when the shell is installed.
fn syntax_check(shell: &str, script: &Path) -> Option<Output> {
    let args: &[&str] = match shell {
        "bash" | "zsh" => &["-n"],
        "fish" => &["--no-execute"],
        _ => return None,
    };
    match Command::new(shell).args(args).arg(script).output() {
        Ok(o) => Some(o),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && shell != "bash" => {
            println!("note: {shell} is not installed; its completion script was not parsed");
            None
        }
        Err(e) => panic!("running {shell}: {e}"),
    }
}

#[test]
fn completion_scripts_name_the_subcommands_and_parse() {
    let root = scratch("completions");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = ok(run(&root, &["completions", shell]));
        let script = String::from_utf8(o.stdout).unwrap();
        for sub in ["init", "deploy", "dev", "completions"] {
            assert!(script.contains(sub), "{shell}: no {sub}");
        }
        let file = root.join(format!("wsdeploy.{shell}"));
        std::fs::write(&file, &script).unwrap();
        if let Some(o) = syntax_check(shell, &file) {
            assert!(o.status.success(), "{shell} -n: {}", text(&o));
        }
    }
    let o = run(&root, &["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}
