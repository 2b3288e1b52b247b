//! The emulated account: ECR + ECS + the emulated time and id generator, loaded from a world.

use serde_json::{Value, json};

use crate::ecr::Ecr;
use crate::ecs::{Ecs, ExternalImage, TaskStatus, deployment_counts};
use crate::ids::SplitMix64;
use crate::manifest;
use crate::protocol::{AwsError, AwsService, RequestContext, ts};
use crate::world::{World, WorldError};

/// Everything the AWS operations read and change.
#[derive(Clone, Debug)]
pub struct State {
    /// Account id of the world.
    pub account: String,
    /// Default region of the world.
    pub region: String,
    /// Emulated time, epoch milliseconds.
    pub now_ms: i64,
    /// Clock steps taken since load.
    pub steps: u64,
    /// Id generator (deterministic given the world and the calls).
    pub ids: SplitMix64,
    /// ECR.
    pub ecr: Ecr,
    /// ECS.
    pub ecs: Ecs,
}

fn invalid(what: &str, e: AwsError) -> WorldError {
    WorldError::Invalid(format!("{what}: {}", e.message))
}

impl State {
    /// Builds the state a world describes. `now_ms` is the emulated time when the world has no
    /// `startTime`.
    pub fn load(world: &World, now_ms: i64) -> Result<State, WorldError> {
        let base = world.start_time.map_or(now_ms, |s| (s * 1000.0) as i64);
        let ctx = RequestContext {
            region: world.region.clone(),
            account: world.account_id.clone(),
        };
        if world.account_id.len() != 12 || !world.account_id.chars().all(|c| c.is_ascii_digit()) {
            return Err(WorldError::Invalid(format!(
                "accountId '{}' must be 12 digits",
                world.account_id
            )));
        }
        let mut state = State {
            account: world.account_id.clone(),
            region: world.region.clone(),
            now_ms: base,
            steps: 0,
            ids: SplitMix64::new(world.seed),
            ecr: Ecr::default(),
            ecs: Ecs::default(),
        };
        let total_images: usize = world.repositories.iter().map(|r| r.images.len()).sum();
        let mut pushed = 0usize;
        for repo in &world.repositories {
            let what = format!("repository '{}'", repo.name);
            let index = state
                .ecr
                .create_repository(
                    &repo.name,
                    repo.image_tag_mutability.as_deref(),
                    &repo.image_tag_mutability_exclusion_filters,
                    &ctx,
                    base - 86_400_000,
                )
                .map_err(|e| invalid(&what, e))?;
            for (n, image) in repo.images.iter().enumerate() {
                let what = format!("repository '{}' image #{n}", repo.name);
                let pushed_ms = image
                    .pushed_at
                    .map_or(base - ((total_images - pushed) as i64) * 60_000, |s| {
                        (s * 1000.0) as i64
                    });
                pushed += 1;
                let (text, media_type, children) = match (&image.manifest, &image.generate) {
                    (Some(Value::String(s)), _) => {
                        (s.clone(), image.media_type.clone(), Vec::new())
                    }
                    (Some(other), _) => (other.to_string(), image.media_type.clone(), Vec::new()),
                    (None, generate) => {
                        let g = generate.clone().unwrap_or_default();
                        let seed = g.seed.clone().unwrap_or_else(|| {
                            format!(
                                "{}:{}",
                                repo.name,
                                image.tags.first().cloned().unwrap_or_else(|| n.to_string())
                            )
                        });
                        let index = g.index.unwrap_or(g.platforms.len() > 1);
                        let generated = manifest::generate(
                            &seed,
                            g.format,
                            &g.platforms,
                            index,
                            g.layers.unwrap_or(2),
                        );
                        (
                            generated.manifest,
                            Some(generated.media_type),
                            generated.children,
                        )
                    }
                };
                for (child, child_type) in children {
                    let exists = state.ecr.repositories[index]
                        .by_digest(&manifest::digest_of(child.as_bytes()))
                        .is_some();
                    if !exists {
                        state
                            .ecr
                            .put_image(
                                index,
                                &child,
                                Some(&child_type),
                                None,
                                None,
                                pushed_ms,
                                true,
                                &ctx,
                            )
                            .map_err(|e| invalid(&what, e))?;
                    }
                }
                let digest = manifest::digest_of(text.as_bytes());
                let mut tags: Vec<Option<&str>> =
                    image.tags.iter().map(|t| Some(t.as_str())).collect();
                if tags.is_empty() {
                    tags.push(None);
                }
                for tag in tags {
                    let exists = state.ecr.repositories[index].by_digest(&digest).is_some();
                    if tag.is_none() && exists {
                        continue;
                    }
                    state
                        .ecr
                        .put_image(
                            index,
                            &text,
                            media_type.as_deref(),
                            tag,
                            None,
                            pushed_ms,
                            image.healthy,
                            &ctx,
                        )
                        .map_err(|e| invalid(&what, e))?;
                }
            }
        }
        state.ecs.external = world
            .external_images
            .iter()
            .map(ExternalImage::from)
            .collect();
        for cluster in &world.clusters {
            state
                .ecs
                .create_cluster(&cluster.name)
                .map_err(|e| invalid(&format!("cluster '{}'", cluster.name), e))?;
        }
        for (n, td) in world.task_definitions.iter().enumerate() {
            let what = format!("taskDefinitions[{n}]");
            let Value::Object(body) = td else {
                return Err(WorldError::Invalid(format!("{what}: must be an object")));
            };
            state
                .ecs
                .register_task_definition(body.clone(), base)
                .map_err(|e| invalid(&what, e))?;
        }
        for (n, service) in world.services.iter().enumerate() {
            let what = format!("services[{n}]");
            state
                .ecs
                .create_steady_service(service, base, &state.ecr, &mut state.ids, &state.account)
                .map_err(|e| invalid(&what, e))?;
        }
        Ok(state)
    }

    /// Serves one AWS operation.
    pub fn call(
        &mut self,
        service: AwsService,
        operation: &str,
        body: &[u8],
        ctx: &RequestContext,
    ) -> Result<Value, AwsError> {
        let now = self.now_ms;
        let result = match service {
            AwsService::Ecr => self.ecr.call(operation, body, ctx, now),
            AwsService::Ecs => self
                .ecs
                .call(operation, body, ctx, now, &self.ecr, &mut self.ids),
            AwsService::Unknown => None,
        };
        result.unwrap_or_else(|| {
            Err(AwsError::client(
                "UnknownOperationException",
                format!("Unknown operation {operation}"),
            ))
        })
    }

    /// One rollout step for every service.
    pub fn step(&mut self) {
        self.steps += 1;
        for cluster in &mut self.ecs.clusters {
            crate::rollout::step(cluster, self.now_ms, &mut self.ids);
        }
    }

    /// A JSON view for tests and debugging (`GET /_emulator/state`).
    pub fn dump(&self) -> Value {
        let ctx = RequestContext {
            region: self.region.clone(),
            account: self.account.clone(),
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
                        let deployment = |d: &crate::ecs::Deployment| {
                            let (running, pending) = deployment_counts(c, &s.name, &d.id);
                            json!({
                                "id": d.id,
                                "status": d.status.as_str(),
                                "rolloutState": d.rollout.as_str(),
                                "taskDefinition": d.task_definition.arn(&ctx),
                                "images": d.containers.iter().map(|x| json!({"name": x.name, "image": x.image, "digest": x.digest, "failure": x.failure})).collect::<Vec<_>>(),
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
        })
    }
}
