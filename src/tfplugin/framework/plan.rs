//! Terraform's planning rules, applied by the framework to every resource:
//! [`propose`] turns Terraform's proposed new state into the framework's plan (defaults,
//! unknown computed values), [`replace_paths`] derives `requires_replace` from the schema, and
//! [`check`] verifies a final plan the way Terraform will (`objchange.AssertPlanValid`), so a
//! violation becomes a diagnostic naming the attribute instead of "Provider produced invalid
//! plan".

use super::shape::{Problems, check_object, index, show};
use crate::tfplugin::diagnostics::AttributePath;
use crate::tfplugin::schema::{Attribute, Block, Nesting, Presence, Schema};
use crate::tfplugin::value::Value;

/// The framework's plan for a create or update: `proposed` with defaults applied where the
/// configuration is null, then (when anything changes) computed attributes without
/// configuration set to unknown, except those declared `keep_prior_when_unknown` that have a
/// prior value.
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
        if let Some(default) = &a.default
            && config.attr(a.name()).is_null()
        {
            fields.insert(a.name().to_owned(), default.clone());
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
            // Set elements cannot be correlated with their configuration reliably: Terraform's
            // proposed value is kept as it is.
            _ => {}
        }
    }
}

fn mark_unknown(block: &Block, prior: &Value, config: &Value, planned: &mut Value) {
    let Value::Map(fields) = planned else { return };
    for a in block.attributes() {
        if !a.presence().is_computed() || a.default.is_some() || !config.attr(a.name()).is_null() {
            continue;
        }
        let prior_value = prior.attr(a.name());
        if a.keep_prior_when_unknown && !prior_value.is_null() {
            fields.insert(a.name().to_owned(), prior_value.clone());
        } else {
            fields.insert(a.name().to_owned(), Value::Unknown);
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

/// Paths of attributes declared `requires_replace()` whose planned value differs from the
/// prior one (an unknown planned value counts as a change). Empty on create.
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
    out
}

fn collect_replace(
    block: &Block,
    prior: &Value,
    planned: &Value,
    path: &AttributePath,
    out: &mut Vec<AttributePath>,
) {
    for a in block.attributes() {
        if a.requires_replace {
            let (p, n) = (prior.attr(a.name()), planned.attr(a.name()));
            if p != n || !n.is_wholly_known() {
                out.push(path.clone().then_attr(a.name()));
            }
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
            Nesting::Set => {
                // Unaddressable elements: any difference in a set containing replace-flagged
                // attributes replaces.
                if has_replace_attr(b.block()) && p != n {
                    out.push(here);
                }
            }
        }
    }
}

fn has_replace_attr(block: &Block) -> bool {
    block.attributes().iter().any(|a| a.requires_replace)
        || block.blocks().iter().any(|b| has_replace_attr(b.block()))
}

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
        check_attribute(
            a,
            prior.attr(a.name()),
            config.attr(a.name()),
            planned.attr(a.name()),
            &path.clone().then_attr(a.name()),
            problems,
        );
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
                        format!(
                            "block count in plan ({}) disagrees with count in configuration ({})",
                            planned_items.len(),
                            config_items.len()
                        ),
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
            Nesting::Set => {}
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
        if a.sensitive {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::schema::NestedBlock;

    /// A tiny resource schema exercising every plan behaviour.
    fn schema() -> Schema {
        Schema::new(0)
            .attribute(Attribute::string("name", Presence::Required).requires_replace())
            .attribute(Attribute::string("note", Presence::Optional))
            .attribute(
                Attribute::string("tag", Presence::OptionalComputed).default(Value::string("prod")),
            )
            .attribute(Attribute::string("id", Presence::Computed).keep_prior_when_unknown())
            .attribute(Attribute::string("digest", Presence::Computed))
            .attribute(Attribute::string("region", Presence::OptionalComputed))
            .block(NestedBlock::single(
                "opts",
                Block::new()
                    .attribute(Attribute::string("mode", Presence::Optional).requires_replace())
                    .attribute(Attribute::string("resolved", Presence::Computed)),
            ))
    }

    fn obj(
        name: &str,
        note: Value,
        tag: Value,
        id: Value,
        digest: Value,
        region: Value,
        opts: Value,
    ) -> Value {
        Value::object([
            ("name", Value::string(name)),
            ("note", note),
            ("tag", tag),
            ("id", id),
            ("digest", digest),
            ("region", region),
            ("opts", opts),
        ])
    }

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    #[test]
    fn create_applies_defaults_and_unknowns_computed() {
        let config = obj(
            "a",
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        );
        let planned = propose(&schema(), &Value::Null, &config, config.clone());
        assert_eq!(planned.attr("tag"), &s("prod"));
        assert!(
            planned.attr("id").is_unknown(),
            "no prior value to keep on create"
        );
        assert!(planned.attr("digest").is_unknown());
        assert!(planned.attr("region").is_unknown());
        assert!(
            planned.attr("note").is_null(),
            "optional attributes stay as configured"
        );
        assert!(check(&schema(), &Value::Null, &config, &planned).is_empty());
    }

    #[test]
    fn configured_optional_computed_is_not_overridden() {
        let config = obj(
            "a",
            Value::Null,
            s("stage"),
            Value::Null,
            Value::Null,
            s("eu-west-1"),
            Value::Null,
        );
        let planned = propose(&schema(), &Value::Null, &config, config.clone());
        assert_eq!(planned.attr("tag"), &s("stage"));
        assert_eq!(planned.attr("region"), &s("eu-west-1"));
    }

    #[test]
    fn unchanged_update_keeps_every_prior_value() {
        let prior = obj(
            "a",
            Value::Null,
            s("prod"),
            s("id-1"),
            s("sha256:1"),
            s("r"),
            Value::Null,
        );
        let config = obj(
            "a",
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        );
        // Terraform's proposed state: config, with computed attributes taking prior values.
        let proposed = prior.clone();
        let planned = propose(&schema(), &prior, &config, proposed);
        assert_eq!(planned, prior, "no change: nothing becomes unknown");
        assert!(replace_paths(&schema(), &prior, &planned).is_empty());
    }

    #[test]
    fn changed_update_unknowns_computed_but_keeps_declared_prior() {
        let prior = obj(
            "a",
            Value::Null,
            s("prod"),
            s("id-1"),
            s("sha256:1"),
            s("r"),
            Value::Null,
        );
        let config = obj(
            "a",
            s("new note"),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        );
        let proposed = obj(
            "a",
            s("new note"),
            s("prod"),
            s("id-1"),
            s("sha256:1"),
            s("r"),
            Value::Null,
        );
        let planned = propose(&schema(), &prior, &config, proposed);
        assert_eq!(planned.attr("id"), &s("id-1"), "keep_prior_when_unknown");
        assert!(planned.attr("digest").is_unknown());
        assert!(planned.attr("region").is_unknown());
        assert_eq!(planned.attr("tag"), &s("prod"));
        assert!(check(&schema(), &prior, &config, &planned).is_empty());
    }

    #[test]
    fn removing_a_defaulted_value_plans_the_default_again() {
        let prior = obj(
            "a",
            Value::Null,
            s("stage"),
            s("id-1"),
            s("d"),
            s("r"),
            Value::Null,
        );
        let config = obj(
            "a",
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        );
        let planned = propose(&schema(), &prior, &config, prior.clone());
        assert_eq!(planned.attr("tag"), &s("prod"));
    }

    #[test]
    fn requires_replace_only_for_changed_declared_paths() {
        let opts = |m: &str| Value::object([("mode", s(m)), ("resolved", s("x"))]);
        let prior = obj(
            "a",
            Value::Null,
            s("prod"),
            s("i"),
            s("d"),
            s("r"),
            opts("fast"),
        );
        let planned = obj("b", s("n"), s("prod"), s("i"), s("d"), s("r"), opts("slow"));
        let paths: Vec<String> = replace_paths(&schema(), &prior, &planned)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(paths, ["name", "opts.mode"]);
        assert!(
            replace_paths(&schema(), &Value::Null, &planned).is_empty(),
            "never on create"
        );
    }

    #[test]
    fn nested_single_block_computed_values_become_unknown() {
        let config_opts = Value::object([("mode", s("fast")), ("resolved", Value::Null)]);
        let config = obj(
            "a",
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            config_opts.clone(),
        );
        let planned = propose(&schema(), &Value::Null, &config, config.clone());
        assert!(planned.attr("opts").attr("resolved").is_unknown());
        assert_eq!(planned.attr("opts").attr("mode"), &s("fast"));
    }

    #[test]
    fn check_rejects_changing_a_configured_value() {
        let config = obj(
            "a",
            s("mine"),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        );
        let mut planned = propose(&schema(), &Value::Null, &config, config.clone());
        if let Value::Map(f) = &mut planned {
            f.insert("note".into(), s("theirs"));
        }
        let problems = check(&schema(), &Value::Null, &config, &planned);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0.to_string(), "note");
        assert!(problems[0].1.contains("\"theirs\""));
    }

    #[test]
    fn check_rejects_setting_an_unconfigured_optional() {
        let config = obj(
            "a",
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        );
        let mut planned = propose(&schema(), &Value::Null, &config, config.clone());
        if let Value::Map(f) = &mut planned {
            f.insert("note".into(), s("sneaky"));
        }
        let problems = check(&schema(), &Value::Null, &config, &planned);
        assert_eq!(problems[0].0.to_string(), "note");
        assert!(problems[0].1.contains("not computed"));
    }

    #[test]
    fn check_accepts_keeping_an_equivalent_prior_value() {
        let prior = obj(
            "a",
            s("Mine"),
            s("prod"),
            s("i"),
            s("d"),
            s("r"),
            Value::Null,
        );
        let config = obj(
            "a",
            s("mine"),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        );
        assert!(check(&schema(), &prior, &config, &prior).is_empty());
    }

    #[test]
    fn check_rejects_missing_attributes_and_wrong_block_presence() {
        let config = obj(
            "a",
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        );
        let mut planned = propose(&schema(), &Value::Null, &config, config.clone());
        if let Value::Map(f) = &mut planned {
            f.remove("digest");
        }
        let problems = check(&schema(), &Value::Null, &config, &planned);
        assert_eq!(problems[0].0.to_string(), "digest");

        let mut planned = propose(&schema(), &Value::Null, &config, config.clone());
        if let Value::Map(f) = &mut planned {
            f.insert(
                "opts".into(),
                Value::object([("mode", Value::Null), ("resolved", Value::Null)]),
            );
        }
        let problems = check(&schema(), &Value::Null, &config, &planned);
        assert_eq!(problems[0].0.to_string(), "opts");
        assert!(problems[0].1.contains("absence"));
    }

    #[test]
    fn check_allows_any_computed_value() {
        let config = obj(
            "a",
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        );
        let mut planned = propose(&schema(), &Value::Null, &config, config.clone());
        if let Value::Map(f) = &mut planned {
            f.insert("digest".into(), s("sha256:known-at-plan"));
            f.insert("region".into(), s("eu-west-1"));
        }
        assert!(check(&schema(), &Value::Null, &config, &planned).is_empty());
    }
}
