//! Observe: the live state of one app and stage, read from AWS.
//!
//! What is wsdeploy's is decided by the contract's ownership rules: the API
//! by its `wsdeploy:app` / `wsdeploy:stage` tags, roles by their path and
//! tags, functions by their tags; routes, integrations, authorizers and the
//! stage by belonging to the owned API. A resource that has a name
//! wsdeploy would use but is not owned is reported in `foreign` and never
//! read further. Ids are translated to names here (a route's target is a
//! function name), so the planner never sees an AWS id.
//!
//! This file holds the observed-state types and the order of the reads;
//! one file per service reads its resources. Independent reads run
//! concurrently; list calls follow their pagination tokens.

mod api;
pub(crate) mod domain;
mod function;
mod iam;
mod lambda;
mod live;
pub(crate) mod logs;

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::try_join_all;

use crate::names::{LIVE_ALIAS, own_function};

use futures_util::FutureExt;

use super::{Aws, AwsError};
use crate::config::model::Config;
use crate::state::*;

pub use function::parse_permissions;
pub use lambda::{Revision, revisions};

/// Ids of live resources, for apply; keyed like `State`.
#[derive(Debug, Clone, Default)]
pub struct LiveIds {
    pub api_id: Option<String>,
    /// The endpoint AWS returned for the API (`wss://...`): the stage's URL
    /// is built from it, so it is right in every partition.
    pub api_endpoint: Option<String>,
    /// Integration id by function name (or by raw URI when it names no
    /// function).
    pub integrations: BTreeMap<String, String>,
    /// Route id and `$default` route response id by route key.
    pub routes: BTreeMap<String, (String, Option<String>)>,
    pub authorizers: BTreeMap<String, String>,
    /// This stage's API mapping id by domain name.
    pub mappings: BTreeMap<String, String>,
    /// Certificates requested during a run, by domain name.
    pub certificates: BTreeMap<String, String>,
    /// Lambda's RevisionId by function name: when set, the code upload of
    /// that function is conditional on it (the lock-free path).
    pub code_revisions: BTreeMap<String, String>,
    /// Set by a deployment: the stage and the record it is to hold (see
    /// `apply::mark_stage`).
    pub stage_marker: Option<(String, String)>,
}

/// A resource with a name wsdeploy would use that is not wsdeploy's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foreign {
    pub kind: &'static str,
    pub name: String,
    pub why: String,
}

#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub state: State,
    pub ids: LiveIds,
    pub foreign: Vec<Foreign>,
}

/// Owned resources by name, and the foreign ones met on the way.
type Found<T> = (BTreeMap<String, T>, Vec<Foreign>);

fn not_ours(tags: &Tags) -> String {
    match (tags.get(TAG_APP), tags.get(TAG_STAGE)) {
        (Some(a), Some(s)) => format!("it belongs to wsdeploy app `{a}` stage `{s}`"),
        _ => "it has no wsdeploy tags, so wsdeploy did not make it".to_owned(),
    }
}

/// The id of the app and stage's API, when it is deployed: one listing,
/// no other read (what `logs` needs to tell an app never deployed from one
/// whose functions have not logged yet).
pub async fn deployed_api_id(aws: &Aws, config: &Config) -> Result<Option<String>, AwsError> {
    let (found, _) = api::find_api(aws, config).await?;
    Ok(found.map(|f| f.id().to_owned()))
}

