//! Issue 15: an upgrade of dockrun never turns an unchanged command line into drift.
//!
//! `tests/upgrade/labels-<commit>.json` holds the `dockrun.*` labels an earlier build put on the
//! containers it made for the corpus lines (`tests/corpus/`) that need no network, peer or file
//! of the harness, recorded once by that build (`tests/upgrade/record.sh <commit>` builds it in
//! a temporary worktree and runs `r15_record_upgrade_fixture` with it). The paths, ports and
//! volume names are fixed (`/tmp/dockrun-upgrade/…`, host ports moved to 27000–28011,
//! `dockrun-upgrade-vol-N`) and the image is the test image tagged `dockrun-upgrade:fixture`, so
//! the same command lines can be given again on any machine.
//!
//! `r15_upgrade_relaunches_containers_of_an_earlier_build_quietly` makes each such container
//! again with the recorded labels (`docker create`), then launches the current build with the
//! same line, while it runs and after `docker stop`: the same container, no warning, no drift.
//! The drift unit tests check the same fixtures without an engine, field by field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::corpus::{bind_sources, corpus_lines, split};
use crate::support::image::test_image;
use crate::support::{docker, docker_ok, dockrun_bin, unique, Cleanup};

/// The image reference every fixture line runs (a tag of the test image).
const IMAGE: &str = "dockrun-upgrade:fixture";
/// The bind root of the fixture lines.
const BINDROOT: &str = "/tmp/dockrun-upgrade/bind";
/// The container's command.
const CMD: &[&str] = &["sleep", "600"];

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/upgrade")
}

/// The corpus lines the fixtures are made of, with their fixed substitutions: those that need
/// no harness object or file, and no working directory.
fn fixture_lines() -> Vec<(String, Vec<String>)> {
    corpus_lines()
        .into_iter()
        .filter(|l| {
            ![
                "ENVFILE",
                "LABELFILE",
                "BOMFILE",
                "BARS",
                "./",
                "=.",
                "seccomp=",
            ]
            .iter()
            .any(|t| l.text.contains(t))
        })
        .map(|l| {
            let argv = split(&l.text)
                .into_iter()
                .map(|arg| {
                    let mut arg = arg
                        .replace("bars-rw-vol-", "dockrun-upgrade-vol-rw-")
                        .replace("bars-cli-vol-", "dockrun-upgrade-vol-cli-")
                        .replace("BINDROOT", BINDROOT);
                    // Host ports 20000-20171 and 25001-25011 → 27000-27171 and 28001-28011, so
                    // that they never meet the corpus runs' ports.
                    for (from, to) in [("200", "270"), ("201", "271"), ("250", "280")] {
                        arg = move_ports(&arg, from, to);
                    }
                    arg
                })
                .collect();
            (l.place(), argv)
        })
        .collect()
}

/// Replace 5-digit numbers starting with `from` (3 digits) by the same number starting with `to`.
fn move_ports(arg: &str, from: &str, to: &str) -> String {
    let bytes = arg.as_bytes();
    let mut out = String::with_capacity(arg.len());
    let mut i = 0;
    while i < bytes.len() {
        let run = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if run == 0 {
            let ch = arg[i..].chars().next().expect("a char");
            out.push(ch);
            i += ch.len_utf8();
            continue;
        }
        let number = &arg[i..i + run];
        if run == 5 && number.starts_with(from) {
            out.push_str(to);
            out.push_str(&number[3..]);
        } else {
            out.push_str(number);
        }
        i += run;
    }
    out
}

/// Tag the test image as the fixtures' image (idempotent; left in place like the test image).
fn fixture_image() -> String {
    docker_ok(&["tag", test_image(), IMAGE]);
    docker_ok(&["image", "inspect", "-f", "{{.Id}}", IMAGE])
}

/// Create the directories a line's bind sources name under [`BINDROOT`].
fn make_bind_sources(argv: &[String]) {
    for arg in argv {
        for source in bind_sources(&arg.replace(BINDROOT, "BINDROOT")) {
            if !source.contains("does/not/exist") {
                // Why ignored: a source that cannot be a directory is refused alike.
                let _ = std::fs::create_dir_all(format!("{BINDROOT}{source}"));
            }
        }
    }
}

