//! The promotion engine, for one image or a set of images released together (all or nothing).
//!
//! A [`Promotion`] is a set of [`Member`]s: each moves one repository's environment tag onto
//! its target digest and redeploys the services that run it. `tagdeploy_prod_tag` promotes a
//! set of one; `tagdeploy_release` a set of several. The steps, for every member at once:
//!
//! 1. **Tags**: every member's tag moves onto its target, concurrently (fetch the manifest by
//!    digest, put it under the tag, check). If one move fails, the tags already moved go back
//!    and nothing is redeployed: nothing changed.
//! 2. **Services**: every service of every member (a service two members list is one), in
//!    every cluster. A member whose tag just moved (or that is forced) redeploys all its
//!    services; otherwise a service whose PRIMARY deployment already runs its members'
//!    targets is adopted rather than redeployed, so an interrupted promotion converges.
//! 3. **Deployments** start concurrently. A deployment that cannot be started after the
//!    call's retries is not a failed rollout: nothing is rolled back, the error says what
//!    each such service runs, and the next promotion starts only what is missing. When not a
//!    single deployment started, the tags moved in step 1 go back: nothing changed.
//! 4. **Wait** (when asked) for every started or adopted deployment, across clusters; the
//!    first failure ends the wait for all of them.
//! 5. **Roll back** when a rollout failed or timed out (and `rollback_on_failure`): every
//!    member's tag goes back to its previous digest and every service that got the new image
//!    (started or adopted) gets a new deployment, which resolves the previous digests; the
//!    in-flight deployments of the other members are superseded by it. The rollback does not
//!    wait. A service whose rollback deployment cannot be started is named in the error with
//!    the digests its tasks run.
//!
//! Stopping (Terraform's Stop) and failing to follow the rollouts are not rollout failures
//! either: the rollouts go on in ECS and the next promotion adopts them.
//!
//! Every step is idempotent so that an interrupted promotion converges when it runs again: a
//! tag already on the digest counts as moved, and adopted deployments are waited for.
//!
//! Layout: `retag` (tags), `deploy` (services: which, adopted or started, what they run),
//! `rollback` (step 5), `outcome` (what a promotion reports: [`Outcome`], [`Failure`]).

mod deploy;
mod outcome;
mod retag;
mod rollback;

use std::collections::BTreeSet;

pub use outcome::{DeploymentReport, Failure, MemberOutcome, Outcome, PromotionError};

use super::ecr::{Ecr, RetagOutcome};
use super::ecs::{Ecs, Progress, RecordedDeployment, ServiceState, WaitError, WaitOptions};
use super::image::{Digest, RepositoryRef};
use deploy::Service;

/// One image of a promotion: a repository's environment tag, the digest it must point at, and
/// the services that run it.
#[derive(Debug, Clone)]
pub struct Member {
    /// The member's name in the set (the key of `images`; the repository for a set of one),
    /// used in the error.
    pub name: String,
    /// The repository holding both images.
    pub repository: RepositoryRef,
    /// The environment tag to move, e.g. `prod`.
    pub tag: String,
    /// The digest the tag must point at.
    pub target: Digest,
    /// Where the tag pointed before (the rollback target; `None` when the tag did not exist).
    pub previous: Option<Digest>,
    /// The services' cluster.
    pub cluster: String,
    /// The services to redeploy.
    pub services: Vec<String>,
    /// Redeploy every service even if it already runs the target (`triggers` changed, or the
    /// plan promised it).
    pub force_redeploy: bool,
}

/// What to promote: the members, all or nothing.
#[derive(Debug, Clone)]
pub struct Promotion {
    /// The images (at least one).
    pub members: Vec<Member>,
    /// Wait for the rollouts, with these options.
    pub wait: Option<WaitOptions>,
    /// On a failed rollout, move every tag back and redeploy.
    pub rollback_on_failure: bool,
}

