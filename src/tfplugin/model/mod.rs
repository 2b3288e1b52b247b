//! Typed models: each Terraform type reads its configuration, plan and state into a Rust struct
//! and writes state from one. A model is declared once, with [`crate::model!`]; the declaration
//! is also the type's schema, so an attribute's name (the field's name), type (the field's type)
//! and documentation (the field's doc comment) are written once, and a misspelled attribute is a
//! compile error.
//!
//! ```
//! use terraform_provider_tagdeploy::model;
//! use terraform_provider_tagdeploy::tfplugin::model::{Object, Tf, computed, optional, required};
//! use terraform_provider_tagdeploy::tfplugin::schema::validators;
//! use terraform_provider_tagdeploy::tfplugin::value::Value;
//!
//! model! {
//!     /// The values of `data "example_image"`.
//!     #[derive(Debug, Clone, PartialEq, Default)]
//!     pub struct ImageModel {
//!         /// The repository to look in.
//!         pub repository: Tf<String> => required().validate(validators::non_empty()),
//!         /// The tag to look up. Defaults to `prod`.
//!         pub tag: Tf<String> => optional(),
//!         /// Every tag on the image.
//!         pub tags: Option<Vec<String>> => computed(),
//!     }
//! }
//!
//! let schema = ImageModel::schema(0);
//! assert_eq!(ImageModel::repository, "repository");
//! assert_eq!(schema.root().names().collect::<Vec<_>>(), ["repository", "tag", "tags"]);
//! let config = ImageModel::from_object(&schema.null_object(), &Default::default()).unwrap();
//! assert!(config.tag.is_null());
//! let state = ImageModel { tags: Some(vec!["prod".into()]), ..config };
//! assert_eq!(state.to_object().attr("tags"), &Value::List(vec![Value::string("prod")]));
//! ```
//!
//! # Field types
//! - [`Tf<T>`]: null, unknown or known: every configurable attribute (configuration may hold
//!   unknown values) and every computed attribute a plan may leave unknown.
//! - `Option<T>`: null or known: values that are never unknown where the model is read (a data
//!   source's results; state).
//! - `String`, `bool`, `i64`, [`crate::tfplugin::value::Number`], `Vec<T>` (list), [`Set<T>`],
//!   `BTreeMap<String, T>` (map).
//! - Another model: a nested attribute (one object; in a `Vec`, [`Set`] or `BTreeMap`, a list,
//!   set or map of objects), or with [`block()`] a nested block.
//!
//! # Declarations
//! [`required()`], [`optional()`], [`computed()`], [`optional_computed()`] start an attribute;
//! the usual builders follow (`.default(..)`, `.validate(..)`, `.requires_replace()`,
//! `.keep_prior_when_unknown()`, `.sensitive()`). [`block()`] declares a nested block.
//!
//! # Layout
//! - `mod.rs`: the [`Model`] and [`Object`] traits, [`ModelError`], the macro;
//! - `tf.rs`: [`Tf`];
//! - `field.rs`: [`FieldValue`] for the field types, [`Set`], [`Shape`];
//! - `spec.rs`: the declarations and how they become schema members.

mod field;
mod spec;
mod tf;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use field::{FieldValue, Set, Shape};
pub use spec::{
    BlockField, BlockSpec, Member, Spec, block, computed, description_from_doc, member, optional,
    optional_computed, required,
};
pub use tf::Tf;

use super::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use super::schema::{Block, Schema};
use super::value::Value;

/// A whole configuration, plan or state as the framework hands it to a resource, data source or
/// provider: a model declared with [`crate::model!`], or [`Value`] itself for code that works
/// on untyped values.
pub trait Model: Sized + Send + Sync + 'static {
    /// Reads a (non-null) object.
    fn from_value(value: &Value) -> Result<Self, ModelError>;

    /// The object to send to Terraform.
    fn to_value(&self) -> Value;

    /// [`Model::from_value`], with a failure as an error diagnostic about `what` ("the planned
    /// state of tagdeploy_prod_tag").
    fn decode(value: &Value, what: &str) -> Result<Self, Diagnostics> {
        Self::from_value(value).map_err(|e| e.to_diagnostic(what).into())
    }
}

