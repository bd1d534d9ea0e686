//! The connections to the engine, for `unix://` and `tcp://` (with or without TLS) endpoints:
//! hyper clients that keep a connection open between requests, so the requests of a launch
//! share one connection where they follow each other (bollard's own clients open a new one for
//! every request), and, for TLS, a rustls configuration that works with OpenSSL terminators
//! (socat, stunnel, nginx) the way the docker CLI does: no session resumption, which such a
//! server refuses without a session-id context ("session id context uninitialized"), the
//! client certificate from `cert.pem`/`key.pem`, the engine's certificate verified against
//! `ca.pem` and the system's roots. `ssh://` stays bollard's own transport.

use std::path::Path;
use std::sync::Arc;

use bollard::{BollardRequest, ClientVersion, Docker};
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tracing::debug;

use super::address::TlsFiles;
use super::version::Shared;

/// Why a TLS file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read or holds nothing usable.
    #[error("cannot use the TLS file `{path}`: {reason}")]
    File {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Only one of `cert.pem` and `key.pem` exists.
    #[error("TLS needs both `{present}` and `{missing}`, or neither: `{missing}` is missing")]
    HalfPair {
        /// The one that exists.
        present: String,
        /// The one that does not.
        missing: String,
    },
    /// rustls refused the configuration (a key that does not match its certificate, …).
    #[error("the TLS client configuration is unusable: {0}")]
    Config(#[from] rustls::Error),
}

/// A bollard client whose requests go through `connector`, kept open between requests; each
/// answer's `Api-Version` header (the engine's newest API) is told to `heard`.
fn pooled<C>(
    connector: C,
    address: &str,
    timeout: u64,
    version: &ClientVersion,
    heard: &Shared,
) -> Result<Docker, bollard::errors::Error>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    let client = Client::builder(TokioExecutor::new()).build(connector);
    let heard = heard.clone();
    let send = move |req: BollardRequest| {
        let (client, heard) = (client.clone(), heard.clone());
        async move {
            let response = client
                .request(req)
                .await
                .map_err(bollard::errors::Error::from)?;
            if let Some(newest) = response
                .headers()
                .get("api-version")
                .and_then(|v| v.to_str().ok())
            {
                heard.hear(newest);
            }
            Ok(response)
        }
    };
    Docker::connect_with_custom_transport(send, Some(address), timeout, version)
}

/// A client for the unix socket at `path`.
///
/// # Errors
/// The socket does not exist (as bollard's own check).
pub fn unix(
    path: &str,
    timeout: u64,
    version: &ClientVersion,
    heard: &Shared,
) -> Result<Docker, bollard::errors::Error> {
    if !Path::new(path).exists() {
        return Err(bollard::errors::Error::SocketNotFoundError(path.to_owned()));
    }
    // hyperlocal's connector reads the socket's path from the URI's host, hex-encoded.
    let address = format!("unix://{}", hex::encode(path.as_bytes()));
    pooled(hyperlocal::UnixConnector, &address, timeout, version, heard)
}

/// A client for plain HTTP at `host:port`.
///
/// # Errors
/// None in practice (bollard's constructor is fallible).
pub fn http(
    host_port: &str,
    timeout: u64,
    version: &ClientVersion,
    heard: &Shared,
) -> Result<Docker, bollard::errors::Error> {
    pooled(
        HttpConnector::new(),
        &format!("http://{host_port}"),
        timeout,
        version,
        heard,
    )
}

/// A client for HTTPS at `host:port` with `config` (from [`client_config`]).
///
/// # Errors
/// None in practice (bollard's constructor is fallible).
pub fn https(
    host_port: &str,
    config: rustls::ClientConfig,
    timeout: u64,
    version: &ClientVersion,
    heard: &Shared,
) -> Result<Docker, bollard::errors::Error> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    let connector = hyper_rustls::HttpsConnector::from((http, config));
    pooled(
        connector,
        &format!("https://{host_port}"),
        timeout,
        version,
        heard,
    )
}

/// The rustls configuration for the docker TLS files (see the module comment).
///
/// # Errors
/// A TLS file that cannot be read or used.
pub fn client_config(tls: &TlsFiles) -> Result<rustls::ClientConfig, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for err in &native.errors {
        debug!(%err, "a system root certificate could not be loaded");
    }
    roots.add_parsable_certificates(native.certs);
    for cert in certificates(&tls.ca)? {
        roots.add(cert).map_err(|err| TlsError::File {
            path: tls.ca.display().to_string(),
            reason: err.to_string(),
        })?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        // TLS 1.3 and 1.2 (rustls' `tls12` feature), as the docker CLI: terminators that
        // speak 1.2 at most are still common.
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots);
    let mut config = match (tls.cert.exists(), tls.key.exists()) {
        (false, false) => builder.with_no_client_auth(),
        (true, true) => {
            builder.with_client_auth_cert(certificates(&tls.cert)?, private_key(&tls.key)?)?
        }
        (cert, _) => {
            let (present, missing) = if cert {
                (&tls.cert, &tls.key)
            } else {
                (&tls.key, &tls.cert)
            };
            return Err(TlsError::HalfPair {
                present: present.display().to_string(),
                missing: missing.display().to_string(),
            });
        }
    };
    config.resumption = rustls::client::Resumption::disabled();
    Ok(config)
}

fn file_error(path: &Path, reason: impl ToString) -> TlsError {
    TlsError::File {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// Every certificate in a PEM file (at least one).
fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = std::fs::read(path).map_err(|e| file_error(path, e))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(path, e))?;
    if certs.is_empty() {
        return Err(file_error(path, "no certificate in it"));
    }
    Ok(certs)
}

/// The private key in a PEM file.
fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = std::fs::read(path).map_err(|e| file_error(path, e))?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => file_error(path, "no private key in it"),
        other => file_error(path, other),
    })
}
