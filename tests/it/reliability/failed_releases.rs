//! Failed releases: clear errors, the tag rolled back where promised, no service left on an
//! unintended digest.
//!
//! - an unhealthy image, with the ECS circuit breaker rolling back (the tag goes back and ECS
//!   returns the service to its previous revision, so nothing is redeployed), and with the
//!   breaker on but its rollback off (the service deployment is STOPPED and the failed
//!   deployment stays PRIMARY; only our redeploy saves the service);
//! - the release tag deleted between `plan -out` and applying that plan, with the image kept
//!   under another tag or deleted entirely: Terraform plans again while applying, the provider
//!   resolves `release_tag` again, and refuses on `release_tag` before anything moves (a deleted
//!   release tag most likely means a pulled release; promoting the recorded digest anyway would
//!   ship what someone just withdrew);
//! - a manifest list whose child disappears before PutImage (ECR's
//!   `ReferencedImagesNotFoundException`): a clear error, nothing moved or redeployed.

use std::time::Duration;

use aws_sdk_ecr::types::ImageIdentifier;
use serde_json::json;
use tagdeploy_emulator::FaultPlan;

use crate::support::aws::batch_delete;
use crate::support::emulator::{
    BackgroundEmulator, add_multi_arch_release, add_unhealthy_release, demo_world_json,
};
use crate::support::faults::hold;
use crate::support::observe::Observe;
use crate::support::prod_tag::{prod_tag_config, prod_tag_state};
use crate::support::terraform::{Terraform, Workspace, terraform_test};
use crate::support::wait_until;

/// An unhealthy release with the breaker's rollback on or off; we roll the tag back either way.
fn unhealthy_release(tf: &Terraform, ecs_rollback: bool) {
    let mut world = demo_world_json();
    world["services"][0]["deploymentConfiguration"]["deploymentCircuitBreaker"] =
        json!({"enable": true, "rollback": ecs_rollback});
    add_unhealthy_release(&mut world);
    let emulator = BackgroundEmulator::manual(world);
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let hash_1 = emulator.digest("hash_1");
    let hash_bad = emulator.digest("hash_bad");
    let ws = Workspace::new(
        tf,
        &format!("unhealthy-rollback-{ecs_rollback}"),
        &prod_tag_config(&emulator, &["example"], ""),
    );
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
    // Terraform wraps long lines: compare with whitespace collapsed.
    let text = run
        .transcript()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains("Rollout Failed"), "{text}");
    assert!(text.contains("circuit breaker TRIGGERED"), "{text}");
    if ecs_rollback {
        // ECS returns the service to hash_1 itself: moving the tag back is all that is left.
        assert!(
            text.contains("ended ROLLBACK_") || text.contains("is ROLLBACK_"),
            "{text}"
        );
        assert!(
            text.contains("so no new deployment was started there"),
            "{text}"
        );
    } else {
        // The failed deployment stays where it stopped: only our redeploy saves the service.
        assert!(text.contains("ended STOPPED"), "{text}");
        assert!(
            text.contains("a new deployment was started for example"),
            "{text}"
        );
    }
    assert!(
        text.contains("Rolled back") && text.contains(&hash_1),
        "the error says what happened:\n{text}"
    );
    assert_eq!(emulator.digest("prod"), hash_1, "the tag is back");
    assert_eq!(
        prod_tag_state(&ws)["image_digest"],
        hash_1,
        "state is truthful"
    );
    // Once the rollback deployment finishes, nothing runs the bad digest.
    assert!(
        wait_until(Duration::from_secs(30), || {
            emulator.running_digests("example") == [hash_1.clone()]
        }),
        "the service runs {:?}, not only {hash_1} (bad: {hash_bad})",
        emulator.running_digests("example")
    );
    // The next plan still wants hash_bad: nothing is silently accepted.
    let (code, text) = ws.plan_exit_code(&["-var", "release=hash_bad"]);
    assert_eq!(code, 2, "{text}");
}

terraform_test!(unhealthy_release_is_rolled_back_with_and_without_ecs_rollback);
fn unhealthy_release_is_rolled_back_with_and_without_ecs_rollback(tf: &Terraform) {
    std::thread::scope(|scope| {
        let with = scope.spawn(|| unhealthy_release(tf, true));
        let without = scope.spawn(|| unhealthy_release(tf, false));
        let (with, without) = (with.join(), without.join());
        assert!(with.is_ok() && without.is_ok(), "see the panics above");
    });
}

