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
//! Independent reads run concurrently; list calls follow NextToken/Marker.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::FutureExt;
use futures_util::future::try_join_all;

use super::{Aws, AwsError, decode_policy, found};
use crate::config::model::Config;
use crate::desired::{ROLE_POLICY_NAME, role_path};
use crate::state::*;

/// Ids of live resources, for apply; keyed like `State`.
#[derive(Debug, Clone, Default)]
pub struct LiveIds {
    pub api_id: Option<String>,
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
}

/// A function's current revision and code hash, as Lambda reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub revision_id: String,
    pub code_sha256: String,
}

/// The current revision of each named function (`None` when it is gone).
pub async fn revisions(
    aws: &Aws,
    names: &[String],
) -> Result<BTreeMap<String, Option<Revision>>, AwsError> {
    let revisions = try_join_all(names.iter().map(|n| {
        aws.read(async move {
            let c = found(
                aws.lambda
                    .get_function_configuration()
                    .function_name(n)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("GetFunctionConfiguration", n, e)),
            )?;
            let revision = c.map(|c| Revision {
                revision_id: c.revision_id().unwrap_or_default().to_owned(),
                code_sha256: c.code_sha256().unwrap_or_default().to_owned(),
            });
            Ok::<_, AwsError>((n.clone(), revision))
        })
    }))
    .await?;
    Ok(revisions.into_iter().collect())
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

/// Marks a deployment made by wsdeploy; the definition hash follows.
pub const DEPLOYMENT_PREFIX: &str = "wsdeploy definition ";

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
    let app = config.app.as_str();
    let stage = config.stage.as_str();
    let desired_functions: Vec<String> = config
        .functions
        .values()
        .map(|f| f.function_name.clone())
        .collect();

    // The API is wanted by two readers: its own and the domains' (an API
    // mapping is ours when it points at our API).
    let api = find_api(aws, config).shared();
    let api_id = {
        let api = api.clone();
        async move {
            api.await
                .ok()
                .and_then(|(found, _)| found.map(|f| f.id.clone()))
        }
    };
    let api_state = {
        let api = api.clone();
        async move {
            let (found, foreign) = api.await?;
            let mut ids = LiveIds::default();
            let state = match found {
                Some(found) => Some(read_api(aws, found, stage, &mut ids).await?),
                None => None,
            };
            Ok::<_, AwsError>((state, ids, foreign))
        }
    };
    let functions_and_roles = async {
        let (roles, functions) = tokio::join!(
            read_roles(aws, app, stage, &desired_functions),
            read_functions(aws, app, stage, &desired_functions),
        );
        let (roles, mut role_foreign) = roles?;
        let (mut functions, function_foreign) = functions?;
        role_foreign.extend(function_foreign);
        // Functions of ours that the config no longer names: every
        // function wsdeploy made has a role of the same name under our path.
        let extra: Vec<String> = roles
            .keys()
            .filter(|n| !desired_functions.contains(n))
            .cloned()
            .collect();
        if !extra.is_empty() {
            let (more, more_foreign) = read_functions(aws, app, stage, &extra).await?;
            functions.extend(more);
            role_foreign.extend(more_foreign);
        }
        Ok::<_, AwsError>((roles, functions, role_foreign))
    };
    let (api_state, functions_and_roles, log_group, domains) = tokio::join!(
        api_state,
        functions_and_roles,
        super::domain::observe_log_group(aws, config),
        super::domain::observe_domains(aws, config, api_id),
    );
    let (api, mut ids, mut foreign) = api_state?;
    let (roles, functions, more_foreign) = functions_and_roles?;
    let (log_group, log_foreign) = log_group?;
    let (domains, mapping_ids, domain_foreign) = domains?;
    foreign.extend(more_foreign);
    foreign.extend(log_foreign);
    foreign.extend(domain_foreign);
    ids.mappings = mapping_ids;

    let mut permissions = BTreeMap::new();
    let functions = functions
        .into_iter()
        .map(|(name, (function, policy))| {
            if !policy.is_empty() {
                permissions.insert(name.clone(), policy);
            }
            (name, function)
        })
        .collect();
    Ok(Observed {
        state: State {
            roles,
            functions,
            permissions,
            api,
            log_group,
            domains,
        },
        ids,
        foreign,
    })
}

