//! `EngineError`: one variant per engine operation, each naming the container or image it was
//! about and carrying the engine's own message as its source.

use std::fmt;

/// The engine's answer to a failed request: HTTP status (when there was a response) and message.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status, if the engine answered at all.
    pub status: Option<u16>,
    /// The engine's message (or the transport's error).
    pub message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message.trim_end())
    }
}

impl std::error::Error for ApiError {}

impl From<bollard::errors::Error> for ApiError {
    fn from(err: bollard::errors::Error) -> Self {
        match err {
            bollard::errors::Error::DockerResponseServerError {
                status_code,
                message,
            } => ApiError {
                status: Some(status_code),
                message,
            },
            bollard::errors::Error::DockerStreamError { error } => ApiError {
                status: None,
                message: error,
            },
            other => {
                // Transport errors wrap the useful part ("Connection refused") several layers
                // deep, each layer repeating the one below: report the innermost cause.
                let mut innermost: &dyn std::error::Error = &other;
                while let Some(source) = innermost.source() {
                    innermost = source;
                }
                ApiError {
                    status: None,
                    message: innermost.to_string(),
                }
            }
        }
    }
}

/// Why a start failed, as docker run classifies it for its exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartFailure {
    /// The command does not exist (docker run exits 127).
    CommandNotFound,
    /// The command exists but cannot be run (docker run exits 126).
    CannotInvoke,
    /// Anything else (125).
    Other,
}

