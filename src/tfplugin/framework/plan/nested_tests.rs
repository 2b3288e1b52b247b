//! The plan rules inside nested attributes, in every nesting mode.

use super::{check, propose, replace_paths};
use crate::tfplugin::schema::{Attribute, Block, Nesting, Presence, Schema};
use crate::tfplugin::value::Value;

/// One image of a release set: a configured object with computed members.
fn member() -> Block {
    Block::new()
        .attribute(Attribute::string("repository", Presence::Required).requires_replace())
        .attribute(
            Attribute::string("tag", Presence::OptionalComputed).default(Value::string("prod")),
        )
        .attribute(Attribute::string("note", Presence::Optional))
        .attribute(Attribute::string("digest", Presence::Computed))
        .attribute(Attribute::string("uri", Presence::Computed).keep_prior_when_unknown())
}

fn schema() -> Schema {
    Schema::new(0)
        .attribute(Attribute::nested(
            "images",
            Nesting::Map,
            member(),
            Presence::Required,
        ))
        .attribute(Attribute::nested(
            "primary",
            Nesting::Single,
            member(),
            Presence::Optional,
        ))
        .attribute(Attribute::nested(
            "ordered",
            Nesting::List,
            member(),
            Presence::Optional,
        ))
        .attribute(Attribute::nested(
            "unordered",
            Nesting::Set,
            member(),
            Presence::Optional,
        ))
        .attribute(Attribute::nested(
            "records",
            Nesting::Map,
            Block::new().attribute(Attribute::string("id", Presence::Computed)),
            Presence::Computed,
        ))
}

fn s(v: &str) -> Value {
    Value::string(v)
}

/// A configured image: computed members null, `tag` as given.
fn image(repository: &str, tag: Value) -> Value {
    Value::object([
        ("repository", s(repository)),
        ("tag", tag),
        ("note", Value::Null),
        ("digest", Value::Null),
        ("uri", Value::Null),
    ])
}

/// An image as state records it.
fn stored(repository: &str, digest: &str) -> Value {
    Value::object([
        ("repository", s(repository)),
        ("tag", s("prod")),
        ("note", Value::Null),
        ("digest", s(digest)),
        ("uri", s(&format!("uri/{repository}"))),
    ])
}

fn root(images: Value, primary: Value, ordered: Value, unordered: Value, records: Value) -> Value {
    Value::object([
        ("images", images),
        ("primary", primary),
        ("ordered", ordered),
        ("unordered", unordered),
        ("records", records),
    ])
}

fn map(pairs: Vec<(&str, Value)>) -> Value {
    Value::object(pairs)
}

fn paths(problems: &[(crate::tfplugin::diagnostics::AttributePath, String)]) -> Vec<String> {
    problems.iter().map(|(p, _)| p.to_string()).collect()
}

#[test]
fn create_applies_member_defaults_and_unknowns_computed_members_in_every_mode() {
    let config = root(
        map(vec![("api", image("api", Value::Null))]),
        image("web", s("stage")),
        Value::List(vec![image("a", Value::Null)]),
        Value::List(vec![image("b", Value::Null)]),
        Value::Null,
    );
    let planned = propose(&schema(), &Value::Null, &config, config.clone());
    let api = planned.attr("images").attr("api");
    assert_eq!(api.attr("tag"), &s("prod"), "member default");
    assert!(api.attr("digest").is_unknown() && api.attr("uri").is_unknown());
    assert!(
        api.attr("note").is_null(),
        "optional members stay as configured"
    );
    let primary = planned.attr("primary");
    assert_eq!(primary.attr("tag"), &s("stage"), "configured member kept");
    assert!(primary.attr("digest").is_unknown());
    let ordered = &planned.attr("ordered").elements()[0];
    assert_eq!(ordered.attr("tag"), &s("prod"));
    assert!(ordered.attr("digest").is_unknown());
    let unordered = &planned.attr("unordered").elements()[0];
    assert_eq!(unordered.attr("tag"), &s("prod"));
    assert!(unordered.attr("digest").is_unknown());
    assert!(
        planned.attr("records").is_unknown(),
        "a computed nested attribute is the provider's as a whole"
    );
    assert_eq!(check(&schema(), &Value::Null, &config, &planned), vec![]);
}

#[test]
fn an_unchanged_object_keeps_its_computed_members_while_another_changes() {
    let prior = root(
        map(vec![
            ("api", stored("api", "sha256:1")),
            ("web", stored("web", "sha256:2")),
        ]),
        Value::Null,
        Value::Null,
        Value::Null,
        map(vec![("api", Value::object([("id", s("r-1"))]))]),
    );
    let config = root(
        map(vec![
            ("api", image("api", s("canary"))),
            ("web", image("web", Value::Null)),
        ]),
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
    );
    // Terraform's proposal: configured members from config, computed ones from prior.
    let mut proposed = prior.clone();
    if let Value::Map(fields) = &mut proposed
        && let Some(Value::Map(images)) = fields.get_mut("images")
        && let Some(Value::Map(api)) = images.get_mut("api")
    {
        api.insert("tag".into(), s("canary"));
    }
    let planned = propose(&schema(), &prior, &config, proposed);
    let (api, web) = (
        planned.attr("images").attr("api"),
        planned.attr("images").attr("web"),
    );
    assert_eq!(api.attr("tag"), &s("canary"));
    assert!(api.attr("digest").is_unknown(), "the changed object");
    assert_eq!(api.attr("uri"), &s("uri/api"), "keep_prior_when_unknown");
    assert_eq!(web, &stored("web", "sha256:2"), "the unchanged object");
    assert!(planned.attr("records").is_unknown());
    assert_eq!(check(&schema(), &prior, &config, &planned), vec![]);
}

