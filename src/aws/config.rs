//! Client construction: provider settings → `aws_config::SdkConfig` → ECR and ECS clients,
//! with the reads their users share ([`SharedReads`]).
//!
//! Nothing here touches the network: credentials are resolved lazily on the first request, and
//! the region comes from the settings, `AWS_REGION`/`AWS_DEFAULT_REGION` or the profile files
//! (not from the EC2 instance metadata service, which costs seconds off EC2; set `region` there).
//! Endpoints: an explicit `endpoints` value wins; otherwise the SDK honours
//! `AWS_ENDPOINT_URL_ECR` / `AWS_ENDPOINT_URL_ECS` / `AWS_ENDPOINT_URL`.

use std::path::PathBuf;

use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_runtime::env_config::file::{
    EnvConfigFileKind as ProfileFileKind, EnvConfigFiles as ProfileFiles,
};

use super::coalesce::{DEFAULT_MAX_WAIT, DEFAULT_WINDOW};
use super::ecr::{Ecr, SharedImageLookups};
use super::ecs::{Ecs, SharedEcsReads};
use super::telemetry::CallObserver;

/// Attempts per call for ECR (standard retry mode: exponential backoff with jitter).
pub const ECR_MAX_ATTEMPTS: u32 = 5;
/// Attempts per call for ECS (standard retry mode). More than ECR because the rollout wait reads
/// ECS repeatedly, where throttling is likeliest. Not adaptive mode: after a single throttle its
/// client-side rate limiter stalled the next calls by 4-20 s in the fault tests
/// (`reliability::faults`), while the rollout poll already backs off on its own.
pub const ECS_MAX_ATTEMPTS: u32 = 8;
/// The longest one attempt of any call may take before it is retried: a hung connection must
/// not hold a promotion (or Ctrl-C) forever.
pub const ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// How long connecting may take.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// An IAM role to assume on top of the base credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct AssumeRole {
    /// `arn:aws:iam::123456789012:role/name`.
    pub role_arn: String,
    /// The STS session name (default chosen by the SDK).
    pub session_name: Option<String>,
    /// The external id the role's trust policy requires.
    pub external_id: Option<String>,
}

impl std::fmt::Debug for AssumeRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The external id is a shared secret of sorts: never print it.
        f.debug_struct("AssumeRole")
            .field("role_arn", &self.role_arn)
            .field("session_name", &self.session_name)
            .field(
                "external_id",
                &self.external_id.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Everything the provider block can say about AWS access. `None`/empty = the standard chain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    /// Region, e.g. `eu-west-1`.
    pub region: Option<String>,
    /// Named profile from the shared files.
    pub profile: Option<String>,
    /// Shared config files replacing `~/.aws/config`.
    pub shared_config_files: Vec<PathBuf>,
    /// Shared credentials files replacing `~/.aws/credentials`.
    pub shared_credentials_files: Vec<PathBuf>,
    /// Role to assume.
    pub assume_role: Option<AssumeRole>,
    /// ECR endpoint URL override.
    pub ecr_endpoint: Option<String>,
    /// ECS endpoint URL override.
    pub ecs_endpoint: Option<String>,
}

/// The clients every resource uses.
#[derive(Debug, Clone)]
pub struct Clients {
    /// Amazon ECR.
    pub ecr: aws_sdk_ecr::Client,
    /// Amazon ECS.
    pub ecs: aws_sdk_ecs::Client,
    /// The region the clients talk to, if one was found.
    pub region: Option<String>,
    /// Shares reads between the concurrent calls of this provider process.
    pub shared: SharedReads,
}

/// The reads the concurrent calls of one provider process share (see [`super::coalesce`]):
/// batched DescribeServices and DescribeTasks, single-flight DescribeImages.
#[derive(Debug, Clone)]
pub struct SharedReads {
    /// DescribeServices and DescribeTasks, batched by cluster.
    pub ecs: SharedEcsReads,
    /// Identical DescribeImages lookups in flight.
    pub ecr: SharedImageLookups,
}

impl Default for SharedReads {
    fn default() -> Self {
        SharedReads {
            ecs: SharedEcsReads::new(DEFAULT_WINDOW, DEFAULT_MAX_WAIT),
            ecr: SharedImageLookups::default(),
        }
    }
}

impl Clients {
    /// The ECR operations, sharing identical concurrent image lookups with every other user of
    /// these clients.
    pub fn shared_ecr(&self) -> Ecr {
        Ecr::coalesced(self.ecr.clone(), self.shared.ecr.clone())
    }

    /// The ECS operations, batching DescribeServices and DescribeTasks with every other user of
    /// these clients.
    pub fn shared_ecs(&self) -> Ecs {
        Ecs::coalesced(self.ecs.clone(), self.shared.ecs.clone())
    }
}

