//! The task digest report: which digest each of a service's tasks runs, against the digest the
//! environment tag points at (what the RFC's `check.sh` printed), plus the deployments and the
//! service deployments (the current one, and the one asked about).

use aws_sdk_ecs::types::DesiredStatus;

use super::ecr::Ecr;
use super::ecs::{
    DeploymentPhase, Ecs, RfcStatus, ServiceDeploymentState, ServiceState, TaskState, TaskStatus,
};
use super::error::{EcrError, EcsError};
use super::image::{Digest, ImageSelector, RepositoryRef};
use super::uri::EcrImageUri;

/// What to report on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    /// The cluster.
    pub cluster: String,
    /// The service.
    pub service: String,
    /// The environment tag, e.g. `prod`.
    pub tag: String,
    /// The repository; by default the one the service's container image is in.
    pub repository: Option<RepositoryRef>,
    /// The container to look at; by default the service's only container, or the one whose
    /// image is in `repository`.
    pub container: Option<String>,
    /// A deployment to report on besides the current one: a service deployment ARN, or a
    /// deployment id (`ecs-svc/…`).
    pub deployment_id: Option<String>,
}

/// The report.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestReport {
    /// The repository the environment tag was looked up in.
    pub repository: RepositoryRef,
    /// The container reported on.
    pub container: String,
    /// What the tag points at now (`None` when no image carries it).
    pub env_digest: Option<Digest>,
    /// Every task that is running or still draining, sorted by ARN.
    pub tasks: Vec<TaskDigest>,
    /// The service and its deployments.
    pub service: ServiceState,
    /// The service deployments described: the service's current one and, when
    /// `deployment_id` is a service deployment ARN, that one.
    pub service_deployments: Vec<ServiceDeploymentState>,
}

/// Whether `id` is a service deployment ARN (`arn:…:service-deployment/…`) rather than a
/// deployment id (`ecs-svc/…`).
pub fn is_service_deployment_arn(id: &str) -> bool {
    id.starts_with("arn:") && id.contains(":service-deployment/")
}

impl DigestReport {
    /// Every task runs the environment digest (false when there are no tasks or no tag).
    pub fn all_match(&self) -> bool {
        !self.tasks.is_empty() && self.tasks.iter().all(|t| t.matches)
    }

    /// The release is done: one deployment, COMPLETED, running == desired, every task matches,
    /// and the current service deployment (when ECS reports one) is SUCCESSFUL.
    pub fn complete(&self) -> bool {
        let deployed = self
            .current_service_deployment()
            .is_none_or(|sd| sd.phase() == DeploymentPhase::Succeeded);
        self.service.is_settled() && self.all_match() && deployed
    }

    /// The service's current service deployment, when ECS reports one and described it.
    pub fn current_service_deployment(&self) -> Option<&ServiceDeploymentState> {
        let arn = self.service.current_service_deployment.as_deref()?;
        self.service_deployments.iter().find(|sd| sd.arn == arn)
    }

    /// The service deployment the report is about: the one asked for (`deployment_id`, when a
    /// service deployment ARN), else the current one.
    pub fn service_deployment(
        &self,
        deployment_id: Option<&str>,
    ) -> Option<&ServiceDeploymentState> {
        match deployment_id.filter(|id| is_service_deployment_arn(id)) {
            Some(arn) => self.service_deployments.iter().find(|sd| sd.arn == arn),
            None => self.current_service_deployment(),
        }
    }

    /// The RFC 013 status of a deployment: a service deployment ARN is judged by its service
    /// deployment (DEAD when ECS does not know it); a deployment id by the service's
    /// `deployments`.
    pub fn rfc_status(&self, deployment_id: &str) -> RfcStatus {
        if !is_service_deployment_arn(deployment_id) {
            return self.service.rfc_status(deployment_id);
        }
        match self.service_deployment(Some(deployment_id)) {
            Some(sd) => sd.rfc_status(
                self.service.current_service_deployment.as_deref(),
                self.service.deployments.len(),
                self.service.running_count,
                self.service.desired_count,
            ),
            None => RfcStatus::Dead,
        }
    }
}

/// One task's digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDigest {
    /// The task ARN.
    pub task_arn: String,
    /// The container looked at.
    pub container: String,
    /// The digest it runs (`None` before ECS has resolved it).
    pub digest: Option<String>,
    /// Whether `digest` is the environment digest.
    pub matches: bool,
    /// The task's lastStatus.
    pub last_status: TaskStatus,
    /// The task's desiredStatus (STOPPED while draining).
    pub desired_status: TaskStatus,
    /// The deployment that started it.
    pub deployment_id: String,
}

