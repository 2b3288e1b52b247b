//! The service scheduler: what happens to deployments and tasks on each clock step.
//!
//! One step, per service, in this order (deterministic: no wall clock, no randomness besides ids):
//! 1. transitions decided on the previous step happen: PENDING tasks become RUNNING (or STOPPED
//!    with `TaskFailedToStart` when their image cannot start), draining tasks become STOPPED;
//! 2. non-PRIMARY deployments without unstopped tasks become INACTIVE and leave the list;
//! 3. the circuit breaker trips when the PRIMARY has failed `threshold` task starts without ever
//!    running one; with rollback, a new PRIMARY of the last COMPLETED deployment starts;
//! 4. the PRIMARY launches tasks up to `desiredCount` within `maximumPercent`, and old tasks are
//!    told to stop while at least `minimumHealthyPercent` stay RUNNING;
//! 5. the PRIMARY becomes COMPLETED when it is alone and runs exactly `desiredCount` tasks.

use crate::ids::SplitMix64;

use super::model::{
    Cluster, Deployment, DeploymentStatus, RolloutState, Service, Snapshot, Task, TaskStatus,
    deployment_counts,
};

/// How long stopped tasks stay describable (ECS: "at least one hour").
const STOPPED_RETENTION_MS: i64 = 3_600_000;

/// ECS's failed-task threshold for the deployment circuit breaker.
pub fn failure_threshold(desired: i64) -> i64 {
    ((desired + 1) / 2).clamp(3, 200)
}

fn launch(
    service: &Service,
    d: &Deployment,
    now_ms: i64,
    ids: &mut SplitMix64,
    running: bool,
) -> Task {
    let id = ids.task_id();
    let container_ids = d.containers.iter().map(|_| ids.uuid()).collect();
    Task {
        id,
        service: service.name.clone(),
        deployment: d.id.clone(),
        task_definition: d.task_definition.clone(),
        containers: d.containers.clone(),
        container_ids,
        last: if running {
            TaskStatus::Running
        } else {
            TaskStatus::Pending
        },
        desired: TaskStatus::Running,
        created_ms: now_ms,
        started_ms: running.then_some(now_ms),
        stopping_ms: None,
        stopped_ms: None,
        stop_code: None,
        stopped_reason: None,
        version: 1,
        launch_type: service.launch_type.clone(),
        cpu: d.cpu.clone(),
        memory: d.memory.clone(),
        failure: d.containers.iter().find_map(|c| c.failure.clone()),
    }
}

fn snapshot(d: &Deployment) -> Snapshot {
    Snapshot {
        deployment_id: d.id.clone(),
        task_definition: d.task_definition.clone(),
        containers: d.containers.clone(),
        cpu: d.cpu.clone(),
        memory: d.memory.clone(),
    }
}

fn complete(service: &mut Service, now_ms: i64, ids: &mut SplitMix64) {
    let Some(p) = service.deployments.first_mut() else {
        return;
    };
    p.rollout = RolloutState::Completed;
    p.reason = format!("ECS deployment {} completed.", p.id);
    p.updated_ms = now_ms;
    let snap = snapshot(p);
    let id = p.id.clone();
    service.last_completed = Some(snap);
    let name = service.name.clone();
    service.event(
        ids,
        now_ms,
        format!("(service {name}) ({id}) deployment completed."),
    );
    service.event(
        ids,
        now_ms,
        format!("(service {name}) has reached a steady state."),
    );
}

/// Brings a just-created service straight to steady state (world loading): its PRIMARY runs
/// `desiredCount` tasks and is COMPLETED. A deployment whose images cannot start is left to the
/// clock, like any other.
pub fn settle(cluster: &mut Cluster, service_index: usize, now_ms: i64, ids: &mut SplitMix64) {
    let service = &mut cluster.services[service_index];
    let Some(primary) = service.deployments.first_mut() else {
        return;
    };
    if primary.containers.iter().any(|c| c.failure.is_some()) {
        return;
    }
    primary.had_running = true;
    let primary = primary.clone();
    for _ in 0..service.desired_count {
        let task = launch(service, &primary, now_ms, ids, true);
        cluster.tasks.push(task);
    }
    complete(service, now_ms, ids);
}

fn stop(task: &mut Task, primary_id: &str, now_ms: i64) {
    task.desired = TaskStatus::Stopped;
    task.stopping_ms = Some(now_ms);
    task.stop_code = Some("ServiceSchedulerInitiated".to_string());
    task.stopped_reason = Some(format!(
        "Scaling activity initiated by (deployment {primary_id})"
    ));
    task.version += 1;
}

