//! Issue 4, foreground supervision: exit codes and streams, signals, attaching to a running
//! container, `--rm`, `--cidfile`, `-a`, sd_notify (path and abstract sockets, running and
//! healthy), and an interactive `-it` session driven through tmux.

use std::io::Read;
use std::os::unix::net::UnixDatagram;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::image::test_image;
use crate::support::{
    docker, docker_ok, dockrun, dockrun_bin, dockrun_env, exists, inspect, unique, Cleanup,
};

/// Quiet logs, so dockrun's stderr holds the container's stderr only.
const QUIET: (&str, &str) = ("DOCKRUN_LOG", "off");

/// Poll `check` every 50 ms until it holds, at most `limit`.
pub(crate) fn eventually(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn running(name: &str) -> bool {
    inspect(name, "{{.State.Running}}").as_deref() == Some("true")
}

/// Start dockrun in the background with extra environment; stdout and stderr piped.
fn spawn(args: &[&str], env: &[(&str, &str)]) -> Child {
    // With every signal at its default action, whatever the test run inherited (under `nohup`
    // SIGHUP is ignored, and an ignored signal stays ignored across exec): coreutils' `env`
    // resets them and execs dockrun in the same process.
    let mut cmd = Command::new("env");
    cmd.arg("--default-signal")
        .arg(dockrun_bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("dockrun starts")
}

/// A dockrun in the foreground whose container has said it is ready, and its notify socket.
struct Ready {
    child: Child,
    notify: NotifySocket,
}

/// `spawn` with a notify socket, then wait on markers, never on the clock: dockrun's `READY=1`
/// (it is attached and in its loop), then the container's `ready` line on stdout, which its
/// script prints once its traps are set. The rest of stdout is drained meanwhile.
fn spawn_ready(args: &[&str], env: &[(&str, &str)]) -> Ready {
    let notify = NotifySocket::path();
    let mut env = env.to_vec();
    env.push(("NOTIFY_SOCKET", &notify.address));
    let mut child = spawn(args, &env);
    notify.until("READY=1", Duration::from_secs(20), || ());
    let stdout = child.stdout.take().expect("piped stdout");
    let (lines, marker) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
            let Ok(line) = line else { break };
            // The receiver is gone once the marker was seen: keep draining regardless.
            let _ = lines.send(line);
        }
    });
    loop {
        match marker.recv_timeout(Duration::from_secs(20)) {
            Ok(line) if line == "ready" => break,
            Ok(_) => {}
            Err(err) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("no `ready` marker from the container: {err}");
            }
        }
    }
    Ready { child, notify }
}

/// Wait for a child at most `limit`; kill it and fail past that.
fn finish(mut child: Child, limit: Duration) -> (Option<i32>, String) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            let mut stderr = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut stderr);
            }
            return (status.code(), stderr);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("dockrun did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args(["-s", sig, &child.id().to_string()])
        .status()
        .expect("kill runs")
        .success();
    assert!(ok, "kill -s {sig} failed");
}

#[test]
fn r4_exit_7_with_both_streams_kept_apart_twice_on_the_same_container() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("job"));
    // Bytes that line buffering or text decoding would mangle: no final newline, a NUL, 0xff.
    let script = r"printf 'out-1\n'; printf 'err-1\n' >&2; printf 'out\000\377-2'; printf 'err-2' >&2; exit 7";
    let args = [
        "--pull=never",
        "--name",
        &name,
        test_image(),
        "sh",
        "-c",
        script,
    ];
    let mut ids = Vec::new();
    for round in 0..2 {
        let out = Command::new(dockrun_bin())
            .args(args)
            .env(QUIET.0, QUIET.1)
            .stdin(Stdio::null())
            .output()
            .expect("dockrun runs");
        assert_eq!(out.status.code(), Some(7), "round {round}: {out:?}");
        assert_eq!(out.stdout, b"out-1\nout\x00\xff-2", "round {round}");
        assert_eq!(out.stderr, b"err-1\nerr-2", "round {round}");
        ids.push(inspect(&name, "{{.Id}}").unwrap());
    }
    assert_eq!(ids[0], ids[1], "the second run restarts the same container");
    assert_eq!(
        inspect(&name, "{{.RestartCount}} {{.State.Status}}").unwrap(),
        "0 exited"
    );
}

