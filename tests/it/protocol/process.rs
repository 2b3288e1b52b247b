//! The built binary, started as Terraform starts it.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine;
use rustls::pki_types::CertificateDer;
use terraform_provider_tagdeploy::tfplugin::value::{Type, Value, msgpack};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::client::{
    self, ClientIdentity, ControllerClient, ProviderClient, plugin, tfplugin6 as pb,
};

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-tagdeploy");
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// Generous bounds so a loaded CI machine does not fail the tests; they are not timing claims.
const STARTUP_BOUND: Duration = Duration::from_secs(30);
const EXIT_BOUND: Duration = Duration::from_secs(5);

struct Plugin {
    child: Child,
    socket: PathBuf,
    server_cert: Option<CertificateDer<'static>>,
    _dir: tempfile::TempDir,
}

/// Starts the provider like Terraform: cookie, versions (in "random" order), ports, optional
/// client certificate, a socket directory; reads the handshake line.
async fn start(client_cert_pem: Option<&str>) -> Plugin {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BINARY);
    cmd.env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("PLUGIN_UNIX_SOCKET_DIR", dir.path())
        .env_remove("TF_LOG")
        .env_remove("TF_LOG_PROVIDER")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    match client_cert_pem {
        Some(pem) => cmd.env("PLUGIN_CLIENT_CERT", pem),
        None => cmd.env_remove("PLUGIN_CLIENT_CERT"),
    };
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    let mut reader = BufReader::new(stdout);
    tokio::time::timeout(STARTUP_BOUND, reader.read_line(&mut line))
        .await
        .unwrap()
        .unwrap();
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(fields.len(), 6, "handshake line {line:?}");
    assert_eq!(&fields[..3], ["1", "6", "unix"], "{line:?}");
    assert_eq!(fields[4], "grpc");
    let socket = PathBuf::from(fields[3]);
    assert!(
        socket.starts_with(dir.path()),
        "PLUGIN_UNIX_SOCKET_DIR honoured: {socket:?}"
    );
    let server_cert = if fields[5].is_empty() {
        None
    } else {
        assert!(!fields[5].contains('='), "no base64 padding");
        let der = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(fields[5])
            .unwrap();
        Some(CertificateDer::from(der))
    };
    // Anything after the handshake on stdout would be a bug: keep draining to check.
    tokio::spawn(async move {
        let mut rest = String::new();
        let n = reader.read_line(&mut rest).await.unwrap_or(0);
        assert_eq!(n, 0, "unexpected stdout after the handshake: {rest:?}");
    });
    Plugin {
        child,
        socket,
        server_cert,
        _dir: dir,
    }
}

async fn wait_exit(child: &mut Child) -> (std::process::ExitStatus, Duration) {
    let started = Instant::now();
    let status = tokio::time::timeout(EXIT_BOUND, child.wait())
        .await
        .expect("the provider did not exit within the bound after Shutdown")
        .unwrap();
    (status, started.elapsed())
}

