//! dockrun under a real systemd: units whose `ExecStart=` is dockrun, started, stopped and
//! restarted by systemd as PID 1 of a container (`support::systemd::Machine`), with the
//! containers on the host engine. Unit names are private to each machine; container names are
//! unique per test, substituted into the units.

use crate::support::systemd::{healthy_image, Machine};
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
    // Declared first, dropped last: the machine (and the units that could restart a container)
    // is gone before the containers are removed.
    let mut cleanup = Cleanup::new();
    let machine = Machine::boot();
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

/// The examples' foreground units (`Type=notify`), installed as they ship (names, images and
/// the healthcheck's command substituted): starting the app starts the database first, and the
/// database turns active only at dockrun's `READY=1`, which `--sdnotify=healthy` holds back until
/// its healthcheck passes, so the app is not even created before; `systemctl stop` ends both
/// inactive (not failed), and starting again reuses the same containers.
#[test]
fn notify_examples_wait_for_the_healthy_database_and_stop_cleanly() {
    // Declared first, dropped last: the machine (and the units that could restart a container)
    // is gone before the containers are removed.
    let mut cleanup = Cleanup::new();
    let machine = Machine::boot();
    let db = cleanup.container(&unique("mongo"));
    let app = cleanup.container(&unique("app"));
    let image = test_image();
    let db_cmd = format!(
        r#"--stop-timeout 30 {image} sh -c "trap 'exit 0' TERM; sleep 3; touch /tmp/ready; sleep 100000 & wait""#
    );
    let mongo = example(
        "mongo-notify.service",
        &[
            ("mongo-ins", &db),
            (
                r#"--health-cmd "mongosh --quiet --eval 'db.runCommand({ping: 1}).ok'" --health-interval 5s"#,
                r#"--health-cmd "test -f /tmp/ready" --health-interval 1s"#,
            ),
            ("--stop-timeout 30 mongo\n", &format!("{db_cmd}\n")),
        ],
    );
    let employees = example(
        "employees-notify.service",
        &[
            ("mongo-ins", &db),
            ("-p 3000:3000 ", ""),
            (
                "node-app node-app node /NodeJS-Sample-App/EmployeeDB/app.js",
                &format!("{app} {image} {SERVICE}"),
            ),
        ],
    );
    machine.install(&[
        ("mongo-notify.service", &mongo),
        ("employees-notify.service", &employees),
    ]);

    machine.systemctl(&["start", "--no-block", "employees-notify.service"]);
    machine.wait_for("mongo-notify.service", "ActiveState", |s| s == "activating");
    wait_running(&db);
    // Running but not yet healthy: not ready, and the app is not even created.
    assert_eq!(
        machine.show("mongo-notify.service", "ActiveState"),
        "activating"
    );
    assert!(
        !crate::support::exists(&app),
        "the app was created before the database was ready"
    );
    machine.wait_for("employees-notify.service", "ActiveState", |s| s == "active");
    assert_eq!(
        inspect(&db, "{{.State.Health.Status}}").as_deref(),
        Some("healthy")
    );
    machine.assert_state("mongo-notify.service", "active");
    assert_active_before_started(&machine, "mongo-notify.service", "employees-notify.service");
    let ids = (inspect(&db, "{{.Id}}"), inspect(&app, "{{.Id}}"));

    machine.systemctl(&["stop", "employees-notify.service", "mongo-notify.service"]);
    machine.assert_state("employees-notify.service", "inactive");
    machine.assert_state("mongo-notify.service", "inactive");
    assert_eq!(
        inspect(&db, "{{.State.Running}} {{.State.ExitCode}}").as_deref(),
        Some("false 0")
    );

    machine.systemctl(&["start", "employees-notify.service"]);
    machine.assert_state("employees-notify.service", "active");
    assert_eq!(
        (inspect(&db, "{{.Id}}"), inspect(&app, "{{.Id}}")),
        ids,
        "new containers"
    );
}

