//! Every environment variable dockrun reads, in one place.

/// The engine's address (`unix:///path` or `tcp://host:port`), as for the docker CLI.
pub const DOCKER_HOST: &str = "DOCKER_HOST";
/// A fixed Engine API version (`1.43`), as for the docker CLI; skips dockrun's default.
pub const DOCKER_API_VERSION: &str = "DOCKER_API_VERSION";
/// A tracing filter for dockrun's own logs (`debug`, `dockrun=trace`); `RUST_LOG` is the fallback.
pub const DOCKRUN_LOG: &str = "DOCKRUN_LOG";
/// The fallback tracing filter.
pub const RUST_LOG: &str = "RUST_LOG";
/// Any value turns colours off.
pub const NO_COLOR: &str = "NO_COLOR";
