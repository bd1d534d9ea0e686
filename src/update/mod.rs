//! `dockrun --update-images`: keep the opted-in containers' images current (`--auto-update`),
//! and never leave a bad one running.
//!
//! One run, for every container on the engine labelled `dockrun.auto-update` (or the names
//! given):
//!
//! 1. check: `registry` pulls the tag through the engine (a pull's credentials, and the
//!    platform of the image the container runs: a `--platform` container keeps its platform,
//!    though `--platform` is not in the record, a create query parameter). That is the
//!    cheapest question the engine can put to a registry: `GET /v2/` and one `HEAD` of the
//!    tag's manifest, which names its digest; the engine already holds that manifest and its
//!    config, so nothing more is fetched when nothing changed, and only the missing layers when
//!    it did. `GET /distribution/{name}/json` asks without pulling, but costs twice that (the
//!    engine also `GET`s the manifest by digest and the image config, for the platforms): it
//!    serves `--dry-run`, and a tag with a rejected image, where a pull would move the tag onto
//!    that image before the run could tell; the tag is pulled then only when no local image of
//!    it has the registry's digest and the digest was not rejected. `local` looks at the image
//!    the tag names now. Either way, a container already running that image is current. A
//!    failure here (registry unreachable, no such manifest, credentials refused) is reported
//!    and the container left exactly as it was.
//! 2. replace, one container at a time, peers first (`--link`, `--network container:`): one
//!    that a systemd unit runs (`dockrun.unit`) by `systemctl restart` of that unit, so
//!    systemd stays in charge and the unit's own dockrun does the replacement (an opted-in
//!    container follows its tag when it is started); one that nothing supervises directly,
//!    from its recorded spec (`dockrun.spec`), through `ensure`'s replacement transaction.
//! 3. a failed replacement is rolled back and stays rolled back: the old container runs again
//!    under its name with its volumes (the transaction, or the unit restarted once more), the
//!    new image is tagged `TAG-dockrun-rejected` (so it is kept, by that tag and its digest),
//!    and then the tag is moved back to the old image (a run killed between the two leaves the
//!    tag on the rejected image: the next run's check moves it back). That tag is the durable record: it lives in
//!    the engine beside the images (a state file would be on the client, wrong for a remote
//!    engine, and lost with a fresh home), survives reboots, shows in `docker images`, and a
//!    user retries by removing it. A later run does not try a digest (or, for `local`, an
//!    image) that tag names, until a newer one appears.
//!
//! Nothing here prints: the report goes back to `app` (stdout), logs to stderr through tracing.

pub mod args;
pub mod report;
pub mod respec;
pub mod systemd;
pub mod timer;

use tracing::{info, warn};

use crate::drift::{format_of, AUTO_UPDATE_LABEL, FORMAT_LABEL, SPEC_LABEL, UNIT_LABEL};
pub use crate::engine::{rejected_reference, REJECTED_SUFFIX};
use crate::engine::{split_reference, EngineError, Listed, LocalImage, PullEvent, UpdateEngine};
use crate::ensure::shield::Shield;
use crate::ensure::{ensure, repair_interrupted, repair_pending};
use crate::error::{chain, DockrunError};
use crate::plan::Action;
use crate::progress::{self, PullProgress};
use crate::spec::auto_update::AutoUpdate;
use crate::state::{ContainerState, Observed, NAME_LABEL};
pub use args::UpdateArgs;
use report::{Entry, Status};
use respec::Recorded;

/// An opted-in container, as its labels describe it.
#[derive(Clone, Debug)]
struct Candidate {
    listed: Listed,
    policy: AutoUpdate,
    recorded: Recorded,
    unit: Option<String>,
}

/// A container to replace: the old and new image, the containers it needs (`--link`,
/// `--network container:`), and its report so far.
#[derive(Clone, Debug)]
struct Pending {
    candidate: Candidate,
    new_image: String,
    /// The platform of the image the container runs (`--platform`, when it was given one).
    platform: Option<String>,
    peers: Vec<String>,
    entry: Entry,
}

/// Whether a listed container is a replacement's temporary one (parked old, or new not yet
/// committed): the transaction's own, never updated on its own. Its name says so; a committed
/// replacement has the service's name (it keeps its `dockrun.replaces` label: labels cannot
/// change after create).
fn is_transient(listed: &Listed) -> bool {
    listed.name.contains("-dockrun-old-") || listed.name.contains("-dockrun-new-")
}

