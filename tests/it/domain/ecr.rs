//! Lookups and the digest-preserving retag.

use serde_json::json;
use terraform_provider_tagdeploy::aws::ecr::RetagOutcome;
use terraform_provider_tagdeploy::aws::error::EcrError;
use terraform_provider_tagdeploy::aws::image::{ImageSelector, RepositoryRef};

use crate::support::emulator::{Emulated, add_image, demo_world_json};
use crate::support::observe::Observe;

fn tag(t: &str) -> ImageSelector {
    ImageSelector::Tag(t.to_owned())
}

#[tokio::test]
async fn retag_moves_prod_by_digest_and_is_idempotent() {
    let env = Emulated::manual(demo_world_json()).await;
    let repo = RepositoryRef::new("example");
    let hash_2 = env
        .ecr
        .image(&repo, &tag("hash_2"))
        .await
        .expect("hash_2 exists");
    let before = env
        .ecr
        .image(&repo, &tag("prod"))
        .await
        .expect("prod exists");
    assert_ne!(before.digest, hash_2.digest);
    env.handle.clear_requests();

    let outcome = env
        .ecr
        .retag(&repo, &hash_2.digest, "prod")
        .await
        .expect("retag");
    assert_eq!(outcome, RetagOutcome::Moved);
    assert_eq!(
        env.operations(),
        ["ecr:BatchGetImage", "ecr:PutImage", "ecr:DescribeImages"]
    );
    let after = env
        .ecr
        .image(&repo, &tag("prod"))
        .await
        .expect("prod exists");
    assert_eq!(after.digest, hash_2.digest);
    assert_eq!(after.tags, ["hash_2", "prod"]);
    // The old image keeps its release tag; nothing was re-pushed under a new digest.
    let hash_1 = env
        .ecr
        .image(&repo, &tag("hash_1"))
        .await
        .expect("hash_1 exists");
    assert_eq!(hash_1.digest, before.digest);
    assert_eq!(hash_1.tags, ["hash_1"]);

    let again = env
        .ecr
        .retag(&repo, &hash_2.digest, "prod")
        .await
        .expect("retag again");
    assert_eq!(again, RetagOutcome::AlreadyThere);
}

#[tokio::test]
async fn multi_arch_index_keeps_its_digest() {
    let mut world = demo_world_json();
    add_image(
        &mut world,
        json!({"tags": ["hash_multi"], "generate": {"seed": "multi", "format": "oci", "platforms": ["linux/amd64", "linux/arm64"]}}),
    );
    let env = Emulated::manual(world).await;
    let repo = RepositoryRef::new("example");
    let multi = env
        .ecr
        .image(&repo, &tag("hash_multi"))
        .await
        .expect("index exists");
    assert_eq!(
        multi.media_type.as_deref(),
        Some("application/vnd.oci.image.index.v1+json")
    );
    env.ecr
        .retag(&repo, &multi.digest, "prod")
        .await
        .expect("retag index");
    let prod = env.ecr.image(&repo, &tag("prod")).await.expect("prod");
    assert_eq!(prod.digest, multi.digest);
    assert_eq!(prod.media_type, multi.media_type);
}

#[tokio::test]
async fn lookups_name_what_is_missing() {
    let env = Emulated::manual(demo_world_json()).await;
    let missing_repo = RepositoryRef::new("nope");
    assert!(matches!(
        env.ecr.repository(&missing_repo).await,
        Err(EcrError::RepositoryNotFound { .. })
    ));
    let repo = RepositoryRef::new("example");
    let err = env
        .ecr
        .image(&repo, &tag("hash_9"))
        .await
        .expect_err("no such tag");
    assert!(
        matches!(&err, EcrError::TagNotFound { tag, .. } if tag == "hash_9"),
        "{err:?}"
    );
    assert!(err.to_string().contains("hash_9"));

    // Both present: one DescribeImages call answers both.
    env.handle.clear_requests();
    let both = env
        .ecr
        .images(&repo, &[tag("hash_2"), tag("prod")])
        .await
        .expect("lookup");
    assert!(both.iter().all(Option::is_some));
    assert_eq!(env.count("DescribeImages"), 1);
    // One missing: the answer says which.
    let some = env
        .ecr
        .images(&repo, &[tag("hash_2"), tag("stage")])
        .await
        .expect("lookup");
    assert!(some[0].is_some() && some[1].is_none());
}

#[tokio::test]
async fn immutable_tag_is_refused_and_reported() {
    let mut world = demo_world_json();
    world["repositories"][0]["imageTagMutability"] = json!("IMMUTABLE");
    let env = Emulated::manual(world).await;
    let repo = RepositoryRef::new("example");
    let settings = env.ecr.repository(&repo).await.expect("repository");
    assert!(settings.mutability.is_immutable("prod"));
    let hash_2 = env.ecr.image(&repo, &tag("hash_2")).await.expect("hash_2");
    let err = env
        .ecr
        .retag(&repo, &hash_2.digest, "prod")
        .await
        .expect_err("immutable");
    assert!(matches!(err, EcrError::TagImmutable { .. }), "{err:?}");
}

#[tokio::test]
async fn exclusion_filter_makes_prod_movable() {
    let mut world = demo_world_json();
    world["repositories"][0]["imageTagMutability"] = json!("IMMUTABLE_WITH_EXCLUSION");
    world["repositories"][0]["imageTagMutabilityExclusionFilters"] =
        json!([{"filterType": "WILDCARD", "filter": "prod"}]);
    let env = Emulated::manual(world).await;
    let repo = RepositoryRef::new("example");
    let settings = env.ecr.repository(&repo).await.expect("repository");
    assert!(!settings.mutability.is_immutable("prod"));
    assert!(settings.mutability.is_immutable("hash_2"));
    let hash_2 = env.ecr.image(&repo, &tag("hash_2")).await.expect("hash_2");
    assert_eq!(
        env.ecr.retag(&repo, &hash_2.digest, "prod").await,
        Ok(RetagOutcome::Moved)
    );
}
