//! Planning the CloudWatch Logs group for the stage's access logs, when
//! wsdeploy creates one: its retention and tags.

use crate::state::LogGroup;

use super::diff::{action, change, tag_changes};
use super::{Action, Field, Op, Resource};

pub(super) fn plan_log_group(
    want: Option<&LogGroup>,
    have: Option<&LogGroup>,
    out: &mut Vec<Action>,
) {
    match (want, have) {
        (Some(w), None) => out.push(action(
            Op::Create,
            Resource::LogGroup(w.name.clone()),
            vec![],
        )),
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
                out.push(action(Op::Update, Resource::LogGroup(w.name.clone()), c));
            }
        }
        (None, Some(h)) => out.push(action(
            Op::Delete,
            Resource::LogGroup(h.name.clone()),
            vec![],
        )),
        (None, None) => {}
    }
}
