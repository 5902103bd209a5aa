//! `wsdeploy info`: the outputs of the deployed stage, read from AWS (and
//! written to `--outputs-file`).

use std::path::Path;

use super::{Error, Exit};
use crate::config::model::Config;
use crate::output::{Printer, outputs};
use crate::pipeline::outputs::{Deployed, domain};
use crate::pipeline::{self, Options};

pub async fn run(
    config: &Config,
    opts: &Options,
    printer: &Printer,
    outputs_file: Option<&Path>,
) -> Result<Exit, Error> {
    let (aws, observed) = pipeline::connect_observe(config, opts, pipeline::Depth::Full).await?;
    let Some(api_id) = observed.ids.api_id.as_deref() else {
        return Err(Error::NotDeployed {
            app: config.app.clone(),
            stage: config.stage.clone(),
        });
    };
    let deployed = Deployed {
        api_id,
        api_endpoint: observed.ids.api_endpoint.as_deref(),
    };
    let domain = domain(&aws, config).await;
    let o = pipeline::outputs::outputs(&aws, config, &deployed, &observed.state, domain);
    if let Some(path) = outputs_file {
        super::write_outputs(path, &o)?;
    }
    if printer.is_json() {
        printer.json(&serde_json::to_value(&o).unwrap_or_default());
    } else {
        printer.data(&outputs::text(&o));
    }
    Ok(Exit::Ok)
}