fn profile_files(settings: &AwsSettings) -> Option<ProfileFiles> {
    if settings.shared_config_files.is_empty() && settings.shared_credentials_files.is_empty() {
        return None;
    }
    let mut builder = ProfileFiles::builder();
    if settings.shared_config_files.is_empty() {
        builder = builder.include_default_config_file(true);
    }
    if settings.shared_credentials_files.is_empty() {
        builder = builder.include_default_credentials_file(true);
    }
    for f in &settings.shared_config_files {
        builder = builder.with_file(ProfileFileKind::Config, f);
    }
    for f in &settings.shared_credentials_files {
        builder = builder.with_file(ProfileFileKind::Credentials, f);
    }
    Some(builder.build())
}

/// Loads the shared configuration (files and environment only; no network).
pub async fn load_sdk_config(settings: &AwsSettings) -> SdkConfig {
    let files = profile_files(settings);
    let mut profile_region = aws_config::profile::ProfileFileRegionProvider::builder();
    if let Some(files) = &files {
        profile_region = profile_region.profile_files(files.clone());
    }
    if let Some(profile) = &settings.profile {
        profile_region = profile_region.profile_name(profile);
    }
    let region = RegionProviderChain::first_try(settings.region.clone().map(Region::new))
        .or_else(aws_config::environment::EnvironmentVariableRegionProvider::new())
        .or_else(profile_region.build());

    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .retry_config(RetryConfig::standard().with_max_attempts(ECR_MAX_ATTEMPTS))
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .build(),
        );
    if let Some(files) = files {
        loader = loader.profile_files(files);
    }
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    let base = loader.load().await;

    match &settings.assume_role {
        None => base,
        Some(role) => {
            let mut builder = aws_config::sts::AssumeRoleProvider::builder(role.role_arn.clone())
                .configure(&base);
            if let Some(name) = &role.session_name {
                builder = builder.session_name(name);
            }
            if let Some(id) = &role.external_id {
                builder = builder.external_id(id);
            }
            // Building only prepares the STS call; credentials are fetched on first use.
            let provider = builder.build().await;
            base.into_builder()
                .credentials_provider(aws_types::sdk_config::SharedCredentialsProvider::new(
                    provider,
                ))
                .build()
        }
    }
}

/// Builds the ECR and ECS clients (cheap; no network). Every call they make is observed
/// ([`CallObserver`]): logged at DEBUG, and recorded for the error message if it fails.
pub async fn build_clients(settings: &AwsSettings) -> Clients {
    let sdk = load_sdk_config(settings).await;
    let mut ecr = aws_sdk_ecr::config::Builder::from(&sdk)
        .retry_config(RetryConfig::standard().with_max_attempts(ECR_MAX_ATTEMPTS))
        .interceptor(CallObserver);
    if let Some(url) = &settings.ecr_endpoint {
        ecr = ecr.endpoint_url(url);
    }
    let mut ecs = aws_sdk_ecs::config::Builder::from(&sdk)
        .retry_config(RetryConfig::standard().with_max_attempts(ECS_MAX_ATTEMPTS))
        .interceptor(CallObserver);
    if let Some(url) = &settings.ecs_endpoint {
        ecs = ecs.endpoint_url(url);
    }
    Clients {
        ecr: aws_sdk_ecr::Client::from_conf(ecr.build()),
        ecs: aws_sdk_ecs::Client::from_conf(ecs.build()),
        region: sdk.region().map(ToString::to_string),
        shared: SharedReads::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn explicit_settings_win_and_endpoints_are_applied() {
        let settings = AwsSettings {
            region: Some("eu-west-3".into()),
            ecr_endpoint: Some("http://127.0.0.1:4566".into()),
            ecs_endpoint: Some("http://127.0.0.1:4567".into()),
            ..AwsSettings::default()
        };
        let clients = build_clients(&settings).await;
        assert_eq!(clients.region.as_deref(), Some("eu-west-3"));
        let ecr_conf = clients.ecr.config();
        assert_eq!(
            ecr_conf.region().map(ToString::to_string).as_deref(),
            Some("eu-west-3")
        );
        assert_eq!(
            ecr_conf.retry_config().map(|r| r.max_attempts()),
            Some(ECR_MAX_ATTEMPTS)
        );
        let ecs_conf = clients.ecs.config();
        assert_eq!(
            ecs_conf
                .retry_config()
                .map(|r| (r.mode(), r.max_attempts())),
            Some((aws_config::retry::RetryMode::Standard, ECS_MAX_ATTEMPTS))
        );
        assert_eq!(
            ecs_conf
                .timeout_config()
                .and_then(|t| t.operation_attempt_timeout()),
            Some(ATTEMPT_TIMEOUT)
        );
    }

    #[test]
    fn external_id_is_not_printed() {
        let role = AssumeRole {
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            session_name: None,
            external_id: Some("s3cr3t".into()),
        };
        assert!(!format!("{role:?}").contains("s3cr3t"));
    }
}
