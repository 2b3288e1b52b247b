//! `resource "tagdeploy_prod_tag"`: "in repository R, environment tag T points at the image of
//! release X, and services S run it".
//!
//! - plan resolves the release to a digest and shows the tag moving (`image_digest`,
//!   `previous_digest`), and refuses, with the attribute at fault, a missing repository, release,
//!   cluster or service, or an immutable environment tag;
//! - apply runs [`crate::aws::promote`]: retag by digest, redeploy, wait, roll back on failure,
//!   and always records where the tag really points;
//! - read refreshes where the tag points, so a tag moved outside Terraform shows in the plan;
//! - delete forgets the resource and leaves ECR and ECS as they are.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::aws::ecr::{Ecr, ImageDetails};
use crate::aws::ecs::{Ecs, WaitOptions};
use crate::aws::error::EcrError;
use crate::aws::image::{Digest, ImageSelector, RepositoryRef};
use crate::aws::promote::{self, Outcome, Promotion, PromotionError};
use crate::aws::uri::{is_valid_repository, is_valid_tag};
use crate::provider::ProviderData;
use crate::resources::errors::{self, Attributes};
use crate::resources::timeouts;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::{ApplyError, Change, Ctx, Plan, Resource};
use crate::tfplugin::log;
use crate::tfplugin::schema::{Attribute, Presence, Schema, validators};
use crate::tfplugin::value::{Type, Value};

/// The default for `timeouts.create` and `timeouts.update`.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Where each kind of error points in this resource's configuration.
const ATTRIBUTES: Attributes = Attributes {
    repository: "repository",
    tag: "release_tag",
    digest: "image_digest",
    cluster: "cluster",
    services: "services",
};

/// The resource type.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProdTag;

impl Resource for ProdTag {
    type Data = ProviderData;

