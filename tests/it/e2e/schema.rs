//! The schema Terraform sees (`terraform providers schema -json` of the built provider), attribute
//! by attribute, against the table below: every attribute and nested block of the provider
//! block, of every resource, data source, action and list resource, with its type, whether it
//! is required, optional and/or computed, and whether it is sensitive; the resource identities
//! (Terraform 1.12+); the schema versions; the function's signature. Every attribute must have
//! a description (the docs are generated from them). Terraform 1.11 must see no action, list
//! resource or identity: it loads the provider as before.
//!
//! Changing the schema means changing this table: that is the point. One row per attribute,
//! `path type presence [sensitive] [deprecated]` (white space is free):
//! - type: `string`, `bool`, `number`, `list(string)`, `set(string)`, `map(string)`, `object`;
//!   the members of a `list(object)` follow as rows `name[].member`; a nested attribute is
//!   `nested(list|set|map|single)` with its members as rows `name.member`;
//! - presence: `required`, `optional`, `computed` or `optional+computed`;
//! - a block is `name block(single|list|set|map) [min=N] [max=N]`, its attributes `name.attr`.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use crate::support::terraform::{Terraform, Workspace, required_providers, terraform_test};

/// The provider block.
const PROVIDER: &[&str] = &[
    "profile                   string        optional",
    "region                    string        optional",
    "shared_config_files       list(string)  optional",
    "shared_credentials_files  list(string)  optional",
    "assume_role               block(single)",
    "assume_role.external_id   string        optional",
    "assume_role.role_arn      string        required",
    "assume_role.session_name  string        optional",
    "endpoints                 block(single)",
    "endpoints.ecr             string        optional",
    "endpoints.ecs             string        optional",
];

/// Every resource: (type, schema version, rows).
const RESOURCES: &[(&str, u64, &[&str])] = &[
    (
        "tagdeploy_release",
        0,
        &[
            "description                                   string          optional",
            "id                                            string          computed",
            "images                                        nested(map)     required",
            "images.cluster                                string          required",
            "images.deployments                            map(string)     computed",
            "images.image_digest                           string          optional+computed",
            "images.image_tags                             list(string)    computed",
            "images.image_uri                              string          computed",
            "images.previous_digest                        string          computed",
            "images.registry_id                            string          optional",
            "images.release_tag                            string          optional",
            "images.repository                             string          required",
            "images.rollouts                               nested(map)     computed",
            "images.rollouts.lifecycle_stage               string          computed",
            "images.rollouts.rfc_status                    string          computed",
            "images.rollouts.rollout_state                 string          computed",
            "images.rollouts.service_arn                   string          computed",
            "images.rollouts.status                        string          computed",
            "images.rollouts.strategy                      string          computed",
            "images.services                               set(string)     required",
            "pause_hook_action                             string          optional+computed",
            "promoted_at                                   string          computed",
            "release_id                                    string          optional+computed",
            "rollback_on_failure                           bool            optional+computed",
            "tag                                           string          optional+computed",
            "timeouts                                      block(single)",
            "timeouts.create                               string          optional",
            "timeouts.update                               string          optional",
            "triggers                                      map(string)     optional",
            "wait_for_rollout                              bool            optional+computed",
        ],
    ),
    (
        "tagdeploy_prod_tag",
        2,
        &[
            "cluster                    string        required",
            "deployments                map(string)   computed",
            "description                string        optional",
            "id                         string        computed",
            "image_digest               string        optional+computed",
            "image_tags                 list(string)  computed",
            "image_uri                  string        computed",
            "pause_hook_action          string        optional+computed",
            "previous_digest            string        computed",
            "promoted_at                string        computed",
            "registry_id                string        optional",
            "release_tag                string        optional",
            "repository                 string        required",
            "rollback_on_failure        bool          optional+computed",
            "rollouts                   nested(map)   computed",
            "rollouts.lifecycle_stage   string        computed",
            "rollouts.rfc_status        string        computed",
            "rollouts.rollout_state     string        computed",
            "rollouts.service_arn       string        computed",
            "rollouts.status            string        computed",
            "rollouts.strategy          string        computed",
            "services                   set(string)   required",
            "tag                        string        optional+computed",
            "triggers                   map(string)   optional",
            "wait_for_rollout           bool          optional+computed",
            "timeouts                   block(single)",
            "timeouts.create            string        optional",
            "timeouts.update            string        optional",
        ],
    ),
];

