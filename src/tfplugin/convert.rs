//! Conversions between the generated protobuf types and the plain types of `diagnostics`,
//! `schema`, `framework` and `value`. The only module besides `grpc` that names prost types.

use super::diagnostics::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
use super::framework::{Parameter, Signature};
use super::proto::tfplugin6 as pb;
use super::schema::{Attribute, Block, NestedBlock, NestedType, Nesting, Presence, Schema};
use super::value::{Type, Value, json, msgpack};

/// Diagnostics for the wire.
pub(crate) fn diagnostics(diags: Diagnostics) -> Vec<pb::Diagnostic> {
    diags.into_iter().map(diagnostic).collect()
}

fn diagnostic(d: Diagnostic) -> pb::Diagnostic {
    let severity = match d.severity {
        Severity::Error => pb::diagnostic::Severity::Error,
        Severity::Warning => pb::diagnostic::Severity::Warning,
    };
    pb::Diagnostic {
        severity: severity as i32,
        summary: d.summary,
        detail: d.detail,
        attribute: d
            .attribute
            .filter(|p| !p.is_root())
            .map(|p| attribute_path(&p)),
    }
}

/// An attribute path for the wire.
pub(crate) fn attribute_path(path: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: path
            .steps()
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                    PathStep::Key(key) => Selector::ElementKeyString(key.clone()),
                    PathStep::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

/// A wire attribute path back to ours (steps without a selector are skipped).
#[cfg(test)]
pub(crate) fn path_from_wire(path: &pb::AttributePath) -> AttributePath {
    use pb::attribute_path::step::Selector;
    AttributePath::from_steps(
        path.steps
            .iter()
            .filter_map(|s| match s.selector.as_ref()? {
                Selector::AttributeName(n) => Some(PathStep::Attribute(n.clone())),
                Selector::ElementKeyString(k) => Some(PathStep::Key(k.clone())),
                Selector::ElementKeyInt(i) => Some(PathStep::Index(*i)),
            })
            .collect(),
    )
}

/// A schema for the wire (every Schema and NestedBlock carries a block: Terraform requires it).
pub(crate) fn schema(s: &Schema) -> pb::Schema {
    pb::Schema {
        version: s.version,
        block: Some(block(&s.block, s.version)),
    }
}

fn block(b: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: b.attributes.iter().map(attribute).collect(),
        block_types: b.blocks.iter().map(nested_block).collect(),
        description: b.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: b.deprecation.is_some(),
        deprecation_message: b.deprecation.clone().unwrap_or_default(),
    }
}

fn attribute(a: &Attribute) -> pb::schema::Attribute {
    // Exactly one of `type` and `nested_type`: Terraform refuses an attribute with both.
    let (ty, nested_type) = match &a.nested {
        None => (a.ty.to_json().into_bytes(), None),
        Some(nested) => (Vec::new(), Some(object(nested))),
    };
    pb::schema::Attribute {
        name: a.name.clone(),
        r#type: ty,
        nested_type,
        description: a.description.clone(),
        required: a.presence == Presence::Required,
        optional: matches!(a.presence, Presence::Optional | Presence::OptionalComputed),
        computed: a.presence.is_computed(),
        sensitive: a.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: a.deprecation.is_some(),
        write_only: false,
        deprecation_message: a.deprecation.clone().unwrap_or_default(),
    }
}

fn object(nested: &NestedType) -> pb::schema::Object {
    use pb::schema::object::NestingMode;
    let nesting = match nested.nesting {
        Nesting::Single => NestingMode::Single,
        Nesting::List => NestingMode::List,
        Nesting::Set => NestingMode::Set,
        Nesting::Map => NestingMode::Map,
    };
    pb::schema::Object {
        attributes: nested.object.attributes.iter().map(attribute).collect(),
        nesting: nesting as i32,
        #[allow(deprecated)]
        min_items: 0,
        #[allow(deprecated)]
        max_items: 0,
    }
}

fn nested_block(nb: &NestedBlock) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode;
    let nesting = match nb.nesting {
        Nesting::Single => NestingMode::Single,
        Nesting::List => NestingMode::List,
        Nesting::Set => NestingMode::Set,
        Nesting::Map => NestingMode::Map,
    };
    pb::schema::NestedBlock {
        type_name: nb.name.clone(),
        block: Some(block(&nb.block, 0)),
        nesting: nesting as i32,
        min_items: nb.min_items,
        max_items: nb.max_items,
    }
}

/// A function signature for the wire.
pub(crate) fn function(sig: &Signature) -> pb::Function {
    pb::Function {
        parameters: sig.parameters.iter().map(parameter).collect(),
        variadic_parameter: sig.variadic.as_ref().map(parameter),
        r#return: Some(pb::function::Return {
            r#type: sig.returns.to_json().into_bytes(),
        }),
        summary: sig.summary.clone(),
        description: sig.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecation_message: String::new(),
    }
}

