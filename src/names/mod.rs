//! The naming rules of AWS things this provider takes from users: account ids, regions, ECR
//! repositories, tags and digests, ECS cluster and service references (a name or an ARN), IAM
//! role ARNs and session names. Each rule is written once, here, and used by the provider
//! block, the schemas' validators ([`validators`]), `parse_image_uri` and the domain
//! (`aws::uri`, `aws::image::Digest`).
//!
//! The rules are shapes only: whether a region or a repository exists is for AWS to say.
//! Plain Rust, no Terraform types (the validators adapt the rules to schemas).

pub mod validators;

use std::fmt;

/// A naming rule: what it accepts, in words, and the check.
#[derive(Clone, Copy)]
pub struct Rule {
    /// What an accepted value is, as a noun phrase that completes "must be …", e.g. "a 12-digit
    /// AWS account id".
    pub expected: &'static str,
    /// Says what is wrong with a value (a phrase about the value: "has 5 characters"), or
    /// accepts it.
    problem: fn(&str) -> Option<String>,
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rule")
            .field("expected", &self.expected)
            .finish_non_exhaustive()
    }
}

impl Rule {
    /// Checks `value` against the rule.
    pub fn check(&self, value: &str) -> Result<(), Invalid> {
        match (self.problem)(value) {
            None => Ok(()),
            Some(problem) => Err(Invalid {
                value: value.to_owned(),
                expected: self.expected,
                problem,
            }),
        }
    }

    /// True when `value` follows the rule.
    pub fn accepts(&self, value: &str) -> bool {
        (self.problem)(value).is_none()
    }
}

/// A value that breaks a naming rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} {problem}; expected {expected}")]
pub struct Invalid {
    /// The value as given.
    pub value: String,
    /// What the rule accepts (see [`Rule::expected`]).
    pub expected: &'static str,
    /// What is wrong with the value, e.g. "has 5 characters".
    pub problem: String,
}

impl Invalid {
    /// The value and its problem as one clause: `"12345" has 5 characters`.
    pub fn clause(&self) -> String {
        format!("{:?} {}", self.value, self.problem)
    }
}

/// A 12-digit AWS account id (also an ECR registry id).
pub const ACCOUNT_ID: Rule = Rule {
    expected: "a 12-digit AWS account id",
    problem: account_id_problem,
};

/// An AWS region name: lowercase words joined by dashes, a two-letter first word, a number
/// last (`eu-west-1`, `us-gov-west-1`, `cn-north-1`, `us-isob-east-1`). Existence is not
/// checked: new regions appear all the time.
pub const REGION: Rule = Rule {
    expected: "an AWS region name such as eu-west-1",
    problem: region_problem,
};

/// An ECR repository name: 2 to 256 characters; components of lowercase letters and digits
/// joined by `.`, `_` or `-`, separated by `/`.
pub const REPOSITORY: Rule = Rule {
    expected: "an ECR repository name (2 to 256 characters: lowercase letters, digits and . _ - between them, in components separated by /)",
    problem: repository_problem,
};

/// An image tag: 1 to 128 letters, digits, `_`, `.` or `-`, not starting with `.` or `-`.
pub const TAG: Rule = Rule {
    expected: "an image tag (1 to 128 letters, digits, _ . or -, not starting with . or -)",
    problem: tag_problem,
};

/// An image digest: `sha256:` followed by 64 lowercase hex digits.
pub const DIGEST: Rule = Rule {
    expected: "an image digest (sha256: followed by 64 lowercase hex digits)",
    problem: digest_problem,
};

/// An ECS cluster: its name (1 to 255 letters, digits, `-` and `_`) or its ARN
/// (`arn:aws:ecs:REGION:ACCOUNT:cluster/NAME`).
pub const CLUSTER: Rule = Rule {
    expected: "an ECS cluster name (1 to 255 letters, digits, - and _) or cluster ARN",
    problem: cluster_problem,
};

/// An ECS service: its name (1 to 255 letters, digits, `-` and `_`) or its ARN
/// (`arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME`, or the older `service/NAME`).
pub const SERVICE: Rule = Rule {
    expected: "an ECS service name (1 to 255 letters, digits, - and _) or service ARN",
    problem: service_problem,
};

