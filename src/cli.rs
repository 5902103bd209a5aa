//! The command line: flags and subcommands, as clap parses them. Nothing
//! here runs anything: `commands::main` parses and dispatches.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::init::Template;
use crate::output::Format;

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
    /// Say more on stderr: each package built, and the tool that built it (esbuild's version).
    #[arg(short = 'v', long, global = true)]
    pub verbose: bool,
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
    /// Create a new app in DIR: wsdeploy.yml, its schema, handlers for four routes, and what
    /// they need. Writes nothing when any of those files exists.
    Init {
        /// Where (created when missing; files already there that are not init's are left alone).
        #[arg(value_name = "DIR", default_value = ".")]
        dir: PathBuf,
        /// The handlers' language.
        #[arg(long, value_enum, default_value_t = Template::default())]
        template: Template,
        /// The app's name (default: made from the directory's name).
        #[arg(long, value_name = "NAME")]
        app: Option<String>,
    },
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
        /// Also write the outputs as JSON to this file (for a later CI step); written on a no-op
        /// deploy too, not when the deploy fails.
        #[arg(long, value_name = "PATH")]
        outputs_file: Option<PathBuf>,
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
    Info {
        /// Also write the outputs as JSON to this file (for a later CI step).
        #[arg(long, value_name = "PATH")]
        outputs_file: Option<PathBuf>,
    },
    /// Break the deploy lock of this app and stage (after a run was killed on another machine).
    Unlock,
    /// Build every function's package offline: one zip per function and manifest.json.
    Package {
        /// Where to write them.
        #[arg(long, value_name = "DIR", default_value = ".wsdeploy/package")]
        out: PathBuf,
    },
    /// Serve the app on this machine as API Gateway would, with its handlers running warm.
    Dev {
        /// The address to listen on (anything but loopback makes the API reachable from the network).
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// The port (0 picks a free one; the printed URL tells which).
        #[arg(long, default_value_t = 3001)]
        port: u16,
        /// Close connections idle this long, in seconds (API Gateway: 10 minutes).
        #[arg(long, value_name = "SECONDS", default_value_t = 600)]
        idle_timeout: u64,
        /// Close connections this old, in seconds (API Gateway: 2 hours).
        #[arg(long, value_name = "SECONDS", default_value_t = 7200)]
        max_connection: u64,
        /// Do not watch the code and the config: serve what was built at start.
        #[arg(long)]
        no_reload: bool,
    },
    /// Print the functions' logs, merged by time; with --follow, keep printing new ones.
    Logs {
        /// Functions (short name such as `connect`, or Lambda name) or route keys (`$connect`);
        /// none: every function of the app.
        #[arg(value_name = "FUNCTION or ROUTE")]
        names: Vec<String>,
        /// Where to start: a duration back from now (30s, 10m, 2h, 1d, 1w) or a time
        /// (2026-12-01T10:00:00Z, 2026-12-01T12:00:00+02:00, 2026-12-01).
        #[arg(long, value_name = "DURATION or TIME", default_value = crate::logs::since::DEFAULT)]
        since: String,
        /// Keep reading and printing new events until Ctrl-C.
        #[arg(long)]
        follow: bool,
        /// Only events that match this CloudWatch Logs filter pattern (e.g. ERROR,
        /// or -DEBUG to leave out, or { $.level = "ERROR" }).
        #[arg(long, value_name = "PATTERN", allow_hyphen_values = true)]
        filter: Option<String>,
        /// Also read the stage's access log (`api.accessLog`); alone when no function is named.
        #[arg(long)]
        access: bool,
    },
    /// Print the JSON Schema of wsdeploy.yml.
    Schema,
    /// Print the completion script of a shell (e.g. `wsdeploy completions bash >
    /// ~/.local/share/bash-completion/completions/wsdeploy`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}
