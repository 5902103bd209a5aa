//! Certificates wsdeploy requests for a custom domain: requested with an
//! idempotency token (a crashed run gets the same certificate back), its
//! DNS validation record written and kept for renewals, issuance waited
//! for, and on removal the certificate and its record deleted.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use aws_sdk_acm::types as acm;
use aws_sdk_route53::types as r53;

use super::dns::{change_records, wait_insync};
use crate::aws::observe::domain::{
    describe, find_zone, managed_or_any_certificates_for, no_zone, record_sets,
};
use crate::aws::util::{RetryBudget, gone_is_done, retry};
use crate::aws::{Aws, AwsError};
use crate::state::Domain;

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
