//! The examples under `examples/`: every one is `terraform fmt`-clean and validates against the
//! built provider, and the ones that can run against the emulator are applied, with assertions
//! on what they did (`registry`: the examples the docs show; `multi_environment`: stage, then
//! prod; `release_set`: three images released all or nothing).

mod approval;
mod multi_environment;
mod registry;
mod release_set;

use std::path::{Path, PathBuf};

use crate::support::emulator::BackgroundEmulator;
use crate::support::repo_root;
use crate::support::terraform::{Terraform, Workspace, required_providers, terraform_test};

/// Every directory under `examples/` that holds `.tf` files, relative to the repository.
fn example_dirs() -> Vec<PathBuf> {
    let root = repo_root();
    let mut out = Vec::new();
    let mut stack = vec![root.join("examples")];
    while let Some(dir) = stack.pop() {
        let mut has_tf = false;
        for entry in std::fs::read_dir(&dir)
            .expect("read examples dir")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "tf") {
                has_tf = true;
            }
        }
        if has_tf {
            out.push(dir.strip_prefix(&root).expect("under root").to_path_buf());
        }
    }
    out.sort();
    out
}

/// The `.tf` files of an example directory, as (file name, content).
fn tf_files(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(repo_root().join(dir))
        .expect("read example dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tf"))
        .map(|p| {
            let name = p
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&p).expect("read example file");
            (name, text)
        })
        .collect();
    files.sort();
    files
}

/// Removes every `.tf` file from a workspace's working directory.
fn clear_tf_files(ws: &Workspace) {
    for entry in std::fs::read_dir(ws.work_dir())
        .expect("read work dir")
        .flatten()
    {
        if entry.path().extension().is_some_and(|e| e == "tf") {
            std::fs::remove_file(entry.path()).expect("remove .tf file");
        }
    }
}

/// Writes an example's files into `ws`, adding what a registry example leaves to its reader:
/// the `required_providers` block, and a provider block for `emulator` when given.
fn load_example(ws: &Workspace, dir: &str, files: &[&str], emulator: Option<&BackgroundEmulator>) {
    clear_tf_files(ws);
    let all = tf_files(Path::new(dir));
    let mut self_contained = false;
    for (name, text) in &all {
        if files.is_empty() || files.contains(&name.as_str()) {
            self_contained |= text.contains("required_providers");
            ws.write(name, text);
        }
    }
    if !self_contained {
        ws.write("terraform.tf", &required_providers());
    }
    if let Some(emulator) = emulator {
        ws.write("provider.tf", &emulator.provider_block());
    }
}

/// A workspace, initialised, holding the example `dir` (only `files` of it when not empty).
fn example_workspace(
    tf: &Terraform,
    label: &str,
    dir: &str,
    files: &[&str],
    emulator: Option<&BackgroundEmulator>,
) -> Workspace {
    let ws = Workspace::new(tf, label, &required_providers());
    load_example(&ws, dir, files, emulator);
    ws.init();
    ws
}

terraform_test!(examples_are_formatted);
fn examples_are_formatted(tf: &Terraform) {
    let ws = Workspace::new(tf, "examples-fmt", &required_providers());
    ws.assert_formatted(
        &repo_root().join("examples"),
        "run `terraform fmt -recursive examples`",
    );
}

terraform_test!(every_example_validates_against_the_provider_schema);
fn every_example_validates_against_the_provider_schema(tf: &Terraform) {
    let dirs = example_dirs();
    for expected in [
        "examples/provider",
        "examples/resources/tagdeploy_prod_tag",
        "examples/data-sources/tagdeploy_task_digests",
        "examples/data-sources/tagdeploy_image",
        "examples/functions/parse_image_uri",
        "examples/multi-environment",
        "examples/actions/tagdeploy_redeploy",
        "examples/release-set",
        "examples/resources/tagdeploy_release",
        "examples/data-sources/tagdeploy_release_status",
    ] {
        assert!(
            dirs.iter().any(|d| d == Path::new(expected)),
            "{expected} is missing: {dirs:?}"
        );
    }
    // One initialised workspace for all of them: every example needs only this provider.
    let ws = Workspace::new(tf, "examples-validate", &required_providers());
    ws.init();
    for dir in &dirs {
        // Actions are Terraform 1.14 syntax: older versions do not parse `action` blocks.
        if tf.version.starts_with("1.11.") && dir.starts_with("examples/actions") {
            continue;
        }
        load_example(&ws, &dir.to_string_lossy(), &[], None);
        let run = ws.run(&["validate", "-json", "-no-color"]);
        let report: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|_| panic!("validate -json output:\n{}", run.transcript()));
        assert_eq!(
            report["valid"],
            true,
            "{} does not validate:\n{}",
            dir.display(),
            serde_json::to_string_pretty(&report["diagnostics"]).unwrap_or_default()
        );
        assert_eq!(
            report["warning_count"],
            0,
            "{} validates with warnings:\n{}",
            dir.display(),
            serde_json::to_string_pretty(&report["diagnostics"]).unwrap_or_default()
        );
    }
}
