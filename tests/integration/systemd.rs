//! dockrun under a real systemd: units whose `ExecStart=` is dockrun, started, stopped and
//! restarted by systemd as PID 1 of a container (`support::systemd::Machine`), with the
//! containers on the host engine. Unit names are private to each machine; container names are
//! unique per test, substituted into the units.

use crate::support::systemd::Machine;
use crate::support::{image::test_image, inspect, unique, Cleanup};

/// A long-running container command, in unit-file quoting, that stops at once on SIGTERM (a
/// PID 1 without a handler ignores it, and `docker stop` would wait out its timeout).
const SERVICE: &str =
    r#"sh -c "trap 'echo stopping; exit 0' TERM; echo serving; sleep 100000 & wait""#;

/// An `examples/` unit as it ships, with each `(from, to)` substituted; every `from` must occur,
/// so a changed example fails here instead of silently testing something else.
fn example(file: &str, substitutions: &[(&str, &str)]) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(file);
    let mut text = std::fs::read_to_string(&path).expect("example unit");
    for (from, to) in substitutions {
        assert!(
            text.contains(from),
            "{}: `{from}` not found",
            path.display()
        );
        text = text.replace(from, to);
    }
    text
}

/// `first` turned active before `then`'s main process was started (systemd's own clock).
fn assert_active_before_started(machine: &Machine, first: &str, then: &str) {
    let active: u64 = machine
        .show(first, "ActiveEnterTimestampMonotonic")
        .parse()
        .expect("a timestamp");
    let started: u64 = machine
        .show(then, "ExecMainStartTimestampMonotonic")
        .parse()
        .expect("a timestamp");
    assert!(
        active > 0 && active <= started,
        "{first} turned active at {active}, after {then} started at {started}"
    );
}

/// The examples' database and app, installed as they ship (names and images substituted):
/// starting the app starts the database first; stopping leaves both units inactive (not failed);
/// starting again reuses the same containers.
#[test]
fn examples_app_starts_database_first_and_restarts_reuse_containers() {
    let machine = Machine::boot();
    let mut cleanup = Cleanup::new();
    let db = cleanup.container(&unique("mongo"));
    let app = cleanup.container(&unique("app"));
    let image = test_image();
    let db_cmd = format!("{image} {SERVICE}");
    // `--link` to a container that is not running fails the create: the order is load-bearing.
    let app_cmd = format!("{app} {image} {SERVICE}");
    let mongo = example(
        "mongo.service",
        &[
            ("mongo-ins", &db),
            ("-d mongo\n", &format!("-d {db_cmd}\n")),
        ],
    );
    let employees = example(
        "employees.service",
        &[
            ("mongo-ins", &db),
            ("-p 3000:3000 ", ""),
            (
                "node-app node-app node /NodeJS-Sample-App/EmployeeDB/app.js",
                &app_cmd,
            ),
            ("stop node-app", &format!("stop {app}")),
        ],
    );
    machine.install(&[("mongo.service", &mongo), ("employees.service", &employees)]);

    machine.systemctl(&["start", "employees.service"]);
    machine.assert_state("mongo.service", "active");
    machine.assert_state("employees.service", "active");
    assert_active_before_started(&machine, "mongo.service", "employees.service");
    let ids = (
        inspect(&db, "{{.Id}}").expect("db"),
        inspect(&app, "{{.Id}}").expect("app"),
    );

    machine.systemctl(&["stop", "employees.service", "mongo.service"]);
    machine.assert_state("employees.service", "inactive");
    machine.assert_state("mongo.service", "inactive");
    assert_eq!(inspect(&db, "{{.State.Running}}").as_deref(), Some("false"));

    machine.systemctl(&["start", "employees.service"]);
    assert_eq!(
        (
            inspect(&db, "{{.Id}}").expect("db"),
            inspect(&app, "{{.Id}}").expect("app")
        ),
        ids,
        "a second start made new containers"
    );
    assert_eq!(inspect(&app, "{{.State.Running}}").as_deref(), Some("true"));
}

