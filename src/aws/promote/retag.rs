//! Moving the members' environment tags: onto their targets, every member at once, and back
//! onto their previous digests when a promotion is undone or rolled back.

use futures::future::join_all;

use super::super::ecr::{Ecr, RetagOutcome};
use super::super::error::EcrError;
use super::super::image::{Digest, ImageSelector};
use super::Member;

/// Moves each member's tag onto `to(member)`, concurrently; one result per member, in order,
/// with every tag on the image as the move's check saw it.
pub(super) async fn move_each<'m>(
    ecr: &Ecr,
    members: &[&'m Member],
    to: impl Fn(&'m Member) -> &'m Digest,
) -> Vec<Result<(RetagOutcome, Vec<String>), EcrError>> {
    join_all(
        members
            .iter()
            .map(|m| ecr.retag_seeing_tags(&m.repository, to(m), &m.tag)),
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
