//! The health gate: is a just-started container really up? A replacement commits only once
//! its new container passes it, and `-d --wait` returns only then.
//!
//! With a healthcheck (its image's or `--health-*`), the container must report `healthy`
//! within its own schedule's bound: start period + retries × (interval + timeout), plus
//! [`MARGIN`] (`--wait-timeout` overrides the bound). Without one, it must still run, never
//! restarted by its restart policy, [`SETTLE`] after it started. Unhealthy, exited, restarted
//! or out of time: it fails, and the caller prints the tail of its logs ([`log_tail`]).
//! This module only watches; what a failure undoes is the caller's business.

use std::time::Duration;

use tokio::time::{sleep, Instant};
use tracing::{debug, info, warn};

use crate::engine::{Engine, EngineError, Health, HealthSchedule};
use crate::error::GateFailure;

use super::shield::Shield;

/// How long a container without a healthcheck must keep running to count as up.
pub const SETTLE: Duration = Duration::from_secs(3);

/// Added to a healthcheck's own bound, for the engine's scheduling and a loaded machine.
pub const MARGIN: Duration = Duration::from_secs(10);

/// How often the container is looked at while it proves itself.
const POLL: Duration = Duration::from_millis(500);

/// How many of its last log lines a failed container shows.
pub const LOG_LINES: usize = 20;

/// How the gate ended.
#[derive(Debug)]
pub enum Verdict {
    /// Up (healthy, or settled).
    Passed,
    /// Not up.
    Failed(GateFailure),
    /// A signal arrived first (its number).
    Interrupted(i32),
}

/// Since when the watched container is to be judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Since {
    /// It was just started: a restart by its restart policy fails it; without a healthcheck it
    /// must keep running for [`SETTLE`].
    Started,
    /// It was found running (`--wait` on a container already up): its past restarts do not
    /// count, and without a healthcheck running now is enough.
    Found,
    /// A replacement an interrupted launch left started (a repair): it may have run for long,
    /// so only a restart while it is watched fails it; without a healthcheck it must keep
    /// running for [`SETTLE`] from now.
    Left,
}

/// The bound for a healthcheck's schedule: start period + retries × (interval + timeout) +
/// [`MARGIN`].
#[must_use]
pub fn bound(schedule: &HealthSchedule) -> Duration {
    schedule.start_period + (schedule.interval + schedule.timeout) * schedule.retries + MARGIN
}

/// Watch the container `id` (known as `name`) until it is up or fails; `limit` overrides the
/// healthcheck's bound; `since` says how its history counts. A `shield` makes a signal end
/// the watch.
///
/// # Errors
/// The engine cannot be asked.
pub async fn watch<E: Engine>(
    engine: &E,
    name: &str,
    id: &str,
    limit: Option<Duration>,
    since: Since,
    mut shield: Option<&mut Shield>,
) -> Result<Verdict, EngineError> {
    let started = Instant::now();
    let mut last = None;
    let mut restarts = None;
    loop {
        // A signal already caught (during the step before the watch) ends it too.
        if let Some(number) = shield.as_deref_mut().and_then(Shield::caught) {
            return Ok(Verdict::Interrupted(number));
        }
        let info = engine.inspect_run(name, id).await?;
        let before = match since {
            Since::Started => Some(0),
            Since::Found => None,
            Since::Left => Some(*restarts.get_or_insert(info.restart_count)),
        };
        if before.is_some_and(|before| info.restart_count > before) {
            return Ok(Verdict::Failed(GateFailure::Restarted));
        }
        if !info.running {
            return Ok(Verdict::Failed(GateFailure::Exited(info.exit_code)));
        }
        let deadline = match info.schedule {
            Some(schedule) => {
                if last != Some(info.health) && info.health != Health::Healthy {
                    info!(container = %name, health = ?info.health, "waiting for its healthcheck");
                    last = Some(info.health);
                }
                match info.health {
                    Health::Healthy => {
                        info!(container = %name, "healthy");
                        return Ok(Verdict::Passed);
                    }
                    Health::Unhealthy => return Ok(Verdict::Failed(GateFailure::Unhealthy)),
                    Health::Starting | Health::None => {}
                }
                limit.unwrap_or_else(|| bound(&schedule))
            }
            None if since == Since::Found => return Ok(Verdict::Passed),
            None => {
                if started.elapsed() >= SETTLE {
                    debug!(container = %name, "settled");
                    return Ok(Verdict::Passed);
                }
                SETTLE
            }
        };
        if started.elapsed() >= deadline {
            return Ok(Verdict::Failed(GateFailure::TimedOut(deadline.as_secs())));
        }
        let pause = POLL.min(deadline.saturating_sub(started.elapsed()));
        match shield.as_deref_mut() {
            Some(shield) => {
                tokio::select! {
                    () = sleep(pause) => {}
                    number = shield.next() => return Ok(Verdict::Interrupted(number)),
                }
            }
            None => sleep(pause).await,
        }
    }
}

/// Print the last lines of a failed container's output on stderr (through the log), so the
/// reason is seen before the container is removed.
pub async fn log_tail<E: Engine>(engine: &E, name: &str, id: &str, shown_as: &str) {
    match engine.logs_tail(name, id, LOG_LINES).await {
        Ok(text) if text.trim().is_empty() => {
            warn!(container = %shown_as, "it printed nothing");
        }
        Ok(text) => {
            warn!(container = %shown_as, "its last lines of output:");
            for line in text.lines() {
                warn!(container = %shown_as, "| {line}");
            }
        }
        Err(err) => warn!(container = %shown_as, error = %err, "cannot read its logs"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_follows_the_schedule() {
        let schedule = HealthSchedule {
            interval: Duration::from_secs(2),
            timeout: Duration::from_secs(1),
            start_period: Duration::from_secs(5),
            retries: 3,
        };
        assert_eq!(bound(&schedule), Duration::from_secs(5 + 3 * 3) + MARGIN);
    }
}