    fn type_name(&self) -> &'static str {
        "tagdeploy_prod_tag"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let release = config.attr("release_tag");
        let digest = config.attr("image_digest");
        if release.is_null() && digest.is_null() {
            diags.push(
                Diagnostic::error(
                    "Missing Release",
                    "Set release_tag (the release hash tag to promote) or image_digest (a digest to pin); one of them is required.",
                )
                .at(AttributePath::attr("release_tag")),
            );
        }
        if !release.is_null() && !digest.is_null() {
            diags.push(
                Diagnostic::error(
                    "Conflicting Release",
                    "Set only one of release_tag and image_digest: image_digest is computed from release_tag when release_tag is set.",
                )
                .at(AttributePath::attr("image_digest")),
            );
        }
        if let (Some(tag), Some(release)) = (config.attr("tag").as_str(), release.as_str())
            && tag == release
        {
            diags.push(
                Diagnostic::error(
                    "Invalid Environment Tag",
                    format!("tag and release_tag are both {tag:?}: the environment tag must be a different tag from the release it points at."),
                )
                .at(AttributePath::attr("tag")),
            );
        }
        diags
    }

    async fn plan(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        plan: &mut Plan,
    ) -> Result<(), Diagnostics> {
        let planned = plan.planned().clone();
        let Some(target) = Target::from_value(&planned) else {
            // Something the plan depends on is known only after apply.
            for name in [
                "image_digest",
                "previous_digest",
                "image_tags",
                "image_uri",
                "deployments",
                "promoted_at",
            ] {
                if !(name == "image_digest"
                    && planned.attr(name).is_wholly_known()
                    && !planned.attr(name).is_null())
                {
                    plan.set(name, Value::Unknown);
                }
            }
            plan.set("id", id_value(&planned));
            return Ok(());
        };
        let clients = ctx.data().clients()?;
        let ecr = Ecr::new(clients.ecr.clone());
        let prior = plan.prior().clone();

        // Where the tag points now: the refreshed state knows it; on create, ask ECR (in the same
        // DescribeImages call as the release).
        let env = ImageSelector::Tag(target.tag.clone());
        let (release, current) = if prior.is_null() {
            let mut found = ecr
                .images(&target.repository, &[target.release.clone(), env])
                .await
                .map_err(|e| errors::ecr("Resolve Release Error", &e, ATTRIBUTES))?;
            let current = found.pop().flatten().map(|d| d.digest);
            (found.pop().flatten(), current)
        } else {
            let found = ecr
                .images(&target.repository, std::slice::from_ref(&target.release))
                .await
                .map_err(|e| errors::ecr("Resolve Release Error", &e, ATTRIBUTES))?;
            let current = prior
                .attr("image_digest")
                .as_str()
                .and_then(|d| Digest::parse(d).ok());
            (found.into_iter().next().flatten(), current)
        };
        let release = release.ok_or_else(|| missing_release(&target))?;

        let moves = current.as_ref() != Some(&release.digest);
        let changing = moves
            || plan.is_create()
            || plan.planned() != &prior
            || triggers_changed(&prior, &planned)
            || rollout_unfinished(&prior, &planned);
        if changing {
            let repository = validate_targets(
                ctx.data(),
                &ecr,
                &target,
                current.as_ref(),
                &release.digest,
                moves,
            )
            .await?;
            // Hand the repository URI to apply, which builds image_uri from it: this saves
            // apply the DescribeRepositories call this plan has just made.
            ctx.set_private(PlannedPrivate::for_target(&target, repository.uri).encode());
        }

        plan.set("id", id_value(&planned));
        plan.set("image_digest", Value::string(release.digest.as_str()));
        let previous = if moves {
            current
                .as_ref()
                .map(|d| Value::string(d.as_str()))
                .unwrap_or(Value::Null)
        } else {
            prior.attr("previous_digest").clone()
        };
        plan.set("previous_digest", previous);
        plan.set("image_tags", tags_after(&release, &target.tag));
        let uri = match prior.attr("image_uri").as_str() {
            Some(prior_uri) if !moves => Value::string(prior_uri),
            _ if changing => Value::Unknown,
            _ => Value::Null,
        };
        plan.set("image_uri", uri);
        if changing {
            plan.set("deployments", Value::Unknown);
            plan.set("promoted_at", Value::Unknown);
        } else {
            plan.set("deployments", prior.attr("deployments").clone());
            plan.set("promoted_at", prior.attr("promoted_at").clone());
        }
        Ok(())
    }

    fn plan_destroy(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        prior: &Value,
    ) -> Result<(), Diagnostics> {
        let tag = prior.attr("tag").as_str().unwrap_or("prod");
        let repository = prior.attr("repository").as_str().unwrap_or_default();
        ctx.warn(Diagnostic::warning(
            "Destroy Leaves the Tag in Place",
            format!(
                "Destroying this resource only removes it from Terraform state: tag {tag:?} stays where it is in repository {repository:?} and the services keep running. Removing the tag would break the next task launch."
            ),
        ));
        Ok(())
    }

    async fn create(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        change: Change<'_>,
    ) -> Result<Value, ApplyError> {
        self.promote(ctx, change, "create").await
    }

    async fn update(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        change: Change<'_>,
    ) -> Result<Value, ApplyError> {
        self.promote(ctx, change, "update").await
    }

    async fn read(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        state: &Value,
    ) -> Result<Option<Value>, Diagnostics> {
        let clients = ctx.data().clients()?;
        let ecr = Ecr::new(clients.ecr.clone());
        let repository = repository_ref(state);
        let Some(tag) = state.attr("tag").as_str().map(str::to_owned) else {
            return Ok(Some(state.clone()));
        };
        let found = match ecr
            .images(&repository, &[ImageSelector::Tag(tag.clone())])
            .await
        {
            Ok(found) => found.into_iter().next().flatten(),
            // The repository is gone, and the tag with it.
            Err(EcrError::RepositoryNotFound { .. }) => return Ok(None),
            Err(e) => return Err(errors::ecr("Read Environment Tag Error", &e, ATTRIBUTES).into()),
        };
        let mut next = state.clone();
        let Value::Map(fields) = &mut next else {
            return Ok(Some(next));
        };
        let recorded = state.attr("image_digest").as_str().map(str::to_owned);
        let now = found.as_ref().map(|d| d.digest.to_string());
        if recorded != now {
            // The tag moved outside Terraform (or a promotion was interrupted after the retag):
            // record where it points now, and where it pointed before, for the rollback.
            log::info("environment tag moved outside Terraform", &[("tag", &tag)]);
            fields.insert(
                "previous_digest".to_owned(),
                recorded.map(Value::string).unwrap_or(Value::Null),
            );
            fields.insert(
                "image_digest".to_owned(),
                now.clone().map(Value::string).unwrap_or(Value::Null),
            );
            let uri = match (state.attr("image_uri").as_str(), &now) {
                (Some(uri), Some(digest)) => uri
                    .split_once('@')
                    .map(|(base, _)| Value::string(format!("{base}@{digest}")))
                    .unwrap_or(Value::Null),
                _ => Value::Null,
            };
            fields.insert("image_uri".to_owned(), uri);
        }
        let tags = found
            .map(|d| Value::List(d.tags.into_iter().map(Value::String).collect()))
            .unwrap_or(Value::List(Vec::new()));
        fields.insert("image_tags".to_owned(), tags);
        if fields.get("id").is_none_or(Value::is_null) {
            fields.insert("id".to_owned(), id_value(state));
        }
        Ok(Some(next))
    }

    async fn delete(
        &self,
        _ctx: &mut Ctx<'_, ProviderData>,
        _prior: &Value,
    ) -> Result<(), ApplyError> {
        // Deliberately nothing: a missing environment tag would break the next task launch.
        Ok(())
    }

    async fn import(
        &self,
        _ctx: &mut Ctx<'_, ProviderData>,
        id: &str,
    ) -> Result<Value, Diagnostics> {
        let invalid = || {
            Diagnostics::from(Diagnostic::error(
                "Invalid Import ID",
                format!("Expected <repository>:<tag>, e.g. example:prod; got {id:?}."),
            ))
        };
        let (repository, tag) = id.rsplit_once(':').ok_or_else(invalid)?;
        if !is_valid_repository(repository) || !is_valid_tag(tag) {
            return Err(invalid());
        }
        let mut state = schema().null_object();
        if let Value::Map(fields) = &mut state {
            fields.insert("id".to_owned(), Value::string(id));
            fields.insert("repository".to_owned(), Value::string(repository));
            fields.insert("tag".to_owned(), Value::string(tag));
            fields.insert("wait_for_rollout".to_owned(), Value::Bool(true));
            fields.insert("rollback_on_failure".to_owned(), Value::Bool(true));
            fields.insert("image_tags".to_owned(), Value::List(Vec::new()));
            fields.insert("deployments".to_owned(), Value::List(Vec::new()));
        }
        Ok(state)
    }
}

