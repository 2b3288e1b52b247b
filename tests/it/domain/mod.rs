//! The domain layer (`src/aws/`) against the in-process emulator: retag, deploy, wait, roll back,
//! report, with the AWS calls counted from the emulator's request log.

mod coalesce;
mod ecr;
mod promote;
mod redeploy_wait;
mod release;
mod report;
