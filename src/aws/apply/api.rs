//! Applying API Gateway actions: the API, its integrations, authorizers,
//! routes, route responses, the stage and the deployment. Each writes the
//! values of desired state; ids of what it creates are recorded in the
//! run's live ids for the actions that follow.

use aws_sdk_apigatewayv2::types as gw;

use std::sync::Arc;

use super::{Applier, Report, Shared};
use crate::aws::util::{RetryBudget, gone_is_done, retag, retry};
use crate::aws::{Aws, AwsError};
use crate::desired;
use crate::names::{DEPLOYMENT_PREFIX, stage_marker};
use crate::plan::{Action, Op, Resource};
use crate::state::{self, Authorization, DEFAULT_INTEGRATION_TIMEOUT_MS, State};

impl Applier<'_> {
    pub(super) async fn run_api(
        &self,
        a: &Action,
        want: &State,
        shared: &Shared,
    ) -> Result<(), AwsError> {
        match (&a.resource, a.op) {
            (Resource::Api(_), Op::Create) => self.create_api(want, shared).await,
            (Resource::Api(_), Op::Delete) => self.delete_api(shared).await,
            (Resource::Api(_), _) => self.update_api(a, want, shared).await,
            (Resource::Integration(f), Op::Delete) => self.delete_integration(f, shared).await,
            (Resource::Integration(f), Op::Update) => {
                self.update_integration(want, f, shared).await
            }
            (Resource::Integration(f), _) => self.create_integration(want, f, shared).await,
            (Resource::Authorizer(n), Op::Create) => self.create_authorizer(want, n, shared).await,
            (Resource::Authorizer(n), Op::Delete) => self.delete_authorizer(n, shared).await,
            (Resource::Authorizer(n), _) => self.update_authorizer(want, n, shared).await,
            (Resource::Route(k), Op::Delete) => self.delete_route(k, shared).await,
            (Resource::Route(k), op) => self.put_route(want, k, shared, op == Op::Create).await,
            (Resource::RouteResponse(k), Op::Delete) => self.delete_route_response(k, shared).await,
            (Resource::RouteResponse(k), _) => self.create_route_response(k, shared).await,
            // The planner never deletes a stage on its own: it goes with
            // the API.
            (Resource::Stage(s), op) => self.put_stage(a, want, s, shared, op == Op::Create).await,
            (Resource::Deployment(s), _) => self.create_deployment(want, s, shared).await,
            _ => Ok(()),
        }
    }

    async fn create_api(&self, want: &State, shared: &Shared) -> Result<(), AwsError> {
        let Some(api) = &want.api else { return Ok(()) };
        let out = retry(self.budget, || async {
            self.aws
                .apigw
                .create_api()
                .name(&api.name)
                .protocol_type(gw::ProtocolType::Websocket)
                .route_selection_expression(&api.route_selection_expression)
                .set_description(api.description.clone())
                .set_tags(Some(api.tags.clone().into_iter().collect()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("CreateApi", &api.name, e))
        })
        .await?;
        let id = out.api_id().unwrap_or_default().to_owned();
        let desired = desired::build(self.config, &self.context(Some(id.clone())));
        shared.record(|ids| {
            ids.api_id = Some(id);
            ids.api_endpoint = out.api_endpoint().map(str::to_owned);
        });
        if let Ok(mut d) = shared.desired.lock() {
            *d = Arc::new(desired);
        }
        Ok(())
    }

    async fn update_api(&self, a: &Action, want: &State, shared: &Shared) -> Result<(), AwsError> {
        let Some(api) = &want.api else { return Ok(()) };
        let id = shared.api_id()?;
        if a.api_settings_changed() {
            retry(self.budget, || async {
                self.aws
                    .apigw
                    .update_api()
                    .api_id(&id)
                    .name(&api.name)
                    .route_selection_expression(&api.route_selection_expression)
                    .description(api.description.clone().unwrap_or_default())
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("UpdateApi", &api.name, e))
            })
            .await?;
        }
        self.retag_apigw(&self.aws.place().api_arn(&id), a, &api.name)
            .await
    }

    async fn delete_api(&self, shared: &Shared) -> Result<(), AwsError> {
        let Ok(id) = shared.api_id() else {
            return Ok(());
        };
        let r = retry(self.budget, || async {
            self.aws
                .apigw
                .delete_api()
                .api_id(&id)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DeleteApi", &id, e))
        })
        .await;
        gone_is_done(r)
    }

    /// Sets and removes the tags the action changes.
    async fn retag_apigw(&self, arn: &str, a: &Action, name: &str) -> Result<(), AwsError> {
        let gw = &self.aws.apigw;
        retag(
            self.budget,
            &a.tags_to_set(),
            &a.tag_keys_to_remove(),
            |keys| async move {
                gw.untag_resource()
                    .resource_arn(arn)
                    .set_tag_keys(Some(keys))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk("UntagResource", name, e))
            },
            |tags| async move {
                gw.tag_resource()
                    .resource_arn(arn)
                    .set_tags(Some(tags.into_iter().collect()))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk("TagResource", name, e))
            },
        )
        .await
    }

    // -- API Gateway inside the API ----------------------------------------

    /// The desired timeout of a function's integration.
    fn integration_timeout(want: &State, function: &str) -> i32 {
        let ms = want
            .api
            .as_ref()
            .and_then(|a| a.integrations.get(function))
            .map_or(DEFAULT_INTEGRATION_TIMEOUT_MS, |i| i.timeout_ms);
        i32::try_from(ms).unwrap_or(i32::MAX)
    }

    async fn update_integration(
        &self,
        want: &State,
        function: &str,
        shared: &Shared,
    ) -> Result<(), AwsError> {
        let api_id = shared.api_id()?;
        let Some(id) = shared.id(|i| i.integrations.get(function).cloned()) else {
            return self.create_integration(want, function, shared).await;
        };
        let timeout = Self::integration_timeout(want, function);
        retry(self.budget, || async {
            self.aws
                .apigw
                .update_integration()
                .api_id(&api_id)
                .integration_id(&id)
                .timeout_in_millis(timeout)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("UpdateIntegration", function, e))
        })
        .await
    }

    async fn create_integration(
        &self,
        want: &State,
        function: &str,
        shared: &Shared,
    ) -> Result<(), AwsError> {
        let api_id = shared.api_id()?;
        let uri = self.aws.place().invocation_uri(function);
        let timeout = Self::integration_timeout(want, function);
        let out = retry(self.budget, || async {
            self.aws
                .apigw
                .create_integration()
                .api_id(&api_id)
                .integration_type(gw::IntegrationType::AwsProxy)
                .integration_method("POST")
                .integration_uri(&uri)
                .timeout_in_millis(timeout)
                .description(format!(
                    "Lambda proxy integration of {function}, managed by wsdeploy"
                ))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("CreateIntegration", function, e))
        })
        .await?;
        if let Some(id) = out.integration_id() {
            shared.record(|ids| {
                ids.integrations.insert(function.to_owned(), id.to_owned());
            });
        }
        Ok(())
    }

    async fn delete_integration(&self, key: &str, shared: &Shared) -> Result<(), AwsError> {
        let api_id = shared.api_id()?;
        let Some(id) = shared.id(|i| i.integrations.get(key).cloned()) else {
            return Ok(());
        };
        let r = retry(self.budget, || async {
            self.aws
                .apigw
                .delete_integration()
                .api_id(&api_id)
                .integration_id(&id)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DeleteIntegration", key, e))
        })
        .await;
        gone_is_done(r)
    }

    async fn create_authorizer(
        &self,
        want: &State,
        name: &str,
        shared: &Shared,
    ) -> Result<(), AwsError> {
        let api_id = shared.api_id()?;
        let Some(a) = want.api.as_ref().and_then(|api| api.authorizers.get(name)) else {
            return Ok(());
        };
        let uri = self.aws.place().invocation_uri(&a.function);
        let out = retry(self.budget, || async {
            self.aws
                .apigw
                .create_authorizer()
                .api_id(&api_id)
                .name(name)
                .authorizer_type(gw::AuthorizerType::Request)
                .authorizer_uri(&uri)
                .set_identity_source(Some(a.identity_sources.clone()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("CreateAuthorizer", name, e))
        })
        .await?;
        if let Some(id) = out.authorizer_id() {
            shared.record(|ids| {
                ids.authorizers.insert(name.to_owned(), id.to_owned());
            });
        }
        Ok(())
    }

    async fn update_authorizer(
        &self,
        want: &State,
        name: &str,
        shared: &Shared,
    ) -> Result<(), AwsError> {
        let api_id = shared.api_id()?;
        let Some(a) = want.api.as_ref().and_then(|api| api.authorizers.get(name)) else {
            return Ok(());
        };
        let Some(id) = shared.id(|i| i.authorizers.get(name).cloned()) else {
            return self.create_authorizer(want, name, shared).await;
        };
        let uri = self.aws.place().invocation_uri(&a.function);
        retry(self.budget, || async {
            self.aws
                .apigw
                .update_authorizer()
                .api_id(&api_id)
                .authorizer_id(&id)
                .authorizer_type(gw::AuthorizerType::Request)
                .authorizer_uri(&uri)
                .set_identity_source(Some(a.identity_sources.clone()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("UpdateAuthorizer", name, e))
        })
        .await
        .map(|_| ())
    }

    async fn delete_authorizer(&self, name: &str, shared: &Shared) -> Result<(), AwsError> {
        let api_id = shared.api_id()?;
        let Some(id) = shared.id(|i| i.authorizers.get(name).cloned()) else {
            return Ok(());
        };
        let r = retry(self.budget, || async {
            self.aws
                .apigw
                .delete_authorizer()
                .api_id(&api_id)
                .authorizer_id(&id)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DeleteAuthorizer", name, e))
        })
        .await;
        gone_is_done(r)
    }

    async fn put_route(
        &self,
        want: &State,
        key: &str,
        shared: &Shared,
        create: bool,
    ) -> Result<(), AwsError> {
        let api_id = shared.api_id()?;
        let Some(r) = want.api.as_ref().and_then(|api| api.routes.get(key)) else {
            return Ok(());
        };
        let (target, authorizer_id, route_id) = {
            let ids = shared
                .ids
                .lock()
                .map_err(|_| AwsError::local("routing", "internal state poisoned", "run again"))?;
            let target = r
                .function
                .as_ref()
                .and_then(|f| ids.integrations.get(f))
                .map(|id| format!("integrations/{id}"));
            let authorizer_id = match &r.authorization {
                Authorization::Custom(n) => ids.authorizers.get(n).cloned(),
                _ => None,
            };
            (
                target,
                authorizer_id,
                ids.routes.get(key).map(|(id, _)| id.clone()),
            )
        };
        let auth_type = match r.authorization {
            Authorization::None => gw::AuthorizationType::None,
            Authorization::Iam => gw::AuthorizationType::AwsIam,
            Authorization::Custom(_) => gw::AuthorizationType::Custom,
        };
        let rrse = r.returns_response.then(|| "$default".to_owned());
        match (create, route_id) {
            (true, _) | (false, None) => {
                let out = retry(self.budget, || async {
                    self.aws
                        .apigw
                        .create_route()
                        .api_id(&api_id)
                        .route_key(key)
                        .set_target(target.clone())
                        .authorization_type(auth_type.clone())
                        .set_authorizer_id(authorizer_id.clone())
                        .set_route_response_selection_expression(rrse.clone())
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("CreateRoute", key, e))
                })
                .await?;
                if let Some(id) = out.route_id() {
                    shared.record(|ids| {
                        ids.routes.insert(key.to_owned(), (id.to_owned(), None));
                    });
                }
            }
            (false, Some(route_id)) => {
                retry(self.budget, || async {
                    self.aws
                        .apigw
                        .update_route()
                        .api_id(&api_id)
                        .route_id(&route_id)
                        .set_target(target.clone())
                        .authorization_type(auth_type.clone())
                        .set_authorizer_id(authorizer_id.clone())
                        .set_route_response_selection_expression(rrse.clone())
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("UpdateRoute", key, e))
                })
                .await?;
            }
        }
        Ok(())
    }

    async fn delete_route(&self, key: &str, shared: &Shared) -> Result<(), AwsError> {
        let api_id = shared.api_id()?;
        let Some((id, _)) = shared.id(|i| i.routes.get(key).cloned()) else {
            return Ok(());
        };
        let r = retry(self.budget, || async {
            self.aws
                .apigw
                .delete_route()
                .api_id(&api_id)
                .route_id(&id)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DeleteRoute", key, e))
        })
        .await;
        gone_is_done(r)
    }

    async fn create_route_response(&self, key: &str, shared: &Shared) -> Result<(), AwsError> {
        let api_id = shared.api_id()?;
        let Some((route_id, _)) = shared.id(|i| i.routes.get(key).cloned()) else {
            return Err(AwsError::local(
                "CreateRouteResponse",
                &format!("route `{key}` does not exist"),
                "run deploy again",
            ));
        };
        let out = retry(self.budget, || async {
            self.aws
                .apigw
                .create_route_response()
                .api_id(&api_id)
                .route_id(&route_id)
                .route_response_key("$default")
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("CreateRouteResponse", key, e))
        })
        .await?;
        shared.record(|ids| {
            if let Some(entry) = ids.routes.get_mut(key) {
                entry.1 = out.route_response_id().map(str::to_owned);
            }
        });
        Ok(())
    }

    async fn delete_route_response(&self, key: &str, shared: &Shared) -> Result<(), AwsError> {
        let api_id = shared.api_id()?;
        let Some((route_id, Some(rr))) = shared.id(|i| i.routes.get(key).cloned()) else {
            return Ok(());
        };
        let r = retry(self.budget, || async {
            self.aws
                .apigw
                .delete_route_response()
                .api_id(&api_id)
                .route_id(&route_id)
                .route_response_id(&rr)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DeleteRouteResponse", key, e))
        })
        .await;
        gone_is_done(r)
    }

    async fn put_stage(
        &self,
        a: &Action,
        want: &State,
        name: &str,
        shared: &Shared,
        create: bool,
    ) -> Result<(), AwsError> {
        let api_id = shared.api_id()?;
        let Some(s) = want.api.as_ref().and_then(|a| a.stage.as_ref()) else {
            return Ok(());
        };
        if create {
            return self.create_stage(&api_id, s).await;
        }
        if a.settings_changed() {
            self.update_stage(&api_id, s, a).await?;
        }
        if a.access_log_removed() {
            let r = retry(self.budget, || async {
                self.aws
                    .apigw
                    .delete_access_log_settings()
                    .api_id(&api_id)
                    .stage_name(name)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("DeleteAccessLogSettings", name, e))
            })
            .await;
            gone_is_done(r)?;
        }
        for key in a.route_settings_removed() {
            let r = retry(self.budget, || async {
                self.aws
                    .apigw
                    .delete_route_settings()
                    .api_id(&api_id)
                    .stage_name(name)
                    .route_key(&key)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("DeleteRouteSettings", &key, e))
            })
            .await;
            gone_is_done(r)?;
        }
        self.retag_apigw(&self.aws.place().stage_arn(&api_id, name), a, name)
            .await
    }

    async fn create_stage(&self, api_id: &str, s: &state::Stage) -> Result<(), AwsError> {
        let name = &s.name;
        let settings = StageSettings::of(s);
        retry(self.budget, || async {
            self.aws
                .apigw
                .create_stage()
                .api_id(api_id)
                .stage_name(name)
                .default_route_settings(settings.default_route.clone())
                .set_route_settings(Some(settings.routes.clone()))
                .set_stage_variables(Some(s.variables.clone().into_iter().collect()))
                .set_access_log_settings(settings.access_log.clone())
                .set_tags(Some(s.tags.clone().into_iter().collect()))
                .description(format!("Stage {name}, managed by wsdeploy"))
                .send()
                .await
                .map_err(|e| logging_hint(AwsError::from_sdk("CreateStage", name, e)))
        })
        .await
        .map(|_| ())
    }

    async fn update_stage(
        &self,
        api_id: &str,
        s: &state::Stage,
        a: &Action,
    ) -> Result<(), AwsError> {
        let name = &s.name;
        let settings = StageSettings::of(s);
        // UpdateStage merges stage variables: "" removes one.
        let mut variables: std::collections::HashMap<String, String> =
            s.variables.clone().into_iter().collect();
        for k in a.variables_removed() {
            variables.entry(k).or_default();
        }
        retry(self.budget, || async {
            self.aws
                .apigw
                .update_stage()
                .api_id(api_id)
                .stage_name(name)
                .default_route_settings(settings.default_route.clone())
                .set_route_settings(Some(settings.routes.clone()))
                .set_stage_variables(Some(variables.clone()))
                .set_access_log_settings(settings.access_log.clone())
                .send()
                .await
                .map_err(|e| logging_hint(AwsError::from_sdk("UpdateStage", name, e)))
        })
        .await
        .map(|_| ())
    }

    async fn create_deployment(
        &self,
        want: &State,
        stage: &str,
        shared: &Shared,
    ) -> Result<(), AwsError> {
        let api_id = shared.api_id()?;
        let Some(api) = &want.api else { return Ok(()) };
        let description = format!("{DEPLOYMENT_PREFIX}{}", api.definition_hash());
        // CreateDeployment is limited to 1 request / 5 s per account: the
        // retry budget covers several windows.
        let made = retry(self.budget, || async {
            self.aws
                .apigw
                .create_deployment()
                .api_id(&api_id)
                .stage_name(stage)
                .description(&description)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("CreateDeployment", stage, e))
        })
        .await?;
        // The stage is to record which deployment froze which definition
        // (see `mark_stage`).
        let marker = stage_marker(
            &api.definition_hash(),
            made.deployment_id().unwrap_or_default(),
        );
        shared.record(|ids| ids.stage_marker = Some((stage.to_owned(), marker)));
        Ok(())
    }
}

