//! Desired state: what AWS should look like for a validated config.
//!
//! A pure function of the config and a few facts only AWS knows (account,
//! region, the API's id once it exists) and the packages' hashes. Every
//! policy is least privilege as the contract requires: a role trusts only
//! Lambda, may write only its own log group and post only to this API's
//! stage `@connections`; invoke permissions are scoped to this API.

use std::collections::BTreeMap;

use crate::build::Packages;
mod function;
mod policy;

use crate::config::model::{
    AccessLog as CfgAccessLog, Authorizer as CfgAuthorizer, Config, Domain as CfgDomain,
    LogDestination,
};
use crate::names::{LIVE_ALIAS, Place};
use crate::state::*;

pub use function::default_description;
pub use policy::{VPC_ACTIONS, XRAY_ACTIONS, trust_policy};

pub use crate::names::{ROLE_POLICY_NAME, SID_AUTHORIZER, SID_INVOKE, role_path};

/// Facts from AWS that desired state depends on.
#[derive(Debug, Clone)]
pub struct Context {
    pub account_id: String,
    pub region: String,
    pub partition: String,
    /// The live API's id, or `None` before it exists.
    pub api_id: Option<String>,
    /// Package hash and size by function short name.
    pub code: BTreeMap<String, (String, u64)>,
}

impl Context {
    /// The context of `config` deployed with `packages` at `place`.
    pub fn new(
        place: &Place,
        api_id: Option<String>,
        config: &Config,
        packages: &Packages,
    ) -> Context {
        Context {
            account_id: place.account_id.to_owned(),
            region: place.region.to_owned(),
            partition: place.partition.to_owned(),
            api_id,
            code: config
                .functions
                .iter()
                .filter_map(|(short, f)| {
                    let p = packages.get(&f.function_name)?;
                    Some((short.clone(), (p.sha256.clone(), p.size() as u64)))
                })
                .collect(),
        }
    }

    pub fn api_id(&self) -> &str {
        self.api_id.as_deref().unwrap_or(API_ID_PLACEHOLDER)
    }

    pub fn place(&self) -> Place<'_> {
        Place {
            partition: &self.partition,
            region: &self.region,
            account_id: &self.account_id,
        }
    }
}

pub fn build(config: &Config, ctx: &Context) -> State {
    let mut state = State::default();
    for (short, f) in &config.functions {
        function::function(config, ctx, short, f, &mut state);
    }
    function::externals(config, ctx, &mut state);
    state.api = Some(api(config, ctx));
    state.log_group = log_group(config);
    if let Some(d) = &config.domain {
        state.domains.insert(d.name.clone(), domain(config, d));
    }
    state
}

/// What the API invokes for a route's or the authorizer's function: its
/// reference (`names::reference_of_arn`): the full name of one of ours, or
/// its alias `name:live` when it has provisioned concurrency, or an
/// external function's ARN as written.
pub fn reference(config: &Config, function: &str) -> String {
    match config.functions.get(function) {
        Some(f) if f.provisioned_concurrency.is_some() => {
            format!("{}:{LIVE_ALIAS}", f.function_name)
        }
        Some(f) => f.function_name.clone(),
        None => function.to_owned(),
    }
}

