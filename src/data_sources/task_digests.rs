//! `data "tagdeploy_task_digests"`: the RFC's `check.sh` as data. Which digest the environment
//! tag points at, which digest every running (or still draining) task of a service runs, the
//! service's deployments, and the RFC status of one recorded deployment.
//!
//! One read is one [`task_digest_report`]: DescribeServices, ListTasks twice (RUNNING, and
//! STOPPED for draining tasks), DescribeTasks per 100 tasks and DescribeImages (plus
//! DescribeTaskDefinition only when the service has no task to read the image from). The reads
//! go through the provider process's shared clients, so concurrent reads (Terraform reads ten
//! data sources at a time) share their DescribeServices, DescribeTasks and DescribeImages calls
//! (see [`crate::aws::coalesce`]); the two ListTasks calls stay per service.

use std::collections::BTreeMap;

use crate::aws::ecs::DeploymentState;
use crate::aws::image::RepositoryRef;
use crate::aws::report::{
    DigestReport, ReportError, ReportRequest, TaskDigest, task_digest_report,
};
use crate::errors::{self, Attributes};
use crate::names;
use crate::provider::ProviderData;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::{Ctx, DataSource};
use crate::tfplugin::schema::{Attribute, Presence, Schema, validators};
use crate::tfplugin::value::{Type, Value};

use super::{config_str, int, is_set_and_known, non_empty_string, opt_string};

/// The environment tag looked up when `tag` is not set.
pub const DEFAULT_TAG: &str = "prod";

const SUMMARY: &str = "Read Task Digests Error";

/// The data source.
#[derive(Debug, Default, Clone, Copy)]
pub struct TaskDigests;

/// The fields of one element of `tasks`.
const TASK_FIELDS: [(&str, Type); 7] = [
    ("task_arn", Type::String),
    ("container", Type::String),
    ("digest", Type::String),
    ("matches", Type::Bool),
    ("last_status", Type::String),
    ("desired_status", Type::String),
    ("deployment_id", Type::String),
];

/// The fields of one element of `deployments`.
const DEPLOYMENT_FIELDS: [(&str, Type); 10] = [
    ("id", Type::String),
    ("status", Type::String),
    ("rollout_state", Type::String),
    ("rollout_state_reason", Type::String),
    ("task_definition", Type::String),
    ("desired_count", Type::Number),
    ("running_count", Type::Number),
    ("pending_count", Type::Number),
    ("failed_tasks", Type::Number),
    ("created_at", Type::String),
];

fn list_of_objects(fields: &[(&str, Type)]) -> Type {
    let fields: BTreeMap<String, Type> = fields
        .iter()
        .map(|(name, ty)| ((*name).to_owned(), ty.clone()))
        .collect();
    Type::List(Box::new(Type::Object(fields)))
}

impl DataSource for TaskDigests {
    type Data = ProviderData;

