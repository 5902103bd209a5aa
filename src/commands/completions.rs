//! `wsdeploy completions SHELL`: the shell's completion script, generated
//! by clap_complete from the flags in `cli`, on stdout.

use clap::CommandFactory as _;
use clap_complete::Shell;

use super::Exit;
use crate::cli::Cli;
use crate::output::Printer;

pub fn run(shell: Shell, printer: &Printer) -> Exit {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "wsdeploy", &mut script);
    printer.data(&String::from_utf8_lossy(&script));
    Exit::Ok
}
