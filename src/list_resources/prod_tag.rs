//! `list "tagdeploy_prod_tag"`: every repository of the provider's registry (account and
//! region) that has one of the environment tags asked for, as `<repository>:<tag>` with the
//! resource's identity and, when asked, the state an import would start from.
//!
//! AWS calls (see `crate::aws::ecr` `list`): DescribeRepositories, one per 1000
//! repositories, then per repository whose name has the prefix one DescribeImages (two or
//! three calls when several tags are asked for and some are missing). Lookups run a few at a
//! time, never more than the results still wanted, and stop once Terraform's `limit` is
//! reached, so a query with `limit = 10` over a thousand repositories makes about eleven calls.

use futures::StreamExt;
use futures::stream::FuturesOrdered;

use crate::aws::ecr::{Ecr, FoundTag, ListedRepository};
use crate::aws::image::RepositoryRef;
use crate::errors::{self, Attributes};
use crate::model;
use crate::names;
use crate::provider_data::ProviderData;
use crate::resources::prod_tag::{ProdTagIdentity, ProdTagModel};
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::{Ctx, ListItem, ListRequest, ListResource, Listed};
use crate::tfplugin::model::{Object, Tf, optional, required};
use crate::tfplugin::schema::{Schema, Validator, validators};
use crate::tfplugin::value::Value;

/// How many repositories are looked up at once, at most.
const CONCURRENT_LOOKUPS: usize = 8;

model! {
    /// The `config { … }` block of `list "tagdeploy_prod_tag"`.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ProdTagListModel {
        /// The environment tags to look for, e.g. `["prod", "stage"]`: each repository lists
        /// one result per tag it has. At least one.
        pub tags: Tf<Vec<String>> => required()
            .validate(at_least_one_tag())
            .validate(validators::each(names::validators::tag())),
        /// Only repositories whose name starts with this, e.g. `team/`. Defaults to every
        /// repository.
        pub repository_prefix: Tf<String> => optional(),
    }
}

/// The `config` block's schema, documented.
pub fn schema() -> Schema {
    ProdTagListModel::schema(0).description(
        "Lists the environment tags (`tags`) of every repository in the provider's registry (its account and region), optionally only repositories whose name starts with `repository_prefix`, as `tagdeploy_prod_tag` resources: display name `<repository>:<tag>`, the resource's identity, and with `include_resource = true` the state an import starts from. `terraform query -generate-config-out=FILE` writes a `resource` and an `import` block for each. Needs Terraform 1.14 or later.",
    )
}

fn at_least_one_tag() -> impl Validator {
    |value: &Value, path: &AttributePath, diags: &mut Diagnostics| {
        if value.is_wholly_known() && value.elements().is_empty() {
            diags.push(
                Diagnostic::error(
                    "Invalid Attribute Value",
                    format!("\"{path}\" must name at least one environment tag."),
                )
                .at(path.clone()),
            );
        }
    }
}

/// The list resource type.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProdTagList;

impl ListResource for ProdTagList {
    type Data = ProviderData;
    type Config = ProdTagListModel;
    type Identity = ProdTagIdentity;
    type Object = ProdTagModel;

    fn type_name(&self) -> &'static str {
        "tagdeploy_prod_tag"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn list(
        &self,
        ctx: &mut Ctx<'_, ProviderData>,
        request: ListRequest<ProdTagListModel>,
        out: &mut Listed<'_, ProdTagIdentity, ProdTagModel>,
    ) -> Result<(), Diagnostics> {
        let mut tags: Vec<String> = Vec::new();
        for tag in request.config.tags.known().into_iter().flatten() {
            if !tags.contains(tag) {
                tags.push(tag.clone());
            }
        }
        let prefix = request
            .config
            .repository_prefix
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if tags.is_empty() || out.remaining() == 0 {
            return Ok(());
        }
        let clients = ctx.data().clients()?;
        let ecr = Ecr::new(clients.ecr.clone());
        let region = clients.region.clone();
        let wants_resource = out.wants_resource();
        let cancel = ctx.cancellation().clone();
        let lookup = |repository: ListedRepository| {
            let (ecr, tags) = (&ecr, &tags);
            async move {
                let found = ecr
                    .find_tags(&RepositoryRef::new(&repository.name), tags, wants_resource)
                    .await;
                (repository, found)
            }
        };
        let mut token = None;
        loop {
            if cancel.is_cancelled() {
                return Err(errors::cancelled("List Environment Tags Error").into());
            }
            let page = ecr
                .repository_page(token)
                .await
                .map_err(|e| errors::ecr("List Repositories Error", &e, &Attributes::new()))?;
            let mut waiting = page
                .repositories
                .into_iter()
                .filter(|r| r.name.starts_with(&prefix));
            let mut in_flight = FuturesOrdered::new();
            loop {
                // Never more lookups in flight than results still wanted: every repository
                // looked up may be one, and a lookup past the limit is a wasted call.
                while in_flight.len() < CONCURRENT_LOOKUPS.min(out.remaining()) {
                    match waiting.next() {
                        Some(repository) => in_flight.push_back(lookup(repository)),
                        None => break,
                    }
                }
                let Some((repository, found)) = in_flight.next().await else {
                    break;
                };
                let found = found.map_err(|e| {
                    errors::ecr("List Environment Tags Error", &e, &Attributes::new())
                })?;
                for tag in found {
                    if !out.push(item(&repository, region.as_deref(), tag)).await {
                        return Ok(());
                    }
                }
            }
            token = page.next;
            if token.is_none() {
                return Ok(());
            }
        }
    }
}

