//! Image identities: digests, repository references, tag selectors and tag mutability rules.

use std::fmt;

use crate::names::{self, Invalid};

/// An image digest, `sha256:` followed by 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

impl Digest {
    /// Parses a digest, refusing anything but `sha256:<64 lowercase hex>` ([`names::DIGEST`]).
    pub fn parse(text: &str) -> Result<Digest, Invalid> {
        names::DIGEST.check(text)?;
        Ok(Digest(text.to_owned()))
    }

    /// The digest as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A repository in a registry: by default the caller's own account's registry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepositoryRef {
    /// Repository name, e.g. `example` or `team/app`.
    pub name: String,
    /// The registry's account id, when it is not the caller's.
    pub registry_id: Option<String>,
}

impl RepositoryRef {
    /// The repository `name` in the caller's own registry.
    pub fn new(name: impl Into<String>) -> RepositoryRef {
        RepositoryRef {
            name: name.into(),
            registry_id: None,
        }
    }
}

impl fmt::Display for RepositoryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.registry_id {
            Some(id) => write!(f, "{} (registry {id})", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// How an image is picked out within a repository.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ImageSelector {
    /// By tag, e.g. `hash_2`.
    Tag(String),
    /// By digest.
    Digest(Digest),
}

impl fmt::Display for ImageSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageSelector::Tag(tag) => write!(f, "tag {tag}"),
            ImageSelector::Digest(digest) => write!(f, "digest {digest}"),
        }
    }
}

/// A repository's tag mutability setting (`imageTagMutability` and its exclusion filters).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagMutability {
    /// `MUTABLE`, `IMMUTABLE`, `MUTABLE_WITH_EXCLUSION` or `IMMUTABLE_WITH_EXCLUSION`.
    pub mode: String,
    /// Wildcard filters (`*` matches any run of characters) of the `*_WITH_EXCLUSION` modes.
    pub exclusion_filters: Vec<String>,
}

impl TagMutability {
    /// Whether ECR refuses to move `tag` once it is on an image.
    ///
    /// IMMUTABLE_WITH_EXCLUSION keeps tags matching a filter mutable; MUTABLE_WITH_EXCLUSION makes
    /// tags matching a filter immutable. Unknown future modes are treated as mutable so that ECR,
    /// not a guess of ours, has the last word.
    pub fn is_immutable(&self, tag: &str) -> bool {
        let excluded = self
            .exclusion_filters
            .iter()
            .any(|filter| wildcard_match(filter, tag));
        match self.mode.as_str() {
            "IMMUTABLE" => true,
            "IMMUTABLE_WITH_EXCLUSION" => !excluded,
            "MUTABLE_WITH_EXCLUSION" => excluded,
            _ => false,
        }
    }
}

/// Matches `text` against `pattern`, where `*` stands for any run of characters (possibly empty)
/// and every other character stands for itself.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    // Classic greedy matching with backtracking to the last star: linear in practice.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_accepts_only_lowercase_sha256() {
        let hex = "ab".repeat(32);
        assert!(Digest::parse(&format!("sha256:{hex}")).is_ok());
        assert!(Digest::parse(&format!("sha256:{}", hex.to_uppercase())).is_err());
        assert!(Digest::parse(&format!("sha512:{hex}")).is_err());
        assert!(Digest::parse("sha256:abc").is_err());
        assert!(Digest::parse("").is_err());
    }

    #[test]
    fn wildcard_matching() {
        assert!(wildcard_match("prod", "prod"));
        assert!(!wildcard_match("prod", "prod2"));
        assert!(wildcard_match("hash_*", "hash_2"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("*-release-*", "v1-release-2"));
        assert!(!wildcard_match("*-release-*", "v1-release"));
        assert!(wildcard_match("a*b*c", "aXbYbZc"));
        assert!(!wildcard_match("a*b*c", "aXbYbZ"));
    }

    #[test]
    fn mutability_modes() {
        let filters = |mode: &str| TagMutability {
            mode: mode.into(),
            exclusion_filters: vec!["prod".into(), "stage*".into()],
        };
        assert!(!filters("MUTABLE").is_immutable("prod"));
        assert!(
            TagMutability {
                mode: "IMMUTABLE".into(),
                exclusion_filters: vec![]
            }
            .is_immutable("prod")
        );
        assert!(!filters("IMMUTABLE_WITH_EXCLUSION").is_immutable("prod"));
        assert!(!filters("IMMUTABLE_WITH_EXCLUSION").is_immutable("stage-eu"));
        assert!(filters("IMMUTABLE_WITH_EXCLUSION").is_immutable("hash_1"));
        assert!(filters("MUTABLE_WITH_EXCLUSION").is_immutable("prod"));
        assert!(!filters("MUTABLE_WITH_EXCLUSION").is_immutable("hash_1"));
    }
}
