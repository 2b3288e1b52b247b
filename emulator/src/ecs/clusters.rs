//! The cluster operations: CreateCluster, DescribeClusters.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::protocol::{AwsError, RequestContext};

use super::Handler;
use super::model::{Cluster, Ecs, short_name, valid_name};
use super::wire::{cluster_json, describe_each};

/// The cluster operations.
pub(super) const OPERATIONS: &[(&str, Handler)] = &[
    ("CreateCluster", |ecs, c| {
        create_cluster(ecs, c.req.input()?, c.req.ctx)
    }),
    ("DescribeClusters", |ecs, c| {
        describe_clusters(ecs, c.req.input()?, c.req.ctx)
    }),
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateClusterIn {
    cluster_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeClustersIn {
    clusters: Option<Vec<String>>,
}

impl Ecs {
    /// Creates a cluster, or returns the existing one of that name (ECS is idempotent here).
    pub fn create_cluster(&mut self, name: &str) -> Result<usize, AwsError> {
        if !valid_name(name) {
            return Err(AwsError::invalid(
                "Cluster name can have up to 255 characters: letters (uppercase and lowercase), numbers, underscores, and hyphens.",
            ));
        }
        if let Some(i) = self.clusters.iter().position(|c| c.name == name) {
            return Ok(i);
        }
        self.clusters.push(Cluster {
            name: name.to_string(),
            services: Vec::new(),
            tasks: Vec::new(),
        });
        Ok(self.clusters.len() - 1)
    }
}

fn create_cluster(
    ecs: &mut Ecs,
    input: CreateClusterIn,
    ctx: &RequestContext,
) -> Result<Value, AwsError> {
    let i = ecs.create_cluster(input.cluster_name.as_deref().unwrap_or("default"))?;
    Ok(json!({ "cluster": cluster_json(&ecs.clusters[i], ctx) }))
}

fn describe_clusters(
    ecs: &Ecs,
    input: DescribeClustersIn,
    ctx: &RequestContext,
) -> Result<Value, AwsError> {
    let names = input
        .clusters
        .unwrap_or_else(|| vec!["default".to_string()]);
    if names.len() > 100 {
        return Err(AwsError::invalid("clusters can have at most 100 items."));
    }
    Ok(describe_each(
        "clusters",
        &names,
        |reference| {
            ecs.clusters
                .iter()
                .find(|c| c.name == short_name(reference))
                .map(|c| cluster_json(c, ctx))
        },
        |name| format!("arn:aws:ecs:{}:{}:cluster/{name}", ctx.region, ctx.account),
    ))
}