/// An owned API as GetApis lists it.
#[derive(Clone)]
pub struct FoundApi {
    id: String,
    name: String,
    endpoint: Option<String>,
    description: Option<String>,
    route_selection_expression: String,
    tags: Tags,
}

async fn find_api(
    aws: &Aws,
    config: &Config,
) -> Result<(Option<FoundApi>, Vec<Foreign>), AwsError> {
    let mut owned = Vec::new();
    let mut foreign = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = aws
            .apigw
            .get_apis()
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetApis", &config.api.name, e))?;
        for api in out.items() {
            let tags: Tags = api
                .tags()
                .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            let name = api.name().unwrap_or_default();
            if owned_by(&tags, &config.app, &config.stage) {
                owned.push(FoundApi {
                    id: api.api_id().unwrap_or_default().to_owned(),
                    name: name.to_owned(),
                    endpoint: api.api_endpoint().map(str::to_owned),
                    description: api.description().map(str::to_owned),
                    route_selection_expression: api
                        .route_selection_expression()
                        .unwrap_or_default()
                        .to_owned(),
                    tags,
                });
            } else if name == config.api.name {
                foreign.push(Foreign {
                    kind: "API",
                    name: format!("{name} ({})", api.api_id().unwrap_or_default()),
                    why: not_ours(&tags),
                });
            }
        }
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    if owned.len() > 1 {
        let ids: Vec<String> = owned.iter().map(|a| a.id.clone()).collect();
        return Err(AwsError::local(
            "finding the API",
            &format!(
                "several APIs are tagged for app `{}` stage `{}`: {}",
                config.app,
                config.stage,
                ids.join(", ")
            ),
            "delete the extra ones (or remove their wsdeploy:* tags) so that one remains",
        ));
    }
    // An owned API makes a same-named foreign one irrelevant only if it is
    // that one; a different API holding our name is still in the way.
    let found = owned.pop();
    Ok((found, foreign))
}

fn not_ours(tags: &Tags) -> String {
    match (tags.get(TAG_APP), tags.get(TAG_STAGE)) {
        (Some(a), Some(s)) => format!("it belongs to wsdeploy app `{a}` stage `{s}`"),
        _ => "it has no wsdeploy tags, so wsdeploy did not make it".to_owned(),
    }
}

