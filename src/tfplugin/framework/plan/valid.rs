//! The final plan against the configuration and the prior state, with the rules Terraform
//! applies (`objchange.AssertPlanValid`), for attributes, nested attributes and nested blocks.

use std::collections::BTreeSet;

use crate::tfplugin::diagnostics::AttributePath;
use crate::tfplugin::framework::shape::{Problems, check_object, index, show};
use crate::tfplugin::schema::{Attribute, Block, NestedType, Nesting, Presence, Schema};
use crate::tfplugin::value::Value;

/// Checks a final plan against the configuration and prior state with Terraform's rules, plus
/// the object shape. Returns every violation.
pub(crate) fn check(schema: &Schema, prior: &Value, config: &Value, planned: &Value) -> Problems {
    let mut problems = Problems::new();
    let root = AttributePath::root();
    if planned.is_unknown() {
        problems.push((
            root,
            "the planned object must not be unknown as a whole".into(),
        ));
        return problems;
    }
    check_object(schema.root(), planned, &root, &mut problems);
    if problems.is_empty() {
        check_block(schema.root(), prior, config, planned, &root, &mut problems);
    }
    problems
}

fn check_block(
    block: &Block,
    prior: &Value,
    config: &Value,
    planned: &Value,
    path: &AttributePath,
    problems: &mut Problems,
) {
    if planned.is_null() && !config.is_null() {
        problems.push((
            path.clone(),
            "planned for absence but the configuration wants it".into(),
        ));
        return;
    }
    if config.is_null() && !planned.is_null() {
        problems.push((
            path.clone(),
            "planned for existence but the configuration wants absence".into(),
        ));
        return;
    }
    if planned.is_null() {
        return;
    }
    for a in block.attributes() {
        let here = path.clone().then_attr(a.name());
        let before = problems.len();
        check_attribute(
            a,
            prior.attr(a.name()),
            config.attr(a.name()),
            planned.attr(a.name()),
            &here,
            problems,
        );
        if a.is_sensitive() && a.nested_type().is_some() {
            // Members of a sensitive object are not shown either.
            for problem in &mut problems[before..] {
                problem.1 = "a sensitive planned value does not match the configuration".into();
            }
        }
    }
    for b in block.blocks() {
        let here = path.clone().then_attr(b.name());
        let (p, c, n) = (
            prior.attr(b.name()),
            config.attr(b.name()),
            planned.attr(b.name()),
        );
        if n == c {
            continue;
        }
        if c.is_unknown() {
            problems.push((
                here,
                "planned a value for a dynamic block whose contents are unknown".into(),
            ));
            continue;
        }
        if n.is_unknown() {
            problems.push((here, "planned unknown for a configured block".into()));
            continue;
        }
        match b.nesting() {
            Nesting::Single => check_block(b.block(), p, c, n, &here, problems),
            Nesting::List => {
                let (planned_items, config_items) = (n.elements(), c.elements());
                if planned_items.len() != config_items.len() {
                    problems.push((
                        here,
                        count_mismatch(planned_items.len(), config_items.len()),
                    ));
                    continue;
                }
                for (i, (pi, ci)) in planned_items.iter().zip(config_items).enumerate() {
                    let prior_item = p.elements().get(i).unwrap_or(&Value::Null);
                    check_block(
                        b.block(),
                        prior_item,
                        ci,
                        pi,
                        &here.clone().then_index(index(i)),
                        problems,
                    );
                }
            }
            // Terraform cannot correlate set elements either; the shape check covered them.
            // (Map nesting is for nested attributes; `Schema::check` refuses it on blocks.)
            Nesting::Set | Nesting::Map => {}
        }
    }
}

