//! What ECS keeps about resources beyond the service, cluster and task-definition models: their
//! tags, and the resources on their way out. A deleted service drains (status DRAINING: its
//! desired count is 0, so the scheduler stops its tasks like any scale-in) and then becomes
//! INACTIVE; a deleted cluster and a deregistered or deleted task definition change status. ECS
//! keeps describing all of them for a while, and hashicorp/aws waits for exactly those statuses
//! on destroy, so they are answered from here.
//!
//! The records are layered over the operations (see [`around`]): checks before an operation,
//! and the statuses and tags written into what Describe* returns, so the model and the
//! operations of `services`, `clusters` and `task_definitions` need not know about them.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::protocol::{AwsError, RequestContext, ts};
use crate::tags::{TagError, Tags, merged};

use super::model::{Ecs, short_name};
use super::task::TaskStatus;
use super::{Call, Handler};

/// A service being deleted.
#[derive(Clone, Debug)]
pub struct Draining {
    /// Its cluster.
    pub cluster: String,
    /// Its name.
    pub service: String,
    /// How DescribeServices shows it once INACTIVE (rendered at deletion).
    pub last_seen: Value,
}

/// The status of a task-definition revision that is no longer ACTIVE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevisionStatus {
    /// Deregistered: still describable, no new service or deployment may use it.
    Inactive,
    /// DeleteTaskDefinitions was called on it (after deregistration).
    DeleteInProgress,
}

impl RevisionStatus {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inactive => "INACTIVE",
            Self::DeleteInProgress => "DELETE_IN_PROGRESS",
        }
    }
}

/// Tags and deleted resources, kept beside [`Ecs`].
#[derive(Clone, Debug, Default)]
pub struct Records {
    /// Tags by resource path: `cluster/<c>`, `service/<c>/<s>`, `task-definition/<f>:<r>`,
    /// `task/<c>/<id>`.
    pub tags: BTreeMap<String, Tags>,
    /// Services deleted but still draining.
    pub draining: Vec<Draining>,
    /// Deleted services as DescribeServices shows them: (cluster, service, description).
    pub inactive_services: Vec<(String, String, Value)>,
    /// Deleted clusters as DescribeClusters shows them: (cluster, description).
    pub inactive_clusters: Vec<(String, Value)>,
    /// Task-definition revisions that are not ACTIVE, with the time they left it.
    pub revisions: BTreeMap<(String, i64), (RevisionStatus, i64)>,
}

/// A tag rule broken, as ECS reports it.
pub fn tag_error(e: TagError) -> AwsError {
    AwsError::invalid(e.to_string())
}

/// The `tags` member of a request body as (key, value) pairs (ECS spells them `key`, `value`).
pub fn body_tags(body: &Value) -> Result<Vec<(String, String)>, AwsError> {
    let Some(list) = body.get("tags") else {
        return Ok(Vec::new());
    };
    let Some(list) = list.as_array() else {
        return Err(AwsError::client(
            "SerializationException",
            "tags must be a list",
        ));
    };
    list.iter()
        .map(|t| {
            let key = t.get("key").and_then(Value::as_str);
            let value = t.get("value").and_then(Value::as_str).unwrap_or("");
            key.map(|k| (k.to_string(), value.to_string()))
                .ok_or_else(|| AwsError::invalid("Tag keys must not be null."))
        })
        .collect()
}

/// ECS `Tag`s.
pub fn tags_json(tags: Option<&Tags>) -> Value {
    Value::Array(
        tags.into_iter()
            .flatten()
            .map(|(k, v)| json!({ "key": k, "value": v }))
            .collect(),
    )
}

/// The resource path of an ECS ARN (`arn:aws:ecs:<region>:<account>:<path>`), if it is one of
/// this account.
pub fn arn_path<'a>(arn: &'a str, ctx: &RequestContext) -> Option<&'a str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts[..] {
        ["arn", _, "ecs", _, account, path] if account == ctx.account => Some(path),
        _ => None,
    }
}

fn string<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

