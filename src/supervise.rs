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
//!   Before the container runs (while pulling, creating), they end dockrun with 128+N.
//! * `SIGHUP`, `SIGQUIT`, `SIGUSR1`, `SIGUSR2` (reload, dump, app-defined) and `SIGWINCH` without
//!   `-t`: forwarded to the container's main process, as `docker run --sig-proxy` does; with
//!   `--sig-proxy=false` they are not caught, so they act on dockrun itself as they would on any
//!   process (docker's behaviour too).
//! * `SIGWINCH` with `-t`: the window changed; the container's terminal is resized to match.
//! * Everything else (SIGCHLD, SIGPIPE, SIGTSTP, …) keeps its default: forwarding SIGTSTP would
//!   leave the shell's job control confused, and SIGCHLD/SIGPIPE are about dockrun itself.
//!
//! This module uses no bollard: engine calls go through the `Engine` trait.

use std::future::{pending, poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::time::{interval, sleep, Interval, MissedTickBehavior};
use tracing::{debug, info, warn};

use crate::cidfile::Cidfile;
use crate::engine::{
    AttachRequest, Attached, ContainerExit, Engine, EngineError, Health, WaitCondition, Waiter,
};
use crate::ensure::{ensure_with, Ensured};
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

/// The signal handlers of a foreground run.
struct Signals {
    stop: StopSignals,
    others: OtherSignals,
}

/// SIGTERM and SIGINT.
struct StopSignals {
    term: Signal,
    int: Signal,
}

/// Forwarded signals (name, handler), `SIGWINCH` among them when it is forwarded or resizes.
struct OtherSignals(Vec<(&'static str, Signal)>);

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
            stop: StopSignals {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            },
            others: OtherSignals(others),
        })
    }
}

impl StopSignals {
    /// The next SIGTERM or SIGINT, as its number.
    async fn terminate(&mut self) -> i32 {
        tokio::select! {
            _ = self.term.recv() => SIGTERM,
            _ = self.int.recv() => SIGINT,
        }
    }
}

