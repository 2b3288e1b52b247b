//! Coalesced reads: the shared clients of one provider process batch DescribeServices,
//! DescribeTasks and DescribeServiceDeployments of concurrent callers and single-flight identical DescribeImages lookups, while
//! every caller still gets its own answer and its own errors.

use futures::future::join_all;
use terraform_provider_tagdeploy::aws::config::Clients;
use terraform_provider_tagdeploy::aws::error::EcsError;
use terraform_provider_tagdeploy::aws::image::{ImageSelector, RepositoryRef};
use terraform_provider_tagdeploy::aws::report::{ReportRequest, task_digest_report};

use crate::support::aws::provider_clients;
use crate::support::emulator::{Emulated, add_services, demo_world_json};
use crate::support::observe::Observe;

/// The emulator on the demo world with `extra` more services, and the provider's shared
/// clients for it (built the way the provider builds them).
async fn setup(extra: usize) -> (Emulated, Clients, tempfile::TempDir) {
    let mut world = demo_world_json();
    add_services(&mut world, extra);
    let env = Emulated::manual(world).await;
    let (clients, dir) = provider_clients(&env.url()).await;
    env.handle.clear_requests();
    (env, clients, dir)
}

fn service_names(extra: usize) -> Vec<String> {
    std::iter::once("example".to_owned())
        .chain((1..=extra).map(|i| format!("example-{i}")))
        .collect()
}

#[tokio::test]
async fn concurrent_describes_of_25_services_make_3_calls() {
    let (env, clients, _dir) = setup(24).await;
    let ecs = clients.shared_ecs();
    let names = service_names(24);
    let results = join_all(
        names
            .iter()
            .map(|n| ecs.services("example", std::slice::from_ref(n))),
    )
    .await;
    for (name, result) in names.iter().zip(results) {
        let states = result.expect("service exists");
        assert_eq!(states.len(), 1);
        assert_eq!(&states[0].name, name);
        assert!(states[0].arn.ends_with(&format!("/{name}")));
    }
    assert_eq!(env.count("DescribeServices"), 3);
}

#[tokio::test]
async fn concurrent_describes_of_25_service_deployments_make_2_calls() {
    let (env, clients, _dir) = setup(24).await;
    let ecs = clients.shared_ecs();
    let names = service_names(24);
    let services = ecs.services("example", &names).await.expect("services");
    let mut arns: Vec<String> = services
        .iter()
        .map(|s| {
            s.current_service_deployment
                .clone()
                .unwrap_or_else(|| panic!("{} has a service deployment", s.name))
        })
        .collect();
    // One ARN that ECS does not know: only its caller sees the failure.
    let missing = arns[0].replace("/example/example/", "/example/nope/");
    arns.push(missing.clone());
    env.handle.clear_requests();
    let results = join_all(
        arns.iter()
            .map(|arn| ecs.service_deployments(std::slice::from_ref(arn))),
    )
    .await;
    for (arn, result) in arns.iter().zip(results) {
        let described = result.expect("described");
        if *arn == missing {
            assert!(described.found.is_empty(), "{described:?}");
            assert_eq!(described.failures.len(), 1, "{described:?}");
            assert_eq!(&described.failures[0].0, arn);
        } else {
            assert_eq!(described.found.len(), 1, "{arn}: {described:?}");
            assert_eq!(&described.found[0].arn, arn);
            assert!(described.failures.is_empty(), "{described:?}");
        }
    }
    // 26 ARNs, 20 a call, asked together: two calls, where each caller alone makes 26.
    assert_eq!(env.count("DescribeServiceDeployments"), 2);
}

#[tokio::test]
async fn a_missing_service_fails_only_its_caller() {
    let (env, clients, _dir) = setup(3).await;
    let ecs = clients.shared_ecs();
    let mut names = service_names(3);
    names.insert(2, "nope".to_owned());
    let results = join_all(
        names
            .iter()
            .map(|n| ecs.services("example", std::slice::from_ref(n))),
    )
    .await;
    for (name, result) in names.iter().zip(results) {
        match result {
            Ok(states) => assert_eq!(&states[0].name, name),
            Err(EcsError::ServicesNotFound { cluster, names }) => {
                assert_eq!(cluster, "example");
                assert_eq!(names, ["nope"]);
            }
            Err(other) => panic!("{name}: unexpected {other}"),
        }
    }
    assert_eq!(env.count("DescribeServices"), 1);
}

#[tokio::test]
async fn a_missing_cluster_fails_every_caller_of_it() {
    let (env, clients, _dir) = setup(2).await;
    let ecs = clients.shared_ecs();
    let names = service_names(2);
    let (ghost, real) = tokio::join!(
        join_all(
            names
                .iter()
                .map(|n| ecs.services("ghost", std::slice::from_ref(n)))
        ),
        ecs.services("example", &names),
    );
    for result in ghost {
        assert_eq!(
            result,
            Err(EcsError::ClusterNotFound {
                cluster: "ghost".into()
            })
        );
    }
    assert_eq!(real.expect("other cluster unaffected").len(), 3);
    // One call per cluster.
    assert_eq!(env.count("DescribeServices"), 2);
}

#[tokio::test]
async fn concurrent_reports_share_calls_and_match_reports_made_alone() {
    let (env, clients, _dir) = setup(11).await;
    let names = service_names(11);
    let requests: Vec<ReportRequest> = names
        .iter()
        .map(|service| ReportRequest {
            deployment_id: None,
            cluster: "example".into(),
            service: service.clone(),
            tag: "prod".into(),
            repository: None,
            container: None,
        })
        .collect();
    let (ecr, ecs) = (clients.shared_ecr(), clients.shared_ecs());
    let shared = join_all(requests.iter().map(|r| task_digest_report(&ecr, &ecs, r))).await;
    let counts: Vec<usize> = ["DescribeServices", "DescribeTasks", "DescribeImages"]
        .iter()
        .map(|op| env.count(op))
        .collect();
    eprintln!(
        "12 concurrent reports: DescribeServices, DescribeTasks, DescribeImages = {counts:?}"
    );
    // The reports start together, so their DescribeServices calls are batched 10 a call; the
    // later calls depend on when each ListTasks answers, so they are only bounded.
    assert_eq!(counts[0], 2);
    assert!(counts[1] <= 12 && counts[2] <= 12);
    for (request, report) in requests.iter().zip(shared) {
        let report = report.expect("report");
        let alone = task_digest_report(&env.ecr, &env.ecs, request)
            .await
            .expect("report made alone");
        assert_eq!(report, alone, "{}", request.service);
        assert_eq!(report.tasks.len(), 2);
    }
}

#[tokio::test]
async fn identical_image_lookups_share_one_call_in_flight_only() {
    let (env, clients, _dir) = setup(0).await;
    let ecr = clients.shared_ecr();
    let repo = RepositoryRef::new("example");
    let prod = [ImageSelector::Tag("prod".into())];
    let stage = [ImageSelector::Tag("hash_1".into())];
    let (prods, other) = tokio::join!(
        join_all((0..10).map(|_| ecr.images(&repo, &prod))),
        ecr.images(&repo, &stage),
    );
    let first = prods[0].clone().expect("prod");
    assert!(first[0].is_some());
    assert!(prods.iter().all(|p| p.as_ref() == Ok(&first)));
    assert!(other.expect("hash_1")[0].is_some());
    assert_eq!(env.count("DescribeImages"), 2);
    // Nothing is cached: a lookup after the answer is a call of its own.
    ecr.images(&repo, &prod).await.expect("prod again");
    assert_eq!(env.count("DescribeImages"), 3);
}
