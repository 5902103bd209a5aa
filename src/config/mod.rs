//! The configuration pipeline: file → YAML tree → interpolation → raw types
//! → validated model.
//!
//! `load` never panics and never stops at the first problem: it returns
//! every diagnostic it found, and the model only when there are no errors.
//! Each stage is its own module:
//! - `node`: YAML text to a positioned tree (serde-saphyr, with budgets);
//! - `interpolate`: `${...}` in string values (`ssm`: the values from SSM
//!   Parameter Store, read by the commands and handed in);
//! - `read` + `raw`: the tree to typed raw structs (the JSON Schema's source);
//! - `validate`: meaning, merges and names, into `model`;
//! - `handler`: what a handler string names in a code directory.
//!
//! `load_identity` (in `identity`) runs the same stages for `app`, `stage`,
//! `region` and `domain` only, without looking at the code.

pub mod filter;
pub mod handler;
mod identity;
pub mod interpolate;
pub mod model;
pub mod node;
pub mod raw;
pub mod read;
pub mod runtimes;
pub mod ssm;
pub mod validate;

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Diagnostics};
use interpolate::{EnvLookup, Vars, interpolate_str, interpolate_tree};
use model::Config;
use node::{Node, Pos, Value};
use read::Reader;
use ssm::{Ssm, SsmRef, SsmValues};

pub use identity::{load_identity, load_identity_text};

/// A config larger than this is refused before parsing: real ones are a
/// few kilobytes (a 300-route file is about 15 KB).
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Inputs to loading that do not come from the file.
pub struct LoadOptions<'a> {
    /// `--stage`.
    pub stage: Option<&'a str>,
    /// `--region`.
    pub region: Option<&'a str>,
    /// The region from the environment (`AWS_REGION`, `AWS_DEFAULT_REGION`),
    /// used when neither `--region` nor the file names one.
    pub env_region: Option<&'a str>,
    /// Environment lookup for `${env:...}`.
    pub env: EnvLookup<'a>,
}

/// What loading produced.
#[derive(Debug)]
pub struct Loaded {
    pub file: PathBuf,
    /// The text, when it could be read: for source snippets.
    pub source: Option<String>,
    pub diagnostics: Diagnostics,
    /// Present only when there is no error.
    pub config: Option<Config>,
    /// Every `${ssm:...}` in the file (that interpolation reached).
    pub ssm: Vec<SsmRef>,
}

/// Loads offline: `${ssm:...}` is a placeholder (see `config::ssm`).
pub fn load(path: &Path, opts: &LoadOptions) -> Loaded {
    load_with(path, opts, Ssm::Offline, load_text_ssm)
}

/// Loads with the values read from SSM Parameter Store for the names that
/// `load` found (`Loaded::ssm`); a name without a value does not exist.
pub fn load_resolved(path: &Path, opts: &LoadOptions, values: &SsmValues) -> Loaded {
    load_with(path, opts, Ssm::Values(values), load_text_ssm)
}

/// Loads with the values of `${ssm:...}`: offline first; when the file
/// names parameters, asks `read` for those not in `known` (with the config
/// loaded offline, for its region and names), adds what it found to
/// `known`, and loads again with them. Parameters that were not found are
/// asked for again next time: they may have been created since. Ends with
/// `read`'s error when it fails.
pub fn load_reading<E>(
    path: &Path,
    opts: &LoadOptions,
    known: &mut SsmValues,
    read: impl FnOnce(&Config, &[String]) -> Result<SsmValues, E>,
) -> Result<Loaded, E> {
    let offline = load(path, opts);
    let Some(config) = offline.config.as_ref().filter(|_| !offline.ssm.is_empty()) else {
        return Ok(offline);
    };
    let wanted: Vec<String> = ssm::names(&offline.ssm)
        .into_iter()
        .filter(|name| !known.contains_key(name))
        .collect();
    if !wanted.is_empty() {
        known.extend(read(config, &wanted)?);
    }
    Ok(load_resolved(path, opts, known))
}

