//! Signals during a transaction (a replacement or a repair): SIGTERM and SIGINT are caught for
//! as long as one runs, in the foreground and with `-d` alike, so the transaction can finish or
//! roll back before dockrun exits; a second one ends it at once (the next launch repairs).
//!
//! The handlers are installed only when a transaction starts, so a launch that changes nothing
//! pays nothing for them. While a shield is up, [`raised`] says so: the foreground supervisor,
//! which catches the same signals, then leaves the first one to the transaction instead of
//! dropping the launch half-way. This module decides nothing about the containers.

use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

use futures_util::FutureExt;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tracing::{info, warn};

/// How many shields are up in this process.
static RAISED: AtomicUsize = AtomicUsize::new(0);

/// The first signal any shield of this process caught (0: none). A shield raised later starts
/// from it, so a signal caught outside a transaction (an update run's, between containers) is
/// that transaction's first too, not lost: it rolls back, and the next one stops at once.
static FIRST: AtomicI32 = AtomicI32::new(0);

/// SIGINT's number.
pub const SIGINT: i32 = 2;
/// SIGTERM's number.
pub const SIGTERM: i32 = 15;

/// Whether a transaction is under way and will answer SIGTERM/SIGINT itself.
#[must_use]
pub fn raised() -> bool {
    RAISED.load(Ordering::SeqCst) > 0
}

/// SIGTERM and SIGINT caught for the length of a transaction.
pub struct Shield {
    term: Option<Signal>,
    int: Option<Signal>,
    first: Option<i32>,
    count: u32,
}

impl Shield {
    /// Catch SIGTERM and SIGINT until the shield is dropped. Handlers that cannot be installed
    /// are warned about: the transaction then runs unshielded, as before.
    pub fn raise() -> Self {
        let install = |kind: SignalKind| match signal(kind) {
            Ok(signal) => Some(signal),
            Err(err) => {
                warn!(error = %err, "cannot catch signals during the replacement");
                None
            }
        };
        RAISED.fetch_add(1, Ordering::SeqCst);
        let inherited = FIRST.load(Ordering::SeqCst);
        Shield {
            term: install(SignalKind::terminate()),
            int: install(SignalKind::interrupt()),
            first: (inherited != 0).then_some(inherited),
            count: u32::from(inherited != 0),
        }
    }

    /// The first signal caught so far (looking without waiting).
    pub fn caught(&mut self) -> Option<i32> {
        if let Some(number) = self.wait().now_or_never() {
            self.note(number);
        }
        self.first
    }

    /// How many signals were caught (two or more: stop at once).
    #[must_use]
    pub fn count(&self) -> u32 {
        self.count
    }

    fn note(&mut self, number: i32) {
        self.count += 1;
        self.first.get_or_insert(number);
        // Why ignored: only the first signal of the process is kept.
        let _ = FIRST.compare_exchange(0, number, Ordering::SeqCst, Ordering::SeqCst);
        if self.count == 1 {
            info!(
                signal = number,
                "signal during the replacement: finishing or rolling back first (a second one stops at once)"
            );
        } else {
            warn!(
                signal = number,
                "second signal: stopping at once; the next launch repairs what is left"
            );
        }
    }

    /// Wait for the next signal and note it.
    pub async fn next(&mut self) -> i32 {
        let number = self.wait().await;
        self.note(number);
        number
    }

    /// Wait until a second signal has been caught (noting the first on the way).
    pub async fn second(&mut self) -> i32 {
        loop {
            let number = self.next().await;
            if self.count >= 2 {
                return number;
            }
        }
    }

    /// The next SIGTERM or SIGINT (forever, without handlers).
    async fn wait(&mut self) -> i32 {
        let term = async {
            match self.term.as_mut() {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        let int = async {
            match self.int.as_mut() {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = term => SIGTERM,
            () = int => SIGINT,
        }
    }
}

/// Run one step of a transaction to its end, unless a second signal asks to stop at once
/// (`Err` with its number); a first signal is only noted.
pub async fn step<F: std::future::Future>(shield: &mut Shield, work: F) -> Result<F::Output, i32> {
    tokio::pin!(work);
    tokio::select! {
        biased;
        out = &mut work => Ok(out),
        number = shield.second() => Err(number),
    }
}

impl Drop for Shield {
    fn drop(&mut self) {
        RAISED.fetch_sub(1, Ordering::SeqCst);
    }
}