impl Records {
    /// The status a revision has now (`ACTIVE` unless deregistered or deleted).
    pub fn revision_status(&self, family: &str, revision: i64) -> &'static str {
        self.revisions
            .get(&(family.to_string(), revision))
            .map_or("ACTIVE", |(s, _)| s.as_str())
    }

    /// Whether a service is being deleted.
    pub fn is_draining(&self, cluster: &str, service: &str) -> bool {
        self.draining
            .iter()
            .any(|d| d.cluster == cluster && d.service == service)
    }

    /// Once per clock step: draining services without a task that has not stopped become
    /// INACTIVE and leave their cluster.
    pub fn settle(&mut self, ecs: &mut Ecs) {
        let mut still = Vec::new();
        for d in std::mem::take(&mut self.draining) {
            let Some(cluster) = ecs.clusters.iter_mut().find(|c| c.name == d.cluster) else {
                continue;
            };
            let busy = cluster
                .tasks
                .iter()
                .any(|t| t.service == d.service && t.last != TaskStatus::Stopped);
            if busy {
                still.push(d);
                continue;
            }
            cluster.services.retain(|s| s.name != d.service);
            let mut last = d.last_seen;
            last["status"] = json!("INACTIVE");
            for key in ["desiredCount", "runningCount", "pendingCount"] {
                last[key] = json!(0);
            }
            last["deployments"] = json!([]);
            self.inactive_services
                .retain(|(c, s, _)| !(c == &d.cluster && s == &d.service));
            self.inactive_services.push((d.cluster, d.service, last));
        }
        self.draining = still;
    }
}

/// The cluster name a request's `cluster` member names (default `default`).
fn cluster_name(body: &Value) -> String {
    short_name(
        body.get("cluster")
            .and_then(Value::as_str)
            .unwrap_or("default"),
    )
    .to_string()
}

/// Runs `handler` for `operation` with the records' checks before it and their statuses and
/// tags written into its answer.
pub fn around(
    ecs: &mut Ecs,
    operation: &str,
    call: &mut Call<'_>,
    handler: Handler,
) -> Result<Value, AwsError> {
    let body: Value = if call.req.body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(call.req.body).unwrap_or(Value::Null)
    };
    before(ecs, call.records, operation, &body)?;
    let mut out = handler(ecs, call)?;
    after(call.records, operation, &body, &mut out, call.req.ctx);
    Ok(out)
}

/// Refusals that depend on the records: tags that break the rules, draining services, inactive
/// task definitions.
fn before(ecs: &Ecs, records: &Records, operation: &str, body: &Value) -> Result<(), AwsError> {
    if matches!(
        operation,
        "CreateCluster" | "CreateService" | "RegisterTaskDefinition"
    ) {
        merged(&Tags::new(), &body_tags(body)?).map_err(tag_error)?;
    }
    if operation == "UpdateService"
        && let Some(service) = body.get("service").and_then(Value::as_str)
        && records.is_draining(&cluster_name(body), short_name(service))
    {
        return Err(AwsError::client(
            "ServiceNotActiveException",
            "Service was not ACTIVE.",
        ));
    }
    if matches!(operation, "CreateService" | "UpdateService")
        && let Some(reference) = body.get("taskDefinition").and_then(Value::as_str)
        && let Some(index) = ecs.find_task_definition(reference)
    {
        let key = &ecs.task_definitions[index].key;
        if records.revision_status(&key.family, key.revision) != "ACTIVE" {
            return Err(AwsError::client_exception(format!(
                "TaskDefinition is inactive: {}:{}",
                key.family, key.revision
            )));
        }
    }
    Ok(())
}

