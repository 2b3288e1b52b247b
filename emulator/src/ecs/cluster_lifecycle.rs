//! DeleteCluster: refused while the cluster has services (ACTIVE or DRAINING) or unstopped
//! tasks, as ECS does; a deleted cluster stays describable as INACTIVE.

use serde::Deserialize;
use serde_json::json;

use crate::protocol::AwsError;

use super::Handler;
use super::model::short_name;
use super::task::TaskStatus;
use super::wire::cluster_json;

/// The cluster lifecycle operations.
pub(super) const OPERATIONS: &[(&str, Handler)] = &[("DeleteCluster", |ecs, c| {
    let input: DeleteClusterIn = c.req.input()?;
    let index = ecs.cluster_index(Some(short_name(&input.cluster)))?;
    let cluster = &ecs.clusters[index];
    if !cluster.services.is_empty() {
        return Err(AwsError::client(
            "ClusterContainsServicesException",
            "The Cluster cannot be deleted while Services are active.",
        ));
    }
    if cluster.tasks.iter().any(|t| t.last != TaskStatus::Stopped) {
        return Err(AwsError::client(
            "ClusterContainsTasksException",
            "The Cluster cannot be deleted while Tasks are active.",
        ));
    }
    let mut gone = cluster_json(cluster, c.req.ctx);
    gone["status"] = json!("INACTIVE");
    let name = cluster.name.clone();
    ecs.clusters.remove(index);
    c.records.inactive_clusters.retain(|(n, _)| *n != name);
    c.records.inactive_clusters.push((name, gone.clone()));
    Ok(json!({ "cluster": gone }))
})];

#[derive(Deserialize)]
struct DeleteClusterIn {
    cluster: String,
}
