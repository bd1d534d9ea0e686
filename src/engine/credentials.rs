//! Registry credentials for a pull, found as the docker CLI finds them (`configfile.GetAuthConfig`):
//! the registry's `credHelpers` entry, else `credsStore`, each run as `docker-credential-<name>
//! get` (the server address on stdin, `{"ServerURL","Username","Secret"}` on stdout); else, or
//! when the helper has nothing for it, the `auths` entry of `config.json` (base64 `user:password`).
//!
//! Read only when pulling, never on the path that finds a running container. This module must not
//! talk to the engine; `engine.rs` hands what it finds to bollard.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use tracing::debug;

use super::config::{self, AuthEntry, AuthKeys, Env};
use crate::env_vars;

/// The key the docker CLI files Docker Hub's credentials under.
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// What a credential helper prints when it has nothing for a server.
const NOT_FOUND: &str = "credentials not found in native keychain";

/// The credentials for one registry, and where they came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    /// User name (`<token>` helpers' identity tokens are moved to `identity_token`).
    pub username: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// OAuth identity token.
    pub identity_token: Option<String>,
    /// Registry bearer token.
    pub registry_token: Option<String>,
    /// The server address they are filed under (sent to the engine as `serveraddress`).
    pub server: String,
}

/// Where a pull's credentials came from, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// No config directory, or nothing for this registry in it.
    Nothing {
        /// The `config.json` looked at, if any.
        config: Option<PathBuf>,
    },
    /// The `auths` entry of `config.json`.
    Auths {
        /// The file.
        config: PathBuf,
    },
    /// A credential helper.
    Helper {
        /// `docker-credential-<name>`.
        program: String,
    },
}

/// The outcome of a lookup: the registry, and its credentials if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    /// The registry's host name (`docker.io`, `127.0.0.1:5000`).
    pub registry: String,
    /// The credentials found.
    pub credentials: Option<Credentials>,
    /// Where they came from.
    pub source: Source,
}

impl fmt::Display for Lookup {
    /// How the pull authenticated: "as `user` (from …)" or "without credentials (…)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let from = match &self.source {
            Source::Nothing { config: Some(path) } => {
                return write!(
                    f,
                    "without credentials (none for it in `{}`)",
                    path.display()
                )
            }
            Source::Nothing { config: None } => {
                return f.write_str("without credentials (no docker config directory)")
            }
            Source::Auths { config } => format!("`auths` in `{}`", config.display()),
            Source::Helper { program } => format!("`{program}`"),
        };
        match &self.credentials {
            Some(Credentials {
                username: Some(user),
                ..
            }) => write!(f, "as `{user}` (from {from})"),
            _ => write!(f, "with a token (from {from})"),
        }
    }
}

/// A credential helper could not be run or gave an unusable answer.
#[derive(Debug, thiserror::Error)]
#[error("credential helper `{program}` failed for registry `{registry}`: {reason}")]
pub struct HelperError {
    /// `docker-credential-<name>`.
    pub program: String,
    /// The registry asked about.
    pub registry: String,
    /// What went wrong (the helper's own message when it gave one).
    pub reason: String,
}

/// Why the credentials could not be looked up.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// `config.json` is unreadable.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// A helper failed.
    #[error(transparent)]
    Helper(#[from] HelperError),
    /// An `auths` entry's `auth` is not base64 of `user:password`.
    #[error("the `auths` entry for `{key}` in `{path}` is not base64 of `user:password`")]
    BadAuth {
        /// The entry's key.
        key: String,
        /// The file.
        path: PathBuf,
    },
}

/// The registry an image reference pulls from, as the docker CLI names it: the first path
/// component when it looks like a host (has `.` or `:`, or is `localhost`), else `docker.io`.
#[must_use]
pub fn registry_of(image: &str) -> String {
    match image.split_once('/') {
        Some((first, _))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            if first == "index.docker.io" {
                "docker.io".to_owned()
            } else {
                first.to_owned()
            }
        }
        _ => "docker.io".to_owned(),
    }
}

/// The key credentials are filed under for `registry` (Docker Hub has its historical URL).
fn config_key(registry: &str) -> &str {
    if registry == "docker.io" {
        DOCKER_HUB_KEY
    } else {
        registry
    }
}

