//! The model layer: schemas from declarations, and exact round trips of every field type.

use std::collections::BTreeMap;

use super::{
    Model, ModelError, Object, Set, Tf, block, computed, optional, optional_computed, required,
};
use crate::model;
use crate::tfplugin::diagnostics::AttributePath;
use crate::tfplugin::schema::{Nesting, Presence, validators};
use crate::tfplugin::value::{Type, Value};

model! {
    /// One image of a set.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct Image {
        /// The repository.
        pub repository: Tf<String> => required().requires_replace(),
        /// The digest, resolved at plan.
        pub digest: Tf<String> => computed(),
    }
}

model! {
    /// A record only the provider writes.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct Record {
        /// The id.
        pub id: Option<String> => computed(),
    }
}

model! {
    /// Timeouts.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct Waits {
        /// How long create may take.
        pub create: Tf<String> => optional(),
    }
}

model! {
    /// A resource exercising every field type.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct Release {
        /// The name.
        ///
        /// Second paragraph.
        pub name: Tf<String> => required().validate(validators::non_empty()),
        /// The environment tag.
        pub tag: Tf<String> => optional_computed().default(Value::string("prod")),
        /// Services.
        pub services: Tf<Set<String>> => required(),
        /// Triggers.
        pub triggers: Tf<BTreeMap<String, String>> => optional(),
        /// How many.
        pub count: Option<i64> => computed(),
        /// Whether done.
        pub done: Option<bool> => computed(),
        /// Images by name.
        pub images: Tf<BTreeMap<String, Image>> => required(),
        /// The first image.
        pub first: Tf<Image> => optional(),
        /// Ordered records.
        pub ordered: Option<Vec<Record>> => computed(),
        /// Waiting.
        pub timeouts: Option<Waits> => block(),
    }
}

#[test]
fn the_declaration_is_the_schema() {
    let schema = Release::schema(3);
    assert_eq!(schema.version(), 3);
    assert_eq!(schema.check(), Ok(()));
    let root = schema.root();
    assert_eq!(
        root.names().collect::<Vec<_>>(),
        [
            "name", "tag", "services", "triggers", "count", "done", "images", "first", "ordered",
            "timeouts"
        ]
    );
    let name = root.get_attribute("name").expect("name");
    assert_eq!(name.presence(), Presence::Required);
    assert_eq!(name.ty(), &Type::String);
    assert_eq!(name.description_text(), "The name.\n\nSecond paragraph.");
    assert_eq!(
        root.get_attribute("services").map(|a| a.ty().clone()),
        Some(Type::Set(Box::new(Type::String)))
    );
    assert_eq!(
        root.get_attribute("count").map(|a| a.ty().clone()),
        Some(Type::Number)
    );
    let images = root
        .get_attribute("images")
        .and_then(|a| a.nested_type())
        .expect("nested");
    assert_eq!(images.nesting(), Nesting::Map);
    assert_eq!(
        images.object().names().collect::<Vec<_>>(),
        ["repository", "digest"]
    );
    assert_eq!(
        root.get_attribute("first")
            .and_then(|a| a.nested_type())
            .map(|n| n.nesting()),
        Some(Nesting::Single)
    );
    assert_eq!(
        root.get_attribute("ordered")
            .and_then(|a| a.nested_type())
            .map(|n| n.nesting()),
        Some(Nesting::List)
    );
    let timeouts = root.get_block("timeouts").expect("block");
    assert_eq!(timeouts.nesting(), Nesting::Single);
    assert_eq!(timeouts.block().description, "Waiting.");
}

#[test]
fn the_null_object_round_trips_with_exactly_the_schema_names() {
    let null = Release::schema(0).null_object();
    let model = Release::from_value(&null).expect("reads");
    assert_eq!(model, Release::default());
    assert_eq!(model.to_value(), null);
}

#[test]
fn unknown_and_partly_unknown_values_round_trip() {
    let image = Value::object([
        ("repository", Value::string("api")),
        ("digest", Value::Unknown),
    ]);
    let value = Value::object([
        ("name", Value::Unknown),
        ("tag", Value::string("prod")),
        // A set with an unknown element: known in part.
        (
            "services",
            Value::List(vec![Value::string("a"), Value::Unknown]),
        ),
        ("triggers", Value::Null),
        ("count", Value::Null),
        ("done", Value::Null),
        ("images", Value::object([("api", image.clone())])),
        ("first", Value::Unknown),
        ("ordered", Value::Null),
        ("timeouts", Value::Null),
    ]);
    let model = Release::from_value(&value).expect("reads");
    assert!(model.name.is_unknown());
    assert_eq!(model.tag.as_str(), Some("prod"));
    assert!(model.services.is_unknown() && model.services.known().is_none());
    let api = &model.images.known().expect("known map")["api"];
    assert_eq!(api.repository.as_str(), Some("api"));
    assert!(api.digest.is_unknown());
    assert_eq!(model.to_value(), value, "unchanged on the way back");
}

#[test]
fn known_values_round_trip() {
    let model = Release {
        name: "r".into(),
        tag: "stage".into(),
        services: Tf::Known(Set(vec!["b".into(), "a".into()])),
        triggers: Tf::Known(BTreeMap::from([("k".to_owned(), "v".to_owned())])),
        count: Some(3),
        done: Some(true),
        images: Tf::Known(BTreeMap::from([(
            "api".to_owned(),
            Image {
                repository: "api".into(),
                digest: "sha256:1".into(),
            },
        )])),
        first: Tf::Null,
        ordered: Some(vec![Record {
            id: Some("r-1".into()),
        }]),
        timeouts: Some(Waits {
            create: "5m".into(),
        }),
    };
    let value = model.to_value();
    assert_eq!(
        value.attr("services"),
        &Value::List(vec![Value::string("b"), Value::string("a")]),
        "sets keep their order"
    );
    assert_eq!(Release::from_value(&value), Ok(model));
}

#[test]
fn a_value_the_model_lacks_room_for_is_an_error_at_its_path() {
    let mut value = Release::schema(0).null_object();
    if let Value::Map(f) = &mut value {
        f.insert("count".into(), Value::Unknown);
    }
    let err = Release::from_value(&value).expect_err("count cannot be unknown");
    assert_eq!(err.path, AttributePath::attr("count"));
    assert!(err.message.contains("unknown"), "{err}");

    let mut misspelt = Release::schema(0).null_object();
    if let Value::Map(f) = &mut misspelt {
        let v = f.remove("tag").unwrap_or_default();
        f.insert("tags".into(), v);
    }
    let err: ModelError = Release::from_value(&misspelt).expect_err("no silent null");
    assert_eq!(err.path, AttributePath::attr("tag"));

    let d = err.to_diagnostic("the configuration");
    assert_eq!(d.attribute, Some(AttributePath::attr("tag")));
    assert!(d.detail.contains("bug in the provider"));
}
