//! Shape checks shared by the plan and apply rules: every object carries exactly the
//! attributes and blocks of its schema, no unknowns where Terraform forbids them, and short
//! renderings of values for error messages.

use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::schema::{Block, Nesting, elements};
use crate::tfplugin::value::{Number, Type, Value};

/// Rule violations found in a value: where, and what.
pub(crate) type Problems = Vec<(AttributePath, String)>;

/// Checks that `value` (an object of `block`, or null/unknown) has every attribute and nested
/// block of the schema and nothing else, recursively.
pub(crate) fn check_object(
    block: &Block,
    value: &Value,
    path: &AttributePath,
    problems: &mut Problems,
) {
    let fields = match value {
        Value::Null | Value::Unknown => return,
        Value::Map(fields) => fields,
        other => {
            problems.push((
                path.clone(),
                format!("expected an object, got {}", show(other)),
            ));
            return;
        }
    };
    for a in block.attributes() {
        let here = path.clone().then_attr(a.name());
        match (fields.get(a.name()), a.nested_type()) {
            (None, _) => problems.push((here, "attribute missing from the object".into())),
            (Some(v), Some(nested)) => {
                for (element, element_path) in elements(nested.nesting(), v, &here) {
                    check_object(nested.object(), element, &element_path, problems);
                }
            }
            (Some(_), None) => {}
        }
    }
    for b in block.blocks() {
        let here = path.clone().then_attr(b.name());
        match (fields.get(b.name()), b.nesting()) {
            (None, _) => problems.push((here, "nested block missing from the object".into())),
            (Some(v), Nesting::Single) => check_object(b.block(), v, &here, problems),
            (Some(Value::List(items)), Nesting::List | Nesting::Set) => {
                for (i, item) in items.iter().enumerate() {
                    let item_path = here.clone().then_index(index(i));
                    if item.is_unknown() {
                        problems.push((
                            item_path,
                            "a nested block element must not be unknown itself".into(),
                        ));
                    } else {
                        check_object(b.block(), item, &item_path, problems);
                    }
                }
            }
            (Some(Value::Unknown), _) => {}
            (Some(other), _) => problems.push((
                here,
                format!(
                    "a repeated nested block must be a (possibly empty) list, got {}",
                    show(other)
                ),
            )),
        }
    }
    for name in fields.keys() {
        if block.get_attribute(name).is_none() && !block.blocks().iter().any(|b| b.name() == name) {
            problems.push((
                path.clone().then_attr(name),
                "attribute not in the schema".into(),
            ));
        }
    }
}

/// Paths of every unknown value inside `value` of type `ty`.
pub(crate) fn unknown_paths(
    ty: &Type,
    value: &Value,
    path: &AttributePath,
    out: &mut Vec<AttributePath>,
) {
    match (ty, value) {
        (_, Value::Unknown) => out.push(path.clone()),
        (Type::Object(fields), Value::Map(values)) => {
            for (name, v) in values {
                let fty = fields.get(name).unwrap_or(&Type::Dynamic);
                unknown_paths(fty, v, &path.clone().then_attr(name), out);
            }
        }
        (Type::Map(elem), Value::Map(values)) => {
            for (key, v) in values {
                unknown_paths(elem, v, &path.clone().then_key(key), out);
            }
        }
        (Type::List(elem), Value::List(items)) => {
            for (i, v) in items.iter().enumerate() {
                unknown_paths(elem, v, &path.clone().then_index(index(i)), out);
            }
        }
        (Type::Set(elem), Value::List(items)) => {
            // Set elements have no address: report the set.
            if items.iter().any(|v| !v.is_wholly_known()) {
                out.push(path.clone());
            }
            let _ = elem;
        }
        (Type::Tuple(elems), Value::List(items)) => {
            for (i, (ety, v)) in elems.iter().zip(items).enumerate() {
                unknown_paths(ety, v, &path.clone().then_index(index(i)), out);
            }
        }
        (_, v) if !v.is_wholly_known() => out.push(path.clone()),
        _ => {}
    }
}

