//! The `tagdeploy` provider: its configuration block, how that becomes AWS clients, and the
//! registry of resources, data sources and functions (one line each).

use std::path::PathBuf;
use std::sync::Arc;

use crate::aws::config::{AssumeRole, AwsSettings, Clients, build_clients};
use crate::data_sources::{Image, TaskDigests};
use crate::functions::parse_image_uri::ParseImageUri;
use crate::names;
use crate::resources::prod_tag::ProdTag;
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::{
    AnyDataSource, AnyResource, Ctx, Function, Provider, data_source, function, resource,
};
use crate::tfplugin::schema::{Attribute, Block, NestedBlock, Presence, Schema, validators};
use crate::tfplugin::value::Value;

/// The source address for local installs (never resolvable in a public registry).
pub const SOURCE_ADDRESS: &str = "terraform.local/tagdeploy/tagdeploy";

/// The provider.
#[derive(Debug, Default, Clone, Copy)]
pub struct TagdeployProvider;

/// What every resource and data source call receives: the AWS clients, or why they are not
/// available yet (provider settings unknown until apply).
#[derive(Debug)]
pub struct ProviderData {
    clients: Result<Clients, Vec<String>>,
}

impl ProviderData {
    /// The AWS clients, or an error diagnostic naming the provider settings that are still
    /// unknown (Terraform configures providers during plan with whatever is known).
    pub fn clients(&self) -> Result<&Clients, Diagnostics> {
        self.clients.as_ref().map_err(|unknown| {
            Diagnostic::error(
                "Provider Configuration Not Known Yet",
                format!(
                    "The tagdeploy provider setting(s) {} depend on values known only after apply, so the provider cannot talk to AWS during this plan. Use known values for the provider block (or apply the resources they depend on first with -target).",
                    unknown.join(", ")
                ),
            )
            .into()
        })
    }
}

impl Provider for TagdeployProvider {
    type Data = ProviderData;

    fn type_name(&self) -> &'static str {
        "tagdeploy"
    }

    fn schema(&self) -> Schema {
        Schema::new(0)
            .description("Promotes environment tags in Amazon ECR and redeploys the Amazon ECS services that run them. With an empty block the standard AWS configuration chain applies (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL_ECR`, `AWS_ENDPOINT_URL_ECS`, shared files, instance roles).")
            .attribute(
                Attribute::string("region", Presence::Optional)
                    .description("The AWS region, e.g. `eu-west-1`. Defaults to `AWS_REGION`/`AWS_DEFAULT_REGION` or the profile's region.")
                    .validate(names::validators::region()),
            )
            .attribute(
                Attribute::string("profile", Presence::Optional)
                    .description("The named profile of the shared configuration files to use. Defaults to `AWS_PROFILE`, then `default`.")
                    .validate(validators::non_empty()),
            )
            .attribute(
                Attribute::string_list("shared_config_files", Presence::Optional)
                    .description("Paths of shared configuration files used instead of `~/.aws/config`.")
                    .validate(validators::each(validators::non_empty())),
            )
            .attribute(
                Attribute::string_list("shared_credentials_files", Presence::Optional)
                    .description("Paths of shared credentials files used instead of `~/.aws/credentials`.")
                    .validate(validators::each(validators::non_empty())),
            )
            .block(NestedBlock::single(
                "assume_role",
                Block::new()
                    .description("An IAM role to assume on top of the base credentials.")
                    .attribute(
                        Attribute::string("role_arn", Presence::Required)
                            .description("The ARN of the role, e.g. `arn:aws:iam::123456789012:role/deploy`.")
                            .validate(names::validators::role_arn()),
                    )
                    .attribute(
                        Attribute::string("session_name", Presence::Optional)
                            .description("The session name recorded in CloudTrail (2 to 64 characters of letters, digits and `+=,.@_-`).")
                            .validate(names::validators::session_name()),
                    )
                    .attribute(
                        Attribute::string("external_id", Presence::Optional)
                            .description("The external ID the role's trust policy requires.")
                            .validate(validators::length_between(2, 1224)),
                    ),
            ))
            .block(NestedBlock::single(
                "endpoints",
                Block::new()
                    .description("Custom service endpoints (VPC endpoints, or a local emulator).")
                    .attribute(
                        Attribute::string("ecr", Presence::Optional)
                            .description("The Amazon ECR endpoint URL, e.g. `http://127.0.0.1:4566`.")
                            .validate(validators::matches("an http:// or https:// URL", check_endpoint_url)),
                    )
                    .attribute(
                        Attribute::string("ecs", Presence::Optional)
                            .description("The Amazon ECS endpoint URL.")
                            .validate(validators::matches("an http:// or https:// URL", check_endpoint_url)),
                    ),
            ))
    }

    async fn configure(
        &self,
        _ctx: &mut Ctx<'_, ()>,
        config: &Value,
    ) -> Result<ProviderData, Diagnostics> {
        let unknown = unknown_settings(config);
        if !unknown.is_empty() {
            tracing::info!(
                settings = unknown.join(","),
                "provider settings unknown at configure time"
            );
            return Ok(ProviderData {
                clients: Err(unknown),
            });
        }
        let settings = settings_from(config);
        let clients = build_clients(&settings).await;
        // Only non-secret settings are logged.
        tracing::debug!(
            region = clients.region.as_deref().unwrap_or_default(),
            profile = settings.profile.as_deref().unwrap_or_default(),
            assume_role = settings
                .assume_role
                .as_ref()
                .map_or("", |r| r.role_arn.as_str()),
            "configured AWS clients"
        );
        Ok(ProviderData {
            clients: Ok(clients),
        })
    }

    fn resources(&self) -> Vec<Arc<dyn AnyResource<ProviderData>>> {
        // One line per resource type.
        vec![resource(ProdTag)]
    }

    fn data_sources(&self) -> Vec<Arc<dyn AnyDataSource<ProviderData>>> {
        // One line per data source type.
        vec![data_source(TaskDigests), data_source(Image)]
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        vec![function(ParseImageUri)]
    }
}

