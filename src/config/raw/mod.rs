//! The raw configuration: the shape of wsdeploy.yml, typed but not yet
//! checked for meaning.
//!
//! These types are the source of the JSON Schema (`wsdeploy schema`), so
//! their doc comments are what editors show. Each struct lists its keys in
//! `KEYS`; the reader uses that list for unknown-key errors and a test checks
//! it against the schema, so the two cannot drift apart.
//!
//! Raw types never leave the config module: `validate` turns them into the
//! resolved model.

// Raw values live only while a config loads; boxing the big variants
// would buy nothing and cost clarity.
#![allow(clippy::large_enum_variant)]

use schemars::JsonSchema;

mod build;
mod function;
mod logs;
mod settings;

pub use build::{RawBuild, read_build};
pub use function::{
    Architecture, RawFunction, RawFunctionRef, RawPermission, RawStatement, read_function,
};
pub use logs::{AppLogLevel, LogFormat, RETENTION_DAYS, RETENTION_NAMES, RawLogs, RawRetention};
pub use settings::{RawVpc, Tracing};

use super::node::{Node, Pos, Value};
use super::read::{Fields, Keyed, Reader, S};
use function::read_function_ref;
use logs::read_retention;

/// wsdeploy.yml: one WebSocket API, its routes and the Lambda functions behind them.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(rename_all = "camelCase", deny_unknown_fields, title = "wsdeploy.yml")]
pub struct RawConfig {
    /// Application name: lowercase letters, digits and `-`, starting with a letter, at most 30 characters. Part of every resource name.
    #[schemars(regex(pattern = r"^([a-z][a-z0-9-]{0,29}|.*\$\{.*)$"))]
    pub app: S<String>,
    /// Stage name (default `dev`; `--stage` overrides it). Letters, digits, `-` and `_`, at most 32 characters.
    #[schemars(regex(pattern = r"^([A-Za-z0-9_-]{1,32}|.*\$\{.*)$"))]
    pub stage: Option<S<String>>,
    /// AWS region. `--region` overrides it; without either, the AWS configuration chain decides.
    pub region: Option<S<String>>,
    /// API- and stage-level settings.
    pub api: Option<RawApi>,
    /// Defaults merged into every function.
    pub defaults: Option<RawDefaults>,
    /// Named functions that routes and the authorizer can share by name.
    pub functions: Option<Keyed<RawFunction>>,
    /// Route key (`$connect`, `$disconnect`, `$default` or a custom key) to its function. At least one.
    pub routes: Keyed<RawRoute>,
    /// Authorizes `$connect`, the only route a WebSocket API can authorize: `iam`, or a Lambda REQUEST authorizer.
    pub authorizer: Option<RawAuthorizer>,
    /// Where the `authorizer` key stands, for errors about the whole section.
    #[schemars(skip)]
    pub authorizer_pos: Pos,
    /// A custom domain for the API: its name, or the full settings.
    pub domain: Option<RawDomain>,
    /// Tags added to every taggable resource.
    pub tags: Option<Keyed<S<String>>>,
}

impl RawConfig {
    pub const KEYS: &'static [&'static str] = &[
        "app",
        "stage",
        "region",
        "api",
        "defaults",
        "functions",
        "routes",
        "authorizer",
        "domain",
        "tags",
    ];
}

/// API- and stage-level settings.
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(rename_all = "camelCase", deny_unknown_fields, rename = "Api")]
pub struct RawApi {
    /// API name (default `<app>-<stage>`).
    pub name: Option<S<String>>,
    /// API description.
    pub description: Option<S<String>>,
    /// Where API Gateway finds the route key in a message (default `$request.body.action`).
    pub route_selection_expression: Option<S<String>>,
    /// Default throttling for every route of the stage.
    pub throttle: Option<RawThrottle>,
    /// Stage variables.
    pub variables: Option<Keyed<S<String>>>,
    /// Execution logging of the stage.
    pub logging: Option<RawLogging>,
    /// Access logging: `true`, a format string, or the full settings.
    pub access_log: Option<RawAccessLog>,
}

impl RawApi {
    pub const KEYS: &'static [&'static str] = &[
        "name",
        "description",
        "routeSelectionExpression",
        "throttle",
        "variables",
        "logging",
        "accessLog",
    ];
}

