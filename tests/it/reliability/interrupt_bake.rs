//! A provider killed during bake time, for every strategy (ROLLING, BLUE_GREEN, LINEAR,
//! CANARY): the service deployments it started are in BAKE_TIME when it dies; the next apply
//! adopts each of them (the same service deployment ARN in `deployments`), follows it through
//! the rest of its bake time to SUCCESSFUL, and starts no second deployment: exactly one
//! UpdateService per service over both applies, exactly one service deployment per service
//! besides the world's own.
//!
//! The clock is manual and stands still from the kill until the next apply has looked at the
//! deployments, so they are still baking when it adopts them (its INFO progress shows
//! BAKE_TIME); only then does the bake time pass, in one call.

use std::time::Duration;

use serde_json::Value as Json;

use crate::support::emulator::BackgroundEmulator;
use crate::support::observe::Observe;
use crate::support::process::{providers_in, signal};
use crate::support::strategies::{
    BAKE_MINUTES, CLUSTER, REPOSITORY, STRATEGIES, ServiceSpec, service_deployments,
    strategies_world,
};
use crate::support::terraform::{Terraform, Workspace, required_providers, terraform_test};
use crate::support::wait_until;

/// How long a step may take to be reached (generous: a loaded machine is slow).
const REACH: Duration = Duration::from_secs(120);

/// The services: one per strategy, each with a bake time.
fn specs() -> Vec<ServiceSpec> {
    STRATEGIES
        .iter()
        .map(|s| ServiceSpec {
            bake: true,
            ..ServiceSpec::new(format!("{}-killed", s.slug()), *s)
        })
        .collect()
}

/// One `tagdeploy_prod_tag` per service (its own environment tag), on `var.release`.
fn config(emulator: &BackgroundEmulator, specs: &[ServiceSpec]) -> String {
    let mut text = format!(
        "{}\n{}\nvariable \"release\" {{\n  type = string\n}}\n",
        required_providers(),
        emulator.provider_block()
    );
    for spec in specs {
        text.push_str(&format!(
            "\nresource \"tagdeploy_prod_tag\" \"{}\" {{\n  repository  = \"{REPOSITORY}\"\n  tag         = \"{name}\"\n  release_tag = var.release\n  cluster     = \"{CLUSTER}\"\n  services    = [\"{name}\"]\n}}\n",
            spec.name.replace('-', "_"),
            name = spec.name,
        ));
    }
    text
}

/// The current service deployment of `service` (the newest), from the emulator's state.
fn current(emulator: &BackgroundEmulator, service: &str) -> Json {
    service_deployments(emulator.handle(), service)
        .last()
        .cloned()
        .unwrap_or(Json::Null)
}

/// The ARN of a service deployment of `service` as the emulator's state dump shows it.
fn arn_of(service: &str, sd: &Json) -> String {
    format!(
        "arn:aws:ecs:us-east-1:123456789012:service-deployment/{CLUSTER}/{service}/{}",
        sd["id"].as_str().unwrap_or("?")
    )
}

fn baking(sd: &Json) -> bool {
    sd["status"] == "IN_PROGRESS" && sd["lifecycleStage"] == "BAKE_TIME"
}

