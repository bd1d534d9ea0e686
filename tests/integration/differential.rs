//! Issue 3: every `docker run` flag, proven against `docker run` itself.
//!
//! The harness runs the same flag set twice on the real engine, once through the docker CLI and
//! once through dockrun, and compares what the engine made of each:
//!
//! ```text
//! docker  run -d --name A FLAGS IMG CMD   → docker inspect A → normalise ┐
//!                                                                       ├─ equal, or a readable diff
//! dockrun     -d --name B FLAGS IMG CMD   → docker inspect B → normalise ┘
//! ```
//!
//! A is inspected and removed before B is created, so host ports, static IPs and aliases never
//! clash between the two; cases that publish fixed host ports also run one at a time (a static
//! lock), because other cases run in parallel. Normalisation leaves out what differs by nature:
//! each container's own ID, short ID and name (replaced by `<id>`, `<id12>`, `<name>` wherever
//! they appear, so the random hostname and link paths compare equal), every other 64-hex ID
//! (anonymous volumes, networks), times, PIDs, host paths, addresses given by the engine, the
//! health log, dockrun's own `dockrun.*` labels, and the order of what docker itself randomises
//! (`Config.Env`, `HostConfig.Binds`, `Mounts`).
//!
//! # Adding a case
//!
//! ```ignore
//! #[test]
//! fn d_memory_forms() {
//!     compare(&["-m", "64m", "--memory-swap=-1"], &["sleep", "600"]);
//! }
//! #[test]
//! fn d_refuses_bad_memory_unit() {
//!     refused(&["-m", "12q"], &["sleep", "600"]);
//! }
//! ```
//!
//! For environment variables of the caller, a working directory, or an extra path to ignore, use
//! the builder: `case(&[..]).cmd(&[..]).env("K", "v").cwd(dir).ignore("State.Health").compare()`.
//! Objects a case needs (networks, volumes, helper containers, files) are made by the case with
//! `support::unique` names and registered in a `support::Cleanup` that outlives the comparison.
//! `refused` asserts that docker run fails on the set (any non-zero exit) and that dockrun then
//! exits 125 with `dockrun: error:` and leaves no container behind. Name cases `d_*` (compared)
//! and `d_refuses_*` (refused) so `cargo test d_` runs them all.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;

use crate::support::image::test_image;
use crate::support::{dockrun_bin, exists, unique, Cleanup};

/// Paths (dot-joined, `*` matches one segment) left out of every comparison.
const IGNORED: &[&str] = &[
    "Created",
    "State.Pid",
    "State.StartedAt",
    "State.FinishedAt",
    "State.Health",
    "ResolvConfPath",
    "HostnamePath",
    "HostsPath",
    "LogPath",
    "GraphDriver",
    "NetworkSettings.SandboxID",
    "NetworkSettings.SandboxKey",
    "NetworkSettings.Ports",
    "NetworkSettings.EndpointID",
    "NetworkSettings.Gateway",
    "NetworkSettings.IPAddress",
    "NetworkSettings.IPPrefixLen",
    "NetworkSettings.MacAddress",
    "NetworkSettings.GlobalIPv6Address",
    "NetworkSettings.GlobalIPv6PrefixLen",
    "NetworkSettings.IPv6Gateway",
    "NetworkSettings.LinkLocalIPv6Address",
    "NetworkSettings.Networks.*.EndpointID",
    "NetworkSettings.Networks.*.Gateway",
    "NetworkSettings.Networks.*.IPAddress",
    "NetworkSettings.Networks.*.IPPrefixLen",
    "NetworkSettings.Networks.*.IPv6Gateway",
    "NetworkSettings.Networks.*.GlobalIPv6Address",
    "NetworkSettings.Networks.*.GlobalIPv6PrefixLen",
    "NetworkSettings.Networks.*.MacAddress",
];

/// One flag set to run through both docker and dockrun.
#[must_use]
pub(crate) struct Case {
    flags: Vec<String>,
    cmd: Vec<String>,
    env: Vec<(String, String)>,
    cwd: Option<PathBuf>,
    ignored: Vec<String>,
}

/// Start a case with these flags (and no command: the image's `CMD`).
pub(crate) fn case(flags: &[&str]) -> Case {
    Case {
        flags: flags.iter().map(|f| (*f).to_owned()).collect(),
        cmd: Vec::new(),
        env: Vec::new(),
        cwd: None,
        ignored: Vec::new(),
    }
}

/// `docker run -d FLAGS IMG CMD` and `dockrun -d FLAGS IMG CMD` make the same container.
pub(crate) fn compare(flags: &[&str], cmd: &[&str]) {
    case(flags).cmd(cmd).compare();
}

