//! Which files of a function's code directory are shipped.
//!
//! Patterns are globs relative to the code directory, matched against paths
//! with `/` separators. `*` stays within one directory, `**` crosses them,
//! and a pattern ending in `/` means everything below that directory.
//! `.git/` and `.wsdeploy/` are always left out, and so is the config file
//! itself when it sits inside the code directory (it is not code, and a
//! change to it must not change every package). The zip builder and the
//! validator share this filter, so a handler that validation accepts is a
//! handler that gets shipped.

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Serialize;

/// Always excluded, whatever the config says, at any depth.
pub const ALWAYS_EXCLUDED: &[&str] = &["**/.git/", "**/.wsdeploy/"];

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileFilter {
    /// Empty means everything.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    #[serde(skip)]
    include_set: Option<GlobSet>,
    #[serde(skip)]
    exclude_set: GlobSet,
    /// Files left out whatever the patterns say (the config file itself).
    #[serde(skip)]
    excluded_files: Vec<String>,
}

impl FileFilter {
    /// Builds the filter; an invalid pattern is reported by its text.
    pub fn new(include: Vec<String>, exclude: Vec<String>) -> Result<Self, (String, String)> {
        let include_set = if include.is_empty() {
            None
        } else {
            Some(build(&include)?)
        };
        let all_excludes: Vec<String> = ALWAYS_EXCLUDED
            .iter()
            .map(|s| (*s).to_owned())
            .chain(exclude.iter().cloned())
            .collect();
        let exclude_set = build(&all_excludes)?;
        Ok(FileFilter {
            include,
            exclude,
            include_set,
            exclude_set,
            excluded_files: Vec::new(),
        })
    }

    /// Also leaves out one file, by its exact relative path.
    pub fn without_file(mut self, rel: &str) -> Self {
        self.excluded_files.push(rel.to_owned());
        self
    }

    /// Whether the file at `rel` (relative, `/`-separated) is shipped.
    pub fn accepts(&self, rel: &str) -> bool {
        let included = self.include_set.as_ref().is_none_or(|s| s.is_match(rel));
        included && !self.excluded(rel)
    }

    /// Whether `rel` is left out by an exclude pattern (as opposed to not
    /// being included), for messages.
    pub fn excluded(&self, rel: &str) -> bool {
        self.exclude_set.is_match(rel) || self.excluded_files.iter().any(|f| f == rel)
    }
}

/// Checks one pattern's syntax.
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    compile(pattern)
        .map(|_| ())
        .map_err(|e| e.kind().to_string())
}

fn compile(pattern: &str) -> Result<Glob, globset::Error> {
    let p = pattern.strip_prefix("./").unwrap_or(pattern);
    let p = if p.ends_with('/') {
        format!("{p}**")
    } else {
        p.to_owned()
    };
    GlobBuilder::new(&p).literal_separator(true).build()
}

fn build(patterns: &[String]) -> Result<GlobSet, (String, String)> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(compile(p).map_err(|e| (p.clone(), e.kind().to_string()))?);
    }
    b.build().map_err(|e| (String::new(), e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_exclude_and_always_excluded() {
        let f = FileFilter::new(vec!["src/**".into()], vec!["**/*.test.js".into()]).unwrap();
        assert!(f.accepts("src/a.js"));
        assert!(f.accepts("src/deep/b.js"));
        assert!(!f.accepts("src/a.test.js"));
        assert!(!f.accepts("README.md"));
        let all = FileFilter::new(vec![], vec!["node_modules/".into()]).unwrap();
        assert!(all.accepts("index.js"));
        assert!(!all.accepts(".git/config"));
        assert!(!all.accepts(".wsdeploy/cache.zip"));
        assert!(!all.accepts("vendor/lib/.git/HEAD"));
        assert!(all.excluded(".git/"));
        assert!(!all.accepts("node_modules/x/index.js"));
    }

    #[test]
    fn the_config_file_is_never_shipped() {
        let f = FileFilter::new(vec![], vec![])
            .unwrap()
            .without_file("wsdeploy.yml");
        assert!(!f.accepts("wsdeploy.yml"));
        assert!(f.accepts("sub/wsdeploy.yml"));
        assert!(f.accepts("index.js"));
    }

    #[test]
    fn star_stays_in_one_directory() {
        let f = FileFilter::new(vec!["*.js".into()], vec![]).unwrap();
        assert!(f.accepts("a.js"));
        assert!(!f.accepts("src/a.js"));
    }

    #[test]
    fn bad_pattern_is_reported() {
        assert!(check_pattern("src/[a").is_err());
        assert!(check_pattern("src/**").is_ok());
    }
}