fn task_list(ids: &[String]) -> String {
    ids.iter()
        .map(|t| format!("(task {t})"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One scheduler step for every service of the cluster.
pub fn step(cluster: &mut Cluster, now_ms: i64, ids: &mut SplitMix64) {
    cluster.tasks.retain(|t| {
        !(t.last == TaskStatus::Stopped
            && t.stopped_ms
                .is_some_and(|s| s < now_ms - STOPPED_RETENTION_MS))
    });
    let Cluster {
        services, tasks, ..
    } = cluster;
    for service in services.iter_mut() {
        step_service(service, tasks, now_ms, ids);
    }
}

fn step_service(service: &mut Service, tasks: &mut Vec<Task>, now_ms: i64, ids: &mut SplitMix64) {
    transitions(service, tasks, now_ms);
    retire_drained(service, tasks, now_ms);
    circuit_breaker(service, now_ms, ids);
    schedule(service, tasks, now_ms, ids);
    let Some(p) = service.deployments.first() else {
        return;
    };
    if p.rollout == RolloutState::InProgress && service.deployments.len() == 1 {
        let (running, pending) = deployment_counts(tasks, &service.name, &p.id);
        let draining = tasks.iter().any(|t| {
            t.service == service.name
                && t.desired == TaskStatus::Stopped
                && t.last != TaskStatus::Stopped
        });
        if running == service.desired_count && pending == 0 && !draining {
            complete(service, now_ms, ids);
        }
    }
}

fn transitions(service: &mut Service, tasks: &mut [Task], now_ms: i64) {
    for t in tasks.iter_mut().filter(|t| t.service == service.name) {
        match (t.last, t.desired) {
            (TaskStatus::Pending, TaskStatus::Running) => {
                let deployment = service
                    .deployments
                    .iter_mut()
                    .find(|d| d.id == t.deployment);
                if let Some(reason) = t.failure.clone() {
                    t.last = TaskStatus::Stopped;
                    t.desired = TaskStatus::Stopped;
                    t.stopping_ms = Some(now_ms);
                    t.stopped_ms = Some(now_ms);
                    t.stop_code = Some("TaskFailedToStart".to_string());
                    t.stopped_reason = Some(reason);
                    t.version += 1;
                    if let Some(d) = deployment {
                        // ECS stops counting failures once a deployment has run a task.
                        if !d.had_running {
                            d.failed_tasks += 1;
                            d.updated_ms = now_ms;
                        }
                    }
                } else {
                    t.last = TaskStatus::Running;
                    t.started_ms = Some(now_ms);
                    t.version += 1;
                    if let Some(d) = deployment
                        && !d.had_running
                    {
                        d.had_running = true;
                        d.failed_tasks = 0;
                        d.updated_ms = now_ms;
                    }
                }
            }
            (TaskStatus::Pending | TaskStatus::Running, TaskStatus::Stopped) => {
                t.last = TaskStatus::Stopped;
                t.stopped_ms = Some(now_ms);
                t.version += 1;
            }
            _ => {}
        }
    }
}

fn retire_drained(service: &mut Service, tasks: &[Task], now_ms: i64) {
    let mut index = 1;
    while index < service.deployments.len() {
        let id = service.deployments[index].id.clone();
        let has_tasks = tasks.iter().any(|t| {
            t.service == service.name && t.deployment == id && t.last != TaskStatus::Stopped
        });
        if has_tasks {
            index += 1;
        } else {
            let mut d = service.deployments.remove(index);
            d.status = DeploymentStatus::Inactive;
            d.updated_ms = now_ms;
            service.retired.push(d);
        }
    }
}

fn circuit_breaker(service: &mut Service, now_ms: i64, ids: &mut SplitMix64) {
    let threshold = failure_threshold(service.desired_count);
    let enabled = service.config.circuit_breaker;
    let rollback = service.config.rollback;
    let name = service.name.clone();
    let target = service.last_completed.clone();
    let Some(p) = service.deployments.first_mut() else {
        return;
    };
    if !(enabled
        && p.rollout == RolloutState::InProgress
        && !p.had_running
        && p.failed_tasks >= threshold)
    {
        return;
    }
    p.rollout = RolloutState::Failed;
    p.reason = "ECS deployment circuit breaker: tasks failed to start.".to_string();
    p.updated_ms = now_ms;
    let failed_id = p.id.clone();
    service.event(
        ids,
        now_ms,
        format!("(service {name}) ({failed_id}) deployment failed: tasks failed to start."),
    );
    let Some(target) = target.filter(|t| rollback && t.deployment_id != failed_id) else {
        return;
    };
    if let Some(p) = service.deployments.first_mut() {
        p.status = DeploymentStatus::Active;
    }
    let id = ids.deployment_id();
    service.deployments.insert(
        0,
        Deployment {
            id: id.clone(),
            status: DeploymentStatus::Primary,
            task_definition: target.task_definition.clone(),
            containers: target.containers.clone(),
            cpu: target.cpu.clone(),
            memory: target.memory.clone(),
            desired_count: service.desired_count,
            failed_tasks: 0,
            rollout: RolloutState::InProgress,
            reason: format!(
                "ECS deployment circuit breaker: rolling back to deploymentId {}.",
                target.deployment_id
            ),
            created_ms: now_ms,
            updated_ms: now_ms,
            had_running: false,
        },
    );
    service.task_definition = target.task_definition;
    service.event(
        ids,
        now_ms,
        format!(
            "(service {name}) rolling back to deployment {} ({id}).",
            target.deployment_id
        ),
    );
}

fn schedule(service: &mut Service, tasks: &mut Vec<Task>, now_ms: i64, ids: &mut SplitMix64) {
    let Some(primary) = service.deployments.first().cloned() else {
        return;
    };
    if primary.rollout == RolloutState::Failed {
        // A failed deployment launches nothing; without rollback the old tasks keep running.
        return;
    }
    let desired = service.desired_count;
    let mut stopped = Vec::new();

    // Scale-in of the PRIMARY itself (desired count lowered): pending tasks first, newest first.
    let mut primary_live: Vec<usize> = (0..tasks.len())
        .filter(|&i| {
            tasks[i].service == service.name
                && tasks[i].deployment == primary.id
                && tasks[i].is_live()
        })
        .collect();
    primary_live.sort_by_key(|&i| (tasks[i].last == TaskStatus::Running, std::cmp::Reverse(i)));
    while primary_live.len() as i64 > desired {
        let i = primary_live.remove(0);
        stop(&mut tasks[i], &primary.id, now_ms);
        stopped.push(tasks[i].id.clone());
    }

    // Launch within maximumPercent; tasks still draining occupy capacity until they stop.
    let occupying = tasks
        .iter()
        .filter(|t| t.service == service.name && t.last != TaskStatus::Stopped)
        .count() as i64;
    let max_total = desired * service.config.maximum_percent / 100;
    let need = desired - primary_live.len() as i64;
    let room = (max_total - occupying).max(0);
    let mut started = Vec::new();
    for _ in 0..need.min(room).max(0) {
        let task = launch(service, &primary, now_ms, ids, false);
        started.push(task.id.clone());
        tasks.push(task);
    }

    // Stop old deployments' tasks while minimumHealthyPercent stays RUNNING.
    let min_healthy = (desired * service.config.minimum_healthy_percent + 99) / 100;
    let healthy = tasks
        .iter()
        .filter(|t| t.service == service.name && t.is_live() && t.last == TaskStatus::Running)
        .count() as i64;
    // Position in the list: higher is older.
    let age = |deployment: &str| {
        service
            .deployments
            .iter()
            .position(|d| d.id == deployment)
            .unwrap_or(0)
    };
    let mut old: Vec<usize> = (0..tasks.len())
        .filter(|&i| {
            tasks[i].service == service.name
                && tasks[i].deployment != primary.id
                && tasks[i].is_live()
        })
        .collect();
    // Pending tasks first (they serve nothing), then the oldest deployments, then launch order.
    old.sort_by_key(|&i| {
        (
            tasks[i].last == TaskStatus::Running,
            std::cmp::Reverse(age(&tasks[i].deployment)),
            i,
        )
    });
    let mut can_stop = (healthy - min_healthy).max(0);
    let mut stopped_running = Vec::new();
    for i in old {
        if tasks[i].last == TaskStatus::Pending {
            stop(&mut tasks[i], &primary.id, now_ms);
            stopped.push(tasks[i].id.clone());
        } else if can_stop > 0 {
            stop(&mut tasks[i], &primary.id, now_ms);
            stopped_running.push(tasks[i].id.clone());
            can_stop -= 1;
        }
    }
    let name = service.name.clone();
    if !started.is_empty() {
        service.event(
            ids,
            now_ms,
            format!(
                "(service {name}) has started {} tasks: {}.",
                started.len(),
                task_list(&started)
            ),
        );
    }
    stopped_running.extend(stopped);
    if !stopped_running.is_empty() {
        service.event(
            ids,
            now_ms,
            format!(
                "(service {name}) has stopped {} running tasks: {}.",
                stopped_running.len(),
                task_list(&stopped_running)
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_matches_ecs() {
        assert_eq!(failure_threshold(1), 3);
        assert_eq!(failure_threshold(2), 3);
        assert_eq!(failure_threshold(7), 4);
        assert_eq!(failure_threshold(10), 5);
        assert_eq!(failure_threshold(1000), 200);
    }
}
