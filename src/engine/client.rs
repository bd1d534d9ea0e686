//! The bollard client of an endpoint and the API version it speaks: built without a request,
//! every request's path versioned from one shared [`version::Shared`], and the version switched
//! in place (same client, same connection) when the engine refuses it, then remembered for the
//! endpoint (`version::Cache`), so the next launch speaks it from its first request.

use std::future::Future;
use std::time::Duration;

use bollard::{ClientVersion, Docker};
use tracing::debug;

use super::transport;
use super::version::{self, ApiVersion};
use super::{address, config, credentials, DockerEngine, Endpoint, EngineError};
use crate::engine::error::ApiError;
use crate::env_vars;
use crate::spec::ApiNeed;

/// How long the first request may take before the engine counts as unreachable.
pub(super) const FIRST_ANSWER: Duration = Duration::from_secs(10);

/// Requests that legitimately block (stop, wait) must not be cut short by bollard's own timeout.
pub(super) const REQUEST_TIMEOUT_SECS: u64 = 24 * 3600;

/// Build a bollard client for `endpoint` whose requests carry `version` in their path, without
/// any request.
fn client_for(endpoint: &Endpoint, version: &version::Shared) -> Result<Docker, EngineError> {
    let unreachable = |source: bollard::errors::Error| EngineError::Unreachable {
        address: endpoint.to_string(),
        source: source.into(),
    };
    // bollard's own version only names the one it would put in the path (it does not: see
    // `versioned`); the path's version is ours.
    let stated = ClientVersion {
        major_version: usize::from(version.get().major),
        minor_version: usize::from(version.get().minor),
    };
    let host = endpoint.host.as_str();
    let client = if let Some(path) = host.strip_prefix("unix://") {
        transport::unix(path, REQUEST_TIMEOUT_SECS, &stated, version)
    } else if host.starts_with("ssh://") {
        // `ssh HOST docker system dial-stdio`, as the docker CLI does, with the user's ssh setup.
        Docker::connect_with_ssh(host, REQUEST_TIMEOUT_SECS, &stated, None)
    } else {
        let host_port = host.strip_prefix("tcp://").unwrap_or(host);
        match &endpoint.tls {
            Some(tls) => {
                let config = transport::client_config(tls).map_err(|source| EngineError::Tls {
                    address: endpoint.to_string(),
                    source,
                })?;
                transport::https(host_port, config, REQUEST_TIMEOUT_SECS, &stated, version)
            }
            None => transport::http(host_port, REQUEST_TIMEOUT_SECS, &stated, version),
        }
    };
    let version = version.clone();
    client
        .map(|docker| {
            docker.with_request_modifier(move |req| versioned(req, &format!("/v{}", version.get())))
        })
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

/// How a launch picks its API version.
#[derive(Clone, Debug)]
pub(super) enum Versioning {
    /// `DOCKER_API_VERSION`: spoken as given, never switched.
    Pinned,
    /// Negotiated: switched when the engine refuses it, and remembered here.
    Cached(version::Cache),
}

/// `DOCKER_API_VERSION`, when set: a version, or refused by name.
fn pinned_version(env: &dyn config::Env) -> Result<Option<ApiVersion>, EngineError> {
    let Some(text) = env.get(env_vars::DOCKER_API_VERSION) else {
        return Ok(None);
    };
    ApiVersion::parse(&text)
        .map(Some)
        .ok_or(EngineError::ApiVersionVariable { value: text })
}

impl DockerEngine {
    /// Prepare a client for the engine the environment names, as the docker CLI finds it
    /// (`DOCKER_HOST`, then the docker context, then the default socket); no request is made yet.
    /// The API version is `DOCKER_API_VERSION`, else the one this endpoint demanded last time,
    /// else 1.41.
    ///
    /// # Errors
    /// An unusable address or context, a unix socket path that does not exist, or a
    /// `DOCKER_API_VERSION` that is no version.
    pub fn from_env() -> Result<Self, EngineError> {
        let env = config::ProcessEnv;
        let endpoint = address::resolve(&env)?;
        let (first, versioning) = match pinned_version(&env)? {
            Some(pinned) => (pinned, Versioning::Pinned),
            None => {
                let cache = version::Cache::for_host(&endpoint.host, &env);
                let first = cache.read().unwrap_or(version::DEFAULT);
                (first, Versioning::Cached(cache))
            }
        };
        debug!(version = %first, "API version");
        let version = version::Shared::new(first);
        let docker = client_for(&endpoint, &version)?;
        Ok(DockerEngine {
            docker,
            version,
            versioning,
            endpoint,
        })
    }

    /// Where this engine is reached, and what named it.
    #[must_use]
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The client (cheap: bollard's `Docker` is a handle).
    pub(super) fn client(&self) -> Docker {
        self.docker.clone()
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

    /// Send a launch's first request; when the engine refuses the API version and names the one
    /// it wants, speak that one from now on (and remember it for this endpoint) and send the
    /// request again: one extra round trip on the launch that meets a changed engine, none after.
    /// With `DOCKER_API_VERSION` the refusal is the answer.
    pub(super) async fn negotiated<T, F, Fut>(&self, send: F) -> Result<T, ApiError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let err = match send().await {
            Err(err) => err,
            ok => return ok,
        };
        let Versioning::Cached(cache) = &self.versioning else {
            return Err(err);
        };
        match version::demanded(&err) {
            Some(wanted) if wanted != self.version.get() => {
                debug!(from = %self.version.get(), to = %wanted, "the engine demands another API version");
                self.version.set(wanted);
                cache.write(wanted);
                send().await
            }
            _ => Err(err),
        }
    }

    /// The newest API version the engine speaks: read off the answers already heard (their
    /// `Api-Version` header), else asked for with one `GET /version` (sent at the version
    /// negotiated for the endpoint, retried like a first request).
    ///
    /// # Errors
    /// The engine cannot be asked, or its answer names no version.
    async fn engine_newest(&self) -> Result<ApiVersion, EngineError> {
        if let Some(newest) = self.version.engine_newest() {
            return Ok(newest);
        }
        let docker = self.client();
        let ask = self.negotiated(|| async { docker.version().await.map_err(ApiError::from) });
        let answer = tokio::time::timeout(FIRST_ANSWER, ask)
            .await
            .map_err(|_| EngineError::Unanswered {
                address: self.endpoint.to_string(),
                seconds: FIRST_ANSWER.as_secs(),
            })?
            .map_err(|source| EngineError::Version { source })?;
        answer
            .api_version
            .as_deref()
            .and_then(ApiVersion::parse)
            .ok_or(EngineError::Malformed {
                name: "(engine version)".to_owned(),
                field: "ApiVersion",
            })
    }

    /// Make sure the engine speaks the API version a flag in use needs, and speak that version
    /// from now on. Called only when such a flag is used: it costs one `GET /version` (sent at
    /// the version negotiated for the endpoint, retried like a first request).
    ///
    /// # Errors
    /// The engine cannot be asked, or speaks an older API (docker refuses such flags too).
    pub async fn require_api(&self, need: ApiNeed) -> Result<(), EngineError> {
        let has = self.engine_newest().await?;
        let needed = ApiVersion::of_pair(need.version);
        if has < needed {
            return Err(EngineError::ApiTooOld {
                flag: need.flag,
                needs: needed.to_string(),
                has: has.to_string(),
            });
        }
        let speaking = self.version.get();
        if needed <= speaking {
            return Ok(());
        }
        if matches!(self.versioning, Versioning::Pinned) {
            return Err(EngineError::ApiPinnedTooOld {
                flag: need.flag,
                needs: needed.to_string(),
                pinned: speaking.to_string(),
            });
        }
        // The lowest version that honours every flag in use (the body is written for it), never
        // lower than the one the engine demanded; not remembered: it is this command line's.
        debug!(to = %needed, flag = need.flag, "speaking a newer API version for this launch");
        self.version.set(needed);
        Ok(())
    }

    /// Before a create whose body means what `docker run` means only at API `wanted` or newer
    /// (`CreateBody::api_prefer`): speak the newest of `wanted` and what the engine speaks, if
    /// newer than the version spoken now, as the docker CLI would. The engine's newest version
    /// is read off the answers already heard (no request); over `ssh://`, whose transport is
    /// bollard's own, it is asked for (`GET /version`). Never refuses: an older engine is
    /// spoken to as docker would be. Not with `DOCKER_API_VERSION` (docker keeps it too).
    pub(super) async fn prefer_api(&self, wanted: (u32, u32)) {
        let speaking = self.version.get();
        let wanted = ApiVersion::of_pair(wanted);
        if matches!(self.versioning, Versioning::Pinned) || wanted <= speaking {
            return;
        }
        let newest = match self.engine_newest().await {
            Ok(newest) => newest,
            Err(err) => {
                debug!(error = %err, "the engine's newest API version is unknown; speaking on");
                return;
            }
        };
        let target = wanted.min(newest);
        if target > speaking {
            debug!(to = %target, "speaking a newer API version for this container's meaning");
            self.version.set(target);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
