//! The `tagdeploy_prod_tag` configuration most end-to-end tests start from, and its state.

use serde_json::Value as Json;

use super::emulator::BackgroundEmulator;
use super::terraform::{Workspace, required_providers};

/// The address of the resource [`prod_tag_config`] declares.
pub const PROD_TAG: &str = "tagdeploy_prod_tag.prod";

/// A configuration promoting `var.release` to prod (repository and cluster `example`) for
/// `services`, with `extra` lines added to the resource body.
pub fn prod_tag_config(emulator: &BackgroundEmulator, services: &[&str], extra: &str) -> String {
    let services = services
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"{}
{}
variable "release" {{
  type = string
}}

resource "tagdeploy_prod_tag" "prod" {{
  repository  = "example"
  release_tag = var.release
  cluster     = "example"
  services    = [{services}]
{extra}
}}
"#,
        required_providers(),
        emulator.provider_block()
    )
}

/// The attributes of [`PROD_TAG`] in the workspace's state (null when absent).
pub fn prod_tag_state(ws: &Workspace) -> Json {
    ws.resource_values(PROD_TAG)
}
