//! Issue 2, the core launcher: idempotence, exact-name lookup, verbatim arguments, refusals that
//! change nothing, an unreachable engine, races, pulls and the seed's two units.

use std::time::{Duration, Instant};

use crate::support::image::test_image;
use crate::support::registry::Registry;
use crate::support::{docker, docker_ok, dockrun, dockrun_env, exists, inspect, unique, Cleanup};

/// One `-d` launch that must succeed; returns the ID it printed.
fn launch(args: &[&str]) -> String {
    let run = dockrun(args);
    assert_eq!(run.code, Some(0), "dockrun {args:?} failed: {}", run.stderr);
    let id = run.stdout.trim().to_owned();
    assert_eq!(
        id.len(),
        64,
        "expected a full ID on stdout, got {:?}",
        run.stdout
    );
    id
}

#[test]
fn r2_create_noop_then_start_after_stop_keeps_the_id() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("life"));
    let img = test_image();
    let args = ["-d", "--name", &name, img, "sleep", "600"];

    let run = dockrun(&args);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let id = run.stdout.trim().to_owned();
    assert!(run.stderr.contains("created"), "{}", run.stderr);
    assert_eq!(
        inspect(&name, "{{.Id}} {{.State.Running}}").unwrap(),
        format!("{id} true")
    );

    let run = dockrun(&args);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout.trim(), id, "no-op must print the same ID");
    assert!(run.stderr.contains("already running"), "{}", run.stderr);
    let started = inspect(&name, "{{.State.StartedAt}}").unwrap();

    docker_ok(&["stop", "-t", "0", &name]);
    let run = dockrun(&args);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.stdout.trim(),
        id,
        "a stopped container is started, not replaced"
    );
    assert!(run.stderr.contains("started"), "{}", run.stderr);
    assert_eq!(inspect(&name, "{{.State.Running}}").unwrap(), "true");
    assert_ne!(inspect(&name, "{{.State.StartedAt}}").unwrap(), started);
}

#[test]
fn r2_name_with_equals_sign_and_paused_container() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("eq"));
    let flag = format!("--name={name}");
    let id = launch(&["-d", &flag, test_image(), "sleep", "600"]);
    assert_eq!(inspect(&name, "{{.Id}}").unwrap(), id);

    docker_ok(&["pause", &name]);
    let again = launch(&["-d", "--name", &name, test_image(), "sleep", "600"]);
    assert_eq!(again, id);
    assert_eq!(inspect(&name, "{{.State.Status}}").unwrap(), "running");
}

#[test]
fn r2_suffix_trap_web_does_not_match_myweb() {
    let mut guard = Cleanup::new();
    let base = unique("web");
    let my = guard.container(&format!("my{base}"));
    let web = guard.container(&base);
    docker_ok(&["create", "--name", &my, test_image(), "sleep", "600"]);

    let id = launch(&["-d", "--name", &web, test_image(), "sleep", "600"]);
    assert_eq!(inspect(&web, "{{.Id}}").unwrap(), id);
    assert_ne!(inspect(&my, "{{.Id}}").unwrap(), id);
    assert_eq!(
        inspect(&my, "{{.State.Status}}").unwrap(),
        "created",
        "myweb must be left alone"
    );
}

#[test]
fn r2_id_prefix_trap() {
    let mut guard = Cleanup::new();
    let other = guard.container(&unique("prefix-owner"));
    let other_id = docker_ok(&["create", "--name", &other, test_image(), "sleep", "600"]);
    // A name that the engine's inspect would resolve to `other` as an ID prefix.
    let prefix = guard.container(&other_id[..12]);
    assert!(!exists(&prefix));

    let id = launch(&["-d", "--name", &prefix, test_image(), "sleep", "600"]);
    assert_ne!(
        id, other_id,
        "must not adopt the container whose ID starts with the name"
    );
    assert_eq!(inspect(&prefix, "{{.Name}}").unwrap(), format!("/{prefix}"));
    assert_eq!(
        inspect(&other_id, "{{.State.Status}}").unwrap(),
        "created",
        "the other container is untouched"
    );

    // And once both exist, the name keeps finding its own container.
    assert_eq!(
        launch(&["-d", "--name", &prefix, test_image(), "sleep", "600"]),
        id
    );
}