/// Untyped values are their own model.
impl Model for Value {
    fn from_value(value: &Value) -> Result<Self, ModelError> {
        Ok(value.clone())
    }

    fn to_value(&self) -> Value {
        self.clone()
    }
}

/// An object type declared with [`crate::model!`]: its members as a schema block, and the
/// conversions of one object.
pub trait Object: Sized {
    /// The members, named after the fields, typed by the field types, documented by the
    /// fields' doc comments.
    fn block() -> Block;

    /// Reads an object found at `path`.
    fn from_object(value: &Value, path: &AttributePath) -> Result<Self, ModelError>;

    /// The object, with every member.
    fn to_object(&self) -> Value;

    /// A schema at `version` whose top-level block is this model's.
    fn schema(version: i64) -> Schema {
        Schema::from_block(version, Self::block())
    }
}

/// Why a value could not be read into a model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", if path.is_root() { "the object".to_owned() } else { format!("\"{path}\"") })]
pub struct ModelError {
    /// Where in the value.
    pub path: AttributePath,
    /// What was wrong.
    pub message: String,
}

impl ModelError {
    /// A null value where the field has no room for one.
    pub fn null(path: &AttributePath, expected: &str) -> Self {
        Self::mismatch(
            path,
            format!("expected {expected}, got null (the field's type has no room for null)"),
        )
    }

    /// An unknown value where the field has no room for one.
    pub fn unknown(path: &AttributePath, expected: &str) -> Self {
        Self::mismatch(
            path,
            format!(
                "expected {expected}, got an unknown value (the field's type has no room for one)"
            ),
        )
    }

    /// Any other mismatch.
    pub fn mismatch(path: &AttributePath, message: impl Into<String>) -> Self {
        Self {
            path: path.clone(),
            message: message.into(),
        }
    }

    /// The error as a diagnostic about `what`, on the attribute at fault.
    pub fn to_diagnostic(&self, what: &str) -> Diagnostic {
        let d = Diagnostic::error(
            "Provider Model Mismatch",
            format!(
                "The provider could not read {what}: {self}. This is a bug in the provider; please report it."
            ),
        );
        if self.path.is_root() {
            d
        } else {
            d.at(self.path.clone())
        }
    }
}

/// The members of the object at `path` (for [`crate::model!`]): exactly `names`, no more, no
/// fewer, so a model and the value it reads cannot disagree silently.
pub fn object_fields<'v>(
    value: &'v Value,
    path: &AttributePath,
    names: &[&str],
) -> Result<&'v BTreeMap<String, Value>, ModelError> {
    let fields = match value {
        Value::Map(fields) => fields,
        Value::Null => return Err(ModelError::null(path, "an object")),
        Value::Unknown => return Err(ModelError::unknown(path, "an object")),
        other => {
            return Err(ModelError::mismatch(
                path,
                format!("expected an object, got {}", other.kind()),
            ));
        }
    };
    if let Some(missing) = names.iter().find(|n| !fields.contains_key(**n)) {
        return Err(ModelError::mismatch(
            &path.clone().then_attr(*missing),
            "the attribute is missing from the object",
        ));
    }
    if let Some(extra) = fields.keys().find(|k| !names.contains(&k.as_str())) {
        return Err(ModelError::mismatch(
            &path.clone().then_attr(extra.as_str()),
            "the object has an attribute the model does not",
        ));
    }
    Ok(fields)
}

/// Reads member `name` of an object already checked by [`object_fields`].
pub fn field<T: FieldValue>(
    fields: &BTreeMap<String, Value>,
    name: &str,
    path: &AttributePath,
) -> Result<T, ModelError> {
    static NULL: Value = Value::Null;
    T::from_value(
        fields.get(name).unwrap_or(&NULL),
        &path.clone().then_attr(name),
    )
}

