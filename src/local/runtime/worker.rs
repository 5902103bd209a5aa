//! One worker: a process that runs a function's handler (through a shim or
//! a `provided.*` `bootstrap`), its Runtime API, and what it prints.
//!
//! Invariants: the process leads its own process group, so signals go to
//! the whole group (anything the handler spawned included) and a
//! terminal's Ctrl-C never reaches it; once `death` is set the worker
//! serves no more invocations; `exited` turns true only after the process
//! was reaped, and no signal is sent after that (its pid may be reused).

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::{mpsc, oneshot, watch};

use super::api::{self, Job, Outcome};
use super::shims::Shims;
use super::{FunctionSpec, OutputFn, Stream};
use crate::local::invoke::InvokeError;

/// Lines longer than this are cut (the rest of the line is skipped), so a
/// handler printing megabytes on one line costs no more memory than this.
pub const MAX_LINE: usize = 32 * 1024;
/// How many of the last lines printed a crash message quotes.
const TAIL_LINES: usize = 10;

const SIGKILL: i32 = 9;
const SIGTERM: i32 = 15;

mod sys {
    // libc's kill(2), which std links already; the crate adds no libc
    // dependency for one function.
    unsafe extern "C" {
        pub safe fn kill(pid: i32, sig: i32) -> i32;
    }
}

/// Sends `signal` to the process group led by `pid`.
pub(crate) fn signal_group(pid: u32, signal: i32) {
    if let Ok(pid) = i32::try_from(pid)
        && pid > 0
    {
        sys::kill(-pid, signal);
    }
}

/// Whether a process with this pid is running: it exists and is not a
/// zombie (an orphan that no init reaps, as in some containers).
#[cfg(test)]
pub(crate) fn process_exists(pid: u32) -> bool {
    let exists = i32::try_from(pid).is_ok_and(|pid| sys::kill(pid, 0) == 0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // "pid (comm) S ...": the state follows the last ')'.
    let zombie = stat
        .rsplit_once(')')
        .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
    exists && !zombie
}

/// What a pool needs to start a worker.
pub(crate) struct Launch<'a> {
    pub spec: &'a FunctionSpec,
    pub function_arn: String,
    pub shims: &'a Shims,
    pub on_output: OutputFn,
    pub generation: u64,
}

/// A handle that stops a worker's process, kept apart from the worker so
/// that shutdown reaches workers that are busy.
#[derive(Clone)]
pub(crate) struct Control {
    pub pid: u32,
    exited: watch::Receiver<bool>,
}

impl Control {
    pub(crate) fn has_exited(&self) -> bool {
        *self.exited.borrow()
    }

    /// Sends a signal to the worker's group, unless it was reaped.
    pub(crate) fn signal(&self, signal: i32) {
        if !self.has_exited() {
            signal_group(self.pid, signal);
        }
    }

    pub(crate) fn terminate(&self) {
        self.signal(SIGTERM);
    }

    pub(crate) fn kill(&self) {
        self.signal(SIGKILL);
    }

    /// Waits until the process was reaped, at most `limit`; true if it was.
    pub(crate) async fn wait(&self, limit: Duration) -> bool {
        let mut exited = self.exited.clone();
        tokio::time::timeout(limit, exited.wait_for(|e| *e))
            .await
            .is_ok()
    }

    /// SIGTERM, then SIGKILL after `grace`.
    pub(crate) async fn stop(&self, grace: Duration) {
        self.terminate();
        if !self.wait(grace).await {
            self.kill();
            self.wait(Duration::from_secs(5)).await;
        }
    }
}

/// How an invocation on a worker ended, and whether the worker can take
/// another.
pub(crate) struct Ran {
    pub result: Result<Value, InvokeError>,
    pub keep: bool,
}

/// A started worker process and its Runtime API.
pub(crate) struct Worker {
    pub generation: u64,
    pub control: Control,
    jobs: mpsc::Sender<Job>,
    death: watch::Receiver<Option<String>>,
    _server: api::Server,
}

