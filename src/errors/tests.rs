//! The mapper's words, attributes and hints.

use super::*;
use crate::aws::ecs::{RecordedDeployment, ServiceDeploymentState};
use crate::aws::error::{Attempts, Service};
use crate::aws::image::{Digest, RepositoryRef};
use crate::aws::promote::{MemberOutcome, Outcome};

fn nested() -> Attributes {
    let image = AttributePath::attr("images").then_key("api");
    Attributes::new()
        .repository(image.clone().then_attr("repository"))
        .registry_id(image.clone().then_attr("registry_id"))
        .image_tag(image.clone().then_attr("release_tag"))
        .environment_tag(AttributePath::attr("tag"))
        .cluster(AttributePath::attr("cluster"))
        .services(AttributePath::attr("services"))
}

/// Where each named image stands: nowhere, nothing recorded, `story` told.
fn outcome(members: &[(&str, &[&str])]) -> Outcome {
    Outcome {
        members: members
            .iter()
            .map(|(name, story)| MemberOutcome {
                name: (*name).to_owned(),
                tag_digest: None,
                tag_moved: false,
                deployments: Vec::new(),
                story: story.iter().map(|s| (*s).to_owned()).collect(),
            })
            .collect(),
    }
}

/// The attributes of the image `api` whatever the name asked for.
fn at_api(_: &str) -> Attributes {
    nested()
}

fn api(failure: CallFailure, made: u32) -> ApiError {
    ApiError {
        service: Service::Ecr,
        operation: "PutImage",
        failure,
        attempts: Attempts {
            made,
            allowed: 5,
            out_of_time: false,
        },
        request_id: Some("req-1".into()),
    }
}

fn throttled() -> ApiError {
    api(
        CallFailure::Throttled {
            code: "ThrottlingException".into(),
            message: Some("Rate exceeded".into()),
        },
        5,
    )
}

#[test]
fn a_missing_repository_reads_the_same_everywhere_and_points_at_nested_paths() {
    let error = EcrError::RepositoryNotFound {
        repository: RepositoryRef::new("nope"),
    };
    let d = ecr("Read Image Error", &error, &nested());
    assert_eq!(d.summary, "Read Image Error");
    assert_eq!(
        d.detail,
        "ECR repository nope does not exist, or the credentials in use cannot see it (RepositoryNotFoundException). Check `images[\"api\"].repository`, `images[\"api\"].registry_id` and the provider's region."
    );
    assert_eq!(
        d.attribute.map(|p| p.to_string()).as_deref(),
        Some("images[\"api\"].repository")
    );
    // Another type, other attributes: the same words.
    let flat = Attributes::new().repository(AttributePath::attr("repository"));
    let other = ecr("Resolve Release Error", &error, &flat);
    assert!(other.detail.starts_with(
        "ECR repository nope does not exist, or the credentials in use cannot see it (RepositoryNotFoundException). Check `repository` and"
    ));
}

#[test]
fn access_denied_gives_the_iam_hint_in_reads_and_promotions() {
    let denied = api(
        CallFailure::Rejected {
            code: Some("AccessDeniedException".into()),
            message: Some("not authorized".into()),
            status: Some(400),
        },
        1,
    );
    let read = ecr(
        "Read Image Error",
        &EcrError::Api(denied.clone()),
        &nested(),
    );
    assert!(
        read.detail.contains("not allowed to call ECR PutImage"),
        "{read}"
    );
    assert!(!read.detail.contains("again"), "not transient: {read}");
    let failure = Failure {
        error: PromotionError::Retag {
            member: "api".into(),
            tag: "prod".into(),
            target: Digest::parse(&format!("sha256:{}", "a".repeat(64))).expect("digest"),
            source: EcrError::Api(denied),
        },
        rollback: None,
        standing: Vec::new(),
        outcome: outcome(&[("api", &[])]),
    };
    let d = promotion(&failure, &at_api);
    assert_eq!(d.summary, "Retag Image Error");
    assert!(d.detail.contains("not allowed to call ECR PutImage"), "{d}");
    assert_eq!(d.attribute, None);
}

#[test]
fn transient_failures_say_what_running_again_does() {
    let read = ecr("Read Image Error", &EcrError::Api(throttled()), &nested());
    assert_eq!(
        read.detail,
        "ECR PutImage was throttled by AWS (ThrottlingException: Rate exceeded); all 5 attempts failed (last request id req-1). AWS throttles each account per region, and other clients of the same account and region spend the same quotas. If your account's quotas were raised, give them to the provider (its `rate_limit` blocks) so it paces its calls by them. Nothing was changed; running the command again retries the call."
    );
    let failure = Failure {
        error: PromotionError::Deploy {
            member: "api".into(),
            failures: vec![("api".into(), EcsError::Api(throttled()))],
        },
        // Other deployments started: a call that ran out of retries is not a failed rollout,
        // so nothing is rolled back (the engine passes no rollback).
        rollback: None,
        standing: Vec::new(),
        outcome: outcome(&[("api", &[])]),
    };
    let d = promotion(&failure, &at_api);
    assert_eq!(d.summary, "Redeploy Services Error");
    assert!(
        d.detail
            .starts_with("Forcing a new deployment failed: api: ECR PutImage was throttled"),
        "{d}"
    );
    assert!(!d.detail.contains("Rolled back"), "{d}");
    assert!(d.detail.contains("`rate_limit` blocks"), "{d}");
    assert!(
        d.detail.ends_with("is waited for rather than redeployed."),
        "{d}"
    );
}

