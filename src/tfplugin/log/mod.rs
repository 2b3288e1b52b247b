//! Logs as hclog-style JSON lines on stderr, which Terraform's plugin client parses and shows
//! under `TF_LOG` / `TF_LOG_PROVIDER`: a `tracing` layer ([`HclogLayer`]).
//!
//! The provider logs through the `tracing` macros, and so does the AWS SDK; [`init`] installs
//! the layer as the process's subscriber when Terraform asks for logs. Each event becomes one
//! line: `{"@level":"debug","@message":"…","@module":"tagdeploy","@timestamp":
//! "2025-01-01T12:00:00.000000Z", …fields}` (exactly six fractional digits, or Terraform treats
//! the line as plain text), with the fields of the spans the event happened in (e.g. `tf_rpc`,
//! or the SDK's `rpc.method`) before its own. `@module` comes from the event's target through
//! the [`Route`]s given to [`init`] (e.g. provider vs AWS SDK); events of unrouted targets
//! (hyper, h2, tonic) are not logged. A quiet route's DEBUG and INFO events count as TRACE, so
//! a library's step-by-step narration stays out of a DEBUG log.
//!
//! The level comes from `TF_LOG_PROVIDER`, else `TF_LOG`; when neither is set no subscriber is
//! installed and the macros cost next to nothing. Every value is passed through [`redact`]
//! before it is written: signatures, session tokens, secret keys, access key ids, external ids
//! and `Authorization` headers never reach the log, whoever logged them.
//!
//! ```
//! tracing::info!(region = "eu-west-1", "configured provider");
//! ```

use std::fmt::{self, Write as _};
use std::io::Write;
use std::sync::Mutex;

use time::OffsetDateTime;
use time::macros::format_description;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Id, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::{LookupSpan, Registry};

use redact::secret_name;
pub use redact::{REDACTED, redact};

pub use tracing::level_filters::LevelFilter;

mod redact;

/// The longest value written; longer ones are cut (go-plugin splits lines over 64 KiB, and the
/// pieces would no longer be JSON).
const MAX_VALUE: usize = 8 * 1024;

/// The minimum level from a `TF_LOG`-style setting: `OFF` for unset, empty or `OFF`. Like
/// Terraform, `JSON` and unrecognised values mean TRACE.
pub fn level_from_setting(setting: Option<&str>) -> LevelFilter {
    let Some(s) = setting else {
        return LevelFilter::OFF;
    };
    match s.trim().to_ascii_uppercase().as_str() {
        "" | "OFF" => LevelFilter::OFF,
        "DEBUG" => LevelFilter::DEBUG,
        "INFO" => LevelFilter::INFO,
        "WARN" => LevelFilter::WARN,
        "ERROR" => LevelFilter::ERROR,
        _ => LevelFilter::TRACE,
    }
}

/// The level Terraform asks the provider for: `TF_LOG_PROVIDER`, else `TF_LOG`.
pub fn level_from_env() -> LevelFilter {
    let provider = std::env::var("TF_LOG_PROVIDER").ok();
    let general = std::env::var("TF_LOG").ok();
    level_from_setting(
        provider
            .as_deref()
            .filter(|s| !s.is_empty())
            .or(general.as_deref()),
    )
}

/// Which events of which targets are logged, under which `@module`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The start of the event targets this route takes (the longest matching prefix wins),
    /// e.g. `aws_` for every crate of the AWS SDK.
    pub prefix: &'static str,
    /// The `@module` of their lines, e.g. `tagdeploy.aws-sdk`.
    pub module: &'static str,
    /// Their DEBUG and INFO events are logged as TRACE.
    pub quiet: bool,
}

/// Installs [`HclogLayer`] on stderr as the process's subscriber when Terraform asks for logs.
/// Returns whether logging is on.
pub fn init(routes: &[Route]) -> bool {
    let level = level_from_env();
    if level == LevelFilter::OFF {
        return false;
    }
    let layer = HclogLayer::new(level, routes, std::io::stderr());
    // Fails only when a subscriber is already installed, which then keeps logging.
    tracing::subscriber::set_global_default(Registry::default().with(layer)).is_ok()
}

/// The `tracing` layer writing hclog JSON lines.
pub struct HclogLayer {
    level: LevelFilter,
    /// Longest prefix first.
    routes: Vec<Route>,
    out: Mutex<Box<dyn Write + Send>>,
}

impl fmt::Debug for HclogLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HclogLayer")
            .field("level", &self.level)
            .field("routes", &self.routes)
            .finish_non_exhaustive()
    }
}