impl Worker {
    /// Starts the process; it initialises on its own and asks for an event.
    pub(crate) async fn start(launch: Launch<'_>) -> Result<Worker, InvokeError> {
        let (jobs_tx, jobs_rx) = mpsc::channel(1);
        let (death_tx, death_rx) = watch::channel(None);
        let server = api::serve(jobs_rx, launch.function_arn.clone(), death_tx.clone())
            .await
            .map_err(|e| InvokeError::Crashed(format!("binding the Runtime API: {e}")))?;
        let mut command = command(launch.spec, launch.shims, &server.addr.to_string())?;
        let mut child = command.spawn().map_err(|e| {
            InvokeError::Crashed(format!(
                "starting {:?} for `{}`: {e}",
                command.as_std().get_program(),
                launch.spec.name
            ))
        })?;
        let pid = child.id().unwrap_or(0);
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let mut pumps = Vec::new();
        let name: Arc<str> = Arc::from(launch.spec.name.as_str());
        if let Some(out) = child.stdout.take() {
            let pump = pump(
                out,
                name.clone(),
                Stream::Stdout,
                launch.on_output.clone(),
                tail.clone(),
            );
            pumps.push(tokio::spawn(pump));
        }
        if let Some(err) = child.stderr.take() {
            let pump = pump(err, name, Stream::Stderr, launch.on_output, tail.clone());
            pumps.push(tokio::spawn(pump));
        }
        let (exited_tx, exited_rx) = watch::channel(false);
        tokio::spawn(async move {
            let status = child.wait().await;
            let drained = async {
                for pump in pumps {
                    let _ = pump.await;
                }
            };
            let _ = tokio::time::timeout(Duration::from_millis(500), drained).await;
            let reason = exit_reason(status, &tail);
            death_tx.send_if_modified(|death| death.is_none() && death.replace(reason).is_none());
            signal_group(pid, SIGKILL); // whatever it left running in its group
            let _ = exited_tx.send(true);
        });
        Ok(Worker {
            generation: launch.generation,
            control: Control {
                pid,
                exited: exited_rx,
            },
            jobs: jobs_tx,
            death: death_rx,
            _server: server,
        })
    }

    /// Whether the worker can still take an invocation.
    pub(crate) fn is_alive(&self) -> bool {
        self.death.borrow().is_none()
    }

    /// Runs one invocation: waits (at most `init_limit`) for the worker to
    /// take the event, then (at most `timeout`) for its answer.
    pub(crate) async fn run(&self, event: Vec<u8>, timeout: Duration, init_limit: Duration) -> Ran {
        let crashed = |result| Ran {
            result: Err(result),
            keep: false,
        };
        let (delivered_tx, delivered_rx) = oneshot::channel();
        let (reply_tx, reply_rx) = oneshot::channel();
        let job = Job {
            event,
            timeout,
            delivered: delivered_tx,
            reply: reply_tx,
        };
        if self.jobs.send(job).await.is_err() {
            return crashed(self.crash("its Runtime API stopped"));
        }
        let mut death = self.death.clone();
        let deadline = tokio::select! {
            biased;
            delivered = delivered_rx => match delivered {
                Ok(deadline) => deadline,
                Err(_) => return crashed(self.crash("it did not take the event")),
            },
            _ = death.wait_for(Option::is_some) => return crashed(self.crash("")),
            () = tokio::time::sleep(init_limit) => {
                return crashed(InvokeError::Crashed(format!(
                    "the handler did not initialise within {init_limit:?}"
                )));
            }
        };
        tokio::select! {
            biased;
            reply = reply_rx => match reply {
                Ok(Outcome::Response(value)) => Ran { result: Ok(value), keep: self.is_alive() },
                Ok(Outcome::Error { error_type, message }) => Ran {
                    result: Err(InvokeError::Handler { error_type, message }),
                    keep: self.is_alive(),
                },
                Err(_) => crashed(self.crash("it dropped the invocation")),
            },
            _ = death.wait_for(Option::is_some) => crashed(self.crash("")),
            () = tokio::time::sleep_until(deadline) => crashed(InvokeError::Timeout(timeout)),
        }
    }

    /// `Crashed` with why the worker died, or `otherwise`.
    fn crash(&self, otherwise: &str) -> InvokeError {
        let reason = self.death.borrow().clone();
        InvokeError::Crashed(reason.unwrap_or_else(|| otherwise.to_owned()))
    }
}

/// The command that starts a worker for `spec`, with exactly its
/// environment (see `environment`).
fn command(spec: &FunctionSpec, shims: &Shims, api: &str) -> Result<Command, InvokeError> {
    let runtime = spec.runtime.as_str();
    let mut command = if runtime.starts_with("nodejs") {
        let mut c = Command::new("node");
        c.arg(shims.node());
        c
    } else if runtime.starts_with("python") {
        let mut c = Command::new(python());
        c.arg("-u").arg(shims.python());
        c
    } else if runtime.starts_with("provided") {
        Command::new(spec.task_root.join("bootstrap"))
    } else {
        return Err(InvokeError::Unsupported(spec.runtime.clone()));
    };
    command
        .env_clear()
        .envs(environment(spec, api))
        .current_dir(&spec.task_root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    Ok(command)
}

/// `python3` from PATH, or the active virtualenv's interpreter.
fn python() -> PathBuf {
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        let python = PathBuf::from(venv).join("bin").join("python");
        if python.exists() {
            return python;
        }
    }
    PathBuf::from("python3")
}

