//! `action "tagdeploy_redeploy"` through Terraform 1.15 (actions need 1.14+): invoked with
//! `terraform apply -invoke=…` over services of every strategy, each followed to SUCCESSFUL
//! with a progress line per stage; a release ECS rolls back fails the action with the
//! resource's explanation; `action_trigger` runs it after another resource's update; bad
//! configuration is refused at validate, pointing at the attribute at fault.

use std::time::Duration;

use serde_json::Value as Json;

use terraform_provider_tagdeploy::aws::image::{Digest, RepositoryRef};

use crate::support::aws::clients;
use crate::support::block_on;
use crate::support::emulator::{BackgroundEmulator, add_services, demo_world_json};
use crate::support::observe::Observe;
use crate::support::prod_tag::prod_tag_config;
use crate::support::strategies::{
    BakingClock, CLUSTER, REPOSITORY, STRATEGIES, ServiceSpec, Strategy, service_deployments,
    strategies_world,
};
use crate::support::terraform::{Terraform, Workspace, required_providers};

/// The service whose image is re-pushed broken before the action redeploys it.
const BROKEN: &str = "rolling-broken";
/// The service a `tagdeploy_prod_tag` promotes the broken release to, for the resource's
/// explanation of the same failure.
const TWIN: &str = "rolling-twin";

/// One service per strategy (the blue/green one with a bake time), [`BROKEN`] and [`TWIN`].
fn specs() -> Vec<ServiceSpec> {
    let mut specs: Vec<ServiceSpec> = STRATEGIES
        .iter()
        .map(|s| ServiceSpec {
            bake: *s == Strategy::BlueGreen,
            ..ServiceSpec::new(s.slug(), *s)
        })
        .collect();
    specs.push(ServiceSpec::new(BROKEN, Strategy::Rolling));
    specs.push(ServiceSpec::new(TWIN, Strategy::Rolling));
    specs
}

/// A diagnostic's detail with the service deployment's ARN and the service's name replaced, so
/// the same failure of two services reads the same.
fn normalised(detail: &str, service: &str) -> String {
    let arn = detail
        .split("The service deployment ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or("no service deployment named");
    detail.replace(arn, "<ARN>").replace(service, "<SERVICE>")
}

fn action(name: &str, services: &[&str], extra: &str) -> String {
    let services = services
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "\naction \"tagdeploy_redeploy\" \"{name}\" {{\n  config {{\n    cluster  = \"{CLUSTER}\"\n    services = [{services}]\n{extra}  }}\n}}\n"
    )
}

