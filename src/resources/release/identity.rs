//! The identity of `tagdeploy_release` (Terraform 1.12+): the environment tag, the images as the
//! import ID lists them (`NAME=REPOSITORY`, or `REPOSITORY` when the image is named like it,
//! `@REGISTRY` after a repository in another account's registry; sorted by name), and the
//! region. `import { to = …, identity = { tag = "prod", images = ["api", "worker=team/worker"] } }`
//! imports one; the region defaults to the provider's.
//!
//! Every value comes from the state and the provider's clients: no AWS call.

use super::id::ReleaseId;
use super::{ReleaseModel, release_id};
use crate::model;
use crate::provider_data::ProviderData;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::Ctx;
use crate::tfplugin::model::{Tf, optional, required};

model! {
    /// The identity of a `tagdeploy_release`.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ReleaseIdentity {
        /// The environment tag, e.g. `prod`.
        pub tag: Tf<String> => required(),
        /// The images, sorted by name, each `NAME=REPOSITORY` (or `REPOSITORY` when the image
        /// is named like its repository) with `@REGISTRY` after a repository in another
        /// account's registry, as the import ID lists them: e.g.
        /// `["api", "worker=team/worker@210987654321"]`.
        pub images: Tf<Vec<String>> => required(),
        /// The AWS region of the registries. Optional for import: defaults to the provider's
        /// region, the only one it can import from.
        pub region: Tf<String> => optional(),
    }
}

/// The provider's region; while the provider's settings are unknown, the region of the
/// identity Terraform holds, else unknown.
fn region(ctx: &Ctx<'_, ProviderData>) -> Tf<String> {
    match ctx.data().clients() {
        Ok(clients) => clients.region.clone().into(),
        Err(_) => ctx
            .identity::<ReleaseIdentity>()
            .map(|i| i.region)
            .filter(Tf::is_known)
            .unwrap_or(Tf::Unknown),
    }
}

/// Reports the identity of the release `state` describes (unknown images while a planned
/// create does not know every repository yet).
pub(super) fn report(ctx: &mut Ctx<'_, ProviderData>, state: &ReleaseModel) {
    let (tag, images) = match release_id(state) {
        Some(id) => (Tf::Known(id.tag.clone()), Tf::Known(id.items())),
        None => (state.tag.clone(), Tf::Unknown),
    };
    let identity = ReleaseIdentity {
        tag,
        images,
        region: region(ctx),
    };
    ctx.set_identity(&identity);
}

/// `import { identity = { … } }`: the release the identity names, as an import ID would.
pub(super) fn to_import(
    ctx: &Ctx<'_, ProviderData>,
    identity: &ReleaseIdentity,
) -> Result<ReleaseId, Diagnostics> {
    let invalid = |name: &str, detail: String| {
        Diagnostics::from(
            Diagnostic::error("Invalid Import Identity", detail).at(AttributePath::attr(name)),
        )
    };
    let tag = identity.tag.known().ok_or_else(|| {
        invalid(
            ReleaseIdentity::tag,
            "The identity to import needs a known `tag`.".to_owned(),
        )
    })?;
    let images = identity
        .images
        .known()
        .filter(|images| !images.is_empty())
        .ok_or_else(|| {
            invalid(
                ReleaseIdentity::images,
                "The identity to import needs `images`: at least one, as the import ID lists them."
                    .to_owned(),
            )
        })?;
    let clients = ctx.data().clients()?;
    if let (Tf::Known(wanted), Some(own)) = (&identity.region, &clients.region)
        && wanted != own
    {
        return Err(Diagnostic::error(
            "Import From Another Region",
            format!(
                "The identity names region {wanted:?}, but this provider works in {own:?}. Import it with a provider configured for {wanted:?}."
            ),
        )
        .at(AttributePath::attr(ReleaseIdentity::region))
        .into());
    }
    ReleaseId::parse(&format!("{tag}:{}", images.join(","))).map_err(|reason| {
        invalid(
            ReleaseIdentity::images,
            format!(
                "The identity to import does not name a release: {reason} (each image is NAME=REPOSITORY, or REPOSITORY when the image is named like it, with @REGISTRY after a repository in another account's registry)."
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::framework::IdentitySchema;

    #[test]
    fn the_identity_schema_needs_the_tag_and_the_images() {
        let schema = IdentitySchema::of::<ReleaseIdentity>(0);
        assert_eq!(schema.check(), Ok(()));
        let required: Vec<(&str, bool)> = schema
            .attributes()
            .iter()
            .map(|a| (a.name.as_str(), a.required_for_import))
            .collect();
        assert_eq!(
            required,
            [("tag", true), ("images", true), ("region", false)]
        );
    }
}
