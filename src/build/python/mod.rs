//! Python dependencies: a function's `requirements.txt` installed for
//! Lambda's platform (not the local one), into a cache, ready to be zipped
//! next to the function's code.
//!
//! **Platform.** Binary wheels only (`--only-binary=:all:`): manylinux
//! wheels for the function's architecture (`x86_64` or `aarch64`), built
//! for CPython at the runtime's version. The newest manylinux level asked
//! for is the glibc of the image the runtime runs on: `python3.12` and
//! later run on Amazon Linux 2023, earlier ones on Amazon Linux 2
//! (<https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html>),
//! whose glibc are 2.34 and 2.26
//! (<https://docs.aws.amazon.com/linux/al2023/ug/glibc-gcc-and-binutils.html>).
//! A wheel built for a newer glibc installs fine and fails only on import
//! in Lambda, so it is never offered.
//!
//! **Installer.** `uv pip install` when `uv` is on `PATH`, else
//! `python3 -m pip install`. Both inherit the process environment, so a
//! private index (`PIP_INDEX_URL`, `UV_INDEX_URL`, ...) works as it does
//! on the command line; [`Options::env`] adds variables for the child only.
//! uv offers no manylinux level between 2.17 and 2.28, so for Amazon Linux
//! 2 it is asked for `manylinux_2_17` while pip also takes `manylinux_2_24`
//! to `_2_26` wheels. A file that lists nothing (blank lines and comments
//! only) installs nothing and runs no installer: its cache entry is empty.
//!
//! **Cache.** One directory per (requirements file bytes, Python version,
//! architecture, [`FORMAT_VERSION`]) under the cache root; present means
//! complete, because an install runs in a temporary directory next to it
//! that is renamed into place only once installed and normalised. The
//! installer is not part of the key: the tree is the same whichever ran.
//! Unpinned requirements stay at the versions first resolved until the
//! file changes (as with other Lambda packagers).
//!
//! **Normalisation** (`normalize.rs`): no bytecode, no file that names the
//! installer, no console scripts, a canonical `RECORD`; the tree is the same
//! whichever installer ran and on any machine.
//!
//! Timestamps and permissions are left to the zip, which fixes both.

mod installer;
mod normalize;
#[cfg(test)]
mod tests;

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

pub use installer::{Installer, Missing, MissingReason, pip_missing, uv_missing};
pub use normalize::normalize;

/// Version of this module's output; part of the cache key, so a change to
/// the normalisation or the platform tags never reuses an older entry.
pub const FORMAT_VERSION: u32 = 1;

/// glibc minor version of Amazon Linux 2 (python3.11 and earlier).
const AL2_GLIBC_MINOR: u32 = 26;
/// glibc minor version of Amazon Linux 2023 (python3.12 and later).
const AL2023_GLIBC_MINOR: u32 = 34;
/// Manylinux levels uv's `--python-platform` knows for Linux (`x86_64-manylinux_2_<n>`).
const UV_MANYLINUX_MINORS: [u32; 12] = [17, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40];

/// Lambda's instruction set architectures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    /// From Lambda's spelling (`x86_64`, `arm64`).
    pub fn from_lambda(name: &str) -> Option<Arch> {
        match name {
            "x86_64" => Some(Arch::X86_64),
            "arm64" => Some(Arch::Arm64),
            _ => None,
        }
    }

    /// Lambda's spelling.
    pub fn lambda_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }

    /// The spelling in wheel platform tags (`manylinux2014_aarch64`).
    pub fn wheel_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "aarch64",
        }
    }
}

/// What the dependencies are installed for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// `3.12` for runtime `python3.12`.
    pub python: String,
    pub arch: Arch,
}

impl Target {
    /// From a Lambda runtime and architecture (`python3.12`, `arm64`).
    pub fn new(runtime: &str, architecture: &str) -> Option<Target> {
        Some(Target {
            python: runtime_python(runtime)?,
            arch: Arch::from_lambda(architecture)?,
        })
    }

    /// glibc minor version of the image Lambda runs this Python on.
    pub fn glibc_minor(&self) -> u32 {
        match parse_version(&self.python) {
            Some(v) if v >= (3, 12) => AL2023_GLIBC_MINOR,
            _ => AL2_GLIBC_MINOR,
        }
    }

