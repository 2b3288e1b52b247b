//! Data sources, one file per Terraform type. Each translates between Terraform values and the
//! domain in [`crate::aws`] and chooses the error text; no AWS logic lives here.
//!
//! - [`task_digests`]: `data "tagdeploy_task_digests"`, the RFC's `check.sh` as data.
//! - [`image`]: `data "tagdeploy_image"`, one image of a repository by tag or digest.
//!
//! The helpers below are shared by both: value conversions and the validators for ECR names
//! (the rules are [`crate::names`]). Domain errors become diagnostics in [`crate::errors`].

pub mod image;
pub mod task_digests;

pub use image::Image;
pub use task_digests::TaskDigests;

use crate::tfplugin::value::{Number, Value};

/// The configured string of an attribute (`None` when null; reads only see known values).
fn config_str(config: &Value, name: &str) -> Option<String> {
    config.attr(name).as_str().map(ToOwned::to_owned)
}

/// A string value, or null for `None`.
fn opt_string(value: Option<&str>) -> Value {
    value.map_or(Value::Null, Value::string)
}

/// A string value, or null when ECS left the field empty (the SDK reports absent fields as "").
fn non_empty_string(value: &str) -> Value {
    if value.is_empty() {
        Value::Null
    } else {
        Value::string(value)
    }
}

/// A whole number.
fn int(value: impl Into<i64>) -> Value {
    Value::Number(Number::Int(value.into()))
}

/// True when `config` sets `name` to a known value other than null. An unknown value may still
/// turn out null, so validation only judges "set" and "not set" on known values.
fn is_set_and_known(config: &Value, name: &str) -> bool {
    let v = config.attr(name);
    !v.is_null() && v.is_wholly_known()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_strings_become_null() {
        assert_eq!(non_empty_string(""), Value::Null);
        assert_eq!(non_empty_string("a"), Value::string("a"));
        assert_eq!(opt_string(None), Value::Null);
        assert_eq!(int(3), Value::Number(Number::Int(3)));
    }
}
