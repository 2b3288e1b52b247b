//! AWS's request throttling: ECS token buckets and ECR per-second quotas, per account and region.
//!
//! Off unless asked for (`--aws-rate-limits`, [`crate::Options::rate_limits`]). When on, every
//! AWS call draws one token from the bucket of its operation before anything else happens to it;
//! a call that finds the bucket empty is answered `ThrottlingException` and takes nothing.
//!
//! The figures are AWS's published defaults:
//! - ECS, "Request throttling for the Amazon ECS API" (API reference): one token bucket per
//!   category of actions, with a maximum capacity (burst) and a refill rate (sustained, tokens
//!   per second), shared by every action of the category.
//! - ECR, "Amazon ECR service quotas" (user guide): a rate per second for each API action, which
//!   we model as a bucket of that many tokens refilled at that rate.
//!
//! Where AWS publishes nothing we chose a figure and say so ([`BucketSpec::published`] is
//! false): ECR's DescribeImages and the other ECR actions we emulate without a published rate
//! get 10 per second (the lowest published ECR API rate, PutImage's), and ECS's
//! StopServiceDeployment and ContinueServiceDeployment share the "service deployment" bucket.
//!
//! Buckets refill continuously in wall-clock time ([`Instant`]), whichever rollout clock the
//! emulator runs: AWS's buckets do not wait for a test's manual clock. (AWS's page says tokens
//! are added "every second"; continuous refill at the same rate is our reading of it.)

use std::collections::HashMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::protocol::AwsService;

/// One bucket: which operations draw from it and how fast it refills.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BucketSpec {
    /// Our name for it: `ecs:<category>` for ECS, `ecr:<Operation>` for ECR.
    pub name: String,
    /// The service whose operations draw from it.
    pub service: AwsService,
    /// The operations (as in `X-Amz-Target`) that share it.
    pub operations: Vec<String>,
    /// Maximum capacity: the calls that may go at once when it is full.
    pub burst: f64,
    /// Tokens added per second of wall-clock time (the sustained rate).
    pub per_second: f64,
    /// False where AWS publishes no figure and this one is our choice.
    pub published: bool,
}

/// Published ECS categories: (name, burst, refill per second, actions).
const ECS_BUCKETS: &[(&str, f64, f64, &[&str])] = &[
    (
        "cluster-modify",
        20.0,
        1.0,
        &[
            "CreateCluster",
            "DeleteCluster",
            "PutClusterCapacityProviders",
            "UpdateCluster",
            "UpdateClusterSettings",
        ],
    ),
    (
        "cluster-read",
        50.0,
        20.0,
        &["DescribeClusters", "ListClusters"],
    ),
    (
        "task-definition-modify",
        20.0,
        1.0,
        &["DeregisterTaskDefinition", "RegisterTaskDefinition"],
    ),
    (
        "task-definition-read",
        50.0,
        20.0,
        &[
            "DescribeTaskDefinition",
            "ListTaskDefinitions",
            "ListTaskDefinitionFamilies",
        ],
    ),
    (
        "task-definition-deletion",
        5.0,
        1.0,
        &["DeleteTaskDefinitions"],
    ),
    (
        "capacity-provider-modify",
        10.0,
        1.0,
        &[
            "CreateCapacityProvider",
            "DeleteCapacityProvider",
            "UpdateCapacityProvider",
        ],
    ),
    (
        "capacity-provider-read",
        50.0,
        20.0,
        &["DescribeCapacityProviders"],
    ),
    ("tag-modify", 20.0, 10.0, &["TagResource", "UntagResource"]),
    ("tag-read", 50.0, 20.0, &["ListTagsForResource"]),
    (
        "setting-modify",
        10.0,
        1.0,
        &[
            "DeleteAccountSetting",
            "PutAccountSetting",
            "PutAccountSettingDefault",
        ],
    ),
    ("setting-read", 50.0, 20.0, &["ListAccountSettings"]),
    (
        "cluster-resource-modify",
        100.0,
        40.0,
        &[
            "DeleteAttributes",
            "DeregisterContainerInstance",
            "ExecuteCommand",
            "PutAttributes",
            "RunTask",
            "StartTask",
            "StopTask",
            "UpdateContainerAgent",
            "UpdateContainerInstancesState",
        ],
    ),
    (
        "cluster-resource-read",
        100.0,
        20.0,
        &[
            "DescribeContainerInstances",
            "DescribeTasks",
            "ListAttributes",
            "ListContainerInstances",
            "ListTasks",
        ],
    ),
    (
        "agent-modify",
        200.0,
        120.0,
        &[
            "RegisterContainerInstance",
            "SubmitAttachmentStateChanges",
            "SubmitContainerStateChange",
            "SubmitTaskStateChange",
        ],
    ),
    (
        "service-modify",
        50.0,
        5.0,
        &["CreateService", "DeleteService", "UpdateService"],
    ),
    (
        "service-read",
        100.0,
        20.0,
        &["DescribeServices", "ListServices"],
    ),
    (
        "service-deployment",
        50.0,
        20.0,
        &["DescribeServiceDeployments", "ListServiceDeployments"],
    ),
    (
        "service-revision",
        50.0,
        20.0,
        &["DescribeServiceRevisions"],
    ),
    (
        "task-protection",
        200.0,
        80.0,
        &["UpdateTaskProtection", "GetTaskProtection"],
    ),
    (
        "cluster-service-resource-read",
        10.0,
        1.0,
        &["ListServicesByNamespace"],
    ),
];