/// A worker's environment: the spec's, then Lambda's reserved variables
/// (which win), PATH from dev's own unless the spec sets one, and for
/// Python a PYTHONPATH of the task root, `python_path` and the spec's own.
pub(crate) fn environment(spec: &FunctionSpec, api: &str) -> BTreeMap<String, String> {
    let mut env = spec.environment.clone();
    let mut set = |k: &str, v: String| env.insert(k.to_owned(), v);
    set("AWS_LAMBDA_RUNTIME_API", api.to_owned());
    set("_HANDLER", spec.handler.clone());
    set("LAMBDA_TASK_ROOT", spec.task_root.display().to_string());
    set("AWS_LAMBDA_FUNCTION_NAME", spec.function_name.clone());
    set(
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        spec.memory_size.to_string(),
    );
    set("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned());
    if !env.contains_key("PATH")
        && let Some(path) = std::env::var_os("PATH")
    {
        env.insert("PATH".to_owned(), path.to_string_lossy().into_owned());
    }
    if spec.runtime.starts_with("python") {
        let mut paths = vec![spec.task_root.clone()];
        paths.extend(spec.python_path.iter().cloned());
        if let Some(own) = spec.environment.get("PYTHONPATH") {
            paths.extend(std::env::split_paths(own));
        }
        if let Ok(joined) = std::env::join_paths(paths) {
            env.insert(
                "PYTHONPATH".to_owned(),
                joined.to_string_lossy().into_owned(),
            );
        }
    }
    env
}

/// Why a worker's process ended, with what it printed last.
fn exit_reason(status: std::io::Result<ExitStatus>, tail: &Mutex<VecDeque<String>>) -> String {
    use std::os::unix::process::ExitStatusExt;
    let how = match status {
        Ok(s) => match (s.code(), s.signal()) {
            (Some(code), _) => format!("the worker exited with status {code}"),
            (None, Some(signal)) => format!("the worker was killed by signal {signal}"),
            _ => "the worker exited".to_owned(),
        },
        Err(e) => format!("the worker could not be waited for: {e}"),
    };
    let tail = tail.lock().unwrap_or_else(|p| p.into_inner());
    if tail.is_empty() {
        how
    } else {
        let lines: Vec<&str> = tail.iter().map(String::as_str).collect();
        format!("{how}; it printed last:\n{}", lines.join("\n"))
    }
}

/// Reads what a worker prints, a line at a time (each cut at `MAX_LINE`),
/// hands each line to `on_output` and keeps the last few for crash reports.
async fn pump<R: AsyncRead + Unpin>(
    reader: R,
    name: Arc<str>,
    stream: Stream,
    on_output: OutputFn,
    tail: Arc<Mutex<VecDeque<String>>>,
) {
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let mut line = Vec::with_capacity(256);
    let mut cut = 0usize;
    while let Ok(buf) = reader.fill_buf().await {
        if buf.is_empty() {
            break;
        }
        let (chunk, end) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        let room = MAX_LINE.saturating_sub(line.len());
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        cut += chunk.len().saturating_sub(room);
        let used = end.unwrap_or(chunk.len());
        reader.consume(used);
        if end.is_some() {
            emit(&mut line, &mut cut, &name, stream, &on_output, &tail);
        }
    }
    if !line.is_empty() || cut > 0 {
        emit(&mut line, &mut cut, &name, stream, &on_output, &tail);
    }
}

fn emit(
    line: &mut Vec<u8>,
    cut: &mut usize,
    name: &str,
    stream: Stream,
    on_output: &OutputFn,
    tail: &Mutex<VecDeque<String>>,
) {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    let mut text = String::from_utf8_lossy(line).into_owned();
    if *cut > 0 {
        text.push_str(&format!(" … [{cut} more bytes cut]"));
    }
    on_output(name, stream, &text);
    let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
    if tail.len() == TAIL_LINES {
        tail.pop_front();
    }
    tail.push_back(text.chars().take(500).collect());
    line.clear();
    *cut = 0;
}
