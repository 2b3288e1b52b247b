//! What infra/'s stack needs beyond the release flow, checked with clients we did not write:
//! ECR repository lifecycle, tags and layer uploads (aws-sdk-ecr), the registry API (raw HTTP,
//! and skopeo pushing and pulling a real OCI image), ECS deletions and tags and CloudWatch Logs
//! log groups (the AWS CLI, whose botocore checks every answer against the service models), and
//! STS GetCallerIdentity.

use aws_sdk_ecr::error::ProvideErrorMetadata;
use aws_sdk_ecr::primitives::Blob;
use aws_sdk_ecr::types::{ImageScanningConfiguration, Tag};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::support::{Cli, ecr, manual, raw, workspace_root, world};

fn sha(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// An OCI manifest naming `config` and `layer` by digest.
fn oci_manifest(config: &[u8], layer: &[u8]) -> String {
    format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"size\":{},\"digest\":\"{}\"}},\"layers\":[{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"size\":{},\"digest\":\"{}\"}}]}}",
        config.len(),
        sha(config),
        layer.len(),
        sha(layer)
    )
}

/// Uploads one blob through the ECR API's layer calls.
async fn upload(c: &aws_sdk_ecr::Client, repo: &str, data: &[u8]) {
    let id = c
        .initiate_layer_upload()
        .repository_name(repo)
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_string();
    let (first, second) = data.split_at(data.len() / 2);
    let mut at = 0i64;
    for part in [first, second] {
        c.upload_layer_part()
            .repository_name(repo)
            .upload_id(&id)
            .part_first_byte(at)
            .part_last_byte(at + part.len() as i64 - 1)
            .layer_part_blob(Blob::new(part))
            .send()
            .await
            .unwrap();
        at += part.len() as i64;
    }
    c.complete_layer_upload()
        .repository_name(repo)
        .upload_id(&id)
        .layer_digests(sha(data))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn repository_tags_scanning_layers_and_force_delete() {
    let emu = manual(world("{}")).await;
    let c = ecr(&emu.url());
    let created = c
        .create_repository()
        .repository_name("app")
        .tags(Tag::builder().key("Stack").value("a").build().unwrap())
        .image_scanning_configuration(
            ImageScanningConfiguration::builder()
                .scan_on_push(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let repo = created.repository().unwrap();
    assert_eq!(
        repo.image_scanning_configuration()
            .map(|s| s.scan_on_push()),
        Some(true)
    );
    let arn = repo.repository_arn().unwrap().to_string();
    c.tag_resource()
        .resource_arn(&arn)
        .tags(Tag::builder().key("Release").value("b").build().unwrap())
        .send()
        .await
        .unwrap();
    c.untag_resource()
        .resource_arn(&arn)
        .tag_keys("Stack")
        .send()
        .await
        .unwrap();
    let tags = c
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = tags.tags().iter().map(|t| t.key()).collect();
    assert_eq!(keys, ["Release"]);
    let err = c
        .tag_resource()
        .resource_arn(&arn)
        .tags(
            Tag::builder()
                .key("aws:reserved")
                .value("x")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("InvalidTagParameterException"));
    let err = c
        .list_tags_for_resource()
        .resource_arn("arn:aws:ecr:us-east-1:123456789012:repository/nope")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("RepositoryNotFoundException"));
    let scanning = c
        .put_image_scanning_configuration()
        .repository_name("app")
        .image_scanning_configuration(
            ImageScanningConfiguration::builder()
                .scan_on_push(false)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        scanning
            .image_scanning_configuration()
            .map(|s| s.scan_on_push()),
        Some(false)
    );

    // A manifest whose layers were never uploaded is refused; once they are, it is stored under
    // the sha256 of its bytes.
    let (config, layer) = (b"{\"os\":\"linux\"}".to_vec(), vec![7u8; 1000]);
    let manifest = oci_manifest(&config, &layer);
    let err = c
        .put_image()
        .repository_name("app")
        .image_manifest(&manifest)
        .image_tag("hash_1")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_layers_not_found_exception(), "{err:?}");
    upload(&c, "app", &config).await;
    let check = c
        .batch_check_layer_availability()
        .repository_name("app")
        .layer_digests(sha(&config))
        .layer_digests(sha(&layer))
        .send()
        .await
        .unwrap();
    assert_eq!(check.layers().len(), 1);
    assert_eq!(check.failures().len(), 1);
    upload(&c, "app", &layer).await;
    let put = c
        .put_image()
        .repository_name("app")
        .image_manifest(&manifest)
        .image_tag("hash_1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.image()
            .and_then(|i| i.image_id())
            .and_then(|i| i.image_digest()),
        Some(sha(manifest.as_bytes()).as_str())
    );

    let err = c
        .delete_repository()
        .repository_name("app")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_repository_not_empty_exception(), "{err:?}");
    c.delete_repository()
        .repository_name("app")
        .force(true)
        .send()
        .await
        .unwrap();
    let err = c
        .describe_repositories()
        .repository_names("app")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_repository_not_found_exception());
}

