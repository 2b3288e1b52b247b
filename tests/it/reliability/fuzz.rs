//! Untrusted bytes, bounded proptests (seconds, not minutes):
//!
//! - through the real provider's gRPC service (in-process, unix socket): PlanResourceChange,
//!   ApplyResourceChange, UpgradeResourceState, ReadDataSource, ValidateResourceConfig and
//!   CallFunction with arbitrary or damaged DynamicValue bytes must answer with diagnostics,
//!   never a panic (a panicking handler resets the stream: the call would fail) and never a
//!   hang or a huge allocation (length headers claiming gigabytes);
//! - the emulator's HTTP and AWS JSON parsing with damaged requests per operation and raw
//!   garbage, beyond `emulator/tests/it/prop.rs` (arbitrary targets and bodies): every answer
//!   is well-formed and the server keeps serving.
//!
//! The value codecs' own proptests live in `src/tfplugin/value/tests.rs`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use terraform_provider_tagdeploy::provider::TagdeployProvider;
use terraform_provider_tagdeploy::tfplugin::framework::{Provider, Runtime};
use terraform_provider_tagdeploy::tfplugin::handshake::Listener;
use terraform_provider_tagdeploy::tfplugin::server;
use terraform_provider_tagdeploy::tfplugin::value::{Value, msgpack};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;
use tonic::transport::{Channel, Endpoint};

use crate::support::emulator::{BackgroundEmulator, demo_world_json};
use crate::support::observe::Observe;

#[allow(clippy::all, dead_code, missing_docs, unreachable_pub)]
mod pb {
    include!(concat!(env!("OUT_DIR"), "/tfplugin6.rs"));
}

type Client = pb::provider_client::ProviderClient<Channel>;

/// Cases per gRPC operation, and for the emulator.
const GRPC_CASES: u32 = 500;
const EMULATOR_CASES: u32 = 800;

/// Length headers that claim far more data than follows: must fail fast, not allocate.
fn oversized_headers() -> Vec<Vec<u8>> {
    vec![
        vec![0xdd, 0xff, 0xff, 0xff, 0xff],       // array 32, 4 G elements
        vec![0xdf, 0xff, 0xff, 0xff, 0xff],       // map 32
        vec![0xdb, 0xff, 0xff, 0xff, 0xff],       // str 32
        vec![0xc6, 0xff, 0xff, 0xff, 0xff],       // bin 32
        vec![0xc9, 0xff, 0xff, 0xff, 0xff, 0x00], // ext 32
        vec![
            0x81, 0xa4, b'n', b'a', b'm', b'e', 0xdb, 0x7f, 0xff, 0xff, 0xff,
        ],
        [vec![0x91; 10_000], vec![0xc0]].concat(), // nesting 10 000 deep
    ]
}

/// A valid msgpack encoding of a `tagdeploy_prod_tag` configuration, to damage.
fn valid_prod_tag() -> Vec<u8> {
    let schema = TagdeployProvider
        .resources()
        .into_iter()
        .find(|r| r.type_name() == "tagdeploy_prod_tag")
        .expect("resource registered")
        .schema();
    let mut value = schema.null_object();
    if let Value::Map(fields) = &mut value {
        fields.insert("repository".into(), Value::string("example"));
        fields.insert("release_tag".into(), Value::string("hash_2"));
        fields.insert("cluster".into(), Value::string("example"));
        fields.insert(
            "services".into(),
            Value::List(vec![Value::string("example")]),
        );
    }
    msgpack::encode(&schema.implied_type(), &value).expect("encodes")
}

/// Arbitrary bytes, or a valid encoding damaged (bytes flipped, truncated, spliced).
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    let valid = valid_prod_tag();
    let damaged = (
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_map(move |(flips, cut, truncate)| {
            let mut b = valid.clone();
            for (i, v) in flips {
                let at = i.index(b.len());
                b[at] = v;
            }
            if truncate {
                b.truncate(cut.index(b.len()));
            }
            b
        });
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..96),
        damaged,
        prop::sample::select(oversized_headers()),
    ]
}

fn dv(msgpack: Vec<u8>, json: Vec<u8>) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue { msgpack, json })
}

