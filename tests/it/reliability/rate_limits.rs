//! Under AWS's rate limits (the emulator's `--aws-rate-limits`, AWS's published figures): the
//! scale scenarios of issue 14 end correctly, and a throttled call is retried, never a failed
//! release. Correctness only; `make bench` measures the time they take (`bench/scale.py`).
//!
//! - one `tagdeploy_prod_tag` with 100 services: every service deployed exactly once, no rollback;
//! - 20 resources × 5 services in one apply, each waiting for its rollouts;
//! - the status check of 100 services and a data source over 1,000 tasks;
//! - a deployment AWS refuses to start for longer than the timeout: not rolled back, and the
//!   next apply starts it without redeploying the others;
//! - throttling beyond what the provider's pacing expects (the emulator's bucket smaller than
//!   the provider's, as when another client spends the same account's tokens) and server errors:
//!   retried until they pass, and the release completes.
//!
//! The scenarios of 100 services take ten seconds or more each (the buckets impose it: 100
//! UpdateService calls are 50 at once, then 5 per second), so they run on one Terraform: 1.11
//! when installed (a native binary, cheaper to start), else 1.15.

use serde_json::{Value as Json, json};
use tagdeploy_emulator::{ClockMode, FaultPlan, Figures, RateLimits};

use crate::support::emulator::{BackgroundEmulator, add_services, demo_world_json};
use crate::support::observe::Observe;
use crate::support::prod_tag::{prod_tag_config, prod_tag_state};
use crate::support::terraform::{Terraform, Workspace, required_providers, terraform_test};

/// Terraform 1.11 when installed, else 1.15: one run of the slow scenarios.
fn one_terraform() -> Terraform {
    let tf = Terraform::v1_11().unwrap_or_else(Terraform::v1_15);
    eprintln!("running with Terraform {}", tf.version);
    tf
}

/// The demo world with `count` services in all (`example`, `example-1`, …).
fn world_of(count: usize) -> (Json, Vec<String>) {
    let mut world = demo_world_json();
    add_services(&mut world, count - 1);
    let names = world["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["serviceName"].as_str().unwrap().to_owned())
        .collect();
    (world, names)
}

/// Every service was deployed exactly once since the world was loaded (no rollback, no second
/// deployment) and its new deployment resolved `digest`.
#[track_caller]
fn deployed_once(emulator: &BackgroundEmulator, services: &[String], digest: &str) {
    for service in services {
        let deployments = emulator.deployments(service);
        assert_eq!(
            deployments.len(),
            2,
            "{service}: one deployment from the world and exactly one new one: {deployments:?}"
        );
        assert!(
            deployments.iter().any(|(_, d)| d == &[digest.to_owned()]),
            "{service} has no deployment of {digest}: {deployments:?}"
        );
    }
}

#[test]
fn a_hundred_services_in_one_prod_tag_are_each_deployed_once() {
    let tf = one_terraform();
    let (world, services) = world_of(100);
    let emulator =
        BackgroundEmulator::rate_limited(world, ClockMode::Manual, RateLimits::published());
    let hash_2 = emulator.digest("hash_2");
    let names: Vec<&str> = services.iter().map(String::as_str).collect();
    let ws = Workspace::new(
        &tf,
        "rate-limits-100",
        &prod_tag_config(&emulator, &names, "  wait_for_rollout = false"),
    );
    ws.init();
    ws.apply(&["-var", "release=hash_2"]);
    assert_eq!(emulator.digest("prod"), hash_2);
    assert_eq!(emulator.served("UpdateService"), 100);
    assert_eq!(emulator.served("PutImage"), 1, "no rollback");
    deployed_once(&emulator, &services, &hash_2);
    let state = prod_tag_state(&ws);
    assert_eq!(state["image_digest"], json!(hash_2));
    // One recorded deployment per service (a map of service to deployment id).
    assert_eq!(state["deployments"].as_object().map(|m| m.len()), Some(100));
    eprintln!(
        "{} of {} calls throttled",
        emulator.throttled(),
        emulator.requests().len()
    );
}

#[test]
fn twenty_prod_tags_of_five_services_in_one_apply_complete() {
    let tf = one_terraform();
    let mut world = demo_world_json();
    let template_repository = world["repositories"][0].clone();
    let template_definition = world["taskDefinitions"][0].clone();
    let template_service = world["services"][0].clone();
    let image = template_definition["containerDefinitions"][0]["image"]
        .as_str()
        .unwrap()
        .replace("/example:", "/{app}:");
    let (mut repositories, mut definitions, mut services) = (vec![], vec![], vec![]);
    let mut apps = Vec::new();
    for i in 1..=20 {
        let app = format!("app-{i:02}");
        let mut repository = template_repository.clone();
        repository["name"] = json!(app);
        // Each app's images differ (seeds of their own), as separate builds would.
        for image in repository["images"].as_array_mut().unwrap() {
            let first = image["tags"][0].as_str().unwrap().to_owned();
            image["generate"] = json!({"seed": format!("{app}:{first}")});
        }
        repositories.push(repository);
        let mut definition = template_definition.clone();
        definition["family"] = json!(app);
        definition["containerDefinitions"][0]["image"] = json!(image.replace("{app}", &app));
        definitions.push(definition);
        let names: Vec<String> = (1..=5).map(|j| format!("{app}-svc-{j}")).collect();
        for name in &names {
            let mut service = template_service.clone();
            service["serviceName"] = json!(name);
            service["taskDefinition"] = json!(app);
            services.push(service);
        }
        apps.push((app, names));
    }
    world["repositories"] = json!(repositories);
    world["taskDefinitions"] = json!(definitions);
    world["services"] = json!(services);
    let emulator = BackgroundEmulator::rate_limited(
        world,
        ClockMode::Real { step_ms: 100 },
        RateLimits::published(),
    );
    let entries: Vec<String> = apps
        .iter()
        .map(|(app, names)| {
            let list = names
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", ");
            format!("    \"{app}\" = [{list}]")
        })
        .collect();
    let config = format!(
        r#"{}
{}
locals {{
  apps = {{
{}
  }}
}}

resource "tagdeploy_prod_tag" "app" {{
  for_each    = local.apps
  repository  = each.key
  release_tag = "hash_2"
  cluster     = "example"
  services    = each.value
}}
"#,
        required_providers(),
        emulator.provider_block(),
        entries.join("\n")
    );
    let ws = Workspace::new(&tf, "rate-limits-20x5", &config);
    ws.init();
    ws.apply(&[]);
    assert_eq!(emulator.served("UpdateService"), 100);
    assert_eq!(emulator.served("PutImage"), 20, "no rollback");
    for (app, names) in &apps {
        let hash_2 = emulator.digest_in(app, "hash_2");
        assert_eq!(emulator.digest_in(app, "prod"), hash_2, "{app}");
        deployed_once(&emulator, names, &hash_2);
        for name in names {
            // The apply waited: every task runs the release.
            assert_eq!(
                emulator.running_digests(name),
                std::slice::from_ref(&hash_2),
                "{name}"
            );
        }
    }
    eprintln!(
        "{} of {} calls throttled",
        emulator.throttled(),
        emulator.requests().len()
    );
}

