//! The registry-wide model check: a type whose model disagrees with its schema is reported
//! with GetProviderSchema, naming the type and the attribute.

use std::sync::Arc;

use super::Runtime;
use crate::model;
use crate::tfplugin::diagnostics::Diagnostics;
use std::collections::BTreeMap;

use crate::tfplugin::framework::{
    AnyDataSource, AnyResource, ApplyError, Change, Ctx, DataSource, Function, Provider, Resource,
    data_source, resource,
};
use crate::tfplugin::model::{Object, Tf, computed, optional, required};
use crate::tfplugin::schema::{Attribute, Presence, Schema};
use crate::tfplugin::value::Value;

model! {
    /// A resource model.
    #[derive(Debug, Clone, PartialEq, Default)]
    struct Widget {
        /// The name.
        name: Tf<String> => required(),
        /// A tag.
        tag: Tf<String> => optional(),
        /// When it was made; never unknown in this model (wrongly, for a computed value).
        made_at: Option<String> => computed(),
    }
}

/// Which schema the resource declares.
#[derive(Clone, Copy)]
enum Declared {
    /// The model's own.
    Model,
    /// Written by hand, with `tag` misspelt.
    Misspelt,
    /// The model's, with `tag` required instead of optional (unknown in configuration).
    Optional,
}

struct WidgetResource(Declared);

impl Resource for WidgetResource {
    type Data = ();
    type Model = Widget;
    fn type_name(&self) -> &'static str {
        "test_widget"
    }
    fn schema(&self) -> Schema {
        match self.0 {
            Declared::Model => Widget::schema(0),
            Declared::Misspelt => Schema::new(0)
                .attribute(Attribute::string("name", Presence::Required))
                .attribute(Attribute::string("tags", Presence::Optional))
                .attribute(Attribute::string("made_at", Presence::Computed)),
            Declared::Optional => Schema::new(0)
                .attribute(Attribute::string("name", Presence::Required))
                .attribute(Attribute::string("tag", Presence::Optional))
                .attribute(Attribute::string("made_at", Presence::OptionalComputed)),
        }
    }
    async fn create(
        &self,
        _: &mut Ctx<'_, ()>,
        change: Change<'_, Widget>,
    ) -> Result<Widget, ApplyError<Widget>> {
        Ok(change.planned.clone())
    }
    async fn read(
        &self,
        _: &mut Ctx<'_, ()>,
        state: Widget,
    ) -> Result<Option<Widget>, Diagnostics> {
        Ok(Some(state))
    }
    async fn update(
        &self,
        _: &mut Ctx<'_, ()>,
        change: Change<'_, Widget>,
    ) -> Result<Widget, ApplyError<Widget>> {
        Ok(change.planned.clone())
    }
    async fn delete(&self, _: &mut Ctx<'_, ()>, _: &Widget) -> Result<(), ApplyError<Widget>> {
        Ok(())
    }
}

struct Shop(Declared);

impl Provider for Shop {
    type Data = ();
    type Model = Value;
    fn type_name(&self) -> &'static str {
        "test"
    }
    fn schema(&self) -> Schema {
        Schema::new(0)
    }
    async fn configure(&self, _: &mut Ctx<'_, ()>, _: Value) -> Result<(), Diagnostics> {
        Ok(())
    }
    fn resources(&self) -> Vec<Arc<dyn AnyResource<()>>> {
        vec![resource(WidgetResource(self.0))]
    }
    fn data_sources(&self) -> Vec<Arc<dyn AnyDataSource<()>>> {
        vec![data_source(Sizes)]
    }
    fn functions(&self) -> Vec<Arc<dyn Function>> {
        Vec::new()
    }
}

fn problems(declared: Declared) -> Vec<String> {
    Runtime::new(Shop(declared))
        .schema_diagnostics()
        .iter()
        .map(|d| {
            format!(
                "{} at {}: {}",
                d.summary,
                d.attribute.clone().unwrap_or_default(),
                d.detail
            )
        })
        .collect()
}

#[test]
fn a_model_that_is_its_schema_passes() {
    assert_eq!(problems(Declared::Model), Vec::<String>::new());
}

#[test]
fn a_misspelt_attribute_is_reported_not_read_as_null() {
    let found = problems(Declared::Misspelt);
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|p| p.contains("test_widget") && p.contains(" at tag:")),
        "{found:#?}"
    );
}

#[test]
fn a_model_without_room_for_an_unknown_configuration_is_reported() {
    let found = problems(Declared::Optional);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].contains(" at made_at:") && found[0].contains("unknown"),
        "{found:#?}"
    );
}

model! {
    /// A data source's configuration and result: items keyed by name, each sized on read.
    #[derive(Debug, Clone, PartialEq, Default)]
    struct SizesModel {
        /// Renames the items on read when set (a data source that changes its configuration).
        rename: Tf<bool> => optional(),
        /// The items.
        items: Tf<BTreeMap<String, Item>> => required(),
    }
}

model! {
    /// One item.
    #[derive(Debug, Clone, PartialEq, Default)]
    struct Item {
        /// Configured.
        label: Tf<String> => required(),
        /// Computed on read.
        size: Option<i64> => computed(),
    }
}

/// Fills each item's computed `size`; with `rename`, also changes its configured `label`.
struct Sizes;

impl DataSource for Sizes {
    type Data = ();
    type Model = SizesModel;
    fn type_name(&self) -> &'static str {
        "test_sizes"
    }
    fn schema(&self) -> Schema {
        SizesModel::schema(0)
    }
    async fn read(
        &self,
        _: &mut Ctx<'_, ()>,
        mut config: SizesModel,
    ) -> Result<SizesModel, Diagnostics> {
        let rename = config.rename.known() == Some(&true);
        if let Tf::Known(items) = &mut config.items {
            for item in items.values_mut() {
                item.size = item.label.as_str().map(|l| l.len() as i64);
                if rename {
                    item.label = "renamed".into();
                }
            }
        }
        Ok(config)
    }
}

#[tokio::test]
async fn a_data_source_fills_computed_members_of_configured_objects_but_changes_nothing_configured()
{
    let runtime = Runtime::new(Shop(Declared::Model));
    assert!(
        runtime
            .configure("1.15.5", &Value::object::<&str>([]))
            .await
            .is_empty()
    );
    let config = |rename: bool| {
        Value::object([
            ("rename", Value::Bool(rename)),
            (
                "items",
                Value::object([(
                    "a",
                    Value::object([("label", Value::string("four")), ("size", Value::Null)]),
                )]),
            ),
        ])
    };
    let (value, diags) = runtime.read_data_source("test_sizes", &config(false)).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(
        value.attr("items").attr("a").attr("size"),
        &Value::Number(4.into())
    );
    let (value, diags) = runtime.read_data_source("test_sizes", &config(true)).await;
    assert!(value.is_null());
    let found: Vec<String> = diags
        .iter()
        .map(|d| d.attribute.clone().unwrap_or_default().to_string())
        .collect();
    assert_eq!(found, ["items[\"a\"].label"], "{diags}");
}
