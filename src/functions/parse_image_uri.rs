//! `provider::tagdeploy::parse_image_uri(uri)`: splits an Amazon ECR image URI into its parts.
//!
//! `123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:hash_2@sha256:<64 hex>` →
//! `{registry_id = "123456789012", region = "eu-west-1", repository = "team/app",
//! tag = "hash_2", digest = "sha256:…"}`; `tag` and `digest` are null when absent.

use std::collections::BTreeMap;

use crate::aws::config::check_region_name;
use crate::tfplugin::framework::{Function, FunctionError, Parameter, Signature};
use crate::tfplugin::value::{Type, Value};

/// The function.
#[derive(Debug, Default, Clone, Copy)]
pub struct ParseImageUri;

/// The parts of an ECR image URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUri<'a> {
    /// The 12-digit AWS account id of the registry.
    pub registry_id: &'a str,
    /// The region of the registry.
    pub region: &'a str,
    /// The repository name (may contain `/`).
    pub repository: &'a str,
    /// The tag, if any.
    pub tag: Option<&'a str>,
    /// The `sha256:` digest, if any.
    pub digest: Option<&'a str>,
}

const FIELDS: [&str; 5] = ["registry_id", "region", "repository", "tag", "digest"];

fn result_type() -> Type {
    Type::Object(
        FIELDS
            .iter()
            .map(|f| ((*f).to_owned(), Type::String))
            .collect(),
    )
}

/// Parses an ECR image URI, saying what is wrong when it is not one.
pub fn parse(uri: &str) -> Result<ImageUri<'_>, String> {
    let (host, path) = uri
        .split_once('/')
        .ok_or_else(|| format!("{uri:?} has no repository: expected ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY[:TAG][@sha256:DIGEST]"))?;
    let labels: Vec<&str> = host.split('.').collect();
    let (registry_id, region) = match labels[..] {
        [
            account,
            "dkr",
            "ecr" | "ecr-fips",
            region,
            "amazonaws",
            "com",
        ]
        | [
            account,
            "dkr",
            "ecr" | "ecr-fips",
            region,
            "amazonaws",
            "com",
            "cn",
        ] => (account, region),
        _ => {
            return Err(format!(
                "the registry host {host:?} is not an ECR registry (ACCOUNT.dkr.ecr.REGION.amazonaws.com)"
            ));
        }
    };
    if registry_id.len() != 12 || !registry_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "the registry id {registry_id:?} is not a 12-digit AWS account id"
        ));
    }
    check_region_name(region).map_err(|e| format!("the registry region is invalid: {e}"))?;

    let (rest, digest) = match path.rsplit_once('@') {
        Some((rest, digest)) => (rest, Some(check_digest(digest)?)),
        None => (path, None),
    };
    // A repository name never contains ':', so the last ':' starts the tag.
    let (repository, tag) = match rest.rsplit_once(':') {
        Some((repo, tag)) => (repo, Some(check_tag(tag)?)),
        None => (rest, None),
    };
    check_repository(repository)?;
    Ok(ImageUri {
        registry_id,
        region,
        repository,
        tag,
        digest,
    })
}

fn check_digest(digest: &str) -> Result<&str, String> {
    let hex = digest
        .strip_prefix("sha256:")
        .ok_or_else(|| format!("the digest {digest:?} does not start with sha256:"))?;
    if hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(digest)
    } else {
        Err(format!(
            "the digest {digest:?} is not sha256: followed by 64 lowercase hex digits"
        ))
    }
}

/// ECR (Docker) tags: 1 to 128 characters of letters, digits, `_`, `.`, `-`, not starting with
/// `.` or `-`.
fn check_tag(tag: &str) -> Result<&str, String> {
    let valid_char = |b: u8| b.is_ascii_alphanumeric() || b"_.-".contains(&b);
    match tag.as_bytes() {
        [] => Err("the tag after ':' is empty".to_owned()),
        _ if tag.len() > 128 => Err(format!(
            "the tag is {} characters long; ECR allows 128",
            tag.len()
        )),
        [first, ..] if !(first.is_ascii_alphanumeric() || *first == b'_') => Err(format!(
            "the tag {tag:?} must start with a letter, digit or '_'"
        )),
        bytes if !bytes.iter().all(|b| valid_char(*b)) => Err(format!(
            "the tag {tag:?} may contain only letters, digits, '_', '.' and '-'"
        )),
        _ => Ok(tag),
    }
}

