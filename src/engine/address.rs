//! Where the engine is, found the way the docker CLI finds it, as plain data (`Endpoint`).
//!
//! The order (docker CLI `resolveContextName` and `resolveDockerEndpoint`):
//! 1. `DOCKER_HOST` (`-H` is not a `docker run` flag, so the variable is the first word), with TLS
//!    when `DOCKER_TLS_VERIFY` is non-empty, from `DOCKER_CERT_PATH` (default: the config dir);
//! 2. the context named by `DOCKER_CONTEXT`, else `currentContext` in `config.json`: its
//!    `contexts/meta/<sha256 of name>/meta.json`, and TLS files in `contexts/tls/<same>/docker/`;
//! 3. the default socket.
//!
//! The context `default` is the CLI's name for "no context". This module reads files but must not
//! connect, negotiate or use bollard: `engine.rs` builds the client from the `Endpoint`.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use tracing::{debug, warn};

use super::config::{self, ContextKey, Env};
use crate::env_vars;

/// The default engine address, as the docker CLI uses it on Linux.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// The CLI's name for "no context: `DOCKER_HOST` or the default socket".
const DEFAULT_CONTEXT: &str = "default";

/// Where to reach the engine, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `unix:///path`, `tcp://host:port` or `ssh://[user@]host[:port]`.
    pub host: String,
    /// Client certificate, key and CA for a TLS connection; `None` for plain HTTP or a socket.
    pub tls: Option<TlsFiles>,
    /// What named this endpoint.
    pub origin: Origin,
}

/// The three PEM files of a docker TLS setup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// The CA the engine's certificate must chain to (`ca.pem`).
    pub ca: PathBuf,
    /// The client certificate (`cert.pem`; optional on the engine's side).
    pub cert: PathBuf,
    /// The client key (`key.pem`).
    pub key: PathBuf,
}

impl TlsFiles {
    /// `ca.pem`, `cert.pem` and `key.pem` in `dir`.
    fn in_dir(dir: &Path) -> TlsFiles {
        TlsFiles {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        }
    }
}

/// What named the endpoint, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The `DOCKER_HOST` variable.
    DockerHost,
    /// A docker context, and what selected it.
    Context {
        /// The context's name.
        name: String,
        /// `DOCKER_CONTEXT`, or `currentContext` in `config.json`.
        selected_by: &'static str,
    },
    /// Nothing: the default socket.
    Default,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.host)?;
        if self.tls.is_some() {
            f.write_str(" over TLS")?;
        }
        match &self.origin {
            Origin::DockerHost => f.write_str(" (from `DOCKER_HOST`)"),
            Origin::Context { name, selected_by } => {
                write!(f, " (context `{name}` from {selected_by})")
            }
            Origin::Default => Ok(()),
        }
    }
}