#[test]
fn r2_spaces_in_env_and_arguments_are_kept_byte_for_byte() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("spaces"));
    let value = "a  b   c\t d ";
    let env = format!("SPACED={value}");
    launch(&[
        "-d",
        "--name",
        &name,
        "-e",
        &env,
        test_image(),
        "sh",
        "-c",
        "printf '[%s][%s]' \"$SPACED\" \"$1\"",
        "_",
        "x   y  z",
    ]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while inspect(&name, "{{.State.Running}}").as_deref() == Some("true")
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let logs = docker(&["logs", &name]);
    assert_eq!(
        String::from_utf8_lossy(&logs.stdout),
        format!("[{value}][x   y  z]")
    );
    let cmd = inspect(&name, "{{json .Config.Cmd}}").unwrap();
    assert!(cmd.contains("\"x   y  z\""), "{cmd}");
}

#[test]
fn r2_bad_input_exits_125_and_creates_nothing() {
    let name = unique("bad");
    let img = test_image();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["-d", img, "true"], "`--name` is required"),
        (vec!["-d", "--name", "x", img], "--name"),
        (vec!["-d", "--name", "bad name", img], "--name"),
        (vec!["-d", "--name", "-lead", img], "--name"),
        (vec!["-d", "--name", &name], "no image"),
        (vec!["-d", "--name", &name, "--bogus", img], "--bogus"),
        (
            vec!["-d", "--name", &name, "-p", "99999:80", img],
            "--publish",
        ),
        (
            vec!["-d", "--name", &name, "-p", "80/icmp", img],
            "--publish",
        ),
        (
            vec!["-d", "--name", &name, "--expose", "1:2", img],
            "--expose",
        ),
        (
            vec!["-d", "--name", &name, "--rm", "--restart", "always", img],
            "--restart",
        ),
        (
            vec!["-d", "--name", &name, "--restart", "sometimes", img],
            "--restart",
        ),
        (
            vec!["-d", "--name", &name, "--pull", "sometimes", img],
            "--pull",
        ),
        (vec!["-d", "--name", &name, "-e", "=x", img], "--env"),
        (
            vec!["-d", "--name", &name, "--env-file", "/nonexistent/env", img],
            "--env-file",
        ),
        (
            vec!["-d", "--name", &name, "--link", "a:b:c", img],
            "--link",
        ),
        (vec!["-d", "--name", &name, "-a", "stdout", img], "--attach"),
    ];
    for (args, needle) in cases {
        let run = dockrun(&args);
        assert_eq!(
            run.code,
            Some(125),
            "{args:?} must exit 125; stderr: {}",
            run.stderr
        );
        let stderr = run.stderr.trim();
        assert!(stderr.starts_with("dockrun: error: "), "{args:?}: {stderr}");
        assert!(
            stderr.lines().next().unwrap().contains(needle),
            "{args:?}: expected {needle:?} in {stderr}"
        );
        assert!(run.stdout.is_empty(), "{args:?}: nothing on stdout");
        assert!(!exists(&name), "{args:?} created a container");
    }
    assert!(!exists("x"));
}

#[test]
fn r2_unreachable_engine_fails_fast_naming_the_address() {
    let name = unique("unreach");
    for host in ["tcp://127.0.0.1:1", "unix:///nonexistent/docker.sock"] {
        let started = Instant::now();
        let run = dockrun_env(&["-d", "--name", &name, "img"], &[("DOCKER_HOST", host)]);
        assert_eq!(run.code, Some(125), "{}", run.stderr);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "took {:?}",
            started.elapsed()
        );
        assert!(
            run.stderr.contains(host),
            "the address must be named: {}",
            run.stderr
        );
    }
    assert!(!exists(&name));
}