#[tokio::test]
async fn mtls_handshake_schema_function_and_shutdown() {
    let identity = ClientIdentity::terraform_like();
    let mut p = start(Some(&identity.cert_pem)).await;
    let server_cert = p
        .server_cert
        .clone()
        .expect("a certificate in the handshake line under AutoMTLS");

    let channel = client::connect(
        p.socket.clone(),
        Some(client::tls_client(server_cert, Some(&identity))),
    )
    .await
    .unwrap();
    let mut provider =
        ProviderClient::new(channel.clone()).max_decoding_message_size(256 * 1024 * 1024);
    let schema = provider
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(schema.diagnostics.is_empty(), "{:?}", schema.diagnostics);
    let block = schema.provider.unwrap().block.unwrap();
    let names: Vec<&str> = block.attributes.iter().map(|a| a.name.as_str()).collect();
    assert!(
        names.contains(&"region") && names.contains(&"shared_config_files"),
        "{names:?}"
    );
    let blocks: Vec<&str> = block
        .block_types
        .iter()
        .map(|b| b.type_name.as_str())
        .collect();
    assert_eq!(blocks, ["assume_role", "endpoints"]);
    assert!(schema.functions.contains_key("parse_image_uri"));
    assert!(schema.server_capabilities.unwrap().plan_destroy);

    // A value through the codec both ways, over mTLS.
    let arg = msgpack::encode(
        &Type::String,
        &Value::string("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:prod"),
    )
    .unwrap();
    let resp = provider
        .call_function(pb::call_function::Request {
            name: "parse_image_uri".into(),
            arguments: vec![pb::DynamicValue {
                msgpack: arg,
                json: vec![],
            }],
        })
        .await
        .unwrap()
        .into_inner();
    assert!(resp.error.is_none(), "{:?}", resp.error);
    let fields = ["digest", "region", "registry_id", "repository", "tag"];
    let ty = Type::Object(
        fields
            .iter()
            .map(|f| ((*f).to_owned(), Type::String))
            .collect(),
    );
    let result = msgpack::decode(&ty, &resp.result.unwrap().msgpack).unwrap();
    assert_eq!(result.attr("repository"), &Value::string("team/app"));
    assert_eq!(result.attr("tag"), &Value::string("prod"));
    assert!(result.attr("digest").is_null());

    let stop = provider
        .stop_provider(pb::stop_provider::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stop.error, "");

    let socket_dir = p.socket.parent().unwrap().to_path_buf();
    let mode = std::fs::metadata(&socket_dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "socket directory is owner-only");

    let mut controller = ControllerClient::new(channel);
    controller.shutdown(plugin::Empty {}).await.unwrap();
    let (status, elapsed) = wait_exit(&mut p.child).await;
    eprintln!("provider exited {elapsed:?} after Shutdown (status {status})");
    assert!(status.success(), "{status}");
    assert!(!socket_dir.exists(), "socket directory removed on exit");
}

/// Connects without the pinned certificate and expects every call to fail, then proves the
/// same server still serves the right client (so the refusals are about the certificate).
#[tokio::test]
async fn tls_clients_without_terraforms_certificate_are_refused() {
    let identity = ClientIdentity::terraform_like();
    let stranger = ClientIdentity::terraform_like();
    let mut p = start(Some(&identity.cert_pem)).await;
    let server_cert = p.server_cert.clone().unwrap();

    for (label, who) in [
        ("no client certificate", None),
        ("a different certificate", Some(&stranger)),
    ] {
        let tls = client::tls_client(server_cert.clone(), who);
        let refused = match client::connect(p.socket.clone(), Some(tls)).await {
            Err(_) => true,
            Ok(channel) => {
                let mut provider = ProviderClient::new(channel);
                let call = provider.get_provider_schema(pb::get_provider_schema::Request {});
                tokio::time::timeout(Duration::from_secs(20), call)
                    .await
                    .expect("refusal, not a hang")
                    .is_err()
            }
        };
        assert!(refused, "a TLS client with {label} was served");
    }

    let channel = client::connect(
        p.socket.clone(),
        Some(client::tls_client(server_cert, Some(&identity))),
    )
    .await
    .unwrap();
    ProviderClient::new(channel.clone())
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap();
    ControllerClient::new(channel)
        .shutdown(plugin::Empty {})
        .await
        .unwrap();
    wait_exit(&mut p.child).await;
}

#[tokio::test]
async fn plaintext_without_client_cert_serves_health_and_empty_stdio() {
    let mut p = start(None).await;
    assert!(
        p.server_cert.is_none(),
        "no certificate field without AutoMTLS"
    );
    let channel = client::connect(p.socket.clone(), None).await.unwrap();

    let mut stdio = plugin::grpc_stdio_client::GrpcStdioClient::new(channel.clone());
    let mut stream = stdio.stream_stdio(()).await.unwrap().into_inner();
    assert!(
        stream.message().await.unwrap().is_none(),
        "the stdio stream is empty"
    );

    let health = tonic_health::pb::health_client::HealthClient::new(channel.clone())
        .check(tonic_health::pb::HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        health.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    let ids = ProviderClient::new(channel.clone())
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .unwrap()
        .into_inner();
    let mut typed: Vec<&String> = ids.identity_schemas.keys().collect();
    typed.sort();
    assert_eq!(
        typed,
        ["tagdeploy_prod_tag", "tagdeploy_release"],
        "a plaintext server answers RPCs too"
    );

    ControllerClient::new(channel)
        .shutdown(plugin::Empty {})
        .await
        .unwrap();
    let (status, _) = wait_exit(&mut p.child).await;
    assert!(status.success());
}

#[tokio::test]
async fn missing_cookie_prints_a_human_message_and_exits_1() {
    let out = Command::new(BINARY)
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("This binary is a plugin"));
}

