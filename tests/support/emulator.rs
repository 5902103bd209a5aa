//! The local AWS for integration tests: starts `tests/emulator/run`, builds
//! AWS SDK configuration pointed at it, and drives its control endpoint
//! (call log, faults, reset). See docs/testing.md for what it emulates.
//!
//! Two ways to get one:
//!
//! - [`Emulator::shared`]: one per test binary, started on first use with no
//!   faults. Tests share it, so they must not change its faults or reset it,
//!   and they isolate themselves by naming what they create with
//!   [`unique_name`]. It stops when the test binary exits, however it exits:
//!   the emulator runs with `--exit-on-stdin-eof` and the pipe to its stdin
//!   closes with the process (statics are never dropped).
//! - [`Emulator::start`] / [`Emulator::start_with`]: a dedicated instance for
//!   one test, free to set faults, read an exact call log and reset. Dropping
//!   it kills the process.
//!
//! Nothing here can reach real AWS: the SDK configuration is built from
//! scratch (no environment, no profile files, no instance metadata), with a
//! fixed region, dummy static credentials and the emulator's
//! `http://127.0.0.1:PORT` endpoint.
//!
//! Set `WSDEPLOY_EMULATOR_URL=http://127.0.0.1:PORT` to make
//! [`Emulator::shared`] use an emulator you started yourself (for instance
//! with `tests/emulator/run --port 4566 --log-requests`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_iam::config::{Credentials, SharedCredentialsProvider};
use serde::Deserialize;
use serde_json::{Value, json};

/// Region of every SDK configuration the harness builds.
pub const REGION: &str = "us-east-1";
/// moto's default account: ARNs the emulator returns use it.
pub const ACCOUNT_ID: &str = "123456789012";

const READY_TIMEOUT: Duration = Duration::from_secs(90);
const CONTROL_TIMEOUT: Duration = Duration::from_secs(30);

/// One AWS request as the emulator logged it (`GET /_wsdeploy/calls`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Call {
    pub seq: u64,
    /// Unix time in seconds at which the request arrived.
    pub time: f64,
    /// SigV4 signing name: `apigateway`, `lambda`, `iam`, `route53`, `acm`, ...
    pub service: String,
    /// AWS operation name as in the API reference, e.g. `CreateRoute`.
    pub operation: String,
    pub mutating: bool,
    /// HTTP status of the answer.
    pub status: u16,
    /// The fault that answered instead of moto, if any: `throttle`, `quota`,
    /// `conflict`, `iam_propagation`, `lambda_pending`, `lambda_update`.
    #[serde(default)]
    pub fault: Option<String>,
    /// Time the emulator took to answer, injected latency included.
    #[serde(default)]
    pub duration_ms: f64,
}

/// How to start a dedicated emulator.
#[derive(Clone, Debug, Default)]
pub struct EmulatorOptions {
    profile: Option<String>,
    latency_ms: Option<u64>,
    faults: serde_json::Map<String, Value>,
}

impl EmulatorOptions {
    pub fn new() -> Self {
        Self::default()
    }

    /// Fault profile the emulator starts with and returns to on reset:
    /// `none` (default), `quotas` or `realistic`.
    pub fn profile(mut self, name: &str) -> Self {
        self.profile = Some(name.to_owned());
        self
    }

    /// Fixed delay added to every AWS request.
    pub fn latency_ms(mut self, latency_ms: u64) -> Self {
        self.latency_ms = Some(latency_ms);
        self
    }

    /// Largest page returned by the paginated list calls (`None`: moto's own).
    pub fn page_size(self, page_size: Option<u32>) -> Self {
        self.fault("page_size", json!(page_size))
    }

    /// Any fault setting by its name in docs/testing.md, over the profile.
    pub fn fault(mut self, name: &str, value: Value) -> Self {
        self.faults.insert(name.to_owned(), value);
        self
    }
}

/// A running emulator. See the module documentation.
pub struct Emulator {
    endpoint: String,
    port: u16,
    process: Option<Child>,
    // Kept open for the emulator's lifetime: it exits when this pipe closes.
    stdin: Option<ChildStdin>,
}

