//! `DockrunError`: every way a launch can fail, the exit code each one means, and the one
//! printer that turns an error into the line the user reads.

use crate::cidfile::CidfileError;
use crate::engine::{EngineError, StartFailure};
use crate::exit::Exit;
use crate::notify::NotifyError;
use crate::plan::PlanError;
use crate::spec::SpecError;
use crate::unit::UnitError;

/// Everything that can stop a launch.
#[derive(Debug, thiserror::Error)]
pub enum DockrunError {
    /// The command line breaks docker run's grammar (clap's message, first line).
    #[error("{0}")]
    Usage(String),
    /// A value or combination of flags is invalid.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// No systemd unit can be written for this command line (`--print-unit`).
    #[error(transparent)]
    Unit(#[from] UnitError),
    /// The command line is not an update run dockrun can do (`--update-images`): an
    /// `update::args::ArgsError`, boxed so this module needs nothing of `update` (which uses
    /// `DockrunError`: the import would run against the flow).
    #[error(transparent)]
    UpdateArgs(Box<dyn std::error::Error + Send + Sync>),
    /// The container is in a state dockrun will not act on.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The engine refused or failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Replacing the container failed; what became of both containers comes first, then the
    /// cause.
    #[error("failed to replace container `{name}` ({outcome})")]
    Replace {
        /// The container's name.
        name: String,
        /// What became of the old and the new container.
        outcome: String,
        /// Why the new one could not be made to run (an engine error or a failed gate).
        #[source]
        source: Box<DockrunError>,
    },
    /// A container did not come up: not healthy, exited, restarted, or out of time (the gate
    /// of a replacement, or `--wait`).
    #[error("container `{name}` did not come up: {failure}")]
    Gate {
        /// The container's name.
        name: String,
        /// How it failed.
        failure: GateFailure,
    },
    /// SIGTERM or SIGINT during a replacement or repair, which finished or rolled back first.
    #[error("interrupted by signal {signal} while replacing container `{name}` ({outcome})")]
    Interrupted {
        /// The container's name.
        name: String,
        /// The signal's number.
        signal: i32,
        /// What became of the containers.
        outcome: String,
    },
    /// `NOTIFY_SOCKET` names a socket that cannot be used.
    #[error(transparent)]
    Notify(#[from] NotifyError),
    /// `--cidfile` cannot be honoured.
    #[error(transparent)]
    Cidfile(#[from] CidfileError),
    /// `-t` with stdin attached, but stdin is no terminal (docker run's message).
    #[error("the input device is not a TTY: `-t` with stdin attached (`-i`) needs a terminal on stdin; drop `-t` to pipe input")]
    NotATty,
    /// `--sdnotify=healthy` for a container without a healthcheck.
    #[error("`--sdnotify=healthy` needs a healthcheck, and container `{name}` has none: give `--health-cmd` or use an image with a HEALTHCHECK")]
    NoHealthcheck {
        /// The container's name.
        name: String,
    },
    /// With `-d --sdnotify=healthy`, the container stopped before it was healthy.
    #[error(
        "container `{name}` stopped before its healthcheck reported healthy (`--sdnotify=healthy`)"
    )]
    StoppedBeforeHealthy {
        /// The container's name.
        name: String,
    },
    /// With `--sdnotify=healthy`, the container was not healthy within the bound (its
    /// healthcheck's schedule, or `--wait-timeout`).
    #[error("container `{name}` was not healthy within {limit_secs}s (`--sdnotify=healthy`; `--wait-timeout` sets another bound, 0 none); {outcome}")]
    NotHealthyInTime {
        /// The container's name.
        name: String,
        /// The bound, in seconds.
        limit_secs: u64,
        /// What became of the container.
        outcome: &'static str,
    },
    /// The signal handlers could not be installed.
    #[error("cannot install signal handlers")]
    Signals(#[source] std::io::Error),
    /// The terminal (raw mode) or the output thread could not be set up.
    #[error("cannot set up the terminal for the container's streams")]
    Terminal(#[source] std::io::Error),
    /// Other launches kept taking the name away.
    #[error("container `{name}` kept changing under dockrun ({attempts} attempts); is something else creating and removing it?")]
    Contended {
        /// The container's name.
        name: String,
        /// How many rounds were tried.
        attempts: u32,
    },
}

/// Why a container did not pass the health gate (`ensure::gate`: a replacement's commit, or
/// `--wait`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GateFailure {
    /// Its healthcheck reported `unhealthy`.
    #[error("its healthcheck reported unhealthy")]
    Unhealthy,
    /// It stopped.
    #[error("it exited with code {0}")]
    Exited(i64),
    /// Its restart policy restarted it: it crashed.
    #[error("it crashed and its restart policy restarted it")]
    Restarted,
    /// It was not healthy in time.
    #[error("it was not healthy within {0}s")]
    TimedOut(u64),
}

impl DockrunError {
    /// The exit code docker run would give for this failure.
    #[must_use]
    pub fn exit(&self) -> Exit {
        match self {
            DockrunError::Engine(EngineError::Start {
                failure: StartFailure::CommandNotFound,
                ..
            }) => Exit::CommandNotFound,
            DockrunError::Engine(EngineError::Start {
                failure: StartFailure::CannotInvoke,
                ..
            }) => Exit::CannotInvoke,
            // A replacement whose new command cannot run exits as `docker run` would with it.
            DockrunError::Replace { source, .. } => match source.exit() {
                exit @ (Exit::CommandNotFound | Exit::CannotInvoke) => exit,
                _ => Exit::Failure,
            },
            DockrunError::Interrupted { signal, .. } => Exit::Signal(*signal),
            DockrunError::Usage(_)
            | DockrunError::Spec(_)
            | DockrunError::Unit(_)
            | DockrunError::Plan(_)
            | DockrunError::Engine(_)
            | DockrunError::UpdateArgs(_)
            | DockrunError::Gate { .. }
            | DockrunError::Contended { .. }
            | DockrunError::Notify(_)
            | DockrunError::Cidfile(_)
            | DockrunError::NotATty
            | DockrunError::NoHealthcheck { .. }
            | DockrunError::StoppedBeforeHealthy { .. }
            | DockrunError::NotHealthyInTime { .. }
            | DockrunError::Signals(_)
            | DockrunError::Terminal(_) => Exit::Failure,
        }
    }

    /// A hint worth showing after the error, if any.
    fn hint(&self) -> Option<&'static str> {
        match self {
            DockrunError::Engine(
                EngineError::Unreachable { .. } | EngineError::Unanswered { .. },
            ) => Some("is the Docker engine running? `DOCKER_HOST` or `DOCKER_CONTEXT` selects another one"),
            DockrunError::Usage(_) => {
                Some("see `dockrun --help`; options go before IMAGE, as with docker run")
            }
            _ => None,
        }
    }
}

/// An error and the chain of its causes on one line, joined by `: `.
#[must_use]
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut line = err.to_string();
    let mut source = err.source();
    // `#[error(transparent)]` forwards `source()` to the inner error's source, so the chain
    // below starts at the inner error's cause.
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}

