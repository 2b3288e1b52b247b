//! `terraform-provider-tagdeploy`: started by Terraform (go-plugin handshake on stdout), or by a
//! person with `--debug` (prints the `TF_REATTACH_PROVIDERS` value to use).

use std::process::ExitCode;

use terraform_provider_tagdeploy::provider::{SOURCE_ADDRESS, TagdeployProvider};
use terraform_provider_tagdeploy::tfplugin::log::{self, Route};
use terraform_provider_tagdeploy::tfplugin::server;

/// Which log lines are the provider's and which the AWS SDK's (`@module`), by event target;
/// other crates' events (hyper, h2, tonic) are not logged. At DEBUG the SDK shows each call
/// (with status, request id, duration), its retry decisions and where its credentials came
/// from; its step-by-step narration (phases, endpoint and identity resolution) waits for TRACE.
const LOG_ROUTES: [Route; 5] = [
    route("terraform_provider_tagdeploy", "tagdeploy", false),
    // The per-attempt lines describe the SDK's calls: they sit with the SDK's own events.
    route(
        "terraform_provider_tagdeploy::aws::telemetry",
        "tagdeploy.aws-sdk",
        false,
    ),
    route(
        "aws_smithy_runtime::client::retries",
        "tagdeploy.aws-sdk",
        false,
    ),
    route("aws_config", "tagdeploy.aws-sdk", false),
    route("aws_", "tagdeploy.aws-sdk", true),
];

const fn route(prefix: &'static str, module: &'static str, quiet: bool) -> Route {
    Route {
        prefix,
        module,
        quiet,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    log::init(&LOG_ROUTES);
    let result = if std::env::args().skip(1).any(|a| a == "--debug") {
        server::serve_debug(TagdeployProvider, SOURCE_ADDRESS).await
    } else {
        server::serve_plugin(TagdeployProvider).await
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
