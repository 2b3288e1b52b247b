//! Logs as hclog-style JSON lines on stderr, which Terraform's plugin client parses and shows
//! under `TF_LOG` / `TF_LOG_PROVIDER`.
//!
//! Each line: `{"@level":"info","@message":"…","@module":"provider.tagdeploy",
//! "@timestamp":"2025-01-01T12:00:00.000000Z", …fields}` (exactly six fractional digits, or
//! Terraform treats the line as plain text). The level comes from `TF_LOG_PROVIDER`, else
//! `TF_LOG`; when neither is set nothing is formatted at all. Never pass credentials as fields.
//!
//! ```
//! use terraform_provider_tagdeploy::tfplugin::log;
//! log::info("configured provider", &[("region", &"eu-west-1")]);
//! ```

use std::fmt::Display;
use std::io::Write;
use std::sync::OnceLock;

use time::OffsetDateTime;
use time::macros::format_description;

/// How important a log line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Very detailed tracing.
    Trace,
    /// Debugging detail.
    Debug,
    /// Normal operation.
    Info,
    /// Something odd but handled.
    Warn,
    /// Something failed.
    Error,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

const MODULE: &str = "provider.tagdeploy";

static THRESHOLD: OnceLock<Option<Level>> = OnceLock::new();

/// The minimum level from a `TF_LOG`-style setting, or `None` for "off" (unset, empty, `OFF`).
/// Like Terraform, `JSON` and unrecognised values mean TRACE.
pub fn level_from_setting(setting: Option<&str>) -> Option<Level> {
    let s = setting?.trim();
    match s.to_ascii_uppercase().as_str() {
        "" | "OFF" => None,
        "DEBUG" => Some(Level::Debug),
        "INFO" => Some(Level::Info),
        "WARN" => Some(Level::Warn),
        "ERROR" => Some(Level::Error),
        _ => Some(Level::Trace),
    }
}

fn threshold() -> Option<Level> {
    *THRESHOLD.get_or_init(|| {
        let provider = std::env::var("TF_LOG_PROVIDER").ok();
        let general = std::env::var("TF_LOG").ok();
        level_from_setting(
            provider
                .as_deref()
                .filter(|s| !s.is_empty())
                .or(general.as_deref()),
        )
    })
}

/// True when a line at `level` would be written (to skip building expensive fields).
pub fn enabled(level: Level) -> bool {
    threshold().is_some_and(|min| level >= min)
}

/// Formats one log line (without the newline).
pub fn format_line(
    level: Level,
    message: &str,
    fields: &[(&str, &dyn Display)],
    now: OffsetDateTime,
) -> String {
    let stamp = now
        .to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
        ))
        // Formatting a valid UTC date-time with this description cannot fail; fall back to a
        // fixed stamp rather than panic.
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000000Z".to_owned());
    let mut object = serde_json::Map::new();
    object.insert("@level".into(), level.as_str().into());
    object.insert("@message".into(), message.into());
    object.insert("@module".into(), MODULE.into());
    object.insert("@timestamp".into(), stamp.into());
    for (key, value) in fields {
        // Reserved keys belong to the envelope; keep user fields from clobbering them.
        let key = if key.starts_with('@') {
            format!("_{key}")
        } else {
            (*key).to_owned()
        };
        object.insert(key, value.to_string().into());
    }
    serde_json::Value::Object(object).to_string()
}

/// Writes one line at `level` if enabled.
pub fn log(level: Level, message: &str, fields: &[(&str, &dyn Display)]) {
    if !enabled(level) {
        return;
    }
    let line = format_line(level, message, fields, OffsetDateTime::now_utc());
    // One write per line so concurrent handlers do not interleave; a closed stderr is ignored
    // (there is nobody left to tell).
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// Logs at TRACE.
pub fn trace(message: &str, fields: &[(&str, &dyn Display)]) {
    log(Level::Trace, message, fields);
}

/// Logs at DEBUG.
pub fn debug(message: &str, fields: &[(&str, &dyn Display)]) {
    log(Level::Debug, message, fields);
}

/// Logs at INFO.
pub fn info(message: &str, fields: &[(&str, &dyn Display)]) {
    log(Level::Info, message, fields);
}

/// Logs at WARN.
pub fn warn(message: &str, fields: &[(&str, &dyn Display)]) {
    log(Level::Warn, message, fields);
}

/// Logs at ERROR.
pub fn error(message: &str, fields: &[(&str, &dyn Display)]) {
    log(Level::Error, message, fields);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_map_like_terraform() {
        assert_eq!(level_from_setting(None), None);
        assert_eq!(level_from_setting(Some("off")), None);
        assert_eq!(level_from_setting(Some("")), None);
        assert_eq!(level_from_setting(Some("debug")), Some(Level::Debug));
        assert_eq!(level_from_setting(Some("JSON")), Some(Level::Trace));
        assert_eq!(level_from_setting(Some("nonsense")), Some(Level::Trace));
    }

    #[test]
    fn line_is_hclog_json_with_six_fraction_digits() {
        let now = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
        let line = format_line(
            Level::Warn,
            "hello",
            &[("region", &"eu-west-1"), ("@level", &"x")],
            now,
        );
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["@level"], "warn");
        assert_eq!(v["@message"], "hello");
        assert_eq!(v["@module"], "provider.tagdeploy");
        assert_eq!(v["@timestamp"], "2023-11-14T22:13:20.123456Z");
        assert_eq!(v["region"], "eu-west-1");
        assert_eq!(v["_@level"], "x");
        assert!(!line.contains('\n'));
    }
}