/// ECS actions AWS's table does not list, and the bucket we put them in.
const ECS_CHOSEN: &[(&str, &str)] = &[
    ("StopServiceDeployment", "service-deployment"),
    ("ContinueServiceDeployment", "service-deployment"),
];

/// Published ECR API rates per second.
const ECR_PUBLISHED: &[(&str, f64)] = &[
    ("BatchCheckLayerAvailability", 1000.0),
    ("BatchGetImage", 2000.0),
    ("CompleteLayerUpload", 100.0),
    ("GetAuthorizationToken", 500.0),
    ("GetDownloadUrlForLayer", 3000.0),
    ("InitiateLayerUpload", 100.0),
    ("PutImage", 10.0),
    ("UploadLayerPart", 500.0),
];

/// The ECR actions we emulate that have no published rate, and the rate we chose.
const ECR_CHOSEN: &[(&str, f64)] = &[
    ("DescribeImages", 10.0),
    ("ListImages", 10.0),
    ("DescribeRepositories", 10.0),
    ("CreateRepository", 10.0),
    ("BatchDeleteImage", 10.0),
    ("PutImageTagMutability", 10.0),
];

/// Why a rate-limit table was refused.
#[derive(Debug, thiserror::Error)]
pub enum RateLimitsError {
    /// Not valid JSON for a table.
    #[error("rate limits are not valid: {0}")]
    Json(#[from] serde_json::Error),
    /// An override names no bucket.
    #[error("rate limits: there is no bucket named {name:?} (see GET /_emulator/rate-limits)")]
    UnknownBucket {
        /// The name given.
        name: String,
    },
    /// A figure is out of range.
    #[error("rate limits: bucket {name:?}: {reason}")]
    Figure {
        /// The bucket.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The file could not be read.
    #[error("cannot read rate limits {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// New figures for one bucket, as a rate-limits file gives them.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Figures {
    /// Maximum capacity.
    pub burst: f64,
    /// Refill per second.
    pub per_second: f64,
}

/// The whole table of buckets.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RateLimits {
    buckets: Vec<BucketSpec>,
}

impl RateLimits {
    /// AWS's published defaults, with our choices where AWS publishes nothing.
    pub fn published() -> RateLimits {
        let mut buckets: Vec<BucketSpec> = ECS_BUCKETS
            .iter()
            .map(|(name, burst, per_second, operations)| BucketSpec {
                name: format!("ecs:{name}"),
                service: AwsService::Ecs,
                operations: operations.iter().map(|o| (*o).to_string()).collect(),
                burst: *burst,
                per_second: *per_second,
                published: true,
            })
            .collect();
        for (operation, bucket) in ECS_CHOSEN {
            if let Some(b) = buckets
                .iter_mut()
                .find(|b| b.name == format!("ecs:{bucket}"))
            {
                b.operations.push((*operation).to_string());
            }
        }
        let ecr = |(operation, rate): &(&str, f64), published: bool| BucketSpec {
            name: format!("ecr:{operation}"),
            service: AwsService::Ecr,
            operations: vec![(*operation).to_string()],
            burst: *rate,
            per_second: *rate,
            published,
        };
        buckets.extend(ECR_PUBLISHED.iter().map(|e| ecr(e, true)));
        buckets.extend(ECR_CHOSEN.iter().map(|e| ecr(e, false)));
        RateLimits { buckets }
    }

