//! `wsdeploy init [DIR]`: a new app from a template, offline (no AWS, no
//! config to load). Writes every file or none; says what it wrote and what
//! to do next.

use super::{Error, Exit};
use crate::init::{self, Options};
use crate::output::{self, Printer};

pub fn run(opts: &Options, printer: &Printer) -> Result<Exit, Error> {
    let scaffold = init::init(opts)?;
    let steps = init::steps(&scaffold);
    if printer.is_json() {
        printer.json(&output::init::json(&scaffold, &steps));
    } else {
        printer.data(&output::init::text(&scaffold, &steps));
    }
    Ok(Exit::Ok)
}
