//! Finding environment tags across a registry, for `terraform query`: the repositories page by
//! page, and which of a few tags each repository has, with as few calls as ECR allows.
//!
//! Calls, for N repositories and T tags asked for:
//! - DescribeRepositories: one call per 1000 repositories (the most a page holds; ECR filters
//!   by name prefix nowhere, so every page is read until enough results are found);
//! - per repository: one DescribeImages naming the T tags, which answers everything when every
//!   tag exists. ECR fails the whole call when one is missing, so with T > 1 one BatchGetImage
//!   then tells which exist (missing ones are `failures`, not an error), and, only when the
//!   images' other tags are wanted, one DescribeImages by digest fetches them: 1 call per
//!   repository with every tag (or T = 1), 2 without, 3 when the tags are wanted too.

use aws_sdk_ecr::types::{ImageFailureCode, ImageIdentifier};

use super::{DescribeFailure, Ecr, ImageDetails, MANIFEST_MEDIA_TYPES, missing_repository};
use crate::aws::call;
use crate::aws::error::{EcrError, Service};
use crate::aws::image::{Digest, ImageSelector, RepositoryRef};

/// The most repositories one DescribeRepositories call returns.
pub const REPOSITORIES_PAGE: i32 = 1000;

/// A repository as DescribeRepositories lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedRepository {
    /// The repository name.
    pub name: String,
    /// The account id of its registry.
    pub registry_id: String,
    /// `<account>.dkr.ecr.<region>.amazonaws.com/<name>`.
    pub uri: String,
}

/// One page of repositories and where the next one starts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepositoryPage {
    /// The repositories of the page, sorted by name.
    pub repositories: Vec<ListedRepository>,
    /// The token of the next page, `None` after the last.
    pub next: Option<String>,
}

/// A tag found in a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundTag {
    /// The tag.
    pub tag: String,
    /// The digest it points at.
    pub digest: Digest,
    /// Every tag on that image, sorted, when they were asked for (else empty).
    pub image_tags: Vec<String>,
}

impl Ecr {
    /// One page of the caller's registry's repositories (DescribeRepositories), starting at
    /// `token` (`None`: the first page).
    pub async fn repository_page(&self, token: Option<String>) -> Result<RepositoryPage, EcrError> {
        let request = self
            .client
            .describe_repositories()
            .max_results(REPOSITORIES_PAGE)
            .set_next_token(token);
        let output = call::send(Service::Ecr, "DescribeRepositories", request.send())
            .await
            .map_err(|failed| failed.interpret(|_| None::<EcrError>))?;
        let mut repositories: Vec<ListedRepository> = output
            .repositories()
            .iter()
            .filter_map(|r| {
                Some(ListedRepository {
                    name: r.repository_name()?.to_owned(),
                    registry_id: r.registry_id().unwrap_or_default().to_owned(),
                    uri: r.repository_uri().unwrap_or_default().to_owned(),
                })
            })
            .collect();
        repositories.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(RepositoryPage {
            repositories,
            next: output.next_token().map(str::to_owned),
        })
    }

