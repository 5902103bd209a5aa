//! Desired state of one function: the Lambda function with its settings,
//! its execution role (unless the config names an existing one), its log
//! group and the invoke permissions API Gateway needs.

use std::collections::BTreeMap;

use super::Context;
use super::policy::{invoke_permission, role_policy, trust_policy};
use crate::config::model::{Authorizer as CfgAuthorizer, Build, Config, Function as CfgFunction};
use crate::names::{
    ENV_APP, ENV_MANAGEMENT_ENDPOINT, ENV_STAGE, ExternalSid, ROLE_POLICY_NAME, SID_AUTHORIZER,
    SID_INVOKE, external_sid, function_log_group, role_path,
};
use crate::state::*;

/// The Node.js option that makes stack traces use a shipped source map.
const SOURCE_MAPS: &str = "--enable-source-maps";

/// The description of a function whose config gives none.
pub fn default_description(config: &Config) -> String {
    format!("{} {}, managed by wsdeploy", config.app, config.stage)
}

/// A function, its role, its log group and its invoke permissions.
pub(super) fn function(
    config: &Config,
    ctx: &Context,
    short: &str,
    f: &CfgFunction,
    state: &mut State,
) {
    let mut tags = f.tags.clone();
    tags.extend(ownership_tags(&config.app, &config.stage));
    let role_name = match &f.role {
        Some(arn) => arn.rsplit('/').next().unwrap_or(arn).to_owned(),
        None => {
            state
                .roles
                .insert(f.function_name.clone(), role(config, ctx, f, &tags));
            f.function_name.clone()
        }
    };
    let (sha, size) = ctx.code.get(short).cloned().unwrap_or_default();
    state.functions.insert(
        f.function_name.clone(),
        Function {
            name: f.function_name.clone(),
            runtime: f.runtime.clone(),
            handler: f.handler.clone(),
            role: role_name,
            role_arn: f.role.clone(),
            memory_size: f.memory_size,
            timeout: f.timeout,
            architecture: f.architecture.as_str().to_owned(),
            environment: environment(config, ctx, f),
            layers: f.layers.clone(),
            code_sha256: sha,
            code_size: Some(size),
            log_format: f.logs.format.aws().to_owned(),
            log_level: f.logs.level.map(|l| l.aws().to_owned()),
            log_group: None,
            description: f
                .description
                .clone()
                .unwrap_or_else(|| default_description(config)),
            tracing: f.tracing.aws().to_owned(),
            ephemeral_storage: f.ephemeral_storage,
            kms_key_arn: f.kms_key_arn.clone(),
            vpc: f.vpc.as_ref().map(|v| Vpc {
                subnet_ids: v.subnet_ids.iter().cloned().collect(),
                security_group_ids: v.security_group_ids.iter().cloned().collect(),
            }),
            reserved_concurrency: f.reserved_concurrency,
            live: f.provisioned_concurrency.map(|provisioned| Live {
                provisioned,
                current: true,
            }),
            tags: tags.clone(),
        },
    );
    let group = function_log_group(&f.function_name);
    state.function_log_groups.insert(
        group.clone(),
        LogGroup {
            name: group,
            retention_days: f.logs.retention_days,
            tags,
        },
    );
    let perms = permissions(config, ctx, short, [SID_INVOKE, SID_AUTHORIZER]);
    if !perms.is_empty() {
        // On the alias when the API invokes the alias.
        state
            .permissions
            .insert(super::reference(config, short), perms);
    }
}

/// This app and stage's invoke permissions on each external function its
/// routes or authorizer name (statement ids of their own: other apps may
/// use the same function).
pub(super) fn externals(config: &Config, ctx: &Context, state: &mut State) {
    let sid = |kind| external_sid(&config.app, &config.stage, kind);
    for arn in config.externals.keys() {
        let sids = [sid(ExternalSid::Invoke), sid(ExternalSid::Authorizer)];
        let perms = permissions(config, ctx, arn, [sids[0].as_str(), sids[1].as_str()]);
        if !perms.is_empty() {
            state.permissions.insert(arn.clone(), perms);
        }
    }
}

/// The function's own execution role.
fn role(config: &Config, ctx: &Context, f: &CfgFunction, tags: &Tags) -> Role {
    Role {
        name: f.function_name.clone(),
        path: role_path(&config.app, &config.stage),
        trust_policy: trust_policy(),
        policies: BTreeMap::from([(ROLE_POLICY_NAME.to_owned(), role_policy(config, ctx, f))]),
        managed_policies: f.managed_policies.iter().cloned().collect(),
        permissions_boundary: f.permissions_boundary.clone(),
        tags: tags.clone(),
    }
}

/// The config's environment and the variables every function gets.
fn environment(config: &Config, ctx: &Context, f: &CfgFunction) -> BTreeMap<String, String> {
    let mut environment = f.environment.clone();
    environment.insert(
        ENV_MANAGEMENT_ENDPOINT.to_owned(),
        ctx.place().management_endpoint(ctx.api_id(), &config.stage),
    );
    environment.insert(ENV_APP.to_owned(), config.app.clone());
    environment.insert(ENV_STAGE.to_owned(), config.stage.clone());
    if matches!(&f.build, Build::Bundle(b) if b.sourcemap) {
        // The bundle's source map is shipped; Node uses it for stack
        // traces only when asked.
        let options = environment.entry("NODE_OPTIONS".to_owned()).or_default();
        if !options.split_whitespace().any(|o| o == SOURCE_MAPS) {
            if !options.is_empty() {
                options.push(' ');
            }
            options.push_str(SOURCE_MAPS);
        }
    }
    environment
}

/// API Gateway's invoke permissions on the function `function` (a short
/// name or an external's ARN): for its routes, and for the authorizer when
/// it is the authorizer's; `[invoke, authorizer]` are their statement ids.
fn permissions(
    config: &Config,
    ctx: &Context,
    short: &str,
    [invoke, authorizer]: [&str; 2],
) -> BTreeMap<String, Permission> {
    let arn_base = ctx.place().execute_api_arn(ctx.api_id());
    let mut perms = BTreeMap::new();
    if config.routes_of(short).next().is_some() {
        perms.insert(
            invoke.to_owned(),
            invoke_permission(&format!("{arn_base}/*"), ctx),
        );
    }
    let authorizer_fn = match &config.authorizer {
        Some(CfgAuthorizer::Lambda { function, .. }) => Some(function.as_str()),
        _ => None,
    };
    if authorizer_fn == Some(short) {
        perms.insert(
            authorizer.to_owned(),
            invoke_permission(&format!("{arn_base}/authorizers/*"), ctx),
        );
    }
    perms
}