/// Throttling limits.
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(rename_all = "camelCase", deny_unknown_fields, rename = "Throttle")]
pub struct RawThrottle {
    /// Maximum burst of requests.
    #[schemars(extend("minimum" = 0))]
    pub burst_limit: Option<S<i64>>,
    /// Steady-state requests per second.
    #[schemars(extend("minimum" = 0))]
    pub rate_limit: Option<S<f64>>,
}

impl RawThrottle {
    pub const KEYS: &'static [&'static str] = &["burstLimit", "rateLimit"];
}

/// Execution log level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema, serde::Serialize)]
pub enum LogLevel {
    #[serde(rename = "OFF")]
    Off,
    #[serde(rename = "ERROR")]
    Error,
    #[serde(rename = "INFO")]
    Info,
}

impl LogLevel {
    pub const CHOICES: &'static [(&'static str, LogLevel)] = &[
        ("OFF", LogLevel::Off),
        ("ERROR", LogLevel::Error),
        ("INFO", LogLevel::Info),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Off => "OFF",
            LogLevel::Error => "ERROR",
            LogLevel::Info => "INFO",
        }
    }
}

/// Execution logging of the stage.
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(rename_all = "camelCase", deny_unknown_fields, rename = "Logging")]
pub struct RawLogging {
    /// `OFF`, `ERROR` or `INFO`.
    pub level: Option<S<LogLevel>>,
    /// Log full request and response data (may log sensitive data).
    pub data_trace: Option<S<bool>>,
    /// Detailed CloudWatch metrics per route.
    pub detailed_metrics: Option<S<bool>>,
}

impl RawLogging {
    pub const KEYS: &'static [&'static str] = &["level", "dataTrace", "detailedMetrics"];
}

/// Access logging: `true` (JSON format, log group made by wsdeploy), a format string, or the full settings.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged, rename = "AccessLog")]
pub enum RawAccessLog {
    Enabled(S<bool>),
    Format(S<String>),
    Settings(RawAccessLogSettings),
}

/// Access-log settings.
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(
    rename_all = "camelCase",
    deny_unknown_fields,
    rename = "AccessLogSettings"
)]
pub struct RawAccessLogSettings {
    /// The log line format; must contain `$context.requestId`.
    pub format: Option<S<String>>,
    /// Days to keep the events of the log group wsdeploy creates: a CloudWatch Logs value (1, 3, 5, 7, 14, 30, 60, 90, ...) or its name (`one_week`, `one_month`, ...); `infinite` keeps them forever, as does leaving it out.
    pub retention: Option<S<RawRetention>>,
    /// ARN of an existing log group to write to instead of one wsdeploy creates.
    pub destination_arn: Option<S<String>>,
}

impl RawAccessLogSettings {
    pub const KEYS: &'static [&'static str] = &["format", "retention", "destinationArn"];
}

/// Defaults.
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(rename_all = "camelCase", deny_unknown_fields, rename = "Defaults")]
pub struct RawDefaults {
    /// Function settings merged into every function: the function's own scalars win, `environment`, `tags`, `build`, `logs` and `vpc` merge key by key, `permissions`, `layers` and `managedPolicies` are concatenated.
    pub function: Option<RawFunction>,
}

impl RawDefaults {
    pub const KEYS: &'static [&'static str] = &["function"];
}

/// A route: a handler string (an implicit function named after the route), or its settings.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged, rename = "Route")]
pub enum RawRoute {
    Handler(S<String>),
    Settings(RawRouteSettings),
}

/// A route's settings.
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(
    rename_all = "camelCase",
    deny_unknown_fields,
    rename = "RouteSettings"
)]
pub struct RawRouteSettings {
    /// A name from `functions:`, a handler string, or inline function settings.
    pub function: Option<RawFunctionRef>,
    /// Two-way route: send the integration's response back to the client.
    pub return_response: Option<S<bool>>,
    /// Throttling for this route.
    pub throttle: Option<RawThrottle>,
    /// The integration's timeout in milliseconds, 50 to 29000 (default 29000). Routes that share a function share its integration, so they must agree.
    #[schemars(extend("minimum" = 50, "maximum" = 29000))]
    pub integration_timeout: Option<S<i64>>,
}

impl RawRouteSettings {
    pub const KEYS: &'static [&'static str] = &[
        "function",
        "returnResponse",
        "throttle",
        "integrationTimeout",
    ];
}

/// Authorizer kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthorizerType {
    Lambda,
    Iam,
}

impl AuthorizerType {
    pub const CHOICES: &'static [(&'static str, AuthorizerType)] = &[
        ("lambda", AuthorizerType::Lambda),
        ("iam", AuthorizerType::Iam),
    ];
}

