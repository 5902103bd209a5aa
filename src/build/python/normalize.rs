//! Normalising an installed tree, so it is the same whichever installer
//! wrote it and on any machine:
//!
//! - no bytecode: `__pycache__` directories and `.pyc`/`.pyo` files;
//! - no installer records: `INSTALLER`, `REQUESTED`, `direct_url.json` and
//!   uv's `uv_cache.json` in each `*.dist-info`, and uv's `.lock` at the top;
//! - no console scripts: files directly in `bin/` that a `RECORD` lists and
//!   that start with `#!`. Installers write them with the build machine's
//!   interpreter in the shebang (which Lambda does not have) and each with
//!   its own template, and Lambda does not put them on `PATH`;
//! - `RECORD`: lines for everything removed dropped; pip's `../../` prefix
//!   (paths relative to its `--target` staging `lib/python`) stripped, so a
//!   data file is listed where it is, as uv lists it; lines sorted, `\n`
//!   line ends (pip writes `\r\n`).
//!
//! Timestamps and permissions are left to the zip, which fixes both.

use std::io;
use std::path::Path;

use super::PythonError;

/// Files in a `*.dist-info` that only say which installer ran, and how.
const INSTALLER_FILES: [&str; 4] = ["INSTALLER", "REQUESTED", "direct_url.json", "uv_cache.json"];

/// Makes an installed tree the same whichever installer wrote it (see the
/// module's documentation for what changes, and why).
pub fn normalize(dir: &Path) -> Result<(), PythonError> {
    remove_bytecode(dir)?;
    remove_file_if_present(&dir.join(".lock"))?;
    let mut dist_infos = Vec::new();
    for entry in read_dir(dir)? {
        let name = entry.file_name();
        if name.to_string_lossy().ends_with(".dist-info") && entry.path().is_dir() {
            dist_infos.push(entry.path());
        }
    }
    dist_infos.sort();
    for dist_info in dist_infos {
        normalize_dist_info(dir, &dist_info)?;
    }
    let bin = dir.join("bin");
    if bin.is_dir() && read_dir(&bin)?.is_empty() {
        std::fs::remove_dir(&bin).map_err(|source| PythonError::Write { path: bin, source })?;
    }
    Ok(())
}

fn read_dir(dir: &Path) -> Result<Vec<std::fs::DirEntry>, PythonError> {
    let read_err = |source| PythonError::Read {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::read_dir(dir)
        .map_err(read_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(read_err)
}

fn remove_file_if_present(path: &Path) -> Result<(), PythonError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(PythonError::Write {
            path: path.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Removes `__pycache__` directories and `.pyc`/`.pyo` files, recursively.
fn remove_bytecode(dir: &Path) -> Result<(), PythonError> {
    for entry in read_dir(dir)? {
        let path = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && entry.file_name() == "__pycache__" {
            std::fs::remove_dir_all(&path).map_err(|source| PythonError::Write { path, source })?;
        } else if is_dir {
            remove_bytecode(&path)?;
        } else if is_bytecode(&entry.file_name().to_string_lossy()) {
            remove_file_if_present(&path)?;
        }
    }
    Ok(())
}

fn is_bytecode(path: &str) -> bool {
    path.ends_with(".pyc") || path.ends_with(".pyo") || path.contains("__pycache__/")
}

/// Drops the installer's files from a `*.dist-info`, the console scripts
/// its `RECORD` lists, and their lines; rewrites `RECORD` canonically.
fn normalize_dist_info(root: &Path, dist_info: &Path) -> Result<(), PythonError> {
    for name in INSTALLER_FILES {
        remove_file_if_present(&dist_info.join(name))?;
    }
    let record = dist_info.join("RECORD");
    let text = match std::fs::read(&record) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(PythonError::Read {
                path: record,
                source,
            });
        }
    };
    let dist_info_name = dist_info.file_name().unwrap_or_default().to_string_lossy();
    let mut kept = Vec::new();
    for line in text.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
        let line = line
            .strip_prefix("../../")
            .map(str::to_string)
            .or_else(|| line.strip_prefix("\"../../").map(|l| format!("\"{l}")))
            .unwrap_or_else(|| line.to_string());
        let path = record_path(&line);
        let installer_file = path
            .strip_prefix(dist_info_name.as_ref())
            .and_then(|p| p.strip_prefix('/'))
            .is_some_and(|f| INSTALLER_FILES.contains(&f));
        if installer_file || is_bytecode(&path) || remove_if_script(root, &path)? {
            continue;
        }
        kept.push(line);
    }
    kept.sort();
    let mut out = kept.join("\n");
    out.push('\n');
    std::fs::write(&record, out).map_err(|source| PythonError::Write {
        path: record,
        source,
    })
}

/// The first field of a `RECORD` line (CSV, `"` quoting).
pub(super) fn record_path(line: &str) -> String {
    let Some(quoted) = line.strip_prefix('"') else {
        return line.split(',').next().unwrap_or(line).to_string();
    };
    let mut path = String::new();
    let mut chars = quoted.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() != Some(&'"') {
                break;
            }
            chars.next();
        }
        path.push(c);
    }
    path
}

/// Removes `root/<path>` when it is a console script (directly in `bin/`,
/// starting with `#!`); says whether it did.
fn remove_if_script(root: &Path, path: &str) -> Result<bool, PythonError> {
    let Some(name) = path.strip_prefix("bin/") else {
        return Ok(false);
    };
    if name.contains('/') || name.is_empty() {
        return Ok(false);
    }
    let file = root.join("bin").join(name);
    let mut head = [0u8; 2];
    let starts_with_shebang = std::fs::File::open(&file)
        .and_then(|mut f| io::Read::read_exact(&mut f, &mut head))
        .is_ok_and(|()| &head == b"#!");
    if starts_with_shebang {
        remove_file_if_present(&file)?;
    }
    Ok(starts_with_shebang)
}
