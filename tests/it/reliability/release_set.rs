//! A release set (`tagdeploy_release`) interrupted and throttled, through real Terraform.
//!
//! - The provider, and separately Terraform, SIGKILLed between two images' retags (one tag
//!   moved, the other's PutImage held) and between two images' deployments (three services'
//!   UpdateService answered, the fourth held): the next apply converges, with exactly one new
//!   deployment per service (in the second case it runs before the held call is released, so
//!   it must start only the missing deployment).
//! - Throttled ECR and ECS calls (each rule within the SDK's retries) during a set's promotion:
//!   the apply succeeds with one deployment per service.
//!
//! One failing image bringing every image back is in `e2e::release`; the engine's cases
//! (failed retag, deployments that cannot start) in `domain::release`.

use std::time::Duration;

use tagdeploy_emulator::{AwsService, FaultKind, FaultPlan, FaultRule};

use crate::support::emulator::{BackgroundEmulator, SetMember, release_set_world};
use crate::support::faults::{hold, rule};
use crate::support::observe::Observe;
use crate::support::process::{parent_of, providers_in, signal};
use crate::support::release::{release_config, release_state};
use crate::support::terraform::{Terraform, Workspace, terraform_test};
use crate::support::wait_until;

const SET: [SetMember<'static>; 2] = [
    SetMember {
        repository: "api",
        cluster: "main",
        services: &["api"],
    },
    SetMember {
        repository: "worker",
        cluster: "batch",
        services: &["worker", "scheduler", "cron"],
    },
];

const SERVICES: [&str; 4] = ["api", "worker", "scheduler", "cron"];

/// How long a step may take to be reached (generous: a loaded machine is slow).
const REACH: Duration = Duration::from_secs(90);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// One image's PutImage held, the other's answered.
    BetweenRetags,
    /// Three UpdateService calls answered, one held; the next apply runs before it is released.
    BetweenDeployments,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Victim {
    Provider,
    Terraform,
}

fn deployment_counts(emulator: &BackgroundEmulator) -> Vec<usize> {
    SERVICES
        .iter()
        .map(|s| emulator.deployments(s).len())
        .collect()
}

/// One interruption, start to finish; returns what went wrong.
fn scenario(tf: &Terraform, step: Step, victim: Victim) -> Result<(), String> {
    let emulator = BackgroundEmulator::manual(release_set_world(&SET, &[]));
    let ws = Workspace::new(
        tf,
        &format!("release-kill-{victim:?}-{step:?}").to_lowercase(),
        &release_config(&emulator, &SET, &[], ""),
    );
    ws.init();
    ws.apply(&["-var", "release=hash_1"]);
    let before = deployment_counts(&emulator);

    // The clock stands still, so no rollout can finish before the kill.
    emulator.handle().set_faults(hold(match step {
        Step::BetweenRetags => "PutImage",
        Step::BetweenDeployments => "UpdateService",
    }));
    let run = std::thread::scope(|scope| {
        let apply = scope.spawn(|| ws.try_apply(&["-var", "release=hash_2"]));
        let (operation, answered) = match step {
            Step::BetweenRetags => ("PutImage", 1),
            Step::BetweenDeployments => ("UpdateService", 3),
        };
        let reached = wait_until(REACH, || {
            emulator.handle().held().iter().any(|h| h == operation)
                && emulator.served(operation) == answered
        });
        if !reached {
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
        Ok(apply.join().expect("apply thread"))
    })?;
    if run.code == Some(0) {
        return Err(format!("the killed apply succeeded:\n{}", run.transcript()));
    }
    if victim == Victim::Terraform
        && !wait_until(Duration::from_secs(10), || {
            providers_in(&ws.work_dir()).is_empty()
        })
    {
        return Err("the provider outlived the killed Terraform by 10 s".into());
    }
    emulator.handle().set_faults(FaultPlan::default());
    if step == Step::BetweenRetags {
        emulator.handle().release("*");
        std::thread::sleep(Duration::from_millis(300));
    }
    let started: Vec<usize> = deployment_counts(&emulator)
        .iter()
        .zip(&before)
        .map(|(now, then)| now - then)
        .collect();
    let expected_updates = started.iter().filter(|n| **n == 0).count();
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let updates_before = emulator.served("UpdateService");
    let again = ws.try_apply(&["-var", "release=hash_2"]);
    if again.code != Some(0) {
        return Err(format!("the next apply failed:\n{}", again.transcript()));
    }
    let mut problems = Vec::new();
    let updates = emulator.served("UpdateService") - updates_before;
    if updates != expected_updates {
        problems.push(format!(
            "the next apply started {updates} deployments, expected {expected_updates} ({started:?} had started)"
        ));
    }
    let now = deployment_counts(&emulator);
    if now != before.iter().map(|n| n + 1).collect::<Vec<_>>() {
        problems.push(format!(
            "deployments per service went from {before:?} to {now:?}: not exactly one more each"
        ));
    }
    let state = release_state(&ws);
    for m in &SET {
        let hash_2 = emulator.digest_in(m.repository, "hash_2");
        if emulator.digest_in(m.repository, "prod") != hash_2 {
            problems.push(format!("{}'s tag is not on the release", m.repository));
        }
        if state["images"][m.repository]["image_digest"] != hash_2.as_str() {
            problems.push(format!(
                "state of {}: {}",
                m.repository, state["images"][m.repository]
            ));
        }
        for service in m.services {
            if !wait_until(Duration::from_secs(30), || {
                emulator.running_digests(service) == [hash_2.clone()]
            }) {
                problems.push(format!(
                    "{service} runs {:?}",
                    emulator.running_digests(service)
                ));
            }
        }
    }
    let (code, text) = ws.plan_exit_code(&["-var", "release=hash_2"]);
    if code != 0 {
        problems.push(format!("the next plan is not empty:\n{text}"));
    }
    // The stale held call of `BetweenDeployments` goes last (a second deployment of the same
    // digest, harmless); release it so the emulator shuts down cleanly.
    emulator.handle().release("*");
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n{}", problems.join("\n"), again.transcript()))
    }
}

