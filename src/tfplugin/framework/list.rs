//! [`ListResource`]: finding the existing remote objects of a managed resource type, for
//! `terraform query` (Terraform 1.14+) and its `-generate-config-out`; and
//! [`AnyListResource`], its object-safe form on untyped values.
//!
//! A list resource shares its managed resource type's name and answers with that type's
//! identity (so the managed type must be registered with
//! [`super::resource_with_identity`]) and, when Terraform asks for it, the object as the
//! managed type's state. Results stream: each one reaches Terraform as soon as it is sent,
//! and Terraform stops reading at the `limit` of the `list` block (100 by default), so a list
//! resource should look at [`Listed::remaining`] before making another AWS call.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::{BoxFuture, Ctx};
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::model::Model;
use crate::tfplugin::schema::Schema;
use crate::tfplugin::value::Value;

/// One `list` block's request, read into the list resource's configuration model.
#[derive(Debug, Clone)]
pub struct ListRequest<C> {
    /// The `config { … }` block (wholly known: Terraform refuses unknown values here).
    pub config: C,
    /// Whether Terraform wants each object's full state (`include_resource = true`, and
    /// always with `-generate-config-out`).
    pub include_resource: bool,
    /// The most results Terraform will read.
    pub limit: usize,
}

/// One object found.
#[derive(Debug, Clone)]
pub struct ListItem<I, M> {
    /// How a person recognises it, e.g. `example:prod`.
    pub display_name: String,
    /// Its identity (wholly known).
    pub identity: I,
    /// Its state as the managed resource type would hold it after import and refresh: send
    /// it when the request asks for it ([`Listed::wants_resource`]), `None` otherwise.
    pub resource: Option<M>,
}

/// What the framework streams to Terraform: an object found, or diagnostics.
#[derive(Debug, Clone)]
pub enum ListEvent {
    /// An object found (untyped).
    Item {
        /// See [`ListItem::display_name`].
        display_name: String,
        /// See [`ListItem::identity`].
        identity: Value,
        /// See [`ListItem::resource`].
        resource: Option<Value>,
    },
    /// Errors or warnings; an error ends the listing.
    Diagnostics(Diagnostics),
}

/// Where a listing sends what it finds (untyped; list resources see it as [`Listed`]).
#[derive(Debug)]
pub struct ListSink {
    events: mpsc::Sender<ListEvent>,
    include_resource: bool,
    limit: usize,
    sent: usize,
}

impl ListSink {
    /// A sink for a request with `include_resource` and `limit`, and the receiving end.
    pub fn channel(include_resource: bool, limit: usize) -> (ListSink, mpsc::Receiver<ListEvent>) {
        // A small buffer: the listing runs ahead of Terraform by at most a few results.
        let (events, receiver) = mpsc::channel(8);
        (
            ListSink {
                events,
                include_resource,
                limit,
                sent: 0,
            },
            receiver,
        )
    }

    /// Sends one event; false when Terraform stopped listening.
    pub(crate) async fn send(&self, event: ListEvent) -> bool {
        self.events.send(event).await.is_ok()
    }

    /// How many more results Terraform reads.
    pub fn remaining(&self) -> usize {
        self.limit.saturating_sub(self.sent)
    }
}

/// A [`ListSink`] for items of identity `I` and object `M`.
pub struct Listed<'s, I, M> {
    sink: &'s mut ListSink,
    _items: PhantomData<fn(I, M)>,
}

impl<I: Model, M: Model> Listed<'_, I, M> {
    /// Sends one result. Returns false when no more are wanted (the limit is reached, or
    /// Terraform stopped listening): stop looking then.
    pub async fn push(&mut self, item: ListItem<I, M>) -> bool {
        if self.sink.remaining() == 0 {
            return false;
        }
        let resource = if self.sink.include_resource {
            item.resource.map(|r| r.to_value())
        } else {
            None
        };
        let event = ListEvent::Item {
            display_name: item.display_name,
            identity: item.identity.to_value(),
            resource,
        };
        if !self.sink.send(event).await {
            return false;
        }
        self.sink.sent += 1;
        self.sink.remaining() > 0
    }

    /// How many more results are wanted.
    pub fn remaining(&self) -> usize {
        self.sink.remaining()
    }

    /// Whether each result should carry the object's state.
    pub fn wants_resource(&self) -> bool {
        self.sink.include_resource
    }

    /// Sends warnings now (errors: return them from [`ListResource::list`]).
    pub async fn warn(&mut self, warnings: Diagnostics) -> bool {
        self.sink.send(ListEvent::Diagnostics(warnings)).await
    }
}

