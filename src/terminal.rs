//! dockrun's own standard streams in the foreground: raw mode on the user's terminal (restored
//! by `Drop` on every way out, and by the panic hook through `restore_after_panic`), its window size, a reader thread for stdin, the detach-key
//! watcher, and the writer thread that copies the container's output to stdout/stderr.
//!
//! Nothing here talks to the engine or decides when to do what: that is `supervise`.
//!
//! Why threads: a read of stdin blocks, and tokio's own `stdin()` keeps the runtime from
//! shutting down while a read is pending (dockrun would hang after the container exits until
//! the user presses a key). A plain thread dies with the process. Output goes through a thread
//! too, fed by a small bounded channel: memory stays flat (at most `OUTPUT_QUEUE` chunks of the
//! engine's framing, ~32 KiB each), a slow reader of dockrun's stdout slows the container's
//! output down instead of piling it up, and the async side keeps answering signals meanwhile.

use std::io::{self, IsTerminal, Read, Write};
use std::sync::Mutex;
use std::thread::JoinHandle;

use rustix::termios::{self, OptionalActions, Termios};
use tokio::sync::mpsc;
use tracing::{debug, warn};

use crate::engine::{Chunk, Source};

/// How many chunks of output may wait for the writer thread.
const OUTPUT_QUEUE: usize = 16;

/// How many bytes one read of stdin takes at most.
const INPUT_CHUNK: usize = 4096;

/// The user's terminal in raw mode; dropping this restores the mode it had.
pub struct RawMode {
    saved: Termios,
}

/// The mode to restore while the terminal is raw, for [`restore_after_panic`]: a panic in the
/// release build aborts (`panic = "abort"`), so `RawMode`'s `Drop` never runs then.
static SAVED: Mutex<Option<Termios>> = Mutex::new(None);

/// Put the terminal back as [`RawMode::enable`] found it, if it is raw now: for the panic hook
/// (`main`). Never blocks; does nothing when the terminal is not raw.
pub fn restore_after_panic() {
    let Ok(mut saved) = SAVED.try_lock() else {
        return;
    };
    if let Some(mode) = saved.take() {
        // Why ignored: nothing more can be done on the way out of a panic.
        let _ = termios::tcsetattr(io::stdin(), OptionalActions::Now, &mode);
    }
}

/// Debug builds only: `DOCKRUN_TEST_PANIC=raw-mode` panics right after the terminal went raw,
/// so a test can check that a panic leaves the terminal as it was.
fn test_panic_point(point: &str) {
    #[cfg(debug_assertions)]
    if std::env::var_os(crate::env_vars::DOCKRUN_TEST_PANIC).is_some_and(|v| v == point) {
        panic!("DOCKRUN_TEST_PANIC={point}");
    }
    #[cfg(not(debug_assertions))]
    let _ = point;
}

impl RawMode {
    /// Put the terminal on stdin in raw mode (keys go to the container as typed: Ctrl-C is a
    /// byte for the container's terminal, not a SIGINT for dockrun).
    ///
    /// # Errors
    /// stdin is not a terminal, or its mode cannot be changed.
    pub fn enable() -> io::Result<Self> {
        let stdin = io::stdin();
        let saved = termios::tcgetattr(&stdin)?;
        let mut raw = saved.clone();
        raw.make_raw();
        if let Ok(mut slot) = SAVED.lock() {
            *slot = Some(saved.clone());
        }
        termios::tcsetattr(&stdin, OptionalActions::Now, &raw)?;
        debug!("terminal in raw mode");
        test_panic_point("raw-mode");
        Ok(RawMode { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Ok(mut slot) = SAVED.lock() {
            *slot = None;
        }
        if let Err(err) = termios::tcsetattr(io::stdin(), OptionalActions::Now, &self.saved) {
            warn!(error = %err, "could not restore the terminal mode; run `reset`");
        } else {
            debug!("terminal mode restored");
        }
    }
}

/// Whether stdin is a terminal.
#[must_use]
pub fn stdin_is_terminal() -> bool {
    io::stdin().is_terminal()
}

/// The window size (rows, columns) of the terminal on stdout, else on stdin.
#[must_use]
pub fn window_size() -> Option<(u16, u16)> {
    let size = termios::tcgetwinsize(io::stdout())
        .or_else(|_| termios::tcgetwinsize(io::stdin()))
        .ok()?;
    (size.ws_row > 0 && size.ws_col > 0).then_some((size.ws_row, size.ws_col))
}

/// Read stdin on a thread of its own; chunks arrive on the receiver, which closes at EOF.
#[must_use]
pub fn read_stdin() -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel(4);
    let spawned = std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            let mut stdin = io::stdin().lock();
            let mut buf = vec![0u8; INPUT_CHUNK];
            loop {
                match stdin.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if tx.blocking_send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => {
                        warn!(error = %err, "reading stdin failed; closing the container's stdin");
                        break;
                    }
                }
            }
        });
    if let Err(err) = spawned {
        warn!(error = %err, "cannot start the stdin reader; the container's stdin is closed");
    }
    rx
}

