//! The services of a promotion: which ones (a service two members list is one service), which
//! are already rolling out their members' targets (adopted rather than redeployed), starting
//! the others' deployments, and which digests a service's tasks run.

use aws_sdk_ecs::types::DesiredStatus;

use super::super::ecs::{
    DeploymentPhase, Ecs, ExpectedImage, RecordedDeployment, ServiceDeploymentState,
};
use super::super::error::EcsError;
use super::outcome::DeploymentReport;
use super::{Member, Promotion};

/// One ECS service of a promotion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Service {
    /// Its cluster, as configured.
    pub(super) cluster: String,
    /// Its name (or ARN), as configured.
    pub(super) name: String,
    /// The members that list it (indexes into the promotion's members).
    pub(super) members: Vec<usize>,
}

impl Service {
    /// `(cluster, service)`, as the ECS calls take it.
    pub(super) fn key(&self) -> (String, String) {
        (self.cluster.clone(), self.name.clone())
    }
}

/// Every service of the promotion once, in the order the members list them. A service whose
/// task definition runs images of two members (two containers) is listed by both, and one
/// deployment resolves both tags.
pub(super) fn services(promotion: &Promotion) -> Vec<Service> {
    let mut out: Vec<Service> = Vec::new();
    for (i, member) in promotion.members.iter().enumerate() {
        for name in &member.services {
            match out
                .iter_mut()
                .find(|s| s.cluster == member.cluster && &s.name == name)
            {
                Some(service) => service.members.push(i),
                None => out.push(Service {
                    cluster: member.cluster.clone(),
                    name: name.clone(),
                    members: vec![i],
                }),
            }
        }
    }
    out
}

/// For each service, the deployment to adopt instead of starting one: its current service
/// deployment, when it is PENDING, IN_PROGRESS or SUCCESSFUL and its target revision resolved
/// the target of every member that lists the service for the containers on that member's tag
/// (the deployment started after the tags moved). Services with `redeploy` set are not looked
/// at (`None`). Calls: DescribeServices per cluster (10 a call), then DescribeServiceDeployments
/// and DescribeServiceRevisions for every cluster at once (20 a call each).
pub(super) async fn adoptable(
    ecs: &Ecs,
    promotion: &Promotion,
    services: &[Service],
    redeploy: &[bool],
) -> Result<Vec<Option<DeploymentReport>>, EcsError> {
    let inspected: Vec<usize> = (0..services.len()).filter(|i| !redeploy[*i]).collect();
    let mut adopted = vec![None; services.len()];
    if inspected.is_empty() {
        return Ok(adopted);
    }
    let keys: Vec<(String, String)> = inspected.iter().map(|i| services[*i].key()).collect();
    let states = ecs.services_across(&keys).await?;
    let arns: Vec<String> = states
        .iter()
        .filter_map(|s| s.current_service_deployment.clone())
        .collect();
    if arns.is_empty() {
        return Ok(adopted);
    }
    let described = ecs.service_deployments(&arns).await?;
    let live: Vec<&ServiceDeploymentState> = described
        .found
        .iter()
        .filter(|sd| {
            matches!(
                sd.phase(),
                DeploymentPhase::Running | DeploymentPhase::Succeeded
            )
        })
        .collect();
    let revisions: Vec<String> = live
        .iter()
        .filter_map(|sd| sd.target.as_ref().map(|t| t.arn.clone()))
        .collect();
    if revisions.is_empty() {
        return Ok(adopted);
    }
    let revisions = ecs.service_revisions(&revisions).await?;
    for (&i, state) in inspected.iter().zip(&states) {
        let service = &services[i];
        let Some(sd) = live
            .iter()
            .find(|sd| state.current_service_deployment.as_deref() == Some(sd.arn.as_str()))
        else {
            continue;
        };
        let Some(revision) = sd
            .target
            .as_ref()
            .and_then(|t| revisions.found.iter().find(|r| r.arn == t.arn))
        else {
            continue;
        };
        let on_targets = service.members.iter().all(|&m| {
            expected_image(&promotion.members[m])
                .check(revision)
                .is_ok()
        });
        if !on_targets {
            continue;
        }
        let deployment = RecordedDeployment {
            cluster: service.cluster.clone(),
            service: service.name.clone(),
            service_arn: state.arn.clone(),
            deployment_id: state.primary().map(|d| d.id.clone()).unwrap_or_default(),
            service_deployment_arn: Some(sd.arn.clone()),
            strategy: Some(state.strategy.clone()),
        };
        adopted[i] = Some(DeploymentReport::adopted(deployment, (*sd).clone()));
    }
    Ok(adopted)
}

/// What a member's deployments must deliver: its target digest for the containers on its tag.
pub(super) fn expected_image(member: &Member) -> ExpectedImage {
    ExpectedImage {
        repository: member.repository.clone(),
        tag: member.tag.clone(),
        digest: member.target.clone(),
    }
}

/// Forces a new deployment of each service, concurrently; one result per service, in order.
pub(super) async fn start(
    ecs: &Ecs,
    services: &[&Service],
) -> Vec<Result<RecordedDeployment, EcsError>> {
    let keys: Vec<(String, String)> = services.iter().map(|s| s.key()).collect();
    ecs.force_new_deployments(&keys).await
}

/// The digests the running tasks of a service run in the containers whose image is in
/// `repository` (every container's when none names it), sorted, each once.
pub(super) async fn running_digests(
    ecs: &Ecs,
    cluster: &str,
    service: &str,
    repository: &str,
) -> Result<Vec<String>, EcsError> {
    let arns = ecs
        .task_arns(cluster, service, DesiredStatus::Running)
        .await?;
    let tasks = ecs.tasks(cluster, &arns).await?;
    let in_repository = |image: &str| {
        image
            .split_once('/')
            .map(|(_, path)| path)
            .and_then(|path| path.split(['@', ':']).next())
            == Some(repository)
    };
    let containers: Vec<_> = tasks.iter().flat_map(|t| &t.containers).collect();
    let mine: Vec<_> = containers
        .iter()
        .filter(|c| in_repository(&c.image))
        .collect();
    let chosen = if mine.is_empty() {
        containers.iter().collect::<Vec<_>>()
    } else {
        mine
    };
    let mut digests: Vec<String> = chosen
        .iter()
        .filter_map(|c| c.image_digest.clone())
        .collect();
    digests.sort();
    digests.dedup();
    Ok(digests)
}