/// `iam`, or a Lambda authorizer's settings.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged, rename = "Authorizer")]
pub enum RawAuthorizer {
    Shorthand(S<AuthorizerType>),
    Settings(RawAuthorizerSettings),
}

/// Authorizer settings.
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(
    rename_all = "camelCase",
    deny_unknown_fields,
    rename = "AuthorizerSettings"
)]
pub struct RawAuthorizerSettings {
    /// `lambda` (default) or `iam`.
    #[serde(rename = "type")]
    pub kind: Option<S<AuthorizerType>>,
    /// The authorizer function: a handler string, a name from `functions:`, or inline settings.
    pub function: Option<RawFunctionRef>,
    /// Where the identity is read: `route.request.header.<Name>` or `route.request.querystring.<name>` (default `[route.request.header.Authorization]`).
    pub identity_source: Option<Vec<S<String>>>,
    /// Authorizer name (default `<app>-<stage>-authorizer`).
    pub name: Option<S<String>>,
}

impl RawAuthorizerSettings {
    pub const KEYS: &'static [&'static str] = &["type", "function", "identitySource", "name"];
}

/// A custom domain: its name, or the full settings.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged, rename = "Domain")]
pub enum RawDomain {
    Name(S<String>),
    Settings(RawDomainSettings),
}

/// Custom domain settings.
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(
    rename_all = "camelCase",
    deny_unknown_fields,
    rename = "DomainSettings"
)]
pub struct RawDomainSettings {
    /// Domain name, such as `ws.example.com` or `*.example.com`.
    pub name: Option<S<String>>,
    /// Route 53 hosted zone (default: the name without its first label).
    pub hosted_zone: Option<S<String>>,
    /// API mapping key (default: the domain root).
    pub path: Option<S<String>>,
    /// Use this ACM certificate instead of requesting one.
    pub certificate_arn: Option<S<String>>,
    /// DNS is not in Route 53: needs `certificateArn`; wsdeploy prints the target to point a CNAME at.
    pub external: Option<S<bool>>,
}

impl RawDomainSettings {
    pub const KEYS: &'static [&'static str] =
        &["name", "hostedZone", "path", "certificateArn", "external"];
}

// ---------------------------------------------------------------------------
// Reading. Each function reads one type from a node, reporting problems to
// the reader and returning what it could make of the rest.

pub fn read_config(r: &mut Reader, root: &Node) -> Option<RawConfig> {
    let mut f = top_level_fields(r, root)?;
    let Names { app, stage, region } = read_names(r, &mut f);
    let api = f.take("api").and_then(|n| read_api(r, n, "api"));
    let defaults = f
        .take("defaults")
        .and_then(|n| read_defaults(r, n, "defaults"));
    let functions = f.take("functions").and_then(|n| {
        r.keyed(n, "functions", |r, e, p| {
            read_named_function(r, &e.value, p)
        })
    });
    let routes = match f.take_entry("routes") {
        Some(e) if e.value.as_map().is_some_and(<[_]>::is_empty) || e.value.is_null() => {
            r.error_hint(
                e.value.pos,
                "routes",
                "`routes` is empty",
                "add at least one route, for example `$default: src/default.handler`",
            );
            Some(Keyed::default())
        }
        Some(e) => r.keyed(&e.value, "routes", |r, e, p| read_route(r, &e.value, p)),
        None => None,
    };
    let routes = f.require(r, "routes", routes);
    let authorizer_pos = f.take_entry("authorizer").map_or(Pos::START, |e| e.key_pos);
    let authorizer = f
        .take("authorizer")
        .and_then(|n| read_authorizer(r, n, "authorizer"));
    let domain = f.take("domain").and_then(|n| read_domain(r, n, "domain"));
    let tags = f.take("tags").and_then(|n| r.string_map(n, "tags"));
    f.finish(r);
    Some(RawConfig {
        app: app?,
        stage,
        region,
        api,
        defaults,
        functions,
        routes: routes?,
        authorizer,
        authorizer_pos,
        domain,
        tags,
    })
}

/// The top-level mapping, which must not be empty.
pub(super) fn top_level_fields<'n>(r: &mut Reader, root: &'n Node) -> Option<Fields<'n>> {
    if root.is_null() {
        r.error_hint(
            root.pos,
            "",
            "the file is empty",
            "a minimal wsdeploy.yml is `app: <name>` and a `routes:` mapping",
        );
        return None;
    }
    r.fields(root, "", RawConfig::KEYS)
}

