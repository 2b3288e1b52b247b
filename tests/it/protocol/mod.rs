//! Protocol tests: the provider process and gRPC service without Terraform.
//!
//! - `client`: the generated gRPC clients and connectors (unix socket or TCP, plaintext or mTLS).
//! - `process`: the built binary started as Terraform starts it (handshake, TLS, refusals,
//!   Shutdown, StopProvider, socket directory, missing cookie).
//! - `tcp`: the TCP listener (Windows' only one, the unix fallback elsewhere) with the built
//!   binary.
//! - `rules`: the framework's plan/apply rules over gRPC, in-process, with a tiny test resource.
//! - `nested`: the same for nested attributes (a map of objects with their own members).

pub mod client;
mod nested;
mod process;
mod rules;
mod tcp;
