//! The examples the registry pages show, applied against the emulator on the RFC demo world
//! (`examples/demo/world.json`: repository, cluster and service `example`; `prod` on `hash_1`).

use std::time::Duration;

use super::{example_workspace, load_example};
use crate::support::emulator::{BackgroundEmulator, demo_world_json};
use crate::support::observe::Observe;
use crate::support::terraform::{Terraform, terraform_test};

const RESOURCE: &str = "examples/resources/tagdeploy_prod_tag";

/// The `terraform …` command line of an `import.sh`, as arguments.
fn import_command() -> Vec<String> {
    let script =
        std::fs::read_to_string(crate::support::repo_root().join(RESOURCE).join("import.sh"))
            .expect("read import.sh");
    let line = script
        .lines()
        .find(|l| l.starts_with("terraform import "))
        .expect("import.sh runs terraform import");
    line.split_whitespace().skip(1).map(str::to_owned).collect()
}

terraform_test!(resource_example_releases_hash_2_and_imports);
fn resource_example_releases_hash_2_and_imports(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(demo_world_json());
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let hash_1 = emulator.digest_in("example", "hash_1");
    let hash_2 = emulator.digest_in("example", "hash_2");

    let ws = example_workspace(
        tf,
        "example-resource",
        RESOURCE,
        &["resource.tf"],
        Some(&emulator),
    );
    let plan = ws.run(&["plan", "-no-color"]).success();
    assert!(
        plan.stdout.contains(&hash_1) && plan.stdout.contains(&hash_2),
        "the plan shows prod moving from hash_1 to hash_2:\n{}",
        plan.stdout
    );
    ws.apply(&[]);
    assert_eq!(emulator.digest_in("example", "prod"), hash_2);
    let outputs = ws.outputs();
    assert_eq!(outputs["prod_digest"]["value"], hash_2.as_str());
    let rollout = outputs["rollout"]["value"]["example"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(rollout.ends_with(" COMPLETED"), "{rollout}");
    assert_eq!(emulator.count("UpdateService"), 1);

    // import.sh, word for word, into a state that has forgotten the resource.
    ws.run(&["state", "rm", "-no-color", "tagdeploy_prod_tag.example"])
        .success();
    let import: Vec<String> = import_command();
    let mut args: Vec<&str> = import.iter().map(String::as_str).collect();
    args.insert(1, "-no-color");
    ws.run(&args).success();
    let state = ws.resource_values("tagdeploy_prod_tag.example");
    assert_eq!(state["image_digest"], hash_2.as_str());
    assert_eq!(state["id"], "example:prod");
    // The configuration already says hash_2, which is where prod is: applying fills in the
    // configured values without moving the tag or redeploying.
    ws.apply(&[]);
    assert_eq!(
        emulator.count("UpdateService"),
        1,
        "{:?}",
        emulator.operations()
    );
    let plan = ws.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(plan.code, Some(0), "{}", plan.transcript());

    // The import block, in a fresh workspace: the plan previews the import.
    let fresh = example_workspace(
        tf,
        "example-import-block",
        RESOURCE,
        &["resource.tf", "import.tf"],
        Some(&emulator),
    );
    let plan = fresh.run(&["plan", "-no-color"]).success();
    assert!(
        plan.stdout.contains("1 to import"),
        "the plan shows the import:\n{}",
        plan.stdout
    );
    fresh.apply(&[]);
    assert_eq!(
        fresh.resource_values("tagdeploy_prod_tag.example")["image_digest"],
        hash_2.as_str()
    );
    assert_eq!(
        emulator.count("UpdateService"),
        1,
        "importing redeploys nothing"
    );
    assert_eq!(
        emulator.served("PutImage"),
        1,
        "prod moved once, by the first apply"
    );
}

terraform_test!(data_source_and_function_examples_report_the_demo_world);
fn data_source_and_function_examples_report_the_demo_world(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(demo_world_json());
    let hash_1 = emulator.digest_in("example", "hash_1");

    let ws = example_workspace(
        tf,
        "example-task-digests",
        "examples/data-sources/tagdeploy_task_digests",
        &[],
        Some(&emulator),
    );
    let run = ws.apply(&[]);
    assert!(
        !run.stdout.contains("Check block assertion failed"),
        "the steady demo service is complete:\n{}",
        run.stdout
    );
    let outputs = ws.outputs();
    assert_eq!(
        outputs["env_digest"]["value"],
        format!("prod ENV_DIGEST: {hash_1}")
    );
    let lines = outputs["task_digests"]["value"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(lines.len(), 2, "two tasks: {lines:?}");
    for line in &lines {
        assert_eq!(line, &format!("TASK_DIGEST: {hash_1} (match)"));
    }

    load_example(
        &ws,
        "examples/data-sources/tagdeploy_image",
        &[],
        Some(&emulator),
    );
    ws.apply(&[]);
    let outputs = ws.outputs();
    assert_eq!(
        outputs["prod_releases"]["value"],
        serde_json::json!(["hash_1"])
    );
    assert_eq!(
        outputs["prod_image_uri"]["value"],
        format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/example@{hash_1}")
    );

    load_example(&ws, "examples/functions/parse_image_uri", &[], None);
    ws.apply(&[]);
    let outputs = ws.outputs();
    assert_eq!(outputs["repository"]["value"], "team/app");
    assert_eq!(outputs["release"]["value"], "hash_2");
    assert!(
        outputs["pinned"]
            .get("value")
            .is_none_or(serde_json::Value::is_null)
    );
    assert!(
        emulator.mutations().is_empty(),
        "reading changes nothing: {:?}",
        emulator.mutations()
    );
}