#[test]
fn r4_attach_flag_picks_the_streams() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("attach"));
    let out = Command::new(dockrun_bin())
        .args([
            "--pull=never",
            "-a",
            "stderr",
            "--name",
            &name,
            test_image(),
        ])
        .args(["sh", "-c", "echo to-out; echo to-err >&2"])
        .env(QUIET.0, QUIET.1)
        .stdin(Stdio::null())
        .output()
        .expect("dockrun runs");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, b"");
    assert_eq!(out.stderr, b"to-err\n");
}

#[test]
fn r4_sigterm_stops_a_container_that_ignores_it_within_its_stop_timeout() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("term"));
    let script = "trap '' TERM; echo ready; while :; do sleep 1; done";
    let args = [
        "--pull=never",
        "--stop-timeout",
        "2",
        "--name",
        &name,
        test_image(),
        "sh",
        "-c",
        script,
    ];
    let Ready { child, .. } = spawn_ready(&args, &[]);
    let sent = Instant::now();
    signal(&child, "TERM");
    let (code, stderr) = finish(child, Duration::from_secs(20));
    let took = sent.elapsed();
    assert_eq!(code, Some(137), "killed after the stop timeout: {stderr}");
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(8),
        "the stop signal, then SIGKILL after 2s; took {took:?}"
    );
    assert_eq!(inspect(&name, "{{.State.Running}}").unwrap(), "false");
    assert!(stderr.contains("stopping the container"), "{stderr}");
}

#[test]
fn r4_second_sigint_kills_at_once() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("int2"));
    let script = "trap '' TERM INT; echo ready; while :; do sleep 1; done";
    let args = [
        "--pull=never",
        "--stop-timeout",
        "60",
        "--name",
        &name,
        test_image(),
        "sh",
        "-c",
        script,
    ];
    let Ready { child, notify } = spawn_ready(&args, &[]);
    let sent = Instant::now();
    signal(&child, "INT");
    // Two signals sent at once may be delivered as one: the second goes once the first has
    // been acted on (dockrun says STOPPING=1 then).
    notify.until("STOPPING=1", Duration::from_secs(20), || ());
    signal(&child, "INT");
    let (code, stderr) = finish(child, Duration::from_secs(20));
    assert_eq!(code, Some(137), "{stderr}");
    assert!(
        sent.elapsed() < Duration::from_secs(10),
        "not the 60s timeout"
    );
}

#[test]
fn r4_signals_are_forwarded_unless_sig_proxy_is_false() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("hup"));
    let script = "trap 'echo got-hup; exit 5' HUP; echo ready; while :; do sleep 1; done";
    for (proxy, expected) in [("--sig-proxy=true", Some(5)), ("--sig-proxy=false", None)] {
        let args = [
            "--pull=never",
            proxy,
            "--name",
            &name,
            test_image(),
            "sh",
            "-c",
            script,
        ];
        let Ready { child, .. } = spawn_ready(&args, &[QUIET]);
        signal(&child, "HUP");
        let (code, stderr) = finish(child, Duration::from_secs(20));
        // Forwarded: the container's trap exits 5. Not forwarded: SIGHUP is not caught, so it
        // ends dockrun (no exit code) and only dockrun.
        assert_eq!(code, expected, "{proxy}: {stderr}");
    }
    assert!(
        running(&name),
        "without the proxy the container did not get the signal"
    );
}

#[test]
fn r4_attached_to_a_running_container_exits_with_its_code_when_stopped_outside() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("running"));
    let script = "trap 'exit 3' TERM; while :; do sleep 1; done";
    docker_ok(&[
        "run",
        "-d",
        "--name",
        &name,
        test_image(),
        "sh",
        "-c",
        script,
    ]);
    eventually(Duration::from_secs(20), "the container to run", || {
        running(&name)
    });
    let notify = NotifySocket::path();
    let child = spawn(
        &[
            "--pull=never",
            "--name",
            &name,
            test_image(),
            "sh",
            "-c",
            script,
        ],
        &[("NOTIFY_SOCKET", &notify.address)],
    );
    // Stopped before dockrun is attached, the container would be started again: wait for
    // READY=1, sent once dockrun waits on it and is attached.
    notify.until("READY=1", Duration::from_secs(20), || ());
    docker_ok(&["stop", "-t", "5", &name]);
    let (code, stderr) = finish(child, Duration::from_secs(20));
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("already running"), "{stderr}");
}

