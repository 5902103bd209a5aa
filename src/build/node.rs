//! Node.js functions: one esbuild bundle per function, from its handler's
//! file, so a function ships only what it imports.
//!
//! The bundle targets the function's runtime (`node20`, `node22`, ...), is
//! written where the handler string still finds it (`src/connect.ts` →
//! `src/connect.mjs` for `src/connect.handler`), and leaves out what
//! `external` names (the AWS SDK v3 by default: the runtime has it).
//! ESM output by default, with `require` defined for bundled CommonJS
//! code; an entry that is itself CommonJS is bundled as CommonJS. Packages
//! listed in `install` are copied from `node_modules` with their
//! production dependencies instead of being bundled (native modules).
//!
//! esbuild runs in the code directory, so what it writes (the comments
//! naming each module, a source map's `sources`) holds paths relative to
//! the project: the same bytes from any checkout. Its metafile lists the
//! inputs; the build cache keys on their contents.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::cache::{self, State};
use super::package::{self, Entry, Package, PackageError};
use crate::config::model::Bundle;

/// Defines `require` in an ESM bundle, for the CommonJS code in it that
/// calls `require` on Node's own modules.
const REQUIRE_SHIM: &str = "import { createRequire as __wsdeployCreateRequire } from 'node:module'; const require = __wsdeployCreateRequire(import.meta.url);";

/// Why a Node.js function could not be bundled.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("esbuild was not found in a `node_modules` above `{}`, and ESBUILD_BINARY_PATH is not set", dir.display())]
    NoEsbuild { dir: PathBuf },
    #[error("running esbuild (`{}`): {source}", path.display())]
    Spawn {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// esbuild's own report, with its `file:line:column` lines.
    #[error("esbuild could not bundle `{entry}`:\n{report}")]
    Bundle { entry: String, report: String },
    #[error("the bundle of `{entry}` has no export `{export}` (it exports: {found})")]
    NoExport {
        entry: String,
        export: String,
        found: String,
    },
    #[error("`{package}` (in `build.install`) is not in a `node_modules` above `{}`", dir.display())]
    NotInstalled { package: String, dir: PathBuf },
    #[error("reading esbuild's metafile `{}`: {detail}", path.display())]
    Metafile { path: PathBuf, detail: String },
    #[error("the build cache at `{}`: {source}", path.display())]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Package(#[from] PackageError),
}

impl NodeError {
    /// What to do about it, when wsdeploy knows.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            NodeError::NoEsbuild { .. } => Some(
                "install it in the project: `npm install --save-dev esbuild` (or set ESBUILD_BINARY_PATH)",
            ),
            NodeError::Bundle { report, .. }
                if report.contains(".node\"") || report.contains(".node:") =>
            {
                Some("a native module cannot be bundled: list its package under `build.install`")
            }
            NodeError::NoExport { .. } => {
                Some("export the function the handler names, or change the handler's export name")
            }
            NodeError::NotInstalled { .. } => Some("run `npm install` in the project"),
            _ => None,
        }
    }
}

/// The esbuild this project uses.
#[derive(Debug, Clone)]
pub struct Esbuild {
    pub path: PathBuf,
    /// Size and modification time of the binary: part of every cache key,
    /// without running it.
    identity: String,
}

impl Esbuild {
    /// esbuild from the nearest `node_modules` above `code_dir` (the
    /// platform's native binary when npm installed it, else the package's
    /// launcher), else `ESBUILD_BINARY_PATH`.
    pub fn find(code_dir: &Path) -> Result<Esbuild, NodeError> {
        let native = format!("@esbuild/{}-{}", npm_os(), npm_arch());
        let found = code_dir.ancestors().find_map(|dir| {
            let modules = dir.join("node_modules");
            [
                modules.join(&native).join("bin/esbuild"),
                modules.join("esbuild/bin/esbuild"),
            ]
            .into_iter()
            .find(|p| p.is_file())
        });
        let path = found
            .or_else(|| std::env::var_os("ESBUILD_BINARY_PATH").map(PathBuf::from))
            .filter(|p| p.is_file())
            .ok_or_else(|| NodeError::NoEsbuild {
                dir: code_dir.to_path_buf(),
            })?;
        let meta = std::fs::metadata(&path).map_err(|source| NodeError::Spawn {
            path: path.clone(),
            source,
        })?;
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        Ok(Esbuild {
            identity: format!("{}:{}:{modified}", path.display(), meta.len()),
            path,
        })
    }

