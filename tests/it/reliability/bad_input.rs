//! The bad-input table: every case is refused with a diagnostic on the attribute at fault, and
//! nothing in AWS changes.
//!
//! Cases are grouped by when they can be refused, and each group runs as ONE Terraform command
//! whose configuration holds every case of the group as its own block (Terraform reports the
//! diagnostics of every block): a diagnostic is matched to its case by the line range of the
//! block it points into, then checked for the attribute (the source line it points at) and for
//! words of its text.
//!
//! - `validate`: refused before any AWS call (resource, data sources, provider block, function).
//! - `lookup`: refused at plan after looking things up (missing repository, tag, cluster…).
//! - `unknown`: values known only after apply (`terraform_data` outputs), refused at apply
//!   before anything moves.
//! - `state`: hand-edited `terraform.tfstate` (wrong JSON types, a newer schema version).

use serde_json::{Value as Json, json};

use crate::support::emulator::{BackgroundEmulator, demo_world_json};
use crate::support::observe::Observe;
use crate::support::terraform::{Terraform, Workspace, required_providers, terraform_test};

/// One refused input.
struct Case {
    /// Unique block label (letters, digits, `_`).
    label: &'static str,
    /// The whole block (resource, data, provider or output), `{label}` replaced by the label.
    block: String,
    /// Text the source line of the diagnostic must contain (the attribute at fault; for a
    /// block-level error, the block header). Empty: the diagnostic has no source line and
    /// `words` must then name the attribute.
    attribute: &'static str,
    /// Words the summary or detail must contain (case-insensitive), every one of them.
    words: Vec<&'static str>,
}

fn case(label: &'static str, block: String, attribute: &'static str, words: &'static str) -> Case {
    Case {
        label,
        block: block.replace("{label}", label),
        attribute,
        words: vec![words],
    }
}

impl Case {
    /// More words the diagnostic must contain.
    fn also(mut self, words: &'static str) -> Case {
        self.words.push(words);
        self
    }
}