/// Writes the stage's record of the deployment just made (see
/// `names::stage_marker`), so observing reads the definition hash with the
/// stage instead of asking for the deployment. It holds the deployment's
/// id, so it can never vouch for another deployment: it is written while
/// the lock is released, and a run stopped before writing it (or a record
/// overwritten late) only makes the next read ask for the deployment.
pub async fn mark_stage(aws: &Aws, report: &Report, budget: RetryBudget) -> Result<(), AwsError> {
    let (Some(api_id), Some((stage, marker))) = (&report.api_id, &report.stage_marker) else {
        return Ok(());
    };
    retry(budget, || async {
        aws.apigw
            .update_stage()
            .api_id(api_id)
            .stage_name(stage)
            .description(marker)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateStage", stage, e))
    })
    .await
    .map(|_| ())
}

/// A stage's settings in API Gateway's shapes.
struct StageSettings {
    default_route: gw::RouteSettings,
    routes: std::collections::HashMap<String, gw::RouteSettings>,
    access_log: Option<gw::AccessLogSettings>,
}

impl StageSettings {
    fn of(s: &state::Stage) -> StageSettings {
        let settings = |r: &state::RouteSettings| {
            gw::RouteSettings::builder()
                .set_throttling_burst_limit(r.burst_limit.and_then(|b| i32::try_from(b).ok()))
                .set_throttling_rate_limit(r.rate_limit)
                .set_logging_level(r.logging_level.as_deref().map(gw::LoggingLevel::from))
                .set_data_trace_enabled(r.data_trace)
                .set_detailed_metrics_enabled(r.detailed_metrics)
                .build()
        };
        StageSettings {
            default_route: settings(&s.default_route),
            routes: s
                .routes
                .iter()
                .map(|(k, v)| (k.clone(), settings(v)))
                .collect(),
            access_log: s.access_log.as_ref().map(|a| {
                gw::AccessLogSettings::builder()
                    .destination_arn(&a.destination_arn)
                    .format(&a.format)
                    .build()
            }),
        }
    }
}

/// Execution logging needs an account-wide CloudWatch role for API Gateway;
/// AWS says so only in the message of a BadRequestException.
fn logging_hint(mut e: AwsError) -> AwsError {
    if e.message.contains("CloudWatch Logs role") {
        e.hint = Some(
            "execution logging needs an IAM role that lets API Gateway write to CloudWatch Logs, set once per account and region: \
             create a role trusted by apigateway.amazonaws.com with the AmazonAPIGatewayPushToCloudWatchLogs policy, then run \
             `aws apigateway update-account --patch-operations op=replace,path=/cloudwatchRoleArn,value=<role-arn>`; \
             or set `api.logging.level: OFF`"
                .to_owned(),
        );
    }
    e
}
