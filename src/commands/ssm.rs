//! The config with its values from SSM Parameter Store, for the commands
//! that run with them (`diff`, `deploy`, `dev`): loaded offline, every
//! parameter it names read at once, its values registered with the output
//! layer (which masks them from then on), loaded again with them. This
//! happens before the pipeline starts: a parameter that does not exist
//! (and has no default) ends the command before anything is built, locked
//! or written.

use std::sync::{Arc, Mutex};

use super::{Error, config_source, show};
use crate::aws::ssm::Parameters;
use crate::aws::{AwsError, ConnectOptions, RetryBudget};
use crate::cli::Cli;
use crate::config::model::Config;
use crate::config::ssm::SsmValues;
use crate::local::reload;
use crate::output::{Printer, secrets};

/// Reads parameters for the loads of one run: connects on first use
/// (through the same configuration as every other client, in `--region`
/// or the config's region) and registers each value read as a secret.
#[derive(Clone)]
pub struct Reader {
    connect: ConnectOptions,
    budget: RetryBudget,
    runtime: tokio::runtime::Handle,
    client: Arc<tokio::sync::OnceCell<Parameters>>,
}

impl Reader {
    pub fn new(cli: &Cli, budget: RetryBudget, runtime: tokio::runtime::Handle) -> Reader {
        Reader {
            connect: ConnectOptions {
                profile: cli.profile.clone(),
                region: cli.region.clone(),
                endpoint_url: cli.endpoint_url.clone(),
            },
            budget,
            runtime,
            client: Arc::default(),
        }
    }

    /// The values of those of `names` that exist. Blocks: call it from
    /// outside the runtime, or from a blocking task.
    pub fn read(&self, config: &Config, names: &[String]) -> Result<SsmValues, AwsError> {
        let mut connect = self.connect.clone();
        if connect.region.is_none() {
            connect.region.clone_from(&config.region);
        }
        let values = self.runtime.block_on(async {
            let client = self
                .client
                .get_or_try_init(|| Parameters::connect(&connect))
                .await?;
            client.read(names, self.budget).await
        })?;
        let region = connect.region.unwrap_or_default();
        secrets::register(
            values.values().cloned(),
            &[&config.app, &config.stage, &region],
        );
        Ok(values)
    }

    /// What `dev` reads a changed config with: the values read so far,
    /// and this reader for names not read yet.
    pub fn for_reload(&self, known: SsmValues) -> reload::Parameters {
        let reader = self.clone();
        reload::Parameters {
            read: Arc::new(move |config: &Config, names: &[String]| {
                reader.read(config, names).map_err(|e| e.to_string())
            }),
            known: Arc::new(Mutex::new(known)),
        }
    }
}

/// Loads the config with the values of its parameters, and shows its
/// problems (a parameter that does not exist among them); returns the
/// values read, for `dev`.
pub fn load(cli: &Cli, printer: &Printer, reader: &Reader) -> Result<(Config, SsmValues), Error> {
    let mut known = SsmValues::new();
    let loaded =
        config_source(cli).load_reading(&mut known, |config, names| reader.read(config, names))?;
    Ok((show(printer, loaded)?, known))
}
