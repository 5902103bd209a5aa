//! The building blocks of the per-family planners: an action, a change
//! when two values differ, and the per-key changes of a map (tags,
//! environment variables, stage variables). Every value the planner
//! compares goes through `change`.

use std::collections::{BTreeMap, BTreeSet};

use crate::state::Tags;

use super::{Action, Change, Field, Op, Resource};

/// An action without a reason.
pub(super) fn action(op: Op, resource: Resource, changes: Vec<Change>) -> Action {
    Action {
        op,
        resource,
        changes,
        reason: None,
        widens: Vec::new(),
    }
}

/// A change of `field`, when the values differ.
pub(super) fn change(field: Field, old: Option<String>, new: Option<String>) -> Option<Change> {
    (old != new).then(|| Change {
        sensitive: field.is_sensitive(),
        field,
        old,
        new,
    })
}

/// A change per key whose value differs, in key order.
pub(super) fn diff_map(
    field: impl Fn(&str) -> Field,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
    out: &mut Vec<Change>,
) {
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for k in keys {
        out.extend(change(field(k), old.get(k).cloned(), new.get(k).cloned()));
    }
}

/// The tags that change; the one place tags are compared.
pub(super) fn tag_changes(old: &Tags, new: &Tags, out: &mut Vec<Change>) {
    diff_map(|k| Field::Tag(k.to_owned()), old, new, out);
}

/// A JSON document as one line, for comparing and showing policies.
pub(super) fn json_text(v: &serde_json::Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}