/// Why the engine's address could not be worked out.
#[derive(Debug, thiserror::Error)]
pub enum AddressError {
    /// The address has a scheme dockrun cannot use.
    #[error("unsupported engine address `{host}` ({origin}): use unix:///path, tcp://host:port or ssh://[user@]host")]
    BadHost {
        /// The address as given.
        host: String,
        /// Where it came from.
        origin: String,
    },
    /// An `ssh://` address with a port: bollard's ssh transport would hand `host:port` to ssh as
    /// a host name, so it is refused rather than failing obscurely.
    #[error("engine address `{host}` ({origin}) has an ssh port, which dockrun cannot pass to ssh: give the host a `Port` in ~/.ssh/config (`Host box` / `HostName …` / `Port …`) and use `ssh://[user@]box`")]
    SshPort {
        /// The address as given.
        host: String,
        /// Where it came from.
        origin: String,
    },
    /// The named context has no metadata file.
    #[error("context `{name}` (from {selected_by}) not found: `{path}` does not exist")]
    ContextNotFound {
        /// The context's name.
        name: String,
        /// `DOCKER_CONTEXT` or `currentContext`.
        selected_by: &'static str,
        /// The metadata file looked for.
        path: PathBuf,
    },
    /// The context's metadata could not be read.
    #[error("cannot read context `{name}` from `{path}`: {reason}")]
    ContextUnreadable {
        /// The context's name.
        name: String,
        /// The metadata file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The context has no docker endpoint.
    #[error("context `{name}` has no docker endpoint (`Endpoints.docker.Host` in `{path}`)")]
    NoDockerEndpoint {
        /// The context's name.
        name: String,
        /// The metadata file.
        path: PathBuf,
    },
    /// The context asks for TLS without verifying the engine's certificate.
    #[error("context `{name}` sets `SkipTLSVerify`: dockrun only talks TLS to engines whose certificate it can verify")]
    SkipTlsVerify {
        /// The context's name.
        name: String,
    },
    /// TLS is on but the CA file is missing.
    #[error("TLS is on for `{host}` ({origin}) but the CA file `{path}` is missing")]
    TlsFileMissing {
        /// The address.
        host: String,
        /// Where TLS was asked for.
        origin: String,
        /// The missing file.
        path: PathBuf,
    },
    /// The docker context directory needs a home or `DOCKER_CONFIG`.
    #[error("context `{name}` (from {selected_by}) cannot be looked up: neither `DOCKER_CONFIG` nor `HOME` is set")]
    NoConfigDir {
        /// The context's name.
        name: String,
        /// `DOCKER_CONTEXT`.
        selected_by: &'static str,
    },
}

/// `meta.json` of a context: only what dockrun uses.
#[derive(Deserialize)]
struct ContextMeta {
    #[serde(rename = "Endpoints", default)]
    endpoints: ContextEndpoints,
}

#[derive(Default, Deserialize)]
struct ContextEndpoints {
    docker: Option<DockerEndpointMeta>,
}

#[derive(Deserialize)]
struct DockerEndpointMeta {
    #[serde(rename = "Host")]
    host: Option<String>,
    #[serde(rename = "SkipTLSVerify", default)]
    skip_tls_verify: bool,
}

/// The directory name the CLI's context store uses for a context: the hex SHA-256 of its name.
#[must_use]
pub fn context_dir_name(name: &str) -> String {
    hex::encode(Sha256::digest(name.as_bytes()))
}

/// Find the engine as the docker CLI would, reading `env` and the config directory.
///
/// # Errors
/// A `DOCKER_HOST` or context address dockrun cannot use, a named context that does not exist or
/// cannot be read, or TLS asked for without its CA file.
pub fn resolve(env: &dyn Env) -> Result<Endpoint, AddressError> {
    if let Some(host) = env.get(env_vars::DOCKER_HOST) {
        return from_docker_host(env, &host);
    }
    let config_dir = config::config_dir(env);
    let (name, selected_by) = if let Some(name) = env.get(env_vars::DOCKER_CONTEXT) {
        (name, "`DOCKER_CONTEXT`")
    } else {
        let current = match &config_dir {
            // The CLI warns about a broken config.json and goes on with defaults; so does dockrun.
            Some(dir) => config::load::<ContextKey>(dir).unwrap_or_else(|err| {
                warn!("{err}; ignoring it");
                ContextKey::default()
            }),
            None => ContextKey::default(),
        };
        match current.current_context.filter(|c| !c.is_empty()) {
            Some(name) => (name, "`currentContext` in config.json"),
            None => return Ok(default_endpoint()),
        }
    };
    if name == DEFAULT_CONTEXT {
        return Ok(default_endpoint());
    }
    let Some(dir) = config_dir else {
        return Err(AddressError::NoConfigDir { name, selected_by });
    };
    from_context(&dir, name, selected_by)
}

/// The default socket.
fn default_endpoint() -> Endpoint {
    Endpoint {
        host: DEFAULT_HOST.to_owned(),
        tls: None,
        origin: Origin::Default,
    }
}

/// `DOCKER_HOST`, with TLS from `DOCKER_TLS_VERIFY` / `DOCKER_CERT_PATH`.
fn from_docker_host(env: &dyn Env, raw: &str) -> Result<Endpoint, AddressError> {
    let origin = "from `DOCKER_HOST`";
    let tls_on = env.get(env_vars::DOCKER_TLS_VERIFY).is_some();
    let host = normalize_host(raw, tls_on, origin)?;
    let tls = if tls_on && is_tcp(&host) {
        let dir = env
            .get(env_vars::DOCKER_CERT_PATH)
            .map(PathBuf::from)
            .or_else(|| config::config_dir(env))
            .unwrap_or_default();
        Some(checked_tls(
            &host,
            TlsFiles::in_dir(&dir),
            "`DOCKER_TLS_VERIFY`",
        )?)
    } else {
        None
    };
    debug!(%host, tls = tls.is_some(), "engine from DOCKER_HOST");
    Ok(Endpoint {
        host,
        tls,
        origin: Origin::DockerHost,
    })
}

/// A named context from the CLI's context store under `dir`.
fn from_context(
    dir: &Path,
    name: String,
    selected_by: &'static str,
) -> Result<Endpoint, AddressError> {
    let id = context_dir_name(&name);
    let path = dir
        .join("contexts")
        .join("meta")
        .join(&id)
        .join("meta.json");
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(AddressError::ContextNotFound {
                name,
                selected_by,
                path,
            })
        }
        Err(err) => {
            return Err(AddressError::ContextUnreadable {
                name,
                path,
                reason: err.to_string(),
            })
        }
    };
    let meta: ContextMeta =
        serde_json::from_slice(&text).map_err(|err| AddressError::ContextUnreadable {
            name: name.clone(),
            path: path.clone(),
            reason: err.to_string(),
        })?;
    let Some(docker) = meta.endpoints.docker else {
        return Err(AddressError::NoDockerEndpoint { name, path });
    };
    let Some(raw) = docker.host.filter(|h| !h.is_empty()) else {
        return Err(AddressError::NoDockerEndpoint { name, path });
    };
    let tls_dir = dir.join("contexts").join("tls").join(&id).join("docker");
    let has_tls = tls_dir.is_dir();
    let origin = format!("context `{name}`");
    let host = normalize_host(&raw, has_tls, &origin)?;
    let tls = if !is_tcp(&host) {
        None
    } else if docker.skip_tls_verify {
        return Err(AddressError::SkipTlsVerify { name });
    } else if has_tls {
        Some(checked_tls(&host, TlsFiles::in_dir(&tls_dir), &origin)?)
    } else {
        None
    };
    debug!(context = %name, %host, tls = tls.is_some(), "engine from context");
    Ok(Endpoint {
        host,
        tls,
        origin: Origin::Context { name, selected_by },
    })
}

