//! Generates the gRPC code for the protocol definitions in `proto/`, with the pure-Rust `protox`
//! compiler (no system `protoc`). The generated modules are included privately by
//! `src/tfplugin/proto.rs`.

use std::io;

const PROTOS: [&str; 4] = [
    "proto/tfplugin6.proto",
    "proto/grpc_controller.proto",
    "proto/grpc_stdio.proto",
    "proto/grpc_broker.proto",
];

fn main() -> io::Result<()> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    // protox resolves `google/protobuf/*.proto` imports from its built-in well-known types.
    let fds = protox::compile(PROTOS, ["proto"]).map_err(io::Error::other)?;
    tonic_prost_build::configure()
        // Servers for the provider; clients only so the protocol tests can talk to it.
        .build_server(true)
        .build_client(true)
        // Unimplemented answers for every RPC we do not override (actions, state stores, ...).
        .generate_default_stubs(true)
        .emit_rerun_if_changed(false)
        .compile_fds(fds)
}
