//! The services of a promotion: which ones (a service two members list is one service), which
//! already run their members' targets (adopted rather than redeployed), starting the others'
//! deployments, and which digests a service's tasks run.

use aws_sdk_ecs::types::DesiredStatus;
use futures::future::join_all;

use super::super::ecs::{Ecs, RecordedDeployment, TaskState};
use super::super::error::EcsError;
use super::Promotion;

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

/// For each service, the deployment to adopt instead of starting one: its PRIMARY deployment,
/// when at least one task that deployment started runs the target of every member that lists
/// the service (the deployment resolved the tags after they moved). Services with `redeploy`
/// set are not looked at (`None`). Calls: DescribeServices per cluster (10 a call), ListTasks
/// per service, DescribeTasks per cluster (100 a call).
pub(super) async fn adoptable(
    ecs: &Ecs,
    promotion: &Promotion,
    services: &[Service],
    redeploy: &[bool],
) -> Result<Vec<Option<RecordedDeployment>>, EcsError> {
    let inspected: Vec<&Service> = services
        .iter()
        .zip(redeploy)
        .filter(|(_, redeploy)| !**redeploy)
        .map(|(s, _)| s)
        .collect();
    let mut adopted = vec![None; services.len()];
    if inspected.is_empty() {
        return Ok(adopted);
    }
    let keys: Vec<(String, String)> = inspected.iter().map(|s| s.key()).collect();
    let states = ecs.services_across(&keys).await?;
    let arns = join_all(
        keys.iter()
            .map(|(cluster, name)| ecs.task_arns(cluster, name, DesiredStatus::Running)),
    )
    .await
    .into_iter()
    .collect::<Result<Vec<_>, _>>()?;
    let tasks = tasks_by_cluster(ecs, &keys, &arns).await?;
    for (service, state) in inspected.iter().zip(&states) {
        let Some(primary) = state.primary() else {
            continue;
        };
        let started: Vec<&TaskState> = tasks
            .iter()
            .filter(|(cluster, t)| *cluster == service.cluster && t.started_by == primary.id)
            .map(|(_, t)| t)
            .collect();
        let on_target = service.members.iter().all(|&m| {
            let target = promotion.members[m].target.as_str();
            started.iter().any(|t| {
                t.containers
                    .iter()
                    .any(|c| c.image_digest.as_deref() == Some(target))
            })
        });
        if on_target && let Some(i) = services.iter().position(|s| s == *service) {
            adopted[i] = Some(RecordedDeployment {
                cluster: service.cluster.clone(),
                service: service.name.clone(),
                service_arn: state.arn.clone(),
                deployment_id: primary.id.clone(),
            });
        }
    }
    Ok(adopted)
}

/// The tasks of `arns` (one list per `keys` entry), described one cluster at a time, each
/// with its cluster.
async fn tasks_by_cluster(
    ecs: &Ecs,
    keys: &[(String, String)],
    arns: &[Vec<String>],
) -> Result<Vec<(String, TaskState)>, EcsError> {
    let mut clusters: Vec<(String, Vec<String>)> = Vec::new();
    for ((cluster, _), arns) in keys.iter().zip(arns) {
        match clusters.iter_mut().find(|(c, _)| c == cluster) {
            Some((_, all)) => all.extend(arns.iter().cloned()),
            None => clusters.push((cluster.clone(), arns.clone())),
        }
    }
    let described = join_all(
        clusters
            .iter()
            .map(|(cluster, arns)| ecs.tasks(cluster, arns)),
    )
    .await;
    let mut out = Vec::new();
    for ((cluster, _), tasks) in clusters.iter().zip(described) {
        out.extend(tasks?.into_iter().map(|t| (cluster.clone(), t)));
    }
    Ok(out)
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
