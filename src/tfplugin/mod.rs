//! The protocol layer: everything Terraform-protocol-shaped lives here, and only here.
//!
//! - [`handshake`]: go-plugin start-up (cookie, protocol version, listener, the stdout line).
//! - [`tls`]: AutoMTLS (our certificate, the pinned client certificate, ALPN h2).
//! - [`server`]: serving the gRPC services until Shutdown; plugin and `--debug` entry points.
//! - [`platform`]: what differs between Linux, macOS and Windows (interrupts, termination, the
//!   parent-process watch).
//! - `grpc`, `convert`, `proto` (private): the tonic services and prost conversions.
//! - [`framework`]: the traits providers, resources, data sources and functions implement, and
//!   the runtime that enforces Terraform's plan/apply rules.
//! - [`model`]: typed models (the `model!` macro): a Terraform type's attributes as a Rust
//!   struct, which is also its schema.
//! - [`schema`], [`diagnostics`], [`value`], [`log`]: the plain types everything else uses.

mod convert;
pub mod diagnostics;
pub mod framework;
mod grpc;
pub mod handshake;
pub mod log;
pub mod model;
pub mod platform;
pub(crate) mod proto;
pub mod schema;
pub mod server;
pub mod tls;
pub mod value;
