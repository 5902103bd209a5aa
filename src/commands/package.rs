//! `wsdeploy package [--out DIR]`: every function's package built offline
//! (no AWS call), written as `<function name>.zip` with a `manifest.json`
//! that CI can compare with what is live (`sha256` is Lambda's
//! `CodeSha256`). Offline: what decides a package may not come from SSM.

use std::path::Path;

use serde::Serialize;

use super::{Error, Exit};
use crate::build;
use crate::cli::Cli;
use crate::config::model::Config;
use crate::config::ssm;
use crate::output::Printer;

#[derive(Serialize)]
struct Manifest {
    functions: Vec<Entry>,
}

#[derive(Serialize)]
struct Entry {
    name: String,
    handler: String,
    runtime: String,
    architecture: String,
    zip: String,
    sha256: String,
    size: usize,
    files: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool: Option<String>,
}

/// Loads the config offline, as `package` builds: a value that decides a
/// package may not come from SSM (it is not read here).
pub fn load(cli: &Cli, printer: &Printer) -> Result<Config, Error> {
    let mut loaded = super::load(cli, true);
    let refused: Vec<_> = loaded
        .ssm
        .iter()
        .filter(|r| ssm::shapes_package(&r.path))
        .map(ssm::offline_package)
        .collect();
    if !refused.is_empty() {
        loaded.diagnostics.items.extend(refused);
        loaded.diagnostics.sort();
        loaded.config = None;
    }
    super::show(printer, loaded)
}

pub fn run(config: &Config, out: &Path, printer: &Printer) -> Result<Exit, Error> {
    let interactive = printer.interactive() && !printer.is_json();
    let verbose = printer.verbose;
    let packages = build::build_all(config, &|b| {
        if verbose || (interactive && !b.cached) {
            crate::output::say_line(&crate::output::built_line(&b));
        }
    })?;
    let write = |path: &Path, bytes: &[u8]| {
        std::fs::write(path, bytes).map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })
    };
    std::fs::create_dir_all(out).map_err(|source| Error::Write {
        path: out.to_path_buf(),
        source,
    })?;
    let mut functions = Vec::new();
    for f in config.functions.values() {
        let Some(p) = packages.get(&f.function_name) else {
            continue;
        };
        let zip = format!("{}.zip", f.function_name);
        write(&out.join(&zip), &p.bytes)?;
        functions.push(Entry {
            name: f.function_name.clone(),
            handler: f.handler.clone(),
            runtime: f.runtime.clone(),
            architecture: f.architecture.as_str().to_owned(),
            zip,
            sha256: p.sha256.clone(),
            size: p.size(),
            files: p.files.clone(),
            tool: p.tool.clone(),
        });
    }
    let manifest = Manifest { functions };
    let text = serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n";
    write(&out.join("manifest.json"), text.as_bytes())?;
    if printer.is_json() {
        printer.data(&text);
    } else {
        let mut s = String::new();
        for e in &manifest.functions {
            s.push_str(&format!(
                "{}  {}  {}\n",
                e.zip,
                crate::plan::human_size(e.size as u64),
                e.sha256
            ));
        }
        s.push_str(&format!(
            "{} packages and manifest.json in {}\n",
            manifest.functions.len(),
            out.display()
        ));
        printer.data(&s);
    }
    Ok(Exit::Ok)
}
