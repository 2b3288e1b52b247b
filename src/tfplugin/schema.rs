//! Schemas with their plan behaviour declared: what an attribute is (type, presence,
//! sensitivity, documentation) and how the framework plans it (defaults, replacement, keeping the
//! prior value), plus the validators run on configuration.
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

use std::collections::BTreeMap;
use std::sync::Arc;

pub mod validators;

pub use validators::Validator;

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

/// One attribute of a block.
#[derive(Clone)]
pub struct Attribute {
    pub(crate) name: String,
    pub(crate) ty: Type,
    pub(crate) presence: Presence,
    pub(crate) sensitive: bool,
    pub(crate) description: String,
    pub(crate) deprecation: Option<String>,
    pub(crate) requires_replace: bool,
    pub(crate) keep_prior_when_unknown: bool,
    pub(crate) default: Option<Value>,
    pub(crate) validators: Vec<Arc<dyn Validator>>,
}

impl std::fmt::Debug for Attribute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attribute")
            .field("name", &self.name)
            .field("ty", &self.ty)
            .field("presence", &self.presence)
            .field("requires_replace", &self.requires_replace)
            .field("keep_prior_when_unknown", &self.keep_prior_when_unknown)
            .field("default", &self.default)
            .finish_non_exhaustive()
    }
}

impl Attribute {
    /// An attribute of any type.
    pub fn new(name: impl Into<String>, ty: Type, presence: Presence) -> Self {
        Self {
            name: name.into(),
            ty,
            presence,
            sensitive: false,
            description: String::new(),
            deprecation: None,
            requires_replace: false,
            keep_prior_when_unknown: false,
            default: None,
            validators: Vec::new(),
        }
    }

    /// A string attribute.
    pub fn string(name: impl Into<String>, presence: Presence) -> Self {
        Self::new(name, Type::String, presence)
    }

    /// A bool attribute.
    pub fn bool(name: impl Into<String>, presence: Presence) -> Self {
        Self::new(name, Type::Bool, presence)
    }

    /// A number attribute.
    pub fn number(name: impl Into<String>, presence: Presence) -> Self {
        Self::new(name, Type::Number, presence)
    }

    /// A list-of-strings attribute.
    pub fn string_list(name: impl Into<String>, presence: Presence) -> Self {
        Self::new(name, Type::List(Box::new(Type::String)), presence)
    }

    /// A set-of-strings attribute.
    pub fn string_set(name: impl Into<String>, presence: Presence) -> Self {
        Self::new(name, Type::Set(Box::new(Type::String)), presence)
    }

    /// A map-of-strings attribute.
    pub fn string_map(name: impl Into<String>, presence: Presence) -> Self {
        Self::new(name, Type::Map(Box::new(Type::String)), presence)
    }

    /// Markdown documentation (a full sentence).
    #[must_use]
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    /// Hide the value in plan output and logs.
    #[must_use]
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Mark deprecated, with what to use instead.
    #[must_use]
    pub fn deprecated(mut self, message: impl Into<String>) -> Self {
        self.deprecation = Some(message.into());
        self
    }

    /// A change of this attribute (prior vs. planned) replaces the resource.
    #[must_use]
    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }

    /// A computed attribute that keeps its prior value on update instead of becoming unknown
    /// (a value that never changes once set, like an id).
    #[must_use]
    pub fn keep_prior_when_unknown(mut self) -> Self {
        self.keep_prior_when_unknown = true;
        self
    }

    /// The value planned when the configuration leaves the attribute null. The attribute must be
    /// [`Presence::OptionalComputed`] (checked by [`Schema::check`]).
    #[must_use]
    pub fn default(mut self, value: Value) -> Self {
        self.default = Some(value);
        self
    }

    /// Adds a validator, run on known non-null configuration values.
    #[must_use]
    pub fn validate(mut self, validator: impl Validator + 'static) -> Self {
        self.validators.push(Arc::new(validator));
        self
    }

    /// The attribute name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The attribute type.
    pub fn ty(&self) -> &Type {
        &self.ty
    }

    /// Who sets it.
    pub fn presence(&self) -> Presence {
        self.presence
    }
}

