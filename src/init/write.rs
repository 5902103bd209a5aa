//! Writing the new app: every file is checked first, and when any of them
//! is there (or a directory it needs is a file) nothing is written. Each
//! file is then created with `create_new`, so even a file that appears in
//! between is never overwritten.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::{InitError, Scaffold};

/// Writes every file of `scaffold` into its directory (created when
/// missing), or none of them.
pub fn write_all(scaffold: &Scaffold) -> Result<(), InitError> {
    let dir = &scaffold.dir;
    if dir.metadata().is_ok_and(|m| !m.is_dir()) {
        return Err(InitError::NotADirectory { dir: dir.clone() });
    }
    let taken = taken(scaffold);
    if !taken.is_empty() {
        return Err(InitError::Exists {
            dir: dir.clone(),
            files: taken,
        });
    }
    for file in &scaffold.files {
        let path = dir.join(file.path);
        let write_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| InitError::Write { path, source }
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(write_err(parent))?;
        }
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| f.write_all(file.contents.as_bytes()))
            .map_err(write_err(&path))?;
    }
    Ok(())
}

/// The files of `scaffold` that are already there (a dangling symlink
/// counts: writing would follow it), and the directories they need that
/// are something else, each once, in the scaffold's order.
fn taken(scaffold: &Scaffold) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for file in &scaffold.files {
        let mut needed: Vec<PathBuf> = Path::new(file.path)
            .ancestors()
            .skip(1)
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .collect();
        needed.reverse();
        let blocking_dir = needed.into_iter().find(|rel| {
            let full = scaffold.dir.join(rel);
            full.symlink_metadata().is_ok() && !full.is_dir()
        });
        let name = match blocking_dir {
            Some(rel) => rel.to_string_lossy().into_owned(),
            None if scaffold.dir.join(file.path).symlink_metadata().is_ok() => file.path.to_owned(),
            None => continue,
        };
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::{File, Template};

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("wsdeploy-init-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn scaffold(dir: PathBuf) -> Scaffold {
        let file = |path, text: &str| File {
            path,
            contents: text.to_owned(),
        };
        Scaffold {
            dir,
            app: "x".into(),
            template: Template::Node,
            files: vec![
                file("wsdeploy.yml", "app: x\n"),
                file("src/a.mjs", "a"),
                file("src/b.mjs", "b"),
            ],
        }
    }

    #[test]
    fn a_new_nested_directory_is_made() {
        let dir = scratch("new").join("deep/er");
        write_all(&scaffold(dir.clone())).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("src/b.mjs")).unwrap(), "b");
    }

    #[test]
    fn existing_files_are_all_named_and_nothing_is_written() {
        let dir = scratch("taken");
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("wsdeploy.yml"), "mine").unwrap();
        std::fs::write(dir.join("src/b.mjs"), "mine").unwrap();
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();
        match write_all(&scaffold(dir.clone())) {
            Err(InitError::Exists { files, .. }) => {
                assert_eq!(files, ["wsdeploy.yml", "src/b.mjs"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(!dir.join("src/a.mjs").exists());
        assert_eq!(
            std::fs::read_to_string(dir.join("wsdeploy.yml")).unwrap(),
            "mine"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_file_where_a_directory_goes_and_a_dangling_link_count() {
        let dir = scratch("blocked");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("src"), "a file").unwrap();
        std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("wsdeploy.yml")).unwrap();
        match write_all(&scaffold(dir.clone())) {
            Err(InitError::Exists { files, .. }) => assert_eq!(files, ["wsdeploy.yml", "src"]),
            other => panic!("{other:?}"),
        }
        assert!(!dir.join("nowhere").exists());
        let file = dir.join("src");
        match write_all(&scaffold(file.clone())) {
            Err(InitError::NotADirectory { dir }) => assert_eq!(dir, file),
            other => panic!("{other:?}"),
        }
    }
}