impl OtherSignals {
    /// The next of the other caught signals, by name.
    async fn next(&mut self) -> &'static str {
        if self.0.is_empty() {
            return pending().await;
        }
        poll_fn(|cx| {
            for (name, signal) in &mut self.0 {
                if signal.poll_recv(cx).is_ready() {
                    return Poll::Ready(*name);
                }
            }
            Poll::Pending
        })
        .await
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

/// Send `READY=1` once the container counts as ready; in healthy mode, poll its healthcheck.
/// `Ok(false)`: not healthy yet.
async fn check_health<E: Engine>(
    engine: &E,
    name: &str,
    id: &str,
    notifier: &Notifier,
    last: &mut Option<Health>,
) -> Result<bool, EngineError> {
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
    Ok(info.health == Health::Healthy)
}

/// With `-d`: tell the service manager the container is ready (healthy, with
/// `--sdnotify=healthy`), then return.
///
/// # Errors
/// The container stops before it is healthy, or the engine fails.
pub async fn announce_ready<E: Engine>(
    engine: &E,
    spec: &ContainerSpec,
    ensured: &Ensured,
    notifier: &Notifier,
) -> Result<(), DockrunError> {
    let name = spec.name.as_str();
    if spec.ready_when == ReadyWhen::Healthy {
        let mut last = None;
        loop {
            if check_health(engine, name, &ensured.id, notifier, &mut last).await? {
                break;
            }
            if !engine.inspect_run(name, &ensured.id).await?.running {
                return Err(DockrunError::StoppedBeforeHealthy {
                    name: name.to_owned(),
                });
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
/// # Errors
/// Anything that keeps the container from running, or a broken engine connection.
#[allow(clippy::too_many_lines)]
pub async fn supervise<E: Engine>(
    engine: &E,
    spec: &ContainerSpec,
    notifier: &Notifier,
    cidfile: &Cidfile,
) -> Result<Exit, DockrunError> {
    let name = spec.name.as_str();
    warn_restart_under_systemd(spec);
    let mut signals = Signals::install(spec.sig_proxy, spec.tty).map_err(DockrunError::Signals)?;
    notifier.status(&format!("preparing container {name}"));

    // ---- make it run, the wait and the attachment registered first ----
    let hook = |id: String, action: Action| prepare(engine, spec, cidfile, id, action);
    let (ensured, session) = tokio::select! {
        result = ensure_with(engine, spec, hook) => result?,
        number = signals.stop.terminate() => {
            info!(signal = number, "interrupted before the container ran");
            notifier.status("interrupted before the container ran");
            return Ok(Exit::Signal(number));
        }
    };
    let id = ensured.id.as_str();
    let Session {
        mut waiter,
        attached,
    } = session;
    let Attached { output, mut input } = attached;

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

    // ---- output: chunk by chunk through the writer thread ----
    let writer = OutputWriter::start().map_err(DockrunError::Terminal)?;
    let sender = writer.sender.clone();
    let mut output_pump = Box::pin(async move {
        let mut output = output;
        while let Some(chunk) = output.next().await {
            tracing::trace!(
                bytes = chunk.as_ref().map_or(0, |c| c.1.len()),
                "output chunk"
            );
            if sender.send(chunk?).await.is_err() {
                break;
            }
        }
        Ok::<(), EngineError>(())
    });

    // ---- input: stdin to the container, watching for the detach keys with a terminal ----
    let keys = if spec.tty {
        parse_detach_keys(spec.detach_keys.as_deref().unwrap_or(DEFAULT_DETACH_KEYS))?
    } else {
        Vec::new()
    };
    let mut stdin = spec.streams.stdin.then(terminal::read_stdin);
    let mut input_pump = Box::pin(async move {
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
    });

    // ---- readiness ----
    let mut ready = spec.ready_when == ReadyWhen::Running;
    if ready {
        notifier.send(&[
            NotifyState::Ready,
            NotifyState::Status(&format!("container {name} {}; attached", ensured.action)),
        ]);
    } else {
        notifier.status(&format!(
            "container {name} {}; waiting for it to be healthy",
            ensured.action
        ));
    }
    let mut health_poll = (!ready).then(|| interval(HEALTH_POLL));
    let mut last_health = None;
    let mut watchdog = notifier.watchdog_interval().map(|period| {
        let mut timer = interval(period);
        timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
        timer
    });

    // ---- the loop: until the container ends (or the user detaches) ----
    let mut output_done = false;
    let mut input_done = false;
    let mut terminations = 0;
    let mut stopping: Option<StopFuture<'_>> = None;
    let mut exit_check: Option<Pin<Box<tokio::time::Sleep>>> = None;
    let ended = loop {
        tokio::select! {
            exit = waiter.result() => break Ended::Exited(exit?),
            result = &mut output_pump, if !output_done => {
                output_done = true;
                if let Err(err) = result {
                    warn!(error = %err, "the container's output stream broke");
                }
                exit_check = Some(Box::pin(sleep(EXIT_GRACE)));
            }
            end = &mut input_pump, if !input_done => {
                input_done = true;
                if end == InputEnd::Detached {
                    break Ended::Detached;
                }
            }
            number = signals.stop.terminate() => {
                terminations += 1;
                if terminations == 1 {
                    info!(signal = number, container = %name, "stopping the container");
                    notifier.send(&[NotifyState::Stopping, NotifyState::Status(&format!("stopping container {name}"))]);
                    stopping = Some(Box::pin(engine.stop(name, id, spec.stop_timeout)));
                } else {
                    info!(signal = number, container = %name, "signalled again: killing the container");
                    if let Err(err) = engine.kill(name, id, "SIGKILL").await {
                        warn!(error = %err, "kill failed");
                    }
                }
            }
            signal = signals.others.next() => {
                if signal == "SIGWINCH" && spec.tty {
                    if let Some((rows, cols)) = terminal::window_size() {
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
            result = async { match stopping.as_mut() { Some(stop) => stop.await, None => pending().await } } => {
                stopping = None;
                if let Err(err) = result {
                    warn!(error = %err, "stop failed; killing the container");
                    if let Err(err) = engine.kill(name, id, "SIGKILL").await {
                        warn!(error = %err, "kill failed");
                    }
                }
            }
            () = tick(&mut watchdog) => notifier.send(&[NotifyState::Watchdog]),
            () = tick(&mut health_poll), if !ready => {
                match check_health(engine, name, id, notifier, &mut last_health).await {
                    Ok(true) => {
                        ready = true;
                        health_poll = None;
                        notifier.send(&[NotifyState::Ready]);
                    }
                    Ok(false) => {}
                    Err(err) => debug!(error = %err, "health not read"),
                }
            }
            () = async { match exit_check.as_mut() { Some(timer) => timer.await, None => pending().await } } => {
                exit_check = None;
                // The output ended but the engine's exit report has not come: ask directly.
                match engine.inspect_run(name, id).await {
                    Ok(info) if !info.running => {
                        debug!("exit code taken from inspect");
                        break Ended::Exited(ContainerExit { code: info.exit_code });
                    }
                    Ok(_) => {}
                    Err(err) => debug!(error = %err, "inspect after the output ended"),
                }
            }
        }
    };
    drop(stopping);

    // ---- after: the last output, the terminal, the service manager, `--rm` ----
    let exit = match ended {
        Ended::Detached => {
            drop(output_pump);
            drop(input_pump);
            writer.finish();
            drop(raw);
            info!(container = %name, "detached; the container keeps running");
            notifier.status(&format!("detached from container {name}"));
            return Ok(Exit::Success);
        }
        Ended::Exited(exit) => exit,
    };
    if !output_done
        && tokio::time::timeout(DRAIN_LIMIT, &mut output_pump)
            .await
            .is_err()
    {
        warn!("the container's output did not end with it; not waiting longer");
    }
    drop(output_pump);
    drop(input_pump);
    writer.finish();
    drop(raw);
    info!(container = %name, code = exit.code, "container exited");
    notifier.send(&[
        NotifyState::Stopping,
        NotifyState::Status(&format!("container {name} exited with code {}", exit.code)),
    ]);
    if spec.auto_remove {
        // A container created with `--rm` is removed by the engine itself (AutoRemove), which
        // may already be at it; one created earlier without it is removed here.
        match engine.inspect_run(name, id).await {
            Ok(info) if !info.auto_remove => engine.remove(name, id, true).await?,
            Ok(_) => {}
            Err(err) => debug!(error = %err, "not inspected before removal (gone already?)"),
        }
        engine.await_removal(name, id, REMOVAL_LIMIT).await?;
        debug!("removed");
    }
    Ok(Exit::Container(exit.code))
}
