//! Service deployments and service revisions as the domain sees them (translated from the
//! SDK's types in `service_deployments`): ECS's own record of one deployment of a service,
//! whatever its strategy, and the digests its target revision resolved.

use std::fmt;

use super::status::{
    DeploymentPhase, DeploymentStrategy, HookAction, HookStatus, HookTargetType, LifecycleStage,
    MonitorStatus, RfcStatus, ServiceDeploymentStatus,
};

/// One service deployment as DescribeServiceDeployments reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceDeploymentState {
    /// Its ARN (`arn:aws:ecs:…:service-deployment/<cluster>/<service>/<id>`).
    pub arn: String,
    /// The service's ARN.
    pub service_arn: String,
    /// The cluster's ARN.
    pub cluster_arn: String,
    /// Where it stands.
    pub status: ServiceDeploymentStatus,
    /// Why it is in that status ("" when ECS gives no reason).
    pub status_reason: String,
    /// The stage it is at (`None` before it starts, or when ECS reports none).
    pub lifecycle_stage: Option<LifecycleStage>,
    /// Its strategy (ROLLING when the configuration names none).
    pub strategy: DeploymentStrategy,
    /// The revision being deployed.
    pub target: Option<RevisionSummary>,
    /// The revisions it replaces.
    pub sources: Vec<RevisionSummary>,
    /// Whether ECS set `finishedAt` or `stoppedAt`: it is over.
    pub finished: bool,
    /// The rollback, when one happened.
    pub rollback: Option<RollbackInfo>,
    /// The circuit breaker's state (`None`: ECS reports none).
    pub circuit_breaker: Option<CircuitBreakerInfo>,
    /// The alarms' state (`None`: ECS reports none).
    pub alarms: Option<AlarmsInfo>,
    /// Every lifecycle hook run so far, oldest first.
    pub hooks: Vec<HookRun>,
}

/// A revision as a service deployment summarises it.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionSummary {
    /// The service revision's ARN.
    pub arn: String,
    /// Tasks it asks for.
    pub requested: i32,
    /// Tasks of it that run.
    pub running: i32,
    /// Tasks of it that are starting.
    pub pending: i32,
    /// Percent of test traffic it gets (strategies that shift traffic).
    pub test_traffic: Option<f64>,
    /// Percent of production traffic it gets (strategies that shift traffic).
    pub production_traffic: Option<f64>,
}

/// Why and where a deployment rolled back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackInfo {
    /// ECS's reason ("" when none).
    pub reason: String,
    /// The revision it returned to.
    pub revision_arn: Option<String>,
}

/// The circuit breaker of one service deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircuitBreakerInfo {
    /// TRIGGERED when it failed the deployment.
    pub status: MonitorStatus,
    /// Failed task starts counted.
    pub failure_count: i32,
    /// The count that trips it.
    pub threshold: i32,
}

/// The CloudWatch alarms one service deployment watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmsInfo {
    /// TRIGGERED when one of them failed the deployment.
    pub status: MonitorStatus,
    /// The alarms watched.
    pub names: Vec<String>,
    /// The alarms that fired.
    pub triggered: Vec<String>,
}

/// One run of a lifecycle hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookRun {
    /// Its id, for ContinueServiceDeployment.
    pub hook_id: String,
    /// PAUSE or AWS_LAMBDA.
    pub target_type: HookTargetType,
    /// The Lambda function (`None` for PAUSE hooks).
    pub target_arn: Option<String>,
    /// Where it stands.
    pub status: HookStatus,
    /// When it times out (RFC 3339; "" when ECS gives no time).
    pub expires_at: String,
    /// What ECS does when it times out.
    pub timeout_action: Option<HookAction>,
}

impl HookRun {
    /// A PAUSE hook waiting for ContinueServiceDeployment.
    pub fn awaits_action(&self) -> bool {
        self.target_type == HookTargetType::Pause && self.status == HookStatus::AwaitingAction
    }
}

/// A service revision's container images (DescribeServiceRevisions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionImages {
    /// The service revision's ARN.
    pub arn: String,
    /// Its containers' images.
    pub images: Vec<ContainerImage>,
}

