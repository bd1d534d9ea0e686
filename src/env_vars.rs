//! Every environment variable dockrun reads, in one place.

/// The engine's address (`unix:///path`, `tcp://host:port`, `ssh://user@host`), as for the
/// docker CLI; when set, contexts are not consulted.
pub const DOCKER_HOST: &str = "DOCKER_HOST";
/// Any non-empty value turns TLS on for a `tcp://` `DOCKER_HOST`, verifying the engine's
/// certificate against `ca.pem` (as the docker CLI does).
pub const DOCKER_TLS_VERIFY: &str = "DOCKER_TLS_VERIFY";
/// The directory holding `ca.pem`, `cert.pem` and `key.pem` for TLS (default: the config directory).
pub const DOCKER_CERT_PATH: &str = "DOCKER_CERT_PATH";
/// The docker context to use (overrides `currentContext` in `config.json`).
pub const DOCKER_CONTEXT: &str = "DOCKER_CONTEXT";
/// The docker CLI's configuration directory (default `~/.docker`): `config.json`, `contexts/`.
pub const DOCKER_CONFIG: &str = "DOCKER_CONFIG";
/// The home directory, for `~/.docker`.
pub const HOME: &str = "HOME";
/// A fixed Engine API version (`1.43`), as for the docker CLI: spoken as it is, never
/// switched or cached; anything that is not `N.N` is refused by name.
pub const DOCKER_API_VERSION: &str = "DOCKER_API_VERSION";
/// Where dockrun remembers the API version each endpoint demanded (default
/// `$XDG_CACHE_HOME/dockrun`, else `~/.cache/dockrun`, else `/var/cache/dockrun`).
pub const DOCKRUN_CACHE_DIR: &str = "DOCKRUN_CACHE_DIR";
/// The user's cache directory (XDG base directories), for dockrun's API version cache.
pub const XDG_CACHE_HOME: &str = "XDG_CACHE_HOME";
/// Debug builds only: panic at the named point (`raw-mode`: right after the terminal went raw),
/// for the test that a panic restores the terminal and exits 125.
pub const DOCKRUN_TEST_PANIC: &str = "DOCKRUN_TEST_PANIC";
/// How long a credential helper (`docker-credential-NAME get`) may take, in seconds (default 30).
pub const DOCKRUN_CREDENTIAL_HELPER_TIMEOUT: &str = "DOCKRUN_CREDENTIAL_HELPER_TIMEOUT";
/// The filter for dockrun's own logs (`debug`, `dockrun=trace,warn`); `RUST_LOG` is the fallback.
pub const DOCKRUN_LOG: &str = "DOCKRUN_LOG";
/// The fallback tracing filter.
pub const RUST_LOG: &str = "RUST_LOG";
/// Any value turns colours off.
pub const NO_COLOR: &str = "NO_COLOR";
/// The service manager's notification socket (a path, or `@name` for an abstract socket).
pub const NOTIFY_SOCKET: &str = "NOTIFY_SOCKET";
/// Set by systemd for every unit it runs: dockrun runs under systemd.
pub const INVOCATION_ID: &str = "INVOCATION_ID";
/// The unit running this dockrun (`Environment=DOCKRUN_UNIT=%n` in the units `--print-unit`
/// writes): recorded on the container it creates as `dockrun.unit`, so `--update-images`
/// updates it by restarting that unit.
pub const DOCKRUN_UNIT: &str = "DOCKRUN_UNIT";
/// The generator's `.container` directories, colon-separated, instead of the system's or the
/// user's (podman's `QUADLET_UNIT_DIRS`; for tests and dry runs).
pub const DOCKRUN_QUADLET_UNIT_DIRS: &str = "DOCKRUN_QUADLET_UNIT_DIRS";
// `WATCHDOG_USEC` and `WATCHDOG_PID` (the watchdog period asked of dockrun) are read by the
// `sd-notify` crate's `watchdog_enabled()`.
