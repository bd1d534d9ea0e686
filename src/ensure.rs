//! Make the spec true: observe → plan → act, until the named container runs.
//!
//! A lost race is normal here: when two launches of one name create at the same moment, the
//! engine gives one of them a 409; that one observes again and adopts the winner. A container
//! that vanishes between observing and acting (404) is observed again too. Both are bounded by
//! `MAX_ATTEMPTS`, so a pathological fight ends in an error rather than a loop.
//!
//! An existing container is compared with the command line (`drift`), and replaced when
//! `--recreate` says so; the replacement is a transaction of its own (`replace`). The image is
//! pulled (when the pull policy asks) before the old container is touched.
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
use crate::drift::{Drift, Normalised, FORMAT, FORMAT_LABEL, HASH_LABEL, SPEC_LABEL};
use crate::engine::{rejected_reference, Engine, EngineError};
use crate::error::DockrunError;
use crate::plan::{plan, repair as plan_repair, Action, Decision, Desired, Plan, Repair};
use crate::progress::{self, PullProgress};
use crate::spec::{ContainerSpec, PullPolicy};
use crate::state::{ContainerState, Observed, NAME_LABEL};

pub mod gate;
mod lock;
mod repair;
mod replace;
pub mod shield;

use replace::replace;

/// How many times to observe and act before giving up on a contended name.
const MAX_ATTEMPTS: u32 = 20;

/// The pause after a lost race, doubled each time up to `MAX_BACKOFF`. The engine reserves a
/// name before the container it names can be inspected, so right after a 409 the winner may
/// still look missing: pausing lets its create finish instead of spinning on conflicts.
const FIRST_BACKOFF: Duration = Duration::from_millis(20);

/// The longest pause between two rounds (so all rounds together last about eight seconds).
const MAX_BACKOFF: Duration = Duration::from_millis(500);

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

/// Whether the image ID is worth a request for this container (see the module comment).
fn needs_image_id(spec: &ContainerSpec, observed: &Observed) -> bool {
    match observed {
        Observed::Missing => true,
        // Not for a container that is awaited or refused; for a running one only when it may
        // be replaced or the plan is shown; for the others, dockrun acts on them anyway.
        Observed::Present(existing) => {
            existing.state.can_replace()
                && (existing.state != ContainerState::Running
                    || spec.dry_run
                    || spec.recreate != Recreate::Never)
        }
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
        pull_showing_progress(engine, spec).await?;
    }
    match engine.image_id(&spec.image).await? {
        Some(id) => Ok(Some(id)),
        None if pull && spec.pull == PullPolicy::Missing => {
            info!(image = %spec.image, "image not found locally");
            pull_showing_progress(engine, spec).await?;
            engine.image_id(&spec.image).await
        }
        None => Ok(None),
    }
}

/// Pull the spec's image, its progress shown on stderr (nothing with `-q`).
async fn pull_showing_progress<E: Engine>(
    engine: &E,
    spec: &ContainerSpec,
) -> Result<(), EngineError> {
    let mut display = PullProgress::new(progress::Mode::for_stderr(spec.quiet));
    engine
        .pull(&spec.image, spec.platform.as_deref(), &mut |event| {
            display.update(event);
        })
        .await?;
    display.finish();
    Ok(())
}

