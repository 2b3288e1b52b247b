//! Data sources, one file per Terraform type. Each translates between Terraform values and the
//! domain in [`crate::aws`] and chooses the error text; no AWS logic lives here.
//!
//! - [`task_digests`]: `data "tagdeploy_task_digests"`, the RFC's `check.sh` as data.
//! - [`image`]: `data "tagdeploy_image"`, one image of a repository by tag or digest.
//! - [`release_status`]: `data "tagdeploy_release_status"`, `check.sh` for a release set.
//!
//! What both share is written once, below: reading under Terraform's stop signal and the
//! repository a configuration names. Their validators are the naming rules of
//! [`crate::names`]; domain errors become diagnostics in [`crate::errors`].

pub mod image;
pub mod release_status;
pub mod task_digests;

pub use image::Image;
pub use release_status::ReleaseStatus;
pub use task_digests::TaskDigests;

use std::future::Future;

use crate::aws::image::RepositoryRef;
use crate::errors;
use crate::provider_data::ProviderData;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::Ctx;
use crate::tfplugin::model::Tf;

/// Runs `read` unless Terraform stops the provider first; then the read ends with an error
/// titled `summary`.
async fn unless_stopped<T>(
    ctx: &Ctx<'_, ProviderData>,
    summary: &str,
    read: impl Future<Output = T>,
) -> Result<T, Diagnostics> {
    let cancel = ctx.cancellation().clone();
    tokio::select! {
        result = read => Ok(result),
        () = cancel.cancelled() => Err(errors::cancelled(summary).into()),
    }
}

/// The repository a configuration names (`repository` and optional `registry_id`), when it
/// names one. Reads see wholly known configurations only.
fn repository_ref(name: &Tf<String>, registry_id: &Tf<String>) -> Option<RepositoryRef> {
    name.known().map(|name| RepositoryRef {
        name: name.clone(),
        registry_id: registry_id.known().cloned(),
    })
}

/// What the tests of both data sources need.
#[cfg(test)]
mod testing {
    use crate::tfplugin::diagnostics::Diagnostics;
    use crate::tfplugin::framework::{AnyDataSource, DataSource};
    use crate::tfplugin::value::Value;

    /// A configuration of `source`: its schema's null object with `pairs` set.
    pub(super) fn config<S: DataSource>(source: &S, pairs: &[(&str, Value)]) -> Value {
        let mut base = DataSource::schema(source).null_object();
        if let Value::Map(fields) = &mut base {
            for (k, v) in pairs {
                fields.insert((*k).to_owned(), v.clone());
            }
        }
        base
    }

    /// What ValidateDataResourceConfig reports for `config`: the declared validators, then the
    /// type's own checks.
    pub(super) fn validate<S: DataSource>(source: &S, config: &Value) -> Diagnostics {
        let mut diags = DataSource::schema(source).validate(config);
        diags.extend(AnyDataSource::validate(source, config));
        diags
    }

    /// The attribute paths of `diags` (`""` for a diagnostic about no attribute).
    pub(super) fn paths(diags: &Diagnostics) -> Vec<String> {
        diags
            .iter()
            .map(|d| d.attribute.clone().unwrap_or_default().to_string())
            .collect()
    }
}
