//! The commands that talk to AWS: `diff`, `deploy`, `remove` and `info`.
//!
//! Each is the same pipeline cut at a different point: load the config →
//! connect → (build packages ∥ observe) → desired state → plan → (apply)
//! → outputs. Output goes through the `Printer`: data on stdout, plan and
//! progress on stderr for `deploy` and `remove`, one JSON document with
//! `--output json`.

#![allow(clippy::result_large_err)] // see aws/mod.rs

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;

use crate::aws::apply::{Applier, Event, Report};
use crate::aws::observe::{Observed, observe};
use crate::aws::{Aws, AwsError, ConnectOptions, RetryBudget};
use crate::config::model::{Code, Config};
use crate::desired::{self, Context, management_endpoint};
use crate::output::{Format, Printer};
use crate::package::{self, Package};
use crate::plan::{self, Op, Plan, render};
use crate::state::State;

pub const EXIT_OK: u8 = 0;
pub const EXIT_ERROR: u8 = 1;
pub const EXIT_CHANGES: u8 = 2;
pub const EXIT_INTERRUPTED: u8 = 130;

/// The outputs of a deployed stage.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Outputs {
    pub url: String,
    pub management_endpoint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_domain_url: Option<String>,
    /// With external DNS: the name to point a CNAME at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_domain_target: Option<String>,
    /// Function ARN by route key.
    pub functions: BTreeMap<String, String>,
}

impl Outputs {
    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "url: {}", self.url);
        let _ = writeln!(s, "managementEndpoint: {}", self.management_endpoint);
        if let Some(d) = &self.custom_domain_url {
            let _ = writeln!(s, "customDomainUrl: {d}");
        }
        if let Some(t) = &self.custom_domain_target {
            let _ = writeln!(
                s,
                "customDomainTarget: {t}  (point a CNAME for the domain at it)"
            );
        }
        let _ = writeln!(s, "functions:");
        for (k, arn) in &self.functions {
            let _ = writeln!(s, "  {k}: {arn}");
        }
        s
    }
}

/// The outputs; `domain` is whether the custom domain is in place, and its
/// target name when DNS is external.
pub fn outputs(
    aws: &Aws,
    config: &Config,
    api_id: &str,
    domain: Option<Option<String>>,
) -> Outputs {
    let url = format!(
        "wss://{api_id}.execute-api.{}.amazonaws.com/{}",
        aws.region, config.stage
    );
    Outputs {
        url,
        management_endpoint: management_endpoint(api_id, &aws.region, &config.stage),
        custom_domain_url: config
            .domain
            .as_ref()
            .filter(|_| domain.is_some())
            .map(|d| match &d.path {
                Some(p) => format!("wss://{}/{p}", d.name),
                None => format!("wss://{}", d.name),
            }),
        custom_domain_target: domain.flatten(),
        functions: config
            .routes
            .iter()
            .filter_map(|(k, r)| {
                config
                    .functions
                    .get(&r.function)
                    .map(|f| (k.clone(), aws.function_arn(&f.function_name)))
            })
            .collect(),
    }
}

/// Flags shared by the AWS commands.
pub struct Options {
    /// The longest wait for another run's lock.
    pub lock_timeout: Duration,
    pub connect: ConnectOptions,
    pub budget: RetryBudget,
    /// The longest wait for a certificate to be issued.
    pub certificate_timeout: Duration,
    /// `remove --keep-logs`: leave the access-log group.
    pub keep_logs: bool,
}

/// A failure to report: an AWS error, or the config's own problems
/// (already printed).
pub enum Failure {
    Aws(AwsError),
    Foreign(Vec<crate::aws::observe::Foreign>),
    Message(String, Option<String>),
}

pub fn print_failure(printer: &Printer, f: &Failure) -> serde_json::Value {
    match f {
        Failure::Aws(e) => {
            let mut text = format!("error: {e}\n");
            if let Some(h) = &e.hint {
                let _ = writeln!(text, "  hint: {h}");
            }
            printer.message(&text);
            json!({"operation": e.operation, "resource": e.resource, "code": e.code, "message": e.message, "hint": e.hint})
        }
        Failure::Foreign(list) => {
            let mut text = String::from(
                "error: resources with the names wsdeploy would use are not wsdeploy's, so it will not touch them:\n",
            );
            for f in list {
                let _ = writeln!(text, "  {} `{}`: {}", f.kind, f.name, f.why);
            }
            text.push_str(
                "  hint: rename the app or stage, or delete or rename those resources yourself\n",
            );
            printer.message(&text);
            json!({"code": "ForeignResource", "message": "resources with wsdeploy's names are not wsdeploy's", "resources": list.iter().map(|f| json!({"kind": f.kind, "name": f.name, "why": f.why})).collect::<Vec<_>>()})
        }
        Failure::Message(m, hint) => {
            let mut text = format!("error: {m}\n");
            if let Some(h) = hint {
                let _ = writeln!(text, "  hint: {h}");
            }
            printer.message(&text);
            json!({"code": "wsdeploy", "message": m, "hint": hint})
        }
    }
}

