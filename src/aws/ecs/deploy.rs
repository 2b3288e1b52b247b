//! Starting deployments: UpdateService with forceNewDeployment, so new tasks resolve the
//! environment tag again.

use futures::future::join_all;

use super::Ecs;
use super::model::RecordedDeployment;
use super::not_found::missing;
use super::status::{DeploymentStatus, DeploymentStrategy};
use crate::aws::call;
use crate::aws::error::{EcsError, Service};

impl Ecs {
    /// Forces a new deployment of one service and returns the new PRIMARY deployment with the
    /// service deployment that rolls it out.
    pub async fn force_new_deployment(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<RecordedDeployment, EcsError> {
        let request = self
            .client
            .update_service()
            .cluster(cluster)
            .service(service)
            .force_new_deployment(true);
        let output = call::send(Service::Ecs, "UpdateService", request.send())
            .await
            .map_err(|failed| failed.interpret(missing(cluster, Some(service))))?;
        let unexpected = |detail: String| EcsError::UnexpectedResponse {
            operation: "UpdateService",
            detail,
        };
        let updated = output
            .service()
            .ok_or_else(|| unexpected("no service in the response".to_owned()))?;
        // The new deployment is the one with status PRIMARY, wherever ECS lists it.
        let primary = updated
            .deployments()
            .iter()
            .find(|d| d.status().map(DeploymentStatus::parse) == Some(DeploymentStatus::Primary))
            .and_then(|d| d.id())
            .ok_or_else(|| unexpected(format!("service {service} has no PRIMARY deployment")))?;
        Ok(RecordedDeployment {
            cluster: cluster.to_owned(),
            service: service.to_owned(),
            service_arn: updated.service_arn().unwrap_or_default().to_owned(),
            deployment_id: primary.to_owned(),
            // The deployment UpdateService started is the service's current service deployment
            // in its answer (`Service.currentServiceDeployment`).
            service_deployment_arn: updated
                .current_service_deployment()
                .filter(|arn| !arn.is_empty())
                .map(str::to_owned),
            strategy: Some(DeploymentStrategy::or_default(
                updated
                    .deployment_configuration()
                    .and_then(|c| c.strategy())
                    .map(|s| s.as_str()),
            )),
        })
    }

    /// Forces new deployments of `services`, each `(cluster, service)`, concurrently (across
    /// clusters); one result per service, in order.
    pub async fn force_new_deployments(
        &self,
        services: &[(String, String)],
    ) -> Vec<Result<RecordedDeployment, EcsError>> {
        join_all(
            services
                .iter()
                .map(|(cluster, service)| self.force_new_deployment(cluster, service)),
        )
        .await
    }
}
