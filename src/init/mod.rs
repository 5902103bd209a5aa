//! `wsdeploy init`: a new app from a template, offline.
//!
//! `template` holds each template's files (real files under `templates/`,
//! pulled in with `include_str!`), `name` gives the app its name (from the
//! directory, or `--app` checked by the config's rule), `write` checks that
//! none of the files is there yet and only then writes them all, and
//! `next` lists the steps to take after. Nothing here prints:
//! `commands::init` does, through `output::init`.

mod name;
mod next;
mod template;
mod write;

use std::path::PathBuf;

pub use next::{Step, steps};
pub use template::Template;

/// What `wsdeploy init` was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where the app goes (created when missing).
    pub dir: PathBuf,
    pub template: Template,
    /// `--app`; `None`: from the directory's name.
    pub app: Option<String>,
}

/// One file of the new app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Relative to the app's directory, `/`-separated.
    pub path: &'static str,
    pub contents: String,
}

/// The new app: where it goes, its name, and its files.
#[derive(Debug, Clone)]
pub struct Scaffold {
    pub dir: PathBuf,
    pub app: String,
    pub template: Template,
    pub files: Vec<File>,
}

/// Why `init` wrote nothing (or stopped writing).
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("`{app}` is not a valid app name")]
    InvalidApp { app: String, suggestion: String },
    #[error(
        "{} of the files init writes already exist{} in `{}`: {}; nothing was written",
        files.len(),
        if files.len() == 1 { "s" } else { "" },
        dir.display(),
        files.join(", ")
    )]
    Exists { dir: PathBuf, files: Vec<String> },
    #[error("`{}` is not a directory", dir.display())]
    NotADirectory { dir: PathBuf },
    #[error("writing `{}`: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl InitError {
    /// The error's code under `--output json`.
    pub fn code(&self) -> &'static str {
        match self {
            InitError::InvalidApp { .. } => "InvalidAppName",
            InitError::Exists { .. } => "FilesExist",
            InitError::NotADirectory { .. } => "NotADirectory",
            InitError::Write { .. } => "WriteFailed",
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            InitError::InvalidApp { suggestion, .. } => Some(format!(
                "lowercase letters, digits and `-`, starting with a letter, at most 30 characters, for example `--app {suggestion}`"
            )),
            InitError::Exists { .. } => Some(
                "init never overwrites a file: move those away, or give a new directory (`wsdeploy init my-app`)"
                    .to_owned(),
            ),
            InitError::NotADirectory { .. } => {
                Some("give a directory that does not exist yet, or an existing one".to_owned())
            }
            InitError::Write { .. } => None,
        }
    }
}

/// The app `init` would write, with its name decided; reads nothing but
/// the directory's name, writes nothing.
pub fn prepare(opts: &Options) -> Result<Scaffold, InitError> {
    let app = match &opts.app {
        Some(app) => name::check(app)?,
        None => name::from_dir(&opts.dir),
    };
    Ok(Scaffold {
        dir: opts.dir.clone(),
        files: template::render(opts.template, &app),
        app,
        template: opts.template,
    })
}

/// Writes the new app: every file, or none when any of them is there.
pub fn init(opts: &Options) -> Result<Scaffold, InitError> {
    let scaffold = prepare(opts)?;
    write::write_all(&scaffold)?;
    Ok(scaffold)
}
