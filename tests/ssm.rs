//! `${ssm:...}` against the emulator: the values reach Lambda, String and
//! SecureString alike; no output of any command shows them (text or JSON);
//! a missing parameter stops the run before any write or lock; a default
//! stands in for a missing parameter; `validate` calls nothing; `remove`
//! needs no parameter.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use aws_sdk_lambda as lambda;
use aws_sdk_ssm as ssm;
use support::cli::{self, copy_dir, ok, text};
use support::{Emulator, unique_name};

/// Long enough to be masked wherever they appear.
const DB_URL: &str = "postgres://app:Pl41n-String-V4lue@db.internal/chat";
const API_KEY: &str = "sk-live-S3cureString-0123456789";
/// Masked only where it is a whole value.
const SHORT: &str = "Q7";
const FALLBACK: &str = "fallback, with a comma";

struct App {
    name: String,
    config: PathBuf,
    /// The prefix of this app's parameters: `/<name>`.
    prefix: String,
}

/// A copy of `fixtures/minimal` whose function reads its environment and
/// a tag from SSM (plus `extra` at the end of the file).
fn app(extra: &str) -> App {
    // Not `ssm…`: SSM refuses parameter names that start with it.
    let name = unique_name("param");
    let dir = std::env::temp_dir().join(format!("wsdeploy-ssm-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/minimal"),
        &dir,
    );
    let config = dir.join("wsdeploy.yml");
    let text = format!(
        "app: {name}
routes:
  $default:
    function:
      handler: src/default.handler
      environment:
        DB_URL: ${{ssm:/${{app}}/db-url}}
        API_KEY: \"${{ssm:/{name}/api-key}}\"
        DEFAULTED: ${{ssm:/{name}/absent, \"{FALLBACK}\"}}
      tags:
        short: ${{ssm:/{name}/short}}
        key-prefix: key-${{ssm:/{name}/api-key}}
{extra}"
    );
    std::fs::write(&config, text).unwrap();
    App {
        prefix: format!("/{name}"),
        name,
        config,
    }
}

fn ssm_client(em: &Emulator) -> ssm::Client {
    ssm::Client::new(&em.sdk_config())
}

async fn put(em: &Emulator, name: &str, value: &str, secure: bool) {
    let kind = if secure {
        ssm::types::ParameterType::SecureString
    } else {
        ssm::types::ParameterType::String
    };
    ssm_client(em)
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(kind)
        .overwrite(true)
        .send()
        .await
        .unwrap();
}

async fn put_all(em: &Emulator, app: &App) {
    put(em, &format!("{}/db-url", app.prefix), DB_URL, false).await;
    put(em, &format!("{}/api-key", app.prefix), API_KEY, true).await;
    put(em, &format!("{}/short", app.prefix), SHORT, true).await;
}

/// Stdout and stderr of a run, which must show none of the values.
fn assert_no_secret(o: &Output, values: &[&str]) {
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    for v in values {
        assert!(!all.contains(v), "the output shows `{v}`:\n{}", text(o));
    }
}

fn run(em: &Emulator, app: &App, args: &[&str]) -> Output {
    cli::run(em, &app.config, args)
}

#[tokio::test]
async fn the_values_reach_lambda_and_no_output_shows_them() {
    let em = Emulator::shared();
    let app = app("");
    put_all(em, &app).await;
    let secrets = [DB_URL, API_KEY, "S3cureString"];

    let out = ok(run(em, &app, &["deploy"]));
    assert_no_secret(&out, &secrets);

    // Lambda holds the real values, decrypted, and the default.
    let function = format!("{}-dev-default", app.name);
    let lambda = lambda::Client::new(&em.sdk_config());
    let conf = lambda
        .get_function_configuration()
        .function_name(&function)
        .send()
        .await
        .unwrap();
    let env = conf.environment().unwrap().variables().unwrap();
    assert_eq!(env["DB_URL"], DB_URL);
    assert_eq!(env["API_KEY"], API_KEY);
    assert_eq!(env["DEFAULTED"], FALLBACK);
    let tags = lambda
        .list_tags()
        .resource(conf.function_arn().unwrap())
        .send()
        .await
        .unwrap();
    let tags = tags.tags().unwrap();
    assert_eq!(tags["short"], SHORT);
    assert_eq!(tags["key-prefix"], format!("key-{API_KEY}"));

    // Nothing changed: diff and a second deploy, text and JSON.
    for args in [
        &["diff"][..],
        &["diff", "--output", "json"],
        &["deploy", "--output", "json"],
        &["info"],
        &["validate"],
        &["validate", "--output", "json"],
    ] {
        let out = ok(run(em, &app, args));
        assert_no_secret(&out, &secrets);
    }

    // A new value: diff shows that the values changed, never what they are.
    let new_key = "sk-live-Rotated-9876543210";
    let new_short = "R8";
    put(em, &format!("{}/api-key", app.prefix), new_key, true).await;
    put(em, &format!("{}/short", app.prefix), new_short, true).await;
    let out = ok(run(em, &app, &["diff", "--output", "json"]));
    assert_no_secret(&out, &[new_key, "Rotated", API_KEY]);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let changes: Vec<&serde_json::Value> = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["changes"].as_array().unwrap())
        .collect();
    let field = |name: &str| {
        changes
            .iter()
            .find(|c| c["field"] == name)
            .unwrap_or_else(|| panic!("no change of {name}: {plan:#}"))
    };
    // The old values too: they are the parameters' previous values, which
    // this run did not read.
    for name in ["environment.API_KEY", "tags.short", "tags.key-prefix"] {
        let c = field(name);
        assert_eq!(c["old"], "(sensitive)", "{name}: {plan:#}");
        assert_eq!(c["new"], "(sensitive)", "{name}: {plan:#}");
        assert_eq!(c["sensitive"], true, "{name}: {plan:#}");
    }
    let out = ok(run(em, &app, &["diff"]));
    assert_no_secret(&out, &[new_key, "Rotated", API_KEY]);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("tags.short: (sensitive) -> (sensitive)"),
        "{}",
        text(&out)
    );

    let out = ok(run(em, &app, &["deploy"]));
    assert_no_secret(&out, &[new_key, "Rotated", API_KEY]);
    ok(run(em, &app, &["remove", "--yes"]));
}

