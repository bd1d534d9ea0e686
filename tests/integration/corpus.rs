//! Issue 15: the corpora of real `docker run` flag sets (`tests/corpus/`, its README gives the
//! line format, the tokens and the traps) through the differential harness, on each engine.
//!
//! For every flag line, `docker run -d --name A FLAGS IMG sleep 600` (the oracle: the docker CLI
//! on this host) and then `dockrun -d --name B FLAGS IMG sleep 600` run against the same engine:
//!
//! - docker made a container (started or not): dockrun must exit with docker's code and make the
//!   same container (`docker inspect`, normalised as in `differential.rs`) → **agree**;
//! - docker refused and made nothing: dockrun must exit 125, print nothing on stdout and make
//!   nothing → **refused alike**;
//! - anything else → **differ**, reported with the file, the line number, the line and the
//!   differing inspect fields (`path: docker | dockrun`).
//!
//! Every container dockrun made and that runs is launched again twice with the same line, while
//! it runs and after `docker stop`: each relaunch must exit 0 with the same ID, leave it running
//! and warn about nothing (**relaunches quiet**).
//!
//! Lines run side by side (`DOCKRUN_CORPUS_JOBS`, default 4: the engine does most of the work,
//! and its processes spend their time waiting on it), each with its own bind root, named
//! volumes and containers; lines that pin an address on the fixed `BARSNET` subnet run one at a
//! time. `DOCKRUN_CORPUS_LINES=realworld.txt:57,clitests.txt:12` runs only those lines,
//! `DOCKRUN_CORPUS_SAMPLE=N` every N-th line.
//!
//! The whole corpora: `cargo test --locked --test integration r15_corpus -- --ignored`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use serde_json::Value;

use crate::differential::{diff, normalise};
use crate::support::engine2::Engine2;
use crate::support::image::test_image;
use crate::support::proxy::CountingProxy;
use crate::support::{dockrun_bin, unique};

/// The corpus files, in the order they run.
const FILES: &[&str] = &["realworld.txt", "clitests.txt"];

/// The container's command (the corpora hold flags only).
const CMD: &[&str] = &["sleep", "600"];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// One flag line of a corpus file.
#[derive(Clone, Debug)]
pub(crate) struct Line {
    file: &'static str,
    number: usize,
    /// The flag line as written.
    pub(crate) text: String,
}

impl Line {
    /// `file:number`.
    pub(crate) fn place(&self) -> String {
        format!("{}:{}", self.file, self.number)
    }
}

/// Every flag line of `file` (comments skipped), with its 1-based line number.
fn read_lines(file: &'static str) -> Vec<Line> {
    let text = std::fs::read_to_string(corpus_dir().join(file)).expect("corpus file");
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
        .map(|(i, l)| Line {
            file,
            number: i + 1,
            text: l.to_owned(),
        })
        .collect()
}

/// Every flag line of every corpus file, in order.
pub(crate) fn corpus_lines() -> Vec<Line> {
    FILES.iter().flat_map(|f| read_lines(f)).collect()
}

