//! `wsdeploy validate`: parse, interpolate and validate offline; every
//! problem at once, and a note for each SSM parameter (read only by the
//! commands that use the values). Its result is a document of its own
//! (`valid`, `diagnostics`, `config`), not the error path.

use super::{Exit, load};
use crate::cli::Cli;
use crate::config::ssm;
use crate::output::{Printer, diagnostics, summary};

pub fn run(cli: &Cli, printer: &Printer) -> Exit {
    let mut loaded = load(cli, true);
    let notes = ssm::notes(&loaded.ssm);
    loaded.diagnostics.items.extend(notes);
    loaded.diagnostics.sort();
    let diags = &loaded.diagnostics.items;
    if printer.is_json() {
        printer.json(&serde_json::json!({
            "valid": loaded.config.is_some(),
            "diagnostics": diagnostics::json_diagnostics(&loaded.file, diags),
            "config": loaded.config,
        }));
    } else {
        if !diags.is_empty() {
            printer.message(&diagnostics::diagnostics(
                &loaded.file,
                loaded.source.as_deref(),
                diags,
                printer.stderr_style,
            ));
        }
        match &loaded.config {
            Some(c) => printer.data(&summary::text(c)),
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
    if loaded.config.is_some() {
        Exit::Ok
    } else {
        Exit::Error
    }
}
