//! A counting proxy in front of the real engine: a unix socket in a temp dir that forwards every
//! connection, byte for byte, to the engine dockrun would reach (`DOCKER_HOST`, else the default
//! socket) and records the request line of each HTTP request a client sends. Point dockrun's
//! `DOCKER_HOST` at `docker_host()` to count what a launch costs in API requests (and
//! `connections()` for how many connections it opened).
//!
//! `CountingProxy::with_api_floor()` answers like Docker Engine 29, which refuses API versions
//! below 1.44: a request whose path names an older version gets Docker 29's 400 ("client version
//! 1.41 is too old. Minimum supported API version is 1.44, …") from the proxy itself; a newer one
//! is forwarded with its path version lowered to what the real engine speaks (1.41, this
//! machine's 20.10); and the engine's `/version` answer and `Api-Version` header report API 1.52
//! with a minimum of 1.44. Unversioned paths pass, as Docker 29 takes them at its own version.
//!
//! With a hook (`CountingProxy::with_hook`) it injects faults: the hook sees each request line
//! (numbered from 1) *before* it is forwarded, once the client has had the answer to the one
//! before, so "right after the engine executed request k" is the hook of request k+1; it may
//! kill the client there (and drop the request) or signal it and let the request through.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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

/// The lowest API version the proxy's pretend Docker 29 accepts, and what it reports.
const FLOOR: (u32, u32) = (1, 44);
/// The real engine's API version (Debian 12's docker.io 20.10), which forwarded paths get.
const UPSTREAM_API: &str = "1.41";
/// The answer bytes rewritten in floor mode (each pair the same length, so no length changes).
const FLOOR_ANSWERS: [(&[u8], &[u8]); 3] = [
    (b"\"ApiVersion\":\"1.41\"", b"\"ApiVersion\":\"1.52\""),
    (b"\"MinAPIVersion\":\"1.12\"", b"\"MinAPIVersion\":\"1.44\""),
    (b"Api-Version: 1.41", b"Api-Version: 1.52"),
];

