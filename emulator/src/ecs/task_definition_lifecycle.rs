//! DeregisterTaskDefinition (ACTIVE → INACTIVE) and DeleteTaskDefinitions (INACTIVE →
//! DELETE_IN_PROGRESS). Both revisions stay describable, as in ECS; running tasks and
//! deployments are not affected, but no service can be created or updated onto them.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::protocol::{AwsError, ts};

use super::Handler;
use super::records::RevisionStatus;
use super::wire::task_definition_json;

/// The task-definition lifecycle operations.
pub(super) const OPERATIONS: &[(&str, Handler)] = &[
    ("DeregisterTaskDefinition", |ecs, c| {
        let input: DeregisterIn = c.req.input()?;
        let index = ecs
            .find_task_definition(&input.task_definition)
            .filter(|_| input.task_definition.contains(':'))
            .ok_or_else(|| {
                AwsError::client_exception(
                    "The specified task definition does not exist (a revision, family:revision or ARN, is required).",
                )
            })?;
        let td = &ecs.task_definitions[index];
        let key = (td.key.family.clone(), td.key.revision);
        let entry = c
            .records
            .revisions
            .entry(key)
            .or_insert((RevisionStatus::Inactive, c.req.now_ms));
        let mut out = task_definition_json(td, c.req.ctx);
        out["status"] = json!(entry.0.as_str());
        out["deregisteredAt"] = ts(entry.1);
        Ok(json!({ "taskDefinition": out }))
    }),
    ("DeleteTaskDefinitions", |ecs, c| {
        let input: DeleteIn = c.req.input()?;
        if input.task_definitions.is_empty() || input.task_definitions.len() > 10 {
            return Err(AwsError::invalid(
                "taskDefinitions must hold between 1 and 10 items.",
            ));
        }
        let mut deleted = Vec::new();
        let mut failures = Vec::new();
        for reference in &input.task_definitions {
            let found = ecs
                .find_task_definition(reference)
                .filter(|_| reference.contains(':'));
            let Some(index) = found else {
                failures.push(json!({ "arn": reference, "reason": "TASK_DEFINITION_NOT_FOUND" }));
                continue;
            };
            let td = &ecs.task_definitions[index];
            let key = (td.key.family.clone(), td.key.revision);
            match c.records.revisions.get_mut(&key) {
                Some(entry) => {
                    entry.0 = RevisionStatus::DeleteInProgress;
                    let mut out: Value = task_definition_json(td, c.req.ctx);
                    out["status"] = json!(entry.0.as_str());
                    out["deregisteredAt"] = ts(entry.1);
                    out["deleteRequestedAt"] = ts(c.req.now_ms);
                    deleted.push(out);
                }
                None => failures.push(json!({
                    "arn": td.key.arn(c.req.ctx),
                    "reason": "The specified task definition is currently ACTIVE. Deregister it before deleting it.",
                })),
            }
        }
        Ok(json!({ "taskDefinitions": deleted, "failures": failures }))
    }),
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeregisterIn {
    task_definition: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteIn {
    task_definitions: Vec<String>,
}
