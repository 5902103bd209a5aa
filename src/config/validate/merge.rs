//! Merging `defaults.function` into a function body, and the checks that
//! need the merged result: the function's name length, its code and the
//! handler file in it (through `config::handler`), the `bootstrap` of an
//! OS-only runtime, the environment's size and the layer and tag counts.
//!
//! The function's own scalars win; `environment` and `tags` merge key by
//! key (`build`, `logs` and `vpc` too, in their own modules); `permissions`
//! and `layers` are concatenated, defaults first, without duplicates
//! (`managedPolicies` too, in `settings`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::build::bundles;
use super::checks::{is_action, is_resource};
use super::{
    DEFAULT_RUNTIME, INJECTED_ENV_BYTES, MAX_ENV_BYTES, MAX_LAYERS, MAX_NAME, MAX_TAGS, Origin,
    Validator,
};
use crate::config::filter::FileFilter;
use crate::config::handler::{self, HandlerError, Lookup};
use crate::config::model::{Architecture, Build, Code, CodeKind, Function, Statement};
use crate::config::raw::{RawFunction, RawPermission};
use crate::config::read::{S, child, plain, shown_s};
use crate::config::runtimes::{self, Family};
use crate::names::function_name;

/// A resolved `code` setting, for handler messages.
struct CodeAt<'a> {
    dir: &'a Path,
    kind: CodeKind,
    /// The setting as written (`.` by default).
    setting: &'a str,
    /// The handler's file is bundled (Node.js).
    bundled: bool,
}

/// The function's value of a setting, or else the default's.
fn pick<'a, T>(f: &'a Option<T>, d: &'a Option<T>) -> Option<&'a T> {
    f.as_ref().or(d.as_ref())
}

