//! SDK failures read as sentences: which call, what happened (throttled, failed inside AWS,
//! connection dropped or refused, timed out), how many attempts the SDK made, the request id,
//! and, in the diagnostic, what running the command again does. Never a Rust debug dump, never
//! an empty text after a colon.
//!
//! The calls go through clients built exactly as the provider builds them (so the call
//! observer that counts attempts is in place), with quick retries so every case stays short.

use std::time::Duration;

use tagdeploy_emulator::{FaultKind, FaultPlan};
use terraform_provider_tagdeploy::aws::ecr::Ecr;
use terraform_provider_tagdeploy::aws::ecs::{Ecs, NoProgress};
use terraform_provider_tagdeploy::aws::error::{CallFailure, EcrError, EcsError};
use terraform_provider_tagdeploy::aws::image::{Digest, ImageSelector, RepositoryRef};
use terraform_provider_tagdeploy::aws::promote::{Member, Promotion, promote};
use terraform_provider_tagdeploy::errors::{self, Attributes};
use terraform_provider_tagdeploy::tfplugin::diagnostics::AttributePath;

use crate::support::aws::quick_provider_clients;
use crate::support::emulator::{Emulated, demo_world_json};
use crate::support::faults::rule;
use crate::support::observe::Observe;
use crate::support::terraform::{Terraform, Workspace, required_providers, terraform_test};

/// Attempts per call in these tests.
const ATTEMPTS: u32 = 3;

/// The provider's clients for `url` with `ATTEMPTS` quick attempts.
async fn clients(url: &str, attempt_timeout: Option<Duration>) -> (Ecr, Ecs, tempfile::TempDir) {
    quick_provider_clients(url, ATTEMPTS, attempt_timeout).await
}

fn example() -> RepositoryRef {
    RepositoryRef::new("example")
}

/// The checks every message must pass: a sentence, no debug dump, nothing empty after a colon.
#[track_caller]
fn assert_readable(text: &str) {
    for dump in ["DispatchFailure", "ConnectorError", "{", "Some(", "hyper::"] {
        assert!(!text.contains(dump), "{dump:?} in {text:?}");
    }
    assert!(
        !text.contains(": ;") && !text.contains(": (") && !text.trim_end().ends_with(':'),
        "{text:?}"
    );
}

