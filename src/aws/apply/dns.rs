//! Route 53 writes: a change batch and the wait until it is in sync, and
//! the A and AAAA alias records that point a custom domain at API Gateway.
//! Only records that point at the domain are ever deleted.

use std::time::{Duration, Instant};

use aws_sdk_route53::types as r53;

use crate::aws::observe::domain::{Target, find_zone, no_zone, norm, record_sets, target};
use crate::aws::util::{RetryBudget, retry};
use crate::aws::{Aws, AwsError};
use crate::names::default_zone;
use crate::state::Domain;

pub(super) async fn change_records(
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

pub(super) async fn wait_insync(aws: &Aws, change_id: &str, name: &str) -> Result<(), AwsError> {
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
