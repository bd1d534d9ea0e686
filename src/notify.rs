//! sd_notify: tell systemd (or any service manager listening on `NOTIFY_SOCKET`) what dockrun is
//! doing: `READY=1`, `STATUS=…`, `STOPPING=1`, `WATCHDOG=1`.
//!
//! The messages are the `sd-notify` crate's (`NotifyState`), as is the reading of
//! `WATCHDOG_USEC`/`WATCHDOG_PID`. The socket is opened here because `sd-notify` 0.5 connects to
//! `NOTIFY_SOCKET` as a file path only, and systemd may hand out an abstract socket (`@name`),
//! which std's `SocketAddrExt::from_abstract_name` reaches. With `NOTIFY_SOCKET` unset every call
//! is a no-op. This module decides nothing about *when* to notify: that is `supervise`.

use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

pub use sd_notify::NotifyState;
use tracing::{debug, warn};

use crate::env_vars;

/// The notify socket could not be used.
#[derive(Debug, thiserror::Error)]
#[error("cannot use the notify socket `{address}` from `NOTIFY_SOCKET`")]
pub struct NotifyError {
    /// The socket address as given.
    pub address: String,
    /// The socket error.
    #[source]
    pub source: io::Error,
}

/// A connection to the service manager, or nothing when `NOTIFY_SOCKET` is unset.
#[derive(Debug)]
pub struct Notifier {
    socket: Option<(String, UnixDatagram)>,
    watchdog: Option<Duration>,
    /// Whether the last send failed (so a listener that stopped reading gets one warning, not
    /// one per watchdog ping).
    failing: std::cell::Cell<bool>,
}

/// The socket address `NOTIFY_SOCKET` names: a path, or an abstract name after `@`.
fn address_of(text: &str) -> io::Result<SocketAddr> {
    match text.strip_prefix('@') {
        Some(name) => SocketAddr::from_abstract_name(name.as_bytes()),
        None => SocketAddr::from_pathname(text),
    }
}

impl Notifier {
    /// Connect to `NOTIFY_SOCKET`, if set; note the watchdog period, if one is asked of dockrun.
    ///
    /// # Errors
    /// The socket is named but cannot be reached: failing at once (before any engine call)
    /// beats a unit that systemd times out later without a word.
    pub fn from_env() -> Result<Self, NotifyError> {
        let watchdog = sd_notify::watchdog_enabled();
        let Some(address) = std::env::var_os(env_vars::NOTIFY_SOCKET) else {
            debug!("NOTIFY_SOCKET is unset: no sd_notify messages");
            return Ok(Notifier {
                socket: None,
                watchdog,
                failing: std::cell::Cell::new(false),
            });
        };
        let address = address.to_string_lossy().into_owned();
        let connect = || -> io::Result<UnixDatagram> {
            let socket = UnixDatagram::unbound()?;
            socket.connect_addr(&address_of(&address)?)?;
            // Never block the supervision loop on a listener that stopped reading: a message
            // that does not fit in its queue is dropped with a warning.
            socket.set_nonblocking(true)?;
            Ok(socket)
        };
        match connect() {
            Ok(socket) => Ok(Notifier {
                socket: Some((address, socket)),
                watchdog,
                failing: std::cell::Cell::new(false),
            }),
            Err(source) => Err(NotifyError { address, source }),
        }
    }

    /// Whether a service manager listens.
    #[must_use]
    pub fn enabled(&self) -> bool {
        self.socket.is_some()
    }

    /// How often to send `WATCHDOG=1`: half of `WATCHDOG_USEC`, as sd_watchdog_enabled(3)
    /// advises; `None` when no watchdog is asked for.
    #[must_use]
    pub fn watchdog_interval(&self) -> Option<Duration> {
        self.watchdog
            .map(|period| (period / 2).max(Duration::from_millis(1)))
    }

    /// Send `states` as one datagram. A failure is logged, not fatal: the container keeps
    /// running and its output keeps flowing whatever the service manager's socket does.
    pub fn send(&self, states: &[NotifyState<'_>]) {
        let Some((address, socket)) = &self.socket else {
            return;
        };
        let message: String = states.iter().map(|s| format!("{s}\n")).collect();
        debug!(message = %message.trim_end(), "sd_notify");
        match socket.send(message.as_bytes()) {
            Ok(_) => self.failing.set(false),
            Err(err) if !self.failing.replace(true) => {
                warn!(socket = %address, error = %err, "sd_notify message not delivered");
            }
            Err(err) => debug!(error = %err, "sd_notify message not delivered"),
        }
    }

    /// `STATUS=text`.
    pub fn status(&self, text: &str) {
        self.send(&[NotifyState::Status(text)]);
    }
}

#[cfg(test)]
impl Notifier {
    /// A notifier sending on `socket` (a test holds its peer), with a watchdog period.
    pub(crate) fn on_socket(socket: UnixDatagram, watchdog: Option<Duration>) -> Self {
        Notifier {
            socket: Some(("test".into(), socket)),
            watchdog,
            failing: std::cell::Cell::new(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abstract_and_path_addresses() {
        let abs = address_of("@dockrun/x").expect("abstract");
        assert_eq!(abs.as_abstract_name(), Some(&b"dockrun/x"[..]));
        let path = address_of("/run/systemd/notify").expect("path");
        assert_eq!(
            path.as_pathname(),
            Some(std::path::Path::new("/run/systemd/notify"))
        );
    }

    #[test]
    fn messages_reach_an_abstract_socket() {
        let name = format!("dockrun-notify-test-{}", std::process::id());
        let listener =
            UnixDatagram::bind_addr(&address_of(&format!("@{name}")).expect("addr")).expect("bind");
        let socket = UnixDatagram::unbound().expect("socket");
        socket
            .connect_addr(&address_of(&format!("@{name}")).expect("addr"))
            .expect("connect");
        let notifier = Notifier {
            socket: Some((format!("@{name}"), socket)),
            watchdog: Some(Duration::from_secs(10)),
            failing: std::cell::Cell::new(false),
        };
        notifier.send(&[NotifyState::Ready, NotifyState::Status("up")]);
        let mut buf = [0u8; 256];
        let n = listener.recv(&mut buf).expect("recv");
        assert_eq!(&buf[..n], b"READY=1\nSTATUS=up\n");
        assert_eq!(notifier.watchdog_interval(), Some(Duration::from_secs(5)));
    }
}