/// Why a report could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// An ECR call failed.
    #[error(transparent)]
    Ecr(#[from] EcrError),
    /// An ECS call failed.
    #[error(transparent)]
    Ecs(#[from] EcsError),
    /// The container could not be chosen.
    #[error("{0}")]
    Container(String),
    /// The repository could not be worked out from the service's image.
    #[error("cannot tell the ECR repository from the image {image:?}: set repository")]
    Repository {
        /// The container image that is not an ECR image URI.
        image: String,
    },
}

/// Makes the report. AWS calls: DescribeServices, ListTasks twice (RUNNING, and STOPPED for the
/// tasks still draining, which the default filter hides), DescribeTasks per 100 tasks beside
/// one DescribeServiceDeployments (the current service deployment and the one asked about),
/// DescribeImages; DescribeTaskDefinition only when no task is left to read the image from.
pub async fn task_digest_report(
    ecr: &Ecr,
    ecs: &Ecs,
    request: &ReportRequest,
) -> Result<DigestReport, ReportError> {
    let names = [request.service.clone()];
    let (services, running, stopped) = tokio::try_join!(
        ecs.services(&request.cluster, &names),
        ecs.task_arns(&request.cluster, &request.service, DesiredStatus::Running),
        ecs.task_arns(&request.cluster, &request.service, DesiredStatus::Stopped),
    )?;
    let service = services
        .into_iter()
        .next()
        .ok_or_else(|| EcsError::ServicesNotFound {
            cluster: request.cluster.clone(),
            names: names.to_vec(),
        })?;
    let arns: Vec<String> = running.into_iter().chain(stopped).collect();
    let mut wanted: Vec<String> = service.current_service_deployment.iter().cloned().collect();
    if let Some(asked) = request
        .deployment_id
        .as_ref()
        .filter(|id| is_service_deployment_arn(id) && !wanted.contains(id))
    {
        wanted.push(asked.clone());
    }
    let described = async {
        if wanted.is_empty() {
            Ok(Default::default())
        } else {
            ecs.service_deployments(&wanted).await
        }
    };
    let (tasks, described) = tokio::try_join!(ecs.tasks(&request.cluster, &arns), described)?;
    let service_deployments = described.found;
    let mut tasks: Vec<TaskState> = tasks
        .into_iter()
        .filter(|t| t.last_status != TaskStatus::Stopped)
        .collect();
    tasks.sort_by(|a, b| a.arn.cmp(&b.arn));

    let images = match tasks.first() {
        Some(task) => task
            .containers
            .iter()
            .map(|c| (c.name.clone(), c.image.clone()))
            .collect(),
        None => ecs.task_definition_images(&service.task_definition).await?,
    };
    let (container, image) = choose_container(&images, request)?;
    let repository = match &request.repository {
        Some(repository) => repository.clone(),
        None => EcrImageUri::parse(&image)
            .map(|uri| RepositoryRef {
                name: uri.repository,
                registry_id: Some(uri.registry_id),
            })
            .map_err(|_| ReportError::Repository {
                image: image.clone(),
            })?,
    };
    let env_digest = match ecr
        .images(&repository, &[ImageSelector::Tag(request.tag.clone())])
        .await?
        .pop()
    {
        Some(Some(found)) => Some(found.digest),
        _ => None,
    };

    let tasks = tasks
        .into_iter()
        .map(|task| {
            let digest = task
                .containers
                .iter()
                .find(|c| c.name == container)
                .and_then(|c| c.image_digest.clone());
            TaskDigest {
                matches: digest.is_some()
                    && digest.as_deref() == env_digest.as_ref().map(Digest::as_str),
                task_arn: task.arn,
                container: container.clone(),
                digest,
                last_status: task.last_status,
                desired_status: task.desired_status,
                deployment_id: task.started_by,
            }
        })
        .collect();
    Ok(DigestReport {
        repository,
        container,
        env_digest,
        tasks,
        service,
        service_deployments,
    })
}

/// Picks the container to report on: the one named, else the only one, else the only one whose
/// image is in the requested repository.
fn choose_container(
    images: &[(String, String)],
    request: &ReportRequest,
) -> Result<(String, String), ReportError> {
    if let Some(name) = &request.container {
        return images
            .iter()
            .find(|(n, _)| n == name)
            .cloned()
            .ok_or_else(|| {
                ReportError::Container(format!(
                    "service {} has no container named {name:?}",
                    request.service
                ))
            });
    }
    if let [only] = images {
        return Ok(only.clone());
    }
    if let Some(repository) = &request.repository {
        let in_repository: Vec<_> = images
            .iter()
            .filter(|(_, image)| {
                EcrImageUri::parse(image).is_ok_and(|uri| uri.repository == repository.name)
            })
            .collect();
        if let [only] = in_repository.as_slice() {
            return Ok((*only).clone());
        }
    }
    let names: Vec<&str> = images.iter().map(|(n, _)| n.as_str()).collect();
    Err(ReportError::Container(format!(
        "service {} has {} containers ({}): set container",
        request.service,
        images.len(),
        names.join(", ")
    )))
}
