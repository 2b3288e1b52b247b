//! `resource "tagdeploy_prod_tag"`: "in repository R, environment tag T points at the image of
//! release X, and services S run it".
//!
//! - [`model`]: the attributes (the schema) as [`ProdTagModel`];
//! - `plan.rs`: plan resolves the release to a digest and shows the promotion as a release note
//!   (`image_digest` from → to, `image_uri`, one `deployments` line per service that
//!   redeploys), and refuses, with the attribute at fault, a missing repository, release,
//!   cluster or service, or an immutable environment tag (the image's plan is shared with
//!   `tagdeploy_release`: [`crate::resources::promotion`]);
//! - `apply.rs`: apply runs [`crate::aws::promote`] on a set of one: retag by digest, redeploy,
//!   wait, roll back on failure, and always records where the tag really points;
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

pub use crate::resources::promotion::Rollout;
pub use identity::ProdTagIdentity;
pub use model::ProdTagModel;

use crate::aws::ecr::Ecr;
use crate::aws::error::EcrError;
use crate::errors;
use crate::names;
use crate::provider_data::ProviderData;
use crate::resources::promotion::{self, ImagePaths};
use crate::resources::timeouts::Operation;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::{ApplyError, Change, Ctx, Plan, Resource, ResourceIdentity};
use crate::tfplugin::schema::Schema;

/// Where the image's attributes are in this resource: at the top.
fn paths() -> ImagePaths {
    ImagePaths {
        base: AttributePath::root(),
        tag: AttributePath::attr(ProdTagModel::tag),
    }
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
        promotion::validate_image(&config.image(), &config.tag, &paths())
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
        let Some(tag) = state.tag.known().cloned() else {
            return Ok(Some(state));
        };
        let mut image = state.image();
        let registry = match promotion::refresh_image(&ecr, &mut image, &tag).await {
            Ok(registry) => {
                state.set_image(image);
                registry
            }
            // The repository is gone, and the tag with it.
            Err(EcrError::RepositoryNotFound { .. }) => return Ok(None),
            Err(e) => {
                return Err(
                    errors::ecr("Read Environment Tag Error", &e, &paths().attributes()).into(),
                );
            }
        };
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

#[cfg(test)]
mod tests {
    use super::*;
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
}
