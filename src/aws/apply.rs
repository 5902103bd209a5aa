//! Apply: carries out a plan against AWS.
//!
//! Each action starts as soon as the actions it depends on are done (see
//! `plan::dependencies`), at most `CONCURRENCY` at a time for API Gateway
//! and as many for the other services: the roles are made while the API
//! is, and one function's chain does not wait for another's.
//! Actions on the same Lambda function run one after the other (parallel
//! AddPermission calls on one function can drop statements). A failed
//! action does not stop actions that do not depend on it, but nothing that
//! waits for it starts: every failure is reported, and since each action
//! is idempotent against observed state, running deploy again converges.
//!
//! Values come from desired state, rebuilt with the API's id as soon as the
//! API exists, so nothing is ever written with a placeholder.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_apigatewayv2::types as gw;
use aws_sdk_lambda::client::Waiters;
use aws_sdk_lambda::types as lt;
use aws_smithy_types::Blob;
use aws_smithy_types::error::display::DisplayErrorContext;
use futures_util::stream::{FuturesUnordered, StreamExt};

use super::observe::{DEPLOYMENT_PREFIX, LiveIds};
use super::{Aws, AwsError, ErrorKind, RetryBudget, domain, retry};
use crate::config::model::Config;
use crate::desired::{self, Context};
use crate::package::Package;
use crate::plan::{Action, Op, Plan, Resource, dependencies};
use crate::state::{self, Authorization, State, Tags};

/// How many actions run at once in each pool (see `pool_of`).
pub const CONCURRENCY: usize = 8;

/// The pool an action runs in: 0 for API Gateway's, 1 for the rest (IAM,
/// Lambda, CloudWatch Logs, ACM, Route 53).
fn pool_of(r: &Resource) -> usize {
    match r {
        Resource::Api(_)
        | Resource::Integration(_)
        | Resource::Authorizer(_)
        | Resource::Route(_)
        | Resource::RouteResponse(_)
        | Resource::Stage(_)
        | Resource::Deployment(_)
        | Resource::DomainName(_)
        | Resource::ApiMapping(_) => 0,
        Resource::Role(_)
        | Resource::RolePolicy(..)
        | Resource::Function(_)
        | Resource::FunctionCode(_)
        | Resource::Permission(..)
        | Resource::LogGroup(_)
        | Resource::Certificate(_)
        | Resource::DnsRecords(_) => 1,
    }
}
/// The longest wait for a function to become Active or finish an update.
pub const LAMBDA_WAIT: Duration = Duration::from_secs(300);

/// Something happened: for progress output.
#[derive(Debug, Clone)]
pub enum Event {
    Started {
        op: Op,
        resource: Resource,
    },
    /// A long wait, with what is being waited for.
    Waiting {
        resource: Resource,
        message: String,
    },
    Done {
        op: Op,
        resource: Resource,
        elapsed: Duration,
    },
    Failed {
        op: Op,
        resource: Resource,
        error: AwsError,
    },
}

/// What was done and what was not.
#[derive(Debug, Default)]
pub struct Report {
    pub done: Vec<Action>,
    pub failed: Vec<(Action, AwsError)>,
    /// Not started: a previous phase failed or the run was interrupted.
    pub skipped: Vec<Action>,
    pub interrupted: bool,
    /// The API's id and endpoint after applying.
    pub api_id: Option<String>,
    pub api_endpoint: Option<String>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty() && !self.interrupted
    }
}

pub struct Applier<'a> {
    pub aws: &'a Aws,
    pub config: &'a Config,
    /// Observed state when the plan was made: the "before" of every update.
    pub observed: &'a State,
    /// Package by function name.
    pub packages: &'a BTreeMap<String, Arc<Package>>,
    pub budget: RetryBudget,
    /// The longest wait for ACM to issue a certificate.
    pub certificate_timeout: Duration,
    /// Set from outside (Ctrl-C): no new action starts once it is true.
    pub cancel: &'a AtomicBool,
    pub on_event: &'a (dyn Fn(Event) + Sync),
}

struct Shared {
    ids: Mutex<LiveIds>,
    /// Shared, not copied: every action reads it.
    desired: Mutex<Arc<State>>,
}

