//! [`Block`] (attributes and nested blocks) and [`NestedBlock`] (a block inside another, with
//! its nesting mode and item bounds).

use std::collections::BTreeMap;

use super::{Attribute, Nesting};
use crate::tfplugin::value::{Type, Value};

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

    /// The same block under another name (the model layer names blocks after their fields).
    #[must_use]
    pub fn renamed(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
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
        let inner = Box::new(self.block.implied_type());
        match self.nesting {
            Nesting::Single => *inner,
            Nesting::List => Type::List(inner),
            Nesting::Set => Type::Set(inner),
            // Refused by `Schema::check`; typed consistently all the same.
            Nesting::Map => Type::Map(inner),
        }
    }

    /// The value of this block when the configuration has none of it.
    pub fn empty_value(&self) -> Value {
        match self.nesting {
            Nesting::Single => Value::Null,
            Nesting::List | Nesting::Set => Value::List(Vec::new()),
            Nesting::Map => Value::Map(BTreeMap::new()),
        }
    }
}

/// A block: attributes and nested blocks. The member object of a nested attribute is a block
/// without nested blocks.
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

    /// The nested block called `name`.
    pub fn get_block(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.name == name)
    }

    /// The names of every attribute and nested block, in declaration order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.attributes
            .iter()
            .map(|a| a.name.as_str())
            .chain(self.blocks.iter().map(|b| b.name.as_str()))
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
}
