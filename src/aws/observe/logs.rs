//! Observing log groups: finding one by its exact name (the access-log
//! group, the deploy lock), the stage's access-log group when it is this
//! stage's, and the functions' log groups with the ownership rule that
//! lets wsdeploy adopt an untagged one.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::try_join_all;

use super::{Foreign, not_ours};
use crate::aws::util::found;
use crate::aws::util::map_of;
use crate::aws::{Aws, AwsError};
use crate::config::model::Config;
use crate::names::{access_log_group, function_log_group};
use crate::state::{LogGroup, TAG_APP, Tags, owned_by};

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
/// With `guess_tags` (the account is known) its tags are asked by its ARN
/// while it is looked for.
pub(super) async fn observe_log_group(
    aws: &Aws,
    config: &Config,
    guess_tags: bool,
) -> Result<(Option<LogGroup>, Vec<Foreign>), AwsError> {
    let name = access_log_group(&config.app, &config.stage);
    let guessed = async {
        match guess_tags {
            true => tags_by_name(aws, &name).await,
            false => Ok(None),
        }
    };
    let (group, guessed) = tokio::join!(find_log_group(aws, &name), guessed);
    let Some(group) = group? else {
        return Ok((None, vec![]));
    };
    if let Some(tags) = guessed.ok().flatten() {
        return Ok(classify_access_group(config, name, &group, tags));
    }
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
    let tags = list_tags(aws, arn, &name).await?;
    Ok(classify_access_group(config, name, &group, tags))
}

/// The access-log group as found, with its tags: ours, or in the way when
/// the config wants one.
fn classify_access_group(
    config: &Config,
    name: String,
    group: &aws_sdk_cloudwatchlogs::types::LogGroup,
    tags: Tags,
) -> (Option<LogGroup>, Vec<Foreign>) {
    if !owned_by(&tags, &config.app, &config.stage) {
        // Someone else's group with our name: only a problem if we want it.
        let wanted = config.api.access_log.is_some();
        let foreign = wanted.then(|| Foreign {
            kind: "log group",
            name: name.clone(),
            why: "it has no wsdeploy tags for this app and stage".to_owned(),
        });
        return (None, foreign.into_iter().collect());
    }
    (
        Some(LogGroup {
            name,
            retention_days: group.retention_in_days().map(i64::from),
            tags,
        }),
        vec![],
    )
}

/// A log group's tags, by its ARN.
async fn list_tags(aws: &Aws, arn: String, name: &str) -> Result<Tags, AwsError> {
    let listed = aws
        .logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("ListTagsForResource", name, e))?;
    Ok(map_of(listed.tags()))
}

/// The tags of the log group of this name, asked by the ARN it would have
/// before it is known to exist: `None` when it does not (or the account
/// is not known yet).
async fn tags_by_name(aws: &Aws, name: &str) -> Result<Option<Tags>, AwsError> {
    let place = aws.place();
    if place.account_id.is_empty() {
        return Ok(None);
    }
    let arn = format!(
        "arn:{}:logs:{}:{}:log-group:{name}",
        place.partition, place.region, place.account_id
    );
    found(aws.read(list_tags(aws, arn, name)).await)
}

/// Every log group under `/aws/lambda/<app>-<stage>-`, with its
/// retention and tags: one paged listing, then the tags of each at once,
/// except those of the groups named in `expected`, asked by their ARNs
/// alongside the listing.
pub(super) async fn list_function_log_groups(
    aws: &Aws,
    (app, stage): (&str, &str),
    expected: &[String],
) -> Result<Vec<LogGroup>, AwsError> {
    let prefix = function_log_group(&format!("{app}-{stage}-"));
    // A guess that fails is no answer: the group's tags are then read
    // after the listing, where an error counts.
    let guessed = futures_util::future::join_all(
        expected
            .iter()
            .map(|n| async move { (n.clone(), tags_by_name(aws, n).await.ok().flatten()) }),
    );
    let listing = aws.read(list_groups(aws, &prefix, None));
    let (groups, guessed) = tokio::join!(listing, guessed);
    let mut guessed: BTreeMap<String, Option<Tags>> = guessed.into_iter().collect();
    let groups = groups?;
    try_join_all(groups.iter().filter_map(|g| {
        let name = g.log_group_name()?.to_owned();
        let retention_days = g.retention_in_days().map(i64::from);
        let known = guessed.remove(&name).flatten();
        // The ARN as listed: the account id is not known yet.
        let arn = g
            .log_group_arn()
            .map(str::to_owned)
            .or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_owned()))?;
        Some(async move {
            let tags = match known {
                Some(tags) => tags,
                None => aws.read(list_tags(aws, arn, &name)).await?,
            };
            Ok::<_, AwsError>(LogGroup {
                name,
                retention_days,
                tags,
            })
        })
    }))
    .await
}

