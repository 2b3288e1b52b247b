//! The image operations: BatchGetImage, PutImage, DescribeImages, ListImages, BatchDeleteImage.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::manifest;
use crate::protocol::{AwsError, RequestContext, page_size, paginated};

use super::Handler;
use super::model::{Ecr, Image, Repository};
use super::wire::{Failure, ImageId, failure_json, image_detail, image_json};

/// The image operations.
pub(super) const OPERATIONS: &[(&str, Handler)] = &[
    ("BatchGetImage", |ecr, r| {
        batch_get_image(ecr, r.input()?, r.ctx)
    }),
    ("PutImage", |ecr, r| {
        put_image(ecr, r.input()?, r.ctx, r.now_ms)
    }),
    ("DescribeImages", |ecr, r| {
        describe_images(ecr, r.input()?, r.ctx)
    }),
    ("ListImages", |ecr, r| list_images(ecr, r.input()?, r.ctx)),
    ("BatchDeleteImage", |ecr, r| {
        batch_delete_image(ecr, r.input()?, r.ctx)
    }),
];

/// Resolves an image id within a repository, with BatchGetImage's failure codes.
fn lookup<'a>(repo: &'a Repository, id: &ImageId) -> Result<&'a Image, Failure> {
    match (&id.image_digest, &id.image_tag) {
        (None, None) => Err(Failure {
            code: "MissingDigestAndTag",
            reason: "Invalid request parameters: both tag and digest cannot be null".into(),
        }),
        (Some(d), tag) => {
            if !manifest::is_valid_digest(d) {
                return Err(Failure {
                    code: "InvalidImageDigest",
                    reason: "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'".into(),
                });
            }
            let image = repo.by_digest(d).ok_or(Failure {
                code: "ImageNotFound",
                reason: "Requested image not found".into(),
            })?;
            if let Some(t) = tag
                && !image.tags.iter().any(|x| x == t)
            {
                return Err(Failure {
                    code: "ImageTagDoesNotMatchDigest",
                    reason:
                        "Invalid request parameters: given tag does not map to the given digest"
                            .into(),
                });
            }
            Ok(image)
        }
        (None, Some(t)) => repo.by_tag(t).ok_or(Failure {
            code: "ImageNotFound",
            reason: "Requested image not found".into(),
        }),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchGetImageIn {
    registry_id: Option<String>,
    repository_name: String,
    image_ids: Vec<ImageId>,
    // Accepted but not used for conversion: images are returned as stored (see README).
    #[allow(dead_code)]
    accepted_media_types: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutImageIn {
    registry_id: Option<String>,
    repository_name: String,
    image_manifest: String,
    image_manifest_media_type: Option<String>,
    image_tag: Option<String>,
    image_digest: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct TagFilter {
    tag_status: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeImagesIn {
    registry_id: Option<String>,
    repository_name: String,
    image_ids: Option<Vec<ImageId>>,
    next_token: Option<String>,
    max_results: Option<i64>,
    filter: Option<TagFilter>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListImagesIn {
    registry_id: Option<String>,
    repository_name: String,
    next_token: Option<String>,
    max_results: Option<i64>,
    filter: Option<TagFilter>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchDeleteImageIn {
    registry_id: Option<String>,
    repository_name: String,
    image_ids: Vec<ImageId>,
}

fn tag_status(filter: Option<&TagFilter>) -> Result<&str, AwsError> {
    let status = filter
        .and_then(|f| f.tag_status.as_deref())
        .unwrap_or("ANY");
    match status {
        "TAGGED" | "UNTAGGED" | "ANY" => Ok(status),
        other => Err(AwsError::invalid(format!(
            "Invalid parameter at 'tagStatus' failed to satisfy constraint: 'Member must satisfy enum value set: [TAGGED, UNTAGGED, ANY]' (got '{other}')"
        ))),
    }
}

fn check_ids_len(ids: &[ImageId]) -> Result<(), AwsError> {
    if ids.is_empty() || ids.len() > 100 {
        return Err(AwsError::invalid(format!(
            "1 validation error detected: Value at 'imageIds' failed to satisfy constraint: Member must have length between 1 and 100 (got {})",
            ids.len()
        )));
    }
    Ok(())
}

/// ECR refuses a manifest whose config or layers were never uploaded to the repository.
fn layers_present(repo: &Repository, manifest: &str, account: &str) -> Result<(), AwsError> {
    let missing = repo.missing_blobs(manifest);
    if missing.is_empty() {
        return Ok(());
    }
    Err(AwsError::client(
        "LayersNotFoundException",
        format!(
            "Layers with digests [{}] required for pushing image into repository with name '{}' in the registry with id '{}' do not exist",
            missing.join(", "),
            repo.name,
            account
        ),
    ))
}

fn put_image(
    ecr: &mut Ecr,
    input: PutImageIn,
    ctx: &RequestContext,
    now_ms: i64,
) -> Result<Value, AwsError> {
    let index = ecr.index_of(input.registry_id.as_deref(), &input.repository_name, ctx)?;
    layers_present(
        &ecr.repositories[index],
        &input.image_manifest,
        &ctx.account,
    )?;
    let digest = ecr.put_image(
        index,
        &input.image_manifest,
        input.image_manifest_media_type.as_deref(),
        input.image_tag.as_deref(),
        input.image_digest.as_deref(),
        now_ms,
        ecr.repositories[index].starts(&input.image_manifest),
        ctx,
    )?;
    let repo = &ecr.repositories[index];
    let media_type = repo
        .by_digest(&digest)
        .map(|i| i.media_type.clone())
        .unwrap_or_default();
    let id = ImageId {
        image_digest: Some(digest),
        image_tag: input.image_tag,
    };
    let image = image_json(repo, &id, &input.image_manifest, &media_type, ctx);
    Ok(json!({ "image": image }))
}

fn batch_get_image(
    ecr: &Ecr,
    input: BatchGetImageIn,
    ctx: &RequestContext,
) -> Result<Value, AwsError> {
    let index = ecr.index_of(input.registry_id.as_deref(), &input.repository_name, ctx)?;
    check_ids_len(&input.image_ids)?;
    let repo = &ecr.repositories[index];
    let mut images = Vec::new();
    let mut failures = Vec::new();
    for id in &input.image_ids {
        match lookup(repo, id) {
            Ok(image) => {
                let returned = ImageId {
                    image_digest: Some(image.digest.clone()),
                    image_tag: id.image_tag.clone(),
                };
                images.push(image_json(
                    repo,
                    &returned,
                    &image.manifest,
                    &image.media_type,
                    ctx,
                ));
            }
            Err(f) => failures.push(failure_json(id, &f)),
        }
    }
    Ok(json!({ "images": images, "failures": failures }))
}

fn describe_images(
    ecr: &Ecr,
    input: DescribeImagesIn,
    ctx: &RequestContext,
) -> Result<Value, AwsError> {
    let index = ecr.index_of(input.registry_id.as_deref(), &input.repository_name, ctx)?;
    let repo = &ecr.repositories[index];
    if let Some(ids) = &input.image_ids {
        if input.next_token.is_some() || input.max_results.is_some() {
            return Err(AwsError::invalid(
                "Invalid parameter: maxResults and nextToken cannot be used together with imageIds",
            ));
        }
        check_ids_len(ids)?;
        let mut details = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for id in ids {
            let image = lookup(repo, id).map_err(|f| match f.code {
                "ImageNotFound" | "ImageTagDoesNotMatchDigest" => AwsError::client(
                    "ImageNotFoundException",
                    format!(
                        "The image with imageId {} does not exist within the repository with name '{}' in the registry with id '{}'",
                        id.describe(),
                        repo.name,
                        ctx.account
                    ),
                ),
                _ => AwsError::invalid(f.reason),
            })?;
            if !seen.contains(&image.digest.as_str()) {
                seen.push(&image.digest);
                details.push(image_detail(repo, image, ctx));
            }
        }
        return Ok(json!({ "imageDetails": details }));
    }
    let status = tag_status(input.filter.as_ref())?;
    let size = page_size(input.max_results, 1, 1000, 100)?;
    let details: Vec<Value> = repo
        .images
        .iter()
        .filter(|i| match status {
            "TAGGED" => !i.tags.is_empty(),
            "UNTAGGED" => i.tags.is_empty(),
            _ => true,
        })
        .map(|i| image_detail(repo, i, ctx))
        .collect();
    paginated(
        "DescribeImages",
        "imageDetails",
        &details,
        input.next_token.as_deref(),
        size,
    )
}

fn list_images(ecr: &Ecr, input: ListImagesIn, ctx: &RequestContext) -> Result<Value, AwsError> {
    let index = ecr.index_of(input.registry_id.as_deref(), &input.repository_name, ctx)?;
    let repo = &ecr.repositories[index];
    let status = tag_status(input.filter.as_ref())?;
    let size = page_size(input.max_results, 1, 1000, 100)?;
    let mut ids = Vec::new();
    for image in &repo.images {
        if image.tags.is_empty() {
            if status != "TAGGED" {
                ids.push(json!({ "imageDigest": image.digest }));
            }
        } else if status != "UNTAGGED" {
            for t in &image.tags {
                ids.push(json!({ "imageDigest": image.digest, "imageTag": t }));
            }
        }
    }
    paginated(
        "ListImages",
        "imageIds",
        &ids,
        input.next_token.as_deref(),
        size,
    )
}

fn batch_delete_image(
    ecr: &mut Ecr,
    input: BatchDeleteImageIn,
    ctx: &RequestContext,
) -> Result<Value, AwsError> {
    let index = ecr.index_of(input.registry_id.as_deref(), &input.repository_name, ctx)?;
    check_ids_len(&input.image_ids)?;
    let repo = &mut ecr.repositories[index];
    let mut deleted = Vec::new();
    let mut failures = Vec::new();
    for id in &input.image_ids {
        let image = match lookup(repo, id) {
            Ok(i) => i.clone(),
            Err(f) => {
                failures.push(failure_json(id, &f));
                continue;
            }
        };
        // Removing one tag of several only untags; otherwise the whole image goes.
        let untag_only = id.image_digest.is_none() && image.tags.len() > 1;
        if !untag_only && let Some(parent) = repo.referencing_index(&image.digest) {
            let f = Failure {
                code: "ImageReferencedByManifestList",
                reason: format!(
                    "Requested image referenced by manifest list: [{}]",
                    parent.digest
                ),
            };
            failures.push(failure_json(id, &f));
            continue;
        }
        if untag_only {
            let tag = id.image_tag.clone().unwrap_or_default();
            if let Some(i) = repo.images.iter_mut().find(|i| i.digest == image.digest) {
                i.tags.retain(|t| t != &tag);
            }
            deleted.push(json!({ "imageDigest": image.digest, "imageTag": tag }));
        } else {
            repo.images.retain(|i| i.digest != image.digest);
            if image.tags.is_empty() {
                deleted.push(json!({ "imageDigest": image.digest }));
            }
            for t in &image.tags {
                deleted.push(json!({ "imageDigest": image.digest, "imageTag": t }));
            }
        }
    }
    Ok(json!({ "imageIds": deleted, "failures": failures }))
}
