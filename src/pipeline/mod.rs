//! The deploy pipeline: what `diff`, `deploy`, `remove`, `info` and
//! `unlock` do against AWS, without printing anything.
//!
//! connect → (build packages ∥ observe) → desired state → plan → lock →
//! read again and plan again → apply → release. What happens along the way
//! (waiting for a lock, a plan that changed, each action's progress) is
//! told to a `Reporter`; the commands decide how to show it.
//!
//! - `lock_free`: a plan that only uploads code is applied without the
//!   lock, by conditional uploads;
//! - `outputs`: the outputs of a deployed stage;
//! - `interrupt`: Ctrl-C and SIGTERM.

// Errors carry a whole AwsError (see aws/mod.rs): returned rarely, not
// worth boxing.
#![allow(clippy::result_large_err)]

pub mod interrupt;
pub mod lock_free;
pub mod outputs;

use std::time::Duration;

use crate::aws::apply::{Applier, Event, Report};
use crate::aws::lock::{self, Lock};
pub use crate::aws::observe::Depth;
use crate::aws::observe::{ApiHint, Foreign, Observed, api_hint, observe_to, still_nothing};
use crate::aws::{Aws, AwsError, ConnectOptions, RetryBudget};
use crate::build::{self, BuildError, Packages};
use crate::config::model::Config;
use crate::desired::{self, Context};
use crate::plan::{self, Plan};
use crate::state::State;

/// Flags shared by the AWS commands.
#[derive(Debug, Clone)]
pub struct Options {
    /// The longest wait for another run's lock.
    pub lock_timeout: Duration,
    pub connect: ConnectOptions,
    pub budget: RetryBudget,
    /// The longest wait for a certificate to be issued.
    pub certificate_timeout: Duration,
    /// `remove --keep-logs`: leave the access-log group and the functions'
    /// log groups.
    pub keep_logs: bool,
}

/// Why the pipeline stopped before applying.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(
        "resources with the names wsdeploy would use are not wsdeploy's, so it will not touch them"
    )]
    Foreign(Vec<Foreign>),
    #[error(transparent)]
    Build(#[from] BuildError),
}

/// What happened that is worth telling (besides apply's events).
#[derive(Debug)]
pub enum Note {
    /// A wait for the lock, or a lock taken over.
    Lock(String),
    /// Live state changed between planning and taking the lock.
    Replanned(Plan),
    /// The lock-free upload was refused; the run takes the lock.
    LockFreeRefused {
        /// A function changed since it was read (rather than a refusal
        /// for now: throttled, an update in progress).
        changed: bool,
    },
    /// Applying starts: `total` actions.
    Applying { total: usize, lock_free: bool },
    /// Applying ended.
    Applied,
    /// The lock could not be released (the run's work is done).
    ReleaseFailed(AwsError),
    /// A function's package is ready.
    Built(build::Built),
}

/// Told what happens while the pipeline runs.
pub trait Reporter: Sync {
    fn note(&self, note: Note);
    fn event(&self, event: Event);
}

/// Everything up to a plan.
pub struct Planned {
    pub aws: Aws,
    pub observed: Observed,
    pub packages: Packages,
    pub desired: State,
    pub plan: Plan,
}

/// The clients, not yet identified (`logs` identifies alongside its
/// first reads).
pub async fn clients(config: &Config, opts: &Options) -> Result<Aws, AwsError> {
    let mut c = opts.connect.clone();
    if c.region.is_none() {
        c.region = config.region.clone();
    }
    Aws::connect(&c).await
}

/// The clients, with the account identified.
pub async fn connect(config: &Config, opts: &Options) -> Result<Aws, Error> {
    let mut aws = clients(config, opts).await?;
    aws.identify().await?;
    Ok(aws)
}

/// Connects and reads live state, asking STS for the account in the same
/// round as the first reads (observing needs no account id).
pub async fn connect_observe(
    config: &Config,
    opts: &Options,
    depth: Depth,
) -> Result<(Aws, Observed), Error> {
    let mut aws = clients(config, opts).await?;
    let reader = aws.clone();
    let (who, observed) = tokio::join!(aws.identify(), observe_to(&reader, config, depth, None));
    // A credentials problem explains a failed read better than the read.
    who?;
    Ok((aws, observed?))
}