impl HclogLayer {
    /// A layer writing events at `level` or more severe, of the targets `routes` name, to `out`.
    pub fn new(
        level: LevelFilter,
        routes: &[Route],
        out: impl Write + Send + 'static,
    ) -> HclogLayer {
        let mut routes = routes.to_vec();
        routes.sort_by_key(|route| std::cmp::Reverse(route.prefix.len()));
        HclogLayer {
            level,
            routes,
            out: Mutex::new(Box::new(out)),
        }
    }

    /// The route of a target, if it is routed at all.
    fn route(&self, target: &str) -> Option<&Route> {
        self.routes
            .iter()
            .find(|route| target.starts_with(route.prefix))
    }

    /// The `@module` and level an event is logged with, if it is logged at all.
    fn placement(&self, metadata: &Metadata<'_>) -> Option<(&'static str, Level)> {
        let route = self.route(metadata.target())?;
        let level = match *metadata.level() {
            Level::DEBUG | Level::INFO if route.quiet => Level::TRACE,
            level => level,
        };
        (self.level >= level).then_some((route.module, level))
    }

    fn wants(&self, metadata: &Metadata<'_>) -> bool {
        self.placement(metadata).is_some()
    }
}

/// The fields of a span, kept in its extensions for the events inside it.
struct SpanFields(Vec<(String, String)>);

impl<S> Layer<S> for HclogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.wants(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        self.wants(metadata)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.level)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields.pairs));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        values.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            let mut extensions = span.extensions_mut();
            match extensions.get_mut::<SpanFields>() {
                Some(existing) => existing.0.extend(fields.pairs),
                None => extensions.insert(SpanFields(fields.pairs)),
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let Some((module, level)) = self.placement(event.metadata()) else {
            return;
        };
        let mut pairs: Vec<(String, String)> = Vec::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(fields) = span.extensions().get::<SpanFields>() {
                    pairs.extend(fields.0.iter().cloned());
                }
            }
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        pairs.extend(fields.pairs);
        let line = format_line(
            level,
            module,
            fields.message.as_deref().unwrap_or_default(),
            &pairs,
            OffsetDateTime::now_utc(),
        );
        // One write per line so concurrent events do not interleave; a closed stderr is
        // ignored (there is nobody left to tell). A poisoned lock only means another writer
        // panicked mid-line: keep writing.
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = out.write_all(format!("{line}\n").as_bytes());
        let _ = out.flush();
    }
}

/// Collects an event's or span's fields as text; `message` apart.
#[derive(Default)]
struct Fields {
    message: Option<String>,
    pairs: Vec<(String, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `fmt::Arguments` (the message) and `%display` values debug-print as their text.
        self.put(field, format!("{value:?}"));
    }
}

