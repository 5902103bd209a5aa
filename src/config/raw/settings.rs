//! The raw function settings of issue 15 beyond the basics (description,
//! concurrency, tracing, `/tmp`, the environment's KMS key, the VPC and the
//! role with its policies): their types and how they are read, for
//! `raw::function` to put into a `RawFunction`. Checked and merged in
//! `validate::settings` (`validate::vpc`, `validate::role`).

use schemars::JsonSchema;

use crate::config::node::{Node, Pos};
use crate::config::read::{Fields, Reader, S};

/// X-Ray tracing of a function (Lambda's `TracingConfig` mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, JsonSchema, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tracing {
    Active,
    #[default]
    PassThrough,
}

impl Tracing {
    pub const CHOICES: &'static [(&'static str, Tracing)] = &[
        ("active", Tracing::Active),
        ("passthrough", Tracing::PassThrough),
    ];

    /// The value Lambda's API uses.
    pub fn aws(self) -> &'static str {
        match self {
            Tracing::Active => "Active",
            Tracing::PassThrough => "PassThrough",
        }
    }
}

/// The VPC a function runs in. Merged key by key over `defaults.function.vpc`; after merging both keys are required.
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(rename_all = "camelCase", deny_unknown_fields, rename = "Vpc")]
pub struct RawVpc {
    /// Subnet ids (`subnet-...`), 1 to 16.
    pub subnet_ids: Option<Vec<S<String>>>,
    /// Security group ids (`sg-...`), 1 to 5.
    pub security_group_ids: Option<Vec<S<String>>>,
    /// Where the `vpc` mapping starts.
    #[schemars(skip)]
    pub pos: Pos,
}

impl RawVpc {
    pub const KEYS: &'static [&'static str] = &["subnetIds", "securityGroupIds"];
}

/// The settings of this module as one function body writes them, for
/// `RawFunction`.
pub(super) struct RawSettings {
    pub description: Option<S<String>>,
    pub reserved_concurrency: Option<S<i64>>,
    pub provisioned_concurrency: Option<S<i64>>,
    pub tracing: Option<S<Tracing>>,
    pub ephemeral_storage: Option<S<i64>>,
    pub kms_key_arn: Option<S<String>>,
    pub vpc: Option<RawVpc>,
    pub managed_policies: Option<Vec<S<String>>>,
    pub permissions_boundary: Option<S<String>>,
    pub role: Option<S<String>>,
}

/// Reads `description`, `reservedConcurrency`, `provisionedConcurrency`,
/// `tracing`, `ephemeralStorage`, `kmsKeyArn`, `vpc`, `managedPolicies`,
/// `permissionsBoundary` and `role` from a function body's fields.
pub(super) fn read_settings(r: &mut Reader, f: &mut Fields) -> RawSettings {
    RawSettings {
        description: string(r, f, "description"),
        reserved_concurrency: integer(r, f, "reservedConcurrency"),
        provisioned_concurrency: integer(r, f, "provisionedConcurrency"),
        tracing: f
            .take("tracing")
            .and_then(|n| r.one_of(n, &f.path_of("tracing"), Tracing::CHOICES)),
        ephemeral_storage: integer(r, f, "ephemeralStorage"),
        kms_key_arn: string(r, f, "kmsKeyArn"),
        vpc: f
            .take("vpc")
            .and_then(|n| read_vpc(r, n, &f.path_of("vpc"))),
        managed_policies: f
            .take("managedPolicies")
            .and_then(|n| r.string_list(n, &f.path_of("managedPolicies"))),
        permissions_boundary: string(r, f, "permissionsBoundary"),
        role: string(r, f, "role"),
    }
}

fn string(r: &mut Reader, f: &mut Fields, key: &str) -> Option<S<String>> {
    f.take(key).and_then(|n| r.string(n, &f.path_of(key)))
}

fn integer(r: &mut Reader, f: &mut Fields, key: &str) -> Option<S<i64>> {
    f.take(key).and_then(|n| r.integer(n, &f.path_of(key)))
}

fn read_vpc(r: &mut Reader, node: &Node, path: &str) -> Option<RawVpc> {
    let mut f = r.fields(node, path, RawVpc::KEYS)?;
    let vpc = RawVpc {
        subnet_ids: f
            .take("subnetIds")
            .and_then(|n| r.string_list(n, &f.path_of("subnetIds"))),
        security_group_ids: f
            .take("securityGroupIds")
            .and_then(|n| r.string_list(n, &f.path_of("securityGroupIds"))),
        pos: node.pos,
    };
    f.finish(r);
    Some(vpc)
}