/// Builds the packages while reading live state, then plans.
pub async fn plan_deploy(
    config: &Config,
    opts: &Options,
    reporter: &dyn Reporter,
) -> Result<Planned, Error> {
    // The builds run on other threads: what they tell goes through a
    // channel to this one.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let on_built: std::sync::Arc<build::OnBuilt> = std::sync::Arc::new(move |b| {
        let _ = tx.send(b);
    });
    let building = build::packages(config, on_built);
    let telling = async {
        while let Some(b) = rx.recv().await {
            reporter.note(Note::Built(b));
        }
    };
    let ((packages, ()), observed) = tokio::join!(
        async { tokio::join!(building, telling) },
        connect_observe(config, opts, Depth::Full)
    );
    let packages = packages?;
    let (aws, observed) = observed?;
    replan(aws, config, packages, observed)
}

/// Plans a deploy from what was read; foreign resources in the way stop it.
fn replan(
    aws: Aws,
    config: &Config,
    packages: Packages,
    observed: Observed,
) -> Result<Planned, Error> {
    if !observed.foreign.is_empty() {
        return Err(Error::Foreign(observed.foreign));
    }
    let ctx = Context::new(&aws.place(), observed.ids.api_id.clone(), config, &packages);
    let desired = desired::build(config, &ctx);
    let plan = plan::plan(&desired, &observed.state);
    Ok(Planned {
        aws,
        observed,
        packages,
        desired,
        plan,
    })
}

/// Reads live state and plans its removal. Foreign resources are simply
/// left alone.
pub async fn plan_remove(config: &Config, opts: &Options) -> Result<Planned, Error> {
    let (aws, observed) = connect_observe(config, opts, Depth::Removal).await?;
    Ok(removal(aws, observed, opts.keep_logs))
}

fn removal(aws: Aws, observed: Observed, keep_logs: bool) -> Planned {
    let mut plan = plan::plan(&State::default(), &observed.state);
    if keep_logs {
        plan.actions.retain(|a| {
            !matches!(
                a.resource,
                plan::Resource::LogGroup(_) | plan::Resource::FunctionLogGroup(_)
            )
        });
    }
    Planned {
        aws,
        observed,
        packages: Packages::new(),
        desired: State::default(),
        plan,
    }
}

/// Applies a deploy's plan: without the lock when it only uploads code and
/// nothing is in the way, else under the lock.
pub async fn deploy(
    planned: Planned,
    config: &Config,
    opts: &Options,
    reporter: &dyn Reporter,
) -> Result<(Planned, Report), Error> {
    if planned.plan.is_empty() {
        return Ok((planned, Report::default()));
    }
    match lock_free::apply_code(planned, config, opts, reporter).await {
        lock_free::Outcome::Done(planned, report) => Ok((*planned, report)),
        lock_free::Outcome::NeedsLock(planned) => {
            let make = |aws, o, packages| replan(aws, config, packages, o);
            locked(
                *planned,
                config,
                opts,
                reporter,
                (Depth::Full, "deploy"),
                make,
            )
            .await
        }
    }
}

/// Applies a removal under the lock, read again there (a person was
/// asked in between).
pub async fn remove(
    planned: Planned,
    config: &Config,
    opts: &Options,
    reporter: &dyn Reporter,
) -> Result<(Planned, Report), Error> {
    let keep_logs = opts.keep_logs;
    let make = |aws, o, _| Ok(removal(aws, o, keep_logs));
    locked(
        planned,
        config,
        opts,
        reporter,
        (Depth::Removal, "remove"),
        make,
    )
    .await
}

/// `remove --yes`: nobody is asked, so the run takes the lock first (while
/// STS says which account this is and the API is listed) and reads once,
/// under it: nothing can change between that read and the deletions, and
/// no second read is needed. The API listed before the lock is only a
/// hint: the read under the lock lists it again and keeps the lists read
/// with the hint only when it names the same API. `show` is handed the
/// plan before it is applied. When nothing is left to remove the lock is
/// released and the plan is empty.
pub async fn remove_at_once(
    config: &Config,
    opts: &Options,
    reporter: &dyn Reporter,
    show: &(dyn Fn(&Plan) + Sync),
) -> Result<(Planned, Report), Error> {
    let mut aws = clients(config, opts).await?;
    let taker = aws.clone();
    let (who, taken, hint) = tokio::join!(
        aws.identify(),
        lock::try_take(&taker, &config.app, &config.stage, "remove"),
        api_hint(&taker, config),
    );
    let lock = match (who, taken) {
        (Ok(()), Ok(Some(lock))) => lock,
        (Ok(()), Ok(None)) => take_lock(&aws, config, opts, reporter, "remove").await?,
        (Err(e), Ok(Some(lock))) => {
            release(lock, &aws, reporter).await;
            return Err(e.into());
        }
        (Err(e), _) | (_, Err(e)) => return Err(e.into()),
    };
    interrupt::writing();
    let planned = match observe_to(&aws, config, Depth::Removal, hint).await {
        Ok(o) => removal(aws.clone(), o, opts.keep_logs),
        Err(e) => {
            release(lock, &aws, reporter).await;
            return Err(e.into());
        }
    };
    if planned.plan.is_empty() {
        release(lock, &aws, reporter).await;
        return Ok((planned, Report::default()));
    }
    show(&planned.plan);
    let report = apply(&planned, config, opts, reporter, false).await;
    release(lock, &planned.aws, reporter).await;
    Ok((planned, report))
}