/// The name of an image in a `tagdeploy_release` (a key of `images`): 1 to 64 letters, digits,
/// `_`, `.` or `-`, starting with a letter or digit, so that it reads plainly in errors and
/// in the import ID (`prod:api=api,worker=team/worker`).
pub const IMAGE_NAME: Rule = Rule {
    expected: "an image name (1 to 64 letters, digits, _ . or -, starting with a letter or digit)",
    problem: image_name_problem,
};

/// An IAM role ARN: `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`.
pub const ROLE_ARN: Rule = Rule {
    expected: "an IAM role ARN such as arn:aws:iam::123456789012:role/deploy",
    problem: role_arn_problem,
};

/// An STS role session name: 2 to 64 letters, digits and `+=,.@_-`.
pub const SESSION_NAME: Rule = Rule {
    expected: "a session name of 2 to 64 letters, digits and +=,.@_-",
    problem: session_name_problem,
};

fn length(s: &str) -> String {
    match s.chars().count() {
        1 => "has 1 character".to_owned(),
        n => format!("has {n} characters"),
    }
}

fn account_id_problem(s: &str) -> Option<String> {
    if s.len() != 12 {
        Some(length(s))
    } else if !s.bytes().all(|b| b.is_ascii_digit()) {
        Some("has characters other than digits".to_owned())
    } else {
        None
    }
}

fn region_problem(s: &str) -> Option<String> {
    let parts: Vec<&str> = s.split('-').collect();
    let words = &parts[..parts.len() - 1];
    let ok = parts.len() >= 3
        && parts[0].len() == 2
        && words
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    (!ok).then(|| "is not shaped like a region name".to_owned())
}

fn repository_problem(s: &str) -> Option<String> {
    if !(2..=256).contains(&s.len()) {
        return Some(length(s));
    }
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        return Some("has uppercase letters".to_owned());
    }
    for component in s.split('/') {
        if component.is_empty() {
            return Some("has an empty component between slashes".to_owned());
        }
        if let Some(c) = component
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(*c)))
        {
            return Some(format!("has the character {c:?}"));
        }
        let alphanumeric = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
        if !alphanumeric(component.as_bytes().first()) || !alphanumeric(component.as_bytes().last())
        {
            return Some(format!(
                "has the component {component:?}, which does not start and end with a letter or digit"
            ));
        }
    }
    None
}

fn tag_problem(s: &str) -> Option<String> {
    if !(1..=128).contains(&s.len()) {
        Some(length(s))
    } else if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_.-".contains(*c)))
    {
        Some(format!("has the character {c:?}"))
    } else if s.starts_with(['.', '-']) {
        Some("starts with . or -".to_owned())
    } else {
        None
    }
}

fn image_name_problem(s: &str) -> Option<String> {
    if !(1..=64).contains(&s.len()) {
        Some(length(s))
    } else if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_.-".contains(*c)))
    {
        Some(format!("has the character {c:?}"))
    } else if s.starts_with(['.', '-', '_']) {
        Some("starts with _ . or -".to_owned())
    } else {
        None
    }
}

fn digest_problem(s: &str) -> Option<String> {
    let Some(hex) = s.strip_prefix("sha256:") else {
        return Some("does not start with sha256:".to_owned());
    };
    if hex.len() != 64 {
        Some(format!("has {} hex digits after sha256:", hex.len()))
    } else if !hex
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Some("has characters other than lowercase hex digits after sha256:".to_owned())
    } else {
        None
    }
}

/// ECS cluster and service names: 1 to 255 letters, digits, `-` and `_`.
fn ecs_name_problem(s: &str) -> Option<String> {
    if !(1..=255).contains(&s.len()) {
        Some(length(s))
    } else {
        s.chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "-_".contains(*c)))
            .map(|c| format!("has the character {c:?}"))
    }
}

/// The parts of an ARN: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
struct Arn<'a> {
    partition: &'a str,
    service: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

fn arn(s: &str) -> Result<Arn<'_>, String> {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else {
        return Err("does not have the six colon-separated ARN fields".to_owned());
    };
    if prefix != "arn" || !partition.starts_with("aws") {
        return Err("does not start with arn:aws".to_owned());
    }
    Ok(Arn {
        partition,
        service,
        region,
        account,
        resource,
    })
}

