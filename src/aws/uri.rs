//! ECR image URIs: `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>[:tag][@digest]`.
//! Each part follows its rule in [`crate::names`].

use crate::names::{self, Invalid};

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
    /// The account id breaks [`names::ACCOUNT_ID`].
    #[error("registry account id {0}")]
    BadAccount(Invalid),
    /// The region breaks [`names::REGION`].
    #[error("region {0}")]
    BadRegion(Invalid),
    /// The repository name breaks [`names::REPOSITORY`].
    #[error("repository {0}")]
    BadRepository(Invalid),
    /// The tag breaks [`names::TAG`].
    #[error("tag {0}")]
    BadTag(Invalid),
    /// The digest breaks [`names::DIGEST`].
    #[error("digest {0}")]
    BadDigest(Invalid),
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
            Some((rest, digest)) => (
                rest,
                Some(Digest::parse(digest).map_err(UriError::BadDigest)?),
            ),
            None => (path, None),
        };
        // A ':' after the last '/' starts the tag (a repository name cannot contain ':').
        let (repository, tag) = match rest.rsplit_once(':') {
            Some((repository, tag)) => {
                names::TAG.check(tag).map_err(UriError::BadTag)?;
                (repository, Some(tag.to_owned()))
            }
            None => (rest, None),
        };
        names::REPOSITORY
            .check(repository)
            .map_err(UriError::BadRepository)?;
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
    names::ACCOUNT_ID
        .check(account)
        .map_err(UriError::BadAccount)?;
    names::REGION.check(region).map_err(UriError::BadRegion)?;
    Ok((account.to_owned(), region.to_owned()))
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

    /// Whether an error is the expected kind.
    type Expect = fn(&UriError) -> bool;

    #[test]
    fn refuses_each_malformation_with_its_reason() {
        let cases: [(String, Expect); 10] = [
            (String::new(), |e| *e == UriError::Empty),
            ("app:v1".into(), |e| matches!(e, UriError::NoRegistry(_))),
            ("docker.io/library/nginx".into(), |e| {
                matches!(e, UriError::NotEcrHost(_))
            }),
            ("12345.dkr.ecr.eu-west-1.amazonaws.com/app".into(), |e| {
                matches!(e, UriError::BadAccount(_))
            }),
            ("123456789012.dkr.ecr.EU.amazonaws.com/app".into(), |e| {
                matches!(e, UriError::BadRegion(_))
            }),
            (format!("{HOST}/App"), |e| {
                matches!(e, UriError::BadRepository(_))
            }),
            (format!("{HOST}/a//b"), |e| {
                matches!(e, UriError::BadRepository(_))
            }),
            (format!("{HOST}/app:"), |e| matches!(e, UriError::BadTag(_))),
            (format!("{HOST}/app:{}", "x".repeat(129)), |e| {
                matches!(e, UriError::BadTag(_))
            }),
            (format!("{HOST}/app@sha256:xyz"), |e| {
                matches!(e, UriError::BadDigest(_))
            }),
        ];
        for (uri, expected) in cases {
            let err = EcrImageUri::parse(&uri).expect_err(&uri);
            assert!(expected(&err), "{uri}: {err:?}");
        }
    }

    #[test]
    fn a_bad_part_reads_as_its_rule() {
        let err = EcrImageUri::parse("12345.dkr.ecr.eu-west-1.amazonaws.com/app").expect_err("bad");
        assert_eq!(
            err.to_string(),
            "registry account id \"12345\" has 5 characters; expected a 12-digit AWS account id"
        );
    }
}
