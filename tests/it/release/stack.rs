//! `infra/` applied for real with hashicorp/aws 5.100.0, release images pushed by skopeo: the
//! RFC's whole flow, from an empty account to a rolled-back bad release and a clean destroy.
//!
//! One flow ([`run_flow`]), two targets. [`Target::Emulator`] runs in every `make test`, on both
//! Terraforms, wherever hashicorp/aws and skopeo are on the machine (SKIPPED with the reason
//! otherwise). [`Target::Aws`] runs the same steps against a real account with `make acc`
//! (`TAGDEPLOY_ACC=1` and AWS credentials): the only differences are the endpoint (and the
//! variables a real account needs: subnets, security groups, a runnable image) and the clean-up,
//! which on AWS runs `terraform destroy` even when a step fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::support::emulator::BackgroundEmulator;
use crate::support::repo_root;
use crate::support::terraform::{Terraform, Workspace, platform, terraform_test};

use super::infra::{AWS_VERSION, aws_mirror};
use super::use_mirrors;

/// Where the stack is created.
enum Target {
    /// A fresh, empty emulator.
    Emulator(BackgroundEmulator),
    /// A real AWS account, with the settings `make acc` passes.
    Aws(AccSettings),
}

/// What a real account needs beyond credentials (see `make acc` and infra/README.md).
struct AccSettings {
    region: String,
    subnets: Vec<String>,
    security_groups: Vec<String>,
    busybox: PathBuf,
}

/// Why the flow cannot run here, if it cannot: hashicorp/aws missing, or no OCI client.
fn missing_tools() -> Option<String> {
    let aws = aws_mirror()
        .join("registry.terraform.io/hashicorp/aws")
        .join(AWS_VERSION)
        .join(platform());
    if !aws.is_dir() {
        return Some(format!(
            "no hashicorp/aws {AWS_VERSION} at {} (set TAGDEPLOY_AWS_PROVIDER_MIRROR to a filesystem mirror holding it)",
            aws.display()
        ));
    }
    let client = Command::new(repo_root().join("scripts/oci-client.sh"))
        .output()
        .ok()?;
    if !client.status.success() {
        return Some(String::from_utf8_lossy(&client.stderr).trim().to_string());
    }
    None
}

/// The stack's workspace: infra/*.tf, our provider and hashicorp/aws from their mirrors.
struct Stack {
    ws: Workspace,
    vars: Vec<String>,
    /// Environment for the AWS CLI and skopeo (scripts/push-release.sh).
    push_env: Vec<(String, String)>,
    name: String,
}