/// The spec with dockrun's labels: the normalised spec and its hash with the image ID.
fn labelled(spec: &ContainerSpec, desired: &Normalised, image_id: &str) -> ContainerSpec {
    let mut spec = spec.clone();
    let labels = spec.body.labels.get_or_insert_with(BTreeMap::new);
    labels.insert(HASH_LABEL.to_owned(), desired.hash(image_id));
    labels.insert(SPEC_LABEL.to_owned(), desired.to_label());
    labels.insert(FORMAT_LABEL.to_owned(), FORMAT.to_string());
    labels.insert(NAME_LABEL.to_owned(), spec.name.clone());
    spec
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

/// `--recreate` as this launch applies it. An opted-in container (`--auto-update`) follows its
/// tag: when the image ID was looked up (the container is to be started, or the policy asked)
/// and the tag names another image now, it is replaced as with `--recreate changed`. That is
/// how a unit restarted by `--update-images` replaces its container (and why a rolled-back tag
/// keeps it on the old image after a reboot). Not onto an image an update rejected (tagged
/// `TAG-dockrun-rejected`: a `docker pull` of a registry that still serves it, or a rollback
/// killed before it moved the tag back): that costs one image lookup, only when the tag moved.
async fn recreate_policy<E: Engine>(
    engine: &E,
    spec: &ContainerSpec,
    observed: &Observed,
    image_id: Option<&str>,
) -> Result<Recreate, EngineError> {
    match (spec.auto_update, spec.recreate, observed, image_id) {
        (Some(_), Recreate::Never, Observed::Present(existing), Some(id))
            if id != existing.image_id =>
        {
            if let Some(rejected) = rejected_reference(&spec.image) {
                if engine.image_id(&rejected).await?.as_deref() == Some(id) {
                    warn!(container = %spec.name, image = %id, tag = %rejected, "the tag names an image an update rejected; not followed (remove that tag to retry it)");
                    return Ok(spec.recreate);
                }
            }
            info!(container = %spec.name, "the tag names another image and `--auto-update` follows it");
            Ok(Recreate::Changed)
        }
        _ => Ok(spec.recreate),
    }
}

/// Observe, look up the image as needed, and plan. A missing name costs one more request: the
/// list of what an interrupted replacement may have left, repaired before anything else.
async fn assess<E: Engine>(
    engine: &E,
    spec: &ContainerSpec,
    desired: &Normalised,
    image: &mut Option<Option<String>>,
) -> Result<(Observed, Decision), DockrunError> {
    let observed = engine.observe(&spec.name).await?;
    if observed == Observed::Missing {
        if let Some(repair) = plan_repair(&spec.name, &engine.leftovers(&spec.name).await?) {
            return Ok((
                observed,
                Decision {
                    plan: Plan::Repair(repair),
                    drift: Drift::Same,
                },
            ));
        }
    }
    if image.is_none() && needs_image_id(spec, &observed) {
        *image = Some(resolve_image(engine, spec, may_pull(spec, &observed)).await?);
    }
    let image_id = image.as_ref().and_then(Option::as_deref);
    let desired = Desired {
        spec: desired,
        image_id,
        policy: recreate_policy(engine, spec, &observed, image_id).await?,
    };
    let decision = plan(&spec.name, &desired, &observed)?;
    Ok((observed, decision))
}

/// The name's lock (a transaction's, per machine), when the engine has a lock scope.
async fn lock_name<E: Engine>(engine: &E, name: &str) -> Option<lock::NameLock> {
    match engine.lock_scope() {
        Some(scope) => lock::lock(&scope, name).await,
        None => None,
    }
}

/// Under the name's lock (a replacement under way holds it: it is not an interrupted one),
/// the repair an interrupted replacement of `name` waits for, if any; the lock is held for as
/// long as the caller keeps it.
async fn locked_repair<E: Engine>(
    engine: &E,
    name: &str,
) -> Result<(Option<lock::NameLock>, Option<Repair>), DockrunError> {
    let locked = lock_name(engine, name).await;
    if engine.observe(name).await? != Observed::Missing {
        return Ok((locked, None));
    }
    let repair = plan_repair(name, &engine.leftovers(name).await?);
    Ok((locked, repair))
}

/// Repair what an interrupted replacement of `name` left, if anything, and nothing else (an
/// update run does this for the containers nothing else would launch again): under the name's
/// lock, as a `-d` launch repairs, the gate's bound the healthcheck's own.
///
/// # Errors
/// An engine failure or a signal, as a launch's repair.
pub async fn repair_interrupted<E: Engine>(engine: &E, name: &str) -> Result<(), DockrunError> {
    let (_locked, repair) = locked_repair(engine, name).await?;
    let Some(repair) = repair else {
        return Ok(());
    };
    let options = replace::Options {
        detach: true,
        wait_timeout: None,
    };
    repair::repair(engine, name, &repair, options).await
}

/// Whether an interrupted replacement of `name` waits to be repaired, looked at under the
/// name's lock.
///
/// # Errors
/// The engine cannot be asked.
pub async fn repair_pending<E: Engine>(engine: &E, name: &str) -> Result<bool, DockrunError> {
    Ok(locked_repair(engine, name).await?.1.is_some())
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
/// replacement (`--recreate`) is a transaction that puts the old container back on failure,
/// so there the hook runs once the new container has committed (taken the name).
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
    let mut locked = None;
    for attempt in 1..=MAX_ATTEMPTS {
        let (_, decision) = assess(engine, spec, &desired, &mut image).await?;
        debug!(attempt, plan = ?decision.plan, "planned");
        if matches!(decision.plan, Plan::Recreate(_) | Plan::Repair(_)) && locked.is_none() {
            // One transaction per name at a time: take the lock, then look again, since what
            // was seen may be another launch's replacement that has moved on meanwhile.
            if engine.lock_scope().is_some() {
                locked = Some(lock_name(engine, name).await);
                continue;
            }
        }
        report_drift(name, &decision);
        let image_id = || {
            image
                .clone()
                .flatten()
                .ok_or_else(|| EngineError::ImageMissing {
                    image: spec.image.clone(),
                    pull: spec.pull,
                })
        };
        let options = replace::Options {
            detach: spec.detach,
            wait_timeout: spec.wait_timeout,
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
                match replace(engine, &spec, &old, options).await {
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
            Plan::Repair(repair) => match repair::repair(engine, name, &repair, options).await {
                // Repaired: look again and plan as a fresh launch would.
                Ok(()) => continue,
                Err(DockrunError::Engine(err)) => Err(err),
                Err(err) => return Err(err),
            },
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scripted::{present, run, runtime, spec, Scripted, IMAGE_ID};
    use crate::state::fixtures::{parked, replacement, NEW, OLD};
    use crate::state::Leftover;

    /// Each interrupted state is repaired before planning, then planned as a fresh launch.
    #[test]
    fn r14_interrupted_replacements_are_repaired_before_planning() {
        let cases: Vec<(Vec<Leftover>, Vec<String>)> = vec![
            (
                vec![parked(ContainerState::Exited)],
                vec![format!("rename {OLD} web")],
            ),
            (
                vec![
                    parked(ContainerState::Exited),
                    replacement(ContainerState::Created),
                ],
                vec![format!("discard {NEW}"), format!("rename {OLD} web")],
            ),
            (
                vec![replacement(ContainerState::Running)],
                vec![format!("rename {NEW} web")],
            ),
        ];
        for (leftovers, repair) in cases {
            let engine = Scripted::default();
            engine
                .observed
                .borrow_mut()
                .extend([Observed::Missing, present(ContainerState::Exited)]);
            engine.leftovers.borrow_mut().push_back(leftovers.clone());
            let ensured = run(&engine, &spec(&[])).expect("repaired");
            assert_eq!(ensured.action, Action::Started);
            let mut expected = vec!["observe".to_owned(), "leftovers".to_owned()];
            expected.extend(repair);
            expected.extend(["observe", "image", "start old"].map(String::from));
            assert_eq!(*engine.calls.borrow(), expected, "{leftovers:?}");
        }
    }

    /// A replacement left started while its old container is parked never passed its gate: the
    /// repair gates it first. Up: committed. Not up (exited, unhealthy, restarted while
    /// watched): its logs, it goes (its own volumes kept), the old one comes back under its name
    /// and is started; then the launch plans again.
    #[test]
    fn r14_a_started_replacement_is_proven_before_it_is_committed() {
        use crate::engine::{Health, RunInfo};
        use crate::scripted::{running, with_healthcheck as healthcheck};
        let exited = RunInfo {
            running: false,
            exit_code: 1,
            ..running()
        };
        let restarted = |count| RunInfo {
            restart_count: count,
            ..running()
        };
        let committed = vec![format!("remove {OLD}"), format!("rename {NEW} web")];
        // Its own volumes are kept: it may have run for long.
        let rolled_back = vec![
            format!("logs {NEW}"),
            format!("remove {NEW} -f"),
            format!("rename {OLD} web"),
            format!("start {OLD}"),
        ];
        let cases = [
            (ContainerState::Running, vec![running(); 10], &committed),
            (
                ContainerState::Running,
                vec![healthcheck(Health::Starting), healthcheck(Health::Healthy)],
                &committed,
            ),
            (
                ContainerState::Running,
                vec![
                    healthcheck(Health::Starting),
                    healthcheck(Health::Unhealthy),
                ],
                &rolled_back,
            ),
            (ContainerState::Exited, vec![exited], &rolled_back),
            // Restarted before the repair looked (it may have run for days): not held against
            // it; restarted while it is watched: it fails.
            (ContainerState::Running, vec![restarted(2); 10], &committed),
            (
                ContainerState::Running,
                vec![restarted(2), restarted(3)],
                &rolled_back,
            ),
        ];
        for (state, runs, repair) in cases {
            let engine = Scripted::default();
            engine
                .observed
                .borrow_mut()
                .extend([Observed::Missing, present(ContainerState::Running)]);
            let leftovers = vec![parked(ContainerState::Exited), replacement(state)];
            engine.leftovers.borrow_mut().push_back(leftovers);
            engine.runs.borrow_mut().extend(runs.clone());
            let ensured = run(&engine, &spec(&[])).expect("repaired");
            assert_eq!(ensured.action, Action::AlreadyRunning);
            let calls = engine.calls.borrow().clone();
            let polls = calls
                .iter()
                .filter(|c| **c == format!("inspect {NEW}"))
                .count();
            assert!(polls >= 1, "{calls:?}");
            let mut expected = vec!["observe".to_owned(), "leftovers".to_owned()];
            expected.extend(vec![format!("inspect {NEW}"); polls]);
            expected.extend(repair.iter().cloned());
            expected.push("observe".to_owned());
            assert_eq!(calls, expected, "{state} {runs:?}");
        }
    }

    /// An opted-in container follows its moved tag, but not onto an image an update rejected.
    #[test]
    fn r16_a_moved_tag_is_followed_unless_its_image_was_rejected() {
        for (rejected, verb) in [
            (None, "recreate"),
            (Some("sha256:other"), "recreate"),
            (Some("sha256:new"), "start"),
        ] {
            let engine = Scripted::default();
            engine
                .observed
                .borrow_mut()
                .push_back(present(ContainerState::Exited));
            let mut images = engine.images.borrow_mut();
            images.insert("img".into(), Some("sha256:new".into()));
            images.insert(
                "img:latest-dockrun-rejected".into(),
                rejected.map(str::to_owned),
            );
            drop(images);
            let dry = spec(&["--auto-update=local", "--dry-run"]);
            let preview = runtime().block_on(preview(&engine, &dry)).expect("plans");
            assert_eq!(preview.decision.plan.verb(), verb, "{rejected:?}");
            assert_eq!(
                *engine.calls.borrow(),
                ["observe", "image img", "image img:latest-dockrun-rejected"]
            );
        }
    }

    #[test]
    fn r14_dry_run_shows_a_pending_repair() {
        let engine = Scripted::default();
        engine.leftovers.borrow_mut().push_back(vec![
            parked(ContainerState::Exited),
            replacement(ContainerState::Running),
        ]);
        let dry = spec(&["--dry-run"]);
        let preview = runtime().block_on(preview(&engine, &dry)).expect("plans");
        assert_eq!(
            crate::output::preview_text(&preview),
            "repair web\n  an earlier replacement was interrupted after its new container started, before it proved itself\n  watch web-dockrun-new-0123456789ab until it is up (healthy, or still running after 3s)\n  up: remove web-dockrun-old-0123456789ab (replaced; its volumes are kept) and give the name to web-dockrun-new-0123456789ab\n  not up: remove web-dockrun-new-0123456789ab and put web-dockrun-old-0123456789ab back under the name, running"
        );
        assert_eq!(
            *engine.calls.borrow(),
            ["observe", "leftovers"],
            "nothing changed"
        );
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
            [
                "observe",
                "leftovers",
                "image",
                "create",
                "observe",
                "start old"
            ]
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
            [
                "observe",
                "leftovers",
                "image",
                "pull",
                "image",
                "create",
                "start new"
            ]
        );
        let created = engine.created.borrow();
        let labels = created[0].body.labels.as_ref().expect("labels");
        let desired = Normalised::from_body(&spec(&[]).body);
        assert_eq!(labels[HASH_LABEL], desired.hash(IMAGE_ID));
        assert_eq!(labels[SPEC_LABEL], desired.to_label());
        assert_eq!(labels[FORMAT_LABEL], FORMAT.to_string());
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
        assert_eq!(*engine.calls.borrow(), ["observe", "leftovers", "image"]);
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
                "leftovers",
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
    fn dry_run_changes_nothing() {
        let engine = Scripted::default();
        engine
            .observed
            .borrow_mut()
            .extend([present(ContainerState::Running), Observed::Missing]);
        *engine.image_missing.borrow_mut() = true;
        let mut dry = spec(&["--dry-run", "-e", "A=2"]);
        let preview = runtime().block_on(preview(&engine, &dry)).expect("plans");
        assert_eq!(
            crate::output::preview_text(&preview),
            "nothing web old\n  env A: (unset) → 2"
        );
        dry.recreate = Recreate::Changed;
        let preview = runtime()
            .block_on(super::preview(&engine, &dry))
            .expect("plans");
        assert_eq!(
            crate::output::preview_text(&preview),
            "create web\n  pull the image first"
        );
        assert_eq!(
            *engine.calls.borrow(),
            ["observe", "image", "observe", "leftovers", "image"]
        );
    }
}
