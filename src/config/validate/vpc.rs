//! `vpc`: the VPC a function runs in. Its id lists are checked where they
//! are written; it is merged over `defaults.function.vpc` key by key, and
//! after merging both lists are required. A function in a VPC gets a
//! warning: its `@connections` calls need a NAT gateway or an
//! `execute-api` VPC endpoint.

use super::checks::is_ec2_id;
use super::{Origin, Validator};
use crate::config::model::Vpc;
use crate::config::raw::{RawFunction, RawVpc};
use crate::config::read::{S, child, index, shown_s};

/// Lambda's limits on a function's VPC settings.
pub const MAX_SUBNETS: usize = 16;
pub const MAX_SECURITY_GROUPS: usize = 5;

/// What a function in a VPC is warned about.
const VPC_WARNING: &str = "a function in a VPC reaches `@connections` (PostToConnection) only through a NAT gateway or an `execute-api` interface VPC endpoint: make sure these subnets have one";

impl Validator<'_, '_, '_> {
    /// The ids a `vpc` mapping lists; whether both lists are there is
    /// checked after merging.
    pub(super) fn check_vpc_fields(&mut self, v: &RawVpc, path: &str) {
        let lists = [
            ("subnetIds", &v.subnet_ids, "subnet", MAX_SUBNETS),
            (
                "securityGroupIds",
                &v.security_group_ids,
                "sg",
                MAX_SECURITY_GROUPS,
            ),
        ];
        for (key, ids, prefix, max) in lists {
            let Some(ids) = ids else { continue };
            let p = child(path, key);
            let what = if prefix == "sg" {
                "security group"
            } else {
                "subnet"
            };
            if ids.is_empty() {
                self.err_hint(
                    v.pos,
                    &p,
                    format!("`{key}` is empty"),
                    format!("give 1 to {max} {what} ids"),
                );
            } else if ids.len() > max {
                self.err(
                    ids[max].pos,
                    &p,
                    format!("{} {what} ids; Lambda allows {max}", ids.len()),
                );
            }
            for (i, id) in ids.iter().enumerate() {
                if !is_ec2_id(&id.value, prefix) {
                    self.err_hint(
                        id.pos,
                        &index(&p, i),
                        format!("{} is not a {what} id", shown_s(id)),
                        format!("{what} ids look like `{prefix}-0123456789abcdef0`"),
                    );
                }
            }
        }
    }

    /// `vpc`, merged key by key; after merging, both lists are required.
    /// Warns about `@connections` from a VPC. `Some(None)`: no VPC.
    pub(super) fn merged_vpc(
        &mut self,
        name: &str,
        f: &RawFunction,
        d: &RawFunction,
        origin: &Origin,
    ) -> Option<Option<Vpc>> {
        let (own, default) = (f.vpc.as_ref(), d.vpc.as_ref());
        let Some(at) = own.or(default) else {
            return Some(None);
        };
        let path = match own {
            Some(_) => child(origin.body_path(), "vpc"),
            None => "defaults.function.vpc".to_owned(),
        };
        let ids = |pick: fn(&RawVpc) -> &Option<Vec<S<String>>>| {
            own.and_then(|v| pick(v).as_ref())
                .or(default.and_then(|v| pick(v).as_ref()))
                .map(|l| l.iter().map(|s| s.value.clone()).collect::<Vec<_>>())
        };
        let subnets = ids(|v| &v.subnet_ids);
        let groups = ids(|v| &v.security_group_ids);
        let missing: Vec<&str> = [("subnetIds", &subnets), ("securityGroupIds", &groups)]
            .iter()
            .filter(|(_, l)| l.is_none())
            .map(|(k, _)| *k)
            .collect();
        if !missing.is_empty() {
            self.error_once(
                at.pos,
                &path,
                format!(
                    "the `vpc` of function `{name}` has no `{}`",
                    missing.join("` and `")
                ),
                "a function in a VPC needs both `subnetIds` (1 to 16) and `securityGroupIds` (1 to 5)",
            );
            return None;
        }
        let (Some(subnet_ids), Some(security_group_ids)) = (subnets, groups) else {
            return None;
        };
        self.warn_once(at.pos, &path, VPC_WARNING);
        Some(Some(Vpc {
            subnet_ids,
            security_group_ids,
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::config::validate::test_support::{at, error, valid, warning, warnings};

    /// A config whose `$default` route has an inline function with
    /// `settings` (YAML at the function's indentation, 6 spaces).
    fn inline(settings: &str) -> String {
        format!(
            "app: demo\nroutes:\n  $default:\n    function:\n      handler: src/handler.message\n{settings}"
        )
    }

    #[test]
    fn vpc_lists_are_checked_where_written() {
        let e = error(&inline(
            "      vpc: { subnetIds: [], securityGroupIds: [sg-1] }\n",
        ));
        assert_eq!(e.path, "routes.$default.function.vpc.subnetIds");
        assert_eq!(e.message, "`subnetIds` is empty");
        let many: Vec<String> = (1..=17).map(|i| format!("subnet-{i}")).collect();
        let e = error(&inline(&format!(
            "      vpc: {{ subnetIds: [{}], securityGroupIds: [sg-1] }}\n",
            many.join(", ")
        )));
        assert_eq!(e.message, "17 subnet ids; Lambda allows 16");
        let e = error(&inline(
            "      vpc: { subnetIds: [subnet-1], securityGroupIds: [sg-1, sg-2, sg-3, sg-4, sg-5, sg-6] }\n",
        ));
        assert_eq!(e.message, "6 security group ids; Lambda allows 5");
        let e = error(&inline(
            "      vpc: { subnetIds: [subnet-1], securityGroupIds: [default] }\n",
        ));
        assert_eq!(e.path, "routes.$default.function.vpc.securityGroupIds[0]");
        assert_eq!(e.message, "`default` is not a security group id");
        let e = error(&inline(
            "      vpc: { subnetId: [subnet-1], subnetIds: [subnet-1], securityGroupIds: [sg-1] }\n",
        ));
        assert_eq!(e.message, "unknown key `subnetId`");
        assert_eq!(e.hint.as_deref(), Some("did you mean `subnetIds`?"));
    }

    #[test]
    fn a_vpc_needs_both_lists_after_merging() {
        let e = error(&inline("      vpc: { subnetIds: [subnet-1] }\n"));
        assert_eq!(e.path, "routes.$default.function.vpc");
        assert_eq!(at(&e), (6, 12));
        assert_eq!(
            e.message,
            "the `vpc` of function `default` has no `securityGroupIds`"
        );
        // The defaults give the subnets, each function its groups.
        let yaml = "app: demo\ndefaults:\n  function:\n    vpc: { subnetIds: [subnet-1] }\nroutes:\n  $default:\n    function:\n      handler: src/handler.message\n      vpc: { securityGroupIds: [sg-1] }\n";
        assert!(valid(yaml).functions["default"].vpc.is_some());
    }

    #[test]
    fn a_function_in_a_vpc_is_warned_about_connections_calls() {
        let w = warning(&inline(
            "      vpc: { subnetIds: [subnet-1], securityGroupIds: [sg-1] }\n",
        ));
        assert_eq!(w.path, "routes.$default.function.vpc");
        assert!(
            w.message.contains("NAT gateway")
                && w.message.contains("`execute-api` interface VPC endpoint"),
            "{}",
            w.message
        );
        // A default VPC: one warning, at the default.
        let ws = warnings(
            "app: demo\ndefaults:\n  function:\n    vpc: { subnetIds: [subnet-1], securityGroupIds: [sg-1] }\nroutes:\n  $default: src/handler.message\n  $connect: src/handler.connect\n",
        );
        assert_eq!(ws.len(), 1, "{ws:#?}");
        assert_eq!(ws[0].path, "defaults.function.vpc");
    }
}
