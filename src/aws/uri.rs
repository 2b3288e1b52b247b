//! ECR image URIs: `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>[:tag][@digest]`.

use super::config::check_region_name;
use super::image::Digest;

/// A parsed ECR image URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrImageUri {
    /// The registry's 12-digit account id.
    pub registry_id: String,
    /// The region in the host name.
    pub region: String,
    /// The repository name (may contain `/`).
    pub repository: String,
    /// The tag, when the URI has one.
    pub tag: Option<String>,
    /// The digest, when the URI has one.
    pub digest: Option<Digest>,
}

/// Why a text is not an ECR image URI. Each message says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    /// Nothing to parse.
    #[error("the image URI is empty")]
    Empty,
    /// No `/` between registry host and repository.
    #[error(
        "{0:?} has no registry host: expected <account>.dkr.ecr.<region>.amazonaws.com/<repository>"
    )]
    NoRegistry(String),
    /// The host is not an ECR registry host.
    #[error(
        "registry host {0:?} is not an ECR registry (<12-digit account>.dkr.ecr.<region>.amazonaws.com)"
    )]
    NotEcrHost(String),
    /// The account id is not 12 digits.
    #[error("registry account id {0:?} must be 12 digits")]
    BadAccount(String),
    /// The region is not shaped like one.
    #[error("{0:?} is not an AWS region name")]
    BadRegion(String),
    /// The repository name breaks ECR's naming rules.
    #[error(
        "repository name {0:?} is invalid: 2-256 characters, lowercase letters, digits and . _ - / separators"
    )]
    BadRepository(String),
    /// The tag breaks ECR's tag rules.
    #[error(
        "tag {0:?} is invalid: 1-128 characters, letters, digits, _ . - (not starting with . or -)"
    )]
    BadTag(String),
    /// The digest is not a sha256 digest.
    #[error("digest {0:?} is invalid: expected sha256: followed by 64 lowercase hex digits")]
    BadDigest(String),
}

impl EcrImageUri {
    /// Parses an ECR image URI.
    pub fn parse(text: &str) -> Result<EcrImageUri, UriError> {
        if text.is_empty() {
            return Err(UriError::Empty);
        }
        let (host, path) = text
            .split_once('/')
            .ok_or_else(|| UriError::NoRegistry(text.to_owned()))?;
        let (registry_id, region) = parse_host(host)?;
        let (rest, digest) = match path.split_once('@') {
            Some((rest, digest)) => {
                let parsed =
                    Digest::parse(digest).map_err(|_| UriError::BadDigest(digest.to_owned()))?;
                (rest, Some(parsed))
            }
            None => (path, None),
        };
        // A ':' after the last '/' starts the tag (a repository name cannot contain ':').
        let (repository, tag) = match rest.rsplit_once(':') {
            Some((repository, tag)) => {
                if !is_valid_tag(tag) {
                    return Err(UriError::BadTag(tag.to_owned()));
                }
                (repository, Some(tag.to_owned()))
            }
            None => (rest, None),
        };
        if !is_valid_repository(repository) {
            return Err(UriError::BadRepository(repository.to_owned()));
        }
        Ok(EcrImageUri {
            registry_id,
            region,
            repository: repository.to_owned(),
            tag,
            digest,
        })
    }
}

/// Splits `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]` into account and region.
fn parse_host(host: &str) -> Result<(String, String), UriError> {
    let not_ecr = || UriError::NotEcrHost(host.to_owned());
    let inner = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))
        .ok_or_else(not_ecr)?;
    let (account, rest) = inner.split_once('.').ok_or_else(not_ecr)?;
    let region = rest
        .strip_prefix("dkr.ecr.")
        .or_else(|| rest.strip_prefix("dkr.ecr-fips."))
        .ok_or_else(not_ecr)?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UriError::BadAccount(account.to_owned()));
    }
    if check_region_name(region).is_err() {
        return Err(UriError::BadRegion(region.to_owned()));
    }
    Ok((account.to_owned(), region.to_owned()))
}

/// ECR repository names: 2-256 characters; components of lowercase letters and digits joined by
/// single `.`, `_` or `-`, separated by `/`.
pub fn is_valid_repository(name: &str) -> bool {
    (2..=256).contains(&name.len())
        && name.split('/').all(|component| {
            !component.is_empty()
                && component
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
                && component
                    .as_bytes()
                    .first()
                    .is_some_and(u8::is_ascii_alphanumeric)
                && component
                    .as_bytes()
                    .last()
                    .is_some_and(u8::is_ascii_alphanumeric)
        })
}

/// Image tags: 1-128 characters of letters, digits, `_`, `.`, `-`, not starting with `.` or `-`.
pub fn is_valid_tag(tag: &str) -> bool {
    (1..=128).contains(&tag.len())
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
        && !tag.starts_with(['.', '-'])
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

    #[test]
    fn parses_every_shape() {
        let digest = format!("sha256:{}", "0f".repeat(32));
        let uri = EcrImageUri::parse(&format!("{HOST}/team/app:hash_2@{digest}")).expect("valid");
        assert_eq!(uri.registry_id, "123456789012");
        assert_eq!(uri.region, "eu-west-1");
        assert_eq!(uri.repository, "team/app");
        assert_eq!(uri.tag.as_deref(), Some("hash_2"));
        assert_eq!(
            uri.digest.as_ref().map(Digest::as_str),
            Some(digest.as_str())
        );
        let bare = EcrImageUri::parse(&format!("{HOST}/app")).expect("valid");
        assert_eq!((bare.tag, bare.digest), (None, None));
        let cn = EcrImageUri::parse("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:v1")
            .expect("valid");
        assert_eq!(cn.region, "cn-north-1");
        let fips = EcrImageUri::parse("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app")
            .expect("valid");
        assert_eq!(fips.region, "us-gov-west-1");
    }

    #[test]
    fn refuses_each_malformation_with_its_reason() {
        assert_eq!(EcrImageUri::parse(""), Err(UriError::Empty));
        assert!(matches!(
            EcrImageUri::parse("app:v1"),
            Err(UriError::NoRegistry(_))
        ));
        assert!(matches!(
            EcrImageUri::parse("docker.io/library/nginx"),
            Err(UriError::NotEcrHost(_))
        ));
        assert!(matches!(
            EcrImageUri::parse("12345.dkr.ecr.eu-west-1.amazonaws.com/app"),
            Err(UriError::BadAccount(_))
        ));
        assert!(matches!(
            EcrImageUri::parse("123456789012.dkr.ecr.EU.amazonaws.com/app"),
            Err(UriError::BadRegion(_))
        ));
        assert!(matches!(
            EcrImageUri::parse(&format!("{HOST}/App")),
            Err(UriError::BadRepository(_))
        ));
        assert!(matches!(
            EcrImageUri::parse(&format!("{HOST}/a//b")),
            Err(UriError::BadRepository(_))
        ));
        assert!(matches!(
            EcrImageUri::parse(&format!("{HOST}/app:")),
            Err(UriError::BadTag(_))
        ));
        assert!(matches!(
            EcrImageUri::parse(&format!("{HOST}/app:{}", "x".repeat(129))),
            Err(UriError::BadTag(_))
        ));
        assert!(matches!(
            EcrImageUri::parse(&format!("{HOST}/app@sha256:xyz")),
            Err(UriError::BadDigest(_))
        ));
    }
}
