//! `tagdeploy_prod_tag` through real Terraform against the emulator: the RFC flow, multi-arch,
//! immutable tags, failed rollouts, drift, interruption, import, triggers, several services,
//! not waiting, and refused input with no AWS call that changes anything.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value as Json, json};
use tagdeploy_emulator::{FaultKind, FaultPlan, FaultRule};

use crate::support::emulator::{BackgroundEmulator, add_image, add_services, demo_world_json};
use crate::support::terraform::{Terraform, Workspace, required_providers, terraform_test};

/// A configuration promoting `var.release` to prod for `services`, with extra resource lines.
fn config(emulator: &BackgroundEmulator, services: &[&str], extra: &str) -> String {
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

/// The resource's attributes from `terraform show -json`.
fn resource_values(ws: &Workspace) -> Json {
    let show = ws.show();
    let resources = show["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    resources
        .into_iter()
        .find(|r| r["type"] == "tagdeploy_prod_tag")
        .map(|r| r["values"].clone())
        .unwrap_or(Json::Null)
}

/// The digest a tag points at in the emulator, read through the AWS CLI-free admin state.
fn digest_of(emulator: &BackgroundEmulator, tag: &str) -> String {
    let (ecr, _) = crate::support::emulator::clients(&emulator.url());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let repo = terraform_provider_tagdeploy::aws::image::RepositoryRef::new("example");
    let selector = terraform_provider_tagdeploy::aws::image::ImageSelector::Tag(tag.to_owned());
    runtime
        .block_on(ecr.image(&repo, &selector))
        .expect("tag exists")
        .digest
        .to_string()
}

fn plan_exit_code(ws: &Workspace, args: &[&str]) -> (i32, String) {
    let mut all = vec!["plan", "-detailed-exitcode", "-no-color"];
    all.extend_from_slice(args);
    let run = ws.run(&all);
    (
        run.code.unwrap_or(-1),
        format!("{}{}", run.stdout, run.stderr),
    )
}

terraform_test!(rfc_flow_previews_then_promotes_hash_2);
fn rfc_flow_previews_then_promotes_hash_2(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(demo_world_json());
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let hash_1 = digest_of(&emulator, "hash_1");
    let hash_2 = digest_of(&emulator, "hash_2");
    let ws = Workspace::new(tf, "rfc-flow", &config(&emulator, &["example"], ""));
    ws.init();

    // prod already runs hash_1: creating the resource moves nothing and redeploys nothing.
    ws.apply(&["-var", "release=hash_1"]);
    assert_eq!(
        emulator.count("UpdateService"),
        0,
        "{:?}",
        emulator.operations()
    );
    let state = resource_values(&ws);
    assert_eq!(state["image_digest"], hash_1);
    assert_eq!(state["id"], "example:prod");
    assert_eq!(
        plan_exit_code(&ws, &["-var", "release=hash_1"]).0,
        0,
        "second apply must be a no-op"
    );

    // The plan previews the move, both digests, before anything moves.
    let before = emulator.mutations().len();
    let (code, text) = plan_exit_code(&ws, &["-var", "release=hash_2"]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains(&hash_1) && text.contains(&hash_2),
        "plan must show both digests:\n{text}"
    );
    assert!(text.contains("update in-place"), "{text}");
    assert_eq!(
        emulator.mutations().len(),
        before,
        "plan must not change anything"
    );
    assert_eq!(digest_of(&emulator, "prod"), hash_1);

    ws.apply(&["-var", "release=hash_2"]);
    assert_eq!(digest_of(&emulator, "prod"), hash_2);
    let state = resource_values(&ws);
    assert_eq!(state["image_digest"], hash_2);
    assert_eq!(state["previous_digest"], hash_1);
    assert_eq!(state["image_tags"], json!(["hash_2", "prod"]));
    assert_eq!(
        state["image_uri"],
        format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/example@{hash_2}")
    );
    let deployment_id = state["deployments"]["example"].as_str().unwrap_or_default();
    assert!(deployment_id.starts_with("ecs-svc/"), "{state:#}");
    let rollout = &state["rollouts"]["example"];
    assert_eq!(
        (
            rollout["status"].as_str(),
            rollout["rollout_state"].as_str(),
            rollout["service_arn"].as_str()
        ),
        (
            Some("PRIMARY"),
            Some("COMPLETED"),
            Some("arn:aws:ecs:us-east-1:123456789012:service/example/example")
        )
    );
    assert_eq!(emulator.count("UpdateService"), 1);
    assert_eq!(
        plan_exit_code(&ws, &["-var", "release=hash_2"]).0,
        0,
        "nothing left to do after the promotion"
    );
}

terraform_test!(multi_arch_index_promotes_with_its_digest);
fn multi_arch_index_promotes_with_its_digest(tf: &Terraform) {
    let mut world = demo_world_json();
    add_image(
        &mut world,
        json!({"tags": ["hash_multi"], "generate": {"seed": "multi", "platforms": ["linux/amd64", "linux/arm64"]}}),
    );
    let emulator = BackgroundEmulator::manual(world);
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let index = digest_of(&emulator, "hash_multi");
    let ws = Workspace::new(tf, "multi-arch", &config(&emulator, &["example"], ""));
    ws.init();
    ws.apply(&["-var", "release=hash_multi"]);
    assert_eq!(
        digest_of(&emulator, "prod"),
        index,
        "the index itself, not a child, is tagged"
    );
    assert_eq!(resource_values(&ws)["image_digest"], index);
}

terraform_test!(immutable_environment_tag_is_refused_at_plan);
fn immutable_environment_tag_is_refused_at_plan(tf: &Terraform) {
    let mut world = demo_world_json();
    world["repositories"][0]["imageTagMutability"] = json!("IMMUTABLE");
    let emulator = BackgroundEmulator::manual(world);
    let ws = Workspace::new(tf, "immutable", &config(&emulator, &["example"], ""));
    ws.init();
    let run = ws
        .run(&["plan", "-json", "-no-color", "-var", "release=hash_2"])
        .failure();
    let errors = run.json_errors();
    let error = errors
        .iter()
        .find(|d| d.summary == "Immutable Environment Tag")
        .unwrap_or_else(|| panic!("{errors:#?}"));
    assert!(
        error.detail.contains("IMMUTABLE") && error.detail.contains("prod"),
        "{error:?}"
    );
    assert!(
        emulator.mutations().is_empty(),
        "{:?}",
        emulator.mutations()
    );
}

terraform_test!(exclusion_filter_lets_prod_move);
fn exclusion_filter_lets_prod_move(tf: &Terraform) {
    let mut world = demo_world_json();
    world["repositories"][0]["imageTagMutability"] = json!("IMMUTABLE_WITH_EXCLUSION");
    world["repositories"][0]["imageTagMutabilityExclusionFilters"] =
        json!([{"filterType": "WILDCARD", "filter": "pro*"}]);
    let emulator = BackgroundEmulator::manual(world);
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let ws = Workspace::new(tf, "exclusion", &config(&emulator, &["example"], ""));
    ws.init();
    ws.apply(&["-var", "release=hash_2"]);
    assert_eq!(digest_of(&emulator, "prod"), digest_of(&emulator, "hash_2"));
}

terraform_test!(failed_rollout_rolls_the_tag_back_and_state_tells_the_truth);
fn failed_rollout_rolls_the_tag_back_and_state_tells_the_truth(tf: &Terraform) {
    let mut world = demo_world_json();
    add_image(
        &mut world,
        json!({"tags": ["hash_bad"], "generate": {"seed": "bad"}, "healthy": false}),
    );
    let emulator = BackgroundEmulator::manual(world);
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let hash_1 = digest_of(&emulator, "hash_1");
    let ws = Workspace::new(tf, "failed-rollout", &config(&emulator, &["example"], ""));
    ws.init();
    ws.apply(&["-var", "release=hash_1"]);

    let run = ws
        .run(&[
            "apply",
            "-auto-approve",
            "-no-color",
            "-var",
            "release=hash_bad",
        ])
        .failure();
    let text = format!("{}{}", run.stdout, run.stderr);
    assert!(text.contains("Rollout Failed"), "{text}");
    assert!(
        text.contains("Rolled back") && text.contains(&hash_1),
        "the error must say what happened:\n{text}"
    );
    assert_eq!(
        digest_of(&emulator, "prod"),
        hash_1,
        "the tag is back on the previous release"
    );
    let state = resource_values(&ws);
    assert_eq!(
        state["image_digest"], hash_1,
        "state must say where the tag really points"
    );
    // The next plan still wants hash_bad: nothing is silently accepted.
    assert_eq!(plan_exit_code(&ws, &["-var", "release=hash_bad"]).0, 2);
}

terraform_test!(tag_moved_outside_terraform_is_planned_back);
fn tag_moved_outside_terraform_is_planned_back(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(demo_world_json());
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let hash_1 = digest_of(&emulator, "hash_1");
    let hash_2 = digest_of(&emulator, "hash_2");
    let ws = Workspace::new(tf, "drift", &config(&emulator, &["example"], ""));
    ws.init();
    ws.apply(&["-var", "release=hash_2"]);

    // Someone moves prod back by hand.
    let (ecr, _) = crate::support::emulator::clients(&emulator.url());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let repo = terraform_provider_tagdeploy::aws::image::RepositoryRef::new("example");
    let digest = terraform_provider_tagdeploy::aws::image::Digest::parse(&hash_1).expect("digest");
    runtime
        .block_on(ecr.retag(&repo, &digest, "prod"))
        .expect("manual retag");

    let (code, text) = plan_exit_code(&ws, &["-var", "release=hash_2"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains(&hash_1) && text.contains(&hash_2), "{text}");
    let deploys = emulator.count("UpdateService");
    ws.apply(&["-var", "release=hash_2"]);
    assert_eq!(digest_of(&emulator, "prod"), hash_2);
    assert_eq!(
        emulator.count("UpdateService"),
        deploys + 1,
        "the services are redeployed onto hash_2"
    );
    assert_eq!(plan_exit_code(&ws, &["-var", "release=hash_2"]).0, 0);
}

terraform_test!(interrupted_promotion_converges_on_the_next_apply);
fn interrupted_promotion_converges_on_the_next_apply(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(demo_world_json());
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let hash_2 = digest_of(&emulator, "hash_2");
    let ws = Workspace::new(tf, "interrupted", &config(&emulator, &["example"], ""));
    ws.init();
    ws.apply(&["-var", "release=hash_1"]);

    // Hold UpdateService, so the provider has retagged and is waiting on the redeploy; kill it.
    emulator.handle().set_faults(FaultPlan {
        seed: 1,
        rules: vec![FaultRule {
            operation: "UpdateService".into(),
            service: None,
            kind: FaultKind::Hold,
            rate: 1.0,
            latency_ms: 0,
            max_faults: Some(1),
        }],
    });
    let work_dir = ws.work_dir();
    let handle = emulator.shared();
    let killer = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            if handle.held().iter().any(|op| op == "UpdateService") {
                return kill_providers_in(&work_dir) > 0;
            }
        }
        false
    });
    let run = ws.run(&[
        "apply",
        "-auto-approve",
        "-no-color",
        "-var",
        "release=hash_2",
    ]);
    assert!(
        killer.join().expect("killer thread"),
        "the provider was never seen holding UpdateService"
    );
    assert_ne!(
        run.code,
        Some(0),
        "the interrupted apply cannot succeed:\n{}",
        run.transcript()
    );
    assert_eq!(
        digest_of(&emulator, "prod"),
        hash_2,
        "the retag happened before the kill"
    );
    emulator.handle().set_faults(FaultPlan::default());
    emulator.handle().release("UpdateService");
    let deploys_before = emulator.count("UpdateService");

    ws.apply(&["-var", "release=hash_2"]);
    let state = resource_values(&ws);
    assert_eq!(state["image_digest"], hash_2);
    assert_eq!(state["rollouts"]["example"]["rollout_state"], "COMPLETED");
    assert_eq!(
        emulator.count("UpdateService"),
        deploys_before + 1,
        "{:?}",
        emulator.operations()
    );
    assert_eq!(plan_exit_code(&ws, &["-var", "release=hash_2"]).0, 0);
}

