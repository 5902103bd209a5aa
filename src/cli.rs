//! The command line: flags, subcommands, and exit codes.
//!
//! Commands return an exit code; `main` only calls `run`. Exit codes follow
//! the contract: 0 success, 1 error (bad input or usage included), 2 changes
//! present (`diff --exit-code`), 130 interrupted.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::aws::{ConnectOptions, RetryBudget};
use crate::commands;
use crate::config::model::{Authorizer, Config, LogDestination};
use crate::config::{self, LoadOptions, Loaded};
use crate::output::{Format, Printer};
use crate::render;

pub const EXIT_OK: u8 = 0;
pub const EXIT_ERROR: u8 = 1;

#[derive(Debug, Parser)]
#[command(
    name = "wsdeploy",
    version,
    about = "Deploy AWS API Gateway WebSocket APIs from one YAML file"
)]
pub struct Cli {
    /// The config file.
    #[arg(
        short = 'c',
        long = "config",
        global = true,
        default_value = "wsdeploy.yml"
    )]
    pub config: PathBuf,
    /// Stage to work on (overrides `stage:` in the file).
    #[arg(long, global = true)]
    pub stage: Option<String>,
    /// AWS region (overrides `region:` in the file).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// AWS profile (default: the standard AWS configuration chain).
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Send AWS requests to this endpoint (a local emulator); AWS_ENDPOINT_URL works too.
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub output: Format,
    /// How long, in seconds, to wait for another run's lock on this app and stage.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 300)]
    pub lock_timeout: u64,
    /// How long, in seconds, a write is retried while AWS throttles it or reports a conflict.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 90)]
    pub retry_budget: u64,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse, interpolate and validate the config offline; print every problem at once.
    Validate,
    /// Show what deploy would change in AWS.
    Diff {
        /// Exit with 2 when there are changes, 0 when there are none.
        #[arg(long)]
        exit_code: bool,
    },
    /// Make AWS match the config, then print the outputs.
    Deploy {
        /// The longest wait, in seconds, for ACM to issue a new certificate; a later deploy resumes.
        #[arg(long, value_name = "SECONDS", default_value_t = 600)]
        certificate_timeout: u64,
    },
    /// Delete every resource wsdeploy owns for this app and stage.
    Remove {
        /// Do not ask for confirmation (required when not on a terminal).
        #[arg(short = 'y', long)]
        yes: bool,
        /// Keep the access-log group (and its logs).
        #[arg(long)]
        keep_logs: bool,
    },
    /// Print the outputs of the deployed stage.
    Info,
    /// Break the deploy lock of this app and stage (after a run was killed on another machine).
    Unlock,
    /// Print the JSON Schema of wsdeploy.yml.
    Schema,
}

/// Parses the arguments and runs the command; returns the exit code.
pub fn run() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
        }
    };
    let printer = Printer::new(cli.output);
    match cli.command {
        Command::Validate => validate(&cli, &printer),
        Command::Schema => {
            printer.data(&crate::schema::schema_text());
            EXIT_OK
        }
        Command::Diff { .. }
        | Command::Deploy { .. }
        | Command::Remove { .. }
        | Command::Info
        | Command::Unlock => aws_command(&cli, &printer),
    }
}

/// Loads the config (printing its problems) and runs an AWS command.
fn aws_command(cli: &Cli, printer: &Printer) -> u8 {
    let loaded = load(cli);
    let diags = &loaded.diagnostics.items;
    if !diags.is_empty() && (loaded.config.is_none() || printer.format == Format::Text) {
        printer.message(&render::diagnostics(
            &loaded.file,
            loaded.source.as_deref(),
            diags,
            printer.stderr_style,
        ));
    }
    let Some(config) = loaded.config else {
        if printer.format == Format::Json {
            printer.json(&serde_json::json!({
                "error": {"code": "InvalidConfig", "message": "the config is not valid"},
                "diagnostics": render::json_diagnostics(&loaded.file, diags),
            }));
        }
        return EXIT_ERROR;
    };
    let opts = commands::Options {
        lock_timeout: std::time::Duration::from_secs(cli.lock_timeout),
        connect: ConnectOptions {
            profile: cli.profile.clone(),
            region: cli.region.clone(),
            endpoint_url: cli.endpoint_url.clone(),
        },
        budget: RetryBudget {
            transient: std::time::Duration::from_secs(cli.retry_budget),
            ..RetryBudget::default()
        },
        certificate_timeout: match cli.command {
            Command::Deploy {
                certificate_timeout,
            } => std::time::Duration::from_secs(certificate_timeout),
            _ => std::time::Duration::from_secs(600),
        },
        keep_logs: matches!(
            cli.command,
            Command::Remove {
                keep_logs: true,
                ..
            }
        ),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            printer.message(&format!("error: cannot start the async runtime: {e}\n"));
            return EXIT_ERROR;
        }
    };
    runtime.block_on(async {
        commands::install_interrupt_handler();
        match &cli.command {
            Command::Diff { exit_code } => {
                commands::diff(&config, &opts, printer, *exit_code).await
            }
            Command::Deploy { .. } => commands::deploy(&config, &opts, printer).await,
            Command::Remove { yes, .. } => commands::remove(&config, &opts, printer, *yes).await,
            Command::Unlock => commands::unlock(&config, &opts, printer).await,
            _ => commands::info(&config, &opts, printer).await,
        }
    })
}