impl Validator<'_, '_, '_> {
    /// Merges `defaults` and a function body into a resolved function and
    /// checks what needs the merged result: the handler and its file, the
    /// environment's size, the layer count, the names. `None` after
    /// reporting a problem.
    pub(super) fn merge_function(
        &mut self,
        name: &str,
        defaults: Option<&RawFunction>,
        f: &RawFunction,
        origin: &Origin,
        global_tags: &BTreeMap<String, String>,
    ) -> Option<Function> {
        let empty = RawFunction::default();
        let d = defaults.unwrap_or(&empty);
        let function_name = self.checked_function_name(name, origin);
        let runtime = pick(&f.runtime, &d.runtime)
            .map_or(DEFAULT_RUNTIME, |r| r.value.as_str())
            .to_owned();
        let code = self.resolve_code(name, f, d, origin, &runtime);
        let environment = self.merge_environment(name, f, d, origin);
        let layers = self.merge_layers(name, f, d, origin);
        let tags = self.merge_tags(name, f, d, origin, global_tags);
        let logs = self.merged_logs(f, d, origin);
        let settings = self.merged_settings(name, f, d, origin);
        let (
            Some(function_name),
            Some((handler, code, build)),
            Some(environment),
            Some(layers),
            Some(tags),
            Some(logs),
            Some(settings),
        ) = (
            function_name,
            code,
            environment,
            layers,
            tags,
            logs,
            settings,
        )
        else {
            return None;
        };
        let memory = pick(&f.memory_size, &d.memory_size).map_or(128, |m| m.value);
        let timeout = pick(&f.timeout, &d.timeout).map_or(6, |t| t.value);
        Some(Function {
            name: name.to_owned(),
            function_name,
            handler,
            runtime,
            code,
            memory_size: u32::try_from(memory).ok()?,
            timeout: u32::try_from(timeout).ok()?,
            architecture: pick(&f.architecture, &d.architecture)
                .map_or(Architecture::X86_64, |a| a.value),
            environment,
            // A role wsdeploy does not make takes no statements from it.
            permissions: match settings.role {
                Some(_) => Vec::new(),
                None => merge_permissions(f, d),
            },
            layers,
            tags,
            build,
            logs,
            description: settings.description,
            reserved_concurrency: settings.reserved_concurrency,
            provisioned_concurrency: settings.provisioned_concurrency,
            tracing: settings.tracing,
            ephemeral_storage: settings.ephemeral_storage,
            kms_key_arn: settings.kms_key_arn,
            vpc: settings.vpc,
            managed_policies: settings.managed_policies,
            permissions_boundary: settings.permissions_boundary,
            role: settings.role,
        })
    }

    /// `<app>-<stage>-<name>`, which Lambda and IAM limit in length.
    fn checked_function_name(&mut self, name: &str, origin: &Origin) -> Option<String> {
        let function_name = function_name(&self.app, &self.stage, name);
        if function_name.len() <= MAX_NAME {
            return Some(function_name);
        }
        self.err_hint(
            origin.pos,
            &origin.path,
            format!(
                "the function name `{function_name}` is {} characters; Lambda and IAM allow {MAX_NAME}",
                function_name.len()
            ),
            "shorten `app`, `stage` or the function's name",
        );
        None
    }

    /// The handler, the code and how it is built: the code exists, the
    /// runtime is known, the globs are valid, the handler names a file that
    /// is shipped (or bundled), the build settings fit the runtime, and an
    /// OS-only runtime has its `bootstrap`. `None` when any of that fails.
    fn resolve_code(
        &mut self,
        name: &str,
        f: &RawFunction,
        d: &RawFunction,
        origin: &Origin,
        runtime: &str,
    ) -> Option<(String, Code, Build)> {
        let family = runtimes::family(runtime);
        let setting = pick(&f.code, &d.code).map_or(".", |c| c.value.as_str());
        let code = self.code_path(setting);
        let filter = self.merged_filter(f, d, code.as_ref().map(|(dir, _)| dir.as_path()));
        let build = self.merged_build(f, d, family, origin, runtime);
        let handler = f.handler.as_ref();
        if handler.is_none() {
            self.err_hint(
                origin.pos,
                &origin.path,
                format!("function `{name}` has no `handler`"),
                "add `handler: path/to/file.export`",
            );
        }
        let mut ok = family.is_some();
        let mut entry = None;
        if let (Some(h), Some((dir, kind)), Some(_), Some(filter)) =
            (handler, &code, family, &filter)
        {
            self.check_bundle_on_zip(&build, *kind, origin);
            let at = CodeAt {
                dir,
                kind: *kind,
                setting,
                bundled: bundles(&build, family, *kind),
            };
            entry = self.check_handler(h, &origin.handler_path, &at, runtime, filter);
            ok &= entry.is_some();
        }
        if let (Some((dir, CodeKind::Directory)), Some(Family::Provided)) = (&code, family) {
            ok &= self.check_bootstrap(dir, f, d, origin, runtime);
        }
        let (Some(handler), Some((path, kind)), Some(filter), true) = (handler, code, filter, ok)
        else {
            return None;
        };
        let build = self.resolved_build(&build, family, (&path, kind), entry.flatten(), origin)?;
        let code = Code {
            path: absolute(&path),
            kind,
            filter,
        };
        Some((handler.value.clone(), code, build))
    }

    /// The merged `include` and `exclude`, without the config file itself
    /// when it is inside the code directory. `None` when a glob is invalid
    /// (reported where it is written).
    fn merged_filter(
        &self,
        f: &RawFunction,
        d: &RawFunction,
        code_dir: Option<&Path>,
    ) -> Option<FileFilter> {
        let globs = |list: Option<&Vec<S<String>>>| -> Vec<String> {
            list.map(|v| v.iter().map(|s| s.value.clone()).collect())
                .unwrap_or_default()
        };
        let include = globs(pick(&f.include, &d.include));
        let exclude = globs(pick(&f.exclude, &d.exclude));
        let config_file = code_dir.and_then(|dir| relative_to(self.ctx.file, dir));
        let filter = FileFilter::new(include, exclude).ok()?;
        Some(match &config_file {
            Some(rel) => filter.without_file(rel),
            None => filter,
        })
    }

    /// The handler `h` (at `path`) names a file in the code that is
    /// shipped, or bundled. `Some(file)` when it does (`Some(None)` for a
    /// runtime that loads no source file); `None` after reporting why not.
    fn check_handler(
        &mut self,
        h: &S<String>,
        path: &str,
        code: &CodeAt,
        runtime: &str,
        filter: &FileFilter,
    ) -> Option<Option<String>> {
        let lookup = if code.bundled {
            Lookup::Bundled
        } else {
            Lookup::Shipped
        };
        let found = match code.kind {
            // The archive is shipped as it is; its contents are the user's business.
            CodeKind::Zip => handler::check_shape(&h.value, runtime).map(|()| None),
            CodeKind::Directory => handler::find_file(code.dir, &h.value, runtime, lookup),
        };
        let file = match found {
            Err(e) => {
                self.handler_error(h, path, code.setting, e);
                return None;
            }
            Ok(None) => return Some(None),
            // A bundle ships what the handler imports, whatever the globs say.
            Ok(Some(file)) if code.bundled || filter.accepts(&file) => return Some(Some(file)),
            Ok(Some(file)) => file,
        };
        let why = if filter.excluded(&file) {
            "is left out by `exclude`"
        } else {
            "is not matched by `include`"
        };
        let file = if h.interpolated {
            "of the interpolated handler".to_owned()
        } else {
            format!("`{file}`")
        };
        self.err_hint(
            h.pos,
            path,
            format!("the handler file {file} {why}, so it would not be shipped"),
            "adjust `include` / `exclude`",
        );
        None
    }

    /// Reports why the handler `h` (at `path`) cannot be found.
    fn handler_error(&mut self, h: &S<String>, path: &str, code: &str, e: HandlerError) {
        match e {
            HandlerError::Shape { expected } => self.err_hint(
                h.pos,
                path,
                format!("{} is not a handler", shown_s(h)),
                format!("a handler is {expected}"),
            ),
            HandlerError::FileNotFound { candidates } => {
                // The file names come from the handler: not for an
                // interpolated one.
                let list = if h.interpolated {
                    "file for the interpolated handler".to_owned()
                } else {
                    candidate_list(&candidates)
                };
                self.err_hint(
                    h.pos,
                    path,
                    format!("handler file not found: no {list} in `{code}`"),
                    format!("the handler names a file relative to `code` ({code})"),
                );
            }
            HandlerError::NeedsBundle { file } => {
                let file = if h.interpolated {
                    "the interpolated handler's file".to_owned()
                } else {
                    format!("`{file}`")
                };
                self.err_hint(
                    h.pos,
                    path,
                    format!("the handler file {file} is TypeScript, and the code is not bundled"),
                    "remove `build.bundle: false` (wsdeploy bundles TypeScript with esbuild), or point the handler at compiled JavaScript",
                );
            }
            other => self.err(h.pos, path, other.to_string()),
        }
    }

    /// An OS-only runtime needs an executable `bootstrap` at the top of its
    /// code directory `dir`; reported at the `code` setting.
    fn check_bootstrap(
        &mut self,
        dir: &Path,
        f: &RawFunction,
        d: &RawFunction,
        origin: &Origin,
        runtime: &str,
    ) -> bool {
        let setting = pick(&f.code, &d.code);
        let code = setting.map_or(".", |c| c.value.as_str());
        let (pos, path) = match setting {
            Some(c) if f.code.is_some() => (c.pos, child(origin.body_path(), "code")),
            Some(c) => (c.pos, "defaults.function.code".to_owned()),
            None => (origin.pos, origin.path.clone()),
        };
        let (msg, hint) = match handler::find_bootstrap(dir) {
            Ok(_) => return true,
            Err(HandlerError::BootstrapNotExecutable) => (
                format!("`bootstrap` in `{code}` is not executable"),
                "run `chmod +x bootstrap`: Lambda starts it as a program",
            ),
            Err(_) => (
                format!(
                    "runtime `{runtime}` needs an executable `bootstrap` at the top of `{code}`"
                ),
                "an OS-only runtime starts the `bootstrap` file your build produces",
            ),
        };
        self.err_hint(pos, &path, msg, hint);
        false
    }

    /// The environment, merged key by key (the function's value wins), if
    /// it fits Lambda's limit with what wsdeploy adds.
    fn merge_environment(
        &mut self,
        name: &str,
        f: &RawFunction,
        d: &RawFunction,
        origin: &Origin,
    ) -> Option<BTreeMap<String, String>> {
        let mut environment = d.environment.as_ref().map(plain).unwrap_or_default();
        if let Some(e) = &f.environment {
            environment.extend(plain(e));
        }
        let env_bytes: usize = environment
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum::<usize>()
            + INJECTED_ENV_BYTES;
        if env_bytes <= MAX_ENV_BYTES {
            return Some(environment);
        }
        let at = f
            .environment
            .as_ref()
            .or(d.environment.as_ref())
            .and_then(|e| e.entries.first())
            .map_or(origin.pos, |(k, _)| k.pos);
        self.err_hint(
            at,
            &origin.path,
            format!(
                "the environment of function `{name}` takes {env_bytes} bytes with the {INJECTED_ENV_BYTES} wsdeploy adds; Lambda allows {MAX_ENV_BYTES}"
            ),
            "move large values to SSM Parameter Store or S3 and pass their names",
        );
        None
    }

    /// The layers, defaults first, without duplicates, if there are not
    /// too many.
    fn merge_layers(
        &mut self,
        name: &str,
        f: &RawFunction,
        d: &RawFunction,
        origin: &Origin,
    ) -> Option<Vec<String>> {
        let mut layers: Vec<String> = Vec::new();
        for l in d.layers.iter().flatten().chain(f.layers.iter().flatten()) {
            if !layers.contains(&l.value) {
                layers.push(l.value.clone());
            }
        }
        if layers.len() <= MAX_LAYERS {
            return Some(layers);
        }
        let at = f
            .layers
            .as_ref()
            .or(d.layers.as_ref())
            .and_then(|l| l.get(MAX_LAYERS).or(l.last()))
            .map_or(origin.pos, |l| l.pos);
        self.err_hint(
            at,
            &origin.path,
            format!(
                "function `{name}` has {} layers; Lambda allows {MAX_LAYERS}",
                layers.len()
            ),
            "merge layers, or ship the code in the function",
        );
        None
    }

    /// The global tags, then the default's, then the function's own, if
    /// there are not too many.
    fn merge_tags(
        &mut self,
        name: &str,
        f: &RawFunction,
        d: &RawFunction,
        origin: &Origin,
        global_tags: &BTreeMap<String, String>,
    ) -> Option<BTreeMap<String, String>> {
        let mut tags = global_tags.clone();
        tags.extend(d.tags.as_ref().map(plain).unwrap_or_default());
        tags.extend(f.tags.as_ref().map(plain).unwrap_or_default());
        if tags.len() + 2 <= MAX_TAGS {
            return Some(tags);
        }
        self.err(
            origin.pos,
            &origin.path,
            format!(
                "function `{name}` has {} tags with the global ones; AWS allows {MAX_TAGS} and wsdeploy adds 2",
                tags.len()
            ),
        );
        None
    }
}

