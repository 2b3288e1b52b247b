//! `tagdeploy_prod_tag` through real Terraform against the emulator: the RFC flow, multi-arch,
//! immutable tags, drift, interruption, import, triggers, several services, not waiting.
//! Failed rollouts are in `reliability::failed_releases`, refused input in
//! `reliability::bad_input`.

use std::time::Duration;

use serde_json::json;
use tagdeploy_emulator::FaultPlan;

use crate::support::aws::retag_by_hand;
use crate::support::emulator::{
    BackgroundEmulator, add_multi_arch_release, add_services, demo_world_json,
};
use crate::support::faults::hold;
use crate::support::observe::Observe;
use crate::support::process::kill_providers_in;
use crate::support::prod_tag::{prod_tag_config, prod_tag_state};
use crate::support::terraform::{Terraform, Workspace, terraform_test};

terraform_test!(rfc_flow_previews_then_promotes_hash_2);
fn rfc_flow_previews_then_promotes_hash_2(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(demo_world_json());
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let hash_1 = emulator.digest("hash_1");
    let hash_2 = emulator.digest("hash_2");
    let ws = Workspace::new(
        tf,
        "rfc-flow",
        &prod_tag_config(&emulator, &["example"], ""),
    );
    ws.init();

    // prod already runs hash_1: creating the resource moves nothing and redeploys nothing.
    ws.apply(&["-var", "release=hash_1"]);
    assert_eq!(
        emulator.count("UpdateService"),
        0,
        "{:?}",
        emulator.operations()
    );
    let state = prod_tag_state(&ws);
    assert_eq!(state["image_digest"], hash_1);
    assert_eq!(state["id"], "example:prod");
    assert_eq!(
        ws.plan_exit_code(&["-var", "release=hash_1"]).0,
        0,
        "second apply must be a no-op"
    );

    // The plan previews the move, both digests, before anything moves.
    let before = emulator.mutations().len();
    let (code, text) = ws.plan_exit_code(&["-var", "release=hash_2"]);
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
    assert_eq!(emulator.digest("prod"), hash_1);

    ws.apply(&["-var", "release=hash_2"]);
    assert_eq!(emulator.digest("prod"), hash_2);
    let state = prod_tag_state(&ws);
    assert_eq!(state["image_digest"], hash_2);
    assert_eq!(state["previous_digest"], hash_1);
    assert_eq!(state["image_tags"], json!(["hash_2", "prod"]));
    assert_eq!(
        state["image_uri"],
        format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/example@{hash_2}")
    );
    let deployment = state["deployments"]["example"].as_str().unwrap_or_default();
    assert!(
        deployment
            .starts_with("arn:aws:ecs:us-east-1:123456789012:service-deployment/example/example/"),
        "the service deployment's ARN: {state:#}"
    );
    let rollout = &state["rollouts"]["example"];
    assert_eq!(
        rollout,
        &json!({
            "service_arn": "arn:aws:ecs:us-east-1:123456789012:service/example/example",
            "strategy": "ROLLING",
            "status": "SUCCESSFUL",
            "lifecycle_stage": null,
            "rollout_state": "COMPLETED",
            "rfc_status": "COMPLETE",
        })
    );
    assert_eq!(emulator.count("UpdateService"), 1);
    assert_eq!(
        ws.plan_exit_code(&["-var", "release=hash_2"]).0,
        0,
        "nothing left to do after the promotion"
    );
}

terraform_test!(multi_arch_index_promotes_with_its_digest);
fn multi_arch_index_promotes_with_its_digest(tf: &Terraform) {
    let mut world = demo_world_json();
    add_multi_arch_release(&mut world);
    let emulator = BackgroundEmulator::manual(world);
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let index = emulator.digest("hash_multi");
    let ws = Workspace::new(
        tf,
        "multi-arch",
        &prod_tag_config(&emulator, &["example"], ""),
    );
    ws.init();
    ws.apply(&["-var", "release=hash_multi"]);
    assert_eq!(
        emulator.digest("prod"),
        index,
        "the index itself, not a child, is tagged"
    );
    assert_eq!(prod_tag_state(&ws)["image_digest"], index);
}

