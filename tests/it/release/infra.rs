//! `infra/`: `terraform fmt`-clean, and `terraform init` + `validate` against hashicorp/aws
//! 5.100.0 from the filesystem mirror at `/opt/tf-plugins` (or `TAGDEPLOY_AWS_PROVIDER_MIRROR`)
//! plus the built tagdeploy provider. Without that mirror the validation says SKIPPED: a fresh
//! machine may not have the 600 MB provider binary, and it is never downloaded.

use std::path::PathBuf;

use crate::support::repo_root;
use crate::support::terraform::{Terraform, Workspace, required_providers, terraform_test};

use super::use_mirrors;

/// The hashicorp/aws version the stack is validated with.
pub(super) const AWS_VERSION: &str = "5.100.0";

/// The filesystem mirror that holds hashicorp/aws.
pub(super) fn aws_mirror() -> PathBuf {
    std::env::var_os("TAGDEPLOY_AWS_PROVIDER_MIRROR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/tf-plugins"))
}

terraform_test!(infra_is_formatted);
fn infra_is_formatted(tf: &Terraform) {
    let ws = Workspace::new(tf, "infra-fmt", &required_providers());
    ws.assert_formatted(&repo_root().join("infra"), "run `terraform fmt infra`");
}

terraform_test!(infra_validates_with_hashicorp_aws);
fn infra_validates_with_hashicorp_aws(tf: &Terraform) {
    let mirror = aws_mirror();
    let aws = mirror
        .join("registry.terraform.io/hashicorp/aws")
        .join(AWS_VERSION)
        .join(crate::support::terraform::platform());
    if !aws.is_dir() {
        eprintln!(
            "SKIPPED: no hashicorp/aws {AWS_VERSION} at {} (set TAGDEPLOY_AWS_PROVIDER_MIRROR to a filesystem mirror holding it)",
            aws.display()
        );
        return;
    }
    let ws = Workspace::new(tf, "infra-validate", "");
    let own_mirror = ws.work_dir().parent().expect("scratch dir").join("mirror");
    use_mirrors(
        &ws,
        &[
            (own_mirror.as_path(), "terraform.local/*/*"),
            (mirror.as_path(), "registry.terraform.io/hashicorp/*"),
        ],
    );
    let infra = repo_root().join("infra");
    let mut files = 0;
    for entry in std::fs::read_dir(&infra).expect("read infra").flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "tf") {
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            ws.write(
                &name,
                &std::fs::read_to_string(&path).expect("read infra file"),
            );
            files += 1;
        }
    }
    assert!(files >= 5, "infra/ holds {files} .tf files");
    ws.init();
    let lock =
        std::fs::read_to_string(ws.work_dir().join(".terraform.lock.hcl")).expect("lock file");
    assert!(
        lock.contains(&format!("version     = \"{AWS_VERSION}\"")),
        "hashicorp/aws {AWS_VERSION} was installed:\n{lock}"
    );
    let run = ws.run(&["validate", "-json", "-no-color"]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|_| panic!("validate -json output:\n{}", run.transcript()));
    assert_eq!(
        report["valid"],
        true,
        "infra/ does not validate:\n{}",
        serde_json::to_string_pretty(&report["diagnostics"]).unwrap_or_default()
    );
    assert_eq!(
        report["warning_count"],
        0,
        "infra/ validates with warnings:\n{}",
        serde_json::to_string_pretty(&report["diagnostics"]).unwrap_or_default()
    );
}

/// The order `infra/` relies on for the first release, against the emulator: the service exists
/// with no task and `prod` does not exist yet; the promotion creates `prod` and its forced
/// deployment completes with zero tasks; the service then scales up (as aws_ecs_service does
/// after the promotion) and every task runs the release, with no second deployment.
#[test]
fn first_release_promotes_before_the_service_scales_up() {
    use std::time::Duration;

    use crate::support::emulator::{BackgroundEmulator, demo_world_json};
    use crate::support::observe::Observe;

    let mut world = demo_world_json();
    world["repositories"][0]["images"][0]["tags"] = serde_json::json!(["hash_1"]);
    world["services"][0]["desiredCount"] = serde_json::json!(0);
    let emulator = BackgroundEmulator::manual(world);
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let config = format!(
        "{}\n{}\nresource \"tagdeploy_prod_tag\" \"prod\" {{\n  repository  = \"example\"\n  release_tag = \"hash_1\"\n  cluster     = \"example\"\n  services    = [\"example\"]\n}}\n\ndata \"tagdeploy_task_digests\" \"prod\" {{\n  cluster    = \"example\"\n  service    = \"example\"\n  depends_on = [tagdeploy_prod_tag.prod]\n}}\n\noutput \"report\" {{\n  value = data.tagdeploy_task_digests.prod\n}}\n",
        required_providers(),
        emulator.provider_block()
    );
    let tf = Terraform::v1_15();
    let ws = Workspace::new(&tf, "infra-first-release", &config);
    ws.init();
    ws.apply(&[]);
    let report = &ws.outputs()["report"]["value"];
    assert_eq!(report["tasks"], serde_json::json!([]), "{report:#}");
    // The promotion waited for its deployment: one, COMPLETED, with zero tasks. (`complete` is
    // false for a service with no task: there is no task to match.)
    let deployments = report["deployments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(deployments.len(), 1, "{report:#}");
    assert_eq!(deployments[0]["rollout_state"], "COMPLETED", "{report:#}");
    assert_eq!(deployments[0]["desired_count"], 0, "{report:#}");
    let hash_1 = report["env_digest"].as_str().unwrap_or_default().to_owned();
    assert!(hash_1.starts_with("sha256:"), "{report:#}");

    // aws_ecs_service scales up after the promotion (it depends on it).
    let credentials =
        aws_sdk_ecs::config::Credentials::new("AKIDTEST", "test-secret", None, None, "test");
    let ecs = aws_sdk_ecs::Client::from_conf(
        aws_sdk_ecs::Config::builder()
            .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
            .region(aws_sdk_ecs::config::Region::new("us-east-1"))
            .credentials_provider(credentials)
            .endpoint_url(emulator.url())
            .build(),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime
        .block_on(
            ecs.update_service()
                .cluster("example")
                .service("example")
                .desired_count(2)
                .send(),
        )
        .expect("scale up");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let report = loop {
        ws.apply(&["-refresh-only"]);
        let report = ws.outputs()["report"]["value"].clone();
        if report["complete"] == true || std::time::Instant::now() > deadline {
            break report;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(report["complete"], true, "{report:#}");
    let tasks = report["tasks"].as_array().cloned().unwrap_or_default();
    assert_eq!(tasks.len(), 2, "{report:#}");
    assert!(
        tasks.iter().all(|t| t["digest"] == hash_1.as_str()),
        "every task runs the release prod was created on: {report:#}"
    );
    assert_eq!(
        emulator.count("UpdateService"),
        2,
        "the promotion's deployment and the scale-up, nothing else"
    );
}