/// One result: the display name, the identity, and the state an import by that identity
/// would start from once read (the tag's digest and the image's tags filled in).
fn item(
    repository: &ListedRepository,
    region: Option<&str>,
    found: FoundTag,
) -> ListItem<ProdTagIdentity, ProdTagModel> {
    let identity = ProdTagIdentity {
        repository: repository.name.clone().into(),
        tag: found.tag.clone().into(),
        account_id: Some(repository.registry_id.clone())
            .filter(|r| !r.is_empty())
            .into(),
        region: region.map(str::to_owned).into(),
    };
    let mut state = ProdTagModel::imported(&repository.name, &found.tag, None);
    state.image_digest = Tf::Known(found.digest.to_string());
    state.image_tags = Tf::Known(found.image_tags);
    if !repository.uri.is_empty() {
        state.image_uri = Tf::Known(format!("{}@{}", repository.uri, found.digest));
    }
    ListItem {
        display_name: format!("{}:{}", repository.name, found.tag),
        identity,
        resource: Some(state),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::image::Digest;
    use crate::tfplugin::framework::AnyListResource;

    #[test]
    fn schema_is_valid() {
        assert_eq!(schema().check(), Ok(()));
    }

    #[test]
    fn tags_must_be_given_and_valid() {
        let config = |tags: Value| {
            let mut value = schema().null_object();
            if let Value::Map(fields) = &mut value {
                fields.insert("tags".into(), tags);
            }
            let mut diags = schema().validate(&value);
            diags.extend(AnyListResource::validate(&ProdTagList, &value));
            diags
                .iter()
                .map(|d| d.attribute.as_ref().map(ToString::to_string))
                .collect::<Vec<_>>()
        };
        assert_eq!(config(Value::List(Vec::new())), [Some("tags".to_owned())]);
        assert_eq!(
            config(Value::List(vec![
                Value::string("prod"),
                Value::string("no spaces")
            ])),
            [Some("tags[1]".to_owned())]
        );
        assert!(config(Value::List(vec![Value::string("prod")])).is_empty());
    }

    #[test]
    fn an_item_is_named_identified_and_shaped_like_an_import() {
        let digest = Digest::parse(&format!("sha256:{}", "c".repeat(64))).expect("digest");
        let repository = ListedRepository {
            name: "team/app".into(),
            registry_id: "123456789012".into(),
            uri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app".into(),
        };
        let found = FoundTag {
            tag: "prod".into(),
            digest: digest.clone(),
            image_tags: vec!["hash_7".into(), "prod".into()],
        };
        let item = item(&repository, Some("eu-west-1"), found);
        assert_eq!(item.display_name, "team/app:prod");
        assert_eq!(
            item.identity,
            ProdTagIdentity {
                repository: "team/app".into(),
                tag: "prod".into(),
                account_id: "123456789012".into(),
                region: "eu-west-1".into(),
            }
        );
        let state = item.resource.expect("an object");
        assert_eq!(state.id.as_str(), Some("team/app:prod"));
        assert_eq!(state.image_digest.as_str(), Some(digest.as_str()));
        assert!(state.registry_id.is_null() && state.cluster.is_null());
        assert_eq!(
            state.image_uri.as_str(),
            Some(format!("{}@{digest}", repository.uri).as_str())
        );
    }
}