async fn connect(socket: PathBuf) -> Client {
    let channel = Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_| {
            let socket = socket.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(&socket).await?;
                Ok::<_, std::io::Error>(TokioIo::new(stream))
            }
        }))
        .await
        .expect("connect");
    pb::provider_client::ProviderClient::new(channel)
}

/// Runs one call to its answer: a gRPC status (a panicking handler, a refused message) or no
/// answer within 20 s is an error.
fn answer<T>(
    runtime: &tokio::runtime::Runtime,
    future: std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>> + Send>,
    >,
) -> Result<T, String> {
    runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(20), future).await })
        .map_err(|_| "no answer within 20 s".to_owned())?
        .map(tonic::Response::into_inner)
        .map_err(|s| format!("gRPC status {s}"))
}

fn has_error(diagnostics: &[pb::Diagnostic]) -> bool {
    diagnostics
        .iter()
        .any(|d| d.severity == pb::diagnostic::Severity::Error as i32)
}

#[test]
fn untrusted_bytes_through_grpc_get_diagnostics() {
    let emulator = BackgroundEmulator::manual(demo_world_json());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("dir");
    let shutdown = CancellationToken::new();
    let mut client = runtime.block_on(async {
        let listener = Listener::bind_unix(dir.path()).expect("bind");
        let (_, socket) = listener.address().expect("address");
        tokio::spawn(server::serve(
            Arc::new(Runtime::new(TagdeployProvider)),
            listener,
            None,
            shutdown.clone(),
        ));
        let mut client = connect(socket.into()).await;
        // A real configuration, so a damaged value that still decodes talks to the emulator.
        let schema = TagdeployProvider.schema();
        let mut config = schema.null_object();
        if let Value::Map(fields) = &mut config {
            fields.insert("region".into(), Value::string("us-east-1"));
            fields.insert(
                "endpoints".into(),
                Value::object([
                    ("ecr", Value::string(emulator.url())),
                    ("ecs", Value::string(emulator.url())),
                ]),
            );
        }
        let answer = client
            .configure_provider(pb::configure_provider::Request {
                terraform_version: "1.15.0".into(),
                config: dv(
                    msgpack::encode(&schema.implied_type(), &config).expect("config"),
                    vec![],
                ),
                client_capabilities: None,
            })
            .await
            .expect("configure")
            .into_inner();
        assert!(!has_error(&answer.diagnostics), "{:?}", answer.diagnostics);
        client
    });

    let mut cases = 0u32;
    let mut run = |name: &str, check: &dyn Fn(Vec<u8>, Vec<u8>) -> Result<(), String>| {
        let mut runner = TestRunner::new(Config {
            cases: GRPC_CASES,
            failure_persistence: None,
            ..Config::default()
        });
        let strategy = (bytes(), prop::collection::vec(any::<u8>(), 0..48));
        runner
            .run(&strategy, |(msgpack, json)| {
                check(msgpack, json).map_err(|e| TestCaseError::fail(format!("{name}: {e}")))
            })
            .unwrap_or_else(|e| panic!("{e}"));
        cases += GRPC_CASES;
    };

    run("PlanResourceChange", &|m, j| {
        let c = client.clone();
        let answer = answer(
            &runtime,
            Box::pin(async move {
                let mut c = c;
                c.plan_resource_change(pb::plan_resource_change::Request {
                    type_name: "tagdeploy_prod_tag".into(),
                    prior_state: dv(vec![0xc0], vec![]),
                    proposed_new_state: dv(m.clone(), j.clone()),
                    config: dv(m, j),
                    ..Default::default()
                })
                .await
            }),
        )?;
        // Either the bytes did not decode (an error diagnostic) or they were a valid plan.
        if !has_error(&answer.diagnostics) && answer.planned_state.is_none() {
            return Err("neither a plan nor an error".into());
        }
        Ok(())
    });
    run("ApplyResourceChange", &|m, j| {
        // Only bytes that cannot be a whole valid plan: a decodable one would really promote.
        if m == valid_prod_tag() {
            return Ok(());
        }
        let c = client.clone();
        answer(
            &runtime,
            Box::pin(async move {
                let mut c = c;
                c.apply_resource_change(pb::apply_resource_change::Request {
                    type_name: "tagdeploy_prod_tag".into(),
                    prior_state: dv(m.clone(), j.clone()),
                    planned_state: dv(m.iter().map(|b| b ^ 0x5a).collect(), vec![]),
                    config: dv(m, j),
                    ..Default::default()
                })
                .await
            }),
        )?;
        // A planned state that happens to decode as null is a (no-op) delete: no error needed.
        Ok(())
    });
    run("UpgradeResourceState", &|m, j| {
        let c = client.clone();
        let version = i64::from(m.first().copied().unwrap_or(0)) - 128;
        answer(
            &runtime,
            Box::pin(async move {
                let mut c = c;
                c.upgrade_resource_state(pb::upgrade_resource_state::Request {
                    type_name: "tagdeploy_prod_tag".into(),
                    version,
                    raw_state: Some(pb::RawState {
                        json: if j.is_empty() { m } else { j },
                        flatmap: Default::default(),
                    }),
                })
                .await
            }),
        )?;
        Ok(())
    });
    run("ReadDataSource", &|m, j| {
        let c = client.clone();
        let answer = answer(
            &runtime,
            Box::pin(async move {
                let mut c = c;
                c.read_data_source(pb::read_data_source::Request {
                    type_name: "tagdeploy_image".into(),
                    config: dv(m, j),
                    ..Default::default()
                })
                .await
            }),
        )?;
        if !has_error(&answer.diagnostics) && answer.state.is_none() {
            return Err("neither a state nor an error".into());
        }
        Ok(())
    });
    run("ValidateResourceConfig", &|m, j| {
        let c = client.clone();
        answer(
            &runtime,
            Box::pin(async move {
                let mut c = c;
                c.validate_resource_config(pb::validate_resource_config::Request {
                    type_name: "tagdeploy_prod_tag".into(),
                    config: dv(m, j),
                    ..Default::default()
                })
                .await
            }),
        )?;
        Ok(())
    });
    run("CallFunction", &|m, j| {
        let c = client.clone();
        let answer = answer(
            &runtime,
            Box::pin(async move {
                let mut c = c;
                c.call_function(pb::call_function::Request {
                    name: "parse_image_uri".into(),
                    arguments: vec![pb::DynamicValue {
                        msgpack: m,
                        json: j,
                    }],
                })
                .await
            }),
        )?;
        if answer.error.is_none() && answer.result.is_none() {
            return Err("neither a result nor an error".into());
        }
        Ok(())
    });

    // Still serving, and nothing in AWS changed.
    runtime
        .block_on(client.get_provider_schema(pb::get_provider_schema::Request {}))
        .expect("still serving");
    shutdown.cancel();
    eprintln!("{cases} gRPC cases with untrusted bytes");
    assert!(
        emulator.mutations().is_empty(),
        "{:?}",
        emulator.mutations()
    );
}

