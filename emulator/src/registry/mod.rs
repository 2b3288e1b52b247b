//! The registry side of ECR: the OCI distribution API (`/v2/…`) that docker, skopeo and oras
//! push and pull with, over the same repositories, images and tags as the ECR API. A manifest
//! pushed here is an image PutImage could have pushed (same rules, same digest), and its blobs
//! satisfy PutImage's layer check.
//!
//! Authentication is ECR's: HTTP Basic with user `AWS` and a password from
//! GetAuthorizationToken (see `crate::ecr`), checked on every call. Every call is logged under
//! service `registry` with the name of the ECR IAM action that authorises it on AWS
//! (`InitiateLayerUpload` for starting a blob upload, `PutImage` for a manifest push, …).
//!
//! - [`request`]: the HTTP request and response as this module sees them (no hyper types), the
//!   route table and the error bodies of the distribution spec.
//! - [`blobs`]: blob reads, uploads (monolithic, chunked) and cross-repository mounts.
//! - [`manifests`]: manifest reads and pushes by tag or digest, and the tag list.

mod blobs;
mod manifests;
pub mod request;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::ecr::Ecr;
use crate::protocol::RequestContext;

pub use request::{RegistryRequest, RegistryResponse};
use request::{Route, error};

/// Serves one registry call against `ecr` at emulated time `now_ms`.
pub fn serve(
    ecr: &mut Ecr,
    req: &RegistryRequest,
    ctx: &RequestContext,
    now_ms: i64,
) -> RegistryResponse {
    let route = request::route(&req.method, &req.path);
    if let Err(response) = authorize(ecr, req, ctx, now_ms, route.operation()) {
        return response;
    }
    match route {
        Route::Ping => RegistryResponse::json(200, "GetAuthorizationToken", "{}".into()),
        Route::Blob { name, digest, head } => blobs::get(ecr, ctx, &name, &digest, head),
        Route::StartUpload { name } => blobs::start(ecr, ctx, &name, req),
        Route::Upload { name, id, method } => blobs::upload(ecr, ctx, &name, &id, &method, req),
        Route::Manifest {
            name,
            reference,
            head,
        } => manifests::get(ecr, ctx, &name, &reference, head),
        Route::PutManifest { name, reference } => {
            manifests::put(ecr, ctx, &name, &reference, req, now_ms)
        }
        Route::Tags { name } => manifests::tags(ecr, ctx, &name, req),
        Route::Unsupported { operation } => error(
            405,
            operation,
            "UNSUPPORTED",
            "The operation is unsupported.",
        ),
        Route::NotFound => error(404, "Unknown", "NOT_FOUND", "no such registry route"),
    }
}

/// Checks the Basic credentials: user `AWS`, a password GetAuthorizationToken issued that has
/// not expired. Without credentials the answer is the 401 challenge clients log in from.
fn authorize(
    ecr: &Ecr,
    req: &RegistryRequest,
    ctx: &RequestContext,
    now_ms: i64,
    operation: &'static str,
) -> Result<(), RegistryResponse> {
    let credentials = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Basic ").map(str::trim))
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let Some(credentials) = credentials else {
        let realm = ctx.endpoint.clone().unwrap_or_else(|| {
            format!(
                "https://{}.dkr.ecr.{}.amazonaws.com",
                ctx.account, ctx.region
            )
        });
        let mut r = error(
            401,
            operation,
            "UNAUTHORIZED",
            "authentication required: log in with the password from GetAuthorizationToken",
        );
        r.headers.push((
            "WWW-Authenticate".into(),
            format!("Basic realm=\"{realm}/\",service=\"ecr.amazonaws.com\""),
        ));
        return Err(r);
    };
    let (user, password) = credentials.split_once(':').unwrap_or((&credentials, ""));
    if ecr.accepts(user, password, now_ms) {
        Ok(())
    } else {
        Err(error(
            403,
            operation,
            "DENIED",
            "Your authorization token is invalid or has expired. Reauthenticate and try again.",
        ))
    }
}
