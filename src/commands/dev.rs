//! `wsdeploy dev`: the app served on this machine as API Gateway would
//! serve it, until Ctrl-C. Prints the URLs on stdout, one line per event
//! and the handlers' output on stderr (`--output json`: one JSON object per
//! line on stdout instead).

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::{Error, Exit, ssm};
use crate::cli::Cli;
use crate::config::model::Config;
use crate::local::gateway::EventLog;
use crate::local::reload::{self, ConfigSource, Note};
use crate::local::runtime::Stream;
use crate::local::serve::{self, Options};
use crate::output::diagnostics::{self, Style};
use crate::output::{Printer, say_line};

/// The flags of `wsdeploy dev`.
pub struct Flags {
    pub host: String,
    pub port: u16,
    pub endpoint_url: Option<String>,
    pub idle_timeout: u64,
    pub max_connection: u64,
    /// How to load the config again on a change; `None`: `--no-reload`.
    pub reload: Option<ConfigSource>,
}

/// Loads the config, its SSM parameters read (and kept for reloads), and
/// serves it until Ctrl-C.
pub fn start(cli: &Cli, printer: &Printer, mut flags: Flags) -> Result<Exit, Error> {
    let runtime = super::runtime()?;
    let reader = ssm::Reader::new(cli, super::budget(cli), runtime.handle().clone());
    let (config, known) = ssm::load(cli, printer, &reader)?;
    if let Some(source) = &mut flags.reload {
        source.ssm = Some(reader.for_reload(known));
    }
    runtime.block_on(run(&config, &flags, printer))
}

