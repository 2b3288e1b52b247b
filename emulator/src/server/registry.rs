//! The registry endpoint (`/v2/…`): turns hyper's request into a
//! [`crate::registry::RegistryRequest`], serves it against the account, logs it under service
//! `registry`, and writes the answer.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};

use crate::protocol::AwsService;
use crate::registry::request::{error, parse_query, percent_decode};
use crate::registry::{RegistryRequest, RegistryResponse};

use super::shared::Shared;
use super::{Resp, read_body};

/// Serves one registry call.
pub(super) async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Resp {
    let method = req.method().as_str().to_string();
    let path = percent_decode(req.uri().path());
    let query = req.uri().query().map(parse_query).unwrap_or_default();
    let headers = req
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let response = match read_body(req).await {
        Ok(body) => shared.registry(&RegistryRequest {
            method,
            path,
            query,
            headers,
            body,
        }),
        Err(e) => error(
            413,
            "UploadLayerPart",
            "SIZE_INVALID",
            &format!("cannot read the body: {e}"),
        ),
    };
    shared.record(
        AwsService::Registry,
        response.operation,
        Some(response.status),
        response.error.clone(),
        None,
    );
    to_hyper(response)
}

fn to_hyper(r: RegistryResponse) -> Resp {
    let mut out = Response::new(Full::new(Bytes::clone(&r.body)));
    *out.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = out.headers_mut();
    headers.insert(
        "Docker-Distribution-API-Version",
        HeaderValue::from_static("registry/2.0"),
    );
    for (name, value) in &r.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(n, v);
        }
    }
    out
}