/// The services whose replacement an earlier run (or launch) left half-done: the names (their
/// `dockrun.name` label) of transient containers with no container under the name itself,
/// among `names` when some are given, with the unit that runs them (`dockrun.unit`), if any.
/// A unit's own next start repairs its container; one that nothing supervises, nothing else
/// would look at again: the run repairs it first, as a launch would.
fn interrupted(listed: &[Listed], names: &[String]) -> Vec<(String, Option<String>)> {
    let mut found: std::collections::BTreeMap<String, Option<String>> = Default::default();
    let leftovers = listed
        .iter()
        .filter(|l| is_transient(l))
        .filter_map(|l| Some((l.labels.get(NAME_LABEL)?, l.labels.get(UNIT_LABEL))))
        .filter(|(name, _)| !listed.iter().any(|l| !is_transient(l) && &l.name == *name))
        .filter(|(name, _)| names.is_empty() || names.contains(name));
    for (name, unit) in leftovers {
        // A unit named by any of a service's leftovers is its unit.
        let slot = found.entry(name.clone()).or_default();
        if slot.is_none() {
            slot.clone_from(&unit.cloned());
        }
    }
    found.into_iter().collect()
}

/// The digest `image` is known by in `repository`'s registry, if any.
fn digest_in(image: &LocalImage, repository: &str) -> Option<String> {
    let prefix = format!("{repository}@");
    image
        .repo_digests
        .iter()
        .find_map(|d| d.strip_prefix(&prefix).map(str::to_owned))
}

/// Whether `image` is known by `digest` (in any repository: a digest names the content).
fn has_digest(image: &LocalImage, digest: &str) -> bool {
    image
        .repo_digests
        .iter()
        .any(|d| d.rsplit_once('@').is_some_and(|(_, d)| d == digest))
}

/// What a run did: one report entry per container, and the signal that stopped it early.
#[derive(Debug)]
pub struct Finished {
    /// The report.
    pub entries: Vec<Entry>,
    /// SIGTERM/SIGINT: the container at hand was finished (its transaction finished or rolled
    /// back), no other was tried; the run exits 128+N.
    pub signal: Option<i32>,
}

