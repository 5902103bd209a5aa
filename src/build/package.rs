//! Function packages: the zip Lambda runs.
//!
//! A code directory is zipped deterministically: entries sorted by path,
//! every timestamp 1980-01-01 00:00, modes normalised to 0644 or 0755 (the
//! executable bit is kept, `bootstrap` needs it), deflate at a fixed level.
//! The same files therefore always give the same bytes and the same
//! `CodeSha256`, which is how deploy decides whether code changed without
//! uploading it. A `.zip` given as `code` is shipped as it is.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::config::filter::FileFilter;
use crate::config::model::{Code, CodeKind};

/// Lambda's limit for a zip uploaded directly (not through S3).
pub const MAX_DIRECT_UPLOAD: usize = 50 * 1024 * 1024;
/// Lambda's limit for the unzipped package.
pub const MAX_UNZIPPED: u64 = 250 * 1024 * 1024;

#[derive(Clone)]
pub struct Package {
    pub bytes: Vec<u8>,
    /// Base64 of the SHA-256 of `bytes`, as Lambda reports `CodeSha256`.
    pub sha256: String,
    /// The entries inside, in zip order (empty for a `.zip` shipped as it
    /// is).
    pub files: Vec<String>,
    /// The tool that built it (`esbuild 0.25.0`), when one did.
    pub tool: Option<String>,
    /// Read from the build cache rather than built now.
    pub cached: bool,
}

impl std::fmt::Debug for Package {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Package")
            .field("size", &self.bytes.len())
            .field("sha256", &self.sha256)
            .field("files", &self.files.len())
            .finish()
    }
}