fn check_attribute(
    a: &Attribute,
    prior: &Value,
    config: &Value,
    planned: &Value,
    path: &AttributePath,
    problems: &mut Problems,
) {
    if planned == config {
        return;
    }
    if planned == prior && !prior.is_null() && !config.is_null() {
        // The provider kept the prior value as equivalent to the configured one.
        return;
    }
    let shown = |v: &Value| {
        if a.is_sensitive() {
            "(sensitive value)".to_owned()
        } else {
            show(v)
        }
    };
    let message = match a.presence() {
        Presence::Computed => return,
        _ if config.is_null() && a.presence().is_computed() => return,
        _ if config.is_null() => format!(
            "planned value {} for an attribute that is not computed and not configured",
            shown(planned)
        ),
        _ if a.nested_type().is_some() => {
            if let Some(nested) = a.nested_type() {
                check_nested(nested, prior, config, planned, path, problems);
            }
            return;
        }
        _ if prior.is_null() => format!(
            "planned value {} does not match the configured value {}",
            shown(planned),
            shown(config)
        ),
        _ => format!(
            "planned value {} does not match the configured value {} nor the prior value {}",
            shown(planned),
            shown(config),
            shown(prior)
        ),
    };
    problems.push((path.clone(), message));
}

/// A configured nested attribute whose plan differs from its configuration: the objects must be
/// the configured ones (same count, same keys), each member planned by the attribute rules.
fn check_nested(
    nested: &NestedType,
    prior: &Value,
    config: &Value,
    planned: &Value,
    path: &AttributePath,
    problems: &mut Problems,
) {
    let object = nested.object();
    if planned.is_null() {
        problems.push((
            path.clone(),
            "planned for absence but the configuration wants it".into(),
        ));
        return;
    }
    if planned.is_unknown() {
        problems.push((
            path.clone(),
            "planned unknown for a configured value".into(),
        ));
        return;
    }
    if config.is_unknown() {
        // Terraform cannot compare against a configuration it does not know yet.
        return;
    }
    match nested.nesting() {
        Nesting::Single => check_block(object, prior, config, planned, path, problems),
        Nesting::List => {
            let (planned_items, config_items) = (planned.elements(), config.elements());
            if planned_items.len() != config_items.len() {
                problems.push((
                    path.clone(),
                    count_mismatch(planned_items.len(), config_items.len()),
                ));
                return;
            }
            for (i, (pi, ci)) in planned_items.iter().zip(config_items).enumerate() {
                let prior_item = prior.elements().get(i).unwrap_or(&Value::Null);
                check_block(
                    object,
                    prior_item,
                    ci,
                    pi,
                    &path.clone().then_index(index(i)),
                    problems,
                );
            }
        }
        Nesting::Map => {
            let (Value::Map(planned_items), Value::Map(config_items)) = (planned, config) else {
                return;
            };
            let planned_keys: BTreeSet<&String> = planned_items.keys().collect();
            let config_keys: BTreeSet<&String> = config_items.keys().collect();
            for key in planned_keys.difference(&config_keys) {
                problems.push((
                    path.clone().then_key(key.as_str()),
                    "planned an element whose key is not in the configuration".into(),
                ));
            }
            for key in config_keys.difference(&planned_keys) {
                problems.push((
                    path.clone().then_key(key.as_str()),
                    "the plan lacks an element the configuration has".into(),
                ));
            }
            for (key, pi) in planned_items {
                if let Some(ci) = config_items.get(key) {
                    check_block(
                        object,
                        prior.attr(key),
                        ci,
                        pi,
                        &path.clone().then_key(key.as_str()),
                        problems,
                    );
                }
            }
        }
        Nesting::Set => {
            // Set elements cannot be correlated: only the count is Terraform's to check.
            let (planned_items, config_items) = (planned.elements(), config.elements());
            if planned_items.len() != config_items.len() {
                problems.push((
                    path.clone(),
                    count_mismatch(planned_items.len(), config_items.len()),
                ));
            }
        }
    }
}

fn count_mismatch(planned: usize, config: usize) -> String {
    format!("count in plan ({planned}) disagrees with count in configuration ({config})")
}
