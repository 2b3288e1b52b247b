//! What hashicorp/aws's `aws_ecr_repository` needs beyond creating and describing:
//! DeleteRepository (with `force`) and PutImageScanningConfiguration.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::protocol::{AwsError, RequestContext};

use super::Handler;
use super::model::Ecr;
use super::repositories::ScanningConfigurationIn;
use super::wire::repository_json;

/// The repository lifecycle operations.
pub(super) const OPERATIONS: &[(&str, Handler)] = &[
    ("DeleteRepository", |ecr, r| {
        delete_repository(ecr, r.input()?, r.ctx)
    }),
    ("PutImageScanningConfiguration", |ecr, r| {
        put_scanning(ecr, r.input()?, r.ctx)
    }),
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteRepositoryIn {
    registry_id: Option<String>,
    repository_name: String,
    #[serde(default)]
    force: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutScanningIn {
    registry_id: Option<String>,
    repository_name: String,
    image_scanning_configuration: ScanningConfigurationIn,
}

fn delete_repository(
    ecr: &mut Ecr,
    input: DeleteRepositoryIn,
    ctx: &RequestContext,
) -> Result<Value, AwsError> {
    let index = ecr.index_of(input.registry_id.as_deref(), &input.repository_name, ctx)?;
    let repo = &ecr.repositories[index];
    if !repo.images.is_empty() && !input.force {
        return Err(AwsError::client(
            "RepositoryNotEmptyException",
            format!(
                "The repository with name '{}' in registry with id '{}' cannot be deleted because it still contains images",
                repo.name, ctx.account
            ),
        ));
    }
    let out = repository_json(repo, ctx);
    let name = repo.name.clone();
    ecr.repositories.remove(index);
    // Uploads into a deleted repository cannot complete.
    ecr.uploads.retain(|_, u| u.repository != name);
    Ok(json!({ "repository": out }))
}

fn put_scanning(
    ecr: &mut Ecr,
    input: PutScanningIn,
    ctx: &RequestContext,
) -> Result<Value, AwsError> {
    let index = ecr.index_of(input.registry_id.as_deref(), &input.repository_name, ctx)?;
    let repo = &mut ecr.repositories[index];
    repo.scan_on_push = input.image_scanning_configuration.scan_on_push;
    Ok(json!({
        "registryId": ctx.account,
        "repositoryName": repo.name,
        "imageScanningConfiguration": { "scanOnPush": repo.scan_on_push },
    }))
}
