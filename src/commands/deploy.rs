//! `wsdeploy deploy`: plan, show the plan, apply (lock-free for code-only
//! plans, else under the lock), then print the outputs (and write them to
//! `--outputs-file`).

use std::path::Path;

use serde_json::json;

use super::{Error, Exit};
use crate::config::model::Config;
use crate::output::progress::Progress;
use crate::output::{Printer, outputs, plan, report};
use crate::pipeline::outputs::{Deployed, domain};
use crate::pipeline::{self, Options};

pub async fn run(
    config: &Config,
    opts: &Options,
    printer: &Printer,
    outputs_file: Option<&Path>,
) -> Result<Exit, Error> {
    let progress = Progress::new(printer);
    let planned = pipeline::plan_deploy(config, opts, &progress).await?;
    if !printer.is_json() {
        printer.message(&plan::text(&planned.plan));
    }
    let applies = !planned.plan.is_empty();
    let (planned, report) = pipeline::deploy(planned, config, opts, &progress).await?;
    if applies && !printer.is_json() {
        printer.message(&report::text(&report, "Applied", progress.took()));
    }
    let ids = &planned.observed.ids;
    let api_id = report.api_id.as_deref().or(ids.api_id.as_deref());
    let api_endpoint = report
        .api_endpoint
        .as_deref()
        .or(ids.api_endpoint.as_deref());
    let domain = if report.ok() {
        domain(&planned.aws, config).await
    } else {
        None
    };
    let outs = api_id.map(|api_id| {
        let deployed = Deployed {
            api_id,
            api_endpoint,
        };
        pipeline::outputs::outputs(&planned.aws, config, &deployed, &planned.desired, domain)
    });
    // A failed deploy writes no file: the outputs of a half-applied plan
    // are not what a later step should act on.
    if let (Some(path), Some(o)) = (outputs_file, &outs)
        && report.ok()
    {
        super::write_outputs(path, o)?;
    }
    if printer.is_json() {
        printer.json(&json!({
            "plan": plan::json(&planned.plan),
            "result": report::json(&report),
            "outputs": outs,
        }));
    } else if let Some(o) = &outs
        && report.ok()
    {
        printer.data(&outputs::text(o));
    }
    Ok(Exit::of(&report))
}