/// The API: its integrations, the authorizer, the routes and the stage.
fn api(config: &Config, ctx: &Context) -> Api {
    let own = ownership_tags(&config.app, &config.stage);
    let full = |short: &str| reference(config, short);
    let mut api = Api {
        id: String::new(),
        name: config.api.name.clone(),
        description: config.api.description.clone(),
        route_selection_expression: config.api.route_selection_expression.clone(),
        tags: config.tags.clone().into_iter().chain(own).collect(),
        integrations: config
            .routes
            .values()
            .map(|r| {
                let timeout_ms = config
                    .integration_timeout_ms(&r.function)
                    .unwrap_or(DEFAULT_INTEGRATION_TIMEOUT_MS);
                (full(&r.function), Integration { timeout_ms })
            })
            .collect(),
        authorizers: BTreeMap::new(),
        routes: BTreeMap::new(),
        stage: None,
    };
    let connect_auth = match &config.authorizer {
        Some(CfgAuthorizer::Lambda {
            name,
            function,
            identity_sources,
        }) => {
            api.authorizers.insert(
                name.clone(),
                Authorizer {
                    function: full(function),
                    identity_sources: identity_sources.clone(),
                },
            );
            Authorization::Custom(name.clone())
        }
        Some(CfgAuthorizer::Iam) => Authorization::Iam,
        None => Authorization::None,
    };
    for (key, r) in &config.routes {
        api.routes.insert(
            key.clone(),
            Route {
                function: Some(full(&r.function)),
                authorization: if key == "$connect" {
                    connect_auth.clone()
                } else {
                    Authorization::None
                },
                returns_response: r.return_response,
            },
        );
    }
    let mut stage = stage(config, ctx);
    stage.deployed_definition = Some(api.definition_hash());
    api.stage = Some(stage);
    api
}

/// The stage's settings, variables, access log and tags.
fn stage(config: &Config, ctx: &Context) -> Stage {
    let logging = &config.api.logging;
    let default_route = RouteSettings {
        burst_limit: config.api.throttle.and_then(|t| t.burst_limit),
        rate_limit: config.api.throttle.and_then(|t| t.rate_limit),
        logging_level: Some(logging.level.as_str().to_owned()),
        data_trace: Some(logging.data_trace),
        detailed_metrics: Some(logging.detailed_metrics),
    };
    let routes = config
        .routes
        .iter()
        .filter_map(|(k, r)| {
            r.throttle.map(|t| {
                (
                    k.clone(),
                    RouteSettings {
                        burst_limit: t.burst_limit,
                        rate_limit: t.rate_limit,
                        ..RouteSettings::default()
                    },
                )
            })
        })
        .collect();
    let access_log = config.api.access_log.as_ref().map(|a| AccessLog {
        destination_arn: match &a.destination {
            LogDestination::Managed { group_name, .. } => ctx.place().log_group_arn(group_name),
            LogDestination::Existing { arn } => arn.clone(),
        },
        format: a.format.clone(),
    });
    let own = ownership_tags(&config.app, &config.stage);
    Stage {
        name: config.stage.clone(),
        default_route,
        routes,
        variables: config.api.variables.clone(),
        access_log,
        tags: config.tags.clone().into_iter().chain(own).collect(),
        deployed_definition: None,
    }
}

/// The access-log group, when wsdeploy manages it.
fn log_group(config: &Config) -> Option<LogGroup> {
    let Some(CfgAccessLog {
        destination:
            LogDestination::Managed {
                group_name,
                retention_days,
            },
        ..
    }) = &config.api.access_log
    else {
        return None;
    };
    Some(LogGroup {
        name: group_name.clone(),
        retention_days: *retention_days,
        tags: config
            .tags
            .clone()
            .into_iter()
            .chain(ownership_tags(&config.app, &config.stage))
            .collect(),
    })
}

/// The custom domain: the certificate (requested by wsdeploy unless one
/// is given), the domain name, this stage's mapping and, unless DNS is
/// external, the alias records.
fn domain(config: &Config, d: &CfgDomain) -> Domain {
    let mut tags = config.tags.clone();
    tags.insert(TAG_DOMAIN.to_owned(), d.name.clone());
    Domain {
        name: d.name.clone(),
        certificate: Certificate {
            arn: d.certificate_arn.clone(),
            managed: d.certificate_arn.is_none(),
            status: Some("ISSUED".to_owned()),
            reason: None,
        },
        exists: true,
        domain_certificate_arn: d.certificate_arn.clone(),
        mapping: Some(d.path.clone().unwrap_or_default()),
        other_mappings: 0,
        zone: (!d.external).then(|| d.hosted_zone.clone()),
        records: !d.external,
        tags,
    }
}