#[test]
fn r4_rm_removes_the_container_after_it_ends() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("rm"));
    let run = dockrun_env(
        &[
            "--pull=never",
            "--rm",
            "--name",
            &name,
            test_image(),
            "sh",
            "-c",
            "echo bye; exit 4",
        ],
        &[QUIET],
    );
    assert_eq!(run.code, Some(4), "{}", run.stderr);
    assert_eq!(run.stdout, "bye\n");
    assert!(!exists(&name), "removed before dockrun returned");
}

#[test]
fn r4_cidfile_is_written_accepted_again_and_a_foreign_one_refused() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("cid"));
    let dir = tempfile::tempdir().unwrap();
    let cid = dir.path().join("cid");
    let cid_arg = cid.display().to_string();
    let args = [
        "-d",
        "--pull=never",
        "--cidfile",
        &cid_arg,
        "--name",
        &name,
        test_image(),
        "sleep",
        "600",
    ];
    let run = dockrun(&args);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&cid).unwrap(), run.stdout.trim());
    let again = dockrun(&args);
    assert_eq!(
        again.code,
        Some(0),
        "same ID in the file: fine ({})",
        again.stderr
    );

    let other = guard.container(&unique("cid-other"));
    let refused = dockrun(&[
        "-d",
        "--pull=never",
        "--cidfile",
        &cid_arg,
        "--name",
        &other,
        test_image(),
    ]);
    assert_eq!(refused.code, Some(125));
    assert!(refused.stderr.contains("--cidfile"), "{}", refused.stderr);
    assert!(!exists(&other), "nothing created");

    // In the foreground the file is written before the container runs.
    let fg_cid = dir.path().join("fg");
    let fg_arg = fg_cid.display().to_string();
    let fg = guard.container(&unique("cid-fg"));
    let run = dockrun(&[
        "--pull=never",
        "--cidfile",
        &fg_arg,
        "--name",
        &fg,
        test_image(),
        "true",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(&fg_cid).unwrap(),
        inspect(&fg, "{{.Id}}").unwrap()
    );
}

#[test]
fn r4_tty_without_a_terminal_is_refused_before_the_engine() {
    let name = unique("notty");
    let run = dockrun(&["-it", "--pull=never", "--name", &name, test_image()]);
    assert_eq!(run.code, Some(125));
    assert!(
        run.stderr.contains("the input device is not a TTY"),
        "{}",
        run.stderr
    );
    assert!(!exists(&name));
}

/// A notify socket in a tempdir (or abstract) and what arrives on it.
struct NotifySocket {
    socket: UnixDatagram,
    address: String,
    _dir: tempfile::TempDir,
}

