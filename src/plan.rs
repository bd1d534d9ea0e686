//! What to do about what exists: `Plan`, and the pure `plan()` from `state::Observed` to it.
//!
//! `plan()` maps every engine state to an action or to an error naming the state, with an
//! exhaustive `match` and no catch-all arm, so a new state cannot slip through unhandled; the
//! rules of each state are `state::ContainerState`'s methods. No I/O happens here.

use std::fmt;

use crate::cli::Recreate;
use crate::drift::{self, Drift, Normalised};
use crate::state::{ContainerState, Existing, Leftover, Observed, Role};

/// What an existing container is compared with: the command line's normalised spec, the ID its
/// image reference resolves to now (when resolved), and the `--recreate` policy.
#[derive(Clone, Copy, Debug)]
pub struct Desired<'a> {
    /// The normalised spec of the command line.
    pub spec: &'a Normalised,
    /// The image ID the reference resolves to now, when it was looked up.
    pub image_id: Option<&'a str>,
    /// `--recreate`.
    pub policy: Recreate,
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
    /// Replace it: stop it, keep it aside, create and start the new one with its anonymous
    /// volumes, then remove it.
    Recreate(Box<Existing>),
    /// Finish or undo a replacement another launch left half-done, then look again.
    Repair(Repair),
}

/// How to finish or undo an interrupted replacement of a name that is missing (see
/// [`repair`]). After it, the name holds one container and nothing is left aside.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Repair {
    /// The new container never ran: remove it (if it was created) and put the old one back
    /// under its name; the launch then decides as it would have.
    PutBack {
        /// The parked old container.
        old: Leftover,
        /// Replacements of it that never started.
        discard: Vec<Leftover>,
    },
    /// The new container was started but the replacement never committed (the old one is
    /// still parked): the new one proves itself first, by the gate a replacement passes
    /// (healthy, or settled). Up: remove the parked old one, keeping its volumes (the new one
    /// mounts them), and give the name to the new one. Not up: its logs' tail, remove it, put
    /// the old one back under its name and start it; the launch then decides as it would have.
    Prove {
        /// The replacement.
        new: Leftover,
        /// The parked old container it replaces.
        old: Leftover,
    },
    /// The commit had begun (the old container is gone): the new one, all that is left,
    /// takes the name.
    Finish {
        /// The replacement.
        new: Leftover,
    },
}

impl Plan {
    /// The one word a dry run prints for this plan.
    #[must_use]
    pub fn verb(&self) -> &'static str {
        match self {
            Plan::Create => "create",
            Plan::Start(_) => "start",
            Plan::Unpause(_) => "unpause",
            Plan::Nothing(_) => "nothing",
            Plan::AwaitRemoval(_) => "await-removal",
            Plan::Recreate(_) => "recreate",
            Plan::Repair(_) => "repair",
        }
    }
}

/// A plan and the drift it was decided on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// What to do.
    pub plan: Plan,
    /// How the existing container differs from the command line (`Same` when there is none).
    pub drift: Drift,
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
    /// The container was replaced by a new one.
    Recreated,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Created => "created",
            Action::Started => "started",
            Action::Unpaused => "unpaused",
            Action::AlreadyRunning => "already running",
            Action::Recreated => "recreated",
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

