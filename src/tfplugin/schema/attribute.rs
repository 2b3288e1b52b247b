//! [`Attribute`]: one attribute of a block, of a primitive or collection type, or a nested
//! attribute whose value is an object (or a list, set or map of objects) with member attributes
//! of its own (the protocol's `nested_type`).

use std::sync::Arc;

use super::validators::Validator;
use super::{Block, Nesting, Presence};
use crate::tfplugin::value::{Type, Value};

/// The object type of a nested attribute: its members (a [`Block`] of attributes only) and how
/// the objects nest (one object, or a list, set or map of them).
#[derive(Debug, Clone)]
pub struct NestedType {
    pub(crate) nesting: Nesting,
    pub(crate) object: Block,
}

impl NestedType {
    /// How the objects nest.
    pub fn nesting(&self) -> Nesting {
        self.nesting
    }

    /// The member attributes of one object.
    pub fn object(&self) -> &Block {
        &self.object
    }

    /// The value type: `object`, or a list, set or map of it.
    pub fn implied_type(&self) -> Type {
        let object = Box::new(self.object.implied_type());
        match self.nesting {
            Nesting::Single => *object,
            Nesting::List => Type::List(object),
            Nesting::Set => Type::Set(object),
            Nesting::Map => Type::Map(object),
        }
    }
}

/// One attribute of a block.
#[derive(Clone)]
pub struct Attribute {
    pub(crate) name: String,
    pub(crate) ty: Type,
    pub(crate) nested: Option<NestedType>,
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
            .field("nested", &self.nested)
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
            nested: None,
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

    /// A nested attribute: its value is one object with the attributes of `object` (a block
    /// without nested blocks), or a list, set or map of such objects. The members declare their
    /// own presence, defaults, validators and plan behaviour.
    pub fn nested(
        name: impl Into<String>,
        nesting: Nesting,
        object: Block,
        presence: Presence,
    ) -> Self {
        let nested = NestedType { nesting, object };
        Self {
            ty: nested.implied_type(),
            nested: Some(nested),
            ..Self::new(name, Type::Dynamic, presence)
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
    /// [`Presence::OptionalComputed`] (checked by [`super::Schema::check`]).
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

    /// The same attribute under another name (the model layer names attributes after the
    /// fields that hold them).
    #[must_use]
    pub fn renamed(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The same attribute with another value type (not nested).
    #[must_use]
    pub fn with_type(mut self, ty: Type) -> Self {
        self.ty = ty;
        self.nested = None;
        self
    }

    /// The same attribute, nested with `nesting` over the members of `object`.
    #[must_use]
    pub fn with_nested(self, nesting: Nesting, object: Block) -> Self {
        let Self { name, presence, .. } = &self;
        let template = Self::nested(name.clone(), nesting, object, *presence);
        Self {
            ty: template.ty,
            nested: template.nested,
            ..self
        }
    }

    /// The attribute name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The attribute's value type (for a nested attribute, the type its objects imply).
    pub fn ty(&self) -> &Type {
        &self.ty
    }

    /// The nested object type, when this is a nested attribute.
    pub fn nested_type(&self) -> Option<&NestedType> {
        self.nested.as_ref()
    }

    /// Who sets it.
    pub fn presence(&self) -> Presence {
        self.presence
    }

    /// Whether it is declared sensitive.
    pub fn is_sensitive(&self) -> bool {
        self.sensitive
    }

    /// Its Markdown documentation.
    pub fn description_text(&self) -> &str {
        &self.description
    }
}