impl NotifySocket {
    fn path() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let socket = UnixDatagram::bind(&path).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        NotifySocket {
            socket,
            address: path.display().to_string(),
            _dir: dir,
        }
    }

    fn abstract_socket() -> Self {
        use std::os::linux::net::SocketAddrExt;
        let name = unique("notify");
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let socket = UnixDatagram::bind_addr(&addr).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        NotifySocket {
            socket,
            address: format!("@{name}"),
            _dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Every line that has arrived and not been read yet.
    fn drain(&self) -> Vec<String> {
        let mut seen = Vec::new();
        let mut buf = vec![0u8; 4096];
        while let Ok(n) = self.socket.recv(&mut buf) {
            seen.extend(
                String::from_utf8_lossy(&buf[..n])
                    .lines()
                    .map(str::to_owned),
            );
        }
        seen
    }

    /// Messages until one contains `line`; `at_arrival` runs when it arrives.
    fn until<T>(
        &self,
        line: &str,
        limit: Duration,
        at_arrival: impl Fn() -> T,
    ) -> (Vec<String>, T) {
        let start = Instant::now();
        let mut seen = Vec::new();
        let mut buf = vec![0u8; 4096];
        loop {
            assert!(
                start.elapsed() < limit,
                "no `{line}` within {limit:?}; got {seen:?}"
            );
            if let Ok(n) = self.socket.recv(&mut buf) {
                let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                let hit = msg.lines().any(|l| l == line);
                seen.push(msg);
                if hit {
                    return (seen, at_arrival());
                }
            }
        }
    }
}

#[test]
fn r4_notify_ready_once_running_then_stopping_on_path_and_abstract_sockets() {
    for notify in [NotifySocket::path(), NotifySocket::abstract_socket()] {
        let mut guard = Cleanup::new();
        let name = guard.container(&unique("notify"));
        let child = spawn(
            &[
                "--pull=never",
                "--stop-timeout",
                "1",
                "--name",
                &name,
                test_image(),
                "sleep",
                "600",
            ],
            &[
                ("NOTIFY_SOCKET", &notify.address),
                ("WATCHDOG_USEC", "200000"),
            ],
        );
        let (seen, was_running) =
            notify.until("READY=1", Duration::from_secs(20), || running(&name));
        assert!(
            was_running,
            "READY=1 came before the container ran: {seen:?}"
        );
        assert!(seen.iter().any(|m| m.contains("STATUS=")), "{seen:?}");
        // The watchdog pings at half of WATCHDOG_USEC while the container lives.
        notify.until("WATCHDOG=1", Duration::from_secs(5), || ());
        signal(&child, "TERM");
        notify.until("STOPPING=1", Duration::from_secs(20), || ());
        let (code, stderr) = finish(child, Duration::from_secs(30));
        // `sleep` as PID 1 has no SIGTERM handler, so the kernel ignores it: killed after 1s.
        assert_eq!(code, Some(137), "{stderr}");
    }
}

#[test]
fn r4_notify_healthy_waits_for_the_healthcheck() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("healthy"));
    // The healthcheck passes only after the container has run for ~2s.
    let script = "sleep 2; touch /tmp/ok; exec sleep 600";
    let notify = NotifySocket::path();
    let args = [
        "--pull=never",
        "--sdnotify=healthy",
        "--health-cmd",
        "test -f /tmp/ok",
        "--health-interval",
        "500ms",
        "--health-retries",
        "20",
        "--stop-timeout",
        "1",
        "--name",
        &name,
        test_image(),
        "sh",
        "-c",
        script,
    ];
    let child = spawn(&args, &[("NOTIFY_SOCKET", &notify.address)]);
    let (seen, health) = notify.until("READY=1", Duration::from_secs(30), || {
        inspect(&name, "{{.State.Health.Status}}").unwrap_or_default()
    });
    assert_eq!(health, "healthy", "READY=1 before healthy: {seen:?}");
    assert!(
        seen.iter().any(|m| m.contains("waiting")),
        "STATUS lines while waiting: {seen:?}"
    );
    signal(&child, "TERM");
    let (code, stderr) = finish(child, Duration::from_secs(30));
    assert_eq!(code, Some(137), "{stderr}");

    // No healthcheck at all: a clear error, and the container is not started.
    let bare = guard.container(&unique("nohealth"));
    let run = dockrun_env(
        &[
            "--pull=never",
            "--sdnotify=healthy",
            "--name",
            &bare,
            test_image(),
            "true",
        ],
        &[("NOTIFY_SOCKET", &notify.address)],
    );
    assert_eq!(run.code, Some(125));
    assert!(run.stderr.contains("needs a healthcheck"), "{}", run.stderr);
    assert_eq!(inspect(&bare, "{{.State.Status}}").unwrap(), "created");
}

