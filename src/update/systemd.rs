//! Units restarted through `systemctl`, so systemd stays in charge of the containers it runs:
//! the unit's own dockrun does the replacement. `systemctl restart` waits for the job (for a
//! `Type=notify` unit, dockrun's `READY=1`; for `Type=oneshot`, its exit), and a failed job is
//! a failed update.

use std::time::Duration;

use tokio::process::Command;
use tracing::debug;

/// How long a unit's restart may take (a first pull, a slow healthcheck) before it counts as
/// failed.
const RESTART_LIMIT: Duration = Duration::from_secs(600);

/// Why a unit did not restart.
#[derive(Debug, thiserror::Error)]
pub enum UnitFailure {
    /// `systemctl` could not be run.
    #[error("cannot run `systemctl`")]
    Spawn(#[source] std::io::Error),
    /// The job failed (systemctl's own words).
    #[error("`systemctl {verb} {unit}` failed: {message}")]
    Job {
        /// `restart` or `start`.
        verb: &'static str,
        /// The unit.
        unit: String,
        /// What systemctl said.
        message: String,
    },
    /// `systemctl` was ended by a signal before the job finished (the job goes on).
    #[error("`systemctl {verb} {unit}` was ended by a signal before its job finished")]
    Killed {
        /// `restart` or `start`.
        verb: &'static str,
        /// The unit.
        unit: String,
    },
    /// The job took too long.
    #[error("`systemctl {verb} {unit}` did not finish within {}s", RESTART_LIMIT.as_secs())]
    Timeout {
        /// `restart` or `start`.
        verb: &'static str,
        /// The unit.
        unit: String,
    },
}

/// `systemctl restart UNIT`, waiting for the job.
///
/// # Errors
/// The job failed, took too long, or systemctl cannot be run.
pub async fn restart(unit: &str) -> Result<(), UnitFailure> {
    run("restart", unit).await
}

async fn run(verb: &'static str, unit: &str) -> Result<(), UnitFailure> {
    debug!(%unit, verb, "systemctl");
    let output = Command::new("systemctl")
        .args([verb, "--", unit])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(RESTART_LIMIT, output)
        .await
        .map_err(|_| UnitFailure::Timeout {
            verb,
            unit: unit.to_owned(),
        })?
        .map_err(UnitFailure::Spawn)?;
    if output.status.success() {
        return Ok(());
    }
    if output.status.code().is_none() {
        return Err(UnitFailure::Killed {
            verb,
            unit: unit.to_owned(),
        });
    }
    let message = String::from_utf8_lossy(&output.stderr)
        .lines()
        .next()
        .unwrap_or("no message")
        .trim()
        .to_owned();
    Err(UnitFailure::Job {
        verb,
        unit: unit.to_owned(),
        message,
    })
}
