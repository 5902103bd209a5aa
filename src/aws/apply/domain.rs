//! Applying custom-domain actions: the dispatch for the certificate, the
//! API Gateway domain name (its calls wait out a quota of one per 30 s),
//! this stage's API mapping and the DNS records. The certificate and the
//! records have files of their own.
//!
//! A record at the domain's name that does not point at the domain is
//! never overwritten; shared resources go with the last mapping (the
//! planner decides that).

use std::time::Duration;

use aws_sdk_apigatewayv2::types as gw;

use super::certificate::{delete_certificate, request_certificate, validate_certificate};
use super::dns::{delete_records, upsert_records};
use super::{Applier, Event, Shared};
use crate::aws::util::{RetryBudget, gone_is_done, retry};
use crate::aws::{Aws, AwsError};
use crate::plan::{Action, Op, Resource};
use crate::state::{Domain, State};

/// Domain-name calls are limited to one per 30 s per account: their retry
/// budget covers several windows.
const DOMAIN_BUDGET: RetryBudget = RetryBudget {
    transient: Duration::from_secs(180),
    role_propagation: Duration::from_secs(0),
};

impl Applier<'_> {
    pub(super) async fn run_domain(
        &self,
        a: &Action,
        want: &State,
        shared: &Shared,
    ) -> Result<(), AwsError> {
        match (&a.resource, a.op) {
            (Resource::Certificate(n), Op::Delete) => self.delete_certificate_of(n).await,
            (Resource::Certificate(n), op) => self.certificate(want, n, op, a, shared).await,
            (Resource::DomainName(n), Op::Delete) => {
                delete_domain_name(self.aws, n, &self.notice(a)).await
            }
            (Resource::DomainName(n), op) => {
                let Some(d) = want.domains.get(n) else {
                    return Ok(());
                };
                let arn = self.certificate_arn(d, shared)?;
                if op == Op::Create {
                    create_domain_name(self.aws, d, &arn, &self.notice(a)).await
                } else {
                    update_domain_name(self.aws, n, &arn, &self.notice(a)).await
                }
            }
            (Resource::ApiMapping(n), Op::Delete) => {
                match shared.id(|i| i.mappings.get(n).cloned()) {
                    Some(id) => delete_mapping(self.aws, self.budget, n, &id).await,
                    None => Ok(()),
                }
            }
            (Resource::ApiMapping(n), _) => self.put_mapping(want, n, shared).await,
            (Resource::DnsRecords(n), Op::Delete) => {
                let zone = self.observed.domains.get(n).and_then(|d| d.zone.clone());
                delete_records(self.aws, self.budget, n, zone.as_deref()).await
            }
            (Resource::DnsRecords(n), _) => match want.domains.get(n) {
                Some(d) => upsert_records(self.aws, self.budget, d).await,
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    async fn delete_certificate_of(&self, name: &str) -> Result<(), AwsError> {
        let have = self.observed.domains.get(name);
        match have.and_then(|d| d.certificate.arn.clone()) {
            Some(arn) => {
                delete_certificate(
                    self.aws,
                    self.budget,
                    &arn,
                    name,
                    have.and_then(|d| d.zone.as_deref()),
                )
                .await
            }
            None => Ok(()),
        }
    }

    /// Creates this stage's mapping on the domain, or moves it.
    async fn put_mapping(&self, want: &State, name: &str, shared: &Shared) -> Result<(), AwsError> {
        let Some(d) = want.domains.get(name) else {
            return Ok(());
        };
        let api_id = shared.api_id()?;
        let key = d.mapping.clone().unwrap_or_default();
        let stage = &self.config.stage;
        match shared.id(|i| i.mappings.get(name).cloned()) {
            Some(id) => {
                update_mapping(self.aws, self.budget, name, &id, &api_id, stage, &key).await
            }
            None => {
                let id = create_mapping(self.aws, self.budget, name, &api_id, stage, &key).await?;
                shared.record(|ids| {
                    ids.mappings.insert(name.to_owned(), id);
                });
                Ok(())
            }
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
    fn certificate_arn(&self, d: &Domain, shared: &Shared) -> Result<String, AwsError> {
        if let Some(arn) = &d.certificate.arn {
            return Ok(arn.clone());
        }
        let made = shared.id(|i| i.certificates.get(&d.name).cloned());
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
        let api_id = shared.api_id()?;
        let arn = match (op, have) {
            (Op::Update, Some(arn)) => arn,
            (Op::Replace, old) => {
                request_certificate(self.aws, self.budget, d, &api_id, old.as_deref()).await?
            }
            _ => request_certificate(self.aws, self.budget, d, &api_id, None).await?,
        };
        shared.record(|ids| {
            ids.certificates.insert(name.to_owned(), arn.clone());
        });
        validate_certificate(
            self.aws,
            self.budget,
            &arn,
            d,
            self.certificate_timeout,
            &self.notice(a),
        )
        .await
    }
}

fn domain_config(arn: &str) -> gw::DomainNameConfiguration {
    gw::DomainNameConfiguration::builder()
        .certificate_arn(arn)
        .endpoint_type(gw::EndpointType::Regional)
        .security_policy(gw::SecurityPolicy::Tls12)
        .build()
}

pub(super) async fn create_domain_name(
    aws: &Aws,
    want: &Domain,
    certificate_arn: &str,
    notice: &(dyn Fn(String) + Sync),
) -> Result<(), AwsError> {
    let mut first = true;
    retry(DOMAIN_BUDGET, || {
        let first_call = std::mem::take(&mut first);
        async move {
            if !first_call {
                notice(format!(
                    "waiting for the custom-domain quota (1 call / 30 s) to create {}",
                    want.name
                ));
            }
            aws.apigw_once
                .create_domain_name()
                .domain_name(&want.name)
                .domain_name_configurations(domain_config(certificate_arn))
                .set_tags(Some(want.tags.clone().into_iter().collect()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("CreateDomainName", &want.name, e))
        }
    })
    .await
    .map(|_| ())
}

pub(super) async fn update_domain_name(
    aws: &Aws,
    name: &str,
    certificate_arn: &str,
    notice: &(dyn Fn(String) + Sync),
) -> Result<(), AwsError> {
    let mut first = true;
    retry(DOMAIN_BUDGET, || {
        let first_call = std::mem::take(&mut first);
        async move {
            if !first_call {
                notice(format!(
                    "waiting for the custom-domain quota (1 call / 30 s) to update {name}"
                ));
            }
            aws.apigw_once
                .update_domain_name()
                .domain_name(name)
                .domain_name_configurations(domain_config(certificate_arn))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("UpdateDomainName", name, e))
        }
    })
    .await
    .map(|_| ())
}

pub(super) async fn delete_domain_name(
    aws: &Aws,
    name: &str,
    notice: &(dyn Fn(String) + Sync),
) -> Result<(), AwsError> {
    let mut first = true;
    let r = retry(DOMAIN_BUDGET, || {
        let first_call = std::mem::take(&mut first);
        async move {
            if !first_call {
                notice(format!(
                    "waiting for the custom-domain quota (1 call / 30 s) to delete {name}"
                ));
            }
            aws.apigw_once
                .delete_domain_name()
                .domain_name(name)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DeleteDomainName", name, e))
        }
    })
    .await;
    gone_is_done(r)
}

pub(super) async fn create_mapping(
    aws: &Aws,
    budget: RetryBudget,
    name: &str,
    api_id: &str,
    stage: &str,
    key: &str,
) -> Result<String, AwsError> {
    let out = retry(budget, || async {
        aws.apigw
            .create_api_mapping()
            .domain_name(name)
            .api_id(api_id)
            .stage(stage)
            .set_api_mapping_key((!key.is_empty()).then(|| key.to_owned()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("CreateApiMapping", name, e))
    })
    .await?;
    Ok(out.api_mapping_id().unwrap_or_default().to_owned())
}

pub(super) async fn update_mapping(
    aws: &Aws,
    budget: RetryBudget,
    name: &str,
    id: &str,
    api_id: &str,
    stage: &str,
    key: &str,
) -> Result<(), AwsError> {
    retry(budget, || async {
        aws.apigw
            .update_api_mapping()
            .domain_name(name)
            .api_mapping_id(id)
            .api_id(api_id)
            .stage(stage)
            .api_mapping_key(key)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateApiMapping", name, e))
    })
    .await
    .map(|_| ())
}

pub(super) async fn delete_mapping(
    aws: &Aws,
    budget: RetryBudget,
    name: &str,
    id: &str,
) -> Result<(), AwsError> {
    let r = retry(budget, || async {
        aws.apigw
            .delete_api_mapping()
            .domain_name(name)
            .api_mapping_id(id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DeleteApiMapping", name, e))
    })
    .await;
    gone_is_done(r)
}