    fn type_name(&self) -> &'static str {
        "tagdeploy_task_digests"
    }

    fn schema(&self) -> Schema {
        Schema::new(0)
            .description("Reports which image digest every task of an Amazon ECS service runs, against the digest the environment tag points at in Amazon ECR: the `check.sh` of RFC 013 as data. Tasks that are still draining (desired status `STOPPED`, last status not yet `STOPPED`) are listed too. While a rolling deployment is under way both digests are visible; `complete` says when the release is done.")
            .attribute(
                Attribute::string("cluster", Presence::Required)
                    .description("The name or ARN of the ECS cluster that runs the service.")
                    .validate(validators::non_empty()),
            )
            .attribute(
                Attribute::string("service", Presence::Required)
                    .description("The name or ARN of the ECS service to report on.")
                    .validate(validators::non_empty()),
            )
            .attribute(
                Attribute::string("tag", Presence::OptionalComputed)
                    .description("The environment tag whose digest the tasks are compared with. Defaults to `prod`.")
                    .default(Value::string(DEFAULT_TAG))
                    .validate(names::validators::tag()),
            )
            .attribute(
                Attribute::string("repository", Presence::OptionalComputed)
                    .description("The ECR repository the environment tag is looked up in. Defaults to the repository of the reported container's image; after the read it holds the repository that was used.")
                    .validate(names::validators::repository()),
            )
            .attribute(
                Attribute::string("registry_id", Presence::Optional)
                    .description("The AWS account id of the registry that holds `repository`, when it is not the caller's own account. Requires `repository`.")
                    .validate(names::validators::account_id()),
            )
            .attribute(
                Attribute::string("container", Presence::OptionalComputed)
                    .description("The name of the container whose digest is reported. Defaults to the task's only container, or to the only container whose image is in `repository`; after the read it holds the container that was used.")
                    .validate(validators::non_empty()),
            )
            .attribute(
                Attribute::string("deployment_id", Presence::Optional)
                    .description("The id of a deployment to report the RFC 013 status of in `status`, e.g. one recorded by `tagdeploy_prod_tag` (`ecs-svc/1234567890123456789`).")
                    .validate(validators::non_empty()),
            )
            .attribute(
                Attribute::string("id", Presence::Computed)
                    .description("The identifier of this report: `<cluster>/<service>`."),
            )
            .attribute(
                Attribute::string("env_digest", Presence::Computed)
                    .description("The digest (`sha256:…`) the environment tag points at now; null when no image carries the tag."),
            )
            .attribute(
                Attribute::new("tasks", list_of_objects(&TASK_FIELDS), Presence::Computed)
                    .description("Every task of the service that is running or still draining, sorted by ARN. Each has `task_arn`; `container` (the container looked at); `digest` (the digest the container runs, null until ECS has resolved it); `matches` (whether `digest` is `env_digest`); `last_status` and `desired_status` (`desired_status` is `STOPPED` while a task drains); and `deployment_id` (the deployment that started the task, from `startedBy`)."),
            )
            .attribute(
                Attribute::bool("all_match", Presence::Computed)
                    .description("Whether every listed task runs `env_digest`. False when the service has no task or the tag does not exist."),
            )
            .attribute(
                Attribute::new("deployments", list_of_objects(&DEPLOYMENT_FIELDS), Presence::Computed)
                    .description("The service's deployments as ECS lists them. Each has `id`; `status` (`PRIMARY`, `ACTIVE` or `INACTIVE`); `rollout_state` (`IN_PROGRESS`, `COMPLETED` or `FAILED`) and `rollout_state_reason`; `task_definition` (ARN); `desired_count`, `running_count`, `pending_count` and `failed_tasks`; and `created_at` (RFC 3339)."),
            )
            .attribute(
                Attribute::bool("complete", Presence::Computed)
                    .description("Whether the release is done: the service has exactly one deployment, its rollout is `COMPLETED`, it runs as many tasks as desired, and every task runs `env_digest`."),
            )
            .attribute(
                Attribute::string("status", Presence::Computed)
                    .description("The RFC 013 status of `deployment_id`: `COMPLETE` (the only deployment, running every desired task), `IN_PROGRESS` (the primary deployment while older ones still run), `NOT_STABLE` (the only deployment, running fewer or more tasks than desired), `RETIRING` (replaced, its tasks still stopping), `RETIRED` (replaced and drained) or `DEAD` (no longer listed by ECS). Null when `deployment_id` is not set."),
            )
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if is_set_and_known(config, "registry_id") && config.attr("repository").is_null() {
            diags.push(
                Diagnostic::error(
                    "Missing Repository",
                    "`registry_id` names the registry of `repository`; set `repository` too (without it, the repository and its registry come from the service's container image).",
                )
                .at(AttributePath::attr("registry_id")),
            );
        }
        diags
    }

    async fn read(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        config: &Value,
    ) -> Result<Value, Diagnostics> {
        let clients = ctx.data().clients()?;
        let request = request_from(config);
        // The shared clients: concurrent reads of this process share their calls.
        let ecr = clients.shared_ecr();
        let ecs = clients.shared_ecs();
        let cancel = ctx.cancellation().clone();
        let report = tokio::select! {
            report = task_digest_report(&ecr, &ecs, &request) => report,
            () = cancel.cancelled() => return Err(errors::cancelled(SUMMARY).into()),
        };
        let report = report.map_err(|err| report_diagnostic(&err, &request))?;
        Ok(to_value(
            &request,
            config_str(config, "deployment_id").as_deref(),
            config.attr("registry_id"),
            &report,
        ))
    }
}

