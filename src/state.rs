//! The resources wsdeploy owns for one app and stage, in plain terms.
//!
//! Both sides of a plan use these types: `desired` builds them from the
//! config, the AWS adapter builds them from live state (translating ids
//! into names: a route's target is the function's name, not an integration
//! id). No SDK type appears here, so the planner is pure and testable with
//! fixtures.
//!
//! Values that AWS generates and wsdeploy cannot know before creating the
//! API (its id) appear as `API_ID_PLACEHOLDER` in desired state until the
//! API exists.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// Stands for the id of an API that does not exist yet.
pub const API_ID_PLACEHOLDER: &str = "(new-api-id)";

/// The two tags that mark a resource as wsdeploy's.
pub const TAG_APP: &str = "wsdeploy:app";
pub const TAG_STAGE: &str = "wsdeploy:stage";
/// Marks a domain name or certificate as wsdeploy's; shared by the apps
/// mapped on the domain, so it names the domain, not an app.
pub const TAG_DOMAIN: &str = "wsdeploy:domain";

pub type Tags = BTreeMap<String, String>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct State {
    /// By role name.
    #[serde(default)]
    pub roles: BTreeMap<String, Role>,
    /// By function name.
    #[serde(default)]
    pub functions: BTreeMap<String, Function>,
    /// wsdeploy's statements in each function's resource policy, by
    /// function name, then statement id.
    #[serde(default)]
    pub permissions: BTreeMap<String, BTreeMap<String, Permission>>,
    #[serde(default)]
    pub api: Option<Api>,
    /// The access-log group wsdeploy creates, when it creates one.
    #[serde(default)]
    pub log_group: Option<LogGroup>,
    /// The functions' log groups (`/aws/lambda/<function>`), by group
    /// name. Observed: ours, and the untagged ones wsdeploy may adopt.
    #[serde(default)]
    pub function_log_groups: BTreeMap<String, LogGroup>,
    /// Custom domains, by name. Desired: at most one. Observed: every
    /// wsdeploy domain this stage's API is mapped on, and the configured
    /// one if it exists.
    #[serde(default)]
    pub domains: BTreeMap<String, Domain>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogGroup {
    pub name: String,
    #[serde(default)]
    pub retention_days: Option<i64>,
    #[serde(default)]
    pub tags: Tags,
}

/// A custom domain with its certificate, its API mapping for this stage and
/// its DNS records. The domain name, certificate and records are shared by
/// every wsdeploy app mapped on the domain; the mapping is this stage's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Domain {
    pub name: String,
    pub certificate: Certificate,
    /// The API Gateway domain name exists (always true in desired state).
    pub exists: bool,
    /// The certificate the API Gateway domain name uses, when it exists.
    #[serde(default)]
    pub domain_certificate_arn: Option<String>,
    /// This stage's API mapping key (`""`: the domain root); `None`: none.
    #[serde(default)]
    pub mapping: Option<String>,
    /// Mappings of other APIs or stages on the domain (observed).
    #[serde(default)]
    pub other_mappings: usize,
    /// The Route 53 hosted zone with the alias records; `None` when DNS is
    /// external.
    #[serde(default)]
    pub zone: Option<String>,
    /// The A and AAAA alias records point at the domain (observed; desired:
    /// whenever `zone` is set).
    #[serde(default)]
    pub records: bool,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Certificate {
    /// Desired: the configured ARN, `None` for one wsdeploy requests.
    /// Observed: the ARN found.
    #[serde(default)]
    pub arn: Option<String>,
    /// Requested and owned by wsdeploy (tag `wsdeploy:domain`).
    pub managed: bool,
    /// ACM status: desired `ISSUED`; observed as ACM reports it.
    #[serde(default)]
    pub status: Option<String>,
    /// Why ACM failed it, when it did.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Role {
    pub name: String,
    pub path: String,
    /// The trust policy document.
    pub trust_policy: serde_json::Value,
    /// Inline policies by name.
    #[serde(default)]
    pub policies: BTreeMap<String, serde_json::Value>,
    /// The ARNs of the managed policies attached to it.
    #[serde(default)]
    pub managed_policies: BTreeSet<String>,
    /// The ARN of its permissions boundary.
    #[serde(default)]
    pub permissions_boundary: Option<String>,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Function {
    pub name: String,
    pub runtime: String,
    pub handler: String,
    /// The execution role's name.
    pub role: String,
    pub memory_size: u32,
    pub timeout: u32,
    pub architecture: String,
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    #[serde(default)]
    pub layers: Vec<String>,
    /// Base64 SHA-256 of the deployment package.
    pub code_sha256: String,
    /// Size of the package in bytes, when known.
    #[serde(default)]
    pub code_size: Option<u64>,
    /// Lambda's LoggingConfig: `Text` or `JSON`.
    #[serde(default = "text_format")]
    pub log_format: String,
    /// The application log level; JSON logs only (`None` for text).
    #[serde(default)]
    pub log_level: Option<String>,
    /// The log group Lambda writes to when it is not the function's own
    /// `/aws/lambda/<name>` (only ever observed: wsdeploy sets the own one).
    #[serde(default)]
    pub log_group: Option<String>,
    /// The execution role's ARN when it is not wsdeploy's role `role`
    /// (the config's `role`, or whatever the live function points at).
    #[serde(default)]
    pub role_arn: Option<String>,
    #[serde(default)]
    pub description: String,
    /// X-Ray tracing: `Active` or `PassThrough`.
    #[serde(default = "pass_through")]
    pub tracing: String,
    /// `/tmp` in MB.
    #[serde(default = "default_storage")]
    pub ephemeral_storage: u32,
    #[serde(default)]
    pub kms_key_arn: Option<String>,
    #[serde(default)]
    pub vpc: Option<Vpc>,
    #[serde(default)]
    pub reserved_concurrency: Option<u32>,
    /// The alias `live` with its provisioned concurrency, when the
    /// function has one.
    #[serde(default)]
    pub live: Option<Live>,
    #[serde(default)]
    pub tags: Tags,
}

/// A function's alias `live`: a published version with provisioned
/// concurrency, which the API invokes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Live {
    /// The provisioned concurrency configured on the alias (0: none).
    pub provisioned: u32,
    /// Whether the alias's version has the code and configuration of
    /// `$LATEST` (desired: always).
    pub current: bool,
}

/// A function's VPC configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Vpc {
    pub subnet_ids: BTreeSet<String>,
    pub security_group_ids: BTreeSet<String>,
}

