//! What apply did, for people (failures with hints, what did not start)
//! and for programs (the `result` object of `deploy` and `remove`).

use std::fmt::Write as _;

use serde_json::json;

use crate::aws::apply::Report;

pub fn json(report: &Report) -> serde_json::Value {
    json!({
        "done": report.done.len(),
        "failed": report.failed.iter().map(|(a, e)| json!({
            "op": a.op, "kind": a.resource.kind(), "name": a.resource.name(),
            "operation": e.operation, "code": e.code, "message": e.message, "hint": e.hint,
        })).collect::<Vec<_>>(),
        "notStarted": report.skipped.iter().map(|a| json!({"op": a.op, "kind": a.resource.kind(), "name": a.resource.name()})).collect::<Vec<_>>(),
        "interrupted": report.interrupted,
    })
}

/// The failures and what did not start, then `<what> N actions in T s`
/// when everything went through.
pub fn text(report: &Report, what: &str, took: std::time::Duration) -> String {
    let mut s = String::new();
    for (a, e) in &report.failed {
        let _ = writeln!(s, "error: {} {}: {e}", a.resource.kind(), a.resource.name());
        if let Some(h) = &e.hint {
            let _ = writeln!(s, "  hint: {h}");
        }
    }
    if !report.skipped.is_empty() {
        let _ = writeln!(
            s,
            "{} of {} actions done; not started: {}",
            report.done.len(),
            report.done.len() + report.failed.len() + report.skipped.len(),
            report
                .skipped
                .iter()
                .map(|a| format!("{} {}", a.resource.kind(), a.resource.name()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(
            s,
            "  hint: run the command again: it picks up from what is live"
        );
    }
    if report.ok() {
        let _ = writeln!(
            s,
            "{what} {} actions in {:.1} s",
            report.done.len(),
            took.as_secs_f64()
        );
    }
    s
}