/// A realistic body per operation, whose values the strategy replaces.
const BODIES: &[(&str, &str)] = &[
    (
        "AmazonEC2ContainerRegistry_V20150921.BatchGetImage",
        r#"{"repositoryName":"example","imageIds":[{"imageTag":"hash_1"}],"acceptedMediaTypes":["application/vnd.docker.distribution.manifest.v2+json"]}"#,
    ),
    (
        "AmazonEC2ContainerRegistry_V20150921.PutImage",
        r#"{"repositoryName":"example","imageManifest":"{\"schemaVersion\":2}","imageTag":"fuzz","imageManifestMediaType":"application/vnd.oci.image.manifest.v1+json"}"#,
    ),
    (
        "AmazonEC2ContainerRegistry_V20150921.DescribeImages",
        r#"{"repositoryName":"example","imageIds":[{"imageTag":"prod"}],"maxResults":10}"#,
    ),
    (
        "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories",
        r#"{"repositoryNames":["example"],"maxResults":5}"#,
    ),
    (
        "AmazonEC2ContainerRegistry_V20150921.BatchDeleteImage",
        r#"{"repositoryName":"example","imageIds":[{"imageTag":"nope"}]}"#,
    ),
    (
        "AmazonEC2ContainerServiceV20141113.UpdateService",
        r#"{"cluster":"example","service":"example","forceNewDeployment":false}"#,
    ),
    (
        "AmazonEC2ContainerServiceV20141113.DescribeServices",
        r#"{"cluster":"example","services":["example"]}"#,
    ),
    (
        "AmazonEC2ContainerServiceV20141113.ListTasks",
        r#"{"cluster":"example","serviceName":"example","desiredStatus":"RUNNING","maxResults":100}"#,
    ),
    (
        "AmazonEC2ContainerServiceV20141113.DescribeTasks",
        r#"{"cluster":"example","tasks":["arn:aws:ecs:us-east-1:123456789012:task/example/x"]}"#,
    ),
    (
        "AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition",
        r#"{"taskDefinition":"example"}"#,
    ),
];

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value as J;
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(J::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(J::Null, J::Number)),
        ".{0,40}".prop_map(J::String),
        (0usize..300_000).prop_map(|n| J::String("x".repeat(n))),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(J::Array),
            prop::collection::vec((".{0,8}", inner), 0..4)
                .prop_map(|kv| J::Object(kv.into_iter().collect())),
        ]
    })
}

