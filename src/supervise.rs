//! Foreground supervision: dockrun lives exactly as long as its container and carries its output,
//! signals and exit status across, so a systemd unit (`ExecStart=dockrun --name x IMAGE`, no `-d`)
//! tracks the container through dockrun.
//!
//! Order matters. Before the container is started (or unpaused, or found running), its exit wait
//! is registered and its streams are attached (the `ensure_with` hook), so a container that exits
//! at once is neither missed nor cut short. Then: `READY=1` (at once, or once its healthcheck
//! says healthy with `--sdnotify=healthy`), output copied chunk by chunk, and the exit code of
//! the container returned as dockrun's own.
//!
//! # Signals
//!
//! * `SIGTERM`, `SIGINT` (systemd's stop, Ctrl-C without `-t`): the first one stops the container
//!   as `docker stop` does (its stop signal, then SIGKILL after `--stop-timeout` or the
//!   container's own timeout), sends `STOPPING=1`, and dockrun *keeps waiting* for the container
//!   to end and exits with its real code. A second one kills it (SIGKILL) at once. They are
//!   never forwarded as such: systemd expects the service to stop when it sends SIGTERM, and a
//!   PID 1 that ignores SIGTERM would otherwise outlive the unit. With `-t` and stdin attached,
//!   Ctrl-C is a key for the container's terminal (raw mode), not a signal for dockrun.
//!   Before the container runs (while pulling, creating), they end dockrun with 128+N; during a
//!   replacement, only once it has finished or rolled back (`ensure::shield`).
//! * `SIGHUP`, `SIGQUIT`, `SIGUSR1`, `SIGUSR2` (reload, dump, app-defined) and `SIGWINCH` without
//!   `-t`: forwarded to the container's main process, as `docker run --sig-proxy` does; with
//!   `--sig-proxy=false` they are not caught, so they act on dockrun itself as they would on any
//!   process (docker's behaviour too).
//! * `SIGWINCH` with `-t`: the window changed; the container's terminal is resized to match.
//! * Everything else (SIGCHLD, SIGPIPE, SIGTSTP, …) keeps its default: forwarding SIGTSTP would
//!   leave the shell's job control confused, and SIGCHLD/SIGPIPE are about dockrun itself.
//!
//! # Shape
//!
//! `supervise` wires the real world (signal handlers, the user's terminal, the output
//! thread) and nothing else. `until_running` drives `ensure` while listening for SIGTERM and
//! SIGINT; `run` is the loop, a small state machine: each turn waits for one `Event` (the
//! exit, the end of the output or input, a `Caught` signal, the end of a stop, a timer) and
//! `Foreground::on` acts on it, updating `State`; `after_exit` tells the service manager
//! and removes a `--rm` container. Signals come in as a stream, so the unit tests below feed a
//! script and drive the loop with the scripted engine (`crate::scripted`) under paused time.
//! A stop during a multi-step change is answered in `until_running`. The wait for healthy is
//! bounded (`health_limit`): past it, the container is stopped (`-d`: left running) and the
//! launch fails naming the bound.
//!
//! This module uses no bollard: engine calls go through the `Engine` trait; it prints nothing
//! itself (output goes through `terminal`).

use std::future::{pending, Future};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::mpsc;
use tokio::time::{interval, sleep, Interval, MissedTickBehavior, Sleep};
use tracing::{debug, info, warn};

use crate::cidfile::Cidfile;
use crate::engine::{
    AttachRequest, Attached, Chunk, ContainerExit, Engine, EngineError, Health, HealthSchedule,
    RunInfo, WaitCondition, Waiter,
};
use crate::ensure::{ensure_with, gate, Ensured};
use crate::env_vars;
use crate::error::DockrunError;
use crate::exit::Exit;
use crate::notify::{Notifier, NotifyState};
use crate::plan::Action;
use crate::spec::keys::{parse_detach_keys, DEFAULT_DETACH_KEYS};
use crate::spec::{ContainerSpec, ReadyWhen};
use crate::terminal::{self, DetachWatcher, Keys, OutputWriter, RawMode};

/// Linux signal numbers dockrun reports as 128+N when it is ended before the container runs.
const SIGINT: i32 = 2;
/// See [`SIGINT`].
const SIGTERM: i32 = 15;

/// The signals forwarded with `--sig-proxy` (see the module comment for why these).
const FORWARDED: [(&str, i32); 4] = [
    ("SIGHUP", 1),
    ("SIGQUIT", 3),
    ("SIGUSR1", 10),
    ("SIGUSR2", 12),
];

/// `SIGWINCH`'s number.
const SIGWINCH: i32 = 28;

/// How often the healthcheck's verdict is read while waiting for `healthy`.
const HEALTH_POLL: Duration = Duration::from_millis(250);

/// After the container's output ends, how long the engine's exit report may take before dockrun
/// asks for the exit code directly (a safety net: the wait should always answer first).
const EXIT_GRACE: Duration = Duration::from_secs(3);

/// After the exit code is known, how long the last output may take to arrive.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// How long `--rm` waits for the removal.
const REMOVAL_LIMIT: Duration = Duration::from_secs(60);

/// A caught signal, as the foreground hears it (from [`Signals`], or a script in the tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caught {
    /// SIGTERM or SIGINT, by number: stop the container; a second one kills it.
    Stop(i32),
    /// One of the other caught signals, by name (`SIGHUP`…, `SIGWINCH`).
    Other(&'static str),
}

