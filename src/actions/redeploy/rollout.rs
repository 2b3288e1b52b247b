//! The seam between the action and ECS: start a new deployment of each service and follow the
//! service deployments with the wait `tagdeploy_prod_tag` uses ([`Ecs::wait_for_deployments`]:
//! every strategy, PAUSE hooks, ECS rollbacks, the circuit breaker and alarms), reporting
//! each service's progress as one line per stage change.
//!
//! A redeploy promotes no particular digest, so each deployment is followed without an
//! expected image: SUCCESSFUL is success. Failures come back as the domain's [`Failure`] of a
//! promotion that never moved a tag, so the diagnostics are the resource's for the same failure
//! (`crate::errors::redeploy`).

use crate::aws::ecs::progress::Both;
use crate::aws::ecs::{Ecs, Follow, LogProgress, ProgressEvent, RecordedDeployment, WaitOptions};
use crate::aws::promote::{Failure, Outcome, PromotionError, rollout_error};

/// What a redeploy leaves: the deployment started for each service, in the order configured.
pub(super) type Redeployed = Vec<RecordedDeployment>;

/// The message for a deployment that started.
fn started(deployment: &RecordedDeployment) -> String {
    format!(
        "service {}: new deployment {} started",
        deployment.service,
        deployment
            .service_deployment_arn
            .as_deref()
            .unwrap_or(&deployment.deployment_id)
    )
}

/// Checks that every service exists (one DescribeServices per 10), so a misspelt one fails
/// the action before any service is redeployed; then starts a new deployment of every service
/// concurrently and, with `wait`, follows the service deployments to the end. `report` gets one
/// line when each deployment starts and one at each change the wait sees (the same lines also
/// go to the log at INFO, as the resource's do).
pub(super) async fn redeploy(
    ecs: &Ecs,
    cluster: &str,
    services: &[String],
    wait: Option<&WaitOptions>,
    report: &(dyn Fn(String) + Send + Sync),
) -> Result<Redeployed, Box<Failure>> {
    let failure = |error| {
        Box::new(Failure {
            error,
            rollback: None,
            standing: Vec::new(),
            outcome: Outcome {
                members: Vec::new(),
            },
        })
    };
    if let Err(error) = ecs.services(cluster, services).await {
        return Err(failure(PromotionError::Lookup(error)));
    }
    let mut deployed = Vec::new();
    let mut failures = Vec::new();
    let each: Vec<(String, String)> = services
        .iter()
        .map(|s| (cluster.to_owned(), s.clone()))
        .collect();
    for (service, result) in services.iter().zip(ecs.force_new_deployments(&each).await) {
        match result {
            Ok(deployment) => {
                report(started(&deployment));
                deployed.push(deployment);
            }
            Err(error) => failures.push((service.clone(), error)),
        }
    }
    if !failures.is_empty() {
        return Err(failure(PromotionError::Deploy {
            member: String::new(),
            failures,
        }));
    }
    let Some(wait) = wait else {
        for service in services {
            report(format!(
                "service {service}: not waiting for the rollout (wait_for_rollout = false); it goes on in ECS"
            ));
        }
        return Ok(deployed);
    };
    let follow: Vec<Follow> = deployed
        .iter()
        .map(|deployment| Follow {
            deployment: deployment.clone(),
            expected: None,
        })
        .collect();
    let forward = |event: &ProgressEvent| report(event.to_string());
    match ecs
        .wait_for_deployments(&follow, wait, &Both(LogProgress, forward))
        .await
    {
        Ok(_) => Ok(deployed),
        Err(source) => Err(failure(rollout_error(source))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_started_deployment_is_named_by_its_service_deployment() {
        let mut deployment = RecordedDeployment {
            cluster: "example".into(),
            service: "api".into(),
            service_arn: String::new(),
            deployment_id: "ecs-svc/1".into(),
            service_deployment_arn: Some("arn:sd/1".into()),
            strategy: None,
        };
        assert_eq!(
            started(&deployment),
            "service api: new deployment arn:sd/1 started"
        );
        deployment.service_deployment_arn = None;
        assert_eq!(
            started(&deployment),
            "service api: new deployment ecs-svc/1 started"
        );
    }
}
