//! `tagdeploy_task_digests` on every ECS deployment strategy: while each service deployment
//! bakes, and once it has succeeded, the data source reports it (`service_deployment`: status,
//! lifecycle stage, strategy, traffic) and maps it onto the RFC 013 statuses, given the
//! service deployment ARN `tagdeploy_prod_tag` recorded in `deployments`.
//!
//! The promotions do not wait (`wait_for_rollout = false`); the manual clock brings every
//! deployment to BAKE_TIME and holds it there while Terraform reads the reports, then passes
//! the bake time.

use std::time::Duration;

use serde_json::Value as Json;

use crate::support::emulator::BackgroundEmulator;
use crate::support::observe::Observe;
use crate::support::strategies::{
    BAKE_MINUTES, CLUSTER, REPOSITORY, STRATEGIES, ServiceSpec, Strategy, service_deployments,
    strategies_world,
};
use crate::support::terraform::{Terraform, Workspace, required_providers, terraform_test};
use crate::support::wait_until;

const REACH: Duration = Duration::from_secs(120);

fn specs() -> Vec<ServiceSpec> {
    STRATEGIES
        .iter()
        .map(|s| ServiceSpec {
            bake: true,
            ..ServiceSpec::new(format!("{}-report", s.slug()), *s)
        })
        .collect()
}

/// A promotion per service that does not wait, and a report per service on the service
/// deployment it recorded.
fn config(emulator: &BackgroundEmulator, specs: &[ServiceSpec]) -> String {
    let mut text = format!("{}\n{}", required_providers(), emulator.provider_block());
    for spec in specs {
        let (name, id) = (&spec.name, spec.name.replace('-', "_"));
        text.push_str(&format!(
            r#"
resource "tagdeploy_prod_tag" "{id}" {{
  repository       = "{REPOSITORY}"
  tag              = "{name}"
  release_tag      = "hash_2"
  cluster          = "{CLUSTER}"
  services         = ["{name}"]
  wait_for_rollout = false
}}

data "tagdeploy_task_digests" "{id}" {{
  cluster       = "{CLUSTER}"
  service       = "{name}"
  tag           = "{name}"
  deployment_id = tagdeploy_prod_tag.{id}.deployments["{name}"]
}}

output "{id}" {{
  value = data.tagdeploy_task_digests.{id}
}}
"#
        ));
    }
    text
}

fn stage_of(emulator: &BackgroundEmulator, service: &str) -> (String, String) {
    let sd = service_deployments(emulator.handle(), service)
        .last()
        .cloned()
        .unwrap_or(Json::Null);
    (
        sd["status"].as_str().unwrap_or_default().to_owned(),
        sd["lifecycleStage"].as_str().unwrap_or_default().to_owned(),
    )
}

terraform_test!(task_digests_report_every_strategy_while_it_bakes_and_once_done);
fn task_digests_report_every_strategy_while_it_bakes_and_once_done(tf: &Terraform) {
    let specs = specs();
    let emulator = BackgroundEmulator::manual(strategies_world(&specs));
    let (hash_1, hash_2) = (
        emulator.digest_in(REPOSITORY, "hash_1"),
        emulator.digest_in(REPOSITORY, "hash_2"),
    );
    let ws = Workspace::new(tf, "strategies-report", &config(&emulator, &specs));
    ws.init();
    ws.apply(&[]);
    assert_eq!(emulator.served("UpdateService"), specs.len());
    let baking = {
        let _clock = emulator.tick_in_background(Duration::from_millis(10));
        wait_until(REACH, || {
            specs
                .iter()
                .all(|s| stage_of(&emulator, &s.name) == ("IN_PROGRESS".into(), "BAKE_TIME".into()))
        })
    };
    assert!(baking, "the deployments never all reached BAKE_TIME");

    // Baking: the clock stands still while Terraform reads.
    ws.apply(&[]);
    let outputs = ws.outputs();
    let mut problems = Vec::new();
    for spec in &specs {
        let name = &spec.name;
        let report = &outputs[name.replace('-', "_")]["value"];
        let sd = &report["service_deployment"];
        let shifts_traffic = spec.strategy != Strategy::Rolling;
        let expected = [
            ("status", Json::from("IN_PROGRESS")),
            ("complete", Json::Bool(false)),
            // Blue runs beside green until the clean-up; a rolling deployment replaced its
            // tasks before the bake time.
            ("all_match", Json::Bool(!shifts_traffic)),
        ];
        for (key, value) in expected {
            if report[key] != value {
                problems.push(format!("{name} baking: {key} = {}", report[key]));
            }
        }
        let sd_expected = [
            ("status", Json::from("IN_PROGRESS")),
            ("lifecycle_stage", Json::from("BAKE_TIME")),
            ("rfc_status", Json::from("IN_PROGRESS")),
            ("strategy", Json::from(spec.strategy.as_str())),
            (
                "production_traffic_weight",
                if shifts_traffic {
                    Json::from(100)
                } else {
                    Json::Null
                },
            ),
        ];
        for (key, value) in sd_expected {
            if sd[key] != value {
                problems.push(format!(
                    "{name} baking: service_deployment.{key} = {}",
                    sd[key]
                ));
            }
        }
        let digests: Vec<&str> = report["tasks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["digest"].as_str())
            .collect();
        let both = digests.contains(&hash_1.as_str()) && digests.contains(&hash_2.as_str());
        if both != shifts_traffic {
            problems.push(format!("{name} baking: tasks run {digests:?}"));
        }
    }

    // The bake time passes; the clean-up follows.
    emulator.handle().advance_ms(BAKE_MINUTES * 60_000);
    let done = {
        let _clock = emulator.tick_in_background(Duration::from_millis(10));
        wait_until(REACH, || {
            specs.iter().all(|s| {
                stage_of(&emulator, &s.name).0 == "SUCCESSFUL"
                    && emulator.running_digests(&s.name) == [hash_2.clone()]
            })
        })
    };
    assert!(done, "the deployments did not all succeed");
    ws.apply(&[]);
    let outputs = ws.outputs();
    for spec in &specs {
        let name = &spec.name;
        let report = &outputs[name.replace('-', "_")]["value"];
        let sd = &report["service_deployment"];
        let seen = (
            &report["status"],
            &report["complete"],
            &sd["status"],
            &sd["rfc_status"],
            &sd["lifecycle_stage"],
        );
        if seen
            != (
                &"COMPLETE".into(),
                &Json::Bool(true),
                &"SUCCESSFUL".into(),
                &"COMPLETE".into(),
                &Json::Null,
            )
        {
            problems.push(format!("{name} done: {report}"));
        }
    }
    // Reading changed nothing: one deployment per service, the one the promotion started.
    if emulator.served("UpdateService") != specs.len() {
        problems.push(format!(
            "{} UpdateService calls",
            emulator.served("UpdateService")
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
