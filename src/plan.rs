//! What exists, and what to do about it: `Observed` + `Plan`, and the pure `plan()` between them.
//!
//! `Observed` is dockrun's own picture of the engine (never bollard's models). `plan()` maps every
//! engine state to an action or to an error naming the state, with an exhaustive `match` and no
//! catch-all arm, so a new state cannot slip through unhandled. No I/O happens here.

use std::fmt;

/// The engine's state of a container (`State.Status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerState {
    /// Created, never started.
    Created,
    /// Running.
    Running,
    /// Paused (frozen).
    Paused,
    /// Being restarted by its restart policy.
    Restarting,
    /// Being removed.
    Removing,
    /// Stopped.
    Exited,
    /// Failed to stop or remove; needs manual attention.
    Dead,
}

impl fmt::Display for ContainerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ContainerState::Created => "created",
            ContainerState::Running => "running",
            ContainerState::Paused => "paused",
            ContainerState::Restarting => "restarting",
            ContainerState::Removing => "removing",
            ContainerState::Exited => "exited",
            ContainerState::Dead => "dead",
        })
    }
}

/// A container that exists under the requested name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Existing {
    /// Full container ID.
    pub id: String,
    /// Its state.
    pub state: ContainerState,
}

/// What the engine has under the requested name (matched exactly, never by prefix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observed {
    /// No container has this name.
    Missing,
    /// A container has exactly this name.
    Present(Existing),
}

/// What to do to make the spec true.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Pull if needed, create, start.
    Create,
    /// Start the stopped container.
    Start(String),
    /// Unpause the paused container.
    Unpause(String),
    /// It runs already: change nothing.
    Nothing(String),
    /// It is being removed: wait for that, then look again.
    AwaitRemoval(String),
}

/// The action taken, as reported to the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// A new container was created and started.
    Created,
    /// The existing container was started.
    Started,
    /// The existing container was unpaused.
    Unpaused,
    /// The container was already running.
    AlreadyRunning,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Created => "created",
            Action::Started => "started",
            Action::Unpaused => "unpaused",
            Action::AlreadyRunning => "already running",
        })
    }
}

/// A state dockrun will not act on by itself.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("container `{name}` is {state}: {advice}")]
pub struct PlanError {
    /// The container's name.
    pub name: String,
    /// Its state.
    pub state: ContainerState,
    /// What the user can do.
    pub advice: &'static str,
}

/// Decide what to do with what exists under `name`.
///
/// # Errors
/// A restarting or dead container: dockrun will not guess, it says what to do.
pub fn plan(name: &str, observed: &Observed) -> Result<Plan, PlanError> {
    let existing = match observed {
        Observed::Missing => return Ok(Plan::Create),
        Observed::Present(existing) => existing,
    };
    let id = existing.id.clone();
    match existing.state {
        ContainerState::Created | ContainerState::Exited => Ok(Plan::Start(id)),
        ContainerState::Running => Ok(Plan::Nothing(id)),
        ContainerState::Paused => Ok(Plan::Unpause(id)),
        ContainerState::Removing => Ok(Plan::AwaitRemoval(id)),
        ContainerState::Restarting => Err(PlanError {
            name: name.to_owned(),
            state: existing.state,
            advice: "its restart policy keeps restarting it; see `docker logs`, then `docker stop` it and launch again",
        }),
        ContainerState::Dead => Err(PlanError {
            name: name.to_owned(),
            state: existing.state,
            advice: "the engine could not stop or remove it; remove it with `docker rm -f` and launch again",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn present(state: ContainerState) -> Observed {
        Observed::Present(Existing {
            id: "abc".into(),
            state,
        })
    }

    #[test]
    fn every_state() {
        assert_eq!(plan("x", &Observed::Missing), Ok(Plan::Create));
        assert_eq!(
            plan("x", &present(ContainerState::Created)),
            Ok(Plan::Start("abc".into()))
        );
        assert_eq!(
            plan("x", &present(ContainerState::Exited)),
            Ok(Plan::Start("abc".into()))
        );
        assert_eq!(
            plan("x", &present(ContainerState::Running)),
            Ok(Plan::Nothing("abc".into()))
        );
        assert_eq!(
            plan("x", &present(ContainerState::Paused)),
            Ok(Plan::Unpause("abc".into()))
        );
        assert_eq!(
            plan("x", &present(ContainerState::Removing)),
            Ok(Plan::AwaitRemoval("abc".into()))
        );
        let err = plan("x", &present(ContainerState::Restarting)).expect_err("refused");
        assert!(err.to_string().contains("is restarting"), "{err}");
        let err = plan("x", &present(ContainerState::Dead)).expect_err("refused");
        assert!(
            err.to_string().contains("is dead") && err.to_string().contains("docker rm -f"),
            "{err}"
        );
    }
}