/// An ECS ARN of `kind` (`cluster` or `service`) whose resource path has `names` names.
fn ecs_arn_problem(s: &str, kind: &str, names: &[usize]) -> Option<String> {
    let arn = match arn(s) {
        Ok(arn) => arn,
        Err(problem) => return Some(problem),
    };
    if arn.service != "ecs" {
        return Some(format!("is not an ECS ARN (arn:{}:ecs:…)", arn.partition));
    }
    if let Some(problem) = region_problem(arn.region) {
        return Some(format!("has the region {:?}, which {problem}", arn.region));
    }
    if let Some(problem) = account_id_problem(arn.account) {
        return Some(format!(
            "has the account id {:?}, which {problem}",
            arn.account
        ));
    }
    let Some(path) = arn
        .resource
        .strip_prefix(kind)
        .and_then(|r| r.strip_prefix('/'))
    else {
        return Some(format!("is not a {kind} ARN ({kind}/NAME)"));
    };
    let parts: Vec<&str> = path.split('/').collect();
    if !names.contains(&parts.len()) {
        return Some(format!(
            "has the {kind} path {path:?}, which has {} parts",
            parts.len()
        ));
    }
    parts.iter().find_map(|name| {
        ecs_name_problem(name).map(|p| format!("has the name {name:?}, which {p}"))
    })
}

fn cluster_problem(s: &str) -> Option<String> {
    if s.starts_with("arn:") {
        ecs_arn_problem(s, "cluster", &[1])
    } else {
        ecs_name_problem(s)
    }
}

fn service_problem(s: &str) -> Option<String> {
    if s.starts_with("arn:") {
        // `service/CLUSTER/NAME`, or `service/NAME` for services created before 2021's long ARNs.
        ecs_arn_problem(s, "service", &[1, 2])
    } else {
        ecs_name_problem(s)
    }
}

fn role_arn_problem(s: &str) -> Option<String> {
    let arn = match arn(s) {
        Ok(arn) => arn,
        Err(problem) => return Some(problem),
    };
    if arn.service != "iam" || !arn.region.is_empty() {
        return Some("is not an IAM ARN (arn:aws:iam::ACCOUNT:role/NAME)".to_owned());
    }
    if let Some(problem) = account_id_problem(arn.account) {
        return Some(format!(
            "has the account id {:?}, which {problem}",
            arn.account
        ));
    }
    match arn.resource.strip_prefix("role/") {
        Some(name) if !name.is_empty() && !name.ends_with('/') => None,
        _ => Some(format!("names {:?}, not role/NAME", arn.resource)),
    }
}