/// The domain request a (wholly known) configuration asks for.
fn request_from(config: &Value) -> ReportRequest {
    ReportRequest {
        cluster: config_str(config, "cluster").unwrap_or_default(),
        service: config_str(config, "service").unwrap_or_default(),
        tag: config_str(config, "tag").unwrap_or_else(|| DEFAULT_TAG.to_owned()),
        repository: config_str(config, "repository").map(|name| RepositoryRef {
            name,
            registry_id: config_str(config, "registry_id"),
        }),
        container: config_str(config, "container"),
    }
}

/// A failed report as a diagnostic on the attribute at fault.
fn report_diagnostic(err: &ReportError, request: &ReportRequest) -> Diagnostic {
    let at = Attributes::new()
        .repository(AttributePath::attr("repository"))
        .registry_id(AttributePath::attr("registry_id"))
        .cluster(AttributePath::attr("cluster"))
        .services(AttributePath::attr("service"))
        .container(AttributePath::attr("container"));
    errors::report(SUMMARY, err, request, &at)
}

/// The data source's value: the configuration as given (defaults filled in) plus the report.
fn to_value(
    request: &ReportRequest,
    deployment_id: Option<&str>,
    registry_id: &Value,
    report: &DigestReport,
) -> Value {
    let env_digest = report.env_digest.as_ref().map(|d| d.as_str());
    Value::object([
        ("cluster", Value::string(&request.cluster)),
        ("service", Value::string(&request.service)),
        ("tag", Value::string(&request.tag)),
        ("repository", Value::string(&report.repository.name)),
        ("registry_id", registry_id.clone()),
        ("container", Value::string(&report.container)),
        ("deployment_id", opt_string(deployment_id)),
        (
            "id",
            Value::string(format!("{}/{}", request.cluster, request.service)),
        ),
        ("env_digest", opt_string(env_digest)),
        (
            "tasks",
            Value::List(report.tasks.iter().map(task_value).collect()),
        ),
        ("all_match", Value::Bool(report.all_match())),
        (
            "deployments",
            Value::List(
                report
                    .service
                    .deployments
                    .iter()
                    .map(deployment_value)
                    .collect(),
            ),
        ),
        ("complete", Value::Bool(report.complete())),
        (
            "status",
            opt_string(deployment_id.map(|id| report.service.rfc_status(id).as_str())),
        ),
    ])
}

fn task_value(task: &TaskDigest) -> Value {
    Value::object([
        ("task_arn", Value::string(&task.task_arn)),
        ("container", Value::string(&task.container)),
        ("digest", opt_string(task.digest.as_deref())),
        ("matches", Value::Bool(task.matches)),
        ("last_status", Value::string(task.last_status.as_str())),
        (
            "desired_status",
            Value::string(task.desired_status.as_str()),
        ),
        ("deployment_id", non_empty_string(&task.deployment_id)),
    ])
}

