//! Replacing a container (`--recreate`), as a transaction that no kill point, signal or bad
//! image can leave half-done without the next launch knowing how to finish or undo it.
//!
//! The steps, each one's undo, and what the engine shows if dockrun dies right after it:
//!
//! 1. stop the old container (unpause it first): undo = start it again; a stopped container under
//!    its name is an ordinary state for the next launch.
//! 2. rename it to `NAME-dockrun-old-<its ID>` (parked): undo = rename it back. From here until
//!    the commit the name is free, which is how the next launch knows to look for leftovers
//!    (`repair`); a no-op launch of a running container never has to.
//! 3. create the new one as `NAME-dockrun-new-<old ID>`, labelled `dockrun.replaces=<old ID>`,
//!    mounting the old one's anonymous volumes: undo = remove it with the anonymous volumes
//!    the engine made for it (`discard`; the old one's, mounted by name, are never removed).
//! 4. start it, 5. gate it (`gate`: healthy, or still running after the settle time): undo =
//!    print its logs' tail, remove it, put the old one back and start it.
//! 6. commit: remove the old one (keeping its volumes), then give the name to the new one.
//!
//! An undo starts the old container whatever state it was found in: a launch is there to make
//! the container run, and would have started a stopped one had there been no replacement (a
//! stopped container under its name is also what a launch killed after step 1 leaves: "it was
//! not running" cannot be told from "an interrupted replacement stopped it"). Only a signal
//! stopping a foreground launch leaves it stopped: the service is being stopped.
//!
//! The first SIGTERM/SIGINT (`shield`) makes a step that has not committed roll back and one
//! that has finish; then dockrun exits 128+N. In the foreground the container left under the
//! name is stopped (the service is being stopped); with `-d` it runs. A second signal
//! stops at once: the next launch repairs (`repair`, which proves a started replacement by the
//! same gate before it commits it). No bollard here.

use std::time::Duration;

use tracing::{debug, info, warn};

use crate::engine::{Engine, EngineError};
use crate::error::DockrunError;
use crate::spec::body::{CreateBody, HostConfig};
use crate::spec::ContainerSpec;
use crate::state::{
    parked_name, replacement_name, AnonymousVolume, ContainerState, Existing, Observed, NAME_LABEL,
    REPLACES_LABEL,
};

use super::gate::{self, Verdict};
use super::shield::{self, Shield};

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

/// What a replacement has done so far, so a failure can undo exactly that (a repair that
/// undoes an interrupted one builds it from what it finds).
pub(super) struct Undo<'a> {
    /// The service's name.
    pub name: &'a str,
    /// The old container's ID.
    pub old_id: &'a str,
    /// The old container's parked name, once renamed.
    pub parked: Option<String>,
    /// The new container (temporary name, ID), once created.
    pub new: Option<(String, String)>,
    /// Remove the new container's own anonymous volumes with it: it lived seconds and never
    /// was the service. A repair keeps them: the replacement it undoes may have run for long.
    pub discard_volumes: bool,
    /// Start the old container again when it is put back.
    pub restart: bool,
}

