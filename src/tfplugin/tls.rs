//! AutoMTLS as go-plugin does it, with a stricter client check.
//!
//! Terraform passes its client certificate in `PLUGIN_CLIENT_CERT` (a self-signed P-521
//! certificate with the CA flag set) and expects our server certificate, base64 DER, in the
//! handshake line. We
//! - generate a self-signed ECDSA P-256 server certificate per process (fast; no RSA),
//! - negotiate ALPN `h2` (grpc-go ≥ 1.67, i.e. Terraform 1.15, refuses a server without it),
//! - require a client certificate and accept exactly the pinned bytes from
//!   `PLUGIN_CLIENT_CERT`. A pin instead of webpki chain validation because webpki rejects a
//!   CA-flagged certificate used as an end entity; the TLS handshake signature is still
//!   verified with aws-lc-rs, whose algorithm list includes ECDSA P-521/SHA-512.

use std::sync::Arc;

use base64::Engine;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// `PLUGIN_CLIENT_CERT` held no PEM certificate.
    #[error("PLUGIN_CLIENT_CERT does not contain a PEM certificate: {0}")]
    ClientCertPem(String),
    /// The server certificate could not be generated.
    #[error("generating the server certificate failed: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("configuring TLS failed: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The server's certificate and key, generated for this process.
pub struct ServerIdentity {
    /// The certificate, DER. Its base64 goes into the handshake line.
    pub cert_der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

impl std::fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private key.
        f.debug_struct("ServerIdentity").finish_non_exhaustive()
    }
}

impl ServerIdentity {
    /// A fresh self-signed ECDSA P-256 certificate for `localhost` (serverAuth), valid from a
    /// minute ago (clock skew) for a year, with a random positive serial.
    pub fn generate() -> Result<Self, TlsError> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()])?;
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CommonName, "localhost");
        dn.push(
            rcgen::DnType::OrganizationName,
            "terraform-provider-tagdeploy",
        );
        params.distinguished_name = dn;
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::minutes(1);
        params.not_after = now + time::Duration::days(365);
        params.serial_number = Some(rcgen::SerialNumber::from_slice(&positive_serial()));
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cert_der: cert.der().clone(),
            key_der: key.serialize_der(),
        })
    }

    /// The certificate as the handshake line carries it: base64, standard alphabet, no padding.
    pub fn handshake_field(&self) -> String {
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(self.cert_der.as_ref())
    }
}

/// 16 random bytes with the top bit clear (a positive DER integer; Go rejects negative serials).
fn positive_serial() -> [u8; 16] {
    let mut serial = [0u8; 16];
    // If the system RNG fails we still need a unique-enough positive serial: fall back to time.
    if aws_lc_provider().secure_random.fill(&mut serial).is_err() {
        let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
        serial.copy_from_slice(&nanos.to_be_bytes());
    }
    serial[0] &= 0x7f;
    serial[0] |= 0x01; // never a leading zero byte to strip
    serial
}

fn aws_lc_provider() -> CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// Decodes the first `CERTIFICATE` block of a PEM text.
pub fn parse_pem_certificate(pem: &str) -> Result<CertificateDer<'static>, TlsError> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let start = pem
        .find(BEGIN)
        .ok_or_else(|| TlsError::ClientCertPem("no BEGIN CERTIFICATE line".into()))?;
    let body = &pem[start + BEGIN.len()..];
    let end = body
        .find(END)
        .ok_or_else(|| TlsError::ClientCertPem("no END CERTIFICATE line".into()))?;
    let b64: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| TlsError::ClientCertPem(e.to_string()))?;
    if der.is_empty() {
        return Err(TlsError::ClientCertPem("empty certificate".into()));
    }
    Ok(CertificateDer::from(der))
}

/// The rustls server configuration: our identity, client certificate pinned to
/// `client_cert`, TLS 1.2 and 1.3, ALPN `h2`.
pub fn server_config(
    identity: &ServerIdentity,
    client_cert: CertificateDer<'static>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(aws_lc_provider());
    let verifier = Arc::new(PinnedClientCert {
        pinned: client_cert,
        algorithms: provider.signature_verification_algorithms,
    });
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key_der.clone()));
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![identity.cert_der.clone()], key)?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// Accepts exactly one client certificate (by its DER bytes) and verifies handshake
/// signatures with aws-lc-rs.
#[derive(Debug)]
struct PinnedClientCert {
    pinned: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for PinnedClientCert {
    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // No CA names: Go's TLS client then offers its certificate whatever its issuer.
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        // Constant-time comparison is not needed: the pinned certificate is public.
        if intermediates.is_empty() && end_entity.as_ref() == self.pinned.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_certificate_is_small_and_encodes_without_padding() {
        let id = ServerIdentity::generate().unwrap();
        let field = id.handshake_field();
        assert!(
            field.len() > 50,
            "Terraform ignores a cert field of 50 characters or fewer"
        );
        assert!(!field.contains('='));
        let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(&field)
            .unwrap();
        assert_eq!(decoded, id.cert_der.as_ref());
    }

    #[test]
    fn pem_parsing_round_trips_and_rejects_garbage() {
        let id = ServerIdentity::generate().unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(id.cert_der.as_ref());
        let pem = format!("-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n");
        assert_eq!(
            parse_pem_certificate(&pem).unwrap().as_ref(),
            id.cert_der.as_ref()
        );
        assert!(parse_pem_certificate("hello").is_err());
    }

    #[test]
    fn verifier_accepts_only_the_pinned_bytes_and_offers_p521() {
        let pinned = ServerIdentity::generate().unwrap().cert_der;
        let other = ServerIdentity::generate().unwrap().cert_der;
        let v = PinnedClientCert {
            pinned: pinned.clone(),
            algorithms: aws_lc_provider().signature_verification_algorithms,
        };
        assert!(v.client_auth_mandatory());
        assert!(v.verify_client_cert(&pinned, &[], UnixTime::now()).is_ok());
        assert!(v.verify_client_cert(&other, &[], UnixTime::now()).is_err());
        assert!(
            v.verify_client_cert(&pinned, &[other], UnixTime::now())
                .is_err()
        );
        assert!(
            v.supported_verify_schemes()
                .contains(&SignatureScheme::ECDSA_NISTP521_SHA512)
        );
    }

    #[test]
    fn server_config_negotiates_h2() {
        let id = ServerIdentity::generate().unwrap();
        let config = server_config(&id, id.cert_der.clone()).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec()]);
    }
}