/// The image of one container of a service revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerImage {
    /// The container name.
    pub container: String,
    /// The image as the task definition names it (`…/repo:prod`).
    pub image: String,
    /// The digest the deployment resolved it to (`None`: ECS resolved none, e.g. with
    /// `versionConsistency` disabled).
    pub digest: Option<String>,
}

impl ServiceDeploymentState {
    /// Where the deployment stands for a waiting client.
    pub fn phase(&self) -> DeploymentPhase {
        self.status.phase(self.finished)
    }

    /// The PAUSE hooks waiting for an action.
    pub fn awaiting_action(&self) -> impl Iterator<Item = &HookRun> {
        self.hooks.iter().filter(|h| h.awaits_action())
    }

    /// The RFC 013 status of this deployment of a service whose current service deployment is
    /// `current` and whose `deployments[]` lists `listed` entries, running `running` of
    /// `desired` tasks:
    ///
    /// - PENDING, IN_PROGRESS: IN_PROGRESS;
    /// - SUCCESSFUL and current: COMPLETE, or NOT_STABLE while the service does not run exactly
    ///   its desired count;
    /// - SUCCESSFUL and replaced by a newer one: RETIRING while the service still lists more
    ///   than one deployment (its tasks may still be stopping), else RETIRED;
    /// - being rolled back or stopped: RETIRING;
    /// - rolled back, stopped, or failed to roll back: DEAD (it will never run the service).
    pub fn rfc_status(
        &self,
        current: Option<&str>,
        listed: usize,
        running: i32,
        desired: i32,
    ) -> RfcStatus {
        match self.phase() {
            DeploymentPhase::Running => RfcStatus::InProgress,
            DeploymentPhase::Succeeded if current == Some(self.arn.as_str()) => {
                if running == desired {
                    RfcStatus::Complete
                } else {
                    RfcStatus::NotStable
                }
            }
            DeploymentPhase::Succeeded if listed > 1 => RfcStatus::Retiring,
            DeploymentPhase::Succeeded => RfcStatus::Retired,
            DeploymentPhase::Failing => RfcStatus::Retiring,
            DeploymentPhase::Failed => RfcStatus::Dead,
        }
    }

    /// The stage, unless the deployment is over (a finished deployment is at no stage; ECS
    /// keeps reporting the last one it was at).
    pub fn stage_while_running(&self) -> Option<&LifecycleStage> {
        match self.phase() {
            DeploymentPhase::Succeeded | DeploymentPhase::Failed => None,
            DeploymentPhase::Running | DeploymentPhase::Failing => self.lifecycle_stage.as_ref(),
        }
    }
}

impl fmt::Display for RevisionSummary {
    /// `2/2 tasks running, 0 pending, production traffic 100%`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} tasks running, {} pending",
            self.running, self.requested, self.pending
        )?;
        if let Some(test) = self.test_traffic {
            write!(f, ", test traffic {}%", percent(test))?;
        }
        if let Some(production) = self.production_traffic {
            write!(f, ", production traffic {}%", percent(production))?;
        }
        Ok(())
    }
}

