//! Shared test support: the engine check, the busybox test image, unique names, guards that
//! remove what a test made even when it fails, and a runner for the built `dockrun` binary.

pub mod engine2;
pub mod image;
pub mod podman;
pub mod proxy;
pub mod registry;
pub mod ssh;
pub mod systemd;
pub mod tls;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

/// The binary under test: `DOCKRUN_TEST_BIN` when set (CI runs the engine tests a second time
/// against the static build `install.sh` makes, the one users install), else the one cargo built
/// for these tests.
pub fn dockrun_bin() -> &'static str {
    static BIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        std::env::var("DOCKRUN_TEST_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_dockrun").to_owned())
    })
}

/// Fail (never skip) when no engine answers, saying how to get one.
pub fn require_engine() {
    static CHECK: Once = Once::new();
    CHECK.call_once(|| {
        let ok = Command::new("docker")
            .args(["version", "--format", "{{.Server.Version}}"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "no Docker engine answers (`docker version` failed): start one (e.g. `dockerd &`) or set DOCKER_HOST; \
             these tests need a real engine and never skip"
        );
    });
}

/// Run a `tests/…/build-image.sh` recipe (debootstrap + `docker import`, once per machine, under
/// the script's own lock) and return the tag it prints.
pub fn built_image(script: &str) -> String {
    require_engine();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(script);
    let started = std::time::Instant::now();
    let out = Command::new(&script)
        .stderr(Stdio::inherit())
        .output()
        .expect("build-image.sh runs");
    assert!(
        out.status.success(),
        "{} failed (it needs root, debootstrap and a Debian mirror; `.ci/run` installs them)",
        script.display()
    );
    let tag = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    eprintln!("image {tag} ready in {:?}", started.elapsed());
    tag
}

/// A name unique to this test process and call: `dockrun-t-{pid}-{n}-{tag}`.
pub fn unique(tag: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    format!(
        "dockrun-t-{}-{}-{tag}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Run `docker ARGS` and return its output.
pub fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .output()
        .expect("the docker CLI runs")
}

/// Run `docker ARGS`, assert success, return trimmed stdout.
pub fn docker_ok(args: &[&str]) -> String {
    let out = docker(args);
    assert!(
        out.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `docker inspect -f FORMAT NAME`, or `None` when it does not exist.
pub fn inspect(name: &str, format: &str) -> Option<String> {
    let out = docker(&["inspect", "--type", "container", "-f", format, name]);
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Whether a container with exactly this name exists.
pub fn exists(name: &str) -> bool {
    inspect(name, "{{.Name}}").is_some_and(|n| n == format!("/{name}"))
}

/// The result of one dockrun run.
#[derive(Debug)]
pub struct Run {
    /// Exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Its stdout.
    pub stdout: String,
    /// Its stderr.
    pub stderr: String,
}

/// Run `dockrun ARGS` to completion with extra environment.
pub fn dockrun_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(dockrun_bin());
    cmd.args(args).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    finish(cmd)
}

/// Run a prepared `dockrun` command to completion.
pub fn finish(mut cmd: Command) -> Run {
    let out = cmd.output().expect("dockrun runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Run `dockrun ARGS` to completion.
pub fn dockrun(args: &[&str]) -> Run {
    dockrun_env(args, &[])
}

/// Removes the images a test tagged, committed or pulled, on drop: declare it before the
/// `Cleanup` of the containers using them, so it is dropped after.
#[derive(Default)]
pub struct Images(pub Vec<String>);

impl Drop for Images {
    fn drop(&mut self) {
        for image in &self.0 {
            let _ = docker(&["rmi", "-f", image]);
        }
    }
}

/// Removes containers (with their anonymous volumes), volumes and networks on drop.
#[derive(Default)]
pub struct Cleanup {
    containers: Vec<String>,
    volumes: Vec<String>,
    networks: Vec<String>,
    files: Vec<std::path::PathBuf>,
}

impl Cleanup {
    /// A new, empty guard.
    pub fn new() -> Self {
        Self::default()
    }
    /// Register a container name and return it.
    pub fn container(&mut self, name: &str) -> String {
        self.containers.push(name.to_owned());
        name.to_owned()
    }
    /// Register a volume name and return it.
    pub fn volume(&mut self, name: &str) -> String {
        self.volumes.push(name.to_owned());
        name.to_owned()
    }
    /// Register a network name and return it.
    pub fn network(&mut self, name: &str) -> String {
        self.networks.push(name.to_owned());
        name.to_owned()
    }
    /// Register a file to delete.
    pub fn file(&mut self, path: &Path) {
        self.files.push(path.to_owned());
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        // `rm -v` removes a container's anonymous volumes, but not one mounted by name, as a
        // replacement mounts the old container's: those (names the engine made up, 64 hex
        // digits) are removed after their container.
        let mut carried = Vec::new();
        for c in self.containers.iter().rev() {
            let mounts = docker(&[
                "inspect",
                "-f",
                "{{range .Mounts}}{{if eq .Type \"volume\"}}{{println .Name}}{{end}}{{end}}",
                c,
            ]);
            carried.extend(
                String::from_utf8_lossy(&mounts.stdout)
                    .lines()
                    .filter(|n| n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit()))
                    .map(str::to_owned),
            );
            let _ = docker(&["rm", "-f", "-v", c]);
        }
        for v in carried {
            let _ = docker(&["volume", "rm", &v]);
        }
        for n in &self.networks {
            let _ = docker(&["network", "rm", n]);
        }
        for v in &self.volumes {
            let _ = docker(&["volume", "rm", "-f", v]);
        }
        for f in &self.files {
            let _ = std::fs::remove_file(f);
        }
    }
}
