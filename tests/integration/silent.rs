//! Issue 12, bad input that used to be taken in silence: each case is now refused by name
//! (exit 125, nothing created) or honoured (`DOCKER_API_VERSION` is in `engines.rs`); and the
//! way out of a panic: the terminal restored, exit 125.

use crate::support::image::{sleeper, test_image};
use std::time::Duration;

use crate::supervise::{eventually, Tmux};
use crate::support::{dockrun, dockrun_bin, dockrun_env, exists, unique, Cleanup};

/// `--log-level nonsense` (a word that is no level) is refused, naming it and the levels;
/// before, it was read as a target name and turned every log line off, warnings included.
#[test]
fn r12_log_level_nonsense_is_refused_by_name() {
    let name = unique("loglevel");
    for value in ["nonsense", "warnings", "info,bogus"] {
        let mut args = vec!["--log-level", value];
        args.extend(sleeper(&name));
        let run = dockrun(&args);
        assert_eq!(run.code, Some(125), "{value}: {}", run.stderr);
        assert!(
            run.stderr.starts_with(&format!(
                "dockrun: error: invalid value `{value}` for `--log-level`"
            )) && run.stderr.contains("warn (or warning)"),
            "{value}: {}",
            run.stderr
        );
    }
    assert!(!exists(&name));
}

/// `--log-level warning` is `warn`, as the docker CLI's and dockerd's `--log-level` take it:
/// a drift warning is shown, the info lines are not.
#[test]
fn r12_log_level_warning_shows_warnings_only() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("logwarn"));
    let image = test_image();
    let first = dockrun(&["-d", "-e", "A=1", "--name", &name, image, "sleep", "600"]);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let run = dockrun_env(
        &[
            "--log-level",
            "warning",
            "-d",
            "-e",
            "A=2",
            "--name",
            &name,
            image,
            "sleep",
            "600",
        ],
        &[("DOCKRUN_LOG", "")],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains("WARN"),
        "the drift warning: {}",
        run.stderr
    );
    assert!(run.stderr.contains("A"), "names the field: {}", run.stderr);
    assert!(
        !run.stderr.contains("INFO"),
        "no info lines at warning: {}",
        run.stderr
    );
}

/// `--format` (dockrun's own) picks the line a detached launch prints; where none is printed
/// it is refused by name: in the foreground, and with `--dry-run`.
#[test]
fn r12_format_without_a_launch_line_is_refused_by_name() {
    let name = unique("format");
    let image = test_image();
    let foreground = dockrun(&["--format", "json", "--name", &name, image, "true"]);
    assert_eq!(foreground.code, Some(125), "{}", foreground.stderr);
    assert!(
        foreground.stderr.contains("`--format json` needs `-d`"),
        "{}",
        foreground.stderr
    );
    for args in [
        vec![
            "--dry-run",
            "--format",
            "json",
            "-d",
            "--name",
            &name,
            image,
            "true",
        ],
        vec!["--dry-run", "--format=id", "--name", &name, image, "true"],
    ] {
        let run = dockrun(&args);
        assert_eq!(run.code, Some(125), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("cannot be honoured with `--dry-run`"),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(run.stdout, "", "no plan printed");
    }
    assert!(!exists(&name));
}

/// A panic with the terminal in raw mode (`-it`; `DOCKRUN_TEST_PANIC=raw-mode`, a debug-build
/// fault point right after the terminal went raw, where no guard exists yet to restore it): the
/// panic hook puts the terminal back, says it is a bug, and dockrun exits 125, not the
/// abort's 134 of the release profile.
#[test]
fn r12_panic_restores_the_terminal_and_exits_125() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("panic"));
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let tmux = Tmux {
        socket: unique("tmux"),
    };
    let shell = format!(
        "stty -g > {d}/before; DOCKRUN_TEST_PANIC=raw-mode DOCKRUN_LOG=off {bin} -it --rm --pull=never --name {name} {img} sh; echo $? > {d}/rc.tmp; stty -g > {d}/after; mv {d}/rc.tmp {d}/rc; sleep 60",
        bin = dockrun_bin(),
        img = test_image()
    );
    tmux.session(100, 30, &shell);
    let rc = dir.path().join("rc");
    eventually(Duration::from_secs(30), "dockrun to end", || rc.exists());
    assert_eq!(
        std::fs::read_to_string(&rc).unwrap().trim(),
        "125",
        "{}",
        tmux.screen()
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("before")).unwrap(),
        std::fs::read_to_string(dir.path().join("after")).unwrap(),
        "terminal mode restored"
    );
    assert!(
        tmux.screen().contains("internal error (a bug in dockrun"),
        "{}",
        tmux.screen()
    );
}