impl Emulator {
    /// The emulator shared by all tests of this binary (no faults, pages of 2).
    pub fn shared() -> &'static Emulator {
        static SHARED: OnceLock<Emulator> = OnceLock::new();
        SHARED.get_or_init(|| match std::env::var("WSDEPLOY_EMULATOR_URL") {
            Ok(url) if !url.is_empty() => Emulator::attach(&url),
            _ => Emulator::start(),
        })
    }

    /// A dedicated emulator with no faults.
    pub fn start() -> Emulator {
        Emulator::start_with(EmulatorOptions::new())
    }

    /// A dedicated emulator started with `options`.
    pub fn start_with(options: EmulatorOptions) -> Emulator {
        let run = repo_root().join("tests/emulator/run");
        let mut command = Command::new(&run);
        command.args(["--port", "0", "--exit-on-stdin-eof"]);
        if let Some(profile) = &options.profile {
            command.args(["--profile", profile]);
        }
        if let Some(latency_ms) = options.latency_ms {
            command.args(["--latency-ms", &latency_ms.to_string()]);
        }
        if !options.faults.is_empty() {
            command.args([
                "--faults",
                &Value::Object(options.faults.clone()).to_string(),
            ]);
        }
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command.spawn().unwrap_or_else(|error| {
            panic!(
                "cannot start the AWS emulator `{}`: {error}\n\
                 hint: run `tests/emulator/setup` once to install it",
                run.display()
            )
        });
        let stdin = child.stdin.take();
        let stdout = child
            .stdout
            .take()
            .expect("the emulator's stdout was requested as a pipe");

        // Read stdout on a thread: it reports the port, then `ready`, and
        // keeps draining so the pipe never fills.
        let (lines, received) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // Once nobody listens, sending fails: keep draining quietly.
                let _ = lines.send(line);
            }
        });
        let mut endpoint = None;
        loop {
            match received.recv_timeout(READY_TIMEOUT) {
                Ok(line) if line.starts_with("listening ") => {
                    endpoint = Some(line["listening ".len()..].trim().to_owned());
                }
                Ok(line) if line.trim() == "ready" => break,
                Ok(_) => {}
                Err(error) => {
                    let _ = child.kill();
                    let status = child.wait();
                    let what = match error {
                        mpsc::RecvTimeoutError::Timeout => {
                            format!("did not print `ready` within {READY_TIMEOUT:?}")
                        }
                        mpsc::RecvTimeoutError::Disconnected => "exited before `ready`".to_owned(),
                    };
                    panic!(
                        "the AWS emulator `{}` {what} (exit status: {status:?}; its stderr is \
                         above)\nhint: run `tests/emulator/setup` if its virtualenv is missing",
                        run.display()
                    );
                }
            }
        }
        let endpoint = endpoint.expect("the emulator printed `ready` before `listening <url>`");
        let port = port_of(&endpoint);
        Emulator {
            endpoint,
            port,
            process: Some(child),
            stdin,
        }
    }

    fn attach(url: &str) -> Emulator {
        let endpoint = url.trim_end_matches('/').to_owned();
        let emulator = Emulator {
            port: port_of(&endpoint),
            endpoint,
            process: None,
            stdin: None,
        };
        emulator.faults();
        emulator
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint_url(&self) -> &str {
        &self.endpoint
    }

    /// SDK configuration with the SDK's standard retries (3 attempts), as
    /// wsdeploy itself would run.
    pub fn sdk_config(&self) -> SdkConfig {
        self.sdk_config_with_retries(RetryConfig::standard())
    }

    /// SDK configuration that makes a single attempt per call, so a test sees
    /// every injected fault instead of the SDK retrying it away.
    pub fn sdk_config_without_retries(&self) -> SdkConfig {
        self.sdk_config_with_retries(RetryConfig::disabled())
    }

    pub fn sdk_config_with_retries(&self, retry: RetryConfig) -> SdkConfig {
        let credentials = Credentials::new(
            "AKIDWSDEPLOYEMULATOR",
            "wsdeploy-emulator-secret",
            None,
            None,
            "wsdeploy-emulator",
        );
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(self.endpoint.clone())
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .retry_config(retry)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .build(),
            )
            .build()
    }

    /// Every AWS request logged since start, the last reset or clear.
    pub fn calls(&self) -> Vec<Call> {
        #[derive(Deserialize)]
        struct Calls {
            calls: Vec<Call>,
        }
        let answer = self.control("GET", "/_wsdeploy/calls", None);
        let calls: Calls = serde_json::from_value(answer)
            .unwrap_or_else(|error| panic!("unexpected call log from the emulator: {error}"));
        calls.calls
    }

    /// Empties the call log.
    pub fn clear_calls(&self) {
        self.control("DELETE", "/_wsdeploy/calls", None);
    }

    /// The current fault settings (a JSON object, see docs/testing.md).
    pub fn faults(&self) -> Value {
        self.control("GET", "/_wsdeploy/faults", None)
    }

    /// Changes the fault settings named in `update` (a JSON object; `profile`
    /// first replaces them all); returns the new settings. Panics when the
    /// emulator rejects the update.
    pub fn set_faults(&self, update: Value) -> Value {
        self.control("POST", "/_wsdeploy/faults", Some(update))
    }

    /// Like [`Emulator::set_faults`], but returns the emulator's refusal
    /// (unknown name, wrong type, unknown profile) instead of panicking.
    pub fn try_set_faults(&self, update: Value) -> Result<Value, String> {
        let (status, answer) = self.request("POST", "/_wsdeploy/faults", Some(update));
        if status == 200 {
            Ok(answer)
        } else {
            Err(answer["error"].as_str().unwrap_or("refused").to_owned())
        }
    }

    /// Replaces all fault settings with a named profile.
    pub fn apply_profile(&self, name: &str) -> Value {
        self.set_faults(json!({ "profile": name }))
    }

    /// Forgets every AWS resource, the call log and all clocks; faults return
    /// to the launch settings. Never on [`Emulator::shared`].
    pub fn reset(&self) {
        self.control("POST", "/_wsdeploy/reset", None);
    }

    /// Writes what Lambda logs when `function` runs once and prints `lines`
    /// (`POST /_wsdeploy/lambda-logs`): the function's log group is created
    /// if missing (untagged, never expiring, as Lambda does), then a new
    /// stream gets the invocation's records in the function's log format.
    /// Returns `{"logGroupName", "logStreamName", "requestId", "messages"}`.
    pub fn lambda_logs(&self, function: &str, lines: &[&str]) -> Value {
        self.control(
            "POST",
            "/_wsdeploy/lambda-logs",
            Some(json!({ "function": function, "lines": lines })),
        )
    }

    /// Like [`Emulator::lambda_logs`] with a whole request body (`timestamp`
    /// in ms, lines as `{"level", "message"}`, `region`); returns the
    /// emulator's refusal, `(status, message)`, instead of panicking.
    pub fn try_lambda_logs(&self, body: Value) -> Result<Value, (u16, String)> {
        let (status, answer) = self.request("POST", "/_wsdeploy/lambda-logs", Some(body));
        if status == 200 {
            Ok(answer)
        } else {
            let message = answer["error"].as_str().unwrap_or("refused").to_owned();
            Err((status, message))
        }
    }

    /// Stops a dedicated emulator the way a dying test process does: closes
    /// its stdin and waits up to `timeout` for it to exit by itself (then
    /// kills it). Returns its exit status if it exited by itself.
    pub fn stop(mut self, timeout: Duration) -> Option<ExitStatus> {
        drop(self.stdin.take());
        let mut child = self.process.take()?;
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    /// One request to the control endpoint; panics with the emulator's
    /// message unless it answers 200.
    fn control(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, answer) = self.request(method, path, body);
        assert_eq!(
            status, 200,
            "{method} {path} on the emulator at {} failed: {answer}",
            self.endpoint
        );
        answer
    }

    /// One HTTP/1.1 exchange with the control endpoint: (status, JSON body).
    fn request(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let context = format!("{method} {path} on the emulator at {}", self.endpoint);
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))
            .unwrap_or_else(|error| panic!("{context}: cannot connect: {error}"));
        stream
            .set_read_timeout(Some(CONTROL_TIMEOUT))
            .unwrap_or_else(|error| panic!("{context}: {error}"));
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .unwrap_or_else(|error| panic!("{context}: cannot send: {error}"));
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .unwrap_or_else(|error| panic!("{context}: cannot read the answer: {error}"));
        let (head, payload) = response
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("{context}: malformed HTTP answer {response:?}"));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse::<u16>().ok())
            .unwrap_or_else(|| panic!("{context}: malformed status line in {head:?}"));
        let value: Value = serde_json::from_str(payload)
            .unwrap_or_else(|error| panic!("{context}: answer is not JSON ({error}): {payload}"));
        (status, value)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn port_of(endpoint: &str) -> u16 {
    endpoint
        .rsplit(':')
        .next()
        .and_then(|port| port.trim_end_matches('/').parse().ok())
        .unwrap_or_else(|| panic!("the emulator endpoint `{endpoint}` has no port"))
}

/// A name no other test of this process uses: `<prefix>-<pid><n>` in
/// lowercase letters and digits, at most `prefix.len() + 12` characters (so a
/// prefix of up to 18 characters still makes a valid wsdeploy app name).
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{prefix}-{}{}",
        base36(u64::from(std::process::id())),
        base36(n)
    )
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("base36 digits are ASCII")
}