/// The signal handlers of a foreground run, read as a stream of [`Caught`].
struct Signals {
    term: Signal,
    int: Signal,
    /// Forwarded signals (name, handler), `SIGWINCH` among them when it is forwarded or resizes.
    others: Vec<(&'static str, Signal)>,
}

impl Signals {
    /// Catch SIGTERM and SIGINT always; the forwarded set with `--sig-proxy`; SIGWINCH with
    /// `-t` (resize) or `--sig-proxy` (forward).
    fn install(sig_proxy: bool, tty: bool) -> std::io::Result<Self> {
        let mut others = Vec::new();
        if sig_proxy {
            for (name, number) in FORWARDED {
                others.push((name, signal(SignalKind::from_raw(number))?));
            }
        }
        if sig_proxy || tty {
            others.push(("SIGWINCH", signal(SignalKind::from_raw(SIGWINCH))?));
        }
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            others,
        })
    }

    /// The signals as they arrive; the stream never ends.
    fn into_stream(mut self) -> impl Stream<Item = Caught> + Unpin {
        futures_util::stream::poll_fn(move |cx| {
            if self.term.poll_recv(cx).is_ready() {
                return Poll::Ready(Some(Caught::Stop(SIGTERM)));
            }
            if self.int.poll_recv(cx).is_ready() {
                return Poll::Ready(Some(Caught::Stop(SIGINT)));
            }
            for (name, signal) in &mut self.others {
                if signal.poll_recv(cx).is_ready() {
                    return Poll::Ready(Some(Caught::Other(name)));
                }
            }
            Poll::Pending
        })
    }
}

/// What the `ensure_with` hook sets up before the container runs.
struct Session {
    waiter: Waiter,
    attached: Attached,
}

/// Fail before the engine is touched when `-t` with stdin attached has no terminal to put in
/// raw mode (docker run's own check and message).
///
/// # Errors
/// [`DockrunError::NotATty`].
pub fn check_terminal(spec: &ContainerSpec) -> Result<(), DockrunError> {
    if !spec.detach && spec.tty && spec.streams.stdin && !terminal::stdin_is_terminal() {
        return Err(DockrunError::NotATty);
    }
    Ok(())
}

/// Checks and records made once the container exists, before it runs: in both modes.
///
/// # Errors
/// `--sdnotify=healthy` on a container without a healthcheck; the `--cidfile` cannot be written.
pub async fn before_run<E: Engine>(
    engine: &E,
    spec: &ContainerSpec,
    cidfile: &Cidfile,
    id: &str,
) -> Result<(), DockrunError> {
    if spec.ready_when == ReadyWhen::Healthy
        && !engine.inspect_run(&spec.name, id).await?.has_healthcheck
    {
        return Err(DockrunError::NoHealthcheck {
            name: spec.name.clone(),
        });
    }
    cidfile.record(&spec.name, id)?;
    Ok(())
}

/// The hook run before the container runs: checks, then the wait, then the attachment.
async fn prepare<E: Engine>(
    engine: &E,
    spec: &ContainerSpec,
    cidfile: &Cidfile,
    id: String,
    action: Action,
) -> Result<Session, DockrunError> {
    before_run(engine, spec, cidfile, &id).await?;
    // A container found running (or just recreated, which `ensure` starts itself) is waited for
    // until it stops (at once if it just did, with its exit code); one that dockrun is about to
    // start, until its next exit.
    let condition = if matches!(action, Action::AlreadyRunning | Action::Recreated) {
        WaitCondition::NotRunning
    } else {
        WaitCondition::NextExit
    };
    let waiter = engine.wait(&spec.name, &id, condition);
    let request = AttachRequest {
        streams: spec.streams,
        detach_keys: spec.detach_keys.clone(),
    };
    let attached = engine.attach(&spec.name, &id, &request).await?;
    Ok(Session { waiter, attached })
}

/// Under systemd, a `--restart` policy fights the unit's own `Restart=`: say so once.
fn warn_restart_under_systemd(spec: &ContainerSpec) {
    let policy = spec.restart_policy_name();
    if std::env::var_os(env_vars::INVOCATION_ID).is_some() && !matches!(policy, "" | "no") {
        warn!(
            restart = %policy,
            "`--restart {policy}` under systemd: the engine's restart policy and the unit's `Restart=` both restart the container and fight each other; Docker's documentation advises against combining them: drop `--restart` and let systemd's `Restart=` do it"
        );
    }
}

/// A `docker stop` in progress (it returns once the container has stopped).
type StopFuture<'a> = Pin<Box<dyn Future<Output = Result<(), EngineError>> + 'a>>;

/// How the loop ended.
enum Ended {
    Exited(ContainerExit),
    Detached,
    /// Not healthy within the bound (`--sdnotify=healthy`): stopped, then it exited.
    NotHealthy {
        exit: ContainerExit,
        limit: Duration,
    },
}

/// How long `--sdnotify=healthy` waits for healthy: `--wait-timeout` when given (zero: no bound,
/// the service manager's start timeout decides), else the gate's bound for the healthcheck's
/// schedule (start period + retries × (interval + timeout) + margin).
fn health_limit(
    wait_timeout: Option<Duration>,
    schedule: Option<HealthSchedule>,
) -> Option<Duration> {
    match wait_timeout {
        Some(Duration::ZERO) => None,
        Some(limit) => Some(limit),
        None => schedule.as_ref().map(gate::bound),
    }
}

/// How the stdin pump ended.
#[derive(PartialEq, Eq)]
enum InputEnd {
    Closed,
    Detached,
}

/// Wait for `timer`'s next tick, or forever without one.
async fn tick(timer: &mut Option<Interval>) {
    match timer {
        Some(timer) => {
            timer.tick().await;
        }
        None => pending().await,
    }
}

/// Read the container's health, and say it in `STATUS=` when it changed.
async fn check_health<E: Engine>(
    engine: &E,
    name: &str,
    id: &str,
    notifier: &Notifier,
    last: &mut Option<Health>,
) -> Result<RunInfo, EngineError> {
    let info = engine.inspect_run(name, id).await?;
    if *last != Some(info.health) {
        let text = match info.health {
            Health::Healthy => format!("container {name} is healthy"),
            Health::Starting => format!("container {name} runs; waiting for its healthcheck"),
            Health::Unhealthy => {
                format!("container {name} is unhealthy; waiting for it to recover")
            }
            Health::None => format!("container {name} runs; no health reported yet"),
        };
        info!(container = %name, health = ?info.health, "health");
        notifier.status(&text);
        *last = Some(info.health);
    }
    Ok(info)
}

