//! `data "tagdeploy_image"`: one image of an ECR repository, by tag or by digest. Answers
//! "which release is in prod right now": its digest, every tag on it, and its pinned URI.
//!
//! One read is two concurrent calls: DescribeImages for the image and DescribeRepositories for
//! the repository URI (exact, rather than guessed from account and region).

use crate::aws::ecr::{Ecr, ImageDetails, Repository};
use crate::aws::image::{Digest, ImageSelector, RepositoryRef};
use crate::errors::{self, Attributes};
use crate::names;
use crate::provider::ProviderData;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::{Ctx, DataSource};
use crate::tfplugin::schema::{Attribute, Presence, Schema};
use crate::tfplugin::value::Value;

use super::{config_str, int, is_set_and_known, opt_string};

const SUMMARY: &str = "Read Image Error";

/// The data source.
#[derive(Debug, Default, Clone, Copy)]
pub struct Image;

impl DataSource for Image {
    type Data = ProviderData;

    fn type_name(&self) -> &'static str {
        "tagdeploy_image"
    }

    fn schema(&self) -> Schema {
        Schema::new(0)
            .description("Looks up one image of an Amazon ECR repository by tag or by digest: its digest, every tag it carries, its media type, push time, size and a URI pinned to its digest. With `tag = \"prod\"` it answers which release hash is in production right now.")
            .attribute(
                Attribute::string("repository", Presence::Required)
                    .description("The name of the ECR repository, e.g. `example` or `team/app`.")
                    .validate(names::validators::repository()),
            )
            .attribute(
                Attribute::string("registry_id", Presence::Optional)
                    .description("The AWS account id of the registry that holds the repository, when it is not the caller's own account.")
                    .validate(names::validators::account_id()),
            )
            .attribute(
                Attribute::string("tag", Presence::Optional)
                    .description("A tag of the image to look up, e.g. `prod` or `hash_2`. Exactly one of `tag` and `digest` must be set.")
                    .validate(names::validators::tag()),
            )
            .attribute(
                Attribute::string("digest", Presence::OptionalComputed)
                    .description("The image's digest (`sha256:` followed by 64 lowercase hex digits). Set it to look the image up by digest, or leave it out and read the digest `tag` points at. Exactly one of `tag` and `digest` must be set.")
                    .validate(names::validators::digest()),
            )
            .attribute(
                Attribute::string("id", Presence::Computed)
                    .description("The image's digest."),
            )
            .attribute(
                Attribute::string_list("tags", Presence::Computed)
                    .description("Every tag on the image, sorted."),
            )
            .attribute(
                Attribute::string("media_type", Presence::Computed)
                    .description("The media type of the image's manifest, e.g. `application/vnd.docker.distribution.manifest.v2+json`, or `application/vnd.oci.image.index.v1+json` for a multi-architecture image. Null when ECR does not report one."),
            )
            .attribute(
                Attribute::string("pushed_at", Presence::Computed)
                    .description("When the image was pushed, as an RFC 3339 timestamp. Null when ECR does not report it."),
            )
            .attribute(
                Attribute::number("size_bytes", Presence::Computed)
                    .description("The image's size in bytes as ECR reports it. Null when ECR does not report it."),
            )
            .attribute(
                Attribute::string("image_uri", Presence::Computed)
                    .description("The image's URI pinned to its digest: `<account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:…`, with the repository URI as ECR reports it."),
            )
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let (tag, digest) = (config.attr("tag"), config.attr("digest"));
        let mut diags = Diagnostics::new();
        if is_set_and_known(config, "tag") && is_set_and_known(config, "digest") {
            diags.push(
                Diagnostic::error(
                    "Conflicting Image Selectors",
                    "Set either `tag` or `digest`, not both: the image is looked up by one of them.",
                )
                .at(AttributePath::attr("digest")),
            );
        } else if tag.is_null() && digest.is_null() {
            diags.push(Diagnostic::error(
                "Missing Image Selector",
                "Set `tag` (e.g. `prod`) or `digest` (`sha256:…`) to say which image to look up.",
            ));
        }
        diags
    }

    async fn read(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        config: &Value,
    ) -> Result<Value, Diagnostics> {
        let clients = ctx.data().clients()?;
        let repository = RepositoryRef {
            name: config_str(config, "repository").unwrap_or_default(),
            registry_id: config_str(config, "registry_id"),
        };
        let selector = selector_from(config)?;
        let ecr = Ecr::new(clients.ecr.clone());
        let cancel = ctx.cancellation().clone();
        let lookups = async {
            tokio::try_join!(
                ecr.image(&repository, &selector),
                ecr.repository(&repository)
            )
        };
        let (image, repo) = tokio::select! {
            result = lookups => result.map_err(|err| errors::ecr(SUMMARY, &err, &attributes()))?,
            () = cancel.cancelled() => return Err(errors::cancelled(SUMMARY).into()),
        };
        Ok(to_value(config, &image, &repo))
    }
}

/// The image a (wholly known) configuration asks for. Validation has already refused "both"
/// and "neither"; this repeats the check so a read never guesses.
fn selector_from(config: &Value) -> Result<ImageSelector, Diagnostics> {
    match (config_str(config, "tag"), config_str(config, "digest")) {
        (Some(tag), None) => Ok(ImageSelector::Tag(tag)),
        (None, Some(digest)) => Digest::parse(&digest)
            .map(ImageSelector::Digest)
            .map_err(|e| {
                Diagnostic::error(SUMMARY, format!("{e}."))
                    .at(AttributePath::attr("digest"))
                    .into()
            }),
        _ => Err(Diagnostic::error(SUMMARY, "Set exactly one of `tag` and `digest`.").into()),
    }
}