/// SIGKILLs the provider processes Terraform started in `work_dir` (matched by their working
/// directory, so providers of tests running in parallel are left alone); returns how many.
fn kill_providers_in(work_dir: &std::path::Path) -> usize {
    let mut killed = 0;
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let is_provider =
            String::from_utf8_lossy(&cmdline).contains("terraform-provider-tagdeploy");
        let cwd = std::fs::read_link(entry.path().join("cwd")).ok();
        if is_provider && cwd.as_deref() == Some(work_dir) {
            let status = Command::new("kill").args(["-9", &pid.to_string()]).status();
            if status.is_ok_and(|s| s.success()) {
                killed += 1;
            }
        }
    }
    killed
}

terraform_test!(import_by_repository_and_tag);
fn import_by_repository_and_tag(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(demo_world_json());
    let hash_1 = digest_of(&emulator, "hash_1");
    let ws = Workspace::new(tf, "import", &config(&emulator, &["example"], ""));
    ws.init();
    ws.run(&[
        "import",
        "-no-color",
        "-var",
        "release=hash_1",
        "tagdeploy_prod_tag.prod",
        "example:prod",
    ])
    .success();
    let state = resource_values(&ws);
    assert_eq!(state["repository"], "example");
    assert_eq!(state["tag"], "prod");
    assert_eq!(state["image_digest"], hash_1);
    let bad = ws.run(&[
        "import",
        "-no-color",
        "-var",
        "release=hash_1",
        "tagdeploy_prod_tag.prod",
        "no-tag-here",
    ]);
    assert_ne!(bad.code, Some(0));
    assert!(
        bad.stderr.contains("<repository>:<tag>"),
        "{}",
        bad.transcript()
    );
    assert!(emulator.mutations().is_empty());
}

