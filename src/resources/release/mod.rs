//! `resource "tagdeploy_release"`: several images promoted as one release, all or nothing: "in
//! each repository, tag T points at that image's release, and its services run it".
//!
//! - [`model`]: the attributes (the schema) as [`ReleaseModel`]; each image is an
//!   [`ImageModel`], with the image attributes `tagdeploy_prod_tag` has too;
//! - `plan.rs`: every image planned as `tagdeploy_prod_tag` plans its one
//!   ([`crate::resources::promotion`]), all at once; one refused image refuses the plan;
//! - `apply.rs`: the images the plan promotes go to [`crate::aws::promote`] as one promotion
//!   (one engine for one image or many), and state records each image as it really stands;
//! - `id.rs`: the ID and import ID, `<tag>:<image>=<repository>,…`;
//! - `identity.rs`: the identity (tag, images as the ID lists them, region) for Terraform
//!   1.12+, and import by identity;
//! - here: validation, read (each image's tag refreshed, so drift of one image shows in the
//!   plan), delete (forgets the release, leaves ECR and ECS as they are), import.

mod apply;
mod id;
mod identity;
pub mod model;
mod plan;

use std::collections::BTreeMap;

use futures::future::join_all;

pub use identity::ReleaseIdentity;
pub use model::ReleaseModel;

use crate::aws::ecr::Ecr;
use crate::aws::error::EcrError;
use crate::aws::image::RepositoryRef;
use crate::errors;
use crate::provider_data::ProviderData;
use crate::resources::promotion::{self, ImageModel, ImagePaths, repository_ref};
use crate::resources::timeouts::Operation;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::{ApplyError, Change, Ctx, Plan, Resource, ResourceIdentity};
use crate::tfplugin::model::Tf;
use crate::tfplugin::schema::Schema;
use id::{IdImage, ReleaseId};

/// Where the attributes of image `name` are: under `images["NAME"]`, with the set's `tag`.
pub(crate) fn image_paths(name: &str) -> ImagePaths {
    ImagePaths {
        base: AttributePath::attr(ReleaseModel::images).then_key(name),
        tag: AttributePath::attr(ReleaseModel::tag),
    }
}

/// The ID of a release whose tag and images' repositories are known.
fn id_of(model: &ReleaseModel) -> Tf<String> {
    match release_id(model) {
        Some(id) => Tf::Known(id.render()),
        None => Tf::Unknown,
    }
}

/// What the ID names, when the tag and the images' repositories are known.
fn release_id(model: &ReleaseModel) -> Option<ReleaseId> {
    let (Some(tag), Some(images)) = (model.tag.known(), model.known_images()) else {
        return None;
    };
    let mut named = BTreeMap::new();
    for (name, image) in images {
        let (Some(repository), false) = (image.repository.known(), image.registry_id.is_unknown())
        else {
            return None;
        };
        named.insert(
            name.clone(),
            IdImage {
                repository: repository.clone(),
                registry_id: image.registry_id.known().cloned(),
            },
        );
    }
    Some(ReleaseId {
        tag: tag.clone(),
        images: named,
    })
}

/// The resource type.
#[derive(Debug, Default, Clone, Copy)]
pub struct Release;

impl Resource for Release {
    type Data = ProviderData;
    type Model = ReleaseModel;

