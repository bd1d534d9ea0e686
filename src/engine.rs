//! The Docker Engine, through bollard: the only module that talks to it.
//!
//! `Engine` is the handful of operations the launcher needs; `DockerEngine` implements them over
//! bollard and turns bollard's models and errors into dockrun's own (`Observed`, `EngineError`).
//! The work is split along its jobs: `client` builds the bollard client and owns the API
//! version (fixed, cached per endpoint, changed only when the engine refuses it); `operations`
//! is `impl Engine for DockerEngine`, one method per request kind, where bollard's status codes
//! (404, 409, 304) are matched on the number, never the text; `convert` turns bollard's models
//! into dockrun's and back. Nothing here decides *what* to do (that is `plan`, driven by
//! `ensure`) and nothing here shows anything (pull progress goes to a callback). `UpdateEngine`
//! adds what an update run needs (registry digests, local digests, tags, a label listing).

pub mod address;
mod client;
pub mod config;
mod convert;
pub mod credentials;
pub mod error;
mod operations;
pub mod transport;
pub mod version;

use std::collections::BTreeMap;
use std::time::Duration;

use bollard::Docker;
use futures_util::stream::BoxStream;
use tokio::io::AsyncWrite;

use crate::spec::{ContainerSpec, Streams};
use crate::state::{ContainerState, Leftover, Observed};
pub use address::{AddressError, Endpoint};
pub use convert::observed_from_json;
pub use error::{ApiError, EngineError, StartFailure};
pub use operations::{rejected_reference, split_reference, REJECTED_SUFFIX};

/// One progress message of a pull, in dockrun's terms (what [`Engine::pull`] reports).
#[derive(Clone, Copy, Debug, Default)]
pub struct PullEvent<'a> {
    /// The layer (short ID) the message is about; `None` for the pull as a whole.
    pub layer: Option<&'a str>,
    /// The engine's status text ("Downloading", "Pull complete", "Digest: …").
    pub status: &'a str,
    /// Bytes done so far, when the engine counts.
    pub current: Option<u64>,
    /// Bytes in all, when known.
    pub total: Option<u64>,
}