async fn read_api(
    aws: &Aws,
    found: FoundApi,
    stage: &str,
    ids: &mut LiveIds,
) -> Result<Api, AwsError> {
    let api_id = found.id.clone();
    let c = &aws.apigw;
    let res = found.name.as_str();
    let (integrations, routes, authorizers, stages) = tokio::join!(
        async {
            Ok::<_, AwsError>(all_pages!(
                c.get_integrations().api_id(&api_id),
                "GetIntegrations",
                res
            ))
        },
        async { Ok::<_, AwsError>(all_pages!(c.get_routes().api_id(&api_id), "GetRoutes", res)) },
        async {
            Ok::<_, AwsError>(all_pages!(
                c.get_authorizers().api_id(&api_id),
                "GetAuthorizers",
                res
            ))
        },
        async { Ok::<_, AwsError>(all_pages!(c.get_stages().api_id(&api_id), "GetStages", res)) },
    );
    let (integrations, routes, authorizers, stages) =
        (integrations?, routes?, authorizers?, stages?);

    ids.api_id = Some(api_id.clone());
    ids.api_endpoint = found.endpoint.clone();
    let mut integration_key_by_id = BTreeMap::new();
    let mut integration_keys = BTreeSet::new();
    let integrations = integrations.iter().map(|i| {
        (
            i.integration_id().unwrap_or_default().to_owned(),
            i.integration_uri().unwrap_or_default().to_owned(),
        )
    });
    for (id, uri) in integrations {
        let key = function_of_uri(&uri).unwrap_or(uri);
        integration_key_by_id.insert(id.clone(), key.clone());
        integration_keys.insert(key.clone());
        ids.integrations.insert(key, id);
    }
    let mut authorizer_name_by_id = BTreeMap::new();
    let mut auths = BTreeMap::new();
    for a in authorizers {
        let name = a.name().unwrap_or_default().to_owned();
        let id = a.authorizer_id().unwrap_or_default().to_owned();
        authorizer_name_by_id.insert(id.clone(), name.clone());
        ids.authorizers.insert(name.clone(), id);
        auths.insert(
            name,
            Authorizer {
                function: a
                    .authorizer_uri()
                    .and_then(function_of_uri)
                    .unwrap_or_else(|| a.authorizer_uri().unwrap_or_default().to_owned()),
                identity_sources: a.identity_source().to_vec(),
            },
        );
    }

    // Route responses exist only on two-way routes; ask for those.
    let two_way: Vec<(String, String)> = routes
        .iter()
        .filter(|r| r.route_response_selection_expression().is_some())
        .map(|r| {
            (
                r.route_key().unwrap_or_default().to_owned(),
                r.route_id().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let api_ref = api_id.as_str();
    let responses = try_join_all(two_way.iter().map(|(key, route_id)| {
        aws.read(async move {
            let out = c
                .get_route_responses()
                .api_id(api_ref)
                .route_id(route_id)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("GetRouteResponses", key, e))?;
            let id = out
                .items()
                .iter()
                .find(|rr| rr.route_response_key() == Some("$default"))
                .and_then(|rr| rr.route_response_id())
                .map(str::to_owned);
            Ok::<_, AwsError>((key.clone(), id))
        })
    }));
    // The definition the stage runs, asked alongside the route responses.
    let our_stage = stages.into_iter().find(|s| s.stage_name() == Some(stage));
    let deployed = async {
        let Some(dep) = our_stage.as_ref().and_then(|s| s.deployment_id()) else {
            return Ok(None);
        };
        let d = super::found(
            c.get_deployment()
                .api_id(api_ref)
                .deployment_id(dep)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("GetDeployment", dep, e)),
        )?;
        Ok(d.and_then(|d| {
            d.description()
                .and_then(|t| t.strip_prefix(DEPLOYMENT_PREFIX))
                .map(str::to_owned)
        }))
    };
    let (responses, deployed_definition) = tokio::join!(responses, deployed);
    let (responses, deployed_definition) = (responses?, deployed_definition?);
    let responses: BTreeMap<String, Option<String>> = responses.into_iter().collect();

    let mut route_map = BTreeMap::new();
    for r in &routes {
        let key = r.route_key().unwrap_or_default().to_owned();
        let function = r
            .target()
            .and_then(|t| t.strip_prefix("integrations/"))
            .and_then(|id| integration_key_by_id.get(id))
            .cloned();
        let authorization = match r.authorization_type().map(|a| a.as_str()) {
            Some("AWS_IAM") => Authorization::Iam,
            Some("CUSTOM") => Authorization::Custom(
                r.authorizer_id()
                    .and_then(|id| authorizer_name_by_id.get(id))
                    .cloned()
                    .unwrap_or_else(|| r.authorizer_id().unwrap_or_default().to_owned()),
            ),
            _ => Authorization::None,
        };
        let response_id = responses.get(&key).cloned().flatten();
        ids.routes.insert(
            key.clone(),
            (
                r.route_id().unwrap_or_default().to_owned(),
                response_id.clone(),
            ),
        );
        route_map.insert(
            key,
            Route {
                function,
                authorization,
                returns_response: response_id.is_some()
                    && r.route_response_selection_expression().is_some(),
            },
        );
    }

    let stage_state = match our_stage {
        None => None,
        Some(s) => {
            let default_route = s
                .default_route_settings()
                .map(|d| route_settings(d, true))
                .unwrap_or_else(|| RouteSettings {
                    logging_level: Some("OFF".to_owned()),
                    data_trace: Some(false),
                    detailed_metrics: Some(false),
                    ..RouteSettings::default()
                });
            let routes = s
                .route_settings()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), route_settings(v, false)))
                        .filter(|(_, v)| v.burst_limit.is_some() || v.rate_limit.is_some())
                        .collect()
                })
                .unwrap_or_default();
            Some(Stage {
                name: stage.to_owned(),
                default_route,
                routes,
                variables: s
                    .stage_variables()
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
                access_log: s.access_log_settings().and_then(|a| {
                    Some(AccessLog {
                        destination_arn: a.destination_arn()?.to_owned(),
                        format: a.format().unwrap_or_default().to_owned(),
                    })
                }),
                tags: s
                    .tags()
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
                deployed_definition,
            })
        }
    };

    Ok(Api {
        id: api_id.clone(),
        name: found.name,
        description: found.description,
        route_selection_expression: found.route_selection_expression,
        tags: found.tags,
        integrations: integration_keys,
        authorizers: auths,
        routes: route_map,
        stage: stage_state,
    })
}

