//! Emulated Amazon ECR: repositories, images keyed by digest, tags, tag mutability, and the
//! operations the project uses.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::manifest::{self, ManifestInfo};
use crate::protocol::{AwsError, RequestContext, decode, page_size, paginate, ts};
use crate::world::ExclusionFilter;

/// ECR's four tag-mutability modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutability {
    /// Every tag can move.
    Mutable,
    /// No tag can move.
    Immutable,
    /// Tags can move, except those matching a filter.
    MutableWithExclusion,
    /// Tags cannot move, except those matching a filter.
    ImmutableWithExclusion,
}

impl Mutability {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "MUTABLE" => Some(Self::Mutable),
            "IMMUTABLE" => Some(Self::Immutable),
            "MUTABLE_WITH_EXCLUSION" => Some(Self::MutableWithExclusion),
            "IMMUTABLE_WITH_EXCLUSION" => Some(Self::ImmutableWithExclusion),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Mutable => "MUTABLE",
            Self::Immutable => "IMMUTABLE",
            Self::MutableWithExclusion => "MUTABLE_WITH_EXCLUSION",
            Self::ImmutableWithExclusion => "IMMUTABLE_WITH_EXCLUSION",
        }
    }
}

/// Glob match where `*` stands for any run of characters (ECR's WILDCARD filters; not a regex).
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Classic greedy matcher with backtracking to the last star: linear in practice.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Validates a mutability mode with its exclusion filters, as PutImageTagMutability and
/// CreateRepository do.
pub fn validate_mutability(
    mode: &str,
    filters: &[ExclusionFilter],
) -> Result<(Mutability, Vec<ExclusionFilter>), AwsError> {
    let m = Mutability::parse(mode).ok_or_else(|| {
        AwsError::invalid(format!(
            "Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]' (got '{mode}')"
        ))
    })?;
    let with_exclusion = matches!(
        m,
        Mutability::MutableWithExclusion | Mutability::ImmutableWithExclusion
    );
    if !with_exclusion && !filters.is_empty() {
        return Err(AwsError::invalid(
            "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'Exclusion filters can only be used with MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION'",
        ));
    }
    if with_exclusion && filters.is_empty() {
        return Err(AwsError::invalid(format!(
            "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: '{} requires at least one exclusion filter'",
            m.as_str()
        )));
    }
    if filters.len() > 5 {
        return Err(AwsError::invalid(
            "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'Member must have length less than or equal to 5'",
        ));
    }
    for f in filters {
        if f.filter_type != "WILDCARD" {
            return Err(AwsError::invalid(format!(
                "Invalid parameter at 'filterType' failed to satisfy constraint: 'Member must satisfy enum value set: [WILDCARD]' (got '{}')",
                f.filter_type
            )));
        }
        let ok = (1..=128).contains(&f.filter.len())
            && f.filter
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._*-".contains(c));
        if !ok {
            return Err(AwsError::invalid(format!(
                "Invalid parameter at 'filter' failed to satisfy constraint: 'Member must satisfy regular expression pattern: ^[0-9a-zA-Z._*-]{{1,128}}$' (got '{}')",
                f.filter
            )));
        }
    }
    Ok((m, filters.to_vec()))
}

fn valid_repository_name(name: &str) -> bool {
    // [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+(...)*)*, 2..=256 characters.
    if !(2..=256).contains(&name.len()) {
        return false;
    }
    name.split('/').all(|component| {
        let bytes = component.as_bytes();
        !bytes.is_empty()
            && bytes[0].is_ascii_alphanumeric()
            && bytes[bytes.len() - 1].is_ascii_alphanumeric()
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(b))
            && !component.contains("..")
            && !component.contains("._")
            && !component.contains("_.")
            && !component.contains("___")
    })
}

