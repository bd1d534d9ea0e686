//! The bollard client and the API version it speaks: built without a request, every request's
//! path versioned, and the version changed only when the engine refuses it (then remembered
//! per endpoint, see `cache`).

use std::time::Duration;

use bollard::{ClientVersion, Docker};
use tracing::debug;

use super::{address, config, credentials, DockerEngine, Endpoint, EngineError};
use crate::engine::error::ApiError;
use crate::env_vars;
use crate::spec::ApiNeed;

/// The API version dockrun speaks unless the engine refuses it: Docker 20.10's, understood by
/// every engine from 20.10 up to those that raised their minimum (which name the one they want).
pub(super) const DEFAULT_API: ClientVersion = ClientVersion {
    major_version: 1,
    minor_version: 41,
};

/// How long the first request may take before the engine counts as unreachable.
pub(super) const FIRST_ANSWER: Duration = Duration::from_secs(10);

/// Requests that legitimately block (stop, wait) must not be cut short by bollard's own timeout.
pub(super) const REQUEST_TIMEOUT_SECS: u64 = 24 * 3600;

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
pub(super) fn version_demanded(err: &ApiError) -> Option<ClientVersion> {
    if err.status != Some(400) || !err.message.contains("API version") {
        return None;
    }
    err.message
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|word| parse_api_version(word.trim_end_matches('.')))
        .next_back()
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
    pub(super) fn client(&self) -> Docker {
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
    pub(super) fn switch_version(&self, version: &ClientVersion) -> Result<(), EngineError> {
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
}