/// `docker run` refuses FLAGS; dockrun must exit 125 and create nothing.
pub(crate) fn refused(flags: &[&str], cmd: &[&str]) {
    case(flags).cmd(cmd).refused();
}

/// What one CLI run printed and how it ended.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Case {
    /// The container's command (after the image).
    pub(crate) fn cmd(mut self, cmd: &[&str]) -> Self {
        self.cmd = cmd.iter().map(|c| (*c).to_owned()).collect();
        self
    }

    /// An environment variable given to both docker and dockrun (for `-e VAR`, `--env-file`).
    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The working directory of both runs (for relative `-v ./x` / `--mount src=./x`).
    pub(crate) fn cwd(mut self, dir: &Path) -> Self {
        self.cwd = Some(dir.to_owned());
        self
    }

    /// Leave one more path (dot-joined, `*` for one segment) out of the comparison.
    #[allow(dead_code)] // for cases whose containers differ by nature in one more place
    pub(crate) fn ignore(mut self, path: &str) -> Self {
        self.ignored.push(path.to_owned());
        self
    }

    /// Whether this case publishes fixed host ports (and so must not run beside another).
    fn publishes_ports(&self) -> bool {
        self.flags.iter().any(|f| {
            f.starts_with("--publish=")
                || f == "--publish"
                || (f.starts_with("-p") && !f.starts_with("--"))
        })
    }

    /// Run `program -d --name NAME FLAGS IMG CMD`.
    fn run(&self, program: &str, name: &str) -> Ran {
        let mut command = Command::new(program);
        if program == "docker" {
            command.arg("run");
        }
        command
            .args(["-d", "--name", name])
            .args(&self.flags)
            .arg(test_image())
            .args(&self.cmd)
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            command.env(k, v);
        }
        if let Some(dir) = &self.cwd {
            command.current_dir(dir);
        }
        let out = command.output().expect("the CLI runs");
        Ran {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn describe(&self) -> String {
        format!("FLAGS {:?} CMD {:?}", self.flags, self.cmd)
    }

    /// Run both and assert the engine made the same container of each.
    pub(crate) fn compare(self) {
        let _lock = self.publishes_ports().then(port_lock);
        let mut guard = Cleanup::new();
        let a = guard.container(&unique("diffA"));
        let b = guard.container(&unique("diffB"));

        let ran = self.run("docker", &a);
        assert_eq!(
            ran.code,
            Some(0),
            "docker run refused {}: {}\n(a set docker refuses belongs in `refused`)",
            self.describe(),
            ran.stderr
        );
        let left = normalise(inspect_json(&a), &a, &self.ignored);
        remove(&a);

        let ran = self.run(dockrun_bin(), &b);
        assert_eq!(
            ran.code,
            Some(0),
            "dockrun failed on {} (docker accepted it): {}",
            self.describe(),
            ran.stderr
        );
        assert_eq!(ran.stdout.trim().len(), 64, "stdout: {:?}", ran.stdout);
        let right = normalise(inspect_json(&b), &b, &self.ignored);

        let diff = diff(&left, &right);
        assert!(
            diff.is_empty(),
            "docker inspect differs for {}\n  path: docker | dockrun\n{}",
            self.describe(),
            diff.join("\n")
        );
    }

    /// Assert docker run refuses the set, and dockrun refuses it with 125, creating nothing.
    pub(crate) fn refused(self) {
        let mut guard = Cleanup::new();
        let a = guard.container(&unique("diffA"));
        let b = guard.container(&unique("diffB"));
        let ran = self.run("docker", &a);
        assert_ne!(
            ran.code,
            Some(0),
            "docker run accepted {} (a set docker accepts belongs in `compare`)",
            self.describe()
        );
        let docker_said = ran.stderr;
        let ran = self.run(dockrun_bin(), &b);
        assert_eq!(
            ran.code,
            Some(125),
            "dockrun must refuse {} with 125 as docker did ({docker_said:?}); it said: {}",
            self.describe(),
            ran.stderr
        );
        assert!(
            ran.stderr.contains("dockrun: error:"),
            "no one-line error: {}",
            ran.stderr
        );
        assert!(ran.stdout.is_empty(), "stdout: {:?}", ran.stdout);
        assert!(
            !exists(&b),
            "dockrun refused {} but left container `{b}` behind",
            self.describe()
        );
    }
}