/// What to do about the containers an interrupted replacement of `name` left, when `name`
/// itself is missing (`None`: nothing of the kind; the name is simply free).
///
/// The rules, for every `--recreate` policy (the policy decides only afterwards, when the
/// launch looks again): a replacement that was started while its old container is still parked
/// never passed its gate (the commit removes the old one first), so it is proven now, then
/// finished or undone; one that never ran is undone and the old container put back, so the
/// data it holds is never left behind in a parked container; a replacement whose old container
/// is gone is all that is left and takes the name (it mounts the old one's volumes).
#[must_use]
pub fn repair(name: &str, leftovers: &[Leftover]) -> Option<Repair> {
    let parked: Vec<&Leftover> = leftovers
        .iter()
        .filter(|l| l.role(name) == Some(Role::Parked))
        .collect();
    let replacements: Vec<(&Leftover, String)> = leftovers
        .iter()
        .filter_map(|l| match l.role(name) {
            Some(Role::Replacement { replaces }) => Some((l, replaces)),
            Some(Role::Parked) | None => None,
        })
        .collect();
    let old_of = |replaces: &str| {
        parked
            .iter()
            .find(|p| p.id == replaces)
            .map(|p| (*p).clone())
    };
    if let Some((new, replaces)) = replacements
        .iter()
        .find(|(l, _)| l.state != ContainerState::Created)
    {
        let new = (*new).clone();
        return Some(match old_of(replaces) {
            Some(old) => Repair::Prove { new, old },
            None => Repair::Finish { new },
        });
    }
    if let Some(old) = parked.first() {
        return Some(Repair::PutBack {
            old: (*old).clone(),
            discard: replacements
                .iter()
                .filter(|(_, replaces)| *replaces == old.id)
                .map(|(l, _)| (*l).clone())
                .collect(),
        });
    }
    replacements.first().map(|(new, _)| Repair::Finish {
        new: (*new).clone(),
    })
}

