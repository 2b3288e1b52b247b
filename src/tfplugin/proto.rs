//! The generated protobuf/gRPC code (see `build.rs`), private to the protocol layer.
//!
//! Nothing outside `tfplugin` sees these types: `grpc.rs` converts them to and from the plain
//! Rust types of `diagnostics`, `schema` and `value`.

#![allow(
    dead_code,
    clippy::all,
    clippy::pedantic,
    missing_docs,
    unreachable_pub,
    reason = "generated code"
)]

/// `tfplugin6`: the Terraform provider protocol.
pub(crate) mod tfplugin6 {
    include!(concat!(env!("OUT_DIR"), "/tfplugin6.rs"));
}

/// `plugin`: go-plugin's controller, stdio and broker services.
pub(crate) mod plugin {
    include!(concat!(env!("OUT_DIR"), "/plugin.rs"));
}
