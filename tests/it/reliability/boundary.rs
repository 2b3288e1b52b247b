//! The process boundary. Already covered in `protocol::process` (referenced, not repeated):
//! TLS refused without Terraform's client certificate and with a different one
//! (`tls_clients_without_terraforms_certificate_are_refused`), the socket directory 0700 and
//! removed on exit (`mtls_handshake_schema_function_and_shutdown`, and the unit test in
//! `tfplugin::handshake`), refusal without the magic cookie
//! (`missing_cookie_prints_a_human_message_and_exits_1`), SIGINT ignored in plugin mode.
//!
//! Added here: a socket directory under a world-writable base is still owner-only; and no
//! credential (access key, secret key, session token, assume_role external_id) appears in
//! Terraform's TRACE log, in the state or in diagnostics, through plan, apply and errors, while
//! that log does hold every AWS call of the promotion (the AWS SDK's own events included).

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use terraform_provider_tagdeploy::tfplugin::handshake::Listener;

use crate::support::emulator::{BackgroundEmulator, demo_world_json};
use crate::support::observe::Observe;
use crate::support::prod_tag::prod_tag_config;
use crate::support::terraform::{Run, Terraform, Workspace, required_providers, terraform_test};

const ACCESS_KEY: &str = "AKIAMARKERMARKER";
const SECRET_KEY: &str = "secret-marker-5f0c1e";
const SESSION_TOKEN: &str = "token-marker-9a7d2b";
const EXTERNAL_ID: &str = "external-marker-44e1";

#[test]
fn socket_directory_is_owner_only_even_under_a_world_writable_base() {
    let base = tempfile::tempdir().expect("dir");
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o777))
        .expect("chmod 777");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _entered = runtime.enter();
    let listener = Listener::bind_unix(base.path()).expect("bind");
    let (_, socket) = listener.address().expect("address");
    let socket = std::path::PathBuf::from(socket);
    let dir = socket.parent().expect("socket directory");
    assert_ne!(dir, base.path(), "the socket gets its own directory");
    let meta = std::fs::metadata(dir).expect("stat");
    assert_eq!(meta.permissions().mode() & 0o777, 0o700);
    // SAFETY: geteuid has no preconditions.
    assert_eq!(meta.uid(), unsafe { libc::geteuid() }, "owned by us");
    drop(listener);
    assert!(!dir.exists(), "removed with the listener");
}

/// Every place a credential could leak from one Terraform command.
fn leaks(label: &str, run: &Run) -> Vec<String> {
    let mut found = Vec::new();
    for marker in [ACCESS_KEY, SECRET_KEY, SESSION_TOKEN, EXTERNAL_ID] {
        for (place, text) in [
            ("stdout (UI, diagnostics)", &run.stdout),
            ("stderr (TRACE log)", &run.stderr),
        ] {
            if text.contains(marker) {
                let line = text
                    .lines()
                    .find(|l| l.contains(marker))
                    .unwrap_or_default();
                found.push(format!("{label}: {marker} in {place}: {line:.300}"));
            }
        }
    }
    found
}

/// The promotion's AWS calls are in the TRACE log, each with its status and request id, under
/// the AWS SDK's module, and so is where the credentials came from: the log the markers were
/// looked for in is the one a user debugs with.
#[track_caller]
fn assert_aws_calls_logged(stderr: &str) {
    let sdk_lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("@module=tagdeploy.aws-sdk"))
        .collect();
    for operation in ["ECR PutImage", "ECR BatchGetImage", "ECS UpdateService"] {
        let call = sdk_lines
            .iter()
            .find(|l| l.contains(&format!("{operation} answered HTTP 200")));
        assert!(
            call.is_some_and(|l| l.contains("aws.request_id=") && l.contains("http.duration_ms=")),
            "no logged {operation} call with its request id and duration among {} AWS SDK lines",
            sdk_lines.len()
        );
    }
    assert!(
        sdk_lines
            .iter()
            .any(|l| l.contains("loaded credentials") && l.contains("provider=Environment")),
        "the credential source is not logged"
    );
}

fn with_markers(ws: &mut Workspace) {
    ws.set_env("AWS_ACCESS_KEY_ID", ACCESS_KEY);
    ws.set_env("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    ws.set_env("AWS_SESSION_TOKEN", SESSION_TOKEN);
    ws.set_env("TF_LOG", "TRACE");
}

terraform_test!(no_credentials_in_logs_state_or_diagnostics);
fn no_credentials_in_logs_state_or_diagnostics(tf: &Terraform) {
    let emulator = BackgroundEmulator::manual(demo_world_json());
    let _clock = emulator.tick_in_background(std::time::Duration::from_millis(10));
    let mut problems = Vec::new();

    // Static credentials: plan, a promotion, an error (a missing release).
    let mut ws = Workspace::new(tf, "markers", &prod_tag_config(&emulator, &["example"], ""));
    with_markers(&mut ws);
    ws.init();
    let plan = ws
        .run(&["plan", "-json", "-var", "release=hash_2"])
        .success();
    problems.extend(leaks("plan", &plan));
    assert!(
        plan.stderr.contains("[TRACE]") || plan.stderr.contains("@level"),
        "TF_LOG=TRACE is in effect"
    );
    let apply = ws
        .run(&[
            "apply",
            "-auto-approve",
            "-no-color",
            "-var",
            "release=hash_2",
        ])
        .success();
    problems.extend(leaks("apply", &apply));
    assert_aws_calls_logged(&apply.stderr);
    assert_eq!(emulator.digest("prod"), emulator.digest("hash_2"));
    let error = ws
        .run(&["apply", "-auto-approve", "-json", "-var", "release=hash_9"])
        .failure();
    problems.extend(leaks("failed apply", &error));
    let state = std::fs::read_to_string(ws.work_dir().join("terraform.tfstate")).expect("state");
    for marker in [ACCESS_KEY, SECRET_KEY, SESSION_TOKEN] {
        if state.contains(marker) {
            problems.push(format!("{marker} in terraform.tfstate"));
        }
    }

    // An assumed role with an external id: the STS call goes to the emulator, which does not
    // speak STS, so configuring credentials fails; the error must not carry the secrets.
    let config = format!(
        "{}\nprovider \"tagdeploy\" {{\n  region = \"us-east-1\"\n  endpoints {{\n    ecr = \"{url}\"\n    ecs = \"{url}\"\n  }}\n  assume_role {{\n    role_arn    = \"arn:aws:iam::123456789012:role/deploy\"\n    external_id = var.external_id\n  }}\n}}\n\nvariable \"external_id\" {{\n  type = string\n}}\n\ndata \"tagdeploy_image\" \"prod\" {{\n  repository = \"example\"\n  tag        = \"prod\"\n}}\n",
        required_providers(),
        url = emulator.url()
    );
    let mut ws = Workspace::new(tf, "markers-role", &config);
    with_markers(&mut ws);
    ws.set_env("AWS_ENDPOINT_URL_STS", &emulator.url());
    // Through the environment: Terraform's own TRACE log prints its command line.
    ws.set_env("TF_VAR_external_id", EXTERNAL_ID);
    ws.init();
    let failed = ws.run(&["plan", "-json"]).failure();
    problems.extend(leaks("assume_role", &failed));
    assert!(
        !failed.json_errors().is_empty(),
        "the role cannot be assumed: {}",
        failed.transcript()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
