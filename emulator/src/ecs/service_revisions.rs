//! The service revision operation: DescribeServiceRevisions.

use serde::Deserialize;
use serde_json::Value;

use crate::protocol::{AwsError, RequestContext};

use super::Handler;
use super::deployment_wire::revision_json;
use super::model::Ecs;
use super::service_deployment::split_arn;
use super::wire::{check_batch, describe_each};

/// The service revision operations.
pub(super) const OPERATIONS: &[(&str, Handler)] = &[("DescribeServiceRevisions", |ecs, c| {
    describe_service_revisions(ecs, c.req.input()?, c.req.ctx)
})];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeServiceRevisionsIn {
    service_revision_arns: Vec<String>,
}

fn describe_service_revisions(
    ecs: &Ecs,
    input: DescribeServiceRevisionsIn,
    ctx: &RequestContext,
) -> Result<Value, AwsError> {
    let arns = &input.service_revision_arns;
    check_batch("serviceRevisionArns", arns, 20)?;
    Ok(describe_each(
        "serviceRevisions",
        arns,
        |arn| {
            let (cluster, service, id) = split_arn(arn, "service-revision")?;
            let cluster = ecs.clusters.iter().find(|c| c.name == cluster)?;
            let service = cluster.services.iter().find(|s| s.name == service)?;
            let revision = service.revision(id)?;
            Some(revision_json(cluster, service, revision, ctx))
        },
        // Only ARNs name service revisions: anything else is reported as given.
        str::to_string,
    ))
}
