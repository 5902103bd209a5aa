//! Validation: raw configuration in, resolved model out.
//!
//! Checks meaning (ranges, names, references, files on disk, AWS limits),
//! merges `defaults.function` into every function, expands shorthands and
//! names implicit functions. Every problem is reported with its position;
//! the model is returned only when there is none.
//!
//! This file holds the limits, the `Validator` and the order of the checks
//! (`run`). Each section of the file has its own module:
//! - `app`: `app`, `stage`, `region`;
//! - `api`: `api`, throttling, the access log;
//! - `functions`: `functions:`, `defaults.function` and the fields of any
//!   function body;
//! - `merge`: a body merged with the defaults, and what needs the merged
//!   result (the handler file, sizes and counts);
//! - `settings`, `vpc` and `role`: the settings beyond the basics
//!   (concurrency, tracing, `/tmp`, KMS, managed policies), the VPC, and
//!   what `role` rules out;
//! - `build` and `logs`: a function's `build` and `logs` settings, merged
//!   key by key; `logs` also checks the retention of any log group (the
//!   access log's too);
//! - `routes`: route keys, function references and integration timeouts;
//! - `external`: function references that are Lambda function ARNs;
//! - `access_log`: the `$context` variables of an access-log format;
//! - `authorizer`: the authorizer and its identity sources;
//! - `domain`: the custom domain;
//! - `checks`: the pure predicates all of them use.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::model::{Config, External, Function};
use super::node::Pos;
use super::raw::{RawApi, RawConfig, RawFunction, RawFunctionRef};
use super::read::{Keyed, Reader, S};
use crate::names::{ENV_APP, ENV_MANAGEMENT_ENDPOINT, ENV_STAGE};

mod access_log;
mod api;
mod app;
mod authorizer;
mod build;
mod checks;
mod domain;
mod external;
mod functions;
mod logs;
mod merge;
mod role;
mod routes;
mod settings;
#[cfg(test)]
mod test_support;
mod vpc;

pub use checks::{is_app_name, is_region};

/// Lambda's limits and ours.
pub const MAX_ROUTES: usize = 300;
pub const MAX_NAME: usize = 64;
pub const MAX_LAYERS: usize = 5;
pub const MAX_ENV_BYTES: usize = 4096;
pub const MAX_TAGS: usize = 50;
pub const MAX_ACCESS_LOG_FORMAT: usize = 3072;
pub const DEFAULT_RUNTIME: &str = "nodejs20.x";
pub const DEFAULT_ROUTE_SELECTION: &str = "$request.body.action";
pub const DEFAULT_IDENTITY_SOURCE: &str = "route.request.header.Authorization";
/// Tags wsdeploy writes itself; users may not set keys with this prefix.
pub const TAG_PREFIX: &str = "wsdeploy:";

/// Environment bytes wsdeploy adds to every function: the three names and
/// the longest values they can take (a 10-character API id, the longest
/// region name, a 32-character stage, a 30-character app).
///
/// The endpoint is counted with the `amazonaws.com` suffix, not
/// `names::LONGEST_DNS_SUFFIX` (`amazonaws.com.cn`, 3 bytes more): the
/// total (208) is quoted in messages and their snapshots.
const INJECTED_ENV_BYTES: usize = ENV_MANAGEMENT_ENDPOINT.len()
    + "https://0123456789.execute-api.ap-southeast-5.amazonaws.com/".len()
    + 32
    + ENV_APP.len()
    + 30
    + ENV_STAGE.len()
    + 32;

/// What validation needs from outside the file.
pub struct Context<'a> {
    /// The directory of the config file; `code` paths are relative to it.
    pub dir: &'a Path,
    pub file: &'a Path,
    /// `--stage`, when given.
    pub stage_override: Option<&'a str>,
    /// `--region` or the environment's region, when known.
    pub region_fallback: Option<&'a str>,
    pub region_override: Option<&'a str>,
}

pub fn validate(r: &mut Reader, raw: &RawConfig, ctx: &Context) -> Option<Config> {
    Validator::new(r, ctx, raw).run(raw)
}

