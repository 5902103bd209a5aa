//! A plan for people (`+` / `~` / `-` / `±` lines with per-field changes,
//! `!` lines under what widens IAM, and a summary) and for programs (a
//! stable JSON document, described in docs/commands.md).
//!
//! Sensitive values (environment variables) are shown as `(sensitive)`:
//! that a value changed, never what it was or becomes. So is any field
//! whose old or new value holds a secret read from SSM (`secrets`): when a
//! parameter changes, the live value still holds the one it replaces,
//! which this run did not read and could not mask on its own.

use std::fmt::Write as _;

use serde_json::json;

use super::secrets;
use crate::plan::{Change, Op, Plan};

const SENSITIVE: &str = "(sensitive)";

fn sigil(op: Op) -> &'static str {
    match op {
        Op::Create => "+",
        Op::Update => "~",
        Op::Replace => "±",
        Op::Delete => "-",
    }
}

/// An environment variable, or a field whose old or new value holds a
/// secret.
fn is_sensitive(c: &Change) -> bool {
    c.sensitive
        || [&c.old, &c.new]
            .into_iter()
            .flatten()
            .any(|v| secrets::holds(v))
}

fn value(v: &Option<String>, sensitive: bool) -> String {
    match v {
        None => "(none)".to_owned(),
        Some(_) if sensitive => SENSITIVE.to_owned(),
        Some(s) if s.is_empty() => "\"\"".to_owned(),
        Some(s) => {
            // Masked before the cut, which would leave part of a long
            // secret that no later mask recognises.
            let s = secrets::mask_value(s);
            let one_line: String = s.chars().take(120).collect();
            if s.chars().count() > 120 {
                format!("{one_line}…")
            } else {
                one_line
            }
        }
    }
}

/// The plan as text, one resource a line, changes indented under it.
pub fn text(plan: &Plan) -> String {
    let mut out = String::new();
    if plan.is_empty() {
        out.push_str("No changes: live state matches the config.\n");
        return out;
    }
    for a in &plan.actions {
        let _ = write!(
            out,
            "  {} {} {}",
            sigil(a.op),
            a.resource.kind(),
            a.resource.name()
        );
        if let Some(r) = &a.reason {
            let _ = write!(out, " ({r})");
        }
        out.push('\n');
        for c in &a.changes {
            let sensitive = is_sensitive(c);
            let _ = match (&c.old, &c.new) {
                (None, Some(_)) if a.op == Op::Create => {
                    writeln!(out, "      {}: {}", c.field, value(&c.new, sensitive))
                }
                _ => writeln!(
                    out,
                    "      {}: {} -> {}",
                    c.field,
                    value(&c.old, sensitive),
                    value(&c.new, sensitive)
                ),
            };
        }
        for w in &a.widens {
            let _ = writeln!(out, "      ! widens IAM: {}", secrets::mask(w));
        }
    }
    let s = plan.summary();
    let _ = writeln!(
        out,
        "Plan: {} to create, {} to update, {} to replace, {} to delete.",
        s.create, s.update, s.replace, s.delete
    );
    match plan.widening() {
        0 => {}
        1 => out
            .push_str("IAM: 1 change widens permissions (marked !): review it before applying.\n"),
        n => {
            let _ = writeln!(
                out,
                "IAM: {n} changes widen permissions (marked !): review them before applying."
            );
        }
    }
    out
}

/// The plan as JSON. Field `version` changes only with breaking changes.
pub fn json(plan: &Plan) -> serde_json::Value {
    let actions: Vec<serde_json::Value> = plan
        .actions
        .iter()
        .map(|a| {
            json!({
                "op": a.op,
                "kind": a.resource.kind(),
                "name": a.resource.name(),
                "reason": a.reason,
                "widensIam": a.widens.iter().map(|w| secrets::mask(w)).collect::<Vec<_>>(),
                "changes": a.changes.iter().map(|c| {
                    let sensitive = is_sensitive(c);
                    json!({
                        "field": c.field,
                        "old": if sensitive { c.old.as_ref().map(|_| SENSITIVE.to_owned()) } else { c.old.clone() },
                        "new": if sensitive { c.new.as_ref().map(|_| SENSITIVE.to_owned()) } else { c.new.clone() },
                        "sensitive": sensitive,
                    })
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "version": 1,
        "changes": !plan.is_empty(),
        "summary": plan.summary(),
        "iamWidening": plan.widening(),
        "actions": actions,
    })
}
