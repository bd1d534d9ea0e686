//! Issue 5, configuration drift: a changed command line is named and, only on request, applied
//! by replacing the container without losing its volumes; the same spec spelled differently is
//! never drift.

use crate::support::image::test_image;
use crate::support::{docker_ok, dockrun, dockrun_env, exists, inspect, unique, Cleanup, Images};

/// `dockrun -d ARGS… --name NAME IMAGE sleep 600`, which must succeed; returns (ID, stderr).
/// `--stop-timeout 1`: `sleep` as PID 1 ignores SIGTERM, and replacements stop it gracefully.
fn launch(name: &str, flags: &[&str]) -> (String, String) {
    let mut args = vec!["-d", "--stop-timeout", "1", "--name", name];
    args.extend_from_slice(flags);
    args.extend_from_slice(&[test_image(), "sleep", "600"]);
    let run = dockrun(&args);
    assert_eq!(run.code, Some(0), "dockrun {args:?}: {}", run.stderr);
    let id = run.stdout.trim().to_owned();
    assert_eq!(id.len(), 64, "a full ID on stdout, got {:?}", run.stdout);
    (id, run.stderr)
}

/// The value of `VAR` in the running container `name`.
fn env_in(name: &str, var: &str) -> String {
    docker_ok(&["exec", name, "sh", "-c", &format!("echo ${var}")])
}

/// Every container whose name starts with `prefix` (replacements must leave none behind).
fn containers_named_like(prefix: &str) -> Vec<String> {
    docker_ok(&["ps", "-a", "--format", "{{.Names}}"])
        .lines()
        .filter(|n| n.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

#[test]
fn r5_changed_env_with_default_policy_keeps_the_container_and_names_the_field() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("keep"));
    let (id, _) = launch(&name, &["-e", "A=1"]);
    let (again, stderr) = launch(&name, &["-e", "A=2"]);
    assert_eq!(again, id, "the default policy keeps the container");
    assert!(stderr.contains("WARN"), "{stderr}");
    assert!(stderr.contains("env A: 1 → 2"), "{stderr}");
    assert!(stderr.contains("--recreate changed"), "{stderr}");
    assert_eq!(env_in(&name, "A"), "1", "the container was not changed");
}

#[test]
fn r5_dry_run_names_the_recreate_and_changes_nothing() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("dry"));
    let img = test_image();

    // Missing: the plan is `create`, and nothing is created.
    let run = dockrun(&["--dry-run", "-d", "--name", &name, img, "sleep", "600"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout.trim(), format!("create {name}"));
    assert!(!exists(&name));

    let (id, _) = launch(&name, &["-e", "A=1"]);
    let started = inspect(&name, "{{.State.StartedAt}}").unwrap();
    let run = dockrun(&[
        "--dry-run",
        "--recreate",
        "changed",
        "-d",
        "--stop-timeout",
        "1",
        "--name",
        &name,
        "-e",
        "A=2",
        img,
        "sleep",
        "600",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let mut lines = run.stdout.lines();
    assert_eq!(lines.next(), Some(format!("recreate {name} {id}").as_str()));
    assert_eq!(lines.next(), Some("  env A: 1 → 2"), "{}", run.stdout);
    assert_eq!(
        inspect(&name, "{{.Id}} {{.State.StartedAt}}").unwrap(),
        format!("{id} {started}"),
        "a dry run changes nothing"
    );
    assert_eq!(env_in(&name, "A"), "1");

    // Stopped: the plan is `start`, and it stays stopped.
    docker_ok(&["stop", "-t", "0", &name]);
    let run = dockrun(&[
        "--dry-run",
        "-d",
        "--stop-timeout",
        "1",
        "--name",
        &name,
        "-e",
        "A=1",
        img,
        "sleep",
        "600",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout.trim(), format!("start {name} {id}"));
    assert_eq!(inspect(&name, "{{.State.Running}}").unwrap(), "false");
}

#[test]
fn r5_recreate_changed_applies_the_new_value_and_keeps_volume_data() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("data"));
    let volume = guard.volume(&unique("vol"));
    let named = format!("{volume}:/named");
    let (id, _) = launch(&name, &["-e", "A=1", "-v", &named, "-v", "/anon"]);
    let anonymous = inspect(
        &name,
        "{{range .Mounts}}{{if eq .Destination \"/anon\"}}{{.Name}}{{end}}{{end}}",
    )
    .unwrap();
    guard.volume(&anonymous); // carried over by name, so `rm -v` would not remove it
    docker_ok(&[
        "exec",
        &name,
        "sh",
        "-c",
        "echo kept-named > /named/f && echo kept-anon > /anon/f",
    ]);

    let changed = [
        "--recreate",
        "changed",
        "-e",
        "A=2",
        "-v",
        &named,
        "-v",
        "/anon",
    ];
    let (new_id, stderr) = launch(&name, &changed);
    assert_ne!(new_id, id, "a new container: {stderr}");
    assert!(stderr.contains("env A: 1 → 2"), "{stderr}");
    assert!(stderr.contains("recreated"), "{stderr}");
    assert_eq!(inspect(&name, "{{.Id}}").unwrap(), new_id);
    assert_eq!(env_in(&name, "A"), "2");
    assert_eq!(
        docker_ok(&["exec", &name, "cat", "/named/f", "/anon/f"]),
        "kept-named\nkept-anon"
    );
    assert_eq!(
        containers_named_like(&name),
        vec![name.clone()],
        "the old container is removed"
    );
    // The replacement is itself recorded: launching it again changes nothing.
    let (again, stderr) = launch(&name, &changed);
    assert_eq!(again, new_id, "{stderr}");
}

#[test]
fn r5_unchanged_spec_with_recreate_changed_is_a_noop() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("same"));
    let (id, _) = launch(&name, &["--recreate", "changed", "-e", "A=1"]);
    let started = inspect(&name, "{{.State.StartedAt}}").unwrap();
    let (again, stderr) = launch(&name, &["--recreate", "changed", "-e", "A=1"]);
    assert_eq!(again, id);
    assert!(stderr.contains("already running"), "{stderr}");
    assert!(!stderr.contains("differs"), "{stderr}");
    assert_eq!(inspect(&name, "{{.State.StartedAt}}").unwrap(), started);
}