/// Everything up to a plan.
pub struct Planned {
    pub aws: Aws,
    pub observed: Observed,
    pub packages: BTreeMap<String, Arc<Package>>,
    pub desired: State,
    pub plan: Plan,
}

/// The clients, not yet identified.
async fn clients(config: &Config, opts: &Options) -> Result<Aws, Failure> {
    let mut c = opts.connect.clone();
    if c.region.is_none() {
        c.region = config.region.clone();
    }
    Aws::connect(&c).await.map_err(Failure::Aws)
}

async fn connect(config: &Config, opts: &Options) -> Result<Aws, Failure> {
    let mut aws = clients(config, opts).await?;
    aws.identify().await.map_err(Failure::Aws)?;
    Ok(aws)
}

/// Connects and reads live state, asking STS for the account in the same
/// round as the first reads (observing needs no account id).
async fn connect_observe(config: &Config, opts: &Options) -> Result<(Aws, Observed), Failure> {
    let mut aws = clients(config, opts).await?;
    let reader = aws.clone();
    let (who, observed) = tokio::join!(aws.identify(), observe(&reader, config));
    // A credentials problem explains a failed read better than the read.
    who.map_err(Failure::Aws)?;
    Ok((aws, observed.map_err(Failure::Aws)?))
}

/// Builds every distinct package once, on the blocking pool.
async fn build_packages(config: &Config) -> Result<BTreeMap<String, Arc<Package>>, Failure> {
    let codes: Vec<(String, Code)> = config
        .functions
        .values()
        .map(|f| (f.function_name.clone(), f.code.clone()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let mut by_setting: BTreeMap<String, Arc<Package>> = BTreeMap::new();
        let mut out = BTreeMap::new();
        for (name, code) in codes {
            let key = format!(
                "{}\0{:?}\0{:?}",
                code.path.display(),
                code.filter.include,
                code.filter.exclude
            );
            let pkg = match by_setting.get(&key) {
                Some(p) => p.clone(),
                None => {
                    let p =
                        Arc::new(package::build(&code).map_err(|e| {
                            Failure::Message(format!("packaging `{name}`: {e}"), None)
                        })?);
                    by_setting.insert(key, p.clone());
                    p
                }
            };
            out.insert(name, pkg);
        }
        Ok(out)
    })
    .await
    .map_err(|e| Failure::Message(format!("packaging failed: {e}"), None))?
}

pub fn context(
    aws: &Aws,
    config: &Config,
    api_id: Option<String>,
    packages: &BTreeMap<String, Arc<Package>>,
) -> Context {
    Context {
        account_id: aws.account_id.clone(),
        region: aws.region.clone(),
        partition: aws.partition.clone(),
        api_id,
        code: config
            .functions
            .iter()
            .filter_map(|(short, f)| {
                packages
                    .get(&f.function_name)
                    .map(|p| (short.clone(), (p.sha256.clone(), p.size() as u64)))
            })
            .collect(),
    }
}

pub async fn plan_deploy(config: &Config, opts: &Options) -> Result<Planned, Failure> {
    let (packages, observed) = tokio::join!(build_packages(config), connect_observe(config, opts));
    let packages = packages?;
    let (aws, observed) = observed?;
    replan(aws, config, packages, observed)
}

fn replan(
    aws: Aws,
    config: &Config,
    packages: BTreeMap<String, Arc<Package>>,
    observed: Observed,
) -> Result<Planned, Failure> {
    if !observed.foreign.is_empty() {
        return Err(Failure::Foreign(observed.foreign));
    }
    let desired = desired::build(
        config,
        &context(&aws, config, observed.ids.api_id.clone(), &packages),
    );
    let plan = plan::plan(&desired, &observed.state);
    Ok(Planned {
        aws,
        observed,
        packages,
        desired,
        plan,
    })
}