/// The stages from text to model: `path`, `text`, the options, what
/// `${ssm:...}` becomes; they fill in the diagnostics and the references.
type Stages =
    fn(&Path, &str, &LoadOptions, Ssm, &mut Diagnostics, &mut Vec<SsmRef>) -> Option<Config>;

/// Reads the file at `path` and turns its text into a model with `stages`.
fn load_with(path: &Path, opts: &LoadOptions, ssm: Ssm, stages: Stages) -> Loaded {
    let mut diags = Diagnostics::default();
    let mut refs = Vec::new();
    let source = read_source(path, &mut diags);
    let config = source
        .as_deref()
        .and_then(|text| stages(path, text, opts, ssm, &mut diags, &mut refs));
    diags.redact();
    diags.sort();
    Loaded {
        file: path.to_path_buf(),
        source,
        config: config.filter(|_| !diags.has_errors()),
        diagnostics: diags,
        ssm: refs,
    }
}

/// Loads from text already in memory (tests, fuzzing), offline. `path`
/// locates relative `code` directories.
pub fn load_text(
    path: &Path,
    text: &str,
    opts: &LoadOptions,
    diags: &mut Diagnostics,
) -> Option<Config> {
    load_text_ssm(path, text, opts, Ssm::Offline, diags, &mut Vec::new())
}

/// `load_text` with `${ssm:...}` as `ssm` says; the references found go
/// to `refs`.
pub fn load_text_ssm(
    path: &Path,
    text: &str,
    opts: &LoadOptions,
    ssm: Ssm,
    diags: &mut Diagnostics,
    refs: &mut Vec<SsmRef>,
) -> Option<Config> {
    let mut root = parse(text, diags)?;
    *refs = interpolate(&mut root, opts, ssm, diags);
    let mut r = Reader { diags };
    let raw = raw::read_config(&mut r, &root)?;
    let dir = config_dir(path);
    validate::validate(&mut r, &raw, &context(path, &dir, opts))
}

/// The YAML tree of the file, which must be a mapping (or empty).
fn parse(text: &str, diags: &mut Diagnostics) -> Option<Node> {
    let root = match node::parse(text) {
        Ok(root) => root,
        Err(e) => {
            diags.push(
                Diagnostic::error(e.pos.or(Some(Pos::START)), "", e.message)
                    .with_hint_opt(yaml_hint(text)),
            );
            return None;
        }
    };
    if !matches!(root.value, Value::Map(_) | Value::Null) {
        diags.push(
            Diagnostic::error(
                Some(root.pos),
                "",
                format!(
                    "expected a mapping at the top level, found {}",
                    root.value.kind()
                ),
            )
            .with_hint("a wsdeploy.yml starts with `app: <name>`"),
        );
        return None;
    }
    Some(root)
}

/// Replaces every `${...}` in the tree: `app`, `stage` and `region` first,
/// since the rest of the file may use them. Returns the `${ssm:...}`
/// references; none may be in `app`, `stage`, `region` or `domain`.
fn interpolate(
    root: &mut Node,
    opts: &LoadOptions,
    ssm: Ssm,
    diags: &mut Diagnostics,
) -> Vec<SsmRef> {
    let no_vars = Vars {
        ssm: Ssm::Refused,
        ..Vars::default()
    };
    let mut vars = Vars {
        ssm,
        ..Vars::default()
    };
    for key in ["app", "stage", "region"] {
        if let Some(n) = top_level(root, key) {
            if let Value::Str(s) = &n.value
                && let Some(out) = interpolate_str(s, n.pos, key, &no_vars, opts.env, diags)
            {
                n.interpolated |= out != *s;
                n.value = Value::Str(out);
            }
            if let Value::Str(s) = &n.value {
                let v = Some(s.clone());
                match key {
                    "app" => vars.app = v,
                    "stage" => vars.stage = v,
                    _ => vars.region = v,
                }
            }
        }
    }
    // app, stage and region name every resource and are printed anyway;
    // only values read further down count as secrets.
    diags.secrets.clear();
    vars.stage = opts
        .stage
        .map(str::to_owned)
        .or(vars.stage)
        .or(Some("dev".to_owned()));
    vars.region = opts
        .region
        .map(str::to_owned)
        .or(vars.region)
        .or(opts.env_region.map(str::to_owned));
    if let Value::Map(entries) = &mut root.value {
        for e in entries
            .iter_mut()
            .filter(|e| !["app", "stage", "region"].contains(&e.key.as_str()))
        {
            vars.ssm = if e.key == "domain" { Ssm::Refused } else { ssm };
            interpolate_tree(&mut e.value, &e.key, &vars, opts.env, diags);
        }
    }
    vars.ssm_refs.into_inner()
}