/// Every data source: (type, schema version, rows).
const DATA_SOURCES: &[(&str, u64, &[&str])] = &[
    (
        "tagdeploy_release_status",
        0,
        &[
            "complete                                      bool            computed",
            "id                                            string          computed",
            "images                                        nested(map)     required",
            "images.cluster                                string          required",
            "images.complete                               bool            computed",
            "images.container                              string          optional",
            "images.deployments                            map(string)     optional",
            "images.env_digest                             string          computed",
            "images.registry_id                            string          optional",
            "images.repository                             string          required",
            "images.service_reports                        nested(map)     computed",
            "images.service_reports.all_match              bool            computed",
            "images.service_reports.complete               bool            computed",
            "images.service_reports.deployment_id          string          computed",
            "images.service_reports.status                 string          computed",
            "images.service_reports.tasks                  nested(list)    computed",
            "images.service_reports.tasks.container        string          computed",
            "images.service_reports.tasks.deployment_id    string          computed",
            "images.service_reports.tasks.desired_status   string          computed",
            "images.service_reports.tasks.digest           string          computed",
            "images.service_reports.tasks.last_status      string          computed",
            "images.service_reports.tasks.matches          bool            computed",
            "images.service_reports.tasks.task_arn         string          computed",
            "images.services                               set(string)     required",
            "images.status                                 string          computed",
            "status                                        string          computed",
            "tag                                           string          optional+computed",
        ],
    ),
    (
        "tagdeploy_image",
        0,
        &[
            "digest       string        optional+computed",
            "id           string        computed",
            "image_uri    string        computed",
            "media_type   string        computed",
            "pushed_at    string        computed",
            "registry_id  string        optional",
            "repository   string        required",
            "size_bytes   number        computed",
            "tag          string        optional",
            "tags         list(string)  computed",
        ],
    ),
    (
        "tagdeploy_task_digests",
        0,
        &[
            "all_match                                  bool           computed",
            "cluster                                    string         required",
            "complete                                   bool           computed",
            "container                                  string         optional+computed",
            "deployment_id                              string         optional",
            "deployments                                nested(list)   computed",
            "deployments.created_at                     string         computed",
            "deployments.desired_count                  number         computed",
            "deployments.failed_tasks                   number         computed",
            "deployments.id                             string         computed",
            "deployments.pending_count                  number         computed",
            "deployments.rollout_state                  string         computed",
            "deployments.rollout_state_reason           string         computed",
            "deployments.running_count                  number         computed",
            "deployments.status                         string         computed",
            "deployments.task_definition                string         computed",
            "env_digest                                 string         computed",
            "id                                         string         computed",
            "registry_id                                string         optional",
            "repository                                 string         optional+computed",
            "service                                    string         required",
            "service_deployment                         nested(single) computed",
            "service_deployment.alarms_status           string         computed",
            "service_deployment.arn                     string         computed",
            "service_deployment.circuit_breaker_status  string         computed",
            "service_deployment.lifecycle_stage         string         computed",
            "service_deployment.paused_hooks            list(string)   computed",
            "service_deployment.pending_count           number         computed",
            "service_deployment.production_traffic_weight number         computed",
            "service_deployment.requested_count         number         computed",
            "service_deployment.rfc_status              string         computed",
            "service_deployment.rollback_reason         string         computed",
            "service_deployment.running_count           number         computed",
            "service_deployment.status                  string         computed",
            "service_deployment.status_reason           string         computed",
            "service_deployment.strategy                string         computed",
            "service_deployment.target_revision_arn     string         computed",
            "service_deployment.test_traffic_weight     number         computed",
            "service_deployment.triggered_alarms        list(string)   computed",
            "status                                     string         computed",
            "tag                                        string         optional+computed",
            "tasks                                      nested(list)   computed",
            "tasks.container                            string         computed",
            "tasks.deployment_id                        string         computed",
            "tasks.desired_status                       string         computed",
            "tasks.digest                               string         computed",
            "tasks.last_status                          string         computed",
            "tasks.matches                              bool           computed",
            "tasks.task_arn                             string         computed",
        ],
    ),
];

