//! The data sources seen from Terraform, against the emulator on the RFC demo world:
//! `tagdeploy_task_digests` on a steady service and during a rollout (both digests, RFC
//! statuses), `tagdeploy_image` by tag, by digest and for a multi-arch index (bad input is in
//! `reliability::bad_input`). The AWS calls of each read are counted from the emulator's
//! request log, so a read that grows a call fails; eleven reads in one plan must share their
//! DescribeServices calls.

use std::time::Duration;

use serde_json::{Value as Json, json};
use tagdeploy_emulator::FaultPlan;
use terraform_provider_tagdeploy::aws::ecr::Ecr;
use terraform_provider_tagdeploy::aws::ecs::Ecs;
use terraform_provider_tagdeploy::aws::image::{Digest, RepositoryRef};

use crate::support::aws::clients;
use crate::support::emulator::{BackgroundEmulator, add_image, add_services, demo_world_json};
use crate::support::faults::hold;
use crate::support::observe::Observe;
use crate::support::terraform::{Terraform, Workspace, required_providers, terraform_test};
use crate::support::wait_until;

/// The demo world's registry host (account 123456789012, us-east-1).
const REGISTRY: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

/// How long the reads may take to reach the held call (generous: a loaded machine is slow,
/// and well below the 30 s after which the provider's SDK gives up on an attempt).
const REACH: Duration = Duration::from_secs(25);

/// AWS calls of one `tagdeploy_task_digests` read of a service with tasks, sorted.
const TASK_DIGESTS_CALLS: [&str; 6] = [
    "ecr:DescribeImages",
    "ecs:DescribeServiceDeployments",
    "ecs:DescribeServices",
    "ecs:DescribeTasks",
    "ecs:ListTasks",
    "ecs:ListTasks",
];

/// The emulator plus domain clients (on a runtime of their own) to look at it and drive it
/// the way another actor would.
struct Env {
    emu: BackgroundEmulator,
    runtime: tokio::runtime::Runtime,
    ecr: Ecr,
    ecs: Ecs,
}

impl Env {
    fn new(world: Json) -> Env {
        let emu = BackgroundEmulator::manual(world);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("test runtime");
        let (ecr, ecs) = clients(&emu.url());
        Env {
            emu,
            runtime,
            ecr,
            ecs,
        }
    }

    /// The digest `tag` points at in the demo repository.
    fn digest(&self, tag: &str) -> Digest {
        self.emu.typed_digest(tag)
    }

    /// A workspace whose configuration is the provider block for this emulator plus `body`,
    /// with test credentials, initialised.
    fn workspace(&self, tf: &Terraform, label: &str, body: &str) -> Workspace {
        let mut ws = Workspace::new(tf, label, &self.config(body));
        ws.set_env("AWS_ACCESS_KEY_ID", "AKIDTEST");
        ws.set_env("AWS_SECRET_ACCESS_KEY", "test-secret");
        ws.set_env("AWS_EC2_METADATA_DISABLED", "true");
        ws.init();
        ws
    }

    fn config(&self, body: &str) -> String {
        format!(
            "{}\n{}\n{body}",
            required_providers(),
            self.emu.provider_block()
        )
    }

    /// The operations served since the last call, sorted (and the log cleared).
    fn take_operations(&self) -> Vec<String> {
        let mut ops = self.emu.operations();
        self.emu.handle().clear_requests();
        ops.sort();
        ops
    }
}

fn task_digests_config(extra: &str) -> String {
    format!(
        r#"
data "tagdeploy_task_digests" "example" {{
  cluster = "example"
  service = "example"
{extra}}}

output "report" {{
  value = data.tagdeploy_task_digests.example
}}

check "release_complete" {{
  assert {{
    condition     = data.tagdeploy_task_digests.example.complete
    error_message = "Not every task of example runs the prod digest yet."
  }}
}}
"#
    )
}