    /// pip's `--platform` tags, most preferred first: every
    /// `manylinux_2_<n>` the image's glibc loads, with the legacy aliases
    /// (`manylinux2014` = 2.17, `manylinux2010` = 2.12, `manylinux1` = 2.5)
    /// in their place, as pip lists them for a Linux machine.
    pub fn pip_platforms(&self) -> Vec<String> {
        let arch = self.arch.wheel_name();
        let oldest = match self.arch {
            Arch::X86_64 => 5,
            Arch::Arm64 => 17,
        };
        let mut tags = Vec::new();
        for minor in (oldest..=self.glibc_minor()).rev() {
            tags.push(format!("manylinux_2_{minor}_{arch}"));
            let legacy = match (minor, self.arch) {
                (17, _) => Some("manylinux2014"),
                (12, Arch::X86_64) => Some("manylinux2010"),
                (5, Arch::X86_64) => Some("manylinux1"),
                _ => None,
            };
            if let Some(legacy) = legacy {
                tags.push(format!("{legacy}_{arch}"));
            }
        }
        tags
    }

    /// uv's `--python-platform`: the newest level it knows that the image's
    /// glibc loads (uv includes the older levels itself).
    pub fn uv_platform(&self) -> String {
        let glibc = self.glibc_minor();
        let minor = UV_MANYLINUX_MINORS
            .iter()
            .copied()
            .filter(|m| *m <= glibc)
            .max()
            .unwrap_or(17);
        format!("{}-manylinux_2_{minor}", self.arch.wheel_name())
    }

    /// `python3.12, x86_64`, for messages.
    fn describe(&self) -> String {
        format!("python{}, {}", self.python, self.arch.lambda_name())
    }
}

/// `python3.12` → `3.12`; `None` for any other runtime.
pub fn runtime_python(runtime: &str) -> Option<String> {
    let version = runtime.strip_prefix("python")?;
    parse_version(version).map(|_| version.to_string())
}

/// `3.12` → (3, 12); digits only, exactly two parts.
fn parse_version(s: &str) -> Option<(u32, u32)> {
    let (major, minor) = s.split_once('.')?;
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(major) || !digits(minor) {
        return None;
    }
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// How to install, beyond what to install.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `None`: [`Installer::detect`].
    pub installer: Option<Installer>,
    /// Environment for the installer's process only, over the inherited one
    /// (tests point it at a local wheelhouse this way).
    pub env: Vec<(OsString, OsString)>,
}

/// A cache entry, ready to be zipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The directory whose contents ship next to the function's code.
    pub dir: PathBuf,
    /// `None`: the entry was already there; else the installer that ran.
    pub installer: Option<&'static str>,
}

