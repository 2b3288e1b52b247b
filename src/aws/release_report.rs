//! The report of a release set: for each image, the digest report of every service (which
//! digest each task runs against the environment tag) and the RFC 013 status of its recorded
//! deployment; each image's status and the set's, COMPLETE only when every part is.

use std::collections::BTreeMap;

use futures::future::join_all;

use super::ecr::Ecr;
use super::ecs::{Ecs, RfcStatus};
use super::image::{Digest, RepositoryRef};
use super::report::{DigestReport, ReportError, ReportRequest, task_digest_report};

/// One image of the set to report on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRequest {
    /// The image's name in the set.
    pub name: String,
    /// Its repository.
    pub repository: RepositoryRef,
    /// Its services' cluster.
    pub cluster: String,
    /// Its services.
    pub services: Vec<String>,
    /// The container to look at (by default the only one, or the one whose image is in the
    /// repository).
    pub container: Option<String>,
    /// The deployment recorded for each service (a service deployment ARN, or a deployment id
    /// `ecs-svc/…`), whose status is reported; a service without one is reported on its
    /// current service deployment (else its PRIMARY deployment).
    pub deployments: BTreeMap<String, String>,
}

/// One service of an image.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceReport {
    /// The service, as asked.
    pub service: String,
    /// The deployment reported on (the recorded one, else the current service deployment, else
    /// the PRIMARY deployment; `None` when there is none).
    pub deployment_id: Option<String>,
    /// Its RFC status; NOT_STABLE also when the deployment is finished but a task runs
    /// another digest than the tag names (the tag moved without a deployment).
    pub status: RfcStatus,
    /// The digest report.
    pub report: DigestReport,
}

impl ServiceReport {
    /// COMPLETE, and every task runs the tag's digest.
    pub fn complete(&self) -> bool {
        self.status == RfcStatus::Complete
    }
}

/// One image of the set.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageReport {
    /// Its name.
    pub name: String,
    /// What the tag points at (`None` when no image carries it).
    pub env_digest: Option<Digest>,
    /// Every service, in the order asked.
    pub services: Vec<ServiceReport>,
}

impl ImageReport {
    /// The least advanced status of its services (COMPLETE only when every one is).
    pub fn status(&self) -> RfcStatus {
        least_advanced(self.services.iter().map(|s| s.status))
    }
}

/// The set.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseReport {
    /// Every image, in the order asked.
    pub images: Vec<ImageReport>,
}

impl ReleaseReport {
    /// The least advanced status of its images (COMPLETE only when every one is).
    pub fn status(&self) -> RfcStatus {
        least_advanced(self.images.iter().map(ImageReport::status))
    }
}

/// An image's report failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("image {image}: {error}")]
pub struct ImageReportError {
    /// The image.
    pub image: String,
    /// Its service's report request that failed.
    pub request: ReportRequest,
    /// What failed.
    pub error: ReportError,
}

/// The status furthest from COMPLETE: a recorded deployment gone (DEAD) or replaced (RETIRED,
/// RETIRING) is worse than one still unsettled (NOT_STABLE) or rolling out (IN_PROGRESS).
fn least_advanced(statuses: impl Iterator<Item = RfcStatus>) -> RfcStatus {
    let rank = |s: &RfcStatus| match s {
        RfcStatus::Complete => 0,
        RfcStatus::InProgress => 1,
        RfcStatus::NotStable => 2,
        RfcStatus::Retiring => 3,
        RfcStatus::Retired => 4,
        RfcStatus::Dead => 5,
    };
    statuses.max_by_key(rank).unwrap_or(RfcStatus::Complete)
}

/// Reports on every image of a set with environment tag `tag`: one [`task_digest_report`] per
/// service, all at once (through shared clients, the services of one cluster share their
/// DescribeServices and DescribeTasks calls, and an image's services one DescribeImages).
pub async fn release_report(
    ecr: &Ecr,
    ecs: &Ecs,
    tag: &str,
    images: &[ImageRequest],
) -> Result<ReleaseReport, ImageReportError> {
    let requests: Vec<(usize, ReportRequest)> = images
        .iter()
        .enumerate()
        .flat_map(|(i, image)| {
            image.services.iter().map(move |service| {
                (
                    i,
                    ReportRequest {
                        cluster: image.cluster.clone(),
                        service: service.clone(),
                        tag: tag.to_owned(),
                        repository: Some(image.repository.clone()),
                        container: image.container.clone(),
                        deployment_id: image.deployments.get(service).cloned(),
                    },
                )
            })
        })
        .collect();
    let reports = join_all(
        requests
            .iter()
            .map(|(_, request)| task_digest_report(ecr, ecs, request)),
    )
    .await;
    let mut out: Vec<ImageReport> = images
        .iter()
        .map(|image| ImageReport {
            name: image.name.clone(),
            env_digest: None,
            services: Vec::new(),
        })
        .collect();
    for ((i, request), report) in requests.into_iter().zip(reports) {
        let image = &images[i];
        let report = report.map_err(|error| ImageReportError {
            image: image.name.clone(),
            request: request.clone(),
            error,
        })?;
        // Without a recorded deployment: the service's current service deployment, else its
        // PRIMARY deployment (ECS reports no service deployments for it).
        let deployment_id = request
            .deployment_id
            .clone()
            .or_else(|| report.service.current_service_deployment.clone())
            .or_else(|| report.service.primary().map(|d| d.id.clone()));
        let status = match &deployment_id {
            None => RfcStatus::Dead,
            Some(id) => match report.rfc_status(id) {
                RfcStatus::Complete if !report.all_match() => RfcStatus::NotStable,
                status => status,
            },
        };
        out[i].env_digest.clone_from(&report.env_digest);
        out[i].services.push(ServiceReport {
            service: request.service,
            deployment_id,
            status,
            report,
        });
    }
    Ok(ReleaseReport { images: out })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_advanced_status_wins_and_complete_needs_every_one() {
        use RfcStatus::*;
        assert_eq!(least_advanced([Complete, Complete].into_iter()), Complete);
        assert_eq!(
            least_advanced([Complete, InProgress].into_iter()),
            InProgress
        );
        assert_eq!(
            least_advanced([InProgress, NotStable, Complete].into_iter()),
            NotStable
        );
        assert_eq!(least_advanced([Retired, Retiring].into_iter()), Retired);
        assert_eq!(
            least_advanced([Complete, Dead, InProgress].into_iter()),
            Dead
        );
    }
}
