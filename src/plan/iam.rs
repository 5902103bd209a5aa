//! Planning the IAM roles wsdeploy owns (the functions' execution roles)
//! and their inline policies.

use crate::state::{Role, State};

use super::diff::{action, change, json_text, tag_changes};
use super::{Action, Field, Op, Resource};

/// The value of a managed policy that is attached, in a change.
pub const ATTACHED: &str = "attached";

pub(super) fn plan_roles(desired: &State, observed: &State, out: &mut Vec<Action>) {
    for (name, want) in &desired.roles {
        match observed.roles.get(name) {
            None => {
                out.push(action(Op::Create, Resource::Role(name.clone()), vec![]));
                for policy in want.policies.keys() {
                    out.push(action(
                        Op::Create,
                        Resource::RolePolicy(name.clone(), policy.clone()),
                        vec![],
                    ));
                }
            }
            Some(have) => {
                plan_role_update(name, have, want, out);
                plan_policies(name, have, want, out);
            }
        }
    }
    for (name, have) in &observed.roles {
        if !desired.roles.contains_key(name) {
            for policy in have.policies.keys() {
                out.push(action(
                    Op::Delete,
                    Resource::RolePolicy(name.clone(), policy.clone()),
                    vec![],
                ));
            }
            out.push(action(Op::Delete, Resource::Role(name.clone()), vec![]));
        }
    }
}

/// The trust policy, the managed policies, the permissions boundary and
/// the tags of a role that exists.
fn plan_role_update(name: &str, have: &Role, want: &Role, out: &mut Vec<Action>) {
    let mut changes = Vec::new();
    changes.extend(change(
        Field::TrustPolicy,
        Some(json_text(&have.trust_policy)),
        Some(json_text(&want.trust_policy)),
    ));
    let attached = |r: &Role, arn: &String| {
        r.managed_policies
            .contains(arn)
            .then(|| ATTACHED.to_owned())
    };
    for arn in have.managed_policies.union(&want.managed_policies) {
        changes.extend(change(
            Field::ManagedPolicy(arn.clone()),
            attached(have, arn),
            attached(want, arn),
        ));
    }
    changes.extend(change(
        Field::PermissionsBoundary,
        have.permissions_boundary.clone(),
        want.permissions_boundary.clone(),
    ));
    tag_changes(&have.tags, &want.tags, &mut changes);
    if !changes.is_empty() {
        out.push(action(Op::Update, Resource::Role(name.to_owned()), changes));
    }
}

/// The inline policies of a role that exists.
fn plan_policies(name: &str, have: &Role, want: &Role, out: &mut Vec<Action>) {
    for (policy, doc) in &want.policies {
        let r = Resource::RolePolicy(name.to_owned(), policy.clone());
        match have.policies.get(policy) {
            None => out.push(action(Op::Create, r, vec![])),
            Some(old) if old != doc => out.push(action(
                Op::Update,
                r,
                change(Field::Document, Some(json_text(old)), Some(json_text(doc)))
                    .into_iter()
                    .collect(),
            )),
            Some(_) => {}
        }
    }
    for policy in have
        .policies
        .keys()
        .filter(|p| !want.policies.contains_key(*p))
    {
        out.push(action(
            Op::Delete,
            Resource::RolePolicy(name.to_owned(), policy.clone()),
            vec![],
        ));
    }
}