#[tokio::test]
async fn protocol_5_only_is_a_clear_error() {
    let out = Command::new(BINARY)
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("only version 6"));
}

#[tokio::test]
async fn debug_mode_prints_reattach_json_and_serves_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BINARY)
        .arg("--debug")
        .env("TMPDIR", dir.path())
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut reattach = None;
    for _ in 0..10 {
        let mut line = String::new();
        tokio::time::timeout(STARTUP_BOUND, reader.read_line(&mut line))
            .await
            .unwrap()
            .unwrap();
        if let Some(json) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
            reattach = Some(json.trim_end_matches('\'').to_owned());
            break;
        }
    }
    let json: serde_json::Value =
        serde_json::from_str(&reattach.expect("a TF_REATTACH_PROVIDERS line")).unwrap();
    let entry = &json["terraform.local/tagdeploy/tagdeploy"];
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Pid"], child.id().unwrap());
    assert_eq!(entry["Addr"]["Network"], "unix");
    let socket = PathBuf::from(entry["Addr"]["String"].as_str().unwrap());

    let channel = client::connect(socket, None).await.unwrap();
    ProviderClient::new(channel)
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap();

    // Ctrl-C stops debug mode (unlike plugin mode, which ignores SIGINT).
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(i32::try_from(child.id().unwrap()).unwrap(), libc::SIGINT);
    }
    let (status, _) = wait_exit(&mut child).await;
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn plugin_mode_ignores_sigint() {
    let mut p = start(None).await;
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(i32::try_from(p.child.id().unwrap()).unwrap(), libc::SIGINT);
    }
    // Still serving: Terraform, not the terminal, decides when the provider stops.
    let channel = client::connect(p.socket.clone(), None).await.unwrap();
    ProviderClient::new(channel.clone())
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap();
    ControllerClient::new(channel)
        .shutdown(plugin::Empty {})
        .await
        .unwrap();
    wait_exit(&mut p.child).await;
}

/// Terraform calls UpgradeResourceIdentity only for identities stored with an older identity
/// version, which no release of this provider wrote yet (version 0 is the first): the RPC is
/// proved here, over the wire, as Terraform would send it.
#[tokio::test]
async fn identity_schemas_and_upgrade_resource_identity_answer() {
    let p = start(None).await;
    let channel = client::connect(p.socket.clone(), None).await.unwrap();
    let mut provider = ProviderClient::new(channel);
    let schemas = provider
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(schemas.diagnostics.is_empty(), "{:?}", schemas.diagnostics);
    let schema = &schemas.identity_schemas["tagdeploy_prod_tag"];
    assert_eq!(schema.version, 0);
    let mut members: Vec<(&str, bool, bool)> = schema
        .identity_attributes
        .iter()
        .map(|a| {
            (
                a.name.as_str(),
                a.required_for_import,
                a.optional_for_import,
            )
        })
        .collect();
    members.sort();
    assert_eq!(
        members,
        [
            ("account_id", false, true),
            ("region", false, true),
            ("repository", true, false),
            ("tag", true, false),
        ]
    );

    let stored = br#"{"account_id":"123456789012","region":"us-east-1","repository":"example","tag":"prod"}"#;
    let upgrade = |version: i64| pb::upgrade_resource_identity::Request {
        type_name: "tagdeploy_prod_tag".into(),
        version,
        raw_identity: Some(pb::RawState {
            json: stored.to_vec(),
            flatmap: Default::default(),
        }),
    };
    let resp = provider
        .upgrade_resource_identity(upgrade(0))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let ty = Type::Object(
        ["account_id", "region", "repository", "tag"]
            .iter()
            .map(|f| ((*f).to_owned(), Type::String))
            .collect(),
    );
    let identity = msgpack::decode(
        &ty,
        &resp
            .upgraded_identity
            .and_then(|i| i.identity_data)
            .expect("an identity")
            .msgpack,
    )
    .unwrap();
    assert_eq!(identity.attr("repository"), &Value::string("example"));
    assert_eq!(identity.attr("account_id"), &Value::string("123456789012"));

    // An identity from a newer provider cannot be read: an error, not a guess.
    let newer = provider
        .upgrade_resource_identity(upgrade(7))
        .await
        .unwrap()
        .into_inner();
    assert!(newer.upgraded_identity.is_none());
    assert_eq!(newer.diagnostics.len(), 1, "{:?}", newer.diagnostics);
}
