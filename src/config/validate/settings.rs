//! The function settings beyond the basics: `description`,
//! `reservedConcurrency`, `provisionedConcurrency`, `tracing`,
//! `ephemeralStorage`, `kmsKeyArn`, `managedPolicies`,
//! `permissionsBoundary` and the shape of `role`. Their values are checked
//! where they are written, once per body; then they are merged over
//! `defaults.function` (scalars: the function's value wins;
//! `managedPolicies` concatenated, defaults first, without duplicates),
//! with the checks and warnings that need the merged result: provisioned
//! concurrency within the reserved, the policy count, zero reserved
//! concurrency. `vpc` is in `vpc` (called from here), what `role` rules out
//! in `role`.

use std::ops::RangeInclusive;

use super::checks::{KmsArnError, is_policy_arn, is_role_arn, parse_kms_key_arn};
use super::{Origin, Validator};
use crate::config::model::{DEFAULT_EPHEMERAL_STORAGE, Tracing, Vpc};
use crate::config::node::Pos;
use crate::config::raw::RawFunction;
use crate::config::read::{S, child, index, shown_s};
use crate::diagnostic::Severity;

/// Lambda's limits on these settings, and IAM's on a role's policies.
pub const MAX_DESCRIPTION: usize = 256;
pub const EPHEMERAL_STORAGE: RangeInclusive<i64> = 512..=10240;
/// Managed policies attached to one role: IAM's quota is 10 and can be
/// raised to 20, so only more than 20 is certainly refused.
pub const MAX_MANAGED_POLICIES: usize = 20;
/// The concurrency Lambda's API can carry (a 32-bit integer).
const MAX_CONCURRENCY: i64 = i32::MAX as i64;

/// The merged settings of one function, for `model::Function`.
pub(super) struct Settings {
    pub description: Option<String>,
    pub reserved_concurrency: Option<u32>,
    pub provisioned_concurrency: Option<u32>,
    pub tracing: Tracing,
    pub ephemeral_storage: u32,
    pub kms_key_arn: Option<String>,
    pub vpc: Option<Vpc>,
    pub managed_policies: Vec<String>,
    pub permissions_boundary: Option<String>,
    pub role: Option<String>,
}

/// A merged setting and where it is written: the function's own body, or
/// `defaults.function`.
struct Set<'a, T> {
    s: &'a S<T>,
    path: String,
    own: bool,
}

/// The function's value of `key`, else the default's, with where it is.
fn set<'a, T>(
    own: &'a Option<S<T>>,
    default: &'a Option<S<T>>,
    origin: &Origin,
    key: &str,
) -> Option<Set<'a, T>> {
    match (own, default) {
        (Some(s), _) => Some(Set {
            s,
            path: child(origin.body_path(), key),
            own: true,
        }),
        (None, Some(s)) => Some(Set {
            s,
            path: child("defaults.function", key),
            own: false,
        }),
        (None, None) => None,
    }
}

/// A merged count as the model holds it: `Some(None)` when not set,
/// `None` when it does not fit (reported where it is written).
fn count(s: Option<&Set<i64>>) -> Option<Option<u32>> {
    match s {
        Some(s) => u32::try_from(s.s.value).ok().map(Some),
        None => Some(None),
    }
}

/// A whole number for a message, unless it came out of `${...}`.
fn shown_int(n: &S<i64>) -> String {
    if n.interpolated {
        "(interpolated)".to_owned()
    } else {
        n.value.to_string()
    }
}

