//! Terraform 1.11 (protocol 6.8) with a provider that also serves actions, list resources and
//! identities (6.9, 6.10): the usual flows run as before and no command says a word about the
//! new features.

use std::time::Duration;

use crate::support::emulator::{BackgroundEmulator, demo_world_json};
use crate::support::observe::Observe;
use crate::support::prod_tag::{PROD_TAG, prod_tag_config, prod_tag_state};
use crate::support::terraform::{Run, Terraform, Workspace};

/// Fails when a command wrote to stderr or printed an error or a warning other than
/// `expected` (the provider's own, by summary).
fn quiet_but(run: Run, expected: &[&str]) -> Run {
    let warnings = run.stdout.matches("Warning:").count();
    let known = expected
        .iter()
        .filter(|w| run.stdout.contains(&format!("Warning: {w}")))
        .count();
    assert!(
        run.stderr.trim().is_empty() && !run.stdout.contains("Error:") && warnings == known,
        "{}",
        run.transcript()
    );
    run
}

fn quiet(run: Run) -> Run {
    quiet_but(run, &[])
}

#[test]
fn prod_tag_flows_on_terraform_1_11_say_nothing_of_actions_lists_or_identity() {
    let Some(tf) = Terraform::v1_11() else {
        assert!(
            std::env::var_os("TAGDEPLOY_REQUIRE_TERRAFORM_1_11").is_none(),
            "Terraform 1.11 is required but `terraform` is not 1.11.x"
        );
        eprintln!("SKIPPED: no Terraform 1.11.x on PATH");
        return;
    };
    let emulator = BackgroundEmulator::manual(demo_world_json());
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let ws = Workspace::new(
        &tf,
        "compat-1-11",
        &prod_tag_config(&emulator, &["example"], ""),
    );
    ws.init(); // (its lock-file warning is about the local mirror)
    quiet(ws.run(&["validate", "-no-color"]).success());
    quiet(ws.run(&["providers", "schema", "-json"]).success());
    quiet(
        ws.run(&[
            "import",
            "-no-color",
            "-var",
            "release=hash_1",
            PROD_TAG,
            "example:prod",
        ])
        .success(),
    );
    quiet(ws.apply(&["-var", "release=hash_2"]));
    assert_eq!(emulator.digest("prod"), emulator.digest("hash_2"));
    assert_eq!(
        prod_tag_state(&ws)["image_digest"],
        emulator.digest("hash_2")
    );
    let (code, text) = ws.plan_exit_code(&["-var", "release=hash_2"]);
    assert_eq!(code, 0, "{text}");
    quiet(
        ws.run(&[
            "apply",
            "-refresh-only",
            "-auto-approve",
            "-no-color",
            "-var",
            "release=hash_2",
        ])
        .success(),
    );
    let show = ws.show();
    let resource = &show["values"]["root_module"]["resources"][0];
    assert!(
        resource.get("identity").is_none(),
        "Terraform 1.11 stores no identity: {resource}"
    );
    quiet_but(
        ws.run(&[
            "destroy",
            "-auto-approve",
            "-no-color",
            "-var",
            "release=hash_2",
        ])
        .success(),
        &["Destroy Leaves the Tag in Place"],
    );
}