/// With `-d`: tell the service manager the container is ready (healthy, with
/// `--sdnotify=healthy`), then return.
///
/// # Errors
/// The container stops before it is healthy or is not healthy within the bound
/// (`health_limit`; it is left running, its last log lines shown), or the engine fails.
pub async fn announce_ready<E: Engine>(
    engine: &E,
    spec: &ContainerSpec,
    ensured: &Ensured,
    notifier: &Notifier,
) -> Result<(), DockrunError> {
    let name = spec.name.as_str();
    if spec.ready_when == ReadyWhen::Healthy {
        let started = tokio::time::Instant::now();
        let mut last = None;
        loop {
            let info = check_health(engine, name, &ensured.id, notifier, &mut last).await?;
            if info.health == Health::Healthy {
                break;
            }
            if !info.running {
                return Err(DockrunError::StoppedBeforeHealthy {
                    name: name.to_owned(),
                });
            }
            if let Some(limit) = health_limit(spec.wait_timeout, info.schedule) {
                if started.elapsed() >= limit {
                    gate::log_tail(engine, name, &ensured.id, name).await;
                    notifier.status(&format!(
                        "container {name} not healthy within {}s",
                        limit.as_secs()
                    ));
                    return Err(DockrunError::NotHealthyInTime {
                        name: name.to_owned(),
                        limit_secs: limit.as_secs(),
                        outcome: "it is left running",
                    });
                }
            }
            sleep(HEALTH_POLL).await;
        }
    }
    notifier.send(&[
        NotifyState::Ready,
        NotifyState::Status(&format!("container {name} {}", ensured.action)),
    ]);
    Ok(())
}

/// Run the container in the foreground until it ends; its exit code becomes dockrun's.
///
/// The real world is wired here (signal handlers, the user's terminal, the output thread);
/// the decisions are in `run`, which the unit tests drive with a scripted engine, scripted
/// signals and channels.
///
/// # Errors
/// Anything that keeps the container from running, or a broken engine connection.
pub async fn supervise<E: Engine>(
    engine: &E,
    spec: &ContainerSpec,
    notifier: &Notifier,
    cidfile: &Cidfile,
) -> Result<Exit, DockrunError> {
    let name = spec.name.as_str();
    warn_restart_under_systemd(spec);
    let mut signals = Signals::install(spec.sig_proxy, spec.tty)
        .map_err(DockrunError::Signals)?
        .into_stream();
    notifier.status(&format!("preparing container {name}"));

    // ---- make it run, the wait and the attachment registered first ----
    let hook = |id: String, action: Action| prepare(engine, spec, cidfile, id, action);
    let (ensured, session) =
        match until_running(ensure_with(engine, spec, hook), &mut signals).await {
            Ok((prepared, held)) => {
                let (ensured, session) = prepared?;
                // Signals other than SIGTERM/SIGINT that came while preparing act now.
                (ensured, (session, held))
            }
            Err(number) => {
                info!(signal = number, "interrupted before the container ran");
                notifier.status("interrupted before the container ran");
                return Ok(Exit::Signal(number));
            }
        };
    let (Session { waiter, attached }, held) = session;
    let id = ensured.id.as_str();

    // ---- the user's terminal ----
    let raw = if spec.tty && spec.streams.stdin {
        Some(RawMode::enable().map_err(DockrunError::Terminal)?)
    } else {
        None
    };
    if spec.tty {
        if let Some((rows, cols)) = terminal::window_size() {
            if let Err(err) = engine.resize(name, id, rows, cols).await {
                debug!(error = %err, "initial resize failed");
            }
        }
    }
    let writer = OutputWriter::start().map_err(DockrunError::Terminal)?;
    let keys = if spec.tty {
        parse_detach_keys(spec.detach_keys.as_deref().unwrap_or(DEFAULT_DETACH_KEYS))?
    } else {
        Vec::new()
    };
    let wiring = Wiring {
        waiter,
        attached,
        stdin: spec.streams.stdin.then(terminal::read_stdin),
        keys,
        sink: writer.sender.clone(),
        signals: futures_util::stream::iter(held).chain(signals),
    };
    let foreground = Foreground {
        engine,
        notifier,
        name,
        id,
        tty: spec.tty,
        stop_timeout: spec.stop_timeout,
        wait_timeout: spec.wait_timeout,
        window_size: terminal::window_size,
    };
    let ended = run(&foreground, wiring, spec.ready_when, ensured.action).await;

    // ---- after: the last output, the terminal, the service manager, `--rm` ----
    writer.finish();
    drop(raw);
    match ended? {
        Ended::Detached => {
            info!(container = %name, "detached; the container keeps running");
            notifier.status(&format!("detached from container {name}"));
            Ok(Exit::Success)
        }
        Ended::Exited(exit) => after_exit(engine, spec, notifier, id, exit).await,
        Ended::NotHealthy { exit, limit } => {
            after_exit(engine, spec, notifier, id, exit).await?;
            Err(DockrunError::NotHealthyInTime {
                name: name.to_owned(),
                limit_secs: limit.as_secs(),
                outcome: "it was stopped",
            })
        }
    }
}

/// Drive `prepared` (ensure, with the wait and the attachment registered) while listening to
/// the signals. `Err(N)`: SIGTERM/SIGINT number N came first, dockrun ends with 128+N. The
/// other signals heard meanwhile are returned, to act on once the container runs.
///
/// A stop during a multi-step change (a replacement) is deferred: the change finishes or rolls
/// back and ends the launch itself (`ensure::shield`).
async fn until_running<T>(
    prepared: impl Future<Output = T>,
    signals: &mut (impl Stream<Item = Caught> + Unpin),
) -> Result<(T, Vec<Caught>), i32> {
    let mut prepared = std::pin::pin!(prepared);
    let mut held = Vec::new();
    let mut open = true;
    loop {
        tokio::select! {
            result = &mut prepared => return Ok((result, held)),
            caught = signals.next(), if open => match caught {
                // A replacement under way answers the stop itself: it finishes or rolls back,
                // then ends the launch with 128+N (`ensure::shield`).
                Some(Caught::Stop(_)) if crate::ensure::shield::raised() => {}
                Some(Caught::Stop(number)) => return Err(number),
                Some(other) => held.push(other),
                None => open = false,
            },
        }
    }
}