/// Takes the lock of the app and stage, then reads live state again (it
/// may have changed while this run planned or waited) and plans anew with
/// `make_plan` (deploy's or remove's). On failure the lock is released.
async fn lock_and_replan(
    planned: Planned,
    config: &Config,
    opts: &Options,
    printer: &Printer,
    command: &str,
    make_plan: impl Fn(Aws, Observed, BTreeMap<String, Arc<Package>>) -> Result<Planned, Failure>,
) -> Result<(Planned, crate::aws::lock::Lock), Failure> {
    let aws = planned.aws.clone();
    let notice = |m: String| printer.message(&format!("{m}\n"));
    let lock = crate::aws::lock::acquire(
        &aws,
        &config.app,
        &config.stage,
        command,
        opts.lock_timeout,
        &notice,
    )
    .await
    .map_err(Failure::Aws)?;
    // From here on an interrupt must not leave the lock behind: it stops
    // new calls and lets the run release the lock.
    APPLYING.store(true, Ordering::SeqCst);
    let again = match observe(&aws, config).await {
        Ok(o) => make_plan(aws.clone(), o, planned.packages.clone()),
        Err(e) => Err(Failure::Aws(e)),
    };
    match again {
        Ok(p) => {
            if p.plan != planned.plan && printer.format == Format::Text {
                printer.message("Live state changed while this run planned; the plan is now:\n");
                printer.message(&render::text(&p.plan));
            }
            Ok((p, lock))
        }
        Err(f) => {
            let _ = lock.release(&aws).await;
            Err(f)
        }
    }
}

/// What `remove` does to observed state.
fn remove_plan(observed: &State, keep_logs: bool) -> Plan {
    let mut plan = plan::plan(&State::default(), observed);
    if keep_logs {
        plan.actions
            .retain(|a| !matches!(a.resource, plan::Resource::LogGroup(_)));
    }
    plan
}

/// `wsdeploy diff`.
pub async fn diff(config: &Config, opts: &Options, printer: &Printer, exit_code: bool) -> u8 {
    let planned = match plan_deploy(config, opts).await {
        Ok(p) => p,
        Err(f) => {
            let e = print_failure(printer, &f);
            if printer.format == Format::Json {
                printer.json(&json!({"error": e}));
            }
            return EXIT_ERROR;
        }
    };
    match printer.format {
        Format::Json => printer.json(&render::json(&planned.plan)),
        Format::Text => printer.data(&render::text(&planned.plan)),
    }
    if exit_code && !planned.plan.is_empty() {
        EXIT_CHANGES
    } else {
        EXIT_OK
    }
}

/// Shows progress: one line per finished action, and on a terminal a
/// spinner with the count and the elapsed time.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    /// The lock-free upload: a refusal that sends the run to the lock is
    /// not a failure to show.
    lock_free: bool,
    start: Instant,
    total: usize,
    done: std::sync::atomic::AtomicUsize,
}