/// `app`, `stage` and `region`, as read.
pub(super) struct Names {
    pub app: Option<S<String>>,
    pub stage: Option<S<String>>,
    pub region: Option<S<String>>,
}

/// `app` (required), `stage` and `region`.
pub(super) fn read_names(r: &mut Reader, f: &mut Fields) -> Names {
    let app = f.take("app").and_then(|n| r.string(n, "app"));
    Names {
        app: f.require(r, "app", app),
        stage: f.take("stage").and_then(|n| r.string(n, "stage")),
        region: f.take("region").and_then(|n| r.string(n, "region")),
    }
}

fn read_api(r: &mut Reader, node: &Node, path: &str) -> Option<RawApi> {
    let mut f = r.fields(node, path, RawApi::KEYS)?;
    let api = RawApi {
        name: f.take("name").and_then(|n| r.string(n, &f.path_of("name"))),
        description: f
            .take("description")
            .and_then(|n| r.string(n, &f.path_of("description"))),
        route_selection_expression: f
            .take("routeSelectionExpression")
            .and_then(|n| r.string(n, &f.path_of("routeSelectionExpression"))),
        throttle: f
            .take("throttle")
            .and_then(|n| read_throttle(r, n, &f.path_of("throttle"))),
        variables: f
            .take("variables")
            .and_then(|n| r.string_map(n, &f.path_of("variables"))),
        logging: f
            .take("logging")
            .and_then(|n| read_logging(r, n, &f.path_of("logging"))),
        access_log: f
            .take("accessLog")
            .and_then(|n| read_access_log(r, n, &f.path_of("accessLog"))),
    };
    f.finish(r);
    Some(api)
}

fn read_throttle(r: &mut Reader, node: &Node, path: &str) -> Option<RawThrottle> {
    let mut f = r.fields(node, path, RawThrottle::KEYS)?;
    let t = RawThrottle {
        burst_limit: f
            .take("burstLimit")
            .and_then(|n| r.integer(n, &f.path_of("burstLimit"))),
        rate_limit: f
            .take("rateLimit")
            .and_then(|n| r.number(n, &f.path_of("rateLimit"))),
    };
    f.finish(r);
    Some(t)
}

fn read_logging(r: &mut Reader, node: &Node, path: &str) -> Option<RawLogging> {
    let mut f = r.fields(node, path, RawLogging::KEYS)?;
    let l = RawLogging {
        level: f
            .take("level")
            .and_then(|n| r.one_of(n, &f.path_of("level"), LogLevel::CHOICES)),
        data_trace: f
            .take("dataTrace")
            .and_then(|n| r.boolean(n, &f.path_of("dataTrace"))),
        detailed_metrics: f
            .take("detailedMetrics")
            .and_then(|n| r.boolean(n, &f.path_of("detailedMetrics"))),
    };
    f.finish(r);
    Some(l)
}

fn read_access_log(r: &mut Reader, node: &Node, path: &str) -> Option<RawAccessLog> {
    match &node.value {
        Value::Bool(_) => r.boolean(node, path).map(RawAccessLog::Enabled),
        Value::Str(_) => r.string(node, path).map(RawAccessLog::Format),
        Value::Map(_) => {
            let mut f = r.fields(node, path, RawAccessLogSettings::KEYS)?;
            let s = RawAccessLogSettings {
                format: f
                    .take("format")
                    .and_then(|n| r.string(n, &f.path_of("format"))),
                retention: f
                    .take("retention")
                    .and_then(|n| read_retention(r, n, &f.path_of("retention"))),
                destination_arn: f
                    .take("destinationArn")
                    .and_then(|n| r.string(n, &f.path_of("destinationArn"))),
            };
            f.finish(r);
            Some(RawAccessLog::Settings(s))
        }
        _ => {
            r.error(
                node.pos,
                path,
                format!(
                    "expected `true`, a format string or a mapping, found {}",
                    node.value.kind()
                ),
            );
            None
        }
    }
}

fn read_defaults(r: &mut Reader, node: &Node, path: &str) -> Option<RawDefaults> {
    let mut f = r.fields(node, path, RawDefaults::KEYS)?;
    let d = RawDefaults {
        function: f
            .take("function")
            .and_then(|n| read_function(r, n, &f.path_of("function"))),
    };
    f.finish(r);
    Some(d)
}

