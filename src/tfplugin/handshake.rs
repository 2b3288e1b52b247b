//! The go-plugin start-up contract: environment checks, the listener, and the one stdout line.
//!
//! Terraform starts the binary with `TF_PLUGIN_MAGIC_COOKIE`, `PLUGIN_PROTOCOL_VERSIONS`,
//! `PLUGIN_MIN_PORT`/`PLUGIN_MAX_PORT` and (AutoMTLS) `PLUGIN_CLIENT_CERT`, then reads exactly one
//! line from stdout: `1|6|unix|<path>|grpc|<base64 DER cert>` on Linux and macOS,
//! `1|6|tcp|127.0.0.1:<port>|grpc|<cert>` on Windows (go-plugin has no unix sockets there).
//! Nothing else may ever be written to stdout.

use std::io::{self, Write};
#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
#[cfg(unix)]
use std::path::Path;
use std::path::PathBuf;
use std::pin::Pin;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
#[cfg(unix)]
use tokio::net::UnixListener;

/// The environment variable carrying the magic cookie.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// Terraform's magic cookie value (shared by all Terraform providers).
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// The one protocol version we speak.
pub const PROTOCOL_VERSION: u32 = 6;

/// What stderr says when the binary is run by hand.
pub const NOT_A_PLUGIN_MESSAGE: &str =
    "This binary is a plugin. These are not meant to be executed directly.
Please execute the program that consumes these plugins, which will
load any plugins automatically.

terraform-provider-tagdeploy is a Terraform provider: declare it in a
required_providers block and run terraform. For a debugger, run it with
--debug and follow the instructions it prints.";

/// Why the process cannot start as a plugin.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// Started by something other than Terraform.
    #[error("{NOT_A_PLUGIN_MESSAGE}")]
    NotAPlugin,
    /// Terraform offered only protocol versions we do not speak.
    #[error(
        "Terraform offered plugin protocol version(s) {offered:?}, but terraform-provider-tagdeploy speaks only version 6 (Terraform 1.0 or newer)."
    )]
    UnsupportedProtocol {
        /// The PLUGIN_PROTOCOL_VERSIONS value.
        offered: String,
    },
    /// A port range variable was not a number.
    #[error("{name}={value:?} is not a port number")]
    BadPort {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
    },
    /// The listener could not be created.
    #[error("cannot listen for Terraform: {0}")]
    Listen(#[from] io::Error),
}

/// The start-up settings Terraform passed.
#[derive(Debug, Clone, Default)]
pub struct PluginEnv {
    /// PEM of Terraform's client certificate (AutoMTLS), if any.
    pub client_cert_pem: Option<String>,
    /// Lowest TCP port for the TCP listener (Windows, or the unix fallback).
    pub min_port: u16,
    /// Highest TCP port for the TCP listener.
    pub max_port: u16,
    /// Where to create the socket directory (default: the temp dir; unused on Windows).
    pub socket_dir: Option<PathBuf>,
}

impl PluginEnv {
    /// Reads and checks the environment through `get` (e.g. `|k| std::env::var(k).ok()`).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, HandshakeError> {
        if get(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
            return Err(HandshakeError::NotAPlugin);
        }
        let offered = get("PLUGIN_PROTOCOL_VERSIONS").unwrap_or_default();
        if !offered.split(',').any(|v| v.trim() == "6") {
            return Err(HandshakeError::UnsupportedProtocol { offered });
        }
        let port = |name: &'static str, default: u16| match get(name).filter(|v| !v.is_empty()) {
            None => Ok(default),
            Some(value) => value
                .trim()
                .parse()
                .map_err(|_| HandshakeError::BadPort { name, value }),
        };
        Ok(Self {
            client_cert_pem: get("PLUGIN_CLIENT_CERT").filter(|v| !v.trim().is_empty()),
            min_port: port("PLUGIN_MIN_PORT", 10000)?,
            max_port: port("PLUGIN_MAX_PORT", 25000)?,
            socket_dir: get("PLUGIN_UNIX_SOCKET_DIR")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        })
    }
}

/// A fresh owner-only directory holding the socket; removed (with the socket) on drop.
#[cfg(unix)]
#[derive(Debug)]
pub struct SocketDir {
    dir: PathBuf,
}