/// Lambda's default tracing mode.
pub const PASS_THROUGH: &str = "PassThrough";

fn pass_through() -> String {
    PASS_THROUGH.to_owned()
}

/// Lambda's default `/tmp` size in MB.
pub const DEFAULT_STORAGE: u32 = 512;

fn default_storage() -> u32 {
    DEFAULT_STORAGE
}

/// Lambda's default log format.
pub const TEXT_FORMAT: &str = "Text";

fn text_format() -> String {
    TEXT_FORMAT.to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Permission {
    pub action: String,
    pub principal: String,
    pub source_arn: String,
    pub source_account: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Api {
    /// Empty in desired state; the live id in observed state.
    #[serde(default)]
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub route_selection_expression: String,
    #[serde(default)]
    pub tags: Tags,
    /// One Lambda proxy integration per function, by function reference
    /// (`names::reference_of_arn`: a function name, `name:live`, or an
    /// external function's ARN).
    #[serde(default)]
    pub integrations: BTreeMap<String, Integration>,
    /// By authorizer name.
    #[serde(default)]
    pub authorizers: BTreeMap<String, Authorizer>,
    /// By route key.
    #[serde(default)]
    pub routes: BTreeMap<String, Route>,
    #[serde(default)]
    pub stage: Option<Stage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Integration {
    /// How long API Gateway waits for the function, in milliseconds.
    #[serde(default = "default_integration_timeout")]
    pub timeout_ms: u32,
}

/// API Gateway's default (and largest) integration timeout.
pub const DEFAULT_INTEGRATION_TIMEOUT_MS: u32 = 29_000;

fn default_integration_timeout() -> u32 {
    DEFAULT_INTEGRATION_TIMEOUT_MS
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Authorizer {
    /// The function it invokes.
    pub function: String,
    pub identity_sources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Route {
    /// The function whose integration is the target; `None` for a route
    /// without a (recognised) target.
    pub function: Option<String>,
    pub authorization: Authorization,
    /// Two-way route: it has the `$default` route response.
    #[serde(default)]
    pub returns_response: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type", content = "authorizer")]
pub enum Authorization {
    None,
    Iam,
    /// A Lambda authorizer, by name.
    Custom(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Stage {
    pub name: String,
    #[serde(default)]
    pub default_route: RouteSettings,
    /// Per-route settings, by route key.
    #[serde(default)]
    pub routes: BTreeMap<String, RouteSettings>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub access_log: Option<AccessLog>,
    #[serde(default)]
    pub tags: Tags,
    /// Hash of the API definition the stage's current deployment was made
    /// from (kept in the deployment's description); `None` when there is no
    /// deployment or it was not made by wsdeploy.
    #[serde(default)]
    pub deployed_definition: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouteSettings {
    #[serde(default)]
    pub burst_limit: Option<i64>,
    #[serde(default)]
    pub rate_limit: Option<f64>,
    /// `OFF`, `ERROR` or `INFO`; only on the stage default.
    #[serde(default)]
    pub logging_level: Option<String>,
    #[serde(default)]
    pub data_trace: Option<bool>,
    #[serde(default)]
    pub detailed_metrics: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessLog {
    pub destination_arn: String,
    pub format: String,
}

impl Api {
    /// A hash of everything a deployment freezes: routes, their targets and
    /// authorization, route responses, authorizers, integrations and the
    /// route selection expression. When it differs from the stage's
    /// deployed definition, a new deployment is needed.
    pub fn definition_hash(&self) -> String {
        let mut def = serde_json::json!({
            "routeSelectionExpression": self.route_selection_expression,
            "integrations": self.integrations.keys().collect::<Vec<_>>(),
            "authorizers": self.authorizers,
            "routes": self.routes,
        });
        // Only timeouts that are not the default, so that definitions made
        // before timeouts were configurable hash as they did.
        let timeouts: BTreeMap<&String, u32> = self
            .integrations
            .iter()
            .filter(|(_, i)| i.timeout_ms != DEFAULT_INTEGRATION_TIMEOUT_MS)
            .map(|(k, i)| (k, i.timeout_ms))
            .collect();
        if !timeouts.is_empty() {
            def["integrationTimeouts"] = serde_json::json!(timeouts);
        }
        let text = serde_json::to_string(&def).unwrap_or_default();
        let digest = crate::build::sha256_base64(text.as_bytes());
        // Short, URL-safe and enough to tell definitions apart.
        digest
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(16)
            .collect()
    }
}

/// The ownership tags for one app and stage.
pub fn ownership_tags(app: &str, stage: &str) -> Tags {
    [(TAG_APP, app), (TAG_STAGE, stage)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Whether `tags` mark a resource as this app and stage's.
pub fn owned_by(tags: &Tags, app: &str, stage: &str) -> bool {
    tags.get(TAG_APP).is_some_and(|a| a == app) && tags.get(TAG_STAGE).is_some_and(|s| s == stage)
}
