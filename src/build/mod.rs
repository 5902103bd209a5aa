//! Building function packages: what each function ships to Lambda.
//!
//! `package` zips a code directory deterministically; this module builds
//! the package of every function of a config, once per distinct code
//! setting (functions that share a directory and filter share a package).
//! Bundling (esbuild) and dependency installs will live here too.

pub mod package;
pub mod python;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use package::{Package, PackageError, sha256_base64};

use crate::config::model::{Code, Config};

/// A package that could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("packaging `{function}`: {source}")]
    Package {
        function: String,
        #[source]
        source: PackageError,
    },
    #[error("packaging stopped: {0}")]
    Stopped(String),
}

/// Package by function name.
pub type Packages = BTreeMap<String, Arc<Package>>;

/// Builds every distinct package once, on the blocking pool.
pub async fn packages(config: &Config) -> Result<Packages, BuildError> {
    let codes: Vec<(String, Code)> = config
        .functions
        .values()
        .map(|f| (f.function_name.clone(), f.code.clone()))
        .collect();
    tokio::task::spawn_blocking(move || build_all(codes))
        .await
        .map_err(|e| BuildError::Stopped(e.to_string()))?
}

fn build_all(codes: Vec<(String, Code)>) -> Result<Packages, BuildError> {
    let mut by_setting: BTreeMap<String, Arc<Package>> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (function, code) in codes {
        let key = format!(
            "{}\0{:?}\0{:?}",
            code.path.display(),
            code.filter.include,
            code.filter.exclude
        );
        let pkg = match by_setting.get(&key) {
            Some(p) => p.clone(),
            None => {
                let p = package::build(&code)
                    .map_err(|source| BuildError::Package {
                        function: function.clone(),
                        source,
                    })
                    .map(Arc::new)?;
                by_setting.insert(key, p.clone());
                p
            }
        };
        out.insert(function, pkg);
    }
    Ok(out)
}
