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
//!    services; otherwise a service whose current service deployment is rolling out (or has
//!    rolled out) its members' targets is adopted rather than redeployed, so an interrupted
//!    promotion converges.
//! 3. **Deployments** start concurrently. A deployment that cannot be started after the
//!    call's retries is not a failed rollout: nothing is rolled back, the error says what
//!    each such service runs, and the next promotion starts only what is missing. When not a
//!    single deployment started, the tags moved in step 1 go back: nothing changed.
//! 4. **Wait** (when asked) for every started or adopted service deployment, across clusters,
//!    whatever the strategy ([`Ecs::wait_for_deployments`]: PAUSE hooks answered as asked,
//!    each success checked against the digest of every member that lists the service); the
//!    first failure ends the wait for all of them.
//! 5. **Roll back** when a rollout failed or timed out (and `rollback_on_failure`): the
//!    service deployments still in flight, of every member, are stopped first
//!    (StopServiceDeployment, ROLLBACK), so ECS does not go on rolling out images the tags no
//!    longer name; every member's tag goes back to its previous digest; every service that got
//!    a new image (started or adopted) and that ECS is not returning to its previous revision
//!    itself gets a new deployment, which resolves the previous digests. The rollback does not
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
use super::ecs::{
    DeploymentOutcome, Ecs, Follow, ProgressSink, RecordedDeployment, Verdict, WaitError,
    WaitOptions,
};
use super::image::{Digest, RepositoryRef};
use deploy::Service;

/// How long a rollback's calls (and undoing the tag moves) keep being retried when AWS throttles
/// or fails, from when it starts: a promotion that failed on its deadline still rolls back.
pub const ROLLBACK_WINDOW: std::time::Duration = std::time::Duration::from_secs(300);

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