/// Serialises the cases that bind fixed host ports.
fn port_lock() -> MutexGuard<'static, ()> {
    static PORTS: Mutex<()> = Mutex::new(());
    PORTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn inspect_json(name: &str) -> Value {
    let out = Command::new("docker")
        .args(["inspect", "--type", "container", name])
        .output()
        .expect("docker inspect runs");
    assert!(
        out.status.success(),
        "docker inspect {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut all: Vec<Value> = serde_json::from_slice(&out.stdout).expect("inspect is JSON");
    assert_eq!(all.len(), 1);
    all.remove(0)
}

fn remove(name: &str) {
    let _ = Command::new("docker")
        .args(["rm", "-f", "-v", name])
        .output();
}

/// Replace every run of exactly 64 hex digits by `<hex>`.
fn mask_hex64(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let run = bytes[i..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if run == 0 {
            let ch = text[i..].chars().next().expect("a char");
            out.push(ch);
            i += ch.len_utf8();
        } else {
            if run == 64 {
                out.push_str("<hex>");
            } else {
                out.push_str(&text[i..i + run]);
            }
            i += run;
        }
    }
    out
}

/// Mask one container's own identity and every other engine-made ID in all strings.
fn mask(value: &mut Value, id: &str, name: &str) {
    match value {
        Value::String(s) => {
            let masked = s
                .replace(id, "<id>")
                .replace(&id[..12], "<id12>")
                .replace(name, "<name>");
            *s = mask_hex64(&masked);
        }
        Value::Array(items) => items.iter_mut().for_each(|v| mask(v, id, name)),
        Value::Object(map) => {
            let old = std::mem::take(map);
            for (k, mut v) in old {
                mask(&mut v, id, name);
                map.insert(k.replace(name, "<name>"), v);
            }
        }
        _ => {}
    }
}

/// Sort an array found at `path` (dot-separated object keys) by its JSON text.
fn sort_at(root: &mut Value, path: &[&str]) {
    let mut node = root;
    for key in path {
        match node.get_mut(*key) {
            Some(next) => node = next,
            None => return,
        }
    }
    if let Value::Array(items) = node {
        items.sort_by_key(Value::to_string);
    }
}

/// Flatten to `path → scalar JSON` (objects by key, arrays by index; empty containers kept).
fn flatten(value: &Value, prefix: &str, out: &mut BTreeMap<String, String>) {
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                flatten(v, &join(k), out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                flatten(v, &join(&format!("[{i}]")), out);
            }
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

/// Whether `path` is `pattern` or lies under it (`*` matches one segment).
fn matches(pattern: &str, path: &str) -> bool {
    let pat: Vec<&str> = pattern.split('.').collect();
    let segs: Vec<&str> = path.split('.').collect();
    segs.len() >= pat.len() && pat.iter().zip(&segs).all(|(p, s)| *p == "*" || p == s)
}

/// Drop what differs by nature, mask identities, order what docker randomises, flatten.
fn normalise(mut inspect: Value, name: &str, extra: &[String]) -> BTreeMap<String, String> {
    let id = inspect["Id"].as_str().expect("Id").to_owned();
    for key in ["Id", "Name"] {
        if let Some(map) = inspect.as_object_mut() {
            map.remove(key);
        }
    }
    if let Some(labels) = inspect
        .pointer_mut("/Config/Labels")
        .and_then(Value::as_object_mut)
    {
        labels.retain(|k, _| !k.starts_with("dockrun."));
    }
    mask(&mut inspect, &id, name);
    sort_at(&mut inspect, &["Config", "Env"]);
    sort_at(&mut inspect, &["HostConfig", "Binds"]);
    sort_at(&mut inspect, &["Mounts"]);
    let mut flat = BTreeMap::new();
    flatten(&inspect, "", &mut flat);
    flat.retain(|path, _| {
        !IGNORED.iter().any(|p| matches(p, path)) && !extra.iter().any(|p| matches(p, path))
    });
    flat
}

/// The paths whose values differ, as `path: docker | dockrun`.
fn diff(left: &BTreeMap<String, String>, right: &BTreeMap<String, String>) -> Vec<String> {
    let mut keys: Vec<&String> = left.keys().chain(right.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let (l, r) = (left.get(k), right.get(k));
            (l != r).then(|| {
                format!(
                    "  {k}: {} | {}",
                    l.map_or("(absent)", String::as_str),
                    r.map_or("(absent)", String::as_str)
                )
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Cases. Compared (`d_*`) and refused (`d_refuses_*`) flag sets, grouped as in `docker run --help`.
// ---------------------------------------------------------------------------------------------

#[test]
fn d_harness_masks_identity_and_sorts_what_docker_randomises() {
    let inspect = serde_json::json!({
        "Id": "a".repeat(64),
        "Name": "/n-x",
        "Config": {"Hostname": "aaaaaaaaaaaa", "Env": ["B=2", "A=1"],
                   "Labels": {"dockrun.spec": "h", "k": "v"}},
        "HostConfig": {"Links": ["/t:/n-x/al"], "Binds": ["/b:/b", "/a:/a"]},
        "Mounts": [{"Name": "f".repeat(64)}],
        "Created": "now",
    });
    let flat = normalise(inspect, "n-x", &[]);
    assert_eq!(flat["Config.Hostname"], "\"<id12>\"");
    assert_eq!(flat["Config.Env.[0]"], "\"A=1\"");
    assert_eq!(flat["HostConfig.Binds.[0]"], "\"/a:/a\"");
    assert_eq!(flat["HostConfig.Links.[0]"], "\"/t:/<name>/al\"");
    assert_eq!(flat["Mounts.[0].Name"], "\"<hex>\"");
    assert!(!flat.contains_key("Config.Labels.dockrun.spec"));
    assert!(flat.contains_key("Config.Labels.k"));
    assert!(!flat.contains_key("Created") && !flat.contains_key("Id"));
    let other = BTreeMap::from([("Config.Hostname".to_owned(), "\"h\"".to_owned())]);
    assert_eq!(
        diff(&flat, &other)
            .iter()
            .filter(|l| l.contains("Config.Hostname"))
            .count(),
        1
    );
}

// ---- identity, lifecycle, process ----

#[test]
fn d_plain_image_command() {
    compare(&[], &["sleep", "600"]);
}

#[test]
fn d_process_flags() {
    compare(
        &[
            "-w",
            "/tmp",
            "-u",
            "65534:65534",
            "-h",
            "box",
            "--domainname=example.org",
            "--entrypoint",
            "/bin/sleep",
        ],
        &["600"],
    );
}

#[test]
fn d_lifecycle_flags() {
    compare(
        &[
            "--init",
            "--stop-signal=SIGINT",
            "--stop-timeout",
            "3",
            "--restart=on-failure:2",
        ],
        &["sleep", "600"],
    );
}

#[test]
fn d_combined_booleans_and_rm() {
    compare(&["-dit", "--rm"], &["sh"]);
}

#[test]
fn d_env_forms() {
    case(&[
        "-eA=1",
        "--env=B=two words",
        "-e",
        "FROM_CALLER",
        "-e",
        "UNSET_HERE",
        "-e",
        "C=",
    ])
    .cmd(&["sleep", "600"])
    .env("FROM_CALLER", "caller value")
    .compare();
}

#[test]
fn d_labels_and_ports() {
    compare(
        &[
            "-l",
            "a=1",
            "--label=b",
            "-p127.0.0.1:18431:80",
            "--expose",
            "90-91/udp",
            "-P",
        ],
        &["sleep", "600"],
    );
}

#[test]
fn d_refuses_rm_with_restart_policy() {
    refused(&["--rm", "--restart", "always"], &["sleep", "600"]);
}

#[test]
fn d_refuses_bad_port_spec() {
    refused(&["-p", "80:80:80:80/tcp"], &["sleep", "600"]);
}

#[test]
fn d_volume_bind_named_anonymous_and_relative_source() {
    let mut guard = Cleanup::new();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("rel")).expect("mkdir");
    let vol = guard.volume(&unique("vol"));
    let named = format!("{vol}:/named");
    let bind = format!("{}:/bound:ro", dir.path().display());
    case(&[
        "-v",
        "/anon",
        "-v",
        &named,
        "--volume",
        &bind,
        "-v./rel:/rel",
    ])
    .cmd(&["sleep", "600"])
    .cwd(dir.path())
    .compare();
}

#[test]
fn d_env_file_and_label_file() {
    let mut guard = Cleanup::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let env_file = dir.path().join("env");
    std::fs::write(
        &env_file,
        "\u{feff}# comment\n\n  A=\"quoted\" \nLOOKED_UP\nNOT_SET_ANYWHERE\nB=x=y\n",
    )
    .expect("write env");
    let label_file = dir.path().join("labels");
    std::fs::write(&label_file, "l1=one\nbare\n# c\nl2=two words\n").expect("write labels");
    guard.file(&env_file);
    let env_flag = format!("--env-file={}", env_file.display());
    let label_flag = label_file.display().to_string();
    case(&[&env_flag, "--label-file", &label_flag, "-e", "A=override"])
        .cmd(&["sleep", "600"])
        .env("LOOKED_UP", "from caller")
        .compare();
}