/// The container has exited: tell the service manager, remove it with `--rm`, return its code.
async fn after_exit<E: Engine>(
    engine: &E,
    spec: &ContainerSpec,
    notifier: &Notifier,
    id: &str,
    exit: ContainerExit,
) -> Result<Exit, DockrunError> {
    let name = spec.name.as_str();
    info!(container = %name, code = exit.code, "container exited");
    notifier.send(&[
        NotifyState::Stopping,
        NotifyState::Status(&format!("container {name} exited with code {}", exit.code)),
    ]);
    if spec.auto_remove {
        // A container created with `--rm` is removed by the engine itself (AutoRemove), which
        // may already be at it; one created earlier without it is removed here.
        match engine.inspect_run(name, id).await {
            // Volumes kept: `--rm` was not asked when it was made (docker's `--rm` removes
            // only what the container it created made).
            Ok(info) if !info.auto_remove => engine.remove(name, id, true).await?,
            Ok(_) => {}
            Err(err) => debug!(error = %err, "not inspected before removal (gone already?)"),
        }
        engine.await_removal(name, id, REMOVAL_LIMIT).await?;
        debug!("removed");
    }
    Ok(Exit::Container(exit.code))
}

/// The container the foreground loop supervises, and the seams it acts through.
struct Foreground<'a, E> {
    engine: &'a E,
    notifier: &'a Notifier,
    name: &'a str,
    id: &'a str,
    /// `-t`: SIGWINCH resizes the container's terminal instead of being forwarded.
    tty: bool,
    /// `--stop-timeout`, for the stop after the first SIGTERM/SIGINT.
    stop_timeout: Option<i64>,
    /// `--wait-timeout`: the bound for `--sdnotify=healthy` ([`health_limit`]).
    wait_timeout: Option<Duration>,
    /// The user's window size (`terminal::window_size`; a fixed one in the tests).
    window_size: fn() -> Option<(u16, u16)>,
}

/// The streams the loop moves data between: the engine's on one side, dockrun's own on the
/// other (the real ones in [`supervise`], channels in the tests).
struct Wiring<S> {
    /// The container's exit, registered before it started.
    waiter: Waiter,
    /// Its output and stdin.
    attached: Attached,
    /// dockrun's stdin, when it is attached.
    stdin: Option<mpsc::Receiver<Vec<u8>>>,
    /// The detach key sequence (empty: none is watched for).
    keys: Vec<u8>,
    /// Where the container's output goes (the writer thread).
    sink: mpsc::Sender<Chunk>,
    /// The caught signals.
    signals: S,
}

/// Something the foreground loop hears: each turn of the loop waits for one, then acts on it.
enum Event {
    /// The engine reported the container's exit.
    Exited(Result<ContainerExit, EngineError>),
    /// The container's output ended (its streams closed, or broke).
    OutputEnded(Result<(), EngineError>),
    /// dockrun's stdin ended, or the detach keys were typed.
    InputEnded(InputEnd),
    /// A signal.
    Signal(Caught),
    /// The `docker stop` begun on the first SIGTERM/SIGINT returned.
    Stopped(Result<(), EngineError>),
    /// Time for `WATCHDOG=1`.
    Watchdog,
    /// Time to read the healthcheck's verdict (until `READY=1` with `--sdnotify=healthy`).
    HealthTick,
    /// The output ended [`EXIT_GRACE`] ago and the exit report has not come.
    ExitCheck,
}

/// The loop's state: what has ended, how far stopping has gone, whether `READY=1` was sent.
struct State<'a> {
    output_done: bool,
    input_done: bool,
    /// SIGTERM/SIGINT heard so far: the first stops, the next ones kill.
    terminations: u32,
    /// The `docker stop` in flight.
    stopping: Option<StopFuture<'a>>,
    /// Whether `READY=1` was sent.
    ready: bool,
    /// While not ready (`--sdnotify=healthy`): when to read the health next.
    health_poll: Option<Interval>,
    /// When the wait for healthy began ([`health_limit`] counts from here).
    waiting_since: tokio::time::Instant,
    /// Not healthy within this bound: the container is being stopped, and the launch fails.
    gave_up: Option<Duration>,
    /// The health last reported in `STATUS=`.
    last_health: Option<Health>,
    /// When to send `WATCHDOG=1` next, if the service manager asks for it.
    watchdog: Option<Interval>,
    /// Armed when the output ends: when to ask the engine for the exit code directly.
    exit_check: Option<Pin<Box<Sleep>>>,
}

/// Wait for the future in `slot`, or forever without one.
async fn until<F: Future + Unpin>(slot: &mut Option<F>) -> F::Output {
    match slot {
        Some(future) => future.await,
        None => pending().await,
    }
}

