//! Helpers shared by the integration tests; every helper lives here once. What to reach for:
//!
//! - [`terraform`]: the Terraform binaries under test (1.15 always, 1.11 when installed), the
//!   `terraform_test!` macro that runs a test with each, and [`terraform::Workspace`]: a
//!   scratch directory whose filesystem mirror holds the freshly built provider (init, apply,
//!   plan exit codes, outputs, state, diagnostics of `-json` runs).
//! - [`emulator`]: worlds ([`emulator::demo_world_json`] and what tests add to it) and
//!   emulators, in-process for async domain tests or on a thread of their own for Terraform.
//! - [`observe`]: what an emulator served (operations, counts, mutations) and holds (tag
//!   digests, deployments, running digests), read without an AWS call.
//! - [`aws`]: AWS calls from outside Terraform: the domain's clients, the provider's own
//!   clients, a tag moved or an image deleted by hand.
//! - [`prod_tag`]: the `tagdeploy_prod_tag` configuration most end-to-end tests start from;
//!   [`release`]: the `tagdeploy_release` one (its worlds: [`emulator::release_set_world`]).
//! - [`strategies`]: worlds of services on every ECS deployment strategy (each with its own
//!   environment tag), and a manual clock that passes bake times in one call.
//! - [`faults`]: fault rules and holds for the emulator.
//! - [`process`]: the provider processes Terraform starts, found and signalled.
//! - [`launch`]: a provider binary started as go-plugin starts it, directly or under an
//!   emulator (qemu, Wine), and the handshake / mTLS schema / refusal / Shutdown checks.
//! - here: the repository root, scratch directories, [`wait_until`], [`block_on`].

#![allow(dead_code)] // each test module uses a different subset of the helpers

pub mod aws;
pub mod emulator;
pub mod faults;
pub mod launch;
pub mod observe;
pub mod process;
pub mod prod_tag;
pub mod release;
pub mod strategies;
pub mod terraform;

use std::path::PathBuf;
use std::time::{Duration, Instant};

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

/// Polls `condition` every 10 ms until it holds or `limit` passes; returns whether it held.
pub fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    condition()
}

/// Runs a future to completion on a fresh single-threaded runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}