    /// The published table with new figures for the buckets `text` names, e.g.
    /// `{"ecs:service-modify": {"burst": 100, "perSecond": 10}}` (an account with raised quotas).
    pub fn from_json(text: &str) -> Result<RateLimits, RateLimitsError> {
        let overrides: HashMap<String, Figures> = serde_json::from_str(text)?;
        let mut limits = RateLimits::published();
        let mut names: Vec<&String> = overrides.keys().collect();
        names.sort();
        for name in names {
            limits = limits.with(name, overrides[name])?;
        }
        Ok(limits)
    }

    /// Reads a rate-limits file (see [`RateLimits::from_json`]).
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<RateLimits, RateLimitsError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| RateLimitsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        RateLimits::from_json(&text)
    }

    /// This table with `figures` for bucket `name`.
    pub fn with(mut self, name: &str, figures: Figures) -> Result<RateLimits, RateLimitsError> {
        let figure = |reason: &str| RateLimitsError::Figure {
            name: name.to_string(),
            reason: reason.to_string(),
        };
        if !(figures.burst.is_finite() && figures.burst >= 1.0) {
            return Err(figure("burst must be at least 1"));
        }
        if !(figures.per_second.is_finite() && figures.per_second > 0.0) {
            return Err(figure("perSecond must be more than 0"));
        }
        let bucket = self
            .buckets
            .iter_mut()
            .find(|b| b.name == name)
            .ok_or_else(|| RateLimitsError::UnknownBucket {
                name: name.to_string(),
            })?;
        bucket.burst = figures.burst;
        bucket.per_second = figures.per_second;
        Ok(self)
    }

    /// Every bucket, ECS first.
    pub fn buckets(&self) -> &[BucketSpec] {
        &self.buckets
    }

    /// The bucket `operation` of `service` draws from, if it is rate-limited.
    pub fn bucket_of(&self, service: AwsService, operation: &str) -> Option<&BucketSpec> {
        self.buckets
            .iter()
            .find(|b| b.service == service && b.operations.iter().any(|o| o == operation))
    }

    fn index_of(&self, service: AwsService, operation: &str) -> Option<usize> {
        self.buckets
            .iter()
            .position(|b| b.service == service && b.operations.iter().any(|o| o == operation))
    }
}

/// What the rate limits decided about one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// The operation draws from no bucket.
    Unlimited,
    /// It took a token from `bucket`.
    Admitted {
        /// The bucket's name.
        bucket: String,
    },
    /// `bucket` was empty: the call is answered `ThrottlingException`.
    Throttled {
        /// The bucket's name.
        bucket: String,
    },
}

/// One bucket's level at a moment.
#[derive(Clone, Copy, Debug)]
struct Level {
    tokens: f64,
    at: Instant,
}

/// The buckets of every account and region that has called, with their levels.
#[derive(Debug)]
pub(crate) struct Throttle {
    limits: RateLimits,
    /// `(account, region)` → one level per bucket of `limits`, in table order. A pair that has
    /// never called starts with full buckets.
    levels: HashMap<(String, String), Vec<Level>>,
}