/// A list resource type. Implement this; the framework erases it into [`AnyListResource`].
pub trait ListResource: Send + Sync + 'static {
    /// The provider's configured data.
    type Data: Send + Sync + 'static;

    /// The `config { … }` block of a `list` block.
    type Config: Model;

    /// The managed resource type's identity model.
    type Identity: Model;

    /// The managed resource type's model (the state sent with `include_resource`).
    type Object: Model;

    /// The type name: the managed resource type's.
    fn type_name(&self) -> &'static str;

    /// The `config` block's schema, usually the model's.
    fn schema(&self) -> Schema;

    /// Cross-attribute checks beyond the declared validators (ValidateListResourceConfig).
    fn validate(&self, config: &Self::Config) -> Diagnostics {
        let _ = config;
        Diagnostics::new()
    }

    /// Finds the objects and pushes each to `out` as soon as it is known, stopping when
    /// [`Listed::push`] returns false. An error ends the listing (results pushed before it
    /// stand).
    fn list(
        &self,
        ctx: &mut Ctx<'_, Self::Data>,
        request: ListRequest<Self::Config>,
        out: &mut Listed<'_, Self::Identity, Self::Object>,
    ) -> impl Future<Output = Result<(), Diagnostics>> + Send;
}

/// The object-safe form of [`ListResource`]; register with [`list_resource`].
pub trait AnyListResource<D>: Send + Sync {
    /// See [`ListResource::type_name`].
    fn type_name(&self) -> &'static str;
    /// See [`ListResource::schema`].
    fn schema(&self) -> Schema;
    /// Reads `value` into the configuration model and writes it back (the model check).
    fn round_trip(&self, value: &Value) -> Result<Value, Diagnostics>;
    /// See [`ListResource::validate`].
    fn validate(&self, config: &Value) -> Diagnostics;
    /// See [`ListResource::list`].
    fn list<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, D>,
        config: &'a Value,
        sink: &'a mut ListSink,
    ) -> BoxFuture<'a, Result<(), Diagnostics>>;
}

impl<L: ListResource> AnyListResource<L::Data> for L {
    fn type_name(&self) -> &'static str {
        ListResource::type_name(self)
    }
    fn schema(&self) -> Schema {
        ListResource::schema(self)
    }
    fn round_trip(&self, value: &Value) -> Result<Value, Diagnostics> {
        let name = ListResource::type_name(self);
        L::Config::decode(value, &format!("a list configuration of {name}")).map(|m| m.to_value())
    }
    fn validate(&self, config: &Value) -> Diagnostics {
        let name = ListResource::type_name(self);
        match L::Config::decode(config, &format!("the list configuration of {name}")) {
            Ok(config) => ListResource::validate(self, &config),
            Err(diags) => diags,
        }
    }
    fn list<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, L::Data>,
        config: &'a Value,
        sink: &'a mut ListSink,
    ) -> BoxFuture<'a, Result<(), Diagnostics>> {
        Box::pin(async move {
            let name = ListResource::type_name(self);
            let config = L::Config::decode(config, &format!("the list configuration of {name}"))?;
            let request = ListRequest {
                config,
                include_resource: sink.include_resource,
                limit: sink.limit,
            };
            let mut out = Listed {
                sink,
                _items: PhantomData,
            };
            ListResource::list(self, ctx, request, &mut out).await
        })
    }
}

/// Registers a list resource: `vec![list_resource(ProdTagList)]`.
pub fn list_resource<L: ListResource>(l: L) -> Arc<dyn AnyListResource<L::Data>> {
    Arc::new(l)
}
