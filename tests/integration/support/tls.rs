//! A TLS-protected TCP endpoint for the local engine, made in the test: a CA, a server and a
//! client certificate generated with rcgen, and an OpenSSL terminator listening on loopback
//! (client certificate required) in front of the engine's unix socket (or any unix socket, such
//! as a counting proxy's): Debian's `stunnel4`, or `socat OPENSSL-LISTEN:…,verify=1,fork`, which
//! refuses a resumed session ("session id context uninitialized") as the docker CLI never asks
//! for one.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// The engine's socket the proxy forwards to.
const ENGINE_SOCKET: &str = "/var/run/docker.sock";

/// A CA with the certificates it signed, as PEM files in a temporary directory.
pub struct Pki {
    dir: tempfile::TempDir,
}

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "dockrun test CA");
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

fn leaf(
    issuer: &Issuer<'_, KeyPair>,
    names: &[&str],
    usage: ExtendedKeyUsagePurpose,
) -> (String, String) {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = CertificateParams::new(names).expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, "dockrun test");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![usage];
    params.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, issuer).expect("sign");
    (cert.pem(), key.serialize_pem())
}

impl Pki {
    /// A fresh CA, a server certificate for 127.0.0.1/localhost and a client certificate,
    /// written as `ca.pem`, `server-cert.pem`, `server-key.pem`, `cert.pem`, `key.pem`.
    pub fn generate() -> Pki {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca_key = KeyPair::generate().expect("ca key");
        let ca_cert = ca_params().self_signed(&ca_key).expect("ca cert");
        let issuer = Issuer::new(ca_params(), ca_key);
        let (server_cert, server_key) = leaf(
            &issuer,
            &["127.0.0.1", "localhost"],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let (client_cert, client_key) =
            leaf(&issuer, &["client"], ExtendedKeyUsagePurpose::ClientAuth);
        for (name, pem) in [
            ("ca.pem", ca_cert.pem()),
            ("server-cert.pem", server_cert),
            ("server-key.pem", server_key),
            ("cert.pem", client_cert),
            ("key.pem", client_key),
        ] {
            std::fs::write(dir.path().join(name), pem).expect("write pem");
        }
        Pki { dir }
    }

    /// The directory holding the PEM files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// One of the PEM files.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Copy the client's `ca.pem`, `cert.pem` and `key.pem` into `dest` (created).
    pub fn copy_client_files(&self, dest: &Path) {
        std::fs::create_dir_all(dest).expect("mkdir");
        for name in ["ca.pem", "cert.pem", "key.pem"] {
            std::fs::copy(self.file(name), dest.join(name)).expect("copy pem");
        }
    }
}

/// Which OpenSSL-based program terminates TLS.
#[derive(Clone, Copy, Debug)]
pub enum Terminator {
    /// Debian's `stunnel4`.
    Stunnel,
    /// `socat OPENSSL-LISTEN:PORT,…,verify=1,fork UNIX-CONNECT:…`.
    Socat,
}

/// A TLS terminator on a loopback port forwarding to a unix socket; killed on drop.
pub struct TlsProxy {
    child: Child,
    _config: tempfile::TempDir,
    /// `tcp://127.0.0.1:PORT`.
    pub host: String,
}

impl TlsProxy {
    /// stunnel on a free loopback port with the PKI's server certificate, requiring a client
    /// certificate signed by its CA, in front of the engine's socket.
    pub fn start(pki: &Pki) -> TlsProxy {
        TlsProxy::with(Terminator::Stunnel, pki, Path::new(ENGINE_SOCKET))
    }

    /// `terminator` on a free loopback port (as [`TlsProxy::start`]) in front of `socket`.
    pub fn with(terminator: Terminator, pki: &Pki, socket: &Path) -> TlsProxy {
        TlsProxy::speaking(terminator, pki, socket, false)
    }

    /// As [`TlsProxy::with`]; `tls12_only`: the terminator speaks TLS 1.2 at most, as older
    /// terminators and hardened configurations do.
    pub fn speaking(
        terminator: Terminator,
        pki: &Pki,
        socket: &Path,
        tls12_only: bool,
    ) -> TlsProxy {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let config = tempfile::tempdir().expect("tempdir");
        let (cert, key, ca) = (
            pki.file("server-cert.pem"),
            pki.file("server-key.pem"),
            pki.file("ca.pem"),
        );
        let mut command = match terminator {
            Terminator::Stunnel => {
                let file = config.path().join("stunnel.conf");
                std::fs::write(
                    &file,
                    format!(
                        "foreground = yes\npid =\ndebug = 3\n[engine]\naccept = 127.0.0.1:{port}\n\
                         connect = {}\ncert = {}\nkey = {}\nCAfile = {}\nverifyChain = yes\n{}",
                        socket.display(),
                        cert.display(),
                        key.display(),
                        ca.display(),
                        if tls12_only {
                            "sslVersionMax = TLSv1.2\n"
                        } else {
                            ""
                        },
                    ),
                )
                .expect("write stunnel.conf");
                let mut command = Command::new("stunnel");
                command.arg(&file);
                command
            }
            Terminator::Socat => {
                let mut command = Command::new("socat");
                command.arg(format!(
                    "OPENSSL-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,cert={},key={},cafile={},verify=1{}",
                    cert.display(),
                    key.display(),
                    ca.display(),
                    if tls12_only { ",openssl-max-proto-version=TLS1.2" } else { "" },
                ));
                command.arg(format!("UNIX-CONNECT:{}", socket.display()));
                command
            }
        };
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the TLS terminator runs (install Debian's `stunnel4` and `socat`)");
        let proxy = TlsProxy {
            child,
            _config: config,
            host: format!("tcp://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "{terminator:?} did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        proxy
    }
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
