//! Make the spec true: observe → plan → act, until the named container runs.
//!
//! A lost race is normal here: when two launches of one name create at the same moment, the
//! engine gives one of them a 409; that one observes again and adopts the winner. A container
//! that vanishes between observing and acting (404) is observed again too. Both are bounded by
//! `MAX_ATTEMPTS`, so a pathological fight ends in an error rather than a loop.

use std::time::Duration;

use tracing::{debug, info};

use crate::engine::{Engine, EngineError};
use crate::error::DockrunError;
use crate::plan::{plan, Action, Plan};
use crate::spec::{ContainerSpec, PullPolicy};

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

/// Create the container, pulling its image first as the pull policy says.
async fn create<E: Engine>(engine: &E, spec: &ContainerSpec) -> Result<String, EngineError> {
    if spec.pull == PullPolicy::Always {
        engine
            .pull(&spec.image, spec.platform.as_deref(), spec.quiet)
            .await?;
    }
    match engine.create(spec).await {
        Err(EngineError::ImageMissing { image }) if spec.pull == PullPolicy::Missing => {
            info!(image = %image, "image not found locally");
            engine
                .pull(&spec.image, spec.platform.as_deref(), spec.quiet)
                .await?;
            engine.create(spec).await
        }
        other => other,
    }
}

/// Observe, plan and act until the container runs.
///
/// # Errors
/// Any engine failure, a state dockrun will not act on, or a name still contended after
/// `MAX_ATTEMPTS` rounds.
#[tracing::instrument(level = "debug", skip_all, fields(container = %spec.name))]
pub async fn ensure<E: Engine>(engine: &E, spec: &ContainerSpec) -> Result<Ensured, DockrunError> {
    let name = spec.name.as_str();
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1..=MAX_ATTEMPTS {
        let observed = engine.observe(name).await?;
        let step = plan(name, &observed)?;
        debug!(attempt, ?step, "planned");
        let result = match step {
            Plan::Create => match create(engine, spec).await {
                Ok(id) => engine.start(name, &id).await.map(|()| Ensured {
                    id,
                    action: Action::Created,
                }),
                Err(err) => Err(err),
            },
            Plan::Start(id) => engine.start(name, &id).await.map(|()| Ensured {
                id,
                action: Action::Started,
            }),
            Plan::Unpause(id) => engine.unpause(name, &id).await.map(|()| Ensured {
                id,
                action: Action::Unpaused,
            }),
            Plan::Nothing(id) => Ok(Ensured {
                id,
                action: Action::AlreadyRunning,
            }),
            Plan::AwaitRemoval(id) => {
                info!("waiting for the engine to finish removing the old container");
                engine.await_removal(name, &id, REMOVAL_LIMIT).await?;
                continue;
            }
        };
        match result {
            Ok(ensured) => {
                info!(container = %name, id = %ensured.id, "{}", ensured.action);
                return Ok(ensured);
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
    use crate::cli::RawArgs;
    use crate::plan::{ContainerState, Existing, Observed};
    use std::cell::RefCell;
    use std::collections::VecDeque;

    /// A scripted engine: each `observe` pops the next answer; creates fail with 409 `conflicts`
    /// times; every call is recorded.
    #[derive(Default)]
    struct Scripted {
        observed: RefCell<VecDeque<Observed>>,
        conflicts: RefCell<u32>,
        image_missing: RefCell<bool>,
        calls: RefCell<Vec<String>>,
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
        async fn image_present(&self, _: &str) -> Result<bool, EngineError> {
            Ok(!*self.image_missing.borrow())
        }
        async fn pull(&self, _: &str, _: Option<&str>, _: bool) -> Result<(), EngineError> {
            self.calls.borrow_mut().push("pull".into());
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
            Ok("new".into())
        }
        async fn start(&self, _: &str, id: &str) -> Result<(), EngineError> {
            self.calls.borrow_mut().push(format!("start {id}"));
            Ok(())
        }
        async fn unpause(&self, _: &str, id: &str) -> Result<(), EngineError> {
            self.calls.borrow_mut().push(format!("unpause {id}"));
            Ok(())
        }
        async fn await_removal(&self, _: &str, id: &str, _: Duration) -> Result<(), EngineError> {
            self.calls.borrow_mut().push(format!("await {id}"));
            Ok(())
        }
    }

    fn spec(extra: &[&str]) -> ContainerSpec {
        let mut argv = vec!["dockrun", "--name", "web"];
        argv.extend_from_slice(extra);
        argv.push("img");
        ContainerSpec::try_from(RawArgs::parse_from_argv(argv).expect("parses")).expect("valid")
    }

    fn present(state: ContainerState) -> Observed {
        Observed::Present(Existing {
            id: "old".into(),
            state,
        })
    }

    fn run(engine: &Scripted, spec: &ContainerSpec) -> Result<Ensured, DockrunError> {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime")
            .block_on(ensure(engine, spec))
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
            ["observe", "create", "observe", "start old"]
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
    fn missing_image_is_pulled_then_created() {
        let engine = Scripted::default();
        *engine.image_missing.borrow_mut() = true;
        let ensured = run(&engine, &spec(&[])).expect("ensured");
        assert_eq!(ensured.action, Action::Created);
        assert_eq!(
            *engine.calls.borrow(),
            ["observe", "create", "pull", "create", "start new"]
        );
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
            ["observe", "await old", "observe", "create", "start new"]
        );
    }

    #[test]
    fn running_is_left_alone_and_paused_is_unpaused() {
        let engine = Scripted::default();
        engine.observed.borrow_mut().extend([
            present(ContainerState::Running),
            present(ContainerState::Paused),
        ]);
        assert_eq!(
            run(&engine, &spec(&[])).expect("ok").action,
            Action::AlreadyRunning
        );
        assert_eq!(
            run(&engine, &spec(&[])).expect("ok").action,
            Action::Unpaused
        );
        assert_eq!(
            *engine.calls.borrow(),
            ["observe", "observe", "unpause old"]
        );
    }
}
