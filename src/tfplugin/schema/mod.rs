//! Schemas with their plan behaviour declared: what an attribute is (type, presence,
//! sensitivity, documentation) and how the framework plans it (defaults, replacement, keeping the
//! prior value), plus the validators run on configuration.
//!
//! An attribute is either of a plain type (`string`, `list(string)`, …) or a *nested attribute*
//! ([`Attribute::nested`], the protocol's `nested_type`): one object, or a list, set or map of
//! objects, whose members are attributes with their own presence, defaults, validators,
//! sensitivity and replacement rules. Nested blocks ([`NestedBlock`]) remain for the provider
//! block's `assume_role { … }` style and `timeouts`.
//!
//! - `attribute.rs`: [`Attribute`] and [`NestedType`];
//! - `block.rs`: [`Block`] and [`NestedBlock`];
//! - `check.rs`: declaration checks ([`Schema::check`]) and configuration validation
//!   ([`Schema::validate`]);
//! - [`validators`]: the reusable validators.
//!
//! ```
//! use terraform_provider_tagdeploy::tfplugin::schema::{Attribute, Presence, Schema, validators};
//! use terraform_provider_tagdeploy::tfplugin::value::Value;
//!
//! let schema = Schema::new(0)
//!     .description("Moves an environment tag.")
//!     .attribute(
//!         Attribute::string("repository", Presence::Required)
//!             .description("The ECR repository.")
//!             .requires_replace()
//!             .validate(validators::non_empty()),
//!     )
//!     .attribute(
//!         Attribute::string("tag", Presence::OptionalComputed)
//!             .description("The environment tag.")
//!             .default(Value::string("prod")),
//!     )
//!     .attribute(
//!         Attribute::string("id", Presence::Computed)
//!             .description("Identifier.")
//!             .keep_prior_when_unknown(),
//!     );
//! assert!(schema.check().is_ok());
//! ```

mod attribute;
mod block;
mod check;
pub mod validators;

pub use attribute::{Attribute, NestedType};
pub use block::{Block, NestedBlock};
pub use validators::Validator;

pub(crate) use check::elements;

use super::diagnostics::{AttributePath, Diagnostics};
use super::value::{Type, Value};

/// Who sets an attribute: the four combinations Terraform allows, as one enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// The configuration must set it.
    Required,
    /// The configuration may set it; null when it does not.
    Optional,
    /// Only the provider sets it.
    Computed,
    /// The configuration may set it; the provider decides when it does not.
    OptionalComputed,
}

impl Presence {
    /// True when the provider may choose the value (config null).
    pub fn is_computed(self) -> bool {
        matches!(self, Presence::Computed | Presence::OptionalComputed)
    }

    /// True when the configuration may set the value.
    pub fn is_configurable(self) -> bool {
        !matches!(self, Presence::Computed)
    }
}

/// How the objects of a nested block or nested attribute nest in their parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// One object, or null.
    Single,
    /// Ordered objects: a list (for blocks: empty, never null).
    List,
    /// Unordered objects: a set (for blocks: empty, never null).
    Set,
    /// Objects keyed by string: a map. Nested attributes only.
    Map,
}

/// A versioned top-level schema (provider block, resource type or data source).
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub(crate) version: i64,
    pub(crate) block: Block,
}

impl Schema {
    /// An empty schema at `version` (bump it when stored state needs an upgrade).
    pub fn new(version: i64) -> Self {
        Self {
            version,
            block: Block::new(),
        }
    }

    /// A schema at `version` whose top-level block is `block` (e.g. a model's).
    pub fn from_block(version: i64, block: Block) -> Self {
        Self { version, block }
    }

