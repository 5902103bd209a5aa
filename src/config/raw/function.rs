//! The raw settings of a Lambda function, as `defaults.function`, an entry
//! of `functions:`, or inline under a route's or the authorizer's
//! `function:`: their types (with `KEYS`) and how they are read. Checked in
//! `validate::functions` and merged in `validate::merge`.

use schemars::JsonSchema;

use super::build::{RawBuild, read_build};
use super::logs::{RawLogs, read_logs};
use super::settings::{RawSettings, RawVpc, Tracing, read_settings};
use crate::config::node::{Node, Pos, Value};
use crate::config::read::{Keyed, Reader, S, index};

/// Instruction set architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema, serde::Serialize)]
pub enum Architecture {
    #[serde(rename = "x86_64")]
    X86_64,
    #[serde(rename = "arm64")]
    Arm64,
}

impl Architecture {
    pub const CHOICES: &'static [(&'static str, Architecture)] = &[
        ("x86_64", Architecture::X86_64),
        ("arm64", Architecture::Arm64),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }
}

/// A Lambda function's settings.
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(rename_all = "camelCase", deny_unknown_fields, rename = "Function")]
pub struct RawFunction {
    /// `path/to/module.export` (the file is found under `code`).
    pub handler: Option<S<String>>,
    /// Lambda runtime (default `nodejs20.x`).
    pub runtime: Option<S<String>>,
    /// A directory (relative to wsdeploy.yml) zipped deterministically, or a `.zip` file. Default `.`.
    pub code: Option<S<String>>,
    /// Globs relative to `code` of the files to ship (default: everything).
    pub include: Option<Vec<S<String>>>,
    /// Globs relative to `code` of files to leave out (`.git/` and `.wsdeploy/` always are).
    pub exclude: Option<Vec<S<String>>>,
    /// Memory in MB, 128 to 10240 (default 128).
    #[schemars(extend("minimum" = 128, "maximum" = 10240))]
    pub memory_size: Option<S<i64>>,
    /// Timeout in seconds, 1 to 900 (default 6).
    #[schemars(extend("minimum" = 1, "maximum" = 900))]
    pub timeout: Option<S<i64>>,
    /// `x86_64` (default) or `arm64`.
    pub architecture: Option<S<Architecture>>,
    /// Environment variables. Values are never printed.
    pub environment: Option<Keyed<S<String>>>,
    /// IAM statements added to the function's own role: `{actions, resources}` or `"<action> <resource>"`.
    pub permissions: Option<Vec<RawPermission>>,
    /// Layer version ARNs (at most 5).
    pub layers: Option<Vec<S<String>>>,
    /// Tags for this function and its role.
    pub tags: Option<Keyed<S<String>>>,
    /// How the package is built: bundling for Node.js, requirements for Python.
    pub build: Option<RawBuild>,
    /// The function's log group (retention) and the format Lambda writes its logs in.
    pub logs: Option<RawLogs>,
    /// The function's description, at most 256 characters (default: wsdeploy's own).
    pub description: Option<S<String>>,
    /// Reserved concurrency: executions kept for this function, and its ceiling. `0` throttles it: it never runs. Default: none (the account's unreserved pool).
    #[schemars(extend("minimum" = 0))]
    pub reserved_concurrency: Option<S<i64>>,
    /// Provisioned concurrency, at least 1 and at most `reservedConcurrency` when that is set: wsdeploy publishes a version on each change and points the alias `live` at it, and the API invokes the alias. Default: none (no version or alias).
    #[schemars(extend("minimum" = 1))]
    pub provisioned_concurrency: Option<S<i64>>,
    /// X-Ray tracing: `active` or `passthrough` (default). `active` adds the X-Ray write permissions to the function's role.
    pub tracing: Option<S<Tracing>>,
    /// The size of `/tmp` in MB, 512 to 10240 (default 512).
    #[schemars(extend("minimum" = 512, "maximum" = 10240))]
    pub ephemeral_storage: Option<S<i64>>,
    /// The ARN of the KMS key (`arn:aws:kms:<region>:<account>:key/<id>`, not an alias) that encrypts the environment. Default: Lambda's own key.
    pub kms_key_arn: Option<S<String>>,
    /// Run the function in a VPC: `subnetIds` and `securityGroupIds`. wsdeploy adds the network-interface permissions to its role.
    pub vpc: Option<RawVpc>,
    /// Managed policy ARNs attached to the function's role (`arn:aws:iam::aws:policy/...` or your account's).
    pub managed_policies: Option<Vec<S<String>>>,
    /// The ARN of a managed policy that is the permissions boundary of the function's role.
    pub permissions_boundary: Option<S<String>>,
    /// The ARN of an existing IAM role to use instead of one wsdeploy makes; `permissions`, `managedPolicies` and `permissionsBoundary` then do not apply.
    pub role: Option<S<String>>,
}

impl RawFunction {
    pub const KEYS: &'static [&'static str] = &[
        "handler",
        "runtime",
        "code",
        "include",
        "exclude",
        "memorySize",
        "timeout",
        "architecture",
        "environment",
        "permissions",
        "layers",
        "tags",
        "build",
        "logs",
        "description",
        "reservedConcurrency",
        "provisionedConcurrency",
        "tracing",
        "ephemeralStorage",
        "kmsKeyArn",
        "vpc",
        "managedPolicies",
        "permissionsBoundary",
        "role",
    ];
}

