//! Replacing a container (`--recreate`): the old one stopped gracefully and kept aside under
//! another name until the new one, which mounts its anonymous volumes, has started; only then is
//! it removed, without its volumes. If the new one cannot be created or started, it is removed
//! and the old one is put back under its name (and started if it was running).
//!
//! This file owns the steps of a replacement and how each failure is undone; the loop around it
//! (`ensure`) decides when to replace and retries lost races. No bollard here.

use std::time::Duration;

use tracing::{debug, info, warn};

use crate::engine::{Engine, EngineError};
use crate::error::DockrunError;
use crate::spec::body::{CreateBody, HostConfig};
use crate::spec::ContainerSpec;
use crate::state::{AnonymousVolume, ContainerState, Existing, Observed};

use super::FIRST_BACKOFF;

/// How long to wait for another launch's replacement to take the name it freed.
const OTHER_REPLACEMENT_LIMIT: Duration = Duration::from_secs(10);

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

/// Replace `old` with a new container from `spec` (already labelled); see the module comment.
///
/// `DockrunError::Engine` only while this launch has changed nothing it must undo (unpause,
/// stop, or a rename lost to another launch); once the old container has been renamed, every
/// failure is a `DockrunError::Replace` saying what became of it.
pub(super) async fn replace<E: Engine>(
    engine: &E,
    spec: &ContainerSpec,
    old: &Existing,
) -> Result<String, DockrunError> {
    let name = spec.name.as_str();
    let was_running = old.state.is_up();
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
    use crate::drift::{Normalised, Record};
    use crate::ensure::Ensured;
    use crate::plan::Action;
    use crate::scripted::{present, run, spec, Scripted, IMAGE_ID};

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
                format: crate::drift::FORMAT,
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
