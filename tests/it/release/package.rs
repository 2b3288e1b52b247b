//! `scripts/release.sh` packages the provider in the Terraform Registry layout; the zip installs
//! through a *packed* filesystem mirror and the installed provider plans against the emulator,
//! and the same `mirror/` directory served over HTTPS works as a network mirror.
//! The test packages the debug build (`--binary`, stripped of debug info when `strip` is
//! available), so it never rebuilds in release mode.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use sha2::{Digest as _, Sha256};

use crate::support::emulator::{BackgroundEmulator, demo_world_json};
use crate::support::observe::Observe;
use crate::support::terraform::{
    PROVIDER_SOURCE, Run, Terraform, Workspace, platform, required_providers,
};
use crate::support::{repo_root, scratch_dir};

use super::use_mirrors;

const NAME: &str = "terraform-provider-tagdeploy";

pub(super) fn sha256_hex(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).expect("read file")))
}

/// Terraform's `h1:` hash of a provider package holding the single file `path`: the SHA-256 of
/// the "<sha256 hex>  <name>\n" summary line, base64-encoded.
pub(super) fn h1_hash(path: &Path) -> String {
    h1_hash_named(path, &path.file_name().expect("name").to_string_lossy())
}

/// The `h1:` hash of a package holding `path`'s content under the name `name`.
pub(super) fn h1_hash_named(path: &Path, name: &str) -> String {
    use base64::Engine as _;
    let summary = format!("{}  {name}\n", sha256_hex(path));
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(summary.as_bytes()))
    )
}

/// Name and Unix mode of every entry of a zip (Python's zipfile: no zip crate needed).
fn zip_entries(path: &Path) -> Vec<(String, u32)> {
    let script = "import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(oct(i.external_attr >> 16), i.filename)";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(mode, name)| {
            let mode = u32::from_str_radix(mode.trim_start_matches("0o"), 8).unwrap_or(0);
            (name.to_owned(), mode & 0o777)
        })
        .collect()
}

/// Plans a release against the emulator with the provider installed from `mirror`.
fn plan_with_packed_mirror(tf: &Terraform, mirror: &Path, packaged: &Path) {
    let emulator = BackgroundEmulator::manual(demo_world_json());
    let config = format!(
        "{}\n{}\nresource \"tagdeploy_prod_tag\" \"prod\" {{\n  repository  = \"example\"\n  release_tag = \"hash_2\"\n  cluster     = \"example\"\n  services    = [\"example\"]\n}}\n",
        required_providers(),
        emulator.provider_block()
    );
    let ws = Workspace::new(tf, "release-install", &config);
    use_mirrors(&ws, &[(mirror, "terraform.local/*/*")]);
    let init = ws.init();
    assert!(
        !init.transcript().contains(".json"),
        "the mirror's index.json files must not disturb the filesystem mirror:\n{}",
        init.transcript()
    );
    let version = env!("CARGO_PKG_VERSION");
    let installed = ws
        .work_dir()
        .join(".terraform/providers")
        .join(PROVIDER_SOURCE)
        .join(version)
        .join(platform())
        .join(format!("{NAME}_v{version}"));
    let meta = std::fs::symlink_metadata(&installed)
        .unwrap_or_else(|e| panic!("{} not installed: {e}", installed.display()));
    assert!(
        meta.file_type().is_file(),
        "unpacked from the zip, not linked from an unpacked mirror"
    );
    // Terraform records the h1 hash of what it unpacked: the same bytes as the binary packaged.
    let lock = std::fs::read_to_string(ws.work_dir().join(".terraform.lock.hcl")).expect("lock");
    assert!(
        sha256_hex(&installed) == sha256_hex(packaged)
            && lock.contains(&format!("\"{}\"", h1_hash(&installed))),
        "the lock file records the hash of the packaged binary:\n{lock}"
    );
    let plan = ws.run(&["plan", "-no-color"]).success();
    assert!(
        plan.stdout
            .contains("tagdeploy_prod_tag.prod will be created")
            && plan.stdout.contains("sha256:"),
        "{}",
        plan.stdout
    );
    assert!(emulator.mutations().is_empty());
}

