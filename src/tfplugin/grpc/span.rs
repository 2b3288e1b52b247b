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

/// The things with a schema: the provider block, and resource, data source, action and list
/// resource types.
#[derive(Clone, Copy)]
pub(super) enum Typed<'a> {
    /// The provider block.
    Provider,
    /// A managed resource type.
    Resource(&'a str),
    /// A data source type.
    DataSource(&'a str),
    /// An action type.
    Action(&'a str),
    /// A list resource type (its `config` block).
    ListResource(&'a str),
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
    let (mut resource, mut data_source, mut function, mut action, mut list) =
        (None, None, None, None, None);
    match subject.into() {
        Subject::Typed(Typed::Provider) => {}
        Subject::Typed(Typed::Resource(name)) => resource = Some(name),
        Subject::Typed(Typed::DataSource(name)) => data_source = Some(name),
        Subject::Typed(Typed::Action(name)) => action = Some(name),
        Subject::Typed(Typed::ListResource(name)) => list = Some(name),
        Subject::Function(name) => function = Some(name),
    }
    let span = tracing::info_span!(
        "rpc",
        tf_rpc = rpc,
        tf_req_id = REQUESTS.fetch_add(1, Ordering::Relaxed),
        tf_resource_type = resource,
        tf_data_source_type = data_source,
        tf_function_name = function,
        tf_action_type = action,
        tf_list_resource_type = list,
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
