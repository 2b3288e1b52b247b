//! [`FieldValue`]: how each Rust type a model field may have maps to a Terraform type and
//! converts to and from [`Value`]. Implemented here for strings, bools, whole numbers,
//! [`Number`], `Vec` (list), [`Set`], `BTreeMap<String, _>` (map), `Option` (null), [`Tf`]
//! (null, unknown, partial) and, through [`super::Object`], for models (nested objects).

use std::collections::BTreeMap;

use super::{ModelError, Tf};
use crate::tfplugin::diagnostics::AttributePath;
use crate::tfplugin::schema::{Block, Nesting};
use crate::tfplugin::value::{Number, Type, Value};

/// What a field's Rust type makes of its attribute: a plain Terraform type, or nested objects
/// (a model, or a list, set or map of a model) with the model's members.
#[derive(Debug, Clone)]
pub enum Shape {
    /// An attribute of this type.
    Plain(Type),
    /// A nested attribute (or nested block): objects with these members, nested like this.
    Nested(Nesting, Block),
}

impl Shape {
    /// The Terraform type of values of this shape.
    pub fn ty(&self) -> Type {
        match self {
            Shape::Plain(ty) => ty.clone(),
            Shape::Nested(nesting, block) => {
                let object = Box::new(block.implied_type());
                match nesting {
                    Nesting::Single => *object,
                    Nesting::List => Type::List(object),
                    Nesting::Set => Type::Set(object),
                    Nesting::Map => Type::Map(object),
                }
            }
        }
    }

    /// A collection of this shape: objects of a single nested model nest as `nesting`; anything
    /// else becomes a plain collection type.
    fn collection(self, nesting: Nesting, wrap: fn(Box<Type>) -> Type) -> Shape {
        match self {
            Shape::Nested(Nesting::Single, block) => Shape::Nested(nesting, block),
            other => Shape::Plain(wrap(Box::new(other.ty()))),
        }
    }
}

/// A Rust type a model field can have.
pub trait FieldValue: Sized {
    /// The attribute this type implies.
    fn shape() -> Shape;

    /// Reads the value found at `path`. Null or unknown values are errors unless the type has
    /// room for them (`Option`, [`Tf`]).
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, ModelError>;

    /// The value to send to Terraform.
    fn to_value(&self) -> Value;
}

/// An unordered collection (a Terraform set), kept in the order Terraform sent it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Set<T>(pub Vec<T>);

impl<T> Set<T> {
    /// The elements.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T> FromIterator<T> for Set<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Set(iter.into_iter().collect())
    }
}

impl<'a, T> IntoIterator for &'a Set<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// The error for a value that is not what the field expects.
fn expected(path: &AttributePath, what: &str, value: &Value) -> ModelError {
    match value {
        Value::Null => ModelError::null(path, what),
        Value::Unknown => ModelError::unknown(path, what),
        other => ModelError::mismatch(path, format!("expected {what}, got {}", other.kind())),
    }
}

impl FieldValue for String {
    fn shape() -> Shape {
        Shape::Plain(Type::String)
    }
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| expected(path, "a string", value))
    }
    fn to_value(&self) -> Value {
        Value::string(self)
    }
}

impl FieldValue for bool {
    fn shape() -> Shape {
        Shape::Plain(Type::Bool)
    }
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        value
            .as_bool()
            .ok_or_else(|| expected(path, "a bool", value))
    }
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}

impl FieldValue for i64 {
    fn shape() -> Shape {
        Shape::Plain(Type::Number)
    }
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        value
            .as_i64()
            .ok_or_else(|| expected(path, "a whole number in 64-bit range", value))
    }
    fn to_value(&self) -> Value {
        Value::Number(Number::Int(*self))
    }
}

impl FieldValue for Number {
    fn shape() -> Shape {
        Shape::Plain(Type::Number)
    }
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        value
            .as_number()
            .cloned()
            .ok_or_else(|| expected(path, "a number", value))
    }
    fn to_value(&self) -> Value {
        Value::Number(self.clone())
    }
}

/// The elements of a list or set at `path`, each read as `T`.
fn elements<T: FieldValue>(
    value: &Value,
    path: &AttributePath,
    what: &str,
) -> Result<Vec<T>, ModelError> {
    match value {
        Value::List(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| T::from_value(v, &path.clone().then_index(index(i))))
            .collect(),
        other => Err(expected(path, what, other)),
    }
}

fn index(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(i64::MAX)
}

impl<T: FieldValue> FieldValue for Vec<T> {
    fn shape() -> Shape {
        T::shape().collection(Nesting::List, Type::List)
    }
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        elements(value, path, "a list")
    }
    fn to_value(&self) -> Value {
        Value::List(self.iter().map(FieldValue::to_value).collect())
    }
}

impl<T: FieldValue> FieldValue for Set<T> {
    fn shape() -> Shape {
        T::shape().collection(Nesting::Set, Type::Set)
    }
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        elements(value, path, "a set").map(Set)
    }
    fn to_value(&self) -> Value {
        Value::List(self.iter().map(FieldValue::to_value).collect())
    }
}

impl<T: FieldValue> FieldValue for BTreeMap<String, T> {
    fn shape() -> Shape {
        T::shape().collection(Nesting::Map, Type::Map)
    }
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        match value {
            Value::Map(entries) => entries
                .iter()
                .map(|(k, v)| Ok((k.clone(), T::from_value(v, &path.clone().then_key(k))?)))
                .collect(),
            other => Err(expected(path, "a map", other)),
        }
    }
    fn to_value(&self) -> Value {
        Value::Map(
            self.iter()
                .map(|(k, v)| (k.clone(), v.to_value()))
                .collect(),
        )
    }
}

impl<T: FieldValue> FieldValue for Option<T> {
    fn shape() -> Shape {
        T::shape()
    }
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other, path).map(Some),
        }
    }
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, FieldValue::to_value)
    }
}

impl<T: FieldValue> FieldValue for Tf<T> {
    fn shape() -> Shape {
        T::shape()
    }
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        match value {
            Value::Null => Ok(Tf::Null),
            Value::Unknown => Ok(Tf::Unknown),
            other => match T::from_value(other, path) {
                Ok(v) => Ok(Tf::Known(v)),
                // Unknown values inside where `T` has no room for them: keep the value as it
                // came, so that it travels back unchanged.
                Err(_) if !other.is_wholly_known() => Ok(Tf::Partial(other.clone())),
                Err(e) => Err(e),
            },
        }
    }
    fn to_value(&self) -> Value {
        match self {
            Tf::Null => Value::Null,
            Tf::Unknown => Value::Unknown,
            Tf::Partial(v) => v.clone(),
            Tf::Known(v) => v.to_value(),
        }
    }
}
