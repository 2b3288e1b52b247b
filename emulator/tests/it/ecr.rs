//! ECR semantics: digests, every PutImage error, BatchGetImage failures, tag moves, the four
//! tag-mutability modes with wildcard exclusion filters, manifest lists, deletes, pagination.

use aws_sdk_ecr::error::ProvideErrorMetadata;
use aws_sdk_ecr::types::{
    ImageIdentifier, ImageTagMutability, ImageTagMutabilityExclusionFilter,
    ImageTagMutabilityExclusionFilterType, ListImagesFilter, TagStatus,
};
use sha2::{Digest, Sha256};

use crate::support::{Cli, demo_world, ecr, manual, world};

fn sha(text: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes())))
}

fn manifest(seed: &str) -> String {
    // Deliberately odd spacing: the digest must cover these exact bytes.
    format!(
        "{{ \"schemaVersion\": 2, \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n  \"config\": {{\"mediaType\": \"application/vnd.docker.container.image.v1+json\", \"size\": 7, \"digest\": \"{}\"}}, \"layers\": [{{\"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\", \"size\": 100, \"digest\": \"{}\"}}] }}",
        sha(&format!("{seed}-config")),
        sha(&format!("{seed}-layer"))
    )
}

fn id_tag(tag: &str) -> ImageIdentifier {
    ImageIdentifier::builder().image_tag(tag).build()
}

fn id_digest(digest: &str) -> ImageIdentifier {
    ImageIdentifier::builder().image_digest(digest).build()
}

async fn put(
    client: &aws_sdk_ecr::Client,
    repo: &str,
    manifest: &str,
    tag: &str,
) -> Result<String, String> {
    client
        .put_image()
        .repository_name(repo)
        .image_manifest(manifest)
        .image_tag(tag)
        .send()
        .await
        .map(|o| {
            o.image()
                .unwrap()
                .image_id()
                .unwrap()
                .image_digest()
                .unwrap()
                .to_string()
        })
        .map_err(|e| e.into_service_error().code().unwrap_or("?").to_string())
}

async fn digest_of_tag(client: &aws_sdk_ecr::Client, repo: &str, tag: &str) -> String {
    client
        .describe_images()
        .repository_name(repo)
        .image_ids(id_tag(tag))
        .send()
        .await
        .unwrap()
        .image_details()[0]
        .image_digest()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn digest_is_sha256_of_exact_manifest_bytes_and_tag_moves_leave_old_image() {
    let emu = manual(demo_world()).await;
    let c = ecr(&emu.url());
    let m = manifest("a");
    let d = put(&c, "example", &m, "solo").await.unwrap();
    assert_eq!(d, sha(&m));
    let got = c
        .batch_get_image()
        .repository_name("example")
        .image_ids(id_tag("solo"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.images()[0].image_manifest(),
        Some(m.as_str()),
        "bytes returned exactly as stored"
    );
    assert_eq!(
        got.images()[0].image_id().unwrap().image_tag(),
        Some("solo")
    );

    // Move `solo` to another manifest: the first image stays, untagged.
    let m2 = manifest("b");
    put(&c, "example", &m2, "solo").await.unwrap();
    let untagged = c
        .list_images()
        .repository_name("example")
        .filter(
            ListImagesFilter::builder()
                .tag_status(TagStatus::Untagged)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(untagged.image_ids().len(), 1);
    assert_eq!(untagged.image_ids()[0].image_digest(), Some(d.as_str()));
    assert_eq!(untagged.image_ids()[0].image_tag(), None);
    let details = c
        .describe_images()
        .repository_name("example")
        .image_ids(id_digest(&d))
        .send()
        .await
        .unwrap();
    assert!(details.image_details()[0].image_tags().is_empty());
    assert_eq!(details.image_details()[0].image_size_in_bytes(), Some(100));
}

#[tokio::test]
async fn put_image_errors() {
    let emu = manual(world(
        r#"{"repositories": [{"name": "frozen", "imageTagMutability": "IMMUTABLE", "images": [{"tags": ["v1"]}]}, {"name": "open"}]}"#,
    ))
    .await;
    let c = ecr(&emu.url());
    let m = manifest("x");

    // RepositoryNotFoundException.
    assert_eq!(
        put(&c, "nope", &m, "t").await,
        Err("RepositoryNotFoundException".into())
    );
    // ImageAlreadyExistsException: same manifest, same tag.
    put(&c, "open", &m, "t").await.unwrap();
    assert_eq!(
        put(&c, "open", &m, "t").await,
        Err("ImageAlreadyExistsException".into())
    );
    let err = c
        .put_image()
        .repository_name("open")
        .image_manifest(&m)
        .image_tag("t")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        err.is_image_already_exists_exception(),
        "typed error decoded: {err:?}"
    );
    // ImageTagAlreadyExistsException: immutable tag already on another image.
    assert_eq!(
        put(&c, "frozen", &m, "v1").await,
        Err("ImageTagAlreadyExistsException".into())
    );
    // ... while a new tag in the immutable repository is fine.
    put(&c, "frozen", &m, "v2").await.unwrap();
    // ImageDigestDoesNotMatchException.
    let err = c
        .put_image()
        .repository_name("open")
        .image_manifest(&m)
        .image_tag("u")
        .image_digest(sha("something else"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_image_digest_does_not_match_exception(), "{err:?}");
    // The right digest is accepted.
    c.put_image()
        .repository_name("open")
        .image_manifest(&m)
        .image_tag("u")
        .image_digest(sha(&m))
        .send()
        .await
        .unwrap();
    // InvalidParameterException: no mediaType in the manifest and none given.
    let bare = r#"{"schemaVersion": 2, "config": {}, "layers": []}"#;
    let err = c
        .put_image()
        .repository_name("open")
        .image_manifest(bare)
        .image_tag("bare")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_parameter_exception(), "{err:?}");
    // ... and with imageManifestMediaType it is accepted (OCI manifests may omit mediaType).
    let ok = c
        .put_image()
        .repository_name("open")
        .image_manifest(bare)
        .image_manifest_media_type("application/vnd.oci.image.manifest.v1+json")
        .image_tag("bare")
        .send()
        .await
        .unwrap();
    assert_eq!(
        ok.image().unwrap().image_manifest_media_type(),
        Some("application/vnd.oci.image.manifest.v1+json")
    );
    // Not JSON at all.
    let err = c
        .put_image()
        .repository_name("open")
        .image_manifest("not json")
        .image_manifest_media_type("application/vnd.oci.image.manifest.v1+json")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_parameter_exception());
    // Untagged push of an image that exists.
    let err = c
        .put_image()
        .repository_name("open")
        .image_manifest(&m)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_image_already_exists_exception());
}

