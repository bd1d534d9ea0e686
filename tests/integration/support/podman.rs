//! A podman engine of the test's own: Debian's `podman` serving its docker-compatible API on a
//! unix socket in a temporary directory, with its own storage (vfs) and run directories, so it
//! shares nothing with the machine's podman or docker. The test image is copied in from docker.
//! Killed, and everything it made removed, on drop.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::docker_ok;

/// The flags a container run on this podman needs: no network (podman would make a bridge on
/// the host otherwise), and ulimits within this machine's hard limits (rootful podman asks for
/// more than the sandbox allows).
pub const SANDBOX_FLAGS: [&str; 6] = [
    "--network",
    "none",
    "--ulimit",
    "nofile=1024:1024",
    "--ulimit",
    "nproc=1024:1024",
];

/// A running `podman system service`.
pub struct Podman {
    child: Child,
    dir: tempfile::TempDir,
    /// `unix:///…/podman.sock`, for `DOCKER_HOST`.
    pub host: String,
}

/// The global flags that keep podman inside `dir` (no systemd here: cgroupfs, file events).
fn flags(dir: &Path) -> Vec<String> {
    vec![
        "--root".into(),
        dir.join("root").display().to_string(),
        "--runroot".into(),
        dir.join("run").display().to_string(),
        "--storage-driver".into(),
        "vfs".into(),
        "--cgroup-manager".into(),
        "cgroupfs".into(),
        "--events-backend".into(),
        "file".into(),
    ]
}

impl Podman {
    /// Start the service and load `image` (a docker image) into it.
    pub fn start(image: &str) -> Podman {
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("podman.sock");
        let child = Command::new("podman")
            .args(flags(dir.path()))
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("podman runs (install Debian's `podman`)");
        let podman = Podman {
            child,
            host: format!("unix://{}", socket.display()),
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "podman's socket did not appear");
            std::thread::sleep(Duration::from_millis(100));
        }
        let tar = podman.dir.path().join("image.tar");
        docker_ok(&["save", image, "-o", &tar.display().to_string()]);
        let out = podman.cli(&["load", "-i", &tar.display().to_string()]);
        assert!(
            out.status.success(),
            "podman load: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        podman
    }

    /// Run the podman CLI on this instance's storage.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::new("podman")
            .args(flags(self.dir.path()))
            .args(args)
            .output()
            .expect("podman runs")
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = self.cli(&["rm", "-f", "-a", "-t", "0"]);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