    fn type_name(&self) -> &'static str {
        "tagdeploy_release"
    }

    fn schema(&self) -> Schema {
        model::schema()
    }

    fn validate(&self, config: &ReleaseModel) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let Some(images) = config.known_images() else {
            return diags;
        };
        let mut seen: Vec<(&str, RepositoryRef)> = Vec::new();
        for (name, image) in images {
            let at = image_paths(name);
            diags.extend(promotion::validate_image(image, &config.tag, &at));
            // Two images of one repository would point one tag at two releases.
            if image.repository.is_known() && !image.registry_id.is_unknown() {
                let repository = repository_ref(image);
                if let Some((other, _)) = seen.iter().find(|(_, seen)| *seen == repository) {
                    diags.push(
                        Diagnostic::error(
                            "Repository Released Twice",
                            format!(
                                "Repository {repository} is also image {other:?} of this release: one environment tag cannot point at two images. Release each repository once."
                            ),
                        )
                        .at(at.attr(ImageModel::repository)),
                    );
                } else {
                    seen.push((name, repository));
                }
            }
        }
        diags
    }

    async fn plan(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        plan: &mut Plan<ReleaseModel>,
    ) -> Result<(), Diagnostics> {
        plan::plan(ctx, plan).await?;
        // An update keeps the identity Terraform holds (the framework answers with it); a
        // create plans one, unknown where the repositories are.
        if plan.is_create() {
            identity::report(ctx, plan.planned());
        }
        Ok(())
    }

    fn plan_destroy(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        prior: &ReleaseModel,
    ) -> Result<(), Diagnostics> {
        let tag = prior.tag.as_str().unwrap_or("prod");
        ctx.warn(Diagnostic::warning(
            "Destroy Leaves the Tags in Place",
            format!(
                "Destroying this release only removes it from Terraform state: tag {tag:?} stays where it is in every image's repository and the services keep running. Removing the tags would break the next task launch."
            ),
        ));
        Ok(())
    }

    async fn create(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        change: Change<'_, ReleaseModel>,
    ) -> Result<ReleaseModel, ApplyError<ReleaseModel>> {
        let result = apply::promote(ctx, change, Operation::Create).await;
        applied(ctx, &result);
        result
    }

    async fn update(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        change: Change<'_, ReleaseModel>,
    ) -> Result<ReleaseModel, ApplyError<ReleaseModel>> {
        let result = apply::promote(ctx, change, Operation::Update).await;
        applied(ctx, &result);
        result
    }

    async fn read(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        mut state: ReleaseModel,
    ) -> Result<Option<ReleaseModel>, Diagnostics> {
        let clients = ctx.data().clients()?;
        let ecr = Ecr::new(clients.ecr.clone());
        let (Some(tag), Tf::Known(mut images)) = (
            state.tag.known().cloned(),
            std::mem::take(&mut state.images),
        ) else {
            return Ok(Some(state));
        };
        let reads = join_all(
            images
                .iter_mut()
                .map(|(name, image)| refresh(&ecr, name, image, &tag)),
        )
        .await;
        let mut diags = Diagnostics::new();
        for read in reads {
            if let Err(diagnostic) = read {
                diags.push(diagnostic);
            }
        }
        if diags.has_errors() {
            return Err(diags);
        }
        state.images = Tf::Known(images);
        if state.id.is_null() {
            state.id = id_of(&state);
        }
        identity::report(ctx, &state);
        Ok(Some(state))
    }

    async fn delete(
        &self,
        _ctx: &mut Ctx<'_, ProviderData>,
        _prior: &ReleaseModel,
    ) -> Result<(), ApplyError<ReleaseModel>> {
        // Deliberately nothing: a missing environment tag would break the next task launch.
        Ok(())
    }

    async fn import(
        &self,
        _ctx: &mut Ctx<'_, ProviderData>,
        id: &str,
    ) -> Result<ReleaseModel, Diagnostics> {
        let parsed = ReleaseId::parse(id).map_err(|reason| {
            Diagnostics::from(Diagnostic::error(
                "Invalid Import ID",
                format!(
                    "Expected <tag>:<image>=<repository>,… (e.g. prod:api=api,worker=team/worker, or prod:api,worker when each image is named like its repository; @<registry id> after a repository in another account's registry), but {reason}; got {id:?}."
                ),
            ))
        })?;
        Ok(imported(&parsed))
    }
}

impl ResourceIdentity for Release {
    type Identity = ReleaseIdentity;

    async fn import_identity(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        identity: ReleaseIdentity,
    ) -> Result<ReleaseModel, Diagnostics> {
        let parsed = identity::to_import(ctx, &identity)?;
        Ok(imported(&parsed))
    }
}

/// The state an import starts from (by ID or identity); read then fills in where each tag
/// points.
fn imported(parsed: &ReleaseId) -> ReleaseModel {
    let images = parsed
        .images
        .iter()
        .map(|(name, image)| {
            let model = ImageModel {
                repository: image.repository.clone().into(),
                registry_id: image.registry_id.clone().into(),
                image_tags: Tf::Known(Vec::new()),
                deployments: Tf::Known(BTreeMap::new()),
                rollouts: Tf::Known(BTreeMap::new()),
                ..ImageModel::default()
            };
            (name.clone(), model)
        })
        .collect();
    ReleaseModel {
        id: parsed.render().into(),
        tag: parsed.tag.clone().into(),
        images: Tf::Known(images),
        wait_for_rollout: true.into(),
        rollback_on_failure: true.into(),
        pause_hook_action: "WAIT".into(),
        ..ReleaseModel::default()
    }
}