#[test]
fn the_attribute_at_fault_is_the_one_the_type_declares() {
    let at = nested();
    let immutable = Failure {
        error: PromotionError::Retag {
            member: "api".into(),
            tag: "prod".into(),
            target: Digest::parse(&format!("sha256:{}", "b".repeat(64))).expect("digest"),
            source: EcrError::TagImmutable {
                repository: RepositoryRef::new("r"),
                tag: "prod".into(),
            },
        },
        rollback: None,
        standing: Vec::new(),
        outcome: outcome(&[("api", &[])]),
    };
    assert_eq!(
        promotion(&immutable, &at_api).attribute,
        Some(AttributePath::attr("tag"))
    );
    let missing = EcsError::ServicesNotFound {
        cluster: "c".into(),
        names: vec!["ghost".into()],
    };
    assert_eq!(
        ecs("x", &missing, &at).attribute,
        Some(AttributePath::attr("services"))
    );
    // A type without the attribute: no pointer, the hint names the thing in words.
    let d = ecs("x", &missing, &Attributes::new());
    assert_eq!(d.attribute, None);
    assert!(d.detail.contains("Check the service names"), "{d}");
}

#[test]
fn report_errors_say_where_the_repository_came_from() {
    let request = ReportRequest {
        cluster: "c".into(),
        service: "s".into(),
        tag: "prod".into(),
        repository: None,
        container: None,
        deployment_id: None,
    };
    let at = Attributes::new()
        .repository(AttributePath::attr("repository"))
        .container(AttributePath::attr("container"));
    let d = report(
        "Read Task Digests Error",
        &ReportError::Ecr(EcrError::RepositoryNotFound {
            repository: RepositoryRef::new("gone"),
        }),
        &request,
        &at,
    );
    assert!(
        d.detail
            .starts_with("The repository was taken from the image"),
        "{d}"
    );
    let d = report(
        "Read Task Digests Error",
        &ReportError::Container("service s has 2 containers (a, b): set container".into()),
        &request,
        &at,
    );
    assert_eq!(d.attribute, Some(AttributePath::attr("container")));
    assert_eq!(
        d.detail,
        "Cannot choose the container to report on: service s has 2 containers (a, b): set container."
    );
}

fn deployment(verdict: Verdict, seen: Option<ServiceDeploymentState>) -> DeploymentOutcome {
    use crate::aws::ecs::{ExpectedImage, Follow};
    DeploymentOutcome {
        follow: Follow {
            deployment: RecordedDeployment {
                cluster: "example".into(),
                service: "api".into(),
                service_arn: String::new(),
                deployment_id: "ecs-svc/1".into(),
                service_deployment_arn: Some(
                    "arn:aws:ecs:us-east-1:1:service-deployment/example/api/x".into(),
                ),
                strategy: None,
            },
            expected: Some(ExpectedImage {
                repository: RepositoryRef::new("api"),
                tag: "prod".into(),
                digest: Digest::parse(&format!("sha256:{}", "2".repeat(64))).expect("digest"),
            }),
        },
        last_seen: seen,
        verdict,
        answered: Vec::new(),
    }
}

