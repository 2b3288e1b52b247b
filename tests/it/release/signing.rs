//! Signing: `scripts/release.sh` with `GPG_KEY_ID` (a key in the keyring) or `GPG_KEY_FILE` (a
//! secret key file, imported into a keyring of its own) writes `…_SHA256SUMS.sig`, a binary
//! detached signature (what Terraform reads from a registry's `shasums_signature_url`), and the
//! armored public key a registry publishes. A throwaway key is generated for the test, without a
//! passphrase, in a temporary GNUPGHOME; `gpg --verify` must accept the signature and refuse it
//! for an altered SHA256SUMS.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::scratch_dir;

use super::mirror::release_placeholders;

const NAME: &str = "terraform-provider-tagdeploy";

fn gpg(home: &Path, args: &[&str]) -> Output {
    Command::new("gpg")
        .env("GNUPGHOME", home)
        .args(["--batch", "--no-tty"])
        .args(args)
        .output()
        .expect("run gpg")
}

/// A temporary GNUPGHOME whose agent is stopped when dropped (tempfile removes the directory).
struct Keyring(tempfile::TempDir);

impl Keyring {
    fn new() -> Self {
        // Outside target/: gpg-agent's socket path must stay short.
        let dir = tempfile::Builder::new()
            .prefix("gnupg-")
            .tempdir()
            .expect("GNUPGHOME");
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .expect("chmod GNUPGHOME");
        Keyring(dir)
    }
    fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.path())
            .args(["--kill", "all"])
            .status();
    }
}

/// Generates an RSA signing key without passphrase; returns its fingerprint.
fn throwaway_key(home: &Path) -> String {
    let made = gpg(
        home,
        &[
            "--passphrase",
            "",
            "--quick-gen-key",
            "tagdeploy release test <release-test@tagdeploy.invalid>",
            "rsa2048",
            "sign",
            "1d",
        ],
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let listed = gpg(home, &["--with-colons", "--list-secret-keys"]);
    String::from_utf8_lossy(&listed.stdout)
        .lines()
        .find_map(|l| {
            l.strip_prefix("fpr:")
                .map(|r| r.trim_matches(':').to_owned())
        })
        .expect("a fingerprint")
}

/// The signature is binary, verifies, names the key, and fails for a changed SHA256SUMS.
fn check_signature(out: &Path, verifier: &Path, fingerprint: &str) {
    let version = env!("CARGO_PKG_VERSION");
    let sums = out.join(format!("{NAME}_{version}_SHA256SUMS"));
    let sig = out.join(format!("{NAME}_{version}_SHA256SUMS.sig"));
    let bytes = std::fs::read(&sig).expect("the .sig file");
    // An OpenPGP packet header (bit 7 set), not "-----BEGIN PGP SIGNATURE-----".
    assert!(
        bytes[0] & 0x80 != 0,
        "not a binary signature: {:?}",
        &bytes[..16.min(bytes.len())]
    );
    let verified = gpg(
        verifier,
        &[
            "--status-fd",
            "1",
            "--verify",
            &sig.to_string_lossy(),
            &sums.to_string_lossy(),
        ],
    );
    let status = String::from_utf8_lossy(&verified.stdout);
    assert!(
        verified.status.success() && status.contains(&format!("VALIDSIG {fingerprint}")),
        "{status}{}",
        String::from_utf8_lossy(&verified.stderr)
    );

    let altered = out.join("altered_SHA256SUMS");
    let mut text = std::fs::read_to_string(&sums).expect("SHA256SUMS");
    text = text.replacen("linux_amd64", "linux_arm64", 1);
    std::fs::write(&altered, text).expect("write altered");
    let refused = gpg(
        verifier,
        &[
            "--verify",
            &sig.to_string_lossy(),
            &altered.to_string_lossy(),
        ],
    );
    assert!(
        !refused.status.success(),
        "a signature over altered sums verified"
    );

    let public = std::fs::read_to_string(out.join("signing-key.asc")).expect("signing-key.asc");
    assert!(
        public.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"),
        "{public}"
    );
}

#[test]
fn sha256sums_is_signed_with_a_key_id_or_a_key_file_and_gpg_verifies_it() {
    if Command::new("gpg").arg("--version").output().is_err() {
        eprintln!("SKIPPED: gpg is not installed (Debian package gnupg)");
        return;
    }
    let keyring = Keyring::new();
    let fingerprint = throwaway_key(keyring.path());

    // GPG_KEY_ID: the key from the keyring in GNUPGHOME.
    let by_id = scratch_dir("release-signed-by-id");
    let home = keyring.path().to_string_lossy().into_owned();
    let out = release_placeholders(
        by_id.path(),
        &[("GNUPGHOME", &home), ("GPG_KEY_ID", &fingerprint)],
    );
    check_signature(&out, keyring.path(), &fingerprint);

    // GPG_KEY_FILE: an exported secret key, and a GNUPGHOME that does not hold it.
    let exported = gpg(
        keyring.path(),
        &["--armor", "--export-secret-keys", &fingerprint],
    );
    assert!(exported.status.success());
    let by_file = scratch_dir("release-signed-by-file");
    let key_file = by_file.path().join("release-key.asc");
    std::fs::write(&key_file, &exported.stdout).expect("write key file");
    let empty = Keyring::new();
    let empty_home = empty.path().to_string_lossy().into_owned();
    let out = release_placeholders(
        by_file.path(),
        &[
            ("GNUPGHOME", &empty_home),
            ("GPG_KEY_FILE", &key_file.to_string_lossy()),
        ],
    );
    check_signature(&out, keyring.path(), &fingerprint);
}
