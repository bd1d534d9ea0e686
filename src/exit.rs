//! The exit-status contract of `docker run`, as one enum converted only in `main`.
//!
//! The container's own code passes through unchanged (the engine already reports a signal death
//! as 128+N); dockrun's own failures are 125; a command that cannot be invoked is 126 and one
//! that is not found is 127; a signal that ends dockrun itself is 128+N.

use std::process::ExitCode;

/// How dockrun ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Success (with `-d`: the container runs).
    Success,
    /// The container's exit code, passed through.
    Container(i64),
    /// dockrun itself failed: bad arguments, engine errors, pull failures (125).
    Failure,
    /// The container's command could not be invoked (126).
    CannotInvoke,
    /// The container's command was not found (127).
    CommandNotFound,
    /// dockrun was ended by signal N (128+N).
    Signal(i32),
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        let code: u8 = match exit {
            Exit::Success => 0,
            // Exit statuses are a byte on Unix; the engine reports them as such.
            Exit::Container(code) => u8::try_from(code.rem_euclid(256)).unwrap_or(125),
            Exit::Failure => 125,
            Exit::CannotInvoke => 126,
            Exit::CommandNotFound => 127,
            Exit::Signal(n) => u8::try_from((128 + n).rem_euclid(256)).unwrap_or(125),
        };
        ExitCode::from(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(ExitCode::from(Exit::Success), ExitCode::from(0));
        assert_eq!(ExitCode::from(Exit::Container(7)), ExitCode::from(7));
        assert_eq!(ExitCode::from(Exit::Container(137)), ExitCode::from(137));
        assert_eq!(ExitCode::from(Exit::Failure), ExitCode::from(125));
        assert_eq!(ExitCode::from(Exit::Signal(15)), ExitCode::from(143));
    }
}
