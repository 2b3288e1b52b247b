//! ECS: describing services and tasks, forcing new deployments, and following the service
//! deployments they start.
//!
//! - [`status`]: the states ECS reports, as enums (service, deployment, rollout, task, service
//!   deployment, lifecycle stage, strategy, controller, hooks) and the RFC 013 status derived
//!   from them.
//! - [`model`]: services, deployments and tasks as the domain sees them;
//!   [`service_deployment`]: service deployments and revisions.
//! - `describe`: DescribeServices, ListTasks, DescribeTasks, DescribeTaskDefinition.
//! - `service_deployments`: DescribeServiceDeployments, DescribeServiceRevisions,
//!   StopServiceDeployment, ContinueServiceDeployment.
//! - `deploy`: UpdateService with forceNewDeployment.
//! - `not_found`: which modelled errors mean a missing cluster or service.
//! - [`progress`]: the events a wait reports, and where they go ([`ProgressSink`]).
//! - `wait`: following service deployments to success, failure, timeout or cancellation
//!   ([`Ecs::wait_for_deployments`]).

mod deploy;
mod describe;
pub mod model;
mod not_found;
pub mod progress;
pub mod service_deployment;
mod service_deployments;
pub mod status;
mod wait;

use std::sync::Arc;
use std::time::Duration;

pub use describe::{DESCRIBE_SERVICES_BATCH, DESCRIBE_TASKS_BATCH};
pub use model::{DeploymentState, RecordedDeployment, ServiceState, TaskContainer, TaskState};
pub use progress::{LogProgress, NoProgress, ProgressEvent, ProgressKind, ProgressSink};
pub use service_deployment::{RevisionImages, ServiceDeploymentState};
pub use service_deployments::{
    ContinueOutcome, DESCRIBE_SERVICE_DEPLOYMENTS_BATCH, DESCRIBE_SERVICE_REVISIONS_BATCH,
    Described, DescribedDeployment, StopOutcome,
};
pub use status::{
    DeploymentController, DeploymentPhase, DeploymentStatus, DeploymentStrategy, HookAction,
    HookStatus, LifecycleStage, MonitorStatus, RfcStatus, RolloutState, ServiceDeploymentStatus,
    ServiceStatus, TaskStatus,
};
pub use wait::{
    DeploymentFailure, DeploymentOutcome, ExpectedImage, Follow, PauseAction, Verdict, WaitError,
    WaitOptions,
};

use super::coalesce::Batcher;
use super::error::EcsError;
use super::pacing::Pacer;

/// DescribeServices, DescribeTasks and DescribeServiceDeployments calls shared by the concurrent
/// callers of one provider process (see [`super::coalesce`]): batched by cluster, 10 services or
/// 100 tasks a call; service deployments of any cluster, 20 a call.
#[derive(Debug, Clone)]
pub struct SharedEcsReads {
    services: Arc<Batcher<ServiceState, EcsError>>,
    tasks: Arc<Batcher<TaskState, EcsError>>,
    /// DescribeServiceDeployments of any clusters (one key): each data source reads its own
    /// service's current deployment, and a status check of many services would otherwise
    /// make one call per service.
    service_deployments: Arc<Batcher<DescribedDeployment, EcsError>>,
}

impl SharedEcsReads {
    /// Batches that wait `window` for another caller after the last one joined, `max_wait` at
    /// most after the first.
    pub fn new(window: Duration, max_wait: Duration) -> SharedEcsReads {
        SharedEcsReads {
            services: Arc::new(Batcher::new(window, max_wait, DESCRIBE_SERVICES_BATCH)),
            tasks: Arc::new(Batcher::new(window, max_wait, DESCRIBE_TASKS_BATCH)),
            service_deployments: Arc::new(Batcher::new(
                window,
                max_wait,
                DESCRIBE_SERVICE_DEPLOYMENTS_BATCH,
            )),
        }
    }
}

/// ECS operations of the domain, over an SDK client.
#[derive(Debug, Clone)]
pub struct Ecs {
    client: aws_sdk_ecs::Client,
    /// Shares DescribeServices and DescribeTasks calls with concurrent callers, when set.
    shared: Option<SharedEcsReads>,
    /// The rate-limit buckets every attempt takes its turn from.
    pacer: Pacer,
}

impl Ecs {
    /// Wraps a configured client; every call is its own, paced by `pacer`.
    pub fn new(client: aws_sdk_ecs::Client, pacer: Pacer) -> Ecs {
        Ecs {
            client,
            shared: None,
            pacer,
        }
    }

    /// Wraps a configured client whose DescribeServices and DescribeTasks calls are shared with
    /// the other users of `shared`; paced by `pacer`.
    pub fn coalesced(client: aws_sdk_ecs::Client, shared: SharedEcsReads, pacer: Pacer) -> Ecs {
        Ecs {
            client,
            shared: Some(shared),
            pacer,
        }
    }
}
