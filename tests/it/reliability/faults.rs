//! The fault matrix: seeded, bounded emulator faults during a promotion (apply), a refresh
//! (plan, with and without drift) and data source reads, through real Terraform.
//!
//! Every run combines the four kinds: 200 ms latency on every call, throttling on 30% of calls,
//! server errors on 10%, dropped connections on 10%. Each rule has a budget (`max_faults`) that
//! keeps the faults one call can meet below the provider's SDK attempts (ECR standard retries,
//! 5 attempts: at most 1 + 1 + 1 = 3 faults; ECS adaptive, 8 attempts: at most 1 + 1 + 1 = 3),
//! so every run must succeed: a failure is a bug in the provider, not bad luck. The budgets are
//! small because a throttled call backs off exponentially from 1 s (a call that met four faults
//! in a row waited 27 s in an early run of this test), and because ECS's adaptive retry mode
//! slows the whole client down after a single throttle (a DescribeTasks call waited 20 s). How likely bad
//! luck is without budgets is measured separately, against the provider's own client settings,
//! in [`sdk_retries_absorb_the_fault_rates`].

use std::time::Duration;

use serde_json::{Value as Json, json};
use tagdeploy_emulator::{AwsService, FaultKind, FaultPlan, FaultRule};
use terraform_provider_tagdeploy::aws::ecr::Ecr;
use terraform_provider_tagdeploy::aws::ecs::Ecs;
use terraform_provider_tagdeploy::aws::image::{ImageSelector, RepositoryRef};

use crate::support::aws::{provider_clients, retag_by_hand};
use crate::support::block_on;
use crate::support::emulator::{BackgroundEmulator, add_services, demo_world_json};
use crate::support::faults::rule;
use crate::support::observe::Observe;
use crate::support::prod_tag::{prod_tag_config, prod_tag_state};
use crate::support::terraform::{Terraform, Workspace, required_providers, terraform_test};

const SERVICES: [&str; 2] = ["example", "example-1"];

/// A fault of `kind` on every operation of `service`, at `rate`, at most `max` times.
fn budgeted(service: AwsService, kind: FaultKind, rate: f64, max: u64) -> FaultRule {
    FaultRule {
        service: Some(service),
        ..rule("*", kind, rate, Some(max))
    }
}

/// The combined plan (see the module documentation for the budgets).
fn combined(seed: u64) -> FaultPlan {
    let latency = FaultRule {
        latency_ms: 200,
        ..rule("*", FaultKind::Latency, 1.0, None)
    };
    FaultPlan {
        seed,
        rules: vec![
            latency,
            budgeted(AwsService::Ecr, FaultKind::Throttle, 0.3, 1),
            budgeted(AwsService::Ecs, FaultKind::Throttle, 0.3, 1),
            budgeted(AwsService::Ecr, FaultKind::ServerError, 0.1, 1),
            budgeted(AwsService::Ecs, FaultKind::ServerError, 0.1, 1),
            budgeted(AwsService::Ecr, FaultKind::Drop, 0.1, 1),
            budgeted(AwsService::Ecs, FaultKind::Drop, 0.1, 1),
        ],
    }
}

/// Faults injected since the log was last cleared, per kind (latency included).
fn injected(emulator: &BackgroundEmulator) -> Vec<(String, usize)> {
    let requests = emulator.handle().requests();
    ["latency", "throttle", "server_error", "drop"]
        .iter()
        .map(|kind| {
            let n = requests
                .iter()
                .filter(|r| {
                    r.fault
                        .is_some_and(|f| serde_json::to_value(f).ok() == Some(json!(kind)))
                })
                .count();
            ((*kind).to_owned(), n)
        })
        .collect()
}

/// Asserts that terminal faults (throttle, server error, drop) really happened, and prints them.
#[track_caller]
fn assert_faulted(emulator: &BackgroundEmulator, phase: &str) {
    let counts = injected(emulator);
    eprintln!("{phase}: faults injected {counts:?}");
    if std::env::var_os("TAGDEPLOY_DUMP_REQUESTS").is_some() {
        let requests = emulator.handle().requests();
        let t0 = requests.first().map(|r| r.time).unwrap_or_default();
        for r in &requests {
            eprintln!(
                "  {:7.3} {:?} {} {:?} {:?}",
                r.time - t0,
                r.service,
                r.operation,
                r.status,
                r.fault
            );
        }
    }
    let terminal: usize = counts
        .iter()
        .filter(|(k, _)| k != "latency")
        .map(|(_, n)| n)
        .sum();
    assert!(
        terminal > 0,
        "{phase}: no fault fired, the run proves nothing"
    );
}

