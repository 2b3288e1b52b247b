//! The JSON encoding of Terraform values (raw state in UpgradeResourceState; optional in replies).
//!
//! This is cty's JSON value format: objects keyed by attribute name, `dynamic` as
//! `{"value": …, "type": …}`, and no way to write an unknown value. Decoding follows cty's
//! leniency because raw state may have been written by older providers: a missing object
//! attribute is null; a number may arrive as a string holding its text; a bool may arrive as
//! `"true"`/`"false"` (or `"1"`/`"0"`); a string may arrive as a number or bool, whose text is
//! kept. An attribute the type does not have is an error.
//!
//! Numbers are kept exact: the input is read by our own small JSON reader (`json_tree`)
//! which hands over the number's text, so big integers and long decimals never pass through
//! `f64`. (`serde_json`'s `arbitrary_precision` feature would do the same but changes
//! `serde_json` for every crate in the build.)

use std::collections::BTreeMap;

use super::json_tree::{self, Json};
use super::number::{self, WireNumber};
use super::{CodecError, MAX_DEPTH, Path, Type, Value, write_json_string};

/// Decodes `bytes` as a value of type `ty`. Empty (or all-whitespace) input decodes to null, as
/// Terraform treats an empty `DynamicValue`.
pub fn decode(ty: &Type, bytes: &[u8]) -> Result<Value, CodecError> {
    decode_with(ty, bytes, Unsupported::Refuse)
}

/// Decodes stored state: like [`decode`], but object attributes the type does not have are
/// dropped instead of refused, as HashiCorp's SDKs do, so state written by a newer provider
/// release with an extra attribute stays readable.
pub fn decode_state(ty: &Type, bytes: &[u8]) -> Result<Value, CodecError> {
    decode_with(ty, bytes, Unsupported::Ignore)
}

/// What to do with an object attribute the type does not have.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unsupported {
    Refuse,
    Ignore,
}

fn decode_with(ty: &Type, bytes: &[u8], unsupported: Unsupported) -> Result<Value, CodecError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    let tree = json_tree::parse(bytes)?;
    let mut path = Path::default();
    from_tree(ty, &tree, &mut path, unsupported)
}

/// Encodes `value` (which must be wholly known) as type `ty`.
pub fn encode(ty: &Type, value: &Value) -> Result<Vec<u8>, CodecError> {
    let mut encoder = Encoder {
        out: String::new(),
        path: Path::default(),
    };
    encoder.value(ty, value, 0)?;
    Ok(encoder.out.into_bytes())
}