/// The function `parse_image_uri`: parameters (name, type) and the return type.
/// Every action (Terraform 1.14+): (type, rows).
const ACTIONS: &[(&str, u64, &[&str])] = &[(
    "tagdeploy_redeploy",
    0,
    &[
        "cluster            string       required",
        "pause_hook_action  string       optional",
        "services           set(string)  required",
        "timeout            string       optional",
        "wait_for_rollout   bool         optional",
    ],
)];

/// Every list resource's `config` block (Terraform 1.14+): (type, rows).
const LIST_RESOURCES: &[(&str, u64, &[&str])] = &[(
    "tagdeploy_prod_tag",
    0,
    &[
        "repository_prefix  string        optional",
        "tags               list(string)  required",
    ],
)];

/// Every resource identity (Terraform 1.12+): (type, version, rows `name type
/// required|optional`, for import).
const IDENTITIES: &[(&str, u64, &[&str])] = &[
    (
        "tagdeploy_prod_tag",
        0,
        &[
            "account_id  string  optional",
            "region      string  optional",
            "repository  string  required",
            "tag         string  required",
        ],
    ),
    (
        "tagdeploy_release",
        0,
        &[
            "images  list(string)  required",
            "region  string        optional",
            "tag     string        required",
        ],
    ),
];

/// The identity schemas as served, against their table.
fn compare_identities(served: &Json) -> Vec<String> {
    let mut problems = Vec::new();
    let served = served.as_object().cloned().unwrap_or_default();
    let tabled: Vec<&str> = IDENTITIES.iter().map(|(n, _, _)| *n).collect();
    for name in served.keys() {
        if !tabled.contains(&name.as_str()) {
            problems.push(format!("identity of {name} is served but has no table"));
        }
    }
    for (name, version, table) in IDENTITIES {
        let Some(schema) = served.get(*name) else {
            problems.push(format!("identity of {name} has a table but is not served"));
            continue;
        };
        if schema["version"].as_u64().unwrap_or(0) != *version {
            problems.push(format!(
                "identity of {name}: version {} (expected {version})",
                schema["version"]
            ));
        }
        let mut actual: Vec<String> = Vec::new();
        for (attr, a) in schema["attributes"].as_object().into_iter().flatten() {
            let presence = match (
                a["required_for_import"].as_bool().unwrap_or(false),
                a["optional_for_import"].as_bool().unwrap_or(false),
            ) {
                (true, false) => "required",
                (false, true) => "optional",
                _ => "neither-or-both",
            };
            let mut members = Vec::new();
            actual.push(format!(
                "{attr} {} {presence}",
                type_name(&a["type"], attr, &mut members)
            ));
            if a["description"].as_str().is_none_or(str::is_empty) {
                problems.push(format!("identity of {name}: {attr} has no description"));
            }
        }
        actual.sort();
        let expected = expected(table);
        if actual != expected {
            problems.push(format!(
                "identity of {name}: served {actual:?}, expected {expected:?}"
            ));
        }
    }
    problems
}

fn parse_image_uri_signature() -> (Vec<(String, Json)>, Json) {
    let part = json!("string");
    (
        vec![("uri".to_owned(), json!("string"))],
        json!(["object", {
            "registry_id": part,
            "region": part,
            "repository": part,
            "tag": part,
            "digest": part,
        }]),
    )
}

