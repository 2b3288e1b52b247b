//! HTTP: the AWS JSON 1.1 endpoint on `POST /` ([`aws`]), the ECR registry API under `/v2/`
//! ([`registry`]), the admin API under `/_emulator/` ([`admin`]), and the clock task. Built on hyper directly because a dropped-connection fault
//! must close the socket without writing any response. What the tasks share (the account, the
//! request log, the fault plan, held calls) is in [`shared`].

mod admin;
mod aws;
mod clock;
mod registry;
mod shared;
mod sts;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::options::ClockMode;

pub use shared::RequestRecord;
pub(crate) use shared::Shared;

/// Largest request body accepted (ECR manifests are at most 4 MiB).
const MAX_BODY: usize = 16 << 20;

/// The error that makes hyper close a connection without answering (dropped-connection fault).
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by an injected fault")]
pub(crate) struct DropConnection;

/// Every answer the server writes.
pub(super) type Resp = Response<Full<Bytes>>;

/// A JSON answer with `status` and `content_type`.
pub(super) fn json_response(status: u16, body: &Value, content_type: &'static str) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// An admin API answer.
pub(super) fn admin_json(status: u16, body: &Value) -> Resp {
    json_response(status, body, "application/json")
}

/// The whole request body, at most `MAX_BODY` bytes.
pub(super) async fn read_body(req: Request<Incoming>) -> Result<Bytes, String> {
    Limited::new(req.into_body(), MAX_BODY)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| e.to_string())
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Resp, DropConnection> {
    let path = req.uri().path().to_string();
    if path == "/" {
        if req.method() != Method::POST {
            return Ok(admin_json(
                405,
                &json!({ "error": "AWS JSON 1.1 calls are POST /" }),
            ));
        }
        if sts::is_query_call(&req) {
            return Ok(sts::handle(shared, req).await);
        }
        return aws::handle(shared, req).await;
    }
    if path == "/v2" || path.starts_with("/v2/") {
        return Ok(registry::handle(shared, req).await);
    }
    if let Some(admin) = path.strip_prefix("/_emulator/") {
        let method = req.method().clone();
        let admin = admin.trim_end_matches('/').to_string();
        let body = match read_body(req).await {
            Ok(b) => b,
            Err(e) => return Ok(admin_json(400, &json!({ "error": e }))),
        };
        return Ok(admin::handle(&shared, &method, &admin, &body));
    }
    Ok(admin_json(
        404,
        &json!({ "error": format!("no route for {path}") }),
    ))
}

/// Serves until `shutdown` resolves. Connections still open then are closed.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut connections = JoinSet::new();
    if let Ok(addr) = listener.local_addr() {
        shared.set_endpoint(format!("http://{addr}"));
    }
    let ticker = match *shared.clock() {
        ClockMode::Real { step_ms } => {
            let shared = shared.clone();
            Some(tokio::spawn(async move {
                let mut interval = tokio::time::interval(Duration::from_millis(step_ms.max(1)));
                interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                interval.tick().await;
                loop {
                    interval.tick().await;
                    shared.advance(1);
                }
            }))
        }
        ClockMode::Manual => None,
    };
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        eprintln!("tagdeploy-emulator: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req| handle(shared.clone(), req));
                    // Errors here are client disconnects or dropped-connection faults.
                    // Half-closed connections are answered: a client may shut its write side
                    // once the request is sent (as the fuzz test does) and still read the
                    // answer; without this, hyper drops such a connection when it reads the
                    // end of the stream before the answer is ready.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .half_close(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    if let Some(t) = ticker {
        t.abort();
    }
    connections.abort_all();
    shared.release("*");
    Ok(())
}