/// One stored image.
#[derive(Clone, Debug)]
pub struct Image {
    /// `sha256:…` of the manifest bytes.
    pub digest: String,
    /// The manifest exactly as pushed.
    pub manifest: String,
    /// Effective media type.
    pub media_type: String,
    /// Push time (emulated ms).
    pub pushed_ms: i64,
    /// Size reported by DescribeImages.
    pub size: i64,
    /// `config.mediaType` of a single manifest.
    pub artifact_media_type: Option<String>,
    /// Child digests of an index.
    pub children: Vec<String>,
    /// Tags, in the order they were put on the image.
    pub tags: Vec<String>,
    /// Whether tasks running it start (world files can mark images broken).
    pub healthy: bool,
}

/// One repository.
#[derive(Clone, Debug)]
pub struct Repository {
    /// Repository name.
    pub name: String,
    /// Creation time (emulated ms).
    pub created_ms: i64,
    /// Tag mutability mode.
    pub mutability: Mutability,
    /// Exclusion filters for the `*_WITH_EXCLUSION` modes.
    pub filters: Vec<ExclusionFilter>,
    /// Images in push order.
    pub images: Vec<Image>,
}

impl Repository {
    /// Whether `tag` may not be moved once it exists.
    pub fn tag_is_immutable(&self, tag: &str) -> bool {
        let matched = || self.filters.iter().any(|f| wildcard_match(&f.filter, tag));
        match self.mutability {
            Mutability::Mutable => false,
            Mutability::Immutable => true,
            Mutability::MutableWithExclusion => matched(),
            Mutability::ImmutableWithExclusion => !matched(),
        }
    }

    /// The image carrying `tag`.
    pub fn by_tag(&self, tag: &str) -> Option<&Image> {
        self.images.iter().find(|i| i.tags.iter().any(|t| t == tag))
    }

    /// The image with `digest`.
    pub fn by_digest(&self, digest: &str) -> Option<&Image> {
        self.images.iter().find(|i| i.digest == digest)
    }

    fn referencing_index(&self, digest: &str) -> Option<&Image> {
        self.images
            .iter()
            .find(|i| i.children.iter().any(|c| c == digest))
    }
}

/// The whole registry of the emulated account.
#[derive(Clone, Debug, Default)]
pub struct Ecr {
    /// Repositories in creation order.
    pub repositories: Vec<Repository>,
}

#[derive(Deserialize, Clone, Debug, Default)]
#[serde(rename_all = "camelCase")]
struct ImageId {
    image_digest: Option<String>,
    image_tag: Option<String>,
}

impl ImageId {
    fn to_json(&self) -> Value {
        let mut v = serde_json::Map::new();
        if let Some(d) = &self.image_digest {
            v.insert("imageDigest".into(), json!(d));
        }
        if let Some(t) = &self.image_tag {
            v.insert("imageTag".into(), json!(t));
        }
        Value::Object(v)
    }

    fn describe(&self) -> String {
        format!(
            "{{imageDigest:'{}', imageTag:'{}'}}",
            self.image_digest.as_deref().unwrap_or("null"),
            self.image_tag.as_deref().unwrap_or("null")
        )
    }
}

/// Why an image id did not resolve (a BatchGetImage / BatchDeleteImage failure code).
struct Failure {
    code: &'static str,
    reason: String,
}