    /// `esbuild 0.25.0`, asked of the binary.
    pub fn version(&self) -> Result<String, NodeError> {
        let out = Command::new(&self.path)
            .arg("--version")
            .output()
            .map_err(|source| NodeError::Spawn {
                path: self.path.clone(),
                source,
            })?;
        Ok(format!(
            "esbuild {}",
            String::from_utf8_lossy(&out.stdout).trim()
        ))
    }
}

fn npm_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        os => os,
    }
}

fn npm_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        arch => arch,
    }
}

/// What to bundle.
pub struct Job<'a> {
    /// The Lambda function's name (the cache entry's name).
    pub function: &'a str,
    pub code_dir: &'a Path,
    pub runtime: &'a str,
    /// The handler string (`src/connect.handler`).
    pub handler: &'a str,
    pub bundle: &'a Bundle,
}

/// Bundles a function, or takes its bundle from the cache when nothing it
/// was built from changed.
pub fn build(job: &Job, esbuild: &Esbuild, cache_root: &Path) -> Result<Package, NodeError> {
    let entry_dir = cache_root.join("node").join(job.function);
    let key = key(job, esbuild);
    if let Some((state, zip)) = cache::read(&entry_dir)
        && state.fresh(&key, job.code_dir)
    {
        return Ok(package::from_zip_bytes(zip, state.files, state.tool));
    }
    // Each build writes in a directory of its own: two runs on one project
    // (a deploy while dev serves it) must not clean up each other's output.
    static BUILDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out_dir = entry_dir.join(format!("out-{}-{n}", std::process::id()));
    let built = bundle_into(job, esbuild, &out_dir);
    let _ = std::fs::remove_dir_all(&out_dir);
    let (mut package, inputs) = built?;
    package.tool = esbuild.version().ok();
    let state = State {
        format: cache::FORMAT,
        key,
        inputs,
        files: package.files.clone(),
        tool: package.tool.clone(),
    };
    cache::write(&entry_dir, &state, &package.bytes).map_err(|source| NodeError::Cache {
        path: entry_dir.clone(),
        source,
    })?;
    Ok(package)
}

/// Runs esbuild into `out_dir` and zips what it wrote (with the `install`
/// packages); returns the package and the hash of every input.
fn bundle_into(
    job: &Job,
    esbuild: &Esbuild,
    out_dir: &Path,
) -> Result<(Package, BTreeMap<String, String>), NodeError> {
    let (format, meta) = run_esbuild(job, esbuild, out_dir, Format::Esm).and_then(|meta| {
        match entry_format(&meta, &job.bundle.entry) {
            // A CommonJS entry's exports are only reachable from CommonJS.
            Some("cjs") => {
                let _ = std::fs::remove_dir_all(out_dir);
                run_esbuild(job, esbuild, out_dir, Format::Cjs).map(|m| (Format::Cjs, m))
            }
            _ => Ok((Format::Esm, meta)),
        }
    })?;
    if format == Format::Esm {
        check_export(job, &meta)?;
    }
    if job.bundle.sourcemap {
        relocate_sources(job, out_dir, format)?;
    }
    let mut inputs = input_hashes(&meta, job.code_dir);
    let mut entries = output_entries(job, out_dir, format);
    for pkg in installed(job)? {
        for (name, source) in package_files(&pkg.dir, &pkg.name) {
            if let Ok(h) = cache::hash_file(&source)
                && let Some(rel) = relative(&source, job.code_dir)
            {
                inputs.insert(rel, h);
            }
            entries.push(Entry { name, source });
        }
    }
    let package = package::zip_entries(entries, job.code_dir)?;
    Ok((package, inputs))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Esm,
    Cjs,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Esm => "mjs",
            Format::Cjs => "cjs",
        }
    }
}

/// Everything a bundle depends on besides its input files.
fn key(job: &Job, esbuild: &Esbuild) -> String {
    let b = job.bundle;
    cache::sha256_hex(
        format!(
            "{}\0{}\0{}\0{}\0{}\0{:?}\0{:?}\0{}\0{}\0{}",
            cache::FORMAT,
            // A new wsdeploy may build differently.
            env!("CARGO_PKG_VERSION"),
            esbuild.identity,
            job.runtime,
            job.handler,
            b.external,
            b.install,
            b.entry,
            b.minify,
            b.sourcemap
        )
        .as_bytes(),
    )
}

/// `nodejs22.x` → `node22`.
fn target(runtime: &str) -> String {
    let version: String = runtime
        .trim_start_matches("nodejs")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    format!("node{}", if version.is_empty() { "20" } else { &version })
}

/// Where the bundle goes in the zip: the entry's path with the output's
/// extension, so that the handler string finds it.
fn output_name(entry: &str, format: Format) -> String {
    let stem = entry.rsplit_once('.').map_or(entry, |(s, _)| s);
    format!("{stem}.{}", format.extension())
}

