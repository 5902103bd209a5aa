//! Finding what a Lambda handler string starts in a code directory: the
//! file `src/connect.handler` names (per runtime), or the `bootstrap` of an
//! OS-only (`provided.*`) runtime.
//!
//! Plain values in (code directory, handler string, runtime name), a typed
//! error out: validation turns the error into diagnostics at the right
//! positions, and a local dev server can use the same lookup to know what
//! to run.

use std::path::{Path, PathBuf};

use super::runtimes::{self, Family};

/// Why a handler cannot be started from a code directory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandlerError {
    #[error("`{0}` is not a Lambda runtime wsdeploy supports")]
    UnknownRuntime(String),
    /// The string does not have the shape the runtime expects.
    #[error("not a handler: a handler is {expected}")]
    Shape {
        /// What a handler looks like for this runtime, with an example.
        expected: &'static str,
    },
    /// None of the files the handler may name exists.
    #[error("handler file not found: no {} in the code directory", candidates.join(" or "))]
    FileNotFound {
        /// The files looked for, relative to the code directory.
        candidates: Vec<String>,
    },
    /// An OS-only runtime without `bootstrap` at the top of the code.
    #[error("no `bootstrap` at the top of the code directory")]
    NoBootstrap,
    #[error("`bootstrap` is not executable")]
    BootstrapNotExecutable,
}

/// Checks that `handler` has the shape `runtime` expects, without looking
/// at any file (for code shipped as a `.zip`).
pub fn check_shape(handler: &str, runtime: &str) -> Result<(), HandlerError> {
    shape(handler, family(runtime)?)
}

/// The file `handler` names in `code_dir`, relative to it with `/`
/// separators, after checking the handler's shape. `None` when the runtime
/// resolves the handler itself (Java, .NET) or runs a `bootstrap`
/// (`provided.*`, see `find_bootstrap`).
pub fn find_file(
    code_dir: &Path,
    handler: &str,
    runtime: &str,
) -> Result<Option<String>, HandlerError> {
    let family = family(runtime)?;
    shape(handler, family)?;
    let candidates = candidates(handler, family);
    if candidates.is_empty() {
        return Ok(None);
    }
    match candidates.iter().find(|c| code_dir.join(c).is_file()) {
        Some(file) => Ok(Some(file.clone())),
        None => Err(HandlerError::FileNotFound { candidates }),
    }
}

/// The executable `bootstrap` an OS-only runtime starts, at the top of
/// `code_dir`.
pub fn find_bootstrap(code_dir: &Path) -> Result<PathBuf, HandlerError> {
    let bootstrap = code_dir.join("bootstrap");
    if !bootstrap.is_file() {
        Err(HandlerError::NoBootstrap)
    } else if !is_executable(&bootstrap) {
        Err(HandlerError::BootstrapNotExecutable)
    } else {
        Ok(bootstrap)
    }
}

fn family(runtime: &str) -> Result<Family, HandlerError> {
    runtimes::family(runtime).ok_or_else(|| HandlerError::UnknownRuntime(runtime.to_owned()))
}

/// Lambda splits `dir/module.export` at the first `.` after the last `/`:
/// the module is a file, the rest names the export. Returns the directory
/// part (with its `/`) and the rest.
fn split_dir(handler: &str) -> (&str, &str) {
    match handler.rfind('/') {
        Some(i) => (&handler[..=i], &handler[i + 1..]),
        None => ("", handler),
    }
}

fn shape(handler: &str, family: Family) -> Result<(), HandlerError> {
    let (_, base) = split_dir(handler);
    let ok = match family {
        // These runtimes give the handler string to the program or the
        // class loader: any name will do.
        Family::Java | Family::DotNet | Family::Provided => !handler.is_empty(),
        _ => base
            .split_once('.')
            .is_some_and(|(m, e)| !m.is_empty() && !e.is_empty()),
    };
    if ok {
        return Ok(());
    }
    let expected = match family {
        Family::Python => "`path/to/module.function`, for example `handlers/app.handler`",
        _ => "`path/to/file.export`, for example `src/connect.handler`",
    };
    Err(HandlerError::Shape { expected })
}

/// The files a well-shaped handler may name, in the order they are looked
/// for; none for runtimes that do not load a source file.
fn candidates(handler: &str, family: Family) -> Vec<String> {
    let (dir_part, base) = split_dir(handler);
    let module = format!(
        "{dir_part}{}",
        base.split_once('.').map_or(base, |(m, _)| m)
    );
    match family {
        Family::Node => ["js", "mjs", "cjs"]
            .iter()
            .map(|e| format!("{module}.{e}"))
            .collect(),
        Family::Python => {
            // Python may also name the module with dots: pkg.mod.handler.
            let (m, _) = handler.rsplit_once('.').unwrap_or((handler, ""));
            let mut c = vec![
                format!("{module}.py"),
                format!("{}.py", m.replace('.', "/")),
            ];
            c.dedup();
            c
        }
        Family::Ruby => vec![format!("{module}.rb")],
        Family::Java | Family::DotNet | Family::Provided => Vec::new(),
    }
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_: &Path) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(dir: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(dir)
    }

    #[test]
    fn finds_the_file_per_runtime() {
        let chat = fixture("chat");
        assert_eq!(
            find_file(&chat, "src/connect.handler", "nodejs20.x"),
            Ok(Some("src/connect.mjs".to_owned()))
        );
        let full = fixture("full/app");
        assert_eq!(
            find_file(&full, "py/ping.handler", "python3.12"),
            Ok(Some("py/ping.py".to_owned()))
        );
        // Dotted module names.
        assert_eq!(
            find_file(&full, "py.ping.handler", "python3.12"),
            Ok(Some("py/ping.py".to_owned()))
        );
        assert_eq!(find_file(&chat, "Chat::Handler", "java21"), Ok(None));
    }

    #[test]
    fn errors_are_typed() {
        let chat = fixture("chat");
        assert_eq!(
            find_file(&chat, "src/missing.handler", "nodejs20.x"),
            Err(HandlerError::FileNotFound {
                candidates: vec![
                    "src/missing.js".to_owned(),
                    "src/missing.mjs".to_owned(),
                    "src/missing.cjs".to_owned(),
                ]
            })
        );
        assert!(matches!(
            find_file(&chat, "src/connect", "nodejs20.x"),
            Err(HandlerError::Shape { .. })
        ));
        assert!(matches!(
            check_shape("handler", "python3.12"),
            Err(HandlerError::Shape { expected }) if expected.contains("module.function")
        ));
        assert_eq!(check_shape("anything", "provided.al2023"), Ok(()));
        assert_eq!(
            check_shape("src/a.handler", "cobol"),
            Err(HandlerError::UnknownRuntime("cobol".to_owned()))
        );
        assert_eq!(
            find_bootstrap(&fixture("invalid/provided")),
            Err(HandlerError::NoBootstrap)
        );
    }
}
