//! Warm worker processes for the app's functions, behind a local Lambda
//! Runtime API: the implementation of `crate::local::invoke::Invoke`.
//!
//! A `Pool` keeps, per function, the workers that are idle and a count of
//! those busy. An invocation takes an idle worker of the function's current
//! code (or starts one, up to `max_workers_per_function`; beyond the cap it
//! waits), hands it the event through the worker's Runtime API and waits
//! for the answer within the function's timeout. A worker that timed out,
//! crashed or belongs to replaced code is stopped rather than kept; one
//! that answered (or reported a handler error) goes back to idle.
//!
//! - `api`: one worker's Runtime API (`next`, `response`, `error`,
//!   `init/error`);
//! - `worker`: starting a worker process, its environment and output,
//!   stopping its process group;
//! - `shims`: the Node.js and Python shims, written to a temp dir.

mod api;
mod shims;
mod worker;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_api;
#[cfg(test)]
mod tests_failures;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Semaphore;

use crate::local::invoke::{BoxFuture, Invoke, InvokeError};
use shims::Shims;
use worker::{Control, Launch, Worker};

pub use worker::MAX_LINE;

/// One function as the pool runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionSpec {
    /// The short name in the config (`connect`): what `invoke` is given.
    pub name: String,
    /// The deployed name (`<app>-<stage>-connect`): AWS_LAMBDA_FUNCTION_NAME.
    pub function_name: String,
    /// `nodejs22.x`, `python3.12`, `provided.al2023`, ...
    pub runtime: String,
    /// `src/connect.handler` (_HANDLER); unused for `provided.*`.
    pub handler: String,
    /// The directory the handler is found in: LAMBDA_TASK_ROOT and the
    /// worker's working directory (`provided.*` runs `bootstrap` in it).
    pub task_root: PathBuf,
    /// The worker's whole environment besides Lambda's reserved variables
    /// (the caller merges the function's, WSDEPLOY_*, AWS credentials...).
    pub environment: BTreeMap<String, String>,
    pub timeout: Duration,
    pub memory_size: u32,
    /// Extra PYTHONPATH entries (installed requirements), after task_root.
    pub python_path: Vec<PathBuf>,
}

/// Which of a worker's streams a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Receives each line a worker prints: (function's short name, stream,
/// line without its newline, cut at `MAX_LINE` bytes). Called from the
/// tasks that read the workers' pipes, so it must not block.
pub type OutputFn = Arc<dyn Fn(&str, Stream, &str) + Send + Sync>;

/// How a pool runs its workers.
#[derive(Clone)]
pub struct PoolOptions {
    /// Busy workers per function at most (Lambda's concurrency); default 10.
    pub max_workers_per_function: usize,
    pub on_output: OutputFn,
    /// How long a new worker may take to ask for its first event (Lambda's
    /// init phase); default 10 s.
    pub init_timeout: Duration,
    /// Between SIGTERM and SIGKILL when workers are stopped; default 2 s.
    pub stop_grace: Duration,
    /// For `invokedFunctionArn`: `arn:aws:lambda:<region>:<account>:function:<name>`;
    /// default `us-east-1` and `000000000000`.
    pub region: String,
    pub account_id: String,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_workers_per_function: 10,
            on_output: Arc::new(|_, _, _| {}),
            init_timeout: Duration::from_secs(10),
            stop_grace: Duration::from_secs(2),
            region: "us-east-1".to_owned(),
            account_id: "000000000000".to_owned(),
        }
    }
}

impl std::fmt::Debug for PoolOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolOptions")
            .field("max_workers_per_function", &self.max_workers_per_function)
            .field("init_timeout", &self.init_timeout)
            .field("stop_grace", &self.stop_grace)
            .finish_non_exhaustive()
    }
}

/// The app's functions, each with its warm workers. Cheap to clone (one
/// pool shared).
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    functions: Mutex<BTreeMap<String, Function>>,
    /// Every worker started (exited ones are pruned on the next start), so
    /// that shutdown reaches busy workers too.
    live: Mutex<Vec<Control>>,
    opts: PoolOptions,
    shims: Shims,
    closed: AtomicBool,
}

