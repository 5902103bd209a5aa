//! `functions` and `defaults.function`, and the fields of any function body
//! (named, inline or a default): runtime, code, globs, memory, timeout,
//! environment names, permissions, layers, tags, the retention of `logs`
//! (the settings beyond those are checked in `settings`); and adding a
//! merged function to the ones resolved.
//!
//! Fields are checked where they are written, once per body; what needs the
//! body merged with the defaults (the handler file, the environment's size,
//! the layer and tag counts) is in `merge`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::checks::{is_action, is_env_name, is_function_key, is_layer_arn, is_resource};
use super::{Functions, MAX_TAGS, Origin, TAG_PREFIX, Validator};
use crate::config::filter::check_pattern;
use crate::config::model::CodeKind;
use crate::config::node::Pos;
use crate::config::raw::{RawFunction, RawPermission};
use crate::config::read::{Keyed, S, child, index, plain, shown_s};
use crate::config::runtimes;
use crate::diagnostic::did_you_mean;
use crate::names::{ENV_APP, ENV_MANAGEMENT_ENDPOINT, ENV_PREFIX, ENV_STAGE};

impl Validator<'_, '_, '_> {
    /// `defaults.function`: any field but `handler`.
    pub(super) fn check_defaults(&mut self, d: &RawFunction) {
        if let Some(h) = &d.handler {
            self.err_hint(
                h.pos,
                "defaults.function.handler",
                "`handler` cannot be a default",
                "give each function its own handler",
            );
        }
        self.check_function_fields(d, "defaults.function");
    }

    /// Checks and merges every function of `functions:` into `fns`.
    pub(super) fn add_named_functions(
        &mut self,
        named: Option<&Keyed<RawFunction>>,
        fns: &mut Functions,
    ) {
        for (name, f) in named.iter().flat_map(|n| &n.entries) {
            let path = child("functions", &name.value);
            if !is_function_key(&name.value) {
                self.err_hint(
                    name.pos,
                    &path,
                    format!("`{}` cannot be a function name", name.value),
                    "use letters, digits, `-` and `_`",
                );
                continue;
            }
            self.check_function_fields(f, &path);
            let origin = Origin {
                pos: name.pos,
                handler_path: child(&path, "handler"),
                path,
            };
            if !self.arn_as_handler(f, &origin) {
                self.add_function(&name.value, f, &origin, fns);
            }
            fns.taken.insert(name.value.clone());
        }
    }

    /// Merges the body `f` over the defaults into the function `name` and
    /// adds it to `fns` when it is valid.
    pub(super) fn add_function(
        &mut self,
        name: &str,
        f: &RawFunction,
        origin: &Origin,
        fns: &mut Functions,
    ) {
        let Some(func) = self.merge_function(name, fns.defaults, f, origin, fns.tags) else {
            return;
        };
        if let Some(role) = &f.role {
            let path = child(origin.body_path(), "role");
            fns.own_roles.insert(name.to_owned(), (role.pos, path));
        }
        fns.resolved.insert(name.to_owned(), func);
    }

    /// Warns about the functions of `functions:` nothing refers to.
    pub(super) fn warn_unused(&mut self, named: Option<&Keyed<RawFunction>>, fns: &Functions) {
        for (name, _) in named.iter().flat_map(|n| &n.entries) {
            if !fns.used.contains(&name.value) && is_function_key(&name.value) {
                self.r.warning(
                    name.pos,
                    &child("functions", &name.value),
                    format!("function `{}` is used by no route and not by the authorizer; it is deployed anyway", name.value),
                );
            }
        }
    }

    /// Checks the fields one function body sets, at their own positions.
    /// Run once per body (defaults included) so each problem is reported once.
    pub(super) fn check_function_fields(&mut self, f: &RawFunction, path: &str) {
        if let Some(rt) = &f.runtime {
            self.check_runtime(rt, &child(path, "runtime"));
        }
        if let Some(code) = &f.code {
            self.check_code(code, &child(path, "code"));
        }
        for (key, list) in [("include", &f.include), ("exclude", &f.exclude)] {
            for (i, g) in list.iter().flatten().enumerate() {
                if let Err(why) = check_pattern(&g.value) {
                    let p = index(&child(path, key), i);
                    self.err(g.pos, &p, format!("invalid glob: {why}"));
                }
            }
        }
        if let Some(m) = &f.memory_size {
            self.check_memory_size(m, &child(path, "memorySize"));
        }
        if let Some(t) = &f.timeout {
            self.check_timeout(t, &child(path, "timeout"));
        }
        if let Some(env) = &f.environment {
            self.check_env_names(env, &child(path, "environment"));
        }
        for (i, perm) in f.permissions.iter().flatten().enumerate() {
            self.check_permission(perm, &index(&child(path, "permissions"), i));
        }
        for (i, l) in f.layers.iter().flatten().enumerate() {
            if !is_layer_arn(&l.value) {
                self.err_hint(
                    l.pos,
                    &index(&child(path, "layers"), i),
                    "not a Lambda layer version ARN",
                    "arn:aws:lambda:<region>:<account>:layer:<name>:<version>",
                );
            }
        }
        if let Some(t) = &f.tags {
            self.check_tags(t, &child(path, "tags"));
        }
        if let Some(l) = &f.logs {
            self.check_logs_fields(l, &child(path, "logs"));
        }
        self.check_settings_fields(f, path);
    }

    fn check_runtime(&mut self, rt: &S<String>, path: &str) {
        if runtimes::family(&rt.value).is_some() {
            return;
        }
        if let Some(new) = runtimes::replacement(&rt.value) {
            self.err_hint(
                rt.pos,
                path,
                format!(
                    "{} is retired: Lambda no longer creates functions with it",
                    shown_s(rt)
                ),
                format!("use `{new}`"),
            );
            return;
        }
        let hint = match did_you_mean(&rt.value, runtimes::names()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "supported: {}",
                runtimes::names().collect::<Vec<_>>().join(", ")
            ),
        };
        self.err_hint(
            rt.pos,
            path,
            format!("{} is not a Lambda runtime", shown_s(rt)),
            hint,
        );
    }

    fn check_code(&mut self, code: &S<String>, path: &str) {
        if self.code_path(&code.value).is_some() {
            return;
        }
        let (msg, hint) = if self.ctx.dir.join(&code.value).exists() {
            (
                format!("{} is neither a directory nor a .zip file", shown_s(code)),
                "`code` is a directory or a `.zip` file".to_owned(),
            )
        } else {
            (
                format!("{} does not exist", shown_s(code)),
                format!(
                    "paths are relative to the directory of {}",
                    self.ctx.file.display()
                ),
            )
        };
        self.err_hint(code.pos, path, msg, hint);
    }

    fn check_memory_size(&mut self, m: &S<i64>, path: &str) {
        if (128..=10240).contains(&m.value) {
            return;
        }
        let size = if m.interpolated {
            "(interpolated)".to_owned()
        } else {
            format!("{} MB", m.value)
        };
        self.err_hint(
            m.pos,
            path,
            format!("memory size {size} is out of range"),
            "Lambda allows 128 to 10240 MB",
        );
    }

    fn check_timeout(&mut self, t: &S<i64>, path: &str) {
        if (1..=900).contains(&t.value) {
            return;
        }
        let secs = if t.interpolated {
            "(interpolated)".to_owned()
        } else {
            format!("{} s", t.value)
        };
        self.err_hint(
            t.pos,
            path,
            format!("timeout {secs} is out of range"),
            "Lambda allows 1 to 900 seconds",
        );
    }

    /// Environment variable names (their values are never looked at).
    fn check_env_names(&mut self, env: &Keyed<S<String>>, path: &str) {
        for (k, _) in &env.entries {
            let p = child(path, &k.value);
            if k.value.starts_with("AWS_") || k.value.starts_with(ENV_PREFIX) {
                self.err_hint(
                    k.pos,
                    &p,
                    format!("`{}` uses a reserved prefix", k.value),
                    format!("`AWS_` belongs to Lambda and `{ENV_PREFIX}` to wsdeploy (it sets {ENV_MANAGEMENT_ENDPOINT}, {ENV_APP} and {ENV_STAGE})"),
                );
            } else if !is_env_name(&k.value) {
                self.err_hint(
                    k.pos,
                    &p,
                    format!("`{}` is not a valid environment variable name", k.value),
                    "a letter, then letters, digits and `_` (at least 2 characters)",
                );
            }
        }
    }

    fn check_permission(&mut self, perm: &RawPermission, path: &str) {
        match perm {
            RawPermission::Short(s) => match s.value.split_whitespace().collect::<Vec<_>>()[..] {
                [action, resource] => {
                    self.check_action(action, s.pos, s.interpolated, path);
                    self.check_resource(resource, s.pos, s.interpolated, path);
                }
                _ => self.err_hint(
                    s.pos,
                    path,
                    "a permission shorthand is `\"<action> <resource>\"`",
                    "for example `\"s3:GetObject arn:aws:s3:::assets/*\"`",
                ),
            },
            RawPermission::Statement(st) => {
                if st.actions.is_empty() {
                    self.err(st.pos, &child(path, "actions"), "`actions` is empty");
                }
                if st.resources.is_empty() {
                    self.err(st.pos, &child(path, "resources"), "`resources` is empty");
                }
                for (i, a) in st.actions.iter().enumerate() {
                    let p = index(&child(path, "actions"), i);
                    self.check_action(&a.value, a.pos, a.interpolated, &p);
                }
                for (i, r) in st.resources.iter().enumerate() {
                    let p = index(&child(path, "resources"), i);
                    self.check_resource(&r.value, r.pos, r.interpolated, &p);
                }
            }
        }
    }

    fn check_action(&mut self, action: &str, pos: Pos, hide: bool, path: &str) {
        if is_action(action) {
            return;
        }
        let what = if hide {
            "the interpolated value".to_owned()
        } else {
            format!("`{action}`")
        };
        self.err_hint(
            pos,
            path,
            format!("{what} is not an IAM action"),
            "an action is `service:Action`, for example `dynamodb:PutItem` or `s3:Get*`",
        );
    }

    fn check_resource(&mut self, resource: &str, pos: Pos, hide: bool, path: &str) {
        if is_resource(resource) {
            return;
        }
        let what = if hide {
            "the interpolated value".to_owned()
        } else {
            format!("`{resource}`")
        };
        self.err_hint(
            pos,
            path,
            format!("{what} is not a resource ARN or `*`"),
            "for example `arn:aws:dynamodb:us-east-1:123456789012:table/connections`",
        );
    }

    /// Tags, global (`tags`) or a function's own.
    pub(super) fn check_tags(
        &mut self,
        tags: &Keyed<S<String>>,
        path: &str,
    ) -> BTreeMap<String, String> {
        for (k, v) in &tags.entries {
            let p = child(path, &k.value);
            if k.value.is_empty() || k.value.chars().count() > 128 {
                self.err(k.pos, &p, "a tag key must be 1 to 128 characters");
            } else if k.value.to_ascii_lowercase().starts_with("aws:") {
                self.err(
                    k.pos,
                    &p,
                    "tag keys starting with `aws:` are reserved by AWS",
                );
            } else if k.value.starts_with(TAG_PREFIX) {
                self.err_hint(
                    k.pos,
                    &p,
                    format!("tag keys starting with `{TAG_PREFIX}` are reserved"),
                    "wsdeploy writes them itself to know what it owns",
                );
            }
            if v.value.chars().count() > 256 {
                self.err(v.pos, &p, "a tag value must be at most 256 characters");
            }
        }
        if tags.len() + 2 > MAX_TAGS {
            self.err(
                tags.entries[0].0.pos,
                path,
                format!(
                    "{} tags; AWS allows {MAX_TAGS} per resource and wsdeploy adds 2",
                    tags.len()
                ),
            );
        }
        plain(tags)
    }

    /// The code a `code` setting names, relative to the config's directory:
    /// a directory or a `.zip` file.
    pub(super) fn code_path(&self, code: &str) -> Option<(PathBuf, CodeKind)> {
        let full = self.ctx.dir.join(code);
        if full.is_dir() {
            Some((full, CodeKind::Directory))
        } else if full.is_file()
            && full
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
        {
            Some((full, CodeKind::Zip))
        } else {
            None
        }
    }
}