/// A Terraform type as a row shows it; the members of an object type go to `members`.
fn type_name(ty: &Json, path: &str, members: &mut Vec<String>) -> String {
    match ty {
        Json::String(primitive) => primitive.clone(),
        Json::Array(parts) => match (parts.first().and_then(Json::as_str), parts.get(1)) {
            (Some("object"), Some(Json::Object(fields))) => {
                for (name, field) in fields {
                    let row_path = format!("{path}.{name}");
                    let ty = type_name(field, &row_path, members);
                    members.push(format!("{row_path} {ty}"));
                }
                "object".to_owned()
            }
            (Some(collection), Some(element)) => {
                let inner = type_name(element, &format!("{path}[]"), members);
                format!("{collection}({inner})")
            }
            _ => format!("{ty}"),
        },
        other => format!("{other}"),
    }
}

/// The presence (and sensitivity, deprecation) words of an attribute.
fn flags(attribute: &Json) -> String {
    let set = |key: &str| attribute[key].as_bool().unwrap_or(false);
    let presence = match (set("required"), set("optional"), set("computed")) {
        (true, false, false) => "required",
        (false, true, false) => "optional",
        (false, false, true) => "computed",
        (false, true, true) => "optional+computed",
        _ => "INVALID-PRESENCE",
    };
    let mut out = presence.to_owned();
    for extra in ["sensitive", "deprecated"] {
        if set(extra) {
            out.push(' ');
            out.push_str(extra);
        }
    }
    out
}

/// The rows of a schema block (attributes, nested attributes, nested blocks), sorted; also
/// collects every attribute without a description into `undocumented`.
fn rows(block: &Json, prefix: &str, undocumented: &mut Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    for (name, attribute) in block["attributes"].as_object().into_iter().flatten() {
        attribute_rows(
            &format!("{prefix}{name}"),
            attribute,
            &mut out,
            undocumented,
        );
    }
    for (name, nested) in block["block_types"].as_object().into_iter().flatten() {
        let path = format!("{prefix}{name}");
        let mut row = format!(
            "{path} block({})",
            nested["nesting_mode"].as_str().unwrap_or("?")
        );
        for bound in ["min_items", "max_items"] {
            if let Some(n) = nested[bound].as_u64().filter(|n| *n > 0) {
                row.push_str(&format!(" {}={n}", &bound[..3]));
            }
        }
        out.push(row);
        out.extend(rows(&nested["block"], &format!("{path}."), undocumented));
    }
    out.sort();
    out
}

/// The rows of one attribute (and of its members).
fn attribute_rows(
    path: &str,
    attribute: &Json,
    out: &mut Vec<String>,
    undocumented: &mut Vec<String>,
) {
    if attribute["description"].as_str().is_none_or(str::is_empty) {
        undocumented.push(path.to_owned());
    }
    if let Some(nested) = attribute.get("nested_type") {
        let mode = nested["nesting_mode"].as_str().unwrap_or("?");
        out.push(format!("{path} nested({mode}) {}", flags(attribute)));
        for (name, member) in nested["attributes"].as_object().into_iter().flatten() {
            attribute_rows(&format!("{path}.{name}"), member, out, undocumented);
        }
        return;
    }
    let mut members = Vec::new();
    let ty = type_name(&attribute["type"], path, &mut members);
    out.push(format!("{path} {ty} {}", flags(attribute)));
    out.extend(members);
}