struct Function {
    spec: Arc<FunctionSpec>,
    /// Bumped by `replace`: workers of an older generation are not reused.
    generation: u64,
    idle: Vec<Worker>,
    running: usize,
    /// One permit per busy worker: the cap, and the queue beyond it.
    slots: Arc<Semaphore>,
}

impl Pool {
    /// Writes the shims and prepares a pool for `specs`; starts no worker
    /// (each worker binds its own Runtime API on 127.0.0.1:0 when started).
    pub async fn start(specs: Vec<FunctionSpec>, opts: PoolOptions) -> std::io::Result<Pool> {
        let shims = tokio::task::spawn_blocking(Shims::write)
            .await
            .map_err(std::io::Error::other)??;
        let cap = opts.max_workers_per_function.max(1);
        let functions = specs
            .into_iter()
            .map(|spec| (spec.name.clone(), Function::new(spec, cap)))
            .collect();
        let inner = Inner {
            functions: Mutex::new(functions),
            live: Mutex::new(Vec::new()),
            opts,
            shims,
            closed: AtomicBool::new(false),
        };
        Ok(Pool {
            inner: Arc::new(inner),
        })
    }

    /// Reload: invocations from now on run `spec` (matched by its short
    /// name; a new name adds a function) on new workers. Idle workers of
    /// the old code are stopped; busy ones finish their invocation first.
    pub async fn replace(&self, spec: FunctionSpec) {
        let cap = self.inner.opts.max_workers_per_function.max(1);
        let retired = {
            let mut functions = self.inner.functions();
            match functions.get_mut(&spec.name) {
                Some(f) => {
                    f.spec = Arc::new(spec);
                    f.generation += 1;
                    std::mem::take(&mut f.idle)
                }
                None => {
                    functions.insert(spec.name.clone(), Function::new(spec, cap));
                    Vec::new()
                }
            }
        };
        let grace = self.inner.opts.stop_grace;
        futures_util::future::join_all(retired.iter().map(|w| w.control.stop(grace))).await;
    }

    /// Per function: (busy workers, idle workers).
    pub fn workers(&self) -> BTreeMap<String, (usize, usize)> {
        let functions = self.inner.functions();
        functions
            .iter()
            .map(|(name, f)| (name.clone(), (f.running, f.idle.len())))
            .collect()
    }

    /// Stops every worker, busy ones included (SIGTERM to each process
    /// group, SIGKILL after `stop_grace`), and removes the shims. Later
    /// invocations fail with `Crashed`.
    pub async fn shutdown(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
        let idle: Vec<Worker> = {
            let mut functions = self.inner.functions();
            functions.values_mut().for_each(|f| f.slots.close());
            functions
                .values_mut()
                .flat_map(|f| std::mem::take(&mut f.idle))
                .collect()
        };
        let live: Vec<Control> = lock(&self.inner.live).clone();
        let grace = self.inner.opts.stop_grace;
        futures_util::future::join_all(live.iter().map(|c| c.stop(grace))).await;
        drop(idle);
        self.inner.shims.remove();
    }
}

impl Function {
    fn new(spec: FunctionSpec, cap: usize) -> Function {
        Function {
            spec: Arc::new(spec),
            generation: 0,
            idle: Vec::new(),
            running: 0,
            slots: Arc::new(Semaphore::new(cap)),
        }
    }
}

impl Invoke for Pool {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        event: Value,
    ) -> BoxFuture<'a, Result<Value, InvokeError>> {
        Box::pin(self.inner.clone().invoke(function, event))
    }
}

/// Why there is no function `name` to run: an external function's ARN
/// (which dev does not run), or no function at all.
fn missing(name: &str) -> InvokeError {
    if name.starts_with("arn:") {
        InvokeError::External(name.to_owned())
    } else {
        InvokeError::NoFunction(name.to_owned())
    }
}

