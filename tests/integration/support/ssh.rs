//! An ssh endpoint for the local engine, made in the test: Debian's OpenSSH server on a loopback
//! port with a host key and an authorized client key generated for it, and an `ssh` wrapper on a
//! PATH of its own that adds `-F` with a config naming the host, so nothing in `~/.ssh` is read
//! or written. `ssh://dockrun-test-ssh` then runs `docker system dial-stdio` over real ssh, as the
//! docker CLI does. Killed on drop.

use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The host alias the wrapper's config defines.
pub const HOST_ALIAS: &str = "dockrun-test-ssh";

/// A running sshd and the client side that reaches it.
pub struct Ssh {
    child: Child,
    /// Holds keys, configs, the wrapper and ssh's state.
    pub dir: tempfile::TempDir,
    /// `PATH` with the wrapper first.
    pub path: String,
}

fn keygen(file: &std::path::Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(file)
        .stdout(Stdio::null())
        .status()
        .expect("ssh-keygen runs");
    assert!(status.success(), "ssh-keygen failed");
}

impl Ssh {
    /// Start sshd on a free loopback port, accepting only the generated key (as root).
    pub fn start() -> Ssh {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        keygen(&d.join("host_key"));
        keygen(&d.join("id"));
        std::fs::copy(d.join("id.pub"), d.join("authorized_keys")).expect("authorized_keys");
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        std::fs::write(
            d.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\n\
                 AuthorizedKeysFile {keys}\nPermitRootLogin prohibit-password\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n\
                 StrictModes no\nPidFile none\n",
                host_key = d.join("host_key").display(),
                keys = d.join("authorized_keys").display(),
            ),
        )
        .expect("sshd_config");
        // sshd's privilege-separation directory; the package makes it only when it starts
        // its own service, which it does not here.
        std::fs::create_dir_all("/run/sshd").expect("/run/sshd");
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sshd runs (install Debian's `openssh-server`)");
        std::fs::write(
            d.join("ssh_config"),
            format!(
                "Host {HOST_ALIAS}\n  HostName 127.0.0.1\n  Port {port}\n  User root\n  \
                 IdentityFile {id}\n  IdentitiesOnly yes\n  UserKnownHostsFile {known}\n",
                id = d.join("id").display(),
                known = d.join("known_hosts").display(),
            ),
        )
        .expect("ssh_config");
        // The host key is known in advance, so both the docker CLI (strict checking) and
        // dockrun (accept-new) verify it.
        let host_pub = std::fs::read_to_string(d.join("host_key.pub")).expect("host key");
        std::fs::write(
            d.join("known_hosts"),
            format!("[127.0.0.1]:{port} {host_pub}"),
        )
        .expect("known_hosts");
        let bin = d.join("bin");
        std::fs::create_dir_all(&bin).expect("bin");
        let wrapper = bin.join("ssh");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nexec /usr/bin/ssh -F '{}' \"$@\"\n",
                d.join("ssh_config").display()
            ),
        )
        .expect("wrapper");
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let ssh = Ssh { child, dir, path };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "sshd did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        ssh
    }
}

impl Drop for Ssh {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
