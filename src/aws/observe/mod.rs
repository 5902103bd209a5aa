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
//! concurrently; list calls follow their pagination tokens. A removal
//! reads less (`Depth::Removal`), and `absence.rs` confirms that a first
//! deploy still finds nothing.

mod absence;
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

pub use absence::still_nothing;
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

impl Observed {
    /// Nothing of the app and stage exists (a first deploy).
    pub fn is_nothing(&self) -> bool {
        self.state == State::default() && self.foreign.is_empty()
    }
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

/// How much of live state a command reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Everything a plan compares (`deploy`, `diff`, `info`).
    Full,
    /// What deleting needs (`remove`): which resources are ours and their
    /// names, not what they hold. No policy documents (a role policy is
    /// deleted by name), no statements on our own functions
    /// (DeleteFunction takes them), no aliases (likewise), no route
    /// responses or deployment (DeleteApi takes them). The reads that would
    /// wait for an answer about ownership are asked by name alongside it
    /// (a role's policy list, a log group's tags by its ARN once the
    /// account is known) and count only when the answer says ours, so
    /// everything is read in one round.
    Removal,
}

/// The app's API as listed before the lock was taken (`api_hint`), or by
/// an earlier read: a removal reads its lists while it lists the APIs
/// again, and keeps them only when that list names the same API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiHint {
    id: String,
    name: String,
}

impl ApiHint {
    /// The API an earlier read found.
    pub fn of(observed: &Observed) -> Option<ApiHint> {
        let api = observed.state.api.as_ref()?;
        Some(ApiHint {
            id: api.id.clone(),
            name: api.name.clone(),
        })
    }
}

/// Lists the app's API without reading further; a failed listing is no
/// hint (the read under the lock lists again).
pub async fn api_hint(aws: &Aws, config: &Config) -> Option<ApiHint> {
    let (found, _) = api::find_api(aws, config).await.ok()?;
    found.map(|f| ApiHint {
        id: f.id().to_owned(),
        name: f.name().to_owned(),
    })
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
    observe_to(aws, config, Depth::Full, None).await
}

/// Reads live state to `depth`: `Depth::Removal` with a hint of the API
/// and the account known reads an app whose lists fit in a page in one
/// round.
pub async fn observe_to(
    aws: &Aws,
    config: &Config,
    depth: Depth,
    hint: Option<ApiHint>,
) -> Result<Observed, AwsError> {
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
        let early = api::early_lists(aws, hint.as_ref().map(|h| (h.id.as_str(), h.name.as_str())));
        let (listed, early) = tokio::join!(api.clone(), early);
        let (found, foreign) = listed?;
        let mut ids = LiveIds::default();
        let state = match found {
            Some(found) => {
                let lists = early.filter(|(id, _)| id == found.id()).map(|(_, l)| l);
                let at = (config.app.as_str(), stage);
                Some(api::read_api(aws, found, at, &mut ids, (depth, lists)).await?)
            }
            None => None,
        };
        Ok::<_, AwsError>((state, ids, foreign))
    };
    // A log group's tags are asked by its ARN alongside the listing when
    // removing and the account is known.
    let guess_tags = depth == Depth::Removal && !aws.place().account_id.is_empty();
    let expected_groups: Vec<String> = match guess_tags {
        true => config
            .functions
            .values()
            .map(|f| crate::names::function_log_group(&f.function_name))
            .collect(),
        false => Vec::new(),
    };
    let configured_externals: Vec<String> = config.externals.keys().cloned().collect();
    let (api_state, functions_and_roles, log_group, function_groups, domains, externals) = tokio::join!(
        api_state,
        functions_and_roles(aws, config, depth),
        logs::observe_log_group(aws, config, guess_tags && config.api.access_log.is_some()),
        logs::list_function_log_groups(aws, (&config.app, stage), &expected_groups),
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
    let mut permissions = externals?;
    permissions.extend(dropped_external_permissions(aws, config, api.as_ref()).await?);
    let mut functions: BTreeMap<String, Function> = functions
        .into_iter()
        .map(|(name, (function, policies))| {
            permissions.extend(policies.into_iter().filter(|(_, p)| !p.is_empty()));
            (name, function)
        })
        .collect();
    // An alias the API still invokes that the config no longer wants
    // (provisioned concurrency taken out): read it, so it is removed
    // (deleting its function takes it along).
    if depth == Depth::Full {
        read_dropped_aliases(aws, config, api.as_ref(), &mut functions, &mut permissions).await?;
    }
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

/// Our statements on external functions the live API still invokes but
/// the config no longer names: they are to be removed.
async fn dropped_external_permissions(
    aws: &Aws,
    config: &Config,
    api: Option<&Api>,
) -> Result<BTreeMap<String, BTreeMap<String, Permission>>, AwsError> {
    let dropped: Vec<String> = api
        .iter()
        .flat_map(|a| {
            let authorizers = a.authorizers.values().map(|z| &z.function);
            a.integrations.keys().chain(authorizers)
        })
        .filter(|r| r.starts_with("arn:") && !config.externals.contains_key(*r))
        .cloned()
        .collect();
    if dropped.is_empty() {
        return Ok(BTreeMap::new());
    }
    lambda::read_external_permissions(aws, &config.app, &config.stage, &dropped).await
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
async fn functions_and_roles(
    aws: &Aws,
    config: &Config,
    depth: Depth,
) -> Result<FunctionsAndRoles, AwsError> {
    let (app, stage) = (config.app.as_str(), config.stage.as_str());
    let named: Vec<String> = config
        .functions
        .values()
        .map(|f| f.function_name.clone())
        .collect();
    let of_functions = |keep: &dyn Fn(&crate::config::model::Function) -> bool| {
        config
            .functions
            .values()
            .filter(|f| keep(f))
            .map(|f| f.function_name.clone())
            .collect::<BTreeSet<String>>()
    };
    // A removal reads no alias (deleting a function takes its aliases),
    // and the attached policies only of roles the config gives some.
    let live = of_functions(&|f| depth == Depth::Full && f.provisioned_concurrency.is_some());
    let with_managed = of_functions(&|f| !f.managed_policies.is_empty());
    let reads = match depth {
        Depth::Full => iam::RoleReads::Everything,
        Depth::Removal => iam::RoleReads::Names {
            attached: &with_managed,
        },
    };
    let unnamed = async {
        let extra: Vec<String> = iam::list_own(aws, app, stage)
            .await?
            .into_iter()
            .filter(|n| !named.contains(n))
            .collect();
        let none = BTreeSet::new();
        let (roles, functions) = tokio::join!(
            iam::read_roles(aws, (app, stage), &extra, reads),
            lambda::read_functions(aws, (app, stage), &extra, (&none, depth)),
        );
        Ok::<_, AwsError>((roles?, functions?))
    };
    let (roles, functions, unnamed) = tokio::join!(
        iam::read_roles(aws, (app, stage), &named, reads),
        lambda::read_functions(aws, (app, stage), &named, (&live, depth)),
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
