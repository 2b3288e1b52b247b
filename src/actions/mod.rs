//! Actions (Terraform 1.14+): imperative operations Terraform runs with
//! `terraform apply -invoke=action.TYPE.NAME` or when a resource changes
//! (`lifecycle { action_trigger { … } }`). One module per action type: its model (which is its
//! schema) and its invocation, translating between Terraform values and the domain.
//!
//! - [`redeploy`]: `tagdeploy_redeploy`, a new deployment of ECS services, followed to the
//!   end of the rollout.

pub mod redeploy;