/// ECR repository names: 2 to 256 characters; `/`-separated components of lowercase letters
/// and digits, with single `.`, `_` or `-` between them.
fn check_repository(repo: &str) -> Result<(), String> {
    if repo.len() < 2 || repo.len() > 256 {
        return Err(format!(
            "the repository name {repo:?} must be 2 to 256 characters long"
        ));
    }
    for component in repo.split('/') {
        let bytes = component.as_bytes();
        let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let ok = !bytes.is_empty()
            && bytes.first().is_some_and(alnum)
            && bytes.last().is_some_and(alnum)
            && bytes.windows(2).all(|w| alnum(&w[0]) || alnum(&w[1]))
            && bytes.iter().all(|b| alnum(b) || b"._-".contains(b));
        if !ok {
            return Err(format!(
                "the repository name {repo:?} is invalid: each '/'-separated part must be lowercase letters and digits, separated by single '.', '_' or '-'"
            ));
        }
    }
    Ok(())
}

impl Function for ParseImageUri {
    fn name(&self) -> &'static str {
        "parse_image_uri"
    }

    fn signature(&self) -> Signature {
        Signature {
            parameters: vec![Parameter::new(
                "uri",
                Type::String,
                "An Amazon ECR image URI: `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY[:TAG][@sha256:DIGEST]`.",
            )],
            variadic: None,
            returns: result_type(),
            summary: "Splits an Amazon ECR image URI into its parts.".to_owned(),
            description: "Returns an object with `registry_id`, `region`, `repository`, `tag` and `digest` (null when the URI has no tag or no digest). Fails, naming the problem, when the URI is not an ECR image URI.".to_owned(),
        }
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let uri = args
            .first()
            .and_then(Value::as_str)
            .ok_or_else(|| FunctionError::argument(0, "uri must be a string"))?;
        let parts = parse(uri)
            .map_err(|e| FunctionError::argument(0, format!("Invalid ECR image URI: {e}")))?;
        let opt = |s: Option<&str>| s.map_or(Value::Null, Value::string);
        let fields: BTreeMap<String, Value> = [
            ("registry_id", Value::string(parts.registry_id)),
            ("region", Value::string(parts.region)),
            ("repository", Value::string(parts.repository)),
            ("tag", opt(parts.tag)),
            ("digest", opt(parts.digest)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        Ok(Value::Map(fields))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    const DIGEST: &str = "sha256:4fe8a3b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9";

    #[test]
    fn tag_digest_both_and_neither() {
        let p = parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:hash_2").unwrap();
        assert_eq!(
            (p.registry_id, p.region, p.repository, p.tag, p.digest),
            ("123456789012", "eu-west-1", "app", Some("hash_2"), None)
        );
        let uri = format!("{HOST}/team/web-app@{DIGEST}");
        let p = parse(&uri).unwrap();
        assert_eq!(
            (p.repository, p.tag, p.digest),
            ("team/web-app", None, Some(DIGEST))
        );
        let uri = format!("{HOST}/a.b_c/d-e:v1.2.3@{DIGEST}");
        let p = parse(&uri).unwrap();
        assert_eq!(
            (p.repository, p.tag, p.digest),
            ("a.b_c/d-e", Some("v1.2.3"), Some(DIGEST))
        );
        let plain = format!("{HOST}/app");
        let p = parse(&plain).unwrap();
        assert_eq!((p.tag, p.digest), (None, None));
    }

    #[test]
    fn china_and_fips_hosts() {
        assert_eq!(
            parse("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app")
                .unwrap()
                .region,
            "cn-north-1"
        );
        assert_eq!(
            parse("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/app")
                .unwrap()
                .region,
            "us-east-1"
        );
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let cases = [
            ("docker.io/library/nginx:latest", "not an ECR registry"),
            ("12345.dkr.ecr.eu-west-1.amazonaws.com/app", "12-digit"),
            ("123456789012.dkr.ecr.mars.amazonaws.com/app", "region"),
            (HOST, "no repository"),
            (
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/App",
                "lowercase",
            ),
            (
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/a//b",
                "lowercase",
            ),
            ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:", "empty"),
            (
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:-x",
                "must start",
            ),
            (
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:ABC",
                "64 lowercase hex",
            ),
            (
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@md5:00",
                "sha256:",
            ),
        ];
        for (uri, expected) in cases {
            let err = parse(uri).unwrap_err();
            assert!(err.contains(expected), "{uri}: {err}");
        }
        let long_tag = format!("{HOST}/app:{}", "a".repeat(129));
        assert!(parse(&long_tag).unwrap_err().contains("128"));
        assert!(parse(&format!("{HOST}/app:{}", "a".repeat(128))).is_ok());
    }

    #[test]
    fn call_returns_every_field_and_errors_name_the_argument() {
        let v = ParseImageUri
            .call(&[Value::string(format!("{HOST}/app:prod"))])
            .unwrap();
        assert_eq!(v.attr("tag"), &Value::string("prod"));
        assert!(v.attr("digest").is_null());
        let Value::Map(fields) = &v else {
            panic!("not an object")
        };
        assert_eq!(fields.len(), 5);
        let err = ParseImageUri.call(&[Value::string("nope")]).unwrap_err();
        assert_eq!(err.argument, Some(0));
        assert!(err.text.starts_with("Invalid ECR image URI"));
    }
}