terraform_test!(provider_killed_during_bake_time_adopts_the_same_service_deployment);
fn provider_killed_during_bake_time_adopts_the_same_service_deployment(tf: &Terraform) {
    let specs = specs();
    let emulator = BackgroundEmulator::manual(strategies_world(&specs));
    let hash_2 = emulator.digest_in(REPOSITORY, "hash_2");
    let mut ws = Workspace::new(tf, "interrupt-bake", &config(&emulator, &specs));
    ws.init();
    // The tags are on hash_1 already: this apply adopts the world's deployments, deploys nothing.
    ws.apply(&["-var", "release=hash_1"]);
    assert_eq!(emulator.count("UpdateService"), 0, "hash_1 runs already");

    // The release, killed once every deployment bakes.
    let killed = std::thread::scope(|scope| {
        let apply = scope.spawn(|| ws.try_apply(&["-var", "release=hash_2"]));
        let all_baking = {
            let _clock = emulator.tick_in_background(Duration::from_millis(10));
            wait_until(REACH, || {
                specs.iter().all(|s| baking(&current(&emulator, &s.name)))
            })
        };
        // The clock stands still now: the bake time of an hour is far from over.
        let providers = providers_in(&ws.work_dir());
        let killed = all_baking
            && !providers.is_empty()
            && providers.iter().all(|p| signal(*p, libc::SIGKILL));
        let run = apply.join().expect("apply thread");
        assert!(
            all_baking,
            "the deployments never all reached BAKE_TIME: {:?}\n{}",
            specs
                .iter()
                .map(|s| current(&emulator, &s.name))
                .collect::<Vec<_>>(),
            run.transcript()
        );
        assert!(killed, "no provider to kill ({providers:?})");
        run
    });
    assert_ne!(killed.code, Some(0), "{}", killed.transcript());
    assert_eq!(
        emulator.served("UpdateService"),
        specs.len(),
        "one deployment per service before the kill"
    );
    let started: Vec<String> = specs
        .iter()
        .map(|s| {
            let sd = current(&emulator, &s.name);
            assert!(baking(&sd), "{}: {sd}", s.name);
            arn_of(&s.name, &sd)
        })
        .collect();

    // The next apply, with the clock still: it adopts the baking deployments. The bake time
    // passes once it has described them.
    ws.set_env("TF_LOG", "INFO");
    emulator.handle().clear_requests();
    let again = std::thread::scope(|scope| {
        let apply = scope.spawn(|| ws.try_apply(&["-var", "release=hash_2"]));
        // Each resource's adoption describes its deployment once, then its wait polls 250 ms,
        // 500 ms, 1 s … apart. Three calls per service, then one more second, leaves every wait
        // time to see the bake time (the progress lines below check that it did). The clock
        // stands still meanwhile, so waiting longer only makes the test longer.
        let looked = wait_until(REACH, || {
            emulator.served("DescribeServiceDeployments") >= 3 * specs.len()
        });
        std::thread::sleep(Duration::from_secs(1));
        let still_baking = specs.iter().all(|s| baking(&current(&emulator, &s.name)));
        emulator.handle().advance_ms(BAKE_MINUTES * 60_000);
        let _clock = emulator.tick_in_background(Duration::from_millis(10));
        let run = apply.join().expect("apply thread");
        assert!(looked, "the next apply never described the deployments");
        assert!(still_baking, "the bake time passed before the adoption");
        run
    });
    assert_eq!(again.code, Some(0), "{}", again.transcript());

    let mut problems = Vec::new();
    if emulator.count("UpdateService") != 0 {
        problems.push(format!(
            "the next apply called UpdateService {} times",
            emulator.count("UpdateService")
        ));
    }
    for operation in ["StopServiceDeployment", "ContinueServiceDeployment"] {
        if emulator.count(operation) != 0 {
            problems.push(format!("the next apply called {operation}"));
        }
    }
    if emulator.digest_in(REPOSITORY, &specs[0].name) != hash_2 {
        problems.push("the tag is not on hash_2".into());
    }
    for (spec, arn) in specs.iter().zip(&started) {
        let name = &spec.name;
        let sds = service_deployments(emulator.handle(), name);
        // The world's own, and the one the killed apply started.
        if sds.len() != 2 {
            problems.push(format!("{name}: {} service deployments", sds.len()));
        }
        let sd = current(&emulator, name);
        if arn_of(name, &sd) != *arn || sd["status"] != "SUCCESSFUL" {
            problems.push(format!("{name}: the current one is {sd}, started {arn}"));
        }
        if emulator.running_digests(name) != [hash_2.clone()] {
            problems.push(format!("{name} runs {:?}", emulator.running_digests(name)));
        }
        let state = ws.resource_values(&format!("tagdeploy_prod_tag.{}", name.replace('-', "_")));
        if state["deployments"][name] != arn.as_str() {
            problems.push(format!(
                "{name}: state records {} instead of {arn}",
                state["deployments"][name]
            ));
        }
        let rollout = &state["rollouts"][name];
        if (
            &rollout["status"],
            &rollout["rfc_status"],
            &rollout["strategy"],
        ) != (
            &"SUCCESSFUL".into(),
            &"COMPLETE".into(),
            &spec.strategy.as_str().into(),
        ) {
            problems.push(format!("{name}: rollout {rollout}"));
        }
        if state["image_digest"] != hash_2.as_str() {
            problems.push(format!("{name}: state says {}", state["image_digest"]));
        }
        // The adopted deployment was followed through its bake time.
        let line = format!(
            "service {name} ({}): IN_PROGRESS at BAKE_TIME",
            spec.strategy.as_str()
        );
        if !again.stderr.contains(&line) {
            problems.push(format!("no progress line {line:?}"));
        }
    }
    let (code, text) = ws.plan_exit_code(&["-var", "release=hash_2"]);
    if code != 0 {
        problems.push(format!("the next plan is not empty:\n{text}"));
    }
    assert!(
        problems.is_empty(),
        "{}\n{}",
        problems.join("\n"),
        again.transcript()
    );
}
