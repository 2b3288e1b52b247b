//! The list resource operations of the [`Runtime`]: ValidateListResourceConfig, and
//! ListResource as a stream of checked [`ListEvent`]s.
//!
//! What Terraform 1.15 does with list resources, which its documentation does not say:
//! ValidateListResourceConfig carries only the `config` block (never `include_resource` or
//! `limit`, although the message has fields for them); ListResource always carries the limit
//! (100 unless the `list` block says otherwise) and Terraform cancels the stream once it has
//! read that many results; `-generate-config-out` forces `include_resource_object`; an event
//! without an identity is an error unless the event carries only warnings; an error diagnostic
//! in any event ends the listing; and a list resource is refused unless the managed resource
//! type of the same name has an identity schema.

use tokio::sync::mpsc;

use super::{Runtime, unknown_type};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::{ListEvent, ListSink, Provider, apply};
use crate::tfplugin::value::Value;

impl<P: Provider> Runtime<P> {
    /// ValidateListResourceConfig: the declared validators plus the list resource's checks.
    pub fn validate_list(&self, type_name: &str, config: &Value) -> Diagnostics {
        match self.lists.get(type_name) {
            None => unknown_type("list resource", type_name),
            Some(e) => {
                let mut diags = e.schema.validate(config);
                diags.extend(e.item.validate(config));
                diags
            }
        }
    }

    /// ListResource: runs the listing and sends each result to `events` once it is checked
    /// (identity wholly known and of the identity schema; the object, when asked for, a
    /// wholly known state of the managed type). Stops at `limit` results, at the first error,
    /// or when `events` is closed.
    pub async fn list(
        &self,
        type_name: &str,
        config: Value,
        include_resource: bool,
        limit: i64,
        events: mpsc::Sender<ListEvent>,
    ) {
        if let Err(diags) = self.check_list_request(type_name, &config) {
            let _ = events.send(ListEvent::Diagnostics(diags)).await;
            return;
        }
        let Some(e) = self.lists.get(type_name) else {
            return;
        };
        let data = match self.data() {
            Ok(d) => d,
            Err(diags) => {
                let _ = events.send(ListEvent::Diagnostics(diags)).await;
                return;
            }
        };
        let limit = usize::try_from(limit.max(0)).unwrap_or(usize::MAX);
        let (sink, mut found) = ListSink::channel(include_resource, limit);
        let ctx = self.ctx(data, Vec::new());
        let listing = async move {
            let (mut sink, mut ctx) = (sink, ctx);
            let result = e.item.list(&mut ctx, &config, &mut sink).await;
            // No more results will come: the forwarder below ends once it has sent the rest.
            drop(sink);
            (result, ctx)
        };
        let forward = async {
            while let Some(event) = found.recv().await {
                let event = self.checked(type_name, event);
                let stop = matches!(&event, ListEvent::Diagnostics(d) if d.has_errors());
                if events.send(event).await.is_err() || stop {
                    break;
                }
            }
            // Dropping the receiver makes the listing's next push return false.
            drop(found);
        };
        let ((result, ctx), ()) = tokio::join!(listing, forward);
        let (mut diags, _) = ctx.finish();
        if let Err(errors) = result {
            diags.extend(errors);
        }
        if !diags.is_empty() {
            let _ = events.send(ListEvent::Diagnostics(diags)).await;
        }
    }

    /// The list resource exists, its managed type has an identity, and the configuration is
    /// wholly known (Terraform refuses unknown values before it calls ListResource).
    fn check_list_request(&self, type_name: &str, config: &Value) -> Result<(), Diagnostics> {
        self.list_resource_schema(type_name)?;
        self.identity_schema(type_name)?;
        if config.is_wholly_known() {
            Ok(())
        } else {
            Err(Diagnostic::error(
                "List Configuration Not Known",
                "The list configuration holds values not known yet. This is a bug in Terraform or in the provider.",
            )
            .into())
        }
    }

    /// A result as Terraform may receive it, or why it may not.
    fn checked(&self, type_name: &str, event: ListEvent) -> ListEvent {
        let ListEvent::Item {
            display_name,
            identity,
            resource,
        } = event
        else {
            return event;
        };
        let mut problems = Vec::new();
        if let Ok(schema) = self.identity_schema(type_name)
            && let Err(problem) = schema.check_known(&identity)
        {
            problems.push(format!("identity: {problem}"));
        }
        if let (Some(object), Some(e)) = (&resource, self.resources.get(type_name)) {
            for (path, problem) in apply::check_known_object(&e.schema, object) {
                problems.push(format!("{path}: {problem}"));
            }
        }
        if problems.is_empty() {
            ListEvent::Item {
                display_name,
                identity,
                resource,
            }
        } else {
            ListEvent::Diagnostics(
                Diagnostic::error(
                    "Provider Produced Invalid List Result",
                    format!(
                        "The {type_name} result {display_name:?} is invalid: {}. This is a bug in the provider.",
                        problems.join("; ")
                    ),
                )
                .into(),
            )
        }
    }
}
