//! Emulated Amazon ECS: clusters, task definitions, services with deployments, tasks, and the
//! operations the project uses.
//!
//! - The model: [`model`] (clusters, services, tasks, task definitions, lookups),
//!   [`deployment`] (service revisions and `deployments[]` entries), [`service_deployment`]
//!   (service deployments: status, stages, hooks, monitors), [`config`]
//!   (`deploymentConfiguration`: strategies, hooks, alarms, defaults) and [`config_rules`] (its
//!   request shapes and validation),
//!   [`externals`] (the CloudWatch alarms and Lambda functions deployments use).
//! - Behaviour on the clock: [`rollout`] (tasks: transitions and scheduling) and [`lifecycle`]
//!   (the service deployment state machine); [`images`] resolves image tags to digests.
//! - The JSON shapes: [`wire`] (clusters, task definitions, services, tasks) and
//!   [`deployment_wire`] (service deployments, revisions, deployment configuration).
//! - One module per family of operations (`clusters`, `task_definitions`, `services`, `tasks`,
//!   `service_deployments`, `service_revisions`), each with a table of the operations it serves;
//!   [`call`] only finds the operation in those tables. A new family is a new module and one
//!   line in `FAMILIES`.

mod clusters;
pub mod config;
pub mod config_rules;
pub mod deployment;
pub mod deployment_wire;
pub mod externals;
pub mod images;
pub mod lifecycle;
pub mod model;
pub mod rollout;
pub mod service_deployment;
mod service_deployments;
mod service_revisions;
mod services;
pub mod task;
mod task_definitions;
mod tasks;
pub mod wire;

// Resource lifecycles and tags (what hashicorp/aws creates, updates and destroys).
mod cluster_lifecycle;
pub mod records;
mod service_lifecycle;
mod tags;
mod task_definition_lifecycle;

use serde_json::Value;

use crate::ecr::Ecr;
use crate::ids::SplitMix64;
use crate::protocol::{AwsError, Request, find_operation, operation_names};

pub use records::Records;

pub use deployment::{Deployment, DeploymentStatus, RolloutState};
pub use externals::{AlarmState, LambdaResult};
pub use model::{Cluster, Ecs, ExternalImage, Service};
pub use task::deployment_counts;
pub use task::{Task, TaskStatus};

/// One ECS call as the operation handlers see it: the request, the registry that image tags
/// resolve against, and the id generator.
pub struct Call<'a> {
    /// Body, caller and time.
    pub req: Request<'a>,
    /// The emulated ECR (read-only: ECS only resolves images).
    pub ecr: &'a Ecr,
    /// Deployment, task and event ids.
    pub ids: &'a mut SplitMix64,
    /// Tags and deleted resources.
    pub records: &'a mut Records,
}

/// The handler of one ECS operation: it decodes the body itself.
pub(crate) type Handler = fn(&mut Ecs, &mut Call<'_>) -> Result<Value, AwsError>;

/// Every family of ECS operations.
const FAMILIES: &[&[(&str, Handler)]] = &[
    cluster_lifecycle::OPERATIONS,
    service_lifecycle::OPERATIONS,
    task_definition_lifecycle::OPERATIONS,
    tags::OPERATIONS,
    clusters::OPERATIONS,
    task_definitions::OPERATIONS,
    services::OPERATIONS,
    tasks::OPERATIONS,
    service_deployments::OPERATIONS,
    service_revisions::OPERATIONS,
];

/// Serves one ECS operation. `None` when no family serves it.
pub fn call(
    ecs: &mut Ecs,
    operation: &str,
    call: &mut Call<'_>,
) -> Option<Result<Value, AwsError>> {
    find_operation(FAMILIES, operation)
        .map(|handler| records::around(ecs, operation, call, handler))
}

/// The names of the ECS operations this emulator serves.
pub fn operations() -> Vec<&'static str> {
    operation_names(FAMILIES)
}