fn failure_json(id: &ImageId, f: &Failure) -> Value {
    json!({ "imageId": id.to_json(), "failureCode": f.code, "failureReason": f.reason })
}

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
struct BatchDeleteImageIn {
    registry_id: Option<String>,
    repository_name: String,
    image_ids: Vec<ImageId>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutImageTagMutabilityIn {
    registry_id: Option<String>,
    repository_name: String,
    image_tag_mutability: String,
    image_tag_mutability_exclusion_filters: Option<Vec<ExclusionFilter>>,
}

/// Names the ECR operations this emulator serves.
pub const OPERATIONS: &[&str] = &[
    "BatchGetImage",
    "PutImage",
    "DescribeImages",
    "ListImages",
    "DescribeRepositories",
    "CreateRepository",
    "BatchDeleteImage",
    "PutImageTagMutability",
];

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

impl Ecr {
    /// Dispatches one ECR operation. `None` when the operation is not one we serve.
    pub fn call(
        &mut self,
        operation: &str,
        body: &[u8],
        ctx: &RequestContext,
        now_ms: i64,
    ) -> Option<Result<Value, AwsError>> {
        let result = match operation {
            "BatchGetImage" => decode(body).and_then(|i| self.batch_get_image(i, ctx)),
            "PutImage" => decode(body).and_then(|i| self.put_image_api(i, ctx, now_ms)),
            "DescribeImages" => decode(body).and_then(|i| self.describe_images(i, ctx)),
            "ListImages" => decode(body).and_then(|i| self.list_images(i, ctx)),
            "DescribeRepositories" => decode(body).and_then(|i| self.describe_repositories(i, ctx)),
            "CreateRepository" => {
                decode(body).and_then(|i| self.create_repository_api(i, ctx, now_ms))
            }
            "BatchDeleteImage" => decode(body).and_then(|i| self.batch_delete_image(i, ctx)),
            "PutImageTagMutability" => {
                decode(body).and_then(|i| self.put_image_tag_mutability(i, ctx))
            }
            _ => return None,
        };
        Some(result)
    }

    fn not_found(name: &str, registry: &str) -> AwsError {
        AwsError::client(
            "RepositoryNotFoundException",
            format!(
                "The repository with name '{name}' does not exist in the registry with id '{registry}'"
            ),
        )
    }

    fn index_of(
        &self,
        registry_id: Option<&str>,
        name: &str,
        ctx: &RequestContext,
    ) -> Result<usize, AwsError> {
        let registry = registry_id.unwrap_or(&ctx.account);
        if registry != ctx.account {
            return Err(Self::not_found(name, registry));
        }
        self.repositories
            .iter()
            .position(|r| r.name == name)
            .ok_or_else(|| Self::not_found(name, registry))
    }

    /// The repository called `name`.
    pub fn repository(&self, name: &str) -> Option<&Repository> {
        self.repositories.iter().find(|r| r.name == name)
    }

    fn repository_json(&self, repo: &Repository, ctx: &RequestContext) -> Value {
        let mut v = json!({
            "registryId": ctx.account,
            "repositoryName": repo.name,
            "repositoryArn": format!("arn:aws:ecr:{}:{}:repository/{}", ctx.region, ctx.account, repo.name),
            "repositoryUri": format!("{}.dkr.ecr.{}.amazonaws.com/{}", ctx.account, ctx.region, repo.name),
            "createdAt": ts(repo.created_ms),
            "imageTagMutability": repo.mutability.as_str(),
            "imageScanningConfiguration": { "scanOnPush": false },
            "encryptionConfiguration": { "encryptionType": "AES256" },
        });
        if !repo.filters.is_empty() {
            v["imageTagMutabilityExclusionFilters"] = filters_json(&repo.filters);
        }
        v
    }

    /// Creates a repository (world loading and the API share this).
    pub fn create_repository(
        &mut self,
        name: &str,
        mutability: Option<&str>,
        filters: &[ExclusionFilter],
        ctx: &RequestContext,
        now_ms: i64,
    ) -> Result<usize, AwsError> {
        if !valid_repository_name(name) {
            return Err(AwsError::invalid(format!(
                "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*'' (got '{name}')"
            )));
        }
        if self.repository(name).is_some() {
            return Err(AwsError::client(
                "RepositoryAlreadyExistsException",
                format!(
                    "The repository with name '{name}' already exists in the registry with id '{}'",
                    ctx.account
                ),
            ));
        }
        let (mutability, filters) = validate_mutability(mutability.unwrap_or("MUTABLE"), filters)?;
        self.repositories.push(Repository {
            name: name.to_string(),
            created_ms: now_ms,
            mutability,
            filters,
            images: Vec::new(),
        });
        Ok(self.repositories.len() - 1)
    }