#[cfg(unix)]
impl SocketDir {
    /// Creates `<base>/tagdeploy-plugin-<pid>-<random>` with mode 0700. Creation fails rather
    /// than reuse an existing path.
    pub fn create(base: &Path) -> io::Result<Self> {
        let mut last_err = None;
        for attempt in 0..8u32 {
            let nonce = nonce() ^ attempt;
            let dir = base.join(format!(
                "tagdeploy-plugin-{}-{nonce:08x}",
                std::process::id()
            ));
            match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => {
                    // The umask may have removed bits, never added them; set exactly 0700.
                    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
                    return Ok(Self { dir });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_err = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_err.unwrap_or_else(|| io::Error::other("no free socket directory name")))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The socket path inside it.
    pub fn socket_path(&self) -> PathBuf {
        self.dir.join("plugin.sock")
    }
}

#[cfg(unix)]
impl Drop for SocketDir {
    fn drop(&mut self) {
        // Best effort: the process is exiting and nobody can act on a failure.
        let _ = std::fs::remove_file(self.socket_path());
        let _ = std::fs::remove_dir(&self.dir);
    }
}

#[cfg(unix)]
fn nonce() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    nanos ^ std::process::id().rotate_left(16)
}

/// The bound listener and how Terraform reaches it.
#[derive(Debug)]
pub enum Listener {
    /// A unix socket (the normal case on Linux and macOS).
    #[cfg(unix)]
    Unix {
        /// The listener.
        listener: UnixListener,
        /// Owns the socket's directory.
        dir: SocketDir,
    },
    /// TCP on 127.0.0.1: always on Windows, and on unix when a socket cannot be bound.
    Tcp(TcpListener),
}

impl Listener {
    /// Binds where Terraform's go-plugin client expects this platform's plugins: on unix a
    /// socket in a fresh private directory under `env.socket_dir` (or the temp dir), falling
    /// back to TCP; on Windows the first free TCP port of the range on 127.0.0.1.
    pub async fn bind(env: &PluginEnv) -> Result<Self, HandshakeError> {
        #[cfg(unix)]
        {
            let base = env.socket_dir.clone().unwrap_or_else(std::env::temp_dir);
            match Self::bind_unix(&base) {
                Ok(l) => Ok(l),
                Err(unix_err) => {
                    tracing::warn!(
                        error = %unix_err,
                        "unix socket unavailable, falling back to TCP"
                    );
                    Self::bind_tcp(env.min_port, env.max_port).await
                }
            }
        }
        #[cfg(not(unix))]
        {
            Self::bind_tcp(env.min_port, env.max_port).await
        }
    }

    /// Binds a unix socket in a fresh private directory under `base`.
    #[cfg(unix)]
    pub fn bind_unix(base: &Path) -> io::Result<Self> {
        let dir = SocketDir::create(base)?;
        let listener = UnixListener::bind(dir.socket_path())?;
        Ok(Listener::Unix { listener, dir })
    }

    /// Binds the first free port of `min..=max` on 127.0.0.1 (loopback only: the port is
    /// reachable by every local user, which is why AutoMTLS pins Terraform's certificate).
    pub async fn bind_tcp(min: u16, max: u16) -> Result<Self, HandshakeError> {
        let mut last = io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("no free port in {min}..={max}"),
        );
        for port in min..=max {
            match TcpListener::bind(("127.0.0.1", port)).await {
                Ok(l) => return Ok(Listener::Tcp(l)),
                Err(e) => last = e,
            }
        }
        Err(HandshakeError::Listen(last))
    }

    /// `("unix", path)` or `("tcp", "127.0.0.1:port")`.
    pub fn address(&self) -> io::Result<(&'static str, String)> {
        match self {
            #[cfg(unix)]
            Listener::Unix { dir, .. } => Ok(("unix", dir.socket_path().display().to_string())),
            Listener::Tcp(l) => Ok(("tcp", l.local_addr()?.to_string())),
        }
    }

    /// Splits into what accepts connections and what must be cleaned up once serving ends
    /// (the socket directory).
    pub fn into_parts(self) -> (Acceptor, Cleanup) {
        match self {
            #[cfg(unix)]
            Listener::Unix { listener, dir } => {
                (Acceptor::Unix(listener), Cleanup { _dir: Some(dir) })
            }
            Listener::Tcp(l) => (Acceptor::Tcp(l), Cleanup::default()),
        }
    }
}

/// A stream of either kind, as the server reads and writes it.
pub type Stream = Pin<Box<dyn AsyncStream>>;

/// What the server needs of a connection.
pub trait AsyncStream: AsyncRead + AsyncWrite + Send {}
impl<T: AsyncRead + AsyncWrite + Send> AsyncStream for T {}

/// The accepting half of a [`Listener`].
#[derive(Debug)]
pub enum Acceptor {
    /// A unix socket.
    #[cfg(unix)]
    Unix(UnixListener),
    /// TCP on 127.0.0.1.
    Tcp(TcpListener),
}

