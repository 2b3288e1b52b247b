//! Service deployments and revisions through the ECS API: DescribeServiceDeployments and
//! DescribeServiceRevisions (20 ARNs a call, of any clusters), StopServiceDeployment and
//! ContinueServiceDeployment; translated from the SDK's types into
//! [`super::service_deployment`].

use aws_sdk_ecs::types::{
    DeploymentLifecycleHookAction, ServiceDeployment, ServiceRevision, ServiceRevisionSummary,
    StopServiceDeploymentStopType,
};
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use futures::future::join_all;

use super::Ecs;
use super::service_deployment::{
    AlarmsInfo, CircuitBreakerInfo, ContainerImage, HookRun, RevisionImages, RevisionSummary,
    RollbackInfo, ServiceDeploymentState,
};
use super::status::{DeploymentStrategy, HookAction};
use crate::aws::call;
use crate::aws::error::{EcsError, Service};
use crate::aws::pacing::Pacer;

/// DescribeServiceDeployments takes at most this many ARNs per call.
pub const DESCRIBE_SERVICE_DEPLOYMENTS_BATCH: usize = 20;
/// DescribeServiceRevisions takes at most this many ARNs per call.
pub const DESCRIBE_SERVICE_REVISIONS_BATCH: usize = 20;

/// What a Describe* call of service deployments or revisions found.
#[derive(Debug, Clone, PartialEq)]
pub struct Described<T> {
    /// What ECS described.
    pub found: Vec<T>,
    /// The ARNs ECS reported as failures (e.g. `MISSING`), with its reason.
    pub failures: Vec<(String, String)>,
}

impl<T> Default for Described<T> {
    fn default() -> Self {
        Described {
            found: Vec::new(),
            failures: Vec::new(),
        }
    }
}

/// One answer of a DescribeServiceDeployments call, as a batch shared by several callers
/// returns it: each caller picks out its own ARNs.
#[derive(Debug, Clone, PartialEq)]
pub enum DescribedDeployment {
    /// A service deployment ECS described.
    Found(Box<ServiceDeploymentState>),
    /// An ARN ECS reported as a failure, with its reason.
    Failure(String, String),
}

/// What StopServiceDeployment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopOutcome {
    /// ECS accepted the stop: the deployment rolls back (ROLLBACK_REQUESTED).
    RollingBack,
    /// The deployment had already ended, or was already stopping or rolling back
    /// (ConflictException), with ECS's message.
    NotRunning(String),
}

/// What ContinueServiceDeployment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContinueOutcome {
    /// ECS took the action.
    Done,
    /// The hook no longer awaits an action (someone else acted, it timed out, or the deployment
    /// moved on: ClientException), with ECS's message.
    NotAwaiting(String),
}

/// One DescribeServiceDeployments call of `arns` (at most 20, any clusters).
async fn describe_service_deployments_call(
    client: aws_sdk_ecs::Client,
    pacer: Pacer,
    arns: Vec<String>,
) -> Result<Vec<DescribedDeployment>, EcsError> {
    let request = client
        .describe_service_deployments()
        .set_service_deployment_arns(Some(arns));
    let output = call::send(&pacer, Service::Ecs, "DescribeServiceDeployments", || {
        request.clone().send()
    })
    .await
    .map_err(|failed| EcsError::from(failed.into_api()))?;
    let found = output
        .service_deployments()
        .iter()
        .map(|sd| DescribedDeployment::Found(Box::new(service_deployment(sd))));
    let failed = failures(output.failures())
        .into_iter()
        .map(|(arn, reason)| DescribedDeployment::Failure(arn, reason));
    Ok(found.chain(failed).collect())
}

/// The ARNs in their order, each once: a service that runs the images of two members of a
/// set is followed once per image, and one describe of it is enough.
fn each_once(arns: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    arns.iter()
        .filter(|arn| seen.insert(arn.as_str()))
        .cloned()
        .collect()
}

