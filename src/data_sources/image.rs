//! `data "tagdeploy_image"`: one image of an ECR repository, by tag or by digest. Answers
//! "which release is in prod right now": its digest, every tag on it, and its pinned URI.
//!
//! One read is two concurrent calls: DescribeImages for the image and DescribeRepositories for
//! the repository URI (exact, rather than guessed from account and region).

use crate::aws::ecr::{Ecr, ImageDetails, Repository};
use crate::aws::image::{Digest, ImageSelector};
use crate::errors::{self, Attributes};
use crate::model;
use crate::names;
use crate::provider_data::ProviderData;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::{Ctx, DataSource};
use crate::tfplugin::model::{Object, Tf, computed, optional, optional_computed, required};
use crate::tfplugin::schema::Schema;

use super::{repository_ref, unless_stopped};

const SUMMARY: &str = "Read Image Error";

/// The data source.
#[derive(Debug, Default, Clone, Copy)]
pub struct Image;

model! {
    /// The configuration and result of `data "tagdeploy_image"`.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ImageModel {
        /// The name of the ECR repository, e.g. `example` or `team/app`.
        pub repository: Tf<String> => required().validate(names::validators::repository()),
        /// The AWS account id of the registry that holds the repository, when it is not the
        /// caller's own account.
        pub registry_id: Tf<String> => optional().validate(names::validators::account_id()),
        /// A tag of the image to look up, e.g. `prod` or `hash_2`. Exactly one of `tag` and
        /// `digest` must be set.
        pub tag: Tf<String> => optional().validate(names::validators::tag()),
        /// The image's digest (`sha256:` followed by 64 lowercase hex digits). Set it to look the
        /// image up by digest, or leave it out and read the digest `tag` points at. Exactly one
        /// of `tag` and `digest` must be set.
        pub digest: Tf<String> => optional_computed().validate(names::validators::digest()),
        /// The image's digest.
        pub id: Option<String> => computed(),
        /// Every tag on the image, sorted.
        pub tags: Option<Vec<String>> => computed(),
        /// The media type of the image's manifest, e.g.
        /// `application/vnd.docker.distribution.manifest.v2+json`, or
        /// `application/vnd.oci.image.index.v1+json` for a multi-architecture image. Null when
        /// ECR does not report one.
        pub media_type: Option<String> => computed(),
        /// When the image was pushed, as an RFC 3339 timestamp. Null when ECR does not report
        /// it.
        pub pushed_at: Option<String> => computed(),
        /// The image's size in bytes as ECR reports it. Null when ECR does not report it.
        pub size_bytes: Option<i64> => computed(),
        /// The image's URI pinned to its digest:
        /// `<account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:…`, with the repository
        /// URI as ECR reports it.
        pub image_uri: Option<String> => computed(),
    }
}

impl DataSource for Image {
    type Data = ProviderData;
    type Model = ImageModel;

    fn type_name(&self) -> &'static str {
        "tagdeploy_image"
    }

    fn schema(&self) -> Schema {
        ImageModel::schema(0)
            .description("Looks up one image of an Amazon ECR repository by tag or by digest: its digest, every tag it carries, its media type, push time, size and a URI pinned to its digest. With `tag = \"prod\"` it answers which release hash is in production right now.")
    }

    fn validate(&self, config: &ImageModel) -> Diagnostics {
        let mut diags = Diagnostics::new();
        // An unknown value may still turn out null or set: only known values are judged.
        if config.tag.is_known() && config.digest.is_known() {
            diags.push(
                Diagnostic::error(
                    "Conflicting Image Selectors",
                    "Set either `tag` or `digest`, not both: the image is looked up by one of them.",
                )
                .at(AttributePath::attr(ImageModel::digest)),
            );
        } else if config.tag.is_null() && config.digest.is_null() {
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
        config: ImageModel,
    ) -> Result<ImageModel, Diagnostics> {
        let clients = ctx.data().clients()?;
        let repository = repository_ref(&config.repository, &config.registry_id)
            .ok_or_else(|| Diagnostic::error(SUMMARY, "`repository` is not set."))?;
        let selector = selector_from(&config)?;
        let ecr = Ecr::new(clients.ecr.clone());
        let lookups = async {
            tokio::try_join!(
                ecr.image(&repository, &selector),
                ecr.repository(&repository)
            )
        };
        let (image, repo) = unless_stopped(ctx, SUMMARY, lookups)
            .await?
            .map_err(|err| errors::ecr(SUMMARY, &err, &attributes()))?;
        Ok(result(config, &image, &repo))
    }
}