/// The app's parameters but one: the run stops before planning, having
/// called nothing but SSM, and names the missing one.
#[tokio::test]
async fn a_missing_parameter_stops_the_run_before_any_write_or_lock() {
    let em = Emulator::start();
    let app = app("");
    put(&em, &format!("{}/db-url", app.prefix), DB_URL, false).await;
    put(&em, &format!("{}/short", app.prefix), SHORT, true).await;
    for args in [&["deploy"][..], &["diff"], &["deploy", "--output", "json"]] {
        em.clear_calls();
        let out = run(&em, &app, args);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert_no_secret(&out, &[DB_URL]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let missing = format!("SSM parameter `{}/api-key` does not exist", app.prefix);
        let all = format!("{stderr}{}", String::from_utf8_lossy(&out.stdout));
        assert!(all.contains(&missing), "{}", text(&out));
        assert!(
            !all.contains("/absent`"),
            "a default covers it: {}",
            text(&out)
        );
        let calls = em.calls();
        assert!(
            calls
                .iter()
                .all(|c| c.service == "ssm" && c.operation == "GetParameters" && !c.mutating),
            "{args:?}: {calls:#?}"
        );
        assert!(!calls.is_empty());
    }
    let out = run(&em, &app, &["deploy", "--output", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "InvalidConfig", "{doc:#}");
    let named = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["message"].as_str().unwrap_or("").contains("/api-key"));
    assert!(named, "{doc:#}");
}

/// `validate` reads no parameter: with an endpoint nobody answers on, it
/// succeeds and says when each parameter will be read.
#[test]
fn validate_calls_nothing_and_notes_each_parameter() {
    let app = app("");
    for output in ["text", "json"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_wsdeploy"))
            .args(["validate", "--output", output, "-c"])
            .arg(&app.config)
            .args(["--endpoint-url", "http://127.0.0.1:9"])
            .env_clear()
            .env("AWS_REGION", "us-east-1")
            .output()
            .unwrap();
        let out = ok(out);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let note = format!(
            "`{}/api-key` is read from SSM Parameter Store when `diff`, `deploy` or `dev` runs",
            app.prefix
        );
        assert!(all.contains(&note), "{}", text(&out));
        assert_eq!(all.matches(&note).count(), 1, "one note a parameter");
        if output == "json" {
            let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(doc["valid"], true);
            let notes = doc["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["severity"] == "note")
                .count();
            assert_eq!(notes, 4, "{doc:#}");
        } else {
            assert!(all.contains("note: "), "{}", text(&out));
        }
    }
}

/// `remove` and `info` need only the app's identity: they work when the
/// parameters are gone.
#[tokio::test]
async fn remove_and_info_need_no_parameter() {
    let em = Emulator::shared();
    let app = app("");
    put_all(em, &app).await;
    ok(run(em, &app, &["deploy"]));
    let client = ssm_client(em);
    for name in ["db-url", "api-key", "short"] {
        client
            .delete_parameter()
            .name(format!("{}/{name}", app.prefix))
            .send()
            .await
            .unwrap();
    }
    let out = ok(run(em, &app, &["info"]));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("wss://"),
        "{}",
        text(&out)
    );
    ok(run(em, &app, &["remove", "--yes"]));
    let out = run(em, &app, &["diff"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

/// `wsdeploy dev` reads the parameters at start, and on a reload only
/// those it has not read; the handlers get the values, the console never
/// shows them (not even what a handler prints).
#[tokio::test(flavor = "multi_thread")]
async fn dev_reads_at_start_and_only_new_names_on_reload() {
    use futures_util::{SinkExt, StreamExt};
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    use tokio_tungstenite::tungstenite::Message;

    let em = Emulator::start();
    let name = unique_name("devp");
    put(&em, &format!("/{name}/first"), API_KEY, true).await;
    put(&em, &format!("/{name}/second"), DB_URL, false).await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/dev-tests")
        .join(format!("ssm-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("src/echo.mjs"),
        "export const handler = async (event) => {
  const name = JSON.parse(event.body).name;
  console.log(`the value of ${name} is ${process.env[name]}`);
  return { statusCode: 200, body: process.env[name] ?? '(unset)' };
};
",
    )
    .unwrap();
    let config = dir.join("wsdeploy.yml");
    let write_config = |extra: &str| {
        let text = format!(
            "app: {name}
region: us-east-1
defaults:
  function:
    build: {{ bundle: false }}
    environment:
      FIRST: ${{ssm:/${{app}}/first}}
{extra}
routes:
  echo:
    function: src/echo.handler
    returnResponse: true
"
        );
        std::fs::write(&config, text).unwrap();
    };
    write_config("");

    em.clear_calls();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wsdeploy"))
        .args(["dev", "--port", "0", "-c"])
        .arg(&config)
        .args(["--endpoint-url", em.endpoint_url()])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let console: Arc<Mutex<Vec<String>>> = Arc::default();
    for stream in [
        Box::new(child.stderr.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stdout.take().unwrap()),
    ] {
        let lines = console.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
    }
    // Until `needle` is on `times` lines.
    let wait_for_times = |needle: &str, times: usize| {
        for _ in 0..400 {
            let lines = console.lock().unwrap();
            if lines.iter().filter(|l| l.contains(needle)).count() >= times {
                return;
            }
            drop(lines);
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("no {needle:?}: {:#?}", console.lock().unwrap());
    };
    let wait_for = |needle: &str| wait_for_times(needle, 1);
    wait_for("url: ");
    let url = console
        .lock()
        .unwrap()
        .iter()
        .find_map(|l| l.strip_prefix("url: ").map(str::to_owned))
        .unwrap();
    let gets = || {
        em.calls()
            .iter()
            .filter(|c| c.operation == "GetParameters")
            .count()
    };
    assert_eq!(gets(), 1, "{:#?}", em.calls());

    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap();
    let mut ask = async |var: &str| {
        let body = format!(r#"{{"action":"echo","name":"{var}"}}"#);
        ws.send(Message::text(body)).await.unwrap();
        let answer = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("an answer");
        match answer {
            Some(Ok(Message::Text(t))) => t.to_string(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(ask("FIRST").await, API_KEY);
    wait_for("the value of FIRST is (sensitive)");

    // A new parameter: the reload reads it (and only it).
    write_config("      SECOND: ${ssm:/${app}/second}");
    wait_for("config reloaded");
    assert_eq!(gets(), 2, "{:#?}", em.calls());
    assert_eq!(ask("SECOND").await, DB_URL);
    assert_eq!(ask("FIRST").await, API_KEY);
    wait_for("the value of SECOND is (sensitive)");
    // A reload that names nothing new reads nothing.
    write_config("      SECOND: ${ssm:/${app}/second}\n      THIRD: plain");
    wait_for_times("config reloaded", 2);
    std::thread::sleep(Duration::from_millis(300));

    let _ = child.kill();
    let _ = child.wait();
    let console = console.lock().unwrap().join("\n");
    assert_eq!(gets(), 2, "{console}");
    for secret in [API_KEY, DB_URL, "S3cureString", "Pl41n"] {
        assert!(
            !console.contains(secret),
            "the console shows {secret}:\n{console}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Twelve parameters take two `GetParameters` calls (ten names at most
/// each), and a throttled call is retried.
#[tokio::test]
async fn names_are_read_ten_at_a_time_and_throttling_is_retried() {
    let em = Emulator::start();
    let vars: String = (0..12)
        .map(|i| format!("        V{i}: ${{ssm:/${{app}}/v{i}}}\n"))
        .collect();
    let app = app("");
    let text = std::fs::read_to_string(&app.config).unwrap();
    std::fs::write(
        &app.config,
        text.replace("      tags:\n", &format!("{vars}      tags:\n")),
    )
    .unwrap();
    put_all(&em, &app).await;
    for i in 0..12 {
        put(
            &em,
            &format!("{}/v{i}", app.prefix),
            &format!("value-{i}-xyz"),
            i % 2 == 0,
        )
        .await;
    }
    em.clear_calls();
    ok(run(&em, &app, &["diff"]));
    let reads = |calls: &[support::Call]| {
        calls
            .iter()
            .filter(|c| c.operation == "GetParameters")
            .count()
    };
    assert_eq!(reads(&em.calls()), 2, "16 names: {:#?}", em.calls());

    em.set_faults(serde_json::json!({"throttle_rate": 0.5, "seed": 7}));
    em.clear_calls();
    let out = ok(run(&em, &app, &["diff"]));
    assert_no_secret(&out, &["value-1-xyz"]);
    let calls = em.calls();
    let throttled = calls
        .iter()
        .filter(|c| c.operation == "GetParameters" && c.fault.as_deref() == Some("throttle"))
        .count();
    assert!(throttled > 0, "no read was throttled: {calls:#?}");
    assert!(reads(&calls) > 2);
}

/// `package` builds offline: parameters in the environment and tags do not
/// matter to it; one that would decide a package is an error.
#[test]
fn package_reads_no_parameter_and_refuses_one_that_shapes_a_package() {
    let em = Emulator::shared();
    let app = app("");
    let out_dir = app.config.parent().unwrap().join("out");
    let out_arg = out_dir.to_string_lossy().into_owned();
    let out = ok(run(em, &app, &["package", "--out", &out_arg]));
    assert!(out_dir.join("manifest.json").is_file(), "{}", text(&out));
    let text_of = std::fs::read_to_string(&app.config).unwrap();
    std::fs::write(
        &app.config,
        text_of.replace(
            "      handler: src/default.handler",
            "      handler: src/default.handler\n      runtime: ${ssm:/rt}",
        ),
    )
    .unwrap();
    let out = run(em, &app, &["package", "--out", &out_arg]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("`package` builds offline and does not read `/rt` from SSM"),
        "{}",
        text(&out)
    );
}
