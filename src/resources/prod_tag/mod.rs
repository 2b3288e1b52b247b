//! `resource "tagdeploy_prod_tag"`: "in repository R, environment tag T points at the image of
//! release X, and services S run it".
//!
//! - [`model`]: the attributes (the schema) as [`ProdTagModel`];
//! - `plan.rs`: plan resolves the release to a digest and shows the promotion as a release note
//!   (`image_digest` from → to, `image_uri`, one `deployments` line per service that
//!   redeploys), and refuses, with the attribute at fault, a missing repository, release,
//!   cluster or service, or an immutable environment tag;
//! - `apply.rs`: apply runs [`crate::aws::promote`]: retag by digest, redeploy, wait, roll back
//!   on failure, and always records where the tag really points;
//! - `upgrade.rs`: state written by schema versions 0 and 1;
//! - `identity.rs`: the identity (account, region, repository, tag) for Terraform 1.12+, and
//!   import by identity;
//! - here: validation, read (refreshes where the tag points, so a tag moved outside Terraform
//!   shows in the plan), delete (forgets the resource and leaves ECR and ECS as they are),
//!   import.

mod apply;
mod identity;
pub mod model;
mod plan;
mod upgrade;

pub use identity::ProdTagIdentity;
pub use model::{ProdTagModel, Rollout};
pub(crate) use plan::not_deployable;

use crate::aws::ecr::Ecr;
use crate::aws::error::EcrError;
use crate::aws::image::{Digest, ImageSelector, RepositoryRef};
use crate::errors::{self, Attributes};
use crate::names;
use crate::provider_data::ProviderData;
use crate::resources::timeouts::Operation;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::{ApplyError, Change, Ctx, Plan, Resource, ResourceIdentity};
use crate::tfplugin::model::Tf;
use crate::tfplugin::schema::Schema;

/// Where each kind of error points in this resource's configuration.
fn attributes() -> Attributes {
    Attributes::new()
        .repository(AttributePath::attr(ProdTagModel::repository))
        .registry_id(AttributePath::attr(ProdTagModel::registry_id))
        .image_tag(AttributePath::attr(ProdTagModel::release_tag))
        .image_digest(AttributePath::attr(ProdTagModel::image_digest))
        .environment_tag(AttributePath::attr(ProdTagModel::tag))
        .cluster(AttributePath::attr(ProdTagModel::cluster))
        .services(AttributePath::attr(ProdTagModel::services))
        .pause_hook_action(AttributePath::attr(ProdTagModel::pause_hook_action))
        .timeouts(AttributePath::attr(ProdTagModel::timeouts))
}

/// The resource type.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProdTag;

impl Resource for ProdTag {
    type Data = ProviderData;
    type Model = ProdTagModel;

