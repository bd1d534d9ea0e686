//! A scripted fake `Engine` for the unit tests of `ensure` and `supervise` (never for engine
//! tests, which use the real engine): each `observe` pops the next scripted answer, chosen calls
//! fail, every call is recorded as a short string (`"start old"`, `"kill new SIGKILL"`).
//!
//! For the foreground it also plays a tiny container: `wait` resolves when it exits (a test
//! calls [`Scripted::exit`], or a scripted `stop` or a `SIGKILL` ends it), `attach` hands out
//! the output channel and stdin pipe whose other ends the test holds ([`Scripted::terminal`]),
//! and `inspect_run` reports the scripted health. It must not grow logic of its own: it is a
//! recording, not a second engine.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::time::Duration;

use crate::cli::RawArgs;
use crate::drift::{Normalised, Record};
use tokio::sync::{mpsc, watch};

use crate::engine::{
    ApiError, AttachRequest, Attached, Chunk, ContainerExit, Engine, EngineError, Health, RunInfo,
    WaitCondition, Waiter,
};
use crate::ensure::{ensure, Ensured};
use crate::error::DockrunError;
use crate::spec::ContainerSpec;
use crate::state::{AnonymousVolume, ContainerState, Existing, Leftover, Observed};

pub const IMAGE_ID: &str =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";

/// A scripted engine: each `observe` pops the next answer (and `leftovers`, `inspect_run`
/// theirs; by default nothing is left over and a container runs without a healthcheck);
/// creates fail with 409 `conflicts` times; starts of the IDs in `failing_starts` fail; every
/// call is recorded.
#[derive(Default)]
pub struct Scripted {
    /// What `image_id` answers for these references (the others: `IMAGE_ID`, or none when
    /// `image_missing`); a lookup of one is recorded as `image REF`.
    pub images: RefCell<std::collections::BTreeMap<String, Option<String>>>,
    pub leftovers: RefCell<VecDeque<Vec<Leftover>>>,
    pub runs: RefCell<VecDeque<RunInfo>>,
    pub observed: RefCell<VecDeque<Observed>>,
    pub conflicts: RefCell<u32>,
    pub image_missing: RefCell<bool>,
    pub pull_fails: RefCell<bool>,
    pub failing_starts: RefCell<Vec<String>>,
    pub failing_renames: RefCell<u32>,
    pub created: RefCell<Vec<ContainerSpec>>,
    pub calls: RefCell<Vec<String>>,
    /// What `stop` does.
    pub stop: RefCell<StopScript>,
    /// The health `inspect_run` reports next (the last one stays).
    pub health: RefCell<VecDeque<Health>>,
    /// Whether `inspect_run` says a healthcheck is configured.
    pub has_healthcheck: RefCell<bool>,
    /// Whether `inspect_run` says the engine removes the container itself.
    pub auto_remove: RefCell<bool>,
    /// Whether the engine never reports the exit to a `wait` (its report is lost).
    pub wait_lost: RefCell<bool>,
    /// The played container: `None` while it runs, its exit code once it ended.
    container: Container,
    /// The container's ends of the next attachment.
    attachment: RefCell<Option<Attached>>,
}

/// What a scripted `stop` does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StopScript {
    /// The container ends on its stop signal (exit code 143).
    #[default]
    Exits,
    /// The container ignores its stop signal: the stop returns only once it ended otherwise.
    Ignored,
    /// The stop request fails (and the container keeps running).
    Fails,
}

/// The played container's exit code once it ended (`None`: running).
struct Container(watch::Sender<Option<i64>>);

impl Default for Container {
    fn default() -> Self {
        Container(watch::channel(None).0)
    }
}

/// The test's ends of an attachment: it sends the container's output and reads its stdin.
pub struct Terminal {
    /// Send output chunks (drop it: the output ends).
    pub output: mpsc::Sender<Result<Chunk, EngineError>>,
    /// What the container receives on its stdin.
    pub stdin: tokio::io::DuplexStream,
}

impl Scripted {
    /// End the played container with `code` (its waiters resolve).
    pub fn exit(&self, code: i64) {
        self.container.0.send_if_modified(|state| {
            let running = state.is_none();
            if running {
                *state = Some(code);
            }
            running
        });
    }

    /// Whether the played container has ended.
    pub fn exited(&self) -> bool {
        self.container.0.borrow().is_some()
    }

    /// Prepare the next `attach`: returns the test's ends.
    pub fn terminal(&self) -> Terminal {
        let (output, mut rx) = mpsc::channel(16);
        let (stdin, input) = tokio::io::duplex(1024);
        let output_stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
        *self.attachment.borrow_mut() = Some(Attached {
            output: Box::pin(output_stream),
            input: Box::pin(input),
        });
        Terminal { output, stdin }
    }