impl Undo<'_> {
    /// [`Undo::run`] under `shield`: in the foreground (not `detach`) a signal caught before
    /// or during it leaves the old container stopped (the service is being stopped). `Err`: a
    /// second signal stopped it at once.
    pub async fn run_under<E: Engine>(
        &mut self,
        engine: &E,
        shield: &mut Shield,
        detach: bool,
    ) -> Result<String, i32> {
        if shield.caught().is_some() && !detach {
            self.restart = false;
        }
        let mut outcome = shield::step(shield, self.run(engine)).await?;
        if self.restart && !detach && shield.caught().is_some() {
            // The signal came while it was being put back: stop it again.
            let stopped = shield::step(shield, engine.stop(self.name, self.old_id, None)).await?;
            if stopped.is_ok() {
                outcome.push_str(", then stopped (a signal came meanwhile)");
            }
        }
        Ok(outcome)
    }

    /// Remove the new container and put the old one back; what became of it, in words.
    pub async fn run<E: Engine>(&self, engine: &E) -> String {
        let name = self.name;
        let mut removed = String::new();
        if let Some((temp, id)) = &self.new {
            // With the volumes the engine made for it, when asked; the ones carried over by
            // name belong to the old container and always stay.
            let removal = if self.discard_volumes {
                engine.discard(temp, id).await
            } else {
                engine.remove(temp, id, true).await
            };
            match removal {
                Ok(()) => removed = "the new container was removed; ".to_owned(),
                Err(err) => {
                    warn!(container = %name, new = %temp, error = %err, "the new container could not be removed; remove it with `docker rm -f`");
                    removed = format!("the new container could not be removed (`{temp}`); ");
                }
            }
        }
        let mut back = Ok(());
        if let Some(parked) = &self.parked {
            back = engine.rename(parked, self.old_id, name).await;
        }
        if back.is_ok() && self.restart {
            back = engine.start(name, self.old_id).await;
        }
        match back {
            Ok(()) if self.restart => {
                format!("{removed}the old container is back under its name and running")
            }
            Ok(()) => format!("{removed}the old container is back under its name"),
            Err(err) => format!(
                "{removed}putting the old container back failed too ({}); it is kept as `{}`",
                crate::error::chain(&err),
                self.parked.as_deref().unwrap_or(name)
            ),
        }
    }
}

/// How a replacement is run.
#[derive(Clone, Copy, Debug)]
pub(super) struct Options {
    /// With `-d`: an interrupted replacement leaves the old container running; in the
    /// foreground, stopped (the service is being stopped).
    pub detach: bool,
    /// `--wait-timeout`: the gate's bound instead of the healthcheck's own; zero: no gate.
    pub wait_timeout: Option<Duration>,
}