/// Runs a promotion. See the module documentation for the steps and what is guaranteed. The
/// wait, if any, reports its progress to `progress`.
pub async fn promote(
    ecr: &Ecr,
    ecs: &Ecs,
    promotion: &Promotion,
    progress: &dyn ProgressSink,
) -> Result<Outcome, Box<Failure>> {
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

    // 2. Services: redeploy, or adopt what is already rolling out the targets.
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
    for (i, report) in adopted.into_iter().enumerate() {
        if let Some(report) = report {
            let arn = report
                .deployment
                .service_deployment_arn
                .clone()
                .unwrap_or_default();
            let status = report.status().map(|s| s.to_string()).unwrap_or_default();
            run.note_service(i, |service, targets| {
                format!("Service {service}: service deployment {arn} ({status}) already rolls out {targets}; adopted.")
            });
            run.record(i, report);
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
                let id = deployment_name(&deployment);
                run.note_service(i, |service, _| {
                    format!("Service {service}: deployment {id} started.")
                });
                run.record(i, DeploymentReport::started(deployment));
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
        && !run.recorded.iter().flatten().any(|r| r.started)
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

    // 4. Wait. Not waiting: the deployments this promotion started are as UpdateService left
    // them, and the adopted ones as the adoption described them.
    let Some(wait) = &promotion.wait else {
        return match deploy_error {
            Some(error) => Err(run.fail(error, None)),
            None => Ok(run.finish()),
        };
    };
    let follow = run.follow();
    match ecs.wait_for_deployments(&follow, wait, progress).await {
        Ok(outcomes) => {
            run.record_outcomes(&outcomes);
            for o in &outcomes {
                run.note_outcome(o);
            }
            match deploy_error {
                Some(error) => Err(run.fail(error, None)),
                None => Ok(run.finish()),
            }
        }
        Err(source @ WaitError::Cancelled { .. }) => {
            // Stopping is not failing: the deployments go on, and the next apply adopts them.
            run.record_outcomes(source.outcomes());
            for o in source.outcomes() {
                run.note_outcome(o);
            }
            Err(run.fail(rollout_error(source), None))
        }
        Err(source @ WaitError::Ecs { .. }) => {
            // Not knowing is not failing: nothing is rolled back, the next apply adopts them.
            run.record_outcomes(source.outcomes());
            Err(run.fail(rollout_error(source), None))
        }
        Err(source) => {
            run.record_outcomes(source.outcomes());
            for o in source.outcomes() {
                run.note_outcome(o);
            }
            let summary = describe_wait_error(&source, |o| run.label(&o.follow.deployment));
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

/// A wait that ended without every deployment succeeding, as the promotion's error for one
/// image: that it was stopped or could not follow the rollouts (which go on in ECS), else one
/// sentence per deployment that did not succeed. Shared with the `tagdeploy_redeploy` action,
/// so both say the same.
pub fn rollout_error(source: WaitError) -> PromotionError {
    let summary = match &source {
        WaitError::Cancelled { .. } => format!(
            "Stopped before the rollout of {} finished; it continues in ECS.",
            unfinished(source.outcomes()).join(", ")
        ),
        WaitError::Ecs { .. } => format!(
            "Following the rollouts failed, so nothing was rolled back; they continue in ECS: {source}."
        ),
        other => describe_wait_error(other, |_| String::new()),
    };
    PromotionError::Rollout { summary, source }
}

/// How a deployment is named in sentences: its service deployment ARN, or its id when ECS
/// reported none.
fn deployment_name(deployment: &RecordedDeployment) -> String {
    deployment
        .service_deployment_arn
        .clone()
        .unwrap_or_else(|| deployment.deployment_id.clone())
}

/// The services whose deployment the wait left unfinished, each once.
fn unfinished(outcomes: &[DeploymentOutcome]) -> Vec<String> {
    let mut services: Vec<String> = Vec::new();
    for o in outcomes.iter().filter(|o| o.verdict == Verdict::Unfinished) {
        if !services.contains(&o.follow.deployment.service) {
            services.push(o.follow.deployment.service.clone());
        }
    }
    services
}

/// One sentence per deployment that did not succeed (each service once), with `label(o)`
/// naming the images of a set.
fn describe_wait_error(error: &WaitError, label: impl Fn(&DeploymentOutcome) -> String) -> String {
    let mut told: Vec<&RecordedDeployment> = Vec::new();
    let mut sentences = Vec::new();
    for o in error.outcomes() {
        let tell = match (&o.verdict, error) {
            (Verdict::Succeeded, _) => false,
            // With fail-fast, the others were merely interrupted: the failures explain.
            (Verdict::Unfinished, WaitError::Failed { .. }) => false,
            _ => !told.contains(&&o.follow.deployment),
        };
        if tell {
            told.push(&o.follow.deployment);
            let text = o.to_string();
            let sentence = match label(o) {
                label if label.is_empty() => capitalised(&text),
                label => format!("{label}{text}"),
            };
            sentences.push(format!("{sentence}."));
        }
    }
    let head = match error {
        WaitError::Failed { .. } => String::new(),
        other => format!("{}. ", capitalised(&other.to_string())),
    };
    format!("{head}{}", sentences.join(" "))
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The promotion under way: the outcome so far and what each service got.
struct Run<'p> {
    promotion: &'p Promotion,
    /// Where each member stands so far.
    members: Vec<MemberOutcome>,
    /// Every service once.
    services: Vec<Service>,
    /// Per service: the deployment recorded (started, adopted, or the rollback's).
    recorded: Vec<Option<DeploymentReport>>,
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

    /// Tells what the wait saw of a deployment, in the story of the member it was followed for.
    fn note_outcome(&mut self, outcome: &DeploymentOutcome) {
        let sentence = format!("{}.", capitalised(&outcome.to_string()));
        let members: Vec<usize> = (0..self.promotion.members.len())
            .filter(|&m| {
                Some(deploy::expected_image(&self.promotion.members[m])) == outcome.follow.expected
            })
            .collect();
        for m in members {
            self.note(m, sentence.clone());
        }
    }

    fn service_index(&self, d: &RecordedDeployment) -> Option<usize> {
        self.services
            .iter()
            .position(|s| s.cluster == d.cluster && s.name == d.service)
    }

    /// Records the deployment of service `service` for each member that lists it (replacing
    /// the one recorded before, e.g. by the rollback).
    fn record(&mut self, service: usize, report: DeploymentReport) {
        for &m in &self.services[service].members {
            let deployments = &mut self.members[m].deployments;
            deployments.retain(|d| d.deployment.service != report.deployment.service);
            deployments.push(report.clone());
        }
        self.recorded[service] = Some(report);
    }

    /// What the wait follows: each recorded deployment once per member that lists its service,
    /// with that member's image (a service that runs two members' images must deliver both).
    fn follow(&self) -> Vec<Follow> {
        let mut follow = Vec::new();
        for (service, report) in self.services.iter().zip(&self.recorded) {
            let Some(report) = report else { continue };
            for &m in &service.members {
                follow.push(Follow {
                    deployment: report.deployment.clone(),
                    expected: Some(deploy::expected_image(&self.promotion.members[m])),
                });
            }
        }
        follow
    }

    /// Copies what the wait last saw of each deployment into the outcome: a service's
    /// deployment succeeded when it did for every member that lists the service.
    fn record_outcomes(&mut self, outcomes: &[DeploymentOutcome]) {
        for i in 0..self.services.len() {
            let Some(mut report) = self.recorded[i].clone() else {
                continue;
            };
            let seen: Vec<&DeploymentOutcome> = outcomes
                .iter()
                .filter(|o| o.follow.deployment == report.deployment)
                .collect();
            if seen.is_empty() {
                continue;
            }
            if let Some(last) = seen.iter().find_map(|o| o.last_seen.clone()) {
                report.last_seen = Some(last);
            }
            report.succeeded = seen.iter().all(|o| o.verdict == Verdict::Succeeded);
            self.record(i, report);
        }
    }

    /// `Image NAME: ` for a deployment in a set, naming the members of its service; empty for
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
        format!("Image {}: ", names.join(", "))
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
