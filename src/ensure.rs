//! Make the spec true: observe → plan → act, until the named container runs.
//!
//! A lost race is normal here: when two launches of one name create at the same moment, the
//! engine gives one of them a 409; that one observes again and adopts the winner. A container
//! that vanishes between observing and acting (404) is observed again too. Both are bounded by
//! `MAX_ATTEMPTS`, so a pathological fight ends in an error rather than a loop.
//!
//! An existing container is compared with the command line (`drift`), and replaced when
//! `--recreate` says so. Replacing never loses data: the image is pulled (when the pull policy
//! asks) before the old container is touched; the old one is stopped gracefully and kept aside
//! under another name until the new one, which mounts its anonymous volumes, has started; only
//! then is it removed, without its volumes. If the new one cannot be created or started, it is
//! removed and the old one is put back under its name (and started if it was running).
//!
//! The image ID costs a request (`GET /images/{name}/json`), so it is looked up only when it
//! matters: to create (it goes into the `dockrun.spec-hash` label), when `--recreate` is
//! `changed` or `always` (a moved tag is a change), when dockrun is about to act on the
//! container anyway (start, unpause), and for `--dry-run`. A running container launched again
//! with the default `--recreate never` costs one request (its inspect): its recorded spec is
//! compared with the command line, and a tag that moved to another image since is not looked up.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use tracing::{debug, info, warn};

use crate::cli::Recreate;
use crate::drift::{Drift, Normalised, HASH_LABEL, SPEC_LABEL};
use crate::engine::{Engine, EngineError};
use crate::error::DockrunError;
use crate::plan::{
    plan, Action, AnonymousVolume, ContainerState, Decision, Desired, Existing, Observed, Plan,
};
use crate::spec::body::{CreateBody, HostConfig};
use crate::spec::{ContainerSpec, PullPolicy};

/// How many times to observe and act before giving up on a contended name.
const MAX_ATTEMPTS: u32 = 20;

/// The pause after a lost race, doubled each time up to `MAX_BACKOFF`. The engine reserves a
/// name before the container it names can be inspected, so right after a 409 the winner may
/// still look missing: pausing lets its create finish instead of spinning on conflicts.
const FIRST_BACKOFF: Duration = Duration::from_millis(20);

/// The longest pause between two rounds (so all rounds together last about eight seconds).
const MAX_BACKOFF: Duration = Duration::from_millis(500);

/// How long to wait for another launch's replacement to take the name it freed.
const OTHER_REPLACEMENT_LIMIT: Duration = Duration::from_secs(10);

/// How long to wait for a container in `removing` to be gone.
const REMOVAL_LIMIT: Duration = Duration::from_secs(60);

/// The container that now runs, and how it came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ensured {
    /// Full container ID.
    pub id: String,
    /// What dockrun did.
    pub action: Action,
}

/// What a launch would do (`--dry-run`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preview {
    /// The container's name.
    pub name: String,
    /// The plan and the differences it rests on.
    pub decision: Decision,
    /// The image would be pulled first.
    pub pull: bool,
}

impl Preview {
    /// The plan as printed: `VERB NAME [ID]`, then one indented line per difference.
    #[must_use]
    pub fn text(&self) -> String {
        let plan = &self.decision.plan;
        let mut text = format!("{} {}", plan.verb(), self.name);
        match plan {
            Plan::Create => {}
            Plan::Start(id) | Plan::Unpause(id) | Plan::Nothing(id) | Plan::AwaitRemoval(id) => {
                text.push(' ');
                text.push_str(id);
            }
            Plan::Recreate(old) => {
                text.push(' ');
                text.push_str(&old.id);
            }
        }
        if self.pull {
            text.push_str("\n  pull the image first");
        }
        if let Drift::UnknownOrigin(_) = self.decision.drift {
            text.push_str("\n  not created by dockrun: compared with what the engine reports");
        }
        for difference in self.decision.drift.differences() {
            text.push_str("\n  ");
            text.push_str(&difference.to_string());
        }
        text
    }
}

/// Whether the image ID is worth a request for this container (see the module comment).
fn needs_image_id(spec: &ContainerSpec, observed: &Observed) -> bool {
    match observed {
        Observed::Missing => true,
        Observed::Present(existing) => match existing.state {
            ContainerState::Removing | ContainerState::Dead => false,
            ContainerState::Running => spec.dry_run || spec.recreate != Recreate::Never,
            ContainerState::Created
            | ContainerState::Exited
            | ContainerState::Paused
            | ContainerState::Restarting => true,
        },
    }
}