fn world() -> Json {
    let mut world = demo_world_json();
    add_services(&mut world, 1);
    world
}

/// Per service: how many deployments it has had.
fn deployment_counts(emulator: &BackgroundEmulator) -> Vec<usize> {
    SERVICES
        .iter()
        .map(|s| emulator.deployments(s).len())
        .collect()
}

/// After a promotion onto `target`: the tag, every service (one new deployment each, running
/// only the target), the state and an empty plan.
fn assert_promoted(
    emulator: &BackgroundEmulator,
    ws: &Workspace,
    target: &str,
    before: &[usize],
    release: &str,
) {
    assert_eq!(emulator.digest("prod"), target, "the tag is on the release");
    assert_eq!(
        deployment_counts(emulator),
        before.iter().map(|n| n + 1).collect::<Vec<_>>(),
        "each service redeployed exactly once"
    );
    for service in SERVICES {
        assert_eq!(emulator.running_digests(service), [target], "{service}");
    }
    let state = prod_tag_state(ws);
    assert_eq!(state["image_digest"], target, "state is truthful");
    let rollouts = state["rollouts"].as_object().cloned().unwrap_or_default();
    assert_eq!(rollouts.len(), SERVICES.len(), "{rollouts:#?}");
    assert!(
        rollouts
            .values()
            .all(|r| r["rollout_state"] == "COMPLETED" && r["status"] == "SUCCESSFUL"),
        "{rollouts:#?}"
    );
    let (code, text) = ws.plan_exit_code(&["-var", &format!("release={release}")]);
    assert_eq!(code, 0, "the next plan is empty:\n{text}");
}

terraform_test!(promotion_survives_combined_faults);
fn promotion_survives_combined_faults(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(world());
    let _clock = emulator.tick_in_background(Duration::from_millis(20));
    let hash_2 = emulator.digest("hash_2");
    let ws = Workspace::new(
        tf,
        "faults-promote",
        &prod_tag_config(&emulator, &SERVICES, ""),
    );
    ws.init();
    ws.apply(&["-var", "release=hash_1"]);
    let before = deployment_counts(&emulator);

    emulator.handle().clear_requests();
    emulator.handle().set_faults(combined(6));
    ws.apply(&["-var", "release=hash_2"]);
    assert_faulted(&emulator, "promotion");
    assert_eq!(
        emulator.served("UpdateService"),
        2,
        "one UpdateService per service"
    );
    emulator.handle().set_faults(FaultPlan::default());
    assert_promoted(&emulator, &ws, &hash_2, &before, "hash_2");
}