#[test]
fn set_objects_are_correlated_by_their_configured_members() {
    let prior = root(
        map(vec![]),
        Value::Null,
        Value::Null,
        Value::List(vec![stored("kept", "sha256:1")]),
        Value::Null,
    );
    let config = root(
        map(vec![]),
        Value::Null,
        Value::Null,
        Value::List(vec![image("kept", Value::Null), image("new", Value::Null)]),
        Value::Null,
    );
    // Terraform merged the prior object into the configured one it correlates with.
    let proposed = root(
        map(vec![]),
        Value::Null,
        Value::Null,
        Value::List(vec![stored("kept", "sha256:1"), image("new", Value::Null)]),
        Value::Null,
    );
    let planned = propose(&schema(), &prior, &config, proposed);
    let items = planned.attr("unordered").elements();
    assert_eq!(items[0], stored("kept", "sha256:1"));
    assert_eq!(items[1].attr("tag"), &s("prod"));
    assert!(items[1].attr("digest").is_unknown());
    assert_eq!(check(&schema(), &prior, &config, &planned), vec![]);
}

#[test]
fn replacement_paths_name_the_member_of_the_object() {
    let prior = root(
        map(vec![
            ("api", stored("api", "d")),
            ("gone", stored("gone", "d")),
        ]),
        stored("web", "d"),
        Value::List(vec![stored("a", "d")]),
        Value::List(vec![stored("b", "d")]),
        Value::Null,
    );
    let planned = root(
        map(vec![
            ("api", stored("api-2", "d")),
            ("new", stored("new", "d")),
        ]),
        stored("web-2", "d"),
        Value::List(vec![stored("a", "changed digest only")]),
        Value::List(vec![stored("b-2", "d")]),
        Value::Null,
    );
    let mut got: Vec<String> = replace_paths(&schema(), &prior, &planned)
        .iter()
        .map(ToString::to_string)
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "images[\"api\"].repository",
            "primary.repository",
            "unordered",
        ],
        "objects added or removed (gone, new) replace nothing"
    );
    assert!(replace_paths(&schema(), &Value::Null, &planned).is_empty());
}

#[test]
fn check_rejects_changed_members_and_foreign_keys_at_their_path() {
    let config = root(
        map(vec![("api", image("api", Value::Null))]),
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
    );
    let good = propose(&schema(), &Value::Null, &config, config.clone());
    let with_images = |images: Value| {
        let mut v = good.clone();
        if let Value::Map(f) = &mut v {
            f.insert("images".into(), images);
        }
        v
    };
    let mut api = good.attr("images").attr("api").clone();
    if let Value::Map(f) = &mut api {
        f.insert("note".into(), s("not yours"));
        f.insert("digest".into(), s("sha256:known-at-plan"));
    }
    let problems = check(
        &schema(),
        &Value::Null,
        &config,
        &with_images(map(vec![("api", api.clone())])),
    );
    assert_eq!(paths(&problems), ["images[\"api\"].note"]);
    assert!(problems[0].1.contains("not computed"), "{problems:?}");

    let problems = check(
        &schema(),
        &Value::Null,
        &config,
        &with_images(map(vec![
            ("api", good.attr("images").attr("api").clone()),
            ("extra", good.attr("images").attr("api").clone()),
        ])),
    );
    assert_eq!(paths(&problems), ["images[\"extra\"]"]);

    let problems = check(
        &schema(),
        &Value::Null,
        &config,
        &with_images(Value::Unknown),
    );
    assert_eq!(paths(&problems), ["images"]);
    assert!(problems[0].1.contains("unknown"));

    let mut missing = good.attr("images").attr("api").clone();
    if let Value::Map(f) = &mut missing {
        f.remove("uri");
    }
    let problems = check(
        &schema(),
        &Value::Null,
        &config,
        &with_images(map(vec![("api", missing)])),
    );
    assert_eq!(paths(&problems), ["images[\"api\"].uri"]);
}

#[test]
fn check_accepts_any_value_in_a_computed_nested_attribute() {
    let config = root(
        map(vec![("api", image("api", Value::Null))]),
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
    );
    let mut planned = propose(&schema(), &Value::Null, &config, config.clone());
    if let Value::Map(f) = &mut planned {
        f.insert(
            "records".into(),
            map(vec![("api", Value::object([("id", Value::Unknown)]))]),
        );
    }
    assert_eq!(check(&schema(), &Value::Null, &config, &planned), vec![]);
}

#[test]
fn list_counts_must_match_the_configuration() {
    let config = root(
        map(vec![]),
        Value::Null,
        Value::List(vec![image("a", Value::Null)]),
        Value::Null,
        Value::Null,
    );
    let mut planned = propose(&schema(), &Value::Null, &config, config.clone());
    if let Value::Map(f) = &mut planned
        && let Some(Value::List(items)) = f.get_mut("ordered")
    {
        let first = items[0].clone();
        items.push(first);
    }
    let problems = check(&schema(), &Value::Null, &config, &planned);
    assert_eq!(paths(&problems), ["ordered"]);
    assert!(problems[0].1.contains("count"));
}