#[tokio::test]
async fn batch_get_image_reports_failures_not_exceptions() {
    let emu = manual(demo_world()).await;
    let c = ecr(&emu.url());
    let d1 = digest_of_tag(&c, "example", "hash_1").await;
    let out = c
        .batch_get_image()
        .repository_name("example")
        .image_ids(id_tag("hash_1"))
        .image_ids(id_tag("missing"))
        .image_ids(ImageIdentifier::builder().build())
        .image_ids(id_digest("not-a-digest"))
        .image_ids(
            ImageIdentifier::builder()
                .image_digest(&d1)
                .image_tag("hash_2")
                .build(),
        )
        .image_ids(id_digest(&d1))
        .send()
        .await
        .unwrap();
    assert_eq!(out.images().len(), 2);
    // By digest only: the returned id carries no tag.
    assert_eq!(out.images()[1].image_id().unwrap().image_tag(), None);
    let codes: Vec<&str> = out
        .failures()
        .iter()
        .map(|f| f.failure_code().unwrap().as_str())
        .collect();
    assert_eq!(
        codes,
        [
            "ImageNotFound",
            "MissingDigestAndTag",
            "InvalidImageDigest",
            "ImageTagDoesNotMatchDigest"
        ]
    );
    let err = c
        .batch_get_image()
        .repository_name("nope")
        .image_ids(id_tag("x"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_repository_not_found_exception());
    // DescribeImages, by contrast, throws ImageNotFoundException.
    let err = c
        .describe_images()
        .repository_name("example")
        .image_ids(id_tag("missing"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_image_not_found_exception(), "{err:?}");
}

fn filter(f: &str) -> ImageTagMutabilityExclusionFilter {
    ImageTagMutabilityExclusionFilter::builder()
        .filter_type(ImageTagMutabilityExclusionFilterType::Wildcard)
        .filter(f)
        .build()
        .unwrap()
}

#[tokio::test]
async fn tag_mutability_modes_with_exclusion_filters() {
    let emu = manual(world(r#"{"repositories": [{"name": "rr", "images": [{"tags": ["prod", "release-1", "dev-1", "devX1", "v1"]}]}]}"#)).await;
    let c = ecr(&emu.url());
    let m = manifest("new");
    let set = |mode: ImageTagMutability, filters: Vec<ImageTagMutabilityExclusionFilter>| {
        let c = c.clone();
        async move {
            c.put_image_tag_mutability()
                .repository_name("rr")
                .image_tag_mutability(mode)
                .set_image_tag_mutability_exclusion_filters(if filters.is_empty() {
                    None
                } else {
                    Some(filters)
                })
                .send()
                .await
        }
    };
    // A fresh manifest per check, so "already exists" never masks the answer.
    let mut n = 0;
    let mut movable = async |tag: &str| {
        n += 1;
        match put(&c, "rr", &manifest(&format!("probe{n}")), tag).await {
            Ok(_) => true,
            Err(code) => {
                assert_eq!(code, "ImageTagAlreadyExistsException");
                false
            }
        }
    };

    // IMMUTABLE_WITH_EXCLUSION: tags matching a filter stay mutable, others are frozen.
    let out = set(
        ImageTagMutability::ImmutableWithExclusion,
        vec![filter("prod"), filter("dev-*")],
    )
    .await
    .unwrap();
    assert_eq!(out.image_tag_mutability_exclusion_filters().len(), 2);
    assert!(movable("prod").await);
    assert!(movable("dev-1").await);
    assert!(
        !movable("devX1").await,
        "wildcard is a glob, not a regex prefix"
    );
    assert!(!movable("release-1").await);
    assert!(!movable("v1").await);

    // MUTABLE_WITH_EXCLUSION: tags matching a filter become immutable.
    set(
        ImageTagMutability::MutableWithExclusion,
        vec![filter("release-*")],
    )
    .await
    .unwrap();
    assert!(!movable("release-1").await);
    assert!(movable("prod").await);
    assert!(movable("v1").await);

    // IMMUTABLE, MUTABLE.
    set(ImageTagMutability::Immutable, vec![]).await.unwrap();
    assert!(!movable("prod").await);
    set(ImageTagMutability::Mutable, vec![]).await.unwrap();
    assert!(movable("prod").await);
    put(&c, "rr", &m, "brand-new").await.unwrap();

    // DescribeRepositories echoes the mode and filters.
    set(
        ImageTagMutability::ImmutableWithExclusion,
        vec![filter("prod")],
    )
    .await
    .unwrap();
    let repo = c
        .describe_repositories()
        .repository_names("rr")
        .send()
        .await
        .unwrap();
    let r = &repo.repositories()[0];
    assert_eq!(
        r.image_tag_mutability(),
        Some(&ImageTagMutability::ImmutableWithExclusion)
    );
    assert_eq!(
        r.image_tag_mutability_exclusion_filters()[0].filter(),
        "prod"
    );
    assert_eq!(
        r.repository_uri(),
        Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/rr")
    );

    // Invalid combinations: filters without an *_WITH_EXCLUSION mode, none with one, more than 5,
    // characters outside the pattern.
    for (mode, filters) in [
        (ImageTagMutability::Mutable, vec![filter("a")]),
        (ImageTagMutability::MutableWithExclusion, vec![]),
        (
            ImageTagMutability::ImmutableWithExclusion,
            (0..6).map(|i| filter(&format!("f{i}"))).collect(),
        ),
        (
            ImageTagMutability::ImmutableWithExclusion,
            vec![filter("a/b")],
        ),
    ] {
        let err = set(mode, filters).await.unwrap_err().into_service_error();
        assert!(err.is_invalid_parameter_exception(), "{err:?}");
    }
    let err = c
        .put_image_tag_mutability()
        .repository_name("nope")
        .image_tag_mutability(ImageTagMutability::Mutable)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_repository_not_found_exception());
}

#[tokio::test]
async fn create_and_describe_repositories() {
    let emu = manual(world("{}")).await;
    let c = ecr(&emu.url());
    let created = c
        .create_repository()
        .repository_name("team/app")
        .image_tag_mutability(ImageTagMutability::MutableWithExclusion)
        .image_tag_mutability_exclusion_filters(filter("v*"))
        .send()
        .await
        .unwrap();
    let r = created.repository().unwrap();
    assert_eq!(
        r.repository_arn(),
        Some("arn:aws:ecr:us-east-1:123456789012:repository/team/app")
    );
    assert!(r.created_at().is_some());
    let err = c
        .create_repository()
        .repository_name("team/app")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_repository_already_exists_exception());
    let err = c
        .create_repository()
        .repository_name("Bad_Name")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_parameter_exception());
    let err = c
        .describe_repositories()
        .repository_names("missing")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_repository_not_found_exception());
    for i in 0..4 {
        c.create_repository()
            .repository_name(format!("r{i}"))
            .send()
            .await
            .unwrap();
    }
    let page = c
        .describe_repositories()
        .max_results(2)
        .send()
        .await
        .unwrap();
    assert_eq!(page.repositories().len(), 2);
    assert!(page.next_token().is_some());
    let all: Vec<_> = c
        .describe_repositories()
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(all.len(), 5);
}