terraform_test!(refresh_survives_combined_faults);
fn refresh_survives_combined_faults(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(world());
    let _clock = emulator.tick_in_background(Duration::from_millis(20));
    let hash_1 = emulator.digest("hash_1");
    let hash_2 = emulator.digest("hash_2");
    let ws = Workspace::new(
        tf,
        "faults-refresh",
        &prod_tag_config(&emulator, &SERVICES, ""),
    );
    ws.init();
    ws.apply(&["-var", "release=hash_2"]);

    // No drift: a refresh under faults changes nothing.
    emulator.handle().clear_requests();
    emulator.handle().set_faults(combined(7));
    let (code, text) = ws.plan_exit_code(&["-var", "release=hash_2"]);
    assert_eq!(code, 0, "{text}");
    let quiet = injected(&emulator);

    // Drift: someone moves the tag back by hand; the refresh under faults sees it.
    emulator.handle().set_faults(FaultPlan::default());
    retag_by_hand(&emulator.url(), &hash_1, "prod");
    let before = deployment_counts(&emulator);
    emulator.handle().clear_requests();
    emulator.handle().set_faults(combined(8));
    let (code, text) = ws.plan_exit_code(&["-var", "release=hash_2"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains(&hash_1) && text.contains(&hash_2), "{text}");
    let drifted = injected(&emulator);

    // And the apply under faults puts it back, redeploying each service once.
    emulator.handle().clear_requests();
    emulator.handle().set_faults(combined(9));
    ws.apply(&["-var", "release=hash_2"]);
    assert_faulted(&emulator, "refresh apply");
    eprintln!("refresh without drift: {quiet:?}; with drift: {drifted:?}");
    assert!(
        quiet
            .iter()
            .chain(&drifted)
            .any(|(k, n)| k != "latency" && *n > 0),
        "the plans met no fault"
    );
    emulator.handle().set_faults(FaultPlan::default());
    assert_promoted(&emulator, &ws, &hash_2, &before, "hash_2");
}

terraform_test!(data_sources_survive_combined_faults);
fn data_sources_survive_combined_faults(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(world());
    let hash_1 = emulator.digest("hash_1");
    let config = format!(
        r#"{}
{}
data "tagdeploy_image" "prod" {{
  repository = "example"
  tag        = "prod"
}}

data "tagdeploy_task_digests" "example" {{
  cluster = "example"
  service = "example"
}}

output "image" {{
  value = data.tagdeploy_image.prod.digest
}}

output "report" {{
  value = {{
    env_digest = data.tagdeploy_task_digests.example.env_digest
    all_match  = data.tagdeploy_task_digests.example.all_match
    complete   = data.tagdeploy_task_digests.example.complete
    digests    = [for t in data.tagdeploy_task_digests.example.tasks : t.digest]
  }}
}}
"#,
        required_providers(),
        emulator.provider_block()
    );
    let ws = Workspace::new(tf, "faults-data", &config);
    ws.init();
    emulator.handle().set_faults(combined(10));
    ws.apply(&[]);
    assert_faulted(&emulator, "data sources");
    let outputs = ws.outputs();
    assert_eq!(outputs["image"]["value"], hash_1);
    let report = &outputs["report"]["value"];
    assert_eq!(report["env_digest"], hash_1);
    assert_eq!(report["all_match"], true);
    assert_eq!(report["complete"], true);
    assert_eq!(report["digests"], json!([hash_1, hash_1]));
    let (code, text) = ws.plan_exit_code(&[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        emulator.mutations().is_empty(),
        "{:?}",
        emulator.mutations()
    );
}

/// Without budgets: many concurrent calls through clients built exactly as the provider builds
/// them, at 30% throttling and 10% server errors on every call. Prints how many calls still
/// failed after the SDK's attempts, and asserts the retries are in effect (without them about
/// 37% of calls would fail).
#[test]
fn sdk_retries_absorb_the_fault_rates() {
    const CALLS: usize = 30;
    // ECS's adaptive mode slows the whole client after throttles (30 concurrent calls took 35 s
    // in one measurement), so fewer ECS calls keep this test short.
    const ECS_CALLS: usize = 10;
    let emulator = BackgroundEmulator::manual(demo_world_json());
    emulator.handle().set_faults(FaultPlan {
        seed: 61,
        rules: vec![
            rule("*", FaultKind::Throttle, 0.3, None),
            rule("*", FaultKind::ServerError, 0.1, None),
        ],
    });
    let url = emulator.url();
    let (ecr_failures, ecs_failures, elapsed): (
        usize,
        usize,
        (std::time::Duration, std::time::Duration),
    ) = block_on(async {
        // Credentials through a shared credentials file: the provider's chain, no environment.
        let (clients, _credentials) = provider_clients(&url).await;
        let ecr = Ecr::new(clients.ecr.clone());
        let ecs = Ecs::new(clients.ecs.clone());
        let repository = RepositoryRef::new("example");
        let selector = ImageSelector::Tag("prod".into());
        let services = vec!["example".to_owned()];
        let started = std::time::Instant::now();
        let ecr_calls = async {
            let results =
                futures::future::join_all((0..CALLS).map(|_| ecr.image(&repository, &selector)))
                    .await;
            (
                results.iter().filter(|r| r.is_err()).count(),
                started.elapsed(),
            )
        };
        let ecs_calls = async {
            let results = futures::future::join_all(
                (0..ECS_CALLS).map(|_| ecs.services("example", &services)),
            )
            .await;
            (
                results.iter().filter(|r| r.is_err()).count(),
                started.elapsed(),
            )
        };
        let ((ecr_failed, ecr_time), (ecs_failed, ecs_time)) = tokio::join!(ecr_calls, ecs_calls);
        (ecr_failed, ecs_failed, (ecr_time, ecs_time))
    });
    let faulted = emulator
        .handle()
        .requests()
        .iter()
        .filter(|r| r.fault.is_some())
        .count();
    eprintln!(
        "{CALLS} ECR and {ECS_CALLS} ECS calls at 30% throttling + 10% server errors: {faulted} faulted attempts, \
         {ecr_failures} ECR and {ecs_failures} ECS calls failed after all attempts; ECR calls done after {:?}, ECS calls after {:?}",
        elapsed.0, elapsed.1
    );
    assert!(faulted > 0);
    assert!(
        ecr_failures <= CALLS / 10 && ecs_failures <= ECS_CALLS / 10,
        "retries are not absorbing the faults: {ecr_failures} ECR, {ecs_failures} ECS failures"
    );
}
