//! How ECR's model looks on the wire: image ids, failures, `Repository` and `ImageDetail` shapes.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::protocol::{RequestContext, ts};
use crate::tags::Tags;
use crate::world::ExclusionFilter;

use super::model::{Encryption, Image, Repository};

/// An `ImageIdentifier` as requests carry it.
#[derive(Deserialize, Clone, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct ImageId {
    /// `imageDigest`.
    pub image_digest: Option<String>,
    /// `imageTag`.
    pub image_tag: Option<String>,
}

impl ImageId {
    /// The `ImageIdentifier` shape, with only the members that are set.
    pub fn to_json(&self) -> Value {
        let mut v = serde_json::Map::new();
        if let Some(d) = &self.image_digest {
            v.insert("imageDigest".into(), json!(d));
        }
        if let Some(t) = &self.image_tag {
            v.insert("imageTag".into(), json!(t));
        }
        Value::Object(v)
    }

    /// The id as ECR quotes it in error messages.
    pub fn describe(&self) -> String {
        format!(
            "{{imageDigest:'{}', imageTag:'{}'}}",
            self.image_digest.as_deref().unwrap_or("null"),
            self.image_tag.as_deref().unwrap_or("null")
        )
    }
}

/// Why an image id did not resolve (a BatchGetImage / BatchDeleteImage failure code).
pub struct Failure {
    /// `failureCode`.
    pub code: &'static str,
    /// `failureReason`.
    pub reason: String,
}

/// An `ImageFailure` entry.
pub fn failure_json(id: &ImageId, f: &Failure) -> Value {
    json!({ "imageId": id.to_json(), "failureCode": f.code, "failureReason": f.reason })
}

/// `imageTagMutabilityExclusionFilters`.
pub fn filters_json(filters: &[ExclusionFilter]) -> Value {
    Value::Array(
        filters
            .iter()
            .map(|f| json!({ "filterType": f.filter_type, "filter": f.filter }))
            .collect(),
    )
}

/// The `Repository` shape.
pub fn repository_json(repo: &Repository, ctx: &RequestContext) -> Value {
    let mut v = json!({
        "registryId": ctx.account,
        "repositoryName": repo.name,
        "repositoryArn": format!("arn:aws:ecr:{}:{}:repository/{}", ctx.region, ctx.account, repo.name),
        "repositoryUri": format!("{}.dkr.ecr.{}.amazonaws.com/{}", ctx.account, ctx.region, repo.name),
        "createdAt": ts(repo.created_ms),
        "imageTagMutability": repo.mutability.as_str(),
        "imageScanningConfiguration": { "scanOnPush": repo.scan_on_push },
        "encryptionConfiguration": encryption_json(&repo.encryption),
    });
    if !repo.filters.is_empty() {
        v["imageTagMutabilityExclusionFilters"] = filters_json(&repo.filters);
    }
    v
}

/// The `EncryptionConfiguration` shape.
pub fn encryption_json(e: &Encryption) -> Value {
    let mut v = json!({ "encryptionType": e.encryption_type });
    if let Some(k) = &e.kms_key {
        v["kmsKey"] = json!(k);
    }
    v
}

/// A tag as ECR spells it (`Key`, `Value`: ECR's Tag shape is capitalised, unlike ECS's).
#[derive(Deserialize, Clone, Debug)]
pub struct TagIn {
    /// `Key`.
    #[serde(rename = "Key")]
    pub key: String,
    /// `Value` (ECR requires it; an absent one is stored as empty).
    #[serde(rename = "Value", default)]
    pub value: String,
}

/// Tags as `(key, value)` pairs.
pub fn tag_pairs(tags: &[TagIn]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

/// A list of ECR `Tag`s.
pub fn tags_json(tags: &Tags) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| json!({ "Key": k, "Value": v }))
            .collect(),
    )
}

/// The `ImageDetail` shape (DescribeImages).
pub fn image_detail(repo: &Repository, image: &Image, ctx: &RequestContext) -> Value {
    let mut v = json!({
        "registryId": ctx.account,
        "repositoryName": repo.name,
        "imageDigest": image.digest,
        "imageSizeInBytes": image.size,
        "imagePushedAt": ts(image.pushed_ms),
        "imageManifestMediaType": image.media_type,
        "imageStatus": "ACTIVE",
    });
    if !image.tags.is_empty() {
        v["imageTags"] = json!(image.tags);
    }
    if let Some(a) = &image.artifact_media_type {
        v["artifactMediaType"] = json!(a);
    }
    v
}

/// The `Image` shape (PutImage, BatchGetImage): the manifest exactly as stored.
pub fn image_json(
    repo: &Repository,
    id: &ImageId,
    manifest: &str,
    media_type: &str,
    ctx: &RequestContext,
) -> Value {
    json!({
        "registryId": ctx.account,
        "repositoryName": repo.name,
        "imageId": id.to_json(),
        "imageManifest": manifest,
        "imageManifestMediaType": media_type,
    })
}