#[test]
fn r2_twelve_concurrent_launches_make_one_container() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("race"));
    let img = test_image();
    let children: Vec<_> = (0..12)
        .map(|_| {
            std::process::Command::new(crate::support::dockrun_bin())
                .args(["-d", "--name", &name, img, "sleep", "600"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut ids = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a launch failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        ids.push(String::from_utf8_lossy(&out.stdout).trim().to_owned());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "all twelve must print the same ID: {ids:?}");
    let pattern = format!("name=^/{name}$");
    let listed = docker_ok(&["ps", "-aq", "--no-trunc", "--filter", &pattern]);
    assert_eq!(listed.lines().count(), 1, "exactly one container: {listed}");
    assert_eq!(inspect(&name, "{{.State.Running}}").unwrap(), "true");
}

#[test]
fn r2_missing_image_is_pulled_from_a_registry() {
    let registry = Registry::start();
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("pull"));
    let remote = format!("{}/dockrun-test/pulled:1", registry.address);
    docker_ok(&["tag", test_image(), &remote]);
    docker_ok(&["push", &remote]);
    docker_ok(&["rmi", &remote]);

    let run = dockrun(&["-d", "--name", &name, &remote, "sleep", "600"]);
    let _ = docker(&["rm", "-f", &name]);
    let _ = docker(&["rmi", &remote]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains("pulling image"),
        "progress goes to stderr: {}",
        run.stderr
    );
    assert_eq!(
        run.stdout.trim().len(),
        64,
        "only the ID on stdout: {:?}",
        run.stdout
    );
}

#[test]
fn r2_unpullable_image_exits_125() {
    let name = unique("nopull");
    let run = dockrun(&["-d", "--name", &name, "127.0.0.1:9/nope:1"]);
    assert_eq!(run.code, Some(125), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("failed to pull image `127.0.0.1:9/nope:1`"),
        "{}",
        run.stderr
    );
    assert!(!exists(&name));
}

#[test]
fn r2_seed_units_database_and_linked_app() {
    let mut guard = Cleanup::new();
    let db = guard.container(&unique("mongo-ins"));
    let app = guard.container(&unique("node-app"));
    let img = test_image();
    // The seed's two ExecStart lines, with the test image standing in for mongo and node-app.
    let db_args = [
        "--name",
        db.as_str(),
        "--expose",
        "27017",
        "-d",
        img,
        "sleep",
        "600",
    ];
    let link = format!("{db}:mongo");
    let app_args = [
        "-p",
        "127.0.0.1::3000",
        "--link",
        link.as_str(),
        "-d",
        "--name",
        app.as_str(),
        img,
        "sh",
        "-c",
        "env; sleep 600",
    ];

    let db_id = launch(&db_args);
    let app_id = launch(&app_args);
    let env = inspect(&app, "{{json .Config.Env}}").unwrap();
    let logs = String::from_utf8_lossy(&docker(&["logs", &app]).stdout).into_owned();
    let seen = |needle: &str| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let logs = String::from_utf8_lossy(&docker(&["logs", &app]).stdout).into_owned();
            if logs.contains(needle) || Instant::now() > deadline {
                return logs;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let logs = if logs.contains("MONGO_PORT_27017_TCP_ADDR=") {
        logs
    } else {
        seen("MONGO_PORT_27017_TCP_ADDR=")
    };
    assert!(
        logs.contains("MONGO_PORT_27017_TCP_ADDR="),
        "link env missing; env {env}; logs {logs}"
    );

    docker_ok(&["stop", "-t", "0", &app]);
    docker_ok(&["stop", "-t", "0", &db]);
    assert_eq!(launch(&db_args), db_id);
    assert_eq!(launch(&app_args), app_id);
    assert_eq!(inspect(&db, "{{.State.Running}}").unwrap(), "true");
    assert_eq!(inspect(&app, "{{.State.Running}}").unwrap(), "true");
}

/// A container its restart policy keeps restarting (the engine's `restarting` state) is neither
/// started nor replaced: dockrun exits 125 naming the state and what to do, and the container is
/// the same one afterwards. The engine doubles its restart delay each time, so after a few
/// restarts the container spends nearly all its time `restarting`; a launch that still catches it
/// in its brief `running` moment is tried again.
#[test]
fn r2_restarting_container_is_refused_and_left_alone() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("restarting"));
    let img = test_image();
    let args = [
        "-d",
        "--restart",
        "always",
        "--name",
        &name,
        img,
        "sh",
        "-c",
        "exit 3",
    ];
    let id = launch(&args);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let state = inspect(&name, "{{.RestartCount}} {{.State.Status}}").expect("exists");
        let (count, status) = state.split_once(' ').expect("two fields");
        if count.parse::<u32>().expect("a count") >= 4 && status == "restarting" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never settled into restarting: {state}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut refused = None;
    for _ in 0..5 {
        let run = dockrun(&args);
        if run.code == Some(125) {
            refused = Some(run);
            break;
        }
        // Caught between two restarts, running: nothing done, same container. Try again
        // once it is back in `restarting`.
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        assert_eq!(run.stdout.trim(), id);
        let deadline = Instant::now() + Duration::from_secs(30);
        while inspect(&name, "{{.State.Status}}").as_deref() != Some("restarting") {
            assert!(Instant::now() < deadline, "never restarting again");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let run = refused.expect("a launch caught the container restarting");
    let line = run.stderr.trim();
    assert!(line.starts_with("dockrun: error:"), "{line}");
    assert!(
        line.contains(&name) && line.contains("restarting"),
        "{line}"
    );
    assert!(line.contains("docker stop"), "says what to do: {line}");
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert_eq!(
        inspect(&name, "{{.Id}}").as_deref(),
        Some(id.as_str()),
        "the same container"
    );
}