/// How often a nested block may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// At most once; the value is an object or null.
    Single,
    /// Any number of times, ordered; the value is a list (empty, never null).
    List,
    /// Any number of times, unordered; the value is a set (empty, never null).
    Set,
}

/// A block nested in another block.
#[derive(Debug, Clone)]
pub struct NestedBlock {
    pub(crate) name: String,
    pub(crate) nesting: Nesting,
    pub(crate) block: Block,
    pub(crate) min_items: i64,
    pub(crate) max_items: i64,
}

impl NestedBlock {
    /// A block that appears at most once.
    pub fn single(name: impl Into<String>, block: Block) -> Self {
        Self {
            name: name.into(),
            nesting: Nesting::Single,
            block,
            min_items: 0,
            max_items: 0,
        }
    }

    /// A repeatable, ordered block.
    pub fn list(name: impl Into<String>, block: Block) -> Self {
        Self {
            nesting: Nesting::List,
            ..Self::single(name, block)
        }
    }

    /// A repeatable, unordered block.
    pub fn set(name: impl Into<String>, block: Block) -> Self {
        Self {
            nesting: Nesting::Set,
            ..Self::single(name, block)
        }
    }

    /// Bounds on the number of blocks (list and set nesting; 0 = no maximum).
    #[must_use]
    pub fn items(mut self, min: i64, max: i64) -> Self {
        self.min_items = min;
        self.max_items = max;
        self
    }

    /// The block name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The nesting mode.
    pub fn nesting(&self) -> Nesting {
        self.nesting
    }

    /// The block's own schema.
    pub fn block(&self) -> &Block {
        &self.block
    }

    /// The value type of this block inside its parent object.
    pub fn implied_type(&self) -> Type {
        let inner = self.block.implied_type();
        match self.nesting {
            Nesting::Single => inner,
            Nesting::List => Type::List(Box::new(inner)),
            Nesting::Set => Type::Set(Box::new(inner)),
        }
    }

    /// The value of this block when the configuration has none of it.
    pub fn empty_value(&self) -> Value {
        match self.nesting {
            Nesting::Single => Value::Null,
            Nesting::List | Nesting::Set => Value::List(Vec::new()),
        }
    }
}

/// A block: attributes and nested blocks.
#[derive(Debug, Clone, Default)]
pub struct Block {
    pub(crate) attributes: Vec<Attribute>,
    pub(crate) blocks: Vec<NestedBlock>,
    pub(crate) description: String,
    pub(crate) deprecation: Option<String>,
}

impl Block {
    /// An empty block.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an attribute.
    #[must_use]
    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// Adds a nested block.
    #[must_use]
    pub fn block(mut self, block: NestedBlock) -> Self {
        self.blocks.push(block);
        self
    }

    /// Markdown documentation.
    #[must_use]
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    /// Mark deprecated, with what to use instead.
    #[must_use]
    pub fn deprecated(mut self, message: impl Into<String>) -> Self {
        self.deprecation = Some(message.into());
        self
    }

