//! Custom domains (ACM certificate, API Gateway domain name, API mapping,
//! Route 53 alias records) and the access-log group: reading them and
//! changing them.
//!
//! A domain name, its certificate and its records are shared by every
//! wsdeploy app mapped on the domain: they carry the tag `wsdeploy:domain`
//! rather than an app's tags, and go with the last mapping. The mapping is
//! the stage's own. A record at the domain's name that does not point at
//! the domain, or a domain name without the tag, is someone else's and is
//! never changed.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use aws_sdk_acm::types as acm;
use aws_sdk_apigatewayv2::types as gw;
use aws_sdk_route53::types as r53;

use super::observe::Foreign;
use super::{Aws, AwsError, ErrorKind, RetryBudget, retry};
use crate::config::model::Config;
use crate::names::default_zone;
use crate::state::{Certificate, Domain, LogGroup, TAG_DOMAIN, Tags, owned_by};

/// Domain-name calls are limited to one per 30 s per account: their retry
/// budget covers several windows.
pub const DOMAIN_BUDGET: RetryBudget = RetryBudget {
    transient: Duration::from_secs(180),
    role_propagation: Duration::from_secs(0),
};

/// A domain's target: where its alias records point.
#[derive(Debug, Clone)]
pub struct Target {
    pub dns_name: String,
    pub zone_id: String,
}

fn norm(name: &str) -> String {
    name.trim_end_matches('.')
        .replace("\\052", "*")
        .to_ascii_lowercase()
}

pub fn domain_arn(aws: &Aws, name: &str) -> String {
    format!(
        "arn:{}:apigateway:{}::/domainnames/{name}",
        aws.partition, aws.region
    )
}

// -- log group ---------------------------------------------------------------

pub fn log_group_arn(aws: &Aws, name: &str) -> String {
    format!(
        "arn:{}:logs:{}:{}:log-group:{name}",
        aws.partition, aws.region, aws.account_id
    )
}

/// The log group of exactly this name, if it exists (one read; the
/// exact name sorts first among those it prefixes).
pub async fn find_log_group(
    aws: &Aws,
    name: &str,
) -> Result<Option<aws_sdk_cloudwatchlogs::types::LogGroup>, AwsError> {
    let out = aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("DescribeLogGroups", name, e))?;
    Ok(out
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
        .cloned())
}

/// The stage's access-log group, when it exists and is this stage's.
pub async fn observe_log_group(
    aws: &Aws,
    config: &Config,
) -> Result<(Option<LogGroup>, Vec<Foreign>), AwsError> {
    let name = format!("/aws/apigateway/{}-{}", config.app, config.stage);
    let Some(group) = find_log_group(aws, &name).await? else {
        return Ok((None, vec![]));
    };
    // The ARN as listed (`arn` ends in `:*`), so that no account id is
    // needed yet.
    let Some(arn) = group
        .log_group_arn()
        .map(str::to_owned)
        .or_else(|| group.arn().map(|a| a.trim_end_matches(":*").to_owned()))
    else {
        return Err(AwsError::local(
            "DescribeLogGroups",
            &format!("the log group `{name}` came without its ARN"),
            "run again; if it persists, report it",
        ));
    };
    let tags: Tags = aws
        .logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("ListTagsForResource", &name, e))?
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    if !owned_by(&tags, &config.app, &config.stage) {
        // Someone else's group with our name: only a problem if we want it.
        let wanted = config.api.access_log.is_some();
        let foreign = wanted.then(|| Foreign {
            kind: "log group",
            name: name.clone(),
            why: "it has no wsdeploy tags for this app and stage".to_owned(),
        });
        return Ok((None, foreign.into_iter().collect()));
    }
    Ok((
        Some(LogGroup {
            name,
            retention_days: group.retention_in_days().map(i64::from),
            tags,
        }),
        vec![],
    ))
}

