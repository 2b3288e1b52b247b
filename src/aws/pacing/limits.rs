//! AWS's request rate limits as the provider mirrors them: which bucket each operation draws
//! from, and the bucket's burst and refill rate. AWS's published defaults unless the provider
//! block says otherwise (an account with raised quotas).
//!
//! Sources: the ECS API reference page "Request throttling for the Amazon ECS API" (token
//! buckets per category of actions, per account and region) and the ECR user guide page
//! "Amazon ECR service quotas" (a rate per second for each API action, mirrored as a bucket of
//! that many tokens refilled at that rate). Where AWS publishes nothing (ECR DescribeImages,
//! DescribeRepositories), 10 per second, the lowest published ECR API rate; the emulator makes
//! the same choice, and a test checks the two tables agree.

use std::collections::BTreeMap;
use std::fmt;

use super::Service;

/// A bucket's figures (finite and positive: [`Limits::with`] refuses anything else, which is
/// why they can be `Eq`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Calls that may go at once when the bucket is full (its maximum capacity).
    pub burst: f64,
    /// Tokens the bucket gets back per second (the sustained rate).
    pub per_second: f64,
}

impl Eq for Limit {}

/// One bucket of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    /// `ecs:<category>` or `ecr:<Operation>`, as in the provider block and the docs.
    pub name: &'static str,
    /// The service.
    pub service: Service,
    /// The operations that share it.
    pub operations: &'static [&'static str],
    /// Its figures.
    pub limit: Limit,
}

const fn bucket(
    name: &'static str,
    service: Service,
    operations: &'static [&'static str],
    burst: f64,
    per_second: f64,
) -> Bucket {
    Bucket {
        name,
        service,
        operations,
        limit: Limit { burst, per_second },
    }
}

/// The buckets of every operation the provider calls, or may call soon (service deployments),
/// with AWS's published figures (ECR DescribeImages and DescribeRepositories: our choice).
pub const PUBLISHED: &[Bucket] = &[
    bucket(
        "ecs:service-modify",
        Service::Ecs,
        &["CreateService", "DeleteService", "UpdateService"],
        50.0,
        5.0,
    ),
    bucket(
        "ecs:service-read",
        Service::Ecs,
        &["DescribeServices", "ListServices"],
        100.0,
        20.0,
    ),
    bucket(
        "ecs:cluster-resource-read",
        Service::Ecs,
        &[
            "DescribeContainerInstances",
            "DescribeTasks",
            "ListAttributes",
            "ListContainerInstances",
            "ListTasks",
        ],
        100.0,
        20.0,
    ),
    bucket(
        "ecs:service-deployment",
        Service::Ecs,
        &[
            "DescribeServiceDeployments",
            "ListServiceDeployments",
            // Not in AWS's table; we count them here, as the emulator does.
            "StopServiceDeployment",
            "ContinueServiceDeployment",
        ],
        50.0,
        20.0,
    ),
    bucket(
        "ecs:service-revision",
        Service::Ecs,
        &["DescribeServiceRevisions"],
        50.0,
        20.0,
    ),
    bucket(
        "ecs:task-definition-read",
        Service::Ecs,
        &[
            "DescribeTaskDefinition",
            "ListTaskDefinitions",
            "ListTaskDefinitionFamilies",
        ],
        50.0,
        20.0,
    ),
    bucket(
        "ecs:cluster-read",
        Service::Ecs,
        &["DescribeClusters", "ListClusters"],
        50.0,
        20.0,
    ),
    bucket("ecr:PutImage", Service::Ecr, &["PutImage"], 10.0, 10.0),
    bucket(
        "ecr:BatchGetImage",
        Service::Ecr,
        &["BatchGetImage"],
        2000.0,
        2000.0,
    ),
    bucket(
        "ecr:DescribeImages",
        Service::Ecr,
        &["DescribeImages"],
        10.0,
        10.0,
    ),
    bucket(
        "ecr:DescribeRepositories",
        Service::Ecr,
        &["DescribeRepositories"],
        10.0,
        10.0,
    ),
];

/// A provider-block setting that names no bucket, or has figures that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitsError {
    /// No bucket has this name.
    #[error("there is no rate-limit bucket named {name:?}; the buckets are: {known}")]
    UnknownBucket {
        /// The name given.
        name: String,
        /// Every bucket name, comma-separated.
        known: String,
    },
    /// A figure out of range.
    #[error("rate-limit bucket {name:?}: {reason}")]
    Figure {
        /// The bucket.
        name: String,
        /// What is wrong.
        reason: String,
    },
}

/// The table the provider paces by: [`PUBLISHED`] with the provider block's overrides.
#[derive(Clone, PartialEq, Eq)]
pub struct Limits {
    overrides: BTreeMap<&'static str, Limit>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::published()
    }
}

impl fmt::Debug for Limits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.overrides.iter()).finish()
    }
}

impl Limits {
    /// AWS's published figures.
    pub fn published() -> Limits {
        Limits {
            overrides: BTreeMap::new(),
        }
    }

