//! The plan rules on flat schemas and nested blocks (nested attributes: `nested_tests.rs`).
use super::{check, propose, replace_paths};
use crate::tfplugin::schema::{Attribute, Block, NestedBlock, Presence, Schema};
use crate::tfplugin::value::Value;

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
