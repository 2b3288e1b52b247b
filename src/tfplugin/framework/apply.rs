//! Terraform's rules for results (apply, read, import, upgrade, data sources): a result is
//! wholly known, has the schema's shape, and keeps every value that was known in the plan
//! (`objchange.AssertObjectCompatible`; otherwise "Provider produced inconsistent result after
//! apply").

use super::shape::{Problems, check_object, index, show, unknown_paths};
use crate::tfplugin::diagnostics::AttributePath;
use crate::tfplugin::schema::{Block, NestedType, Nesting, Schema};
use crate::tfplugin::value::{Type, Value};

/// Checks that `value` is a complete, wholly known object of `schema`.
pub(crate) fn check_known_object(schema: &Schema, value: &Value) -> Problems {
    let mut problems = Problems::new();
    let root = AttributePath::root();
    check_object(schema.root(), value, &root, &mut problems);
    let mut unknown = Vec::new();
    unknown_paths(&schema.implied_type(), value, &root, &mut unknown);
    problems.extend(unknown.into_iter().map(|p| {
        (
            p,
            "value is still unknown; a result must be wholly known".to_owned(),
        )
    }));
    problems
}

/// Checks an apply result against the plan: the result's own rules, then every value known in
/// `planned` unchanged in `new`.
pub(crate) fn check_result(schema: &Schema, planned: &Value, new: &Value) -> Problems {
    let mut problems = check_known_object(schema, new);
    if problems.is_empty() {
        compare_block(
            schema.root(),
            planned,
            new,
            &AttributePath::root(),
            &mut problems,
        );
    }
    problems
}

fn compare_block(
    block: &Block,
    planned: &Value,
    new: &Value,
    path: &AttributePath,
    problems: &mut Problems,
) {
    if planned.is_unknown() {
        return;
    }
    if planned.is_null() != new.is_null() {
        problems.push((
            path.clone(),
            format!("was {}, but now {}", show(planned), show(new)),
        ));
        return;
    }
    for a in block.attributes() {
        let here = path.clone().then_attr(a.name());
        let (p, n) = (planned.attr(a.name()), new.attr(a.name()));
        let before = problems.len();
        match a.nested_type() {
            Some(nested) => compare_nested(nested, p, n, &here, problems),
            None => compare_value(a.ty(), p, n, &here, problems),
        }
        if a.sensitive {
            for problem in &mut problems[before..] {
                problem.1 = "a sensitive value changed from its planned value".to_owned();
            }
        }
    }
    for b in block.blocks() {
        let here = path.clone().then_attr(b.name());
        let (p, n) = (planned.attr(b.name()), new.attr(b.name()));
        match b.nesting() {
            Nesting::Single => compare_block(b.block(), p, n, &here, problems),
            Nesting::List => {
                if p.is_unknown() {
                    continue;
                }
                if p.elements().len() != n.elements().len() {
                    problems.push((
                        here,
                        format!(
                            "block count changed from {} to {}",
                            p.elements().len(),
                            n.elements().len()
                        ),
                    ));
                    continue;
                }
                for (i, (pi, ni)) in p.elements().iter().zip(n.elements()).enumerate() {
                    compare_block(
                        b.block(),
                        pi,
                        ni,
                        &here.clone().then_index(index(i)),
                        problems,
                    );
                }
            }
            Nesting::Set | Nesting::Map => {
                if p.is_wholly_known() && !same_set(p.elements(), n.elements()) {
                    problems.push((
                        here,
                        "the set of blocks changed from its planned value".into(),
                    ));
                } else if n.elements().len() > p.elements().len() {
                    problems.push((
                        here,
                        "the set of blocks grew beyond its planned size".into(),
                    ));
                }
            }
        }
    }
}

