//! Every ECS deployment strategy through `terraform apply`, followed by its service deployment:
//! for ROLLING, BLUE_GREEN, LINEAR and CANARY alike, a release that succeeds, one whose bake
//! time the manual clock passes in one call, a failing image that ECS rolls back, an alarm
//! that rolls it back, a PAUSE hook approved and one rejected by `pause_hook_action`, and a
//! deployment left at its gate until the timeout stops it (StopServiceDeployment). Each failure
//! moves the environment tag back; a deployment ECS rolled back is not redeployed.
//!
//! Services on the CODE_DEPLOY and EXTERNAL deployment controllers are refused at plan, by
//! name, before anything moves.
//!
//! One table, one world, one configuration: each case is a `tagdeploy_prod_tag` of its own (its
//! own environment tag and service), and one `terraform apply` creates all 28 of them, so each
//! Terraform pays one init and one apply for the whole table.

use std::time::Duration;

use serde_json::Value as Json;

use crate::support::emulator::BackgroundEmulator;
use crate::support::observe::Observe;
use crate::support::strategies::{
    ALARM, BakingClock, REPOSITORY, STRATEGIES, ServiceSpec, Strategy, service_deployments,
    strategies_world,
};
use crate::support::terraform::{Terraform, Workspace, required_providers, terraform_test};
use crate::support::wait_until;

/// What one case does, and what must come of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    /// hash_2 rolls out.
    Success,
    /// hash_2 rolls out through a 10-minute bake time, passed in one clock call.
    Bake,
    /// `broken` never starts: the circuit breaker rolls it back.
    FailingImage,
    /// `noisy` trips the alarm the service watches: ECS rolls it back.
    Alarm,
    /// A PAUSE hook, approved by `pause_hook_action = "CONTINUE"`.
    Approved,
    /// A PAUSE hook, rejected by `pause_hook_action = "ROLLBACK"`.
    Rejected,
    /// A PAUSE hook nobody answers (`WAIT`) until the resource's timeout: the deployment is
    /// stopped.
    TimedOut,
}

const CASES: [Case; 7] = [
    Case::Success,
    Case::Bake,
    Case::FailingImage,
    Case::Alarm,
    Case::Approved,
    Case::Rejected,
    Case::TimedOut,
];

impl Case {
    fn slug(self) -> &'static str {
        match self {
            Case::Success => "success",
            Case::Bake => "bake",
            Case::FailingImage => "broken",
            Case::Alarm => "alarm",
            Case::Approved => "approved",
            Case::Rejected => "rejected",
            Case::TimedOut => "timeout",
        }
    }

    fn release(self) -> &'static str {
        match self {
            Case::FailingImage => "broken",
            Case::Alarm => "noisy",
            _ => "hash_2",
        }
    }

    fn succeeds(self) -> bool {
        matches!(self, Case::Success | Case::Bake | Case::Approved)
    }

    fn spec(self, strategy: Strategy) -> ServiceSpec {
        ServiceSpec {
            bake: self == Case::Bake,
            pause_hook: matches!(self, Case::Approved | Case::Rejected | Case::TimedOut),
            alarms: self == Case::Alarm,
            ..ServiceSpec::new(name(strategy, self), strategy)
        }
    }

    /// The resource's extra lines.
    fn settings(self) -> &'static str {
        match self {
            Case::Approved => "  pause_hook_action = \"CONTINUE\"\n",
            Case::Rejected => "  pause_hook_action = \"ROLLBACK\"\n",
            Case::TimedOut => "  timeouts {\n    create = \"4s\"\n  }\n",
            _ => "",
        }
    }

    /// What the error of a failed case must say about its service deployment.
    fn explanation(self) -> &'static [&'static str] {
        match self {
            Case::FailingImage => &["ROLLBACK_", "circuit breaker TRIGGERED"],
            Case::Alarm => &["ROLLBACK_", "alarms that fired: app-5xx"],
            Case::Rejected => &["ROLLBACK_", "answered ROLLBACK by this provider"],
            Case::TimedOut => &[
                "Timed out after 4s",
                "paused at PAUSE hook",
                "StopServiceDeployment, ROLLBACK",
            ],
            _ => &[],
        }
    }
}

/// The service, environment tag and resource name of a case.
fn name(strategy: Strategy, case: Case) -> String {
    format!("{}-{}", strategy.slug(), case.slug())
}

fn table() -> Vec<(Strategy, Case)> {
    STRATEGIES
        .iter()
        .flat_map(|s| CASES.iter().map(move |c| (*s, *c)))
        .collect()
}

fn config(emulator: &BackgroundEmulator) -> String {
    let mut text = format!("{}\n{}", required_providers(), emulator.provider_block());
    for (strategy, case) in table() {
        let name = name(strategy, case);
        text.push_str(&format!(
            "\nresource \"tagdeploy_prod_tag\" \"{}\" {{\n  repository  = \"{REPOSITORY}\"\n  tag         = \"{name}\"\n  release_tag = \"{}\"\n  cluster     = \"{}\"\n  services    = [\"{name}\"]\n{}}}\n",
            name.replace('-', "_"),
            case.release(),
            crate::support::strategies::CLUSTER,
            case.settings()
        ));
    }
    text
}

