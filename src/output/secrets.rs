//! Values that no output may show: the values read from SSM Parameter
//! Store. The commands register them once read (`register`), before any
//! of them can reach a message; every print of the `Printer` (text and
//! JSON), the error path, plans, progress and the `dev` console then
//! passes through `mask`, which shows `(sensitive)` in their place.
//!
//! This is the net under the rules that keep values out of messages by
//! construction (interpolated nodes are never quoted, environment values
//! in plans are masked by their field):
//!
//! - a value of at least `MIN_SUBSTRING` characters (not counting the
//!   spaces around it) is masked wherever it appears, inside longer text
//!   too;
//! - a shorter one (`1`, `on`, `dev`) is masked only where it is a whole
//!   value: a JSON string, a field of a plan. Masked everywhere, it would
//!   garble every number and word it happens to be part of;
//! - a value that is part of the app, stage or region name is not masked:
//!   those are printed in every name and URL, so masking would garble the
//!   outputs and hide nothing.
//!
//! JSON object keys are left alone: keys are never interpolated, so no
//! value from SSM can be one.

use std::borrow::Cow;
use std::sync::RwLock;

/// What is shown in place of a secret.
pub const MASK: &str = "(sensitive)";

/// The shortest value masked inside longer text.
pub const MIN_SUBSTRING: usize = 4;

/// A set of secrets and how they are masked.
#[derive(Debug, Default, Clone)]
pub struct Secrets {
    /// Longest first, so that a value inside a longer one never leaves
    /// part of the longer one behind.
    values: Vec<String>,
}

impl Secrets {
    pub const fn new() -> Self {
        Secrets { values: Vec::new() }
    }

    /// Adds `values`, except empty ones and those that are part of one of
    /// `public` (the app, stage and region names).
    pub fn add(&mut self, values: impl IntoIterator<Item = String>, public: &[&str]) {
        for v in values {
            if v.is_empty() || public.iter().any(|p| p.contains(v.as_str())) {
                continue;
            }
            if !self.values.contains(&v) {
                self.values.push(v);
            }
        }
        self.values
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `text` with every secret long enough masked.
    pub fn mask<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        for v in self.values.iter().filter(|v| long_enough(v)) {
            if out.contains(v.as_str()) {
                out = Cow::Owned(out.replace(v.as_str(), MASK));
            }
        }
        out
    }

    /// A whole value (a JSON string, a field of a plan): masked whole when
    /// it is a secret of any length, else as `mask` does.
    pub fn mask_value<'t>(&self, value: &'t str) -> Cow<'t, str> {
        if self.values.iter().any(|v| v == value) {
            Cow::Borrowed(MASK)
        } else {
            self.mask(value)
        }
    }

    /// `value` is a secret, or holds one long enough.
    pub fn holds(&self, value: &str) -> bool {
        self.values
            .iter()
            .any(|v| v == value || (long_enough(v) && value.contains(v.as_str())))
    }

    /// Every string in `value` masked as `mask_value` does.
    pub fn mask_json(&self, value: &mut serde_json::Value) {
        use serde_json::Value;
        match value {
            Value::String(s) => {
                let masked = self.mask_value(s);
                if masked != s.as_str() {
                    *s = masked.into_owned();
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.mask_json(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.mask_json(v)),
            _ => {}
        }
    }
}

fn long_enough(v: &str) -> bool {
    v.trim().chars().count() >= MIN_SUBSTRING
}

/// The secrets of this process.
static SECRETS: RwLock<Secrets> = RwLock::new(Secrets::new());

/// Adds secrets to mask from now on; `public` as in `Secrets::add`.
pub fn register(values: impl IntoIterator<Item = String>, public: &[&str]) {
    let mut s = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    s.add(values, public);
}

fn with<T>(f: impl FnOnce(&Secrets) -> T) -> T {
    f(&SECRETS.read().unwrap_or_else(|e| e.into_inner()))
}

/// `Secrets::mask` with this process's secrets.
pub fn mask(text: &str) -> Cow<'_, str> {
    with(|s| s.mask(text))
}

/// `Secrets::mask_value` with this process's secrets.
pub fn mask_value(value: &str) -> Cow<'_, str> {
    with(|s| s.mask_value(value))
}

/// `Secrets::holds` with this process's secrets.
pub fn holds(value: &str) -> bool {
    with(|s| s.holds(value))
}

/// `Secrets::mask_json` with this process's secrets.
pub fn mask_json(value: &mut serde_json::Value) {
    with(|s| {
        if !s.is_empty() {
            s.mask_json(value);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secrets(values: &[&str]) -> Secrets {
        let mut s = Secrets::new();
        s.add(
            values.iter().map(|v| v.to_string()),
            &["chat", "prod", "us-east-1"],
        );
        s
    }

    #[test]
    fn long_values_are_masked_inside_text() {
        let s = secrets(&["hunter22", "hunter22-and-more"]);
        assert_eq!(
            s.mask("error: bad value hunter22-and-more, or hunter22."),
            "error: bad value (sensitive), or (sensitive)."
        );
        assert!(matches!(s.mask("nothing here"), Cow::Borrowed(_)));
        let multi = secrets(&["-----BEGIN KEY-----\nabc\n-----END KEY-----"]);
        assert_eq!(
            multi.mask("key: -----BEGIN KEY-----\nabc\n-----END KEY-----\n"),
            "key: (sensitive)\n"
        );
    }

    #[test]
    fn short_values_only_as_whole_values() {
        let s = secrets(&["7", "on"]);
        assert_eq!(
            s.mask("Plan: 7 to create, on time"),
            "Plan: 7 to create, on time"
        );
        assert_eq!(s.mask_value("7"), MASK);
        assert_eq!(s.mask_value("on"), MASK);
        assert_eq!(s.mask_value("70"), "70");
        assert!(s.holds("7") && !s.holds("70") && !s.holds("x-on"));
        // Spaces around a value do not make it long enough.
        let spaced = secrets(&["  7  "]);
        assert_eq!(spaced.mask("a  7  b"), "a  7  b");
    }

    #[test]
    fn json_strings_are_masked_keys_are_not() {
        let s = secrets(&["s3cr3t-value", "7"]);
        let mut v = json!({
            "s3cr3t-value": "x",
            "plan": {"changes": [{"new": "s3cr3t-value"}, {"new": "7"}, {"new": "prefix-s3cr3t-value"}]},
            "count": 7,
            "text": "17",
        });
        s.mask_json(&mut v);
        assert_eq!(
            v,
            json!({
                "s3cr3t-value": "x",
                "plan": {"changes": [{"new": MASK}, {"new": MASK}, {"new": "prefix-(sensitive)"}]},
                "count": 7,
                "text": "17",
            })
        );
    }

    #[test]
    fn names_printed_anyway_are_not_secrets() {
        let s = secrets(&["prod", "cha", "east", ""]);
        assert!(s.is_empty(), "{s:?}");
        assert_eq!(
            s.mask("wss://x.execute-api.us-east-1.amazonaws.com/prod"),
            "wss://x.execute-api.us-east-1.amazonaws.com/prod"
        );
    }

    #[test]
    fn long_values_are_held_inside_others() {
        let s = secrets(&["s3cr3t-value"]);
        assert!(s.holds("s3cr3t-value") && s.holds("key-s3cr3t-value"));
        assert!(!s.holds("s3cr3t"));
    }

    #[test]
    fn a_value_inside_another_leaves_nothing_behind() {
        let s = secrets(&["abcd", "xxabcdxx"]);
        assert_eq!(s.mask("[xxabcdxx] [abcd]"), "[(sensitive)] [(sensitive)]");
    }
}
