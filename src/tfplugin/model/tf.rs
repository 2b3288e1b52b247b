//! [`Tf<T>`]: a value of a model field that may be null or unknown, as configuration and plans
//! carry them.

use crate::tfplugin::value::Value;

/// A Terraform value of `T` where null and unknown can occur: configuration (any configurable
/// attribute may be unknown until apply) and plans (computed values are unknown until apply).
/// State is wholly known, so there a field is `Null` or `Known`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Tf<T> {
    /// Absent.
    #[default]
    Null,
    /// Known only after apply.
    Unknown,
    /// Known in part: a collection with unknown elements, or an object of another model with
    /// unknown values where the field's type has no room for them. The known parts are kept as
    /// they came, so the value travels back to Terraform unchanged; to the resource it is not
    /// known ([`Tf::known`] is `None`).
    Partial(Value),
    /// Known.
    Known(T),
}

impl<T> Tf<T> {
    /// The value when it is known.
    pub fn known(&self) -> Option<&T> {
        match self {
            Tf::Known(v) => Some(v),
            _ => None,
        }
    }

    /// The value when it is known, by value.
    pub fn into_known(self) -> Option<T> {
        match self {
            Tf::Known(v) => Some(v),
            _ => None,
        }
    }

    /// True when null.
    pub fn is_null(&self) -> bool {
        matches!(self, Tf::Null)
    }

    /// True when wholly or partly unknown.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Tf::Unknown | Tf::Partial(_))
    }

    /// True when known (a known value may itself hold [`Tf`] fields that are not).
    pub fn is_known(&self) -> bool {
        matches!(self, Tf::Known(_))
    }

    /// Converts the known value, keeping null and unknown.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Tf<U> {
        match self {
            Tf::Null => Tf::Null,
            Tf::Unknown => Tf::Unknown,
            Tf::Partial(v) => Tf::Partial(v),
            Tf::Known(v) => Tf::Known(f(v)),
        }
    }

    /// A reference to the known value, keeping null and unknown.
    pub fn as_ref(&self) -> Tf<&T> {
        match self {
            Tf::Null => Tf::Null,
            Tf::Unknown => Tf::Unknown,
            Tf::Partial(v) => Tf::Partial(v.clone()),
            Tf::Known(v) => Tf::Known(v),
        }
    }
}

impl Tf<String> {
    /// The string when it is known.
    pub fn as_str(&self) -> Option<&str> {
        self.known().map(String::as_str)
    }
}

impl<T> From<T> for Tf<T> {
    fn from(value: T) -> Self {
        Tf::Known(value)
    }
}

impl<T> From<Option<T>> for Tf<T> {
    /// `None` is null.
    fn from(value: Option<T>) -> Self {
        value.map_or(Tf::Null, Tf::Known)
    }
}

impl From<&str> for Tf<String> {
    fn from(value: &str) -> Self {
        Tf::Known(value.to_owned())
    }
}
