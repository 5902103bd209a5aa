//! Apply: carries out a plan against AWS.
//!
//! Each action starts as soon as the actions it depends on are done (see
//! `plan::dependencies`), at most `CONCURRENCY` at a time for API Gateway
//! and as many for the other services: the roles are made while the API
//! is, and one function's chain does not wait for another's. Of the
//! actions ready at once, those that start the longest chains of waits
//! go first (`plan::chain_lengths`).
//! Actions on the same Lambda function run one after the other (parallel
//! AddPermission calls on one function can drop statements). A failed
//! action does not stop actions that do not depend on it, but nothing that
//! waits for it starts: every failure is reported, and since each action
//! is idempotent against observed state, running deploy again converges.
//!
//! Values come from desired state, rebuilt with the API's id as soon as the
//! API exists, so nothing is ever written with a placeholder. This file
//! holds the scheduling and the dispatch; one file per service carries out
//! its actions.

mod alias;
mod api;

pub use api::mark_stage;
mod certificate;
mod dns;
mod domain;
mod iam;
mod lambda;
mod logs;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};

use super::observe::LiveIds;
use super::{Aws, AwsError, RetryBudget};
use crate::build::Packages;
use crate::config::model::Config;
use crate::desired::{self, Context};
use crate::plan::{Action, Op, Plan, Resource, Waits, chain_lengths, dependencies};
use crate::state::State;

/// How many actions run at once in each pool (see `pool_of`).
pub const CONCURRENCY: usize = 8;

/// The pool an action runs in: 0 for API Gateway's, 1 for the rest (IAM,
/// Lambda, CloudWatch Logs, ACM, Route 53).
fn pool_of(r: &Resource) -> usize {
    match r {
        Resource::Api(_)
        | Resource::Integration(_)
        | Resource::Authorizer(_)
        | Resource::Route(_)
        | Resource::RouteResponse(_)
        | Resource::Stage(_)
        | Resource::Deployment(_)
        | Resource::DomainName(_)
        | Resource::ApiMapping(_) => 0,
        Resource::Role(_)
        | Resource::RolePolicy(..)
        | Resource::Function(_)
        | Resource::FunctionCode(_)
        | Resource::Alias(_)
        | Resource::Permission(..)
        | Resource::LogGroup(_)
        | Resource::FunctionLogGroup(_)
        | Resource::Certificate(_)
        | Resource::DnsRecords(_) => 1,
    }
}
/// The longest wait for a function to become Active or finish an update.
pub const LAMBDA_WAIT: Duration = Duration::from_secs(300);

/// Something happened: for progress output.
#[derive(Debug, Clone)]
pub enum Event {
    Started {
        op: Op,
        resource: Resource,
    },
    /// A long wait, with what is being waited for.
    Waiting {
        resource: Resource,
        message: String,
    },
    Done {
        op: Op,
        resource: Resource,
        elapsed: Duration,
    },
    Failed {
        op: Op,
        resource: Resource,
        error: AwsError,
    },
}

/// What was done and what was not.
#[derive(Debug, Default)]
pub struct Report {
    pub done: Vec<Action>,
    pub failed: Vec<(Action, AwsError)>,
    /// Not started: a previous phase failed or the run was interrupted.
    pub skipped: Vec<Action>,
    pub interrupted: bool,
    /// The API's id and endpoint after applying.
    pub api_id: Option<String>,
    pub api_endpoint: Option<String>,
    /// The stage and the record of the deployment made, for `mark_stage`.
    pub stage_marker: Option<(String, String)>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty() && !self.interrupted
    }
}

pub struct Applier<'a> {
    pub aws: &'a Aws,
    pub config: &'a Config,
    /// Observed state when the plan was made: the "before" of every update.
    pub observed: &'a State,
    /// Package by function name.
    pub packages: &'a Packages,
    pub budget: RetryBudget,
    /// The longest wait for ACM to issue a certificate.
    pub certificate_timeout: Duration,
    /// Set from outside (Ctrl-C): no new action starts once it is true.
    pub cancel: &'a AtomicBool,
    pub on_event: &'a (dyn Fn(Event) + Sync),
}

/// What the actions of one run share: the ids of what exists (growing as
/// actions create things) and desired state (rebuilt once the API exists).
struct Shared {
    ids: Mutex<LiveIds>,
    /// Shared, not copied: every action reads it.
    desired: Mutex<Arc<State>>,
}

impl Shared {
    /// Reads something from the live ids.
    fn id<T>(&self, read: impl FnOnce(&LiveIds) -> Option<T>) -> Option<T> {
        self.ids.lock().ok().and_then(|ids| read(&ids))
    }

    /// Records what an action created.
    fn record(&self, write: impl FnOnce(&mut LiveIds)) {
        if let Ok(mut ids) = self.ids.lock() {
            write(&mut ids);
        }
    }

    fn api_id(&self) -> Result<String, AwsError> {
        self.id(|i| i.api_id.clone()).ok_or_else(|| {
            AwsError::local("applying", "the API does not exist", "run deploy again")
        })
    }

    fn desired(&self) -> Arc<State> {
        self.desired.lock().map(|d| d.clone()).unwrap_or_default()
    }
}

/// Which actions have started and how those that ended went.
struct Schedule<'w> {
    waits: &'w [Waits],
    /// The longest chain of waits from each action.
    lengths: Vec<u32>,
    /// Each action's end: None while pending or running.
    ended: Vec<Option<bool>>,
    started: Vec<bool>,
    /// Every action before this index ended well.
    prefix_ok: usize,
    /// Actions in flight per pool: API Gateway's writes wait out its
    /// account quota (10 requests/s) and must not hold back the IAM and
    /// Lambda chains that feed them, nor the other way round.
    in_flight: [usize; 2],
}