pub async fn create_log_group(
    aws: &Aws,
    budget: RetryBudget,
    want: &LogGroup,
) -> Result<(), AwsError> {
    let r = retry(budget, || async {
        aws.logs
            .create_log_group()
            .log_group_name(&want.name)
            .set_tags(Some(want.tags.clone().into_iter().collect()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("CreateLogGroup", &want.name, e))
    })
    .await;
    match r {
        Ok(_) => {}
        // A run that stopped after creating it.
        Err(e) if e.code == "ResourceAlreadyExistsException" => {}
        Err(e) => return Err(e),
    }
    set_retention(aws, budget, want).await
}

async fn set_retention(aws: &Aws, budget: RetryBudget, want: &LogGroup) -> Result<(), AwsError> {
    retry(budget, || async {
        match want.retention_days {
            Some(days) => aws
                .logs
                .put_retention_policy()
                .log_group_name(&want.name)
                .retention_in_days(i32::try_from(days).unwrap_or(i32::MAX))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("PutRetentionPolicy", &want.name, e)),
            None => aws
                .logs
                .delete_retention_policy()
                .log_group_name(&want.name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("DeleteRetentionPolicy", &want.name, e)),
        }
    })
    .await
}

pub async fn update_log_group(
    aws: &Aws,
    budget: RetryBudget,
    want: &LogGroup,
    have: Option<&LogGroup>,
) -> Result<(), AwsError> {
    if have.is_none_or(|h| h.retention_days != want.retention_days) {
        set_retention(aws, budget, want).await?;
    }
    let old = have.map(|h| h.tags.clone()).unwrap_or_default();
    let add: Tags = want
        .tags
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove: Vec<String> = old
        .keys()
        .filter(|k| !want.tags.contains_key(*k))
        .cloned()
        .collect();
    let arn = log_group_arn(aws, &want.name);
    if !remove.is_empty() {
        retry(budget, || async {
            aws.logs
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(remove.clone()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("UntagResource", &want.name, e))
        })
        .await?;
    }
    if !add.is_empty() {
        retry(budget, || async {
            aws.logs
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(add.clone().into_iter().collect()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("TagResource", &want.name, e))
        })
        .await?;
    }
    Ok(())
}

pub async fn delete_log_group(aws: &Aws, budget: RetryBudget, name: &str) -> Result<(), AwsError> {
    let r = retry(budget, || async {
        aws.logs
            .delete_log_group()
            .log_group_name(name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DeleteLogGroup", name, e))
    })
    .await;
    super::apply::gone_is_done(r)
}

// -- observe -------------------------------------------------------------------

/// Every domain this stage's API is mapped on, the configured one, and the
/// certificates wsdeploy requested for them.
pub async fn observe_domains(
    aws: &Aws,
    config: &Config,
    api_id: impl Future<Output = Option<String>>,
) -> Result<
    (
        BTreeMap<String, Domain>,
        BTreeMap<String, String>,
        Vec<Foreign>,
    ),
    AwsError,
> {
    let wanted = config.domain.as_ref().map(|d| d.name.clone());
    let mut foreign = Vec::new();
    let mut domains = BTreeMap::new();
    let mut mapping_ids = BTreeMap::new();

    // Domain names: wsdeploy's (by tag), and the configured one.
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
        let mut tags: Tags = d
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let is_wanted = wanted.as_deref() == Some(name.as_str());
        if tags.is_empty() && (is_wanted || api_id.is_some()) {
            tags = aws
                .apigw
                .get_tags()
                .resource_arn(domain_arn(aws, &name))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("GetTags", &name, e))?
                .tags()
                .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
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
        let (mine, others) = mappings(aws, &name, api_id, &config.stage).await?;
        if !is_wanted && mine.is_none() {
            continue;
        }
        let conf = d.domain_name_configurations().first();
        if let Some((id, _)) = &mine {
            mapping_ids.insert(name.clone(), id.clone());
        }
        domains.insert(
            name.clone(),
            Domain {
                name: name.clone(),
                certificate: Certificate {
                    arn: None,
                    managed: false,
                    status: None,
                    reason: None,
                },
                exists: true,
                domain_certificate_arn: conf.and_then(|c| c.certificate_arn()).map(str::to_owned),
                mapping: mine.map(|(_, key)| key),
                other_mappings: others,
                zone: None,
                records: false,
                tags,
            },
        );
    }
    // The configured domain may not exist yet while its certificate does.
    if let Some(name) = &wanted
        && !domains.contains_key(name)
        && !foreign.iter().any(|f| &f.name == name)
    {
        domains.insert(
            name.clone(),
            Domain {
                name: name.clone(),
                certificate: Certificate {
                    arn: None,
                    managed: false,
                    status: None,
                    reason: None,
                },
                exists: false,
                domain_certificate_arn: None,
                mapping: None,
                other_mappings: 0,
                zone: None,
                records: false,
                tags: Tags::new(),
            },
        );
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
        let Some(zone) = zone else { continue };
        let Some(zone_id) = find_zone(aws, &zone).await? else {
            if wanted.as_deref() == Some(name.as_str()) {
                return Err(no_zone(&zone));
            }
            continue;
        };
        d.zone = Some(zone.clone());
        // Before the domain exists nothing can point at it: any record at
        // its name is someone else's.
        let target = if d.exists {
            target(aws, name).await?
        } else {
            None
        };
        match records_state(aws, &zone_id, name, target.as_ref()).await? {
            Records::Ours => d.records = true,
            Records::Absent => {}
            Records::Foreign(what) => {
                if wanted.as_deref() == Some(name.as_str()) {
                    foreign.push(Foreign {
                        kind: "DNS record",
                        name: format!("{name} in {zone}"),
                        why: what,
                    });
                }
            }
        }
    }
    // Nothing was made yet for a wanted domain: leave it out.
    domains.retain(|_, d| d.exists || d.certificate.arn.is_some() || d.mapping.is_some());
    Ok((domains, mapping_ids, foreign))
}

