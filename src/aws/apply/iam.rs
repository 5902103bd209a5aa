//! Applying IAM actions: each function's execution role, its tags, trust
//! policy, managed policies and permissions boundary, and wsdeploy's
//! inline policy on it.

use super::Applier;
use crate::aws::util::{found, gone_is_done, iam_tags, retag, retry};
use crate::aws::{AwsError, ErrorKind};
use crate::plan::{Action, Field, Op, Resource};
use crate::state::{Role, State};

impl Applier<'_> {
    pub(super) async fn run_iam(&self, a: &Action, want: &State) -> Result<(), AwsError> {
        match (&a.resource, a.op) {
            (Resource::Role(n), Op::Create) => self.create_role(want, n).await,
            (Resource::Role(n), Op::Delete) => self.delete_role(n).await,
            (Resource::Role(n), _) => self.update_role(a, want, n).await,
            (Resource::RolePolicy(r, p), Op::Delete) => self.delete_role_policy(r, p).await,
            (Resource::RolePolicy(r, p), _) => self.put_role_policy(want, r, p).await,
            _ => Ok(()),
        }
    }

    async fn create_role(&self, want: &State, name: &str) -> Result<(), AwsError> {
        let Some(role) = want.roles.get(name) else {
            return Ok(());
        };
        let tags = iam_tags(&role.tags);
        retry(self.budget, || async {
            self.aws
                .iam
                .create_role()
                .role_name(name)
                .path(&role.path)
                .assume_role_policy_document(role.trust_policy.to_string())
                .description(format!(
                    "Execution role of Lambda function {name}, managed by wsdeploy"
                ))
                .set_tags(Some(tags.clone()))
                .set_permissions_boundary(role.permissions_boundary.clone())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("CreateRole", name, e))
        })
        .await?;
        for arn in &role.managed_policies {
            self.attach(name, arn).await?;
        }
        Ok(())
    }

    async fn attach(&self, role: &str, arn: &str) -> Result<(), AwsError> {
        retry(self.budget, || async {
            self.aws
                .iam
                .attach_role_policy()
                .role_name(role)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("AttachRolePolicy", role, e))
        })
        .await
    }

    async fn detach(&self, role: &str, arn: &str) -> Result<(), AwsError> {
        let r = retry(self.budget, || async {
            self.aws
                .iam
                .detach_role_policy()
                .role_name(role)
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DetachRolePolicy", role, e))
        })
        .await;
        gone_is_done(r)
    }

    /// The managed policies the plan attaches or detaches, and the
    /// permissions boundary.
    async fn update_role_policies(
        &self,
        a: &Action,
        role: &Role,
        name: &str,
    ) -> Result<(), AwsError> {
        for c in &a.changes {
            match (&c.field, &c.new) {
                (Field::ManagedPolicy(arn), Some(_)) => self.attach(name, arn).await?,
                (Field::ManagedPolicy(arn), None) => self.detach(name, arn).await?,
                _ => {}
            }
        }
        if a.change(&Field::PermissionsBoundary).is_none() {
            return Ok(());
        }
        let iam = &self.aws.iam;
        retry(self.budget, || async {
            match &role.permissions_boundary {
                Some(arn) => iam
                    .put_role_permissions_boundary()
                    .role_name(name)
                    .permissions_boundary(arn)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk("PutRolePermissionsBoundary", name, e)),
                None => iam
                    .delete_role_permissions_boundary()
                    .role_name(name)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk("DeleteRolePermissionsBoundary", name, e)),
            }
        })
        .await
    }

    async fn update_role(&self, a: &Action, want: &State, name: &str) -> Result<(), AwsError> {
        let Some(role) = want.roles.get(name) else {
            return Ok(());
        };
        if a.change(&Field::TrustPolicy).is_some() {
            retry(self.budget, || async {
                self.aws
                    .iam
                    .update_assume_role_policy()
                    .role_name(name)
                    .policy_document(role.trust_policy.to_string())
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("UpdateAssumeRolePolicy", name, e))
            })
            .await?;
        }
        self.update_role_policies(a, role, name).await?;
        let iam = &self.aws.iam;
        retag(
            self.budget,
            &a.tags_to_set(),
            &a.tag_keys_to_remove(),
            |keys| async move {
                iam.untag_role()
                    .role_name(name)
                    .set_tag_keys(Some(keys))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk("UntagRole", name, e))
            },
            |tags| async move {
                iam.tag_role()
                    .role_name(name)
                    .set_tags(Some(iam_tags(&tags)))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk("TagRole", name, e))
            },
        )
        .await
    }

    async fn put_role_policy(
        &self,
        want: &State,
        role: &str,
        policy: &str,
    ) -> Result<(), AwsError> {
        let Some(doc) = want.roles.get(role).and_then(|r| r.policies.get(policy)) else {
            return Ok(());
        };
        retry(self.budget, || async {
            self.aws
                .iam
                .put_role_policy()
                .role_name(role)
                .policy_name(policy)
                .policy_document(doc.to_string())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("PutRolePolicy", role, e))
        })
        .await
        .map(|_| ())
    }

    async fn delete_role_policy(&self, role: &str, policy: &str) -> Result<(), AwsError> {
        let r = retry(self.budget, || async {
            self.aws
                .iam
                .delete_role_policy()
                .role_name(role)
                .policy_name(policy)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DeleteRolePolicy", role, e))
        })
        .await;
        gone_is_done(r)
    }

    /// Detaches the managed policies observed on the role (read under the
    /// lock), then deletes it. Only when AWS refuses (someone attached a
    /// policy since) are the attached policies listed, detached and the
    /// delete tried again: the list is not on the path of every removal.
    async fn delete_role(&self, name: &str) -> Result<(), AwsError> {
        let observed: Vec<&String> = self
            .observed
            .roles
            .get(name)
            .map(|r| r.managed_policies.iter().collect())
            .unwrap_or_default();
        futures_util::future::try_join_all(observed.iter().map(|arn| self.detach(name, arn)))
            .await?;
        match self.delete_role_only(name).await {
            Err(e) if e.kind != ErrorKind::NotFound => {}
            done => return gone_is_done(done),
        }
        // Attached managed policies (the config's, or someone's by hand)
        // block DeleteRole.
        let listed = self
            .aws
            .iam
            .list_attached_role_policies()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::from_sdk("ListAttachedRolePolicies", name, e));
        let Some(listed) = found(listed)? else {
            return Ok(());
        };
        for arn in listed.iter().filter_map(|p| p.policy_arn()) {
            self.detach(name, arn).await?;
        }
        gone_is_done(self.delete_role_only(name).await)
    }

    async fn delete_role_only(&self, name: &str) -> Result<(), AwsError> {
        retry(self.budget, || async {
            self.aws
                .iam
                .delete_role()
                .role_name(name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("DeleteRole", name, e))
        })
        .await
    }
}