/// The release is deleted between `plan -out` and `apply PLAN`: only its tag (`gone_entirely`
/// false: the image keeps another tag) or the whole image.
fn release_deleted_after_plan(tf: &Terraform, gone_entirely: bool) {
    let mut world = demo_world_json();
    // hash_2 also carries `keep`, so deleting the tag leaves the image.
    world["repositories"][0]["images"][1]["tags"] = json!(["hash_2", "keep"]);
    let emulator = BackgroundEmulator::manual(world);
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let hash_1 = emulator.digest("hash_1");
    let hash_2 = emulator.digest("hash_2");
    let ws = Workspace::new(
        tf,
        &format!("deleted-release-{gone_entirely}"),
        &prod_tag_config(&emulator, &["example"], ""),
    );
    ws.init();
    ws.apply(&["-var", "release=hash_1"]);
    ws.run(&[
        "plan",
        "-no-color",
        "-out=release.tfplan",
        "-var",
        "release=hash_2",
    ])
    .success();

    let id = if gone_entirely {
        ImageIdentifier::builder().image_digest(&hash_2).build()
    } else {
        ImageIdentifier::builder().image_tag("hash_2").build()
    };
    batch_delete(&emulator.url(), vec![id]);
    assert_eq!(emulator.digest_of("example", "hash_2"), None);
    let puts = emulator.count("PutImage");

    // Terraform plans again while applying a saved plan; the release tag is gone, and a deleted
    // release tag most likely means the release was pulled: refusing is right, whether or not
    // the image survives under another tag.
    let run = ws
        .run(&["apply", "-auto-approve", "-no-color", "release.tfplan"])
        .failure();
    let text = run.transcript();
    assert!(
        text.contains("Resolve Release Error")
            && text.contains("no image tagged \"hash_2\"")
            && text.contains("release_tag"),
        "the error names the missing release on release_tag:\n{text}"
    );
    assert_eq!(emulator.digest("prod"), hash_1, "nothing moved");
    assert_eq!(emulator.served("UpdateService"), 0, "nothing redeployed");
    assert_eq!(emulator.count("PutImage"), puts, "no retag attempted");
    assert_eq!(
        prod_tag_state(&ws)["image_digest"],
        hash_1,
        "state is truthful"
    );
    assert_eq!(
        emulator.running_digests("example"),
        std::slice::from_ref(&hash_1)
    );
    let _ = hash_2;
}

terraform_test!(release_deleted_between_plan_and_apply);
fn release_deleted_between_plan_and_apply(tf: &Terraform) {
    std::thread::scope(|scope| {
        let tag_only = scope.spawn(|| release_deleted_after_plan(tf, false));
        let entirely = scope.spawn(|| release_deleted_after_plan(tf, true));
        let (tag_only, entirely) = (tag_only.join(), entirely.join());
        assert!(tag_only.is_ok() && entirely.is_ok(), "see the panics above");
    });
}

terraform_test!(manifest_list_with_a_missing_child_is_a_clear_error);
fn manifest_list_with_a_missing_child_is_a_clear_error(tf: &Terraform) {
    let mut world = demo_world_json();
    add_multi_arch_release(&mut world);
    let emulator = BackgroundEmulator::manual(world);
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let hash_1 = emulator.digest("hash_1");
    let index = emulator.digest("hash_multi");
    let children: Vec<String> = emulator.handle().state()["repositories"][0]["images"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["digest"] == index.as_str())
        .and_then(|i| i["children"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|c| c.as_str().map(str::to_owned))
        .collect();
    assert_eq!(children.len(), 2, "the index has two children");
    let ws = Workspace::new(
        tf,
        "missing-child",
        &prod_tag_config(&emulator, &["example"], ""),
    );
    ws.init();
    ws.apply(&["-var", "release=hash_1"]);
    let before = emulator.deployments("example").len();

    // The provider has fetched the index manifest; before it puts it under `prod`, the index
    // and then its children are deleted (a lifecycle policy expiring untagged images does this).
    emulator.handle().set_faults(hold("PutImage"));
    let run = std::thread::scope(|scope| {
        let apply = scope.spawn(|| ws.try_apply(&["-var", "release=hash_multi"]));
        assert!(wait_until(Duration::from_secs(90), || {
            emulator.handle().held().iter().any(|h| h == "PutImage")
        }));
        let by_digest = |d: &str| ImageIdentifier::builder().image_digest(d).build();
        batch_delete(&emulator.url(), vec![by_digest(&index)]);
        batch_delete(
            &emulator.url(),
            children.iter().map(|c| by_digest(c)).collect(),
        );
        emulator.handle().set_faults(FaultPlan::default());
        emulator.handle().release("PutImage");
        apply.join().expect("apply thread")
    });
    let run = run.failure();
    let text = run.transcript();
    assert!(text.contains("Retag Image Error"), "{text}");
    assert!(
        text.contains("references images that are missing"),
        "the error says the referenced images are missing:\n{text}"
    );
    assert_eq!(emulator.digest("prod"), hash_1, "nothing moved");
    assert_eq!(
        emulator.deployments("example").len(),
        before,
        "nothing redeployed"
    );
    assert_eq!(
        emulator.running_digests("example"),
        std::slice::from_ref(&hash_1)
    );
    assert_eq!(
        prod_tag_state(&ws)["image_digest"],
        hash_1,
        "state is truthful"
    );
}
