//! The Docker Engine, through bollard: the only module that talks to it.
//!
//! `Engine` is the handful of operations the launcher needs; `DockerEngine` implements them over
//! bollard and turns bollard's models and errors into dockrun's own (`Observed`, `EngineError`).
//! Bollard's quirks stay here: status codes (404, 409, 304) are matched on the number, never the
//! text; the API version is fixed (no negotiation round trip) and changed only when the engine
//! refuses it. Nothing here decides *what* to do: that is `plan`, driven by `ensure`.

pub mod address;
pub mod config;
pub mod credentials;
pub mod error;

use std::collections::HashMap;
use std::time::Duration;

use bollard::query_parameters::{
    AttachContainerOptions, CreateContainerOptions, CreateImageOptions, InspectContainerOptions,
    KillContainerOptions, ListContainersOptions, RemoveContainerOptions, RenameContainerOptions,
    ResizeContainerTTYOptions, StopContainerOptions, WaitContainerOptions,
};
use bollard::{ClientVersion, Docker};
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use tokio::io::AsyncWrite;
use tracing::{debug, info};

use crate::drift::{Record, HASH_LABEL, SPEC_LABEL};
use crate::env_vars;
use crate::progress::{self, PullProgress};
use crate::spec::{ApiNeed, ContainerSpec, Streams};
use crate::state::{AnonymousVolume, ContainerState, Existing, Observed};
pub use address::{AddressError, Endpoint};
pub use error::{ApiError, EngineError, StartFailure};

/// The API version dockrun speaks unless the engine refuses it: Docker 20.10's, understood by
/// every engine from 20.10 up to those that raised their minimum (which name the one they want).
const DEFAULT_API: ClientVersion = ClientVersion {
    major_version: 1,
    minor_version: 41,
};

/// How long the first request may take before the engine counts as unreachable.
const FIRST_ANSWER: Duration = Duration::from_secs(10);

/// Requests that legitimately block (stop, wait) must not be cut short by bollard's own timeout.
const REQUEST_TIMEOUT_SECS: u64 = 24 * 3600;

/// The operations the launcher performs on the engine.
#[allow(async_fn_in_trait)]
pub trait Engine {
    /// Find the container named exactly `name` (never an ID prefix, never a substring).
    async fn observe(&self, name: &str) -> Result<Observed, EngineError>;
    /// The ID of the local image `image` names (`None`: not present locally).
    async fn image_id(&self, image: &str) -> Result<Option<String>, EngineError>;
    /// Pull the image, reporting progress on stderr unless `quiet`.
    async fn pull(
        &self,
        image: &str,
        platform: Option<&str>,
        quiet: bool,
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
}

/// The engine the environment names (see `address`), over bollard.
pub struct DockerEngine {
    docker: std::sync::Mutex<Docker>,
    endpoint: Endpoint,
}

/// Build a bollard client for `endpoint` speaking `version`, without any request.
fn client_for(endpoint: &Endpoint, version: &ClientVersion) -> Result<Docker, EngineError> {
    let unreachable = |source: bollard::errors::Error| EngineError::Unreachable {
        address: endpoint.to_string(),
        source: source.into(),
    };
    let host = endpoint.host.as_str();
    let client = if host.starts_with("unix://") {
        Docker::connect_with_unix(host, REQUEST_TIMEOUT_SECS, version)
    } else if host.starts_with("ssh://") {
        // `ssh HOST docker system dial-stdio`, as the docker CLI does, with the user's ssh setup.
        Docker::connect_with_ssh(host, REQUEST_TIMEOUT_SECS, version, None)
    } else if let Some(tls) = &endpoint.tls {
        Docker::connect_with_ssl(
            host,
            &tls.key,
            &tls.cert,
            &tls.ca,
            REQUEST_TIMEOUT_SECS,
            version,
        )
    } else {
        Docker::connect_with_http(host, REQUEST_TIMEOUT_SECS, version)
    };
    let prefix = format!("/v{}.{}", version.major_version, version.minor_version);
    client
        .map(|docker| docker.with_request_modifier(move |req| versioned(req, &prefix)))
        .map_err(unreachable)
}

/// Put the API version in the request path (`/v1.41/containers/create`). bollard 0.21 builds
/// `…/v1.41` and then joins the absolute path onto it, which drops the version, so without this
/// every request would be unversioned and the engine would read it at its own newest API: a
/// field an older engine does not know would be silently ignored instead of refused.
fn versioned(mut req: bollard::BollardRequest, prefix: &str) -> bollard::BollardRequest {
    let mut parts = req.uri().clone().into_parts();
    let Some(path) = parts.path_and_query.as_ref() else {
        return req;
    };
    if path.path().starts_with("/v1.") {
        return req;
    }
    match format!("{prefix}{path}").parse() {
        Ok(with_version) => {
            parts.path_and_query = Some(with_version);
            match http::Uri::from_parts(parts) {
                Ok(uri) => *req.uri_mut() = uri,
                Err(err) => debug!(%err, "request sent without an API version"),
            }
        }
        Err(err) => debug!(%err, "request sent without an API version"),
    }
    req
}

/// Parse `DOCKER_API_VERSION` (`1.43`), as the docker CLI honours it.
fn parse_api_version(text: &str) -> Option<ClientVersion> {
    let (major, minor) = text.trim().trim_start_matches('v').split_once('.')?;
    Some(ClientVersion {
        major_version: major.parse().ok()?,
        minor_version: minor.parse().ok()?,
    })
}

/// The API version an engine names when it refuses ours ("… Minimum supported API version is
/// 1.44 …" or "… Maximum supported API version is 1.41"): the last `N.N` in its message.
fn version_demanded(err: &ApiError) -> Option<ClientVersion> {
    if err.status != Some(400) || !err.message.contains("API version") {
        return None;
    }
    err.message
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|word| parse_api_version(word.trim_end_matches('.')))
        .next_back()
}