impl Schedule<'_> {
    /// The actions that may start now, in the order their calls are to
    /// go out: the longest chains first (the calls sent together are
    /// answered in about the order they arrive when AWS is busy), then
    /// the earlier phase (the API, which most chains need, before the
    /// roles).
    fn start_ready(&mut self, actions: &[Action]) -> Vec<usize> {
        let mut candidates: Vec<usize> = (0..actions.len())
            .filter(|&i| {
                let w = &self.waits[i];
                !self.started[i]
                    && self.prefix_ok >= w.prefix
                    && w.on.iter().all(|&j| self.ended[j] == Some(true))
            })
            .collect();
        candidates.sort_by_key(|&i| (std::cmp::Reverse(self.lengths[i]), i));
        let mut ready = Vec::new();
        for i in candidates {
            if self.in_flight.iter().all(|&n| n >= CONCURRENCY) {
                break;
            }
            let pool = pool_of(&actions[i].resource);
            if self.in_flight[pool] >= CONCURRENCY {
                continue;
            }
            self.started[i] = true;
            self.in_flight[pool] += 1;
            ready.push(i);
        }
        ready
    }

    fn end(&mut self, actions: &[Action], i: usize, ok: bool) {
        self.in_flight[pool_of(&actions[i].resource)] -= 1;
        self.ended[i] = Some(ok);
        while self.prefix_ok < actions.len() && self.ended[self.prefix_ok] == Some(true) {
            self.prefix_ok += 1;
        }
    }
}

impl Applier<'_> {
    fn context(&self, api_id: Option<String>) -> Context {
        Context::new(&self.aws.place(), api_id, self.config, self.packages)
    }

    pub async fn apply(&self, plan: &Plan, ids: LiveIds) -> Report {
        let api_id = ids.api_id.clone();
        let shared = Shared {
            desired: Mutex::new(Arc::new(desired::build(self.config, &self.context(api_id)))),
            ids: Mutex::new(ids),
        };
        let mut report = Report::default();
        let actions = &plan.actions;
        let waits = dependencies(actions, &shared.desired(), self.observed);
        let mut schedule = Schedule {
            lengths: chain_lengths(&waits),
            waits: &waits,
            ended: vec![None; actions.len()],
            started: vec![false; actions.len()],
            prefix_ok: 0,
            in_flight: [0; 2],
        };
        let mut running = FuturesUnordered::new();
        loop {
            if !self.cancel.load(Ordering::SeqCst) {
                for i in schedule.start_ready(actions) {
                    let shared = &shared;
                    running.push(async move { (i, self.run_reported(&actions[i], shared).await) });
                }
            }
            let Some((i, r)) = running.next().await else {
                break;
            };
            schedule.end(actions, i, r.is_ok());
            match r {
                Ok(()) => report.done.push(actions[i].clone()),
                Err(e) => report.failed.push((actions[i].clone(), e)),
            }
        }
        // What never started: it waited for a failed action, or the run
        // was interrupted.
        report.skipped.extend(
            actions
                .iter()
                .zip(&schedule.started)
                .filter(|(_, s)| !**s)
                .map(|(a, _)| a.clone()),
        );
        report.interrupted |= self.cancel.load(Ordering::SeqCst);
        let ids = shared.ids.lock().map(|i| i.clone()).unwrap_or_default();
        report.api_id = ids.api_id;
        report.api_endpoint = ids.api_endpoint;
        report.stage_marker = ids.stage_marker;
        report
    }

    /// Runs one action, telling `on_event` when it starts and ends.
    async fn run_reported(&self, a: &Action, shared: &Shared) -> Result<(), AwsError> {
        (self.on_event)(Event::Started {
            op: a.op,
            resource: a.resource.clone(),
        });
        let start = Instant::now();
        let r = self.run(a, shared).await;
        match &r {
            Ok(()) => (self.on_event)(Event::Done {
                op: a.op,
                resource: a.resource.clone(),
                elapsed: start.elapsed(),
            }),
            Err(e) => (self.on_event)(Event::Failed {
                op: a.op,
                resource: a.resource.clone(),
                error: e.clone(),
            }),
        }
        r
    }

    /// Hands an action to the file of its service.
    async fn run(&self, a: &Action, shared: &Shared) -> Result<(), AwsError> {
        let want = shared.desired();
        match &a.resource {
            Resource::Api(_)
            | Resource::Integration(_)
            | Resource::Authorizer(_)
            | Resource::Route(_)
            | Resource::RouteResponse(_)
            | Resource::Stage(_)
            | Resource::Deployment(_) => self.run_api(a, &want, shared).await,
            Resource::Role(_) | Resource::RolePolicy(..) => self.run_iam(a, &want).await,
            Resource::Function(_) | Resource::FunctionCode(_) | Resource::Permission(..) => {
                self.run_lambda(a, &want, shared).await
            }
            Resource::Alias(n) => self.run_alias(a, &want, n).await,
            Resource::LogGroup(_) | Resource::FunctionLogGroup(_) => self.run_logs(a, &want).await,
            Resource::Certificate(_)
            | Resource::DomainName(_)
            | Resource::ApiMapping(_)
            | Resource::DnsRecords(_) => self.run_domain(a, &want, shared).await,
        }
    }
}
