//! What a change changes: `Field` names one field of one resource, typed so
//! that apply can act on the plan without comparing states again, and
//! displayed (and serialized) as the field strings of the plan's text and
//! JSON (`memorySize`, `environment.KEY`, `routes.KEY.burstLimit`, ...).

use std::fmt;

use serde::{Serialize, Serializer};

/// One field of a resource that a [`Change`](super::Change) changes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    // A role.
    /// Its trust (assume-role) policy.
    TrustPolicy,
    /// The document of an inline role policy.
    Document,
    /// A managed policy attached to a role, by ARN (`attached` or none).
    ManagedPolicy(String),
    /// A role's permissions boundary.
    PermissionsBoundary,

    // A function's configuration (UpdateFunctionConfiguration).
    Runtime,
    Handler,
    /// Its execution role.
    Role,
    MemorySize,
    Timeout,
    Layers,
    /// One environment variable, by key. Sensitive.
    Environment(String),
    /// Lambda's log format (`Text` or `JSON`).
    LogFormat,
    /// The application log level (JSON logs).
    LogLevel,
    /// The log group Lambda writes to.
    LogGroup,
    // (and the API's `Description`, shared with the API)
    /// X-Ray tracing mode.
    Tracing,
    /// The size of `/tmp`.
    EphemeralStorage,
    /// The KMS key of the environment.
    KmsKeyArn,
    /// The subnets and security groups.
    Vpc,
    /// Reserved concurrency (PutFunctionConcurrency, not the configuration).
    ReservedConcurrency,

    // A function's alias `live`.
    /// The version it points at (a new one is published).
    Version,
    /// The provisioned concurrency on it.
    ProvisionedConcurrency,

    // A function's code (UpdateFunctionCode).
    /// The package: SHA-256 and size.
    Code,
    Architecture,

    // An invoke permission (replaced, never updated).
    SourceArn,
    Principal,
    Action,
    SourceAccount,

    // The API.
    Name,
    Description,
    RouteSelectionExpression,

    /// The function of an authorizer or the target of a route.
    Function,
    /// How long an integration waits for its function.
    IntegrationTimeout,
    /// An authorizer's identity sources.
    IdentitySource,
    /// A route's authorization.
    Authorization,

    // The stage.
    /// A setting of the stage's default route.
    DefaultRoute(Setting),
    /// A setting of one route (`routes.KEY.SETTING`).
    RouteSetting {
        route: String,
        setting: Setting,
        /// The config has no settings left for the route: its settings
        /// are deleted (DeleteRouteSettings), not updated.
        removed: bool,
    },
    /// One stage variable, by key.
    Variable(String),
    /// The access-log destination ARN.
    AccessLogDestination,
    /// The access-log format.
    AccessLogFormat,
    /// The API definition a deployment freezes (its hash).
    Definition,

    /// The retention of a log group.
    Retention,

    // A custom domain.
    /// How a requested certificate is validated.
    Validation,
    /// The certificate of the API Gateway domain name.
    Certificate,
    /// The API mapping's path.
    Path,
    /// The hosted zone of the DNS records.
    Zone,

    /// One tag, by key; the change's values are the tag values.
    Tag(String),
}

/// One route setting, on the stage's default route or on one route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Setting {
    BurstLimit,
    RateLimit,
    LoggingLevel,
    DataTrace,
    DetailedMetrics,
}

impl Field {
    /// Whether the values may be secret and are never shown.
    pub fn is_sensitive(&self) -> bool {
        matches!(self, Field::Environment(_))
    }
}

impl Setting {
    /// Every setting, in the order the plan lists them.
    pub const ALL: [Setting; 5] = [
        Setting::BurstLimit,
        Setting::RateLimit,
        Setting::LoggingLevel,
        Setting::DataTrace,
        Setting::DetailedMetrics,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Setting::BurstLimit => "burstLimit",
            Setting::RateLimit => "rateLimit",
            Setting::LoggingLevel => "loggingLevel",
            Setting::DataTrace => "dataTrace",
            Setting::DetailedMetrics => "detailedMetrics",
        }
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The field as the plan shows it.
impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Field::Environment(k) => return write!(f, "environment.{k}"),
            Field::DefaultRoute(s) => return write!(f, "defaultRoute.{s}"),
            Field::RouteSetting { route, setting, .. } => {
                return write!(f, "routes.{route}.{setting}");
            }
            Field::Variable(k) => return write!(f, "variables.{k}"),
            Field::ManagedPolicy(arn) => return write!(f, "managedPolicies.{arn}"),
            Field::Tag(k) => return write!(f, "tags.{k}"),
            Field::TrustPolicy => "trustPolicy",
            Field::Document => "document",
            Field::Runtime => "runtime",
            Field::Handler => "handler",
            Field::Role => "role",
            Field::MemorySize => "memorySize",
            Field::Timeout => "timeout",
            Field::Layers => "layers",
            Field::LogFormat => "logs.format",
            Field::LogLevel => "logs.level",
            Field::LogGroup => "logs.group",
            Field::Tracing => "tracing",
            Field::EphemeralStorage => "ephemeralStorage",
            Field::KmsKeyArn => "kmsKeyArn",
            Field::Vpc => "vpc",
            Field::ReservedConcurrency => "reservedConcurrency",
            Field::Version => "version",
            Field::ProvisionedConcurrency => "provisionedConcurrency",
            Field::PermissionsBoundary => "permissionsBoundary",
            Field::Code => "code",
            Field::Architecture => "architecture",
            Field::SourceArn => "sourceArn",
            Field::Principal => "principal",
            Field::Action => "action",
            Field::SourceAccount => "sourceAccount",
            Field::Name => "name",
            Field::Description => "description",
            Field::RouteSelectionExpression => "routeSelectionExpression",
            Field::Function => "function",
            Field::IntegrationTimeout => "integrationTimeout",
            Field::IdentitySource => "identitySource",
            Field::Authorization => "authorization",
            Field::AccessLogDestination => "accessLog.destination",
            Field::AccessLogFormat => "accessLog.format",
            Field::Definition => "definition",
            Field::Retention => "retention",
            Field::Validation => "validation",
            Field::Certificate => "certificate",
            Field::Path => "path",
            Field::Zone => "zone",
        };
        f.write_str(name)
    }
}

