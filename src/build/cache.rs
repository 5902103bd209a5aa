//! The build cache under `<project>/.wsdeploy/build/`: content hashes of
//! inputs, and entries written so that a crash never leaves half of one
//! that a later build would trust.
//!
//! An entry is a directory with a `state.json` naming everything its
//! output was built from (the settings and tool as one key, each input
//! file's hash) and the package it produced. A build is reused only when
//! the key and every input's hash are the same again, so touching a file
//! without changing it reuses it and changing one byte does not.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Bumped whenever what the cache stores, or how a build uses it, changes.
pub const FORMAT: u32 = 1;

/// The cache directory of a project whose config is `config_file`
/// (absolute: builds run tools in other directories).
pub fn root_of(config_file: &Path) -> PathBuf {
    let file = std::path::absolute(config_file).unwrap_or_else(|_| config_file.to_path_buf());
    file.parent()
        .unwrap_or(Path::new("/"))
        .join(".wsdeploy")
        .join("build")
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Hex SHA-256 of a file's contents.
pub fn hash_file(path: &Path) -> std::io::Result<String> {
    std::fs::read(path).map(|b| sha256_hex(&b))
}

/// What an entry was built from and what it produced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub format: u32,
    /// Settings, tool and anything else that is not a file, as one hash.
    pub key: String,
    /// Each input file (relative to the directory the build ran in) and
    /// its hash.
    pub inputs: BTreeMap<String, String>,
    /// The zip's entries.
    pub files: Vec<String>,
    /// The tool that built it (`esbuild 0.25.0`).
    pub tool: Option<String>,
}

impl State {
    /// Whether this entry is still good for `key`, every input (under
    /// `base`) hashing as it did.
    pub fn fresh(&self, key: &str, base: &Path) -> bool {
        self.format == FORMAT
            && self.key == key
            && !self.inputs.is_empty()
            && self
                .inputs
                .iter()
                .all(|(rel, hash)| hash_file(&base.join(rel)).is_ok_and(|h| &h == hash))
    }
}

/// Reads an entry's state and package, if both are there.
pub fn read(entry: &Path) -> Option<(State, Vec<u8>)> {
    let state = std::fs::read(entry.join("state.json")).ok()?;
    let state: State = serde_json::from_slice(&state).ok()?;
    let zip = std::fs::read(entry.join("package.zip")).ok()?;
    Some((state, zip))
}

/// Writes an entry's package and then its state, each through a temporary
/// file and a rename: a reader sees the old entry or the new one.
pub fn write(entry: &Path, state: &State, zip: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(entry)?;
    // The state goes last: without it the entry is not trusted.
    let _ = std::fs::remove_file(entry.join("state.json"));
    replace(&entry.join("package.zip"), zip)?;
    let text = serde_json::to_vec_pretty(state).map_err(std::io::Error::other)?;
    replace(&entry.join("state.json"), &text)
}

fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_fresh_only_while_its_inputs_are_unchanged() {
        let dir = std::env::temp_dir().join(format!("wsdeploy-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.ts"), "1").unwrap();
        let state = State {
            format: FORMAT,
            key: "k".into(),
            inputs: BTreeMap::from([("a.ts".into(), hash_file(&dir.join("a.ts")).unwrap())]),
            files: vec!["a.mjs".into()],
            tool: None,
        };
        write(&dir.join("entry"), &state, b"zip").unwrap();
        let (read_back, zip) = read(&dir.join("entry")).unwrap();
        assert_eq!(read_back, state);
        assert_eq!(zip, b"zip");
        assert!(state.fresh("k", &dir));
        assert!(!state.fresh("other", &dir));
        // Touched with the same content: still fresh.
        std::fs::write(dir.join("a.ts"), "1").unwrap();
        assert!(state.fresh("k", &dir));
        std::fs::write(dir.join("a.ts"), "2").unwrap();
        assert!(!state.fresh("k", &dir));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