impl Inner {
    fn functions(&self) -> MutexGuard<'_, BTreeMap<String, Function>> {
        lock(&self.functions)
    }

    async fn invoke(self: Arc<Self>, name: &str, event: Value) -> Result<Value, InvokeError> {
        let slots = {
            let functions = self.functions();
            let f = functions.get(name).ok_or_else(|| missing(name))?;
            if !is_supported(&f.spec.runtime) {
                return Err(InvokeError::Unsupported(f.spec.runtime.clone()));
            }
            f.slots.clone()
        };
        let shut = || InvokeError::Crashed("the pool is shut down".to_owned());
        let _permit = slots.acquire_owned().await.map_err(|_| shut())?;
        let event = serde_json::to_vec(&event).map_err(|e| InvokeError::Crashed(e.to_string()))?;
        let mut checkout = Checkout::new(self.clone(), name)?;
        let timeout = checkout.spec.timeout;
        let worker = checkout.worker().await?;
        let ran = worker.run(event, timeout, self.opts.init_timeout).await;
        checkout.keep = ran.keep;
        ran.result
    }

    /// Starts a worker for `spec` and registers it for shutdown.
    async fn start_worker(
        &self,
        spec: &FunctionSpec,
        generation: u64,
    ) -> Result<Worker, InvokeError> {
        let launch = Launch {
            spec,
            function_arn: format!(
                "arn:aws:lambda:{}:{}:function:{}",
                self.opts.region, self.opts.account_id, spec.function_name
            ),
            shims: &self.shims,
            on_output: self.opts.on_output.clone(),
            generation,
        };
        let worker = Worker::start(launch).await?;
        {
            let mut live = lock(&self.live);
            live.retain(|c| !c.has_exited());
            live.push(worker.control.clone());
        }
        // Registered first, checked second: a concurrent shutdown either
        // saw this worker or is seen here.
        if self.closed.load(Ordering::SeqCst) {
            worker.control.kill();
            return Err(InvokeError::Crashed("the pool is shut down".to_owned()));
        }
        Ok(worker)
    }
}

impl Drop for Inner {
    /// A pool dropped without `shutdown` still leaves no worker running.
    fn drop(&mut self) {
        lock(&self.live).iter().for_each(Control::kill);
    }
}

fn is_supported(runtime: &str) -> bool {
    ["nodejs", "python", "provided"]
        .iter()
        .any(|p| runtime.starts_with(p))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A function's worker while an invocation uses it. It counts as running
/// from creation; when dropped (the invocation ended or was abandoned) it
/// goes back to idle if `keep` and still current, and is killed otherwise.
struct Checkout {
    inner: Arc<Inner>,
    name: String,
    spec: Arc<FunctionSpec>,
    generation: u64,
    worker: Option<Worker>,
    keep: bool,
}

impl Checkout {
    /// Counts a running worker and takes an idle one of the current code.
    fn new(inner: Arc<Inner>, name: &str) -> Result<Checkout, InvokeError> {
        let (spec, generation, worker, stale) = {
            let mut functions = inner.functions();
            let f = functions
                .get_mut(name)
                .ok_or_else(|| InvokeError::NoFunction(name.to_owned()))?;
            f.running += 1;
            let generation = f.generation;
            let (current, stale): (Vec<Worker>, Vec<Worker>) = std::mem::take(&mut f.idle)
                .into_iter()
                .partition(|w| w.generation == generation && w.is_alive());
            f.idle = current;
            (f.spec.clone(), generation, f.idle.pop(), stale)
        };
        stale.iter().for_each(|w| w.control.kill());
        let name = name.to_owned();
        Ok(Checkout {
            inner,
            name,
            spec,
            generation,
            worker,
            keep: false,
        })
    }

    /// The idle worker taken, or a new one.
    async fn worker(&mut self) -> Result<&Worker, InvokeError> {
        if self.worker.is_none() {
            let started = self.inner.start_worker(&self.spec, self.generation).await?;
            self.worker = Some(started);
        }
        self.worker
            .as_ref()
            .ok_or_else(|| InvokeError::Crashed("no worker".to_owned()))
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        let worker = self.worker.take();
        let mut functions = self.inner.functions();
        let f = functions.get_mut(&self.name);
        let closed = self.inner.closed.load(Ordering::SeqCst);
        match (f, worker) {
            (Some(f), Some(w))
                if self.keep && !closed && w.generation == f.generation && w.is_alive() =>
            {
                f.running -= 1;
                f.idle.push(w);
            }
            (f, w) => {
                if let Some(f) = f {
                    f.running -= 1;
                }
                if let Some(w) = w {
                    w.control.kill();
                }
            }
        }
    }
}