/// A `tagdeploy_prod_tag` block: the valid base with `lines` replacing or adding attributes
/// (`name = value` lines; a line `-name` removes the attribute).
fn prod_tag(lines: &[&str]) -> String {
    let mut attrs: Vec<(String, String)> = [
        ("repository", "\"example\""),
        ("release_tag", "\"hash_2\""),
        ("cluster", "\"example\""),
        ("services", "[\"example\"]"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let mut blocks = String::new();
    for line in lines {
        if let Some(name) = line.strip_prefix('-') {
            attrs.retain(|(k, _)| k != name);
        } else if line.starts_with("timeouts") {
            blocks.push_str(&format!("  {line}\n"));
        } else {
            let (name, value) = line.split_once(" = ").expect("name = value");
            attrs.retain(|(k, _)| k != name);
            attrs.push((name.to_owned(), value.to_owned()));
        }
    }
    let body: String = attrs
        .iter()
        .map(|(k, v)| format!("  {k} = {v}\n"))
        .collect();
    format!("resource \"tagdeploy_prod_tag\" \"{{label}}\" {{\n{body}{blocks}}}\n")
}

fn image(body: &str) -> String {
    format!("data \"tagdeploy_image\" \"{{label}}\" {{\n{body}\n}}\n")
}

fn task_digests(body: &str) -> String {
    format!("data \"tagdeploy_task_digests\" \"{{label}}\" {{\n{body}\n}}\n")
}

/// An aliased provider block with `body`, used by one data source so Terraform configures it.
fn provider(emulator: &BackgroundEmulator, body: &str) -> String {
    let url = emulator.url();
    let endpoints = if body.contains("endpoints") {
        String::new()
    } else {
        format!("  endpoints {{\n    ecr = \"{url}\"\n    ecs = \"{url}\"\n  }}\n")
    };
    format!(
        "provider \"tagdeploy\" {{\n  alias = \"{{label}}\"\n{body}\n{endpoints}}}\n\ndata \"tagdeploy_image\" \"{{label}}\" {{\n  provider   = tagdeploy.{{label}}\n  repository = \"example\"\n  tag        = \"prod\"\n}}\n"
    )
}

fn function(argument: &str) -> String {
    format!(
        "output \"{{label}}\" {{\n  value = provider::tagdeploy::parse_image_uri({argument})\n}}\n"
    )
}

fn validate_cases(emulator: &BackgroundEmulator) -> Vec<Case> {
    let long_repo = format!("\"{}\"", "a".repeat(257));
    let long_tag = format!("\"{}\"", "t".repeat(129));
    let long_cluster = format!("\"{}\"", "c".repeat(256));
    let upper_digest = format!("\"sha256:{}\"", "A".repeat(64));
    let digest_c = format!("\"sha256:{}\"", "c".repeat(64));
    let repo = |v: &str| prod_tag(&[&format!("repository = {v}")]);
    let release = |v: &str| prod_tag(&[&format!("release_tag = {v}")]);
    vec![
        case(
            "r_repo_chars",
            repo("\"Not_Valid!\""),
            "repository",
            "repository name",
        ),
        case(
            "r_repo_empty",
            repo("\"\""),
            "repository",
            "repository name",
        ),
        case(
            "r_repo_oversized",
            repo(&long_repo),
            "repository",
            "repository name",
        ),
        case(
            "r_release_dash",
            release("\"-bad\""),
            "release_tag",
            "image tag",
        ),
        case(
            "r_release_empty",
            release("\"\""),
            "release_tag",
            "image tag",
        ),
        case(
            "r_release_oversized",
            release(&long_tag),
            "release_tag",
            "image tag",
        ),
        case(
            "r_digest_shape",
            prod_tag(&["-release_tag", "image_digest = \"sha256:xyz\""]),
            "image_digest",
            "digest",
        ),
        case(
            "r_digest_upper",
            prod_tag(&["-release_tag", &format!("image_digest = {upper_digest}")]),
            "image_digest",
            "digest",
        ),
        case(
            "r_both_release_and_digest",
            prod_tag(&[&format!("image_digest = {digest_c}")]),
            "image_digest",
            "only one",
        ),
        case(
            "r_no_release",
            prod_tag(&["-release_tag"]),
            "resource \"tagdeploy_prod_tag\" \"r_no_release\"",
            "release_tag",
        ),
        case(
            "r_tag_is_release",
            prod_tag(&["tag = \"hash_2\""]),
            "tag",
            "different tag",
        )
        .also("Invalid Environment Tag"),
        case(
            "r_tag_space",
            prod_tag(&["tag = \"prod tag\""]),
            "tag",
            "image tag",
        ),
        case(
            "r_registry_id",
            prod_tag(&["registry_id = \"12345\""]),
            "registry_id",
            "12-digit",
        ),
        case(
            "r_cluster_empty",
            prod_tag(&["cluster = \"\""]),
            "cluster",
            "cluster name",
        )
        .also("0 characters"),
        case(
            "r_cluster_oversized",
            prod_tag(&[&format!("cluster = {long_cluster}")]),
            "cluster",
            "255",
        )
        .also("256 characters"),
        case(
            "r_services_none",
            prod_tag(&["services = []"]),
            "services",
            "at least one",
        ),
        case(
            "r_services_blank",
            prod_tag(&["services = [\"\"]"]),
            "services",
            "service name",
        )
        .also("0 characters"),
        case(
            "r_timeout",
            prod_tag(&["timeouts { create = \"forever\" }"]),
            "create",
            "duration",
        ),
        case(
            "d_image_repo",
            image("  repository = \"UPPER\"\n  tag = \"prod\""),
            "repository",
            "repository name",
        ),
        case(
            "d_image_both",
            image(&format!(
                "  repository = \"example\"\n  tag = \"prod\"\n  digest = {digest_c}"
            )),
            "digest",
            "not both",
        ),
        case(
            "d_image_neither",
            image("  repository = \"example\""),
            "data \"tagdeploy_image\" \"d_image_neither\"",
            "tag",
        ),
        case(
            "d_image_digest",
            image("  repository = \"example\"\n  digest = \"md5:abc\""),
            "digest",
            "digest",
        ),
        case(
            "d_image_digest_upper",
            image("  repository = \"example\"\n  digest = \"sha256:ABC\""),
            "digest",
            "64 lowercase hex",
        ),
        case(
            "d_tasks_tag",
            task_digests("  cluster = \"example\"\n  service = \"example\"\n  tag = \".hidden\""),
            "tag",
            "image tag",
        ),
        case(
            "d_tasks_cluster",
            task_digests("  cluster = \"team.example\"\n  service = \"example\""),
            "cluster",
            "cluster name",
        ),
        case(
            "d_tasks_service",
            task_digests("  cluster = \"example\"\n  service = \"my service\""),
            "service",
            "service name",
        ),
        case(
            "d_tasks_registry",
            task_digests(
                "  cluster = \"example\"\n  service = \"example\"\n  registry_id = \"123456789012\"",
            ),
            "registry_id",
            "repository",
        ),
        case(
            "p_region",
            provider(emulator, "  region = \"mars\""),
            "region",
            "region",
        ),
        case(
            "p_endpoint",
            provider(emulator, "  endpoints {\n    ecr = \"localhost:4566\"\n  }"),
            "ecr",
            "http",
        ),
        case(
            "p_role_arn",
            provider(
                emulator,
                "  assume_role {\n    role_arn = \"arn:aws:iam::123:user/me\"\n  }",
            ),
            "role_arn",
            "role",
        ),
        case(
            "p_session_name",
            provider(
                emulator,
                "  assume_role {\n    role_arn = \"arn:aws:iam::123456789012:role/deploy\"\n    session_name = \"a\"\n  }",
            ),
            "session_name",
            "session",
        ),
        case(
            "p_external_id",
            provider(
                emulator,
                "  assume_role {\n    role_arn = \"arn:aws:iam::123456789012:role/deploy\"\n    external_id = \"x\"\n  }",
            ),
            "external_id",
            "characters",
        ),
        case(
            "p_profile_blank",
            provider(emulator, "  profile = \"\""),
            "profile",
            "empty",
        ),
        case(
            "f_not_a_uri",
            function("\"not a uri\""),
            "parse_image_uri",
            "image uri",
        ),
        case("f_empty", function("\"\""), "parse_image_uri", "image uri").also("empty"),
        case(
            "f_no_registry",
            function("\"app:v1\""),
            "parse_image_uri",
            "registry",
        ),
        case(
            "f_short_account",
            function("\"12345.dkr.ecr.eu-west-1.amazonaws.com/app:v1\""),
            "parse_image_uri",
            "12",
        ),
        case(
            "f_bad_digest",
            function("\"123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:xyz\""),
            "parse_image_uri",
            "digest",
        ),
        case(
            "f_empty_tag",
            function("\"123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:\""),
            "parse_image_uri",
            "tag",
        ),
    ]
}

fn lookup_cases() -> Vec<Case> {
    let missing_digest = format!("image_digest = \"sha256:{}\"", "d".repeat(64));
    vec![
        case(
            "l_missing_repository",
            prod_tag(&["repository = \"nope\""]),
            "repository",
            "nope",
        ),
        case(
            "l_missing_release",
            prod_tag(&["release_tag = \"hash_9\""]),
            "release_tag",
            "hash_9",
        ),
        case(
            "l_missing_digest",
            prod_tag(&["-release_tag", &missing_digest]),
            "image_digest",
            "dddddddd",
        ),
        case(
            "l_missing_cluster",
            prod_tag(&["cluster = \"nope\""]),
            "cluster",
            "nope",
        ),
        case(
            "l_missing_service",
            prod_tag(&["services = [\"example\", \"ghost\"]"]),
            "services",
            "ghost",
        ),
        case(
            "l_immutable_tag",
            prod_tag(&["repository = \"locked\""]),
            "tag",
            "immutable",
        ),
        case(
            "l_image_missing_tag",
            image("  repository = \"example\"\n  tag = \"hash_9\""),
            "tag",
            "hash_9",
        )
        .also("ImageNotFoundException"),
        case(
            "l_image_missing_digest",
            image(&format!(
                "  repository = \"example\"\n  digest = \"sha256:{}\"",
                "0".repeat(64)
            )),
            "digest",
            "00000000",
        )
        .also("ImageNotFoundException"),
        case(
            "l_image_missing_repository",
            image("  repository = \"nope\"\n  tag = \"prod\""),
            "repository",
            "nope",
        )
        .also("RepositoryNotFoundException"),
        case(
            "l_tasks_missing_cluster",
            task_digests("  cluster = \"nope\"\n  service = \"example\""),
            "cluster",
            "nope",
        )
        .also("ClusterNotFoundException"),
        case(
            "l_tasks_missing_repository",
            task_digests(
                "  cluster = \"example\"\n  service = \"example\"\n  repository = \"gone\"",
            ),
            "repository",
            "gone",
        )
        .also("RepositoryNotFoundException"),
        case(
            "l_tasks_unknown_container",
            task_digests("  cluster = \"example\"\n  service = \"example\"\n  container = \"web\""),
            "container",
            "no container named",
        ),
        case(
            "l_tasks_ambiguous_container",
            task_digests("  cluster = \"example\"\n  service = \"sidecar\""),
            "data \"tagdeploy_task_digests\" \"l_tasks_ambiguous_container\"",
            "set container",
        ),
        case(
            "l_tasks_missing_service",
            task_digests("  cluster = \"example\"\n  service = \"ghost\""),
            "service",
            "ghost",
        ),
    ]
}

/// Values known only after apply: `terraform_data.{label}_value.output` feeds the attribute.
fn unknown_cases() -> Vec<Case> {
    let unknown = |label: &'static str, value: &str, attr_line: &str| {
        let input =
            format!("resource \"terraform_data\" \"{label}_value\" {{\n  input = {value}\n}}\n");
        let resource = prod_tag(&[attr_line])
            .replace("VALUE", &format!("terraform_data.{label}_value.output"));
        format!("{input}\n{resource}")
    };
    vec![
        case(
            "u_release_invalid",
            unknown("u_release_invalid", "\"Not Valid!\"", "release_tag = VALUE"),
            "release_tag",
            "image tag",
        ),
        case(
            "u_release_missing",
            unknown("u_release_missing", "\"hash_9\"", "release_tag = VALUE"),
            "release_tag",
            "hash_9",
        ),
        case(
            "u_services_missing",
            unknown("u_services_missing", "[\"ghost\"]", "services = VALUE"),
            "services",
            "ghost",
        ),
    ]
}

/// Writes the cases into one configuration; returns it with each case's line range.
fn assemble(head: &str, cases: &[Case]) -> (String, Vec<(usize, usize)>) {
    let mut text = head.to_owned();
    let mut ranges = Vec::new();
    for case in cases {
        text.push('\n');
        let start = text.lines().count() + 1;
        text.push_str(&case.block);
        ranges.push((start, text.lines().count()));
    }
    (text, ranges)
}

/// The error diagnostics of a `-json` run, raw.
fn error_diagnostics(stdout: &str) -> Vec<Json> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Json>(l).ok())
        .filter(|l| l["type"] == "diagnostic" && l["diagnostic"]["severity"] == "error")
        .map(|l| l["diagnostic"].clone())
        .collect()
}

