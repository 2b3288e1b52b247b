//! DeleteService: a service scaled to zero (or any, with `force`) becomes DRAINING, its tasks
//! stop through the scheduler as in any scale-in, and once none is left it is INACTIVE (see
//! [`super::records::Records::settle`]).

use serde::Deserialize;
use serde_json::json;

use crate::protocol::AwsError;

use super::Handler;
use super::model::{service_not_found, short_name};
use super::records::Draining;
use super::wire::service_json;

/// The service lifecycle operations.
pub(super) const OPERATIONS: &[(&str, Handler)] = &[("DeleteService", |ecs, c| {
    let input: DeleteServiceIn = c.req.input()?;
    let (ctx, now_ms) = (c.req.ctx, c.req.now_ms);
    let ci = ecs.cluster_index(input.cluster.as_deref())?;
    let name = short_name(&input.service).to_string();
    let cluster_name = ecs.clusters[ci].name.clone();
    if c.records.is_draining(&cluster_name, &name) {
        return Err(AwsError::client(
            "ServiceNotActiveException",
            "Service was not ACTIVE.",
        ));
    }
    let cluster = &mut ecs.clusters[ci];
    let si = cluster
        .services
        .iter()
        .position(|s| s.name == name)
        .ok_or_else(service_not_found)?;
    let service = &mut cluster.services[si];
    if service.desired_count > 0 && !input.force.unwrap_or(false) {
        return Err(AwsError::invalid(
            "The service cannot be stopped while it is scaled above 0.",
        ));
    }
    service.desired_count = 0;
    for d in &mut service.deployments {
        d.desired_count = 0;
        d.updated_ms = now_ms;
    }
    let mut shown = service_json(cluster, &cluster.services[si], ctx, false);
    shown["status"] = json!("DRAINING");
    shown["desiredCount"] = json!(0);
    c.records.draining.push(Draining {
        cluster: cluster_name,
        service: name,
        last_seen: shown.clone(),
    });
    Ok(json!({ "service": shown }))
})];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteServiceIn {
    cluster: Option<String>,
    service: String,
    force: Option<bool>,
}
