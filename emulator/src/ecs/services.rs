//! The service operations: CreateService, UpdateService, DescribeServices, ListServices; and how a
//! service gets a new deployment.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::ecr::Ecr;
use crate::ids::SplitMix64;
use crate::protocol::{AwsError, RequestContext, page_size, paginated};

use super::config::DeployConfig;
use super::config_rules::{DeploymentConfigurationIn, merge_config, validate};
use super::deployment::{Deployment, DeploymentStatus, Revision, revision_id};
use super::images::resolve_image;
use super::lifecycle;
use super::model::{Ecs, Service, service_not_found, short_name, valid_name};
use super::task::ResolvedContainer;
use super::wire::{check_batch, describe_each, service_json, wants_tags};
use super::{Call, Handler};

/// The service operations.
pub(super) const OPERATIONS: &[(&str, Handler)] = &[
    ("CreateService", |ecs, c| {
        create_service(ecs, c.req.input()?, c)
    }),
    ("UpdateService", |ecs, c| {
        update_service(ecs, c.req.input()?, c)
    }),
    ("DescribeServices", |ecs, c| {
        describe_services(ecs, c.req.input()?, c.req.ctx)
    }),
    ("ListServices", |ecs, c| {
        list_services(ecs, c.req.input()?, c.req.ctx)
    }),
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateServiceIn {
    cluster: Option<String>,
    service_name: String,
    task_definition: Option<String>,
    desired_count: Option<i64>,
    launch_type: Option<String>,
    deployment_configuration: Option<DeploymentConfigurationIn>,
    network_configuration: Option<Value>,
    load_balancers: Option<Vec<Value>>,
    scheduling_strategy: Option<String>,
    deployment_controller: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateServiceIn {
    cluster: Option<String>,
    service: String,
    desired_count: Option<i64>,
    task_definition: Option<String>,
    deployment_configuration: Option<DeploymentConfigurationIn>,
    network_configuration: Option<Value>,
    load_balancers: Option<Vec<Value>>,
    force_new_deployment: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeServicesIn {
    cluster: Option<String>,
    services: Vec<String>,
    include: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListServicesIn {
    cluster: Option<String>,
    next_token: Option<String>,
    max_results: Option<i64>,
    launch_type: Option<String>,
    scheduling_strategy: Option<String>,
}

impl Ecs {
    /// Starts a new PRIMARY deployment of the service's current task definition, resolving every
    /// container image once: a new service revision and its service deployment. The previous
    /// PRIMARY becomes ACTIVE.
    pub fn new_deployment(
        &self,
        service: &mut Service,
        now_ms: i64,
        ecr: &Ecr,
        ids: &mut SplitMix64,
        account: &str,
    ) -> Result<(), AwsError> {
        let index = self
            .find_task_definition(&format!(
                "{}:{}",
                service.task_definition.family, service.task_definition.revision
            ))
            .ok_or_else(|| AwsError::invalid("TaskDefinition not found."))?;
        let td = &self.task_definitions[index];
        let containers: Vec<ResolvedContainer> = td
            .containers()
            .iter()
            .map(|(name, image)| resolve_image(name, image, ecr, &self.external, account))
            .collect();
        let id = ids.deployment_id();
        for d in &mut service.deployments {
            if d.status == DeploymentStatus::Primary {
                d.status = DeploymentStatus::Active;
                d.updated_ms = now_ms;
            }
        }
        let revision = Revision {
            id: revision_id(&id),
            task_definition: td.key.clone(),
            containers,
            cpu: td.string("cpu"),
            memory: td.string("memory"),
            launch_type: service.launch_type.clone(),
            network_configuration: service.network_configuration.clone(),
            load_balancers: service.load_balancers.clone(),
            created_ms: now_ms,
        };
        service.revisions.push(revision.clone());
        let reason = format!("ECS deployment {id} in progress.");
        let deployment =
            Deployment::new(id.clone(), revision, service.desired_count, reason, now_ms);
        service.deployments.insert(0, deployment);
        lifecycle::begin(service, &id, now_ms);
        Ok(())
    }

    /// Creates a service and its first deployment. Returns (cluster index, service index).
    #[allow(clippy::too_many_arguments)]
    fn add_service(
        &mut self,
        input: CreateServiceIn,
        now_ms: i64,
        ecr: &Ecr,
        ids: &mut SplitMix64,
        account: &str,
    ) -> Result<(usize, usize), AwsError> {
        let ci = self.cluster_index(input.cluster.as_deref())?;
        if !valid_name(&input.service_name) {
            return Err(AwsError::invalid(
                "Service name can have up to 255 characters: letters (uppercase and lowercase), numbers, underscores, and hyphens.",
            ));
        }
        if input
            .scheduling_strategy
            .as_deref()
            .is_some_and(|s| s != "REPLICA")
        {
            return Err(AwsError::client(
                "UnsupportedFeatureException",
                "The emulator supports REPLICA services only.",
            ));
        }
        let controller = input
            .deployment_controller
            .as_ref()
            .and_then(|c| c.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("ECS")
            .to_string();
        if !["ECS", "CODE_DEPLOY", "EXTERNAL"].contains(&controller.as_str()) {
            return Err(AwsError::invalid(format!(
                "1 validation error detected: Value '{controller}' at 'deploymentController.type' failed to satisfy constraint: Member must satisfy enum value set: [ECS, CODE_DEPLOY, EXTERNAL]"
            )));
        }
        if self.clusters[ci]
            .services
            .iter()
            .any(|s| s.name == input.service_name)
        {
            return Err(AwsError::invalid("Creation of service was not idempotent."));
        }
        let td_ref = input
            .task_definition
            .as_deref()
            .ok_or_else(|| AwsError::invalid("TaskDefinition must be specified."))?;
        let td = self
            .find_task_definition(td_ref)
            .ok_or_else(|| AwsError::invalid("TaskDefinition not found."))?;
        let desired = input.desired_count.unwrap_or(0);
        if desired < 0 {
            return Err(AwsError::invalid("desiredCount must be at least 0."));
        }
        let load_balancers = input.load_balancers.unwrap_or_default();
        let config = merge_config(
            &DeployConfig::default(),
            input.deployment_configuration.as_ref(),
        )?;
        let config = validate(config, &load_balancers)?;
        let mut service = Service {
            name: input.service_name.clone(),
            created_ms: now_ms,
            desired_count: desired,
            task_definition: self.task_definitions[td].key.clone(),
            config,
            launch_type: input.launch_type.unwrap_or_else(|| "FARGATE".to_string()),
            network_configuration: input.network_configuration,
            load_balancers,
            controller,
            deployments: Vec::new(),
            retired: Vec::new(),
            revisions: Vec::new(),
            service_deployments: Vec::new(),
            last_completed: None,
            events: Vec::new(),
        };
        self.new_deployment(&mut service, now_ms, ecr, ids, account)?;
        self.clusters[ci].services.push(service);
        Ok((ci, self.clusters[ci].services.len() - 1))
    }

    /// Creates a service from a world-file `CreateService` body and settles it at once: one
    /// COMPLETED PRIMARY deployment running `desiredCount` tasks (unless its images cannot start,
    /// in which case it stays IN_PROGRESS and the clock decides).
    pub fn create_steady_service(
        &mut self,
        body: &Value,
        now_ms: i64,
        ecr: &Ecr,
        ids: &mut SplitMix64,
        account: &str,
    ) -> Result<(), AwsError> {
        let input: CreateServiceIn = serde_json::from_value(body.clone())
            .map_err(|e| AwsError::client("SerializationException", e.to_string()))?;
        let (ci, si) = self.add_service(input, now_ms, ecr, ids, account)?;
        super::rollout::settle(&mut self.clusters[ci], si, now_ms, ids);
        Ok(())
    }
}

fn create_service(
    ecs: &mut Ecs,
    input: CreateServiceIn,
    call: &mut Call<'_>,
) -> Result<Value, AwsError> {
    let (ctx, now_ms) = (call.req.ctx, call.req.now_ms);
    let (ci, si) = ecs.add_service(input, now_ms, call.ecr, call.ids, &ctx.account)?;
    let cluster = &mut ecs.clusters[ci];
    let name = cluster.services[si].name.clone();
    cluster.services[si].event(call.ids, now_ms, format!("(service {name}) was created."));
    Ok(json!({ "service": service_json(cluster, &cluster.services[si], ctx, false) }))
}

fn update_service(
    ecs: &mut Ecs,
    input: UpdateServiceIn,
    call: &mut Call<'_>,
) -> Result<Value, AwsError> {
    let (ctx, now_ms) = (call.req.ctx, call.req.now_ms);
    let ci = ecs.cluster_index(input.cluster.as_deref())?;
    let name = short_name(&input.service);
    let si = ecs.clusters[ci]
        .services
        .iter()
        .position(|s| s.name == name)
        .ok_or_else(service_not_found)?;
    let new_td = match &input.task_definition {
        Some(r) => {
            let i = ecs
                .find_task_definition(r)
                .ok_or_else(|| AwsError::invalid("TaskDefinition not found."))?;
            Some(ecs.task_definitions[i].key.clone())
        }
        None => None,
    };
    if input.desired_count.is_some_and(|n| n < 0) {
        return Err(AwsError::invalid("desiredCount must be at least 0."));
    }
    let mut service = ecs.clusters[ci].services[si].clone();
    let load_balancers = input
        .load_balancers
        .clone()
        .unwrap_or_else(|| service.load_balancers.clone());
    let config = merge_config(&service.config, input.deployment_configuration.as_ref())?;
    service.config = validate(config, &load_balancers)?;
    if let Some(n) = input.desired_count {
        service.desired_count = n;
        if let Some(p) = service.deployments.first_mut() {
            p.desired_count = n;
            p.updated_ms = now_ms;
        }
    }
    let mut redeploy = None;
    if input.force_new_deployment.unwrap_or(false) {
        redeploy = Some("network parameters");
    }
    if let Some(td) = new_td
        && td != service.task_definition
    {
        service.task_definition = td;
        redeploy = Some("task definition");
    }
    if let Some(net) = input.network_configuration
        && service.network_configuration.as_ref() != Some(&net)
    {
        service.network_configuration = Some(net);
        redeploy = Some("network parameters");
    }
    if load_balancers != service.load_balancers {
        service.load_balancers = load_balancers;
        redeploy = Some("load balancers");
    }
    if let Some(what) = redeploy
        && service.controller != "ECS"
    {
        // Only the ECS controller deploys through UpdateService; the others deploy through
        // CodeDeploy or task sets.
        let how = if service.controller == "CODE_DEPLOY" {
            "Use AWS CodeDeploy to trigger a new deployment."
        } else {
            "Use a task set to deploy."
        };
        return Err(AwsError::invalid(format!(
            "Unable to update {what} on services with a {} deployment controller. {how}",
            service.controller
        )));
    }
    if redeploy.is_some() {
        ecs.new_deployment(&mut service, now_ms, call.ecr, call.ids, &ctx.account)?;
    }
    let cluster = &mut ecs.clusters[ci];
    cluster.services[si] = service;
    Ok(json!({ "service": service_json(cluster, &cluster.services[si], ctx, false) }))
}

fn describe_services(
    ecs: &Ecs,
    input: DescribeServicesIn,
    ctx: &RequestContext,
) -> Result<Value, AwsError> {
    check_batch("services", &input.services, 10)?;
    let ci = ecs.cluster_index(input.cluster.as_deref())?;
    let cluster = &ecs.clusters[ci];
    let tags = wants_tags(input.include.as_deref());
    Ok(describe_each(
        "services",
        &input.services,
        |reference| {
            cluster
                .services
                .iter()
                .find(|s| s.name == short_name(reference))
                .map(|s| service_json(cluster, s, ctx, tags))
        },
        |name| {
            format!(
                "arn:aws:ecs:{}:{}:service/{}/{name}",
                ctx.region, ctx.account, cluster.name
            )
        },
    ))
}

fn list_services(
    ecs: &Ecs,
    input: ListServicesIn,
    ctx: &RequestContext,
) -> Result<Value, AwsError> {
    let ci = ecs.cluster_index(input.cluster.as_deref())?;
    let size = page_size(input.max_results, 1, 100, 10)?;
    let cluster = &ecs.clusters[ci];
    let arns: Vec<String> = cluster
        .services
        .iter()
        .filter(|s| {
            input
                .launch_type
                .as_ref()
                .is_none_or(|l| l == &s.launch_type)
        })
        .filter(|_| {
            input
                .scheduling_strategy
                .as_deref()
                .is_none_or(|s| s == "REPLICA")
        })
        .map(|s| s.arn(&cluster.name, ctx))
        .collect();
    paginated(
        "ListServices",
        "serviceArns",
        &arns,
        input.next_token.as_deref(),
        size,
    )
}