impl ProdTag {
    /// Create and update: run the promotion the plan described and record the outcome.
    async fn promote(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        change: Change<'_>,
        operation: &str,
    ) -> Result<Value, ApplyError> {
        let planned = change.planned;
        let target = Target::from_value(planned).ok_or_else(|| {
            Diagnostic::error("Incomplete Plan", "The planned values of tagdeploy_prod_tag are not all known at apply; this is a bug in the provider.")
        })?;
        let digest = planned
            .attr("image_digest")
            .as_str()
            .and_then(|d| Digest::parse(d).ok())
            .ok_or_else(|| Diagnostic::error("Incomplete Plan", "The planned image_digest is not known at apply; this is a bug in the provider."))?;
        let previous = planned
            .attr("previous_digest")
            .as_str()
            .and_then(|d| Digest::parse(d).ok());
        let clients = ctx.data().clients()?;
        let ecr = Ecr::new(clients.ecr.clone());
        let ecs = Ecs::new(clients.ecs.clone());
        let wait = planned
            .attr("wait_for_rollout")
            .as_bool()
            .unwrap_or(true)
            .then(|| WaitOptions {
                timeout: timeouts::get(planned, operation, DEFAULT_TIMEOUT),
                poll_interval: Duration::from_millis(250),
                max_poll_interval: Duration::from_secs(5),
                cancel: ctx.cancellation().clone(),
            });
        let promotion = Promotion {
            repository: target.repository.clone(),
            tag: target.tag.clone(),
            target: digest.clone(),
            previous,
            cluster: target.cluster.clone(),
            services: target.services.clone(),
            force_redeploy: triggers_changed(change.prior, planned),
            wait,
            rollback_on_failure: planned
                .attr("rollback_on_failure")
                .as_bool()
                .unwrap_or(true),
        };
        log::info(
            "promoting",
            &[
                ("repository", &promotion.repository.name),
                ("tag", &promotion.tag),
                ("digest", &digest.as_str()),
            ],
        );
        // The image URI: the repository's, with the digest. The plan that led here looked the
        // repository up and left its URI in the planned private state; without it (a plan by an
        // older version), one DescribeRepositories call.
        let repository_uri = match PlannedPrivate::decode(ctx.private()).uri_for(&target) {
            Some(uri) => Some(uri),
            None => ecr.repository(&target.repository).await.ok().map(|r| r.uri),
        };
        // The URI only travels from plan to apply; the state keeps no private data.
        ctx.set_private(Vec::new());
        match promote::promote(&ecr, &ecs, &promotion).await {
            Ok(outcome) => Ok(state_after(
                planned,
                &outcome,
                repository_uri.as_deref(),
                true,
            )),
            Err(failure) => {
                let summary = match failure.error {
                    PromotionError::Retag { .. } => "Retag Image Error",
                    PromotionError::Deploy { .. } | PromotionError::Inspect(_) => {
                        "Redeploy Services Error"
                    }
                    PromotionError::Rollout { .. } => "Rollout Failed",
                };
                let mut diagnostic = Diagnostic::error(summary, failure.to_string());
                if let PromotionError::Retag {
                    source: EcrError::TagImmutable { .. },
                    ..
                } = &failure.error
                {
                    diagnostic = diagnostic.at(AttributePath::attr("tag"));
                }
                let state =
                    state_after(planned, &failure.outcome, repository_uri.as_deref(), false);
                Err(ApplyError::from(diagnostic).with_state(state))
            }
        }
    }
}

