//! `data "tagdeploy_release_status"`: the RFC's `check.sh` for a release set. For each image,
//! the digest its environment tag points at, which digest every task of each of its services
//! runs, and the RFC 013 status of each service's recorded deployment; the image's status and
//! the set's, COMPLETE only when every part is.
//!
//! One read is one [`release_report`]: a [`crate::aws::report::task_digest_report`] per
//! service, all at once, through the provider process's shared clients (the services of one
//! cluster share their DescribeServices and DescribeTasks calls, an image's services one
//! DescribeImages).

use std::collections::BTreeMap;

use super::task_digests::{TaskModel, task_model};
use super::unless_stopped;
use crate::aws::image::RepositoryRef;
use crate::aws::release_report::{
    ImageReport, ImageRequest, ReleaseReport, ServiceReport, release_report,
};
use crate::errors::{self, Attributes};
use crate::model;
use crate::names;
use crate::provider_data::ProviderData;
use crate::resources::promotion::at_least_one_service;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostics};
use crate::tfplugin::framework::{Ctx, DataSource};
use crate::tfplugin::model::{Object, Set, Tf, computed, optional, optional_computed, required};
use crate::tfplugin::schema::{Schema, validators};
use crate::tfplugin::value::Value;

const SUMMARY: &str = "Read Release Status Error";

/// The data source.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReleaseStatus;

model! {
    /// The configuration and result of `data "tagdeploy_release_status"`.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ReleaseStatusModel {
        /// The environment tag whose digests the tasks are compared with. Defaults to `prod`.
        pub tag: Tf<String> => optional_computed()
            .default(Value::string("prod"))
            .validate(names::validators::tag()),
        /// The images of the release, by name. `tagdeploy_release.NAME.images` can be given as
        /// it is (its other attributes are ignored), so `deployments` are the ones the release
        /// recorded.
        pub images: Tf<BTreeMap<String, ImageStatusModel>> => required()
            .validate(validators::each_key(names::validators::image_name())),
        /// The identifier of this report: the tag and the image names, `prod:api,worker`.
        pub id: Option<String> => computed(),
        /// The release's RFC 013 status: `COMPLETE` only when every image is; otherwise the
        /// status of the image furthest from it (`IN_PROGRESS`, then `NOT_STABLE`, `RETIRING`,
        /// `RETIRED`, `DEAD`).
        pub status: Option<String> => computed(),
        /// Whether `status` is `COMPLETE`.
        pub complete: Option<bool> => computed(),
    }
}

model! {
    /// One image of the release to report on.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ImageStatusModel {
        /// The ECR repository the environment tag is looked up in.
        pub repository: Tf<String> => required().validate(names::validators::repository()),
        /// The AWS account id of the registry, when it is not the caller's own account.
        pub registry_id: Tf<String> => optional().validate(names::validators::account_id()),
        /// The ECS cluster (name or ARN) of the image's services.
        pub cluster: Tf<String> => required().validate(names::validators::cluster()),
        /// The ECS services (names or ARNs) that run the image. At least one.
        pub services: Tf<Set<String>> => required()
            .validate(at_least_one_service())
            .validate(validators::each(names::validators::service())),
        /// The container whose digest is reported. Defaults to the task's only container, or to
        /// the only container whose image is in `repository`.
        pub container: Tf<String> => optional().validate(validators::non_empty()),
        /// The deployment recorded for each service (e.g. `tagdeploy_release`'s
        /// `deployments`: service deployment ARNs; deployment ids `ecs-svc/…` are read too),
        /// whose RFC status is reported. A service without one is reported on its current
        /// service deployment.
        pub deployments: Tf<BTreeMap<String, String>> => optional(),
        /// The digest the environment tag points at now; null when no image carries the tag.
        pub env_digest: Option<String> => computed(),
        /// The image's RFC 013 status: `COMPLETE` only when every service is; otherwise the
        /// status of the service furthest from it.
        pub status: Option<String> => computed(),
        /// Whether `status` is `COMPLETE`.
        pub complete: Option<bool> => computed(),
        /// Each service's report, keyed as in `services`.
        pub service_reports: Option<BTreeMap<String, ServiceReportModel>> => computed(),
    }
}

model! {
    /// One service's report.
    #[derive(Debug, Clone, PartialEq)]
    pub struct ServiceReportModel {
        /// The deployment reported on: the recorded one, else the current service deployment
        /// (else the PRIMARY deployment, when ECS reports no service deployment).
        pub deployment_id: Option<String> => computed(),
        /// Its RFC 013 status: `COMPLETE` (the only deployment, running every desired task),
        /// `IN_PROGRESS`, `NOT_STABLE` (also when it is finished but a task runs another digest
        /// than the tag names), `RETIRING`, `RETIRED` or `DEAD`.
        pub status: String => computed(),
        /// Whether `status` is `COMPLETE`.
        pub complete: bool => computed(),
        /// Whether every task runs `env_digest` (false when there is no task).
        pub all_match: bool => computed(),
        /// Every task that is running or still draining, sorted by ARN.
        pub tasks: Vec<TaskModel> => computed(),
    }
}

impl DataSource for ReleaseStatus {
    type Data = ProviderData;
    type Model = ReleaseStatusModel;

