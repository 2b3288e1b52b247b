//! Terraform values as the provider sees them: [`Type`] (cty type) and [`Value`] (a possibly
//! null or unknown value of such a type), and their two wire encodings, [`msgpack`] and [`json`].
//!
//! Values are untyped trees; the codecs take the [`Type`] that the schema gives, because the wire
//! formats are not self-describing (an object and a map both look like a msgpack map).
//!
//! Shapes: lists, sets and tuples are [`Value::List`]; maps and objects are [`Value::Map`];
//! decoded objects always hold every attribute of their type (null when absent on the wire),
//! and encoders write every attribute (null when absent from the `Value`). A value in a
//! `dynamic` slot is [`Value::Dynamic`] with its concrete type, or plain `Null`/`Unknown`.
//!
//! Layout:
//! - `mod.rs`: the types, type JSON ([`Type::to_json`], [`Type::from_json`]), helpers.
//! - [`msgpack`]: the encoding Terraform uses for every request; we answer with it too.
//! - [`json`]: cty's JSON form, for raw state in `UpgradeResourceState`.
//! - `number`: number text (exact decimals) and the choice of wire form for numbers.
//! - `json_tree`: a strict JSON reader that keeps number text exact, with a nesting cap.
//!
//! Decoders never panic on hostile input: nesting is capped at [`MAX_DEPTH`] and length
//! headers are checked against the remaining input before anything is allocated.

pub mod json;
mod json_tree;
pub mod msgpack;
mod number;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use json_tree::Json;

/// How deeply values (and types) may nest before decoding refuses them. Real schemas nest a few
/// levels; the cap keeps hostile input from exhausting the stack.
pub const MAX_DEPTH: usize = 64;

/// A cty type, as written in schema type JSON (`"string"`, `["list","string"]`, …).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    /// `"string"`
    String,
    /// `"number"`
    Number,
    /// `"bool"`
    Bool,
    /// `"dynamic"`: any type, carried on the wire together with its concrete type.
    Dynamic,
    /// `["list", T]`
    List(Box<Type>),
    /// `["set", T]`
    Set(Box<Type>),
    /// `["map", T]`
    Map(Box<Type>),
    /// `["object", {"name": T, …}]`
    Object(BTreeMap<String, Type>),
    /// `["tuple", [T, …]]`
    Tuple(Vec<Type>),
}

/// A Terraform number. Integers keep their exact value; other numbers keep the decimal text
/// Terraform sent (numbers are arbitrary-precision in Terraform).
///
/// Decoders produce a canonical form: whole numbers in 64-bit range are always `Int` (or `UInt`
/// above `i64::MAX`), `Float` only comes from a msgpack float that is not such a whole number
/// (or is ±infinity), and `Decimal` holds exact canonical text for everything else (`"0.1"`,
/// `"18446744073709551616"`, `"1e400"`). Decimal text is never rounded to a float, because
/// Terraform compares numbers exactly and `0.1` is not the float64 nearest to it.
#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    /// A whole number that fits in 64 bits (signed).
    Int(i64),
    /// A whole number above `i64::MAX` that fits in 64 bits (unsigned).
    UInt(u64),
    /// A binary floating point number (±infinity allowed; NaN is refused by the encoders).
    Float(f64),
    /// Decimal text, e.g. `"3.14159265358979323846264338327950288"`.
    Decimal(String),
}

/// A possibly null or unknown Terraform value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// Null: the attribute is absent.
    #[default]
    Null,
    /// Unknown: known only after apply. Refinements that Terraform sends are accepted on decode
    /// and not kept.
    Unknown,
    /// A string.
    String(String),
    /// A number.
    Number(Number),
    /// A bool.
    Bool(bool),
    /// A list, set or tuple: elements in order (sets keep the order they arrived in).
    List(Vec<Value>),
    /// A map or an object: keys in sorted order.
    Map(BTreeMap<String, Value>),
    /// A value of a `dynamic` attribute: the concrete type travels with it.
    Dynamic(Type, Box<Value>),
}