/// A nested attribute: each object compared member by member (so sensitive members stay
/// hidden), with the objects correlated by index or key; sets as values.
fn compare_nested(
    nested: &NestedType,
    planned: &Value,
    new: &Value,
    path: &AttributePath,
    problems: &mut Problems,
) {
    if planned.is_unknown() {
        return;
    }
    if planned.is_null() != new.is_null() {
        problems.push((
            path.clone(),
            format!("was {}, but now {}", show(planned), show(new)),
        ));
        return;
    }
    let object = nested.object();
    match (nested.nesting(), planned, new) {
        (Nesting::Single, _, _) => compare_block(object, planned, new, path, problems),
        (Nesting::List, Value::List(p), Value::List(n)) => {
            if p.len() != n.len() {
                problems.push((
                    path.clone(),
                    format!("element count changed from {} to {}", p.len(), n.len()),
                ));
                return;
            }
            for (i, (pi, ni)) in p.iter().zip(n).enumerate() {
                compare_block(object, pi, ni, &path.clone().then_index(index(i)), problems);
            }
        }
        (Nesting::Map, Value::Map(p), Value::Map(n)) => {
            if p.keys().ne(n.keys()) {
                let keys = |m: &std::collections::BTreeMap<String, Value>| {
                    m.keys().cloned().collect::<Vec<_>>().join(", ")
                };
                problems.push((
                    path.clone(),
                    format!("the keys were [{}], but now [{}]", keys(p), keys(n)),
                ));
                return;
            }
            for (key, pi) in p {
                compare_block(object, pi, &n[key], &path.clone().then_key(key), problems);
            }
        }
        _ => compare_value(&nested.implied_type(), planned, new, path, problems),
    }
}

fn compare_value(
    ty: &Type,
    planned: &Value,
    new: &Value,
    path: &AttributePath,
    problems: &mut Problems,
) {
    if planned.is_unknown() {
        return;
    }
    if planned.is_null() || new.is_null() {
        if planned.is_null() != new.is_null() {
            problems.push((
                path.clone(),
                format!("was {}, but now {}", show(planned), show(new)),
            ));
        }
        return;
    }
    match (ty, planned, new) {
        (Type::Object(fields), Value::Map(_), Value::Map(_)) => {
            for (name, fty) in fields {
                compare_value(
                    fty,
                    planned.attr(name),
                    new.attr(name),
                    &path.clone().then_attr(name),
                    problems,
                );
            }
        }
        (Type::Map(elem), Value::Map(p), Value::Map(n)) => {
            if p.keys().ne(n.keys()) {
                problems.push((
                    path.clone(),
                    format!("was {}, but now {}", show(planned), show(new)),
                ));
                return;
            }
            for (key, pv) in p {
                compare_value(elem, pv, &n[key], &path.clone().then_key(key), problems);
            }
        }
        (Type::List(elem), Value::List(p), Value::List(n)) => {
            if p.len() != n.len() {
                problems.push((
                    path.clone(),
                    format!("was {}, but now {}", show(planned), show(new)),
                ));
                return;
            }
            for (i, (pv, nv)) in p.iter().zip(n).enumerate() {
                compare_value(elem, pv, nv, &path.clone().then_index(index(i)), problems);
            }
        }
        (Type::Tuple(elems), Value::List(p), Value::List(n)) => {
            for (i, ((ety, pv), nv)) in elems.iter().zip(p).zip(n).enumerate() {
                compare_value(ety, pv, nv, &path.clone().then_index(index(i)), problems);
            }
        }
        (Type::Set(_), Value::List(p), Value::List(n)) => {
            if planned.is_wholly_known() && !same_set(p, n) {
                problems.push((
                    path.clone(),
                    format!("was {}, but now {}", show(planned), show(new)),
                ));
            } else if n.len() > p.len() {
                problems.push((path.clone(), "the set grew beyond its planned size".into()));
            }
        }
        _ => {
            if planned.is_wholly_known() && planned != new {
                problems.push((
                    path.clone(),
                    format!("was {}, but now {}", show(planned), show(new)),
                ));
            }
        }
    }
}

