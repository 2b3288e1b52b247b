//! The ID of a release, also its import ID: the environment tag, then each image as
//! `NAME=REPOSITORY`, sorted by name and joined by commas:
//!
//! ```text
//! prod:api=api,worker=team/worker@210987654321
//! ```
//!
//! `@REGISTRY` follows a repository in another account's registry. An image named like its
//! repository may be written as the repository alone (`prod:api,web` is `prod:api=api,web=web`);
//! IDs are written in that short form where it applies.

use std::collections::BTreeMap;

use crate::names;

/// One image as an ID names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct IdImage {
    /// The repository.
    pub(super) repository: String,
    /// The registry, when it is another account's.
    pub(super) registry_id: Option<String>,
}

/// What an ID names: the environment tag and the images by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ReleaseId {
    pub(super) tag: String,
    pub(super) images: BTreeMap<String, IdImage>,
}

impl ReleaseId {
    /// The ID, in its short form where it applies.
    pub(super) fn render(&self) -> String {
        format!("{}:{}", self.tag, self.items().join(","))
    }

    /// Each image as the ID writes it (`NAME=REPOSITORY`, or `REPOSITORY` when the image is
    /// named like it; `@REGISTRY` after it), sorted by name: also the identity's `images`.
    pub(super) fn items(&self) -> Vec<String> {
        self.images
            .iter()
            .map(|(name, image)| {
                let registry = image
                    .registry_id
                    .as_ref()
                    .map(|r| format!("@{r}"))
                    .unwrap_or_default();
                if *name == image.repository {
                    format!("{name}{registry}")
                } else {
                    format!("{name}={}{registry}", image.repository)
                }
            })
            .collect()
    }

    /// Reads an ID; the error says what is wrong with it.
    pub(super) fn parse(id: &str) -> Result<ReleaseId, String> {
        let (tag, list) = id
            .split_once(':')
            .ok_or_else(|| "there is no ':' after the environment tag".to_owned())?;
        names::TAG
            .check(tag)
            .map_err(|e| format!("the environment tag {}", e.clause()))?;
        let mut images = BTreeMap::new();
        for item in list.split(',') {
            let (name, rest) = match item.split_once('=') {
                Some((name, rest)) => (name, rest),
                None => (item.split('@').next().unwrap_or_default(), item),
            };
            let (repository, registry_id) = match rest.split_once('@') {
                Some((repository, registry)) => (repository, Some(registry)),
                None => (rest, None),
            };
            names::IMAGE_NAME
                .check(name)
                .map_err(|e| format!("the image name {}", e.clause()))?;
            names::REPOSITORY
                .check(repository)
                .map_err(|e| format!("the repository {}", e.clause()))?;
            if let Some(registry) = registry_id {
                names::ACCOUNT_ID
                    .check(registry)
                    .map_err(|e| format!("the registry {}", e.clause()))?;
            }
            let image = IdImage {
                repository: repository.to_owned(),
                registry_id: registry_id.map(str::to_owned),
            };
            if images.insert(name.to_owned(), image).is_some() {
                return Err(format!("the image {name:?} appears twice"));
            }
        }
        Ok(ReleaseId {
            tag: tag.to_owned(),
            images,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_in_their_short_form() {
        let id = ReleaseId::parse("prod:worker=team/worker@210987654321,api").expect("valid");
        assert_eq!(id.tag, "prod");
        assert_eq!(
            id.images["worker"],
            IdImage {
                repository: "team/worker".into(),
                registry_id: Some("210987654321".into())
            }
        );
        assert_eq!(id.images["api"].repository, "api");
        assert_eq!(id.render(), "prod:api,worker=team/worker@210987654321");
        let long = ReleaseId::parse("stage:api=api,web=web").expect("valid");
        assert_eq!(long.render(), "stage:api,web");
        assert_eq!(ReleaseId::parse(&long.render()), Ok(long));
        let aliased = ReleaseId::parse("prod:web@123456789012").expect("valid");
        assert_eq!(
            aliased.images["web"].registry_id.as_deref(),
            Some("123456789012")
        );
    }

    #[test]
    fn bad_ids_say_what_is_wrong() {
        for (id, words) in [
            ("api,worker", "no ':'"),
            ("-prod:api", "environment tag"),
            ("prod:", "image name"),
            ("prod:a=Upper", "repository"),
            ("prod:_x=api", "image name"),
            ("prod:api@12", "registry"),
            ("prod:api,api", "twice"),
        ] {
            let err = ReleaseId::parse(id).expect_err(id);
            assert!(err.contains(words), "{id}: {err}");
        }
    }
}
