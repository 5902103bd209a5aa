//! Observing custom domains: the domain names tagged `wsdeploy:domain`,
//! this stage's API mapping on them, the certificates wsdeploy requested,
//! and whether the alias records in Route 53 point at the domain. Also the
//! reads that changing a domain needs (its target, the zone, a record set).
//!
//! A domain name, its certificate and its records are shared by every
//! wsdeploy app mapped on the domain; a record at the domain's name that
//! does not point at the domain, or a domain name without the tag, is
//! someone else's.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_acm::types as acm;
use aws_sdk_route53::types as r53;

use super::Foreign;
use crate::aws::util::{all_pages, found, map_of};
use crate::aws::{Aws, AwsError};
use crate::config::model::Config;
use crate::names::default_zone;
use crate::state::{Certificate, Domain, TAG_DOMAIN, Tags};

/// A domain's target: where its alias records point.
#[derive(Debug, Clone)]
pub struct Target {
    pub dns_name: String,
    pub zone_id: String,
}

pub(crate) fn norm(name: &str) -> String {
    name.trim_end_matches('.')
        .replace("\\052", "*")
        .to_ascii_lowercase()
}

/// What observing the domains found: the domains by name, this stage's
/// mapping id on each, and foreign resources in the way.
pub(super) type Observed = (
    BTreeMap<String, Domain>,
    BTreeMap<String, String>,
    Vec<Foreign>,
);

/// Every domain this stage's API is mapped on, the configured one, and the
/// certificates wsdeploy requested for them.
pub(super) async fn observe_domains(
    aws: &Aws,
    config: &Config,
    api_id: impl Future<Output = Option<String>>,
) -> Result<Observed, AwsError> {
    let wanted = config.domain.as_ref().map(|d| d.name.as_str());
    let (mut domains, mapping_ids, mut foreign) =
        domain_names(aws, wanted, &config.stage, api_id).await?;
    // The configured domain may not exist yet while its certificate does.
    if let Some(name) = wanted
        && !domains.contains_key(name)
        && !foreign.iter().any(|f| f.name == name)
    {
        domains.insert(name.to_owned(), domain(name, false, Tags::new()));
    }
    // Certificates wsdeploy requested, and the records of each domain.
    let certs = managed_certificates(aws, &domains.keys().cloned().collect()).await?;
    for (name, d) in domains.iter_mut() {
        if let Some(c) = certs.get(name) {
            d.certificate = c.clone();
        }
        let zone = match config.domain.as_ref().filter(|c| &c.name == name) {
            Some(c) if c.external => None,
            Some(c) => Some(c.hosted_zone.clone()),
            None => Some(default_zone(name)),
        };
        if let Some(zone) = zone {
            let is_wanted = wanted == Some(name.as_str());
            foreign.extend(observe_records(aws, d, &zone, is_wanted).await?);
        }
    }
    // Nothing was made yet for a wanted domain: leave it out.
    domains.retain(|_, d| d.exists || d.certificate.arn.is_some() || d.mapping.is_some());
    Ok((domains, mapping_ids, foreign))
}

/// A domain as far as its API Gateway domain name tells.
fn domain(name: &str, exists: bool, tags: Tags) -> Domain {
    Domain {
        name: name.to_owned(),
        certificate: Certificate {
            arn: None,
            managed: false,
            status: None,
            reason: None,
        },
        exists,
        domain_certificate_arn: None,
        mapping: None,
        other_mappings: 0,
        zone: None,
        records: false,
        tags,
    }
}

/// Domain names: wsdeploy's (by tag) that this stage is mapped on, and the
/// configured one.
async fn domain_names(
    aws: &Aws,
    wanted: Option<&str>,
    stage: &str,
    api_id: impl Future<Output = Option<String>>,
) -> Result<Observed, AwsError> {
    let mut foreign = Vec::new();
    let mut domains = BTreeMap::new();
    let mut mapping_ids = BTreeMap::new();
    let items = all_pages!(
        aws.apigw.get_domain_names(),
        "GetDomainNames",
        "custom domains"
    );
    // Which API is ours comes from a read running alongside this one.
    let api_id = if items.is_empty() { None } else { api_id.await };
    let api_id = api_id.as_deref();
    for d in items {
        let name = d.domain_name().unwrap_or_default().to_ascii_lowercase();
        let mut tags = map_of(d.tags());
        let is_wanted = wanted == Some(name.as_str());
        if tags.is_empty() && (is_wanted || api_id.is_some()) {
            let out = aws
                .apigw
                .get_tags()
                .resource_arn(aws.place().domain_arn(&name))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("GetTags", &name, e))?;
            tags = map_of(out.tags());
        }
        let ours = tags
            .get(TAG_DOMAIN)
            .is_some_and(|v| v.eq_ignore_ascii_case(&name));
        if !ours {
            if is_wanted {
                foreign.push(Foreign {
                    kind: "custom domain",
                    name: name.clone(),
                    why: "it has no `wsdeploy:domain` tag, so wsdeploy did not make it".to_owned(),
                });
            }
            continue;
        }
        let (mine, others) = mappings(aws, &name, api_id, stage).await?;
        if !is_wanted && mine.is_none() {
            continue;
        }
        let conf = d.domain_name_configurations().first();
        let mut found = domain(&name, true, tags);
        found.domain_certificate_arn = conf.and_then(|c| c.certificate_arn()).map(str::to_owned);
        found.other_mappings = others;
        if let Some((id, key)) = mine {
            mapping_ids.insert(name.clone(), id);
            found.mapping = Some(key);
        }
        domains.insert(name, found);
    }
    Ok((domains, mapping_ids, foreign))
}