/// Order-insensitive equality of two sets' elements.
fn same_set(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x)) && b.iter().all(|x| a.contains(x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::schema::{Attribute, NestedBlock, Presence};

    fn schema() -> Schema {
        Schema::new(0)
            .attribute(Attribute::string("name", Presence::Required))
            .attribute(Attribute::string("id", Presence::Computed))
            .attribute(Attribute::string("secret", Presence::Computed).sensitive())
            .attribute(Attribute::string_set("tags", Presence::Computed))
            .block(NestedBlock::list(
                "item",
                Block::new().attribute(Attribute::string("v", Presence::Optional)),
            ))
    }

    fn obj(id: Value, secret: Value, tags: Value, items: Vec<Value>) -> Value {
        Value::object([
            ("name", Value::string("a")),
            ("id", id),
            ("secret", secret),
            ("tags", tags),
            ("item", Value::List(items)),
        ])
    }

    fn set(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::string(*s)).collect())
    }

    #[test]
    fn unknown_planned_values_may_become_anything() {
        let planned = obj(Value::Unknown, Value::Unknown, Value::Unknown, vec![]);
        let new = obj(
            Value::string("i-1"),
            Value::string("s"),
            set(&["x"]),
            vec![],
        );
        assert!(check_result(&schema(), &planned, &new).is_empty());
    }

    #[test]
    fn known_planned_values_must_not_change() {
        let planned = obj(
            Value::string("i-1"),
            Value::string("s"),
            set(&["a", "b"]),
            vec![],
        );
        let new = obj(
            Value::string("i-2"),
            Value::string("t"),
            set(&["b", "a"]),
            vec![],
        );
        let problems = check_result(&schema(), &planned, &new);
        let paths: Vec<String> = problems.iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(paths, ["id", "secret"], "set order does not matter");
        assert!(problems[0].1.contains("\"i-1\"") && problems[0].1.contains("\"i-2\""));
        assert!(
            !problems[1].1.contains("\"s\""),
            "sensitive values are not shown"
        );
    }

    #[test]
    fn results_must_be_wholly_known() {
        let planned = obj(Value::Unknown, Value::Null, set(&[]), vec![]);
        let new = obj(Value::Unknown, Value::Null, set(&[]), vec![]);
        let problems = check_result(&schema(), &planned, &new);
        assert_eq!(problems[0].0.to_string(), "id");
    }

    #[test]
    fn block_counts_must_match() {
        let item = Value::object([("v", Value::string("x"))]);
        let planned = obj(Value::Unknown, Value::Null, set(&[]), vec![item.clone()]);
        let new = obj(
            Value::string("i"),
            Value::Null,
            set(&[]),
            vec![item.clone(), item],
        );
        let problems = check_result(&schema(), &planned, &new);
        assert_eq!(problems[0].0.to_string(), "item");
    }

    #[test]
    fn null_must_stay_null() {
        let planned = obj(Value::Unknown, Value::Null, set(&[]), vec![]);
        let new = obj(
            Value::string("i"),
            Value::string("appeared"),
            set(&[]),
            vec![],
        );
        assert_eq!(
            check_result(&schema(), &planned, &new)[0].0.to_string(),
            "secret"
        );
    }

    fn nested_schema() -> Schema {
        let member = Block::new()
            .attribute(Attribute::string("id", Presence::Computed))
            .attribute(Attribute::string("token", Presence::Computed).sensitive());
        Schema::new(0)
            .attribute(Attribute::nested(
                "by_key",
                Nesting::Map,
                member.clone(),
                Presence::Computed,
            ))
            .attribute(Attribute::nested(
                "in_order",
                Nesting::List,
                member,
                Presence::Computed,
            ))
    }

    fn member(id: Value, token: Value) -> Value {
        Value::object([("id", id), ("token", token)])
    }

    fn nested(by_key: Vec<(&str, Value)>, in_order: Vec<Value>) -> Value {
        Value::object([
            ("by_key", Value::object(by_key)),
            ("in_order", Value::List(in_order)),
        ])
    }

    #[test]
    fn nested_members_known_in_the_plan_must_not_change() {
        let planned = nested(
            vec![("api", member(Value::string("d-1"), Value::Unknown))],
            vec![member(Value::Unknown, Value::string("secret"))],
        );
        let fine = nested(
            vec![("api", member(Value::string("d-1"), Value::string("t")))],
            vec![member(Value::string("x"), Value::string("secret"))],
        );
        assert_eq!(check_result(&nested_schema(), &planned, &fine), vec![]);

        let changed = nested(
            vec![("api", member(Value::string("d-2"), Value::string("t")))],
            vec![member(Value::string("x"), Value::string("leaked"))],
        );
        let problems = check_result(&nested_schema(), &planned, &changed);
        let paths: Vec<String> = problems.iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(paths, ["by_key[\"api\"].id", "in_order[0].token"]);
        assert!(problems[0].1.contains("\"d-1\"") && problems[0].1.contains("\"d-2\""));
        assert!(
            !problems[1].1.contains("secret") && !problems[1].1.contains("leaked"),
            "sensitive members are not shown: {}",
            problems[1].1
        );
    }

    #[test]
    fn nested_objects_may_not_appear_or_vanish() {
        let planned = nested(
            vec![("api", member(Value::Unknown, Value::Unknown))],
            vec![member(Value::Unknown, Value::Unknown)],
        );
        let new = nested(
            vec![
                ("api", member(Value::string("a"), Value::string("t"))),
                ("web", member(Value::string("b"), Value::string("t"))),
            ],
            vec![],
        );
        let problems = check_result(&nested_schema(), &planned, &new);
        let paths: Vec<String> = problems.iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(paths, ["by_key", "in_order"], "{problems:?}");
        assert!(problems[0].1.contains("[api]") && problems[0].1.contains("[api, web]"));
    }
}
