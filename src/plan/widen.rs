//! Which planned changes widen what IAM allows, so that a reviewer of a
//! plan sees them (issue 16; CDK's `--require-approval broadening` is the
//! model): new actions or resources in a role's inline policy, a Deny
//! taken away, a new managed policy, a new principal in a trust policy, a
//! permissions boundary removed or replaced, a function that runs as
//! another role, and an invoke permission that is new or lets a wider
//! source invoke.
//!
//! Pure: it reads the desired and observed states the plan was made from
//! and says, for each action, what it widens (`Action::widens`). A grant
//! the live policy already covers (by the same or a wildcard action and
//! resource, under no condition or the same one) is not new; what cannot
//! be compared that way (`NotAction`, `NotResource`) is new unless the very
//! same statement is live.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Action, Field, Op, Resource};
use crate::state::{Permission, Role, State};

/// Fills in `widens` on every action of `actions`.
pub(super) fn mark(actions: &mut [Action], desired: &State, observed: &State) {
    for a in actions.iter_mut() {
        a.widens = match (&a.resource, a.op) {
            (_, Op::Delete) => Vec::new(),
            (Resource::Role(name), op) => role(
                observed.roles.get(name).filter(|_| op != Op::Create),
                desired.roles.get(name),
            ),
            (Resource::RolePolicy(role, policy), _) => {
                let doc = |s: &State| s.roles.get(role)?.policies.get(policy).cloned();
                match doc(desired) {
                    Some(want) => policy_document(doc(observed).as_ref(), &want),
                    None => Vec::new(),
                }
            }
            (Resource::Permission(function, sid), _) => {
                let get = |s: &State| s.permissions.get(function)?.get(sid).cloned();
                match get(desired) {
                    Some(want) => permission(function, get(observed).as_ref(), &want),
                    None => Vec::new(),
                }
            }
            // A function that runs as another role may do what that role
            // allows (`role:` names an existing one).
            (Resource::Function(_), Op::Update) => a
                .change(&Field::Role)
                .map(|c| {
                    let role = |v: &Option<String>| v.clone().unwrap_or_default();
                    format!("runs as another role: {} -> {}", role(&c.old), role(&c.new))
                })
                .into_iter()
                .collect(),
            _ => Vec::new(),
        };
    }
}

/// A role: its managed policies, trust policy and boundary.
fn role(have: Option<&Role>, want: Option<&Role>) -> Vec<String> {
    let Some(want) = want else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let attached: BTreeSet<&String> = have
        .map(|r| r.managed_policies.iter().collect())
        .unwrap_or_default();
    for arn in want
        .managed_policies
        .iter()
        .filter(|a| !attached.contains(a))
    {
        out.push(format!("attaches the managed policy {arn}"));
    }
    let trusted = have
        .map(|r| principals(&r.trust_policy))
        .unwrap_or_default();
    // A new role's trust policy is wsdeploy's own (Lambda only): only a
    // principal added to a live role is news.
    if have.is_some() {
        for p in principals(&want.trust_policy).difference(&trusted) {
            out.push(format!("lets {p} assume the role"));
        }
    }
    match (
        have.and_then(|r| r.permissions_boundary.as_ref()),
        &want.permissions_boundary,
    ) {
        (Some(old), None) => out.push(format!("removes the permissions boundary {old}")),
        (Some(old), Some(new)) if old != new => out.push(format!(
            "replaces the permissions boundary {old} with {new}"
        )),
        _ => {}
    }
    out
}

/// The principals an Allow statement of a trust policy names, as
/// `Service:lambda.amazonaws.com`, `AWS:arn:…` or `*`.
fn principals(doc: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for s in statements(doc).filter(|s| effect(s) == "Allow") {
        match s.get("Principal") {
            Some(Value::String(p)) => {
                out.insert(p.clone());
            }
            Some(Value::Object(kinds)) => {
                for (kind, v) in kinds {
                    out.extend(strings(Some(v)).into_iter().map(|p| format!("{kind}:{p}")));
                }
            }
            _ => {}
        }
    }
    out
}

/// What `want` allows that `have` (absent for a new policy) does not, and
/// the Deny statements it drops; one line per set of actions.
fn policy_document(have: Option<&Value>, want: &Value) -> Vec<String> {
    let old = have.map(|d| grants(d, "Allow")).unwrap_or_default();
    let new: Vec<Grant> = grants(want, "Allow")
        .into_iter()
        .filter(|g| !old.iter().any(|o| o.covers(g)))
        .collect();
    let mut out = describe("grants", new);
    if let Some(have) = have {
        let kept = grants(want, "Deny");
        let dropped = grants(have, "Deny")
            .into_iter()
            .filter(|g| !kept.contains(g))
            .collect();
        out.extend(describe("no longer denies", dropped));
    }
    out
}

