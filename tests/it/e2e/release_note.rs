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
                    && l.contains("= \"arn:aws:ecs:us-east-1:123456789012:service-deployment/")
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
    // Nothing else is left to apply or churns per service. `image_tags` is left to apply too
    // (another resource of the same apply may tag the same image); its list closes with
    // `] -> (known after apply)`.
    let unknown: Vec<&str> = block
        .iter()
        .filter(|l| l.contains("(known after apply)"))
        .map(|l| match l.trim() {
            "] -> (known after apply)" => "image_tags",
            other => other.split(' ').nth(1).unwrap_or_default(),
        })
        .collect();
    assert!(
        unknown
            .iter()
            .all(|name| name.starts_with('"') || ["promoted_at", "image_tags"].contains(name)),
        "only deployment ids, image_tags and promoted_at are unknown: {unknown:?}\n{shown}"
    );
    assert!(unknown.contains(&"image_tags"), "{shown}");
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

/// Rewrites the workspace's state file: the first resource instance's attributes and schema
/// version, as `edit` makes them.
fn rewrite_state(
    ws: &Workspace,
    version: i64,
    edit: impl FnOnce(&mut serde_json::Map<String, Json>),
) {
    let path = ws.work_dir().join("terraform.tfstate");
    let mut state: Json =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("state file")).expect("JSON");
    let instance = &mut state["resources"][0]["instances"][0];
    edit(instance["attributes"].as_object_mut().expect("attributes"));
    instance["schema_version"] = json!(version);
    state["serial"] = json!(state["serial"].as_i64().unwrap_or(0) + 1);
    std::fs::write(&path, serde_json::to_string_pretty(&state).expect("JSON")).expect("write");
}

terraform_test!(state_written_by_older_schema_versions_is_upgraded);
fn state_written_by_older_schema_versions_is_upgraded(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(world(2));
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let names = service_names(2);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let ws = Workspace::new(tf, "upgrade", &prod_tag_config(&emulator, &refs, ""));
    ws.init();
    ws.apply(&["-var", "release=hash_2"]);
    let current = prod_tag_state(&ws);
    let file: Json = serde_json::from_str(
        &std::fs::read_to_string(ws.work_dir().join("terraform.tfstate")).expect("state file"),
    )
    .expect("JSON");
    assert_eq!(file["resources"][0]["instances"][0]["schema_version"], 2);
    // What an upgrade keeps of each rollout: the service ARN and the rollout state; version 1
    // recorded no service deployment, so the rest is null until the next promotion.
    let kept = |rollouts: &Json| -> Json {
        json!(
            names
                .iter()
                .map(|s| (
                    s.clone(),
                    json!({
                        "service_arn": rollouts[s]["service_arn"],
                        "rollout_state": rollouts[s]["rollout_state"],
                    })
                ))
                .collect::<serde_json::Map<_, _>>()
        )
    };

    for version in [0, 1] {
        // The state file as that version wrote it: version 0 had `deployments` as a list of
        // objects and no `rollouts`; version 1 had no `pause_hook_action` and rollouts with the
        // deployments[] status.
        rewrite_state(&ws, version, |attributes| {
            attributes.remove("pause_hook_action");
            if version == 0 {
                let v0: Vec<Json> = names
                    .iter()
                    .map(|s| {
                        let rollout = &current["rollouts"][s];
                        json!({
                            "service": s,
                            "service_arn": rollout["service_arn"],
                            "deployment_id": current["deployments"][s],
                            "status": "PRIMARY",
                            "rollout_state": rollout["rollout_state"],
                            "started": true,
                        })
                    })
                    .collect();
                attributes.insert("deployments".into(), json!(v0));
                attributes.remove("rollouts");
            } else {
                let v1: serde_json::Map<String, Json> = names
                    .iter()
                    .map(|s| {
                        let rollout = &current["rollouts"][s];
                        (
                            s.clone(),
                            json!({
                                "service_arn": rollout["service_arn"],
                                "status": "PRIMARY",
                                "rollout_state": rollout["rollout_state"],
                            }),
                        )
                    })
                    .collect();
                attributes.insert("rollouts".into(), json!(v1));
            }
        });
        // Nothing changed in AWS: the upgraded state plans nothing.
        let (code, text) = ws.plan_exit_code(&["-var", "release=hash_2"]);
        assert_eq!(
            code, 0,
            "the version {version} state is what the configuration asks for:\n{text}"
        );
        ws.apply(&["-refresh-only", "-var", "release=hash_2"]);
        let upgraded = prod_tag_state(&ws);
        assert_eq!(
            upgraded["deployments"], current["deployments"],
            "version {version}"
        );
        assert_eq!(
            kept(&upgraded["rollouts"]),
            kept(&current["rollouts"]),
            "version {version}"
        );
        for s in &names {
            assert_eq!(
                upgraded["rollouts"][s]["status"],
                Json::Null,
                "version {version}"
            );
        }
        assert_eq!(upgraded["pause_hook_action"], "WAIT");
        assert_eq!(upgraded["image_uri"], current["image_uri"]);
    }

    // And the next promotion runs from it, recording service deployments again.
    ws.apply(&["-var", "release=hash_1"]);
    let after = prod_tag_state(&ws);
    assert_eq!(after["image_digest"], emulator.digest("hash_1"));
    assert_ne!(after["deployments"], current["deployments"], "{after:#}");
    assert_eq!(
        after["rollouts"]["example"]["status"], "SUCCESSFUL",
        "{after:#}"
    );
}