fn run_esbuild(
    job: &Job,
    esbuild: &Esbuild,
    out_dir: &Path,
    format: Format,
) -> Result<serde_json::Value, NodeError> {
    let b = job.bundle;
    let outfile = out_dir.join(output_name(&b.entry, format));
    let metafile = out_dir.join("meta.json");
    let mut cmd = Command::new(&esbuild.path);
    cmd.current_dir(job.code_dir)
        .arg(&b.entry)
        .arg("--bundle")
        .arg("--platform=node")
        .arg(format!("--target={}", target(job.runtime)))
        .arg(format!("--outfile={}", outfile.display()))
        .arg(format!("--metafile={}", metafile.display()))
        .arg("--log-level=error")
        .arg("--color=false")
        .arg("--charset=utf8");
    match format {
        Format::Esm => cmd
            .arg("--format=esm")
            .arg("--main-fields=module,main")
            .arg(format!("--banner:js={REQUIRE_SHIM}")),
        Format::Cjs => cmd.arg("--format=cjs"),
    };
    for e in b.external.iter().chain(&b.install) {
        cmd.arg(format!("--external:{e}"));
    }
    if b.minify {
        cmd.arg("--minify");
    }
    if b.sourcemap {
        cmd.arg("--sourcemap");
    }
    let out = cmd.output().map_err(|source| NodeError::Spawn {
        path: esbuild.path.clone(),
        source,
    })?;
    if !out.status.success() {
        return Err(NodeError::Bundle {
            entry: b.entry.clone(),
            report: String::from_utf8_lossy(&out.stderr).trim_end().to_owned(),
        });
    }
    let text = std::fs::read(&metafile).map_err(|e| NodeError::Metafile {
        path: metafile.clone(),
        detail: e.to_string(),
    })?;
    serde_json::from_slice(&text).map_err(|e| NodeError::Metafile {
        path: metafile,
        detail: e.to_string(),
    })
}

/// Makes a source map's `sources` relative to where the bundle lies in the
/// zip (esbuild writes them relative to the build cache), so that stack
/// traces name the project's files: `src/greet.mjs.map` lists `greet.ts`
/// and `lib/shared.ts`, not `../../../../src/greet.ts`.
fn relocate_sources(job: &Job, out_dir: &Path, format: Format) -> Result<(), NodeError> {
    let name = output_name(&job.bundle.entry, format);
    let map_path = out_dir.join(format!("{name}.map"));
    let bad = |detail: String| NodeError::Metafile {
        path: map_path.clone(),
        detail,
    };
    let text = std::fs::read(&map_path).map_err(|e| bad(e.to_string()))?;
    let mut map: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| bad(e.to_string()))?;
    let bundle_dir = out_dir.join(&name);
    let bundle_dir = bundle_dir.parent().unwrap_or(out_dir);
    let zip_dir = Path::new(&name).parent().unwrap_or(Path::new(""));
    if let Some(sources) = map["sources"].as_array_mut() {
        for s in sources.iter_mut() {
            let Some(rel) = s.as_str() else { continue };
            let in_code = normalize(&bundle_dir.join(rel))
                .strip_prefix(normalize(job.code_dir))
                .map(Path::to_path_buf);
            if let Ok(in_code) = in_code {
                *s = serde_json::Value::String(relative_between(zip_dir, &in_code));
            }
        }
    }
    let text = serde_json::to_vec(&map).map_err(|e| bad(e.to_string()))?;
    std::fs::write(&map_path, text).map_err(|e| bad(e.to_string()))
}