/// Grants grouped by the resources they share: `grants a, b on r1, r2`.
fn describe(verb: &str, grants: Vec<Grant>) -> Vec<String> {
    let mut by_resource: BTreeMap<(String, Option<String>), BTreeSet<String>> = BTreeMap::new();
    for g in grants {
        by_resource
            .entry((g.resource, g.condition))
            .or_default()
            .insert(g.action);
    }
    let mut by_actions: BTreeMap<(Vec<String>, Option<String>), Vec<String>> = BTreeMap::new();
    for ((resource, condition), actions) in by_resource {
        by_actions
            .entry((actions.into_iter().collect(), condition))
            .or_default()
            .push(resource);
    }
    by_actions
        .into_iter()
        .map(|((actions, condition), resources)| {
            let when = condition.map(|c| format!(" when {c}")).unwrap_or_default();
            format!(
                "{verb} {} on {}{when}",
                actions.join(", "),
                resources.join(", ")
            )
        })
        .collect()
}

/// An invoke permission: new, or wider than the live one.
fn permission(function: &str, have: Option<&Permission>, want: &Permission) -> Vec<String> {
    let lets = || {
        format!(
            "lets {} call {} on {function} from {}",
            want.principal, want.action, want.source_arn
        )
    };
    let Some(have) = have else {
        return vec![lets()];
    };
    let mut out = Vec::new();
    if have.principal != want.principal
        || !glob(&have.action.to_lowercase(), &want.action.to_lowercase())
    {
        out.push(lets());
    } else if !glob(&have.source_arn, &want.source_arn) {
        out.push(format!(
            "lets a wider source invoke {function}: {} -> {}",
            have.source_arn, want.source_arn
        ));
    }
    if have.source_account.is_some() && want.source_account.is_none() {
        out.push(format!(
            "drops the source account condition on invoking {function}"
        ));
    }
    out
}

/// One thing a policy statement allows (or denies): an action on a
/// resource, under a condition (its JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Grant {
    action: String,
    resource: String,
    condition: Option<String>,
}

impl Grant {
    /// Whether `self` allows everything `other` does.
    fn covers(&self, other: &Grant) -> bool {
        if self == other {
            return true;
        }
        let comparable = |g: &Grant| {
            !g.action.starts_with("NotAction") && !g.resource.starts_with("NotResource")
        };
        comparable(self)
            && comparable(other)
            && (self.condition.is_none() || self.condition == other.condition)
            && glob(&self.action.to_lowercase(), &other.action.to_lowercase())
            && glob(&self.resource, &other.resource)
    }
}

/// The grants of the statements of `doc` with this effect.
fn grants(doc: &Value, wanted: &str) -> Vec<Grant> {
    let mut out = Vec::new();
    for s in statements(doc).filter(|s| effect(s) == wanted) {
        let condition = s.get("Condition").map(Value::to_string);
        let actions = match s.get("NotAction") {
            Some(v) => vec![format!("NotAction {v}")],
            None => strings(s.get("Action")),
        };
        let resources = match s.get("NotResource") {
            Some(v) => vec![format!("NotResource {v}")],
            None => strings(s.get("Resource")),
        };
        for action in &actions {
            for resource in &resources {
                out.push(Grant {
                    action: action.clone(),
                    resource: resource.clone(),
                    condition: condition.clone(),
                });
            }
        }
    }
    out
}

fn statements(doc: &Value) -> impl Iterator<Item = &Value> {
    match doc.get("Statement") {
        Some(Value::Array(v)) => v.iter().collect::<Vec<_>>().into_iter(),
        Some(one @ Value::Object(_)) => vec![one].into_iter(),
        _ => Vec::new().into_iter(),
    }
}

fn effect(statement: &Value) -> &str {
    statement
        .get("Effect")
        .and_then(Value::as_str)
        .unwrap_or("Allow")
}

