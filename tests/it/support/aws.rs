//! AWS calls to an emulator from outside Terraform: the domain's clients as a test or another
//! person (with the AWS CLI) would use them, and the provider's own shared clients built
//! exactly as the provider builds them.

use terraform_provider_tagdeploy::aws::config::{AwsSettings, Clients, build_clients};
use terraform_provider_tagdeploy::aws::ecr::Ecr;
use terraform_provider_tagdeploy::aws::ecs::Ecs;
use terraform_provider_tagdeploy::aws::image::{Digest, RepositoryRef};
use terraform_provider_tagdeploy::aws::pacing::{Pacer, Policy};

use super::block_on;
use super::observe::DEMO_REPOSITORY;

/// SDK configurations for `url` with test credentials (no credential chain, no retries tuned).
fn sdk_configs(url: &str) -> (aws_sdk_ecr::Config, aws_sdk_ecs::Config) {
    let credentials =
        aws_sdk_ecr::config::Credentials::new("AKIDTEST", "test-secret", None, None, "test");
    let region = aws_sdk_ecr::config::Region::new("us-east-1");
    let ecr = aws_sdk_ecr::Config::builder()
        .behavior_version(aws_sdk_ecr::config::BehaviorVersion::latest())
        .region(region.clone())
        .credentials_provider(credentials.clone())
        .endpoint_url(url)
        .build();
    let ecs = aws_sdk_ecs::Config::builder()
        .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
        .region(region)
        .credentials_provider(credentials)
        .endpoint_url(url)
        .build();
    (ecr, ecs)
}

/// Domain clients pointed at `url`, with test credentials, paced by AWS's published limits
/// (one pacer for both, as in a provider process).
pub fn clients(url: &str) -> (Ecr, Ecs) {
    let (ecr, ecs) = sdk_configs(url);
    let pacer = Pacer::default();
    (
        Ecr::new(aws_sdk_ecr::Client::from_conf(ecr), pacer.clone()),
        Ecs::new(aws_sdk_ecs::Client::from_conf(ecs), pacer),
    )
}

/// The provider's clients for `url`, built by the provider's own `build_clients` (its retry
/// settings and coalescer), with credentials from a shared credentials file as the default
/// chain finds them. The returned directory holds that file: keep it until the clients are done.
pub async fn provider_clients(url: &str) -> (Clients, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        "[default]\naws_access_key_id = AKIDTEST\naws_secret_access_key = test-secret\n",
    )
    .expect("write credentials");
    let clients = build_clients(&AwsSettings {
        region: Some("us-east-1".into()),
        shared_credentials_files: vec![credentials.clone()],
        shared_config_files: vec![credentials],
        ecr_endpoint: Some(url.to_owned()),
        ecs_endpoint: Some(url.to_owned()),
        ..AwsSettings::default()
    })
    .await;
    (clients, dir)
}

/// The provider's clients for `url` (as [`provider_clients`] builds them, so every call is
/// observed and counted), as domain operations whose retries are quick (1 to 5 ms apart): at
/// most `attempts` when the connection fails, and for at most `window` when AWS throttles or
/// fails; with, when given, a per-attempt timeout. Failure cases that stay short.
pub async fn quick_provider_clients(
    url: &str,
    attempts: u32,
    window: std::time::Duration,
    attempt_timeout: Option<std::time::Duration>,
) -> (Ecr, Ecs, tempfile::TempDir) {
    use std::time::Duration;

    use aws_smithy_types::timeout::TimeoutConfig;

    let (clients, dir) = provider_clients(url).await;
    let mut timeouts = TimeoutConfig::builder().connect_timeout(Duration::from_secs(5));
    if let Some(timeout) = attempt_timeout {
        timeouts = timeouts.operation_attempt_timeout(timeout);
    }
    let ecr = clients
        .ecr
        .config()
        .to_builder()
        .timeout_config(timeouts.clone().build())
        .build();
    let ecs = clients
        .ecs
        .config()
        .to_builder()
        .timeout_config(timeouts.build())
        .build();
    let pacer = clients.pacer.clone().with_policy(Policy {
        base: Duration::from_millis(1),
        cap: Duration::from_millis(5),
        transport_attempts: attempts,
        default_window: window,
    });
    (
        Ecr::new(aws_sdk_ecr::Client::from_conf(ecr), pacer.clone()),
        Ecs::new(aws_sdk_ecs::Client::from_conf(ecs), pacer),
        dir,
    )
}

/// Moves `tag` onto `digest` in the demo repository by hand (someone outside Terraform).
pub fn retag_by_hand(url: &str, digest: &str, tag: &str) {
    retag_in_by_hand(url, DEMO_REPOSITORY, digest, tag);
}

/// Moves `tag` onto `digest` in `repository` by hand (someone outside Terraform).
pub fn retag_in_by_hand(url: &str, repository: &str, digest: &str, tag: &str) {
    let (ecr, _) = clients(url);
    let digest = Digest::parse(digest).expect("a digest");
    block_on(ecr.retag(&RepositoryRef::new(repository), &digest, tag))
        .unwrap_or_else(|e| panic!("moving {tag} in {repository} by hand: {e}"));
}

/// Deletes images from the demo repository by tag or digest, as a person with the AWS CLI would.
pub fn batch_delete(url: &str, ids: Vec<aws_sdk_ecr::types::ImageIdentifier>) {
    let client = aws_sdk_ecr::Client::from_conf(sdk_configs(url).0);
    let out = block_on(
        client
            .batch_delete_image()
            .repository_name(DEMO_REPOSITORY)
            .set_image_ids(Some(ids))
            .send(),
    )
    .expect("BatchDeleteImage");
    assert!(out.failures().is_empty(), "{:?}", out.failures());
}

/// Answers a PAUSE lifecycle hook by hand, as a person with `aws ecs
/// continue-service-deployment` would: `action` is `CONTINUE` or `ROLLBACK`.
pub fn continue_by_hand(url: &str, service_deployment_arn: &str, hook_id: &str, action: &str) {
    let client = aws_sdk_ecs::Client::from_conf(sdk_configs(url).1);
    block_on(
        client
            .continue_service_deployment()
            .service_deployment_arn(service_deployment_arn)
            .hook_id(hook_id)
            .action(aws_sdk_ecs::types::DeploymentLifecycleHookAction::from(
                action,
            ))
            .send(),
    )
    .unwrap_or_else(|e| panic!("ContinueServiceDeployment {action}: {e:?}"));
}
