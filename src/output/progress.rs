//! Progress while a plan is applied: one line per finished action on
//! stderr, and on a terminal a spinner with the count and the elapsed time.
//! Also the pipeline's notes (waiting for the lock, a plan that changed).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::{Printer, plan};
use crate::aws::apply::Event;
use crate::pipeline::lock_free::refused_for_now;
use crate::pipeline::{Note, Reporter};
use crate::plan::Op;

/// One apply's progress.
struct Run {
    bar: Option<indicatif::ProgressBar>,
    /// The lock-free upload: a refusal that sends the run to the lock is
    /// not a failure to show.
    lock_free: bool,
    start: Instant,
    total: usize,
}

/// The reporter of the commands that apply plans.
pub struct Progress<'p> {
    printer: &'p Printer,
    run: Mutex<Option<Run>>,
    done: AtomicUsize,
    /// How long the last apply took.
    took: Mutex<Duration>,
}

impl<'p> Progress<'p> {
    pub fn new(printer: &'p Printer) -> Self {
        Progress {
            printer,
            run: Mutex::new(None),
            done: AtomicUsize::new(0),
            took: Mutex::new(Duration::ZERO),
        }
    }

    /// How long the last apply took.
    pub fn took(&self) -> Duration {
        self.took.lock().map(|t| *t).unwrap_or_default()
    }

    fn with_run(&self, f: impl FnOnce(&Run)) {
        if let Ok(run) = self.run.lock()
            && let Some(run) = run.as_ref()
        {
            f(run);
        }
    }

    /// A line that does not tear the spinner, secrets masked.
    fn line(&self, text: &str) {
        let mut printed = false;
        self.with_run(|run| {
            if let Some(b) = &run.bar {
                b.println(super::secrets::mask(text));
                printed = true;
            }
        });
        if !printed {
            super::say_line(text);
        }
    }

    fn start(&self, total: usize, lock_free: bool) {
        let bar = self.printer.interactive().then(|| {
            let b = indicatif::ProgressBar::new_spinner();
            b.set_style(
                indicatif::ProgressStyle::with_template("{spinner} [{elapsed}] {pos}/{len} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            b.set_length(total as u64);
            b.enable_steady_tick(Duration::from_millis(100));
            b
        });
        self.done.store(0, Ordering::SeqCst);
        if let Ok(mut run) = self.run.lock() {
            *run = Some(Run {
                bar,
                lock_free,
                start: Instant::now(),
                total,
            });
        }
    }

    fn finish(&self) {
        if let Ok(mut run) = self.run.lock()
            && let Some(run) = run.take()
        {
            if let Some(b) = &run.bar {
                b.finish_and_clear();
            }
            if let Ok(mut took) = self.took.lock() {
                *took = run.start.elapsed();
            }
        }
    }
}

fn verb(op: Op) -> &'static str {
    match op {
        Op::Create => "created",
        Op::Update => "updated",
        Op::Replace => "replaced",
        Op::Delete => "deleted",
    }
}

impl Reporter for Progress<'_> {
    fn note(&self, note: Note) {
        let text = !self.printer.is_json();
        match note {
            Note::Lock(m) => super::say_line(&m),
            Note::Replanned(p) if text => {
                super::say("Live state changed while this run planned; the plan is now:\n");
                super::say(&plan::text(&p));
            }
            Note::LockFreeRefused { changed } if text => {
                let why = if changed {
                    "a function changed since it was read"
                } else {
                    "the upload was refused for now"
                };
                super::say_line(&format!(
                    "The lock-free upload did not go through ({why}): taking the lock and planning again."
                ));
            }
            Note::Applying { total, lock_free } => self.start(total, lock_free),
            Note::Applied => self.finish(),
            Note::ReleaseFailed(e) => super::errors::warn_aws(&e),
            // A build worth telling about: on a terminal, when it ran;
            // every one with `--verbose`.
            Note::Built(b)
                if self.printer.verbose || (text && self.printer.interactive() && !b.cached) =>
            {
                super::say_line(&super::built_line(&b))
            }
            Note::Replanned(_) | Note::LockFreeRefused { .. } | Note::Built(_) => {}
        }
    }

    fn event(&self, e: Event) {
        match e {
            Event::Started { op, resource } => self.with_run(|run| {
                if let Some(b) = &run.bar {
                    let text =
                        format!("{op:?} {} {}", resource.kind(), resource.name()).to_lowercase();
                    b.set_message(super::secrets::mask(&text).into_owned());
                }
            }),
            Event::Done {
                op,
                resource,
                elapsed,
            } => {
                let n = self.done.fetch_add(1, Ordering::SeqCst) + 1;
                let mut total = 0;
                self.with_run(|run| {
                    total = run.total;
                    if let Some(b) = &run.bar {
                        b.set_position(n as u64);
                    }
                });
                self.line(&format!(
                    "  {} {} {} ({:.1} s) [{n}/{total}]",
                    verb(op),
                    resource.kind(),
                    resource.name(),
                    elapsed.as_secs_f64(),
                ));
            }
            Event::Waiting { resource, message } => {
                self.with_run(|run| {
                    if let Some(b) = &run.bar {
                        b.set_message(super::secrets::mask(&message).into_owned());
                    }
                });
                self.line(&format!(
                    "  {} {}: {message}",
                    resource.kind(),
                    resource.name()
                ));
            }
            Event::Failed {
                op,
                resource,
                error,
            } => {
                let mut lock_free = false;
                self.with_run(|run| lock_free = run.lock_free);
                if lock_free && refused_for_now(&error) {
                    return;
                }
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
}
