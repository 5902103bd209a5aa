//! The one error path: how a command's failure is shown. Text on stderr
//! (`error: ...` and `hint: ...` lines), and with `--output json` one JSON
//! document on stdout with an `error` object (and the diagnostics of an
//! invalid config).

use std::fmt::Write as _;

use serde_json::json;

use super::{Printer, diagnostics};
use crate::aws::AwsError;
use crate::aws::observe::Foreign;
use crate::config::Loaded;
use crate::pipeline;

/// A failure to show, whatever command it ended.
pub enum Problem<'a> {
    Aws(&'a AwsError),
    Foreign(&'a [Foreign]),
    /// The config's diagnostics (already printed on stderr).
    Config(&'a Loaded),
    /// Anything else: a code for programs, a message and a hint for people.
    Message {
        code: &'static str,
        message: String,
        hint: Option<String>,
    },
}

impl<'a> From<&'a pipeline::Error> for Problem<'a> {
    fn from(e: &'a pipeline::Error) -> Self {
        match e {
            pipeline::Error::Aws(e) => Problem::Aws(e),
            pipeline::Error::Foreign(list) => Problem::Foreign(list),
            pipeline::Error::Build(e) => Problem::Message {
                code: "BuildFailed",
                message: chain(e),
                hint: e.hint().map(str::to_owned),
            },
        }
    }
}

/// An error and its sources, as one line.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            let _ = write!(text, ": {more}");
        }
        source = s.source();
    }
    text
}

/// Shows a failure: text on stderr; under `--output json` also the JSON
/// document on stdout.
pub fn print(printer: &Printer, problem: &Problem) {
    let (text, error) = describe(problem);
    printer.message(&text);
    if printer.is_json() {
        let mut doc = json!({ "error": error });
        if let Problem::Config(loaded) = problem {
            doc["diagnostics"] = serde_json::to_value(diagnostics::json_diagnostics(
                &loaded.file,
                &loaded.diagnostics.items,
            ))
            .unwrap_or_default();
        }
        printer.json(&doc);
    }
}

/// A failure that does not end the command (the lock could not be
/// released after the work was done): text on stderr only.
pub fn warn_aws(e: &AwsError) {
    super::say(&describe(&Problem::Aws(e)).0);
}

/// The text for people and the `error` object for programs.
fn describe(problem: &Problem) -> (String, serde_json::Value) {
    match problem {
        Problem::Aws(e) => (
            with_hint(format!("error: {e}\n"), e.hint.as_deref()),
            json!({"operation": e.operation, "resource": e.resource, "code": e.code, "message": e.message, "hint": e.hint}),
        ),
        Problem::Foreign(list) => {
            let mut text = String::from(
                "error: resources with the names wsdeploy would use are not wsdeploy's, so it will not touch them:\n",
            );
            for f in *list {
                let _ = writeln!(text, "  {} `{}`: {}", f.kind, f.name, f.why);
            }
            let hint = "rename the app or stage, or delete or rename those resources yourself";
            (
                with_hint(text, Some(hint)),
                json!({"code": "ForeignResource", "message": "resources with wsdeploy's names are not wsdeploy's", "hint": hint, "resources": list.iter().map(|f| json!({"kind": f.kind, "name": f.name, "why": f.why})).collect::<Vec<_>>()}),
            )
        }
        // The diagnostics themselves were printed when the config loaded.
        Problem::Config(_) => (
            String::new(),
            json!({"code": "InvalidConfig", "message": "the config is not valid"}),
        ),
        Problem::Message {
            code,
            message,
            hint,
        } => (
            with_hint(format!("error: {message}\n"), hint.as_deref()),
            json!({"code": code, "message": message, "hint": hint}),
        ),
    }
}

fn with_hint(mut text: String, hint: Option<&str>) -> String {
    if let Some(h) = hint {
        let _ = writeln!(text, "  hint: {h}");
    }
    text
}