/// A damaged request: one operation's body with some members replaced, or raw garbage HTTP.
fn request() -> impl Strategy<Value = Vec<u8>> {
    let aws = (
        prop::sample::select(BODIES.to_vec()),
        prop::collection::vec((any::<prop::sample::Index>(), json_value()), 1..3),
    )
        .prop_map(|((target, body), replacements)| {
            let mut body: serde_json::Value = serde_json::from_str(body).expect("body");
            if let Some(map) = body.as_object_mut() {
                let keys: Vec<String> = map.keys().cloned().collect();
                for (i, value) in replacements {
                    map.insert(keys[i.index(keys.len())].clone(), value);
                }
            }
            let body = body.to_string();
            format!(
                "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Amz-Target: {target}\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        });
    let lying_length = (".{0,20}", 0u64..u64::MAX).prop_map(|(body, length)| {
        format!(
            "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Amz-Target: AmazonEC2ContainerServiceV20141113.DescribeServices\r\nContent-Length: {length}\r\n\r\n{body}"
        )
        .into_bytes()
    });
    prop_oneof![
        6 => aws,
        1 => lying_length,
        1 => prop::collection::vec(any::<u8>(), 0..200),
    ]
}

/// Sends raw bytes, closes the write side, reads the whole answer (bounded in time).
async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> Result<Vec<u8>, String> {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    // The server may answer and close before reading everything: ignore write errors.
    let _ = stream.write_all(request).await;
    let _ = stream.shutdown().await;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .map_err(|_| "no answer within 10 s".to_owned())?
        .map_err(|e| format!("read: {e}"))?;
    Ok(answer)
}

#[test]
fn damaged_requests_get_well_formed_answers_from_the_emulator() {
    let emulator = BackgroundEmulator::manual(demo_world_json());
    let addr = emulator.handle().addr();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut runner = TestRunner::new(Config {
        cases: EMULATOR_CASES,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&request(), |request| {
            let answer = runtime
                .block_on(exchange(addr, &request))
                .map_err(TestCaseError::fail)?;
            if answer.is_empty() {
                // Closing on malformed HTTP is a fine answer.
                return Ok(());
            }
            let text = String::from_utf8_lossy(&answer);
            let status: u16 = text
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| TestCaseError::fail(format!("no status line: {text:.200}")))?;
            prop_assert!(
                status == 200 || (400..500).contains(&status),
                "status {status}: {text:.400}"
            );
            if status == 400
                && request.windows(12).any(|w| w == b"X-Amz-Target")
                && let Some((_, body)) = text.split_once("\r\n\r\n")
                && body.starts_with('{')
            {
                let parsed: serde_json::Value =
                    serde_json::from_str(body).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert!(parsed["__type"].is_string(), "{body:.300}");
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    // Still serving.
    let ok = runtime
        .block_on(exchange(addr, format!("POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Amz-Target: {}\r\nContent-Length: {}\r\n\r\n{}", BODIES[6].0, BODIES[6].1.len(), BODIES[6].1).as_bytes()))
        .expect("answer");
    assert!(
        String::from_utf8_lossy(&ok).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&ok)
    );
    eprintln!("{EMULATOR_CASES} damaged requests to the emulator");
    let _ = emulator.mutations();
}
