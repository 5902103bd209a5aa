//! Observing the API: the one tagged for this app and stage, with its
//! integrations, authorizers, routes, route responses and stage, ids
//! translated into names (a route's target is a function name).

use std::collections::BTreeMap;

use aws_sdk_apigatewayv2::types as gw;

use futures_util::future::try_join_all;

use super::{Depth, Foreign, LiveIds, not_ours};
use crate::aws::util::{all_pages, found, map_of};
use crate::aws::{Aws, AwsError};
use crate::config::model::Config;
use crate::names::{DEPLOYMENT_PREFIX, arn_of_uri, marked_definition, reference_of_arn};
use crate::state::*;

/// An owned API as GetApis lists it.
#[derive(Clone)]
pub(super) struct FoundApi {
    id: String,
    name: String,
    endpoint: Option<String>,
    description: Option<String>,
    route_selection_expression: String,
    tags: Tags,
}

impl FoundApi {
    pub(super) fn id(&self) -> &str {
        &self.id
    }

    pub(super) fn name(&self) -> &str {
        &self.name
    }
}

pub(super) async fn find_api(
    aws: &Aws,
    config: &Config,
) -> Result<(Option<FoundApi>, Vec<Foreign>), AwsError> {
    let mut owned = Vec::new();
    let mut foreign = Vec::new();
    let items = all_pages!(aws.apigw.get_apis(), "GetApis", &config.api.name);
    for api in items {
        let tags = map_of(api.tags());
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

/// The API's lists, as API Gateway returns them.
pub(super) struct Lists {
    integrations: Vec<gw::Integration>,
    routes: Vec<gw::Route>,
    authorizers: Vec<gw::Authorizer>,
    stages: Vec<gw::Stage>,
}

/// The second round: the API's integrations, routes, authorizers and
/// stages, all at once.
async fn read_lists(aws: &Aws, api_id: &str, res: &str) -> Result<Lists, AwsError> {
    let c = &aws.apigw;
    let (integrations, routes, authorizers, stages) = tokio::join!(
        async {
            Ok::<_, AwsError>(all_pages!(
                c.get_integrations().api_id(api_id),
                "GetIntegrations",
                res
            ))
        },
        async { Ok::<_, AwsError>(all_pages!(c.get_routes().api_id(api_id), "GetRoutes", res)) },
        async {
            Ok::<_, AwsError>(all_pages!(
                c.get_authorizers().api_id(api_id),
                "GetAuthorizers",
                res
            ))
        },
        async { Ok::<_, AwsError>(all_pages!(c.get_stages().api_id(api_id), "GetStages", res)) },
    );
    Ok(Lists {
        integrations: integrations?,
        routes: routes?,
        authorizers: authorizers?,
        stages: stages?,
    })
}

/// The lists of the API a hint names (`id`, `name`), read at the same
/// time as the API list that says whether they are the ones wanted; a
/// failed read is no answer (they are read again if wanted).
pub(super) async fn early_lists(aws: &Aws, hint: Option<(&str, &str)>) -> Option<(String, Lists)> {
    let (id, name) = hint?;
    let lists = read_lists(aws, id, name).await.ok()?;
    Some((id.to_owned(), lists))
}

/// The API with its lists (`lists` when they were read already), and,
/// for `Depth::Full`, its route responses and the definition its stage
/// runs.
pub(super) async fn read_api(
    aws: &Aws,
    found: FoundApi,
    (app, stage): (&str, &str),
    ids: &mut LiveIds,
    (depth, lists): (Depth, Option<Lists>),
) -> Result<Api, AwsError> {
    let api_id = found.id.clone();
    let lists = match lists {
        Some(lists) => lists,
        None => read_lists(aws, &api_id, &found.name).await?,
    };
    ids.api_id = Some(api_id.clone());
    ids.api_endpoint = found.endpoint.clone();
    let reference = |uri: &str| reference_of_arn(arn_of_uri(uri), app, stage);
    let (integration_key_by_id, integrations) = integrations(&lists.integrations, &reference, ids);
    let (authorizers, authorizer_name_by_id) = authorizers(&lists.authorizers, &reference, ids);
    let our_stage = lists
        .stages
        .into_iter()
        .find(|s| s.stage_name() == Some(stage));
    // The third round: the route responses of two-way routes, and the
    // definition the stage runs (a removal needs neither).
    let (responses, deployed_definition) = match depth {
        Depth::Full => {
            let (responses, deployed) = tokio::join!(
                route_responses(aws, &api_id, &lists.routes),
                deployed_definition(aws, &api_id, our_stage.as_ref()),
            );
            (responses?, deployed?)
        }
        Depth::Removal => (BTreeMap::new(), None),
    };
    let names = Names {
        integrations: &integration_key_by_id,
        authorizers: &authorizer_name_by_id,
    };
    let routes = routes(&lists.routes, &names, &responses, ids);
    Ok(Api {
        id: api_id,
        name: found.name,
        description: found.description,
        route_selection_expression: found.route_selection_expression,
        tags: found.tags,
        integrations,
        authorizers,
        routes,
        stage: our_stage.map(|s| stage_state(&s, stage, deployed_definition)),
    })
}

/// Makes the function reference of an integration or authorizer URI.
type Reference<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Integration key (function reference, or the raw URI) by integration
/// id, and the integrations by key.
fn integrations(
    list: &[gw::Integration],
    reference: Reference,
    ids: &mut LiveIds,
) -> (BTreeMap<String, String>, BTreeMap<String, Integration>) {
    let mut key_by_id = BTreeMap::new();
    let mut integrations = BTreeMap::new();
    for i in list {
        let id = i.integration_id().unwrap_or_default().to_owned();
        let uri = i.integration_uri().unwrap_or_default().to_owned();
        let key = reference(&uri).unwrap_or(uri);
        key_by_id.insert(id.clone(), key.clone());
        let timeout_ms = i
            .timeout_in_millis()
            .and_then(|t| u32::try_from(t).ok())
            .unwrap_or(DEFAULT_INTEGRATION_TIMEOUT_MS);
        integrations.insert(key.clone(), Integration { timeout_ms });
        ids.integrations.insert(key, id);
    }
    (key_by_id, integrations)
}

/// Authorizers by name, and their names by id.
fn authorizers(
    list: &[gw::Authorizer],
    reference: Reference,
    ids: &mut LiveIds,
) -> (BTreeMap<String, Authorizer>, BTreeMap<String, String>) {
    let mut name_by_id = BTreeMap::new();
    let mut auths = BTreeMap::new();
    for a in list {
        let name = a.name().unwrap_or_default().to_owned();
        let id = a.authorizer_id().unwrap_or_default().to_owned();
        name_by_id.insert(id.clone(), name.clone());
        ids.authorizers.insert(name.clone(), id);
        let uri = a.authorizer_uri().unwrap_or_default();
        auths.insert(
            name,
            Authorizer {
                function: reference(uri).unwrap_or_else(|| uri.to_owned()),
                identity_sources: a.identity_source().to_vec(),
            },
        );
    }
    (auths, name_by_id)
}

/// The `$default` route response id of each two-way route (route
/// responses exist only on those; ask for those).
async fn route_responses(
    aws: &Aws,
    api_id: &str,
    routes: &[gw::Route],
) -> Result<BTreeMap<String, Option<String>>, AwsError> {
    let two_way = routes
        .iter()
        .filter(|r| r.route_response_selection_expression().is_some());
    let responses = try_join_all(two_way.map(|r| {
        let key = r.route_key().unwrap_or_default();
        let route_id = r.route_id().unwrap_or_default();
        aws.read(async move {
            let out = aws
                .apigw
                .get_route_responses()
                .api_id(api_id)
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
            Ok::<_, AwsError>((key.to_owned(), id))
        })
    }))
    .await?;
    Ok(responses.into_iter().collect())
}

/// The definition hash of the stage's deployment, when wsdeploy made it:
/// from the stage's description when it records the stage's current
/// deployment (no call), else from the deployment's description.
async fn deployed_definition(
    aws: &Aws,
    api_id: &str,
    stage: Option<&gw::Stage>,
) -> Result<Option<String>, AwsError> {
    let Some(dep) = stage.and_then(|s| s.deployment_id()) else {
        return Ok(None);
    };
    let marked = stage
        .and_then(|s| s.description())
        .and_then(|d| marked_definition(d, dep));
    if marked.is_some() {
        return Ok(marked);
    }
    let d = found(
        aws.apigw
            .get_deployment()
            .api_id(api_id)
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
}

/// Names of integrations and authorizers by id.
struct Names<'a> {
    integrations: &'a BTreeMap<String, String>,
    authorizers: &'a BTreeMap<String, String>,
}

fn routes(
    list: &[gw::Route],
    names: &Names,
    responses: &BTreeMap<String, Option<String>>,
    ids: &mut LiveIds,
) -> BTreeMap<String, Route> {
    let mut route_map = BTreeMap::new();
    for r in list {
        let key = r.route_key().unwrap_or_default().to_owned();
        let function = r
            .target()
            .and_then(|t| t.strip_prefix("integrations/"))
            .and_then(|id| names.integrations.get(id))
            .cloned();
        let authorization = match r.authorization_type().map(|a| a.as_str()) {
            Some("AWS_IAM") => Authorization::Iam,
            Some("CUSTOM") => Authorization::Custom(
                r.authorizer_id()
                    .and_then(|id| names.authorizers.get(id))
                    .cloned()
                    .unwrap_or_else(|| r.authorizer_id().unwrap_or_default().to_owned()),
            ),
            _ => Authorization::None,
        };
        let response_id = responses.get(&key).cloned().flatten();
        let route_id = r.route_id().unwrap_or_default().to_owned();
        ids.routes
            .insert(key.clone(), (route_id, response_id.clone()));
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
    route_map
}

fn stage_state(s: &gw::Stage, stage: &str, deployed_definition: Option<String>) -> Stage {
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
    Stage {
        name: stage.to_owned(),
        default_route,
        routes,
        variables: map_of(s.stage_variables()),
        access_log: s.access_log_settings().and_then(|a| {
            Some(AccessLog {
                destination_arn: a.destination_arn()?.to_owned(),
                format: a.format().unwrap_or_default().to_owned(),
            })
        }),
        tags: map_of(s.tags()),
        deployed_definition,
    }
}

/// Normalises route settings: unset logging fields mean their defaults on
/// the stage's default route, and are ignored per route (wsdeploy sets only
/// throttling there).
fn route_settings(s: &gw::RouteSettings, default_route: bool) -> RouteSettings {
    RouteSettings {
        burst_limit: s.throttling_burst_limit().map(i64::from),
        rate_limit: s.throttling_rate_limit(),
        logging_level: default_route
            .then(|| s.logging_level().map_or("OFF", |l| l.as_str()).to_owned()),
        data_trace: default_route.then(|| s.data_trace_enabled().unwrap_or(false)),
        detailed_metrics: default_route.then(|| s.detailed_metrics_enabled().unwrap_or(false)),
    }
}