/// The text printed for an error: `dockrun: error: ` and the chain of causes on one line, then
/// an optional hint line.
#[must_use]
pub fn report(err: &DockrunError) -> String {
    let line = format!("dockrun: error: {}", chain(err));
    match err.hint() {
        Some(hint) => format!("{line}\n\nhint: {hint}"),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ApiError;

    #[test]
    fn report_is_one_line_with_causes() {
        let err = DockrunError::Engine(EngineError::Create {
            name: "web".into(),
            image: "img".into(),
            source: ApiError {
                status: Some(400),
                message: "bad thing\n".into(),
            },
        });
        assert_eq!(
            report(&err),
            "dockrun: error: failed to create container `web` from image `img`: bad thing"
        );
        assert_eq!(err.exit(), Exit::Failure);
    }

    #[test]
    fn start_failures_map_to_126_and_127() {
        let start = |failure| {
            DockrunError::Engine(EngineError::Start {
                name: "x".into(),
                failure,
                source: ApiError {
                    status: Some(400),
                    message: String::new(),
                },
            })
        };
        assert_eq!(
            start(StartFailure::CommandNotFound).exit(),
            Exit::CommandNotFound
        );
        assert_eq!(start(StartFailure::CannotInvoke).exit(), Exit::CannotInvoke);
    }
}
