//! A scripted fake `Engine` for unit tests (never for engine tests, which use the real engine):
//! each `observe` pops the next scripted answer, chosen calls fail, every call is recorded.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::time::Duration;

use crate::cli::RawArgs;
use crate::drift::{Normalised, Record};
use crate::engine::{
    ApiError, AttachRequest, Attached, Engine, EngineError, RunInfo, WaitCondition, Waiter,
};
use crate::ensure::{ensure, Ensured};
use crate::error::DockrunError;
use crate::spec::ContainerSpec;
use crate::state::{AnonymousVolume, ContainerState, Existing, Observed};

pub const IMAGE_ID: &str =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";

/// A scripted engine: each `observe` pops the next answer; creates fail with 409 `conflicts`
/// times; starts of the IDs in `failing_starts` fail; every call is recorded.
#[derive(Default)]
pub struct Scripted {
    pub observed: RefCell<VecDeque<Observed>>,
    pub conflicts: RefCell<u32>,
    pub image_missing: RefCell<bool>,
    pub pull_fails: RefCell<bool>,
    pub failing_starts: RefCell<Vec<String>>,
    pub failing_renames: RefCell<u32>,
    pub created: RefCell<Vec<ContainerSpec>>,
    pub calls: RefCell<Vec<String>>,
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
    async fn image_id(&self, _: &str) -> Result<Option<String>, EngineError> {
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
    async fn stop(&self, _: &str, id: &str, _: Option<i64>) -> Result<(), EngineError> {
        self.calls.borrow_mut().push(format!("stop {id}"));
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
    async fn await_removal(&self, _: &str, id: &str, _: Duration) -> Result<(), EngineError> {
        self.calls.borrow_mut().push(format!("await {id}"));
        Ok(())
    }
    fn wait(&self, _: &str, _: &str, _: WaitCondition) -> Waiter {
        unimplemented!("not scripted: ensure does not wait")
    }
    async fn attach(&self, _: &str, _: &str, _: &AttachRequest) -> Result<Attached, EngineError> {
        unimplemented!("not scripted: ensure does not attach")
    }
    async fn inspect_run(&self, _: &str, _: &str) -> Result<RunInfo, EngineError> {
        unimplemented!("not scripted: ensure does not inspect")
    }
    async fn kill(&self, _: &str, _: &str, _: &str) -> Result<(), EngineError> {
        unimplemented!("not scripted: ensure does not kill")
    }
    async fn resize(&self, _: &str, _: &str, _: u16, _: u16) -> Result<(), EngineError> {
        unimplemented!("not scripted: ensure does not resize")
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
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime")
}

/// One launch against the scripted engine.
pub fn run(engine: &Scripted, spec: &ContainerSpec) -> Result<Ensured, DockrunError> {
    runtime().block_on(ensure(engine, spec))
}
