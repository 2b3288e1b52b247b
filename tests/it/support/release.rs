//! The `tagdeploy_release` configuration the end-to-end tests of release sets start from, and
//! its state.

use serde_json::Value as Json;

use super::emulator::{BackgroundEmulator, SetMember};
use super::terraform::{Workspace, required_providers};

/// The address of the resource [`release_config`] declares.
pub const RELEASE: &str = "tagdeploy_release.prod";

/// A configuration releasing `members` (each image named like its repository) to prod: each
/// image's `release_tag` is `var.release` unless `releases` gives it another expression
/// (`("worker", "\"hash_bad\"")`); `extra` lines are added to the resource body.
pub fn release_config(
    emulator: &BackgroundEmulator,
    members: &[SetMember<'_>],
    releases: &[(&str, &str)],
    extra: &str,
) -> String {
    let images: String = members
        .iter()
        .map(|m| {
            let release = releases
                .iter()
                .find(|(name, _)| *name == m.repository)
                .map_or("var.release", |(_, expression)| *expression);
            let services = m
                .services
                .iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "    {name} = {{\n      repository  = \"{name}\"\n      release_tag = {release}\n      cluster     = \"{cluster}\"\n      services    = [{services}]\n    }}\n",
                name = m.repository,
                cluster = m.cluster,
            )
        })
        .collect();
    format!(
        r#"{}
{}
variable "release" {{
  type = string
}}

resource "tagdeploy_release" "prod" {{
  images = {{
{images}  }}
{extra}
}}
"#,
        required_providers(),
        emulator.provider_block()
    )
}

/// The attributes of [`RELEASE`] in the workspace's state (null when absent).
pub fn release_state(ws: &Workspace) -> Json {
    ws.resource_values(RELEASE)
}