/// Whether the docker configuration may hold registry credentials (`auths` entries or a
/// helper), which `docker run --use-api-socket` would copy into the container.
///
/// # Errors
/// An unreadable `config.json`.
pub fn any_configured(env: &dyn Env) -> Result<bool, CredentialError> {
    let Some(dir) = config::config_dir(env) else {
        return Ok(false);
    };
    let keys: AuthKeys = config::load(&dir)?;
    Ok(!keys.auths.is_empty()
        || keys.creds_store.as_deref().is_some_and(|s| !s.is_empty())
        || !keys.cred_helpers.is_empty())
}

/// Find the credentials the docker CLI would send to `registry`.
///
/// # Errors
/// An unreadable `config.json`, a helper that cannot be run or fails (other than "not found"),
/// or an `auths` entry that does not decode.
pub async fn lookup(env: &dyn Env, registry: &str) -> Result<Lookup, CredentialError> {
    let Some(dir) = config::config_dir(env) else {
        return Ok(Lookup {
            registry: registry.to_owned(),
            credentials: None,
            source: Source::Nothing { config: None },
        });
    };
    let keys: AuthKeys = config::load(&dir)?;
    let path = dir.join("config.json");
    let key = config_key(registry);
    let helper = keys
        .cred_helpers
        .get(key)
        .or(keys.creds_store.as_ref())
        .filter(|h| !h.is_empty());
    if let Some(helper) = helper {
        let program = format!("docker-credential-{helper}");
        let limit = helper_limit(env).map_err(|reason| HelperError {
            program: program.clone(),
            registry: registry.to_owned(),
            reason,
        })?;
        if let Some(credentials) = run_helper(&program, registry, key, limit).await? {
            debug!(%registry, %program, "credentials from helper");
            return Ok(Lookup {
                registry: registry.to_owned(),
                credentials: Some(credentials),
                source: Source::Helper { program },
            });
        }
        debug!(%registry, %program, "helper has no credentials; trying auths");
    }
    let entry = keys
        .auths
        .get(key)
        .map(|e| (key.to_owned(), e))
        .or_else(|| {
            // Entries written as URLs (`https://host/v1/`) still match their host, as in the CLI.
            keys.auths
                .iter()
                .find(|(k, _)| hostname_of(k) == key || hostname_of(k) == hostname_of(key))
                .map(|(k, e)| (k.clone(), e))
        });
    let credentials = match entry {
        Some((entry_key, entry)) => from_auth_entry(&entry_key, entry, &path, key)?,
        None => None,
    };
    let source = if credentials.is_some() {
        debug!(%registry, "credentials from auths");
        Source::Auths { config: path }
    } else {
        Source::Nothing { config: Some(path) }
    };
    Ok(Lookup {
        registry: registry.to_owned(),
        credentials,
        source,
    })
}

/// The CLI's `ConvertToHostname`: drop the scheme and any path.
fn hostname_of(key: &str) -> &str {
    let rest = key.split_once("://").map_or(key, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

/// An `auths` entry → credentials; `None` when it holds nothing usable (e.g. only an email, as
/// the CLI leaves behind when a helper stores the secret).
fn from_auth_entry(
    entry_key: &str,
    entry: &AuthEntry,
    path: &Path,
    server: &str,
) -> Result<Option<Credentials>, CredentialError> {
    let mut credentials = Credentials {
        username: entry.username.clone().filter(|u| !u.is_empty()),
        password: entry.password.clone().filter(|p| !p.is_empty()),
        identity_token: entry.identitytoken.clone().filter(|t| !t.is_empty()),
        registry_token: entry.registrytoken.clone().filter(|t| !t.is_empty()),
        server: server.to_owned(),
    };
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let bad = || CredentialError::BadAuth {
            key: entry_key.to_owned(),
            path: path.to_owned(),
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| bad())?;
        let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
        let (user, password) = decoded.split_once(':').ok_or_else(bad)?;
        credentials.username = Some(user.to_owned());
        credentials.password = Some(password.to_owned());
    }
    let empty = credentials.username.is_none()
        && credentials.identity_token.is_none()
        && credentials.registry_token.is_none();
    Ok((!empty).then_some(credentials))
}

/// A helper's answer to `get`.
#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// How long a credential helper may take unless `DOCKRUN_CREDENTIAL_HELPER_TIMEOUT` says.
const HELPER_LIMIT: Duration = Duration::from_secs(30);

/// The helper's time limit: `DOCKRUN_CREDENTIAL_HELPER_TIMEOUT` seconds, else [`HELPER_LIMIT`].
fn helper_limit(env: &dyn Env) -> Result<Duration, String> {
    match env.get(env_vars::DOCKRUN_CREDENTIAL_HELPER_TIMEOUT) {
        None => Ok(HELPER_LIMIT),
        Some(text) => text
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|s| *s > 0)
            .map(Duration::from_secs)
            .ok_or_else(|| {
                format!(
                    "`{}` is `{text}`, not a number of seconds",
                    env_vars::DOCKRUN_CREDENTIAL_HELPER_TIMEOUT
                )
            }),
    }
}