/// The operations the launcher performs on the engine.
#[allow(async_fn_in_trait)]
pub trait Engine {
    /// Find the container named exactly `name` (never an ID prefix, never a substring).
    async fn observe(&self, name: &str) -> Result<Observed, EngineError>;
    /// The ID of the local image `image` names (`None`: not present locally).
    async fn image_id(&self, image: &str) -> Result<Option<String>, EngineError>;
    /// Pull the image, handing each progress message the engine sends to `progress` (the
    /// caller shows it; the engine knows no display).
    async fn pull(
        &self,
        image: &str,
        platform: Option<&str>,
        progress: &mut (dyn FnMut(PullEvent<'_>) + Send),
    ) -> Result<(), EngineError>;
    /// Create the container; `NameConflict` on 409, `ImageMissing` when the image is absent.
    async fn create(&self, spec: &ContainerSpec) -> Result<String, EngineError>;
    /// Start it; already running (304) is success, a vanished container is `Vanished`.
    async fn start(&self, name: &str, id: &str) -> Result<(), EngineError>;
    /// Unpause it.
    async fn unpause(&self, name: &str, id: &str) -> Result<(), EngineError>;
    /// Stop it gracefully, as `docker stop`: its own stop signal, then SIGKILL after `timeout`
    /// seconds (`None`: its own `StopTimeout`, else the engine's default). Returns once stopped.
    async fn stop(&self, name: &str, id: &str, timeout: Option<i64>) -> Result<(), EngineError>;
    /// Rename the container `id` (known as `name`) to `to`.
    async fn rename(&self, name: &str, id: &str, to: &str) -> Result<(), EngineError>;
    /// Remove the container `id` (known as `name`), keeping its volumes; `force` kills it first.
    async fn remove(&self, name: &str, id: &str, force: bool) -> Result<(), EngineError>;
    /// Remove the container `id` (known as `name`) by force with the anonymous volumes it
    /// made itself, as `docker rm -f -v`: a volume it mounts by name (another container's
    /// anonymous volume carried over into it) stays, since the engine never removes those.
    async fn discard(&self, name: &str, id: &str) -> Result<(), EngineError>;
    /// The containers a replacement of `name` may have left (named `NAME-dockrun-old-…` or
    /// `NAME-dockrun-new-…`, in any state): candidates for `state::Leftover::role`.
    async fn leftovers(&self, name: &str) -> Result<Vec<Leftover>, EngineError>;
    /// The last `lines` lines of the container's output (stdout and stderr, interleaved).
    async fn logs_tail(&self, name: &str, id: &str, lines: usize) -> Result<String, EngineError>;
    /// What identifies this engine among the engines the machine's launches talk to (its
    /// address), for the replacement lock; `None`: no lock needed (a scripted engine).
    fn lock_scope(&self) -> Option<String>;
    /// Wait until the container `id` no longer exists, at most `limit`.
    async fn await_removal(&self, name: &str, id: &str, limit: Duration)
        -> Result<(), EngineError>;
    /// Register a wait for the container's exit *now* and return a handle that resolves to its
    /// exit code. The request runs in its own task, so it is in flight before anything else is
    /// sent: call it before `start`, so an immediate exit is not missed.
    fn wait(&self, name: &str, id: &str, condition: WaitCondition) -> Waiter;
    /// Attach to the container's streams (`stream=1`, no past logs), before it starts.
    async fn attach(
        &self,
        name: &str,
        id: &str,
        attach: &AttachRequest,
    ) -> Result<Attached, EngineError>;
    /// What supervision needs to know about the container.
    async fn inspect_run(&self, name: &str, id: &str) -> Result<RunInfo, EngineError>;
    /// Send `signal` (`SIGHUP`, `9`…) to the container's main process.
    async fn kill(&self, name: &str, id: &str, signal: &str) -> Result<(), EngineError>;
    /// Set the size of the container's terminal.
    async fn resize(&self, name: &str, id: &str, rows: u16, cols: u16) -> Result<(), EngineError>;
}

/// The operations of an update run (`dockrun --update-images`), on top of the launcher's.
#[allow(async_fn_in_trait)]
pub trait UpdateEngine: Engine {
    /// Every container carrying the label `key` (any value; the engine's `label` filter matches
    /// the key exactly, never as a prefix or substring).
    async fn list_labelled(&self, key: &str) -> Result<Vec<Listed>, EngineError>;
    /// The digest the registry now serves for `image` (a tag), asked through the engine with
    /// one `GET /distribution/{image}/json` carrying the credentials a pull would send; no
    /// layer is downloaded, but the engine makes 4 registry requests (`GET /v2/`, `HEAD` of
    /// the tag's manifest, `GET` of it by digest, `GET` of the image config blob for the
    /// platform) where a pull of an unchanged tag makes 2 (`GET /v2/`, the `HEAD`).
    async fn registry_digest(&self, image: &str) -> Result<String, EngineError>;
    /// The local image `image` names (`None`: not present).
    async fn local_image(&self, image: &str) -> Result<Option<LocalImage>, EngineError>;
    /// Point `reference` (`repository:tag`) at the image `id`.
    async fn tag(&self, id: &str, reference: &str) -> Result<(), EngineError>;
}

/// A container found by a label, as the list endpoint reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// Full container ID.
    pub id: String,
    /// Its name, without the leading `/`.
    pub name: String,
    /// Its state.
    pub state: ContainerState,
    /// The ID of the image it was created from.
    pub image_id: String,
    /// All its labels.
    pub labels: BTreeMap<String, String>,
}

/// A local image: its ID and the registry digests it is known by (`repo@sha256:…`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalImage {
    /// `sha256:…`.
    pub id: String,
    /// `RepoDigests`: `repository@sha256:…` for each registry it was pulled from or pushed to.
    pub repo_digests: Vec<String>,
    /// Its platform, `os/arch[/variant]` as `--platform` spells it (`None` when the engine
    /// names no OS or architecture).
    pub platform: Option<String>,
}

