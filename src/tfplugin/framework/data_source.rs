//! [`DataSource`]: what a data source type implements, in its own [`Model`]; and
//! [`AnyDataSource`], its object-safe form on untyped values.

use std::future::Future;
use std::sync::Arc;

use super::{BoxFuture, Ctx};
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::model::Model;
use crate::tfplugin::schema::Schema;
use crate::tfplugin::value::Value;

/// A data source type. Implement this; the framework erases it into [`AnyDataSource`].
pub trait DataSource: Send + Sync + 'static {
    /// The provider's configured data.
    type Data: Send + Sync + 'static;

    /// The configuration and result of this type.
    type Model: Model;

    /// The full type name, e.g. `tagdeploy_image`.
    fn type_name(&self) -> &'static str;

    /// The schema: arguments are required/optional, results computed.
    fn schema(&self) -> Schema;

    /// Cross-attribute checks beyond the declared validators.
    fn validate(&self, config: &Self::Model) -> Diagnostics {
        let _ = config;
        Diagnostics::new()
    }

    /// Reads the data; returns every attribute, configured values unchanged and no unknowns.
    fn read(
        &self,
        ctx: &mut Ctx<'_, Self::Data>,
        config: Self::Model,
    ) -> impl Future<Output = Result<Self::Model, Diagnostics>> + Send;
}

/// The object-safe form of [`DataSource`]; register with [`data_source`].
pub trait AnyDataSource<D>: Send + Sync {
    /// See [`DataSource::type_name`].
    fn type_name(&self) -> &'static str;
    /// See [`DataSource::schema`].
    fn schema(&self) -> Schema;
    /// Reads `value` into the model and writes it back (the registry-wide model check).
    fn round_trip(&self, value: &Value) -> Result<Value, Diagnostics>;
    /// See [`DataSource::validate`].
    fn validate(&self, config: &Value) -> Diagnostics;
    /// See [`DataSource::read`].
    fn read<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, D>,
        config: &'a Value,
    ) -> BoxFuture<'a, Result<Value, Diagnostics>>;
}

impl<S: DataSource> AnyDataSource<S::Data> for S {
    fn type_name(&self) -> &'static str {
        DataSource::type_name(self)
    }
    fn schema(&self) -> Schema {
        DataSource::schema(self)
    }
    fn round_trip(&self, value: &Value) -> Result<Value, Diagnostics> {
        S::Model::decode(
            value,
            &format!("a value of {}", DataSource::type_name(self)),
        )
        .map(|m| m.to_value())
    }
    fn validate(&self, config: &Value) -> Diagnostics {
        let name = DataSource::type_name(self);
        match S::Model::decode(config, &format!("the configuration of {name}")) {
            Ok(config) => DataSource::validate(self, &config),
            Err(diags) => diags,
        }
    }
    fn read<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, S::Data>,
        config: &'a Value,
    ) -> BoxFuture<'a, Result<Value, Diagnostics>> {
        Box::pin(async move {
            let name = DataSource::type_name(self);
            let config = S::Model::decode(config, &format!("the configuration of {name}"))?;
            Ok(DataSource::read(self, ctx, config).await?.to_value())
        })
    }
}

/// Registers a data source: `vec![data_source(Image)]`.
pub fn data_source<S: DataSource>(s: S) -> Arc<dyn AnyDataSource<S::Data>> {
    Arc::new(s)
}