/// The flag sets docker/cli has since refused that the installed CLI still accepts
/// (`newer-docker.txt`): dockrun may follow either.
fn newer_docker() -> Vec<String> {
    let text =
        std::fs::read_to_string(corpus_dir().join("newer-docker.txt")).expect("newer-docker.txt");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// The lines to run: all, or those `DOCKRUN_CORPUS_LINES` names, or every `sample`-th
/// (`DOCKRUN_CORPUS_SAMPLE` overrides the caller's).
fn selected(sample: usize) -> Vec<Line> {
    let all = corpus_lines();
    if let Ok(only) = std::env::var("DOCKRUN_CORPUS_LINES") {
        let wanted: Vec<&str> = only.split(',').map(str::trim).collect();
        return all
            .into_iter()
            .filter(|l| wanted.contains(&l.place().as_str()))
            .collect();
    }
    let sample = std::env::var("DOCKRUN_CORPUS_SAMPLE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(sample)
        .max(1);
    all.into_iter().step_by(sample).collect()
}

/// Split a line as `eval "args=($line)"` does (the README's rule), through bash itself.
pub(crate) fn split(line: &str) -> Vec<String> {
    let out = Command::new("bash")
        .args([
            "-c",
            r#"eval "args=($1)" && printf '%s\0' "${args[@]}""#,
            "_",
            line,
        ])
        .output()
        .expect("bash runs");
    assert!(out.status.success(), "bash cannot read corpus line {line}");
    out.stdout
        .split(|b| *b == 0)
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect()
}

/// The engine a run goes to, and how each tool reaches it.
pub(crate) struct Target {
    /// For the summary: which engine, how dockrun reaches it.
    label: String,
    /// `DOCKER_HOST` for the docker CLI and the harness's own calls (`None`: inherited).
    docker_host: Option<String>,
    /// `DOCKER_HOST` for dockrun (`None`: inherited).
    dockrun_host: Option<String>,
    /// Where bind sources and files go: the same path for this host and the engine.
    shared_dir: PathBuf,
}

impl Target {
    fn docker(&self) -> Command {
        let mut command = Command::new("docker");
        if let Some(host) = &self.docker_host {
            command.env("DOCKER_HOST", host);
        }
        command.stdin(Stdio::null());
        command
    }

    fn docker_out(&self, args: &[&str]) -> Output {
        self.docker().args(args).output().expect("docker runs")
    }

    fn docker_ok(&self, args: &[&str]) -> String {
        let out = self.docker_out(args);
        assert!(
            out.status.success(),
            "docker {args:?} ({}): {}",
            self.label,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    fn inspect(&self, name: &str) -> Option<Value> {
        let out = self.docker_out(&["inspect", "--type", "container", name]);
        if !out.status.success() {
            return None;
        }
        let mut all: Vec<Value> = serde_json::from_slice(&out.stdout).expect("inspect is JSON");
        let found = all.pop()?;
        (found["Name"].as_str() == Some(&format!("/{name}"))).then_some(found)
    }
}

/// What every line of one run shares on the target: files, networks, the peer container.
struct Fixture<'t> {
    target: &'t Target,
    root: PathBuf,
    prefix: String,
    tokens: Vec<(&'static str, String)>,
    /// Serialises the lines that pin an address on `BARSNET`'s fixed subnet.
    pinned: Mutex<()>,
    networks: Vec<String>,
    peer: String,
}

impl<'t> Fixture<'t> {
    fn new(target: &'t Target) -> Self {
        let prefix = unique("c15");
        let root = target.shared_dir.join(&prefix);
        std::fs::create_dir_all(root.join("cwd")).expect("corpus root");
        let file = |name: &str, bytes: &[u8]| {
            let path = root.join(name);
            std::fs::write(&path, bytes).expect("corpus file");
            path.display().to_string()
        };
        let envfile = file("env.list", b"ENV1=value1\n");
        let labelfile = file("label.list", b"LABEL1=value1\n");
        let bom8 = file(
            "bom-utf8.env",
            b"\xef\xbb\xbfFOO=BAR\r\nHELLO=\xe6\x82\xa8\xe5\xa5\xbd\r\nBAR=FOO",
        );
        let utf16 = |big_endian: bool| {
            let mut bytes = if big_endian {
                vec![0xfe, 0xff]
            } else {
                vec![0xff, 0xfe]
            };
            for unit in "FOO=BAR\r\nHELLO=\u{60a8}\u{597d}\r\nBAR=FOO".encode_utf16() {
                let pair = if big_endian {
                    unit.to_be_bytes()
                } else {
                    unit.to_le_bytes()
                };
                bytes.extend_from_slice(&pair);
            }
            bytes
        };
        let bom16le = file("bom-utf16le.env", &utf16(false));
        let bom16be = file("bom-utf16be.env", &utf16(true));

        let net = |suffix: &str, subnet: Option<(&str, &str)>| {
            let name = format!("{prefix}-{suffix}");
            let mut args = vec!["network", "create", "--label", "dockrun.test=corpus"];
            if let Some((v4, v6)) = subnet {
                let with_v6 = ["--subnet", v4, "--ipv6", "--subnet", v6, &name];
                if target
                    .docker_out(&[&args[..], &with_v6[..]].concat())
                    .status
                    .success()
                {
                    return name;
                }
                args.extend(["--subnet", v4]);
            }
            args.push(&name);
            target.docker_ok(&args);
            name
        };
        let barsnet = net("barsnet", Some(("10.231.7.0/24", "2001:db8::/64")));
        let alt: Vec<String> = (1..=3).map(|i| net(&format!("alt{i}"), None)).collect();
        let peer = format!("{prefix}-peer");
        target.docker_ok(&[
            "run",
            "-d",
            "--name",
            &peer,
            "--label",
            "dockrun.test=corpus",
            "-v",
            "/peer-data",
            test_image(),
            "sleep",
            "3600",
        ]);
        let tokens = vec![
            ("ENVFILE", envfile),
            ("LABELFILE", labelfile),
            ("BARSNET", barsnet.clone()),
            ("BARSALTNET1", alt[0].clone()),
            ("BARSALTNET2", alt[1].clone()),
            ("BARSALTNET3", alt[2].clone()),
            ("BARSPEER", peer.clone()),
            ("BOMFILE_UTF8", bom8),
            ("BOMFILE_UTF16LE", bom16le),
            ("BOMFILE_UTF16BE", bom16be),
        ];
        let mut networks = vec![barsnet];
        networks.extend(alt);
        Fixture {
            target,
            root,
            prefix,
            tokens,
            pinned: Mutex::new(()),
            networks,
            peer,
        }
    }

    /// The line's argv with every token replaced; its own bind root (`BINDROOT`, with the
    /// directories the line names created, except the ones that must not exist) and named
    /// volumes (`bars-*-vol-N` → `<prefix>-L<n>-…`), so that no line sees another's leftovers.
    fn argv(&self, line: &Line) -> (Vec<String>, Vec<String>) {
        let tag = format!("{}-{}", line.file.trim_end_matches(".txt"), line.number);
        let bindroot = self.root.join(&tag);
        std::fs::create_dir_all(&bindroot).expect("bind root");
        let bindroot = bindroot.display().to_string();
        let volume_prefix = format!("{}-{tag}-", self.prefix);
        let mut volumes = Vec::new();
        let args = split(&line.text)
            .into_iter()
            .map(|arg| {
                let mut arg = arg;
                for (token, value) in &self.tokens {
                    arg = arg.replace(token, value);
                }
                for kind in ["bars-rw-vol-", "bars-cli-vol-"] {
                    if let Some(at) = arg.find(kind) {
                        let n: String = arg[at + kind.len()..]
                            .chars()
                            .take_while(char::is_ascii_digit)
                            .collect();
                        let old = format!("{kind}{n}");
                        let new = format!("{volume_prefix}{}{n}", &kind[5..]);
                        volumes.push(new.clone());
                        arg = arg.replace(&old, &new);
                    }
                }
                for source in bind_sources(&arg) {
                    if !source.contains("does/not/exist") {
                        let dir = format!("{bindroot}{source}");
                        // Why ignored: a path the line names may not be a valid directory
                        // name (docker and dockrun then refuse it alike).
                        let _ = std::fs::create_dir_all(dir);
                    }
                }
                arg.replace("BINDROOT", &bindroot)
            })
            .collect();
        volumes.sort();
        volumes.dedup();
        (args, volumes)
    }

    fn remove(&self, containers: &[&str], volumes: &[String]) {
        for c in containers {
            let _ = self.target.docker_out(&["rm", "-f", "-v", c]);
        }
        for v in volumes {
            let _ = self.target.docker_out(&["volume", "rm", "-f", v]);
        }
    }
}

impl Drop for Fixture<'_> {
    fn drop(&mut self) {
        let _ = self.target.docker_out(&["rm", "-f", "-v", &self.peer]);
        for n in &self.networks {
            let _ = self.target.docker_out(&["network", "rm", n]);
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The paths after each `BINDROOT` in one argument, up to the next `:` or `,`.
pub(crate) fn bind_sources(arg: &str) -> Vec<&str> {
    arg.match_indices("BINDROOT")
        .map(|(at, token)| {
            let rest = &arg[at + token.len()..];
            let end = rest.find([':', ',']).unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

/// One CLI run.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// How one line came out.
enum Outcome {
    Agree {
        relaunched: bool,
    },
    RefusedAlike,
    /// docker made it without a field its engine cannot read at the API version in use; dockrun
    /// refused it by name (the project's rule: nothing it cannot honour is dropped).
    Dropped,
    Either,
    Differ(String),
}

/// One line on one fixture: docker, then dockrun, then the relaunches.
fn run_line(fx: &Fixture<'_>, line: &Line, newer: &[String]) -> Outcome {
    let (args, volumes) = fx.argv(line);
    let pins = args.iter().any(|a| a.contains("10.231.7."));
    let _pinned = pins.then(|| fx.pinned.lock().unwrap_or_else(|e| e.into_inner()));
    let (a, b) = (unique("c15a"), unique("c15b"));
    let outcome = compare_line(fx, &args, &a, &b);
    fx.remove(&[&a, &b], &volumes);
    match outcome {
        Outcome::Differ(_) if newer.contains(&line.text) => Outcome::Either,
        other => other,
    }
}

fn run_tool(fx: &Fixture<'_>, dockrun: bool, name: &str, args: &[String]) -> Ran {
    let mut command = if dockrun {
        let mut c = Command::new(dockrun_bin());
        if let Some(host) = &fx.target.dockrun_host {
            c.env("DOCKER_HOST", host);
        }
        // The API version an endpoint demands is remembered per address: in the run's own dir.
        c.env_remove("DOCKRUN_LOG")
            .env_remove("RUST_LOG")
            .env("DOCKRUN_CACHE_DIR", fx.root.join("cache"));
        c
    } else {
        let mut c = fx.target.docker();
        c.arg("run");
        c
    };
    let out = command
        .args(["-d", "--name", name])
        .args(args)
        .arg(test_image())
        .args(CMD)
        .current_dir(fx.root.join("cwd"))
        .stdin(Stdio::null())
        .output()
        .expect("the CLI runs");
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    }
}

/// The paths a line's containers may differ in by nature, beyond `differential::IGNORED`.
fn ignored(args: &[String]) -> Vec<String> {
    // A replaced entrypoint exits (or not) at its own pace, and a restart policy restarts it:
    // its state and restart count are a race.
    if args.iter().any(|a| a.starts_with("--entrypoint")) {
        vec!["State".to_owned(), "RestartCount".to_owned()]
    } else {
        Vec::new()
    }
}

fn compare_line(fx: &Fixture<'_>, args: &[String], a: &str, b: &str) -> Outcome {
    let docker = run_tool(fx, false, a, args);
    let left = fx.target.inspect(a);
    fx.remove(&[a], &[]);
    let dockrun = run_tool(fx, true, b, args);
    let right = fx.target.inspect(b);
    let said = || {
        format!(
            "  docker exited {:?}: {}\n  dockrun exited {:?}: {}",
            docker.code, docker.stderr, dockrun.code, dockrun.stderr
        )
    };
    if docker.code != Some(0) && left.is_none() {
        // docker refused, or its `--rm` container failed to start and is gone: dockrun must end
        // the same way (125 for a refusal, docker's 126/127 for a command that cannot run) and
        // leave nothing.
        let code_alike = dockrun.code == docker.code
            || (dockrun.code == Some(125) && !matches!(docker.code, Some(126 | 127)));
        if code_alike && right.is_none() && dockrun.stdout.is_empty() {
            return Outcome::RefusedAlike;
        }
        return Outcome::Differ(format!(
            "docker refused it, dockrun did not refuse alike\n{}",
            said()
        ));
    }
    if docker.code == Some(0)
        && dockrun.code == Some(125)
        && right.is_none()
        && dockrun.stderr.contains("requires Engine API")
    {
        // The engine reads the body at an API version that does not know a field the line sets:
        // docker sends it anyway and the engine drops it in silence; dockrun refuses by name.
        return Outcome::Dropped;
    }
    if dockrun.code != docker.code {
        return Outcome::Differ(format!("the exit codes differ\n{}", said()));
    }
    let ignore = ignored(args);
    match (left, right) {
        (Some(left), Some(right)) => {
            let left = normalise(left, a, &ignore);
            let right = normalise(right, b, &ignore);
            let fields = diff(&left, &right);
            if !fields.is_empty() {
                return Outcome::Differ(format!(
                    "docker inspect differs\n  path: docker | dockrun\n{}",
                    fields.join("\n")
                ));
            }
            let running = fx
                .target
                .inspect(b)
                .is_some_and(|v| v["State"]["Running"] == true);
            // Relaunched: the containers that run the harness's own command (a replaced
            // entrypoint lives, dies and restarts as it will).
            if docker.code == Some(0) && running && ignore.is_empty() {
                if let Err(why) = relaunch(fx, args, b, &dockrun.stdout) {
                    return Outcome::Differ(why);
                }
                return Outcome::Agree { relaunched: true };
            }
            Outcome::Agree { relaunched: false }
        }
        // --rm containers whose command ended: both gone.
        (None, None) => Outcome::Agree { relaunched: false },
        // One of them is still being auto-removed after its command ended (a race, not a
        // difference): the one left must be an ended `--rm` container.
        (Some(left), None) | (None, Some(left))
            if left["HostConfig"]["AutoRemove"] == true && left["State"]["Running"] != true =>
        {
            Outcome::Agree { relaunched: false }
        }
        (l, r) => Outcome::Differ(format!(
            "docker's container {}, dockrun's {}\n{}",
            if l.is_some() { "exists" } else { "is gone" },
            if r.is_some() { "exists" } else { "is gone" },
            said()
        )),
    }
}

/// Launch `b` again while it runs, then after `docker stop`: same ID, running, no warning.
fn relaunch(fx: &Fixture<'_>, args: &[String], b: &str, id: &str) -> Result<(), String> {
    let again = |when: &str| -> Result<(), String> {
        let ran = run_tool(fx, true, b, args);
        let state = fx.target.inspect(b);
        let ok = ran.code == Some(0)
            && ran.stdout == id
            && !ran.stderr.contains("WARN")
            && state
                .as_ref()
                .is_some_and(|v| v["State"]["Running"] == true);
        if ok {
            Ok(())
        } else {
            Err(format!(
                "relaunch {when} was not a quiet launch of the same container: exit {:?}, stdout {:?} (ID {id}), running {:?}\n  stderr: {}",
                ran.code,
                ran.stdout,
                state.map(|v| v["State"]["Running"].clone()),
                ran.stderr
            ))
        }
    };
    again("while running")?;
    // `--rm` containers go away when stopped; only the running relaunch applies to them.
    let auto_remove = fx
        .target
        .inspect(b)
        .is_some_and(|v| v["HostConfig"]["AutoRemove"] == true);
    if !auto_remove {
        fx.target.docker_ok(&["stop", "-t", "0", b]);
        again("after docker stop")?;
    }
    Ok(())
}

/// The counts of one run.
#[derive(Default)]
struct Counts {
    agree: usize,
    refused: usize,
    dropped: usize,
    either: usize,
    differ: usize,
    relaunched: usize,
}

/// Run the selected lines on `target` side by side; fail listing every line that differs.
pub(crate) fn run_corpus(target: &Target, sample: usize) {
    let lines = selected(sample);
    let newer = newer_docker();
    let fixture = Fixture::new(target);
    let jobs = std::env::var("DOCKRUN_CORPUS_JOBS")
        .ok()
        .and_then(|j| j.parse().ok())
        .unwrap_or(4usize)
        .max(1);
    let next = AtomicUsize::new(0);
    let results: Mutex<BTreeMap<usize, (Line, Outcome)>> = Mutex::new(BTreeMap::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(line) = lines.get(i) else { break };
                let outcome = run_line(&fixture, line, &newer);
                results
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(i, (line.clone(), outcome));
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut counts = Counts::default();
    let mut report = String::new();
    for (line, outcome) in results.values() {
        match outcome {
            Outcome::Agree { relaunched } => {
                counts.agree += 1;
                counts.relaunched += usize::from(*relaunched);
            }
            Outcome::RefusedAlike => counts.refused += 1,
            Outcome::Dropped => counts.dropped += 1,
            Outcome::Either => counts.either += 1,
            Outcome::Differ(why) => {
                counts.differ += 1;
                let _ = writeln!(report, "{}: {}\n  {why}", line.place(), line.text);
            }
        }
    }
    let summary = format!(
        "{}: {} flag sets in {:.0?} ({jobs} side by side): {} agree, {} refused alike, {} refused by dockrun as too new for the API in use (docker's engine drops the field), {} differ, {} either way (newer-docker.txt); {} relaunches quiet (running, then stopped)",
        target.label,
        lines.len(),
        started.elapsed(),
        counts.agree,
        counts.refused,
        counts.dropped,
        counts.differ,
        counts.either,
        counts.relaunched,
    );
    eprintln!("{summary}");
    assert!(counts.differ == 0, "{summary}\n{report}");
}

/// The host's engine, reached by both tools as the environment says.
fn host_target() -> (Target, tempfile::TempDir) {
    let dir = tempfile::Builder::new()
        .prefix("dockrun-corpus-")
        .tempdir()
        .expect("tempdir");
    let version = crate::support::docker_ok(&[
        "version",
        "--format",
        "{{.Server.Version}} (API {{.Server.APIVersion}})",
    ]);
    let target = Target {
        label: format!("host engine {version}"),
        docker_host: None,
        dockrun_host: None,
        shared_dir: dir.path().to_owned(),
    };
    (target, dir)
}

/// The second engine, reached directly by both tools.
fn engine2_target(engine: &Engine2) -> Target {
    Target {
        label: format!("engine2 {}, direct", engine.version),
        docker_host: Some(engine.docker_host.clone()),
        dockrun_host: Some(engine.docker_host.clone()),
        shared_dir: engine.shared_dir(),
    }
}

// ---- the runs ----

#[test]
fn r15_corpus_sample_host() {
    // Every 25th line: the harness itself stays proven in a plain `cargo test`.
    let (target, _dir) = host_target();
    run_corpus(&target, 25);
}

#[test]
#[ignore = "the whole corpora: minutes; `.ci/run` runs them (`-- --ignored`)"]
fn r15_corpus_host() {
    let (target, _dir) = host_target();
    run_corpus(&target, 1);
}

/// The second engine behind a proxy that refuses API versions below 1.44, as Docker 29 does:
/// dockrun goes through it, the docker CLI (negotiating 1.45) straight to the engine.
fn engine2_floor_target(engine: &Engine2, proxy: &CountingProxy) -> Target {
    Target {
        label: format!("engine2 {}, dockrun behind a 1.44 floor", engine.version),
        dockrun_host: Some(proxy.docker_host()),
        ..engine2_target(engine)
    }
}

#[test]
#[ignore = "the whole corpora on a second engine: minutes; `.ci/run` runs them (`-- --ignored`)"]
fn r15_corpus_engine2() {
    let engine = Engine2::start();
    run_corpus(&engine2_target(&engine), 1);
}

#[test]
#[ignore = "the whole corpora on a second engine: minutes; `.ci/run` runs them (`-- --ignored`)"]
fn r15_corpus_engine2_floor() {
    let engine = Engine2::start();
    let proxy = CountingProxy::floor_to(&engine.docker_host);
    run_corpus(&engine2_floor_target(&engine, &proxy), 1);
}

#[cfg(test)]
mod tests {
    use super::{bind_sources, split};

    #[test]
    fn r15_corpus_lines_split_as_bash_reads_them() {
        assert_eq!(
            split(r#"-e 'A=b c' --env=X $'\t' -v BINDROOT/x:/y"#),
            ["-e", "A=b c", "--env=X", "\t", "-v", "BINDROOT/x:/y"]
        );
        assert_eq!(
            bind_sources("type=bind,source=BINDROOT/a b,target=/x"),
            ["/a b"]
        );
        assert_eq!(bind_sources("BINDROOT//pwd/x.sh:/x:ro"), ["//pwd/x.sh"]);
    }
}
