//! ECR: looking images up and moving a tag onto an image without re-pushing it; `list`
//! (in `ecr/list.rs`): finding environment tags across the registry.

mod list;

use std::sync::Arc;

use aws_sdk_ecr::types::{ImageFailureCode, ImageIdentifier};
use aws_smithy_types::date_time::Format;

use super::call;
use super::coalesce::SingleFlight;
use super::error::{ApiError, EcrError, Service};
use super::image::{Digest, ImageSelector, RepositoryRef, TagMutability};
use super::pacing::Pacer;

pub use list::{FoundTag, ListedRepository, REPOSITORIES_PAGE, RepositoryPage};

/// Every manifest type we accept back from BatchGetImage. Without this list ECR may answer with
/// a converted (schema 1) manifest, whose bytes, and so digest, differ from what was pushed.
pub const MANIFEST_MEDIA_TYPES: [&str; 4] = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
];

/// A repository's settings that matter for a promotion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    /// The repository's name.
    pub name: String,
    /// The registry (account) id.
    pub registry_id: String,
    /// `<account>.dkr.ecr.<region>.amazonaws.com/<name>`.
    pub uri: String,
    /// Which tags ECR lets move.
    pub mutability: TagMutability,
}

/// An image as DescribeImages reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageDetails {
    /// The image's digest.
    pub digest: Digest,
    /// Every tag on the image, sorted.
    pub tags: Vec<String>,
    /// The manifest's media type, when ECR reports one.
    pub media_type: Option<String>,
    /// When the image was pushed, RFC 3339.
    pub pushed_at: Option<String>,
    /// Size in bytes as ECR reports it.
    pub size_bytes: Option<i64>,
    /// The account id of the registry holding it, as ECR reports it (the caller's account
    /// when the lookup named no registry).
    pub registry_id: Option<String>,
}

/// What a retag found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetagOutcome {
    /// The tag moved onto the image.
    Moved,
    /// The tag already pointed at the image (ECR said `ImageAlreadyExistsException`).
    AlreadyThere,
}

/// A repository and the image ids asked for: identical lookups share a call.
pub type ImagesKey = (RepositoryRef, Vec<ImageSelector>);

/// What one [`Ecr::images`] lookup answers.
type ImagesAnswer = Result<Vec<Option<ImageDetails>>, EcrError>;

/// DescribeImages lookups shared by the concurrent callers of one provider process: identical
/// lookups in flight share one call (see [`super::coalesce`]).
#[derive(Debug, Clone, Default)]
pub struct SharedImageLookups {
    flights: Arc<SingleFlight<ImagesKey, ImagesAnswer>>,
}

/// ECR operations of the domain, over an SDK client.
#[derive(Debug, Clone)]
pub struct Ecr {
    client: aws_sdk_ecr::Client,
    /// Shares identical concurrent [`Ecr::images`] lookups, when set.
    shared: Option<SharedImageLookups>,
    /// The rate-limit buckets every attempt takes its turn from.
    pacer: Pacer,
}

impl Ecr {
    /// Wraps a configured client; every call is its own, paced by `pacer`.
    pub fn new(client: aws_sdk_ecr::Client, pacer: Pacer) -> Ecr {
        Ecr {
            client,
            shared: None,
            pacer,
        }
    }

    /// Wraps a configured client whose [`Ecr::images`] lookups share the call in flight with
    /// identical concurrent lookups by other users of `shared`; paced by `pacer`.
    pub fn coalesced(client: aws_sdk_ecr::Client, shared: SharedImageLookups, pacer: Pacer) -> Ecr {
        Ecr {
            client,
            shared: Some(shared),
            pacer,
        }
    }