    fn type_name(&self) -> &'static str {
        "tagdeploy_prod_tag"
    }

    fn schema(&self) -> Schema {
        model::schema()
    }

    fn validate(&self, config: &ProdTagModel) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let (release, digest) = (&config.release_tag, &config.image_digest);
        if release.is_null() && digest.is_null() {
            diags.push(
                Diagnostic::error(
                    "Missing Release",
                    "Set release_tag (the release hash tag to promote) or image_digest (a digest to pin); one of them is required.",
                )
                .at(AttributePath::attr(ProdTagModel::release_tag)),
            );
        }
        if !release.is_null() && !digest.is_null() {
            diags.push(
                Diagnostic::error(
                    "Conflicting Release",
                    "Set only one of release_tag and image_digest: image_digest is computed from release_tag when release_tag is set.",
                )
                .at(AttributePath::attr(ProdTagModel::image_digest)),
            );
        }
        if let (Some(tag), Some(release)) = (config.tag.as_str(), release.as_str())
            && tag == release
        {
            diags.push(
                Diagnostic::error(
                    "Invalid Environment Tag",
                    format!("tag and release_tag are both {tag:?}: the environment tag must be a different tag from the release it points at."),
                )
                .at(AttributePath::attr(ProdTagModel::tag)),
            );
        }
        diags
    }

    async fn plan(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        plan: &mut Plan<ProdTagModel>,
    ) -> Result<(), Diagnostics> {
        plan::plan(ctx, plan).await?;
        // An update keeps the identity Terraform holds (the framework answers with it); a
        // create plans one, with the values only apply can know unknown.
        if plan.is_create() {
            identity::report(ctx, plan.planned(), None);
        }
        Ok(())
    }

    fn plan_destroy(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        prior: &ProdTagModel,
    ) -> Result<(), Diagnostics> {
        let tag = prior.tag.as_str().unwrap_or("prod");
        let repository = prior.repository.as_str().unwrap_or_default();
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
        change: Change<'_, ProdTagModel>,
    ) -> Result<ProdTagModel, ApplyError<ProdTagModel>> {
        let result = apply::promote(ctx, change, Operation::Create).await;
        applied(ctx, &result);
        result
    }

    async fn update(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        change: Change<'_, ProdTagModel>,
    ) -> Result<ProdTagModel, ApplyError<ProdTagModel>> {
        let result = apply::promote(ctx, change, Operation::Update).await;
        applied(ctx, &result);
        result
    }

    async fn read(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        mut state: ProdTagModel,
    ) -> Result<Option<ProdTagModel>, Diagnostics> {
        let clients = ctx.data().clients()?;
        let ecr = Ecr::new(clients.ecr.clone());
        let repository = repository_ref(&state);
        let Some(tag) = state.tag.known().cloned() else {
            return Ok(Some(state));
        };
        let found = match ecr
            .images(&repository, &[ImageSelector::Tag(tag.clone())])
            .await
        {
            Ok(found) => found.into_iter().next().flatten(),
            // The tag is gone: so is the object.
            // The repository is gone, and the tag with it.
            Err(EcrError::RepositoryNotFound { .. }) => return Ok(None),
            Err(e) => {
                return Err(errors::ecr("Read Environment Tag Error", &e, &attributes()).into());
            }
        };
        let recorded = state.image_digest.known().cloned();
        let now = found.as_ref().map(|d| d.digest.to_string());
        if recorded != now {
            // The tag moved outside Terraform (or a promotion was interrupted after the retag):
            // record where it points now, and where it pointed before, for the rollback.
            tracing::info!(tag = %tag, "environment tag moved outside Terraform");
            state.image_uri = match (state.image_uri.as_str(), &now) {
                (Some(uri), Some(digest)) => uri
                    .split_once('@')
                    .map(|(base, _)| Tf::Known(format!("{base}@{digest}")))
                    .unwrap_or(Tf::Null),
                _ => Tf::Null,
            };
            state.previous_digest = recorded.into();
            state.image_digest = now.into();
        }
        let registry = found.as_ref().and_then(|d| d.registry_id.clone());
        state.image_tags = Tf::Known(found.map(|d| d.tags).unwrap_or_default());
        if state.id.is_null() {
            state.id = state.import_id();
        }
        identity::report(ctx, &state, registry);
        Ok(Some(state))
    }

    async fn delete(
        &self,
        _ctx: &mut Ctx<'_, ProviderData>,
        _prior: &ProdTagModel,
    ) -> Result<(), ApplyError<ProdTagModel>> {
        // Deliberately nothing: a missing environment tag would break the next task launch.
        Ok(())
    }

    async fn import(
        &self,
        _ctx: &mut Ctx<'_, ProviderData>,
        id: &str,
    ) -> Result<ProdTagModel, Diagnostics> {
        let invalid = || {
            Diagnostics::from(Diagnostic::error(
                "Invalid Import ID",
                format!("Expected <repository>:<tag>, e.g. example:prod; got {id:?}."),
            ))
        };
        let (repository, tag) = id.rsplit_once(':').ok_or_else(invalid)?;
        if !names::REPOSITORY.accepts(repository) || !names::TAG.accepts(tag) {
            return Err(invalid());
        }
        Ok(ProdTagModel::imported(repository, tag, None))
    }

    fn upgrade_state(&self, version: i64, raw_json: &[u8]) -> Result<ProdTagModel, Diagnostics> {
        upgrade::upgrade(version, raw_json)
    }
}

impl ResourceIdentity for ProdTag {
    type Identity = ProdTagIdentity;

    async fn import_identity(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        identity: ProdTagIdentity,
    ) -> Result<ProdTagModel, Diagnostics> {
        let (registry, repository, tag) = identity::import_registry(ctx, &identity).await?;
        Ok(ProdTagModel::imported(&repository, &tag, registry))
    }
}

