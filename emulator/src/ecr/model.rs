//! The ECR data model: repositories, images keyed by digest, tags and tag mutability, with the
//! lookups every operation shares. No wire encoding here (see [`super::wire`]) and no operation
//! (see the family modules).

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::protocol::{AwsError, RequestContext};
use crate::tags::Tags;
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
    /// The mode a wire name stands for.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "MUTABLE" => Some(Self::Mutable),
            "IMMUTABLE" => Some(Self::Immutable),
            "MUTABLE_WITH_EXCLUSION" => Some(Self::MutableWithExclusion),
            "IMMUTABLE_WITH_EXCLUSION" => Some(Self::ImmutableWithExclusion),
            _ => None,
        }
    }

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mutable => "MUTABLE",
            Self::Immutable => "IMMUTABLE",
            Self::MutableWithExclusion => "MUTABLE_WITH_EXCLUSION",
            Self::ImmutableWithExclusion => "IMMUTABLE_WITH_EXCLUSION",
        }
    }

    /// Whether this mode takes exclusion filters.
    pub fn has_exclusions(self) -> bool {
        matches!(
            self,
            Mutability::MutableWithExclusion | Mutability::ImmutableWithExclusion
        )
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
    /// Alarms that go into ALARM while a task runs it (world files can say so).
    pub alarms: Vec<String>,
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
    /// Resource tags.
    pub tags: Tags,
    /// `imageScanningConfiguration.scanOnPush` (recorded and echoed; no scan runs).
    pub scan_on_push: bool,
    /// `encryptionConfiguration`: `AES256`, or `KMS` with an optional key.
    pub encryption: Encryption,
    /// Blobs (layers, image configs) pushed through the registry API or the layer-upload calls,
    /// by digest.
    pub blobs: BTreeMap<String, Bytes>,
    /// Whether PutImage refuses a manifest whose blobs were never uploaded
    /// (`LayersNotFoundException`). Off for repositories a world file seeds: their generated
    /// images name blobs that exist nowhere.
    pub check_layers: bool,
}

/// A repository's `encryptionConfiguration`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Encryption {
    /// `AES256` (the default), `KMS` or `KMS_DSSE`.
    pub encryption_type: String,
    /// `kmsKey`, for the KMS types.
    pub kms_key: Option<String>,
}

/// A blob upload in progress (registry `POST …/blobs/uploads/`, ECR `InitiateLayerUpload`).
#[derive(Clone, Debug)]
pub struct Upload {
    /// Repository it belongs to.
    pub repository: String,
    /// Bytes received so far.
    pub data: Vec<u8>,
}

/// A registry password issued by GetAuthorizationToken.
#[derive(Clone, Debug)]
pub struct Token {
    /// The password (the user name is always `AWS`).
    pub password: String,
    /// Expiry, emulated epoch ms.
    pub expires_ms: i64,
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

    /// The index (manifest list) that lists `digest` as a child, if any.
    pub fn referencing_index(&self, digest: &str) -> Option<&Image> {
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
    /// Blob uploads in progress, by upload id.
    pub uploads: BTreeMap<String, Upload>,
    /// Registry passwords issued, oldest first.
    pub tokens: Vec<Token>,
    /// Uploads started so far (makes upload ids unique).
    pub upload_seq: u64,
}

/// `RepositoryNotFoundException`, worded as ECR words it.
pub fn repository_not_found(name: &str, registry: &str) -> AwsError {
    AwsError::client(
        "RepositoryNotFoundException",
        format!(
            "The repository with name '{name}' does not exist in the registry with id '{registry}'"
        ),
    )
}

impl Ecr {
    /// The repository called `name`.
    pub fn repository(&self, name: &str) -> Option<&Repository> {
        self.repositories.iter().find(|r| r.name == name)
    }

    /// The index of repository `name` in registry `registry_id` (default: the caller's account),
    /// or `RepositoryNotFoundException`. Only the account's own registry exists.
    pub fn index_of(
        &self,
        registry_id: Option<&str>,
        name: &str,
        ctx: &RequestContext,
    ) -> Result<usize, AwsError> {
        let registry = registry_id.unwrap_or(&ctx.account);
        if registry != ctx.account {
            return Err(repository_not_found(name, registry));
        }
        self.repositories
            .iter()
            .position(|r| r.name == name)
            .ok_or_else(|| repository_not_found(name, registry))
    }
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
}
