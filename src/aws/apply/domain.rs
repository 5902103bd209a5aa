//! Applying custom-domain actions: the ACM certificate (requested, its
//! DNS validation record written, waited for), the API Gateway domain
//! name, this stage's API mapping and the Route 53 alias records.
//!
//! A record at the domain's name that does not point at the domain is
//! never overwritten; the validation record stays for renewals; shared
//! resources go with the last mapping (the planner decides that).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use aws_sdk_acm::types as acm;
use aws_sdk_apigatewayv2::types as gw;
use aws_sdk_route53::types as r53;

use super::{Applier, Event, Shared};
use crate::aws::observe::domain::{
    Target, describe, find_zone, managed_or_any_certificates_for, no_zone, norm, record_sets,
    target,
};
use crate::aws::util::{RetryBudget, gone_is_done, retry};
use crate::aws::{Aws, AwsError};
use crate::names::default_zone;
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

/// Idempotency token for a certificate request: the same name, API and
/// failed certificate being replaced give the same token, so a run that
/// crashed after RequestCertificate gets the same certificate back. The
/// API's id is part of it because ACM remembers a token for an hour, even
/// when its certificate was deleted meanwhile (remove, then deploy again):
/// a new API gets a new certificate.
fn idempotency_token(name: &str, api_id: &str, replacing: Option<&str>) -> String {
    let digest = crate::build::sha256_base64(
        format!("{name}|{api_id}|{}", replacing.unwrap_or("")).as_bytes(),
    );
    let clean: String = digest
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(29)
        .collect();
    format!("wsd{clean}")
}

