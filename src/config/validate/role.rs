//! `role`: a function that runs with an existing IAM role. wsdeploy makes
//! no role for it, so `permissions`, `managedPolicies` and
//! `permissionsBoundary` written in that function's own body are errors;
//! the ones `defaults.function` would give it do not apply (the resolved
//! function has none), and validation warns about both: that those
//! defaults are dropped for it, and that wsdeploy cannot scope
//! `execute-api:ManageConnections` (nor add what `vpc` and
//! `tracing: active` need) for a role it did not make.
//!
//! The shape of the ARN is checked with the other settings, in `settings`.

use super::{Functions, Origin, Validator};
use crate::config::model::{Function, Tracing};
use crate::config::node::Pos;
use crate::config::raw::{RawFunction, RawPermission};
use crate::config::read::child;

/// The settings a role rules out, and where a body writes them (the first
/// item of a list; an empty list rules nothing out).
fn ruled_out(f: &RawFunction) -> [(&'static str, Option<Pos>); 3] {
    let permission = f.permissions.iter().flatten().next().map(|p| match p {
        RawPermission::Short(s) => s.pos,
        RawPermission::Statement(st) => st.pos,
    });
    let policy = f.managed_policies.iter().flatten().next().map(|p| p.pos);
    [
        ("permissions", permission),
        ("managedPolicies", policy),
        (
            "permissionsBoundary",
            f.permissions_boundary.as_ref().map(|b| b.pos),
        ),
    ]
}

/// `function `a``, or `functions `a`, `b``.
fn function_list(fs: &[&Function]) -> String {
    let names: Vec<String> = fs.iter().map(|f| format!("`{}`", f.name)).collect();
    match names.len() {
        1 => format!("function {}", names[0]),
        _ => format!("functions {}", names.join(", ")),
    }
}

/// The warning about what wsdeploy cannot grant the role of `fs`.
fn unscoped(fs: &[&Function], from_defaults: bool) -> String {
    let (who, they, post) = match (fs, from_defaults) {
        ([f], false) => (
            format!("function `{}`, which uses `role`", f.name),
            "it",
            "it posts",
        ),
        ([f], true) => (
            format!("function `{}`, which takes this `role`", f.name),
            "it",
            "it posts",
        ),
        _ => (
            format!("{}, which take this `role`", function_list(fs)),
            "them",
            "they post",
        ),
    };
    let mut also = Vec::new();
    if fs.iter().any(|f| f.vpc.is_some()) {
        also.push("the network-interface actions `vpc` needs (`ec2:CreateNetworkInterface`, `ec2:DescribeNetworkInterfaces`, `ec2:DeleteNetworkInterface`, `ec2:AssignPrivateIpAddresses`, `ec2:UnassignPrivateIpAddresses`)");
    }
    if fs.iter().any(|f| f.tracing == Tracing::Active) {
        also.push("`xray:PutTraceSegments` and `xray:PutTelemetryRecords` for `tracing: active`");
    }
    let also = if also.is_empty() {
        String::new()
    } else {
        format!("; it must also allow {}", also.join(", and "))
    };
    format!(
        "wsdeploy makes no role for {who}, so it cannot scope `execute-api:ManageConnections` for {they}: if {post} to `@connections`, the role must allow that itself{also}"
    )
}

impl Validator<'_, '_, '_> {
    /// The function's role (its own, else the default's), after reporting
    /// the settings of its own body that a role rules out.
    pub(super) fn role_of(
        &mut self,
        name: &str,
        f: &RawFunction,
        d: &RawFunction,
        origin: &Origin,
    ) -> Option<String> {
        let role = f.role.as_ref().or(d.role.as_ref())?;
        let from = if f.role.is_some() {
            ""
        } else {
            ", which takes `role` from `defaults.function`"
        };
        for (key, pos) in ruled_out(f) {
            let Some(pos) = pos else { continue };
            self.err_hint(
                pos,
                &child(origin.body_path(), key),
                format!(
                    "`{key}` cannot be used with `role`: wsdeploy makes no role for function `{name}`{from}"
                ),
                "the role you give must itself allow what wsdeploy would have added to its own; or remove `role` to let wsdeploy make one",
            );
        }
        Some(role.value.clone())
    }

    /// Warns, once validation has resolved every function, about each
    /// function with a role: at its own `role`, or once at
    /// `defaults.function.role` for those that take it from there; and at
    /// each of `defaults.function`'s permissions, managed policies and
    /// boundary that those functions do not get.
    pub(super) fn warn_roles(&mut self, defaults: Option<&RawFunction>, fns: &Functions) {
        let with_role: Vec<&Function> =
            fns.resolved.values().filter(|f| f.role.is_some()).collect();
        if with_role.is_empty() {
            return;
        }
        let mut inherited = Vec::new();
        for f in &with_role {
            match fns.own_roles.get(&f.name) {
                Some((pos, path)) => self.r.warning(*pos, path, unscoped(&[*f], false)),
                None => inherited.push(*f),
            }
        }
        let Some(d) = defaults else { return };
        if let Some(role) = &d.role
            && !inherited.is_empty()
        {
            self.r.warning(
                role.pos,
                "defaults.function.role",
                unscoped(&inherited, true),
            );
        }
        let all = with_role.len() == fns.resolved.len();
        for (key, pos) in ruled_out(d) {
            let Some(pos) = pos else { continue };
            let msg = if all {
                format!(
                    "`defaults.function.{key}` applies to no function: they all use `role`, and wsdeploy attaches it only to the roles it makes"
                )
            } else {
                let verb = if with_role.len() == 1 { "uses" } else { "use" };
                format!(
                    "`defaults.function.{key}` does not apply to {}, which {verb} `role`: wsdeploy attaches it only to the roles it makes",
                    function_list(&with_role)
                )
            };
            self.r.warning(pos, &child("defaults.function", key), msg);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::validate::test_support::{at, error, outcome, valid, warnings};

    const ROLE: &str = "arn:aws:iam::123456789012:role/existing";

    #[test]
    fn a_function_with_a_role_gets_no_permissions_and_a_warning() {
        let yaml = format!(
            "app: demo\nroutes:\n  $default:\n    function:\n      handler: src/handler.message\n      role: {ROLE}\n"
        );
        let f = &valid(&yaml).functions["default"];
        assert_eq!(f.role.as_deref(), Some(ROLE));
        assert!(f.permissions.is_empty() && f.managed_policies.is_empty());
        let ws = warnings(&yaml);
        assert_eq!(ws.len(), 1, "{ws:#?}");
        assert_eq!(ws[0].path, "routes.$default.function.role");
        assert_eq!(at(&ws[0]), (6, 13));
        assert_eq!(
            ws[0].message,
            "wsdeploy makes no role for function `default`, which uses `role`, so it cannot scope `execute-api:ManageConnections` for it: if it posts to `@connections`, the role must allow that itself"
        );
    }

    #[test]
    fn the_role_warning_names_what_vpc_and_tracing_need() {
        let yaml = format!(
            "app: demo\nroutes:\n  $default:\n    function:\n      handler: src/handler.message\n      role: {ROLE}\n      tracing: active\n      vpc: {{ subnetIds: [subnet-1], securityGroupIds: [sg-1] }}\n"
        );
        let ws = warnings(&yaml);
        let role = ws.iter().find(|w| w.path.ends_with(".role")).unwrap();
        assert!(
            role.message.contains("`ec2:CreateNetworkInterface`"),
            "{}",
            role.message
        );
        assert!(
            role.message.contains("`xray:PutTraceSegments`"),
            "{}",
            role.message
        );
    }

    #[test]
    fn settings_a_role_rules_out_are_errors_in_the_functions_own_body() {
        for (setting, key, pos) in [
            ("permissions: [\"s3:GetObject *\"]", "permissions", (7, 21)),
            (
                "managedPolicies: [arn:aws:iam::aws:policy/A]",
                "managedPolicies",
                (7, 25),
            ),
            (
                "permissionsBoundary: arn:aws:iam::aws:policy/B",
                "permissionsBoundary",
                (7, 28),
            ),
        ] {
            let yaml = format!(
                "app: demo\nroutes:\n  $default:\n    function:\n      handler: src/handler.message\n      role: {ROLE}\n      {setting}\n"
            );
            let e = error(&yaml);
            assert_eq!(e.path, format!("routes.$default.function.{key}"));
            assert_eq!(at(&e), pos, "{key}");
            assert_eq!(
                e.message,
                format!(
                    "`{key}` cannot be used with `role`: wsdeploy makes no role for function `default`"
                )
            );
        }
        // The role from the defaults rules out the function's own too.
        let yaml = format!(
            "app: demo\ndefaults:\n  function:\n    role: {ROLE}\nfunctions:\n  ws:\n    handler: src/handler.message\n    permissions: [\"s3:GetObject *\"]\nroutes:\n  $default: ws\n"
        );
        let e = error(&yaml);
        assert_eq!(e.path, "functions.ws.permissions");
        assert!(
            e.message
                .ends_with("which takes `role` from `defaults.function`"),
            "{}",
            e.message
        );
    }

    #[test]
    fn defaults_a_role_rules_out_are_dropped_and_warned_about() {
        // The contract's own example: every function takes the role and the
        // permissions, policies and boundary beside it.
        let yaml = format!(
            "app: demo\ndefaults:\n  function:\n    permissions:\n      - \"s3:GetObject arn:aws:s3:::assets/*\"\n    managedPolicies: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]\n    permissionsBoundary: arn:aws:iam::123456789012:policy/boundary\n    role: {ROLE}\nroutes:\n  $default: src/handler.message\n  $connect: src/handler.connect\n"
        );
        let c = valid(&yaml);
        for f in c.functions.values() {
            assert_eq!(f.role.as_deref(), Some(ROLE));
            assert!(f.permissions.is_empty(), "{}", f.name);
            assert!(f.managed_policies.is_empty(), "{}", f.name);
            assert_eq!(f.permissions_boundary, None);
        }
        let ws = warnings(&yaml);
        let paths: Vec<&str> = ws.iter().map(|w| w.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "defaults.function.role",
                "defaults.function.permissions",
                "defaults.function.managedPolicies",
                "defaults.function.permissionsBoundary",
            ]
        );
        let role = &ws[0];
        assert!(
            role.message.starts_with(
                "wsdeploy makes no role for functions `connect`, `default`, which take this `role`"
            ),
            "{}",
            role.message
        );
        assert!(
            role.message
                .contains("for them: if they post to `@connections`"),
            "{}",
            role.message
        );
        assert!(
            ws[1].message.starts_with(
                "`defaults.function.permissions` applies to no function: they all use `role`"
            ),
            "{}",
            ws[1].message
        );
    }

    #[test]
    fn defaults_still_apply_to_the_functions_without_a_role() {
        let yaml = format!(
            "app: demo\ndefaults:\n  function:\n    managedPolicies: [arn:aws:iam::aws:policy/A]\nroutes:\n  $default:\n    function:\n      handler: src/handler.message\n      role: {ROLE}\n  $connect: src/handler.connect\n"
        );
        let c = valid(&yaml);
        assert!(c.functions["default"].managed_policies.is_empty());
        assert_eq!(
            c.functions["connect"].managed_policies,
            ["arn:aws:iam::aws:policy/A"]
        );
        let ws = warnings(&yaml);
        assert_eq!(ws.len(), 2, "{ws:#?}");
        let dropped = ws
            .iter()
            .find(|w| w.path == "defaults.function.managedPolicies")
            .unwrap();
        assert_eq!(
            dropped.message,
            "`defaults.function.managedPolicies` does not apply to function `default`, which uses `role`: wsdeploy attaches it only to the roles it makes"
        );
    }

    #[test]
    fn an_authorizer_function_may_use_a_role() {
        let yaml = format!(
            "app: demo\nroutes:\n  $connect: src/handler.connect\nauthorizer:\n  function:\n    handler: src/handler.auth\n    role: {ROLE}\n"
        );
        let o = outcome(&yaml);
        assert!(o.errors.is_empty(), "{:#?}", o.errors);
        let c = o.config.unwrap();
        assert_eq!(c.functions["authorizer"].role.as_deref(), Some(ROLE));
        assert_eq!(c.functions["connect"].role, None);
    }
}
