//! `wsdeploy remove`: delete everything wsdeploy owns for the app and
//! stage, after confirmation (asked on a terminal, `--yes` otherwise).
//! With `--yes` the lock is taken first and live state read once, under
//! it; a person asked reads it again under the lock after answering.

use std::io::{BufRead, IsTerminal};

use serde_json::json;

use super::{Error, Exit};
use crate::aws::apply::Report;
use crate::config::model::Config;
use crate::output::progress::Progress;
use crate::output::{Printer, plan, report};
use crate::pipeline::{self, Options};

pub async fn run(
    config: &Config,
    opts: &Options,
    printer: &Printer,
    yes: bool,
) -> Result<Exit, Error> {
    if yes {
        return at_once(config, opts, printer).await;
    }
    let planned = pipeline::plan_remove(config, opts).await?;
    if planned.plan.is_empty() {
        return Ok(nothing(config, printer));
    }
    if !printer.is_json() {
        printer.message(&plan::text(&planned.plan));
    }
    confirm(config, printer, planned.plan.actions.len())?;
    let progress = Progress::new(printer);
    let (planned, report) = pipeline::remove(planned, config, opts, &progress).await?;
    Ok(done(printer, &planned.plan, &report, &progress))
}

/// `--yes`: lock, read once under the lock, show the plan, remove.
async fn at_once(config: &Config, opts: &Options, printer: &Printer) -> Result<Exit, Error> {
    let progress = Progress::new(printer);
    let show = |p: &crate::plan::Plan| {
        if !printer.is_json() {
            printer.message(&plan::text(p));
        }
    };
    let (planned, report) = pipeline::remove_at_once(config, opts, &progress, &show).await?;
    if planned.plan.is_empty() {
        return Ok(nothing(config, printer));
    }
    Ok(done(printer, &planned.plan, &report, &progress))
}

/// Says there is nothing to remove.
fn nothing(config: &Config, printer: &Printer) -> Exit {
    if printer.is_json() {
        printer.json(&json!({
            "plan": plan::json(&crate::plan::Plan::default()),
            "result": report::json(&Report::default()),
        }));
    } else {
        printer.message(&format!(
            "Nothing to remove for app `{}` stage `{}`.\n",
            config.app, config.stage
        ));
    }
    Exit::Ok
}

/// Prints what the removal did.
fn done(printer: &Printer, p: &crate::plan::Plan, report: &Report, progress: &Progress) -> Exit {
    if printer.is_json() {
        printer.json(&json!({
            "plan": plan::json(p),
            "result": report::json(report),
        }));
    } else {
        printer.message(&report::text(report, "Removed", progress.took()));
    }
    Exit::of(report)
}

/// Asks on a terminal; refuses elsewhere.
fn confirm(config: &Config, printer: &Printer, count: usize) -> Result<(), Error> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::NeedsConfirmation);
    }
    printer.message(&format!(
        "Remove these {count} resources of app `{}` stage `{}`? [y/N] ",
        config.app, config.stage
    ));
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Error::NotConfirmed)
    }
}
