//! What a model field declares about its attribute (presence, defaults, validators, plan
//! behaviour) before the [`crate::model!`] macro gives it its name (the field's) and its type
//! (the field type's [`Shape`]).

use super::{FieldValue, Object, Set, Shape, Tf};
use crate::tfplugin::schema::{Attribute, Block, NestedBlock, Nesting, Presence};
use crate::tfplugin::value::Type;

/// An attribute the configuration must set. Chain the usual [`Attribute`] builders
/// (`.validate(..)`, `.requires_replace()`, …); name and type come from the field.
pub fn required() -> Attribute {
    Attribute::new("", Type::Dynamic, Presence::Required)
}

/// An attribute the configuration may set; null when it does not.
pub fn optional() -> Attribute {
    Attribute::new("", Type::Dynamic, Presence::Optional)
}

/// An attribute only the provider sets.
pub fn computed() -> Attribute {
    Attribute::new("", Type::Dynamic, Presence::Computed)
}

/// An attribute the configuration may set; the provider (or `.default(..)`) decides when it
/// does not.
pub fn optional_computed() -> Attribute {
    Attribute::new("", Type::Dynamic, Presence::OptionalComputed)
}

/// A nested block (`timeouts { … }`): the field's type must be a model (one block), or a `Vec`
/// or [`Set`] of one (repeated blocks), possibly in an `Option` or [`Tf`].
pub fn block() -> BlockSpec {
    BlockSpec::default()
}

/// A nested block's declaration: item bounds and documentation.
#[derive(Debug, Clone, Default)]
pub struct BlockSpec {
    min_items: i64,
    max_items: i64,
    description: String,
}

impl BlockSpec {
    /// Bounds on the number of blocks (list and set nesting; 0 = no maximum).
    #[must_use]
    pub fn items(mut self, min: i64, max: i64) -> Self {
        self.min_items = min;
        self.max_items = max;
        self
    }

    /// Markdown documentation (instead of the field's doc comment).
    #[must_use]
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }
}

/// One member of a block, as a model declares it.
#[derive(Debug, Clone)]
pub enum Member {
    /// An attribute (possibly a nested attribute).
    Attribute(Attribute),
    /// A nested block.
    Block(NestedBlock),
}

impl Member {
    /// Adds this member to `block`.
    pub fn add_to(self, block: Block) -> Block {
        match self {
            Member::Attribute(a) => block.attribute(a),
            Member::Block(b) => block.block(b),
        }
    }
}

/// A declaration that becomes a [`Member`] for a field of type `F`.
pub trait Spec<F> {
    /// The member called `name`, documented by `description` unless the declaration already is.
    fn member(self, name: &'static str, description: String) -> Member;
}

impl<F: FieldValue> Spec<F> for Attribute {
    fn member(self, name: &'static str, description: String) -> Member {
        let attribute = self.renamed(name);
        let attribute = match F::shape() {
            Shape::Plain(ty) => attribute.with_type(ty),
            Shape::Nested(nesting, object) => attribute.with_nested(nesting, object),
        };
        let attribute = if attribute.description_text().is_empty() {
            attribute.description(description)
        } else {
            attribute
        };
        Member::Attribute(attribute)
    }
}

/// A field type that can hold nested blocks: one model, or a `Vec` or [`Set`] of one.
pub trait BlockField {
    /// How the blocks nest, and the schema of one block.
    fn nesting() -> (Nesting, Block);
}

impl<O: Object> BlockField for Option<O> {
    fn nesting() -> (Nesting, Block) {
        (Nesting::Single, O::block())
    }
}

impl<O: Object> BlockField for Tf<O> {
    fn nesting() -> (Nesting, Block) {
        (Nesting::Single, O::block())
    }
}

impl<O: Object> BlockField for Vec<O> {
    fn nesting() -> (Nesting, Block) {
        (Nesting::List, O::block())
    }
}

impl<O: Object> BlockField for Set<O> {
    fn nesting() -> (Nesting, Block) {
        (Nesting::Set, O::block())
    }
}

impl<F: BlockField> Spec<F> for BlockSpec {
    fn member(self, name: &'static str, description: String) -> Member {
        let (nesting, block) = F::nesting();
        let description = if self.description.is_empty() {
            description
        } else {
            self.description
        };
        let nested = match nesting {
            Nesting::List => NestedBlock::list(name, block),
            Nesting::Set => NestedBlock::set(name, block),
            Nesting::Single | Nesting::Map => NestedBlock::single(name, block),
        };
        let nested = nested.items(self.min_items, self.max_items);
        let block = nested.block().clone().description(description);
        Member::Block(NestedBlock { block, ..nested })
    }
}

/// The member a field declares: used by [`crate::model!`].
pub fn member<F, S: Spec<F>>(spec: S, name: &'static str, doc: &[&str]) -> Member {
    spec.member(name, description_from_doc(doc))
}

/// A doc comment as one Markdown description: lines joined with spaces, blank lines kept as
/// paragraph breaks.
pub fn description_from_doc(lines: &[&str]) -> String {
    let mut out = String::new();
    let mut blank = false;
    for line in lines.iter().map(|l| l.trim()) {
        if line.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push_str("\n\n");
            blank = false;
        } else if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}