#[test]
fn the_status_of_a_hundred_services_and_a_data_source_over_1000_tasks() {
    let tf = one_terraform();
    let (mut world, services) = world_of(100);
    let mut big = world["services"][0].clone();
    big["serviceName"] = json!("big");
    big["desiredCount"] = json!(1000);
    world["services"].as_array_mut().unwrap().push(big);
    let emulator =
        BackgroundEmulator::rate_limited(world, ClockMode::Manual, RateLimits::published());
    let names = services
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let config = format!(
        r#"{}
{}
data "tagdeploy_task_digests" "service" {{
  for_each = toset([{names}])
  cluster  = "example"
  service  = each.key
}}

data "tagdeploy_task_digests" "big" {{
  cluster = "example"
  service = "big"
}}

output "all_match" {{
  value = alltrue([for d in data.tagdeploy_task_digests.service : d.all_match])
}}

output "tasks" {{
  value = sum([for d in data.tagdeploy_task_digests.service : length(d.tasks)])
}}

output "big" {{
  value = {{ tasks = length(data.tagdeploy_task_digests.big.tasks), all_match = data.tagdeploy_task_digests.big.all_match }}
}}
"#,
        required_providers(),
        emulator.provider_block(),
    );
    let ws = Workspace::new(&tf, "rate-limits-status", &config);
    ws.init();
    ws.apply(&["-refresh-only"]);
    let outputs = ws.outputs();
    assert_eq!(outputs["all_match"]["value"], json!(true));
    assert_eq!(outputs["tasks"]["value"], json!(200));
    assert_eq!(
        outputs["big"]["value"],
        json!({"tasks": 1000, "all_match": true})
    );
    eprintln!(
        "{} of {} calls throttled",
        emulator.throttled(),
        emulator.requests().len()
    );
}

