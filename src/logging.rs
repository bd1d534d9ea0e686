//! dockrun's own logs: tracing to stderr, never stdout (stdout belongs to the container's output
//! and to the ID printed with `-d`). No colours unless stderr is a terminal and `NO_COLOR` is unset,
//! so journald gets plain lines.

use std::io::IsTerminal;

use tracing::warn;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

use crate::env_vars;

/// The level of every target when nothing chooses a filter.
const DEFAULT_LEVEL: LevelFilter = LevelFilter::INFO;

/// Install the stderr subscriber. The filter is `--log-level` (`flag`), else `DOCKRUN_LOG`, else
/// `RUST_LOG`, else `info`: a level (`debug`), or targets with levels and a default
/// (`dockrun=trace,hyper=info,warn`), tracing-subscriber's `Targets` syntax (span and field
/// filters are not taken: they need `EnvFilter` and its regex engine, a fifth of the binary).
///
/// # Errors
/// `--log-level` is not a tracing filter; the message names the value (a usage error). A bad
/// `DOCKRUN_LOG` or `RUST_LOG` is not fatal: it is warned about and `info` is used.
pub fn init(flag: Option<&str>) -> Result<(), String> {
    let (filter, ignored) = match flag {
        Some(text) => (
            text.parse::<Targets>()
                .map_err(|err| format!("invalid value `{text}` for `--log-level`: {err}"))?,
            None,
        ),
        None => match std::env::var(env_vars::DOCKRUN_LOG)
            .or_else(|_| std::env::var(env_vars::RUST_LOG))
            .ok()
            .filter(|f| !f.is_empty())
        {
            Some(text) => match text.parse::<Targets>() {
                Ok(filter) => (filter, None),
                Err(err) => (default_filter(), Some((text, err))),
            },
            None => (default_filter(), None),
        },
    };
    let ansi = std::io::stderr().is_terminal() && std::env::var_os(env_vars::NO_COLOR).is_none();
    let output = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .without_time()
        .with_target(false);
    tracing_subscriber::registry()
        .with(output.with_filter(filter))
        .init();
    if let Some((text, err)) = ignored {
        warn!("ignoring the log filter `{text}` from the environment ({err}); using `{DEFAULT_LEVEL}`");
    }
    Ok(())
}

/// [`DEFAULT_LEVEL`] for every target.
fn default_filter() -> Targets {
    Targets::new().with_default(DEFAULT_LEVEL)
}