terraform_test!(a_release_killed_between_two_images_converges);
fn a_release_killed_between_two_images_converges(tf: &Terraform) {
    let cases = [
        (Step::BetweenRetags, Victim::Provider),
        (Step::BetweenRetags, Victim::Terraform),
        (Step::BetweenDeployments, Victim::Provider),
        (Step::BetweenDeployments, Victim::Terraform),
    ];
    let failures: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = cases
            .iter()
            .map(|(step, victim)| {
                (
                    (step, victim),
                    scope.spawn(move || scenario(tf, *step, *victim)),
                )
            })
            .collect();
        runs.into_iter()
            .filter_map(|((step, victim), run)| match run.join() {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(format!("{victim:?} killed {step:?}: {e}")),
                Err(_) => Some(format!("{victim:?} killed {step:?}: panicked")),
            })
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n=====\n\n"));
}

/// Throttles on `service` at `rate`, at most `max` times (within the SDK's retries).
fn throttles(service: AwsService, rate: f64, max: u64) -> FaultRule {
    FaultRule {
        service: Some(service),
        ..rule("*", FaultKind::Throttle, rate, Some(max))
    }
}

terraform_test!(a_release_under_throttling_deploys_each_service_once);
fn a_release_under_throttling_deploys_each_service_once(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(release_set_world(&SET, &[]));
    let _clock = emulator.tick_in_background(Duration::from_millis(20));
    let ws = Workspace::new(
        tf,
        "release-throttled",
        &release_config(&emulator, &SET, &[], ""),
    );
    ws.init();
    ws.apply(&["-var", "release=hash_1"]);
    let before = deployment_counts(&emulator);
    emulator.handle().clear_requests();
    emulator.handle().set_faults(FaultPlan {
        seed: 12,
        rules: vec![
            throttles(AwsService::Ecr, 0.5, 2),
            throttles(AwsService::Ecs, 0.3, 2),
        ],
    });
    ws.apply(&["-var", "release=hash_2"]);
    let throttled = emulator
        .handle()
        .requests()
        .iter()
        .filter(|r| r.fault.is_some())
        .count();
    emulator.handle().set_faults(FaultPlan::default());
    assert!(
        throttled > 0,
        "no call was throttled: the run proves nothing"
    );
    assert_eq!(
        emulator.served("UpdateService"),
        SERVICES.len(),
        "one deployment per service"
    );
    assert_eq!(
        deployment_counts(&emulator),
        before.iter().map(|n| n + 1).collect::<Vec<_>>()
    );
    let state = release_state(&ws);
    for m in &SET {
        let hash_2 = emulator.digest_in(m.repository, "hash_2");
        assert_eq!(emulator.digest_in(m.repository, "prod"), hash_2);
        assert_eq!(
            state["images"][m.repository]["image_digest"],
            hash_2.as_str()
        );
    }
    assert_eq!(ws.plan_exit_code(&["-var", "release=hash_2"]).0, 0);
}
