//! Issue 12, bad input that used to be taken in silence: each case is now refused by name
//! (exit 125, nothing created) or honoured. `DOCKER_API_VERSION` is in `engines.rs`.

use crate::support::image::{sleeper, test_image};
use crate::support::{dockrun, dockrun_env, exists, unique, Cleanup};

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