/// Reads the live state of the app and stage. The reads are arranged in
/// as few sequential rounds as their dependencies allow: everything known
/// by name (the API list, the roles and functions the config names, the
/// log group, the domains) is asked at once; then what needs an answer of
/// the first round (the API's routes, integrations, authorizers and
/// stages; the policies of our roles and functions; roles and functions
/// the config no longer names); then the stage's deployment and the route
/// responses. For an app that exists and fits in one page per list that is
/// three round trips; for an app that does not exist yet, one. Nothing is
/// read on a guess: a policy is asked for only once its role or function
/// is known to be ours.
pub async fn observe(aws: &Aws, config: &Config) -> Result<Observed, AwsError> {
    let stage = config.stage.as_str();
    // The API is wanted by two readers: its own and the domains' (an API
    // mapping is ours when it points at our API).
    let api = api::find_api(aws, config).shared();
    let api_id = {
        let api = api.clone();
        async move {
            api.await
                .ok()
                .and_then(|(found, _)| found.map(|f| f.id().to_owned()))
        }
    };
    let api_state = async {
        let (found, foreign) = api.await?;
        let mut ids = LiveIds::default();
        let state = match found {
            Some(found) => Some(api::read_api(aws, found, (&config.app, stage), &mut ids).await?),
            None => None,
        };
        Ok::<_, AwsError>((state, ids, foreign))
    };
    let configured_externals: Vec<String> = config.externals.keys().cloned().collect();
    let (api_state, functions_and_roles, log_group, function_groups, domains, externals) = tokio::join!(
        api_state,
        functions_and_roles(aws, config),
        logs::observe_log_group(aws, config),
        logs::list_function_log_groups(aws, &config.app, stage),
        domain::observe_domains(aws, config, api_id),
        lambda::read_external_permissions(aws, &config.app, stage, &configured_externals),
    );
    let (api, mut ids, mut foreign) = api_state?;
    let (roles, functions, more_foreign) = functions_and_roles?;
    let (log_group, log_foreign) = log_group?;
    let (domains, mapping_ids, domain_foreign) = domains?;
    let (function_log_groups, group_foreign) =
        classify_function_groups(config, &functions, &more_foreign, function_groups?);
    foreign.extend(more_foreign);
    foreign.extend(log_foreign);
    foreign.extend(group_foreign);
    foreign.extend(domain_foreign);
    ids.mappings = mapping_ids;

    // External functions the live API still invokes that the config no
    // longer names: our statements on them are to be removed.
    let dropped: Vec<String> = api
        .iter()
        .flat_map(|a| {
            let authorizers = a.authorizers.values().map(|z| &z.function);
            a.integrations.keys().chain(authorizers)
        })
        .filter(|r| r.starts_with("arn:") && !config.externals.contains_key(*r))
        .cloned()
        .collect();
    let mut permissions = externals?;
    if !dropped.is_empty() {
        permissions
            .extend(lambda::read_external_permissions(aws, &config.app, stage, &dropped).await?);
    }
    let mut functions: BTreeMap<String, Function> = functions
        .into_iter()
        .map(|(name, (function, policies))| {
            permissions.extend(policies.into_iter().filter(|(_, p)| !p.is_empty()));
            (name, function)
        })
        .collect();
    // An alias the API still invokes that the config no longer wants
    // (provisioned concurrency taken out): read it, so it is removed.
    read_dropped_aliases(aws, config, api.as_ref(), &mut functions, &mut permissions).await?;
    Ok(Observed {
        state: State {
            roles,
            functions,
            permissions,
            api,
            log_group,
            function_log_groups,
            domains,
        },
        ids,
        foreign,
    })
}

/// Reads the alias `live` of each function of ours the live API invokes
/// through it but whose alias was not read (the config no longer gives it
/// provisioned concurrency), all at once.
async fn read_dropped_aliases(
    aws: &Aws,
    config: &Config,
    api: Option<&Api>,
    functions: &mut BTreeMap<String, Function>,
    permissions: &mut BTreeMap<String, BTreeMap<String, Permission>>,
) -> Result<(), AwsError> {
    let own_path = crate::names::role_path(&config.app, &config.stage);
    let dropped: Vec<&Function> = api
        .into_iter()
        .flat_map(aliases_invoked)
        .filter_map(|name| functions.get(&name))
        .filter(|f| f.live.is_none())
        .collect();
    let read = try_join_all(dropped.iter().map(|f| live::read_live(aws, f, &own_path))).await?;
    let names: Vec<String> = dropped.iter().map(|f| f.name.clone()).collect();
    for (name, found) in names.into_iter().zip(read) {
        let Some((live, policy)) = found else {
            continue;
        };
        if !policy.is_empty() {
            permissions.insert(format!("{name}:{LIVE_ALIAS}"), policy);
        }
        if let Some(f) = functions.get_mut(&name) {
            f.live = Some(live);
        }
    }
    Ok(())
}

