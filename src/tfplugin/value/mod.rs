//! Terraform values as the provider sees them: [`Type`] (cty type) and [`Value`] (a possibly
//! null or unknown value of such a type), and their two wire encodings, [`msgpack`] and [`json`].
//!
//! Values are untyped trees; the codecs take the [`Type`] that the schema gives, because the wire
//! formats are not self-describing (an object and a map both look like a msgpack map).

pub mod json;
pub mod msgpack;

use std::collections::BTreeMap;

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
#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    /// A whole number that fits in 64 bits (signed).
    Int(i64),
    /// A whole number above `i64::MAX` that fits in 64 bits (unsigned).
    UInt(u64),
    /// A finite binary floating point number.
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

/// Why a value could not be decoded or encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct CodecError {
    /// Where in the value, e.g. `.services[2]`, or empty for the root.
    pub path: String,
    /// What was wrong.
    pub message: String,
}

impl Type {
    /// The type's JSON form, as used in schemas and in `dynamic` values (`["list","string"]`).
    pub fn to_json(&self) -> String {
        todo!("type to json")
    }

    /// Parses a type's JSON form.
    pub fn from_json(bytes: &[u8]) -> Result<Type, CodecError> {
        let _ = bytes;
        todo!("type from json")
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