/// The `(major, minor)` of a request path's version prefix (`/v1.41/...`), if it has one.
fn path_version(path: &str) -> Option<(u32, u32)> {
    let rest = path.strip_prefix("/v")?;
    let (version, _) = rest.split_once('/')?;
    let (major, minor) = version.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// What floor mode does with a request line: `Err(refusal)` to answer it with, or the line to
/// forward (its path version lowered to `lower_to` when pretending to be Docker 29).
fn floor_request(line: &str, lower_to: Option<&str>) -> Result<String, Vec<u8>> {
    let mut words = line.splitn(3, ' ');
    let (method, path, rest) = (
        words.next().unwrap_or(""),
        words.next().unwrap_or(""),
        words.next().unwrap_or(""),
    );
    match path_version(path) {
        Some(version) if version < FLOOR => {
            let body = format!(
                "{{\"message\":\"client version {}.{} is too old. Minimum supported API version is {}.{}, please upgrade your client to a newer version\"}}\n",
                version.0, version.1, FLOOR.0, FLOOR.1
            );
            Err(format!(
                "HTTP/1.1 400 Bad Request\r\nApi-Version: 1.52\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes())
        }
        Some(_) => match lower_to {
            Some(lower) => {
                let tail = path.splitn(3, '/').nth(2).unwrap_or("");
                Ok(format!("{method} /v{lower}/{tail} {rest}"))
            }
            None => Ok(line.to_owned()),
        },
        None => Ok(line.to_owned()),
    }
}

/// Where the client → engine copy is in the HTTP/1 exchange.
enum Phase {
    /// In a request's head (the request line, then headers up to the blank line).
    Head {
        /// No line of this head seen yet: the next line is the request line.
        first: bool,
        /// The head's `Content-Length`.
        length: usize,
        /// The head asks for an upgrade (attach): the connection turns raw after it.
        upgrade: bool,
    },
    /// In a body: this many bytes to go.
    Body(usize),
    /// After an upgrade, or a body without a length: bytes, no more requests to see.
    Raw,
}

const NEW_HEAD: Phase = Phase::Head {
    first: true,
    length: 0,
    upgrade: false,
};

/// Called with each request's number (from 1) and line before it is forwarded; `false` drops it
/// and closes the connection.
pub type Hook = Arc<dyn Fn(usize, &str) -> bool + Send + Sync>;

/// Copy client → engine, recording each request line before it is forwarded (so a client that
/// has its answer has been counted). Requests are framed as HTTP/1 frames them (head, then
/// `Content-Length` bytes of body), so the requests that follow each other on one kept-open
/// connection are all seen; after an upgrade (attach) the connection is raw. In floor mode
/// (`reply` given: the client's write half) each request line is answered or rewritten as
/// `floor_request` says before the engine sees it.
fn forward_requests(
    mut from: Box<dyn Stream>,
    mut to: Box<dyn Stream>,
    seen: &Mutex<Vec<String>>,
    mut reply: Option<Box<dyn Stream>>,
    lower_to: Option<&str>,
    hook: Option<&Hook>,
) {
    let mut buf = [0u8; 8192];
    let mut line: Vec<u8> = Vec::new();
    let mut phase = NEW_HEAD;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut out = Vec::with_capacity(n + 16);
        let mut rest = &buf[..n];
        while !rest.is_empty() {
            match &mut phase {
                Phase::Raw => {
                    out.extend_from_slice(rest);
                    rest = &[];
                }
                Phase::Body(left) => {
                    let take = (*left).min(rest.len());
                    out.extend_from_slice(&rest[..take]);
                    rest = &rest[take..];
                    *left -= take;
                    if *left == 0 {
                        phase = NEW_HEAD;
                    }
                }
                Phase::Head {
                    first,
                    length,
                    upgrade,
                } => {
                    let byte = rest[0];
                    rest = &rest[1..];
                    line.push(byte);
                    if byte != b'\n' {
                        continue;
                    }
                    let text = line.strip_suffix(b"\r\n").unwrap_or(&line).to_vec();
                    let lower = String::from_utf8_lossy(&text).to_ascii_lowercase();
                    if *first {
                        *first = false;
                        if is_request_line(&text) {
                            let text = String::from_utf8_lossy(&text).into_owned();
                            let number = {
                                let mut seen = seen.lock().expect("request log");
                                seen.push(text.clone());
                                seen.len()
                            };
                            if hook.is_some_and(|hook| !hook(number, &text)) {
                                // Why ignored: the connection is being dropped on purpose.
                                let _ = to.write_all(&out);
                                to.close_write();
                                return;
                            }
                            if let Some(client) = reply.as_mut() {
                                match floor_request(&text, lower_to) {
                                    Ok(forwarded) => {
                                        line = format!("{forwarded}\r\n").into_bytes();
                                    }
                                    Err(refusal) => {
                                        // Answer and close, as Docker's answer to this request
                                        // ends the exchange here; the client's retry opens a
                                        // new connection.
                                        let _ = to.write_all(&out);
                                        let _ = client.write_all(&refusal);
                                        client.close_write();
                                        to.close_write();
                                        return;
                                    }
                                }
                            }
                        }
                    } else if text.is_empty() {
                        phase = match (*upgrade, *length) {
                            (true, _) => Phase::Raw,
                            (false, 0) => NEW_HEAD,
                            (false, n) => Phase::Body(n),
                        };
                    } else if let Some(value) = lower.strip_prefix("content-length:") {
                        *length = value.trim().parse().unwrap_or(0);
                    } else if lower.starts_with("upgrade:")
                        || (lower.starts_with("transfer-encoding:") && lower.contains("chunked"))
                    {
                        *upgrade = true;
                    }
                    out.append(&mut line);
                }
            }
        }
        if to.write_all(&out).is_err() {
            break;
        }
    }
    let _ = to.write_all(&line);
    to.close_write();
}

/// Copy engine → client; in floor mode with `FLOOR_ANSWERS` rewritten (a tail that may be the
/// start of one is held until the next read completes or refutes it).
fn forward_answers(mut from: Box<dyn Stream>, mut to: Box<dyn Stream>, floor: bool) {
    if !floor {
        // Why ignored: a copy ends when either side closes; that is the normal end of a
        // connection.
        let _ = std::io::copy(&mut from, &mut to);
        to.close_write();
        return;
    }
    let mut buf = [0u8; 8192];
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        pending.extend_from_slice(&buf[..n]);
        for (old, new) in FLOOR_ANSWERS {
            let mut at = 0;
            while let Some(i) = pending[at..].windows(old.len()).position(|w| w == old) {
                pending[at + i..at + i + old.len()].copy_from_slice(new);
                at += i + old.len();
            }
        }
        let held = (1..=pending.len())
            .rev()
            .find(|&k| {
                FLOOR_ANSWERS
                    .iter()
                    .any(|(old, _)| k < old.len() && old.starts_with(&pending[pending.len() - k..]))
            })
            .unwrap_or(0);
        let ready = pending.len() - held;
        if to.write_all(&pending[..ready]).is_err() {
            break;
        }
        pending.drain(..ready);
    }
    let _ = to.write_all(&pending);
    to.close_write();
}

/// A running proxy; stops accepting and removes its socket on drop.
pub struct CountingProxy {
    dir: tempfile::TempDir,
    upstream: String,
    seen: Arc<Mutex<Vec<String>>>,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    accepting: Option<thread::JoinHandle<()>>,
}

impl CountingProxy {
    /// Listen on a fresh socket and forward to the engine.
    pub fn start() -> CountingProxy {
        CountingProxy::serve(
            tempfile::tempdir().expect("tempdir"),
            upstream_address(),
            false,
        )
    }

    /// As [`CountingProxy::start`], with a fault-injecting hook (see the module comment).
    pub fn with_hook(hook: Hook) -> CountingProxy {
        CountingProxy::serve_hooked(
            tempfile::tempdir().expect("tempdir"),
            upstream_address(),
            (false, false),
            Some(hook),
        )
    }

    /// Listen on a fresh socket and forward to the engine at `upstream` (`unix://…`, `tcp://…`).
    pub fn to(upstream: &str) -> CountingProxy {
        CountingProxy::serve(
            tempfile::tempdir().expect("tempdir"),
            upstream.to_owned(),
            false,
        )
    }

    /// Listen on a fresh socket and answer like Docker 29 (API floor 1.44, see the module
    /// comment), forwarding what it accepts to the engine.
    pub fn with_api_floor() -> CountingProxy {
        CountingProxy::serve(
            tempfile::tempdir().expect("tempdir"),
            upstream_address(),
            true,
        )
    }

    /// Listen on a fresh socket and refuse API versions below 1.44 as Docker 29 does, forwarding
    /// the rest unchanged to the engine at `upstream`, a real newer one (tests/engine2's 26.1).
    pub fn floor_to(upstream: &str) -> CountingProxy {
        CountingProxy::serve_with(
            tempfile::tempdir().expect("tempdir"),
            upstream.to_owned(),
            true,
            false,
        )
    }

    /// Stop this proxy and serve the same socket anew, in floor mode or not: the engine behind
    /// the address changed (upgraded to Docker 29, or back). Counts start again from zero.
    pub fn switch(mut self, floor: bool) -> CountingProxy {
        self.shut();
        let placeholder = tempfile::tempdir().expect("tempdir");
        let dir = std::mem::replace(&mut self.dir, placeholder);
        std::fs::remove_file(dir.path().join("engine.sock")).expect("remove the old socket");
        CountingProxy::serve(dir, self.upstream.clone(), floor)
    }

    fn serve(dir: tempfile::TempDir, upstream: String, floor: bool) -> CountingProxy {
        CountingProxy::serve_with(dir, upstream, floor, floor)
    }

    /// `floor`: refuse versions below 1.44; `pretend`: and be Docker 29 in front of this
    /// machine's 20.10 (paths lowered to 1.41, version answers raised to 1.52).
    fn serve_with(
        dir: tempfile::TempDir,
        upstream: String,
        floor: bool,
        pretend: bool,
    ) -> CountingProxy {
        CountingProxy::serve_hooked(dir, upstream, (floor, pretend), None)
    }

    /// [`CountingProxy::serve_with`], with a fault-injecting hook.
    fn serve_hooked(
        dir: tempfile::TempDir,
        upstream: String,
        (floor, pretend): (bool, bool),
        hook: Option<Hook>,
    ) -> CountingProxy {
        let listener = UnixListener::bind(dir.path().join("engine.sock")).expect("bind proxy");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, count, stopping) = (
            Arc::clone(&seen),
            Arc::clone(&connections),
            Arc::clone(&stop),
        );
        let to = upstream.clone();
        let accepting = thread::spawn(move || {
            for client in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                let engine = connect_upstream(&to);
                let (client_in, engine_out) = (client.split(), engine.split());
                let reply = floor.then(|| client.split());
                let log = Arc::clone(&log);
                let lower_to = pretend.then_some(UPSTREAM_API);
                let hook = hook.clone();
                thread::spawn(move || {
                    forward_requests(client_in, engine_out, &log, reply, lower_to, hook.as_ref());
                });
                thread::spawn(move || forward_answers(engine, Box::new(client), pretend));
            }
        });
        CountingProxy {
            dir,
            upstream,
            seen,
            connections,
            stop,
            accepting: Some(accepting),
        }
    }

    /// Stop accepting: wake the accept loop so it sees `stop`, and wait for it to end.
    fn shut(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // The loop may already be gone, which is fine.
        let _ = UnixStream::connect(self.dir.path().join("engine.sock"));
        if let Some(accepting) = self.accepting.take() {
            let _ = accepting.join();
        }
    }

    /// How many connections clients opened so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The proxy's socket (for a TLS terminator in front of it).
    pub fn socket(&self) -> std::path::PathBuf {
        self.dir.path().join("engine.sock")
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
        self.shut();
    }
}

