//! Interruptions: the provider, and separately Terraform, SIGKILLed at each step of a
//! promotion of two services; then the held call is released and apply runs again. It must
//! converge: the tag on the release, every service running it, state truthful, and no service
//! that already got its deployment redeployed. Ctrl-C during the rollout wait must stop the
//! apply promptly through StopProvider, also while an AWS call hangs.
//!
//! Steps, and how each is reached (the emulator holds a call until released; a released call
//! then proceeds, as a request already in flight at AWS would):
//! - `before_retag_get`: BatchGetImage (fetching the manifest) held; nothing moved.
//! - `before_retag_put`: PutImage held; released, it moves the tag after the kill.
//! - `after_retag`: both UpdateService calls held; released, both deployments start.
//! - `between_services`: the provider redeploys the services concurrently, so "between" is
//!   one UpdateService answered and the other held. Apply runs again BEFORE the held call is
//!   released: it must redeploy only the service that did not get its deployment.
//! - `during_wait`: both deployments started; a DescribeServiceDeployments of the wait held.

use std::time::{Duration, Instant};

use serde_json::Value as Json;
use tagdeploy_emulator::{FaultKind, FaultPlan};

use crate::support::emulator::{BackgroundEmulator, add_services, demo_world_json};
use crate::support::faults::{hold, rule};
use crate::support::observe::Observe;
use crate::support::process::{parent_of, providers_in, signal};
use crate::support::prod_tag::{prod_tag_config, prod_tag_state};
use crate::support::terraform::{Terraform, Workspace, terraform_test};
use crate::support::wait_until;

const SERVICES: [&str; 2] = ["example", "example-1"];
/// How long a step may take to be reached (generous: a loaded machine is slow).
const REACH: Duration = Duration::from_secs(90);
/// Far above a prompt stop (about a second), far below "waits for a call that never answers".
const STOP_BOUND: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    BeforeRetagGet,
    BeforeRetagPut,
    AfterRetag,
    BetweenServices,
    DuringWait,
}

