//! `data "tagdeploy_task_digests"`: the RFC's `check.sh` as data. Which digest the environment
//! tag points at, which digest every running (or still draining) task of a service runs, the
//! service's deployments, its service deployment (status, lifecycle stage, strategy, traffic,
//! monitors, paused hooks), and the RFC status of one recorded deployment.
//!
//! One read is one [`task_digest_report`]: DescribeServices, ListTasks twice (RUNNING, and
//! STOPPED for draining tasks), DescribeTasks per 100 tasks, one DescribeServiceDeployments and
//! DescribeImages (plus DescribeTaskDefinition only when the service has no task to read the
//! image from). The reads
//! go through the provider process's shared clients, so concurrent reads (Terraform reads ten
//! data sources at a time) share their DescribeServices, DescribeTasks and DescribeImages calls
//! (see [`crate::aws::coalesce`]); the two ListTasks calls stay per service.

use crate::aws::ecs::{DeploymentState, ServiceDeploymentState};
use crate::aws::report::{
    DigestReport, ReportError, ReportRequest, TaskDigest, task_digest_report,
};
use crate::errors::{self, Attributes};
use crate::model;
use crate::names;
use crate::provider_data::ProviderData;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::{Ctx, DataSource};
use crate::tfplugin::model::{Object, Tf, computed, optional, optional_computed, required};
use crate::tfplugin::schema::{Schema, validators};
use crate::tfplugin::value::{Number, Value};

use super::{repository_ref, unless_stopped};

/// The environment tag looked up when `tag` is not set.
pub const DEFAULT_TAG: &str = "prod";

const SUMMARY: &str = "Read Task Digests Error";

/// The data source.
#[derive(Debug, Default, Clone, Copy)]
pub struct TaskDigests;

model! {
    /// The configuration and result of `data "tagdeploy_task_digests"`.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct TaskDigestsModel {
        /// The name or ARN of the ECS cluster that runs the service.
        pub cluster: Tf<String> => required().validate(names::validators::cluster()),
        /// The name or ARN of the ECS service to report on.
        pub service: Tf<String> => required().validate(names::validators::service()),
        /// The environment tag whose digest the tasks are compared with. Defaults to `prod`.
        pub tag: Tf<String> => optional_computed()
            .default(Value::string(DEFAULT_TAG))
            .validate(names::validators::tag()),
        /// The ECR repository the environment tag is looked up in. Defaults to the repository
        /// of the reported container's image; after the read it holds the repository that was
        /// used.
        pub repository: Tf<String> => optional_computed().validate(names::validators::repository()),
        /// The AWS account id of the registry that holds `repository`, when it is not the
        /// caller's own account. Requires `repository`.
        pub registry_id: Tf<String> => optional().validate(names::validators::account_id()),
        /// The name of the container whose digest is reported. Defaults to the task's only
        /// container, or to the only container whose image is in `repository`; after the read it
        /// holds the container that was used.
        pub container: Tf<String> => optional_computed().validate(validators::non_empty()),
        /// A deployment to report the RFC 013 status of in `status`: a service deployment ARN,
        /// e.g. one recorded by `tagdeploy_prod_tag` in `deployments`
        /// (`arn:aws:ecs:…:service-deployment/<cluster>/<service>/…`), which `service_deployment`
        /// then describes; or a deployment id from the service's `deployments`
        /// (`ecs-svc/1234567890123456789`).
        pub deployment_id: Tf<String> => optional().validate(validators::non_empty()),
        /// The identifier of this report: `<cluster>/<service>`.
        pub id: Option<String> => computed(),
        /// The digest (`sha256:…`) the environment tag points at now; null when no image carries
        /// the tag.
        pub env_digest: Option<String> => computed(),
        /// Every task of the service that is running or still draining (desired status
        /// `STOPPED`, last status not yet `STOPPED`), sorted by ARN.
        pub tasks: Option<Vec<TaskModel>> => computed(),
        /// Whether every listed task runs `env_digest`. False when the service has no task or
        /// the tag does not exist.
        pub all_match: Option<bool> => computed(),
        /// The service's deployments as ECS lists them.
        pub deployments: Option<Vec<DeploymentModel>> => computed(),
        /// Whether the release is done: the service has exactly one deployment, its rollout is
        /// `COMPLETED`, it runs as many tasks as desired, every task runs `env_digest`, and its
        /// current service deployment (when ECS reports one) is `SUCCESSFUL`.
        pub complete: Option<bool> => computed(),
        /// The RFC 013 status of `deployment_id`. For a deployment id: `COMPLETE` (the only
        /// deployment, running every desired task), `IN_PROGRESS` (the primary deployment while
        /// older ones still run), `NOT_STABLE` (the only deployment, running fewer or more tasks
        /// than desired), `RETIRING` (replaced, its tasks still stopping), `RETIRED` (replaced
        /// and drained) or `DEAD` (no longer listed by ECS). For a service deployment ARN, from
        /// its status: `IN_PROGRESS` while `PENDING` or `IN_PROGRESS`; once `SUCCESSFUL`,
        /// `COMPLETE` (or `NOT_STABLE` while the service runs more or fewer tasks than desired)
        /// as long as it is the service's current one, then `RETIRING` while the service still
        /// lists older deployments and `RETIRED`; `RETIRING` while ECS rolls it back or stops
        /// it; `DEAD` once rolled back or stopped, or when ECS does not know it. Null when
        /// `deployment_id` is not set.
        pub status: Option<String> => computed(),
        /// The service deployment of `deployment_id` when that is a service deployment ARN,
        /// else the service's current one; null when ECS reports none.
        pub service_deployment: Option<ServiceDeploymentModel> => computed(),
    }
}

