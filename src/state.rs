//! What the engine has: `Observed`, `Existing`, `ContainerState`, and the rules dockrun applies
//! to each engine state, as methods (youki's `ContainerStatus::can_start()` style). One place to
//! read what dockrun does with a created, running, paused, restarting, removing, exited or dead
//! container.
//!
//! This is dockrun's own picture of the engine: the engine module fills it from bollard's models
//! and every later stage (plan, ensure, cidfile) reads it. It does no I/O and decides no plan.

use std::fmt;

use crate::drift::Record;

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

impl ContainerState {
    /// `docker start` brings it up as it is: it was created and never started, or it stopped.
    #[must_use]
    pub fn can_start(self) -> bool {
        match self {
            ContainerState::Created | ContainerState::Exited => true,
            ContainerState::Running
            | ContainerState::Paused
            | ContainerState::Restarting
            | ContainerState::Removing
            | ContainerState::Dead => false,
        }
    }

    /// A process may be alive in it (running, frozen, or about to be restarted): replacing it
    /// stops it first, and putting it back starts it again.
    #[must_use]
    pub fn is_up(self) -> bool {
        match self {
            ContainerState::Running | ContainerState::Paused | ContainerState::Restarting => true,
            ContainerState::Created
            | ContainerState::Exited
            | ContainerState::Removing
            | ContainerState::Dead => false,
        }
    }

    /// dockrun may replace it, so it is worth comparing with the command line. Not one being
    /// removed (it is awaited) nor a dead one (the engine could not stop it, so it cannot be
    /// replaced safely).
    #[must_use]
    pub fn can_replace(self) -> bool {
        match self {
            ContainerState::Created
            | ContainerState::Running
            | ContainerState::Paused
            | ContainerState::Restarting
            | ContainerState::Exited => true,
            ContainerState::Removing | ContainerState::Dead => false,
        }
    }
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

/// An anonymous volume mounted in an existing container (one it got from `-v /path` or from its
/// image's `VOLUME`, not a named volume or a bind), carried over when it is replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnonymousVolume {
    /// The volume's name (a 64-hex-digit ID the engine made up).
    pub name: String,
    /// Where it is mounted in the container.
    pub destination: String,
    /// Mounted writable.
    pub writable: bool,
}

/// A container that exists under the requested name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Existing {
    /// Full container ID.
    pub id: String,
    /// Its state.
    pub state: ContainerState,
    /// The ID of the image it was created from (`Image` in its inspect data).
    pub image_id: String,
    /// What it says about how it was made: dockrun's labels, or its inspect data.
    pub record: Record,
    /// Its anonymous volumes.
    pub anonymous_volumes: Vec<AnonymousVolume>,
    /// Created with `--rm`: stopping it deletes it (and its anonymous volumes).
    pub auto_remove: bool,
}

/// What the engine has under the requested name (matched exactly, never by prefix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observed {
    /// No container has this name.
    Missing,
    /// A container has exactly this name.
    Present(Existing),
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [ContainerState; 7] = [
        ContainerState::Created,
        ContainerState::Running,
        ContainerState::Paused,
        ContainerState::Restarting,
        ContainerState::Removing,
        ContainerState::Exited,
        ContainerState::Dead,
    ];

    #[test]
    fn each_state_has_its_rules() {
        let table: Vec<(String, bool, bool, bool)> = ALL
            .iter()
            .map(|s| (s.to_string(), s.can_start(), s.is_up(), s.can_replace()))
            .collect();
        let expected = [
            ("created", true, false, true),
            ("running", false, true, true),
            ("paused", false, true, true),
            ("restarting", false, true, true),
            ("removing", false, false, false),
            ("exited", true, false, true),
            ("dead", false, false, false),
        ]
        .map(|(s, a, b, c)| (s.to_owned(), a, b, c));
        assert_eq!(table, expected);
    }
}