/// TLS needs at least the CA (bollard verifies against it; the client pair is optional).
fn checked_tls(host: &str, files: TlsFiles, origin: &str) -> Result<TlsFiles, AddressError> {
    if files.ca.is_file() {
        Ok(files)
    } else {
        Err(AddressError::TlsFileMissing {
            host: host.to_owned(),
            origin: origin.to_owned(),
            path: files.ca,
        })
    }
}

fn is_tcp(host: &str) -> bool {
    host.starts_with("tcp://")
}

/// The docker CLI's host rules (`opts.ParseHost`): no scheme means `tcp://`; `unix://` alone is
/// the default socket; a `tcp://` address without a port gets 2376 with TLS, else 2375.
fn normalize_host(raw: &str, tls: bool, origin: &str) -> Result<String, AddressError> {
    let raw = raw.trim();
    let bad = || AddressError::BadHost {
        host: raw.to_owned(),
        origin: origin.to_owned(),
    };
    let (scheme, rest) = raw.split_once("://").unwrap_or(("tcp", raw));
    match scheme {
        "unix" if rest.is_empty() => Ok(DEFAULT_HOST.to_owned()),
        "unix" => Ok(format!("unix://{rest}")),
        "ssh" if !rest.is_empty() => {
            let authority = rest.split('/').next().unwrap_or(rest);
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            if host
                .rsplit_once(':')
                .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
            {
                return Err(AddressError::SshPort {
                    host: raw.to_owned(),
                    origin: origin.to_owned(),
                });
            }
            Ok(raw.to_owned())
        }
        "tcp" | "http" => {
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            if !path.is_empty() {
                // The CLI allows a base path; bollard does not: refuse rather than drop it.
                return Err(bad());
            }
            let default_port = if tls { 2376 } else { 2375 };
            let has_port = match authority.rsplit_once(':') {
                Some((_, port)) => !authority.ends_with(']') && port.parse::<u16>().is_ok(),
                None => false,
            };
            let authority = match authority {
                "" => format!("localhost:{default_port}"),
                a if a.starts_with(':') => format!("localhost{a}"),
                a if has_port => a.to_owned(),
                a => format!("{a}:{default_port}"),
            };
            Ok(format!("tcp://{authority}"))
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&'static str, &str)]) -> HashMap<&'static str, String> {
        pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
    }

    fn write_context(dir: &Path, name: &str, host: &str, skip: bool, tls: bool) {
        let id = context_dir_name(name);
        let meta = dir.join("contexts/meta").join(&id);
        std::fs::create_dir_all(&meta).expect("mkdir");
        std::fs::write(
            meta.join("meta.json"),
            format!(
                r#"{{"Name":"{name}","Metadata":{{}},"Endpoints":{{"docker":{{"Host":"{host}","SkipTLSVerify":{skip}}}}}}}"#
            ),
        )
        .expect("write meta");
        if tls {
            let tls = dir.join("contexts/tls").join(&id).join("docker");
            std::fs::create_dir_all(&tls).expect("mkdir tls");
            std::fs::write(tls.join("ca.pem"), "x").expect("ca");
        }
    }

    #[test]
    fn context_dir_is_sha256_of_the_name() {
        // `printf default | sha256sum`
        assert_eq!(
            context_dir_name("default"),
            "37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f"
        );
    }

    #[test]
    fn nothing_set_is_the_default_socket() {
        let e = resolve(&env(&[])).expect("resolves");
        assert_eq!(e, default_endpoint());
        assert_eq!(e.to_string(), "`unix:///var/run/docker.sock`");
    }

    #[test]
    fn docker_host_forms() {
        for (raw, tls, want) in [
            ("unix:///run/x.sock", false, "unix:///run/x.sock"),
            ("unix://", false, DEFAULT_HOST),
            ("tcp://10.0.0.1:2375", false, "tcp://10.0.0.1:2375"),
            ("tcp://box", false, "tcp://box:2375"),
            ("tcp://box", true, "tcp://box:2376"),
            ("tcp://:4000", false, "tcp://localhost:4000"),
            ("box:4000", false, "tcp://box:4000"),
            ("http://box:1", false, "tcp://box:1"),
            ("tcp://[::1]:9", false, "tcp://[::1]:9"),
            ("ssh://me@box", false, "ssh://me@box"),
        ] {
            assert_eq!(normalize_host(raw, tls, "t").expect(raw), want, "{raw}");
        }
        for raw in [
            "npipe:////./pipe/x",
            "fd://",
            "tcp://box:1/base",
            "ssh://",
            "ssh://me@box:2222",
        ] {
            assert!(normalize_host(raw, false, "t").is_err(), "{raw}");
        }
        let err = normalize_host("ssh://box:22", false, "from `DOCKER_HOST`").expect_err("port");
        assert!(err.to_string().contains("~/.ssh/config"), "{err}");
    }

    #[test]
    fn docker_host_wins_over_contexts_and_takes_tls_from_env() {
        let certs = tempfile::tempdir().expect("tempdir");
        std::fs::write(certs.path().join("ca.pem"), "x").expect("ca");
        let cert_path = certs.path().display().to_string();
        let e = resolve(&env(&[
            (env_vars::DOCKER_HOST, "tcp://h"),
            (env_vars::DOCKER_CONTEXT, "nope"),
            (env_vars::DOCKER_TLS_VERIFY, "1"),
            (env_vars::DOCKER_CERT_PATH, &cert_path),
        ]))
        .expect("resolves");
        assert_eq!(e.host, "tcp://h:2376");
        assert_eq!(e.tls, Some(TlsFiles::in_dir(certs.path())));
        assert_eq!(
            e.to_string(),
            "`tcp://h:2376` over TLS (from `DOCKER_HOST`)"
        );
        // Without DOCKER_TLS_VERIFY a cert path alone does not turn TLS on (as in the CLI).
        let e = resolve(&env(&[
            (env_vars::DOCKER_HOST, "tcp://h"),
            (env_vars::DOCKER_CERT_PATH, &cert_path),
        ]))
        .expect("resolves");
        assert_eq!((e.host.as_str(), e.tls), ("tcp://h:2375", None));
    }

    #[test]
    fn tls_without_ca_is_an_error_naming_the_file() {
        let empty = tempfile::tempdir().expect("tempdir");
        let err = resolve(&env(&[
            (env_vars::DOCKER_HOST, "tcp://h:1"),
            (env_vars::DOCKER_TLS_VERIFY, "1"),
            (
                env_vars::DOCKER_CERT_PATH,
                &empty.path().display().to_string(),
            ),
        ]))
        .expect_err("no ca.pem");
        assert!(err.to_string().contains("ca.pem"), "{err}");
    }

    #[test]
    fn docker_context_then_current_context() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().display().to_string();
        write_context(dir.path(), "remote", "tcp://r:1", false, true);
        write_context(dir.path(), "other", "unix:///o.sock", false, false);
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"currentContext":"other"}"#,
        )
        .expect("config");

        let e = resolve(&env(&[
            (env_vars::DOCKER_CONFIG, &config),
            (env_vars::DOCKER_CONTEXT, "remote"),
        ]))
        .expect("resolves");
        assert_eq!(e.host, "tcp://r:1");
        assert!(e.tls.is_some());
        assert_eq!(
            e.to_string(),
            "`tcp://r:1` over TLS (context `remote` from `DOCKER_CONTEXT`)"
        );

        let e = resolve(&env(&[(env_vars::DOCKER_CONFIG, &config)])).expect("resolves");
        assert_eq!((e.host.as_str(), &e.tls), ("unix:///o.sock", &None));
        assert!(e.to_string().contains("currentContext"), "{e}");

        // `default` is the CLI's "no context".
        let e = resolve(&env(&[
            (env_vars::DOCKER_CONFIG, &config),
            (env_vars::DOCKER_CONTEXT, "default"),
        ]))
        .expect("resolves");
        assert_eq!(e, default_endpoint());
    }

    #[test]
    fn context_errors_name_the_context() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().display().to_string();
        let err = resolve(&env(&[
            (env_vars::DOCKER_CONFIG, &config),
            (env_vars::DOCKER_CONTEXT, "ghost"),
        ]))
        .expect_err("missing");
        assert!(
            err.to_string()
                .starts_with("context `ghost` (from `DOCKER_CONTEXT`) not found"),
            "{err}"
        );
        write_context(dir.path(), "lax", "tcp://r:1", true, true);
        let err = resolve(&env(&[
            (env_vars::DOCKER_CONFIG, &config),
            (env_vars::DOCKER_CONTEXT, "lax"),
        ]))
        .expect_err("skip verify");
        assert!(err.to_string().contains("SkipTLSVerify"), "{err}");
    }

    #[test]
    fn broken_config_json_falls_back_to_the_default() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("config.json"), "{").expect("config");
        let config = dir.path().display().to_string();
        let e = resolve(&env(&[(env_vars::DOCKER_CONFIG, &config)])).expect("resolves");
        assert_eq!(e, default_endpoint());
    }
}
