//! What an emulator served and what it holds, read without an AWS call (from its request log
//! and its state), so looking never disturbs request counts or fault plans.
//!
//! [`Observe`] is implemented once for `EmulatorHandle`; [`super::emulator::Emulated`] and
//! [`super::emulator::BackgroundEmulator`] dereference to their handle, so both get it.

use serde_json::{Value as Json, json};
use tagdeploy_emulator::EmulatorHandle;
use terraform_provider_tagdeploy::aws::image::Digest;

/// The repository of the demo world (`examples/demo/world.json`).
pub const DEMO_REPOSITORY: &str = "example";

/// Operations that change something in AWS; a refused input must cause none of them.
pub const MUTATING_OPERATIONS: [&str; 9] = [
    "PutImage",
    "BatchDeleteImage",
    "PutImageTagMutability",
    "CreateRepository",
    "UpdateService",
    "CreateService",
    "CreateCluster",
    "RegisterTaskDefinition",
    "DeleteService",
];

/// Read-only views of an emulator's request log and state.
pub trait Observe {
    /// The emulator these views read.
    fn observed(&self) -> &EmulatorHandle;

    /// The AWS operations received so far, in order (`"ecr:PutImage"`, …), faulted ones included.
    fn operations(&self) -> Vec<String> {
        self.observed()
            .requests()
            .iter()
            .map(|r| format!("{}:{}", r.service.as_str(), r.operation))
            .collect()
    }

    /// How many times `operation` (e.g. `"UpdateService"`) was received, faulted ones included.
    fn count(&self, operation: &str) -> usize {
        self.observed()
            .requests()
            .iter()
            .filter(|r| r.operation == operation)
            .count()
    }

    /// How many `operation` calls were answered with 200 (faulted attempts, and calls refused
    /// such as a `PutImage` of a tag already in place, not counted).
    fn served(&self, operation: &str) -> usize {
        self.observed()
            .requests()
            .iter()
            .filter(|r| r.operation == operation && r.status == Some(200))
            .count()
    }

    /// The mutating operations received so far.
    fn mutations(&self) -> Vec<String> {
        self.observed()
            .requests()
            .iter()
            .filter(|r| MUTATING_OPERATIONS.contains(&r.operation.as_str()))
            .map(|r| r.operation.clone())
            .collect()
    }

    /// The digest `tag` points at in `repository`, if the tag exists.
    fn digest_of(&self, repository: &str, tag: &str) -> Option<String> {
        let state = self.observed().state();
        state["repositories"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["name"] == repository)
            .flat_map(|r| r["images"].as_array().cloned().unwrap_or_default())
            .find(|i| {
                i["tags"]
                    .as_array()
                    .is_some_and(|t| t.contains(&json!(tag)))
            })
            .and_then(|i| i["digest"].as_str().map(str::to_owned))
    }

    /// The digest `tag` points at in `repository`; the tag must exist.
    #[track_caller]
    fn digest_in(&self, repository: &str, tag: &str) -> String {
        self.digest_of(repository, tag)
            .unwrap_or_else(|| panic!("no tag {tag} in repository {repository}"))
    }

    /// The digest `tag` points at in the demo repository; the tag must exist.
    #[track_caller]
    fn digest(&self, tag: &str) -> String {
        self.digest_in(DEMO_REPOSITORY, tag)
    }

    /// [`Observe::digest`] as the domain's type.
    #[track_caller]
    fn typed_digest(&self, tag: &str) -> Digest {
        let digest = self.digest(tag);
        Digest::parse(&digest).unwrap_or_else(|e| panic!("{tag} -> {digest}: {e}"))
    }

    /// Every deployment a service ever had (active and retired), as the emulator knows them:
    /// `(id, digests its containers resolved)`, retired ones first.
    fn deployments(&self, service: &str) -> Vec<(String, Vec<String>)> {
        let state = self.observed().state();
        let service = state["clusters"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| c["services"].as_array().cloned().unwrap_or_default())
            .find(|s| s["name"] == service)
            .unwrap_or(Json::Null);
        let mut all: Vec<Json> = service["inactiveDeployments"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        all.extend(
            service["deployments"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
        let mut out: Vec<(String, Vec<String>)> = all
            .iter()
            .map(|d| {
                (
                    d["id"].as_str().unwrap_or_default().to_owned(),
                    d["images"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|i| i["digest"].as_str().map(str::to_owned))
                        .collect(),
                )
            })
            .collect();
        // Deployment ids are not ordered; the emulator lists retired ones first, then active ones.
        out.dedup();
        out
    }

    /// The digests the service's unstopped tasks run (RUNNING or PENDING), sorted and
    /// deduplicated.
    fn running_digests(&self, service: &str) -> Vec<String> {
        let state = self.observed().state();
        let mut digests: Vec<String> = state["clusters"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| c["tasks"].as_array().cloned().unwrap_or_default())
            .filter(|t| t["service"] == service && t["lastStatus"] != "STOPPED")
            .flat_map(|t| t["digests"].as_array().cloned().unwrap_or_default())
            .filter_map(|d| d.as_str().map(str::to_owned))
            .collect();
        digests.sort();
        digests.dedup();
        digests
    }
}

impl Observe for EmulatorHandle {
    fn observed(&self) -> &EmulatorHandle {
        self
    }
}