/// Decide what to do with what exists under `name`.
///
/// The existing container is compared with the command line; `--recreate` decides whether a
/// difference (`changed`) or nothing at all (`always`) replaces it. A container being removed
/// is awaited whatever the policy; a dead one is refused whatever the policy (the engine could
/// not stop it, so it cannot be replaced safely); a restarting one is replaced when the policy
/// says so (a crash loop is often what a changed command line fixes), else refused.
///
/// # Errors
/// A restarting container that is not to be replaced, or a dead one: dockrun will not guess,
/// it says what to do.
pub fn plan(name: &str, desired: &Desired<'_>, observed: &Observed) -> Result<Decision, PlanError> {
    let existing = match observed {
        Observed::Missing => {
            return Ok(Decision {
                plan: Plan::Create,
                drift: Drift::Same,
            })
        }
        Observed::Present(existing) => existing,
    };
    let id = existing.id.clone();
    let drift = if existing.state.can_replace() {
        drift::compare(
            desired.spec,
            desired.image_id,
            &existing.record,
            &existing.image_id,
        )
    } else {
        Drift::Same
    };
    let replace = match desired.policy {
        Recreate::Never => false,
        Recreate::Changed => drift.differs(),
        Recreate::Always => true,
    };
    let decided = |plan| {
        Ok(Decision {
            plan,
            drift: drift.clone(),
        })
    };
    match existing.state {
        ContainerState::Removing => decided(Plan::AwaitRemoval(id)),
        ContainerState::Dead => Err(PlanError {
            name: name.to_owned(),
            state: existing.state,
            advice: "the engine could not stop or remove it; remove it with `docker rm -f` and launch again",
        }),
        ContainerState::Created
        | ContainerState::Exited
        | ContainerState::Running
        | ContainerState::Paused
        | ContainerState::Restarting
            if replace =>
        {
            if existing.auto_remove {
                // Stopping it would delete it with its anonymous volumes: no way back.
                return Err(PlanError {
                    name: name.to_owned(),
                    state: existing.state,
                    advice: "it was created with `--rm`, so stopping it to replace it would delete it and its anonymous volumes with no way back; stop it with `docker stop` and launch again",
                });
            }
            decided(Plan::Recreate(Box::new(existing.clone())))
        }
        ContainerState::Created | ContainerState::Exited => decided(Plan::Start(id)),
        ContainerState::Running => decided(Plan::Nothing(id)),
        ContainerState::Paused => decided(Plan::Unpause(id)),
        ContainerState::Restarting => Err(PlanError {
            name: name.to_owned(),
            state: existing.state,
            advice: "its restart policy keeps restarting it; see `docker logs`, then `docker stop` it and launch again (or launch with `--recreate always`)",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::Record;
    use crate::spec::body::CreateBody;

    const ID: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const MOVED: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    fn spec(env: &str) -> Normalised {
        Normalised::from_body(&CreateBody {
            image: Some("img".into()),
            env: Some(vec![env.into()]),
            ..CreateBody::default()
        })
    }

    /// A container dockrun created from `spec("A=1")` with image `ID`.
    fn present(state: ContainerState) -> Observed {
        let recorded = spec("A=1");
        Observed::Present(Existing {
            id: "abc".into(),
            state,
            image_id: ID.into(),
            record: Record::Labelled {
                hash: recorded.hash(ID),
                spec: Some(recorded.to_label()),
                format: crate::drift::FORMAT,
            },
            anonymous_volumes: vec![],
            auto_remove: false,
        })
    }

    fn decide(
        env: &str,
        image: Option<&str>,
        policy: Recreate,
        observed: &Observed,
    ) -> Result<Decision, PlanError> {
        let spec = spec(env);
        let desired = Desired {
            spec: &spec,
            image_id: image,
            policy,
        };
        plan("x", &desired, observed)
    }

    fn plan_of(env: &str, policy: Recreate, state: ContainerState) -> Result<Plan, PlanError> {
        decide(env, None, policy, &present(state)).map(|d| d.plan)
    }

    #[test]
    fn every_state_without_drift() {
        use ContainerState as S;
        let never = Recreate::Never;
        assert_eq!(
            decide("A=1", None, never, &Observed::Missing).map(|d| d.plan),
            Ok(Plan::Create)
        );
        assert_eq!(
            plan_of("A=1", never, S::Created),
            Ok(Plan::Start("abc".into()))
        );
        assert_eq!(
            plan_of("A=1", never, S::Exited),
            Ok(Plan::Start("abc".into()))
        );
        assert_eq!(
            plan_of("A=1", never, S::Running),
            Ok(Plan::Nothing("abc".into()))
        );
        assert_eq!(
            plan_of("A=1", never, S::Paused),
            Ok(Plan::Unpause("abc".into()))
        );
        assert_eq!(
            plan_of("A=1", never, S::Removing),
            Ok(Plan::AwaitRemoval("abc".into()))
        );
        let err = plan_of("A=1", never, S::Restarting).expect_err("refused");
        assert!(err.to_string().contains("is restarting"), "{err}");
        let err = plan_of("A=1", never, S::Dead).expect_err("refused");
        assert!(
            err.to_string().contains("is dead") && err.to_string().contains("docker rm -f"),
            "{err}"
        );
        // `changed` with nothing changed is the same table.
        let changed = Recreate::Changed;
        assert_eq!(
            plan_of("A=1", changed, S::Running),
            Ok(Plan::Nothing("abc".into()))
        );
        assert_eq!(
            plan_of("A=1", changed, S::Exited),
            Ok(Plan::Start("abc".into()))
        );
        assert!(plan_of("A=1", changed, S::Restarting).is_err());
    }

    #[test]
    fn drift_is_reported_and_acted_on_only_as_the_policy_says() {
        use ContainerState as S;
        let observed = present(S::Running);
        let kept = decide("A=2", None, Recreate::Never, &observed).expect("plans");
        assert_eq!(kept.plan, Plan::Nothing("abc".into()));
        assert_eq!(kept.drift.differences()[0].to_string(), "env A: 1 → 2");

        for state in [S::Created, S::Exited, S::Running, S::Paused, S::Restarting] {
            let replaced = decide("A=2", None, Recreate::Changed, &present(state)).expect("plans");
            assert!(
                matches!(replaced.plan, Plan::Recreate(ref e) if e.id == "abc"),
                "{state}"
            );
            let always = decide("A=1", None, Recreate::Always, &present(state)).expect("plans");
            assert!(matches!(always.plan, Plan::Recreate(_)), "{state}");
            assert_eq!(always.drift, Drift::Same);
        }
        // Never replaced: a container being removed (awaited) or a dead one (refused).
        for policy in [Recreate::Changed, Recreate::Always] {
            assert_eq!(
                plan_of("A=2", policy, S::Removing),
                Ok(Plan::AwaitRemoval("abc".into()))
            );
            assert!(plan_of("A=2", policy, S::Dead).is_err());
        }
    }

    #[test]
    fn an_auto_remove_container_is_never_replaced() {
        let Observed::Present(mut existing) = present(ContainerState::Running) else {
            unreachable!()
        };
        existing.auto_remove = true;
        let observed = Observed::Present(existing);
        let err = decide("A=2", None, Recreate::Changed, &observed).expect_err("refused");
        assert!(err.to_string().contains("`--rm`"), "{err}");
        // Without a replacement it is used as it is.
        let kept = decide("A=2", None, Recreate::Never, &observed).expect("plans");
        assert_eq!(kept.plan, Plan::Nothing("abc".into()));
    }

    #[test]
    fn a_moved_image_is_drift() {
        let observed = present(ContainerState::Running);
        let same = decide("A=1", Some(ID), Recreate::Changed, &observed).expect("plans");
        assert_eq!(same.plan, Plan::Nothing("abc".into()));
        let moved = decide("A=1", Some(MOVED), Recreate::Changed, &observed).expect("plans");
        assert!(matches!(moved.plan, Plan::Recreate(_)));
        assert_eq!(
            moved.drift.differences()[0].to_string(),
            "image: sha256:111111111111… → sha256:222222222222…"
        );
    }

    #[test]
    fn foreign_container_is_replaced_by_changed_only_when_a_difference_shows() {
        let foreign = |env: &str| {
            Observed::Present(Existing {
                id: "abc".into(),
                state: ContainerState::Running,
                image_id: ID.into(),
                record: Record::Foreign(serde_json::json!({
                    "Image": "img", "Env": [env, "PATH=/bin"], "Hostname": "abc"
                })),
                anonymous_volumes: vec![],
                auto_remove: false,
            })
        };
        let same = decide("A=1", None, Recreate::Changed, &foreign("A=1")).expect("plans");
        assert_eq!(same.plan, Plan::Nothing("abc".into()));
        assert_eq!(same.drift, Drift::UnknownOrigin(vec![]));
        let differs = decide("A=2", None, Recreate::Changed, &foreign("A=1")).expect("plans");
        assert!(matches!(differs.plan, Plan::Recreate(_)));
    }

    mod repairs {
        use super::super::*;
        use crate::state::fixtures::{parked, replacement, NEW};
        use crate::state::NAME_LABEL;

        /// The whole table: what an interrupted replacement left, and what is done about it.
        #[test]
        fn r14_repair_decision_table() {
            use ContainerState as S;
            let put_back = |discard: Vec<Leftover>| {
                Some(Repair::PutBack {
                    old: parked(S::Exited),
                    discard,
                })
            };
            let prove = |state| {
                Some(Repair::Prove {
                    new: replacement(state),
                    old: parked(S::Exited),
                })
            };
            let finish = |state| {
                Some(Repair::Finish {
                    new: replacement(state),
                })
            };
            let table: Vec<(Vec<Leftover>, Option<Repair>)> = vec![
                // Nothing left: the name is simply free.
                (vec![], None),
                // Killed after the rename: the replacement never happened.
                (vec![parked(S::Exited)], put_back(vec![])),
                // After the create: the new one never ran; it goes, the old one comes back.
                (
                    vec![parked(S::Exited), replacement(S::Created)],
                    put_back(vec![replacement(S::Created)]),
                ),
                // After the start (or during the gate): it ran but never passed its gate, so
                // it proves itself now (an exited one fails at once).
                (
                    vec![parked(S::Exited), replacement(S::Running)],
                    prove(S::Running),
                ),
                (
                    vec![replacement(S::Exited), parked(S::Exited)],
                    prove(S::Exited),
                ),
                // After the old one's removal (the commit): only the new one is left; it
                // takes the name.
                (vec![replacement(S::Running)], finish(S::Running)),
                (vec![replacement(S::Created)], finish(S::Created)),
            ];
            for (leftovers, expected) in table {
                assert_eq!(repair("web", &leftovers), expected, "{leftovers:?}");
            }
        }

        #[test]
        fn look_alikes_are_not_repaired() {
            let mut user = parked(ContainerState::Running);
            user.id = NEW.into(); // named like a parked container, but not after its own ID
            assert_eq!(repair("web", &[user]), None);
            let mut other = replacement(ContainerState::Running);
            other.labels.insert(NAME_LABEL.into(), "api".into());
            assert_eq!(repair("web", &[other]), None);
        }
    }
}
