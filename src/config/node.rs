//! The positioned YAML tree.
//!
//! serde-saphyr does the YAML work (syntax, anchors and merge keys, duplicate
//! keys, resource budgets against alias bombs and deep nesting) and hands us
//! every node with its line and column. We keep the whole document as this
//! small tree so that later stages can report *every* problem at once, each
//! at its own position, instead of stopping at the first one as a derived
//! `Deserialize` would.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A 1-based position in the source, with the length (in characters) of the
/// text it points at, for underlining.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
    pub len: u32,
}

impl Pos {
    pub const START: Pos = Pos {
        line: 1,
        column: 1,
        len: 0,
    };

    fn from_location(loc: &serde_saphyr::Location) -> Pos {
        Pos {
            line: u32::try_from(loc.line()).unwrap_or(u32::MAX),
            column: u32::try_from(loc.column()).unwrap_or(u32::MAX),
            len: u32::try_from(loc.span().len()).unwrap_or(0),
        }
    }
}

/// One YAML node: a scalar, a sequence or a mapping, with where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
    /// True when the string came out of `${...}` interpolation: its text may
    /// hold an environment variable's value and must never be quoted in a
    /// message.
    pub interpolated: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// A mapping entry; keys are scalars, kept as their text.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_pos: Pos,
    pub value: Node,
}

impl Value {
    /// The YAML word for this kind of node, for "expected X, found Y".
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Node {
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }
}

// ---------------------------------------------------------------------------
// Deserialisation from serde-saphyr. `Spanned<RawValue>` carries the position;
// the visitor asks for `Spanned` children so that every node keeps its own.

struct RawValue(Value);

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor).map(RawValue)
    }
}

fn into_node(spanned: Spanned<RawValue>) -> Node {
    Node {
        pos: Pos::from_location(&spanned.referenced),
        value: spanned.value.0,
        interpolated: false,
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Value, E> {
        Err(E::custom(
            "binary scalars are not supported in wsdeploy.yml",
        ))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(RawVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<RawValue>>()? {
            items.push(into_node(item));
        }
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<KeyText>>()? {
            let value = map.next_value::<Spanned<RawValue>>()?;
            entries.push(Entry {
                key: key.value.0,
                key_pos: Pos::from_location(&key.referenced),
                value: into_node(value),
            });
        }
        Ok(Value::Map(entries))
    }
}

/// A mapping key: any scalar, kept as text. Lists and mappings as keys are
/// valid YAML but mean nothing in wsdeploy.yml.
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = String;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_bool<E>(self, v: bool) -> Result<String, E> {
                Ok(v.to_string())
            }
            fn visit_i64<E>(self, v: i64) -> Result<String, E> {
                Ok(v.to_string())
            }
            fn visit_u64<E>(self, v: u64) -> Result<String, E> {
                Ok(v.to_string())
            }
            fn visit_f64<E>(self, v: f64) -> Result<String, E> {
                Ok(v.to_string())
            }
            fn visit_str<E>(self, v: &str) -> Result<String, E> {
                Ok(v.to_owned())
            }
            fn visit_string<E>(self, v: String) -> Result<String, E> {
                Ok(v)
            }
            fn visit_unit<E>(self) -> Result<String, E> {
                Ok("null".to_owned())
            }
            fn visit_none<E>(self) -> Result<String, E> {
                Ok("null".to_owned())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<String, A::Error> {
                Err(de::Error::custom("a list cannot be a mapping key here"))
            }
            fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<String, A::Error> {
                Err(de::Error::custom("a mapping cannot be a mapping key here"))
            }
        }
        deserializer.deserialize_any(KeyVisitor).map(KeyText)
    }
}

/// Why the text could not become a tree: the message and, where the YAML
/// layer knows it, the position.
#[derive(Debug, Clone)]
pub struct ParseError {
    pub message: String,
    pub pos: Option<Pos>,
}

/// Limits well above any real wsdeploy.yml (a 300-route file has about
/// 2,000 nodes) and far below what would hurt: they make alias bombs and
/// nesting bombs fail fast with a message instead of eating memory.
fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: 48,
            max_nodes: 200_000,
            max_aliases: 2_000,
            max_anchors: 2_000,
            max_events: 400_000,
            max_documents: 1,
            max_total_scalar_bytes: 8 * 1024 * 1024,
            max_recorded_anchor_bytes: 4 * 1024 * 1024,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 100_000,
            max_replay_stack_depth: 32,
            max_alias_expansions_per_anchor: 1_000,
        },
        with_snippet: false,
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
        strict_booleans: true,
    }
}

/// Parses one YAML document into a tree. An empty document is `Null`.
pub fn parse(text: &str) -> Result<Node, ParseError> {
    match serde_saphyr::from_str_with_options::<Option<Spanned<RawValue>>>(text, options()) {
        Ok(Some(root)) => Ok(into_node(root)),
        Ok(None) => Ok(Node {
            pos: Pos::START,
            value: Value::Null,
            interpolated: false,
        }),
        Err(err) => Err(ParseError {
            pos: err
                .location()
                .map(|l| Pos::from_location(&l))
                .filter(|p| p.line > 0),
            message: clean_message(&err),
        }),
    }
}

/// serde-saphyr's messages end with " at line X, column Y"; we print the
/// position ourselves, so drop it.
fn clean_message(err: &serde_saphyr::Error) -> String {
    let text = err.to_string();
    let first = text.lines().next().unwrap_or("invalid YAML").trim();
    let first = match first.find(" at line ") {
        Some(i) => &first[..i],
        None => first,
    };
    // Budget breaches are what alias and nesting bombs produce; say it in
    // the user's terms rather than the parser's counters.
    if first.contains("Documents {") {
        return "the file holds more than one YAML document (`---`); wsdeploy.yml is one document"
            .to_owned();
    }
    if first.contains("recursion limit") || first.contains("Depth {") {
        return "the YAML is nested too deeply".to_owned();
    }
    if matches!(err, serde_saphyr::Error::Budget { .. })
        || first.contains("limit exceeded")
        || first.contains("budget")
    {
        return format!(
            "the YAML is too large or expands too much through anchors and aliases ({first})"
        );
    }
    if let Some(key) = first.strip_prefix("duplicate mapping key: ") {
        let key = key.split(", set DuplicateKeyPolicy").next().unwrap_or(key);
        return format!("duplicate key `{key}`: a key may appear only once in a mapping");
    }
    first.to_owned()
}