    fn type_name(&self) -> &'static str {
        "tagdeploy_release_status"
    }

    fn schema(&self) -> Schema {
        ReleaseStatusModel::schema(0)
            .description("Reports, for a release set, which image digest every task of every image's Amazon ECS services runs against the digest the environment tag points at in that image's Amazon ECR repository, and the RFC 013 status of each service's recorded deployment, of each image and of the whole release (`COMPLETE` only when every image is): the `check.sh` of RFC 013 for `tagdeploy_release`.")
    }

    async fn read(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        config: ReleaseStatusModel,
    ) -> Result<ReleaseStatusModel, Diagnostics> {
        let clients = ctx.data().clients()?;
        let tag = config
            .tag
            .known()
            .cloned()
            .unwrap_or_else(|| "prod".to_owned());
        let requests = requests_from(&config);
        let ecr = clients.shared_ecr();
        let ecs = clients.shared_ecs();
        let report = unless_stopped(ctx, SUMMARY, release_report(&ecr, &ecs, &tag, &requests))
            .await?
            .map_err(|err| {
                let at = image_attributes(&err.image);
                Diagnostics::from(errors::report(SUMMARY, &err.error, &err.request, &at))
            })?;
        Ok(result(config, &tag, &report))
    }
}

/// The domain requests of a (wholly known) configuration.
fn requests_from(config: &ReleaseStatusModel) -> Vec<ImageRequest> {
    config
        .images
        .known()
        .into_iter()
        .flatten()
        .map(|(name, image)| ImageRequest {
            name: name.clone(),
            repository: RepositoryRef {
                name: image.repository.known().cloned().unwrap_or_default(),
                registry_id: image.registry_id.known().cloned(),
            },
            cluster: image.cluster.known().cloned().unwrap_or_default(),
            services: image
                .services
                .known()
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default(),
            container: image.container.known().cloned(),
            deployments: image.deployments.known().cloned().unwrap_or_default(),
        })
        .collect()
}

/// Where the attributes of image `name` are.
fn image_attributes(name: &str) -> Attributes {
    let image = AttributePath::attr(ReleaseStatusModel::images).then_key(name);
    Attributes::new()
        .repository(image.clone().then_attr(ImageStatusModel::repository))
        .registry_id(image.clone().then_attr(ImageStatusModel::registry_id))
        .cluster(image.clone().then_attr(ImageStatusModel::cluster))
        .services(image.clone().then_attr(ImageStatusModel::services))
        .container(image.then_attr(ImageStatusModel::container))
}

/// The data source's result: the configuration as given plus the report.
fn result(config: ReleaseStatusModel, tag: &str, report: &ReleaseReport) -> ReleaseStatusModel {
    let mut images = config.images.known().cloned().unwrap_or_default();
    for image in &report.images {
        if let Some(model) = images.get_mut(&image.name) {
            fill_image(model, image);
        }
    }
    let names: Vec<&str> = images.keys().map(String::as_str).collect();
    let status = report.status();
    ReleaseStatusModel {
        tag: Tf::Known(tag.to_owned()),
        id: Some(format!("{tag}:{}", names.join(","))),
        status: Some(status.to_string()),
        complete: Some(status == crate::aws::ecs::RfcStatus::Complete),
        images: Tf::Known(images),
    }
}

fn fill_image(model: &mut ImageStatusModel, image: &ImageReport) {
    let status = image.status();
    model.env_digest = image.env_digest.as_ref().map(ToString::to_string);
    model.status = Some(status.to_string());
    model.complete = Some(status == crate::aws::ecs::RfcStatus::Complete);
    model.service_reports = Some(
        image
            .services
            .iter()
            .map(|s| (s.service.clone(), service_model(s)))
            .collect(),
    );
}

fn service_model(service: &ServiceReport) -> ServiceReportModel {
    ServiceReportModel {
        deployment_id: service.deployment_id.clone(),
        status: service.status.to_string(),
        complete: service.complete(),
        all_match: service.report.all_match(),
        tasks: service.report.tasks.iter().map(task_model).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::framework::AnyDataSource;
    use crate::tfplugin::model::Model;

    fn image(services: &[&str]) -> Value {
        let mut value = ImageStatusModel::block().null_object();
        if let Value::Map(fields) = &mut value {
            fields.insert("repository".into(), Value::string("api"));
            fields.insert("cluster".into(), Value::string("main"));
            fields.insert(
                "services".into(),
                Value::List(services.iter().map(|s| Value::string(*s)).collect()),
            );
        }
        value
    }

    #[test]
    fn schema_is_valid_and_images_are_checked_where_they_are() {
        let schema = DataSource::schema(&ReleaseStatus);
        assert_eq!(schema.check(), Ok(()));
        let mut config = schema.null_object();
        if let Value::Map(fields) = &mut config {
            fields.insert(
                "images".into(),
                Value::object([("api", image(&[])), ("a b", image(&["api"]))]),
            );
        }
        let mut diags = schema.validate(&config);
        diags.extend(AnyDataSource::validate(&ReleaseStatus, &config));
        let paths: Vec<String> = diags
            .iter()
            .map(|d| d.attribute.clone().unwrap_or_default().to_string())
            .collect();
        assert_eq!(paths, ["images[\"a b\"]", "images[\"api\"].services"]);
        let model = ReleaseStatusModel::from_value(&config).expect("a model");
        assert_eq!(requests_from(&model).len(), 2);
    }
}