/// The functions whose alias `live` the API invokes (an integration or
/// the authorizer targets `name:live`).
fn aliases_invoked(api: &Api) -> Vec<String> {
    let authorizers = api.authorizers.values().map(|z| &z.function);
    api.integrations
        .keys()
        .chain(authorizers)
        .filter(|r| r.ends_with(&format!(":{LIVE_ALIAS}")))
        .filter_map(|r| own_function(r))
        .map(str::to_owned)
        .collect()
}

/// The function log groups that are ours or ours to adopt (see
/// `logs::FunctionGroups::classify`).
fn classify_function_groups<P>(
    config: &Config,
    functions: &BTreeMap<String, P>,
    function_foreign: &[Foreign],
    listed: Vec<LogGroup>,
) -> (BTreeMap<String, LogGroup>, Vec<Foreign>) {
    let wanted = config
        .functions
        .values()
        .map(|f| f.function_name.clone())
        .collect();
    let ours = functions.keys().cloned().collect();
    let foreign_functions = function_foreign
        .iter()
        .filter(|f| f.kind == lambda::FOREIGN_KIND)
        .map(|f| f.name.clone())
        .collect();
    logs::FunctionGroups {
        app: &config.app,
        stage: &config.stage,
        wanted: &wanted,
        ours: &ours,
        foreign_functions: &foreign_functions,
    }
    .classify(listed)
}

type FunctionsAndRoles = (
    BTreeMap<String, Role>,
    BTreeMap<String, (Function, lambda::Policies)>,
    Vec<Foreign>,
);

/// The roles and functions the config names, and those of ours it no
/// longer names: every function wsdeploy made has a role of the same name
/// under our path. The roles listed under our path are read at the same
/// time as the functions of their names (not one after the other), so an
/// app known only by its identity (`remove`) is read in three rounds; a
/// function found that way counts only when its role is ours.
async fn functions_and_roles(aws: &Aws, config: &Config) -> Result<FunctionsAndRoles, AwsError> {
    let (app, stage) = (config.app.as_str(), config.stage.as_str());
    let named: Vec<String> = config
        .functions
        .values()
        .map(|f| f.function_name.clone())
        .collect();
    let live: BTreeSet<String> = config
        .functions
        .values()
        .filter(|f| f.provisioned_concurrency.is_some())
        .map(|f| f.function_name.clone())
        .collect();
    let unnamed = async {
        let extra: Vec<String> = iam::list_own(aws, app, stage)
            .await?
            .into_iter()
            .filter(|n| !named.contains(n))
            .collect();
        let none = BTreeSet::new();
        let (roles, functions) = tokio::join!(
            iam::read_roles(aws, app, stage, &extra),
            lambda::read_functions(aws, (app, stage), &extra, &none),
        );
        Ok::<_, AwsError>((roles?, functions?))
    };
    let (roles, functions, unnamed) = tokio::join!(
        iam::read_roles(aws, app, stage, &named),
        lambda::read_functions(aws, (app, stage), &named, &live),
        unnamed,
    );
    let (mut roles, mut foreign) = roles?;
    let (mut functions, function_foreign) = functions?;
    foreign.extend(function_foreign);
    let ((more_roles, more_role_foreign), (more, more_foreign)) = unnamed?;
    foreign.extend(more_role_foreign);
    foreign.extend(
        more_foreign
            .into_iter()
            .filter(|f| more_roles.contains_key(&f.name)),
    );
    functions.extend(more.into_iter().filter(|(n, _)| more_roles.contains_key(n)));
    roles.extend(more_roles);
    Ok((roles, functions, foreign))
}
