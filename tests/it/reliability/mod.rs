//! Reliability and security (issue 6): faults survived, bad input refused, nothing lost, no one
//! else gets in.
//!
//! - `faults`: seeded, bounded emulator faults (throttling, server errors, latency, dropped
//!   connections) during promotion, refresh and data source reads, through real Terraform, plus
//!   the same faults against the provider's own SDK retry settings without Terraform.
//! - `interrupt`: the provider and, separately, Terraform killed at each step of a promotion;
//!   Ctrl-C during the rollout wait.
//! - `failed_releases`: unhealthy images with and without the ECS rollback, a release deleted
//!   between plan and apply, a manifest list whose child is missing.
//! - `bad_input`: a table of refused inputs, each on its attribute, with no mutating AWS call.
//! - `fuzz`: bounded proptests of untrusted bytes through the gRPC service and the emulator.
//! - `boundary`: the process boundary (socket directory, TLS, cookie) and credentials that must
//!   never appear in logs, state or diagnostics, while the AWS calls do appear in the log.
//! - `call_failures`: SDK failures (throttling, server errors, dropped and refused connections,
//!   timeouts) read as sentences that name the call, the attempts and what to do.
//!
//! Helpers shared by these modules live here.

mod bad_input;
mod boundary;
mod call_failures;
mod failed_releases;
mod faults;
mod fuzz;
mod interrupt;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};
use tagdeploy_emulator::{FaultKind, FaultPlan, FaultRule};

use crate::support::emulator::BackgroundEmulator;
use crate::support::terraform::{Workspace, required_providers};

/// A configuration promoting `var.release` to prod for `services`, with extra resource lines.
pub fn prod_tag_config(emulator: &BackgroundEmulator, services: &[&str], extra: &str) -> String {
    let services = services
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"{}
{}
variable "release" {{
  type = string
}}

resource "tagdeploy_prod_tag" "prod" {{
  repository  = "example"
  release_tag = var.release
  cluster     = "example"
  services    = [{services}]
{extra}
}}
"#,
        required_providers(),
        emulator.provider_block()
    )
}

/// The `tagdeploy_prod_tag` attributes from `terraform show -json` (null when absent).
pub fn resource_values(ws: &Workspace) -> Json {
    let show = ws.show();
    show["values"]["root_module"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["type"] == "tagdeploy_prod_tag")
        .map(|r| r["values"].clone())
        .unwrap_or(Json::Null)
}

/// The digest `tag` points at in repository `example`, read from the emulator's state (no AWS
/// call, so it does not disturb request counts or fault plans).
pub fn digest_of(emulator: &BackgroundEmulator, tag: &str) -> Option<String> {
    let state = emulator.handle().state();
    state["repositories"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["name"] == "example")
        .flat_map(|r| r["images"].as_array().cloned().unwrap_or_default())
        .find(|i| {
            i["tags"]
                .as_array()
                .is_some_and(|t| t.contains(&json!(tag)))
        })
        .and_then(|i| i["digest"].as_str().map(str::to_owned))
}

/// Like [`digest_of`] for a tag that must exist.
#[track_caller]
pub fn digest(emulator: &BackgroundEmulator, tag: &str) -> String {
    digest_of(emulator, tag).unwrap_or_else(|| panic!("tag {tag} exists"))
}

/// Every deployment a service ever had (active and retired), oldest first, as the emulator
/// knows them: `(id, digests its containers resolved)`.
pub fn deployments(emulator: &BackgroundEmulator, service: &str) -> Vec<(String, Vec<String>)> {
    let state = emulator.handle().state();
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

/// The digests the service's unstopped tasks run (RUNNING or PENDING), sorted and deduplicated.
pub fn running_digests(emulator: &BackgroundEmulator, service: &str) -> Vec<String> {
    let state = emulator.handle().state();
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

/// How many `operation` calls the emulator answered with 200 (faulted attempts not counted).
pub fn served(emulator: &BackgroundEmulator, operation: &str) -> usize {
    emulator
        .handle()
        .requests()
        .iter()
        .filter(|r| r.operation == operation && r.status == Some(200))
        .count()
}

/// `terraform plan -detailed-exitcode` with `args`: the exit code and the whole transcript.
pub fn plan_exit_code(ws: &Workspace, args: &[&str]) -> (i32, String) {
    let mut all = vec!["plan", "-detailed-exitcode", "-no-color"];
    all.extend_from_slice(args);
    let run = ws.run(&all);
    (run.code.unwrap_or(-1), run.transcript())
}

/// A fault rule.
pub fn rule(operation: &str, kind: FaultKind, rate: f64, max_faults: Option<u64>) -> FaultRule {
    FaultRule {
        operation: operation.to_owned(),
        service: None,
        kind,
        rate,
        latency_ms: 0,
        max_faults,
    }
}

/// Holds the first call of `operation` until released.
pub fn hold(operation: &str) -> FaultPlan {
    FaultPlan {
        seed: 1,
        rules: vec![rule(operation, FaultKind::Hold, 1.0, Some(1))],
    }
}

/// Polls `condition` every 10 ms until it holds or `limit` passes; returns whether it held.
pub fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    condition()
}

/// The provider processes Terraform started in `work_dir` (matched by their working directory,
/// so providers of tests running in parallel are left alone).
pub fn providers_in(work_dir: &Path) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids = Vec::new();
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let is_provider =
            String::from_utf8_lossy(&cmdline).contains("terraform-provider-tagdeploy");
        let cwd = std::fs::read_link(entry.path().join("cwd")).ok();
        // A zombie has no cwd link any more, so it is not matched.
        if is_provider && cwd.as_deref() == Some(work_dir) {
            pids.push(pid);
        }
    }
    pids
}

/// The parent process id of `pid` (from `/proc/PID/stat`).
pub fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces: parse after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split(' ').nth(1)?.parse().ok()
}

/// Sends `signal` to `pid`; true when it was delivered.
pub fn signal(pid: i32, signal: i32) -> bool {
    // SAFETY: kill(2) with a pid we found ourselves; no memory is shared.
    unsafe { libc::kill(pid, signal) == 0 }
}

/// Runs a future to completion on a fresh single-threaded runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// Deletes `tags` (and, with `digest`, the image itself) from repository `example`, as a
/// person with the AWS CLI would.
pub fn batch_delete(emulator: &BackgroundEmulator, ids: Vec<aws_sdk_ecr::types::ImageIdentifier>) {
    let url = emulator.url();
    let conf = aws_sdk_ecr::Config::builder()
        .behavior_version(aws_sdk_ecr::config::BehaviorVersion::latest())
        .region(aws_sdk_ecr::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ecr::config::Credentials::new(
            "AKIDTEST", "test", None, None, "test",
        ))
        .endpoint_url(url)
        .build();
    let client = aws_sdk_ecr::Client::from_conf(conf);
    let out = block_on(
        client
            .batch_delete_image()
            .repository_name("example")
            .set_image_ids(Some(ids))
            .send(),
    )
    .expect("BatchDeleteImage");
    assert!(out.failures().is_empty(), "{:?}", out.failures());
}
