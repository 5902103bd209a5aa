//! Planning the CloudWatch Logs groups wsdeploy creates: the stage's
//! access-log group and each function's `/aws/lambda/<function>` group,
//! their retention and tags. An untagged group the observer found ours to
//! adopt plans as an update that adds the tags.

use std::collections::BTreeSet;

use crate::state::{LogGroup, State, TAG_APP};

use super::diff::{action, change, tag_changes};
use super::{Action, Field, Op, Resource};

/// The function log groups: one per function, by group name.
pub(super) fn plan_function_log_groups(desired: &State, observed: &State, out: &mut Vec<Action>) {
    let names: BTreeSet<&String> = desired
        .function_log_groups
        .keys()
        .chain(observed.function_log_groups.keys())
        .collect();
    for name in names {
        plan_log_group(
            desired.function_log_groups.get(name),
            observed.function_log_groups.get(name),
            Resource::FunctionLogGroup,
            out,
        );
    }
}

/// One log group; `resource` makes its resource from its name.
pub(super) fn plan_log_group(
    want: Option<&LogGroup>,
    have: Option<&LogGroup>,
    resource: fn(String) -> Resource,
    out: &mut Vec<Action>,
) {
    match (want, have) {
        (Some(w), None) => out.push(action(Op::Create, resource(w.name.clone()), vec![])),
        (Some(w), Some(h)) => {
            let mut c = Vec::new();
            let days = |d: Option<i64>| {
                Some(d.map_or_else(|| "never expire".to_owned(), |d| format!("{d} days")))
            };
            c.extend(change(
                Field::Retention,
                days(h.retention_days),
                days(w.retention_days),
            ));
            tag_changes(&h.tags, &w.tags, &mut c);
            if !c.is_empty() {
                let mut a = action(Op::Update, resource(w.name.clone()), c);
                if !h.tags.contains_key(TAG_APP) {
                    a.reason = Some("adopted: it was made without wsdeploy's tags".to_owned());
                }
                out.push(a);
            }
        }
        (None, Some(h)) => out.push(action(Op::Delete, resource(h.name.clone()), vec![])),
        (None, None) => {}
    }
}