/// Checks that every case got exactly one error, on its attribute, with a summary and a detail,
/// saying all its words; returns the failures.
fn check(group: &str, cases: &[Case], ranges: &[(usize, usize)], errors: &[Json]) -> Vec<String> {
    let mut failures = Vec::new();
    for (case, (start, end)) in cases.iter().zip(ranges) {
        let mine: Vec<&Json> = errors
            .iter()
            .filter(|d| {
                d["range"]["start"]["line"]
                    .as_u64()
                    .is_some_and(|l| (*start..=*end).contains(&(l as usize)))
            })
            .collect();
        let text = |d: &Json, key: &str| d[key].as_str().unwrap_or_default().to_owned();
        let said = mine
            .iter()
            .map(|d| format!("{} {}", text(d, "summary"), text(d, "detail")))
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        let missing: Vec<&str> = case
            .words
            .iter()
            .filter(|w| !said.contains(&w.to_lowercase()))
            .copied()
            .collect();
        let problem = if mine.len() != 1 {
            Some(format!("{} errors instead of 1", mine.len()))
        } else if !mine.iter().all(|d| {
            d["snippet"]["code"]
                .as_str()
                .is_some_and(|c| c.contains(case.attribute))
        }) {
            Some(format!("an error is not on {:?}", case.attribute))
        } else if !missing.is_empty() {
            Some(format!("the error does not say {missing:?}"))
        } else if mine
            .iter()
            .any(|d| text(d, "summary").is_empty() || text(d, "detail").is_empty())
        {
            Some("an error has no summary or no detail".to_owned())
        } else {
            None
        };
        if let Some(problem) = problem {
            failures.push(format!(
                "{group}/{}: {problem}; got {}",
                case.label,
                serde_json::to_string_pretty(&mine).unwrap_or_default()
            ));
        }
    }
    failures
}

