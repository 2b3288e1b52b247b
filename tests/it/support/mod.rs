//! Helpers shared by the integration tests.
//!
//! - [`terraform`]: finds the Terraform binaries under test (1.15 always, 1.11 when installed) and
//!   runs them in a scratch workspace with its own CLI config and a filesystem mirror holding the
//!   freshly built provider.

#![allow(dead_code)] // each test module uses a different subset of the helpers

pub mod emulator;
pub mod terraform;

use std::path::PathBuf;

/// The repository root (where Cargo.toml of the provider lives).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh scratch directory under `target/` (so hard links to the built binary work), removed
/// when dropped unless `TAGDEPLOY_KEEP_TEST_DIRS` is set (then its path is printed).
pub fn scratch_dir(label: &str) -> tempfile::TempDir {
    let base = repo_root().join("target").join("test-scratch");
    std::fs::create_dir_all(&base).expect("create target/test-scratch");
    let keep = std::env::var_os("TAGDEPLOY_KEEP_TEST_DIRS").is_some();
    let dir = tempfile::Builder::new()
        .prefix(&format!("{label}-"))
        .disable_cleanup(keep)
        .tempdir_in(base)
        .expect("create scratch dir");
    if keep {
        eprintln!("keeping {}", dir.path().display());
    }
    dir
}
