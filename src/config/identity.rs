//! `load_identity`: only what identifies a deployment (`app`, `stage`,
//! `region` and `domain`), for the commands that must work when the code is
//! gone or was never checked out (`remove`, `info`, `unlock`).
//!
//! The file goes through the same stages as for `load`: file checks, YAML,
//! interpolation of the whole tree (so secrets are redacted alike), then
//! only those four keys are read and validated. No other file is looked at:
//! no code directory, no handler. Diagnostics about the rest of the file,
//! interpolation errors there included, are dropped.

use std::path::Path;

use super::model::Config;
use super::node::{Node, Pos};
use super::raw::{Names, RawConfig, read_domain, read_names, top_level_fields};
use super::read::{Keyed, Reader};
use super::ssm::{Ssm, SsmRef};
use super::{LoadOptions, Loaded, config_dir, context, interpolate, load_with, parse, validate};
use crate::diagnostic::Diagnostics;

/// Loads `app`, `stage`, `region` and `domain` as `load` would, and
/// reports the problems located under them (and those of the file and its
/// YAML). The config has nothing else: no functions, routes, authorizer or
/// tags, and the default `api` (its default name, no access log).
///
/// Offline: none of these may come from SSM, and the rest of the file is
/// not looked at.
pub fn load_identity(path: &Path, opts: &LoadOptions) -> Loaded {
    load_with(path, opts, Ssm::Offline, identity_stages)
}

/// `load_identity` from text already in memory.
pub fn load_identity_text(
    path: &Path,
    text: &str,
    opts: &LoadOptions,
    diags: &mut Diagnostics,
) -> Option<Config> {
    identity_stages(path, text, opts, Ssm::Offline, diags, &mut Vec::new())
}

fn identity_stages(
    path: &Path,
    text: &str,
    opts: &LoadOptions,
    ssm: Ssm,
    diags: &mut Diagnostics,
    refs: &mut Vec<SsmRef>,
) -> Option<Config> {
    let mut root = parse(text, diags)?;
    let mut interpolation = Diagnostics::default();
    *refs = interpolate(&mut root, opts, ssm, &mut interpolation);
    diags.secrets.append(&mut interpolation.secrets);
    diags.items.extend(
        interpolation
            .items
            .into_iter()
            .filter(|d| is_identity_path(&d.path)),
    );
    let mut r = Reader { diags };
    let raw = read_identity(&mut r, &root)?;
    let dir = config_dir(path);
    validate::validate_identity(&mut r, &raw, &context(path, &dir, opts))
}

/// Reads only what identifies a deployment: `app`, `stage`, `region` and
/// `domain`. The other keys are neither read nor checked (unknown keys
/// included); the config it returns has no routes and nothing else.
fn read_identity(r: &mut Reader, root: &Node) -> Option<RawConfig> {
    let mut f = top_level_fields(r, root)?;
    let Names { app, stage, region } = read_names(r, &mut f);
    let domain = f.take("domain").and_then(|n| read_domain(r, n, "domain"));
    Some(RawConfig {
        app: app?,
        stage,
        region,
        api: None,
        defaults: None,
        functions: None,
        routes: Keyed::default(),
        authorizer: None,
        authorizer_pos: Pos::START,
        domain,
        tags: None,
    })
}

/// A key path under `app`, `stage`, `region` or `domain`.
fn is_identity_path(path: &str) -> bool {
    matches!(path, "app" | "stage" | "region" | "domain")
        || path.starts_with("domain.")
        || path.starts_with("domain[")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_paths() {
        for p in [
            "app",
            "stage",
            "region",
            "domain",
            "domain.name",
            "domain[0]",
        ] {
            assert!(is_identity_path(p), "{p}");
        }
        for p in [
            "",
            "apps",
            "domains",
            "routes.$connect",
            "functions.app",
            "tags.stage",
        ] {
            assert!(!is_identity_path(p), "{p}");
        }
    }
}