impl Applier<'_> {
    fn context(&self, api_id: Option<String>) -> Context {
        Context {
            account_id: self.aws.account_id.clone(),
            region: self.aws.region.clone(),
            partition: self.aws.partition.clone(),
            api_id,
            code: self
                .packages
                .iter()
                .filter_map(|(name, p)| {
                    let short = self
                        .config
                        .functions
                        .iter()
                        .find(|(_, f)| &f.function_name == name)?
                        .0;
                    Some((short.clone(), (p.sha256.clone(), p.size() as u64)))
                })
                .collect(),
        }
    }

    pub async fn apply(&self, plan: &Plan, ids: LiveIds) -> Report {
        let api_id = ids.api_id.clone();
        let shared = Shared {
            desired: Mutex::new(Arc::new(desired::build(self.config, &self.context(api_id)))),
            ids: Mutex::new(ids),
        };
        let mut report = Report::default();
        let actions = &plan.actions;
        let waits = {
            let desired = self.want(&shared);
            dependencies(actions, &desired)
        };
        // Each action's end: None while pending or running.
        let mut ended: Vec<Option<bool>> = vec![None; actions.len()];
        let mut started = vec![false; actions.len()];
        // Every action before this index ended well.
        let mut prefix_ok = 0;
        let mut running = FuturesUnordered::new();
        // Actions in flight per pool: API Gateway's writes wait out its
        // account quota (10 requests/s) and must not hold back the IAM and
        // Lambda chains that feed them, nor the other way round.
        let mut in_flight = [0usize; 2];
        loop {
            if !self.cancel.load(Ordering::SeqCst) {
                // Latest phase first: a chain that has begun is carried on
                // (role, function, integration, route) before new ones
                // start, so API Gateway gets work from the first seconds.
                for i in (0..actions.len()).rev() {
                    if in_flight.iter().all(|&n| n >= CONCURRENCY) {
                        break;
                    }
                    let w = &waits[i];
                    let pool = pool_of(&actions[i].resource);
                    if started[i]
                        || in_flight[pool] >= CONCURRENCY
                        || prefix_ok < w.prefix
                        || !w.on.iter().all(|&j| ended[j] == Some(true))
                    {
                        continue;
                    }
                    started[i] = true;
                    in_flight[pool] += 1;
                    let a = &actions[i];
                    let shared = &shared;
                    running.push(async move {
                        (self.on_event)(Event::Started {
                            op: a.op,
                            resource: a.resource.clone(),
                        });
                        let start = Instant::now();
                        let r = self.run(a, shared).await;
                        match &r {
                            Ok(()) => (self.on_event)(Event::Done {
                                op: a.op,
                                resource: a.resource.clone(),
                                elapsed: start.elapsed(),
                            }),
                            Err(e) => (self.on_event)(Event::Failed {
                                op: a.op,
                                resource: a.resource.clone(),
                                error: e.clone(),
                            }),
                        }
                        (i, r)
                    });
                }
            }
            let Some((i, r)) = running.next().await else {
                break;
            };
            in_flight[pool_of(&actions[i].resource)] -= 1;
            ended[i] = Some(r.is_ok());
            while prefix_ok < actions.len() && ended[prefix_ok] == Some(true) {
                prefix_ok += 1;
            }
            match r {
                Ok(()) => report.done.push(actions[i].clone()),
                Err(e) => report.failed.push((actions[i].clone(), e)),
            }
        }
        // What never started: it waited for a failed action, or the run
        // was interrupted.
        report.skipped.extend(
            actions
                .iter()
                .zip(&started)
                .filter(|(_, s)| !**s)
                .map(|(a, _)| a.clone()),
        );
        report.interrupted |= self.cancel.load(Ordering::SeqCst);
        let ids = shared.ids.lock().map(|i| i.clone()).unwrap_or_default();
        report.api_id = ids.api_id;
        report.api_endpoint = ids.api_endpoint;
        report
    }

    fn want(&self, shared: &Shared) -> Arc<State> {
        shared.desired.lock().map(|d| d.clone()).unwrap_or_default()
    }

    fn api_id(&self, shared: &Shared) -> Result<String, AwsError> {
        shared
            .ids
            .lock()
            .ok()
            .and_then(|i| i.api_id.clone())
            .ok_or_else(|| {
                AwsError::local("applying", "the API does not exist", "run deploy again")
            })
    }

    async fn run(&self, a: &Action, shared: &Shared) -> Result<(), AwsError> {
        let want = self.want(shared);
        match (&a.resource, a.op) {
            (Resource::Api(_), Op::Create) => self.create_api(&want, shared).await,
            (Resource::Api(_), Op::Update) => self.update_api(&want, shared).await,
            (Resource::Api(_), _) => self.delete_api(shared).await,
            (Resource::Role(n), Op::Create) => self.create_role(&want, n).await,
            (Resource::Role(n), Op::Update | Op::Replace) => self.update_role(&want, n).await,
            (Resource::Role(n), Op::Delete) => self.delete_role(n).await,
            (Resource::RolePolicy(r, p), Op::Delete) => self.delete_role_policy(r, p).await,
            (Resource::RolePolicy(r, p), _) => self.put_role_policy(&want, r, p).await,
            (Resource::Function(n), Op::Create) => self.create_function(&want, n).await,
            (Resource::Function(n), Op::Delete) => self.delete_function(n).await,
            (Resource::Function(n), _) => self.update_function(&want, n).await,
            (Resource::FunctionCode(n), _) => self.update_code(&want, n, shared).await,
            (Resource::Permission(f, sid), Op::Delete) => self.remove_permission(f, sid).await,
            (Resource::Permission(f, sid), _) => {
                self.add_permission(&want, f, sid, a.op == Op::Replace)
                    .await
            }
            (Resource::Integration(f), Op::Delete) => self.delete_integration(f, shared).await,
            (Resource::Integration(f), _) => self.create_integration(f, shared).await,
            (Resource::Authorizer(n), Op::Create) => self.create_authorizer(&want, n, shared).await,
            (Resource::Authorizer(n), Op::Delete) => self.delete_authorizer(n, shared).await,
            (Resource::Authorizer(n), _) => self.update_authorizer(&want, n, shared).await,
            (Resource::Route(k), Op::Create) => self.put_route(&want, k, shared, true).await,
            (Resource::Route(k), Op::Delete) => self.delete_route(k, shared).await,
            (Resource::Route(k), _) => self.put_route(&want, k, shared, false).await,
            (Resource::RouteResponse(k), Op::Delete) => self.delete_route_response(k, shared).await,
            (Resource::RouteResponse(k), _) => self.create_route_response(k, shared).await,
            (Resource::Stage(_), Op::Delete) => Ok(()), // goes with the API
            (Resource::Stage(s), Op::Create) => self.put_stage(&want, s, shared, true).await,
            (Resource::Stage(s), _) => self.put_stage(&want, s, shared, false).await,
            (Resource::Deployment(s), _) => self.create_deployment(&want, s, shared).await,
            (Resource::LogGroup(_), Op::Create) => match &want.log_group {
                Some(g) => domain::create_log_group(self.aws, self.budget, g).await,
                None => Ok(()),
            },
            (Resource::LogGroup(n), Op::Delete) => {
                domain::delete_log_group(self.aws, self.budget, n).await
            }
            (Resource::LogGroup(_), _) => match &want.log_group {
                Some(g) => {
                    domain::update_log_group(
                        self.aws,
                        self.budget,
                        g,
                        self.observed.log_group.as_ref(),
                    )
                    .await
                }
                None => Ok(()),
            },
            (Resource::Certificate(n), Op::Delete) => {
                let have = self.observed.domains.get(n);
                match have.and_then(|d| d.certificate.arn.clone()) {
                    Some(arn) => {
                        domain::delete_certificate(
                            self.aws,
                            self.budget,
                            &arn,
                            n,
                            have.and_then(|d| d.zone.as_deref()),
                        )
                        .await
                    }
                    None => Ok(()),
                }
            }
            (Resource::Certificate(n), op) => self.certificate(&want, n, op, a, shared).await,
            (Resource::DomainName(n), Op::Delete) => {
                domain::delete_domain_name(self.aws, n, &self.notice(a)).await
            }
            (Resource::DomainName(n), op) => {
                let Some(d) = want.domains.get(n) else {
                    return Ok(());
                };
                let arn = self.certificate_arn(d, shared)?;
                if op == Op::Create {
                    domain::create_domain_name(self.aws, d, &arn, &self.notice(a)).await
                } else {
                    domain::update_domain_name(self.aws, n, &arn, &self.notice(a)).await
                }
            }
            (Resource::ApiMapping(n), Op::Delete) => match shared
                .ids
                .lock()
                .ok()
                .and_then(|i| i.mappings.get(n).cloned())
            {
                Some(id) => domain::delete_mapping(self.aws, self.budget, n, &id).await,
                None => Ok(()),
            },
            (Resource::ApiMapping(n), _) => {
                let Some(d) = want.domains.get(n) else {
                    return Ok(());
                };
                let api_id = self.api_id(shared)?;
                let key = d.mapping.clone().unwrap_or_default();
                match shared
                    .ids
                    .lock()
                    .ok()
                    .and_then(|i| i.mappings.get(n).cloned())
                {
                    Some(id) => {
                        domain::update_mapping(
                            self.aws,
                            self.budget,
                            n,
                            &id,
                            &api_id,
                            &self.config.stage,
                            &key,
                        )
                        .await
                    }
                    None => {
                        let id = domain::create_mapping(
                            self.aws,
                            self.budget,
                            n,
                            &api_id,
                            &self.config.stage,
                            &key,
                        )
                        .await?;
                        if let Ok(mut ids) = shared.ids.lock() {
                            ids.mappings.insert(n.clone(), id);
                        }
                        Ok(())
                    }
                }
            }
            (Resource::DnsRecords(n), Op::Delete) => {
                let zone = self.observed.domains.get(n).and_then(|d| d.zone.clone());
                domain::delete_records(self.aws, self.budget, n, zone.as_deref()).await
            }
            (Resource::DnsRecords(n), _) => match want.domains.get(n) {
                Some(d) => domain::upsert_records(self.aws, self.budget, d).await,
                None => Ok(()),
            },
        }
    }

    /// Reports a long wait on `a`'s resource.
    fn notice<'s>(&'s self, a: &'s Action) -> impl Fn(String) + Sync + 's {
        move |message| {
            (self.on_event)(Event::Waiting {
                resource: a.resource.clone(),
                message,
            })
        }
    }

    /// The certificate a domain uses: the configured one, or the one
    /// wsdeploy requested (found or made during this run).
    fn certificate_arn(&self, d: &state::Domain, shared: &Shared) -> Result<String, AwsError> {
        if let Some(arn) = &d.certificate.arn {
            return Ok(arn.clone());
        }
        let made = shared
            .ids
            .lock()
            .ok()
            .and_then(|i| i.certificates.get(&d.name).cloned());
        made.or_else(|| {
            self.observed
                .domains
                .get(&d.name)
                .and_then(|h| h.certificate.arn.clone())
        })
        .ok_or_else(|| {
            AwsError::local(
                "creating the custom domain",
                &format!("no certificate for `{}` is issued yet", d.name),
                "run deploy again",
            )
        })
    }

    /// Requests (or replaces) the certificate, then validates it and waits
    /// until it is issued.
    async fn certificate(
        &self,
        want: &State,
        name: &str,
        op: Op,
        a: &Action,
        shared: &Shared,
    ) -> Result<(), AwsError> {
        let Some(d) = want.domains.get(name) else {
            return Ok(());
        };
        let have = self
            .observed
            .domains
            .get(name)
            .and_then(|h| h.certificate.arn.clone());
        let api_id = self.api_id(shared)?;
        let arn = match (op, have) {
            (Op::Update, Some(arn)) => arn,
            (Op::Replace, old) => {
                domain::request_certificate(self.aws, self.budget, d, &api_id, old.as_deref())
                    .await?
            }
            _ => domain::request_certificate(self.aws, self.budget, d, &api_id, None).await?,
        };
        if let Ok(mut ids) = shared.ids.lock() {
            ids.certificates.insert(name.to_owned(), arn.clone());
        }
        domain::validate_certificate(
            self.aws,
            self.budget,
            &arn,
            d,
            self.certificate_timeout,
            &self.notice(a),
        )
        .await
    }

    // -- API ---------------------------------------------------------------

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
        if let Ok(mut ids) = shared.ids.lock() {
            ids.api_id = Some(id);
            ids.api_endpoint = out.api_endpoint().map(str::to_owned);
        }
        if let Ok(mut d) = shared.desired.lock() {
            *d = Arc::new(desired);
        }
        Ok(())
    }

    async fn update_api(&self, want: &State, shared: &Shared) -> Result<(), AwsError> {
        let Some(api) = &want.api else { return Ok(()) };
        let id = self.api_id(shared)?;
        let before = self.observed.api.as_ref();
        if before.is_none_or(|b| {
            b.name != api.name
                || b.description != api.description
                || b.route_selection_expression != api.route_selection_expression
        }) {
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
        let old = before.map(|b| b.tags.clone()).unwrap_or_default();
        self.retag_apigw(&self.aws.api_arn(&id), &old, &api.tags, &api.name)
            .await
    }

    async fn delete_api(&self, shared: &Shared) -> Result<(), AwsError> {
        let Ok(id) = self.api_id(shared) else {
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

    async fn retag_apigw(
        &self,
        arn: &str,
        old: &Tags,
        new: &Tags,
        name: &str,
    ) -> Result<(), AwsError> {
        let (add, remove) = tag_diff(old, new);
        if !remove.is_empty() {
            retry(self.budget, || async {
                self.aws
                    .apigw
                    .untag_resource()
                    .resource_arn(arn)
                    .set_tag_keys(Some(remove.clone()))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("UntagResource", name, e))
            })
            .await?;
        }
        if !add.is_empty() {
            retry(self.budget, || async {
                self.aws
                    .apigw
                    .tag_resource()
                    .resource_arn(arn)
                    .set_tags(Some(add.clone().into_iter().collect()))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("TagResource", name, e))
            })
            .await?;
        }
        Ok(())
    }

    // -- IAM ---------------------------------------------------------------

    async fn create_role(&self, want: &State, name: &str) -> Result<(), AwsError> {
        let Some(role) = want.roles.get(name) else {
            return Ok(());
        };
        let tags: Vec<aws_sdk_iam::types::Tag> = role
            .tags
            .iter()
            .filter_map(|(k, v)| {
                aws_sdk_iam::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .ok()
            })
            .collect();
        retry(self.budget, || async {
            self.aws
                .iam
                .create_role()
                .role_name(name)
                .path(&role.path)
                .assume_role_policy_document(role.trust_policy.to_string())
                .description(format!(
                    "Execution role of Lambda function {name}, managed by wsdeploy"
                ))
                .set_tags(Some(tags.clone()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("CreateRole", name, e))
        })
        .await
        .map(|_| ())
    }

    async fn update_role(&self, want: &State, name: &str) -> Result<(), AwsError> {
        let Some(role) = want.roles.get(name) else {
            return Ok(());
        };
        let before = self.observed.roles.get(name);
        if before.is_none_or(|b| b.trust_policy != role.trust_policy) {
            retry(self.budget, || async {
                self.aws
                    .iam
                    .update_assume_role_policy()
                    .role_name(name)
                    .policy_document(role.trust_policy.to_string())
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("UpdateAssumeRolePolicy", name, e))
            })
            .await?;
        }
        let (add, remove) = tag_diff(
            &before.map(|b| b.tags.clone()).unwrap_or_default(),
            &role.tags,
        );
        if !remove.is_empty() {
            retry(self.budget, || async {
                self.aws
                    .iam
                    .untag_role()
                    .role_name(name)
                    .set_tag_keys(Some(remove.clone()))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("UntagRole", name, e))
            })
            .await?;
        }
        if !add.is_empty() {
            let tags: Vec<aws_sdk_iam::types::Tag> = add
                .iter()
                .filter_map(|(k, v)| {
                    aws_sdk_iam::types::Tag::builder()
                        .key(k)
                        .value(v)
                        .build()
                        .ok()
                })
                .collect();
            retry(self.budget, || async {
                self.aws
                    .iam
                    .tag_role()
                    .role_name(name)
                    .set_tags(Some(tags.clone()))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("TagRole", name, e))
            })
            .await?;
        }
        Ok(())
    }

    async fn put_role_policy(
        &self,
        want: &State,
        role: &str,
        policy: &str,
    ) -> Result<(), AwsError> {
        let Some(doc) = want.roles.get(role).and_then(|r| r.policies.get(policy)) else {
            return Ok(());
        };
        retry(self.budget, || async {
            self.aws
                .iam
                .put_role_policy()
                .role_name(role)
                .policy_name(policy)
                .policy_document(doc.to_string())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("PutRolePolicy", role, e))
        })
        .await
        .map(|_| ())
    }

    async fn delete_role_policy(&self, role: &str, policy: &str) -> Result<(), AwsError> {
        let r = retry(self.budget, || async {
            self.aws
                .iam
                .delete_role_policy()
                .role_name(role)
                .policy_name(policy)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DeleteRolePolicy", role, e))
        })
        .await;
        gone_is_done(r)
    }

    async fn delete_role(&self, name: &str) -> Result<(), AwsError> {
        // Managed policies someone attached by hand would block DeleteRole.
        let mut attached: Vec<String> = Vec::new();
        let mut marker = None;
        loop {
            match self
                .aws
                .iam
                .list_attached_role_policies()
                .role_name(name)
                .set_marker(marker)
                .send()
                .await
            {
                Ok(o) => {
                    attached.extend(
                        o.attached_policies()
                            .iter()
                            .filter_map(|p| p.policy_arn().map(str::to_owned)),
                    );
                    marker = o.marker().map(str::to_owned).filter(|_| o.is_truncated());
                    if marker.is_none() {
                        break;
                    }
                }
                Err(e) => {
                    let e = AwsError::from_sdk("ListAttachedRolePolicies", name, e);
                    if e.is_not_found() {
                        return Ok(());
                    }
                    return Err(e);
                }
            }
        }
        for arn in attached {
            let r = retry(self.budget, || async {
                self.aws
                    .iam
                    .detach_role_policy()
                    .role_name(name)
                    .policy_arn(&arn)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("DetachRolePolicy", name, e))
            })
            .await;
            gone_is_done(r)?;
        }
        let r = retry(self.budget, || async {
            self.aws
                .iam
                .delete_role()
                .role_name(name)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DeleteRole", name, e))
        })
        .await;
        gone_is_done(r)
    }

    // -- Lambda ------------------------------------------------------------

    fn package(&self, name: &str) -> Result<&Package, AwsError> {
        self.packages.get(name).map(|p| p.as_ref()).ok_or_else(|| {
            AwsError::local(
                "uploading code",
                &format!("no package was built for `{name}`"),
                "this is a bug in wsdeploy",
            )
        })
    }

    fn environment(f: &state::Function) -> lt::Environment {
        lt::Environment::builder()
            .set_variables(Some(f.environment.clone().into_iter().collect()))
            .build()
    }

    async fn create_function(&self, want: &State, name: &str) -> Result<(), AwsError> {
        let Some(f) = want.functions.get(name) else {
            return Ok(());
        };
        let pkg = self.package(name)?;
        let role_arn = self.aws.role_arn(
            &desired::role_path(&self.config.app, &self.config.stage),
            &f.role,
        );
        let out = retry(self.budget, || async {
            self.aws
                .lambda
                .create_function()
                .function_name(name)
                .runtime(lt::Runtime::from(f.runtime.as_str()))
                .role(&role_arn)
                .handler(&f.handler)
                .code(
                    lt::FunctionCode::builder()
                        .zip_file(Blob::new(pkg.bytes.clone()))
                        .build(),
                )
                .memory_size(f.memory_size as i32)
                .timeout(f.timeout as i32)
                .architectures(lt::Architecture::from(f.architecture.as_str()))
                .environment(Self::environment(f))
                .set_layers(Some(f.layers.clone()))
                .set_tags(Some(f.tags.clone().into_iter().collect()))
                .description(format!(
                    "{} {}, managed by wsdeploy",
                    self.config.app, self.config.stage
                ))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("CreateFunction", name, e))
        })
        .await?;
        if out.state() != Some(&lt::State::Active) {
            self.wait_active(name).await?;
        }
        Ok(())
    }

    async fn wait_active(&self, name: &str) -> Result<(), AwsError> {
        self.aws
            .lambda
            .wait_until_function_active_v2()
            .function_name(name)
            .wait(LAMBDA_WAIT)
            .await
            .map(|_| ())
            .map_err(|e| {
                waiter_error(
                    "waiting for the function to become Active",
                    name,
                    &DisplayErrorContext(&e).to_string(),
                )
            })
    }

    async fn wait_updated(&self, name: &str) -> Result<(), AwsError> {
        self.aws
            .lambda
            .wait_until_function_updated_v2()
            .function_name(name)
            .wait(LAMBDA_WAIT)
            .await
            .map(|_| ())
            .map_err(|e| {
                waiter_error(
                    "waiting for the function's update to finish",
                    name,
                    &DisplayErrorContext(&e).to_string(),
                )
            })
    }

    async fn update_function(&self, want: &State, name: &str) -> Result<(), AwsError> {
        let Some(f) = want.functions.get(name) else {
            return Ok(());
        };
        let before = self.observed.functions.get(name);
        let config_changed = before.is_none_or(|b| {
            b.runtime != f.runtime
                || b.handler != f.handler
                || b.role != f.role
                || b.memory_size != f.memory_size
                || b.timeout != f.timeout
                || b.layers != f.layers
                || b.environment != f.environment
        });
        if config_changed {
            let role_arn = self.aws.role_arn(
                &desired::role_path(&self.config.app, &self.config.stage),
                &f.role,
            );
            let out = retry(self.budget, || async {
                self.aws
                    .lambda
                    .update_function_configuration()
                    .function_name(name)
                    .runtime(lt::Runtime::from(f.runtime.as_str()))
                    .role(&role_arn)
                    .handler(&f.handler)
                    .memory_size(f.memory_size as i32)
                    .timeout(f.timeout as i32)
                    .environment(Self::environment(f))
                    .set_layers(Some(f.layers.clone()))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("UpdateFunctionConfiguration", name, e))
            })
            .await?;
            if out.last_update_status() == Some(&lt::LastUpdateStatus::InProgress) {
                self.wait_updated(name).await?;
            }
        }
        let arn = self.aws.function_arn(name);
        let (add, remove) = tag_diff(&before.map(|b| b.tags.clone()).unwrap_or_default(), &f.tags);
        if !remove.is_empty() {
            retry(self.budget, || async {
                self.aws
                    .lambda
                    .untag_resource()
                    .resource(&arn)
                    .set_tag_keys(Some(remove.clone()))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("UntagResource", name, e))
            })
            .await?;
        }
        if !add.is_empty() {
            retry(self.budget, || async {
                self.aws
                    .lambda
                    .tag_resource()
                    .resource(&arn)
                    .set_tags(Some(add.clone().into_iter().collect()))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("TagResource", name, e))
            })
            .await?;
        }
        Ok(())
    }

    async fn update_code(&self, want: &State, name: &str, shared: &Shared) -> Result<(), AwsError> {
        let Some(f) = want.functions.get(name) else {
            return Ok(());
        };
        let pkg = self.package(name)?;
        let revision = shared
            .ids
            .lock()
            .ok()
            .and_then(|i| i.code_revisions.get(name).cloned());
        let upload = |client: &aws_sdk_lambda::Client| {
            client
                .update_function_code()
                .function_name(name)
                .zip_file(Blob::new(pkg.bytes.clone()))
                .architectures(lt::Architecture::from(f.architecture.as_str()))
                .set_revision_id(revision.clone())
                .send()
        };
        let out = if revision.is_some() {
            // Conditional (the lock-free path): one attempt; any refusal
            // sends the run to the lock.
            upload(&self.aws.lambda_once)
                .await
                .map_err(|e| AwsError::from_sdk("UpdateFunctionCode", name, e))?
        } else {
            retry(self.budget, || async {
                upload(&self.aws.lambda)
                    .await
                    .map_err(|e| AwsError::from_sdk("UpdateFunctionCode", name, e))
            })
            .await?
        };
        if out.last_update_status() == Some(&lt::LastUpdateStatus::InProgress) {
            self.wait_updated(name).await?;
        }
        Ok(())
    }

    async fn delete_function(&self, name: &str) -> Result<(), AwsError> {
        let r = retry(self.budget, || async {
            self.aws
                .lambda
                .delete_function()
                .function_name(name)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DeleteFunction", name, e))
        })
        .await;
        gone_is_done(r)
    }

    async fn add_permission(
        &self,
        want: &State,
        function: &str,
        sid: &str,
        replace: bool,
    ) -> Result<(), AwsError> {
        let Some(p) = want.permissions.get(function).and_then(|m| m.get(sid)) else {
            return Ok(());
        };
        if replace {
            self.remove_permission(function, sid).await?;
        }
        let add = || async {
            self.aws
                .lambda
                .add_permission()
                .function_name(function)
                .statement_id(sid)
                .action(&p.action)
                .principal(&p.principal)
                .source_arn(&p.source_arn)
                .set_source_account(p.source_account.clone())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("AddPermission", &format!("{function}/{sid}"), e))
        };
        match add().await {
            Ok(_) => Ok(()),
            // The statement id exists (a run that stopped halfway, or a
            // change made meanwhile): replace it.
            Err(e) if e.code == "ResourceConflictException" => {
                self.remove_permission(function, sid).await?;
                retry(self.budget, add).await.map(|_| ())
            }
            Err(e) if matches!(e.kind, ErrorKind::Throttled | ErrorKind::Conflict) => {
                retry(self.budget, add).await.map(|_| ())
            }
            Err(e) => Err(e),
        }
    }

    async fn remove_permission(&self, function: &str, sid: &str) -> Result<(), AwsError> {
        let r = retry(self.budget, || async {
            self.aws
                .lambda
                .remove_permission()
                .function_name(function)
                .statement_id(sid)
                .send()
                .await
                .map_err(|e| {
                    AwsError::from_sdk("RemovePermission", &format!("{function}/{sid}"), e)
                })
        })
        .await;
        gone_is_done(r)
    }

    // -- API Gateway inside the API ----------------------------------------

    async fn create_integration(&self, function: &str, shared: &Shared) -> Result<(), AwsError> {
        let api_id = self.api_id(shared)?;
        let uri = self.aws.invocation_uri(function);
        let out = retry(self.budget, || async {
            self.aws
                .apigw
                .create_integration()
                .api_id(&api_id)
                .integration_type(gw::IntegrationType::AwsProxy)
                .integration_method("POST")
                .integration_uri(&uri)
                .description(format!(
                    "Lambda proxy integration of {function}, managed by wsdeploy"
                ))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("CreateIntegration", function, e))
        })
        .await?;
        if let (Ok(mut ids), Some(id)) = (shared.ids.lock(), out.integration_id()) {
            ids.integrations.insert(function.to_owned(), id.to_owned());
        }
        Ok(())
    }

    async fn delete_integration(&self, key: &str, shared: &Shared) -> Result<(), AwsError> {
        let api_id = self.api_id(shared)?;
        let Some(id) = shared
            .ids
            .lock()
            .ok()
            .and_then(|i| i.integrations.get(key).cloned())
        else {
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
        let api_id = self.api_id(shared)?;
        let Some(a) = want.api.as_ref().and_then(|api| api.authorizers.get(name)) else {
            return Ok(());
        };
        let uri = self.aws.invocation_uri(&a.function);
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
        if let (Ok(mut ids), Some(id)) = (shared.ids.lock(), out.authorizer_id()) {
            ids.authorizers.insert(name.to_owned(), id.to_owned());
        }
        Ok(())
    }

    async fn update_authorizer(
        &self,
        want: &State,
        name: &str,
        shared: &Shared,
    ) -> Result<(), AwsError> {
        let api_id = self.api_id(shared)?;
        let Some(a) = want.api.as_ref().and_then(|api| api.authorizers.get(name)) else {
            return Ok(());
        };
        let Some(id) = shared
            .ids
            .lock()
            .ok()
            .and_then(|i| i.authorizers.get(name).cloned())
        else {
            return self.create_authorizer(want, name, shared).await;
        };
        let uri = self.aws.invocation_uri(&a.function);
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
        let api_id = self.api_id(shared)?;
        let Some(id) = shared
            .ids
            .lock()
            .ok()
            .and_then(|i| i.authorizers.get(name).cloned())
        else {
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
        let api_id = self.api_id(shared)?;
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
                if let (Ok(mut ids), Some(id)) = (shared.ids.lock(), out.route_id()) {
                    ids.routes.insert(key.to_owned(), (id.to_owned(), None));
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
        let api_id = self.api_id(shared)?;
        let Some((id, _)) = shared
            .ids
            .lock()
            .ok()
            .and_then(|i| i.routes.get(key).cloned())
        else {
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
        let api_id = self.api_id(shared)?;
        let Some((route_id, _)) = shared
            .ids
            .lock()
            .ok()
            .and_then(|i| i.routes.get(key).cloned())
        else {
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
        if let Ok(mut ids) = shared.ids.lock()
            && let Some(entry) = ids.routes.get_mut(key)
        {
            entry.1 = out.route_response_id().map(str::to_owned);
        }
        Ok(())
    }

    async fn delete_route_response(&self, key: &str, shared: &Shared) -> Result<(), AwsError> {
        let api_id = self.api_id(shared)?;
        let Some((route_id, Some(rr))) = shared
            .ids
            .lock()
            .ok()
            .and_then(|i| i.routes.get(key).cloned())
        else {
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
        want: &State,
        name: &str,
        shared: &Shared,
        create: bool,
    ) -> Result<(), AwsError> {
        let api_id = self.api_id(shared)?;
        let Some(s) = want.api.as_ref().and_then(|a| a.stage.as_ref()) else {
            return Ok(());
        };
        let settings = |r: &state::RouteSettings| {
            gw::RouteSettings::builder()
                .set_throttling_burst_limit(r.burst_limit.and_then(|b| i32::try_from(b).ok()))
                .set_throttling_rate_limit(r.rate_limit)
                .set_logging_level(r.logging_level.as_deref().map(gw::LoggingLevel::from))
                .set_data_trace_enabled(r.data_trace)
                .set_detailed_metrics_enabled(r.detailed_metrics)
                .build()
        };
        let routes: std::collections::HashMap<String, gw::RouteSettings> = s
            .routes
            .iter()
            .map(|(k, v)| (k.clone(), settings(v)))
            .collect();
        let access = s.access_log.as_ref().map(|a| {
            gw::AccessLogSettings::builder()
                .destination_arn(&a.destination_arn)
                .format(&a.format)
                .build()
        });
        if create {
            retry(self.budget, || async {
                self.aws
                    .apigw
                    .create_stage()
                    .api_id(&api_id)
                    .stage_name(name)
                    .default_route_settings(settings(&s.default_route))
                    .set_route_settings(Some(routes.clone()))
                    .set_stage_variables(Some(s.variables.clone().into_iter().collect()))
                    .set_access_log_settings(access.clone())
                    .set_tags(Some(s.tags.clone().into_iter().collect()))
                    .description(format!("Stage {name}, managed by wsdeploy"))
                    .send()
                    .await
                    .map_err(|e| logging_hint(AwsError::from_sdk("CreateStage", name, e)))
            })
            .await?;
            return Ok(());
        }
        let before = self.observed.api.as_ref().and_then(|a| a.stage.as_ref());
        // UpdateStage merges stage variables: "" removes one.
        let mut variables: std::collections::HashMap<String, String> =
            s.variables.clone().into_iter().collect();
        for k in before.iter().flat_map(|b| b.variables.keys()) {
            variables.entry(k.clone()).or_default();
        }
        retry(self.budget, || async {
            self.aws
                .apigw
                .update_stage()
                .api_id(&api_id)
                .stage_name(name)
                .default_route_settings(settings(&s.default_route))
                .set_route_settings(Some(routes.clone()))
                .set_stage_variables(Some(variables.clone()))
                .set_access_log_settings(access.clone())
                .send()
                .await
                .map_err(|e| logging_hint(AwsError::from_sdk("UpdateStage", name, e)))
        })
        .await?;
        if s.access_log.is_none() && before.is_some_and(|b| b.access_log.is_some()) {
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
        if let Some(b) = before {
            for key in b.routes.keys().filter(|k| !s.routes.contains_key(*k)) {
                let r = retry(self.budget, || async {
                    self.aws
                        .apigw
                        .delete_route_settings()
                        .api_id(&api_id)
                        .stage_name(name)
                        .route_key(key)
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("DeleteRouteSettings", key, e))
                })
                .await;
                gone_is_done(r)?;
            }
        }
        let old = before.map(|b| b.tags.clone()).unwrap_or_default();
        self.retag_apigw(&self.aws.stage_arn(&api_id, name), &old, &s.tags, name)
            .await
    }

    async fn create_deployment(
        &self,
        want: &State,
        stage: &str,
        shared: &Shared,
    ) -> Result<(), AwsError> {
        let api_id = self.api_id(shared)?;
        let Some(api) = &want.api else { return Ok(()) };
        let description = format!("{DEPLOYMENT_PREFIX}{}", api.definition_hash());
        // CreateDeployment is limited to 1 request / 5 s per account: the
        // retry budget covers several windows.
        retry(self.budget, || async {
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
        .await
        .map(|_| ())
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

/// Deleting what is already gone counts as done.
pub(crate) fn gone_is_done<T>(r: Result<T, AwsError>) -> Result<(), AwsError> {
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e),
    }
}

fn waiter_error(what: &str, name: &str, detail: &str) -> AwsError {
    AwsError {
        operation: what.to_owned(),
        resource: name.to_owned(),
        code: "FunctionNotReady".to_owned(),
        message: detail.to_owned(),
        hint: Some("look at the function's State and StateReason in the Lambda console; `Failed` needs a fix in the config or code".to_owned()),
        kind: ErrorKind::Other,
    }
}

/// Tags to set (new or changed) and keys to remove.
fn tag_diff(old: &Tags, new: &Tags) -> (Tags, Vec<String>) {
    let add = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    (add, remove)
}