/// Reports the identity of the object an apply leaves (success or failure alike).
fn applied(
    ctx: &mut Ctx<'_, ProviderData>,
    result: &Result<ProdTagModel, ApplyError<ProdTagModel>>,
) {
    match result {
        Ok(state) => identity::report_applied(ctx, state),
        Err(ApplyError {
            state: Some(state), ..
        }) => identity::report_applied(ctx, state),
        Err(_) => {}
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
    fn from_model(m: &ProdTagModel) -> Option<Target> {
        let release = match (&m.release_tag, &m.image_digest) {
            (Tf::Known(tag), _) => ImageSelector::Tag(tag.clone()),
            (Tf::Null, Tf::Known(digest)) => ImageSelector::Digest(Digest::parse(digest).ok()?),
            _ => return None,
        };
        if m.registry_id.is_unknown() {
            return None;
        }
        Some(Target {
            repository: repository_ref(m),
            tag: m.tag.known()?.clone(),
            release,
            cluster: m.cluster.known()?.clone(),
            services: m.known_services()?,
        })
    }
}

fn repository_ref(m: &ProdTagModel) -> RepositoryRef {
    RepositoryRef {
        name: m.repository.known().cloned().unwrap_or_default(),
        registry_id: m.registry_id.known().cloned(),
    }
}

#[cfg(test)]
mod tests {
    use super::plan::tags_after;
    use super::*;
    use crate::aws::ecr::ImageDetails;
    use crate::tfplugin::value::Value;

    #[test]
    fn schema_is_valid_for_terraform() {
        assert_eq!(model::schema().check(), Ok(()));
    }

    /// `validate` of a configuration with `tag`, `release_tag` and `image_digest` (everything
    /// else null), as Terraform's ValidateResourceConfig would call it.
    fn validate(tag: &str, release: Value, digest: Value) -> Vec<Diagnostic> {
        let mut value = model::schema().null_object();
        if let Value::Map(fields) = &mut value {
            fields.insert("release_tag".into(), release);
            fields.insert("image_digest".into(), digest);
            fields.insert("tag".into(), Value::string(tag));
        }
        crate::tfplugin::framework::AnyResource::validate(&ProdTag, &value)
            .iter()
            .cloned()
            .collect()
    }

    /// Each diagnostic as (is error, summary, attribute path).
    fn at(diags: &[Diagnostic]) -> Vec<(bool, &str, Option<AttributePath>)> {
        diags
            .iter()
            .map(|d| (d.is_error(), d.summary.as_str(), d.attribute.clone()))
            .collect()
    }

    #[test]
    fn release_must_be_set_exactly_once() {
        let digest = Value::string(format!("sha256:{}", "a".repeat(64)));
        assert_eq!(
            at(&validate("prod", Value::Null, Value::Null)),
            [(
                true,
                "Missing Release",
                Some(AttributePath::attr("release_tag"))
            )]
        );
        assert_eq!(
            at(&validate("prod", Value::string("hash_2"), digest.clone())),
            [(
                true,
                "Conflicting Release",
                Some(AttributePath::attr("image_digest"))
            )]
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
    fn tags_after_adds_the_environment_tag_once() {
        let image = ImageDetails {
            digest: Digest::parse(&format!("sha256:{}", "b".repeat(64))).expect("digest"),
            tags: vec!["hash_2".into()],
            media_type: None,
            pushed_at: None,
            size_bytes: None,
            registry_id: None,
        };
        assert_eq!(tags_after(&image, "prod"), ["hash_2", "prod"]);
        assert_eq!(tags_after(&image, "hash_2"), ["hash_2"]);
    }

    #[test]
    fn the_planned_promise_reads_back_and_anything_else_is_none() {
        use super::plan::PlannedPrivate;
        assert!(PlannedPrivate::decode(br#"{"redeploy_all":true}"#).redeploy_all);
        for other in [&b""[..], b"\x00junk", br#"{"repository":"example"}"#] {
            assert!(!PlannedPrivate::decode(other).redeploy_all);
        }
    }

    #[test]
    fn the_target_needs_every_input_known() {
        let known = ProdTagModel {
            repository: "example".into(),
            tag: "prod".into(),
            release_tag: "hash_2".into(),
            cluster: "example".into(),
            services: Tf::Known(["a", "b"].into_iter().map(String::from).collect()),
            ..ProdTagModel::default()
        };
        let target = Target::from_model(&known).expect("a target");
        assert_eq!(target.services, ["a", "b"]);
        assert_eq!(target.release, ImageSelector::Tag("hash_2".into()));
        let partly = ProdTagModel {
            services: Tf::Partial(Value::List(vec![Value::string("a"), Value::Unknown])),
            ..known.clone()
        };
        assert!(Target::from_model(&partly).is_none());
        let unknown_release = ProdTagModel {
            release_tag: Tf::Unknown,
            ..known
        };
        assert!(Target::from_model(&unknown_release).is_none());
    }
}