/// The wait for healthy is bounded (issue 12): a container whose healthcheck never passes is,
/// past the bound, stopped (foreground) or left running (`-d`), and the launch fails naming the
/// container and the bound; `READY=1` is never sent.
#[test]
fn r12_notify_healthy_that_never_comes_is_bounded() {
    let mut guard = Cleanup::new();
    let notify = NotifySocket::path();
    let flags = |name: &str, detach: bool| {
        let mut args: Vec<String> = [
            "--pull=never",
            "--sdnotify=healthy",
            "--health-cmd",
            "false",
            "--health-interval",
            "500ms",
            "--health-retries",
            "100",
            "--wait-timeout",
            "3s",
            "--stop-timeout",
            "1",
            "--name",
            name,
        ]
        .map(str::to_owned)
        .to_vec();
        if detach {
            args.insert(0, "-d".to_owned());
        }
        args.extend([test_image(), "sleep", "600"].map(str::to_owned));
        args
    };
    for detach in [false, true] {
        let name = guard.container(&unique(if detach { "latehealthd" } else { "latehealth" }));
        let args = flags(&name, detach);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let started = Instant::now();
        let run = dockrun_env(&args, &[("NOTIFY_SOCKET", &notify.address)]);
        let took = started.elapsed();
        assert_eq!(run.code, Some(125), "-d {detach}: {}", run.stderr);
        assert!(
            run.stderr
                .contains(&format!("container `{name}` was not healthy within 3s"))
                && run.stderr.contains("`--sdnotify=healthy`"),
            "-d {detach}: {}",
            run.stderr
        );
        assert!(took < Duration::from_secs(30), "{took:?}");
        let (status, expected) = if detach {
            (inspect(&name, "{{.State.Status}}"), "running")
        } else {
            (inspect(&name, "{{.State.Status}}"), "exited")
        };
        assert_eq!(status.as_deref(), Some(expected), "-d {detach}");
        let outcome = if detach {
            "it is left running"
        } else {
            "it was stopped"
        };
        assert!(run.stderr.contains(outcome), "{}", run.stderr);
    }
    let seen = notify.drain();
    assert!(!seen.iter().any(|m| m == "READY=1"), "{seen:?}");
}

/// tmux, isolated on its own server socket.
pub(crate) struct Tmux {
    pub(crate) socket: String,
}

impl Tmux {
    pub(crate) fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs (install Debian's `tmux`)")
    }
    /// Start session `t`, `cols`×`rows`, running `shell`.
    pub(crate) fn session(&self, cols: u16, rows: u16, shell: &str) {
        let (cols, rows) = (cols.to_string(), rows.to_string());
        let out = self.cmd(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            &cols,
            "-y",
            &rows,
            shell,
        ]);
        assert!(out.status.success(), "{out:?}");
    }
    pub(crate) fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

#[test]
fn r4_interactive_tty_session_through_tmux() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("tty"));
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let tmux = Tmux {
        socket: unique("tmux"),
    };
    // The pane's shell records the terminal mode before and after (each file complete once
    // it exists), and dockrun's exit code.
    let notify = NotifySocket::path();
    let shell = format!(
        "stty -g > {d}/before; NOTIFY_SOCKET={socket} DOCKRUN_LOG=off {bin} -it --rm --pull=never --name {name} {img} sh; echo $? > {d}/rc.tmp; mv {d}/rc.tmp {d}/rc; stty -g > {d}/after.tmp; mv {d}/after.tmp {d}/after; sleep 60",
        socket = notify.address,
        bin = dockrun_bin(),
        img = test_image()
    );
    tmux.session(100, 30, &shell);
    // READY=1: the terminal is raw, dockrun is attached and reads the keys.
    notify.until("READY=1", Duration::from_secs(20), || ());
    tmux.cmd(&[
        "send-keys",
        "-t",
        "t",
        "echo answer-$((6*7)); stty size",
        "Enter",
    ]);
    eventually(Duration::from_secs(10), "the answer on screen", || {
        tmux.screen().contains("answer-42")
    });
    // The container's terminal has the pane's size.
    eventually(Duration::from_secs(5), "the size", || {
        tmux.screen().contains("30 100")
    });
    tmux.cmd(&["send-keys", "-t", "t", "exit 6", "Enter"]);
    let rc = dir.path().join("rc");
    eventually(Duration::from_secs(20), "dockrun to exit", || rc.exists());
    assert_eq!(
        std::fs::read_to_string(&rc).unwrap().trim(),
        "6",
        "{}",
        tmux.screen()
    );
    eventually(Duration::from_secs(5), "stty after", || {
        dir.path().join("after").exists()
    });
    assert_eq!(
        std::fs::read_to_string(dir.path().join("before")).unwrap(),
        std::fs::read_to_string(dir.path().join("after")).unwrap(),
        "terminal mode restored"
    );
    assert!(!exists(&name), "--rm");
}

