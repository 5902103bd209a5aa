//! The raw `build` setting of a function: how its package is built
//! (docs/config.md, the contract's build.md). Read here, checked against
//! the function's runtime in `validate::build`.

use schemars::JsonSchema;

use crate::config::node::{Node, Pos};
use crate::config::read::{Reader, S};

/// How the function's package is built. Merged key by key over `defaults.function.build`.
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(rename_all = "camelCase", deny_unknown_fields, rename = "Build")]
pub struct RawBuild {
    /// Node.js: bundle the handler's import graph with esbuild (default `true`). `false` zips the code directory as it is.
    pub bundle: Option<S<bool>>,
    /// Node.js: packages left out of the bundle (default `["@aws-sdk/*"]`, which the runtime provides).
    pub external: Option<Vec<S<String>>>,
    /// Node.js: packages shipped from `node_modules` as installed, with their production dependencies (native modules).
    pub install: Option<Vec<S<String>>>,
    /// Node.js: minify the bundle (default `false`).
    pub minify: Option<S<bool>>,
    /// Node.js: ship a source map and set `NODE_OPTIONS=--enable-source-maps` (default `false`).
    pub sourcemap: Option<S<bool>>,
    /// Python: the requirements file, relative to `code` (default `requirements.txt` when present).
    pub requirements: Option<S<String>>,
    /// Where each key that is set is written, for messages about the key.
    #[schemars(skip)]
    pub keys: Vec<(&'static str, Pos)>,
}

impl RawBuild {
    pub const KEYS: &'static [&'static str] = &[
        "bundle",
        "external",
        "install",
        "minify",
        "sourcemap",
        "requirements",
    ];
    /// The keys that apply to Node.js runtimes.
    pub const NODE_KEYS: &'static [&'static str] =
        &["bundle", "external", "install", "minify", "sourcemap"];
    /// The keys that apply to Python runtimes.
    pub const PYTHON_KEYS: &'static [&'static str] = &["requirements"];

    /// This setting with `over`'s keys winning, key by key.
    pub fn merged(&self, over: &RawBuild) -> RawBuild {
        RawBuild {
            bundle: over.bundle.clone().or_else(|| self.bundle.clone()),
            external: over.external.clone().or_else(|| self.external.clone()),
            install: over.install.clone().or_else(|| self.install.clone()),
            minify: over.minify.clone().or_else(|| self.minify.clone()),
            sourcemap: over.sourcemap.clone().or_else(|| self.sourcemap.clone()),
            requirements: over
                .requirements
                .clone()
                .or_else(|| self.requirements.clone()),
            keys: Vec::new(),
        }
    }
}

pub fn read_build(r: &mut Reader, node: &Node, path: &str) -> Option<RawBuild> {
    let mut f = r.fields(node, path, RawBuild::KEYS)?;
    let mut build = RawBuild::default();
    for &key in RawBuild::KEYS {
        let Some(entry) = f.take_entry(key) else {
            continue;
        };
        build.keys.push((key, entry.key_pos));
        let n = &entry.value;
        if n.is_null() {
            continue;
        }
        let at = f.path_of(key);
        match key {
            "bundle" => build.bundle = r.boolean(n, &at),
            "minify" => build.minify = r.boolean(n, &at),
            "sourcemap" => build.sourcemap = r.boolean(n, &at),
            "external" => build.external = r.string_list(n, &at),
            "install" => build.install = r.string_list(n, &at),
            _ => build.requirements = r.string(n, &at),
        }
    }
    f.finish(r);
    Some(build)
}
