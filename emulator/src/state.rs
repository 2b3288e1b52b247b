//! The emulated account: ECR + ECS + the emulated time and id generator. Built from a world by
//! the `load` module; served by [`State::call`]; moved along by [`State::step`].

use serde_json::Value;

use crate::ecr::{self, Ecr};
use crate::ecs::{self, Ecs, Records};
use crate::ids::SplitMix64;
use crate::logs::{self, Logs};
use crate::protocol::{AwsError, AwsService, Request, RequestContext};

/// Everything the AWS operations read and change.
#[derive(Clone, Debug)]
pub struct State {
    /// Account id of the world.
    pub account: String,
    /// Default region of the world.
    pub region: String,
    /// Emulated time, epoch milliseconds.
    pub now_ms: i64,
    /// Clock steps taken since load.
    pub steps: u64,
    /// Id generator (deterministic given the world and the calls).
    pub ids: SplitMix64,
    /// ECR.
    pub ecr: Ecr,
    /// ECS.
    pub ecs: Ecs,
    /// ECS tags and deleted resources.
    pub ecs_records: Records,
    /// CloudWatch Logs.
    pub logs: Logs,
}

impl State {
    /// Serves one AWS operation.
    pub fn call(
        &mut self,
        service: AwsService,
        operation: &str,
        body: &[u8],
        ctx: &RequestContext,
    ) -> Result<Value, AwsError> {
        let req = Request {
            body,
            ctx,
            now_ms: self.now_ms,
        };
        let result = match service {
            AwsService::Ecr => ecr::call(&mut self.ecr, operation, &req),
            AwsService::Ecs => {
                let mut call = ecs::Call {
                    req,
                    ecr: &self.ecr,
                    ids: &mut self.ids,
                    records: &mut self.ecs_records,
                };
                ecs::call(&mut self.ecs, operation, &mut call)
            }
            AwsService::Logs => logs::call(&mut self.logs, operation, &req),
            // The registry API and STS are HTTP of their own (`crate::registry`, the server's `sts`),
            // never a JSON 1.1 target.
            AwsService::Registry | AwsService::Sts | AwsService::Unknown => None,
        };
        result.unwrap_or_else(|| {
            Err(AwsError::client(
                "UnknownOperationException",
                format!("Unknown operation {operation}"),
            ))
        })
    }

    /// One rollout step for every service.
    pub fn step(&mut self) {
        self.steps += 1;
        // Alarms and Lambda answers as of the start of the step, for every cluster alike.
        let outside = self.ecs.outside();
        for cluster in &mut self.ecs.clusters {
            ecs::rollout::step(cluster, self.now_ms, &mut self.ids, &outside);
        }

        self.ecs_records.settle(&mut self.ecs);
    }
}
