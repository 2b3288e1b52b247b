//! The states ECS reports, as enums: service status, deployment status, rollout state, task
//! status, service deployment status and lifecycle stage, strategy, deployment controller,
//! lifecycle hooks, monitors; and the RFC 013 status this provider derives from them.
//!
//! ECS sends these as strings and may add values; `ecs_enum!` declares each enum once with
//! its spellings, and keeps an unknown spelling as `Other` rather than failing or guessing, so
//! state and reports show exactly what ECS said. The values are those of the ECS API model
//! (`ecs/2014-11-13`): service deployment statuses, lifecycle stages, strategies, deployment
//! controllers, hook statuses and actions, monitor statuses.

use std::fmt;

/// Declares an enum of ECS strings: the variants with their spellings, plus `Other(String)`;
/// `parse`, `as_str`, `Display` and `From<&str>`.
macro_rules! ecs_enum {
    (
        $(#[$doc:meta])*
        $name:ident {
            $( $(#[$variant_doc:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$variant_doc])* $variant, )+
            /// A value this provider does not know, exactly as ECS spelled it.
            Other(String),
        }

        impl $name {
            /// Every known value, in declaration order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The value ECS spelled `text`.
            pub fn parse(text: &str) -> $name {
                match text {
                    $( $text => $name::$variant, )+
                    other => $name::Other(other.to_owned()),
                }
            }

            /// The value as ECS spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )+
                    $name::Other(text) => text,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> $name {
                $name::parse(text)
            }
        }
    };
}

ecs_enum! {
    /// A service's `status`.
    ServiceStatus {
        /// In service.
        Active = "ACTIVE",
        /// Being deleted.
        Draining = "DRAINING",
        /// Deleted.
        Inactive = "INACTIVE",
    }
}

ecs_enum! {
    /// A deployment's `status`: the newest is PRIMARY, the ones it replaces ACTIVE until
    /// drained, then INACTIVE.
    DeploymentStatus {
        /// The deployment new tasks come from.
        Primary = "PRIMARY",
        /// An older deployment whose tasks are still being replaced.
        Active = "ACTIVE",
        /// A finished-with deployment.
        Inactive = "INACTIVE",
    }
}

ecs_enum! {
    /// A deployment's `rolloutState` (reported for rolling deployments with the circuit
    /// breaker; absent otherwise).
    RolloutState {
        /// Still rolling.
        InProgress = "IN_PROGRESS",
        /// Every desired task runs and is healthy.
        Completed = "COMPLETED",
        /// The circuit breaker stopped the rollout.
        Failed = "FAILED",
    }
}

ecs_enum! {
    /// A task's `lastStatus` or `desiredStatus`.
    TaskStatus {
        /// Setting up networking.
        Provisioning = "PROVISIONING",
        /// Waiting to start.
        Pending = "PENDING",
        /// Starting.
        Activating = "ACTIVATING",
        /// Running.
        Running = "RUNNING",
        /// Stopping its containers.
        Deactivating = "DEACTIVATING",
        /// Stopping.
        Stopping = "STOPPING",
        /// Tearing down networking.
        Deprovisioning = "DEPROVISIONING",
        /// Stopped.
        Stopped = "STOPPED",
        /// Gone.
        Deleted = "DELETED",
    }
}

ecs_enum! {
    /// A service deployment's `status` (DescribeServiceDeployments).
    ServiceDeploymentStatus {
        /// Created; not started yet.
        Pending = "PENDING",
        /// Rolling out.
        InProgress = "IN_PROGRESS",
        /// Done: the target revision alone runs the desired tasks.
        Successful = "SUCCESSFUL",
        /// StopServiceDeployment (ABORT) was called; it stops at the next step.
        StopRequested = "STOP_REQUESTED",
        /// Stopped without a rollback (stopped, failed with rollback off, or replaced).
        Stopped = "STOPPED",
        /// A rollback was asked for (circuit breaker, alarm, hook, or a stop call).
        RollbackRequested = "ROLLBACK_REQUESTED",
        /// Rolling back to the source revision.
        RollbackInProgress = "ROLLBACK_IN_PROGRESS",
        /// Rolled back: the source revision runs again.
        RollbackSuccessful = "ROLLBACK_SUCCESSFUL",
        /// The rollback failed too.
        RollbackFailed = "ROLLBACK_FAILED",
    }
}

/// Where a service deployment stands, for a client waiting for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeploymentPhase {
    /// Not decided yet.
    Running,
    /// It succeeded.
    Succeeded,
    /// It failed and ECS is still stopping or rolling it back.
    Failing,
    /// It failed, and ECS has finished with it.
    Failed,
}

impl ServiceDeploymentStatus {
    /// The phase this status puts a deployment in. A value this provider does not know is
    /// judged by its spelling (`ROLLBACK_…`, `…FAILED`, `STOP…`: failing) and by `finished`
    /// (ECS set `finishedAt` or `stoppedAt`): whatever has finished without being SUCCESSFUL
    /// failed; anything else is still running.
    pub fn phase(&self, finished: bool) -> DeploymentPhase {
        use ServiceDeploymentStatus::*;
        match self {
            Pending | InProgress => DeploymentPhase::Running,
            Successful => DeploymentPhase::Succeeded,
            StopRequested | RollbackRequested | RollbackInProgress => DeploymentPhase::Failing,
            Stopped | RollbackSuccessful | RollbackFailed => DeploymentPhase::Failed,
            Other(text) => {
                let failing = text.starts_with("ROLLBACK")
                    || text.starts_with("STOP")
                    || text.ends_with("FAILED");
                match (failing, finished) {
                    (_, true) => DeploymentPhase::Failed,
                    (true, false) => DeploymentPhase::Failing,
                    (false, false) => DeploymentPhase::Running,
                }
            }
        }
    }

    /// True when ECS is rolling the deployment back or has rolled it back: the service returns
    /// (or has returned) to the revision it ran before, with the digests that revision resolved.
    pub fn rolls_back(&self) -> bool {
        use ServiceDeploymentStatus::*;
        matches!(
            self,
            RollbackRequested | RollbackInProgress | RollbackSuccessful
        )
    }
}

ecs_enum! {
    /// A service deployment's `lifecycleStage`.
    LifecycleStage {
        /// Reconciling several active revisions before the deployment starts.
        ReconcileService = "RECONCILE_SERVICE",
        /// Before the new revision's tasks start.
        PreScaleUp = "PRE_SCALE_UP",
        /// The new revision's tasks start.
        ScaleUp = "SCALE_UP",
        /// The new revision's tasks run; no traffic yet.
        PostScaleUp = "POST_SCALE_UP",
        /// Test traffic moves to the new revision.
        TestTrafficShift = "TEST_TRAFFIC_SHIFT",
        /// Test traffic has moved.
        PostTestTrafficShift = "POST_TEST_TRAFFIC_SHIFT",
        /// Production traffic moves to the new revision.
        ProductionTrafficShift = "PRODUCTION_TRAFFIC_SHIFT",
        /// Production traffic has moved.
        PostProductionTrafficShift = "POST_PRODUCTION_TRAFFIC_SHIFT",
        /// Both revisions run while the new one proves itself.
        BakeTime = "BAKE_TIME",
        /// The old revision's tasks stop.
        CleanUp = "CLEAN_UP",
    }
}

ecs_enum! {
    /// `deploymentConfiguration.strategy`.
    DeploymentStrategy {
        /// Replaces tasks within the minimum and maximum percent (the default).
        Rolling = "ROLLING",
        /// Starts the new revision beside the old one and moves all traffic at once.
        BlueGreen = "BLUE_GREEN",
        /// Moves traffic in equal steps.
        Linear = "LINEAR",
        /// Moves a small share first, then the rest.
        Canary = "CANARY",
    }
}

impl DeploymentStrategy {
    /// The strategy of a `deploymentConfiguration` that names none: ROLLING, ECS's default.
    pub fn or_default(strategy: Option<&str>) -> DeploymentStrategy {
        strategy
            .filter(|s| !s.is_empty())
            .map_or(DeploymentStrategy::Rolling, DeploymentStrategy::parse)
    }
}

ecs_enum! {
    /// `deploymentController.type`: who deploys the service.
    DeploymentController {
        /// ECS itself: UpdateService deploys (the default).
        Ecs = "ECS",
        /// AWS CodeDeploy: UpdateService refuses to deploy.
        CodeDeploy = "CODE_DEPLOY",
        /// A third-party controller through task sets: UpdateService refuses to deploy.
        External = "EXTERNAL",
    }
}

ecs_enum! {
    /// A lifecycle hook run's `status` (`lifecycleHookDetails`).
    HookStatus {
        /// A PAUSE hook waiting for ContinueServiceDeployment.
        AwaitingAction = "AWAITING_ACTION",
        /// Running (a Lambda hook).
        InProgress = "IN_PROGRESS",
        /// Done; the deployment goes on.
        Succeeded = "SUCCEEDED",
        /// Failed; the deployment rolls back.
        Failed = "FAILED",
        /// Expired; ECS took its timeout action.
        TimedOut = "TIMED_OUT",
    }
}

ecs_enum! {
    /// A lifecycle hook's `targetType`.
    HookTargetType {
        /// Invokes a Lambda function.
        AwsLambda = "AWS_LAMBDA",
        /// Waits for ContinueServiceDeployment.
        Pause = "PAUSE",
    }
}

ecs_enum! {
    /// What ContinueServiceDeployment (or a hook's timeout) does with a paused deployment.
    HookAction {
        /// Go on to the next stage.
        Continue = "CONTINUE",
        /// Roll back to the previous revision.
        Rollback = "ROLLBACK",
    }
}

ecs_enum! {
    /// The state of a service deployment's circuit breaker or alarm monitoring.
    MonitorStatus {
        /// It failed the deployment.
        Triggered = "TRIGGERED",
        /// Watching.
        Monitoring = "MONITORING",
        /// Watched the whole deployment without firing.
        MonitoringComplete = "MONITORING_COMPLETE",
        /// Not configured.
        Disabled = "DISABLED",
    }
}

/// The RFC 013 status of one deployment of a service, as this provider reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RfcStatus {
    /// The only deployment, running every desired task.
    Complete,
    /// The PRIMARY deployment while older ones still run.
    InProgress,
    /// The only deployment, running fewer or more tasks than desired.
    NotStable,
    /// Replaced; its tasks are still stopping.
    Retiring,
    /// Replaced and drained.
    Retired,
    /// No longer listed by ECS.
    Dead,
}

impl RfcStatus {
    /// The status as the RFC spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RfcStatus::Complete => "COMPLETE",
            RfcStatus::InProgress => "IN_PROGRESS",
            RfcStatus::NotStable => "NOT_STABLE",
            RfcStatus::Retiring => "RETIRING",
            RfcStatus::Retired => "RETIRED",
            RfcStatus::Dead => "DEAD",
        }
    }
}

impl fmt::Display for RfcStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_trip_and_unknown_ones_are_kept() {
        for status in DeploymentStatus::KNOWN {
            assert_eq!(&DeploymentStatus::parse(status.as_str()), status);
        }
        for state in RolloutState::KNOWN {
            assert_eq!(&RolloutState::parse(state.as_str()), state);
        }
        for status in TaskStatus::KNOWN {
            assert_eq!(&TaskStatus::from(status.as_str()), status);
        }
        assert_eq!(ServiceStatus::parse("ACTIVE"), ServiceStatus::Active);
        let new = RolloutState::parse("ROLLING_BACK");
        assert_eq!(new, RolloutState::Other("ROLLING_BACK".into()));
        assert_eq!(new.to_string(), "ROLLING_BACK");
        assert_eq!(RfcStatus::NotStable.to_string(), "NOT_STABLE");
    }
}