/// Why a value could not be decoded or encoded. Displays as `path: message`, or just the
/// message when the problem is at the root.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CodecError {
    /// Where in the value, e.g. `.services[2]`, or empty for the root.
    pub path: String,
    /// What was wrong.
    pub message: String,
}

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl Type {
    /// The type's JSON form, as used in schemas and in `dynamic` values (`["list","string"]`).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut String) {
        match self {
            Type::String => out.push_str("\"string\""),
            Type::Number => out.push_str("\"number\""),
            Type::Bool => out.push_str("\"bool\""),
            Type::Dynamic => out.push_str("\"dynamic\""),
            Type::List(t) => Self::write_kind(out, "list", t),
            Type::Set(t) => Self::write_kind(out, "set", t),
            Type::Map(t) => Self::write_kind(out, "map", t),
            Type::Object(attrs) => {
                out.push_str("[\"object\",{");
                for (i, (name, t)) in attrs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(out, name);
                    out.push(':');
                    t.write_json(out);
                }
                out.push_str("}]");
            }
            Type::Tuple(elems) => {
                out.push_str("[\"tuple\",[");
                for (i, t) in elems.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    t.write_json(out);
                }
                out.push_str("]]");
            }
        }
    }

    fn write_kind(out: &mut String, kind: &str, elem: &Type) {
        out.push_str("[\"");
        out.push_str(kind);
        out.push_str("\",");
        elem.write_json(out);
        out.push(']');
    }

    /// Parses a type's JSON form. Also accepts the three-element object form
    /// `["object",{…},["optional_attr",…]]` that Terraform uses for config types; the list of
    /// optional attributes is ignored.
    pub fn from_json(bytes: &[u8]) -> Result<Type, CodecError> {
        let tree = json_tree::parse(bytes).map_err(|e| CodecError {
            path: e.path,
            message: format!("invalid type JSON: {}", e.message),
        })?;
        Type::from_tree(&tree)
    }

    /// Reads a type from parsed JSON. Nesting is bounded because the JSON reader caps it.
    fn from_tree(tree: &Json<'_>) -> Result<Type, CodecError> {
        let bad = |what: String| CodecError {
            path: String::new(),
            message: format!("invalid type JSON: {what}"),
        };
        match tree {
            Json::String(name) => match name.as_ref() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                other => Err(bad(format!("unknown primitive type {other:?}"))),
            },
            Json::Array(items) => {
                let Some(Json::String(kind)) = items.first() else {
                    return Err(bad("a type array must start with its kind".into()));
                };
                let kind = kind.as_ref();
                let arity_ok = match kind {
                    "object" => items.len() == 2 || items.len() == 3,
                    _ => items.len() == 2,
                };
                if !arity_ok {
                    return Err(bad(format!("{kind:?} type has {} elements", items.len())));
                }
                let arg = &items[1];
                match kind {
                    "list" => Ok(Type::List(Box::new(Type::from_tree(arg)?))),
                    "set" => Ok(Type::Set(Box::new(Type::from_tree(arg)?))),
                    "map" => Ok(Type::Map(Box::new(Type::from_tree(arg)?))),
                    "object" => {
                        let Json::Object(members) = arg else {
                            return Err(bad("object attributes must be a JSON object".into()));
                        };
                        let mut attrs = BTreeMap::new();
                        for (name, t) in members {
                            if attrs
                                .insert(name.to_string(), Type::from_tree(t)?)
                                .is_some()
                            {
                                return Err(bad(format!("attribute {name:?} appears twice")));
                            }
                        }
                        Ok(Type::Object(attrs))
                    }
                    "tuple" => {
                        let Json::Array(elems) = arg else {
                            return Err(bad("tuple elements must be a JSON array".into()));
                        };
                        elems
                            .iter()
                            .map(Type::from_tree)
                            .collect::<Result<Vec<_>, _>>()
                            .map(Type::Tuple)
                    }
                    other => Err(bad(format!("unknown type kind {other:?}"))),
                }
            }
            other => Err(bad(format!("found {}", other.kind()))),
        }
    }
}