model! {
    /// The `service_deployment` attribute.
    #[derive(Debug, Clone, PartialEq)]
    pub struct ServiceDeploymentModel {
        /// The service deployment's ARN.
        pub arn: String => computed(),
        /// `PENDING`, `IN_PROGRESS`, `SUCCESSFUL`, `STOP_REQUESTED`, `STOPPED`,
        /// `ROLLBACK_REQUESTED`, `ROLLBACK_IN_PROGRESS`, `ROLLBACK_SUCCESSFUL` or
        /// `ROLLBACK_FAILED`.
        pub status: String => computed(),
        /// Why it is in that status.
        pub status_reason: Option<String> => computed(),
        /// The RFC 013 status it maps onto (see `status` of the data source).
        pub rfc_status: String => computed(),
        /// The lifecycle stage it is at while it runs (e.g. `SCALE_UP`, `BAKE_TIME`); null once
        /// it ended.
        pub lifecycle_stage: Option<String> => computed(),
        /// Its strategy: `ROLLING`, `BLUE_GREEN`, `LINEAR` or `CANARY`.
        pub strategy: String => computed(),
        /// The ARN of the service revision it deploys.
        pub target_revision_arn: Option<String> => computed(),
        /// Tasks of the target revision that run.
        pub running_count: i64 => computed(),
        /// Tasks of the target revision that are starting.
        pub pending_count: i64 => computed(),
        /// Tasks the target revision asks for.
        pub requested_count: i64 => computed(),
        /// The percent of production traffic the target revision gets (strategies that shift
        /// traffic; null for `ROLLING`).
        pub production_traffic_weight: Option<Number> => computed(),
        /// The percent of test traffic the target revision gets (strategies that shift
        /// traffic; null for `ROLLING`).
        pub test_traffic_weight: Option<Number> => computed(),
        /// Why it rolled back, when it did.
        pub rollback_reason: Option<String> => computed(),
        /// The circuit breaker: `TRIGGERED`, `MONITORING`, `MONITORING_COMPLETE` or `DISABLED`.
        pub circuit_breaker_status: Option<String> => computed(),
        /// The CloudWatch alarms watched: `TRIGGERED`, `MONITORING`, `MONITORING_COMPLETE` or
        /// `DISABLED`.
        pub alarms_status: Option<String> => computed(),
        /// The alarms that fired during the deployment.
        pub triggered_alarms: Vec<String> => computed(),
        /// The ids of the `PAUSE` lifecycle hooks that await an action
        /// (ContinueServiceDeployment); empty when it is not paused.
        pub paused_hooks: Vec<String> => computed(),
    }
}

model! {
    /// One element of `tasks`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct TaskModel {
        /// The task's ARN.
        pub task_arn: String => computed(),
        /// The container looked at.
        pub container: String => computed(),
        /// The digest the container runs; null until ECS has resolved it.
        pub digest: Option<String> => computed(),
        /// Whether `digest` is `env_digest`.
        pub matches: bool => computed(),
        /// The task's last status, e.g. `RUNNING`.
        pub last_status: String => computed(),
        /// The task's desired status: `STOPPED` while it drains.
        pub desired_status: String => computed(),
        /// The deployment that started the task (from `startedBy`).
        pub deployment_id: Option<String> => computed(),
    }
}

