//! The docker CLI's configuration directory and `config.json`, read the way the CLI reads them:
//! where they are (`DOCKER_CONFIG`, else `~/.docker`) and the few keys dockrun uses
//! (`currentContext` to find the engine; `auths`, `credsStore` and `credHelpers` to pull).
//!
//! Each caller deserializes only the keys it needs, so finding the engine never decodes
//! credentials. This module must not connect anywhere, run credential helpers or use bollard.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::env_vars;

/// A way to read the environment (`std::env::var` in the binary, a map in unit tests).
/// Empty values count as unset, as `os.Getenv(..) != ""` does in the docker CLI.
pub trait Env {
    /// The variable's value, `None` when unset or empty.
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Env for HashMap<&str, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).filter(|v| !v.is_empty()).cloned()
    }
}

/// The docker CLI's configuration directory: `DOCKER_CONFIG`, else `$HOME/.docker`.
/// `None` when neither is set (no home: nothing to read).
#[must_use]
pub fn config_dir(env: &dyn Env) -> Option<PathBuf> {
    env.get(env_vars::DOCKER_CONFIG)
        .map(PathBuf::from)
        .or_else(|| {
            env.get(env_vars::HOME)
                .map(|h| Path::new(&h).join(".docker"))
        })
}

/// `config.json` could not be read or parsed.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the docker CLI configuration `{path}`: {reason}")]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub reason: String,
}

/// Read the keys `T` declares from `DIR/config.json`; `T::default()` when there is no file.
///
/// # Errors
/// The file exists but cannot be read, or is not the JSON `T` expects.
pub fn load<T: DeserializeOwned + Default>(dir: &Path) -> Result<T, ConfigError> {
    let path = dir.join("config.json");
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(T::default()),
        Err(err) => {
            return Err(ConfigError {
                path,
                reason: err.to_string(),
            })
        }
    };
    serde_json::from_slice(&text).map_err(|err| ConfigError {
        path,
        reason: err.to_string(),
    })
}

/// The one key needed to find the engine.
#[derive(Debug, Default, Deserialize)]
pub struct ContextKey {
    /// The context `docker context use` selected.
    #[serde(rename = "currentContext", default)]
    pub current_context: Option<String>,
}

/// The keys needed to authenticate a pull.
#[derive(Debug, Default, Deserialize)]
pub struct AuthKeys {
    /// Stored credentials by registry (`docker login` without a helper).
    #[serde(default)]
    pub auths: HashMap<String, AuthEntry>,
    /// The helper that stores every registry's credentials (`docker-credential-<name>`).
    #[serde(rename = "credsStore", default)]
    pub creds_store: Option<String>,
    /// Helpers for particular registries, overriding `credsStore`.
    #[serde(rename = "credHelpers", default)]
    pub cred_helpers: HashMap<String, String>,
}

/// One entry of `auths`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AuthEntry {
    /// base64 of `user:password`.
    #[serde(default)]
    pub auth: Option<String>,
    /// Plain user name (older files).
    #[serde(default)]
    pub username: Option<String>,
    /// Plain password (older files).
    #[serde(default)]
    pub password: Option<String>,
    /// An OAuth identity token.
    #[serde(default)]
    pub identitytoken: Option<String>,
    /// A registry bearer token.
    #[serde(default)]
    pub registrytoken: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_prefers_docker_config() {
        let env = HashMap::from([
            (env_vars::HOME, "/home/u".to_owned()),
            (env_vars::DOCKER_CONFIG, "/etc/dc".to_owned()),
        ]);
        assert_eq!(config_dir(&env), Some(PathBuf::from("/etc/dc")));
        let env = HashMap::from([
            (env_vars::HOME, "/home/u".to_owned()),
            (env_vars::DOCKER_CONFIG, String::new()),
        ]);
        assert_eq!(config_dir(&env), Some(PathBuf::from("/home/u/.docker")));
        assert_eq!(config_dir(&HashMap::new()), None);
    }

    #[test]
    fn missing_file_is_default_and_bad_json_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key: ContextKey = load(dir.path()).expect("absent is fine");
        assert_eq!(key.current_context, None);
        std::fs::write(dir.path().join("config.json"), "{nope").expect("write");
        let err = load::<ContextKey>(dir.path()).expect_err("bad json");
        assert!(err.to_string().contains("config.json"), "{err}");
    }

    #[test]
    fn reads_only_what_it_declares() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"currentContext":"remote","auths":{"r:5000":{"auth":"dTpw"}},
               "credsStore":"pass","credHelpers":{"gcr.io":"gcloud"},"psFormat":"x"}"#,
        )
        .expect("write");
        let key: ContextKey = load(dir.path()).expect("parses");
        assert_eq!(key.current_context.as_deref(), Some("remote"));
        let auth: AuthKeys = load(dir.path()).expect("parses");
        assert_eq!(auth.auths["r:5000"].auth.as_deref(), Some("dTpw"));
        assert_eq!(auth.creds_store.as_deref(), Some("pass"));
        assert_eq!(auth.cred_helpers["gcr.io"], "gcloud");
    }
}