/// Run an update (see the module comment) and report on every container.
///
/// # Errors
/// Only when the opted-in containers cannot be listed; every failure after that is one
/// container's, in its report entry.
pub async fn run<E: UpdateEngine>(engine: &E, args: &UpdateArgs) -> Result<Finished, EngineError> {
    // SIGTERM/SIGINT are caught for the whole run (tokio's handlers, once a transaction has
    // installed them, stay for the process): a pull or a unit's restart job under way is left
    // at once, a transaction finishes or rolls back first (its shield starts from the signal
    // caught here), and no other container is tried.
    let mut shield = (!args.dry_run).then(Shield::raise);
    let mut all = engine.list_labelled(AUTO_UPDATE_LABEL).await?;
    let mut entries = Vec::new();
    let interrupted = interrupted(&all, &args.names);
    let mut repaired_any = false;
    for (name, unit) in &interrupted {
        if let Some(signal) = caught(&mut shield) {
            return Ok(finish(entries, Some(signal)));
        }
        if unit.is_some() || args.dry_run {
            // Under the name's lock: a replacement under way now (the unit's own) is not one
            // that was interrupted.
            let pending = match or_signal(&mut shield, repair_pending(engine, name)).await {
                Ok(pending) => pending,
                Err(signal) => return Ok(finish(entries, Some(signal))),
            };
            match (pending, unit) {
                (Ok(false), _) => {}
                (Ok(true), Some(unit)) => entries.push(Entry::failed(
                    name,
                    format!("an interrupted replacement is pending; `{unit}` repairs it when it starts (`systemctl start {unit}`)"),
                )),
                (Ok(true), None) => entries.push(Entry::failed(
                    name,
                    "an interrupted replacement is pending; a launch or a run without `--dry-run` repairs it",
                )),
                (Err(err), _) => entries.push(Entry::failed(name, chain(&err))),
            }
            continue;
        }
        repaired_any = true;
        info!(container = %name, "an interrupted replacement is pending; repairing it first");
        // A replacement it undoes is tried again below, through the transaction, which rejects
        // a bad image (a host that went down may be what stopped it).
        if let Err(err) = repair_interrupted(engine, name).await {
            entries.push(Entry::failed(
                name,
                format!("repairing an interrupted replacement: {}", chain(&err)),
            ));
        }
    }
    if repaired_any {
        all = engine.list_labelled(AUTO_UPDATE_LABEL).await?;
    }
    let reported: Vec<String> = entries.iter().map(|e: &Entry| e.name.clone()).collect();
    let mut listed: Vec<Listed> = all
        .into_iter()
        .filter(|l| !is_transient(l) && !reported.contains(&l.name))
        .collect();
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    if !args.names.is_empty() {
        for name in &args.names {
            if !listed.iter().any(|l| &l.name == name) && !reported.contains(name) {
                entries.push(Entry::failed(
                    name,
                    "no container of that name has opted in (`--auto-update`)",
                ));
            }
        }
        listed.retain(|l| args.names.contains(&l.name));
    }
    let mut pending = Vec::new();
    for listed in listed {
        let name = listed.name.clone();
        let candidate = match candidate(listed) {
            Ok(candidate) => candidate,
            Err(reason) => {
                entries.push(Entry::failed(&name, reason));
                continue;
            }
        };
        match or_signal(&mut shield, check(engine, candidate, args.dry_run)).await {
            Ok(Ok(pending_one)) => pending.push(pending_one),
            Ok(Err(entry)) => entries.push(*entry),
            Err(signal) => return Ok(finish(entries, Some(signal))),
        }
    }
    // The images this run rejected: another container of the same tag is not tried on one
    // (the tag is back on its old image), as a later run would not try it.
    let mut rejected_now: Vec<(String, Option<String>)> = Vec::new();
    let mut ordered = in_dependency_order(pending).into_iter();
    while let Some(one) = ordered.next() {
        if let Some(signal) = caught(&mut shield) {
            // Not tried: reported, so the pulls this run made are accounted for.
            for left in std::iter::once(one).chain(ordered) {
                entries.push(Entry {
                    status: Status::Failed,
                    reason: Some(format!("not tried: the run was stopped by signal {signal}")),
                    ..left.entry
                });
            }
            return Ok(finish(entries, Some(signal)));
        }
        let entry = if args.dry_run {
            Entry {
                status: Status::WouldUpdate,
                ..one.entry
            }
        } else if let Some((_, digest)) = rejected_now.iter().find(|(id, _)| *id == one.new_image) {
            info!(container = %one.entry.name, image = %one.new_image, "rejected in this run for another container of its tag; not tried");
            Entry {
                status: Status::Current,
                rejected: Some(digest.clone().unwrap_or_else(|| one.new_image.clone())),
                new_image: None,
                new_digest: None,
                ..one.entry
            }
        } else {
            let (new_image, new_digest) = (one.new_image.clone(), one.entry.new_digest.clone());
            let entry = apply(engine, one, &mut shield).await;
            if entry.status == Status::RolledBack {
                rejected_now.push((new_image, new_digest));
            }
            entry
        };
        entries.push(entry);
    }
    let signal = caught(&mut shield);
    Ok(finish(entries, signal))
}

/// The run's end: each failure warned about on stderr.
fn finish(entries: Vec<Entry>, signal: Option<i32>) -> Finished {
    for entry in entries.iter().filter(|e| e.status.is_failure()) {
        warn!(container = %entry.name, "not updated: {}", entry.text());
    }
    Finished { entries, signal }
}

/// The first signal the run's shield caught, if any.
fn caught(shield: &mut Option<Shield>) -> Option<i32> {
    shield.as_mut().and_then(Shield::caught)
}

/// `work`, unless a signal is (or was) caught first: then it is dropped (a pull stops, a
/// `systemctl` is killed while its job goes on under systemd) and `Err` is the signal.
async fn or_signal<F: std::future::Future>(
    shield: &mut Option<Shield>,
    work: F,
) -> Result<F::Output, i32> {
    let Some(shield) = shield.as_mut() else {
        return Ok(work.await);
    };
    if let Some(signal) = shield.caught() {
        return Err(signal);
    }
    tokio::select! {
        out = work => Ok(out),
        signal = shield.next() => Err(signal),
    }
}