/// Validates only what identifies a deployment: `app`, `stage`, `region`
/// and `domain` (for `config::load_identity`). The rest of the model is
/// empty: no functions, routes, authorizer or tags, and the default `api`.
pub fn validate_identity(r: &mut Reader, raw: &RawConfig, ctx: &Context) -> Option<Config> {
    let mut v = Validator::new(r, ctx, raw);
    v.check_names(raw);
    let api = v.check_api(&RawApi::default());
    let domain = raw.domain.as_ref().and_then(|d| v.check_domain(d));
    if v.r.diags.has_errors() {
        return None;
    }
    Some(Config {
        file: ctx.file.to_path_buf(),
        externals: Default::default(),
        app: v.app,
        stage: v.stage,
        region: v.region,
        api,
        functions: BTreeMap::new(),
        routes: BTreeMap::new(),
        authorizer: None,
        domain,
        tags: BTreeMap::new(),
    })
}

struct Validator<'r, 'd, 'c> {
    r: &'r mut Reader<'d>,
    ctx: &'c Context<'c>,
    app: String,
    /// Set by `check_names`, before anything is named.
    stage: String,
    region: Option<String>,
}

/// Where a function's definition came from: for names and messages.
struct Origin {
    /// Position of the key that defines the function (route key,
    /// `functions.<name>`, `authorizer`).
    pos: Pos,
    path: String,
    /// Key path of the node holding the handler string.
    handler_path: String,
}

impl Origin {
    /// Key path of the function's settings (`functions.ws`,
    /// `routes.$default.function`), or of the reference when it has none.
    fn body_path(&self) -> &str {
        self.handler_path
            .strip_suffix(".handler")
            .unwrap_or(&self.path)
    }
}

/// How a route or the authorizer names its function.
enum FnRef<'a> {
    /// A name from `functions:`, or a handler string.
    String(&'a S<String>),
    Inline(&'a RawFunction),
}

impl<'a> From<&'a RawFunctionRef> for FnRef<'a> {
    fn from(r: &'a RawFunctionRef) -> Self {
        match r {
            RawFunctionRef::NameOrHandler(h) => FnRef::String(h),
            RawFunctionRef::Inline(i) => FnRef::Inline(i),
        }
    }
}

/// The functions resolved so far, and what routes and the authorizer need
/// to resolve theirs.
struct Functions<'a> {
    defaults: Option<&'a RawFunction>,
    /// The global tags, merged into every function's.
    tags: &'a BTreeMap<String, String>,
    /// The keys of `functions:`, valid or not, in file order.
    named: Vec<String>,
    /// The named functions a route or the authorizer refers to.
    used: BTreeSet<String>,
    /// The names given to a function so far, valid or not: an implicit
    /// function may not take one.
    taken: BTreeSet<String>,
    /// The functions that passed validation, by short name.
    resolved: BTreeMap<String, Function>,
    /// Where the functions that set `role` in their own body set it (its
    /// position and key path), by short name.
    own_roles: BTreeMap<String, (Pos, String)>,
    /// The external functions routes and the authorizer name, by ARN.
    externals: BTreeMap<String, External>,
}

impl<'a> Functions<'a> {
    fn new(
        defaults: Option<&'a RawFunction>,
        tags: &'a BTreeMap<String, String>,
        named: Option<&Keyed<RawFunction>>,
    ) -> Self {
        Functions {
            defaults,
            tags,
            named: named
                .iter()
                .flat_map(|n| &n.entries)
                .map(|(k, _)| k.value.clone())
                .collect(),
            used: BTreeSet::new(),
            taken: BTreeSet::new(),
            resolved: BTreeMap::new(),
            own_roles: BTreeMap::new(),
            externals: BTreeMap::new(),
        }
    }
}

impl<'r, 'd, 'c> Validator<'r, 'd, 'c> {
    fn new(r: &'r mut Reader<'d>, ctx: &'c Context<'c>, raw: &RawConfig) -> Self {
        Validator {
            r,
            ctx,
            app: raw.app.value.clone(),
            stage: String::new(),
            region: None,
        }
    }
}