const MULTI: &str = r#"{
  "repositories": [
    {"name": "multi", "images": [
      {"tags": ["v1"], "generate": {"seed": "m1", "platforms": ["linux/amd64", "linux/arm64/v8"]}},
      {"tags": ["oci"], "generate": {"seed": "o1", "format": "oci", "platforms": ["linux/amd64", "linux/arm64"]}}
    ]},
    {"name": "other"}
  ]
}"#;

#[tokio::test]
async fn manifest_lists_keep_their_digest_and_need_their_children() {
    let emu = manual(world(MULTI)).await;
    let c = ecr(&emu.url());
    for (tag, media_type) in [
        (
            "v1",
            "application/vnd.docker.distribution.manifest.list.v2+json",
        ),
        ("oci", "application/vnd.oci.image.index.v1+json"),
    ] {
        let got = c
            .batch_get_image()
            .repository_name("multi")
            .image_ids(id_tag(tag))
            .send()
            .await
            .unwrap();
        let image = &got.images()[0];
        assert_eq!(image.image_manifest_media_type(), Some(media_type));
        let manifest = image.image_manifest().unwrap().to_string();
        let digest = image
            .image_id()
            .unwrap()
            .image_digest()
            .unwrap()
            .to_string();
        assert_eq!(digest, sha(&manifest));
        // Retag: same digest, media type preserved.
        let put = c
            .put_image()
            .repository_name("multi")
            .image_tag(format!("{tag}-prod"))
            .image_manifest(&manifest)
            .image_manifest_media_type(media_type)
            .image_digest(&digest)
            .send()
            .await
            .unwrap();
        assert_eq!(
            put.image().unwrap().image_id().unwrap().image_digest(),
            Some(digest.as_str())
        );
        assert_eq!(
            digest_of_tag(&c, "multi", &format!("{tag}-prod")).await,
            digest
        );
        // In another repository the children are missing.
        let err = c
            .put_image()
            .repository_name("other")
            .image_tag("x")
            .image_manifest(&manifest)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert_eq!(
            err.code(),
            Some("ReferencedImagesNotFoundException"),
            "{err:?}"
        );
        // Its size is the largest child's.
        let details = c
            .describe_images()
            .repository_name("multi")
            .image_ids(id_tag(tag))
            .send()
            .await
            .unwrap();
        assert!(details.image_details()[0].image_size_in_bytes().unwrap() > 0);
    }
    // Children are untagged images of the repository (2 per index).
    let untagged = c
        .list_images()
        .repository_name("multi")
        .filter(
            ListImagesFilter::builder()
                .tag_status(TagStatus::Untagged)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(untagged.image_ids().len(), 4);
    // A child referenced by an index cannot be deleted.
    let child = untagged.image_ids()[0].image_digest().unwrap().to_string();
    let out = c
        .batch_delete_image()
        .repository_name("multi")
        .image_ids(id_digest(&child))
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.failures()[0].failure_code().map(|c| c.as_str()),
        Some("ImageReferencedByManifestList")
    );
}

