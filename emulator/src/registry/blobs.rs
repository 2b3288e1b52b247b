//! Blobs: `HEAD`/`GET /v2/<name>/blobs/<digest>`, and uploads: `POST …/blobs/uploads/`
//! (start; monolithic with `?digest=`; cross-repository mount with `?mount=&from=`), `PATCH`
//! (a chunk, in order), `PUT ?digest=` (the last chunk, and the check against the digest),
//! `GET` (progress) and `DELETE` (cancel).

use serde_json::json;

use crate::ecr::{Ecr, UploadError};
use crate::manifest;
use crate::protocol::RequestContext;

use super::request::{RegistryRequest, RegistryResponse, error, error_with, name_unknown};

fn repo_index(ecr: &Ecr, ctx: &RequestContext, name: &str) -> Option<usize> {
    ecr.index_of(None, name, ctx).ok()
}

/// `HEAD`/`GET` a blob.
pub(super) fn get(
    ecr: &Ecr,
    ctx: &RequestContext,
    name: &str,
    digest: &str,
    head: bool,
) -> RegistryResponse {
    let operation = if head {
        "BatchCheckLayerAvailability"
    } else {
        "GetDownloadUrlForLayer"
    };
    let Some(index) = repo_index(ecr, ctx, name) else {
        return name_unknown(operation, name);
    };
    let Some(blob) = ecr.repositories[index].blobs.get(digest) else {
        return error_with(
            404,
            operation,
            "BLOB_UNKNOWN",
            "blob unknown to registry",
            json!({ "digest": digest }),
        );
    };
    let mut r = RegistryResponse::empty(200, operation)
        .with("Content-Type", "application/octet-stream")
        .with("Docker-Content-Digest", digest);
    r.body = blob.clone();
    r
}

fn upload_location(name: &str, id: &str) -> String {
    format!("/v2/{name}/blobs/uploads/{id}")
}

/// 202 for an upload in progress: where to send the next chunk and how much arrived.
fn in_progress(name: &str, id: &str, received: usize, operation: &'static str) -> RegistryResponse {
    // `Range` is inclusive; an empty upload reports 0-0, as the reference registry does.
    let end = received.saturating_sub(1);
    RegistryResponse::empty(202, operation)
        .with("Location", upload_location(name, id))
        .with("Range", format!("0-{end}"))
        .with("Docker-Upload-UUID", id)
        .with("Content-Length", "0")
}

fn created(name: &str, digest: &str, operation: &'static str) -> RegistryResponse {
    RegistryResponse::empty(201, operation)
        .with("Location", format!("/v2/{name}/blobs/{digest}"))
        .with("Docker-Content-Digest", digest)
        .with("Content-Length", "0")
}

fn upload_error(e: UploadError, operation: &'static str) -> RegistryResponse {
    match e {
        UploadError::UnknownUpload(id) => error_with(
            404,
            operation,
            "BLOB_UPLOAD_UNKNOWN",
            "blob upload unknown to registry",
            json!({ "uploadId": id }),
        ),
        UploadError::DigestMismatch { claimed, actual } => error_with(
            400,
            operation,
            "DIGEST_INVALID",
            "provided digest did not match uploaded content",
            json!({ "digest": claimed, "actual": actual }),
        ),
        UploadError::InvalidDigest(d) => error_with(
            400,
            operation,
            "DIGEST_INVALID",
            "provided digest is not a valid digest",
            json!({ "digest": d }),
        ),
    }
}

/// `POST /v2/<name>/blobs/uploads/`.
pub(super) fn start(
    ecr: &mut Ecr,
    ctx: &RequestContext,
    name: &str,
    req: &RegistryRequest,
) -> RegistryResponse {
    let operation = "InitiateLayerUpload";
    let Some(index) = repo_index(ecr, ctx, name) else {
        return name_unknown(operation, name);
    };
    let repo_name = ecr.repositories[index].name.clone();
    // Cross-repository mount: the blob is copied when the source repository holds it; otherwise
    // this is an ordinary upload start, as the spec says.
    if let Some(digest) = req.param("mount") {
        let source = req
            .param("from")
            .and_then(|from| repo_index(ecr, ctx, from))
            .and_then(|i| ecr.repositories[i].blobs.get(digest).cloned());
        if let Some(blob) = source {
            ecr.repositories[index]
                .blobs
                .insert(digest.to_string(), blob);
            return created(&repo_name, digest, operation);
        }
    }
    let id = ecr.start_upload(index);
    if let Some(digest) = req.param("digest") {
        // Monolithic upload: the whole blob in the POST body.
        if let Some(upload) = ecr.upload_mut(&repo_name, &id) {
            upload.data.extend_from_slice(&req.body);
        }
        return match ecr.finish_upload(&repo_name, &id, digest) {
            Ok(_) => created(&repo_name, digest, "CompleteLayerUpload"),
            Err(e) => {
                ecr.uploads.remove(&id);
                upload_error(e, "CompleteLayerUpload")
            }
        };
    }
    in_progress(&repo_name, &id, 0, operation)
}

/// The first byte of a `Content-Range: <start>-<end>` header.
fn range_start(value: &str) -> Option<usize> {
    let value = value
        .trim()
        .trim_start_matches("bytes ")
        .trim_start_matches("bytes=");
    value.split('-').next()?.trim().parse().ok()
}

/// `GET|PATCH|PUT|DELETE /v2/<name>/blobs/uploads/<id>`.
pub(super) fn upload(
    ecr: &mut Ecr,
    ctx: &RequestContext,
    name: &str,
    id: &str,
    method: &str,
    req: &RegistryRequest,
) -> RegistryResponse {
    let operation = if method == "PUT" {
        "CompleteLayerUpload"
    } else {
        "UploadLayerPart"
    };
    let Some(index) = repo_index(ecr, ctx, name) else {
        return name_unknown(operation, name);
    };
    let repo_name = ecr.repositories[index].name.clone();
    let Some(upload) = ecr.upload_mut(&repo_name, id) else {
        return upload_error(UploadError::UnknownUpload(id.to_string()), operation);
    };
    match method {
        "GET" => {
            let mut r = in_progress(&repo_name, id, upload.data.len(), operation);
            r.status = 204;
            r
        }
        "DELETE" => {
            ecr.uploads.remove(id);
            RegistryResponse::empty(204, operation)
        }
        "PATCH" => {
            if let Some(start) = req.header("content-range").and_then(range_start)
                && start != upload.data.len()
            {
                let received = upload.data.len();
                return error_with(
                    416,
                    operation,
                    "BLOB_UPLOAD_INVALID",
                    "chunk out of order",
                    json!({ "expectedStart": received, "start": start }),
                )
                .with("Range", format!("0-{}", received.saturating_sub(1)))
                .with("Location", upload_location(&repo_name, id));
            }
            upload.data.extend_from_slice(&req.body);
            let received = upload.data.len();
            in_progress(&repo_name, id, received, operation)
        }
        _ => {
            let Some(digest) = req.param("digest") else {
                return error(
                    400,
                    operation,
                    "DIGEST_INVALID",
                    "the digest query parameter is required to complete an upload",
                );
            };
            upload.data.extend_from_slice(&req.body);
            let matches = manifest::digest_of(&upload.data) == digest;
            if matches && ecr.repositories[index].blobs.contains_key(digest) {
                // Already there (pushed before): the upload is done all the same.
                ecr.uploads.remove(id);
                return created(&repo_name, digest, operation);
            }
            match ecr.finish_upload(&repo_name, id, digest) {
                Ok(_) => created(&repo_name, digest, operation),
                Err(e) => upload_error(e, operation),
            }
        }
    }
}