impl Progress {
    fn new(total: usize, interactive: bool, lock_free: bool) -> Progress {
        let bar = interactive.then(|| {
            let b = indicatif::ProgressBar::new_spinner();
            b.set_style(
                indicatif::ProgressStyle::with_template("{spinner} [{elapsed}] {pos}/{len} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            b.set_length(total as u64);
            b.enable_steady_tick(Duration::from_millis(100));
            b
        });
        Progress {
            bar,
            lock_free,
            start: Instant::now(),
            total,
            done: Default::default(),
        }
    }

    fn line(&self, text: &str) {
        match &self.bar {
            Some(b) => b.println(text),
            None => {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{text}");
            }
        }
    }

    fn event(&self, e: Event) {
        let verb = |op: Op| match op {
            Op::Create => "created",
            Op::Update => "updated",
            Op::Replace => "replaced",
            Op::Delete => "deleted",
        };
        match e {
            Event::Started { op, resource } => {
                if let Some(b) = &self.bar {
                    b.set_message(
                        format!("{op:?} {} {}", resource.kind(), resource.name()).to_lowercase(),
                    );
                }
            }
            Event::Done {
                op,
                resource,
                elapsed,
            } => {
                let n = self.done.fetch_add(1, Ordering::SeqCst) + 1;
                if let Some(b) = &self.bar {
                    b.set_position(n as u64);
                }
                self.line(&format!(
                    "  {} {} {} ({:.1} s) [{n}/{}]",
                    verb(op),
                    resource.kind(),
                    resource.name(),
                    elapsed.as_secs_f64(),
                    self.total
                ));
            }
            Event::Waiting { resource, message } => {
                if let Some(b) = &self.bar {
                    b.set_message(message.clone());
                }
                self.line(&format!(
                    "  {} {}: {message}",
                    resource.kind(),
                    resource.name()
                ));
            }
            Event::Failed { ref error, .. } if self.lock_free && refused_for_now(error) => {}
            Event::Failed {
                op,
                resource,
                error,
            } => {
                let verb = format!("{op:?}").to_lowercase();
                self.line(&format!(
                    "  failed to {verb} {} {}: {}: {}",
                    resource.kind(),
                    resource.name(),
                    error.code,
                    error.message
                ));
            }
        }
    }

    fn finish(&self) -> Duration {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        self.start.elapsed()
    }
}

/// Set by the first Ctrl-C / SIGTERM while changes are being applied: no
/// new call starts.
static CANCEL: AtomicBool = AtomicBool::new(false);
/// True while a plan is being applied.
static APPLYING: AtomicBool = AtomicBool::new(false);

/// Handles Ctrl-C and SIGTERM for the AWS commands. Before anything is
/// written, the command stops at once (exit 130). While applying, the first
/// signal lets the calls in flight finish and starts no new one; the second
/// exits at once.
pub fn install_interrupt_handler() {
    tokio::spawn(async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        loop {
            let sigterm = async {
                match term.as_mut() {
                    Some(t) => {
                        t.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = sigterm => {}
            }
            if !APPLYING.load(Ordering::SeqCst) {
                eprintln!("interrupted: nothing was changed");
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
            if CANCEL.swap(true, Ordering::SeqCst) {
                eprintln!("interrupted again: exiting now; run the command again to converge");
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
            eprintln!(
                "interrupted: no new call will start; waiting for the calls in flight (Ctrl-C again to quit now)"
            );
        }
    });
}

fn report_json(report: &Report) -> serde_json::Value {
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

fn report_text(report: &Report, printer: &Printer) {
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
    printer.message(&s);
}

async fn run_apply(
    planned: &Planned,
    config: &Config,
    opts: &Options,
    printer: &Printer,
    what: &str,
    lock_free: bool,
) -> Report {
    APPLYING.store(true, Ordering::SeqCst);
    let progress = Progress::new(
        planned.plan.actions.len(),
        printer.format == Format::Text && std::io::stderr().is_terminal(),
        lock_free,
    );
    let on_event = |e: Event| progress.event(e);
    let applier = Applier {
        aws: &planned.aws,
        config,
        observed: &planned.observed.state,
        packages: &planned.packages,
        budget: opts.budget,
        certificate_timeout: opts.certificate_timeout,
        cancel: &CANCEL,
        on_event: &on_event,
    };
    let report = applier
        .apply(&planned.plan, planned.observed.ids.clone())
        .await;
    let took = progress.finish();
    let falls_back = lock_free && refusal(&report).is_some();
    if printer.format == Format::Text && !falls_back {
        report_text(&report, printer);
        if report.ok() {
            printer.message(&format!(
                "{} {} actions in {:.1} s\n",
                capitalised(what),
                report.done.len(),
                took.as_secs_f64()
            ));
        }
    }
    report
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// `wsdeploy deploy`.
pub async fn deploy(config: &Config, opts: &Options, printer: &Printer) -> u8 {
    let planned = match plan_deploy(config, opts).await {
        Ok(p) => p,
        Err(f) => {
            let e = print_failure(printer, &f);
            if printer.format == Format::Json {
                printer.json(&json!({"error": e}));
            }
            return EXIT_ERROR;
        }
    };
    if printer.format == Format::Text {
        printer.message(&render::text(&planned.plan));
    }
    let (planned, report) = if planned.plan.is_empty() {
        (planned, Report::default())
    } else {
        match without_lock(planned, config, opts, printer).await {
            Applied::Done(planned, report) => (*planned, report),
            Applied::NeedsLock(planned) => match with_lock(*planned, config, opts, printer).await {
                Ok(x) => x,
                Err(f) => {
                    let e = print_failure(printer, &f);
                    if printer.format == Format::Json {
                        printer.json(&json!({"error": e}));
                    }
                    return EXIT_ERROR;
                }
            },
        }
    };
    let api_id = report
        .api_id
        .clone()
        .or_else(|| planned.observed.ids.api_id.clone());
    let domain = if report.ok() {
        domain_output(&planned.aws, config).await
    } else {
        None
    };
    let outs = api_id
        .as_deref()
        .map(|id| outputs(&planned.aws, config, id, domain.clone()));
    match printer.format {
        Format::Json => printer.json(&json!({
            "plan": render::json(&planned.plan),
            "result": report_json(&report),
            "outputs": outs,
        })),
        Format::Text => {
            if let Some(o) = &outs
                && report.ok()
            {
                printer.data(&o.text());
            }
        }
    }
    if report.interrupted {
        EXIT_INTERRUPTED
    } else if report.ok() {
        EXIT_OK
    } else {
        EXIT_ERROR
    }
}

/// Where a deploy with something to apply stands.
enum Applied {
    Done(Box<Planned>, Report),
    NeedsLock(Box<Planned>),
}

/// The functions of a plan that only uploads code to existing functions.
fn code_only(plan: &Plan) -> Option<Vec<String>> {
    plan.actions
        .iter()
        .map(|a| match (&a.resource, a.op) {
            (plan::Resource::FunctionCode(f), plan::Op::Update) => Some(f.clone()),
            _ => None,
        })
        .collect()
}

/// A plan that only uploads code needs no lock: each upload is one call,
/// made conditional on the function's revision (Lambda's RevisionId), read
/// together with the lock state just before writing. If the lock is held,
/// or a function changed since it was read, or an upload is refused as
/// stale, the deploy takes the lock and plans again instead. So a handler
/// change costs one write, and a concurrent locked run is never written
/// under (see docs/reliability.md for the window this leaves).
async fn without_lock(
    mut planned: Planned,
    config: &Config,
    opts: &Options,
    printer: &Printer,
) -> Applied {
    let Some(functions) = code_only(&planned.plan) else {
        return Applied::NeedsLock(Box::new(planned));
    };
    let aws = &planned.aws;
    let (held, revisions) = tokio::join!(
        crate::aws::lock::is_held(aws, &config.app, &config.stage),
        crate::aws::observe::revisions(aws, &functions)
    );
    let (Ok(false), Ok(revisions)) = (held, revisions) else {
        return Applied::NeedsLock(Box::new(planned));
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
            _ => return Applied::NeedsLock(Box::new(planned)),
        }
    }
    planned.observed.ids.code_revisions = conditional;
    let report = run_apply(&planned, config, opts, printer, "applied", true).await;
    if let Some(e) = refusal(&report)
        && !report.interrupted
    {
        if printer.format == Format::Text {
            let why = if e.kind == crate::aws::ErrorKind::Changed {
                "a function changed since it was read"
            } else {
                "the upload was refused for now"
            };
            printer.message(&format!(
                "The lock-free upload did not go through ({why}): taking the lock and planning again.\n"
            ));
        }
        planned.observed.ids.code_revisions.clear();
        return Applied::NeedsLock(Box::new(planned));
    }
    Applied::Done(Box::new(planned), report)
}

/// A lock-free upload refused as stale (or its function gone), or refused
/// for now (throttled, an update in progress): the locked path reads again
/// and retries.
fn refused_for_now(e: &AwsError) -> bool {
    use crate::aws::ErrorKind as K;
    matches!(
        e.kind,
        K::Changed | K::NotFound | K::Throttled | K::Conflict
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

/// The locked path: lock, read again, plan again, apply, release.
async fn with_lock(
    planned: Planned,
    config: &Config,
    opts: &Options,
    printer: &Printer,
) -> Result<(Planned, Report), Failure> {
    let (planned, lock) =
        lock_and_replan(planned, config, opts, printer, "deploy", |aws, o, pk| {
            replan(aws, config, pk, o)
        })
        .await?;
    let report = run_apply(&planned, config, opts, printer, "applied", false).await;
    if let Err(e) = lock.release(&planned.aws).await {
        print_failure(printer, &Failure::Aws(e));
    }
    Ok((planned, report))
}

/// Whether the configured domain is in place, with its CNAME target when
/// DNS is external.
async fn domain_output(aws: &Aws, config: &Config) -> Option<Option<String>> {
    let d = config.domain.as_ref()?;
    let target = crate::aws::domain::target(aws, &d.name)
        .await
        .ok()
        .flatten()?;
    Some(d.external.then_some(target.dns_name))
}

/// `wsdeploy remove`.
pub async fn remove(config: &Config, opts: &Options, printer: &Printer, yes: bool) -> u8 {
    let (aws, observed) = match connect_observe(config, opts).await {
        Ok(o) => o,
        Err(f) => {
            print_failure(printer, &f);
            return EXIT_ERROR;
        }
    };
    // Foreign resources are simply left alone.
    let plan = remove_plan(&observed.state, opts.keep_logs);
    if plan.is_empty() {
        match printer.format {
            Format::Json => printer.json(
                &json!({"plan": render::json(&plan), "result": report_json(&Report::default())}),
            ),
            Format::Text => printer.message(&format!(
                "Nothing to remove for app `{}` stage `{}`.\n",
                config.app, config.stage
            )),
        }
        return EXIT_OK;
    }
    if printer.format == Format::Text {
        printer.message(&render::text(&plan));
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            print_failure(
                printer,
                &Failure::Message(
                    "remove deletes resources and needs confirmation".to_owned(),
                    Some("pass `--yes` to confirm when not on a terminal".to_owned()),
                ),
            );
            return EXIT_ERROR;
        }
        printer.message(&format!(
            "Remove these {} resources of app `{}` stage `{}`? [y/N] ",
            plan.actions.len(),
            config.app,
            config.stage
        ));
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            printer.message("Nothing removed.\n");
            return EXIT_ERROR;
        }
    }
    let planned = Planned {
        aws,
        observed,
        packages: BTreeMap::new(),
        desired: State::default(),
        plan,
    };
    let keep_logs = opts.keep_logs;
    let locked = lock_and_replan(
        planned,
        config,
        opts,
        printer,
        "remove",
        |aws, o, packages| {
            let plan = remove_plan(&o.state, keep_logs);
            Ok(Planned {
                aws,
                observed: o,
                packages,
                desired: State::default(),
                plan,
            })
        },
    )
    .await;
    let (planned, lock) = match locked {
        Ok(x) => x,
        Err(f) => {
            print_failure(printer, &f);
            return EXIT_ERROR;
        }
    };
    let report = run_apply(&planned, config, opts, printer, "removed", false).await;
    if let Err(e) = lock.release(&planned.aws).await {
        print_failure(printer, &Failure::Aws(e));
    }
    if printer.format == Format::Json {
        printer.json(&json!({"plan": render::json(&planned.plan), "result": report_json(&report)}));
    }
    if report.interrupted {
        EXIT_INTERRUPTED
    } else if report.ok() {
        EXIT_OK
    } else {
        EXIT_ERROR
    }
}

/// `wsdeploy unlock`: breaks the lock of the app and stage.
pub async fn unlock(config: &Config, opts: &Options, printer: &Printer) -> u8 {
    let aws = match connect(config, opts).await {
        Ok(a) => a,
        Err(f) => {
            print_failure(printer, &f);
            return EXIT_ERROR;
        }
    };
    match crate::aws::lock::unlock(&aws, &config.app, &config.stage).await {
        Ok(Some(h)) => {
            printer.message(&format!("Broke the lock held by {}.\n", h.describe()));
            EXIT_OK
        }
        Ok(None) => {
            printer.message(&format!(
                "App `{}` stage `{}` is not locked.\n",
                config.app, config.stage
            ));
            EXIT_OK
        }
        Err(e) => {
            print_failure(printer, &Failure::Aws(e));
            EXIT_ERROR
        }
    }
}

/// `wsdeploy info`.
pub async fn info(config: &Config, opts: &Options, printer: &Printer) -> u8 {
    let (aws, observed) = match connect_observe(config, opts).await {
        Ok(o) => o,
        Err(f) => {
            print_failure(printer, &f);
            return EXIT_ERROR;
        }
    };
    let Some(api_id) = observed.ids.api_id.clone() else {
        print_failure(
            printer,
            &Failure::Message(
                format!(
                    "app `{}` stage `{}` is not deployed",
                    config.app, config.stage
                ),
                Some("run `wsdeploy deploy`".to_owned()),
            ),
        );
        return EXIT_ERROR;
    };
    let domain = domain_output(&aws, config).await;
    let o = outputs(&aws, config, &api_id, domain);
    match printer.format {
        Format::Json => printer.json(&serde_json::to_value(&o).unwrap_or_default()),
        Format::Text => printer.data(&o.text()),
    }
    EXIT_OK
}
