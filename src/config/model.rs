//! The resolved configuration: what the rest of wsdeploy works from.
//!
//! Everything here has been checked, defaults are merged, shorthands are
//! expanded, implicit functions are named, and every name AWS will see is
//! computed. Maps are `BTreeMap` so iteration order (and therefore plans,
//! hashes and output) is deterministic.
//!
//! `Serialize` gives the `validate --output json` view: environment values
//! are masked there by construction.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Serialize, Serializer};

use super::filter::FileFilter;
pub use super::raw::{AppLogLevel, Architecture, LogFormat, LogLevel, Tracing};

/// The value shown in place of any environment variable's value.
pub const MASK: &str = "(sensitive)";

/// Access-log format used by `accessLog: true`: one JSON object per line
/// with the fields people search for.
pub const DEFAULT_ACCESS_LOG_FORMAT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime","eventType":"$context.eventType","routeKey":"$context.routeKey","status":"$context.status","connectionId":"$context.connectionId","integrationError":"$context.integrationErrorMessage","errorMessage":"$context.error.message"}"#;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// The config file, as given.
    pub file: PathBuf,
    pub app: String,
    pub stage: String,
    /// `None` when neither the file, `--region` nor the environment says;
    /// the AWS configuration chain decides at deploy time.
    pub region: Option<String>,
    pub api: Api,
    /// By function name (the short name: `connect`, `ws`, `authorizer`).
    pub functions: BTreeMap<String, Function>,
    /// Functions deployed elsewhere, by the ARN a route or the authorizer
    /// names them with.
    pub externals: BTreeMap<String, External>,
    /// By route key.
    pub routes: BTreeMap<String, Route>,
    pub authorizer: Option<Authorizer>,
    pub domain: Option<Domain>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Api {
    pub name: String,
    pub description: Option<String>,
    pub route_selection_expression: String,
    pub throttle: Option<Throttle>,
    pub variables: BTreeMap<String, String>,
    pub logging: Logging,
    pub access_log: Option<AccessLog>,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Throttle {
    pub burst_limit: Option<i64>,
    pub rate_limit: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Logging {
    pub level: LogLevel,
    pub data_trace: bool,
    pub detailed_metrics: bool,
}

impl Default for Logging {
    fn default() -> Self {
        Logging {
            level: LogLevel::Off,
            data_trace: false,
            detailed_metrics: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessLog {
    pub format: String,
    pub destination: LogDestination,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind"
)]
pub enum LogDestination {
    /// A log group wsdeploy creates and owns.
    Managed {
        group_name: String,
        retention_days: Option<i64>,
    },
    /// A log group the user owns.
    Existing { arn: String },
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Function {
    /// Short name, unique in this config.
    pub name: String,
    /// `<app>-<stage>-<name>`: the Lambda function name, also the role name.
    pub function_name: String,
    pub handler: String,
    pub runtime: String,
    pub code: Code,
    pub memory_size: u32,
    pub timeout: u32,
    pub architecture: Architecture,
    #[serde(serialize_with = "masked")]
    pub environment: BTreeMap<String, String>,
    pub permissions: Vec<Statement>,
    pub layers: Vec<String>,
    /// Global tags merged with the function's own.
    pub tags: BTreeMap<String, String>,
    /// How the package is built.
    pub build: Build,
    /// The function's log group and Lambda's log format.
    pub logs: Logs,
    /// The function's description; `None`: wsdeploy's own
    /// (`<app> <stage>, managed by wsdeploy`).
    pub description: Option<String>,
    /// Reserved concurrency; `None`: the account's unreserved pool.
    pub reserved_concurrency: Option<u32>,
    /// Provisioned concurrency on the alias `live`; `None`: no version or
    /// alias is made and the API invokes `$LATEST`.
    pub provisioned_concurrency: Option<u32>,
    pub tracing: Tracing,
    /// `/tmp` in MB, 512..=10240; default 512.
    pub ephemeral_storage: u32,
    /// The KMS key that encrypts the environment; `None`: Lambda's own.
    pub kms_key_arn: Option<String>,
    pub vpc: Option<Vpc>,
    /// Managed policy ARNs attached to the function's role.
    pub managed_policies: Vec<String>,
    /// The permissions boundary of the function's role.
    pub permissions_boundary: Option<String>,
    /// An existing role's ARN: wsdeploy makes no role for the function.
    pub role: Option<String>,
}

/// The default size of a function's `/tmp`, in MB.
pub const DEFAULT_EPHEMERAL_STORAGE: u32 = 512;

/// The VPC a function runs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Vpc {
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
}

/// A Lambda function deployed elsewhere that a route or the authorizer
/// names by ARN: wsdeploy adds its own invoke permission statement to it
/// and nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct External {
    /// As written (a function ARN, possibly with a version or alias).
    pub arn: String,
    /// The function's name.
    pub name: String,
    pub region: String,
    pub account: String,
}

/// The `logs` setting of a function: its log group `/aws/lambda/<function
/// name>` and Lambda's LoggingConfig.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Logs {
    /// Days to keep events (a CloudWatch Logs value); `None`: never
    /// expire. Default 30.
    pub retention_days: Option<i64>,
    pub format: LogFormat,
    /// The application log level: `Some` exactly when the format is JSON
    /// (INFO when not set), since Lambda applies it to JSON logs only.
    pub level: Option<AppLogLevel>,
}

/// The default retention of a function's log group, in days.
pub const DEFAULT_LOG_RETENTION_DAYS: i64 = 30;

impl Default for Logs {
    fn default() -> Self {
        Logs {
            retention_days: Some(DEFAULT_LOG_RETENTION_DAYS),
            format: LogFormat::Text,
            level: None,
        }
    }
}

/// How a function's package is built (the `build` setting, resolved for
/// the function's runtime and code).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Build {
    /// The code directory zipped as it is (with `include` / `exclude`), or
    /// a `.zip` shipped as it is.
    Files,
    /// Node.js: one esbuild bundle from the handler's file.
    Bundle(Bundle),
    /// Python: the code with its requirements installed for Lambda.
    Python {
        /// The requirements file (absolute).
        requirements: PathBuf,
    },
}

/// A Node.js bundle's settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    /// The handler's file, relative to the code directory (`src/connect.ts`).
    pub entry: String,
    /// Packages left out of the bundle.
    pub external: Vec<String>,
    /// Packages shipped from `node_modules` as installed.
    pub install: Vec<String>,
    pub minify: bool,
    pub sourcemap: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Code {
    /// Absolute path of the directory or `.zip` file.
    pub path: PathBuf,
    pub kind: CodeKind,
    /// Which files of a directory are shipped.
    #[serde(flatten)]
    pub filter: FileFilter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CodeKind {
    Directory,
    Zip,
}

/// An IAM Allow statement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Statement {
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    pub key: String,
    /// Short name of the function behind it, or the ARN of an external
    /// function (a key of `Config::externals`).
    pub function: String,
    pub return_response: bool,
    pub throttle: Option<Throttle>,
    /// The integration's timeout in milliseconds (50..=29000); `None`:
    /// API Gateway's default, 29000.
    pub integration_timeout_ms: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "type"
)]
pub enum Authorizer {
    /// A Lambda REQUEST authorizer on `$connect`.
    Lambda {
        name: String,
        function: String,
        identity_sources: Vec<String>,
    },
    /// IAM (SigV4) authorization on `$connect`.
    Iam,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Domain {
    pub name: String,
    pub hosted_zone: String,
    pub path: Option<String>,
    pub certificate_arn: Option<String>,
    pub external: bool,
}

fn masked<S: Serializer>(env: &BTreeMap<String, String>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(env.keys().map(|k| (k, MASK)))
}

impl Config {
    /// The route keys whose function is `name`, in key order.
    pub fn routes_of(&self, name: &str) -> impl Iterator<Item = &Route> {
        self.routes.values().filter(move |r| r.function == name)
    }

    /// Whether a route's or the authorizer's function reference names an
    /// external function (an ARN, a key of `externals`) rather than one of
    /// `functions`.
    pub fn is_external(&self, reference: &str) -> bool {
        self.externals.contains_key(reference)
    }

    /// The integration timeout of the function `reference` (a short name
    /// or an external's ARN): the `integrationTimeout` its routes give it
    /// (validation makes them agree; a route that gives none takes the
    /// others' value), `None` when no route does (API Gateway's 29000 ms).
    pub fn integration_timeout_ms(&self, reference: &str) -> Option<u32> {
        self.routes_of(reference)
            .find_map(|r| r.integration_timeout_ms)
    }
}