    /// Adds an attribute to the top-level block.
    #[must_use]
    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.block = self.block.attribute(attribute);
        self
    }

    /// Adds a nested block to the top-level block.
    #[must_use]
    pub fn block(mut self, block: NestedBlock) -> Self {
        self.block = self.block.block(block);
        self
    }

    /// Markdown documentation of the whole type.
    #[must_use]
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.block = self.block.description(text);
        self
    }

    /// The schema version.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// The top-level block.
    pub fn root(&self) -> &Block {
        &self.block
    }

    /// The object type of values of this schema.
    pub fn implied_type(&self) -> Type {
        self.block.implied_type()
    }

    /// See [`Block::null_object`].
    pub fn null_object(&self) -> Value {
        self.block.null_object()
    }

    /// Checks the rules Terraform enforces when it loads a schema, plus our own (defaults only
    /// on optional+computed attributes...). Returns every problem found.
    pub fn check(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if self.version < 0 {
            problems.push("schema version must not be negative".to_owned());
        }
        check::check_block(&self.block, "", &mut problems);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Runs every attribute's validators on `config` (known, non-null values only) and checks
    /// nested block counts; errors point at the offending attribute.
    pub fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        check::validate_block(&self.block, config, &AttributePath::root(), &mut diags);
        diags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Schema {
        Schema::new(1)
            .attribute(
                Attribute::string("name", Presence::Required).validate(validators::non_empty()),
            )
            .attribute(
                Attribute::string("mode", Presence::OptionalComputed).default(Value::string("a")),
            )
            .block(NestedBlock::single(
                "inner",
                Block::new().attribute(
                    Attribute::string("url", Presence::Optional).validate(validators::non_empty()),
                ),
            ))
            .block(
                NestedBlock::list(
                    "item",
                    Block::new().attribute(Attribute::number("n", Presence::Required)),
                )
                .items(0, 2),
            )
    }

    #[test]
    fn implied_type_has_every_attribute_and_block() {
        let ty = sample().implied_type();
        let Type::Object(fields) = ty else {
            panic!("not an object")
        };
        let names: Vec<_> = fields.keys().cloned().collect();
        assert_eq!(names, ["inner", "item", "mode", "name"]);
        assert!(matches!(fields["item"], Type::List(_)));
    }

    #[test]
    fn null_object_uses_empty_lists_for_repeated_blocks() {
        let v = sample().null_object();
        assert_eq!(v.attr("item"), &Value::List(vec![]));
        assert!(v.attr("inner").is_null());
        assert!(v.attr("name").is_null());
    }

    #[test]
    fn check_rejects_bad_declarations() {
        let bad = Schema::new(0)
            .attribute(Attribute::string("Bad-Name", Presence::Optional))
            .attribute(Attribute::string("d", Presence::Optional).default(Value::string("x")))
            .attribute(Attribute::string("k", Presence::Required).keep_prior_when_unknown())
            .attribute(Attribute::string("k", Presence::Computed));
        let problems = bad.check().unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(sample().check().is_ok());
    }

    #[test]
    fn validators_report_on_nested_paths() {
        let config = Value::object([
            ("name", Value::string("")),
            ("mode", Value::Null),
            ("inner", Value::object([("url", Value::string(""))])),
            (
                "item",
                Value::List(vec![Value::Null, Value::Null, Value::Null]),
            ),
        ]);
        let diags = sample().validate(&config);
        let paths: Vec<String> = diags
            .iter()
            .map(|d| d.attribute.clone().unwrap_or_default().to_string())
            .collect();
        assert_eq!(paths, ["name", "inner.url", "item"]);
    }

    #[test]
    fn validators_skip_unknown_and_null_values() {
        let config = Value::object([
            ("name", Value::Unknown),
            ("mode", Value::Null),
            ("inner", Value::Null),
            ("item", Value::Unknown),
        ]);
        assert!(sample().validate(&config).is_empty());
    }

    fn images() -> Schema {
        Schema::new(0).attribute(Attribute::nested(
            "images",
            Nesting::Map,
            Block::new()
                .attribute(
                    Attribute::string("repository", Presence::Required)
                        .validate(validators::non_empty()),
                )
                .attribute(Attribute::string("digest", Presence::Computed)),
            Presence::Required,
        ))
    }

    #[test]
    fn nested_attributes_imply_collections_of_objects() {
        let member = Block::new().attribute(Attribute::string("a", Presence::Optional));
        let object = Type::Object([("a".to_owned(), Type::String)].into_iter().collect());
        for (nesting, ty) in [
            (Nesting::Single, object.clone()),
            (Nesting::List, Type::List(Box::new(object.clone()))),
            (Nesting::Set, Type::Set(Box::new(object.clone()))),
            (Nesting::Map, Type::Map(Box::new(object.clone()))),
        ] {
            let a = Attribute::nested("n", nesting, member.clone(), Presence::Optional);
            assert_eq!(a.ty(), &ty, "{nesting:?}");
        }
        assert!(images().null_object().attr("images").is_null());
        assert_eq!(images().check(), Ok(()));
    }

    #[test]
    fn check_rejects_bad_nested_declarations() {
        let with_block = Block::new()
            .attribute(Attribute::string("a", Presence::Optional))
            .block(NestedBlock::single("b", Block::new()));
        let bad = Schema::new(0)
            .attribute(Attribute::nested(
                "blocks_inside",
                Nesting::List,
                with_block,
                Presence::Optional,
            ))
            .attribute(Attribute::nested(
                "configurable_member",
                Nesting::Map,
                Block::new().attribute(Attribute::string("a", Presence::Optional)),
                Presence::Computed,
            ))
            .attribute(Attribute::nested(
                "empty",
                Nesting::Single,
                Block::new(),
                Presence::Optional,
            ))
            .attribute(Attribute::nested(
                "dynamic_in_set",
                Nesting::Set,
                Block::new().attribute(Attribute::new("d", Type::Dynamic, Presence::Optional)),
                Presence::Optional,
            ))
            .attribute(Attribute::nested(
                "bad_member",
                Nesting::Single,
                Block::new()
                    .attribute(Attribute::string("Bad", Presence::Optional))
                    .attribute(Attribute::string("d", Presence::Optional).default(Value::Null)),
                Presence::Optional,
            ))
            .block(NestedBlock {
                nesting: Nesting::Map,
                ..NestedBlock::single("block_map", Block::new())
            });
        let problems = bad.check().unwrap_err();
        let mut heads: Vec<&str> = problems
            .iter()
            .map(|p| p.split(':').next().unwrap_or_default())
            .collect();
        heads.sort_unstable();
        assert_eq!(
            heads,
            [
                "bad_member.Bad",
                "bad_member.d",
                "block_map",
                "blocks_inside",
                "configurable_member.a",
                "dynamic_in_set",
                "empty",
            ],
            "{problems:#?}"
        );
    }

    #[test]
    fn member_validators_report_on_the_member_path() {
        let config = Value::object([(
            "images",
            Value::object([
                (
                    "api",
                    Value::object([("repository", Value::string("")), ("digest", Value::Null)]),
                ),
                (
                    "web",
                    Value::object([("repository", Value::Unknown), ("digest", Value::Null)]),
                ),
            ]),
        )]);
        let diags = images().validate(&config);
        let paths: Vec<String> = diags
            .iter()
            .map(|d| d.attribute.clone().unwrap_or_default().to_string())
            .collect();
        assert_eq!(paths, ["images[\"api\"].repository"]);
        let unknown = Value::object([("images", Value::Unknown)]);
        assert!(images().validate(&unknown).is_empty());
    }

    #[test]
    fn nested_values_travel_through_both_codecs_by_their_implied_type() {
        use crate::tfplugin::value::{json, msgpack};
        let ty = images().implied_type();
        let planned = Value::object([(
            "images",
            Value::object([(
                "api",
                Value::object([
                    ("repository", Value::string("api")),
                    ("digest", Value::Unknown),
                ]),
            )]),
        )]);
        let bytes = msgpack::encode(&ty, &planned).expect("encodes");
        assert_eq!(msgpack::decode(&ty, &bytes), Ok(planned));
        // State written before `digest` existed: the member decodes as null.
        let state = json::decode_state(&ty, br#"{"images":{"api":{"repository":"api"}}}"#)
            .expect("decodes");
        assert_eq!(
            state.attr("images").attr("api"),
            &Value::object([
                ("repository", Value::string("api")),
                ("digest", Value::Null)
            ])
        );
    }
}
