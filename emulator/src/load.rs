//! Loading a world: builds the emulated account a world file describes, through the same rules
//! the API applies (a world is refused wherever AWS would refuse the same calls).

use std::path::Path;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::ecr::Ecr;
use crate::ecs::{AlarmState, Ecs, ExternalImage, LambdaResult};
use crate::ids::SplitMix64;
use crate::manifest;
use crate::protocol::{AwsError, RequestContext};
use crate::state::State;
use crate::world::{ExternalImageSpec, World, WorldError};

impl World {
    /// Reads and validates a world file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<World, WorldError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| WorldError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        World::from_json(&text)
    }

    /// Parses and validates a world from JSON text.
    pub fn from_json(text: &str) -> Result<World, WorldError> {
        let world: World = serde_json::from_str(text)?;
        world.validate()?;
        Ok(world)
    }

    /// Checks that the world can be loaded (builds it once and throws the result away).
    pub fn validate(&self) -> Result<(), WorldError> {
        State::load(self, 0).map(|_| ())
    }
}

fn invalid(what: &str, e: AwsError) -> WorldError {
    WorldError::Invalid(format!("{what}: {}", e.message))
}

/// A world-file enum value (`"ALARM"`, `"FAILED"`) as the emulator's type; `what` names it in
/// the error.
fn world_enum<T: DeserializeOwned>(value: &str, what: &str) -> Result<T, WorldError> {
    serde_json::from_value(Value::String(value.to_string()))
        .map_err(|e| WorldError::Invalid(format!("{what}: {e}")))
}

fn external_image(s: &ExternalImageSpec) -> ExternalImage {
    ExternalImage {
        image: s.image.clone(),
        digest: s
            .digest
            .clone()
            .unwrap_or_else(|| manifest::digest_of(s.image.as_bytes())),
        healthy: s.healthy,
        alarms: s.triggers_alarms.clone(),
    }
}

impl State {
    /// Builds the state a world describes. `now_ms` is the emulated time when the world has no
    /// `startTime`.
    pub fn load(world: &World, now_ms: i64) -> Result<State, WorldError> {
        let base = world.start_time.map_or(now_ms, |s| (s * 1000.0) as i64);
        let ctx = RequestContext {
            region: world.region.clone(),
            account: world.account_id.clone(),
            endpoint: None,
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
            ecs_records: Default::default(),
            logs: Default::default(),
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
            // Generated images name blobs that were never uploaded: no layer check here.
            state.ecr.repositories[index].check_layers = false;
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
                // World-only traits of the image: tasks running it trip these alarms.
                let alarms = image.triggers_alarms.clone();
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
                if let Some(stored) = state.ecr.repositories[index]
                    .images
                    .iter_mut()
                    .find(|i| i.digest == digest)
                {
                    stored.alarms = alarms;
                }
            }
        }
        state.ecs.external = world.external_images.iter().map(external_image).collect();
        for alarm in &world.alarms {
            let what = format!("alarm '{}': state", alarm.alarm_name);
            let parsed: AlarmState = world_enum(&alarm.state, &what)?;
            state.ecs.alarms.insert(alarm.alarm_name.clone(), parsed);
        }
        for function in &world.lambda_functions {
            let what = format!("lambda function '{}': result", function.function_arn);
            let result: LambdaResult = world_enum(&function.result, &what)?;
            let arn = function.function_arn.clone();
            state.ecs.lambdas.insert(arn, result);
        }
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
}
