//! Observing IAM: the names of the roles under the app and stage's path
//! (`list_own`), and roles by name with their tags and inline policies
//! (for a plan, read only once a role is known to be ours; for a removal,
//! only their names, asked alongside the role).

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::try_join_all;

use super::{Foreign, Found, not_ours};
use crate::aws::util::{decode_policy, found};
use crate::aws::{Aws, AwsError};
use crate::names::{ROLE_POLICY_NAME, role_path};
use crate::state::*;

/// The names of the roles under the app and stage's path (ListRoles).
pub(super) async fn list_own(aws: &Aws, app: &str, stage: &str) -> Result<Vec<String>, AwsError> {
    let path = role_path(app, stage);
    let roles = aws
        .iam
        .list_roles()
        .path_prefix(&path)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| AwsError::from_sdk("ListRoles", &path, e))?;
    Ok(roles
        .into_iter()
        .filter(|r| r.path() == path)
        .map(|r| r.role_name().to_owned())
        .collect())
}

/// What is read of a role besides its trust policy, path and tags.
#[derive(Debug, Clone, Copy)]
pub(super) enum RoleReads<'a> {
    /// Its inline policies with their documents and its attached
    /// policies, once the role is known to be ours.
    Everything,
    /// The names of its inline policies (documents are left `null`), and
    /// its attached policies for the roles in `attached`, asked at the
    /// same time as the role and kept only when it is ours.
    Names { attached: &'a BTreeSet<String> },
}

/// The roles of these names that are ours, and those that are in the way
/// (a name wsdeploy uses on another path, or not tagged for the app and
/// stage).
pub(super) async fn read_roles(
    aws: &Aws,
    (app, stage): (&str, &str),
    names: &[String],
    reads: RoleReads<'_>,
) -> Result<Found<Role>, AwsError> {
    let path = role_path(app, stage);
    let read = try_join_all(names.iter().map(|n| async move {
        match reads {
            RoleReads::Everything => read_role(aws, n).await,
            RoleReads::Names { attached } => read_role_names(aws, n, attached.contains(n)).await,
        }
    }))
    .await?;
    let mut owned = BTreeMap::new();
    let mut foreign = Vec::new();
    for role in read.into_iter().flatten() {
        if role.path != path {
            foreign.push(Foreign {
                kind: "IAM role",
                name: role.name.clone(),
                why: format!("its path is `{}`, not `{path}`", role.path),
            });
        } else if owned_by(&role.tags, app, stage) {
            owned.insert(role.name.clone(), role);
        } else {
            foreign.push(Foreign {
                kind: "IAM role",
                name: role.name.clone(),
                why: not_ours(&role.tags),
            });
        }
    }
    Ok((owned, foreign))
}

/// A role with its inline policies (read only for a role of ours: its
/// policy list and the policy wsdeploy writes at once, then any other).
async fn read_role(aws: &Aws, name: &str) -> Result<Option<Role>, AwsError> {
    let Some(mut role) = get_role(aws, name).await? else {
        return Ok(None);
    };
    if role.tags.contains_key(TAG_APP) {
        let (inline, attached) =
            tokio::join!(inline_policies(aws, name), attached_policies(aws, name));
        role.policies = inline?;
        role.managed_policies = attached?;
    }
    Ok(Some(role))
}

/// A role with the names of its inline policies, and its attached
/// policies when `attached`, all asked at once; what came with a role
/// that is not ours (or does not exist) is dropped, errors included.
async fn read_role_names(aws: &Aws, name: &str, attached: bool) -> Result<Option<Role>, AwsError> {
    let names = policy_names(aws, name);
    let managed = async {
        match attached {
            true => Some(attached_policies(aws, name).await),
            false => None,
        }
    };
    let (role, names, managed) = tokio::join!(get_role(aws, name), names, managed);
    let Some(mut role) = role? else {
        return Ok(None);
    };
    if role.tags.contains_key(TAG_APP) {
        role.policies = found(names)?
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p, serde_json::Value::Null))
            .collect();
        if let Some(managed) = managed {
            role.managed_policies = found(managed)?.unwrap_or_default();
        }
    }
    Ok(Some(role))
}

/// A role with its tags and trust policy, no policies.
async fn get_role(aws: &Aws, name: &str) -> Result<Option<Role>, AwsError> {
    let got = aws.read(aws.iam.get_role().role_name(name).send()).await;
    let Some(out) = found(got.map_err(|e| AwsError::from_sdk("GetRole", name, e)))? else {
        return Ok(None);
    };
    let Some(role) = out.role() else {
        return Ok(None);
    };
    let mut tags: Tags = role
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    if tags.is_empty() {
        // GetRole may omit tags; ListRoleTags is authoritative.
        let listed = aws
            .read(
                aws.iam
                    .list_role_tags()
                    .role_name(name)
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect(),
            )
            .await
            .map_err(|e| AwsError::from_sdk("ListRoleTags", name, e))?;
        tags.extend(
            listed
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned())),
        );
    }
    Ok(Some(Role {
        name: name.to_owned(),
        path: role.path().to_owned(),
        trust_policy: role
            .assume_role_policy_document()
            .map(decode_policy)
            .unwrap_or_default(),
        policies: Default::default(),
        managed_policies: Default::default(),
        permissions_boundary: role
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_owned),
        tags,
    }))
}

/// The ARNs of the managed policies attached to a role.
async fn attached_policies(aws: &Aws, name: &str) -> Result<BTreeSet<String>, AwsError> {
    let attached = aws
        .read(
            aws.iam
                .list_attached_role_policies()
                .role_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
        .map_err(|e| AwsError::from_sdk("ListAttachedRolePolicies", name, e))?;
    Ok(attached
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_owned))
        .collect())
}

/// A role's inline policies: the list and wsdeploy's own policy at once,
/// then any other the list names.
async fn inline_policies(
    aws: &Aws,
    name: &str,
) -> Result<BTreeMap<String, serde_json::Value>, AwsError> {
    let list = policy_names(aws, name);
    let ours = aws.read(role_policy(aws, name, ROLE_POLICY_NAME));
    let (list, ours) = tokio::join!(list, ours);
    let mut policies = BTreeMap::new();
    if let Some(doc) = ours? {
        policies.insert(ROLE_POLICY_NAME.to_owned(), doc);
    }
    let others: Vec<String> = list?
        .into_iter()
        .filter(|p| p != ROLE_POLICY_NAME)
        .collect();
    let docs = try_join_all(
        others
            .iter()
            .map(|p| aws.read(role_policy(aws, name, p.as_str()))),
    )
    .await?;
    policies.extend(
        others
            .into_iter()
            .zip(docs)
            .filter_map(|(p, doc)| Some((p, doc?))),
    );
    Ok(policies)
}

/// The names of a role's inline policies (ListRolePolicies, every page).
async fn policy_names(aws: &Aws, name: &str) -> Result<Vec<String>, AwsError> {
    aws.read(async {
        aws.iam
            .list_role_policies()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::from_sdk("ListRolePolicies", name, e))
    })
    .await
}

/// One inline policy of a role, `None` when the role has no such policy.
async fn role_policy(
    aws: &Aws,
    role: &str,
    policy: &str,
) -> Result<Option<serde_json::Value>, AwsError> {
    let out = found(
        aws.iam
            .get_role_policy()
            .role_name(role)
            .policy_name(policy)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetRolePolicy", &format!("{role}/{policy}"), e)),
    )?;
    Ok(out.map(|o| decode_policy(o.policy_document())))
}
