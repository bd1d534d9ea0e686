//! A counting proxy in front of the real engine: a unix socket in a temp dir that forwards every
//! connection, byte for byte, to the engine dockrun would reach (`DOCKER_HOST`, else the default
//! socket) and records the request line of each HTTP request a client sends. Point dockrun's
//! `DOCKER_HOST` at `docker_host()` to count what a launch costs in API requests.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// The engine's own address, as dockrun would resolve it.
fn upstream_address() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unix:///var/run/docker.sock".to_owned())
}

/// One end of a proxied connection.
trait Stream: Read + Write + Send {
    fn split(&self) -> Box<dyn Stream>;
    fn close_write(&self);
}

impl Stream for UnixStream {
    fn split(&self) -> Box<dyn Stream> {
        Box::new(self.try_clone().expect("clone unix stream"))
    }
    fn close_write(&self) {
        // Why ignored: the peer may already be gone; the other direction ends on its own then.
        let _ = self.shutdown(Shutdown::Write);
    }
}

impl Stream for TcpStream {
    fn split(&self) -> Box<dyn Stream> {
        Box::new(self.try_clone().expect("clone tcp stream"))
    }
    fn close_write(&self) {
        // Why ignored: as for unix streams.
        let _ = self.shutdown(Shutdown::Write);
    }
}

fn connect_upstream(address: &str) -> Box<dyn Stream> {
    if let Some(path) = address.strip_prefix("unix://") {
        Box::new(UnixStream::connect(path).expect("the proxy reaches the engine socket"))
    } else if let Some(host) = address.strip_prefix("tcp://") {
        Box::new(TcpStream::connect(host).expect("the proxy reaches the engine"))
    } else {
        panic!("the counting proxy cannot reach DOCKER_HOST={address}")
    }
}

/// Whether `line` (without its CRLF) is an HTTP/1 request line: `METHOD /path HTTP/1.x`.
fn is_request_line(line: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(line) else {
        return false;
    };
    let mut words = text.split(' ');
    matches!(
        (words.next(), words.next(), words.next(), words.next()),
        (Some(method), Some(path), Some(version), None)
            if !method.is_empty()
                && method.bytes().all(|b| b.is_ascii_uppercase())
                && path.starts_with('/')
                && version.starts_with("HTTP/1.")
    )
}

/// Copy client → engine, recording each request line before it is forwarded (so a client that
/// has its answer has been counted).
fn forward_requests(mut from: Box<dyn Stream>, mut to: Box<dyn Stream>, seen: &Mutex<Vec<String>>) {
    let mut buf = [0u8; 8192];
    let mut line = Vec::new();
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &byte in &buf[..n] {
            if byte == b'\n' {
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if is_request_line(&line) {
                    let text = String::from_utf8_lossy(&line).into_owned();
                    seen.lock().expect("request log").push(text);
                }
                line.clear();
            } else if line.len() < 4096 {
                line.push(byte);
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    to.close_write();
}

/// Copy engine → client unchanged.
fn forward_answers(mut from: Box<dyn Stream>, mut to: Box<dyn Stream>) {
    // Why ignored: a copy ends when either side closes; that is the normal end of a connection.
    let _ = std::io::copy(&mut from, &mut to);
    to.close_write();
}

/// A running proxy; stops accepting and removes its socket on drop.
pub struct CountingProxy {
    dir: tempfile::TempDir,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl CountingProxy {
    /// Listen on a fresh socket and forward to the engine.
    pub fn start() -> CountingProxy {
        let dir = tempfile::tempdir().expect("tempdir");
        let listener = UnixListener::bind(dir.path().join("engine.sock")).expect("bind proxy");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let upstream = upstream_address();
        let (log, stopping) = (Arc::clone(&seen), Arc::clone(&stop));
        thread::spawn(move || {
            for client in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let engine = connect_upstream(&upstream);
                let (client_in, engine_out) = (client.split(), engine.split());
                let log = Arc::clone(&log);
                thread::spawn(move || forward_requests(client_in, engine_out, &log));
                thread::spawn(move || forward_answers(engine, Box::new(client)));
            }
        });
        CountingProxy { dir, seen, stop }
    }

    /// The `DOCKER_HOST` value that reaches the engine through this proxy.
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.dir.path().join("engine.sock").display())
    }

    /// The request lines seen so far (`GET /containers/x/json HTTP/1.1`), in order.
    pub fn requests(&self) -> Vec<String> {
        self.seen.lock().expect("request log").clone()
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees `stop`; it may already be gone, which is fine.
        let _ = UnixStream::connect(self.dir.path().join("engine.sock"));
    }
}

#[cfg(test)]
mod tests {
    use super::is_request_line;

    #[test]
    fn request_lines() {
        assert!(is_request_line(b"GET /containers/x/json HTTP/1.1"));
        assert!(is_request_line(
            b"POST /v1.41/containers/create?name=x HTTP/1.1"
        ));
        assert!(!is_request_line(b"HTTP/1.1 200 OK"));
        assert!(!is_request_line(b"content-type: application/json"));
        assert!(!is_request_line(b"{\"Image\":\"GET / HTTP/1.1\"}"));
    }
}