/// Normalises route settings: unset logging fields mean their defaults on
/// the stage's default route, and are ignored per route (wsdeploy sets only
/// throttling there).
fn route_settings(
    s: &aws_sdk_apigatewayv2::types::RouteSettings,
    default_route: bool,
) -> RouteSettings {
    RouteSettings {
        burst_limit: s.throttling_burst_limit().map(i64::from),
        rate_limit: s.throttling_rate_limit(),
        logging_level: default_route
            .then(|| s.logging_level().map_or("OFF", |l| l.as_str()).to_owned()),
        data_trace: default_route.then(|| s.data_trace_enabled().unwrap_or(false)),
        detailed_metrics: default_route.then(|| s.detailed_metrics_enabled().unwrap_or(false)),
    }
}

/// The function name in a Lambda invocation URI or function ARN.
pub fn function_of_uri(uri: &str) -> Option<String> {
    let arn = uri
        .split("/functions/")
        .nth(1)
        .map(|rest| rest.trim_end_matches("/invocations"))
        .unwrap_or(uri);
    let mut parts = arn.split(':');
    let (Some("arn"), _, Some("lambda"), _, _, Some("function"), Some(name)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    Some(name.to_owned())
}

type Found<T> = (BTreeMap<String, T>, Vec<Foreign>);

async fn read_roles(
    aws: &Aws,
    app: &str,
    stage: &str,
    desired: &[String],
) -> Result<Found<Role>, AwsError> {
    let path = role_path(app, stage);
    // The roles under our path, and at the same time the roles the config
    // names (wherever they are: a desired name on another path is someone
    // else's role).
    let listing = async {
        let mut names = Vec::new();
        let mut marker = None;
        loop {
            let out = aws
                .iam
                .list_roles()
                .path_prefix(&path)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ListRoles", &path, e))?;
            names.extend(
                out.roles()
                    .iter()
                    .filter(|r| r.path() == path)
                    .map(|r| r.role_name().to_owned()),
            );
            marker = out
                .marker()
                .map(str::to_owned)
                .filter(|_| out.is_truncated());
            if marker.is_none() {
                return Ok::<_, AwsError>(names);
            }
        }
    };
    let (listed, named) = tokio::join!(
        listing,
        try_join_all(desired.iter().map(|n| read_role(aws, n)))
    );
    let extra: Vec<String> = listed?
        .into_iter()
        .filter(|n| !desired.contains(n))
        .collect();
    let extra = try_join_all(extra.iter().map(|n| read_role(aws, n))).await?;

    let mut owned = BTreeMap::new();
    let mut foreign = Vec::new();
    for role in named?.into_iter().chain(extra).flatten() {
        if role.path != path {
            foreign.push(Foreign {
                kind: "IAM role",
                name: role.name.clone(),
                why: format!("its path is `{}`, not `{path}`", role.path),
            });
        } else if owned_by(&role.tags, app, stage) {
            owned.insert(role.name.clone(), role);
        } else {
            foreign.push(Foreign {
                kind: "IAM role",
                name: role.name.clone(),
                why: not_ours(&role.tags),
            });
        }
    }
    Ok((owned, foreign))
}

/// A role with its inline policies (read only for a role of ours: its
/// policy list and the policy wsdeploy writes at once, then any other).
async fn read_role(aws: &Aws, name: &str) -> Result<Option<Role>, AwsError> {
    let got = aws.read(aws.iam.get_role().role_name(name).send()).await;
    let Some(out) = found(got.map_err(|e| AwsError::from_sdk("GetRole", name, e)))? else {
        return Ok(None);
    };
    let Some(role) = out.role() else {
        return Ok(None);
    };
    let path = role.path().to_owned();
    let mut tags: Tags = role
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    if tags.is_empty() {
        // GetRole may omit tags; ListRoleTags is authoritative.
        let mut marker = None;
        loop {
            let t = aws
                .read(
                    aws.iam
                        .list_role_tags()
                        .role_name(name)
                        .set_marker(marker)
                        .send(),
                )
                .await
                .map_err(|e| AwsError::from_sdk("ListRoleTags", name, e))?;
            tags.extend(
                t.tags()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned())),
            );
            marker = t.marker().map(str::to_owned).filter(|_| t.is_truncated());
            if marker.is_none() {
                break;
            }
        }
    }
    let trust_policy = role
        .assume_role_policy_document()
        .map(decode_policy)
        .unwrap_or_default();
    let mut policies = BTreeMap::new();
    if tags.contains_key(TAG_APP) {
        let list = aws.read(async {
            let mut names = Vec::new();
            let mut marker = None;
            loop {
                let list = aws
                    .iam
                    .list_role_policies()
                    .role_name(name)
                    .set_marker(marker)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("ListRolePolicies", name, e))?;
                names.extend(list.policy_names().iter().cloned());
                marker = list
                    .marker()
                    .map(str::to_owned)
                    .filter(|_| list.is_truncated());
                if marker.is_none() {
                    return Ok::<_, AwsError>(names);
                }
            }
        });
        let ours = aws.read(role_policy(aws, name, ROLE_POLICY_NAME));
        let (list, ours) = tokio::join!(list, ours);
        if let Some(doc) = ours? {
            policies.insert(ROLE_POLICY_NAME.to_owned(), doc);
        }
        let others: Vec<String> = list?
            .into_iter()
            .filter(|p| p != ROLE_POLICY_NAME)
            .collect();
        let docs = try_join_all(
            others
                .iter()
                .map(|p| aws.read(role_policy(aws, name, p.as_str()))),
        )
        .await?;
        policies.extend(
            others
                .into_iter()
                .zip(docs)
                .filter_map(|(p, doc)| Some((p, doc?))),
        );
    }
    Ok(Some(Role {
        name: name.to_owned(),
        path,
        trust_policy,
        policies,
        tags,
    }))
}