/// The `dockrun.*` labels of a container.
fn dockrun_labels(name: &str) -> BTreeMap<String, String> {
    let text = docker_ok(&["inspect", "-f", "{{json .Config.Labels}}", name]);
    let labels: BTreeMap<String, String> = serde_json::from_str(&text).unwrap_or_default();
    labels
        .into_iter()
        .filter(|(k, _)| k.starts_with("dockrun."))
        .collect()
}

/// Record the fixture with the build `DOCKRUN_RECORD_BIN` names (see `tests/upgrade/record.sh`).
#[test]
#[ignore = "run by tests/upgrade/record.sh with an earlier build"]
fn r15_record_upgrade_fixture() {
    let old = std::env::var("DOCKRUN_RECORD_BIN").expect("DOCKRUN_RECORD_BIN: the earlier build");
    let commit = std::env::var("DOCKRUN_RECORD_COMMIT").expect("DOCKRUN_RECORD_COMMIT");
    let image_id = fixture_image();
    let mut containers = Vec::new();
    for (place, argv) in fixture_lines() {
        make_bind_sources(&argv);
        let mut guard = Cleanup::new();
        let name = guard.container(&unique("upgrade"));
        let out = Command::new(&old)
            .args(["-d", "--name", &name])
            .args(&argv)
            .arg(IMAGE)
            .args(CMD)
            .stdin(Stdio::null())
            .output()
            .expect("the earlier build runs");
        if out.status.success() {
            containers.push(json!({"line": place, "argv": argv, "labels": dockrun_labels(&name)}));
        }
        for volume in argv.iter().filter_map(|a| volume_name(a)) {
            guard.volume(&volume);
        }
    }
    let fixture = json!({
        "commit": commit,
        "image": IMAGE,
        "image_id": image_id,
        "cmd": CMD,
        "containers": containers,
    });
    let path = fixture_dir().join(format!("labels-{commit}.json"));
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&fixture).expect("json") + "\n",
    )
    .expect("write the fixture");
    eprintln!("{}: {} containers", path.display(), containers.len());
    let _ = std::fs::remove_dir_all("/tmp/dockrun-upgrade");
}

/// The named volume an argument makes, if any (`dockrun-upgrade-vol-…`).
fn volume_name(arg: &str) -> Option<String> {
    let at = arg.find("dockrun-upgrade-vol-")?;
    let name: String = arg[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    Some(name)
}

/// Every fixture file: (file name, parsed JSON).
pub(crate) fn fixtures() -> Vec<(String, Value)> {
    let mut all: Vec<(String, Value)> = std::fs::read_dir(fixture_dir())
        .expect("tests/upgrade")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("fixture");
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, serde_json::from_str(&text).expect("fixture JSON"))
        })
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(!all.is_empty(), "no fixture in tests/upgrade");
    all
}

/// Whether a fixture line is one the relaunch cannot make again as the earlier build did: an
/// `--entrypoint` that cannot run the fixtures' `sleep 600` (the container ends or restarts on
/// its own), or a volume subpath, which today's dockrun refuses on an engine below API 1.45 (the
/// corpus checks that refusal against docker's).
fn not_relaunchable(argv: &[String]) -> bool {
    argv.iter()
        .any(|a| a.starts_with("--entrypoint") || a.contains("volume-subpath"))
}

/// The flags `docker create` does not take (`-d`, `--sig-proxy`): they shape the launch, not
/// the container, so the earlier build's container had none of them either.
fn create_flags(argv: &[String]) -> Vec<String> {
    argv.iter()
        .filter(|a| !matches!(a.as_str(), "-d" | "--detach") && !a.starts_with("--sig-proxy"))
        .cloned()
        .collect()
}