model! {
    /// One element of `deployments`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct DeploymentModel {
        /// The deployment id, `ecs-svc/…`.
        pub id: String => computed(),
        /// `PRIMARY`, `ACTIVE` or `INACTIVE`.
        pub status: String => computed(),
        /// `IN_PROGRESS`, `COMPLETED` or `FAILED`; null when ECS reports none.
        pub rollout_state: Option<String> => computed(),
        /// Why the rollout is in that state.
        pub rollout_state_reason: Option<String> => computed(),
        /// The deployment's task definition ARN.
        pub task_definition: String => computed(),
        /// Tasks the deployment wants.
        pub desired_count: i64 => computed(),
        /// Tasks of the deployment that are running.
        pub running_count: i64 => computed(),
        /// Tasks of the deployment that are starting.
        pub pending_count: i64 => computed(),
        /// Tasks of the deployment that failed to start.
        pub failed_tasks: i64 => computed(),
        /// When the deployment was created (RFC 3339).
        pub created_at: Option<String> => computed(),
    }
}

impl DataSource for TaskDigests {
    type Data = ProviderData;
    type Model = TaskDigestsModel;

    fn type_name(&self) -> &'static str {
        "tagdeploy_task_digests"
    }

    fn schema(&self) -> Schema {
        TaskDigestsModel::schema(0)
            .description("Reports which image digest every task of an Amazon ECS service runs, against the digest the environment tag points at in Amazon ECR: the `check.sh` of RFC 013 as data. Tasks that are still draining (desired status `STOPPED`, last status not yet `STOPPED`) are listed too. While a deployment is under way both digests are visible; `service_deployment` says where it stands (status, lifecycle stage, strategy, traffic), and `complete` says when the release is done.")
    }

    fn validate(&self, config: &TaskDigestsModel) -> Diagnostics {
        let mut diags = Diagnostics::new();
        // An unknown repository may still be set: only a known null is judged.
        if config.registry_id.is_known() && config.repository.is_null() {
            diags.push(
                Diagnostic::error(
                    "Missing Repository",
                    "`registry_id` names the registry of `repository`; set `repository` too (without it, the repository and its registry come from the service's container image).",
                )
                .at(AttributePath::attr(TaskDigestsModel::registry_id)),
            );
        }
        diags
    }

    async fn read(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        config: TaskDigestsModel,
    ) -> Result<TaskDigestsModel, Diagnostics> {
        let clients = ctx.data().clients()?;
        let request = request_from(&config);
        // The shared clients: concurrent reads of this process share their calls.
        let ecr = clients.shared_ecr();
        let ecs = clients.shared_ecs();
        let report = unless_stopped(ctx, SUMMARY, task_digest_report(&ecr, &ecs, &request))
            .await?
            .map_err(|err| report_diagnostic(&err, &request))?;
        Ok(result(config, &request, &report))
    }
}

/// The domain request a (wholly known) configuration asks for.
fn request_from(config: &TaskDigestsModel) -> ReportRequest {
    ReportRequest {
        cluster: config.cluster.known().cloned().unwrap_or_default(),
        service: config.service.known().cloned().unwrap_or_default(),
        tag: config
            .tag
            .known()
            .cloned()
            .unwrap_or_else(|| DEFAULT_TAG.to_owned()),
        repository: repository_ref(&config.repository, &config.registry_id),
        container: config.container.known().cloned(),
        deployment_id: config.deployment_id.known().cloned(),
    }
}

/// A failed report as a diagnostic on the attribute at fault.
fn report_diagnostic(err: &ReportError, request: &ReportRequest) -> Diagnostic {
    let at = Attributes::new()
        .repository(AttributePath::attr(TaskDigestsModel::repository))
        .registry_id(AttributePath::attr(TaskDigestsModel::registry_id))
        .cluster(AttributePath::attr(TaskDigestsModel::cluster))
        .services(AttributePath::attr(TaskDigestsModel::service))
        .container(AttributePath::attr(TaskDigestsModel::container));
    errors::report(SUMMARY, err, request, &at)
}

/// The data source's result: the configuration as given (defaults filled in) plus the report.
fn result(
    config: TaskDigestsModel,
    request: &ReportRequest,
    report: &DigestReport,
) -> TaskDigestsModel {
    let status = config
        .deployment_id
        .known()
        .map(|id| report.rfc_status(id).to_string());
    let service_deployment = report
        .service_deployment(config.deployment_id.as_str())
        .map(|sd| service_deployment(sd, report));
    TaskDigestsModel {
        cluster: Tf::Known(request.cluster.clone()),
        service: Tf::Known(request.service.clone()),
        tag: Tf::Known(request.tag.clone()),
        repository: Tf::Known(report.repository.name.clone()),
        container: Tf::Known(report.container.clone()),
        id: Some(format!("{}/{}", request.cluster, request.service)),
        env_digest: report.env_digest.as_ref().map(ToString::to_string),
        tasks: Some(report.tasks.iter().map(task_model).collect()),
        all_match: Some(report.all_match()),
        deployments: Some(report.service.deployments.iter().map(deployment).collect()),
        complete: Some(report.complete()),
        status,
        service_deployment,
        ..config
    }
}

