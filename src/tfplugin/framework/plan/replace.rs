//! `requires_replace` from the schema: the paths of attributes and nested members declared
//! `requires_replace()` whose planned value differs from the prior one.

use crate::tfplugin::diagnostics::AttributePath;
use crate::tfplugin::framework::shape::index;
use crate::tfplugin::schema::{Attribute, Block, Nesting, Schema};
use crate::tfplugin::value::Value;

/// Paths of attributes declared `requires_replace()` whose planned value differs from the
/// prior one (an unknown planned value counts as a change). Empty on create.
///
/// Inside nested attributes the paths name the member (`images["api"].repository`) of an
/// object that exists in both the prior and the planned state: adding or removing an object
/// (a map key, a list element, the single object) is not a change of its members. Set elements
/// have no address: a difference anywhere in a set whose objects have such a member names the
/// whole attribute.
pub(crate) fn replace_paths(schema: &Schema, prior: &Value, planned: &Value) -> Vec<AttributePath> {
    let mut out = Vec::new();
    if !prior.is_null() && !planned.is_null() {
        collect_replace(
            schema.root(),
            prior,
            planned,
            &AttributePath::root(),
            &mut out,
        );
    }
    let mut unique = Vec::with_capacity(out.len());
    for path in out {
        if !unique.contains(&path) {
            unique.push(path);
        }
    }
    unique
}

fn collect_replace(
    block: &Block,
    prior: &Value,
    planned: &Value,
    path: &AttributePath,
    out: &mut Vec<AttributePath>,
) {
    for a in block.attributes() {
        let (p, n) = (prior.attr(a.name()), planned.attr(a.name()));
        let here = path.clone().then_attr(a.name());
        if a.requires_replace && (p != n || !n.is_wholly_known()) {
            out.push(here.clone());
        }
        if a.nested_type().is_some() {
            collect_nested(a, p, n, &here, out);
        }
    }
    for b in block.blocks() {
        let here = path.clone().then_attr(b.name());
        let (p, n) = (prior.attr(b.name()), planned.attr(b.name()));
        match b.nesting() {
            Nesting::Single => collect_replace(b.block(), p, n, &here, out),
            Nesting::List => {
                for (i, item) in n.elements().iter().enumerate() {
                    let prior_item = p.elements().get(i).unwrap_or(&Value::Null);
                    if prior_item.is_null() {
                        // A new block element: any requires_replace attribute in it changed.
                        if has_replace_attr(b.block()) {
                            out.push(here.clone());
                            break;
                        }
                        continue;
                    }
                    collect_replace(
                        b.block(),
                        prior_item,
                        item,
                        &here.clone().then_index(index(i)),
                        out,
                    );
                }
                if n.elements().len() < p.elements().len() && has_replace_attr(b.block()) {
                    out.push(here.clone());
                }
            }
            Nesting::Set | Nesting::Map => {
                // Unaddressable elements: any difference in a set containing replace-flagged
                // attributes replaces.
                if has_replace_attr(b.block()) && p != n {
                    out.push(here);
                }
            }
        }
    }
}

/// The members of a nested attribute's objects, compared object by object.
fn collect_nested(
    a: &Attribute,
    prior: &Value,
    planned: &Value,
    path: &AttributePath,
    out: &mut Vec<AttributePath>,
) {
    let Some(nested) = a.nested_type() else {
        return;
    };
    let object = nested.object();
    if !has_replace_attr(object) || (prior.is_null() && planned.is_null()) {
        return;
    }
    if prior.is_unknown() || planned.is_unknown() {
        // Which objects there will be is not known: the members cannot be addressed.
        out.push(path.clone());
        return;
    }
    // Objects present on both sides, with their paths.
    let pairs: Vec<(&Value, &Value, AttributePath)> = match (nested.nesting(), prior, planned) {
        (Nesting::Single, p, n) => vec![(p, n, path.clone())],
        (Nesting::List, Value::List(p), Value::List(n)) => p
            .iter()
            .zip(n)
            .enumerate()
            .map(|(i, (p, n))| (p, n, path.clone().then_index(index(i))))
            .collect(),
        (Nesting::Map, Value::Map(p), Value::Map(n)) => p
            .iter()
            .filter_map(|(key, p)| Some((p, n.get(key)?, path.clone().then_key(key.as_str()))))
            .collect(),
        (Nesting::Set, _, _) => {
            if prior != planned {
                out.push(path.clone());
            }
            return;
        }
        _ => Vec::new(),
    };
    for (p, n, here) in pairs {
        if !p.is_null() && !n.is_null() {
            collect_replace(object, p, n, &here, out);
        }
    }
}

fn has_replace_attr(block: &Block) -> bool {
    block.attributes().iter().any(|a| {
        a.requires_replace
            || a.nested_type()
                .is_some_and(|n| has_replace_attr(n.object()))
    }) || block.blocks().iter().any(|b| has_replace_attr(b.block()))
}