/// The log groups whose names start with `prefix`, all pages, or only
/// the first `limit` of them.
async fn list_groups(
    aws: &Aws,
    prefix: &str,
    limit: Option<i32>,
) -> Result<Vec<aws_sdk_cloudwatchlogs::types::LogGroup>, AwsError> {
    let mut groups = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = aws
            .logs
            .describe_log_groups()
            .log_group_name_prefix(prefix)
            .set_limit(limit)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeLogGroups", prefix, e))?;
        groups.extend(out.log_groups().iter().cloned());
        token = out.next_token().map(str::to_owned);
        if token.is_none() || limit.is_some() {
            return Ok(groups);
        }
    }
}

/// Whether any log group of the app and stage's functions exists (one
/// call, whoever made it).
pub(super) async fn any_function_log_group(
    aws: &Aws,
    (app, stage): (&str, &str),
) -> Result<bool, AwsError> {
    let prefix = function_log_group(&format!("{app}-{stage}-"));
    Ok(!list_groups(aws, &prefix, Some(1)).await?.is_empty())
}

/// What the function log groups found are to this app and stage.
pub(super) struct FunctionGroups<'a> {
    pub app: &'a str,
    pub stage: &'a str,
    /// The function names the config wants (their groups are wanted).
    pub wanted: &'a BTreeSet<String>,
    /// The functions found that are ours.
    pub ours: &'a BTreeSet<String>,
    /// The functions found with our names that are not ours.
    pub foreign_functions: &'a BTreeSet<String>,
}

impl FunctionGroups<'_> {
    /// The contract's ownership rule for function log groups: a group with
    /// our tags is ours; one without wsdeploy tags is adopted when its
    /// function is ours or does not exist (Lambda made it, or it outlived
    /// an earlier function) and the config wants it, and is foreign when
    /// its function is someone else's. A group of another wsdeploy app or
    /// stage is foreign when wanted. Groups nobody wants are left alone.
    pub fn classify(&self, listed: Vec<LogGroup>) -> (BTreeMap<String, LogGroup>, Vec<Foreign>) {
        let mut owned = BTreeMap::new();
        let mut foreign = Vec::new();
        for g in listed {
            let Some(function) = g.name.strip_prefix(&function_log_group("")) else {
                continue;
            };
            let wanted = self.wanted.contains(function);
            let why = if owned_by(&g.tags, self.app, self.stage) {
                None
            } else if g.tags.contains_key(TAG_APP) {
                Some(not_ours(&g.tags))
            } else if self.foreign_functions.contains(function) {
                Some(format!(
                    "it has no wsdeploy tags and its function `{function}` is not wsdeploy's"
                ))
            } else if self.ours.contains(function) || wanted {
                None
            } else {
                continue;
            };
            match why {
                None => {
                    owned.insert(g.name.clone(), g);
                }
                Some(why) if wanted => foreign.push(Foreign {
                    kind: "log group",
                    name: g.name,
                    why,
                }),
                Some(_) => {}
            }
        }
        (owned, foreign)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{TAG_STAGE, Tags};

    fn listed(function: &str, tags: &[(&str, &str)]) -> LogGroup {
        LogGroup {
            name: function_log_group(function),
            retention_days: None,
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<Tags>(),
        }
    }

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn the_ownership_rule_for_function_log_groups() {
        let wanted = set(&["a-dev-new", "a-dev-lambda", "a-dev-taken", "a-dev-other"]);
        let ours = set(&["a-dev-lambda", "a-dev-gone"]);
        let foreign_functions = set(&["a-dev-taken", "a-dev-unwanted"]);
        let rule = FunctionGroups {
            app: "a",
            stage: "dev",
            wanted: &wanted,
            ours: &ours,
            foreign_functions: &foreign_functions,
        };
        let own = [(TAG_APP, "a"), (TAG_STAGE, "dev")];
        let (owned, foreign) = rule.classify(vec![
            // Tagged ours, whether wanted or not.
            listed("a-dev-new", &own),
            listed("a-dev-old", &own),
            // Untagged: adopted when its function is ours or it is wanted
            // and its function does not exist.
            listed("a-dev-lambda", &[]),
            listed("a-dev-gone", &[("team", "x")]),
            listed("a-dev-leftover", &[]),
            // Untagged with someone else's function: foreign when wanted.
            listed("a-dev-taken", &[]),
            listed("a-dev-unwanted", &[]),
            // Another wsdeploy app's: foreign when wanted.
            listed("a-dev-other", &[(TAG_APP, "b"), (TAG_STAGE, "dev")]),
        ]);
        let names: Vec<&str> = owned.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "/aws/lambda/a-dev-gone",
                "/aws/lambda/a-dev-lambda",
                "/aws/lambda/a-dev-new",
                "/aws/lambda/a-dev-old",
            ]
        );
        let foreign: Vec<(&str, &str)> = foreign
            .iter()
            .map(|f| (f.name.as_str(), f.why.as_str()))
            .collect();
        assert_eq!(foreign.len(), 2, "{foreign:?}");
        assert!(foreign[0].0.ends_with("a-dev-taken") && foreign[0].1.contains("not wsdeploy's"));
        assert!(foreign[1].0.ends_with("a-dev-other") && foreign[1].1.contains("app `b`"));
    }
}
