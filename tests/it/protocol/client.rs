//! gRPC clients for the tests: the generated code (from the package's build script) and
//! connectors over unix sockets or TCP, plaintext or with Terraform-style mTLS.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::net::{TcpStream, UnixStream};
use tonic::transport::{Channel, Endpoint};

#[allow(clippy::all, dead_code, missing_docs)]
pub mod tfplugin6 {
    include!(concat!(env!("OUT_DIR"), "/tfplugin6.rs"));
}

#[allow(clippy::all, dead_code, missing_docs)]
pub mod plugin {
    include!(concat!(env!("OUT_DIR"), "/plugin.rs"));
}

pub type ProviderClient = tfplugin6::provider_client::ProviderClient<Channel>;
pub type ControllerClient = plugin::grpc_controller_client::GrpcControllerClient<Channel>;

/// A certificate and key like the ones Terraform generates for AutoMTLS: self-signed ECDSA
/// P-521 with the CA flag set.
pub struct ClientIdentity {
    pub cert_der: CertificateDer<'static>,
    pub cert_pem: String,
    key_der: Vec<u8>,
}

impl ClientIdentity {
    pub fn terraform_like() -> Self {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyEncipherment,
            rcgen::KeyUsagePurpose::KeyAgreement,
            rcgen::KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        ];
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CommonName, "localhost");
        dn.push(rcgen::DnType::OrganizationName, "HashiCorp");
        params.distinguished_name = dn;
        let cert = params.self_signed(&key).unwrap();
        Self {
            cert_der: cert.der().clone(),
            cert_pem: cert.pem(),
            key_der: key.serialize_der(),
        }
    }
}

/// Trusts exactly the server certificate from the handshake line (as go-plugin does).
#[derive(Debug)]
struct PinnedServer(CertificateDer<'static>);

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.0.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "server certificate does not match the handshake".into(),
            ))
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            m,
            c,
            d,
            &provider().signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            m,
            c,
            d,
            &provider().signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// A TLS client config pinning `server_cert`, presenting `identity` (or no certificate),
/// offering ALPN h2 like grpc-go.
pub fn tls_client(
    server_cert: CertificateDer<'static>,
    identity: Option<&ClientIdentity>,
) -> Arc<rustls::ClientConfig> {
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServer(server_cert)));
    let mut config = match identity {
        Some(id) => builder
            .with_client_auth_cert(
                vec![id.cert_der.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key_der.clone())),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(config)
}

/// A channel to a unix socket, plaintext or TLS (server name `localhost`).
pub async fn connect(
    socket: PathBuf,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_| {
            let socket = socket.clone();
            let tls = tls.clone();
            async move { wrap(UnixStream::connect(&socket).await?, tls).await }
        }))
        .await
}

/// A channel to a TCP address (how go-plugin reaches plugins on Windows), plaintext or TLS
/// (server name `localhost`, as go-plugin uses).
pub async fn connect_tcp(
    address: SocketAddr,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_| {
            let tls = tls.clone();
            async move { wrap(TcpStream::connect(address).await?, tls).await }
        }))
        .await
}

/// The stream as is, or after a TLS handshake that must negotiate ALPN h2.
async fn wrap<S: Io + 'static>(
    stream: S,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> std::io::Result<TokioIo<Box<dyn Io>>> {
    let io: Box<dyn Io> = match tls {
        None => Box::new(stream),
        Some(config) => {
            let connector = tokio_rustls::TlsConnector::from(config);
            let name = ServerName::try_from("localhost").unwrap();
            let tls_stream = connector.connect(name, stream).await?;
            let (_, session) = tls_stream.get_ref();
            if session.alpn_protocol() != Some(b"h2") {
                return Err(std::io::Error::other("server did not negotiate ALPN h2"));
            }
            Box::new(tls_stream)
        }
    };
    Ok(TokioIo::new(io))
}

pub trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> Io for T {}
