//! The span each RPC handler runs in: `tf_rpc`, `tf_req_id`, and the resource, data source or
//! function it is about, so every log line of the call (the AWS SDK's included) says which
//! request it belongs to.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use tracing::Instrument;

use super::Rpc;

/// What an RPC is about, for its span.
#[derive(Clone, Copy)]
pub(super) enum Subject<'a> {
    /// Something with a schema.
    Typed(Typed<'a>),
    /// A provider function.
    Function(&'a str),
}

/// The things with a schema: the provider block, and resource and data source types.
#[derive(Clone, Copy)]
pub(super) enum Typed<'a> {
    /// The provider block.
    Provider,
    /// A managed resource type.
    Resource(&'a str),
    /// A data source type.
    DataSource(&'a str),
}

impl<'a> From<Typed<'a>> for Subject<'a> {
    fn from(typed: Typed<'a>) -> Self {
        Subject::Typed(typed)
    }
}

/// Numbers the requests of this process, so the lines of one request can be told apart.
static REQUESTS: AtomicU64 = AtomicU64::new(1);

/// Runs an RPC handler in its span, with TRACE lines when it starts and ends.
pub(super) async fn traced<'a, T>(
    rpc: &'static str,
    subject: impl Into<Subject<'a>>,
    handler: impl Future<Output = Rpc<T>>,
) -> Rpc<T> {
    let (resource, data_source, function) = match subject.into() {
        Subject::Typed(Typed::Provider) => (None, None, None),
        Subject::Typed(Typed::Resource(name)) => (Some(name), None, None),
        Subject::Typed(Typed::DataSource(name)) => (None, Some(name), None),
        Subject::Function(name) => (None, None, Some(name)),
    };
    let span = tracing::info_span!(
        "rpc",
        tf_rpc = rpc,
        tf_req_id = REQUESTS.fetch_add(1, Ordering::Relaxed),
        tf_resource_type = resource,
        tf_data_source_type = data_source,
        tf_function_name = function,
    );
    async {
        tracing::trace!("received request");
        let response = handler.await;
        tracing::trace!("served request");
        response
    }
    .instrument(span)
    .await
}