/// Reports the identity of the release an apply leaves (success or failure alike).
fn applied(
    ctx: &mut Ctx<'_, ProviderData>,
    result: &Result<ReleaseModel, ApplyError<ReleaseModel>>,
) {
    match result {
        Ok(state)
        | Err(ApplyError {
            state: Some(state), ..
        }) => identity::report(ctx, state),
        Err(_) => {}
    }
}

/// Refreshes one image. Its repository gone means its tag is gone too (the next plan then
/// says the repository is missing); any other error is a diagnostic on the image.
async fn refresh(
    ecr: &Ecr,
    name: &str,
    image: &mut ImageModel,
    tag: &str,
) -> Result<(), Diagnostic> {
    match promotion::refresh_image(ecr, image, tag).await {
        Ok(_) => Ok(()),
        Err(EcrError::RepositoryNotFound { .. }) => {
            image.previous_digest = image.image_digest.clone();
            image.image_digest = Tf::Null;
            image.image_tags = Tf::Known(Vec::new());
            Ok(())
        }
        Err(e) => Err(errors::ecr(
            "Read Environment Tag Error",
            &e,
            &image_paths(name).attributes(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::framework::AnyResource;
    use crate::tfplugin::model::Model;
    use crate::tfplugin::value::Value;

    #[test]
    fn schema_is_valid_for_terraform() {
        assert_eq!(model::schema().check(), Ok(()));
    }

    fn image(repository: &str) -> Value {
        let mut image = ImageModel {
            repository: repository.into(),
            release_tag: "hash_2".into(),
            cluster: "main".into(),
            services: Tf::Known([repository.to_owned()].into_iter().collect()),
            ..ImageModel::default()
        }
        .to_value();
        if let Value::Map(fields) = &mut image {
            for computed in [
                "image_digest",
                "previous_digest",
                "image_tags",
                "image_uri",
                "deployments",
                "rollouts",
            ] {
                fields.insert(computed.into(), Value::Null);
            }
        }
        image
    }

    fn config(images: Vec<(&str, Value)>) -> Value {
        let mut value = model::schema().null_object();
        if let Value::Map(fields) = &mut value {
            fields.insert("tag".into(), Value::string("prod"));
            fields.insert("images".into(), Value::object(images));
        }
        value
    }

    fn paths(diags: &Diagnostics) -> Vec<String> {
        diags
            .iter()
            .map(|d| d.attribute.clone().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn every_image_is_checked_where_it_is() {
        let mut both = image("worker");
        if let Value::Map(fields) = &mut both {
            fields.insert(
                "image_digest".into(),
                Value::string(format!("sha256:{}", "a".repeat(64))),
            );
        }
        let diags = AnyResource::validate(
            &Release,
            &config(vec![("api", image("api")), ("worker", both)]),
        );
        assert_eq!(paths(&diags), ["images[\"worker\"].image_digest"]);
        let twice = AnyResource::validate(
            &Release,
            &config(vec![("api", image("api")), ("api2", image("api"))]),
        );
        assert_eq!(paths(&twice), ["images[\"api2\"].repository"]);
        assert!(
            twice
                .iter()
                .all(|d| d.summary == "Repository Released Twice")
        );
        let schema = model::schema();
        let bad_name = schema.validate(&config(vec![("a=b", image("api"))]));
        assert_eq!(paths(&bad_name), ["images[\"a=b\"]"]);
        let none = schema.validate(&config(vec![]));
        assert_eq!(paths(&none), ["images"]);
    }

    #[test]
    fn the_id_names_the_tag_and_every_image() {
        let model = ReleaseModel::from_value(&config(vec![
            ("api", image("api")),
            ("jobs", image("team/worker")),
        ]))
        .expect("a release");
        assert_eq!(id_of(&model), Tf::Known("prod:api,jobs=team/worker".into()));
        let unknown = ReleaseModel {
            tag: Tf::Unknown,
            ..model
        };
        assert_eq!(id_of(&unknown), Tf::Unknown);
    }
}
