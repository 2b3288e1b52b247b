//! The `tagdeploy` provider: its configuration block (a model, which is also its schema), how
//! that becomes AWS clients, and the registry of resources, data sources, functions, actions
//! and list resources (one line each).

use std::path::PathBuf;
use std::sync::Arc;

use crate::actions::redeploy::Redeploy;
use crate::aws::config::{AssumeRole, AwsSettings, build_clients};
use crate::data_sources::{Image, ReleaseStatus, TaskDigests};
use crate::functions::parse_image_uri::ParseImageUri;
use crate::list_resources::prod_tag::ProdTagList;
use crate::model;
use crate::names;
use crate::provider_data::ProviderData;
use crate::resources::prod_tag::ProdTag;
use crate::resources::release::Release;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{
    AnyAction, AnyDataSource, AnyListResource, AnyResource, Ctx, Function, Provider, action,
    data_source, function, list_resource, resource_with_identity,
};
use crate::tfplugin::model::{Model, Object, Tf, block, optional, required};
use crate::tfplugin::schema::{Schema, validators};
use crate::tfplugin::value::Value;

/// The source address for local installs (never resolvable in a public registry).
pub const SOURCE_ADDRESS: &str = "terraform.local/tagdeploy/tagdeploy";

/// The provider.
#[derive(Debug, Default, Clone, Copy)]
pub struct TagdeployProvider;

model! {
    /// The `provider "tagdeploy"` block.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ProviderModel {
        /// The AWS region, e.g. `eu-west-1`. Defaults to `AWS_REGION`/`AWS_DEFAULT_REGION` or
        /// the profile's region.
        pub region: Tf<String> => optional().validate(names::validators::region()),
        /// The named profile of the shared configuration files to use. Defaults to
        /// `AWS_PROFILE`, then `default`.
        pub profile: Tf<String> => optional().validate(validators::non_empty()),
        /// Paths of shared configuration files used instead of `~/.aws/config`.
        pub shared_config_files: Tf<Vec<String>> => optional()
            .validate(validators::each(validators::non_empty())),
        /// Paths of shared credentials files used instead of `~/.aws/credentials`.
        pub shared_credentials_files: Tf<Vec<String>> => optional()
            .validate(validators::each(validators::non_empty())),
        /// An IAM role to assume on top of the base credentials.
        pub assume_role: Tf<AssumeRoleModel> => block(),
        /// Custom service endpoints (VPC endpoints, or a local emulator).
        pub endpoints: Tf<EndpointsModel> => block(),
    }
}

model! {
    /// The `assume_role` block.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct AssumeRoleModel {
        /// The ARN of the role, e.g. `arn:aws:iam::123456789012:role/deploy`.
        pub role_arn: Tf<String> => required().validate(names::validators::role_arn()),
        /// The session name recorded in CloudTrail (2 to 64 characters of letters, digits and
        /// `+=,.@_-`).
        pub session_name: Tf<String> => optional().validate(names::validators::session_name()),
        /// The external ID the role's trust policy requires.
        pub external_id: Tf<String> => optional().validate(validators::length_between(2, 1224)),
    }
}

model! {
    /// The `endpoints` block.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct EndpointsModel {
        /// The Amazon ECR endpoint URL, e.g. `http://127.0.0.1:4566`.
        pub ecr: Tf<String> => optional()
            .validate(validators::matches("an http:// or https:// URL", check_endpoint_url)),
        /// The Amazon ECS endpoint URL.
        pub ecs: Tf<String> => optional()
            .validate(validators::matches("an http:// or https:// URL", check_endpoint_url)),
    }
}

impl Provider for TagdeployProvider {
    type Data = ProviderData;
    type Model = ProviderModel;

