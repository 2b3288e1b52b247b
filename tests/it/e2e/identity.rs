//! The identity of `tagdeploy_prod_tag` through Terraform 1.15 (identity needs 1.12+): an
//! `import { identity = … }` block plans and applies the import; the identity Terraform stores
//! is the same after import, plan, apply and refresh; `terraform import` by ID records it too;
//! an identity naming another region is refused. (UpgradeResourceIdentity, which Terraform
//! calls only for identities of an older version, is proved over the wire in
//! `protocol::process`.)

use serde_json::{Value as Json, json};

use crate::support::emulator::{BackgroundEmulator, SetMember, demo_world_json, release_set_world};
use crate::support::observe::Observe;
use crate::support::prod_tag::{PROD_TAG, prod_tag_config};
use crate::support::release::{RELEASE, release_config};
use crate::support::terraform::{Terraform, Workspace};

/// The identity Terraform stores for [`PROD_TAG`] (`terraform show -json`), with its version.
fn stored_identity(ws: &Workspace) -> (Json, Json) {
    let show = ws.show();
    let resource = show["values"]["root_module"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["address"] == PROD_TAG)
        .cloned()
        .unwrap_or(Json::Null);
    (
        resource["identity"].clone(),
        resource["identity_schema_version"].clone(),
    )
}

/// The identity of the demo's `example:prod` in the emulator's account and region.
fn expected() -> Json {
    json!({
        "account_id": "123456789012",
        "region": "us-east-1",
        "repository": "example",
        "tag": "prod",
    })
}

#[test]
fn identity_import_block_plans_applies_and_stays_in_step() {
    let tf = Terraform::v1_15();
    let emulator = BackgroundEmulator::manual(demo_world_json());
    let _clock = emulator.tick_in_background(std::time::Duration::from_millis(10));
    let (hash_1, hash_2) = (emulator.digest("hash_1"), emulator.digest("hash_2"));
    let config = prod_tag_config(&emulator, &["example"], "")
        + "\nimport {\n  to       = tagdeploy_prod_tag.prod\n  identity = {\n    repository = \"example\"\n    tag        = \"prod\"\n  }\n}\n";
    let ws = Workspace::new(&tf, "identity-import", &config);
    ws.init();

    // The import plans, then an update that records what the configuration adds (cluster,
    // services, release): the tag is on hash_1 already and the service runs it, so apply
    // neither moves the tag nor redeploys.
    let (code, text) = ws.plan_exit_code(&["-var", "release=hash_1"]);
    assert!(
        code == 2
            && text.contains("Preparing import... [identity=")
            && text.contains("(will be imported first)")
            && text.contains("Plan: 1 to import, 0 to add, 1 to change, 0 to destroy."),
        "exit code {code}: {text}"
    );
    ws.apply(&["-var", "release=hash_1"]);
    assert_eq!(emulator.digest("prod"), hash_1);
    assert_eq!(
        emulator.count("UpdateService"),
        0,
        "{:?}",
        emulator.operations()
    );
    assert_eq!(ws.resource_values(PROD_TAG)["image_digest"], hash_1);
    assert_eq!(stored_identity(&ws), (expected(), json!(0)));

    // Once imported (the import block stays), the plan is clean.
    let (code, text) = ws.plan_exit_code(&["-var", "release=hash_1"]);
    assert_eq!(code, 0, "{text}");

    // A promotion (plan and apply) and a refresh keep the same identity.
    ws.apply(&["-var", "release=hash_2"]);
    assert_eq!(emulator.digest("prod"), hash_2);
    assert_eq!(stored_identity(&ws), (expected(), json!(0)));
    ws.run(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-no-color",
        "-var",
        "release=hash_2",
    ])
    .success();
    assert_eq!(stored_identity(&ws), (expected(), json!(0)));
}