pub(super) async fn request_certificate(
    aws: &Aws,
    budget: RetryBudget,
    want: &Domain,
    api_id: &str,
    replacing: Option<&str>,
) -> Result<String, AwsError> {
    let tags: Vec<acm::Tag> = want
        .tags
        .iter()
        .filter_map(|(k, v)| acm::Tag::builder().key(k).value(v).build().ok())
        .collect();
    let out = retry(budget, || async {
        aws.acm
            .request_certificate()
            .domain_name(&want.name)
            .validation_method(acm::ValidationMethod::Dns)
            .idempotency_token(idempotency_token(&want.name, api_id, replacing))
            .set_tags(Some(tags.clone()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("RequestCertificate", &want.name, e))
    })
    .await?;
    out.certificate_arn().map(str::to_owned).ok_or_else(|| {
        AwsError::local(
            "RequestCertificate",
            "ACM returned no certificate ARN",
            "run again",
        )
    })
}

/// Puts the DNS validation records in the zone, waits until Route 53 has
/// them, then waits until ACM issues the certificate, at most `timeout`.
pub(super) async fn validate_certificate(
    aws: &Aws,
    budget: RetryBudget,
    arn: &str,
    want: &Domain,
    timeout: Duration,
    notice: &(dyn Fn(String) + Sync),
) -> Result<(), AwsError> {
    let start = Instant::now();
    let name = &want.name;
    let Some(zone) = &want.zone else {
        return Err(AwsError::local(
            "validating the certificate",
            &format!("the certificate for `{name}` needs DNS validation, but DNS is external"),
            "give `certificateArn` of a certificate you validated yourself",
        ));
    };
    let zone_id = find_zone(aws, zone).await?.ok_or_else(|| no_zone(zone))?;
    let Some(records) = validation_records(aws, arn, name).await? else {
        return Ok(());
    };
    // The validation record stays in the zone even once the certificate is
    // issued: ACM needs it to renew.
    let changes: Vec<r53::Change> = records
        .iter()
        .filter_map(|(rname, (rtype, value))| {
            let set = r53::ResourceRecordSet::builder()
                .name(rname)
                .r#type(r53::RrType::from(rtype.as_str()))
                .ttl(300)
                .resource_records(r53::ResourceRecord::builder().value(value).build().ok()?)
                .build()
                .ok()?;
            r53::Change::builder()
                .action(r53::ChangeAction::Upsert)
                .resource_record_set(set)
                .build()
                .ok()
        })
        .collect();
    let change_id = change_records(aws, budget, &zone_id, changes, name).await?;
    notice(format!(
        "waiting for Route 53 to publish the validation record of {name}"
    ));
    wait_insync(aws, &change_id, name).await?;
    notice(format!(
        "waiting for ACM to issue the certificate of {name} (at most {} s)",
        timeout.as_secs()
    ));
    wait_issued(aws, arn, name, start, timeout).await
}

/// The DNS validation records of a certificate by name (type, value);
/// `None` when it is issued and needs none. ResourceRecord appears a few
/// seconds after RequestCertificate. `example.com` and `*.example.com`
/// share one record: the map de-duplicates.
async fn validation_records(
    aws: &Aws,
    arn: &str,
    name: &str,
) -> Result<Option<BTreeMap<String, (String, String)>>, AwsError> {
    let start = Instant::now();
    loop {
        let detail = describe(aws, arn).await?;
        let mut recs: BTreeMap<String, (String, String)> = BTreeMap::new();
        let mut missing = false;
        for v in detail.domain_validation_options() {
            match v.resource_record() {
                Some(r) => {
                    recs.insert(
                        r.name().to_owned(),
                        (r.r#type().as_str().to_owned(), r.value().to_owned()),
                    );
                }
                None => missing = true,
            }
        }
        if !missing && !recs.is_empty() {
            return Ok(Some(recs));
        }
        if detail.status() == Some(&acm::CertificateStatus::Issued) && recs.is_empty() && !missing {
            return Ok(None);
        }
        if start.elapsed() > Duration::from_secs(120) {
            return Err(AwsError::local(
                "validating the certificate",
                &format!("ACM has not given the DNS validation record for `{name}` after 120 s"),
                "run deploy again",
            ));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Waits until ACM issues the certificate, or says it will not.
async fn wait_issued(
    aws: &Aws,
    arn: &str,
    name: &str,
    start: Instant,
    timeout: Duration,
) -> Result<(), AwsError> {
    const OPERATION: &str = "validating the certificate";
    loop {
        let detail = describe(aws, arn).await?;
        match detail.status().map(|s| s.as_str()) {
            Some("ISSUED") => return Ok(()),
            Some("PENDING_VALIDATION") | None => {}
            Some(other) => {
                let reason = detail
                    .failure_reason()
                    .map(|r| r.as_str().to_owned())
                    .unwrap_or_default();
                return Err(AwsError::state(
                    OPERATION,
                    name,
                    other,
                    format!("ACM says the certificate is {other} {reason}")
                        .trim()
                        .to_owned(),
                    "check that the hosted zone is the public zone of the domain and its NS records are delegated; the next deploy requests a new certificate",
                ));
            }
        }
        if start.elapsed() > timeout {
            return Err(AwsError::state(
                OPERATION,
                name,
                "PENDING_VALIDATION",
                format!(
                    "the certificate of {name} is still pending validation after {} s; its DNS validation record is in place",
                    timeout.as_secs()
                ),
                "ACM usually issues within minutes of the record appearing; run deploy again to resume, or raise `--certificate-timeout`",
            ));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

async fn change_records(
    aws: &Aws,
    budget: RetryBudget,
    zone_id: &str,
    changes: Vec<r53::Change>,
    name: &str,
) -> Result<String, AwsError> {
    let batch = r53::ChangeBatch::builder()
        .set_changes(Some(changes))
        .comment("wsdeploy")
        .build()
        .map_err(|e| {
            AwsError::local(
                "ChangeResourceRecordSets",
                &e.to_string(),
                "this is a bug in wsdeploy",
            )
        })?;
    let out = retry(budget, || async {
        aws.route53
            .change_resource_record_sets()
            .hosted_zone_id(zone_id)
            .change_batch(batch.clone())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ChangeResourceRecordSets", name, e))
    })
    .await?;
    Ok(out
        .change_info()
        .map(|c| c.id().to_owned())
        .unwrap_or_default())
}

async fn wait_insync(aws: &Aws, change_id: &str, name: &str) -> Result<(), AwsError> {
    if change_id.is_empty() {
        return Ok(());
    }
    let start = Instant::now();
    loop {
        let out = aws
            .route53
            .get_change()
            .id(change_id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetChange", name, e))?;
        if out
            .change_info()
            .is_some_and(|c| c.status() == &r53::ChangeStatus::Insync)
        {
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(300) {
            return Err(AwsError::local(
                "waiting for Route 53",
                &format!("the change for {name} is not INSYNC after 300 s"),
                "run deploy again",
            ));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

pub(super) async fn delete_certificate(
    aws: &Aws,
    budget: RetryBudget,
    arn: &str,
    name: &str,
    zone: Option<&str>,
) -> Result<(), AwsError> {
    // The validation record goes too, unless another certificate for the
    // same name still needs it.
    let detail = match describe(aws, arn).await {
        Ok(d) => Some(d),
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(e),
    };
    // The domain name was just deleted: ACM may still see the certificate
    // in use for a moment (ResourceInUseException counts as a conflict).
    let r = retry(budget, || async {
        aws.acm
            .delete_certificate()
            .certificate_arn(arn)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DeleteCertificate", name, e))
    })
    .await;
    gone_is_done(r)?;
    let (Some(detail), Some(zone)) = (detail, zone) else {
        return Ok(());
    };
    let others = managed_or_any_certificates_for(aws, name).await?;
    if others > 0 {
        return Ok(());
    }
    let Some(zone_id) = find_zone(aws, zone).await? else {
        return Ok(());
    };
    let mut changes = Vec::new();
    let mut seen = BTreeSet::new();
    for v in detail.domain_validation_options() {
        let Some(r) = v.resource_record() else {
            continue;
        };
        if !seen.insert(r.name().to_owned()) {
            continue;
        }
        // Delete only what is there with exactly this value.
        let current = record_sets(aws, &zone_id, r.name()).await?;
        let matches = current.iter().any(|s| {
            s.r#type().as_str() == r.r#type().as_str()
                && s.resource_records()
                    .iter()
                    .any(|rr| rr.value() == r.value())
        });
        if !matches {
            continue;
        }
        if let Some(set) = current
            .into_iter()
            .find(|s| s.r#type().as_str() == r.r#type().as_str())
            && let Ok(c) = r53::Change::builder()
                .action(r53::ChangeAction::Delete)
                .resource_record_set(set)
                .build()
        {
            changes.push(c);
        }
    }
    if !changes.is_empty() {
        change_records(aws, budget, &zone_id, changes, name).await?;
    }
    Ok(())
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

fn alias_sets(name: &str, t: &Target) -> Vec<r53::ResourceRecordSet> {
    [r53::RrType::A, r53::RrType::Aaaa]
        .into_iter()
        .filter_map(|ty| {
            let alias = r53::AliasTarget::builder()
                .hosted_zone_id(&t.zone_id)
                .dns_name(&t.dns_name)
                .evaluate_target_health(false)
                .build()
                .ok()?;
            r53::ResourceRecordSet::builder()
                .name(name)
                .r#type(ty)
                .alias_target(alias)
                .build()
                .ok()
        })
        .collect()
}

pub(super) async fn upsert_records(
    aws: &Aws,
    budget: RetryBudget,
    want: &Domain,
) -> Result<(), AwsError> {
    let Some(zone) = &want.zone else {
        return Ok(());
    };
    let zone_id = find_zone(aws, zone).await?.ok_or_else(|| no_zone(zone))?;
    let t = target(aws, &want.name).await?.ok_or_else(|| {
        AwsError::local(
            "writing DNS records",
            &format!("the custom domain `{}` does not exist", want.name),
            "run deploy again",
        )
    })?;
    let changes = alias_sets(&want.name, &t)
        .into_iter()
        .filter_map(|s| {
            r53::Change::builder()
                .action(r53::ChangeAction::Upsert)
                .resource_record_set(s)
                .build()
                .ok()
        })
        .collect();
    change_records(aws, budget, &zone_id, changes, &want.name)
        .await
        .map(|_| ())
}

pub(super) async fn delete_records(
    aws: &Aws,
    budget: RetryBudget,
    name: &str,
    zone: Option<&str>,
) -> Result<(), AwsError> {
    let zone = zone.map_or_else(|| default_zone(name), str::to_owned);
    let Some(zone_id) = find_zone(aws, &zone).await? else {
        return Ok(());
    };
    let Some(t) = target(aws, name).await? else {
        return Ok(());
    };
    // Only the records that point at this domain: what else is there is not ours.
    let current = record_sets(aws, &zone_id, name).await?;
    let changes: Vec<r53::Change> = current
        .into_iter()
        .filter(|s| matches!(s.r#type(), r53::RrType::A | r53::RrType::Aaaa))
        .filter(|s| {
            s.alias_target()
                .is_some_and(|a| norm(a.dns_name()) == norm(&t.dns_name))
        })
        .filter_map(|s| {
            r53::Change::builder()
                .action(r53::ChangeAction::Delete)
                .resource_record_set(s)
                .build()
                .ok()
        })
        .collect();
    if changes.is_empty() {
        return Ok(());
    }
    change_records(aws, budget, &zone_id, changes, name)
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stable_and_short() {
        let a = idempotency_token("ws.example.com", "abc", None);
        assert_eq!(a, idempotency_token("ws.example.com", "abc", None));
        assert_ne!(
            a,
            idempotency_token("ws.example.com", "abc", Some("arn:old"))
        );
        assert_ne!(a, idempotency_token("ws.example.com", "def", None));
        assert!(a.len() <= 32 && a.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
