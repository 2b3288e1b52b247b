//! ECR's rules for creating repositories and pushing images: what CreateRepository, PutImage and
//! PutImageTagMutability refuse and how a push changes a repository. World loading and the API
//! share them, so a world file is refused exactly where AWS would refuse the same calls.

use crate::manifest::{self, ManifestInfo};
use crate::protocol::{AwsError, RequestContext};
use crate::world::ExclusionFilter;

use super::model::{Ecr, Encryption, Image, Mutability, Repository};

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
    let with_exclusion = m.has_exclusions();
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

/// Whether `name` follows ECR's repository naming rules.
pub fn valid_repository_name(name: &str) -> bool {
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

impl Ecr {
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
            tags: Default::default(),
            scan_on_push: false,
            encryption: Encryption {
                encryption_type: "AES256".to_string(),
                kms_key: None,
            },
            blobs: Default::default(),
            check_layers: true,
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
                alarms: Vec::new(),
            }),
        }
        Ok(digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