    /// These limits with `limit` for the bucket called `name` (e.g. `ecs:service-modify` for an
    /// account whose UpdateService quota was raised).
    pub fn with(mut self, name: &str, limit: Limit) -> Result<Limits, LimitsError> {
        let figure = |reason: &str| LimitsError::Figure {
            name: name.to_owned(),
            reason: reason.to_owned(),
        };
        if !(limit.burst.is_finite() && limit.burst >= 1.0) {
            return Err(figure("burst must be at least 1"));
        }
        if !(limit.per_second.is_finite() && limit.per_second > 0.0) {
            return Err(figure("per_second must be more than 0"));
        }
        let bucket = PUBLISHED.iter().find(|b| b.name == name).ok_or_else(|| {
            LimitsError::UnknownBucket {
                name: name.to_owned(),
                known: PUBLISHED
                    .iter()
                    .map(|b| b.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })?;
        self.overrides.insert(bucket.name, limit);
        Ok(self)
    }

    /// Every bucket with the figures in force.
    pub fn buckets(&self) -> impl Iterator<Item = Bucket> + '_ {
        PUBLISHED.iter().map(|b| Bucket {
            limit: self.overrides.get(b.name).copied().unwrap_or(b.limit),
            ..b.clone()
        })
    }
}

/// The bucket `operation` of `service` draws from, by its position in [`PUBLISHED`].
pub fn bucket_index(service: Service, operation: &str) -> Option<usize> {
    PUBLISHED
        .iter()
        .position(|b| b.service == service && b.operations.contains(&operation))
}

#[cfg(test)]
mod tests {
    use tagdeploy_emulator::{AwsService, RateLimits};

    use super::*;

    #[test]
    fn the_published_figures_are_the_emulators() {
        let emulated = RateLimits::published();
        for bucket in PUBLISHED {
            let service = match bucket.service {
                Service::Ecr => AwsService::Ecr,
                Service::Ecs => AwsService::Ecs,
            };
            for operation in bucket.operations {
                let theirs = emulated
                    .bucket_of(service, operation)
                    .unwrap_or_else(|| panic!("the emulator limits {operation}"));
                assert_eq!(theirs.name, bucket.name, "{operation}");
                assert_eq!(
                    (theirs.burst, theirs.per_second),
                    (bucket.limit.burst, bucket.limit.per_second),
                    "{operation}"
                );
            }
        }
    }

    #[test]
    fn overrides_replace_figures_of_known_buckets_only() {
        let limits = Limits::published()
            .with(
                "ecs:service-modify",
                Limit {
                    burst: 100.0,
                    per_second: 10.0,
                },
            )
            .unwrap();
        let modify = limits
            .buckets()
            .find(|b| b.name == "ecs:service-modify")
            .unwrap();
        assert_eq!(modify.limit.per_second, 10.0);
        let read = limits
            .buckets()
            .find(|b| b.name == "ecs:service-read")
            .unwrap();
        assert_eq!(read.limit.per_second, 20.0);
        let err = Limits::published()
            .with(
                "ecs:updates",
                Limit {
                    burst: 1.0,
                    per_second: 1.0,
                },
            )
            .unwrap_err();
        assert!(err.to_string().contains("ecs:service-modify"), "{err}");
        for (burst, per_second) in [(0.5, 1.0), (1.0, 0.0), (f64::NAN, 1.0), (1.0, -2.0)] {
            assert!(matches!(
                Limits::published().with("ecr:PutImage", Limit { burst, per_second }),
                Err(LimitsError::Figure { .. })
            ));
        }
        assert_eq!(
            bucket_index(Service::Ecs, "UpdateService"),
            bucket_index(Service::Ecs, "CreateService")
        );
        assert_eq!(bucket_index(Service::Ecr, "UpdateService"), None);
    }

    /// Every AWS call of the provider, read off its source: each SDK request is sent inside
    /// `call::send` (which paces it), and each operation `call::send` names has a bucket here.
    /// A new call that bypasses the pacer, or an operation without a bucket, fails this test.
    #[test]
    fn every_call_the_provider_makes_is_paced() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![root];
        let mut operations = Vec::new();
        while let Some(path) = files.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).unwrap() {
                    files.push(entry.unwrap().path());
                }
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs")
                || path.ends_with("aws/call.rs")
                || path.ends_with("pacing/limits.rs")
            {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let where_ = path.display();
            let in_comment = |at: usize| {
                let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
                text[line_start..at].trim_start().starts_with("//")
            };
            for (at, _) in text.match_indices(".send()") {
                if in_comment(at) {
                    continue;
                }
                let before = &text[..at];
                let call = before.rfind("call::send(");
                assert!(
                    call.is_some_and(|c| !before[c..].contains(';')),
                    "{where_}: an SDK request sent outside call::send (not paced) at byte {at}"
                );
            }
            for (at, _) in text.match_indices("call::send(") {
                if in_comment(at) {
                    continue;
                }
                let args: Vec<&str> = text[at + "call::send(".len()..]
                    .splitn(4, ',')
                    .map(str::trim)
                    .collect();
                let service = match args.get(1).copied() {
                    Some("Service::Ecs") => Service::Ecs,
                    Some("Service::Ecr") => Service::Ecr,
                    other => panic!("{where_}: call::send of an unknown service {other:?}"),
                };
                let operation = args[2].trim_matches('"').to_owned();
                assert!(
                    bucket_index(service, &operation).is_some(),
                    "{where_}: {operation} has no rate-limit bucket"
                );
                operations.push(operation);
            }
        }
        operations.sort();
        operations.dedup();
        // The reads and writes of the promotion, the wait and the data sources, at least.
        for expected in [
            "UpdateService",
            "DescribeServices",
            "DescribeServiceDeployments",
            "DescribeServiceRevisions",
            "StopServiceDeployment",
            "ContinueServiceDeployment",
            "PutImage",
            "DescribeImages",
        ] {
            assert!(
                operations.iter().any(|o| o == expected),
                "{expected} not found among {operations:?}"
            );
        }
    }
}