fn session_name_problem(s: &str) -> Option<String> {
    if !(2..=64).contains(&s.len()) {
        Some(length(s))
    } else {
        s.chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "+=,.@_-".contains(*c)))
            .map(|c| format!("has the character {c:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rule's name, the rule, values it must accept, and values it must refuse, each with a
    /// word its reason must contain.
    type Case = (&'static str, Rule, Vec<String>, Vec<(String, &'static str)>);

    /// Every rule with its cases.
    fn table() -> Vec<Case> {
        let hex = "ab".repeat(32);
        let s = |v: &str| v.to_owned();
        vec![
            (
                "account id",
                ACCOUNT_ID,
                vec![s("123456789012")],
                vec![
                    (s("12345"), "5 characters"),
                    (s("12345678901x"), "digits"),
                    (s(""), "0 characters"),
                ],
            ),
            (
                "image name",
                IMAGE_NAME,
                vec![s("api"), s("web-2"), s("Worker_1.x")],
                vec![
                    (s(""), "0 characters"),
                    (s("a=b"), "character '='"),
                    (s("_api"), "starts with"),
                    (s(&"n".repeat(65)), "65 characters"),
                ],
            ),
            (
                "region",
                REGION,
                vec![
                    s("eu-west-1"),
                    s("us-gov-west-1"),
                    s("cn-north-1"),
                    s("us-isob-east-1"),
                    s("ap-southeast-3"),
                ],
                vec![
                    (s(""), "region"),
                    (s("eu"), "region"),
                    (s("EU-west-1"), "region"),
                    (s("eu-west"), "region"),
                    (s("eu-west-x"), "region"),
                    (s("europe-west-1"), "region"),
                    (s("eu--1"), "region"),
                    (s("mars"), "region"),
                ],
            ),
            (
                "repository",
                REPOSITORY,
                vec![
                    s("example"),
                    s("team/app"),
                    s("a.b_c-d/e1"),
                    "a".repeat(256),
                ],
                vec![
                    (s("a"), "1 character"),
                    ("a".repeat(257), "257 characters"),
                    (s("App"), "uppercase"),
                    (s("a//b"), "empty component"),
                    (s("a b"), "' '"),
                    (s("-app"), "start and end"),
                    (s("app_"), "start and end"),
                ],
            ),
            (
                "tag",
                TAG,
                vec![s("prod"), s("hash_2"), s("V1.2-rc"), "t".repeat(128)],
                vec![
                    (s(""), "0 characters"),
                    ("t".repeat(129), "129 characters"),
                    (s("prod tag"), "' '"),
                    (s(".hidden"), "starts with"),
                    (s("-bad"), "starts with"),
                ],
            ),
            (
                "digest",
                DIGEST,
                vec![format!("sha256:{hex}")],
                vec![
                    (format!("sha512:{hex}"), "sha256:"),
                    (s("sha256:abc"), "3 hex digits"),
                    (format!("sha256:{}", hex.to_uppercase()), "lowercase hex"),
                    (s(""), "sha256:"),
                ],
            ),
            (
                "cluster",
                CLUSTER,
                vec![
                    s("example"),
                    s("Prod_Cluster-1"),
                    s("arn:aws:ecs:eu-west-1:123456789012:cluster/example"),
                ],
                vec![
                    (s(""), "0 characters"),
                    ("c".repeat(256), "256 characters"),
                    (s("my.cluster"), "'.'"),
                    (
                        s("arn:aws:ecs:eu-west-1:123456789012:service/example"),
                        "cluster ARN",
                    ),
                    (
                        s("arn:aws:ecs:eu-west-1:12345:cluster/example"),
                        "account id",
                    ),
                    (s("arn:aws:s3:::bucket"), "not an ECS ARN"),
                    (
                        s("arn:aws:ecs:eu-west-1:123456789012:cluster/a/b"),
                        "2 parts",
                    ),
                ],
            ),
            (
                "service",
                SERVICE,
                vec![
                    s("example"),
                    s("arn:aws:ecs:us-east-1:123456789012:service/example/api"),
                    s("arn:aws:ecs:us-east-1:123456789012:service/api"),
                ],
                vec![
                    (s(""), "0 characters"),
                    (s("api/v2"), "'/'"),
                    (
                        s("arn:aws:ecs:us-east-1:123456789012:task/x"),
                        "service ARN",
                    ),
                    (s("arn:aws:ecs:mars:123456789012:service/x"), "region"),
                    (
                        s("arn:aws:ecs:us-east-1:123456789012:service/c/x/y"),
                        "3 parts",
                    ),
                    (s("arn:aws:ecs:us-east-1:123456789012:service/c/a b"), "' '"),
                ],
            ),
            (
                "role arn",
                ROLE_ARN,
                vec![
                    s("arn:aws:iam::123456789012:role/deploy"),
                    s("arn:aws-cn:iam::123456789012:role/path/deploy"),
                ],
                vec![
                    (s("arn:aws:iam::12345:role/deploy"), "account id"),
                    (s("arn:aws:s3:::bucket"), "IAM"),
                    (s("arn:aws:iam::123456789012:user/me"), "role/NAME"),
                    (s("arn:aws:iam::123456789012:role/"), "role/NAME"),
                    (s("deploy"), "six"),
                    (s("urn:aws:iam::123456789012:role/x"), "arn:aws"),
                ],
            ),
            (
                "session name",
                SESSION_NAME,
                vec![s("terraform"), s("ci+deploy@example.com")],
                vec![(s("a"), "1 character"), (s("two words"), "' '")],
            ),
        ]
    }

    #[test]
    fn every_rule_accepts_and_refuses_with_a_reason() {
        for (name, rule, good, bad) in table() {
            for value in good {
                assert_eq!(rule.check(&value), Ok(()), "{name}: {value:?}");
                assert!(rule.accepts(&value));
            }
            for (value, word) in bad {
                let err = rule.check(&value).expect_err(&format!("{name}: {value:?}"));
                assert!(
                    err.problem.contains(word),
                    "{name}: {value:?}: {:?} should say {word:?}",
                    err.problem
                );
                assert_eq!(err.expected, rule.expected);
                assert!(!rule.accepts(&value));
            }
        }
    }

    #[test]
    fn an_invalid_value_reads_as_one_sentence() {
        let err = ACCOUNT_ID.check("12345").expect_err("too short");
        assert_eq!(
            err.to_string(),
            "\"12345\" has 5 characters; expected a 12-digit AWS account id"
        );
        assert_eq!(err.clause(), "\"12345\" has 5 characters");
    }
}
