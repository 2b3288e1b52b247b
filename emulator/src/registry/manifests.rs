//! Manifests: `HEAD`/`GET /v2/<name>/manifests/<tag|digest>` (the exact bytes stored, with
//! their media type and `Docker-Content-Digest`), `PUT` (PutImage's rules, plus the check that
//! every blob the manifest references was uploaded), and `GET /v2/<name>/tags/list`.

use serde_json::json;

use crate::ecr::Ecr;
use crate::manifest;
use crate::protocol::{AwsError, RequestContext};

use super::request::{RegistryRequest, RegistryResponse, error, error_with, name_unknown};

/// Whether a reference is a digest (else a tag).
fn is_digest(reference: &str) -> bool {
    reference.contains(':') && manifest::is_valid_digest(reference)
}

/// Tag syntax of the distribution spec: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
fn valid_tag(tag: &str) -> bool {
    let mut chars = tag.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && tag.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// `HEAD`/`GET` a manifest by tag or digest.
pub(super) fn get(
    ecr: &Ecr,
    ctx: &RequestContext,
    name: &str,
    reference: &str,
    head: bool,
) -> RegistryResponse {
    let operation = "BatchGetImage";
    let Ok(index) = ecr.index_of(None, name, ctx) else {
        return name_unknown(operation, name);
    };
    let repo = &ecr.repositories[index];
    let image = if is_digest(reference) {
        repo.by_digest(reference)
    } else {
        repo.by_tag(reference)
    };
    let Some(image) = image else {
        return error_with(
            404,
            operation,
            "MANIFEST_UNKNOWN",
            "manifest unknown",
            json!({ "reference": reference }),
        );
    };
    let mut r = RegistryResponse::empty(200, operation)
        .with("Content-Type", image.media_type.clone())
        .with("Docker-Content-Digest", image.digest.clone());
    r.body = bytes::Bytes::from(image.manifest.clone());
    if head {
        r = r.with("Content-Length", image.manifest.len().to_string());
    }
    r
}

/// What PutImage's refusal means on the registry API.
fn put_error(e: &AwsError, operation: &'static str) -> RegistryResponse {
    match e.code.as_str() {
        "ImageTagAlreadyExistsException" => error(400, operation, "TAG_INVALID", &e.message),
        "ImageDigestDoesNotMatchException" => error(400, operation, "DIGEST_INVALID", &e.message),
        "ReferencedImagesNotFoundException" => {
            error(400, operation, "MANIFEST_BLOB_UNKNOWN", &e.message)
        }
        _ => error(400, operation, "MANIFEST_INVALID", &e.message),
    }
}

/// `PUT /v2/<name>/manifests/<tag|digest>`.
pub(super) fn put(
    ecr: &mut Ecr,
    ctx: &RequestContext,
    name: &str,
    reference: &str,
    req: &RegistryRequest,
    now_ms: i64,
) -> RegistryResponse {
    let operation = "PutImage";
    let Ok(index) = ecr.index_of(None, name, ctx) else {
        return name_unknown(operation, name);
    };
    let (tag, claimed) = if is_digest(reference) {
        (None, Some(reference))
    } else if valid_tag(reference) {
        (Some(reference), None)
    } else {
        return error_with(
            400,
            operation,
            "TAG_INVALID",
            "manifest tag did not match URI",
            json!({ "tag": reference }),
        );
    };
    let Ok(text) = std::str::from_utf8(&req.body) else {
        return error(
            400,
            operation,
            "MANIFEST_INVALID",
            "manifest is not UTF-8 JSON",
        );
    };
    let missing = ecr.repositories[index].missing_blobs(text);
    if let Some(first) = missing.first() {
        return error_with(
            400,
            operation,
            "MANIFEST_BLOB_UNKNOWN",
            "blob unknown to registry",
            json!({ "digest": first, "missing": missing }),
        );
    }
    // The Content-Type header is the declared media type; a generic one says nothing.
    let declared = req
        .header("content-type")
        .map(|c| c.split(';').next().unwrap_or("").trim())
        .filter(|c| !c.is_empty() && *c != "application/json" && *c != "application/octet-stream");
    let digest = manifest::digest_of(text.as_bytes());
    let starts = ecr.repositories[index].starts(text);
    let result = ecr.put_image(index, text, declared, tag, claimed, now_ms, starts, ctx);
    match result {
        // Pushing what is already there is no error on the registry API.
        Ok(_) => {}
        Err(e) if e.code == "ImageAlreadyExistsException" => {}
        Err(e) => return put_error(&e, operation),
    }
    RegistryResponse::empty(201, operation)
        .with("Location", format!("/v2/{name}/manifests/{digest}"))
        .with("Docker-Content-Digest", digest)
        .with("Content-Length", "0")
}

/// `GET /v2/<name>/tags/list` (with `n` and `last` paging).
pub(super) fn tags(
    ecr: &Ecr,
    ctx: &RequestContext,
    name: &str,
    req: &RegistryRequest,
) -> RegistryResponse {
    let operation = "ListImages";
    let Ok(index) = ecr.index_of(None, name, ctx) else {
        return name_unknown(operation, name);
    };
    let repo = &ecr.repositories[index];
    let mut all: Vec<&str> = repo
        .images
        .iter()
        .flat_map(|i| i.tags.iter().map(String::as_str))
        .collect();
    all.sort_unstable();
    let after: Vec<&str> = match req.param("last") {
        Some(last) => all.into_iter().filter(|t| *t > last).collect(),
        None => all,
    };
    let limit = req
        .param("n")
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(1000);
    let page: Vec<&str> = after.iter().copied().take(limit).collect();
    let body = json!({ "name": repo.name, "tags": page }).to_string();
    let mut r = RegistryResponse::json(200, operation, body);
    if after.len() > page.len()
        && let Some(last) = page.last()
    {
        r = r.with(
            "Link",
            format!("</v2/{name}/tags/list?n={limit}&last={last}>; rel=\"next\""),
        );
    }
    r
}