/// Replace `old` with a new container from `spec` (already labelled); see the module comment.
///
/// `DockrunError::Engine` only while this launch has changed nothing it must undo (unpause,
/// stop, or a rename lost to another launch); after that, every failure is a
/// `DockrunError::Replace` saying what became of both containers, and a signal a
/// `DockrunError::Interrupted`.
pub(super) async fn replace<E: Engine>(
    engine: &E,
    spec: &ContainerSpec,
    old: &Existing,
    options: Options,
) -> Result<String, DockrunError> {
    let name = spec.name.as_str();
    let mut shield = Shield::raise();
    if let Some(signal) = shield.caught() {
        // Caught before this transaction began (an update run's, between containers).
        return Err(DockrunError::Interrupted {
            name: name.to_owned(),
            signal,
            outcome: "nothing was changed".to_owned(),
        });
    }
    let was_up = old.state.is_up();
    let mut undo = Undo {
        name,
        old_id: &old.id,
        parked: None,
        new: None,
        discard_volumes: true,
        restart: true,
    };
    // A second signal stops at once, whatever the step.
    let killed = |signal: i32| stopped_by_second_signal(name, signal);
    macro_rules! step {
        ($work:expr) => {
            shield::step(&mut shield, $work).await.map_err(killed)?
        };
    }

    if old.state == ContainerState::Paused {
        step!(engine.unpause(name, &old.id))?;
    }
    if was_up {
        info!(container = %name, "stopping the old container");
        step!(engine.stop(name, &old.id, None))?;
    }
    if shield.caught().is_some() {
        // Nothing is renamed yet: the undo is at most a start.
        return Err(fail(engine, &mut shield, &mut undo, options, None).await);
    }
    let parked = parked_name(name, &old.id);
    if let Err(cause) = step!(engine.rename(name, &old.id, &parked)) {
        // Another launch (on another machine: this one's hold the lock) renamed it first: the
        // name is no longer this container's. Observe again, as after any lost race.
        let now = step!(engine.observe(name))?;
        if !matches!(&now, Observed::Present(e) if e.id == old.id) {
            debug!("the old container was renamed by someone else; observing again");
            return Err(DockrunError::Engine(EngineError::NameConflict {
                name: name.to_owned(),
            }));
        }
        return Err(fail(engine, &mut shield, &mut undo, options, Some(cause.into())).await);
    }
    undo.parked = Some(parked);
    if shield.caught().is_some() {
        return Err(fail(engine, &mut shield, &mut undo, options, None).await);
    }

    let temp = replacement_name(name, &old.id);
    let mut body = carry_volumes(&spec.body, &old.anonymous_volumes);
    let labels = body.labels.get_or_insert_with(Default::default);
    labels.insert(NAME_LABEL.to_owned(), name.to_owned());
    labels.insert(REPLACES_LABEL.to_owned(), old.id.clone());
    let new_spec = ContainerSpec {
        name: temp.clone(),
        body,
        ..spec.clone()
    };
    let id = match step!(engine.create(&new_spec)) {
        Ok(id) => id,
        Err(cause) => {
            return Err(fail(engine, &mut shield, &mut undo, options, Some(cause.into())).await)
        }
    };
    undo.new = Some((temp.clone(), id.clone()));
    if shield.caught().is_some() {
        return Err(fail(engine, &mut shield, &mut undo, options, None).await);
    }
    if let Err(cause) = step!(engine.start(&temp, &id)) {
        let cause = rename_start_error(cause, name);
        return Err(fail(engine, &mut shield, &mut undo, options, Some(cause.into())).await);
    }

    if options.wait_timeout != Some(Duration::ZERO) {
        info!(container = %name, new = %temp, "the new container runs; waiting for it to prove itself");
        let verdict = gate::watch(
            engine,
            &temp,
            &id,
            options.wait_timeout,
            gate::Since::Started,
            Some(&mut shield),
        )
        .await;
        match verdict {
            Ok(Verdict::Passed) => {}
            Ok(Verdict::Interrupted(signal)) if shield.count() >= 2 => return Err(killed(signal)),
            Ok(Verdict::Interrupted(_)) => {
                return Err(fail(engine, &mut shield, &mut undo, options, None).await)
            }
            Ok(Verdict::Failed(failure)) => {
                warn!(container = %name, new = %temp, "the new container did not come up: {failure}");
                step!(gate::log_tail(engine, &temp, &id, &temp));
                let cause = DockrunError::Gate {
                    name: name.to_owned(),
                    failure,
                };
                return Err(fail(engine, &mut shield, &mut undo, options, Some(cause)).await);
            }
            Err(cause) => {
                return Err(fail(engine, &mut shield, &mut undo, options, Some(cause.into())).await)
            }
        }
    }

    // Commit: past this point the replacement is finished, whatever happens.
    step!(remove_old(
        engine,
        name,
        undo.parked.as_deref().unwrap_or(name),
        &old.id
    ));
    if let Err(cause) = step!(engine.rename(&temp, &id, name)) {
        return Err(DockrunError::Replace {
            name: name.to_owned(),
            outcome: format!("the old container was removed; the new one runs as `{temp}` but could not take the name"),
            source: Box::new(cause.into()),
        });
    }
    if let Some(signal) = shield.caught() {
        let mut outcome = "the replacement was complete: the new container has the name".to_owned();
        if !options.detach {
            // The service is being stopped: stop what now runs under its name.
            step!(engine.stop(name, &id, None))?;
            outcome.push_str(" and is stopped");
        }
        return Err(DockrunError::Interrupted {
            name: name.to_owned(),
            signal,
            outcome,
        });
    }
    Ok(id)
}

/// The new container's start failure under the service's name (not its temporary one).
fn rename_start_error(cause: EngineError, name: &str) -> EngineError {
    match cause {
        EngineError::Start {
            failure, source, ..
        } => EngineError::Start {
            name: name.to_owned(),
            failure,
            source,
        },
        other => other,
    }
}

/// A second signal stopped the replacement of `name` (or its undo) at once, wherever it was.
fn stopped_by_second_signal(name: &str, signal: i32) -> DockrunError {
    DockrunError::Interrupted {
        name: name.to_owned(),
        signal,
        outcome: "stopped half-way by a second signal; the next launch finishes or undoes the replacement".to_owned(),
    }
}