impl Promotion {
    /// A promotion of one image.
    pub fn single(member: Member, wait: Option<WaitOptions>, rollback_on_failure: bool) -> Self {
        Promotion {
            members: vec![member],
            wait,
            rollback_on_failure,
        }
    }

    /// More than one member: the error then tells member by member what happened.
    pub fn is_set(&self) -> bool {
        self.members.len() > 1
    }
}

/// Runs a promotion. See the module documentation for the steps and what is guaranteed.
pub async fn promote(ecr: &Ecr, ecs: &Ecs, promotion: &Promotion) -> Result<Outcome, Box<Failure>> {
    let mut run = Run::new(promotion);

    // 1. Tags.
    let members: Vec<&Member> = promotion.members.iter().collect();
    let moves = retag::move_each(ecr, &members, |m| &m.target).await;
    let mut retag_error = None;
    for (i, result) in moves.into_iter().enumerate() {
        let member = &promotion.members[i];
        match result {
            Ok(RetagOutcome::Moved) => {
                run.members[i].tag_digest = Some(member.target.clone());
                run.members[i].tag_moved = true;
                let from = member
                    .previous
                    .as_ref()
                    .map_or("nowhere".to_owned(), ToString::to_string);
                run.note(
                    i,
                    format!(
                        "Tag {:?} moved from {from} to {}.",
                        member.tag, member.target
                    ),
                );
            }
            Ok(RetagOutcome::AlreadyThere) => {
                run.members[i].tag_digest = Some(member.target.clone());
                run.note(
                    i,
                    format!("Tag {:?} was already on {}.", member.tag, member.target),
                );
            }
            Err(source) => {
                run.note(
                    i,
                    format!(
                        "Moving tag {:?} to {} failed: {source}.",
                        member.tag, member.target
                    ),
                );
                run.members[i].tag_digest = retag::current(ecr, member)
                    .await
                    .unwrap_or(member.previous.clone());
                retag_error.get_or_insert(PromotionError::Retag {
                    member: member.name.clone(),
                    tag: member.tag.clone(),
                    target: member.target.clone(),
                    source,
                });
            }
        }
    }
    if let Some(error) = retag_error {
        let undone = rollback::undo_moves(ecr, &mut run).await;
        return Err(run.fail(error, undone));
    }

    // 2. Services: redeploy, or adopt what already runs the targets.
    let redeploy: Vec<bool> = run
        .services
        .iter()
        .map(|s| {
            s.members
                .iter()
                .any(|&m| run.members[m].tag_moved || promotion.members[m].force_redeploy)
        })
        .collect();
    let adopted = match deploy::adoptable(ecs, promotion, &run.services, &redeploy).await {
        Ok(adopted) => adopted,
        Err(err) => {
            let undone = rollback::undo_moves(ecr, &mut run).await;
            return Err(run.fail(PromotionError::Inspect(err), undone));
        }
    };
    for (i, deployment) in adopted.into_iter().enumerate() {
        if let Some(deployment) = deployment {
            let id = deployment.deployment_id.clone();
            run.note_service(i, |service, targets| {
                format!("Service {service}: deployment {id} already runs {targets}; adopted.")
            });
            run.record(i, DeploymentReport::adopted(deployment.clone()), false);
        }
    }

    // 3. Start the other deployments.
    let to_start: Vec<usize> = (0..run.services.len())
        .filter(|i| run.recorded[*i].is_none())
        .collect();
    let starting: Vec<&Service> = to_start.iter().map(|i| &run.services[*i]).collect();
    let results = deploy::start(ecs, &starting).await;
    let mut failures = Vec::new();
    let mut failed_services = Vec::new();
    for (i, result) in to_start.iter().copied().zip(results) {
        match result {
            Ok(deployment) => {
                let id = deployment.deployment_id.clone();
                run.note_service(i, |service, _| {
                    format!("Service {service}: deployment {id} started.")
                });
                run.record(i, DeploymentReport::started(deployment), true);
            }
            Err(err) => {
                run.note_service(i, |service, _| {
                    format!("Service {service}: the deployment could not be started ({err}).")
                });
                let service = &run.services[i];
                failures.push((
                    service.name.clone(),
                    promotion.members[service.members[0]].name.clone(),
                    err,
                ));
                failed_services.push(i);
            }
        }
    }
    let deploy_error = (!failures.is_empty()).then(|| PromotionError::Deploy {
        member: failures[0].1.clone(),
        failures: failures.into_iter().map(|(s, _, e)| (s, e)).collect(),
    });
    if let Some(error) = &deploy_error
        && !run.recorded.iter().flatten().any(|(_, started)| *started)
    {
        // Not one deployment started: undo the tag moves, and nothing has changed.
        let undone = rollback::undo_moves(ecr, &mut run).await;
        return Err(run.fail(error.clone(), undone));
    }
    if deploy_error.is_some() {
        rollback::say_what_runs(
            ecs,
            &mut run,
            &failed_services,
            "its deployment could not be started",
        )
        .await;
    }

    // 4. Wait.
    let Some(wait) = &promotion.wait else {
        // Not waiting: report the adopted deployments' state as last seen. The deployments this
        // promotion started need no describe: UpdateService has just reported them PRIMARY
        // and IN_PROGRESS.
        let adopted: Vec<usize> = (0..run.services.len())
            .filter(|i| matches!(run.recorded[*i], Some((_, false))))
            .collect();
        if !adopted.is_empty() {
            let recorded = run.recorded_deployments(&adopted);
            let keys: Vec<(String, String)> =
                adopted.iter().map(|i| run.services[*i].key()).collect();
            if let Ok(states) = ecs.services_across(&keys).await {
                run.record_states(&recorded, &states);
            }
        }
        return match deploy_error {
            Some(error) => Err(run.fail(error, None)),
            None => Ok(run.finish()),
        };
    };
    let watched: Vec<usize> = (0..run.services.len())
        .filter(|i| run.recorded[*i].is_some())
        .collect();
    let recorded = run.recorded_deployments(&watched);
    match ecs.wait_for_rollouts(&recorded, wait).await {
        Ok(states) => {
            run.record_states(&recorded, &states);
            for d in &recorded {
                run.note_deployment(d, |service, id| {
                    format!("Service {service}: deployment {id} completed.")
                });
            }
            match deploy_error {
                Some(error) => Err(run.fail(error, None)),
                None => Ok(run.finish()),
            }
        }
        Err(WaitError::Cancelled { pending }) => {
            // Stopping is not failing: the rollouts go on, and the next apply adopts them.
            for d in &recorded {
                run.note_deployment(d, |service, id| {
                    format!("Service {service}: deployment {id} continues in ECS.")
                });
            }
            let error = PromotionError::Rollout {
                summary: format!(
                    "Stopped before the rollout of {} finished; it continues in ECS.",
                    pending.join(", ")
                ),
                source: WaitError::Cancelled { pending },
            };
            Err(run.fail(error, None))
        }
        Err(WaitError::Ecs(err)) => {
            // Not knowing is not failing: nothing is rolled back, the next apply adopts them.
            let error = PromotionError::Rollout {
                summary: format!(
                    "Following the rollouts failed, so nothing was rolled back; they continue in ECS: {err}."
                ),
                source: WaitError::Ecs(err),
            };
            Err(run.fail(error, None))
        }
        Err(source) => {
            let states = match &source {
                WaitError::RolloutFailed { services, .. }
                | WaitError::TimedOut { services, .. } => services.clone(),
                _ => Vec::new(),
            };
            run.record_states(&recorded, &states);
            run.note_wait(&recorded, &states, &source);
            let summary = describe_wait_error(&source, |d| run.label(d));
            let error = PromotionError::Rollout { summary, source };
            if !promotion.rollback_on_failure {
                return Err(run.fail(error, None));
            }
            // 5. Roll back every member.
            let note = rollback::roll_back(ecr, ecs, &mut run).await;
            Err(run.fail(error, Some(note)))
        }
    }
}