/// The emulator's UpdateService bucket is far smaller than the one the provider paces by (as
/// when other clients spend the same account's tokens), and some calls fail with a 500: the
/// throttled and failed calls are retried and the release completes, each service deployed once.
fn throttling_beyond_the_pacing_is_retried_not_a_failed_release(tf: &Terraform) {
    let (world, services) = world_of(20);
    let limits = RateLimits::published()
        .with(
            "ecs:service-modify",
            Figures {
                burst: 5.0,
                per_second: 20.0,
            },
        )
        .unwrap();
    let emulator = BackgroundEmulator::rate_limited(world, ClockMode::Manual, limits);
    emulator.set_faults(
        FaultPlan::from_json(
            r#"{"seed": 14, "rules": [{"operation": "UpdateService", "kind": "server_error", "rate": 0.3, "max_faults": 5}]}"#,
        )
        .unwrap(),
    );
    let hash_2 = emulator.digest("hash_2");
    let names: Vec<&str> = services.iter().map(String::as_str).collect();
    let ws = Workspace::new(
        tf,
        "rate-limits-beyond",
        &prod_tag_config(&emulator, &names, "  wait_for_rollout = false"),
    );
    ws.init();
    ws.apply(&["-var", "release=hash_2"]);
    assert!(
        emulator.throttled() > 0,
        "the scenario throttles UpdateService"
    );
    assert_eq!(emulator.served("UpdateService"), 20);
    assert_eq!(emulator.served("PutImage"), 1, "no rollback");
    assert_eq!(emulator.digest("prod"), hash_2);
    deployed_once(&emulator, &services, &hash_2);
}
terraform_test!(throttling_beyond_the_pacing_is_retried_not_a_failed_release);

/// AWS refuses two of five UpdateService calls for longer than the resource's timeout (the
/// emulator's bucket holds three tokens and barely refills): the apply fails without rolling
/// back, says which services still run what, records them with a null deployment, and the next
/// apply (AWS no longer busy) starts exactly those two.
fn a_deployment_that_cannot_start_is_finished_by_the_next_apply(tf: &Terraform) {
    let (world, services) = world_of(5);
    let emulator = BackgroundEmulator::manual(world);
    let hash_2 = emulator.digest("hash_2");
    let names: Vec<&str> = services.iter().map(String::as_str).collect();
    let ws = Workspace::new(
        tf,
        "rate-limits-unstarted",
        &prod_tag_config(
            &emulator,
            &names,
            "  wait_for_rollout = false\n  timeouts {\n    update = \"3s\"\n  }",
        ),
    );
    ws.init();
    ws.apply(&["-var", "release=hash_1"]);
    let before = emulator.served("UpdateService");

    let scarce = RateLimits::published()
        .with(
            "ecs:service-modify",
            Figures {
                burst: 3.0,
                per_second: 0.001,
            },
        )
        .unwrap();
    emulator.handle().set_rate_limits(Some(scarce));
    let run = ws
        .run(&[
            "apply",
            "-auto-approve",
            "-no-color",
            "-var",
            "release=hash_2",
        ])
        .failure();
    // Terraform wraps long lines: compare with whitespace collapsed.
    let text = run
        .transcript()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains("could not be started"), "{text}");
    assert!(!text.contains("moved back"), "not rolled back: {text}");
    assert_eq!(emulator.served("UpdateService") - before, 3);
    assert_eq!(
        emulator.digest("prod"),
        hash_2,
        "the tag stays on the release"
    );
    let state = prod_tag_state(&ws);
    let deployments = state["deployments"].as_object().expect("deployments");
    // A service whose deployment could not start has none recorded.
    let unstarted: Vec<&String> = services
        .iter()
        .filter(|s| !deployments.get(s.as_str()).is_some_and(Json::is_string))
        .collect();
    assert_eq!(unstarted.len(), 2, "{deployments:?}");
    for service in &unstarted {
        assert!(text.contains(service.as_str()), "{service}: {text}");
    }

    emulator.handle().set_rate_limits(None);
    let (code, plan) = ws.plan_exit_code(&["-var", "release=hash_2"]);
    assert_eq!(code, 2, "the next plan proposes the rest: {plan}");
    ws.apply(&["-var", "release=hash_2"]);
    assert_eq!(
        emulator.served("UpdateService") - before,
        5,
        "the two not started, and no other"
    );
    assert_eq!(emulator.served("PutImage"), 1, "the tag moved once");
    for service in &services {
        let of_release = emulator
            .deployments(service)
            .iter()
            .filter(|(_, digests)| digests == std::slice::from_ref(&hash_2))
            .count();
        assert_eq!(of_release, 1, "{service}: one deployment of the release");
    }
    let state = prod_tag_state(&ws);
    let deployments = state["deployments"].as_object().expect("deployments");
    assert!(
        deployments.values().all(|id| id.is_string()),
        "{deployments:?}"
    );
}
terraform_test!(a_deployment_that_cannot_start_is_finished_by_the_next_apply);