fn after(
    records: &mut Records,
    operation: &str,
    body: &Value,
    out: &mut Value,
    ctx: &RequestContext,
) {
    let wants_tags = body
        .get("include")
        .and_then(Value::as_array)
        .is_some_and(|i| i.iter().any(|x| x == "TAGS"));
    // Tags given at creation. A re-created resource starts from them, not from a former one's.
    let created = match operation {
        "CreateCluster" => string(out, "/cluster/clusterArn"),
        "CreateService" => string(out, "/service/serviceArn"),
        "RegisterTaskDefinition" => string(out, "/taskDefinition/taskDefinitionArn"),
        _ => None,
    };
    if let Some(path) = created
        .and_then(|arn| arn_path(arn, ctx))
        .map(str::to_string)
    {
        let pairs = body_tags(body).unwrap_or_default();
        let tags = merged(&Tags::new(), &pairs).unwrap_or_default();
        if operation != "CreateCluster" || !tags.is_empty() || !records.tags.contains_key(&path) {
            records.tags.insert(path, tags);
        }
    }
    match operation {
        "CreateCluster" => {
            if let Some(name) = string(out, "/cluster/clusterName").map(str::to_string) {
                records.inactive_clusters.retain(|(c, _)| *c != name);
            }
        }
        "CreateService" => {
            let cluster = cluster_name(body);
            if let Some(name) = string(out, "/service/serviceName").map(str::to_string) {
                records
                    .inactive_services
                    .retain(|(c, s, _)| !(*c == cluster && *s == name));
            }
        }
        "DescribeServices" => {
            let cluster = cluster_name(body);
            revive(out, "services", |arn| {
                records
                    .inactive_services
                    .iter()
                    .find(|(c, s, _)| *c == cluster && s == short_name(arn))
                    .map(|(_, _, v)| v.clone())
            });
            for s in out["services"].as_array_mut().into_iter().flatten() {
                if let Some(name) = string(s, "/serviceName")
                    && records.is_draining(&cluster, name)
                {
                    s["status"] = json!("DRAINING");
                }
            }
            if wants_tags {
                fill_tags(records, out, "services", "/serviceArn", ctx);
            }
        }
        "DescribeClusters" => {
            revive(out, "clusters", |arn| {
                records
                    .inactive_clusters
                    .iter()
                    .find(|(c, _)| c == short_name(arn))
                    .map(|(_, v)| v.clone())
            });
            if wants_tags {
                fill_tags(records, out, "clusters", "/clusterArn", ctx);
            }
        }
        "DescribeTaskDefinition" | "RegisterTaskDefinition" => {
            if let (Some(family), Some(revision)) = (
                string(out, "/taskDefinition/family").map(str::to_string),
                out.pointer("/taskDefinition/revision")
                    .and_then(Value::as_i64),
            ) && let Some((status, since)) = records.revisions.get(&(family, revision))
            {
                out["taskDefinition"]["status"] = json!(status.as_str());
                out["taskDefinition"]["deregisteredAt"] = ts(*since);
            }
            if wants_tags {
                let path = string(out, "/taskDefinition/taskDefinitionArn")
                    .and_then(|a| arn_path(a, ctx))
                    .map(str::to_string);
                out["tags"] = tags_json(path.and_then(|p| records.tags.get(&p)));
            }
        }
        "DescribeTasks" if wants_tags => fill_tags(records, out, "tasks", "/taskArn", ctx),
        _ => {}
    }
}

/// Moves `MISSING` failures that name a deleted resource into the found list, as ECS keeps
/// describing INACTIVE services and clusters.
fn revive(out: &mut Value, key: &str, find: impl Fn(&str) -> Option<Value>) {
    let Some(failures) = out["failures"].as_array().cloned() else {
        return;
    };
    let mut kept = Vec::new();
    for f in failures {
        match string(&f, "/arn").and_then(&find) {
            Some(v) => {
                if let Some(list) = out[key].as_array_mut() {
                    list.push(v);
                }
            }
            None => kept.push(f),
        }
    }
    out["failures"] = Value::Array(kept);
}

fn fill_tags(records: &Records, out: &mut Value, key: &str, arn: &str, ctx: &RequestContext) {
    for item in out[key].as_array_mut().into_iter().flatten() {
        let path = string(item, arn)
            .and_then(|a| arn_path(a, ctx))
            .map(str::to_string);
        item["tags"] = tags_json(path.and_then(|p| records.tags.get(&p)));
    }
}
