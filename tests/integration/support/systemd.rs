//! A real systemd as PID 1 of a container (a "machine"), for the tests that run dockrun under
//! systemd. The image is Debian bookworm made by `tests/systemd/build-image.sh` (debootstrap,
//! `docker import`, built once per machine and tagged by the hash of the script and of
//! `tests/debootstrap.sh`, which it sources). Each test boots its
//! own machine with the host engine's socket and the freshly built dockrun (and, for the
//! examples' `ExecStop=`, the host's static docker CLI) mounted in, so the containers its units
//! make are siblings on the host engine. Dropping the machine removes it.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::{docker, docker_ok, dockrun_bin, unique, Cleanup};

/// The systemd image's tag, built on first use (by this process or, under a lock, another).
pub fn image() -> &'static str {
    static IMAGE: OnceLock<String> = OnceLock::new();
    IMAGE.get_or_init(|| super::built_image("tests/systemd/build-image.sh"))
}

/// Whether the host's cgroup hierarchy is v2 (unified) rather than v1.
fn cgroup_v2() -> bool {
    Command::new("stat")
        .args(["-fc", "%T", "/sys/fs/cgroup"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "cgroup2fs")
}

/// The engine's socket on this host: `DOCKER_HOST` when it names a unix socket, else the default.
fn engine_socket() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|h| h.strip_prefix("unix://").map(str::to_owned))
        .unwrap_or_else(|| "/var/run/docker.sock".to_owned())
}

/// A booted systemd container.
pub struct Machine {
    /// The container's name.
    pub name: String,
    _cleanup: Cleanup,
}

impl Machine {
    /// Boot a machine and wait until `systemctl is-system-running` says `running` (or
    /// `degraded`, which is printed with the failed units).
    pub fn boot() -> Self {
        let image = image();
        let mut cleanup = Cleanup::new();
        let name = cleanup.container(&unique("systemd"));
        let dockrun = format!("{}:/usr/local/bin/dockrun:ro", dockrun_bin());
        let socket = format!("{}:/var/run/docker.sock", engine_socket());
        let docker_cli = which("docker");
        let docker_cli = format!("{docker_cli}:/usr/bin/docker:ro");
        let mut args = vec![
            "run",
            "-d",
            "--name",
            &name,
            "--label",
            "dockrun.test=systemd",
            "--tmpfs",
            "/run",
            "--tmpfs",
            "/run/lock",
            "-v",
            &dockrun,
            "-v",
            &socket,
            "-v",
            &docker_cli,
        ];
        if cgroup_v2() {
            // systemd needs a writable cgroup tree of its own: a private cgroup namespace, which
            // the engine mounts read-write only for a privileged container.
            args.extend(["--cgroupns=private", "--privileged"]);
        } else {
            // On v1, systemd finds its named hierarchy under the host's read-only tree.
            args.extend([
                "--cap-add",
                "SYS_ADMIN",
                "-v",
                "/sys/fs/cgroup:/sys/fs/cgroup:ro",
            ]);
        }
        args.push(image);
        docker_ok(&args);
        let machine = Self {
            name,
            _cleanup: cleanup,
        };
        let started = Instant::now();
        machine.wait_booted();
        eprintln!("{} booted in {:?}", machine.name, started.elapsed());
        machine
    }

