//! Validation: raw configuration in, resolved model out.
//!
//! Checks meaning (ranges, names, references, files on disk, AWS limits),
//! merges `defaults.function` into every function, expands shorthands and
//! names implicit functions. Every problem is reported with its position;
//! the model is returned only when there is none.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::filter::{FileFilter, check_pattern};
use super::handler::{self, HandlerError};
use super::model::*;
use super::node::Pos;
use super::raw::*;
use super::read::{Keyed, Reader, S, child, index, plain};
use super::runtimes::{self, Family};
use crate::diagnostic::did_you_mean;
use crate::names::{self, ENV_APP, ENV_MANAGEMENT_ENDPOINT, ENV_PREFIX, ENV_STAGE};
use checks::*;

mod checks;

pub use checks::is_region;

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
/// Retention values CloudWatch Logs accepts.
pub const RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];
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
    let mut v = Validator {
        r,
        ctx,
        app: raw.app.value.clone(),
        stage: String::new(),
        region: None,
    };
    v.run(raw)
}

struct Validator<'r, 'd, 'c> {
    r: &'r mut Reader<'d>,
    ctx: &'c Context<'c>,
    app: String,
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

impl Validator<'_, '_, '_> {
    fn err(&mut self, pos: Pos, path: &str, msg: impl Into<String>) {
        self.r.error(pos, path, msg);
    }

    fn err_hint(&mut self, pos: Pos, path: &str, msg: impl Into<String>, hint: impl Into<String>) {
        self.r.error_hint(pos, path, msg, hint);
    }

    fn run(&mut self, raw: &RawConfig) -> Option<Config> {
        self.check_app(&raw.app);
        self.stage = self.check_stage(raw.stage.as_ref());
        self.region = self.check_region(raw.region.as_ref());

        let tags = raw
            .tags
            .as_ref()
            .map(|t| self.check_tags(t, "tags"))
            .unwrap_or_default();
        let api = self.check_api(raw.api.as_ref().unwrap_or(&RawApi::default()));

        let defaults = raw.defaults.as_ref().and_then(|d| d.function.as_ref());
        if let Some(d) = defaults {
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

        // Named functions first: routes and the authorizer refer to them.
        let empty = Keyed::default();
        let named = raw.functions.as_ref().unwrap_or(&empty);
        let mut functions: BTreeMap<String, Function> = BTreeMap::new();
        let mut origins: BTreeMap<String, Pos> = BTreeMap::new();
        for (name, f) in &named.entries {
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
                path: path.clone(),
            };
            if let Some(func) = self.merge_function(&name.value, defaults, f, &origin, &tags) {
                functions.insert(name.value.clone(), func);
            }
            origins.insert(name.value.clone(), name.pos);
        }
        let named_names: Vec<String> = named.entries.iter().map(|(k, _)| k.value.clone()).collect();
        let mut used: BTreeMap<String, bool> =
            named_names.iter().map(|n| (n.clone(), false)).collect();

        // Routes.
        let mut routes = BTreeMap::new();
        if raw.routes.len() > MAX_ROUTES {
            let (k, _) = &raw.routes.entries[MAX_ROUTES];
            self.err_hint(
                k.pos,
                "routes",
                format!(
                    "{} routes; a WebSocket API can have at most {MAX_ROUTES}",
                    raw.routes.len()
                ),
                "split the API, or route several actions to one key and dispatch in the function",
            );
        }
        for (key, route) in &raw.routes.entries {
            let path = child("routes", &key.value);
            let key_ok = self.check_route_key(key, &path);
            let (fref, return_response, throttle) = match route {
                RawRoute::Handler(h) => (Some(FnRef::String(h)), false, None),
                RawRoute::Settings(s) => (
                    s.function.as_ref().map(|f| match f {
                        RawFunctionRef::NameOrHandler(h) => FnRef::String(h),
                        RawFunctionRef::Inline(i) => FnRef::Inline(i),
                    }),
                    s.return_response.as_ref().is_some_and(|b| b.value),
                    s.throttle
                        .as_ref()
                        .map(|t| self.check_throttle(t, &child(&path, "throttle"))),
                ),
            };
            let Some(fref) = fref else { continue };
            let implicit = names::implicit_function(&key.value);
            let fn_path = match route {
                RawRoute::Handler(_) => path.clone(),
                RawRoute::Settings(_) => child(&path, "function"),
            };
            let handler_path = match (route, &fref) {
                (_, FnRef::Inline(_)) => child(&fn_path, "handler"),
                _ => fn_path.clone(),
            };
            let origin = Origin {
                pos: key.pos,
                path: fn_path,
                handler_path,
            };
            let name = self.resolve_ref(
                fref,
                &implicit,
                key_ok,
                &origin,
                defaults,
                &tags,
                &named_names,
                &mut functions,
                &mut origins,
                &mut used,
            );
            if let Some(name) = name {
                routes.insert(
                    key.value.clone(),
                    Route {
                        key: key.value.clone(),
                        function: name,
                        return_response,
                        throttle,
                    },
                );
            }
        }

        // Authorizer.
        let authorizer = raw.authorizer.as_ref().and_then(|a| {
            self.check_authorizer(
                a,
                raw,
                defaults,
                &tags,
                &named_names,
                &mut functions,
                &mut origins,
                &mut used,
            )
        });

        for (name, f) in &named.entries {
            if used.get(&name.value) == Some(&false) && is_function_key(&name.value) {
                let _ = f;
                self.r.warning(
                    name.pos,
                    &child("functions", &name.value),
                    format!("function `{}` is used by no route and not by the authorizer; it is deployed anyway", name.value),
                );
            }
        }

        let domain = raw.domain.as_ref().and_then(|d| self.check_domain(d));

        if self.r.diags.has_errors() {
            return None;
        }
        Some(Config {
            file: self.ctx.file.to_path_buf(),
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

    // -- names -------------------------------------------------------------

    fn check_app(&mut self, app: &S<String>) {
        if !is_app_name(&app.value) {
            let hint = if app.interpolated {
                "lowercase letters, digits and `-`, starting with a letter, at most 30 characters"
                    .to_owned()
            } else {
                format!(
                    "lowercase letters, digits and `-`, starting with a letter, at most 30 characters, for example `{}`",
                    app_name_suggestion(&app.value)
                )
            };
            self.err_hint(app.pos, "app", "invalid app name", hint);
        }
    }

    fn check_stage(&mut self, stage: Option<&S<String>>) -> String {
        if let Some(s) = self.ctx.stage_override {
            if !is_stage(s) {
                self.r.diags.push(
                    crate::diagnostic::Diagnostic::error(
                        None,
                        "--stage",
                        "invalid stage name given with `--stage`",
                    )
                    .with_hint("letters, digits, `-` and `_`, 1 to 32 characters"),
                );
            }
            return s.to_owned();
        }
        match stage {
            Some(s) => {
                if !is_stage(&s.value) {
                    self.err_hint(
                        s.pos,
                        "stage",
                        "invalid stage name",
                        "letters, digits, `-` and `_`, 1 to 32 characters",
                    );
                }
                s.value.clone()
            }
            None => "dev".to_owned(),
        }
    }

    fn check_region(&mut self, region: Option<&S<String>>) -> Option<String> {
        if let Some(r) = self.ctx.region_override {
            if !is_region(r) {
                self.r.diags.push(
                    crate::diagnostic::Diagnostic::error(
                        None,
                        "--region",
                        "invalid region given with `--region`",
                    )
                    .with_hint("a region looks like `us-east-1`"),
                );
            }
            return Some(r.to_owned());
        }
        if let Some(r) = region {
            if !is_region(&r.value) {
                self.err_hint(
                    r.pos,
                    "region",
                    "invalid region",
                    "a region looks like `us-east-1`",
                );
            }
            return Some(r.value.clone());
        }
        self.ctx.region_fallback.map(str::to_owned)
    }

    // -- API -------------------------------------------------------------

    fn check_api(&mut self, api: &RawApi) -> Api {
        let name = match &api.name {
            Some(n) => {
                if n.value.is_empty() || n.value.chars().count() > 128 {
                    self.err(
                        n.pos,
                        "api.name",
                        "the API name must be 1 to 128 characters",
                    );
                }
                n.value.clone()
            }
            None => format!("{}-{}", self.app, self.stage),
        };
        if let Some(d) = &api.description
            && d.value.chars().count() > 1024
        {
            self.err(
                d.pos,
                "api.description",
                "the description is longer than 1024 characters",
            );
        }
        let rse = match &api.route_selection_expression {
            Some(e) => {
                if !is_route_selection_expression(&e.value) {
                    self.err_hint(
                        e.pos,
                        "api.routeSelectionExpression",
                        "a WebSocket route selection expression must read a field of the message body",
                        "for example `$request.body.action`",
                    );
                }
                e.value.clone()
            }
            None => DEFAULT_ROUTE_SELECTION.to_owned(),
        };
        let throttle = api
            .throttle
            .as_ref()
            .map(|t| self.check_throttle(t, "api.throttle"));
        let variables = match &api.variables {
            Some(vars) => {
                for (k, v) in &vars.entries {
                    let p = child("api.variables", &k.value);
                    if !is_stage_variable_name(&k.value) {
                        self.err_hint(
                            k.pos,
                            &p,
                            format!("`{}` cannot be a stage variable name", k.value),
                            "letters, digits and `_`, at most 64 characters",
                        );
                    }
                    if !is_stage_variable_value(&v.value) {
                        self.err_hint(
                            v.pos,
                            &p,
                            "invalid stage variable value",
                            "1 to 512 characters among letters, digits and `-._~:/?#&=,`",
                        );
                    }
                }
                plain(vars)
            }
            None => BTreeMap::new(),
        };
        let logging = api
            .logging
            .as_ref()
            .map(|l| Logging {
                level: l.level.as_ref().map_or(LogLevel::Off, |s| s.value),
                data_trace: l.data_trace.as_ref().is_some_and(|b| b.value),
                detailed_metrics: l.detailed_metrics.as_ref().is_some_and(|b| b.value),
            })
            .unwrap_or_default();
        let access_log = api
            .access_log
            .as_ref()
            .and_then(|a| self.check_access_log(a));
        Api {
            name,
            description: api.description.as_ref().map(|d| d.value.clone()),
            route_selection_expression: rse,
            throttle,
            variables,
            logging,
            access_log,
        }
    }

    fn check_throttle(&mut self, t: &RawThrottle, path: &str) -> Throttle {
        if let Some(b) = &t.burst_limit
            && b.value < 0
        {
            self.err(
                b.pos,
                &child(path, "burstLimit"),
                "`burstLimit` cannot be negative",
            );
        }
        if let Some(r) = &t.rate_limit
            && r.value < 0.0
        {
            self.err(
                r.pos,
                &child(path, "rateLimit"),
                "`rateLimit` cannot be negative",
            );
        }
        Throttle {
            burst_limit: t.burst_limit.as_ref().map(|b| b.value),
            rate_limit: t.rate_limit.as_ref().map(|r| r.value),
        }
    }

    fn check_access_log(&mut self, a: &RawAccessLog) -> Option<AccessLog> {
        let group_name = names::access_log_group(&self.app, &self.stage);
        let managed = |retention| LogDestination::Managed {
            group_name: group_name.clone(),
            retention_days: retention,
        };
        match a {
            RawAccessLog::Enabled(b) => b.value.then(|| AccessLog {
                format: DEFAULT_ACCESS_LOG_FORMAT.to_owned(),
                destination: managed(None),
            }),
            RawAccessLog::Format(f) => {
                self.check_log_format(f, "api.accessLog");
                Some(AccessLog {
                    format: f.value.clone(),
                    destination: managed(None),
                })
            }
            RawAccessLog::Settings(s) => {
                if let Some(f) = &s.format {
                    self.check_log_format(f, "api.accessLog.format");
                }
                if let Some(r) = &s.retention
                    && !RETENTION_DAYS.contains(&r.value)
                {
                    let days = if r.interpolated {
                        "the interpolated value".to_owned()
                    } else {
                        format!("{} days", r.value)
                    };
                    self.err_hint(
                        r.pos,
                        "api.accessLog.retention",
                        format!("{days} is not a CloudWatch Logs retention period"),
                        format!(
                            "use one of: {}",
                            RETENTION_DAYS
                                .iter()
                                .map(i64::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
                let destination = match &s.destination_arn {
                    Some(arn) => {
                        if !is_log_group_arn(&arn.value) {
                            self.err_hint(
                                arn.pos,
                                "api.accessLog.destinationArn",
                                "not a CloudWatch Logs log group ARN",
                                "arn:aws:logs:<region>:<account>:log-group:<name>",
                            );
                        }
                        if let Some(r) = &s.retention {
                            self.err_hint(
                                r.pos,
                                "api.accessLog.retention",
                                "`retention` applies only to the log group wsdeploy creates",
                                "set the retention on your own log group, or drop `destinationArn`",
                            );
                        }
                        LogDestination::Existing {
                            arn: arn.value.trim_end_matches(":*").to_owned(),
                        }
                    }
                    None => managed(s.retention.as_ref().map(|r| r.value)),
                };
                Some(AccessLog {
                    format: s
                        .format
                        .as_ref()
                        .map_or_else(|| DEFAULT_ACCESS_LOG_FORMAT.to_owned(), |f| f.value.clone()),
                    destination,
                })
            }
        }
    }

    fn check_log_format(&mut self, f: &S<String>, path: &str) {
        if f.value.len() > MAX_ACCESS_LOG_FORMAT {
            self.err(
                f.pos,
                path,
                format!(
                    "the access-log format is {} bytes; API Gateway allows {MAX_ACCESS_LOG_FORMAT}",
                    f.value.len()
                ),
            );
        }
        if !f.value.contains("$context.requestId")
            && !f.value.contains("$context.extendedRequestId")
        {
            self.err_hint(
                f.pos,
                path,
                "the access-log format must contain `$context.requestId`",
                "API Gateway rejects formats without it",
            );
        }
    }

    // -- routes ------------------------------------------------------------

    fn check_route_key(&mut self, key: &S<String>, path: &str) -> bool {
        const RESERVED: [&str; 3] = ["$connect", "$disconnect", "$default"];
        let k = key.value.as_str();
        if RESERVED.contains(&k) {
            return true;
        }
        if k.starts_with('$') {
            let hint = match did_you_mean(k, RESERVED) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "the `$` keys are `$connect`, `$disconnect` and `$default`; custom keys do not start with `$`".to_owned(),
            };
            self.err_hint(
                key.pos,
                path,
                format!("`{k}` is not a route key: keys starting with `$` are reserved"),
                hint,
            );
            return false;
        }
        if k.is_empty()
            || k.chars().count() > 128
            || k.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            self.err_hint(
                key.pos,
                path,
                "invalid route key",
                "1 to 128 characters, no spaces",
            );
            return false;
        }
        true
    }

    /// Finds or makes the function a route or the authorizer refers to and
    /// returns its short name.
    #[allow(clippy::too_many_arguments)]
    fn resolve_ref(
        &mut self,
        fref: FnRef,
        implicit: &str,
        implicit_ok: bool,
        origin: &Origin,
        defaults: Option<&RawFunction>,
        tags: &BTreeMap<String, String>,
        named: &[String],
        functions: &mut BTreeMap<String, Function>,
        origins: &mut BTreeMap<String, Pos>,
        used: &mut BTreeMap<String, bool>,
    ) -> Option<String> {
        let inline;
        let body = match fref {
            FnRef::String(s) if named.contains(&s.value) => {
                used.insert(s.value.clone(), true);
                // A named function that failed validation is not in the map;
                // its own errors were reported already.
                return Some(s.value.clone());
            }
            FnRef::String(s) => {
                if !s.value.contains('.') {
                    let hint = match did_you_mean(&s.value, named.iter().map(String::as_str)) {
                        Some(n) if !s.interpolated => format!("did you mean the function `{n}`?"),
                        _ if named.is_empty() => {
                            "a handler is `path/to/file.export`, for example `src/connect.handler`"
                                .to_owned()
                        }
                        _ => format!(
                            "a handler is `path/to/file.export`; the functions in `functions:` are: {}",
                            named.join(", ")
                        ),
                    };
                    self.err_hint(
                        s.pos,
                        &origin.path,
                        format!(
                            "{} names no function in `functions:` and is not a handler",
                            super::read::shown_s(s)
                        ),
                        hint,
                    );
                    return None;
                }
                inline = RawFunction {
                    handler: Some(s.clone()),
                    ..RawFunction::default()
                };
                &inline
            }
            FnRef::Inline(f) => {
                self.check_function_fields(f, &origin.path);
                f
            }
        };
        if !implicit_ok {
            return None;
        }
        if !is_function_key(implicit) {
            self.err_hint(
                origin.pos,
                &origin.path,
                format!("the route key cannot name a function: `{implicit}` has characters Lambda does not allow in names"),
                "define the function in `functions:` and refer to it with `function: <name>`",
            );
            return None;
        }
        if let Some(prev) = origins.get(implicit) {
            let (what, hint) = if named.iter().any(|n| n == implicit) {
                (
                    format!(
                        "this implicit function is named `{implicit}`, like `functions.{implicit}`"
                    ),
                    format!("write `function: {implicit}` to use the named one, or rename it"),
                )
            } else {
                (
                    format!("two implicit functions would both be named `{implicit}`"),
                    "give one of them a named function in `functions:`".to_owned(),
                )
            };
            let _ = prev;
            self.err_hint(origin.pos, &origin.path, what, hint);
            return None;
        }
        origins.insert(implicit.to_owned(), origin.pos);
        let func = self.merge_function(implicit, defaults, body, origin, tags)?;
        functions.insert(implicit.to_owned(), func);
        Some(implicit.to_owned())
    }

    // -- authorizer --------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn check_authorizer(
        &mut self,
        a: &RawAuthorizer,
        raw: &RawConfig,
        defaults: Option<&RawFunction>,
        tags: &BTreeMap<String, String>,
        named: &[String],
        functions: &mut BTreeMap<String, Function>,
        origins: &mut BTreeMap<String, Pos>,
        used: &mut BTreeMap<String, bool>,
    ) -> Option<Authorizer> {
        let (pos, settings) = match a {
            RawAuthorizer::Shorthand(t) => (t.pos, None),
            RawAuthorizer::Settings(s) => (s.kind.as_ref().map_or(Pos::START, |k| k.pos), Some(s)),
        };
        let kind = match a {
            RawAuthorizer::Shorthand(t) => t.value,
            RawAuthorizer::Settings(s) => {
                s.kind.as_ref().map_or(AuthorizerType::Lambda, |k| k.value)
            }
        };
        let connect = raw.routes.get("$connect").is_some();
        if !connect {
            self.err_hint(
                raw.authorizer_pos,
                "authorizer",
                "an authorizer needs a `$connect` route",
                "a WebSocket API authorizes when a client connects, on `$connect`: add a `$connect` route",
            );
        }
        match (kind, settings) {
            (AuthorizerType::Iam, None) => Some(Authorizer::Iam),
            (AuthorizerType::Iam, Some(s)) => {
                if let Some(i) = &s.identity_source {
                    let p = i.first().map_or(pos, |n| n.pos);
                    self.err(
                        p,
                        "authorizer.identitySource",
                        "`identitySource` applies only to a lambda authorizer",
                    );
                }
                if let Some(n) = &s.name {
                    self.err(
                        n.pos,
                        "authorizer.name",
                        "`name` applies only to a lambda authorizer",
                    );
                }
                if s.function.is_some() {
                    self.err(
                        pos,
                        "authorizer.function",
                        "`function` applies only to a lambda authorizer",
                    );
                }
                Some(Authorizer::Iam)
            }
            (AuthorizerType::Lambda, None) => {
                self.err_hint(
                    pos,
                    "authorizer",
                    "a lambda authorizer needs a function",
                    "write `authorizer: { function: src/authorizer.handler }`",
                );
                None
            }
            (AuthorizerType::Lambda, Some(s)) => {
                let mut ok = true;
                let sources = match &s.identity_source {
                    Some(list) if list.is_empty() => {
                        self.err(
                            pos,
                            "authorizer.identitySource",
                            "`identitySource` is empty",
                        );
                        ok = false;
                        vec![]
                    }
                    Some(list) => {
                        for (i, src) in list.iter().enumerate() {
                            ok &= self
                                .check_identity_source(src, &index("authorizer.identitySource", i));
                        }
                        list.iter().map(|s| s.value.clone()).collect()
                    }
                    None => vec![DEFAULT_IDENTITY_SOURCE.to_owned()],
                };
                let name = match &s.name {
                    Some(n) => {
                        if !is_authorizer_name(&n.value) {
                            self.err_hint(
                                n.pos,
                                "authorizer.name",
                                "invalid authorizer name",
                                "letters, digits, `-`, `_` and `.`, at most 128 characters",
                            );
                        }
                        n.value.clone()
                    }
                    None => format!("{}-{}-authorizer", self.app, self.stage),
                };
                let Some(fref) = &s.function else {
                    self.err_hint(
                        pos,
                        "authorizer",
                        "a lambda authorizer needs a `function`",
                        "add `function: src/authorizer.handler`",
                    );
                    return None;
                };
                let fref = match fref {
                    RawFunctionRef::NameOrHandler(h) => FnRef::String(h),
                    RawFunctionRef::Inline(i) => FnRef::Inline(i),
                };
                let handler_path = match &fref {
                    FnRef::Inline(_) => "authorizer.function.handler".to_owned(),
                    FnRef::String(_) => "authorizer.function".to_owned(),
                };
                let origin = Origin {
                    pos,
                    path: "authorizer.function".to_owned(),
                    handler_path,
                };
                let function = self.resolve_ref(
                    fref,
                    "authorizer",
                    true,
                    &origin,
                    defaults,
                    tags,
                    named,
                    functions,
                    origins,
                    used,
                )?;
                (ok && connect).then_some(Authorizer::Lambda {
                    name,
                    function,
                    identity_sources: sources,
                })
            }
        }
    }

    fn check_identity_source(&mut self, src: &S<String>, path: &str) -> bool {
        let v = src.value.as_str();
        let ok = is_identity_source(v);
        if !ok {
            let hint = if let Some(rest) = v.strip_prefix("$request.") {
                format!("WebSocket APIs name identity sources `route.request.{rest}`")
            } else {
                "use `route.request.header.<Name>` or `route.request.querystring.<name>`".to_owned()
            };
            self.err_hint(
                src.pos,
                path,
                format!(
                    "{} is not a WebSocket identity source",
                    super::read::shown_s(src)
                ),
                hint,
            );
        }
        ok
    }

    // -- domain ------------------------------------------------------------

    fn check_domain(&mut self, d: &RawDomain) -> Option<Domain> {
        let owned;
        let s = match d {
            RawDomain::Name(n) => {
                owned = RawDomainSettings {
                    name: Some(n.clone()),
                    ..Default::default()
                };
                (&owned, "domain")
            }
            RawDomain::Settings(s) => (s, "domain.name"),
        };
        let (s, name_path) = s;
        let name = s.name.as_ref()?;
        let lower = name.value.to_ascii_lowercase();
        let mut ok = true;
        if let Err(why) = check_domain_name(&lower, true) {
            let why = if name.interpolated {
                "see the rules below".to_owned()
            } else {
                why
            };
            self.err_hint(
                name.pos,
                name_path,
                format!("invalid domain name: {why}"),
                "for example `ws.example.com` or `*.example.com`",
            );
            ok = false;
        }
        let hosted_zone = match &s.hosted_zone {
            Some(z) => {
                let zl = z.value.trim_end_matches('.').to_ascii_lowercase();
                if let Err(why) = check_domain_name(&zl, false) {
                    // `why` may quote a label.
                    let msg = if z.interpolated {
                        "invalid hosted zone name (interpolated)".to_owned()
                    } else {
                        format!("invalid hosted zone name: {why}")
                    };
                    self.err(z.pos, "domain.hostedZone", msg);
                    ok = false;
                } else if ok && lower != zl && !lower.ends_with(&format!(".{zl}")) {
                    let msg = if name.interpolated || z.interpolated {
                        "the domain name is not inside the hosted zone".to_owned()
                    } else {
                        format!("`{lower}` is not inside the hosted zone `{zl}`")
                    };
                    self.err_hint(
                        z.pos,
                        "domain.hostedZone",
                        msg,
                        "the hosted zone must be the domain or one of its parents",
                    );
                    ok = false;
                }
                zl
            }
            None => names::default_zone(&lower),
        };
        let path = s.path.as_ref().and_then(|p| {
            let v = &p.value;
            if v.is_empty() {
                return None;
            }
            if !is_mapping_path(v) {
                let hint = if v.starts_with('/') && p.interpolated {
                    "write it without the leading `/`".to_owned()
                } else if v.starts_with('/') {
                    format!(
                        "write it without the leading `/`: `{}`",
                        v.trim_start_matches('/')
                    )
                } else if v.contains('/') {
                    "WebSocket APIs take a single-level mapping such as `v1`".to_owned()
                } else {
                    "letters, digits and `-._~`, at most 128 characters".to_owned()
                };
                self.err_hint(p.pos, "domain.path", "invalid API mapping path", hint);
                ok = false;
            }
            Some(v.clone())
        });
        if let Some(arn) = &s.certificate_arn {
            match parse_acm_arn(&arn.value) {
                None => {
                    self.err_hint(
                        arn.pos,
                        "domain.certificateArn",
                        "not an ACM certificate ARN",
                        "arn:aws:acm:<region>:<account>:certificate/<id>",
                    );
                    ok = false;
                }
                Some(cert_region) => {
                    if let Some(region) = &self.region
                        && cert_region != region
                    {
                        self.err_hint(
                                arn.pos,
                                "domain.certificateArn",
                                format!("the certificate is in `{cert_region}` but the API is in `{region}`"),
                                "a WebSocket custom domain is regional: its certificate must be in the API's region",
                            );
                        ok = false;
                    }
                }
            }
        }
        let external = s.external.as_ref().is_some_and(|b| b.value);
        if external && s.certificate_arn.is_none() {
            let pos = s.external.as_ref().map_or(name.pos, |b| b.pos);
            self.err_hint(
                pos,
                "domain.external",
                "`external: true` needs `certificateArn`",
                "wsdeploy can only validate a certificate through Route 53; issue one in ACM yourself and give its ARN",
            );
            ok = false;
        }
        if external && s.hosted_zone.is_some() {
            let z = s.hosted_zone.as_ref().map_or(name.pos, |z| z.pos);
            self.err(
                z,
                "domain.hostedZone",
                "`hostedZone` has no meaning with `external: true`",
            );
            ok = false;
        }
        ok.then(|| Domain {
            name: lower,
            hosted_zone,
            path,
            certificate_arn: s.certificate_arn.as_ref().map(|a| a.value.clone()),
            external,
        })
    }

    // -- functions ---------------------------------------------------------

    /// Checks the fields one function body sets, at their own positions.
    /// Run once per body (defaults included) so each problem is reported once.
    fn check_function_fields(&mut self, f: &RawFunction, path: &str) {
        if let Some(rt) = &f.runtime
            && runtimes::family(&rt.value).is_none()
        {
            let p = child(path, "runtime");
            match runtimes::replacement(&rt.value) {
                Some(new) => self.err_hint(
                    rt.pos,
                    &p,
                    format!(
                        "{} is retired: Lambda no longer creates functions with it",
                        super::read::shown_s(rt)
                    ),
                    format!("use `{new}`"),
                ),
                None => {
                    let hint = match did_you_mean(&rt.value, runtimes::names()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!(
                            "supported: {}",
                            runtimes::names().collect::<Vec<_>>().join(", ")
                        ),
                    };
                    self.err_hint(
                        rt.pos,
                        &p,
                        format!("{} is not a Lambda runtime", super::read::shown_s(rt)),
                        hint,
                    );
                }
            }
        }
        if let Some(code) = &f.code
            && self.code_path(&code.value).is_err()
        {
            let p = child(path, "code");
            let full = self.ctx.dir.join(&code.value);
            let hint = if full.exists() {
                "`code` is a directory or a `.zip` file".to_owned()
            } else {
                format!(
                    "paths are relative to the directory of {}",
                    self.ctx.file.display()
                )
            };
            let msg = if full.exists() {
                format!(
                    "{} is neither a directory nor a .zip file",
                    super::read::shown_s(code)
                )
            } else {
                format!("{} does not exist", super::read::shown_s(code))
            };
            self.err_hint(code.pos, &p, msg, hint);
        }
        for (key, list) in [("include", &f.include), ("exclude", &f.exclude)] {
            for (i, g) in list.iter().flatten().enumerate() {
                if let Err(why) = check_pattern(&g.value) {
                    self.err(
                        g.pos,
                        &index(&child(path, key), i),
                        format!("invalid glob: {why}"),
                    );
                }
            }
        }
        if let Some(m) = &f.memory_size
            && !(128..=10240).contains(&m.value)
        {
            let size = if m.interpolated {
                "(interpolated)".to_owned()
            } else {
                format!("{} MB", m.value)
            };
            self.err_hint(
                m.pos,
                &child(path, "memorySize"),
                format!("memory size {size} is out of range"),
                "Lambda allows 128 to 10240 MB",
            );
        }
        if let Some(t) = &f.timeout
            && !(1..=900).contains(&t.value)
        {
            let secs = if t.interpolated {
                "(interpolated)".to_owned()
            } else {
                format!("{} s", t.value)
            };
            self.err_hint(
                t.pos,
                &child(path, "timeout"),
                format!("timeout {secs} is out of range"),
                "Lambda allows 1 to 900 seconds",
            );
        }
        if let Some(env) = &f.environment {
            for (k, _) in &env.entries {
                let p = child(&child(path, "environment"), &k.value);
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
        for (i, perm) in f.permissions.iter().flatten().enumerate() {
            let p = index(&child(path, "permissions"), i);
            self.check_permission(perm, &p);
        }
        if let Some(layers) = &f.layers {
            for (i, l) in layers.iter().enumerate() {
                if !is_layer_arn(&l.value) {
                    self.err_hint(
                        l.pos,
                        &index(&child(path, "layers"), i),
                        "not a Lambda layer version ARN",
                        "arn:aws:lambda:<region>:<account>:layer:<name>:<version>",
                    );
                }
            }
        }
        if let Some(t) = &f.tags {
            self.check_tags(t, &child(path, "tags"));
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
                    self.check_action(
                        &a.value,
                        a.pos,
                        a.interpolated,
                        &index(&child(path, "actions"), i),
                    );
                }
                for (i, r) in st.resources.iter().enumerate() {
                    self.check_resource(
                        &r.value,
                        r.pos,
                        r.interpolated,
                        &index(&child(path, "resources"), i),
                    );
                }
            }
        }
    }

    fn check_action(&mut self, action: &str, pos: Pos, hide: bool, path: &str) {
        if !is_action(action) {
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
    }

    fn check_resource(&mut self, resource: &str, pos: Pos, hide: bool, path: &str) {
        if !is_resource(resource) {
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
    }

    fn check_tags(&mut self, tags: &Keyed<S<String>>, path: &str) -> BTreeMap<String, String> {
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

    fn code_path(&self, code: &str) -> Result<(PathBuf, CodeKind), ()> {
        let full = self.ctx.dir.join(code);
        if full.is_dir() {
            Ok((full, CodeKind::Directory))
        } else if full.is_file()
            && full
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
        {
            Ok((full, CodeKind::Zip))
        } else {
            Err(())
        }
    }

    /// Merges `defaults` and a function body into a resolved function and
    /// checks what needs the merged result: the handler and its file, the
    /// environment's size, the layer count, the names.
    fn merge_function(
        &mut self,
        name: &str,
        defaults: Option<&RawFunction>,
        f: &RawFunction,
        origin: &Origin,
        global_tags: &BTreeMap<String, String>,
    ) -> Option<Function> {
        let empty = RawFunction::default();
        let d = defaults.unwrap_or(&empty);
        fn pick<'a, T>(f: &'a Option<T>, d: &'a Option<T>) -> Option<&'a T> {
            f.as_ref().or(d.as_ref())
        }
        let mut ok = true;

        let function_name = names::function_name(&self.app, &self.stage, name);
        if function_name.len() > MAX_NAME {
            self.err_hint(
                origin.pos,
                &origin.path,
                format!("the function name `{function_name}` is {} characters; Lambda and IAM allow {MAX_NAME}", function_name.len()),
                "shorten `app`, `stage` or the function's name",
            );
            ok = false;
        }

        let runtime = pick(&f.runtime, &d.runtime)
            .map_or(DEFAULT_RUNTIME, |r| r.value.as_str())
            .to_owned();
        let family = runtimes::family(&runtime);
        let code_setting = pick(&f.code, &d.code);
        let code_str = code_setting.map_or(".", |c| c.value.as_str());
        let code = self.code_path(code_str).ok();
        ok &= code.is_some() && family.is_some();

        let include: Vec<String> = pick(&f.include, &d.include)
            .map(|v| v.iter().map(|s| s.value.clone()).collect())
            .unwrap_or_default();
        let exclude: Vec<String> = pick(&f.exclude, &d.exclude)
            .map(|v| v.iter().map(|s| s.value.clone()).collect())
            .unwrap_or_default();
        let config_file = code
            .as_ref()
            .and_then(|(dir, _)| relative_to(self.ctx.file, dir));
        let filter = FileFilter::new(include, exclude)
            .ok()
            .map(|f| match &config_file {
                Some(rel) => f.without_file(rel),
                None => f,
            });
        ok &= filter.is_some();

        let handler = match &f.handler {
            Some(h) => Some(h),
            None => {
                self.err_hint(
                    origin.pos,
                    &origin.path,
                    format!("function `{name}` has no `handler`"),
                    "add `handler: path/to/file.export`",
                );
                ok = false;
                None
            }
        };
        if let (Some(h), Some((dir, kind)), Some(_), Some(filter)) =
            (handler, &code, family, &filter)
        {
            ok &= self.check_handler(h, &origin.handler_path, dir, *kind, &runtime, filter, code_str);
        }
        if let (Some((dir, CodeKind::Directory)), Some(Family::Provided)) = (&code, family) {
            let (pos, path) = match code_setting {
                Some(c) if f.code.is_some() => (
                    c.pos,
                    child(
                        origin
                            .handler_path
                            .strip_suffix(".handler")
                            .unwrap_or(&origin.path),
                        "code",
                    ),
                ),
                Some(c) => (c.pos, "defaults.function.code".to_owned()),
                None => (origin.pos, origin.path.clone()),
            };
            match handler::find_bootstrap(dir) {
                Ok(_) => {}
                Err(HandlerError::BootstrapNotExecutable) => {
                    self.err_hint(
                        pos,
                        &path,
                        format!("`bootstrap` in `{code_str}` is not executable"),
                        "run `chmod +x bootstrap`: Lambda starts it as a program",
                    );
                    ok = false;
                }
                Err(_) => {
                    self.err_hint(
                        pos,
                        &path,
                        format!("runtime `{runtime}` needs an executable `bootstrap` at the top of `{code_str}`"),
                        "an OS-only runtime starts the `bootstrap` file your build produces",
                    );
                    ok = false;
                }
            }
        }

        // environment: merged key by key, the function's value wins.
        let mut environment = d.environment.as_ref().map(plain).unwrap_or_default();
        if let Some(e) = &f.environment {
            environment.extend(plain(e));
        }
        let env_bytes: usize = environment
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum::<usize>()
            + INJECTED_ENV_BYTES;
        if env_bytes > MAX_ENV_BYTES {
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
            ok = false;
        }

        // permissions and layers: concatenated, defaults first, no duplicates.
        let mut permissions: Vec<Statement> = Vec::new();
        for p in d
            .permissions
            .iter()
            .flatten()
            .chain(f.permissions.iter().flatten())
        {
            // Problems were reported by check_function_fields.
            if let Some(st) = statement(p)
                && !permissions.contains(&st)
            {
                permissions.push(st);
            }
        }
        let mut layers: Vec<String> = Vec::new();
        for l in d.layers.iter().flatten().chain(f.layers.iter().flatten()) {
            if !layers.contains(&l.value) {
                layers.push(l.value.clone());
            }
        }
        if layers.len() > MAX_LAYERS {
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
            ok = false;
        }

        let mut tags = global_tags.clone();
        tags.extend(d.tags.as_ref().map(plain).unwrap_or_default());
        tags.extend(f.tags.as_ref().map(plain).unwrap_or_default());
        if tags.len() + 2 > MAX_TAGS {
            self.err(origin.pos, &origin.path, format!("function `{name}` has {} tags with the global ones; AWS allows {MAX_TAGS} and wsdeploy adds 2", tags.len()));
            ok = false;
        }

        let memory = pick(&f.memory_size, &d.memory_size).map_or(128, |m| m.value);
        let timeout = pick(&f.timeout, &d.timeout).map_or(6, |t| t.value);
        let architecture =
            pick(&f.architecture, &d.architecture).map_or(Architecture::X86_64, |a| a.value);
        let (Some(handler), Some((path, kind)), Some(filter), true) = (handler, code, filter, ok)
        else {
            return None;
        };
        Some(Function {
            name: name.to_owned(),
            function_name,
            handler: handler.value.clone(),
            runtime,
            code: Code {
                path: absolute(&path),
                kind,
                filter,
            },
            memory_size: u32::try_from(memory).ok()?,
            timeout: u32::try_from(timeout).ok()?,
            architecture,
            environment,
            permissions,
            layers,
            tags,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn check_handler(
        &mut self,
        h: &S<String>,
        path: &str,
        dir: &Path,
        kind: CodeKind,
        runtime: &str,
        filter: &FileFilter,
        code_str: &str,
    ) -> bool {
        let found = match kind {
            // The archive is shipped as it is; its contents are the user's business.
            CodeKind::Zip => handler::check_shape(&h.value, runtime).map(|()| None),
            CodeKind::Directory => handler::find_file(dir, &h.value, runtime),
        };
        match found {
            Err(e) => {
                self.handler_error(h, path, code_str, e);
                false
            }
            Ok(Some(file)) if !filter.accepts(&file) => {
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
                false
            }
            Ok(_) => true,
        }
    }

    /// Reports why the handler `h` (at `path`) cannot be found.
    fn handler_error(&mut self, h: &S<String>, path: &str, code_str: &str, e: HandlerError) {
        match e {
            HandlerError::Shape { expected } => self.err_hint(
                h.pos,
                path,
                format!("{} is not a handler", super::read::shown_s(h)),
                format!("a handler is {expected}"),
            ),
            HandlerError::FileNotFound { candidates } => {
                // The file names come from the handler: not for an
                // interpolated one.
                let list = if h.interpolated {
                    "file for the interpolated handler".to_owned()
                } else {
                    candidates
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                };
                self.err_hint(
                    h.pos,
                    path,
                    format!("handler file not found: no {list} in `{code_str}`"),
                    format!("the handler names a file relative to `code` ({code_str})"),
                );
            }
            other => self.err(h.pos, path, other.to_string()),
        }
    }
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

enum FnRef<'a> {
    String(&'a S<String>),
    Inline(&'a RawFunction),
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
                format!("{route}src/${{env:MODULE}}.handler\n      include: [src/lib/**]\n"),
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