    /// The repository's URI and tag mutability (one DescribeRepositories call).
    pub async fn repository(&self, repository: &RepositoryRef) -> Result<Repository, EcrError> {
        let request = self
            .client
            .describe_repositories()
            .set_registry_id(repository.registry_id.clone())
            .repository_names(&repository.name);
        let output = call::send(&self.pacer, Service::Ecr, "DescribeRepositories", || {
            request.clone().send()
        })
        .await
        .map_err(|failed| failed.interpret(missing_repository(repository)))?;
        let found = output
            .repositories()
            .iter()
            .find(|r| r.repository_name() == Some(repository.name.as_str()))
            .ok_or_else(|| EcrError::RepositoryNotFound {
                repository: repository.clone(),
            })?;
        Ok(Repository {
            name: repository.name.clone(),
            registry_id: found.registry_id().unwrap_or_default().to_owned(),
            uri: found.repository_uri().unwrap_or_default().to_owned(),
            mutability: TagMutability {
                mode: found
                    .image_tag_mutability()
                    .map(|m| m.as_str().to_owned())
                    .unwrap_or_else(|| "MUTABLE".to_owned()),
                exclusion_filters: found
                    .image_tag_mutability_exclusion_filters()
                    .iter()
                    .map(|f| f.filter().to_owned())
                    .collect(),
            },
        })
    }

    /// Looks up one image (one DescribeImages call).
    pub async fn image(
        &self,
        repository: &RepositoryRef,
        selector: &ImageSelector,
    ) -> Result<ImageDetails, EcrError> {
        let mut found = self
            .describe(repository, std::slice::from_ref(selector))
            .await
            .map_err(|err| match err {
                DescribeFailure::ImageMissing => missing(repository, selector),
                DescribeFailure::Other(err) => err,
            })?;
        found
            .pop()
            .flatten()
            .ok_or_else(|| missing(repository, selector))
    }

    /// Looks up several images at once: one DescribeImages call when all exist, otherwise one
    /// call per image to tell which are missing (ECR fails the whole call for one missing id).
    /// The result has one entry per selector, in order, `None` where the image does not exist.
    /// When coalesced, an identical lookup already in flight is shared instead of repeated.
    pub async fn images(
        &self,
        repository: &RepositoryRef,
        selectors: &[ImageSelector],
    ) -> Result<Vec<Option<ImageDetails>>, EcrError> {
        let Some(shared) = &self.shared else {
            return self.lookup(repository, selectors).await;
        };
        let own = Ecr::new(self.client.clone(), self.pacer.clone());
        let (repo, wanted) = (repository.clone(), selectors.to_vec());
        shared
            .flights
            .run(
                (repository.clone(), selectors.to_vec()),
                move || async move { own.lookup(&repo, &wanted).await },
                Err(EcrError::UnexpectedResponse {
                    operation: "DescribeImages",
                    detail: "the shared call ended without an answer".to_owned(),
                }),
            )
            .await
    }

    /// [`Ecr::images`] with calls of its own.
    async fn lookup(
        &self,
        repository: &RepositoryRef,
        selectors: &[ImageSelector],
    ) -> Result<Vec<Option<ImageDetails>>, EcrError> {
        match self.describe(repository, selectors).await {
            Ok(found) => Ok(found),
            Err(DescribeFailure::Other(err)) => Err(err),
            Err(DescribeFailure::ImageMissing) if selectors.len() == 1 => Ok(vec![None]),
            Err(DescribeFailure::ImageMissing) => {
                let mut found = Vec::with_capacity(selectors.len());
                for selector in selectors {
                    match self
                        .describe(repository, std::slice::from_ref(selector))
                        .await
                    {
                        Ok(mut one) => found.push(one.pop().flatten()),
                        Err(DescribeFailure::ImageMissing) => found.push(None),
                        Err(DescribeFailure::Other(err)) => return Err(err),
                    }
                }
                Ok(found)
            }
        }
    }