    /// The attributes, in declaration order.
    pub fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }

    /// The nested blocks, in declaration order.
    pub fn blocks(&self) -> &[NestedBlock] {
        &self.blocks
    }

    /// The attribute called `name`.
    pub fn get_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The object type a value of this block has.
    pub fn implied_type(&self) -> Type {
        let mut fields = BTreeMap::new();
        for a in &self.attributes {
            fields.insert(a.name.clone(), a.ty.clone());
        }
        for b in &self.blocks {
            fields.insert(b.name.clone(), b.implied_type());
        }
        Type::Object(fields)
    }

    /// An object with every attribute null and every nested block absent: the starting point
    /// for building a state value that has every attribute.
    pub fn null_object(&self) -> Value {
        let mut fields = BTreeMap::new();
        for a in &self.attributes {
            fields.insert(a.name.clone(), Value::Null);
        }
        for b in &self.blocks {
            fields.insert(b.name.clone(), b.empty_value());
        }
        Value::Map(fields)
    }

    fn check(&self, path: &str, problems: &mut Vec<String>) {
        let mut seen = std::collections::BTreeSet::new();
        for a in &self.attributes {
            let here = join(path, &a.name);
            if !valid_name(&a.name) {
                problems.push(format!("{here}: name must match ^[a-z0-9_]+$"));
            }
            if !seen.insert(a.name.as_str()) {
                problems.push(format!("{here}: declared twice"));
            }
            if a.default.is_some() && a.presence != Presence::OptionalComputed {
                problems.push(format!(
                    "{here}: a default needs Presence::OptionalComputed"
                ));
            }
            if a.keep_prior_when_unknown && !a.presence.is_computed() {
                problems.push(format!(
                    "{here}: keep_prior_when_unknown needs a computed attribute"
                ));
            }
            if a.requires_replace && a.presence == Presence::Computed && a.keep_prior_when_unknown {
                problems.push(format!(
                    "{here}: requires_replace on a value that never changes"
                ));
            }
        }
        for b in &self.blocks {
            let here = join(path, &b.name);
            if !valid_name(&b.name) {
                problems.push(format!("{here}: name must match ^[a-z0-9_]+$"));
            }
            if !seen.insert(b.name.as_str()) {
                problems.push(format!("{here}: declared twice"));
            }
            match b.nesting {
                Nesting::Single if b.min_items != 0 || b.max_items != 0 => {
                    problems.push(format!("{here}: a single block takes no item bounds"));
                }
                _ if b.min_items < 0 || b.max_items < 0 => {
                    problems.push(format!("{here}: negative item bounds"));
                }
                _ if b.max_items != 0 && b.min_items > b.max_items => {
                    problems.push(format!("{here}: min_items above max_items"));
                }
                _ => {}
            }
            b.block.check(&here, problems);
        }
    }
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
        self.block.check("", &mut problems);
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
        validate_block(&self.block, config, &AttributePath::root(), &mut diags);
        diags
    }
}

fn validate_block(block: &Block, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    if !matches!(value, Value::Map(_)) {
        return;
    }
    for a in &block.attributes {
        let v = value.attr(&a.name);
        if v.is_null() || !v.is_wholly_known() {
            continue;
        }
        let here = path.clone().then_attr(&a.name);
        for validator in &a.validators {
            validator.validate(v, &here, diags);
        }
    }
    for b in &block.blocks {
        let v = value.attr(&b.name);
        let here = path.clone().then_attr(&b.name);
        match b.nesting {
            Nesting::Single => validate_block(&b.block, v, &here, diags),
            Nesting::List | Nesting::Set => {
                if v.is_unknown() {
                    continue;
                }
                let items = v.elements();
                let count = i64::try_from(items.len()).unwrap_or(i64::MAX);
                if count < b.min_items || (b.max_items > 0 && count > b.max_items) {
                    diags.push(
                        super::diagnostics::Diagnostic::error(
                            "Wrong Number of Blocks",
                            format!(
                                "Between {} and {} \"{}\" blocks are allowed; the configuration has {count}.",
                                b.min_items,
                                if b.max_items == 0 { "any number of".to_owned() } else { b.max_items.to_string() },
                                b.name
                            ),
                        )
                        .at(here.clone()),
                    );
                }
                for (i, item) in items.iter().enumerate() {
                    let item_path = if b.nesting == Nesting::List {
                        here.clone()
                            .then_index(i64::try_from(i).unwrap_or(i64::MAX))
                    } else {
                        // Set elements are not addressable: point at the block itself.
                        here.clone()
                    };
                    validate_block(&b.block, item, &item_path, diags);
                }
            }
        }
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
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
}
