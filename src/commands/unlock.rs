//! `wsdeploy unlock`: break the deploy lock of the app and stage (after a
//! run was killed on another machine).

use super::{Error, Exit};
use crate::aws::lock;
use crate::config::model::Config;
use crate::output::Printer;
use crate::pipeline::{self, Options};

pub async fn run(config: &Config, opts: &Options, printer: &Printer) -> Result<Exit, Error> {
    let aws = pipeline::connect(config, opts).await?;
    match lock::unlock(&aws, &config.app, &config.stage).await? {
        Some(h) => printer.message(&format!("Broke the lock held by {}.\n", h.describe())),
        None => printer.message(&format!(
            "App `{}` stage `{}` is not locked.\n",
            config.app, config.stage
        )),
    }
    Ok(Exit::Ok)
}
