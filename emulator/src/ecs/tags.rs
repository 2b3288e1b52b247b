//! The tagging operations: TagResource, UntagResource, ListTagsForResource, on cluster, service,
//! task-definition and task ARNs. Tags live in [`super::records::Records`].

use serde::Deserialize;
use serde_json::json;

use crate::protocol::{AwsError, RequestContext};
use crate::tags::merged;

use super::Handler;
use super::model::{Ecs, cluster_not_found, service_not_found};
use super::records::{Records, arn_path, tag_error, tags_json};

/// The tagging operations.
pub(super) const OPERATIONS: &[(&str, Handler)] = &[
    ("TagResource", |ecs, c| {
        let input: TagIn = c.req.input()?;
        let path = existing(ecs, c.records, &input.resource_arn, c.req.ctx)?;
        let pairs: Vec<(String, String)> = input
            .tags
            .into_iter()
            .map(|t| (t.key, t.value.unwrap_or_default()))
            .collect();
        let current = c.records.tags.get(&path).cloned().unwrap_or_default();
        let next = merged(&current, &pairs).map_err(tag_error)?;
        c.records.tags.insert(path, next);
        Ok(json!({}))
    }),
    ("UntagResource", |ecs, c| {
        let input: UntagIn = c.req.input()?;
        let path = existing(ecs, c.records, &input.resource_arn, c.req.ctx)?;
        if let Some(tags) = c.records.tags.get_mut(&path) {
            for key in &input.tag_keys {
                tags.remove(key);
            }
        }
        Ok(json!({}))
    }),
    ("ListTagsForResource", |ecs, c| {
        let input: ListIn = c.req.input()?;
        let path = existing(ecs, c.records, &input.resource_arn, c.req.ctx)?;
        Ok(json!({ "tags": tags_json(c.records.tags.get(&path)) }))
    }),
];

#[derive(Deserialize)]
struct TagPair {
    key: String,
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TagIn {
    resource_arn: String,
    tags: Vec<TagPair>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UntagIn {
    resource_arn: String,
    tag_keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListIn {
    resource_arn: String,
}

/// The resource path of an ARN naming a resource that exists (or, for services and clusters,
/// one that was deleted and is still described), or ECS's error.
fn existing(
    ecs: &Ecs,
    records: &Records,
    arn: &str,
    ctx: &RequestContext,
) -> Result<String, AwsError> {
    let invalid = || AwsError::invalid(format!("The specified resourceArn '{arn}' is not valid."));
    let path = arn_path(arn, ctx).ok_or_else(invalid)?;
    let parts: Vec<&str> = path.split('/').collect();
    let cluster = |name: &str| ecs.clusters.iter().find(|c| c.name == name);
    let found = match parts[..] {
        ["cluster", name] => {
            cluster(name).is_some() || records.inactive_clusters.iter().any(|(c, _)| c == name)
        }
        ["service", c, s] => {
            let live = cluster(c)
                .ok_or_else(cluster_not_found)?
                .services
                .iter()
                .any(|x| x.name == s);
            if !live
                && !records
                    .inactive_services
                    .iter()
                    .any(|(ic, is, _)| ic == c && is == s)
            {
                return Err(service_not_found());
            }
            true
        }
        ["task", c, id] => cluster(c)
            .ok_or_else(cluster_not_found)?
            .tasks
            .iter()
            .any(|t| t.id == id),
        ["task-definition", td] => {
            td.rsplit_once(':')
                .is_some_and(|(_, r)| r.parse::<i64>().is_ok())
                && ecs.find_task_definition(td).is_some()
        }
        _ => return Err(invalid()),
    };
    if !found {
        return Err(if parts[0] == "cluster" {
            cluster_not_found()
        } else {
            AwsError::invalid(format!("The specified resource '{arn}' does not exist."))
        });
    }
    Ok(path.to_string())
}