fn parameter(p: &Parameter) -> pb::function::Parameter {
    pb::function::Parameter {
        name: p.name.clone(),
        r#type: p.ty.to_json().into_bytes(),
        allow_null_value: p.allow_null,
        allow_unknown_values: p.allow_unknown,
        description: p.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
    }
}

/// Decodes a DynamicValue of type `ty`: msgpack when present, else JSON, else null.
pub(crate) fn decode(
    ty: &Type,
    dv: Option<&pb::DynamicValue>,
    what: &str,
) -> Result<Value, Diagnostics> {
    let Some(dv) = dv else { return Ok(Value::Null) };
    let result = if !dv.msgpack.is_empty() {
        msgpack::decode(ty, &dv.msgpack)
    } else if !dv.json.is_empty() {
        json::decode(ty, &dv.json)
    } else {
        Ok(Value::Null)
    };
    result.map_err(|e| {
        Diagnostic::error(
            "Invalid Value From Terraform",
            format!("The provider could not decode the {what}: {e}. This is a bug in the provider or in Terraform."),
        )
        .into()
    })
}

/// Encodes a value of type `ty` as msgpack.
pub(crate) fn encode(
    ty: &Type,
    value: &Value,
    what: &str,
) -> Result<pb::DynamicValue, Diagnostics> {
    msgpack::encode(ty, value)
        .map(|bytes| pb::DynamicValue {
            msgpack: bytes,
            json: Vec::new(),
        })
        .map_err(|e| {
            Diagnostic::error(
                "Provider Produced An Unencodable Value",
                format!(
                    "The {what} does not match its schema: {e}. This is a bug in the provider."
                ),
            )
            .into()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_and_nested_block_has_a_block() {
        let s = Schema::new(2)
            .attribute(Attribute::string("a", Presence::OptionalComputed).sensitive())
            .block(NestedBlock::single(
                "b",
                Block::new().attribute(Attribute::string("c", Presence::Required)),
            ));
        let wire = schema(&s);
        let b = wire.block.unwrap();
        assert_eq!(b.version, 2);
        let a = &b.attributes[0];
        assert!(a.optional && a.computed && !a.required && a.sensitive);
        assert_eq!(a.r#type, b"\"string\"");
        let nb = &b.block_types[0];
        assert!(nb.block.is_some());
        assert_eq!(
            nb.nesting,
            pb::schema::nested_block::NestingMode::Single as i32
        );
    }

    #[test]
    fn nested_attributes_carry_nested_type_and_no_type() {
        let s = Schema::new(0).attribute(
            Attribute::nested(
                "images",
                Nesting::Map,
                Block::new()
                    .attribute(Attribute::string("repository", Presence::Required))
                    .attribute(Attribute::string("digest", Presence::Computed).sensitive()),
                Presence::Required,
            )
            .description("Images."),
        );
        let wire = schema(&s);
        let a = &wire.block.unwrap().attributes[0];
        assert!(a.r#type.is_empty(), "type and nested_type are exclusive");
        assert!(a.required && !a.optional && !a.computed);
        let nested = a.nested_type.as_ref().expect("nested_type");
        assert_eq!(nested.nesting, pb::schema::object::NestingMode::Map as i32);
        let members: Vec<(&str, bool, bool, bool, &[u8])> = nested
            .attributes
            .iter()
            .map(|m| {
                (
                    m.name.as_str(),
                    m.required,
                    m.computed,
                    m.sensitive,
                    m.r#type.as_slice(),
                )
            })
            .collect();
        assert_eq!(
            members,
            [
                ("repository", true, false, false, &b"\"string\""[..]),
                ("digest", false, true, true, &b"\"string\""[..]),
            ]
        );
    }

    #[test]
    fn paths_round_trip() {
        let p = AttributePath::attr("a").then_index(3).then_key("k");
        assert_eq!(path_from_wire(&attribute_path(&p)), p);
    }

    #[test]
    fn diagnostics_keep_severity_and_path() {
        let d = Diagnostic::warning("W", "d").at(AttributePath::attr("x"));
        let wire = diagnostics(d.into());
        assert_eq!(wire[0].severity, pb::diagnostic::Severity::Warning as i32);
        assert!(wire[0].attribute.is_some());
    }

    #[test]
    fn absent_dynamic_value_is_null() {
        assert_eq!(decode(&Type::String, None, "x").unwrap(), Value::Null);
        let empty = pb::DynamicValue::default();
        assert_eq!(
            decode(&Type::String, Some(&empty), "x").unwrap(),
            Value::Null
        );
    }
}