/// The configured target of a promotion, when every value it needs is known.
struct Target {
    repository: RepositoryRef,
    tag: String,
    release: ImageSelector,
    cluster: String,
    services: Vec<String>,
}

impl Target {
    fn from_value(value: &Value) -> Option<Target> {
        let known = |name: &str| value.attr(name).as_str().map(str::to_owned);
        let release = match (known("release_tag"), value.attr("image_digest")) {
            (Some(tag), _) if !value.attr("release_tag").is_null() => ImageSelector::Tag(tag),
            (None, digest) if value.attr("release_tag").is_null() => {
                ImageSelector::Digest(Digest::parse(digest.as_str()?).ok()?)
            }
            _ => return None,
        };
        let services = value.attr("services");
        if !services.is_wholly_known() || !value.attr("registry_id").is_wholly_known() {
            return None;
        }
        Some(Target {
            repository: repository_ref(value),
            tag: known("tag")?,
            release,
            cluster: known("cluster")?,
            services: services
                .elements()
                .iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect(),
        })
    }
}

/// What plan hands to apply in the planned private state: the repository URI it looked up,
/// for the repository it looked it up for.
#[derive(Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct PlannedPrivate {
    repository: String,
    registry_id: Option<String>,
    repository_uri: Option<String>,
}

impl PlannedPrivate {
    fn for_target(target: &Target, uri: String) -> Self {
        PlannedPrivate {
            repository: target.repository.name.clone(),
            registry_id: target.repository.registry_id.clone(),
            repository_uri: Some(uri).filter(|u| !u.is_empty()),
        }
    }

    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Anything that is not ours (empty, or written by another version) reads as nothing.
    fn decode(bytes: &[u8]) -> Self {
        serde_json::from_slice(bytes).unwrap_or_default()
    }