impl Package {
    pub fn size(&self) -> usize {
        self.bytes.len()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("reading `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("writing the zip for `{}`: {source}", path.display())]
    Zip {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("`{}` has no file to ship after `include` and `exclude`", path.display())]
    Empty { path: PathBuf },
    #[error("the package for `{}` is {size} bytes; Lambda takes at most {max} bytes in a direct upload", path.display())]
    TooLarge { path: PathBuf, size: u64, max: u64 },
}

/// SHA-256 of `bytes`, base64-encoded.
pub fn sha256_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

/// Builds the package for a function's code setting.
pub fn build(code: &Code) -> Result<Package, PackageError> {
    let pkg = match code.kind {
        CodeKind::Zip => {
            let bytes = std::fs::read(&code.path).map_err(|source| PackageError::Io {
                path: code.path.clone(),
                source,
            })?;
            Package {
                sha256: sha256_base64(&bytes),
                files: Vec::new(),
                tool: None,
                cached: false,
                bytes,
            }
        }
        CodeKind::Directory => zip_directory(&code.path, &code.filter)?,
    };
    if pkg.bytes.len() > MAX_DIRECT_UPLOAD {
        return Err(PackageError::TooLarge {
            path: code.path.clone(),
            size: pkg.bytes.len() as u64,
            max: MAX_DIRECT_UPLOAD as u64,
        });
    }
    Ok(pkg)
}

/// Lists the files of `dir` the filter accepts, as sorted `/`-separated
/// relative paths. Symbolic links to files are followed; links to
/// directories are not (they could loop).
pub fn list_files(dir: &Path, filter: &FileFilter) -> Result<Vec<String>, PackageError> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((abs, rel)) = stack.pop() {
        let io = |source| PackageError::Io {
            path: abs.clone(),
            source,
        };
        for entry in std::fs::read_dir(&abs).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let child_rel = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let ty = entry.file_type().map_err(io)?;
            if ty.is_dir() {
                // Skip whole directories that are excluded (.git, node_modules/...).
                if !filter.excluded(&format!("{child_rel}/")) {
                    stack.push((entry.path(), child_rel));
                }
            } else if (ty.is_file() || (ty.is_symlink() && entry.path().is_file()))
                && filter.accepts(&child_rel)
            {
                out.push(child_rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn zip_directory(dir: &Path, filter: &FileFilter) -> Result<Package, PackageError> {
    let files = list_files(dir, filter)?;
    if files.is_empty() {
        return Err(PackageError::Empty {
            path: dir.to_path_buf(),
        });
    }
    let entries = files
        .into_iter()
        .map(|rel| Entry {
            source: dir.join(&rel),
            name: rel,
        })
        .collect();
    zip_entries(entries, dir)
}

/// One file of a package: its name in the zip and where its bytes are.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub name: String,
    pub source: PathBuf,
}

/// Zips `entries` deterministically (sorted by name, fixed timestamps and
/// modes); `what` names the package in errors.
pub fn zip_entries(mut entries: Vec<Entry>, what: &Path) -> Result<Package, PackageError> {
    entries.sort();
    entries.dedup_by(|a, b| a.name == b.name);
    let zip_err = |source| PackageError::Zip {
        path: what.to_path_buf(),
        source,
    };
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let mut unzipped: u64 = 0;
    for e in &entries {
        let io = |source| PackageError::Io {
            path: e.source.clone(),
            source,
        };
        let data = std::fs::read(&e.source).map_err(io)?;
        unzipped += data.len() as u64;
        if unzipped > MAX_UNZIPPED {
            return Err(PackageError::TooLarge {
                path: what.to_path_buf(),
                size: unzipped,
                max: MAX_UNZIPPED,
            });
        }
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(6))
            .last_modified_time(DateTime::default())
            .unix_permissions(if is_executable(&e.source) {
                0o755
            } else {
                0o644
            })
            .large_file(data.len() as u64 >= u32::MAX as u64);
        writer
            .start_file(e.name.as_str(), options)
            .map_err(zip_err)?;
        writer.write_all(&data).map_err(io)?;
    }
    let bytes = writer.finish().map_err(zip_err)?.into_inner();
    if bytes.len() > MAX_DIRECT_UPLOAD {
        return Err(PackageError::TooLarge {
            path: what.to_path_buf(),
            size: bytes.len() as u64,
            max: MAX_DIRECT_UPLOAD as u64,
        });
    }
    Ok(Package {
        sha256: sha256_base64(&bytes),
        files: entries.into_iter().map(|e| e.name).collect(),
        tool: None,
        cached: false,
        bytes,
    })
}

/// A package read back from bytes wsdeploy wrote (the build cache).
pub fn from_zip_bytes(bytes: Vec<u8>, files: Vec<String>, tool: Option<String>) -> Package {
    Package {
        sha256: sha256_base64(&bytes),
        files,
        tool,
        cached: true,
        bytes,
    }
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "bootstrap")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("wsdeploy-pkg-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("src/deep")).unwrap();
        std::fs::create_dir_all(d.join(".git")).unwrap();
        std::fs::write(d.join("src/a.js"), "exports.handler = 1;\n").unwrap();
        std::fs::write(d.join("src/deep/b.js"), "module.exports = 2;\n").unwrap();
        std::fs::write(d.join("src/a.test.js"), "test\n").unwrap();
        std::fs::write(d.join(".git/HEAD"), "ref\n").unwrap();
        std::fs::write(d.join("README.md"), "readme\n").unwrap();
        d
    }

    fn code(dir: &Path, include: &[&str], exclude: &[&str]) -> Code {
        Code {
            path: dir.to_path_buf(),
            kind: CodeKind::Directory,
            filter: FileFilter::new(
                include.iter().map(|s| s.to_string()).collect(),
                exclude.iter().map(|s| s.to_string()).collect(),
            )
            .unwrap(),
        }
    }

    fn names(bytes: &[u8]) -> Vec<String> {
        let mut a = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        (0..a.len())
            .map(|i| a.by_index(i).unwrap().name().unwrap().into_owned())
            .collect()
    }

    #[test]
    fn same_files_same_bytes_whatever_the_timestamps() {
        let d = scratch("same");
        let c = code(&d, &[], &[]);
        let first = build(&c).unwrap();
        // Rewrite a file with the same content: new mtime, same package.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(d.join("src/a.js"), "exports.handler = 1;\n").unwrap();
        let second = build(&c).unwrap();
        assert_eq!(first.bytes, second.bytes);
        assert_eq!(first.sha256, second.sha256);
        std::fs::write(d.join("src/a.js"), "exports.handler = 2;\n").unwrap();
        assert_ne!(build(&c).unwrap().sha256, first.sha256);
    }

    #[test]
    fn filter_applies_and_git_is_never_shipped() {
        let d = scratch("filter");
        let p = build(&code(&d, &["src/**"], &["**/*.test.js"])).unwrap();
        assert_eq!(names(&p.bytes), ["src/a.js", "src/deep/b.js"]);
        let all = build(&code(&d, &[], &[])).unwrap();
        assert_eq!(
            names(&all.bytes),
            ["README.md", "src/a.js", "src/a.test.js", "src/deep/b.js"]
        );
    }

    #[test]
    fn empty_package_is_an_error() {
        let d = scratch("empty");
        let e = build(&code(&d, &["nothing/**"], &[])).unwrap_err();
        assert!(matches!(e, PackageError::Empty { .. }), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn executable_bit_is_kept() {
        use std::os::unix::fs::PermissionsExt;
        let d = scratch("exec");
        std::fs::write(d.join("bootstrap"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(d.join("bootstrap"), std::fs::Permissions::from_mode(0o700))
            .unwrap();
        let p = build(&code(&d, &["bootstrap"], &[])).unwrap();
        let mut a = zip::ZipArchive::new(Cursor::new(&p.bytes)).unwrap();
        assert_eq!(
            a.by_index(0).unwrap().unix_mode().map(|m| m & 0o777),
            Some(0o755)
        );
    }
}
