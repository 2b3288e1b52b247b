//! Refresh, for one image: where its environment tag points now. A tag moved outside
//! Terraform (or by a promotion interrupted after the retag) is recorded as it is, with where it
//! pointed before, so the next plan shows the change back.

use super::{ImageModel, repository_ref};
use crate::aws::ecr::Ecr;
use crate::aws::error::EcrError;
use crate::aws::image::ImageSelector;
use crate::tfplugin::model::Tf;

/// Refreshes `image` (environment tag `tag`) from ECR: one DescribeImages call. Returns the
/// registry ECR reports the image in, when the tag exists (the account of the resource's
/// identity). An error (e.g. [`EcrError::RepositoryNotFound`]) leaves the image as it was.
pub(crate) async fn refresh_image(
    ecr: &Ecr,
    image: &mut ImageModel,
    tag: &str,
) -> Result<Option<String>, EcrError> {
    let found = ecr
        .images(
            &repository_ref(image),
            &[ImageSelector::Tag(tag.to_owned())],
        )
        .await?
        .into_iter()
        .next()
        .flatten();
    let recorded = image.image_digest.known().cloned();
    let now = found.as_ref().map(|d| d.digest.to_string());
    if recorded != now {
        tracing::info!(tag = %tag, repository = %repository_ref(image).name, "environment tag moved outside Terraform");
        image.image_uri = match (image.image_uri.as_str(), &now) {
            (Some(uri), Some(digest)) => uri
                .split_once('@')
                .map(|(base, _)| Tf::Known(format!("{base}@{digest}")))
                .unwrap_or(Tf::Null),
            _ => Tf::Null,
        };
        image.previous_digest = recorded.into();
        image.image_digest = now.into();
    }
    let registry = found.as_ref().and_then(|d| d.registry_id.clone());
    image.image_tags = Tf::Known(found.map(|d| d.tags).unwrap_or_default());
    Ok(registry)
}
