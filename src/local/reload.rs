//! Reload for `wsdeploy dev` (the contract's "Reload" bullet): watches the
//! functions' code and the config file while the app is served.
//!
//! - A saved change under a function's code directory rebuilds every
//!   function that ships that directory; a function whose package (its
//!   sha256) or settings changed is unpacked into a new generation
//!   directory and its workers replaced (`Pool::replace`): invocations in
//!   flight finish on the old code, the next ones run the new code. The
//!   build cache makes unchanged functions cheap, and a save that changes
//!   nothing restarts nothing.
//! - A change to the config file loads it again the way dev loaded it
//!   (`ConfigSource`; `${ssm:...}` with the values read at start, and
//!   parameters it did not read yet read then): invalid, the
//!   diagnostics are reported and the old
//!   config keeps serving; valid, every function whose package or settings
//!   changed is replaced (new functions added), then the gateway gets the
//!   new routes (`Gateway::set_api`). Connections stay open.
//! - A build error is reported (the build's own message) and the old code
//!   keeps serving.
//!
//! Events are debounced (an editor's save is several of them), and changes
//! under `.wsdeploy/`, `.git/` and `node_modules/.cache` are ignored. What
//! happened is told to a callback (`Note`): the command decides how it is
//! printed.

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use super::gateway::Gateway;
use super::runtime::Pool;
use super::serve::{self, Options, Running, Server};
use crate::build;
use crate::config::model::{CodeKind, Config, Function};
use crate::config::ssm::SsmValues;
use crate::config::{self, LoadOptions, Loaded};

/// How long the files must be quiet before a reload starts.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// Where the config comes from and how dev loaded it (`--stage`,
/// `--region`, the region of the environment, the SSM parameters): a
/// reload loads it the same way, `${env:...}` from the process
/// environment.
#[derive(Debug, Clone, Default)]
pub struct ConfigSource {
    pub file: PathBuf,
    pub stage: Option<String>,
    pub region: Option<String>,
    pub env_region: Option<String>,
    /// How `${ssm:...}` is read; `None`: offline, placeholders.
    pub ssm: Option<Parameters>,
}

/// Reads SSM parameters: the values of those of the names that exist,
/// given the config loaded offline. Blocks; the error is a message.
pub type ReadParameters =
    Arc<dyn Fn(&Config, &[String]) -> Result<SsmValues, String> + Send + Sync>;

/// The SSM parameters of a `dev` session: read once, at start or at the
/// first reload that names them.
#[derive(Clone)]
pub struct Parameters {
    pub read: ReadParameters,
    /// Every value read so far.
    pub known: Arc<Mutex<SsmValues>>,
}