    /// Which of `tags` exist in `repository` and the digest each points at, in the order of
    /// `tags`; with `image_tags`, every tag of each image too. See the module documentation
    /// for the calls. A repository deleted meanwhile has none.
    pub async fn find_tags(
        &self,
        repository: &RepositoryRef,
        tags: &[String],
        image_tags: bool,
    ) -> Result<Vec<FoundTag>, EcrError> {
        let selectors: Vec<ImageSelector> =
            tags.iter().map(|t| ImageSelector::Tag(t.clone())).collect();
        match self.describe(repository, &selectors).await {
            Ok(found) => Ok(found_tags(tags, &found)),
            Err(DescribeFailure::Other(EcrError::RepositoryNotFound { .. })) => Ok(Vec::new()),
            Err(DescribeFailure::Other(err)) => Err(err),
            Err(DescribeFailure::ImageMissing) if tags.len() == 1 => Ok(Vec::new()),
            Err(DescribeFailure::ImageMissing) => {
                let present = match self.present_tags(repository, tags).await {
                    Err(EcrError::RepositoryNotFound { .. }) => return Ok(Vec::new()),
                    other => other?,
                };
                if !image_tags || present.is_empty() {
                    return Ok(present);
                }
                // Every digest exists (the tags just pointed at them), so one call answers.
                let mut digests: Vec<ImageSelector> = Vec::new();
                for found in &present {
                    let selector = ImageSelector::Digest(found.digest.clone());
                    if !digests.contains(&selector) {
                        digests.push(selector);
                    }
                }
                let details = self
                    .describe(repository, &digests)
                    .await
                    .map_err(|failure| match failure {
                        DescribeFailure::Other(err) => err,
                        DescribeFailure::ImageMissing => EcrError::UnexpectedResponse {
                            operation: "DescribeImages",
                            detail: "an image disappeared while its tags were listed".to_owned(),
                        },
                    })?;
                let names: Vec<String> = present.iter().map(|f| f.tag.clone()).collect();
                let by_digest: Vec<Option<ImageDetails>> = present
                    .iter()
                    .map(|f| {
                        details
                            .iter()
                            .flatten()
                            .find(|d| d.digest == f.digest)
                            .cloned()
                    })
                    .collect();
                Ok(found_tags(&names, &by_digest))
            }
        }
    }

    /// Which of `tags` exist (one BatchGetImage: missing images are failures, not an error).
    async fn present_tags(
        &self,
        repository: &RepositoryRef,
        tags: &[String],
    ) -> Result<Vec<FoundTag>, EcrError> {
        let request = self
            .client
            .batch_get_image()
            .set_registry_id(repository.registry_id.clone())
            .repository_name(&repository.name)
            .set_image_ids(Some(
                tags.iter()
                    .map(|t| ImageIdentifier::builder().image_tag(t).build())
                    .collect(),
            ))
            .set_accepted_media_types(Some(
                MANIFEST_MEDIA_TYPES
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
            ));
        let output = call::send(Service::Ecr, "BatchGetImage", request.send())
            .await
            .map_err(|failed| failed.interpret(missing_repository(repository)))?;
        if let Some(failure) = output.failures().iter().find(|f| {
            f.failure_code() != Some(&ImageFailureCode::ImageTagDoesNotMatchDigest)
                && f.failure_code() != Some(&ImageFailureCode::ImageNotFound)
        }) {
            return Err(EcrError::UnexpectedResponse {
                operation: "BatchGetImage",
                detail: format!(
                    "{}: {}",
                    failure
                        .failure_code()
                        .map(|c| c.as_str())
                        .unwrap_or("failure"),
                    failure.failure_reason().unwrap_or_default()
                ),
            });
        }
        let mut present = Vec::new();
        for tag in tags {
            let image = output
                .images()
                .iter()
                .find(|i| i.image_id().and_then(|id| id.image_tag()) == Some(tag.as_str()));
            let Some(digest) = image.and_then(|i| i.image_id()?.image_digest()) else {
                continue;
            };
            let digest = Digest::parse(digest).map_err(|e| EcrError::UnexpectedResponse {
                operation: "BatchGetImage",
                detail: e.to_string(),
            })?;
            present.push(FoundTag {
                tag: tag.clone(),
                digest,
                image_tags: Vec::new(),
            });
        }
        Ok(present)
    }
}

/// The tags of `tags` whose image is in `found` (one entry per tag, in order).
fn found_tags(tags: &[String], found: &[Option<ImageDetails>]) -> Vec<FoundTag> {
    tags.iter()
        .zip(found)
        .filter_map(|(tag, image)| {
            let image = image.as_ref()?;
            Some(FoundTag {
                tag: tag.clone(),
                digest: image.digest.clone(),
                image_tags: image.tags.clone(),
            })
        })
        .collect()
}