/// Read an opted-in container's labels.
fn candidate(listed: Listed) -> Result<Candidate, String> {
    let policy_name = listed
        .labels
        .get(AUTO_UPDATE_LABEL)
        .cloned()
        .unwrap_or_default();
    let policy = AutoUpdate::from_name(&policy_name).ok_or_else(|| {
        format!("unknown `{AUTO_UPDATE_LABEL}` policy `{policy_name}` (registry or local)")
    })?;
    if matches!(
        listed.state,
        ContainerState::Dead | ContainerState::Removing
    ) {
        return Err(format!("it is {}: not touched", listed.state));
    }
    let format = format_of(listed.labels.get(FORMAT_LABEL).map(String::as_str));
    let recorded = Recorded::from_label(listed.labels.get(SPEC_LABEL).map(String::as_str), format)
        .map_err(|e| e.to_string())?;
    let unit = listed.labels.get(UNIT_LABEL).cloned();
    Ok(Candidate {
        listed,
        policy,
        recorded,
        unit,
    })
}

/// Step 1: is there a newer image? `Err` carries the finished entry (current, failed, or
/// rejected earlier); `Ok` a container to replace.
async fn check<E: UpdateEngine>(
    engine: &E,
    candidate: Candidate,
    dry_run: bool,
) -> Result<Pending, Box<Entry>> {
    let name = candidate.listed.name.clone();
    let image = candidate.recorded.image.clone();
    let failed = |reason: String| {
        Box::new(Entry {
            image: Some(image.clone()),
            policy: Some(candidate.policy.as_str()),
            unit: candidate.unit.clone(),
            old_image: Some(candidate.listed.image_id.clone()),
            ..Entry::failed(&name, reason)
        })
    };
    let Some(rejected_ref) = rejected_reference(&image) else {
        return Err(failed(format!(
            "`{image}` is pinned by digest: there is no tag to follow"
        )));
    };
    let repository = split_reference(&image).map_or(image.as_str(), |(r, _)| r);
    let lookup = |reference: String| async move {
        engine.local_image(&reference).await.map_err(|e| chain(&e))
    };
    let rejected = lookup(rejected_ref).await.map_err(failed)?;
    let old = lookup(candidate.listed.image_id.clone())
        .await
        .map_err(failed)?;
    let platform = old.as_ref().and_then(|o| o.platform.clone());
    let mut entry = Entry {
        image: Some(image.clone()),
        policy: Some(candidate.policy.as_str()),
        unit: candidate.unit.clone(),
        old_image: Some(candidate.listed.image_id.clone()),
        old_digest: old.as_ref().and_then(|o| digest_in(o, repository)),
        ..Entry::new(&name, Status::Current)
    };
    let mut pull = false;
    if candidate.policy == AutoUpdate::Registry && !dry_run && rejected.is_none() {
        // The pull is the check: the engine asks for the tag's manifest once and downloads
        // only what it lacks (nothing, when nothing changed).
        pull = true;
    } else if candidate.policy == AutoUpdate::Registry {
        // Ask without pulling: a dry run changes nothing, and a pull would move the tag onto
        // an image rejected earlier before the run could tell.
        let digest = engine
            .registry_digest(&image)
            .await
            .map_err(|e| failed(chain(&e)))?;
        let tagged = lookup(image.clone()).await.map_err(failed)?;
        if !tagged.as_ref().is_some_and(|t| has_digest(t, &digest)) {
            if rejected.as_ref().is_some_and(|r| has_digest(r, &digest)) {
                info!(container = %name, %digest, "the registry's digest was rejected earlier");
                entry.rejected = Some(digest);
                return Err(Box::new(entry));
            }
            pull = true;
        }
        entry.new_digest = Some(digest);
    }
    if pull {
        if dry_run {
            entry.status = Status::WouldUpdate;
            entry.pull = true;
            return Err(Box::new(entry));
        }
        let mut display = PullProgress::new(progress::Mode::for_stderr(false));
        let mut show = |event: PullEvent<'_>| {
            if !is_no_news(event.status) {
                display.update(event);
            }
        };
        // The platform of the image the container runs, so a `--platform` container (an arm64
        // one on an amd64 machine) gets the same platform's image from a multi-platform tag.
        engine
            .pull(&image, platform.as_deref(), &mut show)
            .await
            .map_err(|e| failed(chain(&e)))?;
        display.finish();
    }
    let Some(tagged) = lookup(image.clone()).await.map_err(failed)? else {
        return Err(failed(format!("`{image}` is not present locally")));
    };
    if tagged.id == candidate.listed.image_id {
        entry.new_digest = None;
        return Err(Box::new(entry));
    }
    if rejected.as_ref().is_some_and(|r| r.id == tagged.id) {
        info!(container = %name, image = %tagged.id, "the image the tag names was rejected earlier");
        if !dry_run {
            // A rollback killed after recording the rejection, before moving the tag back:
            // finish it, so a restart does not try the rejected image again.
            info!(container = %name, image = %candidate.listed.image_id, "an earlier rollback was interrupted: moving the tag back onto the image the container runs");
            engine
                .tag(&candidate.listed.image_id, &image)
                .await
                .map_err(|e| failed(format!("moving the tag back: {}", chain(&e))))?;
        }
        entry.rejected = Some(digest_in(&tagged, repository).unwrap_or(tagged.id));
        entry.new_digest = None;
        return Err(Box::new(entry));
    }
    entry.new_digest = digest_in(&tagged, repository).or(entry.new_digest);
    entry.new_image = Some(tagged.id.clone());
    let peers = candidate
        .recorded
        .to_spec(&name)
        .map(|spec| crate::unit::peers(&spec))
        .unwrap_or_default();
    Ok(Pending {
        candidate,
        new_image: tagged.id,
        platform,
        peers,
        entry,
    })
}