/// One sentence per failed rollout.
fn describe_wait_error(error: &WaitError, label: impl Fn(&RecordedDeployment) -> String) -> String {
    match error {
        WaitError::RolloutFailed { failures, .. } => failures
            .iter()
            .map(|(d, progress)| {
                let subject = format!("Deployment {} of service {}{}", d.deployment_id, d.service, label(d));
                match progress {
                    Progress::Failed { reason } => format!(
                        "{subject} FAILED: {}.",
                        if reason.is_empty() { "no reason given" } else { reason }
                    ),
                    Progress::Replaced { by } => format!(
                        "{subject} is no longer the PRIMARY deployment{} (an ECS circuit-breaker rollback, or another deployment).",
                        by.as_ref().map(|b| format!("; {b} is")).unwrap_or_default()
                    ),
                    other => format!("{subject}: {other:?}."),
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
        other => format!("{other}."),
    }
}

/// The promotion under way: the outcome so far and what each service got.
struct Run<'p> {
    promotion: &'p Promotion,
    /// Where each member stands so far.
    members: Vec<MemberOutcome>,
    /// Every service once.
    services: Vec<Service>,
    /// Per service: the deployment recorded, and whether this promotion started it.
    recorded: Vec<Option<(RecordedDeployment, bool)>>,
    /// Sentences on what still needs attention (see [`Failure::standing`]).
    standing: Vec<String>,
}

impl<'p> Run<'p> {
    fn new(promotion: &'p Promotion) -> Run<'p> {
        let services = deploy::services(promotion);
        Run {
            promotion,
            members: promotion
                .members
                .iter()
                .map(|m| MemberOutcome {
                    name: m.name.clone(),
                    tag_digest: m.previous.clone(),
                    tag_moved: false,
                    deployments: Vec::new(),
                    story: Vec::new(),
                })
                .collect(),
            recorded: vec![None; services.len()],
            services,
            standing: Vec::new(),
        }
    }

    /// Adds a sentence to a member's story.
    fn note(&mut self, member: usize, sentence: String) {
        self.members[member].story.push(sentence);
    }

    /// Adds a sentence about service `service` to the story of each member that lists it;
    /// `sentence` gets the service's name and the member's target.
    fn note_service(&mut self, service: usize, sentence: impl Fn(&str, &Digest) -> String) {
        let name = self.services[service].name.clone();
        for &m in &self.services[service].members.clone() {
            let text = sentence(&name, &self.promotion.members[m].target);
            self.note(m, text);
        }
    }

    /// [`Run::note_service`] for the service of a recorded deployment; `sentence` gets the
    /// service's name and the deployment id.
    fn note_deployment(&mut self, d: &RecordedDeployment, sentence: impl Fn(&str, &str) -> String) {
        if let Some(i) = self.service_index(d) {
            self.note_service(i, |service, _| sentence(service, &d.deployment_id));
        }
    }

    fn service_index(&self, d: &RecordedDeployment) -> Option<usize> {
        self.services
            .iter()
            .position(|s| s.cluster == d.cluster && s.name == d.service)
    }

    /// Records the deployment of service `service` for each member that lists it (replacing
    /// the one recorded before, e.g. by the rollback).
    fn record(&mut self, service: usize, report: DeploymentReport, started: bool) {
        self.recorded[service] = Some((report.deployment.clone(), started));
        for &m in &self.services[service].members {
            let deployments = &mut self.members[m].deployments;
            deployments.retain(|d| d.deployment.service != report.deployment.service);
            deployments.push(report.clone());
        }
    }

    /// The deployments recorded for `services` (indexes), in that order.
    fn recorded_deployments(&self, services: &[usize]) -> Vec<RecordedDeployment> {
        services
            .iter()
            .filter_map(|i| self.recorded[*i].as_ref().map(|(d, _)| d.clone()))
            .collect()
    }

    /// Copies each recorded deployment's status and rollout state from `states` (in the order
    /// of `recorded`); a deployment no longer listed is INACTIVE (ECS has retired it).
    fn record_states(&mut self, recorded: &[RecordedDeployment], states: &[ServiceState]) {
        for (d, state) in recorded.iter().zip(states) {
            let seen = state.deployment(&d.deployment_id);
            for member in &mut self.members {
                for report in &mut member.deployments {
                    if report.deployment == *d {
                        report.status =
                            Some(seen.map_or(super::ecs::DeploymentStatus::Inactive, |s| {
                                s.status.clone()
                            }));
                        report.rollout_state = seen.and_then(|s| s.rollout_state.clone());
                    }
                }
            }
        }
    }

    /// Tells each member's story of a wait that ended in a failure or a timeout.
    fn note_wait(
        &mut self,
        recorded: &[RecordedDeployment],
        states: &[ServiceState],
        error: &WaitError,
    ) {
        for (i, d) in recorded.iter().enumerate() {
            let failed = match error {
                WaitError::RolloutFailed { failures, .. } => failures
                    .iter()
                    .find(|(f, _)| f == d)
                    .map(|(_, p)| p.clone()),
                _ => None,
            };
            let progress = failed.or_else(|| {
                states
                    .get(i)
                    .map(|s| super::ecs::progress(s, &d.deployment_id))
            });
            let sentence = match (progress, error) {
                (Some(Progress::Failed { reason }), _) => format!(
                    "deployment {} FAILED: {}.",
                    d.deployment_id,
                    if reason.is_empty() {
                        "no reason given"
                    } else {
                        &reason
                    }
                ),
                (Some(Progress::Replaced { by }), _) => format!(
                    "deployment {} is no longer the PRIMARY deployment{}.",
                    d.deployment_id,
                    by.map(|b| format!(" ({b} is)")).unwrap_or_default()
                ),
                (Some(Progress::Completed), _) => {
                    format!("deployment {} completed.", d.deployment_id)
                }
                (_, WaitError::TimedOut { timeout, .. }) => format!(
                    "deployment {} was still rolling out when the wait timed out after {timeout:?}.",
                    d.deployment_id
                ),
                _ => format!(
                    "deployment {} was still rolling out when another rollout failed.",
                    d.deployment_id
                ),
            };
            self.note_deployment(d, |service, _| format!("Service {service}: {sentence}"));
        }
    }

    /// ` (image NAME)` for a deployment in a set, naming the members of its service; empty for
    /// a set of one.
    fn label(&self, d: &RecordedDeployment) -> String {
        if !self.promotion.is_set() {
            return String::new();
        }
        let names: BTreeSet<&str> = self
            .service_index(d)
            .map(|i| {
                self.services[i]
                    .members
                    .iter()
                    .map(|m| self.promotion.members[*m].name.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let names: Vec<&str> = names.into_iter().collect();
        format!(" (image {})", names.join(", "))
    }

    /// The outcome, each member's deployments in the order of its services.
    fn finish(mut self) -> Outcome {
        for (member, outcome) in self.promotion.members.iter().zip(&mut self.members) {
            outcome.deployments.sort_by_key(|d| {
                member
                    .services
                    .iter()
                    .position(|s| *s == d.deployment.service)
                    .unwrap_or(usize::MAX)
            });
        }
        Outcome {
            members: self.members,
        }
    }

    /// The failure, with where things stand.
    fn fail(self, error: PromotionError, rollback: Option<String>) -> Box<Failure> {
        let standing = self.standing.clone();
        Box::new(Failure {
            error,
            rollback,
            standing,
            outcome: self.finish(),
        })
    }
}
