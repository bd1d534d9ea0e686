//! Carrying out a `plan::Repair`: finishing or undoing a replacement that an earlier launch
//! left half-done (it was killed, or stopped by a second signal). `plan::repair` decides; this
//! file makes the engine calls, each of which leaves a state the next launch can repair again
//! if this one dies too. A started replacement whose old container is still parked never
//! passed its gate: it passes it now (`gate`, as the replacement would have) before it is
//! committed, and is undone otherwise (keeping its own volumes: it may have run for long), so
//! an unhealthy image never wins by a kill (`--wait-timeout 0`, no gate, commits it as the
//! replacement would have). Afterwards the loop looks again and plans as a fresh launch.

use tracing::{info, warn};

use crate::engine::{Engine, EngineError};
use crate::error::DockrunError;
use crate::plan::Repair;
use crate::state::{ContainerState, Leftover};

use super::gate::{self, Verdict};
use super::replace::{Options, Undo};
use super::shield::{self, Shield};

/// Do the repair for `name`; `options` are the launch's (the gate's bound, `-d` or not).
///
/// # Errors
/// An engine failure (a name taken meanwhile is a `NameConflict`, a lost race like any other),
/// or a signal: a first one lets a proof under way roll back, a second one stops at once.
pub(super) async fn repair<E: Engine>(
    engine: &E,
    name: &str,
    repair: &Repair,
    options: Options,
) -> Result<(), DockrunError> {
    let mut shield = Shield::raise();
    let killed = |signal| second_signal(name, signal);
    // The container committed under the name, if this repair committed one.
    let mut committed = None;
    match repair {
        Repair::PutBack { old, discard } => {
            for new in discard {
                info!(container = %name, new = %new.name, "removing a replacement that never ran");
                shield::step(&mut shield, engine.discard(&new.name, &new.id))
                    .await
                    .map_err(killed)??;
            }
            info!(container = %name, old = %old.name, "putting the parked container back under its name");
            shield::step(&mut shield, rename(engine, &old.name, &old.id, name))
                .await
                .map_err(killed)??;
        }
        Repair::Prove { new, old } => {
            if prove(engine, name, new, old, options, &mut shield).await? {
                commit(engine, name, new, Some(old), &mut shield).await?;
                committed = Some(new);
            }
        }
        Repair::Finish { new } => {
            commit(engine, name, new, None, &mut shield).await?;
            committed = Some(new);
        }
    }
    if let Some(signal) = shield.caught() {
        let mut outcome = "the interrupted replacement left before was repaired first".to_owned();
        if let (Some(new), false) = (committed, options.detach) {
            // The service is being stopped: stop what now runs under its name, as a
            // replacement's commit does.
            shield::step(&mut shield, engine.stop(name, &new.id, None))
                .await
                .map_err(killed)??;
            outcome.push_str("; the container now under the name is stopped");
        }
        return Err(DockrunError::Interrupted {
            name: name.to_owned(),
            signal,
            outcome,
        });
    }
    Ok(())
}

/// A second signal stopped the repair of `name` at once.
fn second_signal(name: &str, signal: i32) -> DockrunError {
    DockrunError::Interrupted {
        name: name.to_owned(),
        signal,
        outcome: "stopped half-way through repairing it by a second signal; the next launch repairs it again".to_owned(),
    }
}

/// Let a started replacement prove itself, as its launch would have before committing it.
/// `Ok(true)`: it is up, commit it. `Ok(false)`: it is not, and it was undone (the old one is
/// back under its name, started); the launch plans again. A first signal undoes it too (in
/// the foreground the old one is left stopped) and is the error.
async fn prove<E: Engine>(
    engine: &E,
    name: &str,
    new: &Leftover,
    old: &Leftover,
    options: Options,
    shield: &mut Shield,
) -> Result<bool, DockrunError> {
    if options.wait_timeout == Some(std::time::Duration::ZERO) {
        return Ok(true);
    }
    info!(container = %name, new = %new.name, "an interrupted replacement left its new container started but never proven; watching it now");
    let verdict = gate::watch(
        engine,
        &new.name,
        &new.id,
        options.wait_timeout,
        gate::Since::Left,
        Some(shield),
    )
    .await?;
    let mut undo = Undo {
        name,
        old_id: &old.id,
        parked: Some(old.name.clone()),
        new: Some((new.name.clone(), new.id.clone())),
        discard_volumes: false,
        restart: true,
    };
    let signal = match verdict {
        Verdict::Passed => return Ok(true),
        Verdict::Interrupted(signal) if shield.count() >= 2 => {
            return Err(second_signal(name, signal))
        }
        Verdict::Interrupted(signal) => Some(signal),
        Verdict::Failed(failure) => {
            warn!(container = %name, new = %new.name, "the interrupted replacement's new container is not up: {failure}");
            shield::step(
                shield,
                gate::log_tail(engine, &new.name, &new.id, &new.name),
            )
            .await
            .map_err(|s| second_signal(name, s))?;
            None
        }
    };
    let outcome = undo
        .run_under(engine, shield, options.detach)
        .await
        .map_err(|s| second_signal(name, s))?;
    if let Some(signal) = signal {
        return Err(DockrunError::Interrupted {
            name: name.to_owned(),
            signal,
            outcome,
        });
    }
    warn!(container = %name, "rolled back: {outcome}");
    Ok(false)
}

/// The commit an interrupted replacement did not finish: remove the old container (if still
/// parked), keeping its volumes, and give the name to the new one.
async fn commit<E: Engine>(
    engine: &E,
    name: &str,
    new: &Leftover,
    old: Option<&Leftover>,
    shield: &mut Shield,
) -> Result<(), DockrunError> {
    let killed = |signal| second_signal(name, signal);
    if let Some(old) = old {
        info!(container = %name, old = %old.name, "removing the replaced container, keeping its volumes");
        if old.state.is_up() {
            // Someone started it meanwhile: stop it gracefully first.
            shield::step(shield, engine.stop(&old.name, &old.id, None))
                .await
                .map_err(killed)??;
        }
        shield::step(shield, engine.remove(&old.name, &old.id, false))
            .await
            .map_err(killed)??;
    }
    info!(container = %name, new = %new.name, "the replacement takes the name");
    shield::step(shield, rename(engine, &new.name, &new.id, name))
        .await
        .map_err(killed)??;
    if new.state == ContainerState::Created {
        warn!(container = %name, "the replacement never ran; it is started as the container now under the name");
    }
    Ok(())
}

/// Rename `id` (known as `from`) to `name`; a conflict means another launch took the name.
async fn rename<E: Engine>(
    engine: &E,
    from: &str,
    id: &str,
    name: &str,
) -> Result<(), EngineError> {
    engine
        .rename(from, id, name)
        .await
        .map_err(|err| match &err {
            EngineError::Rename { source, .. } if source.status == Some(409) => {
                EngineError::NameConflict {
                    name: name.to_owned(),
                }
            }
            _ => err,
        })
}