impl Validator<'_, '_, '_> {
    fn err(&mut self, pos: Pos, path: &str, msg: impl Into<String>) {
        self.r.error(pos, path, msg);
    }

    fn err_hint(&mut self, pos: Pos, path: &str, msg: impl Into<String>, hint: impl Into<String>) {
        self.r.error_hint(pos, path, msg, hint);
    }

    /// Every check, in an order where each finds what it needs: the names
    /// first, named functions before the routes and the authorizer that
    /// refer to them.
    fn run(&mut self, raw: &RawConfig) -> Option<Config> {
        self.check_names(raw);
        let tags = raw
            .tags
            .as_ref()
            .map(|t| self.check_tags(t, "tags"))
            .unwrap_or_default();
        let api = self.check_api(raw.api.as_ref().unwrap_or(&RawApi::default()));
        let defaults = raw.defaults.as_ref().and_then(|d| d.function.as_ref());
        if let Some(d) = defaults {
            self.check_defaults(d);
        }
        let named = raw.functions.as_ref();
        let mut fns = Functions::new(defaults, &tags, named);
        self.add_named_functions(named, &mut fns);
        let routes = self.check_routes(&raw.routes, &mut fns);
        let authorizer = raw
            .authorizer
            .as_ref()
            .and_then(|a| self.check_authorizer(a, raw, &mut fns));
        self.warn_unused(named, &fns);
        self.warn_roles(defaults, &fns);
        let domain = raw.domain.as_ref().and_then(|d| self.check_domain(d));
        if self.r.diags.has_errors() {
            return None;
        }
        let functions = fns.resolved;
        Some(Config {
            file: self.ctx.file.to_path_buf(),
            externals: fns.externals,
            app: self.app.clone(),
            stage: self.stage.clone(),
            region: self.region.clone(),
            api,
            functions,
            routes,
            authorizer,
            domain,
            tags,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the property test (tests/config_property.rs): these
    /// messages quoted a value read from the environment.
    #[test]
    fn messages_never_quote_interpolated_text() {
        use crate::config::{LoadOptions, load_text};
        use crate::diagnostic::Diagnostics;
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/chat/wsdeploy.yml");
        let env = |name: &str| {
            Some(match name {
                "MODULE" => "default".to_owned(),
                _ => "987654321".to_owned(),
            })
        };
        let route = "app: chat\nroutes:\n  $default:\n    function:\n      handler: ";
        let domain = "app: chat\nroutes:\n  $default: src/default.handler\ndomain:\n";
        for (text, secret) in [
            (format!("{route}src/default.handler\n      memorySize: ${{env:N}}\n"), "987654321"),
            (format!("{route}src/default.handler\n      timeout: ${{env:N}}\n"), "987654321"),
            (format!("{route}src/${{env:N}}.handler\n"), "987654321"),
            (
                format!(
                    "{route}src/${{env:MODULE}}.handler\n      include: [src/lib/**]\n      build: {{ bundle: false }}\n"
                ),
                "src/default",
            ),
            (
                "app: chat\napi:\n  accessLog:\n    retention: ${env:N}\nroutes:\n  $default: src/default.handler\n".to_owned(),
                "987654321",
            ),
            (
                format!("{domain}  name: ws.example.com\n  hostedZone: other-${{env:N}}.org\n"),
                "987654321",
            ),
            (
                format!("{domain}  name: ws.example.com\n  hostedZone: ${{env:N}}-.org\n"),
                "987654321",
            ),
            (
                format!("{domain}  name: ws-${{env:N}}.example.com\n  hostedZone: other.org\n"),
                "987654321",
            ),
            (
                format!("{domain}  name: ws.example.com\n  path: /v${{env:N}}/x\n"),
                "987654321",
            ),
        ] {
            let mut diags = Diagnostics::default();
            let opts = LoadOptions {
                stage: None,
                region: None,
                env_region: Some("us-east-1"),
                env: &env,
            };
            assert!(load_text(&file, &text, &opts, &mut diags).is_none(), "{text}");
            assert!(diags.has_errors(), "{text}");
            for d in &diags.items {
                let hint = d.hint.as_deref().unwrap_or_default();
                assert!(!d.message.contains(secret) && !hint.contains(secret), "{text}: {d:?}");
            }
        }
    }
}
