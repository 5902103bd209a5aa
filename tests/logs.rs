//! `wsdeploy logs` against the emulator: a copy of the chat fixture is
//! deployed under a unique app name, events are written into its
//! functions' log groups with the AWS SDK, and the binary reads them back:
//! merged by time, as JSON, by route key and short name, filtered, paged,
//! followed, and with a group deleted out of band; the listing of groups
//! is paged too. Errors exit 1 with a clear message. The rate limit is checked on the call log of an
//! emulator of its own.

mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_cloudwatchlogs as cwl;
use serde_json::Value;
use support::cli::{self, ok, text};
use support::{Emulator, EmulatorOptions, unique_name};

struct App {
    name: String,
    config: PathBuf,
}

impl App {
    /// The log group of one of the app's functions (short name).
    fn group(&self, function: &str) -> String {
        format!("/aws/lambda/{}-dev-{function}", self.name)
    }
}

/// A copy of fixtures/chat (five functions) under a unique app name.
fn chat() -> App {
    let (name, config) = cli::chat_copy("logs");
    App { name, config }
}

/// A copy of the chat app, deployed.
fn deployed(em: &Emulator) -> App {
    let app = chat();
    ok(cli::run(em, &app.config, &["deploy"]));
    app
}

fn wsdeploy(em: &Emulator, app: &App, args: &[&str]) -> Output {
    cli::run(em, &app.config, args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn logs_client(em: &Emulator) -> cwl::Client {
    cwl::Client::new(&em.sdk_config())
}

/// Writes events (timestamp, message) into `group`, in a stream of their
/// own. The group is created when missing: deploy may already have made it.
async fn put(client: &cwl::Client, group: &str, events: &[(i64, &str)]) {
    if let Err(e) = client.create_log_group().log_group_name(group).send().await {
        let e = e.into_service_error();
        assert!(e.is_resource_already_exists_exception(), "{e:?}");
    }
    let stream = unique_name("stream");
    client
        .create_log_stream()
        .log_group_name(group)
        .log_stream_name(&stream)
        .send()
        .await
        .unwrap();
    let mut sorted = events.to_vec();
    sorted.sort_by_key(|(t, _)| *t);
    for batch in sorted.chunks(10_000) {
        let events = batch.iter().map(|(t, m)| {
            cwl::types::InputLogEvent::builder()
                .timestamp(*t)
                .message(*m)
                .build()
                .unwrap()
        });
        client
            .put_log_events()
            .log_group_name(group)
            .log_stream_name(&stream)
            .set_log_events(Some(events.collect()))
            .send()
            .await
            .unwrap();
    }
}

/// The JSON lines of a `--output json` run.
fn json_lines(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}\n{}", text(o))))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn merges_two_functions_by_time_with_the_function_column() {
    let em = Emulator::shared();
    let app = deployed(em);
    let logs = logs_client(em);
    let t = now_ms() - 60_000;
    put(
        &logs,
        &app.group("connect"),
        &[(t, "first\n"), (t + 2_000, "third\n")],
    )
    .await;
    put(
        &logs,
        &app.group("default"),
        &[
            (t + 1_000, "second\n"),
            (t + 3_000, "Error: fourth\n    at line two\n"),
        ],
    )
    .await;
    let o = ok(wsdeploy(em, &app, &["logs"]));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    // Padded to the longest selected name: `sendMessage`.
    let w = "sendMessage".len();
    assert_eq!(lines.len(), 5, "{}", text(&o));
    assert!(
        lines[0].ends_with(&format!(" {:<w$} first", "connect")),
        "{out}"
    );
    assert!(
        lines[1].ends_with(&format!(" {:<w$} second", "default")),
        "{out}"
    );
    assert!(
        lines[2].ends_with(&format!(" {:<w$} third", "connect")),
        "{out}"
    );
    assert!(
        lines[3].ends_with(&format!(" {:<w$} Error: fourth", "default")),
        "{out}"
    );
    // The second line of a message starts at the message column.
    let column = lines[3].find("Error").unwrap();
    assert_eq!(lines[4], format!("{}    at line two", " ".repeat(column)));
    // TIME is ISO 8601 UTC with milliseconds.
    let time = lines[0].split(' ').next().unwrap();
    assert_eq!(time.len(), "2026-12-01T10:00:00.000Z".len(), "{time}");
    assert!(time.ends_with('Z') && time.as_bytes()[19] == b'.', "{time}");
    // No colour when stdout is not a terminal.
    assert!(!out.contains('\x1b'));
}

#[tokio::test(flavor = "multi_thread")]
async fn json_lines_selection_by_route_key_and_short_name_and_filter() {
    let em = Emulator::shared();
    let app = deployed(em);
    let logs = logs_client(em);
    let t = now_ms() - 30_000;
    put(
        &logs,
        &app.group("connect"),
        &[(t, "INFO hello\n"), (t + 10, "ERROR connect failed\n")],
    )
    .await;
    put(
        &logs,
        &app.group("sendMessage"),
        &[(t + 5, "ERROR send failed\n")],
    )
    .await;

    let o = ok(wsdeploy(
        em,
        &app,
        &["logs", "$connect", "--output", "json"],
    ));
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 2, "{}", text(&o));
    let first = &lines[0];
    assert_eq!(first["function"], "connect");
    assert_eq!(first["logGroup"], app.group("connect"));
    assert_eq!(first["message"], "INFO hello");
    assert!(first["logStream"].as_str().unwrap().starts_with("stream-"));
    let ts = first["timestamp"].as_str().unwrap();
    assert!(ts.ends_with('Z') && ts.len() == 24, "{ts}");
    assert_eq!(
        lines[0]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>()
            .len(),
        5
    );

    let o = ok(wsdeploy(em, &app, &["logs", "sendMessage", "connect"]));
    assert_eq!(stdout(&o).lines().count(), 3, "{}", text(&o));

    let o = ok(wsdeploy(
        em,
        &app,
        &["logs", "--filter", "ERROR", "--output", "json"],
    ));
    let messages: Vec<Value> = json_lines(&o)
        .iter()
        .map(|l| l["message"].clone())
        .collect();
    assert_eq!(messages, ["ERROR send failed", "ERROR connect failed"]);
    // Warnings (groups no function has written to) stay on stderr.
    assert!(stderr(&o).is_empty() || stderr(&o).starts_with("warning: "));

    // A JSON pattern and an exclusion, as CloudWatch Logs reads them.
    let o = ok(wsdeploy(
        em,
        &app,
        &["logs", "--filter", "-hello", "connect"],
    ));
    assert_eq!(stdout(&o).lines().count(), 1, "{}", text(&o));
    assert!(stdout(&o).contains("ERROR connect failed"), "{}", text(&o));

    // A pattern CloudWatch Logs refuses: its error, exit 1.
    let o = wsdeploy(em, &app, &["logs", "--filter", "{ $.level = "]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        stderr(&o).contains("Invalid filter pattern"),
        "{}",
        text(&o)
    );
}

