//! What the engine has: `Observed`, `Existing`, `ContainerState`, and the rules dockrun applies
//! to each engine state, as methods (youki's `ContainerStatus::can_start()` style). One place to
//! read what dockrun does with a created, running, paused, restarting, removing, exited or dead
//! container.
//!
//! This is dockrun's own picture of the engine: the engine module fills it from bollard's models
//! and every later stage (plan, ensure, cidfile) reads it. It does no I/O and decides no plan.

use std::collections::BTreeMap;
use std::fmt;

use crate::drift::Record;

/// The label every container dockrun creates carries: the name it was created for.
pub const NAME_LABEL: &str = "dockrun.name";

/// The label of a replacement: the ID of the container it replaces.
pub const REPLACES_LABEL: &str = "dockrun.replaces";

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

/// A container a replacement of `NAME` left, found by [`Leftover::role`]: the old one parked
/// aside, or the new one still proving itself under its temporary name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leftover {
    /// Full container ID.
    pub id: String,
    /// Its name (without the engine's leading `/`).
    pub name: String,
    /// Its state.
    pub state: ContainerState,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
}

/// What a [`Leftover`] is to the replacement of a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// The old container, parked under `NAME-dockrun-old-<its own ID prefix>`.
    Parked,
    /// The new container, under `NAME-dockrun-new-<the old one's ID prefix>` until the
    /// replacement commits; `replaces` is the old one's full ID.
    Replacement {
        /// The full ID of the container it replaces.
        replaces: String,
    },
}

/// How many hex digits of an ID a parked or replacement name carries (docker's short ID).
const SHORT_ID: usize = 12;

/// The name the old container waits under while its replacement proves itself.
#[must_use]
pub fn parked_name(name: &str, old_id: &str) -> String {
    format!("{name}-dockrun-old-{}", short(old_id))
}

/// The name the new container runs under until the replacement commits.
#[must_use]
pub fn replacement_name(name: &str, old_id: &str) -> String {
    format!("{name}-dockrun-new-{}", short(old_id))
}

fn short(id: &str) -> &str {
    id.get(..SHORT_ID).unwrap_or(id)
}

impl Leftover {
    /// What this container is to a replacement of `name`, if anything. A look-alike name is
    /// never enough: a parked container's name carries its *own* ID (which nobody picks by
    /// accident), and when it has dockrun's name label that label must name `name`; a
    /// replacement must be labelled for `name`, and its name must carry the ID its label says
    /// it replaces.
    #[must_use]
    pub fn role(&self, name: &str) -> Option<Role> {
        let labelled = self.labels.get(NAME_LABEL);
        if labelled.is_some_and(|l| l != name) {
            return None;
        }
        if self.name == parked_name(name, &self.id) && self.id.len() > SHORT_ID {
            return Some(Role::Parked);
        }
        let replaces = self.labels.get(REPLACES_LABEL)?;
        (labelled.is_some()
            && replaces.len() > SHORT_ID
            && self.name == replacement_name(name, replaces))
        .then(|| Role::Replacement {
            replaces: replaces.clone(),
        })
    }
}

/// The leftovers of an interrupted replacement of `web` (old container [`OLD`](fixtures::OLD),
/// new one [`NEW`](fixtures::NEW)), for the unit tests of `plan` and `ensure`.
#[cfg(test)]
pub mod fixtures {
    use super::{parked_name, replacement_name, ContainerState, Leftover};
    use super::{NAME_LABEL, REPLACES_LABEL};

    /// The old container's ID.
    pub const OLD: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// The new container's ID.
    pub const NEW: &str = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

    /// The old container, parked aside.
    pub fn parked(state: ContainerState) -> Leftover {
        Leftover {
            id: OLD.into(),
            name: parked_name("web", OLD),
            state,
            labels: [(NAME_LABEL.to_owned(), "web".to_owned())].into(),
        }
    }

    /// The new container, under its temporary name, labelled as replacing [`OLD`].
    pub fn replacement(state: ContainerState) -> Leftover {
        Leftover {
            id: NEW.into(),
            name: replacement_name("web", OLD),
            state,
            labels: [
                (NAME_LABEL.to_owned(), "web".to_owned()),
                (REPLACES_LABEL.to_owned(), OLD.to_owned()),
            ]
            .into(),
        }
    }
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

    const OLD: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const NEW: &str = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

    fn leftover(id: &str, name: &str, labels: &[(&str, &str)]) -> Leftover {
        Leftover {
            id: id.into(),
            name: name.into(),
            state: ContainerState::Exited,
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn leftovers_are_recognised_by_label_and_id_never_by_a_look_alike_name() {
        let parked = parked_name("web", OLD);
        assert_eq!(parked, "web-dockrun-old-0123456789ab");
        assert_eq!(leftover(OLD, &parked, &[]).role("web"), Some(Role::Parked));
        assert_eq!(
            leftover(OLD, &parked, &[(NAME_LABEL, "web")]).role("web"),
            Some(Role::Parked)
        );
        // A user's container under a look-alike name: its own ID is not in it.
        assert_eq!(leftover(NEW, &parked, &[]).role("web"), None);
        // Labelled for another name.
        assert_eq!(
            leftover(OLD, &parked, &[(NAME_LABEL, "api")]).role("web"),
            None
        );

        let new = replacement_name("web", OLD);
        assert_eq!(new, "web-dockrun-new-0123456789ab");
        let labels = [(NAME_LABEL, "web"), (REPLACES_LABEL, OLD)];
        assert_eq!(
            leftover(NEW, &new, &labels).role("web"),
            Some(Role::Replacement {
                replaces: OLD.into()
            })
        );
        // Without dockrun's labels, or replacing another container, it is not one.
        assert_eq!(leftover(NEW, &new, &[]).role("web"), None);
        assert_eq!(
            leftover(NEW, &new, &[(NAME_LABEL, "web"), (REPLACES_LABEL, NEW)]).role("web"),
            None
        );
        assert_eq!(leftover(NEW, &new, &labels).role("we"), None);
    }
}
