//! Emulated Amazon ECR: repositories, images keyed by digest, tags, tag mutability, and the
//! operations the project uses.
//!
//! - [`model`]: the data and its lookups; [`rules`]: what creating a repository or pushing an
//!   image refuses and changes (shared with world loading); [`wire`]: the JSON shapes.
//! - One module per family of operations (`images`, `repositories`, `repository_lifecycle`,
//!   `tags`, `layers`, `auth`), each with a table of
//!   the operations it serves; [`call`] only finds the operation in those tables. A new family is
//!   a new module and one line in `FAMILIES`.

mod auth;
mod images;
pub mod layers;
pub mod model;
mod repositories;
mod repository_lifecycle;
pub mod rules;
mod tags;
pub mod wire;

use serde_json::Value;

use crate::protocol::{AwsError, Request, find_operation, operation_names};

pub use auth::{REGISTRY_USER, TOKEN_LIFETIME_MS};
pub use layers::{FAILS_TO_START_LABEL, UploadError};
pub use model::{Ecr, Image, Mutability, Repository, wildcard_match};
pub use rules::validate_mutability;

/// The handler of one ECR operation: it decodes the body itself.
pub(crate) type Handler = fn(&mut Ecr, &Request<'_>) -> Result<Value, AwsError>;

/// Every family of ECR operations.
const FAMILIES: &[&[(&str, Handler)]] = &[
    images::OPERATIONS,
    repositories::OPERATIONS,
    repository_lifecycle::OPERATIONS,
    tags::OPERATIONS,
    layers::OPERATIONS,
    auth::OPERATIONS,
];

/// Serves one ECR operation. `None` when no family serves it.
pub fn call(
    ecr: &mut Ecr,
    operation: &str,
    request: &Request<'_>,
) -> Option<Result<Value, AwsError>> {
    find_operation(FAMILIES, operation).map(|handler| handler(ecr, request))
}

/// The names of the ECR operations this emulator serves.
pub fn operations() -> Vec<&'static str> {
    operation_names(FAMILIES)
}