#[test]
fn identity_recorded_by_import_command_and_refused_for_another_region() {
    let tf = Terraform::v1_15();
    let emulator = BackgroundEmulator::manual(demo_world_json());
    let ws = Workspace::new(
        &tf,
        "identity-cli",
        &prod_tag_config(&emulator, &["example"], ""),
    );
    ws.init();
    ws.run(&[
        "import",
        "-no-color",
        "-var",
        "release=hash_1",
        PROD_TAG,
        "example:prod",
    ])
    .success();
    assert_eq!(stored_identity(&ws), (expected(), json!(0)));

    // Every member given, the account and region the provider's own: the same resource.
    let other = Workspace::new(
        &tf,
        "identity-full",
        &(prod_tag_config(&emulator, &["example"], "")
            + "\nimport {\n  to       = tagdeploy_prod_tag.prod\n  identity = {\n    repository = \"example\"\n    tag        = \"prod\"\n    account_id = \"123456789012\"\n    region     = \"us-east-1\"\n  }\n}\n"),
    );
    other.init();
    other.apply(&["-var", "release=hash_1"]);
    assert_eq!(stored_identity(&other), (expected(), json!(0)));
    assert!(other.resource_values(PROD_TAG)["registry_id"].is_null());
    assert_eq!(other.plan_exit_code(&["-var", "release=hash_1"]).0, 0);
    let calls = emulator.operations().len();

    let elsewhere = Workspace::new(
        &tf,
        "identity-region",
        &(prod_tag_config(&emulator, &["example"], "")
            + "\nimport {\n  to       = tagdeploy_prod_tag.prod\n  identity = {\n    repository = \"example\"\n    tag        = \"prod\"\n    region     = \"eu-west-1\"\n  }\n}\n"),
    );
    elsewhere.init();
    let run = elsewhere.run(&["plan", "-json", "-var", "release=hash_1"]);
    assert_eq!(run.code, Some(1), "{}", run.transcript());
    let errors = run.json_errors();
    assert!(
        errors.iter().any(
            |e| e.summary == "Import From Another Region" && e.detail.contains("\"eu-west-1\"")
        ),
        "{errors:?}"
    );
    assert_eq!(
        emulator.operations().len(),
        calls,
        "refused before any AWS call: {:?}",
        emulator.operations()
    );
}

#[test]
fn identity_of_a_release_imports_it_and_stays_in_step() {
    let tf = Terraform::v1_15();
    let set = [
        SetMember {
            repository: "api",
            cluster: "main",
            services: &["api"],
        },
        SetMember {
            repository: "worker",
            cluster: "batch",
            services: &["worker"],
        },
    ];
    let emulator = BackgroundEmulator::manual(release_set_world(&set, &[]));
    let _clock = emulator.tick_in_background(std::time::Duration::from_millis(10));
    let config = release_config(&emulator, &set, &[], "")
        + "\nimport {\n  to       = tagdeploy_release.prod\n  identity = {\n    tag    = \"prod\"\n    images = [\"api\", \"worker\"]\n  }\n}\n";
    let ws = Workspace::new(&tf, "identity-release", &config);
    ws.init();
    let (code, text) = ws.plan_exit_code(&["-var", "release=hash_1"]);
    assert!(
        code == 2
            && text.contains("Preparing import... [identity=")
            && text.contains("(will be imported first)")
            && text.contains("Plan: 1 to import, 0 to add, 1 to change, 0 to destroy."),
        "exit code {code}: {text}"
    );
    ws.apply(&["-var", "release=hash_1"]);
    assert_eq!(
        emulator.count("UpdateService"),
        0,
        "{:?}",
        emulator.operations()
    );
    let identity = |ws: &Workspace| {
        let show = ws.show();
        show["values"]["root_module"]["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["address"] == RELEASE)
            .map(|r| (r["identity"].clone(), r["identity_schema_version"].clone()))
            .unwrap_or_default()
    };
    let expected = (
        json!({ "tag": "prod", "images": ["api", "worker"], "region": "us-east-1" }),
        json!(0),
    );
    assert_eq!(identity(&ws), expected);
    assert_eq!(ws.plan_exit_code(&["-var", "release=hash_1"]).0, 0);

    // A release (plan, apply) keeps the identity.
    ws.apply(&["-var", "release=hash_2"]);
    assert_eq!(
        emulator.digest_in("worker", "prod"),
        emulator.digest_in("worker", "hash_2")
    );
    assert_eq!(identity(&ws), expected);
}