/// A traffic weight without a needless fraction: `100`, `12.5`.
pub fn percent(weight: f64) -> String {
    if weight.fract() == 0.0 {
        format!("{weight:.0}")
    } else {
        format!("{weight}")
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Service deployments for the tests of this module and its siblings.

    use super::*;

    /// A ROLLING service deployment `arn` in `status`, at `stage`, running `running` of 2 tasks.
    pub fn service_deployment(
        arn: &str,
        status: &str,
        stage: Option<&str>,
        running: i32,
    ) -> ServiceDeploymentState {
        ServiceDeploymentState {
            arn: arn.into(),
            service_arn: "arn:aws:ecs:us-east-1:123456789012:service/example/svc".into(),
            cluster_arn: "arn:aws:ecs:us-east-1:123456789012:cluster/example".into(),
            status: status.into(),
            status_reason: String::new(),
            lifecycle_stage: stage.map(LifecycleStage::parse),
            strategy: DeploymentStrategy::Rolling,
            target: Some(RevisionSummary {
                arn: format!("{arn}/revision"),
                requested: 2,
                running,
                pending: 2 - running,
                test_traffic: None,
                production_traffic: None,
            }),
            sources: Vec::new(),
            finished: false,
            rollback: None,
            circuit_breaker: None,
            alarms: None,
            hooks: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::service_deployment;
    use super::*;

    #[test]
    fn statuses_map_onto_phases_and_unknown_ones_are_judged_carefully() {
        use DeploymentPhase::*;
        let phase = |s: &str, finished| ServiceDeploymentStatus::parse(s).phase(finished);
        assert_eq!(phase("PENDING", false), Running);
        assert_eq!(phase("IN_PROGRESS", false), Running);
        assert_eq!(phase("SUCCESSFUL", true), Succeeded);
        assert_eq!(phase("ROLLBACK_REQUESTED", false), Failing);
        assert_eq!(phase("ROLLBACK_IN_PROGRESS", false), Failing);
        assert_eq!(phase("STOP_REQUESTED", false), Failing);
        assert_eq!(phase("ROLLBACK_SUCCESSFUL", true), Failed);
        assert_eq!(phase("ROLLBACK_FAILED", true), Failed);
        assert_eq!(phase("STOPPED", true), Failed);
        // Values ECS may add later.
        assert_eq!(phase("FAILED", false), Failing);
        assert_eq!(phase("FAILED", true), Failed);
        assert_eq!(phase("ROLLBACK_PAUSED", false), Failing);
        assert_eq!(phase("VALIDATING", false), Running);
        assert_eq!(
            phase("VALIDATING", true),
            Failed,
            "finished without SUCCESSFUL"
        );
        for status in ServiceDeploymentStatus::KNOWN {
            assert_eq!(&ServiceDeploymentStatus::parse(status.as_str()), status);
        }
        assert!(ServiceDeploymentStatus::RollbackSuccessful.rolls_back());
        assert!(!ServiceDeploymentStatus::Stopped.rolls_back());
    }

    #[test]
    fn rfc_statuses_of_service_deployments() {
        let arn = "arn:sd/1";
        let rfc = |status: &str, current: Option<&str>, listed, running| {
            let mut sd = service_deployment(arn, status, None, running);
            sd.finished = !matches!(status, "PENDING" | "IN_PROGRESS");
            sd.rfc_status(current, listed, running, 2)
        };
        assert_eq!(rfc("IN_PROGRESS", Some(arn), 2, 1), RfcStatus::InProgress);
        assert_eq!(rfc("SUCCESSFUL", Some(arn), 1, 2), RfcStatus::Complete);
        assert_eq!(rfc("SUCCESSFUL", Some(arn), 1, 1), RfcStatus::NotStable);
        assert_eq!(
            rfc("SUCCESSFUL", Some("arn:sd/2"), 2, 2),
            RfcStatus::Retiring
        );
        assert_eq!(
            rfc("SUCCESSFUL", Some("arn:sd/2"), 1, 2),
            RfcStatus::Retired
        );
        assert_eq!(
            rfc("ROLLBACK_IN_PROGRESS", Some(arn), 2, 2),
            RfcStatus::Retiring
        );
        assert_eq!(rfc("ROLLBACK_SUCCESSFUL", Some(arn), 1, 2), RfcStatus::Dead);
        assert_eq!(rfc("STOPPED", Some(arn), 1, 2), RfcStatus::Dead);
    }

    #[test]
    fn a_finished_deployment_is_at_no_stage() {
        let mut sd = service_deployment("arn:sd/1", "IN_PROGRESS", Some("BAKE_TIME"), 2);
        assert_eq!(sd.stage_while_running(), Some(&LifecycleStage::BakeTime));
        sd.status = ServiceDeploymentStatus::Successful;
        sd.lifecycle_stage = Some(LifecycleStage::CleanUp);
        assert_eq!(sd.stage_while_running(), None);
    }

    #[test]
    fn revisions_read_as_counts_and_traffic() {
        let mut revision = service_deployment("arn:sd/1", "IN_PROGRESS", None, 1)
            .target
            .expect("target");
        assert_eq!(revision.to_string(), "1/2 tasks running, 1 pending");
        revision.test_traffic = Some(100.0);
        revision.production_traffic = Some(12.5);
        assert_eq!(
            revision.to_string(),
            "1/2 tasks running, 1 pending, test traffic 100%, production traffic 12.5%"
        );
    }
}
