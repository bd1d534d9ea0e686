//! Pull progress on stderr (stdout stays the container's and the ID's).
//!
//! On a terminal: a live display, one bar per layer (indicatif), the way `docker pull` shows it.
//! Elsewhere (journald, CI logs, pipes): plain lines through tracing, one per change of a layer's
//! status, without byte counters, so a log gets "a1b2: Downloading" once, not a thousand times.
//! `-q` (docker's "suppress the pull output") shows neither. The engine hands each message of a
//! pull to a callback as a `PullEvent`; `ensure` passes them to `PullProgress::update`. This
//! module knows nothing of bollard and the engine nothing of it.

use std::collections::HashMap;
use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing::info;

use crate::engine::PullEvent;

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Nothing (`-q`).
    Quiet,
    /// Plain lines through tracing.
    Lines,
    /// Live bars on the terminal.
    Live,
}

impl Mode {
    /// Live on a terminal, lines elsewhere, nothing when `quiet`.
    #[must_use]
    pub fn for_stderr(quiet: bool) -> Mode {
        if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Live
        } else {
            Mode::Lines
        }
    }
}

/// The display of one pull.
pub struct PullProgress {
    mode: Mode,
    /// Each layer's last status (lines mode: print only changes).
    last: HashMap<String, String>,
    /// The last line about the pull as a whole.
    last_general: String,
    multi: MultiProgress,
    bars: HashMap<String, ProgressBar>,
}

/// The bar of one layer: `a1b2c3d4e5f6 Downloading [=====>    ] 12.3 MiB/40.1 MiB`.
fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix} {msg:<16} [{bar:30}] {bytes}/{total_bytes}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// A layer's line without a byte count (waiting, verifying, done).
fn text_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix} {msg}").unwrap_or_else(|_| ProgressStyle::default_bar())
}

impl PullProgress {
    /// A display in `mode`.
    #[must_use]
    pub fn new(mode: Mode) -> PullProgress {
        let target = if mode == Mode::Live {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        PullProgress {
            mode,
            last: HashMap::new(),
            last_general: String::new(),
            multi: MultiProgress::with_draw_target(target),
            bars: HashMap::new(),
        }
    }

    /// Show one message.
    pub fn update(&mut self, event: PullEvent<'_>) {
        match self.mode {
            Mode::Quiet => {}
            Mode::Lines => self.line(event),
            Mode::Live => self.live(event),
        }
    }

    /// Lines mode: a line when a layer's status changes (or the pull's own status does).
    fn line(&mut self, event: PullEvent<'_>) {
        match event.layer {
            Some(layer) => {
                if self.last.get(layer).map(String::as_str) != Some(event.status) {
                    info!(target: "dockrun::pull", "{layer}: {}", event.status);
                    self.last.insert(layer.to_owned(), event.status.to_owned());
                }
            }
            None => {
                if self.last_general != event.status {
                    info!(target: "dockrun::pull", "{}", event.status);
                    event.status.clone_into(&mut self.last_general);
                }
            }
        }
    }

    /// Live mode: one bar per layer, general messages printed above the bars.
    fn live(&mut self, event: PullEvent<'_>) {
        let Some(layer) = event.layer else {
            // Writing above the bars can only fail if stderr is gone; nothing to tell then.
            let _ = self.multi.println(event.status);
            return;
        };
        let multi = &self.multi;
        let bar = self.bars.entry(layer.to_owned()).or_insert_with(|| {
            let bar = multi.add(ProgressBar::new(0).with_style(text_style()));
            bar.set_prefix(layer.to_owned());
            bar
        });
        match (event.current, event.total) {
            (Some(current), Some(total)) if total > 0 => {
                bar.set_style(bar_style());
                bar.set_length(total);
                bar.set_position(current);
            }
            _ => bar.set_style(text_style()),
        }
        bar.set_message(event.status.to_owned());
    }

    /// Leave the finished display on screen (live) or nothing (lines).
    pub fn finish(self) {
        for bar in self.bars.values() {
            bar.abandon();
        }
    }

    /// The last status shown for each layer (lines mode), for tests.
    #[cfg(test)]
    fn statuses(&self) -> Vec<(String, String)> {
        let mut all: Vec<_> = self
            .last
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        all.sort();
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev<'a>(layer: Option<&'a str>, status: &'a str, bytes: Option<(u64, u64)>) -> PullEvent<'a> {
        PullEvent {
            layer,
            status,
            current: bytes.map(|b| b.0),
            total: bytes.map(|b| b.1),
        }
    }

    #[test]
    fn lines_mode_keeps_the_last_status_per_layer() {
        let mut p = PullProgress::new(Mode::Lines);
        p.update(ev(None, "Pulling from x", None));
        p.update(ev(Some("a"), "Pulling fs layer", None));
        p.update(ev(Some("b"), "Pulling fs layer", None));
        for n in 0..100 {
            p.update(ev(Some("a"), "Downloading", Some((n, 100))));
        }
        p.update(ev(Some("a"), "Pull complete", None));
        assert_eq!(
            p.statuses(),
            vec![
                ("a".to_owned(), "Pull complete".to_owned()),
                ("b".to_owned(), "Pulling fs layer".to_owned())
            ]
        );
        p.finish();
    }

    #[test]
    fn live_mode_makes_one_bar_per_layer() {
        // Drawn to a hidden target here: the bars' bookkeeping is what is checked.
        let mut p = PullProgress {
            mode: Mode::Live,
            ..PullProgress::new(Mode::Quiet)
        };
        p.update(ev(Some("a"), "Downloading", Some((5, 10))));
        p.update(ev(Some("a"), "Downloading", Some((10, 10))));
        p.update(ev(Some("b"), "Waiting", None));
        p.update(ev(None, "Digest: sha256:00", None));
        assert_eq!(p.bars.len(), 2);
        assert_eq!(p.bars["a"].position(), 10);
        assert_eq!(p.bars["a"].length(), Some(10));
        assert_eq!(p.bars["b"].message(), "Waiting");
        p.finish();
    }

    #[test]
    fn quiet_shows_nothing() {
        let mut p = PullProgress::new(Mode::Quiet);
        p.update(ev(Some("a"), "Downloading", Some((1, 2))));
        assert!(p.statuses().is_empty() && p.bars.is_empty());
        assert_eq!(Mode::for_stderr(true), Mode::Quiet);
    }
}
