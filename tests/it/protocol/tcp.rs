//! The TCP listener, with the built binary: the only listener go-plugin uses on Windows, and the
//! fallback on Linux and macOS when no unix socket can be made. Forced here by giving a
//! `PLUGIN_UNIX_SOCKET_DIR` that is a file, so the socket directory cannot be created.

use std::time::Duration;

use tokio::process::Command;

use super::client::ClientIdentity;
use crate::support::launch::{self, Address, PORTS};

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-tagdeploy");

#[tokio::test]
async fn tcp_listener_on_loopback_in_the_port_range_with_mtls() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, "a file, not a directory").unwrap();
    let identity = ClientIdentity::terraform_like();
    let mut cmd = Command::new(BINARY);
    cmd.env("PLUGIN_UNIX_SOCKET_DIR", &not_a_dir);
    let p = launch::launch(cmd, &identity, Duration::from_secs(30)).await;
    let Address::Tcp(address) = &p.address else {
        panic!("expected a TCP address: {}", p.line)
    };
    assert!(address.ip().is_loopback(), "{}", p.line);
    assert!(
        (PORTS.0..=PORTS.1).contains(&address.port()),
        "port outside PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT: {}",
        p.line
    );
    launch::schema_refusal_and_shutdown(p, &identity, Duration::from_secs(5)).await;
}
