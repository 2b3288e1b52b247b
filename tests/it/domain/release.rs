//! The promotion of a set of images (`tagdeploy_release`'s engine): every image in every
//! cluster at once, all or nothing, against the in-process emulator with the calls counted.

use std::time::Duration;

use tagdeploy_emulator::{FaultKind, FaultPlan};
use terraform_provider_tagdeploy::aws::ecr::Ecr;
use terraform_provider_tagdeploy::aws::ecs::{
    Ecs, NoProgress, RolloutState, ServiceDeploymentStatus, WaitOptions,
};
use terraform_provider_tagdeploy::aws::image::{Digest, RepositoryRef};
use terraform_provider_tagdeploy::aws::promote::{Member, Promotion, PromotionError, promote};
use tokio_util::sync::CancellationToken;

use crate::support::aws::quick_provider_clients;
use crate::support::emulator::{Emulated, SetMember, release_set_world};
use crate::support::faults::rule;
use crate::support::observe::Observe;

/// api in cluster main; worker and scheduler (image worker) in cluster batch; web in main.
const SET: [SetMember<'static>; 3] = [
    SetMember {
        repository: "api",
        cluster: "main",
        services: &["api"],
    },
    SetMember {
        repository: "worker",
        cluster: "batch",
        services: &["worker", "scheduler"],
    },
    SetMember {
        repository: "web",
        cluster: "main",
        services: &["web"],
    },
];

const ALL_SERVICES: [&str; 4] = ["api", "worker", "scheduler", "web"];

fn digest(env: &Emulated, repository: &str, tag: &str) -> Digest {
    Digest::parse(&env.digest_in(repository, tag)).expect("a digest")
}