    /// PutImage semantics, shared by the API and world loading. Returns the stored image's digest.
    #[allow(clippy::too_many_arguments)]
    pub fn put_image(
        &mut self,
        repo_index: usize,
        manifest_text: &str,
        declared_media_type: Option<&str>,
        tag: Option<&str>,
        claimed_digest: Option<&str>,
        now_ms: i64,
        healthy: bool,
        ctx: &RequestContext,
    ) -> Result<String, AwsError> {
        let repo = &mut self.repositories[repo_index];
        let info: ManifestInfo =
            manifest::inspect(manifest_text, declared_media_type).map_err(AwsError::invalid)?;
        let digest = manifest::digest_of(manifest_text.as_bytes());
        if let Some(claimed) = claimed_digest
            && claimed != digest
        {
            return Err(AwsError::client(
                "ImageDigestDoesNotMatchException",
                format!(
                    "Provided digest {claimed} does not match the digest {digest} of the image manifest"
                ),
            ));
        }
        if let Some(t) = tag
            && (t.is_empty() || t.len() > 300)
        {
            return Err(AwsError::invalid(
                "Invalid parameter at 'imageTag' failed to satisfy constraint: 'Member must have length between 1 and 300'",
            ));
        }
        let missing: Vec<&String> = info
            .children
            .iter()
            .filter(|c| repo.by_digest(c).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(AwsError::client(
                "ReferencedImagesNotFoundException",
                format!(
                    "Some of the images referenced by the manifest list or image index are not found in the repository with name '{}': {}",
                    repo.name,
                    missing
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let existing = repo.by_digest(&digest);
        match tag {
            None if existing.is_some() => {
                return Err(AwsError::client(
                    "ImageAlreadyExistsException",
                    format!(
                        "Image with digest '{digest}' already exists in the repository with name '{}' in registry with id '{}'",
                        repo.name, ctx.account
                    ),
                ));
            }
            Some(t) => {
                if existing.is_some_and(|i| i.tags.iter().any(|x| x == t)) {
                    return Err(AwsError::client(
                        "ImageAlreadyExistsException",
                        format!(
                            "Image with digest '{digest}' and tag '{t}' already exists in the repository with name '{}' in registry with id '{}'",
                            repo.name, ctx.account
                        ),
                    ));
                }
                if repo.by_tag(t).is_some() && repo.tag_is_immutable(t) {
                    return Err(AwsError::client(
                        "ImageTagAlreadyExistsException",
                        format!(
                            "The image tag '{t}' already exists in the '{}' repository and cannot be overwritten because the tag is immutable.",
                            repo.name
                        ),
                    ));
                }
            }
            None => {}
        }
        // Index size: the largest child (what ECR reports for manifest lists).
        let size = if info.is_index() {
            info.children
                .iter()
                .filter_map(|c| repo.by_digest(c).map(|i| i.size))
                .max()
                .unwrap_or(0)
        } else {
            info.size
        };
        if let Some(t) = tag {
            // Moving a tag leaves the previous image in place, untagged if it was its last tag.
            for image in &mut repo.images {
                image.tags.retain(|x| x != t);
            }
        }
        match repo.images.iter_mut().find(|i| i.digest == digest) {
            Some(image) => {
                if let Some(t) = tag {
                    image.tags.push(t.to_string());
                }
            }
            None => repo.images.push(Image {
                digest: digest.clone(),
                manifest: manifest_text.to_string(),
                media_type: info.media_type.clone(),
                pushed_ms: now_ms,
                size,
                artifact_media_type: info.artifact_media_type.clone(),
                children: info.children.clone(),
                tags: tag.map(|t| vec![t.to_string()]).unwrap_or_default(),
                healthy,
            }),
        }
        Ok(digest)
    }

    fn put_image_api(
        &mut self,
        input: PutImageIn,
        ctx: &RequestContext,
        now_ms: i64,
    ) -> Result<Value, AwsError> {
        let index = self.index_of(input.registry_id.as_deref(), &input.repository_name, ctx)?;
        let digest = self.put_image(
            index,
            &input.image_manifest,
            input.image_manifest_media_type.as_deref(),
            input.image_tag.as_deref(),
            input.image_digest.as_deref(),
            now_ms,
            true,
            ctx,
        )?;
        let repo = &self.repositories[index];
        let media_type = repo
            .by_digest(&digest)
            .map(|i| i.media_type.clone())
            .unwrap_or_default();
        let id = ImageId {
            image_digest: Some(digest),
            image_tag: input.image_tag,
        };
        Ok(json!({
            "image": {
                "registryId": ctx.account,
                "repositoryName": repo.name,
                "imageId": id.to_json(),
                "imageManifest": input.image_manifest,
                "imageManifestMediaType": media_type,
            }
        }))
    }

    fn batch_get_image(
        &mut self,
        input: BatchGetImageIn,
        ctx: &RequestContext,
    ) -> Result<Value, AwsError> {
        let index = self.index_of(input.registry_id.as_deref(), &input.repository_name, ctx)?;
        check_ids_len(&input.image_ids)?;
        let repo = &self.repositories[index];
        let mut images = Vec::new();
        let mut failures = Vec::new();
        for id in &input.image_ids {
            match lookup(repo, id) {
                Ok(image) => {
                    let returned = ImageId {
                        image_digest: Some(image.digest.clone()),
                        image_tag: id.image_tag.clone(),
                    };
                    images.push(json!({
                        "registryId": ctx.account,
                        "repositoryName": repo.name,
                        "imageId": returned.to_json(),
                        "imageManifest": image.manifest,
                        "imageManifestMediaType": image.media_type,
                    }));
                }
                Err(f) => failures.push(failure_json(id, &f)),
            }
        }
        Ok(json!({ "images": images, "failures": failures }))
    }

    fn image_detail(&self, repo: &Repository, image: &Image, ctx: &RequestContext) -> Value {
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

    fn describe_images(
        &self,
        input: DescribeImagesIn,
        ctx: &RequestContext,
    ) -> Result<Value, AwsError> {
        let index = self.index_of(input.registry_id.as_deref(), &input.repository_name, ctx)?;
        let repo = &self.repositories[index];
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
                    details.push(self.image_detail(repo, image, ctx));
                }
            }
            return Ok(json!({ "imageDetails": details }));
        }
        let status = tag_status(input.filter.as_ref())?;
        let size = page_size(input.max_results, 1, 1000, 100)?;
        let matching: Vec<&Image> = repo
            .images
            .iter()
            .filter(|i| match status {
                "TAGGED" => !i.tags.is_empty(),
                "UNTAGGED" => i.tags.is_empty(),
                _ => true,
            })
            .collect();
        let (page, next) = paginate(
            "DescribeImages",
            &matching,
            input.next_token.as_deref(),
            size,
        )?;
        let details: Vec<Value> = page
            .iter()
            .map(|i| self.image_detail(repo, i, ctx))
            .collect();
        let mut out = json!({ "imageDetails": details });
        if let Some(n) = next {
            out["nextToken"] = json!(n);
        }
        Ok(out)
    }

    fn list_images(&self, input: ListImagesIn, ctx: &RequestContext) -> Result<Value, AwsError> {
        let index = self.index_of(input.registry_id.as_deref(), &input.repository_name, ctx)?;
        let repo = &self.repositories[index];
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
        let (page, next) = paginate("ListImages", &ids, input.next_token.as_deref(), size)?;
        let mut out = json!({ "imageIds": page });
        if let Some(n) = next {
            out["nextToken"] = json!(n);
        }
        Ok(out)
    }

    fn describe_repositories(
        &self,
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
                let index = self.index_of(Some(registry), name, ctx)?;
                out.push(self.repository_json(&self.repositories[index], ctx));
            }
            return Ok(json!({ "repositories": out }));
        }
        let size = page_size(input.max_results, 1, 1000, 100)?;
        let all: Vec<Value> = if registry == ctx.account {
            self.repositories
                .iter()
                .map(|r| self.repository_json(r, ctx))
                .collect()
        } else {
            Vec::new()
        };
        let (page, next) = paginate(
            "DescribeRepositories",
            &all,
            input.next_token.as_deref(),
            size,
        )?;
        let mut out = json!({ "repositories": page });
        if let Some(n) = next {
            out["nextToken"] = json!(n);
        }
        Ok(out)
    }