/// Replaces every unknown inside `value` with null (what Terraform does itself with an
/// invalid apply result), so that a truthful partial state can still be saved.
pub(crate) fn nullify_unknowns(value: &mut Value) {
    match value {
        Value::Unknown => *value = Value::Null,
        Value::List(items) => items.iter_mut().for_each(nullify_unknowns),
        Value::Map(fields) => fields.values_mut().for_each(nullify_unknowns),
        Value::Dynamic(_, inner) => nullify_unknowns(inner),
        _ => {}
    }
}

/// Turns problems into error diagnostics naming the attribute: `summary` is shown as-is,
/// `context` introduces each problem ("tagdeploy_x planned …").
pub(crate) fn to_diagnostics(summary: &str, context: &str, problems: Problems) -> Diagnostics {
    problems
        .into_iter()
        .map(|(path, message)| {
            let at = if path.is_root() {
                "the resource".to_owned()
            } else {
                format!("\"{path}\"")
            };
            let detail = format!(
                "{context}: {at}: {message}.\n\nThis is a bug in the provider; please report it."
            );
            let d = Diagnostic::error(summary, detail);
            if path.is_root() { d } else { d.at(path) }
        })
        .collect()
}

/// A short rendering of a value for messages (strings quoted, long values cut).
pub(crate) fn show(value: &Value) -> String {
    let mut s = String::new();
    render(value, &mut s);
    if s.chars().count() > 120 {
        s = s.chars().take(117).collect::<String>() + "...";
    }
    s
}

fn render(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Unknown => out.push_str("(known after apply)"),
        Value::String(s) => out.push_str(&format!("{s:?}")),
        Value::Bool(b) => out.push_str(&b.to_string()),
        Value::Number(Number::Int(n)) => out.push_str(&n.to_string()),
        Value::Number(Number::UInt(n)) => out.push_str(&n.to_string()),
        Value::Number(Number::Float(n)) => out.push_str(&n.to_string()),
        Value::Number(Number::Decimal(n)) => out.push_str(n),
        Value::List(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(v, out);
            }
            out.push(']');
        }
        Value::Map(fields) => {
            out.push('{');
            for (i, (k, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push_str(" = ");
                render(v, out);
            }
            out.push('}');
        }
        Value::Dynamic(_, inner) => render(inner, out),
    }
}

pub(crate) fn index(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::schema::{Attribute, NestedBlock, Presence, Schema};

    fn schema() -> Schema {
        Schema::new(0)
            .attribute(Attribute::string("a", Presence::Optional))
            .block(NestedBlock::list(
                "b",
                Block::new().attribute(Attribute::string("c", Presence::Optional)),
            ))
    }

    #[test]
    fn missing_extra_and_null_list_blocks_are_reported() {
        let v = Value::object([("x", Value::Null), ("b", Value::Null)]);
        let mut problems = Problems::new();
        check_object(schema().root(), &v, &AttributePath::root(), &mut problems);
        let paths: Vec<String> = problems.iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(paths, ["a", "b", "x"]);
    }

    #[test]
    fn unknown_paths_follow_the_type() {
        let s = schema();
        let v = Value::object([
            ("a", Value::Unknown),
            (
                "b",
                Value::List(vec![Value::object([("c", Value::Unknown)])]),
            ),
        ]);
        let mut out = Vec::new();
        unknown_paths(&s.implied_type(), &v, &AttributePath::root(), &mut out);
        let paths: Vec<String> = out.iter().map(ToString::to_string).collect();
        assert_eq!(paths, ["a", "b[0].c"]);
        let mut v = v;
        nullify_unknowns(&mut v);
        assert!(v.is_wholly_known());
    }

    #[test]
    fn show_quotes_and_truncates() {
        assert_eq!(show(&Value::string("x")), "\"x\"");
        assert!(show(&Value::string("y".repeat(500))).ends_with("..."));
    }
}
