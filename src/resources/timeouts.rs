//! The `timeouts { create = "15m", update = "15m" }` block, with Go-style durations as
//! hashicorp/aws accepts them (`"90s"`, `"15m"`, `"1h30m"`).

use std::time::Duration;

use crate::model;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::model::{Tf, optional};
use crate::tfplugin::schema::Validator;
use crate::tfplugin::value::Value;

model! {
    /// The `timeouts` block of a resource whose create and update wait (default 15 minutes).
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct Timeouts {
        /// How long `create` may take, as a duration such as `"30s"`, `"15m"` or `"1h30m"`.
        /// Defaults to `"15m"`.
        pub create: Tf<String> => optional().validate(duration()),
        /// How long `update` may take, as a duration such as `"30s"`, `"15m"` or `"1h30m"`.
        /// Defaults to `"15m"`.
        pub update: Tf<String> => optional().validate(duration()),
    }
}

/// Which operation a timeout is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Create.
    Create,
    /// Update.
    Update,
}

/// The default of both timeouts.
pub const DEFAULT: Duration = Duration::from_secs(15 * 60);

impl Timeouts {
    /// The timeout for `operation` in a (possibly absent) `timeouts` block, or [`DEFAULT`].
    pub fn get(block: &Tf<Timeouts>, operation: Operation) -> Duration {
        block
            .known()
            .and_then(|t| match operation {
                Operation::Create => t.create.as_str(),
                Operation::Update => t.update.as_str(),
            })
            .and_then(|text| parse_duration(text).ok())
            .unwrap_or(DEFAULT)
    }
}

/// A duration attribute's validator.
pub(crate) fn duration() -> impl Validator {
    |value: &Value, path: &AttributePath, diags: &mut Diagnostics| {
        if let Some(text) = value.as_str()
            && let Err(reason) = parse_duration(text)
        {
            diags.push(
                Diagnostic::error(
                    "Invalid Timeout",
                    format!("\"{path}\" is not a duration: {reason}."),
                )
                .at(path.clone()),
            );
        }
    }
}

/// Parses a Go-style duration: one or more `<number><unit>` with units `ms`, `s`, `m`, `h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    if text.is_empty() {
        return Err("it is empty".to_owned());
    }
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number_len == 0 {
            return Err(format!("expected a number at {rest:?}"));
        }
        let number: f64 = rest[..number_len]
            .parse()
            .map_err(|_| format!("{:?} is not a number", &rest[..number_len]))?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => return Err("a unit (ms, s, m or h) is missing".to_owned()),
            other => return Err(format!("unknown unit {other:?} (use ms, s, m or h)")),
        };
        rest = &rest[unit_len..];
        total += number * seconds;
    }
    if !total.is_finite() || total > 7.0 * 24.0 * 3600.0 {
        return Err("it is longer than a week".to_owned());
    }
    Ok(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("15").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("3d").is_err());
        assert!(parse_duration("9999h").is_err());
    }

    #[test]
    fn timeouts_fall_back_to_the_default() {
        let block = Tf::Known(Timeouts {
            create: "90s".into(),
            update: Tf::Null,
        });
        assert_eq!(
            Timeouts::get(&block, Operation::Create),
            Duration::from_secs(90)
        );
        assert_eq!(Timeouts::get(&block, Operation::Update), DEFAULT);
        assert_eq!(Timeouts::get(&Tf::Null, Operation::Create), DEFAULT);
    }
}
