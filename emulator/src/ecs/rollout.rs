//! The service scheduler: what happens to tasks on each clock step.
//!
//! One step, per service, in this order (deterministic: no wall clock, no randomness besides ids):
//! 1. transitions decided on the previous step happen: PENDING tasks become RUNNING (or STOPPED
//!    with `TaskFailedToStart` when their image cannot start), draining tasks become STOPPED;
//! 2. non-PRIMARY deployments without unstopped tasks become INACTIVE and leave the list;
//! 3. the service deployment moves along its strategy ([`super::lifecycle`]): hooks, monitors
//!    (circuit breaker, alarms), traffic shifts, bake times, rollbacks, completion. It says how
//!    the scheduler treats the tasks in this step ([`Mode`]);
//! 4. tasks are launched and stopped: rolling within `maximumPercent` and
//!    `minimumHealthyPercent`, or blue/green (the PRIMARY grows beside the others, then the
//!    others stop).

use crate::ids::SplitMix64;

use super::deployment::Deployment;
use super::externals::Outside;
use super::lifecycle::{self, Mode};
use super::model::{Cluster, Service};
use super::task::{Task, TaskStatus};

/// How long stopped tasks stay describable (ECS: "at least one hour").
const STOPPED_RETENTION_MS: i64 = 3_600_000;

fn launch(
    service: &Service,
    d: &Deployment,
    now_ms: i64,
    ids: &mut SplitMix64,
    running: bool,
) -> Task {
    let id = ids.task_id();
    let containers = &d.revision.containers;
    let container_ids = containers.iter().map(|_| ids.uuid()).collect();
    Task {
        id,
        service: service.name.clone(),
        deployment: d.id.clone(),
        task_definition: d.revision.task_definition.clone(),
        containers: containers.clone(),
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
        cpu: d.revision.cpu.clone(),
        memory: d.revision.memory.clone(),
        failure: containers.iter().find_map(|c| c.failure.clone()),
    }
}

/// Brings a just-created service straight to steady state (world loading): its PRIMARY runs
/// `desiredCount` tasks and is COMPLETED, and its service deployment SUCCESSFUL. A deployment
/// whose images cannot start is left to the clock, like any other.
pub fn settle(cluster: &mut Cluster, service_index: usize, now_ms: i64, ids: &mut SplitMix64) {
    let service = &mut cluster.services[service_index];
    let Some(primary) = service.deployments.first_mut() else {
        return;
    };
    if primary
        .revision
        .containers
        .iter()
        .any(|c| c.failure.is_some())
    {
        return;
    }
    primary.had_running = true;
    let primary = primary.clone();
    for _ in 0..service.desired_count {
        let task = launch(service, &primary, now_ms, ids, true);
        cluster.tasks.push(task);
    }
    lifecycle::complete(service, now_ms, ids);
    lifecycle::succeed_at_once(service, now_ms);
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
pub fn step(cluster: &mut Cluster, now_ms: i64, ids: &mut SplitMix64, outside: &Outside) {
    cluster.tasks.retain(|t| {
        !(t.last == TaskStatus::Stopped
            && t.stopped_ms
                .is_some_and(|s| s < now_ms - STOPPED_RETENTION_MS))
    });
    let Cluster {
        services, tasks, ..
    } = cluster;
    for service in services.iter_mut() {
        transitions(service, tasks, now_ms);
        retire_drained(service, tasks, now_ms);
        let mode = lifecycle::advance(service, tasks, now_ms, ids, outside);
        schedule(service, tasks, now_ms, ids, mode);
    }
}

fn transitions(service: &mut Service, tasks: &mut [Task], now_ms: i64) {
    let keep_counting = !service.config.circuit_breaker.resets_on_healthy_task();
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
                        // ECS stops counting failures once a deployment has run a task, unless
                        // the circuit breaker says not to reset on a healthy task.
                        if !d.had_running || keep_counting {
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
                        if !keep_counting {
                            d.failed_tasks = 0;
                        }
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
            d.status = super::deployment::DeploymentStatus::Inactive;
            d.updated_ms = now_ms;
            service.retired.push(d);
        }
    }
}

