//! Probe values for checking a model against its schema: the null object, and configurations
//! with every configurable value unknown, at the top level and inside one object of every
//! nested attribute and block (configuration is where unknown values can be anywhere).

use crate::tfplugin::schema::{Block, Nesting, Schema};
use crate::tfplugin::value::Value;

/// The values every model must read and give back unchanged.
pub(crate) fn probes(schema: &Schema) -> Vec<Value> {
    vec![
        schema.null_object(),
        unknown_config(schema.root(), false),
        unknown_config(schema.root(), true),
    ]
}

/// An object of `block` as configuration could be: computed-only attributes null, every other
/// attribute unknown; with `descend`, nested attributes and blocks hold one object of the same
/// kind instead.
fn unknown_config(block: &Block, descend: bool) -> Value {
    let mut fields = std::collections::BTreeMap::new();
    for a in block.attributes() {
        let value = match a.nested_type() {
            _ if !a.presence().is_configurable() => Value::Null,
            Some(nested) if descend => {
                nest(nested.nesting(), unknown_config(nested.object(), true))
            }
            _ => Value::Unknown,
        };
        fields.insert(a.name().to_owned(), value);
    }
    for b in block.blocks() {
        let value = if descend {
            nest(b.nesting(), unknown_config(b.block(), true))
        } else {
            b.empty_value()
        };
        fields.insert(b.name().to_owned(), value);
    }
    Value::Map(fields)
}

/// One object nested as `nesting` nests it.
fn nest(nesting: Nesting, object: Value) -> Value {
    match nesting {
        Nesting::Single => object,
        Nesting::List | Nesting::Set => Value::List(vec![object]),
        Nesting::Map => Value::object([("key", object)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::schema::{Attribute, NestedBlock, Presence};

    #[test]
    fn probes_unknown_only_what_configuration_can_set() {
        let schema = Schema::new(0)
            .attribute(Attribute::string("a", Presence::Required))
            .attribute(Attribute::string("c", Presence::Computed))
            .attribute(Attribute::nested(
                "n",
                Nesting::Map,
                Block::new()
                    .attribute(Attribute::string("x", Presence::Optional))
                    .attribute(Attribute::string("y", Presence::Computed)),
                Presence::Optional,
            ))
            .block(NestedBlock::list(
                "b",
                Block::new().attribute(Attribute::string("z", Presence::Optional)),
            ));
        let [null, flat, deep] = <[Value; 3]>::try_from(probes(&schema)).expect("three probes");
        assert_eq!(null, schema.null_object());
        assert_eq!(
            flat,
            Value::object([
                ("a", Value::Unknown),
                ("c", Value::Null),
                ("n", Value::Unknown),
                ("b", Value::List(vec![])),
            ])
        );
        assert_eq!(
            deep.attr("n").attr("key"),
            &Value::object([("x", Value::Unknown), ("y", Value::Null)])
        );
        assert_eq!(
            deep.attr("b"),
            &Value::List(vec![Value::object([("z", Value::Unknown)])])
        );
    }
}