/// An IAM statement for a function's role.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged, rename = "Permission")]
pub enum RawPermission {
    /// `"<service:Action> <resource ARN or *>"`
    Short(S<String>),
    Statement(RawStatement),
}

/// An IAM Allow statement.
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(rename_all = "camelCase", deny_unknown_fields, rename = "Statement")]
pub struct RawStatement {
    /// Actions, `service:Action` (wildcards allowed in the action part).
    pub actions: Vec<S<String>>,
    /// Resource ARNs or `*`.
    pub resources: Vec<S<String>>,
    /// Where the statement starts.
    #[schemars(skip)]
    pub pos: Pos,
}

impl RawStatement {
    pub const KEYS: &'static [&'static str] = &["actions", "resources"];
}

/// A function: a name from `functions:`, a handler string, or inline settings.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged, rename = "FunctionRef")]
pub enum RawFunctionRef {
    NameOrHandler(S<String>),
    Inline(RawFunction),
}

pub fn read_function(r: &mut Reader, node: &Node, path: &str) -> Option<RawFunction> {
    let mut f = r.fields(node, path, RawFunction::KEYS)?;
    let func = RawFunction {
        handler: f
            .take("handler")
            .and_then(|n| r.string(n, &f.path_of("handler"))),
        runtime: f
            .take("runtime")
            .and_then(|n| r.string(n, &f.path_of("runtime"))),
        code: f.take("code").and_then(|n| r.string(n, &f.path_of("code"))),
        include: f
            .take("include")
            .and_then(|n| r.string_list(n, &f.path_of("include"))),
        exclude: f
            .take("exclude")
            .and_then(|n| r.string_list(n, &f.path_of("exclude"))),
        memory_size: f
            .take("memorySize")
            .and_then(|n| r.integer(n, &f.path_of("memorySize"))),
        timeout: f
            .take("timeout")
            .and_then(|n| r.integer(n, &f.path_of("timeout"))),
        architecture: f
            .take("architecture")
            .and_then(|n| r.one_of(n, &f.path_of("architecture"), Architecture::CHOICES)),
        environment: f
            .take("environment")
            .and_then(|n| r.string_map(n, &f.path_of("environment"))),
        permissions: f
            .take("permissions")
            .and_then(|n| read_permissions(r, n, &f.path_of("permissions"))),
        layers: f
            .take("layers")
            .and_then(|n| r.string_list(n, &f.path_of("layers"))),
        tags: f
            .take("tags")
            .and_then(|n| r.string_map(n, &f.path_of("tags"))),
        build: f
            .take("build")
            .and_then(|n| read_build(r, n, &f.path_of("build"))),
        logs: f
            .take("logs")
            .and_then(|n| read_logs(r, n, &f.path_of("logs"))),
        ..RawFunction::default()
    };
    let func = with_settings(func, read_settings(r, &mut f));
    f.finish(r);
    Some(func)
}

/// `func` with the settings `read_settings` read.
fn with_settings(func: RawFunction, s: RawSettings) -> RawFunction {
    RawFunction {
        description: s.description,
        reserved_concurrency: s.reserved_concurrency,
        provisioned_concurrency: s.provisioned_concurrency,
        tracing: s.tracing,
        ephemeral_storage: s.ephemeral_storage,
        kms_key_arn: s.kms_key_arn,
        vpc: s.vpc,
        managed_policies: s.managed_policies,
        permissions_boundary: s.permissions_boundary,
        role: s.role,
        ..func
    }
}

fn read_permissions(r: &mut Reader, node: &Node, path: &str) -> Option<Vec<RawPermission>> {
    let Value::Seq(items) = &node.value else {
        r.error(
            node.pos,
            path,
            format!("expected a list of statements, found {}", node.value.kind()),
        );
        return None;
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = index(path, i);
        match &item.value {
            Value::Str(_) => out.extend(r.string(item, &p).map(RawPermission::Short)),
            Value::Map(_) => {
                let Some(mut f) = r.fields(item, &p, RawStatement::KEYS) else {
                    continue;
                };
                let actions = f
                    .take("actions")
                    .and_then(|n| r.string_list(n, &f.path_of("actions")));
                let actions = f.require(r, "actions", actions);
                let resources = f
                    .take("resources")
                    .and_then(|n| r.string_list(n, &f.path_of("resources")));
                let resources = f.require(r, "resources", resources);
                f.finish(r);
                if let (Some(actions), Some(resources)) = (actions, resources) {
                    out.push(RawPermission::Statement(RawStatement {
                        actions,
                        resources,
                        pos: item.pos,
                    }));
                }
            }
            _ => r.error_hint(
                item.pos,
                &p,
                format!("expected a statement, found {}", item.value.kind()),
                "write `{ actions: [...], resources: [...] }` or `\"<action> <resource>\"`",
            ),
        }
    }
    Some(out)
}

pub(super) fn read_function_ref(r: &mut Reader, node: &Node, path: &str) -> Option<RawFunctionRef> {
    match &node.value {
        Value::Map(_) => read_function(r, node, path).map(RawFunctionRef::Inline),
        _ => r.string(node, path).map(RawFunctionRef::NameOrHandler),
    }
}