/// Indices of the service's live tasks (desired RUNNING, not stopped) that belong (or not) to
/// `deployment`.
fn live(tasks: &[Task], service: &str, deployment: &str, of_it: bool) -> Vec<usize> {
    (0..tasks.len())
        .filter(|&i| {
            tasks[i].service == service
                && (tasks[i].deployment == deployment) == of_it
                && tasks[i].is_live()
        })
        .collect()
}

fn schedule(
    service: &mut Service,
    tasks: &mut Vec<Task>,
    now_ms: i64,
    ids: &mut SplitMix64,
    mode: Mode,
) {
    let Some(primary) = service.deployments.first().cloned() else {
        return;
    };
    let (started, stopped) = match mode {
        Mode::Hold => return,
        Mode::Rolling => {
            if primary.rollout == super::deployment::RolloutState::Failed {
                // A failed deployment launches nothing; without rollback the old tasks keep
                // running.
                return;
            }
            rolling(service, &primary, tasks, now_ms, ids)
        }
        Mode::Beside | Mode::Replace => {
            blue_green(service, &primary, tasks, now_ms, ids, mode == Mode::Replace)
        }
    };
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
    if !stopped.is_empty() {
        service.event(
            ids,
            now_ms,
            format!(
                "(service {name}) has stopped {} running tasks: {}.",
                stopped.len(),
                task_list(&stopped)
            ),
        );
    }
}

/// Stops the PRIMARY's tasks beyond the desired count (pending first, newest first). Returns the
/// live tasks left and the ids stopped.
fn scale_in(
    service: &Service,
    primary: &Deployment,
    tasks: &mut [Task],
    now_ms: i64,
) -> (Vec<usize>, Vec<String>) {
    let mut own = live(tasks, &service.name, &primary.id, true);
    own.sort_by_key(|&i| (tasks[i].last == TaskStatus::Running, std::cmp::Reverse(i)));
    let mut stopped = Vec::new();
    while own.len() as i64 > service.desired_count {
        let i = own.remove(0);
        stop(&mut tasks[i], &primary.id, now_ms);
        stopped.push(tasks[i].id.clone());
    }
    (own, stopped)
}

/// The rolling scheduler. Returns the ids of the tasks started and stopped.
fn rolling(
    service: &Service,
    primary: &Deployment,
    tasks: &mut Vec<Task>,
    now_ms: i64,
    ids: &mut SplitMix64,
) -> (Vec<String>, Vec<String>) {
    let desired = service.desired_count;
    let (primary_live, mut stopped) = scale_in(service, primary, tasks, now_ms);

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
        let task = launch(service, primary, now_ms, ids, false);
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
    let mut old = live(tasks, &service.name, &primary.id, false);
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
    stopped_running.extend(stopped);
    (started, stopped_running)
}

/// The blue/green scheduler: the PRIMARY grows to its desired count regardless of
/// `maximumPercent` (green runs beside blue); with `replace`, every other task stops.
fn blue_green(
    service: &Service,
    primary: &Deployment,
    tasks: &mut Vec<Task>,
    now_ms: i64,
    ids: &mut SplitMix64,
    replace: bool,
) -> (Vec<String>, Vec<String>) {
    let (primary_live, mut stopped) = scale_in(service, primary, tasks, now_ms);
    let need = service.desired_count - primary_live.len() as i64;
    let mut started = Vec::new();
    for _ in 0..need.max(0) {
        let task = launch(service, primary, now_ms, ids, false);
        started.push(task.id.clone());
        tasks.push(task);
    }
    if replace {
        for i in live(tasks, &service.name, &primary.id, false) {
            stop(&mut tasks[i], &primary.id, now_ms);
            stopped.push(tasks[i].id.clone());
        }
    }
    (started, stopped)
}
