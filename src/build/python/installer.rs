//! The installers, uv and pip: finding one, the command line that installs
//! for Lambda's platform, running it, and reading its failure (which
//! requirement had no wheel, or no installer at all).

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{PythonError, Target};

/// Which program installs, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installer {
    /// `uv pip install`; the `uv` executable.
    Uv(PathBuf),
    /// `<python> -m pip install`; the Python interpreter.
    Pip(PathBuf),
}

impl Installer {
    /// `uv` when it is on `PATH`, else `python3 -m pip`.
    pub fn detect() -> Installer {
        match find_on_path("uv") {
            Some(uv) => Installer::Uv(uv),
            None => Installer::Pip(PathBuf::from("python3")),
        }
    }

    /// `uv` or `pip`.
    pub fn name(&self) -> &'static str {
        match self {
            Installer::Uv(_) => "uv",
            Installer::Pip(_) => "pip",
        }
    }

    /// The program to run.
    pub fn program(&self) -> &Path {
        match self {
            Installer::Uv(p) | Installer::Pip(p) => p,
        }
    }

    /// The arguments that install `requirements` for `target` into `dest`.
    pub fn args(&self, requirements: &Path, target: &Target, dest: &Path) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        let mut add = |items: &[&str]| args.extend(items.iter().map(OsString::from));
        match self {
            Installer::Uv(_) => {
                add(&["pip", "install", "--python-platform", &target.uv_platform()]);
                add(&["--python-version", &target.python, "--only-binary", ":all:"]);
            }
            Installer::Pip(_) => {
                add(&["-m", "pip", "install"]);
                for platform in target.pip_platforms() {
                    add(&["--platform", &platform]);
                }
                add(&["--python-version", &target.python, "--implementation", "cp"]);
                add(&["--only-binary=:all:", "--no-compile"]);
                add(&["--disable-pip-version-check", "--no-input"]);
            }
        }
        args.extend([
            "--target".into(),
            dest.into(),
            "-r".into(),
            requirements.into(),
        ]);
        args
    }
}

/// A requirement the installer found nothing for, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The project name as the installer reported it (no version specifier).
    pub name: String,
    pub reason: MissingReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingReason {
    /// Found, but no version has a wheel for the target (uv tells).
    NoWheel,
    /// Not on the index at all (uv tells).
    NotFound,
    /// Either of the two: pip does not tell them apart.
    NoWheelOrNotFound,
}

/// Runs the installer; a failure is classified from what it printed.
pub(super) fn run(
    installer: &Installer,
    requirements: &Path,
    target: &Target,
    dest: &Path,
    env: &[(OsString, OsString)],
) -> Result<(), PythonError> {
    let program = installer.program();
    let mut cmd = Command::new(program);
    cmd.args(installer.args(requirements, target, dest))
        .env("PIP_ROOT_USER_ACTION", "ignore")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null());
    // Relative paths inside the file (`./vendored`) are relative to it.
    if let Some(dir) = requirements.parent() {
        cmd.current_dir(dir);
    }
    let output = match cmd.output() {
        Ok(o) => o,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(PythonError::NoInstaller {
                requirements: requirements.to_path_buf(),
                detail: not_found_detail(installer),
            });
        }
        Err(source) => {
            return Err(PythonError::Spawn {
                program: program.to_path_buf(),
                source,
            });
        }
    };
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let text = if stderr.trim().is_empty() {
        String::from_utf8_lossy(&output.stdout).into_owned()
    } else {
        stderr.into_owned()
    };
    Err(classify_failure(
        installer,
        requirements,
        target,
        &output.status,
        text,
    ))
}

fn not_found_detail(installer: &Installer) -> String {
    match installer {
        Installer::Uv(p) => format!("`{}` could not be started", p.display()),
        Installer::Pip(p) => format!(
            "`uv` is not on PATH and `{}` could not be started",
            p.display()
        ),
    }
}

fn classify_failure(
    installer: &Installer,
    requirements: &Path,
    target: &Target,
    status: &std::process::ExitStatus,
    output: String,
) -> PythonError {
    let requirements = requirements.to_path_buf();
    if let Installer::Pip(python) = installer
        && output.contains("No module named pip")
    {
        return PythonError::NoInstaller {
            requirements,
            detail: format!(
                "`uv` is not on PATH and `{}` has no pip module",
                python.display()
            ),
        };
    }
    let missing = match installer {
        Installer::Uv(_) => uv_missing(&output),
        Installer::Pip(_) => pip_missing(&output),
    };
    if missing.is_empty() {
        return PythonError::Failed {
            requirements,
            target: target.clone(),
            installer: installer.name(),
            status: status.to_string(),
            output,
        };
    }
    PythonError::NoWheel {
        requirements,
        target: target.clone(),
        missing,
        installer: installer.name(),
        output,
    }
}

/// pip: "Could not find a version that satisfies the requirement X (from
/// versions: ...)" and "No matching distribution found for X".
pub fn pip_missing(output: &str) -> Vec<Missing> {
    let mut found = Vec::new();
    for line in output.lines() {
        let spec = if let Some((_, rest)) =
            line.split_once("Could not find a version that satisfies the requirement ")
        {
            rest.split(" (from versions").next().unwrap_or(rest)
        } else if let Some((_, rest)) = line.split_once("No matching distribution found for ") {
            rest
        } else {
            continue;
        };
        add_missing(&mut found, spec, MissingReason::NoWheelOrNotFound);
    }
    found
}

/// uv: "Because X==1.0 has no wheels with a matching platform tag (e.g.,
/// `manylinux_2_34_x86_64`)", "... matching Python ABI tag", "X has no
/// usable wheels", "all versions of X have no wheels ...", "X was not
/// found in the package registry" (or "in the cache", "in the provided
/// package locations").
pub fn uv_missing(output: &str) -> Vec<Missing> {
    const MARKERS: [(&str, MissingReason); 5] = [
        (" has no wheels with a matching", MissingReason::NoWheel),
        (" have no wheels with a matching", MissingReason::NoWheel),
        (" has no usable wheels", MissingReason::NoWheel),
        (" have no usable wheels", MissingReason::NoWheel),
        (" was not found in the", MissingReason::NotFound),
    ];
    let mut found = Vec::new();
    for line in output.lines() {
        let mut hits: Vec<(usize, &str, MissingReason)> = Vec::new();
        for (marker, reason) in MARKERS {
            for (at, _) in line.match_indices(marker) {
                let before = &line[..at];
                let token = before.rsplit(char::is_whitespace).next().unwrap_or(before);
                hits.push((at, token, reason));
            }
        }
        hits.sort_by_key(|(at, _, _)| *at);
        for (_, token, reason) in hits {
            add_missing(&mut found, token, reason);
        }
    }
    found
}

/// Adds the project name in `spec` (`foo[extra]==1.0` → `foo`) once.
fn add_missing(found: &mut Vec<Missing>, spec: &str, reason: MissingReason) {
    let spec = spec.trim().trim_matches('`');
    let end = spec
        .find(|c: char| "=<>!~[;( ,@".contains(c))
        .unwrap_or(spec.len());
    let name = &spec[..end];
    if name.is_empty() || found.iter().any(|m| m.name == name) {
        return;
    }
    found.push(Missing {
        name: name.to_string(),
        reason,
    });
}

/// An executable named `name` in a directory of `PATH`.
pub(super) fn find_on_path(name: &str) -> Option<PathBuf> {
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(&file))
        .find(|candidate| is_executable_file(candidate))
}

#[cfg(unix)]
fn is_executable_file(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable_file(path: &Path) -> bool {
    path.is_file()
}
