//! Validators for configuration values, declared on schema attributes. They run during
//! ValidateProviderConfig / ValidateResourceConfig / ValidateDataResourceConfig, only on known
//! non-null values, and report on the attribute's path.

use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::value::Value;

/// A check on one attribute's configuration value.
pub trait Validator: Send + Sync {
    /// Checks `value` (known, not null) found at `path`, pushing errors to `diags`.
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics);
}

/// Any `Fn(&Value, &AttributePath, &mut Diagnostics)` is a validator.
impl<F> Validator for F
where
    F: Fn(&Value, &AttributePath, &mut Diagnostics) + Send + Sync,
{
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        self(value, path, diags);
    }
}

fn invalid(path: &AttributePath, summary: &str, detail: String) -> Diagnostic {
    Diagnostic::error(summary, detail).at(path.clone())
}

/// A string must not be empty (or only whitespace).
pub fn non_empty() -> impl Validator {
    |value: &Value, path: &AttributePath, diags: &mut Diagnostics| {
        if let Some(s) = value.as_str()
            && s.trim().is_empty()
        {
            diags.push(invalid(
                path,
                "Invalid Attribute Value",
                format!("\"{path}\" must not be empty."),
            ));
        }
    }
}

/// A string must be one of `allowed`.
pub fn one_of(allowed: &'static [&'static str]) -> impl Validator {
    move |value: &Value, path: &AttributePath, diags: &mut Diagnostics| {
        if let Some(s) = value.as_str()
            && !allowed.contains(&s)
        {
            diags.push(invalid(
                path,
                "Invalid Attribute Value",
                format!(
                    "\"{path}\" must be one of {}; got {s:?}.",
                    allowed.join(", ")
                ),
            ));
        }
    }
}

/// A string's length in characters must be within `min..=max`.
pub fn length_between(min: usize, max: usize) -> impl Validator {
    move |value: &Value, path: &AttributePath, diags: &mut Diagnostics| {
        if let Some(s) = value.as_str() {
            let n = s.chars().count();
            if n < min || n > max {
                diags.push(invalid(
                    path,
                    "Invalid Attribute Value Length",
                    format!("\"{path}\" must be {min} to {max} characters long; it has {n}."),
                ));
            }
        }
    }
}

/// A string must satisfy `check`, which returns `Err(reason)` otherwise. `expected` describes
/// the accepted shape ("an IAM role ARN such as arn:aws:iam::123456789012:role/deploy").
pub fn matches(
    expected: &'static str,
    check: impl Fn(&str) -> Result<(), String> + Send + Sync + 'static,
) -> impl Validator {
    move |value: &Value, path: &AttributePath, diags: &mut Diagnostics| {
        if let Some(s) = value.as_str()
            && let Err(reason) = check(s)
        {
            diags.push(invalid(
                path,
                "Invalid Attribute Value",
                format!("\"{path}\" must be {expected}; {reason}."),
            ));
        }
    }
}

/// Applies `inner` to every key of a map, as a string (paths get the key): for maps whose keys
/// are names with rules of their own.
pub fn each_key(inner: impl Validator + 'static) -> impl Validator {
    move |value: &Value, path: &AttributePath, diags: &mut Diagnostics| {
        if let Value::Map(entries) = value {
            for key in entries.keys() {
                let here = path.clone().then_key(key.as_str());
                inner.validate(&Value::string(key.as_str()), &here, diags);
            }
        }
    }
}

/// Applies `inner` to every element of a list or set (paths get the list index).
pub fn each(inner: impl Validator + 'static) -> impl Validator {
    move |value: &Value, path: &AttributePath, diags: &mut Diagnostics| {
        for (i, element) in value.elements().iter().enumerate() {
            if element.is_null() || !element.is_wholly_known() {
                continue;
            }
            let here = path
                .clone()
                .then_index(i64::try_from(i).unwrap_or(i64::MAX));
            inner.validate(element, &here, diags);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(v: &impl Validator, value: Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        v.validate(&value, &AttributePath::attr("x"), &mut diags);
        diags
    }

    #[test]
    fn non_empty_rejects_blank() {
        assert!(run(&non_empty(), Value::string("  ")).has_errors());
        assert!(run(&non_empty(), Value::string("a")).is_empty());
    }

    #[test]
    fn one_of_lists_choices() {
        let d = run(&one_of(&["a", "b"]), Value::string("c"));
        assert!(d.iter().next().is_some_and(|d| d.detail.contains("a, b")));
        assert!(run(&one_of(&["a", "b"]), Value::string("b")).is_empty());
    }

    #[test]
    fn length_bounds_count_characters() {
        let v = length_between(1, 3);
        assert!(run(&v, Value::string("ééé")).is_empty());
        assert!(run(&v, Value::string("abcd")).has_errors());
    }

    #[test]
    fn matches_reports_reason() {
        let v = matches("a digit string", |s| {
            if s.bytes().all(|b| b.is_ascii_digit()) {
                Ok(())
            } else {
                Err(format!("{s:?} has other characters"))
            }
        });
        let d = run(&v, Value::string("12a"));
        assert!(
            d.iter()
                .next()
                .is_some_and(|d| d.detail.contains("a digit string"))
        );
    }

    #[test]
    fn each_points_at_the_element() {
        let d = run(
            &each(non_empty()),
            Value::List(vec![Value::string("a"), Value::string("")]),
        );
        let path = d
            .iter()
            .next()
            .and_then(|d| d.attribute.clone())
            .unwrap_or_default();
        assert_eq!(path.to_string(), "x[1]");
    }
}