    fn wait_booted(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last = String::new();
        while Instant::now() < deadline {
            let out = self.exec(&["systemctl", "is-system-running"]);
            last = text(&out);
            match last.as_str() {
                "running" => return,
                "degraded" => {
                    let failed = text(&self.exec(&["systemctl", "--failed", "--no-legend"]));
                    eprintln!("systemd in {} is degraded: {failed}", self.name);
                    return;
                }
                _ => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        panic!(
            "systemd in {} did not boot within 60s (last state `{last}`); logs:\n{}",
            self.name,
            String::from_utf8_lossy(&docker(&["logs", &self.name]).stderr)
        );
    }

    /// `docker exec MACHINE ARGS`.
    pub fn exec(&self, args: &[&str]) -> Output {
        let mut all = vec!["exec", self.name.as_str()];
        all.extend_from_slice(args);
        docker(&all)
    }

    /// `systemctl ARGS` in the machine, asserting success; trimmed stdout.
    pub fn systemctl(&self, args: &[&str]) -> String {
        let mut all = vec!["systemctl"];
        all.extend_from_slice(args);
        let out = self.exec(&all);
        assert!(
            out.status.success(),
            "systemctl {args:?} failed: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.status(args.last().copied().unwrap_or_default())
        );
        text(&out)
    }

    /// `systemctl status UNIT` and the unit's journal, for failure messages.
    pub fn status(&self, unit: &str) -> String {
        let status = self.exec(&["systemctl", "status", "--no-pager", "-l", unit]);
        format!("{}\n{}", text(&status), self.journal(unit))
    }

    /// `dockrun --print-unit ARGS` run in the machine (so `ExecStart=` names the dockrun mounted
    /// there): the unit's file name and text.
    pub fn print_unit(&self, args: &[&str]) -> (String, String) {
        let mut all = vec!["dockrun", "--print-unit"];
        all.extend_from_slice(args);
        let out = self.exec(&all);
        assert!(
            out.status.success(),
            "dockrun --print-unit {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let file_name = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# "))
            .and_then(|l| l.split(':').next())
            .expect("the unit names its file on its first line")
            .to_owned();
        (file_name, text)
    }

    /// One property of a unit (`systemctl show -p PROP --value UNIT`).
    pub fn show(&self, unit: &str, property: &str) -> String {
        text(&self.exec(&["systemctl", "show", "-p", property, "--value", unit]))
    }

    /// Several properties of a unit read in one `systemctl show`, so they describe one moment
    /// (separate reads can straddle a state change, e.g. an automatic restart). Returned in the
    /// order asked for (systemctl prints them in its own order, hence `KEY=VALUE` lines).
    pub fn show_many(&self, unit: &str, properties: &[&str]) -> Vec<String> {
        let mut args = vec!["systemctl", "show"];
        for property in properties {
            args.extend(["-p", property]);
        }
        args.push(unit);
        let out = text(&self.exec(&args));
        properties
            .iter()
            .map(|property| {
                out.lines()
                    .find_map(|line| line.strip_prefix(&format!("{property}=")))
                    .unwrap_or_else(|| panic!("{unit}: no {property} in `{out}`"))
                    .to_owned()
            })
            .collect()
    }

    /// Poll [`Machine::show_many`] until `ok` holds for one snapshot, and return that snapshot.
    pub fn wait_for_many(
        &self,
        unit: &str,
        properties: &[&str],
        ok: impl Fn(&[String]) -> bool,
    ) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let values = self.show_many(unit, properties);
            if ok(&values) {
                return values;
            }
            assert!(
                Instant::now() < deadline,
                "{unit}: {properties:?} are still {values:?} after 30s\n{}",
                self.status(unit)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Assert `ActiveState` (and, for `inactive`, that `Result` is `success`), printing the
    /// unit's status and journal when it is not.
    pub fn assert_state(&self, unit: &str, state: &str) {
        let actual = self.show(unit, "ActiveState");
        let result = self.show(unit, "Result");
        let ok = actual == state && (state != "inactive" || result == "success");
        assert!(
            ok,
            "{unit} is {actual} (result {result}), expected {state}\n{}",
            self.status(unit)
        );
    }

    /// The unit's journal, messages only.
    pub fn journal(&self, unit: &str) -> String {
        text(&self.exec(&["journalctl", "--no-pager", "-o", "cat", "-u", unit]))
    }

    /// Write unit files into /etc/systemd/system, then reload systemd once.
    pub fn install(&self, units: &[(&str, &str)]) {
        for (file_name, contents) in units {
            self.write(&format!("/etc/systemd/system/{file_name}"), contents);
        }
        self.systemctl(&["daemon-reload"]);
    }

    /// Wait until `property` of `unit` satisfies `ok`, or panic with the unit's status.
    pub fn wait_for(&self, unit: &str, property: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let value = self.show(unit, property);
            if ok(&value) {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "{unit}: {property} is still `{value}` after 30s\n{}",
                self.status(unit)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Reboot the machine: systemd halts (SIGRTMIN+3: every unit stopped as at shutdown, the
    /// generators' output gone with /run), the container exits, and it boots again from the
    /// same root, generators and `[Install]` links included.
    pub fn reboot(&self) {
        docker_ok(&["kill", "--signal", "37", &self.name]);
        let out = docker(&["wait", &self.name]);
        assert!(out.status.success(), "{} did not halt", self.name);
        docker_ok(&["start", &self.name]);
        let started = Instant::now();
        self.wait_booted();
        eprintln!("{} rebooted in {:?}", self.name, started.elapsed());
    }

    /// Copy a host file into the machine.
    pub fn copy_in(&self, host: &Path, path: &str) {
        docker_ok(&[
            "cp",
            &host.display().to_string(),
            &format!("{}:{path}", self.name),
        ]);
    }

    /// Write a file in the machine.
    pub fn write(&self, path: &str, contents: &str) {
        let mut child = Command::new("docker")
            .args([
                "exec",
                "-i",
                &self.name,
                "sh",
                "-c",
                "cat > \"$1\"",
                "sh",
                path,
            ])
            .stdin(Stdio::piped())
            .spawn()
            .expect("docker exec runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(contents.as_bytes())
            .expect("write unit");
        assert!(child.wait().expect("exec ends").success(), "writing {path}");
    }
}

/// The full path of a program on the host's PATH.
fn which(program: &str) -> String {
    let out = Command::new("sh")
        .args(["-c", "command -v \"$1\"", "sh", program])
        .output()
        .expect("sh runs");
    let path = text(&out);
    assert!(!path.is_empty(), "`{program}` is not on PATH");
    std::fs::canonicalize(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .display()
        .to_string()
}

/// Trimmed stdout.
fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The test image with a healthcheck baked in: healthy once `/tmp/ready` exists (checked every
/// second), so a test decides when its container turns healthy.
pub fn healthy_image() -> &'static str {
    static IMAGE: OnceLock<String> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let base = super::image::test_image();
        let tag = format!(
            "dockrun-test-healthy:{}-v1",
            base.rsplit(':').next().unwrap_or("latest")
        );
        if docker(&["image", "inspect", &tag]).status.success() {
            return tag;
        }
        let id = docker_ok(&["create", "--label", "dockrun.test=image", base]);
        let out = docker(&[
            "commit",
            "-c",
            "HEALTHCHECK --interval=1s --timeout=2s CMD test -f /tmp/ready",
            &id,
            &tag,
        ]);
        let _ = docker(&["rm", "-f", &id]);
        assert!(
            out.status.success(),
            "docker commit of {tag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tag
    })
}