    /// The calls recorded that start with one of `prefixes`.
    pub fn calls_of(&self, prefixes: &[&str]) -> Vec<String> {
        self.calls
            .borrow()
            .iter()
            .filter(|c| prefixes.iter().any(|p| c.starts_with(p)))
            .cloned()
            .collect()
    }
}

pub fn api(message: &str) -> ApiError {
    ApiError {
        status: Some(500),
        message: message.into(),
    }
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
    async fn image_id(&self, image: &str) -> Result<Option<String>, EngineError> {
        if let Some(id) = self.images.borrow().get(image) {
            self.calls.borrow_mut().push(format!("image {image}"));
            return Ok(id.clone());
        }
        self.calls.borrow_mut().push("image".into());
        Ok((!*self.image_missing.borrow()).then(|| IMAGE_ID.to_owned()))
    }
    async fn pull(
        &self,
        image: &str,
        _: Option<&str>,
        _: &mut (dyn FnMut(crate::engine::PullEvent<'_>) + Send),
    ) -> Result<(), EngineError> {
        self.calls.borrow_mut().push("pull".into());
        if *self.pull_fails.borrow() {
            return Err(EngineError::Pull {
                image: image.into(),
                registry: "docker.io".into(),
                credentials: "without credentials".into(),
                source: api("unreachable"),
            });
        }
        *self.image_missing.borrow_mut() = false;
        Ok(())
    }
    async fn create(&self, spec: &ContainerSpec) -> Result<String, EngineError> {
        self.calls.borrow_mut().push(if spec.name == "web" {
            "create".to_owned()
        } else {
            format!("create {}", spec.name)
        });
        if *self.image_missing.borrow() {
            return Err(EngineError::ImageMissing {
                image: spec.image.clone(),
                pull: spec.pull,
            });
        }
        let mut conflicts = self.conflicts.borrow_mut();
        if *conflicts > 0 {
            *conflicts -= 1;
            return Err(EngineError::NameConflict {
                name: spec.name.clone(),
            });
        }
        self.created.borrow_mut().push(spec.clone());
        Ok("new".into())
    }
    async fn start(&self, name: &str, id: &str) -> Result<(), EngineError> {
        self.calls.borrow_mut().push(format!("start {id}"));
        if self.failing_starts.borrow().iter().any(|f| f == id) {
            return Err(EngineError::Start {
                name: name.into(),
                failure: crate::engine::StartFailure::CommandNotFound,
                source: api("exec: \"/nope\": no such file or directory"),
            });
        }
        Ok(())
    }
    async fn unpause(&self, _: &str, id: &str) -> Result<(), EngineError> {
        self.calls.borrow_mut().push(format!("unpause {id}"));
        Ok(())
    }
    async fn stop(&self, name: &str, id: &str, _: Option<i64>) -> Result<(), EngineError> {
        self.calls.borrow_mut().push(format!("stop {id}"));
        let script = *self.stop.borrow();
        match script {
            StopScript::Exits => self.exit(143),
            StopScript::Ignored => {}
            StopScript::Fails => {
                return Err(EngineError::Stop {
                    name: name.into(),
                    source: api("cannot stop"),
                })
            }
        }
        // `docker stop` returns once the container has stopped. An error here means the
        // sender is gone: the engine itself is being dropped.
        let mut state = self.container.0.subscribe();
        let _ = state.wait_for(Option::is_some).await;
        Ok(())
    }
    async fn rename(&self, name: &str, id: &str, to: &str) -> Result<(), EngineError> {
        self.calls.borrow_mut().push(format!("rename {id} {to}"));
        let mut failing = self.failing_renames.borrow_mut();
        if *failing > 0 {
            *failing -= 1;
            return Err(EngineError::Rename {
                name: name.into(),
                to: to.into(),
                source: api("Conflict. The container name is already in use"),
            });
        }
        Ok(())
    }
    async fn remove(&self, _: &str, id: &str, force: bool) -> Result<(), EngineError> {
        self.calls
            .borrow_mut()
            .push(format!("remove {id}{}", if force { " -f" } else { "" }));
        Ok(())
    }
    async fn discard(&self, _: &str, id: &str) -> Result<(), EngineError> {
        self.calls.borrow_mut().push(format!("discard {id}"));
        Ok(())
    }
    fn lock_scope(&self) -> Option<String> {
        None
    }
    async fn leftovers(&self, _: &str) -> Result<Vec<Leftover>, EngineError> {
        self.calls.borrow_mut().push("leftovers".into());
        Ok(self.leftovers.borrow_mut().pop_front().unwrap_or_default())
    }
    async fn logs_tail(&self, _: &str, id: &str, _: usize) -> Result<String, EngineError> {
        self.calls.borrow_mut().push(format!("logs {id}"));
        Ok("boom\n".into())
    }
    async fn await_removal(&self, _: &str, id: &str, _: Duration) -> Result<(), EngineError> {
        self.calls.borrow_mut().push(format!("await {id}"));
        Ok(())
    }
    fn wait(&self, name: &str, id: &str, condition: WaitCondition) -> Waiter {
        self.calls
            .borrow_mut()
            .push(format!("wait {id} {condition:?}"));
        let mut state = self.container.0.subscribe();
        let lost = *self.wait_lost.borrow();
        Waiter::spawn(name, async move {
            if lost {
                std::future::pending::<()>().await;
            }
            let code = state
                .wait_for(Option::is_some)
                .await
                .map(|code| code.unwrap_or_default())
                .unwrap_or(-1);
            Ok(ContainerExit { code })
        })
    }
    async fn attach(&self, _: &str, id: &str, _: &AttachRequest) -> Result<Attached, EngineError> {
        self.calls.borrow_mut().push(format!("attach {id}"));
        let prepared = self.attachment.borrow_mut().take();
        if let Some(attached) = prepared {
            return Ok(attached);
        }
        // No terminal prepared: an attachment with no output and a stdin nobody reads.
        drop(self.terminal());
        Ok(self.attachment.borrow_mut().take().expect("just prepared"))
    }
    async fn inspect_run(&self, _: &str, id: &str) -> Result<RunInfo, EngineError> {
        self.calls.borrow_mut().push(format!("inspect {id}"));
        if let Some(run) = self.runs.borrow_mut().pop_front() {
            return Ok(run);
        }
        let mut health = self.health.borrow_mut();
        let now = if health.len() > 1 {
            health.pop_front()
        } else {
            health.front().copied()
        };
        let exit = *self.container.0.borrow();
        Ok(RunInfo {
            running: exit.is_none(),
            exit_code: exit.unwrap_or_default(),
            has_healthcheck: *self.has_healthcheck.borrow(),
            health: now.unwrap_or(Health::None),
            auto_remove: *self.auto_remove.borrow(),
            restart_count: 0,
            schedule: None,
        })
    }
    async fn kill(&self, _: &str, id: &str, signal: &str) -> Result<(), EngineError> {
        self.calls.borrow_mut().push(format!("kill {id} {signal}"));
        if signal == "SIGKILL" {
            self.exit(137);
        }
        Ok(())
    }
    async fn resize(&self, _: &str, id: &str, rows: u16, cols: u16) -> Result<(), EngineError> {
        self.calls
            .borrow_mut()
            .push(format!("resize {id} {rows}x{cols}"));
        Ok(())
    }
}

pub fn spec(extra: &[&str]) -> ContainerSpec {
    let mut argv = vec!["dockrun", "--name", "web"];
    argv.extend_from_slice(extra);
    argv.push("img");
    ContainerSpec::try_from(RawArgs::parse_from_argv(argv).expect("parses")).expect("valid")
}

/// A container dockrun made from `spec(&[])` with image `IMAGE_ID`.
pub fn present(state: ContainerState) -> Observed {
    let recorded = Normalised::from_body(&spec(&[]).body);
    Observed::Present(Existing {
        id: "old".into(),
        state,
        image_id: IMAGE_ID.into(),
        record: Record::Labelled {
            hash: recorded.hash(IMAGE_ID),
            spec: Some(recorded.to_label()),
            format: crate::drift::FORMAT,
        },
        anonymous_volumes: vec![AnonymousVolume {
            name: "vol0".into(),
            destination: "/anon".into(),
            writable: true,
        }],
        auto_remove: false,
    })
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime")
}

/// One launch against the scripted engine.
pub fn run(engine: &Scripted, spec: &ContainerSpec) -> Result<Ensured, DockrunError> {
    runtime().block_on(ensure(engine, spec))
}

/// A container that runs, with a healthcheck (every second, 1 s timeout, 3 retries) now
/// reporting `health`.
pub fn with_healthcheck(health: Health) -> RunInfo {
    RunInfo {
        has_healthcheck: true,
        health,
        schedule: Some(crate::engine::HealthSchedule {
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            start_period: Duration::ZERO,
            retries: 3,
        }),
        ..running()
    }
}

/// A container that runs, without a healthcheck.
pub fn running() -> RunInfo {
    RunInfo {
        running: true,
        exit_code: 0,
        has_healthcheck: false,
        health: Health::None,
        auto_remove: false,
        restart_count: 0,
        schedule: None,
    }
}