impl Fields {
    fn put(&mut self, field: &Field, value: String) {
        if field.name() == "message" {
            self.message = Some(value);
        } else {
            self.pairs.push((field.name().to_owned(), value));
        }
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// Formats one log line (without the newline). Every value is redacted and cut to a bounded
/// length; later fields of the same name win.
pub fn format_line(
    level: Level,
    module: &str,
    message: &str,
    fields: &[(String, String)],
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
    object.insert("@level".into(), level_name(level).into());
    object.insert("@message".into(), clean(message).into());
    object.insert("@module".into(), module.into());
    object.insert("@timestamp".into(), stamp.into());
    for (key, value) in fields {
        // Reserved keys belong to the envelope; keep fields from clobbering them.
        let key = if key.starts_with('@') {
            format!("_{key}")
        } else {
            key.clone()
        };
        let value = if secret_name(&key) {
            REDACTED.to_owned()
        } else {
            clean(value)
        };
        object.insert(key, value.into());
    }
    serde_json::Value::Object(object).to_string()
}

/// A value made safe to write: redacted, then cut to [`MAX_VALUE`] bytes.
fn clean(value: &str) -> String {
    let redacted = redact(value);
    if redacted.len() <= MAX_VALUE {
        return redacted.into_owned();
    }
    let mut cut = MAX_VALUE;
    while !redacted.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut out = redacted[..cut].to_owned();
    let _ = write!(out, "… ({} more bytes)", redacted.len() - cut);
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn settings_map_like_terraform() {
        assert_eq!(level_from_setting(None), LevelFilter::OFF);
        assert_eq!(level_from_setting(Some("off")), LevelFilter::OFF);
        assert_eq!(level_from_setting(Some("")), LevelFilter::OFF);
        assert_eq!(level_from_setting(Some("debug")), LevelFilter::DEBUG);
        assert_eq!(level_from_setting(Some("JSON")), LevelFilter::TRACE);
        assert_eq!(level_from_setting(Some("nonsense")), LevelFilter::TRACE);
    }

    #[test]
    fn line_is_hclog_json_with_six_fraction_digits() {
        let now = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789)
            .expect("valid time");
        let line = format_line(
            Level::WARN,
            "tagdeploy",
            "hello",
            &[
                ("region".into(), "eu-west-1".into()),
                ("@level".into(), "x".into()),
            ],
            now,
        );
        let v: serde_json::Value = serde_json::from_str(&line).expect("JSON");
        assert_eq!(v["@level"], "warn");
        assert_eq!(v["@message"], "hello");
        assert_eq!(v["@module"], "tagdeploy");
        assert_eq!(v["@timestamp"], "2023-11-14T22:13:20.123456Z");
        assert_eq!(v["region"], "eu-west-1");
        assert_eq!(v["_@level"], "x");
        assert!(!line.contains('\n'));
    }

    #[test]
    fn secret_field_names_hide_the_whole_value() {
        let line = format_line(
            Level::DEBUG,
            "m",
            "x",
            &[
                ("session_token".into(), "abc def".into()),
                ("region".into(), "eu-west-1".into()),
            ],
            OffsetDateTime::UNIX_EPOCH,
        );
        assert!(line.contains("\"session_token\":\"[redacted]\""), "{line}");
        assert!(line.contains("\"region\":\"eu-west-1\""), "{line}");
    }

    #[test]
    fn long_values_are_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_VALUE);
        let cut = clean(&long);
        assert!(cut.len() < long.len());
        assert!(cut.ends_with(&format!("({} more bytes)", long.len() - MAX_VALUE)));
    }

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Buffer {
        fn lines(&self) -> Vec<serde_json::Value> {
            let bytes = self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            String::from_utf8(bytes)
                .expect("UTF-8")
                .lines()
                .map(|l| serde_json::from_str(l).expect("each line is JSON"))
                .collect()
        }
    }

    #[test]
    fn events_are_routed_filtered_and_carry_their_spans_fields() {
        let buffer = Buffer::default();
        let route = |prefix, module, quiet| Route {
            prefix,
            module,
            quiet,
        };
        let layer = HclogLayer::new(
            LevelFilter::DEBUG,
            &[
                route("terraform_provider_tagdeploy", "tagdeploy", false),
                route("aws_", "tagdeploy.aws-sdk", true),
                route(
                    "aws_smithy_runtime::client::retries",
                    "tagdeploy.aws-sdk",
                    false,
                ),
                route("aws_config", "tagdeploy.aws-sdk", false),
            ],
            buffer.clone(),
        );
        tracing::subscriber::with_default(Registry::default().with(layer), || {
            let rpc = tracing::info_span!("rpc", tf_rpc = "ReadDataSource");
            let _rpc = rpc.enter();
            tracing::info!(tag = "prod", "environment tag moved outside Terraform");
            tracing::trace!("too detailed for DEBUG");
            tracing::debug!(target: "aws_smithy_runtime::client::orchestrator", "beginning attempt #1");
            tracing::debug!(
                target: "aws_smithy_runtime::client::retries::strategy::standard",
                "attempt #1 failed with ThrottlingError; retrying after 1s"
            );
            tracing::warn!(target: "aws_smithy_runtime::client::orchestrator", "still logged");
            tracing::warn!(target: "h2::codec", "not routed");
            tracing::debug!(
                target: "aws_config::meta::credentials::chain",
                identity = ?"Credentials { access_key_id: \"AKIAMARKERMARKER\" }",
                "loaded credentials"
            );
        });
        let lines = buffer.lines();
        let messages: Vec<&str> = lines
            .iter()
            .filter_map(|l| l["@message"].as_str())
            .collect();
        // The orchestrator's DEBUG narration is quiet (TRACE); its warning and the retry
        // decision are not.
        assert_eq!(
            messages,
            [
                "environment tag moved outside Terraform",
                "attempt #1 failed with ThrottlingError; retrying after 1s",
                "still logged",
                "loaded credentials"
            ]
        );
        assert_eq!(lines[0]["@module"], "tagdeploy");
        assert_eq!(lines[0]["@level"], "info");
        assert_eq!(lines[0]["tag"], "prod");
        assert_eq!(lines[0]["tf_rpc"], "ReadDataSource");
        assert_eq!(lines[1]["@module"], "tagdeploy.aws-sdk");
        assert_eq!(lines[1]["@level"], "debug");
        assert_eq!(lines[1]["tf_rpc"], "ReadDataSource");
        assert!(
            !lines[3].to_string().contains("AKIAMARKERMARKER"),
            "{}",
            lines[3]
        );
    }
}
