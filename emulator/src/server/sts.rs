//! STS `GetCallerIdentity`, the one call of the AWS query protocol (form-encoded request, XML
//! answer) the emulator serves: hashicorp/aws asks it once at start-up for the account id (it
//! builds ARNs from it, e.g. when importing a cluster by name). The answer is fixed: the world's
//! account. Any other query-protocol action is an `InvalidAction` error; IAM is not emulated
//! (see README: "What is not modelled").

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};

use crate::protocol::AwsService;
use crate::registry::request::parse_query;

use super::shared::Shared;
use super::{Resp, read_body};

/// Whether a `POST /` is a query-protocol call (form-encoded, no `X-Amz-Target`).
pub(super) fn is_query_call(req: &Request<Incoming>) -> bool {
    req.headers().get("x-amz-target").is_none()
        && req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
}

fn xml(status: u16, body: String, request_id: &str) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        r.headers_mut().insert("x-amzn-RequestId", v);
    }
    r
}

/// Serves one query-protocol call.
pub(super) async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Resp {
    let body = read_body(req).await.unwrap_or_default();
    let params = parse_query(&String::from_utf8_lossy(&body));
    let action = params
        .iter()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let request_id = shared.request_id();
    if action != "GetCallerIdentity" {
        shared.record(
            AwsService::Sts,
            &action,
            Some(400),
            Some("InvalidAction".into()),
            None,
        );
        let body = format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>The emulator serves only STS GetCallerIdentity of the query protocol (got {})</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            escape(&action)
        );
        return xml(400, body, &request_id);
    }
    let account = shared.account();
    shared.record(AwsService::Sts, &action, Some(200), None, None);
    let body = format!(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::{account}:user/tagdeploy-emulator</Arn><UserId>AIDAEMULATOR{account}</UserId><Account>{account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
    );
    xml(200, body, &request_id)
}

/// Escapes text for an XML element.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