/// This stage's mapping (id, key) and the number of other mappings.
async fn mappings(
    aws: &Aws,
    domain: &str,
    api_id: Option<&str>,
    stage: &str,
) -> Result<(Option<(String, String)>, usize), AwsError> {
    let mut mine = None;
    let mut others = 0;
    let mut token = None;
    loop {
        let out = aws
            .apigw
            .get_api_mappings()
            .domain_name(domain)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetApiMappings", domain, e))?;
        for m in out.items() {
            if api_id.is_some() && m.api_id() == api_id && m.stage() == Some(stage) {
                mine = Some((
                    m.api_mapping_id().unwrap_or_default().to_owned(),
                    m.api_mapping_key().unwrap_or_default().to_owned(),
                ));
            } else {
                others += 1;
            }
        }
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok((mine, others));
        }
    }
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
    let mut token = None;
    let mut candidates = Vec::new();
    loop {
        let out = aws
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
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListCertificates", "certificates", e))?;
        for c in out.certificate_summary_list() {
            let name = c.domain_name().unwrap_or_default().to_ascii_lowercase();
            if names.contains(&name)
                && let Some(arn) = c.certificate_arn()
            {
                candidates.push((name, arn.to_owned()));
            }
        }
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
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

async fn describe(aws: &Aws, arn: &str) -> Result<acm::CertificateDetail, AwsError> {
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

pub async fn target(aws: &Aws, name: &str) -> Result<Option<Target>, AwsError> {
    let out = match aws.apigw.get_domain_name().domain_name(name).send().await {
        Ok(o) => o,
        Err(e) => {
            let e = AwsError::from_sdk("GetDomainName", name, e);
            return if e.is_not_found() { Ok(None) } else { Err(e) };
        }
    };
    Ok(out.domain_name_configurations().first().and_then(|c| {
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
async fn record_sets(
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

// -- apply ---------------------------------------------------------------------

/// Idempotency token for a certificate request: the same name, API and
/// failed certificate being replaced give the same token, so a run that
/// crashed after RequestCertificate gets the same certificate back. The
/// API's id is part of it because ACM remembers a token for an hour, even
/// when its certificate was deleted meanwhile (remove, then deploy again):
/// a new API gets a new certificate.
fn idempotency_token(name: &str, api_id: &str, replacing: Option<&str>) -> String {
    let digest = crate::package::sha256_base64(
        format!("{name}|{api_id}|{}", replacing.unwrap_or("")).as_bytes(),
    );
    let clean: String = digest
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(29)
        .collect();
    format!("wsd{clean}")
}

pub async fn request_certificate(
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
pub async fn validate_certificate(
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
    // ResourceRecord appears a few seconds after RequestCertificate.
    // The validation record stays in the zone even once the certificate is
    // issued: ACM needs it to renew.
    let records = loop {
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
            break recs;
        }
        if detail.status() == Some(&acm::CertificateStatus::Issued) && recs.is_empty() && !missing {
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(120) {
            return Err(AwsError::local(
                "validating the certificate",
                &format!("ACM has not given the DNS validation record for `{name}` after 120 s"),
                "run deploy again",
            ));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    // `example.com` and `*.example.com` share one record: the map de-duplicates.
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
    loop {
        let detail = describe(aws, arn).await?;
        match detail.status().map(|s| s.as_str()) {
            Some("ISSUED") => return Ok(()),
            Some("PENDING_VALIDATION") => {}
            Some(other) => {
                let reason = detail
                    .failure_reason()
                    .map(|r| r.as_str().to_owned())
                    .unwrap_or_default();
                return Err(AwsError {
                    operation: "validating the certificate".to_owned(),
                    resource: name.clone(),
                    code: other.to_owned(),
                    message: format!("ACM says the certificate is {other} {reason}").trim().to_owned(),
                    hint: Some("check that the hosted zone is the public zone of the domain and its NS records are delegated; the next deploy requests a new certificate".to_owned()),
                    kind: ErrorKind::Other,
                });
            }
            None => {}
        }
        if start.elapsed() > timeout {
            return Err(AwsError {
                operation: "validating the certificate".to_owned(),
                resource: name.clone(),
                code: "PENDING_VALIDATION".to_owned(),
                message: format!("the certificate of {name} is still pending validation after {} s; its DNS validation record is in place", timeout.as_secs()),
                hint: Some("ACM usually issues within minutes of the record appearing; run deploy again to resume, or raise `--certificate-timeout`".to_owned()),
                kind: ErrorKind::Other,
            });
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

fn no_zone(zone: &str) -> AwsError {
    AwsError::local(
        "finding the hosted zone",
        &format!("Route 53 has no public hosted zone `{zone}`"),
        "create it, set `domain.hostedZone` to the right zone, or set `domain.external: true` with a `certificateArn`",
    )
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

pub async fn delete_certificate(
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
    super::apply::gone_is_done(r)?;
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

/// How many certificates for `name` remain in ACM.
async fn managed_or_any_certificates_for(aws: &Aws, name: &str) -> Result<usize, AwsError> {
    let mut count = 0;
    let mut token = None;
    loop {
        let out = aws
            .acm
            .list_certificates()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListCertificates", "certificates", e))?;
        count += out
            .certificate_summary_list()
            .iter()
            .filter(|c| {
                c.domain_name().is_some_and(|d| {
                    d.trim_start_matches("*.")
                        .eq_ignore_ascii_case(name.trim_start_matches("*."))
                })
            })
            .count();
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(count);
        }
    }
}

fn domain_config(arn: &str) -> gw::DomainNameConfiguration {
    gw::DomainNameConfiguration::builder()
        .certificate_arn(arn)
        .endpoint_type(gw::EndpointType::Regional)
        .security_policy(gw::SecurityPolicy::Tls12)
        .build()
}

pub async fn create_domain_name(
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

pub async fn update_domain_name(
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

pub async fn delete_domain_name(
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
    super::apply::gone_is_done(r)
}

pub async fn create_mapping(
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

pub async fn update_mapping(
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

pub async fn delete_mapping(
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
    super::apply::gone_is_done(r)
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

pub async fn upsert_records(aws: &Aws, budget: RetryBudget, want: &Domain) -> Result<(), AwsError> {
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

pub async fn delete_records(
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

    #[test]
    fn names_compare_like_route53() {
        assert_eq!(norm("\\052.Example.com."), "*.example.com");
    }
}