/// `docker pull` adds `:latest` to an untagged, undigested reference.
fn pull_reference(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') || last.contains(':') {
        image.to_owned()
    } else {
        format!("{image}:latest")
    }
}

/// Map the engine's state string to dockrun's own.
fn state_of(status: bollard::models::ContainerStateStatusEnum) -> Option<ContainerState> {
    use bollard::models::ContainerStateStatusEnum as S;
    Some(match status {
        S::CREATED => ContainerState::Created,
        S::RUNNING => ContainerState::Running,
        S::PAUSED => ContainerState::Paused,
        S::RESTARTING => ContainerState::Restarting,
        S::REMOVING => ContainerState::Removing,
        S::EXITED => ContainerState::Exited,
        S::DEAD => ContainerState::Dead,
        // "stopping" is only reported by newer engines mid-stop; it is still running.
        S::STOPPING => ContainerState::Running,
        S::EMPTY => return None,
    })
}

/// docker run's exit-code rule for a failed start: a plain substring test on the daemon's message.
fn classify_start_failure(message: &str) -> StartFailure {
    if [
        "executable file not found",
        "no such file or directory",
        "system cannot find the file specified",
    ]
    .iter()
    .any(|m| message.contains(m))
    {
        StartFailure::CommandNotFound
    } else if message.contains("permission denied") || message.contains("is a directory") {
        StartFailure::CannotInvoke
    } else {
        StartFailure::Other
    }
}

impl DockerEngine {
    /// Prepare a client for the engine the environment names, as the docker CLI finds it
    /// (`DOCKER_HOST`, then the docker context, then the default socket); no request is made yet.
    ///
    /// # Errors
    /// An unusable address or context, or a unix socket path that does not exist.
    pub fn from_env() -> Result<Self, EngineError> {
        let endpoint = address::resolve(&config::ProcessEnv)?;
        let version = std::env::var(env_vars::DOCKER_API_VERSION)
            .ok()
            .and_then(|v| parse_api_version(&v))
            .unwrap_or(DEFAULT_API);
        let docker = client_for(&endpoint, &version)?;
        Ok(DockerEngine {
            docker: std::sync::Mutex::new(docker),
            endpoint,
        })
    }