/// The values of resource `name` in `terraform show -json` (tainted ones included).
fn resource(show: &Json, name: &str) -> Json {
    let address = format!("tagdeploy_prod_tag.{}", name.replace('-', "_"));
    show["values"]["root_module"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["address"] == address.as_str())
        .map(|r| r["values"].clone())
        .unwrap_or(Json::Null)
}

terraform_test!(every_strategy_succeeds_bakes_rolls_back_pauses_and_times_out);
fn every_strategy_succeeds_bakes_rolls_back_pauses_and_times_out(tf: &Terraform) {
    let specs: Vec<ServiceSpec> = table().iter().map(|(s, c)| c.spec(*s)).collect();
    let emulator = BackgroundEmulator::manual(strategies_world(&specs));
    // The provider polls at most 5 s apart: a bake time held 6 s is seen before it passes.
    let clock = BakingClock::start(
        emulator.shared(),
        Duration::from_millis(10),
        Duration::from_secs(6),
    );
    let (hash_1, hash_2) = (
        emulator.digest_in(REPOSITORY, "hash_1"),
        emulator.digest_in(REPOSITORY, "hash_2"),
    );
    let mut ws = Workspace::new(tf, "strategies", &config(&emulator));
    ws.init();
    ws.set_env("TF_LOG", "INFO");
    let run = ws.run(&["apply", "-auto-approve", "-json", "-parallelism=28"]);
    assert_eq!(
        run.code,
        Some(1),
        "failures are expected:\n{}",
        run.transcript()
    );
    let errors = run.json_errors();
    let show = ws.show();

    let mut problems = Vec::new();
    for (strategy, case) in table() {
        let name = name(strategy, case);
        let mut problem = |text: String| problems.push(format!("{name}: {text}"));
        let state = resource(&show, &name);
        let rollout = &state["rollouts"][&name];
        let sds = service_deployments(emulator.handle(), &name);
        // One deployment started (besides the world's own), none for the rollback: ECS rolled
        // the failed ones back itself.
        if sds.len() != 2 {
            problem(format!("{} service deployments: {sds:?}", sds.len()));
        }
        if rollout["strategy"] != strategy.as_str() {
            problem(format!("strategy {}", rollout["strategy"]));
        }
        let recorded = state["deployments"][&name].as_str().unwrap_or_default();
        let current = sds.last().cloned().unwrap_or(Json::Null);
        if !recorded.ends_with(&format!("/{}", current["id"].as_str().unwrap_or("?"))) {
            problem(format!("records {recorded}, the current one is {current}"));
        }
        let error = errors
            .iter()
            .find(|e| e.detail.contains(&format!("of service {name} ")));
        if case.succeeds() {
            if let Some(error) = error {
                problem(format!("failed: {} {}", error.summary, error.detail));
            }
            if emulator.digest_in(REPOSITORY, &name) != hash_2 {
                problem("the tag is not on hash_2".into());
            }
            if emulator.running_digests(&name) != [hash_2.clone()] {
                problem(format!("runs {:?}", emulator.running_digests(&name)));
            }
            if (
                &rollout["status"],
                &rollout["rfc_status"],
                &rollout["lifecycle_stage"],
            ) != (&"SUCCESSFUL".into(), &"COMPLETE".into(), &Json::Null)
            {
                problem(format!("rollout {rollout}"));
            }
        } else {
            match error {
                None => problem("no error names it".into()),
                Some(error) => {
                    for words in case.explanation() {
                        if !error.detail.contains(words) {
                            problem(format!(
                                "the error does not say {words:?}: {}",
                                error.detail
                            ));
                        }
                    }
                    if !error.detail.contains("Rolled back: tag") {
                        problem(format!("no rollback in: {}", error.detail));
                    }
                }
            }
            if emulator.digest_in(REPOSITORY, &name) != hash_1 {
                problem("the tag did not go back to hash_1".into());
            }
            if state["image_digest"] != hash_1.as_str() {
                problem(format!(
                    "state says the tag is on {}",
                    state["image_digest"]
                ));
            }
            let status = rollout["status"].as_str().unwrap_or_default();
            if !status.starts_with("ROLLBACK_") || rollout["rollout_state"] != "FAILED" {
                problem(format!("rollout {rollout}"));
            }
            // The RFC status follows where ECS stood when the apply last saw it: still rolling
            // back (the old tasks serve while the failed ones go) or done with it.
            let rfc = match status {
                "ROLLBACK_REQUESTED" | "ROLLBACK_IN_PROGRESS" => "RETIRING",
                _ => "DEAD",
            };
            if rollout["rfc_status"] != rfc {
                problem(format!("rfc_status with {status}: {rollout}"));
            }
        }
        if case == Case::Bake && !clock.baked(&name) {
            problem("never seen in BAKE_TIME".into());
        }
    }
    // ECS finishes the rollbacks: each failed service runs hash_1 alone again.
    for (strategy, case) in table().into_iter().filter(|(_, c)| !c.succeeds()) {
        let name = name(strategy, case);
        let back = wait_until(Duration::from_secs(30), || {
            emulator.running_digests(&name) == [hash_1.clone()]
                && service_deployments(emulator.handle(), &name)
                    .last()
                    .is_some_and(|sd| sd["status"] == "ROLLBACK_SUCCESSFUL")
        });
        if !back {
            problems.push(format!(
                "{name}: not rolled back: runs {:?}, {:?}",
                emulator.running_digests(&name),
                service_deployments(emulator.handle(), &name).last()
            ));
        }
    }
    // Calls: one UpdateService per resource and no other; the paused ones answered once each;
    // only the timed-out ones stopped.
    let count = |case_filter: fn(&Case) -> bool| {
        STRATEGIES.len() * CASES.iter().filter(|c| case_filter(c)).count()
    };
    for (operation, expected) in [
        ("UpdateService", count(|_| true)),
        (
            "ContinueServiceDeployment",
            count(|c| matches!(c, Case::Approved | Case::Rejected)),
        ),
        ("StopServiceDeployment", count(|c| *c == Case::TimedOut)),
    ] {
        if emulator.count(operation) != expected {
            problems.push(format!(
                "{operation}: {} calls, expected {expected}",
                emulator.count(operation)
            ));
        }
    }
    // Progress, as TF_LOG=INFO shows it: a line per stage (with traffic and tasks) and one when
    // a deployment waits at a PAUSE hook.
    for line in [
        "service blue-green-bake (BLUE_GREEN): IN_PROGRESS at BAKE_TIME; 1/1 tasks running, 0 pending, test traffic 100%, production traffic 100%",
        "service linear-bake (LINEAR): IN_PROGRESS at BAKE_TIME",
        "service rolling-bake (ROLLING): IN_PROGRESS at BAKE_TIME; 1/1 tasks running, 0 pending",
        "service canary-timeout (CANARY): IN_PROGRESS at POST_TEST_TRAFFIC_SHIFT",
        "paused: PAUSE hook ecs-pause-",
    ] {
        if !run.stderr.contains(line) {
            problems.push(format!("no progress line {line:?} with TF_LOG=INFO"));
        }
    }
    if !run.stderr.contains(ALARM) {
        problems.push("the log does not name the alarm that fired".into());
    }
    assert!(
        problems.is_empty(),
        "{}\n--- errors\n{}",
        problems.join("\n"),
        errors
            .iter()
            .map(|e| format!("{}: {}", e.summary, e.detail))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

terraform_test!(code_deploy_and_external_services_are_refused_at_plan);
fn code_deploy_and_external_services_are_refused_at_plan(tf: &Terraform) {
    let mut world = strategies_world(&[ServiceSpec::new("rolling", Strategy::Rolling)]);
    for (name, controller) in [("codedeploy", "CODE_DEPLOY"), ("external", "EXTERNAL")] {
        let mut service = world["services"][0].clone();
        service["serviceName"] = name.into();
        service["deploymentController"] = serde_json::json!({ "type": controller });
        service["deploymentConfiguration"] = serde_json::json!({});
        world["services"]
            .as_array_mut()
            .expect("services")
            .push(service);
    }
    let emulator = BackgroundEmulator::manual(world);
    let mut text = format!("{}\n{}", required_providers(), emulator.provider_block());
    for (resource, services) in [
        ("mixed", "\"rolling\", \"codedeploy\""),
        ("external", "\"external\""),
    ] {
        text.push_str(&format!(
            "\nresource \"tagdeploy_prod_tag\" \"{resource}\" {{\n  repository  = \"{REPOSITORY}\"\n  tag         = \"rolling\"\n  release_tag = \"hash_2\"\n  cluster     = \"{}\"\n  services    = [{services}]\n}}\n",
            crate::support::strategies::CLUSTER,
        ));
    }
    let ws = Workspace::new(tf, "strategies-controllers", &text);
    ws.init();
    let run = ws.run(&["plan", "-json", "-no-color"]);
    assert_eq!(run.code, Some(1), "{}", run.transcript());
    let errors = run.json_errors();
    for (service, controller, why) in [
        ("codedeploy", "CODE_DEPLOY", "AWS CodeDeploy"),
        ("external", "EXTERNAL", "task sets"),
    ] {
        let found = errors.iter().any(|e| {
            let text = format!("{} {}", e.summary, e.detail);
            text.contains(&format!(
                "Service {service} uses the {controller} deployment controller"
            )) && text.contains(why)
        });
        assert!(
            found,
            "no error names {service} and {controller}:\n{}",
            run.transcript()
        );
    }
    assert!(
        !errors.iter().any(|e| e.detail.contains("Service rolling ")),
        "the ECS-controller service is not refused:\n{}",
        run.transcript()
    );
    assert_eq!(
        emulator.handle().mutations(),
        Vec::<String>::new(),
        "nothing moved or deployed"
    );
}
