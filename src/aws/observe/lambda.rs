//! Observing Lambda: functions by name with their tags and configuration,
//! wsdeploy's statements in their resource policies, and the current
//! revision of functions about to get new code.

use std::collections::BTreeMap;

use futures_util::future::try_join_all;

use super::function::{from_configuration, policy_statements};
use super::live::read_live;
use super::{Depth, Foreign, Found, not_ours};
use crate::aws::util::{found, map_of};
use crate::aws::{Aws, AwsError};
use crate::names::{ExternalSid, LIVE_ALIAS, external_sid, role_path};
use crate::state::*;

/// The kind of a foreign function in `Foreign`.
pub(super) const FOREIGN_KIND: &str = "Lambda function";

/// A function's current revision and code hash, as Lambda reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub revision_id: String,
    pub code_sha256: String,
}

/// The current revision of each named function (`None` when it is gone).
pub async fn revisions(
    aws: &Aws,
    names: &[String],
) -> Result<BTreeMap<String, Option<Revision>>, AwsError> {
    let revisions = try_join_all(names.iter().map(|n| {
        aws.read(async move {
            let c = found(
                aws.lambda
                    .get_function_configuration()
                    .function_name(n)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("GetFunctionConfiguration", n, e)),
            )?;
            let revision = c.map(|c| Revision {
                revision_id: c.revision_id().unwrap_or_default().to_owned(),
                code_sha256: c.code_sha256().unwrap_or_default().to_owned(),
            });
            Ok::<_, AwsError>((n.clone(), revision))
        })
    }))
    .await?;
    Ok(revisions.into_iter().collect())
}

/// wsdeploy's statements in resource policies, by function reference
/// (`name`, `name:live`), then statement id.
pub type Policies = BTreeMap<String, BTreeMap<String, Permission>>;

/// Functions by name, each of ours with wsdeploy's statements of its
/// resource policy (asked once the function is known to be ours; not for
/// a removal, which deletes them with the function), and with its alias
/// `live` when it is in `live`.
pub(super) async fn read_functions(
    aws: &Aws,
    (app, stage): (&str, &str),
    names: &[String],
    (live, depth): (&std::collections::BTreeSet<String>, Depth),
) -> Result<Found<(Function, Policies)>, AwsError> {
    let own_path = role_path(app, stage);
    let read = try_join_all(
        names
            .iter()
            .map(|n| aws.read(read_function(aws, n, &own_path))),
    )
    .await?;
    let (owned, others): (Vec<Function>, Vec<Function>) = read
        .into_iter()
        .flatten()
        .partition(|f| owned_by(&f.tags, app, stage));
    let policies = try_join_all(owned.iter().map(|f| async {
        let mine = async {
            match depth {
                Depth::Full => aws.read(read_permissions(aws, &f.name)).await,
                Depth::Removal => Ok(BTreeMap::new()),
            }
        };
        let (mine, alias) = tokio::join!(mine, async {
            match live.contains(&f.name) {
                true => read_live(aws, f, &own_path).await,
                false => Ok(None),
            }
        });
        Ok::<_, AwsError>((mine?, alias?))
    }))
    .await?;
    let foreign = others
        .into_iter()
        .map(|f| Foreign {
            kind: FOREIGN_KIND,
            why: not_ours(&f.tags),
            name: f.name,
        })
        .collect();
    let owned = owned
        .into_iter()
        .zip(policies)
        .map(|(mut f, (mine, alias))| {
            let mut policies = Policies::new();
            policies.insert(f.name.clone(), mine);
            if let Some((l, on_alias)) = alias {
                f.live = Some(l);
                policies.insert(format!("{}:{LIVE_ALIAS}", f.name), on_alias);
            }
            (f.name.clone(), (f, policies))
        })
        .collect();
    Ok((owned, foreign))
}

/// A function by name; `own_path` is the path of wsdeploy's roles for the
/// app and stage (a role elsewhere is kept by ARN).
async fn read_function(
    aws: &Aws,
    name: &str,
    own_path: &str,
) -> Result<Option<Function>, AwsError> {
    let got = aws.lambda.get_function().function_name(name).send().await;
    let Some(out) = found(got.map_err(|e| AwsError::from_sdk("GetFunction", name, e)))? else {
        return Ok(None);
    };
    let Some(c) = out.configuration() else {
        return Ok(None);
    };
    let mut f = from_configuration(name, c, own_path);
    f.tags = map_of(out.tags());
    f.reserved_concurrency = out
        .concurrency()
        .and_then(|x| x.reserved_concurrent_executions())
        .and_then(|n| u32::try_from(n).ok());
    Ok(Some(f))
}

/// wsdeploy's statements (ids starting with `wsdeploy-`) in a function's
/// resource policy.
async fn read_permissions(
    aws: &Aws,
    function: &str,
) -> Result<BTreeMap<String, Permission>, AwsError> {
    policy_statements(aws, function, &|sid| sid.starts_with("wsdeploy-")).await
}

/// This app and stage's statements on each external function (by ARN);
/// an external function that is gone has none.
pub(super) async fn read_external_permissions(
    aws: &Aws,
    app: &str,
    stage: &str,
    arns: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, Permission>>, AwsError> {
    let ours = [
        external_sid(app, stage, ExternalSid::Invoke),
        external_sid(app, stage, ExternalSid::Authorizer),
    ];
    let keep = |sid: &str| ours.iter().any(|o| o == sid);
    let read = try_join_all(
        arns.iter()
            .map(|arn| aws.read(policy_statements(aws, arn, &keep))),
    )
    .await?;
    Ok(arns
        .iter()
        .cloned()
        .zip(read)
        .filter(|(_, p)| !p.is_empty())
        .collect())
}
