//! go-plugin's own services beside `tfplugin6.Provider`: the controller (Shutdown), stdio and
//! broker.

use tokio_util::sync::CancellationToken;
use tonic::{Request, Status};

use super::super::proto::plugin as gp;
use super::{Rpc, ok};

/// `plugin.GRPCController`: Shutdown fires the server's shutdown token.
pub(crate) struct Controller {
    pub(crate) shutdown: CancellationToken,
}

#[tonic::async_trait]
impl gp::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _: Request<gp::Empty>) -> Rpc<gp::Empty> {
        tracing::debug!("Shutdown requested by Terraform");
        self.shutdown.cancel();
        ok(gp::Empty {})
    }
}

/// `plugin.GRPCStdio`: an empty stream (our output goes to stderr directly).
pub(crate) struct Stdio;

#[tonic::async_trait]
impl gp::grpc_stdio_server::GrpcStdio for Stdio {
    async fn stream_stdio(
        &self,
        _: Request<()>,
    ) -> Rpc<
        std::pin::Pin<
            Box<dyn futures::Stream<Item = Result<gp::StdioData, Status>> + Send + 'static>,
        >,
    > {
        ok(Box::pin(futures::stream::empty()))
    }
}

/// `plugin.GRPCBroker`: unused by providers; every call answers Unimplemented.
pub(crate) struct Broker;

impl gp::grpc_broker_server::GrpcBroker for Broker {}
