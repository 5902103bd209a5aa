//! Reading typed values out of the positioned tree, collecting every
//! problem instead of stopping at the first.
//!
//! Each reader returns `None` after recording a diagnostic, so callers just
//! carry on with what they could read. `null` counts as "not given" for an
//! optional key, as `key:` with nothing after it usually means that.

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use super::node::{Entry, Node, Pos, Value};
use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};

/// A value with the position it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct S<T> {
    pub value: T,
    pub pos: Pos,
    /// Came out of `${...}`: never quote it in a message.
    pub interpolated: bool,
}

impl<T> S<T> {
    pub fn new(value: T, node: &Node) -> Self {
        S {
            value,
            pos: node.pos,
            interpolated: node.interpolated,
        }
    }
}

/// In the schema a value may also be a string holding `${...}`: numbers,
/// booleans and enums can come from interpolation, and the loader accepts
/// them there, so editors should not flag them.
impl<T: JsonSchema> JsonSchema for S<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("Interpolable_{}", T::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let inner = generator.subschema_for::<T>();
        if T::schema_name() == "string" {
            return inner;
        }
        json_schema!({
            "anyOf": [inner, { "type": "string", "pattern": "\\$\\{" }],
        })
    }
}

/// A mapping whose keys are the user's names (routes, functions, tags),
/// each kept with its position, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Keyed<T> {
    pub entries: Vec<(S<String>, T)>,
}

impl<T> Default for Keyed<T> {
    fn default() -> Self {
        Keyed {
            entries: Vec::new(),
        }
    }
}

impl<T> Keyed<T> {
    pub fn get(&self, key: &str) -> Option<&T> {
        self.entries
            .iter()
            .find(|(k, _)| k.value == key)
            .map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<T: JsonSchema> JsonSchema for Keyed<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("Map_of_{}", T::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "additionalProperties": generator.subschema_for::<T>(),
        })
    }
}

/// Where we are: the diagnostics sink.
pub struct Reader<'d> {
    pub diags: &'d mut Diagnostics,
}

pub fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

pub fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// Text of a scalar for messages, or a neutral phrase when it must not be
/// shown.
pub fn shown(node: &Node) -> String {
    if node.interpolated {
        return "the interpolated value".to_owned();
    }
    match &node.value {
        Value::Str(s) => format!("`{s}`"),
        Value::Int(i) => format!("`{i}`"),
        Value::Float(f) => format!("`{f}`"),
        Value::Bool(b) => format!("`{b}`"),
        other => other.kind().to_owned(),
    }
}

/// Text of a string value for messages, unless it came out of `${...}`.
pub fn shown_s(s: &S<String>) -> String {
    if s.interpolated {
        "the interpolated value".to_owned()
    } else {
        format!("`{}`", s.value)
    }
}

