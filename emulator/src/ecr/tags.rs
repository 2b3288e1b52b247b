//! The tagging operations: TagResource, UntagResource, ListTagsForResource, on repository ARNs
//! (`arn:aws:ecr:<region>:<account>:repository/<name>`).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::protocol::{AwsError, RequestContext};
use crate::tags::{TagError, merged};

use super::Handler;
use super::model::{Ecr, repository_not_found};
use super::wire::{TagIn, tag_pairs, tags_json};

/// The tagging operations.
pub(super) const OPERATIONS: &[(&str, Handler)] = &[
    ("TagResource", |ecr, r| tag_resource(ecr, r.input()?, r.ctx)),
    ("UntagResource", |ecr, r| {
        untag_resource(ecr, r.input()?, r.ctx)
    }),
    ("ListTagsForResource", |ecr, r| {
        list_tags(ecr, r.input()?, r.ctx)
    }),
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TagResourceIn {
    resource_arn: String,
    tags: Vec<TagIn>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UntagResourceIn {
    resource_arn: String,
    tag_keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListTagsIn {
    resource_arn: String,
}

/// A tag rule broken, as ECR reports it.
pub(super) fn tag_error(e: TagError) -> AwsError {
    match e {
        TagError::Invalid(m) => AwsError::client("InvalidTagParameterException", m),
        TagError::TooMany(_) => AwsError::client("TooManyTagsException", e.to_string()),
    }
}

/// The index of the repository an ARN names in this account, or ECR's error.
fn repository_of(ecr: &Ecr, arn: &str, ctx: &RequestContext) -> Result<usize, AwsError> {
    let invalid = || {
        AwsError::invalid(format!(
            "Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN' (got '{arn}')"
        ))
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, _partition, service, _region, account, resource] = parts[..] else {
        return Err(invalid());
    };
    let name = resource.strip_prefix("repository/").ok_or_else(invalid)?;
    if prefix != "arn" || service != "ecr" {
        return Err(invalid());
    }
    if account != ctx.account {
        return Err(repository_not_found(name, account));
    }
    ecr.index_of(Some(account), name, ctx)
}

fn tag_resource(
    ecr: &mut Ecr,
    input: TagResourceIn,
    ctx: &RequestContext,
) -> Result<Value, AwsError> {
    let index = repository_of(ecr, &input.resource_arn, ctx)?;
    let repo = &mut ecr.repositories[index];
    repo.tags = merged(&repo.tags, &tag_pairs(&input.tags)).map_err(tag_error)?;
    Ok(json!({}))
}

fn untag_resource(
    ecr: &mut Ecr,
    input: UntagResourceIn,
    ctx: &RequestContext,
) -> Result<Value, AwsError> {
    let index = repository_of(ecr, &input.resource_arn, ctx)?;
    let repo = &mut ecr.repositories[index];
    for key in &input.tag_keys {
        repo.tags.remove(key);
    }
    Ok(json!({}))
}

fn list_tags(ecr: &Ecr, input: ListTagsIn, ctx: &RequestContext) -> Result<Value, AwsError> {
    let index = repository_of(ecr, &input.resource_arn, ctx)?;
    Ok(json!({ "tags": tags_json(&ecr.repositories[index].tags) }))
}
