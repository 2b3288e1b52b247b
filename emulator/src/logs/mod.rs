//! Emulated CloudWatch Logs, log groups only: what hashicorp/aws's `aws_cloudwatch_log_group`
//! creates, reads, updates and deletes for the task definition's `awslogs` driver. No log events
//! are stored (the emulated tasks write none). Spoken over AWS JSON 1.1 like ECR and ECS, target
//! prefix `Logs_20140328`.
//!
//! - [`model`]: log groups and their rules; `groups` and `tags`: the operation families.

mod groups;
pub mod model;
mod tags;

use serde_json::Value;

use crate::protocol::{AwsError, Request, find_operation, operation_names};

pub use model::{LogGroup, Logs};

/// The handler of one CloudWatch Logs operation: it decodes the body itself.
pub(crate) type Handler = fn(&mut Logs, &Request<'_>) -> Result<Value, AwsError>;

/// Every family of CloudWatch Logs operations.
const FAMILIES: &[&[(&str, Handler)]] = &[groups::OPERATIONS, tags::OPERATIONS];

/// Serves one CloudWatch Logs operation. `None` when no family serves it.
pub fn call(
    logs: &mut Logs,
    operation: &str,
    request: &Request<'_>,
) -> Option<Result<Value, AwsError>> {
    find_operation(FAMILIES, operation).map(|handler| handler(logs, request))
}

/// The names of the CloudWatch Logs operations this emulator serves.
pub fn operations() -> Vec<&'static str> {
    operation_names(FAMILIES)
}