    /// The URI, when it was looked up for this target's repository.
    fn uri_for(self, target: &Target) -> Option<String> {
        (self.repository == target.repository.name
            && self.registry_id == target.repository.registry_id)
            .then_some(self.repository_uri)
            .flatten()
    }
}

/// Plan-time checks before anything can move: the tag may be moved (mutability) and the
/// cluster and services exist. Only run when the plan changes something. Returns the
/// repository as DescribeRepositories reported it.
async fn validate_targets(
    data: &ProviderData,
    ecr: &Ecr,
    target: &Target,
    current: Option<&Digest>,
    release: &Digest,
    moves: bool,
) -> Result<crate::aws::ecr::Repository, Diagnostics> {
    let clients = data.clients()?;
    let ecs = Ecs::new(clients.ecs.clone());
    let (repository, services) = tokio::join!(
        ecr.repository(&target.repository),
        ecs.services(&target.cluster, &target.services)
    );
    let repository = repository.map_err(|e| errors::ecr("Repository Error", &e, ATTRIBUTES))?;
    let mut diags = Diagnostics::new();
    // A tag that does not exist yet may be created even when immutable; an existing one cannot move.
    if moves && current.is_some() && repository.mutability.is_immutable(&target.tag) {
        let filters = if repository.mutability.exclusion_filters.is_empty() {
            String::new()
        } else {
            format!(
                " with exclusion filters {}",
                repository.mutability.exclusion_filters.join(", ")
            )
        };
        diags.push(
            Diagnostic::error(
                "Immutable Environment Tag",
                format!(
                    "Tag {:?} is immutable in repository {} (imageTagMutability {}{filters}), so ECR will refuse to move it from {} to {release}. Make the environment tag mutable, e.g. IMMUTABLE_WITH_EXCLUSION with a filter matching {:?}, which keeps release tags immutable.",
                    target.tag,
                    target.repository,
                    repository.mutability.mode,
                    current.map(Digest::as_str).unwrap_or("nothing"),
                    target.tag
                ),
            )
            .at(AttributePath::attr("tag")),
        );
    }
    if let Err(e) = services {
        diags.push(errors::ecs("Service Lookup Error", &e, ATTRIBUTES));
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(repository)
    }
}

fn missing_release(target: &Target) -> Diagnostics {
    let error = match &target.release {
        ImageSelector::Tag(tag) => EcrError::TagNotFound {
            repository: target.repository.clone(),
            tag: tag.clone(),
        },
        ImageSelector::Digest(digest) => EcrError::DigestNotFound {
            repository: target.repository.clone(),
            digest: digest.clone(),
        },
    };
    errors::ecr("Resolve Release Error", &error, ATTRIBUTES).into()
}

fn repository_ref(value: &Value) -> RepositoryRef {
    RepositoryRef {
        name: value
            .attr("repository")
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        registry_id: value.attr("registry_id").as_str().map(str::to_owned),
    }
}

fn id_value(value: &Value) -> Value {
    match (
        value.attr("repository").as_str(),
        value.attr("tag").as_str(),
    ) {
        (Some(repository), Some(tag)) => Value::string(format!("{repository}:{tag}")),
        _ => Value::Unknown,
    }
}

/// Whether the prior state recorded a rollout still in progress (an apply stopped during the
/// wait, e.g. by Ctrl-C) while the configuration asks to wait: the next apply must adopt and
/// wait for it (the promotion does not redeploy a service already rolling out the digest).
fn rollout_unfinished(prior: &Value, planned: &Value) -> bool {
    planned.attr("wait_for_rollout").as_bool().unwrap_or(true)
        && prior
            .attr("deployments")
            .elements()
            .iter()
            .any(|d| d.attr("rollout_state").as_str() == Some("IN_PROGRESS"))
}

/// Whether `triggers` changed since the prior state (any change forces a redeploy).
fn triggers_changed(prior: &Value, planned: &Value) -> bool {
    !prior.is_null() && prior.attr("triggers") != planned.attr("triggers")
}

