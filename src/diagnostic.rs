//! Diagnostics: what is wrong with the user's input, where, and what to do.
//!
//! A diagnostic knows its position in the file (when there is one), the key
//! path in the config (`routes.sendMessage.function.timeout`), a message and
//! an optional hint. Rendering lives in `render`; here is only the data, so
//! the config layer stays free of any output concern.
//!
//! Invariant: no message or hint ever quotes the value of an environment
//! variable or an SSM parameter, nor the text of a node that came out of
//! `${env:...}` or `${ssm:...}`.

use serde::Serialize;

use crate::config::node::Pos;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    /// Information, not a problem: `validate` says which values come from
    /// SSM Parameter Store and when they are read.
    Note,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub pos: Option<Pos>,
    /// Dotted key path from the document root; empty for the whole document.
    pub path: String,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(pos: Option<Pos>, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            pos,
            path: path.into(),
            message: message.into(),
            hint: None,
        }
    }

    pub fn warning(pos: Option<Pos>, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(pos, path, message)
        }
    }

    pub fn note(pos: Option<Pos>, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Note,
            ..Diagnostic::error(pos, path, message)
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_hint_opt(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }
}

/// A list of diagnostics collected along the pipeline.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
    /// Values read from the environment by `${env:...}` and from SSM by
    /// `${ssm:...}`: `redact` removes them from every message, a safety net
    /// under the rule that messages never quote interpolated text.
    pub secrets: Vec<String>,
    /// Nodes whose value is not known yet: they hold `${ssm:...}` and the
    /// config is loaded offline, with a placeholder in their place. What
    /// is found wrong at them concerns the placeholder, not the value, so
    /// it goes to `deferred` instead of `items`.
    pub pending: Vec<Pos>,
    /// The problems found at `pending` nodes: never shown. The same checks
    /// run on the real values when a command reads them.
    pub deferred: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.pushed(d);
    }

    pub fn error(&mut self, pos: Pos, path: &str, message: impl Into<String>) -> &mut Diagnostic {
        self.pushed(Diagnostic::error(Some(pos), path, message))
    }

    /// Adds `d` to `items`, or to `deferred` when it is about a pending
    /// node.
    fn pushed(&mut self, d: Diagnostic) -> &mut Diagnostic {
        let list = if self.is_pending(&d) {
            &mut self.deferred
        } else {
            &mut self.items
        };
        list.push(d);
        let last = list.len() - 1;
        &mut list[last]
    }

    /// A problem found at a node whose value is pending (notes excepted).
    fn is_pending(&self, d: &Diagnostic) -> bool {
        d.severity != Severity::Note && d.pos.is_some_and(|p| self.is_pending_at(p))
    }

    /// `pos` points into a pending node: at its start, or further along
    /// its first line.
    fn is_pending_at(&self, pos: Pos) -> bool {
        self.pending.iter().any(|n| {
            pos == *n
                || (pos.line == n.line
                    && pos.column >= n.column
                    && pos.column < n.column.saturating_add(n.len.max(1)))
        })
    }

    /// Replaces every recorded secret (4 characters or more: shorter ones
    /// would garble ordinary words) in messages and hints.
    pub fn redact(&mut self) {
        let secrets: Vec<&String> = self
            .secrets
            .iter()
            .filter(|s| s.chars().count() >= 4)
            .collect();
        if secrets.is_empty() {
            return;
        }
        for d in &mut self.items {
            for s in &secrets {
                if d.message.contains(s.as_str()) {
                    d.message = d.message.replace(s.as_str(), "(sensitive)");
                }
                if let Some(h) = d.hint.as_mut().filter(|h| h.contains(s.as_str())) {
                    *h = h.replace(s.as_str(), "(sensitive)");
                }
            }
        }
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// Stable order: by position, then path and message; diagnostics without
    /// a position come first (they concern the whole file).
    pub fn sort(&mut self) {
        self.items.sort_by(|a, b| {
            (a.pos, &a.path, &a.message, a.severity).cmp(&(b.pos, &b.path, &b.message, b.severity))
        });
        self.items.dedup();
    }
}

/// The closest candidate to `word` if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| {
            let limit = (c.chars().count().max(word.chars().count()) / 3).max(1);
            // A prefix is a likely slip too: `arm` for `arm64`.
            let prefix = lower.len() >= 3 && c.to_ascii_lowercase().starts_with(&lower);
            *d <= limit || prefix
        })
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters (optimal string alignment would be
/// nicer for swaps, but plain edits catch the typos that matter here).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys_only() {
        let keys = ["routes", "functions", "defaults", "domain"];
        assert_eq!(did_you_mean("rotues", keys), Some("routes"));
        assert_eq!(did_you_mean("function", keys), Some("functions"));
        assert_eq!(did_you_mean("xyz", keys), None);
        assert_eq!(did_you_mean("Domain", keys), Some("domain"));
        assert_eq!(did_you_mean("arm", ["x86_64", "arm64"]), Some("arm64"));
    }

    #[test]
    fn problems_at_pending_nodes_are_deferred_notes_are_not() {
        let node = Pos {
            line: 4,
            column: 10,
            len: 12,
        };
        let at = |line, column| {
            Some(Pos {
                line,
                column,
                len: 1,
            })
        };
        let mut d = Diagnostics {
            pending: vec![node],
            ..Diagnostics::default()
        };
        d.push(Diagnostic::error(Some(node), "a", "at the node"));
        d.push(Diagnostic::warning(at(4, 15), "a", "inside it"));
        d.error(node, "a", "also").hint = Some("h".to_owned());
        d.push(Diagnostic::note(Some(node), "a", "a note"));
        d.push(Diagnostic::error(at(4, 22), "b", "after it"));
        d.push(Diagnostic::error(at(5, 10), "b", "next line"));
        d.push(Diagnostic::error(None, "", "the file"));
        let messages =
            |list: &[Diagnostic]| list.iter().map(|d| d.message.clone()).collect::<Vec<_>>();
        assert_eq!(messages(&d.deferred), ["at the node", "inside it", "also"]);
        assert_eq!(d.deferred[2].hint.as_deref(), Some("h"));
        assert_eq!(
            messages(&d.items),
            ["a note", "after it", "next line", "the file"]
        );
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