/// Whether this launch may pull: it may create a container (a missing one, or a replacement),
/// and it is not a dry run.
fn may_pull(spec: &ContainerSpec, observed: &Observed) -> bool {
    !spec.dry_run && (matches!(observed, Observed::Missing) || spec.recreate != Recreate::Never)
}

/// The ID of the image the spec names, pulling first as the pull policy says when `pull` is
/// allowed. `None`: not present locally (and not pulled).
async fn resolve_image<E: Engine>(
    engine: &E,
    spec: &ContainerSpec,
    pull: bool,
) -> Result<Option<String>, EngineError> {
    if pull && spec.pull == PullPolicy::Always {
        engine
            .pull(&spec.image, spec.platform.as_deref(), spec.quiet)
            .await?;
    }
    match engine.image_id(&spec.image).await? {
        Some(id) => Ok(Some(id)),
        None if pull && spec.pull == PullPolicy::Missing => {
            info!(image = %spec.image, "image not found locally");
            engine
                .pull(&spec.image, spec.platform.as_deref(), spec.quiet)
                .await?;
            engine.image_id(&spec.image).await
        }
        None => Ok(None),
    }
}

/// The spec with dockrun's labels: the normalised spec and its hash with the image ID.
fn labelled(spec: &ContainerSpec, desired: &Normalised, image_id: &str) -> ContainerSpec {
    let mut spec = spec.clone();
    let labels = spec.body.labels.get_or_insert_with(BTreeMap::new);
    labels.insert(HASH_LABEL.to_owned(), desired.hash(image_id));
    labels.insert(SPEC_LABEL.to_owned(), desired.to_label());
    spec
}

/// The old container's anonymous volumes mounted at the same places in the new one (as
/// `docker compose` does), unless the new spec puts a bind, mount or tmpfs there itself.
fn carry_volumes(body: &CreateBody, volumes: &[AnonymousVolume]) -> CreateBody {
    let mut body = body.clone();
    let host = body.host_config.get_or_insert_with(HostConfig::default);
    let mut claimed: Vec<String> = host
        .binds
        .iter()
        .flatten()
        .filter_map(|b| b.split(':').nth(1).map(str::to_owned))
        .collect();
    claimed.extend(
        host.mounts
            .iter()
            .flatten()
            .filter_map(|m| m.target.clone()),
    );
    claimed.extend(host.tmpfs.iter().flatten().map(|(k, _)| k.clone()));
    for volume in volumes {
        if claimed.contains(&volume.destination) {
            debug!(destination = %volume.destination, "not carried over: the new spec mounts something else there");
            continue;
        }
        let mode = if volume.writable { "" } else { ":ro" };
        host.binds
            .get_or_insert_with(Vec::new)
            .push(format!("{}:{}{mode}", volume.name, volume.destination));
        if let Some(anonymous) = body.volumes.as_mut() {
            anonymous.remove(&volume.destination);
        }
        debug!(volume = %volume.name, destination = %volume.destination, "carrying over");
    }
    body
}

/// The name the old container waits under while its replacement starts.
fn aside_name(name: &str, id: &str) -> String {
    format!("{name}-dockrun-old-{}", id.get(..12).unwrap_or(id))
}

/// Say how the container differs, on stderr: warnings when it is kept as it is.
fn report_drift(name: &str, decision: &Decision) {
    let replacing = matches!(decision.plan, Plan::Recreate(_));
    match &decision.drift {
        Drift::Same => {}
        Drift::Changed(found) if replacing => {
            for difference in found {
                info!(container = %name, "differs: {difference}");
            }
        }
        Drift::Changed(found) => {
            for difference in found {
                warn!(container = %name, "differs: {difference}");
            }
            warn!(container = %name, "keeping the existing container as it is; `--recreate changed` replaces it");
        }
        Drift::UnknownOrigin(found) => {
            let log = |text: &str| {
                if replacing {
                    info!(container = %name, "{text}");
                } else {
                    warn!(container = %name, "{text}");
                }
            };
            log("not created by dockrun (no `dockrun.spec-hash` label): compared with what the engine reports");
            for difference in found {
                log(&format!("differs: {difference}"));
            }
            if found.is_empty() && !replacing {
                log("no difference in the fields that can be compared (what it inherits from its image cannot all be checked); `--recreate always` replaces it with a container dockrun records");
            } else if !replacing {
                log("keeping the existing container as it is; `--recreate changed` replaces it");
            }
        }
    }
}

