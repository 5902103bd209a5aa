//! The `build` setting of a function, checked against its runtime and code:
//! merged over `defaults.function.build` key by key, keys that do not apply
//! to the runtime reported where the function sets them (a default that
//! does not apply to one function's runtime is simply not used for it), the
//! requirements file found, and resolved into `model::Build`.

use std::path::Path;

use super::{Origin, Validator};
use crate::config::model::{Build, Bundle, CodeKind};
use crate::config::raw::{RawBuild, RawFunction};
use crate::config::read::{S, child};
use crate::config::runtimes::Family;

/// What `external` is when the config does not say: the AWS SDK v3, which
/// every Node.js runtime provides.
pub const DEFAULT_EXTERNAL: &str = "@aws-sdk/*";

/// The requirements file a Python function uses when none is set.
pub const DEFAULT_REQUIREMENTS: &str = "requirements.txt";

impl Validator<'_, '_, '_> {
    /// The function's build settings over the defaults', after reporting
    /// the function's own keys that do not apply to its runtime.
    pub(super) fn merged_build(
        &mut self,
        f: &RawFunction,
        d: &RawFunction,
        family: Option<Family>,
        origin: &Origin,
        runtime: &str,
    ) -> RawBuild {
        let empty = RawBuild::default();
        let own = f.build.as_ref().unwrap_or(&empty);
        let defaults = d.build.as_ref().unwrap_or(&empty);
        let applies = applicable_keys(family);
        let path = build_path(origin);
        for (key, pos) in &own.keys {
            if applies.contains(key) {
                continue;
            }
            let (msg, hint) = if applies.is_empty() {
                (
                    format!("`build` applies to Node.js and Python runtimes, not `{runtime}`"),
                    "remove `build` from this function: its code is shipped as it is",
                )
            } else {
                let kind = if RawBuild::NODE_KEYS.contains(key) {
                    "Node.js"
                } else {
                    "Python"
                };
                (
                    format!("`build.{key}` applies to {kind} runtimes, not `{runtime}`"),
                    "remove it from this function",
                )
            };
            self.err_hint(*pos, &child(&path, key), msg, hint);
        }
        let mut merged = strip(defaults, applies).merged(own);
        merged.keys.clone_from(&own.keys);
        merged
    }

    /// The resolved build of a function whose handler names `entry` in the
    /// code at `dir` (of `kind`). `None` after reporting a problem.
    pub(super) fn resolved_build(
        &mut self,
        build: &RawBuild,
        family: Option<Family>,
        (dir, kind): (&Path, CodeKind),
        entry: Option<String>,
        origin: &Origin,
    ) -> Option<Build> {
        match family {
            Some(Family::Node) if bundles(build, family, kind) => {
                let list = |v: &Option<Vec<S<String>>>| -> Option<Vec<String>> {
                    v.as_ref()
                        .map(|v| v.iter().map(|s| s.value.clone()).collect())
                };
                Some(Build::Bundle(Bundle {
                    entry: entry?,
                    external: list(&build.external)
                        .unwrap_or_else(|| vec![DEFAULT_EXTERNAL.to_owned()]),
                    install: list(&build.install).unwrap_or_default(),
                    minify: build.minify.as_ref().is_some_and(|b| b.value),
                    sourcemap: build.sourcemap.as_ref().is_some_and(|b| b.value),
                }))
            }
            Some(Family::Python) if kind == CodeKind::Directory => {
                self.requirements(build, dir, origin)
            }
            _ => Some(Build::Files),
        }
    }

    /// A Python function's requirements: the file set (which must exist),
    /// else `requirements.txt` at the top of the code when there is one.
    fn requirements(&mut self, build: &RawBuild, dir: &Path, origin: &Origin) -> Option<Build> {
        let Some(set) = &build.requirements else {
            let default = dir.join(DEFAULT_REQUIREMENTS);
            return Some(if default.is_file() {
                Build::Python {
                    requirements: default,
                }
            } else {
                Build::Files
            });
        };
        let file = dir.join(&set.value);
        if file.is_file() {
            return Some(Build::Python { requirements: file });
        }
        // Set by the function or by `defaults.function`.
        let path = if build.keys.iter().any(|(k, _)| *k == "requirements") {
            child(&build_path(origin), "requirements")
        } else {
            "defaults.function.build.requirements".to_owned()
        };
        let shown = if set.interpolated {
            "the interpolated requirements file".to_owned()
        } else {
            format!("`{}`", set.value)
        };
        self.err_hint(
            set.pos,
            &path,
            format!("requirements file {shown} not found in the code directory"),
            "the path is relative to `code`",
        );
        None
    }

    /// An explicit `bundle: true` on code shipped as a `.zip` is a mistake:
    /// a `.zip` is shipped as it is.
    pub(super) fn check_bundle_on_zip(
        &mut self,
        build: &RawBuild,
        kind: CodeKind,
        origin: &Origin,
    ) {
        if kind != CodeKind::Zip {
            return;
        }
        if let Some(b) = build.bundle.as_ref().filter(|b| b.value) {
            self.err_hint(
                b.pos,
                &child(&build_path(origin), "bundle"),
                "`bundle: true` needs a code directory: a `.zip` is shipped as it is",
                "point `code` at the directory with the sources, or remove `bundle`",
            );
        }
    }
}

/// Whether a Node.js function's code is bundled: by default, unless the
/// code is a `.zip`.
pub(super) fn bundles(build: &RawBuild, family: Option<Family>, kind: CodeKind) -> bool {
    family == Some(Family::Node)
        && kind == CodeKind::Directory
        && build.bundle.as_ref().is_none_or(|b| b.value)
}

/// The build keys that apply to a runtime family.
fn applicable_keys(family: Option<Family>) -> &'static [&'static str] {
    match family {
        Some(Family::Node) => RawBuild::NODE_KEYS,
        Some(Family::Python) => RawBuild::PYTHON_KEYS,
        // An unknown runtime is reported on its own.
        None => RawBuild::KEYS,
        Some(_) => &[],
    }
}

/// The key path of a function's `build` setting.
fn build_path(origin: &Origin) -> String {
    child(origin.body_path(), "build")
}

/// The default build settings without the keys that do not apply.
fn strip(d: &RawBuild, applies: &[&str]) -> RawBuild {
    let keep = |k: &str| applies.contains(&k);
    RawBuild {
        bundle: d.bundle.clone().filter(|_| keep("bundle")),
        external: d.external.clone().filter(|_| keep("external")),
        install: d.install.clone().filter(|_| keep("install")),
        minify: d.minify.clone().filter(|_| keep("minify")),
        sourcemap: d.sourcemap.clone().filter(|_| keep("sourcemap")),
        requirements: d.requirements.clone().filter(|_| keep("requirements")),
        keys: Vec::new(),
    }
}