/// A string or an array of strings.
fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// IAM's wildcard match: `*` any run of characters, `?` any one.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn doc(statements: Value) -> Value {
        json!({ "Version": "2012-10-17", "Statement": statements })
    }

    #[test]
    fn the_wildcard_match_is_iams() {
        assert!(glob("*", "anything"));
        assert!(glob("s3:Get*", "s3:GetObject"));
        assert!(glob("arn:aws:s3:::b/*", "arn:aws:s3:::b/k/x"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(!glob("s3:Get*", "s3:PutObject"));
        assert!(!glob("arn:aws:s3:::b", "arn:aws:s3:::b/k"));
        assert!(glob("*:*:*", "a:b:c"));
        assert!(
            glob("abc/*", "abc/*/$connect"),
            "a `*` in the text is matched like any character"
        );
    }

    #[test]
    fn a_new_action_or_resource_widens_and_a_covered_one_does_not() {
        let have = doc(
            json!([{ "Effect": "Allow", "Action": ["s3:Get*"], "Resource": "arn:aws:s3:::b/*" }]),
        );
        let narrower = doc(
            json!([{ "Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b/k"] }]),
        );
        assert!(policy_document(Some(&have), &narrower).is_empty());
        let wider = doc(json!([
            { "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::b/k", "arn:aws:s3:::c/*"] }
        ]));
        assert_eq!(
            policy_document(Some(&have), &wider),
            vec![
                "grants s3:GetObject, s3:PutObject on arn:aws:s3:::c/*",
                "grants s3:PutObject on arn:aws:s3:::b/k",
            ]
        );
        // Action names are not case-sensitive in IAM.
        let same = doc(
            json!([{ "Effect": "Allow", "Action": "S3:getobject", "Resource": "arn:aws:s3:::b/x" }]),
        );
        assert!(policy_document(Some(&have), &same).is_empty());
    }

    #[test]
    fn a_condition_narrows_and_dropping_it_widens() {
        let cond = json!({ "StringEquals": { "aws:SourceVpc": "vpc-1" } });
        let with = doc(
            json!([{ "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": cond }]),
        );
        let without =
            doc(json!([{ "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*" }]));
        assert!(policy_document(Some(&without), &with).is_empty());
        assert_eq!(
            policy_document(Some(&with), &without),
            vec!["grants s3:GetObject on *"]
        );
    }

    #[test]
    fn a_dropped_deny_widens_and_not_action_is_compared_as_a_whole() {
        let deny = doc(json!([{ "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*" }]));
        assert_eq!(
            policy_document(Some(&deny), &doc(json!([]))),
            vec!["no longer denies s3:DeleteObject on *"]
        );
        let not = doc(json!([{ "Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*" }]));
        assert_eq!(policy_document(Some(&not), &not), Vec::<String>::new());
        let everything = doc(json!([{ "Effect": "Allow", "Action": "*", "Resource": "*" }]));
        assert_eq!(
            policy_document(Some(&everything), &not).len(),
            1,
            "NotAction is never taken as covered"
        );
    }

    #[test]
    fn a_new_policy_lists_every_grant() {
        let d =
            doc(json!({ "Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "arn:t" }));
        assert_eq!(
            policy_document(None, &d),
            vec!["grants dynamodb:PutItem on arn:t"]
        );
    }

    fn role_with(managed: &[&str], boundary: Option<&str>, principal: &str) -> Role {
        Role {
            name: "r".into(),
            path: "/".into(),
            trust_policy: doc(
                json!([{ "Effect": "Allow", "Principal": { "Service": principal }, "Action": "sts:AssumeRole" }]),
            ),
            policies: BTreeMap::new(),
            managed_policies: managed.iter().map(|s| s.to_string()).collect(),
            permissions_boundary: boundary.map(str::to_owned),
            tags: Default::default(),
        }
    }

    #[test]
    fn a_role_widens_by_a_managed_policy_a_principal_or_a_lost_boundary() {
        let lambda = "lambda.amazonaws.com";
        let have = role_with(&["arn:p1"], Some("arn:b"), lambda);
        assert!(role(Some(&have), Some(&role_with(&[], Some("arn:b"), lambda))).is_empty());
        assert_eq!(
            role(
                Some(&have),
                Some(&role_with(&["arn:p1", "arn:p2"], None, "ec2.amazonaws.com"))
            ),
            vec![
                "attaches the managed policy arn:p2",
                "lets Service:ec2.amazonaws.com assume the role",
                "removes the permissions boundary arn:b",
            ]
        );
        assert_eq!(
            role(
                Some(&have),
                Some(&role_with(&["arn:p1"], Some("arn:c"), lambda))
            ),
            vec!["replaces the permissions boundary arn:b with arn:c"]
        );
        // A new role: its managed policies are news, its own trust policy is not.
        assert_eq!(
            role(None, Some(&role_with(&["arn:p1"], None, lambda))),
            vec!["attaches the managed policy arn:p1"]
        );
    }

    fn invoke(source: &str, account: Option<&str>) -> Permission {
        Permission {
            action: "lambda:InvokeFunction".into(),
            principal: "apigateway.amazonaws.com".into(),
            source_arn: source.into(),
            source_account: account.map(str::to_owned),
        }
    }

    #[test]
    fn an_invoke_permission_widens_when_new_or_its_source_grows() {
        let narrow = invoke("arn:aws:execute-api:us-east-1:1:abc/*/$connect", None);
        let wide = invoke("arn:aws:execute-api:us-east-1:1:abc/*", None);
        assert_eq!(
            permission("f", None, &narrow),
            vec![
                "lets apigateway.amazonaws.com call lambda:InvokeFunction on f from arn:aws:execute-api:us-east-1:1:abc/*/$connect"
            ]
        );
        assert!(permission("f", Some(&wide), &narrow).is_empty());
        assert_eq!(
            permission("f", Some(&narrow), &wide),
            vec![
                "lets a wider source invoke f: arn:aws:execute-api:us-east-1:1:abc/*/$connect -> arn:aws:execute-api:us-east-1:1:abc/*"
            ]
        );
        assert_eq!(
            permission(
                "f",
                Some(&invoke("arn:x", Some("1"))),
                &invoke("arn:x", None)
            ),
            vec!["drops the source account condition on invoking f"]
        );
    }
}