/// Where each kind of error points in this data source's configuration.
fn attributes() -> Attributes {
    Attributes::new()
        .repository(AttributePath::attr("repository"))
        .registry_id(AttributePath::attr("registry_id"))
        .image_tag(AttributePath::attr("tag"))
        .image_digest(AttributePath::attr("digest"))
}

/// The data source's value: configured values unchanged, the rest from ECR.
fn to_value(config: &Value, image: &ImageDetails, repository: &Repository) -> Value {
    Value::object([
        ("repository", config.attr("repository").clone()),
        ("registry_id", config.attr("registry_id").clone()),
        ("tag", config.attr("tag").clone()),
        ("digest", Value::string(image.digest.as_str())),
        ("id", Value::string(image.digest.as_str())),
        (
            "tags",
            Value::List(image.tags.iter().map(Value::string).collect()),
        ),
        ("media_type", opt_string(image.media_type.as_deref())),
        ("pushed_at", opt_string(image.pushed_at.as_deref())),
        ("size_bytes", image.size_bytes.map_or(Value::Null, int)),
        (
            "image_uri",
            Value::string(format!("{}@{}", repository.uri, image.digest)),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::image::TagMutability;
    use crate::tfplugin::value::Type;

    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut base = Image.schema().null_object();
        if let Value::Map(fields) = &mut base {
            for (k, v) in pairs {
                fields.insert((*k).to_owned(), v.clone());
            }
        }
        base
    }

    fn digest() -> String {
        format!("sha256:{}", "ab".repeat(32))
    }

    fn paths(d: &Diagnostics) -> Vec<String> {
        d.iter()
            .map(|d| d.attribute.clone().unwrap_or_default().to_string())
            .collect()
    }

    fn validate(config: &Value) -> Diagnostics {
        let mut diags = Image.schema().validate(config);
        diags.extend(Image.validate(config));
        diags
    }

    #[test]
    fn schema_is_valid_and_documented() {
        let schema = Image.schema();
        assert!(schema.check().is_ok());
        for a in schema.root().attributes() {
            assert!(
                a.description.ends_with('.'),
                "{} lacks a sentence",
                a.name()
            );
        }
    }

    #[test]
    fn exactly_one_selector() {
        let repo = ("repository", Value::string("example"));
        let both = config(&[
            repo.clone(),
            ("tag", Value::string("prod")),
            ("digest", Value::string(digest())),
        ]);
        assert_eq!(paths(&validate(&both)), ["digest"]);
        let neither = config(std::slice::from_ref(&repo));
        let d = validate(&neither);
        assert!(d.has_errors());
        assert_eq!(paths(&d), [""]);
        assert!(validate(&config(&[repo.clone(), ("tag", Value::string("prod"))])).is_empty());
        assert!(
            validate(&config(&[
                repo.clone(),
                ("digest", Value::string(digest()))
            ]))
            .is_empty()
        );
        // Unknown values may turn out null or set: judge them at read time.
        assert!(validate(&config(&[repo.clone(), ("tag", Value::Unknown)])).is_empty());
        assert!(
            validate(&config(&[
                repo,
                ("tag", Value::string("prod")),
                ("digest", Value::Unknown)
            ]))
            .is_empty()
        );
    }

    #[test]
    fn malformed_values_point_at_their_attribute() {
        let bad = config(&[
            ("repository", Value::string("UPPER")),
            ("registry_id", Value::string("12")),
            ("digest", Value::string("sha256:abc")),
        ]);
        assert_eq!(
            paths(&validate(&bad)),
            ["repository", "registry_id", "digest"]
        );
        let long_tag = config(&[
            ("repository", Value::string("example")),
            ("tag", Value::string("t".repeat(129))),
        ]);
        assert_eq!(paths(&validate(&long_tag)), ["tag"]);
    }

    #[test]
    fn selector_follows_the_configuration() {
        let by_tag = config(&[("tag", Value::string("hash_2"))]);
        assert_eq!(
            selector_from(&by_tag).ok(),
            Some(ImageSelector::Tag("hash_2".into()))
        );
        let by_digest = config(&[("digest", Value::string(digest()))]);
        assert!(matches!(
            selector_from(&by_digest),
            Ok(ImageSelector::Digest(_))
        ));
        assert!(selector_from(&config(&[])).is_err());
    }

    #[test]
    fn value_keeps_configuration_and_pins_the_uri() {
        let image = ImageDetails {
            digest: Digest::parse(&digest()).expect("valid"),
            tags: vec!["hash_1".into(), "prod".into()],
            media_type: Some("application/vnd.oci.image.index.v1+json".into()),
            pushed_at: None,
            size_bytes: Some(1234),
        };
        let repository = Repository {
            name: "example".into(),
            registry_id: "123456789012".into(),
            uri: "123456789012.dkr.ecr.us-east-1.amazonaws.com/example".into(),
            mutability: TagMutability::default(),
        };
        let cfg = config(&[
            ("repository", Value::string("example")),
            ("tag", Value::string("prod")),
        ]);
        let value = to_value(&cfg, &image, &repository);
        let Value::Map(fields) = &value else {
            panic!("not an object")
        };
        let Type::Object(types) = Image.schema().implied_type() else {
            panic!("schema is not an object")
        };
        assert_eq!(
            fields.keys().collect::<Vec<_>>(),
            types.keys().collect::<Vec<_>>()
        );
        assert_eq!(value.attr("tag"), &Value::string("prod"));
        assert_eq!(value.attr("digest"), &Value::string(digest()));
        assert_eq!(value.attr("id"), value.attr("digest"));
        assert_eq!(value.attr("size_bytes"), &int(1234));
        assert_eq!(value.attr("pushed_at"), &Value::Null);
        assert_eq!(
            value.attr("image_uri"),
            &Value::string(format!(
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/example@{}",
                digest()
            ))
        );
    }
}