/// Whether a pull's status line is one every check prints (`Pulling from …`, `Digest: …`,
/// `Status: Image is up to date …`): left out, so a run over current containers stays quiet
/// and a download still shows its layers.
fn is_no_news(status: &str) -> bool {
    ["Pulling from ", "Digest: ", "Status: Image is up to date"]
        .iter()
        .any(|start| status.starts_with(start))
}

/// Peers before the containers that need them (a cycle, which docker does not allow anyway,
/// is broken in name order).
fn in_dependency_order(mut rest: Vec<Pending>) -> Vec<Pending> {
    let mut ordered = Vec::with_capacity(rest.len());
    while !rest.is_empty() {
        let waits = |p: &Pending| {
            p.peers
                .iter()
                .any(|peer| rest.iter().any(|o| &o.candidate.listed.name == peer))
        };
        let next = rest.iter().position(|p| !waits(p)).unwrap_or(0);
        ordered.push(rest.remove(next));
    }
    ordered
}

/// Steps 2 and 3 for one container.
async fn apply<E: UpdateEngine>(
    engine: &E,
    pending: Pending,
    shield: &mut Option<Shield>,
) -> Entry {
    let name = pending.candidate.listed.name.clone();
    info!(container = %name, from = %pending.candidate.listed.image_id, to = %pending.new_image, "updating");
    let outcome = match &pending.candidate.unit {
        Some(unit) => by_unit(engine, &pending, unit, shield).await,
        None => directly(engine, &pending).await,
    };
    settle(engine, &pending, outcome).await
}

/// The entry for a replacement's outcome, rolling back (step 3) when it failed.
async fn settle<E: UpdateEngine>(
    engine: &E,
    pending: &Pending,
    outcome: Result<(), Failure>,
) -> Entry {
    let mut entry = pending.entry.clone();
    match outcome {
        Ok(()) => {
            entry.status = Status::Updated;
            info!(container = %entry.name, "updated");
        }
        Err(failure) => {
            entry.reason = Some(failure.reason.clone());
            entry.status = roll_back(engine, pending, &failure)
                .await
                .unwrap_or_else(|e| {
                    entry.reason = Some(format!("{}; {e}", failure.reason));
                    Status::Failed
                });
        }
    }
    entry
}

/// Why a replacement did not happen, and whether the new image is to blame.
#[derive(Debug)]
struct Failure {
    reason: String,
    /// The new image failed to run or to pass the health gate: reject it.
    reject: bool,
    /// The old container has to be brought back by restarting its unit.
    restart_unit: bool,
    /// A signal cut the replacement short: its transaction finished or rolled back by itself
    /// (or the unit's did), so neither the tag nor the unit is touched; the next run looks at
    /// what is there.
    interrupted: bool,
}

impl Failure {
    /// A failure that is not the new image's, with nothing to restart.
    fn plain(reason: String) -> Failure {
        Failure {
            reason,
            reject: false,
            restart_unit: false,
            interrupted: false,
        }
    }
}