/// One inline policy of a role, `None` when the role has no such policy.
async fn role_policy(
    aws: &Aws,
    role: &str,
    policy: &str,
) -> Result<Option<serde_json::Value>, AwsError> {
    let out = found(
        aws.iam
            .get_role_policy()
            .role_name(role)
            .policy_name(policy)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetRolePolicy", &format!("{role}/{policy}"), e)),
    )?;
    Ok(out.map(|o| decode_policy(o.policy_document())))
}

/// Functions by name, each of ours with wsdeploy's statements of its
/// resource policy (asked once the function is known to be ours).
async fn read_functions(
    aws: &Aws,
    app: &str,
    stage: &str,
    names: &[String],
) -> Result<Found<(Function, BTreeMap<String, Permission>)>, AwsError> {
    let read = try_join_all(names.iter().map(|n| aws.read(read_function(aws, n)))).await?;
    let (owned, others): (Vec<Function>, Vec<Function>) = read
        .into_iter()
        .flatten()
        .partition(|f| owned_by(&f.tags, app, stage));
    let policies = try_join_all(
        owned
            .iter()
            .map(|f| aws.read(read_permissions(aws, &f.name))),
    )
    .await?;
    let foreign = others
        .into_iter()
        .map(|f| Foreign {
            kind: "Lambda function",
            why: not_ours(&f.tags),
            name: f.name,
        })
        .collect();
    let owned = owned
        .into_iter()
        .zip(policies)
        .map(|(f, p)| (f.name.clone(), (f, p)))
        .collect();
    Ok((owned, foreign))
}

