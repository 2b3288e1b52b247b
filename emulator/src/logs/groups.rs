//! The log group operations: CreateLogGroup, DescribeLogGroups, DeleteLogGroup,
//! PutRetentionPolicy, DeleteRetentionPolicy.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::protocol::{AwsError, RequestContext, page_size, paginate};
use crate::tags::merged;

use super::Handler;
use super::model::{LogGroup, Logs, RETENTION_DAYS, tag_error, valid_group_name};

/// The log group operations.
pub(super) const OPERATIONS: &[(&str, Handler)] = &[
    ("CreateLogGroup", |logs, r| {
        create(logs, r.input()?, r.now_ms)
    }),
    ("DescribeLogGroups", |logs, r| {
        describe(logs, r.input()?, r.ctx)
    }),
    ("DeleteLogGroup", |logs, r| {
        let input: NameIn = r.input()?;
        let index = logs.index_of(&input.log_group_name)?;
        logs.groups.remove(index);
        Ok(json!({}))
    }),
    ("PutRetentionPolicy", |logs, r| {
        let input: RetentionIn = r.input()?;
        if !RETENTION_DAYS.contains(&input.retention_in_days) {
            return Err(AwsError::invalid(format!(
                "1 validation error detected: Value '{}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: {RETENTION_DAYS:?}",
                input.retention_in_days
            )));
        }
        let index = logs.index_of(&input.log_group_name)?;
        logs.groups[index].retention_days = Some(input.retention_in_days);
        Ok(json!({}))
    }),
    ("DeleteRetentionPolicy", |logs, r| {
        let input: NameIn = r.input()?;
        let index = logs.index_of(&input.log_group_name)?;
        logs.groups[index].retention_days = None;
        Ok(json!({}))
    }),
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateIn {
    log_group_name: String,
    kms_key_id: Option<String>,
    tags: Option<std::collections::BTreeMap<String, String>>,
    log_group_class: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NameIn {
    log_group_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RetentionIn {
    log_group_name: String,
    retention_in_days: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeIn {
    log_group_name_prefix: Option<String>,
    log_group_name_pattern: Option<String>,
    next_token: Option<String>,
    limit: Option<i64>,
}

fn create(logs: &mut Logs, input: CreateIn, now_ms: i64) -> Result<Value, AwsError> {
    if !valid_group_name(&input.log_group_name) {
        return Err(AwsError::invalid(format!(
            "1 validation error detected: Value '{}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+",
            input.log_group_name
        )));
    }
    if logs.index_of(&input.log_group_name).is_ok() {
        return Err(AwsError::client(
            "ResourceAlreadyExistsException",
            "The specified log group already exists",
        ));
    }
    let class = input
        .log_group_class
        .unwrap_or_else(|| "STANDARD".to_string());
    if !["STANDARD", "INFREQUENT_ACCESS", "DELIVERY"].contains(&class.as_str()) {
        return Err(AwsError::invalid(format!(
            "1 validation error detected: Value '{class}' at 'logGroupClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]"
        )));
    }
    let pairs: Vec<(String, String)> = input.tags.unwrap_or_default().into_iter().collect();
    let tags = merged(&Default::default(), &pairs).map_err(tag_error)?;
    let group = LogGroup {
        name: input.log_group_name,
        created_ms: now_ms,
        retention_days: None,
        kms_key_id: input.kms_key_id,
        class,
        tags,
    };
    let at = logs.groups.partition_point(|g| g.name < group.name);
    logs.groups.insert(at, group);
    Ok(json!({}))
}

fn group_json(g: &LogGroup, ctx: &RequestContext) -> Value {
    let arn = g.arn(ctx);
    let mut v = json!({
        "logGroupName": g.name,
        // CloudWatch Logs timestamps are epoch milliseconds, as integers.
        "creationTime": g.created_ms,
        "metricFilterCount": 0,
        "arn": format!("{arn}:*"),
        "logGroupArn": arn,
        "storedBytes": 0,
        "logGroupClass": g.class,
        "dataProtectionStatus": "DISABLED",
    });
    if let Some(days) = g.retention_days {
        v["retentionInDays"] = json!(days);
    }
    if let Some(k) = &g.kms_key_id {
        v["kmsKeyId"] = json!(k);
    }
    v
}

fn describe(logs: &Logs, input: DescribeIn, ctx: &RequestContext) -> Result<Value, AwsError> {
    if input.log_group_name_prefix.is_some() && input.log_group_name_pattern.is_some() {
        return Err(AwsError::invalid(
            "LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters.",
        ));
    }
    let size = page_size(input.limit, 1, 50, 50)?;
    let matching: Vec<Value> = logs
        .groups
        .iter()
        .filter(|g| {
            input
                .log_group_name_prefix
                .as_deref()
                .is_none_or(|p| g.name.starts_with(p))
        })
        .filter(|g| {
            input
                .log_group_name_pattern
                .as_deref()
                .is_none_or(|p| g.name.to_lowercase().contains(&p.to_lowercase()))
        })
        .map(|g| group_json(g, ctx))
        .collect();
    let (page, next) = paginate(
        "DescribeLogGroups",
        &matching,
        input.next_token.as_deref(),
        size,
    )?;
    let mut out = json!({ "logGroups": page });
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(out)
}