terraform_test!(triggers_force_a_redeploy_without_moving_the_tag);
fn triggers_force_a_redeploy_without_moving_the_tag(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(demo_world_json());
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let ws = Workspace::new(
        tf,
        "triggers",
        &config(
            &emulator,
            &["example"],
            "  triggers = { build = var.build }\n",
        ),
    );
    ws.write("build.tf", "variable \"build\" {\n  type = string\n}\n");
    ws.init();
    ws.apply(&["-var", "release=hash_1", "-var", "build=1"]);
    assert_eq!(emulator.count("UpdateService"), 0);
    ws.apply(&["-var", "release=hash_1", "-var", "build=2"]);
    assert_eq!(
        emulator.count("UpdateService"),
        1,
        "a trigger change redeploys"
    );
    assert_eq!(digest_of(&emulator, "prod"), digest_of(&emulator, "hash_1"));
}

terraform_test!(several_services_and_not_waiting);
fn several_services_and_not_waiting(tf: &Terraform) {
    let mut world = demo_world_json();
    add_services(&mut world, 2);
    let emulator = BackgroundEmulator::manual(world); // the clock does not move until we say so
    let services = ["example", "example-1", "example-2"];
    let ws = Workspace::new(
        tf,
        "no-wait",
        &config(&emulator, &services, "  wait_for_rollout = var.wait\n"),
    );
    ws.write("wait.tf", "variable \"wait\" {\n  type = bool\n}\n");
    ws.init();
    ws.apply(&["-var", "release=hash_1", "-var", "wait=false"]);
    ws.apply(&["-var", "release=hash_2", "-var", "wait=false"]);
    assert_eq!(emulator.count("UpdateService"), 3);
    let state = resource_values(&ws);
    let started = state["deployments"].clone();
    assert_eq!(started.as_object().map(|m| m.len()), Some(3), "{state:#}");
    let rollout_states = |state: &serde_json::Value| -> Vec<String> {
        services
            .iter()
            .map(|s| {
                state["rollouts"][*s]["rollout_state"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned()
            })
            .collect()
    };
    assert_eq!(rollout_states(&state), ["IN_PROGRESS"; 3]);

    // Waiting now adopts the rollouts under way instead of starting new ones.
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    ws.apply(&["-var", "release=hash_2", "-var", "wait=true"]);
    assert_eq!(
        emulator.count("UpdateService"),
        3,
        "no second deployment: {:?}",
        emulator.operations()
    );
    let state = resource_values(&ws);
    assert_eq!(
        state["deployments"], started,
        "the deployments under way are adopted, not replaced"
    );
    assert_eq!(rollout_states(&state), ["COMPLETED"; 3]);
}

terraform_test!(invalid_input_is_refused_on_the_attribute_with_no_mutation);
fn invalid_input_is_refused_on_the_attribute_with_no_mutation(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(demo_world_json());
    let digest = format!("sha256:{}", "c".repeat(64));
    // (label, resource body, attribute the error must point at, words the error must contain)
    let cases: [(&str, String, &str, &str); 9] = [
        (
            "bad_repository_name",
            r#"repository = "Not_Valid!""#.into(),
            "repository",
            "repository",
        ),
        (
            "missing_repository",
            r#"repository = "nope""#.into(),
            "repository",
            "nope",
        ),
        (
            "missing_release",
            r#"release_tag = "hash_9""#.into(),
            "release_tag",
            "hash_9",
        ),
        (
            "missing_digest",
            format!(r#"image_digest = "{digest}""#),
            "image_digest",
            &digest[..20],
        ),
        (
            "bad_digest",
            r#"image_digest = "sha256:xyz""#.into(),
            "image_digest",
            "digest",
        ),
        (
            "both_release_and_digest",
            format!("release_tag = \"hash_2\"\n  image_digest = \"{digest}\""),
            "image_digest",
            "only one",
        ),
        (
            "missing_cluster",
            r#"cluster = "nope""#.into(),
            "cluster",
            "nope",
        ),
        (
            "missing_service",
            r#"services = ["example", "ghost"]"#.into(),
            "services",
            "ghost",
        ),
        (
            "empty_services",
            r#"services = []"#.into(),
            "services",
            "at least one",
        ),
    ];
    for (label, body, attribute, words) in &cases {
        let mut lines = vec![
            ("repository", r#"repository = "example""#.to_owned()),
            ("release", r#"release_tag = "hash_2""#.to_owned()),
            ("cluster", r#"cluster = "example""#.to_owned()),
            ("services", r#"services = ["example"]"#.to_owned()),
        ];
        let key = match *attribute {
            "release_tag" | "image_digest" => "release",
            other => other,
        };
        for line in &mut lines {
            if line.0 == key {
                line.1 = body.clone();
            }
        }
        let resource = lines
            .iter()
            .map(|(_, l)| format!("  {l}\n"))
            .collect::<String>();
        let config = format!(
            "{}\n{}\nresource \"tagdeploy_prod_tag\" \"prod\" {{\n{resource}}}\n",
            required_providers(),
            emulator.provider_block()
        );
        let ws = Workspace::new(tf, &format!("invalid-{label}"), &config);
        ws.init();
        let run = ws.run(&["plan", "-json", "-no-color"]).failure();
        let errors = run.json_errors();
        assert!(
            errors.iter().any(|d| d.code.contains(attribute)),
            "{label}: no error points at {attribute}: {errors:#?}"
        );
        assert!(
            errors.iter().any(|d| format!("{} {}", d.summary, d.detail)
                .to_lowercase()
                .contains(&words.to_lowercase())),
            "{label}: no error says {words:?}: {errors:#?}"
        );
    }
    assert!(
        emulator.mutations().is_empty(),
        "refused input changed something: {:?}",
        emulator.mutations()
    );
}