/// `-e NAME` takes NAME's value from the environment of whoever runs it: give it the value the
/// earlier build recorded (its recorder's PATH or TERM), for `docker create` and dockrun alike.
fn recorded_env_values(argv: &[String], labels: &BTreeMap<String, String>) -> Vec<String> {
    let recorded: Value = labels
        .get("dockrun.spec")
        .and_then(|spec| serde_json::from_str(spec).ok())
        .unwrap_or_default();
    argv.iter()
        .enumerate()
        .map(|(i, arg)| {
            let after_env = i > 0 && matches!(argv[i - 1].as_str(), "-e" | "--env");
            match recorded["Env"].get(arg).and_then(Value::as_str) {
                Some(value) if after_env => format!("{arg}={value}"),
                _ => arg.clone(),
            }
        })
        .collect()
}

#[test]
fn r15_upgrade_relaunches_containers_of_an_earlier_build_quietly() {
    fixture_image();
    let mut failures = Vec::new();
    let (mut relaunched, mut skipped) = (0, 0);
    for (file, fixture) in fixtures() {
        for entry in fixture["containers"].as_array().expect("containers") {
            let place = entry["line"].as_str().expect("line");
            let argv: Vec<String> = serde_json::from_value(entry["argv"].clone()).expect("argv");
            let labels: BTreeMap<String, String> =
                serde_json::from_value(entry["labels"].clone()).expect("labels");
            if not_relaunchable(&argv) {
                skipped += 1;
                continue;
            }
            let argv = recorded_env_values(&argv, &labels);
            make_bind_sources(&argv);
            let mut guard = Cleanup::new();
            let name = guard.container(&unique("upgrade"));
            for volume in argv.iter().filter_map(|a| volume_name(a)) {
                guard.volume(&volume);
            }
            // The container the earlier build made: the same flags, its labels.
            let mut create = vec!["create".to_owned(), "--name".to_owned(), name.clone()];
            for (k, v) in &labels {
                create.extend(["--label".to_owned(), format!("{k}={v}")]);
            }
            create.extend(create_flags(&argv));
            create.push(IMAGE.to_owned());
            create.extend(CMD.iter().map(|c| (*c).to_owned()));
            let create: Vec<&str> = create.iter().map(String::as_str).collect();
            let made = docker(&create);
            if !made.status.success() {
                failures.push(format!(
                    "{file} {place}: docker create: {}",
                    String::from_utf8_lossy(&made.stderr).trim()
                ));
                continue;
            }
            let id = String::from_utf8_lossy(&made.stdout).trim().to_owned();
            for when in ["stopped (created by the earlier build)", "running"] {
                let out = Command::new(dockrun_bin())
                    .args(["-d", "--name", &name])
                    .args(&argv)
                    .arg(IMAGE)
                    .args(CMD)
                    .env_remove("DOCKRUN_LOG")
                    .env_remove("RUST_LOG")
                    .stdin(Stdio::null())
                    .output()
                    .expect("dockrun runs");
                let (stdout, stderr) = (
                    String::from_utf8_lossy(&out.stdout).trim().to_owned(),
                    String::from_utf8_lossy(&out.stderr).trim().to_owned(),
                );
                if out.status.code() != Some(0) || stdout != id || stderr.contains("WARN") {
                    failures.push(format!(
                        "{file} {place} ({when}): exit {:?}, stdout {stdout:?} (ID {id})\n  {}\n  {stderr}",
                        out.status.code(),
                        argv.join(" "),
                    ));
                    break;
                }
                relaunched += 1;
            }
        }
    }
    let _ = std::fs::remove_dir_all("/tmp/dockrun-upgrade");
    eprintln!("upgrade: {relaunched} relaunches quiet ({skipped} lines not relaunchable)");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[cfg(test)]
mod tests {
    use super::move_ports;

    #[test]
    fn r15_fixture_ports_move_out_of_the_corpus_range() {
        assert_eq!(
            move_ports("-p 20002:53/udp", "200", "270"),
            "-p 27002:53/udp"
        );
        assert_eq!(
            move_ports("127.0.0.1:25001:80", "250", "280"),
            "127.0.0.1:28001:80"
        );
        assert_eq!(
            move_ports("--memory=200000", "200", "270"),
            "--memory=200000"
        );
    }
}