/// Serves `dir` over HTTPS on 127.0.0.1 (Python's http.server with a fresh self-signed
/// certificate); returns the server process, its base URL and the certificate's PEM path.
pub(super) fn serve_https(
    dir: &Path,
    scratch: &Path,
) -> (std::process::Child, String, std::path::PathBuf) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("params");
    let cert = params.self_signed(&key).expect("certificate");
    let cert_path = scratch.join("mirror-cert.pem");
    let key_path = scratch.join("mirror-key.pem");
    std::fs::write(&cert_path, cert.pem()).expect("write cert");
    std::fs::write(&key_path, key.serialize_pem()).expect("write key");
    let script = "import functools, http.server, ssl, sys\n\
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])\n\
httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)\n\
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n\
ctx.load_cert_chain(sys.argv[2], sys.argv[3])\n\
httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)\n\
print(httpd.server_address[1], flush=True)\n\
httpd.serve_forever()\n";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .arg(dir)
        .arg(&cert_path)
        .arg(&key_path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the HTTPS server");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().expect("piped stdout")),
        &mut line,
    )
    .expect("read the port");
    let port: u16 = line.trim().parse().expect("the server prints its port");
    (child, format!("https://127.0.0.1:{port}/"), cert_path)
}

/// `terraform init` through `mirror` served as a network mirror (index.json, VERSION.json, then
/// the zip, checked against the `zh:` hash VERSION.json lists). Returns the init run.
fn init_from_network_mirror(tf: &Terraform, mirror: &Path, label: &str) -> (Workspace, Run) {
    let mut ws = Workspace::new(tf, label, &required_providers());
    let scratch = ws.work_dir().parent().expect("scratch dir").to_path_buf();
    let (mut server, url, cert) = serve_https(mirror, &scratch);
    let rc = format!(
        "provider_installation {{\n  network_mirror {{\n    url     = \"{url}\"\n    include = [\"terraform.local/*/*\"]\n  }}\n}}\n"
    );
    std::fs::write(scratch.join("terraform.rc"), rc).expect("write CLI config");
    // Go reads extra trust anchors from SSL_CERT_FILE on Linux.
    ws.set_env("SSL_CERT_FILE", &cert.to_string_lossy());
    let init = ws.run(&["init", "-no-color"]);
    let _ = server.kill();
    let _ = server.wait();
    (ws, init)
}

/// The mirror served over HTTPS installs the packaged binary; a copy whose VERSION.json lists
/// a wrong hash is refused, so the hash release.sh writes is the one Terraform checks.
fn network_mirror_installs_and_checks_the_hash(
    tf: &Terraform,
    mirror: &Path,
    zip_name: &str,
    packaged: &Path,
) {
    let (ws, init) = init_from_network_mirror(tf, mirror, "release-network-mirror");
    let init = init.success();
    assert!(
        init.stdout
            .contains("Installed terraform.local/tagdeploy/tagdeploy v"),
        "{}",
        init.stdout
    );
    let version = env!("CARGO_PKG_VERSION");
    let installed = ws
        .work_dir()
        .join(".terraform/providers")
        .join(PROVIDER_SOURCE)
        .join(version)
        .join(platform())
        .join(format!("{NAME}_v{version}"));
    let lock = std::fs::read_to_string(ws.work_dir().join(".terraform.lock.hcl")).expect("lock");
    assert!(
        sha256_hex(&installed) == sha256_hex(packaged)
            && lock.contains(&format!("\"{}\"", h1_hash(&installed))),
        "{lock}"
    );

    let tampered = scratch_dir("release-tampered-mirror");
    let type_dir = tampered.path().join(PROVIDER_SOURCE);
    std::fs::create_dir_all(&type_dir).expect("create tampered mirror");
    let original = mirror.join(PROVIDER_SOURCE);
    std::fs::hard_link(original.join(zip_name), type_dir.join(zip_name))
        .or_else(|_| std::fs::copy(original.join(zip_name), type_dir.join(zip_name)).map(|_| ()))
        .expect("link the zip");
    std::fs::copy(original.join("index.json"), type_dir.join("index.json")).expect("copy index");
    // Every hash wrong (Terraform accepts a package matching any one of them): a zh: and an
    // h1: that match nothing.
    let mut listing: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(original.join(format!("{version}.json"))).expect("VERSION.json"),
    )
    .expect("VERSION.json is JSON");
    for archive in listing["archives"]
        .as_object_mut()
        .expect("archives")
        .values_mut()
    {
        archive["hashes"] = serde_json::json!([
            format!("h1:{}", "A".repeat(43) + "="),
            format!("zh:{}", "0".repeat(64)),
        ]);
    }
    let listing = listing.to_string();
    std::fs::write(type_dir.join(format!("{version}.json")), listing).expect("write tampered");
    let (_ws, refused) = init_from_network_mirror(tf, tampered.path(), "release-tampered-install");
    let refused = refused.failure();
    assert!(
        refused.transcript().to_lowercase().contains("checksum")
            || refused.transcript().to_lowercase().contains("hash"),
        "a wrong hash must be refused for a checksum reason:\n{}",
        refused.transcript()
    );
}