#[test]
fn r4_detach_keys_leave_the_container_running() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("detach"));
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let tmux = Tmux {
        socket: unique("tmux"),
    };
    let notify = NotifySocket::path();
    let shell = format!(
        "NOTIFY_SOCKET={socket} DOCKRUN_LOG=off {bin} -it --detach-keys ctrl-x,x --pull=never --name {name} {img} sh; echo $? > {d}/rc.tmp; mv {d}/rc.tmp {d}/rc; sleep 60",
        socket = notify.address,
        bin = dockrun_bin(),
        img = test_image()
    );
    assert!(tmux
        .cmd(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "80",
            "-y",
            "24",
            &shell
        ])
        .status
        .success());
    notify.until("READY=1", Duration::from_secs(20), || ());
    tmux.cmd(&["send-keys", "-t", "t", "C-x", "x"]);
    let rc = dir.path().join("rc");
    eventually(Duration::from_secs(20), "dockrun to detach", || rc.exists());
    assert_eq!(std::fs::read_to_string(&rc).unwrap().trim(), "0");
    assert!(running(&name), "detaching leaves the container running");
    let _ = docker(&["rm", "-f", &name]);
}

#[test]
fn r4_sigterm_while_pulling_exits_143_and_starts_nothing() {
    let name = unique("pulling");
    // A "registry" that accepts connections and never answers: the pull hangs.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let image = format!(
        "127.0.0.1:{}/dockrun-silent:1",
        silent.local_addr().unwrap().port()
    );
    let child = spawn(&["--name", &name, &image], &[]);
    // The engine connecting to the registry: dockrun is pulling.
    silent.set_nonblocking(true).unwrap();
    let mut pulling = None;
    eventually(
        Duration::from_secs(20),
        "the pull to reach the registry",
        || {
            pulling = silent.accept().ok();
            pulling.is_some()
        },
    );
    signal(&child, "TERM");
    let (code, stderr) = finish(child, Duration::from_secs(20));
    assert_eq!(code, Some(143), "128+SIGTERM: {stderr}");
    assert!(!exists(&name), "nothing created");
}

/// Under systemd (`INVOCATION_ID` set, as systemd sets it for every unit), a foreground launch
/// with a `--restart` policy warns once that the engine's policy and the unit's `Restart=` fight;
/// the launch itself goes on and exits with the container's code. Outside systemd, or with
/// `--restart no`, there is no warning.
///
/// The containers with a policy exit 0, which `on-failure` does not restart: one it restarts
/// makes the exit code a race in engines before 23.0 (this machine's 20.10), whose wait reads
/// the code only after waking, by when the restart may have reset it to 0 (moby#39352, fixed by
/// moby#43751; `docker run --restart on-failure:1 … sh -c 'exit 4'` exits 0 there too, 2 runs
/// in 21 seven at a time). The `--restart no` one exits 4: the code is the container's.
#[test]
fn r4_restart_policy_under_systemd_is_warned_about() {
    let mut guard = Cleanup::new();
    let img = test_image();
    let mut launch = |tag: &str, restart: &str, invocation: Option<&str>, code: i32| {
        let name = guard.container(&unique(tag));
        let mut cmd = Command::new(dockrun_bin());
        let exit = format!("exit {code}");
        cmd.args([
            "--restart",
            restart,
            "--name",
            &name,
            img,
            "sh",
            "-c",
            &exit,
        ])
        .stdin(Stdio::null())
        .env_remove("DOCKRUN_LOG")
        .env_remove("INVOCATION_ID");
        if let Some(id) = invocation {
            cmd.env("INVOCATION_ID", id);
        }
        let run = crate::support::finish(cmd);
        assert_eq!(
            run.code,
            Some(code),
            "the container's exit code: {}",
            run.stderr
        );
        run.stderr
    };
    let warning = "under systemd: the engine's restart policy and the unit's `Restart=`";
    let unit = Some("0123456789abcdef0123456789abcdef");

    let stderr = launch("restart-unit", "on-failure:1", unit, 0);
    assert_eq!(stderr.matches(warning).count(), 1, "one warning: {stderr}");
    assert!(
        stderr.contains("`--restart on-failure"),
        "names the policy: {stderr}"
    );

    let stderr = launch("restart-no", "no", unit, 4);
    assert!(!stderr.contains(warning), "no policy, no warning: {stderr}");

    let stderr = launch("restart-shell", "on-failure:1", None, 0);
    assert!(!stderr.contains(warning), "not under systemd: {stderr}");
}
