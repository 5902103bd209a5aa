//! Observing log groups: finding one by its exact name (the access-log
//! group, the deploy lock), and the stage's access-log group when it is
//! this stage's.

use super::Foreign;
use crate::aws::util::map_of;
use crate::aws::{Aws, AwsError};
use crate::config::model::Config;
use crate::names::access_log_group;
use crate::state::{LogGroup, owned_by};

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
pub(super) async fn observe_log_group(
    aws: &Aws,
    config: &Config,
) -> Result<(Option<LogGroup>, Vec<Foreign>), AwsError> {
    let name = access_log_group(&config.app, &config.stage);
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
    let listed = aws
        .logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("ListTagsForResource", &name, e))?;
    let tags = map_of(listed.tags());
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
