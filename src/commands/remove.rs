//! `wsdeploy remove`: delete everything wsdeploy owns for the app and
//! stage, after confirmation (asked on a terminal, `--yes` otherwise).

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
    let planned = pipeline::plan_remove(config, opts).await?;
    if planned.plan.is_empty() {
        if printer.is_json() {
            printer.json(&json!({
                "plan": plan::json(&planned.plan),
                "result": report::json(&Report::default()),
            }));
        } else {
            printer.message(&format!(
                "Nothing to remove for app `{}` stage `{}`.\n",
                config.app, config.stage
            ));
        }
        return Ok(Exit::Ok);
    }
    if !printer.is_json() {
        printer.message(&plan::text(&planned.plan));
    }
    if !yes {
        confirm(config, printer, planned.plan.actions.len())?;
    }
    let progress = Progress::new(printer);
    let (planned, report) = pipeline::remove(planned, config, opts, &progress).await?;
    if printer.is_json() {
        printer.json(&json!({
            "plan": plan::json(&planned.plan),
            "result": report::json(&report),
        }));
    } else {
        printer.message(&report::text(&report, "Removed", progress.took()));
    }
    Ok(Exit::of(&report))
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