fn deployment_value(d: &DeploymentState) -> Value {
    Value::object([
        ("id", Value::string(&d.id)),
        ("status", Value::string(d.status.as_str())),
        (
            "rollout_state",
            opt_string(d.rollout_state.as_ref().map(|s| s.as_str())),
        ),
        (
            "rollout_state_reason",
            non_empty_string(&d.rollout_state_reason),
        ),
        ("task_definition", Value::string(&d.task_definition)),
        ("desired_count", int(d.desired_count)),
        ("running_count", int(d.running_count)),
        ("pending_count", int(d.pending_count)),
        ("failed_tasks", int(d.failed_tasks)),
        ("created_at", non_empty_string(&d.created_at)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ecs::ServiceState;
    use crate::aws::error::{EcrError, EcsError};
    use crate::aws::image::Digest;

    fn digest(c: char) -> Digest {
        Digest::parse(&format!("sha256:{}", c.to_string().repeat(64))).expect("valid digest")
    }

    fn deployment(id: &str, status: &str, rollout: &str, running: i32) -> DeploymentState {
        DeploymentState {
            id: id.into(),
            status: status.into(),
            rollout_state: (!rollout.is_empty()).then(|| rollout.into()),
            rollout_state_reason: String::new(),
            task_definition: "arn:aws:ecs:us-east-1:123456789012:task-definition/example:1".into(),
            desired_count: 2,
            running_count: running,
            pending_count: 0,
            failed_tasks: 0,
            created_at: "2024-06-01T12:00:00Z".into(),
        }
    }

    fn task(arn: &str, digest: Option<&Digest>, matches: bool, deployment: &str) -> TaskDigest {
        TaskDigest {
            task_arn: arn.into(),
            container: "app".into(),
            digest: digest.map(|d| d.to_string()),
            matches,
            last_status: "RUNNING".into(),
            desired_status: "RUNNING".into(),
            deployment_id: deployment.into(),
        }
    }

    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut base = TaskDigests.schema().null_object();
        if let Value::Map(fields) = &mut base {
            for (k, v) in pairs {
                fields.insert((*k).to_owned(), v.clone());
            }
        }
        base
    }

    fn mid_rollout() -> DigestReport {
        let (old, new) = (digest('1'), digest('2'));
        DigestReport {
            repository: RepositoryRef::new("example"),
            container: "app".into(),
            env_digest: Some(new.clone()),
            tasks: vec![
                task("arn:task/a", Some(&old), false, "ecs-svc/1"),
                task("arn:task/b", Some(&new), true, "ecs-svc/2"),
                task("arn:task/c", None, false, "ecs-svc/2"),
            ],
            service: ServiceState {
                name: "example".into(),
                arn: "arn:service/example".into(),
                status: "ACTIVE".into(),
                desired_count: 2,
                running_count: 2,
                task_definition: "td".into(),
                deployments: vec![
                    deployment("ecs-svc/2", "PRIMARY", "IN_PROGRESS", 1),
                    deployment("ecs-svc/1", "ACTIVE", "", 1),
                ],
            },
        }
    }

    #[test]
    fn schema_is_valid_and_documented() {
        let schema = TaskDigests.schema();
        assert!(schema.check().is_ok());
        for a in schema.root().attributes() {
            assert!(
                a.description.ends_with('.'),
                "{} lacks a sentence",
                a.name()
            );
        }
    }

    #[test]
    fn value_has_every_attribute_with_the_schema_types() {
        let request = request_from(&config(&[
            ("cluster", Value::string("example")),
            ("service", Value::string("example")),
        ]));
        let value = to_value(&request, Some("ecs-svc/2"), &Value::Null, &mid_rollout());
        let Value::Map(fields) = &value else {
            panic!("not an object")
        };
        let Type::Object(types) = TaskDigests.schema().implied_type() else {
            panic!("schema is not an object")
        };
        assert_eq!(
            fields.keys().collect::<Vec<_>>(),
            types.keys().collect::<Vec<_>>()
        );
        assert_eq!(value.attr("id"), &Value::string("example/example"));
        assert_eq!(value.attr("tag"), &Value::string(DEFAULT_TAG));
        assert_eq!(value.attr("repository"), &Value::string("example"));
        assert_eq!(value.attr("container"), &Value::string("app"));
        assert_eq!(value.attr("all_match"), &Value::Bool(false));
        assert_eq!(value.attr("complete"), &Value::Bool(false));
        assert_eq!(value.attr("status"), &Value::string("IN_PROGRESS"));
        let tasks = value.attr("tasks").elements();
        assert_eq!(tasks.len(), 3);
        assert_eq!(tasks[2].attr("digest"), &Value::Null);
        assert_eq!(tasks[1].attr("matches"), &Value::Bool(true));
        assert_eq!(tasks[0].attr("deployment_id"), &Value::string("ecs-svc/1"));
        let deployments = value.attr("deployments").elements();
        assert_eq!(deployments[0].attr("running_count"), &int(1));
        // ECS leaves these out for an ACTIVE deployment: null, not "".
        assert_eq!(deployments[1].attr("rollout_state"), &Value::Null);
        assert_eq!(deployments[1].attr("rollout_state_reason"), &Value::Null);
        for task in tasks {
            let Value::Map(f) = task else { panic!() };
            assert_eq!(f.len(), TASK_FIELDS.len());
        }
    }

    #[test]
    fn status_is_null_without_deployment_id() {
        let request = request_from(&config(&[
            ("cluster", Value::string("c")),
            ("service", Value::string("s")),
        ]));
        let value = to_value(&request, None, &Value::Null, &mid_rollout());
        assert_eq!(value.attr("status"), &Value::Null);
        assert_eq!(value.attr("deployment_id"), &Value::Null);
        let value = to_value(&request, Some("ecs-svc/0"), &Value::Null, &mid_rollout());
        assert_eq!(value.attr("status"), &Value::string("DEAD"));
    }

    #[test]
    fn request_keeps_configured_values() {
        let request = request_from(&config(&[
            ("cluster", Value::string("c")),
            ("service", Value::string("s")),
            ("tag", Value::string("stage")),
            ("repository", Value::string("team/app")),
            ("registry_id", Value::string("210987654321")),
            ("container", Value::string("web")),
        ]));
        assert_eq!(request.tag, "stage");
        assert_eq!(
            request.repository,
            Some(RepositoryRef {
                name: "team/app".into(),
                registry_id: Some("210987654321".into())
            })
        );
        assert_eq!(request.container.as_deref(), Some("web"));
    }

    #[test]
    fn validation_points_at_the_attribute() {
        let bad = config(&[
            ("cluster", Value::string("")),
            ("service", Value::string("s")),
            ("tag", Value::string("-x")),
            ("repository", Value::string("Bad")),
            ("registry_id", Value::string("1")),
        ]);
        let mut diags = TaskDigests.schema().validate(&bad);
        diags.extend(TaskDigests.validate(&bad));
        let paths: Vec<String> = diags
            .iter()
            .map(|d| d.attribute.clone().unwrap_or_default().to_string())
            .collect();
        assert_eq!(paths, ["cluster", "tag", "repository", "registry_id"]);
        let lone_registry = config(&[("registry_id", Value::string("123456789012"))]);
        let diags = TaskDigests.validate(&lone_registry);
        assert!(diags.has_errors());
        // Unknown repository: may still be set, no error yet.
        let unknown = config(&[
            ("registry_id", Value::string("123456789012")),
            ("repository", Value::Unknown),
        ]);
        assert!(TaskDigests.validate(&unknown).is_empty());
    }

    #[test]
    fn report_errors_point_at_the_attribute() {
        let request = request_from(&config(&[]));
        let path = |e: ReportError| {
            report_diagnostic(&e, &request)
                .attribute
                .map(|p| p.to_string())
        };
        assert_eq!(
            path(ReportError::Container("two containers".into())).as_deref(),
            Some("container")
        );
        assert_eq!(
            path(ReportError::Repository {
                image: "nginx".into()
            })
            .as_deref(),
            Some("repository")
        );
        assert_eq!(
            path(ReportError::Ecs(EcsError::ClusterNotFound {
                cluster: "c".into()
            }))
            .as_deref(),
            Some("cluster")
        );
        let derived = report_diagnostic(
            &ReportError::Ecr(EcrError::RepositoryNotFound {
                repository: RepositoryRef::new("gone"),
            }),
            &request,
        );
        assert_eq!(derived.attribute, Some(AttributePath::attr("repository")));
        assert!(derived.detail.contains("taken from the image"), "{derived}");
    }
}
