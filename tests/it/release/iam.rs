//! The promotion policy in `infra/iam.tf` grants exactly the AWS actions the provider uses.
//!
//! "Uses" is measured two ways, which must agree: the operations the emulator served during a
//! representative run through Terraform (plan; apply that waits and approves a PAUSE hook;
//! refresh; both data sources, including a service with no task; a failed rollout rolled back;
//! a timeout that stops the deployment; import), and the SDK calls
//! written in `src/aws/`. Each operation maps to its IAM action; the policy's `actions` lists,
//! and the example policy in the provider docs, must hold that set and nothing else.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use serde_json::json;

use crate::support::emulator::{
    BackgroundEmulator, add_services, add_unhealthy_release, demo_world_json,
};
use crate::support::observe::Observe;
use crate::support::prod_tag::prod_tag_config;
use crate::support::repo_root;
use crate::support::terraform::{Terraform, Workspace};

/// AWS operation (as the emulator logs it, `service:Operation`) → the IAM action that
/// authorises it. For ECR and ECS the names coincide, but not for every service (e.g. S3's
/// `HeadObject` is `s3:GetObject`), so an operation missing here fails the test rather than
/// being assumed.
const IAM_ACTIONS: [(&str, &str); 13] = [
    ("ecr:BatchGetImage", "ecr:BatchGetImage"),
    ("ecr:DescribeImages", "ecr:DescribeImages"),
    ("ecr:DescribeRepositories", "ecr:DescribeRepositories"),
    ("ecr:PutImage", "ecr:PutImage"),
    (
        "ecs:ContinueServiceDeployment",
        "ecs:ContinueServiceDeployment",
    ),
    (
        "ecs:DescribeServiceDeployments",
        "ecs:DescribeServiceDeployments",
    ),
    (
        "ecs:DescribeServiceRevisions",
        "ecs:DescribeServiceRevisions",
    ),
    ("ecs:DescribeServices", "ecs:DescribeServices"),
    ("ecs:StopServiceDeployment", "ecs:StopServiceDeployment"),
    ("ecs:DescribeTaskDefinition", "ecs:DescribeTaskDefinition"),
    ("ecs:DescribeTasks", "ecs:DescribeTasks"),
    ("ecs:ListTasks", "ecs:ListTasks"),
    ("ecs:UpdateService", "ecs:UpdateService"),
];

fn iam_action(operation: &str) -> Result<&'static str, String> {
    IAM_ACTIONS
        .iter()
        .find(|(op, _)| *op == operation)
        .map(|(_, action)| *action)
        .ok_or_else(|| {
            format!(
                "no IAM action known for {operation}: add it to IAM_ACTIONS (and to infra/iam.tf)"
            )
        })
}

/// The quoted strings of every `actions = [ … ]` list in the HCL block that starts at `start`.
fn actions_in_block(text: &str, start: usize) -> BTreeSet<String> {
    // The block ends where its braces balance (interpolations `${…}` balance too).
    let mut depth = 0usize;
    let mut end = text.len();
    for (i, c) in text[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    end = start + i;
                    break;
                }
            }
            _ => {}
        }
    }
    let block = &text[start..end];
    let mut actions = BTreeSet::new();
    let mut rest = block;
    while let Some(at) = rest.find("actions") {
        let before = rest[..at].chars().last();
        let after = rest[at + "actions".len()..].trim_start();
        rest = &rest[at + "actions".len()..];
        // `actions = [`, not `not_actions` or a word inside a comment.
        if before.is_some_and(|c| !c.is_whitespace()) {
            continue;
        }
        let Some(list) = after.strip_prefix('=').map(str::trim_start) else {
            continue;
        };
        let Some(list) = list.strip_prefix('[') else {
            continue;
        };
        let list = &list[..list.find(']').unwrap_or(list.len())];
        for item in list.split(',') {
            let item = item.trim();
            if let Some(action) = item.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                actions.insert(action.to_owned());
            }
        }
    }
    actions
}

/// The actions of `data "aws_iam_policy_document" "promotion"` in infra/*.tf.
fn policy_actions(infra: &Path) -> BTreeSet<String> {
    const HEADER: &str = "data \"aws_iam_policy_document\" \"promotion\"";
    let mut found = None;
    for entry in std::fs::read_dir(infra).expect("read infra").flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "tf") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read infra file");
        if let Some(at) = text.find(HEADER) {
            assert!(found.is_none(), "two promotion policies in infra/");
            found = Some(actions_in_block(&text, at));
        }
    }
    found.unwrap_or_else(|| panic!("no {HEADER} in infra/*.tf"))
}

/// The actions of the example policy in the provider docs (`"Action": [ … ]` lines).
fn docs_policy_actions(page: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(page).expect("read docs page");
    let mut actions = BTreeSet::new();
    for line in text.lines() {
        let Some((_, list)) = line.split_once("\"Action\": [") else {
            continue;
        };
        for item in list.split(']').next().unwrap_or_default().split(',') {
            if let Some(action) = item
                .trim()
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
            {
                actions.insert(action.to_owned());
            }
        }
    }
    actions
}