impl Throttle {
    pub(crate) fn new(limits: RateLimits) -> Throttle {
        Throttle {
            limits,
            levels: HashMap::new(),
        }
    }

    pub(crate) fn limits(&self) -> &RateLimits {
        &self.limits
    }

    fn full(&self, now: Instant) -> Vec<Level> {
        self.limits
            .buckets
            .iter()
            .map(|b| Level {
                tokens: b.burst,
                at: now,
            })
            .collect()
    }

    /// Draws a token for one call of `operation` by `account` in `region` at `now`.
    pub(crate) fn admit(
        &mut self,
        account: &str,
        region: &str,
        service: AwsService,
        operation: &str,
        now: Instant,
    ) -> Admission {
        let Some(index) = self.limits.index_of(service, operation) else {
            return Admission::Unlimited;
        };
        let spec = &self.limits.buckets[index];
        let full = self.full(now);
        let levels = self
            .levels
            .entry((account.to_string(), region.to_string()))
            .or_insert(full);
        let level = &mut levels[index];
        let elapsed = now.saturating_duration_since(level.at).as_secs_f64();
        level.tokens = (level.tokens + elapsed * spec.per_second).min(spec.burst);
        level.at = now;
        let bucket = spec.name.clone();
        if level.tokens >= 1.0 {
            level.tokens -= 1.0;
            Admission::Admitted { bucket }
        } else {
            Admission::Throttled { bucket }
        }
    }

    /// Fills every bucket of every account and region (tests and benchmarks start from here).
    pub(crate) fn refill(&mut self) {
        self.levels.clear();
    }