terraform_test!(immutable_environment_tag_is_refused_at_plan);
fn immutable_environment_tag_is_refused_at_plan(tf: &Terraform) {
    let mut world = demo_world_json();
    world["repositories"][0]["imageTagMutability"] = json!("IMMUTABLE");
    let emulator = BackgroundEmulator::manual(world);
    let ws = Workspace::new(
        tf,
        "immutable",
        &prod_tag_config(&emulator, &["example"], ""),
    );
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
    let ws = Workspace::new(
        tf,
        "exclusion",
        &prod_tag_config(&emulator, &["example"], ""),
    );
    ws.init();
    ws.apply(&["-var", "release=hash_2"]);
    assert_eq!(emulator.digest("prod"), emulator.digest("hash_2"));
}

terraform_test!(tag_moved_outside_terraform_is_planned_back);
fn tag_moved_outside_terraform_is_planned_back(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(demo_world_json());
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let hash_1 = emulator.digest("hash_1");
    let hash_2 = emulator.digest("hash_2");
    let ws = Workspace::new(tf, "drift", &prod_tag_config(&emulator, &["example"], ""));
    ws.init();
    ws.apply(&["-var", "release=hash_2"]);

    // Someone moves prod back by hand.
    retag_by_hand(&emulator.url(), &hash_1, "prod");

    let (code, text) = ws.plan_exit_code(&["-var", "release=hash_2"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains(&hash_1) && text.contains(&hash_2), "{text}");
    let deploys = emulator.count("UpdateService");
    ws.apply(&["-var", "release=hash_2"]);
    assert_eq!(emulator.digest("prod"), hash_2);
    assert_eq!(
        emulator.count("UpdateService"),
        deploys + 1,
        "the services are redeployed onto hash_2"
    );
    assert_eq!(ws.plan_exit_code(&["-var", "release=hash_2"]).0, 0);
}

terraform_test!(interrupted_promotion_converges_on_the_next_apply);
fn interrupted_promotion_converges_on_the_next_apply(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(demo_world_json());
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let hash_2 = emulator.digest("hash_2");
    let ws = Workspace::new(
        tf,
        "interrupted",
        &prod_tag_config(&emulator, &["example"], ""),
    );
    ws.init();
    ws.apply(&["-var", "release=hash_1"]);

    // Hold UpdateService, so the provider has retagged and is waiting on the redeploy; kill it.
    emulator.handle().set_faults(hold("UpdateService"));
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
    let run = ws.try_apply(&["-var", "release=hash_2"]);
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
        emulator.digest("prod"),
        hash_2,
        "the retag happened before the kill"
    );
    // The held UpdateService of the killed provider is not served yet. Released, ECS-like, it
    // may still be carried out (its client is gone, the request had arrived): then the next
    // apply adopts that deployment; if not, the next apply starts it. Either way the release
    // is deployed exactly once.
    let deployed_before = emulator.served("UpdateService");
    emulator.handle().set_faults(FaultPlan::default());
    emulator.handle().release("UpdateService");

    ws.apply(&["-var", "release=hash_2"]);
    let state = prod_tag_state(&ws);
    assert_eq!(state["image_digest"], hash_2);
    assert_eq!(state["rollouts"]["example"]["rollout_state"], "COMPLETED");
    assert_eq!(
        emulator.served("UpdateService"),
        deployed_before + 1,
        "{:?}",
        emulator.operations()
    );
    assert_eq!(ws.plan_exit_code(&["-var", "release=hash_2"]).0, 0);
}

terraform_test!(import_by_repository_and_tag);
fn import_by_repository_and_tag(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(demo_world_json());
    let hash_1 = emulator.digest("hash_1");
    let ws = Workspace::new(tf, "import", &prod_tag_config(&emulator, &["example"], ""));
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
    let state = prod_tag_state(&ws);
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
        &prod_tag_config(
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
    assert_eq!(emulator.digest("prod"), emulator.digest("hash_1"));
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
        &prod_tag_config(&emulator, &services, "  wait_for_rollout = var.wait\n"),
    );
    ws.write("wait.tf", "variable \"wait\" {\n  type = bool\n}\n");
    ws.init();
    ws.apply(&["-var", "release=hash_1", "-var", "wait=false"]);
    ws.apply(&["-var", "release=hash_2", "-var", "wait=false"]);
    assert_eq!(emulator.count("UpdateService"), 3);
    let state = prod_tag_state(&ws);
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
    let state = prod_tag_state(&ws);
    assert_eq!(
        state["deployments"], started,
        "the deployments under way are adopted, not replaced"
    );
    assert_eq!(rollout_states(&state), ["COMPLETED"; 3]);
}