/// The image a (wholly known) configuration asks for. Validation has already refused "both"
/// and "neither"; this repeats the check so a read never guesses.
fn selector_from(config: &ImageModel) -> Result<ImageSelector, Diagnostics> {
    match (config.tag.known(), config.digest.known()) {
        (Some(tag), None) => Ok(ImageSelector::Tag(tag.clone())),
        (None, Some(digest)) => Digest::parse(digest)
            .map(ImageSelector::Digest)
            .map_err(|e| {
                Diagnostic::error(SUMMARY, format!("{e}."))
                    .at(AttributePath::attr(ImageModel::digest))
                    .into()
            }),
        _ => Err(Diagnostic::error(SUMMARY, "Set exactly one of `tag` and `digest`.").into()),
    }
}

/// Where each kind of error points in this data source's configuration.
fn attributes() -> Attributes {
    Attributes::new()
        .repository(AttributePath::attr(ImageModel::repository))
        .registry_id(AttributePath::attr(ImageModel::registry_id))
        .image_tag(AttributePath::attr(ImageModel::tag))
        .image_digest(AttributePath::attr(ImageModel::digest))
}

/// The data source's result: configured values unchanged, the rest from ECR.
fn result(config: ImageModel, image: &ImageDetails, repository: &Repository) -> ImageModel {
    ImageModel {
        digest: Tf::Known(image.digest.to_string()),
        id: Some(image.digest.to_string()),
        tags: Some(image.tags.clone()),
        media_type: image.media_type.clone(),
        pushed_at: image.pushed_at.clone(),
        size_bytes: image.size_bytes,
        image_uri: Some(format!("{}@{}", repository.uri, image.digest)),
        ..config
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, paths};
    use super::*;
    use crate::aws::image::TagMutability;
    use crate::tfplugin::model::Model;
    use crate::tfplugin::value::{Type, Value};

    fn config(pairs: &[(&str, Value)]) -> Value {
        testing::config(&Image, pairs)
    }

    fn validate(config: &Value) -> Diagnostics {
        testing::validate(&Image, config)
    }

    fn digest() -> String {
        format!("sha256:{}", "ab".repeat(32))
    }

    fn model(value: &Value) -> ImageModel {
        ImageModel::from_value(value).expect("an image configuration")
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
            selector_from(&model(&by_tag)).ok(),
            Some(ImageSelector::Tag("hash_2".into()))
        );
        let by_digest = config(&[("digest", Value::string(digest()))]);
        assert!(matches!(
            selector_from(&model(&by_digest)),
            Ok(ImageSelector::Digest(_))
        ));
        assert!(selector_from(&model(&config(&[]))).is_err());
    }

    #[test]
    fn value_keeps_configuration_and_pins_the_uri() {
        let image = ImageDetails {
            digest: Digest::parse(&digest()).expect("valid"),
            tags: vec!["hash_1".into(), "prod".into()],
            media_type: Some("application/vnd.oci.image.index.v1+json".into()),
            pushed_at: None,
            size_bytes: Some(1234),
            registry_id: None,
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
        let value = result(model(&cfg), &image, &repository).to_value();
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
        assert_eq!(value.attr("size_bytes"), &Value::Number(1234.into()));
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