/// A container nothing supervises: replaced from its recorded spec by the transaction.
async fn directly<E: UpdateEngine>(engine: &E, pending: &Pending) -> Result<(), Failure> {
    let name = &pending.candidate.listed.name;
    let mut spec = pending
        .candidate
        .recorded
        .to_spec(name)
        .map_err(|e| Failure::plain(e.to_string()))?;
    spec.auto_update = Some(pending.candidate.policy);
    // Not in the record (a create query parameter): the old image's, which the pull asked for.
    spec.platform.clone_from(&pending.platform);
    match ensure(engine, &spec).await {
        Ok(ensured) if ensured.action == Action::Recreated => Ok(()),
        Ok(ensured) => Err(Failure::plain(format!(
            "it was not replaced ({})",
            ensured.action
        ))),
        // The transaction put the old container back: the new image is to blame.
        Err(err @ DockrunError::Replace { .. }) => Err(Failure {
            reject: true,
            ..Failure::plain(chain(&err))
        }),
        Err(err @ DockrunError::Interrupted { .. }) => Err(Failure {
            interrupted: true,
            ..Failure::plain(chain(&err))
        }),
        Err(err) => Err(Failure::plain(chain(&err))),
    }
}

/// A container a unit runs: `systemctl restart UNIT`, whose dockrun follows the moved tag.
async fn by_unit<E: UpdateEngine>(
    engine: &E,
    pending: &Pending,
    unit: &str,
    shield: &mut Option<Shield>,
) -> Result<(), Failure> {
    let name = &pending.candidate.listed.name;
    let restarted = match or_signal(shield, systemd::restart(unit)).await {
        Ok(restarted) => restarted,
        // The run is being stopped: the job goes on under systemd, and the unit's dockrun
        // finishes or rolls back; the next run looks at what is there.
        Err(signal) => {
            return Err(Failure {
                interrupted: true,
                ..Failure::plain(format!(
                    "stopped by signal {signal} while `systemctl restart {unit}` ran"
                ))
            })
        }
    };
    match restarted {
        Ok(()) => {}
        // systemctl itself was ended by a signal (the run is being stopped with it): the unit's
        // job goes on under systemd, and its dockrun finishes or rolls back.
        Err(err @ systemd::UnitFailure::Killed { .. }) => {
            return Err(Failure {
                interrupted: true,
                ..Failure::plain(chain(&err))
            })
        }
        Err(err) => {
            return Err(Failure {
                reject: true,
                restart_unit: true,
                ..Failure::plain(chain(&err))
            })
        }
    }
    match engine.observe(name).await {
        Ok(Observed::Present(now)) if now.image_id == pending.new_image => Ok(()),
        Ok(_) => Err(Failure {
            restart_unit: true,
            ..Failure::plain(format!(
                "`{unit}` restarted, but `{name}` does not run the new image (does the unit's command line have `--auto-update`?)"
            ))
        }),
        Err(err) => Err(Failure::plain(chain(&err))),
    }
}

