//! One release for every platform: `scripts/release.sh` lists all five in SHA256SUMS and in the
//! mirror's VERSION.json (with the `h1:` and `zh:` hashes Terraform checks), and
//! `terraform providers lock` for all five platforms, from the mirror as a filesystem mirror and
//! served as a network mirror, records exactly the `h1:` hashes the release listed. Placeholder
//! binaries stand in for the real ones: locking hashes packages, it never runs them.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::support::repo_root;
use crate::support::scratch_dir;
use crate::support::terraform::{PROVIDER_SOURCE, Terraform, Workspace, required_providers};

use super::package::{h1_hash_named, serve_https, sha256_hex};

const NAME: &str = "terraform-provider-tagdeploy";
pub(super) const PLATFORMS: [&str; 5] = [
    "darwin_amd64",
    "darwin_arm64",
    "linux_amd64",
    "linux_arm64",
    "windows_amd64",
];

/// Runs release.sh with `--package` for every platform on placeholder binaries written to
/// `dir/bin`, into `dir/dist`, with `env` added; returns the dist path.
pub(super) fn release_placeholders(dir: &Path, env: &[(&str, &str)]) -> std::path::PathBuf {
    let bins = dir.join("bin");
    std::fs::create_dir_all(&bins).expect("create bin dir");
    let out = dir.join("dist");
    let mut cmd = Command::new(repo_root().join("scripts/release.sh"));
    cmd.args(["--fast", "--out"])
        .arg(&out)
        .current_dir(repo_root());
    for p in PLATFORMS {
        let bin = bins.join(p);
        std::fs::write(&bin, format!("placeholder for {p}\n")).expect("write placeholder");
        cmd.arg("--package").arg(format!("{p}={}", bin.display()));
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let run = cmd.output().expect("run scripts/release.sh");
    assert!(
        run.status.success(),
        "release.sh failed:\n{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    out
}

/// The hashes of the provider's entry in a lock file.
fn locked_hashes(lock: &str) -> Vec<String> {
    lock.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("\"h1:") || l.starts_with("\"zh:"))
        .map(|l| l.trim_end_matches(',').trim_matches('"').to_owned())
        .collect()
}

fn lock_all_platforms(ws: &Workspace, source: &str) -> Vec<String> {
    let mut args = vec!["providers", "lock", "-no-color", source];
    let platform_args: Vec<String> = PLATFORMS.iter().map(|p| format!("-platform={p}")).collect();
    args.extend(platform_args.iter().map(String::as_str));
    ws.run(&args).success();
    let lock = std::fs::read_to_string(ws.work_dir().join(".terraform.lock.hcl")).expect("lock");
    let mut hashes = locked_hashes(&lock);
    hashes.sort();
    hashes
}

#[test]
fn every_platform_is_listed_and_locks_from_filesystem_and_network_mirrors() {
    let version = env!("CARGO_PKG_VERSION");
    let scratch = scratch_dir("release-all-platforms");
    let out = release_placeholders(scratch.path(), &[]);

    let sums = std::fs::read_to_string(out.join(format!("{NAME}_{version}_SHA256SUMS")))
        .expect("SHA256SUMS");
    let listed: BTreeMap<&str, &str> = sums
        .lines()
        .filter_map(|l| l.split_once("  "))
        .map(|(hash, file)| (file, hash))
        .collect();
    assert_eq!(listed.len(), PLATFORMS.len() + 1, "{sums}");

    let type_dir = out.join("mirror").join(PROVIDER_SOURCE);
    let archives: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(type_dir.join(format!("{version}.json"))).expect("VERSION.json"),
    )
    .expect("VERSION.json is JSON");
    assert_eq!(
        archives["archives"].as_object().map(|a| a.len()),
        Some(PLATFORMS.len())
    );
    let mut expected_h1 = Vec::new();
    for p in PLATFORMS {
        let zip_name = format!("{NAME}_{version}_{p}.zip");
        let zip_sha = sha256_hex(&out.join(&zip_name));
        assert_eq!(
            listed.get(zip_name.as_str()),
            Some(&zip_sha.as_str()),
            "{sums}"
        );
        let entry = &archives["archives"][p];
        assert_eq!(entry["url"], zip_name.as_str());
        // h1: over the unpacked file under the name inside the zip (.exe on Windows).
        let exe = if p.starts_with("windows") { ".exe" } else { "" };
        let h1 = h1_hash_named(
            &scratch.path().join("bin").join(p),
            &format!("{NAME}_v{version}{exe}"),
        );
        assert_eq!(entry["hashes"][0], h1.as_str(), "{p}: {entry}");
        assert_eq!(
            entry["hashes"][1],
            format!("zh:{zip_sha}").as_str(),
            "{p}: {entry}"
        );
        expected_h1.push(h1);
    }
    expected_h1.sort();

    let tf = Terraform::v1_15();
    let fs_ws = Workspace::new(&tf, "lock-fs-mirror", &required_providers());
    let mirror = out.join("mirror");
    let from_fs = lock_all_platforms(&fs_ws, &format!("-fs-mirror={}", mirror.display()));
    assert_eq!(
        from_fs, expected_h1,
        "filesystem mirror: one h1: per platform"
    );

    let mut net_ws = Workspace::new(&tf, "lock-net-mirror", &required_providers());
    let (mut server, url, cert) = serve_https(&mirror, scratch.path());
    net_ws.set_env("SSL_CERT_FILE", &cert.to_string_lossy());
    let from_net = lock_all_platforms(&net_ws, &format!("-net-mirror={url}"));
    let _ = server.kill();
    let _ = server.wait();
    let h1_from_net: Vec<&String> = from_net.iter().filter(|h| h.starts_with("h1:")).collect();
    assert_eq!(
        h1_from_net,
        expected_h1.iter().collect::<Vec<_>>(),
        "network mirror: one h1: per platform, the ones VERSION.json lists: {from_net:?}"
    );
}