/// The status of the check block `name` in `terraform show -json`.
fn check_status(show: &Json, name: &str) -> String {
    show["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["address"]["name"] == name)
        .and_then(|c| c["status"].as_str())
        .unwrap_or("absent")
        .to_owned()
}

fn task_digests(report: &Json) -> Vec<String> {
    report["tasks"]
        .as_array()
        .expect("tasks is a list")
        .iter()
        .filter_map(|t| t["digest"].as_str().map(str::to_owned))
        .collect()
}

terraform_test!(task_digests_on_a_steady_service);
fn task_digests_on_a_steady_service(tf: &Terraform) {
    let env = Env::new(demo_world_json());
    let hash_1 = env.digest("hash_1");
    let ws = env.workspace(tf, "ds-steady", &task_digests_config(""));
    env.take_operations();

    ws.apply(&[]);
    // One read, and only the calls check.sh needs.
    assert_eq!(env.take_operations(), TASK_DIGESTS_CALLS);

    let report = &ws.outputs()["report"]["value"];
    assert_eq!(report["id"], "example/example");
    assert_eq!(report["tag"], "prod", "tag defaults to prod");
    assert_eq!(report["repository"], "example", "repository from the image");
    assert_eq!(report["container"], "app");
    assert_eq!(report["env_digest"], hash_1.as_str());
    let tasks = report["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 2, "{report:#}");
    for task in tasks {
        assert_eq!(task["digest"], hash_1.as_str(), "{task}");
        assert_eq!(task["matches"], true);
        assert_eq!(task["container"], "app");
        assert_eq!(task["last_status"], "RUNNING");
        assert_eq!(task["desired_status"], "RUNNING");
        assert!(
            task["task_arn"]
                .as_str()
                .is_some_and(|a| a.starts_with("arn:aws:ecs:us-east-1:123456789012:task/")),
            "{task}"
        );
    }
    assert_eq!(report["all_match"], true);
    assert_eq!(report["complete"], true);
    assert_eq!(report["status"], Json::Null, "no deployment_id, no status");
    // The service deployment that put the service where it is.
    let sd = &report["service_deployment"];
    assert_eq!(sd["status"], "SUCCESSFUL", "{sd:#}");
    assert_eq!(sd["rfc_status"], "COMPLETE");
    assert_eq!(sd["strategy"], "ROLLING");
    assert_eq!(sd["lifecycle_stage"], Json::Null, "it ended");
    assert_eq!(
        (sd["running_count"].as_i64(), sd["requested_count"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(
        sd["production_traffic_weight"],
        Json::Null,
        "ROLLING shifts no traffic"
    );
    assert_eq!(
        sd["circuit_breaker_status"], "MONITORING_COMPLETE",
        "{sd:#}"
    );
    assert!(
        sd["arn"].as_str().is_some_and(|a| a
            .starts_with("arn:aws:ecs:us-east-1:123456789012:service-deployment/example/example/")),
        "{sd:#}"
    );
    let deployments = report["deployments"].as_array().expect("deployments");
    assert_eq!(deployments.len(), 1, "{report:#}");
    let only = &deployments[0];
    assert_eq!(only["status"], "PRIMARY");
    assert_eq!(only["rollout_state"], "COMPLETED");
    assert_eq!(only["desired_count"], 2);
    assert_eq!(only["running_count"], 2);
    assert_eq!(only["pending_count"], 0);
    assert_eq!(only["failed_tasks"], 0);
    assert!(
        only["created_at"].as_str().is_some_and(|t| t.contains('T')),
        "{only}"
    );
    for task in tasks {
        assert_eq!(
            task["deployment_id"], only["id"],
            "startedBy is the deployment"
        );
    }
    assert_eq!(check_status(&ws.show(), "release_complete"), "pass");

    // The deployment's own RFC status, and nothing written to AWS.
    let id = only["id"].as_str().expect("deployment id").to_owned();
    ws.write(
        "main.tf",
        &env.config(&task_digests_config(&format!(
            "  deployment_id = \"{id}\"\n"
        ))),
    );
    ws.apply(&[]);
    assert_eq!(env.take_operations(), TASK_DIGESTS_CALLS);
    assert_eq!(ws.outputs()["report"]["value"]["status"], "COMPLETE");
    assert!(env.emu.mutations().is_empty(), "{:?}", env.emu.mutations());
}

/// How many reads [`concurrent_task_digests_share_calls`] makes: one more than a
/// DescribeServices call takes (10), so whatever Terraform's timing, the reads need two calls
/// and can share them.
const CONCURRENT_READS: usize = 11;

terraform_test!(concurrent_task_digests_share_calls);
/// Eleven `tagdeploy_task_digests` in one plan, one per service, read concurrently by one
/// provider process, share their DescribeServices calls: exactly 2, where reads on their own
/// make 11. Deterministic, whatever Terraform's timing: the emulator holds the first
/// DescribeServices call (it carries between 1 and 10 of the services, depending on when
/// Terraform sent the reads) until every read has asked for its service (each read makes its
/// two ListTasks once it has), and while a call of a cluster is in flight the provider makes
/// no other: the remaining 1 to 10 services wait in one batch and go in the second call.
/// DescribeTasks and DescribeImages are shared too when reads come together, which depends on
/// timing: they are only bounded here (`make bench` reports their counts).
fn concurrent_task_digests_share_calls(tf: &Terraform) {
    let mut world = demo_world_json();
    add_services(&mut world, CONCURRENT_READS - 1);
    let env = Env::new(world);
    let hash_1 = env.digest("hash_1");
    let names: Vec<String> = std::iter::once("\"example\"".to_owned())
        .chain((1..CONCURRENT_READS).map(|i| format!("\"example-{i}\"")))
        .collect();
    let body = format!(
        r#"
data "tagdeploy_task_digests" "all" {{
  for_each = toset([{}])
  cluster  = "example"
  service  = each.key
}}

output "reports" {{
  value = {{ for name, d in data.tagdeploy_task_digests.all : name => {{
    complete   = d.complete
    env_digest = d.env_digest
    tasks      = [for t in d.tasks : t.task_arn]
  }} }}
}}
"#,
        names.join(", ")
    );
    let ws = env.workspace(tf, "ds-concurrent", &body);
    env.take_operations();
    env.emu.set_faults(hold("DescribeServices"));
    // Every read in flight at once (Terraform's default is 10), so all can wait together.
    let parallelism = format!("-parallelism={CONCURRENT_READS}");
    let (run, at_release) = std::thread::scope(|scope| {
        let apply = scope.spawn(|| ws.try_apply(&[&parallelism]));
        let every_read_asked = wait_until(REACH, || {
            env.emu.held().iter().any(|op| op == "DescribeServices")
                && env.emu.served("ListTasks") == 2 * CONCURRENT_READS
        });
        // Far past the coalescing window (10 ms quiet, 50 ms at most): a batch that did not
        // wait for the held call would have been sent and answered by now. (Waiting longer
        // only gives that mistake more time to show; a passing run does not depend on it.)
        std::thread::sleep(Duration::from_millis(500));
        let at_release = env.emu.operations();
        env.emu.set_faults(FaultPlan::default());
        env.emu.release("DescribeServices");
        let run = apply.join().expect("apply thread");
        assert!(
            every_read_asked,
            "not every read asked for its service within {REACH:?}: {at_release:?}\n{}",
            run.transcript()
        );
        (run.success(), at_release)
    });
    assert_eq!(
        at_release
            .iter()
            .filter(|op| *op == "ecs:DescribeServices")
            .count(),
        0,
        "a DescribeServices answered while the first was held: {at_release:?}"
    );
    let mut calls = std::collections::BTreeMap::new();
    for op in env.take_operations() {
        *calls.entry(op).or_insert(0) += 1;
    }
    eprintln!(
        "{CONCURRENT_READS} tagdeploy_task_digests in one plan ({}): {calls:?}",
        tf.version
    );
    // The held call and one more. (A third would be the held call retried: its attempt timed
    // out after 30 s because every read took longer than that to start.)
    assert_eq!(
        calls.get("ecs:DescribeServices"),
        Some(&2),
        "{calls:?}\n{}",
        run.transcript()
    );
    // ListTasks filters on one service, so it is not shared: two per service.
    assert_eq!(
        calls.get("ecs:ListTasks"),
        Some(&(2 * CONCURRENT_READS)),
        "{calls:?}"
    );
    // At most one per read, fewer when reads came together.
    for op in ["ecs:DescribeTasks", "ecr:DescribeImages"] {
        assert!(
            calls
                .get(op)
                .is_some_and(|&n| (1..=CONCURRENT_READS).contains(&n)),
            "{op}: {calls:?}"
        );
    }

    let reports = ws.outputs()["reports"]["value"].clone();
    let reports = reports.as_object().expect("reports by service");
    assert_eq!(reports.len(), CONCURRENT_READS);
    let mut seen = std::collections::BTreeSet::new();
    for (service, report) in reports {
        assert_eq!(report["complete"], true, "{service}: {report}");
        assert_eq!(report["env_digest"], hash_1.as_str(), "{service}");
        let tasks = report["tasks"].as_array().expect("tasks");
        // Each report has its own service's two tasks, not another's from a shared call.
        assert_eq!(tasks.len(), 2, "{service}: {report}");
        for task in tasks {
            assert!(seen.insert(task.to_string()), "{task} reported twice");
        }
    }
}

terraform_test!(task_digests_during_a_rollout);
fn task_digests_during_a_rollout(tf: &Terraform) {
    let env = Env::new(demo_world_json());
    let (hash_1, hash_2) = (env.digest("hash_1"), env.digest("hash_2"));
    // What deploy.sh did: retag prod onto hash_2, then force a new deployment.
    let repository = RepositoryRef::new("example");
    env.runtime
        .block_on(env.ecr.retag(&repository, &hash_2, "prod"))
        .expect("retag");
    let started = env
        .runtime
        .block_on(env.ecs.force_new_deployment("example", "example"))
        .expect("force a deployment");
    let deployment = started.deployment_id;
    let service_deployment = started
        .service_deployment_arn
        .expect("a service deployment");
    let ws = env.workspace(
        tf,
        "ds-rollout",
        &task_digests_config(&format!("  deployment_id = \"{deployment}\"\n")),
    );

    // New tasks start and become RUNNING; the old ones are told to stop (draining).
    env.emu.handle().advance(2);
    env.take_operations();
    ws.apply(&[]);
    let calls = env.take_operations();
    assert!(
        calls
            .iter()
            .all(|c| TASK_DIGESTS_CALLS.contains(&c.as_str())),
        "{calls:?}"
    );
    let report = ws.outputs()["report"]["value"].clone();
    assert_eq!(report["env_digest"], hash_2.as_str());
    let digests = task_digests(&report);
    assert!(
        digests.contains(&hash_1.to_string()) && digests.contains(&hash_2.to_string()),
        "both digests should be visible mid-rollout: {report:#}"
    );
    let tasks = report["tasks"].as_array().expect("tasks");
    assert!(
        tasks
            .iter()
            .any(|t| t["desired_status"] == "STOPPED" && t["last_status"] != "STOPPED"),
        "draining tasks are listed: {report:#}"
    );
    for task in tasks {
        let on_new = task["digest"] == hash_2.as_str();
        assert_eq!(task["matches"], on_new, "{task}");
        assert_eq!(
            task["deployment_id"] == deployment.as_str(),
            on_new,
            "{task}"
        );
    }
    assert_eq!(report["all_match"], false);
    assert_eq!(report["complete"], false);
    assert_eq!(report["status"], "IN_PROGRESS");
    let deployments = report["deployments"].as_array().expect("deployments");
    assert_eq!(deployments.len(), 2, "{report:#}");
    let primary = deployments
        .iter()
        .find(|d| d["status"] == "PRIMARY")
        .expect("a PRIMARY deployment");
    assert_eq!(primary["id"], deployment.as_str());
    assert_eq!(primary["rollout_state"], "IN_PROGRESS");
    assert!(deployments.iter().any(|d| d["status"] == "ACTIVE"));
    let sd = &report["service_deployment"];
    assert_eq!(sd["arn"], service_deployment.as_str(), "the current one");
    assert_eq!(
        (&sd["status"], &sd["lifecycle_stage"], &sd["rfc_status"]),
        (
            &json!("IN_PROGRESS"),
            &json!("SCALE_UP"),
            &json!("IN_PROGRESS")
        ),
        "{sd:#}"
    );
    // The check block reports the unfinished release (a warning, not an error).
    assert_eq!(check_status(&ws.show(), "release_complete"), "fail");

    // The old tasks stop and the old deployment drains away. This time the deployment is named
    // by its service deployment ARN, as tagdeploy_prod_tag records it.
    env.emu.handle().advance(3);
    ws.write(
        "main.tf",
        &env.config(&task_digests_config(&format!(
            "  deployment_id = \"{service_deployment}\"\n"
        ))),
    );
    ws.apply(&[]);
    assert_eq!(env.take_operations(), TASK_DIGESTS_CALLS);
    let report = ws.outputs()["report"]["value"].clone();
    assert_eq!(report["status"], "COMPLETE", "{report:#}");
    assert_eq!(report["service_deployment"]["status"], "SUCCESSFUL");
    assert_eq!(report["complete"], true);
    assert_eq!(report["all_match"], true);
    assert_eq!(
        task_digests(&report),
        [hash_2.to_string(), hash_2.to_string()]
    );
    assert_eq!(report["deployments"].as_array().map(Vec::len), Some(1));
    assert_eq!(check_status(&ws.show(), "release_complete"), "pass");
}

terraform_test!(image_by_tag_by_digest_and_multi_arch);
fn image_by_tag_by_digest_and_multi_arch(tf: &Terraform) {
    let mut world = demo_world_json();
    add_image(
        &mut world,
        json!({"tags": ["hash_multi"], "generate": {"seed": "m", "format": "oci", "platforms": ["linux/amd64", "linux/arm64"]}}),
    );
    let env = Env::new(world);
    let (hash_1, hash_2, multi) = (
        env.digest("hash_1"),
        env.digest("hash_2"),
        env.digest("hash_multi"),
    );
    let body = format!(
        r#"
data "tagdeploy_image" "prod" {{
  repository = "example"
  tag        = "prod"
}}

data "tagdeploy_image" "by_digest" {{
  repository = "example"
  digest     = "{hash_2}"
}}

data "tagdeploy_image" "multi" {{
  repository = "example"
  tag        = "hash_multi"
}}

output "prod" {{
  value = data.tagdeploy_image.prod
}}

output "by_digest" {{
  value = data.tagdeploy_image.by_digest
}}

output "multi" {{
  value = data.tagdeploy_image.multi
}}
"#
    );
    let ws = env.workspace(tf, "ds-image", &body);
    env.take_operations();
    ws.apply(&[]);
    // Two calls per read: the image and the repository's URI.
    let mut expected = Vec::new();
    for _ in 0..3 {
        expected.extend(["ecr:DescribeImages", "ecr:DescribeRepositories"]);
    }
    expected.sort_unstable();
    assert_eq!(env.take_operations(), expected);

    let outputs = ws.outputs();
    let prod = &outputs["prod"]["value"];
    assert_eq!(prod["digest"], hash_1.as_str());
    assert_eq!(prod["id"], hash_1.as_str());
    assert_eq!(prod["tags"], json!(["hash_1", "prod"]));
    assert_eq!(
        prod["media_type"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    assert_eq!(prod["image_uri"], format!("{REGISTRY}/example@{hash_1}"));
    assert_eq!(prod["registry_id"], Json::Null);
    assert!(prod["size_bytes"].as_i64().is_some_and(|n| n > 0), "{prod}");
    let pushed_at = prod["pushed_at"].as_str().expect("pushed_at");
    assert!(
        pushed_at.len() >= 20 && pushed_at.as_bytes()[10] == b'T' && pushed_at.ends_with('Z'),
        "RFC 3339: {pushed_at}"
    );

    let by_digest = &outputs["by_digest"]["value"];
    assert_eq!(by_digest["tag"], Json::Null);
    assert_eq!(by_digest["digest"], hash_2.as_str());
    assert_eq!(by_digest["tags"], json!(["hash_2"]));
    assert_eq!(
        by_digest["image_uri"],
        format!("{REGISTRY}/example@{hash_2}")
    );

    let multi_image = &outputs["multi"]["value"];
    assert_eq!(multi_image["digest"], multi.as_str());
    assert_eq!(
        multi_image["media_type"],
        "application/vnd.oci.image.index.v1+json"
    );
    assert!(env.emu.mutations().is_empty());
}