/// A failed engine operation.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// No engine could be reached at the address.
    #[error("cannot reach the Docker engine at {address}")]
    Unreachable {
        /// The endpoint tried, with what named it (`Endpoint`'s display).
        address: String,
        /// The transport's error.
        #[source]
        source: ApiError,
    },
    /// The TLS files of a `tcp://` endpoint cannot be used.
    #[error("cannot use TLS for the Docker engine at {address}")]
    Tls {
        /// The endpoint, with what named it.
        address: String,
        /// What is wrong with which file.
        #[source]
        source: super::transport::TlsError,
    },
    /// The engine accepted the connection but did not answer in time.
    #[error("the Docker engine at {address} did not answer within {seconds}s")]
    Unanswered {
        /// The address tried.
        address: String,
        /// The time waited.
        seconds: u64,
    },
    /// The engine's address (`DOCKER_HOST`, a context) could not be worked out.
    #[error(transparent)]
    Address(#[from] super::AddressError),
    /// The engine's version could not be read (asked only for flags that need a newer API).
    #[error("failed to read the engine's API version")]
    Version {
        /// The engine's error.
        #[source]
        source: ApiError,
    },
    /// A flag in use needs a newer Engine API than the engine speaks.
    #[error("`{flag}` requires Engine API {needs}, but the engine speaks API {has}")]
    ApiTooOld {
        /// The flag, as docker names it.
        flag: &'static str,
        /// The API version it needs.
        needs: String,
        /// The engine's API version.
        has: String,
    },
    /// `DOCKER_API_VERSION` is set to something that is no API version.
    #[error("`DOCKER_API_VERSION` is `{value}`, which is not an API version (such as `1.44`)")]
    ApiVersionVariable {
        /// The variable's value.
        value: String,
    },
    /// A flag in use needs a newer API than the one `DOCKER_API_VERSION` fixes.
    #[error("`{flag}` requires Engine API {needs}, but `DOCKER_API_VERSION` fixes it at {pinned}")]
    ApiPinnedTooOld {
        /// The flag, as docker names it.
        flag: &'static str,
        /// The API version it needs.
        needs: String,
        /// The version `DOCKER_API_VERSION` names.
        pinned: String,
    },
    /// Inspecting the container failed.
    #[error("failed to inspect container `{name}`")]
    Inspect {
        /// The container's name.
        name: String,
        /// The engine's error.
        #[source]
        source: ApiError,
    },
    /// The engine's answer lacked a field dockrun needs.
    #[error("the engine's description of container `{name}` has no usable `{field}`")]
    Malformed {
        /// The container's name.
        name: String,
        /// The missing or unknown field.
        field: &'static str,
    },
    /// Another launch created the name first (HTTP 409 on create).
    #[error("container `{name}` was created by someone else at the same moment")]
    NameConflict {
        /// The container's name.
        name: String,
    },
    /// The image is not present: the pull policy forbids pulling it, or it went away after
    /// the pull.
    #[error("image `{image}` is not present{}", missing_because(*pull))]
    ImageMissing {
        /// The image reference.
        image: String,
        /// `--pull`, which says why it is missing.
        pull: crate::spec::PullPolicy,
    },
    /// Inspecting the image failed.
    #[error("failed to inspect image `{image}`")]
    InspectImage {
        /// The image reference.
        image: String,
        /// The engine's error.
        #[source]
        source: ApiError,
    },
    /// Pulling the image failed.
    #[error("failed to pull image `{image}` from registry `{registry}` {credentials}")]
    Pull {
        /// The image reference.
        image: String,
        /// The registry's host name.
        registry: String,
        /// How the pull authenticated ("as `user` (from …)", "without credentials (…)").
        credentials: String,
        /// The engine's or registry's error.
        #[source]
        source: ApiError,
    },
    /// The registry could not tell the tag's current digest (`GET /distribution/…/json`):
    /// unreachable, no such manifest, credentials refused.
    #[error("failed to ask registry `{registry}` for the digest of `{image}` {credentials}")]
    RegistryDigest {
        /// The image reference.
        image: String,
        /// The registry's host name.
        registry: String,
        /// How the request authenticated, as for a pull.
        credentials: String,
        /// The engine's or registry's error.
        #[source]
        source: ApiError,
    },
    /// Tagging an image failed.
    #[error("failed to tag image `{image}` as `{to}`")]
    Tag {
        /// The image ID.
        image: String,
        /// The reference asked for.
        to: String,
        /// The engine's error.
        #[source]
        source: ApiError,
    },
    /// Listing the containers that carry a label failed.
    #[error("failed to list the containers labelled `{label}`")]
    List {
        /// The label's key.
        label: String,
        /// The engine's error.
        #[source]
        source: ApiError,
    },
    /// The registry's credentials could not be looked up, so no pull was attempted.
    #[error("cannot look up credentials to pull image `{image}`")]
    Credentials {
        /// The image reference.
        image: String,
        /// What failed.
        #[source]
        source: super::credentials::CredentialError,
    },
    /// Creating the container failed.
    #[error("failed to create container `{name}` from image `{image}`")]
    Create {
        /// The container's name.
        name: String,
        /// The image reference.
        image: String,
        /// The engine's error.
        #[source]
        source: ApiError,
    },
    /// The container vanished between looking and acting (HTTP 404).
    #[error("container `{name}` disappeared while dockrun was acting on it")]
    Vanished {
        /// The container's name.
        name: String,
    },
    /// Starting the container failed.
    #[error("failed to start container `{name}`")]
    Start {
        /// The container's name.
        name: String,
        /// How docker run would classify the failure.
        failure: StartFailure,
        /// The engine's error.
        #[source]
        source: ApiError,
    },
    /// Unpausing the container failed.
    #[error("failed to unpause container `{name}`")]
    Unpause {
        /// The container's name.
        name: String,
        /// The engine's error.
        #[source]
        source: ApiError,
    },
    /// Stopping the container failed.
    #[error("failed to stop container `{name}`")]
    Stop {
        /// The container's name.
        name: String,
        /// The engine's error.
        #[source]
        source: ApiError,
    },
    /// Renaming the container failed.
    #[error("failed to rename container `{name}` to `{to}`")]
    Rename {
        /// The container's name before the rename.
        name: String,
        /// The name asked for.
        to: String,
        /// The engine's error.
        #[source]
        source: ApiError,
    },
    /// Listing what a replacement of the container may have left failed.
    #[error("failed to look for what a replacement of container `{name}` left")]
    Leftovers {
        /// The container's name.
        name: String,
        /// The engine's error.
        #[source]
        source: ApiError,
    },
    /// Reading the container's logs failed.
    #[error("failed to read the logs of container `{name}`")]
    Logs {
        /// The container's name.
        name: String,
        /// The engine's error.
        #[source]
        source: ApiError,
    },
    /// Removing the container failed.
    #[error("failed to remove container `{name}`")]
    Remove {
        /// The container's name.
        name: String,
        /// The engine's error.
        #[source]
        source: ApiError,
    },
    /// The container stayed in `removing` too long.
    #[error("container `{name}` is still being removed after {seconds}s")]
    RemovalTimeout {
        /// The container's name.
        name: String,
        /// The time waited.
        seconds: u64,
    },
    /// Waiting for the container's exit failed.
    #[error("failed to wait for container `{name}` to exit")]
    Wait {
        /// The container's name.
        name: String,
        /// The engine's error.
        #[source]
        source: ApiError,
    },
    /// Attaching to the container's streams failed.
    #[error("failed to attach to container `{name}`")]
    Attach {
        /// The container's name.
        name: String,
        /// The engine's error.
        #[source]
        source: ApiError,
    },
    /// Sending a signal to the container failed.
    #[error("failed to signal container `{name}`")]
    Kill {
        /// The container's name.
        name: String,
        /// The engine's error.
        #[source]
        source: ApiError,
    },
    /// Resizing the container's terminal failed.
    #[error("failed to resize the terminal of container `{name}`")]
    Resize {
        /// The container's name.
        name: String,
        /// The engine's error.
        #[source]
        source: ApiError,
    },
}

/// Why an image is missing, by the `--pull` policy in force.
fn missing_because(pull: crate::spec::PullPolicy) -> &'static str {
    match pull {
        crate::spec::PullPolicy::Never => " and `--pull=never` forbids pulling it",
        crate::spec::PullPolicy::Missing | crate::spec::PullPolicy::Always => {
            " (it was removed after the pull?)"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::PullPolicy;

    #[test]
    fn a_missing_image_blames_the_pull_policy_in_force() {
        let missing = |pull| {
            EngineError::ImageMissing {
                image: "img".into(),
                pull,
            }
            .to_string()
        };
        assert_eq!(
            missing(PullPolicy::Never),
            "image `img` is not present and `--pull=never` forbids pulling it"
        );
        for pull in [PullPolicy::Missing, PullPolicy::Always] {
            assert_eq!(
                missing(pull),
                "image `img` is not present (it was removed after the pull?)"
            );
        }
    }
}
