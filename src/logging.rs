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
            parse_filter(text)
                .map_err(|err| format!("invalid value `{text}` for `--log-level`: {err}"))?,
            None,
        ),
        None => match std::env::var(env_vars::DOCKRUN_LOG)
            .or_else(|_| std::env::var(env_vars::RUST_LOG))
            .ok()
            .filter(|f| !f.is_empty())
        {
            Some(text) => match parse_filter(&text) {
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

/// The levels a filter may name: tracing's, and `warning` for `warn` (the docker CLI's and
/// dockerd's `--log-level`, through logrus, take both).
const LEVELS: &str = "trace, debug, info, warn (or warning), error, off";

/// A filter: comma-separated directives, each a level (the default for every target) or
/// `TARGET=LEVEL`. A word that is no level is refused, where `Targets` alone would take it as
/// a target name enabled at every level and turn every other log line off (`--log-level
/// nonsense` silenced even the warnings).
fn parse_filter(text: &str) -> Result<Targets, String> {
    let mut directives = Vec::new();
    for directive in text.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let (target, level) = match directive.split_once('=') {
            Some((target, level)) => (Some(target.trim()), level.trim()),
            None => (None, directive),
        };
        let level = if level.eq_ignore_ascii_case("warning") {
            "warn"
        } else {
            level
        };
        if level.parse::<LevelFilter>().is_err() {
            return Err(format!(
                "`{level}` is not a log level (one of {LEVELS}, or TARGET=LEVEL)"
            ));
        }
        directives.push(match target {
            Some(target) => format!("{target}={level}"),
            None => level.to_owned(),
        });
    }
    if directives.is_empty() {
        return Err(format!(
            "no log level in it (one of {LEVELS}, or TARGET=LEVEL)"
        ));
    }
    directives
        .join(",")
        .parse::<Targets>()
        .map_err(|err| err.to_string())
}

/// [`DEFAULT_LEVEL`] for every target.
fn default_filter() -> Targets {
    Targets::new().with_default(DEFAULT_LEVEL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_take_levels_and_targets_with_levels() {
        for good in [
            "debug",
            "WARN",
            "warning",
            "off",
            "dockrun=trace,hyper=info,warn",
            "hyper=warning,info",
        ] {
            assert!(parse_filter(good).is_ok(), "{good}");
        }
        assert_eq!(
            parse_filter("warning").map(|t| t.default_level()),
            Ok(Some(LevelFilter::WARN))
        );
    }

    #[test]
    fn words_that_are_no_level_are_refused_by_name() {
        for bad in [
            "nonsense",
            "warnings",
            "dockrun=loud",
            "hyper",
            "info,bogus",
            "",
            ",",
        ] {
            let err = parse_filter(bad).expect_err(bad);
            assert!(err.contains("log level"), "{bad}: {err}");
        }
        assert!(parse_filter("nonsense")
            .expect_err("nonsense")
            .contains("`nonsense`"));
    }
}