/// Serialized as it is displayed: the JSON plan keeps its field strings.
impl Serialize for Field {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_show_as_the_plan_always_showed_them() {
        let k = || "KEY".to_owned();
        let cases = [
            (Field::TrustPolicy, "trustPolicy"),
            (Field::Document, "document"),
            (Field::Runtime, "runtime"),
            (Field::Handler, "handler"),
            (Field::Role, "role"),
            (Field::MemorySize, "memorySize"),
            (Field::Timeout, "timeout"),
            (Field::Layers, "layers"),
            (Field::Environment(k()), "environment.KEY"),
            (Field::LogFormat, "logs.format"),
            (Field::LogLevel, "logs.level"),
            (Field::LogGroup, "logs.group"),
            (Field::Tracing, "tracing"),
            (Field::EphemeralStorage, "ephemeralStorage"),
            (Field::KmsKeyArn, "kmsKeyArn"),
            (Field::Vpc, "vpc"),
            (Field::ReservedConcurrency, "reservedConcurrency"),
            (Field::Version, "version"),
            (Field::ProvisionedConcurrency, "provisionedConcurrency"),
            (Field::PermissionsBoundary, "permissionsBoundary"),
            (
                Field::ManagedPolicy("arn:aws:iam::aws:policy/P".to_owned()),
                "managedPolicies.arn:aws:iam::aws:policy/P",
            ),
            (Field::Code, "code"),
            (Field::Architecture, "architecture"),
            (Field::SourceArn, "sourceArn"),
            (Field::Principal, "principal"),
            (Field::Action, "action"),
            (Field::SourceAccount, "sourceAccount"),
            (Field::Name, "name"),
            (Field::Description, "description"),
            (Field::RouteSelectionExpression, "routeSelectionExpression"),
            (Field::Function, "function"),
            (Field::IntegrationTimeout, "integrationTimeout"),
            (Field::IdentitySource, "identitySource"),
            (Field::Authorization, "authorization"),
            (
                Field::DefaultRoute(Setting::BurstLimit),
                "defaultRoute.burstLimit",
            ),
            (
                Field::DefaultRoute(Setting::RateLimit),
                "defaultRoute.rateLimit",
            ),
            (
                Field::DefaultRoute(Setting::LoggingLevel),
                "defaultRoute.loggingLevel",
            ),
            (
                Field::DefaultRoute(Setting::DataTrace),
                "defaultRoute.dataTrace",
            ),
            (
                Field::DefaultRoute(Setting::DetailedMetrics),
                "defaultRoute.detailedMetrics",
            ),
            (
                Field::RouteSetting {
                    route: "$connect".to_owned(),
                    setting: Setting::BurstLimit,
                    removed: false,
                },
                "routes.$connect.burstLimit",
            ),
            (
                Field::RouteSetting {
                    route: k(),
                    setting: Setting::RateLimit,
                    removed: true,
                },
                "routes.KEY.rateLimit",
            ),
            (Field::Variable(k()), "variables.KEY"),
            (Field::AccessLogDestination, "accessLog.destination"),
            (Field::AccessLogFormat, "accessLog.format"),
            (Field::Definition, "definition"),
            (Field::Retention, "retention"),
            (Field::Validation, "validation"),
            (Field::Certificate, "certificate"),
            (Field::Path, "path"),
            (Field::Zone, "zone"),
            (Field::Tag("wsdeploy:app".to_owned()), "tags.wsdeploy:app"),
        ];
        for (field, text) in cases {
            assert_eq!(field.to_string(), text);
            assert_eq!(serde_json::to_value(&field).unwrap(), text);
        }
    }

    #[test]
    fn only_environment_variables_are_sensitive() {
        assert!(Field::Environment("K".to_owned()).is_sensitive());
        assert!(!Field::Variable("K".to_owned()).is_sensitive());
        assert!(!Field::Tag("K".to_owned()).is_sensitive());
    }
}
