//! The plan of a promotion as Terraform prints it (one line per service that redeploys, the
//! image URI known, nothing churning), and state written by schema version 0 of
//! `tagdeploy_prod_tag` upgraded in place, on both Terraforms.

use std::time::Duration;

use serde_json::{Value as Json, json};

use crate::support::emulator::{BackgroundEmulator, add_services, demo_world_json};
use crate::support::observe::Observe;
use crate::support::prod_tag::{prod_tag_config, prod_tag_state};
use crate::support::terraform::{Terraform, Workspace, terraform_test};

/// The demo world with `count` services (`example`, `example-1`, …) running `example:prod`.
fn world(count: usize) -> Json {
    let mut world = demo_world_json();
    add_services(&mut world, count - 1);
    world
}

fn service_names(count: usize) -> Vec<String> {
    std::iter::once("example".to_owned())
        .chain((1..count).map(|i| format!("example-{i}")))
        .collect()
}

/// The lines of the plan's resource block, from its `# tagdeploy_prod_tag.prod` header to its
/// closing brace.
fn resource_block(plan: &str) -> Vec<&str> {
    let lines: Vec<&str> = plan.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim_start().starts_with("# tagdeploy_prod_tag.prod"))
        .unwrap_or_else(|| panic!("no resource in the plan:\n{plan}"));
    let end = start
        + lines[start..]
            .iter()
            .position(|l| *l == "    }")
            .unwrap_or_else(|| panic!("the resource block does not close:\n{plan}"));
    lines[start..=end].to_vec()
}

terraform_test!(a_promotion_plan_reads_like_a_release_note);
fn a_promotion_plan_reads_like_a_release_note(tf: &Terraform) {
    const SERVICES: usize = 10;
    let emulator = BackgroundEmulator::manual(world(SERVICES));
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let names = service_names(SERVICES);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let ws = Workspace::new(tf, "release-note", &prod_tag_config(&emulator, &refs, ""));
    ws.init();
    ws.apply(&["-var", "release=hash_1"]);
    let (hash_1, hash_2) = (emulator.digest("hash_1"), emulator.digest("hash_2"));

    let run = ws
        .run(&["plan", "-no-color", "-var", "release=hash_2"])
        .success();
    let block = resource_block(&run.stdout);
    let shown = block.join("\n");
    // One line per service, in `deployments`, and only there.
    let open = block
        .iter()
        .position(|l| l.trim_start().starts_with("~ deployments"))
        .unwrap_or_else(|| panic!("deployments is not in the plan:\n{shown}"));
    let close = open
        + block[open..]
            .iter()
            .position(|l| l.trim() == "}")
            .unwrap_or_else(|| panic!("deployments does not close:\n{shown}"));
    let per_service = &block[open + 1..close];
    let mut keys: Vec<String> = per_service
        .iter()
        .map(|l| {
            let l = l.trim();
            assert!(
                l.starts_with("~ \"")
                    && l.contains("= \"ecs-svc/")
                    && l.ends_with("-> (known after apply)"),
                "not one line per service: {l:?}\n{shown}"
            );
            l.split('"').nth(1).unwrap_or_default().to_owned()
        })
        .collect();
    keys.sort();
    let mut expected = names.clone();
    expected.sort();
    assert_eq!(keys, expected, "{shown}");
    // The digest move and the image URI, known during plan.
    let line = |name: &str| {
        block
            .iter()
            .find(|l| {
                l.trim_start()
                    .get(2..)
                    .is_some_and(|rest| rest.starts_with(name))
            })
            .map(|l| l.trim())
            .unwrap_or_else(|| panic!("{name} is not in the plan:\n{shown}"))
    };
    assert!(
        line("image_digest").ends_with(&format!("\"{hash_1}\" -> \"{hash_2}\"")),
        "{shown}"
    );
    assert!(
        line("image_uri").ends_with(&format!("/example@{hash_2}\"")),
        "{shown}"
    );
    // Nothing else is left to apply or churns per service.
    let unknown: Vec<&str> = block
        .iter()
        .filter(|l| l.contains("(known after apply)"))
        .map(|l| l.trim().split(' ').nth(1).unwrap_or_default())
        .collect();
    assert!(
        unknown
            .iter()
            .all(|name| name.starts_with('"') || *name == "promoted_at"),
        "only deployment ids and promoted_at are unknown: {unknown:?}\n{shown}"
    );
    assert!(
        !shown.contains("rollouts"),
        "rollouts do not churn:\n{shown}"
    );
    // Header, the `deployments` braces, id, image_digest, 4 lines of image_tags, image_uri,
    // previous_digest, promoted_at, release_tag, the hidden-attributes line, the closing
    // brace: 16 lines beside the services.
    assert_eq!(block.len(), SERVICES + 16, "{shown}");

    ws.apply(&["-var", "release=hash_2"]);
    let (code, text) = ws.plan_exit_code(&["-var", "release=hash_2"]);
    assert_eq!(code, 0, "the promotion applied as planned:\n{text}");
}

terraform_test!(state_written_by_schema_version_0_is_upgraded);
fn state_written_by_schema_version_0_is_upgraded(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(world(2));
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let names = service_names(2);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let ws = Workspace::new(tf, "upgrade-v0", &prod_tag_config(&emulator, &refs, ""));
    ws.init();
    ws.apply(&["-var", "release=hash_2"]);
    let current = prod_tag_state(&ws);

    // Rewrite the state file as schema version 0 wrote it: `deployments` a list of objects,
    // no `rollouts`.
    let path = ws.work_dir().join("terraform.tfstate");
    let mut state: Json =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("state file")).expect("JSON");
    let instance = &mut state["resources"][0]["instances"][0];
    assert_eq!(instance["schema_version"], 1, "{instance:#}");
    let attributes = &mut instance["attributes"];
    let v0_deployments: Vec<Json> = names
        .iter()
        .map(|s| {
            let rollout = &current["rollouts"][s];
            json!({
                "service": s,
                "service_arn": rollout["service_arn"],
                "deployment_id": current["deployments"][s],
                "status": rollout["status"],
                "rollout_state": rollout["rollout_state"],
                "started": true,
            })
        })
        .collect();
    attributes["deployments"] = json!(v0_deployments);
    attributes
        .as_object_mut()
        .expect("attributes")
        .remove("rollouts");
    instance["schema_version"] = json!(0);
    state["serial"] = json!(state["serial"].as_i64().unwrap_or(0) + 1);
    std::fs::write(&path, serde_json::to_string_pretty(&state).expect("JSON")).expect("write");

    // Nothing changed in AWS: the upgraded state plans nothing.
    let (code, text) = ws.plan_exit_code(&["-var", "release=hash_2"]);
    assert_eq!(
        code, 0,
        "the upgraded state is what the configuration asks for:\n{text}"
    );
    ws.apply(&["-refresh-only", "-var", "release=hash_2"]);
    let upgraded = prod_tag_state(&ws);
    assert_eq!(upgraded["deployments"], current["deployments"]);
    assert_eq!(upgraded["rollouts"], current["rollouts"]);
    assert_eq!(upgraded["image_uri"], current["image_uri"]);

    // And the next promotion runs from it.
    ws.apply(&["-var", "release=hash_1"]);
    let after = prod_tag_state(&ws);
    assert_eq!(after["image_digest"], emulator.digest("hash_1"));
    assert_ne!(after["deployments"], current["deployments"], "{after:#}");
}
