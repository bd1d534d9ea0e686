//! The Engine API version: the one a launch speaks first (`DOCKER_API_VERSION`, else what this
//! endpoint last demanded, else 1.41), the one an engine names when it refuses ours, and the
//! small per-endpoint cache that keeps the second from costing a round trip on every launch.
//!
//! The cache is one file per endpoint whose engine refused 1.41 (Docker 29 and later: floor
//! 1.44) in `$DOCKRUN_CACHE_DIR`, else `$XDG_CACHE_HOME/dockrun`, else `~/.cache/dockrun`, else
//! `/var/cache/dockrun`; it holds the version and the endpoint's address. An engine that changed
//! since refuses the cached version and names its own, which is spoken and written at once, so
//! dockrun follows it within the launch that meets it. The cache is a hint: unreadable,
//! unwritable or garbled, it is ignored (debug log), never an error.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tracing::debug;

use super::config::Env;
use super::error::ApiError;
use crate::env_vars;

/// An Engine API version, `major.minor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersion {
    /// Always 1 so far.
    pub major: u16,
    /// The minor version (41 for Docker 20.10, 44 for 25, 52 for 29).
    pub minor: u16,
}

/// The API version dockrun speaks unless told or refused: Docker 20.10's, understood by every
/// engine from 20.10 up to those that raised their minimum (which name the one they want), and
/// by podman's docker-compatible service.
pub const DEFAULT: ApiVersion = ApiVersion {
    major: 1,
    minor: 41,
};

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl ApiVersion {
    /// Parse `1.43` (a leading `v` is allowed, as in a request path); `None` for anything else.
    #[must_use]
    pub fn parse(text: &str) -> Option<ApiVersion> {
        let (major, minor) = text.trim().trim_start_matches('v').split_once('.')?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(major) || !digits(minor) {
            return None;
        }
        Some(ApiVersion {
            major: major.parse().ok()?,
            minor: minor.parse().ok()?,
        })
    }

    /// A `(major, minor)` pair as the spec writes versions (a part beyond `u16` saturates).
    #[must_use]
    pub fn of_pair((major, minor): (u32, u32)) -> ApiVersion {
        ApiVersion {
            major: u16::try_from(major).unwrap_or(u16::MAX),
            minor: u16::try_from(minor).unwrap_or(u16::MAX),
        }
    }

    /// The `(major, minor)` pair packed in one word (for [`Shared`]).
    fn packed(self) -> u32 {
        (u32::from(self.major) << 16) | u32::from(self.minor)
    }

    fn unpacked(word: u32) -> ApiVersion {
        ApiVersion {
            major: u16::try_from(word >> 16).unwrap_or(u16::MAX),
            minor: u16::try_from(word & 0xffff).unwrap_or(u16::MAX),
        }
    }
}

/// The version an engine names when it refuses ours ("client version 1.41 is too old. Minimum
/// supported API version is 1.44, …" or "… is too new. Maximum supported API version is 1.41"):
/// the last `N.N` in a 400 answer that speaks of the API version.
#[must_use]
pub fn demanded(err: &ApiError) -> Option<ApiVersion> {
    if err.status != Some(400) || !err.message.contains("API version") {
        return None;
    }
    err.message
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|word| ApiVersion::parse(word.trim_end_matches('.')))
        .next_back()
}

/// The version every request of one engine handle carries in its path, shared with the request
/// modifier of its bollard client, so switching it keeps the client and its open connection;
/// and the newest one the engine said it speaks, heard by the transport.
#[derive(Clone, Debug)]
pub struct Shared {
    speaking: Arc<AtomicU32>,
    /// The engine's `Api-Version` response header (0: not heard yet).
    heard: Arc<AtomicU32>,
}

impl Shared {
    /// Start at `version`.
    #[must_use]
    pub fn new(version: ApiVersion) -> Shared {
        Shared {
            speaking: Arc::new(AtomicU32::new(version.packed())),
            heard: Arc::new(AtomicU32::new(0)),
        }
    }

    /// The version spoken now.
    #[must_use]
    pub fn get(&self) -> ApiVersion {
        ApiVersion::unpacked(self.speaking.load(Ordering::Relaxed))
    }

    /// Speak `version` from the next request on.
    pub fn set(&self, version: ApiVersion) {
        self.speaking.store(version.packed(), Ordering::Relaxed);
    }

    /// An answer's `Api-Version` header: the newest version the engine speaks (Docker and
    /// podman put it on every answer, refusals included). Anything else is not remembered.
    pub fn hear(&self, header: &str) {
        if let Some(version) = ApiVersion::parse(header) {
            self.heard.store(version.packed(), Ordering::Relaxed);
        }
    }

    /// The newest version the engine said it speaks, once an answer has been heard.
    #[must_use]
    pub fn engine_newest(&self) -> Option<ApiVersion> {
        match self.heard.load(Ordering::Relaxed) {
            0 => None,
            word => Some(ApiVersion::unpacked(word)),
        }
    }
}

/// The cache file of one endpoint.
#[derive(Clone, Debug)]
pub struct Cache {
    file: PathBuf,
    host: String,
}

/// Where the cache lives, from the environment (see the module comment).
fn cache_dir(env: &dyn Env) -> PathBuf {
    let set = |name| env.get(name).map(PathBuf::from);
    set(env_vars::DOCKRUN_CACHE_DIR)
        .or_else(|| set(env_vars::XDG_CACHE_HOME).map(|d| d.join("dockrun")))
        .or_else(|| set(env_vars::HOME).map(|d| d.join(".cache").join("dockrun")))
        .unwrap_or_else(|| PathBuf::from("/var/cache/dockrun"))
}

