//! Log groups: names, retention, KMS key, class and tags, with CloudWatch Logs' rules.

use crate::protocol::{AwsError, RequestContext};
use crate::tags::{TagError, Tags};

/// The retention periods CloudWatch Logs accepts, in days.
pub const RETENTION_DAYS: [i64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// One log group.
#[derive(Clone, Debug)]
pub struct LogGroup {
    /// `logGroupName`.
    pub name: String,
    /// Created, epoch ms.
    pub created_ms: i64,
    /// `retentionInDays`; `None`: never expire.
    pub retention_days: Option<i64>,
    /// `kmsKeyId`.
    pub kms_key_id: Option<String>,
    /// `STANDARD` or `INFREQUENT_ACCESS`.
    pub class: String,
    /// Resource tags.
    pub tags: Tags,
}

impl LogGroup {
    /// `arn:aws:logs:<region>:<account>:log-group:<name>` (the form tagging calls take).
    pub fn arn(&self, ctx: &RequestContext) -> String {
        format!(
            "arn:aws:logs:{}:{}:log-group:{}",
            ctx.region, ctx.account, self.name
        )
    }
}

/// All log groups of the account.
#[derive(Clone, Debug, Default)]
pub struct Logs {
    /// Log groups, sorted by name (DescribeLogGroups lists them in that order).
    pub groups: Vec<LogGroup>,
}

/// `ResourceNotFoundException` for a log group.
pub fn group_not_found() -> AwsError {
    AwsError::client(
        "ResourceNotFoundException",
        "The specified log group does not exist.",
    )
}

/// A tag rule broken, as CloudWatch Logs reports it.
pub fn tag_error(e: TagError) -> AwsError {
    match e {
        TagError::Invalid(m) => AwsError::invalid(m),
        TagError::TooMany(_) => AwsError::client("TooManyTagsException", e.to_string()),
    }
}

/// Whether `name` follows the log group naming rules: 1 to 512 characters from
/// `[.\-_/#A-Za-z0-9]`.
pub fn valid_group_name(name: &str) -> bool {
    (1..=512).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/#".contains(c))
}

impl Logs {
    /// The index of the group called `name`.
    pub fn index_of(&self, name: &str) -> Result<usize, AwsError> {
        self.groups
            .iter()
            .position(|g| g.name == name)
            .ok_or_else(group_not_found)
    }

    /// The index of the group a tagging ARN names (`…:log-group:<name>`, with or without `:*`).
    pub fn index_of_arn(&self, arn: &str, ctx: &RequestContext) -> Result<usize, AwsError> {
        let prefix = format!("arn:aws:logs:{}:{}:log-group:", ctx.region, ctx.account);
        let name = arn
            .strip_prefix(&prefix)
            .map(|rest| rest.strip_suffix(":*").unwrap_or(rest))
            .ok_or_else(|| {
                AwsError::invalid(format!(
                    "1 validation error detected: Value '{arn}' at 'resourceArn' failed to satisfy constraint: Member must be a log group ARN of this account and region"
                ))
            })?;
        self.index_of(name)
    }
}