/// The expected rows, white space normalised, sorted.
fn expected(table: &[&str]) -> Vec<String> {
    let mut rows: Vec<String> = table
        .iter()
        .map(|r| r.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    rows.sort();
    rows
}

/// Compares one schema (`{"version": …, "block": …}`) with its table; returns the differences.
fn compare(what: &str, schema: &Json, version: u64, table: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    if schema["version"].as_u64().unwrap_or(0) != version {
        problems.push(format!(
            "{what}: schema version {} (expected {version})",
            schema["version"]
        ));
    }
    let mut undocumented = Vec::new();
    let actual = rows(&schema["block"], "", &mut undocumented);
    let expected = expected(table);
    for row in &actual {
        if !expected.contains(row) {
            problems.push(format!("{what}: served but not in the table: {row}"));
        }
    }
    for row in &expected {
        if !actual.contains(row) {
            problems.push(format!("{what}: in the table but not served: {row}"));
        }
    }
    for path in undocumented {
        problems.push(format!("{what}: {path} has no description"));
    }
    problems
}

/// The schemas of one kind (`resource_schemas`, `data_source_schemas`) against their table.
fn compare_all(kind: &str, served: &Json, table: &[(&str, u64, &[&str])]) -> Vec<String> {
    let mut problems = Vec::new();
    let tabled: BTreeMap<&str, (u64, &[&str])> =
        table.iter().map(|(n, v, r)| (*n, (*v, *r))).collect();
    let served = served.as_object().cloned().unwrap_or_default();
    for name in served.keys() {
        if !tabled.contains_key(name.as_str()) {
            problems.push(format!("{kind} {name} is served but has no table"));
        }
    }
    for (name, (version, rows)) in tabled {
        match served.get(name) {
            Some(schema) => problems.extend(compare(name, schema, version, rows)),
            None => problems.push(format!("{kind} {name} has a table but is not served")),
        }
    }
    problems
}

terraform_test!(schema_has_exactly_the_attributes_of_the_table);
fn schema_has_exactly_the_attributes_of_the_table(tf: &Terraform) {
    // An empty provider block validates: nothing in it is required.
    let ws = Workspace::new(
        tf,
        "schema",
        &format!("{}\nprovider \"tagdeploy\" {{}}\n", required_providers()),
    );
    ws.init();
    ws.run(&["validate", "-no-color"]).success();
    let schema = ws.provider_schema();

    let mut problems = compare("provider", &schema["provider"], 0, PROVIDER);
    problems.extend(compare_all(
        "resource",
        &schema["resource_schemas"],
        RESOURCES,
    ));
    problems.extend(compare_all(
        "data source",
        &schema["data_source_schemas"],
        DATA_SOURCES,
    ));
    if tf.version.starts_with("1.11.") {
        // Terraform 1.11 speaks protocol 6.8: the new features are absent, not errors.
        for kind in [
            "action_schemas",
            "list_resource_schemas",
            "resource_identity_schemas",
        ] {
            if schema[kind].as_object().is_some_and(|m| !m.is_empty()) {
                problems.push(format!("Terraform {} shows {kind}", tf.version));
            }
        }
    } else {
        problems.extend(compare_all("action", &schema["action_schemas"], ACTIONS));
        problems.extend(compare_all(
            "list resource",
            &schema["list_resource_schemas"],
            LIST_RESOURCES,
        ));
        problems.extend(compare_identities(&schema["resource_identity_schemas"]));
    }

    let functions: Vec<&String> = schema["functions"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(functions, ["parse_image_uri"], "the functions served");
    let function = &schema["functions"]["parse_image_uri"];
    let parameters: Vec<(String, Json)> = function["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_owned(),
                p["type"].clone(),
            )
        })
        .collect();
    let (expected_parameters, expected_return) = parse_image_uri_signature();
    if parameters != expected_parameters || function["return_type"] != expected_return {
        problems.push(format!(
            "parse_image_uri: parameters {parameters:?} returning {} (expected {expected_parameters:?} returning {expected_return})",
            function["return_type"]
        ));
    }
    for text in ["summary", "description"] {
        if function[text].as_str().is_none_or(str::is_empty) {
            problems.push(format!("parse_image_uri has no {text}"));
        }
    }
    assert!(
        problems.is_empty(),
        "the schema differs from the table in tests/it/e2e/schema.rs:\n{}",
        problems.join("\n")
    );
}
