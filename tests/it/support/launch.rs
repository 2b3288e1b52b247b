//! Starting a provider binary the way Terraform's go-plugin client does, through any launcher
//! (the binary itself, `qemu-aarch64`, `wine64`), and the checks every platform must pass: the
//! handshake line, AutoMTLS with the pinned client certificate, GetProviderSchema, refusal of a
//! client without the certificate, and a clean exit after Shutdown.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tonic::transport::Channel;

use crate::protocol::client::{
    self, ClientIdentity, ControllerClient, ProviderClient, plugin, tfplugin6 as pb,
};

const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// Where the provider said it listens.
#[derive(Debug, Clone)]
pub enum Address {
    /// `unix|<path>`.
    Unix(PathBuf),
    /// `tcp|127.0.0.1:<port>`.
    Tcp(SocketAddr),
}

/// A provider process after its handshake line.
pub struct Launched {
    pub child: Child,
    pub address: Address,
    pub server_cert: CertificateDer<'static>,
    pub line: String,
}

/// The port range the tests give (as Terraform passes PLUGIN_MIN_PORT/PLUGIN_MAX_PORT).
pub const PORTS: (u16, u16) = (14000, 14999);

/// Adds Terraform's environment to `cmd` (cookie, protocol versions, port range, the client
/// certificate), starts it and reads the handshake line within `startup` (emulators start
/// slowly; this is a bound against hangs, not a timing claim).
pub async fn launch(mut cmd: Command, identity: &ClientIdentity, startup: Duration) -> Launched {
    cmd.env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", PORTS.0.to_string())
        .env("PLUGIN_MAX_PORT", PORTS.1.to_string())
        .env("PLUGIN_CLIENT_CERT", &identity.cert_pem)
        .env_remove("TF_LOG")
        .env_remove("TF_LOG_PROVIDER")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("start the provider");
    let mut reader = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    tokio::time::timeout(startup, reader.read_line(&mut line))
        .await
        .expect("no handshake line within the start-up bound")
        .expect("read the handshake line");
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(fields.len(), 6, "handshake line {line:?}");
    assert_eq!(&fields[..2], ["1", "6"], "{line:?}");
    assert_eq!(fields[4], "grpc", "{line:?}");
    let address = match fields[2] {
        "unix" => Address::Unix(PathBuf::from(fields[3])),
        "tcp" => Address::Tcp(fields[3].parse().expect("a socket address")),
        other => panic!("unknown network {other:?} in {line:?}"),
    };
    assert!(
        !fields[5].is_empty(),
        "a certificate under AutoMTLS: {line:?}"
    );
    let der = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(fields[5])
        .expect("unpadded base64 DER");
    // Nothing may follow the handshake on stdout.
    tokio::spawn(async move {
        let mut rest = String::new();
        let n = reader.read_line(&mut rest).await.unwrap_or(0);
        assert_eq!(n, 0, "unexpected stdout after the handshake: {rest:?}");
    });
    Launched {
        child,
        address,
        server_cert: CertificateDer::from(der),
        line: line.trim_end().to_owned(),
    }
}

/// A channel to the launched provider, presenting `identity` (or no certificate).
pub async fn channel(
    p: &Launched,
    identity: Option<&ClientIdentity>,
) -> Result<Channel, tonic::transport::Error> {
    let tls = Some(client::tls_client(p.server_cert.clone(), identity));
    match &p.address {
        Address::Unix(path) => client::connect(path.clone(), tls).await,
        Address::Tcp(addr) => client::connect_tcp(*addr, tls).await,
    }
}

/// Over mTLS: a client without a certificate is refused, Terraform's gets the schema (the
/// provider block's attributes and the function), then Shutdown ends the process with status 0
/// within `exit` (a bound against hangs).
pub async fn schema_refusal_and_shutdown(
    mut p: Launched,
    identity: &ClientIdentity,
    exit: Duration,
) {
    let refused = match channel(&p, None).await {
        Err(_) => true,
        Ok(ch) => tokio::time::timeout(
            Duration::from_secs(30),
            ProviderClient::new(ch).get_provider_schema(pb::get_provider_schema::Request {}),
        )
        .await
        .expect("a refusal, not a hang")
        .is_err(),
    };
    assert!(
        refused,
        "a client without Terraform's certificate was served"
    );

    let ch = channel(&p, Some(identity))
        .await
        .expect("connect with mTLS");
    let schema = ProviderClient::new(ch.clone())
        .max_decoding_message_size(256 * 1024 * 1024)
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema")
        .into_inner();
    assert!(schema.diagnostics.is_empty(), "{:?}", schema.diagnostics);
    let block = schema
        .provider
        .expect("provider schema")
        .block
        .expect("block");
    let names: Vec<&str> = block.attributes.iter().map(|a| a.name.as_str()).collect();
    assert!(names.contains(&"region"), "{names:?}");
    assert!(schema.resource_schemas.contains_key("tagdeploy_prod_tag"));
    assert!(schema.functions.contains_key("parse_image_uri"));

    ControllerClient::new(ch)
        .shutdown(plugin::Empty {})
        .await
        .expect("Shutdown");
    let status = tokio::time::timeout(exit, p.child.wait())
        .await
        .expect("the provider did not exit within the bound after Shutdown")
        .expect("wait");
    assert!(status.success(), "{status}");
}
