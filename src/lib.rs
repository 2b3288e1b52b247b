//! terraform-provider-tagdeploy: declarative, safe container releases on AWS ECS.
//!
//! # Layout
//! - [`tfplugin`] — the protocol layer and the only place tonic/prost types appear: the
//!   go-plugin handshake and AutoMTLS, the gRPC services, the msgpack/JSON value codec, the
//!   schema builder with declared plan behaviour, diagnostics, logging, and the framework that
//!   enforces Terraform's plan/apply rules for every resource. Knows nothing about AWS.
//! - [`provider`] — the `tagdeploy` provider block, its validation, and the registry of
//!   resources, data sources and functions (one line each).
//! - [`provider_data`] — what the configured provider hands to every resource and data source
//!   (the AWS clients).
//! - [`functions`] — provider-defined functions, one file each (`parse_image_uri`).
//! - [`aws`] — the domain: AWS clients, retag, redeploy, wait, roll back, the digest report,
//!   and what a failed AWS call says. Plain Rust: no Terraform types, no unknown values.
//! - [`names`] — the naming rules (account id, region, repository, tag, digest, cluster and
//!   service references, role ARN), and their schema validators.
//! - [`errors`] — the one mapper from domain errors to diagnostics, used by every resource,
//!   data source and function.
//! - [`resources`], [`data_sources`] — one module per Terraform type: its model (declared
//!   with [`model!`], which is also its schema), plan and CRUD, translating between Terraform
//!   values and the domain.
//! - [`actions`], [`list_resources`] — the same for actions (`terraform apply -invoke`) and
//!   list resources (`terraform query`), Terraform 1.14+.
//! - `main.rs` — wiring only; stdout belongs to the handshake.

pub mod actions;
pub mod aws;
pub mod data_sources;
pub mod errors;
pub mod functions;
pub mod list_resources;
pub mod names;
pub mod provider;
pub mod provider_data;
pub mod resources;
pub mod tfplugin;
