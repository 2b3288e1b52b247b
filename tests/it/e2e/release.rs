//! `tagdeploy_release` through real Terraform against the emulator: the plan of a set (every
//! image's digest move, one line per service), the promotion of every image at once, one
//! failing image bringing every image back; images added and removed, drift of one image,
//! import, and `tagdeploy_release_status`. Interruptions and faults of a set are in
//! `reliability::release_set`, refused input in `reliability::bad_input`.

use std::time::Duration;

use serde_json::json;

use crate::support::aws::retag_in_by_hand;
use crate::support::emulator::{BackgroundEmulator, SetMember, release_set_world};
use crate::support::observe::Observe;
use crate::support::release::{release_config, release_state};
use crate::support::terraform::{Terraform, Workspace, terraform_test};
use crate::support::wait_until;

/// api in cluster main; worker and scheduler (image worker) in cluster batch; web in main.
const SET: [SetMember<'static>; 3] = [
    SetMember {
        repository: "api",
        cluster: "main",
        services: &["api"],
    },
    SetMember {
        repository: "worker",
        cluster: "batch",
        services: &["worker", "scheduler"],
    },
    SetMember {
        repository: "web",
        cluster: "main",
        services: &["web"],
    },
];

/// The services of [`SET`] with their image.
fn services() -> Vec<(&'static str, &'static str)> {
    SET.iter()
        .flat_map(|m| m.services.iter().map(move |s| (m.repository, *s)))
        .collect()
}

/// `-var` arguments as `&str`s.
fn args(vars: &[String]) -> Vec<&str> {
    vars.iter().map(String::as_str).collect()
}

/// Every service runs only `tag`'s image of its repository.
fn everything_runs(emulator: &BackgroundEmulator, tag: &str) -> bool {
    services().iter().all(|(repository, service)| {
        emulator.running_digests(service) == [emulator.digest_in(repository, tag)]
    })
}

