//! Log group tags: TagResource, UntagResource, ListTagsForResource (by ARN), and the older
//! TagLogGroup, UntagLogGroup, ListTagsLogGroup (by name). Logs spells tags as a map.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::tags::merged;

use super::Handler;
use super::model::{Logs, tag_error};

/// The tagging operations.
pub(super) const OPERATIONS: &[(&str, Handler)] = &[
    ("TagResource", |logs, r| {
        let input: TagArnIn = r.input()?;
        let index = logs.index_of_arn(&input.resource_arn, r.ctx)?;
        tag(logs, index, input.tags)
    }),
    ("UntagResource", |logs, r| {
        let input: UntagArnIn = r.input()?;
        let index = logs.index_of_arn(&input.resource_arn, r.ctx)?;
        untag(logs, index, &input.tag_keys)
    }),
    ("ListTagsForResource", |logs, r| {
        let input: ArnIn = r.input()?;
        let index = logs.index_of_arn(&input.resource_arn, r.ctx)?;
        Ok(json!({ "tags": logs.groups[index].tags }))
    }),
    ("TagLogGroup", |logs, r| {
        let input: TagNameIn = r.input()?;
        let index = logs.index_of(&input.log_group_name)?;
        tag(logs, index, input.tags)
    }),
    ("UntagLogGroup", |logs, r| {
        let input: UntagNameIn = r.input()?;
        let index = logs.index_of(&input.log_group_name)?;
        untag(logs, index, &input.tags)
    }),
    ("ListTagsLogGroup", |logs, r| {
        let input: NameIn = r.input()?;
        let index = logs.index_of(&input.log_group_name)?;
        Ok(json!({ "tags": logs.groups[index].tags }))
    }),
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TagArnIn {
    resource_arn: String,
    tags: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UntagArnIn {
    resource_arn: String,
    tag_keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ArnIn {
    resource_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TagNameIn {
    log_group_name: String,
    tags: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UntagNameIn {
    log_group_name: String,
    tags: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NameIn {
    log_group_name: String,
}

fn tag(
    logs: &mut Logs,
    index: usize,
    tags: BTreeMap<String, String>,
) -> Result<Value, crate::protocol::AwsError> {
    let pairs: Vec<(String, String)> = tags.into_iter().collect();
    let group = &mut logs.groups[index];
    group.tags = merged(&group.tags, &pairs).map_err(tag_error)?;
    Ok(json!({}))
}

fn untag(
    logs: &mut Logs,
    index: usize,
    keys: &[String],
) -> Result<Value, crate::protocol::AwsError> {
    let group = &mut logs.groups[index];
    for key in keys {
        group.tags.remove(key);
    }
    Ok(json!({}))
}
