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
    /// Only a TypeScript file matches, and the code is shipped unbundled:
    /// Lambda cannot load TypeScript.
    #[error("the handler file `{file}` is TypeScript, which Lambda cannot load without bundling")]
    NeedsBundle { file: String },
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

/// Which files a Node.js handler may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// The code is shipped as it is: what Lambda loads (`.js`, `.mjs`,
    /// `.cjs`).
    Shipped,
    /// The handler's file is bundled: TypeScript too, and a TypeScript
    /// source wins over a compiled file of the same name.
    Bundled,
}

/// The extensions a Node.js handler's file may have, in the order they are
/// looked for when bundling.
pub const NODE_EXTENSIONS: [&str; 6] = ["ts", "mts", "cts", "js", "mjs", "cjs"];

/// Whether a file is TypeScript (by its extension).
pub fn is_typescript(file: &str) -> bool {
    ["ts", "mts", "cts"]
        .iter()
        .any(|e| file.rsplit_once('.').is_some_and(|(_, x)| x == *e))
}

/// The file `handler` names in `code_dir`, relative to it with `/`
/// separators, after checking the handler's shape. `None` when the runtime
/// resolves the handler itself (Java, .NET) or runs a `bootstrap`
/// (`provided.*`, see `find_bootstrap`).
pub fn find_file(
    code_dir: &Path,
    handler: &str,
    runtime: &str,
    lookup: Lookup,
) -> Result<Option<String>, HandlerError> {
    let family = family(runtime)?;
    shape(handler, family)?;
    let all = candidates(handler, family);
    if all.is_empty() {
        return Ok(None);
    }
    let exists = |c: &&String| code_dir.join(c).is_file();
    if lookup == Lookup::Bundled || family != Family::Node {
        return match all.iter().find(exists) {
            Some(file) => Ok(Some(file.clone())),
            None => Err(HandlerError::FileNotFound { candidates: all }),
        };
    }
    let (typescript, shipped): (Vec<String>, Vec<String>) =
        all.into_iter().partition(|c| is_typescript(c));
    if let Some(file) = shipped.iter().find(exists) {
        return Ok(Some(file.clone()));
    }
    match typescript.iter().find(exists) {
        Some(file) => Err(HandlerError::NeedsBundle { file: file.clone() }),
        None => Err(HandlerError::FileNotFound {
            candidates: shipped,
        }),
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
        Family::Node => NODE_EXTENSIONS
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
            find_file(&chat, "src/connect.handler", "nodejs20.x", Lookup::Bundled),
            Ok(Some("src/connect.ts".to_owned()))
        );
        assert_eq!(
            find_file(&chat, "src/connect.handler", "nodejs20.x", Lookup::Shipped),
            Err(HandlerError::NeedsBundle {
                file: "src/connect.ts".to_owned()
            })
        );
        let full = fixture("full/app");
        assert_eq!(
            find_file(&full, "py/ping.handler", "python3.12", Lookup::Shipped),
            Ok(Some("py/ping.py".to_owned()))
        );
        // Dotted module names.
        assert_eq!(
            find_file(&full, "py.ping.handler", "python3.12", Lookup::Shipped),
            Ok(Some("py/ping.py".to_owned()))
        );
        assert_eq!(
            find_file(&chat, "Chat::Handler", "java21", Lookup::Shipped),
            Ok(None)
        );
    }

    #[test]
    fn typescript_wins_when_bundling_and_needs_bundling() {
        let dir = std::env::temp_dir().join(format!("wsdeploy-handler-ts-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("src/a.ts"), "export const handler = 1;").unwrap();
        std::fs::write(dir.join("src/b.ts"), "").unwrap();
        std::fs::write(dir.join("src/b.js"), "").unwrap();
        let find = |h, l| find_file(&dir, h, "nodejs22.x", l);
        assert_eq!(
            find("src/a.handler", Lookup::Bundled),
            Ok(Some("src/a.ts".to_owned()))
        );
        assert_eq!(
            find("src/a.handler", Lookup::Shipped),
            Err(HandlerError::NeedsBundle {
                file: "src/a.ts".to_owned()
            })
        );
        // The TypeScript source wins over a compiled file when bundling;
        // unbundled, the compiled file is what ships.
        assert_eq!(
            find("src/b.handler", Lookup::Bundled),
            Ok(Some("src/b.ts".to_owned()))
        );
        assert_eq!(
            find("src/b.handler", Lookup::Shipped),
            Ok(Some("src/b.js".to_owned()))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn errors_are_typed() {
        let chat = fixture("chat");
        assert_eq!(
            find_file(&chat, "src/missing.handler", "nodejs20.x", Lookup::Shipped),
            Err(HandlerError::FileNotFound {
                candidates: vec![
                    "src/missing.js".to_owned(),
                    "src/missing.mjs".to_owned(),
                    "src/missing.cjs".to_owned(),
                ]
            })
        );
        assert!(matches!(
            find_file(&chat, "src/connect", "nodejs20.x", Lookup::Shipped),
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
