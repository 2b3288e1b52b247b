//! The two walks over a schema: [`check_block`] finds declaration mistakes (what Terraform
//! refuses when it loads a schema, plus our own rules), and [`validate_block`] runs the declared
//! validators on a configuration, pointing at each offending attribute, nested member or block.

use std::collections::BTreeSet;

use super::{Attribute, Block, Nesting, Presence};
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::value::{Type, Value};

/// Pushes every declaration problem of `block` (at `path`, dotted) to `problems`.
pub(super) fn check_block(block: &Block, path: &str, problems: &mut Vec<String>) {
    let mut seen = BTreeSet::new();
    for a in &block.attributes {
        let here = join(path, &a.name);
        if !valid_name(&a.name) {
            problems.push(format!("{here}: name must match ^[a-z0-9_]+$"));
        }
        if !seen.insert(a.name.as_str()) {
            problems.push(format!("{here}: declared twice"));
        }
        check_attribute(a, &here, problems);
    }
    for b in &block.blocks {
        let here = join(path, &b.name);
        if !valid_name(&b.name) {
            problems.push(format!("{here}: name must match ^[a-z0-9_]+$"));
        }
        if !seen.insert(b.name.as_str()) {
            problems.push(format!("{here}: declared twice"));
        }
        match b.nesting {
            Nesting::Map => problems.push(format!(
                "{here}: map nesting is for nested attributes, not blocks"
            )),
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
        check_block(&b.block, &here, problems);
    }
}

fn check_attribute(a: &Attribute, here: &str, problems: &mut Vec<String>) {
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
    let Some(nested) = &a.nested else {
        if contains_dynamic_in_set(&a.ty, false) {
            problems.push(format!("{here}: a set cannot hold dynamic values"));
        }
        return;
    };
    let object = &nested.object;
    if !object.blocks.is_empty() {
        problems.push(format!(
            "{here}: the object of a nested attribute holds attributes only, not blocks"
        ));
    }
    if object.attributes.is_empty() {
        problems.push(format!("{here}: a nested attribute needs members"));
    }
    if a.ty != nested.implied_type() {
        problems.push(format!(
            "{here}: the declared type does not match the nested object"
        ));
    }
    if nested.nesting == Nesting::Set && contains_dynamic_in_set(&a.ty, false) {
        problems.push(format!("{here}: set nesting cannot hold dynamic members"));
    }
    if a.presence == Presence::Computed {
        // The configuration cannot set any member of an attribute only the provider sets.
        for m in &object.attributes {
            if m.presence != Presence::Computed {
                problems.push(format!(
                    "{here}.{}: a member of a computed-only nested attribute must be computed-only",
                    m.name
                ));
            }
        }
    }
    check_block(object, here, problems);
}

/// True when a `dynamic` type appears inside a set (cty cannot hash mixed-type set elements).
fn contains_dynamic_in_set(ty: &Type, in_set: bool) -> bool {
    match ty {
        Type::Dynamic => in_set,
        Type::List(t) | Type::Map(t) => contains_dynamic_in_set(t, in_set),
        Type::Set(t) => contains_dynamic_in_set(t, true),
        Type::Object(fields) => fields.values().any(|t| contains_dynamic_in_set(t, in_set)),
        Type::Tuple(items) => items.iter().any(|t| contains_dynamic_in_set(t, in_set)),
        Type::String | Type::Number | Type::Bool => false,
    }
}

/// Runs the validators of `block` on `value` (an object of it, or null/unknown), recursively
/// through nested attributes and blocks; checks block counts.
pub(super) fn validate_block(
    block: &Block,
    value: &Value,
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    if !matches!(value, Value::Map(_)) {
        return;
    }
    for a in &block.attributes {
        let v = value.attr(&a.name);
        if v.is_null() || v.is_unknown() {
            continue;
        }
        let here = path.clone().then_attr(&a.name);
        if v.is_wholly_known() {
            for validator in &a.validators {
                validator.validate(v, &here, diags);
            }
        }
        if let Some(nested) = &a.nested {
            for (element, element_path) in elements(nested.nesting, v, &here) {
                validate_block(&nested.object, element, &element_path, diags);
            }
        }
    }
    for b in &block.blocks {
        let v = value.attr(&b.name);
        let here = path.clone().then_attr(&b.name);
        if b.nesting != Nesting::Single && !v.is_unknown() {
            let count = i64::try_from(v.elements().len()).unwrap_or(i64::MAX);
            if count < b.min_items || (b.max_items > 0 && count > b.max_items) {
                diags.push(
                    Diagnostic::error(
                        "Wrong Number of Blocks",
                        format!(
                            "Between {} and {} \"{}\" blocks are allowed; the configuration has {count}.",
                            b.min_items,
                            if b.max_items == 0 {
                                "any number of".to_owned()
                            } else {
                                b.max_items.to_string()
                            },
                            b.name
                        ),
                    )
                    .at(here.clone()),
                );
            }
        }
        for (element, element_path) in elements(b.nesting, v, &here) {
            validate_block(&b.block, element, &element_path, diags);
        }
    }
}

/// The objects inside a nested value with the path of each: the value itself (single), each
/// list element by index, each map element by key, or each set element at the set's own path
/// (set elements are not addressable). Unknown collections have none.
pub(crate) fn elements<'v>(
    nesting: Nesting,
    value: &'v Value,
    path: &AttributePath,
) -> Vec<(&'v Value, AttributePath)> {
    match (nesting, value) {
        (Nesting::Single, v) => vec![(v, path.clone())],
        (Nesting::List, Value::List(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (v, path.clone().then_index(index(i))))
            .collect(),
        (Nesting::Set, Value::List(items)) => items.iter().map(|v| (v, path.clone())).collect(),
        (Nesting::Map, Value::Map(entries)) => entries
            .iter()
            .map(|(k, v)| (v, path.clone().then_key(k)))
            .collect(),
        _ => Vec::new(),
    }
}

fn index(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(i64::MAX)
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