    /// One DescribeImages call for `selectors`, matched back to the selectors.
    async fn describe(
        &self,
        repository: &RepositoryRef,
        selectors: &[ImageSelector],
    ) -> Result<Vec<Option<ImageDetails>>, DescribeFailure> {
        let ids = selectors.iter().map(image_identifier).collect::<Vec<_>>();
        let request = self
            .client
            .describe_images()
            .set_registry_id(repository.registry_id.clone())
            .repository_name(&repository.name)
            .set_image_ids(Some(ids));
        let output = call::send(&self.pacer, Service::Ecr, "DescribeImages", || {
            request.clone().send()
        })
        .await
        .map_err(|failed| {
            failed.interpret(|e| {
                if e.is_image_not_found_exception() {
                    Some(DescribeFailure::ImageMissing)
                } else {
                    missing_repository(repository)(e).map(DescribeFailure::Other)
                }
            })
        })?;
        let mut details = Vec::new();
        for detail in output.image_details() {
            let digest_text = detail.image_digest().unwrap_or_default();
            let digest = Digest::parse(digest_text).map_err(|e| {
                DescribeFailure::Other(EcrError::UnexpectedResponse {
                    operation: "DescribeImages",
                    detail: e.to_string(),
                })
            })?;
            let mut tags = detail.image_tags().to_vec();
            tags.sort();
            details.push(ImageDetails {
                digest,
                tags,
                media_type: detail.image_manifest_media_type().map(str::to_owned),
                pushed_at: detail
                    .image_pushed_at()
                    .and_then(|t| t.fmt(Format::DateTime).ok()),
                size_bytes: detail.image_size_in_bytes(),
                registry_id: detail.registry_id().map(str::to_owned),
            });
        }
        // ECR does not promise any order: match each selector to the image it names.
        Ok(selectors
            .iter()
            .map(|selector| {
                details
                    .iter()
                    .find(|d| match selector {
                        ImageSelector::Tag(tag) => d.tags.iter().any(|t| t == tag),
                        ImageSelector::Digest(digest) => &d.digest == digest,
                    })
                    .cloned()
            })
            .collect())
    }

    /// Moves `tag` onto the image `digest` without re-pushing it: BatchGetImage fetches the exact
    /// manifest bytes by digest, PutImage stores them under `tag` with their media type and the
    /// digest ECR must compute, and DescribeImages then confirms where `tag` points.
    /// `ImageAlreadyExistsException` means the tag was already there, which is success.
    pub async fn retag(
        &self,
        repository: &RepositoryRef,
        digest: &Digest,
        tag: &str,
    ) -> Result<RetagOutcome, EcrError> {
        let request = self
            .client
            .batch_get_image()
            .set_registry_id(repository.registry_id.clone())
            .repository_name(&repository.name)
            .image_ids(
                ImageIdentifier::builder()
                    .image_digest(digest.as_str())
                    .build(),
            )
            .set_accepted_media_types(Some(
                MANIFEST_MEDIA_TYPES
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
            ));
        let output = call::send(&self.pacer, Service::Ecr, "BatchGetImage", || {
            request.clone().send()
        })
        .await
        .map_err(|failed| failed.interpret(missing_repository(repository)))?;
        if let Some(failure) = output.failures().first() {
            return Err(match failure.failure_code() {
                Some(ImageFailureCode::ImageNotFound) => EcrError::DigestNotFound {
                    repository: repository.clone(),
                    digest: digest.clone(),
                },
                code => EcrError::UnexpectedResponse {
                    operation: "BatchGetImage",
                    detail: format!(
                        "{}: {}",
                        code.map(|c| c.as_str()).unwrap_or("failure"),
                        failure.failure_reason().unwrap_or_default()
                    ),
                },
            });
        }
        let image = output
            .images()
            .first()
            .ok_or_else(|| EcrError::DigestNotFound {
                repository: repository.clone(),
                digest: digest.clone(),
            })?;
        let manifest = image.image_manifest().ok_or(EcrError::UnexpectedResponse {
            operation: "BatchGetImage",
            detail: "the image has no manifest".to_owned(),
        })?;

        let request = self
            .client
            .put_image()
            .set_registry_id(repository.registry_id.clone())
            .repository_name(&repository.name)
            .image_manifest(manifest)
            .set_image_manifest_media_type(image.image_manifest_media_type().map(str::to_owned))
            .image_digest(digest.as_str())
            .image_tag(tag);
        let put = call::send(&self.pacer, Service::Ecr, "PutImage", || {
            request.clone().send()
        })
        .await;
        let outcome = match put {
            Ok(_) => RetagOutcome::Moved,
            // The tag is already on this very image: nothing to move.
            Err(failed)
                if failed
                    .service_error()
                    .is_some_and(|e| e.is_image_already_exists_exception()) =>
            {
                RetagOutcome::AlreadyThere
            }
            Err(failed) => {
                return Err(failed.interpret(|e| {
                    if e.is_image_tag_already_exists_exception() {
                        Some(EcrError::TagImmutable {
                            repository: repository.clone(),
                            tag: tag.to_owned(),
                        })
                    } else if e.is_referenced_images_not_found_exception() {
                        Some(EcrError::ReferencedImagesMissing {
                            repository: repository.clone(),
                            digest: digest.clone(),
                        })
                    } else {
                        missing_repository(repository)(e)
                    }
                }));
            }
        };

        // A call of its own: a lookup that was in flight before the PutImage would be stale.
        let now = self
            .lookup(repository, &[ImageSelector::Tag(tag.to_owned())])
            .await?;
        match now.into_iter().next().flatten() {
            Some(found) if &found.digest == digest => Ok(outcome),
            other => Err(EcrError::VerificationFailed {
                repository: repository.clone(),
                tag: tag.to_owned(),
                expected: digest.clone(),
                actual: other
                    .map(|d| d.digest.to_string())
                    .unwrap_or_else(|| "none".to_owned()),
            }),
        }
    }
}