/// Undo what the replacement did, then the error: the cause (or the signal) and what became
/// of both containers. A second signal during the undo stops it at once.
async fn fail<E: Engine>(
    engine: &E,
    shield: &mut Shield,
    undo: &mut Undo<'_>,
    options: Options,
    cause: Option<DockrunError>,
) -> DockrunError {
    let signal = shield.caught();
    let outcome = match undo.run_under(engine, shield, options.detach).await {
        Ok(outcome) => outcome,
        Err(second) => return stopped_by_second_signal(undo.name, second),
    };
    match (cause, signal) {
        (Some(cause), _) => DockrunError::Replace {
            name: undo.name.to_owned(),
            outcome,
            source: Box::new(cause),
        },
        (None, signal) => DockrunError::Interrupted {
            name: undo.name.to_owned(),
            signal: signal.unwrap_or(shield::SIGTERM),
            outcome,
        },
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::{Normalised, Record};
    use crate::engine::{Health, RunInfo};
    use crate::ensure::Ensured;
    use crate::exit::Exit;
    use crate::plan::Action;
    use crate::scripted::{present, run, running, spec, with_healthcheck, Scripted, IMAGE_ID};

    /// The calls of a replacement of the running `old` up to the new one's start.
    const UP_TO_START: [&str; 6] = [
        "observe",
        "image",
        "stop old",
        "rename old web-dockrun-old-old",
        "create web-dockrun-new-old",
        "start new",
    ];

    /// The calls of a rollback after the new one was created: it goes, the old one comes back.
    const ROLLBACK: [&str; 3] = ["discard new", "rename old web", "start old"];

    fn calls(engine: &Scripted) -> Vec<String> {
        engine.calls.borrow().clone()
    }

    fn replaced(engine: &Scripted, extra: &[&str]) -> Result<Ensured, DockrunError> {
        engine
            .observed
            .borrow_mut()
            .push_back(present(ContainerState::Running));
        let mut argv = vec!["--recreate", "always"];
        argv.extend_from_slice(extra);
        run(engine, &spec(&argv))
    }

    #[test]
    fn replacement_parks_creates_aside_gates_then_commits() {
        let engine = Scripted::default();
        engine
            .observed
            .borrow_mut()
            .push_back(present(ContainerState::Running));
        engine.runs.borrow_mut().extend(vec![running(); 20]);
        let ensured = run(&engine, &spec(&["--recreate", "changed", "-e", "A=2"])).expect("ok");
        assert_eq!(
            ensured,
            Ensured {
                id: "new".into(),
                action: Action::Recreated
            }
        );
        let calls = calls(&engine);
        assert_eq!(calls[..6], UP_TO_START);
        // Still running after the settle time (polled), then the commit.
        let polls = calls[6..calls.len() - 2].iter().collect::<Vec<_>>();
        assert!(
            polls.len() >= 2 && polls.iter().all(|c| *c == "inspect new"),
            "{calls:?}"
        );
        assert_eq!(calls[calls.len() - 2..], ["remove old", "rename new web"]);
        let created = engine.created.borrow();
        let body = &created[0].body;
        assert_eq!(
            body.host_config.as_ref().and_then(|h| h.binds.clone()),
            Some(vec!["vol0:/anon".to_owned()])
        );
        let labels = body.labels.as_ref().expect("labels");
        assert_eq!(labels[NAME_LABEL], "web");
        assert_eq!(labels[REPLACES_LABEL], "old");
    }

    #[test]
    fn a_healthy_new_container_commits_once_healthy() {
        let engine = Scripted::default();
        engine.runs.borrow_mut().extend([
            with_healthcheck(Health::Starting),
            with_healthcheck(Health::Healthy),
        ]);
        replaced(&engine, &[]).expect("ok");
        assert_eq!(
            calls(&engine)[6..],
            ["inspect new", "inspect new", "remove old", "rename new web"]
        );
    }

    #[test]
    fn a_new_command_that_is_not_found_rolls_back_and_exits_127() {
        let engine = Scripted::default();
        engine.failing_starts.borrow_mut().push("new".into());
        let err = replaced(&engine, &[]).expect_err("fails");
        assert_eq!(err.exit(), Exit::CommandNotFound);
        let text = crate::error::report(&err);
        assert!(
            text.contains("the new container was removed; the old container is back under its name and running")
                && text.contains("failed to start container `web`")
                && text.contains("no such file or directory"),
            "{text}"
        );
        assert_eq!(calls(&engine)[6..], ROLLBACK);
    }

    #[test]
    fn a_new_container_that_does_not_come_up_is_rolled_back_after_its_logs() {
        let exited = RunInfo {
            running: false,
            exit_code: 3,
            ..running()
        };
        let restarted = RunInfo {
            restart_count: 1,
            ..running()
        };
        let cases = [
            (vec![running(), exited], "it exited with code 3"),
            (
                vec![restarted],
                "it crashed and its restart policy restarted it",
            ),
            (
                vec![
                    with_healthcheck(Health::Starting),
                    with_healthcheck(Health::Unhealthy),
                ],
                "its healthcheck reported unhealthy",
            ),
            (
                vec![with_healthcheck(Health::Starting); 100],
                "it was not healthy within 1s",
            ),
        ];
        for (runs, why) in cases {
            let engine = Scripted::default();
            engine.runs.borrow_mut().extend(runs);
            let limit: &[&str] = if why.contains("within") {
                &["--wait-timeout", "1s"]
            } else {
                &[]
            };
            let err = replaced(&engine, limit).expect_err("rolled back");
            assert_eq!(err.exit(), Exit::Failure);
            let text = crate::error::report(&err);
            assert!(
                text.contains("failed to replace container `web` (the new container was removed; the old container is back under its name and running)")
                    && text.contains(&format!("container `web` did not come up: {why}")),
                "{text}"
            );
            let calls = calls(&engine);
            let logs = calls
                .iter()
                .position(|c| c == "logs new")
                .expect("logs shown");
            assert_eq!(calls[logs + 1..], ROLLBACK, "{why}");
        }
    }

    #[test]
    fn wait_timeout_zero_commits_once_started() {
        let engine = Scripted::default();
        replaced(&engine, &["--wait-timeout", "0"]).expect("ok");
        assert_eq!(calls(&engine)[6..], ["remove old", "rename new web"]);
    }

    /// A replacement of the running `old` with `argv` whose park (the rename aside) fails once;
    /// the engine then shows `after`. Its result, and its calls after the failed rename.
    fn park_fails(
        after: &[Observed],
        argv: &[&str],
    ) -> (Result<Ensured, DockrunError>, Vec<String>) {
        let engine = Scripted::default();
        let mut observed = engine.observed.borrow_mut();
        observed.push_back(present(ContainerState::Running));
        observed.extend(after.iter().cloned());
        drop(observed);
        *engine.failing_renames.borrow_mut() = 1;
        let result = run(&engine, &spec(argv));
        let calls = calls(&engine);
        assert_eq!(
            calls[..4],
            UP_TO_START[..4],
            "parked (and the rename failed)"
        );
        (result, calls[4..].to_vec())
    }

    #[test]
    fn a_rename_lost_to_another_launch_is_a_race() {
        // What the other launch made: the new spec, recorded.
        let mut replacement = present(ContainerState::Running);
        if let Observed::Present(e) = &mut replacement {
            let recorded = Normalised::from_body(&spec(&["-e", "A=2"]).body);
            e.id = "theirs".into();
            e.record = Record::Labelled {
                hash: recorded.hash(IMAGE_ID),
                spec: Some(recorded.to_label()),
                format: crate::drift::FORMAT,
            };
        }
        // After the failed rename: the other launch's container.
        let (result, after) = park_fails(
            &[replacement.clone(), replacement],
            &["--recreate", "changed", "-e", "A=2"],
        );
        let ensured = result.expect("ok");
        assert_eq!(
            ensured.id, "theirs",
            "the other launch's container is adopted"
        );
        assert_eq!(after, ["observe", "observe"]);
    }

    #[test]
    fn a_failed_rename_of_our_own_restarts_the_old_container() {
        let (result, after) = park_fails(
            &[present(ContainerState::Running)], // still ours under its name
            &["--recreate", "always"],
        );
        let text = crate::error::report(&result.expect_err("fails"));
        assert!(text.contains("back under its name and running"), "{text}");
        assert_eq!(after, ["observe", "start old"]);
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