pub async fn run(config: &Config, flags: &Flags, printer: &Printer) -> Result<Exit, Error> {
    if !is_loopback(&flags.host) {
        say_line(&format!(
            "warning: listening on {}: the local API is reachable from the network, with no AWS in front of it",
            flags.host
        ));
    }
    let (credentials, real_credentials) = credentials();
    let opts = Options {
        host: flags.host.clone(),
        port: flags.port,
        endpoint_url: flags.endpoint_url.clone(),
        idle_timeout: Duration::from_secs(flags.idle_timeout),
        max_connection: Duration::from_secs(flags.max_connection),
        credentials,
        real_credentials,
    };
    let json_out = printer.is_json();
    // Colour only on a terminal, and not under NO_COLOR.
    let color = !json_out && matches!(printer.stderr_style, Style::Rich { color: true });
    let on_event: crate::local::gateway::OnEvent =
        Arc::new(move |e: EventLog| log_event(&e, json_out, color));
    let on_output: crate::local::runtime::OutputFn =
        Arc::new(move |function: &str, stream: Stream, line: &str| {
            log_output(function, stream, line, json_out, color)
        });
    let server = serve::start(config, &opts, on_event, on_output)
        .await
        .map_err(Error::Serve)?;
    if server.gateway.iam_unverified() {
        say_line(
            "notice: authorizer iam: dev has no AWS credentials of its own (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), so it cannot verify signatures: any well-formed SigV4 signature for execute-api is accepted",
        );
    }
    let (url, endpoint) = (
        server.url(&config.stage),
        server.management_endpoint(&config.stage),
    );
    if json_out {
        line_out(&json!({"url": url, "managementEndpoint": endpoint}));
    } else {
        printer.data(&format!("url: {url}\nmanagementEndpoint: {endpoint}\n"));
    }
    let _reloader = flags.reload.clone().and_then(|source| {
        let style = printer.stderr_style;
        let on_note: reload::OnNote = Arc::new(move |note| log_note(note, json_out, style));
        reload::watch(&server, source, on_note)
            .map_err(|e| say_line(&format!("warning: reload is off: watching files: {e}")))
            .ok()
    });
    server
        .run(crate::pipeline::interrupt::next_signal())
        .await
        .map_err(|e| Error::Serve(serve::ServeError::Workers(e)))?;
    Ok(Exit::Ok)
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The handlers sign their SDK calls with dev's credentials, or with dummy
/// ones when dev has none (the local API does not check them); true when
/// they are dev's own (`authorizer: iam` verifies signatures with them).
fn credentials() -> (Vec<(String, String)>, bool) {
    let from_env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match (
        from_env("AWS_ACCESS_KEY_ID"),
        from_env("AWS_SECRET_ACCESS_KEY"),
    ) {
        (Some(id), Some(secret)) => {
            let mut c = vec![
                ("AWS_ACCESS_KEY_ID".to_owned(), id),
                ("AWS_SECRET_ACCESS_KEY".to_owned(), secret),
            ];
            if let Some(token) = from_env("AWS_SESSION_TOKEN") {
                c.push(("AWS_SESSION_TOKEN".to_owned(), token));
            }
            (c, true)
        }
        _ => (
            vec![
                ("AWS_ACCESS_KEY_ID".to_owned(), "wsdeploy-dev".to_owned()),
                (
                    "AWS_SECRET_ACCESS_KEY".to_owned(),
                    "wsdeploy-dev".to_owned(),
                ),
            ],
            false,
        ),
    }
}

/// One JSON object on a line of stdout, flushed (events arrive from many
/// tasks), secrets masked.
fn line_out(value: &serde_json::Value) {
    crate::output::json_line(value);
}

/// Wraps `text` in an ANSI colour when `on`.
fn paint(text: &str, code: u8, on: bool) -> String {
    if on {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// A function's colour: the same one for its every line.
fn colour_of(function: &str) -> u8 {
    const PALETTE: [u8; 6] = [36, 35, 34, 33, 32, 96];
    let sum: usize = function.bytes().map(usize::from).sum();
    PALETTE[sum % PALETTE.len()]
}

fn log_event(e: &EventLog, json_out: bool, color: bool) {
    let millis = e.duration.as_secs_f64() * 1000.0;
    if json_out {
        line_out(&json!({
            "event": "route",
            "connectionId": e.connection_id,
            "routeKey": e.route_key,
            "status": e.status,
            "durationMs": (millis * 10.0).round() / 10.0,
            "error": e.error,
        }));
        return;
    }
    let error = e
        .error
        .as_deref()
        .map(|x| format!(" {x}"))
        .unwrap_or_default();
    let status_colour = match e.status {
        200..=299 => 32,
        400..=499 => 33,
        _ => 31,
    };
    say_line(&format!(
        "{} {} {} {} {millis:.0} ms{error}",
        paint(&crate::local::gateway::clock::iso8601(e.time), 2, color),
        e.connection_id,
        e.route_key,
        paint(&e.status.to_string(), status_colour, color)
    ));
}

fn log_output(function: &str, stream: Stream, line: &str, json_out: bool, color: bool) {
    if json_out {
        let stream = match stream {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        };
        line_out(&json!({"event": "output", "function": function, "stream": stream, "line": line}));
    } else {
        let prefix = paint(&format!("[{function}]"), colour_of(function), color);
        say_line(&format!("{prefix} {line}"));
    }
}

/// One reload, on stderr (`--output json`: one JSON object on stdout).
fn log_note(note: Note, json_out: bool, style: Style) {
    if json_out {
        let value = match &note {
            Note::Reloaded { function, took } => {
                json!({"event": "reload", "function": function, "durationMs": took.as_millis()})
            }
            Note::ConfigReloaded { took } => {
                json!({"event": "configReload", "durationMs": took.as_millis()})
            }
            Note::BuildFailed { error, hint } => {
                json!({"event": "reloadFailed", "error": error, "hint": hint})
            }
            Note::ConfigInvalid(loaded) => json!({
                "event": "configInvalid",
                "diagnostics": diagnostics::json_diagnostics(&loaded.file, &loaded.diagnostics.items),
            }),
            Note::Failed(error) => json!({"event": "reloadFailed", "error": error}),
        };
        line_out(&value);
        return;
    }
    let text = match note {
        Note::Reloaded { function, took } => {
            format!("reloaded {function} ({:.1} s)", took.as_secs_f64())
        }
        Note::ConfigReloaded { took } => format!("config reloaded ({:.1} s)", took.as_secs_f64()),
        Note::BuildFailed { error, hint } => {
            let hint = hint.map(|h| format!("\n  hint: {h}")).unwrap_or_default();
            format!("build failed: kept the previous code\n{error}{hint}")
        }
        Note::ConfigInvalid(loaded) => {
            let shown = diagnostics::diagnostics(
                &loaded.file,
                loaded.source.as_deref(),
                &loaded.diagnostics.items,
                style,
            );
            format!("{}config invalid: kept the previous one", shown)
        }
        Note::Failed(error) => format!("reload failed: {error}"),
    };
    say_line(&text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_listens_without_a_warning() {
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("127.0.0.2"));
        assert!(is_loopback("::1"));
        assert!(is_loopback("localhost"));
        assert!(!is_loopback("0.0.0.0"));
        assert!(!is_loopback("192.168.1.10"));
    }

    #[test]
    fn colour_only_when_asked() {
        assert_eq!(paint("200", 32, false), "200");
        assert_eq!(paint("200", 32, true), "\u{1b}[32m200\u{1b}[0m");
        assert_eq!(colour_of("connect"), colour_of("connect"));
    }
}