    /// The table and, per account and region that has called, each bucket's tokens at `now`.
    pub(crate) fn json(&self, now: Instant) -> Value {
        let mut accounts: Vec<Value> = self
            .levels
            .iter()
            .map(|((account, region), levels)| {
                let tokens: serde_json::Map<String, Value> = self
                    .limits
                    .buckets
                    .iter()
                    .zip(levels)
                    .map(|(spec, level)| {
                        let elapsed = now.saturating_duration_since(level.at).as_secs_f64();
                        let tokens = (level.tokens + elapsed * spec.per_second).min(spec.burst);
                        (spec.name.clone(), json!((tokens * 1000.0).floor() / 1000.0))
                    })
                    .collect();
                json!({ "account": account, "region": region, "tokens": tokens })
            })
            .collect();
        accounts.sort_by_key(|a| (a["account"].to_string(), a["region"].to_string()));
        json!({ "buckets": self.limits.buckets, "accounts": accounts })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn admitted(a: &Admission) -> bool {
        matches!(a, Admission::Admitted { .. })
    }

    #[test]
    fn published_figures_are_the_documented_ones() {
        let limits = RateLimits::published();
        let of = |service, op: &str| {
            let b = limits.bucket_of(service, op).expect("limited");
            (b.name.as_str(), b.burst, b.per_second, b.published)
        };
        assert_eq!(
            of(AwsService::Ecs, "UpdateService"),
            ("ecs:service-modify", 50.0, 5.0, true)
        );
        assert_eq!(
            of(AwsService::Ecs, "CreateService"),
            of(AwsService::Ecs, "UpdateService")
        );
        assert_eq!(
            of(AwsService::Ecs, "DescribeServices"),
            ("ecs:service-read", 100.0, 20.0, true)
        );
        assert_eq!(
            of(AwsService::Ecs, "ListTasks"),
            ("ecs:cluster-resource-read", 100.0, 20.0, true)
        );
        assert_eq!(
            of(AwsService::Ecs, "DescribeServiceDeployments"),
            ("ecs:service-deployment", 50.0, 20.0, true)
        );
        assert_eq!(
            of(AwsService::Ecs, "DescribeServiceRevisions"),
            ("ecs:service-revision", 50.0, 20.0, true)
        );
        assert_eq!(
            of(AwsService::Ecs, "RegisterTaskDefinition"),
            ("ecs:task-definition-modify", 20.0, 1.0, true)
        );
        assert_eq!(
            of(AwsService::Ecr, "PutImage"),
            ("ecr:PutImage", 10.0, 10.0, true)
        );
        assert_eq!(
            of(AwsService::Ecr, "BatchGetImage"),
            ("ecr:BatchGetImage", 2000.0, 2000.0, true)
        );
        assert_eq!(
            of(AwsService::Ecr, "DescribeImages"),
            ("ecr:DescribeImages", 10.0, 10.0, false)
        );
        // Not listed by AWS: our choice, in the service deployment bucket.
        assert_eq!(
            of(AwsService::Ecs, "StopServiceDeployment").0,
            "ecs:service-deployment"
        );
        // An operation of one service does not draw from the other's buckets.
        assert!(limits.bucket_of(AwsService::Ecr, "UpdateService").is_none());
        assert!(limits.bucket_of(AwsService::Ecs, "Nothing").is_none());
    }

    #[test]
    fn burst_then_the_refill_rate() {
        let mut t = Throttle::new(RateLimits::published());
        let start = Instant::now();
        let admits = (0..60)
            .filter(|_| admitted(&t.admit("1", "r", AwsService::Ecs, "UpdateService", start)))
            .count();
        assert_eq!(admits, 50, "the burst, then nothing in the same instant");
        // DeleteService shares the bucket: empty too.
        assert_eq!(
            t.admit("1", "r", AwsService::Ecs, "CreateService", start),
            Admission::Throttled {
                bucket: "ecs:service-modify".into()
            }
        );
        // 1 s later: 5 more.
        let later = start + Duration::from_secs(1);
        let admits = (0..10)
            .filter(|_| admitted(&t.admit("1", "r", AwsService::Ecs, "UpdateService", later)))
            .count();
        assert_eq!(admits, 5);
        // Another region and another account have their own buckets.
        assert!(admitted(&t.admit(
            "1",
            "eu-west-1",
            AwsService::Ecs,
            "UpdateService",
            later
        )));
        assert!(admitted(&t.admit(
            "2",
            "r",
            AwsService::Ecs,
            "UpdateService",
            later
        )));
        // Never more than the burst, however long the wait.
        let much_later = later + Duration::from_secs(3600);
        let admits = (0..60)
            .filter(|_| admitted(&t.admit("1", "r", AwsService::Ecs, "UpdateService", much_later)))
            .count();
        assert_eq!(admits, 50);
        t.refill();
        assert!(admitted(&t.admit(
            "1",
            "r",
            AwsService::Ecs,
            "UpdateService",
            much_later
        )));
        assert_eq!(
            t.admit("1", "r", AwsService::Ecs, "UnknownThing", much_later),
            Admission::Unlimited
        );
    }

    #[test]
    fn overrides_change_figures_and_bad_ones_are_refused() {
        let limits =
            RateLimits::from_json(r#"{"ecs:service-modify": {"burst": 100, "perSecond": 10}}"#)
                .unwrap();
        let b = limits.bucket_of(AwsService::Ecs, "UpdateService").unwrap();
        assert_eq!((b.burst, b.per_second), (100.0, 10.0));
        assert!(matches!(
            RateLimits::from_json(r#"{"ecs:nope": {"burst": 1, "perSecond": 1}}"#),
            Err(RateLimitsError::UnknownBucket { .. })
        ));
        assert!(matches!(
            RateLimits::from_json(r#"{"ecr:PutImage": {"burst": 0, "perSecond": 1}}"#),
            Err(RateLimitsError::Figure { .. })
        ));
        assert!(matches!(
            RateLimits::from_json(r#"{"ecr:PutImage": {"burst": 1, "perSecond": 0}}"#),
            Err(RateLimitsError::Figure { .. })
        ));
        assert!(matches!(
            RateLimits::from_json(r#"{"ecr:PutImage": {"burst": 1}}"#),
            Err(RateLimitsError::Json(_))
        ));
    }
}