#[test]
fn packaged_zip_installs_from_packed_and_network_mirrors_and_plans() {
    let version = env!("CARGO_PKG_VERSION");
    let dist = scratch_dir("release-dist");
    let out = dist.path();
    // The debug build, without its debug info when `strip` is here: the same program, a sixth of
    // the size, so zipping and unzipping it stays quick.
    let built = env!("CARGO_BIN_EXE_terraform-provider-tagdeploy");
    let stripped = out.join("provider-stripped");
    let stripped_ok = Command::new("strip")
        .args(["--strip-debug", "-o"])
        .arg(&stripped)
        .arg(built)
        .status()
        .is_ok_and(|s| s.success());
    let packaged = if stripped_ok {
        stripped.clone()
    } else {
        std::path::PathBuf::from(built)
    };
    let binary = packaged.to_str().expect("UTF-8 path");
    let run = Command::new(repo_root().join("scripts/release.sh"))
        .args(["--binary", binary, "--fast", "--out"])
        .arg(out)
        .current_dir(repo_root())
        .output()
        .expect("run scripts/release.sh");
    assert!(
        run.status.success(),
        "release.sh failed:\n{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );

    let zip_name = format!("{NAME}_{version}_{}.zip", platform());
    let zip = out.join(&zip_name);
    let manifest_name = format!("{NAME}_{version}_manifest.json");
    assert_eq!(
        std::fs::read_to_string(out.join(&manifest_name)).expect("manifest"),
        "{\"version\":1,\"metadata\":{\"protocol_versions\":[\"6.0\"]}}\n"
    );
    assert_eq!(
        zip_entries(&zip),
        [(format!("{NAME}_v{version}"), 0o755)],
        "the zip holds the executable under the name Terraform looks for"
    );

    // SHA256SUMS: "<hex>  <file>" for every zip and the manifest, and they are right.
    let sums = std::fs::read_to_string(out.join(format!("{NAME}_{version}_SHA256SUMS")))
        .expect("SHA256SUMS");
    let listed: BTreeMap<&str, &str> = sums
        .lines()
        .filter_map(|l| l.split_once("  "))
        .map(|(hash, file)| (file, hash))
        .collect();
    let zip_sha = sha256_hex(&zip);
    assert_eq!(
        listed.get(zip_name.as_str()),
        Some(&zip_sha.as_str()),
        "{sums}"
    );
    assert_eq!(
        listed.get(manifest_name.as_str()).copied(),
        Some(sha256_hex(&out.join(&manifest_name)).as_str()),
        "{sums}"
    );
    assert_eq!(listed.len(), 2, "{sums}");

    // The mirror directory: the zip, and the network mirror's index with the same hash.
    let mirror = out.join("mirror");
    let type_dir = mirror.join(PROVIDER_SOURCE);
    assert_eq!(sha256_hex(&type_dir.join(&zip_name)), zip_sha);
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(type_dir.join("index.json")).expect("index"))
            .expect("index.json is JSON");
    assert!(index["versions"][version].is_object(), "{index}");
    let archives: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(type_dir.join(format!("{version}.json"))).expect("version json"),
    )
    .expect("VERSION.json is JSON");
    assert_eq!(archives["archives"][platform()]["url"], zip_name.as_str());
    assert_eq!(
        archives["archives"][platform()]["hashes"],
        serde_json::json!([
            h1_hash_named(&packaged, &format!("{NAME}_v{version}")),
            format!("zh:{zip_sha}")
        ]),
        "the h1: hash of the unpacked binary, then the zip's zh: hash"
    );

    // Installed through the packed mirror by each Terraform under test, and planning.
    plan_with_packed_mirror(&Terraform::v1_15(), &mirror, &packaged);
    match Terraform::v1_11() {
        Some(tf) => plan_with_packed_mirror(&tf, &mirror, &packaged),
        None => eprintln!("SKIPPED for Terraform 1.11: no Terraform 1.11.x on PATH"),
    }
    // The same directory, served over HTTPS, is a network mirror.
    network_mirror_installs_and_checks_the_hash(&Terraform::v1_15(), &mirror, &zip_name, &packaged);
}