/// `PROGRAM get` with `server` on stdin, killed when it takes longer than `limit`; `None` when
/// the helper has nothing for it.
async fn run_helper(
    program: &str,
    registry: &str,
    server: &str,
    limit: Duration,
) -> Result<Option<Credentials>, HelperError> {
    let fail = |reason: String| HelperError {
        program: program.to_owned(),
        registry: registry.to_owned(),
        reason,
    };
    let mut child = tokio::process::Command::new(program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| fail(format!("cannot run it: {err}")))?;
    let stdin = child.stdin.take();
    let exchange = async {
        if let Some(mut stdin) = stdin {
            stdin
                .write_all(server.as_bytes())
                .await
                .map_err(|err| fail(format!("cannot write to it: {err}")))?;
            // Dropping stdin closes it: the helper reads to EOF.
        }
        child
            .wait_with_output()
            .await
            .map_err(|err| fail(err.to_string()))
    };
    // On time out the future, and with it the child (`kill_on_drop`), is dropped: killed.
    let output = tokio::time::timeout(limit, exchange).await.map_err(|_| {
        fail(format!(
            "it did not answer within {limit:?} (killed; `{}` sets the limit in seconds)",
            env_vars::DOCKRUN_CREDENTIAL_HELPER_TIMEOUT
        ))
    })??;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let message = stdout.trim();
        if message == NOT_FOUND {
            return Ok(None);
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message = if message.is_empty() {
            stderr.trim()
        } else {
            message
        };
        return Err(fail(format!("{} ({})", message, output.status)));
    }
    let answer: HelperAnswer = serde_json::from_str(&stdout).map_err(|err| {
        fail(format!(
            "its answer is not the helper protocol's JSON: {err}"
        ))
    })?;
    // A helper returns an identity token as user `<token>` (docker-credential-helpers).
    let credentials = if answer.username == "<token>" {
        Credentials {
            identity_token: Some(answer.secret),
            server: server.to_owned(),
            ..Credentials::default()
        }
    } else {
        Credentials {
            username: Some(answer.username),
            password: Some(answer.secret),
            server: server.to_owned(),
            ..Credentials::default()
        }
    };
    Ok(Some(credentials))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::env_vars;

    #[test]
    fn registries_of_references() {
        for (image, registry) in [
            ("busybox", "docker.io"),
            ("library/busybox:1", "docker.io"),
            ("me/app", "docker.io"),
            ("index.docker.io/me/app", "docker.io"),
            ("ghcr.io/me/app:1", "ghcr.io"),
            ("127.0.0.1:5000/x:1", "127.0.0.1:5000"),
            ("localhost/x", "localhost"),
            ("registry:5000/x@sha256:ab", "registry:5000"),
        ] {
            assert_eq!(registry_of(image), registry, "{image}");
        }
    }

    fn dir_with(config: &str) -> (tempfile::TempDir, HashMap<&'static str, String>) {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("config.json"), config).expect("write");
        let env = HashMap::from([(env_vars::DOCKER_CONFIG, dir.path().display().to_string())]);
        (dir, env)
    }

    #[tokio::test]
    async fn auths_entries_decode() {
        // base64("bob:s3:cret")
        let (dir, env) = dir_with(
            r#"{"auths":{"r:5000":{"auth":"Ym9iOnMzOmNyZXQ="},"https://index.docker.io/v1/":{"auth":"aHViOnB3"},"https://old.example/v1/":{"username":"o","password":"p"}}}"#,
        );
        let found = lookup(&env, "r:5000").await.expect("looks up");
        let creds = found.credentials.clone().expect("found");
        assert_eq!(
            (creds.username.as_deref(), creds.password.as_deref()),
            (Some("bob"), Some("s3:cret"))
        );
        assert_eq!(
            found.to_string(),
            format!(
                "as `bob` (from `auths` in `{}`)",
                dir.path().join("config.json").display()
            )
        );
        let hub = lookup(&env, "docker.io").await.expect("looks up");
        assert_eq!(hub.credentials.expect("hub").server, DOCKER_HUB_KEY);
        let old = lookup(&env, "old.example").await.expect("looks up");
        assert_eq!(
            old.credentials.expect("by host").username.as_deref(),
            Some("o")
        );
        let none = lookup(&env, "else:1").await.expect("looks up");
        assert!(none.credentials.is_none());
        assert!(
            none.to_string().starts_with("without credentials"),
            "{none}"
        );
    }

    #[tokio::test]
    async fn bad_auth_is_an_error_naming_the_entry() {
        let (_dir, env) = dir_with(r#"{"auths":{"r:1":{"auth":"!!!"}}}"#);
        let err = lookup(&env, "r:1").await.expect_err("bad base64");
        assert!(err.to_string().contains("`r:1`"), "{err}");
    }

    /// A helper that never answers is killed at the limit, and the error says so.
    #[tokio::test]
    async fn helper_that_hangs_is_killed_at_the_limit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let script = dir.path().join("helper");
        std::fs::write(&script, "#!/bin/sh\nexec sleep 600\n").expect("script");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let program = script.display().to_string();
        let started = std::time::Instant::now();
        let err = run_helper(&program, "r:1", "r:1", Duration::from_millis(300))
            .await
            .expect_err("times out");
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(
            err.to_string().contains("did not answer within 300ms"),
            "{err}"
        );
        let env = HashMap::from([("DOCKRUN_CREDENTIAL_HELPER_TIMEOUT", "soon".to_owned())]);
        assert!(helper_limit(&env)
            .expect_err("no number")
            .contains("`soon`"));
        let env = HashMap::from([("DOCKRUN_CREDENTIAL_HELPER_TIMEOUT", "5".to_owned())]);
        assert_eq!(helper_limit(&env), Ok(Duration::from_secs(5)));
    }

    /// A helper script speaking the protocol, run by its path (the engine tests put one on
    /// `PATH` and name it in `credsStore` / `credHelpers`).
    #[tokio::test]
    async fn helper_protocol() {
        let dir = tempfile::tempdir().expect("tempdir");
        let script = dir.path().join("helper");
        std::fs::write(
            &script,
            "#!/bin/sh\n[ \"$1\" = get ] || exit 3\nread -r server || true\ncase \"$server\" in\n  r:1) echo '{\"ServerURL\":\"r:1\",\"Username\":\"amy\",\"Secret\":\"pw\"}' ;;\n  t:1) echo '{\"ServerURL\":\"t:1\",\"Username\":\"<token>\",\"Secret\":\"tok\"}' ;;\n  boom:1) echo 'the keychain is locked'; exit 1 ;;\n  *) echo 'credentials not found in native keychain'; exit 1 ;;\nesac\n",
        )
        .expect("script");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let program = script.display().to_string();

        let creds = run_helper(&program, "r:1", "r:1", HELPER_LIMIT)
            .await
            .expect("runs")
            .expect("found");
        assert_eq!(
            (creds.username.as_deref(), creds.password.as_deref()),
            (Some("amy"), Some("pw"))
        );
        let token = run_helper(&program, "t:1", "t:1", HELPER_LIMIT)
            .await
            .expect("runs")
            .expect("found");
        assert_eq!(
            (token.username, token.identity_token.as_deref()),
            (None, Some("tok"))
        );
        assert!(run_helper(&program, "n:1", "n:1", HELPER_LIMIT)
            .await
            .expect("runs")
            .is_none());
        let err = run_helper(&program, "boom:1", "boom:1", HELPER_LIMIT)
            .await
            .expect_err("fails");
        assert!(err.to_string().contains("the keychain is locked"), "{err}");
        let err = run_helper(
            "docker-credential-dockrun-none-such",
            "x",
            "x",
            HELPER_LIMIT,
        )
        .await
        .expect_err("missing");
        assert!(err.to_string().contains("cannot run it"), "{err}");
    }
}