/// Whether the domain's alias records in `zone` are in place; a record in
/// the way of the configured domain is foreign.
async fn observe_records(
    aws: &Aws,
    d: &mut Domain,
    zone: &str,
    is_wanted: bool,
) -> Result<Option<Foreign>, AwsError> {
    let Some(zone_id) = find_zone(aws, zone).await? else {
        return if is_wanted {
            Err(no_zone(zone))
        } else {
            Ok(None)
        };
    };
    d.zone = Some(zone.to_owned());
    // Before the domain exists nothing can point at it: any record at
    // its name is someone else's.
    let target = if d.exists {
        target(aws, &d.name).await?
    } else {
        None
    };
    match records_state(aws, &zone_id, &d.name, target.as_ref()).await? {
        Records::Ours => d.records = true,
        Records::Absent => {}
        Records::Foreign(what) if is_wanted => {
            return Ok(Some(Foreign {
                kind: "DNS record",
                name: format!("{} in {zone}", d.name),
                why: what,
            }));
        }
        Records::Foreign(_) => {}
    }
    Ok(None)
}

/// This stage's mapping (id, key) and the number of other mappings.
async fn mappings(
    aws: &Aws,
    domain: &str,
    api_id: Option<&str>,
    stage: &str,
) -> Result<(Option<(String, String)>, usize), AwsError> {
    let items = all_pages!(
        aws.apigw.get_api_mappings().domain_name(domain),
        "GetApiMappings",
        domain
    );
    let mut mine = None;
    let mut others = 0;
    for m in items {
        if api_id.is_some() && m.api_id() == api_id && m.stage() == Some(stage) {
            mine = Some((
                m.api_mapping_id().unwrap_or_default().to_owned(),
                m.api_mapping_key().unwrap_or_default().to_owned(),
            ));
        } else {
            others += 1;
        }
    }
    Ok((mine, others))
}

/// Certificates tagged `wsdeploy:domain` for the given names: the best one
/// per name (issued, then pending, then any).
async fn managed_certificates(
    aws: &Aws,
    names: &BTreeSet<String>,
) -> Result<BTreeMap<String, Certificate>, AwsError> {
    let mut found: BTreeMap<String, Certificate> = BTreeMap::new();
    if names.is_empty() {
        return Ok(found);
    }
    let summaries = aws
        .acm
        .list_certificates()
        .set_certificate_statuses(Some(vec![
            acm::CertificateStatus::PendingValidation,
            acm::CertificateStatus::Issued,
            acm::CertificateStatus::Failed,
            acm::CertificateStatus::ValidationTimedOut,
            acm::CertificateStatus::Expired,
            acm::CertificateStatus::Revoked,
            acm::CertificateStatus::Inactive,
        ]))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| AwsError::from_sdk("ListCertificates", "certificates", e))?;
    let candidates = summaries.iter().filter_map(|c| {
        let name = c.domain_name().unwrap_or_default().to_ascii_lowercase();
        let arn = c.certificate_arn()?.to_owned();
        names.contains(&name).then_some((name, arn))
    });
    for (name, arn) in candidates {
        let tags = aws
            .acm
            .list_tags_for_certificate()
            .certificate_arn(&arn)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListTagsForCertificate", &arn, e))?;
        let ours = tags.tags().iter().any(|t| {
            t.key() == TAG_DOMAIN && t.value().is_some_and(|v| v.eq_ignore_ascii_case(&name))
        });
        if !ours {
            continue;
        }
        let detail = describe(aws, &arn).await?;
        let status = detail.status().map(|s| s.as_str().to_owned());
        let rank = |s: Option<&str>| match s {
            Some("ISSUED") => 0,
            Some("PENDING_VALIDATION") => 1,
            _ => 2,
        };
        let better = found
            .get(&name)
            .is_none_or(|c| rank(status.as_deref()) < rank(c.status.as_deref()));
        if better {
            found.insert(
                name,
                Certificate {
                    arn: Some(arn),
                    managed: true,
                    status,
                    reason: detail.failure_reason().map(|r| r.as_str().to_owned()),
                },
            );
        }
    }
    Ok(found)
}