const STEPS: [Step; 5] = [
    Step::BeforeRetagGet,
    Step::BeforeRetagPut,
    Step::AfterRetag,
    Step::BetweenServices,
    Step::DuringWait,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Victim {
    Provider,
    Terraform,
}

fn world() -> Json {
    let mut world = demo_world_json();
    add_services(&mut world, 1);
    world
}

/// Sets the faults that stop the promotion at `step` and waits until it is stopped there.
fn reach(step: Step, emulator: &BackgroundEmulator) -> bool {
    let held = |op: &str| wait_until(REACH, || emulator.handle().held().iter().any(|h| h == op));
    match step {
        Step::BeforeRetagGet => held("BatchGetImage"),
        Step::BeforeRetagPut => held("PutImage"),
        Step::AfterRetag => wait_until(REACH, || {
            emulator
                .handle()
                .held()
                .iter()
                .filter(|h| *h == "UpdateService")
                .count()
                == 2
        }),
        Step::BetweenServices => {
            held("UpdateService") && wait_until(REACH, || emulator.served("UpdateService") == 1)
        }
        Step::DuringWait => {
            // Hold a poll of the wait, once the deployments have started.
            wait_until(REACH, || emulator.served("UpdateService") == 2) && {
                emulator
                    .handle()
                    .set_faults(hold("DescribeServiceDeployments"));
                held("DescribeServiceDeployments")
            }
        }
    }
}

fn faults_for(step: Step) -> FaultPlan {
    match step {
        Step::BeforeRetagGet => hold("BatchGetImage"),
        Step::BeforeRetagPut => hold("PutImage"),
        Step::AfterRetag => FaultPlan {
            seed: 1,
            rules: vec![rule("UpdateService", FaultKind::Hold, 1.0, Some(2))],
        },
        Step::BetweenServices => hold("UpdateService"),
        Step::DuringWait => FaultPlan::default(),
    }
}

/// One interruption scenario, start to finish; returns a description of what went wrong.
fn scenario(tf: &Terraform, step: Step, victim: Victim) -> Result<(), String> {
    let emulator = BackgroundEmulator::manual(world());
    let hash_2 = emulator.digest("hash_2");
    let ws = Workspace::new(
        tf,
        &format!("interrupt-{victim:?}-{step:?}").to_lowercase(),
        &prod_tag_config(&emulator, &SERVICES, ""),
    );
    ws.init();
    ws.apply(&["-var", "release=hash_1"]);
    let before: Vec<usize> = SERVICES
        .iter()
        .map(|s| emulator.deployments(s).len())
        .collect();

    // The clock stands still, so the rollout cannot finish before the kill.
    emulator.handle().set_faults(faults_for(step));
    emulator.handle().clear_requests();
    let run = std::thread::scope(|scope| {
        let apply = scope.spawn(|| ws.try_apply(&["-var", "release=hash_2"]));
        if !reach(step, &emulator) {
            // Let the apply finish so the failure message is useful.
            emulator.handle().set_faults(FaultPlan::default());
            emulator.handle().release("*");
            let run = apply.join().expect("apply thread");
            return Err(format!("{step:?} never reached:\n{}", run.transcript()));
        }
        let providers = providers_in(&ws.work_dir());
        let targets: Vec<i32> = match victim {
            Victim::Provider => providers.clone(),
            Victim::Terraform => providers.iter().filter_map(|p| parent_of(*p)).collect(),
        };
        if targets.is_empty() || !targets.iter().all(|p| signal(*p, libc::SIGKILL)) {
            return Err(format!("no {victim:?} process to kill ({providers:?})"));
        }
        let run = apply.join().expect("apply thread");
        if victim == Victim::Terraform {
            // The provider must not outlive the Terraform that started it.
            let gone = wait_until(Duration::from_secs(10), || {
                providers_in(&ws.work_dir()).is_empty()
            });
            if !gone {
                for p in providers_in(&ws.work_dir()) {
                    signal(p, libc::SIGKILL);
                }
                return Err("the provider outlived the killed Terraform by 10 s".into());
            }
        }
        Ok(run)
    })?;
    if run.code == Some(0) {
        return Err(format!("the killed apply succeeded:\n{}", run.transcript()));
    }

    emulator.handle().set_faults(FaultPlan::default());
    if step != Step::BetweenServices {
        emulator.handle().release("*");
    }
    // A released call proceeds if its client is still connected; the killed provider's are
    // not, so the emulator drops them. Give a released call a moment to land either way.
    let new_deployments = || -> Vec<usize> {
        SERVICES
            .iter()
            .zip(&before)
            .map(|(s, n)| emulator.deployments(s).len() - n)
            .collect()
    };
    std::thread::sleep(Duration::from_millis(300));
    let started = new_deployments();
    // Services whose deployment already started must not be redeployed.
    let expected_updates = started.iter().filter(|n| **n == 0).count();
    let expected_started = match step {
        Step::BeforeRetagGet | Step::BeforeRetagPut => Some(0),
        Step::BetweenServices => Some(1),
        Step::DuringWait => Some(2),
        // Depends on whether the emulator processed the released calls.
        Step::AfterRetag => None,
    };
    if let Some(expected) = expected_started
        && started.iter().filter(|n| **n == 1).count() != expected
    {
        return Err(format!(
            "{step:?}: {started:?} new deployments at the kill, expected {expected} started"
        ));
    }
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let updates_before = emulator.served("UpdateService");
    let again = ws.try_apply(&["-var", "release=hash_2"]);
    if again.code != Some(0) {
        return Err(format!("the next apply failed:\n{}", again.transcript()));
    }
    let updates = emulator.served("UpdateService") - updates_before;
    let mut problems = Vec::new();
    if updates != expected_updates {
        problems.push(format!(
            "the next apply called UpdateService {updates} times, expected {expected_updates}"
        ));
    }
    if emulator.digest("prod") != hash_2 {
        problems.push("the tag is not on the release".into());
    }
    for (service, before) in SERVICES.iter().zip(&before) {
        let now = emulator.deployments(service).len();
        if now != before + 1 {
            problems.push(format!(
                "{service} had {before} deployments and now has {now}: not exactly one more"
            ));
        }
        let running = emulator.running_digests(service);
        if running != [hash_2.clone()] {
            problems.push(format!("{service} runs {running:?}"));
        }
    }
    let state = prod_tag_state(&ws);
    if state["image_digest"] != hash_2.as_str() {
        problems.push(format!("state says {}", state["image_digest"]));
    }
    let recorded = state["rollouts"].as_object().cloned().unwrap_or_default();
    if recorded.len() != 2 || !recorded.values().all(|r| r["rollout_state"] == "COMPLETED") {
        problems.push(format!("state rollouts {recorded:?}"));
    }
    let (code, text) = ws.plan_exit_code(&["-var", "release=hash_2"]);
    if code != 0 {
        problems.push(format!("the next plan is not empty:\n{text}"));
    }
    // The stale call of `between_services` goes through last (its deployment is harmless: the
    // same digest); release it so the emulator shuts down cleanly.
    emulator.handle().release("*");
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n{}", problems.join("\n"), again.transcript()))
    }
}

/// Runs every step concurrently (each with its own emulator and workspace).
fn every_step(tf: &Terraform, victim: Victim) {
    let failures: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = STEPS
            .iter()
            .map(|step| (step, scope.spawn(move || scenario(tf, *step, victim))))
            .collect();
        runs.into_iter()
            .filter_map(|(step, run)| match run.join() {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(format!("{victim:?} killed {step:?}: {e}")),
                Err(_) => Some(format!("{victim:?} killed {step:?}: panicked")),
            })
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n=====\n\n"));
}