/// Copy the container's output, chunk by chunk, to the writer thread until it ends.
async fn pump_output(
    mut output: BoxStream<'static, Result<Chunk, EngineError>>,
    sink: mpsc::Sender<Chunk>,
) -> Result<(), EngineError> {
    while let Some(chunk) = output.next().await {
        tracing::trace!(
            bytes = chunk.as_ref().map_or(0, |c| c.1.len()),
            "output chunk"
        );
        if sink.send(chunk?).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// Copy dockrun's stdin to the container's, watching for the detach keys (with a terminal).
async fn pump_input(
    mut stdin: Option<mpsc::Receiver<Vec<u8>>>,
    keys: Vec<u8>,
    mut input: Pin<Box<dyn AsyncWrite + Send>>,
) -> InputEnd {
    let Some(stdin) = stdin.as_mut() else {
        return InputEnd::Closed;
    };
    let mut watcher = DetachWatcher::new(keys);
    while let Some(bytes) = stdin.recv().await {
        let (bytes, detach) = match watcher.feed(&bytes) {
            Keys::Forward(bytes) => (bytes, false),
            Keys::Detach(bytes) => (bytes, true),
        };
        if let Err(err) = input.write_all(&bytes).await.and(input.flush().await) {
            warn!(error = %err, "cannot write to the container's stdin");
            return InputEnd::Closed;
        }
        if detach {
            return InputEnd::Detached;
        }
    }
    // EOF on dockrun's stdin: close the container's (as `docker run -i` does).
    if let Err(err) = input.shutdown().await {
        debug!(error = %err, "closing the container's stdin");
    }
    InputEnd::Closed
}

/// The foreground loop: announce readiness, copy output and input, act on signals and timers,
/// until the container ends (then let its last output through) or the user detaches.
async fn run<E: Engine>(
    fg: &Foreground<'_, E>,
    wiring: Wiring<impl Stream<Item = Caught> + Unpin>,
    ready_when: ReadyWhen,
    action: Action,
) -> Result<Ended, DockrunError> {
    let Wiring {
        mut waiter,
        attached: Attached { output, input },
        stdin,
        keys,
        sink,
        mut signals,
    } = wiring;

    let mut output_pump = Box::pin(pump_output(output, sink));
    let mut input_pump = Box::pin(pump_input(stdin, keys, input));

    // ---- readiness ----
    let name = fg.name;
    let ready = ready_when == ReadyWhen::Running;
    if ready {
        fg.notifier.send(&[
            NotifyState::Ready,
            NotifyState::Status(&format!("container {name} {action}; attached")),
        ]);
    } else {
        fg.notifier.status(&format!(
            "container {name} {action}; waiting for it to be healthy"
        ));
    }
    let mut state = State {
        output_done: false,
        input_done: false,
        terminations: 0,
        stopping: None,
        ready,
        health_poll: (!ready).then(|| interval(HEALTH_POLL)),
        waiting_since: tokio::time::Instant::now(),
        gave_up: None,
        last_health: None,
        watchdog: fg.notifier.watchdog_interval().map(|period| {
            let mut timer = interval(period);
            timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
            timer
        }),
        exit_check: None,
    };

    // ---- the loop: until the container ends (or the user detaches) ----
    let mut signals_open = true;
    let ended = loop {
        let event = tokio::select! {
            exit = waiter.result() => Event::Exited(exit),
            result = &mut output_pump, if !state.output_done => Event::OutputEnded(result),
            end = &mut input_pump, if !state.input_done => Event::InputEnded(end),
            caught = signals.next(), if signals_open => match caught {
                Some(caught) => Event::Signal(caught),
                None => {
                    signals_open = false;
                    continue;
                }
            },
            result = until(&mut state.stopping) => Event::Stopped(result),
            () = tick(&mut state.watchdog) => Event::Watchdog,
            () = tick(&mut state.health_poll), if !state.ready => Event::HealthTick,
            () = until(&mut state.exit_check) => Event::ExitCheck,
        };
        if let Some(ended) = fg.on(event, &mut state).await? {
            break ended;
        }
    };
    let (output_done, gave_up) = (state.output_done, state.gave_up);
    drop(state);

    // ---- the last output: it may still be on its way when the exit is reported ----
    if matches!(ended, Ended::Exited(_))
        && !output_done
        && tokio::time::timeout(DRAIN_LIMIT, &mut output_pump)
            .await
            .is_err()
    {
        warn!("the container's output did not end with it; not waiting longer");
    }
    Ok(match (ended, gave_up) {
        (Ended::Exited(exit), Some(limit)) => Ended::NotHealthy { exit, limit },
        (ended, _) => ended,
    })
}

impl<'a, E: Engine> Foreground<'a, E> {
    /// Act on one event; `Some`: the loop ends.
    async fn on(&self, event: Event, state: &mut State<'a>) -> Result<Option<Ended>, DockrunError> {
        let (engine, name, id) = (self.engine, self.name, self.id);
        match event {
            Event::Exited(exit) => return Ok(Some(Ended::Exited(exit?))),
            Event::OutputEnded(result) => {
                state.output_done = true;
                if let Err(err) = result {
                    warn!(error = %err, "the container's output stream broke");
                }
                state.exit_check = Some(Box::pin(sleep(EXIT_GRACE)));
            }
            Event::InputEnded(end) => {
                state.input_done = true;
                if end == InputEnd::Detached {
                    return Ok(Some(Ended::Detached));
                }
            }
            Event::Signal(Caught::Stop(number)) => {
                state.terminations += 1;
                if state.terminations == 1 {
                    info!(signal = number, container = %name, "stopping the container");
                    self.stop(state, &format!("stopping container {name}"));
                } else {
                    info!(signal = number, container = %name, "signalled again: killing the container");
                    if let Err(err) = engine.kill(name, id, "SIGKILL").await {
                        warn!(error = %err, "kill failed");
                    }
                }
            }
            Event::Signal(Caught::Other(signal)) => {
                if signal == "SIGWINCH" && self.tty {
                    if let Some((rows, cols)) = (self.window_size)() {
                        if let Err(err) = engine.resize(name, id, rows, cols).await {
                            debug!(error = %err, "resize failed");
                        }
                    }
                } else {
                    debug!(signal, "forwarding");
                    if let Err(err) = engine.kill(name, id, signal).await {
                        warn!(signal, error = %err, "signal not forwarded");
                    }
                }
            }
            Event::Stopped(result) => {
                state.stopping = None;
                if let Err(err) = result {
                    warn!(error = %err, "stop failed; killing the container");
                    if let Err(err) = engine.kill(name, id, "SIGKILL").await {
                        warn!(error = %err, "kill failed");
                    }
                }
            }
            Event::Watchdog => self.notifier.send(&[NotifyState::Watchdog]),
            Event::HealthTick => {
                match check_health(engine, name, id, self.notifier, &mut state.last_health).await {
                    Ok(info) if info.health == Health::Healthy => {
                        state.ready = true;
                        state.health_poll = None;
                        self.notifier.send(&[NotifyState::Ready]);
                    }
                    Ok(info) => self.give_up_if_late(state, info.schedule),
                    Err(err) => debug!(error = %err, "health not read"),
                }
            }
            Event::ExitCheck => {
                state.exit_check = None;
                // The output ended but the engine's exit report has not come: ask directly.
                match engine.inspect_run(name, id).await {
                    Ok(info) if !info.running => {
                        debug!("exit code taken from inspect");
                        return Ok(Some(Ended::Exited(ContainerExit {
                            code: info.exit_code,
                        })));
                    }
                    Ok(_) => {}
                    Err(err) => debug!(error = %err, "inspect after the output ended"),
                }
            }
        }
        Ok(None)
    }

    /// Begin stopping the container as `docker stop` does (the first SIGTERM, or a wait for
    /// healthy that ran out), and tell the service manager.
    fn stop(&self, state: &mut State<'a>, status: &str) {
        self.notifier
            .send(&[NotifyState::Stopping, NotifyState::Status(status)]);
        state.stopping = Some(Box::pin(self.engine.stop(
            self.name,
            self.id,
            self.stop_timeout,
        )));
    }

    /// Not healthy yet: past the bound, stop waiting and stop the container (a later
    /// SIGTERM/SIGINT kills it); the launch then fails ([`Ended::NotHealthy`]).
    fn give_up_if_late(&self, state: &mut State<'a>, schedule: Option<HealthSchedule>) {
        let Some(limit) = health_limit(self.wait_timeout, schedule) else {
            return;
        };
        if state.waiting_since.elapsed() < limit || state.stopping.is_some() {
            return;
        }
        let name = self.name;
        warn!(container = %name, limit_secs = limit.as_secs(), "not healthy in time; stopping it");
        state.health_poll = None;
        state.gave_up = Some(limit);
        state.terminations = state.terminations.max(1);
        self.stop(
            state,
            &format!(
                "container {name} not healthy within {}s; stopping it",
                limit.as_secs()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scripted::{runtime as paused_runtime, Scripted, StopScript, Terminal};
    use std::os::unix::net::UnixDatagram;
    use tokio::io::AsyncReadExt;
    use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
    use tokio::time::Instant;

    /// How a test sets the loop up.
    #[derive(Default)]
    struct Options {
        tty: bool,
        healthy: bool,
        stdin: bool,
        watchdog: Option<Duration>,
        wait_timeout: Option<Duration>,
    }

    /// The test's ends while the loop runs.
    struct Script {
        signals: UnboundedSender<Caught>,
        terminal: Terminal,
        stdin: Option<mpsc::Sender<Vec<u8>>>,
    }

    /// What came out of a run.
    struct Outcome {
        ended: Result<Ended, DockrunError>,
        output: Vec<String>,
        notified: Vec<String>,
        took: Duration,
    }

    impl Outcome {
        fn exit_code(&self) -> i64 {
            match &self.ended {
                Ok(Ended::Exited(exit)) => exit.code,
                Ok(Ended::Detached) => panic!("detached"),
                Ok(Ended::NotHealthy { .. }) => panic!("not healthy"),
                Err(err) => panic!("failed: {err}"),
            }
        }
        fn notified(&self, line: &str) -> usize {
            self.notified.iter().filter(|l| *l == line).count()
        }
        fn position(&self, line: &str) -> usize {
            self.notified
                .iter()
                .position(|l| l == line)
                .unwrap_or_else(|| panic!("no {line:?} in {:?}", self.notified))
        }
    }

    /// Run the loop on `engine`'s played container `new` (named `web`) with `script` beside it,
    /// under paused time (timers fire as soon as nothing else can run).
    fn drive<F, Fut>(engine: &Scripted, options: Options, script: F) -> Outcome
    where
        F: FnOnce(Script) -> Fut,
        Fut: Future<Output = ()>,
    {
        let (listener, socket) = UnixDatagram::pair().expect("socket pair");
        socket.set_nonblocking(true).expect("nonblocking");
        listener.set_nonblocking(true).expect("nonblocking");
        let notifier = Notifier::on_socket(socket, options.watchdog);
        let (signal_tx, mut signal_rx) = unbounded_channel();
        let (sink, mut sink_rx) = mpsc::channel(64);
        let (stdin_tx, stdin) = if options.stdin {
            let (tx, rx) = mpsc::channel(4);
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let terminal = engine.terminal();
        let foreground = Foreground {
            engine,
            notifier: &notifier,
            name: "web",
            id: "new",
            tty: options.tty,
            stop_timeout: None,
            wait_timeout: options.wait_timeout,
            window_size: || Some((24, 80)),
        };
        let ready_when = if options.healthy {
            ReadyWhen::Healthy
        } else {
            ReadyWhen::Running
        };
        let (ended, took) = paused_runtime().block_on(async {
            let began = Instant::now();
            let attached = engine
                .attach("web", "new", &AttachRequest::default())
                .await
                .expect("attached");
            let wiring = Wiring {
                waiter: engine.wait("web", "new", WaitCondition::NextExit),
                attached,
                stdin,
                keys: if options.tty {
                    parse_detach_keys(DEFAULT_DETACH_KEYS).expect("keys")
                } else {
                    Vec::new()
                },
                sink,
                signals: futures_util::stream::poll_fn(move |cx| signal_rx.poll_recv(cx)),
            };
            let script = script(Script {
                signals: signal_tx,
                terminal,
                stdin: stdin_tx,
            });
            let run = async {
                let ended = run(&foreground, wiring, ready_when, Action::Created).await;
                (ended, began.elapsed())
            };
            tokio::join!(run, script).0
        });
        let mut output = Vec::new();
        while let Ok((_, bytes)) = sink_rx.try_recv() {
            output.push(String::from_utf8_lossy(&bytes).into_owned());
        }
        let mut notified = Vec::new();
        let mut buf = [0u8; 512];
        while let Ok(n) = listener.recv(&mut buf) {
            notified.extend(
                String::from_utf8_lossy(&buf[..n])
                    .lines()
                    .map(str::to_owned),
            );
        }
        Outcome {
            ended,
            output,
            notified,
            took,
        }
    }

    fn chunk(text: &'static str) -> Result<Chunk, EngineError> {
        Ok((crate::engine::Source::Stdout, bytes::Bytes::from(text)))
    }

    /// A while in paused time: the script's way to let the loop run until it is idle.
    async fn later() {
        sleep(Duration::from_millis(100)).await;
    }

    #[test]
    fn exit_is_passed_through_and_output_after_the_exit_still_arrives() {
        let engine = &Scripted::default();
        let outcome = drive(engine, Options::default(), |s| async {
            let Script { terminal, .. } = s;
            terminal.output.send(chunk("a")).await.expect("sent");
            later().await;
            engine.exit(3);
            later().await;
            terminal.output.send(chunk("b")).await.expect("sent");
        });
        assert_eq!(outcome.exit_code(), 3);
        assert_eq!(outcome.output, ["a", "b"]);
        assert!(outcome.notified("READY=1") == 1, "{:?}", outcome.notified);
        assert!(outcome.took < Duration::from_secs(1), "{:?}", outcome.took);
        assert!(engine.calls_of(&["stop", "kill", "inspect"]).is_empty());
    }

    #[test]
    fn output_that_outlives_the_exit_is_cut_after_the_drain_limit() {
        let engine = &Scripted::default();
        let outcome = drive(engine, Options::default(), |s| async {
            engine.exit(0);
            // The output stays open well past the drain limit.
            sleep(DRAIN_LIMIT * 2).await;
            drop(s);
        });
        assert_eq!(outcome.exit_code(), 0);
        assert!(
            outcome.took >= DRAIN_LIMIT && outcome.took < DRAIN_LIMIT * 2,
            "{:?}",
            outcome.took
        );
    }

    #[test]
    fn lost_exit_report_is_read_from_inspect_after_the_output_ends() {
        let engine = &Scripted::default();
        *engine.wait_lost.borrow_mut() = true;
        let outcome = drive(engine, Options::default(), |s| async {
            engine.exit(5);
            drop(s);
        });
        assert_eq!(outcome.exit_code(), 5);
        assert!(outcome.took >= EXIT_GRACE, "{:?}", outcome.took);
        assert_eq!(engine.calls_of(&["inspect"]), ["inspect new"]);
    }

    /// One SIGTERM: the container is stopped and its real exit code returned; a failed stop
    /// is followed by a kill.
    #[test]
    fn sigterm_stops_and_a_failed_stop_kills() {
        for (script, code, calls) in [
            (StopScript::Exits, 143, &["stop new"][..]),
            (
                StopScript::Fails,
                137,
                &["stop new", "kill new SIGKILL"][..],
            ),
        ] {
            let engine = &Scripted::default();
            *engine.stop.borrow_mut() = script;
            let outcome = drive(engine, Options::default(), |s| async move {
                s.signals.send(Caught::Stop(SIGTERM)).expect("sent");
                later().await;
                drop(s);
            });
            assert_eq!(outcome.exit_code(), code);
            assert_eq!(engine.calls_of(&["stop", "kill"]), calls);
            assert!(outcome.position("STOPPING=1") > outcome.position("READY=1"));
            assert!(outcome
                .notified
                .contains(&"STATUS=stopping container web".to_owned()));
        }
    }

    #[test]
    fn second_sigterm_kills_a_container_that_ignores_the_first() {
        let engine = &Scripted::default();
        *engine.stop.borrow_mut() = StopScript::Ignored;
        let outcome = drive(engine, Options::default(), |s| async move {
            s.signals.send(Caught::Stop(SIGTERM)).expect("sent");
            later().await;
            assert!(!engine.exited(), "the first SIGTERM does not end it");
            s.signals.send(Caught::Stop(SIGINT)).expect("sent");
            later().await;
            drop(s);
        });
        assert_eq!(outcome.exit_code(), 137);
        assert_eq!(
            engine.calls_of(&["stop", "kill"]),
            ["stop new", "kill new SIGKILL"]
        );
        assert_eq!(outcome.notified("STOPPING=1"), 1, "once, on the first");
    }

    #[test]
    fn ready_waits_for_healthy() {
        let engine = &Scripted::default();
        engine.health.borrow_mut().extend([
            Health::Starting,
            Health::Starting,
            Health::Unhealthy,
            Health::Healthy,
        ]);
        let options = Options {
            healthy: true,
            ..Options::default()
        };
        let outcome = drive(engine, options, |s| async move {
            sleep(HEALTH_POLL * 10).await;
            engine.exit(0);
            drop(s);
        });
        assert_eq!(outcome.exit_code(), 0);
        let waiting =
            outcome.position("STATUS=container web created; waiting for it to be healthy");
        let starting = outcome.position("STATUS=container web runs; waiting for its healthcheck");
        let unhealthy =
            outcome.position("STATUS=container web is unhealthy; waiting for it to recover");
        let healthy = outcome.position("STATUS=container web is healthy");
        let ready = outcome.position("READY=1");
        assert!(
            waiting < starting && starting < unhealthy && unhealthy < healthy && healthy < ready
        );
        assert_eq!(outcome.notified("READY=1"), 1);
        assert_eq!(
            engine.calls_of(&["inspect"]).len(),
            4,
            "polled until healthy, then no more: {:?}",
            engine.calls.borrow()
        );
    }

    #[test]
    fn not_healthy_within_the_bound_is_stopped_and_the_launch_fails() {
        let engine = &Scripted::default();
        engine.health.borrow_mut().push_back(Health::Starting);
        let options = Options {
            healthy: true,
            wait_timeout: Some(Duration::from_secs(2)),
            ..Options::default()
        };
        let outcome = drive(engine, options, |s| async move {
            sleep(Duration::from_secs(60)).await;
            drop(s);
        });
        let Ok(Ended::NotHealthy { exit, limit }) = outcome.ended else {
            panic!("not given up: {:?}", outcome.notified);
        };
        assert_eq!((exit.code, limit), (143, Duration::from_secs(2)));
        // Stopped at the bound (the scripted stop exits at once; its output, left open, is
        // then cut after the drain limit).
        assert!(
            outcome.took >= limit && outcome.took <= limit + DRAIN_LIMIT + Duration::from_secs(1),
            "{:?}",
            outcome.took
        );
        assert_eq!(engine.calls_of(&["stop", "kill"]), ["stop new"]);
        assert_eq!(outcome.notified("READY=1"), 0);
        let gave_up = outcome.position("STATUS=container web not healthy within 2s; stopping it");
        assert_eq!(outcome.position("STOPPING=1") + 1, gave_up);
    }

    #[test]
    fn the_wait_for_healthy_is_bounded_by_the_schedule_or_wait_timeout() {
        let schedule = HealthSchedule {
            interval: Duration::from_secs(5),
            timeout: Duration::from_secs(2),
            start_period: Duration::from_secs(10),
            retries: 3,
        };
        let by_schedule = Duration::from_secs(10 + 3 * (5 + 2)) + gate::MARGIN;
        assert_eq!(health_limit(None, Some(schedule)), Some(by_schedule));
        let given = Duration::from_secs(7);
        assert_eq!(health_limit(Some(given), Some(schedule)), Some(given));
        assert_eq!(health_limit(Some(Duration::ZERO), Some(schedule)), None);
        assert_eq!(health_limit(None, None), None);
    }

    #[test]
    fn ready_at_once_without_the_health_gate() {
        let engine = &Scripted::default();
        let outcome = drive(engine, Options::default(), |s| async move {
            sleep(HEALTH_POLL * 4).await;
            engine.exit(0);
            drop(s);
        });
        assert_eq!(outcome.position("READY=1"), 0);
        assert_eq!(
            outcome.notified[1],
            "STATUS=container web created; attached"
        );
        assert!(
            engine.calls_of(&["inspect"]).is_empty(),
            "no health polling"
        );
    }

    #[test]
    fn detach_keys_end_the_loop_and_leave_the_container_running() {
        let engine = &Scripted::default();
        let options = Options {
            tty: true,
            stdin: true,
            ..Options::default()
        };
        let outcome = drive(engine, options, |mut s| async move {
            let stdin = s.stdin.take().expect("stdin");
            stdin.send(b"ab\x10".to_vec()).await.expect("sent");
            stdin.send(b"\x11cd".to_vec()).await.expect("sent");
            later().await;
            let mut typed = Vec::new();
            s.terminal.stdin.read_buf(&mut typed).await.expect("read");
            assert_eq!(
                typed, b"ab",
                "the keys before the sequence go through, not after"
            );
        });
        assert!(matches!(outcome.ended, Ok(Ended::Detached)));
        assert!(!engine.exited());
        assert!(engine.calls_of(&["stop", "kill"]).is_empty());
        assert_eq!(outcome.notified("STOPPING=1"), 0);
    }

    #[test]
    fn stdin_end_closes_the_containers_stdin_and_the_loop_goes_on() {
        let engine = &Scripted::default();
        let options = Options {
            stdin: true,
            ..Options::default()
        };
        let outcome = drive(engine, options, |mut s| async move {
            let stdin = s.stdin.take().expect("stdin");
            stdin.send(b"hi".to_vec()).await.expect("sent");
            // dockrun's stdin closes.
            drop(stdin);
            let mut typed = Vec::new();
            s.terminal
                .stdin
                .read_to_end(&mut typed)
                .await
                .expect("read to EOF");
            assert_eq!(typed, b"hi");
            assert!(!engine.exited());
            engine.exit(0);
        });
        assert_eq!(outcome.exit_code(), 0);
    }

    #[test]
    fn other_signals_are_forwarded_and_sigwinch_resizes_a_tty() {
        for tty in [false, true] {
            let engine = &Scripted::default();
            let options = Options {
                tty,
                ..Options::default()
            };
            let outcome = drive(engine, options, |s| async move {
                for signal in ["SIGHUP", "SIGUSR1", "SIGWINCH"] {
                    s.signals.send(Caught::Other(signal)).expect("sent");
                }
                later().await;
                engine.exit(0);
            });
            assert_eq!(outcome.exit_code(), 0);
            let last = if tty {
                "resize new 24x80"
            } else {
                "kill new SIGWINCH"
            };
            assert_eq!(
                engine.calls_of(&["kill", "resize", "stop"]),
                ["kill new SIGHUP", "kill new SIGUSR1", last]
            );
        }
    }

    #[test]
    fn watchdog_pings_until_the_exit() {
        let engine = &Scripted::default();
        let options = Options {
            watchdog: Some(Duration::from_secs(2)),
            ..Options::default()
        };
        let outcome = drive(engine, options, |s| async move {
            sleep(Duration::from_millis(3500)).await;
            engine.exit(0);
            drop(s);
        });
        // Half the period: at 0, 1, 2 and 3 seconds.
        assert_eq!(outcome.notified("WATCHDOG=1"), 4, "{:?}", outcome.notified);
    }

    #[test]
    fn sigterm_before_the_container_runs_ends_with_it_and_other_signals_wait() {
        let runtime = paused_runtime();
        let mut signals =
            futures_util::stream::iter([Caught::Other("SIGHUP"), Caught::Stop(SIGTERM)]);
        let interrupted = runtime.block_on(until_running(pending::<()>(), &mut signals));
        assert_eq!(interrupted.err(), Some(SIGTERM));

        let mut signals = futures_util::stream::iter([Caught::Other("SIGHUP")]);
        let prepared = runtime
            .block_on(async { until_running(sleep(Duration::from_secs(1)), &mut signals).await });
        assert_eq!(prepared.ok(), Some(((), vec![Caught::Other("SIGHUP")])));
    }

    #[test]
    fn rm_removes_a_container_the_engine_does_not_remove_itself() {
        let runtime = paused_runtime();
        for (auto_remove, expected) in [
            (false, &["inspect new", "remove new -f", "await new"][..]),
            (true, &["inspect new", "await new"][..]),
        ] {
            let engine = &Scripted::default();
            *engine.auto_remove.borrow_mut() = auto_remove;
            engine.exit(4);
            let spec = ContainerSpec::try_from(
                crate::cli::RawArgs::parse_from_argv(["dockrun", "--rm", "--name", "web", "img"])
                    .expect("parses"),
            )
            .expect("valid");
            let (listener, socket) = UnixDatagram::pair().expect("pair");
            let notifier = Notifier::on_socket(socket, None);
            let exit = runtime
                .block_on(after_exit(
                    engine,
                    &spec,
                    &notifier,
                    "new",
                    ContainerExit { code: 4 },
                ))
                .expect("removed");
            assert!(matches!(exit, Exit::Container(4)));
            assert_eq!(*engine.calls.borrow(), expected);
            let mut buf = [0u8; 256];
            let n = listener.recv(&mut buf).expect("notified");
            assert_eq!(
                &buf[..n],
                b"STOPPING=1\nSTATUS=container web exited with code 4\n"
            );
        }
    }
}