impl Stack {
    fn new(tf: &Terraform, target: &Target) -> Stack {
        let mut ws = Workspace::new(tf, "infra-stack", "");
        let own_mirror = ws.work_dir().parent().expect("scratch").join("mirror");
        let aws_mirror = aws_mirror();
        use_mirrors(
            &ws,
            &[
                (own_mirror.as_path(), "terraform.local/*/*"),
                (aws_mirror.as_path(), "registry.terraform.io/hashicorp/*"),
            ],
        );
        for entry in std::fs::read_dir(repo_root().join("infra"))
            .expect("infra/")
            .flatten()
        {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "tf") {
                let name = path
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned();
                ws.write(
                    &name,
                    &std::fs::read_to_string(&path).expect("read infra file"),
                );
            }
        }
        // infra/ sets the repository's tag mutability with the AWS CLI (terraform_data).
        let venv = repo_root().join(".venv/bin");
        let path = format!(
            "{}:{}",
            venv.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        ws.set_env("PATH", &path);
        let mut push_env = vec![("PATH".to_string(), path)];
        let (name, mut vars) = match target {
            Target::Emulator(emulator) => {
                let url = emulator.url();
                push_env.extend(
                    [
                        ("AWS_ACCESS_KEY_ID", "AKIDEMULATOR"),
                        ("AWS_SECRET_ACCESS_KEY", "emulator-secret"),
                        ("AWS_DEFAULT_REGION", "us-east-1"),
                        ("AWS_CONFIG_FILE", "/dev/null"),
                        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
                        ("AWS_ENDPOINT_URL_ECR", url.as_str()),
                    ]
                    .map(|(k, v)| (k.to_string(), v.to_string())),
                );
                (
                    "example".to_string(),
                    vec![
                        "region=us-east-1".to_string(),
                        format!("endpoint={url}"),
                        "manage_iam=false".to_string(),
                        "execution_role_arn=arn:aws:iam::123456789012:role/example-task-execution"
                            .to_string(),
                        "subnet_ids=[\"subnet-0123456789abcdef0\"]".to_string(),
                        "security_group_ids=[\"sg-0123456789abcdef0\"]".to_string(),
                    ],
                )
            }
            Target::Aws(acc) => {
                // The caller's credentials, whatever their form, for Terraform and the pushes.
                for key in [
                    "AWS_ACCESS_KEY_ID",
                    "AWS_SECRET_ACCESS_KEY",
                    "AWS_SESSION_TOKEN",
                    "AWS_PROFILE",
                    "AWS_CONFIG_FILE",
                    "AWS_SHARED_CREDENTIALS_FILE",
                ] {
                    match std::env::var(key) {
                        Ok(v) => {
                            ws.set_env(key, &v);
                            push_env.push((key.to_string(), v));
                        }
                        Err(_) if key.ends_with("_FILE") => {
                            // Not /dev/null (the emulator's default): the standard locations.
                            let home = std::env::var("HOME").unwrap_or_default();
                            let file = if key == "AWS_CONFIG_FILE" {
                                "config"
                            } else {
                                "credentials"
                            };
                            let v = format!("{home}/.aws/{file}");
                            ws.set_env(key, &v);
                            push_env.push((key.to_string(), v));
                        }
                        Err(_) => {}
                    }
                }
                push_env.push(("AWS_DEFAULT_REGION".to_string(), acc.region.clone()));
                push_env.push((
                    "TAGDEPLOY_BUSYBOX".to_string(),
                    acc.busybox.display().to_string(),
                ));
                let suffix = format!("{:08x}", rand_suffix());
                let list = |v: &[String]| {
                    format!(
                        "[{}]",
                        v.iter()
                            .map(|s| format!("\"{s}\""))
                            .collect::<Vec<_>>()
                            .join(",")
                    )
                };
                (
                    format!("tagdeploy-acc-{suffix}"),
                    vec![
                        format!("region={}", acc.region),
                        format!("subnet_ids={}", list(&acc.subnets)),
                        format!("security_group_ids={}", list(&acc.security_groups)),
                        "assign_public_ip=true".to_string(),
                    ],
                )
            }
        };
        vars.push(format!("name={name}"));
        vars.push("force_delete=true".to_string());
        Stack {
            ws,
            vars,
            push_env,
            name,
        }
    }

