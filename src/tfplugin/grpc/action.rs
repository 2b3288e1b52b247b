//! Actions on the wire (protocol 6.10): ValidateActionConfig, PlanAction and the InvokeAction
//! event stream. Every event is built here from an [`ActionEvent`], so each one sets its
//! `type` (Terraform 1.15 panics on an event that sets neither `progress` nor `completed`).

use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use tonic::codegen::BoxStream;
use tracing::Instrument;

use super::ProviderService;
use super::span::Typed;
use crate::tfplugin::convert;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{ActionEvent, Provider};
use crate::tfplugin::proto::tfplugin6 as pb;

/// An action event for the wire.
pub(super) fn event(event: ActionEvent) -> pb::invoke_action::Event {
    use pb::invoke_action::event::{Completed, Progress, Type};
    let r#type = match event {
        ActionEvent::Progress(message) => Type::Progress(Progress { message }),
        ActionEvent::Completed(diags) => Type::Completed(Completed {
            diagnostics: convert::diagnostics(diags),
        }),
    };
    pb::invoke_action::Event {
        r#type: Some(r#type),
    }
}

impl<P: Provider> ProviderService<P> {
    /// PlanAction: decode, then the runtime's checks.
    pub(super) async fn plan_action_response(
        &self,
        req: &pb::plan_action::Request,
    ) -> pb::plan_action::Response {
        let mut diags = Diagnostics::new();
        let subject = Typed::Action(&req.action_type);
        if let Some((_, config)) =
            self.decode_one(subject, req.config.as_ref(), "configuration", &mut diags)
        {
            diags.extend(self.runtime.plan_action(&req.action_type, &config).await);
        }
        pb::plan_action::Response {
            diagnostics: convert::diagnostics(diags),
            deferred: None,
        }
    }

    /// InvokeAction: the invocation runs in a task of its own, so its events reach
    /// Terraform as they happen; the stream ends after the completion.
    pub(super) fn invoke_action_stream(
        &self,
        req: pb::invoke_action::Request,
    ) -> BoxStream<pb::invoke_action::Event> {
        let (events, received) = mpsc::channel(16);
        let mut diags = Diagnostics::new();
        let decoded = self.decode_one(
            Typed::Action(&req.action_type),
            req.config.as_ref(),
            "configuration",
            &mut diags,
        );
        let runtime = std::sync::Arc::clone(&self.runtime);
        let span = tracing::Span::current();
        let invocation = async move {
            match decoded {
                Some((_, config)) => {
                    runtime
                        .invoke_action(&req.action_type, config, events)
                        .await;
                }
                None => {
                    let _ = events.send(ActionEvent::Completed(diags)).await;
                }
            }
        };
        // In the RPC's span, so the invocation's log lines say which request they belong to.
        tokio::spawn(invocation.instrument(span));
        Box::pin(ReceiverStream::new(received).map(|e| Ok::<_, Status>(event(e))))
    }
}
