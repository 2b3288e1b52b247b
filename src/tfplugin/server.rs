//! Serving: the gRPC router on an already-bound [`Listener`], plaintext or mTLS, until
//! Terraform calls `GRPCController.Shutdown` (or the caller's shutdown token fires), and the two
//! entry points `main` uses: [`serve_plugin`] (started by Terraform) and [`serve_debug`].

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;

use super::framework::{Provider, Runtime};
use super::grpc::{Broker, Controller, ProviderService, Stdio};
use super::handshake::{self, Cleanup, HandshakeError, Listener, PluginEnv, Stream};
use super::platform::{self, ParentProcess};
use super::proto::plugin as gp;
use super::proto::tfplugin6 as pb;
use super::tls::{self, ServerIdentity, TlsError};

/// Terraform sends and accepts far larger messages than tonic's 4 MiB default (big schemas and
/// states); HashiCorp's own servers allow 256 MiB.
pub const MAX_MESSAGE_SIZE: usize = 256 * 1024 * 1024;

/// How long in-flight calls get to finish after Shutdown before the server stops anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// Why serving failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Start-up contract not met.
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    /// TLS could not be configured.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// Writing the handshake line or reading the listener failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// The gRPC server failed.
    #[error("gRPC server error: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Any accepted connection (unix or TCP, plaintext or TLS), as tonic needs it.
struct Conn(Stream);

impl Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.0.as_mut().poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.0.as_mut().poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.as_mut().poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.as_mut().poll_shutdown(cx)
    }
}

/// Accepts connections and performs TLS handshakes off the accept loop; connections that fail
/// the handshake (no or wrong client certificate) are dropped and logged.
fn incoming(
    listener: Listener,
    tls: Option<Arc<ServerConfig>>,
    stop: CancellationToken,
) -> (ReceiverStream<io::Result<Conn>>, Cleanup) {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let acceptor = tls.map(TlsAcceptor::from);
    let (listener, cleanup) = listener.into_parts();
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                () = stop.cancelled() => break,
                r = listener.accept() => r,
            };
            let stream = match accepted {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            let tx = tx.clone();
            match &acceptor {
                None => {
                    if tx.send(Ok(Conn(stream))).await.is_err() {
                        break;
                    }
                }
                Some(acceptor) => {
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        match acceptor.accept(stream).await {
                            Ok(tls_stream) => {
                                let _ = tx.send(Ok(Conn(Box::pin(tls_stream)))).await;
                            }
                            Err(e) => tracing::warn!(error = %e, "refused a TLS connection"),
                        }
                    });
                }
            }
        }
    });
    (ReceiverStream::new(rx), cleanup)
}