    fn args<'a>(&'a self, extra: &'a [&'a str]) -> Vec<String> {
        let mut args: Vec<String> = self
            .vars
            .iter()
            .flat_map(|v| ["-var".to_string(), v.clone()])
            .collect();
        args.extend(extra.iter().map(|s| (*s).to_string()));
        args
    }

    /// `terraform apply` with the stack's variables and `extra`, whatever its outcome.
    fn try_apply(&self, extra: &[&str]) -> crate::support::terraform::Run {
        let args = self.args(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.ws.try_apply(&args)
    }

    fn apply(&self, extra: &[&str]) {
        self.try_apply(extra).success();
    }

    fn plan_exit_code(&self, extra: &[&str]) -> (i32, String) {
        let args = self.args(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.ws.plan_exit_code(&args)
    }

    fn destroy(&self) -> crate::support::terraform::Run {
        let args = self.args(&["destroy", "-auto-approve", "-no-color"]);
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        // `destroy` must come first.
        args.rotate_right(3);
        self.ws.run(&args)
    }

    /// Builds and pushes release `tag` with scripts/push-release.sh; returns its digest.
    fn push(&self, tag: &str, broken: bool) -> String {
        let mut cmd = Command::new(repo_root().join("scripts/push-release.sh"));
        cmd.args([self.name.as_str(), tag]);
        if broken {
            cmd.arg("--broken");
        }
        for (k, v) in &self.push_env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run scripts/push-release.sh");
        assert!(
            out.status.success(),
            "pushing {tag} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let digest = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(digest.starts_with("sha256:"), "push printed {digest:?}");
        digest
    }

    /// The report of `data.tagdeploy_task_digests.prod[0]` as state holds it.
    fn report(&self) -> Value {
        self.ws
            .resource_values("data.tagdeploy_task_digests.prod[0]")
    }
}

/// A random number for resource names, from the clock and the process id (no extra crate).
fn rand_suffix() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    nanos ^ std::process::id().rotate_left(16)
}

/// Asserts that the report shows the release `digest` complete: `prod` on it, one deployment,
/// every task running it.
#[track_caller]
fn assert_complete(report: &Value, digest: &str, desired: usize) {
    assert_eq!(report["env_digest"], digest, "{report:#}");
    assert_eq!(report["complete"], true, "{report:#}");
    let tasks = report["tasks"].as_array().cloned().unwrap_or_default();
    assert_eq!(tasks.len(), desired, "{report:#}");
    assert!(
        tasks
            .iter()
            .all(|t| t["digest"] == digest && t["matches"] == true),
        "{report:#}"
    );
}

/// The resources `import` blocks adopt after `terraform state rm` (every kind the stack has
/// that hashicorp/aws can import by a plain id).
fn import_blocks(name: &str, cluster: &str, service: &str, task_definition: &str) -> String {
    format!(
        "import {{\n  to = aws_ecr_repository.app\n  id = \"{name}\"\n}}\n\nimport {{\n  to = aws_ecs_cluster.this\n  id = \"{cluster}\"\n}}\n\nimport {{\n  to = aws_ecs_service.app\n  id = \"{service}\"\n}}\n\nimport {{\n  to = aws_ecs_task_definition.app\n  id = \"{task_definition}\"\n}}\n\nimport {{\n  to = aws_cloudwatch_log_group.app\n  id = \"/ecs/{name}\"\n}}\n"
    )
}

/// The RFC's flow on `target`. Panics at the first step that goes wrong. `step` is told when
/// each step ends (the emulator run prints the calls each step made).
fn run_flow(stack: &Stack, step: &dyn Fn(&str)) {
    stack.ws.init();
    // 1. The stack, without a release: the service runs no task.
    stack.apply(&[]);
    step("create");
    let (code, plan) = stack.plan_exit_code(&[]);
    assert_eq!(code, 0, "the stack re-plans empty:\n{plan}");
    step("re-plan");

    // 2. Two builds and a broken one, pushed by skopeo with ECR's login.
    let hash_1 = stack.push("hash_1", false);
    let hash_2 = stack.push("hash_2", false);
    let broken = stack.push("hash_bad", true);
    assert_ne!(hash_1, hash_2);
    step("push");

    // 3. The first release: prod created on hash_1, the service scaled up onto it.
    stack.apply(&["-var", "release=hash_1"]);
    assert_complete(&stack.report(), &hash_1, 2);
    step("release hash_1");

    // 4. Import every resource back after forgetting it: the plan is then empty.
    let show = stack.ws.show();
    let resources = show["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let id_of = |address: &str| {
        resources
            .iter()
            .find(|r| r["address"] == address)
            .and_then(|r| r["values"]["id"].as_str())
            .unwrap_or_else(|| panic!("{address} in state"))
            .to_string()
    };
    // hashicorp/aws imports a cluster by name (and builds its ARN from the account id STS gave).
    let cluster = stack.name.clone();
    assert!(id_of("aws_ecs_cluster.this").ends_with(&format!(":cluster/{cluster}")));
    let service = format!("{}/{}", stack.name, stack.name);
    let task_definition = resources
        .iter()
        .find(|r| r["address"] == "aws_ecs_task_definition.app")
        .and_then(|r| r["values"]["arn"].as_str())
        .expect("task definition ARN")
        .to_string();
    for address in [
        "aws_ecr_repository.app",
        "aws_ecs_cluster.this",
        "aws_ecs_service.app",
        "aws_ecs_task_definition.app",
        "aws_cloudwatch_log_group.app",
    ] {
        stack.ws.run(&["state", "rm", address]).success();
    }
    stack.ws.write(
        "imports.tf",
        &import_blocks(&stack.name, &cluster, &service, &task_definition),
    );
    stack.apply(&["-var", "release=hash_1"]);
    step("import");
    std::fs::remove_file(stack.ws.work_dir().join("imports.tf")).expect("remove imports.tf");
    let (code, plan) = stack.plan_exit_code(&["-var", "release=hash_1"]);
    assert_eq!(
        code, 0,
        "after the release and the imports the plan is empty:\n{plan}"
    );

    // 5. The next release, with the tags of every resource changed on the way.
    let (code, plan) = stack.plan_exit_code(&["-var", "release=hash_2"]);
    assert_eq!(code, 2, "{plan}");
    assert!(
        plan.contains(&format!("\"{hash_1}\" -> \"{hash_2}\"")),
        "the plan previews prod's move:\n{plan}"
    );
    stack.apply(&[
        "-var",
        "release=hash_2",
        "-var",
        "tags={Stack=\"tagdeploy-rfc013\",Release=\"hash_2\"}",
    ]);
    assert_complete(&stack.report(), &hash_2, 2);
    step("release hash_2 and new tags");

    // 6. A release whose tasks never start: ECS's circuit breaker rolls the service back, the
    // provider moves prod back, and the apply fails saying so.
    let run = stack.try_apply(&["-var", "release=hash_bad"]).failure();
    // Terraform wraps the diagnostic to the terminal width: match words that stay on one line.
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(
        said.contains("Rollout Failed") && said.contains("Rolled back: tag \"prod\""),
        "the error says the rollout failed and prod was rolled back:\n{}",
        run.transcript()
    );
    let refresh = stack.try_apply(&["-refresh-only", "-var", "release=hash_2"]);
    refresh.success();
    assert_eq!(
        stack.report()["env_digest"],
        hash_2,
        "prod is back on hash_2"
    );
    assert_ne!(broken, hash_2);
    step("failed release rolled back");

    // 7. Everything goes.
    stack.destroy().success();
    step("destroy");
}

terraform_test!(infra_stack_on_the_emulator);
fn infra_stack_on_the_emulator(tf: &Terraform) {
    if let Some(reason) = missing_tools() {
        eprintln!("SKIPPED: {reason}");
        return;
    }
    let emulator = BackgroundEmulator::real(json!({}), 100);
    let target = Target::Emulator(emulator);
    let stack = Stack::new(tf, &target);
    let Target::Emulator(emulator) = &target else {
        unreachable!()
    };
    // With --no-capture: what hashicorp/aws, the provider and skopeo asked for, step by step.
    let seen = std::cell::Cell::new(0);
    run_flow(&stack, &|name| {
        let calls = emulator.requests();
        let mut counts = std::collections::BTreeMap::<String, usize>::new();
        for r in &calls[seen.get().min(calls.len())..] {
            *counts
                .entry(format!("{}:{}", r.service.as_str(), r.operation))
                .or_default() += 1;
        }
        seen.set(calls.len());
        eprintln!("step {name}: {counts:?}");
    });
    let state = emulator.state();
    assert_eq!(
        state["repositories"],
        json!([]),
        "destroy left repositories: {state:#}"
    );
    assert_eq!(
        state["clusters"],
        json!([]),
        "destroy left clusters: {state:#}"
    );
}

/// The same flow on a real AWS account: `make acc`. Needs `TAGDEPLOY_ACC=1`, AWS credentials
/// (any form the AWS CLI and Terraform read), `TAGDEPLOY_ACC_SUBNETS` and
/// `TAGDEPLOY_ACC_SECURITY_GROUPS` (comma-separated; public subnets, as tasks get a public IP to
/// pull from ECR), optionally `TAGDEPLOY_ACC_REGION` (default eu-west-1), and a static busybox
/// (`TAGDEPLOY_BUSYBOX`, default /bin/busybox from Debian's busybox-static) so the images run.
#[test]
fn infra_stack_on_aws() {
    if std::env::var("TAGDEPLOY_ACC").as_deref() != Ok("1") {
        eprintln!(
            "SKIPPED: acceptance test against AWS; run `make acc` with TAGDEPLOY_ACC=1 and AWS credentials"
        );
        return;
    }
    if let Some(reason) = missing_tools() {
        panic!("make acc cannot run: {reason}");
    }
    let list = |key: &str| -> Vec<String> {
        std::env::var(key)
            .unwrap_or_else(|_| panic!("make acc needs {key} (comma-separated)"))
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let busybox = PathBuf::from(
        std::env::var("TAGDEPLOY_BUSYBOX").unwrap_or_else(|_| "/bin/busybox".to_string()),
    );
    assert!(
        Path::new(&busybox).is_file(),
        "make acc needs a static busybox at {} (Debian: apt-get install busybox-static)",
        busybox.display()
    );
    let target = Target::Aws(AccSettings {
        region: std::env::var("TAGDEPLOY_ACC_REGION").unwrap_or_else(|_| "eu-west-1".to_string()),
        subnets: list("TAGDEPLOY_ACC_SUBNETS"),
        security_groups: list("TAGDEPLOY_ACC_SECURITY_GROUPS"),
        busybox,
    });
    let tf = Terraform::v1_15();
    let stack = Stack::new(&tf, &target);
    eprintln!("acc: creating stack {}", stack.name);
    // Whatever happens in the flow, the account is cleaned up: destroy runs during unwinding too.
    struct Cleanup<'a>(&'a Stack);
    impl Drop for Cleanup<'_> {
        fn drop(&mut self) {
            let run = self.0.destroy();
            if run.code != Some(0) {
                eprintln!(
                    "acc: terraform destroy of {} FAILED; delete its resources by hand:\n{}",
                    self.0.name,
                    run.transcript()
                );
            }
        }
    }
    let _cleanup = Cleanup(&stack);
    run_flow(&stack, &|name| eprintln!("acc: step {name} done"));
}
