//! The framework's first draft of a plan: Terraform's proposed new state with defaults applied
//! and computed values marked unknown where the change may alter them.

use super::correlates;
use crate::tfplugin::schema::{Attribute, Block, Nesting, Schema};
use crate::tfplugin::value::Value;

/// The framework's plan for a create or update: `proposed` with defaults applied where the
/// configuration is null, then (when anything changes) computed attributes without
/// configuration set to unknown, except those declared `keep_prior_when_unknown` that have a
/// prior value.
///
/// Inside a configured nested attribute, each object is one unit: its computed members become
/// unknown only when that object is new or differs from its prior object, so an unchanged
/// element of a map keeps its computed values while another element changes.
pub(crate) fn propose(schema: &Schema, prior: &Value, config: &Value, proposed: Value) -> Value {
    let mut planned = proposed;
    apply_defaults(schema.root(), config, &mut planned);
    let changed = prior.is_null() || &planned != prior;
    if changed {
        mark_unknown(schema.root(), prior, config, &mut planned);
    }
    planned
}

fn apply_defaults(block: &Block, config: &Value, planned: &mut Value) {
    let Value::Map(fields) = planned else { return };
    for a in block.attributes() {
        let cfg = config.attr(a.name());
        if let Some(default) = &a.default
            && cfg.is_null()
        {
            fields.insert(a.name().to_owned(), default.clone());
            continue;
        }
        let (Some(nested), Some(inner)) = (a.nested_type(), fields.get_mut(a.name())) else {
            continue;
        };
        for (element, element_config) in
            configured_elements(nested.nesting(), nested.object(), inner, cfg)
        {
            apply_defaults(nested.object(), element_config, element);
        }
    }
    for b in block.blocks() {
        let cfg = config.attr(b.name());
        let Some(inner) = fields.get_mut(b.name()) else {
            continue;
        };
        match (b.nesting(), inner) {
            (Nesting::Single, inner) => apply_defaults(b.block(), cfg, inner),
            (Nesting::List, Value::List(items)) => {
                for (i, item) in items.iter_mut().enumerate() {
                    apply_defaults(
                        b.block(),
                        cfg.elements().get(i).unwrap_or(&Value::Null),
                        item,
                    );
                }
            }
            // Set blocks cannot be correlated with their configuration reliably: Terraform's
            // proposed value is kept as it is.
            _ => {}
        }
    }
}

fn mark_unknown(block: &Block, prior: &Value, config: &Value, planned: &mut Value) {
    let Value::Map(fields) = planned else { return };
    for a in block.attributes() {
        let cfg = config.attr(a.name());
        if a.presence().is_computed() && a.default.is_none() && cfg.is_null() {
            let prior_value = prior.attr(a.name());
            let value = if a.keep_prior_when_unknown && !prior_value.is_null() {
                prior_value.clone()
            } else {
                Value::Unknown
            };
            fields.insert(a.name().to_owned(), value);
            continue;
        }
        if let Some(inner) = fields.get_mut(a.name()) {
            mark_unknown_nested(a, prior.attr(a.name()), cfg, inner);
        }
    }
    for b in block.blocks() {
        let cfg = config.attr(b.name());
        let prv = prior.attr(b.name());
        let Some(inner) = fields.get_mut(b.name()) else {
            continue;
        };
        match (b.nesting(), inner) {
            (Nesting::Single, inner) if !inner.is_null() => {
                mark_unknown(b.block(), prv, cfg, inner)
            }
            (Nesting::List, Value::List(items)) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let c = cfg.elements().get(i).unwrap_or(&Value::Null);
                    let p = prv.elements().get(i).unwrap_or(&Value::Null);
                    mark_unknown(b.block(), p, c, item);
                }
            }
            _ => {}
        }
    }
}

/// Marks unknown the computed members of every new or changed object of a configured nested
/// attribute.
fn mark_unknown_nested(a: &Attribute, prior: &Value, config: &Value, planned: &mut Value) {
    let Some(nested) = a.nested_type() else {
        return;
    };
    let object = nested.object();
    match (nested.nesting(), planned) {
        (Nesting::Single, planned) if !planned.is_null() && planned != prior => {
            mark_unknown(object, prior, config, planned);
        }
        (Nesting::List, Value::List(items)) => {
            for (i, item) in items.iter_mut().enumerate() {
                let p = prior.elements().get(i).unwrap_or(&Value::Null);
                let c = config.elements().get(i).unwrap_or(&Value::Null);
                if item != p {
                    mark_unknown(object, p, c, item);
                }
            }
        }
        (Nesting::Map, Value::Map(entries)) => {
            for (key, item) in entries.iter_mut() {
                let p = prior.attr(key);
                let c = config.attr(key);
                if item != p {
                    mark_unknown(object, p, c, item);
                }
            }
        }
        (Nesting::Set, Value::List(items)) => {
            let prior_items = prior.elements();
            let config_items = config.elements();
            for item in items.iter_mut() {
                if prior_items.contains(item) {
                    continue;
                }
                let c = config_items
                    .iter()
                    .find(|c| correlates(object, item, c))
                    .unwrap_or(&Value::Null)
                    .clone();
                // Terraform has already merged the correlated prior object's computed members
                // into this one: it is the prior for keep_prior_when_unknown.
                let p = item.clone();
                mark_unknown(object, &p, &c, item);
            }
        }
        _ => {}
    }
}

/// The planned objects of a nested attribute paired with their configuration, by nesting mode.
fn configured_elements<'p, 'c>(
    nesting: Nesting,
    object: &Block,
    planned: &'p mut Value,
    config: &'c Value,
) -> Vec<(&'p mut Value, &'c Value)> {
    if config.is_null() || config.is_unknown() {
        return Vec::new();
    }
    match (nesting, planned) {
        (Nesting::Single, planned) => vec![(planned, config)],
        (Nesting::List, Value::List(items)) => items.iter_mut().zip(config.elements()).collect(),
        (Nesting::Map, Value::Map(entries)) => entries
            .iter_mut()
            .filter_map(|(key, item)| match config {
                Value::Map(c) => c.get(key).map(|c| (item, c)),
                _ => None,
            })
            .collect(),
        (Nesting::Set, Value::List(items)) => items
            .iter_mut()
            .filter_map(|item| {
                let c = config
                    .elements()
                    .iter()
                    .find(|c| correlates(object, item, c))?;
                Some((item, c))
            })
            .collect(),
        _ => Vec::new(),
    }
}