/// Declares a model: a struct whose fields are a Terraform type's attributes (and nested
/// blocks), each with its Rust type, its doc comment (the attribute's description) and its
/// declaration after `=>`. Implements [`Object`], [`Model`], [`FieldValue`] (so the model can be
/// a nested attribute of another) and [`BlockField`] (so it can be a nested block), and gives
/// the struct one associated constant per field holding the attribute's name
/// (`ImageModel::digest == "digest"`), for diagnostics that point at an attribute.
///
/// See the [module documentation](crate::tfplugin::model) for an example.
#[macro_export]
macro_rules! model {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[doc = $doc:literal])*
                $fvis:vis $field:ident : $ty:ty => $spec:expr
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $(
                $(#[doc = $doc])*
                $fvis $field: $ty,
            )*
        }

        /// The attribute names, one associated constant per field (named like the field), for
        /// diagnostics paths: `AttributePath::attr(Self::field)`.
        #[allow(non_upper_case_globals, dead_code)]
        impl $name {
            $(
                #[doc = concat!("The name of the `", stringify!($field), "` attribute.")]
                pub const $field: &'static str = stringify!($field);
            )*
        }

        impl $crate::tfplugin::model::Object for $name {
            fn block() -> $crate::tfplugin::schema::Block {
                let block = $crate::tfplugin::schema::Block::new();
                $(
                    let block = $crate::tfplugin::model::member::<$ty, _>(
                        $spec,
                        stringify!($field),
                        &[$($doc),*],
                    )
                    .add_to(block);
                )*
                block
            }

            fn from_object(
                value: &$crate::tfplugin::value::Value,
                path: &$crate::tfplugin::diagnostics::AttributePath,
            ) -> ::std::result::Result<Self, $crate::tfplugin::model::ModelError> {
                let fields = $crate::tfplugin::model::object_fields(
                    value,
                    path,
                    &[$(stringify!($field)),*],
                )?;
                Ok(Self {
                    $(
                        $field: $crate::tfplugin::model::field(fields, stringify!($field), path)?,
                    )*
                })
            }

            fn to_object(&self) -> $crate::tfplugin::value::Value {
                $crate::tfplugin::value::Value::object([
                    $(
                        (
                            stringify!($field),
                            $crate::tfplugin::model::FieldValue::to_value(&self.$field),
                        ),
                    )*
                ])
            }
        }

        impl $crate::tfplugin::model::Model for $name {
            fn from_value(
                value: &$crate::tfplugin::value::Value,
            ) -> ::std::result::Result<Self, $crate::tfplugin::model::ModelError> {
                <Self as $crate::tfplugin::model::Object>::from_object(
                    value,
                    &$crate::tfplugin::diagnostics::AttributePath::root(),
                )
            }

            fn to_value(&self) -> $crate::tfplugin::value::Value {
                <Self as $crate::tfplugin::model::Object>::to_object(self)
            }
        }

        impl $crate::tfplugin::model::FieldValue for $name {
            fn shape() -> $crate::tfplugin::model::Shape {
                $crate::tfplugin::model::Shape::Nested(
                    $crate::tfplugin::schema::Nesting::Single,
                    <Self as $crate::tfplugin::model::Object>::block(),
                )
            }

            fn from_value(
                value: &$crate::tfplugin::value::Value,
                path: &$crate::tfplugin::diagnostics::AttributePath,
            ) -> ::std::result::Result<Self, $crate::tfplugin::model::ModelError> {
                <Self as $crate::tfplugin::model::Object>::from_object(value, path)
            }

            fn to_value(&self) -> $crate::tfplugin::value::Value {
                <Self as $crate::tfplugin::model::Object>::to_object(self)
            }
        }

        impl $crate::tfplugin::model::BlockField for $name {
            fn nesting() -> (
                $crate::tfplugin::schema::Nesting,
                $crate::tfplugin::schema::Block,
            ) {
                (
                    $crate::tfplugin::schema::Nesting::Single,
                    <Self as $crate::tfplugin::model::Object>::block(),
                )
            }
        }
    };
}