impl Cache {
    /// The cache of the endpoint reached at `host` (`unix:///var/run/docker.sock`, …).
    #[must_use]
    pub fn for_host(host: &str, env: &dyn Env) -> Cache {
        Cache::in_dir(&cache_dir(env), host)
    }

    fn in_dir(dir: &Path, host: &str) -> Cache {
        let digest = hex::encode(Sha256::digest(host.as_bytes()));
        Cache {
            file: dir.join(format!("api-version-{}", &digest[..16])),
            host: host.to_owned(),
        }
    }

    /// The version this endpoint last demanded, if it ever refused the default.
    #[must_use]
    pub fn read(&self) -> Option<ApiVersion> {
        let text = std::fs::read_to_string(&self.file).ok()?;
        let (version, host) = text.strip_suffix('\n')?.split_once(' ')?;
        // A file for another address (a digest collision, a hand edit) is not this one's.
        if host != self.host {
            debug!(file = %self.file.display(), "API version cache names another endpoint; ignored");
            return None;
        }
        ApiVersion::parse(version)
    }

    /// Remember `version` for this endpoint (forget it when it is the default).
    pub fn write(&self, version: ApiVersion) {
        let result = if version == DEFAULT {
            match std::fs::remove_file(&self.file) {
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
                other => other,
            }
        } else {
            self.write_file(version)
        };
        if let Err(err) = result {
            debug!(file = %self.file.display(), %err, "API version cache not written");
        }
    }

    fn write_file(&self, version: ApiVersion) -> std::io::Result<()> {
        if let Some(dir) = self.file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        // Written aside and renamed, so a launch running at the same moment reads all or nothing.
        let aside = self
            .file
            .with_extension(format!("{}.tmp", std::process::id()));
        std::fs::write(&aside, format!("{version} {}\n", self.host))?;
        std::fs::rename(&aside, &self.file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(minor: u16) -> ApiVersion {
        ApiVersion { major: 1, minor }
    }

    #[test]
    fn versions_parse_strictly() {
        assert_eq!(ApiVersion::parse("1.44"), Some(v(44)));
        assert_eq!(ApiVersion::parse("v1.41"), Some(v(41)));
        assert_eq!(ApiVersion::parse(" 1.52\n"), Some(v(52)));
        for bad in [
            "garbage", "1", "1.", ".4", "1.4x", "1.-4", "+1.4", "1.44.1", "",
        ] {
            assert_eq!(ApiVersion::parse(bad), None, "{bad:?}");
        }
        assert!(v(41) < v(44));
        assert_eq!(v(44).to_string(), "1.44");
    }

    #[test]
    fn demanded_versions() {
        let too_old = ApiError {
            status: Some(400),
            message: "client version 1.41 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version".into(),
        };
        assert_eq!(demanded(&too_old), Some(v(44)));
        let too_new = ApiError {
            status: Some(400),
            message: "client version 1.53 is too new. Maximum supported API version is 1.41".into(),
        };
        assert_eq!(demanded(&too_new), Some(v(41)));
        assert!(demanded(&ApiError {
            status: Some(404),
            message: "API version 1.2".into()
        })
        .is_none());
    }

    #[test]
    fn shared_versions_switch_in_place() {
        let shared = Shared::new(DEFAULT);
        let seen_by_the_client = shared.clone();
        shared.set(v(44));
        assert_eq!(seen_by_the_client.get(), v(44));
    }

    #[test]
    fn cache_remembers_per_endpoint_and_forgets_the_default() {
        let dir = tempfile::tempdir().expect("tempdir");
        let one = Cache::in_dir(dir.path(), "unix:///a.sock");
        let other = Cache::in_dir(dir.path(), "tcp://127.0.0.1:2376");
        assert_eq!(one.read(), None);
        one.write(v(44));
        assert_eq!(one.read(), Some(v(44)));
        assert_eq!(other.read(), None);
        one.write(DEFAULT);
        assert_eq!(one.read(), None);
        one.write(DEFAULT); // nothing to remove: still fine
        std::fs::write(&other.file, "1.44 unix:///a.sock\n").expect("write");
        assert_eq!(other.read(), None, "a file naming another endpoint");
        std::fs::write(&other.file, "junk tcp://127.0.0.1:2376\n").expect("write");
        assert_eq!(other.read(), None, "garbled");
    }

    #[test]
    fn cache_directory_follows_the_environment() {
        use std::collections::HashMap;
        let env = |pairs: &[(&'static str, &str)]| -> HashMap<&'static str, String> {
            pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
        };
        assert_eq!(
            cache_dir(&env(&[("DOCKRUN_CACHE_DIR", "/c"), ("HOME", "/h")])),
            PathBuf::from("/c")
        );
        assert_eq!(
            cache_dir(&env(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/h")])),
            PathBuf::from("/x/dockrun")
        );
        assert_eq!(
            cache_dir(&env(&[("HOME", "/h")])),
            PathBuf::from("/h/.cache/dockrun")
        );
        assert_eq!(
            cache_dir(&env(&[("XDG_CACHE_HOME", "")])),
            PathBuf::from("/var/cache/dockrun")
        );
    }
}
