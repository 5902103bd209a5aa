//! Code-only deploys without the lock.
//!
//! A plan that only uploads code needs no lock: each upload is one call,
//! made conditional on the function's revision (Lambda's RevisionId), read
//! together with the lock state just before writing. If the lock is held,
//! or a function changed since it was read, or an upload is refused as
//! stale, the deploy takes the lock and plans again instead. So a handler
//! change costs one write, and a concurrent locked run is never written
//! under (docs/reliability.md §4 states the window this leaves).

use std::collections::BTreeMap;

use super::{Note, Options, Planned, Reporter, apply};
use crate::aws::apply::Report;
use crate::aws::lock;
use crate::aws::observe::revisions;
use crate::aws::{AwsError, ErrorKind};
use crate::config::model::Config;
use crate::plan::{Op, Plan, Resource};

/// Where a deploy with something to apply stands.
pub(super) enum Outcome {
    Done(Box<Planned>, Report),
    NeedsLock(Box<Planned>),
}

/// The functions of a plan that only uploads code to existing functions.
fn code_only(plan: &Plan) -> Option<Vec<String>> {
    plan.actions
        .iter()
        .map(|a| match (&a.resource, a.op) {
            (Resource::FunctionCode(f), Op::Update) => Some(f.clone()),
            _ => None,
        })
        .collect()
}

/// Applies a code-only plan by conditional uploads, or says the run needs
/// the lock.
pub(super) async fn apply_code(
    mut planned: Planned,
    config: &Config,
    opts: &Options,
    reporter: &dyn Reporter,
) -> Outcome {
    let Some(functions) = code_only(&planned.plan) else {
        return Outcome::NeedsLock(Box::new(planned));
    };
    let aws = &planned.aws;
    let (held, revisions) = tokio::join!(
        lock::is_held(aws, &config.app, &config.stage),
        revisions(aws, &functions)
    );
    let (Ok(false), Ok(revisions)) = (held, revisions) else {
        return Outcome::NeedsLock(Box::new(planned));
    };
    let mut conditional = BTreeMap::new();
    for f in &functions {
        let seen = planned.observed.state.functions.get(f);
        match (revisions.get(f).cloned().flatten(), seen) {
            (Some(r), Some(seen))
                if r.code_sha256 == seen.code_sha256 && !r.revision_id.is_empty() =>
            {
                conditional.insert(f.clone(), r.revision_id);
            }
            // Changed or gone since it was read, or no revision to make the
            // upload conditional on.
            _ => return Outcome::NeedsLock(Box::new(planned)),
        }
    }
    planned.observed.ids.code_revisions = conditional;
    let report = apply(&planned, config, opts, reporter, true).await;
    if let Some(e) = refusal(&report)
        && !report.interrupted
    {
        reporter.note(Note::LockFreeRefused {
            changed: e.kind == ErrorKind::Changed,
        });
        planned.observed.ids.code_revisions.clear();
        return Outcome::NeedsLock(Box::new(planned));
    }
    Outcome::Done(Box::new(planned), report)
}

/// A lock-free upload refused as stale (or its function gone), or refused
/// for now (throttled, an update in progress): the locked path reads again
/// and retries.
pub fn refused_for_now(e: &AwsError) -> bool {
    matches!(
        e.kind,
        ErrorKind::Changed | ErrorKind::NotFound | ErrorKind::Throttled | ErrorKind::Conflict
    )
}

/// The first refusal of a lock-free upload in a report, if any.
fn refusal(report: &Report) -> Option<&AwsError> {
    report
        .failed
        .iter()
        .map(|(_, e)| e)
        .find(|e| refused_for_now(e))
}