/// Which state change a [`Engine::wait`] waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitCondition {
    /// The next exit after the wait is registered (registered before a start).
    NextExit,
    /// Not running: returns at once for a stopped container (used for one already running).
    NotRunning,
}

/// How the container ended: its exit code (the engine reports a signal death as 128+N).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContainerExit {
    /// The exit code.
    pub code: i64,
}

/// A registered wait; `.await` it (through [`Waiter::result`]) for the container's exit.
pub struct Waiter {
    name: String,
    task: tokio::task::JoinHandle<Result<ContainerExit, EngineError>>,
}

impl Waiter {
    /// A waiter over any future (the engine's own task, or a scripted one in tests).
    pub fn spawn(
        name: &str,
        future: impl std::future::Future<Output = Result<ContainerExit, EngineError>> + Send + 'static,
    ) -> Self {
        Waiter {
            name: name.to_owned(),
            task: tokio::spawn(future),
        }
    }

    /// The exit, once the engine reports it.
    ///
    /// # Errors
    /// The engine's failure to wait (the container vanished, the connection broke).
    pub async fn result(&mut self) -> Result<ContainerExit, EngineError> {
        match (&mut self.task).await {
            Ok(result) => result,
            Err(join) => Err(EngineError::Wait {
                name: self.name.clone(),
                source: ApiError {
                    status: None,
                    message: join.to_string(),
                },
            }),
        }
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What to attach to.
#[derive(Clone, Debug, Default)]
pub struct AttachRequest {
    /// Which streams.
    pub streams: Streams,
    /// The detach key sequence the engine watches for on stdin (docker's format), if not its
    /// default.
    pub detach_keys: Option<String>,
}

/// Which of the container's streams a chunk of output came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Its stdout (and a terminal's single output stream).
    Stdout,
    /// Its stderr.
    Stderr,
}

/// One chunk of the container's output, as the engine framed it.
pub type Chunk = (Source, bytes::Bytes);

/// A live attachment: the container's output as it comes, and its stdin.
pub struct Attached {
    /// Output chunks, in order, until the container's streams close.
    pub output: BoxStream<'static, Result<Chunk, EngineError>>,
    /// The container's stdin (closing it sends EOF).
    pub input: std::pin::Pin<Box<dyn AsyncWrite + Send>>,
}

/// The container's health, from its healthcheck.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// No healthcheck is configured (in the container or its image).
    None,
    /// Configured, no verdict yet.
    Starting,
    /// The last checks passed.
    Healthy,
    /// The checks fail.
    Unhealthy,
}

/// What supervision reads from a container's inspect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunInfo {
    /// Whether it runs now.
    pub running: bool,
    /// Its last exit code (meaningful when not running).
    pub exit_code: i64,
    /// Whether a healthcheck is configured (container config merged with the image's).
    pub has_healthcheck: bool,
    /// Its health now.
    pub health: Health,
    /// Whether the engine removes it when it ends (`--rm` at create).
    pub auto_remove: bool,
    /// How often its restart policy has restarted it.
    pub restart_count: i64,
    /// Its healthcheck's schedule, when it has one.
    pub schedule: Option<HealthSchedule>,
}

/// When a healthcheck runs, with the engine's defaults filled in (`docker run --health-*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthSchedule {
    /// Between two checks (default 30s); the first check runs one interval after the start.
    pub interval: Duration,
    /// How long one check may take (default 30s).
    pub timeout: Duration,
    /// Failures during this time after the start do not count (default 0).
    pub start_period: Duration,
    /// Consecutive failures that make it unhealthy (default 3).
    pub retries: u32,
}

/// The engine the environment names (see `address`), over bollard.
pub struct DockerEngine {
    docker: Docker,
    /// The API version in every request's path (switched in place, see `client`).
    version: version::Shared,
    versioning: client::Versioning,
    endpoint: Endpoint,
}