fn service_deployment(
    sd: &ServiceDeploymentState,
    report: &DigestReport,
) -> ServiceDeploymentModel {
    let target = sd.target.as_ref();
    let count = |f: fn(&crate::aws::ecs::service_deployment::RevisionSummary) -> i32| {
        target.map_or(0, |t| f(t).into())
    };
    ServiceDeploymentModel {
        arn: sd.arn.clone(),
        status: sd.status.to_string(),
        status_reason: non_empty(&sd.status_reason),
        rfc_status: report.rfc_status(&sd.arn).to_string(),
        lifecycle_stage: sd.stage_while_running().map(ToString::to_string),
        strategy: sd.strategy.to_string(),
        target_revision_arn: target.map(|t| t.arn.clone()).filter(|a| !a.is_empty()),
        running_count: count(|t| t.running),
        pending_count: count(|t| t.pending),
        requested_count: count(|t| t.requested),
        production_traffic_weight: target.and_then(|t| t.production_traffic).map(weight),
        test_traffic_weight: target.and_then(|t| t.test_traffic).map(weight),
        rollback_reason: sd.rollback.as_ref().and_then(|r| non_empty(&r.reason)),
        circuit_breaker_status: sd.circuit_breaker.as_ref().map(|c| c.status.to_string()),
        alarms_status: sd.alarms.as_ref().map(|a| a.status.to_string()),
        triggered_alarms: sd
            .alarms
            .as_ref()
            .map(|a| a.triggered.clone())
            .unwrap_or_default(),
        paused_hooks: sd.awaiting_action().map(|h| h.hook_id.clone()).collect(),
    }
}

/// A traffic weight as a Terraform number: whole percents as integers.
fn weight(percent: f64) -> Number {
    if percent.fract() == 0.0 && percent.abs() < 1e15 {
        Number::Int(percent as i64)
    } else {
        Number::Float(percent)
    }
}