/// The promoted image's tags once `tag` is on it, sorted.
fn tags_after(image: &ImageDetails, tag: &str) -> Value {
    let mut tags = image.tags.clone();
    if !tags.iter().any(|t| t == tag) {
        tags.push(tag.to_owned());
        tags.sort();
    }
    Value::List(tags.into_iter().map(Value::String).collect())
}

/// The state after a promotion (successful or not): the plan, with where the tag really
/// points, the deployments recorded, and the promotion time.
fn state_after(
    planned: &Value,
    outcome: &Outcome,
    repository_uri: Option<&str>,
    succeeded: bool,
) -> Value {
    let mut state = planned.clone();
    let Value::Map(fields) = &mut state else {
        return state;
    };
    let tag_digest = outcome.tag_digest.as_ref().map(|d| d.to_string());
    if !succeeded {
        // The truth, even when it is not what was planned.
        fields.insert(
            "image_digest".to_owned(),
            tag_digest.clone().map(Value::string).unwrap_or(Value::Null),
        );
    }
    let uri = match (repository_uri, &tag_digest) {
        (Some(base), Some(digest)) => Value::string(format!("{base}@{digest}")),
        _ => Value::Null,
    };
    if fields.get("image_uri").is_none_or(|v| !v.is_wholly_known()) || !succeeded {
        fields.insert("image_uri".to_owned(), uri);
    }
    let deployments = outcome
        .deployments
        .iter()
        .map(|d| {
            Value::object([
                ("service", Value::string(&d.deployment.service)),
                ("service_arn", Value::string(&d.deployment.service_arn)),
                ("deployment_id", Value::string(&d.deployment.deployment_id)),
                ("status", Value::string(&d.status)),
                ("rollout_state", Value::string(&d.rollout_state)),
                ("started", Value::Bool(d.started)),
            ])
        })
        .collect();
    fields.insert("deployments".to_owned(), Value::List(deployments));
    fields.insert("promoted_at".to_owned(), Value::string(now_rfc3339()));
    for value in fields.values_mut() {
        if !value.is_wholly_known() {
            *value = Value::Null;
        }
    }
    state
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn deployment_type() -> Type {
    Type::Object(
        [
            ("service", Type::String),
            ("service_arn", Type::String),
            ("deployment_id", Type::String),
            ("status", Type::String),
            ("rollout_state", Type::String),
            ("started", Type::Bool),
        ]
        .into_iter()
        .map(|(k, t)| (k.to_owned(), t))
        .collect::<BTreeMap<_, _>>(),
    )
}

fn schema() -> Schema {
    let tag_rule = |what: &'static str| {
        validators::matches(what, |s: &str| {
            if is_valid_tag(s) {
                Ok(())
            } else {
                Err(format!("{s:?} is not a valid image tag"))
            }
        })
    };
    Schema::new(0)
        .description("Promotes a release in Amazon ECR and redeploys the Amazon ECS services that run it: moves the environment tag (`tag`, e.g. `prod`) onto the image of the release (`release_tag` or `image_digest`) without re-pushing it, forces a new deployment of each service so new tasks resolve the new digest, waits for the rollouts, and moves the tag back if they fail. `terraform plan` shows the digest the tag moves from and to. Destroying the resource leaves the tag and the services as they are.")
        .attribute(Attribute::string("id", Presence::Computed).description("`<repository>:<tag>`, also the import ID."))
        .attribute(
            Attribute::string("repository", Presence::Required)
                .requires_replace()
                .description("The ECR repository that holds the release images and the environment tag, e.g. `example` or `team/app`.")
                .validate(validators::matches("an ECR repository name (2-256 characters: lowercase letters, digits, and . _ - / between them)", |s: &str| {
                    if is_valid_repository(s) { Ok(()) } else { Err(format!("{s:?} is not one")) }
                })),
        )
        .attribute(
            Attribute::string("registry_id", Presence::Optional)
                .requires_replace()
                .description("The AWS account id of the registry, when the repository is in another account's registry. Defaults to the caller's account.")
                .validate(validators::matches("a 12-digit AWS account id", |s: &str| {
                    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) { Ok(()) } else { Err(format!("{s:?} is not one")) }
                })),
        )
        .attribute(
            Attribute::string("tag", Presence::OptionalComputed)
                .default(Value::string("prod"))
                .requires_replace()
                .description("The environment tag to move onto the release, e.g. `prod` or `stage`. Defaults to `prod`. Must be mutable in the repository.")
                .validate(tag_rule("an image tag (1-128 letters, digits, _ . -, not starting with . or -)")),
        )
        .attribute(
            Attribute::string("release_tag", Presence::Optional)
                .description("The tag of the release to promote, typically the release hash (`hash_2`). Resolved to a digest during plan. Exactly one of `release_tag` and `image_digest` must be set.")
                .validate(tag_rule("an image tag (1-128 letters, digits, _ . -, not starting with . or -)")),
        )
        .attribute(
            Attribute::string("image_digest", Presence::OptionalComputed)
                .description("The digest the environment tag points at. Set it to pin a digest instead of `release_tag`; otherwise it is resolved from `release_tag` during plan, and refreshed from ECR, so a tag moved outside Terraform shows as a change.")
                .validate(validators::matches("an image digest (sha256: followed by 64 lowercase hex digits)", |s: &str| {
                    Digest::parse(s).map(|_| ()).map_err(|e| e.to_string())
                })),
        )
        .attribute(
            Attribute::string("cluster", Presence::Required)
                .description("The ECS cluster (name or ARN) of the services to redeploy.")
                .validate(validators::non_empty())
                .validate(validators::length_between(1, 2048)),
        )
        .attribute(
            Attribute::string_set("services", Presence::Required)
                .description("The ECS services (names or ARNs) whose task definitions use the environment tag: each gets a new deployment so its tasks resolve the new digest. At least one.")
                .validate(|value: &Value, path: &AttributePath, diags: &mut Diagnostics| {
                    if value.is_wholly_known() && value.elements().is_empty() {
                        diags.push(Diagnostic::error("Invalid Attribute Value", format!("\"{path}\" must name at least one service.")).at(path.clone()));
                    }
                })
                .validate(validators::each(validators::non_empty())),
        )
        .attribute(
            Attribute::bool("wait_for_rollout", Presence::OptionalComputed)
                .default(Value::Bool(true))
                .description("Wait until every service's new deployment is the only one, COMPLETED, with all desired tasks running. Defaults to `true`. With `false`, apply returns once the deployments have started; a later apply with `true` waits for them without starting new ones."),
        )
        .attribute(
            Attribute::bool("rollback_on_failure", Presence::OptionalComputed)
                .default(Value::Bool(true))
                .description("When a rollout fails (deployment FAILED, rolled back by the ECS circuit breaker, or timed out), move the tag back to `previous_digest` and redeploy. Defaults to `true`."),
        )
        .attribute(
            Attribute::string_map("triggers", Presence::Optional)
                .description("Arbitrary values; any change redeploys every service even when the tag does not move (e.g. to pick up a rebuilt image under the same release)."),
        )
        .attribute(Attribute::string("description", Presence::Optional).description("Why this release happened; recorded in state."))
        .attribute(Attribute::string("previous_digest", Presence::Computed).description("The digest the environment tag pointed at before the last promotion: the rollback target. Known during plan."))
        .attribute(
            Attribute::new("image_tags", Type::List(Box::new(Type::String)), Presence::Computed)
                .description("Every tag on the promoted image, including the environment tag, sorted."),
        )
        .attribute(Attribute::string("image_uri", Presence::Computed).description("The promoted image by digest: `<repository URI>@sha256:…`."))
        .attribute(
            Attribute::new("deployments", Type::List(Box::new(deployment_type())), Presence::Computed)
                .description("One entry per service, as of the last apply: `service`, `service_arn`, the PRIMARY `deployment_id` (started by this provider, or an in-flight one that already runs the digest, with `started = false`), its `status` and `rollout_state`."),
        )
        .attribute(Attribute::string("promoted_at", Presence::Computed).description("When the last promotion finished (RFC 3339)."))
        .block(timeouts::block(&["create", "update"], "15m"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_valid_for_terraform() {
        assert_eq!(schema().check(), Ok(()));
    }

    /// `ProdTag::validate` of a configuration with `tag`, `release_tag` and `image_digest`
    /// (everything else null).
    fn validate(tag: &str, release: Value, digest: Value) -> Vec<Diagnostic> {
        let mut value = schema().null_object();
        if let Value::Map(fields) = &mut value {
            fields.insert("release_tag".into(), release);
            fields.insert("image_digest".into(), digest);
            fields.insert("tag".into(), Value::string(tag));
        }
        ProdTag.validate(&value).iter().cloned().collect()
    }

    /// Each diagnostic as (is error, summary, attribute path).
    fn at(diags: &[Diagnostic]) -> Vec<(bool, &str, Option<String>)> {
        diags
            .iter()
            .map(|d| {
                (
                    d.is_error(),
                    d.summary.as_str(),
                    d.attribute.as_ref().map(ToString::to_string),
                )
            })
            .collect()
    }

    #[test]
    fn release_must_be_set_exactly_once() {
        let digest = Value::string(format!("sha256:{}", "a".repeat(64)));
        assert_eq!(
            at(&validate("prod", Value::Null, Value::Null)),
            [(true, "Missing Release", Some("release_tag".to_owned()))]
        );
        assert_eq!(
            at(&validate("prod", Value::string("hash_2"), digest.clone())),
            [(true, "Conflicting Release", Some("image_digest".to_owned()))]
        );
        assert_eq!(validate("prod", Value::string("hash_2"), Value::Null), []);
        assert_eq!(validate("prod", Value::Null, digest), []);
    }

    #[test]
    fn tag_equal_to_release_tag_is_refused_on_tag() {
        assert_eq!(
            validate("prod", Value::string("prod"), Value::Null),
            [Diagnostic::error(
                "Invalid Environment Tag",
                "tag and release_tag are both \"prod\": the environment tag must be a different tag from the release it points at.",
            )
            .at(AttributePath::attr("tag"))]
        );
    }

    #[test]
    fn planned_private_carries_the_uri_only_for_its_repository() {
        let target = |name: &str, registry: Option<&str>| Target {
            repository: RepositoryRef {
                name: name.to_owned(),
                registry_id: registry.map(str::to_owned),
            },
            tag: "prod".into(),
            release: ImageSelector::Tag("hash_2".into()),
            cluster: "example".into(),
            services: vec!["example".into()],
        };
        let uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/example";
        let bytes = PlannedPrivate::for_target(&target("example", None), uri.into()).encode();
        assert_eq!(
            PlannedPrivate::decode(&bytes).uri_for(&target("example", None)),
            Some(uri.to_owned())
        );
        assert_eq!(
            PlannedPrivate::decode(&bytes).uri_for(&target("other", None)),
            None
        );
        assert_eq!(
            PlannedPrivate::decode(&bytes).uri_for(&target("example", Some("210987654321"))),
            None
        );
        assert_eq!(
            PlannedPrivate::decode(b"").uri_for(&target("example", None)),
            None
        );
        assert_eq!(
            PlannedPrivate::decode(b"\x00junk").uri_for(&target("example", None)),
            None
        );
    }

    #[test]
    fn tags_after_adds_the_environment_tag_once() {
        let image = ImageDetails {
            digest: Digest::parse(&format!("sha256:{}", "b".repeat(64))).expect("digest"),
            tags: vec!["hash_2".into()],
            media_type: None,
            pushed_at: None,
            size_bytes: None,
        };
        assert_eq!(
            tags_after(&image, "prod"),
            Value::List(vec![Value::string("hash_2"), Value::string("prod")])
        );
        assert_eq!(
            tags_after(&image, "hash_2"),
            Value::List(vec![Value::string("hash_2")])
        );
    }
}