/// Decodes a parsed tree. Recursion follows the tree, whose depth the reader already capped.
fn from_tree(
    ty: &Type,
    tree: &Json<'_>,
    path: &mut Path,
    unsupported: Unsupported,
) -> Result<Value, CodecError> {
    if *tree == Json::Null {
        return Ok(Value::Null);
    }
    let required =
        |path: &Path, what: &str| path.error(format!("{what} is required, found {}", tree.kind()));
    match ty {
        Type::String => match tree {
            Json::String(s) => Ok(Value::string(s.as_ref())),
            Json::Number(text) => Ok(Value::string(*text)),
            Json::Bool(b) => Ok(Value::string(if *b { "true" } else { "false" })),
            _ => Err(required(path, "a string")),
        },
        Type::Number => match tree {
            Json::Number(text) => number::number_from_text(text)
                .map(Value::Number)
                .map_err(|e| path.error(e)),
            Json::String(text) => number::number_from_text(text)
                .map(Value::Number)
                .map_err(|e| path.error(format!("a number is required: {e}"))),
            _ => Err(required(path, "a number")),
        },
        Type::Bool => match tree {
            Json::Bool(b) => Ok(Value::Bool(*b)),
            Json::String(s) => match s.as_ref() {
                "true" | "1" => Ok(Value::Bool(true)),
                "false" | "0" => Ok(Value::Bool(false)),
                other => Err(path.error(format!("a bool is required, found {other:?}"))),
            },
            _ => Err(required(path, "a bool")),
        },
        Type::List(elem) | Type::Set(elem) => {
            let Json::Array(items) = tree else {
                return Err(required(path, "an array"));
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let mark = path.push_index(i);
                out.push(from_tree(elem, item, path, unsupported)?);
                path.truncate(mark);
            }
            Ok(Value::List(out))
        }
        Type::Tuple(elems) => {
            let Json::Array(items) = tree else {
                return Err(required(path, "an array"));
            };
            if items.len() != elems.len() {
                return Err(path.error(format!(
                    "a tuple of {} elements is required, found {}",
                    elems.len(),
                    items.len()
                )));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, (elem, item)) in elems.iter().zip(items).enumerate() {
                let mark = path.push_index(i);
                out.push(from_tree(elem, item, path, unsupported)?);
                path.truncate(mark);
            }
            Ok(Value::List(out))
        }
        Type::Map(elem) => {
            let Json::Object(members) = tree else {
                return Err(required(path, "an object"));
            };
            let mut out = BTreeMap::new();
            for (key, item) in members {
                let mark = path.push_key(key);
                // Later duplicates win, as in cty.
                out.insert(key.to_string(), from_tree(elem, item, path, unsupported)?);
                path.truncate(mark);
            }
            Ok(Value::Map(out))
        }
        Type::Object(attrs) => {
            let Json::Object(members) = tree else {
                return Err(required(path, "an object"));
            };
            let mut out = BTreeMap::new();
            for (name, item) in members {
                let mark = path.push_attr(name);
                let Some(attr_ty) = attrs.get(name.as_ref()) else {
                    if unsupported == Unsupported::Ignore {
                        path.truncate(mark);
                        continue;
                    }
                    return Err(path.error("unsupported attribute"));
                };
                out.insert(
                    name.to_string(),
                    from_tree(attr_ty, item, path, unsupported)?,
                );
                path.truncate(mark);
            }
            for name in attrs.keys() {
                if !out.contains_key(name) {
                    out.insert(name.clone(), Value::Null);
                }
            }
            Ok(Value::Map(out))
        }
        Type::Dynamic => {
            let Json::Object(members) = tree else {
                return Err(required(path, "a {\"value\":…,\"type\":…} object"));
            };
            let mut concrete = None;
            let mut inner = None;
            for (key, item) in members {
                match key.as_ref() {
                    "type" => {
                        concrete = Some(Type::from_tree(item).map_err(|e| path.error(e.message))?)
                    }
                    "value" => inner = Some(item),
                    other => {
                        return Err(path.error(format!(
                            "unexpected key {other:?} in a dynamic value (only \"type\" and \"value\")"
                        )));
                    }
                }
            }
            let Some(concrete) = concrete else {
                return Err(path.error("dynamic value has no \"type\""));
            };
            let Some(inner) = inner else {
                return Err(path.error("dynamic value has no \"value\""));
            };
            let value = from_tree(&concrete, inner, path, unsupported)?;
            Ok(Value::Dynamic(concrete, Box::new(value)))
        }
    }
}

struct Encoder {
    out: String,
    path: Path,
}

impl Encoder {
    fn enter(&self, depth: usize) -> Result<usize, CodecError> {
        if depth >= MAX_DEPTH {
            return Err(self
                .path
                .error(format!("value nests deeper than {MAX_DEPTH} levels")));
        }
        Ok(depth + 1)
    }