/// Wait (up to 20 s) until the container runs.
fn wait_running(name: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while inspect(name, "{{.State.Running}}").as_deref() != Some("true") {
        assert!(std::time::Instant::now() < deadline, "{name} never ran");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
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

/// Generated units: `Type=notify` turns the database active only when dockrun says `READY=1`,
/// which `--sdnotify=healthy` holds back until the healthcheck passes; the app, `--link`ed to it,
/// is ordered after it (`Requires=`/`After=container-DB.service`) and starts only then.
#[test]
fn generated_units_wait_for_healthy_database_before_the_app() {
    // Declared first, dropped last: the machine (and the units that could restart a container)
    // is gone before the containers are removed.
    let mut cleanup = Cleanup::new();
    let machine = Machine::boot();
    let db = cleanup.container(&unique("db"));
    let app = cleanup.container(&unique("app"));
    let (db_unit, db_text) = machine.print_unit(&[
        "--sdnotify=healthy",
        "--name",
        &db,
        healthy_image(),
        "sh",
        "-c",
        "trap 'exit 0' TERM; sleep 3; touch /tmp/ready; sleep 100000 & wait",
    ]);
    let link = format!("{db}:db");
    let (app_unit, app_text) = machine.print_unit(&[
        "--link",
        &link,
        "--name",
        &app,
        test_image(),
        "sh",
        "-c",
        "trap 'exit 0' TERM; sleep 100000 & wait",
    ]);
    assert!(
        app_text.contains(&format!("Requires={db_unit}\n")),
        "{app_text}"
    );
    machine.install(&[(&db_unit, &db_text), (&app_unit, &app_text)]);

    machine.systemctl(&["start", "--no-block", &app_unit]);
    machine.wait_for(&db_unit, "ActiveState", |s| s == "activating");
    wait_running(&db);
    // Running but not yet healthy: the database is not ready, and the app waits for it.
    assert_eq!(machine.show(&db_unit, "ActiveState"), "activating");
    assert!(
        !crate::support::exists(&app),
        "the app was created before the database was ready"
    );
    machine.wait_for(&app_unit, "ActiveState", |s| s == "active");
    assert_eq!(
        inspect(&db, "{{.State.Health.Status}}").as_deref(),
        Some("healthy")
    );
    machine.assert_state(&db_unit, "active");
    assert_active_before_started(&machine, &db_unit, &app_unit);
}

/// The container's stdout and stderr reach the unit's journal, and every argument reaches the
/// container byte for byte through the generated `ExecStart=` (systemd's own parser).
#[test]
fn container_output_reaches_the_journal_through_quoted_exec_start() {
    // Declared first, dropped last: the machine (and the units that could restart a container)
    // is gone before the containers are removed.
    let mut cleanup = Cleanup::new();
    let machine = Machine::boot();
    let name = cleanup.container(&unique("journal"));
    let script =
        "printf '[%s]\\n' \"$@\"; echo to-stderr >&2; trap 'exit 0' TERM; sleep 100000 & wait";
    let tricky = [
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
    let mut args = vec!["--name", &name, test_image(), "sh", "-c", script, "sh"];
    args.extend(tricky);
    let (unit, text) = machine.print_unit(&args);
    machine.install(&[(&unit, &text)]);
    machine.systemctl(&["start", &unit]);
    let expected: Vec<String> = tricky.iter().map(|a| format!("[{a}]")).collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let journal = machine.journal(&unit);
        let lines: Vec<&str> = journal.lines().collect();
        let printed: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|l| l.starts_with('['))
            .collect();
        if printed == expected && lines.contains(&"to-stderr") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "journal of {unit}:\n{journal}\nexpected {expected:?} and `to-stderr`\n{text}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// `systemctl stop` stops the container gracefully (its SIGTERM handler runs, exit 0) and the
/// unit ends inactive, not failed; `systemctl start` reuses the same container, and so does
/// `systemctl restart`.
#[test]
fn stop_is_graceful_and_start_reuses_the_container() {
    // Declared first, dropped last: the machine (and the units that could restart a container)
    // is gone before the containers are removed.
    let mut cleanup = Cleanup::new();
    let machine = Machine::boot();
    let name = cleanup.container(&unique("stop"));
    let (unit, text) = machine.print_unit(&[
        "--name",
        &name,
        test_image(),
        "sh",
        "-c",
        "trap 'echo graceful; exit 0' TERM; echo serving; sleep 100000 & wait",
    ]);
    machine.install(&[(&unit, &text)]);
    machine.systemctl(&["start", &unit]);
    machine.assert_state(&unit, "active");
    let id = inspect(&name, "{{.Id}}").expect("created");

    machine.systemctl(&["stop", &unit]);
    machine.assert_state(&unit, "inactive");
    assert_eq!(
        inspect(&name, "{{.State.Running}} {{.State.ExitCode}}").as_deref(),
        Some("false 0")
    );
    assert!(machine.journal(&unit).contains("graceful"));

    machine.systemctl(&["start", &unit]);
    machine.assert_state(&unit, "active");
    assert_eq!(inspect(&name, "{{.Id}}").as_deref(), Some(id.as_str()));
    let started = inspect(&name, "{{.State.StartedAt}}");
    machine.systemctl(&["restart", &unit]);
    machine.assert_state(&unit, "active");
    assert_eq!(inspect(&name, "{{.Id}}").as_deref(), Some(id.as_str()));
    assert_ne!(
        inspect(&name, "{{.State.StartedAt}}"),
        started,
        "restart did not restart it"
    );
}

/// A container that exits non-zero fails the unit with that status (`ExecMainStatus`), and
/// `Restart=on-failure` starts it again: the same container, run once more.
#[test]
fn failing_container_fails_the_unit_with_its_status_and_is_restarted() {
    // Declared first, dropped last: the machine (and the units that could restart a container)
    // is gone before the containers are removed.
    let mut cleanup = Cleanup::new();
    let machine = Machine::boot();
    let name = cleanup.container(&unique("fail"));
    let (unit, text) = machine.print_unit(&[
        "--name",
        &name,
        test_image(),
        "sh",
        "-c",
        "echo attempt; sleep 1; exit 3",
    ]);
    machine.install(&[(&unit, &text)]);
    machine.systemctl(&["start", &unit]);
    let id = inspect(&name, "{{.Id}}").expect("created");
    // Between the failure and the restart (`RestartSec=`), the unit shows how its process ended;
    // read in one snapshot, since a busy machine can restart it between separate reads.
    let props = [
        "SubState",
        "Result",
        "ExecMainCode",
        "ExecMainStatus",
        "NRestarts",
    ];
    let first = machine.wait_for_many(&unit, &props, |v| v[0] == "auto-restart");
    assert_eq!(
        (first[1].as_str(), first[2].as_str(), first[3].as_str()),
        ("exit-code", "1", "3"),
        "expected CLD_EXITED (1) with status 3"
    );
    let again = machine.wait_for_many(&unit, &props, |v| {
        v[0] == "auto-restart" && v[4].parse::<u32>().is_ok_and(|n| n >= 1)
    });
    assert_eq!(
        again[3], "3",
        "the restarted run ended as the first: {again:?}"
    );
    assert_eq!(inspect(&name, "{{.Id}}").as_deref(), Some(id.as_str()));
    // The second run's output may still be on its way into the journal (journald reads the
    // stream asynchronously): wait for it, within a bound.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let attempts = loop {
        let attempts = machine.journal(&unit).matches("attempt").count();
        if attempts >= 2 || std::time::Instant::now() > deadline {
            break attempts;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(
        attempts >= 2,
        "the container ran {attempts} times\n{}",
        machine.journal(&unit)
    );
    machine.systemctl(&["stop", &unit]);
}

/// `systemctl kill -s KILL` kills dockrun, not the container (a sibling on the engine); systemd
/// restarts the unit and the new dockrun attaches to the running container (same container, not
/// restarted) instead of failing or making a second one.
#[test]
fn sigkilled_dockrun_leaves_the_container_and_the_next_start_attaches() {
    // Declared first, dropped last: the machine (and the units that could restart a container)
    // is gone before the containers are removed.
    let mut cleanup = Cleanup::new();
    let machine = Machine::boot();
    let name = cleanup.container(&unique("kill"));
    let (unit, text) = machine.print_unit(&[
        "--name",
        &name,
        test_image(),
        "sh",
        "-c",
        "trap 'exit 0' TERM; while :; do echo tick; sleep 1; done & wait",
    ]);
    machine.install(&[(&unit, &text)]);
    machine.systemctl(&["start", &unit]);
    let before = inspect(&name, "{{.Id}} {{.State.StartedAt}}").expect("created");
    let pid = machine.show(&unit, "MainPID");

    machine.systemctl(&["kill", "-s", "KILL", &unit]);
    machine.wait_for(&unit, "NRestarts", |n| n == "1");
    machine.wait_for(&unit, "ActiveState", |s| s == "active");
    assert_ne!(machine.show(&unit, "MainPID"), pid);
    assert_eq!(
        inspect(&name, "{{.Id}} {{.State.StartedAt}}").as_deref(),
        Some(before.as_str()),
        "the container was replaced or restarted"
    );
    assert_eq!(
        inspect(&name, "{{.State.Running}}").as_deref(),
        Some("true")
    );
    machine.systemctl(&["stop", &unit]);
    machine.assert_state(&unit, "inactive");
}

/// A unit with `WatchdogSec=` stays up while the container lives: dockrun pings `WATCHDOG=1`.
#[test]
fn watchdog_unit_stays_up_while_the_container_lives() {
    // Declared first, dropped last: the machine (and the units that could restart a container)
    // is gone before the containers are removed.
    let mut cleanup = Cleanup::new();
    let machine = Machine::boot();
    let name = cleanup.container(&unique("watchdog"));
    let (unit, text) = machine.print_unit(&[
        "--name",
        &name,
        test_image(),
        "sh",
        "-c",
        "trap 'exit 0' TERM; sleep 100000 & wait",
    ]);
    let text = text.replace("Type=notify\n", "Type=notify\nWatchdogSec=2\n");
    machine.install(&[(&unit, &text)]);
    machine.systemctl(&["start", &unit]);
    let pid = machine.show(&unit, "MainPID");
    // Wait on systemd's own record, not the clock: the last `WATCHDOG=1` it received is more
    // than twice `WatchdogSec=` after the unit became active, so pings kept coming (a unit
    // without them would have been killed by then).
    let micros = |property: &str| -> u64 {
        machine
            .show(&unit, property)
            .parse()
            .unwrap_or_else(|_| panic!("{property} is a number"))
    };
    let active = micros("ActiveEnterTimestampMonotonic");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while micros("WatchdogTimestampMonotonic") < active + 5_000_000 {
        assert!(
            std::time::Instant::now() < deadline,
            "no watchdog pings 5s after start:\n{}",
            machine.status(&unit)
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    machine.assert_state(&unit, "active");
    assert_eq!(
        machine.show(&unit, "MainPID"),
        pid,
        "the unit was restarted"
    );
    assert_eq!(machine.show(&unit, "NRestarts"), "0");
    assert!(!machine.journal(&unit).contains("atchdog timeout"));
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

/// Issue 12: `--print-unit` run in a directory makes the command line's relative paths absolute,
/// so the unit, which systemd runs from `/`, reads the same env file and label file and writes
/// the same cidfile as the command line would have where it was typed.
#[test]
fn r12_print_unit_relative_paths_mean_the_same_under_systemd() {
    // Declared first, dropped last: the machine is gone before its containers are removed.
    let mut cleanup = Cleanup::new();
    let machine = Machine::boot();
    let name = cleanup.container(&unique("relative"));
    machine.exec(&["mkdir", "-p", "/srv/app/conf"]);
    machine.write("/srv/app/conf/app.env", "GREETING=from the env file\n");
    machine.write("/srv/app/labels", "tier=web\n");
    let script = format!(
        "cd /srv/app && dockrun --print-unit --env-file conf/app.env --label-file ./labels \
         --cidfile web.cid --name {name} {} sh -c 'trap \"exit 0\" TERM; sleep 100000 & wait'",
        test_image()
    );
    let out = machine.exec(&["sh", "-c", &script]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains(" --env-file /srv/app/conf/app.env --label-file /srv/app/labels --cidfile /srv/app/web.cid "),
        "{text}"
    );
    let unit = format!("container-{name}.service");
    machine.install(&[(&unit, &text)]);
    machine.systemctl(&["start", &unit]);
    machine.assert_state(&unit, "active");
    let id = inspect(&name, "{{.Id}}").expect("created");
    let config = inspect(
        &name,
        "{{.Config.Labels.tier}}|{{range .Config.Env}}{{.}}|{{end}}",
    )
    .expect("inspect");
    assert!(config.starts_with("web|"), "{config}");
    assert!(config.contains("|GREETING=from the env file|"), "{config}");
    let cid = machine.exec(&["cat", "/srv/app/web.cid"]);
    assert_eq!(String::from_utf8_lossy(&cid.stdout).trim(), id);
    machine.systemctl(&["stop", &unit]);
    machine.assert_state(&unit, "inactive");
}
