//! Building function packages: what each function ships to Lambda.
//!
//! Per function, by its `build` setting (`config::model::Build`): the code
//! directory zipped as it is (`package`; functions with the same code
//! setting share one package), a Node.js bundle (`node`, esbuild), or the
//! code with its Python requirements installed for Lambda (`python`).
//! Builds run in parallel; bundles, installed requirements and the zips
//! made with them are cached under `<project>/.wsdeploy/build/` (`cache`),
//! keyed by everything they are built from.

pub mod cache;
pub mod node;
pub mod package;
pub mod python;
mod with_requirements;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use package::{Package, PackageError, sha256_base64};

use crate::config::model::{Build, Code, Config, Function};

/// A package that could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("packaging `{function}`: {source}")]
    Package {
        function: String,
        #[source]
        source: PackageError,
    },
    #[error("building `{function}`: {source}")]
    Node {
        function: String,
        #[source]
        source: node::NodeError,
    },
    #[error("building `{function}`: {source}")]
    Python {
        function: String,
        #[source]
        source: Box<python::PythonError>,
    },
    #[error("packaging stopped: {0}")]
    Stopped(String),
}

impl BuildError {
    /// What to do about it, when wsdeploy knows.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            BuildError::Node { source, .. } => source.hint(),
            _ => None,
        }
    }
}

/// Package by function name.
pub type Packages = BTreeMap<String, Arc<Package>>;

/// One function's package is ready.
#[derive(Debug, Clone)]
pub struct Built {
    pub function: String,
    pub elapsed: std::time::Duration,
    /// It came from the build cache.
    pub cached: bool,
    /// The tool that built it (`esbuild 0.28.2`), when one did.
    pub tool: Option<String>,
}

/// Told as each package is ready (for progress).
pub type OnBuilt = dyn Fn(Built) + Send + Sync;

/// Builds every function's package, on the blocking pool.
pub async fn packages(config: &Config, on_built: Arc<OnBuilt>) -> Result<Packages, BuildError> {
    let config = config.clone();
    tokio::task::spawn_blocking(move || build_all(&config, &*on_built))
        .await
        .map_err(|e| BuildError::Stopped(e.to_string()))?
}

/// Builds every function's package, several at once; the first error (in
/// function order) wins.
pub fn build_all(
    config: &Config,
    on_built: &(dyn Fn(Built) + Sync),
) -> Result<Packages, BuildError> {
    let cache_root = cache::root_of(&config.file);
    let functions: Vec<&Function> = config.functions.values().collect();
    let next = Mutex::new(0usize);
    let results: Mutex<BTreeMap<usize, Result<Arc<Package>, BuildError>>> =
        Mutex::new(BTreeMap::new());
    let shared = Shared::default();
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(functions.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = {
                        let Ok(mut n) = next.lock() else { return };
                        let i = *n;
                        *n += 1;
                        i
                    };
                    let Some(f) = functions.get(i) else { return };
                    let start = std::time::Instant::now();
                    let r = build_one(f, &cache_root, &shared);
                    if let Ok(p) = &r {
                        on_built(Built {
                            function: f.function_name.clone(),
                            elapsed: start.elapsed(),
                            cached: p.cached,
                            tool: p.tool.clone(),
                        });
                    }
                    if let Ok(mut all) = results.lock() {
                        all.insert(i, r);
                    }
                }
            });
        }
    });
    let results = results
        .into_inner()
        .map_err(|e| BuildError::Stopped(e.to_string()))?;
    let mut out = Packages::new();
    for (i, r) in results {
        out.insert(functions[i].function_name.clone(), r?);
    }
    Ok(out)
}

/// What builds share: packages of plain code settings (one zip for the
/// functions that ship the same directory), and esbuild by code directory.
#[derive(Default)]
struct Shared {
    plain: Mutex<BTreeMap<String, Arc<Package>>>,
    esbuild: Mutex<BTreeMap<PathBuf, node::Esbuild>>,
}

fn build_one(f: &Function, cache_root: &Path, shared: &Shared) -> Result<Arc<Package>, BuildError> {
    match &f.build {
        Build::Bundle(bundle) => {
            let node_err = |source| BuildError::Node {
                function: f.function_name.clone(),
                source,
            };
            let esbuild = esbuild_for(&f.code.path, shared).map_err(node_err)?;
            let job = node::Job {
                function: &f.function_name,
                code_dir: &f.code.path,
                runtime: &f.runtime,
                handler: &f.handler,
                bundle,
            };
            node::build(&job, &esbuild, cache_root)
                .map(Arc::new)
                .map_err(node_err)
        }
        Build::Python { requirements } => {
            with_requirements::build(f, requirements, cache_root).map(Arc::new)
        }
        Build::Files => plain(f, &f.code, shared),
    }
}

fn esbuild_for(code_dir: &Path, shared: &Shared) -> Result<node::Esbuild, node::NodeError> {
    if let Some(e) = shared
        .esbuild
        .lock()
        .ok()
        .and_then(|m| m.get(code_dir).cloned())
    {
        return Ok(e);
    }
    let e = node::Esbuild::find(code_dir)?;
    if let Ok(mut m) = shared.esbuild.lock() {
        m.insert(code_dir.to_path_buf(), e.clone());
    }
    Ok(e)
}

/// The code zipped as it is, once per distinct code setting.
fn plain(f: &Function, code: &Code, shared: &Shared) -> Result<Arc<Package>, BuildError> {
    let key = format!(
        "{}\0{:?}\0{:?}",
        code.path.display(),
        code.filter.include,
        code.filter.exclude
    );
    if let Some(p) = shared.plain.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(p);
    }
    let p = package::build(code)
        .map(Arc::new)
        .map_err(|source| BuildError::Package {
            function: f.function_name.clone(),
            source,
        })?;
    if let Ok(mut m) = shared.plain.lock() {
        m.insert(key, p.clone());
    }
    Ok(p)
}