/// Send `signal` (`KILL`, `TERM`) to the process `pid`; with `KILL`, return once it is dead
/// (a zombie or gone), so it cannot send anything more.
pub fn signal_process(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{signal} {pid}");
    if signal != "KILL" {
        return;
    }
    let stat = format!("/proc/{pid}/stat");
    for _ in 0..500 {
        match std::fs::read_to_string(&stat) {
            Err(_) => return,
            // The state is the field after the parenthesised command name.
            Ok(text)
                if text
                    .rsplit(')')
                    .next()
                    .is_some_and(|r| r.trim_start().starts_with('Z')) =>
            {
                return
            }
            Ok(_) => thread::sleep(std::time::Duration::from_millis(10)),
        }
    }
    panic!("process {pid} did not die after SIGKILL");
}

#[cfg(test)]
mod tests {
    use super::{floor_request, is_request_line, UPSTREAM_API};

    #[test]
    fn floor_mode_refuses_old_versions_and_lowers_new_ones() {
        let refusal =
            floor_request("GET /v1.41/containers/x/json HTTP/1.1", Some(UPSTREAM_API)).unwrap_err();
        let refusal = String::from_utf8(refusal).unwrap();
        assert!(refusal.starts_with("HTTP/1.1 400 "), "{refusal}");
        assert!(refusal
            .contains("client version 1.41 is too old. Minimum supported API version is 1.44"));
        assert_eq!(
            floor_request(
                "GET /v1.44/containers/x/json?a=1 HTTP/1.1",
                Some(UPSTREAM_API)
            )
            .unwrap(),
            "GET /v1.41/containers/x/json?a=1 HTTP/1.1"
        );
        assert_eq!(
            floor_request("GET /_ping HTTP/1.1", Some(UPSTREAM_API)).unwrap(),
            "GET /_ping HTTP/1.1"
        );
        // In front of a real newer engine: refused alike, the rest forwarded as it is.
        assert!(floor_request("GET /v1.43/info HTTP/1.1", None).is_err());
        assert_eq!(
            floor_request("POST /v1.45/containers/create?name=x HTTP/1.1", None).unwrap(),
            "POST /v1.45/containers/create?name=x HTTP/1.1"
        );
    }

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