#[test]
fn unknown_names_and_bad_since_exit_1() {
    let em = Emulator::shared();
    let app = chat();
    let o = wsdeploy(em, &app, &["logs", "conect"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = stderr(&o);
    assert!(
        err.contains("`conect` is neither a function nor a route"),
        "{err}"
    );
    assert!(err.contains("did you mean `connect`?"), "{err}");
    assert!(
        err.contains("routes: $connect, $default, $disconnect, sendMessage"),
        "{err}"
    );

    let o = wsdeploy(em, &app, &["logs", "--since", "ten minutes"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        stderr(&o).contains("--since `ten minutes` is not valid"),
        "{}",
        text(&o)
    );
    assert!(stderr(&o).contains("2026-12-01T10:00:00Z"), "{}", text(&o));

    let o = wsdeploy(em, &app, &["logs", "--since", "2999-01-01T00:00:00Z"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(stderr(&o).contains("in the future"), "{}", text(&o));

    let o = wsdeploy(em, &app, &["logs", "--access"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(stderr(&o).contains("api.accessLog"), "{}", text(&o));

    // JSON: the one error document.
    let o = wsdeploy(em, &app, &["logs", "nope", "--output", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["error"]["code"], "UnknownFunction");
}

#[test]
fn an_app_never_deployed_is_not_deployed() {
    let em = Emulator::shared();
    let app = chat();
    let o = wsdeploy(em, &app, &["logs"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        stderr(&o).contains(&format!("app `{}` stage `dev` is not deployed", app.name)),
        "{}",
        text(&o)
    );
    assert!(stdout(&o).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_deleted_out_of_band_is_warned_about_and_the_others_print() {
    let em = Emulator::shared();
    let app = deployed(em);
    let logs = logs_client(em);
    let t = now_ms() - 10_000;
    put(&logs, &app.group("connect"), &[(t, "still here\n")]).await;
    put(&logs, &app.group("default"), &[(t, "deleted\n")]).await;
    logs.delete_log_group()
        .log_group_name(app.group("default"))
        .send()
        .await
        .unwrap();
    let o = ok(wsdeploy(em, &app, &["logs", "connect", "default"]));
    assert!(stdout(&o).contains("connect still here"), "{}", text(&o));
    assert!(!stdout(&o).contains("deleted"), "{}", text(&o));
    let err = stderr(&o);
    let warning: Vec<&str> = err
        .lines()
        .filter(|l| l.contains(&app.group("default")))
        .map(|l| l.trim())
        .collect::<Vec<_>>();
    assert_eq!(warning.len(), 1, "{}", text(&o));
    assert!(warning[0].starts_with("warning: "), "{}", text(&o));
    assert!(
        warning[0].contains("`wsdeploy deploy` creates it again"),
        "{}",
        text(&o)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn access_reads_the_stage_access_log() {
    let em = Emulator::shared();
    let app = chat();
    let yaml = std::fs::read_to_string(&app.config).unwrap();
    std::fs::write(
        &app.config,
        yaml.replace("\napi:\n", "\napi:\n  accessLog: true\n"),
    )
    .unwrap();
    ok(wsdeploy(em, &app, &["deploy"]));
    let logs = logs_client(em);
    let t = now_ms() - 10_000;
    let access = format!("/aws/apigateway/{}-dev", app.name);
    put(&logs, &access, &[(t + 1, "{\"routeKey\":\"$connect\"}\n")]).await;
    put(&logs, &app.group("connect"), &[(t, "connecting\n")]).await;
    // Alone: only the access log.
    let o = ok(wsdeploy(em, &app, &["logs", "--access"]));
    assert_eq!(
        stdout(&o).lines().collect::<Vec<_>>().len(),
        1,
        "{}",
        text(&o)
    );
    assert!(stdout(&o).contains(" access {\"routeKey\""), "{}", text(&o));
    // With a function: both, merged, the column padded to `connect`.
    let o = ok(wsdeploy(em, &app, &["logs", "--access", "$connect"]));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{}", text(&o));
    assert!(lines[0].ends_with(" connect connecting"), "{out}");
    assert!(lines[1].contains(" access  {"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_is_read() {
    // FilterLogEvents returns at most 10,000 events a page.
    let em = Emulator::shared();
    let app = deployed(em);
    let logs = logs_client(em);
    let t = now_ms() - 300_000;
    let messages: Vec<String> = (0..10_050).map(|i| format!("event {i:05}")).collect();
    let events: Vec<(i64, &str)> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| (t + i as i64 * 20, m.as_str()))
        .collect();
    put(&logs, &app.group("connect"), &events).await;
    let o = ok(wsdeploy(em, &app, &["logs", "connect", "--output", "json"]));
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 10_050);
    for (line, m) in lines.iter().zip(&messages) {
        assert_eq!(line["message"], m.as_str());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_listing_of_groups_follows_every_page() {
    // DescribeLogGroups returns at most 50 groups a page; `r9` sorts last
    // of 60.
    let em = Emulator::shared();
    let app = many(60);
    let logs = logs_client(em);
    for i in 0..60 {
        logs.create_log_group()
            .log_group_name(app.group(&format!("r{i}")))
            .send()
            .await
            .unwrap();
    }
    put(
        &logs,
        &app.group("r9"),
        &[(now_ms() - 1_000, "on page two\n")],
    )
    .await;
    let o = ok(wsdeploy(em, &app, &["logs", "r9"]));
    assert!(stdout(&o).contains(" r9 on page two"), "{}", text(&o));
    assert!(stderr(&o).is_empty(), "{}", text(&o));
}

/// A running `wsdeploy logs --follow`, its stdout lines collected.
struct Follow {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

/// Collects the lines of a pipe on a thread of its own.
fn collect(pipe: impl std::io::Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            sink.lock().unwrap().push(line);
        }
    });
    lines
}

impl Follow {
    fn start(em: &Emulator, app: &App, args: &[&str]) -> Follow {
        let mut child = cli::command(em, &app.config, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = collect(child.stdout.take().unwrap());
        Follow { child, lines }
    }

    /// Its stderr lines, from now on (the pipe is otherwise left unread:
    /// a few warnings fit in it).
    fn stderr(&mut self) -> Arc<Mutex<Vec<String>>> {
        collect(self.child.stderr.take().unwrap())
    }

    fn messages(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["message"].to_string())
            .collect()
    }

    /// Waits up to 40 s until every message in `wanted` has been printed.
    async fn wait_for(&self, wanted: &[&str]) {
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            let got = self.messages();
            if wanted.iter().all(|w| got.iter().any(|g| g.contains(w))) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "waiting for {wanted:?}, got {got:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Ctrl-C, and the exit code.
    fn interrupt(mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-INT", &pid]).status().unwrap();
        self.child.wait().unwrap().code()
    }
}

impl Drop for Follow {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn follow_prints_new_and_late_events_exactly_once_and_ctrl_c_exits_0() {
    let em = Emulator::shared();
    let app = deployed(em);
    let logs = logs_client(em);
    put(
        &logs,
        &app.group("connect"),
        &[(now_ms() - 20_000, "before\n")],
    )
    .await;
    let follow = Follow::start(em, &app, &["logs", "--follow", "--output", "json"]);
    follow.wait_for(&["before"]).await;

    let t = now_ms();
    put(&logs, &app.group("connect"), &[(t, "new connect\n")]).await;
    put(&logs, &app.group("default"), &[(t + 1, "new default\n")]).await;
    follow.wait_for(&["new connect", "new default"]).await;
    // Stamped 5 s before the newest event seen, and written after it was
    // printed: it still appears (it is within the overlap).
    put(&logs, &app.group("connect"), &[(t - 5_000, "late\n")]).await;
    follow.wait_for(&["late"]).await;
    // A few more rounds, which read the same events again.
    tokio::time::sleep(Duration::from_millis(3_500)).await;

    let messages = follow.messages();
    for m in ["before", "new connect", "new default", "late"] {
        let n = messages.iter().filter(|g| g.contains(m)).count();
        assert_eq!(n, 1, "{m:?} printed {n} times: {messages:?}");
    }
    assert_eq!(messages.len(), 4, "{messages:?}");
    assert_eq!(follow.interrupt(), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn follow_warns_once_about_a_vanished_group_and_finds_it_again() {
    let em = Emulator::shared();
    let app = deployed(em);
    let logs = logs_client(em);
    let t = now_ms() - 10_000;
    put(&logs, &app.group("connect"), &[(t, "connect one\n")]).await;
    put(&logs, &app.group("default"), &[(t, "default one\n")]).await;
    let mut follow = Follow::start(
        em,
        &app,
        &["logs", "connect", "default", "--follow", "--output", "json"],
    );
    let err = follow.stderr();
    follow.wait_for(&["connect one", "default one"]).await;
    logs.delete_log_group()
        .log_group_name(app.group("default"))
        .send()
        .await
        .unwrap();
    let gone = format!("`{}`", app.group("default"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !err.lock().unwrap().iter().any(|l| l.contains(&gone)) {
        assert!(
            Instant::now() < deadline,
            "no warning: {:?}",
            err.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The others go on; the group comes back (a deploy, or the function
    // logging again) and is found by the next look for missing groups.
    put(&logs, &app.group("connect"), &[(now_ms(), "connect two\n")]).await;
    follow.wait_for(&["connect two"]).await;
    put(&logs, &app.group("default"), &[(now_ms(), "default two\n")]).await;
    follow.wait_for(&["default two"]).await;
    let warnings = err
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains(&gone))
        .count();
    assert_eq!(warnings, 1, "{:?}", err.lock().unwrap());
    assert_eq!(follow.messages().len(), 4, "{:?}", follow.messages());
    assert_eq!(follow.interrupt(), Some(0));
}

#[test]
fn a_closed_pipe_ends_logs_quietly() {
    let em = Emulator::shared();
    let app = chat();
    // No deploy needed: the group exists.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let logs = logs_client(em);
        let t = now_ms() - 5_000;
        // More than a pipe holds (64 KiB): the first write meets the
        // closed pipe.
        let events: Vec<(i64, String)> = (0..5_000).map(|i| (t + i, format!("line {i}"))).collect();
        let events: Vec<(i64, &str)> = events.iter().map(|(t, m)| (*t, m.as_str())).collect();
        put(&logs, &app.group("connect"), &events).await;
    });
    let mut child = cli::command(em, &app.config, &["logs", "connect", "--follow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is gone (the pipe closed with it): `| head -1`.
    assert!(first.contains("line 0"), "{first}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("logs --follow kept running after its stdout closed");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(!err.contains("error"), "{err}");
}

/// A config of `n` functions, each behind a route, never deployed: the
/// tests that use it need only the functions' log groups.
fn many(n: usize) -> App {
    let name = unique_name("many");
    let dir = std::env::temp_dir().join(format!("wsdeploy-logs-{name}"));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let mut yaml = format!("app: {name}\nregion: us-east-1\nroutes:\n");
    for i in 0..n {
        std::fs::write(
            dir.join(format!("src/f{i}.mjs")),
            "export const handler = async () => ({ statusCode: 200 });\n",
        )
        .unwrap();
        yaml.push_str(&format!("  r{i}: src/f{i}.handler\n"));
    }
    let config = dir.join("wsdeploy.yml");
    std::fs::write(&config, yaml).unwrap();
    App { name, config }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_second_holds_more_than_four_logs_calls() {
    let em = Emulator::start_with(EmulatorOptions::new());
    let app = many(12);
    let logs = logs_client(&em);
    let t = now_ms() - 5_000;
    for i in 0..12 {
        put(&logs, &app.group(&format!("r{i}")), &[(t + i, "hello\n")]).await;
    }
    em.clear_calls();
    let o = ok(wsdeploy(&em, &app, &["logs"]));
    assert_eq!(stdout(&o).lines().count(), 12, "{}", text(&o));
    // Each process has a limiter of its own: let the first one's last
    // window pass.
    std::thread::sleep(Duration::from_millis(1_500));
    let follow = Follow::start(&em, &app, &["logs", "--follow", "--output", "json"]);
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(follow.messages().len(), 12);
    assert_eq!(follow.interrupt(), Some(0));

    let times: Vec<f64> = em
        .calls()
        .into_iter()
        .filter(|c| c.service == "logs")
        .inspect(|c| {
            assert!(
                ["FilterLogEvents", "DescribeLogGroups"].contains(&c.operation.as_str()),
                "{c:?}"
            )
        })
        .map(|c| c.time)
        .collect();
    // Two runs of 13 calls (one listing, twelve groups), and at least the
    // start of the follow's second round.
    assert!(times.len() >= 26 + 4, "{}", times.len());
    let busiest = times
        .iter()
        .map(|t| times.iter().filter(|u| **u >= *t && **u < t + 1.0).count())
        .max()
        .unwrap();
    assert!(busiest <= 4, "{busiest} calls within one second: {times:?}");
}