    /// Where this engine is reached, and what named it.
    #[must_use]
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The current client (cheap: bollard's `Docker` is a handle).
    fn client(&self) -> Docker {
        self.docker
            .lock()
            .map_or_else(|poisoned| poisoned.into_inner().clone(), |d| d.clone())
    }

    /// For `--use-api-socket`: the engine's address (docker mounts it only when it is a
    /// `unix://` socket) and whether the docker configuration may hold registry credentials.
    ///
    /// # Errors
    /// An unreadable docker configuration.
    pub fn api_socket(&self, image: &str) -> Result<(String, bool), EngineError> {
        let credentials = credentials::any_configured(&config::ProcessEnv).map_err(|source| {
            EngineError::Credentials {
                image: image.to_owned(),
                source,
            }
        })?;
        Ok((self.endpoint.host.clone(), credentials))
    }

    /// Make sure the engine speaks the API version a flag in use needs, and speak it from now on.
    /// Called only when such a flag is used: it costs one `GET /version`.
    ///
    /// # Errors
    /// The engine cannot be asked, or speaks an older API (docker refuses such flags too).
    pub async fn require_api(&self, need: ApiNeed) -> Result<(), EngineError> {
        let version = self
            .client()
            .version()
            .await
            .map_err(|e| EngineError::Version { source: e.into() })?;
        let has = version
            .api_version
            .as_deref()
            .and_then(parse_api_version)
            .ok_or(EngineError::Malformed {
                name: "(engine version)".to_owned(),
                field: "ApiVersion",
            })?;
        let (major, minor) = need.version;
        if (has.major_version, has.minor_version) < (major as usize, minor as usize) {
            return Err(EngineError::ApiTooOld {
                flag: need.flag,
                needs: format!("{major}.{minor}"),
                has: format!("{}.{}", has.major_version, has.minor_version),
            });
        }
        self.switch_version(&has)
    }

    /// Switch to the API version the engine asked for.
    fn switch_version(&self, version: &ClientVersion) -> Result<(), EngineError> {
        debug!(
            major = version.major_version,
            minor = version.minor_version,
            "switching API version"
        );
        let docker = client_for(&self.endpoint, version)?;
        match self.docker.lock() {
            Ok(mut guard) => *guard = docker,
            Err(poisoned) => *poisoned.into_inner() = docker,
        }
        Ok(())
    }

    /// Inspect by name, then check the name really is `name` (the engine falls back to ID
    /// prefixes). `None` when no container has exactly this name.
    async fn inspect_exact(
        &self,
        name: &str,
    ) -> Result<Option<bollard::models::ContainerInspectResponse>, ApiError> {
        let docker = self.client();
        let found = match docker
            .inspect_container(name, None::<InspectContainerOptions>)
            .await
        {
            Ok(found) => found,
            Err(err) => {
                let err = ApiError::from(err);
                return if err.status == Some(404) {
                    Ok(None)
                } else {
                    Err(err)
                };
            }
        };
        if found.name.as_deref().map(|n| n.trim_start_matches('/')) == Some(name) {
            return Ok(Some(found));
        }
        // The engine resolved `name` as an ID (prefix) of another container. A container with
        // this exact name may still exist: find it with an anchored, escaped name filter.
        debug!(matched = ?found.name, "name resolved to another container's ID; listing by exact name");
        let pattern = format!("^/{}$", name.replace('.', "\\."));
        let options = ListContainersOptions {
            all: true,
            filters: Some(HashMap::from([("name".to_owned(), vec![pattern])])),
            ..ListContainersOptions::default()
        };
        let listed = docker.list_containers(Some(options)).await?;
        let Some(id) = listed
            .into_iter()
            .find(|c| {
                c.names
                    .iter()
                    .flatten()
                    .any(|n| n.trim_start_matches('/') == name)
            })
            .and_then(|c| c.id)
        else {
            return Ok(None);
        };
        match docker
            .inspect_container(&id, None::<InspectContainerOptions>)
            .await
        {
            Ok(found) => Ok(Some(found)),
            Err(err) => {
                let err = ApiError::from(err);
                if err.status == Some(404) {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }
}

impl Engine for DockerEngine {
    #[tracing::instrument(level = "debug", skip_all, fields(container = %name))]
    async fn observe(&self, name: &str) -> Result<Observed, EngineError> {
        let attempt = async {
            match self.inspect_exact(name).await {
                Err(err) => match version_demanded(&err) {
                    Some(version) => {
                        self.switch_version(&version)?;
                        self.inspect_exact(name)
                            .await
                            .map_err(|e| self.inspect_error(name, e))
                    }
                    None => Err(self.inspect_error(name, err)),
                },
                Ok(found) => Ok(found),
            }
        };
        let found = tokio::time::timeout(FIRST_ANSWER, attempt)
            .await
            .map_err(|_| EngineError::Unanswered {
                address: self.endpoint.to_string(),
                seconds: FIRST_ANSWER.as_secs(),
            })??;
        let Some(found) = found else {
            debug!("no container by that name");
            return Ok(Observed::Missing);
        };
        let malformed = |field| EngineError::Malformed {
            name: name.to_owned(),
            field,
        };
        let id = found.id.clone().ok_or_else(|| malformed("Id"))?;
        let status = found
            .state
            .as_ref()
            .and_then(|s| s.status)
            .ok_or_else(|| malformed("State.Status"))?;
        let state = state_of(status).ok_or_else(|| malformed("State.Status"))?;
        let image_id = found.image.clone().ok_or_else(|| malformed("Image"))?;
        let record = record_of(&found);
        let anonymous_volumes = anonymous_volumes(&found);
        let auto_remove = found
            .host_config
            .as_ref()
            .and_then(|h| h.auto_remove)
            .unwrap_or(false);
        debug!(%id, %state, "found");
        Ok(Observed::Present(Existing {
            id,
            state,
            image_id,
            record,
            anonymous_volumes,
            auto_remove,
        }))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(image = %image))]
    async fn image_id(&self, image: &str) -> Result<Option<String>, EngineError> {
        match self.client().inspect_image(image).await {
            Ok(found) => found.id.map(Some).ok_or_else(|| EngineError::InspectImage {
                image: image.to_owned(),
                source: ApiError {
                    status: None,
                    message: "the engine's answer has no `Id`".into(),
                },
            }),
            Err(err) => {
                let err = ApiError::from(err);
                if err.status == Some(404) {
                    Ok(None)
                } else {
                    Err(EngineError::InspectImage {
                        image: image.to_owned(),
                        source: err,
                    })
                }
            }
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(image = %image))]
    async fn pull(
        &self,
        image: &str,
        platform: Option<&str>,
        quiet: bool,
    ) -> Result<(), EngineError> {
        let reference = pull_reference(image);
        let registry = credentials::registry_of(&reference);
        let auth = credentials::lookup(&config::ProcessEnv, &registry)
            .await
            .map_err(|source| EngineError::Credentials {
                image: reference.clone(),
                source,
            })?;
        info!(image = %reference, %registry, "pulling image {auth}");
        let options = CreateImageOptions {
            from_image: Some(reference.clone()),
            platform: platform.unwrap_or_default().to_owned(),
            ..CreateImageOptions::default()
        };
        let mut stream = self.client().create_image(
            Some(options),
            None,
            auth.credentials.clone().map(to_bollard_auth),
        );
        let mut display = PullProgress::new(progress::Mode::for_stderr(quiet));
        while let Some(message) = stream.next().await {
            let message = message.map_err(|err| EngineError::Pull {
                image: reference.clone(),
                registry: registry.clone(),
                credentials: auth.to_string(),
                source: err.into(),
            })?;
            let detail = message.progress_detail.as_ref();
            // The engine counts in i64; a negative count means "unknown", as does none.
            let bytes = |n: Option<i64>| n.and_then(|n| u64::try_from(n).ok());
            display.update(progress::Event {
                layer: message.id.as_deref(),
                status: message.status.as_deref().unwrap_or_default(),
                current: bytes(detail.and_then(|d| d.current)),
                total: bytes(detail.and_then(|d| d.total)),
            });
        }
        display.finish();
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %spec.name))]
    async fn create(&self, spec: &ContainerSpec) -> Result<String, EngineError> {
        let create_error = |source: ApiError| EngineError::Create {
            name: spec.name.clone(),
            image: spec.image.clone(),
            source,
        };
        let body = to_bollard_body(&spec.body).map_err(|e| {
            create_error(ApiError {
                status: None,
                message: e.to_string(),
            })
        })?;
        let options = CreateContainerOptions {
            name: Some(spec.name.clone()),
            platform: spec.platform.clone().unwrap_or_default(),
        };
        match self.client().create_container(Some(options), body).await {
            Ok(created) => {
                for warning in created.warnings.iter().filter(|w| !w.is_empty()) {
                    tracing::warn!(container = %spec.name, "engine: {warning}");
                }
                Ok(created.id)
            }
            Err(err) => {
                let err = ApiError::from(err);
                match err.status {
                    Some(409) => Err(EngineError::NameConflict {
                        name: spec.name.clone(),
                    }),
                    Some(404) if self.image_id(&spec.image).await?.is_none() => {
                        Err(EngineError::ImageMissing {
                            image: spec.image.clone(),
                        })
                    }
                    _ => Err(create_error(err)),
                }
            }
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %name))]
    async fn start(&self, name: &str, id: &str) -> Result<(), EngineError> {
        match self.client().start_container(id, None).await {
            Ok(()) => Ok(()),
            Err(err) => {
                let err = ApiError::from(err);
                if err.status == Some(404) {
                    return Err(EngineError::Vanished {
                        name: name.to_owned(),
                    });
                }
                let failure = classify_start_failure(&err.message);
                Err(EngineError::Start {
                    name: name.to_owned(),
                    failure,
                    source: err,
                })
            }
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %name))]
    async fn unpause(&self, name: &str, id: &str) -> Result<(), EngineError> {
        self.client().unpause_container(id).await.map_err(|err| {
            let err = ApiError::from(err);
            if err.status == Some(404) {
                EngineError::Vanished {
                    name: name.to_owned(),
                }
            } else {
                EngineError::Unpause {
                    name: name.to_owned(),
                    source: err,
                }
            }
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %name))]
    async fn stop(&self, name: &str, id: &str, timeout: Option<i64>) -> Result<(), EngineError> {
        // No signal, and no `t` unless given: the engine uses the container's own `StopSignal`
        // and `StopTimeout`, as `docker stop` does. 304 (already stopped) is success.
        let options = StopContainerOptions {
            signal: None,
            t: timeout.map(|t| i32::try_from(t).unwrap_or(i32::MAX)),
        };
        match self.client().stop_container(id, Some(options)).await {
            Ok(()) => Ok(()),
            Err(err) => {
                let err = ApiError::from(err);
                match err.status {
                    Some(304) => Ok(()),
                    Some(404) => Err(EngineError::Vanished {
                        name: name.to_owned(),
                    }),
                    _ => Err(EngineError::Stop {
                        name: name.to_owned(),
                        source: err,
                    }),
                }
            }
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %name))]
    async fn rename(&self, name: &str, id: &str, to: &str) -> Result<(), EngineError> {
        let options = RenameContainerOptions {
            name: to.to_owned(),
        };
        self.client()
            .rename_container(id, options)
            .await
            .map_err(|err| EngineError::Rename {
                name: name.to_owned(),
                to: to.to_owned(),
                source: err.into(),
            })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %name))]
    async fn remove(&self, name: &str, id: &str, force: bool) -> Result<(), EngineError> {
        // `v: false`: the volumes stay, so whatever was carried over (or not) survives.
        let options = RemoveContainerOptions {
            v: false,
            force,
            link: false,
        };
        self.client()
            .remove_container(id, Some(options))
            .await
            .map_err(|err| EngineError::Remove {
                name: name.to_owned(),
                source: err.into(),
            })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %name))]
    async fn await_removal(
        &self,
        name: &str,
        id: &str,
        limit: Duration,
    ) -> Result<(), EngineError> {
        let docker = self.client();
        let poll = async {
            loop {
                match docker
                    .inspect_container(id, None::<InspectContainerOptions>)
                    .await
                {
                    Err(err) => {
                        let err = ApiError::from(err);
                        if err.status == Some(404) {
                            return Ok(());
                        }
                        return Err(self.inspect_error(name, err));
                    }
                    Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        };
        tokio::time::timeout(limit, poll)
            .await
            .map_err(|_| EngineError::RemovalTimeout {
                name: name.to_owned(),
                seconds: limit.as_secs(),
            })?
    }

    fn wait(&self, name: &str, id: &str, condition: WaitCondition) -> Waiter {
        let options = WaitContainerOptions {
            condition: match condition {
                WaitCondition::NextExit => "next-exit",
                WaitCondition::NotRunning => "not-running",
            }
            .to_owned(),
        };
        let mut stream = self.client().wait_container(id, Some(options));
        let owned = name.to_owned();
        debug!(container = %name, ?condition, "waiting");
        Waiter::spawn(name, async move {
            let wait_error = |source| EngineError::Wait {
                name: owned.clone(),
                source,
            };
            match stream.next().await {
                Some(Ok(response)) => Ok(ContainerExit {
                    code: response.status_code,
                }),
                // bollard reports a non-zero exit as an error: it is the container's code.
                Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => {
                    Ok(ContainerExit { code })
                }
                Some(Err(err)) => Err(wait_error(err.into())),
                None => Err(wait_error(ApiError {
                    status: None,
                    message: "the engine closed the wait without an exit code".into(),
                })),
            }
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %name))]
    async fn attach(
        &self,
        name: &str,
        id: &str,
        attach: &AttachRequest,
    ) -> Result<Attached, EngineError> {
        let options = AttachContainerOptions {
            stdin: attach.streams.stdin,
            stdout: attach.streams.stdout,
            stderr: attach.streams.stderr,
            stream: true,
            logs: false,
            detach_keys: attach.detach_keys.clone(),
        };
        let attached = self
            .client()
            .attach_container(id, Some(options))
            .await
            .map_err(|err| self.op_error(name, err.into(), Op::Attach))?;
        let owned = name.to_owned();
        let output = attached
            .output
            .filter_map(move |item| {
                let item = match item {
                    Ok(
                        bollard::container::LogOutput::StdOut { message }
                        | bollard::container::LogOutput::Console { message },
                    ) => Some(Ok((Source::Stdout, message))),
                    Ok(bollard::container::LogOutput::StdErr { message }) => {
                        Some(Ok((Source::Stderr, message)))
                    }
                    // The engine never sends stdin back; nothing to copy.
                    Ok(bollard::container::LogOutput::StdIn { .. }) => None,
                    Err(err) => Some(Err(EngineError::Attach {
                        name: owned.clone(),
                        source: err.into(),
                    })),
                };
                std::future::ready(item)
            })
            .boxed();
        Ok(Attached {
            output,
            input: attached.input,
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %name))]
    async fn inspect_run(&self, name: &str, id: &str) -> Result<RunInfo, EngineError> {
        let found = self
            .client()
            .inspect_container(id, None::<InspectContainerOptions>)
            .await
            .map_err(|err| self.op_error(name, err.into(), Op::Inspect))?;
        let malformed = |field| EngineError::Malformed {
            name: name.to_owned(),
            field,
        };
        let state = found.state.ok_or_else(|| malformed("State"))?;
        let running = state.running.ok_or_else(|| malformed("State.Running"))?;
        let exit_code = state.exit_code.ok_or_else(|| malformed("State.ExitCode"))?;
        // The engine merges the image's HEALTHCHECK into the container's config at create;
        // `["NONE"]` is `--no-healthcheck` (or `HEALTHCHECK NONE`).
        let has_healthcheck = found
            .config
            .and_then(|c| c.healthcheck)
            .and_then(|h| h.test)
            .is_some_and(|test| test.first().is_some_and(|t| t != "NONE"));
        use bollard::models::HealthStatusEnum as H;
        let health = match state.health.and_then(|h| h.status) {
            None | Some(H::EMPTY | H::NONE) => Health::None,
            Some(H::STARTING) => Health::Starting,
            Some(H::HEALTHY) => Health::Healthy,
            Some(H::UNHEALTHY) => Health::Unhealthy,
        };
        let auto_remove = found
            .host_config
            .and_then(|h| h.auto_remove)
            .ok_or_else(|| malformed("HostConfig.AutoRemove"))?;
        Ok(RunInfo {
            running,
            exit_code,
            has_healthcheck,
            health,
            auto_remove,
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %name, signal = %signal))]
    async fn kill(&self, name: &str, id: &str, signal: &str) -> Result<(), EngineError> {
        let options = KillContainerOptions {
            signal: signal.to_owned(),
        };
        self.client()
            .kill_container(id, Some(options))
            .await
            .map_err(|err| self.op_error(name, err.into(), Op::Kill))
    }

    #[tracing::instrument(level = "trace", skip_all, fields(container = %name))]
    async fn resize(&self, name: &str, id: &str, rows: u16, cols: u16) -> Result<(), EngineError> {
        let options = ResizeContainerTTYOptions {
            h: i32::from(rows),
            w: i32::from(cols),
        };
        self.client()
            .resize_container_tty(id, options)
            .await
            .map_err(|err| self.op_error(name, err.into(), Op::Resize))
    }
}

/// The supervision operations, for [`DockerEngine::op_error`].
#[derive(Clone, Copy)]
enum Op {
    Attach,
    Inspect,
    Kill,
    Resize,
}

impl DockerEngine {
    /// A supervision call's failure, naming the operation and the container.
    fn op_error(&self, name: &str, err: ApiError, op: Op) -> EngineError {
        let name = name.to_owned();
        if err.status.is_none() && !matches!(op, Op::Attach) {
            return EngineError::Unreachable {
                address: self.endpoint.to_string(),
                source: err,
            };
        }
        match op {
            Op::Attach => EngineError::Attach { name, source: err },
            Op::Inspect => EngineError::Inspect { name, source: err },
            Op::Kill => EngineError::Kill { name, source: err },
            Op::Resize => EngineError::Resize { name, source: err },
        }
    }

    /// An inspect failure: unreachable when there was no answer at all.
    fn inspect_error(&self, name: &str, err: ApiError) -> EngineError {
        if err.status.is_none() {
            EngineError::Unreachable {
                address: self.endpoint.to_string(),
                source: err,
            }
        } else {
            EngineError::Inspect {
                name: name.to_owned(),
                source: err,
            }
        }
    }
}

/// Credentials found for a registry → what bollard sends in `X-Registry-Auth`.
fn to_bollard_auth(c: credentials::Credentials) -> bollard::auth::DockerCredentials {
    bollard::auth::DockerCredentials {
        username: c.username,
        password: c.password,
        identitytoken: c.identity_token,
        registrytoken: c.registry_token,
        serveraddress: Some(c.server),
        ..bollard::auth::DockerCredentials::default()
    }
}

/// What a container says about how it was made: dockrun's labels when it has them, else its
/// configuration in the create body's JSON shape (`Config` with `HostConfig` inside).
fn record_of(found: &bollard::models::ContainerInspectResponse) -> Record {
    let labels = found.config.as_ref().and_then(|c| c.labels.as_ref());
    if let Some(hash) = labels.and_then(|l| l.get(HASH_LABEL)) {
        return Record::Labelled {
            hash: hash.clone(),
            spec: labels.and_then(|l| l.get(SPEC_LABEL)).cloned(),
        };
    }
    // bollard's models serialise with the API's names; an unserialisable one compares as empty.
    let mut body = found
        .config
        .as_ref()
        .and_then(|c| serde_json::to_value(c).ok())
        .unwrap_or_else(|| serde_json::json!({}));
    if let (Some(map), Some(host)) = (
        body.as_object_mut(),
        found
            .host_config
            .as_ref()
            .and_then(|h| serde_json::to_value(h).ok()),
    ) {
        map.insert("HostConfig".to_owned(), host);
    }
    Record::Foreign(body)
}

/// The container's anonymous volumes: volume mounts not named by a bind or mount of its own.
fn anonymous_volumes(found: &bollard::models::ContainerInspectResponse) -> Vec<AnonymousVolume> {
    let host = found.host_config.as_ref();
    let named_in_binds = host
        .and_then(|h| h.binds.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|b| b.split(':').next().map(str::to_owned));
    let named_in_mounts = host
        .and_then(|h| h.mounts.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|m| m.source.clone());
    let named: Vec<String> = named_in_binds.chain(named_in_mounts).collect();
    found
        .mounts
        .iter()
        .flatten()
        .filter(|m| m.typ.as_deref() == Some("volume"))
        .filter_map(|m| {
            let name = m.name.clone()?;
            if named.contains(&name) {
                return None;
            }
            Some(AnonymousVolume {
                name,
                destination: m.destination.clone()?,
                writable: m.rw.unwrap_or(true),
            })
        })
        .collect()
}

/// dockrun's create body → bollard's model, through their shared JSON form.
fn to_bollard_body(
    body: &crate::spec::body::CreateBody,
) -> serde_json::Result<bollard::models::ContainerCreateBody> {
    serde_json::from_value(serde_json::to_value(body)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::RawArgs;

    /// An inspect answer shaped like Docker 20.10's for `docker create -v /anon -v vol:/named
    /// -e A=1 img sleep 5` (trimmed).
    fn inspected(labels: &str) -> bollard::models::ContainerInspectResponse {
        serde_json::from_str(&format!(
            r#"{{"Id": "abc", "Image": "sha256:c06d",
            "Config": {{"Hostname": "9f79", "Env": ["A=1", "PATH=/bin"], "Cmd": ["sleep", "5"],
                "Image": "img", "Volumes": {{"/anon": {{}}}}, "Labels": {labels}}},
            "HostConfig": {{"Binds": ["vol:/named"], "NetworkMode": "default",
                "ShmSize": 67108864, "AutoRemove": false}},
            "Mounts": [
                {{"Type": "volume", "Name": "vol", "Destination": "/named", "RW": true}},
                {{"Type": "volume", "Name": "f137", "Destination": "/anon", "RW": true}},
                {{"Type": "bind", "Source": "/h", "Destination": "/b", "RW": false}}]}}"#
        ))
        .expect("an inspect answer")
    }

    #[test]
    fn anonymous_volumes_are_the_unnamed_volume_mounts() {
        assert_eq!(
            anonymous_volumes(&inspected("{}")),
            [AnonymousVolume {
                name: "f137".into(),
                destination: "/anon".into(),
                writable: true
            }]
        );
    }

    #[test]
    fn records_are_labels_or_inspect_data() {
        let labelled = record_of(&inspected(
            r#"{"dockrun.spec-hash": "sha256:1", "dockrun.spec": "{}", "other": "x"}"#,
        ));
        assert_eq!(
            labelled,
            Record::Labelled {
                hash: "sha256:1".into(),
                spec: Some("{}".into())
            }
        );
        let Record::Foreign(body) = record_of(&inspected("{}")) else {
            panic!("no labels: foreign")
        };
        assert_eq!(body["Env"][0], "A=1");
        assert_eq!(body["HostConfig"]["Binds"][0], "vol:/named");
    }

    #[test]
    fn pull_references() {
        assert_eq!(pull_reference("busybox"), "busybox:latest");
        assert_eq!(pull_reference("busybox:1"), "busybox:1");
        assert_eq!(
            pull_reference("127.0.0.1:5000/x"),
            "127.0.0.1:5000/x:latest"
        );
        assert_eq!(pull_reference("127.0.0.1:5000/x:2"), "127.0.0.1:5000/x:2");
        assert_eq!(pull_reference("x@sha256:abc"), "x@sha256:abc");
    }

    #[test]
    fn requests_carry_the_version() {
        let req = http::Request::builder()
            .uri("unix://2f7661722f72756e/containers/x/json?all=1")
            .body(bollard::body_full(Default::default()))
            .expect("request");
        let req = versioned(req, "/v1.41");
        assert_eq!(
            req.uri().to_string(),
            "unix://2f7661722f72756e/v1.41/containers/x/json?all=1"
        );
        assert_eq!(
            versioned(req, "/v1.41").uri().path(),
            "/v1.41/containers/x/json"
        );
    }

    #[test]
    fn demanded_versions() {
        let too_old = ApiError {
            status: Some(400),
            message: "client version 1.41 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version".into(),
        };
        let v = version_demanded(&too_old).expect("found");
        assert_eq!((v.major_version, v.minor_version), (1, 44));
        let too_new = ApiError {
            status: Some(400),
            message: "client version 1.53 is too new. Maximum supported API version is 1.41".into(),
        };
        let v = version_demanded(&too_new).expect("found");
        assert_eq!((v.major_version, v.minor_version), (1, 41));
        assert!(version_demanded(&ApiError {
            status: Some(404),
            message: "API version 1.2".into()
        })
        .is_none());
    }

    #[test]
    fn start_failures() {
        assert_eq!(
            classify_start_failure("exec: \"nope\": executable file not found in $PATH"),
            StartFailure::CommandNotFound
        );
        assert_eq!(
            classify_start_failure("exec: \"/etc\": is a directory"),
            StartFailure::CannotInvoke
        );
        assert_eq!(
            classify_start_failure("port is already allocated"),
            StartFailure::Other
        );
    }

    /// Every field dockrun can put in a create body survives the trip into bollard's model.
    #[test]
    fn body_survives_conversion() {
        let raw = RawArgs::parse_from_argv([
            "dockrun",
            "--name",
            "xy",
            "-p",
            "127.0.0.1:80:80/udp",
            "--expose",
            "90",
            "-e",
            "A=1",
            "-v",
            "/a",
            "-v",
            "/h:/c:ro",
            "--tmpfs",
            "/t:size=1m",
            "--link",
            "db:db",
            "--restart",
            "on-failure:2",
            "-w",
            "/w",
            "-u",
            "1:2",
            "--entrypoint",
            "sh",
            "-l",
            "k=v",
            "-i",
            "-t",
            "-h",
            "host",
            "--dns",
            "1.1.1.1",
            "--add-host",
            "a:1.2.3.4",
            "--cap-add",
            "net_admin",
            "--init",
            "--stop-signal",
            "SIGINT",
            "--stop-timeout",
            "3",
            "--privileged",
            "--read-only",
            "-P",
            "--group-add",
            "10",
            "img",
            "cmd",
        ])
        .expect("parses");
        let spec = ContainerSpec::try_from(raw).expect("valid");
        let ours = serde_json::to_value(&spec.body).expect("json");
        let theirs =
            serde_json::to_value(to_bollard_body(&spec.body).expect("converts")).expect("json");
        assert_eq!(ours, theirs);
    }
}