fn api_error(error: EcrError) -> terraform_provider_tagdeploy::aws::error::ApiError {
    match error {
        EcrError::Api(api) => api,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn throttling_server_errors_and_dropped_connections_read_as_sentences() {
    let env = Emulated::manual(demo_world_json()).await;
    let (ecr, _, _dir) = clients(&env.handle.url(), None).await;
    let endpoint = env
        .handle
        .url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let cases = [
        (
            FaultKind::Throttle,
            "ECR DescribeImages was throttled by AWS (ThrottlingException: Rate exceeded); all 3 attempts failed (last request id ",
        ),
        (
            FaultKind::ServerError,
            "ECR DescribeImages failed inside AWS (HTTP 500, ServerException: We encountered an internal error. Please try again.); all 3 attempts failed (last request id ",
        ),
        (FaultKind::Drop, ""),
    ];
    for (kind, expected) in cases {
        env.handle.clear_requests();
        env.handle.set_faults(FaultPlan {
            seed: 1,
            rules: vec![rule("DescribeImages", kind, 1.0, None)],
        });
        let error = ecr
            .image(&example(), &ImageSelector::Tag("prod".into()))
            .await
            .expect_err("every attempt faulted");
        let text = error.to_string();
        assert_readable(&text);
        if kind == FaultKind::Drop {
            assert_eq!(
                text,
                format!(
                    "ECR DescribeImages got no answer: the connection to {endpoint} closed before the answer arrived; all 3 attempts failed"
                )
            );
        } else {
            assert!(text.starts_with(expected), "{kind:?}: {text}");
            assert!(text.ends_with(')'), "a request id is named: {text}");
        }
        assert_eq!(env.count("DescribeImages"), ATTEMPTS as usize, "{kind:?}");
        let api = api_error(error);
        assert_eq!(api.attempts.made, ATTEMPTS);
        assert!(api.is_transient());
    }
}

#[tokio::test]
async fn a_refused_connection_names_the_endpoint() {
    // A port nobody listens on: bound, then released.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let (ecr, ecs, _dir) = clients(&format!("http://127.0.0.1:{port}"), None).await;
    let error = ecr
        .image(&example(), &ImageSelector::Tag("prod".into()))
        .await
        .expect_err("nothing listens");
    assert_eq!(
        error.to_string(),
        format!(
            "ECR DescribeImages could not connect to 127.0.0.1:{port}: the connection was refused; all 3 attempts failed"
        )
    );
    let diagnostic = errors::ecr("Read Image Error", &error, &Attributes::new());
    assert_readable(&diagnostic.detail);
    assert!(
        diagnostic
            .detail
            .contains("Check that the endpoint is right")
            && diagnostic
                .detail
                .ends_with("running the command again retries the call."),
        "{diagnostic}"
    );
    let error = ecs
        .services("example", &["example".to_owned()])
        .await
        .expect_err("nothing listens");
    assert!(
        matches!(&error, EcsError::Api(api) if matches!(api.failure, CallFailure::ConnectionRefused { .. })),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_call_without_an_answer_times_out_with_the_limit_named() {
    let env = Emulated::manual(demo_world_json()).await;
    let (ecr, _, _dir) = clients(&env.handle.url(), Some(Duration::from_millis(300))).await;
    env.handle.set_faults(FaultPlan {
        seed: 1,
        rules: vec![rule("DescribeImages", FaultKind::Hold, 1.0, None)],
    });
    let error = ecr
        .image(&example(), &ImageSelector::Tag("prod".into()))
        .await
        .expect_err("held");
    assert_eq!(
        error.to_string(),
        "ECR DescribeImages got no answer within 300 ms; all 3 attempts failed"
    );
    env.handle.set_faults(FaultPlan::default());
    env.handle.release("DescribeImages");
}

#[tokio::test]
async fn a_promotion_cut_off_mid_retag_says_that_apply_again_finishes_it() {
    let env = Emulated::manual(demo_world_json()).await;
    let (ecr, ecs, _dir) = clients(&env.handle.url(), None).await;
    let image = |tag: &str| {
        let ecr = ecr.clone();
        let tag = tag.to_owned();
        async move {
            ecr.image(&example(), &ImageSelector::Tag(tag))
                .await
                .expect("image")
                .digest
        }
    };
    let (previous, target): (Digest, Digest) = (image("prod").await, image("hash_2").await);
    env.handle.set_faults(FaultPlan {
        seed: 1,
        rules: vec![rule("PutImage", FaultKind::Drop, 1.0, None)],
    });
    let member = Member {
        name: "example".into(),
        repository: example(),
        tag: "prod".into(),
        target,
        previous: Some(previous.clone()),
        cluster: "example".into(),
        services: vec!["example".into()],
        force_redeploy: false,
    };
    let promotion = Promotion::single(member, None, true);
    let failure = promote(&ecr, &ecs, &promotion, &NoProgress)
        .await
        .expect_err("PutImage never answers");
    assert_eq!(
        failure.outcome.members[0].tag_digest,
        Some(previous),
        "state stays truthful"
    );
    let at = Attributes::new().environment_tag(AttributePath::attr("tag"));
    let diagnostic = errors::promotion(&failure, &|_| at.clone());
    assert_eq!(diagnostic.summary, "Retag Image Error");
    assert_readable(&diagnostic.detail);
    assert!(
        diagnostic
            .detail
            .contains("ECR PutImage got no answer: the connection to")
            && diagnostic.detail.contains("all 3 attempts failed")
            && diagnostic
                .detail
                .contains("Running `terraform apply` again continues the promotion"),
        "{diagnostic}"
    );
    assert_eq!(env.count("UpdateService"), 0, "nothing redeployed");
}

terraform_test!(plan_against_a_refused_endpoint_says_so_in_one_sentence);
fn plan_against_a_refused_endpoint_says_so_in_one_sentence(tf: &Terraform) {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let config = format!(
        "{}\nprovider \"tagdeploy\" {{\n  region = \"us-east-1\"\n  endpoints {{\n    ecr = \"{url}\"\n    ecs = \"{url}\"\n  }}\n}}\n\ndata \"tagdeploy_image\" \"prod\" {{\n  repository = \"example\"\n  tag        = \"prod\"\n}}\n",
        required_providers()
    );
    let ws = Workspace::new(tf, "refused-endpoint", &config);
    ws.init();
    let run = ws.run(&["plan", "-json", "-no-color"]).failure();
    let errors = run.json_errors();
    assert_eq!(errors.len(), 1, "{}", run.transcript());
    let error = &errors[0];
    eprintln!("{}: {}", error.summary, error.detail);
    assert_eq!(error.summary, "Read Image Error");
    assert_readable(&error.detail);
    assert!(
        error.detail.contains(&format!(
            "could not connect to 127.0.0.1:{port}: the connection was refused; all 5 attempts failed."
        )),
        "{error:#?}"
    );
}

terraform_test!(plan_without_credentials_says_where_they_were_looked_for);
fn plan_without_credentials_says_where_they_were_looked_for(tf: &Terraform) {
    let emulator = crate::support::emulator::BackgroundEmulator::manual(demo_world_json());
    let config = format!(
        "{}\n{}\ndata \"tagdeploy_image\" \"prod\" {{\n  repository = \"example\"\n  tag        = \"prod\"\n}}\n",
        required_providers(),
        emulator.provider_block()
    );
    let mut ws = Workspace::new(tf, "no-credentials", &config);
    // No keys in the environment, empty shared files, no instance metadata: nothing to sign with.
    ws.set_env("AWS_ACCESS_KEY_ID", "");
    ws.set_env("AWS_SECRET_ACCESS_KEY", "");
    ws.init();
    let run = ws.run(&["plan", "-json", "-no-color"]).failure();
    let errors = run.json_errors();
    assert_eq!(errors.len(), 1, "{}", run.transcript());
    let error = &errors[0];
    eprintln!("{}: {}", error.summary, error.detail);
    assert_readable(&error.detail);
    assert!(
        error
            .detail
            .contains("could not be signed: no usable AWS credentials")
            && error
                .detail
                .contains("Check the credentials the provider uses"),
        "{error:#?}"
    );
    assert!(
        emulator.handle().requests().is_empty(),
        "nothing reached AWS"
    );
}