impl std::fmt::Display for Type {
    /// Writes the type's JSON form.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_json())
    }
}

impl Number {
    /// The number as an `i64`, when it is a whole number in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(*i),
            Number::UInt(u) => i64::try_from(*u).ok(),
            Number::Float(f) => match number::number_from_f64(*f) {
                Ok(Number::Int(i)) => Some(i),
                _ => None,
            },
            Number::Decimal(text) => match number::number_from_text(text) {
                Ok(Number::Int(i)) => Some(i),
                _ => None,
            },
        }
    }

    /// The number as the nearest `f64` (approximate for long decimals; NaN for invalid text).
    pub fn to_f64(&self) -> f64 {
        match self {
            Number::Int(i) => *i as f64,
            Number::UInt(u) => *u as f64,
            Number::Float(f) => *f,
            Number::Decimal(text) => text.parse().unwrap_or(f64::NAN),
        }
    }
}

impl From<i64> for Number {
    fn from(i: i64) -> Number {
        Number::Int(i)
    }
}

/// Appends `s` as a JSON string literal.
pub(crate) fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The location inside a value that a codec is working on, written the way errors show it:
/// `.services[2].tags["x"]`. Kept as one string that grows and shrinks with the recursion, so
/// that building it costs nothing until an error copies it.
#[derive(Debug, Default)]
pub(crate) struct Path(String);

impl Path {
    /// Appends `.name`; returns the length to truncate back to.
    pub(crate) fn push_attr(&mut self, name: &str) -> usize {
        let mark = self.0.len();
        self.0.push('.');
        self.0.push_str(name);
        mark
    }

    /// Appends `[index]`.
    pub(crate) fn push_index(&mut self, index: usize) -> usize {
        let mark = self.0.len();
        // Writing to a String cannot fail.
        let _ = write!(self.0, "[{index}]");
        mark
    }

    /// Appends `["key"]`.
    pub(crate) fn push_key(&mut self, key: &str) -> usize {
        let mark = self.0.len();
        self.0.push('[');
        write_json_string(&mut self.0, key);
        self.0.push(']');
        mark
    }

    /// Goes back to a length returned by a `push_*`.
    pub(crate) fn truncate(&mut self, mark: usize) {
        self.0.truncate(mark);
    }

    /// An error at the current location.
    pub(crate) fn error(&self, message: impl Into<String>) -> CodecError {
        CodecError {
            path: self.0.clone(),
            message: message.into(),
        }
    }
}

impl Value {
    /// A known string.
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// An object (or map) from `(name, value)` pairs.
    pub fn object<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// True for null.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// True for an unknown value at the top level (not looking inside collections).
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// True when no unknown value appears anywhere inside this value.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(entries) => entries.values().all(Value::is_wholly_known),
            Value::Dynamic(_, inner) => inner.is_wholly_known(),
            _ => true,
        }
    }

    /// The string, if this is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            Value::Dynamic(_, inner) => inner.as_str(),
            _ => None,
        }
    }

    /// A word for error messages ("a list", "unknown").
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown => "unknown",
            Value::String(_) => "a string",
            Value::Number(_) => "a number",
            Value::Bool(_) => "a bool",
            Value::List(_) => "a list",
            Value::Map(_) => "a map",
            Value::Dynamic(..) => "a dynamic value",
        }
    }

    /// The number, if this is a known number.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            Value::Dynamic(_, inner) => inner.as_number(),
            _ => None,
        }
    }

    /// The number as an `i64`, if this is a known whole number in range.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }

    /// The bool, if this is a known bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Dynamic(_, inner) => inner.as_bool(),
            _ => None,
        }
    }

    /// The attribute `name` of an object (or entry of a map); null when absent or when this value
    /// is not a known object.
    pub fn attr(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        match self {
            Value::Map(entries) => entries.get(name).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    /// The elements of a list, set or tuple; empty for anything else.
    pub fn elements(&self) -> &[Value] {
        match self {
            Value::List(items) => items,
            _ => &[],
        }
    }
}