/// The permissions, defaults first, without duplicates. Malformed ones are
/// left out: `check_function_fields` reported them.
/// The files a handler may name, for a message: `` `src/a.ts` (or .mts,
/// .js) `` when they differ only by extension, else each in full.
fn candidate_list(candidates: &[String]) -> String {
    let split = |c: &String| {
        c.rsplit_once('.')
            .map(|(s, e)| (s.to_owned(), e.to_owned()))
    };
    let parts: Option<Vec<(String, String)>> = candidates.iter().map(split).collect();
    match (candidates.first(), parts) {
        (Some(first), Some(parts))
            if parts.len() > 1 && parts.iter().all(|(stem, _)| *stem == parts[0].0) =>
        {
            let others: Vec<String> = parts[1..].iter().map(|(_, e)| format!(".{e}")).collect();
            format!("`{first}` (or {})", others.join(", "))
        }
        _ => candidates
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

fn merge_permissions(f: &RawFunction, d: &RawFunction) -> Vec<Statement> {
    let mut permissions: Vec<Statement> = Vec::new();
    for p in d
        .permissions
        .iter()
        .flatten()
        .chain(f.permissions.iter().flatten())
    {
        if let Some(st) = statement(p)
            && !permissions.contains(&st)
        {
            permissions.push(st);
        }
    }
    permissions
}

/// The statement a permission stands for, when it is well formed.
fn statement(perm: &RawPermission) -> Option<Statement> {
    match perm {
        RawPermission::Short(s) => match s.value.split_whitespace().collect::<Vec<_>>()[..] {
            [a, r] if is_action(a) && is_resource(r) => Some(Statement {
                actions: vec![a.to_owned()],
                resources: vec![r.to_owned()],
            }),
            _ => None,
        },
        RawPermission::Statement(st) => {
            let ok = !st.actions.is_empty()
                && !st.resources.is_empty()
                && st.actions.iter().all(|a| is_action(&a.value))
                && st.resources.iter().all(|r| is_resource(&r.value));
            ok.then(|| Statement {
                actions: st.actions.iter().map(|a| a.value.clone()).collect(),
                resources: st.resources.iter().map(|r| r.value.clone()).collect(),
            })
        }
    }
}

/// `file` relative to `dir` with `/` separators, when it is inside it.
fn relative_to(file: &Path, dir: &Path) -> Option<String> {
    let file = std::fs::canonicalize(file).ok()?;
    let dir = std::fs::canonicalize(dir).ok()?;
    let rel = file.strip_prefix(&dir).ok()?;
    Some(
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}