#[test]
fn r5_recreate_always_replaces_every_time() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("always"));
    let (first, _) = launch(&name, &["--recreate", "always"]);
    let (second, stderr) = launch(&name, &["--recreate", "always"]);
    let (third, _) = launch(&name, &["--recreate", "always"]);
    assert!(
        first != second && second != third && first != third,
        "{stderr}"
    );
    assert!(stderr.contains("recreated"), "{stderr}");
    assert_eq!(
        inspect(&name, "{{.Id}} {{.State.Running}}").unwrap(),
        format!("{third} true")
    );
    assert_eq!(containers_named_like(&name), vec![name.clone()]);
}

#[test]
fn r5_replacement_that_cannot_start_puts_the_old_one_back_running() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("back"));
    let (id, _) = launch(&name, &["-v", "/anon"]);
    let anonymous = inspect(
        &name,
        "{{range .Mounts}}{{if eq .Destination \"/anon\"}}{{.Name}}{{end}}{{end}}",
    )
    .unwrap();
    guard.volume(&anonymous);
    docker_ok(&["exec", &name, "sh", "-c", "echo kept > /anon/f"]);
    let run = dockrun(&[
        "--recreate",
        "changed",
        "-d",
        "--stop-timeout",
        "1",
        "--name",
        &name,
        "-v",
        "/anon",
        "--entrypoint",
        "/nonexistent",
        test_image(),
        "sleep",
        "600",
    ]);
    // As `docker run` exits for a command it cannot find (issue 14), after the rollback.
    assert_eq!(run.code, Some(127), "{}", run.stderr);
    let error = run
        .stderr
        .lines()
        .find(|l| l.starts_with("dockrun: error:"))
        .unwrap();
    assert!(
        error.contains("failed to replace container")
            && error.contains("the old container is back under its name and running")
            && error.contains("failed to start container")
            && error.contains("/nonexistent"),
        "{error}"
    );
    assert_eq!(
        inspect(&name, "{{.Id}} {{.State.Running}}").unwrap(),
        format!("{id} true")
    );
    assert_eq!(docker_ok(&["exec", &name, "cat", "/anon/f"]), "kept");
    assert_eq!(
        containers_named_like(&name),
        vec![name.clone()],
        "the failed new container is removed"
    );
}

#[test]
fn r5_an_image_tag_moved_to_another_image_is_drift() {
    let mut images = Images::default();
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("moved"));
    let tag = format!("{}:1", unique("tag"));
    images.0.push(tag.clone());
    docker_ok(&["tag", test_image(), &tag]);
    let old_image = docker_ok(&["image", "inspect", "-f", "{{.Id}}", &tag]);

    let run = |extra: &[&str]| {
        let mut args = vec!["-d", "--stop-timeout", "1", "--name", &name];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[&tag, "sleep", "600"]);
        dockrun(&args)
    };
    let first = run(&[]);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let id = first.stdout.trim().to_owned();

    // Another image (the test image with one more env var), then the tag moved to it.
    let scratch = guard.container(&unique("commit"));
    docker_ok(&["create", "--name", &scratch, test_image(), "true"]);
    let other = format!("{}:2", unique("other"));
    images.0.push(other.clone());
    docker_ok(&["commit", "--change", "ENV MOVED=1", &scratch, &other]);
    docker_ok(&["tag", &other, &tag]);
    let new_image = docker_ok(&["image", "inspect", "-f", "{{.Id}}", &tag]);
    assert_ne!(new_image, old_image);

    let short = |id: &str| format!("sha256:{}…", &id["sha256:".len()..][..12]);
    let expected = format!("image: {} → {}", short(&old_image), short(&new_image));
    let dry = run(&["--dry-run"]);
    assert_eq!(dry.code, Some(0), "{}", dry.stderr);
    assert!(dry.stdout.contains(&expected), "{}", dry.stdout);

    // The default policy, on a stopped container (which it starts): the same container, and
    // the moved tag named.
    docker_ok(&["stop", "-t", "0", &name]);
    let kept = run(&[]);
    assert_eq!(kept.code, Some(0), "{}", kept.stderr);
    assert_eq!(kept.stdout.trim(), id);
    assert!(kept.stderr.contains(&expected), "{}", kept.stderr);
    assert_eq!(inspect(&name, "{{.Image}}").unwrap(), old_image);

    let replaced = run(&["--recreate", "changed"]);
    assert_eq!(replaced.code, Some(0), "{}", replaced.stderr);
    assert!(replaced.stderr.contains(&expected), "{}", replaced.stderr);
    assert_ne!(replaced.stdout.trim(), id);
    assert_eq!(inspect(&name, "{{.Image}}").unwrap(), new_image);
    assert_eq!(env_in(&name, "MOVED"), "1");
}