/// The set of `members` promoting `releases` (one release tag per member, in order).
fn set_promotion(
    env: &Emulated,
    members: &[SetMember<'_>],
    releases: &[&str],
    wait: Option<WaitOptions>,
) -> Promotion {
    let members = members
        .iter()
        .zip(releases)
        .map(|(m, release)| Member {
            name: m.repository.to_owned(),
            repository: RepositoryRef::new(m.repository),
            tag: "prod".to_owned(),
            target: digest(env, m.repository, release),
            previous: Some(digest(env, m.repository, "prod")),
            cluster: m.cluster.to_owned(),
            services: m.services.iter().map(|s| (*s).to_owned()).collect(),
            force_redeploy: false,
        })
        .collect();
    Promotion {
        members,
        wait,
        rollback_on_failure: true,
    }
}

fn waiting(timeout: Duration) -> Option<WaitOptions> {
    Some(WaitOptions {
        poll_interval: Duration::from_millis(10),
        max_poll_interval: Duration::from_millis(50),
        ..WaitOptions::new(timeout, CancellationToken::new())
    })
}

/// The digests every service's unstopped tasks run, by service.
fn running(env: &Emulated) -> Vec<(String, Vec<String>)> {
    ALL_SERVICES
        .iter()
        .map(|s| ((*s).to_owned(), env.running_digests(s)))
        .collect()
}

/// Advances the emulator's clock a step at a time until `condition` holds (at most 1,000
/// steps); returns whether it held. (A test blocked in a synchronous wait would starve the
/// background clock of its single-threaded runtime.)
fn advance_until(env: &Emulated, condition: impl Fn() -> bool) -> bool {
    for _ in 0..1000 {
        if condition() {
            return true;
        }
        env.handle.advance(1);
    }
    condition()
}

/// Every service runs only the `tag` image of its repository.
fn everything_runs(env: &Emulated, tag: &str) -> bool {
    SET.iter().all(|m| {
        let want = vec![env.digest_in(m.repository, tag)];
        m.services.iter().all(|s| env.running_digests(s) == want)
    })
}

#[tokio::test]
async fn every_image_moves_and_every_service_rolls_out_across_clusters() {
    let env = Emulated::manual(release_set_world(&SET, &[])).await;
    let p = set_promotion(&env, &SET, &["hash_2"; 3], waiting(Duration::from_secs(60)));
    env.handle.clear_requests();
    let _clock = env.tick_in_background(Duration::from_millis(5));

    let outcome = promote(&env.ecr, &env.ecs, &p, &NoProgress)
        .await
        .expect("promotes");
    for (member, spec) in outcome.members.iter().zip(SET) {
        assert_eq!(member.name, spec.repository);
        assert_eq!(
            member.tag_digest,
            Some(digest(&env, spec.repository, "hash_2"))
        );
        assert!(member.tag_moved);
        let services: Vec<&str> = member
            .deployments
            .iter()
            .map(|d| d.deployment.service.as_str())
            .collect();
        assert_eq!(services, spec.services, "in the member's order");
        for d in &member.deployments {
            assert_eq!(d.deployment.cluster, spec.cluster);
            assert!(d.started);
            assert_eq!(
                (d.status(), d.rollout_state()),
                (
                    Some(ServiceDeploymentStatus::Successful),
                    Some(RolloutState::Completed)
                )
            );
        }
    }
    assert!(everything_runs(&env, "hash_2"), "{:?}", running(&env));
    // The minimum: each manifest fetched once and put once, one deployment per service; and
    // the check after each retag.
    assert_eq!(
        (
            env.count("BatchGetImage"),
            env.count("PutImage"),
            env.count("UpdateService")
        ),
        (3, 3, 4)
    );
    assert_eq!(env.count("DescribeImages"), 3, "{:?}", env.operations());
}

#[tokio::test]
async fn one_failing_rollout_brings_every_image_back() {
    let env = Emulated::manual(release_set_world(&SET, &["worker"])).await;
    let p = set_promotion(
        &env,
        &SET,
        &["hash_2", "hash_bad", "hash_2"],
        waiting(Duration::from_secs(60)),
    );
    let _clock = env.tick_in_background(Duration::from_millis(5));

    let failure = promote(&env.ecr, &env.ecs, &p, &NoProgress)
        .await
        .expect_err("worker's rollout fails");
    assert!(
        matches!(failure.error, PromotionError::Rollout { .. }),
        "{failure:?}"
    );
    let text = failure.to_string();
    assert!(
        text.contains("Image worker: the service deployment"),
        "{text}"
    );
    assert!(text.contains("Rolled back every image"), "{text}");
    let mut redeployed = 0;
    for (member, spec) in failure.outcome.members.iter().zip(SET) {
        let hash_1 = digest(&env, spec.repository, "hash_1");
        assert_eq!(member.tag_digest.as_ref(), Some(&hash_1), "{}", member.name);
        assert_eq!(env.digest_in(spec.repository, "prod"), hash_1.as_str());
        assert_eq!(member.deployments.len(), spec.services.len());
        for d in &member.deployments {
            // Each service either goes back through ECS's own rollback (its failed, or
            // stopped, deployment stays on record) or got a rollback deployment, just started.
            let by_ecs = d.status().is_some_and(|s| s.rolls_back());
            if spec.repository == "worker" {
                assert!(by_ecs, "the circuit breaker rolls worker back: {d:?}");
            }
            if !by_ecs {
                redeployed += 1;
                assert!(d.started, "{d:?}");
                assert_eq!(d.rollout_state(), Some(RolloutState::InProgress));
                assert!(
                    member
                        .story
                        .iter()
                        .any(|s| s.contains("rollback deployment")),
                    "{:?}",
                    member.story
                );
            }
        }
    }
    let reports = failure.member_reports();
    assert_eq!(reports.len(), 3);
    assert!(
        reports[1].starts_with("worker: ") && reports[1].contains("ROLLBACK"),
        "{reports:#?}"
    );
    // One deployment forward per service, and one back per service ECS does not roll back.
    assert_eq!(
        env.count("UpdateService"),
        4 + redeployed,
        "{:?}",
        env.operations()
    );
    assert!(
        advance_until(&env, || everything_runs(&env, "hash_1")),
        "after the rollback every service runs hash_1: {:?}\n{failure}\n{:#?}\n{}",
        running(&env),
        failure.member_reports(),
        serde_json::to_string_pretty(&env.handle.state()["clusters"]).unwrap_or_default()
    );
}

#[tokio::test]
async fn a_tag_that_cannot_move_moves_the_others_back_and_nothing_redeploys() {
    let mut world = release_set_world(&SET, &[]);
    world["repositories"][1]["imageTagMutability"] = serde_json::json!("IMMUTABLE");
    let env = Emulated::manual(world).await;
    let p = set_promotion(&env, &SET, &["hash_2"; 3], waiting(Duration::from_secs(60)));
    env.handle.clear_requests();

    let failure = promote(&env.ecr, &env.ecs, &p, &NoProgress)
        .await
        .expect_err("worker's tag is immutable");
    match &failure.error {
        PromotionError::Retag { member, .. } => assert_eq!(member, "worker"),
        other => panic!("{other:?}"),
    }
    for spec in SET {
        assert_eq!(
            env.digest_in(spec.repository, "prod"),
            env.digest_in(spec.repository, "hash_1"),
            "{} is back where it was",
            spec.repository
        );
    }
    assert!(
        failure
            .rollback
            .as_deref()
            .is_some_and(|r| r.contains("(api, web)")),
        "{failure}"
    );
    assert!(failure.outcome.members.iter().all(|m| !m.tag_moved));
    assert_eq!(env.count("UpdateService"), 0, "nothing redeployed");
    // Three moves tried (two done), two moved back.
    assert_eq!(env.count("PutImage"), 5, "{:?}", env.operations());
}

/// The set promotion with clients that make one attempt per call, so a faulted call fails.
async fn quick(env: &Emulated) -> (Ecr, Ecs, tempfile::TempDir) {
    quick_provider_clients(&env.handle.url(), 1, None).await
}

#[tokio::test]
async fn a_deployment_that_cannot_start_is_not_rolled_back_and_the_next_promotion_starts_only_it() {
    let env = Emulated::manual(release_set_world(&SET[..2], &[])).await;
    let (ecr, ecs, _dir) = quick(&env).await;
    let p = set_promotion(
        &env,
        &SET[..2],
        &["hash_2"; 2],
        waiting(Duration::from_secs(60)),
    );
    let _clock = env.tick_in_background(Duration::from_millis(5));
    let before: Vec<usize> = ["api", "worker", "scheduler"]
        .iter()
        .map(|s| env.deployments(s).len())
        .collect();
    env.handle.set_faults(FaultPlan {
        seed: 1,
        rules: vec![rule("UpdateService", FaultKind::ServerError, 1.0, Some(1))],
    });

    let failure = promote(&ecr, &ecs, &p, &NoProgress)
        .await
        .expect_err("one deployment cannot start");
    env.handle.set_faults(FaultPlan::default());
    let PromotionError::Deploy { failures, .. } = &failure.error else {
        panic!("{failure:?}");
    };
    assert_eq!(failures.len(), 1, "{failure}");
    let missed = failures[0].0.clone();
    assert!(failure.rollback.is_none(), "nothing rolled back: {failure}");
    let hash_1_of_missed = if missed == "api" {
        env.digest_in("api", "hash_1")
    } else {
        env.digest_in("worker", "hash_1")
    };
    assert_eq!(
        failure.standing,
        [format!(
            "Service {missed} runs {hash_1_of_missed} (its deployment could not be started)."
        )]
    );
    for spec in &SET[..2] {
        assert_eq!(
            env.digest_in(spec.repository, "prod"),
            env.digest_in(spec.repository, "hash_2"),
            "the tags stay on the release"
        );
    }
    let recorded: Vec<String> = failure
        .outcome
        .members
        .iter()
        .flat_map(|m| &m.deployments)
        .map(|d| {
            assert_eq!(d.rollout_state(), Some(RolloutState::Completed));
            d.deployment.service.clone()
        })
        .collect();
    assert_eq!(recorded.len(), 2, "the other two rolled out: {recorded:?}");
    assert!(!recorded.contains(&missed));

    // The next promotion starts only the missing deployment and adopts the others.
    let served = env.served("UpdateService");
    let outcome = promote(&ecr, &ecs, &p, &NoProgress)
        .await
        .expect("finishes the job");
    assert_eq!(env.served("UpdateService"), served + 1);
    let started: Vec<&str> = outcome
        .members
        .iter()
        .flat_map(|m| &m.deployments)
        .filter(|d| d.started)
        .map(|d| d.deployment.service.as_str())
        .collect();
    assert_eq!(started, [missed.as_str()]);
    let after: Vec<usize> = ["api", "worker", "scheduler"]
        .iter()
        .map(|s| env.deployments(s).len())
        .collect();
    assert_eq!(
        after,
        before.iter().map(|n| n + 1).collect::<Vec<_>>(),
        "exactly one new deployment per service"
    );
    assert!(
        advance_until(&env, || {
            SET[..2].iter().all(|m| {
                let want = vec![env.digest_in(m.repository, "hash_2")];
                m.services.iter().all(|s| env.running_digests(s) == want)
            })
        }),
        "{:?}",
        running(&env)
    );
}

#[tokio::test]
async fn when_no_deployment_can_start_the_tags_go_back_and_nothing_changed() {
    let env = Emulated::manual(release_set_world(&SET, &[])).await;
    let (ecr, ecs, _dir) = quick(&env).await;
    let p = set_promotion(&env, &SET, &["hash_2"; 3], None);
    env.handle.set_faults(FaultPlan {
        seed: 1,
        rules: vec![rule("UpdateService", FaultKind::ServerError, 1.0, None)],
    });
    let failure = promote(&ecr, &ecs, &p, &NoProgress)
        .await
        .expect_err("no deployment starts");
    assert!(
        matches!(failure.error, PromotionError::Deploy { ref failures, .. } if failures.len() == 4),
        "{failure:?}"
    );
    assert!(
        failure
            .rollback
            .as_deref()
            .is_some_and(|r| r.starts_with("Nothing was redeployed")),
        "{failure}"
    );
    for (member, spec) in failure.outcome.members.iter().zip(SET) {
        let hash_1 = digest(&env, spec.repository, "hash_1");
        assert_eq!(member.tag_digest.as_ref(), Some(&hash_1));
        assert_eq!(env.digest_in(spec.repository, "prod"), hash_1.as_str());
        assert!(member.deployments.is_empty());
    }
}

/// Five repositories of two services each, in two clusters: the set of the bench scenario.
const FIVE: [SetMember<'static>; 5] = [
    SetMember {
        repository: "r1",
        cluster: "main",
        services: &["r1-a", "r1-b"],
    },
    SetMember {
        repository: "r2",
        cluster: "main",
        services: &["r2-a", "r2-b"],
    },
    SetMember {
        repository: "r3",
        cluster: "main",
        services: &["r3-a", "r3-b"],
    },
    SetMember {
        repository: "r4",
        cluster: "batch",
        services: &["r4-a", "r4-b"],
    },
    SetMember {
        repository: "r5",
        cluster: "batch",
        services: &["r5-a", "r5-b"],
    },
];

#[tokio::test]
async fn a_set_of_five_repositories_makes_the_minimum_of_mutating_calls_and_batched_reads() {
    let env = Emulated::manual(release_set_world(&FIVE, &[])).await;
    let p = set_promotion(
        &env,
        &FIVE,
        &["hash_2"; 5],
        waiting(Duration::from_secs(60)),
    );
    env.handle.clear_requests();
    let _clock = env.tick_in_background(Duration::from_millis(5));
    let started = std::time::Instant::now();
    promote(&env.ecr, &env.ecs, &p, &NoProgress)
        .await
        .expect("promotes");
    let elapsed = started.elapsed();
    let mut by_operation: Vec<(String, usize)> = Vec::new();
    for op in env.operations() {
        match by_operation.iter_mut().find(|(o, _)| *o == op) {
            Some((_, n)) => *n += 1,
            None => by_operation.push((op, 1)),
        }
    }
    by_operation.sort();
    // What the bench scenario reports (no timing is asserted).
    eprintln!("5 x 2 set, in process: {elapsed:?}, calls {by_operation:?}");
    // The minimum of mutating calls: each manifest fetched once and put once, one deployment
    // per service; the tag checked once after each move.
    assert_eq!(
        (
            env.count("BatchGetImage"),
            env.count("PutImage"),
            env.count("UpdateService"),
            env.count("DescribeImages"),
        ),
        (5, 5, 10, 5),
        "{by_operation:?}"
    );
    // Every tag moved, so nothing is inspected for adoption; the ten deployments are followed
    // in one DescribeServiceDeployments call a round (20 a call), and their revisions checked
    // in at most one DescribeServiceRevisions call a round.
    for op in ["DescribeServices", "ListTasks", "DescribeTasks"] {
        assert_eq!(env.count(op), 0, "{op}: {by_operation:?}");
    }
    let rounds = env.count("DescribeServiceDeployments");
    assert!(rounds >= 1, "{by_operation:?}");
    let revisions = env.count("DescribeServiceRevisions");
    assert!((1..=rounds).contains(&revisions), "{by_operation:?}");
    assert!(everything_runs_of(&env, &FIVE, "hash_2"));
}

/// Every service of `members` runs only the `tag` image of its repository.
fn everything_runs_of(env: &Emulated, members: &[SetMember<'_>], tag: &str) -> bool {
    members.iter().all(|m| {
        let want = vec![env.digest_in(m.repository, tag)];
        m.services.iter().all(|s| env.running_digests(s) == want)
    })
}

#[tokio::test]
async fn a_set_that_times_out_stops_every_deployment_before_the_tags_go_back() {
    // The clock never moves: no deployment gets anywhere before the timeout.
    let env = Emulated::manual(release_set_world(&SET, &[])).await;
    let p = set_promotion(
        &env,
        &SET,
        &["hash_2"; 3],
        waiting(Duration::from_millis(300)),
    );
    env.handle.clear_requests();
    let failure = promote(&env.ecr, &env.ecs, &p, &NoProgress)
        .await
        .expect_err("times out");
    let text = failure.to_string();
    assert!(text.starts_with("Timed out after 300ms"), "{text}");
    assert!(text.contains("StopServiceDeployment, ROLLBACK"), "{text}");
    let operations = env.operations();
    // Every service's deployment, of every image, is stopped before any tag moves back; ECS
    // rolls each back itself, so nothing is redeployed.
    assert_eq!(
        env.count("StopServiceDeployment"),
        ALL_SERVICES.len(),
        "{operations:?}"
    );
    let last_stop = operations
        .iter()
        .rposition(|o| o.ends_with("StopServiceDeployment"));
    let first_put_back = operations
        .iter()
        .enumerate()
        .filter(|(_, o)| o.ends_with("PutImage"))
        .map(|(i, _)| i)
        .nth(SET.len());
    assert!(last_stop < first_put_back, "{operations:?}");
    assert_eq!(env.count("PutImage"), 2 * SET.len(), "forward and back");
    assert_eq!(
        env.count("UpdateService"),
        ALL_SERVICES.len(),
        "no redeploy: {operations:?}"
    );
    for (member, spec) in failure.outcome.members.iter().zip(SET) {
        let hash_1 = digest(&env, spec.repository, "hash_1");
        assert_eq!(member.tag_digest.as_ref(), Some(&hash_1));
        assert_eq!(env.digest_in(spec.repository, "prod"), hash_1.as_str());
        for d in &member.deployments {
            assert!(d.stopped, "{d:?}");
            assert_eq!(
                d.status(),
                Some(ServiceDeploymentStatus::RollbackRequested),
                "described again after the stop: {d:?}"
            );
        }
    }
}
