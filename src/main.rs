//! `terraform-provider-tagdeploy`: started by Terraform (go-plugin handshake on stdout), or by a
//! person with `--debug` (prints the `TF_REATTACH_PROVIDERS` value to use).

use std::process::ExitCode;

use terraform_provider_tagdeploy::provider::{SOURCE_ADDRESS, TagdeployProvider};
use terraform_provider_tagdeploy::tfplugin::server;

#[tokio::main]
async fn main() -> ExitCode {
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