/// The world: the demo plus a repository whose tags are all immutable and a service with two
/// containers.
fn world() -> Json {
    let mut world = demo_world_json();
    world["repositories"]
        .as_array_mut()
        .expect("repositories")
        .push(json!({
            "name": "locked",
            "imageTagMutability": "IMMUTABLE",
            "images": [
                { "tags": ["hash_1", "prod"], "generate": { "seed": "locked:1" } },
                { "tags": ["hash_2"], "generate": { "seed": "locked:2" } }
            ]
        }));
    // A service whose tasks run two containers, so a report must be told which one.
    let mut sidecar = world["taskDefinitions"][0].clone();
    sidecar["family"] = json!("sidecar");
    sidecar["containerDefinitions"]
        .as_array_mut()
        .expect("container definitions")
        .push(json!({
            "name": "sidecar",
            "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/example:hash_2",
            "essential": false
        }));
    world["taskDefinitions"]
        .as_array_mut()
        .expect("task definitions")
        .push(sidecar);
    let mut service = world["services"][0].clone();
    service["serviceName"] = json!("sidecar");
    service["taskDefinition"] = json!("sidecar");
    world["services"]
        .as_array_mut()
        .expect("services")
        .push(service);
    world
}

terraform_test!(bad_inputs_are_refused_on_their_attribute_with_no_mutation);
fn bad_inputs_are_refused_on_their_attribute_with_no_mutation(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(world());
    let head = format!("{}\n{}", required_providers(), emulator.provider_block());
    let mut failures = Vec::new();
    let mut total = 0;

    for (group, cases, command) in [
        ("validate", validate_cases(&emulator), "plan"),
        ("lookup", lookup_cases(), "plan"),
        ("unknown", unknown_cases(), "apply"),
    ] {
        let (config, ranges) = assemble(&head, &cases);
        let ws = Workspace::new(tf, &format!("bad-input-{group}"), &config);
        ws.init();
        let mut args = vec![command, "-json", "-no-color"];
        if command == "apply" {
            args.push("-auto-approve");
        }
        let calls_before = emulator.operations().len();
        let run = ws.run(&args).failure();
        let errors = error_diagnostics(&run.stdout);
        failures.extend(check(group, &cases, &ranges, &errors));
        total += cases.len();
        let calls = emulator.operations().split_off(calls_before);
        if group == "validate" && !calls.is_empty() {
            failures.push(format!("validate: refused only after AWS calls {calls:?}"));
        }
    }

    let state_cases = state_cases(tf, &emulator, &head, &mut failures);
    total += state_cases;

    eprintln!("{total} bad inputs checked");
    assert!(total >= 25, "the table has {total} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(
        emulator.mutations().is_empty(),
        "refused input changed something: {:?}",
        emulator.mutations()
    );
}