/// Loads the config with the process environment.
pub fn load(cli: &Cli) -> Loaded {
    let env_region = std::env::var("AWS_REGION")
        .ok()
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .filter(|r| !r.is_empty());
    let lookup = |name: &str| std::env::var(name).ok();
    config::load(
        &cli.config,
        &LoadOptions {
            stage: cli.stage.as_deref(),
            region: cli.region.as_deref(),
            env_region: env_region.as_deref(),
            env: &lookup,
        },
    )
}

fn validate(cli: &Cli, printer: &Printer) -> u8 {
    let loaded = load(cli);
    let diags = &loaded.diagnostics.items;
    match printer.format {
        Format::Json => {
            let value = serde_json::json!({
                "valid": loaded.config.is_some(),
                "diagnostics": render::json_diagnostics(&loaded.file, diags),
                "config": loaded.config,
            });
            printer.json(&value);
        }
        Format::Text => {
            if !diags.is_empty() {
                printer.message(&render::diagnostics(
                    &loaded.file,
                    loaded.source.as_deref(),
                    diags,
                    printer.stderr_style,
                ));
            }
            match &loaded.config {
                Some(c) => printer.data(&summary(c)),
                None => {
                    let n = loaded.diagnostics.error_count();
                    let s = if n == 1 { "" } else { "s" };
                    printer.message(&format!(
                        "{}: {n} error{s}; the config is not valid\n",
                        loaded.file.display()
                    ));
                }
            }
        }
    }
    if loaded.config.is_some() {
        EXIT_OK
    } else {
        EXIT_ERROR
    }
}

/// The human summary of a valid config.
pub fn summary(c: &Config) -> String {
    let mut s = String::new();
    let region = c.region.as_deref().unwrap_or("from the AWS configuration");
    let _ = writeln!(s, "{}: valid", c.file.display());
    let _ = writeln!(s, "app {}, stage {}, region {region}", c.app, c.stage);
    let _ = writeln!(
        s,
        "api {} ({} routes, {} functions)",
        c.api.name,
        c.routes.len(),
        c.functions.len()
    );
    let width = c.routes.keys().map(|k| k.len()).max().unwrap_or(0);
    for (key, route) in &c.routes {
        let Some(f) = c.functions.get(&route.function) else {
            continue;
        };
        let env = if f.environment.is_empty() {
            "no env".to_owned()
        } else {
            format!(
                "env {}",
                f.environment.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        };
        let two_way = if route.return_response {
            ", two-way"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "  {key:<width$}  -> {} ({}, {} MB, {} s, {}, {env}{two_way})",
            f.function_name,
            f.runtime,
            f.memory_size,
            f.timeout,
            f.architecture.as_str()
        );
    }
    match &c.authorizer {
        Some(Authorizer::Lambda {
            name,
            function,
            identity_sources,
        }) => {
            let fname = c
                .functions
                .get(function)
                .map_or(function.as_str(), |f| f.function_name.as_str());
            let _ = writeln!(
                s,
                "authorizer {name} on $connect -> {fname} (identity: {})",
                identity_sources.join(", ")
            );
        }
        Some(Authorizer::Iam) => {
            let _ = writeln!(s, "authorizer IAM on $connect");
        }
        None => {}
    }
    if let Some(d) = &c.domain {
        let path = d
            .path
            .as_deref()
            .map(|p| format!("/{p}"))
            .unwrap_or_default();
        let dns = if d.external {
            "external DNS".to_owned()
        } else {
            format!("zone {}", d.hosted_zone)
        };
        let _ = writeln!(s, "domain wss://{}{path} ({dns})", d.name);
    }
    if let Some(a) = &c.api.access_log {
        match &a.destination {
            LogDestination::Managed { group_name, .. } => {
                let _ = writeln!(s, "access log {group_name}");
            }
            LogDestination::Existing { arn } => {
                let _ = writeln!(s, "access log {arn}");
            }
        }
    }
    s
}
