//! One transaction per container name at a time, among the launches on this machine: an
//! advisory `flock` on a file named for the engine and the container, held from before a
//! replacement or repair is planned for good until the launch ends.
//!
//! Without it, a launch that finds a name missing while another launch is half-way through
//! replacing it could not tell a live replacement from an interrupted one, and would "repair"
//! it under the other's feet. The kernel drops the lock when its holder dies (SIGKILL, OOM,
//! power loss), so an interrupted replacement never blocks the launch that repairs it. The
//! file lives in `/run/lock/dockrun-<uid>` (else the temporary directory): launches by other
//! users, or on other machines sharing a remote engine, are not serialised. Only the no-op and
//! start paths take no lock at all. This module does no engine I/O.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tracing::{debug, info, warn};

/// How often a held lock is tried again.
const RETRY: Duration = Duration::from_millis(50);

/// A held lock; dropping it (or dying) releases it.
#[derive(Debug)]
pub struct NameLock {
    _file: File,
}

/// The lock file for `name` on the engine at `scope`.
fn path(scope: &str, name: &str) -> Option<PathBuf> {
    let uid = rustix::process::getuid().as_raw();
    let hash = hex::encode(&Sha256::digest(scope.as_bytes())[..6]);
    let dirs = [
        PathBuf::from(format!("/run/lock/dockrun-{uid}")),
        std::env::temp_dir().join(format!("dockrun-{uid}")),
    ];
    let dir = dirs.into_iter().find(|dir| {
        std::fs::create_dir_all(dir).is_ok()
            && std::fs::metadata(dir).is_ok_and(|m| !m.permissions().readonly())
    })?;
    Some(dir.join(format!("{name}.{hash}.lock")))
}

/// Take the lock for `name` on the engine at `scope`, waiting while another launch holds it.
/// A lock that cannot be had at all (no writable directory) is warned about, and the launch
/// goes on without it.
pub async fn lock(scope: &str, name: &str) -> Option<NameLock> {
    let Some(path) = path(scope, name) else {
        warn!(container = %name, "no directory for the replacement lock; going on without it");
        return None;
    };
    let file = match OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
    {
        Ok(file) => file,
        Err(err) => {
            warn!(path = %path.display(), error = %err, "cannot open the replacement lock; going on without it");
            return None;
        }
    };
    let mut told = false;
    loop {
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {
                debug!(path = %path.display(), "locked");
                return Some(NameLock { _file: file });
            }
            Err(rustix::io::Errno::WOULDBLOCK | rustix::io::Errno::INTR) => {
                if !told {
                    info!(container = %name, "another launch is replacing or repairing this container; waiting for it");
                    told = true;
                }
                tokio::time::sleep(RETRY).await;
            }
            Err(err) => {
                warn!(path = %path.display(), error = %err, "cannot take the replacement lock; going on without it");
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_held_lock_waits_and_a_released_one_is_taken() {
        let name = format!("dockrun-lock-test-{}", std::process::id());
        let first = lock("unix:///test.sock", &name).await.expect("locked");
        let waiting =
            tokio::time::timeout(Duration::from_millis(200), lock("unix:///test.sock", &name));
        assert!(waiting.await.is_err(), "held by the first");
        // Another engine's container of the same name is another lock.
        assert!(lock("tcp://elsewhere:2376", &name).await.is_some());
        drop(first);
        assert!(lock("unix:///test.sock", &name).await.is_some());
        for scope in ["unix:///test.sock", "tcp://elsewhere:2376"] {
            if let Some(path) = path(scope, &name) {
                std::fs::remove_file(path).expect("lock file removed");
            }
        }
    }
}
