//! The repository operations: DescribeRepositories, CreateRepository, PutImageTagMutability.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::protocol::{AwsError, RequestContext, page_size, paginated};
use crate::world::ExclusionFilter;

use super::Handler;
use super::model::Ecr;
use super::rules::validate_mutability;
use super::wire::{filters_json, repository_json};

/// The repository operations.
pub(super) const OPERATIONS: &[(&str, Handler)] = &[
    ("DescribeRepositories", |ecr, r| {
        describe_repositories(ecr, r.input()?, r.ctx)
    }),
    ("CreateRepository", |ecr, r| {
        create_repository(ecr, r.input()?, r.ctx, r.now_ms)
    }),
    ("PutImageTagMutability", |ecr, r| {
        put_image_tag_mutability(ecr, r.input()?, r.ctx)
    }),
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeRepositoriesIn {
    registry_id: Option<String>,
    repository_names: Option<Vec<String>>,
    next_token: Option<String>,
    max_results: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRepositoryIn {
    registry_id: Option<String>,
    repository_name: String,
    image_tag_mutability: Option<String>,
    image_tag_mutability_exclusion_filters: Option<Vec<ExclusionFilter>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutImageTagMutabilityIn {
    registry_id: Option<String>,
    repository_name: String,
    image_tag_mutability: String,
    image_tag_mutability_exclusion_filters: Option<Vec<ExclusionFilter>>,
}

fn describe_repositories(
    ecr: &Ecr,
    input: DescribeRepositoriesIn,
    ctx: &RequestContext,
) -> Result<Value, AwsError> {
    let registry = input.registry_id.as_deref().unwrap_or(&ctx.account);
    if let Some(names) = &input.repository_names {
        if input.next_token.is_some() || input.max_results.is_some() {
            return Err(AwsError::invalid(
                "Invalid parameter: maxResults and nextToken cannot be used together with repositoryNames",
            ));
        }
        if names.is_empty() || names.len() > 100 {
            return Err(AwsError::invalid(
                "1 validation error detected: Value at 'repositoryNames' failed to satisfy constraint: Member must have length between 1 and 100",
            ));
        }
        let mut out = Vec::new();
        for name in names {
            let index = ecr.index_of(Some(registry), name, ctx)?;
            out.push(repository_json(&ecr.repositories[index], ctx));
        }
        return Ok(json!({ "repositories": out }));
    }
    let size = page_size(input.max_results, 1, 1000, 100)?;
    let all: Vec<Value> = if registry == ctx.account {
        ecr.repositories
            .iter()
            .map(|r| repository_json(r, ctx))
            .collect()
    } else {
        Vec::new()
    };
    paginated(
        "DescribeRepositories",
        "repositories",
        &all,
        input.next_token.as_deref(),
        size,
    )
}

fn create_repository(
    ecr: &mut Ecr,
    input: CreateRepositoryIn,
    ctx: &RequestContext,
    now_ms: i64,
) -> Result<Value, AwsError> {
    if let Some(r) = &input.registry_id
        && r != &ctx.account
    {
        return Err(AwsError::invalid(format!(
            "Invalid parameter at 'registryId': repositories can only be created in registry '{}'",
            ctx.account
        )));
    }
    let index = ecr.create_repository(
        &input.repository_name,
        input.image_tag_mutability.as_deref(),
        input
            .image_tag_mutability_exclusion_filters
            .as_deref()
            .unwrap_or(&[]),
        ctx,
        now_ms,
    )?;
    Ok(json!({ "repository": repository_json(&ecr.repositories[index], ctx) }))
}

fn put_image_tag_mutability(
    ecr: &mut Ecr,
    input: PutImageTagMutabilityIn,
    ctx: &RequestContext,
) -> Result<Value, AwsError> {
    let index = ecr.index_of(input.registry_id.as_deref(), &input.repository_name, ctx)?;
    let (mutability, filters) = validate_mutability(
        &input.image_tag_mutability,
        input
            .image_tag_mutability_exclusion_filters
            .as_deref()
            .unwrap_or(&[]),
    )?;
    let repo = &mut ecr.repositories[index];
    repo.mutability = mutability;
    repo.filters = filters;
    let mut out = json!({
        "registryId": ctx.account,
        "repositoryName": repo.name,
        "imageTagMutability": mutability.as_str(),
    });
    if !repo.filters.is_empty() {
        out["imageTagMutabilityExclusionFilters"] = filters_json(&repo.filters);
    }
    Ok(out)
}