    fn value(&mut self, ty: &Type, value: &Value, depth: usize) -> Result<(), CodecError> {
        match value {
            Value::Unknown => {
                return Err(self
                    .path
                    .error("value is unknown; JSON (state) can only hold wholly known values"));
            }
            Value::Null => {
                self.out.push_str("null");
                return Ok(());
            }
            Value::Dynamic(concrete, inner) if *ty != Type::Dynamic => {
                if concrete != ty {
                    return Err(self.path.error(format!(
                        "value of type {concrete} where type {ty} is required"
                    )));
                }
                return self.value(ty, inner, depth);
            }
            _ => {}
        }
        match (ty, value) {
            (Type::Dynamic, _) => {
                let depth = self.enter(depth)?;
                let (concrete, inner) = match value {
                    Value::Dynamic(concrete, inner) => (concrete.clone(), inner.as_ref()),
                    Value::String(_) => (Type::String, value),
                    Value::Number(_) => (Type::Number, value),
                    Value::Bool(_) => (Type::Bool, value),
                    _ => {
                        return Err(self.path.error(
                            "a collection in a dynamic attribute needs its type (Value::Dynamic)",
                        ));
                    }
                };
                self.out.push_str("{\"value\":");
                self.value(&concrete, inner, depth)?;
                self.out.push_str(",\"type\":");
                self.out.push_str(&concrete.to_json());
                self.out.push('}');
                Ok(())
            }
            (Type::String, Value::String(s)) => {
                write_json_string(&mut self.out, s);
                Ok(())
            }
            (Type::Bool, Value::Bool(b)) => {
                self.out.push_str(if *b { "true" } else { "false" });
                Ok(())
            }
            (Type::Number, Value::Number(n)) => {
                let text = match number::wire_number(n).map_err(|e| self.path.error(e))? {
                    WireNumber::Int(i) => i.to_string(),
                    WireNumber::UInt(u) => u.to_string(),
                    WireNumber::Float(f) => number::f64_text(f).map_err(|e| self.path.error(e))?,
                    WireNumber::Text(text) => text,
                };
                self.out.push_str(&text);
                Ok(())
            }
            (Type::List(elem) | Type::Set(elem), Value::List(items)) => {
                let depth = self.enter(depth)?;
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    let mark = self.path.push_index(i);
                    self.value(elem, item, depth)?;
                    self.path.truncate(mark);
                }
                self.out.push(']');
                Ok(())
            }
            (Type::Tuple(elems), Value::List(items)) => {
                let depth = self.enter(depth)?;
                if items.len() != elems.len() {
                    return Err(self.path.error(format!(
                        "a tuple of {} elements is required, found {}",
                        elems.len(),
                        items.len()
                    )));
                }
                self.out.push('[');
                for (i, (elem, item)) in elems.iter().zip(items).enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    let mark = self.path.push_index(i);
                    self.value(elem, item, depth)?;
                    self.path.truncate(mark);
                }
                self.out.push(']');
                Ok(())
            }
            (Type::Map(elem), Value::Map(entries)) => {
                let depth = self.enter(depth)?;
                self.out.push('{');
                for (i, (key, item)) in entries.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    let mark = self.path.push_key(key);
                    write_json_string(&mut self.out, key);
                    self.out.push(':');
                    self.value(elem, item, depth)?;
                    self.path.truncate(mark);
                }
                self.out.push('}');
                Ok(())
            }
            (Type::Object(attrs), Value::Map(entries)) => {
                let depth = self.enter(depth)?;
                if let Some(extra) = entries.keys().find(|k| !attrs.contains_key(*k)) {
                    let mark = self.path.push_attr(extra);
                    let err = self
                        .path
                        .error(format!("unsupported attribute: type {ty} has no {extra:?}"));
                    self.path.truncate(mark);
                    return Err(err);
                }
                self.out.push('{');
                for (i, (name, attr_ty)) in attrs.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    let mark = self.path.push_attr(name);
                    write_json_string(&mut self.out, name);
                    self.out.push(':');
                    self.value(attr_ty, entries.get(name).unwrap_or(&Value::Null), depth)?;
                    self.path.truncate(mark);
                }
                self.out.push('}');
                Ok(())
            }
            _ => Err(self.path.error(format!(
                "value does not fit type {ty}: found {}",
                value.kind()
            ))),
        }
    }
}

#[cfg(test)]
mod state_tests {
    use super::*;

    #[test]
    fn stored_state_drops_attributes_the_schema_does_not_have() {
        let ty = Type::Object([("a".to_owned(), Type::String)].into_iter().collect());
        let raw = br#"{"a":"x","from_a_newer_release":{"deep":[1,2]}}"#;
        assert!(
            decode(&ty, raw).is_err(),
            "configuration-like decoding stays strict"
        );
        let value = decode_state(&ty, raw).expect("state decodes");
        assert_eq!(value, Value::object([("a", Value::string("x"))]));
    }
}