    fn type_name(&self) -> &'static str {
        "tagdeploy"
    }

    fn schema(&self) -> Schema {
        ProviderModel::schema(0)
            .description("Promotes environment tags in Amazon ECR and redeploys the Amazon ECS services that run them. With an empty block the standard AWS configuration chain applies (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL_ECR`, `AWS_ENDPOINT_URL_ECS`, shared files, instance roles).")
    }

    async fn configure(
        &self,
        _ctx: &mut Ctx<'_, ()>,
        config: ProviderModel,
    ) -> Result<ProviderData, Diagnostics> {
        let unknown = unknown_settings(&config.to_value());
        if !unknown.is_empty() {
            tracing::info!(
                settings = unknown.join(","),
                "provider settings unknown at configure time"
            );
            return Ok(ProviderData::unknown_settings(unknown));
        }
        let settings = settings_from(&config);
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
        Ok(ProviderData::configured(clients))
    }

    fn resources(&self) -> Vec<Arc<dyn AnyResource<ProviderData>>> {
        // One line per resource type.
        vec![
            resource_with_identity(ProdTag),
            resource_with_identity(Release),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn AnyDataSource<ProviderData>>> {
        // One line per data source type.
        vec![
            data_source(TaskDigests),
            data_source(Image),
            data_source(ReleaseStatus),
        ]
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        vec![function(ParseImageUri)]
    }

    fn actions(&self) -> Vec<Arc<dyn AnyAction<ProviderData>>> {
        vec![action(Redeploy)]
    }

    fn list_resources(&self) -> Vec<Arc<dyn AnyListResource<ProviderData>>> {
        vec![list_resource(ProdTagList)]
    }
}

/// The settings of a provider configuration that are (partly) unknown: a top-level setting by
/// its name, a setting inside a block as `block.setting`, a block unknown as a whole by its
/// name. Read off the configuration's own value, so no setting name is written twice.
fn unknown_settings(config: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let Value::Map(settings) = config else {
        return out;
    };
    for (name, value) in settings {
        match value {
            Value::Map(inner) if !value.is_wholly_known() => {
                for (member, v) in inner {
                    if !v.is_wholly_known() {
                        out.push(format!("{name}.{member}"));
                    }
                }
            }
            v if !v.is_wholly_known() => out.push(name.clone()),
            _ => {}
        }
    }
    out
}

fn paths(files: &Tf<Vec<String>>) -> Vec<PathBuf> {
    files
        .known()
        .map(|files| files.iter().map(PathBuf::from).collect())
        .unwrap_or_default()
}

fn owned(value: &Tf<String>) -> Option<String> {
    value.known().cloned()
}

/// The AWS settings of a wholly known provider configuration.
fn settings_from(config: &ProviderModel) -> AwsSettings {
    let role = config.assume_role.known();
    let endpoints = config.endpoints.known();
    AwsSettings {
        region: owned(&config.region),
        profile: owned(&config.profile),
        shared_config_files: paths(&config.shared_config_files),
        shared_credentials_files: paths(&config.shared_credentials_files),
        assume_role: role.and_then(|r| {
            owned(&r.role_arn).map(|role_arn| AssumeRole {
                role_arn,
                session_name: owned(&r.session_name),
                external_id: owned(&r.external_id),
            })
        }),
        ecr_endpoint: endpoints.and_then(|e| owned(&e.ecr)),
        ecs_endpoint: endpoints.and_then(|e| owned(&e.ecs)),
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

    fn model(pairs: Vec<(&str, Value)>) -> ProviderModel {
        ProviderModel::from_value(&config(pairs)).expect("a provider configuration")
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

    /// Every registered type, generically: its schema is valid and its model reads the schema's
    /// null object and configurations with every configurable value unknown (at the top and in
    /// nested objects) and gives them back unchanged, with exactly the schema's attribute names.
    #[test]
    fn every_registered_type_is_its_model() {
        let runtime = crate::tfplugin::framework::Runtime::new(TagdeployProvider);
        let diags = runtime.schema_diagnostics();
        assert!(diags.is_empty(), "{diags}");
        let types: Vec<&str> = runtime
            .resource_schemas()
            .chain(runtime.data_source_schemas())
            .chain(runtime.action_schemas())
            .chain(runtime.list_resource_schemas())
            .map(|(name, _)| name)
            .collect();
        assert_eq!(
            types,
            [
                "tagdeploy_prod_tag",
                "tagdeploy_release",
                "tagdeploy_image",
                "tagdeploy_release_status",
                "tagdeploy_task_digests",
                "tagdeploy_redeploy",
                "tagdeploy_prod_tag"
            ]
        );
        let identities: Vec<&str> = runtime.identity_schemas().map(|(n, _)| n).collect();
        assert_eq!(identities, ["tagdeploy_prod_tag", "tagdeploy_release"]);
    }

    /// Every attribute, nested member and block of every type says what it is, in a sentence.
    #[test]
    fn every_attribute_is_documented() {
        use crate::tfplugin::schema::Block;
        fn walk(block: &Block, path: &str, missing: &mut Vec<String>) {
            for a in block.attributes() {
                let here = format!("{path}.{}", a.name());
                if !a.description_text().ends_with('.') {
                    missing.push(here.clone());
                }
                if let Some(nested) = a.nested_type() {
                    walk(nested.object(), &here, missing);
                }
            }
            for b in block.blocks() {
                let here = format!("{path}.{}", b.name());
                if !b.block().description.ends_with('.') {
                    missing.push(here.clone());
                }
                walk(b.block(), &here, missing);
            }
        }
        let runtime = crate::tfplugin::framework::Runtime::new(TagdeployProvider);
        let mut missing = Vec::new();
        for (name, schema) in std::iter::once(("provider", runtime.provider_schema()))
            .chain(runtime.resource_schemas())
            .chain(runtime.data_source_schemas())
            .chain(runtime.action_schemas())
            .chain(runtime.list_resource_schemas())
        {
            if !schema.root().description.ends_with('.') {
                missing.push(name.to_owned());
            }
            walk(schema.root(), name, &mut missing);
        }
        for (name, identity) in runtime.identity_schemas() {
            for a in identity.attributes() {
                if !a.description.ends_with('.') {
                    missing.push(format!("{name} identity.{}", a.name));
                }
            }
        }
        assert_eq!(missing, Vec::<String>::new());
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
        let c = model(vec![
            ("region", Value::Unknown),
            (
                "shared_config_files",
                Value::List(vec![Value::string("a"), Value::Unknown]),
            ),
            (
                "endpoints",
                Value::object([("ecr", Value::Unknown), ("ecs", Value::string("http://x"))]),
            ),
            ("assume_role", Value::Unknown),
        ]);
        assert_eq!(
            unknown_settings(&c.to_value()),
            [
                "assume_role",
                "endpoints.ecr",
                "region",
                "shared_config_files"
            ]
        );
        let mut ctx = Ctx::new(&(), tokio_util::sync::CancellationToken::new(), Vec::new());
        let data = TagdeployProvider.configure(&mut ctx, c).await.unwrap();
        let err = data.clients().unwrap_err();
        assert!(err.to_string().contains("region"), "{err}");
    }

    #[tokio::test]
    async fn known_settings_build_clients() {
        let c = model(vec![
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
        let data = TagdeployProvider.configure(&mut ctx, c).await.unwrap();
        assert_eq!(data.clients().unwrap().region.as_deref(), Some("eu-west-1"));
    }
}