/// Names of settings whose value is (partly) unknown.
fn unknown_settings(config: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for name in [
        "region",
        "profile",
        "shared_config_files",
        "shared_credentials_files",
    ] {
        if !config.attr(name).is_wholly_known() {
            out.push(name.to_owned());
        }
    }
    for (block, attrs) in [
        (
            "assume_role",
            &["role_arn", "session_name", "external_id"][..],
        ),
        ("endpoints", &["ecr", "ecs"][..]),
    ] {
        let b = config.attr(block);
        if b.is_unknown() {
            out.push(block.to_owned());
            continue;
        }
        for a in attrs {
            if !b.attr(a).is_wholly_known() {
                out.push(format!("{block}.{a}"));
            }
        }
    }
    out
}

fn opt_string(v: &Value) -> Option<String> {
    v.as_str().map(ToOwned::to_owned)
}

fn paths(v: &Value) -> Vec<PathBuf> {
    v.elements()
        .iter()
        .filter_map(|e| e.as_str().map(PathBuf::from))
        .collect()
}

/// The AWS settings of a wholly known provider configuration.
fn settings_from(config: &Value) -> AwsSettings {
    let role = config.attr("assume_role");
    let endpoints = config.attr("endpoints");
    AwsSettings {
        region: opt_string(config.attr("region")),
        profile: opt_string(config.attr("profile")),
        shared_config_files: paths(config.attr("shared_config_files")),
        shared_credentials_files: paths(config.attr("shared_credentials_files")),
        assume_role: opt_string(role.attr("role_arn")).map(|role_arn| AssumeRole {
            role_arn,
            session_name: opt_string(role.attr("session_name")),
            external_id: opt_string(role.attr("external_id")),
        }),
        ecr_endpoint: opt_string(endpoints.attr("ecr")),
        ecs_endpoint: opt_string(endpoints.attr("ecs")),
    }
}

/// An absolute http(s) URL with a host and no whitespace.
fn check_endpoint_url(s: &str) -> Result<(), String> {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or_else(|| format!("{s:?} does not start with http:// or https://"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        return Err(format!("{s:?} has no host"));
    }
    if s.chars().any(char::is_whitespace) {
        return Err(format!("{s:?} contains whitespace"));
    }
    if let Some((_, port)) = host.rsplit_once(':')
        && !host.ends_with(']')
        && port.parse::<u16>().is_err()
    {
        return Err(format!("{s:?} has an invalid port"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: Vec<(&str, Value)>) -> Value {
        let mut base = TagdeployProvider.schema().null_object();
        if let Value::Map(f) = &mut base {
            for (k, v) in pairs {
                f.insert(k.into(), v);
            }
        }
        base
    }

    fn paths_of(d: &Diagnostics) -> Vec<String> {
        d.iter()
            .map(|d| d.attribute.clone().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn schema_is_valid() {
        assert!(TagdeployProvider.schema().check().is_ok());
    }

    #[test]
    fn endpoint_urls() {
        for ok in [
            "http://127.0.0.1:4566",
            "https://ecr.eu-west-1.amazonaws.com",
            "http://[::1]:8080/x",
        ] {
            assert!(check_endpoint_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "127.0.0.1:4566",
            "http://",
            "ftp://x",
            "http://a b",
            "http://host:port",
        ] {
            assert!(check_endpoint_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn invalid_settings_point_at_their_attribute() {
        let c = config(vec![
            ("region", Value::string("")),
            ("profile", Value::string(" ")),
            ("shared_config_files", Value::List(vec![Value::string("")])),
            (
                "assume_role",
                Value::object([
                    ("role_arn", Value::string("nope")),
                    ("session_name", Value::Null),
                    ("external_id", Value::Null),
                ]),
            ),
            (
                "endpoints",
                Value::object([
                    ("ecr", Value::string("localhost:4566")),
                    ("ecs", Value::Null),
                ]),
            ),
        ]);
        let d = TagdeployProvider.schema().validate(&c);
        assert_eq!(
            paths_of(&d),
            [
                "region",
                "profile",
                "shared_config_files[0]",
                "assume_role.role_arn",
                "endpoints.ecr"
            ]
        );
    }

    #[test]
    fn empty_block_is_valid() {
        assert!(
            TagdeployProvider
                .schema()
                .validate(&config(vec![]))
                .is_empty()
        );
    }

    #[tokio::test]
    async fn unknown_settings_defer_the_error_to_resources() {
        let c = config(vec![("region", Value::Unknown)]);
        let mut ctx = Ctx::new(&(), tokio_util::sync::CancellationToken::new(), Vec::new());
        let data = TagdeployProvider.configure(&mut ctx, &c).await.unwrap();
        let err = data.clients().unwrap_err();
        assert!(err.to_string().contains("region"), "{err}");
    }

    #[tokio::test]
    async fn known_settings_build_clients() {
        let c = config(vec![
            ("region", Value::string("eu-west-1")),
            (
                "endpoints",
                Value::object([
                    ("ecr", Value::string("http://127.0.0.1:1")),
                    ("ecs", Value::Null),
                ]),
            ),
        ]);
        let mut ctx = Ctx::new(&(), tokio_util::sync::CancellationToken::new(), Vec::new());
        let data = TagdeployProvider.configure(&mut ctx, &c).await.unwrap();
        assert_eq!(data.clients().unwrap().region.as_deref(), Some("eu-west-1"));
    }
}