/// One valid resource instance in state, as Terraform writes it.
fn state_instance(name: &str, schema_version: u64, attributes: Json) -> Json {
    json!({
        "mode": "managed",
        "type": "tagdeploy_prod_tag",
        "name": name,
        "provider": "provider[\"terraform.local/tagdeploy/tagdeploy\"]",
        "instances": [{ "schema_version": schema_version, "attributes": attributes }]
    })
}

/// Hand-edited states: each case is one resource of one state file; its diagnostic has no
/// source line, so its text must name the attribute. Returns the number of cases.
fn state_cases(
    tf: &Terraform,
    emulator: &BackgroundEmulator,
    head: &str,
    failures: &mut Vec<String>,
) -> usize {
    let hash_1 = emulator.digest("hash_1");
    let good = json!({
        "id": "example:prod",
        "repository": "example",
        "release_tag": "hash_1",
        "tag": "prod",
        "cluster": "example",
        "services": ["example"],
        "wait_for_rollout": true,
        "rollback_on_failure": true,
        "image_digest": hash_1,
        "image_tags": ["hash_1", "prod"],
        "deployments": []
    });
    let with = |key: &str, value: Json| {
        let mut attributes = good.clone();
        attributes[key] = value;
        attributes
    };
    // (resource name, schema version, attributes, words the error must contain)
    let cases: Vec<(&str, u64, Json, &str)> = vec![
        (
            "s_services_string",
            0,
            with("services", json!("example")),
            "services",
        ),
        (
            "s_digest_object",
            0,
            with("image_digest", json!({"sha256": 1})),
            "image_digest",
        ),
        (
            "s_deployments_number",
            0,
            with("deployments", json!(7)),
            "deployments",
        ),
        ("s_newer_schema", 9, good.clone(), "newer"),
    ];
    let state = json!({
        "version": 4,
        "terraform_version": tf.version,
        "serial": 1,
        "lineage": "00000000-0000-0000-0000-000000000006",
        "outputs": {},
        "resources": cases
            .iter()
            .map(|(name, version, attributes, _)| state_instance(name, *version, attributes.clone()))
            .collect::<Vec<_>>(),
    });
    let config: String = std::iter::once(head.to_owned())
        .chain(
            cases
                .iter()
                .map(|(name, ..)| prod_tag(&["release_tag = \"hash_1\""]).replace("{label}", name)),
        )
        .collect::<Vec<_>>()
        .join("\n");
    let ws = Workspace::new(tf, "bad-input-state", &config);
    ws.init();
    ws.write(
        "terraform.tfstate",
        &serde_json::to_string_pretty(&state).expect("state JSON"),
    );
    let run = ws.run(&["plan", "-json", "-no-color"]).failure();
    let errors = error_diagnostics(&run.stdout);
    for (name, _, _, words) in &cases {
        let found = errors.iter().any(|d| {
            let text = format!("{} {}", d["summary"], d["detail"]);
            text.to_lowercase().contains(words)
        });
        if !found {
            failures.push(format!(
                "state/{name}: no error saying {words:?}; got {}",
                serde_json::to_string_pretty(&errors).unwrap_or_default()
            ));
        }
    }
    cases.len()
}