/// An entry of `functions:`: its settings. A Lambda function ARN there
/// gets a hint: an external function is named by its ARN where it is used.
fn read_named_function(r: &mut Reader, node: &Node, path: &str) -> Option<RawFunction> {
    match &node.value {
        Value::Str(s) if s.starts_with("arn:") => {
            r.error_hint(
                node.pos,
                path,
                "an entry of `functions:` is a function's settings, not an ARN",
                "refer to a function deployed elsewhere by its ARN where it is used: `function: arn:aws:lambda:...` in the route or the authorizer",
            );
            None
        }
        _ => read_function(r, node, path),
    }
}

fn read_route(r: &mut Reader, node: &Node, path: &str) -> Option<RawRoute> {
    match &node.value {
        Value::Map(_) => {
            let mut f = r.fields(node, path, RawRouteSettings::KEYS)?;
            // Authorization belongs to the connection, not to a route: say so
            // rather than a bare "unknown key".
            if let Some(e) = f.take_entry("authorizer") {
                let is_connect = path.ends_with(".$connect");
                let (msg, hint) = if is_connect {
                    (
                        "`authorizer` is not a route setting",
                        "configure the authorizer at the top level with `authorizer:`; it applies to `$connect`",
                    )
                } else {
                    (
                        "only `$connect` can be authorized",
                        "a WebSocket API authorizes once, when the connection opens (`$connect`); messages on an open connection are not authorized again. Use the top-level `authorizer:`",
                    )
                };
                r.error_hint(e.key_pos, &f.path_of("authorizer"), msg, hint);
            }
            let function = f
                .take("function")
                .and_then(|n| read_function_ref(r, n, &f.path_of("function")));
            let function = f.require(r, "function", function);
            let s = RawRouteSettings {
                function,
                return_response: f
                    .take("returnResponse")
                    .and_then(|n| r.boolean(n, &f.path_of("returnResponse"))),
                throttle: f
                    .take("throttle")
                    .and_then(|n| read_throttle(r, n, &f.path_of("throttle"))),
                integration_timeout: f
                    .take("integrationTimeout")
                    .and_then(|n| r.integer(n, &f.path_of("integrationTimeout"))),
            };
            f.finish(r);
            Some(RawRoute::Settings(s))
        }
        Value::Null => {
            r.error_hint(
                node.pos,
                path,
                "the route has no function",
                "give a handler (`src/file.export`) or `function: ...`",
            );
            None
        }
        _ => r.string(node, path).map(RawRoute::Handler),
    }
}

fn read_authorizer(r: &mut Reader, node: &Node, path: &str) -> Option<RawAuthorizer> {
    match &node.value {
        Value::Map(_) => {
            let mut f = r.fields(node, path, RawAuthorizerSettings::KEYS)?;
            let s = RawAuthorizerSettings {
                kind: f
                    .take("type")
                    .and_then(|n| r.one_of(n, &f.path_of("type"), AuthorizerType::CHOICES)),
                function: f
                    .take("function")
                    .and_then(|n| read_function_ref(r, n, &f.path_of("function"))),
                identity_source: f
                    .take("identitySource")
                    .and_then(|n| r.string_list(n, &f.path_of("identitySource"))),
                name: f.take("name").and_then(|n| r.string(n, &f.path_of("name"))),
            };
            f.finish(r);
            Some(RawAuthorizer::Settings(s))
        }
        _ => r
            .one_of(node, path, AuthorizerType::CHOICES)
            .map(RawAuthorizer::Shorthand),
    }
}

pub(super) fn read_domain(r: &mut Reader, node: &Node, path: &str) -> Option<RawDomain> {
    match &node.value {
        Value::Map(_) => {
            let mut f = r.fields(node, path, RawDomainSettings::KEYS)?;
            let name = f.take("name").and_then(|n| r.string(n, &f.path_of("name")));
            let name = f.require(r, "name", name);
            let s = RawDomainSettings {
                name,
                hosted_zone: f
                    .take("hostedZone")
                    .and_then(|n| r.string(n, &f.path_of("hostedZone"))),
                path: f.take("path").and_then(|n| r.string(n, &f.path_of("path"))),
                certificate_arn: f
                    .take("certificateArn")
                    .and_then(|n| r.string(n, &f.path_of("certificateArn"))),
                external: f
                    .take("external")
                    .and_then(|n| r.boolean(n, &f.path_of("external"))),
            };
            f.finish(r);
            Some(RawDomain::Settings(s))
        }
        _ => r.string(node, path).map(RawDomain::Name),
    }
}