/// Arguments that systemd would otherwise split, expand or unescape, and that the generated
/// `ExecStart=` must deliver byte for byte.
const TRICKY: [&str; 11] = [
    "a b",
    "50%",
    "$HOME",
    "${X}",
    "x\"y",
    "back\\slash",
    "it's",
    "",
    ";",
    "é",
    "tab\tx",
];

/// A generated unit as systemd reads it: `Type=notify`, the restart and stop settings, the peer
/// dependencies, and an `ExecStart=` whose quoting systemd's own parser turns back into the exact
/// arguments (checked by running the same words through `printf` in a oneshot unit).
#[test]
fn generated_unit_is_read_by_systemd_as_written() {
    let machine = Machine::boot();
    let name = unique("gen");
    let mut args = vec![
        "--link",
        "peer-db:db",
        "--stop-timeout",
        "5",
        "--name",
        &name,
        test_image(),
        "printf",
        "[%s]\\n",
    ];
    args.extend(TRICKY);
    let (unit, text) = machine.print_unit(&args);
    assert_eq!(unit, format!("container-{name}.service"));
    machine.install(&[(&unit, &text)]);
    for (property, value) in [
        ("Type", "notify"),
        ("NotifyAccess", "main"),
        ("Restart", "on-failure"),
        ("TimeoutStopUSec", "35s"),
    ] {
        assert_eq!(machine.show(&unit, property), value, "{property}\n{text}");
    }
    for property in ["Requires", "After"] {
        let value = machine.show(&unit, property);
        assert!(
            value.split(' ').any(|u| u == "container-peer-db.service"),
            "{property}={value}"
        );
    }

    let exec_start = text
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("an ExecStart= line");
    let prefix = format!(
        "/usr/local/bin/dockrun --link peer-db:db --stop-timeout 5 --name {name} {} printf ",
        test_image()
    );
    let words = exec_start
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("ExecStart={exec_start}"));
    machine.install(&[(
        "words.service",
        &format!("[Service]\nType=oneshot\nExecStart=/usr/bin/printf {words}\n"),
    )]);
    machine.systemctl(&["start", "words.service"]);
    let printed: Vec<String> = machine
        .journal("words.service")
        .lines()
        .filter(|l| l.starts_with('['))
        .map(str::to_owned)
        .collect();
    let expected: Vec<String> = TRICKY.iter().map(|a| format!("[{a}]")).collect();
    assert_eq!(printed, expected, "ExecStart={exec_start}");
}

/// `--print-unit` prints and creates nothing; what cannot run as a service is refused (exit 125,
/// naming the flag); a `--restart` policy is warned about on stderr.
#[test]
fn print_unit_creates_nothing_and_refuses_what_cannot_be_a_service() {
    let name = unique("print");
    let image = test_image();
    let ok = crate::support::dockrun(&["--print-unit", "--restart=always", "--name", &name, image]);
    assert_eq!(ok.code, Some(0), "{}", ok.stderr);
    assert!(ok
        .stdout
        .starts_with(&format!("# container-{name}.service:")));
    assert!(ok.stdout.contains("\nRestart=always\n"), "{}", ok.stdout);
    assert!(ok.stderr.contains("`--restart=always`"), "{}", ok.stderr);
    for (args, says) in [
        (
            vec!["--name", &name, "--print-unit", image],
            "must be the first argument",
        ),
        (
            vec!["--print-unit", "-d", "--name", &name, image],
            "drop `-d`",
        ),
        (
            vec!["--print-unit", "--dry-run", "--name", &name, image],
            "`--dry-run`",
        ),
    ] {
        let run = crate::support::dockrun(&args);
        assert_eq!(run.code, Some(125), "{args:?}");
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}");
    }
    assert!(!crate::support::exists(&name));
}