#[test]
fn r5_equivalent_spellings_of_one_spec_report_no_drift() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("spell"));
    let img = test_image();
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("env");
    std::fs::write(&env_file, "A=1\n").unwrap();
    let env_file = env_file.display().to_string();
    let line =
        |text: String| -> Vec<String> { text.split_whitespace().map(str::to_owned).collect() };
    let base = line(format!(
        "-d --stop-timeout 1 --name {name} -e A=1 -e B=2 -l x=1 -l y=2 -v /anon {img} sleep 600"
    ));
    let run = dockrun(&base.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let id = run.stdout.trim().to_owned();
    let anonymous = inspect(&name, "{{range .Mounts}}{{.Name}}{{end}}").unwrap();
    guard.volume(&anonymous);

    // Each spelling, with the environment dockrun runs in.
    type Spelling<'a> = (Vec<String>, Vec<(&'a str, &'a str)>);
    let spellings: Vec<Spelling> = vec![
        // the same command line again
        (base.clone(), vec![]),
        // `--name=x`, other flag order, attached and `=` forms, env and label order
        (
            line(format!(
                "-l y=2 -eB=2 --name={name} --label=x=1 -v /anon --env=A=1 --stop-timeout=1 -d \
                 {img} sleep 600"
            )),
            vec![],
        ),
        // defaults written out
        (
            line(format!(
                "-d --stop-timeout 1 --name {name} -e A=1 -e B=2 -l x=1 -l y=2 -v /anon \
                 --restart no --privileged=false --network default --read-only=false \
                 --tty=false --interactive=false --pull missing --init=false {img} sleep 600"
            )),
            vec![],
        ),
        // env from a file and from dockrun's own environment
        (
            line(format!(
                "-d --stop-timeout 1 --name {name} --env-file {env_file} -e B -l x=1 -l y=2 \
                 -v /anon {img} sleep 600"
            )),
            vec![("B", "2")],
        ),
    ];
    for (args, env) in &spellings {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut changed = vec!["--recreate", "changed"];
        changed.extend_from_slice(&args);
        let run = dockrun_env(&changed, env);
        assert_eq!(run.code, Some(0), "{args:?}: {}", run.stderr);
        assert_eq!(
            run.stdout.trim(),
            id,
            "{args:?} replaced it: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("differs"), "{args:?}: {}", run.stderr);
        let mut dry = vec!["--dry-run", "--recreate", "always"];
        dry.extend_from_slice(&args);
        let run = dockrun_env(&dry, env);
        assert_eq!(
            run.stdout.trim(),
            format!("recreate {name} {id}"),
            "{args:?}: `always` replaces, but names no difference"
        );
    }
    assert_eq!(inspect(&name, "{{.Id}}").unwrap(), id);
}

#[test]
fn r5_a_container_dockrun_did_not_create_is_compared_field_by_field() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("foreign"));
    let img = test_image();
    docker_ok(&[
        "run", "-d", "--name", &name, "-e", "A=1", img, "sleep", "600",
    ]);
    let id = inspect(&name, "{{.Id}}").unwrap();

    let run = dockrun(&["-d", "--name", &name, "-e", "A=1", img, "sleep", "600"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout.trim(), id);
    assert!(
        run.stderr.contains("not created by dockrun"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("differs"), "{}", run.stderr);

    let run = dockrun(&["-d", "--name", &name, "-e", "A=2", img, "sleep", "600"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout.trim(), id);
    assert!(
        run.stderr.contains("differs: env A: 1 → 2"),
        "{}",
        run.stderr
    );
}

#[test]
fn r5_concurrent_replacements_leave_one_container_and_no_leftovers() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("concurrent"));
    let (first, _) = launch(&name, &[]);
    let args = [
        "--recreate",
        "always",
        "-d",
        "--stop-timeout",
        "1",
        "--name",
        &name,
        test_image(),
        "sleep",
        "600",
    ];
    let children: Vec<_> = (0..3)
        .map(|_| {
            std::process::Command::new(crate::support::dockrun_bin())
                .args(args)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(containers_named_like(&name), vec![name.clone()]);
    let now = inspect(&name, "{{.Id}} {{.State.Running}}").unwrap();
    assert!(now.ends_with(" true") && !now.starts_with(&first), "{now}");
}