#[derive(Debug, thiserror::Error)]
pub enum PythonError {
    #[error("`{python}` is not a Python version to install for (expected one like `3.12`)")]
    BadTarget { python: String },
    #[error("reading `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("writing `{}`: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "no Python package installer to install `{}`: {detail}; install uv (https://docs.astral.sh/uv/) or pip (`python3 -m ensurepip --upgrade`)",
        requirements.display()
    )]
    NoInstaller {
        requirements: PathBuf,
        detail: String,
    },
    #[error(
        "{}",
        describe_missing(requirements, target, missing, installer, output)
    )]
    NoWheel {
        requirements: PathBuf,
        target: Target,
        missing: Vec<Missing>,
        installer: &'static str,
        output: String,
    },
    #[error(
        "{installer} could not install `{}` for Lambda ({}), {status}; it said:\n{}",
        requirements.display(), target.describe(), indent(output)
    )]
    Failed {
        requirements: PathBuf,
        target: Target,
        installer: &'static str,
        status: String,
        output: String,
    },
    #[error("running `{}`: {source}", program.display())]
    Spawn {
        program: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn describe_missing(
    requirements: &Path,
    target: &Target,
    missing: &[Missing],
    installer: &str,
    output: &str,
) -> String {
    let platform = format!(
        "a manylinux wheel (glibc 2.{} or older) for {} and CPython {}",
        target.glibc_minor(),
        target.arch.wheel_name(),
        target.python
    );
    let mut s = format!(
        "cannot install `{}` for Lambda ({}): only binary wheels are installed (--only-binary=:all:)",
        requirements.display(),
        target.describe()
    );
    for m in missing {
        let why = match m.reason {
            MissingReason::NoWheel => format!("no version has {platform}"),
            MissingReason::NotFound => "not found on the package index".to_string(),
            MissingReason::NoWheelOrNotFound => {
                format!("no version has {platform}, or it is not on the package index")
            }
        };
        s.push_str(&format!("\n- `{}`: {why}", m.name));
    }
    s.push_str(&format!("\n{installer} said:\n{}", indent(output)));
    s
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| format!("  {}", l.trim_end()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Installs `requirements` for `target` into a cache entry under
/// `cache_root`, or reuses the entry; returns its directory.
pub fn install(
    requirements: &Path,
    target: &Target,
    cache_root: &Path,
) -> Result<PathBuf, PythonError> {
    install_with(requirements, target, cache_root, &Options::default()).map(|i| i.dir)
}

/// [`install`] with a chosen installer and extra environment; says whether
/// the entry was reused.
pub fn install_with(
    requirements: &Path,
    target: &Target,
    cache_root: &Path,
    options: &Options,
) -> Result<Installed, PythonError> {
    if parse_version(&target.python).is_none() {
        return Err(PythonError::BadTarget {
            python: target.python.clone(),
        });
    }
    let read_err = |source| PythonError::Read {
        path: requirements.to_path_buf(),
        source,
    };
    let requirements = std::path::absolute(requirements).map_err(read_err)?;
    let bytes = std::fs::read(&requirements).map_err(read_err)?;
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PythonError::Write { path, source }
    };
    let cache_root = std::path::absolute(cache_root).map_err(write_err(cache_root))?;
    let entry = cache_root.join(entry_name(&bytes, target));
    if entry.is_dir() {
        return Ok(Installed {
            dir: entry,
            installer: None,
        });
    }
    std::fs::create_dir_all(&cache_root).map_err(write_err(&cache_root))?;
    let staging = staging_dir(&cache_root, &entry);
    // Only a crashed run with this process id could have left it: stale.
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir(&staging).map_err(write_err(&staging))?;
    // A file with nothing to install (the one `wsdeploy init` writes has
    // comments only) needs no installer at all: its entry is empty.
    if !lists_requirements(&bytes) {
        return commit(&staging, &entry).map(|()| Installed {
            dir: entry,
            installer: None,
        });
    }
    let installer = options.installer.clone().unwrap_or_else(Installer::detect);
    let built = installer::run(&installer, &requirements, target, &staging, &options.env)
        .and_then(|()| normalize(&staging))
        .and_then(|()| commit(&staging, &entry));
    if built.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    built.map(|()| Installed {
        dir: entry,
        installer: Some(installer.name()),
    })
}

/// Whether a requirements file asks for anything: a line that is more
/// than blanks and a comment (`#` at the start of the line or after a
/// blank, as pip reads it). Options (`-r other.txt`, `--index-url`) count,
/// so the installer still sees every file that could install something.
fn lists_requirements(text: &[u8]) -> bool {
    String::from_utf8_lossy(text).lines().any(|line| {
        let line = line.trim_start_matches('\u{feff}');
        let code = line
            .char_indices()
            .find(|&(i, c)| c == '#' && (i == 0 || line[..i].ends_with(char::is_whitespace)))
            .map_or(line, |(i, _)| &line[..i]);
        !code.trim().is_empty()
    })
}

/// The cache entry's directory name: readable target, then the key.
pub fn entry_name(requirements: &[u8], target: &Target) -> String {
    let mut h = Sha256::new();
    h.update(format!("wsdeploy-python-deps\0{FORMAT_VERSION}\0").as_bytes());
    h.update(format!("{}\0{}\0", target.python, target.arch.wheel_name()).as_bytes());
    h.update(requirements);
    let hex: String = h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{}-{}-{hex}", target.python, target.arch.wheel_name())
}

/// A directory next to `entry` for one install, unique to this process
/// and call; its `.tmp-` prefix is never a cache entry's name.
fn staging_dir(cache_root: &Path, entry: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = entry.file_name().unwrap_or_default().to_string_lossy();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    cache_root.join(format!(".tmp-{name}-{}-{n}", std::process::id()))
}

/// Moves the finished staging directory into place. Another build that
/// finished first with the same key made the same tree: keep theirs.
fn commit(staging: &Path, entry: &Path) -> Result<(), PythonError> {
    match std::fs::rename(staging, entry) {
        Ok(()) => Ok(()),
        Err(_) if entry.is_dir() => {
            let _ = std::fs::remove_dir_all(staging);
            Ok(())
        }
        Err(source) => Err(PythonError::Write {
            path: entry.to_path_buf(),
            source,
        }),
    }
}