terraform_test!(provider_killed_at_each_step_converges);
fn provider_killed_at_each_step_converges(tf: &Terraform) {
    every_step(tf, Victim::Provider);
}

terraform_test!(terraform_killed_at_each_step_converges);
fn terraform_killed_at_each_step_converges(tf: &Terraform) {
    every_step(tf, Victim::Terraform);
}

/// Ctrl-C (SIGINT to Terraform) while the provider waits for the rollout: Terraform calls
/// StopProvider, the wait stops, the apply ends with an error that says the rollout continues,
/// and state records the tag and the deployments under way. With `hang`, a
/// DescribeServiceDeployments call of the wait never answers: stopping must not wait for it.
fn ctrl_c_during_the_wait(tf: &Terraform, hang: bool) -> Duration {
    let emulator = BackgroundEmulator::manual(world());
    let hash_2 = emulator.digest("hash_2");
    let ws = Workspace::new(
        tf,
        if hang { "ctrl-c-hang" } else { "ctrl-c" },
        &prod_tag_config(&emulator, &SERVICES, ""),
    );
    ws.init();
    ws.apply(&["-var", "release=hash_1"]);
    emulator.handle().clear_requests();
    let done = std::sync::atomic::AtomicBool::new(false);
    let (run, to_exit) = std::thread::scope(|scope| {
        let apply = scope.spawn(|| ws.try_apply(&["-var", "release=hash_2"]));
        assert!(
            wait_until(REACH, || emulator.served("UpdateService") == 2),
            "the rollout never started"
        );
        if hang {
            emulator
                .handle()
                .set_faults(hold("DescribeServiceDeployments"));
            assert!(wait_until(REACH, || !emulator.handle().held().is_empty()));
        } else {
            // In the wait: at least one poll answered after the deployments.
            assert!(wait_until(REACH, || {
                emulator.served("DescribeServiceDeployments") >= 1
            }));
        }
        let providers = providers_in(&ws.work_dir());
        let terraform: Vec<i32> = providers.iter().filter_map(|p| parent_of(*p)).collect();
        assert_eq!(terraform.len(), 1, "one Terraform process ({providers:?})");
        // Terraform 1.15 is a python process running Terraform as a shared library: the Go
        // runtime inside it installs its own SIGINT handler, so SIGINT to that pid is enough.
        let sent = Instant::now();
        assert!(signal(terraform[0], libc::SIGINT));
        // Watchdog: a stop that waits for the hanging call would otherwise wait forever.
        scope.spawn(|| {
            if !wait_until(STOP_BOUND, || {
                done.load(std::sync::atomic::Ordering::Relaxed)
            }) {
                emulator.handle().release("*");
            }
        });
        let run = apply.join().expect("apply thread");
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        (run, sent.elapsed())
    });
    assert!(
        to_exit < STOP_BOUND,
        "Terraform waited {to_exit:?} after SIGINT: stopping waits for AWS calls in flight"
    );
    eprintln!(
        "Terraform {} exited {to_exit:?} after SIGINT (hanging call: {hang}), code {:?}",
        tf.version, run.code
    );
    assert_ne!(run.code, Some(0), "{}", run.transcript());
    let text = run.transcript();
    assert!(
        text.contains("Stopped before the rollout"),
        "the error says the rollout continues:\n{text}"
    );
    let state = prod_tag_state(&ws);
    assert_eq!(
        state["image_digest"], hash_2,
        "the tag moved and state says so"
    );
    let started = state["deployments"].clone();
    assert_eq!(started.as_object().map(|m| m.len()), Some(2), "{state:#}");

    // The rollouts go on; the next apply waits for them without redeploying.
    emulator.handle().set_faults(FaultPlan::default());
    emulator.handle().release("*");
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    ws.apply(&["-var", "release=hash_2"]);
    assert_eq!(emulator.served("UpdateService"), 2, "no second deployment");
    let state = prod_tag_state(&ws);
    assert_eq!(
        state["deployments"], started,
        "the rollouts under way were adopted"
    );
    let recorded = state["rollouts"].as_object().cloned().unwrap_or_default();
    assert!(
        recorded.values().all(|r| r["rollout_state"] == "COMPLETED"),
        "{recorded:?}"
    );
    to_exit
}

terraform_test!(ctrl_c_during_the_wait_stops_through_stop_provider);
fn ctrl_c_during_the_wait_stops_through_stop_provider(tf: &Terraform) {
    std::thread::scope(|scope| {
        let sleeping = scope.spawn(|| ctrl_c_during_the_wait(tf, false));
        let hanging = scope.spawn(|| ctrl_c_during_the_wait(tf, true));
        let (sleeping, hanging) = (
            sleeping.join().expect("sleeping wait"),
            hanging.join().expect("hanging call"),
        );
        eprintln!("SIGINT to exit: {sleeping:?} in the poll sleep, {hanging:?} in a hanging call");
    });
}