/// Observe, look up the image as needed, and plan.
async fn assess<E: Engine>(
    engine: &E,
    spec: &ContainerSpec,
    desired: &Normalised,
    image: &mut Option<Option<String>>,
) -> Result<(Observed, Decision), DockrunError> {
    let observed = engine.observe(&spec.name).await?;
    if image.is_none() && needs_image_id(spec, &observed) {
        *image = Some(resolve_image(engine, spec, may_pull(spec, &observed)).await?);
    }
    let desired = Desired {
        spec: desired,
        image_id: image.as_ref().and_then(Option::as_deref),
        policy: spec.recreate,
    };
    let decision = plan(&spec.name, &desired, &observed)?;
    Ok((observed, decision))
}

/// What a launch would do, changing nothing (`--dry-run`): no pull, no create, no start.
///
/// # Errors
/// The engine cannot be asked, or the container is in a state dockrun will not act on.
pub async fn preview<E: Engine>(engine: &E, spec: &ContainerSpec) -> Result<Preview, DockrunError> {
    let desired = Normalised::from_body(&spec.body);
    let mut image = None;
    let (_, decision) = assess(engine, spec, &desired, &mut image).await?;
    report_drift(&spec.name, &decision);
    let creates = matches!(decision.plan, Plan::Create | Plan::Recreate(_));
    let pull = creates && (spec.pull == PullPolicy::Always || matches!(image, Some(None)));
    Ok(Preview {
        name: spec.name.clone(),
        decision,
        pull,
    })
}

/// Observe, plan and act until the container runs.
///
/// # Errors
/// Any engine failure, a state dockrun will not act on, a failed replacement (with what became
/// of the old container), or a name still contended after `MAX_ATTEMPTS` rounds.
pub async fn ensure<E: Engine>(engine: &E, spec: &ContainerSpec) -> Result<Ensured, DockrunError> {
    ensure_with(engine, spec, |_, _| async { Ok(()) })
        .await
        .map(|(ensured, ())| ensured)
}