impl Validator<'_, '_, '_> {
    /// Checks the settings of this module one function body sets, at their
    /// own positions (`path` is the body's key path).
    pub(super) fn check_settings_fields(&mut self, f: &RawFunction, path: &str) {
        if let Some(d) = &f.description {
            let n = d.value.chars().count();
            if n > MAX_DESCRIPTION {
                self.err(
                    d.pos,
                    &child(path, "description"),
                    format!("the description is {n} characters; Lambda allows {MAX_DESCRIPTION}"),
                );
            }
        }
        if let Some(r) = &f.reserved_concurrency {
            self.check_concurrency_value(r, &child(path, "reservedConcurrency"), 0);
        }
        if let Some(p) = &f.provisioned_concurrency {
            self.check_concurrency_value(p, &child(path, "provisionedConcurrency"), 1);
        }
        if let Some(e) = &f.ephemeral_storage
            && !EPHEMERAL_STORAGE.contains(&e.value)
        {
            self.err_hint(
                e.pos,
                &child(path, "ephemeralStorage"),
                format!("ephemeral storage {} MB is out of range", shown_int(e)),
                "Lambda allows 512 to 10240 MB of `/tmp`",
            );
        }
        if let Some(k) = &f.kms_key_arn {
            self.check_kms_key(k, &child(path, "kmsKeyArn"));
        }
        if let Some(v) = &f.vpc {
            self.check_vpc_fields(v, &child(path, "vpc"));
        }
        for (i, p) in f.managed_policies.iter().flatten().enumerate() {
            self.check_policy_arn(p, &index(&child(path, "managedPolicies"), i));
        }
        if let Some(b) = &f.permissions_boundary {
            self.check_policy_arn(b, &child(path, "permissionsBoundary"));
        }
        if let Some(r) = &f.role
            && !is_role_arn(&r.value)
        {
            self.err_hint(
                r.pos,
                &child(path, "role"),
                format!("{} is not an IAM role ARN", shown_s(r)),
                "arn:aws:iam::<account>:role/<name> (or role/<path>/<name>)",
            );
        }
    }

    /// Reserved (`min` 0) or provisioned (`min` 1) concurrency.
    fn check_concurrency_value(&mut self, n: &S<i64>, path: &str, min: i64) {
        if (min..=MAX_CONCURRENCY).contains(&n.value) {
            return;
        }
        let (what, hint) = if min == 0 {
            (
                "reserved concurrency",
                "0 or more: the executions kept for this function, and its ceiling",
            )
        } else {
            (
                "provisioned concurrency",
                "1 or more, and at most `reservedConcurrency` when that is set; leave it out for none",
            )
        };
        self.err_hint(
            n.pos,
            path,
            format!("{what} {} is out of range", shown_int(n)),
            hint,
        );
    }

    /// A KMS key ARN (not an alias) in the function's region, when that is
    /// known.
    fn check_kms_key(&mut self, k: &S<String>, path: &str) {
        let key_region = match parse_kms_key_arn(&k.value) {
            Ok(region) => region,
            Err(KmsArnError::Alias) => {
                self.err_hint(
                    k.pos,
                    path,
                    "a KMS alias cannot encrypt a function's environment",
                    "give the key's own ARN, `arn:aws:kms:<region>:<account>:key/<id>`: Lambda refuses aliases here",
                );
                return;
            }
            Err(KmsArnError::Other) => {
                self.err_hint(
                    k.pos,
                    path,
                    format!("{} is not a KMS key ARN", shown_s(k)),
                    "arn:aws:kms:<region>:<account>:key/<id>",
                );
                return;
            }
        };
        let Some(region) = self.region.clone().filter(|r| r != key_region) else {
            return;
        };
        let key = if k.interpolated {
            "the interpolated KMS key is in another region".to_owned()
        } else {
            format!("the KMS key is in `{key_region}`")
        };
        self.err_hint(
            k.pos,
            path,
            format!("{key}, but the function is in `{region}`"),
            "Lambda encrypts the environment with a key in the function's own region",
        );
    }

    fn check_policy_arn(&mut self, p: &S<String>, path: &str) {
        if is_policy_arn(&p.value) {
            return;
        }
        self.err_hint(
            p.pos,
            path,
            format!("{} is not a managed policy ARN", shown_s(p)),
            "arn:aws:iam::aws:policy/<name> (AWS managed) or arn:aws:iam::<account>:policy/<name>",
        );
    }

    /// The settings of this module merged over the defaults (`role` and
    /// what it rules out through `role_of`). `None` after reporting a
    /// problem that needs the merged result.
    pub(super) fn merged_settings(
        &mut self,
        name: &str,
        f: &RawFunction,
        d: &RawFunction,
        origin: &Origin,
    ) -> Option<Settings> {
        let concurrency = self.merged_concurrency(name, f, d, origin);
        let vpc = self.merged_vpc(name, f, d, origin);
        let role = self.role_of(name, f, d, origin);
        let (managed_policies, permissions_boundary) = if role.is_some() {
            (Some(Vec::new()), None)
        } else {
            let boundary = f.permissions_boundary.as_ref();
            let boundary = boundary.or(d.permissions_boundary.as_ref());
            (
                self.merged_managed_policies(name, f, d, origin),
                boundary.map(|b| b.value.clone()),
            )
        };
        let (Some((reserved, provisioned)), Some(vpc), Some(managed_policies)) =
            (concurrency, vpc, managed_policies)
        else {
            return None;
        };
        let storage = f
            .ephemeral_storage
            .as_ref()
            .or(d.ephemeral_storage.as_ref());
        let ephemeral_storage = match storage {
            Some(e) => u32::try_from(e.value).ok()?,
            None => DEFAULT_EPHEMERAL_STORAGE,
        };
        let text = |o: Option<&S<String>>| o.map(|s| s.value.clone());
        Some(Settings {
            description: text(f.description.as_ref().or(d.description.as_ref())),
            reserved_concurrency: reserved,
            provisioned_concurrency: provisioned,
            tracing: f
                .tracing
                .as_ref()
                .or(d.tracing.as_ref())
                .map_or(Tracing::PassThrough, |t| t.value),
            ephemeral_storage,
            kms_key_arn: text(f.kms_key_arn.as_ref().or(d.kms_key_arn.as_ref())),
            vpc,
            managed_policies,
            permissions_boundary,
            role,
        })
    }

    /// Reserved and provisioned concurrency: a warning for 0 reserved, an
    /// error for more provisioned than reserved (AWS refuses that), at the
    /// one of the two the function sets itself (provisioned first).
    fn merged_concurrency(
        &mut self,
        name: &str,
        f: &RawFunction,
        d: &RawFunction,
        origin: &Origin,
    ) -> Option<(Option<u32>, Option<u32>)> {
        let reserved = set(
            &f.reserved_concurrency,
            &d.reserved_concurrency,
            origin,
            "reservedConcurrency",
        );
        let provisioned = set(
            &f.provisioned_concurrency,
            &d.provisioned_concurrency,
            origin,
            "provisionedConcurrency",
        );
        if let Some(r) = &reserved
            && r.s.value == 0
        {
            let who = if r.own {
                format!("function `{name}`: it never runs")
            } else {
                "every function that takes it: they never run".to_owned()
            };
            let msg = format!(
                "reserved concurrency 0 throttles {who}; remove it, or give the executions to keep"
            );
            self.warn_once(r.s.pos, &r.path, msg);
        }
        if let (Some(r), Some(p)) = (&reserved, &provisioned)
            && r.s.value >= 0
            && p.s.value > r.s.value
        {
            let at = if p.own || !r.own { p } else { r };
            self.error_once(
                at.s.pos,
                &at.path,
                format!(
                    "provisioned concurrency {} is more than the reserved concurrency {} of function `{name}`",
                    shown_int(p.s),
                    shown_int(r.s)
                ),
                "AWS refuses provisioned concurrency above the function's reserved concurrency: raise `reservedConcurrency` or lower `provisionedConcurrency`",
            );
            return None;
        }
        Some((count(reserved.as_ref())?, count(provisioned.as_ref())?))
    }

    /// The managed policies, defaults first, without duplicates, if there
    /// are not too many for one role.
    fn merged_managed_policies(
        &mut self,
        name: &str,
        f: &RawFunction,
        d: &RawFunction,
        origin: &Origin,
    ) -> Option<Vec<String>> {
        let mut policies: Vec<String> = Vec::new();
        let all = d.managed_policies.iter().flatten();
        for p in all.chain(f.managed_policies.iter().flatten()) {
            if !policies.contains(&p.value) {
                policies.push(p.value.clone());
            }
        }
        if policies.len() <= MAX_MANAGED_POLICIES {
            return Some(policies);
        }
        self.err_hint(
            origin.pos,
            &origin.path,
            format!(
                "function `{name}` has {} managed policies; IAM attaches at most {MAX_MANAGED_POLICIES} to a role",
                policies.len()
            ),
            "IAM's quota is 10 managed policies per role unless raised (up to 20): merge policies, or move statements into `permissions`",
        );
        None
    }

    /// A warning at `pos` and `path`, unless one is there already: a
    /// default's problem is met by every function that takes it.
    pub(super) fn warn_once(&mut self, pos: Pos, path: &str, msg: impl Into<String>) {
        if !self.reported(pos, path, Severity::Warning) {
            self.r.warning(pos, path, msg);
        }
    }

    /// An error at `pos` and `path`, unless one is there already.
    pub(super) fn error_once(&mut self, pos: Pos, path: &str, msg: String, hint: &str) {
        if !self.reported(pos, path, Severity::Error) {
            self.err_hint(pos, path, msg, hint);
        }
    }

    fn reported(&self, pos: Pos, path: &str, severity: Severity) -> bool {
        self.r
            .diags
            .items
            .iter()
            .any(|d| d.pos == Some(pos) && d.path == path && d.severity == severity)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::model::{DEFAULT_EPHEMERAL_STORAGE, Function, Tracing, Vpc};
    use crate::config::validate::test_support::{at, error, outcome_in, valid, warning};

    /// A config whose `$default` route has an inline function with
    /// `settings` (YAML at the function's indentation, 6 spaces).
    fn inline(settings: &str) -> String {
        format!(
            "app: demo\nroutes:\n  $default:\n    function:\n      handler: src/handler.message\n{settings}"
        )
    }

    fn function(settings: &str) -> Function {
        valid(&inline(settings)).functions["default"].clone()
    }

    #[test]
    fn a_function_without_settings_gets_the_defaults() {
        let f = function("");
        assert_eq!(f.description, None);
        assert_eq!(f.reserved_concurrency, None);
        assert_eq!(f.provisioned_concurrency, None);
        assert_eq!(f.tracing, Tracing::PassThrough);
        assert_eq!(f.ephemeral_storage, DEFAULT_EPHEMERAL_STORAGE);
        assert_eq!(f.ephemeral_storage, 512);
        assert_eq!(f.kms_key_arn, None);
        assert_eq!(f.vpc, None);
        assert!(f.managed_policies.is_empty());
        assert_eq!(f.permissions_boundary, None);
        assert_eq!(f.role, None);
    }

    #[test]
    fn every_setting_is_read_into_the_function() {
        let f = function(
            "      description: Chat handlers\n      reservedConcurrency: 50\n      provisionedConcurrency: 2\n      tracing: active\n      ephemeralStorage: 1024\n      kmsKeyArn: arn:aws:kms:us-east-1:123456789012:key/abcd\n      managedPolicies: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]\n      permissionsBoundary: arn:aws:iam::123456789012:policy/boundary\n",
        );
        assert_eq!(f.description.as_deref(), Some("Chat handlers"));
        assert_eq!(f.reserved_concurrency, Some(50));
        assert_eq!(f.provisioned_concurrency, Some(2));
        assert_eq!(f.tracing, Tracing::Active);
        assert_eq!(f.ephemeral_storage, 1024);
        assert_eq!(
            f.kms_key_arn.as_deref(),
            Some("arn:aws:kms:us-east-1:123456789012:key/abcd")
        );
        assert_eq!(
            f.managed_policies,
            ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
        );
        assert_eq!(
            f.permissions_boundary.as_deref(),
            Some("arn:aws:iam::123456789012:policy/boundary")
        );
    }

    #[test]
    fn settings_are_read_wherever_a_function_is_written() {
        let yaml = "app: demo\ndefaults:\n  function:\n    ephemeralStorage: 600\nfunctions:\n  ws:\n    handler: src/handler.message\n    ephemeralStorage: 700\nroutes:\n  $default: ws\n  $connect:\n    function:\n      handler: src/handler.connect\n      ephemeralStorage: 800\n  $disconnect: src/handler.disconnect\nauthorizer:\n  function:\n    handler: src/handler.auth\n    ephemeralStorage: 900\n";
        let c = valid(yaml);
        let tmp = |f: &str| c.functions[f].ephemeral_storage;
        assert_eq!(
            (
                tmp("ws"),
                tmp("connect"),
                tmp("disconnect"),
                tmp("authorizer")
            ),
            (700, 800, 600, 900)
        );
    }

    #[test]
    fn scalars_of_the_function_win_over_the_defaults() {
        let yaml = "app: demo\ndefaults:\n  function:\n    description: shared\n    tracing: active\n    reservedConcurrency: 10\n    kmsKeyArn: arn:aws:kms:us-east-1:123456789012:key/a\n    permissionsBoundary: arn:aws:iam::123456789012:policy/a\nroutes:\n  $default:\n    function:\n      handler: src/handler.message\n      description: own\n      tracing: passthrough\n      reservedConcurrency: 20\n      kmsKeyArn: arn:aws:kms:us-east-1:123456789012:key/b\n      permissionsBoundary: arn:aws:iam::123456789012:policy/b\n  $connect: src/handler.connect\n";
        let c = valid(yaml);
        let own = &c.functions["default"];
        assert_eq!(own.description.as_deref(), Some("own"));
        assert_eq!(own.tracing, Tracing::PassThrough);
        assert_eq!(own.reserved_concurrency, Some(20));
        assert!(own.kms_key_arn.as_deref().unwrap().ends_with("key/b"));
        assert!(
            own.permissions_boundary
                .as_deref()
                .unwrap()
                .ends_with("policy/b")
        );
        let inherited = &c.functions["connect"];
        assert_eq!(inherited.description.as_deref(), Some("shared"));
        assert_eq!(inherited.tracing, Tracing::Active);
        assert_eq!(inherited.reserved_concurrency, Some(10));
        assert!(inherited.kms_key_arn.as_deref().unwrap().ends_with("key/a"));
    }

    #[test]
    fn vpc_merges_key_by_key_and_managed_policies_concatenate() {
        let yaml = "app: demo\ndefaults:\n  function:\n    vpc: { subnetIds: [subnet-1, subnet-2], securityGroupIds: [sg-1] }\n    managedPolicies: [arn:aws:iam::aws:policy/A, arn:aws:iam::aws:policy/B]\nroutes:\n  $default:\n    function:\n      handler: src/handler.message\n      vpc: { securityGroupIds: [sg-2, sg-3] }\n      managedPolicies: [arn:aws:iam::aws:policy/B, arn:aws:iam::123456789012:policy/C]\n";
        let f = &valid(yaml).functions["default"];
        assert_eq!(
            f.vpc,
            Some(Vpc {
                subnet_ids: vec!["subnet-1".into(), "subnet-2".into()],
                security_group_ids: vec!["sg-2".into(), "sg-3".into()],
            })
        );
        assert_eq!(
            f.managed_policies,
            [
                "arn:aws:iam::aws:policy/A",
                "arn:aws:iam::aws:policy/B",
                "arn:aws:iam::123456789012:policy/C"
            ]
        );
    }

    #[test]
    fn the_description_has_at_most_256_characters() {
        let ok = format!("      description: {}\n", "é".repeat(256));
        assert_eq!(function(&ok).description.unwrap().chars().count(), 256);
        let e = error(&inline(&format!(
            "      description: {}\n",
            "d".repeat(257)
        )));
        assert_eq!(e.path, "routes.$default.function.description");
        assert_eq!(at(&e), (6, 20));
        assert_eq!(
            e.message,
            "the description is 257 characters; Lambda allows 256"
        );
    }

    #[test]
    fn reserved_concurrency_zero_is_valid_but_warned_about() {
        let yaml = inline("      reservedConcurrency: 0\n");
        assert_eq!(
            valid(&yaml).functions["default"].reserved_concurrency,
            Some(0)
        );
        let w = warning(&yaml);
        assert_eq!(w.path, "routes.$default.function.reservedConcurrency");
        assert_eq!(at(&w), (6, 28));
        assert!(
            w.message.contains("function `default`: it never runs"),
            "{}",
            w.message
        );
        // From the defaults: once, at the default, whatever the number of functions.
        let w = warning(
            "app: demo\ndefaults:\n  function:\n    reservedConcurrency: 0\nroutes:\n  $default: src/handler.message\n  $connect: src/handler.connect\n",
        );
        assert_eq!(w.path, "defaults.function.reservedConcurrency");
        assert!(
            w.message.contains("every function that takes it"),
            "{}",
            w.message
        );
        let e = error(&inline("      reservedConcurrency: -1\n"));
        assert_eq!(e.message, "reserved concurrency -1 is out of range");
        assert_eq!(at(&e), (6, 28));
    }

    #[test]
    fn provisioned_concurrency_is_at_least_one_and_within_the_reserved() {
        assert_eq!(
            function("      provisionedConcurrency: 1\n").provisioned_concurrency,
            Some(1)
        );
        let e = error(&inline("      provisionedConcurrency: 0\n"));
        assert_eq!(e.message, "provisioned concurrency 0 is out of range");
        let both = "      reservedConcurrency: 5\n      provisionedConcurrency: 5\n";
        assert_eq!(function(both).provisioned_concurrency, Some(5));
        let e = error(&inline(
            "      reservedConcurrency: 5\n      provisionedConcurrency: 6\n",
        ));
        assert_eq!(e.path, "routes.$default.function.provisionedConcurrency");
        assert_eq!(at(&e), (7, 31));
        assert_eq!(
            e.message,
            "provisioned concurrency 6 is more than the reserved concurrency 5 of function `default`"
        );
        assert!(e.hint.unwrap().starts_with("AWS refuses"));
        // Reserved from the defaults, provisioned the function's own: at its own.
        let yaml = "app: demo\ndefaults:\n  function:\n    reservedConcurrency: 3\nroutes:\n  $default:\n    function:\n      handler: src/handler.message\n      provisionedConcurrency: 4\n";
        assert_eq!(
            error(yaml).path,
            "routes.$default.function.provisionedConcurrency"
        );
        // Provisioned from the defaults, reserved the function's own: at the reserved.
        let yaml = "app: demo\ndefaults:\n  function:\n    provisionedConcurrency: 4\nroutes:\n  $default:\n    function:\n      handler: src/handler.message\n      reservedConcurrency: 3\n";
        assert_eq!(
            error(yaml).path,
            "routes.$default.function.reservedConcurrency"
        );
        // Both from the defaults: once, at the default.
        let yaml = "app: demo\ndefaults:\n  function:\n    reservedConcurrency: 3\n    provisionedConcurrency: 4\nroutes:\n  $default: src/handler.message\n  $connect: src/handler.connect\n";
        assert_eq!(error(yaml).path, "defaults.function.provisionedConcurrency");
    }

    #[test]
    fn ephemeral_storage_is_512_to_10240_mb() {
        for ok in [512, 10240] {
            let f = function(&format!("      ephemeralStorage: {ok}\n"));
            assert_eq!(f.ephemeral_storage, ok);
        }
        for bad in [511, 10241] {
            let e = error(&inline(&format!("      ephemeralStorage: {bad}\n")));
            assert_eq!(
                e.message,
                format!("ephemeral storage {bad} MB is out of range")
            );
            assert_eq!(
                e.hint.as_deref(),
                Some("Lambda allows 512 to 10240 MB of `/tmp`")
            );
        }
    }

    #[test]
    fn tracing_is_active_or_passthrough() {
        assert_eq!(
            function("      tracing: passthrough\n").tracing,
            Tracing::PassThrough
        );
        let e = error(&inline("      tracing: Active\n"));
        assert_eq!(e.path, "routes.$default.function.tracing");
        assert_eq!(e.hint.as_deref(), Some("did you mean `active`?"));
        let e = error(&inline("      tracing: pass_through\n"));
        assert_eq!(e.hint.as_deref(), Some("did you mean `passthrough`?"));
    }

    #[test]
    fn the_kms_key_is_a_key_arn_in_the_functions_region() {
        let e = error(&inline(
            "      kmsKeyArn: arn:aws:kms:us-east-1:123456789012:alias/mine\n",
        ));
        assert_eq!(
            e.message,
            "a KMS alias cannot encrypt a function's environment"
        );
        assert_eq!(at(&e), (6, 18));
        let e = error(&inline("      kmsKeyArn: my-key\n"));
        assert_eq!(e.message, "`my-key` is not a KMS key ARN");
        let other = inline("      kmsKeyArn: arn:aws:kms:eu-west-1:123456789012:key/abcd\n");
        let e = error(&other);
        assert_eq!(
            e.message,
            "the KMS key is in `eu-west-1`, but the function is in `us-east-1`"
        );
        // With no region known, it cannot be compared.
        let o = outcome_in(&other, None, "");
        assert!(o.errors.is_empty(), "{:#?}", o.errors);
    }

    #[test]
    fn policies_and_the_boundary_are_managed_policy_arns() {
        let e = error(&inline("      managedPolicies: [AmazonS3ReadOnlyAccess]\n"));
        assert_eq!(e.path, "routes.$default.function.managedPolicies[0]");
        assert_eq!(
            e.message,
            "`AmazonS3ReadOnlyAccess` is not a managed policy ARN"
        );
        let e = error(&inline(
            "      permissionsBoundary: arn:aws:iam::123456789012:role/boundary\n",
        ));
        assert_eq!(e.path, "routes.$default.function.permissionsBoundary");
        let e = error(&inline("      role: arn:aws:iam::123456789012:policy/x\n"));
        assert_eq!(e.path, "routes.$default.function.role");
        assert_eq!(
            e.message,
            "`arn:aws:iam::123456789012:policy/x` is not an IAM role ARN"
        );
        let many: Vec<String> = (0..21)
            .map(|i| format!("arn:aws:iam::aws:policy/P{i}"))
            .collect();
        let e = error(&inline(&format!(
            "      managedPolicies: [{}]\n",
            many.join(", ")
        )));
        assert_eq!(
            e.message,
            "function `default` has 21 managed policies; IAM attaches at most 20 to a role"
        );
    }

    #[test]
    fn interpolated_settings_are_never_quoted() {
        let cases = [
            (
                "kmsKeyArn: ${env:SECRET}",
                "arn:aws:kms:eu-west-9:123456789012:alias/secretname",
                &["secretname"][..],
            ),
            (
                "kmsKeyArn: ${env:SECRET}",
                "arn:aws:kms:eu-west-9:123456789012:key/secretkey",
                &["eu-west-9", "secretkey"],
            ),
            (
                "kmsKeyArn: ${env:SECRET}",
                "secretkmskey",
                &["secretkmskey"],
            ),
            (
                "role: ${env:SECRET}",
                "secret-role-name",
                &["secret-role-name"],
            ),
            ("ephemeralStorage: ${env:SECRET}", "99999", &["99999"]),
            ("reservedConcurrency: ${env:SECRET}", "-4242", &["4242"]),
            (
                "managedPolicies: [\"${env:SECRET}\"]",
                "secret-policy",
                &["secret-policy"],
            ),
        ];
        for (setting, value, secrets) in cases {
            let yaml = inline(&format!("      {setting}\n"));
            let o = outcome_in(&yaml, Some("us-east-1"), value);
            assert_eq!(o.errors.len(), 1, "{yaml}: {:#?}", o.errors);
            let e = &o.errors[0];
            let text = format!("{} {}", e.message, e.hint.as_deref().unwrap_or(""));
            for secret in secrets {
                assert!(!text.contains(secret), "{yaml}: {text}");
            }
        }
    }
}
