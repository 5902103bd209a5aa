//! A Python function's package: its code (with `include` / `exclude`) and
//! its requirements installed for Lambda (`python`), in one zip. Lambda
//! puts the zip's root on `sys.path`, so the installed packages go at the
//! root next to the code; a code file wins over an installed file of the
//! same name.
//!
//! The zip is cached next to the bundles, keyed by the installed
//! requirements' cache entry and the code's files, so a deploy that
//! changed nothing zips nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::BuildError;
use super::cache::{self, State};
use super::package::{self, Entry, Package};
use super::python::{self, Target};
use crate::config::filter::FileFilter;
use crate::config::model::Function;

pub fn build(f: &Function, requirements: &Path, cache_root: &Path) -> Result<Package, BuildError> {
    let err = |source| BuildError::Python {
        function: f.function_name.clone(),
        source: Box::new(source),
    };
    let target = Target::new(&f.runtime, f.architecture.as_str()).ok_or_else(|| {
        err(python::PythonError::BadTarget {
            python: f.runtime.clone(),
        })
    })?;
    let installed =
        python::install(requirements, &target, &cache_root.join("python")).map_err(err)?;
    let code = &f.code;
    let code_files =
        package::list_files(&code.path, &code.filter).map_err(|source| BuildError::Package {
            function: f.function_name.clone(),
            source,
        })?;
    let inputs: BTreeMap<String, String> = code_files
        .iter()
        .filter_map(|rel| Some((rel.clone(), cache::hash_file(&code.path.join(rel)).ok()?)))
        .collect();
    let key = cache::sha256_hex(
        format!(
            "{}\0{}\0{}\0{:?}\0{:?}",
            cache::FORMAT,
            env!("CARGO_PKG_VERSION"),
            installed.display(),
            code.filter.include,
            code.filter.exclude
        )
        .as_bytes(),
    );
    let entry_dir = cache_root.join("zip").join(&f.function_name);
    if let Some((state, zip)) = cache::read(&entry_dir)
        && state.format == cache::FORMAT
        && state.key == key
        && state.inputs == inputs
    {
        return Ok(package::from_zip_bytes(zip, state.files, None));
    }
    let mut entries: BTreeMap<String, PathBuf> = BTreeMap::new();
    let everything = FileFilter::new(Vec::new(), Vec::new())
        .map_err(|(glob, e)| BuildError::Stopped(format!("{glob}: {e}")))?;
    for rel in
        package::list_files(&installed, &everything).map_err(|source| BuildError::Package {
            function: f.function_name.clone(),
            source,
        })?
    {
        entries.insert(rel.clone(), installed.join(rel));
    }
    for rel in &code_files {
        entries.insert(rel.clone(), code.path.join(rel));
    }
    let entries = entries
        .into_iter()
        .map(|(name, source)| Entry { name, source })
        .collect();
    let pkg = package::zip_entries(entries, &code.path).map_err(|source| BuildError::Package {
        function: f.function_name.clone(),
        source,
    })?;
    let state = State {
        format: cache::FORMAT,
        key,
        inputs,
        files: pkg.files.clone(),
        tool: None,
    };
    // A cache that cannot be written costs the next build time, nothing else.
    let _ = cache::write(&entry_dir, &state, &pkg.bytes);
    Ok(pkg)
}