/// Every `.rs` file under `dir`, at any depth.
fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)
        .expect("read a source directory")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The SDK operations called in `src/aws/ecr.rs` and `src/aws/ecs/` (`client.describe_images()`
/// → `ecr:DescribeImages`), so an operation the run above missed still counts.
fn sdk_operations() -> BTreeSet<String> {
    let mut ops = BTreeSet::new();
    let dir = repo_root().join("src/aws");
    for path in rust_files(&dir) {
        let text = std::fs::read_to_string(&path).expect("read source");
        // The service is the file's name (`ecr.rs`) or its directory's (`ecs/describe.rs`).
        let relative = path.strip_prefix(&dir).unwrap_or(&path);
        let first = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or_default();
        let service = match first.trim_end_matches(".rs") {
            "ecr" => "ecr",
            "ecs" => "ecs",
            _ => "",
        };
        let mut rest = text.as_str();
        while let Some(at) = rest.find("client") {
            rest = &rest[at + "client".len()..];
            let call = rest.trim_start();
            let Some(call) = call.strip_prefix('.') else {
                continue;
            };
            let name: String = call
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if name.is_empty() || !call[name.len()..].starts_with("()") || name == "clone" {
                continue;
            }
            assert!(
                !service.is_empty(),
                "{}: an AWS call outside ecr.rs and ecs/ ({name}): teach this test its service",
                path.display()
            );
            let pascal: String = name
                .split('_')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect();
            ops.insert(format!("{service}:{pascal}"));
        }
    }
    ops
}

/// Everything the provider does, through Terraform 1.15, against one emulator.
fn representative_run() -> BTreeSet<String> {
    let mut world = demo_world_json();
    add_unhealthy_release(&mut world);
    // A service scaled to zero: its report finds the image through the task definition.
    add_services(&mut world, 1);
    world["services"][1]["desiredCount"] = json!(0);
    // A manual approval gate: a PAUSE hook after the new tasks start.
    world["services"][0]["deploymentConfiguration"]["lifecycleHooks"] =
        json!([{"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"]}]);
    let emulator = BackgroundEmulator::manual(world);
    let _clock = emulator.tick_in_background(Duration::from_millis(10));
    let hash_1 = emulator.digest("hash_1");
    let config = format!(
        r#"{}
data "tagdeploy_task_digests" "prod" {{
  cluster    = "example"
  service    = "example"
  depends_on = [tagdeploy_prod_tag.prod]
}}

data "tagdeploy_task_digests" "idle" {{
  cluster = "example"
  service = "example-1"
}}

data "tagdeploy_image" "prod" {{
  repository = "example"
  tag        = "prod"
  depends_on = [tagdeploy_prod_tag.prod]
}}

data "tagdeploy_image" "hash_1" {{
  repository = "example"
  digest     = "{hash_1}"
}}
"#,
        prod_tag_config(
            &emulator,
            &["example"],
            "  pause_hook_action = var.pause\n  timeouts {\n    update = var.timeout\n  }\n"
        )
    );
    let tf = Terraform::v1_15();
    let ws = Workspace::new(&tf, "iam-run", &config);
    ws.write(
        "vars.tf",
        "variable \"pause\" {\n  default = \"CONTINUE\"\n}\nvariable \"timeout\" {\n  default = \"5m\"\n}\n",
    );
    ws.init();
    ws.run(&["plan", "-no-color", "-var", "release=hash_2"])
        .success();
    ws.apply(&["-var", "release=hash_2"]);
    ws.apply(&["-refresh-only", "-var", "release=hash_2"]);
    let failed = ws.try_apply(&["-var", "release=hash_bad"]);
    assert!(
        failed.code != Some(0) && failed.transcript().contains("Rolled back"),
        "the bad release must fail and roll back:\n{}",
        failed.transcript()
    );
    // Left at the gate until the timeout: the deployment is stopped, the tag goes back.
    let timed_out = ws.try_apply(&[
        "-var",
        "release=hash_1",
        "-var",
        "pause=WAIT",
        "-var",
        "timeout=3s",
    ]);
    assert!(
        timed_out.code != Some(0) && timed_out.transcript().contains("StopServiceDeployment"),
        "the release left at the gate must time out and be stopped:\n{}",
        timed_out.transcript()
    );
    ws.run(&["state", "rm", "-no-color", "tagdeploy_prod_tag.prod"])
        .success();
    ws.run(&[
        "import",
        "-no-color",
        "-var",
        "release=hash_2",
        "tagdeploy_prod_tag.prod",
        "example:prod",
    ])
    .success();
    emulator.operations().into_iter().collect()
}

#[test]
fn promotion_policy_grants_exactly_the_operations_the_provider_issues() {
    let observed = representative_run();
    let declared = sdk_operations();
    assert_eq!(
        observed, declared,
        "the run above did not exercise every AWS call in src/aws (or issued one not written there)"
    );
    let needed: BTreeSet<String> = observed
        .iter()
        .map(|op| iam_action(op).map(str::to_owned))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}"));
    let root = repo_root();
    let granted = policy_actions(&root.join("infra"));
    assert_eq!(
        granted,
        needed,
        "infra/iam.tf must grant exactly the actions the provider uses\n  only granted: {:?}\n  only needed: {:?}",
        granted.difference(&needed).collect::<Vec<_>>(),
        needed.difference(&granted).collect::<Vec<_>>()
    );
    let documented = docs_policy_actions(&root.join("docs/index.md"));
    assert_eq!(
        documented, needed,
        "the example policy in docs/index.md (templates/index.md.tmpl) must list the same actions"
    );
}

#[test]
fn policy_parser_reads_actions_lists_only() {
    let text = r#"data "aws_iam_policy_document" "promotion" {
  statement {
    actions   = ["ecr:PutImage", "ecr:BatchGetImage"]
    resources = ["arn:${local.partition}:ecr:x"]
  }
  statement {
    actions = [
      "ecs:ListTasks",
    ]
    condition {
      variable = "ecs:cluster"
    }
  }
}
data "aws_iam_policy_document" "other" {
  statement {
    actions = ["s3:GetObject"]
  }
}
"#;
    let actions = actions_in_block(text, 0);
    let expected: BTreeSet<String> = ["ecr:PutImage", "ecr:BatchGetImage", "ecs:ListTasks"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(actions, expected);
}