    fn create_repository_api(
        &mut self,
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
        let index = self.create_repository(
            &input.repository_name,
            input.image_tag_mutability.as_deref(),
            input
                .image_tag_mutability_exclusion_filters
                .as_deref()
                .unwrap_or(&[]),
            ctx,
            now_ms,
        )?;
        Ok(json!({ "repository": self.repository_json(&self.repositories[index], ctx) }))
    }

    fn batch_delete_image(
        &mut self,
        input: BatchDeleteImageIn,
        ctx: &RequestContext,
    ) -> Result<Value, AwsError> {
        let index = self.index_of(input.registry_id.as_deref(), &input.repository_name, ctx)?;
        check_ids_len(&input.image_ids)?;
        let repo = &mut self.repositories[index];
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

    fn put_image_tag_mutability(
        &mut self,
        input: PutImageTagMutabilityIn,
        ctx: &RequestContext,
    ) -> Result<Value, AwsError> {
        let index = self.index_of(input.registry_id.as_deref(), &input.repository_name, ctx)?;
        let (mutability, filters) = validate_mutability(
            &input.image_tag_mutability,
            input
                .image_tag_mutability_exclusion_filters
                .as_deref()
                .unwrap_or(&[]),
        )?;
        let repo = &mut self.repositories[index];
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
}

fn filters_json(filters: &[ExclusionFilter]) -> Value {
    Value::Array(
        filters
            .iter()
            .map(|f| json!({ "filterType": f.filter_type, "filter": f.filter }))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_is_a_glob_not_a_regex() {
        assert!(wildcard_match("dev-*", "dev-1"));
        assert!(wildcard_match("dev-*", "dev-"));
        assert!(!wildcard_match("dev-*", "devX1"));
        assert!(!wildcard_match("latest", "latest-foo"));
        assert!(wildcard_match("*-rc*", "1.2-rc3"));
        assert!(wildcard_match("*", ""));
        assert!(!wildcard_match("a.b", "axb"));
    }

    #[test]
    fn repository_names() {
        assert!(valid_repository_name("example"));
        assert!(valid_repository_name("team/app-1"));
        assert!(!valid_repository_name("Example"));
        assert!(!valid_repository_name("a"));
        assert!(!valid_repository_name("x//y"));
        assert!(!valid_repository_name("-x"));
    }

    #[test]
    fn mutability_validation() {
        let f = |s: &str| ExclusionFilter {
            filter_type: "WILDCARD".into(),
            filter: s.into(),
        };
        assert!(validate_mutability("MUTABLE", &[f("a")]).is_err());
        assert!(validate_mutability("MUTABLE_WITH_EXCLUSION", &[]).is_err());
        assert!(validate_mutability("IMMUTABLE_WITH_EXCLUSION", &vec![f("a"); 6]).is_err());
        assert!(validate_mutability("IMMUTABLE_WITH_EXCLUSION", &[f("a b")]).is_err());
        assert!(validate_mutability("IMMUTABLE_WITH_EXCLUSION", &[f("prod"), f("dev-*")]).is_ok());
        assert!(validate_mutability("SOMETIMES", &[]).is_err());
    }
}