/// The thread that writes the container's output to dockrun's stdout and stderr, each chunk
/// written whole and flushed at once (no line buffering: a prompt without a newline shows).
pub struct OutputWriter {
    /// Where chunks go; drop it to let the thread finish.
    pub sender: mpsc::Sender<Chunk>,
    thread: JoinHandle<()>,
}

impl OutputWriter {
    /// Start the writer thread.
    ///
    /// # Errors
    /// The thread cannot be started.
    pub fn start() -> io::Result<Self> {
        let (sender, mut rx) = mpsc::channel::<Chunk>(OUTPUT_QUEUE);
        let thread = std::thread::Builder::new()
            .name("output".into())
            .spawn(move || {
                let mut open = [true, true];
                while let Some((source, bytes)) = rx.blocking_recv() {
                    let index = usize::from(source == Source::Stderr);
                    if !open[index] {
                        continue;
                    }
                    let written = match source {
                        Source::Stdout => {
                            let mut out = io::stdout().lock();
                            out.write_all(&bytes).and_then(|()| out.flush())
                        }
                        Source::Stderr => {
                            let mut err = io::stderr().lock();
                            err.write_all(&bytes).and_then(|()| err.flush())
                        }
                    };
                    // A closed stdout (`| head`) is the reader's choice: stop copying that
                    // stream, keep the other, and keep supervising the container.
                    if let Err(err) = written {
                        warn!(stream = ?source, error = %err, "cannot write the container's output; dropping the rest of this stream");
                        open[index] = false;
                    }
                }
            })?;
        Ok(OutputWriter { sender, thread })
    }

    /// Wait until everything sent has been written.
    pub fn finish(self) {
        drop(self.sender);
        if self.thread.join().is_err() {
            warn!("the output writer thread panicked");
        }
    }
}

/// Watches stdin for the detach key sequence, holding back a partial match until it is either
/// completed (detach) or broken (the held keys are forwarded), as the docker CLI's escape proxy
/// does.
pub struct DetachWatcher {
    keys: Vec<u8>,
    matched: usize,
}

/// What to do with a chunk of stdin.
#[derive(Debug, PartialEq, Eq)]
pub enum Keys {
    /// Send these bytes to the container.
    Forward(Vec<u8>),
    /// The detach sequence was typed (these bytes before it still go to the container).
    Detach(Vec<u8>),
}

impl DetachWatcher {
    /// Watch for `keys` (already parsed; empty never matches).
    #[must_use]
    pub fn new(keys: Vec<u8>) -> Self {
        DetachWatcher { keys, matched: 0 }
    }

    /// Feed a chunk of stdin.
    pub fn feed(&mut self, input: &[u8]) -> Keys {
        if self.keys.is_empty() {
            return Keys::Forward(input.to_vec());
        }
        let mut out = Vec::with_capacity(input.len());
        for &byte in input {
            if byte == self.keys[self.matched] {
                self.matched += 1;
                if self.matched == self.keys.len() {
                    self.matched = 0;
                    return Keys::Detach(out);
                }
                continue;
            }
            // The held prefix was not the sequence after all: it goes through, and this byte
            // may start a new match.
            out.extend_from_slice(&self.keys[..self.matched]);
            self.matched = 0;
            if byte == self.keys[0] {
                self.matched = 1;
                if self.keys.len() == 1 {
                    self.matched = 0;
                    return Keys::Detach(out);
                }
            } else {
                out.push(byte);
            }
        }
        Keys::Forward(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detach_sequence_is_held_then_matched_or_released() {
        let mut w = DetachWatcher::new(vec![0x10, 0x11]);
        assert_eq!(w.feed(b"ab"), Keys::Forward(b"ab".to_vec()));
        assert_eq!(w.feed(b"x\x10"), Keys::Forward(b"x".to_vec()));
        assert_eq!(w.feed(b"y"), Keys::Forward(b"\x10y".to_vec()));
        assert_eq!(w.feed(b"z\x10"), Keys::Forward(b"z".to_vec()));
        assert_eq!(w.feed(b"\x11rest"), Keys::Detach(Vec::new()));
        let mut w = DetachWatcher::new(vec![0x10, 0x11]);
        assert_eq!(w.feed(b"\x10\x10\x11"), Keys::Detach(b"\x10".to_vec()));
        let mut w = DetachWatcher::new(vec![b'q']);
        assert_eq!(w.feed(b"abqc"), Keys::Detach(b"ab".to_vec()));
        let mut w = DetachWatcher::new(Vec::new());
        assert_eq!(w.feed(b"\x10\x11"), Keys::Forward(b"\x10\x11".to_vec()));
    }
}
