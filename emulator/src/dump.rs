//! The JSON dump of the emulated account that `GET /_emulator/state` returns, for tests and
//! debugging. Not an AWS shape: it shows what the API hides (inactive deployments, failures).

use serde_json::{Value, json};

use crate::ecs::{Deployment, TaskStatus, deployment_counts};
use crate::protocol::{RequestContext, ts};
use crate::state::State;

impl State {
    /// A JSON view for tests and debugging (`GET /_emulator/state`).
    pub fn dump(&self) -> Value {
        let ctx = RequestContext {
            region: self.region.clone(),
            account: self.account.clone(),
            endpoint: None,
        };
        let repositories: Vec<Value> = self
            .ecr
            .repositories
            .iter()
            .map(|r| {
                json!({
                    "name": r.name,
                    "images": r.images.iter().map(|i| json!({
                        "digest": i.digest,
                        "tags": i.tags,
                        "mediaType": i.media_type,
                        "children": i.children,
                        "healthy": i.healthy,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let clusters: Vec<Value> = self
            .ecs
            .clusters
            .iter()
            .map(|c| {
                let services: Vec<Value> = c
                    .services
                    .iter()
                    .map(|s| {
                        let deployment = |d: &Deployment| {
                            let (running, pending) = deployment_counts(&c.tasks, &s.name, &d.id);
                            json!({
                                "id": d.id,
                                "status": d.status.as_str(),
                                "rolloutState": d.rollout.as_str(),
                                "taskDefinition": d.revision.task_definition.arn(&ctx),
                                "revision": d.revision.id,
                                "images": d.revision.containers.iter().map(|x| json!({"name": x.name, "image": x.image, "digest": x.digest, "failure": x.failure})).collect::<Vec<_>>(),
                                "runningCount": running,
                                "pendingCount": pending,
                                "failedTasks": d.failed_tasks,
                            })
                        };
                        json!({
                            "name": s.name,
                            "desiredCount": s.desired_count,
                            "deployments": s.deployments.iter().map(deployment).collect::<Vec<_>>(),
                            "inactiveDeployments": s.retired.iter().map(deployment).collect::<Vec<_>>(),
                            "serviceDeployments": s.service_deployments.iter().map(|sd| json!({
                                "id": sd.id,
                                "deployment": sd.deployment_id,
                                "status": sd.status.as_str(),
                                "lifecycleStage": sd.stage.map(|x| x.as_str()),
                                "phase": sd.phase,
                                "phases": sd.plan.len(),
                                "testTrafficWeight": sd.test_weight,
                                "productionTrafficWeight": sd.prod_weight,
                                "hooks": sd.hooks.iter().map(|h| json!({"hookId": h.id, "stage": h.stage.as_str(), "status": h.status.as_str()})).collect::<Vec<_>>(),
                            })).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                let tasks: Vec<Value> = c
                    .tasks
                    .iter()
                    .map(|t| {
                        json!({
                            "id": t.id,
                            "service": t.service,
                            "startedBy": t.deployment,
                            "lastStatus": t.last.as_str(),
                            "desiredStatus": t.desired.as_str(),
                            "digests": t.containers.iter().map(|x| x.digest.clone()).collect::<Vec<_>>(),
                            "stopCode": t.stop_code,
                        })
                    })
                    .collect();
                let running = c.tasks.iter().filter(|t| t.last == TaskStatus::Running).count();
                json!({ "name": c.name, "services": services, "tasks": tasks, "runningTasks": running })
            })
            .collect();
        json!({
            "now": ts(self.now_ms),
            "steps": self.steps,
            "accountId": self.account,
            "region": self.region,
            "repositories": repositories,
            "clusters": clusters,
            "alarms": self.ecs.alarms.iter().map(|(n, a)| (n.clone(), json!(a.as_str()))).collect::<serde_json::Map<_, _>>(),
            "firingAlarms": self.ecs.firing_alarms(),
            "lambdaFunctions": self.ecs.lambdas.iter().map(|(n, r)| (n.clone(), json!(r.as_str()))).collect::<serde_json::Map<_, _>>(),
        })
    }
}