/// [`ensure`], calling `before_run(id, action)` once the container exists and right before it
/// is started or unpaused (or, when it runs already, before returning). Supervision attaches
/// and registers its wait there, so a container that exits at once is not missed. When a lost
/// race makes dockrun act again, the hook runs again and its earlier result is dropped. A
/// replacement (`--recreate`) is created and started as one step that puts the old container
/// back on failure, so there the hook runs once the new container has started.
///
/// # Errors
/// As [`ensure`], and whatever the hook returns.
#[tracing::instrument(level = "debug", skip_all, fields(container = %spec.name))]
pub async fn ensure_with<E, H, F, Fut>(
    engine: &E,
    spec: &ContainerSpec,
    mut before_run: F,
) -> Result<(Ensured, H), DockrunError>
where
    E: Engine,
    F: FnMut(String, Action) -> Fut,
    Fut: Future<Output = Result<H, DockrunError>>,
{
    let name = spec.name.as_str();
    let desired = Normalised::from_body(&spec.body);
    let mut image = None;
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1..=MAX_ATTEMPTS {
        let (_, decision) = assess(engine, spec, &desired, &mut image).await?;
        debug!(attempt, plan = ?decision.plan, "planned");
        report_drift(name, &decision);
        let image_id = || {
            image
                .clone()
                .flatten()
                .ok_or_else(|| EngineError::ImageMissing {
                    image: spec.image.clone(),
                })
        };
        let result = match decision.plan {
            Plan::Create => {
                let spec = labelled(spec, &desired, &image_id()?);
                match engine.create(&spec).await {
                    Ok(id) => {
                        let hooked = before_run(id.clone(), Action::Created).await?;
                        engine
                            .start(name, &id)
                            .await
                            .map(|()| (id, Action::Created, hooked))
                    }
                    Err(err) => Err(err),
                }
            }
            Plan::Start(id) => {
                let hooked = before_run(id.clone(), Action::Started).await?;
                engine
                    .start(name, &id)
                    .await
                    .map(|()| (id, Action::Started, hooked))
            }
            Plan::Unpause(id) => {
                let hooked = before_run(id.clone(), Action::Unpaused).await?;
                engine
                    .unpause(name, &id)
                    .await
                    .map(|()| (id, Action::Unpaused, hooked))
            }
            Plan::Nothing(id) => {
                let hooked = before_run(id.clone(), Action::AlreadyRunning).await?;
                Ok((id, Action::AlreadyRunning, hooked))
            }
            Plan::AwaitRemoval(id) => {
                info!("waiting for the engine to finish removing the old container");
                engine.await_removal(name, &id, REMOVAL_LIMIT).await?;
                continue;
            }
            Plan::Recreate(old) => {
                // The image is there (pulled if the policy asked) before the old one is touched.
                let spec = labelled(spec, &desired, &image_id()?);
                match replace(engine, &spec, &old).await {
                    Ok(id) => {
                        let hooked = before_run(id.clone(), Action::Recreated).await?;
                        Ok((id, Action::Recreated, hooked))
                    }
                    // Unpausing or stopping the old one failed: nothing changed yet, so a
                    // container that vanished meanwhile is a race like any other.
                    Err(DockrunError::Engine(err)) => Err(err),
                    Err(err) => return Err(err),
                }
            }
        };
        match result {
            Ok((id, action, hooked)) => {
                let ensured = Ensured { id, action };
                info!(container = %name, id = %ensured.id, "{}", ensured.action);
                return Ok((ensured, hooked));
            }
            // Someone else created or removed the name meanwhile: look again.
            Err(EngineError::NameConflict { .. } | EngineError::Vanished { .. }) => {
                debug!(attempt, "lost a race for the name; observing again");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(DockrunError::Contended {
        name: name.to_owned(),
        attempts: MAX_ATTEMPTS,
    })
}

/// Replace `old` with a new container from `spec` (already labelled); see the module comment.
///
/// `DockrunError::Engine` only while this launch has changed nothing it must undo (unpause,
/// stop, or a rename lost to another launch); once the old container has been renamed, every
/// failure is a `DockrunError::Replace` saying what became of it.
async fn replace<E: Engine>(
    engine: &E,
    spec: &ContainerSpec,
    old: &Existing,
) -> Result<String, DockrunError> {
    let name = spec.name.as_str();
    let was_running = matches!(
        old.state,
        ContainerState::Running | ContainerState::Paused | ContainerState::Restarting
    );
    if old.state == ContainerState::Paused {
        engine.unpause(name, &old.id).await?;
    }
    if was_running {
        info!(container = %name, "stopping the old container");
        engine.stop(name, &old.id, None).await?;
    }
    let aside = aside_name(name, &old.id);
    if let Err(cause) = engine.rename(name, &old.id, &aside).await {
        // Another launch replacing it at the same moment renamed it first: the name is no
        // longer this container's, and the old one is that launch's to put back or remove.
        // Observe again, as after any lost race, rather than restart a container it owns.
        // Right after its rename the name is free until that launch creates the replacement:
        // wait for it (bounded), so as not to create a rival container in that gap.
        let mut now = engine.observe(name).await?;
        let deadline = tokio::time::Instant::now() + OTHER_REPLACEMENT_LIMIT;
        while now == Observed::Missing && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(FIRST_BACKOFF).await;
            now = engine.observe(name).await?;
        }
        if !matches!(&now, Observed::Present(e) if e.id == old.id) {
            debug!("the old container was renamed by someone else; observing again");
            return Err(DockrunError::Engine(EngineError::NameConflict {
                name: name.to_owned(),
            }));
        }
        return Err(restore(engine, name, None, old, was_running, cause).await);
    }
    let new_spec = ContainerSpec {
        body: carry_volumes(&spec.body, &old.anonymous_volumes),
        ..spec.clone()
    };
    let outcome = match engine.create(&new_spec).await {
        Ok(id) => match engine.start(name, &id).await {
            Ok(()) => Ok(id),
            Err(cause) => {
                // Volumes stay (`v=false`): the carried-over ones belong to the old container.
                if let Err(err) = engine.remove(name, &id, true).await {
                    warn!(container = %name, id = %id, error = %err, "the new container that failed to start could not be removed; remove it with `docker rm`");
                }
                Err(cause)
            }
        },
        Err(cause) => Err(cause),
    };
    match outcome {
        Ok(id) => {
            remove_old(engine, name, &aside, &old.id).await;
            Ok(id)
        }
        Err(cause) => Err(restore(engine, name, Some(&aside), old, was_running, cause).await),
    }
}

/// Remove the replaced container, keeping its volumes. Another launch may have started it
/// meanwhile (it saw it as just created, before this launch started it): then it is stopped
/// gracefully again first. A failure is only warned about: the new container runs.
async fn remove_old<E: Engine>(engine: &E, name: &str, aside: &str, id: &str) {
    let mut removed = engine.remove(aside, id, false).await;
    if removed.is_err() {
        debug!(old = %aside, "the old container could not be removed; stopping it again first");
        removed = match engine.stop(aside, id, None).await {
            Ok(()) => engine.remove(aside, id, false).await,
            Err(err) => Err(err),
        };
    }
    if let Err(err) = removed {
        warn!(container = %name, old = %aside, error = %err, "the new container runs, but the old one could not be removed; remove it with `docker rm`");
    }
}

/// Put the old container back under its name (and start it if it was running) after a failed
/// replacement; the error says what failed and what became of the old container.
async fn restore<E: Engine>(
    engine: &E,
    name: &str,
    aside: Option<&str>,
    old: &Existing,
    was_running: bool,
    cause: EngineError,
) -> DockrunError {
    let mut back = Ok(());
    if let Some(aside) = aside {
        back = engine.rename(aside, &old.id, name).await;
    }
    if back.is_ok() && was_running {
        back = engine.start(name, &old.id).await;
    }
    let outcome = match back {
        Ok(()) if was_running => "the old container is back under its name and running".to_owned(),
        Ok(()) => "the old container is back under its name".to_owned(),
        Err(err) => format!(
            "putting the old container back failed too ({}); it is kept as `{}`",
            crate::error::chain(&err),
            aside.unwrap_or(name)
        ),
    };
    DockrunError::Replace {
        name: name.to_owned(),
        outcome,
        source: Box::new(cause),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::RawArgs;
    use crate::drift::Record;
    use crate::engine::{ApiError, AttachRequest, Attached, RunInfo, WaitCondition, Waiter};
    use std::cell::RefCell;
    use std::collections::VecDeque;

    const IMAGE_ID: &str =
        "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    /// A scripted engine: each `observe` pops the next answer; creates fail with 409 `conflicts`
    /// times; starts of the IDs in `failing_starts` fail; every call is recorded.
    #[derive(Default)]
    struct Scripted {
        observed: RefCell<VecDeque<Observed>>,
        conflicts: RefCell<u32>,
        image_missing: RefCell<bool>,
        pull_fails: RefCell<bool>,
        failing_starts: RefCell<Vec<String>>,
        failing_renames: RefCell<u32>,
        created: RefCell<Vec<ContainerSpec>>,
        calls: RefCell<Vec<String>>,
    }

    fn api(message: &str) -> ApiError {
        ApiError {
            status: Some(500),
            message: message.into(),
        }
    }

    impl Engine for Scripted {
        async fn observe(&self, _: &str) -> Result<Observed, EngineError> {
            self.calls.borrow_mut().push("observe".into());
            Ok(self
                .observed
                .borrow_mut()
                .pop_front()
                .unwrap_or(Observed::Missing))
        }
        async fn image_id(&self, _: &str) -> Result<Option<String>, EngineError> {
            self.calls.borrow_mut().push("image".into());
            Ok((!*self.image_missing.borrow()).then(|| IMAGE_ID.to_owned()))
        }
        async fn pull(&self, image: &str, _: Option<&str>, _: bool) -> Result<(), EngineError> {
            self.calls.borrow_mut().push("pull".into());
            if *self.pull_fails.borrow() {
                return Err(EngineError::Pull {
                    image: image.into(),
                    registry: "docker.io".into(),
                    credentials: "without credentials".into(),
                    source: api("unreachable"),
                });
            }
            *self.image_missing.borrow_mut() = false;
            Ok(())
        }
        async fn create(&self, spec: &ContainerSpec) -> Result<String, EngineError> {
            self.calls.borrow_mut().push("create".into());
            if *self.image_missing.borrow() {
                return Err(EngineError::ImageMissing {
                    image: spec.image.clone(),
                });
            }
            let mut conflicts = self.conflicts.borrow_mut();
            if *conflicts > 0 {
                *conflicts -= 1;
                return Err(EngineError::NameConflict {
                    name: spec.name.clone(),
                });
            }
            self.created.borrow_mut().push(spec.clone());
            Ok("new".into())
        }
        async fn start(&self, name: &str, id: &str) -> Result<(), EngineError> {
            self.calls.borrow_mut().push(format!("start {id}"));
            if self.failing_starts.borrow().iter().any(|f| f == id) {
                return Err(EngineError::Start {
                    name: name.into(),
                    failure: crate::engine::StartFailure::CommandNotFound,
                    source: api("exec: \"/nope\": no such file or directory"),
                });
            }
            Ok(())
        }
        async fn unpause(&self, _: &str, id: &str) -> Result<(), EngineError> {
            self.calls.borrow_mut().push(format!("unpause {id}"));
            Ok(())
        }
        async fn stop(&self, _: &str, id: &str, _: Option<i64>) -> Result<(), EngineError> {
            self.calls.borrow_mut().push(format!("stop {id}"));
            Ok(())
        }
        async fn rename(&self, name: &str, id: &str, to: &str) -> Result<(), EngineError> {
            self.calls.borrow_mut().push(format!("rename {id} {to}"));
            let mut failing = self.failing_renames.borrow_mut();
            if *failing > 0 {
                *failing -= 1;
                return Err(EngineError::Rename {
                    name: name.into(),
                    to: to.into(),
                    source: api("Conflict. The container name is already in use"),
                });
            }
            Ok(())
        }
        async fn remove(&self, _: &str, id: &str, force: bool) -> Result<(), EngineError> {
            self.calls
                .borrow_mut()
                .push(format!("remove {id}{}", if force { " -f" } else { "" }));
            Ok(())
        }
        async fn await_removal(&self, _: &str, id: &str, _: Duration) -> Result<(), EngineError> {
            self.calls.borrow_mut().push(format!("await {id}"));
            Ok(())
        }
        fn wait(&self, _: &str, _: &str, _: WaitCondition) -> Waiter {
            unimplemented!("ensure does not wait")
        }
        async fn attach(
            &self,
            _: &str,
            _: &str,
            _: &AttachRequest,
        ) -> Result<Attached, EngineError> {
            unimplemented!("ensure does not attach")
        }
        async fn inspect_run(&self, _: &str, _: &str) -> Result<RunInfo, EngineError> {
            unimplemented!("ensure does not inspect")
        }
        async fn kill(&self, _: &str, _: &str, _: &str) -> Result<(), EngineError> {
            unimplemented!("ensure does not kill")
        }
        async fn resize(&self, _: &str, _: &str, _: u16, _: u16) -> Result<(), EngineError> {
            unimplemented!("ensure does not resize")
        }
    }

    fn spec(extra: &[&str]) -> ContainerSpec {
        let mut argv = vec!["dockrun", "--name", "web"];
        argv.extend_from_slice(extra);
        argv.push("img");
        ContainerSpec::try_from(RawArgs::parse_from_argv(argv).expect("parses")).expect("valid")
    }

    /// A container dockrun made from `spec(&[])` with image `IMAGE_ID`.
    fn present(state: ContainerState) -> Observed {
        let recorded = Normalised::from_body(&spec(&[]).body);
        Observed::Present(Existing {
            id: "old".into(),
            state,
            image_id: IMAGE_ID.into(),
            record: Record::Labelled {
                hash: recorded.hash(IMAGE_ID),
                spec: Some(recorded.to_label()),
            },
            anonymous_volumes: vec![AnonymousVolume {
                name: "vol0".into(),
                destination: "/anon".into(),
                writable: true,
            }],
            auto_remove: false,
        })
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime")
    }

    fn run(engine: &Scripted, spec: &ContainerSpec) -> Result<Ensured, DockrunError> {
        runtime().block_on(ensure(engine, spec))
    }

    #[test]
    fn hook_runs_right_before_start_and_its_error_stops_the_start() {
        let engine = Scripted::default();
        engine.observed.borrow_mut().extend([
            present(ContainerState::Exited),
            present(ContainerState::Exited),
        ]);
        let (ensured, action) = runtime()
            .block_on(ensure_with(&engine, &spec(&[]), |id, action| {
                engine.calls.borrow_mut().push(format!("hook {id}"));
                async move { Ok(action) }
            }))
            .expect("ensured");
        assert_eq!((ensured.action, action), (Action::Started, Action::Started));
        let calls = engine.calls.borrow().clone();
        let hook = calls.iter().position(|c| c == "hook old").expect("hooked");
        assert_eq!(
            calls.get(hook + 1).map(String::as_str),
            Some("start old"),
            "{calls:?}"
        );

        let refused = runtime().block_on(ensure_with(&engine, &spec(&[]), |_, _| async {
            Err::<(), _>(DockrunError::NotATty)
        }));
        assert!(matches!(refused, Err(DockrunError::NotATty)));
        let starts = engine
            .calls
            .borrow()
            .iter()
            .filter(|c| c.starts_with("start"))
            .count();
        assert_eq!(starts, 1, "no start after the hook failed");
    }

    #[test]
    fn lost_race_adopts_the_winner() {
        let engine = Scripted::default();
        engine
            .observed
            .borrow_mut()
            .extend([Observed::Missing, present(ContainerState::Created)]);
        *engine.conflicts.borrow_mut() = 1;
        let ensured = run(&engine, &spec(&[])).expect("ensured");
        assert_eq!(
            ensured,
            Ensured {
                id: "old".into(),
                action: Action::Started
            }
        );
        assert_eq!(
            *engine.calls.borrow(),
            ["observe", "image", "create", "observe", "start old"]
        );
    }

    #[test]
    fn endless_conflicts_are_bounded() {
        let engine = Scripted::default();
        *engine.conflicts.borrow_mut() = u32::MAX;
        assert!(matches!(
            run(&engine, &spec(&[])),
            Err(DockrunError::Contended { .. })
        ));
    }

    #[test]
    fn missing_image_is_pulled_then_created_with_labels() {
        let engine = Scripted::default();
        *engine.image_missing.borrow_mut() = true;
        let ensured = run(&engine, &spec(&[])).expect("ensured");
        assert_eq!(ensured.action, Action::Created);
        assert_eq!(
            *engine.calls.borrow(),
            ["observe", "image", "pull", "image", "create", "start new"]
        );
        let created = engine.created.borrow();
        let labels = created[0].body.labels.as_ref().expect("labels");
        let desired = Normalised::from_body(&spec(&[]).body);
        assert_eq!(labels[HASH_LABEL], desired.hash(IMAGE_ID));
        assert_eq!(labels[SPEC_LABEL], desired.to_label());
    }

    #[test]
    fn never_pull_fails_on_missing_image() {
        let engine = Scripted::default();
        *engine.image_missing.borrow_mut() = true;
        let err = run(&engine, &spec(&["--pull=never"])).expect_err("fails");
        assert!(matches!(
            err,
            DockrunError::Engine(EngineError::ImageMissing { .. })
        ));
        assert_eq!(*engine.calls.borrow(), ["observe", "image"]);
    }

    #[test]
    fn removal_is_awaited_then_created() {
        let engine = Scripted::default();
        engine
            .observed
            .borrow_mut()
            .extend([present(ContainerState::Removing), Observed::Missing]);
        let ensured = run(&engine, &spec(&[])).expect("ensured");
        assert_eq!(ensured.action, Action::Created);
        assert_eq!(
            *engine.calls.borrow(),
            [
                "observe",
                "await old",
                "observe",
                "image",
                "create",
                "start new"
            ]
        );
    }

    #[test]
    fn running_costs_one_request_and_paused_is_unpaused() {
        let engine = Scripted::default();
        engine.observed.borrow_mut().extend([
            present(ContainerState::Running),
            present(ContainerState::Paused),
        ]);
        assert_eq!(
            run(&engine, &spec(&[])).expect("ok").action,
            Action::AlreadyRunning
        );
        assert_eq!(*engine.calls.borrow(), ["observe"]);
        assert_eq!(
            run(&engine, &spec(&[])).expect("ok").action,
            Action::Unpaused
        );
        assert_eq!(
            *engine.calls.borrow(),
            ["observe", "observe", "image", "unpause old"]
        );
    }

    #[test]
    fn changed_spec_is_kept_by_default() {
        let engine = Scripted::default();
        engine
            .observed
            .borrow_mut()
            .push_back(present(ContainerState::Running));
        let ensured = run(&engine, &spec(&["-e", "A=2"])).expect("ok");
        assert_eq!(ensured.action, Action::AlreadyRunning);
        assert_eq!(*engine.calls.borrow(), ["observe"]);
    }

    #[test]
    fn replacement_stops_keeps_aside_carries_volumes_then_removes() {
        let engine = Scripted::default();
        engine
            .observed
            .borrow_mut()
            .push_back(present(ContainerState::Running));
        let ensured = run(&engine, &spec(&["--recreate", "changed", "-e", "A=2"])).expect("ok");
        assert_eq!(
            ensured,
            Ensured {
                id: "new".into(),
                action: Action::Recreated
            }
        );
        assert_eq!(
            *engine.calls.borrow(),
            [
                "observe",
                "image",
                "stop old",
                "rename old web-dockrun-old-old",
                "create",
                "start new",
                "remove old"
            ]
        );
        let created = engine.created.borrow();
        let binds = created[0]
            .body
            .host_config
            .as_ref()
            .and_then(|h| h.binds.clone());
        assert_eq!(binds, Some(vec!["vol0:/anon".to_owned()]));
    }

    #[test]
    fn failed_start_puts_the_old_container_back_running() {
        let engine = Scripted::default();
        engine
            .observed
            .borrow_mut()
            .push_back(present(ContainerState::Running));
        engine.failing_starts.borrow_mut().push("new".into());
        let err = run(&engine, &spec(&["--recreate", "always"])).expect_err("fails");
        assert_eq!(err.exit(), crate::exit::Exit::Failure);
        let text = crate::error::report(&err);
        assert!(
            text.contains("back under its name and running")
                && text.contains("failed to start container `web`")
                && text.contains("no such file or directory"),
            "{text}"
        );
        assert_eq!(
            *engine.calls.borrow(),
            [
                "observe",
                "image",
                "stop old",
                "rename old web-dockrun-old-old",
                "create",
                "start new",
                "remove new -f",
                "rename old web",
                "start old"
            ]
        );
    }

    #[test]
    fn a_rename_lost_to_another_launch_is_a_race() {
        let engine = Scripted::default();
        // What the other launch made: the new spec, recorded.
        let mut replacement = present(ContainerState::Running);
        if let Observed::Present(e) = &mut replacement {
            let recorded = Normalised::from_body(&spec(&["-e", "A=2"]).body);
            e.id = "theirs".into();
            e.record = Record::Labelled {
                hash: recorded.hash(IMAGE_ID),
                spec: Some(recorded.to_label()),
            };
        }
        engine.observed.borrow_mut().extend([
            present(ContainerState::Running),
            Observed::Missing, // after the failed rename: the other launch renamed it…
            replacement.clone(), // …and then created its replacement
            replacement.clone(),
        ]);
        *engine.failing_renames.borrow_mut() = 1;
        let ensured = run(&engine, &spec(&["--recreate", "changed", "-e", "A=2"])).expect("ok");
        assert_eq!(
            ensured.id, "theirs",
            "the other launch's container is adopted"
        );
        assert_eq!(
            *engine.calls.borrow(),
            [
                "observe",
                "image",
                "stop old",
                "rename old web-dockrun-old-old",
                "observe",
                "observe",
                "observe"
            ]
        );
    }

    #[test]
    fn a_failed_rename_of_our_own_restarts_the_old_container() {
        let engine = Scripted::default();
        engine.observed.borrow_mut().extend([
            present(ContainerState::Running),
            present(ContainerState::Running), // still ours under its name
        ]);
        *engine.failing_renames.borrow_mut() = 1;
        let err = run(&engine, &spec(&["--recreate", "always"])).expect_err("fails");
        let text = crate::error::report(&err);
        assert!(text.contains("back under its name and running"), "{text}");
        assert_eq!(
            *engine.calls.borrow(),
            [
                "observe",
                "image",
                "stop old",
                "rename old web-dockrun-old-old",
                "observe",
                "start old"
            ]
        );
    }

    #[test]
    fn failed_pull_leaves_the_old_container_alone() {
        let engine = Scripted::default();
        engine
            .observed
            .borrow_mut()
            .push_back(present(ContainerState::Running));
        *engine.pull_fails.borrow_mut() = true;
        let err = run(
            &engine,
            &spec(&["--recreate", "always", "--pull", "always"]),
        )
        .expect_err("fails");
        assert!(matches!(
            err,
            DockrunError::Engine(EngineError::Pull { .. })
        ));
        assert_eq!(*engine.calls.borrow(), ["observe", "pull"]);
    }

    #[test]
    fn dry_run_changes_nothing() {
        let engine = Scripted::default();
        engine
            .observed
            .borrow_mut()
            .extend([present(ContainerState::Running), Observed::Missing]);
        *engine.image_missing.borrow_mut() = true;
        let mut dry = spec(&["--dry-run", "-e", "A=2"]);
        let preview = runtime().block_on(preview(&engine, &dry)).expect("plans");
        assert_eq!(preview.text(), "nothing web old\n  env A: (unset) → 2");
        dry.recreate = Recreate::Changed;
        let preview = runtime()
            .block_on(super::preview(&engine, &dry))
            .expect("plans");
        assert_eq!(preview.text(), "create web\n  pull the image first");
        assert_eq!(
            *engine.calls.borrow(),
            ["observe", "image", "observe", "image"]
        );
    }

    #[test]
    fn carried_volumes_yield_to_the_new_specs_own_mounts() {
        let volumes = [
            AnonymousVolume {
                name: "v1".into(),
                destination: "/data".into(),
                writable: true,
            },
            AnonymousVolume {
                name: "v2".into(),
                destination: "/cache".into(),
                writable: false,
            },
        ];
        let body = spec(&["-v", "named:/data", "-v", "/cache"]).body;
        let carried = carry_volumes(&body, &volumes);
        assert_eq!(
            carried.host_config.and_then(|h| h.binds),
            Some(vec!["named:/data".to_owned(), "v2:/cache:ro".to_owned()])
        );
        assert!(carried.volumes.is_some_and(|v| v.is_empty()));
    }
}
