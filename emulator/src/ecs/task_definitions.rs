//! The task-definition operations: RegisterTaskDefinition, DescribeTaskDefinition.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::protocol::{AwsError, RequestContext};

use super::Handler;
use super::model::{Ecs, valid_name};
use super::task::{TaskDefinition, TdKey};
use super::wire::{task_definition_json, wants_tags};

/// The task-definition operations.
pub(super) const OPERATIONS: &[(&str, Handler)] = &[
    ("RegisterTaskDefinition", |ecs, c| {
        let (index, tags) = ecs.register_task_definition(c.req.input()?, c.req.now_ms)?;
        let td = task_definition_json(&ecs.task_definitions[index], c.req.ctx);
        Ok(json!({ "taskDefinition": td, "tags": tags }))
    }),
    ("DescribeTaskDefinition", |ecs, c| {
        describe_task_definition(ecs, c.req.input()?, c.req.ctx)
    }),
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeTaskDefinitionIn {
    task_definition: String,
    include: Option<Vec<String>>,
}

impl Ecs {
    /// Registers a task definition from a `RegisterTaskDefinition` body. Returns its index and the
    /// request's tags.
    pub fn register_task_definition(
        &mut self,
        mut body: Map<String, Value>,
        now_ms: i64,
    ) -> Result<(usize, Value), AwsError> {
        let family = match body.get("family") {
            Some(Value::String(f)) => f.clone(),
            None | Some(Value::Null) => {
                return Err(AwsError::invalid(
                    "1 validation error detected: Value null at 'family' failed to satisfy constraint: Member must not be null",
                ));
            }
            Some(_) => {
                return Err(AwsError::client(
                    "SerializationException",
                    "family must be a string",
                ));
            }
        };
        if !valid_name(&family) {
            return Err(AwsError::client_exception(
                "Family contains invalid characters: up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.",
            ));
        }
        let Some(Value::Array(defs)) = body.get_mut("containerDefinitions") else {
            return Err(AwsError::invalid(
                "1 validation error detected: Value null at 'containerDefinitions' failed to satisfy constraint: Member must not be null",
            ));
        };
        if defs.is_empty() {
            return Err(AwsError::client_exception(
                "Container list cannot be empty.",
            ));
        }
        for def in defs.iter_mut() {
            let Value::Object(def) = def else {
                return Err(AwsError::client(
                    "SerializationException",
                    "containerDefinitions must hold objects",
                ));
            };
            for key in ["name", "image"] {
                let ok = def
                    .get(key)
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty());
                if !ok {
                    return Err(AwsError::client_exception(format!(
                        "Container.{key} should not be null or empty."
                    )));
                }
            }
            // Defaults ECS fills in and returns.
            for (key, value) in [
                ("cpu", json!(0)),
                ("portMappings", json!([])),
                ("essential", json!(true)),
                ("environment", json!([])),
                ("mountPoints", json!([])),
                ("volumesFrom", json!([])),
                ("systemControls", json!([])),
            ] {
                def.entry(key).or_insert(value);
            }
        }
        let tags = body.remove("tags").unwrap_or_else(|| json!([]));
        for (key, value) in [("volumes", json!([])), ("placementConstraints", json!([]))] {
            body.entry(key).or_insert(value);
        }
        let revision = self
            .task_definitions
            .iter()
            .filter(|t| t.key.family == family)
            .map(|t| t.key.revision)
            .max()
            .unwrap_or(0)
            + 1;
        self.task_definitions.push(TaskDefinition {
            key: TdKey { family, revision },
            body,
            registered_ms: now_ms,
        });
        Ok((self.task_definitions.len() - 1, tags))
    }
}

fn describe_task_definition(
    ecs: &Ecs,
    input: DescribeTaskDefinitionIn,
    ctx: &RequestContext,
) -> Result<Value, AwsError> {
    let index = ecs
        .find_task_definition(&input.task_definition)
        .ok_or_else(|| AwsError::client_exception("Unable to describe task definition."))?;
    let mut out =
        json!({ "taskDefinition": task_definition_json(&ecs.task_definitions[index], ctx) });
    if wants_tags(input.include.as_deref()) {
        out["tags"] = json!([]);
    }
    Ok(out)
}