/// `None` for a field ECS left empty (the SDK reports absent fields as "").
fn non_empty(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

/// One task of a digest report, as `tasks` lists it (also in `tagdeploy_release_status`).
pub(super) fn task_model(task: &TaskDigest) -> TaskModel {
    TaskModel {
        task_arn: task.task_arn.clone(),
        container: task.container.clone(),
        digest: task.digest.clone(),
        matches: task.matches,
        last_status: task.last_status.to_string(),
        desired_status: task.desired_status.to_string(),
        deployment_id: non_empty(&task.deployment_id),
    }
}

fn deployment(d: &DeploymentState) -> DeploymentModel {
    DeploymentModel {
        id: d.id.clone(),
        status: d.status.to_string(),
        rollout_state: d.rollout_state.as_ref().map(ToString::to_string),
        rollout_state_reason: non_empty(&d.rollout_state_reason),
        task_definition: d.task_definition.clone(),
        desired_count: d.desired_count.into(),
        running_count: d.running_count.into(),
        pending_count: d.pending_count.into(),
        failed_tasks: d.failed_tasks.into(),
        created_at: non_empty(&d.created_at),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing;
    use super::*;
    use crate::aws::ecs::{DeploymentController, DeploymentStrategy, ServiceState};
    use crate::aws::error::{EcrError, EcsError};
    use crate::aws::image::{Digest, RepositoryRef};
    use crate::tfplugin::model::Model;
    use crate::tfplugin::value::Type;

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
        testing::config(&TaskDigests, pairs)
    }

    fn model(pairs: &[(&str, Value)]) -> TaskDigestsModel {
        TaskDigestsModel::from_value(&config(pairs)).expect("a task digests configuration")
    }

    /// The result of a read of `mid_rollout()` with this configuration.
    fn read_value(pairs: &[(&str, Value)]) -> Value {
        let config = model(pairs);
        let request = request_from(&config);
        result(config, &request, &mid_rollout()).to_value()
    }

    fn validate(config: &Value) -> Diagnostics {
        testing::validate(&TaskDigests, config)
    }

    const SD_ARN: &str =
        "arn:aws:ecs:us-east-1:123456789012:service-deployment/example/example/abc";

    /// A LINEAR service deployment halfway through its traffic shift.
    fn linear_at_half() -> ServiceDeploymentState {
        use crate::aws::ecs::service_deployment::fixtures;
        let mut sd = fixtures::service_deployment(
            SD_ARN,
            "IN_PROGRESS",
            Some("PRODUCTION_TRAFFIC_SHIFT"),
            2,
        );
        sd.strategy = DeploymentStrategy::Linear;
        if let Some(target) = sd.target.as_mut() {
            target.test_traffic = Some(100.0);
            target.production_traffic = Some(12.5);
        }
        sd
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
                current_service_deployment: Some(SD_ARN.into()),
                deployment_controller: DeploymentController::Ecs,
                strategy: DeploymentStrategy::Linear,
            },
            service_deployments: vec![linear_at_half()],
        }
    }

    #[test]
    fn value_has_every_attribute_with_the_schema_types() {
        let value = read_value(&[
            ("cluster", Value::string("example")),
            ("service", Value::string("example")),
            ("deployment_id", Value::string("ecs-svc/2")),
        ]);
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
        assert_eq!(
            deployments[0].attr("running_count"),
            &Value::Number(1.into())
        );
        // ECS leaves these out for an ACTIVE deployment: null, not "".
        assert_eq!(deployments[1].attr("rollout_state"), &Value::Null);
        assert_eq!(deployments[1].attr("rollout_state_reason"), &Value::Null);
        for task in tasks {
            let Value::Map(f) = task else { panic!() };
            assert_eq!(f.len(), TaskModel::block().attributes().len());
        }
        // Without a service deployment ARN, the current service deployment is described.
        let sd = value.attr("service_deployment");
        assert_eq!(sd.attr("arn"), &Value::string(SD_ARN));
        assert_eq!(sd.attr("status"), &Value::string("IN_PROGRESS"));
        assert_eq!(sd.attr("rfc_status"), &Value::string("IN_PROGRESS"));
        assert_eq!(
            sd.attr("lifecycle_stage"),
            &Value::string("PRODUCTION_TRAFFIC_SHIFT")
        );
        assert_eq!(sd.attr("strategy"), &Value::string("LINEAR"));
        assert_eq!(
            sd.attr("production_traffic_weight"),
            &Value::Number(Number::Float(12.5))
        );
        assert_eq!(sd.attr("test_traffic_weight"), &Value::Number(100.into()));
        assert_eq!(sd.attr("paused_hooks"), &Value::List(Vec::new()));
        assert_eq!(sd.attr("rollback_reason"), &Value::Null);
    }

    #[test]
    fn a_service_deployment_arn_is_judged_by_its_service_deployment() {
        let with = |id: &str| {
            read_value(&[
                ("cluster", Value::string("example")),
                ("service", Value::string("example")),
                ("deployment_id", Value::string(id)),
            ])
        };
        let value = with(SD_ARN);
        assert_eq!(value.attr("status"), &Value::string("IN_PROGRESS"));
        assert_eq!(
            value.attr("service_deployment").attr("arn"),
            &Value::string(SD_ARN)
        );
        // One ECS does not know (it was not described): DEAD, and nothing to describe.
        let gone =
            with("arn:aws:ecs:us-east-1:123456789012:service-deployment/example/example/old");
        assert_eq!(gone.attr("status"), &Value::string("DEAD"));
        assert_eq!(gone.attr("service_deployment"), &Value::Null);
        // A deployment id is judged by the service's deployments, as before.
        assert_eq!(with("ecs-svc/1").attr("status"), &Value::string("RETIRING"));
    }

    #[test]
    fn status_is_null_without_deployment_id() {
        let service = [
            ("cluster", Value::string("c")),
            ("service", Value::string("s")),
        ];
        let value = read_value(&service);
        assert_eq!(value.attr("status"), &Value::Null);
        assert_eq!(value.attr("deployment_id"), &Value::Null);
        let dead = [
            service[0].clone(),
            service[1].clone(),
            ("deployment_id", Value::string("ecs-svc/0")),
        ];
        assert_eq!(read_value(&dead).attr("status"), &Value::string("DEAD"));
    }

    #[test]
    fn request_keeps_configured_values() {
        let request = request_from(&model(&[
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
        assert_eq!(
            testing::paths(&validate(&bad)),
            ["cluster", "tag", "repository", "registry_id"]
        );
        let lone_registry = config(&[("registry_id", Value::string("123456789012"))]);
        let diags = validate(&lone_registry);
        assert!(diags.has_errors());
        // Unknown repository: may still be set, no error yet.
        let unknown = config(&[
            ("registry_id", Value::string("123456789012")),
            ("repository", Value::Unknown),
        ]);
        assert!(validate(&unknown).is_empty());
    }

    #[test]
    fn report_errors_point_at_the_attribute() {
        let request = request_from(&model(&[]));
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
