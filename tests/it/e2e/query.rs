//! `list "tagdeploy_prod_tag"` through `terraform query` on Terraform 1.15 (list resources need
//! 1.14+): every environment tag asked for in every repository with the prefix, each with its
//! display name, identity and (with `include_resource`) the object an import starts from;
//! `limit` honoured; `-generate-config-out` writes `import` and `resource` blocks that plan
//! clean once `cluster` and `services` are filled in.

use serde_json::{Value as Json, json};

use crate::support::emulator::{BackgroundEmulator, demo_world_json};
use crate::support::observe::Observe;
use crate::support::repo_root;
use crate::support::terraform::{Terraform, Workspace, required_providers};

/// The demo world with more repositories: `team/api` (prod and stage), `team/web` (prod),
/// `team/tools` (no environment tag), `other` (stage).
fn world() -> Json {
    let mut world = demo_world_json();
    let repository = |name: &str, tags: &[&str]| {
        json!({
            "name": name,
            "imageTagMutability": "MUTABLE",
            "images": [{ "tags": tags, "generate": { "seed": format!("{name}:{}", tags[0]) } }],
        })
    };
    let repositories = world["repositories"].as_array_mut().expect("repositories");
    repositories.push(repository("team/api", &["v7", "prod", "stage"]));
    repositories.push(repository("team/web", &["v3", "prod"]));
    repositories.push(repository("team/tools", &["v1"]));
    repositories.push(repository("other", &["v2", "stage"]));
    world
}

/// The `list_resource_found` results of `terraform query -json` for the list block `name`.
fn found(run_stdout: &str, name: &str) -> Vec<Json> {
    let address = format!("list.tagdeploy_prod_tag.{name}");
    run_stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Json>(l).ok())
        .filter(|l| l["type"] == "list_resource_found")
        .map(|l| l["list_resource_found"].clone())
        .filter(|r| r["address"] == address.as_str())
        .collect()
}

#[test]
fn query_lists_environment_tags_with_identity_and_honours_limit() {
    let tf = Terraform::v1_15();
    let emulator = BackgroundEmulator::manual(world());
    let ws = Workspace::new(
        &tf,
        "query",
        &format!("{}\n{}", required_providers(), emulator.provider_block()),
    );
    // The registry example, as the docs show it, and a block with a limit.
    let example = std::fs::read_to_string(
        repo_root().join("examples/list-resources/tagdeploy_prod_tag/environments.tfquery.hcl"),
    )
    .expect("read the list resource example");
    ws.write("environments.tfquery.hcl", &example);
    ws.write(
        "first.tfquery.hcl",
        r#"list "tagdeploy_prod_tag" "first" {
  provider = tagdeploy
  limit    = 1
  config {
    tags = ["prod", "stage"]
  }
}
"#,
    );
    ws.init();
    let run = ws.run(&["query", "-json", "-no-color"]).success();

    let team = found(&run.stdout, "environments");
    let mut names: Vec<&str> = team
        .iter()
        .map(|r| r["display_name"].as_str().unwrap_or_default())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["team/api:prod", "team/api:stage", "team/web:prod"],
        "{}",
        run.stdout
    );
    let api_prod = team
        .iter()
        .find(|r| r["display_name"] == "team/api:prod")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        api_prod["identity"],
        json!({
            "account_id": "123456789012",
            "region": "us-east-1",
            "repository": "team/api",
            "tag": "prod",
        })
    );
    let object = &api_prod["resource_object"];
    let digest = emulator.digest_in("team/api", "prod");
    assert_eq!(object["repository"], "team/api");
    assert_eq!(object["tag"], "prod");
    assert_eq!(object["image_digest"], digest.as_str());
    assert_eq!(object["image_tags"], json!(["prod", "stage", "v7"]));
    assert_eq!(
        object["image_uri"],
        format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/api@{digest}")
    );

    let first = found(&run.stdout, "first");
    assert_eq!(first.len(), 1, "limit = 1: {first:?}");
    assert!(emulator.mutations().is_empty());
}

#[test]
fn query_generates_config_that_plans_clean_once_completed() {
    let tf = Terraform::v1_15();
    let emulator = BackgroundEmulator::manual(world());
    let ws = Workspace::new(
        &tf,
        "query-generate",
        &format!("{}\n{}", required_providers(), emulator.provider_block()),
    );
    ws.write(
        "prod.tfquery.hcl",
        r#"list "tagdeploy_prod_tag" "prod" {
  provider = tagdeploy
  config {
    tags              = ["prod"]
    repository_prefix = "example"
  }
}
"#,
    );
    ws.init();
    ws.run(&["query", "-no-color", "-generate-config-out=generated.tf"])
        .success();
    let generated = std::fs::read_to_string(ws.work_dir().join("generated.tf"))
        .expect("terraform query wrote generated.tf");
    assert!(
        generated.contains("resource \"tagdeploy_prod_tag\" \"prod_0\"")
            && generated.contains("  repository          = \"example\"")
            && generated.contains("  cluster             = null")
            && generated.contains("  services            = null")
            && generated.contains("import {\n  to       = tagdeploy_prod_tag.prod_0"),
        "{generated}"
    );
    // What the query cannot know, filled in as the docs say: the ECS side.
    let completed = generated
        .replace("  cluster             = null", "  cluster = \"example\"")
        .replace("  services            = null", "  services = [\"example\"]");
    ws.write("generated.tf", &completed);
    let hash_1 = emulator.digest("hash_1");
    let (code, text) = ws.plan_exit_code(&[]);
    assert!(
        code == 2
            && text.contains("(will be imported first)")
            && text.contains("Plan: 1 to import, 0 to add, 1 to change, 0 to destroy.")
            && !text.contains("~ image_digest"),
        "the import, recording cluster and services, moving nothing: {text}"
    );
    ws.apply(&[]);
    assert_eq!(emulator.digest("prod"), hash_1);
    assert_eq!(
        emulator.count("UpdateService"),
        0,
        "{:?}",
        emulator.operations()
    );
    let (code, text) = ws.plan_exit_code(&[]);
    assert_eq!(code, 0, "clean once imported: {text}");
}

#[test]
fn query_stops_looking_once_the_limit_is_reached() {
    let tf = Terraform::v1_15();
    let mut world = demo_world_json();
    let repositories = world["repositories"].as_array_mut().expect("repositories");
    for i in 0..40 {
        let name = format!("svc-{i:02}");
        repositories.push(json!({
            "name": name,
            "images": [{ "tags": ["v1", "prod"], "generate": { "seed": name } }],
        }));
    }
    let emulator = BackgroundEmulator::manual(world);
    let ws = Workspace::new(
        &tf,
        "query-limit",
        &format!("{}\n{}", required_providers(), emulator.provider_block()),
    );
    ws.write(
        "three.tfquery.hcl",
        "list \"tagdeploy_prod_tag\" \"three\" {\n  provider = tagdeploy\n  limit    = 3\n  config {\n    tags = [\"prod\"]\n  }\n}\n",
    );
    ws.init();
    emulator.clear_requests();
    let run = ws.run(&["query", "-json", "-no-color"]).success();
    assert_eq!(found(&run.stdout, "three").len(), 3, "{}", run.stdout);
    // One page of repositories, then one lookup per result wanted: none of the other 38.
    assert_eq!(
        (
            emulator.count("DescribeRepositories"),
            emulator.count("DescribeImages")
        ),
        (1, 3),
        "{:?}",
        emulator.operations()
    );
}
