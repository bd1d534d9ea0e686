//! dockrun's own logs: tracing to stderr, never stdout (stdout belongs to the container's output
//! and to the ID printed with `-d`). No colours unless stderr is a terminal and `NO_COLOR` is unset,
//! so journald gets plain lines.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::env_vars;

/// Install the stderr subscriber. The filter comes from `DOCKRUN_LOG`, then `RUST_LOG`, else `info`.
pub fn init() {
    let filter = std::env::var(env_vars::DOCKRUN_LOG)
        .or_else(|_| std::env::var(env_vars::RUST_LOG))
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let ansi = std::io::stderr().is_terminal() && std::env::var_os(env_vars::NO_COLOR).is_none();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .without_time()
        .with_target(false)
        .init();
}