#[test]
fn redeploy_action_invoked_follows_every_strategy_and_fails_like_the_resource() {
    let tf = Terraform::v1_15();
    let specs = specs();
    let emulator = BackgroundEmulator::manual(strategies_world(&specs));
    let clock = BakingClock::start(
        emulator.shared(),
        Duration::from_millis(10),
        Duration::from_secs(6),
    );
    let strategies: Vec<String> = STRATEGIES.iter().map(|s| s.slug()).collect();
    let names: Vec<&str> = strategies.iter().map(String::as_str).collect();
    let config = format!(
        "{}\n{}{}{}",
        required_providers(),
        emulator.provider_block(),
        action("restart", &names, ""),
        action("broken", &[BROKEN], "    timeout  = \"5m\"\n"),
    ) + &format!(
        "\nresource \"tagdeploy_prod_tag\" \"twin\" {{\n  repository          = \"{REPOSITORY}\"\n  tag                 = \"{TWIN}\"\n  release_tag         = \"broken\"\n  cluster             = \"{CLUSTER}\"\n  services            = [\"{TWIN}\"]\n  rollback_on_failure = false\n}}\n"
    );
    let ws = Workspace::new(&tf, "redeploy-invoke", &config);
    ws.init();
    let digest = emulator.digest_in(REPOSITORY, "hash_1");

    // A plain apply invokes nothing (actions run only when asked or triggered); its resource
    // promotes the broken release, which ECS rolls back: the resource's explanation.
    let run = ws.run(&["apply", "-auto-approve", "-json"]);
    assert_eq!(run.code, Some(1), "{}", run.transcript());
    let resource_errors = run.json_errors();
    assert_eq!(resource_errors.len(), 1, "{resource_errors:?}");
    assert_eq!(
        emulator.count("UpdateService"),
        1,
        "{:?}",
        emulator.operations()
    );

    let run = ws.apply(&["-invoke=action.tagdeploy_redeploy.restart"]);
    let out = run.transcript();
    assert_eq!(emulator.count("UpdateService"), 1 + names.len(), "{out}");
    for spec in specs
        .iter()
        .filter(|s| ![BROKEN, TWIN].contains(&s.name.as_str()))
    {
        let name = &spec.name;
        let sds = service_deployments(emulator.handle(), name);
        assert_eq!(sds.len(), 2, "{name}: a new service deployment: {sds:?}");
        let current = sds.last().cloned().unwrap_or(Json::Null);
        assert_eq!(current["status"], "SUCCESSFUL", "{name}: {current}");
        assert_eq!(emulator.running_digests(name), [digest.as_str()], "{name}");
        // Progress, per service: the deployment started, then each stage the wait saw, then done.
        let started = format!("service {name}: new deployment arn:aws:ecs:");
        let done = format!("service {name} ({}): SUCCESSFUL", spec.strategy.as_str());
        for line in [&started, &done] {
            assert!(out.contains(line.as_str()), "no progress {line:?}:\n{out}");
        }
    }
    assert!(clock.baked("blue-green"), "the bake time passed: {out}");
    assert!(
        out.contains("service blue-green (BLUE_GREEN): IN_PROGRESS at BAKE_TIME"),
        "a progress event at the bake stage:\n{out}"
    );

    // The image under BROKEN's tag is re-pushed broken: the redeploy picks it up, ECS rolls the
    // deployment back, and the action fails with the resource's explanation of that failure.
    let (ecr, _) = clients(&emulator.url());
    let broken = Digest::parse(&emulator.digest_in(REPOSITORY, "broken")).expect("a digest");
    block_on(ecr.retag(&RepositoryRef::new(REPOSITORY), &broken, BROKEN)).expect("re-push");
    let run = ws.run(&[
        "apply",
        "-auto-approve",
        "-json",
        "-invoke=action.tagdeploy_redeploy.broken",
    ]);
    assert_eq!(run.code, Some(1), "{}", run.transcript());
    let errors = run.json_errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    // Terraform 1.15 puts the provider's summary in front of the detail, under its own.
    let (summary, detail) = errors[0].detail.split_once(": ").unwrap_or_default();
    assert_eq!(
        (errors[0].summary.as_str(), summary),
        (
            "Error when invoking action",
            resource_errors[0].summary.as_str()
        ),
        "{errors:?}"
    );
    assert_eq!(resource_errors[0].summary, "Rollout Failed");
    assert_eq!(
        normalised(detail, BROKEN),
        normalised(&resource_errors[0].detail, TWIN),
        "the action's explanation is the resource's"
    );
    for words in [
        "ROLLBACK_SUCCESSFUL",
        "circuit breaker TRIGGERED",
        "events in ECS",
    ] {
        assert!(detail.contains(words), "{words:?} in {detail}");
    }
    assert_eq!(emulator.count("UpdateService"), 2 + names.len());
}

