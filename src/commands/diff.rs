//! `wsdeploy diff`: the plan against live state, as text on stdout or one
//! JSON document; `--exit-code` exits 2 when there are changes.

use super::{Error, Exit};
use crate::config::model::Config;
use crate::output::progress::Progress;
use crate::output::{Printer, plan};
use crate::pipeline::{self, Options};

pub async fn run(
    config: &Config,
    opts: &Options,
    printer: &Printer,
    exit_code: bool,
) -> Result<Exit, Error> {
    let planned = pipeline::plan_deploy(config, opts, &Progress::new(printer)).await?;
    if printer.is_json() {
        printer.json(&plan::json(&planned.plan));
    } else {
        printer.data(&plan::text(&planned.plan));
    }
    Ok(if exit_code && !planned.plan.is_empty() {
        Exit::Changes
    } else {
        Exit::Ok
    })
}