impl std::fmt::Debug for Parameters {
    /// The names only: the values are secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        f.debug_struct("Parameters")
            .field("known", &known.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl ConfigSource {
    /// Loads the config with these options; fails only when SSM could not
    /// be read.
    pub fn load(&self) -> Result<Loaded, String> {
        match &self.ssm {
            None => Ok(self.with_options(|opts| config::load(&self.file, opts))),
            Some(p) => {
                let mut known = p.known.lock().unwrap_or_else(|e| e.into_inner());
                self.load_reading(&mut known, |config, names| (p.read)(config, names))
            }
        }
    }

    /// `config::load_reading` with these options.
    pub fn load_reading<E>(
        &self,
        known: &mut SsmValues,
        read: impl FnOnce(&Config, &[String]) -> Result<SsmValues, E>,
    ) -> Result<Loaded, E> {
        self.with_options(|opts| config::load_reading(&self.file, opts, known, read))
    }

    fn with_options<T>(&self, f: impl FnOnce(&LoadOptions) -> T) -> T {
        let lookup = |name: &str| std::env::var(name).ok();
        f(&LoadOptions {
            stage: self.stage.as_deref(),
            region: self.region.as_deref(),
            env_region: self.env_region.as_deref(),
            env: &lookup,
        })
    }
}

/// What a reload did, for the command to print (one line each).
#[derive(Debug)]
pub enum Note {
    /// The function runs new code or settings from now on; `took` counts
    /// from the change to the new code being in place.
    Reloaded { function: String, took: Duration },
    /// A build failed (`error`, with the build's own file:line:column);
    /// the old code keeps serving.
    BuildFailed { error: String, hint: Option<String> },
    /// The changed config applies from now on.
    ConfigReloaded { took: Duration },
    /// The changed config is not valid (its diagnostics inside); the
    /// previous one keeps serving.
    ConfigInvalid(Box<Loaded>),
    /// Anything else that kept a change from applying (unpacking,
    /// watching a directory).
    Failed(String),
}

/// Receives each `Note`; called from the reload task, so it must not block
/// for long.
pub type OnNote = Arc<dyn Fn(Note) + Send + Sync>;

/// Watching and reloading while it lives; dropping it stops both.
pub struct Reloader {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Reloader {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts watching what `server` serves. Fails when the platform's file
/// watcher cannot be created.
pub fn watch(
    server: &Server,
    source: ConfigSource,
    on_note: OnNote,
) -> Result<Reloader, notify::Error> {
    let (tx, rx) = unbounded_channel();
    let watcher = notify::recommended_watcher(move |event: notify::Result<Event>| {
        let _ = tx.send(event);
    })?;
    let config_file = std::path::absolute(&source.file).unwrap_or_else(|_| source.file.clone());
    let mut state = State {
        source,
        config_file,
        config: server.config.clone(),
        opts: server.opts.clone(),
        addr: server.addr,
        gateway: server.gateway.clone(),
        pool: server.pool.clone(),
        running: server.running.clone(),
        generation: server.generation,
        watcher,
        watched: BTreeMap::new(),
        on_note,
    };
    state.rewatch();
    Ok(Reloader {
        task: tokio::spawn(state.run(rx)),
    })
}

/// What the reload task keeps: what is served now, and the watcher.
struct State {
    source: ConfigSource,
    /// Absolute, to compare with the watcher's paths.
    config_file: PathBuf,
    config: Config,
    opts: Options,
    addr: SocketAddr,
    gateway: Arc<Gateway>,
    pool: Pool,
    running: BTreeMap<String, Running>,
    /// The last generation unpacked, of any function.
    generation: u64,
    watcher: RecommendedWatcher,
    watched: BTreeMap<PathBuf, RecursiveMode>,
    on_note: OnNote,
}

impl State {
    async fn run(mut self, mut rx: UnboundedReceiver<notify::Result<Event>>) {
        while let Some(first) = rx.recv().await {
            let mut changed = BTreeSet::new();
            collect(first, &mut changed);
            loop {
                match tokio::time::timeout(DEBOUNCE, rx.recv()).await {
                    Ok(Some(event)) => collect(event, &mut changed),
                    Ok(None) => return,
                    Err(_) => break,
                }
            }
            if !changed.is_empty() {
                self.apply(&changed).await;
            }
        }
    }

    /// Reloads for the paths that changed: the whole config when the
    /// config file is among them, else the functions whose code they are in.
    async fn apply(&mut self, changed: &BTreeSet<PathBuf>) {
        if changed.contains(&self.config_file) {
            self.reload_config().await;
            return;
        }
        let names: Vec<String> = self
            .config
            .functions
            .values()
            .filter(|f| changed.iter().any(|p| is_code_of(f, p)))
            .map(|f| f.name.clone())
            .collect();
        if !names.is_empty() {
            let config = self.config.clone();
            self.rebuild(&config, &names, Instant::now()).await;
        }
    }

    async fn reload_config(&mut self) {
        let started = Instant::now();
        let source = self.source.clone();
        let mut loaded = match tokio::task::spawn_blocking(move || source.load()).await {
            Ok(Ok(loaded)) => loaded,
            Ok(Err(e)) => return (self.on_note)(Note::Failed(format!("reading SSM: {e}"))),
            Err(e) => return (self.on_note)(Note::Failed(format!("loading the config: {e}"))),
        };
        let Some(config) = loaded.config.take() else {
            return (self.on_note)(Note::ConfigInvalid(Box::new(loaded)));
        };
        let names: Vec<String> = config.functions.keys().cloned().collect();
        if !self.rebuild(&config, &names, started).await {
            return;
        }
        self.gateway
            .set_api(serve::api(&config, &serve::region(&config)));
        self.config = config;
        self.rewatch();
        (self.on_note)(Note::ConfigReloaded {
            took: started.elapsed(),
        });
    }

    /// Builds `names` of `config`, and replaces the workers of each whose
    /// package or settings differ from what runs. False when the build
    /// failed or a package could not be unpacked (reported).
    async fn rebuild(&mut self, config: &Config, names: &[String], started: Instant) -> bool {
        let mut subset = config.clone();
        subset.functions.retain(|name, _| names.contains(name));
        let packages = match build::packages(&subset, Arc::new(|_| {})).await {
            Ok(packages) => packages,
            Err(e) => {
                (self.on_note)(Note::BuildFailed {
                    error: crate::output::errors::chain(&e),
                    hint: e.hint().map(str::to_owned),
                });
                return false;
            }
        };
        let endpoint = serve::endpoint(self.addr, config);
        for f in subset.functions.values() {
            let package = packages.get(&f.function_name).map(|p| &**p);
            if let Some(r) = self.running.get(&f.name) {
                let now =
                    serve::spec_for(config, f, r.spec.task_root.clone(), &endpoint, &self.opts);
                if now == r.spec && package.map(|p| &p.sha256) == r.sha256.as_ref() {
                    continue;
                }
            }
            self.generation += 1;
            let generation = self.generation;
            let r = match serve::install(config, f, package, generation, &endpoint, &self.opts) {
                Ok(r) => r,
                Err(e) => {
                    (self.on_note)(Note::Failed(crate::output::errors::chain(&e)));
                    return false;
                }
            };
            self.pool.replace(r.spec.clone()).await;
            let keep = [
                Some(r.spec.task_root.clone()),
                self.running.get(&f.name).map(|p| p.spec.task_root.clone()),
            ];
            self.running.insert(f.name.clone(), r);
            prune(&serve::dev_root(config).join(&f.function_name), &keep);
            (self.on_note)(Note::Reloaded {
                function: f.name.clone(),
                took: started.elapsed(),
            });
        }
        true
    }

    /// Watches the config file's directory and every function's code (a
    /// directory recursively, a `.zip` through its directory), once each.
    fn rewatch(&mut self) {
        let wanted = watch_roots(&self.config, &self.config_file);
        let stale: Vec<PathBuf> = self
            .watched
            .iter()
            .filter(|(path, mode)| wanted.get(*path) != Some(*mode))
            .map(|(path, _)| path.clone())
            .collect();
        for path in stale {
            let _ = self.watcher.unwatch(&path);
            self.watched.remove(&path);
        }
        for (path, mode) in wanted {
            if self.watched.contains_key(&path) {
                continue;
            }
            match self.watcher.watch(&path, mode) {
                Ok(()) => {
                    self.watched.insert(path, mode);
                }
                Err(e) => {
                    (self.on_note)(Note::Failed(format!("watching `{}`: {e}", path.display())))
                }
            }
        }
    }
}

/// The changed paths of an event that may matter (not reads, not under
/// `.wsdeploy/`, `.git/` or `node_modules/.cache`).
fn collect(event: notify::Result<Event>, changed: &mut BTreeSet<PathBuf>) {
    let Ok(event) = event else { return };
    if matches!(event.kind, EventKind::Access(_)) {
        return;
    }
    changed.extend(event.paths.into_iter().filter(|p| !is_ignored(p)));
}

fn is_ignored(path: &Path) -> bool {
    let names: Vec<&std::ffi::OsStr> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name),
            _ => None,
        })
        .collect();
    names.iter().any(|n| *n == ".wsdeploy" || *n == ".git")
        || names
            .windows(2)
            .any(|w| w[0] == "node_modules" && w[1] == ".cache")
}

fn is_code_of(f: &Function, path: &Path) -> bool {
    match f.code.kind {
        CodeKind::Directory => path.starts_with(&f.code.path),
        CodeKind::Zip => path == f.code.path,
    }
}

/// What to watch: code directories recursively (none inside another), the
/// directories of `.zip` code and of the config file flat, unless a
/// recursive watch covers them.
fn watch_roots(config: &Config, config_file: &Path) -> BTreeMap<PathBuf, RecursiveMode> {
    let mut recursive: Vec<PathBuf> = Vec::new();
    let mut flat: Vec<PathBuf> = config_file
        .parent()
        .map(Path::to_path_buf)
        .into_iter()
        .collect();
    for f in config.functions.values() {
        match f.code.kind {
            CodeKind::Directory => recursive.push(f.code.path.clone()),
            CodeKind::Zip => flat.extend(f.code.path.parent().map(Path::to_path_buf)),
        }
    }
    recursive.sort();
    recursive.dedup();
    let roots: Vec<PathBuf> = recursive
        .iter()
        .filter(|p| !recursive.iter().any(|q| q != *p && p.starts_with(q)))
        .cloned()
        .collect();
    let mut wanted: BTreeMap<PathBuf, RecursiveMode> = roots
        .iter()
        .map(|p| (p.clone(), RecursiveMode::Recursive))
        .collect();
    for dir in flat {
        if !roots.iter().any(|r| dir.starts_with(r)) {
            wanted.insert(dir, RecursiveMode::NonRecursive);
        }
    }
    wanted
}

/// Removes the generations of one function but those in `keep` (the one
/// just unpacked and the one before, which invocations in flight may still
/// run).
fn prune(function_dir: &Path, keep: &[Option<PathBuf>]) {
    let Ok(entries) = std::fs::read_dir(function_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !keep.iter().flatten().any(|k| *k == path) {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}
