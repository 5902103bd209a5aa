//! The new app's name: `--app` as given, when the config's rule accepts
//! it, else one made from the directory's name (`My Chat` → `my-chat`),
//! which always passes the rule.

use std::path::{Component, Path, PathBuf};

use super::InitError;
use crate::config::validate::is_app_name;

/// The longest app name (the config's rule).
const MAX_LEN: usize = 30;
/// The name when the directory's gives nothing (`/`, `---`).
const FALLBACK: &str = "app";

/// `--app`, when it is a valid app name.
pub fn check(app: &str) -> Result<String, InitError> {
    if is_app_name(app) {
        Ok(app.to_owned())
    } else {
        Err(InitError::InvalidApp {
            app: app.to_owned(),
            suggestion: derive(app),
        })
    }
}

/// A valid app name from the directory's own name (`.` is the current
/// directory's).
pub fn from_dir(dir: &Path) -> String {
    let name = resolve(dir).and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()));
    derive(name.as_deref().unwrap_or(FALLBACK))
}

/// The directory as an absolute path without `.` and `..`: the real path
/// when it exists, else worked out from the current directory.
fn resolve(dir: &Path) -> Option<PathBuf> {
    if let Ok(real) = dir.canonicalize() {
        return Some(real);
    }
    let mut out = PathBuf::new();
    for c in std::path::absolute(dir).ok()?.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    Some(out)
}

/// Lowercase ASCII letters and digits, anything else as one `-`, no `-`
/// at either end, `app-` before a leading digit, at most 30 characters.
fn derive(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().map(|c| c.to_ascii_lowercase()) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "app-");
    }
    out.truncate(MAX_LEN);
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        FALLBACK.to_owned()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_directories_are_valid() {
        for (dir, want) in [
            ("chat", "chat"),
            ("My Chat App", "my-chat-app"),
            ("my_app.v2", "my-app-v2"),
            ("--x--", "x"),
            ("2048-game", "app-2048-game"),
            ("café", "caf"),
            ("ßß", "app"),
            (
                "a-very-long-directory-name-that-goes-on",
                "a-very-long-directory-name-tha",
            ),
            (
                "abcdefghijklmnopqrstuvwxyz-abcd",
                "abcdefghijklmnopqrstuvwxyz-abc",
            ),
            (
                "abcdefghijklmnopqrstuvwxyzabc-d",
                "abcdefghijklmnopqrstuvwxyzabc",
            ),
        ] {
            let got = derive(dir);
            assert_eq!(got, want, "{dir}");
            assert!(is_app_name(&got), "{got}");
        }
    }

    #[test]
    fn the_directory_is_resolved_before_it_is_named() {
        let cwd = std::env::current_dir().unwrap();
        let here = derive(&cwd.file_name().unwrap().to_string_lossy());
        assert_eq!(from_dir(Path::new(".")), here);
        assert_eq!(from_dir(Path::new("no/such/New App/.")), "new-app");
        assert_eq!(from_dir(Path::new("no/such/app/../Other")), "other");
        assert_eq!(from_dir(Path::new("/")), "app");
    }

    #[test]
    fn app_is_checked_with_the_configs_rule() {
        assert_eq!(check("chat-2").unwrap(), "chat-2");
        match check("My_App") {
            Err(InitError::InvalidApp { suggestion, .. }) => assert_eq!(suggestion, "my-app"),
            other => panic!("{other:?}"),
        }
        assert!(check("").is_err());
        assert!(check("9lives").is_err());
        assert!(check(&"a".repeat(31)).is_err());
    }
}