terraform_test!(a_release_plans_every_image_then_promotes_all_or_nothing);
fn a_release_plans_every_image_then_promotes_all_or_nothing(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(release_set_world(&SET, &["worker"]));
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let digest = |repository: &str, tag: &str| emulator.digest_in(repository, tag);
    let ws = Workspace::new(
        tf,
        "release-set",
        &release_config(&emulator, &SET, &[("worker", "var.worker")], ""),
    );
    ws.write("worker.tf", "variable \"worker\" {\n  type = string\n}\n");
    ws.init();
    let vars = |release: &str, worker: &str| {
        vec![
            "-var".to_owned(),
            format!("release={release}"),
            "-var".to_owned(),
            format!("worker={worker}"),
        ]
    };

    // Every image already runs hash_1: creating the release moves and redeploys nothing.
    ws.apply(&args(&vars("hash_1", "hash_1")));
    assert_eq!(
        emulator.count("UpdateService"),
        0,
        "{:?}",
        emulator.operations()
    );
    let state = release_state(&ws);
    assert_eq!(state["id"], "prod:api,web,worker");
    assert_eq!(state["release_id"], "hash_1");

    // The plan: every image's digest move and one line per service, before anything moves.
    let before = emulator.mutations().len();
    let mut plan_args = vec!["plan", "-no-color"];
    let hash_2 = vars("hash_2", "hash_2");
    plan_args.extend(args(&hash_2));
    let plan = ws.run(&plan_args).success().stdout;
    assert_eq!(emulator.mutations().len(), before, "plan changes nothing");
    for m in &SET {
        let (from, to) = (
            digest(m.repository, "hash_1"),
            digest(m.repository, "hash_2"),
        );
        assert!(
            plan.lines()
                .any(|l| l.contains("image_digest")
                    && l.contains(&format!("\"{from}\" -> \"{to}\""))),
            "{} moves from hash_1 to hash_2:\n{plan}",
            m.repository
        );
    }
    // Terraform aligns the `=` of neighbouring lines: compare with spaces collapsed.
    let unknown: Vec<String> = plan
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| l.ends_with("(known after apply)"))
        .collect();
    for (_, service) in services() {
        let lines: Vec<&String> = unknown
            .iter()
            .filter(|l| l.starts_with(&format!("~ \"{service}\" = \"arn:aws:ecs:")))
            .collect();
        assert_eq!(lines.len(), 1, "one line for {service}:\n{plan}");
    }
    // Each image's tags are left to apply too (another resource of the same apply may tag
    // the same image): Terraform prints them as `] -> (known after apply)`.
    let tag_lists = unknown
        .iter()
        .filter(|l| l.as_str() == "] -> (known after apply)")
        .count();
    assert_eq!(tag_lists, SET.len(), "{plan}");
    assert_eq!(
        unknown.len(),
        services().len() + SET.len() + 1,
        "only the service deployment ARNs, image_tags and promoted_at are left to apply: {unknown:#?}"
    );
    assert!(!plan.contains("rollouts"), "rollouts do not churn:\n{plan}");

    // Apply: every tag moves, every service redeploys, and state records each image.
    ws.apply(&args(&hash_2));
    assert_eq!(emulator.count("UpdateService"), 4);
    let state = release_state(&ws);
    for m in &SET {
        let image = &state["images"][m.repository];
        assert_eq!(digest(m.repository, "prod"), digest(m.repository, "hash_2"));
        assert_eq!(image["image_digest"], digest(m.repository, "hash_2"));
        assert_eq!(image["previous_digest"], digest(m.repository, "hash_1"));
        for service in m.services {
            assert!(
                image["deployments"][service].as_str().is_some_and(
                    |d| d.contains(&format!(":service-deployment/{}/{service}/", m.cluster))
                ),
                "{image:#}"
            );
            let rollout = &image["rollouts"][service];
            assert_eq!(
                (
                    &rollout["status"],
                    &rollout["rollout_state"],
                    &rollout["rfc_status"]
                ),
                (
                    &json!("SUCCESSFUL"),
                    &json!("COMPLETED"),
                    &json!("COMPLETE")
                ),
                "{image:#}"
            );
        }
    }
    assert_eq!(state["release_id"], "hash_2");
    assert!(state["promoted_at"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(everything_runs(&emulator, "hash_2"));
    assert_eq!(ws.plan_exit_code(&args(&hash_2)).0, 0, "nothing left to do");

    // worker's release never becomes healthy: every image goes back to hash_2.
    let bad = vars("hash_1", "hash_bad");
    let run = ws.try_apply(&args(&bad)).failure();
    let text = run.transcript();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Rollout Failed"), "{text}");
    assert!(flat.contains("Rolled back every image"), "{text}");
    for m in &SET {
        assert!(
            text.lines().any(|l| l
                .trim_start()
                .starts_with(&format!("{}: Tag \"prod\" moved", m.repository))),
            "the error tells what happened to {}:\n{text}",
            m.repository
        );
        assert_eq!(
            digest(m.repository, "prod"),
            digest(m.repository, "hash_2"),
            "{} is back",
            m.repository
        );
    }
    let state = release_state(&ws);
    for m in &SET {
        assert_eq!(
            state["images"][m.repository]["image_digest"],
            digest(m.repository, "hash_2"),
            "state is truthful for {}",
            m.repository
        );
    }
    assert!(
        wait_until(Duration::from_secs(60), || everything_runs(
            &emulator, "hash_2"
        )),
        "after the rollback every service runs hash_2 again: {:?}",
        services()
            .iter()
            .map(|(_, s)| (s, emulator.running_digests(s)))
            .collect::<Vec<_>>()
    );
    let (code, text) = ws.plan_exit_code(&args(&bad));
    assert_eq!(code, 2, "the next plan still proposes the release:\n{text}");
}

/// The services' deployment counts, by service.
fn deployment_counts(emulator: &BackgroundEmulator) -> Vec<(&'static str, usize)> {
    services()
        .iter()
        .map(|(_, s)| (*s, emulator.deployments(s).len()))
        .collect()
}

/// The services whose deployment count grew since `before`.
fn redeployed(
    emulator: &BackgroundEmulator,
    before: &[(&'static str, usize)],
) -> Vec<&'static str> {
    deployment_counts(emulator)
        .iter()
        .zip(before)
        .filter(|((_, now), (_, then))| now > then)
        .map(|((s, _), _)| *s)
        .collect()
}

terraform_test!(images_join_and_leave_drift_shows_and_a_release_imports);
fn images_join_and_leave_drift_shows_and_a_release_imports(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(release_set_world(&SET, &[]));
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let digest = |repository: &str, tag: &str| emulator.digest_in(repository, tag);
    let status = "\ndata \"tagdeploy_release_status\" \"prod\" {\n  images = tagdeploy_release.prod.images\n}\n\noutput \"status\" {\n  value = data.tagdeploy_release_status.prod\n}\n";
    let ws = Workspace::new(
        tf,
        "release-members",
        &release_config(&emulator, &SET[..2], &[], ""),
    );
    ws.init();
    let hash_1 = ["-var", "release=hash_1"];
    ws.apply(&hash_1);

    // web joins on hash_2: only web's tag moves and only its service redeploys.
    let before = deployment_counts(&emulator);
    let joined = release_config(&emulator, &SET, &[("web", "\"hash_2\"")], "");
    ws.write("main.tf", &joined);
    let (code, text) = ws.plan_exit_code(&hash_1);
    assert_eq!(code, 2, "{text}");
    assert!(
        !text.contains("\"api\" = \"arn:aws:ecs:"),
        "api is unchanged:\n{text}"
    );
    ws.apply(&hash_1);
    assert_eq!(redeployed(&emulator, &before), ["web"]);
    assert_eq!(digest("web", "prod"), digest("web", "hash_2"));
    assert_eq!(digest("api", "prod"), digest("api", "hash_1"));

    // Someone moves api's tag by hand: the plan shows api moving back, and only api redeploys.
    retag_in_by_hand(&emulator.url(), "api", &digest("api", "hash_2"), "prod");
    let (code, text) = ws.plan_exit_code(&hash_1);
    assert_eq!(code, 2, "{text}");
    let (drifted, declared) = (digest("api", "hash_2"), digest("api", "hash_1"));
    assert!(
        text.contains(&format!("\"{drifted}\" -> \"{declared}\"")),
        "the drift of api shows:\n{text}"
    );
    let before = deployment_counts(&emulator);
    ws.apply(&hash_1);
    assert_eq!(redeployed(&emulator, &before), ["api"]);
    assert_eq!(digest("api", "prod"), declared);

    // worker leaves: a warning, and its tag and services stay as they are.
    let left: Vec<SetMember> = vec![SET[0], SET[2]];
    ws.write(
        "main.tf",
        &(release_config(&emulator, &left, &[("web", "\"hash_2\"")], "") + status),
    );
    let before = deployment_counts(&emulator);
    let puts = emulator.count("PutImage");
    let run = ws.apply(&hash_1);
    let flat = run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Image Leaves the Release"), "{}", run.stdout);
    assert!(redeployed(&emulator, &before).is_empty());
    assert_eq!(emulator.count("PutImage"), puts, "no tag moved");
    let state = release_state(&ws);
    assert_eq!(state["id"], "prod:api,web");
    assert!(state["images"].get("worker").is_none(), "{state:#}");

    // The status of the set, fed with the release's own images.
    assert!(wait_until(Duration::from_secs(60), || {
        everything_runs_of(&emulator, &left)
    }));
    ws.apply(&["-refresh-only", "-var", "release=hash_1"]);
    let outputs = ws.outputs();
    let report = &outputs["status"]["value"];
    assert_eq!(report["status"], "COMPLETE", "{report:#}");
    assert_eq!(report["complete"], true);
    let web = &report["images"]["web"];
    assert_eq!(web["env_digest"], digest("web", "hash_2"));
    assert_eq!(
        web["service_reports"]["web"]["deployment_id"],
        state["images"]["web"]["deployments"]["web"],
        "the recorded deployment is the one reported on"
    );
    assert!(
        web["service_reports"]["web"]["tasks"]
            .as_array()
            .is_some_and(|t| !t.is_empty() && t.iter().all(|t| t["matches"] == true)),
        "{web:#}"
    );

    // The same release imported into a fresh workspace: nothing moves, nothing redeploys.
    let imported = Workspace::new(
        tf,
        "release-import",
        &release_config(&emulator, &left, &[("web", "\"hash_2\"")], ""),
    );
    imported.init();
    let bad = imported.run(&[
        "import",
        "-no-color",
        "-var",
        "release=hash_1",
        "tagdeploy_release.prod",
        "api,web",
    ]);
    assert_ne!(bad.code, Some(0));
    assert!(
        bad.stderr.contains("<tag>:<image>=<repository>"),
        "{}",
        bad.transcript()
    );
    imported
        .run(&[
            "import",
            "-no-color",
            "-var",
            "release=hash_1",
            "tagdeploy_release.prod",
            "prod:api,web",
        ])
        .success();
    let state = release_state(&imported);
    assert_eq!(
        state["images"]["api"]["image_digest"],
        digest("api", "hash_1")
    );
    assert_eq!(
        state["images"]["web"]["image_digest"],
        digest("web", "hash_2")
    );
    let before = deployment_counts(&emulator);
    let moved = emulator.served("PutImage");
    imported.apply(&hash_1);
    assert!(
        redeployed(&emulator, &before).is_empty(),
        "the services already run their releases"
    );
    assert_eq!(
        emulator.served("PutImage"),
        moved,
        "every tag was already in place"
    );
    assert_eq!(imported.plan_exit_code(&hash_1).0, 0);
}

/// Every service of `members` runs only its repository's `prod` image.
fn everything_runs_of(emulator: &BackgroundEmulator, members: &[SetMember<'_>]) -> bool {
    members.iter().all(|m| {
        let want = [emulator.digest_in(m.repository, "prod")];
        m.services
            .iter()
            .all(|s| emulator.running_digests(s) == want)
    })
}

terraform_test!(one_invalid_image_refuses_the_whole_release_on_its_attribute);
fn one_invalid_image_refuses_the_whole_release_on_its_attribute(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(release_set_world(&SET, &[]));
    // worker names a release its repository does not have; web a service its cluster does not
    // run; api is valid.
    let mut config = release_config(&emulator, &SET, &[("worker", "\"hash_nope\"")], "");
    config = config.replace(
        "services    = [\"web\"]",
        "services    = [\"web\", \"ghost\"]",
    );
    let ws = Workspace::new(tf, "release-refused", &config);
    ws.init();
    let before = (emulator.count("PutImage"), emulator.count("UpdateService"));
    let run = ws.try_apply(&["-json", "-var", "release=hash_2"]).failure();
    let errors = run.json_errors();
    // Each error names its image's attribute; Terraform 1.15 also points its snippet at that
    // attribute's line (1.11 at the resource).
    let at = |path: &str, line: &str| {
        errors.iter().find(|d| {
            d.detail.contains(path)
                && (d.code.trim() == line || d.code.starts_with("resource \"tagdeploy_release\""))
        })
    };
    let release = at(
        "`images[\"worker\"].release_tag`",
        "release_tag = \"hash_nope\"",
    );
    assert!(
        release.is_some_and(|d| d.summary == "Resolve Release Error" && d.detail.contains("hash_nope")),
        "worker's release_tag is at fault: {errors:#?}"
    );
    let services = at(
        "`images[\"web\"].services`",
        "services    = [\"web\", \"ghost\"]",
    );
    assert!(
        services.is_some_and(|d| d.detail.contains("ghost")),
        "web's services are at fault: {errors:#?}"
    );
    if tf.version.starts_with("1.15") {
        assert!(
            errors.iter().all(|d| !d.code.starts_with("resource ")),
            "Terraform 1.15 points at the attributes: {errors:#?}"
        );
    }
    assert_eq!(errors.len(), 2, "api is valid: {errors:#?}");
    assert_eq!(
        (emulator.count("PutImage"), emulator.count("UpdateService")),
        before,
        "nothing moved, nothing redeployed"
    );
    for m in &SET {
        assert_eq!(
            emulator.digest_in(m.repository, "prod"),
            emulator.digest_in(m.repository, "hash_1"),
            "{} stays on hash_1",
            m.repository
        );
    }
    assert!(release_state(&ws).is_null(), "no state was written");
}
