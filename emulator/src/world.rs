//! The world file: what the emulator starts with (repositories and images, clusters, task
//! definitions, services). Format documented in `emulator/README.md`.
//!
//! Member names are lowerCamel like the AWS APIs, and task definitions / services are written as
//! the bodies of `RegisterTaskDefinition` / `CreateService` requests, so anything valid there is
//! valid here.
//!
//! This module is only the format (a leaf: it depends on nothing else in the crate). Reading a
//! world with validation (`World::from_file`, `World::from_json`) lives in the `load` module,
//! because validating a world means building the account it describes.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Why a world could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    /// The file could not be read.
    #[error("cannot read world file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The JSON does not match the world format.
    #[error("world file is not valid: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON is well-formed but describes something AWS would refuse (an unknown cluster, a bad
    /// manifest, …). The message names the item.
    #[error("world is inconsistent: {0}")]
    Invalid(String),
}

/// The whole world. See `emulator/README.md` for every member.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct World {
    /// Account id used in ARNs, registry ids and repository URIs.
    #[serde(default = "default_account")]
    pub account_id: String,
    /// Default region (used when a request carries no SigV4 credential scope).
    #[serde(default = "default_region")]
    pub region: String,
    /// Emulated time at load, epoch seconds. Absent: the wall clock when the world is loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<f64>,
    /// Seed of the id generator (deployment ids, task ids), so runs repeat.
    #[serde(default)]
    pub seed: u64,
    /// ECR repositories and their images.
    #[serde(default)]
    pub repositories: Vec<RepositorySpec>,
    /// Images outside the emulated registry that tasks may run (anything else fails to start).
    #[serde(default)]
    pub external_images: Vec<ExternalImageSpec>,
    /// ECS clusters.
    #[serde(default)]
    pub clusters: Vec<ClusterSpec>,
    /// Task definitions, each a `RegisterTaskDefinition` request body, registered in order.
    #[serde(default)]
    pub task_definitions: Vec<Value>,
    /// Services, each a `CreateService` request body; they start deployed and steady.
    #[serde(default)]
    pub services: Vec<Value>,
    /// CloudWatch alarms deployments may watch, with their state at load.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarms: Vec<AlarmSpec>,
    /// Lambda functions lifecycle hooks may invoke, with what they answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lambda_functions: Vec<LambdaFunctionSpec>,
}

fn default_account() -> String {
    "123456789012".to_string()
}

fn default_region() -> String {
    "us-east-1".to_string()
}

fn yes() -> bool {
    true
}

impl Default for World {
    fn default() -> Self {
        World {
            account_id: default_account(),
            region: default_region(),
            start_time: None,
            seed: 0,
            repositories: Vec::new(),
            external_images: Vec::new(),
            clusters: Vec::new(),
            task_definitions: Vec::new(),
            services: Vec::new(),
            alarms: Vec::new(),
            lambda_functions: Vec::new(),
        }
    }
}

impl World {
    /// The registry host of this world's ECR in its default region
    /// (`<account>.dkr.ecr.<region>.amazonaws.com`).
    pub fn registry(&self) -> String {
        format!("{}.dkr.ecr.{}.amazonaws.com", self.account_id, self.region)
    }
}

/// One ECR repository.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RepositorySpec {
    /// Repository name (`example`, `team/app`).
    pub name: String,
    /// `MUTABLE` (default), `IMMUTABLE`, `MUTABLE_WITH_EXCLUSION` or `IMMUTABLE_WITH_EXCLUSION`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_tag_mutability: Option<String>,
    /// Wildcard filters for the `*_WITH_EXCLUSION` modes (1 to 5).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_tag_mutability_exclusion_filters: Vec<ExclusionFilter>,
    /// Images, pushed in this order.
    #[serde(default)]
    pub images: Vec<ImageSpec>,
}

/// An ECR tag-mutability exclusion filter (`{"filterType": "WILDCARD", "filter": "release-*"}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExclusionFilter {
    /// Only `WILDCARD` exists.
    pub filter_type: String,
    /// Glob with `*`; characters `[0-9a-zA-Z._*-]`, 1 to 128 of them.
    pub filter: String,
}

/// One image: a literal manifest, or a generated one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImageSpec {
    /// Tags on the image.
    #[serde(default)]
    pub tags: Vec<String>,
    /// A literal manifest: a string (kept byte for byte) or a JSON object (compact-serialised).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<Value>,
    /// Media type of a literal manifest when it has no `mediaType` member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// How to generate the manifest when `manifest` is absent (defaults apply when both are absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate: Option<GenerateSpec>,
    /// `false`: tasks running this image fail to start (`TaskFailedToStart`).
    #[serde(default = "yes")]
    pub healthy: bool,
    /// Push time, epoch seconds (default: spaced one minute apart before the start time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed_at: Option<f64>,
    /// Alarms that go into ALARM while a task runs this image.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers_alarms: Vec<String>,
}

/// Parameters of a generated manifest.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenerateSpec {
    /// Any string; different seeds give different digests (default: repository name + first tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    /// `docker` (default: Docker v2 schema 2 / manifest list) or `oci` (OCI manifest / index).
    #[serde(default)]
    pub format: ManifestFormat,
    /// Platforms like `linux/amd64`. More than one (or `index: true`) makes a multi-arch index
    /// whose children are stored as untagged images.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    /// Force an index even with zero or one platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<bool>,
    /// Number of layers per manifest (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers: Option<u32>,
}

/// Manifest family of a generated image.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ManifestFormat {
    /// Docker image manifest v2 schema 2 / Docker manifest list.
    #[default]
    Docker,
    /// OCI image manifest / OCI image index.
    Oci,
}

/// An image outside the emulated ECR that tasks may run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalImageSpec {
    /// The exact image reference used in task definitions (`public.ecr.aws/nginx/nginx:1.27`).
    pub image: String,
    /// Digest tasks report (default: sha256 of the reference string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// `false`: tasks fail to start.
    #[serde(default = "yes")]
    pub healthy: bool,
    /// Alarms that go into ALARM while a task runs this image.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers_alarms: Vec<String>,
}

/// An ECS cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterSpec {
    /// Cluster name.
    pub name: String,
}

/// A CloudWatch alarm and its state at load.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlarmSpec {
    /// The alarm name, as `deploymentConfiguration.alarms.alarmNames` lists it.
    pub alarm_name: String,
    /// `OK` (default), `ALARM` or `INSUFFICIENT_DATA`.
    #[serde(default = "ok")]
    pub state: String,
}

fn ok() -> String {
    "OK".to_string()
}

/// A Lambda function a lifecycle hook may invoke, and the `hookStatus` it answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LambdaFunctionSpec {
    /// The function ARN, as `lifecycleHooks[].hookTargetArn` names it.
    pub function_arn: String,
    /// `SUCCEEDED` (default), `FAILED`, or `IN_PROGRESS` (never finishes: the hook times out).
    #[serde(default = "succeeded")]
    pub result: String,
}

fn succeeded() -> String {
    "SUCCEEDED".to_string()
}