/// Logs in as a client does: the GetAuthorizationToken password, Basic.
async fn login(c: &aws_sdk_ecr::Client) -> (String, String) {
    let auth = c.get_authorization_token().send().await.unwrap();
    let data = &auth.authorization_data()[0];
    let token = data.authorization_token().unwrap().to_string();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&token)
        .unwrap();
    assert!(
        decoded.starts_with(b"AWS:"),
        "the token is base64 of AWS:<password>"
    );
    assert!(data.expires_at().is_some());
    (
        format!("Basic {token}"),
        data.proxy_endpoint().unwrap().to_string(),
    )
}

#[tokio::test]
async fn registry_api_speaks_the_distribution_spec() {
    let emu = manual(world("{}")).await;
    let c = ecr(&emu.url());
    c.create_repository()
        .repository_name("team/app")
        .send()
        .await
        .unwrap();
    c.create_repository()
        .repository_name("other")
        .send()
        .await
        .unwrap();
    let (auth, proxy) = login(&c).await;
    assert_eq!(
        proxy,
        emu.url(),
        "the registry is the emulator's own address"
    );
    let addr = emu.addr();
    let h = [("Authorization", auth.as_str())];

    let ping = raw(addr, "GET", "/v2/", &[], b"").await.unwrap().unwrap();
    assert_eq!(ping.status, 401);
    assert!(
        ping.header("www-authenticate")
            .unwrap()
            .starts_with("Basic realm=")
    );
    assert_eq!(ping.json()["errors"][0]["code"], "UNAUTHORIZED");
    let bad = raw(
        addr,
        "GET",
        "/v2/",
        &[("Authorization", "Basic QVdTOm5vcGU=")],
        b"",
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(bad.status, 403);
    assert_eq!(
        raw(addr, "GET", "/v2/", &h, b"")
            .await
            .unwrap()
            .unwrap()
            .status,
        200
    );

    // Chunked upload: a chunk out of order is refused with the range received so far.
    let layer = vec![42u8; 3000];
    let start = raw(addr, "POST", "/v2/team/app/blobs/uploads/", &h, b"")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(start.status, 202);
    let location = start.header("location").unwrap().to_string();
    let first = raw(
        addr,
        "PATCH",
        &location,
        &[h[0], ("Content-Range", "0-999")],
        &layer[..1000],
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!((first.status, first.header("range")), (202, Some("0-999")));
    let skip = raw(
        addr,
        "PATCH",
        &location,
        &[h[0], ("Content-Range", "2000-2999")],
        &layer[2000..],
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(skip.status, 416);
    assert_eq!(skip.json()["errors"][0]["code"], "BLOB_UPLOAD_INVALID");
    raw(addr, "PATCH", &location, &h, &layer[1000..2000])
        .await
        .unwrap()
        .unwrap();
    let wrong = raw(
        addr,
        "PUT",
        &format!("{location}?digest={}", sha(b"x")),
        &h,
        &layer[2000..],
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(wrong.json()["errors"][0]["code"], "DIGEST_INVALID");
    let done = raw(
        addr,
        "PUT",
        &format!("{location}?digest={}", sha(&layer)),
        &h,
        b"",
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(done.status, 201, "{}", done.body);
    assert_eq!(
        done.header("docker-content-digest"),
        Some(sha(&layer).as_str())
    );

    // Monolithic upload of the config, and a mount of the layer into another repository.
    let config = br#"{"architecture":"amd64","os":"linux"}"#.to_vec();
    let mono = raw(
        addr,
        "POST",
        &format!(
            "/v2/team/app/blobs/uploads/?digest={}",
            sha(&config).replace(':', "%3A")
        ),
        &h,
        &config,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(mono.status, 201, "{}", mono.body);
    let mount = raw(
        addr,
        "POST",
        &format!(
            "/v2/other/blobs/uploads/?mount={}&from=team/app",
            sha(&layer)
        ),
        &h,
        b"",
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(mount.status, 201);
    let head = raw(
        addr,
        "HEAD",
        &format!("/v2/other/blobs/{}", sha(&layer)),
        &h,
        b"",
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        (head.status, head.header("content-length")),
        (200, Some("3000"))
    );

    // A manifest naming an unknown blob is refused; a complete one is stored and read back by
    // tag and by digest, byte for byte.
    let orphan = oci_manifest(&config, b"never uploaded");
    let oci = ("Content-Type", "application/vnd.oci.image.manifest.v1+json");
    let refused = raw(
        addr,
        "PUT",
        "/v2/team/app/manifests/hash_0",
        &[h[0], oci],
        orphan.as_bytes(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json()["errors"][0]["code"], "MANIFEST_BLOB_UNKNOWN");
    let manifest = oci_manifest(&config, &layer);
    let put = raw(
        addr,
        "PUT",
        "/v2/team/app/manifests/hash_1",
        &[h[0], oci],
        manifest.as_bytes(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(put.status, 201, "{}", put.body);
    let digest = sha(manifest.as_bytes());
    assert_eq!(put.header("docker-content-digest"), Some(digest.as_str()));
    for reference in ["hash_1", digest.as_str()] {
        let got = raw(
            addr,
            "GET",
            &format!("/v2/team/app/manifests/{reference}"),
            &h,
            b"",
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(got.body, manifest);
        assert_eq!(got.header("content-type"), Some(oci.1));
    }
    let unknown = raw(addr, "GET", "/v2/team/app/manifests/nope", &h, b"")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (unknown.status, unknown.json()["errors"][0]["code"].as_str()),
        (404, Some("MANIFEST_UNKNOWN"))
    );
    let missing = raw(addr, "GET", "/v2/nope/tags/list", &h, b"")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(missing.json()["errors"][0]["code"], "NAME_UNKNOWN");
    let tags = raw(addr, "GET", "/v2/team/app/tags/list", &h, b"")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tags.json()["tags"], serde_json::json!(["hash_1"]));
    // The ECR API sees the same image.
    let described = c
        .describe_images()
        .repository_name("team/app")
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.image_details()[0].image_digest(),
        Some(digest.as_str())
    );
    let served: Vec<String> = emu
        .requests()
        .iter()
        .filter(|r| r.service.as_str() == "registry")
        .map(|r| r.operation.clone())
        .collect();
    assert!(
        served.contains(&"CompleteLayerUpload".to_string()),
        "{served:?}"
    );
    assert!(served.contains(&"PutImage".to_string()), "{served:?}");
}

#[tokio::test]
async fn skopeo_pushes_and_pulls_a_real_image() {
    let Ok(skopeo) = which("skopeo") else {
        eprintln!("SKIPPED: skopeo not installed (scripts/oci-client.sh installs it where it can)");
        return;
    };
    let emu = manual(world("{}")).await;
    let cli = Cli::new(&emu.url());
    cli.json(&["ecr", "create-repository", "--repository-name", "example"])
        .await;
    let root = workspace_root();
    // scripts/push-release.sh with the CLI's isolated environment (endpoint, test credentials).
    let cli_cmd = cli.command(&[]);
    // tokio's Command: the emulator serves on this test's runtime, which must keep running.
    let mut push = tokio::process::Command::new(root.join("scripts/push-release.sh"));
    push.env_clear().args(["example", "hash_1"]);
    for (k, v) in cli_cmd.as_std().get_envs() {
        if let Some(v) = v {
            push.env(k, v);
        }
    }
    let out = push.output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let digest = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let described = cli
        .json(&[
            "ecr",
            "describe-images",
            "--repository-name",
            "example",
            "--image-ids",
            "imageTag=hash_1",
        ])
        .await;
    assert_eq!(described["imageDetails"][0]["imageDigest"], digest.as_str());
    assert_eq!(
        described["imageDetails"][0]["imageManifestMediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    // Pull it back by digest with skopeo: the same manifest digest arrives.
    let password = String::from_utf8(cli.run(&["ecr", "get-login-password"]).await.stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let host = emu.url().trim_start_matches("http://").to_string();
    let pulled = tokio::process::Command::new(&skopeo)
        .args([
            "copy",
            "--quiet",
            "--src-tls-verify=false",
            "--src-creds",
            &format!("AWS:{}", password.trim()),
            &format!("docker://{host}/example@{digest}"),
            &format!("oci:{}:pulled", dir.path().display()),
        ])
        .output()
        .await
        .unwrap();
    assert!(
        pulled.status.success(),
        "{}",
        String::from_utf8_lossy(&pulled.stderr)
    );
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("index.json")).unwrap()).unwrap();
    assert_eq!(index["manifests"][0]["digest"], digest.as_str());
}

fn which(program: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .map(|d| std::path::Path::new(d).join(program))
        .find(|p| p.is_file())
        .ok_or(())
}

#[tokio::test]
async fn ecs_deletions_and_tags_with_the_cli() {
    let emu = manual(world("{}")).await;
    let cli = Cli::new(&emu.url());
    let cluster = cli
        .json(&[
            "ecs",
            "create-cluster",
            "--cluster-name",
            "c",
            "--tags",
            "key=Stack,value=a",
        ])
        .await;
    let cluster_arn = cluster["cluster"]["clusterArn"]
        .as_str()
        .unwrap()
        .to_string();
    let td = cli
        .json(&[
            "ecs",
            "register-task-definition",
            "--family",
            "app",
            "--container-definitions",
            r#"[{"name":"app","image":"public.ecr.aws/x/y:1"}]"#,
            "--tags",
            "key=Stack,value=a",
        ])
        .await;
    let td_arn = td["taskDefinition"]["taskDefinitionArn"]
        .as_str()
        .unwrap()
        .to_string();
    cli.json(&[
        "ecs",
        "create-service",
        "--cluster",
        "c",
        "--service-name",
        "s",
        "--task-definition",
        "app:1",
        "--desired-count",
        "1",
        "--tags",
        "key=Stack,value=a",
    ])
    .await;
    let service_arn = "arn:aws:ecs:us-east-1:123456789012:service/c/s";
    cli.json(&[
        "ecs",
        "tag-resource",
        "--resource-arn",
        service_arn,
        "--tags",
        "key=Release,value=b",
    ])
    .await;
    cli.json(&[
        "ecs",
        "untag-resource",
        "--resource-arn",
        service_arn,
        "--tag-keys",
        "Stack",
    ])
    .await;
    let tags = cli
        .json(&[
            "ecs",
            "list-tags-for-resource",
            "--resource-arn",
            service_arn,
        ])
        .await;
    assert_eq!(
        tags["tags"],
        serde_json::json!([{"key": "Release", "value": "b"}])
    );
    let described = cli
        .json(&[
            "ecs",
            "describe-clusters",
            "--clusters",
            "c",
            "--include",
            "TAGS",
        ])
        .await;
    assert_eq!(
        described["clusters"][0]["tags"],
        serde_json::json!([{"key": "Stack", "value": "a"}])
    );
    let described = cli
        .json(&[
            "ecs",
            "describe-task-definition",
            "--task-definition",
            &td_arn,
            "--include",
            "TAGS",
        ])
        .await;
    assert_eq!(
        described["tags"],
        serde_json::json!([{"key": "Stack", "value": "a"}])
    );

    // Deleting: refused while scaled up, then DRAINING until its task stopped, then INACTIVE.
    let err = cli
        .error(&["ecs", "delete-service", "--cluster", "c", "--service", "s"])
        .await;
    assert!(err.contains("scaled above 0"), "{err}");
    let err = cli
        .error(&["ecs", "delete-cluster", "--cluster", "c"])
        .await;
    assert!(err.contains("ClusterContainsServicesException"), "{err}");
    cli.json(&[
        "ecs",
        "update-service",
        "--cluster",
        "c",
        "--service",
        "s",
        "--desired-count",
        "0",
    ])
    .await;
    let deleted = cli
        .json(&["ecs", "delete-service", "--cluster", "c", "--service", "s"])
        .await;
    assert_eq!(deleted["service"]["status"], "DRAINING");
    let err = cli
        .error(&[
            "ecs",
            "update-service",
            "--cluster",
            "c",
            "--service",
            "s",
            "--desired-count",
            "1",
        ])
        .await;
    assert!(err.contains("ServiceNotActiveException"), "{err}");
    let mut status = String::new();
    for _ in 0..10 {
        emu.advance(1);
        let d = cli
            .json(&[
                "ecs",
                "describe-services",
                "--cluster",
                "c",
                "--services",
                "s",
            ])
            .await;
        status = d["services"][0]["status"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if status == "INACTIVE" {
            break;
        }
    }
    assert_eq!(status, "INACTIVE");
    let listed = cli.json(&["ecs", "list-services", "--cluster", "c"]).await;
    assert_eq!(listed["serviceArns"], serde_json::json!([]));
    let deregistered = cli
        .json(&[
            "ecs",
            "deregister-task-definition",
            "--task-definition",
            "app:1",
        ])
        .await;
    assert_eq!(deregistered["taskDefinition"]["status"], "INACTIVE");
    let err = cli
        .error(&[
            "ecs",
            "create-service",
            "--cluster",
            "c",
            "--service-name",
            "t",
            "--task-definition",
            "app:1",
        ])
        .await;
    assert!(err.contains("inactive"), "{err}");
    let gone = cli
        .json(&[
            "ecs",
            "delete-task-definitions",
            "--task-definitions",
            "app:1",
        ])
        .await;
    assert_eq!(gone["taskDefinitions"][0]["status"], "DELETE_IN_PROGRESS");
    cli.json(&["ecs", "delete-cluster", "--cluster", "c"]).await;
    let d = cli
        .json(&["ecs", "describe-clusters", "--clusters", &cluster_arn])
        .await;
    assert_eq!(d["clusters"][0]["status"], "INACTIVE");
}

#[tokio::test]
async fn log_groups_and_caller_identity_with_the_cli() {
    let emu = manual(world("{}")).await;
    let cli = Cli::new(&emu.url());
    cli.json(&[
        "logs",
        "create-log-group",
        "--log-group-name",
        "/ecs/app",
        "--tags",
        "Stack=a",
    ])
    .await;
    let err = cli
        .error(&["logs", "create-log-group", "--log-group-name", "/ecs/app"])
        .await;
    assert!(err.contains("ResourceAlreadyExistsException"), "{err}");
    let err = cli
        .error(&[
            "logs",
            "put-retention-policy",
            "--log-group-name",
            "/ecs/app",
            "--retention-in-days",
            "31",
        ])
        .await;
    assert!(err.contains("InvalidParameterException"), "{err}");
    cli.json(&[
        "logs",
        "put-retention-policy",
        "--log-group-name",
        "/ecs/app",
        "--retention-in-days",
        "30",
    ])
    .await;
    let groups = cli
        .json(&[
            "logs",
            "describe-log-groups",
            "--log-group-name-prefix",
            "/ecs",
        ])
        .await;
    assert_eq!(groups["logGroups"][0]["retentionInDays"], 30);
    let arn = groups["logGroups"][0]["logGroupArn"]
        .as_str()
        .unwrap()
        .to_string();
    cli.json(&[
        "logs",
        "tag-resource",
        "--resource-arn",
        &arn,
        "--tags",
        "Release=b",
    ])
    .await;
    let tags = cli
        .json(&["logs", "list-tags-for-resource", "--resource-arn", &arn])
        .await;
    assert_eq!(
        tags["tags"],
        serde_json::json!({"Release": "b", "Stack": "a"})
    );
    cli.json(&["logs", "delete-log-group", "--log-group-name", "/ecs/app"])
        .await;
    let groups = cli.json(&["logs", "describe-log-groups"]).await;
    assert_eq!(groups["logGroups"], serde_json::json!([]));
    let me = cli.json(&["sts", "get-caller-identity"]).await;
    assert_eq!(me["Account"], "123456789012");
}