impl Reader<'_> {
    pub fn error(&mut self, pos: Pos, path: &str, message: impl Into<String>) {
        self.diags.push(Diagnostic::error(Some(pos), path, message));
    }

    pub fn error_hint(
        &mut self,
        pos: Pos,
        path: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.diags
            .push(Diagnostic::error(Some(pos), path, message).with_hint(hint));
    }

    pub fn warning(&mut self, pos: Pos, path: &str, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::warning(Some(pos), path, message));
    }

    fn wrong_type(&mut self, node: &Node, path: &str, expected: &str) {
        let hint = match (&node.value, expected) {
            (Value::Str(_), "a list") => Some("write a list, for example `[value]`".to_owned()),
            (Value::Null, _) => Some("give it a value or remove the key".to_owned()),
            _ => None,
        };
        self.diags.push(
            Diagnostic::error(
                Some(node.pos),
                path,
                format!("expected {expected}, found {}", node.value.kind()),
            )
            .with_hint_opt(hint),
        );
    }

    /// Opens a mapping whose keys are a fixed set of fields.
    pub fn fields<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        keys: &'static [&'static str],
    ) -> Option<Fields<'n>> {
        match &node.value {
            Value::Map(entries) => Some(Fields {
                path: path.to_owned(),
                pos: node.pos,
                entries,
                keys,
                used: vec![false; entries.len()],
            }),
            Value::Null => Some(Fields {
                path: path.to_owned(),
                pos: node.pos,
                entries: &[],
                keys,
                used: Vec::new(),
            }),
            _ => {
                self.wrong_type(node, path, "a mapping");
                None
            }
        }
    }

    /// A mapping with user-chosen keys; `read` turns each value.
    pub fn keyed<T>(
        &mut self,
        node: &Node,
        path: &str,
        mut read: impl FnMut(&mut Self, &Entry, &str) -> Option<T>,
    ) -> Option<Keyed<T>> {
        match &node.value {
            Value::Map(entries) => {
                let mut out = Keyed::default();
                for e in entries {
                    let p = child(path, &e.key);
                    if let Some(v) = read(self, e, &p) {
                        out.entries.push((
                            S {
                                value: e.key.clone(),
                                pos: e.key_pos,
                                interpolated: false,
                            },
                            v,
                        ));
                    }
                }
                Some(out)
            }
            Value::Null => Some(Keyed::default()),
            _ => {
                self.wrong_type(node, path, "a mapping");
                None
            }
        }
    }

    /// A mapping of names to scalar text (tags, environment, variables).
    /// Numbers and booleans are taken as their text: `PORT: 8080` is fine.
    pub fn string_map(&mut self, node: &Node, path: &str) -> Option<Keyed<S<String>>> {
        self.keyed(node, path, |r, e, p| r.string(&e.value, p))
    }

    pub fn string(&mut self, node: &Node, path: &str) -> Option<S<String>> {
        match &node.value {
            Value::Str(s) => Some(S::new(s.clone(), node)),
            Value::Int(i) => Some(S::new(i.to_string(), node)),
            Value::Float(f) => Some(S::new(f.to_string(), node)),
            Value::Bool(b) => Some(S::new(b.to_string(), node)),
            _ => {
                self.wrong_type(node, path, "a string");
                None
            }
        }
    }

    pub fn string_list(&mut self, node: &Node, path: &str) -> Option<Vec<S<String>>> {
        match &node.value {
            Value::Seq(items) => Some(
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, n)| self.string(n, &index(path, i)))
                    .collect(),
            ),
            _ => {
                self.wrong_type(node, path, "a list");
                None
            }
        }
    }

    /// A whole number. Interpolated text (`${env:MEMORY, 256}`) is parsed.
    pub fn integer(&mut self, node: &Node, path: &str) -> Option<S<i64>> {
        match &node.value {
            Value::Int(i) => Some(S::new(*i, node)),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                Some(S::new(*f as i64, node))
            }
            Value::Str(s) if node.interpolated => match s.trim().parse::<i64>() {
                Ok(i) => Some(S::new(i, node)),
                Err(_) => {
                    self.error(
                        node.pos,
                        path,
                        "expected a whole number, but the interpolated value is not one",
                    );
                    None
                }
            },
            _ => {
                self.wrong_type(node, path, "a whole number");
                None
            }
        }
    }

    pub fn number(&mut self, node: &Node, path: &str) -> Option<S<f64>> {
        match &node.value {
            Value::Int(i) => Some(S::new(*i as f64, node)),
            Value::Float(f) => Some(S::new(*f, node)),
            Value::Str(s) if node.interpolated => match s.trim().parse::<f64>() {
                Ok(f) if f.is_finite() => Some(S::new(f, node)),
                _ => {
                    self.error(
                        node.pos,
                        path,
                        "expected a number, but the interpolated value is not one",
                    );
                    None
                }
            },
            _ => {
                self.wrong_type(node, path, "a number");
                None
            }
        }
    }

    pub fn boolean(&mut self, node: &Node, path: &str) -> Option<S<bool>> {
        match &node.value {
            Value::Bool(b) => Some(S::new(*b, node)),
            Value::Str(s) if node.interpolated => match s.trim() {
                "true" => Some(S::new(true, node)),
                "false" => Some(S::new(false, node)),
                _ => {
                    self.error(
                        node.pos,
                        path,
                        "expected `true` or `false`, but the interpolated value is neither",
                    );
                    None
                }
            },
            _ => {
                self.wrong_type(node, path, "`true` or `false`");
                None
            }
        }
    }

    /// One of a closed set of words (runtime architecture, log level...).
    pub fn one_of<T: Copy>(
        &mut self,
        node: &Node,
        path: &str,
        choices: &[(&'static str, T)],
    ) -> Option<S<T>> {
        let text = self.string(node, path)?;
        if let Some((_, v)) = choices.iter().find(|(name, _)| *name == text.value) {
            return Some(S::new(*v, node));
        }
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        let hint = match did_you_mean(&text.value, names.iter().copied()) {
            Some(s) if !node.interpolated => format!("did you mean `{s}`?"),
            _ => format!("use one of: {}", names.join(", ")),
        };
        self.error_hint(
            node.pos,
            path,
            format!("{} is not valid here", shown(node)),
            hint,
        );
        None
    }
}

/// The fields of one mapping. Ask for each known key with `take`; `finish`
/// reports the keys nobody asked for.
pub struct Fields<'n> {
    pub path: String,
    pub pos: Pos,
    entries: &'n [Entry],
    keys: &'static [&'static str],
    used: Vec<bool>,
}

impl<'n> Fields<'n> {
    /// The value of `key`, or `None` when absent or null.
    pub fn take(&mut self, key: &str) -> Option<&'n Node> {
        debug_assert!(self.keys.contains(&key), "{key} is not declared");
        let i = self.entries.iter().position(|e| e.key == key)?;
        self.used[i] = true;
        let node = &self.entries[i].value;
        (!node.is_null()).then_some(node)
    }

    /// The entry for `key` (key position included), even when its value is null.
    pub fn take_entry(&mut self, key: &str) -> Option<&'n Entry> {
        let i = self.entries.iter().position(|e| e.key == key)?;
        self.used[i] = true;
        Some(&self.entries[i])
    }

    pub fn path_of(&self, key: &str) -> String {
        child(&self.path, key)
    }

    /// Reports a required key that is missing, at the mapping's position.
    pub fn require<T>(&self, r: &mut Reader, key: &str, value: Option<T>) -> Option<T> {
        if value.is_none()
            && !self
                .entries
                .iter()
                .any(|e| e.key == key && !e.value.is_null())
        {
            let at = if self.path.is_empty() {
                "the top level".to_owned()
            } else {
                format!("`{}`", self.path)
            };
            r.error_hint(
                self.pos,
                &self.path,
                format!("missing required key `{key}` in {at}"),
                format!("add `{key}: ...`"),
            );
        }
        value
    }

    /// Reports every key that was not taken, with a did-you-mean hint.
    pub fn finish(self, r: &mut Reader) {
        for (e, used) in self.entries.iter().zip(&self.used) {
            if *used {
                continue;
            }
            let hint = match did_you_mean(&e.key, self.keys.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("known keys here: {}", self.keys.join(", ")),
            };
            r.error_hint(
                e.key_pos,
                &child(&self.path, &e.key),
                format!("unknown key `{}`", e.key),
                hint,
            );
        }
    }
}

/// Turns a `Keyed<S<String>>` into a plain sorted map.
pub fn plain(map: &Keyed<S<String>>) -> BTreeMap<String, String> {
    map.entries
        .iter()
        .map(|(k, v)| (k.value.clone(), v.value.clone()))
        .collect()
}
