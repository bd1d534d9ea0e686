//! A real registry on loopback (Debian's `docker-registry`, distribution 2.x) for pull tests,
//! optionally requiring a user and password (htpasswd, bcrypt, from apache2-utils' `htpasswd`).
//! The engine pushes to and pulls from 127.0.0.1 without TLS.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running registry, killed on drop.
pub struct Registry {
    child: Child,
    dir: tempfile::TempDir,
    /// `127.0.0.1:PORT`.
    pub address: String,
}

impl Registry {
    /// Start a registry on a free loopback port and wait until it answers.
    pub fn start() -> Registry {
        Registry::start_with(None)
    }

    /// Start a registry that accepts only `user`/`password` (HTTP basic, htpasswd).
    pub fn start_with_auth(user: &str, password: &str) -> Registry {
        Registry::start_with(Some((user, password)))
    }

    fn start_with(auth: Option<(&str, &str)>) -> Registry {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let address = format!("127.0.0.1:{port}");
        let config = dir.path().join("config.yml");
        let mut text = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {address}\n",
            dir.path().join("data").display()
        );
        if let Some((user, password)) = auth {
            let htpasswd = dir.path().join("htpasswd");
            let out = Command::new("htpasswd")
                .args(["-Bbn", user, password])
                .output()
                .expect("htpasswd runs (install Debian's `apache2-utils`)");
            assert!(out.status.success(), "htpasswd failed");
            std::fs::write(&htpasswd, &out.stdout).expect("write htpasswd");
            text.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: dockrun-test\n    path: {}\n",
                htpasswd.display()
            ));
        }
        std::fs::write(&config, text).expect("write config");
        // Its access log (one line per request) goes to stdout: kept, for `requests`.
        let log = std::fs::File::create(dir.path().join("access.log")).expect("access log");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry runs (install Debian's `docker-registry`)");
        let registry = Registry {
            child,
            dir,
            address,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(mut s) = TcpStream::connect(&registry.address) {
                let _ = s.write_all(b"GET /v2/ HTTP/1.0\r\n\r\n");
                let mut buf = String::new();
                let _ = s.read_to_string(&mut buf);
                // With auth on, `/v2/` answers 401 once the registry is up.
                let up = if auth.is_some() { "401" } else { "200" };
                if buf.starts_with(&format!("HTTP/1.0 {up}"))
                    || buf.starts_with(&format!("HTTP/1.1 {up}"))
                {
                    return registry;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the registry at {} did not come up", registry.address);
    }
}

impl Registry {
    /// Every request the registry has answered so far, as `METHOD PATH STATUS` (its access
    /// log, written as each request completes).
    pub fn requests(&self) -> Vec<String> {
        let log = std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default();
        log.lines()
            .filter_map(|line| {
                // `… "GET /v2/x/manifests/1 HTTP/1.1" 200 …`
                let (_, rest) = line.split_once('"')?;
                let (request, rest) = rest.split_once('"')?;
                let mut words = request.split(' ');
                let (method, path) = (words.next()?, words.next()?);
                let status = rest.split_whitespace().next()?;
                Some(format!("{method} {path} {status}"))
            })
            .collect()
    }

    /// Stop the registry now (it stays stopped; dropping it cleans up).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.forget_images();
    }
}

impl Registry {
    /// Remove every reference to this registry's images from the host engine: the tags, and
    /// the digests that pulls leave behind (an image whose tag moved stays as `REPO@sha256:…`,
    /// untagged). Reference by reference, never by image ID: a tag of the shared test image
    /// must not take the test image along. An image a container still uses keeps its reference.
    fn forget_images(&self) {
        let prefix = format!("{}/", self.address);
        let listed = super::docker(&[
            "images",
            "--digests",
            "--format",
            "{{.Repository}} {{.Tag}} {{.Digest}}",
        ]);
        for row in String::from_utf8_lossy(&listed.stdout).lines() {
            let mut fields = row.split(' ');
            let (Some(repo), Some(tag), Some(digest)) =
                (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            if !repo.starts_with(&prefix) {
                continue;
            }
            if tag != "<none>" {
                let _ = super::docker(&["rmi", &format!("{repo}:{tag}")]);
            }
            if digest != "<none>" {
                let _ = super::docker(&["rmi", &format!("{repo}@{digest}")]);
            }
        }
    }
}
