//! The repository operations: DescribeRepositories, CreateRepository, PutImageTagMutability.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::protocol::{AwsError, RequestContext, page_size, paginated};
use crate::world::ExclusionFilter;

use super::Handler;
use super::model::{Ecr, Encryption};
use super::rules::validate_mutability;
use super::tags::tag_error;
use super::wire::{TagIn, filters_json, repository_json, tag_pairs};

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
    tags: Option<Vec<TagIn>>,
    image_scanning_configuration: Option<ScanningConfigurationIn>,
    encryption_configuration: Option<EncryptionIn>,
}

/// `imageScanningConfiguration`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ScanningConfigurationIn {
    #[serde(default)]
    pub(super) scan_on_push: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EncryptionIn {
    encryption_type: String,
    kms_key: Option<String>,
}

fn encryption(input: Option<EncryptionIn>) -> Result<Encryption, AwsError> {
    let Some(e) = input else {
        return Ok(Encryption {
            encryption_type: "AES256".to_string(),
            kms_key: None,
        });
    };
    match e.encryption_type.as_str() {
        "AES256" if e.kms_key.is_some() => Err(AwsError::invalid(
            "Invalid parameter at 'encryptionConfiguration': kmsKey can only be specified with encryptionType KMS or KMS_DSSE",
        )),
        "AES256" | "KMS" | "KMS_DSSE" => Ok(Encryption {
            encryption_type: e.encryption_type,
            kms_key: e.kms_key,
        }),
        other => Err(AwsError::invalid(format!(
            "1 validation error detected: Value '{other}' at 'encryptionConfiguration.encryptionType' failed to satisfy constraint: Member must satisfy enum value set: [AES256, KMS, KMS_DSSE]"
        ))),
    }
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
    // Everything is checked before the repository exists, so a refused call creates nothing.
    let tags = crate::tags::merged(
        &Default::default(),
        &tag_pairs(input.tags.as_deref().unwrap_or(&[])),
    )
    .map_err(tag_error)?;
    let encryption = encryption(input.encryption_configuration)?;
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
    let repo = &mut ecr.repositories[index];
    repo.tags = tags;
    repo.encryption = encryption;
    repo.scan_on_push = input
        .image_scanning_configuration
        .is_some_and(|c| c.scan_on_push);
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
