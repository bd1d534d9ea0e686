//! Carrying out a `plan::Repair`: finishing or undoing a replacement that an earlier launch
//! left half-done (it was killed, or stopped by a second signal). `plan::repair` decides; this
//! file only makes the engine calls, each of which leaves a state the next launch can repair
//! again if this one dies too. Afterwards the loop looks again and plans as a fresh launch.

use tracing::{info, warn};

use crate::engine::{Engine, EngineError};
use crate::error::DockrunError;
use crate::plan::Repair;
use crate::state::ContainerState;

use super::shield::{self, Shield};

/// Do the repair for `name`.
///
/// # Errors
/// An engine failure (a name taken meanwhile is a `NameConflict`, a lost race like any other),
/// or a second signal.
pub(super) async fn repair<E: Engine>(
    engine: &E,
    name: &str,
    repair: &Repair,
) -> Result<(), DockrunError> {
    let mut shield = Shield::raise();
    let killed = |signal| {
        DockrunError::Interrupted {
        name: name.to_owned(),
        signal,
        outcome: "stopped half-way through repairing it by a second signal; the next launch repairs it again".to_owned(),
    }
    };
    match repair {
        Repair::PutBack { old, discard } => {
            for new in discard {
                info!(container = %name, new = %new.name, "removing a replacement that never ran");
                shield::step(&mut shield, engine.remove(&new.name, &new.id, true))
                    .await
                    .map_err(killed)??;
            }
            info!(container = %name, old = %old.name, "putting the parked container back under its name");
            shield::step(&mut shield, rename(engine, &old.name, &old.id, name))
                .await
                .map_err(killed)??;
        }
        Repair::Finish { new, old } => {
            if let Some(old) = old {
                info!(container = %name, old = %old.name, "removing the replaced container, keeping its volumes");
                if old.state.is_up() {
                    // Someone started it meanwhile: stop it gracefully first.
                    shield::step(&mut shield, engine.stop(&old.name, &old.id, None))
                        .await
                        .map_err(killed)??;
                }
                shield::step(&mut shield, engine.remove(&old.name, &old.id, false))
                    .await
                    .map_err(killed)??;
            }
            info!(container = %name, new = %new.name, "the replacement takes the name");
            shield::step(&mut shield, rename(engine, &new.name, &new.id, name))
                .await
                .map_err(killed)??;
            if new.state == ContainerState::Created {
                warn!(container = %name, "the replacement never ran; it is started as the container now under the name");
            }
        }
    }
    if let Some(signal) = shield.caught() {
        return Err(DockrunError::Interrupted {
            name: name.to_owned(),
            signal,
            outcome: "the interrupted replacement left before was repaired first".to_owned(),
        });
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