pub(crate) async fn describe(aws: &Aws, arn: &str) -> Result<acm::CertificateDetail, AwsError> {
    let out = aws
        .acm
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("DescribeCertificate", arn, e))?;
    out.certificate().cloned().ok_or_else(|| {
        AwsError::local(
            "DescribeCertificate",
            "ACM returned no certificate details",
            "run again",
        )
    })
}

/// The public hosted zone named `zone`, if Route 53 has one.
pub async fn find_zone(aws: &Aws, zone: &str) -> Result<Option<String>, AwsError> {
    let out = aws
        .route53
        .list_hosted_zones_by_name()
        .dns_name(zone)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("ListHostedZonesByName", zone, e))?;
    Ok(out
        .hosted_zones()
        .iter()
        .find(|z| norm(z.name()) == norm(zone) && !z.config().is_some_and(|c| c.private_zone()))
        .map(|z| z.id().trim_start_matches("/hostedzone/").to_owned()))
}

/// Where a domain's alias records must point; `None` when the domain
/// name does not exist.
pub async fn target(aws: &Aws, name: &str) -> Result<Option<Target>, AwsError> {
    let out = found(
        aws.apigw
            .get_domain_name()
            .domain_name(name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetDomainName", name, e)),
    )?;
    Ok(out.and_then(|out| {
        let c = out.domain_name_configurations().first()?;
        Some(Target {
            dns_name: c.api_gateway_domain_name()?.to_owned(),
            zone_id: c.hosted_zone_id()?.to_owned(),
        })
    }))
}

enum Records {
    Ours,
    Absent,
    Foreign(String),
}

async fn records_state(
    aws: &Aws,
    zone_id: &str,
    name: &str,
    target: Option<&Target>,
) -> Result<Records, AwsError> {
    let sets = record_sets(aws, zone_id, name).await?;
    if sets.is_empty() {
        return Ok(Records::Absent);
    }
    let mut ok = 0;
    for s in &sets {
        let points_at_us = s
            .alias_target()
            .zip(target)
            .is_some_and(|(a, t)| norm(a.dns_name()) == norm(&t.dns_name));
        match s.r#type() {
            r53::RrType::A | r53::RrType::Aaaa if points_at_us => ok += 1,
            t => {
                let what = match s.alias_target() {
                    Some(a) => format!(
                        "its {} record is an alias to `{}`, not to this domain",
                        t.as_str(),
                        norm(a.dns_name())
                    ),
                    None => format!("it has a {} record that wsdeploy did not make", t.as_str()),
                };
                return Ok(Records::Foreign(what));
            }
        }
    }
    Ok(if ok == 2 {
        Records::Ours
    } else {
        Records::Absent
    })
}

/// Record sets named exactly `name` (any type).
pub(crate) async fn record_sets(
    aws: &Aws,
    zone_id: &str,
    name: &str,
) -> Result<Vec<r53::ResourceRecordSet>, AwsError> {
    let out = aws
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(zone_id)
        .start_record_name(name)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("ListResourceRecordSets", name, e))?;
    Ok(out
        .resource_record_sets()
        .iter()
        .filter(|s| norm(s.name()) == norm(name))
        .cloned()
        .collect())
}

pub(crate) fn no_zone(zone: &str) -> AwsError {
    AwsError::local(
        "finding the hosted zone",
        &format!("Route 53 has no public hosted zone `{zone}`"),
        "create it, set `domain.hostedZone` to the right zone, or set `domain.external: true` with a `certificateArn`",
    )
}

/// How many certificates for `name` remain in ACM.
pub(crate) async fn managed_or_any_certificates_for(
    aws: &Aws,
    name: &str,
) -> Result<usize, AwsError> {
    let summaries = aws
        .acm
        .list_certificates()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| AwsError::from_sdk("ListCertificates", "certificates", e))?;
    Ok(summaries
        .iter()
        .filter(|c| {
            c.domain_name().is_some_and(|d| {
                d.trim_start_matches("*.")
                    .eq_ignore_ascii_case(name.trim_start_matches("*."))
            })
        })
        .count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_like_route53() {
        assert_eq!(norm("\\052.Example.com."), "*.example.com");
    }
}
