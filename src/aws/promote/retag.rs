//! Moving the members' environment tags: onto their targets, every member at once, and back
//! onto their previous digests when a promotion is undone or rolled back.

use futures::future::join_all;

use super::super::ecr::{Ecr, RetagOutcome};
use super::super::error::EcrError;
use super::super::image::{Digest, ImageSelector};
use super::Member;

/// Moves each member's tag onto `to(member)`, concurrently; one result per member, in order.
pub(super) async fn move_each<'m>(
    ecr: &Ecr,
    members: &[&'m Member],
    to: impl Fn(&'m Member) -> &'m Digest,
) -> Vec<Result<RetagOutcome, EcrError>> {
    join_all(
        members
            .iter()
            .map(|m| ecr.retag(&m.repository, to(m), &m.tag)),
    )
    .await
}

/// Where the member's tag points now; `None` when that cannot be read.
pub(super) async fn current(ecr: &Ecr, member: &Member) -> Option<Option<Digest>> {
    let found = ecr
        .images(
            &member.repository,
            &[ImageSelector::Tag(member.tag.clone())],
        )
        .await
        .ok()?;
    Some(found.into_iter().next().flatten().map(|d| d.digest))
}