impl Ecs {
    /// Describes service deployments of any clusters (each ARN once), 20 per call, calls
    /// concurrent.
    ///
    /// With shared reads, concurrent callers share calls (any clusters, 20 ARNs a call), and
    /// each gets back only the ARNs it asked for.
    pub async fn service_deployments(
        &self,
        arns: &[String],
    ) -> Result<Described<ServiceDeploymentState>, EcsError> {
        let arns = each_once(arns);
        let calls = arns
            .chunks(DESCRIBE_SERVICE_DEPLOYMENTS_BATCH)
            .map(|chunk| async move {
                let client = self.client.clone();
                let pacer = self.pacer.clone();
                match self.shared.as_ref() {
                    None => describe_service_deployments_call(client, pacer, chunk.to_vec())
                        .await
                        .map(std::sync::Arc::new),
                    Some(shared) => {
                        let turn = pacer.clone();
                        shared
                            .service_deployments
                            .submit_when(
                                // The call takes ARNs of any cluster: one batch for all.
                                "",
                                chunk,
                                // The batch stays open while its call waits for a token.
                                async move {
                                    turn.until_turn(Service::Ecs, "DescribeServiceDeployments")
                                        .await
                                },
                                move |_, arns| {
                                    describe_service_deployments_call(client, pacer, arns)
                                },
                                EcsError::UnexpectedResponse {
                                    operation: "DescribeServiceDeployments",
                                    detail: "the shared call ended without an answer".to_owned(),
                                },
                            )
                            .await
                    }
                }
            });
        let mut described = Described::default();
        for answers in join_all(calls).await {
            for answer in answers?.iter() {
                match answer {
                    DescribedDeployment::Found(state) if arns.contains(&state.arn) => {
                        described.found.push((**state).clone());
                    }
                    DescribedDeployment::Failure(arn, reason) if arns.contains(arn) => {
                        described.failures.push((arn.clone(), reason.clone()));
                    }
                    // Another caller's ARN in a shared batch.
                    _ => {}
                }
            }
        }
        Ok(described)
    }

    /// Describes service revisions of any clusters (their container images; each ARN once), 20
    /// per call, calls concurrent.
    pub async fn service_revisions(
        &self,
        arns: &[String],
    ) -> Result<Described<RevisionImages>, EcsError> {
        let arns = each_once(arns);
        let calls = arns.chunks(DESCRIBE_SERVICE_REVISIONS_BATCH).map(|chunk| {
            let request = self
                .client
                .describe_service_revisions()
                .set_service_revision_arns(Some(chunk.to_vec()));
            call::send(
                &self.pacer,
                Service::Ecs,
                "DescribeServiceRevisions",
                move || request.clone().send(),
            )
        });
        let mut described = Described::default();
        for output in join_all(calls).await {
            let output = output.map_err(|failed| EcsError::from(failed.into_api()))?;
            described
                .found
                .extend(output.service_revisions().iter().map(revision_images));
            described.failures.extend(failures(output.failures()));
        }
        Ok(described)
    }

    /// Stops a service deployment with stop type ROLLBACK: ECS rolls the service back to the
    /// revision it ran before (even when its configuration asks for no rollbacks).
    pub async fn stop_service_deployment(&self, arn: &str) -> Result<StopOutcome, EcsError> {
        let request = self
            .client
            .stop_service_deployment()
            .service_deployment_arn(arn)
            .stop_type(StopServiceDeploymentStopType::Rollback);
        match call::send(&self.pacer, Service::Ecs, "StopServiceDeployment", || {
            request.clone().send()
        })
        .await
        {
            Ok(_) => Ok(StopOutcome::RollingBack),
            Err(failed) => match failed.service_error() {
                Some(e) if e.is_conflict_exception() => Ok(StopOutcome::NotRunning(
                    e.meta().message().unwrap_or("conflict").to_owned(),
                )),
                Some(e) if e.is_service_deployment_not_found_exception() => {
                    Err(EcsError::ServiceDeploymentNotFound {
                        arn: arn.to_owned(),
                    })
                }
                _ => Err(failed.into_api().into()),
            },
        }
    }

    /// Stops service deployments (see [`Ecs::stop_service_deployment`]) concurrently; one
    /// result per ARN, in order.
    pub async fn stop_service_deployments(
        &self,
        arns: &[String],
    ) -> Vec<Result<StopOutcome, EcsError>> {
        join_all(arns.iter().map(|arn| self.stop_service_deployment(arn))).await
    }

