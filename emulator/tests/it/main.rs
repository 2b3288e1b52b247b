//! Integration tests of the emulator: one test binary, modules by topic, shared helpers in
//! `support`.

mod binary;
mod ecr;
mod ecs;
mod faults;
mod prop;
mod rfc_flow;
mod stack;
mod strategies;
mod support;
mod wire;