impl Acceptor {
    /// Waits for the next connection.
    pub async fn accept(&self) -> io::Result<Stream> {
        match self {
            #[cfg(unix)]
            Acceptor::Unix(l) => l.accept().await.map(|(s, _)| Box::pin(s) as Stream),
            Acceptor::Tcp(l) => l.accept().await.map(|(s, _)| {
                // gRPC is latency-bound; small frames should not wait for Nagle.
                let _ = s.set_nodelay(true);
                Box::pin(s) as Stream
            }),
        }
    }
}

/// Removes the socket directory when dropped (nothing to do for TCP).
#[derive(Debug, Default)]
pub struct Cleanup {
    #[cfg(unix)]
    _dir: Option<SocketDir>,
}

impl Cleanup {
    /// Cleans up now, once serving has ended (the same as dropping it, said explicitly).
    pub fn finish(self) {}
}

/// The handshake line (without newline): `1|6|<network>|<address>|grpc|<cert>`; the cert
/// field is empty for plaintext.
pub fn handshake_line(network: &str, address: &str, cert_field: Option<&str>) -> String {
    format!(
        "1|{PROTOCOL_VERSION}|{network}|{address}|grpc|{}",
        cert_field.unwrap_or("")
    )
}

/// Writes the handshake line to stdout and flushes: the only stdout write the process makes.
pub fn announce(line: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn cookie_is_required() {
        assert!(matches!(
            PluginEnv::from_env(env(&[])),
            Err(HandshakeError::NotAPlugin)
        ));
        let wrong = env(&[
            (MAGIC_COOKIE_KEY, "nope"),
            ("PLUGIN_PROTOCOL_VERSIONS", "6"),
        ]);
        assert!(matches!(
            PluginEnv::from_env(wrong),
            Err(HandshakeError::NotAPlugin)
        ));
    }

    #[test]
    fn protocol_six_must_be_offered_in_any_order() {
        for offered in ["5,6", "6,5", "6"] {
            let e = env(&[
                (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
                ("PLUGIN_PROTOCOL_VERSIONS", offered),
            ]);
            assert!(PluginEnv::from_env(e).is_ok(), "{offered}");
        }
        let e = env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_PROTOCOL_VERSIONS", "4,5"),
        ]);
        let err = PluginEnv::from_env(e).unwrap_err();
        assert!(err.to_string().contains("only version 6"), "{err}");
    }

    #[test]
    fn ports_and_cert_are_read() {
        let e = env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_PROTOCOL_VERSIONS", "6"),
            ("PLUGIN_MIN_PORT", "12000"),
            ("PLUGIN_MAX_PORT", "12010"),
            ("PLUGIN_CLIENT_CERT", "-----BEGIN CERTIFICATE-----"),
        ]);
        let p = PluginEnv::from_env(e).unwrap();
        assert_eq!((p.min_port, p.max_port), (12000, 12010));
        assert!(p.client_cert_pem.is_some());
    }

    #[test]
    fn line_has_six_fields() {
        assert_eq!(
            handshake_line("unix", "/tmp/x/plugin.sock", Some("MII")),
            "1|6|unix|/tmp/x/plugin.sock|grpc|MII"
        );
        assert_eq!(
            handshake_line("tcp", "127.0.0.1:1", None),
            "1|6|tcp|127.0.0.1:1|grpc|"
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn socket_dir_is_private_and_removed() {
        let base = std::env::temp_dir();
        let listener = Listener::bind_unix(&base).unwrap();
        let Listener::Unix { dir, .. } = &listener else {
            panic!("not unix")
        };
        let path = dir.path().to_path_buf();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        assert!(dir.socket_path().exists());
        drop(listener);
        assert!(!path.exists());
    }

    #[tokio::test]
    async fn tcp_takes_the_first_free_port_of_the_range_on_loopback() {
        // A port that is certainly taken starts the range: the next free one must be used.
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let first = taken.local_addr().unwrap().port();
        let last = first.saturating_add(64);
        let listener = Listener::bind_tcp(first, last).await.unwrap();
        let (network, address) = listener.address().unwrap();
        assert_eq!(network, "tcp");
        let address: std::net::SocketAddr = address.parse().unwrap();
        assert_eq!(address.ip(), std::net::Ipv4Addr::LOCALHOST);
        assert!(
            address.port() > first && address.port() <= last,
            "{address} outside {first}..={last}"
        );
    }

    #[tokio::test]
    async fn tcp_with_no_free_port_in_the_range_fails_naming_the_cause() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let err = Listener::bind_tcp(port, port).await.unwrap_err();
        assert!(
            matches!(&err, HandshakeError::Listen(e) if e.kind() == io::ErrorKind::AddrInUse),
            "{err:?}"
        );
    }
}
