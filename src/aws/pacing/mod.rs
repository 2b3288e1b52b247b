//! Client-side pacing: AWS's rate limits mirrored in the provider process, so that calls wait
//! for a token here instead of being throttled by AWS, and what AWS still throttles (or fails
//! with a 5xx, or loses on the way) is retried, paced, with jitter, within the caller's deadline.
//!
//! AWS throttles per account and region: ECS with token buckets shared by categories of
//! actions (UpdateService, CreateService and DeleteService: 50 at once, then 5 per second),
//! ECR with a rate per second per action (PutImage: 10). A hundred concurrent UpdateService
//! calls spend the burst and then meet 5 per second; the SDK's retries (a few attempts, each
//! costing a share of a retry quota) are not built for that, and every resource, data source
//! and action of one Terraform run spends the same buckets.
//!
//! - [`limits`]: the table: which bucket each operation draws from, its burst and refill; AWS's
//!   published figures, or the provider block's for accounts with raised quotas.
//! - [`bucket`]: the [`Pacer`], one per provider process: a token bucket per AWS bucket, from
//!   which every attempt of every call takes a reservation, served in order; a throttle from
//!   AWS empties ours too.
//! - [`policy`]: the pauses between attempts and how long retries go on.
//! - [`retry`]: [`send`], one call paced and retried: throttling and server errors until the
//!   deadline (the [`Budget`] a caller sets with [`scope`], e.g. a promotion's timeout and
//!   Terraform's Stop), transport failures a few times.
//!
//! The SDK's own retries are off for clients that go through here (one attempt per SDK call),
//! so that every attempt is paced.

pub mod bucket;
pub mod limits;
pub mod policy;
pub mod retry;

pub use bucket::{Pacer, Reservation};
pub use limits::{Limit, Limits, LimitsError};
pub use policy::Policy;
pub use retry::{Budget, GaveUp, Retry, current_budget, scope, send};

use super::error::Service;