#[test]
fn rollouts_say_what_to_do() {
    use crate::aws::ecs::service_deployment::fixtures::service_deployment;
    use crate::aws::ecs::service_deployment::{AlarmsInfo, CircuitBreakerInfo};
    let at = nested()
        .pause_hook_action(AttributePath::attr("pause_hook_action"))
        .timeouts(AttributePath::attr("timeouts"));
    let running = service_deployment("arn:sd", "IN_PROGRESS", Some("SCALE_UP"), 1);
    let cancelled = WaitError::Cancelled {
        outcomes: vec![deployment(Verdict::Unfinished, Some(running))],
    };
    assert!(
        explain_wait(&cancelled, &at, Doing::Promoting)
            .detail()
            .contains("waits for the rollout")
    );

    let mut rolled_back = service_deployment("arn:sd", "ROLLBACK_SUCCESSFUL", Some("SCALE_UP"), 0);
    rolled_back.finished = true;
    rolled_back.circuit_breaker = Some(CircuitBreakerInfo {
        status: MonitorStatus::Triggered,
        failure_count: 3,
        threshold: 3,
    });
    rolled_back.alarms = Some(AlarmsInfo {
        status: MonitorStatus::Triggered,
        names: vec!["api-5xx".into()],
        triggered: vec!["api-5xx".into()],
    });
    let failed = WaitError::Failed {
        outcomes: vec![deployment(
            Verdict::Failed(DeploymentFailure::Ended),
            Some(rolled_back),
        )],
    };
    let detail = explain_wait(&failed, &at, Doing::Promoting).detail();
    assert!(
        detail.contains("events in ECS") && detail.contains("alarms that fired"),
        "{detail}"
    );

    let mut paused =
        service_deployment("arn:sd", "IN_PROGRESS", Some("POST_TEST_TRAFFIC_SHIFT"), 2);
    paused
        .hooks
        .push(crate::aws::ecs::service_deployment::HookRun {
            hook_id: "ecs-pause-1".into(),
            target_type: "PAUSE".into(),
            target_arn: None,
            status: "AWAITING_ACTION".into(),
            expires_at: String::new(),
            timeout_action: None,
        });
    let timed_out = WaitError::TimedOut {
        timeout: std::time::Duration::from_secs(60),
        outcomes: vec![deployment(Verdict::Unfinished, Some(paused))],
    };
    let detail = explain_wait(&timed_out, &at, Doing::Promoting).detail();
    assert!(
        detail.starts_with("Timed out after 1m waiting for the deployment of api.")
            && detail.contains("`pause_hook_action` to CONTINUE or ROLLBACK")
            && detail.contains("raise `timeouts`"),
        "{detail}"
    );

    let not_on_tag = WaitError::Failed {
        outcomes: vec![deployment(
            Verdict::Failed(DeploymentFailure::NoContainerOnTag { images: Vec::new() }),
            None,
        )],
    };
    assert_eq!(
        explain_wait(&not_on_tag, &at, Doing::Promoting).attribute,
        Some(AttributePath::attr("services"))
    );
}

#[test]
fn a_set_tells_image_by_image_and_points_into_the_image_at_fault() {
    let failure = Failure {
        error: PromotionError::Retag {
            member: "worker".into(),
            tag: "prod".into(),
            target: Digest::parse(&format!("sha256:{}", "b".repeat(64))).expect("digest"),
            source: EcrError::TagImmutable {
                repository: RepositoryRef::new("worker"),
                tag: "prod".into(),
            },
        },
        rollback: Some("Nothing was redeployed, so the tags already moved went back to their previous digests (api).".into()),
        standing: vec!["Service x runs sha256:… (never shown for a set).".into()],
        outcome: outcome(&[
            ("api", &["Tag \"prod\" moved from a to b.", "Tag \"prod\" moved back to a."]),
            ("worker", &["Moving tag \"prod\" to b failed."]),
        ]),
    };
    let paths = |name: &str| {
        let image = AttributePath::attr("images").then_key(name);
        Attributes::new()
            .repository(image.clone().then_attr("repository"))
            .environment_tag(image.then_attr("tag"))
    };
    let d = promotion(&failure, &paths);
    assert_eq!(d.summary, "Retag Image Error");
    assert_eq!(
        d.attribute.as_ref().map(|p| p.to_string()).as_deref(),
        Some("images[\"worker\"].tag")
    );
    let (head, rest) = d.detail.split_once("\n\n").expect("paragraphs");
    assert!(
        head.contains("went back to their previous digests (api)"),
        "{head}"
    );
    assert!(!d.detail.contains("never shown"), "{d}");
    let lines: Vec<&str> = rest.lines().collect();
    assert_eq!(
        lines[..2],
        [
            "api: Tag \"prod\" moved from a to b. Tag \"prod\" moved back to a.",
            "worker: Moving tag \"prod\" to b failed."
        ],
        "{d}"
    );
}

#[test]
fn a_redeploy_is_explained_as_the_promotion_but_for_what_running_it_again_does() {
    use crate::aws::ecs::service_deployment::fixtures::service_deployment;
    let failure = |source: WaitError| Failure {
        error: crate::aws::promote::rollout_error(source),
        rollback: None,
        standing: Vec::new(),
        outcome: Outcome {
            members: Vec::new(),
        },
    };
    let mut ended = service_deployment("arn:sd", "ROLLBACK_SUCCESSFUL", Some("SCALE_UP"), 0);
    ended.finished = true;
    let failed = failure(WaitError::Failed {
        outcomes: vec![deployment(
            Verdict::Failed(DeploymentFailure::Ended),
            Some(ended),
        )],
    });
    assert_eq!(
        redeploy(&failed, &Attributes::new()),
        promotion(&failed, &|_| Attributes::new()),
        "a rollout that failed reads the same"
    );

    let running = service_deployment("arn:sd", "IN_PROGRESS", Some("SCALE_UP"), 1);
    let stopped = failure(WaitError::Cancelled {
        outcomes: vec![deployment(Verdict::Unfinished, Some(running))],
    });
    let (action, resource) = (
        redeploy(&stopped, &Attributes::new()),
        promotion(&stopped, &|_| Attributes::new()),
    );
    assert_eq!(action.summary, resource.summary);
    assert!(
        action.detail.contains("go on in ECS") && !action.detail.contains("terraform apply"),
        "{action}"
    );
}
