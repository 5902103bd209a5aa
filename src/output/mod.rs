//! Output: the one place that decides how results reach the user.
//!
//! stdout carries data only (summaries, JSON, the schema); diagnostics and
//! progress go to stderr. On a terminal stderr gets the rich style (source
//! snippets, colour unless NO_COLOR is set); elsewhere plain lines; with
//! `--output json` stdout holds a single JSON document and nothing else
//! (`logs` streams one JSON object per line instead).
//!
//! Every print goes through the `Printer`. What is printed is shaped in
//! the files beside this one: `diagnostics` (config problems), `plan`,
//! `progress` (apply's events), `report` (what apply did), `outputs`,
//! `logs` (the lines of `wsdeploy logs`), `init` (what `wsdeploy init` wrote
//! and the next steps),
//! `errors` (the one error path of every command), `summary` (a valid
//! config). `secrets` masks the values read from SSM in all of it: every
//! write below passes through it.

pub mod diagnostics;
pub mod errors;
pub mod init;
pub mod logs;
pub mod outputs;
pub mod plan;
pub mod progress;
pub mod report;
pub mod secrets;
pub mod summary;

use std::io::{IsTerminal, Write};

use clap::ValueEnum;

use diagnostics::Style;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Human-readable text.
    #[default]
    Text,
    /// One JSON document on stdout.
    Json,
}

pub struct Printer {
    pub format: Format,
    pub stderr_style: Style,
    /// `--verbose`: say which tools built the packages.
    pub verbose: bool,
}

impl Printer {
    pub fn new(format: Format) -> Self {
        let tty = std::io::stderr().is_terminal();
        let color = tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Printer {
            verbose: false,
            format,
            stderr_style: if tty {
                Style::Rich { color }
            } else {
                Style::Plain
            },
        }
    }

    /// Writes data to stdout, secrets masked.
    pub fn data(&self, text: &str) {
        stdout(&secrets::mask(text));
    }

    /// Writes data to stdout and flushes it, and says whether that
    /// worked: a command that streams (`logs --follow | head -1`) stops
    /// when the reader has gone (`BrokenPipe`).
    pub fn stream(&self, text: &str) -> std::io::Result<()> {
        let text = secrets::mask(text);
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes()).and_then(|()| out.flush())
    }

    /// Whether stdout gets colour: a terminal, and NO_COLOR unset (text
    /// output only).
    pub fn stdout_color(&self) -> bool {
        !self.is_json()
            && std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
    }

    /// One JSON document on stdout, its strings masked (`secrets`).
    pub fn json(&self, value: &serde_json::Value) {
        let mut value = value.clone();
        secrets::mask_json(&mut value);
        let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
        s.push('\n');
        stdout(&s);
    }

    /// Writes a message to stderr, secrets masked.
    pub fn message(&self, text: &str) {
        say(text);
    }

    pub fn is_json(&self) -> bool {
        self.format == Format::Json
    }
}

/// Writes a message to stderr, secrets masked, for code that has no
/// printer (the signal handler).
pub fn say(text: &str) {
    let text = secrets::mask(text);
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// One JSON object on one line of stdout, its strings masked, for streams
/// of events (`dev --output json`).
pub fn json_line(value: &serde_json::Value) {
    let mut value = value.clone();
    secrets::mask_json(&mut value);
    stdout(&format!("{value}\n"));
}

/// Writes to stdout as it is (already masked), flushed. A closed pipe
/// (`wsdeploy schema | head`) is not an error worth reporting.
fn stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// The line that says a package is ready: `  built chat-dev-connect with
/// esbuild 0.28.2 (0.1 s)`, or `(cached)`.
pub fn built_line(b: &crate::build::Built) -> String {
    let tool = b
        .tool
        .as_deref()
        .map(|t| format!(" with {t}"))
        .unwrap_or_default();
    let when = if b.cached {
        "cached".to_owned()
    } else {
        format!("{:.1} s", b.elapsed.as_secs_f64())
    };
    format!("  built {}{tool} ({when})", b.function)
}

/// One line to stderr.
pub fn say_line(text: &str) {
    say(&format!("{text}\n"));
}

impl Printer {
    /// Whether stderr is a terminal (for spinners).
    pub fn interactive(&self) -> bool {
        matches!(self.stderr_style, Style::Rich { .. })
    }
}