#[tokio::test]
async fn batch_delete_image_untags_then_deletes() {
    let emu = manual(demo_world()).await;
    let c = ecr(&emu.url());
    let d1 = digest_of_tag(&c, "example", "hash_1").await;
    // Removing one of two tags only untags.
    let out = c
        .batch_delete_image()
        .repository_name("example")
        .image_ids(id_tag("prod"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.image_ids()[0].image_tag(), Some("prod"));
    assert_eq!(digest_of_tag(&c, "example", "hash_1").await, d1);
    // Deleting by digest removes the image with its tags; a second time it is not found.
    let out = c
        .batch_delete_image()
        .repository_name("example")
        .image_ids(id_digest(&d1))
        .send()
        .await
        .unwrap();
    assert_eq!(out.image_ids().len(), 1);
    let out = c
        .batch_delete_image()
        .repository_name("example")
        .image_ids(id_digest(&d1))
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.failures()[0].failure_code().map(|c| c.as_str()),
        Some("ImageNotFound")
    );
    let left = c
        .list_images()
        .repository_name("example")
        .send()
        .await
        .unwrap();
    assert_eq!(left.image_ids().len(), 1);
}

#[tokio::test]
async fn image_pagination() {
    let images: Vec<String> = (0..7).map(|i| format!(r#"{{"tags": ["t{i}"]}}"#)).collect();
    let emu = manual(world(&format!(
        r#"{{"repositories": [{{"name": "many", "images": [{}]}}]}}"#,
        images.join(",")
    )))
    .await;
    let c = ecr(&emu.url());
    let first = c
        .list_images()
        .repository_name("many")
        .max_results(3)
        .send()
        .await
        .unwrap();
    assert_eq!(first.image_ids().len(), 3);
    let token = first.next_token().unwrap().to_string();
    let second = c
        .list_images()
        .repository_name("many")
        .max_results(3)
        .next_token(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(second.image_ids()[0].image_tag(), Some("t3"));
    let all: Vec<_> = c
        .describe_images()
        .repository_name("many")
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(all.len(), 7);
    // A token from another operation is refused; maxResults is range-checked.
    let err = c
        .describe_images()
        .repository_name("many")
        .next_token(&token)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_parameter_exception());
    let err = c
        .list_images()
        .repository_name("many")
        .max_results(1001)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_parameter_exception());
}

#[tokio::test]
async fn ecr_errors_and_shapes_through_the_aws_cli() {
    let emu = manual(world(MULTI)).await;
    let cli = Cli::new(&emu.url());
    let err = cli
        .error(&["ecr", "describe-images", "--repository-name", "nope"])
        .await;
    assert!(err.contains("RepositoryNotFoundException"), "{err}");
    let err = cli
        .error(&[
            "ecr",
            "describe-images",
            "--repository-name",
            "multi",
            "--image-ids",
            "imageTag=zzz",
        ])
        .await;
    assert!(err.contains("ImageNotFoundException"), "{err}");
    // Shapes botocore validates: images with untagged children, repositories with filters,
    // failures of batch-get-image and batch-delete-image.
    cli.json(&["ecr", "describe-images", "--repository-name", "multi"])
        .await;
    cli.json(&[
        "ecr",
        "put-image-tag-mutability",
        "--repository-name",
        "multi",
        "--image-tag-mutability",
        "IMMUTABLE_WITH_EXCLUSION",
        "--image-tag-mutability-exclusion-filters",
        "filterType=WILDCARD,filter=prod*",
    ])
    .await;
    let repos = cli.json(&["ecr", "describe-repositories"]).await;
    assert_eq!(
        repos["repositories"][0]["imageTagMutabilityExclusionFilters"][0]["filter"],
        "prod*"
    );
    let got = cli
        .json(&[
            "ecr",
            "batch-get-image",
            "--repository-name",
            "multi",
            "--image-ids",
            "imageTag=v1",
            "imageTag=nope",
        ])
        .await;
    assert_eq!(got["failures"][0]["failureCode"], "ImageNotFound");
    assert_eq!(
        got["images"][0]["imageManifestMediaType"],
        "application/vnd.docker.distribution.manifest.list.v2+json"
    );
    let err = cli
        .error(&[
            "ecr",
            "put-image",
            "--repository-name",
            "multi",
            "--image-tag",
            "v1",
            "--image-manifest",
            &manifest("cli"),
        ])
        .await;
    assert!(err.contains("ImageTagAlreadyExistsException"), "{err}");
    let created = cli
        .json(&["ecr", "create-repository", "--repository-name", "fresh"])
        .await;
    assert_eq!(created["repository"]["imageTagMutability"], "MUTABLE");
    let deleted = cli
        .json(&[
            "ecr",
            "batch-delete-image",
            "--repository-name",
            "multi",
            "--image-ids",
            "imageTag=nope",
        ])
        .await;
    assert_eq!(deleted["failures"][0]["failureCode"], "ImageNotFound");
    // The CLI paginates list-images itself (page size 2 → 2 + 2 + 2 calls' worth of ids).
    let listed = cli
        .json(&[
            "ecr",
            "list-images",
            "--repository-name",
            "multi",
            "--page-size",
            "2",
        ])
        .await;
    assert_eq!(listed["imageIds"].as_array().unwrap().len(), 6);
}