#[test]
fn redeploy_action_runs_after_another_resource_updates() {
    let tf = Terraform::v1_15();
    let mut world = demo_world_json();
    add_services(&mut world, 1);
    let emulator = BackgroundEmulator::manual(world);
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let hash_2 = emulator.digest("hash_2");
    // `example` is promoted; `example-1` runs the same tag and is redeployed by the action
    // after each update of the promotion.
    let config = prod_tag_config(
        &emulator,
        &["example"],
        "  lifecycle {\n    action_trigger {\n      events  = [after_update]\n      actions = [action.tagdeploy_redeploy.worker]\n    }\n  }\n",
    ) + "\naction \"tagdeploy_redeploy\" \"worker\" {\n  config {\n    cluster  = \"example\"\n    services = [\"example-1\"]\n  }\n}\n";
    let ws = Workspace::new(&tf, "redeploy-trigger", &config);
    ws.init();

    // Creating the resource is no update: the action does not run.
    ws.apply(&["-var", "release=hash_1"]);
    assert_eq!(
        emulator.count("UpdateService"),
        0,
        "{:?}",
        emulator.operations()
    );

    let run = ws.apply(&["-var", "release=hash_2"]);
    let out = run.transcript();
    assert_eq!(emulator.digest("prod"), hash_2);
    assert_eq!(
        emulator.count("UpdateService"),
        2,
        "the promotion's and the action's: {:?}\n{out}",
        emulator.operations()
    );
    assert_eq!(
        emulator.running_digests("example-1"),
        [hash_2.as_str()],
        "{out}"
    );
    assert!(
        out.contains("action.tagdeploy_redeploy.worker")
            && out.contains("service example-1: new deployment")
            && out.contains("service example-1 (ROLLING): SUCCESSFUL"),
        "the action's progress in the apply:\n{out}"
    );
}

#[test]
fn redeploy_action_config_is_refused_at_validate_with_the_attribute() {
    let tf = Terraform::v1_15();
    let config = format!(
        "{}\nprovider \"tagdeploy\" {{\n  region = \"us-east-1\"\n}}\n\naction \"tagdeploy_redeploy\" \"bad\" {{\n  config {{\n    cluster           = \"no spaces allowed\"\n    services          = [\"ok\", \"\"]\n    timeout           = \"15\"\n    pause_hook_action = \"MAYBE\"\n  }}\n}}\n",
        required_providers()
    );
    let ws = Workspace::new(&tf, "redeploy-validate", &config);
    ws.init();
    let run = ws.run(&["validate", "-json", "-no-color"]);
    assert_eq!(run.code, Some(1), "{}", run.transcript());
    let mut pointed: Vec<String> = run
        .json_errors()
        .iter()
        .map(|e| {
            e.code
                .split('=')
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned()
        })
        .collect();
    pointed.sort();
    assert_eq!(
        pointed,
        ["cluster", "pause_hook_action", "services", "timeout"],
        "{}",
        run.transcript()
    );
}

#[test]
fn redeploy_action_refuses_a_missing_service_at_plan_before_redeploying_any() {
    let tf = Terraform::v1_15();
    let emulator = BackgroundEmulator::manual(demo_world_json());
    let config = format!(
        "{}\n{}\naction \"tagdeploy_redeploy\" \"typo\" {{\n  config {{\n    cluster  = \"example\"\n    services = [\"example\", \"exmaple\"]\n  }}\n}}\n",
        required_providers(),
        emulator.provider_block()
    );
    let ws = Workspace::new(&tf, "redeploy-missing", &config);
    ws.init();
    let run = ws.run(&["plan", "-json", "-invoke=action.tagdeploy_redeploy.typo"]);
    assert_eq!(run.code, Some(1), "{}", run.transcript());
    let errors = run.json_errors();
    assert!(
        errors.len() == 1 && errors[0].detail.contains("exmaple"),
        "{errors:?}"
    );
    let run = ws.run(&[
        "apply",
        "-auto-approve",
        "-json",
        "-invoke=action.tagdeploy_redeploy.typo",
    ]);
    assert_eq!(run.code, Some(1), "{}", run.transcript());
    assert_eq!(
        emulator.count("UpdateService"),
        0,
        "{:?}",
        emulator.operations()
    );
}