/// Put the tag back on the old image (recording the rejected one when it is to blame), and
/// restart the unit on it when a unit runs the container.
async fn roll_back<E: UpdateEngine>(
    engine: &E,
    pending: &Pending,
    failure: &Failure,
) -> Result<Status, String> {
    if failure.interrupted {
        return Ok(Status::Failed);
    }
    let image = &pending.candidate.recorded.image;
    let old = &pending.candidate.listed.image_id;
    // The rejection first, then the tag: killed between the two, the tag still names the
    // rejected image, which the next run's check sees and moves the tag back from (the other
    // order would lose the rejection: the tag back on the old image looks current). The tag
    // moves back even when the rejection could not be recorded.
    let mut recorded = Ok(());
    if failure.reject {
        if let Some(rejected) = rejected_reference(image) {
            recorded = engine.tag(&pending.new_image, &rejected).await.map(|()| {
                warn!(image = %pending.new_image, tag = %rejected, "rejected: not tried again until the tag moves on (remove that tag to retry)");
            });
        }
    }
    let back = engine.tag(old, image).await;
    let mut problems = Vec::new();
    if let Err(e) = recorded {
        problems.push(format!(
            "recording the rejected image failed: {}",
            chain(&e)
        ));
    }
    if let Err(e) = back {
        problems.push(format!("moving the tag back failed too: {}", chain(&e)));
    }
    // The unit is restarted on the old image even when a tag could not be moved: its launch
    // does not follow a tag onto the rejected image, and the service must come back.
    if failure.restart_unit {
        if let Some(unit) = &pending.candidate.unit {
            if let Err(e) = systemd::restart(unit).await {
                problems.push(format!(
                    "restarting `{unit}` on the old image failed too: {}",
                    chain(&e)
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    Ok(if failure.reject {
        Status::RolledBack
    } else {
        Status::Failed
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(name: &str, peers: &[&str]) -> Pending {
        let listed = Listed {
            id: format!("{name}-id"),
            name: name.to_owned(),
            state: ContainerState::Running,
            image_id: "sha256:1".into(),
            labels: std::collections::BTreeMap::new(),
        };
        let candidate = Candidate {
            listed,
            policy: AutoUpdate::Local,
            recorded: Recorded::from_label(Some(r#"{"Image":"app:1"}"#), crate::drift::FORMAT)
                .expect("a record"),
            unit: None,
        };
        Pending {
            candidate,
            new_image: "sha256:2".into(),
            platform: None,
            peers: peers.iter().map(|p| (*p).to_owned()).collect(),
            entry: Entry::new(name, Status::WouldUpdate),
        }
    }

    /// The services an interrupted replacement left: by their name label, not when the name
    /// itself is there, with the unit any of their leftovers names, among the names given.
    #[test]
    fn interrupted_services_and_their_units() {
        let listed = |name: &str, labels: &[(&str, &str)]| Listed {
            id: format!("{name}-id"),
            name: name.to_owned(),
            state: ContainerState::Exited,
            image_id: "sha256:1".into(),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        let all = [
            listed("a-dockrun-old-0123456789ab", &[(NAME_LABEL, "a")]),
            listed(
                "a-dockrun-new-0123456789ab",
                &[(NAME_LABEL, "a"), (UNIT_LABEL, "a.service")],
            ),
            listed("b-dockrun-old-0123456789ab", &[(NAME_LABEL, "b")]),
            listed("b", &[(NAME_LABEL, "b")]),
            listed("c-dockrun-old-0123456789ab", &[(NAME_LABEL, "c")]),
        ];
        assert_eq!(
            interrupted(&all, &[]),
            [
                ("a".to_owned(), Some("a.service".to_owned())),
                ("c".to_owned(), None)
            ]
        );
        assert_eq!(
            interrupted(&all, &["c".to_owned()]),
            [("c".to_owned(), None)]
        );
    }

    #[test]
    fn peers_go_first() {
        let order = |list: Vec<Pending>| -> Vec<String> {
            in_dependency_order(list)
                .into_iter()
                .map(|p| p.candidate.listed.name)
                .collect()
        };
        // app links db, which shares vpn's network; web needs nothing being updated.
        let list = vec![
            pending("app", &["db"]),
            pending("web", &["cache"]),
            pending("db", &["vpn"]),
            pending("vpn", &[]),
        ];
        assert_eq!(order(list), ["web", "vpn", "db", "app"]);
        // A cycle (docker refuses one) still updates both, in the given order.
        assert_eq!(
            order(vec![pending("a", &["b"]), pending("b", &["a"])]),
            ["a", "b"]
        );
    }

    #[test]
    fn a_check_that_finds_nothing_new_stays_quiet() {
        for status in [
            "Pulling from web",
            "Digest: sha256:d1",
            "Status: Image is up to date for reg:5000/web:1",
        ] {
            assert!(is_no_news(status), "{status}");
        }
        for status in [
            "Downloading",
            "Pull complete",
            "Status: Downloaded newer image for reg:5000/web:1",
        ] {
            assert!(!is_no_news(status), "{status}");
        }
    }

    #[test]
    fn digests_by_repository() {
        let image = LocalImage {
            id: "sha256:1".into(),
            repo_digests: vec![
                "reg:5000/app@sha256:d1".into(),
                "other/app@sha256:d2".into(),
            ],
            platform: Some("linux/amd64".into()),
        };
        assert_eq!(
            digest_in(&image, "reg:5000/app").as_deref(),
            Some("sha256:d1")
        );
        assert_eq!(digest_in(&image, "app"), None);
        assert!(has_digest(&image, "sha256:d2"));
        assert!(!has_digest(&image, "sha256:d3"));
    }
}
