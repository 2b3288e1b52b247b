//! List resources on the wire (protocol 6.10): ValidateListResourceConfig and the ListResource
//! event stream.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use tonic::codegen::BoxStream;
use tracing::Instrument;

use super::span::Typed;
use super::{ProviderService, take};
use crate::tfplugin::convert::{self, encode};
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{ListEvent, Provider, Runtime};
use crate::tfplugin::proto::tfplugin6 as pb;
use crate::tfplugin::schema::Schema;

/// A list event for the wire: the identity with the identity schema's type, the object with
/// the managed resource type's. A value that does not encode becomes an error event.
fn event<P: Provider>(
    runtime: &Runtime<P>,
    type_name: &str,
    event: ListEvent,
) -> pb::list_resource::Event {
    let (display_name, identity, resource) = match event {
        ListEvent::Diagnostics(diags) => {
            return pb::list_resource::Event {
                diagnostic: convert::diagnostics(diags),
                ..Default::default()
            };
        }
        ListEvent::Item {
            display_name,
            identity,
            resource,
        } => (display_name, identity, resource),
    };
    let mut diags = Diagnostics::new();
    let identity = take(runtime.identity_schema(type_name), &mut diags).and_then(|schema| {
        take(
            encode(&schema.implied_type(), &identity, "identity"),
            &mut diags,
        )
    });
    let resource_object = resource.and_then(|object| {
        let ty = take(
            runtime.resource_schema(type_name).map(Schema::implied_type),
            &mut diags,
        )?;
        take(encode(&ty, &object, "listed object"), &mut diags)
    });
    if diags.has_errors() {
        return pb::list_resource::Event {
            diagnostic: convert::diagnostics(diags),
            ..Default::default()
        };
    }
    pb::list_resource::Event {
        identity: identity.map(|data| pb::ResourceIdentityData {
            identity_data: Some(data),
        }),
        display_name,
        resource_object,
        diagnostic: Vec::new(),
    }
}

impl<P: Provider> ProviderService<P> {
    /// ValidateListResourceConfig.
    pub(super) fn validate_list_response(
        &self,
        req: &pb::validate_list_resource_config::Request,
    ) -> pb::validate_list_resource_config::Response {
        pb::validate_list_resource_config::Response {
            diagnostics: self
                .validate_config(Typed::ListResource(&req.type_name), req.config.as_ref()),
        }
    }

    /// ListResource: the listing runs in a task of its own and each result reaches
    /// Terraform as soon as it is found; when Terraform has read its limit it cancels the
    /// call, the stream is dropped, and the listing stops at its next result.
    pub(super) fn list_stream(
        &self,
        req: pb::list_resource::Request,
    ) -> BoxStream<pb::list_resource::Event> {
        let (events, received) = mpsc::channel(8);
        let mut diags = Diagnostics::new();
        let decoded = self.decode_one(
            Typed::ListResource(&req.type_name),
            req.config.as_ref(),
            "list configuration",
            &mut diags,
        );
        let runtime = Arc::clone(&self.runtime);
        let type_name = req.type_name.clone();
        let listing = {
            let runtime = Arc::clone(&runtime);
            let type_name = type_name.clone();
            async move {
                match decoded {
                    Some((_, config)) => {
                        runtime
                            .list(
                                &type_name,
                                config,
                                req.include_resource_object,
                                req.limit,
                                events,
                            )
                            .await;
                    }
                    None => {
                        let _ = events.send(ListEvent::Diagnostics(diags)).await;
                    }
                }
            }
        };
        tokio::spawn(listing.instrument(tracing::Span::current()));
        Box::pin(
            ReceiverStream::new(received)
                .map(move |e| Ok::<_, Status>(event(&runtime, &type_name, e))),
        )
    }
}