/// The directory of the config file: `code` paths are relative to it.
fn config_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn context<'a>(path: &'a Path, dir: &'a Path, opts: &LoadOptions<'a>) -> validate::Context<'a> {
    validate::Context {
        dir,
        file: path,
        stage_override: opts.stage,
        region_override: opts.region,
        region_fallback: opts.env_region,
    }
}

fn top_level<'a>(root: &'a mut Node, key: &str) -> Option<&'a mut Node> {
    match &mut root.value {
        Value::Map(entries) => entries
            .iter_mut()
            .find(|e| e.key == key)
            .map(|e| &mut e.value),
        _ => None,
    }
}

/// A hint for the YAML mistakes people make most.
fn yaml_hint(text: &str) -> Option<String> {
    if text.contains('\t') {
        return Some("YAML indentation must use spaces, not tabs".to_owned());
    }
    None
}

/// Reads the file with the checks that keep bad input cheap: it must be a
/// regular file, at most `MAX_FILE_BYTES`, UTF-8 text.
fn read_source(path: &Path, diags: &mut Diagnostics) -> Option<String> {
    let fail = |diags: &mut Diagnostics, msg: String, hint: Option<String>| {
        diags.push(Diagnostic::error(None, "", msg).with_hint_opt(hint));
        None
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return fail(diags, "no such file".to_owned(), Some("give the config with `-c <file>`; the default is `wsdeploy.yml` in the current directory".to_owned()));
        }
        Err(e) => return fail(diags, format!("cannot read the file: {e}"), None),
    };
    if meta.is_dir() {
        let hint = path
            .join("wsdeploy.yml")
            .is_file()
            .then(|| format!("did you mean `{}`?", path.join("wsdeploy.yml").display()));
        return fail(
            diags,
            "this is a directory, not a config file".to_owned(),
            hint,
        );
    }
    if meta.len() > MAX_FILE_BYTES {
        return fail(
            diags,
            format!(
                "the file is {} bytes; a wsdeploy config is at most {MAX_FILE_BYTES}",
                meta.len()
            ),
            Some("is this the right file?".to_owned()),
        );
    }
    let mut bytes = Vec::new();
    let read =
        std::fs::File::open(path).and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes));
    if let Err(e) = read {
        return fail(diags, format!("cannot read the file: {e}"), None);
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return fail(
            diags,
            format!("the file is larger than {MAX_FILE_BYTES} bytes"),
            Some("is this the right file?".to_owned()),
        );
    }
    if bytes.contains(&0) {
        return fail(
            diags,
            "this looks like a binary file, not YAML".to_owned(),
            Some("is this the right file?".to_owned()),
        );
    }
    let bytes = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .map(<[u8]>::to_vec)
        .unwrap_or(bytes);
    match String::from_utf8(bytes) {
        Ok(s) => Some(s),
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
            let col = String::from_utf8_lossy(valid.rsplit(|b| *b == b'\n').next().unwrap_or(&[]))
                .chars()
                .count()
                + 1;
            diags.push(
                Diagnostic::error(
                    Some(Pos {
                        line: line as u32,
                        column: col as u32,
                        len: 1,
                    }),
                    "",
                    "the file is not valid UTF-8",
                )
                .with_hint("save it as UTF-8"),
            );
            None
        }
    }
}