/// A path with `.` and `..` resolved lexically.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// `to` relative to the directory `from` (both relative to one root), with
/// `/` separators.
fn relative_between(from: &Path, to: &Path) -> String {
    let from: Vec<_> = from.components().collect();
    let to_parts: Vec<_> = to.components().collect();
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<String> = vec!["..".to_owned(); from.len() - common];
    parts.extend(
        to_parts[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// The module format esbuild saw in the entry (`esm` or `cjs`).
fn entry_format<'m>(meta: &'m serde_json::Value, entry: &str) -> Option<&'m str> {
    meta["inputs"][entry]["format"].as_str()
}

/// The export the handler names (`src/connect.handler` → `handler`) is in
/// the bundle's exports.
fn check_export(job: &Job, meta: &serde_json::Value) -> Result<(), NodeError> {
    let base = job.handler.rsplit('/').next().unwrap_or(job.handler);
    let Some(export) = base.split('.').nth(1) else {
        return Ok(());
    };
    let outputs = meta["outputs"].as_object();
    let exports: Vec<&str> = outputs
        .into_iter()
        .flatten()
        .filter(|(name, o)| !name.ends_with(".map") && o["entryPoint"].is_string())
        .flat_map(|(_, o)| o["exports"].as_array().into_iter().flatten())
        .filter_map(|e| e.as_str())
        .collect();
    if exports.contains(&export) {
        return Ok(());
    }
    Err(NodeError::NoExport {
        entry: job.bundle.entry.clone(),
        export: export.to_owned(),
        found: if exports.is_empty() {
            "nothing".to_owned()
        } else {
            exports.join(", ")
        },
    })
}

/// The hash of every file esbuild read, by its path relative to the code
/// directory.
fn input_hashes(meta: &serde_json::Value, code_dir: &Path) -> BTreeMap<String, String> {
    meta["inputs"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(rel, _)| {
            let h = cache::hash_file(&code_dir.join(rel)).ok()?;
            Some((rel.clone(), h))
        })
        .collect()
}

/// The bundle (and its source map) as zip entries.
fn output_entries(job: &Job, out_dir: &Path, format: Format) -> Vec<Entry> {
    let name = output_name(&job.bundle.entry, format);
    let mut entries = vec![Entry {
        source: out_dir.join(&name),
        name: name.clone(),
    }];
    if job.bundle.sourcemap {
        let map = format!("{name}.map");
        entries.push(Entry {
            source: out_dir.join(&map),
            name: map,
        });
    }
    entries
}

/// A package from `node_modules`.
struct Installed {
    name: String,
    dir: PathBuf,
}

/// The packages `install` names and their production dependencies,
/// resolved as Node does (the nearest `node_modules` up from the requirer).
fn installed(job: &Job) -> Result<Vec<Installed>, NodeError> {
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    let mut todo: Vec<(String, PathBuf)> = job
        .bundle
        .install
        .iter()
        .map(|p| (p.clone(), job.code_dir.to_path_buf()))
        .collect();
    while let Some((name, from)) = todo.pop() {
        if !done.insert(name.clone()) {
            continue;
        }
        let Some(dir) = from
            .ancestors()
            .map(|d| d.join("node_modules").join(&name))
            .find(|d| d.join("package.json").is_file())
        else {
            // A dependency of an installed package that is optional or
            // missing is the package's business; a listed one is ours.
            if job.bundle.install.contains(&name) {
                return Err(NodeError::NotInstalled {
                    package: name,
                    dir: job.code_dir.to_path_buf(),
                });
            }
            continue;
        };
        for dep in dependencies(&dir) {
            todo.push((dep, dir.clone()));
        }
        out.push(Installed { name, dir });
    }
    Ok(out)
}

/// The production dependencies a package declares.
fn dependencies(dir: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read(dir.join("package.json")) else {
        return Vec::new();
    };
    let json: serde_json::Value = serde_json::from_slice(&text).unwrap_or_default();
    ["dependencies", "optionalDependencies"]
        .iter()
        .filter_map(|k| json[*k].as_object())
        .flat_map(|m| m.keys().cloned())
        .collect()
}

/// Every file of an installed package, as `node_modules/<name>/...`.
fn package_files(dir: &Path, name: &str) -> Vec<(String, PathBuf)> {
    let all = crate::config::filter::FileFilter::new(Vec::new(), Vec::new());
    let files = all
        .ok()
        .and_then(|f| package::list_files(dir, &f).ok())
        .unwrap_or_default();
    files
        .into_iter()
        .map(|rel| (format!("node_modules/{name}/{rel}"), dir.join(rel)))
        .collect()
}

fn relative(path: &Path, base: &Path) -> Option<String> {
    path.strip_prefix(base)
        .ok()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_output_names() {
        assert_eq!(target("nodejs22.x"), "node22");
        assert_eq!(target("nodejs20.x"), "node20");
        assert_eq!(
            output_name("src/connect.ts", Format::Esm),
            "src/connect.mjs"
        );
        assert_eq!(output_name("src/a.b.cts", Format::Cjs), "src/a.b.cjs");
    }

    #[test]
    fn source_paths_relative_to_the_bundle_in_the_zip() {
        assert_eq!(
            relative_between(Path::new("src"), Path::new("src/lib/shared.ts")),
            "lib/shared.ts"
        );
        assert_eq!(
            relative_between(Path::new("src/a"), Path::new("lib/x.ts")),
            "../../lib/x.ts"
        );
        assert_eq!(
            normalize(Path::new(
                "/p/.wsdeploy/build/node/f/out/src/../../../../../../src/g.ts"
            )),
            PathBuf::from("/p/src/g.ts")
        );
    }
}
