//! A second engine of this machine kind: Debian trixie's `docker.io` (Docker 26.1, API 1.45) in a
//! container of the host engine, storage driver vfs, its socket on the host. The image is made by
//! `tests/engine2/build-image.sh` (debootstrap, `docker import`, once per machine, tagged by the
//! hash of the script and of `tests/debootstrap.sh`, which it sources). Each [`Engine2::start`]
//! runs one engine on a docker network of its own and
//! loads the test image into it; dropping it removes the engine with everything it held.
//!
//! This host refuses `--privileged` (its capability bounding set lacks `CAP_SYS_RESOURCE`), so
//! the engine gets every other capability, no seccomp profile, unmasked `/proc`, every device in
//! its cgroup and a tmpfs `/run`; its entrypoint remounts `/sys` and the cgroup hierarchies
//! read-write before `dockerd`. The inner engine then refuses `SYS_RESOURCE` in `--cap-add` and
//! `--cap-drop`, for docker and dockrun alike.
//!
//! The socket is `<dir>/engine/docker.sock` on the host (a bind-mounted directory), and
//! `<dir>/shared` is mounted at the same path inside, so a host path under it names the same
//! files for the docker CLI, for dockrun and for the engine (bind sources, relative `-v ./x`).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::image::test_image;
use super::{docker_ok, unique, Cleanup};

/// The engine's image, built on first use (by this process or, under a lock, another).
pub fn image() -> &'static str {
    static IMAGE: OnceLock<String> = OnceLock::new();
    IMAGE.get_or_init(|| super::built_image("tests/engine2/build-image.sh"))
}

/// A running second engine.
pub struct Engine2 {
    /// `unix://…/docker.sock`: the engine's socket on this host.
    pub docker_host: String,
    /// The engine's version and newest API (`26.1.5 (API 1.45)`).
    pub version: String,
    /// The engine container's name (on the host engine).
    pub name: String,
    _cleanup: Cleanup,
    dir: tempfile::TempDir,
}

impl Engine2 {
    /// Start an engine and wait until it answers with the test image loaded.
    pub fn start() -> Self {
        Self::start_with(false)
    }

    /// [`Engine2::start`] with the containerd image store (`"features":
    /// {"containerd-snapshotter": true}` in its `daemon.json`, the default of Docker 29's new
    /// installs): image IDs are then the digests of manifests or indexes, not of configs.
    pub fn start_containerd_store() -> Self {
        Self::start_with(true)
    }

    fn start_with(containerd_store: bool) -> Self {
        let image = image();
        let dir = tempfile::Builder::new()
            .prefix("dockrun-engine2-")
            .tempdir()
            .expect("tempdir");
        let (sockets, shared) = (dir.path().join("engine"), dir.path().join("shared"));
        std::fs::create_dir_all(&sockets).expect("socket dir");
        std::fs::create_dir_all(&shared).expect("shared dir");
        let mut cleanup = Cleanup::new();
        let network = cleanup.network(&unique("engine2-net"));
        docker_ok(&[
            "network",
            "create",
            "--label",
            "dockrun.test=engine2",
            &network,
        ]);
        let name = cleanup.container(&unique("engine2"));
        let sockets_mount = format!("{}:/engine", sockets.display());
        let shared_mount = format!("{0}:{0}", shared.display());
        let mut run = vec![
            "run",
            "-d",
            "--name",
            &name,
            "--label",
            "dockrun.test=engine2",
            "--network",
            &network,
            "--cap-add",
            "ALL",
            "--cap-drop",
            "SYS_RESOURCE",
            "--security-opt",
            "seccomp=unconfined",
            "--security-opt",
            "systempaths=unconfined",
            "--device-cgroup-rule",
            "a *:* rwm",
            "--tmpfs",
            "/run",
            "-v",
            &sockets_mount,
            "-v",
            &shared_mount,
            image,
        ];
        let config = shared.join("daemon.json");
        let config_arg = config.display().to_string();
        if containerd_store {
            std::fs::write(&config, r#"{"features": {"containerd-snapshotter": true}}"#)
                .expect("daemon.json");
            // containerd's snapshotter of plain copies, as vfs is the graph driver's.
            run.extend(["--config-file", &config_arg, "--storage-driver", "native"]);
        }
        docker_ok(&run);
        let docker_host = format!("unix://{}", sockets.join("docker.sock").display());
        let mut engine = Self {
            docker_host,
            version: String::new(),
            name,
            _cleanup: cleanup,
            dir,
        };
        let started = Instant::now();
        engine.version = engine.wait_answering();
        engine.load_test_image();
        eprintln!(
            "engine2 {} ({}) ready in {:?}",
            engine.name,
            engine.version,
            started.elapsed()
        );
        engine
    }

    /// A directory with the same path on this host and inside the engine.
    pub fn shared_dir(&self) -> PathBuf {
        self.dir.path().join("shared")
    }

    /// `docker ARGS` against this engine.
    pub fn docker(&self) -> Command {
        let mut command = Command::new("docker");
        command.env("DOCKER_HOST", &self.docker_host);
        command
    }

    /// Poll `docker version` until the engine answers (dockerd takes a few seconds to start).
    fn wait_answering(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let out = self
                .docker()
                .args([
                    "version",
                    "--format",
                    "{{.Server.Version}} (API {{.Server.APIVersion}})",
                ])
                .output()
                .expect("docker runs");
            if out.status.success() {
                return String::from_utf8_lossy(&out.stdout).trim().to_owned();
            }
            let running = super::inspect(&self.name, "{{.State.Running}}");
            assert!(
                Instant::now() < deadline && running.as_deref() == Some("true"),
                "engine2 {} did not answer (running: {running:?}); its log:\n{}",
                self.name,
                String::from_utf8_lossy(
                    &super::docker(&["logs", "--tail", "40", &self.name]).stderr
                )
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `docker save` the test image from the host engine and `docker load` it here.
    fn load_test_image(&self) {
        let mut save = Command::new("docker")
            .args(["save", test_image()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("docker save runs");
        let out = self
            .docker()
            .args(["load", "-q"])
            .stdin(save.stdout.take().expect("save's stdout"))
            .output()
            .expect("docker load runs");
        assert!(save.wait().expect("save ends").success(), "docker save");
        assert!(
            out.status.success(),
            "docker load into engine2: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