/// Serves every service on `listener` until `shutdown` fires (Terraform's Shutdown call fires
/// it too), then gives in-flight calls a short grace period. Returns once the server stopped; the
/// socket directory is removed on return.
pub async fn serve<P: Provider>(
    runtime: Arc<Runtime<P>>,
    listener: Listener,
    tls: Option<Arc<ServerConfig>>,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let (health, health_service) = tonic_health::server::health_reporter();
    // go-plugin's health check asks about the service called "plugin".
    health
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;

    let provider = pb::provider_server::ProviderServer::new(ProviderService::new(runtime))
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    let controller = gp::grpc_controller_server::GrpcControllerServer::new(Controller {
        shutdown: shutdown.clone(),
    });

    let accept_stop = CancellationToken::new();
    let (conns, cleanup) = incoming(listener, tls, accept_stop.clone());
    let server = tonic::transport::Server::builder()
        .add_service(provider)
        .add_service(controller)
        .add_service(gp::grpc_stdio_server::GrpcStdioServer::new(Stdio))
        .add_service(gp::grpc_broker_server::GrpcBrokerServer::new(Broker))
        .add_service(health_service)
        .serve_with_incoming_shutdown(conns, {
            let shutdown = shutdown.clone();
            async move { shutdown.cancelled().await }
        });
    tokio::pin!(server);
    let result = tokio::select! {
        r = &mut server => r.map_err(ServeError::from),
        () = async {
            shutdown.cancelled().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => Ok(()),
    };
    accept_stop.cancel();
    cleanup.finish();
    result
}

/// Runs as Terraform's plugin: checks the environment, binds, prints the handshake line,
/// serves until Shutdown. `main` maps an error to a message on stderr and exit code 1.
pub async fn serve_plugin<P: Provider>(provider: P) -> Result<(), ServeError> {
    let env = PluginEnv::from_env(|k| std::env::var(k).ok())?;
    platform::ignore_interrupts();
    let tls = match &env.client_cert_pem {
        Some(pem) => {
            let client_cert = tls::parse_pem_certificate(pem)?;
            let identity = ServerIdentity::generate()?;
            Some((
                tls::server_config(&identity, client_cert)?,
                identity.handshake_field(),
            ))
        }
        None => None,
    };
    let listener = Listener::bind(&env).await?;
    let (network, address) = listener.address()?;
    let runtime = Arc::new(Runtime::new(provider));
    let shutdown = CancellationToken::new();
    platform::stop_on_terminate(shutdown.clone());
    stop_when_orphaned(Arc::clone(&runtime), shutdown.clone());
    handshake::announce(&handshake::handshake_line(
        network,
        &address,
        tls.as_ref().map(|(_, c)| c.as_str()),
    ))?;
    tracing::debug!(
        network = %network,
        address = %address,
        tls = tls.is_some(),
        "serving"
    );
    serve(runtime, listener, tls.map(|(config, _)| config), shutdown).await
}

/// `--debug`: serves plaintext on a unix socket and prints the `TF_REATTACH_PROVIDERS` value to
/// use (keyed by `source_address`), until Ctrl-C.
pub async fn serve_debug<P: Provider>(provider: P, source_address: &str) -> Result<(), ServeError> {
    let listener = Listener::bind(&PluginEnv {
        min_port: 10000,
        max_port: 25000,
        ..PluginEnv::default()
    })
    .await?;
    let (network, address) = listener.address()?;
    let reattach = reattach_json(source_address, network, &address, std::process::id());
    let shutdown = CancellationToken::new();
    {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            // If the handler cannot be installed, the user stops us with another signal.
            if tokio::signal::ctrl_c().await.is_ok() {
                shutdown.cancel();
            }
        });
    }
    platform::stop_on_terminate(shutdown.clone());
    // Debug mode is run by a person, not by Terraform: stdout is theirs.
    println!(
        "Provider started in debug mode. To attach Terraform, set in the shell that runs it:\n\n\tTF_REATTACH_PROVIDERS='{reattach}'\n\nPress Ctrl-C to stop."
    );
    serve(Arc::new(Runtime::new(provider)), listener, None, shutdown).await
}

/// The `TF_REATTACH_PROVIDERS` JSON for one provider.
pub fn reattach_json(source_address: &str, network: &str, address: &str, pid: u32) -> String {
    serde_json::json!({
        source_address: {
            "Protocol": "grpc",
            "ProtocolVersion": handshake::PROTOCOL_VERSION,
            "Pid": pid,
            "Test": true,
            "Addr": { "Network": network, "String": address },
        }
    })
    .to_string()
}

/// How often the plugin checks that the Terraform that started it is still alive.
const PARENT_CHECK: Duration = Duration::from_millis(250);

/// Terraform stops its providers with Shutdown; a Terraform that is killed never does, and a
/// provider left running would go on changing AWS (redeploying, rolling back) with nobody to
/// record it in state, racing the next apply. When the parent process is gone (re-parented on
/// Linux and macOS, its handle signalled on Windows), cancel in-flight work like StopProvider
/// and stop serving like Shutdown.
fn stop_when_orphaned<P: Provider>(runtime: Arc<Runtime<P>>, shutdown: CancellationToken) {
    let Some(parent) = ParentProcess::of_current() else {
        tracing::debug!("no parent process to watch; the provider stops only on Shutdown");
        return;
    };
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PARENT_CHECK);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            if !parent.is_running() {
                tracing::warn!(
                    parent_pid = parent.id(),
                    "Terraform exited without stopping the provider; stopping"
                );
                runtime.stop();
                shutdown.cancel();
                return;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reattach_json_has_terraforms_shape() {
        let j: serde_json::Value = serde_json::from_str(&reattach_json(
            "terraform.local/tagdeploy/tagdeploy",
            "unix",
            "/tmp/s",
            42,
        ))
        .unwrap();
        let p = &j["terraform.local/tagdeploy/tagdeploy"];
        assert_eq!(p["Protocol"], "grpc");
        assert_eq!(p["ProtocolVersion"], 6);
        assert_eq!(p["Pid"], 42);
        assert_eq!(p["Test"], true);
        assert_eq!(p["Addr"]["Network"], "unix");
        assert_eq!(p["Addr"]["String"], "/tmp/s");
    }
}
