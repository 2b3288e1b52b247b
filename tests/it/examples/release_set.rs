//! `examples/release-set`: three images in three repositories and two clusters, on four
//! deployment strategies (ROLLING, CANARY, BLUE_GREEN with a PAUSE gate the apply approves,
//! LINEAR), released as one set against its own emulator world. What the example claims is
//! checked here: every image moves and every service rolls out, the status reads COMPLETE once
//! every task runs its image, and a release whose worker image never starts brings every image
//! back, told image by image.

use std::time::Duration;

use serde_json::Value as Json;

use crate::support::emulator::BackgroundEmulator;
use crate::support::observe::Observe;
use crate::support::repo_root;
use crate::support::terraform::{Terraform, Workspace, terraform_test};
use crate::support::wait_until;

const DIR: &str = "examples/release-set";

/// (repository, services) of the example.
const IMAGES: [(&str, &[&str]); 3] = [
    ("api", &["api"]),
    ("web", &["web"]),
    ("worker", &["worker", "scheduler"]),
];

fn world() -> Json {
    let text =
        std::fs::read_to_string(repo_root().join(DIR).join("world.json")).expect("read world");
    serde_json::from_str(&text).expect("world.json is JSON")
}

fn apply(ws: &Workspace, url: &str, release: &str) -> crate::support::terraform::Run {
    ws.run(&[
        "apply",
        "-auto-approve",
        "-no-color",
        "-var",
        &format!("endpoint={url}"),
        "-var",
        &format!("release={release}"),
    ])
}

/// Every service runs only its repository's `release` image.
fn everything_runs(emulator: &BackgroundEmulator, release: &str) -> bool {
    IMAGES.iter().all(|(repository, services)| {
        let digest = emulator.digest_in(repository, release);
        services
            .iter()
            .all(|s| emulator.running_digests(s) == [digest.clone()])
    })
}

terraform_test!(a_release_set_moves_every_image_or_none);
fn a_release_set_moves_every_image_or_none(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(world());
    let url = emulator.url();
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let main_tf =
        std::fs::read_to_string(repo_root().join(DIR).join("main.tf")).expect("read main.tf");
    let ws = Workspace::new(tf, "release-set", &main_tf);
    ws.init();

    // hash_2: every tag moves, every service rolls out on its strategy, the worker's PAUSE
    // gate is approved by the apply.
    apply(&ws, &url, "hash_2").success();
    for (repository, _) in IMAGES {
        assert_eq!(
            emulator.digest_in(repository, "prod"),
            emulator.digest_in(repository, "hash_2"),
            "{repository}"
        );
    }
    assert_eq!(
        emulator.count("UpdateService"),
        4,
        "one deployment per service"
    );
    assert!(
        emulator.count("ContinueServiceDeployment") >= 1,
        "the worker's PAUSE gate was approved: {:?}",
        emulator.operations()
    );
    let outputs = ws.outputs();
    let record = &outputs["release"]["value"];
    for (repository, _) in IMAGES {
        assert_eq!(
            record["images"][repository]["digest"],
            emulator.digest_in(repository, "hash_2").as_str(),
            "{record:#}"
        );
        assert_eq!(
            record["images"][repository]["previous"],
            emulator.digest_in(repository, "hash_1").as_str(),
            "{record:#}"
        );
    }
    assert_eq!(record["release_id"], "hash_2", "{record:#}");
    assert!(everything_runs(&emulator, "hash_2"));
    // The status is read after the release; the old tasks may still be draining then, so it
    // reads COMPLETE at the latest once they are gone.
    assert!(
        wait_until(Duration::from_secs(60), || {
            ws.run(&[
                "apply",
                "-refresh-only",
                "-auto-approve",
                "-no-color",
                "-var",
                &format!("endpoint={url}"),
                "-var",
                "release=hash_2",
            ])
            .code
                == Some(0)
                && ws.outputs()["status"]["value"] == "COMPLETE"
        }),
        "{:#}",
        ws.outputs()
    );

    // hash_3: the worker's image never starts. Every image goes back to hash_2.
    let failed = apply(&ws, &url, "hash_3").failure();
    let text = failed.transcript();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Rollout Failed"), "{text}");
    assert!(flat.contains("Rolled back every image"), "{text}");
    for (repository, _) in IMAGES {
        assert!(
            text.lines().any(|l| l
                .trim_start()
                .starts_with(&format!("{repository}: Tag \"prod\" moved"))),
            "the error tells what happened to {repository}:\n{text}"
        );
        assert_eq!(
            emulator.digest_in(repository, "prod"),
            emulator.digest_in(repository, "hash_2"),
            "{repository} is back"
        );
    }
    assert!(
        wait_until(Duration::from_secs(60), || everything_runs(
            &emulator, "hash_2"
        )),
        "after the rollback every service runs hash_2 again"
    );
    let state = ws.resource_values("tagdeploy_release.prod");
    for (repository, _) in IMAGES {
        assert_eq!(
            state["images"][repository]["image_digest"],
            emulator.digest_in(repository, "hash_2").as_str(),
            "state is truthful for {repository}"
        );
    }
}