/// Takes the lock, telling the reporter what it waits for.
async fn take_lock(
    aws: &Aws,
    config: &Config,
    opts: &Options,
    reporter: &dyn Reporter,
    command: &str,
) -> Result<Lock, AwsError> {
    let notice = |m: String| reporter.note(Note::Lock(m));
    lock::acquire(
        aws,
        &config.app,
        &config.stage,
        command,
        opts.lock_timeout,
        &notice,
    )
    .await
}

/// The locked path: lock, read again (to `depth`; a removal with the API
/// first read as its hint) and plan again with `make_plan` (deploy's or
/// remove's: live state may have changed while this run planned or
/// waited), apply, release.
async fn locked(
    planned: Planned,
    config: &Config,
    opts: &Options,
    reporter: &dyn Reporter,
    (depth, command): (Depth, &str),
    make_plan: impl Fn(Aws, Observed, Packages) -> Result<Planned, Error>,
) -> Result<(Planned, Report), Error> {
    let aws = planned.aws.clone();
    let lock = take_lock(&aws, config, opts, reporter, command).await?;
    interrupt::writing();
    let again = match read_again(&aws, config, depth, &planned.observed).await {
        Ok(o) => make_plan(aws.clone(), o, planned.packages.clone()),
        Err(e) => Err(Error::Aws(e)),
    };
    let again = match again {
        Ok(p) => p,
        Err(e) => {
            release(lock, &aws, reporter).await;
            return Err(e);
        }
    };
    if again.plan != planned.plan {
        reporter.note(Note::Replanned(again.plan.clone()));
    }
    let report = apply(&again, config, opts, reporter, false).await;
    finish(lock, &again.aws, &report, opts, reporter).await;
    Ok((again, report))
}

/// The read under the lock: to `depth`, a removal with the API first read
/// as its hint; a first deploy whose first read found nothing confirms
/// that nothing appeared since (`still_nothing`, one round of four
/// listings) and reads everything only if something did.
async fn read_again(
    aws: &Aws,
    config: &Config,
    depth: Depth,
    first: &Observed,
) -> Result<Observed, AwsError> {
    if depth == Depth::Full && first.is_nothing() && still_nothing(aws, config).await? {
        return Ok(first.clone());
    }
    observe_to(aws, config, depth, ApiHint::of(first)).await
}

/// Releases the lock while the stage records the deployment just made (a
/// record that names its deployment needs no lock: see
/// `apply::mark_stage`; if it is not written the next read asks for the
/// deployment).
async fn finish(lock: Lock, aws: &Aws, report: &Report, opts: &Options, reporter: &dyn Reporter) {
    let (_, _marked) = tokio::join!(
        release(lock, aws, reporter),
        crate::aws::apply::mark_stage(aws, report, opts.budget)
    );
}

async fn release(lock: Lock, aws: &Aws, reporter: &dyn Reporter) {
    if let Err(e) = lock.release(aws).await {
        reporter.note(Note::ReleaseFailed(e));
    }
}

/// Applies a plan, telling the reporter as it goes.
async fn apply(
    planned: &Planned,
    config: &Config,
    opts: &Options,
    reporter: &dyn Reporter,
    lock_free: bool,
) -> Report {
    interrupt::writing();
    reporter.note(Note::Applying {
        total: planned.plan.actions.len(),
        lock_free,
    });
    let on_event = |e: Event| reporter.event(e);
    let applier = Applier {
        aws: &planned.aws,
        config,
        observed: &planned.observed.state,
        packages: &planned.packages,
        budget: opts.budget,
        certificate_timeout: opts.certificate_timeout,
        cancel: interrupt::cancel_flag(),
        on_event: &on_event,
    };
    let report = applier
        .apply(&planned.plan, planned.observed.ids.clone())
        .await;
    reporter.note(Note::Applied);
    report
}
