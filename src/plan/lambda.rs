//! Planning the Lambda functions: their configuration and tags, their code
//! (with the architecture, which UpdateFunctionCode sets), and the invoke
//! permissions in their resource policies.

use std::collections::BTreeMap;

use crate::names::own_function;
use crate::state::{Function, Live, Permission, State};

use super::diff::{action, change, diff_map, tag_changes};
use super::{Action, Change, Field, Op, Resource};

/// A package as the plan shows it: the start of its SHA-256 and its size.
fn code_text(sha: &str, size: Option<u64>) -> String {
    let short: String = sha
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    match size {
        Some(s) => format!("{short} ({})", human_size(s)),
        None => short,
    }
}

pub fn human_size(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

pub(super) fn plan_functions(desired: &State, observed: &State, out: &mut Vec<Action>) {
    for (name, want) in &desired.functions {
        let Some(have) = observed.functions.get(name) else {
            out.push(action(
                Op::Create,
                Resource::Function(name.clone()),
                vec![Change {
                    field: Field::Code,
                    old: None,
                    new: Some(code_text(&want.code_sha256, want.code_size)),
                    sensitive: false,
                }],
            ));
            plan_alias(name, want.live.as_ref(), None, true, out);
            continue;
        };
        let changes = configuration_changes(have, want);
        // What a published version freezes changes: the alias needs a new
        // one.
        let frozen = changes
            .iter()
            .any(|c| !matches!(c.field, Field::Tag(_) | Field::ReservedConcurrency));
        if !changes.is_empty() {
            out.push(action(
                Op::Update,
                Resource::Function(name.clone()),
                changes,
            ));
        }
        let code = code_changes(have, want);
        let publish = frozen || !code.is_empty();
        if !code.is_empty() {
            out.push(action(
                Op::Update,
                Resource::FunctionCode(name.clone()),
                code,
            ));
        }
        plan_alias(name, want.live.as_ref(), have.live.as_ref(), publish, out);
    }
    for name in observed
        .functions
        .keys()
        .filter(|n| !desired.functions.contains_key(*n))
    {
        out.push(action(Op::Delete, Resource::Function(name.clone()), vec![]));
    }
}

/// The alias `live` of a function that stays: made with its first
/// version, moved to a new version when `publish` (the code or a frozen
/// setting changes) or when it is behind `$LATEST`, its provisioned
/// concurrency set; removed when the config wants none.
fn plan_alias(
    name: &str,
    want: Option<&Live>,
    have: Option<&Live>,
    publish: bool,
    out: &mut Vec<Action>,
) {
    let r = Resource::Alias(name.to_owned());
    let provisioned = |l: Option<&Live>| l.map(|l| l.provisioned.to_string());
    match (want, have) {
        (Some(w), None) => out.push(action(
            Op::Create,
            r,
            change(Field::ProvisionedConcurrency, None, provisioned(Some(w)))
                .into_iter()
                .collect(),
        )),
        (Some(w), Some(h)) => {
            let mut changes = Vec::new();
            if publish || !h.current {
                let old = if h.current {
                    "current"
                } else {
                    "behind $LATEST"
                };
                changes.extend(change(
                    Field::Version,
                    Some(old.to_owned()),
                    Some("new version".to_owned()),
                ));
            }
            changes.extend(change(
                Field::ProvisionedConcurrency,
                provisioned(Some(h)),
                provisioned(Some(w)),
            ));
            if !changes.is_empty() {
                out.push(action(Op::Update, r, changes));
            }
        }
        (None, Some(_)) => out.push(action(Op::Delete, r, vec![])),
        (None, None) => {}
    }
}

/// How a field's value is read off a function, as the plan shows it.
type Reader = fn(&Function) -> Option<String>;

/// A VPC configuration as the plan shows it.
fn vpc_text(f: &Function) -> Option<String> {
    f.vpc.as_ref().map(|v| {
        let ids = |s: &std::collections::BTreeSet<String>| {
            s.iter().cloned().collect::<Vec<_>>().join(", ")
        };
        format!(
            "subnets {}; security groups {}",
            ids(&v.subnet_ids),
            ids(&v.security_group_ids)
        )
    })
}

/// What UpdateFunctionConfiguration sets, reserved concurrency, and the
/// tags.
fn configuration_changes(have: &Function, want: &Function) -> Vec<Change> {
    // Each field and how to read it; the order is the plan's.
    let fields: [(Field, Reader); 15] = [
        (Field::Runtime, |f| Some(f.runtime.clone())),
        (Field::Handler, |f| Some(f.handler.clone())),
        (Field::Role, |f| {
            Some(f.role_arn.clone().unwrap_or_else(|| f.role.clone()))
        }),
        (Field::MemorySize, |f| Some(f.memory_size.to_string())),
        (Field::Timeout, |f| Some(f.timeout.to_string())),
        (Field::Layers, |f| Some(f.layers.join(", "))),
        (Field::LogFormat, |f| Some(f.log_format.clone())),
        (Field::LogLevel, |f| f.log_level.clone()),
        (Field::LogGroup, |f| f.log_group.clone()),
        (Field::Description, |f| Some(f.description.clone())),
        (Field::Tracing, |f| Some(f.tracing.clone())),
        (Field::EphemeralStorage, |f| {
            Some(f.ephemeral_storage.to_string())
        }),
        (Field::KmsKeyArn, |f| f.kms_key_arn.clone()),
        (Field::Vpc, vpc_text),
        (Field::ReservedConcurrency, |f| {
            f.reserved_concurrency.map(|n| n.to_string())
        }),
    ];
    let mut changes: Vec<Change> = fields
        .into_iter()
        .filter_map(|(field, get)| change(field, get(have), get(want)))
        .collect();
    diff_map(
        |k| Field::Environment(k.to_owned()),
        &have.environment,
        &want.environment,
        &mut changes,
    );
    tag_changes(&have.tags, &want.tags, &mut changes);
    changes
}

/// What UpdateFunctionCode sets: the package and the architecture.
fn code_changes(have: &Function, want: &Function) -> Vec<Change> {
    let mut code = Vec::new();
    if have.code_sha256 != want.code_sha256 {
        code.push(Change {
            field: Field::Code,
            old: Some(code_text(&have.code_sha256, have.code_size)),
            new: Some(code_text(&want.code_sha256, want.code_size)),
            sensitive: false,
        });
    }
    code.extend(change(
        Field::Architecture,
        Some(have.architecture.clone()),
        Some(want.architecture.clone()),
    ));
    code
}

pub(super) fn plan_permissions(desired: &State, observed: &State, out: &mut Vec<Action>) {
    let empty = BTreeMap::new();
    for (func, want_all) in &desired.permissions {
        let have_all = observed.permissions.get(func).unwrap_or(&empty);
        for (sid, want) in want_all {
            let r = Resource::Permission(func.clone(), sid.clone());
            match have_all.get(sid) {
                None => out.push(action(Op::Create, r, vec![])),
                // A statement cannot be changed: it is replaced.
                Some(have) if have != want => {
                    out.push(action(Op::Replace, r, permission_changes(have, want)));
                }
                Some(_) => {}
            }
        }
    }
    for (func, have_all) in &observed.permissions {
        // A function of ours being deleted takes its policies with it
        // (an external function's statements are always taken out).
        let deleted = own_function(func).is_some_and(|f| {
            observed.functions.contains_key(f) && !desired.functions.contains_key(f)
        });
        if deleted {
            continue;
        }
        let want_all = desired.permissions.get(func).unwrap_or(&empty);
        for sid in have_all.keys().filter(|s| !want_all.contains_key(*s)) {
            out.push(action(
                Op::Delete,
                Resource::Permission(func.clone(), sid.clone()),
                vec![],
            ));
        }
    }
}

fn permission_changes(have: &Permission, want: &Permission) -> Vec<Change> {
    let mut c = Vec::new();
    c.extend(change(
        Field::SourceArn,
        Some(have.source_arn.clone()),
        Some(want.source_arn.clone()),
    ));
    c.extend(change(
        Field::Principal,
        Some(have.principal.clone()),
        Some(want.principal.clone()),
    ));
    c.extend(change(
        Field::Action,
        Some(have.action.clone()),
        Some(want.action.clone()),
    ));
    c.extend(change(
        Field::SourceAccount,
        have.source_account.clone(),
        want.source_account.clone(),
    ));
    c
}
