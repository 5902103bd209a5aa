//! The commands: each file is one command, thin over the pipeline and the
//! output module. This file loads the config, builds the options, starts
//! the async runtime for the commands that talk to AWS, and is the one
//! error path: every failure ends here, is shown by `output::errors`, and
//! exits 1. Exit codes come from `Exit`.

// Errors carry a whole AwsError (see aws/mod.rs): returned rarely, not
// worth boxing.
#![allow(clippy::result_large_err)]

mod completions;
mod deploy;
mod dev;
mod diff;
mod info;
mod init;
mod logs;
mod package;
mod remove;
mod ssm;
mod unlock;
mod validate;

use std::path::PathBuf;
use std::time::Duration;

use crate::aws::{ConnectOptions, RetryBudget};
use crate::cli::{Cli, Command};
use crate::config::model::Config;
use crate::config::{self, LoadOptions, Loaded};
use crate::output::errors::{self, Problem};
use crate::output::{Printer, diagnostics};
use crate::pipeline::interrupt::{self, EXIT_INTERRUPTED};
use crate::pipeline::{self, Options};

/// How a command ends, as the contract numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok,
    /// An error: bad input, a failure in AWS, usage.
    Error,
    /// `diff --exit-code` found changes.
    Changes,
    /// Ctrl-C or SIGTERM.
    Interrupted,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Error => 1,
            Exit::Changes => 2,
            Exit::Interrupted => EXIT_INTERRUPTED,
        }
    }

    /// How a run that applied a report ends.
    fn of(report: &crate::aws::apply::Report) -> Exit {
        if report.interrupted {
            Exit::Interrupted
        } else if report.ok() {
            Exit::Ok
        } else {
            Exit::Error
        }
    }
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the config is not valid")]
    InvalidConfig(Box<Loaded>),
    #[error(transparent)]
    Pipeline(#[from] pipeline::Error),
    #[error("app `{app}` stage `{stage}` is not deployed")]
    NotDeployed { app: String, stage: String },
    #[error("remove deletes resources and needs confirmation")]
    NeedsConfirmation,
    #[error("nothing was removed")]
    NotConfirmed,
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error(transparent)]
    Build(#[from] crate::build::BuildError),
    #[error(transparent)]
    Logs(#[from] crate::logs::Error),
    #[error(transparent)]
    Serve(#[from] crate::local::serve::ServeError),
    #[error(transparent)]
    Init(#[from] crate::init::InitError),
    #[error("writing `{}`: {source}", path.display())]
    Write {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl From<crate::aws::AwsError> for Error {
    fn from(e: crate::aws::AwsError) -> Self {
        Error::Pipeline(pipeline::Error::Aws(e))
    }
}

impl Error {
    fn problem(&self) -> Problem<'_> {
        let message = |code, hint: Option<&str>| Problem::Message {
            code,
            message: self.to_string(),
            hint: hint.map(str::to_owned),
        };
        match self {
            Error::InvalidConfig(loaded) => Problem::Config(loaded),
            Error::Pipeline(e) => e.into(),
            Error::NotDeployed { .. } => message("NotDeployed", Some("run `wsdeploy deploy`")),
            Error::NeedsConfirmation => message(
                "ConfirmationRequired",
                Some("pass `--yes` to confirm when not on a terminal"),
            ),
            Error::NotConfirmed => message("NotConfirmed", None),
            Error::Runtime(_) => message("Runtime", None),
            Error::Build(e) => Problem::Message {
                code: "BuildFailed",
                message: errors::chain(e),
                hint: e.hint().map(str::to_owned),
            },
            Error::Write { .. } => message("WriteFailed", None),
            Error::Logs(e) => Problem::Message {
                code: e.code,
                message: e.message.clone(),
                hint: e.hint.clone(),
            },
            Error::Serve(crate::local::serve::ServeError::Build(e)) => Problem::Message {
                code: "BuildFailed",
                message: errors::chain(e),
                hint: e.hint().map(str::to_owned),
            },
            Error::Serve(e) => Problem::Message {
                code: "DevFailed",
                message: errors::chain(e),
                hint: None,
            },
            Error::Init(e) => Problem::Message {
                code: e.code(),
                message: errors::chain(e),
                hint: e.hint(),
            },
        }
    }
}

/// Parses the arguments and runs the command; returns the exit code
/// (usage errors exit 1, `--help` and `--version` 0).
pub fn main() -> u8 {
    match <Cli as clap::Parser>::try_parse() {
        Ok(cli) => run(&cli).code(),
        Err(e) => {
            let _ = e.print();
            let exit = if e.use_stderr() {
                Exit::Error
            } else {
                Exit::Ok
            };
            exit.code()
        }
    }
}

/// Runs a parsed command line; every failure is shown here.
pub fn run(cli: &Cli) -> Exit {
    let mut printer = Printer::new(cli.output);
    printer.verbose = cli.verbose;
    let result = match &cli.command {
        Command::Init { dir, template, app } => {
            let opts = crate::init::Options {
                dir: dir.clone(),
                template: *template,
                app: app.clone(),
            };
            init::run(&opts, &printer)
        }
        Command::Completions { shell } => Ok(completions::run(*shell, &printer)),
        Command::Validate => Ok(validate::run(cli, &printer)),
        Command::Package { out } => {
            package::load(cli, &printer).and_then(|c| package::run(&c, out, &printer))
        }
        Command::Dev {
            host,
            port,
            idle_timeout,
            max_connection,
            no_reload,
        } => {
            let flags = dev::Flags {
                host: host.clone(),
                port: *port,
                endpoint_url: cli.endpoint_url.clone(),
                idle_timeout: *idle_timeout,
                max_connection: *max_connection,
                reload: (!no_reload).then(|| config_source(cli)),
            };
            dev::start(cli, &printer, flags)
        }
        Command::Schema => {
            printer.data(&crate::schema::schema_text());
            Ok(Exit::Ok)
        }
        Command::Diff { exit_code } => on_aws(cli, &printer, Aws::Diff(*exit_code)),
        Command::Deploy {
            certificate_timeout,
            outputs_file,
        } => on_aws(
            cli,
            &printer,
            Aws::Deploy(*certificate_timeout, outputs_file.clone()),
        ),
        Command::Remove { yes, keep_logs } => on_aws(cli, &printer, Aws::Remove(*yes, *keep_logs)),
        Command::Info { outputs_file } => on_aws(cli, &printer, Aws::Info(outputs_file.clone())),
        Command::Logs {
            names,
            since,
            follow,
            filter,
            access,
        } => {
            let flags = logs::Flags {
                names: names.clone(),
                since: since.clone(),
                follow: *follow,
                filter: filter.clone(),
                access: *access,
            };
            on_logs(cli, &printer, &flags)
        }
        Command::Unlock => on_aws(cli, &printer, Aws::Unlock),
    };
    result.unwrap_or_else(|e| {
        errors::print(&printer, &e.problem());
        Exit::Error
    })
}

/// The commands that talk to AWS, with their own flags.
enum Aws {
    Diff(bool),
    /// `--certificate-timeout`, `--outputs-file`.
    Deploy(u64, Option<PathBuf>),
    /// `--yes`, `--keep-logs`.
    Remove(bool, bool),
    /// `--outputs-file`.
    Info(Option<PathBuf>),
    Unlock,
}

impl Aws {
    /// `remove`, `info` and `unlock` need only the app's identity: a user
    /// who deleted the code, or a CI job with only the config, can still
    /// run them.
    fn needs_code(&self) -> bool {
        matches!(self, Aws::Diff(_) | Aws::Deploy(..))
    }
}

fn on_aws(cli: &Cli, printer: &Printer, command: Aws) -> Result<Exit, Error> {
    crate::aws::load_tls_roots_early(cli.endpoint_url.as_deref());
    let runtime = runtime()?;
    // `${ssm:...}` is read for the commands that use the values, before
    // anything else happens; the others need only names.
    let config = if command.needs_code() {
        let reader = ssm::Reader::new(cli, budget(cli), runtime.handle().clone());
        ssm::load(cli, printer, &reader)?.0
    } else {
        load_valid(cli, printer, false)?
    };
    let certificate_timeout = match command {
        Aws::Deploy(seconds, _) => seconds,
        _ => 600,
    };
    let opts = options(
        cli,
        certificate_timeout,
        matches!(command, Aws::Remove(_, true)),
    );
    runtime.block_on(async {
        interrupt::install(crate::output::say_line);
        match command {
            Aws::Diff(exit_code) => diff::run(&config, &opts, printer, exit_code).await,
            Aws::Deploy(_, file) => deploy::run(&config, &opts, printer, file.as_deref()).await,
            Aws::Remove(yes, _) => remove::run(&config, &opts, printer, yes).await,
            Aws::Info(file) => info::run(&config, &opts, printer, file.as_deref()).await,
            Aws::Unlock => unlock::run(&config, &opts, printer).await,
        }
    })
}

/// `logs` needs the whole config (it names the functions) and installs no
/// interrupt handler: it waits for Ctrl-C itself, which ends `--follow`
/// normally.
fn on_logs(cli: &Cli, printer: &Printer, flags: &logs::Flags) -> Result<Exit, Error> {
    crate::aws::load_tls_roots_early(cli.endpoint_url.as_deref());
    let config = load_valid(cli, printer, true)?;
    let opts = options(cli, 600, false);
    runtime()?.block_on(logs::run(&config, &opts, flags, printer))
}

/// `--outputs-file` of `deploy` and `info`.
fn write_outputs(path: &std::path::Path, o: &pipeline::outputs::Outputs) -> Result<(), Error> {
    crate::output::outputs::write_file(path, o).map_err(|source| Error::Write {
        path: path.to_owned(),
        source,
    })
}

/// The options of the commands that talk to AWS, from the flags.
fn options(cli: &Cli, certificate_timeout: u64, keep_logs: bool) -> Options {
    Options {
        lock_timeout: Duration::from_secs(cli.lock_timeout),
        connect: ConnectOptions {
            profile: cli.profile.clone(),
            region: cli.region.clone(),
            endpoint_url: cli.endpoint_url.clone(),
        },
        budget: budget(cli),
        certificate_timeout: Duration::from_secs(certificate_timeout),
        keep_logs,
    }
}

/// The async runtime of the commands that talk to AWS.
fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)
}

/// `--retry-budget`.
fn budget(cli: &Cli) -> RetryBudget {
    RetryBudget {
        transient: Duration::from_secs(cli.retry_budget),
        ..RetryBudget::default()
    }
}

/// Loads the config with the process environment: all of it, or only what
/// identifies the app.
pub fn load(cli: &Cli, whole: bool) -> Loaded {
    let env_region = env_region();
    let lookup = |name: &str| std::env::var(name).ok();
    let opts = LoadOptions {
        stage: cli.stage.as_deref(),
        region: cli.region.as_deref(),
        env_region: env_region.as_deref(),
        env: &lookup,
    };
    if whole {
        config::load(&cli.config, &opts)
    } else {
        config::load_identity(&cli.config, &opts)
    }
}

/// `AWS_REGION`, else `AWS_DEFAULT_REGION`.
fn env_region() -> Option<String> {
    std::env::var("AWS_REGION")
        .ok()
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .filter(|r| !r.is_empty())
}

/// How `load` loads the config, for `dev` to load it again on a change.
fn config_source(cli: &Cli) -> crate::local::reload::ConfigSource {
    crate::local::reload::ConfigSource {
        file: cli.config.clone(),
        stage: cli.stage.clone(),
        region: cli.region.clone(),
        env_region: env_region(),
        ssm: None,
    }
}

/// Loads the config and shows its problems; a config with errors is an
/// error. Warnings of a valid config are shown only as text.
///
/// Offline: `${ssm:...}` stays a placeholder (see `config::ssm`), which
/// `package`, `remove`, `info` and `unlock` do not use.
fn load_valid(cli: &Cli, printer: &Printer, whole: bool) -> Result<Config, Error> {
    let mut loaded = load(cli, true);
    if !whole && loaded.config.is_none() {
        // Only the identity is needed. The whole config, when it is valid,
        // also names the functions, which lets observing read them in its
        // first round; without it they are found through their roles.
        loaded = load(cli, false);
    }
    show(printer, loaded)
}

/// Shows the problems of a loaded config; a config with errors is an
/// error. Warnings of a valid config are shown only as text.
fn show(printer: &Printer, mut loaded: Loaded) -> Result<Config, Error> {
    let diags = &loaded.diagnostics.items;
    if !diags.is_empty() && (loaded.config.is_none() || !printer.is_json()) {
        printer.message(&diagnostics::diagnostics(
            &loaded.file,
            loaded.source.as_deref(),
            diags,
            printer.stderr_style,
        ));
    }
    match loaded.config.take() {
        Some(config) => Ok(config),
        None => Err(Error::InvalidConfig(Box::new(loaded))),
    }
}