    /// Answers a PAUSE hook of a service deployment: CONTINUE lets it go on, ROLLBACK rolls it
    /// back.
    pub async fn continue_service_deployment(
        &self,
        arn: &str,
        hook_id: &str,
        action: &HookAction,
    ) -> Result<ContinueOutcome, EcsError> {
        let request = self
            .client
            .continue_service_deployment()
            .service_deployment_arn(arn)
            .hook_id(hook_id)
            .action(DeploymentLifecycleHookAction::from(action.as_str()));
        match call::send(
            &self.pacer,
            Service::Ecs,
            "ContinueServiceDeployment",
            || request.clone().send(),
        )
        .await
        {
            Ok(_) => Ok(ContinueOutcome::Done),
            Err(failed) => match failed.service_error() {
                Some(e) if e.is_client_exception() => Ok(ContinueOutcome::NotAwaiting(
                    e.meta()
                        .message()
                        .unwrap_or("not awaiting an action")
                        .to_owned(),
                )),
                Some(e) if e.is_service_deployment_not_found_exception() => {
                    Err(EcsError::ServiceDeploymentNotFound {
                        arn: arn.to_owned(),
                    })
                }
                _ => Err(failed.into_api().into()),
            },
        }
    }
}

fn failures(failures: &[aws_sdk_ecs::types::Failure]) -> Vec<(String, String)> {
    failures
        .iter()
        .map(|f| {
            (
                f.arn().unwrap_or_default().to_owned(),
                f.reason().unwrap_or("MISSING").to_owned(),
            )
        })
        .collect()
}

fn rfc3339(time: Option<&DateTime>) -> String {
    time.and_then(|t| t.fmt(Format::DateTime).ok())
        .unwrap_or_default()
}

fn revision_summary(r: &ServiceRevisionSummary) -> RevisionSummary {
    RevisionSummary {
        arn: r.arn().unwrap_or_default().to_owned(),
        requested: r.requested_task_count(),
        running: r.running_task_count(),
        pending: r.pending_task_count(),
        test_traffic: r.requested_test_traffic_weight(),
        production_traffic: r.requested_production_traffic_weight(),
    }
}

/// One `ServiceDeployment` as the domain sees it.
pub(super) fn service_deployment(sd: &ServiceDeployment) -> ServiceDeploymentState {
    ServiceDeploymentState {
        arn: sd.service_deployment_arn().unwrap_or_default().to_owned(),
        service_arn: sd.service_arn().unwrap_or_default().to_owned(),
        cluster_arn: sd.cluster_arn().unwrap_or_default().to_owned(),
        status: sd.status().map(|s| s.as_str()).unwrap_or_default().into(),
        status_reason: sd.status_reason().unwrap_or_default().to_owned(),
        lifecycle_stage: sd.lifecycle_stage().map(|s| s.as_str().into()),
        strategy: DeploymentStrategy::or_default(
            sd.deployment_configuration()
                .and_then(|c| c.strategy())
                .map(|s| s.as_str()),
        ),
        target: sd.target_service_revision().map(revision_summary),
        sources: sd
            .source_service_revisions()
            .iter()
            .map(revision_summary)
            .collect(),
        finished: sd.finished_at().is_some() || sd.stopped_at().is_some(),
        rollback: sd.rollback().map(|r| RollbackInfo {
            reason: r.reason().unwrap_or_default().to_owned(),
            revision_arn: r.service_revision_arn().map(str::to_owned),
        }),
        circuit_breaker: sd.deployment_circuit_breaker().map(|c| CircuitBreakerInfo {
            status: c.status().map(|s| s.as_str()).unwrap_or_default().into(),
            failure_count: c.failure_count(),
            threshold: c.threshold(),
        }),
        alarms: sd.alarms().map(|a| AlarmsInfo {
            status: a.status().map(|s| s.as_str()).unwrap_or_default().into(),
            names: a.alarm_names().to_vec(),
            triggered: a.triggered_alarm_names().to_vec(),
        }),
        hooks: sd
            .lifecycle_hook_details()
            .iter()
            .map(|h| HookRun {
                hook_id: h.hook_id().unwrap_or_default().to_owned(),
                target_type: h
                    .target_type()
                    .map(|t| t.as_str())
                    .unwrap_or_default()
                    .into(),
                target_arn: h.target_arn().map(str::to_owned),
                status: h.status().map(|s| s.as_str()).unwrap_or_default().into(),
                expires_at: rfc3339(h.expires_at()),
                timeout_action: h.timeout_action().map(|a| a.as_str().into()),
            })
            .collect(),
    }
}

fn revision_images(r: &ServiceRevision) -> RevisionImages {
    RevisionImages {
        arn: r.service_revision_arn().unwrap_or_default().to_owned(),
        images: r
            .container_images()
            .iter()
            .map(|c| ContainerImage {
                container: c.container_name().unwrap_or_default().to_owned(),
                image: c.image().unwrap_or_default().to_owned(),
                digest: c.image_digest().map(str::to_owned),
            })
            .collect(),
    }
}