/// Why one DescribeImages call did not answer.
enum DescribeFailure {
    /// At least one requested image does not exist.
    ImageMissing,
    /// Anything else.
    Other(EcrError),
}

impl From<ApiError> for DescribeFailure {
    fn from(error: ApiError) -> Self {
        DescribeFailure::Other(error.into())
    }
}

/// A modelled ECR error that may say the repository does not exist.
trait RepositoryMissing {
    /// RepositoryNotFoundException.
    fn repository_missing(&self) -> bool;
}

macro_rules! repository_missing {
    ($($error:ty),+) => {
        $(impl RepositoryMissing for $error {
            fn repository_missing(&self) -> bool {
                self.is_repository_not_found_exception()
            }
        })+
    };
}

repository_missing!(
    aws_sdk_ecr::operation::describe_repositories::DescribeRepositoriesError,
    aws_sdk_ecr::operation::describe_images::DescribeImagesError,
    aws_sdk_ecr::operation::batch_get_image::BatchGetImageError,
    aws_sdk_ecr::operation::put_image::PutImageError
);

/// For [`call::Failed::interpret`]: [`EcrError::RepositoryNotFound`] when the modelled error
/// says so.
fn missing_repository<E: RepositoryMissing>(
    repository: &RepositoryRef,
) -> impl Fn(&E) -> Option<EcrError> + '_ {
    move |error| {
        error
            .repository_missing()
            .then(|| EcrError::RepositoryNotFound {
                repository: repository.clone(),
            })
    }
}

fn image_identifier(selector: &ImageSelector) -> ImageIdentifier {
    match selector {
        ImageSelector::Tag(tag) => ImageIdentifier::builder().image_tag(tag).build(),
        ImageSelector::Digest(digest) => ImageIdentifier::builder()
            .image_digest(digest.as_str())
            .build(),
    }
}

fn missing(repository: &RepositoryRef, selector: &ImageSelector) -> EcrError {
    match selector {
        ImageSelector::Tag(tag) => EcrError::TagNotFound {
            repository: repository.clone(),
            tag: tag.clone(),
        },
        ImageSelector::Digest(digest) => EcrError::DigestNotFound {
            repository: repository.clone(),
            digest: digest.clone(),
        },
    }
}