async fn read_function(aws: &Aws, name: &str) -> Result<Option<Function>, AwsError> {
    let got = aws.lambda.get_function().function_name(name).send().await;
    let Some(out) = found(got.map_err(|e| AwsError::from_sdk("GetFunction", name, e)))? else {
        return Ok(None);
    };
    let Some(c) = out.configuration() else {
        return Ok(None);
    };
    let tags: Tags = out
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Ok(Some(Function {
        name: name.to_owned(),
        runtime: c
            .runtime()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
        handler: c.handler().unwrap_or_default().to_owned(),
        role: c
            .role()
            .and_then(|r| r.rsplit('/').next())
            .unwrap_or_default()
            .to_owned(),
        memory_size: c
            .memory_size()
            .and_then(|m| u32::try_from(m).ok())
            .unwrap_or(128),
        timeout: c.timeout().and_then(|t| u32::try_from(t).ok()).unwrap_or(3),
        architecture: c
            .architectures()
            .first()
            .map_or("x86_64", |a| a.as_str())
            .to_owned(),
        environment: c
            .environment()
            .and_then(|e| e.variables())
            .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        layers: c
            .layers()
            .iter()
            .filter_map(|l| l.arn().map(str::to_owned))
            .collect(),
        code_sha256: c.code_sha256().unwrap_or_default().to_owned(),
        code_size: u64::try_from(c.code_size()).ok(),
        tags,
    }))
}

/// wsdeploy's statements (ids starting with `wsdeploy-`) in a function's
/// resource policy.
async fn read_permissions(
    aws: &Aws,
    function: &str,
) -> Result<BTreeMap<String, Permission>, AwsError> {
    let got = aws.lambda.get_policy().function_name(function).send().await;
    let out = found(got.map_err(|e| AwsError::from_sdk("GetPolicy", function, e)))?;
    Ok(out
        .map(|o| parse_permissions(o.policy().unwrap_or("{}")))
        .unwrap_or_default())
}

pub fn parse_permissions(policy: &str) -> BTreeMap<String, Permission> {
    let doc: serde_json::Value = serde_json::from_str(policy).unwrap_or_default();
    let statements = match &doc["Statement"] {
        serde_json::Value::Array(a) => a.clone(),
        s @ serde_json::Value::Object(_) => vec![s.clone()],
        _ => vec![],
    };
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(a) => a.first().and_then(|x| x.as_str()).map(str::to_owned),
        _ => None,
    };
    statements
        .iter()
        .filter_map(|st| {
            let sid = st["Sid"].as_str()?;
            if !sid.starts_with("wsdeploy-") {
                return None;
            }
            let principal = match &st["Principal"] {
                serde_json::Value::String(s) => s.clone(),
                p => text(&p["Service"]).unwrap_or_default(),
            };
            let cond = &st["Condition"];
            let source_arn = text(&cond["ArnLike"]["AWS:SourceArn"])
                .or_else(|| text(&cond["StringEquals"]["AWS:SourceArn"]));
            let source_account = text(&cond["StringEquals"]["AWS:SourceAccount"]);
            Some((
                sid.to_owned(),
                Permission {
                    action: text(&st["Action"]).unwrap_or_default(),
                    principal,
                    source_arn: source_arn.unwrap_or_default(),
                    source_account,
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_from_uris() {
        assert_eq!(
            function_of_uri("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:chat-dev-connect/invocations").as_deref(),
            Some("chat-dev-connect")
        );
        assert_eq!(
            function_of_uri("arn:aws:lambda:us-east-1:123456789012:function:f").as_deref(),
            Some("f")
        );
        assert_eq!(function_of_uri("https://example.com"), None);
    }

    #[test]
    fn permissions_from_a_policy() {
        let p = r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"wsdeploy-invoke","Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:1:function:f",
             "Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:us-east-1:1:abc/*"},"StringEquals":{"AWS:SourceAccount":"1"}}},
            {"Sid":"someone-else","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction"}]}"#;
        let m = parse_permissions(p);
        assert_eq!(m.len(), 1);
        let w = &m["wsdeploy-invoke"];
        assert_eq!(w.principal, "apigateway.amazonaws.com");
        assert_eq!(w.source_arn, "arn:aws:execute-api:us-east-1:1:abc/*");
        assert_eq!(w.source_account.as_deref(), Some("1"));
    }
}
