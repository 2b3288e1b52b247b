//! `examples/multi-environment`: stage, then prod, against its own emulator world. What the
//! example claims is checked here: prod moves only once every stage task runs the release, a
//! stage that is not complete stops prod with the precondition's error, a later apply adopts the
//! stage rollout already under way, and a failed stage rollout leaves prod untouched.

use std::time::Duration;

use serde_json::Value as Json;

use crate::support::emulator::{BackgroundEmulator, add_unhealthy_release};
use crate::support::observe::Observe;
use crate::support::repo_root;
use crate::support::terraform::{Terraform, Workspace, terraform_test};

const DIR: &str = "examples/multi-environment";

fn world() -> Json {
    let text =
        std::fs::read_to_string(repo_root().join(DIR).join("world.json")).expect("read world");
    serde_json::from_str(&text).expect("world.json is JSON")
}

fn apply_args<'a>(emulator_url: &'a str, release: &'a str, extra: &[&'a str]) -> Vec<String> {
    let mut args = vec![
        "apply".to_owned(),
        "-auto-approve".to_owned(),
        "-no-color".to_owned(),
        "-var".to_owned(),
        format!("endpoint={emulator_url}"),
        "-var".to_owned(),
        format!("release={release}"),
    ];
    for e in extra {
        args.push("-var".to_owned());
        args.push((*e).to_owned());
    }
    args
}

fn run(ws: &Workspace, args: &[String]) -> crate::support::terraform::Run {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ws.run(&args)
}

terraform_test!(prod_follows_stage_only_once_stage_is_complete);
fn prod_follows_stage_only_once_stage_is_complete(tf: &Terraform) {
    let mut world = world();
    add_unhealthy_release(&mut world);
    let emulator = BackgroundEmulator::manual(world);
    let url = emulator.url();
    let hash_1 = emulator.digest_in("example", "hash_1");
    let hash_2 = emulator.digest_in("example", "hash_2");
    let main_tf =
        std::fs::read_to_string(repo_root().join(DIR).join("main.tf")).expect("read main.tf");
    let ws = Workspace::new(tf, "multi-environment", &main_tf);
    ws.init();

    // Both environments already run hash_1: adopting them moves and redeploys nothing.
    {
        let _clock = emulator.tick_in_background(Duration::from_millis(10));
        run(&ws, &apply_args(&url, "hash_1", &[])).success();
    }
    assert_eq!(
        (emulator.served("PutImage"), emulator.count("UpdateService")),
        (0, 0),
        "{:?}",
        emulator.operations()
    );
    let environments = &ws.outputs()["environments"]["value"];
    assert_eq!(environments["stage"]["complete"], true);
    assert_eq!(environments["prod"]["digest"], hash_1.as_str());

    // Stage does not wait and its rollout cannot progress (the clock is stopped): the stage
    // report is read during apply, is not complete, and the precondition stops prod.
    let stopped = run(
        &ws,
        &apply_args(&url, "hash_2", &["stage_wait_for_rollout=false"]),
    )
    .failure();
    let text = stopped.transcript();
    assert!(
        text.contains("Resource precondition failed") && text.contains("Prod waits for stage"),
        "{text}"
    );
    assert_eq!(emulator.digest_in("example", "stage"), hash_2);
    assert_eq!(
        emulator.digest_in("example", "prod"),
        hash_1,
        "prod must not move before stage is complete"
    );
    assert_eq!(
        emulator.count("UpdateService"),
        1,
        "only stage was redeployed"
    );
    let started = ws.resource_values("tagdeploy_prod_tag.stage")["deployments"].clone();

    // Waiting now: the stage rollout already under way is adopted (no second stage
    // deployment), and once it completes prod is promoted.
    {
        let _clock = emulator.tick_in_background(Duration::from_millis(10));
        run(&ws, &apply_args(&url, "hash_2", &[])).success();
    }
    assert_eq!(emulator.digest_in("example", "prod"), hash_2);
    assert_eq!(
        emulator.count("UpdateService"),
        2,
        "stage adopted, prod deployed once: {:?}",
        emulator.operations()
    );
    let stage = ws.resource_values("tagdeploy_prod_tag.stage");
    assert_eq!(
        stage["deployments"], started,
        "stage's deployment under way was adopted: {stage:#}"
    );
    assert_eq!(
        stage["rollouts"]["app"]["rollout_state"], "COMPLETED",
        "{stage:#}"
    );
    let environments = &ws.outputs()["environments"]["value"];
    assert_eq!(environments["stage"]["complete"], true, "{environments:#}");
    assert_eq!(environments["prod"]["complete"], true, "{environments:#}");
    assert_eq!(environments["prod"]["digest"], hash_2.as_str());

    // A release whose tasks never start: stage's rollout fails and is rolled back, and prod,
    // which depends on it, is not touched.
    let deploys = emulator.count("UpdateService");
    let puts = emulator.served("PutImage");
    {
        let _clock = emulator.tick_in_background(Duration::from_millis(10));
        let failed = run(&ws, &apply_args(&url, "hash_bad", &[])).failure();
        assert!(
            failed.transcript().contains("Rollout Failed"),
            "{}",
            failed.transcript()
        );
    }
    assert_eq!(
        emulator.digest_in("example", "stage"),
        hash_2,
        "stage rolled back"
    );
    assert_eq!(
        emulator.digest_in("example", "prod"),
        hash_2,
        "prod untouched"
    );
    assert_eq!(
        emulator.served("PutImage") - puts,
        2,
        "stage moved to hash_bad and back, prod not at all"
    );
    // The circuit breaker rolls stage's deployment back to the revision it ran before, so the
    // rollback moves the tag and starts no second deployment.
    assert_eq!(
        emulator.count("UpdateService") - deploys,
        1,
        "stage deployed once (ECS rolls it back), prod not at all"
    );
}

terraform_test!(one_apply_promotes_stage_then_prod_onto_the_same_image);
/// The example's everyday flow: both environments on hash_1, then one apply of hash_2. Stage
/// tags hash_2's image while prod's plan is already made, so prod must not have promised the
/// image's tags (Terraform's second plan would see one more and refuse the apply as an
/// inconsistent final plan); the next plan is empty.
fn one_apply_promotes_stage_then_prod_onto_the_same_image(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(world());
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let url = emulator.url();
    let hash_2 = emulator.digest_in("example", "hash_2");
    let main_tf =
        std::fs::read_to_string(repo_root().join(DIR).join("main.tf")).expect("read main.tf");
    let ws = Workspace::new(tf, "multi-environment-one-apply", &main_tf);
    ws.init();
    run(&ws, &apply_args(&url, "hash_1", &[])).success();

    let applied = run(&ws, &apply_args(&url, "hash_2", &[])).success();
    let text = applied.transcript();
    assert!(!text.contains("inconsistent"), "{text}");
    assert_eq!(emulator.digest_in("example", "stage"), hash_2);
    assert_eq!(emulator.digest_in("example", "prod"), hash_2);
    assert_eq!(
        emulator.count("UpdateService"),
        2,
        "one deployment per environment: {:?}",
        emulator.operations()
    );
    let prod = ws.resource_values("tagdeploy_prod_tag.prod");
    let tags = prod["image_tags"].as_array().expect("image_tags recorded");
    assert!(
        tags.contains(&Json::from("hash_2")) && tags.contains(&Json::from("prod")),
        "{prod:#}"
    );

    let (code, plan) =
        ws.plan_exit_code(&["-var", &format!("endpoint={url}"), "-var", "release=hash_2"]);
    assert_eq!(code, 0, "nothing left to change:\n{plan}");
}
